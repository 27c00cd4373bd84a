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
 * The HTTP request head parser (common/http.c): a WebSocket upgrade
 * read field by field, every prefix of a head wanting more, the forms
 * nginx accepts (bare LF, leading empty lines, HTTP/0.9, an absolute
 * target, fields it ignores), each refusal with the answer it maps to,
 * and the limits: a line of 8192 bytes, a head of HTTP_HEAD_MAX.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "tap.h"

static const char upgrade[] =
    "GET /chat?x=1 HTTP/1.1\r\n"
    "Host: relay.example:443\r\n"
    "Upgrade: websocket\r\n"
    "Connection: keep-alive, Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "sec-websocket-version:13\r\n"
    "Sec-WebSocket-Protocol: meshd, chat  \r\n"
    "X-Two: a\r\n"
    "x-two: b\r\n"
    "\r\n"
    "body";

static ssize_t
parse(const char *s, struct http_req *req)
{
	return http_parse_head((const uint8_t *)s, strlen(s), req);
}

static int
value_is(const struct http_req *req, const char *name, const char *want)
{
	struct http_span	v;

	return http_header_value(req, name, &v) == 0 &&
	    http_span_eq(req, v, want);
}

static void
test_upgrade(void)
{
	struct http_req	req;
	size_t		i, headlen = strlen(upgrade) - 4;
	int		more = 1;

	ok(parse(upgrade, &req) == (ssize_t)headlen && req.headlen ==
	    headlen, "an upgrade head: %zu bytes, the body left", headlen);
	ok(http_span_eq(&req, req.method, "GET") &&
	    http_span_eq(&req, req.target, "/chat?x=1") &&
	    http_span_eq(&req, req.path, "/chat?x=1") &&
	    req.authority.len == 0 && req.major == 1 && req.minor == 1,
	    "method, target, path and version");
	ok(req.nheaders == 8, "8 fields");
	ok(value_is(&req, "host", "relay.example:443"), "Host, any case");
	ok(http_header_has_token(&req, "Connection", "upgrade") &&
	    http_header_has_token(&req, "Connection", "keep-alive") &&
	    !http_header_has_token(&req, "Connection", "close"),
	    "Connection tokens");
	ok(http_header_has_token(&req, "Upgrade", "WebSocket"),
	    "Upgrade: websocket");
	ok(value_is(&req, "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
	    "Sec-WebSocket-Key");
	ok(value_is(&req, "Sec-WebSocket-Version", "13"),
	    "Sec-WebSocket-Version without a blank after the colon");
	ok(value_is(&req, "Sec-WebSocket-Protocol", "meshd, chat") &&
	    http_header_has_token(&req, "Sec-WebSocket-Protocol", "chat"),
	    "Sec-WebSocket-Protocol, trailing blanks cut");
	ok(http_header_count(&req, "X-Two") == 2 &&
	    http_header_value(&req, "X-Two", &req.h[0].value) == -1,
	    "a field given twice: counted, no single value");
	ok(http_header_find(&req, "Nope", 0) == -1, "a missing field");
	for (i = 0; i < headlen; i++)
		if (http_parse_head((const uint8_t *)upgrade, i, &req) !=
		    HTTP_MORE)
			more = 0;
	ok(more, "every prefix of the head wants more");
}

static void
test_forms(void)
{
	struct http_req	req;

	ok(parse("GET / HTTP/1.0\nHost: a\n\n", &req) == 24 &&
	    req.minor == 0 && value_is(&req, "Host", "a"),
	    "bare LF line ends");
	ok(parse("\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", &req) > 0 &&
	    req.method.off == 3, "empty lines before the request skipped");
	ok(parse("GET /x\r\n", &req) == 8 && req.major == 0 &&
	    req.minor == 9 && req.nheaders == 0, "HTTP/0.9");
	ok(parse("GET  /   HTTP/1.1  \r\nHost: a\r\n\r\n", &req) > 0,
	    "extra spaces in the request line");
	ok(parse("GET http://Example.COM:8080/a/b?c HTTP/1.1\r\n\r\n",
	    &req) > 0 && http_span_eq(&req, req.authority,
	    "Example.COM:8080") && http_span_eq(&req, req.path, "/a/b?c"),
	    "an absolute target: authority and path");
	ok(parse("GET / HTTP/1.1\r\nX_Y: 1\r\nNoColon\r\nHost: a\r\n\r\n",
	    &req) > 0 && req.nheaders == 1 && value_is(&req, "Host", "a"),
	    "fields nginx ignores are skipped");
	ok(parse("GET / HTTP/1.999\r\n\r\n", &req) > 0 && req.minor == 999,
	    "minor version 999");
	ok(parse("GET /\xff\x80 HTTP/1.1\r\n\r\n", &req) > 0,
	    "high bytes in a target");
}

static void
refuse(const char *s, enum http_error e, const char *name)
{
	struct http_req	req;

	ok(parse(s, &req) == HTTP_BAD && req.error == e && req.why != NULL,
	    "%s: %s", name, http_error_name(e));
}

static void
test_refusals(void)
{
	refuse("get / HTTP/1.1\r\n\r\n", HTTP_E_SYNTAX, "a lower-case method");
	refuse("GET\t/ HTTP/1.1\r\n\r\n", HTTP_E_SYNTAX, "a tab after the "
	    "method");
	refuse("GET x HTTP/1.1\r\n\r\n", HTTP_E_SYNTAX, "a target without /");
	refuse("GET 1ftp://a/ HTTP/1.1\r\n\r\n", HTTP_E_SYNTAX, "a scheme "
	    "starting with a digit");
	refuse("GET http:/a/ HTTP/1.1\r\n\r\n", HTTP_E_SYNTAX, "one slash "
	    "after the scheme");
	refuse("GET http://a HTTP/1.1\r\n\r\n", HTTP_E_SYNTAX, "an http URI "
	    "without a path");
	refuse("GET /\x01 HTTP/1.1\r\n\r\n", HTTP_E_SYNTAX, "a control byte "
	    "in the target");
	refuse("GET / http/1.1\r\n\r\n", HTTP_E_SYNTAX, "lower-case http");
	refuse("GET / HTTP/01.1\r\n\r\n", HTTP_E_SYNTAX, "a leading zero");
	refuse("GET / HTTP/1.1000\r\n\r\n", HTTP_E_SYNTAX, "minor 1000");
	refuse("GET / HTTP/1.\r\n\r\n", HTTP_E_SYNTAX, "no minor");
	refuse("GET / HTTP/1.1x\r\n\r\n", HTTP_E_SYNTAX, "junk after the "
	    "version");
	refuse("GET / HTTP/2.0\r\n\r\n", HTTP_E_VERSION, "HTTP/2.0");
	refuse("GET / HTTP/1.1\rHost: a\r\n\r\n", HTTP_E_SYNTAX, "a lone CR");
	refuse("GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n", HTTP_E_SYNTAX,
	    "a folded line");
	refuse("GET / HTTP/1.1\r\nHost : a\r\n\r\n", HTTP_E_SYNTAX, "a blank "
	    "before the colon");
	refuse("GET / HTTP/1.1\r\n: a\r\n\r\n", HTTP_E_SYNTAX, "an empty name");
	refuse("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", HTTP_E_SYNTAX, "a CR in "
	    "a value");
	refuse("\x16\x03\x01\x00\xa5\x01", HTTP_E_SYNTAX, "a TLS ClientHello, "
	    "at its first byte");
}

static void
test_nul(void)
{
	static const uint8_t	nul[] = "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n";
	struct http_req		req;

	ok(http_parse_head(nul, sizeof(nul) - 1, &req) == HTTP_BAD &&
	    req.error == HTTP_E_SYNTAX, "a NUL in a value");
}

/* a request line or a header line of n bytes with its CRLF */
static char *
long_head(size_t n, int header)
{
	char	*s = malloc(n + 64), *p;

	if (s == NULL)
		abort();
	p = s;
	if (header) {
		p += sprintf(p, "GET / HTTP/1.1\r\nX: ");
		memset(p, 'a', n - 5);
		p += n - 5;
	} else {
		p += sprintf(p, "GET /");
		memset(p, 'a', n - 16);
		p += n - 16;
		p += sprintf(p, " HTTP/1.1");
	}
	strcpy(p, "\r\n");
	return s;
}

static void
test_limits(void)
{
	struct http_req	req;
	char		*s, big[HTTP_HEAD_MAX + 16];
	size_t		 i;

	/* the head's limit is the line's: room for a short field only */
	s = long_head(HTTP_LINE_MAX - 20, 0);
	strcat(s, "Host: a\r\n\r\n");
	ok(parse(s, &req) == HTTP_LINE_MAX - 20 + 11,
	    "a request line of %d bytes", HTTP_LINE_MAX - 20);
	free(s);
	s = long_head(HTTP_LINE_MAX + 1, 0);
	s[HTTP_LINE_MAX] = 'a';
	ok(parse(s, &req) == HTTP_BAD && req.error == HTTP_E_URI_TOO_LONG,
	    "one byte more: 414");
	free(s);
	s = long_head(HTTP_LINE_MAX + 1, 1);
	ok(parse(s, &req) == HTTP_BAD && req.error == HTTP_E_HEADER_TOO_LARGE,
	    "a header line over %d bytes", HTTP_LINE_MAX);
	free(s);
	i = (size_t)sprintf(big, "GET / HTTP/1.1\r\n");
	while (i + 8 < sizeof(big))
		i += (size_t)sprintf(big + i, "X: abc\r\n");
	ok(http_parse_head((const uint8_t *)big, i, &req) == HTTP_BAD &&
	    req.error == HTTP_E_HEADER_TOO_LARGE, "a head of %zu bytes", i);
	ok(http_parse_head((const uint8_t *)big, HTTP_HEAD_MAX - 1, &req) ==
	    HTTP_MORE, "cut at %d bytes it wants more", HTTP_HEAD_MAX - 1);
	i = (size_t)sprintf(big, "GET / HTTP/1.1\r\n");
	while (i < 1500)
		i += (size_t)sprintf(big + i, "X: abc\r\n");
	i += (size_t)sprintf(big + i, "Host: late\r\n\r\n");
	ok(http_parse_head((const uint8_t *)big, i, &req) == (ssize_t)i &&
	    req.nheaders == HTTP_MAX_HEADERS && http_header_find(&req,
	    "Host", 0) == -1, "fields past %d are checked, not kept",
	    HTTP_MAX_HEADERS);
}

int
main(void)
{
	test_upgrade();
	test_forms();
	test_refusals();
	test_nul();
	test_limits();
	return tap_done();
}
