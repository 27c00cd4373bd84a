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

#ifndef ROUTE_H
#define ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "meshd.h"

struct meshd_conf;

/* iface_conf.table: no routes at all */
#define ROUTE_TABLE_OFF		0
#define ROUTE_TABLE_MAIN	254	/* the default, as RT_TABLE_MAIN */

/*
 * The parent's routes via the interface for allowed-ips.  It keeps the
 * set of routes it created itself; only those are ever removed.  A route
 * that exists already (EEXIST with NLM_F_EXCL) is someone else's: it is
 * logged and left alone.
 *
 * route_add and route_del work on any list of prefixes, each once (a
 * run-time peer can use them too); route_sync makes the set match a
 * config and the mesh's members: every allowed-ips prefix and member
 * address not covered by one of the interface's addresses.
 */
void	route_add(int ifindex, uint32_t table, const struct mesh_prefix *,
	    size_t);
void	route_del(const struct mesh_prefix *, size_t);
void	route_sync(int ifindex, struct meshd_conf *);
/*
 * A mesh member's addresses and routes (at most MEMBER_ROUTED_MAX): added
 * as route_sync would (not under the interface's addresses, not over an
 * endpoint), removed unless a config peer's allowed-ips or another
 * member's routes have them too.
 * route_sync includes every member (members.h).
 */
void	route_peer_add(int, struct meshd_conf *, const struct mesh_prefix *,
	    size_t);
void	route_peer_del(struct meshd_conf *, const struct mesh_prefix *,
	    size_t);
/* removes every route we created (exit) */
void	route_flush(void);

#ifdef __linux__
struct nlmsghdr;
/* a netlink attribute after nh's payload (route.c; exit.c too) */
void	rt_attr(struct nlmsghdr *, uint16_t, const void *, size_t);
#endif

#endif /* ROUTE_H */
