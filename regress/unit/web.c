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
 * The relay's web face (common/web.c) without nginx at hand: the
 * answers a prober gets (status, the fields and their order, the body,
 * keep-alive or close), how much of the request each answer consumes,
 * the built-in site, content types, HTTP dates, and gzip bodies that
 * inflate back to the file.  regress/interop/web-nginx.t holds the same
 * answers against nginx itself, byte for byte.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "tap.h"
#include "web.h"
#include "web_local.h"

#define MTIME	1767323045	/* Fri, 02 Jan 2026 03:04:05 GMT */
#define NOW	1796542800	/* Sun, 06 Dec 2026 07:40:00 GMT */

static const uint8_t	page[] = "<html>hello</html>\n";
static struct web_file	files[] = {
	{ "/index.html", page, sizeof(page) - 1, MTIME, 0, NULL, 0 },
	{ "/sub/a.css", (const uint8_t *)"body{}\n", 7, MTIME, 0, NULL, 0 },
	{ "/empty", NULL, 0, MTIME, 1, NULL, 0 },
};
static struct web_site	site = { files, 3, 0, 8080, "127.0.0.1" };
static struct web_resp	r;

/* the answer as one string: head, then the body's pieces */
static const char *
answer(const struct web_site *s, const char *req)
{
	static char	out[WEB_HEAD_MAX + 8192];
	size_t		i, n;

	memset(out, 0, sizeof(out));
	if (!web_answer(s, (const uint8_t *)req, strlen(req), NOW, &r))
		return "(more)";
	memcpy(out, r.head, r.headlen);
	n = r.headlen;
	for (i = 0; i < r.nbody && n + r.body[i].len < sizeof(out); i++) {
		memcpy(out + n, r.body[i].p, r.body[i].len);
		n += r.body[i].len;
	}
	return out;
}

static int
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void
test_file(void)
{
	const char	*a;

	a = answer(&site, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
	if (!ok(strcmp(a, "HTTP/1.1 200 OK\r\nServer: nginx\r\n"
	    "Date: Sun, 06 Dec 2026 07:40:00 GMT\r\n"
	    "Content-Type: text/html\r\nContent-Length: 19\r\n"
	    "Last-Modified: Fri, 02 Jan 2026 03:04:05 GMT\r\n"
	    "Connection: keep-alive\r\nETag: \"695735a5-13\"\r\n"
	    "Accept-Ranges: bytes\r\n\r\n<html>hello</html>\n") == 0 &&
	    !r.close, "GET /: the index, nginx's fields in its order"))
		diag("%s", a);
	a = answer(&site, "HEAD /sub/a.css HTTP/1.0\r\n\r\n");
	ok(strstr(a, "Content-Type: text/css\r\nContent-Length: 7\r\n") &&
	    strstr(a, "Connection: close\r\n") && r.nbody == 0 && r.close,
	    "HEAD over HTTP/1.0: text/css, no body, close");
	a = answer(&site, "GET / HTTP/1.1\r\nHost: a\r\n"
	    "If-None-Match: W/\"695735a5-13\"\r\n\r\n");
	ok(starts(a, "HTTP/1.1 304 Not Modified\r\n") && r.bodylen == 0 &&
	    strstr(a, "Content-Type") == NULL, "304 on a weak ETag match");
	a = answer(&site, "GET /index.html HTTP/1.1\r\nHost: a\r\n"
	    "Range: bytes=-4\r\n\r\n");
	ok(starts(a, "HTTP/1.1 206 Partial Content\r\n") &&
	    strstr(a, "Content-Range: bytes 15-18/19\r\n\r\nml>\n"),
	    "206 for the last 4 bytes");
	a = answer(&site, "GET /index.html HTTP/1.1\r\nHost: a\r\n"
	    "Range: bytes=19-\r\n\r\n");
	ok(starts(a, "HTTP/1.1 416 ") &&
	    strstr(a, "Content-Range: bytes */19\r\n"), "416 past the end");
	a = answer(&site, "GET /index.html HTTP/1.1\r\nHost: a\r\n"
	    "If-Match: \"x\"\r\n\r\n");
	ok(starts(a, "HTTP/1.1 412 ") && strstr(a, "keep-alive") && r.close,
	    "412 says keep-alive and closes, as nginx does");
}

static void
test_errors(void)
{
	const char	*a;

	a = answer(&site, "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n");
	ok(starts(a, "HTTP/1.1 404 Not Found\r\n") &&
	    strstr(a, "<center><h1>404 Not Found</h1></center>\r\n"
	    "<hr><center>nginx</center>") && !r.close,
	    "404 with nginx's page, kept alive");
	a = answer(&site, "GET /sub?x=1 HTTP/1.1\r\n"
	    "Host: A.Example.:9\r\n\r\n");
	ok(starts(a, "HTTP/1.1 301 ") && strstr(a,
	    "Location: http://a.example:8080/sub/?x=1\r\nConnection:"),
	    "301 to the directory, host as nginx writes it");
	a = answer(&site, "GET /empty/ HTTP/1.1\r\nHost: a\r\n\r\n");
	ok(starts(a, "HTTP/1.1 403 "), "403 on a directory without index");
	a = answer(&site, "DELETE /index.html HTTP/1.1\r\nHost: a\r\n\r\n");
	ok(starts(a, "HTTP/1.1 405 Not Allowed\r\n"), "405 on DELETE");
	a = answer(&site, "DELETE /nope HTTP/1.1\r\nHost: a\r\n\r\n");
	ok(starts(a, "HTTP/1.1 404 "), "404 on DELETE of nothing");
	a = answer(&site, "\x16\x03\x01\x02\x00\x01");
	ok(starts(a, "HTTP/1.1 400 Bad Request\r\n") &&
	    strstr(a, "Connection: close\r\n") && r.close,
	    "a TLS ClientHello: 400 and close");
	ok(strcmp(answer(&site, "GET / HTTP/1.1\r\nHost: a\r\n"), "(more)") ==
	    0, "a head cut short: more");
	a = answer(&site, "GET /nope\r\n");
	ok(starts(a, "<html>") && r.headlen == 0 && r.close,
	    "HTTP/0.9: the page alone, then close");
	a = answer(&site, "GET /nope HTTP/1.1\r\nHost: a\r\n"
	    "User-Agent: x Chrome/120 y\r\n\r\n");
	ok(strstr(a, "Content-Length: 548\r\n") && r.nbody == 2,
	    "Chrome gets nginx's padding after the page");
}

static void
test_body(void)
{
	static const char	pipe[] = "GET / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 10\r\n\r\n12345";
	static const char	chunked[] = "GET / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET";

	answer(&site, pipe);
	ok(r.consumed == strlen(pipe) && r.discard == 5 && !r.close,
	    "a body half here: 5 bytes consumed, 5 to discard");
	answer(&site, chunked);
	ok(r.consumed == strlen(chunked) - 3 && r.discard == 0,
	    "a whole chunked body consumed, the next request left");
	answer(&site, "GET / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n3\r\nab");
	ok(r.close, "a chunked body cut short: close after the answer");
	answer(&site, "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
	    "Content-Length: 2\r\n\r\n");
	ok(starts(r.head, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK"),
	    "Expect: 100-continue before a file");
}

/* inflate a chunked gzip body and compare it to want */
static int
gunzip_is(const uint8_t *p, size_t len, const uint8_t *want, size_t wlen)
{
	static uint8_t	z[1 << 20], plain[1 << 20];
	z_stream	s;
	size_t		off = 0, n = 0, c;
	char		*end;
	int		rc;

	while (off < len &&
	    (c = strtoul((const char *)p + off, &end, 16)) > 0) {
		off = (const uint8_t *)end - p + 2;
		memcpy(z + n, p + off, c);
		n += c;
		off += c + 2;
	}
	memset(&s, 0, sizeof(s));
	if (inflateInit2(&s, 16 + 15) != Z_OK)
		return 0;
	s.next_in = z;
	s.avail_in = (uInt)n;
	s.next_out = plain;
	s.avail_out = sizeof(plain);
	rc = inflate(&s, Z_FINISH);
	inflateEnd(&s);
	return rc == Z_STREAM_END && s.total_out == wlen &&
	    memcmp(plain, want, wlen) == 0;
}

static void
test_gzip(void)
{
	static uint8_t	big[200000], gz[220000];
	struct web_site	def;
	const char	*a;
	ssize_t		n;
	size_t		i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = "abcdefgh <p>\n"[(i * i + i / 7) % 13];
	n = web_gzip(big, sizeof(big), gz, sizeof(gz));
	ok(n > 0 && gunzip_is(gz, (size_t)n, big, sizeof(big)),
	    "200 KB gzipped in chunks inflate back");
	ok(web_gzip(big, sizeof(big), gz, web_gzip_bound(sizeof(big)) - 1) ==
	    -1, "web_gzip refuses a buffer under its bound");
	ok(web_gzip_wanted("/a.html", 20) && !web_gzip_wanted("/a.html", 19) &&
	    !web_gzip_wanted("/a.css", 100), "text/html of 20 bytes or more");
	web_default_site(&def, MTIME);
	def.port = 443;
	def.https = 1;
	a = answer(&def, "GET / HTTP/1.1\r\nHost: a\r\n"
	    "Accept-Encoding: gzip, deflate\r\n\r\n");
	ok(strstr(a, "Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n"
	    "ETag: W/\"695735a5-267\"\r\nContent-Encoding: gzip\r\n\r\n") &&
	    r.nbody == 1 && gunzip_is(r.body[0].p, r.body[0].len,
	    def.files[0].data, def.files[0].len),
	    "the built-in page, gzipped, inflates to itself");
	ok(strstr(def.files[0].data ? (const char *)def.files[0].data : "",
	    "<title>Welcome to nginx!</title>") != NULL,
	    "the built-in page is Debian's welcome page");
	a = answer(&def, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
	ok(starts(a, "HTTP/1.1 404 "), "and nothing else is there");
}

static void
test_helpers(void)
{
	char	d[WEB_DATE_LEN + 1];

	web_http_date(784111777, d);
	ok(strcmp(d, "Sun, 06 Nov 1994 08:49:37 GMT") == 0,
	    "RFC 9110's date, written");
	ok(web_parse_date("Sun, 06 Nov 1994 08:49:37 GMT", 29) == 784111777 &&
	    web_parse_date("Sunday, 06-Nov-94 08:49:37 GMT", 30) == 784111777 &&
	    web_parse_date("Sun Nov  6 08:49:37 1994", 24) == 784111777,
	    "and read in its three forms");
	ok(web_parse_date("yesterday", 9) == -1, "junk is no date");
	ok(strcmp(web_mime_type("/a/b.CSS"), "text/css") == 0 &&
	    strcmp(web_mime_type("/x.woff2"), "font/woff2") == 0 &&
	    strcmp(web_mime_type("/README"), "application/octet-stream") ==
	    0 && strcmp(web_mime_type("/.profile"),
	    "application/octet-stream") == 0 &&
	    strcmp(web_mime_type("/a.b/c"), "application/octet-stream") == 0,
	    "content types as nginx's mime.types");
}

int
main(void)
{
	test_file();
	test_errors();
	test_body();
	test_gzip();
	test_helpers();
	return tap_done();
}
