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
 * The PCP client codec (common/pcp.c) on one UDP datagram from the
 * gateway's port (or an ANNOUNCE multicast to ours).
 *
 * Checked besides memory safety: a refusal says why; a parsed response
 * is either a NAT-PMP gateway's "unsupported version" or a version 2
 * response of at most 1100 bytes, a multiple of 4, to MAP or ANNOUNCE,
 * and a MAP body was only read where the input had one.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pcp.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_quiet();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct pcp_resp	 r;
	const char	*why = NULL;

	if (pcp_parse_response(data, len, &r, &why) == -1) {
		if (why == NULL || *why == '\0')
			abort();
		return 0;
	}
	if (pcp_result_name(r.result) == NULL ||
	    pcp_result_words(r.result) == NULL)
		abort();
	if (r.natpmp) {
		if (len < 4 || data[0] != 0 || r.result != PCP_UNSUPP_VERSION)
			abort();
		return 0;
	}
	if (len < PCP_HDR_LEN || len > PCP_MAX_LEN || len % 4 != 0 ||
	    data[0] != PCP_VERSION || (data[1] & PCP_R) == 0 ||
	    r.result != data[3])
		abort();
	if (r.op != PCP_OP_MAP && r.op != PCP_OP_ANNOUNCE)
		abort();
	if (r.has_map && (r.op != PCP_OP_MAP || len < PCP_MAP_LEN ||
	    memcmp(r.nonce, data + PCP_HDR_LEN, PCP_NONCE_LEN) != 0))
		abort();
	if (r.op == PCP_OP_MAP && !r.has_map && r.result == PCP_SUCCESS)
		abort();
	(void)pcp_epoch_lost(r.epoch, r.lifetime, r.epoch ^ r.iport, r.eport);
	return 0;
}
