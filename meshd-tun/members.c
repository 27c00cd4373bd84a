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

/* allocated for the addresses it has (most have one) */
struct tun_member {
	RB_ENTRY(tun_member)	 entry;
	RB_ENTRY(tun_member)	 nentry;	/* by name, for DNS */
	struct tun_peer		 tp;		/* tp.id: the key */
	char			 name[MESH_NAME_MAX];	/* lower case */
	size_t			 naddrs;
	struct mesh_prefix	 addrs[];
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
	    mm.naddrs > MESH_CERT_ADDRS || mm.id == 0)
		fatalx("MEMBER: bad message");
	for (i = 0; i < mm.naddrs; i++)
		if ((mm.addrs[i].af != 4 || mm.addrs[i].plen != 32) &&
		    (mm.addrs[i].af != 6 || mm.addrs[i].plen != 128))
			fatalx("MEMBER: not a host address");
	mm.name[sizeof(mm.name) - 1] = '\0';
	if ((m = member_lookup(mm.id)) == NULL) {
		if ((m = calloc(1, sizeof(*m) +
		    mm.naddrs * sizeof(m->addrs[0]))) == NULL)
			fatal(NULL);
		m->tp.id = mm.id;
		RB_INSERT(member_tree, &members, m);
		nmembers++;
	} else {
		member_route(m, rt, 0);		/* renewed: maybe others */
		RB_REMOVE(member_names, &names, m);
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
	/* names are case-insensitive: kept lower case, as DNS asks */
	for (i = 0; mm.name[i] != '\0'; i++)
		m->name[i] = tolower((unsigned char)mm.name[i]);
	m->name[i] = '\0';
	RB_INSERT(member_names, &names, m);
	m->naddrs = mm.naddrs;
	memcpy(m->addrs, mm.addrs, mm.naddrs * sizeof(m->addrs[0]));
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
	RB_REMOVE(member_names, &names, m);
	nmembers--;
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
