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
 * memscan: looks for keys in another process's memory, for
 * regress/netns/keyscan.t (run as root).
 *
 *   memscan [-aw] [-m max-hits] pid keyfile ...
 *
 * Each keyfile holds a key as wg(8) writes it (44 characters of base64
 * and a newline).  memscan reads every readable mapping in
 * /proc/pid/maps through /proc/pid/mem and counts where the key's 32 raw
 * bytes, its 44 characters of base64 and its 64 lower-case hex digits (the
 * form wg(8)'s UAPI text carries) occur.
 *
 * What is read: the pages of each readable mapping that are resident or
 * swapped out, as the PAGEMAP_SCAN ioctl of /proc/pid/pagemap (Linux 6.7)
 * lists them; pages a process never touched hold nothing it wrote, and
 * reading them would fault them in (an ASan build maps 14 TiB of shadow
 * that way).  Without PAGEMAP_SCAN (or with -w) every readable mapping of
 * up to 1 GiB is read whole, and larger ones are skipped and counted as
 * skipped.  Mappings without read permission are skipped, and so is the
 * kernel's [vvar] data (reading it fails with EIO) unless -a is given.
 * A read that fails does not end the scan: the page is counted as an
 * error and the scan goes on with the next page.
 *
 * Output, as key=value lines on stdout: one "hit" line per match (at most
 * max-hits per key and form, default 16), one "key" line per keyfile with
 * its counts, and a last "scan" line:
 *   hit key=N form=raw|b64|hex addr=0x... perms=rw-p path=[heap]
 *   key=N file=PATH raw=COUNT hex=COUNT b64=COUNT
 *   scan pid=N method=pagemap_scan|whole regions=N mapped=BYTES
 *	scanned=BYTES skipped_regions=N skipped_bytes=BYTES
 *	error_regions=N error_bytes=BYTES
 * Exit status 0 when the scan ran (read errors included), 1 if it could
 * not start (no such process, a bad keyfile).
 */

#include <sys/types.h>
#include <sys/ioctl.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/fs.h>

#include "wgkey.h"

/* the PAGEMAP_SCAN interface, for headers older than Linux 6.7 */
#ifndef PAGEMAP_SCAN
#define PAGE_IS_PRESENT		(1 << 3)
#define PAGE_IS_SWAPPED		(1 << 4)
struct page_region {
	uint64_t	start;
	uint64_t	end;
	uint64_t	categories;
};
struct pm_scan_arg {
	uint64_t	size;
	uint64_t	flags;
	uint64_t	start;
	uint64_t	end;
	uint64_t	walk_end;
	uint64_t	vec;
	uint64_t	vec_len;
	uint64_t	max_pages;
	uint64_t	category_inverted;
	uint64_t	category_mask;
	uint64_t	category_anyof_mask;
	uint64_t	return_mask;
};
#define PAGEMAP_SCAN		_IOWR('f', 16, struct pm_scan_arg)
#endif

#define CHUNK		(1024 * 1024)		/* bytes per read */
#define PAGE		4096UL
#define OVERLAP		(2 * WG_KEY_LEN - 1)	/* longest needle - 1 */
#define WHOLE_MAX	(1UL << 30)		/* without PAGEMAP_SCAN */
#define NVEC		256

enum form {
	F_RAW,
	F_B64,
	F_HEX,		/* wg(8)'s UAPI text: 64 lower-case hex digits */
	F_MAX
};
static const char *const form_names[F_MAX] = { "raw", "b64", "hex" };

struct needle {
	const char	*file;
	uint8_t		 raw[WG_KEY_LEN];
	char		 b64[WG_KEY_B64_LEN + 1];
	char		 hex[2 * WG_KEY_LEN + 1];
	uint64_t	 count[F_MAX];
};

struct region {
	uint64_t	 start;
	uint64_t	 end;
	char		 perms[5];
	char		*path;
};

static struct needle	*needles;
static size_t		 nneedles;
static size_t		 maxhits = 16;
static int		 memfd, pmfd = -1, have_pmscan = 1;
static uint8_t		*buf;
static size_t		 carry;		/* bytes kept from the last read */
static uint64_t		 next_addr;	/* where they end */
static uint64_t		 scanned, skipped, skipped_regions, error_bytes;
static uint64_t		 error_regions, mapped;

static __attribute__((__noreturn__)) void
usage(void)
{
	fprintf(stderr, "usage: memscan [-aw] [-m max-hits] pid keyfile ...\n");
	exit(1);
}

static void
needle_load(struct needle *n, const char *file)
{
	const char	*errstr;
	int		 fd;

	n->file = file;
	if ((fd = open(file, O_RDONLY)) == -1)
		err(1, "%s", file);
	if (wg_key_read_fd(fd, n->raw, &errstr) == -1)
		errx(1, "%s: %s", file, errstr);
	close(fd);
	wg_key_to_base64(n->b64, n->raw);
	for (fd = 0; fd < WG_KEY_LEN; fd++)
		snprintf(n->hex + 2 * fd, 3, "%02x", n->raw[fd]);
}

static int
regions_load(pid_t pid, struct region **rp, size_t *np)
{
	struct region	*r = NULL, *t;
	FILE		*f;
	char		 path[64], *line = NULL, *p;
	size_t		 n = 0, cap = 0, linecap = 0;
	unsigned long	 start, end;
	int		 off;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (getline(&line, &linecap, f) != -1) {
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			if ((t = reallocarray(r, cap, sizeof(*r))) == NULL)
				err(1, NULL);
			r = t;
		}
		off = 0;
		if (sscanf(line, "%lx-%lx %4s %*s %*s %*s%n", &start, &end,
		    r[n].perms, &off) != 3 || off == 0)
			errx(1, "%s: cannot parse: %s", path, line);
		p = line + off;
		p += strspn(p, " \t");
		p[strcspn(p, "\n")] = '\0';
		r[n].start = start;
		r[n].end = end;
		if ((r[n].path = strdup(*p != '\0' ? p : "[anon]")) == NULL)
			err(1, NULL);
		n++;
	}
	free(line);
	fclose(f);
	*rp = r;
	*np = n;
	return 0;
}

static void
report_hit(size_t k, enum form fm, uint64_t addr, const struct region *r)
{
	needles[k].count[fm]++;
	if (needles[k].count[fm] <= maxhits)
		printf("hit key=%zu form=%s addr=0x%" PRIx64 " perms=%s "
		    "path=%s\n", k, form_names[fm], addr, r->perms, r->path);
}

/* buf holds carry old bytes, then len new ones read at addr */
static void
search(size_t len, uint64_t addr, const struct region *r)
{
	const uint8_t	*p, *end, *nd;
	size_t		 total = carry + len, k, nlen;
	enum form	 fm;
	uint64_t	 base = addr - carry;	/* address of buf[0] */

	for (k = 0; k < nneedles; k++) {
		for (fm = 0; fm < F_MAX; fm++) {
			nd = fm == F_RAW ? needles[k].raw : fm == F_B64 ?
			    (const uint8_t *)needles[k].b64 :
			    (const uint8_t *)needles[k].hex;
			nlen = fm == F_RAW ? WG_KEY_LEN : fm == F_B64 ?
			    WG_KEY_B64_LEN : 2 * WG_KEY_LEN;
			p = buf;
			end = buf + total;
			while (p + nlen <= end &&
			    (p = memmem(p, end - p, nd, nlen)) != NULL) {
				/* one that lies in the carry was counted */
				if ((size_t)(p - buf) + nlen > carry)
					report_hit(k, fm, base + (p - buf), r);
				p++;
			}
		}
	}
	/* keep the tail: a key may straddle two reads */
	if (total > OVERLAP) {
		memmove(buf, buf + total - OVERLAP, OVERLAP);
		carry = OVERLAP;
	} else
		carry = total;
	next_addr = addr + len;
}

/* reads [start, end) of the other process; failed pages are counted */
static void
read_range(uint64_t start, uint64_t end, const struct region *r, int *failed)
{
	uint64_t	addr = start, next;
	size_t		want;
	ssize_t		n;

	if (start != next_addr)
		carry = 0;
	while (addr < end) {
		want = end - addr < CHUNK ? end - addr : CHUNK;
		n = pread(memfd, buf + carry, want, (off_t)addr);
		if (n <= 0) {
			/* skip the page that failed, go on after it */
			next = (addr & ~(PAGE - 1)) + PAGE;
			if (next > end)
				next = end;
			error_bytes += next - addr;
			*failed = 1;
			carry = 0;
			addr = next;
			continue;
		}
		scanned += n;
		search(n, addr, r);
		addr += n;
	}
}

/* the resident and swapped pages of r, by PAGEMAP_SCAN; -1 if unsupported */
static int
scan_present(const struct region *r, int *failed)
{
	struct page_region	vec[NVEC];
	struct pm_scan_arg	arg;
	uint64_t		at = r->start;
	int			n, i;

	while (at < r->end) {
		memset(&arg, 0, sizeof(arg));
		arg.size = sizeof(arg);
		arg.start = at;
		arg.end = r->end;
		arg.vec = (uint64_t)(uintptr_t)vec;
		arg.vec_len = NVEC;
		arg.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED;
		arg.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED;
		if ((n = ioctl(pmfd, PAGEMAP_SCAN, &arg)) == -1 &&
		    at == r->start && (errno == ENOTTY || errno == EINVAL ||
		    errno == EOPNOTSUPP))
			return -1;
		if (n == -1 || arg.walk_end <= at) {
			/* the rest of the mapping counts as not read */
			warnx("PAGEMAP_SCAN %s at 0x%" PRIx64 ": %s", r->path,
			    at, n == -1 ? strerror(errno) : "no progress");
			error_bytes += r->end - at;
			*failed = 1;
			return 0;
		}
		for (i = 0; i < n; i++)
			read_range(vec[i].start, vec[i].end, r, failed);
		at = arg.walk_end;
	}
	return 0;
}

static int
special(const struct region *r)
{
	return strncmp(r->path, "[vvar", 5) == 0;
}

int
main(int argc, char *argv[])
{
	struct region	*regs;
	size_t		 nregs, i, k;
	char		 path[64];
	const char	*errstr;
	pid_t		 pid;
	int		 ch, all = 0, failed;

	while ((ch = getopt(argc, argv, "am:w")) != -1) {
		switch (ch) {
		case 'a':
			all = 1;
			break;
		case 'w':
			have_pmscan = 0;
			break;
		case 'm':
			maxhits = strtonum(optarg, 0, INT_MAX, &errstr);
			if (errstr != NULL)
				errx(1, "max-hits %s: %s", optarg, errstr);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		usage();
	pid = strtonum(argv[0], 1, INT_MAX, &errstr);
	if (errstr != NULL)
		errx(1, "pid %s: %s", argv[0], errstr);
	nneedles = argc - 1;
	if ((needles = calloc(nneedles, sizeof(*needles))) == NULL)
		err(1, NULL);
	for (k = 0; k < nneedles; k++)
		needle_load(&needles[k], argv[k + 1]);
	if ((buf = malloc(OVERLAP + CHUNK)) == NULL)
		err(1, NULL);

	if (regions_load(pid, &regs, &nregs) == -1)
		err(1, "/proc/%d/maps", (int)pid);
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	if ((memfd = open(path, O_RDONLY)) == -1)
		err(1, "%s", path);
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	if (have_pmscan && (pmfd = open(path, O_RDONLY)) == -1)
		have_pmscan = 0;

	for (i = 0; i < nregs; i++) {
		struct region *r = &regs[i];

		mapped += r->end - r->start;
		failed = 0;
		if (r->perms[0] != 'r' || (special(r) && !all)) {
			skipped += r->end - r->start;
			skipped_regions++;
			continue;
		}
		if (special(r))		/* -a: read it whole, to see it fail */
			read_range(r->start, r->end, r, &failed);
		else if (!have_pmscan || scan_present(r, &failed) == -1) {
			have_pmscan = 0;
			if (r->end - r->start <= WHOLE_MAX)
				read_range(r->start, r->end, r, &failed);
			else {
				skipped += r->end - r->start;
				skipped_regions++;
			}
		}
		error_regions += failed;
	}

	for (k = 0; k < nneedles; k++)
		printf("key=%zu file=%s raw=%" PRIu64 " hex=%" PRIu64
		    " b64=%" PRIu64 "\n", k, needles[k].file,
		    needles[k].count[F_RAW], needles[k].count[F_HEX],
		    needles[k].count[F_B64]);
	printf("scan pid=%d method=%s regions=%zu mapped=%" PRIu64
	    " scanned=%" PRIu64 " skipped_regions=%" PRIu64
	    " skipped_bytes=%" PRIu64 " error_regions=%" PRIu64
	    " error_bytes=%" PRIu64 "\n", (int)pid,
	    have_pmscan ? "pagemap_scan" : "whole", nregs, mapped, scanned,
	    skipped_regions, skipped, error_regions, error_bytes);

	for (i = 0; i < nregs; i++)
		free(regs[i].path);
	free(regs);
	freezero(needles, nneedles * sizeof(*needles));
	freezero(buf, OVERLAP + CHUNK);
	return 0;
}
