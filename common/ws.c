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
 * WebSocket framing and the handshake's accept value (ws.h).  Every
 * field is read at its offset after the bytes were counted.
 */

#include <sys/types.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "byteorder.h"
#include "http.h"
#include "why.h"
#include "ws.h"

/* RFC 6455 section 1.3 */
#define WS_GUID		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* the length field and the bytes it takes: 0, 2 or 8 after byte 1 */
static ssize_t
ws_parse_len(const uint8_t *p, size_t len, uint64_t *plen, const char **why)
{
	uint8_t	l7 = p[1] & 0x7f;

	if (l7 < 126) {
		*plen = l7;
		return 0;
	}
	if (l7 == 126) {
		if (len < 4)
			return WS_MORE;
		*plen = get_be16(p + 2);
		if (*plen < 126)
			return why_fail(why, "16-bit length %llu not minimal",
			    (unsigned long long)*plen);
		return 2;
	}
	if (len < 10)
		return WS_MORE;
	*plen = (uint64_t)get_be32(p + 2) << 32 | get_be32(p + 6);
	if (*plen >> 63)
		return why_fail(why, "64-bit length with its top bit set");
	if (*plen < 65536)
		return why_fail(why, "64-bit length %llu not minimal",
		    (unsigned long long)*plen);
	return 8;
}

/* the first byte's rules: no extensions, known opcodes, whole control */
static int
ws_check_op(uint8_t b0, const char **why)
{
	uint8_t	op = b0 & 0x0f;

	if (b0 & 0x70)
		return why_fail(why, "RSV bits 0x%02x set without an "
		    "extension", b0 & 0x70);
	if ((op > WS_OP_BINARY && op < WS_OP_CLOSE) || op > WS_OP_PONG)
		return why_fail(why, "reserved opcode 0x%x", op);
	if (WS_OP_IS_CONTROL(op) && !(b0 & 0x80))
		return why_fail(why, "fragmented control frame (opcode 0x%x)",
		    op);
	return 0;
}

static int
ws_check_len(uint8_t op, uint64_t plen, const char **why)
{
	if (WS_OP_IS_CONTROL(op) && plen > WS_CONTROL_MAX)
		return why_fail(why, "control frame of %llu bytes",
		    (unsigned long long)plen);
	if (op == WS_OP_CLOSE && plen == 1)
		return why_fail(why, "close frame of 1 byte");
	if (plen > WS_PAYLOAD_MAX)
		return why_fail(why, "frame of %llu bytes over %u",
		    (unsigned long long)plen, WS_PAYLOAD_MAX);
	return 0;
}

ssize_t
ws_parse(const uint8_t *p, size_t len, int side, struct ws_frame *f,
    const char **why)
{
	uint64_t	plen;
	ssize_t		ext;
	size_t		hdr;

	memset(f, 0, sizeof(*f));
	if (len < 2)
		return WS_MORE;
	if (ws_check_op(p[0], why) == -1)
		return WS_BAD;
	f->fin = (p[0] & 0x80) != 0;
	f->opcode = p[0] & 0x0f;
	f->masked = (p[1] & 0x80) != 0;
	if (side == WS_SERVER && !f->masked)
		return why_fail(why, "unmasked frame from a client");
	if (side == WS_CLIENT && f->masked)
		return why_fail(why, "masked frame from a server");
	if ((ext = ws_parse_len(p, len, &plen, why)) < 0)
		return ext;
	if (ext == 0 && (p[1] & 0x7f) >= 126)
		return WS_MORE;
	if (ws_check_len(f->opcode, plen, why) == -1)
		return WS_BAD;
	hdr = 2 + (size_t)ext + (f->masked ? 4 : 0);
	if (len < hdr)
		return WS_MORE;
	if (f->masked)
		memcpy(f->mask, p + 2 + ext, 4);
	f->hdrlen = hdr;
	f->len = (size_t)plen;
	if (len - hdr < f->len)
		return WS_MORE;
	return (ssize_t)(hdr + f->len);
}

void
ws_unmask(uint8_t *p, size_t len, const uint8_t mask[4], size_t off)
{
	size_t	i;

	for (i = 0; i < len; i++)
		p[i] ^= mask[(off + i) & 3];
}

ssize_t
ws_header(uint8_t *out, size_t outlen, int fin, uint8_t op,
    const uint8_t *mask, size_t len)
{
	size_t	hdr, ext;

	if (ws_check_op((fin ? 0x80 : 0) | (op & 0x0f), NULL) == -1 ||
	    op > 0x0f || ws_check_len(op, len, NULL) == -1)
		return -1;
	ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
	hdr = 2 + ext + (mask != NULL ? 4 : 0);
	if (outlen < hdr)
		return -1;
	out[0] = (fin ? 0x80 : 0) | op;
	out[1] = (mask != NULL ? 0x80 : 0) |
	    (ext == 0 ? len : ext == 2 ? 126 : 127);
	if (ext == 2)
		put_be16(out + 2, (uint16_t)len);
	else if (ext == 8) {
		put_be32(out + 2, 0);
		put_be32(out + 6, (uint32_t)len);
	}
	if (mask != NULL)
		memcpy(out + 2 + ext, mask, 4);
	return (ssize_t)hdr;
}

ssize_t
ws_build(uint8_t *out, size_t outlen, int fin, uint8_t op,
    const uint8_t *mask, const uint8_t *payload, size_t len)
{
	ssize_t	hdr;

	if ((hdr = ws_header(out, outlen, fin, op, mask, len)) == -1 ||
	    outlen - (size_t)hdr < len)
		return -1;
	if (len > 0)
		memmove(out + hdr, payload, len);
	if (mask != NULL)
		ws_unmask(out + hdr, len, mask, 0);
	return hdr + (ssize_t)len;
}

/* the length of one UTF-8 sequence at p (RFC 3629), or 0 if invalid */
static size_t
utf8_seq(const uint8_t *p, size_t len)
{
	size_t		n, i;
	uint32_t	c;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, c = p[0] & 0x07;
	else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	/* overlong forms, surrogates, past U+10FFFF */
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	return n;
}

static int
utf8_valid(const uint8_t *p, size_t len)
{
	size_t	n;

	while (len > 0) {
		if ((n = utf8_seq(p, len)) == 0)
			return 0;
		p += n;
		len -= n;
	}
	return 1;
}

/* codes a peer may put in a close frame (section 7.4) */
static int
ws_close_code_ok(uint16_t code)
{
	if (code >= 3000 && code <= 4999)
		return 1;
	switch (code) {
	case 1000: case 1001: case 1002: case 1003:
	case 1007: case 1008: case 1009: case 1010: case 1011:
		return 1;
	}
	return 0;
}

int
ws_close_parse(const uint8_t *p, size_t len, uint16_t *code,
    const char **why)
{
	if (len == 0) {
		*code = 1005;
		return 0;
	}
	if (len < 2)
		return why_fail(why, "close payload of 1 byte");
	if (len > WS_CONTROL_MAX)
		return why_fail(why, "close payload of %zu bytes", len);
	*code = get_be16(p);
	if (!ws_close_code_ok(*code))
		return why_fail(why, "close code %u not to be sent", *code);
	if (!utf8_valid(p + 2, len - 2))
		return why_fail(why, "close reason not UTF-8");
	return 0;
}

/*
 * 16 bytes in base64 are 22 characters, the last holding 2 bits of data
 * and 4 zero bits (so one of A, Q, g, w), then "==".
 */
int
ws_key_valid(const uint8_t *k, size_t len)
{
	size_t	i;

	if (len != WS_KEY_LEN || k[22] != '=' || k[23] != '=')
		return 0;
	for (i = 0; i < 22; i++)
		if (k[i] == '\0' || strchr(b64, k[i]) == NULL)
			return 0;
	return strchr("AQgw", k[21]) != NULL;
}

int
ws_accept(const uint8_t *key, size_t len, char out[WS_ACCEPT_LEN + 1])
{
	EVP_MD_CTX	*ctx;
	uint8_t		 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	int		 ok;

	if (!ws_key_valid(key, len) || (ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, key, len) == 1 &&
	    EVP_DigestUpdate(ctx, WS_GUID, sizeof(WS_GUID) - 1) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 20;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	/* 20 bytes make 28 characters and a NUL */
	EVP_EncodeBlock((unsigned char *)out, md, 20);
	return 0;
}

int
ws_upgrade_check(const struct http_req *req, char accept[WS_ACCEPT_LEN + 1],
    const char **why)
{
	struct http_span	v;

	if (!http_span_eq(req, req->method, "GET"))
		return why_fail(why, "upgrade: not a GET");
	if (req->major != 1 || req->minor < 1)
		return why_fail(why, "upgrade: HTTP/%d.%d", req->major,
		    req->minor);
	if (http_header_value(req, "Host", &v) == -1)
		return why_fail(why, "upgrade: no single Host");
	if (!http_header_has_token(req, "Upgrade", "websocket"))
		return why_fail(why, "upgrade: no Upgrade: websocket");
	if (!http_header_has_token(req, "Connection", "upgrade"))
		return why_fail(why, "upgrade: no Connection: Upgrade");
	if (http_header_value(req, "Sec-WebSocket-Version", &v) == -1 ||
	    !http_span_eq(req, v, "13"))
		return why_fail(why, "upgrade: Sec-WebSocket-Version not 13");
	if (http_header_value(req, "Sec-WebSocket-Key", &v) == -1 ||
	    ws_accept(req->buf + v.off, v.len, accept) == -1)
		return why_fail(why, "upgrade: no valid Sec-WebSocket-Key");
	return 0;
}

ssize_t
ws_upgrade_reply(char *out, size_t len, const char *accept,
    const char *protocol)
{
	int	n;

	n = snprintf(out, len, "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n%s%s%s\r\n", accept,
	    protocol != NULL ? "Sec-WebSocket-Protocol: " : "",
	    protocol != NULL ? protocol : "", protocol != NULL ? "\r\n" : "");
	if (n < 0 || (size_t)n >= len)
		return -1;
	return n;
}
