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
 * A relay's answer to a member's upgrade (meshd-net/relay_wire.c), as
 * the member reads it from whoever answers on the relay's address.
 *
 * Checked besides memory safety: a whole head is no longer than the
 * input or RELAY_101_MAX and ends in an empty line; its accept value is
 * WS_ACCEPT_LEN characters; "need more" never comes once the input
 * reaches RELAY_101_MAX; every prefix of an accepted head asks for more
 * or is refused, never accepted with another length.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "relay.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_quiet();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct relay_101	r;
	uint8_t			cert[MESH_CERT_MAX];
	ssize_t			n, m;

	/* a member's certificate in its upgrade (Meshd-Certificate) */
	n = relay_parse_cert(data, len, cert);
	if (n != -1 && (n < 1 || n > MESH_CERT_MAX))
		abort();
	n = relay_parse_101(data, len, &r);
	if (n == 0 && len >= RELAY_101_MAX)
		abort();
	if (n < 0)
		return 0;
	if (n == 0)
		return 0;
	if ((size_t)n > len || n > RELAY_101_MAX || n < 4 ||
	    data[n - 1] != '\n' || strlen(r.accept) != WS_ACCEPT_LEN)
		abort();
	/* the same head with a byte less: more, or refused */
	m = relay_parse_101(data, n - 1, &r);
	if (m > 0)
		abort();
	return 0;
}
