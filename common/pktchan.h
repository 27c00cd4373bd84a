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
 * Packet channels: one-way single-producer/single-consumer packet rings
 * in shared memory between two processes (tun->crypto, crypto->net,
 * net->crypto, crypto->tun).  Linux: memfd and eventfd.
 *
 * Setup.  The parent calls pktchan_create(), which makes a sealed memfd
 * (it can neither shrink nor grow) holding the ring, and an eventfd, and
 * passes both fds to both ends over imsg.  Each end calls
 * pktchan_attach() once, which checks the memfd (size, seals, magic,
 * version, geometry), maps it and keeps its own copy of the geometry;
 * nothing in the header is read again.  The consumer maps the slots
 * read-only.
 *
 * Traffic.  The producer fills slots (pktchan_reserve() and
 * pktchan_commit(), or pktchan_push() with a copy) and publishes the
 * batch with pktchan_flush().  A full ring is not waited on: the call
 * fails with ENOBUFS, the caller drops the packet, and the drop is
 * counted.  The consumer takes packets with pktchan_pop(), which copies
 * each packet into the caller's private buffer: the producer is not
 * trusted and may change shared bytes at any time, so validate and
 * decrypt only the copy.  Every index and length the other side wrote is
 * read once and bounds-checked; a slot whose length is impossible is
 * counted in `bad' and skipped, an impossible index in `bad_index'.
 * Either is a broken or hostile peer process: the caller may treat a
 * non-zero count as fatal.
 *
 * Wake-ups.  While traffic flows neither side makes a system call.  A
 * consumer that finds the ring empty calls pktchan_sleep(): if it
 * returns 0 the consumer waits for pktchan_wakefd() to become readable
 * (libevent EV_READ|EV_PERSIST, or poll); if 1, packets arrived in the
 * meantime and it pops again.  pktchan_flush() writes the eventfd only
 * when the consumer has announced it is asleep, once per sleep.  The
 * consumer's callback, in short:
 *
 *	for (turns = 0; turns < ROUNDS; turns++) {
 *		if ((n = pktchan_pop(ch, pkts, 64, buf, sizeof(buf))) > 0) {
 *			handle(pkts, n);
 *			continue;
 *		}
 *		if (pktchan_sleep(ch) == 0)
 *			return;			(wait on the fd)
 *		turns++;			(more came)
 *	}
 *	event_active(...);			(come back)
 *
 * which pktchan_consume() does.  Wait on the fd only right after
 * pktchan_sleep() returned 0.  A consumer that leaves its callback
 * otherwise (to bound its work per round) must reschedule itself
 * (event_active) rather than wait on the fd, which may never become
 * readable.  Bound the round by counting every pop, including one that
 * found only bad slots and returned 0, and every pass where
 * pktchan_sleep() said more came: a hostile producer can keep refilling
 * slots with impossible lengths, and a round that counted only the pops
 * that returned packets would never end.  pktchan_pop() consumes at most
 * max slots, good or bad, so a round takes at most ROUNDS * max slots.
 *
 * What a slot may hold.  A slot visible to process X only ever holds
 * bytes X may see, at every moment: the consumer maps the whole ring, so
 * it can read a slot while the producer fills it, before it is
 * committed, and after it is cancelled; pktchan_reserve() hands out
 * memory the consumer reads, not a scratch buffer.  Stage anything else
 * in private memory and write only the result into the slot.  So
 * meshd-crypto seals a data message from private memory and writes only
 * ciphertext into crypto -> net slots, and opens one into private memory
 * and copies only authenticated plaintext into crypto -> tun slots
 * (meshd-crypto/noise.c noise_encrypt(), noise_decrypt()); no key ever
 * touches a slot.  tun -> crypto slots hold plaintext, net -> crypto
 * slots ciphertext and endpoints, both written by the side that had them.
 *
 * One producer process and one consumer process, each end attached
 * once and used by one thread; a channel is not reused after either
 * end goes away.
 *
 * System calls after setup: the producer only write(2) on the eventfd
 * (in pktchan_flush(), when the consumer sleeps); the consumer only
 * read(2) on the eventfd (in pktchan_sleep()), besides its own wait
 * (epoll_wait/poll).  pktchan_attach() uses fstat, fcntl(F_GET_SEALS),
 * mmap (twice on the consumer side), close; pktchan_detach() munmap and
 * close.  pktchan_create() (parent only) uses memfd_create, ftruncate,
 * pwrite64, fcntl(F_ADD_SEALS), eventfd2, close.
 */

#ifndef PKTCHAN_H
#define PKTCHAN_H

#include <stddef.h>
#include <stdint.h>

#define PKTCHAN_PRODUCER	1
#define PKTCHAN_CONSUMER	2

#define PKTCHAN_META_MAX	64	/* per-packet metadata: an endpoint */
#define PKTCHAN_MAXSLOTS	65536	/* nslots: a power of two, 2 .. this */
#define PKTCHAN_MAXPKT		65536	/* maxpkt: 1 .. this */
#define PKTCHAN_MAXSIZE		(256U << 20)	/* the whole memfd */

/*
 * Shared memory layout (native byte order, both ends on one host).
 * Header page, written by the parent and read once at attach:
 */
#define PKTCHAN_MAGIC		0x6d73706bU	/* "mspk" */
#define PKTCHAN_VERSION		1
#define PKTCHAN_OFF_MAGIC	0	/* uint32_t */
#define PKTCHAN_OFF_VERSION	4	/* uint32_t */
#define PKTCHAN_OFF_NSLOTS	8	/* uint32_t */
#define PKTCHAN_OFF_MAXPKT	12	/* uint32_t: largest packet */
#define PKTCHAN_OFF_STRIDE	16	/* uint32_t: bytes per slot */
#define PKTCHAN_OFF_HDRSIZE	20	/* uint32_t: PKTCHAN_HDRSIZE */
#define PKTCHAN_OFF_SIZE	24	/* uint64_t: size of the memfd */
/* indices, free-running uint32_t, each on its own cache line: */
#define PKTCHAN_OFF_HEAD	64	/* written by the producer */
#define PKTCHAN_OFF_TAIL	128	/* written by the consumer */
#define PKTCHAN_OFF_SLEEPING	192	/* consumer sets, producer clears */
#define PKTCHAN_HDRSIZE		4096
/*
 * Then nslots slots of stride bytes, slot i at PKTCHAN_HDRSIZE +
 * (i % nslots) * stride, stride = PKTCHAN_SLOT_DATA + maxpkt rounded up
 * to 64.  Each slot:
 */
#define PKTCHAN_SLOT_LEN	0	/* uint32_t: packet length */
#define PKTCHAN_SLOT_PEER	4	/* uint32_t: peer id */
#define PKTCHAN_SLOT_METALEN	8	/* uint32_t: 0 .. PKTCHAN_META_MAX */
#define PKTCHAN_SLOT_META	16	/* PKTCHAN_META_MAX bytes */
#define PKTCHAN_SLOT_DATA	80	/* the packet, 16-byte aligned */
#define PKTCHAN_ALIGN		64	/* slot stride: whole cache lines */

/*
 * The layout both pktchan_create() and pktchan_attach() compute: 0 and
 * *stride, *size for a good geometry, -1 otherwise.
 */
static inline int
pktchan_geometry(uint32_t nslots, uint32_t maxpkt, uint32_t *stride,
    uint64_t *size)
{
	uint64_t	s, total;

	if (nslots < 2 || nslots > PKTCHAN_MAXSLOTS ||
	    (nslots & (nslots - 1)) != 0)
		return -1;
	if (maxpkt < 1 || maxpkt > PKTCHAN_MAXPKT)
		return -1;
	s = ((uint64_t)PKTCHAN_SLOT_DATA + maxpkt + PKTCHAN_ALIGN - 1) &
	    ~(uint64_t)(PKTCHAN_ALIGN - 1);
	total = PKTCHAN_HDRSIZE + s * nslots;
	if (total > PKTCHAN_MAXSIZE)
		return -1;
	*stride = (uint32_t)s;
	*size = total;
	return 0;
}


struct pktchan;

/* a packet popped by the consumer; data points into the caller's buffer */
struct pktchan_pkt {
	uint8_t		*data;
	size_t		 len;
	uint32_t	 peer_id;
	uint32_t	 metalen;
	uint8_t		 meta[PKTCHAN_META_MAX];	/* zero past metalen */
};

/* this end's counters, private memory */
struct pktchan_stats {
	uint64_t	 pushed;	/* producer: packets committed */
	uint64_t	 dropped_full;	/* producer: no free slot (ENOBUFS) */
	uint64_t	 dropped_size;	/* producer: over maxpkt (EMSGSIZE) */
	uint64_t	 wakeups;	/* producer: eventfd writes */
	uint64_t	 popped;	/* consumer: packets copied out */
	uint64_t	 bad;		/* consumer: impossible slot, skipped */
	uint64_t	 bad_index;	/* either: the other end's index was
					   impossible (nothing was read) */
	uint64_t	 sleeps;	/* consumer: went to sleep */
};

/* pktchan_create.c */
/*
 * Parent: a channel of nslots slots (a power of two) for packets of up
 * to maxpkt bytes.  Returns 0 and sets *memfd and *eventfd (both
 * close-on-exec; the eventfd non-blocking), or -1 with errno (EINVAL for
 * a bad geometry).  Send both fds to both ends.
 */
int	 pktchan_create(uint32_t nslots, uint32_t maxpkt, int *memfd,
	    int *eventfd);
/* the size of the memfd pktchan_create() makes; 0 for a bad geometry */
size_t	 pktchan_size(uint32_t nslots, uint32_t maxpkt);

/* pktchan.c */
/*
 * Either end.  Takes both fds in every case: the memfd is closed once
 * mapped (or on failure), the eventfd at pktchan_detach() (or on
 * failure).  NULL on failure, with a reason in err (may be NULL).
 */
struct pktchan	*pktchan_attach(int memfd, int eventfd, int side, char *err,
		    size_t errlen);
void		 pktchan_detach(struct pktchan *);
uint32_t	 pktchan_maxpkt(const struct pktchan *);
uint32_t	 pktchan_nslots(const struct pktchan *);
void		 pktchan_stats(const struct pktchan *, struct pktchan_stats *);

/*
 * Producer.  pktchan_reserve() returns room for len bytes in the next
 * free slot, or NULL with errno EMSGSIZE (len > maxpkt) or ENOBUFS (full;
 * pending packets are flushed first so the consumer can drain them).  It
 * may be called again before committing, to take several slots at once
 * (e.g. as recvmmsg buffers).  pktchan_commit() completes the oldest
 * outstanding reservation with len <= maxpkt bytes and its metadata
 * (metalen <= PKTCHAN_META_MAX); pktchan_cancel() gives the outstanding
 * reservations back.  pktchan_push() copies one packet in: 0, or -1 with
 * errno EMSGSIZE, ENOBUFS, or EINVAL (metalen too long); do not call it
 * with reservations outstanding.  Nothing is visible to the consumer
 * before pktchan_flush(), which publishes what was committed and wakes
 * the consumer if it sleeps; call it at the end of every batch.
 * pktchan_space() says how many slots are free (a back-pressure signal).
 */
void	*pktchan_reserve(struct pktchan *, size_t len);
void	 pktchan_commit(struct pktchan *, size_t len, uint32_t peer_id,
	    const void *meta, size_t metalen);
void	 pktchan_cancel(struct pktchan *);
int	 pktchan_push(struct pktchan *, uint32_t peer_id, const void *meta,
	    size_t metalen, const void *pkt, size_t len);
void	 pktchan_flush(struct pktchan *);
uint32_t pktchan_space(struct pktchan *);

/*
 * Consumer.  pktchan_pop() takes up to max slots: it copies the packets
 * among them into buf, each at a 16-byte aligned offset, fills out[] and
 * returns how many; bad slots are skipped but count against max.  It
 * returns 0 if the ring is empty, or if every slot it took was bad.
 * buflen must be at least maxpkt.  pktchan_sleep(): see above; it also
 * drains the eventfd.
 *
 * pktchan_consume() is one bounded round of the callback above: batches
 * of up to max packets go to fn(pkts, n, arg), and it takes at most
 * rounds (at least 1) pops and "more came" passes together, so at most
 * rounds * max slots.  It returns 0 when the ring was empty and the
 * consumer sleeps: wait on the fd; 1 when the round ended at the cap:
 * reschedule (event_active), do not wait on the fd.
 */
size_t	 pktchan_pop(struct pktchan *, struct pktchan_pkt *out, size_t max,
	    uint8_t *buf, size_t buflen);
int	 pktchan_consume(struct pktchan *, struct pktchan_pkt *pkts,
	    size_t max, uint8_t *buf, size_t buflen, unsigned int rounds,
	    void (*fn)(struct pktchan_pkt *, size_t, void *), void *arg);
int	 pktchan_wakefd(const struct pktchan *);
int	 pktchan_sleep(struct pktchan *);

#endif /* PKTCHAN_H */
