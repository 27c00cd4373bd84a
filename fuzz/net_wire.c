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
 * meshd-net's first look at a datagram, wire_check() (meshd-net/wire.c)
 * with common/cookie.c's checker behind it.  A run is a series of
 * datagrams from two sources on a clock that moves as the input says,
 * under load or not, some with their MACs made by a real cookie maker
 * (a peer that knows our public key and keeps the cookies we send it).
 *
 * Checked besides memory safety: the verdict follows the type and
 * length; nothing reaches crypto or earns a cookie reply without a
 * right mac1; a right mac1 passes when not under load; a cookie reply
 * goes back to the sender's index and the maker accepts it; a mac2 made
 * with a live cookie for the same source passes under load, and one
 * made with another source's cookie does not.
 *
 * Input: an options byte (bit 0: the rng fails), then datagrams: a
 * flags byte, a time step (2 bytes), a length (2 bytes) and the bytes
 * (flags bits 4-5: an initiation or response whatever the length).
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include "cookie.h"
#include "fuzz.h"
#include "wgcrypto.h"
#include "wgproto.h"
#include "wire.h"

#define SEC		WG_NSEC
#define MAX_MSGS	32

static const uint8_t	our_pub[WG_PUBLIC_LEN] = { 0x77, 0x11, 0x22 };

struct trng {
	uint64_t	state;
	int		fail;
};

static int
trng_fill(void *buf, size_t len, void *arg)
{
	struct trng	*r = arg;
	uint8_t		*p = buf;

	if (r->fail)
		return -1;
	while (len-- > 0) {
		r->state = r->state * 6364136223846793005ULL +
		    1442695040888963407ULL;
		*p++ = r->state >> 56;
	}
	return 0;
}

/* source 0 and 1: IPv4 and IPv6; 2: a family wire_src() does not know */
static size_t
make_src(int which, uint16_t port, uint8_t out[WIRE_SRC_MAX])
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	size_t			 n;

	memset(&ss, 0, sizeof(ss));
	switch (which) {
	case 0:
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(0xc6120002);	/* 198.18.0.2 */
		break;
	case 1:
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_addr.s6_addr[0] = 0xfd;
		sin6->sin6_addr.s6_addr[15] = 2;
		break;
	default:
		ss.ss_family = AF_UNIX;
		break;
	}
	n = wire_src(&ss, out);
	if (n != (which == 0 ? 6 : which == 1 ? 18 : 0))
		abort();
	return n;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_quiet();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cookie_checker	 cc;
	struct cookie_maker	 cm;
	struct cookie_load	 cl;
	struct trng		 rng = { 1, 0 };
	struct fz		 f;
	uint8_t			 reply[WG_COOKIE_MSG_LEN], mac1key[WG_HASH_LEN];
	uint8_t			 src[WIRE_SRC_MAX], *msg;
	uint64_t		 now = 1000 * SEC, cookie_secret = 0;
	size_t			 srclen, len, n;
	uint16_t		 step, port;
	uint8_t			 flags;
	int			 i, type, verdict, which, busy, made;
	int			 cookie_src = -1, mac1_ok;

	fz_init(&f, data, size);
	rng.fail = fz_u8(&f) & 1;
	cookie_checker_init(&cc, trng_fill, &rng);
	cookie_checker_set_key(&cc, our_pub);
	cookie_maker_init(&cm, our_pub);
	cookie_derive_key(mac1key, WG_LABEL_MAC1, our_pub);
	memset(&cl, 0, sizeof(cl));

	for (i = 0; i < MAX_MSGS && fz_left(&f) > 0; i++) {
		flags = fz_u8(&f);
		step = fz_u16(&f);
		now += step & 1 ? (uint64_t)(step >> 1) * SEC :
		    (uint64_t)(step >> 1) * (SEC / 1000);
		busy = flags & 1;
		if (flags & 0x80)
			busy = cookie_load_update(&cl, fz_u8(&f), 64, now);
		which = (flags >> 1) & 1;
		if ((flags & 0x0c) == 0x0c)
			which = 2;
		port = which == 0 ? 51820 : 51821;
		srclen = make_src(which, port, src);

		/*
		 * The bytes: any, or a handshake message of the right size
		 * whose first n bytes come from the input, the rest zero.
		 */
		n = fz_u16(&f);
		switch ((flags >> 4) & 3) {
		case 1:
			len = WG_INIT_LEN;
			break;
		case 2:
			len = WG_RESP_LEN;
			break;
		default:
			len = n %= 1500;
			break;
		}
		if ((msg = calloc(1, len ? len : 1)) == NULL)
			abort();
		fz_bytes(&f, msg, n < len ? n : len);
		if (((flags >> 4) & 3) == 1 || ((flags >> 4) & 3) == 2) {
			msg[0] = ((flags >> 4) & 3);
			msg[1] = msg[2] = msg[3] = 0;
		}
		/* a real peer's MACs: mac1, and mac2 if it holds a cookie */
		made = (flags & 0x40) && (len == WG_INIT_LEN ||
		    len == WG_RESP_LEN);
		if (made)
			cookie_maker_add_macs(&cm, msg, len, now);

		type = wg_msg_type(msg, len);
		verdict = wire_check(&cc, msg, len, src, srclen, busy, now,
		    reply);
		mac1_ok = cookie_verify_mac1(mac1key, msg, len) == 0;
		switch (type) {
		case 0:
			if (verdict != WIRE_MALFORMED)
				abort();
			break;
		case WG_MSG_DATA:
			if (verdict != WIRE_DATA)
				abort();
			break;
		case WG_MSG_COOKIE:
			if (verdict != WIRE_HANDSHAKE)
				abort();
			break;
		default:
			if (verdict == WIRE_MALFORMED || verdict == WIRE_DATA)
				abort();
			if (!mac1_ok && verdict != WIRE_BAD_MAC)
				abort();
			if (mac1_ok && !busy && verdict != WIRE_HANDSHAKE)
				abort();
			if (mac1_ok && busy && !rng.fail &&
			    verdict == WIRE_BAD_MAC)
				abort();
			break;
		}
		if (made && busy && (type == WG_MSG_INITIATION ||
		    type == WG_MSG_RESPONSE) && cm.has_cookie &&
		    now >= cm.cookie_birth &&
		    now - cm.cookie_birth < WG_COOKIE_SECRET_MAX_AGE -
		    WG_COOKIE_SECRET_LATENCY && cc.has_secret &&
		    cc.secret_birth == cookie_secret && now >= cc.secret_birth &&
		    now - cc.secret_birth < WG_COOKIE_SECRET_MAX_AGE) {
			/* a live cookie: its source passes, another does not */
			if (cookie_src == which && verdict != WIRE_HANDSHAKE)
				abort();
			if (cookie_src != which && which != 2 &&
			    cookie_src != 2 && verdict == WIRE_HANDSHAKE)
				abort();
		}
		if (verdict == WIRE_COOKIE_REPLY) {
			if (wg_msg_type(reply, sizeof(reply)) != WG_MSG_COOKIE ||
			    memcmp(reply + WG_COOKIE_OFF_RECEIVER,
			    msg + WG_INIT_OFF_SENDER, 4) != 0)
				abort();
			/* the peer that made the mac1 takes the cookie */
			if (made) {
				if (cookie_maker_consume_reply(&cm, reply,
				    sizeof(reply), now) != 0)
					abort();
				cookie_src = which;
				cookie_secret = cc.secret_birth;
			}
		}
		free(msg);
	}
	cookie_checker_wipe(&cc);
	cookie_maker_wipe(&cm);
	return 0;
}
