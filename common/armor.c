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
 * The text armor of certificates and revocation lists in files: a BEGIN
 * line, base64 in lines of 64 columns, an END line.  The decoder finds
 * the first BEGIN line of the wanted label (text before it and after the
 * END line is the user's: comments, a mail's headers), takes CRLF line
 * ends and blanks at the end of a line, and is strict on everything
 * inside: the label, the base64 alphabet, the padding.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"

#define ARMOR_COLS	64
#define ARMOR_DASHES	"-----"

/* a reason that names the label: valid until the next decode */
static char	why_buf[96];

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
armor_encode(const char *label, const uint8_t *data, size_t len)
{
	char	*out, *p;
	size_t	 chars, lines, size, i, col = 0;
	uint32_t v;

	chars = (len + 2) / 3 * 4;
	lines = (chars + ARMOR_COLS - 1) / ARMOR_COLS;
	size = 2 * (strlen(label) + 2 * strlen(ARMOR_DASHES) + 8) + chars +
	    lines + 1;
	if ((out = malloc(size)) == NULL)
		return NULL;
	p = out + snprintf(out, size, ARMOR_DASHES "BEGIN %s" ARMOR_DASHES "\n",
	    label);
	for (i = 0; i < len; i += 3) {
		v = (uint32_t)data[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)data[i + 1] << 8;
		if (i + 2 < len)
			v |= data[i + 2];
		*p++ = b64[(v >> 18) & 63];
		*p++ = b64[(v >> 12) & 63];
		*p++ = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		*p++ = i + 2 < len ? b64[v & 63] : '=';
		if ((col += 4) == ARMOR_COLS) {
			*p++ = '\n';
			col = 0;
		}
	}
	if (col != 0)
		*p++ = '\n';
	(void)snprintf(p, size - (p - out), ARMOR_DASHES "END %s" ARMOR_DASHES
	    "\n", label);
	return out;
}

/* the next line of text from *off: its start and length without CR/LF */
static int
next_line(const char *text, size_t len, size_t *off, const char **line,
    size_t *linelen)
{
	size_t	start = *off, end;

	if (start >= len)
		return 0;
	for (end = start; end < len && text[end] != '\n'; end++)
		;
	*off = end < len ? end + 1 : end;
	*line = text + start;
	/* CRLF, and blanks at the end of a line, are not the text's */
	while (end > start && (text[end - 1] == '\r' ||
	    text[end - 1] == ' ' || text[end - 1] == '\t'))
		end--;
	*linelen = end - start;
	return 1;
}

/* the line is "-----WHAT LABEL-----" */
static int
is_marker(const char *line, size_t n, const char *what, const char *label)
{
	size_t	dl = strlen(ARMOR_DASHES), wl = strlen(what),
		ll = strlen(label);

	return n == 2 * dl + wl + 1 + ll &&
	    memcmp(line, ARMOR_DASHES, dl) == 0 &&
	    memcmp(line + dl, what, wl) == 0 && line[dl + wl] == ' ' &&
	    memcmp(line + dl + wl + 1, label, ll) == 0 &&
	    memcmp(line + dl + wl + 1 + ll, ARMOR_DASHES, dl) == 0;
}

static int
b64_value(char c)
{
	const char	*p;

	if (c == '\0' || (p = strchr(b64, c)) == NULL)
		return -1;
	return p - b64;
}

struct b64_state {
	uint8_t		*out;
	size_t		 size;
	size_t		 len;
	uint32_t	 quad;
	int		 nchars;	/* in quad */
	int		 pad;		/* '=' seen: only '=' may follow */
};

/* one base64 character into the output */
static int
b64_feed(struct b64_state *st, char c, const char **why)
{
	int	v;

	if (c == '=') {
		/* "xx==" or "xxx=": padding ends the data */
		if (st->nchars < 2) {
			*why = "bad base64 padding";
			return -1;
		}
		st->pad++;
		v = 0;
	} else {
		if (st->pad || (v = b64_value(c)) == -1) {
			*why = st->pad ? "base64 after its padding" :
			    "a character that is not base64";
			return -1;
		}
	}
	st->quad = st->quad << 6 | v;
	if (++st->nchars < 4)
		return 0;
	if (st->size - st->len < (size_t)(3 - st->pad)) {
		*why = "too long";
		return -1;
	}
	st->out[st->len++] = st->quad >> 16;
	if (st->pad < 2)
		st->out[st->len++] = (st->quad >> 8) & 0xff;
	if (st->pad < 1)
		st->out[st->len++] = st->quad & 0xff;
	/* the bits the padding hides must be zero: one text per bytes */
	if ((st->pad == 1 && (st->quad & 0xff) != 0) ||
	    (st->pad == 2 && (st->quad & 0xffff) != 0)) {
		*why = "bad base64 padding";
		return -1;
	}
	st->quad = 0;
	st->nchars = 0;
	return 0;
}

int
armor_decode(const char *text, size_t len, const char *label, uint8_t *out,
    size_t size, size_t *outlen, const char **why)
{
	struct b64_state st;
	const char	*line;
	size_t		 off = 0, n, i;
	int		 inside = 0;

	memset(&st, 0, sizeof(st));
	st.out = out;
	st.size = size;
	while (next_line(text, len, &off, &line, &n)) {
		if (!inside) {
			inside = is_marker(line, n, "BEGIN", label);
			continue;
		}
		if (is_marker(line, n, "END", label)) {
			if (st.nchars != 0) {
				*why = "base64 cut short";
				return -1;
			}
			if (st.len == 0) {
				*why = "an empty block";
				return -1;
			}
			*outlen = st.len;
			return 0;
		}
		if (n >= 5 && memcmp(line, ARMOR_DASHES, 5) == 0) {
			*why = "a BEGIN line without its END line";
			return -1;
		}
		for (i = 0; i < n; i++)
			if (b64_feed(&st, line[i], why) == -1)
				return -1;
	}
	if (inside)
		*why = "a BEGIN line without its END line";
	else {
		(void)snprintf(why_buf, sizeof(why_buf), "no \"" ARMOR_DASHES
		    "BEGIN %s" ARMOR_DASHES "\" line", label);
		*why = why_buf;
	}
	return -1;
}
