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
 * Stream framing (serve stream, the SSH transport): each WireGuard
 * datagram travels as a 2-byte big-endian length and that many bytes.
 * A length of 0 or over FRAME_MAX is not a datagram of ours: the
 * connection is broken (or not ours) and is closed.
 */

#ifndef FRAME_H
#define FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HDR	2
#define FRAME_MAX	2048	/* net's largest datagram (NET_RXBUF) */

/*
 * The frame at the front of buf (len bytes read so far): 1 and *dlen
 * its datagram's length, the datagram at buf + FRAME_HDR; 0 if more
 * bytes are needed; -1 if the length is not one a peer sends.
 */
int	frame_next(const uint8_t *, size_t, size_t *);
/* writes the header for a datagram of dlen bytes: -1 if too long */
int	frame_header(uint8_t [FRAME_HDR], size_t);

#endif /* FRAME_H */
