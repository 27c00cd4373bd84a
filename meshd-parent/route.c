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
 * Routes via the interface for allowed-ips (route.h).  Requests go to the
 * kernel in batches: up to RT_BATCH rtnetlink messages in one send, each
 * with NLM_F_ACK and its own sequence number, then their answers are read
 * and matched to them.  130,560 prefixes take about 1,000 round trips
 * rather than 130,560.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "members.h"
#include "route.h"

struct route {
	struct mesh_prefix	p;
	uint32_t		table;
	int			ifindex;
};

/* the routes we created, sorted by prefix */
static struct route	*owned;
static size_t		 nowned, owned_max;

static int
route_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct route *)a)->p,
	    &((const struct route *)b)->p, sizeof(struct mesh_prefix));
}

static struct route *
owned_find(const struct mesh_prefix *p)
{
	struct route	key;

	if (nowned == 0)
		return NULL;
	memset(&key, 0, sizeof(key));
	key.p = *p;
	return bsearch(&key, owned, nowned, sizeof(*owned), route_cmp);
}

static int
prefix_covers(const struct mesh_prefix *a, const struct mesh_prefix *p)
{
	size_t	full = a->plen / 8, rest = a->plen % 8;
	uint8_t	mask;

	if (a->af != p->af || a->plen > p->plen)
		return 0;
	if (memcmp(a->addr, p->addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a->addr[full] & mask) == (p->addr[full] & mask);
}

#ifndef __linux__

static int
route_batch(int add, const struct route *r, size_t n, int *errs)
{
	size_t	i;

	for (i = 0; i < n; i++)
		errs[i] = ETIMEDOUT;	/* as unanswered: logged once */
	errno = ENOTSUP;
	return -1;
}

#else /* Linux */

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#define RT_BATCH	128	/* requests in one send */
#define RT_MSG_MAX	128	/* one request: header, rtmsg, 3 attributes */
#define RT_RCV_MAX	32768
#define RT_TIMEOUT	5	/* seconds to wait for the kernel */

/* an attribute after nh's payload (room for it is the caller's) */
void
rt_attr(struct nlmsghdr *nh, uint16_t type, const void *data, size_t len)
{
	struct rtattr	rta;
	char		*at = (char *)nh + NLMSG_ALIGN(nh->nlmsg_len);

	rta.rta_len = RTA_LENGTH(len);
	rta.rta_type = type;
	memcpy(at, &rta, sizeof(rta));
	memcpy(at + RTA_LENGTH(0), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_SPACE(len);
}

/* one request into buf (RT_MSG_MAX bytes); returns its length */
static size_t
rt_msg(char *buf, int add, const struct route *r, uint32_t seq)
{
	struct nlmsghdr	*nh = (struct nlmsghdr *)buf;
	struct rtmsg	 rtm;
	uint32_t	 oif = r->ifindex, table = r->table;

	memset(buf, 0, RT_MSG_MAX);
	memset(&rtm, 0, sizeof(rtm));
	rtm.rtm_family = r->p.af == 4 ? AF_INET : AF_INET6;
	rtm.rtm_dst_len = r->p.plen;
	rtm.rtm_table = table < 256 ? table : RT_TABLE_UNSPEC;
	rtm.rtm_protocol = RTPROT_STATIC;
	rtm.rtm_scope = r->p.af == 4 ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
	rtm.rtm_type = RTN_UNICAST;
	nh->nlmsg_len = NLMSG_LENGTH(sizeof(rtm));
	nh->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK |
	    (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	nh->nlmsg_seq = seq;
	memcpy(NLMSG_DATA(nh), &rtm, sizeof(rtm));
	rt_attr(nh, RTA_DST, r->p.addr, r->p.af == 4 ? 4 : 16);
	rt_attr(nh, RTA_OIF, &oif, sizeof(oif));
	rt_attr(nh, RTA_TABLE, &table, sizeof(table));
	return nh->nlmsg_len;
}

/* reads the answers to requests seq0..seq0+n-1 into errs */
static int
rt_acks(int s, uint32_t seq0, size_t n, int *errs)
{
	union {
		struct nlmsghdr	nh;
		char		buf[RT_RCV_MAX];
	} rcv;
	struct nlmsgerr	 e;
	struct nlmsghdr	*nh;
	size_t		 got = 0, off;
	ssize_t		 r;
	uint32_t	 i;

	while (got < n) {
		if ((r = recv(s, rcv.buf, sizeof(rcv.buf), 0)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				errno = ETIMEDOUT;
			return -1;
		}
		for (off = 0; (size_t)r - off >= sizeof(*nh);
		    off += NLMSG_ALIGN(nh->nlmsg_len)) {
			nh = (struct nlmsghdr *)(rcv.buf + off);
			if (nh->nlmsg_len < sizeof(*nh) ||
			    nh->nlmsg_len > (size_t)r - off) {
				errno = EPROTO;
				return -1;
			}
			i = nh->nlmsg_seq - seq0;
			if (nh->nlmsg_type != NLMSG_ERROR || i >= n ||
			    nh->nlmsg_len < NLMSG_LENGTH(sizeof(e)))
				continue;
			memcpy(&e, NLMSG_DATA(nh), sizeof(e));
			errs[i] = e.error <= 0 ? -e.error : EPROTO;
			got++;
		}
	}
	return 0;
}

/*
 * Adds (add 1) or deletes n routes; errs[i] gets 0 or the kernel's errno
 * for r[i], ETIMEDOUT where no answer came.  Returns -1 with errno if
 * netlink itself failed.
 */
static int
route_batch(int add, const struct route *r, size_t n, int *errs)
{
	static char		 buf[RT_BATCH * RT_MSG_MAX];
	struct sockaddr_nl	 sa;
	struct timeval		 tv = { RT_TIMEOUT, 0 };
	size_t			 i, k, len;
	uint32_t		 seq;
	int			 s, one = 1, saved;

	if ((s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_ROUTE)) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		goto fail;
	(void)setsockopt(s, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	for (i = 0; i < n; i++)
		errs[i] = ETIMEDOUT;	/* until the kernel answers */
	seq = arc4random();
	for (i = 0; i < n; i += k) {
		len = 0;
		for (k = 0; k < RT_BATCH && i + k < n; k++)
			len += NLMSG_ALIGN(rt_msg(buf + len, add, &r[i + k],
			    seq + (uint32_t)k));
		if (sendto(s, buf, len, 0, (struct sockaddr *)&sa,
		    sizeof(sa)) != (ssize_t)len)
			goto fail;
		if (rt_acks(s, seq, k, errs + i) == -1)
			goto fail;
		seq += (uint32_t)k;
	}
	close(s);
	return 0;
 fail:
	saved = errno;
	close(s);
	errno = saved;
	return -1;
}

#endif /* Linux */

/*
 * A member's few routes go in at their place: sorting the whole table
 * for each of 10,000 members joining costs seconds.  A config's many
 * (route_sync) are appended and sorted once.
 */
#define ROUTE_INSERT_MAX	MEMBER_ROUTED_MAX

static void
owned_insert(const struct route *r)
{
	size_t	lo = 0, hi = nowned, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (route_cmp(&owned[mid], r) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&owned[lo + 1], &owned[lo], (nowned - lo) * sizeof(*owned));
	owned[lo] = *r;
	nowned++;
}

static void
owned_grow(size_t more)
{
	size_t	max;

	if (nowned + more <= owned_max)
		return;
	max = nowned + more;
	if ((owned = reallocarray(owned, max, sizeof(*owned))) == NULL)
		fatal(NULL);
	owned_max = max;
}

void
route_add(int ifindex, uint32_t table, const struct mesh_prefix *ps,
    size_t n)
{
	struct route	*todo;
	int		*errs;
	size_t		 i, k = 0;
	char		 buf[64];

	if (n == 0 || table == ROUTE_TABLE_OFF)
		return;
	if ((todo = reallocarray(NULL, n, sizeof(*todo))) == NULL ||
	    (errs = reallocarray(NULL, n, sizeof(*errs))) == NULL)
		fatal(NULL);
	for (i = 0; i < n; i++) {
		if (owned_find(&ps[i]) != NULL)
			continue;
		memset(&todo[k], 0, sizeof(todo[k]));
		todo[k].p = ps[i];
		todo[k].table = table;
		todo[k++].ifindex = ifindex;
	}
	if (route_batch(1, todo, k, errs) == -1)
		log_warn("cannot add routes");
	owned_grow(k);
	for (i = 0; i < k; i++) {
		if (errs[i] == 0 && k <= ROUTE_INSERT_MAX) {
			owned_insert(&todo[i]);
			continue;
		}
		if (errs[i] == 0) {
			owned[nowned++] = todo[i];
			continue;
		}
		mesh_prefix_ntop(&todo[i].p, buf, sizeof(buf));
		if (errs[i] == EEXIST)
			log_warnx("route %s exists and is not ours; leaving it",
			    buf);
		else if (errs[i] != ETIMEDOUT)
			log_warnx("cannot add route %s: %s", buf,
			    strerror(errs[i]));
	}
	if (k > ROUTE_INSERT_MAX)
		qsort(owned, nowned, sizeof(*owned), route_cmp);
	free(todo);
	free(errs);
}

/* deletes the marked routes (table set to ROUTE_TABLE_OFF) */
static void
owned_delete_marked(struct route *gone, size_t k)
{
	int	*errs;
	size_t	 i, j;
	char	 buf[64];

	if (k == 0)
		return;
	if ((errs = reallocarray(NULL, k, sizeof(*errs))) == NULL)
		fatal(NULL);
	if (route_batch(0, gone, k, errs) == -1)
		log_warn("cannot remove routes");
	for (i = 0; i < k; i++) {
		if (errs[i] == 0 || errs[i] == ESRCH)
			continue;
		/* still there, still ours */
		owned_find(&gone[i].p)->table = gone[i].table;
		if (errs[i] != ETIMEDOUT)
			log_warnx("cannot remove route %s: %s",
			    mesh_prefix_ntop(&gone[i].p, buf, sizeof(buf)),
			    strerror(errs[i]));
	}
	for (i = j = 0; i < nowned; i++)
		if (owned[i].table != ROUTE_TABLE_OFF)
			owned[j++] = owned[i];
	nowned = j;
	free(errs);
}

void
route_del(const struct mesh_prefix *ps, size_t n)
{
	struct route	*gone, *r;
	size_t		 i, k = 0;

	if (n == 0 || nowned == 0)
		return;
	if ((gone = reallocarray(NULL, n, sizeof(*gone))) == NULL)
		fatal(NULL);
	for (i = 0; i < n; i++)
		if ((r = owned_find(&ps[i])) != NULL &&
		    r->table != ROUTE_TABLE_OFF) {
			gone[k++] = *r;
			r->table = ROUTE_TABLE_OFF;
		}
	owned_delete_marked(gone, k);
	free(gone);
}

void
route_flush(void)
{
	struct route	*gone;
	size_t		 i;

	if (nowned == 0)
		return;
	if ((gone = reallocarray(NULL, nowned, sizeof(*gone))) == NULL)
		fatal(NULL);
	memcpy(gone, owned, nowned * sizeof(*gone));
	for (i = 0; i < nowned; i++)
		owned[i].table = ROUTE_TABLE_OFF;
	owned_delete_marked(gone, nowned);
	free(gone);
}

static int
prefix_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct mesh_prefix));
}

/* a peer's endpoint address, as a host prefix */
struct epaddr {
	struct mesh_prefix	 a;
	const char		*peer;
};

/* by family, then address */
static int
epaddr_cmp(const void *x, const void *y)
{
	const struct mesh_prefix	*a = x, *b = y;

	if (a->af != b->af)
		return a->af < b->af ? -1 : 1;
	return memcmp(a->addr, b->addr, sizeof(a->addr));
}

static int
epaddr_of(const struct peer_conf *p, struct mesh_prefix *a)
{
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;
	static const uint8_t	mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				    0xff, 0xff };

	memset(a, 0, sizeof(*a));
	if (p->endpoint.ss_family == AF_INET &&
	    p->endpoint_len >= sizeof(sin)) {
		memcpy(&sin, &p->endpoint, sizeof(sin));
		a->af = 4;
		a->plen = 32;
		memcpy(a->addr, &sin.sin_addr, 4);
		return 0;
	}
	if (p->endpoint.ss_family != AF_INET6 ||
	    p->endpoint_len < sizeof(sin6))
		return -1;
	memcpy(&sin6, &p->endpoint, sizeof(sin6));
	if (memcmp(&sin6.sin6_addr, mapped, sizeof(mapped)) == 0) {
		a->af = 4;
		a->plen = 32;
		memcpy(a->addr, (uint8_t *)&sin6.sin6_addr + 12, 4);
	} else {
		a->af = 6;
		a->plen = 128;
		memcpy(a->addr, &sin6.sin6_addr, 16);
	}
	return 0;
}

/* the peers' endpoint addresses, sorted (epaddr_cmp) */
static struct epaddr *
route_endpoints(struct meshd_conf *conf, size_t *np)
{
	struct peer_conf	*p;
	struct epaddr		*eps;
	size_t			 n = 0;

	*np = 0;
	if (conf->npeers == 0)
		return NULL;
	if ((eps = reallocarray(NULL, conf->npeers, sizeof(*eps))) == NULL)
		fatal(NULL);
	TAILQ_FOREACH(p, &conf->peers, entry)
		if (n < conf->npeers && epaddr_of(p, &eps[n].a) == 0)
			eps[n++].peer = p->name;
	qsort(eps, n, sizeof(*eps), epaddr_cmp);
	*np = n;
	return eps;
}

/* an endpoint inside pfx, or NULL */
static const struct epaddr *
route_endpoint_in(const struct mesh_prefix *pfx, const struct epaddr *eps,
    size_t n)
{
	size_t	lo = 0, hi = n, mid;

	/* the first endpoint at or after pfx's first address */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (epaddr_cmp(&eps[mid].a, pfx) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n && prefix_covers(pfx, &eps[lo].a))
		return &eps[lo];
	return NULL;
}

/*
 * A route in the main table that holds a peer's endpoint would send the
 * tunnel's own datagrams into the tunnel (0.0.0.0/0 of an exit node, say):
 * not added, with a warning.  Another table is for ip rule to use, which
 * can keep them apart.
 */
static int
route_loops(struct meshd_conf *conf, const struct mesh_prefix *pfx,
    const struct epaddr *eps, size_t neps)
{
	const struct epaddr	*ep;
	char			 b1[64], b2[64];

	if (conf->iface.table != ROUTE_TABLE_MAIN ||
	    (ep = route_endpoint_in(pfx, eps, neps)) == NULL)
		return 0;
	log_warnx("route %s via %s would hold peer %s's endpoint %s: not "
	    "added (a table NUMBER and ip rule can route it)",
	    mesh_prefix_ntop(pfx, b1, sizeof(b1)), conf->iface.name,
	    ep->peer, mesh_prefix_ntop(&ep->a, b2, sizeof(b2)));
	return 1;
}

/* a prefix not covered by an address, nor holding an endpoint */
static int
route_wants(struct meshd_conf *conf, const struct mesh_prefix *pfx,
    const struct epaddr *eps, size_t neps)
{
	struct iface_conf	*ic = &conf->iface;
	size_t			 j;

	for (j = 0; j < ic->naddrs; j++)
		if (prefix_covers(&ic->addrs[j], pfx))
			return 0;
	return !route_loops(conf, pfx, eps, neps);
}

/*
 * every allowed-ips prefix of conf and address of a member not covered
 * by an address, nor holding an endpoint (route_loops), sorted
 */
static struct mesh_prefix *
route_wanted(struct meshd_conf *conf, size_t *np)
{
	struct peer_conf	*p;
	struct mesh_prefix	*want = NULL, *mem;
	struct epaddr		*eps;
	size_t			 n = 0, i, j, total = 0, neps, nmem;

	mem = members_addrs(&nmem);
	total = nmem;
	TAILQ_FOREACH(p, &conf->peers, entry)
		total += p->naips;
	if (total > 0 && (want = reallocarray(NULL, total,
	    sizeof(*want))) == NULL)
		fatal(NULL);
	eps = route_endpoints(conf, &neps);
	TAILQ_FOREACH(p, &conf->peers, entry)
		for (i = 0; i < p->naips; i++)
			if (route_wants(conf, &p->aips[i], eps, neps))
				want[n++] = p->aips[i];
	/* the mesh's members, which no config holds */
	for (i = 0; i < nmem; i++)
		if (route_wants(conf, &mem[i], eps, neps))
			want[n++] = mem[i];
	free(mem);
	free(eps);
	if (n > 0)
		qsort(want, n, sizeof(*want), prefix_cmp);
	/* the same prefix twice: once */
	for (i = j = 0; i < n; i++)
		if (j == 0 || prefix_cmp(&want[j - 1], &want[i]) != 0)
			want[j++] = want[i];
	*np = j;
	return want;
}

void
route_sync(int ifindex, struct meshd_conf *conf)
{
	struct mesh_prefix	*want, *gone = NULL;
	struct timespec		 t0, t1;
	uint32_t		 table = conf->iface.table;
	size_t			 nwant, i, k = 0, before;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (table == ROUTE_TABLE_OFF) {
		want = NULL;
		nwant = 0;
	} else
		want = route_wanted(conf, &nwant);
	if (nowned > 0 && (gone = reallocarray(NULL, nowned,
	    sizeof(*gone))) == NULL)
		fatal(NULL);
	for (i = 0; i < nowned; i++)
		if (owned[i].table != table || owned[i].ifindex != ifindex ||
		    nwant == 0 || bsearch(&owned[i].p, want, nwant,
		    sizeof(*want), prefix_cmp) == NULL)
			gone[k++] = owned[i].p;
	if (nowned > 0) {
		route_del(gone, k);
		free(gone);
	}
	before = nowned;
	route_add(ifindex, table, want, nwant);
	free(want);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_debug("routes: %zu removed, %zu added, %zu in all, in %lld ms", k,
	    nowned - before, nowned, (long long)(t1.tv_sec - t0.tv_sec) *
	    1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
}

/* a run-time peer's addresses, as route_sync would have them */
void
route_peer_add(int ifindex, struct meshd_conf *conf,
    const struct mesh_prefix *ps, size_t n)
{
	struct mesh_prefix	 want[MEMBER_ROUTED_MAX];
	struct epaddr		*eps;
	size_t			 i, k = 0, neps;

	if (conf->iface.table == ROUTE_TABLE_OFF || n == 0)
		return;
	eps = route_endpoints(conf, &neps);
	for (i = 0; i < n && k < MEMBER_ROUTED_MAX; i++)
		if (route_wants(conf, &ps[i], eps, neps))
			want[k++] = ps[i];
	free(eps);
	route_add(ifindex, conf->iface.table, want, k);
}

/*
 * and their removal, but not of a route a config peer or another member
 * wants too
 */
void
route_peer_del(struct meshd_conf *conf, const struct mesh_prefix *ps,
    size_t n)
{
	struct mesh_prefix	 gone[MEMBER_ROUTED_MAX];
	struct peer_conf	*p;
	size_t			 i, j, k = 0;

	for (i = 0; i < n && i < MEMBER_ROUTED_MAX; i++) {
		if (members_route_held(&ps[i], NULL))
			continue;
		TAILQ_FOREACH(p, &conf->peers, entry) {
			for (j = 0; j < p->naips; j++)
				if (prefix_cmp(&p->aips[j], &ps[i]) == 0)
					break;
			if (j < p->naips)
				break;
		}
		if (p == NULL)
			gone[k++] = ps[i];
	}
	route_del(gone, k);
}
