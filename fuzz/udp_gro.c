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
 * meshd-net's UDP offloads (meshd-net/udpgso.c): the size a UDP_GRO
 * control message reports, the cutting of a glued datagram into pieces
 * and each piece's first look (wire_check), as net_udp_read() does; and
 * the runs udp_gso_run() makes of a batch's lengths.
 *
 * Checked besides memory safety: the pieces cover the datagram in order,
 * no byte twice or left out, all of one size but a shorter last, none
 * empty unless the datagram is; each piece gets the verdict its own
 * type says (malformed, data, or a handshake's); a run is at least one,
 * at most UDP_GSO_MAX_SEGS and UDP_GSO_MAX_BYTES, of the first's length
 * but a shorter last.
 *
 * Input: a mode byte; bit 0 clear: a 4-byte size in a well-formed
 * UDP_GRO message, set: control bytes as they come (a length byte,
 * then up to the buffer's size); bit 1 set: a PKTINFO before it.  Then
 * a length byte and as many 16-bit message lengths for udp_gso_run();
 * the rest is the datagram.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/udp.h>

#include <stdlib.h>
#include <string.h>

#include "cookie.h"
#include "fuzz.h"
#include "udpgso.h"
#include "wgproto.h"
#include "wire.h"

static const uint8_t	our_pub[WG_PUBLIC_LEN] = { 0x77, 0x11, 0x22 };

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_quiet();
	return 0;
}

static void
check_runs(struct fz *f)
{
	struct iovec	iov[2 * UDP_GSO_MAX_SEGS];
	size_t		n, i, r, total;

	n = fz_u8(f) % (sizeof(iov) / sizeof(iov[0]) + 1);
	for (i = 0; i < n; i++) {
		iov[i].iov_base = NULL;
		iov[i].iov_len = fz_u16(f);
	}
	r = udp_gso_run(iov, n);
	if ((n == 0) != (r == 0) || r > n || r > UDP_GSO_MAX_SEGS)
		abort();
	if (r < 2)
		return;
	for (i = 0, total = 0; i < r; i++) {
		if (iov[i].iov_len == 0 || iov[i].iov_len > iov[0].iov_len ||
		    (i + 1 < r && iov[i].iov_len != iov[0].iov_len))
			abort();
		total += iov[i].iov_len;
	}
	if (total > UDP_GSO_MAX_BYTES)
		abort();
}

/* the control messages, as the mode says; the size they report */
static int
control(struct fz *f, uint8_t mode, union udp_gro_cmsg *cm)
{
	struct msghdr	 mh;
	struct cmsghdr	*c;
	size_t		 len;
	int		 size;

	memset(cm, 0, sizeof(*cm));
	memset(&mh, 0, sizeof(mh));
	mh.msg_control = cm->buf;
	if (mode & 1) {
		len = fz_u8(f) % (sizeof(cm->buf) + 1);
		fz_bytes(f, cm->buf, len);
		mh.msg_controllen = len;
		return udp_gro_size(&mh);
	}
	size = (int)fz_u32(f);
	mh.msg_controllen = sizeof(cm->buf);
	c = CMSG_FIRSTHDR(&mh);
	if (mode & 2) {
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
		c = CMSG_NXTHDR(&mh, c);
	}
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_GRO;
	c->cmsg_len = CMSG_LEN(sizeof(size));
	memcpy(CMSG_DATA(c), &size, sizeof(size));
	if (udp_gso_supported() && udp_gro_size(&mh) != size)
		abort();
	return size;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cookie_checker	 cc;
	union udp_gro_cmsg	 cm;
	struct udp_segs		 segs;
	struct fz		 f;
	const uint8_t		*dgram, *seg, *at;
	uint8_t			 src[WIRE_SRC_MAX] = {
	    198, 18, 0, 2, 0xca, 0x6c };
	uint8_t			 reply[WG_COOKIE_MSG_LEN];
	size_t			 len, seglen, n, step;
	int			 gro, verdict, type;
	uint8_t			 mode;

	fz_init(&f, data, size);
	mode = fz_u8(&f);
	gro = control(&f, mode, &cm);
	check_runs(&f);
	len = fz_take(&f, UDP_GRO_BUF, &dgram);

	cookie_checker_init(&cc, NULL, NULL);
	cookie_checker_set_key(&cc, our_pub);
	step = gro > 0 && (size_t)gro < len ? (size_t)gro : len;
	at = dgram;
	n = 0;
	udp_segs_init(&segs, dgram, len, gro);
	while (udp_segs_next(&segs, &seg, &seglen)) {
		/* in order, of the size, a shorter last, empty only alone */
		if (seg != at || seglen > step || (seglen == 0 && len != 0))
			abort();
		if (seglen < step && seg + seglen != dgram + len)
			abort();
		at += seglen;
		n++;
		type = wg_msg_type(seg, seglen);
		verdict = wire_check(&cc, seg, seglen, src, 6, 0,
		    1000 * WG_NSEC, reply);
		if ((type == 0 && verdict != WIRE_MALFORMED) ||
		    (type == WG_MSG_DATA && verdict != WIRE_DATA) ||
		    (type != 0 && type != WG_MSG_DATA &&
		    (verdict == WIRE_MALFORMED || verdict == WIRE_DATA)))
			abort();
	}
	if (at != dgram + len || n != (len == 0 ? 1 : (len + step - 1) / step))
		abort();
	return 0;
}
