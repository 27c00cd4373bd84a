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
 * What the libFuzzer targets in fuzz/ share: the entry points, a reader
 * that takes fields from the front of the input (zeros once it runs
 * out, so every input means something), and quiet logging.
 */

#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fz {
	const uint8_t	*p;
	size_t		 n;
};

static inline void
fz_init(struct fz *f, const uint8_t *data, size_t len)
{
	f->p = data;
	f->n = len;
}

static inline size_t
fz_left(const struct fz *f)
{
	return f->n;
}

/* up to len bytes from the front: how many there were, at *out */
static inline size_t
fz_take(struct fz *f, size_t len, const uint8_t **out)
{
	if (len > f->n)
		len = f->n;
	*out = f->p;
	f->p += len;
	f->n -= len;
	return len;
}

/* exactly len bytes into buf, zeros where the input ran out */
static inline void
fz_bytes(struct fz *f, void *buf, size_t len)
{
	const uint8_t	*p;
	size_t		 got;

	got = fz_take(f, len, &p);
	memcpy(buf, p, got);
	memset((uint8_t *)buf + got, 0, len - got);
}

static inline uint16_t	fz_u16(struct fz *);

/*
 * A struct: a 2-byte count, then that many bytes (at most len) at the
 * start of buf, zeros after them.  Inputs so stay valid when the struct
 * grows.
 */
static inline void
fz_fill(struct fz *f, void *buf, size_t len)
{
	size_t	n = fz_u16(f);

	fz_bytes(f, buf, n < len ? n : len);
	memset((uint8_t *)buf + (n < len ? n : len), 0, len - (n < len ? n :
	    len));
}

static inline uint8_t
fz_u8(struct fz *f)
{
	uint8_t	v;

	fz_bytes(f, &v, sizeof(v));
	return v;
}

static inline uint16_t
fz_u16(struct fz *f)
{
	uint8_t	b[2];

	fz_bytes(f, b, sizeof(b));
	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t
fz_u32(struct fz *f)
{
	uint8_t	b[4];

	fz_bytes(f, b, sizeof(b));
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 24;
}

static inline uint64_t
fz_u64(struct fz *f)
{
	uint64_t	lo = fz_u32(f);

	return lo | (uint64_t)fz_u32(f) << 32;
}

/*
 * Log lines are formatted (so a bad format argument still shows) but
 * thrown away; only a fatal's last words reach stderr.
 */
static inline void
fuzz_log_sink(int pri, const char *line)
{
	if (pri <= LOG_CRIT)
		fprintf(stderr, "fuzz: %s\n", line);
}

static inline void
fuzz_log_quiet(void)
{
	log_init(0, 2, LOG_DAEMON);
	log_setsink(fuzz_log_sink);
}

#endif /* FUZZ_H */
