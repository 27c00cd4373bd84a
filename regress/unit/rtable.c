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
 * The cryptokey routing table against a naive reference: a plain list of
 * prefixes where a lookup scans all of them for the longest match.
 * Randomized tables (seeded; RTABLE_SEED=n to repeat a run) with clustered
 * prefixes so that nesting, shared bits and duplicates are common, v4 and
 * v6, /0 defaults and host routes, replacement, removal, removal of a
 * peer; then the scale case of 10,000 peers and 100,000 prefixes, where a
 * sample of lookups is checked and the timings are only reported.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "rtable.h"

struct ref {
	uint8_t		af;
	uint8_t		plen;
	uint8_t		addr[16];	/* host bits zero */
	uint32_t	id;
	size_t		seq;		/* insertion order, for dedup */
};

struct refset {
	struct ref	*v;
	size_t		 n, cap;
};

static uint64_t	rng_state;

static uint64_t
rng(void)
{
	uint64_t	z;

	z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int
rnd(unsigned int n)
{
	return rng() % n;
}

static void
rnd_bytes(uint8_t *p, size_t n)
{
	while (n-- > 0)
		*p++ = rng();
}

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned int
af_bits(int af)
{
	return af == 4 ? 32 : 128;
}

static size_t
af_bytes(int af)
{
	return af == 4 ? 4 : 16;
}

/* the reference's own masking and matching, byte by byte */
static void
ref_mask(uint8_t *addr, int af, unsigned int plen)
{
	size_t	i;

	for (i = 0; i < af_bytes(af); i++) {
		if (plen >= 8 * (i + 1))
			continue;
		if (plen <= 8 * i)
			addr[i] = 0;
		else
			addr[i] &= 0xff << (8 - (plen - 8 * i));
	}
	for (; i < 16; i++)
		addr[i] = 0;
}

static int
ref_matches(const struct ref *r, int af, const uint8_t *addr)
{
	size_t		full = r->plen / 8;
	unsigned int	rem = r->plen % 8;

	if (r->af != af || memcmp(addr, r->addr, full) != 0)
		return 0;
	return rem == 0 ||
	    ((addr[full] ^ r->addr[full]) & (0xff00 >> rem) & 0xff) == 0;
}

static struct ref *
ref_find(struct refset *s, const struct mesh_prefix *p)
{
	uint8_t	a[16];
	size_t	i;

	memcpy(a, p->addr, 16);
	ref_mask(a, p->af, p->plen);
	for (i = 0; i < s->n; i++)
		if (s->v[i].af == p->af && s->v[i].plen == p->plen &&
		    memcmp(s->v[i].addr, a, 16) == 0)
			return &s->v[i];
	return NULL;
}

static void
ref_append(struct refset *s, const struct mesh_prefix *p, uint32_t id)
{
	struct ref	*r;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		if ((s->v = reallocarray(s->v, s->cap, sizeof(*s->v))) == NULL)
			abort();
	}
	r = &s->v[s->n];
	r->af = p->af;
	r->plen = p->plen;
	memcpy(r->addr, p->addr, 16);
	ref_mask(r->addr, p->af, p->plen);
	r->id = id;
	r->seq = s->n++;
}

static void
ref_insert(struct refset *s, const struct mesh_prefix *p, uint32_t id)
{
	struct ref	*r;

	if ((r = ref_find(s, p)) != NULL)
		r->id = id;
	else
		ref_append(s, p, id);
}

static int
ref_remove(struct refset *s, const struct mesh_prefix *p)
{
	struct ref	*r;

	if ((r = ref_find(s, p)) == NULL)
		return -1;
	*r = s->v[--s->n];
	return 0;
}

static size_t
ref_remove_peer(struct refset *s, uint32_t id)
{
	size_t	i, j, removed;

	for (i = j = 0; i < s->n; i++)
		if (s->v[i].id != id)
			s->v[j++] = s->v[i];
	removed = s->n - j;
	s->n = j;
	return removed;
}

static uint32_t
ref_lookup(const struct refset *s, int af, const uint8_t *addr)
{
	size_t		i;
	int		best = -1;
	uint32_t	id = 0;

	for (i = 0; i < s->n; i++)
		if (ref_matches(&s->v[i], af, addr) &&
		    (int)s->v[i].plen > best) {
			best = s->v[i].plen;
			id = s->v[i].id;
		}
	return id;
}

/* walk order: family, then address, then the shorter prefix first */
static int
ref_cmp(const void *a, const void *b)
{
	const struct ref	*x = a, *y = b;
	int			 c;

	if (x->af != y->af)
		return x->af < y->af ? -1 : 1;
	if ((c = memcmp(x->addr, y->addr, 16)) != 0)
		return c;
	if (x->plen != y->plen)
		return x->plen < y->plen ? -1 : 1;
	return 0;
}

/* as ref_cmp, and the later insertion last */
static int
ref_cmp_seq(const void *a, const void *b)
{
	const struct ref	*x = a, *y = b;
	int			 c;

	if ((c = ref_cmp(a, b)) != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* sorts and keeps the last insertion of each prefix, as the table does */
static void
ref_dedup(struct refset *s)
{
	size_t	i, j;

	qsort(s->v, s->n, sizeof(*s->v), ref_cmp_seq);
	for (i = j = 0; i < s->n; i++) {
		if (i + 1 < s->n && ref_cmp(&s->v[i], &s->v[i + 1]) == 0)
			continue;
		s->v[j++] = s->v[i];
	}
	s->n = j;
}

static void
walk_cb(const struct mesh_prefix *p, uint32_t id, void *arg)
{
	struct refset	*s = arg;

	ref_append(s, p, id);
	/* the table promises host bits zero: keep what it gave */
	memcpy(s->v[s->n - 1].addr, p->addr, 16);
}

static const char *
fmt_addr(int af, const uint8_t *a)
{
	static char	buf[4][64];
	static int	k;
	char		*b = buf[k++ & 3];
	size_t		i, off = 0;

	for (i = 0; i < af_bytes(af); i++)
		off += snprintf(b + off, 64 - off, af == 4 ? "%s%u" : "%s%02x",
		    i == 0 ? "" : af == 4 ? "." : (i & 1) ? "" : ":", a[i]);
	return b;
}

/*
 * The walk must give exactly the reference's prefixes, in order, with the
 * same ids and zero host bits; count must agree.
 */
static int
check_walk(const struct rtable *rt, struct refset *ref, const char *what)
{
	struct refset	 w = { NULL, 0, 0 };
	size_t		 i;
	int		 good = 1;

	rtable_walk(rt, walk_cb, &w);
	if (ref->n > 0)
		qsort(ref->v, ref->n, sizeof(*ref->v), ref_cmp);
	if (w.n != ref->n || rtable_count(rt) != ref->n) {
		diag("%s: walk %zu, count %zu, reference %zu", what, w.n,
		    rtable_count(rt), ref->n);
		good = 0;
	}
	for (i = 0; good && i < w.n; i++) {
		if (ref_cmp(&w.v[i], &ref->v[i]) != 0 ||
		    w.v[i].id != ref->v[i].id) {
			diag("%s: walk[%zu] %s/%u id %u, reference %s/%u id %u",
			    what, i, fmt_addr(w.v[i].af, w.v[i].addr),
			    w.v[i].plen, w.v[i].id,
			    fmt_addr(ref->v[i].af, ref->v[i].addr),
			    ref->v[i].plen, ref->v[i].id);
			good = 0;
		}
	}
	free(w.v);
	return good;
}

static int
check_one(const struct rtable *rt, const struct refset *ref, int af,
    const uint8_t *addr, const char *what)
{
	uint32_t	got, want;

	got = af == 4 ? rtable_lookup4(rt, addr) : rtable_lookup6(rt, addr);
	want = ref_lookup(ref, af, addr);
	if (got == want && rtable_lookup(rt, af, addr) == want)
		return 1;
	diag("%s: lookup %s gave %u, reference %u", what, fmt_addr(af, addr),
	    got, want);
	return 0;
}

/* random addresses near the clusters, inside the prefixes, and anywhere */
static void
rnd_addr(uint8_t *a, int af, const uint8_t (*base)[16], size_t nbase,
    const struct refset *ref)
{
	unsigned int	bits = af_bits(af), d, i;
	const struct ref *r;

	switch (rnd(3)) {
	case 0:
		rnd_bytes(a, 16);
		return;
	case 1:
		if (ref->n > 0) {
			r = &ref->v[rnd(ref->n)];
			if (r->af == af) {
				memcpy(a, r->addr, 16);
				d = r->plen;
				break;
			}
		}
		/* FALLTHROUGH */
	default:
		memcpy(a, base[rnd(nbase)], 16);
		d = rnd(bits + 1);
		break;
	}
	/* random bits below depth d, often just one */
	if (d < bits && rnd(2)) {
		i = d + rnd(bits - d);
		a[i / 8] ^= 0x80 >> (i % 8);
	} else
		for (i = d; i < bits; i++)
			if (rnd(2))
				a[i / 8] ^= 0x80 >> (i % 8);
}

static int
check_lookups(const struct rtable *rt, const struct refset *ref, int af,
    const uint8_t (*base)[16], size_t nbase, int n, const char *what)
{
	uint8_t	a[16];
	int	i;

	for (i = 0; i < n; i++) {
		rnd_addr(a, af, base, nbase, ref);
		if (!check_one(rt, ref, af, a, what))
			return 0;
	}
	return 1;
}

static void
rnd_prefix(struct mesh_prefix *p, int af, const uint8_t (*base)[16],
    size_t nbase)
{
	unsigned int	bits = af_bits(af), i;

	memset(p, 0, sizeof(*p));
	p->af = af;
	memcpy(p->addr, base[rnd(nbase)], af_bytes(af));
	switch (rnd(8)) {
	case 0:
		p->plen = bits;
		break;
	case 1:
		p->plen = rnd(4);
		break;
	default:
		p->plen = rnd(bits + 1);
		break;
	}
	/* host bits are random garbage the table must ignore */
	rnd_bytes(p->addr + p->plen / 8, af_bytes(af) - p->plen / 8);
	/* and some prefix bits vary too, so clusters branch */
	if (p->plen > 0 && rnd(2)) {
		i = rnd(p->plen);
		p->addr[i / 8] ^= 0x80 >> (i % 8);
	}
}

static void
rnd_bases(uint8_t (*base)[16], size_t nbase, int af)
{
	size_t	i;

	for (i = 0; i < nbase; i++) {
		memset(base[i], 0, 16);
		rnd_bytes(base[i], af_bytes(af));
		/* bases share their top bits now and then */
		if (i > 0 && rnd(2))
			memcpy(base[i], base[rnd(i)],
			    1 + rnd(af_bytes(af) - 1));
	}
}

/* a run of random inserts, replacements and removals on one family */
static void
random_run(int af, size_t ops, size_t nbase)
{
	struct rtable		*rt;
	struct refset		 ref = { NULL, 0, 0 };
	struct mesh_prefix	 p;
	uint8_t			 base[16][16];
	size_t			 i, empty;
	int			 good = 1, r, e;
	char			 what[64];

	if (nbase > 16)
		nbase = 16;
	rnd_bases(base, nbase, af);
	if ((rt = rtable_new()) == NULL)
		abort();
	empty = rtable_memsize(rt);
	for (i = 0; good && i < ops; i++) {
		snprintf(what, sizeof(what), "v%d op %zu", af, i);
		switch (rnd(10)) {
		case 0: case 1: case 2:		/* remove one that is there */
			if (ref.n == 0)
				break;
			memset(&p, 0, sizeof(p));
			r = rnd(ref.n);
			p.af = ref.v[r].af;
			p.plen = ref.v[r].plen;
			memcpy(p.addr, ref.v[r].addr, 16);
			if (rtable_remove(rt, &p) != 0 ||
			    ref_remove(&ref, &p) != 0) {
				diag("%s: remove failed", what);
				good = 0;
			}
			break;
		case 3:				/* remove, maybe absent */
			rnd_prefix(&p, af, base, nbase);
			r = rtable_remove(rt, &p);
			e = errno;
			if (ref_remove(&ref, &p) == 0 ? r != 0 :
			    (r != -1 || e != ENOENT)) {
				diag("%s: remove of %s/%u gave %d", what,
				    fmt_addr(af, p.addr), p.plen, r);
				good = 0;
			}
			break;
		default:			/* insert or replace */
			rnd_prefix(&p, af, base, nbase);
			r = 1 + rnd(50);
			if (rtable_insert(rt, &p, r) != 0) {
				diag("%s: insert failed", what);
				good = 0;
			}
			ref_insert(&ref, &p, r);
			break;
		}
		if (good && i % 50 == 0)
			good = check_lookups(rt, &ref, af, base, nbase, 200,
			    what);
		if (good && i % 500 == 0)
			good = check_walk(rt, &ref, what);
	}
	if (good)
		good = check_lookups(rt, &ref, af, base, nbase, 5000, what) &&
		    check_walk(rt, &ref, what);
	ok(good, "v%d: %zu random operations over %zu clusters agree with "
	    "the reference (%zu prefixes at the end)", af, ops, nbase, ref.n);

	/* take it all down in random order, checking on the way */
	for (good = 1; good && ref.n > 0; ) {
		r = rnd(ref.n);
		memset(&p, 0, sizeof(p));
		p.af = ref.v[r].af;
		p.plen = ref.v[r].plen;
		memcpy(p.addr, ref.v[r].addr, 16);
		good = rtable_remove(rt, &p) == 0 &&
		    rtable_remove(rt, &p) == -1 && errno == ENOENT;
		ref_remove(&ref, &p);
		if (good && ref.n % 20 == 0)
			good = check_lookups(rt, &ref, af, base, nbase, 100,
			    "teardown");
	}
	ok(good && check_walk(rt, &ref, "empty") && rtable_count(rt) == 0 &&
	    rtable_memsize(rt) == empty,
	    "v%d: removing every prefix leaves an empty table of %zu bytes",
	    af, empty);
	rtable_free(rt);
	free(ref.v);
}

static void
set_prefix(struct mesh_prefix *p, int af, const char *s, unsigned int plen)
{
	unsigned int	a[16];
	int		i, n;

	memset(p, 0, sizeof(*p));
	p->af = af;
	p->plen = plen;
	if (af == 4)
		n = sscanf(s, "%u.%u.%u.%u", &a[0], &a[1], &a[2], &a[3]);
	else
		n = sscanf(s, "%2x%2x:%2x%2x:%2x%2x:%2x%2x:%2x%2x:%2x%2x:"
		    "%2x%2x:%2x%2x", &a[0], &a[1], &a[2], &a[3], &a[4], &a[5],
		    &a[6], &a[7], &a[8], &a[9], &a[10], &a[11], &a[12],
		    &a[13], &a[14], &a[15]);
	if (n != (int)af_bytes(af))
		abort();
	for (i = 0; i < n; i++)
		p->addr[i] = a[i];
}

static uint32_t
look(const struct rtable *rt, int af, const char *s)
{
	struct mesh_prefix	p;

	set_prefix(&p, af, s, 0);
	return rtable_lookup(rt, af, p.addr);
}

static int
ins(struct rtable *rt, int af, const char *s, unsigned int plen, uint32_t id)
{
	struct mesh_prefix	p;

	set_prefix(&p, af, s, plen);
	return rtable_insert(rt, &p, id);
}

static int
del(struct rtable *rt, int af, const char *s, unsigned int plen)
{
	struct mesh_prefix	p;

	set_prefix(&p, af, s, plen);
	return rtable_remove(rt, &p);
}

static uint32_t
get(const struct rtable *rt, int af, const char *s, unsigned int plen)
{
	struct mesh_prefix	p;

	set_prefix(&p, af, s, plen);
	return rtable_get(rt, &p);
}

#define V6(x)	"fd00:0000:0000:0000:0000:0000:0000:" x

static void
fixed_cases(void)
{
	struct rtable		*rt;
	struct mesh_prefix	 p;
	uint8_t			 a[16];

	if ((rt = rtable_new()) == NULL)
		abort();
	memset(a, 0, sizeof(a));
	ok(rtable_lookup4(rt, a) == 0 && rtable_lookup6(rt, a) == 0 &&
	    rtable_count(rt) == 0, "an empty table finds no peer");

	memset(&p, 0, sizeof(p));
	p.af = 5;
	ok(rtable_insert(rt, &p, 1) == -1 && errno == EINVAL,
	    "af 5 is EINVAL");
	ok(ins(rt, 4, "10.0.0.0", 33, 1) == -1 && errno == EINVAL,
	    "an IPv4 /33 is EINVAL");
	ok(ins(rt, 6, V6("0000"), 129, 1) == -1 && errno == EINVAL,
	    "an IPv6 /129 is EINVAL");
	ok(ins(rt, 4, "10.0.0.0", 8, 0) == -1 && errno == EINVAL,
	    "peer id 0 is EINVAL");
	ok(rtable_count(rt) == 0, "refused inserts leave the table empty");

	/* host bits */
	is_int(ins(rt, 4, "10.1.2.3", 8, 7), 0, "insert 10.1.2.3/8");
	is_int(look(rt, 4, "10.200.0.1"), 7, "10.200.0.1 is under 10/8");
	is_int(get(rt, 4, "10.0.0.0", 8), 7, "it is stored as 10.0.0.0/8");
	is_int(get(rt, 4, "10.99.0.0", 8), 7,
	    "and found with other host bits");
	is_int(ins(rt, 4, "10.9.9.9", 8, 8), 0, "insert 10.9.9.9/8 again");
	ok(rtable_count(rt) == 1 && look(rt, 4, "10.0.0.1") == 8,
	    "the same prefix with other host bits replaces the id");
	is_int(look(rt, 4, "11.0.0.1"), 0, "11.0.0.1 has no peer");

	/* nesting */
	ok(ins(rt, 4, "10.1.0.0", 16, 2) == 0 &&
	    ins(rt, 4, "10.1.1.0", 24, 3) == 0 &&
	    ins(rt, 4, "10.1.1.1", 32, 4) == 0, "nested /16, /24, /32");
	ok(look(rt, 4, "10.2.0.1") == 8 && look(rt, 4, "10.1.2.1") == 2 &&
	    look(rt, 4, "10.1.1.2") == 3 && look(rt, 4, "10.1.1.1") == 4,
	    "each address goes to its longest prefix");
	is_int(look(rt, 4, "10.1.1.0"), 3, "10.1.1.0 (the /24's base)");
	is_int(del(rt, 4, "10.1.0.0", 16), 0, "remove the middle /16");
	ok(look(rt, 4, "10.1.2.1") == 8 && look(rt, 4, "10.1.1.2") == 3 &&
	    look(rt, 4, "10.1.1.1") == 4,
	    "lookups below it fall back to 10/8 or stay deeper");
	ok(del(rt, 4, "10.1.0.0", 16) == -1 && errno == ENOENT,
	    "removing it again is ENOENT");
	ok(del(rt, 4, "10.1.1.0", 25) == -1 && errno == ENOENT,
	    "removing a prefix that only overlaps one is ENOENT");

	/* defaults, and the families stay apart */
	is_int(ins(rt, 4, "1.2.3.4", 0, 9), 0, "insert 0.0.0.0/0");
	ok(look(rt, 4, "11.0.0.1") == 9 && look(rt, 4, "255.255.255.255") ==
	    9 && look(rt, 4, "0.0.0.0") == 9 && look(rt, 4, "10.1.1.1") == 4,
	    "the IPv4 default catches what nothing longer holds");
	ok(look(rt, 6, V6("0001")) == 0, "and catches no IPv6 address");
	is_int(ins(rt, 6, V6("0001"), 128, 11), 0, "insert fd00::1/128");
	is_int(ins(rt, 6, "2001:0db8:0000:0000:0000:0000:0000:0000", 0, 12), 0,
	    "insert ::/0");
	ok(look(rt, 6, V6("0001")) == 11 && look(rt, 6, V6("0002")) == 12 &&
	    look(rt, 6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff") == 12,
	    "fd00::1 is its host route, the rest the IPv6 default");
	ok(look(rt, 4, "0.0.0.1") == 9, "0.0.0.1 is not fd00::1's");
	is_int(ins(rt, 6, V6("0000"), 127, 13), 0, "insert fd00::/127");
	ok(look(rt, 6, V6("0000")) == 13 && look(rt, 6, V6("0001")) == 11,
	    "a /127 and a /128 under it");
	is_int(ins(rt, 4, "10.1.1.0", 32, 14), 0, "insert 10.1.1.0/32");
	ok(look(rt, 4, "10.1.1.0") == 14 && look(rt, 4, "10.1.1.1") == 4 &&
	    look(rt, 4, "10.1.1.3") == 3, "two sibling /32s under a /24");

	is_int(rtable_remove_peer(rt, 9), 1, "remove_peer of the v4 default");
	ok(look(rt, 4, "11.0.0.1") == 0 && look(rt, 6, V6("0002")) == 12,
	    "only that peer's prefix went");
	is_int(rtable_remove_peer(rt, 9), 0, "remove_peer again removes none");
	is_int(rtable_remove_peer(rt, 0), 0, "remove_peer(0) removes none");
	is_int(rtable_count(rt), 7, "seven prefixes left");
	rtable_free(rt);
	rtable_free(NULL);
}

/* a random table over a few peers, then their removal one by one */
static void
remove_peer_run(void)
{
	struct rtable		*rt;
	struct refset		 ref = { NULL, 0, 0 };
	struct mesh_prefix	 p;
	uint8_t			 base4[8][16], base6[8][16];
	size_t			 i, got, want;
	uint32_t		 id;
	int			 good = 1, af;

	rnd_bases(base4, 8, 4);
	rnd_bases(base6, 8, 6);
	if ((rt = rtable_new()) == NULL)
		abort();
	for (i = 0; i < 3000; i++) {
		af = rnd(2) ? 4 : 6;
		rnd_prefix(&p, af, af == 4 ? base4 : base6, 8);
		id = 1 + rnd(20);
		if (rtable_insert(rt, &p, id) != 0)
			abort();
		ref_insert(&ref, &p, id);
	}
	for (id = 1; good && id <= 20; id += 1 + rnd(3)) {
		got = rtable_remove_peer(rt, id);
		want = ref_remove_peer(&ref, id);
		if (got != want) {
			diag("remove_peer(%u) removed %zu, reference %zu", id,
			    got, want);
			good = 0;
		}
		good = good && check_walk(rt, &ref, "remove_peer") &&
		    check_lookups(rt, &ref, 4, base4, 8, 1000, "remove_peer") &&
		    check_lookups(rt, &ref, 6, base6, 8, 1000, "remove_peer");
	}
	ok(good, "remove_peer takes exactly that peer's prefixes, v4 and v6");
	for (id = 1; id <= 20; id++) {
		rtable_remove_peer(rt, id);
		ref_remove_peer(&ref, id);
	}
	ok(rtable_count(rt) == 0 && check_walk(rt, &ref, "all peers") &&
	    check_lookups(rt, &ref, 4, base4, 8, 100, "all peers") &&
	    rtable_memsize(rt) < 1024,
	    "removing every peer empties the table (%zu bytes)",
	    rtable_memsize(rt));
	rtable_free(rt);
	free(ref.v);
}

/* peer i's prefixes: a v4 /32, a v6 /128, then 8 more of either family */
static void
scale_prefix(struct mesh_prefix *p, uint32_t i, int k)
{
	memset(p, 0, sizeof(*p));
	if (k == 0) {
		p->af = 4;
		p->plen = 32;
		p->addr[0] = 100;
		p->addr[1] = 64 | (i >> 16);
		p->addr[2] = i >> 8;
		p->addr[3] = i;
	} else if (k == 1) {
		p->af = 6;
		p->plen = 128;
		p->addr[0] = 0xfd;
		p->addr[12] = i >> 24;
		p->addr[13] = i >> 16;
		p->addr[14] = i >> 8;
		p->addr[15] = i;
	} else if (k < 6) {
		p->af = 4;
		p->plen = 24 + rnd(9);
		p->addr[0] = 10;
		rnd_bytes(p->addr + 1, 3);
	} else {
		p->af = 6;
		p->plen = 48 + rnd(81);
		p->addr[0] = 0xfd;
		p->addr[1] = 0x01;
		rnd_bytes(p->addr + 2, 14);
	}
}

static void
scale(void)
{
	struct rtable		*rt;
	struct refset		 ref = { NULL, 0, 0 };
	struct mesh_prefix	 p;
	uint8_t			 a[16];
	const uint32_t		 npeers = 10000;
	const int		 per = 10, samples = 2000;
	uint64_t		 seed = rng_state;
	double			 t0, t1, t2, t3;
	size_t			 n, bad = 0, removed;
	uint32_t		 i, id, got;
	int			 k, s, af, r;

	if ((rt = rtable_new()) == NULL)
		abort();
	t0 = now();
	for (i = 1, r = 0; i <= npeers; i++)
		for (k = 0; k < per; k++) {
			scale_prefix(&p, i, k);
			r |= rtable_insert(rt, &p, i);
		}
	t1 = now();
	ok(r == 0, "10,000 peers x 10 prefixes inserted");
	/* the same sequence again, for the reference */
	rng_state = seed;
	for (i = 1; i <= npeers; i++)
		for (k = 0; k < per; k++) {
			scale_prefix(&p, i, k);
			ref_append(&ref, &p, i);
		}
	ref_dedup(&ref);
	n = ref.n;
	is_int(rtable_count(rt), n, "count is the number of distinct "
	    "prefixes (%zu)", n);
	diag("load: %zu prefixes in %.1f ms (%.0f ns a prefix); "
	    "%zu bytes, %.1f bytes a prefix", n, (t1 - t0) * 1e3,
	    (t1 - t0) * 1e9 / (npeers * per), rtable_memsize(rt),
	    (double)rtable_memsize(rt) / n);

	for (s = 0; s < samples; s++) {
		af = s & 1 ? 6 : 4;
		memset(a, 0, sizeof(a));
		switch (s % 6) {
		case 0: case 1:			/* a peer's own address */
			id = 1 + rnd(npeers);
			scale_prefix(&p, id, s % 2);
			memcpy(a, p.addr, 16);
			got = rtable_lookup(rt, af, a);
			if (got != id)
				bad++;
			break;
		case 2: case 3:			/* inside the random ones */
			memcpy(a, ref.v[rnd(n)].addr, 16);
			af = a[0] == 10 ? 4 : 6;
			a[af == 4 ? 3 : 15] ^= rnd(256);
			break;
		default:
			rnd_bytes(a, af_bytes(af));
			a[0] = af == 4 ? 10 : 0xfd;
			if (af == 6)
				a[1] = 1;
			break;
		}
		if (!check_one(rt, &ref, af, a, "scale"))
			bad++;
	}
	ok(bad == 0, "%d sampled lookups agree with the reference", samples);

	t2 = now();
	removed = rtable_remove_peer(rt, npeers / 2);
	t3 = now();
	diag("remove_peer: %zu prefixes in %.2f ms", removed, (t3 - t2) * 1e3);
	is_int(rtable_lookup4(rt, (uint8_t []){ 100, 64, (npeers / 2) >> 8,
	    (npeers / 2) & 0xff }), 0, "a removed peer's /32 is gone");

	/* a whole rebuild, as a reload could do it */
	t2 = now();
	rtable_free(rt);
	if ((rt = rtable_new()) == NULL)
		abort();
	for (s = 0, r = 0; s < (int)n; s++) {
		memset(&p, 0, sizeof(p));
		p.af = ref.v[s].af;
		p.plen = ref.v[s].plen;
		memcpy(p.addr, ref.v[s].addr, 16);
		r |= rtable_insert(rt, &p, ref.v[s].id);
	}
	t3 = now();
	diag("rebuild from a sorted list: %.1f ms", (t3 - t2) * 1e3);
	ok(r == 0 && check_walk(rt, &ref, "rebuild"),
	    "a rebuild from the walk's list gives the same table");
	rtable_free(rt);
	free(ref.v);
}

/* the inbound rule: a source is peer id's only if its longest match is */
static int
src_ok(const struct rtable *rt, int af, const char *s, uint32_t id)
{
	return look(rt, af, s) == id;
}

/*
 * Overlapping allowed-ips of different peers, as WireGuard has them: the
 * longest prefix wins outbound, and inbound a source belongs to the peer
 * of its longest prefix only.  Both insertion orders.
 */
static void
overlap_run(int specific_first)
{
	struct rtable	*rt;
	const char	*o = specific_first ? "specific first" : "broad first";

	if ((rt = rtable_new()) == NULL)
		abort();
	if (specific_first)
		ok(ins(rt, 4, "100.64.0.3", 32, 2) == 0 &&
		    ins(rt, 4, "10.1.1.7", 32, 8) == 0 &&
		    ins(rt, 6, V6("0003"), 128, 6) == 0 &&
		    ins(rt, 6, V6("0000"), 64, 5) == 0, "%s: specific", o);
	ok(ins(rt, 4, "100.64.0.0", 16, 1) == 0 &&
	    ins(rt, 4, "0.0.0.0", 0, 3) == 0 &&
	    ins(rt, 4, "10.1.1.0", 24, 7) == 0 &&
	    ins(rt, 6, "0000:0000:0000:0000:0000:0000:0000:0000", 0, 4) == 0,
	    "%s: broad", o);
	if (!specific_first)
		ok(ins(rt, 4, "100.64.0.3", 32, 2) == 0 &&
		    ins(rt, 4, "10.1.1.7", 32, 8) == 0 &&
		    ins(rt, 6, V6("0003"), 128, 6) == 0 &&
		    ins(rt, 6, V6("0000"), 64, 5) == 0, "%s: specific", o);
	is_int(rtable_count(rt), 8, "%s: eight prefixes", o);

	ok(look(rt, 4, "100.64.0.3") == 2 && look(rt, 4, "100.64.0.2") == 1 &&
	    look(rt, 4, "100.64.255.255") == 1 && look(rt, 4, "100.65.0.3") ==
	    3, "%s: a /32 inside another peer's /16 wins, the /16 the rest",
	    o);
	ok(look(rt, 4, "10.1.1.7") == 8 && look(rt, 4, "10.1.1.6") == 7 &&
	    look(rt, 4, "10.1.1.8") == 7 && look(rt, 4, "10.1.2.7") == 3,
	    "%s: a /32 inside another peer's /24", o);
	ok(look(rt, 4, "8.8.8.8") == 3 && look(rt, 4, "255.255.255.255") == 3,
	    "%s: 0.0.0.0/0 takes what nothing longer holds", o);
	ok(look(rt, 6, V6("0003")) == 6 && look(rt, 6, V6("0004")) == 5 &&
	    look(rt, 6, "fd00:0000:0000:0001:0000:0000:0000:0003") == 4 &&
	    look(rt, 6, "2001:0db8:0000:0000:0000:0000:0000:0001") == 4,
	    "%s: ::/0 against a /64 and a /128 under it", o);

	ok(src_ok(rt, 4, "100.64.0.3", 2) && !src_ok(rt, 4, "100.64.0.3", 1),
	    "%s: source 100.64.0.3 is the /32's peer's, not the /16's", o);
	ok(src_ok(rt, 4, "100.64.0.2", 1) && !src_ok(rt, 4, "100.64.0.2", 2),
	    "%s: source 100.64.0.2 is the /16's, not the /32's", o);
	ok(src_ok(rt, 4, "8.8.8.8", 3) && !src_ok(rt, 4, "100.64.0.9", 3),
	    "%s: the exit peer may send from what no longer prefix holds", o);
	ok(!src_ok(rt, 6, V6("0003"), 4) && !src_ok(rt, 6, V6("0003"), 5) &&
	    src_ok(rt, 6, V6("0003"), 6) && src_ok(rt, 6, V6("0009"), 5),
	    "%s: IPv6 sources under ::/0, a /64 and a /128", o);

	/* the specific route goes: the broader one takes its addresses */
	ok(del(rt, 4, "100.64.0.3", 32) == 0 &&
	    look(rt, 4, "100.64.0.3") == 1 && src_ok(rt, 4, "100.64.0.3", 1),
	    "%s: without the /32, 100.64.0.3 falls back to the /16", o);
	ok(del(rt, 4, "100.64.0.0", 16) == 0 &&
	    look(rt, 4, "100.64.0.3") == 3 && look(rt, 4, "10.1.1.7") == 8,
	    "%s: without the /16, to 0.0.0.0/0", o);
	ok(rtable_remove_peer(rt, 8) == 1 && look(rt, 4, "10.1.1.7") == 7,
	    "%s: removing the /32's peer falls back to the /24", o);
	ok(rtable_remove_peer(rt, 6) == 1 && look(rt, 6, V6("0003")) == 5 &&
	    del(rt, 6, V6("0000"), 64) == 0 && look(rt, 6, V6("0003")) == 4,
	    "%s: and IPv6 from the /128 to the /64 to ::/0", o);
	ok(del(rt, 4, "0.0.0.0", 0) == 0 && look(rt, 4, "100.64.0.3") == 0 &&
	    look(rt, 4, "10.1.1.7") == 7, "%s: without 0/0, no peer", o);
	rtable_free(rt);
}

int
main(void)
{
	const char	*s;
	uint64_t	 seed = 0x6d65736864ULL;
	int		 i;

	if ((s = getenv("RTABLE_SEED")) != NULL)
		seed = strtoull(s, NULL, 0);
	diag("seed %llu (RTABLE_SEED to repeat)", (unsigned long long)seed);
	rng_state = seed;

	fixed_cases();
	overlap_run(0);
	overlap_run(1);
	for (i = 0; i < 2; i++) {
		random_run(4, 4000, 2 + 6 * i);
		random_run(6, 4000, 2 + 6 * i);
	}
	random_run(4, 1500, 1);
	random_run(6, 1500, 1);
	remove_peer_run();
	scale();
	return tap_done();
}
