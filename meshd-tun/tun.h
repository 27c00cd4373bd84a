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
 * What meshd-tun's own files share.
 *
 *   tun.c	main, the TUN fd, both packet directions, the config
 *   members.c	peers the mesh brought: their addresses in the routing
 *		table, their counters
 *   rtable.c	the routing table; ippkt.c the inner headers
 *   dnsserv.c	mesh DNS: the sockets, the names; dns.c its codec
 */

#ifndef TUN_H
#define TUN_H

#include <stdint.h>
#include <time.h>

#include "meshd.h"

struct conf_snapshot;
struct dns_addrs;
struct imsg;
struct rtable;

/*
 * The drops tun counts of a peer, allocated on its first: most peers
 * never have one, and at 10,000 members a whole struct mesh_peer_stats
 * each would be 8 MB of zeros.
 */
struct tun_ctr {
	uint64_t		 drop_source;
	uint64_t		 drop_malformed;
	uint64_t		 drop_loop;
	time_t			 loop_logged;	/* 0: never */
	uint64_t		 loop_reported;	/* drop_loop then */
};

struct tun_peer {
	uint32_t		 id;
	struct tun_ctr		*ctr;		/* NULL: nothing counted */
};

/* members.c */
/* IMSG_MEMBER and IMSG_PEER_GONE from crypto; rt: the table in use */
void	 member_add(struct imsg *, struct rtable *);
void	 member_gone(struct imsg *, struct rtable *);
/* IMSG_EXIT_NODE: whose default routes are routed */
void	 member_exit(struct imsg *, struct rtable *);
/* puts every member's addresses in a table being built (reconf) */
void	 members_insert(struct rtable *);
/* a member's counters, NULL if id is none */
struct tun_peer *member_find(uint32_t);
/*
 * IMSG_PEER_STATS for each member with something counted (coordinators'
 * are the config's)
 */
void	 members_stats(uint32_t);
/* a member's certificate name (NULL: no member) and its groups */
const char *member_name(uint32_t);
int	 member_in_group(uint32_t, const char *);

/* adds the addresses of the member called name (lower case); -1: none */
int	 member_dns(const char *, struct dns_addrs *);
size_t	 members_count(void);

/* dnsserv.c */
/* IMSG_DNS_CONF, IMSG_DNS_SOCKET, IMSG_CTL_SHOW_DNS from the parent */
void	 dns_conf(struct imsg *);
void	 dns_socket(struct imsg *);
void	 dns_show(uint32_t);
/* the config or the members changed: a new SOA serial, the new config */
void	 dns_changed(struct conf_snapshot *);

/* tun.c */
/* a peer's record for IMSG_PEER_STATS */
void	 tun_peer_stats(const struct tun_peer *, struct mesh_peer_stats *);

#endif /* TUN_H */
