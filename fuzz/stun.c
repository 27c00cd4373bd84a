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
 * The STUN codec (common/stun.c) on one UDP datagram, as it reaches a
 * tunnel socket: taken for a response by a member, for a request by a
 * coordinator answering it.
 *
 * Checked besides memory safety: whatever parses passes stun_is_stun()
 * first; a parsed response keeps the rules of stun.h (a mapped address of
 * family 4 or 6 and a port; an error code 300..699 whose reason lies
 * inside the input); an answer fits STUN_ANSWER_MAX, parses as a response
 * to the same transaction naming exactly the source it was given, and
 * is refused rather than written one byte short.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "stun.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_quiet();
	return 0;
}

static void
check_response(const uint8_t *data, size_t len)
{
	struct stun_msg	 m;
	const char	*why = NULL;

	if (stun_parse_response(data, len, &m, &why) == -1) {
		if (why == NULL || *why == '\0')
			abort();
		return;
	}
	if (!stun_is_stun(data, len) || m.nunknown != 0)
		abort();
	switch (m.type) {
	case STUN_BINDING_SUCCESS:
		if (!m.has_mapped || m.mapped.port == 0 ||
		    (m.mapped.af != 4 && m.mapped.af != 6))
			abort();
		break;
	case STUN_BINDING_ERROR:
		if (m.code < 300 || m.code > 699 ||
		    (const uint8_t *)m.reason < data ||
		    (const uint8_t *)m.reason + m.reasonlen > data + len)
			abort();
		break;
	default:
		abort();
	}
}

static void
check_answer(const uint8_t *data, size_t len, const struct stun_addr *src)
{
	struct stun_msg	 req, m;
	uint8_t		 out[STUN_ANSWER_MAX];
	const char	*why = NULL;
	ssize_t		 n;

	n = stun_answer(data, len, src, out, sizeof(out), &why);
	if (n == -1) {
		if (why == NULL || *why == '\0')
			abort();
		return;
	}
	if (n < STUN_HDR_LEN || (size_t)n > sizeof(out) ||
	    !stun_is_stun(data, len) ||
	    stun_parse_request(data, len, &req, &why) == -1)
		abort();
	if (stun_parse_response(out, n, &m, &why) == -1 || !m.fingerprint ||
	    memcmp(m.txid, req.txid, STUN_TXID_LEN) != 0)
		abort();
	if (req.nunknown > 0) {
		if (m.type != STUN_BINDING_ERROR || m.code != 420)
			abort();
	} else if (m.type != STUN_BINDING_SUCCESS || !m.mapped_xor ||
	    m.mapped.af != src->af || m.mapped.port != src->port ||
	    memcmp(m.mapped.addr, src->addr, src->af == 4 ? 4 : 16) != 0)
		abort();
	if (stun_answer(data, len, src, out, n - 1, &why) != -1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct stun_addr	src4, src6;
	struct stun_msg		m;
	const char		*why = NULL;
	size_t			i;

	if (!stun_is_stun(data, len) &&
	    (stun_parse_request(data, len, &m, &why) != -1 ||
	    stun_parse_response(data, len, &m, &why) != -1))
		abort();
	check_response(data, len);

	memset(&src4, 0, sizeof(src4));
	src4.af = 4;
	src4.port = 51820;
	src4.addr[0] = 198;
	src4.addr[1] = 18;
	src4.addr[3] = 1;
	memset(&src6, 0, sizeof(src6));
	src6.af = 6;
	src6.port = 1;
	for (i = 0; i < sizeof(src6.addr); i++)
		src6.addr[i] = (uint8_t)(0xf0 + i);
	check_answer(data, len, &src4);
	check_answer(data, len, &src6);
	return 0;
}
