/*
 * Copyright (c) 2026 The meshd developers
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * meshd-crypto: the only process that holds key bytes.  It reads the
 * private key and preshared keys from fds the parent opened, tells the
 * others only the public key, and keeps every secret (the engine's
 * structs included) on pages excluded from core dumps, in a process that
 * cannot dump core or be ptrace-attached by its own user.
 *
 * It runs the Noise engine (noise.c) against the packet channels:
 *   tun -> crypto: plaintext for a peer id: encrypt with the peer's
 *	current keypair, or queue it (bounded, oldest dropped) and start a
 *	handshake;
 *   net -> crypto: data messages with their source endpoint (remote and
 *	local address, opaque here): decrypt,
 *	replay-check, report a new authenticated source to net (roaming),
 *	hand the plaintext to tun with the peer id;
 * and handshake messages over imsg with net, which checked mac1 (and
 * mac2 under load) before.  Timers per peer drive retransmits, rekeys,
 * keepalives and the wipe of old keys.  This file holds main, the channel
 * handlers, the per-peer service and the messages; crypto.h lists the
 * files with the other jobs (queue, key check, secret memory, clock).
 */

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#ifndef __unused
#define __unused	__attribute__((__unused__))	/* RB_GENERATE_STATIC */
#endif

#include "child.h"
#include "crypto.h"
#include "log.h"
#include "noise.h"
#include "pktchan.h"
#include "wgcrypto.h"
#include "wgkey.h"

static int	crypto_peer_cmp(struct crypto_peer *, struct crypto_peer *);
static int	crypto_key_cmp(struct crypto_peer *, struct crypto_peer *);
RB_GENERATE_STATIC(crypto_peer_tree, crypto_peer, entry, crypto_peer_cmp)
RB_HEAD(crypto_key_tree, crypto_peer);
RB_GENERATE_STATIC(crypto_key_tree, crypto_peer, keyentry, crypto_key_cmp)

static struct noise_local	*local;
static struct crypto_peer_tree	 peers = RB_INITIALIZER(&peers);
static struct crypto_key_tree	 bykey = RB_INITIALIZER(&bykey);
static struct conf_snapshot	*conf;
static uint16_t			 mtu = MESH_MTU_DEFAULT;
/*
 * The process's own record (peer id 0 in IMSG_PEER_STATS): every packet
 * and handshake it received, and the drops no peer can be named for.
 */
static struct mesh_peer_stats	 proc_stats;

static void	 crypto_dispatch_parent(struct imsg *);
static void	 crypto_dispatch_net(struct imsg *);
static void	 crypto_reconf(struct conf_snapshot *);
static void	 crypto_init(void);
static void	 crypto_chan_ready(enum mesh_chan);
static void	 peer_service(struct crypto_peer *);

static struct child crypto_child = {
	.role = PROC_CRYPTO,
	/* nothing from tun but packets on the channel */
	.dispatch = {
		[PROC_PARENT] = crypto_dispatch_parent,
		[PROC_NET] = crypto_dispatch_net,
	},
	.reconf = crypto_reconf,
	.chan_ready = crypto_chan_ready,
};

static int
crypto_peer_cmp(struct crypto_peer *a, struct crypto_peer *b)
{
	return a->id < b->id ? -1 : a->id > b->id;
}

static int
crypto_key_cmp(struct crypto_peer *a, struct crypto_peer *b)
{
	/* public keys: no secret in the ordering */
	return memcmp(a->pub, b->pub, sizeof(a->pub));
}

static void
crypto_init(void)
{
	struct rlimit	rl = { 0, 0 };
	uint8_t		k[WG_KEY_LEN], p[WG_KEY_LEN], aead[WG_TAG_LEN];

	/*
	 * OpenSSL reads its config, fetches algorithms and seeds its DRBG
	 * on first use: do that now, while files can still be opened.
	 */
	crypto_clock_init();
	if (OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL) != 1)
		fatalx("OpenSSL initialisation failed");
	if (wg_key_generate_private(k) == -1 || wg_key_public(p, k) == -1)
		fatalx("OpenSSL X25519 self-check failed");
	explicit_bzero(k, sizeof(k));

	/* no core files, no ptrace by our own (unprivileged) user */
	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		fatal("setrlimit(RLIMIT_CORE)");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_DUMPABLE)");
	keystage_init();
	noise_set_allocator(slab_alloc, slab_release);
	/*
	 * A cipher context per keypair puts a copy of each session key in
	 * OpenSSL's heap (of this process, which is not dumpable), for the
	 * keypair's life instead of one packet's: see DESIGN.md.
	 */
	noise_set_cipherctx(!mesh_lever_off("cipherctx"));
	if ((local = noise_local_new()) == NULL)
		fatal("noise_local_new");
	/* and the AEAD, fetched on first use */
	memset(k, 0, sizeof(k));
	if (wg_aead_encrypt(aead, k, 0, NULL, 0, NULL, 0) != 0)
		fatalx("OpenSSL ChaCha20-Poly1305 self-check failed");
	relay_key_init();
	mesh_init();
}

struct crypto_peer *
crypto_peer_find(uint32_t id)
{
	struct crypto_peer	key;

	key.id = id;
	return RB_FIND(crypto_peer_tree, &peers, &key);
}

struct crypto_peer *
crypto_peer_by_key(const uint8_t pub[WG_KEY_LEN])
{
	struct crypto_peer	key;

	memcpy(key.pub, pub, sizeof(key.pub));
	return RB_FIND(crypto_key_tree, &bykey, &key);
}

struct crypto_peer *
crypto_peer_first(void)
{
	return RB_MIN(crypto_peer_tree, &peers);
}

struct crypto_peer *
crypto_peer_next(struct crypto_peer *cp)
{
	return RB_NEXT(crypto_peer_tree, &peers, cp);
}

struct noise_local *
crypto_local(void)
{
	return local;
}

struct conf_snapshot *
crypto_conf(void)
{
	return conf;
}

/*
 * Encrypt one packet for cp into the crypto -> net channel.  The slot is
 * meshd-net's to read: noise_encrypt() writes only ciphertext into it.
 */
static int
send_data(struct crypto_peer *cp, const uint8_t *pkt, size_t len,
    uint64_t now)
{
	struct pktchan	*ch = self->chan[CHAN_CRYPTO_NET];
	size_t		 need, outlen;
	uint8_t		*slot;
	int		 r;

	if (ch == NULL)
		return NOISE_E_STATE;
	need = noise_encrypt_size(len, mtu);
	if ((slot = pktchan_reserve(ch, need)) == NULL) {
		cp->act->st.drop_full++;
		return 0;
	}
	r = noise_encrypt(cp->np, now, pkt, len, mtu, slot, need, &outlen);
	if (r != 0) {
		pktchan_cancel(ch);
		return r;
	}
	/* net counts what it sends: tx_bytes */
	if (cp->src_news)
		pktchan_commit(ch, outlen, cp->id, &cp->src, sizeof(cp->src));
	else
		pktchan_commit(ch, outlen, cp->id, NULL, 0);
	cp->src_news = 0;
	return 0;
}

/* ep NULL: to the peer's endpoint as net knows it */
static void
send_handshake(struct crypto_peer *cp, const uint8_t *msg, size_t len,
    const struct mesh_endpoint *ep)
{
	struct hs_msg	hm;

	memset(&hm, 0, sizeof(hm));
	if (ep != NULL)
		hm.ep = *ep;
	hm.len = len;
	memcpy(hm.msg, msg, len);
	child_compose(PROC_NET, IMSG_HS_SEND, cp->id, -1, &hm, sizeof(hm));
}

/* the engine's timers and pending actions for one peer */
static void
peer_service(struct crypto_peer *cp)
{
	uint8_t		 init[WG_INIT_LEN];
	uint64_t	 now = crypto_now(), next;
	uint32_t	 act;
	struct timeval	 tv;

	if (cp->np == NULL)
		return;		/* nothing ever asked of it */
	act = noise_peer_poll(cp->np, now);
	if (act & NOISE_ACT_INITIATE) {
		if (noise_create_initiation(cp->np, now, init) == 0) {
			story_initiation(cp);
			send_handshake(cp, init, sizeof(init), NULL);
		}
		explicit_bzero(init, sizeof(init));
	}
	if (act & NOISE_ACT_PURGE)
		queue_purge(cp, 1);
	if (act & (NOISE_ACT_FLUSH | NOISE_ACT_KEEPALIVE)) {
		if (cp->qlen > 0)
			queue_flush(cp, now, send_data);
		else if (act & NOISE_ACT_KEEPALIVE)
			(void)send_data(cp, NULL, 0, now);
	}
	if (act & ~(NOISE_ACT_INITIATE | NOISE_ACT_PURGE)) {
		if (self->chan[CHAN_CRYPTO_NET] != NULL)
			pktchan_flush(self->chan[CHAN_CRYPTO_NET]);
	}
	/* the engine may want something at once after what we did */
	if (cp->np->actions != 0) {
		timerclear(&tv);
		evtimer_add(&cp->act->timer, &tv);
		cp->act->timer_at = now;
		return;
	}
	evtimer_del(&cp->act->timer);
	cp->act->timer_at = 0;
	if ((next = noise_peer_next_timer(cp->np)) == UINT64_MAX)
		return;
	cp->act->timer_at = next;
	next = next > now ? crypto_clock_real(next - now) : 0;
	tv.tv_sec = next / 1000000000ULL;
	tv.tv_usec = (next % 1000000000ULL) / 1000 + 1;
	evtimer_add(&cp->act->timer, &tv);
}

static void
peer_timer(int fd, short event, void *arg)
{
	peer_service(arg);
}

/*
 * After data went out: the engine may have set a timer sooner than the
 * one armed (data sent: a new handshake if nothing comes back in 15 s)
 * or want something now (a rekey by age or count).  Without this, a peer
 * that stopped answering was tried again only when some later timer
 * woke it: a member whose coordinator forgot it (no certificate in time)
 * sent its REGISTER into the void for minutes.
 */
static void
peer_rearm(struct crypto_peer *cp)
{
	uint64_t	next;

	if (cp->np == NULL)
		return;
	next = noise_peer_next_timer(cp->np);
	if (cp->np->actions != 0 || (next != UINT64_MAX &&
	    (cp->act->timer_at == 0 || next < cp->act->timer_at)))
		peer_service(cp);
}

void
crypto_peer_service(struct crypto_peer *cp)
{
	peer_service(cp);
}

/*
 * A new authenticated source for cp: tell net (roaming).  The endpoint
 * is opaque here (net made it: remote address, and the local address
 * it came to); a new local address alone is news too, so net answers
 * from it.  len is what net gave: anything but a whole endpoint is not
 * one.  force: always report (handshakes, which are rare): net may have
 * lost an earlier report (a reload set the configured endpoint again,
 * the report came before net had its config, or net forgot a local
 * address that went away).
 */
static void
peer_source(struct crypto_peer *cp, const void *ep, size_t len, int force)
{
	struct mesh_endpoint_msg	em;

	if (len != sizeof(cp->src) || (!force &&
	    memcmp(&cp->src, ep, sizeof(cp->src)) == 0))
		return;
	memcpy(&cp->src, ep, sizeof(cp->src));
	if (cp->src.addrlen == 0 || cp->src.addrlen > sizeof(cp->src.addr))
		return;
	memset(&em, 0, sizeof(em));
	em.id = cp->id;
	em.ep = cp->src;
	child_compose(PROC_NET, IMSG_ENDPOINT, cp->id, -1, &em, sizeof(em));
	/*
	 * The imsg may reach net after data we encrypt now, which comes
	 * over the packet channel: the next data message carries the
	 * endpoint too (a punched path is new: data sent to the old one
	 * would be lost)
	 */
	cp->src_news = 1;
}

/* tun -> crypto: plaintext to encrypt */
static void
outbound_batch(struct pktchan_pkt *pkts, size_t n)
{
	struct crypto_peer	*cp;
	uint64_t		 now = crypto_now();
	size_t			 i;
	int			 r;

	for (i = 0; i < n; i++) {
		if ((cp = crypto_peer_find(pkts[i].peer_id)) == NULL) {
			proc_stats.drop_malformed++;
			continue;
		}
		if (crypto_peer_engine(cp) == -1) {
			proc_stats.drop_full++;
			continue;
		}
		if (cp->qlen > 0) {
			/* keep the order: behind what already waits */
			queue_add(cp, pkts[i].data, pkts[i].len);
			/* and see that a handshake is on its way */
			noise_peer_want_session(cp->np, now);
			if (cp->np->actions != 0)
				peer_service(cp);
			continue;
		}
		r = send_data(cp, pkts[i].data, pkts[i].len, now);
		if (r == 0)
			peer_rearm(cp);
		else if (r == NOISE_E_NOKEY || r == NOISE_E_EXPIRED) {
			queue_add(cp, pkts[i].data, pkts[i].len);
			peer_service(cp);
		} else {
			cp->act->st.drop_queue++;
			log_debug("peer %s: encrypt: %s", cp->name,
			    noise_strerror(r));
		}
	}
}

/*
 * net -> crypto: data messages to decrypt.  The crypto -> tun slot gets
 * only authenticated plaintext (noise_decrypt() opens into private
 * memory).
 */
static void
inbound_batch(struct pktchan_pkt *pkts, size_t n)
{
	struct pktchan		*ch = self->chan[CHAN_CRYPTO_TUN];
	struct noise_peer	*np;
	struct crypto_peer	*cp;
	uint8_t			*slot;
	uint64_t		 now = crypto_now();
	size_t			 i, outlen, room;
	int			 r;

	proc_stats.rx_packets += n;
	if (ch == NULL) {
		/* not attached yet (the parent's messages are on the way) */
		proc_stats.drop_full += n;
		return;
	}
	for (i = 0; i < n; i++) {
		if (pkts[i].len < WG_DATA_MIN_LEN) {
			proc_stats.drop_malformed++;
			continue;
		}
		room = pkts[i].len - WG_DATA_MIN_LEN;
		if ((slot = pktchan_reserve(ch, room > 0 ? room : 1)) == NULL) {
			proc_stats.drop_full++;
			continue;
		}
		np = NULL;
		r = noise_decrypt(local, pkts[i].data, pkts[i].len, now, &np,
		    slot, room > 0 ? room : 1, &outlen);
		cp = np != NULL ? np->arg : NULL;
		if (r != 0) {
			pktchan_cancel(ch);
			if (r == NOISE_E_REPLAY && cp != NULL)
				cp->act->st.drop_replay++;
			else if (r == NOISE_E_REPLAY)
				proc_stats.drop_replay++;
			else if (cp != NULL)
				cp->act->st.drop_decrypt++;
			else
				proc_stats.drop_decrypt++;
			continue;
		}
		cp->act->st.rx_bytes += pkts[i].len;
		cp->act->st.rx_packets++;
		if (cp->act->hs.unconfirmed > 0)
			story_confirmed(cp);
		peer_source(cp, pkts[i].meta, pkts[i].metalen, 0);
		if (outlen == 0)
			pktchan_cancel(ch);	/* a keepalive */
		else if (slot[0] == MESH_COORD_MARK) {
			/* not for tun: net's, if this peer may send it */
			mesh_coord_in(cp, slot, outlen);
			pktchan_cancel(ch);
		} else if (cp->kind == PEER_PROVISIONAL) {
			/* no packets before a certificate */
			cp->act->st.drop_source++;
			pktchan_cancel(ch);
		} else
			pktchan_commit(ch, outlen, cp->id, NULL, 0);
		if (np->actions != 0)
			peer_service(cp);
	}
	pktchan_flush(ch);
}

/* crypto -> net gets what a batch produced at once */
static void
flush_net(void)
{
	if (self->chan[CHAN_CRYPTO_NET] != NULL)
		pktchan_flush(self->chan[CHAN_CRYPTO_NET]);
}

static void
crypto_chan_ready(enum mesh_chan c)
{
	if (c == CHAN_TUN_CRYPTO)
		child_chan_consume(c, outbound_batch, flush_net);
	else if (c == CHAN_NET_CRYPTO)
		child_chan_consume(c, inbound_batch, flush_net);
}

/*
 * An obfuscated initiation refused for its timestamp: a replay, or a
 * peer whose clock is off.  Said at most once a minute.
 */
static void
stale_log(void)
{
	static time_t	last;
	time_t		now = time(NULL);

	if (now - last < 60)
		return;
	last = now;
	log_info("an obfuscated initiation made more than %d s from our "
	    "clock refused: a replay, or a member's clock is off (obfuscated "
	    "members' clocks must agree)", MESH_OBFS_FRESH_SECS);
}

static void
handshake_recv(struct imsg *imsg)
{
	struct hs_msg		 hm;
	struct noise_peer	*np = NULL;
	struct crypto_peer	*cp;
	uint8_t			 resp[WG_RESP_LEN];
	uint64_t		 now = crypto_now();
	int			 r;

	if (imsg_get_data(imsg, &hm, sizeof(hm)) == -1 ||
	    hm.len > sizeof(hm.msg) || hm.ep.addrlen > sizeof(hm.ep.addr))
		fatalx("HS_RECV: bad message");
	proc_stats.rx_packets++;
	switch (hm.msg[0]) {
	case WG_MSG_INITIATION:
		noise_local_set_max_age(local, (hm.ep.flags & MESH_EP_OBFS) ?
		    MESH_OBFS_FRESH_SECS : 0);
		r = noise_consume_initiation(local, hm.msg, hm.len, now, &np);
		/*
		 * A member we never talked to has no engine yet; a
		 * coordinator hears out an unknown key, provisionally
		 */
		if (r == NOISE_E_PEER && (((cp = crypto_peer_by_key(
		    local->unknown_pub)) != NULL && cp->np == NULL &&
		    crypto_peer_engine(cp) == 0) ||
		    (cp == NULL && mesh_provisional(local->unknown_pub) !=
		    NULL)))
			r = noise_consume_initiation(local, hm.msg, hm.len, now,
			    &np);
		else if (r == NOISE_E_PEER)
			story_unknown_key(&hm.ep, local->unknown_pub);
		if (r != 0) {
			log_debug("initiation: %s", noise_strerror(r));
			if (r == NOISE_E_STALE)
				stale_log();
			proc_stats.drop_handshake++;
			return;
		}
		cp = np->arg;
		cp->act->st.rx_bytes += hm.len;
		cp->act->st.rx_packets++;
		if ((r = noise_create_response(np, now, resp)) != 0) {
			log_debug("peer %s: response: %s", cp->name,
			    noise_strerror(r));
			proc_stats.drop_handshake++;
			return;
		}
		peer_source(cp, &hm.ep, sizeof(hm.ep), 1);
		send_handshake(cp, resp, sizeof(resp), &hm.ep);
		story_answered(cp);
		log_debug("peer %s: handshake complete (responder)", cp->name);
		mesh_session_up(cp);
		break;
	case WG_MSG_RESPONSE:
		r = noise_consume_response(local, hm.msg, hm.len, now, &np);
		if (r == NOISE_E_DECRYPT && np != NULL)
			story_fail(np->arg, HS_BADRESP, "response did not "
			    "verify (wrong preshared key?)");
		if (r != 0) {
			log_debug("response: %s", noise_strerror(r));
			proc_stats.drop_handshake++;
			return;
		}
		cp = np->arg;
		cp->act->st.rx_bytes += hm.len;
		cp->act->st.rx_packets++;
		peer_source(cp, &hm.ep, sizeof(hm.ep), 1);
		story_complete(cp);
		log_debug("peer %s: handshake complete (initiator)", cp->name);
		mesh_session_up(cp);
		break;
	case WG_MSG_COOKIE:
		r = noise_consume_cookie(local, hm.msg, hm.len, now, &np);
		if (r != 0) {
			log_debug("cookie reply: %s", noise_strerror(r));
			proc_stats.drop_handshake++;
			return;
		}
		cp = np->arg;
		story_fail(cp, HS_COOKIE, "peer answered with a cookie reply: "
		    "it is under load");
		break;
	default:
		fatalx("HS_RECV: type %u", hm.msg[0]);
	}
	proc_stats.handshakes++;
	peer_service(cp);
}

static void
send_stats(uint32_t reqid)
{
	struct mesh_peer_stats	 st, global;
	struct crypto_peer	*cp;
	struct timespec		 rt;
	uint64_t		 now = crypto_now();
	int64_t			 rt_ns;

	clock_gettime(CLOCK_REALTIME, &rt);
	rt_ns = (int64_t)rt.tv_sec * 1000000000LL + rt.tv_nsec;
	RB_FOREACH(cp, crypto_peer_tree, &peers) {
		/*
		 * Nothing counted, no handshake: nothing sent (the parent
		 * shows zeros for a peer no child told of), so 10,000 idle
		 * peers cost no 10,000 records queued at once
		 */
		if (cp->act == NULL)
			continue;
		memset(&st, 0, sizeof(st));
		st.id = cp->id;
		st.rx_bytes = cp->act->st.rx_bytes;
		st.rx_packets = cp->act->st.rx_packets;
		st.drop_decrypt = cp->act->st.drop_decrypt;
		st.drop_replay = cp->act->st.drop_replay;
		st.drop_queue = cp->act->st.drop_queue;
		st.drop_source = cp->act->st.drop_source;
		st.drop_full = cp->act->st.drop_full;
		st.latest_handshake = 0;
		/*
		 * In nanoseconds, then seconds: the two clocks' seconds
		 * apart made it jump by one between two asks
		 */
		if (cp->np->has_handshake)
			st.latest_handshake = (rt_ns - (int64_t)(now -
			    cp->np->last_handshake)) / 1000000000LL;
		story_stats(cp, &st);
		child_compose(PROC_PARENT, IMSG_PEER_STATS, reqid, -1, &st,
		    sizeof(st));
	}
	global = proc_stats;
	story_global(&global);
	mesh_stats(&global);
	child_stats_end(reqid, &global);
}

static void	exit_probe(struct imsg *);

/* KEY_UAPI: the key staged; every copy here wiped */
static void
key_uapi(struct imsg *imsg)
{
	static struct mesh_uapi_key	*k;

	if (k == NULL)
		k = secret_alloc(sizeof(*k));
	if (imsg_get_data(imsg, k, sizeof(*k)) == -1)
		fatalx("KEY_UAPI: bad length");
	stage_key_bytes(k->id, k->key);
	explicit_bzero(k, sizeof(*k));
}

static void
crypto_dispatch_parent(struct imsg *imsg)
{
	int	fd;

	switch (imsg_get_type(imsg)) {
	case IMSG_KEY_FD:
		if ((fd = imsg_get_fd(imsg)) == -1)
			fatalx("KEY_FD without a descriptor");
		stage_private_key(fd);
		break;
	case IMSG_PSK_FD:
		if ((fd = imsg_get_fd(imsg)) == -1)
			fatalx("PSK_FD without a descriptor");
		stage_psk(imsg_get_id(imsg), fd);
		break;
	case IMSG_KEYCHECK_END:
		keycheck_end();
		break;
	case IMSG_RELAY_KEY_FD:
		if ((fd = imsg_get_fd(imsg)) == -1)
			fatalx("RELAY_KEY_FD without a descriptor");
		relay_key_fd(fd);
		break;
	case IMSG_RELAY_SIGN_FD:
		if ((fd = imsg_get_fd(imsg)) == -1)
			fatalx("RELAY_SIGN_FD without a descriptor");
		relay_sign_fd(fd);
		break;
	case IMSG_KEYCHECK_ABORT:
		stage_reset();
		break;
	case IMSG_KEY_UAPI:
		key_uapi(imsg);
		break;
	case IMSG_KEY_KEEP:
		stage_keep(imsg_get_id(imsg));
		break;
	case IMSG_UAPI_KEYS_REQ:
		keys_uapi_get(imsg_get_id(imsg));
		break;
	case IMSG_STATS_REQ:
		send_stats(imsg_get_id(imsg));
		break;
	case IMSG_WANT_SESSION:
		exit_probe(imsg);
		break;
	default:
		child_unexpected(PROC_PARENT, imsg);
	}
}

/* net -> crypto: a coordination message to encrypt, or queue */
static void
coord_send(struct imsg *imsg)
{
	struct crypto_peer	*cp;
	uint8_t			 buf[MESH_COORD_MAX];
	size_t			 len;
	int			 r;

	if ((cp = mesh_coord_out(imsg, buf, &len)) == NULL)
		return;
	if (crypto_peer_engine(cp) == -1) {
		proc_stats.drop_full++;
		return;
	}
	if (cp->qlen > 0 || (r = send_data(cp, buf, len,
	    crypto_now())) == NOISE_E_NOKEY || r == NOISE_E_EXPIRED) {
		queue_add(cp, buf, len);
		noise_peer_want_session(cp->np, crypto_now());
		peer_service(cp);
	} else if (r == 0)
		peer_rearm(cp);
	flush_net();
}

/*
 * net -> crypto: the member whose id this is, if it is one.  Only a
 * member: a config peer's handshakes and keepalive are the config's, and
 * an id that went meanwhile (PEER_GONE crossed the message) is no error.
 */
static struct crypto_peer *
punch_member(struct imsg *imsg)
{
	struct crypto_peer	*cp;

	if ((cp = crypto_peer_find(imsg_get_id(imsg))) == NULL ||
	    cp->kind != PEER_MEMBER || cp->member == NULL)
		return NULL;
	if (crypto_peer_engine(cp) == -1)
		return NULL;
	/* punched: both sides initiate at once, one must win */
	noise_peer_set_crossed(cp->np, 1);
	return cp;
}

/* WANT_SESSION: a coordinator's CALL_ME; net sprays what we initiate */
static void
want_session(struct imsg *imsg)
{
	struct crypto_peer	*cp;

	if (imsg_get_len(imsg) != 0)
		fatalx("WANT_SESSION: bad length");
	if ((cp = punch_member(imsg)) == NULL)
		return;
	noise_peer_want_session(cp->np, crypto_now());
	peer_service(cp);
}

/*
 * WANT_SESSION from the parent: an exit node that stopped answering
 * while exit-node-fallback sends traffic around it gets an initiation
 * now and then, so that the parent sees it back (its latest handshake)
 */
static void
exit_probe(struct imsg *imsg)
{
	struct crypto_peer	*cp;

	if (imsg_get_len(imsg) != 0)
		fatalx("WANT_SESSION: bad length");
	if ((cp = crypto_peer_find(imsg_get_id(imsg))) == NULL ||
	    cp->kind != PEER_MEMBER || cp->member == NULL ||
	    crypto_peer_engine(cp) == -1)
		return;
	noise_peer_want_session(cp->np, crypto_now());
	peer_service(cp);
}

/* PEER_KEEPALIVE: a path through NATs is kept open by keepalives */
static void
peer_keepalive(struct imsg *imsg)
{
	struct crypto_peer	*cp;
	uint16_t		 secs;

	if (imsg_get_data(imsg, &secs, sizeof(secs)) == -1)
		fatalx("PEER_KEEPALIVE: bad length");
	if ((cp = punch_member(imsg)) == NULL)
		return;
	noise_peer_set_keepalive(cp->np, secs, crypto_now());
	/*
	 * Net asks as soon as a handshake authenticated the path; as its
	 * responder we have no session to send on until the peer's first
	 * data, and a keepalive now would start a handshake of our own
	 * that drops the one the peer is about to use.  The timer sends
	 * the first in its time.
	 */
	if (!noise_peer_can_send(cp->np, crypto_now()))
		cp->np->actions &= ~NOISE_ACT_KEEPALIVE;
	peer_service(cp);
}

static void
crypto_dispatch_net(struct imsg *imsg)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_HS_RECV:
		handshake_recv(imsg);
		break;
	case IMSG_COORD_SEND:
		coord_send(imsg);
		break;
	case IMSG_CERT_CHECK:
		mesh_cert_check(imsg);
		break;
	case IMSG_CRL:
		mesh_crl(imsg);
		break;
	case IMSG_WANT_SESSION:
		want_session(imsg);
		break;
	case IMSG_PEER_KEEPALIVE:
		peer_keepalive(imsg);
		break;
	default:
		child_unexpected(PROC_NET, imsg);
	}
}

void
crypto_peer_free(struct crypto_peer *cp)
{
	RB_REMOVE(crypto_peer_tree, &peers, cp);
	RB_REMOVE(crypto_key_tree, &bykey, cp);
	if (cp->act != NULL)
		evtimer_del(&cp->act->timer);
	queue_purge(cp, 0);
	noise_peer_free(cp->np);
	free(cp->act);
	free(cp);
}

/* a config peer's preshared key and keepalive, into its engine */
static void
peer_engine_conf(struct crypto_peer *cp, const struct conf_peer *p,
    uint64_t now)
{
	const uint8_t	*k;

	if (!p->msg.has_psk)
		noise_peer_set_psk(cp->np, NULL);
	else if ((k = psk_find(cp->id)) != NULL)
		noise_peer_set_psk(cp->np, k);
	else {
		/* never zeros instead: no handshake at all */
		log_warnx("peer %s: its preshared key was not read, no "
		    "handshakes", p->msg.name);
		noise_peer_set_psk_missing(cp->np);
	}
	noise_peer_set_keepalive(cp->np, p->msg.keepalive, now);
}

/*
 * The engine (and counters) of a peer made at its first use: a static
 * peer's too, which then takes its key and keepalive from the config.
 * 10,000 static peers that never talk cost no engine each (the struct
 * noise_peer on locked pages, its counters and story).
 */
int
crypto_peer_engine(struct crypto_peer *cp)
{
	struct conf_peer	*p;

	if (cp->np != NULL)
		return 0;
	if ((cp->act = calloc(1, sizeof(*cp->act))) == NULL ||
	    (cp->np = noise_peer_new(local, cp->pub, cp)) == NULL) {
		log_warnx("peer %s: %s", cp->name, strerror(errno));
		free(cp->act);
		cp->act = NULL;
		return -1;
	}
	evtimer_set(&cp->act->timer, peer_timer, cp);
	if ((cp->kind == PEER_STATIC || cp->kind == PEER_COORDINATOR) &&
	    cp->id < MESH_DYN_ID_MIN && conf != NULL &&
	    (p = conf_snapshot_find(conf, cp->id)) != NULL)
		peer_engine_conf(cp, p, crypto_now());
	return 0;
}

struct crypto_peer *
crypto_peer_add(uint32_t id, const uint8_t pub[WG_KEY_LEN], const char *name,
    int engine)
{
	struct crypto_peer	*cp;

	if ((cp = calloc(1, sizeof(*cp))) == NULL)
		fatal(NULL);
	cp->id = id;
	memcpy(cp->pub, pub, sizeof(cp->pub));
	(void)strlcpy(cp->name, name, sizeof(cp->name));
	STAILQ_INIT(&cp->queue);
	if (engine && crypto_peer_engine(cp) == -1) {
		free(cp);
		return NULL;
	}
	if (RB_INSERT(crypto_key_tree, &bykey, cp) != NULL) {
		/* callers look the key up first: not reached */
		log_warnx("peer %s: its key is another peer's", name);
		noise_peer_free(cp->np);
		free(cp->act);
		free(cp);
		return NULL;
	}
	RB_INSERT(crypto_peer_tree, &peers, cp);
	return cp;
}

/* a peer of the new config, added or updated; NULL if it has none */
static struct crypto_peer *
peer_configure(struct conf_peer *p, uint64_t now)
{
	struct crypto_peer	*cp;
	struct crypto_member	*m = NULL;

	cp = crypto_peer_find(p->msg.id);
	if (pubkey_is_ours(p->msg.pubkey)) {
		/* the parent refuses this; the kernel ignores it too */
		log_warnx("peer %s: its public key is our own, ignored",
		    p->msg.name);
		if (cp != NULL)
			crypto_peer_free(cp);
		return NULL;
	}
	if (cp == NULL) {
		/* a member may hold the key: the config's peer takes it */
		m = mesh_key_claimed(p->msg.pubkey);
		if ((cp = crypto_peer_add(p->msg.id, p->msg.pubkey,
		    p->msg.name, 0)) == NULL) {
			free(m);
			return NULL;
		}
	}
	cp->kind = (p->msg.flags & MESH_PEER_F_COORDINATOR) ?
	    PEER_COORDINATOR : PEER_STATIC;
	mesh_member_adopt(cp, m);
	(void)strlcpy(cp->name, p->msg.name, sizeof(cp->name));
	cp->has_endpoint = p->msg.has_endpoint;
	/*
	 * No engine until the peer is used (crypto_peer_engine), unless
	 * it must act on its own: a persistent keepalive, a coordinator,
	 * or packets already waiting
	 */
	if (cp->np == NULL && p->msg.keepalive == 0 &&
	    cp->kind != PEER_COORDINATOR && cp->qlen == 0)
		return cp;
	if (cp->np == NULL) {
		if (crypto_peer_engine(cp) == -1) {
			crypto_peer_free(cp);
			return NULL;
		}
	}
	peer_engine_conf(cp, p, now);
	/* a coordinator is talked to at once: the mesh comes through it */
	if (cp->qlen > 0 || (cp->kind == PEER_COORDINATOR &&
	    !noise_peer_can_send(cp->np, now)))
		noise_peer_want_session(cp->np, now);
	return cp;
}

static void
crypto_reconf(struct conf_snapshot *cs)
{
	struct conf_peer	*p;
	struct crypto_peer	*cp, *next;
	size_t			 npsks;
	uint64_t		 now = crypto_now();

	mtu = cs->iface.mtu;
	keys_commit(local);
	/* peers gone, or whose key changed, go */
	RB_FOREACH_SAFE(cp, crypto_peer_tree, &peers, next) {
		if (cp->id >= MESH_DYN_ID_MIN)
			continue;	/* the mesh's (admit.c) */
		p = conf_snapshot_find(cs, cp->id);
		if (p == NULL || memcmp(p->msg.pubkey, cp->pub,
		    WG_KEY_LEN) != 0) {
			mesh_peer_leaving(cp, cs);	/* frees cp */
		}
	}
	TAILQ_FOREACH(p, &cs->peers, entry)
		if ((cp = peer_configure(p, now)) != NULL)
			peer_service(cp);
	mesh_reconf(cs);
	npsks = psk_prune(cs);
	conf_snapshot_free(conf);
	conf = cs;
	log_debug("config: %zu peers, %zu preshared keys", conf->npeers, npsks);
}

int
main(int argc, char *argv[])
{
	child_start(&crypto_child, argc, argv, crypto_init);
	event_dispatch();
	fatalx("event loop ended");
}
