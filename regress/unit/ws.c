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
 * WebSocket framing (common/ws.c): RFC 6455's own examples (section
 * 5.7) and accept value (section 1.3), each length encoding at its
 * edges, masking in pieces, and every refusal the parser owes the RFC:
 * RSV bits, reserved opcodes, the wrong masking for the side, long or
 * fragmented control frames, lengths not in their shortest form, over
 * our limit, or with the top bit set, and bad close payloads.
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "http.h"
#include "tap.h"
#include "ws.h"

static const uint8_t mask[4] = { 0x37, 0xfa, 0x21, 0x3d };

/* parse a whole buffer and each of its prefixes: they all want more */
static ssize_t
parse_all(const uint8_t *p, size_t len, int side, struct ws_frame *f)
{
	const char	*why = NULL;
	size_t		 i;

	for (i = 0; i < len; i++)
		if (ws_parse(p, i, side, f, &why) != WS_MORE)
			return -2;
	return ws_parse(p, len, side, f, &why);
}

static int
refused(const uint8_t *p, size_t len, int side, const char *want)
{
	struct ws_frame	 f;
	const char	*why = NULL;

	if (ws_parse(p, len, side, &f, &why) != WS_BAD || why == NULL)
		return 0;
	if (strstr(why, want) == NULL) {
		diag("why: %s", why);
		return 0;
	}
	return 1;
}

static void
rfc_examples(void)
{
	/* a single-frame unmasked text message "Hello" */
	static const uint8_t hello[] = { 0x81, 0x05, 'H', 'e', 'l', 'l',
	    'o' };
	/* the same, masked */
	static const uint8_t mhello[] = { 0x81, 0x85, 0x37, 0xfa, 0x21,
	    0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	/* a fragmented text message "Hel" "lo" */
	static const uint8_t frag1[] = { 0x01, 0x03, 'H', 'e', 'l' };
	static const uint8_t frag2[] = { 0x80, 0x02, 'l', 'o' };
	struct ws_frame	f;
	uint8_t		buf[16];

	ok(parse_all(hello, sizeof(hello), WS_CLIENT, &f) == 7 && f.fin &&
	    f.opcode == WS_OP_TEXT && !f.masked && f.hdrlen == 2 &&
	    f.len == 5 && memcmp(hello + 2, "Hello", 5) == 0,
	    "5.7: unmasked \"Hello\" from a server");
	ok(parse_all(mhello, sizeof(mhello), WS_SERVER, &f) == 11 &&
	    f.masked && memcmp(f.mask, mask, 4) == 0 && f.hdrlen == 6,
	    "5.7: masked \"Hello\" from a client, its key read");
	memcpy(buf, mhello, sizeof(mhello));
	ws_unmask(buf + 6, 5, f.mask, 0);
	ok(memcmp(buf + 6, "Hello", 5) == 0, "and unmasked to \"Hello\"");
	ok(ws_parse(frag1, sizeof(frag1), WS_CLIENT, &f, NULL) == 5 &&
	    !f.fin && f.opcode == WS_OP_TEXT, "5.7: a first fragment");
	ok(ws_parse(frag2, sizeof(frag2), WS_CLIENT, &f, NULL) == 4 &&
	    f.fin && f.opcode == WS_OP_CONT, "5.7: the final continuation");
	ok(ws_build(buf, sizeof(buf), 1, WS_OP_TEXT, mask,
	    (const uint8_t *)"Hello", 5) == 11 &&
	    memcmp(buf, mhello, 11) == 0, "ws_build writes the masked example");
	ok(ws_build(buf, sizeof(buf), 1, WS_OP_TEXT, NULL,
	    (const uint8_t *)"Hello", 5) == 7 &&
	    memcmp(buf, hello, 7) == 0, "and the unmasked one");
}

static void
lengths(void)
{
	static uint8_t	payload[WS_PAYLOAD_MAX + 1], buf[WS_PAYLOAD_MAX + 32];
	static const size_t sizes[] = { 0, 125, 126, 1420, 65535, 65536,
	    WS_PAYLOAD_MAX };
	static const size_t hdrs[] = { 2, 2, 4, 4, 4, 10, 10 };
	struct ws_frame	f;
	size_t		i, j;
	ssize_t		n;
	int		good = 1;

	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		n = ws_build(buf, sizeof(buf), 1, WS_OP_BINARY, mask, payload,
		    sizes[i]);
		ok(n == (ssize_t)(hdrs[i] + 4 + sizes[i]) &&
		    ws_parse(buf, (size_t)n, WS_SERVER, &f, NULL) == n &&
		    f.len == sizes[i] && f.hdrlen == hdrs[i] + 4,
		    "%zu bytes: a %zu-byte header, parsed back", sizes[i],
		    hdrs[i] + 4);
		ok(ws_parse(buf, (size_t)n - 1, WS_SERVER, &f, NULL) ==
		    WS_MORE, "%zu bytes: one short wants more", sizes[i]);
		/* unmask in three uneven pieces */
		for (j = 0; j < sizes[i]; j += 3)
			ws_unmask(buf + f.hdrlen + j, sizes[i] - j < 3 ?
			    sizes[i] - j : 3, f.mask, j);
		if (memcmp(buf + f.hdrlen, payload, sizes[i]) != 0)
			good = 0;
	}
	ok(good, "payloads unmasked in pieces come back whole");
	ok(ws_build(buf, sizeof(buf), 1, WS_OP_BINARY, NULL, payload,
	    WS_PAYLOAD_MAX + 1) == -1, "ws_build refuses %d bytes",
	    WS_PAYLOAD_MAX + 1);
	ok(ws_build(buf, 10, 1, WS_OP_BINARY, NULL, payload, 9) == -1,
	    "ws_build refuses a frame one byte over its buffer");
	ok(ws_header(buf, 3, 1, WS_OP_BINARY, NULL, 200) == -1,
	    "ws_header refuses a header over its buffer");
}

static void
refusals(void)
{
	struct ws_frame	f;
	uint8_t		b[16];

	ok(refused((const uint8_t *)"\xc2\x80\0\0\0\0", 6, WS_SERVER, "RSV"),
	    "RSV1 without an extension");
	ok(refused((const uint8_t *)"\x83\x80\0\0\0\0", 6, WS_SERVER,
	    "reserved opcode"), "opcode 3 is reserved");
	ok(refused((const uint8_t *)"\x8b\x80\0\0\0\0", 6, WS_SERVER,
	    "reserved opcode"), "opcode 0xb is reserved");
	ok(refused((const uint8_t *)"\x82\x00", 2, WS_SERVER, "unmasked"),
	    "a server refuses an unmasked frame");
	ok(refused((const uint8_t *)"\x82\x80\0\0\0\0", 6, WS_CLIENT,
	    "masked"), "a client refuses a masked frame");
	ok(refused((const uint8_t *)"\x09\x80\0\0\0\0", 6, WS_SERVER,
	    "fragmented control"), "a ping without FIN");
	ok(refused((const uint8_t *)"\x89\xfe\x00\x7e", 4, WS_SERVER,
	    "control frame"), "a ping of 126 bytes");
	ok(refused((const uint8_t *)"\x82\xfe\x00\x7d", 4, WS_SERVER,
	    "not minimal"), "a 16-bit length under 126");
	memcpy(b, "\x82\xff\0\0\0\0\0\0\xff\xff", 10);
	ok(refused(b, 10, WS_SERVER, "not minimal"),
	    "a 64-bit length under 65536");
	memcpy(b, "\x82\xff\x80\0\0\0\0\0\0\0", 10);
	ok(refused(b, 10, WS_SERVER, "top bit"), "a 64-bit length with its "
	    "top bit set");
	memcpy(b, "\x82\xff\0\0\0\0\0\x02\0\0", 10);
	ok(refused(b, 10, WS_SERVER, "over"), "a frame of 128 KiB");
	ok(refused((const uint8_t *)"\x88\x81\0\0\0\0", 6, WS_SERVER,
	    "1 byte"), "a close frame of one byte");
	ok(ws_parse((const uint8_t *)"\x82\xfe", 2, WS_SERVER, &f, NULL) ==
	    WS_MORE, "a 16-bit length not yet there wants more");
	ok(ws_header(b, sizeof(b), 0, WS_OP_PING, NULL, 0) == -1,
	    "ws_header refuses a fragmented ping");
	ok(ws_header(b, sizeof(b), 1, WS_OP_PONG, NULL, 126) == -1,
	    "ws_header refuses a pong of 126 bytes");
	ok(ws_header(b, sizeof(b), 1, 0x3, NULL, 1) == -1,
	    "ws_header refuses a reserved opcode");
}

static void
closes(void)
{
	const char	*why;
	uint16_t	 code = 0;

	ok(ws_close_parse(NULL, 0, &code, &why) == 0 && code == 1005,
	    "an empty close: no status (1005)");
	ok(ws_close_parse((const uint8_t *)"\x03\xe8", 2, &code, &why) == 0 &&
	    code == 1000, "1000, no reason");
	ok(ws_close_parse((const uint8_t *)"\x03\xe8\xc3\xa9t\xc3\xa9", 7,
	    &code, &why) == 0, "1000 with a UTF-8 reason");
	ok(ws_close_parse((const uint8_t *)"\x03\xe8\xc3", 3, &code,
	    &why) == -1, "a reason cut inside a character");
	ok(ws_close_parse((const uint8_t *)"\x03\xe8\xed\xa0\x80", 5, &code,
	    &why) == -1, "a reason holding a surrogate");
	ok(ws_close_parse((const uint8_t *)"\x03\xed", 2, &code, &why) == -1,
	    "1005 may not be sent");
	ok(ws_close_parse((const uint8_t *)"\x03\xee", 2, &code, &why) == -1,
	    "1006 may not be sent");
	ok(ws_close_parse((const uint8_t *)"\x0b\xb8", 2, &code, &why) == 0 &&
	    code == 3000, "3000 (registered) is fine");
	ok(ws_close_parse((const uint8_t *)"\x13\x88", 2, &code, &why) == -1,
	    "5000 is not");
}

static void
accept_value(void)
{
	char	out[WS_ACCEPT_LEN + 1];
	const char *key = "dGhlIHNhbXBsZSBub25jZQ==";

	ok(ws_accept((const uint8_t *)key, strlen(key), out) == 0 &&
	    strcmp(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == 0,
	    "1.3: the accept value of the RFC's key");
	ok(!ws_key_valid((const uint8_t *)"dGhlIHNhbXBsZSBub25jZR==", 24),
	    "a key with bits past its 16 bytes is invalid");
	ok(!ws_key_valid((const uint8_t *)"dGhlIHNhbXBsZSBub25jZQ=", 23),
	    "a key of 23 characters is invalid");
	ok(!ws_key_valid((const uint8_t *)"dGhlIHNhbXBsZSBub2!jZQ==", 24),
	    "a key with a non-base64 character is invalid");
	ok(ws_accept((const uint8_t *)"short", 5, out) == -1,
	    "ws_accept refuses an invalid key");
}

static int
upgrade(const char *head, const char *want_why)
{
	struct http_req	 req;
	char		 acc[WS_ACCEPT_LEN + 1];
	const char	*why = NULL;
	int		 rc;

	if (http_parse_head((const uint8_t *)head, strlen(head), &req) <= 0)
		return 0;
	rc = ws_upgrade_check(&req, acc, &why);
	if (want_why == NULL)
		return rc == 0 &&
		    strcmp(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == 0;
	return rc == -1 && why != NULL && strstr(why, want_why) != NULL;
}

static void
handshake(void)
{
	char	out[256];

#define KEY	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
#define UPG	"Upgrade: websocket\r\nConnection: Upgrade\r\n"
	ok(upgrade("GET /chat HTTP/1.1\r\nHost: a\r\n" UPG KEY
	    "Sec-WebSocket-Version: 13\r\n\r\n", NULL),
	    "4.2.1: a client's handshake, its accept value");
	ok(upgrade("GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: WebSocket\r\n"
	    "Connection: keep-alive, Upgrade\r\n" KEY
	    "Sec-WebSocket-Version: 13\r\n\r\n", NULL),
	    "tokens in any case, among others");
	ok(upgrade("POST /chat HTTP/1.1\r\nHost: a\r\n" UPG KEY
	    "Sec-WebSocket-Version: 13\r\n\r\n", "GET"), "not a GET");
	ok(upgrade("GET /chat HTTP/1.0\r\nHost: a\r\n" UPG KEY
	    "Sec-WebSocket-Version: 13\r\n\r\n", "HTTP/1.0"), "HTTP/1.0");
	ok(upgrade("GET /chat HTTP/1.1\r\n" UPG KEY
	    "Sec-WebSocket-Version: 13\r\n\r\n", "Host"), "no Host");
	ok(upgrade("GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n"
	    KEY "Sec-WebSocket-Version: 13\r\n\r\n", "Upgrade"),
	    "no Upgrade");
	ok(upgrade("GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
	    KEY "Sec-WebSocket-Version: 13\r\n\r\n", "Connection"),
	    "no Connection: Upgrade");
	ok(upgrade("GET /chat HTTP/1.1\r\nHost: a\r\n" UPG KEY
	    "Sec-WebSocket-Version: 8\r\n\r\n", "Version"), "version 8");
	ok(upgrade("GET /chat HTTP/1.1\r\nHost: a\r\n" UPG KEY KEY
	    "Sec-WebSocket-Version: 13\r\n\r\n", "Key"), "two keys");
	ok(ws_upgrade_reply(out, sizeof(out), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
	    "meshd") > 0 && strcmp(out, "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	    "Sec-WebSocket-Protocol: meshd\r\n\r\n") == 0,
	    "the 101 answer");
	ok(ws_upgrade_reply(out, 40, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", NULL) ==
	    -1, "a 101 answer that does not fit");
}

int
main(void)
{
	handshake();
	rfc_examples();
	lengths();
	refusals();
	closes();
	accept_value();
	return tap_done();
}
