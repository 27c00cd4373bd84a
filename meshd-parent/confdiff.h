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

#ifndef CONFDIFF_H
#define CONFDIFF_H

#include "config.h"

/* what a reload changes, in the order meshctl prints it */
struct confdiff {
	struct ctl_change	*changes;
	size_t			 n, max;
	size_t			 nadded, nremoved, nchanged, niface;
	size_t			 nwarnings;
};

/* the changes from o to n into d; -1 if out of memory (d is empty) */
int		 confdiff(const struct meshd_conf *, const struct meshd_conf *,
		    struct confdiff *);
void		 confdiff_free(struct confdiff *);
/* the parser's warnings (config_warnings()), one change a line */
int		 confdiff_warnings(struct confdiff *, const char *);
/* "reload done: N peers; 1 added, 2 changed" */
const char	*confdiff_summary(const struct confdiff *, size_t, char *,
		    size_t);

#endif /* CONFDIFF_H */
