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
 * meshd-net: the wire.  It owns the UDP sockets the parent bound, parses
 * every datagram first, and never sees a private or session key.
 *
 *   receive (recvmmsg): classify by type and length; handshake messages
 *	get mac1 checked (and mac2 under load, answered by a cookie reply
 *	when missing) and go to meshd-crypto over imsg; data messages go
 *	to meshd-crypto over the packet channel with their source endpoint
 *	(the remote address and the local address it came to);
 *	anything else is dropped and counted.
 *   send (sendmmsg): data from meshd-crypto to each peer's endpoint;
 *	handshake messages from meshd-crypto likewise (a response to the
 *	endpoint its initiation came from).  Everything leaves from the
 *	local address the peer's datagrams came to (endpoint.c).
 * UDP offloads (udpgso.h), each with its lever: the listen-port's sockets
 * read with UDP_GRO ("gro": the parent turns it on), each datagram the
 * kernel glued cut apart here and every piece judged as above; runs of
 * data to one peer go as one datagram with UDP_SEGMENT ("gso").  Either
 * off, the plain path: a datagram a slot, a sendmmsg entry a message.
 * A peer's endpoint comes from the config and changes only when
 * meshd-crypto reports an authenticated packet from a new source.
 * Birthday punching (punch.c) adds sockets for a while, bound by the
 * parent on net's request: an endpoint names the socket a datagram came
 * to (sock), and what goes to it leaves from that socket.  Stream
 * connections (stream.c: SSH, serve stream) carry datagrams too: theirs
 * are judged here like UDP ones, and an endpoint naming a stream sends
 * through it.  Which path a peer takes is the ladder's (ladder.c).
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/tree.h>
#include <netinet/in.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#ifndef __unused
#define __unused	__attribute__((__unused__))	/* RB_GENERATE_STATIC */
#endif

#include "child.h"
#include "cookie.h"
#include "endpoint.h"
#include "log.h"
#include "net.h"
#include "obfs.h"
#include "pktchan.h"
#include "ratelimit.h"
#include "scrape.h"
#include "udpgso.h"
#include "wgcrypto.h"
#include "wgproto.h"
#include "wire.h"

#define NET_MAX_SOCKS	MESH_UDP_SOCKS
#define NET_BATCH	64
#define NET_RXBUF	2048	/* larger datagrams are not ours: dropped */
/*
 * With UDP_GRO a read may hold 64 KiB of glued datagrams: fewer, larger
 * slots, each up to 64 datagrams, so that one read fills no more than
 * the channel to crypto holds (MESH_CHAN_SLOTS).  512 KiB, of which only
 * what the kernel wrote is ever touched.
 */
#define NET_GRO_BATCH	8
#define NET_HS_BACKLOG	4096	/* handshake messages queued to crypto */

struct udp_sock {
	int		 fd;		/* -1: a free birthday slot */
	int		 af;
	uint16_t	 id;		/* as mesh_endpoint's sock */
	uint32_t	 peer;		/* a birthday socket's */
	int		 pool;		/* 1: its attempt's; 0: kept */
	uint8_t		 gro;		/* reads glued datagrams (UDP_GRO) */
	uint8_t		 gso;		/* sends runs with UDP_SEGMENT */
	struct event	 ev;
};

/*
 * Birthday sockets (punch.c): an attempt's pool of at most
 * MESH_BDAY_SOCKS, and the winners kept for their peers' traffic.  A
 * datagram that comes to one has an endpoint naming it (sock: 1 + its
 * slot), and whatever goes to that endpoint leaves from it.
 */
#define NET_BDAY_KEEP	32
#define NET_BDAY_SLOTS	(MESH_BDAY_SOCKS + NET_BDAY_KEEP)
static struct udp_sock		 bsocks[NET_BDAY_SLOTS];

RB_HEAD(net_peer_tree, net_peer);
static int	net_peer_cmp(struct net_peer *, struct net_peer *);
RB_GENERATE_STATIC(net_peer_tree, net_peer, entry, net_peer_cmp)

static struct udp_sock		 socks[NET_MAX_SOCKS];
static size_t			 nsocks;
static struct net_peer_tree	 peers = RB_INITIALIZER(&peers);
static struct cookie_checker	 checker;
static struct cookie_load	 load;
static struct ratelimit		 ratelimit;	/* handshakes under load */
static struct mesh_peer_stats	 nopeer_stats;	/* drops of no known peer */
/* bad-mac drops are logged at most once a minute, with the rest counted */
#define NET_LOG_GAP	(60 * 1000000000ULL)
static uint64_t			 badmac_logged;
static uint64_t			 badmac_quiet;	/* not logged since */

/*
 * Handshakes meshd-crypto sent before our config or sockets came from
 * the parent (the two arrive on different pipes): held, then sent.
 */
#define NET_HS_PENDING	16
static struct {
	uint32_t	 id;
	struct hs_msg	 hm;
}				 hs_pending[NET_HS_PENDING];
static size_t			 nhs_pending;
static int			 configured;
/*
 * Our public key has come from crypto: until then mac1 cannot be
 * checked, so the sockets are not read (datagrams wait in the kernel,
 * not judged bad by a zero key).
 */
static int			 have_key;
/* the levers (mesh_lever_off), read before the sandbox */
static int			 gro_on, gso_on;
/*
 * Tests only ($MESHD_TEST_GSO_EIO): the first run goes to no kernel but
 * fails with EIO, as an older kernel (before 6.2) refuses UDP_SEGMENT on
 * a device without checksum offload, which this one segments in software.
 */
static int			 gso_test_eio;
/*
 * Obfuscation (obfs.h): the mesh's key, from its block; without a mesh
 * block no key, and every datagram is plain.  mesh_on: the mesh block
 * says obfuscation on, our records say so and coordinators are spoken
 * to so (the parent decides per peer: MESH_PEER_F_OBFS).
 */
/* the config's bound is the format's (obfs.h is the parsers', alone) */
_Static_assert(MESH_OBFS_PAD_MAX == OBFS_PAD_MAX,
    "obfuscation-padding's bound is not the format's");
static struct {
	int			 keyed;
	int			 mesh_on;
	uint8_t			 key[OBFS_KEY_LEN];
	struct obfs_range	 pad[MESH_OBFS_NPAD];
	unsigned int		 junk;
	unsigned int		 jitter;	/* ms */
} obf;

/*
 * obfuscation-jitter: a keepalive to an obfuscated path waits a random
 * 0 .. jitter ms, so that keepalives do not tick like a clock.  One is
 * held per peer; a newer one replaces it (its counter is higher: the
 * older would be a replay after it anyway).
 */
struct ka_hold {
	struct event	 ev;
	struct net_peer	*np;
	uint8_t		 msg[WG_DATA_MIN_LEN];
};

static int	 sock_for(int);
static void	 endpoint_set(uint32_t, const struct mesh_endpoint *, int);
static void	 net_dispatch_parent(struct imsg *);
static void	 net_dispatch_crypto(struct imsg *);
static void	 net_reconf(struct conf_snapshot *);
static void	 net_chan_ready(enum mesh_chan);
static void	 net_init(void);
static void	 net_bday_socket(struct imsg *);
static void	 wire_in(const uint8_t *, size_t, struct mesh_endpoint *,
		    const struct sockaddr_storage *, socklen_t, int, uint64_t);

static struct child net_child = {
	.role = PROC_NET,
	.dispatch = {
		[PROC_PARENT] = net_dispatch_parent,
		[PROC_CRYPTO] = net_dispatch_crypto,
	},
	.reconf = net_reconf,
	.chan_ready = net_chan_ready,
};

static int
net_peer_cmp(struct net_peer *a, struct net_peer *b)
{
	return a->id < b->id ? -1 : a->id > b->id;
}

struct net_peer *
net_peer_find(uint32_t id)
{
	struct net_peer	key;

	key.id = id;
	return RB_FIND(net_peer_tree, &peers, &key);
}

struct net_peer *
net_peer_first(void)
{
	return RB_MIN(net_peer_tree, &peers);
}

struct net_peer *
net_peer_next(struct net_peer *np)
{
	return RB_NEXT(net_peer_tree, &peers, np);
}

struct net_peer *
net_peer_dyn(uint32_t id)
{
	struct net_peer	*np;

	if (id < MESH_DYN_ID_MIN)
		return net_peer_find(id);
	if ((np = net_peer_find(id)) != NULL)
		return np;
	if ((np = calloc(1, sizeof(*np))) == NULL)
		fatal(NULL);
	np->id = id;
	RB_INSERT(net_peer_tree, &peers, np);
	return np;
}

void
net_peer_forget(struct net_peer *np)
{
	net_bday_close(np->id, 0, 0);
	stream_peer_gone(np->id);
	ladder_peer_free(np);
	coord_peer_free(np);
	punch_peer_free(np);
	ka_peer_free(np);
	if (np->ka_hold != NULL) {
		evtimer_del(&np->ka_hold->ev);
		free(np->ka_hold);
	}
	RB_REMOVE(net_peer_tree, &peers, np);
	free(np->conf_ep);
	free(np);
}

void
net_sent(struct net_peer *np, size_t len)
{
	np->tx_bytes += len;
	np->tx_packets++;
	if (np->ka != NULL)
		np->tx_ns = mesh_monotonic_ns();
}

/* the configured endpoint, as the config or a resolved name gave it */
static void
conf_ep_set(struct net_peer *np, const uint8_t *ep, size_t len)
{
	if (len > sizeof(struct sockaddr_in6))
		fatalx("peer %u: configured endpoint of %zu bytes", np->id,
		    len);
	if (len != np->conf_eplen) {
		free(np->conf_ep);
		np->conf_ep = NULL;
		np->conf_eplen = 0;
		if (len > 0 && (np->conf_ep = malloc(len)) == NULL)
			fatal(NULL);
		np->conf_eplen = len;
	}
	if (len > 0)
		memcpy(np->conf_ep, ep, len);
}

/* 1 if ep is the configured endpoint */
static int
conf_ep_is(const struct net_peer *np, const uint8_t *ep, size_t len)
{
	return np->conf_eplen == len &&
	    (len == 0 || memcmp(np->conf_ep, ep, len) == 0);
}

struct mesh_peer_stats *
net_stats(void)
{
	return &nopeer_stats;
}

int
net_has_family(int af)
{
	return sock_for(af) != -1;
}

static void
net_init(void)
{
	uint8_t	k[WG_KEY_LEN], n[24], out[WG_TAG_LEN];
	size_t	i;

	/*
	 * Cookie secrets come from RAND_bytes and cookie replies use
	 * XChaCha20-Poly1305: OpenSSL reads its config and seeds its DRBG
	 * on first use, so use both now, while files can be opened.
	 */
	if (OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL) != 1 ||
	    RAND_bytes(k, sizeof(k)) != 1)
		fatalx("OpenSSL initialisation failed");
	memset(n, 0, sizeof(n));
	if (wg_xaead_encrypt(out, k, n, NULL, 0, NULL, 0) != 0)
		fatalx("OpenSSL XChaCha20-Poly1305 self-check failed");
	if (RAND_bytes(k, sizeof(k)) != 1)
		fatalx("RAND_bytes failed");
	/* the parent reads the same lever when it turns UDP_GRO on */
	gro_on = udp_gso_supported() && !mesh_lever_off("gro");
	gso_on = udp_gso_supported() && !mesh_lever_off("gso");
	gso_test_eio = getenv("MESHD_TEST_GSO_EIO") != NULL;
	ratelimit_init(&ratelimit, k);
	explicit_bzero(k, sizeof(k));
	cookie_checker_init(&checker, NULL, NULL);
	relay_init();
	for (i = 0; i < NET_BDAY_SLOTS; i++) {
		bsocks[i].fd = -1;
		bsocks[i].id = i + 1;
	}
	punch_init();
	ladder_init();
	ka_init();
}

/* the socket for ep: its birthday socket, if it names one still open */
static int
sock_for_ep(const struct mesh_endpoint *ep)
{
	int	af = ep_family(ep);

	if (ep->sock != 0 && ep->sock <= NET_BDAY_SLOTS &&
	    bsocks[ep->sock - 1].fd != -1 && bsocks[ep->sock - 1].af == af)
		return bsocks[ep->sock - 1].fd;
	return sock_for(af);
}

static int
sock_for(int af)
{
	size_t	i;

	for (i = 0; i < nsocks; i++)
		if (socks[i].af == af)
			return socks[i].fd;
	return -1;
}

/* one datagram to ep, as it is, from its local address: 0 or -1 */
static int
send_raw(const void *msg, size_t len, struct mesh_endpoint *ep)
{
	struct msghdr	mh;
	struct iovec	iov;
	union ep_cmsg	cm;
	int		fd;

	/* a relay connection's: inside a WebSocket frame (relay.c) */
	if (ep->sock >= MESH_EP_RELAY)
		return ep->sock < MESH_EP_RELAY + MESH_EP_SLOTS ?
		    relay_send(ep, msg, len) : -1;
	/* a stream's: length-framed (stream.c) */
	if (ep->sock >= MESH_EP_STREAM)
		return stream_send(ep->sock, msg, len);
	if ((fd = sock_for_ep(ep)) == -1)
		return -1;
	iov.iov_base = (uint8_t *)(uintptr_t)msg;	/* sendmsg's iov */
	iov.iov_len = len;
	do {
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		ep_msghdr(ep, &mh, &cm);
		if (sendmsg(fd, &mh, 0) != -1)
			return 0;
	} while (ep_local_gone(ep, errno));
	if (errno != EAGAIN)
		log_debug("sendmsg: %s", strerror(errno));
	return -1;
}

void
net_ep_mode(const struct net_peer *np, struct mesh_endpoint *ep)
{
	if (np->obfs && obf.keyed)
		ep->flags |= MESH_EP_OBFS;
	else
		ep->flags &= ~MESH_EP_OBFS;
}

int
net_obfs_mesh(void)
{
	return obf.keyed && obf.mesh_on;
}

/*
 * Before an initiation over UDP, which begins a flow as a censor sees
 * one: a prelude first (obfs_prelude(): the flow's first packet meets an
 * exemption of the rule against fully encrypted traffic), then junk,
 * random bytes of random lengths, if the mesh asks for it.
 */
static void
obfs_before(struct mesh_endpoint *ep)
{
	struct obfs_range	 r = obf.pad[MESH_OBFS_HANDSHAKE];
	uint8_t			 buf[MESH_OBFS_PAD_MAX + WG_INIT_LEN];
	size_t			 n;
	unsigned int		 i;

	if (obf.pad[MESH_OBFS_PRELUDE].max > 0 &&
	    (n = obfs_prelude(buf, sizeof(buf),
	    &obf.pad[MESH_OBFS_PRELUDE])) > 0 && send_raw(buf, n, ep) == 0)
		nopeer_stats.mesh[MESH_CTR_OBFS_PRELUDES]++;
	/* junk as long as an initiation and its padding */
	r.min += WG_INIT_LEN;
	r.max += WG_INIT_LEN;
	for (i = 0; i < obf.junk; i++) {
		n = r.min + arc4random_uniform(r.max - r.min + 1);
		arc4random_buf(buf, n);
		if (send_raw(buf, n, ep) == 0)
			nopeer_stats.mesh[MESH_CTR_OBFS_PRELUDES]++;
	}
}

/*
 * msg sealed into out (NET_RXBUF) with padding from the mesh's range for
 * its kind: its length, or 0 (no WireGuard message: not sent).
 */
static size_t
obfs_out(const uint8_t *msg, size_t len, struct mesh_endpoint *ep,
    uint8_t *out)
{
	size_t	pad, n;
	int	data = len > 0 && msg[0] == WG_MSG_DATA;

	pad = obfs_pad(&obf.pad[data ? MESH_OBFS_DATA : MESH_OBFS_HANDSHAKE],
	    data ? len : len + OBFS_NONCE_LEN, OBFS_DGRAM_MAX);
	if ((n = obfs_seal(obf.key, msg, len, pad, out, NET_RXBUF)) == 0)
		return 0;
	if (msg[0] == WG_MSG_INITIATION && ep->sock < MESH_EP_STREAM)
		obfs_before(ep);
	nopeer_stats.mesh[MESH_CTR_OBFS_SENT]++;
	return n;
}

/*
 * One message to ep: 0 or -1.  A path that speaks the obfuscated format
 * (MESH_EP_OBFS) gets it sealed.
 */
static int
send_to(const void *msg, size_t len, struct mesh_endpoint *ep)
{
	static uint8_t	sealed[NET_RXBUF];

	if ((ep->flags & MESH_EP_OBFS) && obf.keyed) {
		if ((len = obfs_out(msg, len, ep, sealed)) == 0)
			return -1;
		msg = sealed;
	}
	return send_raw(msg, len, ep);
}

int
net_send_ep(const void *msg, size_t len, struct mesh_endpoint *ep)
{
	return send_to(msg, len, ep);
}

int
net_sendto(const struct sockaddr *sa, socklen_t salen, const void *msg,
    size_t len)
{
	struct mesh_endpoint	ep;

	if (salen > sizeof(ep.addr))
		return -1;
	ep_set_remote(&ep, sa, salen);
	return send_to(msg, len, &ep);
}

/*
 * A handshake with a bad mac1 from sa: most often a peer with a wrong
 * public key for us.  Named, but a flood must not flood the log.
 */
static void
badmac_log(const struct sockaddr_storage *sa, socklen_t salen, uint64_t now)
{
	char	buf[MESH_ENDPOINT_MAX];

	if (badmac_logged != 0 && now - badmac_logged < NET_LOG_GAP) {
		badmac_quiet++;
		return;
	}
	mesh_sockaddr_ntop(sa, salen, buf, sizeof(buf));
	if (badmac_quiet > 0)
		log_info("handshake with a bad mac from %s (does it have our "
		    "public key right?); %llu more since the last report",
		    buf, (unsigned long long)badmac_quiet);
	else
		log_info("handshake with a bad mac from %s (does it have our "
		    "public key right?)", buf);
	badmac_logged = now;
	badmac_quiet = 0;
}

/* a handshake message or cookie reply for meshd-crypto, if it has room */
static void
handshake_in(const uint8_t *msg, size_t len, const struct mesh_endpoint *ep)
{
	struct imsgev	*crypto = &self->iev[PROC_CRYPTO];
	struct hs_msg	 hm;

	if (imsgbuf_queuelen(&crypto->ibuf) >= NET_HS_BACKLOG) {
		nopeer_stats.drop_full++;
		return;
	}
	memset(&hm, 0, sizeof(hm));
	hm.ep = *ep;
	hm.len = len;
	memcpy(hm.msg, msg, len);
	child_compose(PROC_CRYPTO, IMSG_HS_RECV, 0, -1, &hm, sizeof(hm));
	nopeer_stats.handshakes++;
}

/*
 * One datagram as read, from ep: a datagram GRO glued (gso: the size it
 * reported) goes piece by piece, each as if it had come alone.
 */
static void
udp_in(const uint8_t *buf, size_t len, int gso,
    const struct mesh_endpoint *ep, const struct sockaddr_storage *from,
    socklen_t fromlen, int busy, uint64_t now)
{
	struct mesh_endpoint	 sep;
	struct udp_segs		 segs;
	const uint8_t		*seg;
	size_t			 seglen, n = 0;

	udp_segs_init(&segs, buf, len, gso);
	while (udp_segs_next(&segs, &seg, &seglen)) {
		n++;
		sep = *ep;	/* a piece's cookie reply may change it */
		/* STUN, and the gateway's PCP/NAT-PMP: discover.c's */
		if (disc_udp_in(seg, seglen, from, &sep))
			continue;
		wire_in(seg, seglen, &sep, from, fromlen, busy, now);
	}
	nopeer_stats.rx_packets += n;
	if (n > 1) {
		nopeer_stats.mesh[MESH_CTR_UDP_GRO_RECV]++;
		nopeer_stats.mesh[MESH_CTR_UDP_GRO_SEGMENTS] += n;
	}
}

static void
net_udp_read(int fd, short event, void *arg)
{
	struct udp_sock		*us = arg;
	static uint8_t		 bufs[NET_BATCH][NET_RXBUF];
	static uint8_t		 gro_bufs[NET_GRO_BATCH][UDP_GRO_BUF];
	struct sockaddr_storage	 from[NET_BATCH];
	union udp_gro_cmsg	 cms[NET_BATCH];
	struct mmsghdr		 msgs[NET_BATCH];
	struct iovec		 iov[NET_BATCH];
	struct mesh_endpoint	 ep;
	struct imsgev		*crypto = &self->iev[PROC_CRYPTO];
	uint64_t		 now;
	int			 i, n, busy, batch;

	batch = us->gro ? NET_GRO_BATCH : NET_BATCH;
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < batch; i++) {
		if (us->gro) {
			iov[i].iov_base = gro_bufs[i];
			iov[i].iov_len = sizeof(gro_bufs[i]);
		} else {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
		}
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &from[i];
		msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
		msgs[i].msg_hdr.msg_control = cms[i].buf;
		msgs[i].msg_hdr.msg_controllen = sizeof(cms[i].buf);
	}
	if ((n = recvmmsg(fd, msgs, batch, MSG_DONTWAIT, NULL)) == -1) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("recvmmsg");
		return;
	}
	now = mesh_monotonic_ns();
	/* under load: judged by the handshakes waiting for meshd-crypto */
	busy = cookie_load_update(&load, imsgbuf_queuelen(&crypto->ibuf),
	    NET_HS_BACKLOG, now);
	for (i = 0; i < n; i++) {
		if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
			nopeer_stats.rx_packets++;
			nopeer_stats.drop_malformed++;
			continue;
		}
		ep_from_msghdr(&ep, &msgs[i].msg_hdr);
		ep.sock = us->id;
		udp_in(iov[i].iov_base, msgs[i].msg_len,
		    us->gro ? udp_gro_size(&msgs[i].msg_hdr) : 0, &ep,
		    &from[i], msgs[i].msg_hdr.msg_namelen, busy, now);
		/* up to 64 datagrams each: crypto starts on them now */
		if (us->gro)
			net_wire_flush();
	}
	net_wire_flush();
}

/*
 * One datagram from the wire, from ep (a UDP socket's, or a stream's:
 * from is then the stream's remote address): to crypto if it is ours.
 */
static void
wire_in(const uint8_t *buf, size_t len, struct mesh_endpoint *ep,
    const struct sockaddr_storage *from, socklen_t fromlen, int busy,
    uint64_t now)
{
	struct pktchan		*ch = self->chan[CHAN_NET_CRYPTO];
	struct mesh_endpoint	 oep;
	uint8_t			 src[WIRE_SRC_MAX], reply[WG_COOKIE_MSG_LEN];
	uint8_t			 opened[NET_RXBUF];
	size_t			 srclen, n;

	/*
	 * Not a plain WireGuard message: an obfuscated one, if it opens
	 * under the mesh's key; answered as it came (the endpoint's flag
	 * goes to crypto and back).
	 */
	if (obf.keyed && wg_msg_type(buf, len) == 0) {
		if ((n = obfs_open(obf.key, buf, len, opened,
		    sizeof(opened))) == 0) {
			nopeer_stats.drop_malformed++;
			return;
		}
		nopeer_stats.mesh[MESH_CTR_OBFS_RECV]++;
		oep = *ep;
		oep.flags |= MESH_EP_OBFS;
		ep = &oep;
		buf = opened;
		len = n;
	}
	srclen = wire_src(from, src);
	switch (wire_check(&checker, buf, len, src, srclen, busy, now,
	    reply)) {
	case WIRE_MALFORMED:
		nopeer_stats.drop_malformed++;
		break;
	case WIRE_BAD_MAC:
		nopeer_stats.drop_mac++;
		badmac_log(from, fromlen, now);
		break;
	case WIRE_COOKIE_REPLY:
		send_to(reply, sizeof(reply), ep);
		nopeer_stats.cookie_sent++;
		break;
	case WIRE_HANDSHAKE:
		/* under load, even a proven address gets its share */
		if (busy && buf[0] != WG_MSG_COOKIE &&
		    !ratelimit_allow(&ratelimit, src, srclen, now)) {
			nopeer_stats.drop_ratelimit++;
			break;
		}
		handshake_in(buf, len, ep);
		break;
	case WIRE_DATA:
		if (ch == NULL || pktchan_push(ch, 0, ep, sizeof(*ep), buf,
		    len) == -1)
			nopeer_stats.drop_full++;
		break;
	}
}

void
net_wire_in(const uint8_t *buf, size_t len, struct mesh_endpoint *ep)
{
	struct imsgev		*crypto = &self->iev[PROC_CRYPTO];
	struct sockaddr_storage	 from;
	uint64_t		 now = mesh_monotonic_ns();
	int			 busy;

	if (!have_key) {
		/* mac1 cannot be checked yet: as if never read */
		nopeer_stats.drop_full++;
		return;
	}
	nopeer_stats.rx_packets++;
	busy = cookie_load_update(&load, imsgbuf_queuelen(&crypto->ibuf),
	    NET_HS_BACKLOG, now);
	memset(&from, 0, sizeof(from));
	memcpy(&from, ep->addr, ep->addrlen);
	wire_in(buf, len, ep, &from, ep->addrlen, busy, now);
}

void
net_wire_flush(void)
{
	if (self->chan[CHAN_NET_CRYPTO] != NULL)
		pktchan_flush(self->chan[CHAN_NET_CRYPTO]);
}

/*
 * The data messages for one socket, and the peer of each: a sendmmsg
 * entry a message (the plain path), and with UDP_SEGMENT the runs of
 * them to one peer, an entry a run.
 */
struct sendq {
	struct mmsghdr		 msgs[NET_BATCH];
	union ep_cmsg		 cms[NET_BATCH];
	struct iovec		 iov[NET_BATCH];
	struct net_peer		*who[NET_BATCH];
	size_t			 n;
	struct mmsghdr		 runs[NET_BATCH];
	union udp_gso_cmsg	 rcms[NET_BATCH];
	size_t			 first[NET_BATCH];	/* its messages' */
	size_t			 count[NET_BATCH];
	size_t			 nruns;
};

static void
sendq_add(struct sendq *q, struct net_peer *np, void *data, size_t len)
{
	struct msghdr	*mh = &q->msgs[q->n].msg_hdr;

	q->iov[q->n].iov_base = data;
	q->iov[q->n].iov_len = len;
	memset(mh, 0, sizeof(*mh));
	mh->msg_iov = &q->iov[q->n];
	mh->msg_iovlen = 1;
	ep_msghdr(&np->ep, mh, &q->cms[q->n]);
	q->who[q->n++] = np;
}

/*
 * Message k failed alone with err.  If it went from a local address
 * that is gone, its peer forgets the address and it goes again from the
 * kernel's choice (and so do the peer's later messages in the batch,
 * built before): 1, send it again; else 0.
 */
static int
sendq_retry(struct sendq *q, size_t k, int err)
{
	struct msghdr	*mh = &q->msgs[k].msg_hdr;
	struct net_peer	*np = q->who[k];

	(void)ep_local_gone(&np->ep, err);
	if (mh->msg_control == NULL || np->ep.local_af != 0)
		return 0;
	ep_msghdr(&np->ep, mh, &q->cms[k]);
	return 1;
}

/* messages k to k + n - 1 went out: each peer's own */
static void
sendq_sent(struct sendq *q, size_t k, int n)
{
	size_t	end = k + n;

	for (; k < end; k++)
		net_sent(q->who[k], q->msgs[k].msg_len);
}

/* messages k to end - 1, an entry each: the plain path */
static void
sendq_flush_plain(int fd, struct sendq *q, size_t k, size_t end)
{
	int	sent;

	for (; k < end; k += sent) {
		if ((sent = sendmmsg(fd, &q->msgs[k], end - k, 0)) > 0) {
			sendq_sent(q, k, sent);
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS) {
			/* the socket buffer is full: drop */
			nopeer_stats.drop_full += end - k;
			break;
		}
		sent = 0;
		if (!sendq_retry(q, k, errno)) {
			/* this one is bad (no route...): skip it alone */
			nopeer_stats.drop_noroute++;
			sent = 1;
		}
	}
}

/*
 * The runs: messages in a row to one peer, of one length but the last
 * (udp_gso_run); a run of one goes as it is, with no segment size.
 */
static void
sendq_runs(struct sendq *q)
{
	struct msghdr	*mh;
	size_t		 k, end, n;

	q->nruns = 0;
	for (k = 0; k < q->n; k += n) {
		for (end = k + 1; end < q->n && q->who[end] == q->who[k] &&
		    !q->who[k]->gso_off; end++)
			;
		n = udp_gso_run(&q->iov[k], end - k);
		q->runs[q->nruns].msg_hdr = q->msgs[k].msg_hdr;
		mh = &q->runs[q->nruns].msg_hdr;
		if (n > 1) {
			mh->msg_iovlen = n;
			udp_gso_msghdr(mh, &q->rcms[q->nruns],
			    q->iov[k].iov_len);
		}
		q->first[q->nruns] = k;
		q->count[q->nruns++] = n;
	}
}

/* runs r to r + n - 1 went out */
static void
sendq_runs_sent(struct sendq *q, size_t r, int n)
{
	size_t	end = r + n, k;

	for (; r < end; r++) {
		for (k = q->first[r]; k < q->first[r] + q->count[r]; k++)
			net_sent(q->who[k], q->iov[k].iov_len);
		if (q->count[r] > 1) {
			nopeer_stats.mesh[MESH_CTR_UDP_GSO_SENT]++;
			nopeer_stats.mesh[MESH_CTR_UDP_GSO_SEGMENTS] +=
			    q->count[r];
		}
	}
}

/*
 * The kernel refused run r (err): its messages go the plain way.  EIO
 * says the socket's device cannot (no checksum offload): the socket
 * sends plain from now on.  EINVAL or EMSGSIZE for a run is the peer's
 * path (a segment larger than its MTU, where a plain datagram would be
 * fragmented): the peer sends plain until its endpoint changes; unless
 * it was the run's local address that went away (the plain path forgets
 * it, and the runs after it in the batch still name it).
 */
static void
sendq_refused(struct udp_sock *us, struct sendq *q, size_t r, int err)
{
	struct net_peer	*np = q->who[q->first[r]];
	char		 buf[MESH_ENDPOINT_MAX + 64];
	int		 had_local;

	had_local = q->runs[r].msg_hdr.msg_controllen >
	    CMSG_SPACE(sizeof(uint16_t));
	sendq_flush_plain(us->fd, q, q->first[r], q->first[r] + q->count[r]);
	if (q->count[r] == 1)
		return;		/* as the plain path would have done */
	nopeer_stats.mesh[MESH_CTR_UDP_GSO_REFUSED]++;
	if (err == EIO) {
		log_info("UDP_SEGMENT refused (%s): sending without it",
		    strerror(err));
		us->gso = 0;
	} else if ((err == EINVAL || err == EMSGSIZE) &&
	    !(had_local && np->ep.local_af == 0)) {
		log_debug("peer %s: UDP_SEGMENT to %s refused (%s): sending "
		    "without it", np->name, ep_ntop(&np->ep, buf,
		    sizeof(buf)), strerror(err));
		np->gso_off = 1;
	}
}

static void
sendq_flush(struct udp_sock *us, struct sendq *q)
{
	size_t	r, n, m;
	int	sent;

	if (!us->gso) {
		sendq_flush_plain(us->fd, q, 0, q->n);
		return;
	}
	sendq_runs(q);
	for (r = 0; r < q->nruns; r += sent) {
		n = q->nruns - r;
		/* tests: those before the first run of more than one go */
		for (m = r; gso_test_eio && m < q->nruns && q->count[m] == 1;
		    m++)
			;
		if (gso_test_eio && m < q->nruns)
			n = m - r;
		if (n == 0) {
			gso_test_eio = 0;
			sent = -1;
			errno = EIO;
		} else
			sent = sendmmsg(us->fd, &q->runs[r], n, 0);
		if (sent > 0) {
			sendq_runs_sent(q, r, sent);
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS) {
			nopeer_stats.drop_full += q->n - q->first[r];
			break;
		}
		sendq_refused(us, q, r, errno);
		sent = 1;
		if (!us->gso) {
			/* the rest plain, as built before the runs */
			if (r + 1 < q->nruns)
				sendq_flush_plain(us->fd, q, q->first[r + 1],
				    q->n);
			break;
		}
	}
}

/*
 * A data message to an obfuscated path, sealed into out: its length, or
 * 0.  Messages in a row to one peer of one length in a batch get one
 * padding, so that a run still goes as one UDP_SEGMENT datagram (a run's
 * lengths are equal); the next run, and every batch, draws again.
 */
struct obfs_run {
	struct net_peer	*np;
	size_t		 len, pad;
};

static size_t
obfs_data(struct obfs_run *run, struct net_peer *np, const uint8_t *msg,
    size_t len, uint8_t *out)
{
	if (np != run->np || len != run->len) {
		run->np = np;
		run->len = len;
		run->pad = obfs_pad(&obf.pad[MESH_OBFS_DATA], len,
		    OBFS_DGRAM_MAX);
	}
	if ((len = obfs_seal(obf.key, msg, len, run->pad, out,
	    NET_RXBUF)) > 0)
		nopeer_stats.mesh[MESH_CTR_OBFS_SENT]++;
	return len;
}

static void
ka_hold_fire(int fd, short event, void *arg)
{
	struct ka_hold	*h = arg;

	if (send_to(h->msg, sizeof(h->msg), &h->np->ep) == 0)
		net_sent(h->np, sizeof(h->msg));
}

/* 1 if the keepalive msg was taken to be sent later */
static int
ka_hold(struct net_peer *np, const uint8_t *msg, size_t len)
{
	struct ka_hold	*h;
	struct timeval	 tv;
	uint32_t	 ms;

	if (obf.jitter == 0 || len != WG_DATA_MIN_LEN)
		return 0;
	if ((h = np->ka_hold) == NULL) {
		if ((h = calloc(1, sizeof(*h))) == NULL)
			return 0;
		h->np = np;
		evtimer_set(&h->ev, ka_hold_fire, h);
		np->ka_hold = h;
	}
	memcpy(h->msg, msg, sizeof(h->msg));
	ms = arc4random_uniform(obf.jitter + 1);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(&h->ev, &tv);
	return 1;
}

/* crypto -> net: data messages to send, batched per socket */
static void
outbound_send(struct pktchan_pkt *pkts, size_t n)
{
	static struct sendq	 q[NET_MAX_SOCKS];
	static uint8_t		 sealed[NET_BATCH][NET_RXBUF];
	struct obfs_run		 run = { NULL, 0, 0 };
	struct mesh_endpoint	 ep;
	struct net_peer		*np;
	uint8_t			*data;
	size_t			 i, len;
	int			 s;

	for (s = 0; s < (int)nsocks; s++)
		q[s].n = 0;
	for (i = 0; i < n && i < NET_BATCH; i++) {
		/* crypto's news of an endpoint may come with the data */
		if (pkts[i].metalen == sizeof(ep)) {
			memcpy(&ep, pkts[i].meta, sizeof(ep));
			endpoint_set(pkts[i].peer_id, &ep, 1);
		} else if (pkts[i].metalen != 0)
			fatalx("data from crypto: metadata of %u bytes",
			    pkts[i].metalen);
		if ((np = net_peer_find(pkts[i].peer_id)) == NULL ||
		    np->ep.addrlen == 0) {
			if (np != NULL)
				np->drop_noroute++;
			else
				nopeer_stats.drop_noroute++;
			continue;
		}
		if (np->ep.sock != 0) {
			/*
			 * A birthday socket's path, a stream's or a relay's:
			 * one at a time; a probe's copy over UDP goes first
			 */
			ladder_probe(np, pkts[i].data, pkts[i].len);
			if (send_to(pkts[i].data, pkts[i].len, &np->ep) == 0)
				net_sent(np, pkts[i].len);
			else
				np->drop_noroute++;
			continue;
		}
		for (s = 0; s < (int)nsocks; s++)
			if (socks[s].af == ep_family(&np->ep))
				break;
		if (s == (int)nsocks) {
			np->drop_noroute++;
			continue;
		}
		data = pkts[i].data;
		len = pkts[i].len;
		if ((np->ep.flags & MESH_EP_OBFS) && obf.keyed) {
			if (ka_hold(np, data, len))
				continue;
			if ((len = obfs_data(&run, np, data, len,
			    sealed[i])) == 0) {
				np->drop_noroute++;
				continue;
			}
			data = sealed[i];
		}
		sendq_add(&q[s], np, data, len);
	}
	for (s = 0; s < (int)nsocks; s++)
		sendq_flush(&socks[s], &q[s]);
}

static void
net_chan_ready(enum mesh_chan c)
{
	if (c == CHAN_CRYPTO_NET)
		child_chan_consume(c, outbound_send, NULL);
}

static void
net_add_socket(int fd, int first)
{
	struct udp_sock		*us;
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	if (first || nsocks == NET_MAX_SOCKS) {
		/* a new listen-port: the parent sends a fresh set */
		while (nsocks > 0) {
			us = &socks[--nsocks];
			event_del(&us->ev);
			close(us->fd);
		}
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		fatal("getsockname");
	us = &socks[nsocks++];
	us->fd = fd;
	us->af = ss.ss_family;
	us->id = 0;
	/* the parent turned UDP_GRO on for these, by the same lever */
	us->gro = gro_on;
	us->gso = gso_on;
	event_set(&us->ev, fd, EV_READ | EV_PERSIST, net_udp_read, us);
	if (have_key)
		event_add(&us->ev, NULL);
}

static void
handshake_send(uint32_t id, struct hs_msg *hm)
{
	struct net_peer	*np;
	int		 lower;

	if (!configured || nsocks == 0) {
		if (nhs_pending < NET_HS_PENDING) {
			hs_pending[nhs_pending].id = id;
			hs_pending[nhs_pending].hm = *hm;
			nhs_pending++;
		}
		return;
	}
	np = net_peer_find(id);
	if (hm->ep.addrlen > 0) {
		if (send_to(hm->msg, hm->len, &hm->ep) == 0 && np != NULL)
			net_sent(np, hm->len);
		return;
	}
	/*
	 * The ladder first: after initiations unanswered on the direct path
	 * it moves the peer down (SSH, relay).  For a member with no
	 * confirmed path punch.c sprays it at every candidate; on a lower
	 * path it goes there as well (a copy the other side takes second is
	 * refused as a replay), so punching goes on trying to climb back.
	 */
	if (np != NULL && hm->msg[0] == WG_MSG_INITIATION) {
		lower = ladder_initiation(np, hm);
		if (punch_initiation(np, hm) && !lower)
			return;
	}
	if (np == NULL || np->ep.addrlen == 0) {
		/* no endpoint: wait for the peer to come to us */
		if (np != NULL)
			np->drop_noroute++;
		else
			nopeer_stats.drop_noroute++;
		return;
	}
	if (send_to(hm->msg, hm->len, &np->ep) == 0)
		net_sent(np, hm->len);
}

static void
handshake_pending(void)
{
	size_t	i, n = nhs_pending;

	if (!configured || nsocks == 0)
		return;
	nhs_pending = 0;
	for (i = 0; i < n; i++)
		handshake_send(hs_pending[i].id, &hs_pending[i].hm);
	explicit_bzero(hs_pending, sizeof(hs_pending));
}

static void
handshake_out(struct imsg *imsg)
{
	struct hs_msg	 hm;

	if (imsg_get_data(imsg, &hm, sizeof(hm)) == -1 ||
	    hm.len > sizeof(hm.msg) || hm.ep.addrlen > sizeof(hm.ep.addr))
		fatalx("HS_SEND: bad message");
	handshake_send(imsg_get_id(imsg), &hm);
}

/*
 * crypto authenticated a packet of peer id from ep: its endpoint now.
 * data: said with a data message, after (or before) the imsg said it.
 */
static void
endpoint_set(uint32_t id, const struct mesh_endpoint *ep, int data)
{
	struct net_peer			*np;
	char				 buf[MESH_ENDPOINT_MAX + 64];

	if (ep_family(ep) == 0 || ep->addrlen > sizeof(ep->addr) ||
	    (ep->local_af != 0 && ep->local_af != ep_family(ep)))
		fatalx("endpoint from crypto: bad");
	/* a provisional peer at a coordinator is first heard of here */
	if ((np = net_peer_dyn(id)) == NULL)
		return;
	if (data && memcmp(&np->ep, ep, sizeof(*ep)) == 0)
		return;		/* the imsg said it first */
	log_debug("peer %s: authenticated from %s", np->name,
	    ep_ntop(ep, buf, sizeof(buf)));
	/* the ladder decides whether it is the peer's endpoint now */
	ladder_auth(np, ep);
	np->gso_off = 0;	/* a new path may take UDP_SEGMENT */
	if (ep->sock < MESH_EP_STREAM)
		punch_authenticated(np);
}

static void
endpoint_update(struct imsg *imsg)
{
	struct mesh_endpoint_msg	 em;

	if (imsg_get_data(imsg, &em, sizeof(em)) == -1)
		fatalx("ENDPOINT: bad message");
	endpoint_set(em.id, &em.ep, 0);
}

static void
send_stats(uint32_t reqid)
{
	struct mesh_peer_stats	 st;
	struct net_peer		*np;

	RB_FOREACH(np, net_peer_tree, &peers) {
		/*
		 * A peer with nothing to say is left out: the parent
		 * shows it with zeros all the same (it lists the peers
		 * and members it knows), and 10,000 records of 952 bytes
		 * are not queued at once (their pages stayed ours).
		 */
		if (np->ep.addrlen == 0 && np->tx_bytes == 0 &&
		    np->tx_packets == 0 && np->drop_noroute == 0)
			continue;
		memset(&st, 0, sizeof(st));
		st.id = np->id;
		memcpy(st.endpoint, np->ep.addr, np->ep.addrlen);
		st.endpoint_len = np->ep.addrlen;
		st.tx_bytes = np->tx_bytes;
		st.tx_packets = np->tx_packets;
		st.drop_noroute = np->drop_noroute;
		child_compose(PROC_PARENT, IMSG_PEER_STATS, reqid, -1, &st,
		    sizeof(st));
	}
	punch_stats(reqid);
	ladder_stats(reqid);
	relay_stats_fill(&nopeer_stats);
	child_stats_end(reqid, &nopeer_stats);
}

static void
net_udp_socket(struct imsg *imsg)
{
	uint8_t	first;
	int	fd;

	if (imsg_get_data(imsg, &first, sizeof(first)) == -1)
		fatalx("UDP_SOCKET: bad length");
	if ((fd = imsg_get_fd(imsg)) == -1)
		fatalx("UDP_SOCKET without a socket");
	net_add_socket(fd, first);
	handshake_pending();
}

/* --- birthday sockets ---------------------------------------------- */

void
net_bday_request(uint32_t id, int af, uint16_t count)
{
	struct mesh_bday_req	req;

	memset(&req, 0, sizeof(req));
	req.id = id;
	req.af = af == AF_INET ? 4 : 6;
	req.count = count > MESH_BDAY_SOCKS ? MESH_BDAY_SOCKS : count;
	child_compose(PROC_PARENT, IMSG_BDAY_REQ, 0, -1, &req, sizeof(req));
}

static size_t
bday_count(int pool)
{
	size_t	i, n = 0;

	for (i = 0; i < NET_BDAY_SLOTS; i++)
		if (bsocks[i].fd != -1 && bsocks[i].pool == pool)
			n++;
	return n;
}

/*
 * A birthday socket we are done with goes back to the parent, which
 * counts those we hold (meshd-parent/sockets.c); the imsg closes ours
 */
static void
bday_give_back(int fd)
{
	struct mesh_bday_req	req;

	memset(&req, 0, sizeof(req));
	child_compose(PROC_PARENT, IMSG_BDAY_SOCKET, 0, fd, &req,
	    sizeof(req));
}

static void
bday_slot_close(struct udp_sock *us)
{
	struct net_peer	*np;

	event_del(&us->ev);
	bday_give_back(us->fd);
	us->fd = -1;
	/* an endpoint naming it goes out of the listen-port's again */
	RB_FOREACH(np, net_peer_tree, &peers)
		if (np->ep.sock == us->id)
			np->ep.sock = 0;
}

/* a birthday socket from the parent: the pool of peer req.id's attempt */
static void
net_bday_socket(struct imsg *imsg)
{
	struct mesh_bday_req	 req;
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	struct udp_sock		*us = NULL;
	size_t			 i;
	int			 fd;

	if (imsg_get_data(imsg, &req, sizeof(req)) == -1)
		fatalx("BDAY_SOCKET: bad length");
	if ((fd = imsg_get_fd(imsg)) == -1)
		fatalx("BDAY_SOCKET without a socket");
	for (i = 0; i < NET_BDAY_SLOTS && us == NULL; i++)
		if (bsocks[i].fd == -1)
			us = &bsocks[i];
	/* the attempt ended meanwhile, or no room: not wanted */
	if (us == NULL || bday_count(1) >= MESH_BDAY_SOCKS ||
	    !punch_bday_wants(req.id)) {
		bday_give_back(fd);
		return;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		fatal("getsockname");
	us->fd = fd;
	us->af = ss.ss_family;
	us->peer = req.id;
	us->pool = 1;
	event_set(&us->ev, fd, EV_READ | EV_PERSIST, net_udp_read, us);
	event_add(&us->ev, NULL);
	punch_bday_socket(req.id, us->id);
}

void
net_bday_close(uint32_t id, uint16_t keep, int pool_only)
{
	size_t	i;

	for (i = 0; i < NET_BDAY_SLOTS; i++) {
		struct udp_sock *us = &bsocks[i];

		if (us->fd == -1 || us->peer != id ||
		    (pool_only && !us->pool))
			continue;
		if (us->id == keep && us->pool &&
		    bday_count(0) < NET_BDAY_KEEP) {
			us->pool = 0;	/* the winner: the peer's path */
			continue;
		}
		if (us->id != keep)
			bday_slot_close(us);
	}
}

size_t
net_bday_open(void)
{
	return bday_count(1);
}

/* the message from birthday socket sock to ep: 0 or -1 */
int
net_bday_send(uint16_t sock, void *msg, size_t len,
    const struct mesh_endpoint *to)
{
	struct mesh_endpoint	ep = *to;

	if (sock == 0 || sock > NET_BDAY_SLOTS ||
	    bsocks[sock - 1].fd == -1)
		return -1;
	ep.sock = sock;
	ep.local_af = 0;	/* the kernel chooses: the socket is new */
	return send_to(msg, len, &ep);
}

static void
net_pubkey(struct imsg *imsg)
{
	uint8_t	pub[WG_PUBLIC_LEN];
	size_t	i;

	if (imsg_get_data(imsg, pub, sizeof(pub)) == -1)
		fatalx("PUBKEY: bad length");
	cookie_checker_set_key(&checker, pub);
	relay_pubkey(pub);
	if (!have_key) {
		have_key = 1;
		for (i = 0; i < nsocks; i++)
			event_add(&socks[i].ev, NULL);
	}
}

/* PEER_ENDPOINT: a peer's host name resolves to a new address */
static void
net_conf_endpoint(struct imsg *imsg)
{
	struct mesh_peer_ep_msg	 em;
	struct mesh_endpoint	 ep;
	struct net_peer		*np;
	char			 buf[MESH_ENDPOINT_MAX + 64];

	if (imsg_get_data(imsg, &em, sizeof(em)) == -1 ||
	    em.endpoint_len > sizeof(em.endpoint))
		fatalx("PEER_ENDPOINT: bad message");
	ep_set_remote(&ep, em.endpoint, em.endpoint_len);
	if (ep_family(&ep) == 0)
		fatalx("PEER_ENDPOINT: bad endpoint");
	/* a peer a reload removed meanwhile */
	if ((np = net_peer_find(em.id)) == NULL)
		return;
	conf_ep_set(np, em.endpoint, em.endpoint_len);
	np->ep = ep;
	net_ep_mode(np, &np->ep);
	log_debug("peer %s: configured endpoint %s", np->name,
	    ep_ntop(&np->ep, buf, sizeof(buf)));
}

static void
net_dispatch_parent(struct imsg *imsg)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_UDP_SOCKET:
		net_udp_socket(imsg);
		break;
	case IMSG_PEER_ENDPOINT:
		net_conf_endpoint(imsg);
		break;
	case IMSG_STATS_REQ:
		send_stats(imsg_get_id(imsg));
		break;
	case IMSG_NET_ADDRS:
		disc_addrs(imsg);
		ladder_net_changed();
		break;
	case IMSG_STUN_ADDR:
		disc_stun_addr(imsg);
		break;
	case IMSG_PM_ANNOUNCE:
		pm_announce_socket(imsg_get_fd(imsg));
		break;
	case IMSG_NET_GATEWAY:
		disc_gateway(imsg);
		break;
	case IMSG_NETCHECK_REQ:
		disc_netcheck_req(imsg);
		break;
	case IMSG_NET_STOP:
		/*
		 * meshd stops (SIGTERM follows): what we hold outside, the
		 * gateway's mapping, is given back first
		 */
		disc_shutdown();
		child_compose(PROC_PARENT, IMSG_NET_STOPPED, 0, -1, NULL, 0);
		break;
	case IMSG_BDAY_SOCKET:
		net_bday_socket(imsg);
		break;
	case IMSG_STREAM_LISTEN:
		stream_listen(imsg);
		break;
	case IMSG_STREAM_FD:
		stream_fd(imsg);
		break;
	case IMSG_LADDER_CONF:
		ladder_conf(imsg);
		break;
	case IMSG_RELAY_LISTEN:
		relay_listen_fd(imsg);
		break;
	case IMSG_RELAY_CERT:
		relay_cert(imsg);
		break;
	case IMSG_RELAY_SITE:
		relay_site(imsg);
		break;
	case IMSG_RELAY_SIGN_FD:
		relay_sign_pipe(imsg);
		break;
	case IMSG_RELAY_CONNECT:
		relay_connected(imsg);
		break;
	case IMSG_METRICS_LISTEN:
		scrape_listen(imsg);
		break;
	case IMSG_METRICS_TEXT:
		scrape_text(imsg);
		break;
	case IMSG_METRICS_END:
		scrape_end(imsg);
		break;
	default:
		child_unexpected(PROC_PARENT, imsg);
	}
}

static void
net_dispatch_crypto(struct imsg *imsg)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_PUBKEY:
		net_pubkey(imsg);
		break;
	case IMSG_HS_SEND:
		handshake_out(imsg);
		break;
	case IMSG_ENDPOINT:
		endpoint_update(imsg);
		break;
	case IMSG_SESSION_UP:
		coord_session_up(imsg_get_id(imsg));
		break;
	case IMSG_COORD_RECV:
		coord_recv(imsg);
		break;
	case IMSG_CERT_RESULT:
		coord_cert_result(imsg);
		break;
	case IMSG_MEMBER:
		coord_member(imsg);
		break;
	case IMSG_PEER_GONE:
		coord_gone(imsg);
		break;
	default:
		child_unexpected(PROC_CRYPTO, imsg);
	}
}

void
net_listeners_take(struct net_listeners *l, struct imsg *imsg)
{
	uint8_t	first;
	int	fd;

	if (imsg_get_data(imsg, &first, sizeof(first)) == -1)
		fatalx("%s: bad length", l->what);
	/* first without a socket: the config has none now */
	if ((fd = imsg_get_fd(imsg)) == -1 && !first)
		fatalx("%s without a socket", l->what);
	if (first) {
		while (l->n > 0) {
			l->n--;
			event_del(&l->v[l->n].ev);
			close(l->v[l->n].fd);
		}
	}
	if (fd == -1)
		return;
	if (l->n == l->max) {
		close(fd);
		return;
	}
	l->v[l->n].fd = fd;
	event_set(&l->v[l->n].ev, fd, EV_READ | EV_PERSIST, l->accept, NULL);
	event_add(&l->v[l->n].ev, NULL);
	l->n++;
}

/* the mesh's obfuscation key and padding, or none without a mesh */
static void
obfs_reconf(const struct conf_snapshot *cs)
{
	const struct mesh_conf_msg	*m = &cs->mesh;
	int				 i;

	explicit_bzero(&obf, sizeof(obf));
	if (!cs->has_mesh)
		return;
	obfs_key(obf.key, m->name, m->ca);
	obf.keyed = 1;
	obf.mesh_on = m->obfs;
	for (i = 0; i < MESH_OBFS_NPAD; i++) {
		obf.pad[i].min = m->obfs_pad[i][0];
		obf.pad[i].max = m->obfs_pad[i][1];
	}
	obf.junk = m->obfs_junk;
	obf.jitter = m->obfs_jitter;
}

static void
net_reconf(struct conf_snapshot *cs)
{
	struct conf_peer	*p;
	struct net_peer		*np, *next;
	size_t			 n = 0, neps = 0;

	RB_FOREACH_SAFE(np, net_peer_tree, &peers, next) {
		if (np->id < MESH_DYN_ID_MIN &&
		    conf_snapshot_find(cs, np->id) == NULL)
			net_peer_forget(np);
	}
	obfs_reconf(cs);
	TAILQ_FOREACH(p, &cs->peers, entry) {
		if ((np = net_peer_find(p->msg.id)) == NULL) {
			if ((np = calloc(1, sizeof(*np))) == NULL)
				fatal(NULL);
			np->id = p->msg.id;
			RB_INSERT(net_peer_tree, &peers, np);
		}
		(void)strlcpy(np->name, p->msg.name, sizeof(np->name));
		np->coordinator = (p->msg.flags & MESH_PEER_F_COORDINATOR) != 0;
		/* switched by a reload: the path too, from now on */
		if (np->obfs != ((p->msg.flags & MESH_PEER_F_OBFS) != 0)) {
			np->obfs = !np->obfs;
			net_ep_mode(np, &np->ep);
		}
		n++;
		if (!p->msg.has_endpoint) {
			conf_ep_set(np, NULL, 0);
			continue;
		}
		/* a changed configured endpoint wins over a learned one */
		if (!conf_ep_is(np, p->msg.endpoint, p->msg.endpoint_len)) {
			conf_ep_set(np, p->msg.endpoint, p->msg.endpoint_len);
			ep_set_remote(&np->ep, p->msg.endpoint,
			    p->msg.endpoint_len);
			net_ep_mode(np, &np->ep);
		}
		neps++;
	}
	coord_reconf(cs);
	disc_reconf(cs);
	relay_reconf(cs);
	conf_snapshot_free(cs);
	log_debug("config: %zu peers, %zu with an endpoint", n, neps);
	configured = 1;
	handshake_pending();
}

int
main(int argc, char *argv[])
{
	child_start(&net_child, argc, argv, net_init);
	event_dispatch();
	fatalx("event loop ended");
}
