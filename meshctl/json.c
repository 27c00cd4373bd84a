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

#include <stdio.h>
#include <string.h>

#include "json.h"

/* length of a valid UTF-8 sequence at s, or 0 if there is none */
static size_t
utf8_len(const unsigned char *s)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (s[0] == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90;	/* overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else
		return 0;
	/* the first continuation byte has the tighter range */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

void
json_print_string(FILE *fp, const char *str)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 n;

	if (str == NULL) {
		fputs("null", fp);
		return;
	}
	fputc('"', fp);
	while (*s != '\0') {
		/*
		 * A run of printable ASCII needs no escape: one write for
		 * it (a write a character was most of show peers -j's time
		 * for 10,000 peers)
		 */
		for (n = 0; s[n] >= 0x20 && s[n] < 0x7f && s[n] != '"' &&
		    s[n] != '\\'; n++)
			;
		if (n > 0) {
			fwrite(s, 1, n, fp);
			s += n;
			continue;
		}
		switch (*s) {
		case '"':
			fputs("\\\"", fp);
			break;
		case '\\':
			fputs("\\\\", fp);
			break;
		case '\b':
			fputs("\\b", fp);
			break;
		case '\f':
			fputs("\\f", fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		case '\r':
			fputs("\\r", fp);
			break;
		case '\t':
			fputs("\\t", fp);
			break;
		default:
			if (*s < 0x20 || *s == 0x7f) {
				fprintf(fp, "\\u%04x", *s);
				break;
			}
			if ((n = utf8_len(s)) == 0) {
				fputs("\\ufffd", fp);
				break;
			}
			fwrite(s, 1, n, fp);
			s += n - 1;
			break;
		}
		s++;
	}
	fputc('"', fp);
}

void
json_init(struct json *j, FILE *fp)
{
	memset(j, 0, sizeof(*j));
	j->fp = fp;
	j->empty[0] = 1;
}

/* separator, newline and indent before a member or element, then key */
static void
json_member(struct json *j, const char *key)
{
	int	i;

	if (j->depth > 0) {
		if (!j->empty[j->depth])
			fputc(',', j->fp);
		fputc('\n', j->fp);
		for (i = 0; i < j->depth; i++)
			fputs("  ", j->fp);
		if (key != NULL) {
			json_print_string(j->fp, key);
			fputs(": ", j->fp);
		}
	} else if (!j->empty[0])
		j->error = 1;	/* a second top-level value */
	j->empty[j->depth] = 0;
}

static void
json_open(struct json *j, const char *key, int c)
{
	json_member(j, key);
	fputc(c, j->fp);
	if (j->depth == JSON_MAX_DEPTH) {
		j->error = 1;
		return;
	}
	j->empty[++j->depth] = 1;
}

static void
json_close(struct json *j, int c)
{
	int	i;

	if (j->depth == 0) {
		j->error = 1;
		return;
	}
	if (!j->empty[j->depth--]) {
		fputc('\n', j->fp);
		for (i = 0; i < j->depth; i++)
			fputs("  ", j->fp);
	}
	fputc(c, j->fp);
}

void
json_object_open(struct json *j, const char *key)
{
	json_open(j, key, '{');
}

void
json_object_close(struct json *j)
{
	json_close(j, '}');
}

void
json_array_open(struct json *j, const char *key)
{
	json_open(j, key, '[');
}

void
json_array_close(struct json *j)
{
	json_close(j, ']');
}

void
json_string(struct json *j, const char *key, const char *val)
{
	json_member(j, key);
	json_print_string(j->fp, val);
}

void
json_int(struct json *j, const char *key, long long val)
{
	json_member(j, key);
	fprintf(j->fp, "%lld", val);
}

void
json_uint(struct json *j, const char *key, unsigned long long val)
{
	json_member(j, key);
	fprintf(j->fp, "%llu", val);
}

void
json_bool(struct json *j, const char *key, int val)
{
	json_member(j, key);
	fputs(val ? "true" : "false", j->fp);
}

void
json_null(struct json *j, const char *key)
{
	json_member(j, key);
	fputs("null", j->fp);
}

int
json_finish(struct json *j)
{
	fputc('\n', j->fp);
	if (j->depth != 0 || j->error)
		return -1;
	return 0;
}
