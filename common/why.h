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
 * The reason a parser of outside bytes gives when it refuses them, in
 * words ("record 2: certificate of 300 bytes past the body").  One
 * buffer for the process: a reason is read (logged, counted, shown) before
 * the next parse; the processes are single-threaded.
 */

#ifndef WHY_H
#define WHY_H

#define WHY_MAX		96

/* *why (if why is not NULL) = the formatted reason; returns -1 */
int	 why_fail(const char **, const char *, ...)
	    __attribute__((__format__ (printf, 2, 3)));

#endif /* WHY_H */
