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
 * meshd-net's endpoints on real loopback sockets: the local address a
 * datagram came to is learned from IP_PKTINFO, an answer sent with
 * ep_msghdr() leaves from it, a local address that is not ours makes
 * the send fail and is forgotten, and the next send goes from the
 * kernel's choice.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "endpoint.h"

static int
udp4(const char *addr, struct sockaddr_in *sin)
{
	socklen_t	len = sizeof(*sin);
	int		fd, on = 1;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, addr, &sin->sin_addr);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) == -1 ||
	    bind(fd, (struct sockaddr *)sin, sizeof(*sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)sin, &len) == -1)
		return -1;
	return fd;
}

/* one datagram on fd: its endpoint */
static int
recv_ep(int fd, struct mesh_endpoint *ep)
{
	struct sockaddr_storage	 ss;
	struct msghdr		 mh;
	struct iovec		 iov;
	union ep_cmsg		 cm;
	char			 b[16];

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = b;
	iov.iov_len = sizeof(b);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_name = &ss;
	mh.msg_namelen = sizeof(ss);
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	if (recvmsg(fd, &mh, 0) == -1)
		return -1;
	ep_from_msghdr(ep, &mh);
	return 0;
}

static ssize_t
send_ep(int fd, struct mesh_endpoint *ep)
{
	struct msghdr	mh;
	struct iovec	iov;
	union ep_cmsg	cm;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = "x";
	iov.iov_len = 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	ep_msghdr(ep, &mh, &cm);
	return sendmsg(fd, &mh, 0);
}

static const char *
local4(const struct mesh_endpoint *ep, char *buf)
{
	if (ep->local_af != AF_INET)
		return "(none)";
	return inet_ntop(AF_INET, ep->local, buf, INET_ADDRSTRLEN);
}

int
main(void)
{
	struct sockaddr_in	 srv, cli, to;
	struct mesh_endpoint	 ep, back;
	char			 buf[INET_ADDRSTRLEN], text[160];
	int			 s, c, err;

	if ((s = udp4("0.0.0.0", &srv)) == -1 ||
	    (c = udp4("127.0.0.1", &cli)) == -1) {
		printf("1..0 # SKIP no IPv4 loopback: %s\n", strerror(errno));
		return 0;
	}
	/* the client talks to 127.0.0.2, not the kernel's first choice */
	to = srv;
	inet_pton(AF_INET, "127.0.0.2", &to.sin_addr);
	ok(sendto(c, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)) == 1,
	    "a datagram to 127.0.0.2");
	ok(recv_ep(s, &ep) == 0 && ep_family(&ep) == AF_INET,
	    "received, an IPv4 endpoint");
	is_str(local4(&ep, buf), "127.0.0.2", "its local address");
	ok(ep.ifindex != 0, "and its interface (%u)", ep.ifindex);
	ok(strstr(ep_ntop(&ep, text, sizeof(text)), " from 127.0.0.2") != NULL,
	    "ep_ntop: %s", text);
	/* the answer leaves from 127.0.0.2 */
	ok(send_ep(s, &ep) == 1, "answered");
	ok(recv_ep(c, &back) == 0, "the client has it");
	to.sin_port = srv.sin_port;
	ok(back.addrlen == sizeof(to) && memcmp(back.addr, &to,
	    sizeof(to)) == 0, "from 127.0.0.2, our port");

	/* a local address that is not ours: the send fails, it is forgotten */
	inet_pton(AF_INET, "198.18.255.254", ep.local);
	err = send_ep(s, &ep) == -1 ? errno : 0;
	ok(err != 0, "from an address we lack: fails (%s)", strerror(err));
	ok(ep_local_gone(&ep, err) == 1 && ep.local_af == 0,
	    "the local address is forgotten");
	ok(ep_local_gone(&ep, err) == 0, "only once");
	ok(send_ep(s, &ep) == 1, "then the kernel chooses");
	ok(recv_ep(c, &back) == 0, "and it arrives");

	/* what is not an endpoint */
	ep.local_af = AF_INET;
	ok(ep_local_gone(&ep, ENOBUFS) == 0 && ep.local_af == AF_INET,
	    "a full buffer is not a lost address");
	ep.addrlen = sizeof(struct sockaddr_in6);
	ok(ep_family(&ep) == 0, "an IPv4 address with the length of IPv6");
	ep_set_remote(&ep, &to, 200);
	ok(ep.addrlen == 0 && ep_family(&ep) == 0, "a too long address");
	close(s);
	close(c);
	return tap_done();
}
