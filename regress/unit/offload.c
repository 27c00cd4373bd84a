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
 * meshd-tun/offload.c: TSO super-packets cut into segments, TCP segments
 * merged back into super-packets.  Checksums are verified here with a
 * sum of our own (network-order words, nothing shared with offload.c),
 * and every super-packet gro writes is cut again with tso and must give
 * back the very packets that went in, flow by flow, in order.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "offload.h"

#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_RST	0x04
#define TH_PSH	0x08
#define TH_ACK	0x10
#define TH_URG	0x20
#define TH_CWR	0x80

/* RFC 1071 with network-order words, as a textbook would */
static uint32_t
sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (; n > 1; p += 2, n -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (n == 1)
		sum += (uint32_t)p[0] << 8;
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static uint32_t
pseudo(const uint8_t *pkt, uint8_t proto, size_t l4len)
{
	uint8_t	ph[40];
	size_t	n;

	memset(ph, 0, sizeof(ph));
	if ((pkt[0] >> 4) == 4) {
		memcpy(ph, pkt + 12, 8);
		ph[9] = proto;
		ph[10] = l4len >> 8;
		ph[11] = l4len & 0xff;
		n = 12;
	} else {
		memcpy(ph, pkt + 8, 32);
		ph[34] = l4len >> 8;
		ph[35] = l4len & 0xff;
		ph[39] = proto;
		n = 40;
	}
	return sum16(ph, n, 0);
}

static size_t
l4off(const uint8_t *pkt)
{
	return (pkt[0] >> 4) == 4 ? (size_t)(pkt[0] & 0x0f) * 4 : 40;
}

/* the transport checksum at off 16 (TCP) or 6 (UDP) verifies */
static int
l4_ok(const uint8_t *pkt, size_t len, uint8_t proto)
{
	size_t	o = l4off(pkt);

	return sum16(pkt + o, len - o, pseudo(pkt, proto, len - o)) == 0xffff;
}

static int
ip4_ok(const uint8_t *pkt)
{
	return sum16(pkt, 20, 0) == 0xffff;
}

static void
set_l4_csum(uint8_t *pkt, size_t len, uint8_t proto, size_t at)
{
	size_t		o = l4off(pkt);
	uint16_t	c;

	pkt[o + at] = pkt[o + at + 1] = 0;
	c = ~sum16(pkt + o, len - o, pseudo(pkt, proto, len - o)) & 0xffff;
	if (c == 0)
		c = 0xffff;
	pkt[o + at] = c >> 8;
	pkt[o + at + 1] = c & 0xff;
}

struct seg {
	int		 v;		/* 4 or 6 */
	uint16_t	 sport;
	uint32_t	 seq;
	uint32_t	 ack;
	uint8_t		 flags;
	uint16_t	 win;
	uint16_t	 id;
	size_t		 optlen;	/* timestamps option: 12 */
	uint32_t	 tsval;
	size_t		 plen;
	uint8_t		 fill;
};

/* a TCP packet with good checksums; its length */
static size_t
mk(uint8_t *p, const struct seg *s)
{
	size_t	o = s->v == 4 ? 20 : 40, thl = 20 + s->optlen, len, i;
	uint8_t	*th = p + o;

	len = o + thl + s->plen;
	memset(p, 0, o + thl);
	if (s->v == 4) {
		p[0] = 0x45;
		p[2] = len >> 8;
		p[3] = len & 0xff;
		p[4] = s->id >> 8;
		p[5] = s->id & 0xff;
		p[6] = 0x40;		/* DF */
		p[8] = 64;
		p[9] = 6;
		memcpy(p + 12, "\xc6\x12\x00\x01\xc6\x12\x00\x02", 8);
		i = ~sum16(p, 20, 0) & 0xffff;
		p[10] = i >> 8;
		p[11] = i & 0xff;
	} else {
		p[0] = 0x60;
		p[4] = (len - 40) >> 8;
		p[5] = (len - 40) & 0xff;
		p[6] = 6;
		p[7] = 64;
		p[8] = 0xfd;
		p[23] = 1;
		p[24] = 0xfd;
		p[39] = 2;
	}
	th[0] = s->sport >> 8;
	th[1] = s->sport & 0xff;
	th[2] = 0x14;
	th[3] = 0x51;
	th[4] = s->seq >> 24;
	th[5] = s->seq >> 16;
	th[6] = s->seq >> 8;
	th[7] = s->seq;
	th[8] = s->ack >> 24;
	th[9] = s->ack >> 16;
	th[10] = s->ack >> 8;
	th[11] = s->ack;
	th[12] = (thl / 4) << 4;
	th[13] = s->flags;
	th[14] = s->win >> 8;
	th[15] = s->win & 0xff;
	if (s->optlen == 12) {
		th[20] = 1;
		th[21] = 1;
		th[22] = 8;
		th[23] = 10;
		th[24] = s->tsval >> 24;
		th[25] = s->tsval >> 16;
		th[26] = s->tsval >> 8;
		th[27] = s->tsval;
	}
	for (i = 0; i < s->plen; i++)
		p[o + thl + i] = (uint8_t)(s->fill + i * 7 + s->seq);
	set_l4_csum(p, len, 6, 16);
	return len;
}

/* what gro wrote */
#define MAXW	256
static uint8_t	*wr[MAXW];
static size_t	 wrlen[MAXW];
static size_t	 nwr;

static void
collect(void *arg, const uint8_t *b, size_t n)
{
	if (nwr == MAXW || n > OFFLOAD_BUFLEN)
		abort();
	if ((wr[nwr] = malloc(n)) == NULL)
		abort();
	memcpy(wr[nwr], b, n);
	wrlen[nwr++] = n;
}

static void
wr_reset(void)
{
	while (nwr > 0)
		free(wr[--nwr]);
}

static uint16_t
h16(const uint8_t *p)
{
	uint16_t	v;

	memcpy(&v, p, 2);
	return v;
}

/* input packets, to compare with what comes out */
#define MAXIN	256
static uint8_t	 in[MAXIN][1600];
static size_t	 inlen[MAXIN];

/* cuts every write with tso again: the packets put in, in flow order */
static int
writes_match(size_t nin)
{
	uint8_t	 out[1600], buf[OFFLOAD_BUFLEN];
	int	 used[MAXIN];
	size_t	 i, j, k;
	ssize_t	 n;
	struct tso t;

	memset(used, 0, sizeof(used));
	for (i = 0; i < nwr; i++) {
		memcpy(buf, wr[i], wrlen[i]);
		if (wrlen[i] > OFFLOAD_BUFLEN || tso_start(&t, buf,
		    wrlen[i]) == -1) {
			diag("write %zu does not cut", i);
			return 0;
		}
		if (buf[1] != 0) {
			/* a super-packet's TCP checksum is partial */
			uint8_t	*p = buf + VNET_HDR_LEN;
			size_t	 o = l4off(p);
			uint16_t c = p[o + 16] << 8 | p[o + 17];

			if (c != pseudo(p, 6, wrlen[i] - VNET_HDR_LEN - o)) {
				diag("write %zu: not the pseudo-header sum", i);
				return 0;
			}
			if (h16(buf + VNET_OFF_CSUM_START) != o ||
			    h16(buf + VNET_OFF_CSUM_OFFSET) != 16 ||
			    buf[0] != VNET_F_NEEDS_CSUM ||
			    (p[0] >> 4 == 4 && !ip4_ok(p))) {
				diag("write %zu: vnet header or IP", i);
				return 0;
			}
		}
		while ((n = tso_next(&t, out, sizeof(out))) > 0) {
			for (j = 0; j < nin; j++)
				if (!used[j] && inlen[j] == (size_t)n &&
				    memcmp(in[j], out, n) == 0)
					break;
			if (j == nin) {
				diag("write %zu: a segment not put in", i);
				return 0;
			}
			/* no earlier packet of its flow left behind */
			for (k = 0; k < j; k++)
				if (!used[k] && memcmp(in[k] + 12, in[j] + 12,
				    (in[j][0] >> 4) == 4 ? 8 : 28) == 0 &&
				    memcmp(in[k] + l4off(in[k]),
				    in[j] + l4off(in[j]), 4) == 0) {
					diag("write %zu: out of order", i);
					return 0;
				}
			used[j] = 1;
		}
	}
	for (j = 0; j < nin; j++)
		if (!used[j]) {
			diag("packet %zu never written", j);
			return 0;
		}
	return 1;
}

static size_t
count_super(void)
{
	size_t	i, n = 0;

	for (i = 0; i < nwr; i++)
		n += wr[i][VNET_OFF_GSO_TYPE] != 0;
	return n;
}

static struct gro	 g;
static uint8_t		 gbuf[OFFLOAD_BUFLEN];

/* puts in[0 .. n) through gro in order, then flushes */
static void
run(size_t n)
{
	size_t	i;

	wr_reset();
	gro_init(&g, gbuf, collect, NULL);
	for (i = 0; i < n; i++)
		gro_add(&g, in[i], inlen[i]);
	gro_flush(&g);
}

static void
test_gro(void)
{
	struct seg	 s;
	size_t		 i, n;

	/* IPv4: five full segments and a short one with PSH */
	memset(&s, 0, sizeof(s));
	s.v = 4; s.sport = 1000; s.seq = 0xfffff000; s.ack = 77;
	s.flags = TH_ACK; s.win = 500; s.id = 0xfffe; s.plen = 1000;
	s.optlen = 12; s.tsval = 5;
	for (i = 0; i < 6; i++) {
		if (i == 5) {
			s.plen = 500;
			s.flags |= TH_PSH;
		}
		inlen[i] = mk(in[i], &s);
		s.seq += s.plen;
		s.id++;
	}
	run(6);
	is_int(nwr, 1, "v4: six segments, one write");
	ok(nwr == 1 && wr[0][1] == VNET_GSO_TCPV4 &&
	    h16(wr[0] + VNET_OFF_GSO_SIZE) == 1000 &&
	    h16(wr[0] + VNET_OFF_HDR_LEN) == 52 &&
	    wrlen[0] == VNET_HDR_LEN + 52 + 5500,
	    "v4: TCPV4, gso_size 1000, 52-byte headers, 5500 bytes payload");
	ok(nwr == 1 && (wr[0][VNET_HDR_LEN + 20 + 13] & TH_PSH),
	    "v4: PSH of the last kept");
	ok(writes_match(6), "v4: cut again, the same six packets");
	is_int(g.writes, 1, "counted: one coalesced write");
	is_int(g.merged, 6, "counted: six segments in it");

	/* IPv6, three equal segments */
	memset(&s, 0, sizeof(s));
	s.v = 6; s.sport = 2000; s.seq = 1; s.flags = TH_ACK | TH_PSH;
	s.flags = TH_ACK; s.win = 9; s.plen = 1200;
	for (i = 0; i < 3; i++, s.seq += s.plen)
		inlen[i] = mk(in[i], &s);
	run(3);
	ok(nwr == 1 && wr[0][1] == VNET_GSO_TCPV6 &&
	    h16(wr[0] + VNET_OFF_GSO_SIZE) == 1200,
	    "v6: three segments, one TCPV6 write");
	ok(writes_match(3), "v6: cut again, the same three");

	/* a gap in the sequence: two writes */
	memset(&s, 0, sizeof(s));
	s.v = 4; s.sport = 1; s.seq = 100; s.flags = TH_ACK; s.plen = 100;
	for (i = 0; i < 4; i++, s.seq += s.plen, s.id++) {
		if (i == 2)
			s.seq += 1;
		inlen[i] = mk(in[i], &s);
	}
	run(4);
	ok(nwr == 2 && count_super() == 2, "seq gap: two super-packets");
	ok(writes_match(4), "seq gap: every packet once, in order");

	/* mixed flows, interleaved, and a UDP packet among them */
	memset(&s, 0, sizeof(s));
	s.v = 4; s.flags = TH_ACK; s.plen = 300;
	for (i = 0, n = 0; i < 3; i++) {
		s.sport = 10; s.seq = 1000 + i * 300; s.id = i;
		inlen[n] = mk(in[n], &s); n++;
		s.sport = 11;
		inlen[n] = mk(in[n], &s); n++;
	}
	memcpy(in[n], in[0], 20);
	in[n][9] = 17;
	in[n][3] = 28;
	memset(in[n] + 20, 0, 8);
	inlen[n++] = 28;
	run(n);
	is_int(nwr, 3, "two flows and UDP: three writes");
	is_int(count_super(), 2, "two flows: two super-packets");
	ok(nwr == 3 && wr[0][1] == 0 && wrlen[0] == VNET_HDR_LEN + 28,
	    "the UDP packet on its own, empty vnet header");
	ok(writes_match(n), "mixed: every packet once, in flow order");

	/* what must not merge, each between two good segments */
	{
		static const struct { const char *what; int kind; } cases[] = {
			{ "another ack", 0 }, { "another window", 1 },
			{ "another timestamp", 2 }, { "SYN", 3 }, { "FIN", 4 },
			{ "RST", 5 }, { "URG", 6 }, { "a bad TCP checksum", 7 },
			{ "a bad IP checksum", 8 }, { "a larger segment", 9 },
			{ "an id out of step", 10 }, { "another TTL", 11 },
			{ "no payload", 12 }, { "IP options", 13 },
			{ "CWR", 14 },
		};
		size_t	c;

		for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
			memset(&s, 0, sizeof(s));
			s.v = 4; s.sport = 5; s.seq = 1; s.flags = TH_ACK;
			s.plen = 400; s.optlen = 12; s.win = 3; s.ack = 9;
			inlen[0] = mk(in[0], &s);
			s.seq += 400; s.id++;
			switch (cases[c].kind) {
			case 0: s.ack++; break;
			case 1: s.win++; break;
			case 2: s.tsval++; break;
			case 3: s.flags |= TH_SYN; break;
			case 4: s.flags |= TH_FIN; break;
			case 5: s.flags |= TH_RST; break;
			case 6: s.flags |= TH_URG; break;
			case 9: s.plen = 401; break;
			case 10: s.id += 5; break;
			case 12: s.plen = 0; break;
			case 14: s.flags |= TH_CWR; break;
			}
			inlen[1] = mk(in[1], &s);
			switch (cases[c].kind) {
			case 7: in[1][60] ^= 1; break;
			case 8: in[1][11] ^= 1; break;
			case 11: in[1][8]--; in[1][10]++; break;
			case 13:
				/* a NOP option word: header 24 bytes */
				memmove(in[1] + 24, in[1] + 20, inlen[1] - 20);
				memset(in[1] + 20, 1, 4);
				in[1][0] = 0x46;
				inlen[1] += 4;
				in[1][2] = inlen[1] >> 8;
				in[1][3] = inlen[1] & 0xff;
				in[1][10] = in[1][11] = 0;
				n = ~sum16(in[1], 24, 0) & 0xffff;
				in[1][10] = n >> 8;
				in[1][11] = n & 0xff;
				break;
			}
			s.seq += s.plen; s.id++;
			s.flags = TH_ACK; s.plen = 400;
			inlen[2] = mk(in[2], &s);
			run(3);
			/* the next may merge with it: it may start a flow */
			ok(nwr >= 2 && wr[0][1] == 0 &&
			    wrlen[0] == VNET_HDR_LEN + inlen[0] &&
			    memcmp(wr[0] + VNET_HDR_LEN, in[0], inlen[0]) == 0 &&
			    writes_match(3),
			    "%s: not merged with the one before, in order",
			    cases[c].what);
			if (cases[c].kind < 3 || cases[c].kind == 9 ||
			    cases[c].kind == 10)
				continue;
			ok(nwr == 3 && count_super() == 0 &&
			    memcmp(wr[1] + VNET_HDR_LEN, in[1], inlen[1]) == 0 &&
			    wrlen[1] == VNET_HDR_LEN + inlen[1],
			    "%s: merged with nothing, written as it came",
			    cases[c].what);
		}
	}

	/* a shorter segment ends a super-packet; the next starts anew */
	memset(&s, 0, sizeof(s));
	s.v = 4; s.sport = 7; s.flags = TH_ACK;
	for (i = 0; i < 4; i++) {
		s.plen = i == 2 ? 500 : 1000;
		inlen[i] = mk(in[i], &s);
		s.seq += s.plen;
		s.id++;
	}
	run(4);
	ok(nwr == 2 && count_super() == 1 &&
	    wrlen[0] == VNET_HDR_LEN + 40 + 2500,
	    "1000, 1000, 500, 1000: the first three merged");
	ok(writes_match(4), "short middle: every packet once, in order");

	/* never past 64 KiB: 60 segments of 1400 */
	memset(&s, 0, sizeof(s));
	s.v = 6; s.sport = 8; s.flags = TH_ACK; s.plen = 1400;
	for (i = 0; i < 60; i++, s.seq += s.plen)
		inlen[i] = mk(in[i], &s);
	run(60);
	for (i = 0, n = 1; i < nwr; i++)
		if (wrlen[i] > VNET_HDR_LEN + OFFLOAD_MAX)
			n = 0;
	ok(n && nwr == 2, "84 KB of segments: two writes, each <= 64 KiB");
	ok(writes_match(60), "84 KB: every packet once, in order");

	/* at most GRO_SEGS segments in one */
	memset(&s, 0, sizeof(s));
	s.v = 4; s.sport = 9; s.flags = TH_ACK; s.plen = 10;
	for (i = 0; i < GRO_SEGS + 6; i++, s.seq += s.plen, s.id++)
		inlen[i] = mk(in[i], &s);
	run(GRO_SEGS + 6);
	ok(nwr == 2 && wrlen[0] == VNET_HDR_LEN + 40 + GRO_SEGS * 10,
	    "GRO_SEGS + 6 tiny segments: GRO_SEGS, then the rest");
	ok(writes_match(GRO_SEGS + 6), "tiny: every packet once");

	/* more flows than the table holds */
	memset(&s, 0, sizeof(s));
	s.v = 4; s.flags = TH_ACK; s.plen = 100;
	for (i = 0, n = 0; i < 3; i++)
		for (s.sport = 1; s.sport <= GRO_FLOWS + 3; s.sport++) {
			s.seq = 1 + i * 100;
			s.id = i;
			inlen[n] = mk(in[n], &s);
			n++;
		}
	run(n);
	ok(writes_match(n), "%d flows: every packet once, in flow order",
	    GRO_FLOWS + 3);

	/* lengths that do not match the header: written as they are */
	memset(&s, 0, sizeof(s));
	s.v = 4; s.sport = 3; s.flags = TH_ACK; s.plen = 100;
	inlen[0] = mk(in[0], &s);
	s.seq += 100; s.id++;
	inlen[1] = mk(in[1], &s);
	run(0);
	gro_init(&g, gbuf, collect, NULL);
	gro_add(&g, in[0], inlen[0]);
	gro_add(&g, in[1], inlen[1] - 1);	/* total length says more */
	gro_add(&g, in[1], 10);			/* less than a header */
	gro_add(&g, in[1], 0);
	gro_flush(&g);
	ok(nwr == 4 && count_super() == 0 &&
	    wrlen[0] == VNET_HDR_LEN + inlen[0] && wrlen[1] == VNET_HDR_LEN +
	    inlen[1] - 1 && wrlen[2] == VNET_HDR_LEN + 10,
	    "short of the header's length: not merged, written as given");
	wr_reset();
}

/* a super-packet as the kernel hands it: vnet header, partial checksum */
static size_t
mk_super(uint8_t *buf, const struct seg *s0, uint16_t gso_size)
{
	uint8_t		*p = buf + VNET_HDR_LEN;
	size_t		 len = mk(p, s0), o = l4off(p);
	uint16_t	 v;

	memset(buf, 0, VNET_HDR_LEN);
	buf[0] = VNET_F_NEEDS_CSUM;
	buf[1] = s0->v == 4 ? VNET_GSO_TCPV4 : VNET_GSO_TCPV6;
	v = o + 20 + s0->optlen;
	memcpy(buf + 2, &v, 2);
	memcpy(buf + 4, &gso_size, 2);
	v = o;
	memcpy(buf + 6, &v, 2);
	v = 16;
	memcpy(buf + 8, &v, 2);
	/* what the kernel leaves there: garbage to us */
	p[o + 16] = 0xde;
	p[o + 17] = 0xad;
	return VNET_HDR_LEN + len;
}

static void
test_tso(void)
{
	static uint8_t	 buf[OFFLOAD_BUFLEN], out[2000];
	struct tso	 t;
	struct seg	 s;
	size_t		 n, nseg, payload, o, bad;
	ssize_t		 len;
	uint32_t	 seq;

	memset(&s, 0, sizeof(s));
	s.v = 4; s.sport = 1; s.seq = 0xffffff00; s.ack = 5; s.id = 0xfffe;
	s.flags = TH_ACK | TH_PSH | TH_FIN | TH_CWR; s.win = 1;
	s.plen = 10000; s.optlen = 12;
	n = mk_super(buf, &s, 1448);
	ok(tso_start(&t, buf, n) == 0 && t.gso, "v4 super-packet taken");
	is_int(tso_left(&t), 7, "10000 bytes at 1448: 7 segments");
	nseg = 0;
	payload = 0;
	bad = 0;
	seq = s.seq;
	while ((len = tso_next(&t, out, sizeof(out))) > 0) {
		size_t	pl = len - 52;
		uint8_t	fl = out[33];
		int	last = payload + pl == 10000;

		if ((out[2] << 8 | out[3]) != len || !ip4_ok(out) ||
		    (uint16_t)(out[4] << 8 | out[5]) !=
		    (uint16_t)(0xfffe + nseg) || !l4_ok(out, len, 6))
			bad++;
		if (((uint32_t)out[24] << 24 | (uint32_t)out[25] << 16 |
		    (uint32_t)out[26] << 8 | out[27]) != seq)
			bad++;
		if (!last && pl != 1448)
			bad++;
		if (((fl & (TH_PSH | TH_FIN)) != 0) != last ||
		    ((fl & TH_CWR) != 0) != (nseg == 0) || !(fl & TH_ACK))
			bad++;
		if (memcmp(out + 52, buf + VNET_HDR_LEN + 52 + payload, pl))
			bad++;
		payload += pl;
		seq += pl;
		nseg++;
	}
	is_int(nseg, 7, "v4: seven segments");
	is_int(payload, 10000, "v4: all the payload, once");
	is_int(bad, 0, "v4: lengths, ids, checksums, seq, flags, bytes");
	is_int(tso_next(&t, out, sizeof(out)), 0, "then no more");

	/* IPv6, segments cut smaller than gso_size to fit the slot */
	memset(&s, 0, sizeof(s));
	s.v = 6; s.seq = 7; s.flags = TH_ACK; s.plen = 9000;
	n = mk_super(buf, &s, 4000);
	ok(tso_start(&t, buf, n) == 0, "v6 super-packet taken");
	nseg = payload = bad = 0;
	while ((len = tso_next(&t, out, 1500)) > 0) {
		if (len > 1500 || (ssize_t)(out[4] << 8 | out[5]) != len - 40 ||
		    !l4_ok(out, len, 6))
			bad++;
		payload += len - 60;
		nseg++;
	}
	ok(bad == 0 && payload == 9000 && nseg == 7,
	    "v6, gso_size 4000 into 1500-byte slots: 7 good segments");

	/* IPv6 with a destination options header before TCP */
	memset(&s, 0, sizeof(s));
	s.v = 6; s.seq = 7; s.flags = TH_ACK; s.plen = 3000;
	n = mk_super(buf, &s, 1000);
	{
		uint8_t	*p = buf + VNET_HDR_LEN;
		uint8_t	 ph[40];

		memmove(p + 48, p + 40, n - VNET_HDR_LEN - 40);
		memcpy(p + 40, "\x06\x00\x01\x04\x00\x00\x00\x00", 8);
		p[6] = 60;
		n += 8;
		p[4] = (n - VNET_HDR_LEN - 40) >> 8;
		p[5] = (n - VNET_HDR_LEN - 40) & 0xff;
		ok(tso_start(&t, buf, n) == 0 && t.l4off == 48,
		    "v6 with destination options: TCP found at 48");
		nseg = payload = bad = 0;
		while ((len = tso_next(&t, out, sizeof(out))) > 0) {
			memset(ph, 0, sizeof(ph));
			memcpy(ph, out + 8, 32);
			ph[34] = (len - 48) >> 8;
			ph[35] = (len - 48) & 0xff;
			ph[39] = 6;
			if (sum16(out + 48, len - 48, sum16(ph, 40, 0)) !=
			    0xffff || out[6] != 60 ||
			    (ssize_t)(out[4] << 8 | out[5]) != len - 40)
				bad++;
			payload += len - 68;
			nseg++;
		}
		ok(bad == 0 && nseg == 3 && payload == 3000,
		    "v6 with destination options: 3 good segments");
		p[40] = 43;	/* then a routing header: refused */
		p[6] = 60;
		ok(tso_start(&t, buf, n) == -1,
		    "v6 with a routing header: refused");
	}

	/* payload shorter than gso_size: one segment */
	memset(&s, 0, sizeof(s));
	s.v = 4; s.flags = TH_ACK | TH_PSH; s.plen = 100;
	n = mk_super(buf, &s, 1400);
	ok(tso_start(&t, buf, n) == 0 && (len = tso_next(&t, out,
	    sizeof(out))) == 140 && l4_ok(out, len, 6) && (out[33] & TH_PSH) &&
	    tso_next(&t, out, sizeof(out)) == 0,
	    "100 bytes, gso_size 1400: one segment, PSH kept");

	/* what cannot be cut */
	n = mk_super(buf, &s, 1400);
	ok(tso_start(&t, buf, 10) == -1 && tso_start(&t, buf, 0) == -1,
	    "a bare vnet header: refused");
	ok(tso_start(&t, buf, VNET_HDR_LEN + 39) == -1,
	    "cut inside the TCP header: refused");
	buf[4] = buf[5] = 0;
	ok(tso_start(&t, buf, n) == -1, "gso_size 0: refused");
	n = mk_super(buf, &s, 1400);
	buf[1] = VNET_GSO_TCPV6;
	ok(tso_start(&t, buf, n) == -1, "TCPV6 on an IPv4 packet: refused");
	buf[1] = 5;
	ok(tso_start(&t, buf, n) == -1, "UDP_L4: refused (not asked for)");
	buf[1] = VNET_GSO_TCPV4;
	buf[VNET_HDR_LEN + 32] = 0xf0;	/* data offset 60 > what is there */
	ok(tso_start(&t, buf, VNET_HDR_LEN + 70) == -1,
	    "TCP header past the end: refused");
	n = mk_super(buf, &s, 1400);
	buf[VNET_HDR_LEN + 6] |= 0x20;
	ok(tso_start(&t, buf, n) == -1, "an IPv4 fragment: refused");
	ok(tso_start(&t, buf, VNET_HDR_LEN + OFFLOAD_MAX + 1) == -1,
	    "longer than 64 KiB: refused");
	n = mk_super(buf, &s, 1400);
	buf[VNET_HDR_LEN + 9] = 17;
	ok(tso_start(&t, buf, n) == -1, "TCPV4 on UDP: refused");
	n = mk_super(buf, &s, 1400);
	ok(tso_start(&t, buf, n) == 0 && tso_next(&t, out, 40) == -1,
	    "a slot smaller than the headers: -1");

	/* NEEDS_CSUM without GSO: UDP over IPv4, TCP over IPv6 */
	memset(buf, 0, sizeof(buf));
	{
		uint8_t		*p = buf + VNET_HDR_LEN;
		uint16_t	 v, ps;
		size_t		 i;

		memset(&s, 0, sizeof(s));
		s.v = 4; s.plen = 0;
		mk(p, &s);
		p[9] = 17;
		p[2] = 0; p[3] = 20 + 8 + 33;
		p[10] = p[11] = 0;
		v = ~sum16(p, 20, 0);
		p[10] = v >> 8; p[11] = v;
		p[20] = 0x30; p[21] = 0x39; p[22] = 0; p[23] = 53;
		p[24] = 0; p[25] = 41;
		for (i = 0; i < 33; i++)
			p[28 + i] = i * 13;
		ps = pseudo(p, 17, 41);
		p[26] = ps >> 8; p[27] = ps;
		buf[0] = VNET_F_NEEDS_CSUM;
		v = 20; memcpy(buf + 6, &v, 2);
		v = 6; memcpy(buf + 8, &v, 2);
		ok(tso_start(&t, buf, VNET_HDR_LEN + 61) == 0 && !t.gso &&
		    (len = tso_next(&t, out, sizeof(out))) == 61 &&
		    l4_ok(out, 61, 17) && (out[26] | out[27]) != 0,
		    "NEEDS_CSUM UDP/IPv4: checksum completed");
		v = 56; memcpy(buf + 6, &v, 2);
		ok(tso_start(&t, buf, VNET_HDR_LEN + 61) == -1,
		    "csum_start past the end: refused");
		v = 20; memcpy(buf + 6, &v, 2);
		v = 40; memcpy(buf + 8, &v, 2);
		ok(tso_start(&t, buf, VNET_HDR_LEN + 61) == -1,
		    "csum_offset past the end: refused");

		memset(&s, 0, sizeof(s));
		s.v = 6; s.flags = TH_ACK; s.plen = 333;
		n = mk(p, &s);
		o = 40;
		ps = pseudo(p, 6, n - o);
		p[o + 16] = ps >> 8; p[o + 17] = ps;
		v = 40; memcpy(buf + 6, &v, 2);
		v = 16; memcpy(buf + 8, &v, 2);
		ok(tso_start(&t, buf, VNET_HDR_LEN + n) == 0 &&
		    (len = tso_next(&t, out, sizeof(out))) == (ssize_t)n &&
		    l4_ok(out, n, 6), "NEEDS_CSUM TCP/IPv6: checksum completed");
		ok(tso_start(&t, buf, VNET_HDR_LEN + n) == 0 &&
		    tso_next(&t, out, n - 1) == -1,
		    "a packet longer than the slot: -1");
	}
}

/*
 * offload_csum() alone, against sum16(): every length to 1600 at every
 * alignment to 8 (its bulk takes 32 bytes at a time, the tail 4, 2, 1),
 * random bytes and all-ones (every add carries), and a seed.  It sums
 * host-order words: the byte-swapped sum of network-order ones.
 */
static void
test_csum(void)
{
	static uint8_t	buf[1600 + 8], ones[1600 + 8];
	uint16_t	got, want;
	size_t		n, off, bad = 0, badones = 0, badseed = 0;
	int		i;

	srandom(17);
	for (i = 0; i < (int)sizeof(buf); i++)
		buf[i] = random() & 0xff;
	memset(ones, 0xff, sizeof(ones));
	for (n = 0; n <= 1600; n++) {
		for (off = 0; off < 8; off++) {
			got = offload_csum(buf + off, n, 0);
			want = sum16(buf + off, n, 0);
			if (got != (uint16_t)(want << 8 | want >> 8))
				bad++;
			got = offload_csum(ones + off, n, 0);
			want = sum16(ones + off, n, 0);
			if (got != (uint16_t)(want << 8 | want >> 8))
				badones++;
		}
		/* a seed of 0x0102 (host order) is 0x0201 in network order */
		got = offload_csum(buf, n, 0x0102);
		want = sum16(buf, n, 0x0201);
		if (got != (uint16_t)(want << 8 | want >> 8))
			badseed++;
	}
	ok(bad == 0, "checksum of random bytes: every length 0-1600 at "
	    "8 alignments (%zu wrong)", bad);
	ok(badones == 0, "checksum of all-ones bytes: every length and "
	    "alignment (%zu wrong)", badones);
	ok(badseed == 0, "checksum with a seed (%zu wrong)", badseed);
}

int
main(void)
{
	test_csum();
	test_tso();
	test_gro();
	return tap_done();
}
