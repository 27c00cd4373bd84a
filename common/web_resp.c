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
 * Writing the web face's answers as nginx 1.22 writes them: the header
 * fields in its order (the ones it knows by name first, Location before
 * Connection, then ETag, Accept-Ranges, Content-Range), error pages
 * with their padding, a static file with its conditions (304, 412) and
 * byte ranges (206, 416).
 */

#include <sys/types.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "web.h"
#include "web_local.h"

/* nginx's multipart boundary: a counter over the process's life */
static unsigned long long	boundary;

static void
head_add(struct web_resp *r, const char *fmt, ...)
	__attribute__((__format__ (printf, 2, 3)));

/* append to the head; a field that does not fit is cut (never happens
 * with WEB_HEAD_MAX and a host of at most 255 bytes) */
static void
head_add(struct web_resp *r, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(r->head + r->headlen, sizeof(r->head) - r->headlen, fmt,
	    ap);
	va_end(ap);
	if (n > 0)
		r->headlen += (size_t)n < sizeof(r->head) - r->headlen ?
		    (size_t)n : sizeof(r->head) - r->headlen - 1;
}

static void
body_add(struct web_resp *r, const void *p, size_t len)
{
	if (r->nbody == WEB_PIECES_MAX)
		return;
	r->body[r->nbody].p = p;
	r->body[r->nbody].len = len;
	r->nbody++;
	r->bodylen += len;
}

static int
is_v11(const struct web_req *w)
{
	return w->req->major == 1 && w->req->minor >= 1;
}

static void
head_start(const struct web_req *w, struct web_resp *r, int status)
{
	char	date[WEB_DATE_LEN + 1];

	r->status = status;
	web_http_date(w->now, date);
	head_add(r, "HTTP/1.1 %s\r\nServer: nginx\r\nDate: %s\r\n",
	    web_status_line(status), date);
}

static void
head_connection(struct web_resp *r, int keepalive)
{
	head_add(r, "Connection: %s\r\n", keepalive ? "keep-alive" : "close");
	if (!keepalive)
		r->close = 1;
}

/* the statuses after which nginx never keeps the connection */
static int
closing(int status)
{
	switch (status) {
	case 400: case 413: case 414: case 500: case 501: case 505:
	case WEB_TOO_LARGE:
		return 1;
	}
	return 0;
}

/* scheme, host and port of a redirect (absolute_redirect on) */
static void
head_location(const struct web_req *w, struct web_resp *r)
{
	const struct web_site	*s = w->site;
	const struct http_req	*req = w->req;
	const char		*host;
	char			 port[8] = "";

	host = w->has_host ? w->host : s->local != NULL ? s->local : "";
	if (s->port != (s->https ? 443 : 80))
		snprintf(port, sizeof(port), ":%u", s->port);
	head_add(r, "Location: %s://%s%s%s/", s->https ? "https" : "http",
	    host, port, w->path);
	if (w->args.len > 0)
		head_add(r, "?%.*s", (int)w->args.len,
		    (const char *)req->buf + w->args.off);
	head_add(r, "\r\n");
}

/*
 * The gzipped 403 and 404 pages, with and without padding, made once:
 * nginx compresses its own pages too.
 */
static const uint8_t *
page_gz(int status, int pad, size_t *len)
{
	static uint8_t	 gz[2][2][1024];
	static ssize_t	 gzlen[2][2];
	const char	*page = web_page(status);
	char		 buf[1024];
	int		 s = status == 404;

	if (gzlen[s][pad] == 0) {
		snprintf(buf, sizeof(buf), "%s%s", page, pad ? web_padding() :
		    "");
		gzlen[s][pad] = web_gzip((const uint8_t *)buf, strlen(buf),
		    gz[s][pad], sizeof(gz[s][pad]));
	}
	*len = gzlen[s][pad] > 0 ? (size_t)gzlen[s][pad] : 0;
	return gzlen[s][pad] > 0 ? gz[s][pad] : NULL;
}

/* 403 and 404 pages, compressed: chunked, no length */
static int
special_gz(const struct web_req *w, int status, int pad, struct web_resp *r)
{
	const uint8_t	*gz;
	size_t		 len;

	if (!w->gzip || (status != 403 && status != 404) ||
	    (gz = page_gz(status, pad, &len)) == NULL)
		return 0;
	head_start(w, r, status);
	head_add(r, "Content-Type: text/html\r\n");
	/* a HEAD gets the gzip filter's fields, but no body to chunk */
	if (w->method != M_HEAD)
		head_add(r, "Transfer-Encoding: chunked\r\n");
	head_connection(r, w->keepalive);
	head_add(r, "Content-Encoding: gzip\r\n\r\n");
	if (w->method != M_HEAD)
		body_add(r, gz, len);
	return 1;
}

/*
 * An answer with one of nginx's own pages; location for a 301, total
 * for the Content-Range of a 416.
 */
static void
special(const struct web_req *w, int status, int location, size_t total,
    struct web_resp *r)
{
	const char	*page = web_page(status);
	int		 pad, keepalive;

	keepalive = w->keepalive && !closing(status);
	pad = w->pad && !w->v09 && status >= 400 && page != NULL;
	if (special_gz(w, status, pad, r))
		return;
	if (!w->v09) {
		head_start(w, r, status);
		if (page != NULL)
			head_add(r, "Content-Type: text/html\r\n"
			    "Content-Length: %zu\r\n", strlen(page) +
			    (pad ? strlen(web_padding()) : 0));
		if (location)
			head_location(w, r);
		head_connection(r, keepalive);
		if (status == 416)
			head_add(r, "Content-Range: bytes */%zu\r\n", total);
		head_add(r, "\r\n");
	} else
		r->close = 1;
	/* HTTP/0.9 has no HEAD: that request got its 400 with a body */
	if ((w->method == M_HEAD && !w->v09) || page == NULL)
		return;
	body_add(r, page, strlen(page));
	if (pad)
		body_add(r, web_padding(), strlen(web_padding()));
}

void
web_special(const struct web_req *w, int status, struct web_resp *r)
{
	special(w, status, 0, 0, r);
}

void
web_redirect(const struct web_req *w, struct web_resp *r)
{
	special(w, 301, 1, 0, r);
}

/* nginx's ETag: mtime and length in hex */
static void
file_etag(const struct web_file *f, char *out, size_t len)
{
	snprintf(out, len, "\"%llx-%zx\"", (unsigned long long)f->mtime,
	    f->len);
}

/*
 * If-Match / If-None-Match against our ETag (ngx_http_test_if_match):
 * "*", or a list holding it; weak lets "W/" stand before an entry.
 */
static int
etag_listed(const struct web_req *w, struct http_span v, const char *etag,
    int weak)
{
	const char	*p = (const char *)w->req->buf + v.off;
	const char	*end = p + v.len;
	size_t		 n = strlen(etag);

	if (v.len == 1 && *p == '*')
		return 1;
	while (p < end) {
		if (weak && end - p > 2 && p[0] == 'W' && p[1] == '/')
			p += 2;
		if ((size_t)(end - p) < n)
			return 0;
		if (strncmp(p, etag, n) == 0) {
			p += n;
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			if (p == end || *p == ',')
				return 1;
		}
		while (p < end && *p != ',')
			p++;
		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
	}
	return 0;
}

static time_t
span_date(const struct web_req *w, struct http_span v)
{
	return web_parse_date((const char *)w->req->buf + v.off, v.len);
}

/*
 * The not_modified filter: 412 for a failed If-Unmodified-Since or
 * If-Match, 304 when If-Modified-Since (exactly the file's time) and
 * If-None-Match, those given, both hold; else 200.
 */
static int
file_condition(const struct web_req *w, const struct web_file *f,
    const char *etag)
{
	if (w->has_ius && span_date(w, w->ius) < f->mtime)
		return 412;
	if (w->has_im && !etag_listed(w, w->im, etag, 0))
		return 412;
	if (!w->has_ims && !w->has_inm)
		return 200;
	if (w->has_ims && span_date(w, w->ims) != f->mtime)
		return 200;
	if (w->has_inm && !etag_listed(w, w->inm, etag, 1))
		return 200;
	return 304;
}

struct range {
	size_t	start;
	size_t	end;		/* one past the last byte */
};

/* digits at *p: 0, or -1 if none or too many */
static int
range_number(const char **p, const char *end, size_t *v)
{
	const char	*s = *p;

	*v = 0;
	while (*p < end && **p >= '0' && **p <= '9') {
		if (*v > ((size_t)-1 - 9) / 10)
			return -1;
		*v = *v * 10 + (size_t)(**p - '0');
		(*p)++;
	}
	return *p == s ? -1 : 0;
}

static void
range_spaces(const char **p, const char *end)
{
	while (*p < end && **p == ' ')
		(*p)++;
}

/*
 * One range of a Range value at *p (ngx_http_range_parse): 1 with *rg,
 * 0 if it is empty (skipped), 416 if malformed, 200 to answer the whole
 * file.
 */
static int
range_one(const char **p, const char *end, size_t total, struct range *rg)
{
	size_t	start = 0, last;
	int	suffix = 0;

	range_spaces(p, end);
	if (*p < end && **p == '-') {
		suffix = 1;
		(*p)++;
	} else {
		if (range_number(p, end, &start) == -1)
			return 416;
		range_spaces(p, end);
		if (*p >= end || *(*p)++ != '-')
			return 416;
		range_spaces(p, end);
		if (*p >= end || **p == ',') {
			rg->start = start;
			rg->end = total;
			return start < total ? 1 : start == 0 ? 200 : 0;
		}
	}
	if (range_number(p, end, &last) == -1)
		return 416;
	range_spaces(p, end);
	if (*p < end && **p != ',')
		return 416;
	if (suffix) {
		start = last < total ? total - last : 0;
		last = total - 1;
	}
	rg->start = start;
	rg->end = last >= total ? total : last + 1;
	if (rg->start < rg->end)
		return 1;
	return start == 0 ? 200 : 0;
}

/* the ranges asked for: 206 with n ranges, 416, or 200 */
static int
range_parse(const struct web_req *w, size_t total, struct range *rg,
    size_t *n)
{
	const char	*p = (const char *)w->req->buf + w->range.off + 6;
	const char	*end = (const char *)w->req->buf + w->range.off +
			    w->range.len;
	size_t		 size = 0;
	int		 rc;

	*n = 0;
	for (;;) {
		if ((rc = range_one(&p, end, total, &rg[*n])) == 416 ||
		    rc == 200)
			return rc;
		if (rc == 1) {
			size += rg[*n].end - rg[*n].start;
			/* more than we can send in pieces: the whole file,
			 * where nginx (max_ranges unset) would send them */
			if (++*n == WEB_RANGES_MAX)
				return 200;
		}
		if (p >= end || *p++ != ',')
			break;
	}
	if (*n == 0)
		return 416;
	return size > total ? 200 : 206;
}

/* If-Range: the ETag exactly, or the file's date exactly */
static int
if_range_holds(const struct web_req *w, const struct web_file *f,
    const char *etag)
{
	const struct http_span	v = w->if_range;

	if (!w->has_if_range)
		return 1;
	if (v.len >= 2 && w->req->buf[v.off + v.len - 1] == '"')
		return strlen(etag) == v.len && memcmp(w->req->buf + v.off,
		    etag, v.len) == 0;
	return span_date(w, v) == f->mtime;
}

/* the range filter applies: a Range of bytes, If-Range holding */
static int
range_asked(const struct web_req *w, const struct web_file *f,
    const char *etag)
{
	return w->has_range && w->range.len >= 7 &&
	    strncasecmp((const char *)w->req->buf + w->range.off, "bytes=",
	    6) == 0 && if_range_holds(w, f, etag);
}

static void
head_file(const struct web_req *w, const struct web_file *f, int status,
    const char *type, size_t len, const char *etag, struct web_resp *r)
{
	char	lm[WEB_DATE_LEN + 1];

	web_http_date(f->mtime, lm);
	head_start(w, r, status);
	if (status != 304)
		head_add(r, "Content-Type: %s\r\nContent-Length: %zu\r\n",
		    type, len);
	head_add(r, "Last-Modified: %s\r\n", lm);
	head_connection(r, w->keepalive);
	head_add(r, "ETag: %s\r\n", etag);
	if (status == 200)
		head_add(r, "Accept-Ranges: bytes\r\n");
}

/* one range: 206 with Content-Range */
static void
file_range(const struct web_req *w, const struct web_file *f,
    const char *etag, const struct range *rg, struct web_resp *r)
{
	head_file(w, f, 206, web_mime_type(f->path), rg->end - rg->start,
	    etag, r);
	head_add(r, "Content-Range: bytes %zu-%zu/%zu\r\n\r\n", rg->start,
	    rg->end - 1, f->len);
	if (w->method != M_HEAD)
		body_add(r, f->data + rg->start, rg->end - rg->start);
}

/* the part headers of a multipart answer into aux: their lengths, or -1 */
static int
parts_write(const struct web_file *f, const struct range *rg, size_t n,
    const char *b, struct web_resp *r, size_t *plen)
{
	const char	*mime = web_mime_type(f->path);
	size_t		 i, used = 0;
	int		 k;

	for (i = 0; i <= n; i++) {
		if (i < n)
			k = snprintf(r->aux + used, sizeof(r->aux) - used,
			    "\r\n--%s\r\nContent-Type: %s\r\nContent-Range: "
			    "bytes %zu-%zu/%zu\r\n\r\n", b, mime, rg[i].start,
			    rg[i].end - 1, f->len);
		else
			k = snprintf(r->aux + used, sizeof(r->aux) - used,
			    "\r\n--%s--\r\n", b);
		if (k < 0 || (size_t)k >= sizeof(r->aux) - used)
			return -1;
		plen[i] = (size_t)k;
		used += (size_t)k;
	}
	return 0;
}

/* several: multipart/byteranges; -1 if the part headers do not fit */
static int
file_ranges(const struct web_req *w, const struct web_file *f,
    const char *etag, const struct range *rg, size_t n, struct web_resp *r)
{
	char		 b[32], type[64];
	size_t		 i, used = 0, len = 0, plen[WEB_RANGES_MAX + 1];

	snprintf(b, sizeof(b), "%020llu", boundary + 1);
	if (parts_write(f, rg, n, b, r, plen) == -1)
		return -1;
	boundary++;
	for (i = 0; i <= n; i++) {
		if (w->method != M_HEAD)
			body_add(r, r->aux + used, plen[i]);
		len += plen[i];
		used += plen[i];
		if (i == n)
			break;
		if (w->method != M_HEAD)
			body_add(r, f->data + rg[i].start,
			    rg[i].end - rg[i].start);
		len += rg[i].end - rg[i].start;
	}
	snprintf(type, sizeof(type), "multipart/byteranges; boundary=%s", b);
	head_file(w, f, 206, type, len, etag, r);
	head_add(r, "\r\n");
	return 0;
}

/* gzipped, as a whole (before the range filter), with a weak ETag */
static void
file_gz(const struct web_req *w, const struct web_file *f, const char *etag,
    struct web_resp *r)
{
	char	lm[WEB_DATE_LEN + 1];

	web_http_date(f->mtime, lm);
	head_start(w, r, 200);
	head_add(r, "Content-Type: %s\r\nLast-Modified: %s\r\n",
	    web_mime_type(f->path), lm);
	if (w->method != M_HEAD)
		head_add(r, "Transfer-Encoding: chunked\r\n");
	head_connection(r, w->keepalive);
	head_add(r, "ETag: W/%s\r\nContent-Encoding: gzip\r\n\r\n", etag);
	if (w->method != M_HEAD)
		body_add(r, f->gz, f->gzlen);
}

static void
file_whole(const struct web_req *w, const struct web_file *f,
    const char *etag, struct web_resp *r)
{
	head_file(w, f, 200, web_mime_type(f->path), f->len, etag, r);
	head_add(r, "\r\n");
	if (w->method != M_HEAD)
		body_add(r, f->data, f->len);
}

/* a file to GET or HEAD: 200, 206, 304, 412 or 416 */
void
web_file(const struct web_req *w, const struct web_file *f,
    struct web_resp *r)
{
	struct range	rg[WEB_RANGES_MAX];
	char		etag[48];
	size_t		n = 0;
	int		status;

	file_etag(f, etag, sizeof(etag));
	if (w->expect && is_v11(w))
		head_add(r, "HTTP/1.1 100 Continue\r\n\r\n");
	if (w->v09) {
		r->close = 1;
		body_add(r, f->data, f->len);
		return;
	}
	status = file_condition(w, f, etag);
	if (status == 200 && w->gzip && f->gz != NULL) {
		file_gz(w, f, etag, r);
		return;
	}
	if (status == 200 && range_asked(w, f, etag))
		status = range_parse(w, f->len, rg, &n);
	/* nginx ends a 412 (a filter's error) by closing, whatever the
	 * head said */
	if (status == 412)
		r->close = 1;
	if (status == 412 || status == 416)
		special(w, status, 0, f->len, r);
	else if (status == 304) {
		head_file(w, f, 304, NULL, 0, etag, r);
		head_add(r, "\r\n");
	} else if (status == 206 && n == 1)
		file_range(w, f, etag, &rg[0], r);
	else if (status != 206 || file_ranges(w, f, etag, rg, n, r) == -1)
		file_whole(w, f, etag, r);
}
