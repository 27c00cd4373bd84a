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
 * Packet channels, see pktchan.h: both ends' code (attach, push, pop);
 * the parent's pktchan_create() is in pktchan_create.c.
 *
 * Trust.  Each end keeps its own index (the producer's head, the
 * consumer's tail) and the geometry in private memory and only ever
 * writes the shared copy of its index; it reads the other end's index
 * once per operation and checks it against its own (0 <= head - tail <=
 * nslots) before using it.  Slot addresses are computed from private
 * indices masked by the private nslots, so no value from shared memory
 * can move an access outside the mapping.  The consumer reads a slot's
 * length and metadata length once each (volatile loads), checks them
 * against the private maxpkt and PKTCHAN_META_MAX, and copies with those
 * checked values.  The memfd is sealed against shrinking, so the
 * mapping cannot be cut short under us (SIGBUS).
 *
 * Memory ordering (C11 atomics on the shared indices; lock-free 32-bit
 * atomics are address-free, so they work across processes):
 *  - The producer writes slots with plain stores, then publishes head
 *    with a release store; the consumer loads head with acquire, so the
 *    slots below head are complete when it reads them.
 *  - The consumer copies slots out, then stores tail with release; the
 *    producer loads tail with acquire, so it never rewrites a slot the
 *    consumer is still copying.
 *  - Sleeping, the lost wake-up race.  The consumer: drain the eventfd;
 *    store sleeping = 1; load head.  The producer: store head; load
 *    sleeping.  All four are seq_cst, so they fall in one total order S.
 *    If the consumer's load of head misses the new head, that load
 *    precedes the producer's store of head in S, so the consumer's store
 *    of sleeping precedes it too, and the producer's later load of
 *    sleeping sees 1: it writes the eventfd, and since that write comes
 *    after the consumer's drain (the drain precedes the store of
 *    sleeping), the consumer's poll wakes.  Otherwise the consumer sees
 *    the new head and does not sleep.  Either way nothing is lost.
 *    (With release/acquire alone both loads could miss both stores: the
 *    store-buffer reordering x86 does.)  The producer clears sleeping
 *    with an exchange so it writes the eventfd once per sleep; the
 *    consumer clears it when it pops after waking.  A spurious wake-up
 *    (a stale token in the eventfd) costs one empty pop, nothing more.
 *
 * Invariant (producer): ptail <= published <= phead <= phead + nres <=
 * ptail + nslots, all modulo 2^32 (nslots, a power of two up to 2^16,
 * divides 2^32, so free-running indices wrap cleanly).
 */

#include <sys/types.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pktchan.h"

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "shared atomics must be lock-free");
_Static_assert(sizeof(_Atomic uint32_t) == 4, "atomic index size");
_Static_assert(PKTCHAN_SLOT_META + PKTCHAN_META_MAX <= PKTCHAN_SLOT_DATA,
    "slot header layout");
_Static_assert(PKTCHAN_SLOT_DATA % 16 == 0, "packet alignment");

#define POP_ALIGN	16	/* packets in the consumer's buffer */

struct pktchan {
	uint8_t			*base;		/* the mapping */
	size_t			 size;
	_Atomic uint32_t	*head;		/* shared */
	_Atomic uint32_t	*tail;		/* shared */
	_Atomic uint32_t	*sleeping;	/* shared */
	uint32_t		 nslots;	/* private copies of the */
	uint32_t		 maxpkt;	/*   geometry, checked once */
	uint32_t		 stride;
	int			 side;
	int			 wakefd;
	/* producer */
	uint32_t		 phead;		/* committed; ours alone */
	uint32_t		 published;	/* last head stored */
	uint32_t		 nres;		/* reserved past phead */
	uint32_t		 ptail;		/* last tail seen, checked */
	/* consumer */
	uint32_t		 ctail;		/* ours alone */
	int			 announced;	/* we set sleeping */
	struct pktchan_stats	 st;
};

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((__format__ (printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* one read of a shared word: the compiler may not read it again */
static inline uint32_t
ld32(const uint8_t *p)
{
	return *(const volatile uint32_t *)(const volatile void *)p;
}

static inline uint64_t
ld64(const uint8_t *p)
{
	return *(const volatile uint64_t *)(const volatile void *)p;
}

static inline uint8_t *
slot(const struct pktchan *ch, uint32_t idx)
{
	return ch->base + PKTCHAN_HDRSIZE +
	    (size_t)(idx & (ch->nslots - 1)) * ch->stride;
}

#ifdef MESHD_SANITIZE
/* sanitizer builds: prove every shared access stays inside the mapping */
static void
shm_check(const struct pktchan *ch, const uint8_t *p, size_t n)
{
	if (p < ch->base || n > ch->size ||
	    (size_t)(p - ch->base) > ch->size - n)
		fatalx("pktchan: access outside the mapping (%zd, %zu)",
		    p - ch->base, n);
}
#define SHM_CHECK(ch, p, n)	shm_check((ch), (p), (n))
#else
#define SHM_CHECK(ch, p, n)	do { } while (0)
#endif

struct pktchan *
pktchan_attach(int memfd, int efd, int side, char *err, size_t errlen)
{
	struct pktchan	*ch = NULL;
	struct stat	 sb;
	uint8_t		*p = MAP_FAILED;
	uint64_t	 size = 0, hsize, gsize;
	uint32_t	 magic, version, nslots, maxpkt, stride, hdrsize;
	uint32_t	 gstride, want;
	int		 seals, fl;

	if (side != PKTCHAN_PRODUCER && side != PKTCHAN_CONSUMER) {
		seterr(err, errlen, "bad side %d", side);
		goto fail;
	}
	if ((fl = fcntl(efd, F_GETFL)) == -1) {
		seterr(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	/* a blocking eventfd would hang the consumer's drain */
	if ((fl & O_NONBLOCK) == 0 &&
	    fcntl(efd, F_SETFL, fl | O_NONBLOCK) == -1) {
		seterr(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	/* seals first: once sealed, the size we read cannot change */
	if ((seals = fcntl(memfd, F_GET_SEALS)) == -1) {
		seterr(err, errlen, "not a sealable memfd: %s",
		    strerror(errno));
		goto fail;
	}
	want = F_SEAL_SHRINK | F_SEAL_GROW;
	if (((uint32_t)seals & want) != want) {
		seterr(err, errlen, "memfd is not sealed against resizing");
		goto fail;
	}
	if (fstat(memfd, &sb) == -1) {
		seterr(err, errlen, "fstat: %s", strerror(errno));
		goto fail;
	}
	if (sb.st_size < PKTCHAN_HDRSIZE) {
		seterr(err, errlen, "memfd too small: %lld bytes",
		    (long long)sb.st_size);
		goto fail;
	}
	if ((uint64_t)sb.st_size > PKTCHAN_MAXSIZE) {
		seterr(err, errlen, "memfd too large: %lld bytes",
		    (long long)sb.st_size);
		goto fail;
	}
	size = sb.st_size;
	/* the consumer never writes a slot: map them read-only */
	if ((p = mmap(NULL, size, side == PKTCHAN_PRODUCER ?
	    PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, memfd, 0)) ==
	    MAP_FAILED) {
		seterr(err, errlen, "mmap: %s", strerror(errno));
		goto fail;
	}
	/* each header field read once, into private memory */
	magic = ld32(p + PKTCHAN_OFF_MAGIC);
	version = ld32(p + PKTCHAN_OFF_VERSION);
	nslots = ld32(p + PKTCHAN_OFF_NSLOTS);
	maxpkt = ld32(p + PKTCHAN_OFF_MAXPKT);
	stride = ld32(p + PKTCHAN_OFF_STRIDE);
	hdrsize = ld32(p + PKTCHAN_OFF_HDRSIZE);
	hsize = ld64(p + PKTCHAN_OFF_SIZE);
	if (magic != PKTCHAN_MAGIC) {
		seterr(err, errlen, "bad magic 0x%08x", magic);
		goto fail;
	}
	if (version != PKTCHAN_VERSION) {
		seterr(err, errlen, "version %u, want %u", version,
		    PKTCHAN_VERSION);
		goto fail;
	}
	if (hdrsize != PKTCHAN_HDRSIZE) {
		seterr(err, errlen, "header size %u, want %u", hdrsize,
		    PKTCHAN_HDRSIZE);
		goto fail;
	}
	if (pktchan_geometry(nslots, maxpkt, &gstride, &gsize) == -1) {
		seterr(err, errlen, "bad geometry: %u slots of %u bytes",
		    nslots, maxpkt);
		goto fail;
	}
	if (stride != gstride) {
		seterr(err, errlen, "slot stride %u, want %u", stride,
		    gstride);
		goto fail;
	}
	if (hsize != gsize || size != gsize) {
		seterr(err, errlen, "wrong size: memfd %llu bytes, header "
		    "%llu, geometry %llu", (unsigned long long)size,
		    (unsigned long long)hsize, (unsigned long long)gsize);
		goto fail;
	}
	/* the consumer writes its tail and the sleeping flag: header only */
	if (side == PKTCHAN_CONSUMER &&
	    mmap(p, PKTCHAN_HDRSIZE, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_FIXED, memfd, 0) == MAP_FAILED) {
		seterr(err, errlen, "mmap: %s", strerror(errno));
		goto fail;
	}
	if ((ch = calloc(1, sizeof(*ch))) == NULL) {
		seterr(err, errlen, "%s", strerror(errno));
		goto fail;
	}
	close(memfd);
	ch->base = p;
	ch->size = size;
	ch->head = (_Atomic uint32_t *)(void *)(p + PKTCHAN_OFF_HEAD);
	ch->tail = (_Atomic uint32_t *)(void *)(p + PKTCHAN_OFF_TAIL);
	ch->sleeping = (_Atomic uint32_t *)(void *)(p + PKTCHAN_OFF_SLEEPING);
	ch->nslots = nslots;
	ch->maxpkt = maxpkt;
	ch->stride = stride;
	ch->side = side;
	ch->wakefd = efd;
	/* a fresh channel: both indices start at 0, in private memory */
	return ch;
 fail:
	if (p != MAP_FAILED)
		munmap(p, size);
	close(memfd);
	close(efd);
	return NULL;
}

void
pktchan_detach(struct pktchan *ch)
{
	if (ch == NULL)
		return;
	munmap(ch->base, ch->size);
	close(ch->wakefd);
	free(ch);
}

uint32_t
pktchan_maxpkt(const struct pktchan *ch)
{
	return ch->maxpkt;
}

uint32_t
pktchan_nslots(const struct pktchan *ch)
{
	return ch->nslots;
}

void
pktchan_stats(const struct pktchan *ch, struct pktchan_stats *st)
{
	*st = ch->st;
}

/*
 * Producer: reread the consumer's tail.  It may only have moved forward
 * from the last one seen, and not past what we published; otherwise it
 * is counted and ignored, and we return 0.
 */
static int
refresh_tail(struct pktchan *ch)
{
	uint32_t	t;

	t = atomic_load_explicit(ch->tail, memory_order_acquire);
	if ((uint32_t)(t - ch->ptail) > (uint32_t)(ch->published - ch->ptail)) {
		ch->st.bad_index++;
		return 0;
	}
	ch->ptail = t;
	return 1;
}

static uint32_t
space(const struct pktchan *ch)
{
	return ch->nslots - (uint32_t)(ch->phead + ch->nres - ch->ptail);
}

uint32_t
pktchan_space(struct pktchan *ch)
{
	if (ch->side != PKTCHAN_PRODUCER)
		fatalx("%s: not the producer", __func__);
	/* an impossible tail is counted; the last good one stands */
	refresh_tail(ch);
	return space(ch);
}

void *
pktchan_reserve(struct pktchan *ch, size_t len)
{
	uint8_t	*p;

	if (ch->side != PKTCHAN_PRODUCER)
		fatalx("%s: not the producer", __func__);
	if (len > ch->maxpkt) {
		ch->st.dropped_size++;
		errno = EMSGSIZE;
		return NULL;
	}
	if (space(ch) == 0 && (!refresh_tail(ch) || space(ch) == 0)) {
		/* let the consumer drain what we hold back */
		pktchan_flush(ch);
		ch->st.dropped_full++;
		errno = ENOBUFS;
		return NULL;
	}
	p = slot(ch, ch->phead + ch->nres) + PKTCHAN_SLOT_DATA;
	SHM_CHECK(ch, p, ch->maxpkt);
	ch->nres++;
	return p;
}

void
pktchan_commit(struct pktchan *ch, size_t len, uint32_t peer_id,
    const void *meta, size_t metalen)
{
	uint8_t		*s;
	uint32_t	 v;

	if (ch->side != PKTCHAN_PRODUCER || ch->nres == 0)
		fatalx("%s: nothing reserved", __func__);
	if (len > ch->maxpkt || metalen > PKTCHAN_META_MAX)
		fatalx("%s: length %zu, metadata %zu", __func__, len,
		    metalen);
	s = slot(ch, ch->phead);
	SHM_CHECK(ch, s, PKTCHAN_SLOT_DATA);
	v = len;
	memcpy(s + PKTCHAN_SLOT_LEN, &v, sizeof(v));
	memcpy(s + PKTCHAN_SLOT_PEER, &peer_id, sizeof(peer_id));
	v = metalen;
	memcpy(s + PKTCHAN_SLOT_METALEN, &v, sizeof(v));
	if (metalen > 0)
		memcpy(s + PKTCHAN_SLOT_META, meta, metalen);
	ch->phead++;
	ch->nres--;
	ch->st.pushed++;
}

void
pktchan_cancel(struct pktchan *ch)
{
	ch->nres = 0;
}

int
pktchan_push(struct pktchan *ch, uint32_t peer_id, const void *meta,
    size_t metalen, const void *pkt, size_t len)
{
	void	*p;

	if (ch->nres != 0)
		fatalx("%s: reservations outstanding", __func__);
	if (metalen > PKTCHAN_META_MAX) {
		errno = EINVAL;
		return -1;
	}
	if ((p = pktchan_reserve(ch, len)) == NULL)
		return -1;
	if (len > 0)
		memcpy(p, pkt, len);
	pktchan_commit(ch, len, peer_id, meta, metalen);
	return 0;
}

void
pktchan_flush(struct pktchan *ch)
{
	uint64_t	one = 1;

	if (ch->side != PKTCHAN_PRODUCER)
		fatalx("%s: not the producer", __func__);
	if (ch->phead == ch->published)
		return;
	ch->published = ch->phead;
	/* seq_cst store and load: see the comment at the top */
	atomic_store_explicit(ch->head, ch->phead, memory_order_seq_cst);
	if (atomic_load_explicit(ch->sleeping, memory_order_seq_cst) == 0)
		return;
	if (atomic_exchange_explicit(ch->sleeping, 0,
	    memory_order_seq_cst) == 0)
		return;
	/* EAGAIN only if the counter is near 2^64: readable anyway */
	if (write(ch->wakefd, &one, sizeof(one)) == (ssize_t)sizeof(one))
		ch->st.wakeups++;
}

size_t
pktchan_pop(struct pktchan *ch, struct pktchan_pkt *out, size_t max,
    uint8_t *buf, size_t buflen)
{
	const uint8_t	*s;
	uint32_t	 head, avail, tail, len, metalen;
	size_t		 n = 0, taken = 0, used = 0, off;

	if (ch->side != PKTCHAN_CONSUMER)
		fatalx("%s: not the consumer", __func__);
	if (buflen < ch->maxpkt)
		fatalx("%s: buffer of %zu bytes, packets up to %u", __func__,
		    buflen, ch->maxpkt);
	if (ch->announced) {
		/* awake again: flushes need not write the eventfd */
		atomic_store_explicit(ch->sleeping, 0, memory_order_relaxed);
		ch->announced = 0;
	}
	head = atomic_load_explicit(ch->head, memory_order_acquire);
	avail = head - ch->ctail;
	if (avail > ch->nslots) {
		ch->st.bad_index++;
		return 0;
	}
	tail = ch->ctail;
	/* a bad slot counts against max too: the work per call is bounded */
	while (taken < max && avail > 0) {
		s = slot(ch, tail);
		SHM_CHECK(ch, s, PKTCHAN_SLOT_DATA);
		len = ld32(s + PKTCHAN_SLOT_LEN);
		metalen = ld32(s + PKTCHAN_SLOT_METALEN);
		if (len > ch->maxpkt || metalen > PKTCHAN_META_MAX) {
			ch->st.bad++;
			taken++;
			tail++;
			avail--;
			continue;
		}
		off = (used + POP_ALIGN - 1) & ~(size_t)(POP_ALIGN - 1);
		if (off > buflen || len > buflen - off)
			break;	/* the next call takes it */
		SHM_CHECK(ch, s + PKTCHAN_SLOT_DATA, len);
		memcpy(buf + off, s + PKTCHAN_SLOT_DATA, len);
		out[n].data = buf + off;
		out[n].len = len;
		out[n].peer_id = ld32(s + PKTCHAN_SLOT_PEER);
		out[n].metalen = metalen;
		memcpy(out[n].meta, s + PKTCHAN_SLOT_META, metalen);
		memset(out[n].meta + metalen, 0, PKTCHAN_META_MAX - metalen);
		used = off + len;
		n++;
		taken++;
		tail++;
		avail--;
	}
	if (tail != ch->ctail) {
		ch->ctail = tail;
		atomic_store_explicit(ch->tail, tail, memory_order_release);
	}
	ch->st.popped += n;
	return n;
}

int
pktchan_consume(struct pktchan *ch, struct pktchan_pkt *pkts, size_t max,
    uint8_t *buf, size_t buflen, unsigned int rounds,
    void (*fn)(struct pktchan_pkt *, size_t, void *), void *arg)
{
	unsigned int	turns = 0;
	size_t		n;

	for (;;) {
		/* every pop counts, whether it found packets or bad slots */
		if (turns++ == rounds)
			return 1;
		if ((n = pktchan_pop(ch, pkts, max, buf, buflen)) > 0) {
			fn(pkts, n, arg);
			continue;
		}
		if (pktchan_sleep(ch) == 0)
			return 0;
		/* and so does every pass where more came */
		if (turns++ == rounds)
			return 1;
	}
}

int
pktchan_wakefd(const struct pktchan *ch)
{
	return ch->wakefd;
}

int
pktchan_sleep(struct pktchan *ch)
{
	uint64_t	v;
	uint32_t	head;

	if (ch->side != PKTCHAN_CONSUMER)
		fatalx("%s: not the consumer", __func__);
	/* drain before announcing: a token written after this must stay */
	while (read(ch->wakefd, &v, sizeof(v)) == -1 && errno == EINTR)
		;
	atomic_store_explicit(ch->sleeping, 1, memory_order_seq_cst);
	ch->announced = 1;
	head = atomic_load_explicit(ch->head, memory_order_seq_cst);
	if ((uint32_t)(head - ch->ctail) > ch->nslots) {
		/*
		 * An impossible head: sleep, or a hostile producer could
		 * keep us popping nothing for ever.
		 */
		ch->st.bad_index++;
	} else if (head != ch->ctail) {
		/* work arrived */
		atomic_store_explicit(ch->sleeping, 0, memory_order_relaxed);
		ch->announced = 0;
		return 1;
	}
	ch->st.sleeps++;
	return 0;
}
