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
 * Packet channels: a round trip in one process; a producer and a
 * consumer process through the real memfd and eventfd (a million packets
 * of varying sizes with sequence numbers and checksums; drops while the
 * consumer is stopped; many short bursts with the consumer asleep
 * between them, where a lost wake-up shows as a poll timeout); hostile
 * writers of the shared memory on either side; a producer thread
 * refilling bad slots against the consumer's round cap; attach refusing
 * bad memfds.  Run it under ASan too: make SANITIZE=1
 * build-san/regress/unit/pktchan (sanitizer builds also check every
 * shared access against the mapping).
 */

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "pktchan.h"

#define END_PEER	0xffffffffU	/* the end-of-stream marker */
#define POLL_MS		2000		/* a lost wake-up shows as this */

static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t
rnd(uint64_t *s)
{
	return mix((*s)++);
}

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint32_t
csum(const uint8_t *p, size_t n)
{
	uint64_t	h = 0xcbf29ce484222325ULL, w;
	size_t		i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	for (; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return (uint32_t)(h ^ (h >> 32));
}

/*
 * Packet number seq: its length (12 .. maxpkt), peer id and metadata
 * follow from seq; the bytes are seq, filler, and a checksum.
 */
static size_t
pkt_len(uint64_t seq, uint32_t maxpkt)
{
	return 12 + mix(seq ^ 0x5555) % (maxpkt - 11);
}

static uint32_t
pkt_peer(uint64_t seq)
{
	return (uint32_t)(seq * 2654435761U) & 0x7fffffff;
}

static size_t
pkt_meta(uint64_t seq, uint8_t *meta)
{
	size_t	i, n = seq % (PKTCHAN_META_MAX + 1);

	for (i = 0; i < n; i++)
		meta[i] = (uint8_t)(seq + i);
	return n;
}

static void
pkt_fill(uint64_t seq, uint8_t *p, size_t len)
{
	uint64_t	w, s = seq;
	size_t		i;
	uint32_t	c;

	memcpy(p, &seq, 8);
	for (i = 8; i + 8 <= len - 4; i += 8) {
		w = rnd(&s);
		memcpy(p + i, &w, 8);
	}
	for (; i < len - 4; i++)
		p[i] = (uint8_t)i;
	c = csum(p, len - 4);
	memcpy(p + len - 4, &c, 4);
}

/* 0 if pkt is packet number seq, intact */
static int
pkt_check(const struct pktchan_pkt *pkt, uint64_t seq, uint32_t maxpkt)
{
	uint8_t		meta[PKTCHAN_META_MAX];
	uint64_t	got;
	uint32_t	c;
	size_t		metalen;

	if (pkt->len != pkt_len(seq, maxpkt) || pkt->peer_id != pkt_peer(seq))
		return -1;
	memcpy(&got, pkt->data, 8);
	if (got != seq)
		return -1;
	memcpy(&c, pkt->data + pkt->len - 4, 4);
	if (c != csum(pkt->data, pkt->len - 4))
		return -1;
	metalen = pkt_meta(seq, meta);
	if (pkt->metalen != metalen || memcmp(pkt->meta, meta, metalen) != 0)
		return -1;
	return 0;
}

/* producer: push packet seq; 0, or -1 with errno */
static int
push_seq(struct pktchan *p, uint64_t seq, uint8_t *tmp)
{
	uint8_t	meta[PKTCHAN_META_MAX];
	size_t	len = pkt_len(seq, pktchan_maxpkt(p)), metalen;

	metalen = pkt_meta(seq, meta);
	pkt_fill(seq, tmp, len);
	return pktchan_push(p, pkt_peer(seq), meta, metalen, tmp, len);
}

/* producer: wait (yielding) until a slot is free; -1 after 10 s */
static int
wait_space(struct pktchan *p, uint32_t want)
{
	double	deadline = now() + 10;

	while (pktchan_space(p) < want) {
		if (now() > deadline)
			return -1;
		sched_yield();
	}
	return 0;
}

static int
push_end(struct pktchan *p)
{
	if (wait_space(p, 1) == -1)
		return -1;
	if (pktchan_push(p, END_PEER, NULL, 0, NULL, 0) == -1)
		return -1;
	pktchan_flush(p);
	return 0;
}

/* what a consumer process saw, sent back over a pipe */
struct cresult {
	uint64_t		received;	/* good packets in order */
	uint64_t		wrong;		/* out of order or corrupt */
	uint64_t		first_wrong;
	uint64_t		lost_wakeups;	/* timed out, ring not empty */
	uint64_t		idle_timeouts;	/* timed out, ring empty */
	int			ended;		/* saw END */
	struct pktchan_stats	st;
};

/*
 * Consumer process: take packets 0, 1, ... until END; after the first
 * time it goes to sleep, write a byte to readyfd (if not -1).
 */
static void
consumer(struct pktchan *c, int resfd, int readyfd)
{
	struct pktchan_pkt	 pkts[64];
	struct cresult		 r;
	struct pollfd		 pfd;
	uint8_t			*buf;
	size_t			 buflen, i, n;
	uint64_t		 seq = 0;
	int			 rv;

	alarm(120);
	memset(&r, 0, sizeof(r));
	buflen = 16 * (size_t)pktchan_maxpkt(c);
	if ((buf = malloc(buflen)) == NULL)
		_exit(2);
	pfd.fd = pktchan_wakefd(c);
	pfd.events = POLLIN;
	while (!r.ended) {
		n = pktchan_pop(c, pkts, 64, buf, buflen);
		for (i = 0; i < n && !r.ended; i++) {
			if (pkts[i].peer_id == END_PEER) {
				r.ended = 1;
				break;
			}
			if (pkt_check(&pkts[i], seq, pktchan_maxpkt(c)) == 0) {
				r.received++;
				seq++;
				continue;
			}
			if (r.wrong++ == 0)
				r.first_wrong = seq;
			/* resynchronise on the sequence number it carries */
			if (pkts[i].len >= 8)
				memcpy(&seq, pkts[i].data, 8);
			seq++;
		}
		if (n > 0 || r.ended)
			continue;
		if (pktchan_sleep(c) == 1)
			continue;
		if (readyfd != -1) {
			if (write(readyfd, "r", 1) != 1)
				_exit(4);
			close(readyfd);
			readyfd = -1;
		}
		while ((rv = poll(&pfd, 1, POLL_MS)) == -1 && errno == EINTR)
			;
		if (rv == 0) {
			/* did the producer publish without waking us? */
			if (pktchan_sleep(c) == 1)
				r.lost_wakeups++;
			else if (++r.idle_timeouts >= 3)
				break;
		}
	}
	pktchan_stats(c, &r.st);
	if (write(resfd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(4);
	_exit(0);
}

/* fork a consumer on a fresh channel; the parent keeps the producer */
static pid_t
spawn(uint32_t nslots, uint32_t maxpkt, struct pktchan **pp, int *resfd,
    int *readyfd)
{
	struct pktchan	*c;
	char		 err[128];
	int		 memfd, efd, rp[2], yp[2];
	pid_t		 pid;

	if (pktchan_create(nslots, maxpkt, &memfd, &efd) == -1 ||
	    pipe(rp) == -1 || pipe(yp) == -1)
		return -1;
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		close(rp[0]);
		close(yp[0]);
		if ((c = pktchan_attach(memfd, efd, PKTCHAN_CONSUMER, err,
		    sizeof(err))) == NULL)
			_exit(3);
		consumer(c, rp[1], readyfd != NULL ? yp[1] : -1);
	}
	close(rp[1]);
	close(yp[1]);
	if (readyfd != NULL)
		*readyfd = yp[0];
	else
		close(yp[0]);
	*resfd = rp[0];
	*pp = pktchan_attach(memfd, efd, PKTCHAN_PRODUCER, err, sizeof(err));
	if (*pp == NULL)
		diag("producer attach: %s", err);
	return pid;
}

static int
collect(pid_t pid, int resfd, struct cresult *r)
{
	ssize_t	n;
	int	status;

	memset(r, 0, sizeof(*r));
	n = read(resfd, r, sizeof(*r));
	close(resfd);
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		diag("consumer process failed: status 0x%x", status);
		return -1;
	}
	return n == (ssize_t)sizeof(*r) ? 0 : -1;
}

/* a channel with both ends in this process, and a raw view of it */
static int
pair(uint32_t nslots, uint32_t maxpkt, struct pktchan **p,
    struct pktchan **c, uint8_t **raw)
{
	char	err[128];
	int	memfd, efd, m2, e2;

	if (pktchan_create(nslots, maxpkt, &memfd, &efd) == -1)
		return -1;
	if ((m2 = dup(memfd)) == -1 || (e2 = dup(efd)) == -1)
		return -1;
	if (raw != NULL && (*raw = mmap(NULL, pktchan_size(nslots, maxpkt),
	    PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0)) == MAP_FAILED)
		return -1;
	*p = pktchan_attach(memfd, efd, PKTCHAN_PRODUCER, err, sizeof(err));
	*c = pktchan_attach(m2, e2, PKTCHAN_CONSUMER, err, sizeof(err));
	if (*p == NULL || *c == NULL) {
		diag("attach: %s", err);
		return -1;
	}
	return 0;
}

static int
readable(int fd)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

static void
test_roundtrip(void)
{
	struct pktchan		*p, *c;
	struct pktchan_pkt	 out[16];
	struct pktchan_stats	 st;
	uint8_t			 buf[16 * 256], pkt[300], *r;
	uint64_t		 s = 1, seq = 0, want = 0;
	size_t			 n, i, k;
	int			 okall, rv, ok3;

	if (pair(8, 256, &p, &c, NULL) == -1) {
		ok(0, "round trip: set up");
		return;
	}
	ok(pktchan_nslots(p) == 8 && pktchan_maxpkt(c) == 256,
	    "geometry as created");
	memset(pkt, 'a', sizeof(pkt));
	ok(pktchan_push(p, 7, "meta", 4, pkt, 100) == 0 &&
	    pktchan_push(p, 8, NULL, 0, pkt, 0) == 0 &&
	    pktchan_push(p, 9, pkt, PKTCHAN_META_MAX, pkt, 256) == 0,
	    "push three packets (100, 0 and 256 bytes)");
	is_int(pktchan_pop(c, out, 16, buf, sizeof(buf)), 0,
	    "nothing visible before flush");
	pktchan_flush(p);
	n = pktchan_pop(c, out, 16, buf, sizeof(buf));
	is_int(n, 3, "three after flush");
	ok(n == 3 && out[0].len == 100 && out[0].peer_id == 7 &&
	    out[0].metalen == 4 && memcmp(out[0].meta, "meta", 4) == 0 &&
	    out[0].meta[4] == 0 && memcmp(out[0].data, pkt, 100) == 0 &&
	    out[1].len == 0 && out[1].peer_id == 8 && out[1].metalen == 0 &&
	    out[2].len == 256 && out[2].metalen == PKTCHAN_META_MAX &&
	    memcmp(out[2].data, pkt, 256) == 0,
	    "lengths, peer ids, metadata and bytes intact");
	ok(n == 3 && out[0].data >= buf && out[2].data + 256 <= buf +
	    sizeof(buf) && ((uintptr_t)out[1].data & 15) == 0 &&
	    ((uintptr_t)out[2].data & 15) == 0,
	    "packets copied into the private buffer, 16-byte aligned");

	errno = 0;
	ok(pktchan_push(p, 1, NULL, 0, pkt, 257) == -1 && errno == EMSGSIZE,
	    "a packet over maxpkt: EMSGSIZE");
	errno = 0;
	ok(pktchan_push(p, 1, pkt, PKTCHAN_META_MAX + 1, pkt, 1) == -1 &&
	    errno == EINVAL, "metadata over %d bytes: EINVAL",
	    PKTCHAN_META_MAX);
	for (i = 0, rv = 0; i < 8; i++)
		rv |= pktchan_push(p, (uint32_t)i, NULL, 0, pkt, 10);
	errno = 0;
	ok(rv == 0 && pktchan_push(p, 99, NULL, 0, pkt, 10) == -1 &&
	    errno == ENOBUFS, "a full ring: ENOBUFS, no blocking");
	is_int(pktchan_space(p), 0, "no space left");
	n = pktchan_pop(c, out, 16, buf, sizeof(buf));
	is_int(n, 8, "a full ring flushes itself: the consumer drains it");
	pktchan_stats(p, &st);
	ok(st.pushed == 11 && st.dropped_full == 1 && st.dropped_size == 1,
	    "producer counts: 11 pushed, 1 dropped full, 1 too long");
	is_int(pktchan_space(p), 8, "all space back after the pop");

	/* a small buffer: one maxpkt packet per pop */
	for (i = 0; i < 3; i++)
		pktchan_push(p, 0, NULL, 0, pkt, 256);
	pktchan_flush(p);
	ok(pktchan_pop(c, out, 16, buf, 256) == 1 &&
	    pktchan_pop(c, out, 16, buf, 300) == 1 &&
	    pktchan_pop(c, out, 1, buf, sizeof(buf)) == 1 &&
	    pktchan_pop(c, out, 16, buf, sizeof(buf)) == 0,
	    "pop stops at the end of the caller's buffer and at max");

	/* reserve several, commit some, cancel the rest */
	ok((r = pktchan_reserve(p, 256)) != NULL, "reserve");
	memset(r, 'x', 50);
	ok((r = pktchan_reserve(p, 20)) != NULL, "reserve a second slot");
	memset(r, 'y', 20);
	ok(pktchan_reserve(p, 257) == NULL && errno == EMSGSIZE,
	    "reserve over maxpkt fails");
	pktchan_commit(p, 50, 1, NULL, 0);
	pktchan_commit(p, 20, 2, "e", 1);
	ok(pktchan_reserve(p, 10) != NULL, "reserve a third");
	pktchan_cancel(p);
	pktchan_flush(p);
	n = pktchan_pop(c, out, 16, buf, sizeof(buf));
	ok(n == 2 && out[0].len == 50 && out[0].data[49] == 'x' &&
	    out[1].len == 20 && out[1].data[0] == 'y' && out[1].peer_id == 2,
	    "commits in reservation order; the cancelled one never shows");

	/* many times round the ring, batches of 1 to 9 */
	for (k = 0, okall = 1; k < 20000; k++) {
		size_t	b = 1 + rnd(&s) % 9;

		for (i = 0; i < b; i++) {
			if (push_seq(p, seq, pkt) == -1)
				break;
			seq++;
		}
		if (b > 8 && i != 8)
			okall = 0;
		pktchan_flush(p);
		n = pktchan_pop(c, out, 1 + rnd(&s) % 16, buf, sizeof(buf));
		for (i = 0; i < n; i++)
			if (pkt_check(&out[i], want++, 256) != 0)
				okall = 0;
		while ((n = pktchan_pop(c, out, 16, buf, sizeof(buf))) > 0)
			for (i = 0; i < n; i++)
				if (pkt_check(&out[i], want++, 256) != 0)
					okall = 0;
	}
	ok(okall && want == seq && seq > 80000,
	    "%llu packets round the 8-slot ring, in order and intact",
	    (unsigned long long)seq);

	/* the wake-up protocol, step by step */
	pktchan_stats(p, &st);
	is_int(st.wakeups, 0, "no eventfd write while the consumer is awake");
	is_int(pktchan_sleep(c), 0, "empty ring: the consumer may sleep");
	ok(!readable(pktchan_wakefd(c)), "eventfd not readable yet");
	pktchan_push(p, 1, NULL, 0, pkt, 1);
	pktchan_flush(p);
	ok(readable(pktchan_wakefd(c)), "flush wakes a sleeping consumer");
	pktchan_push(p, 1, NULL, 0, pkt, 1);
	pktchan_flush(p);
	pktchan_stats(p, &st);
	is_int(st.wakeups, 1, "one eventfd write per sleep");
	is_int(pktchan_sleep(c), 1, "sleep with packets waiting: do not");
	is_int(pktchan_pop(c, out, 16, buf, sizeof(buf)), 2, "both there");
	is_int(pktchan_sleep(c), 0, "empty again: sleep");
	ok(!readable(pktchan_wakefd(c)), "sleep drained the eventfd");
	pktchan_push(p, 1, NULL, 0, pkt, 1);
	pktchan_flush(p);
	pktchan_push(p, 1, NULL, 0, pkt, 1);
	pktchan_flush(p);
	ok3 = pktchan_pop(c, out, 16, buf, sizeof(buf)) == 2;
	pktchan_push(p, 1, NULL, 0, pkt, 1);
	pktchan_flush(p);
	pktchan_stats(p, &st);
	ok(ok3 && st.wakeups == 2,
	    "awake consumer: flushes make no system call");
	pktchan_flush(p);
	pktchan_stats(c, &st);
	ok(st.popped == 3 + 8 + 3 + 2 + seq + 2 + 2 && st.bad == 0 &&
	    st.bad_index == 0 && st.sleeps == 2,
	    "consumer counts: popped, no bad entries, two sleeps");
	pktchan_detach(p);
	pktchan_detach(c);
}

static void
test_stream(void)
{
	struct pktchan		*p;
	struct pktchan_stats	 st;
	struct cresult		 r;
	uint8_t			 tmp[1500];
	uint64_t		 seq, n = 1000000, retries = 0;
	double			 t0;
	pid_t			 pid;
	int			 resfd, stalled = 0;

	if ((pid = spawn(256, 1500, &p, &resfd, NULL)) == -1 || p == NULL) {
		ok(0, "stream: set up");
		return;
	}
	t0 = now();
	for (seq = 0; seq < n && !stalled; seq++) {
		while (push_seq(p, seq, tmp) == -1) {
			if (errno != ENOBUFS || wait_space(p, 1) == -1) {
				stalled = 1;
				break;
			}
			retries++;
		}
		if (seq % 32 == 31)
			pktchan_flush(p);
	}
	pktchan_flush(p);
	ok(!stalled && push_end(p) == 0, "producer pushed %llu packets",
	    (unsigned long long)n);
	pktchan_stats(p, &st);
	ok(collect(pid, resfd, &r) == 0, "consumer process reported");
	diag("%.2f s, producer waited for space %llu times, %llu wake-ups, "
	    "consumer slept %llu times", now() - t0,
	    (unsigned long long)retries, (unsigned long long)st.wakeups,
	    (unsigned long long)r.st.sleeps);
	is_int(r.received, n, "every packet arrived once, in order, intact");
	is_int(r.wrong, 0, "no packet lost, duplicated or corrupt");
	if (r.wrong)
		diag("first wrong at %llu", (unsigned long long)r.first_wrong);
	ok(r.ended && r.lost_wakeups == 0 && r.idle_timeouts == 0,
	    "no lost wake-up");
	ok(st.pushed == n + 1 && r.st.popped == n + 1 && r.st.bad == 0 &&
	    r.st.bad_index == 0, "counters agree: %llu pushed, %llu popped",
	    (unsigned long long)st.pushed, (unsigned long long)r.st.popped);
	pktchan_detach(p);
}

static void
test_stopped(void)
{
	struct pktchan		*p;
	struct pktchan_stats	 st;
	struct cresult		 r;
	uint8_t			 tmp[512];
	uint32_t		 nslots = 128, k = 300, i, good = 0, full = 0;
	pid_t			 pid;
	int			 resfd, readyfd, status;
	char			 c;

	if ((pid = spawn(nslots, 512, &p, &resfd, &readyfd)) == -1 ||
	    p == NULL) {
		ok(0, "stopped consumer: set up");
		return;
	}
	if (read(readyfd, &c, 1) != 1 || kill(pid, SIGSTOP) == -1 ||
	    waitpid(pid, &status, WUNTRACED) != pid || !WIFSTOPPED(status)) {
		ok(0, "stop the consumer");
		kill(pid, SIGKILL);
		return;
	}
	close(readyfd);
	for (i = 0; i < nslots + k; i++) {
		if (push_seq(p, i, tmp) == 0)
			good++;
		else if (errno == ENOBUFS)
			full++;
		if (i % 16 == 15)
			pktchan_flush(p);
	}
	pktchan_flush(p);
	pktchan_stats(p, &st);
	ok(good == nslots && full == k && st.dropped_full == k,
	    "consumer stopped: %u queued, %u dropped and counted", good,
	    (unsigned)st.dropped_full);
	is_int(st.wakeups, 1, "one wake-up for the sleeping consumer");
	kill(pid, SIGCONT);
	ok(push_end(p) == 0, "after SIGCONT the ring drains");
	ok(collect(pid, resfd, &r) == 0, "consumer process reported");
	ok(r.ended && r.received == nslots && r.wrong == 0 &&
	    r.lost_wakeups == 0, "the consumer got the first %u, intact",
	    nslots);
	pktchan_detach(p);
}

/* spin about n short steps without a system call */
static void
spin(uint64_t n)
{
	volatile uint64_t	x = 0;

	while (n-- > 0)
		x++;
}

static void
test_wakeups(void)
{
	struct pktchan		*p;
	struct pktchan_stats	 st;
	struct cresult		 r;
	struct timespec		 ts;
	uint8_t			 tmp[128];
	uint64_t		 s = 7, seq = 0, b, bursts = 20000, i, k;
	double			 t0, deadline;
	pid_t			 pid;
	int			 resfd, stalled = 0;

	if ((pid = spawn(64, 128, &p, &resfd, NULL)) == -1 || p == NULL) {
		ok(0, "wake-ups: set up");
		return;
	}
	t0 = now();
	for (b = 0; b < bursts && !stalled; b++) {
		k = 1 + rnd(&s) % 3;
		for (i = 0; i < k; i++)
			if (push_seq(p, seq, tmp) == 0)
				seq++;
		pktchan_flush(p);
		/* wait until it is drained, without a system call */
		deadline = now() + 5;
		for (i = 0; pktchan_space(p) < 64; i++) {
			if (i % 1024 == 1023)
				sched_yield();	/* in case of one CPU */
			if (now() > deadline) {
				stalled = 1;
				break;
			}
		}
		/* then let the consumer get anywhere on its way to sleep */
		switch (rnd(&s) % 8) {
		case 0:
			ts.tv_sec = 0;
			ts.tv_nsec = 20000 + rnd(&s) % 200000;
			nanosleep(&ts, NULL);
			break;
		case 1:
			break;
		default:
			spin(rnd(&s) % 4000);
			break;
		}
	}
	ok(!stalled && push_end(p) == 0,
	    "%llu bursts of 1-3 packets, %llu packets", (unsigned long long)b,
	    (unsigned long long)seq);
	pktchan_stats(p, &st);
	ok(collect(pid, resfd, &r) == 0, "consumer process reported");
	diag("%.2f s; consumer slept %llu times, producer woke it %llu times",
	    now() - t0, (unsigned long long)r.st.sleeps,
	    (unsigned long long)st.wakeups);
	ok(r.ended && r.received == seq && r.wrong == 0,
	    "every packet arrived");
	is_int(r.lost_wakeups, 0, "no lost wake-up");
	is_int(r.idle_timeouts, 0, "no stall");
	ok(r.st.sleeps > bursts / 4 && st.wakeups > bursts / 4,
	    "the consumer really slept between bursts (%llu times)",
	    (unsigned long long)r.st.sleeps);
	pktchan_detach(p);
}

static void
put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* check what pop returned: inside buf, lengths in range */
static int
sane(const struct pktchan_pkt *out, size_t n, size_t max,
    const uint8_t *buf, size_t buflen, uint32_t maxpkt)
{
	size_t	i;

	if (n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (out[i].len > maxpkt || out[i].metalen > PKTCHAN_META_MAX ||
		    out[i].data < buf || out[i].data > buf + buflen ||
		    out[i].len > (size_t)(buf + buflen - out[i].data))
			return 0;
	return 1;
}

static void
test_hostile_producer(void)
{
	struct pktchan		*p, *c;
	struct pktchan_pkt	*out;
	struct pktchan_stats	 st;
	uint8_t			*raw, *buf, *sl;
	const uint32_t		 nslots = 16, maxpkt = 200;
	uint32_t		 stride, i, head;
	size_t			 size, buflen = 2 * 200, n, max = 8;
	uint64_t		 s = 3, it, pops = 0, got = 0;
	volatile uint32_t	*v;
	double			 t0;
	int			 allsane = 1, status, idle;
	pid_t			 pid;

	if (pair(nslots, maxpkt, &p, &c, &raw) == -1) {
		ok(0, "hostile producer: set up");
		return;
	}
	/* exactly sized, so ASan sees any overrun */
	buf = malloc(buflen);
	out = calloc(max, sizeof(*out));
	size = pktchan_size(nslots, maxpkt);
	memcpy(&stride, raw + PKTCHAN_OFF_STRIDE, 4);
#define SLOT(i)	(raw + PKTCHAN_HDRSIZE + ((i) % nslots) * stride)

	/* slots written by hand: good, too long, huge, bad metalen, good */
	for (i = 0; i < 5; i++) {
		sl = SLOT(i);
		put32(sl + PKTCHAN_SLOT_LEN, 10);
		put32(sl + PKTCHAN_SLOT_PEER, i);
		put32(sl + PKTCHAN_SLOT_METALEN, 2);
	}
	put32(SLOT(1) + PKTCHAN_SLOT_LEN, maxpkt + 1);
	put32(SLOT(2) + PKTCHAN_SLOT_LEN, 0xffffffff);
	put32(SLOT(3) + PKTCHAN_SLOT_METALEN, PKTCHAN_META_MAX + 1);
	put32(raw + PKTCHAN_OFF_HEAD, 5);
	n = pktchan_pop(c, out, max, buf, buflen);
	pktchan_stats(c, &st);
	ok(n == 2 && out[0].peer_id == 0 && out[1].peer_id == 4 &&
	    st.bad == 3, "impossible lengths counted and skipped (%llu bad)",
	    (unsigned long long)st.bad);

	/* impossible heads: nothing read, counted */
	put32(raw + PKTCHAN_OFF_HEAD, 5 + nslots + 1);
	n = pktchan_pop(c, out, max, buf, buflen);
	put32(raw + PKTCHAN_OFF_HEAD, 4);
	n += pktchan_pop(c, out, max, buf, buflen);
	put32(raw + PKTCHAN_OFF_HEAD, 0x80000000);
	n += pktchan_pop(c, out, max, buf, buflen);
	pktchan_stats(c, &st);
	ok(n == 0 && st.bad_index == 3,
	    "a head behind the tail or too far ahead: nothing read, counted");
	is_int(pktchan_sleep(c), 0, "an impossible head cannot keep the "
	    "consumer from sleeping (popping nothing for ever)");

	/* the header's geometry rewritten after attach changes nothing */
	put32(raw + PKTCHAN_OFF_NSLOTS, 0xffffffff);
	put32(raw + PKTCHAN_OFF_MAXPKT, 0xffffffff);
	put32(raw + PKTCHAN_OFF_STRIDE, 0xffffffff);
	put32(raw + PKTCHAN_OFF_MAGIC, 0);
	for (i = 5; i < 5 + nslots; i++) {
		sl = SLOT(i);
		put32(sl + PKTCHAN_SLOT_LEN, maxpkt);
		put32(sl + PKTCHAN_SLOT_METALEN, 0);
		put32(sl + PKTCHAN_SLOT_PEER, i);
	}
	put32(raw + PKTCHAN_OFF_HEAD, 5 + nslots);
	for (n = 0, got = 0; (n = pktchan_pop(c, out, max, buf, buflen)) > 0;)
		got += n;
	is_int(got, nslots, "a full ring of maxpkt packets, header "
	    "geometry overwritten: the attached geometry holds");

	/* random garbage over the header and the slots */
	for (it = 0; it < 50000; it++) {
		uint64_t	w = rnd(&s);

		/* the consumer's private tail: all it took or skipped */
		pktchan_stats(c, &st);
		if (w % 4 == 0)	/* any head at all */
			head = (uint32_t)(w >> 16);
		else		/* a plausible one, sometimes too far */
			head = (uint32_t)(st.popped + st.bad) +
			    (uint32_t)((w >> 16) % (nslots + 2));
		put32(raw + PKTCHAN_OFF_HEAD, head);
		for (i = 0; i < 4; i++) {
			w = rnd(&s);
			put32(SLOT((uint32_t)w) + ((w >> 32) % 12) * 4,
			    (w >> 40) % 3 == 0 ? (uint32_t)(w >> 8) :
			    (uint32_t)(w >> 40) % (maxpkt + 40));
		}
		if (it % 7 == 0)
			put32(raw + 4 * (rnd(&s) % (PKTCHAN_HDRSIZE / 4)),
			    (uint32_t)rnd(&s));
		n = pktchan_pop(c, out, 1 + it % max, buf, buflen);
		if (!sane(out, n, 1 + it % max, buf, buflen, maxpkt))
			allsane = 0;
		if (it % 5 == 0)
			(void)pktchan_sleep(c);
		pops++;
	}
	pktchan_stats(c, &st);
	ok(allsane && st.bad > 1000 && st.bad_index > 1000,
	    "%llu pops over garbage: every result in range "
	    "(%llu bad, %llu bad index)", (unsigned long long)pops,
	    (unsigned long long)st.bad, (unsigned long long)st.bad_index);

	/*
	 * A second process scribbling everywhere while we pop, moving the
	 * head near the tail we publish so that slots get read.
	 */
	pktchan_stats(c, &st);
	put32(raw + PKTCHAN_OFF_TAIL, (uint32_t)(st.popped + st.bad));
	if ((pid = fork()) == 0) {
		alarm(30);
		/* volatile: the compiler may not cache or sink these */
		v = (volatile uint32_t *)(void *)raw;
		for (s = 99;;) {
			uint64_t	w = rnd(&s);
			uint32_t	t;

			i = (uint32_t)(w >> 8) % nslots;
			switch (w % 4) {
			case 0:	/* anywhere but the tail the consumer owns */
				t = (uint32_t)((w >> 8) % (size / 4));
				if (t != PKTCHAN_OFF_TAIL / 4)
					v[t] = (uint32_t)(w >> 32);
				break;
			case 1:	/* lengths, mostly plausible */
				v[(PKTCHAN_HDRSIZE + i * stride +
				    PKTCHAN_SLOT_LEN) / 4] =
				    (w >> 32) % (maxpkt + 8);
				break;
			case 2:
				v[(PKTCHAN_HDRSIZE + i * stride +
				    PKTCHAN_SLOT_METALEN) / 4] =
				    (w >> 32) % (PKTCHAN_META_MAX + 4);
				break;
			default:	/* heads, mostly near the tail */
				t = v[PKTCHAN_OFF_TAIL / 4];
				v[PKTCHAN_OFF_HEAD / 4] = w % 16 == 3 ?
				    (uint32_t)(w >> 32) :
				    t + (w >> 32) % (nslots + 2);
				break;
			}
		}
	}
	allsane = pid != -1;
	got = 0;
	t0 = now();
	for (it = 0, idle = 0; allsane; it++) {
		n = pktchan_pop(c, out, max, buf, buflen);
		if (!sane(out, n, max, buf, buflen, maxpkt))
			allsane = 0;
		got += n;
		/* sharing a CPU with the scribbler: let it run */
		if (n == 0 && ++idle % 256 == 0)
			sched_yield();
		/* half a second, more if the scribbler ran too little */
		if (it % 1024 == 0 && now() - t0 > (got < 10000 ? 5 : 0.5))
			break;
	}
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	ok(allsane && got > 100, "%llu pops against a concurrent "
	    "scribbler: %llu packets, every one in range",
	    (unsigned long long)it, (unsigned long long)got);
#undef SLOT
	munmap(raw, size);
	free(buf);
	free(out);
	pktchan_detach(p);
	pktchan_detach(c);
}

/*
 * A hostile producer refilling every free slot with an impossible length
 * as fast as it can: each round of the consumer's callback still ends
 * after a bounded number of slots.  The producer stops after a fixed
 * number of slots, so a consumer without the bound comes back too, with
 * all of them counted in one round.
 */
#define REFILL_TOTAL	2000000U

struct refill {
	uint8_t			*raw;
	uint32_t		 nslots, stride;
	_Atomic int		 stop;
	_Atomic uint32_t	 made;
};

static void *
refill_bad(void *arg)
{
	struct refill		*rf = arg;
	volatile uint32_t	*head, *tail;
	uint32_t		 h, t;

	head = (volatile uint32_t *)(void *)(rf->raw + PKTCHAN_OFF_HEAD);
	tail = (volatile uint32_t *)(void *)(rf->raw + PKTCHAN_OFF_TAIL);
	for (h = *head; !rf->stop && rf->made < REFILL_TOTAL;) {
		for (t = *tail; h != t + rf->nslots; h++)
			put32(rf->raw + PKTCHAN_HDRSIZE + (h % rf->nslots) *
			    rf->stride + PKTCHAN_SLOT_LEN, 0xffffffff);
		atomic_thread_fence(memory_order_release);
		*head = h;
		rf->made = h;
	}
	return NULL;
}

static void
count_batch(struct pktchan_pkt *pkts, size_t n, void *arg)
{
	*(uint64_t *)arg += n;
}

static void
test_round_cap(void)
{
	struct pktchan		*p, *c;
	struct pktchan_pkt	 out[64];
	struct pktchan_stats	 st;
	struct refill		 rf;
	pthread_t		 thr;
	uint8_t			*raw, *buf;
	const uint32_t		 nslots = 4096, maxpkt = 100;
	const unsigned int	 rounds = 4;
	const size_t		 max = 8, buflen = 8 * 112;
	uint64_t		 before, took, most = 0, good = 0, calls = 0;
	uint64_t		 capped = 0;
	uint32_t		 i, stride;
	int			 r, started;

	if (pair(nslots, maxpkt, &p, &c, &raw) == -1 ||
	    (buf = malloc(buflen)) == NULL) {
		ok(0, "round cap: set up");
		return;
	}
	memcpy(&stride, raw + PKTCHAN_OFF_STRIDE, 4);

	/* a full ring of bad slots: one pop takes max of them, no more */
	for (i = 0; i < nslots; i++)
		put32(raw + PKTCHAN_HDRSIZE + i * stride + PKTCHAN_SLOT_LEN,
		    maxpkt + 1);
	put32(raw + PKTCHAN_OFF_HEAD, nslots);
	r = pktchan_pop(c, out, 8, buf, buflen);
	pktchan_stats(c, &st);
	ok(r == 0 && st.bad == 8, "a pop over bad slots takes max (8) of "
	    "them and returns 0 (took %llu)", (unsigned long long)st.bad);
	r = pktchan_consume(c, out, 8, buf, buflen, 4, count_batch, &good);
	pktchan_stats(c, &st);
	ok(r == 1 && st.bad - 8 <= 4 * 8 && st.bad - 8 > 0,
	    "a round over bad slots ends at its cap and asks to be "
	    "rescheduled (took %llu <= 4 * 8)",
	    (unsigned long long)(st.bad - 8));

	/* now a producer thread that keeps refilling them */
	memset(&rf, 0, sizeof(rf));
	rf.raw = raw;
	rf.nslots = nslots;
	rf.stride = stride;
	started = pthread_create(&thr, NULL, refill_bad, &rf) == 0;
	while (started && rf.made < REFILL_TOTAL) {
		pktchan_stats(c, &st);
		before = st.popped + st.bad;
		r = pktchan_consume(c, out, max, buf, buflen, rounds,
		    count_batch, &good);
		pktchan_stats(c, &st);
		took = st.popped + st.bad - before;
		if (took > most)
			most = took;
		capped += r == 1;
		calls++;
		if (r == 0)
			sched_yield();	/* one CPU: let the producer run */
	}
	if (started) {
		rf.stop = 1;
		pthread_join(thr, NULL);
	}
	pktchan_stats(c, &st);
	ok(started && most <= rounds * max && st.bad > 100000 && good == 0,
	    "a producer refilling bad slots: %llu rounds took at most %llu "
	    "slots each (cap %llu), %llu ended at the cap, %llu bad slots in "
	    "all", (unsigned long long)calls, (unsigned long long)most,
	    (unsigned long long)(rounds * max), (unsigned long long)capped,
	    (unsigned long long)st.bad);
	munmap(raw, pktchan_size(nslots, maxpkt));
	free(buf);
	pktchan_detach(p);
	pktchan_detach(c);
}

static void
test_hostile_consumer(void)
{
	struct pktchan		*p, *c;
	struct pktchan_stats	 st;
	uint8_t			*raw, pkt[64];
	uint32_t		 i;
	uint64_t		 s = 5;
	int			 rv = 0, allok = 1;

	if (pair(8, 64, &p, &c, &raw) == -1) {
		ok(0, "hostile consumer: set up");
		return;
	}
	memset(pkt, 0, sizeof(pkt));
	for (i = 0; i < 8; i++)
		rv |= pktchan_push(p, i, NULL, 0, pkt, sizeof(pkt));
	pktchan_flush(p);
	/* a tail ahead of what we published */
	put32(raw + PKTCHAN_OFF_TAIL, 100);
	ok(rv == 0 && pktchan_push(p, 9, NULL, 0, pkt, 1) == -1 &&
	    errno == ENOBUFS, "a tail past the head: the ring stays full");
	pktchan_stats(p, &st);
	is_int(st.bad_index, 1, "and the impossible tail is counted");
	put32(raw + PKTCHAN_OFF_TAIL, 8);
	ok(pktchan_push(p, 9, NULL, 0, pkt, 1) == 0,
	    "a good tail: space again");
	/* a sleeping flag set for ever only costs the producer syscalls */
	put32(raw + PKTCHAN_OFF_SLEEPING, 0x12345678);
	pktchan_flush(p);
	pktchan_stats(p, &st);
	is_int(st.wakeups, 1, "garbage in the sleeping flag: one wake-up");
	for (i = 0; i < 20000; i++) {
		put32(raw + PKTCHAN_OFF_TAIL, (uint32_t)rnd(&s) %
		    (i & 1 ? 0xffffffffU : 24));
		if (i % 3 == 0)
			put32(raw + PKTCHAN_OFF_SLEEPING, (uint32_t)rnd(&s));
		if (pktchan_push(p, i, NULL, 0, pkt, rnd(&s) % 65) == -1 &&
		    errno != ENOBUFS)
			allok = 0;
		pktchan_flush(p);
	}
	pktchan_stats(p, &st);
	ok(allok && st.bad_index > 100, "a consumer writing garbage "
	    "tails: the producer stays inside its slots (%llu bad index)",
	    (unsigned long long)st.bad_index);
	munmap(raw, pktchan_size(8, 64));
	pktchan_detach(p);
	pktchan_detach(c);
}

/* a memfd holding a header with the given fields */
static int
fake(uint64_t size, uint32_t magic, uint32_t version, uint32_t nslots,
    uint32_t maxpkt, uint32_t stride, uint32_t hdrsize, uint64_t hsize,
    int seal)
{
	uint8_t	h[32];
	int	fd;

	memset(h, 0, sizeof(h));
	put32(h + PKTCHAN_OFF_MAGIC, magic);
	put32(h + PKTCHAN_OFF_VERSION, version);
	put32(h + PKTCHAN_OFF_NSLOTS, nslots);
	put32(h + PKTCHAN_OFF_MAXPKT, maxpkt);
	put32(h + PKTCHAN_OFF_STRIDE, stride);
	put32(h + PKTCHAN_OFF_HDRSIZE, hdrsize);
	memcpy(h + PKTCHAN_OFF_SIZE, &hsize, 8);
	if ((fd = memfd_create("fake", MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1)
		return -1;
	if (ftruncate(fd, size) == -1 ||
	    pwrite(fd, h, size < sizeof(h) ? size : sizeof(h), 0) == -1 ||
	    (seal && fcntl(fd, F_ADD_SEALS,
	    F_SEAL_SHRINK | F_SEAL_GROW) == -1)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* attach fd as a consumer; 1 if it fails with a message holding want */
static int
refused(int fd, const char *want)
{
	struct pktchan	*c;
	char		 err[200];
	int		 efd;

	err[0] = '\0';
	if (fd == -1 || (efd = eventfd(0, EFD_CLOEXEC)) == -1)
		return 0;
	if ((c = pktchan_attach(fd, efd, PKTCHAN_CONSUMER, err,
	    sizeof(err))) != NULL) {
		pktchan_detach(c);
		return 0;
	}
	if (strstr(err, want) == NULL) {
		diag("error \"%s\", wanted \"%s\"", err, want);
		return 0;
	}
	/* the fds were taken */
	return fcntl(fd, F_GETFD) == -1 && fcntl(efd, F_GETFD) == -1;
}

static void
test_attach(void)
{
	struct pktchan	*c;
	FILE		*f;
	char		 line[512], err[128];
	uint64_t	 sz = pktchan_size(8, 64);
	uint32_t	 st = (PKTCHAN_SLOT_DATA + 64 + 63) & ~63U;
	int		 memfd, efd, fl, pfd[2], rw = 0, ro = 0;

	is_int(sz, PKTCHAN_HDRSIZE + 8 * st, "size of an 8 x 64 channel");
	ok(pktchan_create(3, 64, &memfd, &efd) == -1 && errno == EINVAL &&
	    pktchan_create(8, 0, &memfd, &efd) == -1 &&
	    pktchan_create(1, 64, &memfd, &efd) == -1 &&
	    pktchan_create(PKTCHAN_MAXSLOTS * 2, 64, &memfd, &efd) == -1 &&
	    pktchan_create(8, PKTCHAN_MAXPKT + 1, &memfd, &efd) == -1 &&
	    pktchan_create(PKTCHAN_MAXSLOTS, PKTCHAN_MAXPKT, &memfd,
	    &efd) == -1, "create refuses bad geometries");
	if (pktchan_create(8, 64, &memfd, &efd) == -1) {
		ok(0, "create");
		return;
	}
	fl = fcntl(efd, F_GETFL);
	ok((fcntl(memfd, F_GETFD) & FD_CLOEXEC) &&
	    (fcntl(efd, F_GETFD) & FD_CLOEXEC) && (fl & O_NONBLOCK),
	    "both fds close-on-exec, the eventfd non-blocking");
	ok(ftruncate(memfd, 4096) == -1 && errno == EPERM &&
	    ftruncate(memfd, sz * 2) == -1 && errno == EPERM,
	    "the memfd can neither shrink nor grow");
	if ((c = pktchan_attach(memfd, efd, PKTCHAN_CONSUMER, err,
	    sizeof(err))) == NULL)
		diag("%s", err);
	if ((f = fopen("/proc/self/maps", "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			if (strstr(line, "meshd-pktchan") == NULL)
				continue;
			if (strstr(line, " rw-s ") != NULL)
				rw++;
			if (strstr(line, " r--s ") != NULL)
				ro++;
		}
		fclose(f);
	}
	ok(c != NULL && rw == 1 && ro == 1,
	    "the consumer maps the header writable, the slots read-only");
	pktchan_detach(c);

	ok(refused(fake(100, PKTCHAN_MAGIC, 1, 8, 64, st, 4096, sz, 1),
	    "too small"), "a memfd smaller than the header");
	ok(refused(fake(sz + 4096, PKTCHAN_MAGIC, 1, 8, 64, st, 4096, sz, 1),
	    "wrong size"), "a memfd larger than its header says");
	ok(refused(fake(8192, PKTCHAN_MAGIC, 1, 64, 64, st, 4096, 8192, 1),
	    "wrong size"), "a memfd smaller than its geometry");
	ok(refused(fake(sz, PKTCHAN_MAGIC, 1, 8, 64, st, 4096, sz + 64, 1),
	    "wrong size"), "a header size field that disagrees");
	ok(refused(fake(sz, PKTCHAN_MAGIC, 1, 8, 64, st, 4096, sz, 0),
	    "not sealed"), "an unsealed memfd (could shrink under us)");
	ok(refused(fake(sz, 0x12345678, 1, 8, 64, st, 4096, sz, 1),
	    "bad magic"), "bad magic");
	ok(refused(fake(sz, PKTCHAN_MAGIC, 2, 8, 64, st, 4096, sz, 1),
	    "version"), "another version");
	ok(refused(fake(sz, PKTCHAN_MAGIC, 1, 6, 64, st, 4096, sz, 1),
	    "bad geometry"), "slots not a power of two");
	ok(refused(fake(sz, PKTCHAN_MAGIC, 1, 8, 0, st, 4096, sz, 1),
	    "bad geometry"), "zero-sized slots");
	ok(refused(fake(sz, PKTCHAN_MAGIC, 1, 8, 64, st + 64, 4096, sz, 1),
	    "stride"), "a stride that disagrees");
	ok(refused(fake(sz, PKTCHAN_MAGIC, 1, 8, 64, st, 2048, sz, 1),
	    "header size"), "a header size that disagrees");
	ok(pipe(pfd) == 0 && refused(pfd[0], "not a sealable memfd"),
	    "a pipe instead of a memfd");
	if (pktchan_create(8, 64, &memfd, &efd) == 0) {
		c = pktchan_attach(memfd, efd, 3, err, sizeof(err));
		ok(c == NULL && strstr(err, "bad side") != NULL,
		    "a side that is neither");
	}
	close(pfd[1]);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	alarm(600);
	test_roundtrip();
	test_attach();
	test_hostile_producer();
	test_round_cap();
	test_hostile_consumer();
	test_stopped();
	test_wakeups();
	test_stream();
	return tap_done();
}
