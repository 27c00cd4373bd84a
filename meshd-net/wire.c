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


#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <string.h>

#include "wire.h"

size_t
wire_src(const struct sockaddr_storage *ss, uint8_t out[WIRE_SRC_MAX])
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)ss;

	switch (ss->ss_family) {
	case AF_INET:
		memcpy(out, &sin->sin_addr, 4);
		memcpy(out + 4, &sin->sin_port, 2);
		return 6;
	case AF_INET6:
		memcpy(out, &sin6->sin6_addr, 16);
		memcpy(out + 16, &sin6->sin6_port, 2);
		return 18;
	default:
		return 0;
	}
}

enum wire_verdict
wire_check(struct cookie_checker *cc, const uint8_t *msg, size_t len,
    const uint8_t *src, size_t srclen, int busy, uint64_t now,
    uint8_t reply[WG_COOKIE_MSG_LEN])
{
	switch (wg_msg_type(msg, len)) {
	case WG_MSG_DATA:
		return WIRE_DATA;
	case WG_MSG_COOKIE:
		/* no MACs: meshd-crypto matches it to a handshake it sent */
		return WIRE_HANDSHAKE;
	case WG_MSG_INITIATION:
	case WG_MSG_RESPONSE:
		break;
	default:
		return WIRE_MALFORMED;
	}
	switch (cookie_checker_validate(cc, msg, len, src, srclen, busy,
	    now)) {
	case COOKIE_MAC_VALID:
	case COOKIE_MAC_VALID_COOKIE:
		return WIRE_HANDSHAKE;
	case COOKIE_MAC_NEED_COOKIE:
		if (cookie_checker_create_reply(cc, reply, msg, len, src,
		    srclen, now) == -1)
			return WIRE_BAD_MAC;	/* no randomness: cannot answer */
		return WIRE_COOKIE_REPLY;
	case COOKIE_MAC_INVALID:
	default:
		return WIRE_BAD_MAC;
	}
}
