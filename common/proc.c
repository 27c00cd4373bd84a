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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"

int
imsgev_init(struct imsgev *iev, int fd, enum meshd_role peer, int fdpass,
    void (*handler)(int, short, void *), void *data)
{
	memset(iev, 0, sizeof(*iev));
	if (imsgbuf_init(&iev->ibuf, fd) == -1)
		return -1;
	if (fdpass)
		imsgbuf_allow_fdpass(&iev->ibuf);
	if (imsgbuf_set_maxsize(&iev->ibuf, MESH_MAX_IMSG) == -1) {
		imsgbuf_clear(&iev->ibuf);
		return -1;
	}
	iev->peer = peer;
	iev->handler = handler;
	iev->data = data;
	iev->events = EV_READ;
	event_set(&iev->ev, fd, iev->events, handler, iev);
	event_add(&iev->ev, NULL);
	return 0;
}

void
imsgev_clear(struct imsgev *iev)
{
	event_del(&iev->ev);
	imsgbuf_clear(&iev->ibuf);
	close(iev->ibuf.fd);
	iev->ibuf.fd = -1;
}

void
imsg_event_add(struct imsgev *iev)
{
	short	events;

	if (iev->handler == NULL) {
		imsgbuf_flush(&iev->ibuf);
		return;
	}
	events = EV_READ;
	if (imsgbuf_queuelen(&iev->ibuf) > 0)
		events |= EV_WRITE;
	/*
	 * Armed as wanted already: nothing to do.  A burst of messages
	 * (a directory of thousands) costs no system call each then.
	 */
	if (events == iev->events && event_initialized(&iev->ev) &&
	    event_pending(&iev->ev, EV_READ | EV_WRITE, NULL))
		return;
	iev->events = events;
	event_del(&iev->ev);
	event_set(&iev->ev, iev->ibuf.fd, iev->events, iev->handler, iev);
	event_add(&iev->ev, NULL);
}

int
imsg_compose_event(struct imsgev *iev, uint32_t type, uint32_t peerid,
    pid_t pid, int fd, const void *data, size_t datalen)
{
	int	ret;

	if ((ret = imsg_compose(&iev->ibuf, type, peerid, pid, fd, data,
	    datalen)) == -1)
		return -1;
	imsg_event_add(iev);
	return ret;
}

int
imsgev_io(struct imsgev *iev, short event)
{
	if (event & EV_READ) {
		switch (imsgbuf_read(&iev->ibuf)) {
		case -1:
			log_warn("read from %s", meshd_role_names[iev->peer]);
			return -1;
		case 0:
			return -1;
		}
	}
	if (event & EV_WRITE) {
		if (imsgbuf_write(&iev->ibuf) == -1) {
			if (errno != EPIPE)
				log_warn("write to %s",
				    meshd_role_names[iev->peer]);
			return -1;
		}
	}
	return 0;
}

static const char *const imsg_names[IMSG_TYPE_MAX] = {
	[IMSG_NONE] = "NONE",
	[IMSG_SOCKET_CONN] = "SOCKET_CONN",
	[IMSG_UDP_SOCKET] = "UDP_SOCKET",
	[IMSG_TUN_FD] = "TUN_FD",
	[IMSG_KEY_FD] = "KEY_FD",
	[IMSG_PSK_FD] = "PSK_FD",
	[IMSG_KEYCHECK_END] = "KEYCHECK_END",
	[IMSG_KEYCHECK_ABORT] = "KEYCHECK_ABORT",
	[IMSG_RECONF_START] = "RECONF_START",
	[IMSG_RECONF_IFACE] = "RECONF_IFACE",
	[IMSG_RECONF_PEER] = "RECONF_PEER",
	[IMSG_RECONF_PEER_AIPS] = "RECONF_PEER_AIPS",
	[IMSG_RECONF_END] = "RECONF_END",
	[IMSG_LOG_VERBOSE] = "LOG_VERBOSE",
	[IMSG_LOG] = "LOG",
	[IMSG_CHILD_READY] = "CHILD_READY",
	[IMSG_PUBKEY] = "PUBKEY",
	[IMSG_KEYCHECK_OK] = "KEYCHECK_OK",
	[IMSG_KEY_ERROR] = "KEY_ERROR",
	[IMSG_STATS_REQ] = "STATS_REQ",
	[IMSG_PKTCHAN_MEM] = "PKTCHAN_MEM",
	[IMSG_PKTCHAN_WAKE] = "PKTCHAN_WAKE",
	[IMSG_HS_RECV] = "HS_RECV",
	[IMSG_HS_SEND] = "HS_SEND",
	[IMSG_ENDPOINT] = "ENDPOINT",
	[IMSG_PEER_STATS] = "PEER_STATS",
	[IMSG_STATS_END] = "STATS_END",
	[IMSG_CTL_SHOW_STATUS] = "CTL_SHOW_STATUS",
	[IMSG_CTL_SHOW_PEERS] = "CTL_SHOW_PEERS",
	[IMSG_CTL_RELOAD] = "CTL_RELOAD",
	[IMSG_CTL_LOG_VERBOSE] = "CTL_LOG_VERBOSE",
	[IMSG_CTL_STATUS] = "CTL_STATUS",
	[IMSG_CTL_PROC] = "CTL_PROC",
	[IMSG_CTL_PEER] = "CTL_PEER",
	[IMSG_CTL_PEER_AIPS] = "CTL_PEER_AIPS",
	[IMSG_CTL_END] = "CTL_END",
	[IMSG_CTL_RESULT] = "CTL_RESULT",
	[IMSG_CTL_SHOW_CONFIG] = "CTL_SHOW_CONFIG",
	[IMSG_CTL_CONFIG_TEXT] = "CTL_CONFIG_TEXT",
	[IMSG_CTL_RELOAD_CHANGE] = "CTL_RELOAD_CHANGE",
	[IMSG_PEER_ENDPOINT] = "PEER_ENDPOINT",
	[IMSG_PEER_NORESP] = "PEER_NORESP",
	[IMSG_RECONF_MESH] = "RECONF_MESH",
	[IMSG_RECONF_MESH_CERT] = "RECONF_MESH_CERT",
	[IMSG_RECONF_MESH_CRL] = "RECONF_MESH_CRL",
	[IMSG_SESSION_UP] = "SESSION_UP",
	[IMSG_COORD_RECV] = "COORD_RECV",
	[IMSG_COORD_SEND] = "COORD_SEND",
	[IMSG_CERT_CHECK] = "CERT_CHECK",
	[IMSG_CERT_RESULT] = "CERT_RESULT",
	[IMSG_CRL] = "CRL",
	[IMSG_MEMBER] = "MEMBER",
	[IMSG_PEER_GONE] = "PEER_GONE",
	[IMSG_MESH_STATE] = "MESH_STATE",
	[IMSG_CTL_SHOW_MESH] = "CTL_SHOW_MESH",
	[IMSG_CTL_MESH] = "CTL_MESH",
	[IMSG_WANT_SESSION] = "WANT_SESSION",
	[IMSG_PEER_KEEPALIVE] = "PEER_KEEPALIVE",
	[IMSG_PEER_PATH] = "PEER_PATH",
	[IMSG_BDAY_REQ] = "BDAY_REQ",
	[IMSG_BDAY_SOCKET] = "BDAY_SOCKET",
	[IMSG_STREAM_LISTEN] = "STREAM_LISTEN",
	[IMSG_STREAM_FD] = "STREAM_FD",
	[IMSG_LADDER_CONF] = "LADDER_CONF",
	[IMSG_EXIT_NODE] = "EXIT_NODE",
	[IMSG_KEY_UAPI] = "KEY_UAPI",
	[IMSG_KEY_KEEP] = "KEY_KEEP",
	[IMSG_UAPI_KEYS_REQ] = "UAPI_KEYS_REQ",
	[IMSG_UAPI_KEY] = "UAPI_KEY",
	[IMSG_UAPI_KEY_END] = "UAPI_KEY_END",
	[IMSG_RELAY_LISTEN] = "RELAY_LISTEN",
	[IMSG_RELAY_CERT] = "RELAY_CERT",
	[IMSG_RELAY_SITE] = "RELAY_SITE",
	[IMSG_RELAY_KEY_FD] = "RELAY_KEY_FD",
	[IMSG_RELAY_SIGN_FD] = "RELAY_SIGN_FD",
	[IMSG_RELAY_SIGN] = "RELAY_SIGN",
	[IMSG_RELAY_PROOF] = "RELAY_PROOF",
	[IMSG_RELAY_CONNECT] = "RELAY_CONNECT",
	[IMSG_PM_ANNOUNCE] = "PM_ANNOUNCE",
	[IMSG_STUN_ADDR] = "STUN_ADDR",
	[IMSG_METRICS_LISTEN] = "METRICS_LISTEN",
	[IMSG_METRICS_REQ] = "METRICS_REQ",
	[IMSG_METRICS_TEXT] = "METRICS_TEXT",
	[IMSG_METRICS_END] = "METRICS_END",
};

const char *
imsg_type_name(uint32_t type)
{
	if (type < IMSG_TYPE_MAX && imsg_names[type] != NULL)
		return imsg_names[type];
	return "unknown";
}

/* a whole chunk of prefixes fits in one imsg */
_Static_assert(IMSG_HEADER_SIZE + MESH_AIPS_CHUNK *
    sizeof(struct mesh_prefix) <= MESH_MAX_IMSG, "MESH_AIPS_CHUNK");

int
imsg_compose_aips(struct imsgbuf *ibuf, uint32_t type, uint32_t id,
    const struct mesh_prefix *aips, size_t n)
{
	size_t	len;

	while (n > 0) {
		len = n < MESH_AIPS_CHUNK ? n : MESH_AIPS_CHUNK;
		if (imsg_compose(ibuf, type, id, 0, -1, aips,
		    len * sizeof(*aips)) == -1)
			return -1;
		aips += len;
		n -= len;
	}
	return 0;
}

pid_t
proc_spawn(const char *path, char *const argv[], int *fd)
{
	int	 sp[2];
	pid_t	 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, PF_UNSPEC,
	    sp) == -1)
		fatal("socketpair");
	switch (pid = fork()) {
	case -1:
		fatal("fork");
	case 0:
		/* fd 3 is the pipe; dup2 clears close-on-exec */
		if (sp[1] != PARENT_SOCK_FILENO) {
			if (dup2(sp[1], PARENT_SOCK_FILENO) == -1)
				fatal("dup2");
		} else if (fcntl(sp[1], F_SETFD, 0) == -1)
			fatal("fcntl");
		closefrom(PARENT_SOCK_FILENO + 1);
		execv(path, argv);
		fatal("execv %s", path);
	}
	close(sp[1]);
	*fd = sp[0];
	return pid;
}

#ifndef __OpenBSD__
static char	*title_start, *title_end;	/* the kernel's argv strings */
#endif

/* at the top of main(): before anything reads argv or environ */
void
proc_title_init(int argc, char *argv[])
{
#ifndef __OpenBSD__
	extern char	**environ;
	char		 *end;
	int		  i;

	/* the strings are contiguous; getopt(3) may have moved pointers */
	for (i = 0; i < argc; i++) {
		end = argv[i] + strlen(argv[i]) + 1;
		if (title_start == NULL || argv[i] < title_start)
			title_start = argv[i];
		if (end > title_end)
			title_end = end;
	}
	setproctitle_init(argc, argv, environ);
#endif
}

void
proc_settitle(enum meshd_role role)
{
#ifdef __OpenBSD__
	/* OpenBSD prepends "meshd-net: " itself */
	setproctitle("%s", meshd_role_names[role]);
#else
	char	title[64];
	size_t	len;

	(void)snprintf(title, sizeof(title), "meshd: %s",
	    meshd_role_names[role]);
	/* a leading "-": libbsd then does not prepend the program name */
	setproctitle("-%s", title);
	/*
	 * A title shorter than the old argv: libbsd leaves the rest of it
	 * NULs with a "." where argv[0] ended, and ps shows blanks and a
	 * dot.  Clear it and end the area with a non-NUL byte: Linux then
	 * reads /proc/PID/cmdline as one string, up to the title's NUL.
	 */
	len = strlen(title);
	if (title_start != NULL && title_start + len + 1 < title_end &&
	    strncmp(title_start, title, len + 1) == 0) {
		memset(title_start + len, 0, title_end - title_start - len);
		title_end[-1] = ' ';
	}
#endif
}
