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
 * The HTTP/1.1 request head parser (http.h).  It reads the bytes in
 * order and refuses at the first one nginx would refuse, so that a head
 * cut short is "more" only while everything so far could still be a
 * request, and random bytes are refused at once, as nginx answers them.
 */

#include <sys/types.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "http.h"

/* a cursor over the head; bounded by the smaller of len and the limit */
struct cur {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
};

/* step results: 1 went on, 0 ran out of bytes, -1 refused */
#define MORE	0
#define BAD	(-1)

static int
bad(struct http_req *req, enum http_error e, const char *why)
{
	req->error = e;
	req->why = why;
	return BAD;
}

static int
is_upper_method(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
}

/* bytes of a target nginx accepts: printable ASCII and any high byte */
static int
is_target(uint8_t c)
{
	return c > 0x20 && c != 0x7f;
}

static int
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* the end of a line at c->off: CRLF or LF; 1, MORE, or BAD on a lone CR */
static int
line_end(struct cur *c, struct http_req *req)
{
	if (c->off >= c->len)
		return MORE;
	if (c->p[c->off] == '\n') {
		c->off++;
		return 1;
	}
	if (c->p[c->off] != '\r')
		return bad(req, HTTP_E_SYNTAX, "junk at the end of a line");
	if (c->off + 1 >= c->len)
		return MORE;
	if (c->p[c->off + 1] != '\n')
		return bad(req, HTTP_E_SYNTAX, "CR without LF");
	c->off += 2;
	return 1;
}

static void
skip_spaces(struct cur *c)
{
	while (c->off < c->len && c->p[c->off] == ' ')
		c->off++;
}

/* empty lines before the request line are skipped (RFC 9112 2.2) */
static void
skip_empty_lines(struct cur *c)
{
	for (;;) {
		if (c->off < c->len && c->p[c->off] == '\n')
			c->off++;
		else if (c->off + 1 < c->len && c->p[c->off] == '\r' &&
		    c->p[c->off + 1] == '\n')
			c->off += 2;
		else
			return;
	}
}

static int
parse_method(struct cur *c, struct http_req *req)
{
	req->method.off = c->off;
	while (c->off < c->len && is_upper_method(c->p[c->off]))
		c->off++;
	if (c->off >= c->len)
		return MORE;
	if (c->p[c->off] != ' ' || c->off == req->method.off)
		return bad(req, HTTP_E_SYNTAX, "bad method");
	req->method.len = c->off - req->method.off;
	skip_spaces(c);
	return c->off < c->len ? 1 : MORE;
}

/*
 * An absolute target: a scheme (a letter, then letters, digits, '+', '-'
 * or '.'; nginx takes any), "://", a host of letters, digits, dots and
 * dashes (or a bracketed IPv6 literal), an optional port, then the path,
 * which must be there.
 */
static int
parse_scheme(struct cur *c, struct http_req *req)
{
	static const char	sep[] = "://";
	size_t			i;
	uint8_t			ch;

	for (; c->off < c->len; c->off++) {
		ch = c->p[c->off] | 0x20;
		if (ch >= 'a' && ch <= 'z')
			continue;
		if (c->off > req->target.off && (is_digit(c->p[c->off]) ||
		    c->p[c->off] == '+' || c->p[c->off] == '-' ||
		    c->p[c->off] == '.'))
			continue;
		break;
	}
	if (c->off == req->target.off && c->off < c->len)
		return bad(req, HTTP_E_SYNTAX, "target neither a path nor "
		    "a URI");
	for (i = 0; i < 3; i++, c->off++) {
		if (c->off >= c->len)
			return MORE;
		if (c->p[c->off] != sep[i])
			return bad(req, HTTP_E_SYNTAX, "bad URI scheme");
	}
	return 1;
}

static int
parse_authority(struct cur *c, struct http_req *req)
{
	uint8_t	ch;
	int	rc;

	if ((rc = parse_scheme(c, req)) != 1)
		return rc;
	req->authority.off = c->off;
	for (; c->off < c->len; c->off++) {
		ch = c->p[c->off];
		if (ch == '/')
			break;
		if (!(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') &&
		    !is_digit(ch) && strchr(".-:[]_", ch) == NULL)
			return bad(req, HTTP_E_SYNTAX, "bad host in target");
	}
	if (c->off >= c->len)
		return MORE;
	req->authority.len = c->off - req->authority.off;
	if (req->authority.len == 0)
		return bad(req, HTTP_E_SYNTAX, "empty host in target");
	return 1;
}

static int
parse_target(struct cur *c, struct http_req *req)
{
	int	rc;

	req->target.off = c->off;
	if (c->p[c->off] != '/' && (rc = parse_authority(c, req)) != 1)
		return rc;
	req->path.off = c->off;
	while (c->off < c->len && is_target(c->p[c->off]))
		c->off++;
	if (c->off >= c->len)
		return MORE;
	if (c->p[c->off] != ' ' && c->p[c->off] != '\r' &&
	    c->p[c->off] != '\n')
		return bad(req, HTTP_E_SYNTAX, "control byte in target");
	req->target.len = c->off - req->target.off;
	req->path.len = c->off - req->path.off;
	return 1;
}

/* digits of a version number, at most max; none or more is refused */
static int
parse_number(struct cur *c, struct http_req *req, int *v, int max)
{
	size_t	start = c->off;

	*v = 0;
	while (c->off < c->len && is_digit(c->p[c->off])) {
		*v = *v * 10 + (c->p[c->off] - '0');
		if (*v > max)
			return bad(req, HTTP_E_SYNTAX, "version number too "
			    "large");
		c->off++;
	}
	if (c->off >= c->len)
		return MORE;
	if (c->off == start)
		return bad(req, HTTP_E_SYNTAX, "bad version");
	return 1;
}

/* "HTTP/" major "." minor, the major without a leading zero */
static int
parse_version(struct cur *c, struct http_req *req)
{
	static const char	 proto[] = "HTTP/";
	size_t			 n = sizeof(proto) - 1, left;
	int			 rc;

	left = c->len - c->off;
	if (memcmp(c->p + c->off, proto, left < n ? left : n) != 0)
		return bad(req, HTTP_E_SYNTAX, "bad protocol");
	if (left <= n)
		return MORE;
	c->off += n;
	if (c->p[c->off] < '1' || c->p[c->off] > '9')
		return bad(req, HTTP_E_SYNTAX, "bad major version");
	if ((rc = parse_number(c, req, &req->major, 999)) != 1)
		return rc;
	if (c->p[c->off] != '.')
		return bad(req, HTTP_E_SYNTAX, "bad version");
	c->off++;
	if (c->off >= c->len)
		return MORE;
	if ((rc = parse_number(c, req, &req->minor, 999)) != 1)
		return rc;
	skip_spaces(c);
	return line_end(c, req);
}

static int
parse_request_line(struct cur *c, struct http_req *req)
{
	int	rc;

	skip_empty_lines(c);
	if (c->off >= c->len)
		return MORE;
	if ((rc = parse_method(c, req)) != 1 ||
	    (rc = parse_target(c, req)) != 1)
		return rc;
	if (c->p[c->off] != ' ') {
		/* HTTP/0.9: the line holds no version, no headers follow */
		req->major = 0;
		req->minor = 9;
		return line_end(c, req);
	}
	skip_spaces(c);
	if (c->off >= c->len)
		return MORE;
	if (c->p[c->off] == '\r' || c->p[c->off] == '\n') {
		req->major = 0;
		req->minor = 9;
		return line_end(c, req);
	}
	return parse_version(c, req);
}

/*
 * A header name's bytes: letters, digits and '-' are kept; a control
 * byte, a blank or DEL is refused; anything else makes a header nginx
 * ignores (2).
 */
static int
name_byte(uint8_t ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    is_digit(ch) || ch == '-')
		return 1;
	if (ch <= 0x20 || ch == 0x7f)
		return 0;
	return 2;
}

/* the name up to the colon; *keep 0 if nginx would ignore the header */
static int
parse_name(struct cur *c, struct http_req *req, struct http_header *h,
    int *keep)
{
	int	k;

	h->name.off = c->off;
	*keep = 1;
	for (; c->off < c->len && c->p[c->off] != ':'; c->off++) {
		if ((c->p[c->off] == '\r' || c->p[c->off] == '\n') &&
		    c->off > h->name.off) {
			/* no colon: nginx ignores the line */
			*keep = 0;
			return 1;
		}
		if ((k = name_byte(c->p[c->off])) == 0)
			return bad(req, HTTP_E_SYNTAX, "bad byte in a header "
			    "name");
		if (k == 2)
			*keep = 0;
	}
	if (c->off >= c->len)
		return MORE;
	if (c->off == h->name.off)
		return bad(req, HTTP_E_SYNTAX, "empty header name");
	h->name.len = c->off - h->name.off;
	c->off++;
	return 1;
}

/* the value without blanks around it; NUL and a lone CR are refused */
static int
parse_value(struct cur *c, struct http_req *req, struct http_header *h)
{
	size_t	end;

	while (c->off < c->len && (c->p[c->off] == ' ' ||
	    c->p[c->off] == '\t'))
		c->off++;
	h->value.off = end = c->off;
	for (; c->off < c->len; c->off++) {
		if (c->p[c->off] == '\r' || c->p[c->off] == '\n')
			break;
		if (c->p[c->off] == '\0')
			return bad(req, HTTP_E_SYNTAX, "NUL in a header");
		if (c->p[c->off] != ' ' && c->p[c->off] != '\t')
			end = c->off + 1;
	}
	h->value.len = end - h->value.off;
	return line_end(c, req);
}

static int
parse_header(struct cur *c, struct http_req *req)
{
	struct http_header	h;
	int			keep, rc;

	if (c->p[c->off] == ' ' || c->p[c->off] == '\t')
		return bad(req, HTTP_E_SYNTAX, "folded header line");
	if ((rc = parse_name(c, req, &h, &keep)) != 1)
		return rc;
	if (!keep) {
		while (c->off < c->len && c->p[c->off] != '\r' &&
		    c->p[c->off] != '\n') {
			if (c->p[c->off] == '\0')
				return bad(req, HTTP_E_SYNTAX, "NUL in a "
				    "header");
			c->off++;
		}
		return line_end(c, req);
	}
	if ((rc = parse_value(c, req, &h)) != 1)
		return rc;
	if (req->nheaders < HTTP_MAX_HEADERS)
		req->h[req->nheaders++] = h;
	return 1;
}

/* the line starting at start has run out of bytes: too long, or more */
static ssize_t
out_of_bytes(struct cur *c, struct http_req *req, size_t start, size_t len,
    int first)
{
	enum http_error	e = first ? HTTP_E_URI_TOO_LONG :
			    HTTP_E_HEADER_TOO_LARGE;

	if (c->len - start >= HTTP_LINE_MAX)
		return bad(req, e, first ? "request line too long" :
		    "header line too long");
	if (len < HTTP_HEAD_MAX)
		return HTTP_MORE;
	return bad(req, e, first ? "request line too long" :
	    "request head too large");
}

static ssize_t
parse_headers(struct cur *c, struct http_req *req, size_t len)
{
	size_t	start;
	int	rc;

	for (;;) {
		start = c->off;
		if (c->off >= c->len)
			return out_of_bytes(c, req, start, len, 0);
		if (c->p[c->off] == '\r' || c->p[c->off] == '\n') {
			if ((rc = line_end(c, req)) == 1)
				break;
		} else if ((rc = parse_header(c, req)) == 1)
			continue;
		if (rc == BAD)
			return HTTP_BAD;
		return out_of_bytes(c, req, start, len, 0);
	}
	req->headlen = c->off;
	return (ssize_t)c->off;
}

ssize_t
http_parse_head(const uint8_t *buf, size_t len, struct http_req *req)
{
	struct cur	c;
	int		rc;

	memset(req, 0, sizeof(*req));
	req->buf = buf;
	c.p = buf;
	c.len = len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX;
	c.off = 0;
	if ((rc = parse_request_line(&c, req)) == BAD)
		return HTTP_BAD;
	if (rc == MORE)
		return out_of_bytes(&c, req, 0, len, 1);
	if (req->major > 1)
		return bad(req, HTTP_E_VERSION, "HTTP version not supported");
	if (req->major == 0) {
		req->headlen = c.off;
		return (ssize_t)c.off;
	}
	return parse_headers(&c, req, len);
}

int
http_span_eq(const struct http_req *req, struct http_span s, const char *str)
{
	return strlen(str) == s.len && memcmp(req->buf + s.off, str,
	    s.len) == 0;
}

int
http_span_caseeq(const struct http_req *req, struct http_span s,
    const char *str)
{
	return strlen(str) == s.len && strncasecmp((const char *)req->buf +
	    s.off, str, s.len) == 0;
}

int
http_header_find(const struct http_req *req, const char *name, size_t from)
{
	size_t	i;

	for (i = from; i < req->nheaders; i++)
		if (http_span_caseeq(req, req->h[i].name, name))
			return (int)i;
	return -1;
}

size_t
http_header_count(const struct http_req *req, const char *name)
{
	size_t	n = 0;
	int	i = -1;

	while ((i = http_header_find(req, name, (size_t)(i + 1))) != -1)
		n++;
	return n;
}

int
http_header_value(const struct http_req *req, const char *name,
    struct http_span *v)
{
	int	i;

	if ((i = http_header_find(req, name, 0)) == -1 ||
	    http_header_find(req, name, (size_t)i + 1) != -1)
		return -1;
	*v = req->h[i].value;
	return 0;
}

/* 1 if the comma-separated list in s holds token */
static int
list_has_token(const struct http_req *req, struct http_span s,
    const char *token)
{
	struct http_span	t;
	size_t			end = s.off + s.len, i = s.off;

	while (i < end) {
		while (i < end && (req->buf[i] == ' ' || req->buf[i] == '\t' ||
		    req->buf[i] == ','))
			i++;
		t.off = i;
		while (i < end && req->buf[i] != ',')
			i++;
		t.len = i - t.off;
		while (t.len > 0 && (req->buf[t.off + t.len - 1] == ' ' ||
		    req->buf[t.off + t.len - 1] == '\t'))
			t.len--;
		if (t.len > 0 && http_span_caseeq(req, t, token))
			return 1;
	}
	return 0;
}

int
http_header_has_token(const struct http_req *req, const char *name,
    const char *token)
{
	int	i = -1;

	while ((i = http_header_find(req, name, (size_t)(i + 1))) != -1)
		if (list_has_token(req, req->h[i].value, token))
			return 1;
	return 0;
}

const char *
http_error_name(enum http_error e)
{
	switch (e) {
	case HTTP_E_NONE:
		return "none";
	case HTTP_E_SYNTAX:
		return "bad request";
	case HTTP_E_URI_TOO_LONG:
		return "request line too long";
	case HTTP_E_HEADER_TOO_LARGE:
		return "request header too large";
	case HTTP_E_VERSION:
		return "HTTP version not supported";
	}
	return "unknown";
}
