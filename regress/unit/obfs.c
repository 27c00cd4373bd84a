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
 * The obfuscated wire format (meshd-net/obfs.c): every message type
 * round trips with every padding; what a censor sees has no fixed byte
 * and no fixed length; cut, changed, random and plain datagrams and a
 * wrong key do not open; every prelude meets an exemption, each kind
 * turns up, and a censor's tally of them is right on known bytes.
 */

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "obfs.h"
#include "wgproto.h"

static uint8_t	key[OBFS_KEY_LEN];

/* a message of type t and len bytes, random but its header */
static void
msg_make(uint8_t *m, uint8_t t, size_t len)
{
	arc4random_buf(m, len);
	m[0] = t;
	m[1] = m[2] = m[3] = 0;
}

static void
round_trips(void)
{
	static const struct { uint8_t t; size_t len; } kinds[] = {
		{ WG_MSG_INITIATION, WG_INIT_LEN },
		{ WG_MSG_RESPONSE, WG_RESP_LEN },
		{ WG_MSG_COOKIE, WG_COOKIE_MSG_LEN },
		{ WG_MSG_DATA, WG_DATA_MIN_LEN },
		{ WG_MSG_DATA, 33 },
		{ WG_MSG_DATA, 1452 },
	};
	static const size_t pads[] = { 0, 1, 15, 16, 255, 256, OBFS_PAD_MAX };
	uint8_t	m[2048], d[4096], o[2048];
	size_t	i, j, n, bad = 0, hdr0 = 0;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		for (j = 0; j < sizeof(pads) / sizeof(pads[0]); j++) {
			msg_make(m, kinds[i].t, kinds[i].len);
			n = obfs_seal(key, m, kinds[i].len, pads[j], d,
			    sizeof(d));
			if (n != kinds[i].len + pads[j] +
			    (kinds[i].t == WG_MSG_DATA ? 0 : OBFS_NONCE_LEN))
				bad++;
			if (d[0] == kinds[i].t && d[3] == 0)
				hdr0++;
			if (obfs_open(key, d, n, o, sizeof(o)) !=
			    kinds[i].len || memcmp(o, m, kinds[i].len) != 0)
				bad++;
		}
	ok(bad == 0, "every type and padding round trips, at the length "
	    "the format says (%zu wrong)", bad);
	ok(hdr0 <= 1, "the type and the zero byte are not in the clear "
	    "(%zu of 42 datagrams show them)", hdr0);
	msg_make(m, WG_MSG_DATA, 64);
	ok(obfs_seal(key, m, 64, OBFS_PAD_MAX + 1, d, sizeof(d)) == 0,
	    "no more padding than OBFS_PAD_MAX");
	ok(obfs_seal(key, m, 64, 10, d, 73) == 0 &&
	    obfs_seal(key, m, 64, 10, d, 74) == 74,
	    "a datagram that does not fit is not made");
	m[2] = 1;
	ok(obfs_seal(key, m, 64, 0, d, sizeof(d)) == 0,
	    "a message with a reserved byte set is none to seal");
	msg_make(m, WG_MSG_INITIATION, WG_INIT_LEN);
	ok(obfs_seal(key, m, WG_INIT_LEN - 1, 0, d, sizeof(d)) == 0 &&
	    obfs_seal(key, m, 31, 0, d, sizeof(d)) == 0,
	    "a handshake message of a wrong length is none to seal");
	msg_make(m, 5, 64);
	ok(obfs_seal(key, m, 64, 0, d, sizeof(d)) == 0,
	    "type 5 is none to seal");
}

/* the censor's view of many keepalives and initiations: no fixed byte */
static void
no_fixed_bytes(void)
{
	static unsigned int	seen[32][256];
	uint8_t			m[WG_INIT_LEN], d[2048];
	size_t			i, off, n, worst = 256, lens[2048];
	size_t			common = 0;
	struct obfs_range	r = { 0, 64 };

	memset(lens, 0, sizeof(lens));
	for (i = 0; i < 20000; i++) {
		if (i % 2) {
			msg_make(m, WG_MSG_DATA, WG_DATA_MIN_LEN);
			n = obfs_seal(key, m, WG_DATA_MIN_LEN,
			    obfs_pad(&r, WG_DATA_MIN_LEN, OBFS_DGRAM_MAX), d,
			    sizeof(d));
		} else {
			msg_make(m, WG_MSG_INITIATION, WG_INIT_LEN);
			n = obfs_seal(key, m, WG_INIT_LEN,
			    obfs_pad(&r, WG_INIT_LEN + OBFS_NONCE_LEN,
			    OBFS_DGRAM_MAX), d, sizeof(d));
		}
		lens[n]++;
		for (off = 0; off < 32; off++)
			seen[off][d[off]]++;
	}
	for (off = 0; off < 32; off++) {
		for (n = 0, i = 0; i < 256; i++)
			n += seen[off][i] != 0;
		if (n < worst)
			worst = n;
	}
	ok(worst == 256, "each of the first 32 offsets takes all 256 values "
	    "(the fewest: %zu)", worst);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		if (lens[i] > common)
			common = lens[i];
	ok(common < 20000 / 40, "no length is more than 2.5%% of them "
	    "(the most common: %zu of 20000)", common);
}

static void
hostile(void)
{
	uint8_t		m[2048], d[2048], o[2048], k2[OBFS_KEY_LEN];
	size_t		n, len, i, opened = 0, flips = 0, cuts = 0;

	msg_make(m, WG_MSG_INITIATION, WG_INIT_LEN);
	n = obfs_seal(key, m, WG_INIT_LEN, 40, d, sizeof(d));
	memcpy(k2, key, sizeof(k2));
	k2[5] ^= 1;
	ok(obfs_open(k2, d, n, o, sizeof(o)) == 0,
	    "another mesh's key opens nothing");
	ok(obfs_open(key, d, n, o, WG_INIT_LEN - 1) == 0,
	    "no room for the message: none");
	for (len = 0; len < n; len++)
		cuts += obfs_open(key, d, len, o, sizeof(o)) != 0;
	ok(cuts == 0, "an initiation cut at every length opens at none "
	    "(%zu did)", cuts);
	for (i = 0; i < 16 * 8; i++) {
		d[i / 8] ^= 1 << (i % 8);
		n = obfs_open(key, d, WG_INIT_LEN + 40 + OBFS_NONCE_LEN, o,
		    sizeof(o));
		/* a flip past the header's fields changes bytes, no more */
		if (n != 0 && (n != WG_INIT_LEN || o[0] != WG_MSG_INITIATION))
			flips++;
		d[i / 8] ^= 1 << (i % 8);
	}
	ok(flips == 0, "a bit flipped in the header opens as nothing else "
	    "(%zu did)", flips);
	for (len = 1; len <= 1500; len++)
		for (i = 0; i < 20; i++) {
			arc4random_buf(d, len);
			opened += obfs_open(key, d, len, o, sizeof(o)) != 0;
		}
	ok(opened < 10, "random datagrams of every length 1..1500 (30000) "
	    "almost never open (%zu did; mac1 or the tag refuse those)",
	    opened);
	for (i = 0, opened = 0; i < 30000; i++) {
		msg_make(m, 1 + i % 4, i % 4 == 3 ? 32 + i % 1400 :
		    i % 4 == 0 ? WG_INIT_LEN : i % 4 == 1 ? WG_RESP_LEN :
		    WG_COOKIE_MSG_LEN);
		len = i % 4 == 3 ? 32 + i % 1400 : i % 4 == 0 ? WG_INIT_LEN :
		    i % 4 == 1 ? WG_RESP_LEN : WG_COOKIE_MSG_LEN;
		opened += obfs_open(key, m, len, o, sizeof(o)) != 0;
	}
	ok(opened < 10, "plain WireGuard messages almost never open (%zu of "
	    "30000)", opened);
}

static void
pads(void)
{
	struct obfs_range	r = { 10, 20 }, z = { 0, 0 }, big = { 0, 65535 };
	size_t			i, p, lo = 99, hi = 0;

	for (i = 0; i < 2000; i++) {
		p = obfs_pad(&r, 100, OBFS_DGRAM_MAX);
		lo = p < lo ? p : lo;
		hi = p > hi ? p : hi;
	}
	ok(lo == 10 && hi == 20, "padding is drawn from 10..20 (%zu..%zu)",
	    lo, hi);
	ok(obfs_pad(&r, 1440, 1452) <= 12 && obfs_pad(&r, 1452, 1452) == 0 &&
	    obfs_pad(&r, 1500, 1452) == 0, "padding stops at the maximum");
	ok(obfs_pad(&z, 100, 1452) == 0, "a 0..0 range pads nothing");
	r.min = 0;
	r.max = 200;
	for (i = 0, hi = 0; i < 20000; i++) {
		p = obfs_pad(&r, 32 + i % 130, OBFS_DGRAM_MAX);
		hi += 32 + i % 130 + p == 92 || 32 + i % 130 + p == 148;
	}
	ok(hi == 0, "no datagram is 92 or 148 bytes, a handshake's length "
	    "(%zu were)", hi);
	ok(obfs_pad(&z, 92, 1452) == 1 && obfs_pad(&z, 148, 148) == 0,
	    "one more byte than that, or one fewer where it does not fit");
	for (i = 0, hi = 0; i < 1000; i++) {
		p = obfs_pad(&big, 0, 65535);
		hi = p > hi ? p : hi;
	}
	ok(hi <= OBFS_PAD_MAX, "never more than OBFS_PAD_MAX (%zu)", hi);
}

static void
preludes(void)
{
	struct obfs_range	r = { 16, 300 };
	uint8_t			d[512];
	size_t			i, n, bad = 0, lo = 999, hi = 0;
	int			ex, kinds = 0;

	for (i = 0; i < 10000; i++) {
		n = obfs_prelude(d, sizeof(d), &r);
		if ((ex = obfs_exempt(d, n)) == 0)
			bad++;
		kinds |= ex;
		lo = n < lo ? n : lo;
		hi = n > hi ? n : hi;
	}
	ok(bad == 0, "10000 preludes each meet an exemption (%zu do not)",
	    bad);
	ok(kinds == (OBFS_EX_PRINT6 | OBFS_EX_HALF | OBFS_EX_RUN |
	    OBFS_EX_POPLOW | OBFS_EX_POPHIGH), "every kind turns up (%#x)",
	    kinds);
	ok(lo < 30 && hi > 280 && hi <= 300, "their lengths spread over "
	    "16..300 (%zu..%zu)", lo, hi);
	r.min = r.max = 2;
	ok(obfs_prelude(d, sizeof(d), &r) == 8 && obfs_exempt(d, 8),
	    "a prelude is at least 8 bytes");
}

static void
exemptions(void)
{
	uint8_t	b[64];

	memset(b, 0x0f, sizeof(b));	/* popcount 4, not printable */
	ok(obfs_exempt(b, sizeof(b)) == 0, "popcount 4 exactly: none");
	memcpy(b, "GET /x", 6);
	ok(obfs_exempt(b, sizeof(b)) == OBFS_EX_PRINT6,
	    "6 printable first: PRINT6 (%#x)", obfs_exempt(b, sizeof(b)));
	memset(b, 0x0f, sizeof(b));
	memset(b + 10, 'a', 21);
	ok(obfs_exempt(b, sizeof(b)) == OBFS_EX_RUN, "21 printable in a row: "
	    "RUN (%#x)", obfs_exempt(b, sizeof(b)));
	memset(b, 0x0f, sizeof(b));
	memset(b + 10, 'a', 20);
	ok(obfs_exempt(b, sizeof(b)) == 0, "20 in a row: none");
	memset(b, 0x03, sizeof(b));
	ok(obfs_exempt(b, sizeof(b)) == OBFS_EX_POPLOW, "popcount 2: POPLOW");
	memset(b, 0xfe, sizeof(b));
	ok(obfs_exempt(b, sizeof(b)) == OBFS_EX_POPHIGH,
	    "popcount 7: POPHIGH");
}

int
main(void)
{
	arc4random_buf(key, sizeof(key));
	round_trips();
	no_fixed_bytes();
	hostile();
	pads();
	preludes();
	exemptions();
	return tap_done();
}
