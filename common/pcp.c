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
 * The PCP client codec (pcp.h), by explicit offsets.
 */

#include <sys/types.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "byteorder.h"
#include "pcp.h"
#include "why.h"

static const uint8_t	v4prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

void
pcp_addr_v4map(uint8_t *out, const uint8_t *v4)
{
	memcpy(out, v4prefix, sizeof(v4prefix));
	memcpy(out + 12, v4, 4);
}

int
pcp_addr_is_v4(const uint8_t *a)
{
	return memcmp(a, v4prefix, sizeof(v4prefix)) == 0;
}

static void
put_req_header(uint8_t *p, uint8_t op, uint32_t lifetime,
    const uint8_t *client)
{
	p[0] = PCP_VERSION;
	p[1] = op;
	put_be16(p + 2, 0);
	put_be32(p + 4, lifetime);
	memcpy(p + 8, client, 16);
}

ssize_t
pcp_map_request(uint8_t *buf, size_t len, const struct pcp_map_req *q)
{
	uint8_t	*b = buf + PCP_HDR_LEN;

	if (len < PCP_MAP_LEN)
		return -1;
	put_req_header(buf, PCP_OP_MAP, q->lifetime, q->client);
	memcpy(b, q->nonce, PCP_NONCE_LEN);
	b[12] = PCP_PROTO_UDP;
	b[13] = b[14] = b[15] = 0;
	put_be16(b + 16, q->iport);
	put_be16(b + 18, q->eport);
	memcpy(b + 20, q->eaddr, 16);
	return PCP_MAP_LEN;
}

ssize_t
pcp_announce_request(uint8_t *buf, size_t len, const uint8_t *client)
{
	if (len < PCP_HDR_LEN)
		return -1;
	put_req_header(buf, PCP_OP_ANNOUNCE, 0, client);
	return PCP_HDR_LEN;
}

/* options: framing only; a client acts on none (RFC 6887 section 7.3) */
static int
check_options(const uint8_t *p, size_t off, size_t len, const char **why)
{
	size_t	olen;

	while (off < len) {
		/* len and off are multiples of 4: the 4-byte header fits */
		olen = (get_be16(p + off + 2) + 3) & ~(size_t)3;
		if (olen > len - off - 4)
			return why_fail(why,
			    "option %u at %zu: %zu bytes past the "
			    "end", p[off], off, olen - (len - off - 4));
		off += 4 + olen;
	}
	return 0;
}

static int
parse_map(const uint8_t *p, size_t len, struct pcp_resp *r, const char **why)
{
	const uint8_t	*b = p + PCP_HDR_LEN;

	if (len < PCP_MAP_LEN) {
		/* an error may come back as the header alone */
		if (r->result != PCP_SUCCESS && len == PCP_HDR_LEN)
			return 0;
		return why_fail(why, "MAP response of %zu bytes", len);
	}
	r->has_map = 1;
	memcpy(r->nonce, b, PCP_NONCE_LEN);
	r->proto = b[12];
	r->iport = get_be16(b + 16);
	r->eport = get_be16(b + 18);
	memcpy(r->eaddr, b + 20, 16);
	if (r->result == PCP_SUCCESS && r->lifetime != 0 && r->eport == 0)
		return why_fail(why, "MAP success with external port 0");
	return check_options(p, PCP_MAP_LEN, len, why);
}

int
pcp_parse_response(const uint8_t *p, size_t len, struct pcp_resp *r,
    const char **why)
{
	memset(r, 0, sizeof(*r));
	if (len >= 4 && p[0] == 0 && p[1] >= 128 && get_be16(p + 2) == 1) {
		/* NAT-PMP's "unsupported version" (RFC 6887 section 9) */
		r->natpmp = 1;
		r->result = PCP_UNSUPP_VERSION;
		r->op = p[1] - 128;
		return 0;
	}
	if (len < PCP_HDR_LEN || len > PCP_MAX_LEN || len % 4 != 0)
		return why_fail(why, "%zu bytes: not a PCP message", len);
	r->version = p[0];
	if (p[0] != PCP_VERSION)
		return why_fail(why, "version %u", p[0]);
	if ((p[1] & PCP_R) == 0)
		return why_fail(why, "a request, not a response");
	r->op = p[1] & ~PCP_R;
	r->result = p[3];
	r->lifetime = get_be32(p + 4);
	r->epoch = get_be32(p + 8);
	switch (r->op) {
	case PCP_OP_ANNOUNCE:
		return check_options(p, PCP_HDR_LEN, len, why);
	case PCP_OP_MAP:
		return parse_map(p, len, r, why);
	default:
		return why_fail(why, "opcode %u", r->op);
	}
}

static const char *const result_names[][2] = {
	{ "SUCCESS", "success" },
	{ "UNSUPP_VERSION", "unsupported version" },
	{ "NOT_AUTHORIZED", "not authorized" },
	{ "MALFORMED_REQUEST", "malformed request" },
	{ "UNSUPP_OPCODE", "unsupported opcode" },
	{ "UNSUPP_OPTION", "unsupported option" },
	{ "MALFORMED_OPTION", "malformed option" },
	{ "NETWORK_FAILURE", "network failure" },
	{ "NO_RESOURCES", "out of resources" },
	{ "UNSUPP_PROTOCOL", "unsupported protocol" },
	{ "USER_EX_QUOTA", "mapping quota exceeded" },
	{ "CANNOT_PROVIDE_EXTERNAL", "cannot provide the external address "
	    "or port" },
	{ "ADDRESS_MISMATCH", "client address mismatch (a NAT between us "
	    "and the server)" },
	{ "EXCESSIVE_REMOTE_PEERS", "too many remote peers" }
};

const char *
pcp_result_name(unsigned int result)
{
	if (result < sizeof(result_names) / sizeof(result_names[0]))
		return result_names[result][0];
	return "unknown";
}

const char *
pcp_result_words(unsigned int result)
{
	if (result < sizeof(result_names) / sizeof(result_names[0]))
		return result_names[result][1];
	return "unknown result";
}

int
pcp_epoch_lost(uint32_t old_epoch, uint64_t old_now, uint32_t new_epoch,
    uint64_t new_now)
{
	uint64_t	cdelta, sdelta;

	/* the server's clock went back more than a second */
	if ((uint64_t)new_epoch + 1 < old_epoch)
		return 1;
	cdelta = new_now > old_now ? new_now - old_now : 0;
	sdelta = new_epoch > old_epoch ? new_epoch - old_epoch : 0;
	/* either clock ran more than 1/16 (and 2 s) faster than the other */
	return cdelta + 2 < sdelta - sdelta / 16 ||
	    sdelta + 2 < cdelta - cdelta / 16;
}
