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


/* The obfuscated wire format: obfs.h says what and why. */

#include <stdlib.h>
#include <string.h>

#include "obfs.h"
#include "wgcrypto.h"
#include "wgproto.h"

#define OBFS_LABEL	"meshd obfuscation v1"
#define OBFS_HDR	16	/* the masked header of a data message */
#define OBFS_BLOCK	64	/* keystream bytes per ChaCha block */
/*
 * ChaCha8: the mask only has to look random to whoever lacks the key (the
 * secrecy is WireGuard's), and 8 rounds are far from any known attack
 * (Aumasson, "Too Much Crypto", 2019); a packet's block costs 40% of
 * ChaCha20's, on both sides of every datagram.
 */
#define OBFS_DOUBLEROUNDS 4
#define PRINT_LO	0x20
#define PRINT_HI	0x7e

void
obfs_key(uint8_t key[OBFS_KEY_LEN], const char *mesh, const uint8_t ca[32])
{
	struct wg_blake2s	s;

	wg_blake2s_init(&s, OBFS_KEY_LEN);
	wg_blake2s_update(&s, OBFS_LABEL, sizeof(OBFS_LABEL));
	wg_blake2s_update(&s, mesh, strlen(mesh) + 1);
	wg_blake2s_update(&s, ca, 32);
	wg_blake2s_final(&s, key);
}

/* keystream block b for nonce */
static void
obfs_block(uint8_t out[OBFS_BLOCK], const uint8_t key[OBFS_KEY_LEN],
    const uint8_t nonce[OBFS_NONCE_LEN], uint32_t b)
{
	uint8_t	in[OBFS_NONCE_LEN];

	memcpy(in, nonce, sizeof(in));
	in[0] ^= b & 0xff;
	in[1] ^= (b >> 8) & 0xff;
	in[2] ^= (b >> 16) & 0xff;
	in[3] ^= b >> 24;
	wg_chacha_block(out, key, in, OBFS_DOUBLEROUNDS);
}

/* XOR n bytes of buf with the keystream from its start */
static void
obfs_mask(uint8_t *buf, size_t n, const uint8_t key[OBFS_KEY_LEN],
    const uint8_t nonce[OBFS_NONCE_LEN])
{
	uint8_t		ks[OBFS_BLOCK];
	size_t		i, off;
	uint32_t	b;

	for (b = 0, off = 0; off < n; b++, off += OBFS_BLOCK) {
		obfs_block(ks, key, nonce, b);
		for (i = 0; i < OBFS_BLOCK && off + i < n; i++)
			buf[off + i] ^= ks[i];
	}
}

/* a handshake message's length by its type, 0 for another */
static size_t
hs_len(uint8_t type)
{
	switch (type) {
	case WG_MSG_INITIATION:
		return WG_INIT_LEN;
	case WG_MSG_RESPONSE:
		return WG_RESP_LEN;
	case WG_MSG_COOKIE:
		return WG_COOKIE_MSG_LEN;
	default:
		return 0;
	}
}

/*
 * A data message is at least a keepalive.  (Not whole 16-byte blocks:
 * a full packet is padded only up to the sender's MTU.)
 */
static int
data_len_ok(size_t len)
{
	return len >= WG_DATA_MIN_LEN;
}

size_t
obfs_seal(const uint8_t key[OBFS_KEY_LEN], const uint8_t *msg, size_t len,
    size_t pad, uint8_t *out, size_t outlen)
{
	const uint8_t	*nonce;
	uint8_t		 ks[OBFS_BLOCK];
	size_t		 total, i;

	if (len < WG_DATA_MIN_LEN || pad > OBFS_PAD_MAX || msg[1] != 0 ||
	    msg[2] != 0 || msg[3] != 0)
		return 0;
	if (msg[0] == WG_MSG_DATA) {
		if (!data_len_ok(len) || (total = len + pad) > outlen)
			return 0;
		nonce = msg + len - WG_TAG_LEN;
		memcpy(out, msg, len - WG_TAG_LEN);
		out[1] = pad & 0xff;
		out[2] = pad >> 8;
		/*
		 * One block masks the header; the rest of it is the padding
		 * when that fits (random to whoever lacks the key, and an
		 * arc4random_buf() call costs 100 ns a datagram).
		 */
		obfs_block(ks, key, nonce, 0);
		for (i = 0; i < OBFS_HDR; i++)
			out[i] ^= ks[i];
		if (pad <= sizeof(ks) - OBFS_HDR)
			memcpy(out + len - WG_TAG_LEN, ks + OBFS_HDR, pad);
		else
			arc4random_buf(out + len - WG_TAG_LEN, pad);
		explicit_bzero(ks, sizeof(ks));
		memcpy(out + total - WG_TAG_LEN, nonce, WG_TAG_LEN);
		return total;
	}
	if (hs_len(msg[0]) != len ||
	    (total = len + pad + OBFS_NONCE_LEN) > outlen)
		return 0;
	memcpy(out, msg, len);
	out[1] = pad & 0xff;
	out[2] = pad >> 8;
	/* padding and nonce: random, the nonce the last 16 */
	arc4random_buf(out + len, pad + OBFS_NONCE_LEN);
	obfs_mask(out, len, key, out + total - OBFS_NONCE_LEN);
	return total;
}

size_t
obfs_open(const uint8_t key[OBFS_KEY_LEN], const uint8_t *dgram, size_t len,
    uint8_t *out, size_t outlen)
{
	const uint8_t	*nonce;
	uint8_t		 hdr[OBFS_HDR];
	size_t		 pad, n;

	if (len < WG_DATA_MIN_LEN)
		return 0;
	nonce = dgram + len - OBFS_NONCE_LEN;
	memcpy(hdr, dgram, sizeof(hdr));
	obfs_mask(hdr, sizeof(hdr), key, nonce);
	pad = hdr[1] | (size_t)hdr[2] << 8;
	if (hdr[3] != 0 || pad > OBFS_PAD_MAX || pad > len)
		return 0;
	if (hdr[0] == WG_MSG_DATA) {
		n = len - pad;
		if (!data_len_ok(n) || n > outlen)
			return 0;
		memcpy(out, hdr, sizeof(hdr));
		memcpy(out + OBFS_HDR, dgram + OBFS_HDR,
		    n - OBFS_HDR - WG_TAG_LEN);
		memcpy(out + n - WG_TAG_LEN, nonce, WG_TAG_LEN);
	} else {
		n = hs_len(hdr[0]);
		if (n == 0 || len != n + pad + OBFS_NONCE_LEN || n > outlen)
			return 0;
		memcpy(out, dgram, n);
		obfs_mask(out, n, key, nonce);
	}
	out[1] = out[2] = 0;
	return n;
}

size_t
obfs_pad(const struct obfs_range *r, size_t len, size_t max)
{
	size_t	p = r->min;

	if (r->max > r->min)
		p += arc4random_uniform(r->max - r->min + 1);
	if (p > OBFS_PAD_MAX)
		p = OBFS_PAD_MAX;
	if (len + p > max)
		p = max > len ? max - len : 0;
	if (len + p == WG_RESP_LEN || len + p == WG_INIT_LEN)
		p = len + p < max && p < OBFS_PAD_MAX ? p + 1 : p - (p > 0);
	return p;
}

static int
printable(uint8_t c)
{
	return c >= PRINT_LO && c <= PRINT_HI;
}

static uint8_t
rand_print(void)
{
	return PRINT_LO + arc4random_uniform(PRINT_HI - PRINT_LO + 1);
}

int
obfs_exempt(const uint8_t *p, size_t len)
{
	size_t	i, nprint = 0, run = 0, longest = 0, bits = 0;
	int	ex = 0;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		if (printable(p[i])) {
			nprint++;
			if (++run > longest)
				longest = run;
		} else
			run = 0;
		bits += __builtin_popcount(p[i]);
	}
	for (i = 0; i < 6 && i < len && printable(p[i]); i++)
		;
	if (i == 6)
		ex |= OBFS_EX_PRINT6;
	if (2 * nprint > len)
		ex |= OBFS_EX_HALF;
	if (longest > 20)
		ex |= OBFS_EX_RUN;
	/* popcount per byte <= 3.4 or >= 4.6, in tenths */
	if (10 * bits <= 34 * len)
		ex |= OBFS_EX_POPLOW;
	if (10 * bits >= 46 * len)
		ex |= OBFS_EX_POPHIGH;
	return ex;
}

/* one way of meeting an exemption, over len bytes of p */
static void
prelude_fill(uint8_t *p, size_t len, unsigned int how)
{
	size_t	i, start, run;

	arc4random_buf(p, len);
	switch (how) {
	case 0:		/* a printable start, 6 to 40 bytes */
		run = 6 + arc4random_uniform(35);
		for (i = 0; i < run && i < len; i++)
			p[i] = rand_print();
		break;
	case 1:		/* most bytes printable, scattered */
		for (i = 0; i < len; i++)
			if (arc4random_uniform(4) != 0)
				p[i] = rand_print();
		break;
	case 2:		/* a printable run of 21 to 60 somewhere */
		run = 21 + arc4random_uniform(40);
		if (run > len)
			run = len;
		start = arc4random_uniform(len - run + 1);
		for (i = start; i < start + run; i++)
			p[i] = rand_print();
		break;
	case 3:		/* few bits set: about 2 a byte */
		for (i = 0; i < len; i++)
			p[i] &= arc4random() & 0xff;
		break;
	default:	/* many bits set: about 6 a byte */
		for (i = 0; i < len; i++)
			p[i] |= arc4random() & 0xff;
		break;
	}
}

size_t
obfs_prelude(uint8_t *out, size_t outlen, const struct obfs_range *r)
{
	size_t	len;
	int	tries;

	len = r->min;
	if (r->max > r->min)
		len += arc4random_uniform(r->max - r->min + 1);
	if (len > outlen)
		len = outlen;
	if (len < 8)
		len = outlen < 8 ? outlen : 8;
	/* a draw that misses (a short one, by chance) is drawn again */
	for (tries = 0; tries < 16; tries++) {
		prelude_fill(out, len, arc4random_uniform(5));
		if (obfs_exempt(out, len))
			return len;
	}
	prelude_fill(out, len, 0);
	return len;
}
