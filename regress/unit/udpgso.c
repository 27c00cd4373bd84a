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
 * UDP offloads (meshd-net/udpgso.c): cutting what GRO glued, with sizes
 * no kernel reports (0, negative, larger than the datagram) and last
 * pieces of 1 byte; the runs that may go as one datagram; the control
 * messages both ways, and a round trip through the kernel on loopback
 * where it has both offloads.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "endpoint.h"
#include "udpgso.h"

#define MAXP	70000

static size_t	 plen[MAXP];
static size_t	 poff[MAXP];

/* the pieces of len bytes glued at size: how many, their lengths, where */
static size_t
cut(const uint8_t *buf, size_t len, int size)
{
	struct udp_segs	 s;
	const uint8_t	*seg;
	size_t		 seglen, n = 0;

	udp_segs_init(&s, buf, len, size);
	while (n < MAXP && udp_segs_next(&s, &seg, &seglen)) {
		poff[n] = seg - buf;
		plen[n++] = seglen;
	}
	return n;
}

/* pieces in order, no gap or overlap, all of size but a last shorter */
static int
covers(size_t n, size_t len, size_t size)
{
	size_t	i, at = 0;

	for (i = 0; i < n; i++) {
		if (poff[i] != at || plen[i] > size)
			return 0;
		if (i + 1 < n && plen[i] != size)
			return 0;
		if (plen[i] == 0 && len != 0)
			return 0;
		at += plen[i];
	}
	return at == len;
}

static void
test_cut(void)
{
	static uint8_t	buf[UDP_GRO_BUF];
	size_t		n, len, size, bad;

	n = cut(buf, 148, 0);
	ok(n == 1 && plen[0] == 148 && poff[0] == 0,
	    "size 0 (no GRO message): one datagram of 148");
	n = cut(buf, 148, -5);
	ok(n == 1 && plen[0] == 148, "a negative size: one datagram");
	n = cut(buf, 1452, 2000);
	ok(n == 1 && plen[0] == 1452,
	    "a size larger than the datagram: one datagram");
	n = cut(buf, 1452, 1452);
	ok(n == 1 && plen[0] == 1452, "a size equal to it: one datagram");
	n = cut(buf, 300, 100);
	ok(n == 3 && plen[0] == 100 && plen[1] == 100 && plen[2] == 100 &&
	    poff[1] == 100 && poff[2] == 200,
	    "exactly 3 x 100: three of 100, no empty fourth");
	n = cut(buf, 250, 100);
	ok(n == 3 && plen[2] == 50 && poff[2] == 200,
	    "2 x 100 + 50: the last is 50");
	n = cut(buf, 201, 100);
	ok(n == 3 && plen[2] == 1 && poff[2] == 200,
	    "2 x 100 + 1: a last piece of 1 byte");
	n = cut(buf, 101, 100);
	ok(n == 2 && plen[0] == 100 && plen[1] == 1,
	    "100 + 1: two pieces");
	n = cut(buf, 0, 0);
	ok(n == 1 && plen[0] == 0, "an empty datagram: one empty piece");
	n = cut(buf, 0, 100);
	ok(n == 1 && plen[0] == 0,
	    "an empty datagram with a size: one empty piece");
	n = cut(buf, 5, 1);
	ok(n == 5 && covers(n, 5, 1), "size 1: a piece a byte");
	n = cut(buf, sizeof(buf), 1);
	ok(n == sizeof(buf) && covers(n, sizeof(buf), 1),
	    "64 KiB at size 1: 65536 pieces of 1 byte, no more");
	n = cut(buf, 64 * 1452, 1452);
	ok(n == 64 && covers(n, 64 * 1452, 1452),
	    "64 x 1452: 64 pieces");
	n = cut(buf, 45 * 1452 + 32, 1452);
	ok(n == 46 && plen[45] == 32 && covers(n, 45 * 1452 + 32, 1452),
	    "45 x 1452 + a keepalive's 32");

	/* every length to 600 at every size to 130: cut right */
	bad = 0;
	for (len = 0; len <= 600; len++)
		for (size = 1; size <= 130; size++) {
			n = cut(buf, len, size);
			if (!covers(n, len, size < len ? size : len) ||
			    n != (len == 0 ? 1 : (len + size - 1) / size))
				bad++;
		}
	ok(bad == 0, "lengths 0-600 at sizes 1-130: every byte in exactly "
	    "one piece, all of the size but the last (%zu wrong)", bad);
}

static size_t
run_of(const size_t *lens, size_t n)
{
	struct iovec	iov[100];
	size_t		i;

	for (i = 0; i < n; i++) {
		iov[i].iov_base = NULL;
		iov[i].iov_len = lens[i];
	}
	return udp_gso_run(iov, n);
}

static void
test_run(void)
{
	size_t	l[100] = { 0 }, i;

	ok(run_of(l, 0) == 0, "no messages: no run");
	l[0] = 100;
	ok(run_of(l, 1) == 1, "one message: alone");
	l[0] = l[1] = l[2] = 100;
	ok(run_of(l, 3) == 3, "three of 100: one run");
	l[2] = 50;
	ok(run_of(l, 3) == 3, "100, 100, 50: one run, the last shorter");
	l[0] = 100; l[1] = 50; l[2] = 100;
	ok(run_of(l, 3) == 2, "100, 50, 100: the shorter ends the run");
	l[0] = 100; l[1] = 100; l[2] = 150;
	ok(run_of(l, 3) == 2, "100, 100, 150: a longer one is not in it");
	l[0] = 100; l[1] = 0; l[2] = 100;
	ok(run_of(l, 3) == 1, "100, 0, 100: an empty one is not in it");
	l[0] = 0; l[1] = 0;
	ok(run_of(l, 2) == 1, "an empty first goes alone");
	l[0] = 70000; l[1] = 70000;
	ok(run_of(l, 2) == 1, "one over 64 KiB goes alone");
	for (i = 0; i < 100; i++)
		l[i] = 100;
	ok(run_of(l, 100) == UDP_GSO_MAX_SEGS, "100 of 100 bytes: 64");
	for (i = 0; i < 100; i++)
		l[i] = 1452;
	ok(run_of(l, 100) == 45,
	    "100 of 1452: 45 (65340 bytes; 46 would be over 65507)");
	l[45] = 200;
	ok(run_of(l, 46) == 45, "45 of 1452 and a 200 over the bound: 45");
	l[45] = 167;
	ok(run_of(l, 46) == 46, "45 of 1452 and a 167 up to it: 46");
}

static void
test_cmsg(void)
{
	struct msghdr		 mh;
	struct mesh_endpoint	 ep;
	union ep_cmsg		 ec;
	union udp_gso_cmsg	 gc;
	struct cmsghdr		*c;
	struct sockaddr_in	 sin;
	uint16_t		 size;
	int			 gro;
	uint8_t			 buf[CMSG_SPACE(sizeof(int)) + 8];

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(51820);
	sin.sin_addr.s_addr = htonl(0xc6120002);
	ep_set_remote(&ep, &sin, sizeof(sin));

	memset(&mh, 0, sizeof(mh));
	ep_msghdr(&ep, &mh, &ec);
	udp_gso_msghdr(&mh, &gc, 1452);
	c = CMSG_FIRSTHDR(&mh);
	memcpy(&size, CMSG_DATA(c), sizeof(size));
	ok(mh.msg_controllen == CMSG_SPACE(sizeof(uint16_t)) &&
	    c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_SEGMENT &&
	    c->cmsg_len == CMSG_LEN(sizeof(uint16_t)) && size == 1452 &&
	    CMSG_NXTHDR(&mh, c) == NULL,
	    "no local address: UDP_SEGMENT alone");

	ep.local_af = AF_INET;
	ep.local[0] = 198; ep.local[1] = 18; ep.local[3] = 1;
	memset(&mh, 0, sizeof(mh));
	ep_msghdr(&ep, &mh, &ec);
	udp_gso_msghdr(&mh, &gc, 92);
	c = CMSG_FIRSTHDR(&mh);
	ok(c != NULL && c->cmsg_level == IPPROTO_IP &&
	    c->cmsg_type == IP_PKTINFO, "a local address: PKTINFO first");
	c = CMSG_NXTHDR(&mh, c);
	if (c != NULL)
		memcpy(&size, CMSG_DATA(c), sizeof(size));
	ok(c != NULL && c->cmsg_level == SOL_UDP &&
	    c->cmsg_type == UDP_SEGMENT && size == 92 &&
	    CMSG_NXTHDR(&mh, c) == NULL &&
	    mh.msg_controllen <= sizeof(gc.buf),
	    "then UDP_SEGMENT, in room");

	/* what GRO reports */
	memset(&mh, 0, sizeof(mh));
	ok(udp_gro_size(&mh) == 0, "no control messages: size 0");
	ep_msghdr(&ep, &mh, &ec);
	ok(udp_gro_size(&mh) == 0, "a PKTINFO alone: size 0");
	memset(buf, 0, sizeof(buf));
	mh.msg_control = buf;
	mh.msg_controllen = CMSG_SPACE(sizeof(int));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_GRO;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	gro = 1452;
	memcpy(CMSG_DATA(c), &gro, sizeof(gro));
	ok(udp_gro_size(&mh) == 1452, "UDP_GRO 1452: 1452");
	c->cmsg_len = CMSG_LEN(2);
	ok(udp_gro_size(&mh) == 0, "a UDP_GRO too short for an int: none");
	c->cmsg_len = CMSG_LEN(sizeof(int));
	c->cmsg_level = IPPROTO_IP;
	ok(udp_gro_size(&mh) == 0, "type 104 at another level: none");
}

/*
 * The kernel: 3 x 100 + 50 sent as one with UDP_SEGMENT to a socket
 * with UDP_GRO on loopback.  It may come glued (size 100) or one by
 * one: cut, the pieces are the four datagrams either way.
 */
static void
test_kernel(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof(sin);
	struct msghdr		 mh;
	struct iovec		 iov[4];
	union udp_gso_cmsg	 gc;
	union udp_gro_cmsg	 rc;
	uint8_t			 out[4][100], in[UDP_GRO_BUF];
	size_t			 lens[4] = { 100, 100, 100, 50 }, i, n, got;
	ssize_t			 r;
	int			 s = -1, d = -1, on = 1, good, glued = 0;

	if (!udp_gso_supported() ||
	    (s = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    (d = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    setsockopt(d, SOL_UDP, UDP_GRO, &on, sizeof(on)) == -1) {
		for (i = 0; i < 3; i++)
			ok(1, "# SKIP no UDP_GRO here (%s)", strerror(errno));
		goto done;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(d, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(d, (struct sockaddr *)&sin, &slen) == -1) {
		for (i = 0; i < 3; i++)
			ok(1, "# SKIP no loopback (%s)", strerror(errno));
		goto done;
	}
	for (i = 0; i < 4; i++) {
		memset(out[i], 'a' + i, sizeof(out[i]));
		out[i][0] = 4;	/* a data message's type, for the look */
		iov[i].iov_base = out[i];
		iov[i].iov_len = lens[i];
	}
	ok(udp_gso_run(iov, 4) == 4, "the four are one run");
	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &sin;
	mh.msg_namelen = sizeof(sin);
	mh.msg_iov = iov;
	mh.msg_iovlen = 4;
	udp_gso_msghdr(&mh, &gc, 100);
	r = sendmsg(s, &mh, 0);
	ok(r == 350, "sent as one: 350 bytes (%zd, %s)", r,
	    r == -1 ? strerror(errno) : "");
	/* glued, or up to four reads */
	good = 1;
	for (i = 0, got = 0; got < 4 && good; ) {
		memset(&mh, 0, sizeof(mh));
		iov[0].iov_base = in;
		iov[0].iov_len = sizeof(in);
		mh.msg_iov = iov;
		mh.msg_iovlen = 1;
		mh.msg_control = rc.buf;
		mh.msg_controllen = sizeof(rc.buf);
		if ((r = recvmsg(d, &mh, MSG_DONTWAIT)) == -1) {
			good = 0;
			break;
		}
		if (udp_gro_size(&mh) != 0)
			glued = 1;
		n = cut(in, r, udp_gro_size(&mh));
		for (i = 0; i < n && got < 4; i++, got++)
			if (plen[i] != lens[got] ||
			    memcmp(in + poff[i], out[got], plen[i]) != 0)
				good = 0;
	}
	ok(good && got == 4, "received and cut: the four datagrams, byte for "
	    "byte (%s)", glued ? "glued by GRO" : "one by one");
 done:
	if (s != -1)
		close(s);
	if (d != -1)
		close(d);
}

int
main(void)
{
	test_cut();
	test_run();
	test_cmsg();
	test_kernel();
	return tap_done();
}
