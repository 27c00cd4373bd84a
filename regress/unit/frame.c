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
 * Stream framing (meshd-net/frame.c): whole frames, frames cut at every
 * byte, two in one read, and lengths no peer sends.
 */

#include <string.h>

#include "tap.h"
#include "frame.h"

int
main(void)
{
	uint8_t	buf[2 * (FRAME_HDR + FRAME_MAX)], hdr[FRAME_HDR];
	size_t	dlen, i, cut;
	int	whole;

	tap_plan(16);

	ok(frame_header(hdr, 148) == 0 && hdr[0] == 0 && hdr[1] == 148,
	    "an initiation's header: 00 94");
	ok(frame_header(hdr, 0) == -1, "no empty frame is written");
	ok(frame_header(hdr, FRAME_MAX + 1) == -1,
	    "nor one over FRAME_MAX");
	ok(frame_header(hdr, FRAME_MAX) == 0 && hdr[0] == FRAME_MAX >> 8 &&
	    hdr[1] == (FRAME_MAX & 0xff), "FRAME_MAX itself is");

	memset(buf, 0xab, sizeof(buf));
	(void)frame_header(buf, 148);
	ok(frame_next(buf, 0, &dlen) == 0, "nothing read: wait");
	ok(frame_next(buf, 1, &dlen) == 0, "half a header: wait");
	whole = 1;
	for (cut = 2; cut < FRAME_HDR + 148; cut++)
		if (frame_next(buf, cut, &dlen) != 0)
			whole = 0;
	ok(whole, "cut anywhere inside its datagram: wait");
	dlen = 0;
	ok(frame_next(buf, FRAME_HDR + 148, &dlen) == 1 && dlen == 148,
	    "whole: 148 bytes");

	/* two frames in one read: the second follows the first */
	(void)frame_header(buf + FRAME_HDR + 148, 32);
	ok(frame_next(buf, FRAME_HDR + 148 + FRAME_HDR + 32, &dlen) == 1 &&
	    dlen == 148, "two in one read: the first");
	i = FRAME_HDR + 148;
	ok(frame_next(buf + i, FRAME_HDR + 32, &dlen) == 1 && dlen == 32,
	    "then the second");
	ok(frame_next(buf + i, FRAME_HDR + 31, &dlen) == 0,
	    "the second one byte short: wait");

	buf[0] = 0;
	buf[1] = 0;
	ok(frame_next(buf, 2, &dlen) == -1, "length 0: not ours");
	buf[0] = (FRAME_MAX + 1) >> 8;
	buf[1] = (FRAME_MAX + 1) & 0xff;
	ok(frame_next(buf, 2, &dlen) == -1, "FRAME_MAX + 1: not ours");
	buf[0] = 0xff;
	buf[1] = 0xff;
	ok(frame_next(buf, 2, &dlen) == -1,
	    "65535 (an HTTP or SSH banner's bytes look like this): not ours");
	/* "SSH-2.0-..." as a length: 0x5353, refused at once */
	memcpy(buf, "SS", 2);
	ok(frame_next(buf, 2, &dlen) == -1, "\"SS\" as a length: not ours");
	buf[0] = FRAME_MAX >> 8;
	buf[1] = FRAME_MAX & 0xff;
	ok(frame_next(buf, FRAME_HDR + FRAME_MAX, &dlen) == 1 &&
	    dlen == FRAME_MAX, "FRAME_MAX whole: taken");
	return tap_done();
}
