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
 * meshd-net: the wire.  It owns the UDP sockets the parent bound and
 * (with later issues) transports, mac checks, endpoints and NAT traversal.
 * It never sees a private or session key.  This release receives and
 * counts datagrams but has no data plane yet: every datagram is dropped.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "log.h"

#define NET_MAX_SOCKS	2	/* IPv4 and IPv6 */
#define NET_BATCH	32
#define NET_PKT_MAX	65536

struct udp_sock {
	int		 fd;
	struct event	 ev;
};

static struct udp_sock		 socks[NET_MAX_SOCKS];
static size_t			 nsocks;
static struct conf_snapshot	*conf;
static uint64_t			 rx_dropped;

static void	 net_dispatch(struct imsgev *, struct imsg *);
static void	 net_reconf(struct conf_snapshot *);
static void	 net_udp_read(int, short, void *);

static struct child net_child = {
	.role = PROC_NET,
	.dispatch = net_dispatch,
	.reconf = net_reconf,
};

static void
net_udp_read(int fd, short event, void *arg)
{
	static uint8_t		 bufs[NET_BATCH][2048];
	struct mmsghdr		 msgs[NET_BATCH];
	struct iovec		 iov[NET_BATCH];
	int			 i, n;

	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < NET_BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	if ((n = recvmmsg(fd, msgs, NET_BATCH, MSG_DONTWAIT, NULL)) == -1) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("recvmmsg");
		return;
	}
	/* no data plane in this release: count and drop */
	rx_dropped += n;
	log_debug("dropped %d datagrams (%llu in all)", n,
	    (unsigned long long)rx_dropped);
}

static void
net_add_socket(int fd, int first)
{
	struct udp_sock	*us;

	if (first || nsocks == NET_MAX_SOCKS) {
		/* a new listen-port: the parent sends a fresh set */
		while (nsocks > 0) {
			us = &socks[--nsocks];
			event_del(&us->ev);
			close(us->fd);
		}
	}
	us = &socks[nsocks++];
	us->fd = fd;
	event_set(&us->ev, fd, EV_READ | EV_PERSIST, net_udp_read, us);
	event_add(&us->ev, NULL);
}

static void
net_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	uint8_t	first;
	int	fd;

	switch (imsg_get_type(imsg)) {
	case IMSG_UDP_SOCKET:
		if (iev->peer != PROC_PARENT)
			break;
		if (imsg_get_data(imsg, &first, sizeof(first)) == -1)
			fatalx("UDP_SOCKET: bad length");
		if ((fd = imsg_get_fd(imsg)) == -1)
			fatalx("UDP_SOCKET without a socket");
		net_add_socket(fd, first);
		return;
	default:
		break;
	}
	fatalx("unexpected imsg %s from %s", imsg_type_name(imsg_get_type(imsg)),
	    meshd_role_names[iev->peer]);
}

static void
net_reconf(struct conf_snapshot *cs)
{
	/* nothing per peer is kept yet, so the new config simply replaces */
	conf_snapshot_free(conf);
	conf = cs;
	log_debug("config: %zu peers", conf->npeers);
}

int
main(int argc, char *argv[])
{
	child_start(&net_child, argc, argv, NULL);
	event_dispatch();
	fatalx("event loop ended");
}
