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
 * Exit nodes (issue 15), both sides, set up by the parent.
 *
 * A client (exit-node "NAME") sends everything through that member while
 * the tunnel's own datagrams keep to the underlay, as wg-quick does it:
 * every socket the parent makes for the tunnel carries EXIT_MARK
 * (SO_MARK); table EXIT_TABLE holds default routes via the interface;
 * two rules per family, "from all lookup main suppress_prefixlength 0"
 * (the main table's more specific routes still win: the LAN, the mesh)
 * at EXIT_PREF and "not fwmark EXIT_MARK lookup EXIT_TABLE" after it.
 * One more, before them: "uidrange U-U lookup main" for the daemon's
 * unprivileged user, whose only sockets are ssh(1)'s for the SSH
 * transport (ssh cannot set SO_MARK; the children make no socket): a
 * peer's SSH connection keeps to the underlay too.
 * tun routes the default routes to the exit node's id (IMSG_EXIT_NODE);
 * while there is none, tun drops what the table sends it, so nothing
 * leaks, unless exit-node-fallback direct, which takes the rules away
 * while the exit node is not a member or does not answer.
 *
 * An exit node (serve exit) forwards and masquerades what comes in on
 * the interface: ip_forward on, and an nftables table of its own,
 * EXIT_NFT_TABLE, made with nft(8) and deleted at exit and on reload.
 */

#ifndef EXIT_H
#define EXIT_H

#include <stdint.h>

#define EXIT_MARK	0x6d65		/* "me": the tunnel's sockets */
#define EXIT_TABLE	0x6d65		/* the exit node's routing table */
#define EXIT_PREF	0x6d65		/* rule priorities: this and +1; the
					   user's rule at this - 1 */
#define EXIT_NFT_TABLE	"meshd_exit"	/* inet family */
/* the seq of exit.c's STATS_REQ to crypto: control's count up from 1 */
#define EXIT_STATS_SEQ	0xffffffffU

struct meshd_conf;
struct member;
struct mesh_peer_stats;

/* SO_MARK on a socket of the tunnel: 0, or -1 (logged) */
int	exit_mark_socket(int);
/* a config in place (start, reload): rules, table, nft, tun told */
void	exit_conf(struct meshd_conf *, int ifindex);
/* a member admitted or renewed: the exit node, maybe */
void	exit_member(const struct member *);
/* a member gone, or its initiations unanswered (noresp 1) */
void	exit_gone(uint32_t, int noresp);
/*
 * A PEER_STATS (st) or STATS_END (st NULL) of seq: 1 if it answers
 * exit.c's probe (taken), 0 if it is control's
 */
int	exit_stats(uint32_t, const struct mesh_peer_stats *);
/* at exit: everything exit_conf set up, undone */
void	exit_cleanup(void);

#endif /* EXIT_H */
