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
 * Where replies leave from (see endpoint.h).  IPv4 sends name only the
 * source address (ipi_spec_dst) and leave the interface to the routing
 * table: a peer may reach an address of another interface through this
 * one, or the route back may change, and the address is all the peer
 * sees.  IPv6 names the interface only for a link-local address, which
 * means nothing without one.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "endpoint.h"
#include "log.h"

void
ep_set_remote(struct mesh_endpoint *ep, const void *sa, socklen_t salen)
{
	memset(ep, 0, sizeof(*ep));
	if (salen > sizeof(ep->addr))
		return;
	memcpy(ep->addr, sa, salen);
	ep->addrlen = salen;
}

int
ep_family(const struct mesh_endpoint *ep)
{
	sa_family_t	af;

	if (ep->addrlen < offsetof(struct sockaddr, sa_family) + sizeof(af))
		return 0;
	memcpy(&af, ep->addr + offsetof(struct sockaddr, sa_family),
	    sizeof(af));
	if (af == AF_INET && ep->addrlen == sizeof(struct sockaddr_in))
		return AF_INET;
	if (af == AF_INET6 && ep->addrlen == sizeof(struct sockaddr_in6))
		return AF_INET6;
	return 0;
}

const struct sockaddr *
ep_sockaddr(const struct mesh_endpoint *ep)
{
	return (const struct sockaddr *)ep->addr;
}

/*
 * IPv4: IP_PKTINFO (Linux).  Where there is none (OpenBSD has
 * IP_RECVDSTADDR and IP_SENDSRCADDR instead), no local address is learned
 * and the kernel chooses.
 */
#ifdef IP_PKTINFO
static void
ep_local_v4(struct mesh_endpoint *ep, const struct cmsghdr *cm)
{
	struct in_pktinfo	pi;

	if (cm->cmsg_len < CMSG_LEN(sizeof(pi)))
		return;
	memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
	/* the address the kernel would answer from: the destination */
	memcpy(ep->local, &pi.ipi_spec_dst, sizeof(pi.ipi_spec_dst));
	ep->ifindex = pi.ipi_ifindex;
	ep->local_af = AF_INET;
}

static void
ep_cmsg_v4(const struct mesh_endpoint *ep, struct msghdr *mh,
    union ep_cmsg *c)
{
	struct in_pktinfo	 pi;
	struct cmsghdr		*cm = &c->hdr;

	memset(&pi, 0, sizeof(pi));
	memcpy(&pi.ipi_spec_dst, ep->local, sizeof(pi.ipi_spec_dst));
	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	mh->msg_control = c->buf;
	mh->msg_controllen = CMSG_SPACE(sizeof(pi));
}
#else
#define IP_PKTINFO	(-1)	/* matches no control message */
static void
ep_local_v4(struct mesh_endpoint *ep, const struct cmsghdr *cm)
{
}

static void
ep_cmsg_v4(const struct mesh_endpoint *ep, struct msghdr *mh,
    union ep_cmsg *c)
{
}
#endif

static void
ep_local_v6(struct mesh_endpoint *ep, const struct cmsghdr *cm)
{
	struct in6_pktinfo	pi;

	if (cm->cmsg_len < CMSG_LEN(sizeof(pi)))
		return;
	memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
	if (IN6_IS_ADDR_MULTICAST(&pi.ipi6_addr))
		return;		/* not one to answer from */
	memcpy(ep->local, &pi.ipi6_addr, sizeof(pi.ipi6_addr));
	ep->ifindex = pi.ipi6_ifindex;
	ep->local_af = AF_INET6;
}

void
ep_from_msghdr(struct mesh_endpoint *ep, struct msghdr *mh)
{
	struct cmsghdr	*cm;
	int		 af;

	ep_set_remote(ep, mh->msg_name, mh->msg_namelen);
	if ((af = ep_family(ep)) == 0 || mh->msg_control == NULL)
		return;
	for (cm = CMSG_FIRSTHDR(mh); cm != NULL;
	    cm = CMSG_NXTHDR(mh, cm)) {
		if (af == AF_INET && cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO)
			ep_local_v4(ep, cm);
		else if (af == AF_INET6 && cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO)
			ep_local_v6(ep, cm);
	}
}

static void
ep_cmsg_v6(const struct mesh_endpoint *ep, struct msghdr *mh,
    union ep_cmsg *c)
{
	struct in6_pktinfo	 pi;
	struct cmsghdr		*cm = &c->hdr;

	memset(&pi, 0, sizeof(pi));
	memcpy(&pi.ipi6_addr, ep->local, sizeof(pi.ipi6_addr));
	if (IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr))
		pi.ipi6_ifindex = ep->ifindex;
	cm->cmsg_level = IPPROTO_IPV6;
	cm->cmsg_type = IPV6_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	mh->msg_control = c->buf;
	mh->msg_controllen = CMSG_SPACE(sizeof(pi));
}

void
ep_msghdr(struct mesh_endpoint *ep, struct msghdr *mh,
    union ep_cmsg *c)
{
	int	af = ep_family(ep);

	mh->msg_name = ep->addr;
	mh->msg_namelen = ep->addrlen;
	mh->msg_control = NULL;
	mh->msg_controllen = 0;
	memset(c, 0, sizeof(*c));
	if (af == AF_INET && ep->local_af == AF_INET)
		ep_cmsg_v4(ep, mh, c);
	else if (af == AF_INET6 && ep->local_af == AF_INET6)
		ep_cmsg_v6(ep, mh, c);
}

int
ep_local_gone(struct mesh_endpoint *ep, int err)
{
	char	buf[MESH_ENDPOINT_MAX + INET6_ADDRSTRLEN + 8];

	/* IPv4 says ENETUNREACH for a source that is no longer ours */
	if (ep->local_af == 0 || (err != EINVAL && err != EADDRNOTAVAIL &&
	    err != ENETUNREACH))
		return 0;
	log_debug("%s: local address gone, the kernel chooses",
	    ep_ntop(ep, buf, sizeof(buf)));
	memset(ep->local, 0, sizeof(ep->local));
	ep->ifindex = 0;
	ep->local_af = 0;
	return 1;
}

const char *
ep_ntop(const struct mesh_endpoint *ep, char *buf, size_t len)
{
	char	remote[MESH_ENDPOINT_MAX], local[INET6_ADDRSTRLEN];

	mesh_sockaddr_ntop(ep->addr, ep->addrlen, remote, sizeof(remote));
	if (ep->local_af == 0 || inet_ntop(ep->local_af, ep->local, local,
	    sizeof(local)) == NULL)
		(void)snprintf(buf, len, "%s", remote);
	else
		(void)snprintf(buf, len, "%s from %s", remote, local);
	return buf;
}
