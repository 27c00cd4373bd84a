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
 * WebSocket framing (common/ws.c) on a stream's bytes.  The first input
 * byte picks the side that reads (even: a server reading a client's
 * frames, odd: a client), the rest is the stream.
 *
 * Checked besides memory safety: a parsed frame lies inside the input,
 * keeps the RFC's rules (control frames whole and short, the side's
 * masking) and our limit; built again from its fields and unmasked
 * payload it gives back exactly the input's bytes (so the parser takes
 * only shortest lengths); every prefix of it wants more; a close
 * payload that parses has a code a peer may send.  A key that
 * ws_key_valid() takes gets an accept value of 28 base64 characters.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ws.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_quiet();
	return 0;
}

static void
check_rules(const struct ws_frame *f, int side, size_t n, size_t len)
{
	if (n > len || n != f->hdrlen + f->len || f->len > WS_PAYLOAD_MAX)
		abort();
	if (f->masked != (side == WS_SERVER))
		abort();
	if (WS_OP_IS_CONTROL(f->opcode) && (!f->fin ||
	    f->len > WS_CONTROL_MAX))
		abort();
	if ((f->opcode > WS_OP_BINARY && f->opcode < WS_OP_CLOSE) ||
	    f->opcode > WS_OP_PONG)
		abort();
}

static void
check_rebuild(const uint8_t *p, const struct ws_frame *f, size_t n)
{
	static uint8_t	payload[WS_PAYLOAD_MAX], out[WS_PAYLOAD_MAX +
			    WS_HDR_MAX];
	const char	*why;
	uint16_t	 code;
	ssize_t		 m;

	memcpy(payload, p + f->hdrlen, f->len);
	if (f->masked)
		ws_unmask(payload, f->len, f->mask, 0);
	m = ws_build(out, sizeof(out), f->fin, f->opcode,
	    f->masked ? f->mask : NULL, payload, f->len);
	if (m != (ssize_t)n || memcmp(out, p, n) != 0)
		abort();
	if (f->opcode == WS_OP_CLOSE &&
	    ws_close_parse(payload, f->len, &code, &why) == 0 &&
	    !(code == 1005 && f->len == 0) && (code < 1000 || code > 4999 ||
	    code == 1005 || code == 1006 || code == 1015))
		abort();
}

static void
check_key(const uint8_t *p, size_t len)
{
	char	out[WS_ACCEPT_LEN + 1];

	if (len < WS_KEY_LEN || !ws_key_valid(p, WS_KEY_LEN))
		return;
	if (ws_accept(p, WS_KEY_LEN, out) != 0 ||
	    strlen(out) != WS_ACCEPT_LEN)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct ws_frame	 f, g;
	const char	*why = NULL;
	ssize_t		 n;
	size_t		 i;
	int		 side;

	if (len < 1)
		return 0;
	side = (data[0] & 1) ? WS_CLIENT : WS_SERVER;
	data++;
	len--;
	check_key(data, len);
	n = ws_parse(data, len, side, &f, &why);
	if (n == WS_BAD) {
		if (why == NULL || *why == '\0')
			abort();
		return 0;
	}
	if (n == WS_MORE)
		return 0;
	check_rules(&f, side, (size_t)n, len);
	check_rebuild(data, &f, (size_t)n);
	for (i = 0; i < (size_t)n; i += 1 + i / 8)
		if (ws_parse(data, i, side, &g, NULL) != WS_MORE)
			abort();
	return 0;
}
