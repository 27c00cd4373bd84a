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
 * The concentrator's address pool: what a pool may be, and the next free
 * client address in it.  Nothing here knows the rest of meshd, so the
 * unit test links it alone.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "concentrator.h"

/*
 * Client numbers are kept below this: a /16 IPv4 pool has 65,534, and an
 * IPv6 /64 needs no more than the IPv4 pool beside it.
 */
#define POOL_INDEX_MAX	((uint64_t)1 << 24)

static size_t
alen(const struct mesh_prefix *p)
{
	return p->af == 4 ? 4 : 16;
}

/* the bits of a host inside a prefix of plen, of an address of len bytes */
static int
host_bits_zero(const struct mesh_prefix *p)
{
	size_t	i, n = alen(p);

	for (i = 0; i < n; i++) {
		unsigned int	keep;

		if ((i + 1) * 8 <= p->plen)
			continue;
		keep = p->plen > i * 8 ? p->plen - i * 8 : 0;
		if ((p->addr[i] & (0xff >> keep)) != 0)
			return 0;
	}
	return 1;
}

int
conc_pool_parse(const char *s, struct mesh_prefix *p, const char **why)
{
	if (strchr(s, '/') == NULL) {
		*why = "a prefix length is missing (e.g. 100.64.200.0/24)";
		return -1;
	}
	if (mesh_prefix_pton(s, p) == -1) {
		*why = "not an IPv4 or IPv6 prefix";
		return -1;
	}
	if (p->af == 4 && (p->plen < 8 || p->plen > 30)) {
		*why = "IPv4 pools are /8 to /30";
		return -1;
	}
	if (p->af == 6 && (p->plen < 16 || p->plen > 126)) {
		*why = "IPv6 pools are /16 to /126";
		return -1;
	}
	if (!host_bits_zero(p)) {
		*why = "host bits are set (name the network, e.g. "
		    "100.64.200.0/24)";
		return -1;
	}
	return 0;
}

/* 1 if a holds b's first plen(a) bits */
static int
prefix_contains(const struct mesh_prefix *a, const struct mesh_prefix *b)
{
	size_t		 full;
	unsigned int	 rest;

	if (a->af != b->af || a->plen > b->plen)
		return 0;
	full = a->plen / 8;
	rest = a->plen % 8;
	if (memcmp(a->addr, b->addr, full) != 0)
		return 0;
	return rest == 0 || ((a->addr[full] ^ b->addr[full]) &
	    (0xff << (8 - rest))) == 0;
}

int
conc_prefix_inside(const struct mesh_prefix *a, const struct mesh_prefix *b)
{
	return prefix_contains(b, a);
}

int
conc_prefix_overlap(const struct mesh_prefix *a, const struct mesh_prefix *b)
{
	return prefix_contains(a, b) || prefix_contains(b, a);
}

/* how many client numbers pool p has: 1 .. n-1 */
static uint64_t
pool_size(const struct mesh_prefix *p)
{
	unsigned int	hostbits = (p->af == 4 ? 32 : 128) - p->plen;
	uint64_t	n;

	if (hostbits >= 24)
		return POOL_INDEX_MAX;
	n = (uint64_t)1 << hostbits;
	/* IPv4's last address is the broadcast: no client gets it */
	return p->af == 4 ? n - 1 : n;
}

/* a's number in pool p (a inside p), or 0 if it is beyond POOL_INDEX_MAX */
static uint64_t
pool_index(const struct mesh_prefix *p, const struct mesh_prefix *a)
{
	uint64_t	n = 0;
	size_t		i, len = alen(p);
	unsigned int	hostbits = len * 8 - p->plen;

	/* the host part only: the bytes past the network's */
	for (i = 0; i < len; i++) {
		uint8_t	b = a->addr[i];

		if ((i + 1) * 8 <= p->plen)
			continue;
		if (i * 8 < p->plen)
			b &= 0xff >> (p->plen - i * 8);
		if (n >= POOL_INDEX_MAX)
			return 0;
		n = (n << 8) | b;
	}
	(void)hostbits;
	return n < POOL_INDEX_MAX ? n : 0;
}

/* pool + n into out, a host prefix */
static void
pool_addr(const struct mesh_prefix *p, uint64_t n, struct mesh_prefix *out)
{
	size_t	i = alen(p);

	*out = *p;
	out->plen = i * 8;
	while (n > 0 && i > 0) {
		i--;
		out->addr[i] |= n & 0xff;
		n >>= 8;
	}
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
conc_pool_next(const struct mesh_prefix *pool, size_t npool,
    const struct mesh_prefix *used, size_t nused, struct mesh_prefix *out)
{
	uint64_t	*taken, limit = POOL_INDEX_MAX, n, want;
	size_t		 i, k, ntaken = 0;

	if (npool == 0)
		return -1;
	for (k = 0; k < npool; k++)
		if (pool_size(&pool[k]) < limit)
			limit = pool_size(&pool[k]);
	if ((taken = reallocarray(NULL, nused + 1, sizeof(*taken))) == NULL)
		return -1;
	/* a number taken in either family is taken in both */
	for (i = 0; i < nused; i++)
		for (k = 0; k < npool; k++)
			if (prefix_contains(&pool[k], &used[i]) &&
			    (n = pool_index(&pool[k], &used[i])) != 0)
				taken[ntaken++] = n;
	qsort(taken, ntaken, sizeof(*taken), u64_cmp);
	want = 1;
	for (i = 0; i < ntaken; i++) {
		if (taken[i] > want)
			break;
		if (taken[i] == want)
			want++;
	}
	free(taken);
	if (want >= limit)
		return -1;
	for (k = 0; k < npool; k++)
		pool_addr(&pool[k], want, &out[k]);
	return 0;
}
