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
 * Peers the mesh brought.  meshd-crypto admits a member only after it
 * verified the member's certificate, and tells us its verified addresses
 * and routes (IMSG_MEMBER): exactly those are routed to it, outbound and
 * as allowed sources inbound.  A coordinator of the config that is also a
 * member gets its addresses the same way, under its config id.
 *
 * Routes follow WireGuard's rule, longest prefix wins (the trie does
 * that).  The same route held by two members goes to the certificate
 * valid the longer (not_after; then the lower id, the older member): the
 * admin who gives a network to a new node need not revoke the old one
 * first.  A route never takes an address of a member or a static peer's
 * allowed-ips: those are configured or unique by crypto's rule.  A
 * default route (0.0.0.0/0, ::/0: an exit route) is routed only to the
 * member the parent names as the exit node (IMSG_EXIT_NODE).
 */

#include <sys/types.h>
#include <sys/tree.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "child.h"
#include "dns.h"
#include "log.h"
#include "rtable.h"
#include "tun.h"

#ifndef __unused
#define __unused	__attribute__((__unused__))	/* RB_GENERATE_STATIC */
#endif

/* allocated for the addresses and routes it has (most: one address) */
struct tun_member {
	RB_ENTRY(tun_member)	 entry;
	RB_ENTRY(tun_member)	 nentry;	/* by name, for DNS */
	struct tun_peer		 tp;		/* tp.id: the key */
	/* the certificate's name, lower case (DNS, the packet filter) */
	char			 name[MESH_NAME_MAX];
	int64_t			 not_after;
	size_t			 ngroups;
	char			 groups[MESH_CERT_GROUPS][MESH_GROUP_MAX];
	size_t			 naddrs;
	size_t			 nroutes;
	struct mesh_prefix	 addrs[];	/* then the routes */
};
RB_HEAD(member_tree, tun_member);
RB_HEAD(member_names, tun_member);

static int
member_cmp(struct tun_member *a, struct tun_member *b)
{
	return a->tp.id < b->tp.id ? -1 : a->tp.id > b->tp.id;
}
RB_GENERATE_STATIC(member_tree, tun_member, entry, member_cmp)

/* two certificates may carry one name: the lower id answers */
static int
member_name_cmp(struct tun_member *a, struct tun_member *b)
{
	int	c;

	if ((c = strcmp(a->name, b->name)) != 0)
		return c;
	return member_cmp(a, b);
}
RB_GENERATE_STATIC(member_names, tun_member, nentry, member_name_cmp)

static struct member_tree	members = RB_INITIALIZER(&members);
static struct member_names	names = RB_INITIALIZER(&names);
static size_t			nmembers;
static uint32_t			exit_id;	/* IMSG_EXIT_NODE */

static struct tun_member *
member_lookup(uint32_t id)
{
	struct tun_member	key;

	key.tp.id = id;
	return RB_FIND(member_tree, &members, &key);
}

struct tun_peer *
member_find(uint32_t id)
{
	struct tun_member	*m;

	/* a coordinator's counters are those of its config peer */
	if (id < MESH_DYN_ID_MIN || (m = member_lookup(id)) == NULL)
		return NULL;
	return &m->tp;
}

static const struct mesh_prefix *
member_routes(const struct tun_member *m)
{
	return m->addrs + m->naddrs;
}

/* does m hold route p (its default routes only as the exit node)? */
static int
member_claims(const struct tun_member *m, const struct mesh_prefix *p)
{
	const struct mesh_prefix	*r = member_routes(m);
	size_t				 i;

	if (p->plen == 0 && m->tp.id != exit_id)
		return 0;
	for (i = 0; i < m->nroutes; i++)
		if (memcmp(&r[i], p, sizeof(*p)) == 0)
			return 1;
	return 0;
}

/*
 * The member route p goes to, but never except: the certificate valid
 * the longer, then the lower id.  A scan of all members: routes are few
 * and change only when a member comes, renews or goes.
 */
static struct tun_member *
route_winner(const struct mesh_prefix *p, const struct tun_member *except)
{
	struct tun_member	*m, *best = NULL;

	RB_FOREACH(m, member_tree, &members) {
		if (m == except || m->nroutes == 0 || !member_claims(m, p))
			continue;
		if (best == NULL || m->not_after > best->not_after)
			best = m;
	}
	return best;
}

static void
route_put(struct rtable *rt, const struct mesh_prefix *p, uint32_t id)
{
	if (rtable_insert(rt, p, id) == -1)
		fatal("rtable_insert");
}

/* a member's route in or out of rt: to the winner of the members */
static void
member_route_one(struct tun_member *m, struct rtable *rt,
    const struct mesh_prefix *p, int add)
{
	struct tun_member	*w, *o;
	uint32_t		 owner;
	char			 buf[64];

	if (p->plen == 0 && m->tp.id != exit_id)
		return;
	owner = rtable_get(rt, p);
	if (!add) {
		if (owner != m->tp.id)
			return;
		(void)rtable_remove(rt, p);
		if ((w = route_winner(p, m)) != NULL)
			route_put(rt, p, w->tp.id);
		return;
	}
	if ((w = route_winner(p, NULL)) != m)
		return;
	if (owner != 0 && owner != m->tp.id &&
	    ((o = member_lookup(owner)) == NULL || !member_claims(o, p))) {
		log_warnx("member %u: route %s is peer %u's", m->tp.id,
		    mesh_prefix_ntop(p, buf, sizeof(buf)), owner);
		return;
	}
	route_put(rt, p, m->tp.id);
}

/* a member's addresses and routes in or out of rt */
static void
member_route(struct tun_member *m, struct rtable *rt, int add)
{
	const struct mesh_prefix	*r = member_routes(m);
	uint32_t			 owner;
	size_t				 i;
	char				 buf[64];

	if (rt == NULL)
		return;
	for (i = 0; i < m->naddrs; i++) {
		owner = rtable_get(rt, &m->addrs[i]);
		if (!add) {
			if (owner == m->tp.id)
				(void)rtable_remove(rt, &m->addrs[i]);
			continue;
		}
		if (owner != 0 && owner != m->tp.id &&
		    member_lookup(owner) != NULL &&
		    member_claims(member_lookup(owner), &m->addrs[i]))
			owner = 0;	/* a route gives way to an address */
		if (owner != 0 && owner != m->tp.id) {
			/* crypto refuses this; keep the older owner */
			log_warnx("member %u: address %s is peer %u's", m->tp.id,
			    mesh_prefix_ntop(&m->addrs[i], buf, sizeof(buf)),
			    owner);
			continue;
		}
		route_put(rt, &m->addrs[i], m->tp.id);
	}
	for (i = 0; i < m->nroutes; i++)
		member_route_one(m, rt, &r[i], add);
}

static int
route_ok(const struct mesh_prefix *p)
{
	size_t	bits = p->af == 4 ? 32 : 128, i;

	if ((p->af != 4 && p->af != 6) || p->plen > bits)
		return 0;
	/* no bits past the length: the trie keys on the prefix as given */
	for (i = p->plen; i < bits; i++)
		if (p->addr[i / 8] & (0x80 >> (i % 8)))
			return 0;
	return 1;
}

void
member_add(struct imsg *imsg, struct rtable *rt)
{
	struct mesh_member_msg	 mm;
	struct tun_member	*m, *nm;
	size_t			 i, n;

	if (imsg_get_data(imsg, &mm, sizeof(mm)) == -1 ||
	    mm.naddrs > MESH_CERT_ADDRS || mm.nroutes > MESH_CERT_ROUTES ||
	    mm.id == 0 || mm.ngroups > MESH_CERT_GROUPS ||
	    memchr(mm.name, '\0', sizeof(mm.name)) == NULL)
		fatalx("MEMBER: bad message");
	for (i = 0; i < mm.ngroups; i++)
		if (memchr(mm.groups[i], '\0', sizeof(mm.groups[i])) == NULL)
			fatalx("MEMBER: bad group");
	for (i = 0; i < mm.naddrs; i++)
		if ((mm.addrs[i].af != 4 || mm.addrs[i].plen != 32) &&
		    (mm.addrs[i].af != 6 || mm.addrs[i].plen != 128))
			fatalx("MEMBER: not a host address");
	mm.name[sizeof(mm.name) - 1] = '\0';
	for (i = 0; i < mm.nroutes; i++)
		if (!route_ok(&mm.routes[i]))
			fatalx("MEMBER: bad route");
	n = mm.naddrs + mm.nroutes;
	if ((m = member_lookup(mm.id)) == NULL) {
		if ((m = calloc(1, sizeof(*m) + n * sizeof(m->addrs[0]))) ==
		    NULL)
			fatal(NULL);
		m->tp.id = mm.id;
		RB_INSERT(member_tree, &members, m);
		nmembers++;
	} else {
		member_route(m, rt, 0);		/* renewed: maybe others */
		RB_REMOVE(member_names, &names, m);
		/* the trees link it: out while it moves */
		RB_REMOVE(member_tree, &members, m);
		if ((nm = realloc(m, sizeof(*m) +
		    n * sizeof(m->addrs[0]))) == NULL)
			fatal(NULL);
		m = nm;
		RB_INSERT(member_tree, &members, m);
	}
	m->not_after = mm.not_after;
	/* names are case-insensitive: kept lower case, as DNS asks */
	for (i = 0; mm.name[i] != '\0'; i++)
		m->name[i] = tolower((unsigned char)mm.name[i]);
	m->name[i] = '\0';
	RB_INSERT(member_names, &names, m);
	m->naddrs = mm.naddrs;
	m->nroutes = mm.nroutes;
	memcpy(m->addrs, mm.addrs, mm.naddrs * sizeof(m->addrs[0]));
	memcpy(m->addrs + m->naddrs, mm.routes,
	    mm.nroutes * sizeof(m->addrs[0]));
	m->ngroups = mm.ngroups;
	memcpy(m->groups, mm.groups, sizeof(m->groups));
	member_route(m, rt, 1);
}

void
member_gone(struct imsg *imsg, struct rtable *rt)
{
	struct mesh_gone_msg	 gm;
	struct tun_member	*m;

	if (imsg_get_data(imsg, &gm, sizeof(gm)) == -1)
		fatalx("PEER_GONE: bad message");
	if ((m = member_lookup(gm.id)) == NULL)
		return;		/* provisional: never here */
	/* out of the tree first: its routes go to the next winner */
	RB_REMOVE(member_tree, &members, m);
	RB_REMOVE(member_names, &names, m);
	nmembers--;
	member_route(m, rt, 0);
	free(m->tp.ctr);
	free(m);
}

int
member_dns(const char *name, struct dns_addrs *as)
{
	struct tun_member	 key, *m;
	size_t			 i;

	if (strlcpy(key.name, name, sizeof(key.name)) >= sizeof(key.name))
		return -1;
	key.tp.id = 0;
	if ((m = RB_NFIND(member_names, &names, &key)) == NULL ||
	    strcmp(m->name, name) != 0)
		return -1;
	for (i = 0; i < m->naddrs && as->n < DNS_ADDRS_MAX; i++) {
		as->a[as->n].af = m->addrs[i].af;
		memcpy(as->a[as->n].addr, m->addrs[i].addr,
		    m->addrs[i].af == 4 ? 4 : 16);
		as->n++;
	}
	return 0;
}

size_t
members_count(void)
{
	return nmembers;
}

/* IMSG_EXIT_NODE: the default routes move to the new exit node */
void
member_exit(struct imsg *imsg, struct rtable *rt)
{
	struct tun_member	*m;
	uint32_t		 id;

	if (imsg_get_data(imsg, &id, sizeof(id)) == -1)
		fatalx("EXIT_NODE: bad message");
	if (id == exit_id)
		return;
	if ((m = member_lookup(exit_id)) != NULL)
		member_route(m, rt, 0);
	exit_id = id;
	if (m != NULL)
		member_route(m, rt, 1);
	if ((m = member_lookup(exit_id)) != NULL)
		member_route(m, rt, 1);
	log_debug("exit node: peer %u", exit_id);
}

void
members_insert(struct rtable *rt)
{
	struct tun_member	*m;

	RB_FOREACH(m, member_tree, &members)
		member_route(m, rt, 1);
}

void
members_stats(uint32_t reqid)
{
	struct mesh_peer_stats	 st;
	struct tun_member	*m;

	RB_FOREACH(m, member_tree, &members) {
		/*
		 * Nothing counted: left out, the parent shows the members
		 * it knows with zeros all the same.
		 */
		if (m->tp.id < MESH_DYN_ID_MIN || m->tp.ctr == NULL)
			continue;
		tun_peer_stats(&m->tp, &st);
		child_compose(PROC_PARENT, IMSG_PEER_STATS, reqid, -1, &st,
		    sizeof(st));
	}
}

const char *
member_name(uint32_t id)
{
	struct tun_member	*m;

	if ((m = member_lookup(id)) == NULL)
		return NULL;
	return m->name;
}

int
member_in_group(uint32_t id, const char *group)
{
	struct tun_member	*m;
	size_t			 i;

	if ((m = member_lookup(id)) == NULL)
		return 0;
	for (i = 0; i < m->ngroups; i++)
		if (strcmp(m->groups[i], group) == 0)
			return 1;
	return 0;
}
