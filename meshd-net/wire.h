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
 * The first look at a datagram in meshd-net: its type, its length, and
 * for handshake messages the MACs.  A pure function of its inputs (the
 * cookie checker's secret aside), so it is tested and fuzzed alone.
 */

#ifndef WIRE_H
#define WIRE_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "cookie.h"
#include "wgproto.h"

enum wire_verdict {
	WIRE_MALFORMED,		/* no known type, or a wrong length for it */
	WIRE_BAD_MAC,		/* a handshake message whose mac1 is wrong */
	WIRE_COOKIE_REPLY,	/* under load without a good mac2: answer
				   with the cookie reply written to reply */
	WIRE_HANDSHAKE,		/* initiation, response or cookie reply for
				   meshd-crypto */
	WIRE_DATA		/* a data message for meshd-crypto */
};

#define WIRE_SRC_MAX	18	/* IPv6 address and port */

/*
 * The bytes that name a sender for cookies: the address, then the port
 * in network order.  Returns their length, 0 for another family.
 */
size_t	wire_src(const struct sockaddr_storage *, uint8_t [WIRE_SRC_MAX]);

/*
 * msg, len: one datagram as received.  src, srclen: from wire_src().
 * busy: meshd-net is under load (cookie_load_update()).  reply is
 * written only for WIRE_COOKIE_REPLY.
 */
enum wire_verdict
	wire_check(struct cookie_checker *, const uint8_t *, size_t,
	    const uint8_t *, size_t, int, uint64_t,
	    uint8_t [WG_COOKIE_MSG_LEN]);

#endif /* WIRE_H */
