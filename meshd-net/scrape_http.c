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
 * What a request to a metrics listener asks for (scrape.h): a pure
 * function of its bytes, so fuzz/metrics.c drives it as net would.  The
 * parsing is common/http.c's (fuzz/http holds it too); this file adds
 * only the choice of answer, and the answer's head.
 */

#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include "http.h"
#include "scrape.h"

/* the path without its query: "/metrics?x=1" is a scrape too */
static int
is_metrics_path(const struct http_req *req)
{
	const uint8_t	*p = req->buf + req->path.off;
	size_t		 len = req->path.len, n = strlen(METRICS_PATH);

	if (len < n || memcmp(p, METRICS_PATH, n) != 0)
		return 0;
	return len == n || p[n] == '?';
}

static int
error_status(enum http_error e)
{
	switch (e) {
	case HTTP_E_URI_TOO_LONG:
		return 414;
	case HTTP_E_VERSION:
		return 505;
	default:
		return 400;
	}
}

ssize_t
metrics_route(const uint8_t *buf, size_t len, struct metrics_route *r)
{
	struct http_req	 req;
	ssize_t		 n;

	memset(r, 0, sizeof(*r));
	if ((n = http_parse_head(buf, len, &req)) == HTTP_MORE)
		return HTTP_MORE;
	if (n == HTTP_BAD) {
		r->status = error_status(req.error);
		r->why = req.why != NULL ? req.why :
		    http_error_name(req.error);
		return HTTP_BAD;
	}
	r->head = http_span_eq(&req, req.method, "HEAD");
	/* everything but a GET or HEAD of /metrics: 404, as issue 16 says */
	if (!is_metrics_path(&req) || (!r->head &&
	    !http_span_eq(&req, req.method, "GET"))) {
		r->status = 404;
		r->why = "not a scrape";
		return n;
	}
	r->status = 200;
	return n;
}

static const char *
status_text(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 414:
		return "URI Too Long";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Error";
	}
}

const char *
metrics_error_body(int status)
{
	switch (status) {
	case 404:
		return "404 page not found: only GET /metrics\n";
	case 503:
		return "503 the counters could not be gathered\n";
	default:
		return "bad request\n";
	}
}

int
metrics_head(char *buf, size_t len, int status, const char *ctype,
    size_t bodylen)
{
	int	n;

	n = snprintf(buf, len, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n", status,
	    status_text(status), ctype, bodylen);
	if (n < 0 || (size_t)n >= len)
		return -1;
	return n;
}
