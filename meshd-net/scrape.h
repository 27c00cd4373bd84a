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
 * Prometheus's scrapes, served by meshd-net (scrape.c) on listeners the
 * parent bound (metrics-listen).  What a request asks for is decided by
 * metrics_route(), a pure function over the request's bytes (a fuzz
 * target, fuzz/metrics.c) on top of common/http.c's parser: GET or HEAD
 * of /metrics is a scrape, any other request a 404, a head that does not
 * parse the error http.c names.
 */

#ifndef SCRAPE_H
#define SCRAPE_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_PATH		"/metrics"
/* the exposition format's media type (Prometheus text format 0.0.4) */
#define METRICS_TYPE		"text/plain; version=0.0.4; charset=utf-8"

struct metrics_route {
	int		 status;	/* 200: a scrape; else the answer */
	int		 head;		/* HEAD: no body */
	const char	*why;		/* for the log, on an error */
};

/*
 * The head at the front of buf: HTTP_MORE (0) to read more, or the
 * head's length (> 0) or HTTP_BAD (-1), with r filled in either way.
 */
ssize_t		 metrics_route(const uint8_t *, size_t,
		    struct metrics_route *);
/*
 * The response head for status with a body of bodylen bytes (ctype its
 * type) into buf: its length, or -1 if it does not fit.  Every response
 * closes the connection.
 */
int		 metrics_head(char *, size_t, int, const char *, size_t);
/* the body net sends with a status other than 200 */
const char	*metrics_error_body(int);

/* scrape.c */
struct imsg;
void		 scrape_listen(struct imsg *);
void		 scrape_text(struct imsg *);
void		 scrape_end(struct imsg *);

#endif /* SCRAPE_H */
