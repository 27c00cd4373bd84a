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
 * The primitives only the Noise handshake uses, as the whitepaper names
 * them: HMAC, KDF1..3, DH, DH-GENERATE and TAI64N.  HASH, MAC, AEAD and
 * XAEAD, which meshd-net needs too, are in common/wgcrypto.h.  The same
 * rules: every function wipes the temporary secrets it made; outputs may
 * alias inputs where a comment says so, nowhere else.
 */

#ifndef WGNOISE_H
#define WGNOISE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "wgcrypto.h"

#define WG_DH_LEN		32	/* X25519 scalars, points, secrets */
#define WG_TAI64N_LEN		12

/* wgcrypto.c */
/* HMAC(key, in): RFC 2104 over BLAKE2s-256, block 64; any keylen */
void	wg_hmac(uint8_t [WG_HASH_LEN], const void *, size_t, const void *,
	    size_t);

/*
 * KDFn(key, input): tau0 = HMAC(key, input), tau1 = HMAC(tau0, 0x1),
 * tau(i) = HMAC(tau0, tau(i-1) || i); out1..outn = tau1..taun.
 * The outputs may alias the key or the input.
 */
void	wg_kdf1(const uint8_t [WG_HASH_LEN], const void *, size_t,
	    uint8_t [WG_HASH_LEN]);
void	wg_kdf2(const uint8_t [WG_HASH_LEN], const void *, size_t,
	    uint8_t [WG_HASH_LEN], uint8_t [WG_HASH_LEN]);
void	wg_kdf3(const uint8_t [WG_HASH_LEN], const void *, size_t,
	    uint8_t [WG_HASH_LEN], uint8_t [WG_HASH_LEN],
	    uint8_t [WG_HASH_LEN]);

/*
 * TAI64N: be64(2^62 + 10 + seconds) || be32(nanoseconds), the label
 * WireGuard uses.  Like WireGuard, the nanoseconds are rounded down to a
 * multiple of 2^24 (about 16.8 ms) so the timestamp does not give away the
 * fine clock.  wg_tai64n() reads CLOCK_REALTIME; 0, or -1 if it failed.
 */
int	wg_tai64n(uint8_t [WG_TAI64N_LEN]);
void	wg_tai64n_ts(uint8_t [WG_TAI64N_LEN], const struct timespec *);

/* wgx25519.c */
/*
 * DH(priv, pub): X25519 (the scalar is clamped, the top bit of the point
 * ignored).  0 on success; -1 if the shared secret is all zero (pub is a
 * point of small order), and then out is all zero.  out may alias either
 * input.
 */
int	wg_dh(uint8_t [WG_DH_LEN], const uint8_t [WG_DH_LEN],
	    const uint8_t [WG_DH_LEN]);
/* X25519 without the zero check, for tests: out = scalar * point */
void	wg_x25519(uint8_t [WG_DH_LEN], const uint8_t [WG_DH_LEN],
	    const uint8_t [WG_DH_LEN]);
/*
 * Public key of a private key; the first call builds a 40 KB table.  For
 * the ephemerals, where speed counts; static keys go through OpenSSL's
 * wg_key_public() (common/wgkey.h), the one meshctl pubkey uses too.
 */
void	wg_dh_public(uint8_t [WG_DH_LEN], const uint8_t [WG_DH_LEN]);
/* DH-GENERATE: random clamped private key and its public key; 0 or -1 */
int	wg_dh_generate(uint8_t [WG_DH_LEN], uint8_t [WG_DH_LEN]);

#endif /* WGNOISE_H */
