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
 * The replay window against a plain reference model: exhaustive short
 * sequences over the interesting counters (block and window edges), then
 * a long random walk.  The model: a counter is accepted iff it is below
 * the limit, not seen before, and either above the highest accepted or
 * at most REPLAY_WINDOW below it.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "replay.h"
#include "wgproto.h"

#define W	REPLAY_WINDOW

/* the reference: a seen-set over a bounded counter range */
struct model {
	uint8_t		*seen;
	size_t		 range;
	uint64_t	 highest;
};

static int
model_check(struct model *m, uint64_t c, uint64_t limit)
{
	if (c >= limit || c >= m->range || m->seen[c])
		return -1;
	if (c <= m->highest && m->highest - c > W)
		return -1;
	m->seen[c] = 1;
	if (c > m->highest)
		m->highest = c;
	return 0;
}

static void
model_reset(struct model *m)
{
	memset(m->seen, 0, m->range);
	m->highest = 0;
}

static uint64_t
rnd(uint64_t *s)
{
	uint64_t	z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int
main(void)
{
	static struct replay_window	r;
	struct model			m;
	static const uint64_t		edge[] = {
		0, 1, 62, 63, 64, 65, W - 1, W, W + 1, W + 63, W + 64,
		2 * W, 2 * W + 1, REPLAY_BLOCKS * 64, REPLAY_BLOCKS * 64 + 1,
	};
	size_t		 nedge = sizeof(edge) / sizeof(edge[0]);
	size_t		 a, b, c, d, i, bad;
	uint64_t	 seq[4], s = 42, x, lim;
	int		 got, want;

	m.range = 4 * REPLAY_BLOCKS * 64 + 1024 * 1024;
	if ((m.seen = calloc(1, m.range)) == NULL)
		return 1;

	/* small cases by hand */
	replay_init(&r);
	ok(replay_check(&r, 0, UINT64_MAX) == 0, "first counter 0 accepted");
	ok(replay_check(&r, 0, UINT64_MAX) == -1, "0 again rejected");
	ok(replay_check(&r, 2, UINT64_MAX) == 0, "2 accepted (gap)");
	ok(replay_check(&r, 1, UINT64_MAX) == 0, "1 accepted out of order");
	ok(replay_check(&r, 1, UINT64_MAX) == -1, "1 again rejected");
	ok(replay_check(&r, 2 + W, UINT64_MAX) == 0, "jump by the window");
	ok(replay_check(&r, 2, UINT64_MAX) == -1,
	    "seen counter at the window's edge rejected");
	ok(replay_check(&r, 3, UINT64_MAX) == 0,
	    "unseen counter at the edge accepted");
	ok(replay_check(&r, 1, UINT64_MAX) == -1, "behind the window rejected");
	ok(replay_check(&r, 1000000, UINT64_MAX) == 0, "far jump accepted");
	ok(replay_check(&r, 1000000 - W, UINT64_MAX) == 0,
	    "oldest in window after a far jump accepted");
	ok(replay_check(&r, 1000000 - W - 1, UINT64_MAX) == -1,
	    "one older rejected");
	ok(replay_check(&r, 999999, UINT64_MAX) == 0, "just behind accepted");

	replay_init(&r);
	lim = WG_REJECT_AFTER_MESSAGES;
	ok(replay_check(&r, lim - 1, lim) == 0, "REJECT_AFTER_MESSAGES - 1 ok");
	ok(replay_check(&r, lim, lim) == -1, "REJECT_AFTER_MESSAGES rejected");
	ok(replay_check(&r, UINT64_MAX, lim) == -1, "2^64 - 1 rejected");
	ok(replay_check(&r, lim - 2, lim) == 0, "just below still ok");
	ok(replay_check(&r, 0, lim) == -1, "0 far behind rejected");

	/* every sequence of four counters from the edge values */
	bad = 0;
	for (a = 0; a < nedge; a++)
	for (b = 0; b < nedge; b++)
	for (c = 0; c < nedge; c++)
	for (d = 0; d < nedge; d++) {
		seq[0] = edge[a];
		seq[1] = edge[b];
		seq[2] = edge[c];
		seq[3] = edge[d];
		replay_init(&r);
		model_reset(&m);
		for (i = 0; i < 4; i++) {
			got = replay_check(&r, seq[i], UINT64_MAX);
			want = model_check(&m, seq[i], UINT64_MAX);
			if (got != want && bad++ < 5)
				diag("seq %llu %llu %llu %llu: step %zu got %d "
				    "want %d", (unsigned long long)seq[0],
				    (unsigned long long)seq[1],
				    (unsigned long long)seq[2],
				    (unsigned long long)seq[3], i, got, want);
		}
	}
	ok(bad == 0, "%zu sequences of 4 edge counters match the model",
	    nedge * nedge * nedge * nedge);

	/*
	 * Random walk: mostly near the front (reordering), some old ones,
	 * some duplicates, some jumps, with a limit inside the range.
	 */
	replay_init(&r);
	model_reset(&m);
	lim = m.range - 5000;
	bad = 0;
	x = 0;
	for (i = 0; i < 2000000; i++) {
		uint64_t	v = rnd(&s), cnt;

		switch (v % 16) {
		case 0:		/* jump ahead */
			x += v >> 40 & 0x3fff;
			cnt = x;
			break;
		case 1:		/* far behind */
			cnt = x > (v >> 50) ? x - (v >> 50) : 0;
			break;
		case 2:		/* around the window's edge */
			cnt = x > W + 2 ? x - W - 2 + (v >> 60) : v >> 60;
			break;
		default:	/* reordering just behind or ahead */
			cnt = x + 16 > (v >> 32 & 0x1ff) ?
			    x + 16 - (v >> 32 & 0x1ff) : 0;
			if (cnt > x)
				x = cnt;
			break;
		}
		if (cnt >= m.range)
			cnt = m.range - 1;
		if (x >= m.range - 1) {
			/* start over */
			replay_init(&r);
			model_reset(&m);
			x = 0;
			continue;
		}
		got = replay_check(&r, cnt, lim);
		want = model_check(&m, cnt, lim);
		if (got != want && bad++ < 5)
			diag("step %zu counter %llu: got %d want %d", i,
			    (unsigned long long)cnt, got, want);
	}
	ok(bad == 0, "2000000 random steps match the model");

	free(m.seen);
	return tap_done();
}
