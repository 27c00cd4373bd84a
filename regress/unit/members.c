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
 * The parent's member table (meshd-parent/members.c): what meshd-crypto
 * says in MEMBER and PEER_GONE, checked, kept by id, with the addresses
 * that want routes; a revoked or expired member stays listed without
 * them, up to MEMBERS_GONE_MAX; a coordinator of the config is kept
 * under its config id while the config has it.  Routes are off here
 * (table 0): route.c's netlink side has its own test (netns/routes.t).
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <syslog.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "config.h"
#include "log.h"
#include "members.h"
#include "route.h"

/* the last line logged, and how many */
static char	 logged[LOG_LINE_MAX];
static int	 nlogged;

static void
log_capture(int pri, const char *line)
{
	(void)strlcpy(logged, line, sizeof(logged));
	nlogged++;
}

static void
pfx(struct mesh_prefix *p, const char *addr)
{
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, addr, p->addr) == 1) {
		p->af = 4;
		p->plen = 32;
	} else if (inet_pton(AF_INET6, addr, p->addr) == 1) {
		p->af = 6;
		p->plen = 128;
	}
}

/* a good MEMBER: name, 100.64.0.N/32 and fd00::N/128, group "web" */
static void
member_msg(struct mesh_member_msg *mm, uint32_t id, const char *name,
    int n)
{
	char	a[64];

	memset(mm, 0, sizeof(*mm));
	mm->id = id;
	(void)strlcpy(mm->name, name, sizeof(mm->name));
	mm->not_after = 2000000000;
	mm->naddrs = 2;
	snprintf(a, sizeof(a), "100.64.%d.%d", n / 256, n % 256);
	pfx(&mm->addrs[0], a);
	snprintf(a, sizeof(a), "fd00::%x", n);
	pfx(&mm->addrs[1], a);
	mm->ngroups = 1;
	(void)strlcpy(mm->groups[0], "web", sizeof(mm->groups[0]));
}

static void
test_check(void)
{
	struct mesh_member_msg	mm;

	member_msg(&mm, MESH_DYN_ID_MIN, "web2", 2);
	ok(members_check(&mm) == 0, "check: a good member passes");
	member_msg(&mm, MESH_DYN_ID_MIN, "web2", 2);
	memset(mm.name, 'a', sizeof(mm.name));
	ok(members_check(&mm) == 0 &&
	    strlen(mm.name) == sizeof(mm.name) - 1,
	    "check: a name without its NUL is cut, not read past");
	member_msg(&mm, MESH_DYN_ID_MIN, "", 2);
	ok(members_check(&mm) == -1, "check: an empty name");
	member_msg(&mm, MESH_DYN_ID_MIN, "we\nb", 2);
	ok(members_check(&mm) == -1, "check: a control character in a name");
	member_msg(&mm, 0, "web2", 2);
	ok(members_check(&mm) == -1, "check: id 0");
	member_msg(&mm, MESH_DYN_ID_MIN, "web2", 2);
	mm.naddrs = 0;
	ok(members_check(&mm) == -1, "check: no address");
	mm.naddrs = MESH_CERT_ADDRS + 1;
	ok(members_check(&mm) == -1, "check: addresses past the array");
	member_msg(&mm, MESH_DYN_ID_MIN, "web2", 2);
	mm.ngroups = MESH_CERT_GROUPS + 1;
	ok(members_check(&mm) == -1, "check: groups past the array");
	member_msg(&mm, MESH_DYN_ID_MIN, "web2", 2);
	mm.nroutes = MESH_CERT_ROUTES + 1;
	ok(members_check(&mm) == -1, "check: routes past the array");
	member_msg(&mm, MESH_DYN_ID_MIN, "web2", 2);
	mm.addrs[0].plen = 24;
	ok(members_check(&mm) == -1, "check: an address not a host prefix");
	member_msg(&mm, MESH_DYN_ID_MIN, "web2", 2);
	mm.addrs[1].af = 5;
	ok(members_check(&mm) == -1, "check: an address of no family");
	member_msg(&mm, MESH_DYN_ID_MIN, "web2", 2);
	mm.groups[0][0] = '\0';
	ok(members_check(&mm) == -1, "check: an empty group");
	member_msg(&mm, MESH_DYN_ID_MIN, "web2", 2);
	mm.nroutes = 1;
	pfx(&mm.routes[0], "10.1.0.0");
	mm.routes[0].plen = 33;
	ok(members_check(&mm) == -1, "check: a route longer than /32");
	mm.routes[0].plen = 16;
	ok(members_check(&mm) == 0, "check: a /16 route is fine");
}

static struct meshd_conf *
conf_new(void)
{
	struct meshd_conf	*conf;
	struct peer_conf	*p;

	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		exit(1);
	TAILQ_INIT(&conf->peers);
	conf->iface.table = ROUTE_TABLE_OFF;
	/* peer 1 a plain peer, peer 2 a coordinator */
	if ((p = calloc(1, sizeof(*p))) == NULL)
		exit(1);
	p->id = 1;
	(void)strlcpy(p->name, "plain", sizeof(p->name));
	TAILQ_INSERT_TAIL(&conf->peers, p, entry);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		exit(1);
	p->id = 2;
	p->coordinator = 1;
	(void)strlcpy(p->name, "coord1", sizeof(p->name));
	TAILQ_INSERT_TAIL(&conf->peers, p, entry);
	conf->npeers = 2;
	return conf;
}

static void
conf_free(struct meshd_conf *conf)
{
	struct peer_conf	*p;

	while ((p = TAILQ_FIRST(&conf->peers)) != NULL) {
		TAILQ_REMOVE(&conf->peers, p, entry);
		free(p);
	}
	free(conf);
}

static void
test_table(void)
{
	struct meshd_conf	*conf = conf_new(), *nconf;
	struct mesh_member_msg	 mm;
	struct mesh_prefix	*ps, want;
	struct member		*m;
	size_t			 n;

	member_msg(&mm, MESH_DYN_ID_MIN, "web2", 2);
	nlogged = 0;
	members_add(conf, 1, &mm);
	is_str(logged, "mesh: member web2 (100.64.0.2/32 fd00::2/128) "
	    "admitted", "add: one line logged names it and its addresses");
	is_int(nlogged, 1, "add: one line");
	m = members_find(MESH_DYN_ID_MIN);
	ok(m != NULL && strcmp(m->name, "web2") == 0 &&
	    m->state == CTL_STATE_MEMBER && m->naddrs == 2 &&
	    m->ngroups == 1 && strcmp(m->groups[0], "web") == 0 &&
	    m->not_after == 2000000000, "add: web2 is a member");
	is_int(members_count(CTL_STATE_MEMBER), 1, "add: one member");
	ps = members_addrs(&n);
	pfx(&want, "100.64.0.2");
	ok(n == 2 && memcmp(&ps[0], &want, sizeof(want)) == 0,
	    "add: its addresses want routes");
	free(ps);
	ok(members_find_name("web2") == m, "find by name");
	ok(members_find_name("web") == NULL, "no prefix match by name");

	/* renewed, with another address: the same entry */
	member_msg(&mm, MESH_DYN_ID_MIN, "web2", 9);
	mm.not_after = 2100000000;
	members_add(conf, 1, &mm);
	ps = members_addrs(&n);
	pfx(&want, "100.64.0.9");
	ok(members_find(MESH_DYN_ID_MIN) == m && m->not_after == 2100000000 &&
	    n == 2 && memcmp(&ps[0], &want, sizeof(want)) == 0,
	    "renewed: the new certificate's addresses and expiry");
	free(ps);
	is_int(members_count(CTL_STATE_MEMBER), 1, "renewed: still one");

	/* revoked: listed, no routes */
	member_msg(&mm, MESH_DYN_ID_MIN + 1, "web3", 3);
	members_add(conf, 1, &mm);
	members_gone(conf, MESH_DYN_ID_MIN, GONE_REVOKED);
	is_str(logged, "mesh: member web2 removed: revoked",
	    "revoked: logged with the reason");
	ok(m->state == CTL_STATE_REVOKED, "revoked: listed as revoked");
	is_int(members_count(CTL_STATE_REVOKED), 1, "revoked: one revoked");
	is_int(members_count(CTL_STATE_MEMBER), 1, "revoked: one member left");
	ps = members_addrs(&n);
	pfx(&want, "100.64.0.3");
	ok(n == 2 && memcmp(&ps[0], &want, sizeof(want)) == 0,
	    "revoked: only web3's addresses want routes");
	free(ps);
	members_gone(conf, MESH_DYN_ID_MIN, GONE_EXPIRED);
	ok(m->state == CTL_STATE_REVOKED, "gone twice: the first reason stays");
	ok(members_find_name("web2") == m, "a revoked member found by name");

	/* expired */
	members_gone(conf, MESH_DYN_ID_MIN + 1, GONE_EXPIRED);
	ok(members_find(MESH_DYN_ID_MIN + 1)->state == CTL_STATE_EXPIRED,
	    "expired: listed as expired");
	ps = members_addrs(&n);
	ok(n == 0 && ps == NULL, "no member: no address wants a route");

	/* admitted again (a new certificate for the same key) */
	member_msg(&mm, MESH_DYN_ID_MIN + 1, "web3", 3);
	members_add(conf, 1, &mm);
	ok(members_find(MESH_DYN_ID_MIN + 1)->state == CTL_STATE_MEMBER,
	    "back: an expired member admitted again is a member");

	/* replaced, provisional: gone without a trace */
	members_gone(conf, MESH_DYN_ID_MIN + 1, GONE_REPLACED);
	ok(members_find(MESH_DYN_ID_MIN + 1) == NULL, "replaced: removed");
	is_str(logged, "mesh: member web3 removed: replaced by a newer "
	    "certificate", "replaced: logged with the reason");
	members_gone(conf, MESH_DYN_ID_MIN + 7, GONE_PROVISIONAL);
	ok(members_find(MESH_DYN_ID_MIN + 7) == NULL,
	    "provisional, never a member: nothing");

	/* a coordinator of the config */
	member_msg(&mm, 2, "coord1", 10);
	members_add(conf, 1, &mm);
	ok(members_find(2) != NULL, "coordinator: its certificate is kept");
	is_int(members_count(CTL_STATE_MEMBER), 1,
	    "coordinator: counted as a member (show mesh)");
	ok(members_find_name("coord1") == NULL,
	    "coordinator: not a mesh peer by name (the config has it)");
	ps = members_addrs(&n);
	pfx(&want, "100.64.0.10");
	ok(n == 2 && memcmp(&ps[0], &want, sizeof(want)) == 0,
	    "coordinator: its addresses want routes");
	free(ps);
	member_msg(&mm, 1, "plain", 11);
	members_add(conf, 1, &mm);
	ok(members_find(1) == NULL, "a plain config peer's id: ignored");
	member_msg(&mm, 5, "nosuch", 12);
	members_add(conf, 1, &mm);
	ok(members_find(5) == NULL, "an id the config lacks: ignored");

	/* a reload without coord1: its certificate goes, members stay */
	nconf = conf_new();
	TAILQ_LAST(&nconf->peers, peer_conf_head)->coordinator = 0;
	members_reload(nconf);
	ok(members_find(2) == NULL, "reload: a coordinator no more is gone");
	ok(members_find(MESH_DYN_ID_MIN) != NULL,
	    "reload: the mesh's peers stay");
	conf_free(nconf);
	members_clear();
	conf_free(conf);
}

/*
 * A member's lists are allocated at the certificate's size: a renewal
 * from the least to the most a certificate may list and back keeps the
 * same entry and every list whole.
 */
static void
test_sizes(void)
{
	struct meshd_conf	*conf = conf_new();
	struct mesh_member_msg	 mm;
	struct mesh_prefix	 want;
	struct member		*m;
	char			 name[MESH_NAME_MAX], a[64];
	size_t			 i;
	int			 good = 1;

	member_msg(&mm, MESH_DYN_ID_MIN, "s", 1);
	mm.naddrs = 1;
	mm.ngroups = 0;
	members_add(conf, 1, &mm);
	m = members_find(MESH_DYN_ID_MIN);
	ok(m != NULL && strcmp(m->name, "s") == 0 && m->naddrs == 1 &&
	    m->ngroups == 0 && m->nroutes == 0, "sizes: the least");

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	member_msg(&mm, MESH_DYN_ID_MIN, name, 1);
	mm.naddrs = MESH_CERT_ADDRS;
	for (i = 0; i < MESH_CERT_ADDRS; i++) {
		snprintf(a, sizeof(a), "100.64.1.%zu", i);
		pfx(&mm.addrs[i], a);
	}
	mm.ngroups = MESH_CERT_GROUPS;
	for (i = 0; i < MESH_CERT_GROUPS; i++) {
		memset(mm.groups[i], 'a' + i, MESH_GROUP_MAX - 1);
		mm.groups[i][MESH_GROUP_MAX - 1] = '\0';
	}
	mm.nroutes = MESH_CERT_ROUTES;
	for (i = 0; i < MESH_CERT_ROUTES; i++) {
		snprintf(a, sizeof(a), "10.%zu.0.0", i);
		pfx(&mm.routes[i], a);
		mm.routes[i].plen = 16;
	}
	members_add(conf, 1, &mm);
	ok(members_find(MESH_DYN_ID_MIN) == m && strcmp(m->name, name) == 0 &&
	    m->naddrs == MESH_CERT_ADDRS && m->ngroups == MESH_CERT_GROUPS &&
	    m->nroutes == MESH_CERT_ROUTES, "sizes: renewed to the most");
	for (i = 0; i < MESH_CERT_ADDRS; i++)
		if (memcmp(&m->addrs[i], &mm.addrs[i], sizeof(want)) != 0)
			good = 0;
	for (i = 0; i < MESH_CERT_ROUTES; i++)
		if (memcmp(&m->routes[i], &mm.routes[i], sizeof(want)) != 0)
			good = 0;
	for (i = 0; i < MESH_CERT_GROUPS; i++)
		if (strcmp(m->groups[i], mm.groups[i]) != 0)
			good = 0;
	ok(good, "sizes: every address, route and group whole");

	member_msg(&mm, MESH_DYN_ID_MIN, "s2", 7);
	members_add(conf, 1, &mm);
	pfx(&want, "fd00::7");
	ok(members_find(MESH_DYN_ID_MIN) == m && strcmp(m->name, "s2") == 0 &&
	    m->naddrs == 2 && m->nroutes == 0 && m->ngroups == 1 &&
	    strcmp(m->groups[0], "web") == 0 &&
	    memcmp(&m->addrs[1], &want, sizeof(want)) == 0,
	    "sizes: and back to two addresses");
	members_clear();
	conf_free(conf);
}

/* at most MEMBERS_GONE_MAX gone ones: the oldest are dropped */
static void
test_gone_bound(void)
{
	struct meshd_conf	*conf = conf_new();
	struct mesh_member_msg	 mm;
	uint32_t		 i, n = MEMBERS_GONE_MAX + 6;
	char			 name[32];

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "m%u", i);
		member_msg(&mm, MESH_DYN_ID_MIN + i, name, (int)i + 1);
		members_add(conf, 1, &mm);
	}
	is_int(members_count(CTL_STATE_MEMBER), n, "bound: all admitted");
	for (i = 0; i < n; i++)
		members_gone(conf, MESH_DYN_ID_MIN + i, GONE_REVOKED);
	is_int(members_count(CTL_STATE_REVOKED), MEMBERS_GONE_MAX,
	    "bound: %d revoked listed", MEMBERS_GONE_MAX);
	ok(members_find(MESH_DYN_ID_MIN) == NULL &&
	    members_find(MESH_DYN_ID_MIN + 5) == NULL &&
	    members_find(MESH_DYN_ID_MIN + 6) != NULL &&
	    members_find(MESH_DYN_ID_MIN + n - 1) != NULL,
	    "bound: the oldest went first");
	members_clear();
	conf_free(conf);
}

/* a route a.b.c.d/len or x::/len */
static void
route_pfx(struct mesh_prefix *p, const char *addr, int len)
{
	pfx(p, addr);
	p->plen = len;
}

/*
 * Routes of members (issue 15): the kernel gets a member's routes but its
 * exit routes (policy routing has those); one that two members hold is
 * held while either is a member
 */
static void
test_routes(void)
{
	struct meshd_conf	*conf = conf_new();
	struct mesh_member_msg	 mm;
	struct mesh_prefix	*ps, r, out[MEMBER_ROUTED_MAX];
	struct member		*a, *b;
	size_t			 n;

	member_msg(&mm, MESH_DYN_ID_MIN + 10, "gw", 10);
	route_pfx(&mm.routes[0], "10.1.0.0", 24);
	route_pfx(&mm.routes[1], "0.0.0.0", 0);
	route_pfx(&mm.routes[2], "::", 0);
	mm.nroutes = 3;
	members_add(conf, 1, &mm);
	a = members_find(MESH_DYN_ID_MIN + 10);
	ok(a != NULL && a->nroutes == 3, "routes: gw keeps its 3 routes");
	n = member_routed(a, out);
	route_pfx(&r, "10.1.0.0", 24);
	ok(n == 3 && memcmp(&out[2], &r, sizeof(r)) == 0,
	    "routes: 2 addresses and 10.1.0.0/24 routed, no exit route");
	ps = members_addrs(&n);
	is_int(n, 3, "routes: route_sync wants the same three");
	free(ps);
	ok(members_route_held(&r, NULL), "routes: 10.1.0.0/24 is held");
	ok(!members_route_held(&r, a), "routes: by gw alone");
	route_pfx(&r, "0.0.0.0", 0);
	ok(!members_route_held(&r, NULL), "routes: an exit route is not");

	member_msg(&mm, MESH_DYN_ID_MIN + 11, "gw2", 11);
	route_pfx(&mm.routes[0], "10.1.0.0", 24);
	mm.nroutes = 1;
	members_add(conf, 1, &mm);
	b = members_find(MESH_DYN_ID_MIN + 11);
	route_pfx(&r, "10.1.0.0", 24);
	ok(b != NULL && members_route_held(&r, a),
	    "routes: gw2 holds 10.1.0.0/24 too");
	members_gone(conf, MESH_DYN_ID_MIN + 11, GONE_REVOKED);
	ok(!members_route_held(&r, a),
	    "routes: gw2 revoked, it holds nothing");
	members_clear();
	conf_free(conf);
}

int
main(void)
{
	/* the log lines, to check, not to print */
	log_init(0, 0, LOG_DAEMON);
	log_setsink(log_capture);
	test_check();
	test_table();
	test_sizes();
	test_gone_bound();
	test_routes();
	return tap_done();
}
