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
 * The relay protocol's pure parts (relay.h): the relay's answer to an
 * upgrade, read by a member from bytes the relay (or whoever answers on
 * its address) sent, and the secret path.
 */

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "relay.h"
#include "wgcrypto.h"
#include "wgkey.h"

#define B64_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
			"0123456789+/="

/* the end of the line that starts at off (its LF), or -1 */
static ssize_t
line_end(const uint8_t *buf, size_t len, size_t off)
{
	const uint8_t	*p = memchr(buf + off, '\n', len - off);

	return p == NULL ? -1 : p - buf;
}

/* a header line "Name: value" (no CR, no LF) into r, if it is one of ours */
static int
header(const char *l, size_t n, struct relay_101 *r, int *seen)
{
	const char	*colon = memchr(l, ':', n);
	char		 val[64];
	size_t		 nl, vl;

	if (colon == NULL)
		return -1;
	nl = colon - l;
	colon++;
	vl = n - (colon - l);
	while (vl > 0 && (*colon == ' ' || *colon == '\t')) {
		colon++;
		vl--;
	}
	while (vl > 0 && (colon[vl - 1] == ' ' || colon[vl - 1] == '\t'))
		vl--;
	if (vl >= sizeof(val))
		return 0;	/* none of ours is that long */
	memcpy(val, colon, vl);
	val[vl] = '\0';
	if (nl == 20 && strncasecmp(l, "Sec-WebSocket-Accept", nl) == 0) {
		if (vl != WS_ACCEPT_LEN || (*seen & 1) ||
		    strspn(val, B64_CHARS) != vl)
			return -1;
		memcpy(r->accept, val, vl + 1);
		*seen |= 1;
	} else if (nl == strlen(RELAY_HDR_PROOF) &&
	    strncasecmp(l, RELAY_HDR_PROOF, nl) == 0) {
		if ((*seen & 2) || wg_key_from_base64(r->proof, val) == -1)
			return -1;
		*seen |= 2;
	}
	return 0;
}

ssize_t
relay_parse_101(const uint8_t *buf, size_t len, struct relay_101 *r)
{
	static const char	 status[] = "HTTP/1.1 101 ";
	size_t			 off, n, max = len;
	ssize_t			 e;
	int			 seen = 0;

	memset(r, 0, sizeof(*r));
	if (max > RELAY_101_MAX)
		max = RELAY_101_MAX;
	n = max < sizeof(status) - 1 ? max : sizeof(status) - 1;
	if (memcmp(buf, status, n) != 0)
		return -1;
	if ((e = line_end(buf, max, 0)) == -1)
		return len >= RELAY_101_MAX ? -1 : 0;
	for (off = e + 1;; off = e + 1) {
		if ((e = line_end(buf, max, off)) == -1)
			return len >= RELAY_101_MAX ? -1 : 0;
		n = e - off;
		if (n > 0 && buf[off + n - 1] == '\r')
			n--;
		if (n == 0)
			break;
		if (header((const char *)buf + off, n, r, &seen) == -1)
			return -1;
	}
	return seen == 3 ? e + 1 : -1;
}

void
relay_secret_path(const uint8_t ca[32], const uint8_t key[32],
    char out[RELAY_PATH_LEN + 1])
{
	static const char	 hex[] = "0123456789abcdef";
	struct wg_blake2s	 h;
	uint8_t			 d[16];
	size_t			 i;

	if (wg_blake2s_init(&h, sizeof(d)) == -1)
		abort();
	wg_blake2s_update(&h, "meshd relay path v1", 19);
	wg_blake2s_update(&h, ca, 32);
	wg_blake2s_update(&h, key, 32);
	wg_blake2s_final(&h, d);
	out[0] = '/';
	for (i = 0; i < sizeof(d); i++) {
		out[1 + 2 * i] = hex[d[i] >> 4];
		out[2 + 2 * i] = hex[d[i] & 15];
	}
	out[RELAY_PATH_LEN] = '\0';
}

ssize_t
relay_parse_cert(const uint8_t *p, size_t len, uint8_t out[MESH_CERT_MAX])
{
	uint8_t	tmp[(MESH_CERT_MAX + 2) / 3 * 3];
	int	n, pad;

	if (len < 4 || len % 4 != 0 || len / 4 * 3 > sizeof(tmp))
		return -1;
	pad = (p[len - 1] == '=') + (p[len - 2] == '=');
	/* '=' only as the padding at the end */
	if (p[len - 1] != '=' && pad != 0)
		return -1;
	if (memchr(p, '=', len - pad) != NULL)
		return -1;
	/* whole groups of four: 3 bytes out each, padding counted */
	if ((n = EVP_DecodeBlock(tmp, p, (int)len)) == -1 || n - pad <= 0 ||
	    n - pad > MESH_CERT_MAX)
		return -1;
	memcpy(out, tmp, n - pad);
	return n - pad;
}
