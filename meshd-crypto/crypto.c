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
 * keepalives and the wipe of old keys.
 */

#include <sys/types.h>
#include <sys/mman.h>
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
#include <unistd.h>

#include <openssl/crypto.h>

#ifndef __unused
#define __unused	__attribute__((__unused__))	/* RB_GENERATE_STATIC */
#endif

#include "child.h"
#include "log.h"
#include "noise.h"
#include "wgcrypto.h"
#include "pktchan.h"
#include "wgkey.h"

#define CRYPTO_QUEUE_MAX	128	/* packets waiting for a session */
#define CRYPTO_BATCH		64	/* packets per channel round */
#define SLAB_CHUNK		(64 * 1024)

struct qpkt {
	STAILQ_ENTRY(qpkt)	 entry;
	size_t			 len;
	uint8_t			 data[];
};

struct cpeer {
	RB_ENTRY(cpeer)		 entry;
	uint32_t		 id;
	struct noise_peer	*np;
	STAILQ_HEAD(, qpkt)	 queue;
	size_t			 qlen;
	struct event		 timer;
	struct mesh_endpoint	 src;		/* last authenticated source */
	struct mesh_peer_stats	 st;
};
RB_HEAD(cpeer_tree, cpeer);

static int	cpeer_cmp(struct cpeer *, struct cpeer *);
RB_GENERATE_STATIC(cpeer_tree, cpeer, entry, cpeer_cmp)

struct psk {
	uint32_t	 id;
	uint8_t		 key[WG_KEY_LEN];
};

/* keys read by a key check, until their config comes (dontdump pages) */
struct keystage {
	uint8_t		 priv[WG_KEY_LEN];
	uint8_t		 open;		/* KEY_FD came */
	uint8_t		 has_priv;
	uint8_t		 checked;	/* KEYCHECK_OK sent */
	uint8_t		 failed;
	uint32_t	 err_id;	/* 0: the private key, else a peer */
	char		 err[128];
	size_t		 npsks;
	struct psk	 psks[MESH_MAX_PSK];
};

/* a free list per object size, carved from MADV_DONTDUMP chunks */
struct slab {
	size_t		 size;
	void		*free;
	uint8_t		*chunk;
	size_t		 used;
};

static struct noise_local	*local;
static struct cpeer_tree	 peers = RB_INITIALIZER(&peers);
static struct psk		*psks;		/* on dontdump pages */
static size_t			 npsks;
static struct keystage		*stage;		/* on dontdump pages */
static struct conf_snapshot	*conf;
static uint8_t			 pubkey[WG_KEY_LEN];
static int			 has_pubkey;
static uint16_t			 mtu = MESH_MTU_DEFAULT;
static struct mesh_peer_stats	 gstats;	/* drops of no known peer */
static struct slab		 slabs[4];

static void	 crypto_dispatch_parent(struct imsg *);
static void	 crypto_dispatch_net(struct imsg *);
static void	 crypto_reconf(struct conf_snapshot *);
static void	 crypto_init(void);
static void	 crypto_chan_ready(enum mesh_chan);
static void	 peer_service(struct cpeer *);

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
cpeer_cmp(struct cpeer *a, struct cpeer *b)
{
	return a->id < b->id ? -1 : a->id > b->id;
}

#ifdef MESHD_TEST_CLOCK
/*
 * Tests only (make check builds a separate installation with
 * -DMESHD_TEST_CLOCK; a release build has none of this): the protocol's
 * clock runs MESHD_TEST_CLOCK_SCALE times faster than the real one, so a
 * test can watch rekeys (every 120 s) happen in seconds.
 */
static uint64_t	clock_scale = 1, clock_base;

static void
test_clock_init(void)
{
	const char	*s = getenv("MESHD_TEST_CLOCK_SCALE");

	if (s != NULL && (clock_scale = strtoull(s, NULL, 10)) == 0)
		clock_scale = 1;
	clock_base = mesh_monotonic_ns();
	log_info("test clock: %llu times real time",
	    (unsigned long long)clock_scale);
}
#define CLOCK_SCALE	clock_scale
#else
#define CLOCK_SCALE	1
#endif

/* the protocol's clock: mesh_monotonic_ns(), sped up in a test build */
static uint64_t
now_ns(void)
{
	uint64_t	t = mesh_monotonic_ns();

#ifdef MESHD_TEST_CLOCK
	t = clock_base + (t - clock_base) * clock_scale;
#endif
	return t;
}

static void *
secret_alloc(size_t len)
{
	void	*p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		fatal("mmap");
#ifdef MADV_DONTDUMP
	if (madvise(p, len, MADV_DONTDUMP) == -1)
		fatal("madvise(MADV_DONTDUMP)");
#endif
	/* best effort: RLIMIT_MEMLOCK may be small */
	if (mlock(p, len) == -1)
		log_debug("mlock: %s", strerror(errno));
	return p;
}

/* the engine's allocator: zeroed memory on dontdump pages */
static void *
slab_alloc(size_t len)
{
	struct slab	*s;
	void		*p;
	size_t		 i;

	len = (len + 63) & ~(size_t)63;
	if (len > SLAB_CHUNK)
		return secret_alloc(len);
	for (i = 0; i < sizeof(slabs) / sizeof(slabs[0]); i++)
		if (slabs[i].size == len || slabs[i].size == 0)
			break;
	if (i == sizeof(slabs) / sizeof(slabs[0]))
		fatalx("%s: too many object sizes", __func__);
	s = &slabs[i];
	s->size = len;
	if ((p = s->free) != NULL) {
		s->free = *(void **)p;
		memset(p, 0, sizeof(void *));
		return p;
	}
	if (s->chunk == NULL || s->used + len > SLAB_CHUNK) {
		s->chunk = secret_alloc(SLAB_CHUNK);
		s->used = 0;
	}
	p = s->chunk + s->used;
	s->used += len;
	return p;
}

static void
slab_release(void *p, size_t len)
{
	size_t	i;

	len = (len + 63) & ~(size_t)63;
	if (len > SLAB_CHUNK) {
		explicit_bzero(p, len);
		munmap(p, len);
		return;
	}
	for (i = 0; i < sizeof(slabs) / sizeof(slabs[0]); i++)
		if (slabs[i].size == len)
			break;
	if (i == sizeof(slabs) / sizeof(slabs[0]))
		fatalx("%s: unknown size", __func__);
	explicit_bzero(p, len);		/* the engine wiped it; to be sure */
	*(void **)p = slabs[i].free;
	slabs[i].free = p;
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
#ifdef MESHD_TEST_CLOCK
	test_clock_init();
#endif
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
	psks = secret_alloc(MESH_MAX_PSK * sizeof(*psks));
	stage = secret_alloc(sizeof(*stage));
	noise_set_allocator(slab_alloc, slab_release);
	if ((local = noise_local_new()) == NULL)
		fatal("noise_local_new");
	/* and the AEAD, fetched on first use */
	memset(k, 0, sizeof(k));
	if (wg_aead_encrypt(aead, k, 0, NULL, 0, NULL, 0) != 0)
		fatalx("OpenSSL ChaCha20-Poly1305 self-check failed");
}

static struct cpeer *
cpeer_find(uint32_t id)
{
	struct cpeer	key;

	key.id = id;
	return RB_FIND(cpeer_tree, &peers, &key);
}

static void
queue_purge(struct cpeer *cp, int count)
{
	struct qpkt	*q;

	while ((q = STAILQ_FIRST(&cp->queue)) != NULL) {
		STAILQ_REMOVE_HEAD(&cp->queue, entry);
		if (count)
			cp->st.drop_queue++;
		freezero(q, sizeof(*q) + q->len);
	}
	cp->qlen = 0;
}

static void
queue_add(struct cpeer *cp, const uint8_t *pkt, size_t len)
{
	struct qpkt	*q;

	if (cp->qlen == CRYPTO_QUEUE_MAX) {
		/* the oldest goes first */
		q = STAILQ_FIRST(&cp->queue);
		STAILQ_REMOVE_HEAD(&cp->queue, entry);
		freezero(q, sizeof(*q) + q->len);
		cp->qlen--;
		cp->st.drop_queue++;
	}
	if ((q = malloc(sizeof(*q) + len)) == NULL) {
		cp->st.drop_queue++;
		return;
	}
	q->len = len;
	memcpy(q->data, pkt, len);
	STAILQ_INSERT_TAIL(&cp->queue, q, entry);
	cp->qlen++;
}

/*
 * Encrypt one packet for cp into the crypto -> net channel.  The slot is
 * meshd-net's to read: noise_encrypt() writes only ciphertext into it.
 */
static int
send_data(struct cpeer *cp, const uint8_t *pkt, size_t len, uint64_t now)
{
	struct pktchan	*ch = self->chan[CHAN_CRYPTO_NET];
	size_t		 need, outlen;
	uint8_t		*slot;
	int		 r;

	if (ch == NULL)
		return NOISE_E_STATE;
	need = noise_encrypt_size(len, mtu);
	if ((slot = pktchan_reserve(ch, need)) == NULL) {
		cp->st.drop_full++;
		return 0;
	}
	r = noise_encrypt(cp->np, now, pkt, len, mtu, slot, need, &outlen);
	if (r != 0) {
		pktchan_cancel(ch);
		return r;
	}
	pktchan_commit(ch, outlen, cp->id, NULL, 0);
	cp->st.tx_bytes += outlen;
	return 0;
}

static void
queue_flush(struct cpeer *cp, uint64_t now)
{
	struct qpkt	*q;
	int		 r;

	while ((q = STAILQ_FIRST(&cp->queue)) != NULL) {
		if ((r = send_data(cp, q->data, q->len, now)) == NOISE_E_NOKEY)
			return;
		if (r != 0)
			cp->st.drop_queue++;
		STAILQ_REMOVE_HEAD(&cp->queue, entry);
		cp->qlen--;
		freezero(q, sizeof(*q) + q->len);
	}
}

/* ep NULL: to the peer's endpoint as net knows it */
static void
send_handshake(struct cpeer *cp, const uint8_t *msg, size_t len,
    const struct mesh_endpoint *ep)
{
	struct hs_msg	hm;

	memset(&hm, 0, sizeof(hm));
	if (ep != NULL)
		hm.ep = *ep;
	hm.len = len;
	memcpy(hm.msg, msg, len);
	child_compose(PROC_NET, IMSG_HS_SEND, cp->id, -1, &hm, sizeof(hm));
	cp->st.tx_bytes += len;
}

/* the engine's timers and pending actions for one peer */
static void
peer_service(struct cpeer *cp)
{
	uint8_t		 init[WG_INIT_LEN];
	uint64_t	 now = now_ns(), next;
	uint32_t	 act;
	struct timeval	 tv;

	act = noise_peer_poll(cp->np, now);
	if (act & NOISE_ACT_INITIATE) {
		if (noise_create_initiation(cp->np, now, init) == 0)
			send_handshake(cp, init, sizeof(init), NULL);
		explicit_bzero(init, sizeof(init));
	}
	if (act & NOISE_ACT_PURGE)
		queue_purge(cp, 1);
	if (act & (NOISE_ACT_FLUSH | NOISE_ACT_KEEPALIVE)) {
		if (cp->qlen > 0)
			queue_flush(cp, now);
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
		evtimer_add(&cp->timer, &tv);
		return;
	}
	evtimer_del(&cp->timer);
	if ((next = noise_peer_next_timer(cp->np)) == UINT64_MAX)
		return;
	next = next > now ? (next - now) / CLOCK_SCALE : 0;
	tv.tv_sec = next / 1000000000ULL;
	tv.tv_usec = (next % 1000000000ULL) / 1000 + 1;
	evtimer_add(&cp->timer, &tv);
}

static void
peer_timer(int fd, short event, void *arg)
{
	peer_service(arg);
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
peer_source(struct cpeer *cp, const void *ep, size_t len, int force)
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
}

/* tun -> crypto: plaintext to encrypt */
static void
chan_outbound(struct pktchan_pkt *pkts, size_t n, uint64_t now)
{
	struct cpeer	*cp;
	size_t		 i;
	int		 r;

	for (i = 0; i < n; i++) {
		if ((cp = cpeer_find(pkts[i].peer_id)) == NULL) {
			gstats.drop_malformed++;
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
		if (r == NOISE_E_NOKEY || r == NOISE_E_EXPIRED) {
			queue_add(cp, pkts[i].data, pkts[i].len);
			peer_service(cp);
		} else if (r != 0) {
			cp->st.drop_queue++;
			log_debug("peer %u: encrypt: %s", cp->id,
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
chan_inbound(struct pktchan_pkt *pkts, size_t n, uint64_t now)
{
	struct pktchan		*ch = self->chan[CHAN_CRYPTO_TUN];
	struct noise_peer	*np;
	struct cpeer		*cp;
	uint8_t			*slot;
	size_t			 i, outlen, room;
	int			 r;

	gstats.rx_packets += n;
	if (ch == NULL) {
		/* not attached yet (the parent's messages are on the way) */
		gstats.drop_full += n;
		return;
	}
	for (i = 0; i < n; i++) {
		if (pkts[i].len < WG_DATA_MIN_LEN) {
			gstats.drop_malformed++;
			continue;
		}
		room = pkts[i].len - WG_DATA_MIN_LEN;
		if ((slot = pktchan_reserve(ch, room > 0 ? room : 1)) == NULL) {
			gstats.drop_full++;
			continue;
		}
		np = NULL;
		r = noise_decrypt(local, pkts[i].data, pkts[i].len, now, &np,
		    slot, room > 0 ? room : 1, &outlen);
		cp = np != NULL ? np->arg : NULL;
		if (r != 0) {
			pktchan_cancel(ch);
			if (r == NOISE_E_REPLAY)
				(cp ? &cp->st : &gstats)->drop_replay++;
			else
				(cp ? &cp->st : &gstats)->drop_decrypt++;
			continue;
		}
		cp->st.rx_bytes += pkts[i].len;
		peer_source(cp, pkts[i].meta, pkts[i].metalen, 0);
		if (outlen == 0)
			pktchan_cancel(ch);	/* a keepalive */
		else
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
tun_batch(struct pktchan_pkt *pkts, size_t n)
{
	chan_outbound(pkts, n, now_ns());
}

static void
net_batch(struct pktchan_pkt *pkts, size_t n)
{
	chan_inbound(pkts, n, now_ns());
}

static void
crypto_chan_ready(enum mesh_chan c)
{
	if (c == CHAN_TUN_CRYPTO)
		child_chan_consume(c, tun_batch, flush_net);
	else if (c == CHAN_NET_CRYPTO)
		child_chan_consume(c, net_batch, flush_net);
}

/*
 * The key check (meshd.h): the keys of a config are read into the stage,
 * never into the keys in use, and answered for; the config's RECONF_END
 * puts them in use.  KEY_FD opens a check.
 */
static void
stage_reset(void)
{
	explicit_bzero(stage, sizeof(*stage));
}

/* the first error is the one reported */
static void
stage_fail(uint32_t id, const char *reason)
{
	if (stage->failed)
		return;
	stage->failed = 1;
	stage->err_id = id;
	(void)strlcpy(stage->err, reason, sizeof(stage->err));
}

static void
stage_private_key(int fd)
{
	const char	*errstr;

	stage_reset();
	stage->open = 1;
	if (wg_key_read_fd(fd, stage->priv, &errstr) == -1)
		stage_fail(0, errstr);
	else
		stage->has_priv = 1;
	close(fd);
}

static void
stage_psk(uint32_t id, int fd)
{
	const char	*errstr;
	struct psk	*k;

	if (!stage->open || id == 0)
		fatalx("PSK_FD outside a key check, or of peer 0");
	if (stage->npsks == MESH_MAX_PSK) {
		stage_fail(id, "more preshared keys than meshd-crypto holds");
		close(fd);
		return;
	}
	k = &stage->psks[stage->npsks];
	if (wg_key_read_fd(fd, k->key, &errstr) == -1) {
		explicit_bzero(k, sizeof(*k));
		stage_fail(id, errstr);
	} else {
		k->id = id;
		stage->npsks++;
	}
	close(fd);
}

/* the verdict; meshd -n's check child is done after it */
static void
keycheck_end(void)
{
	uint8_t	pub[WG_KEY_LEN];

	if (!stage->open)
		fatalx("KEYCHECK_END without KEY_FD");
	if (!stage->failed && (!stage->has_priv ||
	    wg_key_public(pub, stage->priv) == -1))
		stage_fail(0, "not a usable private key");
	if (stage->failed) {
		child_compose(PROC_PARENT, IMSG_KEY_ERROR, stage->err_id, -1,
		    stage->err, strlen(stage->err) + 1);
		stage_reset();
	} else {
		stage->checked = 1;
		child_compose(PROC_PARENT, IMSG_KEYCHECK_OK, 0, -1, pub,
		    sizeof(pub));
	}
	if (self->check) {
		stage_reset();
		if (imsgbuf_flush(&self->iev[PROC_PARENT].ibuf) == -1)
			fatal("key check: write");
		exit(0);
	}
}

/* a new config: its checked keys go in use (none checked: keep ours) */
static void
keys_commit(void)
{
	uint8_t	cur[WG_KEY_LEN];

	if (!stage->checked) {
		stage_reset();
		return;
	}
	/* the same key again (a reload): keep the sessions */
	if (!has_pubkey || wg_key_public(cur, stage->priv) == -1 ||
	    CRYPTO_memcmp(cur, pubkey, sizeof(cur)) != 0) {
		if (noise_local_set_private(local, stage->priv) != 0 ||
		    noise_local_public(local, pubkey) != 0)
			fatalx("cannot use the private key");
		if (has_pubkey)
			log_info("new private key: sessions start anew");
		has_pubkey = 1;
		/* net checks mac1 and makes cookies: it needs the public key */
		child_compose(PROC_NET, IMSG_PUBKEY, 0, -1, pubkey,
		    sizeof(pubkey));
	}
	explicit_bzero(psks, MESH_MAX_PSK * sizeof(*psks));
	memcpy(psks, stage->psks, stage->npsks * sizeof(*psks));
	npsks = stage->npsks;
	stage_reset();
}

static const uint8_t *
psk_find(uint32_t id)
{
	size_t	i;

	for (i = 0; i < npsks; i++)
		if (psks[i].id == id)
			return psks[i].key;
	return NULL;
}

static void
handshake_recv(struct imsg *imsg)
{
	struct hs_msg		 hm;
	struct noise_peer	*np = NULL;
	struct cpeer		*cp;
	uint8_t			 resp[WG_RESP_LEN];
	uint64_t		 now = now_ns();
	int			 r;

	if (imsg_get_data(imsg, &hm, sizeof(hm)) == -1 ||
	    hm.len > sizeof(hm.msg) || hm.ep.addrlen > sizeof(hm.ep.addr))
		fatalx("HS_RECV: bad message");
	gstats.rx_packets++;
	switch (hm.msg[0]) {
	case WG_MSG_INITIATION:
		r = noise_consume_initiation(local, hm.msg, hm.len, now, &np);
		if (r != 0) {
			log_debug("initiation: %s", noise_strerror(r));
			gstats.drop_handshake++;
			return;
		}
		cp = np->arg;
		cp->st.rx_bytes += hm.len;
		if ((r = noise_create_response(np, now, resp)) != 0) {
			log_debug("peer %u: response: %s", cp->id,
			    noise_strerror(r));
			gstats.drop_handshake++;
			return;
		}
		peer_source(cp, &hm.ep, sizeof(hm.ep), 1);
		send_handshake(cp, resp, sizeof(resp), &hm.ep);
		log_debug("peer %u: handshake complete (responder)", cp->id);
		break;
	case WG_MSG_RESPONSE:
		r = noise_consume_response(local, hm.msg, hm.len, now, &np);
		if (r != 0) {
			log_debug("response: %s", noise_strerror(r));
			gstats.drop_handshake++;
			return;
		}
		cp = np->arg;
		cp->st.rx_bytes += hm.len;
		peer_source(cp, &hm.ep, sizeof(hm.ep), 1);
		log_debug("peer %u: handshake complete (initiator)", cp->id);
		break;
	case WG_MSG_COOKIE:
		r = noise_consume_cookie(local, hm.msg, hm.len, now, &np);
		if (r != 0) {
			log_debug("cookie reply: %s", noise_strerror(r));
			gstats.drop_handshake++;
			return;
		}
		cp = np->arg;
		break;
	default:
		fatalx("HS_RECV: type %u", hm.msg[0]);
	}
	gstats.handshakes++;
	peer_service(cp);
}

static void
send_stats(uint32_t reqid)
{
	struct mesh_peer_stats	 st;
	struct cpeer		*cp;
	struct timespec		 rt;
	uint64_t		 now = now_ns();

	clock_gettime(CLOCK_REALTIME, &rt);
	RB_FOREACH(cp, cpeer_tree, &peers) {
		st = cp->st;
		st.id = cp->id;
		st.latest_handshake = 0;
		if (cp->np->has_handshake)
			st.latest_handshake = rt.tv_sec -
			    (int64_t)((now - cp->np->last_handshake) /
			    1000000000ULL);
		child_compose(PROC_PARENT, IMSG_PEER_STATS, reqid, -1, &st,
		    sizeof(st));
	}
	child_stats_end(reqid, &gstats);
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
	case IMSG_KEYCHECK_ABORT:
		stage_reset();
		break;
	case IMSG_STATS_REQ:
		send_stats(imsg_get_id(imsg));
		break;
	default:
		child_unexpected(PROC_PARENT, imsg);
	}
}

static void
crypto_dispatch_net(struct imsg *imsg)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_HS_RECV:
		handshake_recv(imsg);
		break;
	default:
		child_unexpected(PROC_NET, imsg);
	}
}

static void
cpeer_free(struct cpeer *cp)
{
	RB_REMOVE(cpeer_tree, &peers, cp);
	evtimer_del(&cp->timer);
	queue_purge(cp, 0);
	noise_peer_free(cp->np);
	free(cp);
}

static struct cpeer *
cpeer_new(struct conf_peer *p)
{
	struct cpeer	*cp;

	if ((cp = calloc(1, sizeof(*cp))) == NULL)
		fatal(NULL);
	cp->id = p->msg.id;
	STAILQ_INIT(&cp->queue);
	if ((cp->np = noise_peer_new(local, p->msg.pubkey, cp)) == NULL) {
		log_warnx("peer %s: %s", p->msg.name, strerror(errno));
		free(cp);
		return NULL;
	}
	evtimer_set(&cp->timer, peer_timer, cp);
	RB_INSERT(cpeer_tree, &peers, cp);
	return cp;
}

/* a peer of the new config, added or updated; NULL if it has none */
static struct cpeer *
peer_configure(struct conf_peer *p, uint64_t now)
{
	struct cpeer	*cp;
	const uint8_t	*k;

	cp = cpeer_find(p->msg.id);
	if (has_pubkey &&
	    CRYPTO_memcmp(p->msg.pubkey, pubkey, WG_KEY_LEN) == 0) {
		/* the parent refuses this; the kernel ignores it too */
		log_warnx("peer %s: its public key is our own, ignored",
		    p->msg.name);
		if (cp != NULL)
			cpeer_free(cp);
		return NULL;
	}
	if (cp == NULL && (cp = cpeer_new(p)) == NULL)
		return NULL;
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
	if (cp->qlen > 0)
		noise_peer_want_session(cp->np, now);
	return cp;
}

static void
crypto_reconf(struct conf_snapshot *cs)
{
	struct conf_peer	*p;
	struct cpeer		*cp, *next;
	size_t			 i, j;
	uint64_t		 now = now_ns();

	mtu = cs->iface.mtu;
	keys_commit();
	/* peers gone, or whose key changed, go */
	RB_FOREACH_SAFE(cp, cpeer_tree, &peers, next) {
		p = conf_snapshot_find(cs, cp->id);
		if (p == NULL || memcmp(p->msg.pubkey, cp->np->pub,
		    WG_KEY_LEN) != 0)
			cpeer_free(cp);
	}
	TAILQ_FOREACH(p, &cs->peers, entry)
		if ((cp = peer_configure(p, now)) != NULL)
			peer_service(cp);
	/* forget the preshared keys of peers that are gone or lost theirs */
	for (i = j = 0; i < npsks; i++) {
		p = conf_snapshot_find(cs, psks[i].id);
		if (p != NULL && p->msg.has_psk) {
			if (i != j)
				psks[j] = psks[i];
			j++;
		}
	}
	for (i = j; i < npsks; i++)
		explicit_bzero(&psks[i], sizeof(psks[i]));
	npsks = j;
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
