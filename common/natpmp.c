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
 * The NAT-PMP client codec (natpmp.h), by explicit offsets.
 */

#include <sys/types.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "byteorder.h"
#include "natpmp.h"
#include "why.h"

ssize_t
natpmp_addr_request(uint8_t *buf, size_t len)
{
	if (len < NATPMP_ADDR_REQ_LEN)
		return -1;
	buf[0] = NATPMP_VERSION;
	buf[1] = NATPMP_OP_ADDRESS;
	return NATPMP_ADDR_REQ_LEN;
}

ssize_t
natpmp_map_request(uint8_t *buf, size_t len, uint8_t op, uint16_t iport,
    uint16_t eport, uint32_t lifetime)
{
	if (len < NATPMP_MAP_REQ_LEN ||
	    (op != NATPMP_OP_MAP_UDP && op != NATPMP_OP_MAP_TCP))
		return -1;
	buf[0] = NATPMP_VERSION;
	buf[1] = op;
	put_be16(buf + 2, 0);
	put_be16(buf + 4, iport);
	put_be16(buf + 6, eport);
	put_be32(buf + 8, lifetime);
	return NATPMP_MAP_REQ_LEN;
}

int
natpmp_parse(const uint8_t *p, size_t len, struct natpmp_resp *r,
    const char **why)
{
	size_t	need;

	memset(r, 0, sizeof(*r));
	if (len < NATPMP_ERR_RESP_LEN)
		return why_fail(why, "%zu bytes, want at least %d", len,
		    NATPMP_ERR_RESP_LEN);
	if (p[0] != NATPMP_VERSION)
		return why_fail(why, "version %u", p[0]);
	if (p[1] < NATPMP_OP_RESPONSE)
		return why_fail(why, "opcode %u: a request", p[1]);
	r->op = p[1] - NATPMP_OP_RESPONSE;
	r->result = get_be16(p + 2);
	r->epoch = get_be32(p + 4);
	switch (r->op) {
	case NATPMP_OP_ADDRESS:
		need = NATPMP_ADDR_RESP_LEN;
		break;
	case NATPMP_OP_MAP_UDP:
	case NATPMP_OP_MAP_TCP:
		need = NATPMP_MAP_RESP_LEN;
		break;
	default:
		/* an opcode we never send: only its error can come back */
		if (r->result == NATPMP_SUCCESS)
			return why_fail(why, "success for opcode %u", r->op);
		return 0;
	}
	if (len < need) {
		if (r->result != NATPMP_SUCCESS)
			return 0;
		return why_fail(why, "%zu bytes for opcode %u, want %zu", len,
		    r->op, need);
	}
	if (r->op == NATPMP_OP_ADDRESS)
		memcpy(r->addr, p + 8, 4);
	else {
		r->iport = get_be16(p + 8);
		r->eport = get_be16(p + 10);
		r->lifetime = get_be32(p + 12);
	}
	return 0;
}

const char *
natpmp_result_name(unsigned int result)
{
	static const char *const names[] = {
		"success",
		"unsupported version",
		"not authorized or refused",
		"network failure",
		"out of resources",
		"unsupported opcode"
	};

	if (result < sizeof(names) / sizeof(names[0]))
		return names[result];
	return "unknown result";
}

int
natpmp_epoch_lost(uint32_t old_epoch, uint64_t old_now, uint32_t new_epoch,
    uint64_t new_now)
{
	uint64_t	elapsed, expect;

	elapsed = new_now > old_now ? new_now - old_now : 0;
	/* 7/8 of the elapsed time: the gateway's clock may run slow */
	expect = (uint64_t)old_epoch + elapsed - elapsed / 8;
	return (uint64_t)new_epoch + 2 < expect;
}
