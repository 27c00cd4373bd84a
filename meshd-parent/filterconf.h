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

/* The filter block: read (filterconf.c, from parse.y) and printed. */

#ifndef FILTERCONF_H
#define FILTERCONF_H

#include <stdint.h>
#include <stdio.h>

struct meshd_conf;
struct filter_conf;
struct filter_rule;

/* filter {: line is the block's */
void	 filter_conf_begin(struct meshd_conf *, int);
/* the words of a rule line, and its braces */
void	 filter_conf_word(const char *);
void	 filter_conf_list(int);
/* the end of a rule line: read, expanded, errors reported */
void	 filter_conf_line(void);
/* a line the grammar refused: forget its words */
void	 filter_conf_abort(void);
void	 filter_conf_free(struct filter_conf *);
/* the block in meshd.conf's words; nothing if NULL */
void	 filter_conf_print(FILE *, const struct filter_conf *);
/* parse.y: the line being read */
int	 conf_lineno(void);

#endif /* FILTERCONF_H */
