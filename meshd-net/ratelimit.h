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
 * Handshakes per source address, for when meshd-net is under load: a
 * sender that has proved its address with a cookie (a good mac2) may
 * still send only RATELIMIT_PER_SEC handshake messages a second, with a
 * burst of RATELIMIT_BURST, as the Linux kernel's WireGuard allows.  An
 * IPv4 sender is its address, an IPv6 sender its /64.
 *
 * A fixed table, keyed by a secret hash so that a sender cannot choose
 * which slots its addresses use; a slot idle for a second is free.  When
 * every slot a sender may use is taken, it is refused.
 */

#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_PER_SEC	20
#define RATELIMIT_BURST		5
#define RATELIMIT_SLOTS		8192	/* a power of two */
#define RATELIMIT_PROBE		16	/* slots tried per sender */

struct ratelimit_slot {
	uint8_t		 key[9];	/* family, then 4 or 8 bytes */
	uint64_t	 last;		/* ns; 0: free */
	uint64_t	 tokens;	/* ns of credit */
};

struct ratelimit {
	uint8_t			 secret[32];
	struct ratelimit_slot	 slot[RATELIMIT_SLOTS];
};

/* secret: 32 random bytes */
void	ratelimit_init(struct ratelimit *, const uint8_t [32]);
/*
 * src, srclen: wire_src()'s bytes (address, then port: the port is not
 * used).  now: monotonic ns, never 0.  1 if the message may pass.
 */
int	ratelimit_allow(struct ratelimit *, const uint8_t *, size_t,
	    uint64_t);

#endif /* RATELIMIT_H */
