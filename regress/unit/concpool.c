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
 * The concentrator's pool (meshd-parent/concpool.c): what a pool may be,
 * and the next free client number, the same in both families, past the
 * node's own addresses and the clients there are, never the IPv4
 * broadcast, and full when it is full.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "concentrator.h"

static struct mesh_prefix
P(const char *s)
{
	struct mesh_prefix	p;

	if (mesh_prefix_pton(s, &p) == -1)
		memset(&p, 0, sizeof(p));
	return p;
}

static const char *
txt(const struct mesh_prefix *p)
{
	static char	buf[4][64];
	static int	i;

	i = (i + 1) % 4;
	return mesh_prefix_ntop(p, buf[i], sizeof(buf[i]));
}

static void
test_parse(void)
{
	struct mesh_prefix	 p;
	const char		*why;

	ok(conc_pool_parse("100.64.200.0/24", &p, &why) == 0 &&
	    p.af == 4 && p.plen == 24, "a /24 is a pool");
	ok(conc_pool_parse("fd00:6d65:7368:c8::/64", &p, &why) == 0 &&
	    p.af == 6 && p.plen == 64, "an IPv6 /64 is a pool");
	ok(conc_pool_parse("100.64.200.1/24", &p, &why) == -1 &&
	    strstr(why, "host bits") != NULL, "host bits are refused");
	ok(conc_pool_parse("fd00::1/64", &p, &why) == -1,
	    "IPv6 host bits are refused");
	ok(conc_pool_parse("100.64.200.0", &p, &why) == -1 &&
	    strstr(why, "length") != NULL, "a pool needs its length");
	ok(conc_pool_parse("10.0.0.0/31", &p, &why) == -1,
	    "a /31 has no room");
	ok(conc_pool_parse("10.0.0.0/30", &p, &why) == 0, "a /30 does");
	ok(conc_pool_parse("10.0.0.0/7", &p, &why) == -1, "a /7 is too big");
	ok(conc_pool_parse("fd00::/127", &p, &why) == -1,
	    "an IPv6 /127 has no room");
	ok(conc_pool_parse("10.0.0.0/x", &p, &why) == -1, "junk is refused");
}

static void
test_next(void)
{
	struct mesh_prefix	 pool[2], used[8], out[2];

	pool[0] = P("100.64.200.0/24");
	pool[1] = P("fd00:6d65:7368:c8::/64");
	ok(conc_pool_next(pool, 2, NULL, 0, out) == 0, "an empty pool");
	is_str(txt(&out[0]), "100.64.200.1/32", "the first IPv4 is .1");
	is_str(txt(&out[1]), "fd00:6d65:7368:c8::1/128",
	    "the first IPv6 is ::1");

	used[0] = P("100.64.200.1/32");
	used[1] = P("fd00:6d65:7368:c8::2/128");
	used[2] = P("100.64.0.1/32");	/* outside: no matter */
	ok(conc_pool_next(pool, 2, used, 3, out) == 0, "two taken");
	is_str(txt(&out[0]), "100.64.200.3/32",
	    "a number taken in either family is skipped in both");
	is_str(txt(&out[1]), "fd00:6d65:7368:c8::3/128", "the same number");

	used[0] = P("100.64.200.2/32");
	ok(conc_pool_next(pool, 1, used, 1, out) == 0 &&
	    strcmp(txt(&out[0]), "100.64.200.1/32") == 0,
	    "a gap is filled first");

	/* a /30: .1 and .2, .3 is the broadcast */
	pool[0] = P("10.9.0.0/30");
	used[0] = P("10.9.0.1/32");
	ok(conc_pool_next(pool, 1, used, 1, out) == 0 &&
	    strcmp(txt(&out[0]), "10.9.0.2/32") == 0, "a /30's second");
	used[1] = P("10.9.0.2/32");
	ok(conc_pool_next(pool, 1, used, 2, out) == -1,
	    "a /30 is full at two: not the broadcast");

	/* a /22 crosses bytes */
	pool[0] = P("10.8.4.0/22");
	used[0] = P("10.8.4.1/32");
	ok(conc_pool_next(pool, 1, used, 1, out) == 0 &&
	    strcmp(txt(&out[0]), "10.8.4.2/32") == 0, "a /22's second");

	/* IPv6 only, a /126: 1, 2, 3 */
	pool[0] = P("fd00::/126");
	used[0] = P("fd00::1/128");
	used[1] = P("fd00::2/128");
	ok(conc_pool_next(pool, 1, used, 2, out) == 0 &&
	    strcmp(txt(&out[0]), "fd00::3/128") == 0, "IPv6 has no broadcast");
	used[2] = P("fd00::3/128");
	ok(conc_pool_next(pool, 1, used, 3, out) == -1, "a /126 is full at 3");

	/* the smaller pool limits both */
	pool[0] = P("10.9.0.0/30");
	pool[1] = P("fd00::/64");
	used[0] = P("fd00::1/128");
	used[1] = P("fd00::2/128");
	ok(conc_pool_next(pool, 2, used, 2, out) == -1,
	    "the IPv4 /30 is full when its numbers are taken in IPv6");
	ok(conc_pool_next(pool, 0, NULL, 0, out) == -1, "no pool, no address");
}

static void
test_overlap(void)
{
	struct mesh_prefix	a = P("100.64.200.0/24"), b;

	b = P("100.64.200.9/32");
	ok(conc_prefix_overlap(&a, &b), "a host in the pool overlaps it");
	b = P("100.64.0.0/10");
	ok(conc_prefix_overlap(&a, &b), "a prefix holding the pool does");
	b = P("100.64.201.0/24");
	ok(!conc_prefix_overlap(&a, &b), "the next /24 does not");
	b = P("::/0");
	ok(!conc_prefix_overlap(&a, &b), "another family does not");
}

int
main(void)
{
	test_parse();
	test_next();
	test_overlap();
	return tap_done();
}
