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

/* stream framing: frame.h */

#include "frame.h"

int
frame_next(const uint8_t *buf, size_t len, size_t *dlen)
{
	size_t	n;

	if (len < FRAME_HDR)
		return 0;
	n = (size_t)buf[0] << 8 | buf[1];
	if (n == 0 || n > FRAME_MAX)
		return -1;
	if (len - FRAME_HDR < n)
		return 0;
	*dlen = n;
	return 1;
}

int
frame_header(uint8_t hdr[FRAME_HDR], size_t dlen)
{
	if (dlen == 0 || dlen > FRAME_MAX)
		return -1;
	hdr[0] = dlen >> 8;
	hdr[1] = dlen & 0xff;
	return 0;
}
