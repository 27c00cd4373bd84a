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
 * webserve: the relay's web face (common/web.c) as a plain HTTP server,
 * for regress/interop/web-nginx.t, which compares its answers with
 * nginx's serving the same files.
 *
 *   webserve [-d dir] [-m mtime] port
 *	listens on 127.0.0.1:port and answers every connection (a child
 *	each) with web_answer(): the files under dir, or the built-in
 *	site dated mtime (seconds since the epoch).  Prints "ready" once
 *	listening.  Like nginx it reads and drops a request body, closes
 *	when the answer says so, and closes a connection that sends no
 *	whole head within WEB_HEADER_TIMEOUT or stays idle past
 *	WEB_KEEPALIVE_TIMEOUT.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "web.h"

#define MAX_FILES	256
#define BUF_LEN		(HTTP_HEAD_MAX + 65536)

static struct web_file	files[MAX_FILES];
static size_t		nfiles;
static size_t		rootlen;

static uint8_t *
slurp(const char *path, size_t len)
{
	uint8_t	*p;
	FILE	*f;

	if ((p = malloc(len + 1)) == NULL || (f = fopen(path, "rb")) == NULL)
		err(2, "%s", path);
	if (len > 0 && fread(p, 1, len, f) != len)
		errx(2, "%s: short read", path);
	fclose(f);
	return p;
}

/* what nginx's gzip filter would send, made once */
static int
gzip_file(struct web_file *f)
{
	uint8_t	*gz;
	size_t	 cap;
	ssize_t	 n;

	if (!web_gzip_wanted(f->path, f->len))
		return 0;
	cap = web_gzip_bound(f->len);
	if ((gz = malloc(cap)) == NULL ||
	    (n = web_gzip(f->data, f->len, gz, cap)) == -1)
		errx(2, "%s: cannot compress", f->path);
	f->gz = gz;
	f->gzlen = (size_t)n;
	return 0;
}

static int
add_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	struct web_file	*f;

	if ((type != FTW_F || !S_ISREG(st->st_mode)) && type != FTW_D)
		return 0;
	if (ftw->level == 0)
		return 0;
	if (nfiles == MAX_FILES)
		errx(2, "more than %d files", MAX_FILES);
	f = &files[nfiles++];
	if ((f->path = strdup(path + rootlen)) == NULL)
		err(2, "strdup");
	f->mtime = st->st_mtime;
	if ((f->dir = type == FTW_D))
		return 0;
	f->data = slurp(path, (size_t)st->st_size);
	f->len = (size_t)st->st_size;
	return gzip_file(f);
}

static int
listen_on(uint16_t port)
{
	struct sockaddr_in	sin;
	int			s, one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s, 64) == -1)
		err(2, "127.0.0.1:%u", port);
	return s;
}

static void
write_all(int fd, const void *p, size_t len)
{
	const uint8_t	*b = p;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, b, len)) <= 0)
			exit(0);
		b += n;
		len -= (size_t)n;
	}
}

/* bytes from fd within secs seconds: their count, 0 at EOF or timeout */
static ssize_t
read_some(int fd, uint8_t *p, size_t len, int secs)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };
	ssize_t		n;

	if (poll(&pfd, 1, secs * 1000) <= 0 || (n = read(fd, p, len)) <= 0)
		return 0;
	return n;
}

static void
send_resp(int fd, const struct web_resp *r)
{
	size_t	i;

	write_all(fd, r->head, r->headlen);
	for (i = 0; i < r->nbody; i++)
		write_all(fd, r->body[i].p, r->body[i].len);
}

/* the rest of a body the answer left to drop */
static void
discard(int fd, size_t n)
{
	uint8_t	buf[4096];
	ssize_t	got;

	while (n > 0) {
		got = read_some(fd, buf, n < sizeof(buf) ? n : sizeof(buf),
		    WEB_HEADER_TIMEOUT);
		if (got == 0)
			exit(0);
		n -= (size_t)got;
	}
}

/* like nginx: stop sending, then take what the client still sends */
static void
finish(int fd)
{
	uint8_t	buf[4096];

	shutdown(fd, SHUT_WR);
	while (read_some(fd, buf, sizeof(buf), 2) > 0)
		;
	close(fd);
	exit(0);
}

static void
serve(int fd, struct web_site *site)
{
	static uint8_t		buf[BUF_LEN];
	static struct web_resp	r;
	size_t			len = 0;
	ssize_t			n;
	int			secs = WEB_HEADER_TIMEOUT;

	for (;;) {
		if (len > 0 && web_answer(site, buf, len, time(NULL), &r)) {
			send_resp(fd, &r);
			discard(fd, r.discard);
			if (r.close)
				finish(fd);
			memmove(buf, buf + r.consumed, len - r.consumed);
			len -= r.consumed;
			secs = len > 0 ? WEB_HEADER_TIMEOUT :
			    WEB_KEEPALIVE_TIMEOUT;
			continue;
		}
		if (len == sizeof(buf) || (n = read_some(fd, buf + len,
		    sizeof(buf) - len, secs)) == 0)
			break;
		len += (size_t)n;
		secs = WEB_HEADER_TIMEOUT;
	}
	close(fd);
	exit(0);
}

int
main(int argc, char *argv[])
{
	struct web_site		 site;
	struct sockaddr_in	 sin;
	socklen_t		 sl;
	const char		*dir = NULL;
	time_t			 mtime = time(NULL);
	int			 ch, s, fd;

	while ((ch = getopt(argc, argv, "d:m:")) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'm':
			mtime = (time_t)strtoll(optarg, NULL, 10);
			break;
		default:
			errx(2, "usage: webserve [-d dir] [-m mtime] port");
		}
	}
	if (argc - optind != 1)
		errx(2, "usage: webserve [-d dir] [-m mtime] port");
	web_default_site(&site, mtime);
	if (dir != NULL) {
		rootlen = strlen(dir);
		if (nftw(dir, add_file, 16, FTW_PHYS) == -1)
			err(2, "%s", dir);
		site.files = files;
		site.nfiles = nfiles;
	}
	site.port = (uint16_t)strtoul(argv[optind], NULL, 10);
	site.local = "127.0.0.1";
	s = listen_on(site.port);
	signal(SIGCHLD, SIG_IGN);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		sl = sizeof(sin);
		if ((fd = accept(s, (struct sockaddr *)&sin, &sl)) == -1)
			continue;
		if (fork() == 0) {
			close(s);
			serve(fd, &site);
		}
		close(fd);
	}
}
