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
 * What the parent does for relays (meshd-net/relay.c).
 *
 * Sockets: meshd-net has no socket(2), bind(2) or connect(2) (see
 * common/sandbox.c).  The parent opens serve relay's listening TCP
 * sockets at start and passes them down; net may accept(2) on them and
 * nothing else.  A member's connection to a relay is opened here on
 * net's request (RELAY_CONNECT), non-blocking and connecting, and passed
 * down: a compromised net can then make TCP connections, but only
 * RELAY_CONNECT_RATE of them a minute, and never a listener, a raw
 * socket or a bound port of its choice.
 *
 * Keys: the TLS private key file is opened here and its descriptor goes
 * to meshd-crypto alone (as the static key's does, keys.c); meshd-net,
 * which speaks TLS to anyone, gets the certificate chain and asks crypto
 * for each signature over the signing pipe, a socketpair between the two
 * made here, as OpenBSD relayd's relays ask its ca process.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exit.h"
#include "log.h"
#include "parent.h"
#include "proc.h"

#define RELAY_BACKLOG		128
#define RELAY_CERT_MAX		(64 * 1024)	/* a PEM chain */
#define RELAY_SITE_FILES	64
#define RELAY_CONNECT_RATE	12		/* connections a minute */

/* the whole of a small file: malloc'd bytes, or NULL and err */
static uint8_t *
read_small(const char *path, size_t max, size_t *lenp, char *err,
    size_t errlen)
{
	struct stat	 sb;
	uint8_t		*buf;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size <= 0 || (size_t)sb.st_size > max) {
		snprintf(err, errlen, "%s: not a regular file of 1 to %zu "
		    "bytes", path, max);
		close(fd);
		return NULL;
	}
	if ((buf = malloc(sb.st_size)) == NULL)
		fatal(NULL);
	n = read(fd, buf, sb.st_size);
	close(fd);
	if (n != sb.st_size) {
		snprintf(err, errlen, "%s: short read", path);
		free(buf);
		return NULL;
	}
	*lenp = n;
	return buf;
}

/*
 * serve relay's listening sockets, at start (a reload that changes them
 * needs a restart): the number opened in fds, or -1 and err
 */
int
relay_listen_open(struct meshd_conf *conf, int *fds, char *err,
    size_t errlen)
{
	struct relay_conf	*r = &conf->mesh.relay;
	char			 why[128];
	size_t			 i;

	if (!conf->has_mesh || !r->on)
		return 0;
	for (i = 0; i < r->nlisten; i++) {
		if ((fds[i] = tcp_listen_socket(&r->listen[i],
		    r->listen_len[i], RELAY_BACKLOG, why, sizeof(why))) ==
		    -1) {
			snprintf(err, errlen, "serve relay: listen \"%s\": %s",
			    r->listen_str[i], why);
			while (i > 0)
				close(fds[--i]);
			return -1;
		}
	}
	return r->nlisten;
}

/* the site-directory's regular files, to net (not its subdirectories) */
static void
relay_site_send(struct imsgev *net, const char *dir)
{
	struct mesh_relay_file	 rf;
	struct dirent		*de;
	struct stat		 sb;
	char			 path[PATH_MAX], err[256];
	uint8_t			*buf;
	size_t			 len, n = 0;
	DIR			*d;

	if ((d = opendir(dir)) == NULL) {
		log_warn("serve relay: site-directory %s (the built-in page "
		    "is served)", dir);
		return;
	}
	while ((de = readdir(d)) != NULL && n < RELAY_SITE_FILES) {
		if (de->d_name[0] == '.' || (size_t)snprintf(path,
		    sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path) ||
		    stat(path, &sb) == -1 || !S_ISREG(sb.st_mode))
			continue;
		if ((buf = read_small(path, MESH_RELAY_FILE_MAX, &len, err,
		    sizeof(err))) == NULL) {
			log_warnx("serve relay: %s: left out", err);
			continue;
		}
		memset(&rf, 0, sizeof(rf));
		if ((size_t)snprintf(rf.path, sizeof(rf.path), "/%s",
		    de->d_name) < sizeof(rf.path)) {
			rf.mtime = sb.st_mtime;
			rf.len = len;
			if (imsg_compose(&net->ibuf, IMSG_RELAY_SITE, 0, 0, -1,
			    &rf, sizeof(rf)) == -1 || imsg_compose(&net->ibuf,
			    IMSG_RELAY_SITE, 1, 0, -1, buf, len) == -1)
				fatal("relay_site_send");
			n++;
		}
		free(buf);
	}
	closedir(d);
	imsg_event_add(net);
}

/*
 * At start, after the children: the signing pipe between net and crypto
 * (every node: a member's client proofs go through it too), and for
 * serve relay the listening sockets, the certificate chain and site to
 * net and the key's descriptor to crypto.  -1 and err on a bad file.
 */
int
relay_start(struct meshd_conf *conf, int *fds, int nfds, char *err,
    size_t errlen)
{
	struct imsgev		*net = &parent.children[PROC_NET].iev;
	struct imsgev		*crypto = &parent.children[PROC_CRYPTO].iev;
	struct relay_conf	*r = &conf->mesh.relay;
	struct stat		 sb;
	uint8_t			*cert;
	size_t			 len;
	int			 sp[2], i, kfd;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, PF_UNSPEC,
	    sp) == -1)
		fatal("socketpair");
	imsg_compose_event(net, IMSG_RELAY_SIGN_FD, 0, 0, sp[0], NULL, 0);
	imsg_compose_event(crypto, IMSG_RELAY_SIGN_FD, 0, 0, sp[1], NULL, 0);
	if (!conf->has_mesh || !r->on)
		return 0;
	if ((cert = read_small(r->cert_file, RELAY_CERT_MAX, &len, err,
	    errlen)) == NULL)
		return -1;
	/* the parent opens the key but never reads it (keys.c) */
	if ((kfd = open(r->key_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) ==
	    -1 || fstat(kfd, &sb) == -1 ||
	    (sb.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		snprintf(err, errlen, "tls-key-file %s: %s", r->key_file,
		    kfd == -1 ? strerror(errno) : "readable by group or "
		    "others");
		if (kfd != -1)
			close(kfd);
		free(cert);
		return -1;
	}
	imsg_compose_event(crypto, IMSG_RELAY_KEY_FD, 0, 0, kfd, NULL, 0);
	imsg_compose_event(net, IMSG_RELAY_CERT, 0, 0, -1, cert, len);
	free(cert);
	if (r->site_dir[0] != '\0')
		relay_site_send(net, r->site_dir);
	for (i = 0; i < nfds; i++)
		imsg_compose_event(net, IMSG_RELAY_LISTEN, 0, 0, fds[i], NULL,
		    0);
	return 0;
}

/* RELAY_CONNECT: a TCP connection to a relay, within the rate */
void
relay_connect(struct imsgev *net, struct imsg *imsg)
{
	static uint64_t			 window;
	static unsigned int		 n;
	struct mesh_relay_connect	 rc;
	struct sockaddr_storage		 ss;
	uint64_t			 now = mesh_monotonic_ns();
	int				 fd, on = 1;

	if (imsg_get_data(imsg, &rc, sizeof(rc)) == -1 ||
	    rc.addrlen > sizeof(rc.addr) || rc.addrlen < 2)
		fatalx("RELAY_CONNECT: bad message from net");
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, rc.addr, rc.addrlen);
	if ((ss.ss_family != AF_INET || rc.addrlen !=
	    sizeof(struct sockaddr_in)) && (ss.ss_family != AF_INET6 ||
	    rc.addrlen != sizeof(struct sockaddr_in6)))
		fatalx("RELAY_CONNECT: bad address from net");
	if (now - window > 60 * 1000000000ULL) {
		window = now;
		n = 0;
	}
	if (++n > RELAY_CONNECT_RATE) {
		log_info("relay connection refused: %d a minute at most",
		    RELAY_CONNECT_RATE);
		return;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		log_warn("relay connection: socket");
		return;
	}
	/* exit-node: the tunnel's own traffic keeps to the underlay */
	(void)exit_mark_socket(fd);
	/* datagrams: no waiting for ACKs (Nagle), as on the relay's side */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (connect(fd, (struct sockaddr *)&ss, rc.addrlen) == -1 &&
	    errno != EINPROGRESS) {
		/* net sees the error on the socket and tries later */
		log_debug("relay connection: connect: %s", strerror(errno));
	}
	imsg_compose_event(net, IMSG_RELAY_CONNECT, 0, 0, fd, &rc,
	    sizeof(rc));
}
