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
 * The obfuscated wire format (meshd-net/obfs.c), as meshd-net meets it:
 * obfs_open() on a datagram from anyone, and a censor's tally of its
 * bytes (obfs_exempt()).
 *
 * Checked besides memory safety: what opens is a WireGuard message of
 * its type's length (any length from a keepalive's up for data), with
 * zero reserved bytes, within the room given; it seals and opens again
 * to the same bytes.  A message the input gives (mode bit 0) is sealed
 * first, then maybe one byte of the datagram changed (bit 1) or the
 * datagram cut (bit 2), and opened: unchanged, it must open to the
 * same message.
 *
 * Input: a mode byte, a padding length (2 bytes), the room for the
 * opened message (2 bytes), a position (2 bytes); the rest is the
 * datagram, or with bit 0 the message.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "obfs.h"
#include "wgproto.h"

static uint8_t	key[OBFS_KEY_LEN];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const uint8_t	ca[32] = { 0x5a, 0x01 };

	fuzz_log_quiet();
	obfs_key(key, "fuzz", ca);
	return 0;
}

static size_t
type_len(uint8_t type, size_t n)
{
	switch (type) {
	case WG_MSG_INITIATION:
		return WG_INIT_LEN;
	case WG_MSG_RESPONSE:
		return WG_RESP_LEN;
	case WG_MSG_COOKIE:
		return WG_COOKIE_MSG_LEN;
	case WG_MSG_DATA:
		return n >= WG_DATA_MIN_LEN ? n : 0;
	default:
		return 0;
	}
}

/* an opened message: well formed, and round trips */
static void
check_opened(const uint8_t *m, size_t n, size_t room, size_t pad)
{
	static uint8_t	d[4096], o[2048];
	size_t		dn;

	if (n > room || n == 0 || type_len(m[0], n) != n || m[1] != 0 ||
	    m[2] != 0 || m[3] != 0)
		abort();
	pad %= OBFS_PAD_MAX + 1;
	if ((dn = obfs_seal(key, m, n, pad, d, sizeof(d))) == 0)
		abort();
	if (obfs_open(key, d, dn, o, sizeof(o)) != n || memcmp(o, m, n) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t	 sealed[4096], out[4096];
	struct fz	 f;
	const uint8_t	*rest;
	uint8_t		*dg;
	size_t		 len, room, pad, pos, n, dn;
	uint8_t		 mode;

	fz_init(&f, data, size);
	mode = fz_u8(&f);
	pad = fz_u16(&f);
	room = fz_u16(&f) % (sizeof(out) + 1);
	pos = fz_u16(&f);
	len = fz_take(&f, fz_left(&f), &rest);
	if (len > 2048)
		return 0;
	if (mode & 1) {
		if ((dn = obfs_seal(key, rest, len, pad % (OBFS_PAD_MAX + 1),
		    sealed, sizeof(sealed))) == 0)
			return 0;
		if (mode & 2)
			sealed[pos % dn] ^= 1 + (mode >> 3);
		if (mode & 4)
			dn = pos % dn;
		n = obfs_open(key, sealed, dn, out, sizeof(out));
		if (!(mode & 6) && (n != len || memcmp(out, rest, len) != 0))
			abort();
		if (n != 0)
			check_opened(out, n, sizeof(out), pad);
		return 0;
	}
	/* an exact copy: a read past the datagram is caught */
	if ((dg = malloc(len ? len : 1)) == NULL)
		return 0;
	memcpy(dg, rest, len);
	(void)obfs_exempt(dg, len);
	n = obfs_open(key, dg, len, out, room);
	if (n != 0)
		check_opened(out, n, room, pad);
	free(dg);
	return 0;
}
