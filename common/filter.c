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

/* The packet filter's rules in meshd.conf's words (common/filter.h). */

#include <sys/types.h>

#include <stdio.h>

#include "filter.h"

static void
print_addr(FILE *f, const struct filter_addr *a)
{
	char	buf[64];

	switch (a->kind) {
	case FA_PEER:
		fprintf(f, "peer \"%s\"", a->name);
		break;
	case FA_GROUP:
		fprintf(f, "group \"%s\"", a->name);
		break;
	case FA_PREFIX:
		fprintf(f, "%s", mesh_prefix_ntop(&a->pfx, buf, sizeof(buf)));
		break;
	default:
		fprintf(f, "any");
	}
}

static void
print_port(FILE *f, const struct filter_port *p)
{
	if (p->lo == p->hi)
		fprintf(f, " port %u", p->lo);
	else
		fprintf(f, " port %u:%u", p->lo, p->hi);
}

const char *
filter_proto_name(uint8_t p)
{
	switch (p) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return "icmp";
	case 58:
		return "icmp6";
	}
	return "?";
}

void
filter_rule_print(FILE *f, const struct filter_rule *r)
{
	int	anyport_s = r->sport.lo == 0 && r->sport.hi == 0;
	int	anyport_d = r->dport.lo == 0 && r->dport.hi == 0;

	fprintf(f, "%s", r->action == FILTER_PASS ? "pass" : "block");
	if (r->dir == FILTER_IN)
		fprintf(f, " in");
	else if (r->dir == FILTER_OUT)
		fprintf(f, " out");
	if (r->quick)
		fprintf(f, " quick");
	if (r->proto != 0)
		fprintf(f, " proto %s", filter_proto_name(r->proto));
	if (r->src.kind == FA_ANY && anyport_s && r->dst.kind == FA_ANY &&
	    anyport_d) {
		fprintf(f, " all");
		return;
	}
	if (r->src.kind != FA_ANY || !anyport_s) {
		fprintf(f, " from ");
		print_addr(f, &r->src);
		if (!anyport_s)
			print_port(f, &r->sport);
	}
	if (r->dst.kind != FA_ANY || !anyport_d) {
		fprintf(f, " to ");
		print_addr(f, &r->dst);
		if (!anyport_d)
			print_port(f, &r->dport);
	}
}

