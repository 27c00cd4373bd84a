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
 * ChaCha20-Poly1305 (RFC 8439) through OpenSSL's EVP interface, whose
 * assembly is much faster than anything portable.  The cipher is fetched
 * from the provider once: passing EVP_chacha20_poly1305() to every init
 * would fetch it again each time.
 */

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "wgcrypto.h"

struct wg_aead_ctx {
	EVP_CIPHER_CTX	*ctx;
};

static EVP_CIPHER *
chachapoly_cipher(void)
{
	static EVP_CIPHER	*cipher;

	if (cipher == NULL)
		cipher = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	return cipher;
}

/*
 * One AEAD operation on a context.  key NULL: the context already holds
 * it.  For decryption len counts the tag.
 */
static int
chachapoly(EVP_CIPHER_CTX *ctx, int enc, uint8_t *dst, const uint8_t *key,
    const uint8_t nonce[WG_AEAD_NONCE_LEN], const uint8_t *src, size_t len,
    const uint8_t *ad, size_t adlen)
{
	const EVP_CIPHER	*cipher = NULL;
	OSSL_PARAM		 params[2];
	uint8_t			*end, tag[WG_AEAD_TAG];
	size_t			 textlen;
	int			 n;

	if (!enc && len < WG_AEAD_TAG)
		return -1;
	textlen = enc ? len : len - WG_AEAD_TAG;
	if (textlen > INT_MAX - WG_AEAD_TAG || adlen > INT_MAX)
		return -1;
	if (key != NULL && (cipher = chachapoly_cipher()) == NULL)
		return -1;
	/* where the tag goes; dst may be NULL if there is no text */
	end = textlen > 0 ? dst + textlen : dst;

	/*
	 * Decryption: the expected tag goes in with the nonce, as a
	 * parameter of the init (EVP_CIPHER_CTX_ctrl() would build the same
	 * parameter list again: ~0.1 us a packet).  OpenSSL takes it through
	 * a non-const pointer.
	 */
	if (!enc) {
		memcpy(tag, src + textlen, sizeof(tag));
		params[0] = OSSL_PARAM_construct_octet_string(
		    OSSL_CIPHER_PARAM_AEAD_TAG, tag, sizeof(tag));
		params[1] = OSSL_PARAM_construct_end();
	}
	if (EVP_CipherInit_ex2(ctx, cipher, key, nonce, enc,
	    enc ? NULL : params) != 1)
		goto fail;
	if (adlen > 0 &&
	    EVP_CipherUpdate(ctx, NULL, &n, ad, (int)adlen) != 1)
		goto fail;
	if (textlen > 0 &&
	    (EVP_CipherUpdate(ctx, dst, &n, src, (int)textlen) != 1 ||
	    (size_t)n != textlen))
		goto fail;
	/* decryption: this is where the tag is checked */
	if (EVP_CipherFinal_ex(ctx, end, &n) != 1 || n != 0)
		goto fail;
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG,
	    WG_AEAD_TAG, end) != 1)
		goto fail;
	return 0;

 fail:
	if (textlen > 0)
		explicit_bzero(dst, textlen);
	return -1;
}

static int
chachapoly_once(int enc, uint8_t *dst, const uint8_t key[WG_AEAD_KEY_LEN],
    const uint8_t nonce[WG_AEAD_NONCE_LEN], const uint8_t *src, size_t len,
    const uint8_t *ad, size_t adlen)
{
	EVP_CIPHER_CTX	*ctx;
	int		 ret;

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	ret = chachapoly(ctx, enc, dst, key, nonce, src, len, ad, adlen);
	EVP_CIPHER_CTX_free(ctx);	/* wipes the key schedule */
	return ret;
}

/* WireGuard's nonce: 32 zero bits, then the counter little-endian */
static void
wg_nonce(uint8_t nonce[WG_AEAD_NONCE_LEN], uint64_t counter)
{
	int	i;

	memset(nonce, 0, 4);
	for (i = 0; i < 8; i++)
		nonce[4 + i] = counter >> (8 * i);
}

int
wg_chachapoly_encrypt(uint8_t *dst, const uint8_t key[WG_AEAD_KEY_LEN],
    const uint8_t nonce[WG_AEAD_NONCE_LEN], const uint8_t *src, size_t len,
    const uint8_t *ad, size_t adlen)
{
	return chachapoly_once(1, dst, key, nonce, src, len, ad, adlen);
}

int
wg_chachapoly_decrypt(uint8_t *dst, const uint8_t key[WG_AEAD_KEY_LEN],
    const uint8_t nonce[WG_AEAD_NONCE_LEN], const uint8_t *src, size_t len,
    const uint8_t *ad, size_t adlen)
{
	return chachapoly_once(0, dst, key, nonce, src, len, ad, adlen);
}

int
wg_aead_encrypt(uint8_t *dst, const uint8_t key[WG_AEAD_KEY_LEN],
    uint64_t counter, const uint8_t *src, size_t len, const uint8_t *ad,
    size_t adlen)
{
	uint8_t	nonce[WG_AEAD_NONCE_LEN];

	wg_nonce(nonce, counter);
	return chachapoly_once(1, dst, key, nonce, src, len, ad, adlen);
}

int
wg_aead_decrypt(uint8_t *dst, const uint8_t key[WG_AEAD_KEY_LEN],
    uint64_t counter, const uint8_t *src, size_t len, const uint8_t *ad,
    size_t adlen)
{
	uint8_t	nonce[WG_AEAD_NONCE_LEN];

	wg_nonce(nonce, counter);
	return chachapoly_once(0, dst, key, nonce, src, len, ad, adlen);
}

struct wg_aead_ctx *
wg_aead_ctx_new(const uint8_t key[WG_AEAD_KEY_LEN])
{
	struct wg_aead_ctx	*a;
	EVP_CIPHER		*cipher;

	if ((cipher = chachapoly_cipher()) == NULL)
		return NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	if ((a->ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex(a->ctx, cipher, NULL, key, NULL, 1) != 1) {
		wg_aead_ctx_free(a);
		return NULL;
	}
	return a;
}

void
wg_aead_ctx_free(struct wg_aead_ctx *a)
{
	if (a == NULL)
		return;
	EVP_CIPHER_CTX_free(a->ctx);
	free(a);
}

int
wg_aead_ctx_encrypt(struct wg_aead_ctx *a, uint8_t *dst, uint64_t counter,
    const uint8_t *src, size_t len, const uint8_t *ad, size_t adlen)
{
	uint8_t	nonce[WG_AEAD_NONCE_LEN];

	wg_nonce(nonce, counter);
	return chachapoly(a->ctx, 1, dst, NULL, nonce, src, len, ad, adlen);
}

int
wg_aead_ctx_decrypt(struct wg_aead_ctx *a, uint8_t *dst, uint64_t counter,
    const uint8_t *src, size_t len, const uint8_t *ad, size_t adlen)
{
	uint8_t	nonce[WG_AEAD_NONCE_LEN];

	wg_nonce(nonce, counter);
	return chachapoly(a->ctx, 0, dst, NULL, nonce, src, len, ad, adlen);
}
