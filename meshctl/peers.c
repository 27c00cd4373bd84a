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
 * show peers: the order the operator asked for, and the transfer rates
 * between two samples of the peers.
 */

#include <stdlib.h>
#include <string.h>

#include "meshctl.h"

static int
cmp_name(const void *a, const void *b)
{
	const struct peer_info	*pa = a, *pb = b;

	return strcmp(pa->peer.name, pb->peer.name);
}

/* the most recent first, "never" last */
static int
cmp_handshake(const void *a, const void *b)
{
	const struct peer_info	*pa = a, *pb = b;
	int64_t			 ha = pa->peer.stats.latest_handshake;
	int64_t			 hb = pb->peer.stats.latest_handshake;

	if (ha != hb)
		return ha > hb ? -1 : 1;
	return cmp_name(a, b);
}

static int
cmp_rx(const void *a, const void *b)
{
	const struct peer_info	*pa = a, *pb = b;
	uint64_t		 ra = pa->peer.stats.rx_bytes;
	uint64_t		 rb = pb->peer.stats.rx_bytes;

	if (ra != rb)
		return ra > rb ? -1 : 1;
	return cmp_name(a, b);
}

static int
cmp_tx(const void *a, const void *b)
{
	const struct peer_info	*pa = a, *pb = b;
	uint64_t		 ta = pa->peer.stats.tx_bytes;
	uint64_t		 tb = pb->peer.stats.tx_bytes;

	if (ta != tb)
		return ta > tb ? -1 : 1;
	return cmp_name(a, b);
}

void
peers_sort(struct peer_info *peers, size_t npeers, enum peer_sort key)
{
	int	(*cmp)(const void *, const void *);

	switch (key) {
	case SORT_NAME:
		cmp = cmp_name;
		break;
	case SORT_HANDSHAKE:
		cmp = cmp_handshake;
		break;
	case SORT_RX:
		cmp = cmp_rx;
		break;
	case SORT_TX:
		cmp = cmp_tx;
		break;
	default:
		return;
	}
	if (npeers > 1)
		qsort(peers, npeers, sizeof(*peers), cmp);
}

/*
 * A peer's rate is its growth since the first sample over secs.  A peer
 * is the same one if its id and public key are (a reload may reuse a
 * name for another key); one missing from the first sample, or whose
 * counters went down, has no rate.
 */
void
peers_rates(struct peer_info *now, size_t nnow,
    const struct peer_info *then, size_t nthen, double secs)
{
	const struct ctl_peer	*a, *b = NULL;
	size_t			 i, k;

	for (i = 0; i < nnow; i++) {
		a = &now[i].peer;
		now[i].has_rate = 0;
		for (k = 0; k < nthen; k++) {
			b = &then[k].peer;
			if (a->id == b->id && memcmp(a->pubkey, b->pubkey,
			    sizeof(a->pubkey)) == 0)
				break;
		}
		if (k == nthen || secs <= 0 ||
		    a->stats.rx_bytes < b->stats.rx_bytes ||
		    a->stats.tx_bytes < b->stats.tx_bytes)
			continue;
		now[i].has_rate = 1;
		now[i].rx_rate = (a->stats.rx_bytes - b->stats.rx_bytes) / secs;
		now[i].tx_rate = (a->stats.tx_bytes - b->stats.tx_bytes) / secs;
	}
}
