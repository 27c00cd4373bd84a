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
 * STUN (RFC 8489) as meshd uses it: the Binding method only, without
 * authentication.  A member asks a STUN server (or a coordinator, which
 * answers on its tunnel port) from the tunnel's own UDP socket which
 * address and port its packets come from; the answers arrive on that
 * socket among WireGuard messages and are told apart by stun_is_stun().
 * A pure codec: no sockets, no clock, no allocation.  Integers are
 * big-endian.
 *
 * Header (20 bytes):
 *	0	2	type: two zero bits, then method and class bits
 *			(Binding: 0x0001 request, 0x0101 success,
 *			0x0111 error)
 *	2	2	length of the attributes (a multiple of 4)
 *	4	4	magic cookie 0x2112a442
 *	8	12	transaction id
 * Attributes: type (2), length (2), value padded to a multiple of 4.
 * Types below 0x8000 are comprehension-required: a message holding one
 * we do not understand fails (RFC 8489 section 7.3).
 */

#ifndef STUN_H
#define STUN_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#define STUN_HDR_LEN		20
#define STUN_MAGIC		0x2112a442U
#define STUN_TXID_LEN		12
#define STUN_PORT		3478

#define STUN_BINDING_REQUEST	0x0001
#define STUN_BINDING_SUCCESS	0x0101
#define STUN_BINDING_ERROR	0x0111

/* attribute types */
#define STUN_A_MAPPED_ADDRESS		0x0001
#define STUN_A_USERNAME			0x0006
#define STUN_A_MESSAGE_INTEGRITY	0x0008
#define STUN_A_ERROR_CODE		0x0009
#define STUN_A_UNKNOWN_ATTRIBUTES	0x000a
#define STUN_A_REALM			0x0014
#define STUN_A_NONCE			0x0015
#define STUN_A_MESSAGE_INTEGRITY_SHA256	0x001c
#define STUN_A_PASSWORD_ALGORITHM	0x001d
#define STUN_A_USERHASH			0x001e
#define STUN_A_XOR_MAPPED_ADDRESS	0x0020
#define STUN_A_SOFTWARE			0x8022
#define STUN_A_FINGERPRINT		0x8028

#define STUN_FINGERPRINT_XOR	0x5354554eU	/* "STUN" */

/* a request: the header and FINGERPRINT, nothing naming the client */
#define STUN_REQUEST_LEN	(STUN_HDR_LEN + 8)
/* the longest answer stun_answer() writes: a 420 naming STUN_MAX_UNKNOWN
 * attributes, with no reason phrase (a success is at most 52) */
#define STUN_ANSWER_MAX	\
	(STUN_HDR_LEN + 8 + 4 + 2 * STUN_MAX_UNKNOWN + 8)
/* unknown comprehension-required attributes kept for the caller */
#define STUN_MAX_UNKNOWN	8

/* retransmission (RFC 8489 section 6.2.1): RTO doubling from 500 ms, Rc
 * requests, the last one waited for Rm times the first RTO */
#define STUN_RTO_MS		500
#define STUN_RC			7
#define STUN_RM			16

/* an address: af 4 or 6, port and address in host order / network bytes */
struct stun_addr {
	uint8_t		 af;
	uint16_t	 port;
	uint8_t		 addr[16];
};

/* a parsed Binding message */
struct stun_msg {
	uint16_t	 type;			/* STUN_BINDING_* */
	uint8_t		 txid[STUN_TXID_LEN];
	int		 fingerprint;	/* present (and right) */
	/* success: XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS */
	int		 has_mapped;
	int		 mapped_xor;	/* from XOR-MAPPED-ADDRESS */
	struct stun_addr mapped;
	/* error */
	unsigned int	 code;			/* 300..699 */
	const char	*reason;		/* into the buffer, UTF-8, */
	size_t		 reasonlen;	/* not NUL-terminated */
	/* comprehension-required attributes not understood */
	size_t		 nunknown;	/* how many (all counted) */
	uint16_t	 unknown[STUN_MAX_UNKNOWN];	/* the first ones */
};

/* CRC-32 as in ISO 3309 / IEEE 802.3 (zlib's crc32) */
uint32_t	 stun_crc32(const uint8_t *, size_t);
/*
 * 1 if the datagram is a whole STUN Binding message (request, success
 * or error): it may still fail to parse.  Cheap; for the receive path.
 */
int		 stun_is_stun(const uint8_t *, size_t);
/* a Binding request with FINGERPRINT: STUN_REQUEST_LEN, or -1 if short */
ssize_t		 stun_request(uint8_t *, size_t, const uint8_t *);
/*
 * A Binding success or error response: 0, or -1 with *why a reason.  A
 * success has a mapped address; an error its code and reason.  Fails on
 * a wrong FINGERPRINT and on unknown comprehension-required attributes
 * (then listed in nunknown/unknown: the RFC says the transaction
 * failed).  The caller matches txid to its request.
 */
int		 stun_parse_response(const uint8_t *, size_t,
		    struct stun_msg *, const char **);
/*
 * A Binding request: 0, or -1 with *why.  Unknown comprehension-required
 * attributes do not fail it (stun_answer() answers them with 420).
 */
int		 stun_parse_request(const uint8_t *, size_t,
		    struct stun_msg *, const char **);
/*
 * A server's answer to a request from src: a success with
 * XOR-MAPPED-ADDRESS and FINGERPRINT, or a 420 error with
 * UNKNOWN-ATTRIBUTES.  Its length, or -1 (with *why) if the request is
 * to be dropped unanswered (not a Binding request, malformed, bad
 * FINGERPRINT, bad source, no room).
 */
ssize_t		 stun_answer(const uint8_t *, size_t,
		    const struct stun_addr *, uint8_t *, size_t, const char **);
/* "Binding request", "Binding success", "Binding error" or "unknown" */
const char	*stun_type_name(unsigned int);

#endif /* STUN_H */
