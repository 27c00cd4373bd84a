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
 * Underlay endpoints in meshd-net (struct mesh_endpoint): the remote
 * address, and the local address a datagram from it came to, learned
 * from IP_PKTINFO / IPV6_PKTINFO (the parent turns them on), so that
 * everything we send back leaves from the address the peer talks to.
 * Without a local address the kernel chooses.  A local address that
 * went away (a send fails with EINVAL or EADDRNOTAVAIL; IPv4 says
 * ENETUNREACH, and a real ENETUNREACH costs one more try) is forgotten,
 * and learned again from the next datagram.
 */

#ifndef ENDPOINT_H
#define ENDPOINT_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stddef.h>

#include "meshd.h"

/* room for the one control message of either family */
union ep_cmsg {
	struct cmsghdr	hdr;
	uint8_t		buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
};

/* the remote address alone, no local one (a configured endpoint) */
void	ep_set_remote(struct mesh_endpoint *, const void *, socklen_t);
/* a datagram's endpoint: msg_name, and the local side from its cmsgs */
void	ep_from_msghdr(struct mesh_endpoint *, struct msghdr *);
/* AF_INET, AF_INET6, or 0 for none or a broken one */
int	ep_family(const struct mesh_endpoint *);
/* the remote address as struct sockaddr (addrlen bytes) */
const struct sockaddr *ep_sockaddr(const struct mesh_endpoint *);
/*
 * Points msg_name at ep and, with a local address, msg_control at cm
 * holding the PKTINFO to send from it; no control message otherwise.
 */
void	ep_msghdr(struct mesh_endpoint *, struct msghdr *,
	    union ep_cmsg *);
/*
 * A send to ep failed with err: 1 if it was its local address that went
 * away (then it is forgotten, and the caller sends again), else 0.
 */
int	ep_local_gone(struct mesh_endpoint *, int);
/* "remote" or "remote from local": for logs */
const char *ep_ntop(const struct mesh_endpoint *, char *, size_t);

#endif /* ENDPOINT_H */
