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
 * hsdriver: drives meshd's WireGuard engine (meshd-crypto/noise.c) over a
 * real UDP socket against a real WireGuard peer, for
 * regress/interop/handshake.t.  Inside the tunnel it speaks ICMP echo, so
 * the other side's kernel answers (or is answered) and every byte of
 * handshake and transport data crosses both implementations.
 *
 *   hsdriver kat-keys
 *	print the known-answer keys, base64, one per line: initiator
 *	private, initiator public, responder private, responder public, PSK
 *   hsdriver initiate [-K] -k priv -p peerpub [-s psk] -c ip:port
 *	    -a ouraddr -r theiraddr
 *	handshake as initiator with the peer at ip:port, send an ICMP echo
 *	request ouraddr -> theiraddr through the tunnel and wait for the
 *	echo reply.  -K: fixed ephemeral key, sender index and timestamp
 *	(the unit test's known answer); the initiation must equal the
 *	vector byte for byte, or hsdriver fails before sending it.
 *   hsdriver respond [-L] -k priv -p peerpub [-s psk] -l ip:port
 *	    -a ouraddr -r theiraddr
 *	wait for the peer's initiation, answer it, decrypt its first data
 *	packet, which must be an ICMP echo request theiraddr -> ouraddr,
 *	and answer it.  -L: behave as under load: answer initiations
 *	without a valid mac2 with a cookie reply, and require the peer's
 *	retry to carry a good mac2.
 *
 * Exit 0 when everything was as expected; the reason on stderr if not.
 * Addresses are IPv4 (loopback inside the test's network namespace).
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "cookie.h"
#include "noise.h"
#include "wgcrypto.h"
#include "wgnoise.h"
#include "wgkey.h"
#include "wgproto.h"

#define TIMEOUT		(20 * WG_NSEC)
#define ECHO_ID		0x6d73		/* "ms" */
#define ECHO_SEQ	1
#define ECHO_DATA	"meshd hsdriver echo"

/*
 * The known answer, the same vector as regress/unit/noise.c (the test
 * script checks that both copies agree).
 */
static const char kat_init_priv[] =
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf";
static const char kat_resp_priv[] =
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf";
static const char kat_eph_priv[] =
    "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
static const char kat_index[] = "12345678";
static const char kat_tai64n[] = "400000006955800a00000000";
static const char kat_psk[] =
    "5051525354555657585960616263646566676869707172737475767778797a7b";
/* KAT-INITIATION */
static const char kat_initiation[] =
    "0100000012345678736845d54e87de09d6bb114aa7042c50a4a015bd9901d1a0"
    "026f5956533a1519e6f8e3f6e93118f94051367047c32211bcf7b9bbdda0723a"
    "d29db578bea5a84bf7048be7fe7aebdd8e7df06aab32c1e934bdade45a01c61f"
    "752ae06561ed193f28d46df2cdce0fc7293a7a59cc538bf85cc1d15f4aa38422"
    "4eede33c00000000000000000000000000000000";

struct drv {
	struct noise_local	*l;
	struct noise_peer	*p;
	struct cookie_checker	 cc;
	int			 s;
	struct sockaddr_in	 dst;
	int			 have_dst;
	int			 kat;
	int			 under_load;
	int			 initiator;
	uint8_t			 our[4], their[4];
	uint8_t			 queued[64];	/* one packet waits for a key */
	size_t			 queuedlen;
	int			 ncookies;	/* cookie replies sent */
	int			 nmac2;		/* initiations with good mac2 */
	int			 handshake;	/* done */
	int			 done;
	const char		*fail;
};

/* the rng hook: a script first (the known answer), then RAND_bytes */
static uint8_t	script[64];
static size_t	slen, spos;

static int
drv_rng(void *buf, size_t len, void *arg)
{
	uint8_t	*p = buf;

	while (len > 0 && spos < slen) {
		*p++ = script[spos++];
		len--;
	}
	if (len > 0 && RAND_bytes(p, len) != 1)
		return -1;
	return 0;
}

static int
unhex(uint8_t *out, size_t outlen, const char *hex)
{
	size_t		i;
	unsigned int	v;

	if (strlen(hex) != 2 * outlen)
		return -1;
	for (i = 0; i < outlen; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = v;
	}
	return 0;
}

static void
kat_tai(uint8_t out[WG_TAI64N_LEN], void *arg)
{
	unhex(out, WG_TAI64N_LEN, kat_tai64n);
}

static uint64_t
mono(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		err(1, "clock_gettime");
	return (uint64_t)ts.tv_sec * WG_NSEC + ts.tv_nsec;
}

static uint16_t
cksum(const uint8_t *p, size_t len)
{
	uint32_t	sum = 0;
	size_t		i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* an IPv4 ICMP echo packet; returns its length */
static size_t
make_echo(uint8_t *pkt, const uint8_t src[4], const uint8_t dst[4],
    int type, uint16_t id, uint16_t seq, const void *data, size_t dlen)
{
	size_t		len = 20 + 8 + dlen;
	uint16_t	c;

	memset(pkt, 0, len);
	pkt[0] = 0x45;
	pkt[2] = len >> 8;
	pkt[3] = len;
	pkt[6] = 0x40;			/* DF */
	pkt[8] = 64;			/* TTL */
	pkt[9] = 1;			/* ICMP */
	memcpy(pkt + 12, src, 4);
	memcpy(pkt + 16, dst, 4);
	c = cksum(pkt, 20);
	pkt[10] = c >> 8;
	pkt[11] = c;
	pkt[20] = type;
	pkt[24] = id >> 8;
	pkt[25] = id;
	pkt[26] = seq >> 8;
	pkt[27] = seq;
	memcpy(pkt + 28, data, dlen);
	c = cksum(pkt + 20, 8 + dlen);
	pkt[22] = c >> 8;
	pkt[23] = c;
	return len;
}

/*
 * An IPv4 ICMP echo of the given type src -> dst in a (padded)
 * plaintext; its length, 0 if it is not one.
 */
static size_t
is_echo(const uint8_t *pt, size_t len, int type, const uint8_t src[4],
    const uint8_t dst[4])
{
	size_t	tot, ihl;

	if (len < 28 || pt[0] >> 4 != 4)
		return 0;
	ihl = (pt[0] & 0xf) * 4;
	tot = (size_t)pt[2] << 8 | pt[3];
	if (ihl < 20 || tot > len || tot < ihl + 8 || cksum(pt, ihl) != 0)
		return 0;
	if (pt[9] != 1 || memcmp(pt + 12, src, 4) != 0 ||
	    memcmp(pt + 16, dst, 4) != 0 || pt[ihl] != type ||
	    cksum(pt + ihl, tot - ihl) != 0)
		return 0;
	return tot;
}

static void
drv_send(struct drv *d, const uint8_t *msg, size_t len)
{
	if (!d->have_dst)
		return;
	if (sendto(d->s, msg, len, 0, (struct sockaddr *)&d->dst,
	    sizeof(d->dst)) == -1)
		warn("sendto");
}

static void
drv_encrypt(struct drv *d, const uint8_t *pt, size_t len)
{
	uint8_t	out[2048];
	size_t	outlen;
	int	ret;

	ret = noise_encrypt(d->p, mono(), pt, len, 0, out, sizeof(out),
	    &outlen);
	if (ret == 0)
		drv_send(d, out, outlen);
	else if (ret == NOISE_E_NOKEY && len > 0 &&
	    len <= sizeof(d->queued)) {
		memcpy(d->queued, pt, len);
		d->queuedlen = len;
	} else if (ret != NOISE_E_NOKEY)
		warnx("encrypt: %s", noise_strerror(ret));
}

static void
drv_initiation(struct drv *d, uint64_t now)
{
	uint8_t	msg[WG_INIT_LEN], want[WG_INIT_LEN];
	int	ret;

	if (d->kat) {
		slen = spos = 0;
		unhex(script, 32, kat_eph_priv);
		unhex(script + 32, 4, kat_index);
		slen = 36;
	}
	if ((ret = noise_create_initiation(d->p, now, msg)) != 0) {
		if (ret != NOISE_E_RATELIMIT)
			warnx("initiation: %s", noise_strerror(ret));
		return;
	}
	if (d->kat) {
		d->kat = 0;	/* a retry is an ordinary initiation */
		unhex(want, sizeof(want), kat_initiation);
		if (memcmp(msg, want, sizeof(want)) != 0) {
			d->fail = "initiation differs from the known answer";
			d->done = 1;
			return;
		}
		printf("initiation equals the known answer\n");
		noise_local_set_tai64n(d->l, NULL, NULL);
	}
	drv_send(d, msg, sizeof(msg));
}

static void
drv_actions(struct drv *d)
{
	uint64_t	now = mono();
	uint32_t	act;
	int		i;

	for (i = 0; i < 10 && (act = noise_peer_poll(d->p, now)) != 0; i++) {
		if (act & NOISE_ACT_PURGE)
			d->queuedlen = 0;
		if (act & NOISE_ACT_INITIATE && d->initiator)
			drv_initiation(d, now);
		if (act & (NOISE_ACT_KEEPALIVE | NOISE_ACT_FLUSH)) {
			if (d->queuedlen > 0) {
				size_t	len = d->queuedlen;

				d->queuedlen = 0;
				drv_encrypt(d, d->queued, len);
			} else if (act & NOISE_ACT_KEEPALIVE)
				drv_encrypt(d, NULL, 0);
		}
	}
}

static void
drv_input(struct drv *d, const uint8_t *msg, size_t len,
    const struct sockaddr_in *from)
{
	struct noise_peer	*p;
	uint8_t			 out[2048], reply[1500], src[6];
	size_t			 outlen, n;
	uint64_t		 now = mono();
	int			 ret, type;

	memcpy(src, &from->sin_addr, 4);
	memcpy(src + 4, &from->sin_port, 2);
	switch ((type = wg_msg_type(msg, len))) {
	case WG_MSG_INITIATION:
	case WG_MSG_RESPONSE:
		switch (cookie_checker_validate(&d->cc, msg, len, src,
		    sizeof(src), d->under_load, now)) {
		case COOKIE_MAC_INVALID:
			warnx("handshake message with a bad mac1");
			return;
		case COOKIE_MAC_NEED_COOKIE:
			if (cookie_checker_create_reply(&d->cc, out, msg, len,
			    src, sizeof(src), now) == 0) {
				d->dst = *from;
				d->have_dst = 1;
				drv_send(d, out, WG_COOKIE_MSG_LEN);
				d->ncookies++;
				printf("under load: cookie reply sent\n");
			}
			return;
		case COOKIE_MAC_VALID_COOKIE:
			if (type == WG_MSG_INITIATION)
				d->nmac2++;
			break;
		case COOKIE_MAC_VALID:
			break;
		}
		if (type == WG_MSG_INITIATION) {
			ret = noise_consume_initiation(d->l, msg, len, now, &p);
			if (ret == 0) {
				d->dst = *from;		/* roaming */
				d->have_dst = 1;
				ret = noise_create_response(p, now, out);
				if (ret == 0) {
					drv_send(d, out, WG_RESP_LEN);
					printf("initiation consumed, "
					    "response sent\n");
				}
			}
		} else {
			ret = noise_consume_response(d->l, msg, len, now, &p);
			if (ret == 0) {
				d->handshake = 1;
				printf("response consumed\n");
			}
		}
		break;
	case WG_MSG_COOKIE:
		ret = noise_consume_cookie(d->l, msg, len, now, &p);
		break;
	case WG_MSG_DATA:
		ret = noise_decrypt(d->l, msg, len, now, &p, out,
		    sizeof(out), &outlen);
		if (ret != 0 || outlen == 0)
			break;
		d->dst = *from;
		d->have_dst = 1;
		if (d->initiator) {
			if ((n = is_echo(out, outlen, 0, d->their,
			    d->our)) > 0 && out[24] == ECHO_ID >> 8 &&
			    out[25] == (ECHO_ID & 0xff)) {
				printf("echo reply decrypted (%zu bytes)\n", n);
				d->done = 1;
			}
		} else if ((n = is_echo(out, outlen, 8, d->their,
		    d->our)) > 0) {
			printf("echo request from the peer decrypted: "
			    "IPv4 to our address (%zu bytes)\n", n);
			d->handshake = 1;
			/* answer it: same id, seq and data */
			n = make_echo(reply, d->our, d->their, 0,
			    out[24] << 8 | out[25], out[26] << 8 | out[27],
			    out + 28, n - 28 > sizeof(reply) - 28 ?
			    sizeof(reply) - 28 : n - 28);
			drv_encrypt(d, reply, n);
			d->done = 1;
		} else
			warnx("data that is not the echo request expected");
		break;
	default:
		warnx("not a WireGuard message (%zu bytes)", len);
		return;
	}
	if (ret != 0)
		warnx("message type %d: %s", type, noise_strerror(ret));
}

static void
parse_addr(struct sockaddr_in *sin, const char *s)
{
	char	 buf[64], *colon;

	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf) ||
	    (colon = strrchr(buf, ':')) == NULL)
		errx(1, "%s: not ip:port", s);
	*colon = '\0';
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(atoi(colon + 1));
	if (inet_pton(AF_INET, buf, &sin->sin_addr) != 1)
		errx(1, "%s: not an IPv4 address", buf);
}

static void
parse_ip(uint8_t ip[4], const char *s)
{
	if (inet_pton(AF_INET, s, ip) != 1)
		errx(1, "%s: not an IPv4 address", s);
}

static void
key_arg(uint8_t key[WG_KEY_LEN], const char *s, const char *what)
{
	if (wg_key_from_base64(key, s) == -1)
		errx(1, "%s: not a base64 key", what);
}

static void
kat_keys(void)
{
	uint8_t	k[WG_KEY_LEN], pub[WG_KEY_LEN];
	char	b64[WG_KEY_B64_LEN + 1];

	unhex(k, sizeof(k), kat_init_priv);
	wg_key_clamp(k);
	wg_key_to_base64(b64, k);
	printf("%s\n", b64);
	wg_dh_public(pub, k);
	wg_key_to_base64(b64, pub);
	printf("%s\n", b64);
	unhex(k, sizeof(k), kat_resp_priv);
	wg_key_clamp(k);
	wg_key_to_base64(b64, k);
	printf("%s\n", b64);
	wg_dh_public(pub, k);
	wg_key_to_base64(b64, pub);
	printf("%s\n", b64);
	unhex(k, sizeof(k), kat_psk);
	wg_key_to_base64(b64, k);
	printf("%s\n", b64);
}

static __attribute__((__noreturn__)) void
usage(void)
{
	fprintf(stderr, "usage: hsdriver kat-keys\n"
	    "       hsdriver initiate [-K] -k priv -p peerpub [-s psk] "
	    "-c ip:port -a ouraddr -r theiraddr\n"
	    "       hsdriver respond [-L] -k priv -p peerpub [-s psk] "
	    "-l ip:port -a ouraddr -r theiraddr\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct drv		 d;
	struct sockaddr_in	 sin, from;
	struct pollfd		 pfd;
	socklen_t		 fromlen;
	uint8_t			 priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	uint8_t			 peer[WG_KEY_LEN], psk[WG_KEY_LEN];
	uint8_t			 buf[2048], pkt[128];
	const char		*addr = NULL, *ours = NULL, *theirs = NULL;
	uint64_t		 deadline, now, next;
	ssize_t			 n;
	size_t			 len;
	int			 ch, have_priv = 0, have_peer = 0, have_psk = 0;
	int			 ms;

	if (argc < 2)
		usage();
	memset(&d, 0, sizeof(d));
	if (strcmp(argv[1], "kat-keys") == 0) {
		kat_keys();
		return 0;
	} else if (strcmp(argv[1], "initiate") == 0)
		d.initiator = 1;
	else if (strcmp(argv[1], "respond") != 0)
		usage();
	argc--;
	argv++;
	while ((ch = getopt(argc, argv, "KLk:p:s:c:l:a:r:")) != -1) {
		switch (ch) {
		case 'K':
			d.kat = 1;
			break;
		case 'L':
			d.under_load = 1;
			break;
		case 'k':
			key_arg(priv, optarg, "-k");
			have_priv = 1;
			break;
		case 'p':
			key_arg(peer, optarg, "-p");
			have_peer = 1;
			break;
		case 's':
			key_arg(psk, optarg, "-s");
			have_psk = 1;
			break;
		case 'c':
		case 'l':
			addr = optarg;
			break;
		case 'a':
			ours = optarg;
			break;
		case 'r':
			theirs = optarg;
			break;
		default:
			usage();
		}
	}
	if (!have_priv || !have_peer || addr == NULL || ours == NULL ||
	    theirs == NULL || (d.kat && !d.initiator) ||
	    (d.under_load && d.initiator))
		usage();
	parse_ip(d.our, ours);
	parse_ip(d.their, theirs);

	if ((d.l = noise_local_new()) == NULL)
		errx(1, "noise_local_new");
	noise_local_set_rng(d.l, drv_rng, NULL);
	if (d.kat)
		noise_local_set_tai64n(d.l, kat_tai, NULL);
	if (noise_local_set_private(d.l, priv) != 0 ||
	    noise_local_public(d.l, pub) != 0)
		errx(1, "bad private key");
	explicit_bzero(priv, sizeof(priv));
	if ((d.p = noise_peer_new(d.l, peer, NULL)) == NULL)
		err(1, "noise_peer_new");
	if (have_psk)
		noise_peer_set_psk(d.p, psk);
	explicit_bzero(psk, sizeof(psk));
	cookie_checker_init(&d.cc, NULL, NULL);
	cookie_checker_set_key(&d.cc, pub);

	if ((d.s = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		err(1, "socket");
	parse_addr(&sin, addr);
	if (d.initiator) {
		d.dst = sin;
		d.have_dst = 1;
	} else if (bind(d.s, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "bind %s", addr);

	now = mono();
	deadline = now + TIMEOUT;
	if (d.initiator) {
		/* the echo request waits for the handshake */
		len = make_echo(pkt, d.our, d.their, 8, ECHO_ID, ECHO_SEQ,
		    ECHO_DATA, sizeof(ECHO_DATA) - 1);
		drv_encrypt(&d, pkt, len);
		drv_actions(&d);
	}
	while (!d.done && (now = mono()) < deadline) {
		next = noise_peer_next_timer(d.p);
		if (next > deadline)
			next = deadline;
		ms = next > now ? (int)((next - now) / 1000000) + 1 : 0;
		pfd.fd = d.s;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, ms) == -1 && errno != EINTR)
			err(1, "poll");
		if (pfd.revents & POLLIN) {
			fromlen = sizeof(from);
			n = recvfrom(d.s, buf, sizeof(buf), 0,
			    (struct sockaddr *)&from, &fromlen);
			if (n == -1)
				err(1, "recvfrom");
			if (fromlen == sizeof(from) &&
			    from.sin_family == AF_INET)
				drv_input(&d, buf, n, &from);
		}
		drv_actions(&d);
	}
	noise_local_free(d.l);
	cookie_checker_wipe(&d.cc);
	if (d.fail != NULL)
		errx(1, "%s", d.fail);
	if (!d.done)
		errx(1, "timed out (handshake %s)", d.handshake ? "done" :
		    "not done");
	if (d.under_load && (d.ncookies == 0 || d.nmac2 == 0))
		errx(1, "under load, but %d cookie replies and %d initiations "
		    "with mac2", d.ncookies, d.nmac2);
	if (d.under_load)
		printf("the peer's retry carried a valid mac2\n");
	return 0;
}
