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
 * meshd-tun: the inner side.  It owns the TUN fd the parent opened and
 * (with later issues) cryptokey routing, the packet filter and mesh DNS.
 * It never sees a key.  This release reads and counts packets from the
 * TUN device but has no data plane yet: every packet is dropped.
 */

#include <sys/types.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "log.h"

static struct conf_snapshot	*conf;
static int			 tun_fd = -1;
static struct event		 tun_ev;
static uint64_t			 tun_dropped;

static void	 tun_dispatch(struct imsgev *, struct imsg *);
static void	 tun_reconf(struct conf_snapshot *);

static struct child tun_child = {
	.role = PROC_TUN,
	.dispatch = tun_dispatch,
	.reconf = tun_reconf,
};

static void
tun_read(int fd, short event, void *arg)
{
	static uint8_t	buf[65536];
	ssize_t		n;
	int		i;

	/* bounded, so other events get their turn */
	for (i = 0; i < 64; i++) {
		if ((n = read(fd, buf, sizeof(buf))) == -1) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("read from TUN");
			return;
		}
		if (n == 0)
			return;
		/* no data plane in this release: count and drop */
		tun_dropped++;
	}
}

static void
tun_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_TUN_FD:
		if (iev->peer != PROC_PARENT)
			break;
		if (tun_fd != -1) {
			event_del(&tun_ev);
			close(tun_fd);
		}
		if ((tun_fd = imsg_get_fd(imsg)) == -1)
			fatalx("TUN_FD without a descriptor");
		event_set(&tun_ev, tun_fd, EV_READ | EV_PERSIST, tun_read,
		    NULL);
		event_add(&tun_ev, NULL);
		return;
	default:
		break;
	}
	fatalx("unexpected imsg %s from %s", imsg_type_name(imsg_get_type(imsg)),
	    meshd_role_names[iev->peer]);
}

static void
tun_reconf(struct conf_snapshot *cs)
{
	/* no routing table yet: the new config simply replaces the old */
	conf_snapshot_free(conf);
	conf = cs;
	log_debug("config: %zu peers", conf->npeers);
}

int
main(int argc, char *argv[])
{
	child_start(&tun_child, argc, argv, NULL);
	event_dispatch();
	fatalx("event loop ended");
}
