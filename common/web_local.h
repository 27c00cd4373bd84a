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
 * What the web face's files (web.c, web_page.c, web_mime.c) share and
 * nothing else needs.
 */

#ifndef WEB_LOCAL_H
#define WEB_LOCAL_H

#include <sys/types.h>
#include <time.h>

#include "http.h"
#include "web.h"

/* nginx's own status for a head over its buffers: a 400 to the client */
#define WEB_TOO_LARGE	494
/* "Sun, 06 Nov 1994 08:49:37 GMT" */
#define WEB_DATE_LEN	29

enum web_method { M_GET, M_HEAD, M_POST, M_TRACE, M_CONNECT, M_OTHER };

/* what nginx takes from a request, for the answer */
struct web_req {
	const struct web_site	*site;
	const struct http_req	*req;
	time_t			 now;
	enum web_method		 method;
	int			 v09;		/* HTTP/0.9: no head */
	int			 keepalive;
	int			 pad;		/* MSIE or Chrome */
	int			 gzip;		/* a gzipped answer is taken */
	int			 expect;	/* Expect: 100-continue */
	char			 host[256];	/* lower case, no port */
	int			 has_host;
	char			 path[HTTP_LINE_MAX];	/* decoded, resolved */
	size_t			 pathlen;
	struct http_span	 args;		/* after '?' */
	/* the first of each, or len 0 */
	struct http_span	 ims, ius, inm, im, range, if_range, ae;
	int			 has_ims, has_ius, has_inm, has_im, has_range;
	int			 has_if_range, has_ae, has_via;
};

/* web_resp.c: write the answer */
void		 web_special(const struct web_req *, int, struct web_resp *);
void		 web_redirect(const struct web_req *, struct web_resp *);
void		 web_file(const struct web_req *, const struct web_file *,
		    struct web_resp *);
/* "404 Not Found" (unknown codes as 200) */
const char	*web_status_line(int);
/* the error page nginx sends with a status, or NULL */
const char	*web_page(int);
/* six comment lines after an error page for MSIE and Chrome */
const char	*web_padding(void);
void		 web_http_date(time_t, char [WEB_DATE_LEN + 1]);
/* an HTTP date in any of its three forms, or -1 */
time_t		 web_parse_date(const char *, size_t);

#endif /* WEB_LOCAL_H */
