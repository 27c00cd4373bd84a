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
 * Endpoint discovery: where the rest of the internet sees us, learnt
 * on the tunnel's own UDP sockets (a mapping learnt on another socket
 * is worthless to a peer).
 *
 *   STUN client: a Binding request (RFC 8489) to every stun server of
 *	the mesh block and to every coordinator's endpoint (coordinators
 *	answer on their tunnel port), each its own transaction (a random
 *	id), retransmitted as the RFC says (STUN_RTO_MS doubling, STUN_RC
 *	requests, then STUN_RM times the first RTO).  Answers arrive among
 *	the WireGuard messages; net_udp_read hands over what stun_is_stun
 *	says is STUN.  A round every DISC_ROUND_SECS (jittered), and at
 *	once when the node's addresses or the servers change.
 *   STUN server (serve coordinator): a Binding request is answered,
 *	as a coordinator's service, within a per-source rate: an answer
 *	is at most STUN_ANSWER_MAX bytes against a request of at least
 *	STUN_HDR_LEN, so no source can make us send much more than it
 *	sends, and not at all beyond its rate.
 *   Mapping behaviour (RFC 4787): the reflexive addresses that servers
 *	at different addresses (and different ports of one address) saw.
 *   Candidates for the REGISTER: our own addresses (the parent lists
 *	them: we cannot), the gateway's mapping (portmap.c), the
 *	reflexive addresses; duplicates dropped.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "byteorder.h"
#include "child.h"
#include "coord.h"
#include "endpoint.h"
#include "log.h"
#include "net.h"
#include "ratelimit.h"
#include "stun.h"
#include "wire.h"

#define DISC_ROUND_SECS		60	/* a round of Binding requests */
#define DISC_JITTER_SECS	10	/* +- */
#define DISC_FRESH_SECS		60	/* netcheck refreshes older data */
#define DISC_NETCHECK_WAIT_MS	3000	/* and waits at most this */
#define DISC_PENDING		8	/* netcheck requests waiting */
#define DISC_SEQ_STEP		64	/* ports this close are sequential */

struct disc_server {
	char			 name[MESH_ENDPOINT_MAX];
	int			 coordinator;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;		/* 0: not resolved */
	/* the transaction */
	int			 active;
	uint8_t			 txid[STUN_TXID_LEN];
	int			 tries;
	uint64_t		 sent_ns;	/* the last request */
	uint64_t		 due_ns;	/* the next step */
	/* the last answer */
	int			 has_mapped;
	struct stun_addr	 mapped;
	int32_t			 rtt_us;
	time_t			 answered;
	char			 error[NETCHECK_TEXT];
};

static struct {
	int			 on;
	int			 serve;
	uint16_t		 port;		/* the tunnel's */
	struct disc_server	 srv[NETCHECK_SERVERS];
	size_t			 nsrv;
	struct mesh_stun_msg	 stun[MESH_STUN_MAX];
	size_t			 nstun;
	struct mesh_net_addrs	 addrs;
	struct ratelimit	*rl;		/* answers per source */
	struct event		 ev;
	time_t			 round_at;	/* the last round's start */
	time_t			 next_round;
	int			 running;	/* a round has transactions */
	struct coord_cand	 cand[COORD_MAX_CAND];	/* as registered */
	size_t			 ncand;
	struct {
		uint32_t	 id;
		uint64_t	 until_ns;
	}			 pending[DISC_PENDING];
	size_t			 npending;
} disc;

static void	 disc_arm(void);
static void	 disc_step(void);
static void	 netcheck_answer(uint32_t);

/* --- servers ---------------------------------------------------------- */

static int
sa_same(const struct sockaddr_storage *a, socklen_t alen,
    const struct sockaddr_storage *b, socklen_t blen)
{
	return alen == blen && alen > 0 && memcmp(a, b, alen) == 0;
}

/* an entry for name at ss, keeping what an earlier one learnt */
static void
srv_add(struct disc_server *old, size_t nold, const char *name,
    int coordinator, const void *ss, socklen_t sslen)
{
	struct disc_server	*s;
	size_t			 i;

	if (disc.nsrv >= NETCHECK_SERVERS)
		return;
	s = &disc.srv[disc.nsrv++];
	memset(s, 0, sizeof(*s));
	(void)strlcpy(s->name, name, sizeof(s->name));
	s->coordinator = coordinator;
	s->rtt_us = -1;
	if (sslen > sizeof(s->ss))
		sslen = 0;
	memcpy(&s->ss, ss, sslen);
	s->sslen = sslen;
	for (i = 0; i < nold; i++)
		if (strcmp(old[i].name, name) == 0 &&
		    old[i].coordinator == coordinator &&
		    sa_same(&old[i].ss, old[i].sslen, &s->ss, s->sslen)) {
			*s = old[i];
			return;
		}
}

/*
 * The servers now: the stun lines, then the coordinators at their
 * configured (or learnt) endpoints.  1 if the list changed.
 */
static int
srv_rebuild(void)
{
	struct disc_server	*old;
	struct net_peer		*np;
	const struct mesh_endpoint *ep;
	struct mesh_endpoint	 cep;
	size_t			 nold = disc.nsrv, i;
	int			 changed;

	if ((old = calloc(nold + 1, sizeof(*old))) == NULL)
		fatal(NULL);
	memcpy(old, disc.srv, nold * sizeof(*old));
	disc.nsrv = 0;
	for (i = 0; i < disc.nstun; i++)
		srv_add(old, nold, disc.stun[i].name, 0, disc.stun[i].addr,
		    disc.stun[i].addrlen);
	/*
	 * Coordinators answer STUN too, unless the mesh is obfuscated:
	 * STUN is a protocol a censor's classifier names, and the
	 * coordinator sees our address in the registration anyway (the
	 * observed candidate).  stun lines are asked still.
	 */
	for (np = net_peer_first(); np != NULL; np = net_peer_next(np)) {
		if (!np->coordinator || net_obfs_mesh())
			continue;
		ep = &np->ep;
		if (np->conf_eplen > 0) {
			ep_set_remote(&cep, np->conf_ep, np->conf_eplen);
			ep = &cep;
		}
		srv_add(old, nold, np->name, 1, ep->addr,
		    ep_family(ep) != 0 ? ep->addrlen : 0);
	}
	changed = nold != disc.nsrv;
	for (i = 0; !changed && i < nold; i++)
		changed = strcmp(old[i].name, disc.srv[i].name) != 0 ||
		    !sa_same(&old[i].ss, old[i].sslen, &disc.srv[i].ss,
		    disc.srv[i].sslen);
	free(old);
	return changed;
}

/* --- the client ------------------------------------------------------- */

static void
srv_send(struct disc_server *s, uint64_t now)
{
	uint8_t	req[STUN_REQUEST_LEN];
	ssize_t	len;

	if ((len = stun_request(req, sizeof(req), s->txid)) == -1)
		return;
	s->tries++;
	s->sent_ns = now;
	if (s->tries < STUN_RC)
		s->due_ns = now + (uint64_t)STUN_RTO_MS * 1000000ULL *
		    (1ULL << (s->tries - 1));
	else
		s->due_ns = now + (uint64_t)STUN_RTO_MS * STUN_RM * 1000000ULL;
	if (net_sendto((const struct sockaddr *)&s->ss, s->sslen, req,
	    len) == -1)
		log_debug("stun: %s: not sent", s->name);
}

/* a round: a new transaction to every server */
static void
round_start(void)
{
	struct disc_server	*s;
	uint64_t		 now = mesh_monotonic_ns();
	size_t			 i;

	if (!disc.on)
		return;
	(void)srv_rebuild();
	disc.round_at = time(NULL);
	disc.next_round = disc.round_at + DISC_ROUND_SECS - DISC_JITTER_SECS +
	    arc4random_uniform(2 * DISC_JITTER_SECS + 1);
	disc.running = 0;
	for (i = 0; i < disc.nsrv; i++) {
		s = &disc.srv[i];
		if (s->sslen == 0) {
			(void)strlcpy(s->error, s->coordinator ? "no endpoint "
			    "yet" : "not resolved", sizeof(s->error));
			s->active = 0;
			continue;
		}
		if (!net_has_family(s->ss.ss_family)) {
			(void)snprintf(s->error, sizeof(s->error),
			    "no IPv%d socket", s->ss.ss_family == AF_INET ?
			    4 : 6);
			s->active = 0;
			continue;
		}
		if (RAND_bytes(s->txid, sizeof(s->txid)) != 1)
			fatalx("RAND_bytes failed");
		s->active = 1;
		s->tries = 0;
		srv_send(s, now);
		disc.running = 1;
	}
	disc_arm();
}

/* retransmissions and give-ups; 1 while a transaction runs */
static int
srv_timers(uint64_t now)
{
	struct disc_server	*s;
	size_t			 i;
	int			 running = 0;

	for (i = 0; i < disc.nsrv; i++) {
		s = &disc.srv[i];
		if (!s->active)
			continue;
		if (now < s->due_ns) {
			running = 1;
			continue;
		}
		if (s->tries >= STUN_RC) {
			s->active = 0;
			s->has_mapped = 0;
			s->rtt_us = -1;
			(void)snprintf(s->error, sizeof(s->error),
			    "no answer after %d requests", STUN_RC);
			continue;
		}
		srv_send(s, now);
		running = 1;
	}
	return running;
}

static void
stun_to_sa(const struct stun_addr *a, char *buf, size_t len)
{
	struct sockaddr_storage	ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		sl;

	memset(&ss, 0, sizeof(ss));
	if (a->af == 4) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(a->port);
		memcpy(&sin->sin_addr, a->addr, 4);
		sl = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(a->port);
		memcpy(&sin6->sin6_addr, a->addr, 16);
		sl = sizeof(*sin6);
	}
	mesh_sockaddr_ntop(&ss, sl, buf, len);
}

static void
got_response(const uint8_t *buf, size_t len)
{
	struct stun_msg		 m;
	struct disc_server	*s;
	const char		*why;
	uint64_t		 now;
	size_t			 i;

	if (stun_parse_response(buf, len, &m, &why) == -1) {
		net_stats()->mesh[MESH_CTR_STUN_BAD]++;
		log_debug("stun: an answer dropped: %s", why);
		return;
	}
	for (i = 0; i < disc.nsrv; i++) {
		s = &disc.srv[i];
		if (s->active && memcmp(s->txid, m.txid, sizeof(m.txid)) == 0)
			break;
	}
	if (i == disc.nsrv) {
		net_stats()->mesh[MESH_CTR_STUN_UNMATCHED]++;
		return;
	}
	now = mesh_monotonic_ns();
	s->active = 0;
	s->answered = time(NULL);
	/* from the last request: the earlier ones may have been lost */
	s->rtt_us = (now - s->sent_ns) / 1000;
	if (m.type != STUN_BINDING_SUCCESS || !m.has_mapped) {
		s->has_mapped = 0;
		(void)snprintf(s->error, sizeof(s->error), "error %u: %.*s",
		    m.code, (int)(m.reasonlen > 80 ? 80 : m.reasonlen),
		    m.reason != NULL ? m.reason : "");
		return;
	}
	s->has_mapped = 1;
	s->mapped = m.mapped;
	s->error[0] = '\0';
}

/* a coordinator's service: Binding requests answered, at a rate */
static void
got_request(const uint8_t *buf, size_t len,
    const struct sockaddr_storage *from, struct mesh_endpoint *ep)
{
	struct mesh_peer_stats	*st = net_stats();
	struct stun_addr	 src;
	uint8_t			 out[STUN_ANSWER_MAX], key[WIRE_SRC_MAX];
	const struct sockaddr_in *sin = (const struct sockaddr_in *)from;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)from;
	const char		*why;
	ssize_t			 n;
	size_t			 klen;

	if (!disc.serve || disc.rl == NULL) {
		st->mesh[MESH_CTR_STUN_REFUSED]++;
		return;
	}
	klen = wire_src(from, key);
	if (!ratelimit_allow(disc.rl, key, klen, mesh_monotonic_ns())) {
		st->mesh[MESH_CTR_STUN_REFUSED]++;
		return;
	}
	memset(&src, 0, sizeof(src));
	if (from->ss_family == AF_INET) {
		src.af = 4;
		src.port = ntohs(sin->sin_port);
		memcpy(src.addr, &sin->sin_addr, 4);
	} else if (from->ss_family == AF_INET6) {
		src.af = 6;
		src.port = ntohs(sin6->sin6_port);
		memcpy(src.addr, &sin6->sin6_addr, 16);
	} else
		return;
	if ((n = stun_answer(buf, len, &src, out, sizeof(out), &why)) == -1) {
		st->mesh[MESH_CTR_STUN_BAD]++;
		log_debug("stun: a request dropped: %s", why);
		return;
	}
	if (net_send_ep(out, n, ep) == 0)
		st->mesh[MESH_CTR_STUN_ANSWERED]++;
}

int
disc_udp_in(const uint8_t *buf, size_t len,
    const struct sockaddr_storage *from, struct mesh_endpoint *ep)
{
	if (pm_udp_in(buf, len, from))
		return 1;
	if (!stun_is_stun(buf, len))
		return 0;
	/* stun_is_stun() saw a whole header */
	if (get_be16(buf) == STUN_BINDING_REQUEST)
		got_request(buf, len, from, ep);
	else {
		got_response(buf, len);
		disc_step();
	}
	return 1;
}

/* --- what it tells ---------------------------------------------------- */

static int
mapped_same(const struct disc_server *a, const struct disc_server *b)
{
	return a->mapped.af == b->mapped.af &&
	    a->mapped.port == b->mapped.port &&
	    memcmp(a->mapped.addr, b->mapped.addr, 16) == 0;
}

static int
srv_addr_same(const struct disc_server *a, const struct disc_server *b)
{
	const struct sockaddr_in	*x = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in	*y = (const struct sockaddr_in *)&b->ss;
	const struct sockaddr_in6	*x6 =
	    (const struct sockaddr_in6 *)&a->ss;
	const struct sockaddr_in6	*y6 =
	    (const struct sockaddr_in6 *)&b->ss;

	if (a->ss.ss_family != b->ss.ss_family)
		return 0;
	if (a->ss.ss_family == AF_INET)
		return x->sin_addr.s_addr == y->sin_addr.s_addr;
	return memcmp(&x6->sin6_addr, &y6->sin6_addr, 16) == 0;
}

/* 1 if a is one of the node's own addresses (no NAT in the way) */
static int
addr_own(const struct stun_addr *a)
{
	size_t	i;

	for (i = 0; i < disc.addrs.naddrs; i++)
		if (disc.addrs.addrs[i].af == a->af &&
		    memcmp(disc.addrs.addrs[i].addr, a->addr,
		    a->af == 4 ? 4 : 16) == 0)
			return 1;
	return 0;
}

static int
port_cmp(const void *a, const void *b)
{
	uint16_t	x = *(const uint16_t *)a, y = *(const uint16_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * RFC 4787 mapping behaviour from the IPv4 answers (the lab's, and where
 * NATs are): the same reflexive address and port from servers at two
 * addresses is endpoint-independent mapping.
 */
static void
mapping_judge(struct ctl_netcheck *nc)
{
	struct disc_server	*a[NETCHECK_SERVERS], *x, *y;
	uint16_t		 ports[NETCHECK_SERVERS];
	size_t			 n = 0, i, j;
	int			 diffaddr = -1, sameaddr = -1, step, seq = 1;
	int			 preserved = 1;

	for (i = 0; i < disc.nsrv; i++)
		if (disc.srv[i].has_mapped && disc.srv[i].mapped.af == 4)
			a[n++] = &disc.srv[i];
	if (n == 0) {
		(void)strlcpy(nc->mapping, "unknown", sizeof(nc->mapping));
		(void)strlcpy(nc->mapping_why, "no server answered over "
		    "IPv4", sizeof(nc->mapping_why));
		return;
	}
	for (i = 0; i < n; i++)
		if (a[i]->mapped.port != disc.port)
			preserved = 0;
	if (addr_own(&a[0]->mapped) && preserved) {
		(void)strlcpy(nc->mapping, "none", sizeof(nc->mapping));
		(void)strlcpy(nc->mapping_why, "no NAT: servers see our own "
		    "address and port", sizeof(nc->mapping_why));
		(void)strlcpy(nc->ports, "preserved", sizeof(nc->ports));
		return;
	}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++) {
			x = a[i];
			y = a[j];
			if (!srv_addr_same(x, y)) {
				if (diffaddr != 0)
					diffaddr = mapped_same(x, y);
			} else if (sameaddr != 0)
				sameaddr = mapped_same(x, y);
		}
	if (diffaddr == -1) {
		(void)strlcpy(nc->mapping, "unknown", sizeof(nc->mapping));
		(void)strlcpy(nc->mapping_why, "answers from servers at only "
		    "one address: give stun servers at two",
		    sizeof(nc->mapping_why));
	} else if (diffaddr == 1) {
		(void)strlcpy(nc->mapping, "endpoint-independent",
		    sizeof(nc->mapping));
		(void)strlcpy(nc->ports, preserved ? "preserved" :
		    "translated", sizeof(nc->ports));
		return;
	} else if (sameaddr == 1)
		(void)strlcpy(nc->mapping, "address-dependent",
		    sizeof(nc->mapping));
	else if (sameaddr == 0)
		(void)strlcpy(nc->mapping, "address-and-port-dependent",
		    sizeof(nc->mapping));
	else {
		(void)strlcpy(nc->mapping, "endpoint-dependent",
		    sizeof(nc->mapping));
		(void)strlcpy(nc->mapping_why, "no two servers on one "
		    "address to tell address from address-and-port",
		    sizeof(nc->mapping_why));
	}
	if (n < 2)
		return;
	/*
	 * The ports, sorted: a NAT that gives each new mapping the next
	 * port leaves them a few apart (other flows take some between),
	 * one that draws them at random spreads them over thousands.  The
	 * order the mappings were made in is not known (a coordinator's
	 * came with its handshake), so the spread is what is judged.
	 */
	for (i = 0; i < n; i++)
		ports[i] = a[i]->mapped.port;
	qsort(ports, n, sizeof(ports[0]), port_cmp);
	for (i = 1; i < n; i++) {
		step = (int)ports[i] - (int)ports[i - 1];
		if (step < 1 || step > DISC_SEQ_STEP)
			seq = 0;
	}
	if (preserved)
		(void)strlcpy(nc->ports, "preserved", sizeof(nc->ports));
	else
		(void)strlcpy(nc->ports, seq ? "sequential" : "random",
		    sizeof(nc->ports));
}

/*
 * 1 if two servers saw different reflexive addresses: the NAT maps per
 * destination, and what a STUN server saw is of no use to a peer (it
 * would get another mapping; the coordinator's observed candidate names
 * the NAT's address all the same).  Such ports also change every round
 * as the NAT forgets them, and each change would be a REGISTER again.
 */
static int
mapping_dependent(void)
{
	const struct disc_server	*f = NULL, *s;
	size_t				 i;

	for (i = 0; i < disc.nsrv; i++) {
		s = &disc.srv[i];
		if (!s->has_mapped)
			continue;
		if (f == NULL)
			f = s;
		else if (s->mapped.af == f->mapped.af && !mapped_same(f, s))
			return 1;
	}
	return 0;
}

int
disc_symmetric(void)
{
	size_t	i, answered = 0;

	if (mapping_dependent())
		return 1;
	for (i = 0; i < disc.nsrv; i++)
		if (disc.srv[i].has_mapped)
			answered++;
	/* one answer tells nothing of how the mapping depends on it */
	return answered >= 2 ? 0 : -1;
}

static int
cand_add(struct coord_cand *c, size_t *n, size_t max, uint8_t kind,
    uint8_t af, const uint8_t *addr, uint16_t port)
{
	size_t	i, alen = af == 4 ? 4 : 16;

	if (port == 0 || (af != 4 && af != 6))
		return 0;
	for (i = 0; i < *n; i++)
		if (c[i].af == af && c[i].port == port &&
		    memcmp(c[i].addr, addr, alen) == 0)
			return 0;
	if (*n >= max)
		return 0;
	memset(&c[*n], 0, sizeof(c[*n]));
	c[*n].af = af;
	c[*n].kind = kind;
	c[*n].port = port;
	memcpy(c[*n].addr, addr, alen);
	(*n)++;
	return 1;
}

size_t
disc_candidates(struct coord_cand *c, size_t max, const struct net_peer *np)
{
	struct coord_cand	 m;
	size_t			 n = 0, i;

	/* serve relay: its TCP addresses first, or they would not fit */
	n = relay_candidates(c, max > 2 ? 2 : max, &disc.addrs);
	/* where we can be reached over a relay (relay.c) */
	if (n < max && relay_home_cand(&c[n]))
		n++;
	/* the address the coordinator talks to, while no list has come */
	if (np != NULL && disc.addrs.naddrs == 0 &&
	    (np->ep.local_af == AF_INET || np->ep.local_af == AF_INET6))
		cand_add(c, &n, max, COORD_CAND_LOCAL,
		    np->ep.local_af == AF_INET ? 4 : 6, np->ep.local,
		    disc.port);
	for (i = 0; i < disc.addrs.naddrs; i++)
		if (net_has_family(disc.addrs.addrs[i].af == 4 ? AF_INET :
		    AF_INET6))
			cand_add(c, &n, max, COORD_CAND_LOCAL,
			    disc.addrs.addrs[i].af,
			    disc.addrs.addrs[i].addr, disc.port);
	if (pm_candidate(&m))
		cand_add(c, &n, max, COORD_CAND_MAPPED, m.af, m.addr, m.port);
	if (mapping_dependent())
		return n;
	for (i = 0; i < disc.nsrv; i++)
		if (disc.srv[i].has_mapped)
			cand_add(c, &n, max, COORD_CAND_REFLEXIVE,
			    disc.srv[i].mapped.af, disc.srv[i].mapped.addr,
			    disc.srv[i].mapped.port);
	return n;
}

/* a new set of candidates goes to the coordinators */
static void
cand_check(void)
{
	struct coord_cand	c[COORD_MAX_CAND];
	size_t			n;

	if (!disc.on)
		return;
	n = disc_candidates(c, COORD_MAX_CAND, NULL);
	if (n == disc.ncand && memcmp(c, disc.cand, n * sizeof(c[0])) == 0)
		return;
	memcpy(disc.cand, c, sizeof(c));
	disc.ncand = n;
	log_debug("discover: %zu candidates, registering again", n);
	coord_reregister();
	/* and paths that do not work are tried again from the new ones */
	punch_local_changed();
}

void
disc_portmap_changed(void)
{
	cand_check();
}

/* our home relay changed (relay.c) */
void
disc_relay_changed(void)
{
	if (disc.on)
		cand_check();
	else
		coord_reregister();
}

/* --- the timer --------------------------------------------------------- */

static void
disc_step(void)
{
	uint64_t	now = mesh_monotonic_ns();
	size_t		i, j;

	if (disc.running && !srv_timers(now)) {
		disc.running = 0;
		cand_check();
	}
	/* netcheck requests whose round ended, or that waited enough */
	for (i = 0; i < disc.npending; ) {
		if (disc.running && now < disc.pending[i].until_ns) {
			i++;
			continue;
		}
		netcheck_answer(disc.pending[i].id);
		for (j = i + 1; j < disc.npending; j++)
			disc.pending[j - 1] = disc.pending[j];
		disc.npending--;
	}
	if (!disc.running && disc.on && time(NULL) >= disc.next_round)
		round_start();
	disc_arm();
}

static void
disc_timer(int fd, short event, void *arg)
{
	disc_step();
}

static void
disc_arm(void)
{
	struct timeval	tv = { 0, 0 };
	time_t		now = time(NULL);

	if (!evtimer_initialized(&disc.ev))
		evtimer_set(&disc.ev, disc_timer, NULL);
	if (disc.running || disc.npending > 0)
		tv.tv_usec = 100 * 1000;
	else if (!disc.on)
		return;
	else
		tv.tv_sec = disc.next_round > now ? disc.next_round - now : 1;
	evtimer_add(&disc.ev, &tv);
}

/* --- from the parent --------------------------------------------------- */

void
disc_reconf(struct conf_snapshot *cs)
{
	uint8_t	 secret[32];
	size_t	 i;
	int	 again = 0;

	disc.on = cs->has_mesh;
	disc.port = cs->iface.listen_port;
	if (!disc.on) {
		disc.nsrv = 0;
		pm_reconf(0, 0, 0);
		return;
	}
	disc.serve = cs->mesh.serve;
	if (disc.serve && disc.rl == NULL) {
		if ((disc.rl = calloc(1, sizeof(*disc.rl))) == NULL)
			fatal(NULL);
		if (RAND_bytes(secret, sizeof(secret)) != 1)
			fatalx("RAND_bytes failed");
		ratelimit_init(disc.rl, secret);
		explicit_bzero(secret, sizeof(secret));
	}
	if (cs->mesh.nstun > MESH_STUN_MAX)
		fatalx("RECONF_MESH: %u stun servers", cs->mesh.nstun);
	if (cs->mesh.nstun != disc.nstun ||
	    memcmp(cs->mesh.stun, disc.stun,
	    cs->mesh.nstun * sizeof(disc.stun[0])) != 0)
		again = 1;
	memcpy(disc.stun, cs->mesh.stun, sizeof(disc.stun));
	disc.nstun = cs->mesh.nstun;
	for (i = 0; i < disc.nstun; i++) {
		disc.stun[i].name[sizeof(disc.stun[i].name) - 1] = '\0';
		if (disc.stun[i].addrlen > sizeof(disc.stun[i].addr))
			fatalx("RECONF_MESH: a stun address of %u bytes",
			    disc.stun[i].addrlen);
	}
	if (srv_rebuild())
		again = 1;
	pm_reconf(cs->mesh.portmap, disc.port, cs->mesh.portmap_lifetime);
	/* a reload that changed the servers: a round now */
	if (again || disc.round_at == 0)
		round_start();
}

/* STUN_ADDR: a stun host name resolves to another address now */
void
disc_stun_addr(struct imsg *imsg)
{
	struct mesh_stun_msg	sm;
	uint32_t		i = imsg_get_id(imsg);

	if (imsg_get_data(imsg, &sm, sizeof(sm)) == -1 ||
	    sm.addrlen > sizeof(sm.addr))
		fatalx("STUN_ADDR: bad message");
	sm.name[sizeof(sm.name) - 1] = '\0';
	/* a reload may have changed the list since: the same name only */
	if (i >= disc.nstun || strcmp(disc.stun[i].name, sm.name) != 0)
		return;
	disc.stun[i] = sm;
	if (srv_rebuild())
		round_start();
}

void
disc_addrs(struct imsg *imsg)
{
	struct mesh_net_addrs	a;
	size_t			i;

	if (imsg_get_data(imsg, &a, sizeof(a)) == -1 ||
	    a.naddrs > MESH_LOCAL_MAX)
		fatalx("NET_ADDRS: bad message");
	for (i = 0; i < a.naddrs; i++)
		if (a.addrs[i].af != 4 && a.addrs[i].af != 6)
			fatalx("NET_ADDRS: bad family");
	if (memcmp(&a, &disc.addrs, sizeof(a)) == 0)
		return;
	disc.addrs = a;
	pm_addrs(&disc.addrs);
	log_debug("discover: %u local addresses", a.naddrs);
	/* another network: the reflexive addresses are old news */
	if (disc.on && !disc.running)
		round_start();
	cand_check();
}

void
disc_gateway(struct imsg *imsg)
{
	struct mesh_gateway_msg	g;

	if (imsg_get_data(imsg, &g, sizeof(g)) == -1 ||
	    (g.af != 0 && g.af != 4))
		fatalx("NET_GATEWAY: bad message");
	pm_gateway(g.af == 4 ? g.addr : NULL);
}

/* --- netcheck ---------------------------------------------------------- */

static void
netcheck_fill(struct ctl_netcheck *nc)
{
	struct ctl_netcheck_server	*o;
	struct disc_server		*s;
	struct net_peer			*np;
	char				 buf[MESH_ENDPOINT_MAX];
	static const char		*kinds[] = { "local", "reflexive",
					    "mapped", "observed", "relay-tcp",
					    "home-relay" };
	struct sockaddr_storage		 ss;
	struct sockaddr_in		*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6		*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t			 sl;
	time_t				 now = time(NULL);
	size_t				 i;

	memset(nc, 0, sizeof(*nc));
	nc->local_port = disc.port;
	for (i = 0; i < disc.nsrv && i < NETCHECK_SERVERS; i++) {
		s = &disc.srv[i];
		o = &nc->servers[nc->nservers++];
		(void)strlcpy(o->name, s->name, sizeof(o->name));
		o->coordinator = s->coordinator;
		o->rtt_us = -1;
		if (s->sslen > 0) {
			mesh_sockaddr_ntop(&s->ss, s->sslen, o->addr,
			    sizeof(o->addr));
			o->af = s->ss.ss_family == AF_INET ? 4 : 6;
		}
		if (s->has_mapped) {
			stun_to_sa(&s->mapped, o->reflexive,
			    sizeof(o->reflexive));
			o->rtt_us = s->rtt_us;
			o->age = now - s->answered;
		} else if (s->error[0] != '\0')
			(void)strlcpy(o->error, s->error, sizeof(o->error));
		else if (s->active)
			(void)strlcpy(o->error, "asking", sizeof(o->error));
	}
	mapping_judge(nc);
	pm_netcheck(nc);
	for (np = net_peer_first(); np != NULL && nc->ncoords <
	    NETCHECK_COORDS; np = net_peer_next(np)) {
		if (!np->coordinator)
			continue;
		(void)strlcpy(nc->coords[nc->ncoords].name, np->name,
		    sizeof(nc->coords[0].name));
		nc->coords[nc->ncoords++].rtt_us = coord_rtt_us(np);
	}
	for (i = 0; i < disc.ncand && i < 8; i++) {
		memset(&ss, 0, sizeof(ss));
		if (disc.cand[i].af == 4) {
			sin->sin_family = AF_INET;
			sin->sin_port = htons(disc.cand[i].port);
			memcpy(&sin->sin_addr, disc.cand[i].addr, 4);
			sl = sizeof(*sin);
		} else {
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons(disc.cand[i].port);
			memcpy(&sin6->sin6_addr, disc.cand[i].addr, 16);
			sl = sizeof(*sin6);
		}
		mesh_sockaddr_ntop(&ss, sl, buf, sizeof(buf));
		(void)snprintf(nc->cand[nc->ncand++], sizeof(nc->cand[0]),
		    "%s %s", disc.cand[i].kind < COORD_CAND_KINDS ?
		    kinds[disc.cand[i].kind] : "?", buf);
	}
}

static void
netcheck_answer(uint32_t id)
{
	struct ctl_netcheck	*nc;

	if ((nc = malloc(sizeof(*nc))) == NULL)
		fatal(NULL);
	netcheck_fill(nc);
	child_compose(PROC_PARENT, IMSG_NETCHECK, id, -1, nc, sizeof(*nc));
	free(nc);
}

/*
 * From what we know; data older than DISC_FRESH_SECS is refreshed first
 * (the answer waits for the round, at most DISC_NETCHECK_WAIT_MS).
 */
void
disc_netcheck_req(struct imsg *imsg)
{
	uint32_t	id = imsg_get_id(imsg);

	if (imsg_get_len(imsg) != 0)
		fatalx("NETCHECK_REQ: bad length");
	if (!disc.on || disc.npending >= DISC_PENDING) {
		netcheck_answer(id);
		return;
	}
	if (!disc.running && time(NULL) - disc.round_at >= DISC_FRESH_SECS)
		round_start();
	if (!disc.running) {
		netcheck_answer(id);
		return;
	}
	disc.pending[disc.npending].id = id;
	disc.pending[disc.npending].until_ns = mesh_monotonic_ns() +
	    DISC_NETCHECK_WAIT_MS * 1000000ULL;
	disc.npending++;
	disc_arm();
}

void
disc_shutdown(void)
{
	pm_shutdown();
}
