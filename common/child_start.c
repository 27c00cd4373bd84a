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
 * A child's start-up, in the order STYLE.md gives: command line, logging,
 * the pipe to the parent, the role's init, chroot and privilege drop, the
 * sandbox, then the report to the parent.  The parent links none of it.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <event.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "sandbox.h"

/* the children's common command line: -d -n -v -u user */
struct child_opts {
	int		 debug;
	int		 check;		/* -n: crypto checks keys, exits */
	int		 verbose;
	const char	*user;
};

/*
 * Log lines go to the parent, which hands them to syslog(3): glibc's
 * syslog() opens a new socket when syslogd has restarted, and neither
 * socket(2) nor /dev/log is to be had in the sandbox.  Each line is
 * written out at once, so a fatal error's line is sent before exit.
 */
static void
child_log(int pri, const char *line)
{
	static int	 busy;
	struct imsgev	*iev = &self->iev[PROC_PARENT];
	struct ibuf	*wbuf;
	size_t		 len = strlen(line) + 1;

	if (busy || iev->ibuf.fd == -1)
		return;		/* a log line while sending one: dropped */
	busy = 1;
	if ((wbuf = imsg_create(&iev->ibuf, IMSG_LOG, 0, 0,
	    sizeof(pri) + len)) != NULL &&
	    imsg_add(wbuf, &pri, sizeof(pri)) != -1 &&
	    imsg_add(wbuf, line, len) != -1) {
		imsg_close(&iev->ibuf, wbuf);
		(void)imsgbuf_write(&iev->ibuf);
		if (imsgbuf_queuelen(&iev->ibuf) > 0)
			imsg_event_add(iev);
	}
	busy = 0;
}

/*
 * The order STYLE.md asks for, after log init: user lookup, chroot,
 * chdir("/"), setproctitle, setgroups/setresgid/setresuid.  The per-role
 * sandbox (sandbox_enter) comes last, by the caller.
 */
static void
child_privdrop(enum meshd_role role, const char *user, const char *root)
{
	struct passwd	*pw;
	struct stat	 sb;

	if ((pw = getpwnam(user)) == NULL)
		fatalx("unknown user %s", user);
	if (stat(root, &sb) == -1)
		fatal("%s", root);
	if (sb.st_uid != 0 || (sb.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		fatalx("bad ownership or modes for directory %s", root);
	if (chroot(root) == -1)
		fatal("chroot %s", root);
	if (chdir("/") == -1)
		fatal("chdir(\"/\")");
	proc_settitle(role);
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("cannot drop privileges");
}

/*
 * The report to the parent: child_identity() before the sandbox (getuid
 * and friends are not in it), child_ready() once sandboxed.
 */
static void
child_identity(struct mesh_proc_msg *pm, int chrooted)
{
	memset(pm, 0, sizeof(*pm));
	pm->pid = getpid();
	pm->uid = getuid();
	pm->gid = getgid();
	pm->chrooted = chrooted;
}

static void
child_ready(struct imsgev *iev, struct mesh_proc_msg *pm)
{
	pm->sandboxed = sandbox_active();
	imsg_compose_event(iev, IMSG_CHILD_READY, 0, 0, -1, pm, sizeof(*pm));
}

static void
child_getopt(int argc, char *argv[], struct child_opts *o)
{
	int	ch;

	memset(o, 0, sizeof(*o));
	o->user = MESHD_USER;
	while ((ch = getopt(argc, argv, "dnu:v")) != -1) {
		switch (ch) {
		case 'd':
			o->debug = 1;
			break;
		case 'n':
			o->check = 1;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'v':
			o->verbose++;
			break;
		default:
			fprintf(stderr, "usage: %s [-dnv] [-u user]\n"
			    "(started by meshd, not by hand)\n", getprogname());
			exit(1);
		}
	}
	if (isatty(PARENT_SOCK_FILENO) ||
	    fcntl(PARENT_SOCK_FILENO, F_GETFD) == -1) {
		fprintf(stderr, "%s: started by meshd, not by hand\n",
		    getprogname());
		exit(1);
	}
}

void
child_start(struct child *c, int argc, char *argv[], void (*init)(void))
{
	struct child_opts	 o;
	struct mesh_proc_msg	 pm;
	enum meshd_role		 r;
	int			 i;

	self = c;
	child_getopt(argc, argv, &o);
	proc_title_init(argc, argv);
	log_init(o.debug, o.verbose, LOG_DAEMON);
	log_procinit(meshd_role_names[c->role]);
	c->verbose = o.verbose;
	c->check = o.check;
	if (o.check && c->role != PROC_CRYPTO)
		fatalx("-n: only meshd-crypto has a check mode");

	/* the parent handles these; we go when our pipe closes */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);

	event_init();
	for (r = PROC_PARENT; r < PROC_MAX; r++)
		c->iev[r].ibuf.fd = -1;
	for (i = 0; i < CHAN_MAX; i++)
		c->chan_memfd[i] = c->chan_wakefd[i] = -1;
	if (imsgev_init(&c->iev[PROC_PARENT], PARENT_SOCK_FILENO, PROC_PARENT,
	    1, child_dispatch, NULL) == -1)
		fatal("imsgev_init");
	if (!o.debug) {
		/* from here on through the parent, and no syslog socket */
		log_setsink(child_log);
		closelog();
	}
	if (init != NULL)
		init();
	/* meshd -n as a user: nothing to drop, the keys are checked all
	   the same */
	if (!o.check || geteuid() == 0)
		child_privdrop(c->role, o.user, MESHD_CHROOT);
	child_identity(&pm, !o.check || geteuid() == 0);
	sandbox_enter(c->role);
	child_ready(&c->iev[PROC_PARENT], &pm);
	log_debug("started, sandboxed");
}
