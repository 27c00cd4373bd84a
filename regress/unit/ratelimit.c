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


/* meshd-net's per-source handshake rate limit, on a fake clock */

#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"
#include "tap.h"

#define NS	1000000000ULL
#define MS	1000000ULL

static struct ratelimit	rl;

/* wire_src()'s bytes for an address and port */
static size_t
src(uint8_t *out, const char *addr, uint16_t port)
{
	uint16_t	p = htons(port);

	if (inet_pton(AF_INET, addr, out) == 1) {
		memcpy(out + 4, &p, 2);
		return 6;
	}
	if (inet_pton(AF_INET6, addr, out) != 1)
		abort();
	memcpy(out + 16, &p, 2);
	return 18;
}

/* how many of n messages, one at each of the times t0 + i * step, pass */
static int
allowed(const char *addr, uint16_t port, int n, uint64_t t0, uint64_t step)
{
	uint8_t	s[18];
	size_t	len = src(s, addr, port);
	int	i, k = 0;

	for (i = 0; i < n; i++)
		k += ratelimit_allow(&rl, s, len, t0 + i * step);
	return k;
}

int
main(void)
{
	uint8_t		 secret[32], s[18];
	uint64_t	 t = 1000 * NS;
	char		 a[64];
	int		 i, k;

	memset(secret, 7, sizeof(secret));
	ratelimit_init(&rl, secret);

	is_int(allowed("198.18.0.1", 1000, 10, t, 0), RATELIMIT_BURST,
	    "a burst of 10 at once: %d pass", RATELIMIT_BURST);
	is_int(allowed("198.18.0.1", 1000, 1, t + 49 * MS, 0), 0,
	    "49 ms later: still nothing");
	is_int(allowed("198.18.0.1", 1000, 1, t + 50 * MS, 0), 1,
	    "50 ms later: one more (%d a second)", RATELIMIT_PER_SEC);
	is_int(allowed("198.18.0.1", 2000, 1, t + 50 * MS, 0), 0,
	    "the port does not matter: another port shares the limit");
	is_int(allowed("198.18.0.2", 1000, 10, t, 0), RATELIMIT_BURST,
	    "another address has its own burst");

	/* a steady flood: one message a millisecond for 10 s */
	t += 10 * NS;
	k = allowed("198.18.0.3", 1000, 10000, t, MS);
	is_int(k, RATELIMIT_BURST + (10000 - 1) / 50,
	    "10 s of 1000/s from one address: %d pass (burst + 20/s)", k);

	/* IPv6: a /64 is one sender */
	t += 10 * NS;
	is_int(allowed("2001:db8:1:2::1", 1, 3, t, 0), 3, "IPv6: 3 pass");
	is_int(allowed("2001:db8:1:2:ffff::9", 1, 10, t, 0),
	    RATELIMIT_BURST - 3, "another host in the same /64 shares it");
	is_int(allowed("2001:db8:1:3::1", 1, 10, t, 0), RATELIMIT_BURST,
	    "the next /64 does not");

	/* idle for a second: the slot is free, a full burst again */
	is_int(allowed("198.18.0.1", 1000, 10, t + 2 * NS, 0),
	    RATELIMIT_BURST, "after a second idle: a full burst");

	/* the table full: more senders at once than slots */
	t += 10 * NS;
	for (i = k = 0; i < 3 * RATELIMIT_SLOTS; i++) {
		snprintf(a, sizeof(a), "10.%d.%d.%d", i >> 16, (i >> 8) & 255,
		    i & 255);
		k += allowed(a, 1, 1, t, 0);
	}
	ok(k <= RATELIMIT_SLOTS && k > RATELIMIT_SLOTS / 2,
	    "%d senders at once: %d get a slot, the rest are refused",
	    3 * RATELIMIT_SLOTS, k);
	is_int(allowed("198.18.0.200", 1, 1, t + 2 * NS, 0), 1,
	    "a second later the slots are free again");

	memset(s, 0, sizeof(s));
	ok(ratelimit_allow(&rl, s, 5, t) == 0, "a malformed source is refused");
	tap_done();
	return 0;
}
