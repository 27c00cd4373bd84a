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
 * Cryptokey routing table: the allowed-ips of every peer, IPv4 and IPv6,
 * as a longest-prefix-match table from a prefix to a peer id.
 *
 * Outbound, the peer for a packet is rtable_lookup(dst); no peer (0) means
 * drop.  Inbound, a packet authenticated from peer P is accepted only if
 * rtable_lookup(src) == P, as WireGuard does: the source must fall under
 * one of P's prefixes and under no longer prefix of another peer.
 *
 * One path-compressed binary trie per family.  A lookup walks at most one
 * node per address bit (33 for IPv4, 129 for IPv6) whatever the number of
 * peers or prefixes; insert and remove cost the same.  A trie of n prefixes
 * has at most 2n - 1 nodes (a node that holds no prefix always has two
 * children), kept in one array per family and linked by 32-bit indices:
 * 20 bytes a node for IPv4, 32 for IPv6, so at most 40 and 64 bytes a
 * prefix plus the array's spare room (it grows by a quarter).  Memory of a
 * family goes back to the system when its last prefix is removed.
 *
 * Not thread safe: lookups on a table that nobody changes may run side by
 * side, changes need the table to themselves.
 */

#ifndef RTABLE_H
#define RTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "meshd.h"

struct rtable;

/* An empty table, or NULL (ENOMEM). */
struct rtable	*rtable_new(void);
void		 rtable_free(struct rtable *);

/*
 * Maps a prefix (af 4 or 6) to peer id; bits beyond plen are ignored.
 * Inserting a prefix that is already there gives it the new id.  Returns
 * 0, or -1 with errno EINVAL (af not 4 or 6, plen beyond the family's bits,
 * id 0) or ENOMEM (the table is unchanged).
 */
int		 rtable_insert(struct rtable *, const struct mesh_prefix *,
		    uint32_t);

/*
 * Removes exactly this prefix (bits beyond plen ignored).  Returns 0, or
 * -1 with errno ENOENT (not in the table) or EINVAL.
 */
int		 rtable_remove(struct rtable *, const struct mesh_prefix *);

/*
 * Removes every prefix of peer id and returns how many.  It reads the whole
 * node array once, front to back (about 0.3 ms at 100,000 prefixes), then
 * removes each prefix found: to drop many peers at once, rebuild instead.
 */
size_t		 rtable_remove_peer(struct rtable *, uint32_t);

/* The peer id of the longest prefix holding addr, 0 if none. */
uint32_t	 rtable_lookup4(const struct rtable *, const uint8_t [4]);
uint32_t	 rtable_lookup6(const struct rtable *, const uint8_t [16]);
/* the same by family (4 or 6; any other gives 0), as ippkt reports it */
uint32_t	 rtable_lookup(const struct rtable *, int, const uint8_t *);

/* The id of exactly this prefix (bits beyond plen ignored), 0 if none. */
uint32_t	 rtable_get(const struct rtable *, const struct mesh_prefix *);

/* Number of prefixes in the table. */
size_t		 rtable_count(const struct rtable *);

/* Bytes the table holds on the heap (its arrays, spare room included). */
size_t		 rtable_memsize(const struct rtable *);

/*
 * Calls cb(prefix, id, arg) for every prefix: IPv4 first, each family in
 * address order with a shorter prefix before the longer ones under it.
 * Host bits of the prefix are zero.  cb must not change the table.
 */
void		 rtable_walk(const struct rtable *,
		    void (*)(const struct mesh_prefix *, uint32_t, void *),
		    void *);

#endif /* RTABLE_H */
