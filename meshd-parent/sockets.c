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
 * peer from the address it talks to.  Both take UDP_GRO (the lever
 * "gro" off: neither), meshd-net cutting apart what the kernel glued:
 * GRO finds its socket in the group by the flow's hash alone, before
 * the program runs, and glues only for one that asked; the program
 * then sorts the glued datagram by its first byte.
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
 * the longest an attempt runs, of the families the listen-port has, and
 * at most BDAY_OPEN_MAX held at once.  That count is the parent's own:
 * net gives each socket back (BDAY_SOCKET the other way) instead of
 * closing it, when its attempt ends or the path it carried goes, and
 * only a socket the parent knows (by its inode) counts as back.  A net
 * that keeps them (a compromised one, or a bug) gets no more; one that
 * claimed to have closed some could not get more either.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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
 * Glued datagrams for fd (UDP_GRO), unless the lever is off; a kernel
 * without it (before 5.0) reads them one by one, as meshd-net can too.
 */
static void
udp_gro(int fd)
{
#ifdef UDP_GRO
	int	on = 1;

	if (mesh_lever_off("gro"))
		return;
	if (setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof(on)) == -1)
		log_debug("UDP_GRO: %s", strerror(errno));
#endif
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
 * A data socket's buffers.  The kernel's default (208 KiB) holds about 90
 * full-size datagrams: a fast TCP flow's burst overflows it before
 * meshd-net is scheduled, and each drop costs the flow a retransmission.
 * 7 MiB each way, as wireguard-go asks for; root may pass
 * net.core.rmem_max with the FORCE options.  It is kernel memory, taken
 * only while datagrams wait.  The handshake socket keeps the default: a
 * flood should find it small.
 */
#define UDP_SOCKBUF	(7 * 1024 * 1024)

static void
udp_bufs(int fd)
{
	int	sz = UDP_SOCKBUF;

	if (mesh_lever_off("sockbuf"))
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz,
	    sizeof(sz)) == -1 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz,
	    sizeof(sz)) == -1)
		log_debug("UDP receive buffer: %s", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz,
	    sizeof(sz)) == -1 && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz,
	    sizeof(sz)) == -1)
		log_debug("UDP send buffer: %s", strerror(errno));
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
	udp_bufs(fd);
	fds[(*nfds)++] = fd;
	udp_gro(fd);
	if (udp_split(af, fd, port, &hsfd)) {
		/*
		 * The steering reads the type byte, which an obfuscated
		 * datagram masks: nearly all of an obfuscated peer's data
		 * lands here, and with the default buffer 8% of a TCP
		 * stream's datagrams were dropped (0.7x the throughput).
		 */
		udp_bufs(hsfd);
		udp_gro(hsfd);
		fds[(*nfds)++] = hsfd;
	}
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
/* a batch, and the winners of earlier ones kept as peers' paths */
#define BDAY_OPEN_MAX	(MESH_BDAY_SOCKS + 32)

/* the birthday sockets net holds: the inodes of those passed */
static struct {
	dev_t	dev;
	ino_t	ino;
} bday_open[BDAY_OPEN_MAX];
static size_t	bday_nopen;

/* tests only (meshd(8)): a lower limit, to see it refuse */
static size_t
bday_open_max(void)
{
	const char	*s;
	long long	 v;

	if ((s = getenv("MESHD_TEST_BDAY_OPEN_MAX")) != NULL &&
	    (v = strtonum(s, 1, BDAY_OPEN_MAX, NULL)) != 0)
		return v;
	return BDAY_OPEN_MAX;
}

static void
bday_passed(int fd)
{
	struct stat	st;

	if (fstat(fd, &st) == -1)
		fatal("birthday socket: fstat");
	bday_open[bday_nopen].dev = st.st_dev;
	bday_open[bday_nopen].ino = st.st_ino;
	bday_nopen++;
}

/* BDAY_SOCKET from net: a socket given back, closed here */
void
udp_bday_back(struct imsg *imsg)
{
	struct stat	st;
	size_t		i;
	int		fd;

	if ((fd = imsg_get_fd(imsg)) == -1)
		fatalx("BDAY_SOCKET from net without a socket");
	if (fstat(fd, &st) == -1)
		fatal("birthday socket: fstat");
	close(fd);
	for (i = 0; i < bday_nopen; i++) {
		if (bday_open[i].dev != st.st_dev ||
		    bday_open[i].ino != st.st_ino)
			continue;
		bday_open[i] = bday_open[--bday_nopen];
		if (bday_nopen == 0)
			log_info("birthday sockets: net gave every one back");
		return;
	}
	log_warnx("net gave back a socket that is no birthday socket");
}

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
	size_t			max, room;
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
	max = bday_open_max();
	room = bday_nopen < max ? max - bday_nopen : 0;
	if (req.count > room) {
		log_info("birthday sockets for peer %u: %u of %u refused: net "
		    "holds %zu (at most %zu at once)", req.id,
		    (unsigned int)(req.count - room), req.count, bday_nopen,
		    max);
		if (room == 0)
			return;
		req.count = room;
	}
	last_ns = now;
	af = req.af == 4 ? AF_INET : AF_INET6;
	for (i = 0; i < req.count; i++) {
		if ((fd = udp_bind(af, 0, 0, err, sizeof(err))) == -1) {
			log_warnx("birthday socket: %s", err);
			break;
		}
		bday_passed(fd);
		imsg_compose_event(net, IMSG_BDAY_SOCKET, 0, 0, fd, &req,
		    sizeof(req));
		n++;
	}
	log_debug("birthday punching for peer %u: %u sockets to net", req.id,
	    n);
}

/*
 * A gateway that restarted tells its LAN (NAT-PMP, RFC 6886 3.2.1; PCP
 * ANNOUNCE, RFC 6887 14.1.3) by multicast to 224.0.0.1:5350: net, which
 * may not open sockets, gets this one to hear it (port-mapping on only).
 * -1 if it cannot be had (logged): the next renewal finds out instead.
 */
int
udp_announce_open(void)
{
	struct sockaddr_in	sin;
	struct ip_mreq		mr;
	int			fd, on = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(5350);
	sin.sin_addr.s_addr = htonl(INADDR_ALLHOSTS_GROUP);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_UDP)) == -1)
		goto fail;
	/* another listener on the host (a second meshd) shares it */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		goto fail;
	/* every host is in 224.0.0.1 already; asked for all the same */
	memset(&mr, 0, sizeof(mr));
	mr.imr_multiaddr.s_addr = htonl(INADDR_ALLHOSTS_GROUP);
	mr.imr_interface.s_addr = htonl(INADDR_ANY);
	(void)setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr));
	return fd;
 fail:
	log_warn("gateway announcements (224.0.0.1:5350)");
	if (fd != -1)
		close(fd);
	return -1;
}

/*
 * ls's listeners are v[0..n): when the addresses changed, every one is
 * opened (a failure closes those opened and leaves net's as they were:
 * -1 and err), and net gets them whole, the first telling it to close
 * its old ones (alone, without a socket, when there are none now)
 */
int
tcp_listen_update(struct tcp_listen_set *ls, const struct stream_listen *v,
    size_t n, int (*open_one)(const struct stream_listen *, void *, char *,
    size_t), void *arg, char *err, size_t errlen)
{
	char	 set[sizeof(ls->set)];
	int	 fds[STREAM_LISTEN_MAX];	/* METRICS_LISTEN_MAX is less */
	size_t	 i;
	uint8_t	 first;

	if (n > sizeof(fds) / sizeof(fds[0]))
		fatalx("%s: %zu listeners", __func__, n);
	set[0] = '\0';
	for (i = 0; i < n; i++) {
		(void)strlcat(set, v[i].str, sizeof(set));
		(void)strlcat(set, " ", sizeof(set));
	}
	if (strcmp(set, ls->set) == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if ((fds[i] = open_one(&v[i], arg, err, errlen)) == -1) {
			while (i > 0)
				close(fds[--i]);
			return -1;
		}
	}
	if (n == 0 && ls->open) {
		first = 1;
		imsg_compose_event(&parent.children[PROC_NET].iev, ls->type,
		    0, 0, -1, &first, sizeof(first));
		log_info("%s: not listening any more", ls->what);
	}
	for (i = 0; i < n; i++) {
		first = i == 0;
		imsg_compose_event(&parent.children[PROC_NET].iev, ls->type,
		    0, 0, fds[i], &first, sizeof(first));
		log_info("%s: listening on %s", ls->what, v[i].str);
	}
	ls->open = n > 0;
	(void)strlcpy(ls->set, set, sizeof(ls->set));
	return 0;
}
