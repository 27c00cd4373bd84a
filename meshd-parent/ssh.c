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
 * Stream transports, the parent's part: serve stream's listening TCP
 * sockets (opened at start and when a reload changes them, passed to
 * net, which only accepts on them), and the SSH transport's clients.
 *
 * For each config peer with an ssh line the parent runs the system's
 * OpenSSH client as the daemon's unprivileged user, in batch mode with
 * host key checking on against the known-hosts-file the operator names,
 * with -W to the remote meshd's serve stream listener.  Its stdin and
 * stdout are one end of a socketpair whose other end goes to net as a
 * stream connection (stream.c); its stderr comes back here on a pipe.
 * When it exits (the server refused us, the network went, net closed
 * its end) the last line it wrote is logged with the exit status, and
 * it is started again after a backoff that doubles up to SSH_BACKOFF_MAX
 * and starts over once a client ran for SSH_STABLE seconds.
 *
 * Why as the unprivileged user: ssh parses what a remote server sends
 * (a large attack surface) and needs no privilege for a -W forward.  The
 * identity file and the known-hosts file must therefore be readable by
 * that user (meshd.conf(5) says so); a key only root can read is a
 * failure logged in ssh's words.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exit.h"
#include "log.h"
#include "parent.h"

#ifndef MESHD_SSH
#define MESHD_SSH		"/usr/bin/ssh"
#endif
#define SSH_BACKOFF_MIN		1	/* seconds */
#define SSH_BACKOFF_MAX		60
#define SSH_STABLE		60	/* ran this long: backoff starts over */
#define SSH_LINE_MAX		256

struct ssh_client {
	TAILQ_ENTRY(ssh_client)	 entry;
	uint32_t		 peer;
	char			 name[MESH_NAME_MAX];
	char			 target[MESH_SSH_MAX];
	char			 identity[PATH_MAX];
	char			 known_hosts[PATH_MAX];
	char			 remote[MESH_ENDPOINT_MAX];
	pid_t			 pid;		/* 0: not running */
	int			 errfd;		/* its stderr; -1 */
	struct event		 errev;
	struct event		 timer;		/* the next start */
	char			 line[SSH_LINE_MAX];	/* being read */
	size_t			 linelen;
	char			 last[SSH_LINE_MAX];	/* last whole line */
	int			 backoff;
	struct timespec		 started;
	int			 gone;		/* its peer left the config */
};

static TAILQ_HEAD(, ssh_client)	 clients = TAILQ_HEAD_INITIALIZER(clients);
static struct tcp_listen_set	 listeners = { .type = IMSG_STREAM_LISTEN,
				    .what = "serve stream" };

static void	ssh_start(struct ssh_client *);

/* "user@host[:port]" or "user@[v6]:port": its three parts */
static int
ssh_split(const char *target, char *user, size_t ulen, char *host,
    size_t hlen, char *port, size_t plen)
{
	const char	*at, *h, *end, *colon;
	size_t		 n;

	if ((at = strchr(target, '@')) == NULL ||
	    (size_t)(at - target) >= ulen)
		return -1;
	memcpy(user, target, at - target);
	user[at - target] = '\0';
	h = at + 1;
	(void)strlcpy(port, "22", plen);
	if (*h == '[') {
		if ((end = strchr(h, ']')) == NULL)
			return -1;
		colon = end[1] == ':' ? end + 1 : NULL;
		h++;
		n = end - h;
	} else {
		colon = strrchr(h, ':');
		n = colon != NULL ? (size_t)(colon - h) : strlen(h);
	}
	if (n == 0 || n >= hlen || h[0] == '-')
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	if (colon != NULL && strlcpy(port, colon + 1, plen) >= plen)
		return -1;
	return 0;
}

/* the SSH server's address, shown as the peer's endpoint */
static void
ssh_addr(const char *host, const char *port, struct mesh_stream_msg *sm)
{
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
	int			 p = atoi(port);

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(p);
	if (inet_pton(AF_INET6, host, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(p);
		memcpy(sm->addr, &sin6, sizeof(sin6));
		sm->addrlen = sizeof(sin6);
		return;
	}
	/* a host name: ssh resolves it; 0.0.0.0 with the port is shown */
	(void)inet_pton(AF_INET, host, &sin.sin_addr);
	memcpy(sm->addr, &sin, sizeof(sin));
	sm->addrlen = sizeof(sin);
}

/* in the child, after fork: ssh as the unprivileged user */
static __attribute__((__noreturn__)) void
ssh_exec(struct ssh_client *sc, int sock, int errfd, const char *user,
    const char *host, const char *port)
{
	struct passwd	*pw;
	char		 kh[PATH_MAX + 32], id[PATH_MAX + 32];
	const char	*remote = sc->remote[0] != '\0' ? sc->remote :
			    STREAM_DEFAULT;
	char *const	 env[] = { "PATH=/usr/bin:/bin", NULL };
	const char	*argv[48];
	int		 n = 0;

	if (dup2(sock, STDIN_FILENO) == -1 ||
	    dup2(sock, STDOUT_FILENO) == -1 ||
	    dup2(errfd, STDERR_FILENO) == -1)
		_exit(127);
	closefrom(STDERR_FILENO + 1);
	if ((pw = getpwnam(parent.conf->iface.user)) == NULL) {
		dprintf(STDERR_FILENO, "no user %s\n",
		    parent.conf->iface.user);
		_exit(127);
	}
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		dprintf(STDERR_FILENO, "cannot become %s: %s\n", pw->pw_name,
		    strerror(errno));
		_exit(127);
	}
	(void)snprintf(kh, sizeof(kh), "UserKnownHostsFile=%s",
	    sc->known_hosts[0] != '\0' ? sc->known_hosts :
	    SSH_KNOWN_HOSTS_DEFAULT);
	(void)snprintf(id, sizeof(id), "IdentityFile=%s", sc->identity);
	argv[n++] = "ssh";
	argv[n++] = "-F";		/* no ssh_config: only what is here */
	argv[n++] = "none";
	argv[n++] = "-o"; argv[n++] = "BatchMode=yes";
	argv[n++] = "-o"; argv[n++] = "StrictHostKeyChecking=yes";
	argv[n++] = "-o"; argv[n++] = kh;
	argv[n++] = "-o"; argv[n++] = "GlobalKnownHostsFile=/dev/null";
	argv[n++] = "-o"; argv[n++] = "UpdateHostKeys=no";
	argv[n++] = "-o"; argv[n++] = id;
	argv[n++] = "-o"; argv[n++] = "IdentitiesOnly=yes";
	argv[n++] = "-o"; argv[n++] = "IdentityAgent=none";
	argv[n++] = "-o"; argv[n++] = "ProxyCommand=none";
	argv[n++] = "-o"; argv[n++] = "ControlPath=none";
	argv[n++] = "-o"; argv[n++] = "PermitLocalCommand=no";
	argv[n++] = "-o"; argv[n++] = "ConnectTimeout=10";
	argv[n++] = "-o"; argv[n++] = "ServerAliveInterval=10";
	argv[n++] = "-o"; argv[n++] = "ServerAliveCountMax=3";
	argv[n++] = "-o"; argv[n++] = "LogLevel=ERROR";
	argv[n++] = "-l"; argv[n++] = user;
	argv[n++] = "-p"; argv[n++] = port;
	argv[n++] = "-W"; argv[n++] = remote;
	argv[n++] = "--";
	argv[n++] = host;
	argv[n] = NULL;
	/* execve's argv is char *const[]: the strings are not changed */
	execve(MESHD_SSH, (char *const *)(uintptr_t)argv, env);
	dprintf(STDERR_FILENO, "cannot run %s: %s\n", MESHD_SSH,
	    strerror(errno));
	_exit(127);
}

static void
ssh_err_line(struct ssh_client *sc)
{
	sc->line[sc->linelen] = '\0';
	if (sc->linelen > 0) {
		(void)strlcpy(sc->last, sc->line, sizeof(sc->last));
		log_debug("peer %s: ssh: %s", sc->name, sc->line);
	}
	sc->linelen = 0;
}

/* what ssh wrote on stderr: lines, the last one kept; 0 at its end */
static int
ssh_err_drain(struct ssh_client *sc)
{
	char	buf[512];
	ssize_t	n, i;

	while ((n = read(sc->errfd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				ssh_err_line(sc);
				continue;
			}
			if (buf[i] == '\r')
				continue;
			/* only printable bytes reach the log */
			if (sc->linelen < sizeof(sc->line) - 1)
				sc->line[sc->linelen++] =
				    (buf[i] >= 0x20 && buf[i] < 0x7f) ?
				    buf[i] : '?';
		}
	}
	if (n == 0) {
		ssh_err_line(sc);
		return 0;
	}
	return errno == EAGAIN || errno == EINTR;
}

static void
ssh_err_read(int fd, short event, void *arg)
{
	struct ssh_client	*sc = arg;

	if (ssh_err_drain(sc) == 0) {
		event_del(&sc->errev);
		close(sc->errfd);
		sc->errfd = -1;
	}
}

static void
ssh_timer(int fd, short event, void *arg)
{
	ssh_start(arg);
}

static void
ssh_start(struct ssh_client *sc)
{
	struct mesh_stream_msg	 sm;
	char			 user[MESH_SSH_MAX], host[MESH_SSH_MAX];
	char			 port[16];
	int			 sp[2], ep[2];
	pid_t			 pid;

	if (ssh_split(sc->target, user, sizeof(user), host, sizeof(host),
	    port, sizeof(port)) == -1) {
		log_warnx("peer %s: ssh \"%s\" is not user@host[:port]",
		    sc->name, sc->target);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1 ||
	    pipe2(ep, O_CLOEXEC) == -1) {
		log_warn("peer %s: ssh", sc->name);
		return;
	}
	if ((pid = fork()) == -1) {
		log_warn("peer %s: ssh: fork", sc->name);
		close(sp[0]); close(sp[1]); close(ep[0]); close(ep[1]);
		return;
	}
	if (pid == 0)
		ssh_exec(sc, sp[1], ep[1], user, host, port);
	close(sp[1]);
	close(ep[1]);
	sc->pid = pid;
	clock_gettime(CLOCK_MONOTONIC, &sc->started);
	sc->errfd = ep[0];
	sc->linelen = 0;
	sc->last[0] = '\0';
	if (fcntl(sc->errfd, F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(sp[0], F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
	event_set(&sc->errev, sc->errfd, EV_READ | EV_PERSIST, ssh_err_read,
	    sc);
	event_add(&sc->errev, NULL);
	memset(&sm, 0, sizeof(sm));
	sm.peer = sc->peer;
	ssh_addr(host, port, &sm);
	imsg_compose_event(&parent.children[PROC_NET].iev, IMSG_STREAM_FD,
	    0, 0, sp[0], &sm, sizeof(sm));
	log_info("peer %s: ssh %s started (pid %d), -W %s", sc->name,
	    sc->target, (int)pid, sc->remote[0] != '\0' ? sc->remote :
	    STREAM_DEFAULT);
}

static void
ssh_free(struct ssh_client *sc)
{
	if (evtimer_pending(&sc->timer, NULL))
		evtimer_del(&sc->timer);
	if (sc->errfd != -1) {
		event_del(&sc->errev);
		close(sc->errfd);
	}
	TAILQ_REMOVE(&clients, sc, entry);
	free(sc);
}

int
ssh_reaped(pid_t pid, int status)
{
	struct ssh_client	*sc;
	struct timespec		 now;
	struct timeval		 tv;
	char			 how[64];

	TAILQ_FOREACH(sc, &clients, entry)
		if (sc->pid == pid)
			break;
	if (sc == NULL)
		return 0;
	sc->pid = 0;
	if (sc->errfd != -1) {
		(void)ssh_err_drain(sc);
		event_del(&sc->errev);
		close(sc->errfd);
		sc->errfd = -1;
	}
	if (sc->gone) {
		ssh_free(sc);
		return 1;
	}
	if (WIFSIGNALED(status))
		(void)snprintf(how, sizeof(how), "killed by signal %d",
		    WTERMSIG(status));
	else
		(void)snprintf(how, sizeof(how), "exit status %d",
		    WEXITSTATUS(status));
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec - sc->started.tv_sec >= SSH_STABLE)
		sc->backoff = SSH_BACKOFF_MIN;
	log_warnx("peer %s: ssh %s exited (%s): %s; again in %d s", sc->name,
	    sc->target, how, sc->last[0] != '\0' ? sc->last :
	    "(it said nothing)", sc->backoff);
	timerclear(&tv);
	tv.tv_sec = sc->backoff;
	evtimer_set(&sc->timer, ssh_timer, sc);
	evtimer_add(&sc->timer, &tv);
	sc->backoff = sc->backoff * 2 > SSH_BACKOFF_MAX ? SSH_BACKOFF_MAX :
	    sc->backoff * 2;
	return 1;
}

static int
ssh_same(const struct ssh_client *sc, const struct peer_conf *p)
{
	return config_peer_has_ssh(p) &&
	    strcmp(sc->target, p->ssh->target) == 0 &&
	    strcmp(sc->identity, p->ssh->identity) == 0 &&
	    strcmp(sc->known_hosts, p->ssh->known_hosts) == 0 &&
	    strcmp(sc->remote, p->ssh->remote) == 0;
}

/* a client goes: its process is stopped, reaped later (ssh_reaped) */
static void
ssh_stop(struct ssh_client *sc)
{
	sc->gone = 1;
	if (sc->pid > 0) {
		kill(sc->pid, SIGTERM);
		return;
	}
	ssh_free(sc);
}

static void
ssh_reconf(struct meshd_conf *conf)
{
	struct ssh_client	*sc, *next;
	struct peer_conf	*p;

	TAILQ_FOREACH_SAFE(sc, &clients, entry, next) {
		if (sc->gone)
			continue;
		TAILQ_FOREACH(p, &conf->peers, entry)
			if (p->id == sc->peer)
				break;
		if (p == NULL || !ssh_same(sc, p))
			ssh_stop(sc);
		else
			(void)strlcpy(sc->name, p->name, sizeof(sc->name));
	}
	TAILQ_FOREACH(p, &conf->peers, entry) {
		if (!config_peer_has_ssh(p))
			continue;
		TAILQ_FOREACH(sc, &clients, entry)
			if (!sc->gone && sc->peer == p->id)
				break;
		if (sc != NULL)
			continue;
		if ((sc = calloc(1, sizeof(*sc))) == NULL)
			fatal(NULL);
		sc->peer = p->id;
		sc->errfd = -1;
		sc->backoff = SSH_BACKOFF_MIN;
		(void)strlcpy(sc->name, p->name, sizeof(sc->name));
		(void)strlcpy(sc->target, p->ssh->target, sizeof(sc->target));
		(void)strlcpy(sc->identity, p->ssh->identity,
		    sizeof(sc->identity));
		(void)strlcpy(sc->known_hosts, p->ssh->known_hosts,
		    sizeof(sc->known_hosts));
		(void)strlcpy(sc->remote, p->ssh->remote, sizeof(sc->remote));
		evtimer_set(&sc->timer, ssh_timer, sc);
		TAILQ_INSERT_TAIL(&clients, sc, entry);
		ssh_start(sc);
	}
}

/* one listening TCP socket for serve stream: its fd, or -1 and err */
static int
stream_socket(const struct stream_listen *sl, void *arg, char *err,
    size_t errlen)
{
	char	why[128];
	int	fd;

	if ((fd = tcp_listen_socket(&sl->ss, sl->sslen, 64, why,
	    sizeof(why))) == -1)
		(void)snprintf(err, errlen, "serve stream: listen %s: %s",
		    sl->str, why);
	return fd;
}

/* serve stream's listeners, when they changed: -1 and err if not */
static int
stream_listeners(struct meshd_conf *conf, char *err, size_t errlen)
{
	return tcp_listen_update(&listeners, conf->stream,
	    conf->has_stream ? conf->nstream : 0, stream_socket, NULL, err,
	    errlen);
}

int
stream_reconf(struct meshd_conf *conf, int start)
{
	struct mesh_ladder_msg	 lm;
	char			 err[256];

	memset(&lm, 0, sizeof(lm));
	lm.probe_interval = conf->iface.probe_interval != 0 ?
	    conf->iface.probe_interval : PROBE_INTERVAL_DEFAULT;
	imsg_compose_event(&parent.children[PROC_NET].iev, IMSG_LADDER_CONF,
	    0, 0, -1, &lm, sizeof(lm));
	if (stream_listeners(conf, err, sizeof(err)) == -1) {
		log_warnx("%s%s", err, start ? "" : " (the listeners stay "
		    "as they were)");
		if (start)
			return -1;
	}
	ssh_reconf(conf);
	return 0;
}

void
stream_shutdown(void)
{
	struct ssh_client	*sc;

	TAILQ_FOREACH(sc, &clients, entry)
		if (sc->pid > 0)
			kill(sc->pid, SIGTERM);
}
