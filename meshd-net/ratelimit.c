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


#include <string.h>

#include "ratelimit.h"
#include "wgcrypto.h"

#define NS		1000000000ULL
#define COST		(NS / RATELIMIT_PER_SEC)
#define MAX_TOKENS	(COST * RATELIMIT_BURST)
#define IDLE		NS	/* a slot unused this long is free */

void
ratelimit_init(struct ratelimit *rl, const uint8_t secret[32])
{
	memset(rl, 0, sizeof(*rl));
	memcpy(rl->secret, secret, sizeof(rl->secret));
}

static size_t
slot_hash(const struct ratelimit *rl, const uint8_t key[9])
{
	struct wg_blake2s	s;
	uint8_t			h[8];
	uint64_t		v;

	wg_blake2s_init_key(&s, sizeof(h), rl->secret, sizeof(rl->secret));
	wg_blake2s_update(&s, key, 9);
	wg_blake2s_final(&s, h);
	memcpy(&v, h, sizeof(v));
	return v & (RATELIMIT_SLOTS - 1);
}

int
ratelimit_allow(struct ratelimit *rl, const uint8_t *src, size_t srclen,
    uint64_t now)
{
	struct ratelimit_slot	*s, *free = NULL;
	uint8_t			 key[9];
	size_t			 h, i;
	uint64_t		 t;

	memset(key, 0, sizeof(key));
	if (srclen == 6) {		/* IPv4 address, port */
		key[0] = 4;
		memcpy(key + 1, src, 4);
	} else if (srclen == 18) {	/* IPv6 address, port: its /64 */
		key[0] = 6;
		memcpy(key + 1, src, 8);
	} else
		return 0;

	h = slot_hash(rl, key);
	for (i = 0; i < RATELIMIT_PROBE; i++) {
		s = &rl->slot[(h + i) & (RATELIMIT_SLOTS - 1)];
		if (s->last != 0 && now - s->last < IDLE) {
			if (memcmp(s->key, key, sizeof(key)) != 0)
				continue;
			/* refill for the time since, up to the burst */
			t = s->tokens + (now - s->last);
			s->tokens = t > MAX_TOKENS ? MAX_TOKENS : t;
			s->last = now;
			if (s->tokens < COST)
				return 0;
			s->tokens -= COST;
			return 1;
		}
		if (free == NULL)
			free = s;	/* idle or never used */
	}
	if (free == NULL)
		return 0;		/* every slot busy: refuse */
	memcpy(free->key, key, sizeof(key));
	free->last = now;
	free->tokens = MAX_TOKENS - COST;
	return 1;
}
