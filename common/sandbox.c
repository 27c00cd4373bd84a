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
 * Per-role sandboxes.  On Linux: a libseccomp allowlist whose default
 * action kills the process; every allowed system call says who needs it.
 * On OpenBSD: pledge(2) promises.  The sandbox is the last step of a
 * child's start, after chroot and the privilege drop (proc_privdrop), and
 * after every fd it needs that it opens itself (none: the parent passes
 * them) and every library initialisation that opens files (tzset, syslog,
 * OpenSSL's random source, libevent's event base).
 */

#include <sys/types.h>
#include <sys/prctl.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __linux__
#include <seccomp.h>
#endif
#ifdef __OpenBSD__
#include <unistd.h>
#endif

#include "log.h"
#include "sandbox.h"

static int	sandboxed;

int
sandbox_active(void)
{
	return sandboxed;
}

#ifdef __linux__

struct allow {
	int		 nr;
	const char	*name;
	const char	*why;
};
#define A(call, why)	{ SCMP_SYS(call), #call, why }

/* every child: imsg, libevent, malloc, logging, exit */
static const struct allow allow_common[] = {
	A(read,		"imsg and packet reads"),
	A(readv,	"stdio"),
	A(write,	"imsg writes, log lines on stderr under -d"),
	A(writev,	"imsg writes (batched), stdio"),
	A(recvmsg,	"imsg reads with fd passing"),
	A(sendmsg,	"imsg writes"),
	A(sendto,	"syslog(3) on its connected socket"),
	A(close,	"closing fds the parent passed and we replace"),
	A(fcntl,	"libevent sets received fds non-blocking"),
	A(epoll_wait,	"libevent's event loop"),
	A(epoll_pwait,	"libevent's event loop (newer glibc)"),
	A(epoll_ctl,	"libevent adds and removes events"),
	A(clock_gettime, "libevent timeouts (vDSO fallback)"),
	A(gettimeofday,	"libevent (vDSO fallback)"),
	A(brk,		"malloc"),
	A(mmap,		"malloc of large blocks"),
	A(munmap,	"free of large blocks"),
	A(mremap,	"realloc of large blocks"),
	A(madvise,	"free(3) returning memory"),
	A(getpid,	"log lines and syslog(3)"),
	A(newfstatat,	"stdio's first use of stderr"),
	A(fstat,	"stdio's first use of stderr"),
	A(futex,	"OpenSSL's run-once locks"),
	A(rt_sigreturn,	"return from a signal handler"),
	A(rt_sigprocmask, "libevent blocks signals around dispatch"),
	A(exit,		"exit"),
	A(exit_group,	"exit"),
	A(restart_syscall, "a call interrupted by a stop signal"),
};

/* meshd-net: the wire */
static const struct allow allow_net[] = {
	A(recvfrom,	"UDP receive"),
	A(recvmmsg,	"UDP receive, batched"),
	A(sendmmsg,	"UDP send, batched"),
	A(getsockname,	"learning the port of a socket the parent bound"),
	A(getrandom,	"cookie secret"),
};

/* meshd-crypto: keys and AEAD, no files, no sockets of its own */
static const struct allow allow_crypto[] = {
	A(getrandom,	"ephemeral keys, receiver indices, RAND_bytes"),
	A(mlock,	"keeping pages of new peers' keys out of swap"),
};

/* meshd-tun: the TUN fd only (read and write are common) */
static const struct allow allow_tun[] = {
	A(getrandom,	"OpenSSL's random source at start"),
};

#ifdef MESHD_SANITIZE
/* ASan and UBSan runtimes, in sanitizer builds only */
static const struct allow allow_sanitize[] = {
	A(sigaltstack,	"ASan's alternate signal stack"),
	A(mprotect,	"ASan's shadow memory"),
	A(sched_yield,	"ASan's allocator"),
	A(gettid,	"ASan's reports"),
	A(readlink,	"ASan's reports"),
	A(openat,	"ASan's reports read /proc/self/maps"),
	A(rt_sigaction,	"ASan's handlers"),
};
#endif

static void
allow_list(scmp_filter_ctx ctx, const struct allow *a, size_t n)
{
	size_t	i;
	int	r;

	for (i = 0; i < n; i++) {
		if (a[i].nr < 0)	/* not on this architecture */
			continue;
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, a[i].nr, 0)) < 0)
			fatalx("seccomp: cannot allow %s: %s", a[i].name,
			    strerror(-r));
	}
}
#define ALLOW(ctx, list) allow_list(ctx, list, sizeof(list) / sizeof(list[0]))

void
sandbox_enter(enum meshd_role role)
{
	scmp_filter_ctx	ctx;
	int		r;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_NO_NEW_PRIVS)");
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		fatalx("seccomp_init failed");
	ALLOW(ctx, allow_common);
	switch (role) {
	case PROC_NET:
		ALLOW(ctx, allow_net);
		break;
	case PROC_CRYPTO:
		ALLOW(ctx, allow_crypto);
		break;
	case PROC_TUN:
		ALLOW(ctx, allow_tun);
		break;
	default:
		fatalx("%s: no sandbox for role %d", __func__, role);
	}
#ifdef MESHD_SANITIZE
	ALLOW(ctx, allow_sanitize);
#endif
	if ((r = seccomp_load(ctx)) < 0)
		fatalx("seccomp_load: %s", strerror(-r));
	seccomp_release(ctx);
	sandboxed = 1;
}

#elif defined(__OpenBSD__)

void
sandbox_enter(enum meshd_role role)
{
	const char	*promises;

	switch (role) {
	case PROC_NET:
		promises = "stdio recvfd inet";	/* UDP on passed sockets */
		break;
	case PROC_CRYPTO:
		promises = "stdio recvfd";	/* key fds from the parent */
		break;
	case PROC_TUN:
		promises = "stdio recvfd";	/* the TUN fd */
		break;
	default:
		fatalx("%s: no sandbox for role %d", __func__, role);
	}
	if (unveil(NULL, NULL) == -1)
		fatal("unveil");
	if (pledge(promises, NULL) == -1)
		fatal("pledge");
	sandboxed = 1;
}

#else
#error "meshd has no sandbox for this system"
#endif
