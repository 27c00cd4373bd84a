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
 * The mesh DNS codec (meshd-tun/dns.c): answers to good queries (A, AAAA,
 * case, NXDOMAIN with an SOA, REFUSED outside the domain, EDNS, TC over
 * UDP and none over TCP), and hostile ones (compression loops and
 * forward pointers, truncated labels, counts that lie, a second OPT,
 * responses) refused as the header says, never read past their end.
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "byteorder.h"
#include "dns.h"

static uint8_t	q[600], out[DNS_TCP_MAX];
static size_t	qlen, outlen;
static int	tc;

/* alpha: 10.0.0.1 and fd00::1; big: 40 IPv4 addresses; six: IPv6 only */
static int
lookup(const char *label, struct dns_addrs *as, void *arg)
{
	size_t	i;

	memset(as, 0, sizeof(*as));
	if (strcmp(label, "alpha") == 0) {
		as->a[0].af = 4;
		memcpy(as->a[0].addr, "\x0a\x00\x00\x01", 4);
		as->a[1].af = 6;
		as->a[1].addr[0] = 0xfd;
		as->a[1].addr[15] = 1;
		as->n = 2;
		return 0;
	}
	if (strcmp(label, "big") == 0) {
		for (i = 0; i < 40; i++) {
			as->a[i].af = 4;
			as->a[i].addr[0] = 10;
			as->a[i].addr[3] = i;
		}
		as->n = 40;
		return 0;
	}
	if (strcmp(label, "six") == 0) {
		as->a[0].af = 6;
		as->n = 1;
		return 0;
	}
	return -1;
}

static struct dns_zone zone = { "tunnelmesh", 7, 42, lookup, NULL };

/* a query for name (dotted) of type, with a header of these counts */
static void
query(const char *name, uint16_t type, uint16_t flags, uint16_t qd,
    uint16_t an, uint16_t ar)
{
	const char	*p = name, *dot;
	size_t		 l;

	memset(q, 0, sizeof(q));
	put_be16(q, 0x1234);
	put_be16(q + 2, flags);
	put_be16(q + 4, qd);
	put_be16(q + 6, an);
	put_be16(q + 10, ar);
	qlen = DNS_HDR_LEN;
	while (*p != '\0') {
		dot = strchr(p, '.');
		l = dot != NULL ? (size_t)(dot - p) : strlen(p);
		q[qlen++] = l;
		memcpy(q + qlen, p, l);
		qlen += l;
		p += l + (dot != NULL);
	}
	q[qlen++] = 0;
	put_be16(q + qlen, type);
	put_be16(q + qlen + 2, 1);
	qlen += 4;
}

/* an OPT record: udp size, version */
static void
add_opt(uint16_t size, uint8_t version)
{
	q[qlen++] = 0;
	put_be16(q + qlen, 41);
	put_be16(q + qlen + 2, size);
	put_be32(q + qlen + 4, (uint32_t)version << 16);
	put_be16(q + qlen + 8, 0);
	qlen += 10;
}

static enum dns_result
ask(int tcp)
{
	return dns_answer(&zone, q, qlen, tcp, out, tcp ? sizeof(out) : 1500,
	    &outlen, &tc);
}

#define RCODE()		(out[3] & 0xf)
#define COUNT(i)	get_be16(out + 4 + 2 * (i))

/* the type of the first record after the question (echoed: qlen - 12) */
static uint16_t
first_rr_type(void)
{
	size_t	off = qlen;	/* the question as it came, OPT aside */

	if (outlen < off + 4)
		return 0;
	return get_be16(out + off + 2);
}

static void
test_good(void)
{
	ok(ask(0) == DNS_R_ANSWER && RCODE() == 0 && COUNT(0) == 1 &&
	    COUNT(1) == 1 && (out[2] & 0x84) == 0x84, "A: one answer, QR AA");
	ok(get_be16(out) == 0x1234 && first_rr_type() == 1 &&
	    get_be32(out + qlen + 6) == 7 &&
	    memcmp(out + outlen - 4, "\x0a\x00\x00\x01", 4) == 0,
	    "A: id, type, ttl 7, 10.0.0.1");
	query("alpha.tunnelmesh", 28, 0x0100, 1, 0, 0);
	ok(ask(0) == DNS_R_ANSWER && COUNT(1) == 1 && first_rr_type() == 28 &&
	    out[outlen - 16] == 0xfd && (out[2] & 1) == 1,
	    "AAAA: fd00::1, RD echoed");
	query("AlPhA.TunnelMESH", 1, 0, 1, 0, 0);
	ok(ask(0) == DNS_R_ANSWER && COUNT(1) == 1 &&
	    memcmp(out + 13, "AlPhA", 5) == 0,
	    "case: answered, the question echoed as asked");
	query("alpha.tunnelmesh", 255, 0, 1, 0, 0);
	ok(ask(0) == DNS_R_ANSWER && COUNT(1) == 2, "ANY: A and AAAA");
	query("six.tunnelmesh", 1, 0, 1, 0, 0);
	ok(ask(0) == DNS_R_ANSWER && RCODE() == 0 && COUNT(1) == 0 &&
	    COUNT(2) == 1 && first_rr_type() == 6,
	    "A of an IPv6-only name: no data, the SOA");
	query("tunnelmesh", 6, 0, 1, 0, 0);
	ok(ask(0) == DNS_R_ANSWER && COUNT(1) == 1 && first_rr_type() == 6 &&
	    get_be32(out + outlen - 20) == 42, "apex SOA, serial 42");
}

static void
test_negative(void)
{
	query("nobody.tunnelmesh", 1, 0, 1, 0, 0);
	ok(ask(0) == DNS_R_NXDOMAIN && RCODE() == 3 && COUNT(1) == 0 &&
	    COUNT(2) == 1 && first_rr_type() == 6 && (out[2] & 4),
	    "unknown name: NXDOMAIN, AA, SOA in authority");
	query("a.alpha.tunnelmesh", 1, 0, 1, 0, 0);
	ok(ask(0) == DNS_R_NXDOMAIN, "two labels below the apex: NXDOMAIN");
	query("alpha.example.com", 1, 0, 1, 0, 0);
	ok(ask(0) == DNS_R_REFUSED && RCODE() == 5 && (out[2] & 4) == 0 &&
	    COUNT(1) == 0 && COUNT(2) == 0, "outside the domain: REFUSED");
	query("xtunnelmesh", 1, 0, 1, 0, 0);
	ok(ask(0) == DNS_R_REFUSED, "a suffix that is no label: REFUSED");
	query("tunnelmesh", 252, 0, 1, 0, 0);
	ok(ask(1) == DNS_R_REFUSED, "AXFR: REFUSED");
	query("alpha.tunnelmesh", 1, 0x1000, 1, 0, 0);
	ok(ask(0) == DNS_R_NOTIMP && RCODE() == 4, "opcode 2: NOTIMP");
}

static void
test_edns(void)
{
	query("alpha.tunnelmesh", 1, 0, 1, 0, 1);
	add_opt(4096, 0);
	ok(ask(0) == DNS_R_ANSWER && COUNT(3) == 1 &&
	    get_be16(out + outlen - 10) == 41 &&
	    get_be16(out + outlen - 8) == DNS_UDP_OURS,
	    "EDNS: an OPT back, offering 1232");
	query("alpha.tunnelmesh", 1, 0, 1, 0, 1);
	add_opt(4096, 1);
	ok(ask(0) == DNS_R_BADVERS && RCODE() == 0 &&
	    out[outlen - 6] == 1 && COUNT(1) == 0,
	    "EDNS version 1: BADVERS in the OPT");
	query("alpha.tunnelmesh", 1, 0, 1, 0, 2);
	add_opt(4096, 0);
	add_opt(4096, 0);
	ok(ask(0) == DNS_R_FORMERR && RCODE() == 1, "two OPTs: FORMERR");
	query("big.tunnelmesh", 1, 0, 1, 0, 0);
	ok(ask(0) == DNS_R_ANSWER && tc && (out[2] & 2) && COUNT(1) == 0 &&
	    outlen == qlen, "40 A over UDP without EDNS: TC, the question");
	ok(ask(1) == DNS_R_ANSWER && !tc && COUNT(1) == 40,
	    "the same over TCP: 40 answers");
	query("big.tunnelmesh", 1, 0, 1, 0, 1);
	add_opt(1232, 0);
	ok(ask(0) == DNS_R_ANSWER && !tc && COUNT(1) == 40 && outlen <= 1232,
	    "with EDNS 1232: all of it fits");
}

static void
test_hostile(void)
{
	enum dns_result	r;

	/* a pointer to itself */
	query("alpha.tunnelmesh", 1, 0, 1, 0, 0);
	q[12] = 0xc0;
	q[13] = 12;
	ok(ask(0) == DNS_R_FORMERR && RCODE() == 1 && COUNT(0) == 0,
	    "question pointing at itself: FORMERR");
	/* an answer record whose name loops between two pointers */
	query("alpha.tunnelmesh", 1, 0, 1, 1, 0);
	q[qlen] = 0xc0;
	q[qlen + 1] = qlen + 2;
	q[qlen + 2] = 0xc0;
	q[qlen + 3] = qlen;
	qlen += 4;
	ok(ask(0) == DNS_R_FORMERR, "a two-pointer loop: FORMERR");
	query("alpha.tunnelmesh", 1, 0, 1, 0, 0);
	q[12] = 40;
	ok(ask(0) == DNS_R_FORMERR, "a label longer than the message");
	query("alpha.tunnelmesh", 1, 0, 1, 0, 0);
	q[12] = 0x45;
	ok(ask(0) == DNS_R_FORMERR, "label type 0x40: FORMERR");
	query("alpha.tunnelmesh", 1, 0, 1, 0, 0);
	qlen -= 3;
	ok(ask(0) == DNS_R_FORMERR, "question cut short: FORMERR");
	query("alpha.tunnelmesh", 1, 0, 2, 0, 0);
	ok(ask(0) == DNS_R_FORMERR, "qdcount 2, one question: FORMERR");
	query("alpha.tunnelmesh", 1, 0, 1, 65535, 65535);
	ok(ask(0) == DNS_R_FORMERR, "counts that lie: FORMERR");
	query("alpha.tunnelmesh", 1, 0x8000, 1, 0, 0);
	ok(ask(0) == DNS_R_DROP && outlen == 0, "a response: dropped");
	qlen = 11;
	r = ask(0);
	ok(r == DNS_R_DROP && outlen == 0, "11 bytes: dropped");
	query("al\001ha.tunnelmesh", 1, 0, 1, 0, 0);
	q[15] = 0;
	ok(ask(0) == DNS_R_NXDOMAIN, "a NUL in a label: no such name");
}

static void
test_domain(void)
{
	char	d[DNS_DOMAIN_MAX];

	ok(mesh_dns_domain_norm("Mesh.Example.", d, sizeof(d)) == 0 &&
	    strcmp(d, "mesh.example") == 0, "domain: lower case, no dot");
	ok(mesh_dns_domain_norm("bad_name", d, sizeof(d)) == -1,
	    "domain: '_' refused");
	ok(mesh_dns_domain_norm("a..b", d, sizeof(d)) == -1 &&
	    mesh_dns_domain_norm("", d, sizeof(d)) == -1 &&
	    mesh_dns_domain_norm(".", d, sizeof(d)) == -1,
	    "domain: empty labels refused");
}

int
main(void)
{
	query("alpha.tunnelmesh", 1, 0, 1, 0, 0);
	test_good();
	test_negative();
	test_edns();
	test_hostile();
	test_domain();
	return tap_done();
}
