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
 * The packet filter (pfilter.h): rules, evaluated last match wins unless
 * quick, and the state table, a hash of connections keyed by protocol and
 * both (address, port) ends in a canonical order, so that a packet and its
 * replies find the same state.  Timeouts are per protocol; TCP follows
 * its flags (SYN, the answer, FINs, RST) well enough to time a connection
 * out soon once it closed.
 *
 * Later fragments carry no ports: one passes if a state links the same
 * two addresses by the same protocol (a count per address pair, beside the
 * states), else it is blocked and counted.
 */

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pfilter.h"

#define TO_TCP_OPENING		30
#define TO_TCP_ESTABLISHED	86400
#define TO_TCP_CLOSING		900
#define TO_TCP_FINWAIT		45
#define TO_TCP_CLOSED		10
#define TO_UDP_FIRST		60
#define TO_UDP_MULTIPLE		120
#define TO_ICMP			20
#define TO_OTHER_FIRST		60
#define TO_OTHER_MULTIPLE	120

struct fkey {
	uint8_t		af;
	uint8_t		proto;
	uint16_t	port[2];
	uint8_t		addr[2][16];
};

struct fstate {
	struct fstate	*next;		/* in its bucket */
	struct fkey	 key;
	uint8_t		 init;		/* key side of the first packet */
	uint8_t		 dir;		/* of the first packet */
	uint8_t		 tstate;	/* enum filter_tcp_state */
	uint8_t		 fin;		/* bit per side: a FIN seen */
	uint8_t		 seen;		/* bit per side: a packet seen */
	uint32_t	 peer;
	uint32_t	 rule;		/* index; UINT32_MAX: none */
	time_t		 created;
	time_t		 expire;
	uint64_t	 packets[2];	/* from the initiator, to it */
	uint64_t	 bytes[2];
};

/* states between two addresses by one protocol, for later fragments */
struct fpair {
	struct fpair	*next;
	uint8_t		 af;
	uint8_t		 proto;
	uint8_t		 addr[2][16];
	uint32_t	 count;
};

struct fctr {
	uint64_t	evals;
	uint64_t	packets;
	uint64_t	bytes;
	uint64_t	states;
};

/* a packet as the rules see it */
struct fpkt {
	uint8_t		dir;
	uint8_t		af;
	uint8_t		proto;
	uint8_t		ports;		/* sport and dport are ports */
	const uint8_t	*src;
	const uint8_t	*dst;
	uint16_t	sport;
	uint16_t	dport;
	uint32_t	peer;
};

static struct filter_lookup	 lk;
static int			 active;
static struct filter_rule	*rules;
static struct fctr		*ctrs;
static uint32_t			*skip_dir, *skip_proto;
static size_t			 nrules;
static uint32_t			 limit = FILTER_STATES_DEFAULT;
static struct fstate		**buckets;
static size_t			 nbuckets;	/* a power of 2 */
static struct fpair		**pairs;	/* nbuckets of them too */
static uint32_t			 nstates;
static uint32_t			 seed;
static struct ctl_filter	 sum;

void
filter_set_lookup(const struct filter_lookup *l)
{
	lk = *l;
	/* here, before the sandbox: it has no getrandom for tun */
	if (seed == 0)
		seed = arc4random() | 1;
}

int
filter_active(void)
{
	return active;
}

static uint32_t
hash_bytes(const uint8_t *p, size_t n, uint32_t h)
{
	size_t	i;

	/* FNV-1a with a secret start: peers cannot aim at one bucket */
	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619;
	return h;
}

static uint32_t
key_hash(const struct fkey *k)
{
	uint32_t	h;
	size_t		alen = k->af == 4 ? 4 : 16;

	h = hash_bytes(&k->proto, 1, seed);
	h = hash_bytes((const uint8_t *)k->port, sizeof(k->port), h);
	h = hash_bytes(k->addr[0], alen, h);
	return hash_bytes(k->addr[1], alen, h);
}

static uint32_t
pair_hash(uint8_t proto, const uint8_t a[2][16])
{
	uint32_t	h;

	h = hash_bytes(&proto, 1, seed ^ 0x5bd1e995);
	h = hash_bytes(a[0], 16, h);
	return hash_bytes(a[1], 16, h);
}

/* end a (addr, port) against end b: which comes first in a key */
static int
end_cmp(const uint8_t *a, uint16_t ap, const uint8_t *b, uint16_t bp)
{
	int	c;

	if ((c = memcmp(a, b, 16)) != 0)
		return c;
	return ap < bp ? -1 : ap > bp;
}

/* the key of a packet from (src, sport) to (dst, dport); the source side */
static int
make_key(struct fkey *k, uint8_t af, uint8_t proto, const uint8_t *src,
    uint16_t sport, const uint8_t *dst, uint16_t dport)
{
	int	s = end_cmp(src, sport, dst, dport) <= 0 ? 0 : 1;

	memset(k, 0, sizeof(*k));
	k->af = af;
	k->proto = proto;
	memcpy(k->addr[s], src, 16);
	k->port[s] = sport;
	memcpy(k->addr[!s], dst, 16);
	k->port[!s] = dport;
	return s;
}

static struct fstate *
state_find(const struct fkey *k, time_t now)
{
	struct fstate	*st;

	if (nbuckets == 0)
		return NULL;
	for (st = buckets[key_hash(k) & (nbuckets - 1)]; st != NULL;
	    st = st->next)
		if (memcmp(&st->key, k, sizeof(*k)) == 0)
			return st->expire > now ? st : NULL;
	return NULL;
}

static struct fpair **
pair_slot(uint8_t af, uint8_t proto, const uint8_t a[2][16])
{
	struct fpair	**pp;

	pp = &pairs[pair_hash(proto, a) & (nbuckets - 1)];
	for (; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->af == af && (*pp)->proto == proto &&
		    memcmp((*pp)->addr, a, sizeof((*pp)->addr)) == 0)
			break;
	return pp;
}

/* canonical address order of a pair, whatever the ports */
static void
pair_addrs(uint8_t out[2][16], const uint8_t *x, const uint8_t *y)
{
	int	s = memcmp(x, y, 16) <= 0 ? 0 : 1;

	memcpy(out[s], x, 16);
	memcpy(out[!s], y, 16);
}

static void
pair_ref(const struct fkey *k, int add)
{
	struct fpair	**pp, *p;
	uint8_t		  a[2][16];

	pair_addrs(a, k->addr[0], k->addr[1]);
	pp = pair_slot(k->af, k->proto, a);
	if (add) {
		if (*pp == NULL) {
			if ((p = calloc(1, sizeof(*p))) == NULL)
				fatal(NULL);
			p->af = k->af;
			p->proto = k->proto;
			memcpy(p->addr, a, sizeof(a));
			*pp = p;
		}
		(*pp)->count++;
	} else if (*pp != NULL && --(*pp)->count == 0) {
		p = *pp;
		*pp = p->next;
		free(p);
	}
}

static void
state_free(struct fstate **sp)
{
	struct fstate	*st = *sp;

	*sp = st->next;
	pair_ref(&st->key, 0);
	free(st);
	nstates--;
}

static void
states_clear(void)
{
	size_t	i;

	for (i = 0; i < nbuckets; i++)
		while (buckets[i] != NULL)
			state_free(&buckets[i]);
	free(buckets);
	free(pairs);
	buckets = NULL;
	pairs = NULL;
	nbuckets = 0;
}

/* the table for lim states; the states of the old one move over */
static void
states_resize(uint32_t lim)
{
	struct fstate	**ob = buckets, *st;
	struct fpair	**op = pairs, *p;
	size_t		  on = nbuckets, n = 1024, i;

	while (n < lim && n < (1U << 24))
		n <<= 1;
	if (n == nbuckets)
		return;
	if ((buckets = calloc(n, sizeof(*buckets))) == NULL ||
	    (pairs = calloc(n, sizeof(*pairs))) == NULL)
		fatal(NULL);
	nbuckets = n;
	for (i = 0; i < on; i++) {
		while ((st = ob[i]) != NULL) {
			ob[i] = st->next;
			st->next = buckets[key_hash(&st->key) & (n - 1)];
			buckets[key_hash(&st->key) & (n - 1)] = st;
		}
		while ((p = op[i]) != NULL) {
			op[i] = p->next;
			p->next = pairs[pair_hash(p->proto, p->addr) & (n - 1)];
			pairs[pair_hash(p->proto, p->addr) & (n - 1)] = p;
		}
	}
	free(ob);
	free(op);
}

static int
addr_match(const struct filter_addr *a, const uint8_t *addr, uint8_t af,
    uint32_t owner)
{
	const char	*name;
	unsigned int	 plen, i;

	switch (a->kind) {
	case FA_ANY:
		return 1;
	case FA_PREFIX:
		if (a->pfx.af != af)
			return 0;
		plen = a->pfx.plen;
		for (i = 0; i < plen / 8; i++)
			if (addr[i] != a->pfx.addr[i])
				return 0;
		if (plen % 8 != 0 && ((addr[i] ^ a->pfx.addr[i]) &
		    (0xff00 >> (plen % 8) & 0xff)) != 0)
			return 0;
		return 1;
	case FA_PEER:
		return owner != 0 && lk.name != NULL &&
		    (name = lk.name(owner)) != NULL &&
		    strcasecmp(name, a->name) == 0;
	case FA_GROUP:
		return owner != 0 && lk.group != NULL &&
		    lk.group(owner, a->name);
	}
	return 0;
}

static int
port_match(const struct filter_port *r, int ports, uint16_t port)
{
	if (r->lo == 0 && r->hi == 0)
		return 1;
	return ports && port >= r->lo && port <= r->hi;
}

static int
rule_match(const struct filter_rule *r, const struct fpkt *p)
{
	/* the remote end is the peer's, the local end nobody's */
	return port_match(&r->sport, p->ports, p->sport) &&
	    port_match(&r->dport, p->ports, p->dport) &&
	    addr_match(&r->src, p->src, p->af,
	    p->dir == FILTER_IN ? p->peer : 0) &&
	    addr_match(&r->dst, p->dst, p->af,
	    p->dir == FILTER_OUT ? p->peer : 0);
}

/*
 * Skip steps, as pf has them: for rule i, the first rule after it whose
 * direction (or protocol) differs.  A packet that fails rule i on its
 * direction fails every rule up to that one too, so the walk jumps
 * there: rules grouped by direction and protocol cost a new connection
 * little more than the rules of its own kind.
 */
static void
skips_make(const struct filter_rule *rs, size_t n, uint32_t *sd,
    uint32_t *sp)
{
	size_t	i;

	if (n == 0)
		return;
	sd[n - 1] = sp[n - 1] = n;
	for (i = n - 1; i-- > 0; ) {
		sd[i] = rs[i].dir == rs[i + 1].dir ? sd[i + 1] : i + 1;
		sp[i] = rs[i].proto == rs[i + 1].proto ? sp[i + 1] : i + 1;
	}
}

/* the index of the deciding rule, -1 if none; count: evaluations */
static long
rules_eval(const struct filter_rule *rs, size_t n, const uint32_t *sd,
    const uint32_t *sp, struct fctr *c, const struct fpkt *p)
{
	long	last = -1;
	size_t	i = 0;

	while (i < n) {
		if (c != NULL)
			c[i].evals++;
		if ((rs[i].dir & p->dir) == 0) {
			i = sd[i];
			continue;
		}
		if (rs[i].proto != 0 && rs[i].proto != p->proto) {
			i = sp[i];
			continue;
		}
		if (rule_match(&rs[i], p)) {
			last = (long)i;
			if (rs[i].quick)
				break;
		}
		i++;
	}
	return last;
}

static time_t
state_timeout(const struct fstate *st)
{
	switch (st->key.proto) {
	case IPPKT_PROTO_TCP:
		switch (st->tstate) {
		case FT_OPENING:
			return TO_TCP_OPENING;
		case FT_CLOSING:
			return TO_TCP_CLOSING;
		case FT_FINWAIT:
			return TO_TCP_FINWAIT;
		case FT_CLOSED:
			return TO_TCP_CLOSED;
		default:
			return TO_TCP_ESTABLISHED;
		}
	case IPPKT_PROTO_UDP:
		return st->seen == 3 ? TO_UDP_MULTIPLE : TO_UDP_FIRST;
	case IPPKT_PROTO_ICMP:
	case IPPKT_PROTO_ICMPV6:
		return TO_ICMP;
	}
	return st->seen == 3 ? TO_OTHER_MULTIPLE : TO_OTHER_FIRST;
}

/* a packet of the state from key side s */
static void
state_update(struct fstate *st, int s, const struct ippkt_l4 *l4,
    uint32_t len, time_t now)
{
	int	fwd = s == st->init;

	st->packets[!fwd]++;
	st->bytes[!fwd] += len;
	st->seen |= 1 << s;
	if (st->key.proto == IPPKT_PROTO_TCP) {
		if (l4->tcpflags & IPPKT_TH_RST)
			st->tstate = FT_CLOSED;
		else if (l4->tcpflags & IPPKT_TH_FIN) {
			st->fin |= 1 << s;
			if (st->tstate != FT_CLOSED)
				st->tstate = st->fin == 3 ? FT_FINWAIT :
				    FT_CLOSING;
		} else if (st->tstate == FT_OPENING && !fwd)
			st->tstate = FT_ESTABLISHED;
	}
	st->expire = now + state_timeout(st);
}

static struct fstate *
state_new(const struct fkey *k, int s, uint8_t dir, uint32_t peer,
    const struct ippkt_l4 *l4, uint32_t rule, time_t now)
{
	struct fstate	*st;
	uint32_t	 h;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	st->key = *k;
	st->init = s;
	st->dir = dir;
	st->peer = peer;
	st->rule = rule;
	st->created = now;
	if (k->proto == IPPKT_PROTO_TCP)
		st->tstate = (l4->tcpflags & (IPPKT_TH_SYN | IPPKT_TH_ACK)) ==
		    IPPKT_TH_SYN ? FT_OPENING : FT_ESTABLISHED;
	h = key_hash(k) & (nbuckets - 1);
	st->next = buckets[h];
	buckets[h] = st;
	pair_ref(k, 1);
	nstates++;
	return st;
}

/* the state's first packet, to evaluate it again */
static void
state_fpkt(const struct fstate *st, struct fpkt *p)
{
	int	s = st->init;

	memset(p, 0, sizeof(*p));
	p->dir = st->dir;
	p->af = st->key.af;
	p->proto = st->key.proto;
	p->ports = p->proto == IPPKT_PROTO_TCP || p->proto == IPPKT_PROTO_UDP;
	p->src = st->key.addr[s];
	p->sport = st->key.port[s];
	p->dst = st->key.addr[!s];
	p->dport = st->key.port[!s];
	p->peer = st->peer;
}

void
filter_load(const struct mesh_filter_msg *fm, struct filter_rule *nr,
    time_t now)
{
	struct fstate	**sp;
	struct fpkt	  p;
	struct fctr	 *nc = NULL;
	uint32_t	 *nsd = NULL, *nsp = NULL;
	size_t		  i;
	long		  r;

	if (!fm->present) {
		states_clear();
		free(rules);
		free(ctrs);
		free(skip_dir);
		free(skip_proto);
		free(nr);
		rules = NULL;
		ctrs = NULL;
		skip_dir = skip_proto = NULL;
		nrules = 0;
		active = 0;
		return;
	}
	if (fm->nrules > 0 &&
	    ((nc = calloc(fm->nrules, sizeof(*nc))) == NULL ||
	    (nsd = calloc(fm->nrules, sizeof(*nsd))) == NULL ||
	    (nsp = calloc(fm->nrules, sizeof(*nsp))) == NULL))
		fatal(NULL);
	skips_make(nr, fm->nrules, nsd, nsp);
	/* counters of a rule that stays the same, at the same place, stay */
	for (i = 0; i < fm->nrules && i < nrules; i++)
		if (memcmp(&nr[i], &rules[i], sizeof(nr[i])) == 0)
			nc[i] = ctrs[i];
	limit = fm->limit != 0 ? fm->limit : FILTER_STATES_DEFAULT;
	states_resize(limit);
	for (i = 0; i < nbuckets; i++) {
		for (sp = &buckets[i]; *sp != NULL; ) {
			state_fpkt(*sp, &p);
			r = rules_eval(nr, fm->nrules, nsd, nsp, NULL, &p);
			if (r == -1 || nr[r].action != FILTER_PASS ||
			    (*sp)->expire <= now) {
				state_free(sp);
				continue;
			}
			(*sp)->rule = (uint32_t)r;
			sp = &(*sp)->next;
		}
	}
	free(rules);
	free(ctrs);
	free(skip_dir);
	free(skip_proto);
	rules = nr;
	ctrs = nc;
	skip_dir = nsd;
	skip_proto = nsp;
	nrules = fm->nrules;
	active = 1;
}

void
filter_expire(time_t now)
{
	struct fstate	**sp;
	size_t		  i;

	for (i = 0; i < nbuckets; i++)
		for (sp = &buckets[i]; *sp != NULL; )
			if ((*sp)->expire <= now)
				state_free(sp);
			else
				sp = &(*sp)->next;
}

/* an ICMP error that answers a packet of a state passes */
static int
icmp_err_known(const struct ippkt *ip, const struct ippkt_l4 *l4,
    int dir, uint32_t peer, time_t now)
{
	struct fstate	*st;
	struct fkey	 k;
	int		 s;

	/* the error goes back to the quoted packet's source */
	if (memcmp(ip->dst, l4->q_src, 16) != 0)
		return 0;
	s = make_key(&k, ip->version, l4->q_proto, l4->q_src, l4->q_sport,
	    l4->q_dst, l4->q_dport);
	(void)s;
	if ((st = state_find(&k, now)) == NULL || st->peer != peer)
		return 0;
	/* the quoted packet went the other way than the error comes */
	return 1;
}

static int
frag_known(const struct ippkt *ip, uint8_t proto)
{
	uint8_t		a[2][16];

	if (nbuckets == 0)
		return 0;
	pair_addrs(a, ip->src, ip->dst);
	return *pair_slot(ip->version, proto, a) != NULL;
}

int
filter_check(const uint8_t *pkt, const struct ippkt *ip, int dir,
    uint32_t peer, time_t now)
{
	struct ippkt_l4	 l4;
	struct fstate	*st;
	struct fpkt	 p;
	struct fkey	 k;
	long		 r;
	int		 s;

	if (!active)
		return 1;
	if (ippkt_l4(pkt, ip, &l4) == -1) {
		sum.short_block++;
		return 0;
	}
	if (l4.frag == IPPKT_LATER_FRAG) {
		if (frag_known(ip, l4.proto))
			return 1;
		sum.frag_block++;
		return 0;
	}
	s = make_key(&k, ip->version, l4.proto, ip->src, l4.sport, ip->dst,
	    l4.dport);
	if ((st = state_find(&k, now)) != NULL && st->peer == peer &&
	    (s == st->init) == (dir == st->dir)) {
		state_update(st, s, &l4, ip->len, now);
		if (st->rule < nrules) {
			ctrs[st->rule].packets++;
			ctrs[st->rule].bytes += ip->len;
		}
		return 1;
	}
	if (l4.icmp_err && icmp_err_known(ip, &l4, dir, peer, now))
		return 1;
	memset(&p, 0, sizeof(p));
	p.dir = dir;
	p.af = ip->version;
	p.proto = l4.proto;
	p.ports = l4.proto == IPPKT_PROTO_TCP || l4.proto == IPPKT_PROTO_UDP;
	p.src = ip->src;
	p.dst = ip->dst;
	p.sport = l4.sport;
	p.dport = l4.dport;
	p.peer = peer;
	if ((r = rules_eval(rules, nrules, skip_dir, skip_proto, ctrs,
	    &p)) == -1) {
		sum.default_block++;
		return 0;
	}
	ctrs[r].packets++;
	ctrs[r].bytes += ip->len;
	if (rules[r].action != FILTER_PASS)
		return 0;
	if (l4.icmp_err)
		return 1;	/* an error makes no connection */
	if (st != NULL) {
		/* the same ends, the other way: an old state, replaced */
		log_debug("filter: a state turned round");
	} else if (nstates >= limit) {
		sum.state_full++;
		return 0;
	}
	if (st == NULL && (st = state_new(&k, s, dir, peer, &l4,
	    (uint32_t)r, now)) == NULL) {
		sum.state_full++;
		return 0;
	}
	if (st->init == s && st->dir == dir)
		ctrs[r].states++;
	else {
		st->init = s;
		st->dir = dir;
		st->peer = peer;
		st->rule = (uint32_t)r;
	}
	state_update(st, s, &l4, ip->len, now);
	return 1;
}

void
filter_summary(struct ctl_filter *cf)
{
	*cf = sum;
	cf->present = active;
	cf->nrules = nrules;
	cf->nstates = nstates;
	cf->limit = limit;
}

size_t
filter_nrules(void)
{
	return nrules;
}

void
filter_rule_info(size_t i, struct ctl_filter_rule *cr)
{
	memset(cr, 0, sizeof(*cr));
	if (i >= nrules)
		return;
	cr->nr = i + 1;
	cr->rule = rules[i];
	cr->evals = ctrs[i].evals;
	cr->packets = ctrs[i].packets;
	cr->bytes = ctrs[i].bytes;
	cr->states = ctrs[i].states;
}

void
filter_states_walk(void (*cb)(const struct ctl_filter_state *, void *),
    void *arg, time_t now)
{
	struct ctl_filter_state	 cs;
	struct fstate		*st;
	size_t			 i;
	int			 s;

	for (i = 0; i < nbuckets; i++) {
		for (st = buckets[i]; st != NULL; st = st->next) {
			if (st->expire <= now)
				continue;
			memset(&cs, 0, sizeof(cs));
			s = st->init;
			cs.af = st->key.af;
			cs.proto = st->key.proto;
			cs.dir = st->dir;
			cs.tstate = st->tstate;
			memcpy(cs.src, st->key.addr[s], 16);
			memcpy(cs.dst, st->key.addr[!s], 16);
			cs.sport = st->key.port[s];
			cs.dport = st->key.port[!s];
			cs.peer = st->peer;
			cs.rule = st->rule < nrules ? st->rule + 1 : 0;
			cs.expires = (uint32_t)(st->expire - now);
			cs.age = (uint32_t)(now - st->created);
			memcpy(cs.packets, st->packets, sizeof(cs.packets));
			memcpy(cs.bytes, st->bytes, sizeof(cs.bytes));
			cb(&cs, arg);
		}
	}
}
