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
 * The packet filter's compiled rules (issue 15), as the parent's parser
 * makes them from the filter block and as they travel to meshd-tun, which
 * evaluates them.  Lists in a rule (addresses, protocols, ports) are
 * expanded by the parser into one rule each, the way pf does, so that a
 * rule has a fixed layout and the imsg carrying it a fixed size.
 */

#ifndef FILTER_H
#define FILTER_H

#include <stdint.h>
#include <stdio.h>

#include "meshd.h"

#define FILTER_RULES_MAX	16384	/* after expansion */
#define FILTER_STATES_DEFAULT	10000
#define FILTER_STATES_MAX	1000000
#define FILTER_RULES_CHUNK	64	/* rules in one IMSG_FILTER_RULES */

enum filter_action {
	FILTER_PASS = 1,
	FILTER_BLOCK
};

/* direction bits: a rule without in or out has both */
#define FILTER_IN		0x01
#define FILTER_OUT		0x02

enum filter_addr_kind {
	FA_ANY,
	FA_PREFIX,		/* pfx */
	FA_PEER,		/* name: a static peer's or a member's name */
	FA_GROUP		/* name: a group of a member's certificate */
};

struct filter_addr {
	uint8_t			kind;	/* enum filter_addr_kind */
	uint8_t			pad[3];
	struct mesh_prefix	pfx;
	char			name[MESH_NAME_MAX];
};

/* a port range lo..hi; lo 0 and hi 0: any port */
struct filter_port {
	uint16_t		lo;
	uint16_t		hi;
};

struct filter_rule {
	uint8_t			action;	/* enum filter_action */
	uint8_t			dir;	/* FILTER_IN | FILTER_OUT */
	uint8_t			quick;
	uint8_t			proto;	/* 0: any */
	uint32_t		line;	/* in the file that defined it */
	struct filter_addr	src;
	struct filter_addr	dst;
	struct filter_port	sport;
	struct filter_port	dport;
};

/* IMSG_FILTER_START: a ruleset follows in IMSG_FILTER_RULES chunks */
struct mesh_filter_msg {
	uint32_t		present;	/* 0: no filter, all pass */
	uint32_t		nrules;
	uint32_t		limit;		/* states */
};

/* the filter's parts of the config (parent) */
struct filter_conf {
	struct filter_rule	*rules;
	size_t			 nrules;
	uint32_t		 limit;		/* 0: FILTER_STATES_DEFAULT */
	int			 limit_line;	/* 0: not given */
	int			 line;		/* of filter { */
};

/* IMSG_CTL_FILTER: the head of show filter, then one IMSG_CTL_FILTER_RULE
   per rule, then IMSG_CTL_END */
struct ctl_filter {
	uint32_t		present;
	uint32_t		nrules;
	uint32_t		nstates;
	uint32_t		limit;
	uint64_t		state_full;	/* new states refused: full */
	uint64_t		default_block;	/* packets no rule matched */
	uint64_t		frag_block;	/* later fragments, no state */
	uint64_t		short_block;	/* headers cut short */
};

struct ctl_filter_rule {
	uint32_t		nr;		/* 1, 2, ... in order */
	uint32_t		pad;
	struct filter_rule	rule;
	uint64_t		evals;
	uint64_t		packets;
	uint64_t		bytes;
	uint64_t		states;		/* made, ever */
};

/* IMSG_CTL_FILTER_STATE: one state of show states */
struct ctl_filter_state {
	uint8_t			af;		/* 4 or 6 */
	uint8_t			proto;
	uint8_t			dir;		/* of its first packet */
	uint8_t			tstate;		/* enum filter_tcp_state */
	uint8_t			src[16];	/* of its first packet */
	uint8_t			dst[16];
	uint16_t		sport;
	uint16_t		dport;
	uint32_t		peer;		/* the remote peer's id */
	uint32_t		rule;		/* nr of the rule; 0: none */
	uint32_t		expires;	/* seconds from now */
	uint32_t		age;		/* seconds */
	uint64_t		packets[2];	/* from the initiator, to it */
	uint64_t		bytes[2];
};

enum filter_tcp_state {
	FT_NONE,		/* not TCP */
	FT_OPENING,		/* SYN seen, no answer yet */
	FT_ESTABLISHED,
	FT_CLOSING,		/* a FIN from one side */
	FT_FINWAIT,		/* FINs from both sides */
	FT_CLOSED		/* a RST */
};

/* filter.c: one rule in meshd.conf's words, without a newline */
void		 filter_rule_print(FILE *, const struct filter_rule *);
/* tcp, udp, icmp, icmp6; "?" for another */
const char	*filter_proto_name(uint8_t);

#endif /* FILTER_H */
