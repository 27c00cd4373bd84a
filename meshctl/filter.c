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
 * show filter and show states: what meshd-tun's packet filter reports,
 * as text or JSON (-j).
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "filter.h"
#include "json.h"
#include "meshctl.h"
#include "output.h"

static const char *
addr_str(uint8_t af, const uint8_t *a, char *buf, size_t len)
{
	if (inet_ntop(af == 4 ? AF_INET : AF_INET6, a, buf, len) == NULL)
		return "?";
	return buf;
}

static const char *
tstate_name(uint8_t t)
{
	static const char *const names[] = {
		"", "opening", "established", "closing", "fin-wait", "closed"
	};

	return t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

static const char *
proto_str(uint8_t p, char *buf, size_t len)
{
	const char	*n = filter_proto_name(p);

	if (strcmp(n, "?") != 0)
		return n;
	(void)snprintf(buf, len, "%u", p);
	return buf;
}

static void
summary_text(FILE *out, const struct ctl_filter *cf)
{
	if (!cf->present) {
		fprintf(out, "no filter: every packet passes\n");
		return;
	}
	fprintf(out, "states: %u of %u\n", cf->nstates, cf->limit);
	fprintf(out, "refused (state table full): %llu\n",
	    (unsigned long long)cf->state_full);
	fprintf(out, "blocked by default: %llu\n",
	    (unsigned long long)cf->default_block);
	fprintf(out, "blocked later fragments: %llu\n",
	    (unsigned long long)cf->frag_block);
	fprintf(out, "blocked short headers: %llu\n",
	    (unsigned long long)cf->short_block);
}

static void
summary_json(struct json *j, const struct ctl_filter *cf)
{
	json_bool(j, "filter", cf->present != 0);
	json_uint(j, "states", cf->nstates);
	json_uint(j, "limit", cf->limit);
	json_uint(j, "refused_full", cf->state_full);
	json_uint(j, "blocked_default", cf->default_block);
	json_uint(j, "blocked_fragments", cf->frag_block);
	json_uint(j, "blocked_short", cf->short_block);
}

static void
rule_text(char *buf, size_t len, const struct filter_rule *r)
{
	FILE	*f;

	buf[0] = '\0';
	if ((f = fmemopen(buf, len, "w")) == NULL)
		return;
	filter_rule_print(f, r);
	fclose(f);
}

void
filter_show(FILE *out, int json, const struct ctl_filter *cf,
    const struct ctl_filter_rule *rules, size_t n)
{
	struct json	 j;
	char		 buf[512];
	size_t		 i;

	if (json) {
		json_init(&j, out);
		json_object_open(&j, NULL);
		json_uint(&j, "version", MESHCTL_JSON_VERSION);
		summary_json(&j, cf);
		json_array_open(&j, "rules");
		for (i = 0; i < n; i++) {
			rule_text(buf, sizeof(buf), &rules[i].rule);
			json_object_open(&j, NULL);
			json_uint(&j, "nr", rules[i].nr);
			json_string(&j, "rule", buf);
			json_uint(&j, "line", rules[i].rule.line);
			json_uint(&j, "evaluations", rules[i].evals);
			json_uint(&j, "packets", rules[i].packets);
			json_uint(&j, "bytes", rules[i].bytes);
			json_uint(&j, "states", rules[i].states);
			json_object_close(&j);
		}
		json_array_close(&j);
		json_object_close(&j);
		(void)json_finish(&j);
		return;
	}
	summary_text(out, cf);
	for (i = 0; i < n; i++) {
		rule_text(buf, sizeof(buf), &rules[i].rule);
		fprintf(out, "@%u %s\n", rules[i].nr, buf);
		fprintf(out, "  [ evaluations: %llu  packets: %llu  bytes: %llu"
		    "  states: %llu ]\n",
		    (unsigned long long)rules[i].evals,
		    (unsigned long long)rules[i].packets,
		    (unsigned long long)rules[i].bytes,
		    (unsigned long long)rules[i].states);
	}
}

static void
ends(char *buf, size_t len, const struct ctl_filter_state *s, int dst)
{
	char		a[INET6_ADDRSTRLEN];
	const uint8_t	*ad = dst ? s->dst : s->src;
	uint16_t	 port = dst ? s->dport : s->sport;
	int		 ports = s->proto == 6 || s->proto == 17;

	addr_str(s->af, ad, a, sizeof(a));
	if (!ports)
		(void)snprintf(buf, len, "%s", a);
	else if (s->af == 6)
		(void)snprintf(buf, len, "[%s]:%u", a, port);
	else
		(void)snprintf(buf, len, "%s:%u", a, port);
}

void
states_show(FILE *out, int json, const struct ctl_filter *cf,
    const struct ctl_filter_state *st, size_t n)
{
	struct json	 j;
	char		 src[64], dst[64], pb[8];
	size_t		 i;

	if (json) {
		json_init(&j, out);
		json_object_open(&j, NULL);
		json_uint(&j, "version", MESHCTL_JSON_VERSION);
		summary_json(&j, cf);
		json_array_open(&j, "states");
	} else
		fprintf(out, "states: %u of %u\n", cf->nstates, cf->limit);
	for (i = 0; i < n; i++) {
		ends(src, sizeof(src), &st[i], 0);
		ends(dst, sizeof(dst), &st[i], 1);
		if (!json) {
			fprintf(out, "%s %s %s %s %s", proto_str(st[i].proto,
			    pb, sizeof(pb)), src,
			    st[i].dir == FILTER_IN ? "<-" : "->", dst,
			    tstate_name(st[i].tstate));
			fprintf(out, "%s[ rule @%u  packets: %llu:%llu  "
			    "bytes: %llu:%llu  age: %us  expires: %us ]\n",
			    st[i].tstate != 0 ? " " : "", st[i].rule,
			    (unsigned long long)st[i].packets[0],
			    (unsigned long long)st[i].packets[1],
			    (unsigned long long)st[i].bytes[0],
			    (unsigned long long)st[i].bytes[1],
			    st[i].age, st[i].expires);
			continue;
		}
		json_object_open(&j, NULL);
		json_string(&j, "proto", proto_str(st[i].proto, pb,
		    sizeof(pb)));
		json_string(&j, "direction", st[i].dir == FILTER_IN ? "in" :
		    "out");
		addr_str(st[i].af, st[i].src, src, sizeof(src));
		addr_str(st[i].af, st[i].dst, dst, sizeof(dst));
		json_string(&j, "src", src);
		json_string(&j, "dst", dst);
		json_uint(&j, "sport", st[i].sport);
		json_uint(&j, "dport", st[i].dport);
		if (st[i].tstate != 0)
			json_string(&j, "tcp_state",
			    tstate_name(st[i].tstate));
		json_uint(&j, "peer_id", st[i].peer);
		json_uint(&j, "rule", st[i].rule);
		json_uint(&j, "packets_out", st[i].packets[0]);
		json_uint(&j, "packets_in", st[i].packets[1]);
		json_uint(&j, "bytes_out", st[i].bytes[0]);
		json_uint(&j, "bytes_in", st[i].bytes[1]);
		json_uint(&j, "age", st[i].age);
		json_uint(&j, "expires", st[i].expires);
		json_object_close(&j);
	}
	if (json) {
		json_array_close(&j);
		json_object_close(&j);
		(void)json_finish(&j);
	}
}
