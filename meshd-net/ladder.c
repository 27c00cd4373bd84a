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
 * The ladder of paths: which transport each peer's datagrams take.  net
 * decides; crypto only reports the authenticated source of each packet
 * (roaming), and the Noise session never restarts when the path changes.
 *
 *   1. direct UDP (configured, punched, mapped): always first.
 *   2. SSH, where the config has it for the peer (an ssh(1) the parent
 *	runs; stream.c), when an initiation to the direct endpoint has had
 *	no answer for LADDER_WAIT: a handshake we want goes unanswered.
 *   3. a relay, if one is available (relay_path(), relay.c), likewise
 *	after SSH, or at once without SSH.
 *
 * Crypto sends its next initiation only 5 s (REKEY_TIMEOUT) after one
 * that went unanswered, so the latest is kept here and, when LADDER_WAIT
 * is up, sent down the new path at once (the tick does it): a member
 * behind a firewall that drops UDP is on the relay in about 2 s, as a
 * DERP client is at once.  Going down early costs little: punching and
 * the probes go on, and the first direct answer brings the peer back.
 *
 * Back up: while a peer is on a lower path, every probe-interval seconds
 * (and at once when the node's addresses change) the data we send it
 * goes, for LADDER_PROBE, to its last direct endpoint as well, first.
 * The copy that arrives first is authenticated at the far end and the
 * other is dropped as a replay, so nothing is lost whichever path wins;
 * a copy over UDP that arrives makes the far end's crypto report a
 * direct source, its net moves up and answers over UDP, and ours moves
 * up when that answer authenticates.  No handshake is needed.
 *
 * Not down again because of packets still on the way over the lower
 * path: once a direct source was reported, a lower one is followed only
 * if no direct source was reported for LADDER_HOLD since (the peer
 * really talks over the lower path now).  Crypto reports a source only
 * when it changes, so "the last report" is the path its packets take.
 */

#include <sys/types.h>

#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child.h"
#include "endpoint.h"
#include "log.h"
#include "net.h"

#define SEC		1000000000ULL
#define LADDER_WAIT	(2 * SEC)	/* initiations unanswered: down */
#define LADDER_HOLD	(5 * SEC)	/* lower reports alone: follow */
#define LADDER_PROBE	(2 * SEC)	/* a probe's copies, this long */
#define LADDER_PROBE_DEFAULT	60	/* seconds, probe-interval */
/*
 * The tick, in ms: LADDER_WAIT is kept to within it (at 1 s a member
 * behind a firewall took up to 3 s to go down, over 5 s from its start
 * with the coordinator's directory and the relay's TLS before it)
 */
#define LADDER_TICK_MS		250

struct ladder {
	struct mesh_endpoint	 direct;	/* last direct; addrlen 0 */
	struct mesh_endpoint	 lower;		/* last lower source */
	uint16_t		 ssh;		/* its SSH stream's sock */
	uint8_t			 lower_last;	/* the last report: lower */
	uint64_t		 unanswered;	/* first initiation since the
						   last authenticated packet */
	uint64_t		 direct_at;	/* last direct report */
	uint64_t		 left_at;	/* when it left direct; 0 on */
	uint64_t		 next_probe;
	uint64_t		 probe_until;
	uint32_t		 initlen;	/* the last initiation, kept */
	uint8_t			 init[148];	/* while unanswered */
};

static uint32_t		 probe_interval = LADDER_PROBE_DEFAULT;
static struct event	 tick_ev;

static void	ladder_tick(int, short, void *);

int
ladder_kind(const struct mesh_endpoint *ep)
{
	if (ep->addrlen == 0)
		return MESH_PATH_NONE;
	if (ep->sock >= MESH_EP_RELAY)
		return MESH_PATH_RELAY;
	if (ep->sock >= MESH_EP_STREAM)
		return strcmp(stream_kind(ep->sock), "ssh") == 0 ?
		    MESH_PATH_SSH : MESH_PATH_STREAM;
	return MESH_PATH_DIRECT;
}

static int
is_direct(const struct mesh_endpoint *ep)
{
	return ep->addrlen > 0 && ep->sock < MESH_EP_STREAM;
}

static const char *
kind_name(const struct mesh_endpoint *ep)
{
	switch (ladder_kind(ep)) {
	case MESH_PATH_RELAY:
		return "relay";
	case MESH_PATH_SSH:
		return "SSH";
	case MESH_PATH_STREAM:
		return "stream";
	case MESH_PATH_DIRECT:
		return "direct UDP";
	default:
		return "none";
	}
}

static struct ladder *
ladder_get(struct net_peer *np)
{
	if (np->ladder == NULL &&
	    (np->ladder = calloc(1, sizeof(*np->ladder))) == NULL)
		fatal(NULL);
	return np->ladder;
}

void
ladder_init(void)
{
	struct timeval	tv = { 0, LADDER_TICK_MS * 1000 };

	evtimer_set(&tick_ev, ladder_tick, NULL);
	evtimer_add(&tick_ev, &tv);
}

void
ladder_conf(struct imsg *imsg)
{
	struct mesh_ladder_msg	lm;

	if (imsg_get_data(imsg, &lm, sizeof(lm)) == -1 ||
	    lm.probe_interval == 0)
		fatalx("LADDER_CONF: bad message");
	probe_interval = lm.probe_interval;
}

/* np leaves its path for ep (a lower one) */
static void
go_down(struct net_peer *np, struct ladder *l, const struct mesh_endpoint *ep,
    uint64_t now, const char *why)
{
	char	buf[MESH_ENDPOINT_MAX + 64];

	if (is_direct(&np->ep))
		l->direct = np->ep;
	if (l->left_at == 0) {
		l->left_at = l->unanswered != 0 ? l->unanswered : now;
		l->next_probe = now + (uint64_t)probe_interval * SEC;
	}
	log_info("peer %s: %s, over %s now (%s)", np->name, why,
	    kind_name(ep), ep_ntop(ep, buf, sizeof(buf)));
	np->ep = *ep;
	l->unanswered = 0;
}

/* the next rung below np's path: 1 and ep, or 0 if there is none */
static int
lower_rung(struct net_peer *np, struct ladder *l, struct mesh_endpoint *ep)
{
	int	kind = ladder_kind(&np->ep);

	if (kind != MESH_PATH_SSH && kind != MESH_PATH_RELAY &&
	    l->ssh != 0 && stream_ep(l->ssh, ep))
		return 1;
	if (kind != MESH_PATH_RELAY && relay_path(np, ep))
		return 1;
	return 0;
}

int
ladder_initiation(struct net_peer *np, const struct hs_msg *hm)
{
	struct ladder		*l = ladder_get(np);
	struct mesh_endpoint	 ep;
	uint64_t		 now = mesh_monotonic_ns();
	char			 why[64];
	int			 direct = is_direct(&np->ep);

	if (np->ep.addrlen == 0) {
		/* no direct endpoint to try: the first rung there is */
		if (!lower_rung(np, l, &ep))
			return 0;
		go_down(np, l, &ep, now, "no direct endpoint");
		return 1;
	}
	if (l->unanswered == 0)
		l->unanswered = now;
	if (direct && hm->len <= sizeof(l->init)) {
		memcpy(l->init, hm->msg, hm->len);
		l->initlen = hm->len;
	}
	if (now - l->unanswered < LADDER_WAIT || !lower_rung(np, l, &ep))
		return !direct;
	l->initlen = 0;
	(void)snprintf(why, sizeof(why), "no answer over %s for %llu s",
	    kind_name(&np->ep),
	    (unsigned long long)((now - l->unanswered) / SEC));
	go_down(np, l, &ep, now, why);
	return 1;
}

void
ladder_auth(struct net_peer *np, const struct mesh_endpoint *ep)
{
	struct ladder	*l = ladder_get(np);
	uint64_t	 now = mesh_monotonic_ns();
	char		 buf[MESH_ENDPOINT_MAX + 64];

	l->unanswered = 0;
	l->initlen = 0;
	if (is_direct(ep)) {
		l->direct = *ep;
		l->direct_at = now;
		l->lower_last = 0;
		if (!is_direct(&np->ep) && np->ep.addrlen > 0)
			log_info("peer %s: back on direct UDP (%s) after %llu "
			    "s over %s", np->name, ep_ntop(ep, buf,
			    sizeof(buf)), (unsigned long long)(l->left_at ?
			    (now - l->left_at) / SEC : 0), kind_name(&np->ep));
		l->left_at = 0;
		np->ep = *ep;
		return;
	}
	l->lower = *ep;
	l->lower_last = 1;
	/* packets still on the way over the lower path: stay up */
	if (is_direct(&np->ep) && l->direct_at != 0 &&
	    now - l->direct_at < LADDER_HOLD) {
		log_debug("peer %s: authenticated over %s, staying on direct "
		    "UDP", np->name, kind_name(ep));
		return;
	}
	if (memcmp(&np->ep, ep, sizeof(*ep)) == 0)
		return;
	if (is_direct(&np->ep) || np->ep.addrlen == 0)
		go_down(np, l, ep, now, "the peer talks over a lower path");
	else {
		log_debug("peer %s: endpoint %s", np->name,
		    ep_ntop(ep, buf, sizeof(buf)));
		np->ep = *ep;
	}
}

void
ladder_probe(struct net_peer *np, const void *msg, size_t len)
{
	struct ladder	*l = np->ladder;

	if (l == NULL || l->direct.addrlen == 0 || is_direct(&np->ep) ||
	    l->probe_until == 0 || mesh_monotonic_ns() > l->probe_until)
		return;
	/* sent or not, the next probe says */
	(void)net_send_ep(msg, len, &l->direct);
}

void
ladder_ssh_up(struct net_peer *np, uint16_t sock)
{
	struct ladder		*l = ladder_get(np);
	struct mesh_endpoint	 ep;
	uint64_t		 now = mesh_monotonic_ns();

	l->ssh = sock;
	if (!stream_ep(sock, &ep))
		return;
	/* nothing better to try, or the direct path already failed */
	if (np->ep.addrlen == 0)
		go_down(np, l, &ep, now, "no direct endpoint");
	else if (is_direct(&np->ep) && l->unanswered != 0 &&
	    now - l->unanswered >= LADDER_WAIT)
		go_down(np, l, &ep, now, "no answer over direct UDP");
}

void
ladder_stream_gone(uint16_t sock)
{
	struct net_peer		*np;
	struct ladder		*l;
	struct mesh_endpoint	 ep;
	uint64_t		 now = mesh_monotonic_ns();

	for (np = net_peer_first(); np != NULL; np = net_peer_next(np)) {
		if ((l = np->ladder) == NULL)
			continue;
		if (l->ssh == sock)
			l->ssh = 0;
		if (l->lower.sock == sock)
			l->lower_last = 0;
		if (np->ep.sock != sock)
			continue;
		/* a relay if there is one, else direct again */
		if (relay_path(np, &ep))
			go_down(np, l, &ep, now, "its stream closed");
		else if (l->direct.addrlen > 0) {
			log_info("peer %s: its stream closed, direct UDP "
			    "again", np->name);
			np->ep = l->direct;
			l->left_at = 0;
			l->unanswered = 0;
		} else
			memset(&np->ep, 0, sizeof(np->ep));
	}
}

/* np's relay connection closed and no other relay is up */
void
ladder_relay_gone(struct net_peer *np)
{
	struct ladder	*l = ladder_get(np);

	if (l->direct.addrlen > 0) {
		log_info("peer %s: its relay closed, direct UDP again",
		    np->name);
		np->ep = l->direct;
		l->left_at = 0;
		l->unanswered = 0;
	} else
		memset(&np->ep, 0, sizeof(np->ep));
}

void
ladder_net_changed(void)
{
	struct net_peer	*np;
	uint64_t	 now = mesh_monotonic_ns();

	for (np = net_peer_first(); np != NULL; np = net_peer_next(np))
		if (np->ladder != NULL && !is_direct(&np->ep))
			np->ladder->next_probe = now;
}

void
ladder_peer_free(struct net_peer *np)
{
	free(np->ladder);
	np->ladder = NULL;
}

/* the kept initiation, down the next rung once LADDER_WAIT is up */
static void
ladder_early(struct net_peer *np, struct ladder *l, uint64_t now)
{
	struct mesh_endpoint	ep;
	char			why[64];

	if (l->initlen == 0 || !is_direct(&np->ep) || l->unanswered == 0 ||
	    now - l->unanswered < LADDER_WAIT)
		return;
	if (!lower_rung(np, l, &ep))
		return;
	(void)snprintf(why, sizeof(why), "no answer over direct UDP for "
	    "%llu s", (unsigned long long)((now - l->unanswered) / SEC));
	go_down(np, l, &ep, now, why);
	(void)net_send_ep(l->init, l->initlen, &np->ep);
	l->initlen = 0;
}

/*
 * Our relay connection is up: peers whose initiations already went
 * unanswered for LADDER_WAIT take it now, not at the next tick (the
 * relay's TLS and upgrade may end after LADDER_WAIT on a start)
 */
void
ladder_relay_up(void)
{
	struct net_peer	*np;
	uint64_t	 now = mesh_monotonic_ns();

	for (np = net_peer_first(); np != NULL; np = net_peer_next(np))
		if (np->ladder != NULL)
			ladder_early(np, np->ladder, now);
}

static void
ladder_tick(int fd, short event, void *arg)
{
	struct timeval	 tv = { 0, LADDER_TICK_MS * 1000 };
	struct net_peer	*np;
	struct ladder	*l;
	uint64_t	 now = mesh_monotonic_ns();

	for (np = net_peer_first(); np != NULL; np = net_peer_next(np)) {
		if ((l = np->ladder) == NULL)
			continue;
		ladder_early(np, l, now);
		/* the peer went down and stayed: follow it */
		if (is_direct(&np->ep) && l->lower_last &&
		    now - l->direct_at >= LADDER_HOLD &&
		    (l->lower.sock < MESH_EP_STREAM ||
		    l->lower.sock >= MESH_EP_RELAY ||
		    stream_is_open(l->lower.sock)))
			go_down(np, l, &l->lower, now, "the peer talks over "
			    "a lower path only");
		if (!is_direct(&np->ep) && np->ep.addrlen > 0 &&
		    l->direct.addrlen > 0 && now >= l->next_probe) {
			l->probe_until = now + LADDER_PROBE;
			l->next_probe = now + (uint64_t)probe_interval * SEC;
			log_debug("peer %s: probing direct UDP", np->name);
		}
	}
	evtimer_add(&tick_ev, &tv);
}

/* why np is not on a direct path, in words */
static void
ladder_why(struct net_peer *np, struct ladder *l, uint64_t now, char *buf,
    size_t len)
{
	char		 probe[96];
	const char	*relay;
	uint64_t	 next;
	int		 n;

	/* a relay's name first: meshctl shows "relay NAME" (relay.c) */
	if ((relay = relay_ep_name(&np->ep)) != NULL &&
	    (n = snprintf(buf, len, "%s; ", relay)) > 0 && (size_t)n < len) {
		buf += n;
		len -= n;
	}
	if (l->direct.addrlen == 0) {
		(void)snprintf(buf, len, "no direct endpoint known: the peer "
		    "probes UDP");
		return;
	}
	next = l->next_probe > now ? (l->next_probe - now + SEC - 1) / SEC :
	    0;
	(void)snprintf(probe, sizeof(probe), "UDP probe every %u s, next in "
	    "%llu s", probe_interval, (unsigned long long)next);
	if (l->left_at != 0)
		(void)snprintf(buf, len, "no answer on UDP for %llu s; %s",
		    (unsigned long long)((now - l->left_at) / SEC), probe);
	else
		(void)snprintf(buf, len, "the peer talks over %s; %s",
		    kind_name(&np->ep), probe);
}

void
ladder_stats(uint32_t reqid)
{
	struct mesh_peer_path	 pm;
	struct net_peer		*np;
	struct ladder		*l;
	uint64_t		 now = mesh_monotonic_ns();

	for (np = net_peer_first(); np != NULL; np = net_peer_next(np)) {
		if ((l = np->ladder) == NULL || np->ep.addrlen == 0)
			continue;
		/* direct: punch.c says it for members; config peers with
		   SSH are said to be direct */
		if (is_direct(&np->ep) && (l->ssh == 0 ||
		    np->id >= MESH_DYN_ID_MIN))
			continue;
		memset(&pm, 0, sizeof(pm));
		pm.id = np->id;
		pm.path = ladder_kind(&np->ep);
		if (!is_direct(&np->ep))
			ladder_why(np, l, now, pm.why, sizeof(pm.why));
		child_compose(PROC_PARENT, IMSG_PEER_PATH, reqid, -1, &pm,
		    sizeof(pm));
	}
}
