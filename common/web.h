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
/* the longest response head web_respond() writes: a redirect's Location
 * repeats the query, which may be nearly the whole request head */
#define WEB_HEAD_MAX		(HTTP_HEAD_MAX + 1024)
/* pieces of a body: a page and its padding, or the parts of a multipart
 * answer to a Range of several (WEB_RANGES_MAX) ranges */
#define WEB_RANGES_MAX		8
#define WEB_PIECES_MAX		(2 * WEB_RANGES_MAX + 1)
/* the part headers of a multipart answer */
#define WEB_AUX_MAX		(WEB_PIECES_MAX * 128)

/*
 * One file of the site.  path is absolute ("/index.html", "/css/a.css"),
 * without "." or ".." components or empty ones; a directory exists when
 * some file lies under it, or when it is listed itself (dir set, data
 * and len unused), as an empty one must be.  mtime is the file's
 * modification time.
 */
struct web_file {
	const char	*path;
	const uint8_t	*data;
	size_t		 len;
	time_t		 mtime;
	int		 dir;
	/* the chunked gzip body nginx sends for it (web_gzip()), when
	 * web_gzip_wanted(): NULL sends it plain, unlike nginx */
	const uint8_t	*gz;
	size_t		 gzlen;
};

/*
 * The site: its files (any order) and where it is reached, for the
 * Location of a redirect (nginx's absolute_redirect names scheme, host
 * and port unless the port is the scheme's default; with no Host in the
 * request, the connection's local address).
 */
struct web_site {
	const struct web_file	*files;
	size_t			 nfiles;
	int			 https;		/* 1 behind TLS */
	uint16_t		 port;		/* the listening port */
	const char		*local;		/* "192.0.2.1" or "[::1]" */
};

/* a piece of a body, sent in order after the head */
struct web_piece {
	const uint8_t	*p;
	size_t		 len;
};

/* the answer to one request */
struct web_resp {
	int		 status;	/* 200, 404 ... */
	char		 head[WEB_HEAD_MAX];
	size_t		 headlen;	/* status line to the empty line (an
					   HTTP/0.9 answer has none) */
	struct web_piece body[WEB_PIECES_MAX];	/* into the site's files, */
	size_t		 nbody;		/* constant pages or aux */
	size_t		 bodylen;	/* their total */
	char		 aux[WEB_AUX_MAX];
	size_t		 consumed;	/* request bytes answered (head and
					   the part of a body present) */
	size_t		 discard;	/* body bytes still to come: read and
					   drop them before the next request
					   or the close */
	int		 close;		/* close after sending */
};

/*
 * The built-in site: the page a freshly installed Debian nginx shows
 * (/index.nginx-debian.html, served for /), dated mtime (nginx's is the
 * time its package was installed).  https, port and local are left for
 * the caller.
 */
void		 web_default_site(struct web_site *, time_t);
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
/*
 * Compression, as nginx's gzip filter (Debian's nginx.conf has "gzip
 * on") does for text/html to an HTTP/1.1 client that accepts gzip:
 * web_gzip_wanted() says whether a file needs its web_file.gz, which
 * web_gzip() writes (the whole chunked body, into at least
 * web_gzip_bound() bytes; its length, or -1).  The site's loader calls
 * them once per file.
 */
int		 web_gzip_wanted(const char *, size_t);
size_t		 web_gzip_bound(size_t);
ssize_t		 web_gzip(const uint8_t *, size_t, uint8_t *, size_t);

#endif /* WEB_H */
