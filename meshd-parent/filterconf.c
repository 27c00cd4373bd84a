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
 * The filter block of meshd.conf (meshd.conf(5), "PACKET FILTER").
 * parse.y hands each rule line over as words and braced lists; this reads
 * them, pf-like, and expands every list into one rule each (the compiled
 * form of common/filter.h that meshd-tun evaluates):
 *
 *	pass | block [in | out] [quick] [proto P] [all]
 *	    [from ADDR [port P]] [to ADDR [port P]]
 *	set limit states N
 *
 * ADDR is any, peer "NAME", group "NAME", an address or prefix, or a list
 * of them in braces; proto and port take lists too, and a port can be a
 * range N:M.  proto and from/to may come in any order after quick, as the
 * examples of issue 15 write them.
 */

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "filter.h"
#include "filterconf.h"
#include "log.h"

#define FWORDS_MAX	256	/* words and braces of one rule line */
#define FLIST_MAX	64	/* elements of one list */

enum fitem { FI_WORD, FI_OPEN, FI_CLOSE };

static struct {
	enum fitem	 type;
	const char	*w;		/* the pool's: lives as the parse */
} items[FWORDS_MAX];
static size_t		 nitems;
static int		 too_long;
static struct meshd_conf *fconf;

/* a rule line being read: the lists of each part, before expansion */
struct fline {
	uint8_t			action, dir, quick;
	uint8_t			protos[8];
	size_t			nprotos;
	struct filter_addr	src[FLIST_MAX], dst[FLIST_MAX];
	size_t			nsrc, ndst;
	struct filter_port	sport[FLIST_MAX], dport[FLIST_MAX];
	size_t			nsport, ndport;
};

void
filter_conf_begin(struct meshd_conf *conf, int line)
{
	fconf = conf;
	if (conf->filter != NULL) {
		conf_error("filter given twice (first at line %d)",
		    conf->filter->line);
		return;
	}
	if ((conf->filter = calloc(1, sizeof(*conf->filter))) == NULL)
		fatal(NULL);
	conf->filter->line = line;
	nitems = 0;
	too_long = 0;
}

static void
item_add(enum fitem t, const char *w)
{
	if (nitems == FWORDS_MAX) {
		too_long = 1;
		return;
	}
	items[nitems].type = t;
	items[nitems].w = w;
	nitems++;
}

void
filter_conf_word(const char *w)
{
	item_add(FI_WORD, w);
}

void
filter_conf_list(int open)
{
	item_add(open ? FI_OPEN : FI_CLOSE, NULL);
}

void
filter_conf_abort(void)
{
	nitems = 0;
	too_long = 0;
}

/* the word at *i, moving past it; NULL (and an error) at the line's end */
static const char *
next_word(size_t *i, const char *what)
{
	if (*i >= nitems || items[*i].type != FI_WORD) {
		conf_error("filter: %s", what);
		return NULL;
	}
	return items[(*i)++].w;
}

/*
 * One element or a braced list of them at *i, each read by one(); the
 * elements go to out (room for FLIST_MAX), their count to *n.  -1 after
 * an error was reported.
 */
static int
read_list(size_t *i, int (*one)(size_t *, void *, size_t), void *out,
    size_t *n, const char *what)
{
	if (*i < nitems && items[*i].type == FI_OPEN) {
		(*i)++;
		while (*i < nitems && items[*i].type != FI_CLOSE) {
			if (*n == FLIST_MAX) {
				conf_error("filter: more than %d in a list of "
				    "%s", FLIST_MAX, what);
				return -1;
			}
			if (one(i, out, (*n)++) == -1)
				return -1;
		}
		if (*i >= nitems) {
			conf_error("filter: a list of %s without \"}\"", what);
			return -1;
		}
		(*i)++;
		if (*n == 0) {
			conf_error("filter: an empty list of %s", what);
			return -1;
		}
		return 0;
	}
	if (*n == FLIST_MAX) {
		conf_error("filter: too many %s", what);
		return -1;
	}
	return one(i, out, (*n)++);
}

static int
one_proto(size_t *i, void *out, size_t k)
{
	static const struct { const char *name; uint8_t nr; } protos[] = {
		{ "tcp", 6 }, { "udp", 17 }, { "icmp", 1 }, { "icmp6", 58 },
	};
	const char	*w;
	size_t		 j;

	if ((w = next_word(i, "proto needs tcp, udp, icmp or icmp6")) ==
	    NULL)
		return -1;
	for (j = 0; j < sizeof(protos) / sizeof(protos[0]); j++)
		if (strcmp(w, protos[j].name) == 0) {
			((uint8_t *)out)[k] = protos[j].nr;
			return 0;
		}
	conf_error("filter: unknown proto \"%s\": expected tcp, udp, icmp or "
	    "icmp6", w);
	return -1;
}

static int
port_number(const char *s, uint16_t *out)
{
	long long	v;

	if (config_number(s, 1, 65535, &v) == -1)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

static int
one_port(size_t *i, void *out, size_t k)
{
	struct filter_port	*p = (struct filter_port *)out + k;
	const char		*w;
	char			 buf[16], *colon;

	if ((w = next_word(i, "port needs a number or a range N:M")) == NULL)
		return -1;
	if (strlcpy(buf, w, sizeof(buf)) >= sizeof(buf))
		goto bad;
	if ((colon = strchr(buf, ':')) != NULL)
		*colon++ = '\0';
	if (port_number(buf, &p->lo) == -1)
		goto bad;
	p->hi = p->lo;
	if (colon != NULL && (port_number(colon, &p->hi) == -1 ||
	    p->hi < p->lo))
		goto bad;
	return 0;
bad:
	conf_error("filter: bad port \"%s\": expected 1 to 65535 or a range "
	    "N:M with N <= M", w);
	return -1;
}

static int
one_addr(size_t *i, void *out, size_t k)
{
	struct filter_addr	*a = (struct filter_addr *)out + k;
	const char		*w, *name;
	unsigned int		 b;

	memset(a, 0, sizeof(*a));
	if ((w = next_word(i, "from and to need an address, any, peer or "
	    "group")) == NULL)
		return -1;
	if (strcmp(w, "any") == 0) {
		a->kind = FA_ANY;
		return 0;
	}
	if (strcmp(w, "peer") == 0 || strcmp(w, "group") == 0) {
		a->kind = w[0] == 'p' ? FA_PEER : FA_GROUP;
		if ((name = next_word(i, a->kind == FA_PEER ?
		    "peer needs a name" : "group needs a name")) == NULL)
			return -1;
		if (name[0] == '\0' || strlen(name) >= (a->kind == FA_PEER ?
		    MESH_NAME_MAX : MESH_GROUP_MAX)) {
			conf_error("filter: bad %s name \"%s\"", w, name);
			return -1;
		}
		(void)strlcpy(a->name, name, sizeof(a->name));
		return 0;
	}
	if (mesh_prefix_pton(w, &a->pfx) == -1) {
		conf_error("filter: bad address \"%s\": expected any, peer "
		    "\"NAME\", group \"NAME\", or an address with an optional "
		    "/length", w);
		return -1;
	}
	a->kind = FA_PREFIX;
	/* host bits off: the rule prints as it matches */
	for (b = a->pfx.plen; b < 128; b++)
		a->pfx.addr[b / 8] &= ~(0x80 >> (b % 8));
	return 0;
}

/* from/to ADDR [port P], or to port P alone */
static int
read_end(size_t *i, struct filter_addr *addrs, size_t *na,
    struct filter_port *ports, size_t *np, const char *what)
{
	if (*na != 0 || *np != 0) {
		conf_error("filter: %s given twice", what);
		return -1;
	}
	if (*i < nitems && items[*i].type == FI_WORD &&
	    strcmp(items[*i].w, "port") == 0) {
		addrs[0].kind = FA_ANY;
		*na = 1;
	} else if (read_list(i, one_addr, addrs, na, "addresses") == -1)
		return -1;
	if (*i < nitems && items[*i].type == FI_WORD &&
	    strcmp(items[*i].w, "port") == 0) {
		(*i)++;
		if (read_list(i, one_port, ports, np, "ports") == -1)
			return -1;
	}
	return 0;
}

static int
set_line(size_t i)
{
	struct filter_conf	*fc = fconf->filter;
	const char		*w;
	long long		 v;

	if ((w = next_word(&i, "set needs limit states N")) == NULL)
		return -1;
	if (strcmp(w, "limit") != 0 ||
	    (w = next_word(&i, "set limit needs states N")) == NULL ||
	    strcmp(w, "states") != 0) {
		conf_error("filter: expected set limit states N");
		return -1;
	}
	if ((w = next_word(&i, "set limit states needs a number")) == NULL)
		return -1;
	if (config_number(w, 1, FILTER_STATES_MAX, &v) == -1) {
		conf_error("filter: bad limit \"%s\": expected 1 to %d", w,
		    FILTER_STATES_MAX);
		return -1;
	}
	if (i < nitems) {
		conf_error("filter: unexpected words after set limit states");
		return -1;
	}
	if (fc->limit_line != 0) {
		conf_error("filter: set limit states given twice (first at "
		    "line %d)", fc->limit_line);
		return -1;
	}
	fc->limit = (uint32_t)v;
	fc->limit_line = conf_lineno();
	return 0;
}

static int
parse_line(struct fline *fl)
{
	size_t		 i = 0, j;
	const char	*w;
	int		 any = 0, all = 0;

	w = next_word(&i, "a rule starts with pass or block");
	if (w == NULL)
		return -1;
	if (strcmp(w, "pass") == 0)
		fl->action = FILTER_PASS;
	else if (strcmp(w, "block") == 0)
		fl->action = FILTER_BLOCK;
	else {
		conf_error("filter: unknown word \"%s\": a rule starts with "
		    "pass or block", w);
		return -1;
	}
	if (i < nitems && items[i].type == FI_WORD &&
	    (strcmp(items[i].w, "in") == 0 || strcmp(items[i].w, "out") == 0))
		fl->dir = items[i++].w[0] == 'i' ? FILTER_IN : FILTER_OUT;
	else
		fl->dir = FILTER_IN | FILTER_OUT;
	if (i < nitems && items[i].type == FI_WORD &&
	    strcmp(items[i].w, "quick") == 0) {
		fl->quick = 1;
		i++;
	}
	while (i < nitems) {
		if ((w = next_word(&i, "a list where a word was expected")) ==
		    NULL)
			return -1;
		if (strcmp(w, "proto") == 0) {
			if (fl->nprotos != 0) {
				conf_error("filter: proto given twice");
				return -1;
			}
			if (read_list(&i, one_proto, fl->protos, &fl->nprotos,
			    "protocols") == -1)
				return -1;
			/* a list of 4 at most: the rest of protos unused */
			if (fl->nprotos > 4) {
				conf_error("filter: too many protocols");
				return -1;
			}
		} else if (strcmp(w, "all") == 0)
			all = 1;
		else if (strcmp(w, "from") == 0) {
			if (read_end(&i, fl->src, &fl->nsrc, fl->sport,
			    &fl->nsport, "from") == -1)
				return -1;
			any = 1;
		} else if (strcmp(w, "to") == 0) {
			if (read_end(&i, fl->dst, &fl->ndst, fl->dport,
			    &fl->ndport, "to") == -1)
				return -1;
			any = 1;
		} else {
			conf_error("filter: unknown word \"%s\": expected "
			    "proto, all, from or to", w);
			return -1;
		}
	}
	if (all && any) {
		conf_error("filter: all is from any to any: it takes no from "
		    "or to");
		return -1;
	}
	/* a port without proto: TCP and UDP only, as issue 15 writes it */
	if (fl->nsport + fl->ndport > 0)
		for (j = 0; j < fl->nprotos; j++)
			if (fl->protos[j] != 6 && fl->protos[j] != 17) {
				conf_error("filter: port with proto %s: ports "
				    "are TCP's and UDP's",
				    filter_proto_name(fl->protos[j]));
				return -1;
			}
	return 0;
}

/* one more rule, or -1 (reported) past FILTER_RULES_MAX */
static int
rule_add(const struct filter_rule *r)
{
	struct filter_conf	*fc = fconf->filter;
	struct filter_rule	*nr;

	if (fc->nrules == FILTER_RULES_MAX) {
		conf_error("filter: more than %d rules once lists are "
		    "expanded", FILTER_RULES_MAX);
		return -1;
	}
	if ((nr = reallocarray(fc->rules, fc->nrules + 1,
	    sizeof(*nr))) == NULL)
		fatal(NULL);
	fc->rules = nr;
	fc->rules[fc->nrules++] = *r;
	return 0;
}

static void
expand(const struct fline *fl)
{
	static const struct filter_addr	 any;
	static const struct filter_port	 anyport;
	struct filter_rule		 r;
	size_t				 np = fl->nprotos ? fl->nprotos : 1;
	size_t				 ns = fl->nsrc ? fl->nsrc : 1;
	size_t				 nd = fl->ndst ? fl->ndst : 1;
	size_t				 nsp = fl->nsport ? fl->nsport : 1;
	size_t				 ndp = fl->ndport ? fl->ndport : 1;
	size_t				 a, b, c, d, e;

	memset(&r, 0, sizeof(r));
	r.action = fl->action;
	r.dir = fl->dir;
	r.quick = fl->quick;
	r.line = conf_lineno();
	for (a = 0; a < np; a++)
	for (b = 0; b < ns; b++)
	for (c = 0; c < nsp; c++)
	for (d = 0; d < nd; d++)
	for (e = 0; e < ndp; e++) {
		r.proto = fl->nprotos ? fl->protos[a] : 0;
		r.src = fl->nsrc ? fl->src[b] : any;
		r.sport = fl->nsport ? fl->sport[c] : anyport;
		r.dst = fl->ndst ? fl->dst[d] : any;
		r.dport = fl->ndport ? fl->dport[e] : anyport;
		if (rule_add(&r) == -1)
			return;
	}
}

void
filter_conf_line(void)
{
	struct fline	*fl;

	if (fconf == NULL || fconf->filter == NULL || nitems == 0)
		goto done;
	if (too_long) {
		conf_error("filter: a rule of more than %d words",
		    FWORDS_MAX);
		goto done;
	}
	if (items[0].type == FI_WORD && strcmp(items[0].w, "set") == 0) {
		(void)set_line(1);
		goto done;
	}
	if ((fl = calloc(1, sizeof(*fl))) == NULL)
		fatal(NULL);
	if (parse_line(fl) == 0)
		expand(fl);
	free(fl);
done:
	nitems = 0;
	too_long = 0;
}

void
filter_conf_free(struct filter_conf *fc)
{
	if (fc == NULL)
		return;
	free(fc->rules);
	free(fc);
}

void
filter_conf_print(FILE *f, const struct filter_conf *fc)
{
	size_t	i;

	if (fc == NULL)
		return;
	fprintf(f, "\nfilter {\n");
	if (fc->limit_line != 0)
		fprintf(f, "\tset limit states %u\n", fc->limit);
	for (i = 0; i < fc->nrules; i++) {
		fprintf(f, "\t");
		filter_rule_print(f, &fc->rules[i]);
		fprintf(f, "\n");
	}
	fprintf(f, "}\n");
}
