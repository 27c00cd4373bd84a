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
 * rtable-bench [-t seconds]: the cryptokey routing table of meshd-tun
 * (meshd-tun/rtable.c) at scale.  Load and rebuild time for 10,000 peers
 * with 10 prefixes each, removal of one peer, the table's bytes a prefix
 * and the process's RSS growth, then lookups a second for IPv4 and IPv6
 * at 1,000, 10,000 and 100,000 prefixes: a lookup walks at most one node
 * an address bit, so the rate should not fall with the table's size
 * beyond what a table outgrowing the CPU caches costs.
 *
 * Build by hand from the top of the tree:
 *   cc -std=gnu11 -O2 -D_GNU_SOURCE -Icommon -Imeshd-tun \
 *	$(pkg-config --cflags libbsd-overlay) -o rtable-bench \
 *	bench/rtable-bench.c meshd-tun/rtable.c \
 *	$(pkg-config --libs libbsd-overlay)
 */

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../meshd-tun/rtable.h"

static void	usage(void) __attribute__((__noreturn__));

#define NADDRS		(1 << 16)	/* lookup addresses, used in turn */

static uint64_t	rng_state = 0x7274626c;

static uint64_t
rng(void)
{
	uint64_t	z;

	z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
rnd_bytes(uint8_t *p, size_t n)
{
	while (n-- > 0)
		*p++ = rng();
}

static double
wall_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
cpu_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* resident set size in bytes, from /proc (0 where there is none) */
static size_t
rss(void)
{
	FILE		*fp;
	unsigned long	 size, res;

	if ((fp = fopen("/proc/self/statm", "r")) == NULL)
		return 0;
	if (fscanf(fp, "%lu %lu", &size, &res) != 2)
		res = 0;
	fclose(fp);
	return res * sysconf(_SC_PAGESIZE);
}

/*
 * Peer i's k-th prefix: a v4 /32 and a v6 /128 of its own, then four
 * random v4 prefixes (/24 to /32 in 10/8) and four random v6 ones (/48 to
 * /128 in fd01::/16), as a site with subnets behind some peers would have.
 */
static void
peer_prefix(struct mesh_prefix *p, uint32_t i, int k)
{
	memset(p, 0, sizeof(*p));
	if (k == 0) {
		p->af = 4;
		p->plen = 32;
		p->addr[0] = 100;
		p->addr[1] = 64 | ((i >> 16) & 63);
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
		p->plen = 24 + rng() % 9;
		p->addr[0] = 10;
		rnd_bytes(p->addr + 1, 3);
	} else {
		p->af = 6;
		p->plen = 48 + rng() % 81;
		p->addr[0] = 0xfd;
		p->addr[1] = 0x01;
		rnd_bytes(p->addr + 2, 14);
	}
}

static void
load(void)
{
	struct rtable		*rt;
	struct mesh_prefix	*list, p;
	const uint32_t		 npeers = 10000;
	const int		 per = 10;
	size_t			 rss0, rss1, n = 0, removed = 0;
	double			 t0, t1, t2;
	uint32_t		 i;
	int			 k;

	if ((list = calloc(npeers * per, sizeof(*list))) == NULL)
		err(1, NULL);
	for (i = 1; i <= npeers; i++)
		for (k = 0; k < per; k++)
			peer_prefix(&list[n++], i, k);

	rss0 = rss();
	if ((rt = rtable_new()) == NULL)
		err(1, NULL);
	t0 = wall_now();
	for (n = 0; n < npeers * per; n++)
		if (rtable_insert(rt, &list[n], 1 + n / per) == -1)
			err(1, "rtable_insert");
	t1 = wall_now();
	rss1 = rss();
	printf("load: %u peers x %d prefixes, %zu distinct, in %.1f ms "
	    "(%.0f ns a prefix)\n", npeers, per, rtable_count(rt),
	    (t1 - t0) * 1e3, (t1 - t0) * 1e9 / (npeers * per));
	printf("memory: table %zu bytes, %.1f bytes a prefix; "
	    "RSS grew %zu KiB\n", rtable_memsize(rt),
	    (double)rtable_memsize(rt) / rtable_count(rt),
	    (rss1 - rss0) / 1024);

	t0 = wall_now();
	for (i = 1; i <= 100; i++)
		removed += rtable_remove_peer(rt, i * (npeers / 100));
	t1 = wall_now();
	printf("remove_peer: %.2f ms a peer (%zu prefixes from 100 peers)\n",
	    (t1 - t0) * 10, removed);

	t0 = wall_now();
	rtable_free(rt);
	if ((rt = rtable_new()) == NULL)
		err(1, NULL);
	for (n = 0; n < npeers * per; n++) {
		p = list[n];
		if (rtable_insert(rt, &p, 1 + n / per) == -1)
			err(1, "rtable_insert");
	}
	t2 = wall_now();
	printf("rebuild: free and load again in %.1f ms\n", (t2 - t0) * 1e3);
	rtable_free(rt);
	free(list);
}

/* a table of n prefixes of one family, lookups inside them */
static void
lookups(int af, size_t n, double secs)
{
	struct rtable		*rt;
	struct mesh_prefix	 p;
	uint8_t			*addrs;
	size_t			 i, alen = af == 4 ? 4 : 16, count;
	uint64_t		 sum = 0;
	double			 t0, t1;
	unsigned int		 b;

	if ((rt = rtable_new()) == NULL ||
	    (addrs = calloc(NADDRS, alen)) == NULL)
		err(1, NULL);
	for (i = 0; i < n; i++) {
		memset(&p, 0, sizeof(p));
		p.af = af;
		if (af == 4) {
			p.plen = 24 + rng() % 9;
			p.addr[0] = 10;
			rnd_bytes(p.addr + 1, 3);
		} else {
			p.plen = 48 + rng() % 81;
			p.addr[0] = 0xfd;
			rnd_bytes(p.addr + 1, 15);
		}
		if (rtable_insert(rt, &p, 1 + i) == -1)
			err(1, "rtable_insert");
		/* every so often an address inside this prefix */
		if (i < NADDRS || rng() % (i / NADDRS + 1) == 0) {
			memcpy(addrs + (i % NADDRS) * alen, p.addr, alen);
			b = alen * 8 - 1 - rng() % (alen * 8 - p.plen + 1);
			if (b >= p.plen)
				addrs[(i % NADDRS) * alen + b / 8] ^=
				    0x80 >> (b % 8);
		}
	}
	/* fewer prefixes than addresses: the rest repeat the first ones */
	for (i = n; i < NADDRS; i++)
		memcpy(addrs + i * alen, addrs + (i % n) * alen, alen);

	count = 0;
	t0 = cpu_now();
	do {
		for (i = 0; i < NADDRS; i++)
			sum += rtable_lookup(rt, af, addrs + i * alen);
		count += NADDRS;
	} while ((t1 = cpu_now()) - t0 < secs);
	printf("IPv%d %7zu prefixes (%6.1f bytes a prefix): "
	    "%6.2f M lookups/s %6.1f ns/lookup%s\n", af, rtable_count(rt),
	    (double)rtable_memsize(rt) / rtable_count(rt),
	    count / (t1 - t0) / 1e6, (t1 - t0) * 1e9 / count,
	    sum == 0 ? " (no matches!)" : "");
	rtable_free(rt);
	free(addrs);
}

/* peer of the overlap table a lookup of addr should give */
#define OV_EXIT		1	/* 0.0.0.0/0 and ::/0 */
#define OV_SITE		2	/* 10.A.B.0/24 and fd00:A:B::/48, A < 255 */
#define OV_HOSTS	3	/* and up: a /32 and a /128 under those */
#define OV_NHOSTS	10000

static void
ov_prefix(struct mesh_prefix *p, int af, unsigned int plen, uint32_t x)
{
	memset(p, 0, sizeof(*p));
	p->af = af;
	p->plen = plen;
	if (af == 4) {
		p->addr[0] = 10;
		p->addr[1] = x >> 16;
		p->addr[2] = x >> 8;
		p->addr[3] = x;
	} else {
		p->addr[0] = 0xfd;
		p->addr[3] = x >> 16;
		p->addr[5] = x >> 8;
		p->addr[15] = x;
	}
}

/*
 * Overlapping peers as WireGuard allows them: an exit peer with /0, a site
 * with 130,560 prefixes (WireGuard's own test), 10,000 peers with a host
 * route inside the site's.  Lookups of addresses that end at each level,
 * as the outbound route and the inbound source check both make them.
 */
static void
overlaps(int af, double secs)
{
	static uint32_t		 hosts[OV_NHOSTS];
	struct rtable		*rt;
	struct mesh_prefix	 p;
	uint8_t			*addrs;
	size_t			 i, alen = af == 4 ? 4 : 16, count;
	uint64_t		 sum = 0;
	double			 t0, t1;
	uint32_t		 x;

	if ((rt = rtable_new()) == NULL ||
	    (addrs = calloc(NADDRS, alen)) == NULL)
		err(1, NULL);
	ov_prefix(&p, af, 0, 0);
	if (rtable_insert(rt, &p, OV_EXIT) == -1)
		err(1, "rtable_insert");
	for (x = 0; x < 255 * 256; x++) {
		ov_prefix(&p, af, af == 4 ? 24 : 48, x << 8);
		if (rtable_insert(rt, &p, OV_SITE) == -1)
			err(1, "rtable_insert");
	}
	for (i = 0; i < OV_NHOSTS; i++) {
		hosts[i] = rng() % (255 * 256 * 256);
		ov_prefix(&p, af, af == 4 ? 32 : 128, hosts[i]);
		if (rtable_insert(rt, &p, OV_HOSTS + i) == -1)
			err(1, "rtable_insert");
	}
	/* a third each: host routes, the site around them, the exit */
	for (i = 0; i < NADDRS; i++) {
		x = i % 3 == 0 ? hosts[rng() % OV_NHOSTS] :
		    rng() % (255 * 256 * 256);
		ov_prefix(&p, af, 0, x);
		if (i % 3 == 2)
			p.addr[0] = af == 4 ? 11 : 0xfe;
		memcpy(addrs + i * alen, p.addr, alen);
	}
	count = 0;
	t0 = cpu_now();
	do {
		for (i = 0; i < NADDRS; i++)
			sum += rtable_lookup(rt, af, addrs + i * alen);
		count += NADDRS;
	} while ((t1 = cpu_now()) - t0 < secs);
	printf("IPv%d %7zu overlapping (/0, 65,280 %s, 10,000 %s): "
	    "%6.2f M lookups/s %6.1f ns/lookup%s\n", af, rtable_count(rt),
	    af == 4 ? "/24" : "/48", af == 4 ? "/32" : "/128",
	    count / (t1 - t0) / 1e6, (t1 - t0) * 1e9 / count,
	    sum == 0 ? " (no matches!)" : "");
	rtable_free(rt);
	free(addrs);
}

static void
usage(void)
{
	fprintf(stderr, "usage: rtable-bench [-t seconds]\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	const size_t	 sizes[] = { 1000, 10000, 100000 };
	double		 secs = 1;
	size_t		 i;
	int		 ch;

	while ((ch = getopt(argc, argv, "t:")) != -1) {
		switch (ch) {
		case 't':
			if ((secs = strtod(optarg, NULL)) <= 0)
				usage();
			break;
		default:
			usage();
		}
	}
	if (argc != optind)
		usage();

	load();
	printf("lookups (addresses inside the table's prefixes, %.1f CPU s "
	    "a line):\n", secs);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		lookups(4, sizes[i], secs);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		lookups(6, sizes[i], secs);
	overlaps(4, secs);
	overlaps(6, secs);
	return 0;
}
