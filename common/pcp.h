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
 * PCP (RFC 6887), the client side: a MAP request for a UDP port to the
 * default gateway (UDP port 5351, as NAT-PMP: PCP is its version 2), its
 * response, and the ANNOUNCE a restarted server multicasts.  A pure
 * codec: no sockets, no clock, no allocation.  Integers are big-endian;
 * every address is 16 bytes, an IPv4 one IPv4-mapped (::ffff:a.b.c.d).
 *
 * Request header (24):  0 version (2), 1 R=0 and opcode, 2 reserved (2),
 *	4 requested lifetime, 8 client IP address (16)
 * Response header (24): 0 version, 1 R=1 and opcode, 2 reserved,
 *	3 result code, 4 lifetime, 8 epoch time, 12 reserved (12)
 * MAP body (36), both ways: 0 nonce (12), 12 protocol, 13 reserved (3),
 *	16 internal port, 18 suggested / assigned external port,
 *	20 suggested / assigned external address (16)
 * then options: 0 code, 1 reserved, 2 length, data padded to 4.  A
 * message is a multiple of 4 bytes and at most 1100.
 */

#ifndef PCP_H
#define PCP_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#define PCP_PORT		5351
/* where a restarted server multicasts ANNOUNCE (224.0.0.1) */
#define PCP_CLIENT_PORT		5350
#define PCP_VERSION		2
#define PCP_MAX_LEN		1100
#define PCP_HDR_LEN		24
#define PCP_MAP_LEN		(PCP_HDR_LEN + 36)
#define PCP_NONCE_LEN		12

#define PCP_OP_ANNOUNCE		0
#define PCP_OP_MAP		1
#define PCP_OP_PEER		2
#define PCP_R			0x80	/* the opcode byte's response bit */

#define PCP_PROTO_UDP		17
/* retransmission (RFC 6887 section 8.1.1): 3 s doubling up to 1024 s */
#define PCP_IRT_S		3
#define PCP_MRT_S		1024

enum pcp_result {
	PCP_SUCCESS = 0,
	PCP_UNSUPP_VERSION,
	PCP_NOT_AUTHORIZED,
	PCP_MALFORMED_REQUEST,
	PCP_UNSUPP_OPCODE,
	PCP_UNSUPP_OPTION,
	PCP_MALFORMED_OPTION,
	PCP_NETWORK_FAILURE,
	PCP_NO_RESOURCES,
	PCP_UNSUPP_PROTOCOL,
	PCP_USER_EX_QUOTA,
	PCP_CANNOT_PROVIDE_EXTERNAL,
	PCP_ADDRESS_MISMATCH,
	PCP_EXCESSIVE_REMOTE_PEERS
};

struct pcp_map_req {
	uint8_t		 nonce[PCP_NONCE_LEN];	/* random; kept to renew */
	uint8_t		 client[16];	/* ours as the server sees it */
	uint16_t	 iport;		/* the tunnel port */
	uint16_t	 eport;		/* suggested, 0 for none */
	uint8_t		 eaddr[16];	/* suggested; ::ffff:0.0.0.0: none */
	uint32_t	 lifetime;	/* seconds, 0 deletes */
};

struct pcp_resp {
	uint8_t		 version;	/* 2, or 0: see natpmp below */
	uint8_t		 op;		/* PCP_OP_ANNOUNCE or _MAP */
	uint8_t		 result;	/* enum pcp_result */
	uint32_t	 lifetime;	/* of the mapping, or of the error */
	uint32_t	 epoch;		/* the server's epoch time */
	/* MAP (all zero in an error response that omits the body) */
	int		 has_map;
	uint8_t		 nonce[PCP_NONCE_LEN];	/* the caller checks */
	uint8_t		 proto;
	uint16_t	 iport;
	uint16_t	 eport;
	uint8_t		 eaddr[16];
	/*
	 * 1 if a NAT-PMP-only gateway answered "unsupported version" (a
	 * version 0 response with result 1): fall back to NAT-PMP.
	 */
	int		 natpmp;
};

/* our IPv4 address as PCP writes it: ::ffff:a.b.c.d */
void		 pcp_addr_v4map(uint8_t *, const uint8_t *);
/* 1 if an IPv4-mapped address (then the IPv4 address is the last 4) */
int		 pcp_addr_is_v4(const uint8_t *);
/* a MAP request for UDP: PCP_MAP_LEN, or -1 if the buffer is short */
ssize_t		 pcp_map_request(uint8_t *, size_t,
		    const struct pcp_map_req *);
/* an ANNOUNCE request (lifetime 0): PCP_HDR_LEN or -1 */
ssize_t		 pcp_announce_request(uint8_t *, size_t,
		    const uint8_t *);
/*
 * A MAP or ANNOUNCE response: 0, or -1 with *why a reason.  The caller
 * checks the nonce against its request's (and the protocol and internal
 * port, RFC 6887 section 11.4).
 */
int		 pcp_parse_response(const uint8_t *, size_t,
		    struct pcp_resp *, const char **);
/* "SUCCESS", "UNSUPP_VERSION", ... (the RFC's names) or "unknown" */
const char	*pcp_result_name(unsigned int);
/* the result in words: "success", "not authorized", ... */
const char	*pcp_result_words(unsigned int);
/*
 * 1 if the server lost its state between two responses: their epochs and
 * the client's clock in seconds when each arrived (RFC 6887 section 8.5).
 */
int		 pcp_epoch_lost(uint32_t, uint64_t, uint32_t, uint64_t);

#endif /* PCP_H */
