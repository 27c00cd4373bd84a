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

#include <stdint.h>
#include <string.h>

#include "replay.h"

void
replay_init(struct replay_window *r)
{
	memset(r, 0, sizeof(*r));
}

int
replay_check(struct replay_window *r, uint64_t counter, uint64_t limit)
{
	uint64_t	 block, top, n, i, bit, *word;

	if (counter >= limit)
		return -1;
	block = counter / REPLAY_WORD_BITS;
	if (counter > r->highest) {
		/*
		 * Ahead of everything seen: zero the blocks the window
		 * slides over (at most the whole ring).  The counter's own
		 * bit is then clear: its block is either new or the one
		 * holding the highest counter, whose later bits are unused.
		 */
		top = r->highest / REPLAY_WORD_BITS;
		n = block - top;
		if (n > REPLAY_BLOCKS)
			n = REPLAY_BLOCKS;
		for (i = 1; i <= n; i++)
			r->bits[(top + i) % REPLAY_BLOCKS] = 0;
		r->highest = counter;
	} else if (r->highest - counter > REPLAY_WINDOW)
		return -1;		/* too old to tell */
	word = &r->bits[block % REPLAY_BLOCKS];
	bit = 1ULL << (counter % REPLAY_WORD_BITS);
	if (*word & bit)
		return -1;		/* seen */
	*word |= bit;
	return 0;
}
