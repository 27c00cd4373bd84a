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
 * The PCP client codec (common/pcp.c): the MAP and ANNOUNCE requests
 * byte for byte as RFC 6887 lays them out, responses built by hand from
 * its layouts (with options), a NAT-PMP-only gateway's answer, result
 * codes in words, the epoch check, and hostile responses.
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "byteorder.h"
#include "pcp.h"

static const uint8_t nonce[12] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
};
static const uint8_t client4[4] = { 10, 0, 0, 2 };
static const uint8_t ext4[4] = { 198, 18, 1, 1 };

static int
refused(const uint8_t *p, size_t len, const char *want)
{
	struct pcp_resp	 r;
	const char	*why = NULL;

	if (pcp_parse_response(p, len, &r, &why) != -1 || why == NULL)
		return 0;
	if (strstr(why, want) == NULL) {
		diag("why: '%s', want '%s'", why, want);
		return 0;
	}
	return 1;
}

/* a MAP response: result, lifetime, epoch, 51820 -> eport at ext4 */
static size_t
map_resp(uint8_t *b, uint8_t result, uint32_t life, uint32_t epoch,
    uint16_t eport)
{
	memset(b, 0, PCP_MAP_LEN);
	b[0] = 2;
	b[1] = 0x80 | PCP_OP_MAP;
	b[3] = result;
	put_be32(b + 4, life);
	put_be32(b + 8, epoch);
	memcpy(b + 24, nonce, 12);
	b[36] = 17;
	put_be16(b + 40, 51820);
	put_be16(b + 42, eport);
	pcp_addr_v4map(b + 44, ext4);
	return PCP_MAP_LEN;
}

static void
test_requests(void)
{
	struct pcp_map_req	q;
	uint8_t			b[PCP_MAP_LEN + 4], want[PCP_MAP_LEN];
	static const uint8_t	any4[4] = { 0, 0, 0, 0 };

	memset(&q, 0, sizeof(q));
	memcpy(q.nonce, nonce, 12);
	pcp_addr_v4map(q.client, client4);
	q.iport = 51820;
	q.eport = 51820;
	pcp_addr_v4map(q.eaddr, any4);
	q.lifetime = 7200;

	memset(want, 0, sizeof(want));
	want[0] = 2;
	want[1] = 1;
	put_be32(want + 4, 7200);
	want[18] = want[19] = 0xff;
	memcpy(want + 20, client4, 4);
	memcpy(want + 24, nonce, 12);
	want[36] = 17;
	put_be16(want + 40, 51820);
	put_be16(want + 42, 51820);
	want[54] = want[55] = 0xff;
	is_int(pcp_map_request(b, sizeof(b), &q), 60, "MAP request: 60 bytes");
	ok(memcmp(b, want, sizeof(want)) == 0, "version 2, MAP, lifetime, "
	    "client ::ffff:10.0.0.2, nonce, UDP, ports, ::ffff:0.0.0.0");
	is_int(pcp_map_request(b, 59, &q), -1, "no room: -1");
	is_int(pcp_announce_request(b, sizeof(b), q.client), 24,
	    "ANNOUNCE request: the header alone");
	ok(b[0] == 2 && b[1] == 0 && get_be32(b + 4) == 0 &&
	    memcmp(b + 8, q.client, 16) == 0, "version 2, opcode 0, "
	    "lifetime 0, our address");
	ok(pcp_addr_is_v4(q.client) && memcmp(q.client + 12, client4, 4) == 0,
	    "an IPv4-mapped address is IPv4, the last 4 bytes");
	q.client[10] = 0;
	ok(!pcp_addr_is_v4(q.client), "without ffff it is not");
}

static void
test_responses(void)
{
	struct pcp_resp	 r;
	const char	*why = NULL;
	uint8_t		 b[PCP_MAP_LEN + 16];
	size_t		 n;
	/* a NAT-PMP-only gateway's "unsupported version" */
	static const uint8_t	pmp[] = { 0, 129, 0, 1, 0, 0, 0, 5 };

	n = map_resp(b, PCP_SUCCESS, 7200, 3600, 40000);
	ok(pcp_parse_response(b, n, &r, &why) == 0 && r.version == 2 &&
	    r.op == PCP_OP_MAP && r.result == PCP_SUCCESS &&
	    r.lifetime == 7200 && r.epoch == 3600 && r.has_map &&
	    memcmp(r.nonce, nonce, 12) == 0 && r.proto == 17 &&
	    r.iport == 51820 && r.eport == 40000 && pcp_addr_is_v4(r.eaddr) &&
	    memcmp(r.eaddr + 12, ext4, 4) == 0,
	    "MAP success: nonce, UDP 51820 -> 198.18.1.1:40000, 7200 s, epoch "
	    "3600");
	/* an optional option (code 128) of 5 bytes, padded to 8 */
	b[60] = 128;
	put_be16(b + 62, 5);
	memset(b + 64, 0x77, 8);
	ok(pcp_parse_response(b, n + 12, &r, &why) == 0 && r.eport == 40000,
	    "an option after the body is skipped");
	n = map_resp(b, PCP_NO_RESOURCES, 30, 3600, 0);
	ok(pcp_parse_response(b, n, &r, &why) == 0 &&
	    r.result == PCP_NO_RESOURCES && r.lifetime == 30,
	    "MAP error NO_RESOURCES, valid 30 s");
	is_str(pcp_result_name(r.result), "NO_RESOURCES", "its RFC name");
	is_str(pcp_result_words(r.result), "out of resources", "in words");
	ok(pcp_parse_response(b, PCP_HDR_LEN, &r, &why) == 0 && !r.has_map &&
	    r.result == PCP_NO_RESOURCES, "an error may be the header alone");
	n = map_resp(b, PCP_SUCCESS, 0, 3700, 0);
	ok(pcp_parse_response(b, n, &r, &why) == 0 && r.lifetime == 0,
	    "a delete's answer: lifetime 0, port 0");

	memset(b, 0, PCP_HDR_LEN);
	b[0] = 2;
	b[1] = 0x80 | PCP_OP_ANNOUNCE;
	put_be32(b + 8, 2);
	ok(pcp_parse_response(b, PCP_HDR_LEN, &r, &why) == 0 &&
	    r.op == PCP_OP_ANNOUNCE && r.epoch == 2 && r.result == 0,
	    "ANNOUNCE: epoch 2 (the server restarted)");

	ok(pcp_parse_response(pmp, sizeof(pmp), &r, &why) == 0 && r.natpmp &&
	    r.result == PCP_UNSUPP_VERSION, "a NAT-PMP-only gateway's "
	    "unsupported version: fall back to NAT-PMP");
	is_str(pcp_result_words(12), "client address mismatch (a NAT between "
	    "us and the server)", "ADDRESS_MISMATCH in words");
	is_str(pcp_result_name(13), "EXCESSIVE_REMOTE_PEERS", "result 13");
	is_str(pcp_result_name(14), "unknown", "result 14");
}

static void
test_hostile(void)
{
	struct pcp_resp	 r;
	const char	*why = NULL;
	uint8_t		 b[PCP_MAX_LEN + 8];
	size_t		 n;

	n = map_resp(b, PCP_SUCCESS, 7200, 1, 40000);
	ok(refused(b, n - 4, "MAP response of 56"), "a success cut to 56");
	ok(refused(b, n - 1, "59 bytes"), "not a multiple of 4");
	ok(refused(b, 20, "20 bytes"), "shorter than a header");
	memset(b + n, 0, sizeof(b) - n);
	ok(refused(b, PCP_MAX_LEN + 4, "1104 bytes"), "longer than 1100");
	b[1] = PCP_OP_MAP;
	ok(refused(b, n, "a request"), "a request (R bit clear)");
	b[1] = 0x80 | PCP_OP_PEER;
	ok(refused(b, n, "opcode 2"), "PEER we never ask for");
	b[1] = 0x80 | PCP_OP_MAP;
	b[0] = 3;
	ok(refused(b, n, "version 3"), "version 3");
	b[0] = 2;
	put_be16(b + 42, 0);
	ok(refused(b, n, "external port 0"), "a success mapping to port 0");
	put_be16(b + 42, 40000);
	/* an option claiming more than is left */
	b[60] = 1;
	put_be16(b + 62, 8);
	ok(refused(b, n + 8, "option 1 at 60"), "an option past the end");
	put_be16(b + 62, 0xffff);
	ok(refused(b, n + 4, "option 1 at 60"), "an option of 65535 bytes");
	put_be16(b + 62, 0);
	ok(pcp_parse_response(b, n + 4, &r, &why) == 0 && r.eport == 40000,
	    "an empty option is fine");
}

static void
test_epoch(void)
{
	ok(!pcp_epoch_lost(1000, 50, 1060, 110), "in step: kept");
	ok(!pcp_epoch_lost(1000, 50, 1001, 50), "a second on at once: kept");
	ok(!pcp_epoch_lost(1000, 50, 999, 50), "a second back: kept");
	ok(pcp_epoch_lost(1000, 50, 998, 50), "two seconds back: lost");
	ok(pcp_epoch_lost(1000, 50, 10, 110), "restarted: lost");
	ok(pcp_epoch_lost(1000, 50, 1020, 110), "server 20 s over 60: lost");
	ok(pcp_epoch_lost(1000, 50, 1200, 110), "server 200 s over 60: lost");
	ok(!pcp_epoch_lost(1000, 0, 1000 + 1600, 1700), "1/16 apart over "
	    "1700 s: kept");
}

int
main(void)
{
	test_requests();
	test_responses();
	test_hostile();
	test_epoch();
	return tap_done();
}
