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
 * meshd-tun's inner IP headers: ippkt_parse() on anything, and
 * ippkt_unreach() with an output buffer of any size, apart or in place.
 * Whatever reply comes out must be a well-formed ICMP error back to the
 * packet's source, with good checksums, that would never be answered
 * itself.
 *
 * Input: a flags byte (bit 0: in place), the output size (2 bytes), our
 * address (16 bytes), then the packet.
 */

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ippkt.h"

static unsigned int
sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (; n > 1; p += 2, n -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (n == 1)
		sum += (uint32_t)p[0] << 8;
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static void
check_reply(const struct ippkt *ip, const uint8_t *our, const uint8_t *r,
    size_t n)
{
	struct ippkt	rp;
	uint8_t		tmp[1500], pseudo[40];

	if (ippkt_parse(r, n, &rp) == -1 || rp.len != n ||
	    rp.version != ip->version)
		abort();
	if (memcmp(rp.dst, ip->src, sizeof(rp.dst)) != 0)
		abort();
	if (ip->version == 4) {
		if (n > 576 || rp.hdrlen != 20 || rp.proto != 1 ||
		    memcmp(rp.src, our, 4) != 0)
			abort();
		if (sum16(r, 20, 0) != 0xffff ||
		    sum16(r + 20, n - 20, 0) != 0xffff)
			abort();
		if (r[20] != 3 || r[21] != 1)
			abort();
	} else {
		if (n > 1280 || rp.proto != 58 || memcmp(rp.src, our, 16) != 0)
			abort();
		memcpy(pseudo, r + 8, 32);
		memset(pseudo + 32, 0, 8);
		pseudo[34] = (n - 40) >> 8;
		pseudo[35] = (n - 40) & 0xff;
		pseudo[39] = 58;
		if (sum16(r + 40, n - 40, sum16(pseudo, 40, 0)) != 0xffff)
			abort();
		if (r[40] != 1 || r[41] != 3)
			abort();
	}
	/* an ICMP error is never answered */
	if (ippkt_unreach(r, n, our, tmp, sizeof(tmp)) != -1)
		abort();
}

/*
 * ippkt_l4() on the packet cut to its real length, in a buffer of exactly
 * that size: the filter's reader of ports, flags and ICMP quotes must
 * stay inside ip->len, and say -1 with nothing but proto and frag set.
 */
static void
check_l4(const uint8_t *pkt, const struct ippkt *ip)
{
	struct ippkt_l4	 l4;
	uint8_t		*cut;

	if ((cut = malloc(ip->len)) == NULL)
		abort();
	memcpy(cut, pkt, ip->len);
	if (ippkt_l4(cut, ip, &l4) == -1) {
		if (l4.sport != 0 || l4.dport != 0 || l4.icmp_err != 0 ||
		    l4.tcpflags != 0)
			abort();
	} else if (l4.frag > IPPKT_LATER_FRAG ||
	    (l4.frag == IPPKT_LATER_FRAG && (l4.sport != 0 ||
	    l4.icmp_err != 0)))
		abort();
	free(cut);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz	 f;
	struct ippkt	 ip;
	const uint8_t	*pkt;
	uint8_t		 our[16], *pcopy, *out;
	size_t		 len, outlen, bufsz;
	int		 inplace, n;

	fz_init(&f, data, size);
	inplace = fz_u8(&f) & 1;
	outlen = fz_u16(&f) % 2048;
	fz_bytes(&f, our, sizeof(our));
	len = fz_take(&f, fz_left(&f), &pkt);

	/* a copy of its own, so ASan sees every read past the end */
	if ((pcopy = malloc(len ? len : 1)) == NULL)
		abort();
	memcpy(pcopy, pkt, len);

	if (ippkt_parse(pcopy, len, &ip) == 0) {
		if ((ip.version != 4 && ip.version != 6) || ip.len > len ||
		    ip.hdrlen > ip.len || ip.reason != IPPKT_OK)
			abort();
	} else if (ip.reason == IPPKT_OK || ip.reason > IPPKT_BAD_LENGTH ||
	    ip.version != 0 || ip.len != 0)
		abort();
	if (ip.reason == IPPKT_OK)
		check_l4(pcopy, &ip);
	if (ippkt_reason(ip.reason) == NULL ||
	    strcmp(ippkt_reason((enum ippkt_reason)size), "") == 0)
		abort();

	bufsz = inplace && len > outlen ? len : outlen;
	if ((out = malloc(bufsz ? bufsz : 1)) == NULL)
		abort();
	if (inplace) {
		memcpy(out, pcopy, len);
		n = ippkt_unreach(out, len, our, out, outlen);
	} else
		n = ippkt_unreach(pcopy, len, our, out, outlen);
	if (n != -1) {
		if (n < 0 || (size_t)n > outlen || ip.reason != IPPKT_OK)
			abort();
		check_reply(&ip, our, out, n);
	}
	free(out);
	free(pcopy);
	return 0;
}
