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
 * What every child runs once started (child_start.c): the pipes, each
 * message handed to the handler of the process it came from, the
 * configuration snapshot, and the packet channels' consumers.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cert.h"
#include "child.h"
#include "log.h"
#include "pktchan.h"

#ifndef __unused
#define __unused	__attribute__((__unused__))	/* RB_GENERATE_STATIC */
#endif

struct child	*self;

static int
conf_peer_cmp(struct conf_peer *a, struct conf_peer *b)
{
	return a->msg.id < b->msg.id ? -1 : a->msg.id > b->msg.id;
}
RB_GENERATE_STATIC(conf_peer_tree, conf_peer, byid, conf_peer_cmp)

int
child_compose(enum meshd_role to, uint32_t type, uint32_t peerid, int fd,
    const void *data, size_t len)
{
	struct imsgev	*iev = &self->iev[to];

	if (iev->ibuf.fd == -1)
		fatalx("no pipe to %s", meshd_role_names[to]);
	return imsg_compose_event(iev, type, peerid, 0, fd, data, len);
}

void
conf_snapshot_free(struct conf_snapshot *cs)
{
	struct conf_peer	*cp;

	if (cs == NULL)
		return;
	while ((cp = TAILQ_FIRST(&cs->peers)) != NULL) {
		TAILQ_REMOVE(&cs->peers, cp, entry);
		free(cp->aips);
		free(cp);
	}
	free(cs->cert);
	free(cs->crl);
	free(cs);
}

struct conf_peer *
conf_snapshot_find(struct conf_snapshot *cs, uint32_t id)
{
	struct conf_peer	key;

	key.msg.id = id;
	return RB_FIND(conf_peer_tree, &cs->ids, &key);
}

/*
 * RECONF_PEER: the peer, whose msg.naips prefixes come next in
 * RECONF_PEER_AIPS messages and nothing else of the config between.
 */
static void
recv_peer(struct imsg *imsg)
{
	struct conf_peer	*cp;

	if (self->pending == NULL)
		fatalx("RECONF_PEER outside a reconfiguration");
	if (self->pending_peer != NULL)
		fatalx("RECONF_PEER: peer %u still awaits allowed-ips",
		    self->pending_peer->msg.id);
	if ((cp = calloc(1, sizeof(*cp))) == NULL)
		fatal(NULL);
	if (imsg_get_data(imsg, &cp->msg, sizeof(cp->msg)) == -1)
		fatalx("RECONF_PEER: bad length");
	cp->msg.name[sizeof(cp->msg.name) - 1] = '\0';
	if (RB_INSERT(conf_peer_tree, &self->pending->ids, cp) != NULL)
		fatalx("RECONF_PEER: duplicate id %u", cp->msg.id);
	/* memory is the only bound on a peer's allowed-ips */
	if (cp->msg.naips > 0 &&
	    (cp->aips = calloc(cp->msg.naips, sizeof(*cp->aips))) == NULL)
		fatal("RECONF_PEER: %u allowed-ips", cp->msg.naips);
	TAILQ_INSERT_TAIL(&self->pending->peers, cp, entry);
	self->pending->npeers++;
	if (cp->msg.naips > 0)
		self->pending_peer = cp;
}

/* RECONF_PEER_AIPS: the next 1 to MESH_AIPS_CHUNK of them, no more */
static void
recv_peer_aips(struct imsg *imsg)
{
	struct conf_peer	*cp = self->pending_peer;
	size_t			 len = imsg_get_len(imsg), n;

	if (cp == NULL)
		fatalx("RECONF_PEER_AIPS without a peer that awaits them");
	if (imsg_get_id(imsg) != cp->msg.id)
		fatalx("RECONF_PEER_AIPS for peer %u, not %u",
		    imsg_get_id(imsg), cp->msg.id);
	n = len / sizeof(struct mesh_prefix);
	if (len % sizeof(struct mesh_prefix) != 0 || n == 0 ||
	    n > MESH_AIPS_CHUNK || n > cp->msg.naips - cp->ngot)
		fatalx("RECONF_PEER_AIPS: bad length %zu", len);
	if (imsg_get_buf(imsg, cp->aips + cp->ngot, len) == -1)
		fatalx("RECONF_PEER_AIPS: short");
	cp->ngot += n;
	if (cp->ngot == cp->msg.naips)
		self->pending_peer = NULL;
}

#define CHAN_BATCH	64	/* slots per pop */
#define CHAN_ROUNDS	16	/* pops and "more came" passes per wake-up
				   before others get a turn */
struct chan_consumer {
	enum mesh_chan	 c;
	struct event	 ev;
	uint8_t		*buf;
	size_t		 buflen;
	void		(*fn)(struct pktchan_pkt *, size_t);
	void		(*after)(void);
};
static struct chan_consumer	consumers[CHAN_MAX];

static void
chan_batch(struct pktchan_pkt *pkts, size_t n, void *arg)
{
	struct chan_consumer	*cc = arg;

	cc->fn(pkts, n);
	if (cc->after != NULL)
		cc->after();
}

/*
 * At most CHAN_ROUNDS * CHAN_BATCH slots per call, bad ones included: a
 * producer refilling slots with impossible lengths cannot keep us here.
 */
static void
chan_consume(int fd, short event, void *arg)
{
	struct chan_consumer	*cc = arg;
	struct pktchan_pkt	 pkts[CHAN_BATCH];

	if (pktchan_consume(self->chan[cc->c], pkts, CHAN_BATCH, cc->buf,
	    cc->buflen, CHAN_ROUNDS, chan_batch, cc) == 1) {
		/* the fd may not fire again: come back */
		event_active(&cc->ev, EV_READ, 0);
	}
}

void
child_chan_consume(enum mesh_chan c, void (*fn)(struct pktchan_pkt *, size_t),
    void (*after)(void))
{
	struct chan_consumer	*cc = &consumers[c];

	if (self->chan[c] == NULL || cc->fn != NULL)
		fatalx("%s: channel %d", __func__, c);
	cc->c = c;
	cc->fn = fn;
	cc->after = after;
	/* pktchan_pop places each packet at a 16-byte aligned offset */
	cc->buflen = CHAN_BATCH *
	    ((pktchan_maxpkt(self->chan[c]) + 15) & ~(size_t)15);
	if ((cc->buf = malloc(cc->buflen)) == NULL)
		fatal(NULL);
	event_set(&cc->ev, pktchan_wakefd(self->chan[c]), EV_READ | EV_PERSIST,
	    chan_consume, cc);
	event_add(&cc->ev, NULL);
	event_active(&cc->ev, EV_READ, 0);
}

void
child_stats_end(uint32_t reqid, const struct mesh_peer_stats *global)
{
	struct mesh_peer_stats	st = *global;

	st.id = 0;
	child_compose(PROC_PARENT, IMSG_PEER_STATS, reqid, -1, &st, sizeof(st));
	child_compose(PROC_PARENT, IMSG_STATS_END, reqid, -1, NULL, 0);
}

/* a channel's memfd and eventfd arrive one by one; attach when both are in */
static void
recv_chan(struct imsg *imsg)
{
	struct pktchan_msg	 pm;
	char			 err[128];
	int			 fd;

	if (imsg_get_data(imsg, &pm, sizeof(pm)) == -1 ||
	    pm.chan >= CHAN_MAX)
		fatalx("PKTCHAN: bad message");
	if ((fd = imsg_get_fd(imsg)) == -1)
		fatalx("PKTCHAN without a descriptor");
	if (self->chan[pm.chan] != NULL)
		fatalx("PKTCHAN: channel %u set up twice", pm.chan);
	if (imsg_get_type(imsg) == IMSG_PKTCHAN_MEM) {
		if (self->chan_memfd[pm.chan] != -1)
			fatalx("PKTCHAN: second memfd");
		self->chan_memfd[pm.chan] = fd;
	} else {
		if (self->chan_wakefd[pm.chan] != -1)
			fatalx("PKTCHAN: second eventfd");
		self->chan_wakefd[pm.chan] = fd;
	}
	if (self->chan_memfd[pm.chan] == -1 ||
	    self->chan_wakefd[pm.chan] == -1)
		return;
	self->chan[pm.chan] = pktchan_attach(self->chan_memfd[pm.chan],
	    self->chan_wakefd[pm.chan], pm.producer ? PKTCHAN_PRODUCER :
	    PKTCHAN_CONSUMER, err, sizeof(err));
	if (self->chan[pm.chan] == NULL)
		fatalx("packet channel %u: %s", pm.chan, err);
	if (self->chan_ready != NULL)
		self->chan_ready(pm.chan);
}

/* SOCKET_CONN: the pipe to a sibling */
static void
recv_socket_conn(struct imsg *imsg)
{
	enum meshd_role	 role;
	int		 fd;

	if (imsg_get_data(imsg, &role, sizeof(role)) == -1 ||
	    role <= PROC_PARENT || role >= PROC_MAX || role == self->role)
		fatalx("SOCKET_CONN: bad role");
	if ((fd = imsg_get_fd(imsg)) == -1)
		fatalx("SOCKET_CONN without a socket");
	if (self->iev[role].ibuf.fd != -1)
		fatalx("second SOCKET_CONN for %s", meshd_role_names[role]);
	if (imsgev_init(&self->iev[role], fd, role, 0, child_dispatch,
	    NULL) == -1)
		fatal("imsgev_init");
	for (role = PROC_NET; role < PROC_MAX; role++)
		if (role != self->role && self->iev[role].ibuf.fd == -1)
			return;
	if (self->connected != NULL)
		self->connected();
}

static void
recv_reconf_start(void)
{
	if (self->pending != NULL)
		fatalx("RECONF_START during a reconfiguration");
	if ((self->pending = calloc(1, sizeof(*self->pending))) == NULL)
		fatal(NULL);
	TAILQ_INIT(&self->pending->peers);
	RB_INIT(&self->pending->ids);
}

static void
recv_reconf_iface(struct imsg *imsg)
{
	if (self->pending == NULL || self->pending_peer != NULL ||
	    imsg_get_data(imsg, &self->pending->iface,
	    sizeof(self->pending->iface)) == -1 ||
	    self->pending->iface.naddrs > MESH_MAX_ADDRS)
		fatalx("RECONF_IFACE: bad message");
	self->pending->iface.name[MESH_IFNAME_MAX - 1] = '\0';
}

/*
 * RECONF_MESH: the mesh block, once, after RECONF_IFACE and before any
 * peer; its certificate (and revocation list) follow at once, of exactly
 * the lengths it gives.
 */
static void
recv_reconf_mesh(struct imsg *imsg)
{
	struct conf_snapshot	*cs = self->pending;

	if (cs == NULL || cs->has_mesh || cs->npeers > 0 ||
	    imsg_get_data(imsg, &cs->mesh, sizeof(cs->mesh)) == -1)
		fatalx("RECONF_MESH: bad message");
	cs->mesh.name[sizeof(cs->mesh.name) - 1] = '\0';
	if (cs->mesh.certlen == 0 || cs->mesh.certlen > MESH_CERT_MAX ||
	    cs->mesh.crllen > CRL_MAX)
		fatalx("RECONF_MESH: bad lengths %u and %u",
		    cs->mesh.certlen, cs->mesh.crllen);
	cs->has_mesh = 1;
}

/* RECONF_MESH_CERT and RECONF_MESH_CRL: bytes of the announced length */
static void
recv_reconf_mesh_data(struct imsg *imsg, int crl)
{
	struct conf_snapshot	*cs = self->pending;
	const char		*what = crl ? "RECONF_MESH_CRL" :
				    "RECONF_MESH_CERT";
	uint8_t			**buf;
	size_t			*len, want;

	if (cs == NULL || !cs->has_mesh || cs->npeers > 0)
		fatalx("%s: not after RECONF_MESH", what);
	buf = crl ? &cs->crl : &cs->cert;
	len = crl ? &cs->crllen : &cs->certlen;
	want = crl ? cs->mesh.crllen : cs->mesh.certlen;
	/* the list only after the certificate, each once */
	if (*buf != NULL || want == 0 || (crl && cs->cert == NULL))
		fatalx("%s: unexpected", what);
	if (imsg_get_len(imsg) != want)
		fatalx("%s: %zu bytes, not %zu", what, imsg_get_len(imsg),
		    want);
	if ((*buf = malloc(want)) == NULL)
		fatal("%s", what);
	if (imsg_get_data(imsg, *buf, want) == -1)
		fatalx("%s: short", what);
	*len = want;
}

static void
recv_reconf_end(void)
{
	struct conf_snapshot	*cs;

	if ((cs = self->pending) == NULL)
		fatalx("RECONF_END without RECONF_START");
	if (self->pending_peer != NULL)
		fatalx("RECONF_END: peer %u still awaits allowed-ips",
		    self->pending_peer->msg.id);
	if (cs->has_mesh && (cs->cert == NULL ||
	    (cs->mesh.crllen > 0 && cs->crl == NULL)))
		fatalx("RECONF_END: the mesh's certificate or list is missing");
	self->pending = NULL;
	self->reconf(cs);
}

static void
recv_log_verbose(struct imsg *imsg)
{
	int	v;

	if (imsg_get_data(imsg, &v, sizeof(v)) == -1)
		fatalx("LOG_VERBOSE: bad length");
	log_setverbose(v);
}

void
child_unexpected(enum meshd_role from, struct imsg *imsg)
{
	uint32_t	type = imsg_get_type(imsg);

	fatalx("unexpected imsg %s (%u) from %s", imsg_type_name(type), type,
	    meshd_role_names[from]);
}

/* the parent's messages every child takes; the rest go to the role */
static void
child_dispatch_parent(struct imsg *imsg)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_SOCKET_CONN:
		recv_socket_conn(imsg);
		break;
	case IMSG_PKTCHAN_MEM:
	case IMSG_PKTCHAN_WAKE:
		recv_chan(imsg);
		break;
	case IMSG_LOG_VERBOSE:
		recv_log_verbose(imsg);
		break;
	case IMSG_RECONF_START:
		recv_reconf_start();
		break;
	case IMSG_RECONF_IFACE:
		recv_reconf_iface(imsg);
		break;
	case IMSG_RECONF_PEER:
		recv_peer(imsg);
		break;
	case IMSG_RECONF_PEER_AIPS:
		recv_peer_aips(imsg);
		break;
	case IMSG_RECONF_MESH:
		recv_reconf_mesh(imsg);
		break;
	case IMSG_RECONF_MESH_CERT:
		recv_reconf_mesh_data(imsg, 0);
		break;
	case IMSG_RECONF_MESH_CRL:
		recv_reconf_mesh_data(imsg, 1);
		break;
	case IMSG_RECONF_END:
		recv_reconf_end();
		break;
	default:
		if (self->dispatch[PROC_PARENT] == NULL)
			child_unexpected(PROC_PARENT, imsg);
		self->dispatch[PROC_PARENT](imsg);
		break;
	}
}

/* by sender: a pipe whose process the role takes nothing from has none */
static void
child_dispatch_imsg(enum meshd_role from, struct imsg *imsg)
{
	if (from == PROC_PARENT)
		child_dispatch_parent(imsg);
	else if (self->dispatch[from] != NULL)
		self->dispatch[from](imsg);
	else
		child_unexpected(from, imsg);
}

void
child_dispatch(int fd, short event, void *arg)
{
	struct imsgev	*iev = arg;
	struct imsg	 imsg;
	ssize_t		 n;

	if (imsgev_io(iev, event) == -1) {
		if (iev->peer == PROC_PARENT) {
			/* the parent is gone: so are we */
			log_debug("pipe to parent closed");
			exit(0);
		}
		/*
		 * A sibling died.  The parent sees that and stops us all;
		 * dying here too would only blur which process it was.
		 */
		log_warnx("lost pipe to %s", meshd_role_names[iev->peer]);
		imsgev_clear(iev);
		return;
	}
	for (;;) {
		if ((n = imsgbuf_get(&iev->ibuf, &imsg)) == -1)
			fatal("bad imsg from %s", meshd_role_names[iev->peer]);
		if (n == 0)
			break;
		child_dispatch_imsg(iev->peer, &imsg);
		imsg_free(&imsg);
	}
	imsg_event_add(iev);
}
