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
 * The mesh DNS codec (meshd-tun/dns.c) on one query as it reaches port
 * 53: the first byte says UDP (even) or TCP (odd), the rest is the
 * message.
 *
 * Checked besides memory safety: a response or a message shorter than a
 * header is never answered; an answer is a response with the query's id,
 * at most 1232 bytes over UDP, and TC is set only over UDP and only
 * when the whole answer would not fit.
 */

#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "dns.h"
#include "fuzz.h"

static uint8_t	out[DNS_TCP_MAX];

/* a, b and every other one-letter name: 10.0.0.x and fd00::x */
static int
lookup(const char *label, struct dns_addrs *as, void *arg)
{
	size_t	i, n;

	if (label[0] == '\0' || label[1] != '\0')
		return -1;
	memset(as, 0, sizeof(*as));
	n = (unsigned char)label[0] % DNS_ADDRS_MAX;
	for (i = 0; i < n; i++) {
		as->a[i].af = i % 2 ? 6 : 4;
		as->a[i].addr[0] = 10;
		as->a[i].addr[15] = i;
	}
	as->n = n;
	return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_quiet();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct dns_zone	 z = { "mesh.example", 5, 1, lookup, NULL };
	enum dns_result	 r;
	size_t		 outlen;
	int		 tcp, tc;

	if (len < 1)
		return 0;
	tcp = data[0] & 1;
	data++;
	len--;
	r = dns_answer(&z, data, len, tcp, out, sizeof(out), &outlen, &tc);
	if (r == DNS_R_DROP) {
		/* a query (QR clear) is always answered */
		if (outlen != 0 || (len >= DNS_HDR_LEN &&
		    (data[2] & 0x80) == 0))
			abort();
		return 0;
	}
	if (outlen < DNS_HDR_LEN || (out[2] & 0x80) == 0 ||
	    memcmp(out, data, 2) != 0)
		abort();
	if (!tcp && outlen > DNS_UDP_OURS)
		abort();
	if ((tc != 0) != ((out[2] & 0x02) != 0) || (tc && tcp))
		abort();
	return 0;
}
