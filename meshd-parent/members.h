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
 * The mesh peers the parent knows (members.c): what meshd-crypto said in
 * IMSG_MEMBER, IMSG_PEER_GONE and IMSG_MESH_STATE.  They are not in the
 * config, so a reload keeps them; their certificate addresses have routes
 * (route.c) while they are members.  A coordinator of the config whose
 * certificate came through the directory is kept here too, under its
 * config id, for its addresses, groups and expiry.
 */

#ifndef MEMBERS_H
#define MEMBERS_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdint.h>

#include "meshd.h"

struct meshd_conf;

/* gone members (revoked, expired) listed at most; the oldest go first */
#define MEMBERS_GONE_MAX	1024

/*
 * What the certificate lists (name, addresses, routes, groups) lies in
 * one allocation of the size they need, name first: at 10,000 members
 * room for eight of each would be 7 MB.  A renewal replaces it, the
 * entry itself stays.
 */
struct member {
	RB_ENTRY(member)	 entry;
	TAILQ_ENTRY(member)	 gone_entry;	/* state not CTL_STATE_MEMBER */
	uint32_t		 id;
	uint8_t			 roles;		/* CERT_ROLE_* */
	uint8_t			 state;		/* CTL_STATE_* */
	uint8_t			 naddrs;	/* at most MESH_CERT_ADDRS */
	uint8_t			 ngroups;	/* MESH_CERT_GROUPS */
	uint8_t			 nroutes;	/* MESH_CERT_ROUTES */
	int64_t			 not_after;
	uint8_t			 pubkey[32];
	char			*name;		/* the allocation */
	struct mesh_prefix	*addrs;
	struct mesh_prefix	*routes;
	char			(*groups)[MESH_GROUP_MAX];
};

/*
 * A MEMBER's checks: 0, or -1 if malformed (a count past its array, an
 * empty or unprintable name or group, an address not a host prefix).
 * Strings are NUL-terminated on the way.
 */
int		 members_check(struct mesh_member_msg *);
/*
 * A MEMBER, checked by the caller (counts within the arrays, strings
 * NUL-terminated, host prefixes): admits it, or renews its certificate;
 * its addresses get routes in conf's table via ifindex.  A config id
 * that is not one of conf's coordinators is ignored (a reload raced it).
 */
void		 members_add(struct meshd_conf *, int,
		    const struct mesh_member_msg *);
/* PEER_GONE: revoked/expired stay listed, routes withdrawn; else removed */
void		 members_gone(struct meshd_conf *, uint32_t, uint32_t);
void		 members_state(const struct mesh_state_msg *);
/* a new config: forget coordinators it no longer has (before route_sync) */
void		 members_reload(struct meshd_conf *);
/* forget all (tests) */
void		 members_clear(void);

struct member	*members_find(uint32_t);
/* a mesh peer by name: a member first, else the last gone one */
struct member	*members_find_name(const char *);
/* in id order: the config's coordinators first, then the mesh peers */
struct member	*members_first(void);
struct member	*members_next(struct member *);
/* members in a state, coordinators of the config with a certificate too */
size_t		 members_count(uint8_t);
const struct mesh_state_msg *members_crl(void);
/*
 * The addresses and routes (member_routed) of every member
 * (coordinators too) that should have a route, malloc'd, for
 * route_sync; NULL and 0 if none.
 */
struct mesh_prefix *members_addrs(size_t *);
/* m's addresses and routes the kernel routes, into out; their count */
#define MEMBER_ROUTED_MAX	(MESH_CERT_ADDRS + MESH_CERT_ROUTES)
size_t		 member_routed(const struct member *, struct mesh_prefix *);
/* 1 if a member other than the one given has route p routed */
int		 members_route_held(const struct mesh_prefix *,
		    const struct member *);

#endif /* MEMBERS_H */
