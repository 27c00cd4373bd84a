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
 * The web face (web.h): from a parsed head to what nginx would do with
 * it.  The steps follow nginx's: the request line and its URI, then the
 * header fields one by one in their order (a duplicate Host stops at
 * once), then the checks on the whole head, then the location (Debian's
 * default site: try_files $uri $uri/ =404, the index files), then the
 * static file with its conditions and ranges (web_resp.c).
 */

#include <sys/types.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "web.h"
#include "web_local.h"

/* Debian's default site: index index.html index.htm index.nginx-debian.html */
static const char *indexes[] = {
	"index.html", "index.htm", "index.nginx-debian.html"
};

static enum web_method
method_of(const struct http_req *req)
{
	if (http_span_eq(req, req->method, "GET"))
		return M_GET;
	if (http_span_eq(req, req->method, "HEAD"))
		return M_HEAD;
	if (http_span_eq(req, req->method, "POST"))
		return M_POST;
	if (http_span_eq(req, req->method, "TRACE"))
		return M_TRACE;
	if (http_span_eq(req, req->method, "CONNECT"))
		return M_CONNECT;
	return M_OTHER;
}

static int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* percent-decode p[0..len) into out; -1 on a bad escape or a NUL */
static int
uri_decode(const uint8_t *p, size_t len, char *out, size_t *outlen)
{
	size_t	i, n = 0;
	int	hi, lo;

	for (i = 0; i < len; i++) {
		if (p[i] != '%') {
			out[n++] = (char)p[i];
			continue;
		}
		if (i + 2 >= len)
			return -1;
		if ((hi = hexval(p[i + 1])) == -1 ||
		    (lo = hexval(p[i + 2])) == -1 || (hi == 0 && lo == 0))
			return -1;
		out[n++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[n] = '\0';
	*outlen = n;
	return 0;
}

/*
 * Merge slashes and resolve "." and ".." in place, as nginx does after
 * decoding; -1 if ".." climbs above the root.  A trailing "." or ".."
 * leaves a trailing slash.
 */
static int
uri_resolve(char *s, size_t *len)
{
	size_t	i = 0, o = 0, seg;

	while (i < *len) {
		if (s[i] == '/') {
			if (o == 0 || s[o - 1] != '/')
				s[o++] = '/';
			i++;
			continue;
		}
		seg = strcspn(s + i, "/");
		if (seg == 1 && s[i] == '.') {
			i += 1;
			if (i < *len)
				i++;
			continue;
		}
		if (seg == 2 && s[i] == '.' && s[i + 1] == '.') {
			if (o <= 1)
				return -1;
			for (o--; o > 0 && s[o - 1] != '/'; o--)
				;
			i += 2;
			if (i < *len)
				i++;
			continue;
		}
		memmove(s + o, s + i, seg);
		o += seg;
		i += seg;
	}
	s[o] = '\0';
	*len = o;
	return 0;
}

/* the path of the target, without query and fragment, made plain */
static int
web_uri(struct web_req *w)
{
	const struct http_req	*req = w->req;
	const uint8_t		*p = req->buf + req->path.off;
	size_t			 n, q;

	n = 0;
	while (n < req->path.len && p[n] != '?' && p[n] != '#')
		n++;
	if (n < req->path.len && p[n] == '?') {
		q = n + 1;
		while (q < req->path.len && p[q] != '#')
			q++;
		w->args.off = req->path.off + n + 1;
		w->args.len = q - (n + 1);
	}
	if (uri_decode(p, n, w->path, &w->pathlen) == -1 ||
	    uri_resolve(w->path, &w->pathlen) == -1)
		return -1;
	return 0;
}

/*
 * A host as nginx takes it (ngx_http_validate_host): lower case, the
 * port and a trailing dot cut off; "..", '/' and NUL refused.
 */
static int
web_host(struct web_req *w, const uint8_t *p, size_t len)
{
	size_t	i, end = len;
	int	in_brackets = 0;
	uint8_t	c;

	for (i = 0; i < len; i++) {
		c = p[i];
		if (c == '.' && i > 0 && p[i - 1] == '.')
			return -1;
		if (c == '/' || c == '\0')
			return -1;
		if (c == '[' && i == 0)
			in_brackets = 1;
		else if (c == ']')
			in_brackets = 0;
		else if (c == ':' && !in_brackets && end == len)
			end = i;
	}
	if (end > 0 && p[end - 1] == '.')
		end--;
	if (end == 0 || end >= sizeof(w->host))
		return -1;
	for (i = 0; i < end; i++)
		w->host[i] = (p[i] >= 'A' && p[i] <= 'Z') ? p[i] | 0x20 :
		    (char)p[i];
	w->host[end] = '\0';
	w->has_host = 1;
	return 0;
}

/* a substring, ignoring case (nginx's ngx_strcasestrn) */
static int
span_has(const struct http_req *req, struct http_span s, const char *what)
{
	size_t	n = strlen(what), i;

	for (i = 0; i + n <= s.len; i++)
		if (strncasecmp((const char *)req->buf + s.off + i, what,
		    n) == 0)
			return 1;
	return 0;
}

static int
span_has_cs(const struct http_req *req, struct http_span s, const char *what)
{
	size_t	n = strlen(what), i;

	for (i = 0; i + n <= s.len; i++)
		if (memcmp(req->buf + s.off + i, what, n) == 0)
			return 1;
	return 0;
}

/* nginx's browser guess: its error pages get padding for two of them */
static void
web_user_agent(struct web_req *w, struct http_span ua)
{
	const struct http_req	*req = w->req;
	size_t			 i;
	int			 msie = 0;

	for (i = 0; i + 5 <= ua.len; i++)
		if (memcmp(req->buf + ua.off + i, "MSIE ", 5) == 0) {
			msie = i + 7 < ua.len;
			break;
		}
	if (span_has_cs(req, ua, "Opera"))
		return;
	if (msie) {
		w->pad = 1;
		return;
	}
	if (!span_has_cs(req, ua, "Gecko/") && span_has_cs(req, ua, "Chrome/"))
		w->pad = 1;
}

/* the fields nginx keeps one of and refuses twice */
static int
unique_header(const struct http_req *req, struct http_span name)
{
	static const char	*u[] = { "Host", "If-Modified-Since",
	    "If-Unmodified-Since", "Content-Length", "Content-Range",
	    "If-Range", "Transfer-Encoding", "Expect", "Authorization" };
	size_t			 i;

	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		if (http_span_caseeq(req, name, u[i]))
			return 1;
	return 0;
}

/* 1 if a field of the same name came before field i */
static int
seen_before(const struct http_req *req, size_t i)
{
	size_t	j;

	for (j = 0; j < i; j++)
		if (req->h[j].name.len == req->h[i].name.len &&
		    strncasecmp((const char *)req->buf + req->h[j].name.off,
		    (const char *)req->buf + req->h[i].name.off,
		    req->h[i].name.len) == 0)
			return 1;
	return 0;
}

/*
 * Host: checked even when the target named one (which wins), so a bad
 * Host fails either way.
 */
static int
web_host_header(struct web_req *w, struct http_span v)
{
	struct web_req	tmp;

	if (w->req->authority.len == 0)
		return web_host(w, w->req->buf + v.off, v.len);
	return web_host(&tmp, w->req->buf + v.off, v.len);
}

/* the first of a field, kept */
static void
keep_first(struct http_span *s, int *has, struct http_span v)
{
	if (!*has) {
		*s = v;
		*has = 1;
	}
}

static void
web_conditions(struct web_req *w, const struct http_header *h)
{
	const struct http_req	*req = w->req;

	if (http_span_caseeq(req, h->name, "If-Modified-Since"))
		keep_first(&w->ims, &w->has_ims, h->value);
	else if (http_span_caseeq(req, h->name, "If-Unmodified-Since"))
		keep_first(&w->ius, &w->has_ius, h->value);
	else if (http_span_caseeq(req, h->name, "If-None-Match"))
		keep_first(&w->inm, &w->has_inm, h->value);
	else if (http_span_caseeq(req, h->name, "If-Match"))
		keep_first(&w->im, &w->has_im, h->value);
	else if (http_span_caseeq(req, h->name, "Range"))
		keep_first(&w->range, &w->has_range, h->value);
	else if (http_span_caseeq(req, h->name, "If-Range"))
		keep_first(&w->if_range, &w->has_if_range, h->value);
	else if (http_span_caseeq(req, h->name, "Accept-Encoding"))
		keep_first(&w->ae, &w->has_ae, h->value);
	else if (http_span_caseeq(req, h->name, "Via"))
		w->has_via = 1;
}

/*
 * One header field, in order: 0, or 400 where nginx stops the request
 * (a second Host, Content-Length, ... or a bad Host).  *conn: 1 close,
 * 2 keep-alive, as the last Connection field naming one says.
 */
static int
web_header(struct web_req *w, size_t i, int *seen_ua, int *conn)
{
	const struct http_req		*req = w->req;
	const struct http_header	*h = &req->h[i];

	if (unique_header(req, h->name) && seen_before(req, i))
		return 400;
	if (http_span_caseeq(req, h->name, "Host"))
		return web_host_header(w, h->value) == -1 ? 400 : 0;
	if (http_span_caseeq(req, h->name, "Connection")) {
		if (span_has(req, h->value, "close"))
			*conn = 1;
		else if (span_has(req, h->value, "keep-alive"))
			*conn = 2;
	} else if (http_span_caseeq(req, h->name, "User-Agent") && !*seen_ua) {
		*seen_ua = 1;
		web_user_agent(w, h->value);
	} else if (http_span_caseeq(req, h->name, "Expect"))
		w->expect = http_span_caseeq(req, h->value, "100-continue");
	else
		web_conditions(w, h);
	return 0;
}

/* Content-Length as nginx reads it (ngx_atoof): digits only, or -1 */
static long long
parse_clen(const struct http_req *req, struct http_span v)
{
	long long	n = 0;
	size_t		i;
	uint8_t		c;

	if (v.len == 0)
		return -1;
	for (i = 0; i < v.len; i++) {
		c = req->buf[v.off + i];
		if (c < '0' || c > '9' || n > (0x7fffffffffffffffLL - 9) / 10)
			return -1;
		n = n * 10 + (c - '0');
	}
	return n;
}

/*
 * The checks on the whole head (ngx_http_process_request_header): 0, or
 * the status that ends the request.
 */
static int
web_head_checks(struct web_req *w, long long *clen, int *chunked)
{
	const struct http_req	*req = w->req;
	struct http_span	 v;
	int			 i;

	/* a Host field, even when the target named the host */
	if (http_header_find(req, "Host", 0) == -1 && req->minor >= 1)
		return 400;
	if ((i = http_header_find(req, "Content-Length", 0)) != -1 &&
	    (*clen = parse_clen(req, req->h[i].value)) == -1)
		return 400;
	if ((i = http_header_find(req, "Transfer-Encoding", 0)) != -1) {
		v = req->h[i].value;
		if (req->minor < 1)
			return 400;
		if (!http_span_caseeq(req, v, "chunked"))
			return 501;
		if (*clen != -1)
			return 400;
		*chunked = 1;
	}
	if (w->method == M_CONNECT || w->method == M_TRACE)
		return 405;
	return 0;
}

/* the length of a whole chunked body at p, or -1 if cut short or bad */
static ssize_t
chunked_len(const uint8_t *p, size_t len)
{
	size_t	off = 0, size;
	int	h, digits;

	for (;;) {
		size = 0;
		for (digits = 0; off < len && (h = hexval(p[off])) != -1;
		    off++, digits++) {
			if (size > 0x7fffffff)
				return -1;
			size = size * 16 + (size_t)h;
		}
		while (off < len && p[off] != '\n')
			off++;
		if (digits == 0 || off >= len)
			return -1;
		off++;
		if (size == 0)
			break;
		if (len - off < size + 2 || p[off + size] != '\r' ||
		    p[off + size + 1] != '\n')
			return -1;
		off += size + 2;
	}
	/* trailer fields, then the empty line */
	for (;;) {
		if (off < len && p[off] == '\n')
			return (ssize_t)off + 1;
		if (off + 1 < len && p[off] == '\r' && p[off + 1] == '\n')
			return (ssize_t)off + 2;
		while (off < len && p[off] != '\n')
			off++;
		if (off >= len)
			return -1;
		off++;
	}
}

/*
 * The body nginx reads and drops: what of it is in the buffer is
 * consumed, the rest is left to discard; a chunked body not whole here
 * closes the connection after the answer.
 */
static void
web_body(const struct web_req *w, size_t len, long long clen, int chunked,
    struct web_resp *r)
{
	size_t	have = len - w->req->headlen;
	ssize_t	n;

	r->consumed = w->req->headlen;
	if (clen > 0) {
		r->consumed += (size_t)clen < have ? (size_t)clen : have;
		r->discard = (size_t)clen - (r->consumed - w->req->headlen);
	} else if (chunked) {
		if ((n = chunked_len(w->req->buf + w->req->headlen, have)) ==
		    -1) {
			r->consumed = len;
			r->close = 1;
		} else
			r->consumed += (size_t)n;
	}
}

static const struct web_file *
file_find(const struct web_site *site, const char *path, size_t len)
{
	size_t	i;

	for (i = 0; i < site->nfiles; i++)
		if (!site->files[i].dir && strlen(site->files[i].path) == len &&
		    memcmp(site->files[i].path, path, len) == 0)
			return &site->files[i];
	return NULL;
}

/* a directory exists when a file lies under it; len 0 is the root */
static int
dir_exists(const struct web_site *site, const char *path, size_t len)
{
	const struct web_file	*f;
	size_t			 i;

	if (len == 0)
		return 1;
	for (i = 0; i < site->nfiles; i++) {
		f = &site->files[i];
		if (strncmp(f->path, path, len) == 0 && (f->path[len] == '/' ||
		    (f->dir && f->path[len] == '\0')))
			return 1;
	}
	return 0;
}

static const struct web_file *
index_find(const struct web_req *w)
{
	const struct web_file	*f;
	char			 p[HTTP_LINE_MAX + 32];
	size_t			 i;
	int			 n;

	for (i = 0; i < sizeof(indexes) / sizeof(indexes[0]); i++) {
		n = snprintf(p, sizeof(p), "%s%s", w->path, indexes[i]);
		if (n > 0 && (size_t)n < sizeof(p) &&
		    (f = file_find(w->site, p, (size_t)n)) != NULL)
			return f;
	}
	return NULL;
}

static void
web_serve(const struct web_req *w, const struct web_file *f,
    struct web_resp *r)
{
	if (w->method == M_GET || w->method == M_HEAD)
		web_file(w, f, r);
	else
		web_special(w, 405, r);
}

/* try_files $uri $uri/ =404, then the index files or a redirect */
static void
web_dispatch(const struct web_req *w, struct web_resp *r)
{
	const struct web_file	*f;
	int			 plain;

	plain = w->method == M_GET || w->method == M_HEAD ||
	    w->method == M_POST;
	if (w->path[w->pathlen - 1] == '/') {
		if (!dir_exists(w->site, w->path, w->pathlen - 1))
			web_special(w, 404, r);
		else if ((f = index_find(w)) != NULL)
			web_serve(w, f, r);
		else
			web_special(w, plain ? 403 : 405, r);
	} else if ((f = file_find(w->site, w->path, w->pathlen)) != NULL)
		web_serve(w, f, r);
	else if (dir_exists(w->site, w->path, w->pathlen)) {
		if (plain)
			web_redirect(w, r);
		else
			web_special(w, 405, r);
	} else
		web_special(w, 404, r);
}

static int
error_status(enum http_error e)
{
	switch (e) {
	case HTTP_E_URI_TOO_LONG:
		return 414;
	case HTTP_E_HEADER_TOO_LARGE:
		return WEB_TOO_LARGE;
	case HTTP_E_VERSION:
		return 505;
	default:
		return 400;
	}
}

/* the request line: its method, host and path; 0 or a status */
static int
web_request_line(struct web_req *w)
{
	const struct http_req	*req = w->req;

	w->method = method_of(req);
	w->v09 = req->major == 0;
	if (req->authority.len > 0 && web_host(w, req->buf +
	    req->authority.off, req->authority.len) == -1)
		return 400;
	if (web_uri(w) == -1)
		return 400;
	if (w->v09 && w->method != M_GET)
		return 400;
	return 0;
}

/* a q-value: 0 for zero or junk (nginx's ngx_http_gzip_quantity) */
static int
quantity(const uint8_t *p, const uint8_t *end)
{
	int	q, n = 0;

	if (p >= end || (*p != '0' && *p != '1'))
		return 0;
	q = (*p++ - '0') * 100;
	if (p < end && *p == '.')
		for (p++; p < end && *p >= '0' && *p <= '9' && n < 3; n++)
			q += (*p++ - '0') * (n == 0 ? 10 : n == 1 ? 1 : 0);
	while (p < end && *p == ' ')
		p++;
	return p == end && q <= 100 ? q : 0;
}

/*
 * "gzip" in Accept-Encoding as nginx looks for it: the first "gzip"
 * (any case) at the start or after ',' or ' ', then the end, ',' or a
 * q-value above zero.
 */
static int
accepts_gzip(const struct http_req *req, struct http_span v)
{
	const uint8_t	*p = req->buf + v.off, *end = p + v.len, *g = NULL;

	for (; p + 4 <= end; p++)
		if (strncasecmp((const char *)p, "gzip", 4) == 0 &&
		    (p == req->buf + v.off || p[-1] == ',' || p[-1] == ' ')) {
			g = p + 4;
			break;
		}
	if (g == NULL)
		return 0;
	for (p = g; p < end && *p == ' '; p++)
		;
	if (p == end || *p == ',')
		return 1;
	if (*p++ != ';')
		return 0;
	while (p < end && *p == ' ')
		p++;
	if (p >= end)
		return 1;
	if ((*p != 'q' && *p != 'Q') || p + 3 > end || p[1] != '=')
		return 0;
	return quantity(p + 2, end) > 0;
}

/* the header fields in order, then the whole head; 0 or a status */
static int
web_headers(struct web_req *w, long long *clen, int *chunked)
{
	const struct http_req	*req = w->req;
	size_t			 i;
	int			 seen_ua = 0, conn = 0, status;

	for (i = 0; i < req->nheaders; i++)
		if ((status = web_header(w, i, &seen_ua, &conn)) != 0)
			return status;
	if ((status = web_head_checks(w, clen, chunked)) != 0)
		return status;
	w->keepalive = req->minor >= 1 ? conn != 1 : conn == 2;
	/* gzip_http_version 1.1, gzip_proxied off (no gzip_disable) */
	w->gzip = req->minor >= 1 && w->has_ae && !w->has_via &&
	    accepts_gzip(req, w->ae);
	return 0;
}

void
web_respond(const struct web_site *site, const struct http_req *req,
    size_t len, time_t now, struct web_resp *r)
{
	struct web_req	*w, wbuf;
	long long	 clen = -1;
	int		 chunked = 0, status, ua = 0, conn = 0;
	size_t		 i;

	w = &wbuf;
	memset(w, 0, sizeof(*w));
	memset(r, 0, sizeof(*r));
	w->site = site;
	w->req = req;
	w->now = now;
	r->consumed = len;
	r->close = 1;
	if (req->error != HTTP_E_NONE) {
		/* what nginx read of the head before it stopped counts */
		for (i = 0; i < req->nheaders; i++)
			if (web_header(w, i, &ua, &conn) != 0)
				break;
		web_special(w, error_status(req->error), r);
		return;
	}
	if ((status = web_request_line(w)) == 0 && !w->v09)
		status = web_headers(w, &clen, &chunked);
	/* a body announced before the head failed is still read first */
	r->close = 0;
	web_body(w, len, clen, chunked, r);
	if (status != 0) {
		web_special(w, status, r);
		r->close = 1;
		return;
	}
	web_dispatch(w, r);
	if (!w->keepalive)
		r->close = 1;
}

int
web_answer(const struct web_site *site, const uint8_t *buf, size_t len,
    time_t now, struct web_resp *r)
{
	struct http_req	req;

	if (http_parse_head(buf, len, &req) == HTTP_MORE)
		return 0;
	web_respond(site, &req, len, now, r);
	return 1;
}
