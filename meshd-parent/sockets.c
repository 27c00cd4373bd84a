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
 * The UDP sockets for listen-port, opened by the parent for meshd-net.
 *
 * Each address family gets two sockets on the port, in one SO_REUSEPORT
 * group: the first takes data messages, the second everything else
 * (handshake messages, cookie replies, junk), as a classic BPF program
 * attached to the group sorts them by their first byte.  Each has its
 * own receive buffer, so a flood of handshake initiations overflows only
 * the second and the data of established sessions still gets through
 * (meshd-net reads both in turn).  Where the kernel cannot do it, one
 * socket takes all.  Every socket reports the local address each
 * datagram came to (IP_PKTINFO, IPV6_RECVPKTINFO): meshd-net answers a
 * peer from the address it talks to.
 *
 * Birthday punching (meshd-net/punch.c) needs many source ports for a
 * while: a symmetric NAT gives each new flow a port of its own, so the
 * member behind it sends from MESH_BDAY_SOCKS sockets at once and the
 * other side's probes at random ports of its NAT find one of them.  The
 * parent binds them (port 0, the kernel's choice, on the wildcard
 * address) when net asks and passes their descriptors, as it does the
 * listen-port's: meshd-net's seccomp filter allows no socket(2) or
 * bind(2) (see common/sandbox.c), so a compromised net still cannot
 * open a raw socket, a TCP connection or a socket of another family, or
 * bind a port of its choice.  What it can get here is bounded: one
 * batch of at most MESH_BDAY_SOCKS UDP sockets every BDAY_GAP seconds,
 * the longest an attempt runs (net closes a batch when its attempt
 * ends), of the families the listen-port has.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/filter.h>
#endif

#include "exit.h"
#include "log.h"
#include "parent.h"
#include "proc.h"
#include "wgproto.h"

#ifdef __linux__
/* the group's socket for a datagram: 0 for data, 1 for the rest */
static struct sock_filter udp_split_prog[] = {
	/* A = the first byte of the UDP payload (the message type) */
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, WG_MSG_DATA, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, 0),
	BPF_STMT(BPF_RET | BPF_K, 1),
};
#endif

static int
udp_bind(int af, uint16_t port, int reuse, char *err, size_t errlen)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 len;
	int			 fd, on = 1;

	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		len = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		len = sizeof(*sin6);
	}
	if ((fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_UDP)) == -1)
		goto fail;
	if (af == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
	    sizeof(on)) == -1)
		goto fail;
	/* the local address of each datagram, to answer from it */
#ifdef IP_PKTINFO
	if (af == AF_INET && setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on,
	    sizeof(on)) == -1)
		goto fail;
#endif
	if (af == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO,
	    &on, sizeof(on)) == -1)
		goto fail;
	if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on,
	    sizeof(on)) == -1)
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, len) == -1)
		goto fail;
	/* the tunnel's own datagrams keep out of an exit node's table */
	(void)exit_mark_socket(fd);
	return fd;
 fail:
	snprintf(err, errlen, "UDP port %u (%s): %s", port,
	    af == AF_INET ? "IPv4" : "IPv6", strerror(errno));
	if (fd != -1)
		close(fd);
	return -1;
}

/*
 * The handshake socket beside data socket fd, bound to the same port;
 * 0 (and the group left as it was) if the kernel cannot sort datagrams.
 */
static int
udp_split(int af, int fd, uint16_t port, int *hsfd)
{
#ifdef __linux__
	struct sock_fprog	 prog;
	char			 err[128];

	prog.len = sizeof(udp_split_prog) / sizeof(udp_split_prog[0]);
	prog.filter = udp_split_prog;
	if ((*hsfd = udp_bind(af, port, 1, err, sizeof(err))) == -1) {
		log_debug("%s: no handshake socket", err);
		return 0;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog,
	    sizeof(prog)) == -1) {
		log_debug("UDP port %u: SO_ATTACH_REUSEPORT_CBPF: %s", port,
		    strerror(errno));
		close(*hsfd);
		return 0;
	}
	return 1;
#else
	return 0;
#endif
}

/*
 * The sockets of one family on port (0: a free one), at fds; returns the
 * port, or -1 with err set.  A plain bind tries the port first: our own
 * sockets share it, a stranger's (another meshd on the same port) must
 * not, and a socket with SO_REUSEPORT would not find out.
 */
static int
udp_family(int af, uint16_t port, int *fds, size_t *nfds, char *err,
    size_t errlen)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);
	int			fd, hsfd;

	if ((fd = udp_bind(af, port, 0, err, errlen)) == -1)
		return -1;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		fatal("getsockname");
	port = ntohs(ss.ss_family == AF_INET ?
	    ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
	close(fd);
	if ((fd = udp_bind(af, port, 1, err, errlen)) == -1)
		return -1;
	fds[(*nfds)++] = fd;
	if (udp_split(af, fd, port, &hsfd))
		fds[(*nfds)++] = hsfd;
	return port;
}

/*
 * Binds IPv4 and IPv6 UDP sockets to port (0: the kernel picks one for
 * IPv4 and IPv6 takes the same), each a data socket with a handshake
 * socket after it where the kernel can sort (see above).  IPv6 is
 * skipped where the host has it off.  Returns the port bound, or -1 with
 * err set.
 */
int
udp_open(uint16_t port, int *fds, size_t max, size_t *nfds, char *err,
    size_t errlen)
{
	size_t	i;
	int	p;

	*nfds = 0;
	if (max < MESH_UDP_SOCKS)
		fatalx("%s: need room for %d sockets", __func__,
		    MESH_UDP_SOCKS);
	if ((p = udp_family(AF_INET, port, fds, nfds, err, errlen)) == -1)
		return -1;
	if (udp_family(AF_INET6, p, fds, nfds, err, errlen) == -1) {
		if (errno != EAFNOSUPPORT && errno != EADDRNOTAVAIL) {
			for (i = 0; i < *nfds; i++)
				close(fds[i]);
			*nfds = 0;
			return -1;
		}
		log_info("no IPv6 on this host: %s", err);
		err[0] = '\0';
	}
	return p;
}

#define BDAY_GAP	20	/* seconds: a birthday attempt's longest */

/*
 * A listening TCP socket of serve stream or serve relay: net only
 * accepts on it.  REUSEPORT: a reload binds the new set while net still
 * holds the old.  Marked, so that an exit node's routing table leaves
 * its connections on the underlay (exit.h).
 */
int
tcp_listen_socket(const struct sockaddr_storage *ss, socklen_t len,
    int backlog, char *err, size_t errlen)
{
	int	fd, on = 1;

	if ((fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ==
	    -1 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on,
	    sizeof(on)) == -1)
		goto fail;
	if (ss->ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1)
		goto fail;
	/*
	 * Datagrams ride these connections: a small one must not wait
	 * for the ACK of the last (Nagle), nor an HTTP answer for a TLS
	 * ticket's.  Accepted connections inherit it.
	 */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
		goto fail;
	if (bind(fd, (const struct sockaddr *)ss, len) == -1 ||
	    listen(fd, backlog) == -1)
		goto fail;
	(void)exit_mark_socket(fd);
	return fd;
fail:
	(void)snprintf(err, errlen, "%s", strerror(errno));
	if (fd != -1)
		close(fd);
	return -1;
}

/* BDAY_REQ: a birthday attempt's sockets, as many as the rules allow */
void
udp_bday(struct imsgev *net, struct imsg *imsg)
{
	static uint64_t		last_ns;
	struct mesh_bday_req	req;
	uint64_t		now = mesh_monotonic_ns();
	char			err[128];
	int			af, fd;
	uint16_t		i, n = 0;

	if (imsg_get_data(imsg, &req, sizeof(req)) == -1 ||
	    req.count == 0 || req.count > MESH_BDAY_SOCKS ||
	    (req.af != 4 && req.af != 6))
		fatalx("BDAY_REQ: bad message from net");
	if (last_ns != 0 && now - last_ns < BDAY_GAP * 1000000000ULL) {
		log_info("birthday sockets for peer %u refused: a batch was "
		    "given %llu s ago (one every %d s)", req.id,
		    (unsigned long long)((now - last_ns) / 1000000000ULL),
		    BDAY_GAP);
		return;
	}
	last_ns = now;
	af = req.af == 4 ? AF_INET : AF_INET6;
	for (i = 0; i < req.count; i++) {
		if ((fd = udp_bind(af, 0, 0, err, sizeof(err))) == -1) {
			log_warnx("birthday socket: %s", err);
			break;
		}
		imsg_compose_event(net, IMSG_BDAY_SOCKET, 0, 0, fd, &req,
		    sizeof(req));
		n++;
	}
	log_debug("birthday punching for peer %u: %u sockets to net", req.id,
	    n);
}
