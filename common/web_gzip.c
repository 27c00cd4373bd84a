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
 * The bytes nginx's gzip filter sends for a body, with its defaults as
 * Debian's nginx.conf leaves them (gzip on; gzip_comp_level 1,
 * gzip_buffers 32 4k, output_buffers 2 32k): zlib at level 1 with a
 * window and memory level shrunk to the body's length, fed 32 KiB at a
 * time (what nginx reads of a file at once), its output sent in 4 KiB
 * buffers, the full ones at the end of each 32 KiB as one chunk of the
 * chunked transfer coding, the rest with the end of the stream.  The
 * same zlib then gives the same bytes.
 */

#include <sys/types.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define ZLIB_CONST
#include <zlib.h>

#include "web.h"
#include "web_local.h"

#define GZ_IN		32768	/* output_buffers 2 32k */
#define GZ_OUT		4096	/* gzip_buffers 32 4k */
#define GZ_LINE		20	/* a chunk's size line and CRLF, at most */
#define GZ_MIN		20	/* gzip_min_length */

/* room before the compressed stream for the chunk framing */
static size_t
gz_stage(size_t len)
{
	return (len / GZ_IN + 2) * GZ_LINE + 5;
}

size_t
web_gzip_bound(size_t len)
{
	return gz_stage(len) + compressBound((uLong)len) + 18;
}

int
web_gzip_wanted(const char *path, size_t len)
{
	return len >= GZ_MIN && strcmp(web_mime_type(path), "text/html") == 0;
}

/* one chunk: its size line, the data moved down to it, CRLF */
static void
gz_chunk(uint8_t *out, size_t *w, const uint8_t *data, size_t n)
{
	char	line[GZ_LINE];
	int	k;

	k = snprintf(line, sizeof(line), "%zx\r\n", n);
	memcpy(out + *w, line, (size_t)k);
	memmove(out + *w + k, data, n);
	memcpy(out + *w + k + n, "\r\n", 2);
	*w += (size_t)k + n + 2;
}

static int
gz_init(z_stream *z, size_t len)
{
	int	wbits = 15, memlevel = 8;

	/* nginx: "the actual zlib window size is smaller by 262 bytes" */
	while ((long long)len < (1LL << (wbits - 1)) - 262) {
		wbits--;
		memlevel--;
	}
	memset(z, 0, sizeof(*z));
	return deflateInit2(z, 1, Z_DEFLATED, wbits + 16, memlevel,
	    Z_DEFAULT_STRATEGY) == Z_OK ? 0 : -1;
}

ssize_t
web_gzip(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	z_stream	z;
	size_t		stage = gz_stage(len), done = 0, framed = 0, w = 0;
	size_t		piece, edge;
	int		flush, rc;

	if (len == 0 || cap < web_gzip_bound(len) || gz_init(&z, len) == -1)
		return -1;
	z.next_out = out + stage;
	z.avail_out = (uInt)(cap - stage);
	do {
		piece = len - done < GZ_IN ? len - done : GZ_IN;
		z.next_in = in + done;
		z.avail_in = (uInt)piece;
		done += piece;
		flush = done == len ? Z_FINISH : Z_NO_FLUSH;
		rc = deflate(&z, flush);
		if (rc != (flush == Z_FINISH ? Z_STREAM_END : Z_OK) ||
		    z.avail_in != 0) {
			deflateEnd(&z);
			return -1;
		}
		edge = flush == Z_FINISH ? z.total_out :
		    z.total_out / GZ_OUT * GZ_OUT;
		if (edge > framed) {
			gz_chunk(out, &w, out + stage + framed, edge - framed);
			framed = edge;
		}
	} while (done < len);
	deflateEnd(&z);
	memcpy(out + w, "0\r\n\r\n", 5);
	return (ssize_t)(w + 5);
}
