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
 * The NAT-PMP client codec (common/natpmp.c) on one UDP datagram from
 * the gateway's port.
 *
 * Checked besides memory safety: a refusal says why; a parsed response
 * is a response (version 0) to an opcode whose success it can carry,
 * and a success is long enough for its layout.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "natpmp.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_quiet();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct natpmp_resp	 r;
	const char		*why = NULL;

	if (natpmp_parse(data, len, &r, &why) == -1) {
		if (why == NULL || *why == '\0')
			abort();
		return 0;
	}
	if (len < NATPMP_ERR_RESP_LEN || data[0] != 0 || data[1] < 128 ||
	    r.op != data[1] - 128 || natpmp_result_name(r.result) == NULL)
		abort();
	if (r.result == NATPMP_SUCCESS) {
		if (r.op > NATPMP_OP_MAP_TCP)
			abort();
		if (r.op == NATPMP_OP_ADDRESS && len < NATPMP_ADDR_RESP_LEN)
			abort();
		if (r.op != NATPMP_OP_ADDRESS && len < NATPMP_MAP_RESP_LEN)
			abort();
	}
	/* the epoch check holds no state: any two answers are fine */
	(void)natpmp_epoch_lost(r.epoch, r.lifetime, r.epoch ^ r.iport,
	    r.eport);
	return 0;
}
