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
 * udpflood: an attacker for regress/netns/flood.t.  Sends UDP datagrams
 * to one address and port as fast as sendmmsg(2) takes them (or at a
 * given rate) for a time or a number of datagrams, then prints what it
 * sent, by kind, as key=value lines on stdout.
 *
 *   udpflood junk [-r pps] [-t seconds] [-n count] ip:port
 *	random datagrams: half are malformed for WireGuard (random bytes of
 *	random length 1..1400, a message type with a wrong length, or the
 *	right length with a reserved byte set), the rest are correctly
 *	sized messages of type 1, 2, 3 and 4 with zero reserved bytes and
 *	random content, so they pass the length check and fail later
 *	(mac1 of types 1 and 2, the receiver index of types 3 and 4).
 *   udpflood init -k pubkey [-r pps] [-t seconds] [-n count] ip:port
 *	handshake initiations, 148 bytes of random content with a valid
 *	mac1 for the responder's public key (base64) and mac2 zero: they
 *	pass meshd-net's mac1 check and fail in meshd-crypto (the static
 *	key does not decrypt), unless the cookie mechanism stops them.
 *
 * Output: mode, sent (datagrams the kernel took), malformed, type1 ..
 * type4 (their sum is sent), errors (failed sendmmsg calls), seconds,
 * and what came back: received datagrams, cookie_replies among them
 * (64 bytes of type 3).  SIGINT or SIGTERM ends the run early, with the
 * same output.  The address is IPv4 (a.b.c.d:port) or IPv6 ([addr]:port).
 */

#include <sys/types.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cookie.h"
#include "wgcrypto.h"
#include "wgkey.h"
#include "wgproto.h"

#define BATCH		64
#define MAXLEN		1400	/* the longest junk datagram */

enum kind {
	K_MALFORMED,
	K_TYPE1,
	K_TYPE2,
	K_TYPE3,
	K_TYPE4,
	K_MAX
};

static const char *const kind_names[K_MAX] = {
	"malformed", "type1", "type2", "type3", "type4"
};

/* xoshiro256**, seeded from getrandom(2): fast, and good enough for junk */
static uint64_t	rs[4];

static volatile sig_atomic_t	stop;

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
rnd(void)
{
	uint64_t	r, t;

	r = rotl(rs[1] * 5, 7) * 9;
	t = rs[1] << 17;
	rs[2] ^= rs[0];
	rs[3] ^= rs[1];
	rs[1] ^= rs[2];
	rs[0] ^= rs[3];
	rs[2] ^= t;
	rs[3] = rotl(rs[3], 45);
	return r;
}

/* uniform enough in [0, n) for n much smaller than 2^64 */
static uint32_t
rnd_below(uint32_t n)
{
	return (uint32_t)((rnd() >> 32) * n >> 32);
}

static void
rnd_fill(uint8_t *p, size_t len)
{
	uint64_t	r;
	size_t		k;

	while (len >= 8) {
		r = rnd();
		memcpy(p, &r, 8);
		p += 8;
		len -= 8;
	}
	if (len > 0) {
		r = rnd();
		for (k = 0; k < len; k++)
			p[k] = (uint8_t)(r >> (8 * k));
	}
}

static void
rnd_seed(void)
{
	ssize_t	n;

	do {
		n = getrandom(rs, sizeof(rs), 0);
	} while (n == -1 && errno == EINTR);
	if (n != (ssize_t)sizeof(rs))
		err(1, "getrandom");
	if ((rs[0] | rs[1] | rs[2] | rs[3]) == 0)
		rs[0] = 1;	/* the one state xoshiro cannot leave */
}

static uint64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * WG_NSEC + (uint64_t)ts.tv_nsec;
}

/* a message header: type in the first byte, the three after it zero */
static void
put_type(uint8_t *p, uint32_t type)
{
	wg_put_le32(p + WG_OFF_TYPE, type);
}

/*
 * A datagram meshd-net must call malformed: random bytes, a known type
 * with a length that does not fit it, or the right length with a
 * reserved byte set.  Whatever it is, wg_msg_type() says 0.
 */
static size_t
make_malformed(uint8_t *p)
{
	static const size_t	 hslen[] = {
		WG_INIT_LEN, WG_RESP_LEN, WG_COOKIE_MSG_LEN
	};
	size_t			 len;
	uint32_t		 type;

	switch (rnd_below(4)) {
	case 0:	/* a handshake type with a wrong length */
		type = 1 + rnd_below(3);
		do {
			len = 4 + rnd_below(MAXLEN - 3);
		} while (len == hslen[type - 1]);
		rnd_fill(p, len);
		put_type(p, type);
		break;
	case 1:	/* data shorter than a keepalive */
		len = 1 + rnd_below(WG_DATA_MIN_LEN - 1);
		rnd_fill(p, len);
		if (len >= 4)
			put_type(p, WG_MSG_DATA);
		else
			p[0] = WG_MSG_DATA;
		break;
	case 2:	/* the right length, a reserved byte set */
		type = 1 + rnd_below(4);
		len = type == WG_MSG_DATA ? WG_DATA_MIN_LEN +
		    rnd_below(MAXLEN - WG_DATA_MIN_LEN + 1) : hslen[type - 1];
		rnd_fill(p, len);
		put_type(p, type);
		p[1 + rnd_below(3)] = 1 + rnd_below(255);
		break;
	default: /* anything */
		len = 1 + rnd_below(MAXLEN);
		rnd_fill(p, len);
		break;
	}
	/* a random header could name a type by chance: make sure it does not */
	if (wg_msg_type(p, len) != 0)
		p[1] |= 0x80;
	return len;
}

/* one junk datagram in p; its kind in *k */
static size_t
make_junk(uint8_t *p, enum kind *k)
{
	size_t	len;

	switch (rnd_below(8)) {
	case 4:
		*k = K_TYPE1;
		len = WG_INIT_LEN;
		break;
	case 5:
		*k = K_TYPE2;
		len = WG_RESP_LEN;
		break;
	case 6:
		*k = K_TYPE3;
		len = WG_COOKIE_MSG_LEN;
		break;
	case 7:
		*k = K_TYPE4;
		len = WG_DATA_MIN_LEN + rnd_below(MAXLEN - WG_DATA_MIN_LEN + 1);
		break;
	default:
		*k = K_MALFORMED;
		return make_malformed(p);
	}
	rnd_fill(p, len);
	put_type(p, (uint32_t)*k);	/* K_TYPEn == n */
	return len;
}

/* an initiation with random content, a valid mac1 and mac2 zero */
static size_t
make_init(uint8_t *p, const uint8_t mac1_key[WG_HASH_LEN])
{
	rnd_fill(p, WG_INIT_LEN);
	put_type(p, WG_MSG_INITIATION);
	wg_mac(p + WG_INIT_OFF_MAC1, mac1_key, WG_HASH_LEN, p,
	    WG_INIT_OFF_MAC1);
	memset(p + WG_INIT_OFF_MAC2, 0, WG_MAC_LEN);
	return WG_INIT_LEN;
}

static void
parse_addr(const char *arg, struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	char			 host[INET6_ADDRSTRLEN + 2], *port, *end;
	long			 p;

	if (strlcpy(host, arg, sizeof(host)) >= sizeof(host))
		errx(2, "%s: address too long", arg);
	if (host[0] == '[') {
		if ((port = strstr(host, "]:")) == NULL)
			errx(2, "%s: want [address]:port", arg);
		*port = '\0';
		port += 2;
	} else if ((port = strrchr(host, ':')) != NULL)
		*port++ = '\0';
	else
		errx(2, "%s: want address:port", arg);
	errno = 0;
	p = strtol(port, &end, 10);
	if (*port == '\0' || *end != '\0' || errno != 0 || p < 1 || p > 65535)
		errx(2, "%s: bad port", arg);
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[') {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
		if (inet_pton(AF_INET6, host + 1, &sin6->sin6_addr) != 1)
			errx(2, "%s: bad IPv6 address", arg);
		*sslen = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)p);
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			errx(2, "%s: bad IPv4 address", arg);
		*sslen = sizeof(*sin);
	}
}

static uint64_t
parse_count(const char *arg, const char *what)
{
	unsigned long long	 v;
	char			*end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (*arg == '\0' || *arg == '-' || *end != '\0' || errno != 0 ||
	    v == 0)
		errx(2, "%s: bad %s", arg, what);
	return v;
}

static uint64_t
parse_seconds(const char *arg)
{
	double	 v;
	char	*end;

	errno = 0;
	v = strtod(arg, &end);
	if (*arg == '\0' || *end != '\0' || errno != 0 || !(v > 0) ||
	    v > 86400)
		errx(2, "%s: bad number of seconds", arg);
	return (uint64_t)(v * WG_NSEC);
}

/* what came back (cookie replies in init mode), without waiting */
static void
drain(int s, uint64_t *received, uint64_t *cookies)
{
	static uint8_t	 bufs[BATCH][128];
	struct mmsghdr	 msgs[BATCH];
	struct iovec	 iov[BATCH];
	int		 i, n;

	for (;;) {
		memset(msgs, 0, sizeof(msgs));
		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		if ((n = recvmmsg(s, msgs, BATCH, MSG_DONTWAIT, NULL)) <= 0)
			return;
		for (i = 0; i < n; i++) {
			(*received)++;
			if (msgs[i].msg_len == WG_COOKIE_MSG_LEN &&
			    !(msgs[i].msg_hdr.msg_flags & MSG_TRUNC) &&
			    wg_msg_type(bufs[i], msgs[i].msg_len) ==
			    WG_MSG_COOKIE)
				(*cookies)++;
		}
		if (n < BATCH)
			return;
	}
}

static void
on_signal(int sig)
{
	stop = 1;
}

static __attribute__((__noreturn__)) void
usage(void)
{
	fprintf(stderr, "usage: udpflood junk [-r pps] [-t seconds] "
	    "[-n count] address:port\n"
	    "       udpflood init -k pubkey [-r pps] [-t seconds] "
	    "[-n count] address:port\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	static uint8_t		 bufs[BATCH][MAXLEN];
	struct sockaddr_storage	 dst;
	struct mmsghdr		 msgs[BATCH];
	struct iovec		 iov[BATCH];
	struct sigaction	 sa;
	enum kind		 kinds[BATCH];
	uint8_t			 pub[WG_KEY_LEN], mac1_key[WG_HASH_LEN];
	uint64_t		 count[K_MAX], limit = 0, rate = 0;
	uint64_t		 duration = 0, sent = 0, errors = 0;
	uint64_t		 received = 0, cookies = 0;
	uint64_t		 start, now, due;
	socklen_t		 dstlen;
	size_t			 i, want, off;
	int			 ch, init, have_key = 0, s, n;
	struct timespec		 ts;

	if (argc < 2)
		usage();
	if (strcmp(argv[1], "init") == 0)
		init = 1;
	else if (strcmp(argv[1], "junk") == 0)
		init = 0;
	else
		usage();
	argc--;
	argv++;
	while ((ch = getopt(argc, argv, "k:n:r:t:")) != -1) {
		switch (ch) {
		case 'k':
			if (wg_key_from_base64(pub, optarg) == -1)
				errx(2, "-k: not a base64 WireGuard key");
			have_key = 1;
			break;
		case 'n':
			limit = parse_count(optarg, "count");
			break;
		case 'r':
			rate = parse_count(optarg, "rate");
			break;
		case 't':
			duration = parse_seconds(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1 || (init && !have_key) || (!init && have_key) ||
	    (limit == 0 && duration == 0))
		usage();
	parse_addr(argv[0], &dst, &dstlen);
	if (init)
		cookie_derive_key(mac1_key, WG_LABEL_MAC1, pub);
	rnd_seed();

	if ((s = socket(dst.ss_family, SOCK_DGRAM, 0)) == -1)
		err(1, "socket");
	if (connect(s, (struct sockaddr *)&dst, dstlen) == -1)
		err(1, "connect %s", argv[0]);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1)
		err(1, "sigaction");

	memset(count, 0, sizeof(count));
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs[i];
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	start = now_ns();
	while (!stop) {
		now = now_ns();
		if (duration != 0 && now - start >= duration)
			break;
		want = BATCH;
		if (limit != 0 && limit - sent < want)
			want = limit - sent;
		if (rate != 0) {
			/* the time the next datagram is due */
			due = start + sent * WG_NSEC / rate;
			if (due > now) {
				ts.tv_sec = (due - now) / WG_NSEC;
				ts.tv_nsec = (due - now) % WG_NSEC;
				nanosleep(&ts, NULL);
				continue;
			}
			/* no bursts of more than a millisecond's worth */
			if (rate / 1000 + 1 < want)
				want = rate / 1000 + 1;
		}
		for (i = 0; i < want; i++) {
			if (init) {
				kinds[i] = K_TYPE1;
				iov[i].iov_len = make_init(bufs[i], mac1_key);
			} else
				iov[i].iov_len = make_junk(bufs[i], &kinds[i]);
		}
		/* what the kernel did not take is made afresh next time */
		for (off = 0; off < want; off += n) {
			n = sendmmsg(s, msgs + off, want - off, 0);
			if (n <= 0) {
				/*
				 * ENOBUFS, or ECONNREFUSED after an ICMP
				 * port unreachable: count it, go on
				 */
				if (n == -1 && errno != EINTR)
					errors++;
				break;
			}
			for (i = off; i < off + (size_t)n; i++)
				count[kinds[i]]++;
			sent += n;
		}
		if (init)
			drain(s, &received, &cookies);
		if (limit != 0 && sent >= limit)
			break;
	}
	now = now_ns();
	/* the last answers, a moment later */
	ts.tv_sec = 0;
	ts.tv_nsec = 100000000;
	nanosleep(&ts, NULL);
	drain(s, &received, &cookies);
	close(s);

	printf("mode=%s\n", init ? "init" : "junk");
	printf("sent=%llu\n", (unsigned long long)sent);
	for (i = 0; i < K_MAX; i++)
		printf("%s=%llu\n", kind_names[i],
		    (unsigned long long)count[i]);
	printf("errors=%llu\n", (unsigned long long)errors);
	printf("seconds=%.3f\n", (double)(now - start) / WG_NSEC);
	printf("received=%llu\n", (unsigned long long)received);
	printf("cookie_replies=%llu\n", (unsigned long long)cookies);
	return 0;
}
