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
 * obfs-bench [-t seconds]: the cost of the obfuscated wire format
 * (meshd-net/obfs.c) a datagram: sealing and opening a full-sized data
 * message (1452 bytes), a small one (96) and an initiation, beside a
 * plain copy of the same bytes (what the format adds over a memcpy is
 * the keystream block and the padding).  ns per operation.
 */

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "obfs.h"
#include "wgproto.h"

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile size_t	sink;

/* ns per call of op(len) over secs seconds */
static double
measure(const char *what, size_t len, double secs,
    size_t (*op)(const uint8_t *, size_t, uint8_t *), const uint8_t *in)
{
	static uint8_t	out[4096];
	double		t0 = now_s(), t;
	size_t		n = 0, i;

	do {
		for (i = 0; i < 1000; i++)
			sink += op(in, len, out);
		n += 1000;
	} while ((t = now_s() - t0) < secs);
	printf("%-32s %5zu bytes %8.1f ns\n", what, len, t * 1e9 / n);
	return t * 1e9 / n;
}

static uint8_t	key[OBFS_KEY_LEN];

static size_t
op_copy(const uint8_t *in, size_t len, uint8_t *out)
{
	memcpy(out, in, len);
	return len;
}

static size_t
op_seal(const uint8_t *in, size_t len, uint8_t *out)
{
	return obfs_seal(key, in, len, 0, out, 4096);
}

static size_t
op_seal_pad(const uint8_t *in, size_t len, uint8_t *out)
{
	return obfs_seal(key, in, len, 16, out, 4096);
}

static size_t
op_open(const uint8_t *in, size_t len, uint8_t *out)
{
	return obfs_open(key, in, len, out, 4096);
}

int
main(int argc, char *argv[])
{
	static const size_t	lens[] = { 1452, 96 };
	uint8_t			msg[2048], sealed[4096];
	double			secs = 1;
	size_t			i, n;
	int			ch;

	while ((ch = getopt(argc, argv, "t:")) != -1)
		if (ch == 't')
			secs = atof(optarg);
		else
			errx(1, "usage: obfs-bench [-t seconds]");
	arc4random_buf(key, sizeof(key));
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		arc4random_buf(msg, lens[i]);
		msg[0] = WG_MSG_DATA;
		msg[1] = msg[2] = msg[3] = 0;
		measure("copy (the baseline)", lens[i], secs, op_copy, msg);
		measure("seal data, no padding", lens[i], secs, op_seal, msg);
		measure("seal data, 16 bytes padding", lens[i], secs,
		    op_seal_pad, msg);
		n = obfs_seal(key, msg, lens[i], 0, sealed, sizeof(sealed));
		measure("open data", n, secs, op_open, sealed);
	}
	arc4random_buf(msg, WG_INIT_LEN);
	msg[0] = WG_MSG_INITIATION;
	msg[1] = msg[2] = msg[3] = 0;
	measure("seal initiation, 16 padding", WG_INIT_LEN, secs, op_seal_pad,
	    msg);
	n = obfs_seal(key, msg, WG_INIT_LEN, 16, sealed, sizeof(sealed));
	measure("open initiation", n, secs, op_open, sealed);
	return 0;
}
