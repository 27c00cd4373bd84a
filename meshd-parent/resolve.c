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
 * Endpoint host names, looked up again every resolve-interval seconds.
 * When a peer's name resolves to another address, meshd-net gets it as
 * that peer's configured endpoint (IMSG_PEER_ENDPOINT).  A name that does
 * not resolve keeps what the peer had.  meshd-crypto also says when a
 * peer's initiations go unanswered (IMSG_PEER_NORESP): that peer's name
 * is looked up at once, at most every RESOLVE_NORESP_GAP seconds, as
 * crypto is trusted less than we are.  The lookups block the parent's
 * event loop for as long as the resolver takes; the parent only answers
 * meshctl and watches its children, the data path does not wait.
 * The mesh's stun host names are looked up again at the same times, and
 * a new address goes to meshd-net (IMSG_STUN_ADDR), whose discovery asks
 * it from then on.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <event.h>
#include <netdb.h>
#include <string.h>

#include "log.h"
#include "parent.h"

#define RESOLVE_NORESP_GAP	10	/* seconds between two lookups of a
					   peer for PEER_NORESP */

static struct event	resolve_ev;
static int		resolve_set;

static void	resolve_tick(int, short, void *);

/* why: "" or words for the log after the new address */
static void
resolve_peer(struct peer_conf *p, const char *why)
{
	struct mesh_peer_ep_msg	 em;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 buf[MESH_ENDPOINT_MAX + 64];
	int			 error;

	if ((error = config_endpoint_resolve(p->endpoint_str, &ss,
	    &sslen)) != 0) {
		log_debug("peer %s: cannot resolve %s: %s", p->name,
		    p->endpoint_str, gai_strerror(error));
		return;
	}
	if (sslen > sizeof(em.endpoint) || (sslen == p->endpoint_len &&
	    memcmp(&ss, &p->endpoint, sslen) == 0))
		return;
	memcpy(&p->endpoint, &ss, sslen);
	p->endpoint_len = sslen;
	memset(&em, 0, sizeof(em));
	em.id = p->id;
	em.endpoint_len = sslen;
	memcpy(em.endpoint, &ss, sslen);
	log_info("peer %s: endpoint %s now resolves to %s%s", p->name,
	    p->endpoint_str, mesh_sockaddr_ntop(&ss, sslen, buf,
	    sizeof(buf)), why);
	imsg_compose_event(&parent.children[PROC_NET].iev,
	    IMSG_PEER_ENDPOINT, 0, 0, -1, &em, sizeof(em));
}

/* "host:port" names a host, not an address (nothing to look up) */
static int
stun_is_name(const char *s)
{
	char		host[MESH_ENDPOINT_MAX], *port;
	struct in_addr	in4;

	if (s[0] == '[' || strlcpy(host, s, sizeof(host)) >= sizeof(host) ||
	    (port = strrchr(host, ':')) == NULL)
		return 0;
	*port = '\0';
	return inet_pton(AF_INET, host, &in4) != 1;
}

/* stun server i of the mesh: its name may resolve to another address */
static void
resolve_stun(struct mesh_conf *m, size_t i)
{
	struct mesh_stun	*st = &m->stun[i];
	struct mesh_stun_msg	 sm;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 buf[MESH_ENDPOINT_MAX + 64];
	int			 error;

	if ((error = config_endpoint_resolve(st->str, &ss, &sslen)) != 0) {
		log_debug("stun %s: cannot resolve: %s", st->str,
		    gai_strerror(error));
		return;
	}
	if (sslen > sizeof(sm.addr) || (sslen == st->sslen &&
	    memcmp(&ss, &st->ss, sslen) == 0))
		return;
	memcpy(&st->ss, &ss, sslen);
	st->sslen = sslen;
	memset(&sm, 0, sizeof(sm));
	(void)strlcpy(sm.name, st->str, sizeof(sm.name));
	memcpy(sm.addr, &ss, sslen);
	sm.addrlen = sslen;
	log_info("stun %s now resolves to %s", st->str,
	    mesh_sockaddr_ntop(&ss, sslen, buf, sizeof(buf)));
	imsg_compose_event(&parent.children[PROC_NET].iev, IMSG_STUN_ADDR, i,
	    0, -1, &sm, sizeof(sm));
}

static void
resolve_tick(int fd, short event, void *arg)
{
	struct peer_conf	*p;
	size_t			 i;

	if (parent.conf == NULL)
		return;
	TAILQ_FOREACH(p, &parent.conf->peers, entry)
		if (p->endpoint_name)
			resolve_peer(p, "");
	if (parent.conf->has_mesh)
		for (i = 0; i < parent.conf->mesh.nstun; i++)
			if (stun_is_name(parent.conf->mesh.stun[i].str))
				resolve_stun(&parent.conf->mesh, i);
	resolve_schedule();
}

/* (re)starts the timer with the running config's resolve-interval */
void
resolve_schedule(void)
{
	struct timeval	tv = { RESOLVE_INTERVAL_DEFAULT, 0 };

	if (!resolve_set) {
		evtimer_set(&resolve_ev, resolve_tick, NULL);
		resolve_set = 1;
	}
	if (parent.conf != NULL)
		tv.tv_sec = parent.conf->iface.resolve_interval;
	evtimer_add(&resolve_ev, &tv);
}

/* crypto: initiations to peer id go unanswered; has its name moved? */
void
resolve_noresp(uint32_t id)
{
	struct peer_conf	*p;
	uint64_t		 now = mesh_monotonic_ns();

	if (parent.conf == NULL)
		return;
	TAILQ_FOREACH(p, &parent.conf->peers, entry)
		if (p->id == id)
			break;
	/* a peer a reload removed, or an address: nothing to look up */
	if (p == NULL || !p->endpoint_name)
		return;
	if (p->noresp_at != 0 && now - p->noresp_at <
	    (uint64_t)RESOLVE_NORESP_GAP * 1000000000ULL)
		return;
	p->noresp_at = now;
	log_debug("peer %s: handshake unanswered, looking up %s again",
	    p->name, p->endpoint_str);
	resolve_peer(p, " (handshake unanswered)");
}
