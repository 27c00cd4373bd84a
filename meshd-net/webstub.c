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
 * TEMPORARY: a stand-in for common/http.c and common/web.c (h-web's)
 * until they are merged; this file goes then.
 */

#include <sys/types.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "web.h"

static const uint8_t	page[] = "<!DOCTYPE html>\n<html><body>"
			    "<h1>Welcome</h1></body></html>\n";
static const struct web_file	deffile = { "/index.html", page,
				    sizeof(page) - 1, 0 };

ssize_t
http_parse_head(const uint8_t *buf, size_t len, struct http_req *r)
{
	size_t	i, ls, e, c;

	memset(r, 0, sizeof(*r));
	r->buf = buf;
	for (e = 3; e < len && e < HTTP_HEAD_MAX; e++)
		if (memcmp(buf + e - 3, "\r\n\r\n", 4) == 0)
			break;
	if (e >= len)
		return len >= HTTP_HEAD_MAX ? HTTP_BAD : HTTP_MORE;
	r->headlen = e + 1;
	for (i = 0; i < e && buf[i] != ' '; i++)
		;
	r->method.len = i;
	r->target.off = i + 1;
	for (i++; i < e && buf[i] != ' '; i++)
		;
	r->target.len = i - r->target.off;
	r->major = r->minor = 1;
	for (; i < e && buf[i] != '\n'; i++)
		;
	for (ls = i + 1; ls < e && r->nheaders < HTTP_MAX_HEADERS; ls = i + 1) {
		for (i = ls; i < e && buf[i] != '\r'; i++)
			;
		for (c = ls; c < i && buf[c] != ':'; c++)
			;
		if (c == i)
			break;
		r->h[r->nheaders].name.off = ls;
		r->h[r->nheaders].name.len = c - ls;
		for (c++; c < i && buf[c] == ' '; c++)
			;
		r->h[r->nheaders].value.off = c;
		r->h[r->nheaders].value.len = i - c;
		r->nheaders++;
		i++;
	}
	return r->headlen;
}

int
http_span_eq(const struct http_req *r, struct http_span s, const char *str)
{
	return s.len == strlen(str) && memcmp(r->buf + s.off, str, s.len) == 0;
}

static int
find(const struct http_req *r, const char *name)
{
	size_t	i;

	for (i = 0; i < r->nheaders; i++)
		if (r->h[i].name.len == strlen(name) && strncasecmp(
		    (const char *)r->buf + r->h[i].name.off, name,
		    r->h[i].name.len) == 0)
			return i;
	return -1;
}

int
http_header_has_token(const struct http_req *r, const char *name,
    const char *tok)
{
	int	i;
	char	v[256];

	if ((i = find(r, name)) == -1 || r->h[i].value.len >= sizeof(v))
		return 0;
	memcpy(v, r->buf + r->h[i].value.off, r->h[i].value.len);
	v[r->h[i].value.len] = '\0';
	return strcasestr(v, tok) != NULL;
}

int
http_header_value(const struct http_req *r, const char *name,
    struct http_span *v)
{
	int	i;

	if ((i = find(r, name)) == -1)
		return -1;
	*v = r->h[i].value;
	return 0;
}

void
web_default_site(struct web_site *s)
{
	memset(s, 0, sizeof(*s));
	s->files = &deffile;
	s->nfiles = 1;
}

void
web_respond(const struct web_site *s, const struct http_req *r, size_t len,
    time_t now, struct web_resp *resp)
{
	int	ok = r->headlen > 0 && (http_span_eq(r, r->target, "/") ||
		    http_span_eq(r, r->target, "/index.html"));

	memset(resp, 0, sizeof(*resp));
	resp->status = ok ? 200 : 404;
	resp->headlen = snprintf(resp->head, sizeof(resp->head),
	    "HTTP/1.1 %s\r\nServer: nginx\r\nContent-Type: text/html\r\n"
	    "Content-Length: %zu\r\nConnection: keep-alive\r\n\r\n",
	    ok ? "200 OK" : "404 Not Found", ok ? sizeof(page) - 1 : 9);
	resp->body = ok ? page : (const uint8_t *)"not found";
	resp->bodylen = ok ? sizeof(page) - 1 : 9;
	resp->consumed = r->headlen > 0 ? r->headlen : len;
	resp->close = r->headlen == 0;
}
