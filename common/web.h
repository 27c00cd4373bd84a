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
 * The relay's disguise: a static web site that answers every request
 * that is not a member's WebSocket upgrade exactly as Debian's nginx
 * (its package's nginx.conf and default site, with server_tokens off)
 * would answer it when serving the same files: same status line,
 * headers in the same order, same body, same choice to close the
 * connection or keep it.  regress/interop/web-nginx.t compares the two
 * byte for byte.
 *
 * A pure function of the site, the request bytes and the time: no
 * sockets, no files, no allocation.  The site is a set of files in
 * memory (loaded by the caller from the operator's directory) or the
 * built-in one.  The response head is written into struct web_resp;
 * the body points into the site's file or a constant error page, so a
 * file is never copied.
 *
 * Timeouts are the caller's: nginx closes a connection that sends no
 * whole head within WEB_HEADER_TIMEOUT seconds, and an idle kept-alive
 * one after WEB_KEEPALIVE_TIMEOUT, in both cases without a word.
 */

#ifndef WEB_H
#define WEB_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "http.h"

#define WEB_HEADER_TIMEOUT	60	/* client_header_timeout */
#define WEB_KEEPALIVE_TIMEOUT	75	/* keepalive_timeout */
/* the longest response head web_respond() writes */
#define WEB_HEAD_MAX		2048
/* a file's path: '/' then the rest, at most */
#define WEB_PATH_MAX		1024

/*
 * One file of the site.  path is absolute ("/index.html", "/css/a.css"),
 * without "." or ".." components or empty ones; a directory exists when
 * some file lies under it.  mtime is the file's modification time.
 */
struct web_file {
	const char	*path;
	const uint8_t	*data;
	size_t		 len;
	time_t		 mtime;
};

/*
 * The site: its files (any order) and where it is reached, for the
 * Location of a redirect (nginx's absolute_redirect names scheme, host
 * and port unless the port is the scheme's default).
 */
struct web_site {
	const struct web_file	*files;
	size_t			 nfiles;
	int			 https;		/* 1 behind TLS */
	uint16_t		 port;		/* the listening port */
};

/* the answer to one request */
struct web_resp {
	int		 status;	/* 200, 404 ... */
	char		 head[WEB_HEAD_MAX];
	size_t		 headlen;	/* status line to the empty line */
	const uint8_t	*body;		/* none for HEAD, 304 ... */
	size_t		 bodylen;
	size_t		 consumed;	/* request bytes answered (head and
					   the part of a body present) */
	size_t		 discard;	/* body bytes still to come: read and
					   drop them before the next request */
	int		 close;		/* close after sending */
};

/*
 * The built-in site: /index.html, a plain page, dated at the build.
 */
void		 web_default_site(struct web_site *);
/*
 * Answer the request at the front of buf at time now.  Returns 1 with
 * *resp filled in, or 0 (HTTP_MORE) if the head is not whole yet (the
 * caller reads on; it never is once len reaches HTTP_HEAD_MAX).  Every
 * other input, random bytes included, gets an answer (400 and close,
 * as nginx).
 */
int		 web_answer(const struct web_site *, const uint8_t *, size_t,
		    time_t, struct web_resp *);
/*
 * The same from a head the caller already parsed with http_parse_head()
 * (whole, or refused: then req->error says how), with len bytes of
 * buffer present: the relay parses once to look for its upgrade.
 */
void		 web_respond(const struct web_site *, const struct http_req *,
		    size_t, time_t, struct web_resp *);
/* the Content-Type nginx's mime.types gives a path ("text/html" ...) */
const char	*web_mime_type(const char *);

#endif /* WEB_H */
