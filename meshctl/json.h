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
 * A small JSON writer for meshctl -j: objects and arrays nest, members
 * and elements are separated and indented by the writer, strings are
 * escaped so that any bytes make valid JSON (invalid UTF-8 becomes
 * U+FFFD).
 */

#ifndef MESHCTL_JSON_H
#define MESHCTL_JSON_H

#include <stdio.h>

#define JSON_MAX_DEPTH	8

struct json {
	FILE	*fp;
	int	 depth;
	int	 empty[JSON_MAX_DEPTH + 1];	/* nothing yet at this level */
	int	 error;
};

/* a NULL key: an element of an array, or the top-level value */
void	 json_init(struct json *, FILE *);
void	 json_object_open(struct json *, const char *);
void	 json_object_close(struct json *);
void	 json_array_open(struct json *, const char *);
void	 json_array_close(struct json *);
void	 json_string(struct json *, const char *, const char *);
void	 json_int(struct json *, const char *, long long);
void	 json_uint(struct json *, const char *, unsigned long long);
void	 json_bool(struct json *, const char *, int);
void	 json_null(struct json *, const char *);
/* ends the document with a newline; -1 if it was not well nested */
int	 json_finish(struct json *);

/* a string as a quoted, escaped JSON string; NULL prints null */
void	 json_print_string(FILE *, const char *);

#endif /* MESHCTL_JSON_H */
