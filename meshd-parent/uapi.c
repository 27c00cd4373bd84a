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
 * wg(8)'s UAPI socket, /var/run/wireguard/IFNAME.sock, as wireguard-go
 * serves it: root only (0600 in a 0755 directory), one connection per
 * client, operations "get=1" and "set=1" one after the other, each
 * answered with "errno=N" and a blank line.  A get asks the children
 * for the counters and meshd-crypto for the keys (uapi_get.c); a set is
 * parsed whole (uapi_parse.c) and applied as a reload (uapi_set.c).
 * Key bytes pass through here on their way in or out and are wiped as
 * soon as they are written on.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <event.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "parent.h"
#include "uapi.h"
#include "uapi_local.h"

#define UAPI_IN_MAX	(64 * 1024 * 1024)	/* 130,000 prefixes fit */
#define UAPI_CONNS_MAX	16

static int			 uapi_fd = -1;
static char			 uapi_path[sizeof(((struct sockaddr_un *)
				    NULL)->sun_path)];
static struct event		 uapi_ev;
static TAILQ_HEAD(, uapi_conn)	 conns = TAILQ_HEAD_INITIALIZER(conns);
static size_t			 nconns;

static void	 uapi_accept(int, short, void *);
static void	 conn_read(int, short, void *);
static void	 conn_write(int, short, void *);
static void	 conn_next(struct uapi_conn *);

static void
conn_retry(int fd, short event, void *arg)
{
	conn_next(arg);
}

/* a live socket is another daemon's: refused; a stale one replaced */
static int
uapi_bind(int fd, struct sockaddr_un *sun)
{
	mode_t	old;
	int	probe, r;

	if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	r = connect(probe, (struct sockaddr *)sun, sizeof(*sun));
	close(probe);
	if (r == 0) {
		log_warnx("%s is in use: another WireGuard implementation "
		    "serves this interface", sun->sun_path);
		errno = EADDRINUSE;
		return -1;
	}
	if (unlink(sun->sun_path) == -1 && errno != ENOENT)
		return -1;
	old = umask(0077);
	r = bind(fd, (struct sockaddr *)sun, sizeof(*sun));
	umask(old);
	if (r == -1 || chmod(sun->sun_path, 0600) == -1)
		return -1;
	return 0;
}

int
uapi_init(const char *ifname)
{
	struct sockaddr_un	sun;
	struct stat		sb;
	const char		*dir, *tdir;
	char			 nsdir[PATH_MAX];

	/*
	 * Tests only (meshd.8, ENVIRONMENT): the path is the host's, not the
	 * network namespace's, so regress/lib.sh gives each test a
	 * directory, in which each namespace has its own: nodes with one
	 * interface name do not meet.
	 */
	dir = UAPI_SOCK_DIR;
	if ((tdir = getenv("MESHD_UAPI_DIR")) != NULL && *tdir != '\0') {
		if (stat("/proc/self/ns/net", &sb) == -1 ||
		    (size_t)snprintf(nsdir, sizeof(nsdir), "%s/%llu", tdir,
		    (unsigned long long)sb.st_ino) >= sizeof(nsdir)) {
			log_warnx("MESHD_UAPI_DIR %s: no directory", tdir);
			return -1;
		}
		dir = nsdir;
	}
	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		log_warn("mkdir %s", dir);
		return -1;
	}
	if (stat(dir, &sb) == -1 || !S_ISDIR(sb.st_mode) ||
	    sb.st_uid != 0 || (sb.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		log_warnx("%s: not a directory only root may write", dir);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s.sock",
	    dir, ifname) >= sizeof(sun.sun_path)) {
		log_warnx("UAPI socket path for %s is too long", ifname);
		return -1;
	}
	if ((uapi_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1 || uapi_bind(uapi_fd, &sun) == -1) {
		if (errno != EADDRINUSE)
			log_warn("UAPI socket %s", sun.sun_path);
		if (uapi_fd != -1)
			close(uapi_fd);
		uapi_fd = -1;
		return -1;
	}
	(void)strlcpy(uapi_path, sun.sun_path, sizeof(uapi_path));
	return 0;
}

/* wg(8) gets its answers once the first config is out */
void
uapi_listen(void)
{
	if (uapi_fd == -1)
		return;
	if (listen(uapi_fd, 16) == -1)
		fatal("UAPI listen");
	event_set(&uapi_ev, uapi_fd, EV_READ | EV_PERSIST, uapi_accept, NULL);
	event_add(&uapi_ev, NULL);
}

void
uapi_cleanup(void)
{
	if (uapi_path[0] != '\0')
		(void)unlink(uapi_path);
	uapi_path[0] = '\0';
}

static void
uapi_accept(int fd, short event, void *arg)
{
	struct uapi_conn	*c;
	struct ucred		 cred;
	socklen_t		 len = sizeof(cred);
	int			 cfd;

	if ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("UAPI accept");
		return;
	}
	/* 0600 keeps others out; this says so again where it counts */
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    cred.uid != 0 || nconns >= UAPI_CONNS_MAX) {
		close(cfd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("UAPI");
		close(cfd);
		return;
	}
	c->fd = cfd;
	event_set(&c->rev, cfd, EV_READ | EV_PERSIST, conn_read, c);
	event_set(&c->wev, cfd, EV_WRITE, conn_write, c);
	evtimer_set(&c->retry, conn_retry, c);
	event_add(&c->rev, NULL);
	TAILQ_INSERT_TAIL(&conns, c, entry);
	nconns++;
}

/* a buffer that may hold key text: grown by copy, the old one wiped */
int
ubuf_add(struct ubuf *b, const void *p, size_t len)
{
	uint8_t	*nb;
	size_t	 nmax;

	if (b->len + len > b->max) {
		nmax = b->max == 0 ? 4096 : b->max;
		while (nmax < b->len + len)
			nmax *= 2;
		if ((nb = malloc(nmax)) == NULL)
			return -1;
		if (b->len > 0)
			memcpy(nb, b->buf + b->off, b->len - b->off);
		if (b->buf != NULL)
			freezero(b->buf, b->max);
		b->len -= b->off;
		b->off = 0;
		b->buf = nb;
		b->max = nmax;
	}
	memcpy(b->buf + b->len, p, len);
	b->len += len;
	return 0;
}

/* the first n unread bytes are used: wiped */
void
ubuf_drop(struct ubuf *b, size_t n)
{
	explicit_bzero(b->buf + b->off, n);
	b->off += n;
	if (b->off == b->len)
		b->off = b->len = 0;
}

void
ubuf_free(struct ubuf *b)
{
	if (b->buf != NULL)
		freezero(b->buf, b->max);
	memset(b, 0, sizeof(*b));
}

void
uapi_conn_close(struct uapi_conn *c)
{
	event_del(&c->rev);
	event_del(&c->wev);
	evtimer_del(&c->retry);
	close(c->fd);
	ubuf_free(&c->in);
	ubuf_free(&c->out);
	uapi_get_abort(c);
	uapi_set_abort(c);
	TAILQ_REMOVE(&conns, c, entry);
	nconns--;
	free(c);
}

/* the answer to the operation: text (may be empty) and errno=code */
void
uapi_reply(struct uapi_conn *c, int code)
{
	char	line[32];
	int	n;

	c->busy = 0;
	n = snprintf(line, sizeof(line), "errno=%d\n\n", code);
	if (ubuf_add(&c->out, line, n) == -1) {
		uapi_conn_close(c);
		return;
	}
	conn_write(c->fd, EV_WRITE, c);
}

static void
conn_write(int fd, short event, void *arg)
{
	struct uapi_conn	*c = arg;
	ssize_t			 n;

	while (c->out.len > c->out.off) {
		n = write(fd, c->out.buf + c->out.off,
		    c->out.len - c->out.off);
		if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			event_add(&c->wev, NULL);
			return;
		}
		if (n <= 0) {
			uapi_conn_close(c);
			return;
		}
		/* a get's keys are wiped as soon as they are written */
		ubuf_drop(&c->out, n);
	}
	conn_next(c);
}

static void
conn_read(int fd, short event, void *arg)
{
	struct uapi_conn	*c = arg;
	uint8_t			 buf[16384];
	ssize_t			 n;

	n = read(fd, buf, sizeof(buf));
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == 0) {
		/* the client is done writing: what it sent is answered */
		c->eof = 1;
		event_del(&c->rev);
		conn_next(c);
		return;
	}
	if (n < 0 || c->in.len - c->in.off + n > UAPI_IN_MAX ||
	    ubuf_add(&c->in, buf, n) == -1) {
		explicit_bzero(buf, sizeof(buf));
		/* a set in flight finishes; its answer has no reader */
		uapi_conn_close(c);
		return;
	}
	explicit_bzero(buf, sizeof(buf));
	conn_next(c);
}

/* the end of a set: the blank line after "set=1\n"; its offset or -1 */
static ssize_t
set_end(const uint8_t *p, size_t len)
{
	size_t	i;

	if (len > 0 && p[0] == '\n')
		return 0;
	for (i = 1; i < len; i++)
		if (p[i] == '\n' && p[i - 1] == '\n')
			return i;
	return -1;
}

/* the next whole operation in c->in, if it came and none is running */
static void
conn_next(struct uapi_conn *c)
{
	uint8_t		*p;
	size_t		 len;
	ssize_t		 end;
	struct timeval	 tv = { 0, 20000 };
	int		 code;

	if (c->busy || c->out.len > c->out.off)
		return;
	len = c->in.len - c->in.off;
	if (len < 7) {
		if (c->eof)
			uapi_conn_close(c);
		return;
	}
	p = c->in.buf + c->in.off;
	if (memcmp(p, "get=1\n\n", 7) == 0) {
		ubuf_drop(&c->in, 7);
		c->busy = 1;
		uapi_get_start(c);
	} else if (memcmp(p, "get=1\n", 6) == 0) {
		/* wireguard-go: a trailing character */
		ubuf_drop(&c->in, 7);
		uapi_reply(c, UAPI_EINVAL);
	} else if (memcmp(p, "set=1\n", 6) == 0) {
		if ((end = set_end(p + 6, len - 6)) == -1) {
			if (c->eof)
				uapi_conn_close(c);
			return;
		}
		c->busy = 1;
		code = uapi_set_start(c, (const char *)p + 6, end);
		if (code == UAPI_RETRY) {
			c->busy = 0;
			evtimer_add(&c->retry, &tv);
			return;
		}
		ubuf_drop(&c->in, 6 + end + 1);
		if (code != UAPI_PENDING)
			uapi_reply(c, code);
	} else
		uapi_conn_close(c);	/* what wireguard-go does too */
}
