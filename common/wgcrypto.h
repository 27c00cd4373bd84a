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
 * The primitives of WireGuard's Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s that
 * meshd-net and meshd-crypto share (mac1, mac2, cookies, the data plane),
 * as the whitepaper names them: HASH, MAC, AEAD and XAEAD.  HMAC, the
 * KDFs, DH and TAI64N are the handshake's alone: meshd-crypto/wgnoise.h.
 *
 *   blake2s.c	BLAKE2s (RFC 7693), wg_hash(), wg_mac()
 *   chachapoly.c	ChaCha20-Poly1305 (RFC 8439) through OpenSSL EVP
 *   hchacha.c	HChaCha20 and XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha)
 *
 * Every function wipes the temporary secrets it made.  Outputs may alias
 * inputs where a comment says so, nowhere else.
 */

#ifndef WGCRYPTO_H
#define WGCRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define WG_HASH_LEN		32	/* HASH, HMAC and KDF outputs */
#define WG_MAC_LEN		16	/* MAC (mac1, mac2, cookie) */
#define WG_AEAD_KEY_LEN		32
#define WG_AEAD_TAG		16
#define WG_AEAD_NONCE_LEN	12	/* RFC 8439 nonce */
#define WG_XNONCE_LEN		24	/* XChaCha20-Poly1305 nonce */

#define WG_BLAKE2S_BLOCK	64
#define WG_BLAKE2S_MAXOUT	32
#define WG_BLAKE2S_MAXKEY	32

/* BLAKE2s, incremental; the state holds key material while in use */
struct wg_blake2s {
	uint32_t	h[8];
	uint32_t	t[2];
	uint8_t		buf[WG_BLAKE2S_BLOCK];
	size_t		buflen;
	size_t		outlen;
};

/* blake2s.c */
/* outlen 1..32, keylen 0..32 (0: unkeyed); -1 on a bad length */
int	wg_blake2s_init(struct wg_blake2s *, size_t);
int	wg_blake2s_init_key(struct wg_blake2s *, size_t, const void *,
	    size_t);
void	wg_blake2s_update(struct wg_blake2s *, const void *, size_t);
/* writes outlen bytes and wipes the state */
void	wg_blake2s_final(struct wg_blake2s *, uint8_t *);

/* HASH(in): BLAKE2s-256 */
void	wg_hash(uint8_t [WG_HASH_LEN], const void *, size_t);
/* MAC(key, in): keyed BLAKE2s-128; keylen 1..32, anything else aborts */
void	wg_mac(uint8_t [WG_MAC_LEN], const void *, size_t, const void *,
	    size_t);

/* chachapoly.c */
/*
 * ChaCha20-Poly1305 (RFC 8439).  Encryption writes len + 16 bytes to dst
 * (ciphertext, then tag).  Decryption takes len >= 16 bytes of ciphertext
 * and tag, writes len - 16 bytes and returns -1 if the tag does not match;
 * dst is scratch space until the tag is checked and is wiped on failure
 * (it may be NULL when len is 16: a keepalive).  dst may be src exactly
 * (in place) but must not overlap it otherwise.
 * Return 0, or -1 on failure (bad tag, len over INT_MAX, library error).
 */
int	wg_chachapoly_encrypt(uint8_t *, const uint8_t [WG_AEAD_KEY_LEN],
	    const uint8_t [WG_AEAD_NONCE_LEN], const uint8_t *, size_t,
	    const uint8_t *, size_t);
int	wg_chachapoly_decrypt(uint8_t *, const uint8_t [WG_AEAD_KEY_LEN],
	    const uint8_t [WG_AEAD_NONCE_LEN], const uint8_t *, size_t,
	    const uint8_t *, size_t);

/* AEAD(key, counter, src, ad): nonce is 32 zero bits || le64(counter) */
int	wg_aead_encrypt(uint8_t *, const uint8_t [WG_AEAD_KEY_LEN], uint64_t,
	    const uint8_t *, size_t, const uint8_t *, size_t);
int	wg_aead_decrypt(uint8_t *, const uint8_t [WG_AEAD_KEY_LEN], uint64_t,
	    const uint8_t *, size_t, const uint8_t *, size_t);

/*
 * The same with the key set up once (data plane: one per keypair and
 * direction), which saves 0.3 to 0.5 us a packet over the one-shot
 * calls.  A context works both ways; free wipes it.
 */
struct wg_aead_ctx;
struct wg_aead_ctx *wg_aead_ctx_new(const uint8_t [WG_AEAD_KEY_LEN]);
void	wg_aead_ctx_free(struct wg_aead_ctx *);
int	wg_aead_ctx_encrypt(struct wg_aead_ctx *, uint8_t *, uint64_t,
	    const uint8_t *, size_t, const uint8_t *, size_t);
int	wg_aead_ctx_decrypt(struct wg_aead_ctx *, uint8_t *, uint64_t,
	    const uint8_t *, size_t, const uint8_t *, size_t);

/* hchacha.c */
/* HChaCha20: a 32-byte subkey from a key and a 16-byte input */
void	wg_hchacha20(uint8_t [32], const uint8_t [32], const uint8_t [16]);
/*
 * The ChaCha block function (RFC 8439 section 2.3) with the 16-byte input
 * as counter and nonce (words 12-15) and doublerounds double rounds (10:
 * ChaCha20): 64 bytes of keystream.
 */
void	wg_chacha_block(uint8_t [64], const uint8_t [32], const uint8_t [16],
	    int);
/* XAEAD(key, nonce24, src, ad): XChaCha20-Poly1305, same rules as above */
int	wg_xaead_encrypt(uint8_t *, const uint8_t [WG_AEAD_KEY_LEN],
	    const uint8_t [WG_XNONCE_LEN], const uint8_t *, size_t,
	    const uint8_t *, size_t);
int	wg_xaead_decrypt(uint8_t *, const uint8_t [WG_AEAD_KEY_LEN],
	    const uint8_t [WG_XNONCE_LEN], const uint8_t *, size_t,
	    const uint8_t *, size_t);

#endif /* WGCRYPTO_H */
