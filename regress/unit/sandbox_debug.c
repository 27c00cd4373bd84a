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
 * The debug sandbox (make SANDBOX_DEBUG=1): common/sandbox.c compiled
 * here with SANDBOX_DEBUG, so make check tests it without a second build.
 * A child per case enters the real filter of a role, makes an allowed
 * write(2), then a call its role may not make: the SIGSYS handler must
 * name that call on stderr and exit 159 (128 + SIGSYS).  That the release
 * filter kills at once is regress/unit/sandbox.c's job.
 */

#ifndef SANDBOX_DEBUG
#define SANDBOX_DEBUG	1
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

#include "../../common/sandbox.c"

struct forbidden {
	enum meshd_role	 role;
	long		 nr;
	const char	*name;
};

static void
child_calls(const struct forbidden *fb, int fd)
{
	static const char	allowed[] = "allowed write\n";

	if (dup2(fd, STDERR_FILENO) == -1)
		_exit(97);
	sandbox_enter(fb->role);
	if (write(STDERR_FILENO, allowed, sizeof(allowed) - 1) !=
	    (ssize_t)sizeof(allowed) - 1)
		_exit(98);
	/* the arguments do not matter: the filter stops the call */
	syscall(fb->nr, 0, 0, 0, 0, 0, 0);
	_exit(99);
}

/* the child's stderr, whole, and its status */
static int
run(const struct forbidden *fb, char *out, size_t len, int *status)
{
	pid_t	pid;
	size_t	got = 0;
	ssize_t	n;
	int	p[2];

	if (pipe(p) == -1)
		return -1;
	fflush(stdout);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		close(p[0]);
		child_calls(fb, p[1]);
	}
	close(p[1]);
	while (got < len - 1 && (n = read(p[0], out + got,
	    len - 1 - got)) > 0)
		got += n;
	out[got] = '\0';
	close(p[0]);
	return waitpid(pid, status, 0) == -1 ? -1 : 0;
}

int
main(void)
{
	static const struct forbidden	cases[] = {
		{ PROC_TUN, SYS_socket, "socket" },
		{ PROC_NET, SYS_execve, "execve" },
		{ PROC_CRYPTO, SYS_getuid, "getuid" },
	};
	char	out[512], want[512];
	size_t	i;
	int	status;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (run(&cases[i], out, sizeof(out), &status) == -1) {
			ok(0, "%s: ran", cases[i].name);
			continue;
		}
		ok(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGSYS,
		    "%s in %s: exit status 159, not killed",
		    cases[i].name, meshd_role_names[cases[i].role]);
		(void)snprintf(want, sizeof(want), "allowed write\n"
		    "meshd-%s: sandbox: forbidden system call %ld (%s)\n",
		    meshd_role_names[cases[i].role], cases[i].nr,
		    cases[i].name);
		is_str(out, want, "%s in %s: named on stderr",
		    cases[i].name, meshd_role_names[cases[i].role]);
	}
	return tap_done();
}
