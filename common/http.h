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
 * The head of an HTTP/1.1 request (RFC 9112): the request line and the
 * header fields up to the empty line, as a relay reads it from a TLS
 * stream before it knows whether it is a member's WebSocket upgrade or
 * a stranger's request for the web site.  A pure codec: no sockets, no
 * allocation, no copying.  The result holds offsets into the caller's
 * buffer (struct http_span), which must stay unchanged while the
 * result is used.
 *
 * What it accepts is what nginx accepts for the same bytes, because the
 * relay's web face (web.h) must answer like nginx: a line may end in
 * CRLF or a bare LF; a header whose name holds a byte other than a
 * letter, digit or '-' is skipped, not refused (nginx's
 * ignore_invalid_headers); leading empty lines before the request line
 * are skipped.  Everything else outside the grammar is refused, with a
 * reason in http_req.error that says which answer nginx would give.
 */

#ifndef HTTP_H
#define HTTP_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

/* the whole head, request line and headers, at most (nginx's 4 x 8k
 * large_client_header_buffers allow more; a relay needs far less) */
#define HTTP_HEAD_MAX		8192
/* one line, request line or header, at most with its CRLF (nginx's
 * large_client_header_buffers size) */
#define HTTP_LINE_MAX		8192
/*
 * header fields kept in http_req.h; a head may hold more (nginx has no
 * limit), which are checked but not kept, so not found by the lookups
 */
#define HTTP_MAX_HEADERS	100

/* http_parse_head() */
#define HTTP_MORE		0	/* incomplete: read more bytes */
#define HTTP_BAD		(-1)	/* refused: see http_req.error */

/* why a head was refused, each with the status nginx would send */
enum http_error {
	HTTP_E_NONE = 0,
	HTTP_E_SYNTAX,			/* 400 Bad Request */
	HTTP_E_URI_TOO_LONG,		/* 414 Request-URI Too Large */
	HTTP_E_HEADER_TOO_LARGE,	/* 400, "Request Header Or Cookie
					   Too Large" (nginx's 494) */
	HTTP_E_VERSION			/* 505 HTTP Version Not Supported */
};

/* bytes buf[off .. off + len) of the parsed buffer */
struct http_span {
	size_t		 off;
	size_t		 len;
};

struct http_header {
	struct http_span name;		/* without the colon */
	struct http_span value;		/* without surrounding blanks */
};

struct http_req {
	const uint8_t	*buf;		/* the buffer parsed */
	size_t		 headlen;	/* bytes up to and with the empty
					   line; the body starts there */
	struct http_span method;
	struct http_span target;	/* as sent, not decoded */
	struct http_span path;		/* target from its first '/' (with a
					   query); all of it unless absolute */
	struct http_span authority;	/* host[:port] of an absolute target
					   ("http://host/..."), or empty */
	int		 major;		/* version: 0.9 has no headers */
	int		 minor;
	size_t		 nheaders;	/* kept in h[] */
	struct http_header h[HTTP_MAX_HEADERS];
	enum http_error	 error;		/* when HTTP_BAD */
	const char	*why;		/* when HTTP_BAD: in words */
};

/*
 * Parse the head at the front of buf.  Returns the head's length
 * (req->headlen, > 0) when it is whole, HTTP_MORE when more bytes are
 * needed (never once len reaches HTTP_HEAD_MAX), or HTTP_BAD with
 * req->error and req->why set.  Reads at most HTTP_HEAD_MAX bytes.
 */
ssize_t		 http_parse_head(const uint8_t *, size_t, struct http_req *);

/* 1 if the span equals s (exactly / ignoring ASCII case) */
int		 http_span_eq(const struct http_req *, struct http_span,
		    const char *);
int		 http_span_caseeq(const struct http_req *, struct http_span,
		    const char *);

/*
 * The index of the first header named name (case-insensitive) at or
 * after index from, or -1.  Its value is req->h[i].value.
 */
int		 http_header_find(const struct http_req *, const char *,
		    size_t);
/* how many headers are named name */
size_t		 http_header_count(const struct http_req *, const char *);
/*
 * 1 if some header named name holds token (case-insensitive) in its
 * comma-separated list ("Connection: keep-alive, Upgrade").
 */
int		 http_header_has_token(const struct http_req *, const char *,
		    const char *);
/*
 * The value of the one header named name: 0 with *v set, -1 if there is
 * none or more than one (an upgrade must not carry two keys).
 */
int		 http_header_value(const struct http_req *, const char *,
		    struct http_span *);
/* the name of an http_error ("bad request line", ...) */
const char	*http_error_name(enum http_error);

#endif /* HTTP_H */
