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

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "pktchan.h"
#include "sandbox.h"

struct child	*child;

static void	 child_dispatch(int, short, void *);
static void	 child_dispatch_common(struct imsgev *, struct imsg *);

int
child_compose(enum meshd_role to, uint32_t type, uint32_t peerid, int fd,
    const void *data, size_t len)
{
	struct imsgev	*iev = &child->iev[to];

	if (iev->ibuf.fd == -1)
		fatalx("no pipe to %s", meshd_role_names[to]);
	return imsg_compose_event(iev, type, peerid, 0, fd, data, len);
}

/*
 * Log lines go to the parent, which hands them to syslog(3): glibc's
 * syslog() opens a new socket when syslogd has restarted, and neither
 * socket(2) nor /dev/log is to be had in the sandbox.  Each line is
 * written out at once, so a fatal error's line is sent before exit.
 */
static void
child_log(int pri, const char *line)
{
	static int	 busy;
	struct imsgev	*iev = &child->iev[PROC_PARENT];
	struct ibuf	*wbuf;
	size_t		 len = strlen(line) + 1;

	if (busy || iev->ibuf.fd == -1)
		return;		/* a log line while sending one: dropped */
	busy = 1;
	if ((wbuf = imsg_create(&iev->ibuf, IMSG_LOG, 0, 0,
	    sizeof(pri) + len)) != NULL &&
	    imsg_add(wbuf, &pri, sizeof(pri)) != -1 &&
	    imsg_add(wbuf, line, len) != -1) {
		imsg_close(&iev->ibuf, wbuf);
		(void)imsgbuf_write(&iev->ibuf);
		if (imsgbuf_queuelen(&iev->ibuf) > 0)
			imsg_event_add(iev);
	}
	busy = 0;
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
	free(cs);
}

struct conf_peer *
conf_snapshot_find(struct conf_snapshot *cs, uint32_t id)
{
	struct conf_peer	*cp;

	TAILQ_FOREACH(cp, &cs->peers, entry)
		if (cp->msg.id == id)
			return cp;
	return NULL;
}

/*
 * RECONF_PEER: the peer, whose msg.naips prefixes come next in
 * RECONF_PEER_AIPS messages and nothing else of the config between.
 */
static void
recv_peer(struct imsg *imsg)
{
	struct conf_peer	*cp;

	if (child->pending == NULL)
		fatalx("RECONF_PEER outside a reconfiguration");
	if (child->pending_peer != NULL)
		fatalx("RECONF_PEER: peer %u still awaits allowed-ips",
		    child->pending_peer->msg.id);
	if ((cp = calloc(1, sizeof(*cp))) == NULL)
		fatal(NULL);
	if (imsg_get_data(imsg, &cp->msg, sizeof(cp->msg)) == -1)
		fatalx("RECONF_PEER: bad length");
	cp->msg.name[sizeof(cp->msg.name) - 1] = '\0';
	if (conf_snapshot_find(child->pending, cp->msg.id) != NULL)
		fatalx("RECONF_PEER: duplicate id %u", cp->msg.id);
	/* memory is the only bound on a peer's allowed-ips */
	if (cp->msg.naips > 0 &&
	    (cp->aips = calloc(cp->msg.naips, sizeof(*cp->aips))) == NULL)
		fatal("RECONF_PEER: %u allowed-ips", cp->msg.naips);
	TAILQ_INSERT_TAIL(&child->pending->peers, cp, entry);
	child->pending->npeers++;
	if (cp->msg.naips > 0)
		child->pending_peer = cp;
}

/* RECONF_PEER_AIPS: the next 1 to MESH_AIPS_CHUNK of them, no more */
static void
recv_peer_aips(struct imsg *imsg)
{
	struct conf_peer	*cp = child->pending_peer;
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
		child->pending_peer = NULL;
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

	if (pktchan_consume(child->chan[cc->c], pkts, CHAN_BATCH, cc->buf,
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

	if (child->chan[c] == NULL || cc->fn != NULL)
		fatalx("%s: channel %d", __func__, c);
	cc->c = c;
	cc->fn = fn;
	cc->after = after;
	/* pktchan_pop places each packet at a 16-byte aligned offset */
	cc->buflen = CHAN_BATCH *
	    ((pktchan_maxpkt(child->chan[c]) + 15) & ~(size_t)15);
	if ((cc->buf = malloc(cc->buflen)) == NULL)
		fatal(NULL);
	event_set(&cc->ev, pktchan_wakefd(child->chan[c]), EV_READ | EV_PERSIST,
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
	if (child->chan[pm.chan] != NULL)
		fatalx("PKTCHAN: channel %u set up twice", pm.chan);
	if (imsg_get_type(imsg) == IMSG_PKTCHAN_MEM) {
		if (child->chan_memfd[pm.chan] != -1)
			fatalx("PKTCHAN: second memfd");
		child->chan_memfd[pm.chan] = fd;
	} else {
		if (child->chan_wakefd[pm.chan] != -1)
			fatalx("PKTCHAN: second eventfd");
		child->chan_wakefd[pm.chan] = fd;
	}
	if (child->chan_memfd[pm.chan] == -1 ||
	    child->chan_wakefd[pm.chan] == -1)
		return;
	child->chan[pm.chan] = pktchan_attach(child->chan_memfd[pm.chan],
	    child->chan_wakefd[pm.chan], pm.producer ? PKTCHAN_PRODUCER :
	    PKTCHAN_CONSUMER, err, sizeof(err));
	if (child->chan[pm.chan] == NULL)
		fatalx("packet channel %u: %s", pm.chan, err);
	if (child->chan_ready != NULL)
		child->chan_ready(pm.chan);
}

static void
child_dispatch_common(struct imsgev *iev, struct imsg *imsg)
{
	struct conf_snapshot	*cs;
	enum meshd_role		 role;
	int			 fd, v;

	switch (imsg_get_type(imsg)) {
	case IMSG_SOCKET_CONN:
		if (iev->peer != PROC_PARENT)
			break;
		if (imsg_get_data(imsg, &role, sizeof(role)) == -1 ||
		    role <= PROC_PARENT || role >= PROC_MAX ||
		    role == child->role)
			fatalx("SOCKET_CONN: bad role");
		if ((fd = imsg_get_fd(imsg)) == -1)
			fatalx("SOCKET_CONN without a socket");
		if (child->iev[role].ibuf.fd != -1)
			fatalx("second SOCKET_CONN for %s",
			    meshd_role_names[role]);
		if (imsgev_init(&child->iev[role], fd, role, 0, child_dispatch,
		    NULL) == -1)
			fatal("imsgev_init");
		for (role = PROC_NET; role < PROC_MAX; role++)
			if (role != child->role &&
			    child->iev[role].ibuf.fd == -1)
				return;
		if (child->connected != NULL)
			child->connected();
		return;
	case IMSG_PKTCHAN_MEM:
	case IMSG_PKTCHAN_WAKE:
		if (iev->peer != PROC_PARENT)
			break;
		recv_chan(imsg);
		return;
	case IMSG_LOG_VERBOSE:
		if (iev->peer != PROC_PARENT)
			break;
		if (imsg_get_data(imsg, &v, sizeof(v)) == -1)
			fatalx("LOG_VERBOSE: bad length");
		log_setverbose(v);
		return;
	case IMSG_RECONF_START:
		if (iev->peer != PROC_PARENT)
			break;
		if (child->pending != NULL)
			fatalx("RECONF_START during a reconfiguration");
		if ((child->pending = calloc(1, sizeof(*cs))) == NULL)
			fatal(NULL);
		TAILQ_INIT(&child->pending->peers);
		return;
	case IMSG_RECONF_IFACE:
		if (iev->peer != PROC_PARENT)
			break;
		if (child->pending == NULL || child->pending_peer != NULL ||
		    imsg_get_data(imsg, &child->pending->iface,
		    sizeof(child->pending->iface)) == -1 ||
		    child->pending->iface.naddrs > MESH_MAX_ADDRS)
			fatalx("RECONF_IFACE: bad message");
		child->pending->iface.name[MESH_IFNAME_MAX - 1] = '\0';
		return;
	case IMSG_RECONF_PEER:
		if (iev->peer != PROC_PARENT)
			break;
		recv_peer(imsg);
		return;
	case IMSG_RECONF_PEER_AIPS:
		if (iev->peer != PROC_PARENT)
			break;
		recv_peer_aips(imsg);
		return;
	case IMSG_RECONF_END:
		if (iev->peer != PROC_PARENT)
			break;
		if ((cs = child->pending) == NULL)
			fatalx("RECONF_END without RECONF_START");
		if (child->pending_peer != NULL)
			fatalx("RECONF_END: peer %u still awaits allowed-ips",
			    child->pending_peer->msg.id);
		child->pending = NULL;
		child->reconf(cs);
		return;
	default:
		child->dispatch(iev, imsg);
		return;
	}
	fatalx("unexpected imsg %s from %s", imsg_type_name(imsg_get_type(imsg)),
	    meshd_role_names[iev->peer]);
}

static void
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
		child_dispatch_common(iev, &imsg);
		imsg_free(&imsg);
	}
	imsg_event_add(iev);
}

void
child_start(struct child *c, int argc, char *argv[], void (*init)(void))
{
	struct child_opts	 o;
	struct mesh_proc_msg	 pm;
	enum meshd_role		 r;
	int			 i;
	extern char		**environ;

	child = c;
	child_getopt(argc, argv, &o);
#ifndef __OpenBSD__
	setproctitle_init(argc, argv, environ);
#endif
	log_init(o.debug, o.verbose, LOG_DAEMON);
	log_procinit(meshd_role_names[c->role]);
	c->verbose = o.verbose;
	c->check = o.check;
	if (o.check && c->role != PROC_CRYPTO)
		fatalx("-n: only meshd-crypto has a check mode");

	/* the parent handles these; we go when our pipe closes */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);

	event_init();
	for (r = PROC_PARENT; r < PROC_MAX; r++)
		c->iev[r].ibuf.fd = -1;
	for (i = 0; i < CHAN_MAX; i++)
		c->chan_memfd[i] = c->chan_wakefd[i] = -1;
	if (imsgev_init(&c->iev[PROC_PARENT], PARENT_SOCK_FILENO, PROC_PARENT,
	    1, child_dispatch, NULL) == -1)
		fatal("imsgev_init");
	if (!o.debug) {
		/* from here on through the parent, and no syslog socket */
		log_setsink(child_log);
		closelog();
	}
	if (init != NULL)
		init();
	/* meshd -n as a user: nothing to drop, the keys are checked all
	   the same */
	if (!o.check || geteuid() == 0)
		proc_privdrop(c->role, o.user, MESHD_CHROOT);
	proc_identity(&pm, !o.check || geteuid() == 0);
	sandbox_enter(c->role);
	proc_ready(&c->iev[PROC_PARENT], &pm);
	log_debug("started, sandboxed");
}
