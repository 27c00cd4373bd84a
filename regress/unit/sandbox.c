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
 * The per-role seccomp allowlists of common/sandbox.c.  For each role and
 * each forbidden system call, a child sets up what a real child has (the
 * fds the parent would pass), enters the real sandbox_enter(role) and
 * makes the call with syscall(2): the kernel must kill it with SIGSYS.
 * Then one child per role makes the calls that role needs, through our
 * real code where there is some (imsg with fd passing, a packet channel
 * attached and used, a libevent loop with a timer, OpenSSL's random
 * source and its cleanup at exit) and directly otherwise (the system
 * calls glibc makes only without a vDSO), and must exit 0.  A child that
 * fails a step says which on a pipe.  No chroot and no privilege drop
 * here: only the sandbox.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/futex.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "tap.h"
#include "imsg.h"
#include "pktchan.h"
#include "sandbox.h"

#define R_NET		(1 << PROC_NET)
#define R_CRYPTO	(1 << PROC_CRYPTO)
#define R_TUN		(1 << PROC_TUN)
#define R_ALL		(R_NET | R_CRYPTO | R_TUN)

#define BIG		(64 * 1024 * 1024)	/* over any mmap threshold */
#define NSORT		256	/* tun_reconf()'s qsort of this many peers */

/* what a child has before its sandbox: fds the parent would pass */
struct fixture {
	int			 report;	/* to the test: what failed */
	int			 pipe[2];
	int			 sp[2];		/* an imsg channel */
	int			 pass[2];	/* [1] travels by imsg */
	int			 dgram[2];	/* a TUN stand-in */
	int			 udp;		/* net's socket, 127.0.0.1 */
	struct sockaddr_in	 udp_sin;
	int			 memfd[2];	/* a packet channel, */
	int			 efd[2];	/*   one pair per end */
};

static const char *const role_names[] = {
	[PROC_NET] = "net",
	[PROC_CRYPTO] = "crypto",
	[PROC_TUN] = "tun",
};

static void
skip(const char *name, const char *why)
{
	tap_n++;
	printf("ok %d - %s # SKIP %s\n", tap_n, name, why);
	fflush(stdout);
}

/* in a child: tell the test what failed, and exit */
static __attribute__((__noreturn__)) void
fail(struct fixture *f, const char *what)
{
	char	msg[160];
	int	n;

	n = snprintf(msg, sizeof(msg), "%s (errno %d, %s)", what, errno,
	    strerror(errno));
	if (n > 0 && write(f->report, msg, (size_t)n < sizeof(msg) ?
	    (size_t)n : sizeof(msg) - 1) == -1)
		_exit(2);
	_exit(1);
}
#define CHECK(cond, what)	do { if (!(cond)) fail(f, what); } while (0)

/* in a child, before its sandbox: what the parent would hand it */
static void
fixture_init(struct fixture *f, int report)
{
	socklen_t	len = sizeof(f->udp_sin);
	struct rlimit	rl = { 0, 0 };

	memset(f, 0, sizeof(*f));
	f->report = report;
	/* a SIGSYS would dump core: not for these */
	CHECK(setrlimit(RLIMIT_CORE, &rl) == 0, "setrlimit");
	CHECK(pipe(f->pipe) == 0, "pipe");
	CHECK(pipe(f->pass) == 0, "pipe");
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, f->sp) == 0, "socketpair");
	CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, f->dgram) == 0, "socketpair");
	CHECK((f->udp = socket(AF_INET, SOCK_DGRAM, 0)) != -1, "socket");
	f->udp_sin.sin_family = AF_INET;
	f->udp_sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(f->udp, (struct sockaddr *)&f->udp_sin,
	    sizeof(f->udp_sin)) == 0, "bind 127.0.0.1");
	CHECK(getsockname(f->udp, (struct sockaddr *)&f->udp_sin, &len) == 0,
	    "getsockname");
	CHECK(pktchan_create(64, 1500, &f->memfd[0], &f->efd[0]) == 0,
	    "pktchan_create");
	CHECK((f->memfd[1] = dup(f->memfd[0])) != -1, "dup");
	CHECK((f->efd[1] = dup(f->efd[0])) != -1, "dup");
}

/*
 * Forbidden calls.  Each gets arguments that would do something
 * harmless, so that a call let through shows as a normal exit.
 */
static long
call_open(struct fixture *f)
{
	return syscall(SYS_open, "/dev/null", O_RDONLY);
}

static long
call_openat(struct fixture *f)
{
	return syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY);
}

static long
call_socket_inet(struct fixture *f)
{
	return syscall(SYS_socket, AF_INET, SOCK_DGRAM, 0);
}

static long
call_socket_unix(struct fixture *f)
{
	return syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
}

static long
call_execve(struct fixture *f)
{
	char *const	argv[] = { "true", NULL };
	char *const	envp[] = { NULL };

	return syscall(SYS_execve, "/bin/true", argv, envp);
}

static long
call_ptrace(struct fixture *f)
{
	return syscall(SYS_ptrace, PTRACE_TRACEME, 0, NULL, NULL);
}

static long
call_connect(struct fixture *f)
{
	struct sockaddr_in	sin = f->udp_sin;

	sin.sin_port = htons(9);	/* discard */
	return syscall(SYS_connect, f->udp, &sin, sizeof(sin));
}

static long
call_sendto(struct fixture *f)
{
	struct sockaddr_in	sin = f->udp_sin;

	sin.sin_port = htons(9);
	return syscall(SYS_sendto, f->udp, "x", 1, 0, &sin, sizeof(sin));
}

static long
call_recvmmsg(struct fixture *f)
{
	struct mmsghdr	m;

	memset(&m, 0, sizeof(m));
	return syscall(SYS_recvmmsg, f->udp, &m, 1, MSG_DONTWAIT, NULL);
}

static long
call_kill(struct fixture *f)
{
	return syscall(SYS_kill, getpid(), 0);	/* signal 0: a probe */
}

static long
call_fcntl_dupfd(struct fixture *f)
{
	return syscall(SYS_fcntl, f->pipe[0], F_DUPFD, 0);
}

static long
call_mmap_exec(struct fixture *f)
{
	return syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static long
call_mlock(struct fixture *f)
{
	static char	page[4096];

	return syscall(SYS_mlock, page, sizeof(page));
}

static long
call_madvise_dodump(struct fixture *f)
{
	void	*p;

	if ((p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED)
		return -1;
	return syscall(SYS_madvise, p, 4096, MADV_DODUMP);
}

static long
call_getrandom(struct fixture *f)
{
	char	b[16];

	return syscall(SYS_getrandom, b, sizeof(b), 0);
}

#ifdef MESHD_SANITIZE
#define SAN_ALLOWS	1	/* the sanitizer runtimes' list allows it */
#else
#define SAN_ALLOWS	0
#endif

static const struct forbidden {
	const char	*name;
	int		 roles;		/* where it must kill */
	int		 san_allowed;	/* allowed in sanitizer builds */
	long		(*fn)(struct fixture *);
} forbidden[] = {
	{ "open", R_ALL, 0, call_open },
	{ "openat", R_ALL, SAN_ALLOWS, call_openat },
	{ "socket(AF_INET)", R_ALL, 0, call_socket_inet },
	{ "socket(AF_UNIX)", R_ALL, 0, call_socket_unix },
	{ "execve", R_ALL, 0, call_execve },
	{ "ptrace", R_ALL, 0, call_ptrace },
	{ "connect", R_ALL, 0, call_connect },
	{ "kill", R_ALL, 0, call_kill },
	{ "fcntl(F_DUPFD)", R_ALL, 0, call_fcntl_dupfd },
	{ "mmap(PROT_EXEC)", R_ALL, 0, call_mmap_exec },
	{ "sendto to a new address", R_ALL, 0, call_sendto },
	{ "recvmmsg", R_CRYPTO | R_TUN, 0, call_recvmmsg },
	{ "mlock", R_NET | R_TUN, 0, call_mlock },
	{ "madvise(MADV_DODUMP)", R_CRYPTO, SAN_ALLOWS, call_madvise_dodump },
	{ "getrandom", R_TUN, 0, call_getrandom },
};

/* fork; the child runs fn and must not return; the status, and a report */
static int
run_child(void (*fn)(struct fixture *, enum meshd_role, const void *),
    enum meshd_role role, const void *arg, char *report, size_t replen)
{
	struct fixture	 f;
	pid_t		 pid;
	ssize_t		 n;
	int		 rp[2], status;

	report[0] = '\0';
	if (pipe(rp) == -1) {
		diag("pipe: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	switch (pid = fork()) {
	case -1:
		diag("fork: %s", strerror(errno));
		return -1;
	case 0:
		close(rp[0]);
		fixture_init(&f, rp[1]);
		fn(&f, role, arg);
		_exit(99);
	}
	close(rp[1]);
	if ((n = read(rp[0], report, replen - 1)) < 0)
		n = 0;
	report[n] = '\0';
	close(rp[0]);
	if (waitpid(pid, &status, 0) == -1) {
		diag("waitpid: %s", strerror(errno));
		return -1;
	}
	return status;
}

static void
diag_status(int status, const char *report)
{
	if (status == -1)
		diag("no child");
	else if (WIFEXITED(status))
		diag("exited with %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		diag("killed by signal %d (%s)", WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	if (report[0] != '\0')
		diag("child: %s", report);
}

static void
child_forbidden(struct fixture *f, enum meshd_role role, const void *arg)
{
	const struct forbidden	*fb = arg;

	sandbox_enter(role);
	(void)fb->fn(f);
	_exit(0);		/* still alive: the test fails */
}

static void
child_unsandboxed(struct fixture *f, enum meshd_role role, const void *arg)
{
	const struct forbidden	*fb = arg;

	if (fb->fn(f) == -1)
		fail(f, fb->name);
	_exit(0);
}

/* the calls every child makes */
static void
common_calls(struct fixture *f)
{
	struct imsgbuf		 a, b;
	struct imsg		 imsg;
	struct pktchan		*prod, *cons;
	struct pktchan_pkt	 pkt;
	struct timespec		 ts;
	struct timeval		 tv;
	char			 err[128], c, *p, *q, *small[64];
	uint8_t			 buf[1500];
	int			 fd, fl, i;

	CHECK(sandbox_active(), "sandbox_active()");

	/* read and write */
	CHECK(write(f->pipe[1], "x", 1) == 1, "write to a pipe");
	CHECK(read(f->pipe[0], &c, 1) == 1 && c == 'x', "read from a pipe");

	/* imsg with fd passing; imsgbuf_init() at SOCKET_CONN calls getpid */
	CHECK(imsgbuf_init(&a, f->sp[0]) == 0, "imsgbuf_init");
	CHECK(imsgbuf_init(&b, f->sp[1]) == 0, "imsgbuf_init");
	imsgbuf_allow_fdpass(&b);
	CHECK(imsg_compose(&a, 7, 42, 0, f->pass[1], "hello", 6) != -1,
	    "imsg_compose with an fd");
	CHECK(imsgbuf_write(&a) == 0, "imsgbuf_write (sendmsg)");
	CHECK(imsgbuf_read(&b) == 1, "imsgbuf_read (recvmsg)");
	CHECK(imsgbuf_get(&b, &imsg) > 0, "imsgbuf_get");
	CHECK(imsg_get_type(&imsg) == 7 && imsg_get_id(&imsg) == 42,
	    "imsg type and id");
	CHECK((fd = imsg_get_fd(&imsg)) != -1, "imsg_get_fd");
	CHECK(write(fd, "y", 1) == 1, "write through the passed fd");
	CHECK(read(f->pass[0], &c, 1) == 1 && c == 'y',
	    "read what went through the passed fd");
	CHECK(close(fd) == 0, "close");
	imsg_free(&imsg);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);

	/* a packet channel, both ends: attach, sleep, push, wake, pop */
	prod = pktchan_attach(f->memfd[0], f->efd[0], PKTCHAN_PRODUCER, err,
	    sizeof(err));
	CHECK(prod != NULL, "pktchan_attach (producer)");
	cons = pktchan_attach(f->memfd[1], f->efd[1], PKTCHAN_CONSUMER, err,
	    sizeof(err));
	CHECK(cons != NULL, "pktchan_attach (consumer)");
	CHECK(pktchan_sleep(cons) == 0, "pktchan_sleep");
	CHECK(pktchan_push(prod, 5, NULL, 0, "packet", 6) == 0,
	    "pktchan_push");
	pktchan_flush(prod);
	CHECK(pktchan_pop(cons, &pkt, 1, buf, sizeof(buf)) == 1 &&
	    pkt.len == 6 && memcmp(pkt.data, "packet", 6) == 0,
	    "pktchan_pop");
	CHECK(pktchan_sleep(cons) == 0, "pktchan_sleep drains the wake-up");
	pktchan_detach(prod);
	pktchan_detach(cons);

	/* a blocking fd made non-blocking, as pktchan_attach() may */
	CHECK((fl = fcntl(f->pipe[0], F_GETFL)) != -1, "fcntl(F_GETFL)");
	CHECK(fcntl(f->pipe[0], F_SETFL, fl | O_NONBLOCK) == 0,
	    "fcntl(F_SETFL)");

	/* malloc: brk for small blocks, mmap, mremap, munmap for large */
	for (i = 0; i < 64; i++) {
		CHECK((small[i] = malloc(64 * 1024)) != NULL, "malloc");
		small[i][0] = 1;
	}
	for (i = 0; i < 64; i++)
		free(small[i]);
	CHECK((p = malloc(BIG)) != NULL, "malloc of a large block");
	p[0] = 1;
	CHECK((q = realloc(p, 2 * BIG)) != NULL, "realloc of a large block");
	free(q);

	/* glibc's vDSO fallbacks */
	CHECK(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) == 0,
	    "clock_gettime(2)");
	CHECK(syscall(SYS_gettimeofday, &tv, NULL) == 0, "gettimeofday(2)");
	CHECK(syscall(SYS_getpid) == getpid(), "getpid(2)");
}

static int	ev_reads, ev_timeouts;

static void
ev_read(int fd, short event, void *arg)
{
	char	c;

	if (read(fd, &c, 1) == 1)
		ev_reads++;
}

static void
ev_timer(int fd, short event, void *arg)
{
	ev_timeouts++;
}

/* libevent's loop (its base made before the sandbox, as child_start does) */
static void
event_calls(struct fixture *f)
{
	struct event	rev, tev;
	struct timeval	tv = { 0, 1000 };
	int		i;

	event_set(&rev, f->pipe[0], EV_READ | EV_PERSIST, ev_read, NULL);
	CHECK(event_add(&rev, NULL) == 0, "event_add");
	evtimer_set(&tev, ev_timer, NULL);
	CHECK(evtimer_add(&tev, &tv) == 0, "evtimer_add");
	CHECK(write(f->pipe[1], "z", 1) == 1, "write to a pipe");
	for (i = 0; i < 100 && (ev_reads == 0 || ev_timeouts == 0); i++)
		CHECK(event_loop(EVLOOP_ONCE) == 0, "event_loop");
	CHECK(ev_reads == 1, "libevent: a read event");
	CHECK(ev_timeouts == 1, "libevent: a timeout");
	event_del(&rev);
}

/* OpenSSL's random source and run-once locks: net and crypto */
static void
openssl_calls(struct fixture *f, int priv)
{
	uint8_t	b[32];
	int	word = 0;

	CHECK(RAND_bytes(b, sizeof(b)) == 1, "RAND_bytes");
	if (priv)
		CHECK(RAND_priv_bytes(b, sizeof(b)) == 1, "RAND_priv_bytes");
	/* the hourly reseed of the primary DRBG from the kernel */
	CHECK(RAND_poll() == 1, "RAND_poll (a reseed)");
	CHECK(syscall(SYS_getrandom, b, sizeof(b), 0) == sizeof(b),
	    "getrandom(2)");
	CHECK(syscall(SYS_time, NULL) > 0, "time(2)");
	CHECK(syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL,
	    NULL, 0) == 0, "futex(2) wake");
	/* what exit(3) runs */
	OPENSSL_cleanup();
}

/* m and iov set up to receive two datagrams into b */
static void
rx_batch(struct mmsghdr m[2], struct iovec iov[2], char b[2][16])
{
	int	i;

	memset(m, 0, 2 * sizeof(m[0]));
	for (i = 0; i < 2; i++) {
		iov[i].iov_base = b[i];
		iov[i].iov_len = sizeof(b[i]);
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
}

static ssize_t
send_pktinfo(struct fixture *f, char *msg, size_t len)
{
	struct in_pktinfo	 pi;
	struct msghdr		 mh;
	struct iovec		 iov;
	struct cmsghdr		*cm;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(pi))];
	}			 cb;

	memset(&pi, 0, sizeof(pi));
	pi.ipi_spec_dst.s_addr = htonl(INADDR_LOOPBACK);
	memset(&mh, 0, sizeof(mh));
	memset(&cb, 0, sizeof(cb));
	iov.iov_base = msg;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_name = &f->udp_sin;
	mh.msg_namelen = sizeof(f->udp_sin);
	mh.msg_control = cb.buf;
	mh.msg_controllen = sizeof(cb.buf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	return sendmsg(f->udp, &mh, 0);
}

static void
net_calls(struct fixture *f)
{
	struct sockaddr_storage	 ss;
	struct mmsghdr		 m[2];
	struct iovec		 iov[2];
	socklen_t		 len = sizeof(ss);
	char			 b[2][16], cookie[] = "cookie";
	int			 i, n;

	CHECK(getsockname(f->udp, (struct sockaddr *)&ss, &len) == 0 &&
	    ss.ss_family == AF_INET, "getsockname");
	/* a cookie reply: sendmsg from a local address (IP_PKTINFO) */
	CHECK(send_pktinfo(f, cookie, 6) == 6, "sendmsg with IP_PKTINFO");
	rx_batch(m, iov, b);
	CHECK(recvmmsg(f->udp, m, 1, 0, NULL) == 1 && m[0].msg_len == 6,
	    "recvmmsg");
	/* data: sendmmsg a batch */
	memset(m, 0, sizeof(m));
	for (i = 0; i < 2; i++) {
		iov[i].iov_base = "data";
		iov[i].iov_len = 4;
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
		m[i].msg_hdr.msg_name = &f->udp_sin;
		m[i].msg_hdr.msg_namelen = sizeof(f->udp_sin);
	}
	CHECK(sendmmsg(f->udp, m, 2, 0) == 2, "sendmmsg");
	rx_batch(m, iov, b);
	for (i = 0; i < 2; i += n)
		CHECK((n = recvmmsg(f->udp, m + i, 2 - i, 0, NULL)) > 0,
		    "recvmmsg of a batch");
	CHECK(close(f->udp) == 0, "close a socket");
	openssl_calls(f, 0);
}

static void
crypto_calls(struct fixture *f)
{
	void	*p;

	/* secret_alloc() */
	p = mmap(NULL, 65536, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "mmap");
	CHECK(madvise(p, 65536, MADV_DONTDUMP) == 0, "madvise(MADV_DONTDUMP)");
	/* best effort in meshd-crypto: a small RLIMIT_MEMLOCK may refuse */
	CHECK(mlock(p, 65536) == 0 || errno == ENOMEM || errno == EPERM,
	    "mlock");
	CHECK(munmap(p, 65536) == 0, "munmap");
	openssl_calls(f, 1);
}

struct sortme {
	uint32_t	id;
	uint8_t		st[200];	/* like struct tun_peer */
};

static int
sortme_cmp(const void *a, const void *b)
{
	const struct sortme	*x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void
tun_calls(struct fixture *f)
{
	struct sortme	*v;
	char		 pkt[64];
	int		 i;

	/* the TUN fd: a packet in, a packet out */
	memset(pkt, 0x45, sizeof(pkt));
	CHECK(write(f->dgram[0], pkt, sizeof(pkt)) == sizeof(pkt),
	    "write a packet");
	CHECK(read(f->dgram[1], pkt, sizeof(pkt)) == sizeof(pkt),
	    "read a packet");
	/* tun_reconf() sorts its peers' counters */
	CHECK((v = calloc(NSORT, sizeof(*v))) != NULL, "calloc");
	for (i = 0; i < NSORT; i++)
		v[i].id = (uint32_t)(NSORT - i) * 2654435761U;
	qsort(v, NSORT, sizeof(*v), sortme_cmp);
	for (i = 1; i < NSORT; i++)
		CHECK(v[i - 1].id <= v[i].id, "qsort of many peers");
	free(v);
}

static void
child_needed(struct fixture *f, enum meshd_role role, const void *arg)
{
	uint8_t	b[32];

	/* what the child's init does before its sandbox */
	event_init();
	if (role == PROC_NET || role == PROC_CRYPTO)
		CHECK(OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG,
		    NULL) == 1 && RAND_priv_bytes(b, sizeof(b)) == 1 &&
		    RAND_bytes(b, sizeof(b)) == 1, "OpenSSL initialisation");

	sandbox_enter(role);
	common_calls(f);
	event_calls(f);
	switch (role) {
	case PROC_NET:
		net_calls(f);
		break;
	case PROC_CRYPTO:
		crypto_calls(f);
		break;
	case PROC_TUN:
		tun_calls(f);
		break;
	default:
		break;
	}
	_exit(0);
}

int
main(void)
{
	const struct forbidden	*fb;
	enum meshd_role		 role;
	char			 report[256], name[128];
	size_t			 i;
	int			 st;

	/* the harness tells a kill from a call that returned */
	st = run_child(child_unsandboxed, PROC_NET, &forbidden[0], report,
	    sizeof(report));
	if (!ok(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "without a sandbox, open(2) returns and the child exits 0"))
		diag_status(st, report);

	for (role = PROC_NET; role <= PROC_TUN; role++) {
		for (i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
			fb = &forbidden[i];
			if ((fb->roles & (1 << role)) == 0)
				continue;
			snprintf(name, sizeof(name),
			    "meshd-%s: %s kills with SIGSYS", role_names[role],
			    fb->name);
			if (fb->san_allowed) {
				skip(name, "the sanitizer runtimes' list "
				    "allows it (MESHD_SANITIZE)");
				continue;
			}
			st = run_child(child_forbidden, role, fb, report,
			    sizeof(report));
			if (!ok(st != -1 && WIFSIGNALED(st) &&
			    WTERMSIG(st) == SIGSYS, "%s", name))
				diag_status(st, report);
		}
		st = run_child(child_needed, role, NULL, report,
		    sizeof(report));
		if (!ok(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "meshd-%s: the calls it needs work in its sandbox",
		    role_names[role]))
			diag_status(st, report);
	}
	return tap_done();
}
