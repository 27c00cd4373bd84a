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
 * NAT-PMP (RFC 6886), the client side: ask the default gateway (UDP port
 * 5351) for its external IPv4 address and for a UDP port mapping, which
 * a lifetime of 0 deletes.  A pure codec: no sockets, no clock, no
 * allocation.  Integers are big-endian.
 *
 * Requests:
 *	address	0 version (0), 1 opcode (0)			2 bytes
 *	map	0 version, 1 opcode (1 UDP, 2 TCP), 2 reserved (2),
 *		4 internal port, 6 suggested external port,
 *		8 lifetime						12
 * Responses (opcode + 128):
 *	0 version, 1 opcode, 2 result code (2), 4 seconds since the start
 *	of the gateway's epoch (4), then
 *	address	8 external IPv4 address				12
 *	map	8 internal port, 10 external port, 12 lifetime	16
 * A response with a non-zero result may stop after the epoch (a gateway
 * answering a version it does not speak sends 8 bytes).  Bytes after
 * the layout are ignored.
 */

#ifndef NATPMP_H
#define NATPMP_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#define NATPMP_PORT		5351
/* where a restarted gateway announces itself */
#define NATPMP_CLIENT_PORT	5350
#define NATPMP_VERSION		0

#define NATPMP_OP_ADDRESS	0
#define NATPMP_OP_MAP_UDP	1
#define NATPMP_OP_MAP_TCP	2
#define NATPMP_OP_RESPONSE	128

#define NATPMP_ADDR_REQ_LEN	2
#define NATPMP_MAP_REQ_LEN	12
#define NATPMP_ADDR_RESP_LEN	12
#define NATPMP_MAP_RESP_LEN	16
#define NATPMP_ERR_RESP_LEN	8

/* the lifetime RFC 6886 recommends asking for, in seconds */
#define NATPMP_LIFETIME		7200
/* retransmission: 250 ms doubling, 9 tries (RFC 6886 section 3.1) */
#define NATPMP_RTO_MS		250
#define NATPMP_TRIES		9

enum natpmp_result {
	NATPMP_SUCCESS = 0,
	NATPMP_UNSUPP_VERSION,
	NATPMP_NOT_AUTHORIZED,
	NATPMP_NETWORK_FAILURE,
	NATPMP_NO_RESOURCES,
	NATPMP_UNSUPP_OPCODE
};

struct natpmp_resp {
	uint8_t		 op;		/* the request's opcode */
	uint16_t	 result;	/* enum natpmp_result */
	uint32_t	 epoch;		/* seconds since epoch start */
	/* NATPMP_OP_ADDRESS and success */
	uint8_t		 addr[4];
	/* NATPMP_OP_MAP_* and success */
	uint16_t	 iport;
	uint16_t	 eport;
	uint32_t	 lifetime;
};

/* the requests: their length, or -1 if the buffer is short */
ssize_t		 natpmp_addr_request(uint8_t *, size_t);
/*
 * op NATPMP_OP_MAP_UDP or _TCP, internal port, suggested external port,
 * lifetime in seconds.  Lifetime 0 deletes the mapping of the internal
 * port (the external port must then be 0; internal port 0 too deletes
 * all of the client's mappings).  -1 also for a bad opcode.
 */
ssize_t		 natpmp_map_request(uint8_t *, size_t, uint8_t, uint16_t,
		    uint16_t, uint32_t);
/* a response: 0, or -1 with *why a reason */
int		 natpmp_parse(const uint8_t *, size_t, struct natpmp_resp *,
		    const char **);
/* "success", "unsupported version", ... or "unknown result" */
const char	*natpmp_result_name(unsigned int);
/*
 * 1 if the gateway lost its mappings (restarted) between two responses:
 * their epochs and the client's clock in seconds when each arrived
 * (RFC 6886 section 3.6: the new epoch is more than 2 s below the old one
 * plus 7/8 of the time that passed).
 */
int		 natpmp_epoch_lost(uint32_t, uint64_t, uint32_t, uint64_t);

#endif /* NATPMP_H */
