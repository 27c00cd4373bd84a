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
 * Prometheus metrics, the parent's part.  metrics-listen's TCP sockets
 * are bound here (root: any port; a mesh address before it is on the
 * interface, with IP_FREEBIND) and passed to meshd-net, which accepts
 * and speaks HTTP (meshd-net/metrics.c): the process that parses a
 * stranger's bytes is one that holds no key.  For each scrape net asks
 * (METRICS_REQ); the counters are gathered from every child as for
 * meshctl show peers (control.c), the processes' CPU time and memory
 * read from /proc (the parent is root: the children's smaps_rollup is
 * not readable by them, being not dumpable), and the text built here,
 * next to the data, from numbers and names only the config and verified
 * certificates gave.  net gets the text in chunks and sends it.
 *
 * A net that asks too often (a bug, or a compromised one) gets no more
 * than METRICS_PENDING scrapes gathered at once; the rest get an error.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "members.h"
#include "metrics.h"
#include "parent.h"

#define METRICS_BACKLOG		16
#define METRICS_PENDING		16	/* scrapes gathered at once */
#define METRICS_SESSION_AGE	180	/* REJECT_AFTER_TIME: a session */

static struct tcp_listen_set	 listeners = { .type = IMSG_METRICS_LISTEN,
				    .what = "metrics" };
static int		 pending;

/* 1 if ss holds the address of a */
static int
addr_is(const struct mesh_prefix *a, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)ss;

	if (a->af == 4 && ss->ss_family == AF_INET)
		return memcmp(a->addr, &sin->sin_addr, 4) == 0;
	if (a->af == 6 && ss->ss_family == AF_INET6)
		return memcmp(a->addr, &sin6->sin6_addr, 16) == 0;
	return 0;
}

/*
 * 1 if ss is an address the interface gets, from the config or our
 * certificate (bound with IP_FREEBIND: it may not be there yet)
 */
static int
iface_addr(const struct meshd_conf *conf, const struct sockaddr_storage *ss)
{
	size_t	i;

	for (i = 0; i < conf->iface.naddrs; i++)
		if (addr_is(&conf->iface.addrs[i], ss))
			return 1;
	for (i = 0; conf->has_mesh && i < conf->mesh.c.naddrs; i++)
		if (addr_is(&conf->mesh.c.addrs[i], ss))
			return 1;
	return 0;
}

/* a listening socket on sl; -1 and err if not */
static int
metrics_socket(const struct stream_listen *sl, void *arg, char *err,
    size_t errlen)
{
	const struct meshd_conf	*conf = arg;
	int	fd, on = 1;

	if ((fd = socket(sl->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		goto fail;
	/* a reload binds the new set while net still holds the old */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ==
	    -1 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on,
	    sizeof(on)) == -1)
		goto fail;
	if (sl->ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1)
		goto fail;
	/* a mesh address may not be on the interface yet */
	if (iface_addr(conf, &sl->ss) && (sl->ss.ss_family == AF_INET ?
	    setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &on, sizeof(on)) :
	    setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &on,
	    sizeof(on))) == -1)
		goto fail;
	if (bind(fd, (const struct sockaddr *)&sl->ss, sl->sslen) == -1 ||
	    listen(fd, METRICS_BACKLOG) == -1)
		goto fail;
	return fd;
fail:
	(void)snprintf(err, errlen, "metrics-listen %s: %s", sl->str,
	    strerror(errno));
	if (fd != -1)
		close(fd);
	return -1;
}

/* the listeners of conf, when they changed: -1 and err if not */
static int
metrics_listeners(struct meshd_conf *conf, char *err, size_t errlen)
{
	return tcp_listen_update(&listeners, conf->metrics, conf->nmetrics,
	    metrics_socket, conf, err, errlen);
}

/*
 * At start (a listener that cannot be bound stops meshd) and after each
 * reload (the old listeners stay, with a warning).
 */
void
metrics_reconf(struct meshd_conf *conf, int start)
{
	char	err[256];

	if (metrics_listeners(conf, err, sizeof(err)) == -1) {
		log_warnx("%s%s", err, start ? "" : " (the metrics listeners "
		    "stay as they were)");
		if (start)
			parent_shutdown(1);
	}
}

static void
metrics_end(uint32_t scrape, int32_t code)
{
	imsg_compose_event(&parent.children[PROC_NET].iev, IMSG_METRICS_END,
	    scrape, 0, -1, &code, sizeof(code));
}

/* METRICS_REQ from net */
void
metrics_request(struct imsgev *iev, struct imsg *imsg)
{
	uint32_t	scrape = imsg_get_id(imsg);

	if (imsg_get_len(imsg) != 0)
		fatalx("METRICS_REQ: bad length");
	if (pending >= METRICS_PENDING) {
		metrics_end(scrape, EBUSY);
		return;
	}
	if (control_metrics(scrape) == -1) {
		log_warn("metrics");
		metrics_end(scrape, ENOMEM);
		return;
	}
	pending++;
}

/* user and system time of pid in seconds, from /proc; -1 unknown */
static double
proc_cpu(pid_t pid)
{
	char			 path[64], buf[1024], *p, *save = NULL;
	unsigned long long	 ut = 0, st = 0;
	FILE			*f;
	size_t			 n;
	int			 i;
	long			 hz = sysconf(_SC_CLK_TCK);

	(void)snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (pid <= 0 || hz <= 0 || (f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* the command name may hold blanks: fields count from its ')' */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	/* field 3 (state) is the first token; utime is 14, stime 15 */
	p = strtok_r(p + 1, " ", &save);
	for (i = 3; p != NULL && i < 15; i++) {
		if (i == 14)
			ut = strtoull(p, NULL, 10);
		p = strtok_r(NULL, " ", &save);
	}
	if (p == NULL)
		return -1;
	st = strtoull(p, NULL, 10);
	return (double)(ut + st) / hz;
}

/* the number of a "Name:   N kB" line of file, in bytes; -1 none */
static long long
proc_kb(const char *file, const char *name)
{
	char		 line[256];
	size_t		 len = strlen(name);
	long long	 v = -1;
	FILE		*f;

	if ((f = fopen(file, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, name, len) == 0) {
			v = strtoll(line + len, NULL, 10) * 1024;
			break;
		}
	fclose(f);
	return v;
}

/* PSS (shared pages, the packet channels, counted once), else RSS */
static void
proc_mem(pid_t pid, struct metrics_proc *mp)
{
	char		 path[64];
	long long	 v;

	mp->memkind = NULL;
	if (pid <= 0)
		return;
	(void)snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	if ((v = proc_kb(path, "Pss:")) >= 0) {
		mp->mem = v;
		mp->memkind = "pss";
		return;
	}
	(void)snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((v = proc_kb(path, "VmRSS:")) >= 0) {
		mp->mem = v;
		mp->memkind = "rss";
	}
}

struct peer_list {
	struct metrics_peer	*p;
	size_t			 n, cap;
	int			 error;
};

static void
peer_add(const struct ctl_peer *cp, void *arg)
{
	struct peer_list	*pl = arg;
	struct metrics_peer	*np;

	if (pl->error)
		return;
	if (pl->n == pl->cap) {
		if ((np = reallocarray(pl->p, pl->cap + 64,
		    sizeof(*np))) == NULL) {
			pl->error = 1;
			return;
		}
		pl->p = np;
		pl->cap += 64;
	}
	metrics_peer_fill(&pl->p[pl->n++], cp);
}

/* the rest of the snapshot: processes, the mesh, the start */
static void
snapshot_fill(struct metrics_snapshot *s, const struct peer_list *pl)
{
	struct timespec		 now;
	time_t			 t = time(NULL);
	enum meshd_role		 r;
	pid_t			 pid;
	size_t			 i;

	s->ifname = parent.conf->iface.name;
	clock_gettime(CLOCK_MONOTONIC, &now);
	s->start_time = t - (now.tv_sec - parent.started.tv_sec);
	s->peers = pl->p;
	s->npeers = pl->n;
	for (r = PROC_PARENT; r < PROC_MAX; r++) {
		pid = r == PROC_PARENT ? getpid() : parent.children[r].pid;
		s->procs[r].pid = pid;
		s->procs[r].cpu = proc_cpu(pid);
		proc_mem(pid, &s->procs[r]);
	}
	s->has_mesh = parent.conf->has_mesh;
	s->members = members_count(CTL_STATE_MEMBER);
	s->revoked = members_count(CTL_STATE_REVOKED);
	s->crl_serial = members_crl()->crl_serial;
	for (i = 0; i < pl->n; i++) {
		if (!pl->p[i].coordinator ||
		    pl->p[i].source != CTL_SOURCE_CONFIG)
			continue;
		s->coordinators++;
		if (pl->p[i].hs_state == MESH_HS_ESTABLISHED &&
		    t - pl->p[i].latest_handshake < METRICS_SESSION_AGE)
			s->coord_sessions++;
	}
}

/* the text in METRICS_TEXT chunks; -1 if it could not be made */
static int
metrics_send(uint32_t scrape, const struct metrics_snapshot *s)
{
	FILE	*f;
	char	*text = NULL;
	size_t	 len = 0, off, n;

	if ((f = open_memstream(&text, &len)) == NULL)
		return -1;
	metrics_text(f, s);
	if (fclose(f) == EOF) {
		free(text);
		return -1;
	}
	for (off = 0; off < len; off += n) {
		n = len - off < MESH_CONFIG_CHUNK ? len - off :
		    MESH_CONFIG_CHUNK;
		imsg_compose_event(&parent.children[PROC_NET].iev,
		    IMSG_METRICS_TEXT, scrape, 0, -1, text + off, n);
	}
	free(text);
	return 0;
}

/* control.c gathered a scrape's counters: the text to net */
void
metrics_reply(uint32_t scrape, struct stats_req *r,
    const struct mesh_peer_stats *global)
{
	struct metrics_snapshot	 s;
	struct peer_list	 pl;

	if (pending > 0)
		pending--;
	memset(&s, 0, sizeof(s));
	memset(&pl, 0, sizeof(pl));
	s.global = global;
	control_metrics_peers(r, peer_add, &pl);
	snapshot_fill(&s, &pl);
	if (pl.error || metrics_send(scrape, &s) == -1) {
		log_warn("metrics");
		metrics_end(scrape, ENOMEM);
	} else
		metrics_end(scrape, 0);
	free(pl.p);
}
