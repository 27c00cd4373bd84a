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
 * meshd-tun's TUN offloads (offload.c).  The first byte picks:
 *
 *   even: the segmenter.  A 2-byte slot size, then a vnet header and a
 *	packet as read from the TUN.  Every segment must fit the slot;
 *	every segment of a super-packet must be IPv4 or IPv6 TCP of its
 *	own length with good checksums, and the payloads must add up.
 *   odd: the coalescer.  Packets, each a 2-byte length then its bytes,
 *	as they would come from peers after every check.  Whatever is
 *	written must fit 64 KiB; a super-packet cut again must give back
 *	packets that went in, each once (checksum fields aside, which it
 *	verifies), and no packet may be lost or made up.
 */

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "offload.h"

#define MAXIN	64

static uint8_t		 buf[OFFLOAD_BUFLEN];
static uint8_t		 out[OFFLOAD_BUFLEN];
static uint8_t		 wbuf[OFFLOAD_BUFLEN];
static const uint8_t	*in[MAXIN];
static size_t		 inlen[MAXIN];
static int		 used[MAXIN];
static size_t		 nin, nout;

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

static size_t
l4off(const uint8_t *p)
{
	return (p[0] >> 4) == 4 ? (size_t)(p[0] & 0x0f) * 4 : 40;
}

/* a TCP segment of exactly len bytes with both checksums right */
static void
check_tcp(const uint8_t *p, size_t len, size_t o)
{
	uint8_t	ph[40];
	size_t	l4;

	memset(ph, 0, sizeof(ph));
	if (o + 20 > len)
		abort();
	if ((p[0] >> 4) == 4) {
		if (len < 40 || (size_t)(p[2] << 8 | p[3]) != len ||
		    p[9] != 6 || o != l4off(p) || sum16(p, o, 0) != 0xffff)
			abort();
		l4 = len - o;
		memcpy(ph, p + 12, 8);
		ph[9] = 6;
		ph[10] = l4 >> 8;
		ph[11] = l4 & 0xff;
		if (sum16(p + o, l4, sum16(ph, 12, 0)) != 0xffff)
			abort();
	} else if ((p[0] >> 4) == 6) {
		if (len < 60 || (size_t)(p[4] << 8 | p[5]) + 40 != len ||
		    o < 40)
			abort();
		l4 = len - o;
		memcpy(ph, p + 8, 32);
		ph[34] = l4 >> 8;
		ph[35] = l4 & 0xff;
		ph[39] = 6;
		if (sum16(p + o, l4, sum16(ph, 40, 0)) != 0xffff)
			abort();
	} else
		abort();
}

static void
segmenter(struct fz *f)
{
	struct tso	 t;
	size_t		 slot = fz_u16(f), n, payload = 0, hlen;
	const uint8_t	*p;
	ssize_t		 len;

	n = fz_take(f, OFFLOAD_BUFLEN + 1, &p);
	memcpy(buf, p, n < OFFLOAD_BUFLEN ? n : OFFLOAD_BUFLEN);
	if (n > OFFLOAD_BUFLEN) {
		if (tso_start(&t, buf, n) != -1)
			abort();
		return;
	}
	if (tso_start(&t, buf, n) == -1)
		return;
	while ((len = tso_next(&t, out, slot)) > 0) {
		if ((size_t)len > slot)
			abort();
		if (!t.gso)
			continue;
		check_tcp(out, len, t.l4off);
		hlen = t.hlen;
		if ((size_t)len < hlen)
			abort();
		payload += len - hlen;
	}
	if (len == 0 && t.gso && payload != t.len - t.hlen)
		abort();
}

/* the same bytes but the checksum fields */
static int
same(const uint8_t *a, const uint8_t *b, size_t len)
{
	size_t	o = l4off(a), i;

	for (i = 0; i < len; i++) {
		if ((a[0] >> 4) == 4 && (i == 10 || i == 11))
			continue;
		if (i == o + 16 || i == o + 17)
			continue;
		if (a[i] != b[i])
			return 0;
	}
	return 1;
}

static void
match(const uint8_t *p, size_t len, int exact)
{
	size_t	i;

	for (i = 0; i < nin; i++)
		if (!used[i] && inlen[i] == len && (exact ?
		    memcmp(in[i], p, len) == 0 : same(in[i], p, len)))
			break;
	if (i == nin)
		abort();
	used[i] = 1;
	nout++;
}

static void
written(void *arg, const uint8_t *b, size_t n)
{
	struct tso	t;
	ssize_t		len;

	if (n < VNET_HDR_LEN || n > OFFLOAD_BUFLEN)
		abort();
	if (b[VNET_OFF_GSO_TYPE] == VNET_GSO_NONE) {
		if (b[VNET_OFF_FLAGS] != 0)
			abort();
		match(b + VNET_HDR_LEN, n - VNET_HDR_LEN, 1);
		return;
	}
	memcpy(buf, b, n);
	if (tso_start(&t, buf, n) == -1)
		abort();
	while ((len = tso_next(&t, out, sizeof(out))) > 0) {
		check_tcp(out, len, t.l4off);
		match(out, len, 0);
	}
	if (len == -1)
		abort();
}

static void
coalescer(struct fz *f)
{
	struct gro	 g;
	size_t		 i;

	nin = nout = 0;
	while (nin < MAXIN && fz_left(f) > 0) {
		inlen[nin] = fz_take(f, fz_u16(f), &in[nin]);
		used[nin] = 0;
		nin++;
	}
	gro_init(&g, wbuf, written, NULL);
	for (i = 0; i < nin; i++)
		gro_add(&g, in[i], inlen[i]);
	gro_flush(&g);
	if (nout != nin)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fz	f;

	fz_init(&f, data, len);
	if (fz_u8(&f) & 1)
		coalescer(&f);
	else
		segmenter(&f);
	return 0;
}
