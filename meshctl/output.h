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
 * What meshctl prints, through one table of functions with two backends:
 * text (output.c) and JSON (output_json.c, -j).  Every reply has been
 * validated before it gets here: strings are NUL-terminated, counts match
 * the arrays, prefixes have a valid family and length.
 */

#ifndef MESHCTL_OUTPUT_H
#define MESHCTL_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

#include "meshd.h"

/*
 * The version of meshctl's JSON, the first member of every -j document:
 * raised whenever a key is renamed or removed or its meaning changes;
 * adding a key keeps it.
 */
#define MESHCTL_JSON_VERSION	1

/* one IMSG_CTL_PEER: the struct and its allowed IPs */
struct peer_info {
	struct ctl_peer		 peer;
	struct mesh_prefix	*aips;		/* peer.naips of them */
	size_t			 ngot;		/* while they arrive */
	size_t			 max;		/* room in aips */
	/* show peers interval N: bytes a second over the interval */
	int			 has_rate;
	double			 rx_rate;
	double			 tx_rate;
};

struct output {
	/* show status: the status and the process table */
	void	(*status)(FILE *, const struct ctl_status *,
		    const struct ctl_proc *, size_t);
	/* show peers: the list (maybe empty) */
	void	(*peers)(FILE *, const struct peer_info *, size_t);
	/* show peer NAME: one peer in detail */
	void	(*peer)(FILE *, const struct peer_info *);
	/*
	 * reload, log: the daemon's answer, code 0 or an errno value.
	 * out gets what succeeded, err what failed (text) or both (JSON).
	 */
	void	(*result)(FILE *, FILE *, int, const char *);
	/* reload: its result and what it changed (code 0 only) */
	void	(*reload)(FILE *, FILE *, int, const char *,
		    const struct ctl_change *, size_t);
	/* show config: the text, len bytes */
	void	(*config)(FILE *, const char *, size_t);
	/* show mesh: the mesh ("" name: none) and its coordinators */
	void	(*mesh)(FILE *, const struct ctl_mesh *,
		    const struct peer_info *, size_t);
	/* netcheck */
	void	(*netcheck)(FILE *, const struct ctl_netcheck *);
	/* show dns */
	void	(*dns)(FILE *, const struct ctl_dns *);
};

extern const struct output	text_output;
extern const struct output	json_output;

/* "addr/len", or "?" if the prefix cannot be printed */
const char	*output_prefix(const struct mesh_prefix *, char *, size_t);
/* "1d 2h 3m 4s", from the largest unit that is not zero; "0s" */
const char	*output_uptime(int64_t, char *, size_t);
const char	*output_bytes(uint64_t, char *, size_t);
/* bytes a second: "12 B/s", "1.50 KiB/s" */
const char	*output_rate(double, char *, size_t);
const char	*output_handshake(int64_t, char *, size_t);

#define PREFIX_STRLEN	64

/*
 * A certificate's expiry against now: "2027-12-06 (365 days)" (UTC),
 * "2027-12-06 (5h 3m)" within a day, "2026-12-01 (expired)".
 */
const char	*output_expiry(int64_t, int64_t, char *, size_t);
/* "config", "mesh"; a mesh peer's state: "member", "revoked", ... */
const char	*output_source(uint8_t);
/* CERT_ROLE_* bits as words joined by sep: "coordinator, relay" */
const char	*output_roles(uint8_t, const char *, char *, size_t);
const char	*output_state(uint8_t);
/* a member's path: "direct", "punched", "mapped", "none" or "-" */
const char	*output_path(uint8_t);
const char	*output_path_relay(const struct mesh_peer_path *, char *,
		    size_t);
/* a candidate: "observed 198.18.1.2:51820" */
const char	*output_cand(const struct mesh_cand *, char *, size_t);

/*
 * Every counter of struct mesh_peer_stats that meshctl prints, in one
 * table for both backends: its name is the text label, and the JSON key
 * is the same name in snake_case (counter_key()).  A process's own
 * counters are in show status, a peer's in show peer; the drops are
 * printed as "drop: NAME" (status), after "dropped:" (peer) and in a
 * "dropped" object (JSON).
 */
#define COUNTER_STATUS	0x01		/* show status */
#define COUNTER_PEER	0x02		/* show peer */
#define COUNTER_DROP	0x04		/* a drop */
#define COUNTER_MESH	0x08		/* status: the mesh's; text shows
					   only those not zero */

struct counter_desc {
	const char	*name;
	size_t		 off;
	int		 flags;
};
extern const struct counter_desc	counter_descs[];
extern const size_t			counter_ndescs;
uint64_t	counter_get(const struct mesh_peer_stats *,
		    const struct counter_desc *);
/* the name with '_' for ' ': "queue full" is "queue_full" */
const char	*counter_key(const struct counter_desc *, char *, size_t);

/*
 * -j: {"version": N, "error": msg} on fp.  A leading "meshctl: " and
 * the trailing newline of msg are left out.
 */
void		 output_json_error(FILE *, const char *);

/* "none", "initiating", "established": a peer's handshake_state */
const char	*output_hs_state(uint8_t);
/*
 * The handshakes of no peer meshd-crypto keeps (its counters' hs_error,
 * one a line): the one after *pos into buf, 0 when none is left.
 */
int		 output_hs_event(const struct ctl_proc *, size_t, size_t *,
		    char *, size_t);

#endif /* MESHCTL_OUTPUT_H */
