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
 * Inner IP headers by offset (see ippkt.h), and the ICMP "unreachable"
 * reply for a packet no peer takes.
 *
 * IPv4 header (RFC 791): 0 version and IHL, 2 total length, 6 flags and
 * fragment offset, 8 TTL, 9 protocol, 10 checksum, 12 source, 16
 * destination.  IPv6 header (RFC 8200): 0 version, 4 payload length, 6
 * next header, 7 hop limit, 8 source, 24 destination.
 */

#include <sys/types.h>

#include <string.h>

#include "ippkt.h"
#include "wgproto.h"

#define V4_MIN_REPLY	576	/* RFC 1812 4.3.2.3: quote up to this */
#define V6_MIN_MTU	1280	/* RFC 4443 2.4(c) */
#define ICMP_HDRLEN	8
#define REPLY_TTL	64
#define V6_MAX_EXTHDRS	8	/* give up (no reply) after this many */

static const char *const reason_names[IPPKT_NREASONS] = {
	[IPPKT_OK] = "ok",
	[IPPKT_SHORT] = "short",
	[IPPKT_BAD_VERSION] = "bad_version",
	[IPPKT_BAD_IHL] = "bad_ihl",
	[IPPKT_BAD_LENGTH] = "bad_length",
	[IPPKT_NO_ROUTE] = "no_route",
	[IPPKT_BAD_SOURCE] = "bad_source",
};

static inline unsigned int
get16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

static inline void
put16(uint8_t *p, unsigned int v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static int
drop(struct ippkt *out, enum ippkt_reason why)
{
	memset(out, 0, sizeof(*out));
	out->reason = why;
	return -1;
}

int
ippkt_parse(const uint8_t *pkt, size_t len, struct ippkt *out)
{
	size_t	hdrlen, total;

	if (len < 1)
		return drop(out, IPPKT_SHORT);
	switch (pkt[0] >> 4) {
	case 4:
		if (len < IPPKT_V4_HDRLEN)
			return drop(out, IPPKT_SHORT);
		hdrlen = (pkt[0] & 0x0f) * 4;
		if (hdrlen < IPPKT_V4_HDRLEN || hdrlen > len)
			return drop(out, IPPKT_BAD_IHL);
		total = get16(pkt + 2);
		if (total < hdrlen || total > len)
			return drop(out, IPPKT_BAD_LENGTH);
		memset(out, 0, sizeof(*out));
		out->version = 4;
		out->proto = pkt[9];
		memcpy(out->src, pkt + 12, 4);
		memcpy(out->dst, pkt + 16, 4);
		break;
	case 6:
		if (len < IPPKT_V6_HDRLEN)
			return drop(out, IPPKT_SHORT);
		hdrlen = IPPKT_V6_HDRLEN;
		total = IPPKT_V6_HDRLEN + get16(pkt + 4);
		if (total > len)
			return drop(out, IPPKT_BAD_LENGTH);
		memset(out, 0, sizeof(*out));
		out->version = 6;
		out->proto = pkt[6];
		memcpy(out->src, pkt + 8, 16);
		memcpy(out->dst, pkt + 24, 16);
		break;
	default:
		return drop(out, IPPKT_BAD_VERSION);
	}
	out->hdrlen = hdrlen;
	out->len = total;
	out->reason = IPPKT_OK;
	return 0;
}

const char *
ippkt_reason(enum ippkt_reason r)
{
	if ((unsigned int)r >= IPPKT_NREASONS)
		return "unknown";
	return reason_names[r];
}

/* the Internet checksum (RFC 1071), over even-length pieces but the last */
static uint32_t
sum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (; n > 1; p += 2, n -= 2)
		sum += get16(p);
	if (n == 1)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static unsigned int
sum_fold(uint32_t sum)
{
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* an address that may be the source of a packet an ICMP error answers */
static int
v4_unicast_src(const uint8_t *a)
{
	/* 0/8 this network, 127/8 loopback, 224/4 multicast, 240/4 class E */
	return a[0] != 0 && a[0] != 127 && a[0] < 224;
}

static int
v6_unicast_src(const uint8_t *a)
{
	static const uint8_t	zero[15];

	if (a[0] == 0xff)			/* multicast */
		return 0;
	if (memcmp(a, zero, 15) == 0 && a[15] <= 1)	/* :: and ::1 */
		return 0;
	return 1;
}

/* ICMP error types (RFC 792, 950, 1122): never answered with an error */
static int
icmp4_is_error(unsigned int type)
{
	switch (type) {
	case 0:		/* echo reply */
	case 8:		/* echo */
	case 9:		/* router advertisement */
	case 10:	/* router solicitation */
	case 13:	/* timestamp */
	case 14:	/* timestamp reply */
	case 15:	/* information request */
	case 16:	/* information reply */
	case 17:	/* address mask request */
	case 18:	/* address mask reply */
		return 0;
	default:
		return 1;	/* an error, or unknown: stay quiet */
	}
}

/*
 * May an IPv6 packet get an error?  Walks the extension headers to the
 * upper layer: not if it is a fragment other than the first, an ICMPv6
 * error (type below 128), or cannot be told within the packet.
 */
static int
v6_may_answer(const uint8_t *pkt, size_t len)
{
	size_t		off = IPPKT_V6_HDRLEN;
	unsigned int	nh = pkt[6], i;

	for (i = 0; i < V6_MAX_EXTHDRS; i++) {
		switch (nh) {
		case 0:		/* hop-by-hop options */
		case 43:	/* routing */
		case 60:	/* destination options */
			if (off + 2 > len)
				return 0;
			nh = pkt[off];
			off += (pkt[off + 1] + 1) * 8;
			break;
		case 44:	/* fragment */
			if (off + 8 > len)
				return 0;
			if ((get16(pkt + off + 2) & 0xfff8) != 0)
				return 0;
			nh = pkt[off];
			off += 8;
			break;
		case 51:	/* authentication header */
			if (off + 2 > len)
				return 0;
			nh = pkt[off];
			off += (pkt[off + 1] + 2) * 4;
			break;
		case IPPKT_PROTO_ICMPV6:
			return off < len && pkt[off] >= 128;
		default:
			return 1;
		}
	}
	return 0;
}

static int
unreach4(const struct ippkt *ip, const uint8_t *pkt, const uint8_t *our,
    uint8_t *out, size_t outlen)
{
	size_t		q, need, total;
	uint32_t	sum;
	uint8_t		src[4];

	if (!v4_unicast_src(ip->src) || ip->dst[0] >= 224)
		return -1;
	if ((get16(pkt + 6) & 0x1fff) != 0)	/* not the first fragment */
		return -1;
	if (ip->proto == IPPKT_PROTO_ICMP &&
	    (ip->len <= ip->hdrlen || icmp4_is_error(pkt[ip->hdrlen])))
		return -1;

	need = IPPKT_V4_HDRLEN + ICMP_HDRLEN;
	q = ip->len;
	if (q > V4_MIN_REPLY - need)
		q = V4_MIN_REPLY - need;
	if (outlen < need + q)
		q = outlen > need ? outlen - need : 0;
	if (q < ip->len && q < ip->hdrlen + 8u)
		return -1;
	total = need + q;

	/* out may be pkt: move the quote first, headers after */
	memcpy(src, ip->src, 4);
	memmove(out + need, pkt, q);

	out[0] = 0x45;				/* version 4, IHL 5 */
	out[1] = 0;
	put16(out + 2, total);
	put16(out + 4, 0);			/* id */
	put16(out + 6, 0);			/* flags, fragment offset */
	out[8] = REPLY_TTL;
	out[9] = IPPKT_PROTO_ICMP;
	put16(out + 10, 0);
	memcpy(out + 12, our, 4);
	memcpy(out + 16, src, 4);
	put16(out + 10, sum_fold(sum_add(0, out, IPPKT_V4_HDRLEN)));

	out[20] = 3;				/* destination unreachable */
	out[21] = 1;				/* host unreachable */
	put16(out + 22, 0);
	memset(out + 24, 0, 4);			/* unused */
	sum = sum_add(0, out + IPPKT_V4_HDRLEN, ICMP_HDRLEN + q);
	put16(out + 22, sum_fold(sum));
	return total;
}

static int
unreach6(const struct ippkt *ip, const uint8_t *pkt, const uint8_t *our,
    uint8_t *out, size_t outlen)
{
	size_t		q, need, total;
	uint32_t	sum;
	uint8_t		src[16], plen[4];

	if (!v6_unicast_src(ip->src) || ip->dst[0] == 0xff)
		return -1;
	if (!v6_may_answer(pkt, ip->len))
		return -1;

	need = IPPKT_V6_HDRLEN + ICMP_HDRLEN;
	q = ip->len;
	if (q > V6_MIN_MTU - need)
		q = V6_MIN_MTU - need;
	if (outlen < need + q)
		q = outlen > need ? outlen - need : 0;
	if (q < ip->len && q < IPPKT_V6_HDRLEN + 8u)
		return -1;
	total = need + q;

	memcpy(src, ip->src, 16);
	memmove(out + need, pkt, q);

	out[0] = 0x60;				/* version 6 */
	out[1] = out[2] = out[3] = 0;		/* class, flow label */
	put16(out + 4, ICMP_HDRLEN + q);
	out[6] = IPPKT_PROTO_ICMPV6;
	out[7] = REPLY_TTL;
	memcpy(out + 8, our, 16);
	memcpy(out + 24, src, 16);

	out[40] = 1;				/* destination unreachable */
	out[41] = 3;				/* address unreachable */
	put16(out + 42, 0);
	memset(out + 44, 0, 4);			/* unused */

	/* pseudo-header (RFC 8200 8.1): addresses, length, next header */
	sum = sum_add(0, out + 8, 32);
	plen[0] = plen[1] = 0;
	put16(plen + 2, ICMP_HDRLEN + q);
	sum = sum_add(sum, plen, 4);
	sum += IPPKT_PROTO_ICMPV6;
	sum = sum_add(sum, out + IPPKT_V6_HDRLEN, ICMP_HDRLEN + q);
	put16(out + 42, sum_fold(sum));
	return total;
}

int
ippkt_unreach(const uint8_t *pkt, size_t len, const uint8_t *our_addr,
    uint8_t *out, size_t outlen)
{
	struct ippkt	ip;

	if (ippkt_parse(pkt, len, &ip) == -1)
		return -1;
	if (ip.version == 4)
		return unreach4(&ip, pkt, our_addr, out, outlen);
	return unreach6(&ip, pkt, our_addr, out, outlen);
}

/* the shape of each WireGuard message type by its length */
static int
wg_shaped(const uint8_t *msg, size_t present, size_t len)
{
	if (present < 4 || msg[1] != 0 || msg[2] != 0 || msg[3] != 0)
		return 0;
	switch (msg[0]) {
	case WG_MSG_INITIATION:
		return len == WG_INIT_LEN;
	case WG_MSG_RESPONSE:
		return len == WG_RESP_LEN;
	case WG_MSG_COOKIE:
		return len == WG_COOKIE_MSG_LEN;
	case WG_MSG_DATA:
		return len >= WG_DATA_MIN_LEN &&
		    (len - WG_DATA_MIN_LEN) % 16 == 0;
	default:
		return 0;
	}
}

/* where the UDP header of the datagram's first fragment is; 0: none */
static size_t
udp_offset(const uint8_t *pkt, const struct ippkt *ip)
{
	size_t	off = ip->hdrlen;

	if (ip->version == 4) {
		if (ip->proto != IPPKT_PROTO_UDP ||
		    (get16(pkt + 6) & 0x1fff) != 0)
			return 0;
		return off;
	}
	if (ip->proto == IPPKT_PROTO_UDP)
		return off;
	if (ip->proto != IPPKT_PROTO_FRAG || ip->len < off + 8 ||
	    pkt[off] != IPPKT_PROTO_UDP || (get16(pkt + off + 2) & 0xfff8) != 0)
		return 0;
	return off + 8;
}

int
ippkt_is_wg_from(const uint8_t *pkt, const struct ippkt *ip, uint16_t port)
{
	size_t	off, udplen;

	if ((off = udp_offset(pkt, ip)) == 0 || ip->len < off + 8 ||
	    get16(pkt + off) != port)
		return 0;
	if ((udplen = get16(pkt + off + 4)) < 8)
		return 0;
	return wg_shaped(pkt + off + 8, ip->len - off - 8, udplen - 8);
}

static int
icmp_is_error(int v6, uint8_t type)
{
	if (v6)
		return type >= 1 && type <= 4;
	return type == 3 || type == 4 || type == 5 || type == 11 ||
	    type == 12;
}

static int
icmp_is_echo(int v6, uint8_t type)
{
	if (v6)
		return type == 128 || type == 129;
	return type == 8 || type == 0;
}

/*
 * The quoted packet of an ICMP error at off: its IP header, then the
 * first 8 bytes past it (the ports, or an echo's id); it is cut short
 * by design, so its lengths are not checked against what is there.
 */
static int
l4_quote(const uint8_t *pkt, size_t len, size_t off, int v6,
    struct ippkt_l4 *out)
{
	size_t	hl, alen = v6 ? 16 : 4;
	uint8_t	ver;

	if (off >= len)
		return -1;
	ver = pkt[off] >> 4;
	if (v6) {
		if (ver != 6 || len - off < IPPKT_V6_HDRLEN + 8)
			return -1;
		hl = IPPKT_V6_HDRLEN;
		out->q_proto = pkt[off + 6];
		memcpy(out->q_src, pkt + off + 8, alen);
		memcpy(out->q_dst, pkt + off + 24, alen);
	} else {
		if (ver != 4 || len - off < IPPKT_V4_HDRLEN)
			return -1;
		hl = (size_t)(pkt[off] & 0x0f) * 4;
		if (hl < IPPKT_V4_HDRLEN || len - off < hl + 8)
			return -1;
		out->q_proto = pkt[off + 9];
		memcpy(out->q_src, pkt + off + 12, alen);
		memcpy(out->q_dst, pkt + off + 16, alen);
	}
	off += hl;
	switch (out->q_proto) {
	case IPPKT_PROTO_TCP:
	case IPPKT_PROTO_UDP:
		out->q_sport = get16(pkt + off);
		out->q_dport = get16(pkt + off + 2);
		break;
	case IPPKT_PROTO_ICMP:
	case IPPKT_PROTO_ICMPV6:
		if (icmp_is_echo(v6, pkt[off]))
			out->q_sport = out->q_dport = get16(pkt + off + 4);
		break;
	}
	out->icmp_err = 1;
	return 0;
}

int
ippkt_l4(const uint8_t *pkt, const struct ippkt *ip, struct ippkt_l4 *out)
{
	size_t		off = ip->hdrlen, len = ip->len;
	uint16_t	fo;
	int		v6 = ip->version == 6;

	memset(out, 0, sizeof(*out));
	out->proto = ip->proto;
	if (!v6) {
		fo = get16(pkt + 6);
		if ((fo & 0x1fff) != 0)
			out->frag = IPPKT_LATER_FRAG;
		else if ((fo & 0x2000) != 0)
			out->frag = IPPKT_FIRST_FRAG;
	} else if (ip->proto == IPPKT_PROTO_FRAG) {
		if (len < off + 8)
			return -1;
		out->proto = pkt[off];
		fo = get16(pkt + off + 2);
		if ((fo & 0xfff8) != 0)
			out->frag = IPPKT_LATER_FRAG;
		else if ((fo & 0x0001) != 0)
			out->frag = IPPKT_FIRST_FRAG;
		off += 8;
	}
	if (out->frag == IPPKT_LATER_FRAG)
		return 0;
	switch (out->proto) {
	case IPPKT_PROTO_TCP:
		if (len < off + 20)
			goto short_hdr;
		out->tcpflags = pkt[off + 13];
		/* FALLTHROUGH */
	case IPPKT_PROTO_UDP:
		if (len < off + 8)
			goto short_hdr;
		out->sport = get16(pkt + off);
		out->dport = get16(pkt + off + 2);
		return 0;
	case IPPKT_PROTO_ICMP:
	case IPPKT_PROTO_ICMPV6:
		if ((out->proto == IPPKT_PROTO_ICMPV6) != v6)
			return 0;	/* the other family's: no fields */
		if (len < off + 8)
			goto short_hdr;
		out->icmp_type = pkt[off];
		out->icmp_code = pkt[off + 1];
		if (icmp_is_echo(v6, out->icmp_type))
			out->sport = out->dport = get16(pkt + off + 4);
		else if (icmp_is_error(v6, out->icmp_type) &&
		    l4_quote(pkt, len, off + 8, v6, out) == -1)
			goto short_hdr;
		return 0;
	}
	return 0;
short_hdr:
	fo = out->frag;
	memset(out, 0, sizeof(*out));
	out->proto = v6 && ip->proto == IPPKT_PROTO_FRAG ? pkt[ip->hdrlen] :
	    ip->proto;
	out->frag = fo;
	return -1;
}
