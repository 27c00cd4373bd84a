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
 * The control socket: meshctl's requests, one imsgbuf per connection,
 * no fd passing, every request answered and ended by END or RESULT.
 * Anyone who can open the socket (mode 0660) may look; only root may
 * change state (reload, log level).  A restricted socket (control-socket
 * in meshd.conf, mode 0666) takes show requests only.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "concentrator.h"
#include "confdiff.h"
#include "ctl_client.h"
#include "log.h"
#include "members.h"
#include "parent.h"

#define CONTROL_MAX_CONNS	64
#define CONTROL_BACKLOG		8
#define CONTROL_MAX_QUEUE	1024	/* queued replies before we give up */

struct ctl_conn {
	TAILQ_ENTRY(ctl_conn)	 entry;
	struct imsgbuf		 ibuf;
	struct event		 ev;
	uid_t			 uid;
	int			 stats_pending;	/* one show at a time */
	int			 broken;	/* a reply cut short: close */
	int			 restricted;	/* show requests only */
	uint32_t		 netcheck_seq;	/* waiting for net; 0 none */
	uint32_t		 dns_seq;	/* waiting for tun; 0 none */
	uint32_t		 filter_seq;	/* waiting for tun; 0 none */
};

#define CONTROL_SUN_PATH	sizeof(((struct sockaddr_un *)0)->sun_path)
#define CONTROL_TMP_SUFFIX	".new"

/*
 * A listening control socket.  Bound under a temporary name (its path
 * and CONTROL_TMP_SUFFIX) and renamed to its path once meshd is ready,
 * so that a path which exists is a meshd which answers.
 */
struct ctl_listener {
	int			 fd;
	int			 restricted;
	struct event		 ev, pause_ev;
	const char		*path;		/* NULL: none */
	char			 tmp[CONTROL_SUN_PATH];
};

/*
 * A mesh peer's counters while a show peers gathers them: what
 * stats_merge adds up of a struct mesh_peer_stats, without its 512-byte
 * hs_error unless crypto has something to say (10,000 members at 832
 * bytes each would be 8 MB a request).
 */
struct member_stats {
	uint32_t	 id;
	uint32_t	 endpoint_len;
	uint8_t		 endpoint[28];
	uint8_t		 hs_state;
	uint32_t	 hs_attempts;
	int64_t		 latest_handshake;
	int64_t		 hs_last_attempt;
	uint64_t	 rx_bytes;
	uint64_t	 tx_bytes;
	uint64_t	 rx_packets;
	uint64_t	 tx_packets;
	uint64_t	 drop_decrypt;
	uint64_t	 drop_replay;
	uint64_t	 drop_queue;
	uint64_t	 drop_source;
	uint64_t	 drop_noroute;
	uint64_t	 drop_malformed;
	uint64_t	 drop_mac;
	uint64_t	 drop_full;
	uint64_t	 drop_handshake;
	uint64_t	 drop_loop;
	char		*hs_error;	/* NULL: "" */
	struct mesh_peer_path *path;	/* net's, NULL: none came */
};

/* a show status or show peers waiting for the children's counters */
/* a config peer's id and its position in the config, to find it by id */
struct stats_pos {
	uint32_t		 id;
	uint32_t		 i;
};

struct stats_req {
	TAILQ_ENTRY(stats_req)	 entry;
	uint32_t		 seq;
	struct ctl_conn		*c;		/* NULL: the client left, or
						   a scrape's */
	int			 type;		/* IMSG_CTL_SHOW_*, or
						   IMSG_METRICS_REQ */
	uint32_t		 scrape;	/* METRICS_REQ: net's id */
	struct mesh_peer_stats	 global[PROC_MAX]; /* each child's own */
	char			 name[MESH_NAME_MAX];	/* "" all */
	int			 waiting;	/* children yet to answer */
	size_t			 n;
	struct mesh_peer_stats	*st;		/* by position in the config */
	struct stats_pos	*pos;		/* n, sorted by id */
	struct mesh_peer_path	*path;		/* likewise (SSH, relay);
						   NULL: none came */
	size_t			 nm;
	struct member_stats	*mst;		/* mesh peers, by id (as the
						   member table is sorted) */
};

static TAILQ_HEAD(, ctl_conn)	 ctl_conns = TAILQ_HEAD_INITIALIZER(ctl_conns);
static TAILQ_HEAD(, stats_req)	 stats_reqs = TAILQ_HEAD_INITIALIZER(stats_reqs);
static uint32_t			 stats_seq;
/* the client of the reload that waits for crypto's verdict, if any */
static struct ctl_conn		*reload_conn;
static int			 reload_waits;
static struct ctl_listener	 ctl_main = { .fd = -1 };
static struct ctl_listener	 ctl_ro = { .fd = -1, .restricted = 1 };
static int			 ctl_nconns;

static void	 control_accept(int, short, void *);
static void	 control_dispatch(int, short, void *);
static void	 control_close(struct ctl_conn *);
static void	 control_event_add(struct ctl_conn *);
static int	 stats_request(struct ctl_conn *, int, const char *);
static void	 stats_merge(struct mesh_peer_stats *, enum meshd_role,
		    const struct mesh_peer_stats *);

/* the temporary name of path, in buf; -1 if it does not fit */
static int
control_tmpname(const char *path, char *buf, size_t len)
{
	int	n;

	n = snprintf(buf, len, "%s%s", path, CONTROL_TMP_SUFFIX);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int
control_open(struct ctl_listener *l, const char *path, mode_t mode)
{
	struct sockaddr_un	 sun;
	int			 fd;
	mode_t			 old;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path) ||
	    control_tmpname(path, l->tmp, sizeof(l->tmp)) == -1) {
		log_warnx("control socket path %s is too long (at most %zu "
		    "bytes)", path, sizeof(sun.sun_path) -
		    sizeof(CONTROL_TMP_SUFFIX));
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		log_warn("control socket");
		return -1;
	}
	/* a live socket means another meshd; a stale one is removed */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		log_warnx("control socket %s is in use: is meshd running?",
		    path);
		close(fd);
		return -1;
	}
	close(fd);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		log_warn("control socket");
		return -1;
	}
	/* gone until we are ready: a stale path is no sign of a meshd */
	if (unlink(path) == -1 && errno != ENOENT) {
		log_warn("unlink %s", path);
		close(fd);
		return -1;
	}
	if (unlink(l->tmp) == -1 && errno != ENOENT) {
		log_warn("unlink %s", l->tmp);
		close(fd);
		return -1;
	}
	(void)strlcpy(sun.sun_path, l->tmp, sizeof(sun.sun_path));
	old = umask(S_IXUSR | S_IXGRP | S_IWOTH | S_IROTH | S_IXOTH);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_warn("bind %s", l->tmp);
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	if (chmod(l->tmp, mode) == -1) {
		log_warn("chmod %s", l->tmp);
		close(fd);
		(void)unlink(l->tmp);
		return -1;
	}
	l->path = path;
	return fd;
}

int
control_init(const char *path)
{
	return control_open(&ctl_main, path, 0660);
}

/* the restricted socket: anyone may look, so mode 0666 */
int
control_init_ro(const char *path)
{
	return control_open(&ctl_ro, path, 0666);
}

/*
 * Ready (meshd.c start_ready): each socket listens already (since the
 * children got their config), and now appears under its path.  rename(2)
 * is atomic: there is never a path that refuses a connection.
 */
static int
control_publish_one(struct ctl_listener *l)
{
	if (l->path == NULL)
		return 0;
	if (rename(l->tmp, l->path) == -1) {
		log_warn("control socket: rename %s to %s", l->tmp, l->path);
		return -1;
	}
	return 0;
}

int
control_publish(void)
{
	if (control_publish_one(&ctl_main) == -1 ||
	    control_publish_one(&ctl_ro) == -1)
		return -1;
	return 0;
}

static void
control_listen_one(struct ctl_listener *l, int fd)
{
	if (listen(fd, CONTROL_BACKLOG) == -1)
		fatal("control listen");
	l->fd = fd;
	event_set(&l->ev, fd, EV_READ | EV_PERSIST, control_accept, l);
	event_add(&l->ev, NULL);
	evtimer_set(&l->pause_ev, control_accept, l);
}

void
control_listen(int fd)
{
	control_listen_one(&ctl_main, fd);
}

void
control_listen_ro(int fd)
{
	control_listen_one(&ctl_ro, fd);
}

/* the socket's path and its temporary name, whichever exists */
void
control_cleanup(const char *path)
{
	char	tmp[CONTROL_SUN_PATH];

	if (path == NULL)
		return;
	(void)unlink(path);
	if (control_tmpname(path, tmp, sizeof(tmp)) == 0)
		(void)unlink(tmp);
}

static void
control_accept(int fd, short event, void *arg)
{
	struct ctl_listener *l = arg;
	struct ctl_conn	*c;
	struct timeval	 tv = { 1, 0 };
	uid_t		 uid;
	gid_t		 gid;
	int		 cfd;

	if (event & EV_TIMEOUT) {
		/* back from a pause after running out of fds */
		event_add(&l->ev, NULL);
		return;
	}
	if ((cfd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) == -1) {
		if (errno == ENFILE || errno == EMFILE) {
			event_del(&l->ev);
			evtimer_add(&l->pause_ev, &tv);
		} else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("control accept");
		return;
	}
	if (ctl_nconns >= CONTROL_MAX_CONNS) {
		log_warnx("control: too many connections");
		close(cfd);
		return;
	}
	if (getpeereid(cfd, &uid, &gid) == -1) {
		log_warn("control: getpeereid");
		close(cfd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("control");
		close(cfd);
		return;
	}
	/* no fd passing: imsgbuf_allow_fdpass is never called here */
	if (imsgbuf_init(&c->ibuf, cfd) == -1) {
		log_warn("control");
		close(cfd);
		free(c);
		return;
	}
	if (imsgbuf_set_maxsize(&c->ibuf, MESH_MAX_IMSG) == -1)
		fatal("control: imsgbuf_set_maxsize");
	c->uid = uid;
	c->restricted = l->restricted;
	event_set(&c->ev, cfd, EV_READ, control_dispatch, c);
	event_add(&c->ev, NULL);
	TAILQ_INSERT_TAIL(&ctl_conns, c, entry);
	ctl_nconns++;
}

static void
control_close(struct ctl_conn *c)
{
	struct stats_req	*r;

	TAILQ_FOREACH(r, &stats_reqs, entry)
		if (r->c == c)
			r->c = NULL;
	/* its reload goes on; the outcome is only logged */
	if (reload_conn == c)
		reload_conn = NULL;
	TAILQ_REMOVE(&ctl_conns, c, entry);
	ctl_nconns--;
	event_del(&c->ev);
	close(c->ibuf.fd);
	imsgbuf_clear(&c->ibuf);
	free(c);
}

static void
control_event_add(struct ctl_conn *c)
{
	short	events = EV_READ;

	if (c->broken || imsgbuf_queuelen(&c->ibuf) > 0)
		events |= EV_WRITE;
	event_del(&c->ev);
	event_set(&c->ev, c->ibuf.fd, events, control_dispatch, c);
	event_add(&c->ev, NULL);
}

static void
control_result(struct ctl_conn *c, int code, const char *msg)
{
	struct ctl_result	 res;
	struct ibuf		*wbuf;
	size_t			 len = strlen(msg) + 1;

	if (len > MESH_RESULT_MAX)
		len = MESH_RESULT_MAX;
	res.code = code;
	if ((wbuf = imsg_create(&c->ibuf, IMSG_CTL_RESULT, 0, 0,
	    sizeof(res) + len)) == NULL ||
	    imsg_add(wbuf, &res, sizeof(res)) == -1 ||
	    imsg_add(wbuf, msg, len - 1) == -1 ||
	    imsg_add(wbuf, "", 1) == -1) {
		log_warn("control: result");
		return;
	}
	imsg_close(&c->ibuf, wbuf);
}

static void
show_status(struct ctl_conn *c, const struct mesh_peer_stats *global)
{
	struct ctl_status	 st;
	struct ctl_proc		 pr;
	struct timespec		 now;
	struct iface_conf	*ic = &parent.conf->iface;
	enum meshd_role		 r;

	memset(&st, 0, sizeof(st));
	(void)strlcpy(st.ifname, ic->name, sizeof(st.ifname));
	st.mtu = ic->mtu;
	st.listen_port = parent.listen_port;
	st.has_pubkey = parent.has_pubkey;
	memcpy(st.pubkey, parent.pubkey, sizeof(st.pubkey));
	clock_gettime(CLOCK_MONOTONIC, &now);
	st.uptime = now.tv_sec - parent.started.tv_sec;
	st.npeers = parent.conf->npeers;
	st.naddrs = ic->naddrs;
	memcpy(st.addrs, ic->addrs, ic->naddrs * sizeof(st.addrs[0]));
	imsg_compose(&c->ibuf, IMSG_CTL_STATUS, 0, 0, -1, &st, sizeof(st));

	memset(&pr, 0, sizeof(pr));
	(void)strlcpy(pr.role, meshd_role_names[PROC_PARENT], sizeof(pr.role));
	pr.proc.pid = getpid();
	pr.proc.uid = getuid();
	pr.proc.gid = getgid();
	imsg_compose(&c->ibuf, IMSG_CTL_PROC, 0, 0, -1, &pr, sizeof(pr));
	for (r = PROC_NET; r < PROC_MAX; r++) {
		struct child_proc *cp = &parent.children[r];

		memset(&pr, 0, sizeof(pr));
		(void)strlcpy(pr.role, meshd_role_names[r], sizeof(pr.role));
		if (cp->ready)
			pr.proc = cp->info;
		pr.proc.pid = cp->pid;
		pr.proc.has_counters = 1;
		pr.proc.counters = global[r];
		imsg_compose(&c->ibuf, IMSG_CTL_PROC, 0, 0, -1, &pr,
		    sizeof(pr));
	}
	imsg_compose(&c->ibuf, IMSG_CTL_END, 0, 0, -1, NULL, 0);
}

/* what a certificate says of a peer, into cp */
static void
peer_cert(struct ctl_peer *cp, const struct member *m)
{
	size_t	i;

	cp->state = m->state;
	cp->roles = m->roles;
	cp->cert_expires = m->not_after;
	cp->ngroups = m->ngroups;
	for (i = 0; i < m->ngroups; i++)
		(void)strlcpy(cp->groups[i], m->groups[i],
		    sizeof(cp->groups[i]));
}

/* a CTL_PEER and its n CTL_PEER_AIPS from a, then b */
static int
peer_send(struct ctl_conn *c, struct ctl_peer *cp,
    const struct mesh_prefix *a, size_t na, const struct mesh_prefix *b,
    size_t nb)
{
	cp->naips = na + nb;
	/* the allowed-ips follow in chunks: there may be any number */
	if (imsg_compose(&c->ibuf, IMSG_CTL_PEER, 0, 0, -1, cp,
	    sizeof(*cp)) == -1 || imsg_compose_aips(&c->ibuf,
	    IMSG_CTL_PEER_AIPS, cp->id, a, na) == -1 ||
	    imsg_compose_aips(&c->ibuf, IMSG_CTL_PEER_AIPS, cp->id, b,
	    nb) == -1)
		return -1;
	return 0;
}

/*
 * A config peer's CTL_PEER and its CTL_PEER_AIPS; -1 if they cannot all
 * be queued.  A coordinator whose certificate came has its addresses
 * after the allowed-ips: they are routed to it as well.
 */
/* a config peer as meshctl sees it; its certificate's member or NULL */
static struct member *
peer_fill(struct ctl_peer *cp, struct peer_conf *p,
    const struct mesh_peer_stats *st, const struct mesh_peer_path *path)
{
	struct member	*m = NULL;

	memset(cp, 0, sizeof(*cp));
	if (path != NULL && path->id == p->id)
		cp->path = *path;
	cp->id = p->id;
	(void)strlcpy(cp->name, p->name, sizeof(cp->name));
	memcpy(cp->pubkey, p->pubkey, sizeof(cp->pubkey));
	cp->stats = *st;
	/* the endpoint in use (net learns it), else the configured one */
	if (st->endpoint_len > 0)
		mesh_sockaddr_ntop(st->endpoint, st->endpoint_len,
		    cp->endpoint, sizeof(cp->endpoint));
	else if (p->endpoint.ss_family != 0)
		mesh_sockaddr_ntop(&p->endpoint, p->endpoint_len,
		    cp->endpoint, sizeof(cp->endpoint));
	cp->has_psk = p->psk_file != NULL || p->psk_uapi;
	cp->keepalive = p->keepalive;
	cp->source = CTL_SOURCE_CONFIG;
	cp->state = CTL_STATE_MEMBER;
	cp->coordinator = p->coordinator != 0;
	if (p->coordinator && (m = members_find(p->id)) != NULL)
		peer_cert(cp, m);
	return m;
}

static int
show_peer(struct ctl_conn *c, struct peer_conf *p,
    const struct mesh_peer_stats *st, const struct mesh_peer_path *path)
{
	struct ctl_peer	 cp;
	struct member	*m;

	m = peer_fill(&cp, p, st, path);
	return peer_send(c, &cp, p->aips, p->naips, m != NULL ? m->addrs :
	    NULL, m != NULL && m->state == CTL_STATE_MEMBER ? m->naddrs : 0);
}

/* a mesh peer: its certificate's addresses are its allowed-ips */
static void
member_fill(struct ctl_peer *cp, struct member *m,
    const struct mesh_peer_stats *st, const struct mesh_peer_path *path)
{
	memset(cp, 0, sizeof(*cp));
	if (path != NULL)
		cp->path = *path;
	cp->id = m->id;
	(void)strlcpy(cp->name, m->name, sizeof(cp->name));
	memcpy(cp->pubkey, m->pubkey, sizeof(cp->pubkey));
	cp->stats = *st;
	if (st->endpoint_len > 0)
		mesh_sockaddr_ntop(st->endpoint, st->endpoint_len,
		    cp->endpoint, sizeof(cp->endpoint));
	cp->source = CTL_SOURCE_MESH;
	peer_cert(cp, m);
}

static int
show_member(struct ctl_conn *c, struct member *m,
    const struct mesh_peer_stats *st, const struct mesh_peer_path *path)
{
	struct ctl_peer	 cp;

	member_fill(&cp, m, st, path);
	/* its routes are allowed-ips too (tun routes them to it) */
	return peer_send(c, &cp, m->addrs, m->naddrs, m->routes,
	    m->state == CTL_STATE_MEMBER ? m->nroutes : 0);
}

static void
show_peers(struct ctl_conn *c, struct imsg *imsg)
{
	struct ctl_peer_req	 req;
	struct peer_conf	*p;
	char			 msg[MESH_NAME_MAX + 32];

	if (imsg_get_data(imsg, &req, sizeof(req)) == -1) {
		control_result(c, EINVAL, "malformed show peers request");
		return;
	}
	req.name[sizeof(req.name) - 1] = '\0';
	if (req.name[0] != '\0' &&
	    (p = config_find_peer_name(parent.conf, req.name)) == NULL &&
	    members_find_name(req.name) == NULL) {
		snprintf(msg, sizeof(msg), "no such peer: %s", req.name);
		control_result(c, ENOENT, msg);
		return;
	}
	(void)stats_request(c, IMSG_CTL_SHOW_PEERS, req.name);
}

/* a member's counters as a struct mesh_peer_stats, for stats_merge */
static void
member_stats_get(const struct member_stats *ms, struct mesh_peer_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->id = ms->id;
	memcpy(st->endpoint, ms->endpoint, sizeof(st->endpoint));
	st->endpoint_len = ms->endpoint_len;
	st->latest_handshake = ms->latest_handshake;
	st->rx_bytes = ms->rx_bytes;
	st->tx_bytes = ms->tx_bytes;
	st->rx_packets = ms->rx_packets;
	st->tx_packets = ms->tx_packets;
	st->drop_decrypt = ms->drop_decrypt;
	st->drop_replay = ms->drop_replay;
	st->drop_queue = ms->drop_queue;
	st->drop_source = ms->drop_source;
	st->drop_noroute = ms->drop_noroute;
	st->drop_malformed = ms->drop_malformed;
	st->drop_mac = ms->drop_mac;
	st->drop_full = ms->drop_full;
	st->drop_handshake = ms->drop_handshake;
	st->drop_loop = ms->drop_loop;
	st->hs_last_attempt = ms->hs_last_attempt;
	st->hs_attempts = ms->hs_attempts;
	st->hs_state = ms->hs_state;
	if (ms->hs_error != NULL)
		(void)strlcpy(st->hs_error, ms->hs_error,
		    sizeof(st->hs_error));
}

/* and back; -1 if hs_error cannot be kept */
static int
member_stats_put(struct member_stats *ms, const struct mesh_peer_stats *st)
{
	char	*err = NULL;

	if (st->hs_error[0] != '\0' && (ms->hs_error == NULL ||
	    strcmp(ms->hs_error, st->hs_error) != 0)) {
		if ((err = strdup(st->hs_error)) == NULL)
			return -1;
	}
	if (err != NULL || st->hs_error[0] == '\0') {
		free(ms->hs_error);
		ms->hs_error = err;
	}
	memcpy(ms->endpoint, st->endpoint, sizeof(ms->endpoint));
	ms->endpoint_len = st->endpoint_len;
	ms->latest_handshake = st->latest_handshake;
	ms->rx_bytes = st->rx_bytes;
	ms->tx_bytes = st->tx_bytes;
	ms->rx_packets = st->rx_packets;
	ms->tx_packets = st->tx_packets;
	ms->drop_decrypt = st->drop_decrypt;
	ms->drop_replay = st->drop_replay;
	ms->drop_queue = st->drop_queue;
	ms->drop_source = st->drop_source;
	ms->drop_noroute = st->drop_noroute;
	ms->drop_malformed = st->drop_malformed;
	ms->drop_mac = st->drop_mac;
	ms->drop_full = st->drop_full;
	ms->drop_handshake = st->drop_handshake;
	ms->drop_loop = st->drop_loop;
	ms->hs_last_attempt = st->hs_last_attempt;
	ms->hs_attempts = st->hs_attempts;
	ms->hs_state = st->hs_state;
	return 0;
}

/*
 * Room for the counters of the mesh peers r shows, their ids as they
 * are now: show peers only (show status and show mesh list none), and
 * show peer NAME only NAME's.
 */
static int
stats_members(struct stats_req *r)
{
	struct member	*m, *one = NULL;
	size_t		 n = 0;

	if (r->type != IMSG_CTL_SHOW_PEERS && r->type != IMSG_METRICS_REQ)
		return 0;
	if (r->name[0] != '\0') {
		if (config_find_peer_name(parent.conf, r->name) != NULL ||
		    (one = members_find_name(r->name)) == NULL)
			return 0;
		n = 1;
	} else {
		for (m = members_first(); m != NULL; m = members_next(m))
			if (m->id >= MESH_DYN_ID_MIN)
				n++;
	}
	if (n == 0)
		return 0;
	if ((r->mst = calloc(n, sizeof(*r->mst))) == NULL)
		return -1;
	if (one != NULL) {
		r->mst[r->nm++].id = one->id;
		return 0;
	}
	for (m = members_first(); m != NULL; m = members_next(m))
		if (m->id >= MESH_DYN_ID_MIN && r->nm < n)
			r->mst[r->nm++].id = m->id;
	return 0;
}

static void
stats_req_free(struct stats_req *r)
{
	size_t	i;

	for (i = 0; i < r->nm; i++) {
		free(r->mst[i].hs_error);
		free(r->mst[i].path);
	}
	free(r->mst);
	free(r->st);
	free(r->pos);
	free(r->path);
	free(r);
}

static int
stats_pos_cmp(const void *a, const void *b)
{
	const struct stats_pos	*x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * The config's peers by id: each of the children's answers (one per
 * peer and child) finds its peer's position by a search, not a walk of
 * the config (which made show peers of 10,000 peers take seconds).
 */
static int
stats_pos_build(struct stats_req *r)
{
	struct peer_conf	*p;
	size_t			 i = 0;

	if (r->n == 0)
		return 0;
	if ((r->pos = reallocarray(NULL, r->n, sizeof(*r->pos))) == NULL)
		return -1;
	TAILQ_FOREACH(p, &parent.conf->peers, entry) {
		if (i == r->n)
			break;
		r->pos[i].id = p->id;
		r->pos[i].i = i;
		i++;
	}
	qsort(r->pos, i, sizeof(*r->pos), stats_pos_cmp);
	return 0;
}

/* the position of config peer id in r when it was made, or -1 */
static ssize_t
stats_pos_find(struct stats_req *r, uint32_t id)
{
	struct stats_pos	 key, *f;

	if (r->pos == NULL)
		return -1;
	key.id = id;
	if ((f = bsearch(&key, r->pos, r->n, sizeof(*r->pos),
	    stats_pos_cmp)) == NULL)
		return -1;
	return f->i;
}

static int
stats_id_cmp(const void *key, const void *elem)
{
	uint32_t	id = *(const uint32_t *)key;
	uint32_t	eid = ((const struct member_stats *)elem)->id;

	return id < eid ? -1 : id > eid;
}

/* a mesh peer's counters in r, or NULL */
static struct member_stats *
stats_member(struct stats_req *r, uint32_t id)
{
	if (r->nm == 0)
		return NULL;
	return bsearch(&id, r->mst, r->nm, sizeof(*r->mst), stats_id_cmp);
}

/* a request for the children's counters, not yet sent; NULL: ENOMEM */
static struct stats_req *
stats_req_new(int type, const char *name)
{
	struct stats_req	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->type = type;
	(void)strlcpy(r->name, name, sizeof(r->name));
	if ((r->st = calloc(parent.conf->npeers + 1, sizeof(*r->st))) ==
	    NULL || stats_members(r) == -1) {
		stats_req_free(r);
		return NULL;
	}
	r->seq = ++stats_seq;
	r->n = parent.conf->npeers;
	if (stats_pos_build(r) == -1) {
		stats_req_free(r);
		return NULL;
	}
	return r;
}

/* r asks every child; the answer comes when all have answered */
static void
stats_req_send(struct stats_req *r)
{
	r->waiting = parent_stats_request(r->seq);
	TAILQ_INSERT_TAIL(&stats_reqs, r, entry);
	if (r->waiting == 0)
		control_stats_end(r->seq);
}

/* the counters live in the children: ask them, answer when all have */
static int
stats_request(struct ctl_conn *c, int type, const char *name)
{
	struct stats_req	*r;

	if (c->stats_pending) {
		control_result(c, EBUSY, "a show request is still running");
		return -1;
	}
	if ((r = stats_req_new(type, name)) == NULL) {
		control_result(c, ENOMEM, "out of memory");
		return -1;
	}
	r->c = c;
	c->stats_pending = 1;
	stats_req_send(r);
	return 0;
}

/*
 * A scrape (metrics.c): every peer's counters, gathered as for show
 * peers; metrics_reply() gets them.  -1: out of memory.
 */
int
control_metrics(uint32_t scrape)
{
	struct stats_req	*r;

	if ((r = stats_req_new(IMSG_METRICS_REQ, "")) == NULL)
		return -1;
	r->scrape = scrape;
	stats_req_send(r);
	return 0;
}

/*
 * Each peer of a scrape's request as show peers lists it, to fn: the
 * config's, then the mesh's.
 */
void
control_metrics_peers(struct stats_req *r,
    void (*fn)(const struct ctl_peer *, void *), void *arg)
{
	static const struct mesh_peer_stats nostats;
	struct ctl_peer		*cp;
	struct peer_conf	*p;
	struct member		*m;
	struct member_stats	*ms;
	struct mesh_peer_stats	 st;
	size_t			 i = 0;

	if ((cp = malloc(sizeof(*cp))) == NULL) {
		log_warn("metrics: %s", __func__);
		return;
	}
	TAILQ_FOREACH(p, &parent.conf->peers, entry) {
		/* a reload meanwhile may have moved peers: match ids */
		if (i < r->n && r->st[i].id == p->id)
			(void)peer_fill(cp, p, &r->st[i], r->path != NULL ?
			    &r->path[i] : NULL);
		else
			(void)peer_fill(cp, p, &nostats, NULL);
		fn(cp, arg);
		i++;
	}
	for (m = members_first(); m != NULL; m = members_next(m)) {
		if (m->id < MESH_DYN_ID_MIN)
			continue;
		if ((ms = stats_member(r, m->id)) != NULL)
			member_stats_get(ms, &st);
		else
			memset(&st, 0, sizeof(st));
		member_fill(cp, m, &st, ms != NULL ? ms->path : NULL);
		fn(cp, arg);
	}
	free(cp);
}

static struct stats_req *
stats_req_find(uint32_t seq)
{
	struct stats_req	*r;

	TAILQ_FOREACH(r, &stats_reqs, entry)
		if (r->seq == seq)
			return r;
	return NULL;
}

/* one child's counters for one peer (id 0: its own, of no known peer) */
void
control_stats(uint32_t seq, enum meshd_role from,
    const struct mesh_peer_stats *in)
{
	struct stats_req	*r;
	struct mesh_peer_stats	*st, mst;
	struct member_stats	*ms;
	ssize_t			 i;

	if ((r = stats_req_find(seq)) == NULL)
		return;
	if (in->id == 0) {
		if (from < PROC_MAX)
			r->global[from] = *in;
		return;
	}
	if (in->id >= MESH_DYN_ID_MIN) {
		/* NULL: a mesh peer new since the request, or not shown */
		if ((ms = stats_member(r, in->id)) == NULL)
			return;
		member_stats_get(ms, &mst);
		stats_merge(&mst, from, in);
		if (member_stats_put(ms, &mst) == -1)
			log_warn("control: %s", __func__);
		return;
	}
	if ((i = stats_pos_find(r, in->id)) == -1)
		return;		/* a peer a reload removed meanwhile */
	st = &r->st[i];
	st->id = in->id;
	stats_merge(st, from, in);
}

/* a config peer's path (the ladder's: SSH, relay), by its position */
static void
config_path(struct stats_req *r, const struct mesh_peer_path *in)
{
	ssize_t			 i;

	if ((i = stats_pos_find(r, in->id)) == -1)
		return;
	if (r->path == NULL && (r->path = calloc(r->n,
	    sizeof(*r->path))) == NULL) {
		log_warn("control: %s", __func__);
		return;
	}
	r->path[i] = *in;
	r->path[i].why[sizeof(r->path[i].why) - 1] = '\0';
	r->path[i].ncand = 0;
}

/*
 * net's view of a member's path (PEER_PATH), kept for the reply: only
 * members with candidates have one, so most requests hold few.
 */
void
control_path(uint32_t seq, const struct mesh_peer_path *in)
{
	struct stats_req	*r;
	struct member_stats	*ms;

	if ((r = stats_req_find(seq)) == NULL)
		return;
	if (in->id < MESH_DYN_ID_MIN) {
		config_path(r, in);
		return;
	}
	if ((ms = stats_member(r, in->id)) == NULL)
		return;
	if (ms->path == NULL && (ms->path = malloc(sizeof(*ms->path))) ==
	    NULL) {
		log_warn("control: %s", __func__);
		return;
	}
	*ms->path = *in;
	ms->path->why[sizeof(ms->path->why) - 1] = '\0';
	if (ms->path->ncand > MESH_PATH_CANDS)
		ms->path->ncand = MESH_PATH_CANDS;
}

/* one child's counters of a peer added to the others' */
static void
stats_merge(struct mesh_peer_stats *st, enum meshd_role from,
    const struct mesh_peer_stats *in)
{
	if (in->endpoint_len > 0 && in->endpoint_len <= sizeof(st->endpoint)) {
		memcpy(st->endpoint, in->endpoint, in->endpoint_len);
		st->endpoint_len = in->endpoint_len;
	}
	if (in->latest_handshake > st->latest_handshake)
		st->latest_handshake = in->latest_handshake;
	st->rx_bytes += in->rx_bytes;
	st->tx_bytes += in->tx_bytes;
	st->rx_packets += in->rx_packets;
	st->tx_packets += in->tx_packets;
	st->drop_decrypt += in->drop_decrypt;
	st->drop_replay += in->drop_replay;
	st->drop_queue += in->drop_queue;
	st->drop_source += in->drop_source;
	st->drop_noroute += in->drop_noroute;
	st->drop_malformed += in->drop_malformed;
	st->drop_mac += in->drop_mac;
	st->drop_full += in->drop_full;
	st->drop_handshake += in->drop_handshake;
	st->drop_loop += in->drop_loop;
	if (from == PROC_CRYPTO) {
		/* the handshake's story: meshd-crypto's alone */
		st->hs_last_attempt = in->hs_last_attempt;
		st->hs_attempts = in->hs_attempts;
		st->hs_state = in->hs_state;
		memcpy(st->hs_error, in->hs_error, sizeof(st->hs_error));
		st->hs_error[sizeof(st->hs_error) - 1] = '\0';
	}
}

/*
 * The config peers asked for with their counters: name's (NULL: every
 * one), or with coordinators set only the mesh block's coordinators.
 */
static int
show_config_peers(struct stats_req *r, const char *name, int coordinators)
{
	static const struct mesh_peer_stats nostats;
	struct peer_conf	*p;
	size_t			 i = 0;
	int			 rv;

	TAILQ_FOREACH(p, &parent.conf->peers, entry) {
		if ((name != NULL && strcmp(name, p->name) != 0) ||
		    (coordinators && (!p->coordinator ||
		    !parent.conf->has_mesh))) {
			i++;
			continue;
		}
		/* a reload meanwhile may have moved peers: match ids */
		if (i < r->n && r->st[i].id == p->id)
			rv = show_peer(r->c, p, &r->st[i], r->path != NULL ?
			    &r->path[i] : NULL);
		else
			rv = show_peer(r->c, p, &nostats, NULL);
		if (rv == -1)
			return -1;
		i++;
	}
	return 0;
}

static int
show_one_member(struct stats_req *r, struct member *m)
{
	struct mesh_peer_stats	 st;
	struct member_stats	*ms;

	if ((ms = stats_member(r, m->id)) != NULL)
		member_stats_get(ms, &st);
	else
		memset(&st, 0, sizeof(st));
	return show_member(r->c, m, &st, ms != NULL ? ms->path : NULL);
}

/*
 * The peers asked for with their counters, then END; -1 on ENOMEM.
 * The config's first, then the mesh's.  A name: the config's peer of
 * that name, else the mesh's (members.h).
 */
static int
show_peers_reply(struct stats_req *r)
{
	struct member	*m;

	if (r->name[0] != '\0' &&
	    config_find_peer_name(parent.conf, r->name) != NULL) {
		if (show_config_peers(r, r->name, 0) == -1)
			return -1;
	} else if (r->name[0] != '\0') {
		if ((m = members_find_name(r->name)) != NULL &&
		    show_one_member(r, m) == -1)
			return -1;
	} else {
		if (show_config_peers(r, NULL, 0) == -1)
			return -1;
		for (m = members_first(); m != NULL; m = members_next(m))
			if (m->id >= MESH_DYN_ID_MIN &&
			    show_one_member(r, m) == -1)
				return -1;
	}
	if (imsg_compose(&r->c->ibuf, IMSG_CTL_END, 0, 0, -1, NULL, 0) == -1)
		return -1;
	return 0;
}

/* show mesh: the mesh block, our certificate, the members' counts */
static void
mesh_info(struct ctl_mesh *cm)
{
	struct meshd_conf		*conf = parent.conf;
	struct mesh_cert		*c = &conf->mesh.c;
	const struct mesh_state_msg	*st = members_crl();
	struct peer_conf		*p;
	size_t				 i;

	memset(cm, 0, sizeof(*cm));
	if (!conf->has_mesh)
		return;
	(void)strlcpy(cm->name, conf->mesh.name, sizeof(cm->name));
	(void)strlcpy(cm->cert_name, c->name, sizeof(cm->cert_name));
	cm->cert_not_after = c->not_after;
	cm->cert_roles = c->roles;
	cm->serve = conf->mesh.serve != 0;
	for (i = 0; i < c->naddrs && i < MESH_CERT_ADDRS; i++)
		cm->addrs[cm->naddrs++] = c->addrs[i];
	for (i = 0; i < c->ngroups && i < MESH_CERT_GROUPS; i++)
		(void)strlcpy(cm->groups[cm->ngroups++], c->groups[i],
		    sizeof(cm->groups[0]));
	cm->crl_serial = st->crl_serial;
	cm->crl_count = st->crl_count;
	cm->members = members_count(CTL_STATE_MEMBER);
	cm->revoked = members_count(CTL_STATE_REVOKED);
	TAILQ_FOREACH(p, &conf->peers, entry)
		if (p->coordinator)
			cm->ncoordinators++;
}

/* CTL_MESH, then each coordinator as a peer with its counters, END */
static int
show_mesh_reply(struct stats_req *r)
{
	struct ctl_mesh		 cm;

	mesh_info(&cm);
	if (imsg_compose(&r->c->ibuf, IMSG_CTL_MESH, 0, 0, -1, &cm,
	    sizeof(cm)) == -1)
		return -1;
	if (show_config_peers(r, NULL, 1) == -1)
		return -1;
	if (imsg_compose(&r->c->ibuf, IMSG_CTL_END, 0, 0, -1, NULL, 0) == -1)
		return -1;
	return 0;
}

int
control_queued(void)
{
	struct ctl_conn	*c;

	TAILQ_FOREACH(c, &ctl_conns, entry)
		if (imsgbuf_queuelen(&c->ibuf) > 0)
			return 1;
	return 0;
}

/* a child is done; when all are, the client gets its answer */
void
control_stats_end(uint32_t seq)
{
	struct stats_req	*r;

	if ((r = stats_req_find(seq)) == NULL)
		return;
	if (r->waiting > 0 && --r->waiting > 0)
		return;
	TAILQ_REMOVE(&stats_reqs, r, entry);
	if (r->type == IMSG_METRICS_REQ)
		metrics_reply(r->scrape, r, r->global);
	else if (r->c != NULL && r->type == IMSG_CTL_SHOW_STATUS) {
		r->c->stats_pending = 0;
		show_status(r->c, r->global);
		control_event_add(r->c);
	} else if (r->c != NULL) {
		r->c->stats_pending = 0;
		if ((r->type == IMSG_CTL_SHOW_MESH ? show_mesh_reply(r) :
		    show_peers_reply(r)) == -1) {
			/*
			 * Half a listing is no answer: the client will see
			 * EOF.  control_dispatch closes it (we may be inside
			 * it, below a request).
			 */
			log_warn("control: show peers");
			r->c->broken = 1;
		}
		control_event_add(r->c);
		parent_trim_soon();
	}
	stats_req_free(r);
}

/*
 * show config: print_config's text in CONFIG_TEXT chunks, then END.
 * It names key files, never holds key bytes (the parent has none).
 */
static void
show_config(struct ctl_conn *c)
{
	FILE	*f;
	char	*text = NULL;
	size_t	 len = 0, off, n;

	if ((f = open_memstream(&text, &len)) == NULL) {
		control_result(c, ENOMEM, "out of memory");
		return;
	}
	print_config(f, parent.conf);
	if (fclose(f) == EOF) {
		free(text);
		control_result(c, ENOMEM, "out of memory");
		return;
	}
	for (off = 0; off < len; off += n) {
		n = len - off < MESH_CONFIG_CHUNK ? len - off :
		    MESH_CONFIG_CHUNK;
		if (imsg_compose(&c->ibuf, IMSG_CTL_CONFIG_TEXT, 0, 0, -1,
		    text + off, n) == -1) {
			log_warn("control: show config");
			c->broken = 1;
			free(text);
			return;
		}
	}
	free(text);
	imsg_compose(&c->ibuf, IMSG_CTL_END, 0, 0, -1, NULL, 0);
}

/* the answer waits for crypto's verdict on the new keys */
static void
control_reload(struct ctl_conn *c)
{
	char	 err[MESH_RESULT_MAX];
	int	 code;

	if (reload_waits) {
		control_result(c, EBUSY, "a reload is still running");
		return;
	}
	if ((code = parent_reload(err, sizeof(err))) != 0) {
		control_result(c, code, err);
		return;
	}
	reload_conn = c;
	reload_waits = 1;
}

/*
 * client add and remove (concentrator.c): a reload of the running config
 * with the change, answered as a reload is
 */
static void
control_client(struct ctl_conn *c, struct imsg *imsg)
{
	struct ctl_client_req	 req;
	char			 err[MESH_RESULT_MAX];
	int			 code;

	if (imsg_get_data(imsg, &req, sizeof(req)) == -1) {
		control_result(c, EINVAL, "malformed client request");
		return;
	}
	req.name[sizeof(req.name) - 1] = '\0';
	if (reload_waits) {
		control_result(c, EBUSY, "a reload is still running");
		return;
	}
	if (imsg_get_type(imsg) == IMSG_CTL_CLIENT_ADD)
		code = conc_client_add(&c->ibuf, &req, err, sizeof(err));
	else
		code = conc_client_remove(&req, err, sizeof(err));
	if (code != 0) {
		control_result(c, code, err);
		return;
	}
	reload_conn = c;
	reload_waits = 1;
}

/* one thing the reload changed, before its RESULT */
void
control_reload_change(const struct ctl_change *ch)
{
	if (reload_conn == NULL)
		return;
	if (imsg_compose(&reload_conn->ibuf, IMSG_CTL_RELOAD_CHANGE, 0, 0, -1,
	    ch, sizeof(*ch)) == -1)
		log_warn("control: reload change");
}

void
control_reload_done(int code, const char *msg)
{
	struct ctl_conn	*c = reload_conn;

	reload_conn = NULL;
	reload_waits = 0;
	conc_reload_done(code);
	if (c == NULL)
		return;		/* SIGHUP, or the client went away */
	control_result(c, code, msg);
	control_event_add(c);
}

/*
 * netcheck: net answers from what it knows (refreshing data older than
 * a minute, waiting for that at most 3 s); relayed with an END.  A
 * connection has one request at a time, named by its sequence number.
 */
static void
netcheck_request(struct ctl_conn *c)
{
	if (c->stats_pending || c->netcheck_seq != 0 || c->dns_seq != 0) {
		control_result(c, EBUSY, "a show request is still running");
		return;
	}
	if (!parent.conf->has_mesh) {
		control_result(c, ENOENT, "no mesh: netcheck needs a mesh "
		    "block");
		return;
	}
	c->netcheck_seq = ++stats_seq;
	imsg_compose_event(&parent.children[PROC_NET].iev, IMSG_NETCHECK_REQ,
	    c->netcheck_seq, 0, -1, NULL, 0);
}

void
control_netcheck(uint32_t seq, const struct ctl_netcheck *nc)
{
	struct ctl_conn	*c;

	TAILQ_FOREACH(c, &ctl_conns, entry)
		if (c->netcheck_seq == seq)
			break;
	if (c == NULL)
		return;		/* the client went away */
	c->netcheck_seq = 0;
	if (imsg_compose(&c->ibuf, IMSG_CTL_NETCHECK, 0, 0, -1, nc,
	    sizeof(*nc)) == -1 ||
	    imsg_compose(&c->ibuf, IMSG_CTL_END, 0, 0, -1, NULL, 0) == -1) {
		log_warn("control: netcheck");
		c->broken = 1;
	}
	control_event_add(c);
}

/* show dns: tun's counters, relayed with the parent's resolver line */
static void
dns_request(struct ctl_conn *c)
{
	if (c->stats_pending || c->netcheck_seq != 0 || c->dns_seq != 0 ||
	    c->filter_seq != 0) {
		control_result(c, EBUSY, "a show request is still running");
		return;
	}
	c->dns_seq = ++stats_seq;
	imsg_compose_event(&parent.children[PROC_TUN].iev, IMSG_CTL_SHOW_DNS,
	    c->dns_seq, 0, -1, NULL, 0);
}

void
control_dns(uint32_t seq, struct ctl_dns *cd)
{
	struct ctl_conn	*c;

	TAILQ_FOREACH(c, &ctl_conns, entry)
		if (c->dns_seq == seq)
			break;
	if (c == NULL)
		return;		/* the client went away */
	c->dns_seq = 0;
	dns_show_fill(cd);
	if (imsg_compose(&c->ibuf, IMSG_CTL_DNS, 0, 0, -1, cd,
	    sizeof(*cd)) == -1 ||
	    imsg_compose(&c->ibuf, IMSG_CTL_END, 0, 0, -1, NULL, 0) == -1) {
		log_warn("control: show dns");
		c->broken = 1;
	}
	control_event_add(c);
}

/*
 * show filter and show states: tun answers with a head, a line per rule
 * or state, and an END, relayed as they come.
 */
static void
filter_request(struct ctl_conn *c, struct imsg *imsg)
{
	if (imsg_get_len(imsg) != 0) {
		control_result(c, EINVAL, "malformed show request");
		return;
	}
	if (c->stats_pending || c->netcheck_seq != 0 || c->filter_seq != 0 ||
	    c->dns_seq != 0) {
		control_result(c, EBUSY, "a show request is still running");
		return;
	}
	c->filter_seq = ++stats_seq;
	imsg_compose_event(&parent.children[PROC_TUN].iev,
	    imsg_get_type(imsg), c->filter_seq, 0, -1, NULL, 0);
}

void
control_filter(uint32_t seq, uint32_t type, const void *data, size_t len)
{
	struct ctl_conn	*c;

	TAILQ_FOREACH(c, &ctl_conns, entry)
		if (c->filter_seq == seq && seq != 0)
			break;
	if (c == NULL)
		return;		/* the client went away */
	if (type == IMSG_CTL_END)
		c->filter_seq = 0;
	if (imsg_compose(&c->ibuf, type, 0, 0, -1, data, len) == -1) {
		log_warn("control: show filter");
		c->broken = 1;
	}
	control_event_add(c);
}

static void
control_request(struct ctl_conn *c, struct imsg *imsg)
{
	char	 err[MESH_RESULT_MAX];
	int	 v;

	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_SHOW_STATUS:
		(void)stats_request(c, IMSG_CTL_SHOW_STATUS, "");
		return;
	case IMSG_CTL_SHOW_PEERS:
		show_peers(c, imsg);
		return;
	case IMSG_CTL_SHOW_CONFIG:
		show_config(c);
		return;
	case IMSG_CTL_SHOW_MESH:
		if (imsg_get_len(imsg) != 0) {
			control_result(c, EINVAL, "malformed show mesh "
			    "request");
			return;
		}
		(void)stats_request(c, IMSG_CTL_SHOW_MESH, "");
		return;
	case IMSG_CTL_SHOW_FILTER:
	case IMSG_CTL_SHOW_STATES:
		filter_request(c, imsg);
		return;
	case IMSG_CTL_NETCHECK:
		if (imsg_get_len(imsg) != 0) {
			control_result(c, EINVAL, "malformed netcheck "
			    "request");
			return;
		}
		netcheck_request(c);
		return;
	case IMSG_CTL_SHOW_DNS:
		if (imsg_get_len(imsg) != 0) {
			control_result(c, EINVAL, "malformed show dns "
			    "request");
			return;
		}
		dns_request(c);
		return;
	case IMSG_CTL_CLIENT_LIST:
		if (imsg_get_len(imsg) != 0) {
			control_result(c, EINVAL, "malformed client list "
			    "request");
			return;
		}
		if ((v = conc_client_list(&c->ibuf, err, sizeof(err))) != 0)
			control_result(c, v, err);
		else
			imsg_compose(&c->ibuf, IMSG_CTL_END, 0, 0, -1, NULL,
			    0);
		return;
	case IMSG_CTL_CLIENT_ADD:
	case IMSG_CTL_CLIENT_REMOVE:
	case IMSG_CTL_RELOAD:
	case IMSG_CTL_LOG_VERBOSE:
		break;
	default:
		log_debug("control: unknown request %u", imsg_get_type(imsg));
		control_result(c, EINVAL, "unknown request");
		return;
	}

	/* the rest change state: never on the restricted socket */
	if (c->restricted) {
		control_result(c, EPERM, "permission denied: read-only "
		    "socket");
		return;
	}
	/* and root only */
	if (c->uid != 0) {
		control_result(c, EPERM, "permission denied: this request "
		    "needs root");
		return;
	}
	if (imsg_get_type(imsg) == IMSG_CTL_RELOAD) {
		control_reload(c);
		return;
	}
	if (imsg_get_type(imsg) != IMSG_CTL_LOG_VERBOSE) {
		control_client(c, imsg);
		return;
	}
	if (imsg_get_data(imsg, &v, sizeof(v)) == -1 || v < 0 || v > 2) {
		control_result(c, EINVAL, "malformed log request");
		return;
	}
	parent_set_verbose(v);
	control_result(c, 0, v ? "logging verbose" : "logging brief");
}

static void
control_dispatch(int fd, short event, void *arg)
{
	struct ctl_conn	*c = arg;
	struct imsg	 imsg;
	ssize_t		 n;

	if (c->broken) {
		control_close(c);
		return;
	}
	if (event & EV_READ) {
		if (imsgbuf_read(&c->ibuf) != 1) {
			control_close(c);
			return;
		}
	}
	if (event & EV_WRITE) {
		if (imsgbuf_write(&c->ibuf) == -1) {
			control_close(c);
			return;
		}
		parent_trim_check();
	}
	for (;;) {
		if ((n = imsgbuf_get(&c->ibuf, &imsg)) == -1) {
			/* a garbled stream: nothing more can be trusted */
			log_debug("control: bad message, closing");
			control_close(c);
			return;
		}
		if (n == 0)
			break;
		control_request(c, &imsg);
		imsg_free(&imsg);
		if (c->broken) {
			control_close(c);
			return;
		}
		if (imsgbuf_queuelen(&c->ibuf) > CONTROL_MAX_QUEUE) {
			log_warnx("control: client does not read, closing");
			control_close(c);
			return;
		}
	}
	control_event_add(c);
}
