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
 * What the three children share: start-up in the order STYLE.md gives,
 * the pipes to the parent and to each other with a handler per sender,
 * and receiving a whole configuration (RECONF_START .. RECONF_END) as a
 * snapshot that the role then merges into its own tables by peer id.
 */

#ifndef CHILD_H
#define CHILD_H

#include <sys/queue.h>
#include <sys/tree.h>

#include "proc.h"

struct conf_peer {
	TAILQ_ENTRY(conf_peer)	 entry;	/* config order */
	RB_ENTRY(conf_peer)	 byid;
	struct mesh_peer_msg	 msg;
	struct mesh_prefix	*aips;		/* msg.naips of them */
	size_t			 ngot;		/* arrived so far */
};
TAILQ_HEAD(conf_peer_head, conf_peer);
RB_HEAD(conf_peer_tree, conf_peer);

struct conf_snapshot {
	struct mesh_iface_msg	 iface;
	struct conf_peer_head	 peers;
	/*
	 * by id: a reload of 10,000 peers looks each up in the other
	 * config, and a walk of the list each time made that 10^8 steps
	 */
	struct conf_peer_tree	 ids;
	size_t			 npeers;
	/* the mesh block, if has_mesh: RECONF_MESH and what follows it */
	int			 has_mesh;
	struct mesh_conf_msg	 mesh;
	uint8_t			*cert;		/* our certificate, bytes */
	size_t			 certlen;
	uint8_t			*crl;		/* the revocation list, or */
	size_t			 crllen;	/* NULL and 0 */
};

struct child {
	enum meshd_role		 role;
	struct imsgev		 iev[PROC_MAX];	/* [role]; unused: fd -1 */
	int			 verbose;
	int			 check;		/* -n: a key check only */
	struct conf_snapshot	*pending;	/* between START and END */
	struct conf_peer	*pending_peer;	/* awaits its allowed-ips */
	/*
	 * The role's handlers, one per pipe, indexed by the process on
	 * the other end: a message from a process whose slot is NULL
	 * reaches no handler at all.  [PROC_PARENT] gets what the common
	 * code (child_dispatch_parent) does not handle itself.  A handler
	 * ends with child_unexpected() for a type it does not expect.
	 */
	void			(*dispatch[PROC_MAX])(struct imsg *);
	/* a complete new config; the role takes ownership */
	void			(*reconf)(struct conf_snapshot *);
	/* called once every sibling pipe is up (may be NULL) */
	void			(*connected)(void);
	/* packet channels this role is an end of; set up by the parent */
	struct pktchan		*chan[CHAN_MAX];
	int			 chan_memfd[CHAN_MAX];
	int			 chan_wakefd[CHAN_MAX];
	/* called when channel c is attached (may be NULL) */
	void			(*chan_ready)(enum mesh_chan);
};

struct pktchan_pkt;

/* child.c */
extern struct child	*self;		/* this process's role */
/* compose to a sibling or the parent */
int	 child_compose(enum meshd_role, uint32_t, uint32_t, int,
	    const void *, size_t);
/*
 * Consume channel c: fn gets each batch of packets (private copies),
 * after (may be NULL) runs after each batch.  Drains the ring, then
 * sleeps on its eventfd; bounded work per wake-up.
 */
void	 child_chan_consume(enum mesh_chan,
	    void (*)(struct pktchan_pkt *, size_t), void (*)(void));
/* the role's global counters (id 0), then STATS_END, for request reqid */
void	 child_stats_end(uint32_t, const struct mesh_peer_stats *);
void	 conf_snapshot_free(struct conf_snapshot *);
struct conf_peer *conf_snapshot_find(struct conf_snapshot *, uint32_t);
/* the event handler of every pipe: hands each imsg to its sender's table */
void	 child_dispatch(int, short, void *);
/* fatalx naming the type and its sender */
__attribute__((__noreturn__))
void	 child_unexpected(enum meshd_role, struct imsg *);

/* child_start.c */
/*
 * Logs init, drops privileges, enters the sandbox and tells the parent;
 * then the caller runs event_dispatch().  init() runs after the event base
 * exists and before the privilege drop, for what the role must set up
 * while it still can (there should be little).
 */
void	 child_start(struct child *, int, char *[], void (*)(void));

#endif /* CHILD_H */
