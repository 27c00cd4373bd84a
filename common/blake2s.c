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
 * BLAKE2s (RFC 7693), sequential mode only: no salt, no personalization,
 * no tree.  Written here rather than taken from OpenSSL because the
 * handshake hashes a few dozen short strings, where the per-call cost of
 * EVP_Digest()/EVP_MAC dominates (bench/crypto-bench.c measures both).
 */

#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "wgcrypto.h"

static const uint32_t blake2s_iv[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
};

/* RFC 7693 section 2.7: message word schedule, one row per round */
static const uint8_t blake2s_sigma[10][16] = {
	{  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15 },
	{ 14, 10,  4,  8,  9, 15, 13,  6,  1, 12,  0,  2, 11,  7,  5,  3 },
	{ 11,  8, 12,  0,  5,  2, 15, 13, 10, 14,  3,  6,  7,  1,  9,  4 },
	{  7,  9,  3,  1, 13, 12, 11, 14,  2,  6,  5, 10,  4,  0, 15,  8 },
	{  9,  0,  5,  7,  2,  4, 10, 15, 14,  1, 11, 12,  6,  8,  3, 13 },
	{  2, 12,  6, 10,  0, 11,  8,  3,  4, 13,  7,  5, 15, 14,  1,  9 },
	{ 12,  5,  1, 15, 14, 13,  4, 10,  0,  7,  6,  3,  9,  2,  8, 11 },
	{ 13, 11,  7, 14, 12,  1,  3,  9,  5,  0, 15,  4,  8,  6,  2, 10 },
	{  6, 15, 14,  9, 11,  3,  0,  8, 12,  2, 13,  7,  1,  4, 10,  5 },
	{ 10,  2,  8,  4,  7,  6,  1,  5, 15, 11,  9, 14,  3, 12, 13,  0 },
};

static inline uint32_t
rotr32(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

/* the mixing function G of RFC 7693 section 3.1, rotations 16 12 8 7 */
#define G(a, b, c, d, x, y) do {					\
	v[a] = v[a] + v[b] + (x);					\
	v[d] = rotr32(v[d] ^ v[a], 16);					\
	v[c] = v[c] + v[d];						\
	v[b] = rotr32(v[b] ^ v[c], 12);					\
	v[a] = v[a] + v[b] + (y);					\
	v[d] = rotr32(v[d] ^ v[a], 8);					\
	v[c] = v[c] + v[d];						\
	v[b] = rotr32(v[b] ^ v[c], 7);					\
} while (0)

/* a round: G on the columns, then on the diagonals */
#define ROUND(r) do {							\
	const uint8_t *s = blake2s_sigma[r];				\
	G(0, 4,  8, 12, m[s[ 0]], m[s[ 1]]);				\
	G(1, 5,  9, 13, m[s[ 2]], m[s[ 3]]);				\
	G(2, 6, 10, 14, m[s[ 4]], m[s[ 5]]);				\
	G(3, 7, 11, 15, m[s[ 6]], m[s[ 7]]);				\
	G(0, 5, 10, 15, m[s[ 8]], m[s[ 9]]);				\
	G(1, 6, 11, 12, m[s[10]], m[s[11]]);				\
	G(2, 7,  8, 13, m[s[12]], m[s[13]]);				\
	G(3, 4,  9, 14, m[s[14]], m[s[15]]);				\
} while (0)

/* compress one 64-byte block; last: this is the final block */
static void
blake2s_compress(struct wg_blake2s *S, const uint8_t *block, int last)
{
	uint32_t	m[16], v[16];
	int		i;

	for (i = 0; i < 16; i++)
		m[i] = wg_get_le32(block + 4 * i);
	for (i = 0; i < 8; i++) {
		v[i] = S->h[i];
		v[i + 8] = blake2s_iv[i];
	}
	v[12] ^= S->t[0];
	v[13] ^= S->t[1];
	if (last)
		v[14] = ~v[14];

	/* unrolled, so that every message index is a constant */
	ROUND(0); ROUND(1); ROUND(2); ROUND(3); ROUND(4);
	ROUND(5); ROUND(6); ROUND(7); ROUND(8); ROUND(9);

	for (i = 0; i < 8; i++)
		S->h[i] ^= v[i] ^ v[i + 8];
	explicit_bzero(m, sizeof(m));
	explicit_bzero(v, sizeof(v));
}

#undef ROUND
#undef G

static void
blake2s_count(struct wg_blake2s *S, uint32_t n)
{
	S->t[0] += n;
	if (S->t[0] < n)
		S->t[1]++;
}

int
wg_blake2s_init_key(struct wg_blake2s *S, size_t outlen, const void *key,
    size_t keylen)
{
	int	i;

	if (outlen < 1 || outlen > WG_BLAKE2S_MAXOUT ||
	    keylen > WG_BLAKE2S_MAXKEY || (keylen > 0 && key == NULL))
		return -1;

	memset(S, 0, sizeof(*S));
	for (i = 0; i < 8; i++)
		S->h[i] = blake2s_iv[i];
	/* parameter block: digest length, key length, fanout 1, depth 1 */
	S->h[0] ^= 0x01010000 ^ ((uint32_t)keylen << 8) ^ (uint32_t)outlen;
	S->outlen = outlen;

	/* the key, padded with zeros, is the first block */
	if (keylen > 0) {
		memcpy(S->buf, key, keylen);
		S->buflen = WG_BLAKE2S_BLOCK;
	}
	return 0;
}

int
wg_blake2s_init(struct wg_blake2s *S, size_t outlen)
{
	return wg_blake2s_init_key(S, outlen, NULL, 0);
}

void
wg_blake2s_update(struct wg_blake2s *S, const void *in, size_t len)
{
	const uint8_t	*p = in;
	size_t		 n;

	if (len == 0)
		return;

	/*
	 * Keep the last block of input buffered: it is compressed by
	 * final() with the last-block flag, even when it is a full one.
	 */
	if (S->buflen > 0) {
		n = WG_BLAKE2S_BLOCK - S->buflen;
		if (len <= n) {
			memcpy(S->buf + S->buflen, p, len);
			S->buflen += len;
			return;
		}
		memcpy(S->buf + S->buflen, p, n);
		blake2s_count(S, WG_BLAKE2S_BLOCK);
		blake2s_compress(S, S->buf, 0);
		S->buflen = 0;
		p += n;
		len -= n;
	}
	while (len > WG_BLAKE2S_BLOCK) {
		blake2s_count(S, WG_BLAKE2S_BLOCK);
		blake2s_compress(S, p, 0);
		p += WG_BLAKE2S_BLOCK;
		len -= WG_BLAKE2S_BLOCK;
	}
	memcpy(S->buf, p, len);
	S->buflen = len;
}

void
wg_blake2s_final(struct wg_blake2s *S, uint8_t *out)
{
	uint8_t	digest[WG_BLAKE2S_MAXOUT];
	int	i;

	blake2s_count(S, S->buflen);
	memset(S->buf + S->buflen, 0, WG_BLAKE2S_BLOCK - S->buflen);
	blake2s_compress(S, S->buf, 1);

	for (i = 0; i < 8; i++)
		wg_put_le32(digest + 4 * i, S->h[i]);
	memcpy(out, digest, S->outlen);
	explicit_bzero(digest, sizeof(digest));
	explicit_bzero(S, sizeof(*S));
}

void
wg_hash(uint8_t out[WG_HASH_LEN], const void *in, size_t len)
{
	struct wg_blake2s	S;

	wg_blake2s_init(&S, WG_HASH_LEN);
	wg_blake2s_update(&S, in, len);
	wg_blake2s_final(&S, out);
}

void
wg_mac(uint8_t out[WG_MAC_LEN], const void *key, size_t keylen,
    const void *in, size_t len)
{
	struct wg_blake2s	S;

	/* every MAC key in the protocol is 16 or 32 bytes: a bug if not */
	if (keylen == 0 ||
	    wg_blake2s_init_key(&S, WG_MAC_LEN, key, keylen) == -1)
		abort();
	wg_blake2s_update(&S, in, len);
	wg_blake2s_final(&S, out);
}
