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
 * Packets waiting for a session, per peer: at most CRYPTO_QUEUE_MAX, the
 * oldest dropped first; sent in order once the engine has a key.  Each
 * is plaintext from tun, wiped when it goes.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "crypto.h"

#define CRYPTO_QUEUE_MAX	128	/* packets waiting for a session */

struct qpkt {
	STAILQ_ENTRY(qpkt)	 entry;
	size_t			 len;
	uint8_t			 data[];
};

/* drop every packet waiting; count: as drops of the queue */
void
queue_purge(struct crypto_peer *cp, int count)
{
	struct qpkt	*q;

	while ((q = STAILQ_FIRST(&cp->queue)) != NULL) {
		STAILQ_REMOVE_HEAD(&cp->queue, entry);
		if (count)
			cp->act->st.drop_queue++;
		freezero(q, sizeof(*q) + q->len);
	}
	cp->qlen = 0;
}

/* one more packet waits; the oldest goes when the queue is full */
void
queue_add(struct crypto_peer *cp, const uint8_t *pkt, size_t len)
{
	struct qpkt	*q;

	if (cp->qlen == CRYPTO_QUEUE_MAX) {
		/* the oldest goes first */
		q = STAILQ_FIRST(&cp->queue);
		STAILQ_REMOVE_HEAD(&cp->queue, entry);
		freezero(q, sizeof(*q) + q->len);
		cp->qlen--;
		cp->act->st.drop_queue++;
	}
	if ((q = malloc(sizeof(*q) + len)) == NULL) {
		cp->act->st.drop_queue++;
		return;
	}
	q->len = len;
	memcpy(q->data, pkt, len);
	STAILQ_INSERT_TAIL(&cp->queue, q, entry);
	cp->qlen++;
}

/*
 * Send what waits through send, in order, until it says the engine has
 * no key (NOISE_E_NOKEY); any other error drops the packet.
 */
void
queue_flush(struct crypto_peer *cp, uint64_t now, queue_send_fn send)
{
	struct qpkt	*q;
	int		 r;

	while ((q = STAILQ_FIRST(&cp->queue)) != NULL) {
		if ((r = send(cp, q->data, q->len, now)) == NOISE_E_NOKEY)
			return;
		if (r != 0)
			cp->act->st.drop_queue++;
		STAILQ_REMOVE_HEAD(&cp->queue, entry);
		cp->qlen--;
		freezero(q, sizeof(*q) + q->len);
	}
}
