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
 * HChaCha20 and AEAD_XChaCha20_Poly1305 (draft-irtf-cfrg-xchacha-03),
 * which WireGuard's cookie reply uses.  OpenSSL 3.0 has neither.
 *
 * HChaCha20 is the ChaCha20 block function (RFC 8439 section 2.3) on the
 * key and a 16-byte input in place of counter and nonce, without the
 * final addition of the input state; its output is state words 0-3 and
 * 12-15.  XChaCha20-Poly1305 is ChaCha20-Poly1305 under the subkey
 * HChaCha20(key, nonce[0..15]) with the nonce 0^32 || nonce[16..23].
 */

#include <string.h>

#include "byteorder.h"
#include "wgcrypto.h"

static inline uint32_t
rotl32(uint32_t x, int n)
{
	return (x << n) | (x >> (32 - n));
}

/* RFC 8439 section 2.1 */
#define QR(a, b, c, d) do {						\
	x[a] += x[b]; x[d] = rotl32(x[d] ^ x[a], 16);			\
	x[c] += x[d]; x[b] = rotl32(x[b] ^ x[c], 12);			\
	x[a] += x[b]; x[d] = rotl32(x[d] ^ x[a], 8);			\
	x[c] += x[d]; x[b] = rotl32(x[b] ^ x[c], 7);			\
} while (0)

/* the state: constants, key, and the 16-byte input in words 12-15 */
static void
chacha_init(uint32_t x[16], const uint8_t key[32], const uint8_t in[16])
{
	int	i;

	/* "expand 32-byte k" */
	x[0] = 0x61707865;
	x[1] = 0x3320646e;
	x[2] = 0x79622d32;
	x[3] = 0x6b206574;
	for (i = 0; i < 8; i++)
		x[4 + i] = wg_get_le32(key + 4 * i);
	for (i = 0; i < 4; i++)
		x[12 + i] = wg_get_le32(in + 4 * i);
}

static void
chacha_rounds(uint32_t x[16], int doublerounds)
{
	int	i;

	for (i = 0; i < doublerounds; i++) {
		/* column round */
		QR(0, 4,  8, 12);
		QR(1, 5,  9, 13);
		QR(2, 6, 10, 14);
		QR(3, 7, 11, 15);
		/* diagonal round */
		QR(0, 5, 10, 15);
		QR(1, 6, 11, 12);
		QR(2, 7,  8, 13);
		QR(3, 4,  9, 14);
	}
}

void
wg_hchacha20(uint8_t out[32], const uint8_t key[32], const uint8_t in[16])
{
	uint32_t	x[16];
	int		i;

	chacha_init(x, key, in);
	chacha_rounds(x, 10);
	for (i = 0; i < 4; i++) {
		wg_put_le32(out + 4 * i, x[i]);
		wg_put_le32(out + 16 + 4 * i, x[12 + i]);
	}
	explicit_bzero(x, sizeof(x));
}

void
wg_chacha_block(uint8_t out[64], const uint8_t key[32], const uint8_t in[16],
    int doublerounds)
{
	uint32_t	x[16], s[16];
	int		i;

	chacha_init(s, key, in);
	memcpy(x, s, sizeof(x));
	chacha_rounds(x, doublerounds);
	for (i = 0; i < 16; i++)
		wg_put_le32(out + 4 * i, x[i] + s[i]);
	explicit_bzero(x, sizeof(x));
	explicit_bzero(s, sizeof(s));
}

#undef QR

static int
xaead(int enc, uint8_t *dst, const uint8_t key[WG_AEAD_KEY_LEN],
    const uint8_t nonce[WG_XNONCE_LEN], const uint8_t *src, size_t len,
    const uint8_t *ad, size_t adlen)
{
	uint8_t	subkey[32], n12[WG_AEAD_NONCE_LEN];
	int	ret;

	wg_hchacha20(subkey, key, nonce);
	memset(n12, 0, 4);
	memcpy(n12 + 4, nonce + 16, 8);
	if (enc)
		ret = wg_chachapoly_encrypt(dst, subkey, n12, src, len, ad,
		    adlen);
	else
		ret = wg_chachapoly_decrypt(dst, subkey, n12, src, len, ad,
		    adlen);
	explicit_bzero(subkey, sizeof(subkey));
	return ret;
}

int
wg_xaead_encrypt(uint8_t *dst, const uint8_t key[WG_AEAD_KEY_LEN],
    const uint8_t nonce[WG_XNONCE_LEN], const uint8_t *src, size_t len,
    const uint8_t *ad, size_t adlen)
{
	return xaead(1, dst, key, nonce, src, len, ad, adlen);
}

int
wg_xaead_decrypt(uint8_t *dst, const uint8_t key[WG_AEAD_KEY_LEN],
    const uint8_t nonce[WG_XNONCE_LEN], const uint8_t *src, size_t len,
    const uint8_t *ad, size_t adlen)
{
	return xaead(0, dst, key, nonce, src, len, ad, adlen);
}
