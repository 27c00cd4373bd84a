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
 * What meshd-net makes of the bytes a stranger sends a metrics listener
 * (meshd-net/scrape_http.c, over common/http.c's parser), fed as net
 * reads them: a byte more each time until the head is whole or refused.
 * Whatever the bytes, the answer is one of the statuses net sends, a
 * whole head is no longer than what came, and a response head fits.
 *
 * The same input, as a peer's name, goes through the parent's label
 * escaping (meshd-parent/metrics_text.c): the result holds no newline
 * and reads back to the name.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http.h"
#include "metrics.h"
#include "scrape.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_quiet();
	return 0;
}

static void
check_route(const uint8_t *data, size_t len)
{
	struct metrics_route	 r;
	char			 head[256];
	size_t			 i;
	ssize_t			 n = HTTP_MORE;

	for (i = 1; i <= len && n == HTTP_MORE; i++)
		n = metrics_route(data, i, &r);
	if (n == HTTP_MORE)
		return;
	i--;
	if (n > 0 && (size_t)n > i)
		abort();
	switch (r.status) {
	case 200:
	case 404:
		if (n <= 0)
			abort();
		break;
	case 400:
	case 414:
	case 505:
		if (n != HTTP_BAD || r.why == NULL)
			abort();
		break;
	default:
		abort();
	}
	if (metrics_head(head, sizeof(head), r.status, METRICS_TYPE,
	    SIZE_MAX) == -1 || metrics_error_body(r.status) == NULL)
		abort();
}

static void
check_label(const uint8_t *data, size_t len)
{
	char	 name[MESH_NAME_MAX], *out = NULL, back[MESH_NAME_MAX];
	size_t	 outlen = 0, i, j = 0;
	FILE	*f;

	if (len >= sizeof(name))
		len = sizeof(name) - 1;
	memcpy(name, data, len);
	name[len] = '\0';
	if ((f = open_memstream(&out, &outlen)) == NULL)
		abort();
	metrics_label(f, name);
	if (fclose(f) == EOF)
		abort();
	for (i = 0; i < outlen; i++) {
		if (out[i] == '\n' || j >= sizeof(back))
			abort();
		if (out[i] == '"')
			abort();	/* unescaped: the label would end */
		if (out[i] == '\\') {
			if (++i == outlen)
				abort();
			back[j++] = out[i] == 'n' ? '\n' : out[i];
		} else
			back[j++] = out[i];
	}
	if (j >= sizeof(back))
		abort();
	back[j] = '\0';
	if (strcmp(back, name) != 0)
		abort();
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	check_route(data, len);
	check_label(data, len);
	return 0;
}
