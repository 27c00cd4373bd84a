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
 * The WireGuard whitepaper's HMAC and KDF over BLAKE2s, and TAI64N.
 */

#include <string.h>
#include <time.h>

#include "wgnoise.h"

/* HMAC(key, in1 || in2), RFC 2104 with BLAKE2s-256 (block 64) */
static void
hmac2(uint8_t out[WG_HASH_LEN], const void *key, size_t keylen,
    const void *in1, size_t len1, const void *in2, size_t len2)
{
	struct wg_blake2s	S;
	uint8_t			k[WG_BLAKE2S_BLOCK], pad[WG_BLAKE2S_BLOCK];
	uint8_t			inner[WG_HASH_LEN];
	int			i;

	memset(k, 0, sizeof(k));
	if (keylen > WG_BLAKE2S_BLOCK)
		wg_hash(k, key, keylen);
	else if (keylen > 0)
		memcpy(k, key, keylen);

	for (i = 0; i < WG_BLAKE2S_BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	wg_blake2s_init(&S, WG_HASH_LEN);
	wg_blake2s_update(&S, pad, sizeof(pad));
	wg_blake2s_update(&S, in1, len1);
	wg_blake2s_update(&S, in2, len2);
	wg_blake2s_final(&S, inner);

	for (i = 0; i < WG_BLAKE2S_BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	wg_blake2s_init(&S, WG_HASH_LEN);
	wg_blake2s_update(&S, pad, sizeof(pad));
	wg_blake2s_update(&S, inner, sizeof(inner));
	wg_blake2s_final(&S, out);

	explicit_bzero(k, sizeof(k));
	explicit_bzero(pad, sizeof(pad));
	explicit_bzero(inner, sizeof(inner));
}

void
wg_hmac(uint8_t out[WG_HASH_LEN], const void *key, size_t keylen,
    const void *in, size_t len)
{
	hmac2(out, key, keylen, in, len, NULL, 0);
}

/* KDFn for n = 1, 2 or 3: the outputs not wanted are NULL */
static void
kdf(const uint8_t key[WG_HASH_LEN], const void *in, size_t inlen,
    uint8_t *out1, uint8_t *out2, uint8_t *out3)
{
	uint8_t	tau0[WG_HASH_LEN], tau1[WG_HASH_LEN], tau2[WG_HASH_LEN];
	uint8_t	tau3[WG_HASH_LEN], c;

	/* key and input are read here only, so outputs may alias them */
	hmac2(tau0, key, WG_HASH_LEN, in, inlen, NULL, 0);
	c = 1;
	hmac2(tau1, tau0, sizeof(tau0), &c, 1, NULL, 0);
	if (out2 != NULL) {
		c = 2;
		hmac2(tau2, tau0, sizeof(tau0), tau1, sizeof(tau1), &c, 1);
	}
	if (out3 != NULL) {
		c = 3;
		hmac2(tau3, tau0, sizeof(tau0), tau2, sizeof(tau2), &c, 1);
	}

	memcpy(out1, tau1, WG_HASH_LEN);
	if (out2 != NULL)
		memcpy(out2, tau2, WG_HASH_LEN);
	if (out3 != NULL)
		memcpy(out3, tau3, WG_HASH_LEN);

	explicit_bzero(tau0, sizeof(tau0));
	explicit_bzero(tau1, sizeof(tau1));
	explicit_bzero(tau2, sizeof(tau2));
	explicit_bzero(tau3, sizeof(tau3));
}

void
wg_kdf1(const uint8_t key[WG_HASH_LEN], const void *in, size_t inlen,
    uint8_t out1[WG_HASH_LEN])
{
	kdf(key, in, inlen, out1, NULL, NULL);
}

void
wg_kdf2(const uint8_t key[WG_HASH_LEN], const void *in, size_t inlen,
    uint8_t out1[WG_HASH_LEN], uint8_t out2[WG_HASH_LEN])
{
	kdf(key, in, inlen, out1, out2, NULL);
}

void
wg_kdf3(const uint8_t key[WG_HASH_LEN], const void *in, size_t inlen,
    uint8_t out1[WG_HASH_LEN], uint8_t out2[WG_HASH_LEN],
    uint8_t out3[WG_HASH_LEN])
{
	kdf(key, in, inlen, out1, out2, out3);
}

/* TAI64 label of the Unix epoch (https://cr.yp.to/libtai/tai64.html) */
#define TAI64_EPOCH		0x400000000000000aULL
/* WireGuard rounds the nanoseconds down to a multiple of 2^24 */
#define TAI64N_NSEC_MASK	0xff000000U

void
wg_tai64n_ts(uint8_t out[WG_TAI64N_LEN], const struct timespec *ts)
{
	uint64_t	sec = TAI64_EPOCH + (uint64_t)ts->tv_sec;
	uint32_t	nsec = (uint32_t)ts->tv_nsec & TAI64N_NSEC_MASK;
	int		i;

	for (i = 0; i < 8; i++)
		out[i] = sec >> (56 - 8 * i);
	for (i = 0; i < 4; i++)
		out[8 + i] = nsec >> (24 - 8 * i);
}

int
wg_tai64n(uint8_t out[WG_TAI64N_LEN])
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return -1;
	wg_tai64n_ts(out, &ts);
	return 0;
}
