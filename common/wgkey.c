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

#include <sys/types.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "wgkey.h"

int
wg_key_from_base64(uint8_t key[WG_KEY_LEN], const char *b64)
{
	uint8_t	buf[WG_KEY_LEN + 1];	/* 44 chars decode to 33 bytes */
	int	n, ret = -1;

	/* 32 bytes are 43 significant chars and one '=' of padding */
	if (strlen(b64) != WG_KEY_B64_LEN || b64[WG_KEY_B64_LEN - 1] != '=' ||
	    b64[WG_KEY_B64_LEN - 2] == '=')
		return -1;
	n = EVP_DecodeBlock(buf, (const unsigned char *)b64, WG_KEY_B64_LEN);
	/* EVP_DecodeBlock counts the padding as a zero byte */
	if (n == WG_KEY_LEN + 1 && buf[WG_KEY_LEN] == 0) {
		/* the last char carries 2 bits of padding: they must be 0 */
		static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789+/";
		const char *p = strchr(alphabet, b64[WG_KEY_B64_LEN - 2]);

		if (p != NULL && ((p - alphabet) & 3) == 0) {
			memcpy(key, buf, WG_KEY_LEN);
			ret = 0;
		}
	}
	explicit_bzero(buf, sizeof(buf));
	return ret;
}

void
wg_key_to_base64(char b64[WG_KEY_B64_LEN + 1], const uint8_t key[WG_KEY_LEN])
{
	EVP_EncodeBlock((unsigned char *)b64, key, WG_KEY_LEN);
	b64[WG_KEY_B64_LEN] = '\0';
}

void
wg_key_clamp(uint8_t key[WG_KEY_LEN])
{
	key[0] &= 248;
	key[31] = (key[31] & 127) | 64;
}

int
wg_key_generate_psk(uint8_t key[WG_KEY_LEN])
{
	if (RAND_priv_bytes(key, WG_KEY_LEN) != 1)
		return -1;
	return 0;
}

int
wg_key_generate_private(uint8_t key[WG_KEY_LEN])
{
	if (wg_key_generate_psk(key) == -1)
		return -1;
	wg_key_clamp(key);
	return 0;
}

int
wg_key_public(uint8_t pub[WG_KEY_LEN], const uint8_t priv[WG_KEY_LEN])
{
	EVP_PKEY	*pkey;
	size_t		 len = WG_KEY_LEN;
	int		 ret = -1;

	/* OpenSSL clamps the scalar itself, as X25519 requires */
	pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv,
	    WG_KEY_LEN);
	if (pkey == NULL)
		return -1;
	if (EVP_PKEY_get_raw_public_key(pkey, pub, &len) == 1 &&
	    len == WG_KEY_LEN)
		ret = 0;
	EVP_PKEY_free(pkey);
	return ret;
}

/* read(2) that retries on EINTR */
static ssize_t
read_some(int fd, char *buf, size_t len)
{
	ssize_t	n;

	while ((n = read(fd, buf, len)) == -1 && errno == EINTR)
		;
	return n;
}

/*
 * What wg(8) accepts, found by trying it: the key's 44 characters first,
 * then nothing but white space (space, tab, newline, vertical tab, form
 * feed, carriage return) and NUL bytes, as many as there are.
 */
static int
only_trailing_space(int fd, const char **errstr)
{
	char	buf[512];
	ssize_t	n, i;

	while ((n = read_some(fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++)
			if (buf[i] != '\0' && strchr(" \t\n\v\f\r",
			    buf[i]) == NULL) {
				*errstr = "not a key: characters after the key";
				return -1;
			}
	}
	if (n == -1) {
		*errstr = strerror(errno);
		return -1;
	}
	return 0;
}

int
wg_key_read_fd(int fd, uint8_t key[WG_KEY_LEN], const char **errstr)
{
	char	buf[WG_KEY_B64_LEN + 1];
	size_t	len = 0;
	ssize_t	n;
	int	ret = -1;

	*errstr = NULL;
	while (len < WG_KEY_B64_LEN) {
		n = read_some(fd, buf + len, WG_KEY_B64_LEN - len);
		if (n == -1) {
			*errstr = strerror(errno);
			goto done;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	if (len != WG_KEY_B64_LEN || strlen(buf) != WG_KEY_B64_LEN ||
	    wg_key_from_base64(key, buf) == -1) {
		*errstr = "not a key: expected 44 characters of base64";
		goto done;
	}
	if (only_trailing_space(fd, errstr) == -1) {
		explicit_bzero(key, WG_KEY_LEN);
		goto done;
	}
	ret = 0;
 done:
	explicit_bzero(buf, sizeof(buf));
	return ret;
}
