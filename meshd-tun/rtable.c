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
 * The cryptokey routing table: one path-compressed binary trie per family
 * (see rtable.h).  Keys are addresses as big-endian 32-bit words in host
 * order, so bit 0 is the top bit of the address and a prefix comparison is
 * a word compare under a mask.
 *
 * Each node stands for a prefix: its key (host bits zero) and length.  A
 * node holds a peer id or, when id is 0, is a glue node where two subtrees
 * part; the children of a node of length plen are the prefixes below it
 * whose bit plen is 0 or 1.  Invariant: a glue node has two children, so
 * n prefixes need at most 2n - 1 nodes.
 *
 * Nodes live in one array a family and link by their byte offset in it
 * (a node's index times the stride), so a lookup goes from node to child
 * with an add and no multiply; offset 0 is never a node and means "none".
 * The lookups load both children and pick one without a branch, so each
 * level costs one load after the last.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rtable.h"

#define RT_NONE		0
#define RT_MAXWORDS	4		/* an IPv6 address */
#define RT_FREE		0xff		/* plen of a node on the freelist */

struct rt_node {
	uint32_t	child[2];	/* offsets, RT_NONE for none */
	uint32_t	id;		/* peer, 0 for a glue node */
	uint8_t		plen;
	uint8_t		pad[3];
	uint32_t	key[];		/* the trie's words of them */
};

struct rt_trie {
	uint8_t		*nodes;		/* cap nodes of stride bytes */
	uint32_t	 stride;
	unsigned int	 words;		/* key words: 1 or 4 */
	unsigned int	 bits;		/* 32 or 128 */
	uint32_t	 cap;		/* nodes */
	uint32_t	 used;		/* next node index never handed out */
	uint32_t	 maxnodes;	/* so that offsets fit in 32 bits */
	uint32_t	 freelist;	/* offsets, through child[0] */
	uint32_t	 root;
	size_t		 count;		/* nodes holding an id */
	size_t		 live;		/* nodes in the trie */
};

struct rtable {
	struct rt_trie	 t4;
	struct rt_trie	 t6;
};

static inline struct rt_node *
rt_node(const struct rt_trie *t, uint32_t off)
{
	return (struct rt_node *)(t->nodes + off);
}

static inline unsigned int
rt_bit(const uint32_t *key, unsigned int i)
{
	return (key[i >> 5] >> (31 - (i & 31))) & 1;
}

/* how many leading bits a and b share, at most limit */
static inline unsigned int
rt_common(const uint32_t *a, const uint32_t *b, unsigned int limit)
{
	unsigned int	w, n;
	uint32_t	x;

	for (w = 0; w * 32 < limit; w++) {
		if ((x = a[w] ^ b[w]) != 0) {
			n = w * 32 + __builtin_clz(x);
			return n < limit ? n : limit;
		}
	}
	return limit;
}

static void
rt_mask(uint32_t *key, unsigned int words, unsigned int plen)
{
	unsigned int	w;

	for (w = 0; w < words; w++) {
		if (plen >= 32 * (w + 1))
			continue;
		if (plen <= 32 * w)
			key[w] = 0;
		else
			key[w] &= ~(UINT32_MAX >> (plen - 32 * w));
	}
}

static inline uint32_t
rt_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
rt_key(uint32_t *key, const uint8_t *addr, unsigned int words)
{
	unsigned int	w;

	for (w = 0; w < words; w++)
		key[w] = rt_be32(addr + 4 * w);
}

static void
rt_trie_init(struct rt_trie *t, unsigned int words)
{
	memset(t, 0, sizeof(*t));
	t->words = words;
	t->bits = 32 * words;
	t->stride = sizeof(struct rt_node) + words * sizeof(uint32_t);
	t->maxnodes = UINT32_MAX / t->stride;
	t->used = 1;			/* offset 0 is RT_NONE */
}

static void
rt_trie_clear(struct rt_trie *t)
{
	free(t->nodes);
	rt_trie_init(t, t->words);
}

/* room for n more nodes without moving the array */
static int
rt_reserve(struct rt_trie *t, uint32_t n)
{
	uint8_t		*p;
	uint32_t	 ncap;

	if (t->used + n <= t->cap)
		return 0;
	if (t->used > t->maxnodes - n) {
		errno = ENOMEM;
		return -1;
	}
	ncap = t->cap < 64 ? 64 : t->cap + t->cap / 4;
	if (ncap > t->maxnodes)
		ncap = t->maxnodes;
	if (ncap < t->used + n)
		ncap = t->used + n;
	if ((p = reallocarray(t->nodes, ncap, t->stride)) == NULL)
		return -1;
	t->nodes = p;
	t->cap = ncap;
	return 0;
}

/* a node for key/plen (key already masked); room must be reserved */
static uint32_t
rt_alloc(struct rt_trie *t, const uint32_t *key, unsigned int plen,
    uint32_t id)
{
	struct rt_node	*n;
	uint32_t	 off;

	if (t->freelist != RT_NONE) {
		off = t->freelist;
		t->freelist = rt_node(t, off)->child[0];
	} else
		off = t->used++ * t->stride;
	n = rt_node(t, off);
	n->child[0] = n->child[1] = RT_NONE;
	n->id = id;
	n->plen = plen;
	memset(n->pad, 0, sizeof(n->pad));
	memcpy(n->key, key, t->words * sizeof(uint32_t));
	t->live++;
	return off;
}

static void
rt_release(struct rt_trie *t, uint32_t off)
{
	struct rt_node	*n = rt_node(t, off);

	n->plen = RT_FREE;
	n->id = 0;
	n->child[0] = t->freelist;
	t->freelist = off;
	t->live--;
}

static int
rt_insert(struct rt_trie *t, const uint32_t *key, unsigned int plen,
    uint32_t id)
{
	struct rt_node	*n, *g;
	uint32_t	*link, off, new, glue;
	unsigned int	 c;

	/* nothing below moves the array, so link stays good */
	if (rt_reserve(t, 2) == -1)
		return -1;
	for (link = &t->root; (off = *link) != RT_NONE;
	    link = &n->child[rt_bit(key, n->plen)]) {
		n = rt_node(t, off);
		c = rt_common(n->key, key, n->plen < plen ? n->plen : plen);
		if (c == n->plen) {
			if (n->plen < plen)
				continue;	/* under n: go down */
			if (n->id == 0)
				t->count++;
			n->id = id;
			return 0;
		}
		/* n is not above the new prefix: put it beside or above n */
		new = rt_alloc(t, key, plen, id);
		if (c == plen) {
			/* the new prefix holds n */
			rt_node(t, new)->child[rt_bit(n->key, plen)] = off;
		} else {
			/* they part at bit c */
			glue = rt_alloc(t, key, c, 0);
			g = rt_node(t, glue);
			rt_mask(g->key, t->words, c);
			g->child[rt_bit(key, c)] = new;
			g->child[rt_bit(n->key, c)] = off;
			new = glue;
		}
		*link = new;
		t->count++;
		return 0;
	}
	new = rt_alloc(t, key, plen, id);
	*link = new;
	t->count++;
	return 0;
}

/*
 * The node of exactly key/plen holding an id, or RT_NONE; *parent and
 * *gparent get the two nodes above it (RT_NONE above the root).
 */
static uint32_t
rt_find(const struct rt_trie *t, const uint32_t *key, unsigned int plen,
    uint32_t *parent, uint32_t *gparent)
{
	struct rt_node	*n;
	uint32_t	 off;

	*parent = *gparent = RT_NONE;
	for (off = t->root; off != RT_NONE;
	    off = n->child[rt_bit(key, n->plen)]) {
		n = rt_node(t, off);
		if (n->plen > plen ||
		    rt_common(n->key, key, n->plen) != n->plen)
			return RT_NONE;
		if (n->plen == plen)
			return n->id != 0 ? off : RT_NONE;
		*gparent = *parent;
		*parent = off;
	}
	return RT_NONE;
}

/* point parent's link to old (the root if parent is RT_NONE) at new */
static void
rt_relink(struct rt_trie *t, uint32_t parent, uint32_t old, uint32_t new)
{
	struct rt_node	*p;

	if (parent == RT_NONE) {
		t->root = new;
		return;
	}
	p = rt_node(t, parent);
	p->child[p->child[1] == old] = new;
}

/*
 * Node off just lost its id: unlink it if it has fewer than two children,
 * and then its parent too if that was a glue node left with one child.
 */
static void
rt_unlink(struct rt_trie *t, uint32_t off, uint32_t parent,
    uint32_t gparent)
{
	struct rt_node	*n = rt_node(t, off), *p;
	uint32_t	 child;

	if (n->child[0] != RT_NONE && n->child[1] != RT_NONE)
		return;			/* stays, as glue */
	child = n->child[0] != RT_NONE ? n->child[0] : n->child[1];
	rt_relink(t, parent, off, child);
	rt_release(t, off);
	if (child != RT_NONE || parent == RT_NONE)
		return;
	p = rt_node(t, parent);
	if (p->id != 0)
		return;
	/* a glue parent is left with one child: it goes */
	child = p->child[0] != RT_NONE ? p->child[0] : p->child[1];
	rt_relink(t, gparent, parent, child);
	rt_release(t, parent);
}

static int
rt_remove(struct rt_trie *t, const uint32_t *key, unsigned int plen)
{
	uint32_t	 off, parent, gparent;

	if ((off = rt_find(t, key, plen, &parent, &gparent)) == RT_NONE) {
		errno = ENOENT;
		return -1;
	}
	rt_node(t, off)->id = 0;
	t->count--;
	rt_unlink(t, off, parent, gparent);
	return 0;
}

/*
 * Removes every prefix of id.  The nodes are visited in array order, which
 * reads memory front to back (a walk down the trie would jump about); a
 * removal frees nodes but never moves one.
 */
static size_t
rt_remove_id(struct rt_trie *t, uint32_t id)
{
	struct rt_node	*n;
	uint32_t	 key[RT_MAXWORDS], i;
	size_t		 removed = 0;

	for (i = 1; i < t->used; i++) {
		n = rt_node(t, i * t->stride);
		if (n->id != id)
			continue;
		memcpy(key, n->key, t->words * sizeof(uint32_t));
		if (rt_remove(t, key, n->plen) == 0)
			removed++;
	}
	return removed;
}

static void
rt_walk(const struct rt_trie *t, uint32_t off, int af,
    void (*cb)(const struct mesh_prefix *, uint32_t, void *), void *arg)
{
	const struct rt_node	*n;
	struct mesh_prefix	 p;
	unsigned int		 w;

	/* preorder: the node, its 0 side, then its 1 side by the loop */
	for (; off != RT_NONE; off = n->child[1]) {
		n = rt_node(t, off);
		if (n->id != 0) {
			memset(&p, 0, sizeof(p));
			p.af = af;
			p.plen = n->plen;
			for (w = 0; w < t->words; w++) {
				p.addr[4 * w] = n->key[w] >> 24;
				p.addr[4 * w + 1] = n->key[w] >> 16;
				p.addr[4 * w + 2] = n->key[w] >> 8;
				p.addr[4 * w + 3] = n->key[w];
			}
			cb(&p, n->id, arg);
		}
		rt_walk(t, n->child[0], af, cb, arg);
	}
}

/* the trie of rt for address family af (4 or 6), or NULL; keeps rt's const */
#define RT_TRIE(rt, af)	((af) == 4 ? &(rt)->t4 : (af) == 6 ? &(rt)->t6 : NULL)

/* p's masked key in t, RT_TRIE(rt, p->af): 0, or -1 (EINVAL) */
static int
rt_prefix(const struct rt_trie *t, const struct mesh_prefix *p, uint32_t *key)
{
	if (t == NULL || p->plen > t->bits) {
		errno = EINVAL;
		return -1;
	}
	rt_key(key, p->addr, t->words);
	rt_mask(key, t->words, p->plen);
	return 0;
}

struct rtable *
rtable_new(void)
{
	struct rtable	*rt;

	if ((rt = malloc(sizeof(*rt))) == NULL)
		return NULL;
	rt_trie_init(&rt->t4, 1);
	rt_trie_init(&rt->t6, 4);
	return rt;
}

void
rtable_free(struct rtable *rt)
{
	if (rt == NULL)
		return;
	free(rt->t4.nodes);
	free(rt->t6.nodes);
	free(rt);
}

int
rtable_insert(struct rtable *rt, const struct mesh_prefix *p, uint32_t id)
{
	struct rt_trie	*t;
	uint32_t	 key[RT_MAXWORDS];

	if (id == 0) {
		errno = EINVAL;
		return -1;
	}
	if (rt_prefix(t = RT_TRIE(rt, p->af), p, key) == -1)
		return -1;
	return rt_insert(t, key, p->plen, id);
}

int
rtable_remove(struct rtable *rt, const struct mesh_prefix *p)
{
	struct rt_trie	*t;
	uint32_t	 key[RT_MAXWORDS];

	if (rt_prefix(t = RT_TRIE(rt, p->af), p, key) == -1)
		return -1;
	if (rt_remove(t, key, p->plen) == -1)
		return -1;
	if (t->live == 0)
		rt_trie_clear(t);
	return 0;
}

size_t
rtable_remove_peer(struct rtable *rt, uint32_t id)
{
	struct rt_trie	*t;
	size_t		 removed = 0;
	int		 f;

	if (id == 0)
		return 0;
	for (f = 0; f < 2; f++) {
		t = f == 0 ? &rt->t4 : &rt->t6;
		removed += rt_remove_id(t, id);
		if (t->live == 0)
			rt_trie_clear(t);
	}
	return removed;
}

uint32_t
rtable_lookup4(const struct rtable *rt, const uint8_t addr[4])
{
	const uint8_t		*nodes = rt->t4.nodes;
	const struct rt_node	*n;
	uint64_t		 a = rt_be32(addr), bit;
	uint32_t		 off, c0, c1, best = 0;
	unsigned int		 plen;

	for (off = rt->t4.root; off != RT_NONE; ) {
		n = (const struct rt_node *)(nodes + off);
		plen = n->plen;
		c0 = n->child[0];
		c1 = n->child[1];
		/* the top plen of 32 bits (64-bit shifts: /0 needs no test) */
		if (((a ^ n->key[0]) >> (32 - plen)) != 0)
			break;
		if (n->id != 0)
			best = n->id;
		/* bit plen of the address (a /32 has no children) */
		bit = ((a << plen) >> 31) & 1;
		off = c0 ^ ((c0 ^ c1) & -(uint32_t)bit);
	}
	return best;
}

/* the top plen bits of a 64-bit word, plen 0 to 64 */
static inline uint64_t
rt_topmask(unsigned int plen)
{
	return plen >= 64 ? UINT64_MAX : ~(UINT64_MAX >> plen);
}

uint32_t
rtable_lookup6(const struct rtable *rt, const uint8_t addr[16])
{
	const uint8_t		*nodes = rt->t6.nodes;
	const struct rt_node	*n;
	uint64_t		 hi, lo, khi, klo, w;
	uint32_t		 off, c0, c1, best = 0, bit;
	unsigned int		 plen;

	hi = (uint64_t)rt_be32(addr) << 32 | rt_be32(addr + 4);
	lo = (uint64_t)rt_be32(addr + 8) << 32 | rt_be32(addr + 12);
	for (off = rt->t6.root; off != RT_NONE; ) {
		n = (const struct rt_node *)(nodes + off);
		plen = n->plen;
		c0 = n->child[0];
		c1 = n->child[1];
		khi = (uint64_t)n->key[0] << 32 | n->key[1];
		klo = (uint64_t)n->key[2] << 32 | n->key[3];
		if ((((hi ^ khi) & rt_topmask(plen < 64 ? plen : 64)) |
		    ((lo ^ klo) & rt_topmask(plen > 64 ? plen - 64 : 0))) != 0)
			break;
		if (n->id != 0)
			best = n->id;
		/* bit plen of the address (a /128 has no children) */
		w = plen & 64 ? lo : hi;
		bit = (w << (plen & 63)) >> 63;
		off = c0 ^ ((c0 ^ c1) & -bit);
	}
	return best;
}

uint32_t
rtable_lookup(const struct rtable *rt, int af, const uint8_t *addr)
{
	if (af == 4)
		return rtable_lookup4(rt, addr);
	if (af == 6)
		return rtable_lookup6(rt, addr);
	return 0;
}

uint32_t
rtable_get(const struct rtable *rt, const struct mesh_prefix *p)
{
	const struct rt_trie	*t;
	uint32_t		 key[RT_MAXWORDS], off, parent, gparent;

	if (rt_prefix(t = RT_TRIE(rt, p->af), p, key) == -1)
		return 0;
	if ((off = rt_find(t, key, p->plen, &parent, &gparent)) == RT_NONE)
		return 0;
	return rt_node(t, off)->id;
}

size_t
rtable_count(const struct rtable *rt)
{
	return rt->t4.count + rt->t6.count;
}

size_t
rtable_memsize(const struct rtable *rt)
{
	return sizeof(*rt) + (size_t)rt->t4.cap * rt->t4.stride +
	    (size_t)rt->t6.cap * rt->t6.stride;
}

void
rtable_walk(const struct rtable *rt,
    void (*cb)(const struct mesh_prefix *, uint32_t, void *), void *arg)
{
	rt_walk(&rt->t4, rt->t4.root, 4, cb, arg);
	rt_walk(&rt->t6, rt->t6.root, 6, cb, arg);
}
