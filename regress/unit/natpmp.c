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
 * The NAT-PMP client codec (common/natpmp.c): requests byte for byte as
 * RFC 6886 lays them out, responses built by hand from its layouts,
 * result codes in words, the epoch check, and hostile responses.
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "natpmp.h"

static int
refused(const uint8_t *p, size_t len, const char *want)
{
	struct natpmp_resp	 r;
	const char		*why = NULL;

	if (natpmp_parse(p, len, &r, &why) != -1 || why == NULL)
		return 0;
	if (strstr(why, want) == NULL) {
		diag("why: '%s', want '%s'", why, want);
		return 0;
	}
	return 1;
}

static void
test_requests(void)
{
	static const uint8_t	map[] = {
		0, 1, 0, 0, 0xca, 0x6c, 0xca, 0x6c, 0, 0, 0x1c, 0x20
	};
	static const uint8_t	del[] = { 0, 1, 0, 0, 0xca, 0x6c, 0, 0,
				    0, 0, 0, 0 };
	uint8_t			b[16];

	is_int(natpmp_addr_request(b, sizeof(b)), 2, "address request: 2 "
	    "bytes");
	ok(b[0] == 0 && b[1] == 0, "version 0, opcode 0");
	is_int(natpmp_addr_request(b, 1), -1, "no room: -1");
	is_int(natpmp_map_request(b, sizeof(b), NATPMP_OP_MAP_UDP, 51820,
	    51820, 7200), 12, "UDP map request: 12 bytes");
	ok(memcmp(b, map, sizeof(map)) == 0, "version 0, opcode 1, reserved, "
	    "internal 51820, suggested 51820, lifetime 7200");
	natpmp_map_request(b, sizeof(b), NATPMP_OP_MAP_UDP, 51820, 0, 0);
	ok(memcmp(b, del, sizeof(del)) == 0, "a delete: lifetime 0, external "
	    "port 0");
	is_int(natpmp_map_request(b, 11, NATPMP_OP_MAP_UDP, 1, 1, 1), -1,
	    "no room: -1");
	is_int(natpmp_map_request(b, sizeof(b), 3, 1, 1, 1), -1,
	    "opcode 3 is no mapping");
}

static void
test_responses(void)
{
	/* external address 198.18.1.1, epoch 3600 */
	static const uint8_t	addr[] = { 0, 128, 0, 0, 0, 0, 0x0e, 0x10,
				    198, 18, 1, 1 };
	/* UDP 51820 -> 40000 for 7200 s, epoch 3601 */
	static const uint8_t	map[] = { 0, 129, 0, 0, 0, 0, 0x0e, 0x11,
				    0xca, 0x6c, 0x9c, 0x40, 0, 0, 0x1c, 0x20 };
	/* "not authorized or refused" to a map, stopping after the epoch */
	static const uint8_t	refusedmap[] = { 0, 129, 0, 2, 0, 0, 0, 9 };
	/* a gateway that speaks only a newer version */
	static const uint8_t	unsuppver[] = { 0, 128, 0, 1, 0, 0, 0, 1 };
	/* unsupported opcode 5: the request echoed back */
	static const uint8_t	unsuppop[] = { 0, 133, 0, 5, 0, 0, 0, 1 };
	struct natpmp_resp	r;
	const char		*why = NULL;
	uint8_t			b[32];

	ok(natpmp_parse(addr, sizeof(addr), &r, &why) == 0 &&
	    r.op == NATPMP_OP_ADDRESS && r.result == NATPMP_SUCCESS &&
	    r.epoch == 3600 && memcmp(r.addr, (const uint8_t[]){ 198, 18,
	    1, 1 }, 4) == 0, "address response: 198.18.1.1, epoch 3600");
	ok(natpmp_parse(map, sizeof(map), &r, &why) == 0 &&
	    r.op == NATPMP_OP_MAP_UDP && r.result == 0 && r.epoch == 3601 &&
	    r.iport == 51820 && r.eport == 40000 && r.lifetime == 7200,
	    "map response: 51820 -> 40000, 7200 s, epoch 3601");
	memset(b, 0xaa, sizeof(b));
	memcpy(b, map, sizeof(map));
	ok(natpmp_parse(b, sizeof(b), &r, &why) == 0 && r.eport == 40000,
	    "bytes after the layout are ignored");
	ok(natpmp_parse(refusedmap, sizeof(refusedmap), &r, &why) == 0 &&
	    r.op == 1 && r.result == NATPMP_NOT_AUTHORIZED && r.epoch == 9 &&
	    r.eport == 0, "a refusal may stop after the epoch");
	is_str(natpmp_result_name(r.result), "not authorized or refused",
	    "and says so in words");
	ok(natpmp_parse(unsuppver, sizeof(unsuppver), &r, &why) == 0 &&
	    r.result == NATPMP_UNSUPP_VERSION, "unsupported version");
	ok(natpmp_parse(unsuppop, sizeof(unsuppop), &r, &why) == 0 &&
	    r.op == 5 && r.result == NATPMP_UNSUPP_OPCODE,
	    "unsupported opcode, for an opcode we never send");
	is_str(natpmp_result_name(0), "success", "result 0 in words");
	is_str(natpmp_result_name(4), "out of resources", "result 4");
	is_str(natpmp_result_name(5), "unsupported opcode", "result 5");
	is_str(natpmp_result_name(6), "unknown result", "result 6");
}

static void
test_hostile(void)
{
	uint8_t	b[16] = {
		0, 129, 0, 0, 0, 0, 0, 1,
		0xca, 0x6c, 0x9c, 0x40, 0, 0, 0x1c, 0x20
	};

	ok(refused(b, 7, "7 bytes"), "7 bytes are too few");
	ok(refused(b, 15, "15 bytes for opcode 1, want 16"),
	    "a successful map response cut short");
	ok(refused(b, 11, "11 bytes for opcode 1"), "or shorter");
	b[1] = 128;
	ok(refused(b, 11, "11 bytes for opcode 0, want 12"),
	    "a successful address response cut short");
	b[1] = 1;
	ok(refused(b, 16, "a request"), "a request (opcode < 128)");
	b[1] = 129;
	b[0] = 2;
	ok(refused(b, 16, "version 2"), "version 2 (PCP) is refused");
	b[0] = 0;
	b[1] = 131;
	ok(refused(b, 16, "success for opcode 3"),
	    "a success for an opcode we never sent");
}

static void
test_epoch(void)
{
	ok(!natpmp_epoch_lost(1000, 50, 1060, 110), "epoch moved as the "
	    "clock: kept");
	ok(!natpmp_epoch_lost(1000, 50, 1051, 110), "a gateway clock 1/8 slow: "
	    "kept");
	ok(natpmp_epoch_lost(1000, 50, 5, 110), "epoch back near 0: lost");
	ok(natpmp_epoch_lost(1000, 50, 1040, 110), "epoch 20 s behind after "
	    "60 s: lost (a restart)");
	ok(!natpmp_epoch_lost(1000, 50, 1000, 50), "the same answer twice: "
	    "kept");
	ok(!natpmp_epoch_lost(1000, 110, 1000, 50), "our clock went back: "
	    "no verdict against the gateway");
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
