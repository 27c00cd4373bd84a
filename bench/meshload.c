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
 * meshload: N mesh members against a real coordinator, from one process,
 * for make bench (bench/mesh-scale.sh).  Each member is what meshd is to
 * its coordinator: its own X25519 key and certificate (made here with
 * common/cert.c and the admin's Ed25519 key, no meshctl run each), its
 * own UDP socket (so its own source endpoint), a real Noise_IKpsk2
 * session through meshd's engine (meshd-crypto/noise*.c, cookie replies
 * included), REGISTER, the directory it is sent (ENTRY ... DIR_END), a
 * PING every 5 s once registered, the rekeys the engine asks for.
 *
 *   meshload -k cakey.pem -m MESH -p COORDPUB -C ADDR:PORT -n N
 *	[-b LOCALADDR]... [-w INFLIGHT] [-r PER_SEC] [-P PID]...
 *	[-I IDLE_SECS] [-H HOLD_SECS] [-T TIMEOUT] [-D] [-q]
 *	[-R ADDR:PORT -K RELAYPUB [-F PAIRS] [-W FILE]] [-J]
 *
 * Phases, one key=value line each on stdout:
 *   gen		make N + 1 keys and certificates (the last one is the
 *			late joiner); member i holds 100.96.0.0 + i + 1
 *   register_all	members 0..N-1 handshake and register, at most
 *			INFLIGHT (-w, 64) between their first initiation
 *			and their DIR_END, at most PER_SEC (-r, 500) new
 *			handshakes a second; the time until all hold
 *			DIR_END
 *   join		a new member after them: time from its first
 *			initiation to its DIR_END, the entries (records) it
 *			got and the ENTRY messages they came in
 *   drain		until the pushes of the registrations and the join
 *			stopped coming (no ENTRY to any member for 1 s; at
 *			least 2 s, at most 120): the time, from the join's
 *			DIR_END, and the ENTRY datagrams meanwhile
 *   endpoint_change	member 0 registers again with a newer seq and
 *			another candidate: the time until the first and
 *			until the last subscriber got its record
 *   idle_cpu		with -P (the coordinator's processes): their
 *			utime + stime over -I seconds (10), members idle
 *			but pinging (-q: no pings)
 *   relay		with -R (a relay's ADDR:PORT) and -K (its static key):
 *			after register_all, each registered member opens a
 *			TLS connection to the relay and upgrades it as
 *			meshd does (its key, a proof bound to the
 *			connection); then -F pairs (member i to member
 *			i + N/2) pass a datagram through the relay, and one
 *			goes to a key that is no member's.  Prints
 *			connected=, upgraded=, sent=, arrived=.  With -W
 *			it starts once FILE exists (the relay has learned
 *			the members: the caller knows when).  The
 *			connections stay up (a WebSocket ping every 10 s)
 *			through the phases after it and the hold, but one:
 *   relay_close	member N/2 closes its connection with a close
 *			frame, and member 0 sends two datagrams to its key,
 *			which the relay must drop as no member's.  Prints
 *			sent_after= and closed= (1: the relay answered with
 *			a close frame and closed).
 *   hold		then keep the members alive until SIGTERM or -H
 *			seconds (0: forever), for a real node to join
 * -J skips join, drain and endpoint_change (a relay test wants the
 * connections, not the coordinator's figures).
 * Progress goes to stderr.  A registered member's ENTRY messages are not
 * decrypted (only counted) unless -D, or while it is being watched:
 * the directory a member gets is what the coordinator spends, not what
 * this tool needs to spend again N times over.  PONGs and keepalives
 * (the short ones) are, so that the engine sees its replies.
 *
 * After -T seconds (600) register_all stops starting members and the
 * phases after it run with those registered (timeout=1 says so).
 * Exits 0 after hold, 1 on a setup error.
 */

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "cert.h"
#include "coord.h"
#include "meshd.h"
#include "noise.h"
#include "relay.h"
#include "wgkey.h"
#include "wgnoise.h"
#include "wgproto.h"
#include "ws.h"

#define MAX_BIND	64
#define MAX_PIDS	8
#define PING_NS		(5 * WG_NSEC)	/* COORD_PING_SECS */
#define REREG_NS	(5 * WG_NSEC)	/* REGISTER again, unanswered */
#define RESTART_NS	(20 * WG_NSEC)	/* silent: new session */
#define TICK_MS		20
#define RECV_BATCH	32

enum mstate { M_IDLE, M_HS, M_REG, M_DONE };

struct member {
	struct noise_local	*l;
	struct noise_peer	*p;	/* the coordinator */
	int			 s;
	enum mstate		 state;
	int			 watch;	/* decrypt all it gets */
	uint64_t		 started;
	uint64_t		 regsent;
	uint64_t		 hsstart;
	uint64_t		 last_rx;
	uint64_t		 done;
	uint64_t		 next_ping;
	uint64_t		 seq;
	uint32_t		 entries;	/* records */
	uint32_t		 entry_msgs;	/* the ENTRYs they came in */
	uint32_t		 dir_count;
	uint8_t			 pub[WG_PUBLIC_LEN];
	size_t			 certlen;
	uint8_t			 cert[CERT_MAX];
	size_t			 ncand;
	struct coord_cand	 cand[1];
	uint8_t			 priv[WG_KEY_LEN];	/* for the relay's
							   proof */
	SSL			*ssl;	/* to the relay, upgraded */
	int			 rfd;
};

static struct {
	struct member		*m;
	size_t			 n;	/* with the late joiner */
	int			 ep;		/* epoll */
	struct sockaddr_storage	 coord;
	socklen_t		 coordlen;
	struct sockaddr_storage	 bind[MAX_BIND];
	socklen_t		 bindlen[MAX_BIND];
	size_t			 nbind;
	size_t			 inflight;
	size_t			 registered;
	int			 pings;
	int			 decrypt_all;
	/* endpoint change: the record watched for */
	const uint8_t		*want_key;
	uint64_t		 want_seq;
	uint64_t		 want_first;
	uint64_t		 want_last;
	size_t			 want_got;
	/* counters */
	uint64_t		 hs_sum, hs_max, reg_sum, reg_max;
	uint64_t		 cookies;
	uint64_t		 initiations;
	uint64_t		 restarts;
	uint64_t		 rereg;
	uint64_t		 rx_data;
	uint64_t		 rx_skipped;
	uint64_t		 rx_big;	/* longer than a PONG: ENTRYs */
	uint64_t		 pongs;
	uint64_t		 pings_sent;
	uint64_t		 send_fail;
	uint64_t		 bad;
} g;

static volatile sig_atomic_t	quit;

static void
on_signal(int sig)
{
	quit = 1;
}

static uint64_t
mono(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		err(1, "clock_gettime");
	return (uint64_t)ts.tv_sec * WG_NSEC + ts.tv_nsec;
}

static uint64_t
wall_ns(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		err(1, "clock_gettime");
	return (uint64_t)ts.tv_sec * WG_NSEC + ts.tv_nsec;
}

static double
secs(uint64_t ns)
{
	return ns / 1e9;
}

/* "198.18.0.1:51820", "[fd00::1]:51820"; port 0 only if zero_ok */
static socklen_t
parse_addr(const char *arg, struct sockaddr_storage *ss, int zero_ok)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	char			 buf[80], *host = buf, *colon;
	const char		*errstr;
	int			 port = 0;

	if (strlcpy(buf, arg, sizeof(buf)) >= sizeof(buf))
		errx(1, "%s: too long", arg);
	colon = strrchr(buf, ':');
	if (colon != NULL && (strchr(buf, ':') == colon || colon[-1] == ']')) {
		*colon = '\0';
		port = strtonum(colon + 1, zero_ok ? 0 : 1, 65535, &errstr);
		if (errstr != NULL)
			errx(1, "%s: port %s", arg, errstr);
		if (*host == '[' && colon[-1] == ']') {
			host++;
			colon[-1] = '\0';
		}
	} else if (!zero_ok)
		errx(1, "%s: not ADDR:PORT", arg);
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		return sizeof(*sin);
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		return sizeof(*sin6);
	}
	errx(1, "%s: not an IPv4 or IPv6 address", host);
}

static EVP_PKEY *
read_ca_key(const char *path)
{
	EVP_PKEY	*k;
	FILE		*fp;

	if ((fp = fopen(path, "r")) == NULL)
		err(1, "%s", path);
	k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	if (k == NULL || EVP_PKEY_get_base_id(k) != EVP_PKEY_ED25519)
		errx(1, "%s: not an Ed25519 private key in PEM (make one "
		    "with meshctl ca genkey)", path);
	return k;
}

/* member i's key, certificate (100.96.0.0 + i + 1) and noise state */
static void
member_make(struct member *m, size_t i, EVP_PKEY *ca, const char *mesh,
    const uint8_t coordpub[WG_PUBLIC_LEN], time_t now)
{
	struct mesh_cert	 c;
	EVP_MD_CTX		*ctx;
	uint8_t			 priv[WG_KEY_LEN];
	uint32_t		 a = (100U << 24 | 96U << 16) + i + 1;
	const char		*why;
	ssize_t			 len;
	size_t			 siglen = CERT_SIG_LEN;

	if (wg_key_generate_private(priv) == -1 ||
	    (m->l = noise_local_new()) == NULL ||
	    noise_local_set_private(m->l, priv) != 0 ||
	    noise_local_public(m->l, m->pub) != 0)
		errx(1, "member %zu: cannot make a key", i);
	memcpy(m->priv, priv, sizeof(m->priv));
	explicit_bzero(priv, sizeof(priv));
	m->rfd = -1;
	if ((m->p = noise_peer_new(m->l, coordpub, m)) == NULL)
		err(1, "member %zu: noise_peer_new", i);

	memset(&c, 0, sizeof(c));
	c.not_before = now - 3600;
	c.not_after = now + 7 * 86400;
	memcpy(c.pubkey, m->pub, sizeof(c.pubkey));
	(void)strlcpy(c.mesh, mesh, sizeof(c.mesh));
	(void)snprintf(c.name, sizeof(c.name), "sim%05zu", i);
	c.naddrs = 1;
	c.addrs[0].af = 4;
	c.addrs[0].plen = 32;
	c.addrs[0].addr[0] = a >> 24;
	c.addrs[0].addr[1] = a >> 16;
	c.addrs[0].addr[2] = a >> 8;
	c.addrs[0].addr[3] = a;
	if ((len = cert_encode_body(&c, m->cert, sizeof(m->cert) -
	    CERT_SIG_LEN, &why)) == -1)
		errx(1, "member %zu: certificate: %s", i, why);
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, NULL, NULL, ca) != 1 ||
	    EVP_DigestSign(ctx, m->cert + len, &siglen, m->cert, len) != 1 ||
	    siglen != CERT_SIG_LEN)
		errx(1, "member %zu: cannot sign: %s", i,
		    ERR_reason_error_string(ERR_get_error()));
	EVP_MD_CTX_free(ctx);
	m->certlen = len + CERT_SIG_LEN;
}

static void
member_socket(struct member *m, size_t i)
{
	struct epoll_event	 ev;
	size_t			 b = g.nbind > 0 ? i % g.nbind : 0;
	int			 fam = g.coord.ss_family;

	if (g.nbind > 0)
		fam = g.bind[b].ss_family;
	if ((m->s = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		err(1, "member %zu: socket", i);
	if (g.nbind > 0 && bind(m->s, (struct sockaddr *)&g.bind[b],
	    g.bindlen[b]) == -1)
		err(1, "member %zu: bind", i);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = i;
	if (epoll_ctl(g.ep, EPOLL_CTL_ADD, m->s, &ev) == -1)
		err(1, "epoll_ctl");
}

static void
send_wire(struct member *m, const uint8_t *buf, size_t len)
{
	if (sendto(m->s, buf, len, 0, (struct sockaddr *)&g.coord,
	    g.coordlen) == -1)
		g.send_fail++;
}

static void
send_initiation(struct member *m, uint64_t now)
{
	uint8_t	init[WG_INIT_LEN];

	if (noise_create_initiation(m->p, now, init) != 0)
		return;
	g.initiations++;
	send_wire(m, init, sizeof(init));
}

/* what the engine asks of us after a call or on its timer */
static void
member_act(struct member *m, uint64_t now)
{
	uint8_t		out[64];
	size_t		outlen;
	uint32_t	act;

	act = noise_peer_poll(m->p, now);
	if (act & NOISE_ACT_INITIATE)
		send_initiation(m, now);
	if ((act & (NOISE_ACT_KEEPALIVE | NOISE_ACT_FLUSH)) &&
	    noise_encrypt(m->p, now, NULL, 0, 0, out, sizeof(out),
	    &outlen) == 0)
		send_wire(m, out, outlen);
}

/* 0 sent, -1 no session yet (one is being made) */
static int
send_coord(struct member *m, const struct coord_msg *cm, uint64_t now)
{
	uint8_t	pt[COORD_MAX], out[COORD_MAX + 64];
	ssize_t	n;
	size_t	outlen;
	int	ret;

	if ((n = coord_encode(cm, pt, sizeof(pt))) == -1)
		errx(1, "%s: coord_encode refused it",
		    coord_type_name(cm->type));
	ret = noise_encrypt(m->p, now, pt, n, 0, out, sizeof(out), &outlen);
	if (ret == 0)
		send_wire(m, out, outlen);
	else
		noise_peer_want_session(m->p, now);
	member_act(m, now);
	return ret == 0 ? 0 : -1;
}

static void
send_register(struct member *m, uint64_t now)
{
	struct coord_msg	cm;
	struct coord_record	r;

	memset(&r, 0, sizeof(r));
	r.seq = m->seq;
	r.cert = m->cert;
	r.certlen = m->certlen;
	r.ncand = m->ncand;
	memcpy(r.cand, m->cand, m->ncand * sizeof(m->cand[0]));
	memset(&cm, 0, sizeof(cm));
	cm.type = COORD_REGISTER;
	if (coord_add_record(&cm, &r) != 1)
		errx(1, "member %zu: its record does not encode",
		    (size_t)(m - g.m));
	if (send_coord(m, &cm, now) == 0)
		m->regsent = now;
}

static void
send_ping(struct member *m, uint64_t now)
{
	struct coord_msg	cm;

	memset(&cm, 0, sizeof(cm));
	cm.type = COORD_PING;
	arc4random_buf(&cm.nonce, sizeof(cm.nonce));
	if (send_coord(m, &cm, now) == 0)
		g.pings_sent++;
}

static void
member_start(struct member *m, uint64_t now)
{
	m->state = M_HS;
	m->started = m->hsstart = now;
	m->seq = wall_ns();
	m->entries = 0;
	m->entry_msgs = 0;
	g.inflight++;
	noise_peer_want_session(m->p, now);
	member_act(m, now);
}

static void
lat_add(uint64_t *sum, uint64_t *max, uint64_t d)
{
	*sum += d;
	if (d > *max)
		*max = d;
}

static void
member_done(struct member *m, const struct coord_msg *cm, uint64_t now)
{
	if (m->regsent != 0)
		lat_add(&g.reg_sum, &g.reg_max, now - m->regsent);
	m->state = M_DONE;
	m->done = now;
	m->dir_count = cm->count;
	m->next_ping = now + PING_NS;
	g.inflight--;
	g.registered++;
}

static void
on_coord(struct member *m, const uint8_t *pt, size_t len, uint64_t now)
{
	struct coord_msg	 cm;
	const struct coord_record *r;
	const char		*why;
	size_t			 i;

	if (len == 0)
		return;		/* keepalive */
	if (coord_decode(pt, len, &cm, &why) == -1) {
		g.bad++;
		warnx("refused a message to member %zu: %s",
		    (size_t)(m - g.m), why);
		return;
	}
	switch (cm.type) {
	case COORD_ENTRY:
		if (m->state == M_REG) {
			m->entries += cm.nrec;
			m->entry_msgs++;
		}
		for (i = 0; g.want_key != NULL && i < cm.nrec; i++) {
			r = &cm.rec[i];
			if (r->seq != g.want_seq || memcmp(r->cert +
			    CERT_PUBKEY_OFF, g.want_key, WG_PUBLIC_LEN) != 0)
				continue;
			if (g.want_got++ == 0)
				g.want_first = now;
			g.want_last = now;
		}
		break;
	case COORD_DIR_END:
		if (m->state == M_REG)
			member_done(m, &cm, now);
		break;
	case COORD_PONG:
		g.pongs++;
		break;
	case COORD_CRL_PART:
		break;
	default:
		g.bad++;
		break;
	}
}

static void
on_datagram(struct member *m, const uint8_t *msg, size_t len, uint64_t now)
{
	struct noise_peer	*p = NULL;
	uint8_t			 pt[2048], resp[WG_RESP_LEN];
	size_t			 ptlen;

	m->last_rx = now;
	switch (wg_msg_type(msg, len)) {
	case WG_MSG_INITIATION:		/* the coordinator rekeys */
		if (noise_consume_initiation(m->l, msg, len, now, &p) == 0 &&
		    noise_create_response(p, now, resp) == 0)
			send_wire(m, resp, sizeof(resp));
		break;
	case WG_MSG_RESPONSE:
		if (noise_consume_response(m->l, msg, len, now, &p) != 0)
			break;
		if (m->state == M_HS) {
			m->state = M_REG;
			lat_add(&g.hs_sum, &g.hs_max, now - m->hsstart);
			send_register(m, now);
		}
		break;
	case WG_MSG_COOKIE:
		if (noise_consume_cookie(m->l, msg, len, now, &p) == 0)
			g.cookies++;
		break;
	case WG_MSG_DATA:
		g.rx_data++;
		if (len > 64)
			g.rx_big++;
		/*
		 * A PONG or keepalive (64 and 32 bytes) is decrypted, so that
		 * the engine sees replies to what it sends (else it would
		 * start a handshake 15 s after each PING); an ENTRY is not.
		 */
		if (m->state == M_DONE && !m->watch && !g.decrypt_all &&
		    len > 64) {
			g.rx_skipped++;
			return;
		}
		if (noise_decrypt(m->l, msg, len, now, &p, pt, sizeof(pt),
		    &ptlen) == 0)
			on_coord(m, pt, ptlen, now);
		break;
	default:
		g.bad++;
		return;
	}
	member_act(m, now);
}

static void
member_read(struct member *m)
{
	struct mmsghdr	msgs[RECV_BATCH];
	struct iovec	iov[RECV_BATCH];
	static uint8_t	bufs[RECV_BATCH][2048];
	uint64_t	now;
	int		i, n;

	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < RECV_BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	if ((n = recvmmsg(m->s, msgs, RECV_BATCH, MSG_DONTWAIT, NULL)) <= 0)
		return;
	now = mono();
	for (i = 0; i < n; i++)
		on_datagram(m, bufs[i], msgs[i].msg_len, now);
}

/* timers: the engine's, REGISTER again, pings */
static void
tick(uint64_t now)
{
	struct member	*m;
	size_t		 i;

	for (i = 0; i < g.n; i++) {
		m = &g.m[i];
		if (m->state == M_IDLE)
			continue;
		if (noise_peer_next_timer(m->p) <= now)
			member_act(m, now);
		switch (m->state) {
		case M_HS:
		case M_REG:
			if (now - m->hsstart >= RESTART_NS &&
			    now - m->last_rx >= RESTART_NS) {
				/*
				 * Nothing from the coordinator for that
				 * long: it forgot us (a provisional peer
				 * that timed out); start over.  A long
				 * directory is no reason: meshd waits.
				 */
				g.restarts++;
				noise_peer_clear(m->p);
				m->state = M_HS;
				m->hsstart = now;
				m->regsent = 0;
				noise_peer_want_session(m->p, now);
				member_act(m, now);
			} else if (m->state == M_REG &&
			    now - m->regsent >= REREG_NS) {
				g.rereg++;
				send_register(m, now);
			}
			break;
		case M_DONE:
			if (g.pings && now >= m->next_ping) {
				m->next_ping = now + PING_NS;
				send_ping(m, now);
			}
			break;
		default:
			break;
		}
	}
}

/* one turn of the loop: datagrams for up to TICK_MS, then timers */
static void
turn(uint64_t *last_tick)
{
	struct epoll_event	evs[256];
	uint64_t		now;
	int			i, n;

	n = epoll_wait(g.ep, evs, 256, TICK_MS);
	if (n == -1 && errno != EINTR)
		err(1, "epoll_wait");
	for (i = 0; i < n; i++)
		member_read(&g.m[evs[i].data.u64]);
	now = mono();
	if (now - *last_tick >= TICK_MS * 1000000ULL) {
		*last_tick = now;
		tick(now);
	}
}

static int
cpu_ticks(pid_t pid, unsigned long long *out)
{
	char			 path[64], buf[1024], *p;
	unsigned long long	 ut, st;
	ssize_t			 n;
	int			 fd;

	(void)snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* after the command's ")": state is field 3, utime 14, stime 15 */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 2,
	    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
	    &ut, &st) != 2)
		return -1;
	*out = ut + st;
	return 0;
}

static void
phase_register(size_t n, size_t window, unsigned int rate,
    uint64_t timeout)
{
	uint64_t	t0 = mono(), now, last = 0, report = t0;
	uint64_t	budget_at = t0;
	size_t		next = 0, lastreg = 0;

	while (g.registered < n && !quit) {
		now = mono();
		/* pace: a token per 1/rate s, at most window in flight */
		while (next < n && g.inflight < window &&
		    budget_at <= now) {
			member_start(&g.m[next++], now);
			budget_at += WG_NSEC / rate;
			if (budget_at + WG_NSEC / 10 < now)
				budget_at = now - WG_NSEC / 10;
		}
		turn(&last);
		if (now - report >= 5 * WG_NSEC) {
			fprintf(stderr, "meshload: %.0f s: %zu registered "
			    "(+%zu), %zu in flight, %llu cookies, %llu "
			    "restarts\n", secs(now - t0), g.registered,
			    g.registered - lastreg, g.inflight,
			    (unsigned long long)g.cookies,
			    (unsigned long long)g.restarts);
			report = now;
			lastreg = g.registered;
		}
		if (now - t0 >= timeout)
			break;
	}
	now = mono();
	printf("phase=register_all members=%zu registered=%zu%s secs=%.3f "
	    "per_sec=%.1f initiations=%llu cookies=%llu restarts=%llu "
	    "reregisters=%llu hs_avg_s=%.3f hs_max_s=%.3f reg_avg_s=%.3f "
	    "reg_max_s=%.3f\n", n, g.registered,
	    g.registered < n ? " timeout=1" : "", secs(now - t0),
	    g.registered / secs(now - t0),
	    (unsigned long long)g.initiations, (unsigned long long)g.cookies,
	    (unsigned long long)g.restarts, (unsigned long long)g.rereg,
	    g.registered ? secs(g.hs_sum) / g.registered : 0,
	    secs(g.hs_max), g.registered ? secs(g.reg_sum) / g.registered : 0,
	    secs(g.reg_max));
	/* the rest of them carry on registering; no new ones start */
}


/* --- the relay phase ------------------------------------------------- */

static struct {
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	uint8_t			 pub[WG_PUBLIC_LEN];
	char			 path[RELAY_PATH_LEN + 1];
	SSL_CTX			*ctx;
	uint64_t		 next_ping;
	size_t			 open;
} relay;

static int
tls_frame(SSL *ssl, uint8_t op, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen)
{
	uint8_t		buf[WS_HDR_MAX + 64 + 256], mask[4];
	ssize_t		hl;
	size_t		n = alen + blen;

	if (n > 64 + 256)
		return -1;
	arc4random_buf(mask, sizeof(mask));
	if ((hl = ws_header(buf, WS_HDR_MAX, 1, op, mask, n)) == -1)
		return -1;
	if (alen > 0)
		memcpy(buf + hl, a, alen);
	if (blen > 0)
		memcpy(buf + hl + alen, b, blen);
	ws_unmask(buf + hl, n, mask, 0);
	return SSL_write(ssl, buf, hl + n) == (int)(hl + n) ? 0 : -1;
}

/* member m: TCP, TLS, and the upgrade with its proof; 0 or -1 */
static int
relay_connect(struct member *m, size_t i)
{
	struct timeval	tv = { 5, 0 };
	uint8_t		dh[32], ex[32], mac[MESH_PROOF_LEN], buf[RELAY_101_MAX];
	char		kb64[WG_KEY_B64_LEN + 1], pb64[WG_KEY_B64_LEN + 1];
	char		head[1024];
	struct relay_101 r;
	size_t		len = 0;
	int		s, n, k, one = 1;

	if ((s = socket(relay.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC,
	    0)) == -1)
		err(1, "socket");
	(void)setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* the upgrade right after TLS's Finished: no wait for an ACK */
	(void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(s, (struct sockaddr *)&relay.addr, relay.addrlen) == -1) {
		warn("member %zu: connect to the relay", i);
		close(s);
		return -1;
	}
	m->rfd = s;
	if ((m->ssl = SSL_new(relay.ctx)) == NULL || SSL_set_fd(m->ssl, s) != 1 ||
	    SSL_connect(m->ssl) != 1) {
		warnx("member %zu: TLS to the relay failed", i);
		return -1;
	}
	relay.open++;
	if (SSL_export_keying_material(m->ssl, ex, sizeof(ex),
	    MESH_RELAY_EXPORTER, strlen(MESH_RELAY_EXPORTER), NULL, 0,
	    0) != 1 || wg_dh(dh, m->priv, relay.pub) == -1)
		errx(1, "member %zu: no exporter value or DH", i);
	relay_proof_mac(dh, MESH_PROOF_CLIENT, ex, mac);
	wg_key_to_base64(kb64, m->pub);
	wg_key_to_base64(pb64, mac);
	n = snprintf(head, sizeof(head), "GET %s HTTP/1.1\r\nHost: relay\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n%s: %s\r\n%s: %s\r\n\r\n", relay.path,
	    RELAY_HDR_KEY, kb64, RELAY_HDR_PROOF, pb64);
	if (SSL_write(m->ssl, head, n) != n)
		return -1;
	/* the 101's head alone: the relay sends nothing after it unasked */
	while (len < sizeof(buf) && (k = SSL_read(m->ssl, buf + len, 1)) > 0) {
		len += k;
		if (len >= 4 && memcmp(buf + len - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	if (relay_parse_101(buf, len, &r) <= 0) {
		warnx("member %zu: no 101 from the relay: %.*s", i,
		    (int)strcspn((char *)buf, "\r\n"), buf);
		return -1;
	}
	relay_proof_mac(dh, MESH_PROOF_RELAY, ex, mac);
	explicit_bzero(dh, sizeof(dh));
	if (CRYPTO_memcmp(mac, r.proof, sizeof(mac)) != 0) {
		warnx("member %zu: the relay's proof is wrong", i);
		return -1;
	}
	return 0;
}

/* the next frame of opcode op m gets within the socket's timeout: 1, or 0 */
static int
relay_recv(struct member *m, uint8_t op, uint8_t *out, size_t *outlen)
{
	uint8_t			 buf[4096];
	struct ws_frame		 f;
	const char		*why;
	size_t			 len = 0;
	ssize_t			 n;
	int			 k;

	for (;;) {
		n = ws_parse(buf, len, WS_CLIENT, &f, &why);
		if (n == WS_BAD)
			return 0;
		if (n > 0) {
			if (f.opcode == op && f.len <= *outlen) {
				memcpy(out, buf + f.hdrlen, f.len);
				*outlen = f.len;
				return 1;
			}
			memmove(buf, buf + n, len - n);
			len -= n;
			continue;
		}
		if (len == sizeof(buf) ||
		    (k = SSL_read(m->ssl, buf + len, sizeof(buf) - len)) <= 0)
			return 0;
		len += k;
	}
}

/*
 * m sent a close frame: 1 if the relay's close frame came and then the
 * end of the connection (TLS close_notify)
 */
static int
relay_closed(struct member *m)
{
	uint8_t	code[125], b;
	size_t	len = sizeof(code);
	int	k;

	if (!relay_recv(m, WS_OP_CLOSE, code, &len))
		return 0;
	k = SSL_read(m->ssl, &b, 1);
	return k <= 0 && SSL_get_error(m->ssl, k) == SSL_ERROR_ZERO_RETURN;
}

/*
 * Member cl closes its connection as a browser would, with a close frame;
 * then member 0 sends two datagrams to cl's key: the relay has no such
 * member any more (relay_unknown counts them) and lives on
 */
static void
relay_close(size_t cl, const uint8_t *dg, size_t dglen)
{
	static const uint8_t	 normal[2] = { 0x03, 0xe8 };	/* 1000 */
	struct member		*m = &g.m[cl];
	size_t			 i, after = 0;
	int			 closed = 0;

	if (cl == 0 || m->ssl == NULL || g.m[0].ssl == NULL)
		return;
	if (tls_frame(m->ssl, WS_OP_CLOSE, normal, sizeof(normal), NULL,
	    0) == 0)
		closed = relay_closed(m);
	for (i = 0; i < 2; i++)
		if (tls_frame(g.m[0].ssl, WS_OP_BINARY, m->pub, 32, dg,
		    dglen) == 0)
			after++;
	SSL_free(m->ssl);
	m->ssl = NULL;
	close(m->rfd);
	relay.open--;
	printf("phase=relay_close sent_after=%zu closed=%d\n", after, closed);
}

static void
phase_relay(size_t pairs)
{
	uint8_t		 dg[64], got[32 + 64], nokey[32];
	size_t		 i, j, up = 0, sent = 0, arrived = 0, glen, half;
	uint64_t	 t0 = mono(), last = 0;

	if ((relay.ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		errx(1, "SSL_CTX_new");
	SSL_CTX_set_verify(relay.ctx, SSL_VERIFY_NONE, NULL);
	for (i = 0; i < g.n - 1 && !quit; i++) {
		if (g.m[i].state != M_DONE)
			continue;
		if (relay_connect(&g.m[i], i) == 0)
			up++;
		else if (g.m[i].ssl != NULL) {
			SSL_free(g.m[i].ssl);
			g.m[i].ssl = NULL;
		}
		/* the coordinator's sessions go on meanwhile */
		if (i % 32 == 31)
			turn(&last);
	}
	printf("phase=relay_connect connected=%zu upgraded=%zu secs=%.3f\n",
	    relay.open, up, secs(mono() - t0));
	/* member i to member i + half, and one to a key no one holds */
	half = (g.n - 1) / 2;
	for (i = 0; i < pairs && i < half; i++) {
		j = i + half;
		if (g.m[i].ssl == NULL || g.m[j].ssl == NULL)
			continue;
		(void)snprintf((char *)dg, sizeof(dg), "meshload relay %zu",
		    i);
		if (tls_frame(g.m[i].ssl, WS_OP_BINARY, g.m[j].pub, 32, dg,
		    sizeof(dg)) == -1)
			continue;
		sent++;
		glen = sizeof(got);
		if (relay_recv(&g.m[j], WS_OP_BINARY, got, &glen) &&
		    glen == 32 + sizeof(dg) &&
		    memcmp(got, g.m[i].pub, 32) == 0 &&
		    memcmp(got + 32, dg, sizeof(dg)) == 0)
			arrived++;
	}
	arc4random_buf(nokey, sizeof(nokey));
	if (g.m[0].ssl != NULL)
		(void)tls_frame(g.m[0].ssl, WS_OP_BINARY, nokey, 32, dg,
		    sizeof(dg));
	printf("phase=relay pairs=%zu sent=%zu arrived=%zu unknown_sent=1\n",
	    pairs, sent, arrived);
	relay_close(half, dg, sizeof(dg));
	/* from here on the loop keeps them: nothing blocks */
	for (i = 0; i < g.n; i++)
		if (g.m[i].ssl != NULL)
			(void)fcntl(g.m[i].rfd, F_SETFL, O_NONBLOCK);
	relay.next_ping = mono() + 10 * WG_NSEC;
}

/* every 10 s: a ping from each, what came dropped (the relay's pings) */
static void
relay_keep(uint64_t now)
{
	uint8_t	buf[4096];
	size_t	i;

	if (relay.ctx == NULL || now < relay.next_ping)
		return;
	relay.next_ping = now + 10 * WG_NSEC;
	for (i = 0; i < g.n; i++) {
		if (g.m[i].ssl == NULL)
			continue;
		while (SSL_read(g.m[i].ssl, buf, sizeof(buf)) > 0)
			;
		(void)tls_frame(g.m[i].ssl, WS_OP_PING, NULL, 0, NULL, 0);
	}
}

/* run the loop for ms milliseconds */
static void
run_for(uint64_t ns)
{
	uint64_t	t0 = mono(), last = 0;

	while (!quit && mono() - t0 < ns) {
		turn(&last);
		relay_keep(mono());
	}
}

static void
phase_join(size_t j)
{
	struct member	*m = &g.m[j];
	uint64_t	 last = 0;

	m->watch = 1;
	member_start(m, mono());
	while (m->state != M_DONE && !quit && mono() - m->started <
	    60 * WG_NSEC)
		turn(&last);
	if (m->state != M_DONE) {
		printf("phase=join secs=timeout entries=%u entry_msgs=%u\n",
		    m->entries, m->entry_msgs);
		return;
	}
	printf("phase=join secs=%.3f entries=%u entry_msgs=%u "
	    "dir_end_count=%u\n", secs(m->done - m->started), m->entries,
	    m->entry_msgs, m->dir_count);
}

/*
 * The pushes of the registrations (each new record to every subscriber)
 * may still be on their way after the last DIR_END: an endpoint change
 * measured behind them would measure them.
 */
static void
phase_drain(void)
{
	uint64_t	t0 = mono(), big0 = g.rx_big, seen = big0, quiet = 0;

	while (!quit && mono() - t0 < 120 * WG_NSEC) {
		run_for(WG_NSEC / 4);
		if (g.rx_big != seen) {
			seen = g.rx_big;
			quiet = 0;
		} else if (++quiet >= 4 && mono() - t0 >= 2 * WG_NSEC)
			break;
	}
	printf("phase=drain secs=%.3f entry_datagrams=%llu\n",
	    secs(mono() - t0 - quiet * (WG_NSEC / 4)),
	    (unsigned long long)(g.rx_big - big0));
}

/* member 0 moves: a newer record with another candidate */
static void
phase_endpoint(size_t subscribers)
{
	struct member	*m = &g.m[0];
	uint64_t	 t0, last = 0;

	phase_drain();
	g.decrypt_all = 1;
	m->seq = wall_ns();
	m->ncand = 1;
	m->cand[0].af = 4;
	m->cand[0].port = 4242;
	/* 198.51.100.1 */
	memcpy(m->cand[0].addr, "\xc6\x33\x64\x01", 4);
	g.want_key = m->pub;
	g.want_seq = m->seq;
	g.want_got = 0;
	t0 = mono();
	send_register(m, t0);
	while (g.want_got < subscribers && !quit && mono() - t0 <
	    30 * WG_NSEC)
		turn(&last);
	if (g.want_got == 0)
		printf("phase=endpoint_change first_s=timeout\n");
	else
		printf("phase=endpoint_change first_s=%.3f last_s=%.3f "
		    "subscribers=%zu reached=%zu\n", secs(g.want_first - t0),
		    secs(g.want_last - t0), subscribers, g.want_got);
	g.want_key = NULL;
	g.decrypt_all = 0;
}

static void
phase_idle(const pid_t *pids, size_t npids, unsigned int isecs)
{
	unsigned long long	 a[MAX_PIDS], b[MAX_PIDS], sum = 0;
	uint64_t		 t0, pings0 = g.pings_sent;
	long			 hz = sysconf(_SC_CLK_TCK);
	size_t			 i;

	if (npids == 0)
		return;
	run_for(3 * WG_NSEC);		/* let the endpoint push drain */
	for (i = 0; i < npids; i++)
		if (cpu_ticks(pids[i], &a[i]) == -1)
			errx(1, "-P %d: no such process", (int)pids[i]);
	t0 = mono();
	run_for(isecs * WG_NSEC);
	for (i = 0; i < npids; i++) {
		if (cpu_ticks(pids[i], &b[i]) == -1)
			errx(1, "-P %d: gone", (int)pids[i]);
		sum += b[i] - a[i];
	}
	printf("phase=idle_cpu secs=%.1f cpu_pct=%.2f pings=%llu",
	    secs(mono() - t0), 100.0 * sum / hz / secs(mono() - t0),
	    (unsigned long long)(g.pings_sent - pings0));
	for (i = 0; i < npids; i++)
		printf(" pid%d_ticks=%llu", (int)pids[i], b[i] - a[i]);
	printf("\n");
}

static __attribute__((__noreturn__)) void
usage(void)
{
	fprintf(stderr, "usage: meshload -k cakey -m mesh -p coordpub "
	    "-C addr:port -n members\n"
	    "                [-b localaddr]... [-w inflight] [-r per_sec] "
	    "[-P pid]...\n"
	    "                [-I idle_secs] [-H hold_secs] [-T timeout] "
	    "[-DJq]\n"
	    "                [-R addr:port -K relaypub [-F pairs] "
	    "[-W file]]\n");
	exit(2);
}

static void
raise_nofile(size_t n)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		err(1, "getrlimit");
	if (rl.rlim_cur >= n + 64)
		return;
	rl.rlim_cur = n + 64;
	if (rl.rlim_max < rl.rlim_cur)
		rl.rlim_max = rl.rlim_cur;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		err(1, "setrlimit(RLIMIT_NOFILE, %zu): %zu members need a "
		    "socket each", n + 64, n);
}

int
main(int argc, char *argv[])
{
	EVP_PKEY	*ca;
	uint8_t		 coordpub[WG_PUBLIC_LEN];
	pid_t		 pids[MAX_PIDS];
	const char	*cakey = NULL, *mesh = NULL, *caddr = NULL, *errstr;
	const char	*raddr = NULL, *waitfile = NULL;
	size_t		 n = 0, window = 64, npids = 0, i, pairs = 100;
	int		 nojoin = 0;
	unsigned int	 rate = 500, isecs = 10, hold = 0, timeout = 600;
	uint64_t	 t0;
	int		 ch, have_pub = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	g.pings = 1;
	while ((ch = getopt(argc, argv, "b:C:DF:H:I:JK:k:m:n:P:p:qR:r:T:W:w:")) != -1) {
		switch (ch) {
		case 'b':
			if (g.nbind == MAX_BIND)
				errx(1, "more than %d -b", MAX_BIND);
			g.bindlen[g.nbind] = parse_addr(optarg,
			    &g.bind[g.nbind], 1);
			g.nbind++;
			break;
		case 'C':
			caddr = optarg;
			break;
		case 'D':
			g.decrypt_all = 1;
			break;
		case 'F':
			pairs = strtonum(optarg, 0, 30000, &errstr);
			if (errstr != NULL)
				errx(1, "-F %s: %s", optarg, errstr);
			break;
		case 'J':
			nojoin = 1;
			break;
		case 'K':
			if (wg_key_from_base64(relay.pub, optarg) == -1)
				errx(1, "-K %s: not a base64 key", optarg);
			break;
		case 'R':
			raddr = optarg;
			break;
		case 'W':
			waitfile = optarg;
			break;
		case 'H':
			hold = strtonum(optarg, 0, 86400, &errstr);
			if (errstr != NULL)
				errx(1, "-H %s: %s", optarg, errstr);
			break;
		case 'I':
			isecs = strtonum(optarg, 1, 3600, &errstr);
			if (errstr != NULL)
				errx(1, "-I %s: %s", optarg, errstr);
			break;
		case 'k':
			cakey = optarg;
			break;
		case 'm':
			mesh = optarg;
			break;
		case 'n':
			n = strtonum(optarg, 1, 60000, &errstr);
			if (errstr != NULL)
				errx(1, "-n %s: %s", optarg, errstr);
			break;
		case 'P':
			if (npids == MAX_PIDS)
				errx(1, "more than %d -P", MAX_PIDS);
			pids[npids++] = strtonum(optarg, 1, INT32_MAX,
			    &errstr);
			if (errstr != NULL)
				errx(1, "-P %s: %s", optarg, errstr);
			break;
		case 'p':
			if (wg_key_from_base64(coordpub, optarg) == -1)
				errx(1, "-p %s: not a base64 key", optarg);
			have_pub = 1;
			break;
		case 'q':
			g.pings = 0;
			break;
		case 'r':
			rate = strtonum(optarg, 1, 1000000, &errstr);
			if (errstr != NULL)
				errx(1, "-r %s: %s", optarg, errstr);
			break;
		case 'T':
			timeout = strtonum(optarg, 1, 86400, &errstr);
			if (errstr != NULL)
				errx(1, "-T %s: %s", optarg, errstr);
			break;
		case 'w':
			window = strtonum(optarg, 1, 100000, &errstr);
			if (errstr != NULL)
				errx(1, "-w %s: %s", optarg, errstr);
			break;
		default:
			usage();
		}
	}
	if (argc != optind || cakey == NULL || mesh == NULL ||
	    caddr == NULL || n == 0 || !have_pub)
		usage();
	if (!cert_valid_label(mesh))
		errx(1, "-m %s: not a mesh name", mesh);
	g.coordlen = parse_addr(caddr, &g.coord, 0);
	for (i = 0; i < g.nbind; i++)
		if (g.bind[i].ss_family != g.coord.ss_family)
			errx(1, "-b: not the family of %s", caddr);
	raise_nofile(raddr != NULL ? 2 * (n + 1) : n + 1);
	ca = read_ca_key(cakey);
	if (raddr != NULL) {
		uint8_t	capub[32];
		size_t	calen = sizeof(capub);

		relay.addrlen = parse_addr(raddr, &relay.addr, 0);
		if (EVP_PKEY_get_raw_public_key(ca, capub, &calen) != 1 ||
		    calen != sizeof(capub))
			errx(1, "%s: no public key", cakey);
		relay_secret_path(capub, relay.pub, relay.path);
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);

	/* members 0..n-1, and n: the late joiner */
	g.n = n + 1;
	if ((g.m = calloc(g.n, sizeof(*g.m))) == NULL)
		err(1, NULL);
	if ((g.ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		err(1, "epoll_create1");
	t0 = mono();
	for (i = 0; i < g.n; i++) {
		member_make(&g.m[i], i, ca, mesh, coordpub, time(NULL));
		member_socket(&g.m[i], i);
	}
	EVP_PKEY_free(ca);
	printf("phase=gen members=%zu secs=%.3f\n", g.n, secs(mono() - t0));

	phase_register(n, window, rate, timeout * WG_NSEC);
	if (raddr != NULL) {
		/* the relay must have learned them all: the caller says */
		if (waitfile != NULL)
			printf("phase=relay_wait file=%s\n", waitfile);
		while (!quit && waitfile != NULL && access(waitfile, F_OK) == -1)
			run_for(WG_NSEC / 4);
		if (!quit)
			phase_relay(pairs);
	}
	if (!quit && !nojoin)
		phase_join(n);
	if (!quit && !nojoin)
		phase_endpoint(g.registered - 1);	/* all but member 0 */
	if (!quit)
		phase_idle(pids, npids, isecs);
	printf("phase=hold\n");
	t0 = mono();
	while (!quit && (hold == 0 || mono() - t0 < hold * WG_NSEC))
		run_for(WG_NSEC);
	printf("phase=end rx_data=%llu rx_skipped=%llu pings=%llu pongs=%llu "
	    "cookies=%llu initiations=%llu restarts=%llu send_fail=%llu "
	    "bad=%llu\n", (unsigned long long)g.rx_data,
	    (unsigned long long)g.rx_skipped,
	    (unsigned long long)g.pings_sent, (unsigned long long)g.pongs,
	    (unsigned long long)g.cookies,
	    (unsigned long long)g.initiations,
	    (unsigned long long)g.restarts,
	    (unsigned long long)g.send_fail, (unsigned long long)g.bad);
	return 0;
}
