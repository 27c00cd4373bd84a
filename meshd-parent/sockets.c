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

/* The UDP sockets for listen-port, opened by the parent for meshd-net. */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "parent.h"

static int
udp_bind(int af, uint16_t port, char *err, size_t errlen)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 len;
	int			 fd, on = 1;

	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		len = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		len = sizeof(*sin6);
	}
	if ((fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_UDP)) == -1)
		goto fail;
	if (af == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
	    sizeof(on)) == -1)
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, len) == -1)
		goto fail;
	return fd;
 fail:
	snprintf(err, errlen, "UDP port %u (%s): %s", port,
	    af == AF_INET ? "IPv4" : "IPv6", strerror(errno));
	if (fd != -1)
		close(fd);
	return -1;
}

/*
 * Binds IPv4 and IPv6 UDP sockets to port (0: the kernel picks one for
 * IPv4 and IPv6 takes the same).  IPv6 is skipped where the host has it
 * off.  Returns the port bound, or -1 with err set.
 */
int
udp_open(uint16_t port, int *fds, size_t max, size_t *nfds, char *err,
    size_t errlen)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			fd;

	*nfds = 0;
	if (max < 2)
		fatalx("%s: need room for two sockets", __func__);
	if ((fd = udp_bind(AF_INET, port, err, errlen)) == -1)
		return -1;
	if (getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		fatal("getsockname");
	port = ntohs(sin.sin_port);
	fds[(*nfds)++] = fd;
	if ((fd = udp_bind(AF_INET6, port, err, errlen)) == -1) {
		if (errno != EAFNOSUPPORT && errno != EADDRNOTAVAIL) {
			close(fds[0]);
			*nfds = 0;
			return -1;
		}
		log_info("no IPv6 on this host: %s", err);
		err[0] = '\0';
	} else
		fds[(*nfds)++] = fd;
	return port;
}
