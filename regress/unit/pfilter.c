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
 * The packet filter of meshd-tun (pfilter.c): rules matched last wins and
 * quick, by address, peer, group, protocol and port; the state table
 * (replies pass, timeouts, TCP closing, the size limit); ICMP errors for a
 * state; later fragments; a reload that keeps what the new rules allow;
 * and the transport header reader ippkt_l4() on cut packets.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "filter.h"
#include "ippkt.h"
#include "pfilter.h"

#define PEER_WEB	7
#define PEER_GUEST	8

static const uint8_t	me[4] = { 100, 64, 0, 1 };
static const uint8_t	web[4] = { 100, 64, 0, 2 };
static const uint8_t	guest[4] = { 100, 64, 0, 3 };

static const char *
lk_name(uint32_t id)
{
	return id == PEER_WEB ? "web1" : id == PEER_GUEST ? "g1" : NULL;
}

static int
lk_group(uint32_t id, const char *g)
{
	return id == PEER_GUEST && strcmp(g, "guests") == 0;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* an IPv4 packet: TCP (flags), UDP, or ICMP (type; sport: the echo id) */
static size_t
mk4(uint8_t *p, uint8_t proto, const uint8_t *src, const uint8_t *dst,
    uint16_t sport, uint16_t dport, uint8_t flags)
{
	size_t	len = 20 + (proto == 6 ? 20 : 8) + 4;

	memset(p, 0, len);
	p[0] = 0x45;
	put16(p + 2, len);
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	if (proto == 1) {
		p[20] = flags;		/* the ICMP type */
		put16(p + 24, sport);
	} else {
		put16(p + 20, sport);
		put16(p + 22, dport);
		if (proto == 6)
			p[33] = flags;
	}
	return len;
}

static const uint8_t	me6[16] = { 0xfd, 0, [15] = 1 };
static const uint8_t	web6[16] = { 0xfd, 0, [15] = 2 };

/*
 * An IPv6 packet: UDP, or ICMPv6 (flags: the type; sport: the echo id);
 * frag: a fragment header first, at this offset (in 8-byte units, 0 and
 * more fragments: the first)
 */
static size_t
mk6(uint8_t *p, uint8_t proto, const uint8_t *src, const uint8_t *dst,
    uint16_t sport, uint16_t dport, uint8_t flags, int frag, uint16_t fo)
{
	size_t	off = 40 + (frag ? 8 : 0), len = off + 8 + 4;

	memset(p, 0, len);
	p[0] = 0x60;
	put16(p + 4, len - 40);
	p[6] = frag ? 44 : proto;
	p[7] = 64;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	if (frag) {
		p[40] = proto;
		put16(p + 42, fo << 3 | (fo == 0 ? 1 : 0));
	}
	if (proto == 58) {
		p[off] = flags;
		put16(p + off + 4, sport);
	} else {
		put16(p + off, sport);
		put16(p + off + 2, dport);
	}
	return len;
}

static int
check(const uint8_t *p, size_t len, int dir, uint32_t peer, time_t now)
{
	struct ippkt	ip;

	if (ippkt_parse(p, len, &ip) == -1)
		return -1;
	return filter_check(p, &ip, dir, peer, now);
}

/* a packet in both ways */
#define OUT(pk, n, peer)	check(pk, n, FILTER_OUT, peer, now)
#define IN(pk, n, peer)		check(pk, n, FILTER_IN, peer, now)

static struct filter_rule *
rules_new(size_t n)
{
	struct filter_rule	*r;

	if ((r = calloc(n, sizeof(*r))) == NULL)
		abort();
	return r;
}

static void
rule(struct filter_rule *r, int action, int dir, int quick, int proto)
{
	memset(r, 0, sizeof(*r));
	r->action = action;
	r->dir = dir;
	r->quick = quick;
	r->proto = proto;
}

/* a ruleset on a clean table: no filter first drops every state */
static void
load(struct filter_rule *r, size_t n, uint32_t limit, time_t now)
{
	struct mesh_filter_msg	fm = { 1, n, limit }, off = { 0, 0, 0 };

	filter_load(&off, NULL, now);
	filter_load(&fm, r, now);
}

/* a reload: the states stay where the new rules allow them */
static void
reload(struct filter_rule *r, size_t n, uint32_t limit, time_t now)
{
	struct mesh_filter_msg	fm = { 1, n, limit };

	filter_load(&fm, r, now);
}

static uint64_t
rule_packets(size_t i)
{
	struct ctl_filter_rule	cr;

	filter_rule_info(i, &cr);
	return cr.packets;
}

static void
t_nofilter(void)
{
	struct mesh_filter_msg	off = { 0, 0, 0 };
	uint8_t			pk[64];
	size_t			n;
	time_t			now = 100;

	filter_load(&off, NULL, now);
	n = mk4(pk, 6, web, me, 1000, 22, IPPKT_TH_SYN);
	is_int(IN(pk, n, PEER_WEB), 1, "no filter: everything passes");
}

static void
t_stateful(void)
{
	struct filter_rule	*r = rules_new(1);
	struct ctl_filter	 cf;
	uint8_t			 pk[64];
	size_t			 n;
	time_t			 now = 100;

	rule(&r[0], FILTER_PASS, FILTER_OUT, 0, 0);	/* pass out all */
	load(r, 1, 0, now);
	n = mk4(pk, 6, me, web, 40000, 80, IPPKT_TH_SYN);
	is_int(OUT(pk, n, PEER_WEB), 1, "pass out all: a SYN out passes");
	n = mk4(pk, 6, web, me, 80, 40000, IPPKT_TH_SYN | IPPKT_TH_ACK);
	is_int(IN(pk, n, PEER_WEB), 1, "its SYN-ACK in passes (state)");
	n = mk4(pk, 6, web, me, 80, 40001, IPPKT_TH_ACK);
	is_int(IN(pk, n, PEER_WEB), 0, "another port in: blocked");
	n = mk4(pk, 6, web, me, 80, 40000, IPPKT_TH_ACK);
	is_int(IN(pk, n, PEER_GUEST), 0,
	    "the state's packet from another peer: blocked");
	n = mk4(pk, 6, web, me, 5000, 22, IPPKT_TH_SYN);
	is_int(IN(pk, n, PEER_WEB), 0, "a new connection in: default block");
	filter_summary(&cf);
	is_int(cf.nstates, 1, "one state");
	is_int(cf.default_block, 3, "three blocked by default");
	is_int(rule_packets(0), 2, "rule 1 counts its packets and the "
	    "state's");

	/* UDP and its timeout */
	n = mk4(pk, 17, me, web, 5353, 53, 0);
	is_int(OUT(pk, n, PEER_WEB), 1, "UDP out");
	n = mk4(pk, 17, web, me, 53, 5353, 0);
	is_int(IN(pk, n, PEER_WEB), 1, "its answer in");
	now += 121;
	filter_expire(now);
	is_int(IN(pk, n, PEER_WEB), 0, "after 121 s the UDP state is gone");

	/* TCP: RST closes, 10 s later the state is gone */
	now = 1000;
	n = mk4(pk, 6, me, web, 40002, 80, IPPKT_TH_SYN);
	is_int(OUT(pk, n, PEER_WEB), 1, "a SYN out");
	n = mk4(pk, 6, web, me, 80, 40002, IPPKT_TH_RST | IPPKT_TH_ACK);
	is_int(IN(pk, n, PEER_WEB), 1, "a RST in passes");
	now += 11;
	n = mk4(pk, 6, web, me, 80, 40002, IPPKT_TH_ACK);
	is_int(IN(pk, n, PEER_WEB), 0, "11 s after the RST: no state");
}

static void
t_rules(void)
{
	struct filter_rule	*r = rules_new(6);
	uint8_t			 pk[64];
	size_t			 n;
	time_t			 now = 100;

	/* pass in all; block in proto tcp to port 22; pass in from peer
	   web1 to port 22; block in quick from group guests to port 8000:8100;
	   pass in from 100.64.0.3 port 8000:9000 (never reached: quick) */
	rule(&r[0], FILTER_PASS, FILTER_IN, 0, 0);
	rule(&r[1], FILTER_BLOCK, FILTER_IN, 0, 6);
	r[1].dport.lo = r[1].dport.hi = 22;
	rule(&r[2], FILTER_PASS, FILTER_IN, 0, 0);
	r[2].src.kind = FA_PEER;
	strlcpy(r[2].src.name, "web1", sizeof(r[2].src.name));
	r[2].dport.lo = r[2].dport.hi = 22;
	rule(&r[3], FILTER_BLOCK, FILTER_IN, 1, 0);
	r[3].src.kind = FA_GROUP;
	strlcpy(r[3].src.name, "guests", sizeof(r[3].src.name));
	r[3].dport.lo = 8000;
	r[3].dport.hi = 8100;
	rule(&r[4], FILTER_PASS, FILTER_IN, 0, 0);
	r[4].src.kind = FA_PREFIX;
	r[4].src.pfx.af = 4;
	r[4].src.pfx.plen = 32;
	memcpy(r[4].src.pfx.addr, guest, 4);
	r[4].dport.lo = 8000;
	r[4].dport.hi = 9000;
	/* block out to 100.64.0.0/30 */
	rule(&r[5], FILTER_BLOCK, FILTER_OUT, 0, 0);
	r[5].dst.kind = FA_PREFIX;
	r[5].dst.pfx.af = 4;
	r[5].dst.pfx.plen = 30;
	r[5].dst.pfx.addr[0] = 100;
	r[5].dst.pfx.addr[1] = 64;
	load(r, 6, 0, now);

	n = mk4(pk, 6, guest, me, 1000, 22, IPPKT_TH_SYN);
	is_int(IN(pk, n, PEER_GUEST), 0, "guest to port 22: last match "
	    "blocks");
	n = mk4(pk, 6, web, me, 1000, 22, IPPKT_TH_SYN);
	is_int(IN(pk, n, PEER_WEB), 1, "peer web1 to port 22: passes");
	n = mk4(pk, 17, guest, me, 1000, 22, 0);
	is_int(IN(pk, n, PEER_GUEST), 1, "guest UDP to 22: tcp only blocks");
	n = mk4(pk, 6, guest, me, 1000, 8050, IPPKT_TH_SYN);
	is_int(IN(pk, n, PEER_GUEST), 0, "guests to 8050: quick blocks "
	    "before a later pass");
	n = mk4(pk, 6, guest, me, 1000, 8101, IPPKT_TH_SYN);
	is_int(IN(pk, n, PEER_GUEST), 1, "guests to 8101: out of range");
	n = mk4(pk, 1, guest, me, 9, 0, 8);
	is_int(IN(pk, n, PEER_GUEST), 1, "a ping in: pass in all");
	n = mk4(pk, 6, me, web, 1000, 80, IPPKT_TH_SYN);
	is_int(OUT(pk, n, PEER_WEB), 0, "out to 100.64.0.0/30: blocked");
	n = mk4(pk, 6, me, (const uint8_t[]){ 100, 64, 0, 9 }, 1000, 80,
	    IPPKT_TH_SYN);
	is_int(OUT(pk, n, PEER_WEB), 0, "out elsewhere: no rule, blocked");
	is_int(rule_packets(3), 1, "the quick rule decided one packet");
}

static uint64_t
rule_evals(size_t i)
{
	struct ctl_filter_rule	cr;

	filter_rule_info(i, &cr);
	return cr.evals;
}

/* skip steps: rules of another direction or protocol are jumped over */
static void
t_skips(void)
{
	struct filter_rule	*r = rules_new(5);
	uint8_t			 pk[64];
	size_t			 n;
	time_t			 now = 100;

	rule(&r[0], FILTER_BLOCK, FILTER_IN, 0, 17);
	rule(&r[1], FILTER_BLOCK, FILTER_IN, 0, 17);
	rule(&r[2], FILTER_PASS, FILTER_IN, 0, 6);
	rule(&r[3], FILTER_BLOCK, FILTER_OUT, 0, 0);
	rule(&r[4], FILTER_BLOCK, FILTER_OUT, 0, 0);
	load(r, 5, 0, now);
	n = mk4(pk, 6, web, me, 1000, 80, IPPKT_TH_SYN);
	is_int(IN(pk, n, PEER_WEB), 1, "skips: TCP in passes by rule 3");
	ok(rule_evals(0) == 1 && rule_evals(1) == 0 && rule_evals(2) == 1 &&
	    rule_evals(3) == 1 && rule_evals(4) == 0,
	    "skips: rule 2 (UDP) and rule 5 (out) never evaluated");
	n = mk4(pk, 17, web, me, 1000, 53, 0);
	is_int(IN(pk, n, PEER_WEB), 0, "skips: UDP in blocked by rule 2");
	n = mk4(pk, 17, me, web, 53, 1001, 0);
	is_int(OUT(pk, n, PEER_WEB), 0, "skips: UDP out blocked by rule 5");
}

static void
t_v6(void)
{
	struct filter_rule	*r = rules_new(2);
	uint8_t			 pk[96];
	size_t			 n;
	time_t			 now = 100;

	/* pass out proto icmp6; pass in proto udp from fd00::/64 */
	rule(&r[0], FILTER_PASS, FILTER_OUT, 0, 58);
	rule(&r[1], FILTER_PASS, FILTER_IN, 0, 17);
	r[1].src.kind = FA_PREFIX;
	r[1].src.pfx.af = 6;
	r[1].src.pfx.plen = 64;
	r[1].src.pfx.addr[0] = 0xfd;
	load(r, 2, 0, now);
	n = mk6(pk, 58, me6, web6, 7, 0, 128, 0, 0);
	is_int(OUT(pk, n, PEER_WEB), 1, "v6: an echo request out");
	n = mk6(pk, 58, web6, me6, 7, 0, 129, 0, 0);
	is_int(IN(pk, n, PEER_WEB), 1, "v6: its echo reply in (state)");
	n = mk6(pk, 58, web6, me6, 8, 0, 129, 0, 0);
	is_int(IN(pk, n, PEER_WEB), 0, "v6: a reply of another id: blocked");
	n = mk6(pk, 17, web6, me6, 1, 2, 0, 1, 0);
	is_int(IN(pk, n, PEER_WEB), 1, "v6: a first fragment of UDP from "
	    "fd00::/64 passes (the fragment header walked)");
	n = mk6(pk, 17, web6, me6, 1, 2, 0, 1, 100);
	is_int(IN(pk, n, PEER_WEB), 1, "v6: a later one, with the state");
	n = mk6(pk, 17, me6, web6, 2, 1, 0, 0, 0);
	is_int(OUT(pk, n, PEER_WEB), 1, "v6: the state's reply out");
	n = mk6(pk, 6, web6, me6, 1, 2, 0, 1, 100);
	is_int(IN(pk, n, PEER_WEB), 0, "v6: a later TCP fragment: blocked");
}

static void
t_icmp(void)
{
	struct filter_rule	*r = rules_new(1);
	uint8_t			 pk[128], q[64];
	size_t			 n, qn;
	time_t			 now = 100;

	rule(&r[0], FILTER_PASS, FILTER_OUT, 0, 0);
	load(r, 1, 0, now);
	n = mk4(pk, 1, me, web, 0x4242, 0, 8);
	is_int(OUT(pk, n, PEER_WEB), 1, "echo request out");
	n = mk4(pk, 1, web, me, 0x4242, 0, 0);
	is_int(IN(pk, n, PEER_WEB), 1, "its echo reply in");
	n = mk4(pk, 1, web, me, 0x4343, 0, 0);
	is_int(IN(pk, n, PEER_WEB), 0, "a reply with another id: blocked");

	/* UDP out to a closed port; the port unreachable comes back */
	qn = mk4(q, 17, me, web, 5000, 9999, 0);
	is_int(OUT(q, qn, PEER_WEB), 1, "UDP out to port 9999");
	n = mk4(pk, 1, web, me, 0, 0, 3);
	pk[21] = 3;				/* port unreachable */
	memcpy(pk + 28, q, 28);			/* its header and 8 bytes */
	n = 28 + 28;
	put16(pk + 2, n);
	is_int(IN(pk, n, PEER_WEB), 1, "the port unreachable for it passes");
	(void)mk4(q, 17, me, web, 5001, 9999, 0);
	memcpy(pk + 28, q, 28);
	is_int(IN(pk, n, PEER_WEB), 0, "one for a packet never sent: "
	    "blocked");
	n = 28 + 10;
	put16(pk + 2, n);
	is_int(IN(pk, n, PEER_WEB), 0, "one that quotes too little: "
	    "blocked");
}

static void
t_frag(void)
{
	struct filter_rule	*r = rules_new(1);
	struct ctl_filter	 cf;
	uint8_t			 pk[64];
	size_t			 n;
	uint64_t		 fb;
	time_t			 now = 100;

	rule(&r[0], FILTER_PASS, FILTER_OUT, 0, 0);
	load(r, 1, 0, now);
	filter_summary(&cf);
	fb = cf.frag_block;
	n = mk4(pk, 17, web, me, 53, 5353, 0);
	put16(pk + 6, 0x0010);		/* offset 128: a later fragment */
	is_int(IN(pk, n, PEER_WEB), 0, "a later fragment, no state: blocked");
	n = mk4(pk, 17, me, web, 5353, 53, 0);
	is_int(OUT(pk, n, PEER_WEB), 1, "UDP out");
	n = mk4(pk, 17, web, me, 53, 5353, 0);
	put16(pk + 6, 0x0010);
	is_int(IN(pk, n, PEER_WEB), 1, "a later fragment between the same "
	    "two: passes");
	n = mk4(pk, 6, web, me, 53, 5353, 0);
	put16(pk + 6, 0x0010);
	is_int(IN(pk, n, PEER_WEB), 0, "the same of another protocol: "
	    "blocked");
	filter_summary(&cf);
	is_int(cf.frag_block - fb, 2, "two later fragments counted");
}

static void
t_limit_reload(void)
{
	struct filter_rule	*r = rules_new(2), *r2;
	struct ctl_filter	 cf;
	uint64_t		 full;
	uint8_t			 pk[64];
	size_t			 n;
	time_t			 now = 100;

	/* pass out all; pass in proto tcp to port 22 */
	rule(&r[0], FILTER_PASS, FILTER_OUT, 0, 0);
	rule(&r[1], FILTER_PASS, FILTER_IN, 0, 6);
	r[1].dport.lo = r[1].dport.hi = 22;
	load(r, 2, 2, now);
	filter_summary(&cf);
	full = cf.state_full;
	n = mk4(pk, 6, me, web, 1, 80, IPPKT_TH_SYN);
	is_int(OUT(pk, n, PEER_WEB), 1, "state 1 of 2");
	n = mk4(pk, 6, web, me, 2, 22, IPPKT_TH_SYN);
	is_int(IN(pk, n, PEER_WEB), 1, "state 2 of 2");
	n = mk4(pk, 6, me, web, 3, 80, IPPKT_TH_SYN);
	is_int(OUT(pk, n, PEER_WEB), 0, "a third connection: table full, "
	    "refused");
	n = mk4(pk, 6, web, me, 80, 1, IPPKT_TH_ACK);
	is_int(IN(pk, n, PEER_WEB), 1, "an established one goes on");
	filter_summary(&cf);
	is_int(cf.state_full - full, 1, "one refused for a full table");

	/* the new rules: pass out all only; the inbound state goes */
	r2 = rules_new(1);
	rule(&r2[0], FILTER_PASS, FILTER_OUT, 0, 0);
	reload(r2, 1, 0, now);
	filter_summary(&cf);
	is_int(cf.nstates, 1, "reload: the state the new rules allow stays");
	is_int(cf.limit, FILTER_STATES_DEFAULT, "the default limit back");
	n = mk4(pk, 6, web, me, 80, 1, IPPKT_TH_ACK);
	is_int(IN(pk, n, PEER_WEB), 1, "its replies still pass");
	n = mk4(pk, 6, me, web, 22, 2, IPPKT_TH_ACK);
	is_int(OUT(pk, n, PEER_WEB), 1, "the other's replies out: pass out "
	    "all makes a new state");
	n = mk4(pk, 6, web, me, 2, 22, IPPKT_TH_ACK);
	is_int(IN(pk, n, PEER_WEB), 1, "and it is the state now");
}

static void
t_l4(void)
{
	struct ippkt	 ip;
	struct ippkt_l4	 l4;
	uint8_t		 pk[64];
	size_t		 n, i;
	int		 bad = 0;

	n = mk4(pk, 6, me, web, 1234, 80, IPPKT_TH_SYN);
	ok(ippkt_parse(pk, n, &ip) == 0 && ippkt_l4(pk, &ip, &l4) == 0 &&
	    l4.sport == 1234 && l4.dport == 80 && l4.tcpflags ==
	    IPPKT_TH_SYN, "ippkt_l4: TCP ports and flags");
	/* every cut TCP header is refused, none read past the end */
	for (i = 20; i < 40; i++) {
		put16(pk + 2, i);
		if (ippkt_parse(pk, i, &ip) == -1 ||
		    ippkt_l4(pk, &ip, &l4) != -1)
			bad++;
	}
	is_int(bad, 0, "ippkt_l4: TCP headers cut at 0 to 19 bytes refused");
}

int
main(void)
{
	static const struct filter_lookup lk = { lk_name, lk_group };

	filter_set_lookup(&lk);
	t_nofilter();
	t_stateful();
	t_rules();
	t_skips();
	t_v6();
	t_icmp();
	t_frag();
	t_limit_reload();
	t_l4();
	return tap_done();
}
