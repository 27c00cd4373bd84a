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
 * Inner IP header parsing: real packets (a textbook IPv4 header whose
 * checksum checks, a hand-made ICMPv6 echo request with its checksum,
 * and packets the kernel itself sends into a TUN), every drop reason with
 * a crafted packet, truncation at every length up to the header; then
 * the ICMP unreachable replies, checked field by field, against the RFCs'
 * rules for when to stay quiet, and finally by the kernel: written to a
 * TUN in a network namespace of our own, a reply must reach the UDP
 * socket that sent the packet as EHOSTUNREACH from our address.  Also
 * ippkt_is_wg_from(): which packets meshd-tun takes for its own
 * encapsulated traffic come back (a routing loop).
 *
 * An address added with IFA_F_NODAD is a usable source at once, but the
 * kernel installs its local route only when addrconf's deferred work runs
 * after the link comes up (it needs the RTNL lock, which the teardown of
 * an earlier namespace may hold for a while).  Until then a packet to the
 * address is taken for one to forward and dropped (Ip6InAddrErrors), so
 * the test waits for that route before it sends anything.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "ippkt.h"
#include "tundev.h"

/* Wikipedia's IPv4 header checksum example: UDP 192.168.0.1 -> .199 */
static const uint8_t wiki4_hdr[20] = {
	0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
	0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7
};

/* ICMPv6 echo request fd00::1 -> fd00::2, id 0x1234 seq 1, "meshd" */
static const uint8_t echo6[53] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x0d, 0x3a, 0x40,
	0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
	0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
	0x80, 0x00, 0x2e, 0xb0, 0x12, 0x34, 0x00, 0x01,
	'm', 'e', 's', 'h', 'd'
};

static const uint8_t	our4[4] = { 10, 99, 0, 254 };
static const uint8_t	our6[16] = { 0xfd, 0x99, [15] = 0xfe };

/* the wiki packet, 115 bytes: the header, a UDP header, a payload */
static size_t
wiki4(uint8_t *p)
{
	size_t	i;

	memcpy(p, wiki4_hdr, sizeof(wiki4_hdr));
	p[20] = 0x30; p[21] = 0x39;		/* port 12345 */
	p[22] = 0x00; p[23] = 0x35;		/* port 53 */
	p[24] = 0x00; p[25] = 115 - 20;
	p[26] = p[27] = 0;			/* no UDP checksum */
	for (i = 28; i < 115; i++)
		p[i] = i;
	return 115;
}

/* the test's own one's complement sum: 0xffff over a correct range */
static unsigned int
sum16(unsigned int sum, const uint8_t *p, size_t n)
{
	size_t	i;

	for (i = 0; i + 1 < n; i += 2)
		sum += p[i] * 256u + p[i + 1];
	if (n & 1)
		sum += p[n - 1] * 256u;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static int
v6_icmp_sum_ok(const uint8_t *p, size_t len)
{
	uint8_t		ph[40];
	unsigned int	s;

	memcpy(ph, p + 8, 32);
	ph[32] = ph[33] = 0;
	ph[34] = (len - 40) >> 8;
	ph[35] = len - 40;
	ph[36] = ph[37] = ph[38] = 0;
	ph[39] = 58;
	s = sum16(0, ph, 40);
	return sum16(s, p + 40, len - 40) == 0xffff;
}

static void
parse_good(void)
{
	struct ippkt	ip;
	uint8_t		p[256];
	size_t		n;

	n = wiki4(p);
	is_int(sum16(0, p, 20), 0xffff, "the textbook IPv4 header's checksum "
	    "is right (the packet is real)");
	ok(ippkt_parse(p, n, &ip) == 0 && ip.reason == IPPKT_OK,
	    "it parses");
	ok(ip.version == 4 && ip.proto == 17 && ip.hdrlen == 20 &&
	    ip.len == 115, "version 4, UDP, header 20, length 115");
	ok(memcmp(ip.src, "\xc0\xa8\x00\x01", 4) == 0 &&
	    memcmp(ip.dst, "\xc0\xa8\x00\xc7", 4) == 0,
	    "from 192.168.0.1 to 192.168.0.199");
	ok(memcmp(ip.src + 4, "\0\0\0\0\0\0\0\0\0\0\0\0", 12) == 0 &&
	    memcmp(ip.dst + 4, "\0\0\0\0\0\0\0\0\0\0\0\0", 12) == 0,
	    "the rest of src and dst is zero");
	memset(p + n, 0xee, 13);
	ok(ippkt_parse(p, n + 13, &ip) == 0 && ip.len == 115,
	    "13 bytes of padding: length still 115, to trim to");
	ok(ippkt_parse(p, n, &ip) == 0 && ip.len == 115,
	    "total length equal to the bytes read is fine");

	/* IHL 6: one word of options (four NOPs) */
	memset(p, 0, sizeof(p));
	p[0] = 0x46;
	p[3] = 32;
	p[9] = 6;
	p[12] = 10; p[15] = 1;
	p[16] = 10; p[19] = 2;
	memset(p + 20, 1, 4);
	ok(ippkt_parse(p, 32, &ip) == 0 && ip.hdrlen == 24 && ip.len == 32 &&
	    ip.proto == 6 && ip.dst[3] == 2, "IHL 6 with options: header 24");
	/* the largest header */
	memset(p, 0, sizeof(p));
	p[0] = 0x4f;
	p[3] = 60;
	ok(ippkt_parse(p, 60, &ip) == 0 && ip.hdrlen == 60 && ip.len == 60,
	    "IHL 15, nothing but header: 60 bytes");

	ok(ippkt_parse(echo6, sizeof(echo6), &ip) == 0 &&
	    v6_icmp_sum_ok(echo6, sizeof(echo6)),
	    "the hand-made ICMPv6 echo request parses; its checksum is right");
	ok(ip.version == 6 && ip.proto == 58 && ip.hdrlen == 40 &&
	    ip.len == 53, "version 6, ICMPv6, header 40, length 53");
	ok(memcmp(ip.src, echo6 + 8, 16) == 0 &&
	    memcmp(ip.dst, echo6 + 24, 16) == 0, "from fd00::1 to fd00::2");
	memcpy(p, echo6, sizeof(echo6));
	memset(p + sizeof(echo6), 0, 11);
	ok(ippkt_parse(p, sizeof(echo6) + 11, &ip) == 0 && ip.len == 53,
	    "IPv6 with 11 bytes of padding: length still 53");
	memset(p, 0, 40);
	p[0] = 0x60;
	ok(ippkt_parse(p, 40, &ip) == 0 && ip.len == 40,
	    "IPv6 with payload length 0: just the header");
}

/* parse must fail with why, and leave everything else zero */
static int
fails(const uint8_t *p, size_t n, enum ippkt_reason why)
{
	struct ippkt	ip, zero;

	memset(&ip, 0xa5, sizeof(ip));
	memset(&zero, 0, sizeof(zero));
	zero.reason = why;
	if (ippkt_parse(p, n, &ip) != -1)
		return 0;
	return memcmp(&ip, &zero, sizeof(ip)) == 0;
}

static void
parse_bad(void)
{
	uint8_t		p[128], v6[64];
	size_t		n, first;
	unsigned int	v;

	wiki4(p);
	ok(fails(p, 0, IPPKT_SHORT), "0 bytes: short");
	for (n = 1, first = 0; n < 20; n++)
		if (!fails(p, n, IPPKT_SHORT) && first == 0)
			first = n;
	ok(first == 0, "IPv4 cut at 1 to 19 bytes: short (first wrong: %zu)",
	    first);
	memcpy(v6, echo6, sizeof(echo6));
	for (n = 1, first = 0; n < 40; n++)
		if (!fails(v6, n, IPPKT_SHORT) && first == 0)
			first = n;
	ok(first == 0, "IPv6 cut at 1 to 39 bytes: short (first wrong: %zu)",
	    first);

	for (v = 0, first = 0; v < 16; v++) {
		if (v == 4 || v == 6)
			continue;
		p[0] = v << 4 | 5;
		if (!fails(p, 115, IPPKT_BAD_VERSION) ||
		    !fails(p, 1, IPPKT_BAD_VERSION))
			first = v + 100;
	}
	ok(first == 0, "versions 0-3, 5, 7-15: bad version, even at 1 byte");

	for (v = 0, first = 0; v < 5; v++) {
		p[0] = 0x40 | v;
		if (!fails(p, 115, IPPKT_BAD_IHL))
			first = v + 100;
	}
	ok(first == 0, "IHL 0 to 4: bad IHL");
	p[0] = 0x4f;
	ok(fails(p, 59, IPPKT_BAD_IHL), "IHL 15 with 59 bytes read: bad IHL");
	p[0] = 0x46;
	for (n = 20, first = 0; n < 24; n++)
		if (!fails(p, n, IPPKT_BAD_IHL) && first == 0)
			first = n;
	ok(first == 0, "IHL 6 cut at 20 to 23 bytes: bad IHL");

	wiki4(p);
	for (n = 20, first = 0; n < 115; n++)
		if (!fails(p, n, IPPKT_BAD_LENGTH) && first == 0)
			first = n;
	ok(first == 0, "total length 115 with 20 to 114 bytes read: "
	    "bad length (first wrong: %zu)", first);
	p[2] = 0;
	p[3] = 0;
	ok(fails(p, 115, IPPKT_BAD_LENGTH), "total length 0: bad length");
	p[3] = 19;
	ok(fails(p, 115, IPPKT_BAD_LENGTH), "total length 19: bad length");
	p[0] = 0x46;
	p[3] = 23;
	ok(fails(p, 115, IPPKT_BAD_LENGTH),
	    "total length 23 under a 24-byte header: bad length");
	p[0] = 0x45;
	p[2] = 0xff;
	p[3] = 0xff;
	ok(fails(p, 115, IPPKT_BAD_LENGTH), "total length 65535: bad length");

	for (n = 40, first = 0; n < sizeof(echo6); n++)
		if (!fails(v6, n, IPPKT_BAD_LENGTH) && first == 0)
			first = n;
	ok(first == 0, "IPv6 payload 13 with 0 to 12 bytes after the header: "
	    "bad length");
	v6[4] = 0xff;
	ok(fails(v6, sizeof(echo6), IPPKT_BAD_LENGTH),
	    "IPv6 payload length 65280 in 53 bytes: bad length");
}

static void
reasons(void)
{
	enum ippkt_reason	r, s;
	int			distinct = 1;

	is_str(ippkt_reason(IPPKT_OK), "ok", "reason ok");
	is_str(ippkt_reason(IPPKT_SHORT), "short", "reason short");
	is_str(ippkt_reason(IPPKT_BAD_VERSION), "bad_version",
	    "reason bad_version");
	is_str(ippkt_reason(IPPKT_BAD_IHL), "bad_ihl", "reason bad_ihl");
	is_str(ippkt_reason(IPPKT_BAD_LENGTH), "bad_length",
	    "reason bad_length");
	is_str(ippkt_reason(IPPKT_NO_ROUTE), "no_route", "reason no_route");
	is_str(ippkt_reason(IPPKT_BAD_SOURCE), "bad_source",
	    "reason bad_source");
	is_str(ippkt_reason(IPPKT_NREASONS), "unknown", "out of range");
	is_str(ippkt_reason((enum ippkt_reason)-1), "unknown",
	    "negative: unknown");
	for (r = 0; r < IPPKT_NREASONS; r++)
		for (s = r + 1; s < IPPKT_NREASONS; s++)
			if (strcmp(ippkt_reason(r), ippkt_reason(s)) == 0)
				distinct = 0;
	ok(distinct, "every reason has its own name");
}

/* a reply to check: what it must be for packet p of plen bytes */
static int
reply4_ok(const uint8_t *r, int rlen, const uint8_t *p, size_t quote,
    const char *what)
{
	struct ippkt	ip;

	if (rlen != (int)(28 + quote)) {
		diag("%s: reply of %d bytes, expected %zu", what, rlen,
		    28 + quote);
		return 0;
	}
	if (ippkt_parse(r, rlen, &ip) == -1 || ip.len != (size_t)rlen ||
	    ip.version != 4 || ip.proto != 1 || ip.hdrlen != 20) {
		diag("%s: not a 20-byte-header ICMP packet", what);
		return 0;
	}
	if (memcmp(ip.src, our4, 4) != 0 || memcmp(ip.dst, p + 12, 4) != 0 ||
	    r[8] != 64 || r[6] != 0 || r[7] != 0) {
		diag("%s: addresses, TTL or fragment bits wrong", what);
		return 0;
	}
	if (sum16(0, r, 20) != 0xffff || sum16(0, r + 20, rlen - 20) !=
	    0xffff) {
		diag("%s: a checksum is wrong", what);
		return 0;
	}
	if (r[20] != 3 || r[21] != 1 || memcmp(r + 24, "\0\0\0\0", 4) != 0 ||
	    memcmp(r + 28, p, quote) != 0) {
		diag("%s: ICMP type, code, unused or quote wrong", what);
		return 0;
	}
	return 1;
}

static int
reply6_ok(const uint8_t *r, int rlen, const uint8_t *p, size_t quote,
    const char *what)
{
	struct ippkt	ip;

	if (rlen != (int)(48 + quote)) {
		diag("%s: reply of %d bytes, expected %zu", what, rlen,
		    48 + quote);
		return 0;
	}
	if (ippkt_parse(r, rlen, &ip) == -1 || ip.len != (size_t)rlen ||
	    ip.version != 6 || ip.proto != 58 || r[7] != 64 ||
	    memcmp(r, "\x60\0\0\0", 4) != 0) {
		diag("%s: not an ICMPv6 packet with hop limit 64", what);
		return 0;
	}
	if (memcmp(ip.src, our6, 16) != 0 || memcmp(ip.dst, p + 8, 16) != 0) {
		diag("%s: addresses wrong", what);
		return 0;
	}
	if (!v6_icmp_sum_ok(r, rlen)) {
		diag("%s: checksum wrong", what);
		return 0;
	}
	if (r[40] != 1 || r[41] != 3 || memcmp(r + 44, "\0\0\0\0", 4) != 0 ||
	    memcmp(r + 48, p, quote) != 0) {
		diag("%s: ICMPv6 type, code, unused or quote wrong", what);
		return 0;
	}
	return 1;
}

/* a v4 packet of n bytes from 10.0.0.1 to 10.9.0.1, protocol proto */
static void
mk4(uint8_t *p, size_t n, unsigned int proto)
{
	size_t	i;

	memset(p, 0, n);
	p[0] = 0x45;
	p[2] = n >> 8;
	p[3] = n;
	p[8] = 64;
	p[9] = proto;
	p[12] = 10; p[15] = 1;
	p[16] = 10; p[17] = 9; p[19] = 1;
	for (i = 20; i < n; i++)
		p[i] = i * 7;
	if (proto == 1 && n > 20)
		p[20] = 8;			/* echo */
}

/* a v6 packet of n bytes from fd00::1 to fd09::1, next header nh */
static void
mk6(uint8_t *p, size_t n, unsigned int nh)
{
	size_t	i;

	memset(p, 0, n);
	p[0] = 0x60;
	p[4] = (n - 40) >> 8;
	p[5] = n - 40;
	p[6] = nh;
	p[7] = 64;
	p[8] = 0xfd; p[23] = 1;
	p[24] = 0xfd; p[25] = 0x09; p[39] = 1;
	for (i = 40; i < n; i++)
		p[i] = i * 7;
	if (nh == 58 && n > 40)
		p[40] = 128;			/* echo request */
}

static void
unreach_v4(void)
{
	uint8_t		p[1500], r[1600], in[1600];
	int		rlen, t, bad;
	size_t		n;

	n = wiki4(p);
	rlen = ippkt_unreach(p, n, our4, r, sizeof(r));
	ok(reply4_ok(r, rlen, p, n, "wiki"), "unreachable for the textbook "
	    "UDP packet: 143 bytes, checksums right, whole packet quoted");
	memset(p + n, 0xee, 20);
	rlen = ippkt_unreach(p, n + 20, our4, r, sizeof(r));
	ok(reply4_ok(r, rlen, p, n, "padded"), "padding is not quoted");

	mk4(p, 1400, 17);
	rlen = ippkt_unreach(p, 1400, our4, r, sizeof(r));
	ok(reply4_ok(r, rlen, p, 548, "1400"),
	    "a 1400-byte packet: a 576-byte reply quoting 548");

	memcpy(in, p, 1400);
	rlen = ippkt_unreach(in, 1400, our4, in, sizeof(in));
	ok(reply4_ok(in, rlen, p, 548, "in place"),
	    "the reply can be built over the packet itself");

	rlen = ippkt_unreach(p, 1400, our4, r, 28 + 28);
	ok(reply4_ok(r, rlen, p, 28, "tight"),
	    "room for header and 8 bytes only: that much is quoted");
	ok(ippkt_unreach(p, 1400, our4, r, 28 + 27) == -1 &&
	    ippkt_unreach(p, 1400, our4, r, 0) == -1,
	    "less room than that: no reply");
	mk4(p, 24, 17);
	rlen = ippkt_unreach(p, 24, our4, r, 52);
	ok(reply4_ok(r, rlen, p, 24, "small"),
	    "a 24-byte packet is quoted whole");

	mk4(p, 84, 1);
	rlen = ippkt_unreach(p, 84, our4, r, sizeof(r));
	ok(reply4_ok(r, rlen, p, 84, "echo"), "a ping gets a reply");
	for (t = 0, bad = 0; t < 256; t++) {
		p[20] = t;
		rlen = ippkt_unreach(p, 84, our4, r, sizeof(r));
		if ((rlen == -1) != (t == 3 || t == 4 || t == 5 || t == 11 ||
		    t == 12 || t == 1 || t == 2 || t == 6 || t == 7 || t > 18))
			bad++;
	}
	ok(bad == 0, "ICMP errors and unknown types get none; queries do");
	mk4(p, 20, 1);
	ok(ippkt_unreach(p, 20, our4, r, sizeof(r)) == -1,
	    "ICMP with no room for a type: none");

	mk4(p, 60, 17);
	p[16] = 224; p[19] = 5;
	ok(ippkt_unreach(p, 60, our4, r, sizeof(r)) == -1,
	    "to multicast 224.0.0.5: none");
	memset(p + 16, 255, 4);
	ok(ippkt_unreach(p, 60, our4, r, sizeof(r)) == -1,
	    "to 255.255.255.255: none");
	mk4(p, 60, 17);
	memset(p + 12, 0, 4);
	ok(ippkt_unreach(p, 60, our4, r, sizeof(r)) == -1,
	    "from 0.0.0.0: none");
	p[12] = 127; p[15] = 1;
	ok(ippkt_unreach(p, 60, our4, r, sizeof(r)) == -1,
	    "from 127.0.0.1: none");
	p[12] = 239;
	ok(ippkt_unreach(p, 60, our4, r, sizeof(r)) == -1,
	    "from multicast 239.0.0.1: none");
	p[12] = 250;
	ok(ippkt_unreach(p, 60, our4, r, sizeof(r)) == -1,
	    "from class E 250.0.0.1: none");
	mk4(p, 60, 17);
	p[6] = 0x00; p[7] = 185;
	ok(ippkt_unreach(p, 60, our4, r, sizeof(r)) == -1,
	    "a later fragment (offset 1480): none");
	p[6] = 0x20; p[7] = 0;
	rlen = ippkt_unreach(p, 60, our4, r, sizeof(r));
	ok(reply4_ok(r, rlen, p, 60, "MF"), "the first fragment gets one");
	p[3] = 61;
	ok(ippkt_unreach(p, 60, our4, r, sizeof(r)) == -1,
	    "a packet that does not parse: none");
}

static void
unreach_v6(void)
{
	uint8_t		p[1500], r[1600], in[1600];
	int		rlen;

	rlen = ippkt_unreach(echo6, sizeof(echo6), our6, r, sizeof(r));
	ok(reply6_ok(r, rlen, echo6, sizeof(echo6), "echo6"),
	    "unreachable for the ICMPv6 echo: 101 bytes, checksum right "
	    "with the pseudo-header, whole packet quoted");

	mk6(p, 1400, 17);
	rlen = ippkt_unreach(p, 1400, our6, r, sizeof(r));
	ok(reply6_ok(r, rlen, p, 1232, "1400"),
	    "a 1400-byte packet: a 1280-byte reply quoting 1232");
	memcpy(in, p, 1400);
	rlen = ippkt_unreach(in, 1400, our6, in, sizeof(in));
	ok(reply6_ok(in, rlen, p, 1232, "in place"),
	    "built over the packet itself");
	rlen = ippkt_unreach(p, 1400, our6, r, 48 + 48);
	ok(reply6_ok(r, rlen, p, 48, "tight") &&
	    ippkt_unreach(p, 1400, our6, r, 48 + 47) == -1,
	    "room for header and 8 bytes: that much; less: none");
	mk6(p, 61, 17);
	rlen = ippkt_unreach(p, 61, our6, r, sizeof(r));
	ok(reply6_ok(r, rlen, p, 61, "odd") && (r[5] & 1),
	    "an odd length sums right");

	mk6(p, 60, 58);
	p[40] = 1;
	ok(ippkt_unreach(p, 60, our6, r, sizeof(r)) == -1,
	    "an ICMPv6 error (type 1): none");
	p[40] = 127;
	ok(ippkt_unreach(p, 60, our6, r, sizeof(r)) == -1,
	    "ICMPv6 type 127: none");
	p[40] = 135;
	rlen = ippkt_unreach(p, 60, our6, r, sizeof(r));
	ok(reply6_ok(r, rlen, p, 60, "ns"),
	    "an informational ICMPv6 (135) gets one");
	mk6(p, 40, 58);
	ok(ippkt_unreach(p, 40, our6, r, sizeof(r)) == -1,
	    "ICMPv6 with no room for a type: none");

	/* hop-by-hop options (8 bytes), then ICMPv6 error or UDP */
	mk6(p, 80, 0);
	p[40] = 58; p[41] = 0; p[48] = 3;
	ok(ippkt_unreach(p, 80, our6, r, sizeof(r)) == -1,
	    "an ICMPv6 error behind hop-by-hop options: none");
	p[40] = 17;
	rlen = ippkt_unreach(p, 80, our6, r, sizeof(r));
	ok(reply6_ok(r, rlen, p, 80, "hbh udp"),
	    "UDP behind hop-by-hop options gets one");
	p[41] = 200;
	p[40] = 58;
	ok(ippkt_unreach(p, 80, our6, r, sizeof(r)) == -1,
	    "extension headers running past the packet: none");
	/* fragment header */
	mk6(p, 80, 44);
	p[40] = 17;
	p[42] = 0x05; p[43] = 0x00;
	ok(ippkt_unreach(p, 80, our6, r, sizeof(r)) == -1,
	    "a later fragment: none");
	p[42] = 0; p[43] = 1;
	rlen = ippkt_unreach(p, 80, our6, r, sizeof(r));
	ok(reply6_ok(r, rlen, p, 80, "frag0"), "the first fragment gets one");

	mk6(p, 60, 17);
	p[24] = 0xff; p[25] = 0x02;
	ok(ippkt_unreach(p, 60, our6, r, sizeof(r)) == -1,
	    "to multicast ff02::1: none");
	mk6(p, 60, 17);
	memset(p + 8, 0, 16);
	ok(ippkt_unreach(p, 60, our6, r, sizeof(r)) == -1, "from ::: none");
	p[23] = 1;
	ok(ippkt_unreach(p, 60, our6, r, sizeof(r)) == -1, "from ::1: none");
	p[8] = 0xff;
	ok(ippkt_unreach(p, 60, our6, r, sizeof(r)) == -1,
	    "from multicast: none");
}

/* the next packet the kernel sends to the TUN with this version */
static ssize_t
tun_read(int fd, uint8_t *buf, size_t len, int version)
{
	struct pollfd	pfd;
	ssize_t		n;

	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 3000) != 1)
			return -1;
		if ((n = read(fd, buf, len)) <= 0)
			return -1;
		/* skip the kernel's own chatter (MLD, router solicitation) */
		if (buf[0] >> 4 == version && buf[version == 4 ? 9 : 6] == 17)
			return n;
	}
}

/* the kernel's route to the IPv6 address a: 1 if it is local, 0 if not */
static int
route6_local(const uint8_t *a)
{
	struct {
		struct nlmsghdr	nh;
		struct rtmsg	rtm;
		struct rtattr	rta;
		uint8_t		dst[16];
	}			 req;
	union {
		struct nlmsghdr	nh;
		uint8_t		buf[8192];
	}			 ans;
	struct sockaddr_nl	 snl;
	struct rtmsg		*rtm;
	ssize_t			 n;
	int			 s, local = -1;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = RTM_GETROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = 1;
	req.rtm.rtm_family = AF_INET6;
	req.rtm.rtm_dst_len = 128;
	req.rta.rta_len = RTA_LENGTH(16);
	req.rta.rta_type = RTA_DST;
	memcpy(req.dst, a, 16);
	memset(&snl, 0, sizeof(snl));
	snl.nl_family = AF_NETLINK;
	if ((s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_ROUTE)) == -1)
		return -1;
	if (sendto(s, &req, sizeof(req), 0, (struct sockaddr *)&snl,
	    sizeof(snl)) == (ssize_t)sizeof(req) &&
	    (n = recv(s, &ans, sizeof(ans), 0)) >= (ssize_t)NLMSG_LENGTH(
	    sizeof(*rtm)) && NLMSG_OK(&ans.nh, (size_t)n) &&
	    ans.nh.nlmsg_type == RTM_NEWROUTE &&
	    ans.nh.nlmsg_len >= NLMSG_LENGTH(sizeof(*rtm))) {
		rtm = NLMSG_DATA(&ans.nh);
		local = rtm->rtm_type == RTN_LOCAL;
	}
	close(s);
	return local;
}

/* wait up to 5 seconds for the kernel to receive packets sent to a */
static int
wait_local6(const uint8_t *a)
{
	int	i, r;

	for (i = 0; i < 500; i++) {
		if ((r = route6_local(a)) != 0)
			return r;
		usleep(10000);
	}
	return 0;
}

/* the socket's queued error: errno, and the ICMP origin, type and code */
static int
sock_error(int s, int wait, int *err, struct sock_extended_err *ee,
    void *offender, size_t olen)
{
	struct pollfd			 pfd;
	struct msghdr			 msg;
	struct cmsghdr			*cm;
	struct sock_extended_err	*e;
	char				 cbuf[512], dbuf[64];
	struct iovec			 iov;

	pfd.fd = s;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, wait) != 1 || !(pfd.revents & POLLERR))
		return -1;
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = dbuf;
	iov.iov_len = sizeof(dbuf);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	if (recvmsg(s, &msg, MSG_ERRQUEUE) == -1)
		return -1;
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
		if ((cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_RECVERR) ||
		    (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_RECVERR)) {
			e = (struct sock_extended_err *)CMSG_DATA(cm);
			memcpy(ee, e, sizeof(*ee));
			memcpy(offender, SO_EE_OFFENDER(e), olen);
			*err = e->ee_errno;
			return 0;
		}
	}
	return -1;
}

static void
kernel(void)
{
	struct mesh_prefix	 a4, a6;
	struct sockaddr_in	 sin, off4;
	struct sockaddr_in6	 sin6, off6;
	struct sock_extended_err ee;
	struct ippkt		 ip;
	uint8_t			 buf[2048], r[2048];
	ssize_t			 n;
	int			 fd, ifindex, s, on = 1, err, rlen;

	if (geteuid() != 0) {
		ok(1, "kernel checks # SKIP not root");
		return;
	}
	if (unshare(CLONE_NEWNET) == -1) {
		ok(1, "kernel checks # SKIP unshare(CLONE_NEWNET): %s",
		    strerror(errno));
		return;
	}
	alarm(60);	/* a hang is a failure, not a stuck prove */
	memset(&a4, 0, sizeof(a4));
	a4.af = 4;
	a4.plen = 24;
	memcpy(a4.addr, "\x0a\x63\x00\x01", 4);		/* 10.99.0.1 */
	memset(&a6, 0, sizeof(a6));
	a6.af = 6;
	a6.plen = 64;
	memcpy(a6.addr, our6, 16);
	a6.addr[15] = 1;				/* fd99::1 */
	if ((fd = tundev_open("mippkt0", &ifindex)) == -1 ||
	    tundev_addr_add(ifindex, &a4) == -1 ||
	    tundev_addr_add(ifindex, &a6) == -1 || tundev_up(ifindex) == -1) {
		ok(1, "kernel checks # SKIP TUN setup: %s", strerror(errno));
		return;
	}
	if (wait_local6(a6.addr) != 1)
		diag("no local route to fd99::1 after 5 seconds");

	/* IPv4: a UDP datagram to 10.99.0.2, out through the TUN */
	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    setsockopt(s, IPPROTO_IP, IP_RECVERR, &on, sizeof(on)) == -1)
		abort();
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(9999);
	inet_pton(AF_INET, "10.99.0.2", &sin.sin_addr);
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    send(s, "meshd", 5, 0) != 5)
		abort();
	n = tun_read(fd, buf, sizeof(buf), 4);
	ok(n == 33 && ippkt_parse(buf, n, &ip) == 0 && ip.version == 4 &&
	    ip.proto == 17 && ip.len == 33 &&
	    memcmp(ip.src, a4.addr, 4) == 0 &&
	    memcmp(ip.dst, "\x0a\x63\x00\x02", 4) == 0,
	    "the kernel's own UDP packet parses: 10.99.0.1 -> 10.99.0.2, 33 "
	    "bytes");
	rlen = n > 0 ? ippkt_unreach(buf, n, our4, r, sizeof(r)) : -1;
	ok(rlen == 61 && write(fd, r, rlen) == rlen, "its unreachable reply "
	    "(61 bytes) is written to the TUN");
	ok(sock_error(s, 3000, &err, &ee, &off4, sizeof(off4)) == 0 &&
	    err == EHOSTUNREACH && ee.ee_origin == SO_EE_ORIGIN_ICMP &&
	    ee.ee_type == 3 && ee.ee_code == 1 &&
	    memcmp(&off4.sin_addr, our4, 4) == 0,
	    "the sending socket gets EHOSTUNREACH, ICMP 3/1 from 10.99.0.254");
	close(s);

	/* IPv6: the same to fd99::2 */
	if ((s = socket(AF_INET6, SOCK_DGRAM, 0)) == -1 ||
	    setsockopt(s, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on)) == -1)
		abort();
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(9999);
	memcpy(&sin6.sin6_addr, a6.addr, 16);
	sin6.sin6_addr.s6_addr[15] = 2;
	if (connect(s, (struct sockaddr *)&sin6, sizeof(sin6)) == -1 ||
	    send(s, "meshd", 5, 0) != 5)
		abort();
	n = tun_read(fd, buf, sizeof(buf), 6);
	ok(n == 53 && ippkt_parse(buf, n, &ip) == 0 && ip.version == 6 &&
	    ip.proto == 17 && ip.len == 53 &&
	    memcmp(ip.src, a6.addr, 16) == 0 &&
	    memcmp(ip.dst, &sin6.sin6_addr, 16) == 0,
	    "the kernel's own UDP packet parses: fd99::1 -> fd99::2, 53 bytes");
	rlen = n > 0 ? ippkt_unreach(buf, n, our6, r, sizeof(r)) : -1;
	ok(rlen == 101 && write(fd, r, rlen) == rlen,
	    "its unreachable reply (101 bytes) is written to the TUN");
	ok(sock_error(s, 3000, &err, &ee, &off6, sizeof(off6)) == 0 &&
	    err == EHOSTUNREACH && ee.ee_origin == SO_EE_ORIGIN_ICMP6 &&
	    ee.ee_type == 1 && ee.ee_code == 3 &&
	    memcmp(&off6.sin6_addr, our6, 16) == 0,
	    "the sending socket gets EHOSTUNREACH, ICMPv6 1/3 from fd99::fe");
	close(s);

	/* a reply with one bit flipped must not get through */
	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    setsockopt(s, IPPROTO_IP, IP_RECVERR, &on, sizeof(on)) == -1 ||
	    connect(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    send(s, "meshd", 5, 0) != 5)
		abort();
	n = tun_read(fd, buf, sizeof(buf), 4);
	rlen = n > 0 ? ippkt_unreach(buf, n, our4, r, sizeof(r)) : -1;
	if (rlen > 58)
		r[58] ^= 1;			/* in the quoted "meshd" */
	ok(rlen == 61 && write(fd, r, rlen) == rlen &&
	    sock_error(s, 500, &err, &ee, &off4, sizeof(off4)) == -1,
	    "the same reply with a bit flipped in the quote is dropped "
	    "(so the kernel did check the checksum)");
	close(s);
	close(fd);
}

/*
 * A UDP datagram of plen payload bytes (claimed: ulen) from sport, in an
 * IPv4 packet of off4 fragment offset (in 8-byte units) and flags, at p.
 * Only the length and ports matter to ippkt_is_wg_from().
 */
static size_t
udp4(uint8_t *p, unsigned int sport, const uint8_t *pl, size_t plen,
    size_t ulen, unsigned int frag)
{
	size_t	len = 28 + plen;

	memset(p, 0, 28);
	p[0] = 0x45;
	p[2] = len >> 8; p[3] = len;
	p[6] = frag >> 8; p[7] = frag;
	p[8] = 64; p[9] = 17;
	p[12] = 100; p[13] = 64; p[15] = 1;
	p[16] = 100; p[17] = 64; p[19] = 2;
	p[20] = sport >> 8; p[21] = sport;
	p[22] = 0; p[23] = 7;
	p[24] = (ulen + 8) >> 8; p[25] = ulen + 8;
	memcpy(p + 28, pl, plen);
	return len;
}

/* the same in IPv6, with a fragment header of offset frag if fh */
static size_t
udp6(uint8_t *p, unsigned int sport, const uint8_t *pl, size_t plen,
    int fh, unsigned int frag)
{
	size_t	off = fh ? 48 : 40, len = off + 8 + plen;

	memset(p, 0, off + 8);
	p[0] = 0x60;
	p[4] = (len - 40) >> 8; p[5] = len - 40;
	p[6] = fh ? 44 : 17; p[7] = 64;
	p[8] = 0xfd; p[23] = 1; p[24] = 0xfd; p[39] = 2;
	if (fh) {
		p[40] = 17;
		p[42] = frag >> 8; p[43] = frag;
	}
	p[off] = sport >> 8; p[off + 1] = sport;
	p[off + 4] = (plen + 8) >> 8; p[off + 5] = plen + 8;
	memcpy(p + off + 8, pl, plen);
	return len;
}

static int
is_own(const uint8_t *p, size_t len, unsigned int port)
{
	struct ippkt	ip;

	if (ippkt_parse(p, len, &ip) == -1)
		return -1;
	return ippkt_is_wg_from(p, &ip, port);
}

/* our own encapsulated traffic, as meshd-tun tells it from the rest */
static void
own_traffic(void)
{
	static const struct {
		uint8_t		 type;
		size_t		 len;
		int		 want;
	} shapes[] = {
		{ 1, 148, 1 }, { 1, 147, 0 }, { 2, 92, 1 }, { 2, 148, 0 },
		{ 3, 64, 1 }, { 4, 32, 1 }, { 4, 48, 1 }, { 4, 1440, 1 },
		{ 4, 40, 0 }, { 4, 16, 0 }, { 5, 148, 0 }, { 0, 32, 0 },
	};
	uint8_t	pl[1500], p[1600];
	size_t	i, n;

	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		memset(pl, 0xa5, sizeof(pl));
		pl[0] = shapes[i].type;
		pl[1] = pl[2] = pl[3] = 0;
		n = udp4(p, 51820, pl, shapes[i].len, shapes[i].len, 0);
		ok(is_own(p, n, 51820) == shapes[i].want,
		    "IPv4, type %u, %zu bytes: %s", shapes[i].type,
		    shapes[i].len, shapes[i].want ? "ours" : "not ours");
	}
	pl[0] = 1;
	n = udp4(p, 51820, pl, 148, 148, 0);
	ok(is_own(p, n, 51821) == 0, "another source port: not ours");
	p[9] = 6;
	ok(is_own(p, n, 51820) == 0, "TCP: not ours");
	pl[2] = 1;
	n = udp4(p, 51820, pl, 148, 148, 0);
	ok(is_own(p, n, 51820) == 0, "a reserved byte set: not ours");
	pl[2] = 0;
	pl[0] = 4;
	n = udp4(p, 51820, pl, 1000, 1440, 0x2000);
	ok(is_own(p, n, 51820) == 1,
	    "the first fragment of a data message: ours");
	n = udp4(p, 51820, pl, 1000, 1440, 0x2000 | 185);
	ok(is_own(p, n, 51820) == 0, "a later fragment: not judged");
	n = udp4(p, 51820, pl, 2, 148, 0);
	ok(is_own(p, n, 51820) == 0, "a payload too short to tell: not ours");
	n = udp4(p, 51820, pl, 0, 0, 0) - 4;
	p[3] = n;
	ok(is_own(p, n, 51820) == 0, "a UDP header cut short: not ours");
	pl[0] = 2;
	n = udp6(p, 51820, pl, 92, 0, 0);
	ok(is_own(p, n, 51820) == 1, "IPv6, a response: ours");
	ok(is_own(p, n, 1) == 0, "IPv6, another port: not ours");
	pl[0] = 4;
	n = udp6(p, 51820, pl, 64, 1, 1);	/* offset 0, more fragments */
	ok(is_own(p, n, 51820) == 1, "IPv6, a first fragment: ours");
	n = udp6(p, 51820, pl, 64, 1, 1480 | 1);
	ok(is_own(p, n, 51820) == 0, "IPv6, a later fragment: not judged");
}

int
main(void)
{
	parse_good();
	parse_bad();
	reasons();
	unreach_v4();
	unreach_v6();
	own_traffic();
	kernel();
	return tap_done();
}
