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
 * The service manager's readiness protocol (systemd's sd_notify(3)),
 * without libsystemd: one datagram of "KEY=value" lines to the AF_UNIX
 * socket named by $NOTIFY_SOCKET, in the abstract namespace when the
 * name starts with '@'.  Without $NOTIFY_SOCKET every call does nothing.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "parent.h"

#define NOTIFY_MSG_MAX	512

static struct sockaddr_un	 notify_sun;
static socklen_t		 notify_sunlen;
static int			 notify_fd = -1;
static int			 notify_ready_sent;

/*
 * Takes $NOTIFY_SOCKET out of the environment, so that no program we
 * exec (the children, meshd-crypto -n, ssh, nft, resolvectl) sees it:
 * with NotifyAccess=all one of them could tell the manager we are ready.
 * Called first thing, before any exec.
 */
void
notify_init(void)
{
	const char	*name;
	size_t		 len;

	if ((name = getenv("NOTIFY_SOCKET")) == NULL)
		return;
	len = strlen(name);
	memset(&notify_sun, 0, sizeof(notify_sun));
	notify_sun.sun_family = AF_UNIX;
	if ((name[0] != '/' && name[0] != '@') || len < 2 ||
	    len >= sizeof(notify_sun.sun_path)) {
		/* vsock: (systemd 254) and the like are not for us */
		log_warnx("NOTIFY_SOCKET=%s: not an AF_UNIX socket path, "
		    "no readiness notification", name);
		goto done;
	}
	memcpy(notify_sun.sun_path, name, len);
	/* abstract: a leading NUL, and the length says where it ends */
	if (name[0] == '@')
		notify_sun.sun_path[0] = '\0';
	notify_sunlen = offsetof(struct sockaddr_un, sun_path) + len +
	    (name[0] == '/');
	if ((notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		log_warn("NOTIFY_SOCKET: socket");
 done:
	if (unsetenv("NOTIFY_SOCKET") == -1)
		log_warn("unsetenv NOTIFY_SOCKET");
}

/* one message of newline-separated assignments; a failure is logged */
static void
notify_send(const char *fmt, ...)
{
	char	 msg[NOTIFY_MSG_MAX];
	va_list	 ap;
	int	 len;

	if (notify_fd == -1)
		return;
	va_start(ap, fmt);
	len = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(msg))
		len = sizeof(msg) - 1;	/* a STATUS= cut short */
	/* never block the event loop on a manager that does not read */
	if (sendto(notify_fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT,
	    (struct sockaddr *)&notify_sun, notify_sunlen) != len)
		log_warn("service manager notification (NOTIFY_SOCKET)");
}

/*
 * A STATUS= value on one line: a newline in it (a reload's errors come
 * several lines at a time, quoting the config) would start another
 * assignment, say READY=1, for whoever wrote the config.
 */
static const char *
notify_line(const char *s, char *buf, size_t len)
{
	size_t	i;

	for (i = 0; s[i] != '\0' && i + 1 < len; i++)
		buf[i] = (s[i] == '\n' || s[i] == '\r') ? ';' : s[i];
	buf[i] = '\0';
	return buf;
}

/* up: UDP bound, interface up, children sandboxed, meshctl answers */
void
notify_ready(const char *status)
{
	char	line[NOTIFY_MSG_MAX];

	notify_ready_sent = 1;
	notify_send("READY=1\nSTATUS=%s\nMAINPID=%ld\n",
	    notify_line(status, line, sizeof(line)), (long)getpid());
}

/*
 * A reload begins: with the clock systemd 253 and later want, to tell
 * this reload's READY=1 from an earlier one.  Nothing before the first
 * READY=1: a SIGHUP while starting is no reload to the manager.
 */
void
notify_reloading(void)
{
	struct timespec	ts;
	char		line[NOTIFY_MSG_MAX];

	if (!notify_ready_sent)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	notify_send("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading %s\n",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000,
	    notify_line(parent.conffile, line, sizeof(line)));
}

/* the reload is over, applied or not: running (again), and how */
void
notify_reloaded(const char *status)
{
	char	line[NOTIFY_MSG_MAX];

	if (!notify_ready_sent)
		return;
	notify_send("READY=1\nSTATUS=%s\n",
	    notify_line(status, line, sizeof(line)));
}

void
notify_stopping(void)
{
	notify_send("STOPPING=1\nSTATUS=stopping\n");
}
