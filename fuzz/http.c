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
 * The HTTP request head parser (common/http.c) and the web face that
 * answers from it (common/web.c) on the bytes a stranger sends to a
 * relay, and the WebSocket handshake check on the heads that parse.
 *
 * Checked besides memory safety: a parsed head lies inside the input
 * and HTTP_HEAD_MAX, every span in it inside the head; a refusal says
 * why; "more" only while the input is under HTTP_HEAD_MAX; a head parses
 * the same when nothing follows it.  The web face answers everything
 * that is not "more": a head that ends in an empty line (none for
 * HTTP/0.9), a Content-Length equal to the body it sends (HEAD and 304
 * aside), a body whose pieces lie in the site's files or constant
 * pages, and never more request bytes consumed than there are.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http.h"
#include "web.h"
#include "ws.h"

static const uint8_t	 page[] = "<html>hello</html>\n";
static struct web_file	 files[] = {
	{ "/index.html", page, sizeof(page) - 1, 1767322245, 0, NULL, 0 },
	{ "/sub/a.css", page, 7, 1767322245, 0, NULL, 0 },
	{ "/empty", NULL, 0, 1767322245, 1, NULL, 0 },
};
static struct web_site	 site = { files, 3, 0, 8080, "127.0.0.1" };

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static uint8_t	gz[256];
	ssize_t		n;

	fuzz_log_quiet();
	/* the page goes gzipped to a client that asks, as nginx sends it */
	if ((n = web_gzip(page, sizeof(page) - 1, gz, sizeof(gz))) == -1)
		abort();
	files[0].gz = gz;
	files[0].gzlen = (size_t)n;
	return 0;
}

static void
check_span(struct http_span s, size_t headlen)
{
	if (s.off > headlen || s.len > headlen - s.off)
		abort();
}

static void
check_head(const uint8_t *data, size_t len, const struct http_req *req,
    ssize_t n)
{
	struct http_req	 again;
	char		 accept[WS_ACCEPT_LEN + 1];
	const char	*why;
	size_t		 i;

	if ((size_t)n > len || (size_t)n > HTTP_HEAD_MAX ||
	    req->headlen != (size_t)n || req->method.len == 0)
		abort();
	check_span(req->method, req->headlen);
	check_span(req->target, req->headlen);
	check_span(req->path, req->headlen);
	check_span(req->authority, req->headlen);
	for (i = 0; i < req->nheaders; i++) {
		check_span(req->h[i].name, req->headlen);
		check_span(req->h[i].value, req->headlen);
	}
	if (http_parse_head(data, (size_t)n, &again) != n ||
	    again.nheaders != req->nheaders)
		abort();
	(void)http_header_has_token(req, "Connection", "upgrade");
	(void)http_header_count(req, "Host");
	if (ws_upgrade_check(req, accept, &why) == 0 &&
	    strlen(accept) != WS_ACCEPT_LEN)
		abort();
}

/* the value of Content-Length in a response head, or -1 */
static long long
resp_clen(const struct web_resp *r)
{
	const char	*p;
	char		 head[WEB_HEAD_MAX + 1];

	memcpy(head, r->head, r->headlen);
	head[r->headlen] = '\0';
	if ((p = strstr(head, "\r\nContent-Length: ")) == NULL)
		return -1;
	return strtoll(p + 18, NULL, 10);
}

static void
check_answer(const uint8_t *data, size_t len, const struct http_req *req)
{
	static struct web_resp	r;
	long long		clen;
	size_t			i, sum = 0;
	int			head_req;

	if (!web_answer(&site, data, len, 1767322245, &r))
		abort();
	if (r.consumed > len || r.headlen >= WEB_HEAD_MAX ||
	    r.nbody > WEB_PIECES_MAX)
		abort();
	if (r.headlen > 0 && (r.headlen < 4 ||
	    memcmp(r.head + r.headlen - 4, "\r\n\r\n", 4) != 0))
		abort();
	for (i = 0; i < r.nbody; i++)
		sum += r.body[i].len;
	if (sum != r.bodylen)
		abort();
	head_req = req->error == HTTP_E_NONE && req->method.len == 4 &&
	    memcmp(data + req->method.off, "HEAD", 4) == 0;
	if (!head_req && r.status != 304 && (clen = resp_clen(&r)) != -1 &&
	    (size_t)clen != r.bodylen)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct http_req	req;
	ssize_t		n;

	n = http_parse_head(data, len, &req);
	if (n == HTTP_MORE) {
		if (len >= HTTP_HEAD_MAX)
			abort();
		return 0;
	}
	if (n == HTTP_BAD) {
		if (req.error == HTTP_E_NONE || req.why == NULL)
			abort();
	} else
		check_head(data, len, &req, n);
	check_answer(data, len, &req);
	return 0;
}
