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
 * The parent's table of mesh peers (members.h), keyed by peer id.  Only
 * meshd-crypto admits a member; the parent keeps what it was told, for
 * routes and for meshctl.  A member that was revoked or expired stays
 * listed, without routes, so that an operator can see why it went; the
 * list of those is bounded, the oldest dropped first.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "members.h"
#include "route.h"

RB_HEAD(member_tree, member);

static int	member_cmp(struct member *, struct member *);

#define __unused	__attribute__((__unused__))	/* RB_GENERATE_STATIC */
RB_GENERATE_STATIC(member_tree, member, entry, member_cmp)

static struct member_tree	 members = RB_INITIALIZER(&members);
/* the gone ones, oldest first */
static TAILQ_HEAD(, member)	 gone = TAILQ_HEAD_INITIALIZER(gone);
static size_t			 ngone;
static struct mesh_state_msg	 crl_state;

/* member_fill lays prefixes after a name of any length */
_Static_assert(_Alignof(struct mesh_prefix) == 1,
    "struct mesh_prefix must be bytes alone");

static int
member_cmp(struct member *a, struct member *b)
{
	return a->id < b->id ? -1 : a->id > b->id;
}

struct member *
members_find(uint32_t id)
{
	struct member	key;

	key.id = id;
	return RB_FIND(member_tree, &members, &key);
}

struct member *
members_first(void)
{
	return RB_MIN(member_tree, &members);
}

struct member *
members_next(struct member *m)
{
	return RB_NEXT(member_tree, &members, m);
}

struct member *
members_find_name(const char *name)
{
	struct member	*m, *found = NULL;

	RB_FOREACH(m, member_tree, &members) {
		if (m->id < MESH_DYN_ID_MIN || strcmp(m->name, name) != 0)
			continue;
		if (m->state == CTL_STATE_MEMBER)
			return m;
		found = m;
	}
	return found;
}

size_t
members_count(uint8_t state)
{
	struct member	*m;
	size_t		 n = 0;

	RB_FOREACH(m, member_tree, &members)
		if (m->state == state)
			n++;
	return n;
}

const struct mesh_state_msg *
members_crl(void)
{
	return &crl_state;
}

void
members_state(const struct mesh_state_msg *st)
{
	crl_state = *st;
}

/* "100.64.0.1/32 fd00::1/128" */
static const char *
members_addrs_text(const struct member *m, char *buf, size_t len)
{
	char	p[64];
	size_t	i;

	buf[0] = '\0';
	for (i = 0; i < m->naddrs; i++) {
		if (i > 0)
			(void)strlcat(buf, " ", len);
		(void)strlcat(buf, mesh_prefix_ntop(&m->addrs[i], p,
		    sizeof(p)), len);
	}
	return buf;
}

/* printable, not empty, NUL-terminated in len */
static int
text_valid(char *s, size_t len)
{
	size_t	i;

	s[len - 1] = '\0';
	for (i = 0; s[i] != '\0'; i++)
		if (!isprint((unsigned char)s[i]) || s[i] == ' ')
			return 0;
	return i > 0;
}

static int
prefix_valid(const struct mesh_prefix *p, int host)
{
	if (p->af == 4)
		return host ? p->plen == 32 : p->plen <= 32;
	if (p->af == 6)
		return host ? p->plen == 128 : p->plen <= 128;
	return 0;
}

int
members_check(struct mesh_member_msg *mm)
{
	size_t	i;

	if (mm->id == 0 || mm->naddrs == 0 ||
	    mm->naddrs > MESH_CERT_ADDRS || mm->ngroups > MESH_CERT_GROUPS ||
	    mm->nroutes > MESH_CERT_ROUTES ||
	    !text_valid(mm->name, sizeof(mm->name)))
		return -1;
	for (i = 0; i < mm->naddrs; i++)
		if (!prefix_valid(&mm->addrs[i], 1))
			return -1;
	for (i = 0; i < mm->ngroups; i++)
		if (!text_valid(mm->groups[i], sizeof(mm->groups[i])))
			return -1;
	for (i = 0; i < mm->nroutes; i++)
		if (!prefix_valid(&mm->routes[i], 0))
			return -1;
	return 0;
}

static int
config_coordinator(struct meshd_conf *conf, uint32_t id)
{
	struct peer_conf	*p;

	TAILQ_FOREACH(p, &conf->peers, entry)
		if (p->id == id)
			return p->coordinator;
	return 0;
}

/* prefixes of a that b does not have, into out; their count */
static size_t
prefixes_minus(const struct mesh_prefix *a, size_t na,
    const struct mesh_prefix *b, size_t nb, struct mesh_prefix *out)
{
	size_t	i, j, n = 0;

	for (i = 0; i < na; i++) {
		for (j = 0; j < nb; j++)
			if (memcmp(&a[i], &b[j], sizeof(a[i])) == 0)
				break;
		if (j == nb)
			out[n++] = a[i];
	}
	return n;
}

/*
 * The certificate's lists into m, in one allocation that replaces the
 * old one.  Prefixes and group names are byte arrays: no alignment to
 * keep between them.
 */
static void
member_fill(struct member *m, const struct mesh_member_msg *mm)
{
	size_t	 i, namelen = strlen(mm->name) + 1, len;
	char	*p;

	len = namelen + (mm->naddrs + mm->nroutes) * sizeof(m->addrs[0]) +
	    mm->ngroups * sizeof(m->groups[0]);
	if ((p = malloc(len)) == NULL)
		fatal(NULL);
	free(m->name);
	m->name = p;
	memcpy(m->name, mm->name, namelen);
	p += namelen;
	m->addrs = (struct mesh_prefix *)p;
	m->naddrs = mm->naddrs;
	memcpy(m->addrs, mm->addrs, mm->naddrs * sizeof(m->addrs[0]));
	p += mm->naddrs * sizeof(m->addrs[0]);
	m->routes = (struct mesh_prefix *)p;
	m->nroutes = mm->nroutes;
	memcpy(m->routes, mm->routes, mm->nroutes * sizeof(m->routes[0]));
	p += mm->nroutes * sizeof(m->routes[0]);
	m->groups = (char (*)[MESH_GROUP_MAX])p;
	m->ngroups = mm->ngroups;
	for (i = 0; i < mm->ngroups; i++)
		(void)strlcpy(m->groups[i], mm->groups[i],
		    sizeof(m->groups[i]));
	m->id = mm->id;
	memcpy(m->pubkey, mm->pubkey, sizeof(m->pubkey));
	m->roles = mm->roles;
	m->not_after = mm->not_after;
}

static void
gone_unlist(struct member *m)
{
	if (m->state == CTL_STATE_MEMBER)
		return;
	TAILQ_REMOVE(&gone, m, gone_entry);
	ngone--;
	m->state = CTL_STATE_MEMBER;
}

void
members_add(struct meshd_conf *conf, int ifindex,
    const struct mesh_member_msg *mm)
{
	struct member		*m;
	struct mesh_prefix	 old[MEMBER_ROUTED_MAX], diff[MEMBER_ROUTED_MAX];
	struct mesh_prefix	 now[MEMBER_ROUTED_MAX];
	size_t			 nold = 0, n, nnow;
	char			 addrs[MESH_CERT_ADDRS * 48];
	int			 renewed = 0;

	if (mm->id < MESH_DYN_ID_MIN && !config_coordinator(conf, mm->id)) {
		log_debug("mesh: member %s: peer %u is no coordinator of "
		    "the config now; ignored", mm->name, mm->id);
		return;
	}
	if ((m = members_find(mm->id)) == NULL) {
		if ((m = calloc(1, sizeof(*m))) == NULL)
			fatal(NULL);
		m->id = mm->id;
		m->state = CTL_STATE_MEMBER;
		RB_INSERT(member_tree, &members, m);
	} else if (m->state == CTL_STATE_MEMBER) {
		/* its routes stand: only what changed is touched */
		renewed = 1;
		nold = member_routed(m, old);
	} else
		gone_unlist(m);
	member_fill(m, mm);
	members_addrs_text(m, addrs, sizeof(addrs));
	nnow = member_routed(m, now);
	if (renewed) {
		n = prefixes_minus(old, nold, now, nnow, diff);
		route_peer_del(conf, diff, n);
		log_info("mesh: member %s (%s) renewed", m->name, addrs);
	} else
		log_info("mesh: member %s (%s) admitted", m->name, addrs);
	route_peer_add(ifindex, conf, now, nnow);
}

static const char *
gone_reason(uint32_t reason)
{
	switch (reason) {
	case GONE_REVOKED:
		return "revoked";
	case GONE_EXPIRED:
		return "expired";
	case GONE_PROVISIONAL:
		return "provisional, no certificate in time";
	case GONE_REPLACED:
		return "replaced by a newer certificate";
	}
	return "unknown reason";
}

static void
member_free(struct member *m)
{
	if (m->state != CTL_STATE_MEMBER) {
		TAILQ_REMOVE(&gone, m, gone_entry);
		ngone--;
	}
	RB_REMOVE(member_tree, &members, m);
	free(m->name);
	free(m);
}

void
members_gone(struct meshd_conf *conf, uint32_t id, uint32_t reason)
{
	struct member		*m;
	struct mesh_prefix	 gone_pfx[MEMBER_ROUTED_MAX];
	size_t			 n;

	/* a provisional peer never was a member: nothing to say */
	if ((m = members_find(id)) == NULL)
		return;
	if (m->state != CTL_STATE_MEMBER) {
		log_debug("mesh: member %s gone again (%s)", m->name,
		    gone_reason(reason));
		return;
	}
	log_info("mesh: member %s removed: %s", m->name, gone_reason(reason));
	/* not among the holders while its routes go: another may keep one */
	n = member_routed(m, gone_pfx);
	m->state = CTL_STATE_EXPIRED;
	route_peer_del(conf, gone_pfx, n);
	m->state = CTL_STATE_MEMBER;
	if (reason != GONE_REVOKED && reason != GONE_EXPIRED) {
		member_free(m);
		return;
	}
	m->state = reason == GONE_REVOKED ? CTL_STATE_REVOKED :
	    CTL_STATE_EXPIRED;
	TAILQ_INSERT_TAIL(&gone, m, gone_entry);
	if (++ngone > MEMBERS_GONE_MAX)
		member_free(TAILQ_FIRST(&gone));
}

void
members_reload(struct meshd_conf *nconf)
{
	struct member	*m, *next;

	RB_FOREACH_SAFE(m, member_tree, &members, next)
		if (m->id < MESH_DYN_ID_MIN &&
		    !config_coordinator(nconf, m->id))
			member_free(m);
}

void
members_clear(void)
{
	struct member	*m, *next;

	RB_FOREACH_SAFE(m, member_tree, &members, next)
		member_free(m);
	memset(&crl_state, 0, sizeof(crl_state));
}

/*
 * What the kernel routes to the mesh interface for m: its addresses and
 * its routes but the default ones, which only an exit node's policy
 * table holds (exit.c).  Into out (MEMBER_ROUTED_MAX); their count.
 */
size_t
member_routed(const struct member *m, struct mesh_prefix *out)
{
	size_t	i, n;

	memcpy(out, m->addrs, m->naddrs * sizeof(*out));
	n = m->naddrs;
	for (i = 0; i < m->nroutes; i++)
		if (m->routes[i].plen > 0)
			out[n++] = m->routes[i];
	return n;
}

/* does a member other than except have p routed (member_routed)? */
int
members_route_held(const struct mesh_prefix *p, const struct member *except)
{
	struct member	*m;
	size_t		 i;

	if (p->plen == 0)
		return 0;
	RB_FOREACH(m, member_tree, &members) {
		if (m == except || m->state != CTL_STATE_MEMBER)
			continue;
		for (i = 0; i < m->nroutes; i++)
			if (memcmp(&m->routes[i], p, sizeof(*p)) == 0)
				return 1;
	}
	return 0;
}

struct mesh_prefix *
members_addrs(size_t *np)
{
	struct mesh_prefix	*ps = NULL;
	struct member		*m;
	size_t			 n = 0;

	RB_FOREACH(m, member_tree, &members)
		if (m->state == CTL_STATE_MEMBER)
			n += m->naddrs + m->nroutes;
	*np = 0;
	if (n == 0)
		return NULL;
	if ((ps = reallocarray(NULL, n, sizeof(*ps))) == NULL)
		fatal(NULL);
	RB_FOREACH(m, member_tree, &members)
		if (m->state == CTL_STATE_MEMBER)
			*np += member_routed(m, ps + *np);
	return ps;
}
