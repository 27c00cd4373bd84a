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
 * Stream framing (meshd-net/frame.c) on bytes as a stream connection
 * delivers them, cut into reads of the sizes the input's first bytes
 * choose.  Checked besides memory safety: every datagram taken is of a
 * length 1..FRAME_MAX and lies inside what was read; reading the same
 * bytes whole or in pieces gives the same datagrams; a refused length
 * is refused however the bytes come.
 */

#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_quiet();
	return 0;
}

/*
 * Feeds data to a reassembly buffer in reads of step bytes (0: all at
 * once), as stream.c does; returns the sum of datagram lengths taken,
 * and in *bad whether a length was refused.
 */
static size_t
feed(const uint8_t *data, size_t len, size_t step, int *bad)
{
	static uint8_t	buf[FRAME_HDR + FRAME_MAX];
	size_t		have = 0, off = 0, n, dlen, sum = 0;
	int		r;

	*bad = 0;
	while (off < len) {
		n = step == 0 ? len - off : step;
		if (n > len - off)
			n = len - off;
		if (n > sizeof(buf) - have)
			n = sizeof(buf) - have;
		memcpy(buf + have, data + off, n);
		have += n;
		off += n;
		while ((r = frame_next(buf, have, &dlen)) == 1) {
			if (dlen == 0 || dlen > FRAME_MAX ||
			    FRAME_HDR + dlen > have)
				abort();
			sum += dlen;
			memmove(buf, buf + FRAME_HDR + dlen,
			    have - FRAME_HDR - dlen);
			have -= FRAME_HDR + dlen;
		}
		if (r == -1) {
			*bad = 1;
			return sum;
		}
		if (have == sizeof(buf))
			abort();	/* a whole frame always fits */
	}
	return sum;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	size_t	step, a, b;
	int	bad_a, bad_b;

	if (len < 1)
		return 0;
	step = data[0] % 16 + 1;
	a = feed(data + 1, len - 1, 0, &bad_a);
	b = feed(data + 1, len - 1, step, &bad_b);
	if (a != b || bad_a != bad_b)
		abort();
	return 0;
}
