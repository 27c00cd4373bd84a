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
 * TUN interface setup for the parent: /dev/net/tun for the device, and
 * rtnetlink messages built by hand for its MTU, addresses, link state and
 * removal.  Each call opens its own NETLINK_ROUTE socket, sends one request
 * with NLM_F_ACK and a fresh sequence number, and waits for the kernel's
 * answer to exactly that request.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __OpenBSD__

#include "tundev.h"

/*
 * Not written yet for OpenBSD, where this would open /dev/tunN and set it
 * up with SIOCSIFMTU, SIOCAIFADDR, SIOCAIFADDR_IN6 and SIOCSIFFLAGS.
 */

int
tundev_open(const char *name, int *ifindex)
{
	errno = ENOTSUP;
	return -1;
}

int
tundev_open_vnet(const char *name, int *ifindex)
{
	errno = ENOTSUP;
	return -1;
}

int
tundev_set_mtu(int ifindex, unsigned int mtu)
{
	errno = ENOTSUP;
	return -1;
}

int
tundev_addr_add(int ifindex, const struct mesh_prefix *p)
{
	errno = ENOTSUP;
	return -1;
}

int
tundev_addr_del(int ifindex, const struct mesh_prefix *p)
{
	errno = ENOTSUP;
	return -1;
}

int
tundev_up(int ifindex)
{
	errno = ENOTSUP;
	return -1;
}

int
tundev_destroy(const char *name)
{
	errno = ENOTSUP;
	return -1;
}

int
tundev_addrs(int ifindex, struct mesh_prefix *out, size_t max, size_t *n)
{
	*n = 0;
	errno = ENOTSUP;
	return -1;
}

#else /* Linux */

#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "tundev.h"

#define TUN_DEV		"/dev/net/tun"
#define NL_REQ_MAX	256	/* our requests are small */
#define NL_RCV_MAX	32768	/* the kernel's dump skbs fit (<= 32 KiB) */
#define NL_TIMEOUT	5	/* seconds to wait for the kernel */
#define NL_DUMP_TRIES	3	/* an address dump interrupted by a change */

/* a request: header, fixed body, then attributes */
struct nlreq {
	union {
		struct nlmsghdr	nh;
		char		buf[NL_REQ_MAX];
	} u;
};

/*
 * Called for every message answering a request, but errors and DONE.  Not
 * const: NLMSG_DATA and RTA_NEXT would cast it away (-Wcast-qual).
 */
typedef int (*nl_cb)(struct nlmsghdr *, void *);

static void
nl_req_init(struct nlreq *req, uint16_t type, uint16_t flags,
    const void *body, size_t len)
{
	memset(req, 0, sizeof(*req));
	req->u.nh.nlmsg_len = NLMSG_LENGTH(len);
	req->u.nh.nlmsg_type = type;
	req->u.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	memcpy(NLMSG_DATA(&req->u.nh), body, len);
}

static int
nl_req_attr(struct nlreq *req, uint16_t type, const void *data, size_t len)
{
	struct rtattr	rta;
	size_t		off = NLMSG_ALIGN(req->u.nh.nlmsg_len);

	if (len > NL_REQ_MAX || off + RTA_SPACE(len) > sizeof(req->u.buf)) {
		errno = EMSGSIZE;
		return -1;
	}
	rta.rta_len = RTA_LENGTH(len);
	rta.rta_type = type;
	memcpy(req->u.buf + off, &rta, sizeof(rta));
	memcpy(req->u.buf + off + RTA_LENGTH(0), data, len);
	req->u.nh.nlmsg_len = off + RTA_SPACE(len);
	return 0;
}

/*
 * One message answering our request: 1 for the end of the answer (the
 * ACK, or DONE after a dump), 0 to read on, -1 with errno for an error.
 */
static int
nl_answer(struct nlmsghdr *nh, nl_cb cb, void *arg)
{
	struct nlmsgerr	nlerr;
	int		status;

	switch (nh->nlmsg_type) {
	case NLMSG_NOOP:
		return 0;
	case NLMSG_ERROR:
		if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(nlerr))) {
			errno = EPROTO;
			return -1;
		}
		memcpy(&nlerr, NLMSG_DATA(nh), sizeof(nlerr));
		if (nlerr.error > 0) {
			errno = EPROTO;
			return -1;
		}
		if (nlerr.error < 0) {
			errno = -nlerr.error;
			return -1;
		}
		return 1;	/* the ACK */
	case NLMSG_DONE:
		/* the dump's status, where the kernel sends one */
		if (nh->nlmsg_len >= NLMSG_LENGTH(sizeof(status))) {
			memcpy(&status, NLMSG_DATA(nh), sizeof(status));
			if (status < 0) {
				errno = -status;
				return -1;
			}
		}
		return 1;
	default:
		if (cb != NULL && cb(nh, arg) == -1)
			return -1;
		return 0;
	}
}

/*
 * Sends req and reads the kernel's answer until the ACK (or, for a dump,
 * NLMSG_DONE).  Messages carrying data go to cb.  Returns 0, or -1 with
 * errno: the kernel's own for a request it refused, EINTR for a dump that
 * changed while it ran, ETIMEDOUT if the kernel did not answer.
 */
static int
nl_request(struct nlreq *req, nl_cb cb, void *arg)
{
	union {
		struct nlmsghdr	nh;
		char		buf[NL_RCV_MAX];
	} rcv;
	struct sockaddr_nl	 sa, from;
	struct timeval		 tv = { NL_TIMEOUT, 0 };
	struct iovec		 iov;
	struct msghdr		 msg;
	struct nlmsghdr		*nh;
	socklen_t		 salen;
	ssize_t			 r;
	size_t			 off;
	uint32_t		 seq, portid;
	int			 s, one = 1, dumpintr = 0, done = 0, saved;

	if ((s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_ROUTE)) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	salen = sizeof(sa);
	if (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    getsockname(s, (struct sockaddr *)&sa, &salen) == -1)
		goto fail;
	if (salen != sizeof(sa) || sa.nl_family != AF_NETLINK) {
		errno = EPROTO;
		goto fail;
	}
	portid = sa.nl_pid;
	/* ACKs without a copy of our request; fine if the kernel is older */
	(void)setsockopt(s, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));

	seq = arc4random();
	req->u.nh.nlmsg_seq = seq;
	req->u.nh.nlmsg_pid = 0;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;	/* nl_pid 0: the kernel */
	if ((r = sendto(s, req->u.buf, req->u.nh.nlmsg_len, 0,
	    (struct sockaddr *)&sa, sizeof(sa))) == -1)
		goto fail;
	if ((size_t)r != req->u.nh.nlmsg_len) {
		errno = EMSGSIZE;
		goto fail;
	}

	while (!done) {
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = rcv.buf;
		iov.iov_len = sizeof(rcv.buf);
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		if ((r = recvmsg(s, &msg, 0)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				errno = ETIMEDOUT;
			goto fail;
		}
		if (msg.msg_flags & MSG_TRUNC) {
			errno = EMSGSIZE;
			goto fail;
		}
		if (msg.msg_namelen != sizeof(from) ||
		    from.nl_family != AF_NETLINK || from.nl_pid != 0)
			continue;	/* not from the kernel */

		/* messages one after another, each aligned to 4 bytes */
		for (off = 0; !done && off < (size_t)r &&
		    (size_t)r - off >= sizeof(*nh);
		    off += NLMSG_ALIGN(nh->nlmsg_len)) {
			nh = (struct nlmsghdr *)(rcv.buf + off);
			if (nh->nlmsg_len < sizeof(*nh) ||
			    nh->nlmsg_len > (size_t)r - off) {
				errno = EPROTO;
				goto fail;
			}
			if (nh->nlmsg_seq != seq || nh->nlmsg_pid != portid)
				continue;	/* not an answer to us */
			if (nh->nlmsg_flags & NLM_F_DUMP_INTR)
				dumpintr = 1;
			if ((done = nl_answer(nh, cb, arg)) == -1)
				goto fail;
		}
	}
	close(s);
	if (dumpintr) {
		errno = EINTR;
		return -1;
	}
	return 0;
 fail:
	saved = errno;
	close(s);
	errno = saved;
	return -1;
}

/* ifinfomsg requests on one link */
static int
link_request(uint16_t type, int ifindex, const char *name,
    unsigned int flags, unsigned int change, const uint32_t *mtu)
{
	struct nlreq		req;
	struct ifinfomsg	ifi;

	memset(&ifi, 0, sizeof(ifi));
	ifi.ifi_family = AF_UNSPEC;
	ifi.ifi_index = ifindex;
	ifi.ifi_flags = flags;
	ifi.ifi_change = change;
	nl_req_init(&req, type, 0, &ifi, sizeof(ifi));
	if (name != NULL &&
	    nl_req_attr(&req, IFLA_IFNAME, name, strlen(name) + 1) == -1)
		return -1;
	if (mtu != NULL &&
	    nl_req_attr(&req, IFLA_MTU, mtu, sizeof(*mtu)) == -1)
		return -1;
	return nl_request(&req, NULL, NULL);
}

static int
check_name(const char *name)
{
	size_t	len = strlen(name);

	if (len == 0 || strchr(name, '%') != NULL) {
		errno = EINVAL;
		return -1;
	}
	if (len >= IFNAMSIZ || len >= MESH_IFNAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
getlink_cb(struct nlmsghdr *nh, void *arg)
{
	struct ifinfomsg	ifi;
	int			*ifindex = arg;

	if (nh->nlmsg_type != RTM_NEWLINK)
		return 0;
	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(ifi))) {
		errno = EPROTO;
		return -1;
	}
	memcpy(&ifi, NLMSG_DATA(nh), sizeof(ifi));
	*ifindex = ifi.ifi_index;
	return 0;
}

/* The index of interface name, or -1 with errno (ENODEV: none). */
static int
link_index(const char *name)
{
	struct nlreq		req;
	struct ifinfomsg	ifi;
	int			ifindex = 0;

	memset(&ifi, 0, sizeof(ifi));
	ifi.ifi_family = AF_UNSPEC;
	nl_req_init(&req, RTM_GETLINK, 0, &ifi, sizeof(ifi));
	if (nl_req_attr(&req, IFLA_IFNAME, name, strlen(name) + 1) == -1 ||
	    nl_request(&req, getlink_cb, &ifindex) == -1)
		return -1;
	if (ifindex <= 0) {
		errno = EPROTO;
		return -1;
	}
	return ifindex;
}

/* TUNSETIFF with flags; vnet: then the vnet header and offloads too */
static int
tun_create(const char *name, int *ifindex, short flags, int vnet)
{
	struct ifreq	ifr;
	int		fd, idx, saved, hdrsz = TUNDEV_VNET_HDR_LEN;

	if (check_name(name) == -1)
		return -1;
	if ((fd = open(TUN_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC)) == -1)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, name, sizeof(ifr.ifr_name) - 1);
	ifr.ifr_flags = flags;
	if (ioctl(fd, TUNSETIFF, &ifr) == -1) {
		/* the kernel says EINVAL when the name is not a TUN's */
		if (errno == EINVAL && link_index(name) > 0)
			errno = EEXIST;
		goto fail;
	}
	/*
	 * Checksum offload and TSO: the kernel may then hand us TCP
	 * super-packets of up to 64 KiB, and takes them from us
	 * (meshd-tun/offload.c).  No USO: meshd-tun cuts TCP only.
	 */
	if (vnet && (ioctl(fd, TUNSETVNETHDRSZ, &hdrsz) == -1 ||
	    ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM |
	    TUN_F_TSO4 | TUN_F_TSO6)) == -1))
		goto fail;
	if ((idx = link_index(name)) == -1)
		goto fail;
	*ifindex = idx;
	return fd;
 fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int
tundev_open(const char *name, int *ifindex)
{
	return tun_create(name, ifindex, IFF_TUN | IFF_NO_PI, 0);
}

int
tundev_open_vnet(const char *name, int *ifindex)
{
	return tun_create(name, ifindex, IFF_TUN | IFF_NO_PI | IFF_VNET_HDR,
	    1);
}

int
tundev_set_mtu(int ifindex, unsigned int mtu)
{
	uint32_t	m = mtu;

	return link_request(RTM_NEWLINK, ifindex, NULL, 0, 0, &m);
}

int
tundev_up(int ifindex)
{
	return link_request(RTM_NEWLINK, ifindex, NULL, IFF_UP, IFF_UP, NULL);
}

int
tundev_destroy(const char *name)
{
	if (check_name(name) == -1)
		return -1;
	if (link_request(RTM_DELLINK, 0, name, 0, 0, NULL) == -1) {
		if (errno == ENODEV)
			return 0;	/* already gone */
		return -1;
	}
	return 0;
}

static int
addr_request(uint16_t type, uint16_t flags, int ifindex,
    const struct mesh_prefix *p)
{
	struct nlreq		req;
	struct ifaddrmsg	ifa;
	size_t			alen;

	memset(&ifa, 0, sizeof(ifa));
	switch (p->af) {
	case 4:
		ifa.ifa_family = AF_INET;
		alen = 4;
		break;
	case 6:
		ifa.ifa_family = AF_INET6;
		ifa.ifa_flags = IFA_F_NODAD;
		alen = 16;
		break;
	default:
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (p->plen > alen * 8 || ifindex <= 0) {
		errno = EINVAL;
		return -1;
	}
	ifa.ifa_prefixlen = p->plen;
	ifa.ifa_scope = RT_SCOPE_UNIVERSE;
	ifa.ifa_index = ifindex;
	nl_req_init(&req, type, flags, &ifa, sizeof(ifa));
	if (nl_req_attr(&req, IFA_LOCAL, p->addr, alen) == -1 ||
	    nl_req_attr(&req, IFA_ADDRESS, p->addr, alen) == -1)
		return -1;
	return nl_request(&req, NULL, NULL);
}

int
tundev_addr_add(int ifindex, const struct mesh_prefix *p)
{
	if (addr_request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifindex,
	    p) == -1) {
		if (errno == EEXIST)
			return 0;	/* already there */
		return -1;
	}
	return 0;
}

int
tundev_addr_del(int ifindex, const struct mesh_prefix *p)
{
	return addr_request(RTM_DELADDR, 0, ifindex, p);
}

struct addrs_arg {
	int			 ifindex;
	struct mesh_prefix	*out;
	size_t			 max;
	size_t			 n;
};

static int
getaddr_cb(struct nlmsghdr *nh, void *arg)
{
	struct addrs_arg	*a = arg;
	struct ifaddrmsg	 ifa;
	struct mesh_prefix	 p;
	struct rtattr		*rta;
	const void		*local = NULL, *addr = NULL;
	size_t			 alen;
	int			 len;

	if (nh->nlmsg_type != RTM_NEWADDR)
		return 0;
	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(ifa))) {
		errno = EPROTO;
		return -1;
	}
	memcpy(&ifa, NLMSG_DATA(nh), sizeof(ifa));
	if ((int)ifa.ifa_index != a->ifindex)
		return 0;
	if (ifa.ifa_family == AF_INET)
		alen = 4;
	else if (ifa.ifa_family == AF_INET6)
		alen = 16;
	else
		return 0;
	if (ifa.ifa_prefixlen > alen * 8) {
		errno = EPROTO;
		return -1;
	}

	len = nh->nlmsg_len - NLMSG_LENGTH(sizeof(ifa));
	rta = (struct rtattr *)((char *)NLMSG_DATA(nh) +
	    NLMSG_ALIGN(sizeof(ifa)));
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type != IFA_LOCAL && rta->rta_type != IFA_ADDRESS)
			continue;
		if (RTA_PAYLOAD(rta) != alen) {
			errno = EPROTO;
			return -1;
		}
		if (rta->rta_type == IFA_LOCAL)
			local = RTA_DATA(rta);
		else
			addr = RTA_DATA(rta);
	}
	/* IFA_LOCAL is our end where there is a peer address too */
	if (local != NULL)
		addr = local;
	if (addr == NULL)
		return 0;

	memset(&p, 0, sizeof(p));
	p.af = alen == 4 ? 4 : 6;
	p.plen = ifa.ifa_prefixlen;
	memcpy(p.addr, addr, alen);
	/* the kernel's own fe80::/10 */
	if (p.af == 6 && p.addr[0] == 0xfe && (p.addr[1] & 0xc0) == 0x80)
		return 0;

	if (a->n >= a->max) {
		errno = ENOBUFS;
		return -1;
	}
	a->out[a->n++] = p;
	return 0;
}

int
tundev_addrs(int ifindex, struct mesh_prefix *out, size_t max, size_t *n)
{
	struct nlreq		req;
	struct ifaddrmsg	ifa;
	struct addrs_arg	a;
	int			try, rv = -1;

	*n = 0;
	for (try = 0; try < NL_DUMP_TRIES; try++) {
		memset(&ifa, 0, sizeof(ifa));
		ifa.ifa_family = AF_UNSPEC;
		ifa.ifa_index = ifindex;
		nl_req_init(&req, RTM_GETADDR, NLM_F_DUMP, &ifa, sizeof(ifa));
		memset(&a, 0, sizeof(a));
		a.ifindex = ifindex;
		a.out = out;
		a.max = max;
		rv = nl_request(&req, getaddr_cb, &a);
		*n = a.n;
		if (rv == 0 || errno != EINTR)
			break;
	}
	return rv;
}

#endif /* Linux */
