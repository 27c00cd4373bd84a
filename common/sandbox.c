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
 * child's start, after chroot and the privilege drop (child_privdrop), and
 * after every fd it needs that it opens itself (none: the parent passes
 * them) and every library initialisation that opens files (tzset,
 * OpenSSL's config and random source, libevent's event base).  Log lines
 * go to the parent over imsg from then on, never through syslog(3).
 *
 * The lists hold what the code makes after sandbox_enter(), read from
 * the sources and checked with strace(1) on the netns and interop tests
 * (data plane, rekey, reload, stats, cookies under load, SIGTERM, the
 * parent going away).  A call that not every role makes is only in the
 * lists of the roles that make it.  regress/unit/sandbox.c proves per
 * role that forbidden calls kill and that the needed ones work.
 *
 * make SANDBOX_DEBUG=1 (its own build directory) builds children whose
 * forbidden system call traps instead: a SIGSYS handler writes one line
 * naming the call to stderr and exits 159 (128 + SIGSYS).  A child's
 * stderr is the parent's, so run meshd -d to see the line.  The release
 * build kills at once and has none of this.  regress/unit/sandbox_debug.c
 * proves the line.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __linux__
#include <seccomp.h>
#endif
#if defined(__OpenBSD__) || defined(SANDBOX_DEBUG)
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

/* a system call, allowed always (narg 0) or when one argument matches */
struct allow {
	int			 nr;
	const char		*name;
	const char		*why;
	unsigned int		 narg;
	struct scmp_arg_cmp	 arg;
};
#define A(call, why)	{ SCMP_SYS(call), #call, why, 0, { 0, 0, 0, 0 } }
/* argument n equal to v */
#define AEQ(call, n, v, why)						\
	{ SCMP_SYS(call), #call, why, 1, { n, SCMP_CMP_EQ, v, 0 } }
/* argument n with none of the bits in m set */
#define ANOT(call, n, m, why)						\
	{ SCMP_SYS(call), #call, why, 1, { n, SCMP_CMP_MASKED_EQ, m, 0 } }

/*
 * Every child: imsg, packet channels, libevent, malloc, exit.  Left out on
 * purpose: readv, writev (imsg reads and writes with recvmsg and sendmsg),
 * recvfrom (net reads with recvmmsg), sendto (net sends with sendmsg and
 * sendmmsg, to name the source address), rt_sigreturn
 * and rt_sigprocmask (no child has a signal handler: SIGINT, SIGHUP and
 * SIGPIPE are ignored, SIGTERM's default kills), madvise outside crypto (a
 * single-threaded malloc trims with brk), getrandom, time and futex in
 * tun (no OpenSSL there).  abort(3) dies of SIGSYS, not SIGABRT: there is
 * no tgkill.
 */
static const struct allow allow_common[] = {
	A(read,		"pktchan_sleep() drains the eventfd; tun: TUN reads; "
			"crypto: key fds (wg_key_read_fd)"),
	A(write,	"pktchan_flush() wakes a consumer's eventfd; log lines "
			"on stderr under -d; tun: TUN writes"),
	A(recvmsg,	"imsgbuf_read(), with fd passing"),
	A(sendmsg,	"imsgbuf_write() (msgbuf_write); net: cookie replies "
			"and handshake messages from a local address "
			"(send_to)"),
	A(close,	"fds done with: a channel's memfd once mapped, key "
			"fds, replaced sockets and TUN fds, pipes to a sibling "
			"that died"),
	AEQ(fcntl, 1, F_GETFL,	"pktchan_attach(): is the eventfd "
			"non-blocking"),
	AEQ(fcntl, 1, F_SETFL,	"pktchan_attach(): make it so"),
	AEQ(fcntl, 1, F_GET_SEALS, "pktchan_attach(): the memfd's seals"),
	A(fstat,	"pktchan_attach(): the memfd's size"),
	A(newfstatat,	"pktchan_attach(): fstat(2) as glibc makes it"),
	A(epoll_wait,	"libevent's event loop"),
	A(epoll_pwait,	"libevent's event loop (glibc where there is no "
			"epoll_wait, e.g. arm64)"),
	A(epoll_ctl,	"libevent adds and removes events"),
	A(clock_gettime, "libevent, mesh_monotonic_ns(): vDSO, the system "
			"call only where the clock source has none"),
	A(gettimeofday,	"libevent: vDSO, likewise"),
	A(getpid,	"imsgbuf_init() at SOCKET_CONN; net, crypto: "
			"OpenSSL's DRBG checks for a fork on every RAND_bytes"),
	A(brk,		"malloc"),
	ANOT(mmap, 2, PROT_EXEC, "malloc of large blocks; pktchan_attach() "
			"maps a channel; crypto: secret_alloc(); never "
			"executable"),
	A(munmap,	"free of large blocks; crypto: slab_release()"),
	A(mremap,	"realloc of a block malloc gave its own mapping (tun's "
			"rtable grows with reallocarray)"),
	A(exit_group,	"exit, fatal(), the parent gone (child_dispatch)"),
	A(exit,		"_exit(2)'s fallback"),
	A(restart_syscall, "a call resumed after SIGSTOP/SIGCONT"),
};

/*
 * meshd-net: the wire, on sockets the parent bound.  No socket(2),
 * bind(2) or connect(2), not even for birthday punching, which needs
 * 256 UDP sockets for a while (meshd-net/punch.c): the parent binds
 * them (port 0, wildcard address) when net asks (IMSG_BDAY_REQ) and
 * passes their descriptors (meshd-parent/sockets.c, udp_bday).  A rule
 * for socket(2) could pin the family and type (AF_INET, SOCK_DGRAM) but
 * not what the socket then does: bind(2) would have to be allowed too,
 * so a compromised net could take any free port of the host for a
 * listener, as many as it likes, and IPPROTO_ICMP datagram sockets
 * (ping sockets) come with SOCK_DGRAM as well.  From the parent it gets
 * plain UDP sockets on ports of the kernel's choice, one batch of at
 * most 256 every 20 seconds, closed by net when the attempt ends.
 * Stream transports likewise: the parent binds serve stream's listening
 * TCP sockets and makes the SSH clients' socketpairs; net only accepts
 * on a listener it was given (accept4 cannot create a listener or reach
 * out, only take a connection someone made to one of ours).
 * Relays (meshd-net/relay.c) follow the same rule for TCP: listening
 * sockets and outbound connections come from the parent.
 */
static const struct allow allow_net[] = {
	A(recvmmsg,	"UDP receive, batched (net_udp_read)"),
	A(sendmmsg,	"UDP send, batched, from each peer's local address "
			"(sendq_flush)"),
	A(getsockname,	"the family of a socket the parent bound "
			"(net_add_socket); a relay listener's port "
			"(relay_listen_fd)"),
	/*
	 * serve relay: members' TCP connections on the listening sockets
	 * the parent opened (meshd-parent/relay.c).  accept4(2) makes no
	 * socket net could point anywhere: only connections others made
	 * to a port the parent bound.  A member's own connection to a
	 * relay is opened by the parent (RELAY_CONNECT), so connect(2)
	 * stays out.
	 */
	A(accept4,	"serve relay: a member's or a prober's connection "
			"(relay_accept); serve stream: connections to the "
			"listeners the parent bound (stream_accept)"),
	A(getrandom,	"OpenSSL's DRBG reseeding: cookie secrets and "
			"nonces (RAND_bytes)"),
	A(time,		"OpenSSL's DRBG reseed interval: vDSO, the system "
			"call only without one"),
	A(futex,	"glibc's pthread_once() wakes waiters after OpenSSL's "
			"run-once initialisations (OPENSSL_cleanup at exit)"),
};

/* meshd-crypto: keys and AEAD; no files, no sockets, no sending */
static const struct allow allow_crypto[] = {
	A(getrandom,	"OpenSSL's DRBG reseeding: ephemeral keys, "
			"receiver indices (RAND_priv_bytes)"),
	A(time,		"OpenSSL's DRBG reseed interval: vDSO, the system "
			"call only without one"),
	A(futex,	"glibc's pthread_once() wakes waiters after OpenSSL's "
			"run-once initialisations (OPENSSL_cleanup at exit)"),
	A(mlock,	"secret_alloc(): new peers' key pages out of swap"),
	AEQ(madvise, 2, MADV_DONTDUMP, "secret_alloc(): key pages out of "
			"core dumps"),
};

/* meshd-tun: the TUN fd, mesh DNS (read and write are common) */
static const struct allow allow_tun[] = {
	A(accept4,	"mesh DNS over TCP, on the listening sockets the "
			"parent bound to the mesh addresses, port 53 "
			"(dnsserv.c); UDP answers go with recvmsg and sendmsg"),
	A(sysinfo,	"glibc's qsort(3) sizes its buffer by physical memory "
			"on its first large sort: tun_reconf() with ~50 peers "
			"and more"),
};

#ifdef MESHD_SANITIZE
/* ASan and UBSan runtimes, in sanitizer builds only */
static const struct allow allow_sanitize[] = {
	A(sigaltstack,	"ASan's alternate signal stack"),
	A(mprotect,	"ASan's shadow memory"),
	A(madvise,	"ASan's allocator returns memory"),
	A(sched_yield,	"ASan's allocator"),
	A(futex,	"ASan's internal locks"),
	A(gettid,	"ASan's reports"),
	A(readlink,	"ASan's reports"),
	A(openat,	"ASan's reports read /proc/self/maps"),
	A(rt_sigaction,	"ASan's handlers"),
	A(rt_sigprocmask, "ASan blocks signals around its work"),
	A(rt_sigreturn,	"return from ASan's signal handlers"),
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
		if (a[i].narg == 0)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, a[i].nr, 0);
		else
			r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW,
			    a[i].nr, a[i].narg, &a[i].arg);
		if (r < 0)
			fatalx("seccomp: cannot allow %s: %s", a[i].name,
			    strerror(-r));
	}
}
#define ALLOW(ctx, list) allow_list(ctx, list, sizeof(list) / sizeof(list[0]))

#ifdef SANDBOX_DEBUG
#define DENY_ACTION	SCMP_ACT_TRAP
#define DEBUG_NSYSCALLS	1024	/* names resolved up to this number */
#define DEBUG_EXIT	(128 + SIGSYS)

static char		*debug_names[DEBUG_NSYSCALLS];
static const char	*debug_role;

/* async-signal-safe: appends s to buf of size n at *off */
static void
debug_cat(char *buf, size_t n, size_t *off, const char *s)
{
	while (*s != '\0' && *off < n - 1)
		buf[(*off)++] = *s++;
}

static void
debug_num(char *buf, size_t n, size_t *off, long v)
{
	char	d[24];
	size_t	i = sizeof(d) - 1;

	d[i] = '\0';
	if (v < 0) {
		debug_cat(buf, n, off, "-");
		v = -v;
	}
	do {
		d[--i] = '0' + v % 10;
		v /= 10;
	} while (v > 0 && i > 0);
	debug_cat(buf, n, off, d + i);
}

/*
 * SIGSYS from the filter: the call was not made.  Only write(2) and
 * _exit(2) here, both in every allowlist; the name was looked up before
 * the sandbox.
 */
static void
debug_sigsys(int sig, siginfo_t *si, void *ctx)
{
	char	line[160];
	size_t	off = 0;
	ssize_t	w;
	int	nr = si->si_syscall;

	debug_cat(line, sizeof(line), &off, "meshd-");
	debug_cat(line, sizeof(line), &off, debug_role);
	debug_cat(line, sizeof(line), &off, ": sandbox: forbidden system "
	    "call ");
	debug_num(line, sizeof(line), &off, nr);
	debug_cat(line, sizeof(line), &off, " (");
	debug_cat(line, sizeof(line), &off, nr >= 0 && nr < DEBUG_NSYSCALLS &&
	    debug_names[nr] != NULL ? debug_names[nr] : "?");
	debug_cat(line, sizeof(line), &off, ")\n");
	w = write(STDERR_FILENO, line, off);
	(void)w;		/* nowhere to report a failure */
	_exit(DEBUG_EXIT);
}

/* while the process may still allocate and open files */
static void
debug_init(enum meshd_role role)
{
	struct sigaction	 sa;
	int			 i;

	debug_role = meshd_role_names[role];
	for (i = 0; i < DEBUG_NSYSCALLS; i++)
		debug_names[i] = seccomp_syscall_resolve_num_arch(
		    SCMP_ARCH_NATIVE, i);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = debug_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) == -1)
		fatal("sigaction(SIGSYS)");
}
#else
#define DENY_ACTION	SCMP_ACT_KILL_PROCESS
#endif

void
sandbox_enter(enum meshd_role role)
{
	scmp_filter_ctx	ctx;
	int		r;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_NO_NEW_PRIVS)");
#ifdef SANDBOX_DEBUG
	debug_init(role);
#endif
	if ((ctx = seccomp_init(DENY_ACTION)) == NULL)
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
		/* the TUN fd; DNS on sockets the parent bound */
		promises = "stdio recvfd inet";
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
