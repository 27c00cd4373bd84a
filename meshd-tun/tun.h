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
 */

#ifndef TUN_H
#define TUN_H

#include <stdint.h>
#include <time.h>

#include "meshd.h"

struct imsg;
struct rtable;

struct tun_peer {
	uint32_t		 id;
	struct mesh_peer_stats	 st;
	time_t			 loop_logged;	/* 0: never */
	uint64_t		 loop_reported;	/* st.drop_loop then */
};

/* members.c */
/* IMSG_MEMBER and IMSG_PEER_GONE from crypto; rt: the table in use */
void	 member_add(struct imsg *, struct rtable *);
void	 member_gone(struct imsg *, struct rtable *);
/* puts every member's addresses in a table being built (reconf) */
void	 members_insert(struct rtable *);
/* a member's counters, NULL if id is none */
struct tun_peer *member_find(uint32_t);
/* IMSG_PEER_STATS for each member (coordinators' are the config's) */
void	 members_stats(uint32_t);

#endif /* TUN_H */
