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
 *   punch.c		direct paths through NATs: CONNECT and CALL_ME,
 *			spraying initiations at a member's candidates,
 *			the path each member has and why
 *   discover.c		endpoint discovery: STUN (client, and server as a
 *			coordinator), mapping behaviour, candidates,
 *			netcheck
 *   portmap.c		PCP and NAT-PMP to the default gateway
 *   stream.c		stream connections: SSH clients' and serve stream's
 *   ladder.c		which transport each peer uses: direct UDP, SSH,
 *			relay, and the probes back up
 *   frame.c		stream framing (frame.h)
 *   relay.c		relays: TLS and WebSocket to a relay as a member,
 *			and serve relay (forwarding, the web face)
 *   relay_wire.c	the relay protocol's pure parts (relay.h)
 *   endpoint.c, wire.c, ratelimit.c: what their headers say
 */

#ifndef NET_H
#define NET_H

#include <sys/socket.h>
#include <sys/tree.h>

#include <event.h>

#include "meshd.h"

struct conf_snapshot;
struct imsg;
struct coord_link;
struct coord_msg;
struct coord_cand;
struct hs_msg;
struct punch;
struct ladder;

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
	uint64_t		 tx_packets;	/* datagrams of tx_bytes */
	uint64_t		 tx_ns;		/* sent last (monotonic), kept
						   while ka is set */
	uint64_t		 drop_noroute;
	uint8_t			*conf_ep;	/* as configured, malloc'd;
						   config peers only */
	uint8_t			 conf_eplen;	/* 0: none */
	uint8_t			 coordinator;	/* a mesh block's */
	uint8_t			 gso_off;	/* its path refused
						   UDP_SEGMENT */
	uint8_t			 obfs;		/* spoken to obfuscated
						   first (obfs.h) */
	struct ka_hold		*ka_hold;	/* a keepalive held back
						   (obfuscation-jitter) */
	struct coord_link	*link;		/* coordination (coordinate.c) */
	struct punch		*punch;		/* a member with candidates
						   (punch.c) */
	struct ladder		*ladder;	/* one that wanted traffic
						   (ladder.c) */
	struct ka		*ka;		/* its path's keepalive
						   (keepalive.c) */
};

/* a set of listening sockets the parent passes (serve stream, metrics) */
struct net_listener {
	int		 fd;
	struct event	 ev;
};
struct net_listeners {
	struct net_listener	*v;
	size_t		 n, max;
	const char	*what;		/* the imsg's name, for errors */
	void		(*accept)(int, short, void *);
};

/* net.c */
/* one of the parent's listener messages: a uint8_t first (the old ones
   go) and a socket, none with first when the config has none now */
void		 net_listeners_take(struct net_listeners *, struct imsg *);
struct net_peer	*net_peer_find(uint32_t);
/* ep, a path to np not heard from yet: in np's format (MESH_EP_OBFS) */
void		 net_ep_mode(const struct net_peer *, struct mesh_endpoint *);
/* 1 if the mesh block says obfuscation on (and so do our records) */
int		 net_obfs_mesh(void);
/* every peer in id order */
struct net_peer	*net_peer_first(void);
struct net_peer	*net_peer_next(struct net_peer *);
/* a peer the mesh brought (id >= MESH_DYN_ID_MIN), made if new */
struct net_peer	*net_peer_dyn(uint32_t);
void		 net_peer_forget(struct net_peer *);
/* the process's own counters (id 0) */
struct mesh_peer_stats *net_stats(void);
/* len bytes went to np: counted, and when (for keepalive.c) */
void		 net_sent(struct net_peer *, size_t);
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
/* for punch.c */
void	 coord_send_msg(uint32_t, const struct coord_msg *);
void	 coord_count_bad(const struct net_peer *, const char *);
/* an admitted member's record: its candidates and id, or NULL */
const struct coord_cand *coord_member_cands(const uint8_t [32], uint32_t *,
	    size_t *);
const struct coord_cand *coord_member_by_id(uint32_t, uint8_t [32],
	    size_t *);
/* the key a subscriber of ours registered with, or NULL */
const uint8_t *coord_subscriber_key(const struct net_peer *);
int	 coord_is_self(const uint8_t [32]);
int	 coord_serving(void);
/* 1 if the directory has an admitted member of this key */
int	 coord_key_admitted(const uint8_t [32]);
/* our certificate's bytes (and length), or NULL */
const uint8_t *coord_own_cert(size_t *);

/*
 * A datagram from a stream connection (stream.c): judged as one from a
 * UDP socket, ep naming the connection; then net_wire_flush()
 */
void	 net_wire_in(const uint8_t *, size_t, struct mesh_endpoint *);
void	 net_wire_flush(void);

/* stream.c */
void	 stream_fd(struct imsg *);
void	 stream_listen(struct imsg *);
/* a datagram on stream sock: 0, or -1 (gone, or its buffer is full) */
int	 stream_send(uint16_t, const void *, size_t);
int	 stream_is_open(uint16_t);
/* 1 and the endpoint naming stream sock, 0 if it is not open */
int	 stream_ep(uint16_t, struct mesh_endpoint *);
/* "ssh" for an SSH client's stream, "stream" for an accepted one */
const char *stream_kind(uint16_t);
void	 stream_peer_gone(uint32_t);

/* ladder.c */
void	 ladder_init(void);
void	 ladder_conf(struct imsg *);
/*
 * crypto sends an initiation to np's endpoint: 1 if the ladder moved the
 * peer to another path (punch.c must not spray it)
 */
int	 ladder_initiation(struct net_peer *, const struct hs_msg *);
/* crypto authenticated a packet of np from ep: np->ep is set here */
void	 ladder_auth(struct net_peer *, const struct mesh_endpoint *);
/* data for np went out on a lower path: the probe's copy, if one runs */
void	 ladder_probe(struct net_peer *, const void *, size_t);
void	 ladder_ssh_up(struct net_peer *, uint16_t);
/* our connection to a relay is up: peers waiting for a lower rung */
void	 ladder_relay_up(void);
/* np's relay closed and no other is up: its direct endpoint again */
void	 ladder_relay_gone(struct net_peer *);
void	 ladder_stream_gone(uint16_t);
/* the node's addresses changed: probe upward at once */
void	 ladder_net_changed(void);
void	 ladder_peer_free(struct net_peer *);
/* a stats request: a PEER_PATH for each peer not on a direct path */
void	 ladder_stats(uint32_t);
/* MESH_PATH_* of the transport ep names */
int	 ladder_kind(const struct mesh_endpoint *);


/* birthday sockets: ask the parent for count of family af for peer id */
void	 net_bday_request(uint32_t, int, uint16_t);
/*
 * Close peer id's birthday sockets but keep (0: none; a pool socket
 * kept becomes the peer's); pool_only: leave the kept ones
 */
void	 net_bday_close(uint32_t, uint16_t, int);
/* pool sockets open now */
size_t	 net_bday_open(void);
/* one datagram from birthday socket sock to the remote address of ep */
int	 net_bday_send(uint16_t, void *, size_t, const struct mesh_endpoint *);

/* punch.c */
void	 punch_init(void);
/*
 * A member's candidates from its record (call 0: kept only for a member
 * we talk to) or a CALL_ME (1)
 */
void	 punch_cands(struct net_peer *, const uint8_t [32],
	    const struct coord_cand *, size_t, int);
/* a coordinator's side: a member asks for a path */
void	 punch_connect(struct net_peer *, const struct coord_msg *);
/* a member's side: a coordinator says punch now */
void	 punch_call_me(struct net_peer *, const struct coord_msg *);
/*
 * An initiation crypto sends to a peer's endpoint: 1 if punch.c took it
 * (sprayed at the candidates: the path is not confirmed), 0 if it goes
 * to the endpoint as ever.
 */
int	 punch_initiation(struct net_peer *, const struct hs_msg *);
/* crypto authenticated a packet of the peer from its endpoint now */
void	 punch_authenticated(struct net_peer *);
void	 punch_peer_free(struct net_peer *);
/* a stats request: a PEER_PATH for each member with candidates */
void	 punch_stats(uint32_t);
/*
 * Our own candidates changed (the discovery code calls this): paths that
 * do not work are tried again at once.
 */
void	 punch_local_changed(void);
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
void	 disc_stun_addr(struct imsg *);
void	 disc_gateway(struct imsg *);
void	 disc_netcheck_req(struct imsg *);
/* our candidates, for a REGISTER to the coordinator np (may be NULL) */
size_t	 disc_candidates(struct coord_cand *, size_t,
	    const struct net_peer *);
void	 disc_portmap_changed(void);
void	 disc_relay_changed(void);
/* meshd stops: the gateway's mapping is deleted */
void	 disc_shutdown(void);
/*
 * 1 if our NAT maps endpoint-dependently (two servers saw two mappings),
 * 0 if two or more saw one, -1 not known yet
 */
int	 disc_symmetric(void);

/* portmap.c */
void	 pm_reconf(int, uint16_t, uint32_t);
void	 pm_gateway(const uint8_t *);
void	 pm_addrs(const struct mesh_net_addrs *);
int	 pm_udp_in(const uint8_t *, size_t, const struct sockaddr_storage *);
int	 pm_candidate(struct coord_cand *);
void	 pm_netcheck(struct ctl_netcheck *);
void	 pm_shutdown(void);
/* the parent's socket for gateway announcements, -1: none */
void	 pm_announce_socket(int);

/* punch.c: the path does not answer: ask the coordinators now */
void	 punch_again(struct net_peer *);

/*
 * keepalive.c: the keepalive of a path through NATs, measured.  on: the
 * path crosses a NAT (punched, mapped) and wants one; 0: it needs none
 */
void	 ka_init(void);
void	 ka_path(struct net_peer *, int);
/* the keepalive in seconds the path has now (0: none) */
uint16_t ka_secs(const struct net_peer *);
void	 ka_ask(struct net_peer *, const struct coord_msg *);
void	 ka_probe(struct net_peer *, const struct coord_msg *);
/* a CALL_ME for the peer: a test running is void */
void	 ka_void(struct net_peer *);
void	 ka_peer_free(struct net_peer *);
struct mesh_peer_path;
void	 ka_stats(const struct net_peer *, struct mesh_peer_path *);

/* birthday: 1 if peer id's attempt wants (more) sockets */
int	 punch_bday_wants(uint32_t);
/* a socket for peer id's attempt came: send from it at once */
void	 punch_bday_socket(uint32_t, uint16_t);

/* relay.c: relays, as a member (client) and serve relay (server) */
struct coord_cand;
void	 relay_init(void);
void	 relay_reconf(struct conf_snapshot *);
void	 relay_pubkey(const uint8_t [32]);
void	 relay_listen_fd(struct imsg *);
void	 relay_cert(struct imsg *);
void	 relay_site(struct imsg *);
void	 relay_sign_pipe(struct imsg *);
void	 relay_connected(struct imsg *);
/* serve relay: its counters into a process's global ones (id 0) */
void	 relay_stats_fill(struct mesh_peer_stats *);
/* a datagram to a relay endpoint (MESH_EP_RELAY + slot): 0 or -1 */
int	 relay_send(const struct mesh_endpoint *, const void *, size_t);
/*
 * The ladder's question: 1 and *ep a path to the peer through a relay
 * we are connected to; 0 if there is none (yet: a connection is made).
 */
int	 relay_path(struct net_peer *, struct mesh_endpoint *);
/* a member's directory record: its relay candidates, if any */
void	 relay_record(uint32_t, const uint8_t [32], const struct coord_cand *,
	    size_t);
void	 relay_forget(uint32_t);
/* our home relay as a candidate: 1, or 0 if we have none */
int	 relay_home_cand(struct coord_cand *);
/* our relay candidates for a REGISTER (serve relay): how many */
size_t	 relay_candidates(struct coord_cand *, size_t,
	    const struct mesh_net_addrs *);
/* the relay's name if ep is a relay path, else NULL */
const char *relay_ep_name(const struct mesh_endpoint *);

#endif /* NET_H */
