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
 * What meshd-net's own files share.
 *
 *   net.c		main, sockets, both packet directions, handshakes,
 *			the config's peers
 *   coordinate.c	the mesh: registering with coordinators, the
 *			directory they give, serving as one
 *   coord.c		the coordination protocol's codec (coord.h)
 *   discover.c		endpoint discovery: STUN (client, and server as a
 *			coordinator), mapping behaviour, candidates,
 *			netcheck
 *   portmap.c		PCP and NAT-PMP to the default gateway
 *   endpoint.c, wire.c, ratelimit.c: what their headers say
 */

#ifndef NET_H
#define NET_H

#include <sys/socket.h>
#include <sys/tree.h>

#include "meshd.h"

struct conf_snapshot;
struct imsg;
struct coord_link;

/*
 * One a peer, config or mesh: at 10,000 members every byte here counts
 * ten thousand times.  Of struct mesh_peer_stats net fills only two
 * counters a peer (its other drops belong to no peer); IMSG_PEER_STATS
 * builds the whole record from them.
 */
struct net_peer {
	RB_ENTRY(net_peer)	 entry;
	uint32_t		 id;
	struct mesh_endpoint	 ep;		/* current; addrlen 0: none */
	char			 name[MESH_NAME_MAX];	/* for the log */
	uint64_t		 tx_bytes;
	uint64_t		 drop_noroute;
	uint8_t			*conf_ep;	/* as configured, malloc'd;
						   config peers only */
	uint8_t			 conf_eplen;	/* 0: none */
	uint8_t			 coordinator;	/* a mesh block's */
	struct coord_link	*link;		/* coordination (coordinate.c) */
};

/* net.c */
struct net_peer	*net_peer_find(uint32_t);
/* every peer in id order */
struct net_peer	*net_peer_first(void);
struct net_peer	*net_peer_next(struct net_peer *);
/* a peer the mesh brought (id >= MESH_DYN_ID_MIN), made if new */
struct net_peer	*net_peer_dyn(uint32_t);
void		 net_peer_forget(struct net_peer *);
/* the process's own counters (id 0) */
struct mesh_peer_stats *net_stats(void);
/* 1 if a socket of this family (AF_INET, AF_INET6) is open */
int		 net_has_family(int);
/* a datagram from the tunnel's socket of sa's family: 0 or -1 */
int		 net_sendto(const struct sockaddr *, socklen_t, const void *,
		    size_t);
/* a datagram to ep, from the local address it came to: 0 or -1 */
int		 net_send_ep(const void *, size_t, struct mesh_endpoint *);

/* coordinate.c */
void	 coord_reconf(struct conf_snapshot *);
void	 coord_session_up(uint32_t);
void	 coord_recv(struct imsg *);
void	 coord_cert_result(struct imsg *);
void	 coord_member(struct imsg *);
void	 coord_gone(struct imsg *);
/* a peer is forgotten: its coordination state goes */
void	 coord_peer_free(struct net_peer *);
/* our candidates changed: REGISTER again with every coordinator */
void	 coord_reregister(void);
/* a coordinator's PING round trip in microseconds, -1 if none yet */
int32_t	 coord_rtt_us(const struct net_peer *);

/* discover.c */
struct coord_cand;
struct ctl_netcheck;
void	 disc_reconf(struct conf_snapshot *);
/* 1 if the datagram was STUN or the gateway's (PCP, NAT-PMP): taken */
int	 disc_udp_in(const uint8_t *, size_t, const struct sockaddr_storage *,
	    struct mesh_endpoint *);
void	 disc_addrs(struct imsg *);
void	 disc_gateway(struct imsg *);
void	 disc_netcheck_req(struct imsg *);
/* our candidates, for a REGISTER to the coordinator np (may be NULL) */
size_t	 disc_candidates(struct coord_cand *, size_t,
	    const struct net_peer *);
void	 disc_portmap_changed(void);
/* meshd stops: the gateway's mapping is deleted */
void	 disc_shutdown(void);

/* portmap.c */
void	 pm_reconf(int, uint16_t, uint32_t);
void	 pm_gateway(const uint8_t *);
void	 pm_addrs(const struct mesh_net_addrs *);
int	 pm_udp_in(const uint8_t *, size_t, const struct sockaddr_storage *);
int	 pm_candidate(struct coord_cand *);
void	 pm_netcheck(struct ctl_netcheck *);
void	 pm_shutdown(void);

#endif /* NET_H */
