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
 * (IMSG_MEMBER): exactly those are routed to it, outbound and as allowed
 * sources inbound.  A coordinator of the config that is also a member
 * gets its addresses the same way, under its config id.
 */

#include <sys/types.h>
#include <sys/tree.h>

#include <stdlib.h>
#include <string.h>

#include "child.h"
#include "log.h"
#include "rtable.h"
#include "tun.h"

#ifndef __unused
#define __unused	__attribute__((__unused__))	/* RB_GENERATE_STATIC */
#endif

/* allocated for the addresses it has (most have one) */
struct tun_member {
	RB_ENTRY(tun_member)	 entry;
	struct tun_peer		 tp;		/* tp.id: the key */
	/* the certificate's name and groups, for the packet filter */
	char			 name[MESH_NAME_MAX];
	size_t			 ngroups;
	char			 groups[MESH_CERT_GROUPS][MESH_GROUP_MAX];
	size_t			 naddrs;
	struct mesh_prefix	 addrs[];
};
RB_HEAD(member_tree, tun_member);

static int
member_cmp(struct tun_member *a, struct tun_member *b)
{
	return a->tp.id < b->tp.id ? -1 : a->tp.id > b->tp.id;
}
RB_GENERATE_STATIC(member_tree, tun_member, entry, member_cmp)

static struct member_tree	members = RB_INITIALIZER(&members);

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

/* a member's addresses in or out of rt; never another peer's prefix */
static void
member_route(struct tun_member *m, struct rtable *rt, int add)
{
	uint32_t	owner;
	size_t		i;
	char		buf[64];

	if (rt == NULL)
		return;
	for (i = 0; i < m->naddrs; i++) {
		owner = rtable_get(rt, &m->addrs[i]);
		if (!add) {
			if (owner == m->tp.id)
				(void)rtable_remove(rt, &m->addrs[i]);
			continue;
		}
		if (owner != 0 && owner != m->tp.id) {
			/* crypto refuses this; keep the older owner */
			log_warnx("member %u: address %s is peer %u's", m->tp.id,
			    mesh_prefix_ntop(&m->addrs[i], buf, sizeof(buf)),
			    owner);
			continue;
		}
		if (rtable_insert(rt, &m->addrs[i], m->tp.id) == -1)
			fatal("rtable_insert");
	}
}

void
member_add(struct imsg *imsg, struct rtable *rt)
{
	struct mesh_member_msg	 mm;
	struct tun_member	*m, *nm;
	size_t			 i;

	if (imsg_get_data(imsg, &mm, sizeof(mm)) == -1 ||
	    mm.naddrs > MESH_CERT_ADDRS || mm.id == 0 ||
	    mm.ngroups > MESH_CERT_GROUPS ||
	    memchr(mm.name, '\0', sizeof(mm.name)) == NULL)
		fatalx("MEMBER: bad message");
	for (i = 0; i < mm.ngroups; i++)
		if (memchr(mm.groups[i], '\0', sizeof(mm.groups[i])) == NULL)
			fatalx("MEMBER: bad group");
	for (i = 0; i < mm.naddrs; i++)
		if ((mm.addrs[i].af != 4 || mm.addrs[i].plen != 32) &&
		    (mm.addrs[i].af != 6 || mm.addrs[i].plen != 128))
			fatalx("MEMBER: not a host address");
	if ((m = member_lookup(mm.id)) == NULL) {
		if ((m = calloc(1, sizeof(*m) +
		    mm.naddrs * sizeof(m->addrs[0]))) == NULL)
			fatal(NULL);
		m->tp.id = mm.id;
		RB_INSERT(member_tree, &members, m);
	} else {
		member_route(m, rt, 0);		/* renewed: maybe others */
		if (mm.naddrs != m->naddrs) {
			/* the tree links it: out while it moves */
			RB_REMOVE(member_tree, &members, m);
			if ((nm = realloc(m, sizeof(*m) +
			    mm.naddrs * sizeof(m->addrs[0]))) == NULL)
				fatal(NULL);
			m = nm;
			RB_INSERT(member_tree, &members, m);
		}
	}
	m->naddrs = mm.naddrs;
	memcpy(m->addrs, mm.addrs, mm.naddrs * sizeof(m->addrs[0]));
	memcpy(m->name, mm.name, sizeof(m->name));
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
	member_route(m, rt, 0);
	RB_REMOVE(member_tree, &members, m);
	free(m->tp.ctr);
	free(m);
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
