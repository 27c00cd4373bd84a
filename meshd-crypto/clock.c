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
 * The protocol's clock: mesh_monotonic_ns(), for the engine's `now'.
 *
 * Tests only (make check builds a separate installation with
 * -DMESHD_TEST_CLOCK; a release build has none of this): the protocol's
 * clock runs MESHD_TEST_CLOCK_SCALE times faster than the real one, so a
 * test can watch rekeys (every 120 s) happen in seconds.
 */

#include <stdint.h>
#include <stdlib.h>

#include "crypto.h"
#include "log.h"

#ifdef MESHD_TEST_CLOCK
static uint64_t	clock_scale = 1, clock_base;
#define CLOCK_SCALE	clock_scale
#else
#define CLOCK_SCALE	1
#endif

/* before the sandbox: the test clock reads its environment */
void
crypto_clock_init(void)
{
#ifdef MESHD_TEST_CLOCK
	const char	*s = getenv("MESHD_TEST_CLOCK_SCALE");

	if (s != NULL && (clock_scale = strtoull(s, NULL, 10)) == 0)
		clock_scale = 1;
	clock_base = mesh_monotonic_ns();
	log_info("test clock: %llu times real time",
	    (unsigned long long)clock_scale);
#endif
}

/* the protocol's clock: mesh_monotonic_ns(), sped up in a test build */
uint64_t
crypto_now(void)
{
	uint64_t	t = mesh_monotonic_ns();

#ifdef MESHD_TEST_CLOCK
	t = clock_base + (t - clock_base) * clock_scale;
#endif
	return t;
}

/* a span of the protocol's clock in real nanoseconds (for timers) */
uint64_t
crypto_clock_real(uint64_t ns)
{
	return ns / CLOCK_SCALE;
}
