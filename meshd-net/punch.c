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
 * Direct paths between members behind NATs: coordinated simultaneous
 * open.  A NAT lets a packet in only on a flow its inside host opened,
 * so both sides must send to each other at about the same moment; the
 * coordinator, which both talk to already, says when.
 *
 * A member whose path to another is not confirmed (no packet of it was
 *	authenticated since our last initiation to it) sends each
 *	initiation crypto makes for it to every candidate of that member,
 *	and, unanswered after 200 ms, a CONNECT to its coordinators (at
 *	most one per peer per backoff: 5 s doubling to 60 s while attempts
 *	fail).
 * A coordinator answers a CONNECT with a CALL_ME to both members at
 *	once, each with the other's candidates.  Neither is acknowledged,
 *	and the asker cannot tell whether the other side's came: still
 *	unanswered 1 s after the CALL_ME, it asks again, and a second
 *	later if no CALL_ME came of that (twice at most);
 *	the new CALL_MEs restart the sends on both sides, not the
 *	attempt's 10 s.  Else one lost CALL_ME cost the whole attempt and
 *	a backoff (punch.t's 10% loss).
 * On CALL_ME both ask crypto for a handshake and send their latest
 *	initiation to every candidate at 0, 100, 250, 500 ms, 1, 2, 4 s;
 *	the copies a responder already took it rejects by their timestamp.
 *	Both initiate: crypto lets the lower static key's initiation win
 *	when they cross (noise_peer_set_crossed), or each would answer the
 *	other's and neither could send.  The attempt ends after 10 s.
 *	The first packet crypto
 *	authenticates settles the path (crypto's ENDPOINT: roaming); an
 *	unauthenticated one never does.
 * A path through a NAT (punched, mapped) is held open by a persistent
 *	keepalive crypto sends: 25 s at first, as conntrack forgets a UDP
 *	flow 30 s after its last packet until it is established (then
 *	120 s), then what keepalive.c measures the path's NATs allow.  A
 *	direct path needs none.
 *
 * Nobody outside can make us spray: candidates come only from records
 * (certificates crypto verified, sent by a coordinator over its Noise
 * session) and from CALL_MEs of our config's coordinators naming a
 * member we know; at most PUNCH_TARGETS a peer, and PUNCH_RATE probes a
 * second over all peers.
 *
 * Birthday punching: a symmetric NAT (endpoint-dependent mapping) gives
 * each new flow a port of its own, so the candidates the coordinator saw
 * are worthless to the other side, and a simultaneous open fails when
 * that side's filter wants the exact address and port it sent to
 * (port-restricted, or symmetric too).  Then:
 *	the hard side (ours maps endpoint-dependently) opens
 *	MESH_BDAY_SOCKS sockets (the parent binds them: meshd-parent/
 *	sockets.c says why) and sends its initiation from each to the
 *	other side's reflexive candidate, every BDAY_ROUND_MS: its NAT
 *	opens a flow from 256 random ports to that one address and port,
 *	which the easy side's endpoint-independent mapping serves whatever
 *	the destination;
 *	the easy side sprays its initiation at random ports (1024-65535) of
 *	the hard side's NAT address, BDAY_RATE a second up to BDAY_BUDGET:
 *	each probe finds one of the 256 flows with p = 256/64512, so 4000
 *	miss all with (1 - 1/252)^4000 ~ 1e-7;
 *	the first packet crypto authenticates settles it as ever: on the
 *	hard side it came to a birthday socket, which its endpoint names
 *	(mesh_endpoint's sock), so the peer's traffic keeps leaving from it;
 *	the other sockets close.  An attempt lasts BDAY_NS at most, and its
 *	sockets close at its end.
 * Which side is which: disc_symmetric() says ours (discover.c measures
 * it from the STUN answers): 1 hard, 0 easy.  Not known (-1), a side
 * plays both parts, which costs 256 sockets and a spray that its own
 * filter may make useless, but needs no word on the wire and no agreement: the
 * coordinator need not know either side's NAT, and a member whose
 * discovery is wrong still gets its path.  Hint or not, no side starts
 * with a birthday: only the attempt after a failed one is, on both
 * sides at once, as both saw the same CALL_ME fail (a simultaneous open
 * is cheaper and wins 13 of 16 pairings).  A hard side that started on
 * the first call would open its ports while the other, which cannot
 * know, does not spray; and its parent gives no second batch within
 * 20 s.  A CALL_ME while a birthday attempt runs for that peer lets it
 * run on, for the same reason.
 * Only one birthday attempt runs at a time (the sockets are many), and
 * it sprays only the address of a candidate a CALL_ME named.  Two
 * symmetric NATs with random ports meet by chance alone: each side's
 * probes leave from fresh random ports the other must guess as well.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/tree.h>
#include <netinet/in.h>

#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child.h"
#include "coord.h"
#include "endpoint.h"
#include "log.h"
#include "net.h"

#define NS			1000000000ULL
#define MS			1000000ULL
#define PUNCH_TARGETS		COORD_MAX_CAND	/* a peer's, at most */
#define PUNCH_RATE		100	/* probes a second, every peer */
#define PUNCH_ATTEMPT_NS	(10 * NS)
#define PUNCH_CONFIRM_NS	(180 * NS)	/* a session's life */
#define PUNCH_BACKOFF_MIN	5	/* seconds between CONNECTs ... */
#define PUNCH_BACKOFF_MAX	60	/* ... doubling to this */
#define PUNCH_CONN_BURST	4	/* CONNECTs a member may send ... */
#define PUNCH_CONN_NS		(5 * NS)	/* ... in this long */
#define PUNCH_PAIR_NS		NS	/* one CALL_ME a pair a second */
#define PUNCH_PAIRS		256	/* pairs remembered for that */
#define PUNCH_REASK_MS		1000	/* the asker, unanswered this far */
#define PUNCH_REASKS		2	/* into an attempt, asks again */
#define PUNCH_ASKED_NS		(3 * NS) /* a CALL_ME this soon answers it */
/*
 * A CONNECT waits this long for the spray's answer: members on one LAN
 * or on public addresses reach each other without a coordinator's call,
 * and the coordinators hear nothing of them.
 */
#define PUNCH_CONNECT_DELAY_US	200000
/* birthday punching */
#define BDAY_NS			(20 * NS)	/* an attempt's longest */
#define BDAY_RATE		200	/* probes a second, ... */
#define BDAY_BUDGET		4000	/* ... at most this many */
#define BDAY_TICK_MS		50
#define BDAY_ROUND_MS		2000	/* the hard side sends again */
#define BDAY_PORT_MIN		1024	/* ports a NAT gives */
#define BDAY_OPEN		0x1	/* roles: many sockets */
#define BDAY_SPRAY		0x2	/* random ports */

/* when the attempt's sends go, from its start; the last ends it */
static const uint64_t schedule_ms[] = {
	0, 100, 250, 500, 1000, 2000, 4000, 10000
};
#define SCHEDULE_STEPS	(sizeof(schedule_ms) / sizeof(schedule_ms[0]))

struct punch {
	struct net_peer		*np;
	uint8_t			 key[32];	/* its certificate's */
	/* candidates: from its record, and the last CALL_ME's */
	size_t			 ncand;
	struct coord_cand	 cand[COORD_MAX_CAND];
	size_t			 ncall;
	struct coord_cand	 call[COORD_MAX_CAND];
	/* its latest initiation (public bytes, sent in the clear) */
	uint8_t			 init[148];
	size_t			 initlen;
	uint64_t		 init_ns;	/* when crypto sent it */
	uint64_t		 auth_ns;	/* authenticated last, 0 never */
	uint64_t		 connect_ns;	/* last CONNECT sent */
	uint32_t		 reasks;	/* CONNECTs again since */
	uint64_t		 next_connect_ns;
	uint32_t		 backoff;	/* seconds */
	int			 connect_due;	/* CONNECT after the delay */
	/* the attempt a CALL_ME started */
	int			 attempting;
	uint64_t		 attempt;
	uint64_t		 att_ns;	/* began; it ends 10 s on */
	uint64_t		 sched_ns;	/* the sends' schedule began */
	size_t			 step;
	uint32_t		 probes;
	uint32_t		 fails;		/* attempts failed in a row */
	uint64_t		 fail_ns;
	uint32_t		 fail_probes;
	uint64_t		 settled_ns;
	uint32_t		 settled_probes;
	uint8_t			 path;		/* MESH_PATH_* */
	/* birthday: this attempt's roles (0: none), and the story */
	uint8_t			 bday;
	uint8_t			 bday_last;	/* the last attempt was one */
	uint8_t			 bday_settled;	/* the path came of one */
	struct coord_cand	 bday_at;	/* the peer's NAT */
	uint32_t		 bday_probes;	/* this attempt's spray */
	uint32_t		 bday_tries;
	uint32_t		 bday_wins;
	uint64_t		 bday_probes_all;
	struct event		 ev;
	/* a coordinator's: the CONNECTs of this member */
	uint64_t		 conn_since;
	uint32_t		 conn_count;
};

static struct {
	double		 tokens;
	uint64_t	 refill_ns;
	uint64_t	 over;		/* probes the rate held back */
	struct {
		uint32_t a, b;
		uint64_t ns;
	}		 pairs[PUNCH_PAIRS];
	size_t		 pair_next;
	/* the birthday attempt running: its peer and sockets */
	struct punch	*bday;
	uint16_t	 bsock[MESH_BDAY_SOCKS];
	size_t		 nbsock;
	uint64_t	 bday_round_ns;
	struct event	 bev;
} pu;

static void	punch_timer(int, short, void *);
static void	bday_tick(int, short, void *);
static void	bday_end(struct punch *, uint16_t);

void
punch_init(void)
{
	pu.tokens = PUNCH_RATE;
	pu.refill_ns = mesh_monotonic_ns();
	evtimer_set(&pu.bev, bday_tick, NULL);
}

static struct punch *
punch_get(struct net_peer *np)
{
	struct punch	*p;

	if (np->punch != NULL)
		return np->punch;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal(NULL);
	p->np = np;
	p->path = MESH_PATH_NONE;
	evtimer_set(&p->ev, punch_timer, p);
	np->punch = p;
	return p;
}

void
punch_peer_free(struct net_peer *np)
{
	if (np->punch == NULL)
		return;
	if (pu.bday == np->punch)
		bday_end(np->punch, 0);
	evtimer_del(&np->punch->ev);
	free(np->punch);
	np->punch = NULL;
}

/* a probe may go now: the rate over every peer */
static int
token_take(uint64_t now)
{
	pu.tokens += (double)(now - pu.refill_ns) * PUNCH_RATE / NS;
	pu.refill_ns = now;
	if (pu.tokens > PUNCH_RATE)
		pu.tokens = PUNCH_RATE;
	if (pu.tokens < 1) {
		pu.over++;
		return 0;
	}
	pu.tokens -= 1;
	return 1;
}

/* c as an endpoint we can send to; 0 if no socket has its family */
static int
cand_ep(const struct coord_cand *c, struct mesh_endpoint *ep)
{
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;

	if (c->af == 4 && net_has_family(AF_INET)) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(c->port);
		memcpy(&sin.sin_addr, c->addr, 4);
		ep_set_remote(ep, &sin, sizeof(sin));
		return 1;
	}
	if (c->af == 6 && net_has_family(AF_INET6)) {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(c->port);
		memcpy(&sin6.sin6_addr, c->addr, 16);
		ep_set_remote(ep, &sin6, sizeof(sin6));
		return 1;
	}
	return 0;
}

/* the endpoint's remote address as a candidate (no kind); 0 if none */
static int
ep_cand(const struct mesh_endpoint *ep, struct coord_cand *c)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	memset(c, 0, sizeof(*c));
	if (ep_family(ep) == AF_INET) {
		sin = (const struct sockaddr_in *)ep_sockaddr(ep);
		c->af = 4;
		c->port = ntohs(sin->sin_port);
		memcpy(c->addr, &sin->sin_addr, 4);
		return 1;
	}
	if (ep_family(ep) == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)ep_sockaddr(ep);
		c->af = 6;
		c->port = ntohs(sin6->sin6_port);
		memcpy(c->addr, &sin6->sin6_addr, 16);
		return 1;
	}
	return 0;
}

static int
cand_same(const struct coord_cand *a, const struct coord_cand *b)
{
	return a->af == b->af && a->port == b->port &&
	    memcmp(a->addr, b->addr, a->af == 4 ? 4 : 16) == 0;
}

/*
 * Where to send: the endpoint in use, then the record's candidates and
 * the CALL_ME's, each once, at most PUNCH_TARGETS.
 */
static size_t
targets(const struct punch *p, struct coord_cand *t)
{
	const struct coord_cand	*src[2] = { p->cand, p->call };
	size_t			 nsrc[2] = { p->ncand, p->ncall };
	size_t			 n = 0, s, i, k;

	if (ep_cand(&p->np->ep, &t[0]))
		n = 1;
	for (s = 0; s < 2; s++) {
		for (i = 0; i < nsrc[s] && n < PUNCH_TARGETS; i++) {
			for (k = 0; k < n; k++)
				if (cand_same(&t[k], &src[s][i]))
					break;
			if (k == n)
				t[n++] = src[s][i];
		}
	}
	return n;
}

/* the latest initiation to every target */
static void
spray(struct punch *p, uint64_t now)
{
	struct coord_cand	t[PUNCH_TARGETS];
	struct mesh_endpoint	ep;
	size_t			i, n;

	if (p->initlen == 0)
		return;
	n = targets(p, t);
	for (i = 0; i < n; i++) {
		if (!cand_ep(&t[i], &ep))
			continue;
		net_ep_mode(p->np, &ep);
		if (!token_take(now))
			break;
		p->probes++;
		if (net_send_ep(p->init, p->initlen, &ep) == 0)
			net_sent(p->np, p->initlen);
	}
}

/* --- birthday punching --------------------------------------------- */

/*
 * The peer's NAT: the first reflexive or observed candidate of the
 * CALL_ME (a coordinator's word, over its session) of a family we have
 * a socket of.  Nothing else is ever sprayed.
 */
static int
bday_target(const struct punch *p, struct coord_cand *at)
{
	struct mesh_endpoint	ep;
	size_t			i;

	for (i = 0; i < p->ncall; i++) {
		if (p->call[i].kind != COORD_CAND_REFLEXIVE &&
		    p->call[i].kind != COORD_CAND_OBSERVED)
			continue;
		if (cand_ep(&p->call[i], &ep)) {
			*at = p->call[i];
			return 1;
		}
	}
	return 0;
}

/* the hard side: the latest initiation from every birthday socket */
static void
bday_round(struct punch *p, uint64_t now)
{
	struct mesh_endpoint	ep;
	size_t			i;

	pu.bday_round_ns = now;
	if (p->initlen == 0 || !cand_ep(&p->bday_at, &ep))
		return;
	for (i = 0; i < pu.nbsock; i++)
		if (net_bday_send(pu.bsock[i], p->init, p->initlen, &ep) == 0)
			net_sent(p->np, p->initlen);
}

/* the easy side: probes at random ports of the peer's NAT address */
static void
bday_spray(struct punch *p, size_t n)
{
	struct coord_cand	c = p->bday_at;
	struct mesh_endpoint	ep;

	if (p->initlen == 0)
		return;
	for (; n > 0 && p->bday_probes < BDAY_BUDGET; n--) {
		c.port = BDAY_PORT_MIN +
		    arc4random_uniform(65536 - BDAY_PORT_MIN);
		if (!cand_ep(&c, &ep))
			return;
		net_ep_mode(p->np, &ep);
		p->bday_probes++;
		p->bday_probes_all++;
		p->probes++;
		if (net_send_ep(p->init, p->initlen, &ep) == 0)
			net_sent(p->np, p->initlen);
	}
}

static void
bday_tick(int fd, short event, void *arg)
{
	struct punch	*p = pu.bday;
	uint64_t	 now = mesh_monotonic_ns(), due;
	struct timeval	 tv = { 0, BDAY_TICK_MS * 1000 };

	if (p == NULL || !p->attempting)
		return;
	/* the rate over the attempt so far: a late tick catches up */
	due = (now - p->att_ns) / MS * BDAY_RATE / 1000 + 1;
	if (due > BDAY_BUDGET)
		due = BDAY_BUDGET;
	if ((p->bday & BDAY_SPRAY) && due > p->bday_probes)
		bday_spray(p, due - p->bday_probes);
	if ((p->bday & BDAY_OPEN) && now - pu.bday_round_ns >=
	    BDAY_ROUND_MS * MS)
		bday_round(p, now);
	evtimer_add(&pu.bev, &tv);
}

static const char *
bday_roles(uint8_t roles)
{
	switch (roles) {
	case BDAY_OPEN:
		return "our NAT is symmetric: many ports open";
	case BDAY_SPRAY:
		return "spraying random ports of its NAT";
	default:
		return "our NAT not known: many ports open and spraying";
	}
}

/* a CALL_ME after a failed one (or our NAT is symmetric): a birthday */
static void
bday_start(struct punch *p, uint64_t now)
{
	struct timeval	tv = { 0, 0 };
	int		hint = disc_symmetric();
	char		buf[MESH_ENDPOINT_MAX];
	struct mesh_endpoint ep;

	p->bday = hint == 1 ? BDAY_OPEN : hint == 0 ? BDAY_SPRAY :
	    BDAY_OPEN | BDAY_SPRAY;
	p->bday_probes = 0;
	p->bday_tries++;
	pu.bday = p;
	pu.nbsock = 0;
	pu.bday_round_ns = now;
	/* a socket an earlier one left it: that path is dead */
	net_bday_close(p->np->id, 0, 0);
	if (p->bday & BDAY_OPEN)
		net_bday_request(p->np->id, p->bday_at.af == 4 ? AF_INET :
		    AF_INET6, MESH_BDAY_SOCKS);
	(void)cand_ep(&p->bday_at, &ep);
	log_info("peer %s: birthday attempt %016llx at %s (%s)", p->np->name,
	    (unsigned long long)p->attempt, ep_ntop(&ep, buf, sizeof(buf)),
	    bday_roles(p->bday));
	evtimer_add(&pu.bev, &tv);
}

/* the attempt is over: its sockets close, but keep (the winner's) */
static void
bday_end(struct punch *p, uint16_t keep)
{
	if (pu.bday != p)
		return;
	net_bday_close(p->np->id, keep, 1);
	evtimer_del(&pu.bev);
	pu.bday = NULL;
	pu.nbsock = 0;
	p->bday = 0;
}

int
punch_bday_wants(uint32_t id)
{
	return pu.bday != NULL && pu.bday->np->id == id &&
	    (pu.bday->bday & BDAY_OPEN) && pu.nbsock < MESH_BDAY_SOCKS;
}

void
punch_bday_socket(uint32_t id, uint16_t sock)
{
	struct punch		*p = pu.bday;
	struct mesh_endpoint	 ep;

	if (!punch_bday_wants(id))
		return;
	pu.bsock[pu.nbsock++] = sock;
	/* its flow opens now, not at the next round */
	if (p->initlen > 0 && cand_ep(&p->bday_at, &ep) &&
	    net_bday_send(sock, p->init, p->initlen, &ep) == 0)
		net_sent(p->np, p->initlen);
}

/* CONNECT to every coordinator of ours: they call both sides */
static void
connect_msgs(const uint8_t key[32])
{
	struct net_peer		*np;
	struct coord_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = COORD_CONNECT;
	memcpy(m.key, key, 32);
	for (np = net_peer_first(); np != NULL; np = net_peer_next(np))
		if (np->coordinator)
			coord_send_msg(np->id, &m);
}

static void
send_connect(struct punch *p, const uint8_t key[32], uint64_t now)
{
	connect_msgs(key);
	p->connect_ns = now;
	p->reasks = 0;
	if (p->backoff == 0)
		p->backoff = PUNCH_BACKOFF_MIN;
	p->next_connect_ns = now + p->backoff * NS;
}

static const char *
path_name(uint8_t path)
{
	switch (path) {
	case MESH_PATH_DIRECT:
		return "direct";
	case MESH_PATH_PUNCHED:
		return "punched";
	case MESH_PATH_MAPPED:
		return "mapped";
	case MESH_PATH_RELAY:
		return "relay";
	default:
		return "none";
	}
}

/* --- a member's side ---------------------------------------------- */

void
punch_cands(struct net_peer *np, const uint8_t key[32],
    const struct coord_cand *c, size_t n, int call)
{
	struct punch	*p;
	size_t		 i, k;

	/*
	 * A record's candidates are kept here only for a member we talk
	 * to: at 10,000 members, most never are (punch_initiation() finds
	 * them in the directory when one is).
	 */
	if (np->id < MESH_DYN_ID_MIN || (!call && np->punch == NULL))
		return;
	if (n > COORD_MAX_CAND)
		n = COORD_MAX_CAND;
	p = punch_get(np);
	memcpy(p->key, key, sizeof(p->key));
	/* a relay's TCP addresses are no UDP candidates (relay.c) */
	for (i = k = 0; i < n; i++) {
		if (!coord_cand_udp(&c[i]))
			continue;
		if (call)
			p->call[k++] = c[i];
		else
			p->cand[k++] = c[i];
	}
	if (call)
		p->ncall = k;
	else
		p->ncand = k;
}

/* a member we start to talk to: its record's candidates, if it has any */
static struct punch *
punch_find(struct net_peer *np)
{
	const struct coord_cand	*c;
	uint8_t			 key[32];
	size_t			 n;

	if (np->id < MESH_DYN_ID_MIN ||
	    (c = coord_member_by_id(np->id, key, &n)) == NULL || n == 0)
		return NULL;
	punch_get(np);
	punch_cands(np, key, c, n, 0);
	return np->punch;
}

int
punch_initiation(struct net_peer *np, const struct hs_msg *hm)
{
	struct punch	*p = np->punch;
	uint64_t	 now = mesh_monotonic_ns(), prev;

	if (p == NULL && (p = punch_find(np)) == NULL)
		return 0;
	if (hm->len > sizeof(p->init))
		return 0;
	memcpy(p->init, hm->msg, hm->len);
	p->initlen = hm->len;
	prev = p->init_ns;
	p->init_ns = now;
	/* answered since the last one, and recently: the path works */
	if (p->auth_ns != 0 && p->auth_ns >= prev &&
	    now - p->auth_ns < PUNCH_CONFIRM_NS)
		return 0;
	if (p->path != MESH_PATH_NONE) {
		log_info("peer %s: the %s path does not answer", np->name,
		    path_name(p->path));
		p->path = MESH_PATH_NONE;
	}
	spray(p, now);
	if (pu.bday == p && (p->bday & BDAY_OPEN))
		bday_round(p, now);
	/* a CALL_ME's attempt running: it came from a CONNECT already */
	if (!p->attempting && !p->connect_due && now >= p->next_connect_ns) {
		struct timeval	tv = { 0, PUNCH_CONNECT_DELAY_US };

		p->connect_due = 1;
		evtimer_add(&p->ev, &tv);
	}
	return 1;
}

static void
attempt_end(struct punch *p, uint64_t now)
{
	p->attempting = 0;
	evtimer_del(&p->ev);
	p->bday_last = p->bday != 0;
	bday_end(p, 0);
	if (p->auth_ns >= p->att_ns)
		return;		/* settled meanwhile */
	p->fails++;
	p->fail_ns = now;
	p->fail_probes = p->probes;
	p->backoff = p->backoff == 0 ? PUNCH_BACKOFF_MIN : p->backoff * 2;
	if (p->backoff > PUNCH_BACKOFF_MAX)
		p->backoff = PUNCH_BACKOFF_MAX;
	p->next_connect_ns = now + p->backoff * NS;
	log_info("peer %s: %s attempt %016llx failed after %u probes; "
	    "next try in %u s", p->np->name, p->bday_last ? "birthday" :
	    "punch", (unsigned long long)p->attempt, p->probes, p->backoff);
}

static void
punch_timer(int fd, short event, void *arg)
{
	struct punch	*p = arg;
	uint64_t	 now = mesh_monotonic_ns(), due;
	struct timeval	 tv;

	if (!p->attempting) {
		/* the spray went unanswered: ask the coordinators */
		if (p->connect_due && p->auth_ns < p->init_ns)
			send_connect(p, p->key, now);
		p->connect_due = 0;
		return;
	}
	if (p->step >= SCHEDULE_STEPS - 1) {
		/* a birthday attempt sprays on, to its own end */
		if (p->bday && now < p->att_ns + BDAY_NS) {
			due = p->att_ns + BDAY_NS - now;
			tv.tv_sec = due / NS;
			tv.tv_usec = (due % NS) / 1000;
			evtimer_add(&p->ev, &tv);
			return;
		}
		attempt_end(p, now);
		return;
	}
	/*
	 * Unanswered a second into a simultaneous open we asked for (or
	 * two, when no CALL_ME answered the first ask again): the
	 * other side's CALL_ME may have been lost (the coordinator cannot
	 * know, and a lost one would cost the attempt and a backoff).  Ask
	 * again; the coordinator's CALL_MEs restart the sends on both
	 * sides.  Only the asker asks (its CONNECT, or its last ask, came
	 * just before the attempt or in it), at most PUNCH_REASKS times.
	 */
	if ((schedule_ms[p->step] == PUNCH_REASK_MS ||
	    schedule_ms[p->step] == 2 * PUNCH_REASK_MS) &&
	    p->connect_ns + PUNCH_ASKED_NS >= p->att_ns &&
	    p->bday == 0 && p->reasks < PUNCH_REASKS &&
	    p->auth_ns < p->att_ns) {
		p->reasks++;
		p->connect_ns = now;
		connect_msgs(p->key);
		log_info("peer %s: punch attempt %016llx unanswered after "
		    "%u probes: asking the coordinators again (%u of %u)",
		    p->np->name, (unsigned long long)p->attempt, p->probes,
		    p->reasks, PUNCH_REASKS);
	}
	spray(p, now);
	p->step++;
	/* its end stays where it was, whatever CALL_MEs came since */
	due = (p->step == SCHEDULE_STEPS - 1 ? p->att_ns : p->sched_ns) +
	    schedule_ms[p->step] * MS;
	due = due > now ? due - now : 0;
	tv.tv_sec = due / NS;
	tv.tv_usec = (due % NS) / 1000;
	evtimer_add(&p->ev, &tv);
}

void
punch_call_me(struct net_peer *coord, const struct coord_msg *m)
{
	struct net_peer		*np;
	struct punch		*p;
	struct timeval		 tv = { 0, 0 };
	uint32_t		 id;
	size_t			 n;

	if (coord_is_self(m->key) ||
	    coord_member_cands(m->key, &id, &n) == NULL ||
	    id < MESH_DYN_ID_MIN || (np = net_peer_find(id)) == NULL) {
		coord_count_bad(coord, "CALL_ME for a key that is no member "
		    "we know");
		return;
	}
	if (np->punch == NULL)
		(void)punch_find(np);
	punch_cands(np, m->key, m->cand, m->ncand, 1);
	p = punch_get(np);
	ka_void(np);
	log_debug("peer %s: CALL_ME %016llx from %s, %zu candidates",
	    np->name, (unsigned long long)m->attempt, coord->name, m->ncand);
	p->connect_due = 0;
	if (pu.bday == p) {
		/* a birthday attempt runs on, with its sockets (see above) */
		child_compose(PROC_CRYPTO, IMSG_WANT_SESSION, id, -1, NULL, 0);
		return;
	}
	/*
	 * One while a simultaneous open runs (an asker's again, or another
	 * coordinator's) sends anew from now, but the attempt ends when it
	 * would have: a failure costs no more than before.
	 */
	p->attempt = m->attempt;
	p->sched_ns = mesh_monotonic_ns();
	p->step = 0;
	if (!p->attempting) {
		p->attempting = 1;
		p->att_ns = p->sched_ns;
		p->probes = 0;
		/*
		 * A simultaneous open failed before: a birthday, if none
		 * runs and the CALL_ME names the peer's NAT
		 */
		if (p->fails > 0 && pu.bday == NULL &&
		    bday_target(p, &p->bday_at))
			bday_start(p, p->att_ns);
	}
	/* crypto initiates, and its initiation comes back here to spray */
	child_compose(PROC_CRYPTO, IMSG_WANT_SESSION, id, -1, NULL, 0);
	evtimer_add(&p->ev, &tv);
}

/* which kind of candidate ep is: its path */
static uint8_t
path_of(const struct punch *p, const struct mesh_endpoint *ep)
{
	struct coord_cand	c;
	size_t			i;

	if (relay_ep_name(ep) != NULL)
		return MESH_PATH_RELAY;
	if (!ep_cand(ep, &c))
		return MESH_PATH_NONE;
	for (i = 0; i < p->ncand + p->ncall; i++) {
		const struct coord_cand *k = i < p->ncand ? &p->cand[i] :
		    &p->call[i - p->ncand];

		if (!cand_same(k, &c))
			continue;
		if (k->kind == COORD_CAND_LOCAL)
			return MESH_PATH_DIRECT;
		if (k->kind == COORD_CAND_MAPPED)
			return MESH_PATH_MAPPED;
		return MESH_PATH_PUNCHED;
	}
	/* a source no one named: the peer's NAT made it for us */
	return MESH_PATH_PUNCHED;
}

void
punch_authenticated(struct net_peer *np)
{
	struct punch	*p = np->punch;
	uint64_t	 now = mesh_monotonic_ns();
	uint8_t		 path;
	char		 buf[MESH_ENDPOINT_MAX + 64];

	/*
	 * It came to us: its path is worth knowing (and keeping open).  Not
	 * at a coordinator, which every member comes to (a walk of the
	 * directory each, and state for all) and which has a public address.
	 */
	if (p == NULL && (coord_serving() || (p = punch_find(np)) == NULL))
		return;
	p->auth_ns = now;
	path = path_of(p, &np->ep);
	if (path != p->path || p->attempting)
		log_info("peer %s: %s path at %s%s", np->name,
		    path_name(path), ep_ntop(&np->ep, buf, sizeof(buf)),
		    p->bday ? " (birthday)" :
		    p->attempting ? " (punched by a CALL_ME)" : "");
	if (path != p->path) {
		p->settled_ns = now;
		p->settled_probes = p->probes;
		p->bday_settled = 0;
	}
	if (pu.bday == p) {
		/* the socket it came to wins (0: the listen-port's) */
		p->bday_wins++;
		p->bday_settled = 1;
		p->settled_probes = p->bday_probes;
		log_info("peer %s: birthday attempt %016llx won after %u "
		    "probes, %zu sockets open", np->name,
		    (unsigned long long)p->attempt, p->bday_probes,
		    pu.nbsock);
		bday_end(p, np->ep.sock);
	}
	p->bday_last = 0;
	p->path = path;
	if (p->attempting || p->connect_due) {
		p->attempting = 0;
		p->connect_due = 0;
		evtimer_del(&p->ev);
	}
	p->fails = 0;
	p->backoff = 0;
	p->next_connect_ns = 0;
	/*
	 * a coordinator (which has p for members' CONNECTs) has a public
	 * address: the member keeps its own NAT open
	 */
	ka_path(np, !coord_serving() && (path == MESH_PATH_PUNCHED ||
	    path == MESH_PATH_MAPPED));
}

/*
 * keepalive.c: the path failed its probe.  Our keepalive resumed, which
 * reopens our NAT's flow (the peer's probe opened its own); a handshake
 * now confirms the path, and if it goes unanswered punch_initiation()
 * sprays and asks the coordinators for a CALL_ME, as for any path that
 * stopped answering.  (A CONNECT at once would punch a path that most
 * likely works again, and its attempt could not tell: an initiator's
 * handshake over the same endpoint says nothing to net.)
 */
void
punch_again(struct net_peer *np)
{
	struct punch	*p = np->punch;

	if (p == NULL || p->attempting || pu.bday == p)
		return;
	log_info("peer %s: a handshake reopens the %s path", np->name,
	    path_name(p->path));
	child_compose(PROC_CRYPTO, IMSG_WANT_SESSION, np->id, -1, NULL, 0);
}
void
punch_local_changed(void)
{
	struct net_peer	*np;
	struct punch	*p;
	uint64_t	 now = mesh_monotonic_ns();

	for (np = net_peer_first(); np != NULL; np = net_peer_next(np)) {
		if ((p = np->punch) == NULL)
			continue;
		p->backoff = 0;
		p->next_connect_ns = 0;
		/* a path wanted (initiations went) and none works: now */
		if (p->path == MESH_PATH_NONE && p->init_ns != 0 &&
		    !p->attempting)
			send_connect(p, p->key, now);
	}
}

/* --- a coordinator's side ------------------------------------------ */

/* one CALL_ME a pair a second, whichever asked */
static int
pair_allow(uint32_t a, uint32_t b, uint64_t now)
{
	uint32_t	lo = a < b ? a : b, hi = a < b ? b : a;
	size_t		i;

	for (i = 0; i < PUNCH_PAIRS; i++) {
		if (pu.pairs[i].a != lo || pu.pairs[i].b != hi)
			continue;
		if (now - pu.pairs[i].ns < PUNCH_PAIR_NS)
			return 0;
		pu.pairs[i].ns = now;
		return 1;
	}
	pu.pairs[pu.pair_next].a = lo;
	pu.pairs[pu.pair_next].b = hi;
	pu.pairs[pu.pair_next].ns = now;
	pu.pair_next = (pu.pair_next + 1) % PUNCH_PAIRS;
	return 1;
}

static int
connect_allow(struct net_peer *np, uint64_t now)
{
	struct punch	*p = punch_get(np);

	if (now - p->conn_since >= PUNCH_CONN_NS) {
		p->conn_since = now;
		p->conn_count = 0;
	}
	return ++p->conn_count <= PUNCH_CONN_BURST;
}

static void
send_call_me(uint32_t to, const uint8_t key[32], uint64_t attempt,
    const struct coord_cand *c, size_t n)
{
	struct coord_msg	m;

	memset(&m, 0, sizeof(m));
	m.type = COORD_CALL_ME;
	memcpy(m.key, key, 32);
	m.attempt = attempt;
	m.ncand = n;
	memcpy(m.cand, c, n * sizeof(*c));
	coord_send_msg(to, &m);
}

void
punch_connect(struct net_peer *np, const struct coord_msg *m)
{
	const struct coord_cand	*ca, *cb;
	const uint8_t		*akey;
	struct net_peer		*nb;
	uint64_t		 now = mesh_monotonic_ns(), attempt;
	uint32_t		 ida, idb;
	size_t			 na, nb_cand;

	if ((akey = coord_subscriber_key(np)) == NULL ||
	    (ca = coord_member_cands(akey, &ida, &na)) == NULL) {
		coord_count_bad(np, "CONNECT from a peer that did not "
		    "register");
		return;
	}
	if (!connect_allow(np, now)) {
		coord_count_bad(np, "CONNECT too often");
		return;
	}
	if ((cb = coord_member_cands(m->key, &idb, &nb_cand)) == NULL ||
	    coord_is_self(m->key) || idb == ida) {
		coord_count_bad(np, "CONNECT for a key that is no member "
		    "here");
		return;
	}
	if ((nb = net_peer_find(idb)) == NULL ||
	    coord_subscriber_key(nb) == NULL || nb->ep.addrlen == 0) {
		coord_count_bad(np, "CONNECT for a member not connected to "
		    "us");
		return;
	}
	if (!pair_allow(ida, idb, now)) {
		coord_count_bad(np, "CONNECT for a pair too often");
		return;
	}
	arc4random_buf(&attempt, sizeof(attempt));
	/* both at once: each side's packets open its NAT for the other's */
	send_call_me(np->id, m->key, attempt, cb, nb_cand);
	send_call_me(nb->id, akey, attempt, ca, na);
	log_debug("mesh: CALL_ME %016llx: %s and %s",
	    (unsigned long long)attempt, np->name, nb->name);
}

/* --- what an operator sees ------------------------------------------ */

static unsigned long long
secs_since(uint64_t then, uint64_t now)
{
	return then == 0 || now < then ? 0 : (now - then) / NS;
}

/* birthday attempts so far, after what buf says */
static void
bday_story(const struct punch *p, char *buf, size_t len)
{
	size_t	n = strlen(buf);

	if (n < len)
		(void)snprintf(buf + n, len - n, " (birthday attempts %u, "
		    "won %u, %llu probes)", p->bday_tries, p->bday_wins,
		    (unsigned long long)p->bday_probes_all);
}

/* why the path is as it is, in words */
static void
why(const struct punch *p, uint64_t now, char *buf, size_t len)
{
	struct coord_cand	t[PUNCH_TARGETS];
	size_t			n = targets(p, t);

	buf[0] = '\0';
	switch (p->path) {
	case MESH_PATH_DIRECT:
		return;
	case MESH_PATH_RELAY:
		/* the relay's name first: meshctl shows "relay NAME" */
		(void)snprintf(buf, len, "%s; through the relay %llu s ago, "
		    "no answer on a direct path",
		    relay_ep_name(&p->np->ep) != NULL ?
		    relay_ep_name(&p->np->ep) : "?",
		    secs_since(p->settled_ns, now));
		return;
	case MESH_PATH_PUNCHED:
	case MESH_PATH_MAPPED:
		(void)snprintf(buf, len, "%s %llu s ago through NATs%s; "
		    "keepalive every %u s holds their mappings open",
		    p->path == MESH_PATH_MAPPED ? "mapped" : "punched",
		    secs_since(p->settled_ns, now), p->bday_settled ?
		    " by a birthday attempt" : "", ka_secs(p->np));
		if (p->bday_settled)
			bday_story(p, buf, len);
		return;
	}
	if (p->attempting && p->bday) {
		(void)snprintf(buf, len, "a symmetric NAT on the way; "
		    "birthday attempt running for %llu ms: %u probes at "
		    "random ports, %zu sockets open",
		    (unsigned long long)((now - p->att_ns) / MS),
		    p->bday_probes, pu.nbsock);
		bday_story(p, buf, len);
	} else if (p->fails > 0 && p->bday_last) {
		(void)snprintf(buf, len, "%s; birthday attempt %llu s ago "
		    "failed after %u probes; next try in %llu s",
		    disc_symmetric() == 1 ? "our NAT is symmetric" :
		    "a symmetric NAT on the way (a simultaneous open failed)",
		    secs_since(p->fail_ns, now), p->fail_probes,
		    p->next_connect_ns > now ?
		    (unsigned long long)((p->next_connect_ns - now) / NS) : 0);
		bday_story(p, buf, len);
	} else if (p->attempting)
		(void)snprintf(buf, len, "punch attempt running for %llu ms: "
		    "%u probes to %zu candidates so far",
		    (unsigned long long)((now - p->att_ns) / MS), p->probes, n);
	else if (p->fails > 0)
		(void)snprintf(buf, len, "no answer from %zu candidates; "
		    "punch attempt %llu s ago failed after %u probes; next "
		    "try in %llu s", n, secs_since(p->fail_ns, now),
		    p->fail_probes, p->next_connect_ns > now ?
		    (unsigned long long)((p->next_connect_ns - now) / NS) : 0);
	else if (p->connect_ns != 0)
		(void)snprintf(buf, len, "no answer from %zu candidates; "
		    "asked the coordinators %llu s ago, no CALL_ME came", n,
		    secs_since(p->connect_ns, now));
	else if (p->init_ns != 0)
		(void)snprintf(buf, len, "no answer from %zu candidates", n);
	else
		(void)snprintf(buf, len, "not tried yet: no traffic to it");
}

static void
path_msg(const struct punch *p, uint64_t now, struct mesh_peer_path *pm)
{
	struct coord_cand	t[PUNCH_TARGETS];
	size_t			i, n;

	memset(pm, 0, sizeof(*pm));
	pm->id = p->np->id;
	pm->path = p->path;
	ka_stats(p->np, pm);
	n = p->ncand + p->ncall;
	for (i = 0; i < n && pm->ncand < MESH_PATH_CANDS; i++) {
		const struct coord_cand *c = i < p->ncand ? &p->cand[i] :
		    &p->call[i - p->ncand];
		size_t k;

		for (k = 0; k < pm->ncand; k++)
			if (cand_same(&t[k], c))
				break;
		if (k < pm->ncand)
			continue;
		t[pm->ncand] = *c;
		pm->cand[pm->ncand].af = c->af;
		pm->cand[pm->ncand].kind = c->kind;
		pm->cand[pm->ncand].port = c->port;
		memcpy(pm->cand[pm->ncand].addr, c->addr, 16);
		pm->ncand++;
	}
	why(p, now, pm->why, sizeof(pm->why));
}

void
punch_stats(uint32_t reqid)
{
	struct mesh_peer_path	 pm;
	struct net_peer		*np;
	uint64_t		 now = mesh_monotonic_ns();

	for (np = net_peer_first(); np != NULL; np = net_peer_next(np)) {
		if (np->punch == NULL || np->id < MESH_DYN_ID_MIN ||
		    np->punch->ncand + np->punch->ncall == 0)
			continue;
		path_msg(np->punch, now, &pm);
		child_compose(PROC_PARENT, IMSG_PEER_PATH, reqid, -1, &pm,
		    sizeof(pm));
	}
}
