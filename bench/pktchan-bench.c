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
 * pktchan-bench [-p] [-b batch] [-n nslots] [-s size] [-t seconds]
 *     [-m ring|unix|mmsg]
 *
 * Packets per second through one packet channel (common/pktchan.h)
 * between two processes, producer and consumer, for 64- and 1420-byte
 * packets, beside the obvious alternative: a UNIX SOCK_SEQPACKET
 * socketpair, one send/recv per packet and batched with
 * sendmmsg/recvmmsg.  Lossless: a producer that finds the ring full
 * waits for space (spinning, then yielding) instead of dropping.  The
 * consumer copies every packet into private memory, as meshd does.
 *
 * System calls per packet are those of the channel, counted by the
 * program itself: for the ring the eventfd writes and reads and the
 * consumer's polls, for the sockets every send and receive call.  The
 * producer's sched_yield while it waits for space is the benchmark's
 * flow control, not the channel's, and is shown apart.  Check the counts
 * with `perf stat -e raw_syscalls:sys_enter` or `strace -c -f`.
 * CPU time is both processes' user + system time.  The first line of
 * each size has both ends in one process on one CPU: the channel's own
 * cost per packet, which other load on the machine hardly changes.
 * -p pins the producer
 * to CPU 0 and the consumer to CPU 1.  -s and -m run one configuration.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pktchan.h"

#define END_PEER	0xffffffffU
#define POPMAX		64
#define MMSG		32

enum mode { M_RING, M_UNIX, M_MMSG };
static const char *const modename[] = {
	"pktchan ring", "unix seqpacket", "unix sendmmsg",
};

struct result {
	uint64_t	packets;	/* consumer: packets received */
	uint64_t	syscalls;	/* consumer: system calls made */
	uint64_t	polls;		/* consumer: of which poll */
	uint64_t	sum;		/* consumer: touches every packet */
};

static double	 secs = 2.0;
static uint32_t	 nslots = 512, batch = 32;
static int	 pin;

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
pincpu(int cpu)
{
	cpu_set_t	set;

	if (!pin)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) == -1)
		warn("sched_setaffinity");
}

static void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static void
ring_consumer(struct pktchan *c, struct result *r, size_t size)
{
	struct pktchan_pkt	 pkts[POPMAX];
	struct pollfd		 pfd;
	uint8_t			*buf;
	size_t			 buflen, i, n;

	buflen = POPMAX * ((size + 15) & ~(size_t)15);
	if ((buf = malloc(buflen)) == NULL)
		err(1, NULL);
	pfd.fd = pktchan_wakefd(c);
	pfd.events = POLLIN;
	for (;;) {
		while ((n = pktchan_pop(c, pkts, POPMAX, buf, buflen)) > 0) {
			for (i = 0; i < n; i++) {
				if (pkts[i].peer_id == END_PEER)
					return;
				r->sum += pkts[i].data[0];
				r->packets++;
			}
		}
		r->syscalls++;		/* read of the eventfd */
		if (pktchan_sleep(c) == 1)
			continue;
		r->syscalls++;
		r->polls++;
		if (poll(&pfd, 1, 10000) == 0)
			errx(1, "consumer: no wake-up in 10 s");
	}
}

/* the producer's side; returns packets sent and counts its syscalls */
static uint64_t
ring_producer(struct pktchan *p, size_t size, uint64_t *syscalls,
    uint64_t *full, uint64_t *wakeups, uint64_t *nyields)
{
	struct pktchan_stats	 st;
	uint8_t			*pkt;
	uint64_t		 sent = 0, yields = 0;
	uint32_t		 i, spins;
	double			 end = now() + secs;

	if ((pkt = calloc(1, size)) == NULL)
		err(1, NULL);
	while (now() < end) {
		for (i = 0; i < batch; i++) {
			memcpy(pkt, &sent, sizeof(sent));
			while (pktchan_push(p, 1, NULL, 0, pkt, size) == -1) {
				if (errno != ENOBUFS)
					err(1, "push");
				(*full)++;
				for (spins = 0; pktchan_space(p) == 0; spins++)
					if (spins < 2000)
						cpu_relax();
					else {
						sched_yield();
						yields++;
					}
			}
			sent++;
		}
		pktchan_flush(p);
	}
	while (pktchan_push(p, END_PEER, NULL, 0, pkt, 0) == -1)
		sched_yield();
	pktchan_flush(p);
	pktchan_stats(p, &st);
	*syscalls = st.wakeups;
	*wakeups = st.wakeups;
	*nyields = yields;
	free(pkt);
	return sent;
}

static void
unix_consumer(int fd, struct result *r, size_t size, int mm)
{
	struct mmsghdr	 msgs[MMSG];
	struct iovec	 iov[MMSG];
	uint8_t		*buf;
	ssize_t		 n;
	int		 i, k;

	if ((buf = malloc(MMSG * size + 1)) == NULL)
		err(1, NULL);
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < MMSG; i++) {
		iov[i].iov_base = buf + i * size;
		iov[i].iov_len = size;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	for (;;) {
		r->syscalls++;
		if (mm) {
			if ((k = recvmmsg(fd, msgs, MMSG, MSG_WAITFORONE,
			    NULL)) == -1)
				err(1, "recvmmsg");
		} else {
			if ((n = recv(fd, buf, size, 0)) == -1)
				err(1, "recv");
			msgs[0].msg_len = n;
			k = 1;
		}
		for (i = 0; i < k; i++) {
			if (msgs[i].msg_len == 0)
				return;		/* the end marker */
			r->sum += buf[i * size];
			r->packets++;
		}
	}
}

static uint64_t
unix_producer(int fd, size_t size, int mm, uint64_t *syscalls)
{
	struct mmsghdr	 msgs[MMSG];
	struct iovec	 iov[MMSG];
	uint8_t		*pkt;
	uint64_t	 sent = 0;
	double		 end = now() + secs;
	int		 i, k;

	if ((pkt = calloc(MMSG, size)) == NULL)
		err(1, NULL);
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < MMSG; i++) {
		iov[i].iov_base = pkt + i * size;
		iov[i].iov_len = size;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (now() < end) {
		if (mm) {
			for (i = 0; i < MMSG; i++)
				memcpy(pkt + i * size, &sent, sizeof(sent));
			for (i = 0; i < MMSG; i += k) {
				(*syscalls)++;
				if ((k = sendmmsg(fd, msgs + i, MMSG - i,
				    0)) == -1)
					err(1, "sendmmsg");
			}
			sent += MMSG;
		} else {
			memcpy(pkt, &sent, sizeof(sent));
			(*syscalls)++;
			if (send(fd, pkt, size, 0) == -1)
				err(1, "send");
			sent++;
		}
	}
	(*syscalls)++;
	if (send(fd, pkt, 0, 0) == -1)
		err(1, "send");
	free(pkt);
	return sent;
}

static double
cputime(int who)
{
	struct rusage	ru;

	getrusage(who, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/*
 * Both ends in one process on one CPU, batch by batch: the CPU cost of
 * the channel itself (push, flush, pop with its copy), free of
 * scheduling and of other load on the machine.
 */
static void
run_local(size_t size)
{
	struct pktchan		*p, *c;
	struct pktchan_pkt	 pkts[POPMAX];
	char			 errbuf[128];
	uint8_t			*pkt, *buf;
	uint64_t		 sent = 0, got = 0, sum = 0;
	size_t			 buflen, n, i;
	uint32_t		 k;
	double			 t0, cpu0, cpu;
	int			 memfd, efd, m2, e2;

	if (pktchan_create(nslots, size, &memfd, &efd) == -1 ||
	    (m2 = dup(memfd)) == -1 || (e2 = dup(efd)) == -1)
		err(1, "pktchan_create");
	if ((p = pktchan_attach(memfd, efd, PKTCHAN_PRODUCER, errbuf,
	    sizeof(errbuf))) == NULL ||
	    (c = pktchan_attach(m2, e2, PKTCHAN_CONSUMER, errbuf,
	    sizeof(errbuf))) == NULL)
		errx(1, "attach: %s", errbuf);
	buflen = POPMAX * ((size + 15) & ~(size_t)15);
	if ((pkt = calloc(1, size)) == NULL || (buf = malloc(buflen)) == NULL)
		err(1, NULL);
	pincpu(0);
	t0 = now();
	cpu0 = cputime(RUSAGE_SELF);
	while (now() - t0 < secs) {
		for (k = 0; k < batch; k++) {
			memcpy(pkt, &sent, sizeof(sent));
			if (pktchan_push(p, 1, NULL, 0, pkt, size) == -1)
				break;
			sent++;
		}
		pktchan_flush(p);
		while ((n = pktchan_pop(c, pkts, POPMAX, buf, buflen)) > 0)
			for (i = 0; i < n; i++) {
				sum += pkts[i].data[0];
				got++;
			}
	}
	cpu = cputime(RUSAGE_SELF) - cpu0;
	if (got != sent)
		errx(1, "local: sent %llu, received %llu",
		    (unsigned long long)sent, (unsigned long long)got);
	printf("%5zu  %-16s %8.2f %8.2f %10.4f %9.3f  (both ends on one "
	    "CPU)\n", size, "pktchan 1 CPU", got / cpu / 1e6,
	    got / cpu * size * 8 / 1e9, 0.0, cpu * 1e6 / got);
	fflush(stdout);
	pktchan_detach(p);
	pktchan_detach(c);
	free(pkt);
	free(buf);
}

/* one run; prints a line, returns packets per second */
static double
run(enum mode m, size_t size, double ref)
{
	struct pktchan	*p = NULL, *c;
	struct result	 r;
	char		 errbuf[128];
	uint64_t	 sent, psys = 0, full = 0, wakeups = 0, yields = 0;
	double		 t0, t1, cpu0, cpu1, pps;
	pid_t		 pid;
	int		 memfd, efd, sp[2], rp[2], status;

	if (pipe(rp) == -1)
		err(1, "pipe");
	if (m == M_RING) {
		if (pktchan_create(nslots, size, &memfd, &efd) == -1)
			err(1, "pktchan_create");
	} else if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == -1)
		err(1, "socketpair");
	cpu0 = cputime(RUSAGE_SELF) + cputime(RUSAGE_CHILDREN);
	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0) {
		pincpu(1);
		memset(&r, 0, sizeof(r));
		if (m == M_RING) {
			if ((c = pktchan_attach(memfd, efd, PKTCHAN_CONSUMER,
			    errbuf, sizeof(errbuf))) == NULL)
				errx(1, "attach: %s", errbuf);
			ring_consumer(c, &r, size);
		} else {
			close(sp[0]);
			unix_consumer(sp[1], &r, size, m == M_MMSG);
		}
		if (write(rp[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
			err(1, "write");
		_exit(0);
	}
	pincpu(0);
	close(rp[1]);
	t0 = now();
	if (m == M_RING) {
		if ((p = pktchan_attach(memfd, efd, PKTCHAN_PRODUCER, errbuf,
		    sizeof(errbuf))) == NULL)
			errx(1, "attach: %s", errbuf);
		sent = ring_producer(p, size, &psys, &full, &wakeups,
		    &yields);
	} else {
		close(sp[1]);
		sent = unix_producer(sp[0], size, m == M_MMSG, &psys);
		close(sp[0]);
	}
	if (read(rp[0], &r, sizeof(r)) != (ssize_t)sizeof(r))
		errx(1, "consumer failed");
	t1 = now();
	close(rp[0]);
	if (waitpid(pid, &status, 0) == -1 || status != 0)
		errx(1, "consumer exited with 0x%x", status);
	cpu1 = cputime(RUSAGE_SELF) + cputime(RUSAGE_CHILDREN);
	pktchan_detach(p);
	if (r.packets != sent)
		errx(1, "%s: sent %llu, received %llu", modename[m],
		    (unsigned long long)sent, (unsigned long long)r.packets);
	pps = sent / (t1 - t0);
	printf("%5zu  %-16s %8.2f %8.2f %10.4f %9.3f", size, modename[m],
	    pps / 1e6, pps * size * 8 / 1e9,
	    (double)(psys + r.syscalls) / sent, (cpu1 - cpu0) * 1e6 / sent);
	if (ref > 0)
		printf(" %7.2fx", ref / pps);
	else
		printf(" %8s", "");
	if (m == M_RING)
		printf("  (%llu wake-ups, %llu polls; full %llu times, "
		    "%llu yields)", (unsigned long long)wakeups,
		    (unsigned long long)r.polls, (unsigned long long)full,
		    (unsigned long long)yields);
	printf("\n");
	fflush(stdout);
	return pps;
}

static __attribute__((__noreturn__)) void
usage(void)
{
	fprintf(stderr, "usage: pktchan-bench [-p] [-b batch] [-n nslots] "
	    "[-s size] [-t seconds] [-m ring|unix|mmsg]\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	static const size_t	 sizes[] = { 64, 1420 };
	const char		*errstr;
	size_t			 i, size = 0;
	double			 ring;
	int			 ch, onlymode = -1;

	while ((ch = getopt(argc, argv, "b:m:n:ps:t:")) != -1) {
		switch (ch) {
		case 'b':
			batch = strtonum(optarg, 1, 65536, &errstr);
			if (errstr != NULL)
				errx(1, "batch %s: %s", optarg, errstr);
			break;
		case 'm':
			if (strcmp(optarg, "ring") == 0)
				onlymode = M_RING;
			else if (strcmp(optarg, "unix") == 0)
				onlymode = M_UNIX;
			else if (strcmp(optarg, "mmsg") == 0)
				onlymode = M_MMSG;
			else
				usage();
			break;
		case 'n':
			nslots = strtonum(optarg, 2, PKTCHAN_MAXSLOTS, &errstr);
			if (errstr != NULL || (nslots & (nslots - 1)) != 0)
				errx(1, "nslots %s: a power of two", optarg);
			break;
		case 'p':
			pin = 1;
			break;
		case 's':
			size = strtonum(optarg, 8, 65536, &errstr);
			if (errstr != NULL)
				errx(1, "size %s: %s", optarg, errstr);
			break;
		case 't':
			secs = strtod(optarg, NULL);
			if (secs <= 0 || secs > 3600)
				errx(1, "seconds %s: out of range", optarg);
			break;
		default:
			usage();
		}
	}
	signal(SIGPIPE, SIG_IGN);
	printf("packet channel, two processes, %.1f s per run, %u slots, "
	    "producer batches of %u%s\n", secs, nslots, batch,
	    pin ? ", pinned to CPUs 0 and 1" : "");
	printf("%5s  %-16s %8s %8s %10s %9s %8s\n", "size", "channel",
	    "Mpkt/s", "Gbit/s", "syscall/pk", "CPU us/pk", "ring is");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (size != 0 && i > 0)
			break;
		if (onlymode != -1) {
			run(onlymode, size ? size : sizes[i], 0);
			continue;
		}
		run_local(size ? size : sizes[i]);
		ring = run(M_RING, size ? size : sizes[i], 0);
		run(M_UNIX, size ? size : sizes[i], ring);
		run(M_MMSG, size ? size : sizes[i], ring);
	}
	return 0;
}
