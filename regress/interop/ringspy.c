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
 * ringspy: watches the packet channels of a running meshd child for a
 * marker, with the access that child has, for regress/netns/ringspy.t
 * (run as root).
 *
 *   ringspy [-t seconds] pid hex-marker
 *
 * It finds the packet channel memfds the process maps (/memfd:meshd-
 * pktchan in /proc/pid/maps), opens each once through
 * /proc/pid/map_files/, maps it read-only and shared, and for the given
 * time polls every ring as fast as it can: the slots just behind and
 * ahead of the producer's published head (where a producer is writing
 * right now), and every 64th poll the whole ring.  A slot whose packet
 * bytes hold the marker when a poll looks at it is a hit.  It also
 * counts how far each ring's head moved (packets published while it
 * watched), so a run that saw no traffic shows as such.
 *
 * Output, as key=value lines on stdout: one line per ring and a last
 * one for the run:
 *   ring ino=N nslots=N maxpkt=N writable=0|1 packets=N hits=N
 *   spy pid=N rings=N polls=N packets=N hits=N
 * (writable: the process maps the ring's slots writable, i.e. it is the
 * producer).  Exit status 0 when the watch ran, 1 if it could not start
 * (no such process, no packet channel, a bad marker).
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <err.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pktchan.h"

#define MAXRINGS	16
#define MARKER_MAX	64
#define AHEAD		80	/* slots past the head: a producer's batch */
#define BEHIND		2
#define FULL_EVERY	64	/* polls between whole-ring scans */

struct ring {
	const uint8_t	*base;
	size_t		 size;
	ino_t		 ino;
	uint32_t	 nslots, maxpkt, stride;
	int		 writable;
	uint32_t	 first, last;	/* heads seen */
	uint64_t	 hits;
};

static struct ring	rings[MAXRINGS];
static size_t		nrings;
static uint8_t		marker[MARKER_MAX];
static size_t		markerlen;

static __attribute__((__noreturn__)) void
usage(void)
{
	fprintf(stderr, "usage: ringspy [-t seconds] pid hex-marker\n");
	exit(1);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
marker_parse(const char *s)
{
	size_t	n = strlen(s), i;
	int	hi, lo;

	if (n == 0 || n % 2 != 0 || n / 2 > MARKER_MAX || n / 2 < 8)
		errx(1, "marker: 8 to %d bytes in hex", MARKER_MAX);
	for (i = 0; i < n / 2; i++) {
		if ((hi = hexval(s[2 * i])) == -1 ||
		    (lo = hexval(s[2 * i + 1])) == -1)
			errx(1, "marker: not hex: %s", s);
		marker[i] = hi << 4 | lo;
	}
	markerlen = n / 2;
}

static uint32_t
ld32(const uint8_t *p)
{
	return *(const volatile uint32_t *)(const volatile void *)p;
}

/* maps the memfd behind one line of /proc/pid/maps, once per inode */
static void
ring_add(pid_t pid, const char *range, int writable)
{
	struct ring	*r;
	struct stat	 sb;
	char		 path[128];
	size_t		 i;
	void		*p;
	int		 fd;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%s", (int)pid,
	    range);
	if ((fd = open(path, O_RDONLY)) == -1)
		err(1, "%s", path);
	if (fstat(fd, &sb) == -1)
		err(1, "fstat %s", path);
	for (i = 0; i < nrings; i++) {
		if (rings[i].ino == sb.st_ino) {
			/* the consumer maps the header apart, writable */
			rings[i].writable |= writable;
			close(fd);
			return;
		}
	}
	if (nrings == MAXRINGS)
		errx(1, "more than %d packet channels", MAXRINGS);
	if (sb.st_size < PKTCHAN_HDRSIZE || sb.st_size > PKTCHAN_MAXSIZE)
		errx(1, "%s: %lld bytes", path, (long long)sb.st_size);
	p = mmap(NULL, sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		err(1, "mmap %s", path);
	close(fd);
	r = &rings[nrings++];
	r->base = p;
	r->size = sb.st_size;
	r->ino = sb.st_ino;
	r->writable = writable;
	r->nslots = ld32(r->base + PKTCHAN_OFF_NSLOTS);
	r->maxpkt = ld32(r->base + PKTCHAN_OFF_MAXPKT);
	r->stride = ld32(r->base + PKTCHAN_OFF_STRIDE);
	if (ld32(r->base + PKTCHAN_OFF_MAGIC) != PKTCHAN_MAGIC ||
	    r->nslots == 0 || (r->nslots & (r->nslots - 1)) != 0 ||
	    r->stride < PKTCHAN_SLOT_DATA + r->maxpkt ||
	    PKTCHAN_HDRSIZE + (uint64_t)r->nslots * r->stride > r->size)
		errx(1, "%s: not a packet channel", path);
	r->first = r->last = ld32(r->base + PKTCHAN_OFF_HEAD);
}

static void
rings_load(pid_t pid)
{
	FILE	*f;
	char		 path[64], *line = NULL, range[64], perms[8];
	size_t		 linecap = 0;
	unsigned long	 start, end, off;
	int		 slots;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		err(1, "%s", path);
	while (getline(&line, &linecap, f) != -1) {
		if (strstr(line, "/memfd:meshd-pktchan") == NULL)
			continue;
		if (sscanf(line, "%63s %7s %lx", range, perms, &off) != 3 ||
		    sscanf(range, "%lx-%lx", &start, &end) != 2)
			errx(1, "%s: cannot parse: %s", path, line);
		/* whether the slots are writable; not the header */
		slots = off + (end - start) > PKTCHAN_HDRSIZE;
		ring_add(pid, range, slots && perms[1] == 'w');
	}
	free(line);
	fclose(f);
	if (nrings == 0)
		errx(1, "pid %d maps no packet channel", (int)pid);
}

static void
scan_slot(struct ring *r, uint32_t idx)
{
	const uint8_t	*s;

	s = r->base + PKTCHAN_HDRSIZE +
	    (size_t)(idx & (r->nslots - 1)) * r->stride + PKTCHAN_SLOT_DATA;
	if (memmem(s, r->maxpkt, marker, markerlen) != NULL)
		r->hits++;
}

static void
poll_ring(struct ring *r, int full)
{
	uint32_t	head, i;

	head = ld32(r->base + PKTCHAN_OFF_HEAD);
	/* only forward moves count */
	if ((uint32_t)(head - r->last) < 0x80000000U)
		r->last = head;
	if (full) {
		for (i = 0; i < r->nslots; i++)
			scan_slot(r, i);
		return;
	}
	for (i = 0; i < BEHIND + AHEAD && i < r->nslots; i++)
		scan_slot(r, head - BEHIND + i);
}

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	const char	*errstr;
	double		 secs = 5, t0;
	uint64_t	 polls = 0, hits = 0, packets = 0, moved;
	size_t		 i;
	pid_t		 pid;
	int		 ch;

	while ((ch = getopt(argc, argv, "t:")) != -1) {
		switch (ch) {
		case 't':
			secs = strtonum(optarg, 1, 3600, &errstr);
			if (errstr != NULL)
				errx(1, "seconds %s: %s", optarg, errstr);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		usage();
	pid = strtonum(argv[0], 1, INT_MAX, &errstr);
	if (errstr != NULL)
		errx(1, "pid %s: %s", argv[0], errstr);
	marker_parse(argv[1]);
	rings_load(pid);

	t0 = now();
	do {
		for (i = 0; i < nrings; i++)
			poll_ring(&rings[i], polls % FULL_EVERY == 0);
		polls++;
	} while ((polls % 256 != 0) || now() - t0 < secs);

	for (i = 0; i < nrings; i++) {
		moved = (uint32_t)(rings[i].last - rings[i].first);
		printf("ring ino=%llu nslots=%u maxpkt=%u writable=%d "
		    "packets=%" PRIu64 " hits=%" PRIu64 "\n",
		    (unsigned long long)rings[i].ino, rings[i].nslots,
		    rings[i].maxpkt, rings[i].writable, moved, rings[i].hits);
		packets += moved;
		hits += rings[i].hits;
	}
	printf("spy pid=%d rings=%zu polls=%" PRIu64 " packets=%" PRIu64
	    " hits=%" PRIu64 "\n", (int)pid, nrings, polls, packets, hits);
	return 0;
}
