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
 * Sliding replay window for the transport-data counter (RFC 6479 style).
 *
 * A ring of REPLAY_BLOCKS 64-bit words holds one bit per counter.  Moving
 * the window forward only zeroes the words it passes over, so a jump
 * costs at most REPLAY_BLOCKS word writes and an in-order packet none.
 * The newest block is always partly ahead of the highest counter, so the
 * window proper is REPLAY_WINDOW = (REPLAY_BLOCKS - 1) * 64 counters
 * behind the highest one seen.
 *
 * Size: 8192 bits (1 KiB per keypair), the same as both reference
 * implementations (the 2^13 in REJECT_AFTER_MESSAGES comes from it), so a
 * meshd peer tolerates exactly as much reordering as a WireGuard one: on
 * a multi-queue link at 10 Gb/s a few thousand packets can arrive out of
 * order, which a 2048-counter window would drop.
 *
 * The window is updated only through replay_check(), and the caller must
 * call it only after the packet's AEAD tag verified: an unauthenticated
 * counter must never move the window.
 */

#ifndef REPLAY_H
#define REPLAY_H

#include <stdint.h>

#define REPLAY_WORD_BITS	64
#define REPLAY_BLOCKS		128	/* a power of two */
#define REPLAY_WINDOW		((REPLAY_BLOCKS - 1) * REPLAY_WORD_BITS)

struct replay_window {
	uint64_t	highest;	/* highest counter accepted */
	uint64_t	bits[REPLAY_BLOCKS];
};

void	replay_init(struct replay_window *);
/*
 * 0 and the counter marked seen if it is below limit, not older than
 * REPLAY_WINDOW behind the highest, and not seen before; else -1 and
 * nothing changes.  limit is WG_REJECT_AFTER_MESSAGES for WireGuard.
 */
int	replay_check(struct replay_window *, uint64_t, uint64_t);

#endif /* REPLAY_H */
