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
 * serve concentrator: plain WireGuard clients (phones, laptops) as peers
 * with addresses from a pool.  The clients live in a state file the
 * parent keeps (one per interface); loading a config merges them in as
 * peers marked client, so they survive reloads and restarts.
 */

#ifndef CONCENTRATOR_H
#define CONCENTRATOR_H

#include <sys/types.h>

#include <limits.h>
#include <stdio.h>
#include <stdint.h>

#include "meshd.h"

#define CONC_STATE_DIR_DEFAULT	"/var/lib/meshd"
#define CONC_POOL_MAX		2	/* one IPv4 and one IPv6 */
#define CONC_CLIENTS_MAX	65534

struct conc_client {
	char			 name[MESH_NAME_MAX];
	uint8_t			 pubkey[WG_KEY_LEN];
	struct mesh_prefix	 addrs[CONC_POOL_MAX];	/* host prefixes */
	size_t			 naddrs;
	int64_t			 added;		/* unix time */
};

struct conc_conf {
	/* where serve concentrator is */
	char			 fname[PATH_MAX];
	int			 line;
	struct mesh_prefix	 pool[CONC_POOL_MAX];
	size_t			 npool;
	char			 endpoint[MESH_ENDPOINT_MAX]; /* "" default */
	char			 state_file[PATH_MAX];	/* set at the end */
	struct conc_client	*clients;		/* as loaded */
	size_t			 nclients;
	size_t			 announced;	/* pools added to the mesh
						   block's announce lines */
};

struct meshd_conf;
struct peer_conf;
struct ctl_client_req;
struct imsgbuf;

/* concpool.c: the pool, without the rest of meshd (unit tested) */
/*
 * A pool prefix as written: 0, or -1 with why (a phrase) set.  IPv4
 * /8 to /30, IPv6 /16 to /126, no host bits.
 */
int	 conc_pool_parse(const char *, struct mesh_prefix *, const char **);
/* 1 if prefix a and b overlap */
int	 conc_prefix_overlap(const struct mesh_prefix *,
	    const struct mesh_prefix *);
/* 1 if prefix a lies inside prefix b */
int	 conc_prefix_inside(const struct mesh_prefix *,
	    const struct mesh_prefix *);
/*
 * The next free client: the lowest n >= 1 for which pool + n is free in
 * every pool (so a client gets .5 and ::5), skipping the IPv4 broadcast.
 * used: host addresses taken.  Fills out (npool host prefixes); 0, or -1
 * if the pool is full.
 */
int	 conc_pool_next(const struct mesh_prefix *, size_t,
	    const struct mesh_prefix *, size_t, struct mesh_prefix *);

/* concentrator.c */
/* parse.y's serve concentrator block: begin, its lines, end */
struct conc_conf *conc_conf_new(const char *, int);
void	 conc_conf_pool(struct conc_conf *, const char *);
void	 conc_conf_endpoint(struct conc_conf *, const char *);
void	 conc_conf_free(struct conc_conf *);
/*
 * The end of a parse: the pool checked against the peers, the state file
 * read and its clients added as peers.  Reports through parse.y.
 */
void	 conc_conf_load(struct meshd_conf *);
/* a deep copy of a whole config, for a run-time change */
struct meshd_conf *conc_conf_dup(const struct meshd_conf *);
/* 1 if s may name a client: letters, digits, ".", "_", "-" */
int	 conc_name_ok(const char *);
/* c added to conf as a peer marked client; at: where it is kept */
struct peer_conf *conc_client_peer(struct meshd_conf *,
	    const struct conc_client *, const char *);
/*
 * A line of the state file (modified: its words are cut out) into a
 * client: NULL, or why it is not one.  Names pass conc_name_ok, the
 * addresses are host addresses, at most one per family.
 */
const char *conc_state_line(char *, struct conc_client *);
/* the block, inside the interface's, for meshd -nv; nothing if NULL */
void	 conc_print(FILE *, const struct conc_conf *);
/* conf's clients into its state file, atomically; 0, or -1 and why */
int	 conc_state_write(const struct meshd_conf *, char *, size_t);

/*
 * Control requests: CLIENT_ADD and CLIENT_REMOVE start a reload of the
 * running config with the change (0, the answer follows the reload's
 * outcome) or refuse (an errno value, the reason in err).  What add
 * tells the client goes into ibuf first.
 */
int	 conc_client_add(struct imsgbuf *, const struct ctl_client_req *,
	    char *, size_t);
int	 conc_client_remove(const struct ctl_client_req *, char *, size_t);
/*
 * CLIENT_LIST: a CTL_CLIENT each into ibuf (the END is the caller's), or
 * ENOENT and why if there is no serve concentrator
 */
int	 conc_client_list(struct imsgbuf *, char *, size_t);
/* a config goes to the children (start, reload): forwarding on */
void	 conc_apply(struct meshd_conf *);
/* the reload a client change started is over: code 0 or why not */
void	 conc_reload_done(int);

#endif /* CONCENTRATOR_H */
