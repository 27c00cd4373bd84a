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
 * A few TAP helpers for the C unit tests (prove runs them directly).
 * Usage: tap_plan(n) or tap_done() at the end; ok(cond, "name");
 * exit status is 0 only if every test passed and the count matches.
 */

#ifndef TAP_H
#define TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed, tap_planned = -1;

static inline void
tap_plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

static inline int	tap_ok(int, const char *, int, const char *, ...)
			    __attribute__((__format__ (printf, 4, 5)));
static inline void	diag(const char *, ...)
			    __attribute__((__format__ (printf, 1, 2)));

static inline int
tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond) {
		tap_failed++;
		printf("#   Failed at %s line %d\n", file, line);
	}
	fflush(stdout);
	return cond;
}
#define ok(cond, ...)	tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

static inline void
diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

#define is_int(a, b, ...) do {						\
	long long tap_a = (a), tap_b = (b);				\
	if (!ok(tap_a == tap_b, __VA_ARGS__))				\
		diag("got %lld, expected %lld", tap_a, tap_b);		\
} while (0)

#define is_str(a, b, ...) do {						\
	const char *tap_a = (a), *tap_b = (b);				\
	if (!ok(tap_a != NULL && strcmp(tap_a, tap_b) == 0, __VA_ARGS__)) \
		diag("got '%s', expected '%s'", tap_a ? tap_a : "(null)", \
		    tap_b);						\
} while (0)

/* call last; returns the exit status for main() */
static inline int
tap_done(void)
{
	if (tap_planned < 0)
		printf("1..%d\n", tap_n);
	else if (tap_planned != tap_n)
		printf("# planned %d tests but ran %d\n", tap_planned, tap_n);
	fflush(stdout);
	return (tap_failed || (tap_planned >= 0 && tap_planned != tap_n));
}

#endif /* TAP_H */
