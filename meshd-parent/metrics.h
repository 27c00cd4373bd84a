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
 * Prometheus metrics, the parent's side: the snapshot of one scrape and
 * its text (metrics_text.c), the listeners and net's requests
 * (metrics.c).  meshd-net serves the HTTP (meshd-net/metrics.c); it asks
 * for the text of each scrape and gets it whole.
 */

#ifndef METRICS_H
#define METRICS_H

#include <sys/types.h>
#include <stdint.h>
#include <stdio.h>

#include "meshd.h"

/* a peer's drops by reason, as struct mesh_peer_stats has them */
enum metrics_drop {
	MDROP_DECRYPT,
	MDROP_REPLAY,
	MDROP_QUEUE,
	MDROP_SOURCE,
	MDROP_NOROUTE,
	MDROP_MALFORMED,
	MDROP_MAC,
	MDROP_FULL,
	MDROP_HANDSHAKE,
	MDROP_RATELIMIT,
	MDROP_LOOP,
	MDROP_MAX
};

/* one peer as a scrape shows it */
struct metrics_peer {
	char		 name[MESH_NAME_MAX];
	char		 key[WG_KEY_B64_LEN + 1];
	uint8_t		 source;	/* CTL_SOURCE_* */
	uint8_t		 coordinator;
	uint8_t		 path;		/* MESH_PATH_*; UNKNOWN: none known */
	uint8_t		 hs_state;	/* MESH_HS_* */
	int64_t		 latest_handshake;	/* unix time, 0 never */
	uint32_t	 hs_attempts;
	uint64_t	 rx_bytes;
	uint64_t	 tx_bytes;
	uint64_t	 rx_packets;
	uint64_t	 tx_packets;
	uint64_t	 drop[MDROP_MAX];
};

/* one process: cpu -1 and mem 0 when /proc did not say */
struct metrics_proc {
	pid_t		 pid;
	double		 cpu;		/* seconds, user and system */
	uint64_t	 mem;		/* bytes */
	const char	*memkind;	/* "pss", or "rss" without smaps */
};

struct metrics_snapshot {
	const char		*ifname;
	int64_t			 start_time;	/* unix time */
	const struct metrics_peer *peers;
	size_t			 npeers;
	struct metrics_proc	 procs[PROC_MAX];
	const struct mesh_peer_stats *global;	/* [PROC_MAX], each's own */
	int			 has_mesh;
	uint32_t		 members;	/* admitted now */
	uint32_t		 revoked;
	uint32_t		 coordinators;	/* in the mesh block */
	uint32_t		 coord_sessions; /* of those, with a session */
	uint64_t		 crl_serial;
};

/* metrics_text.c: the text exposition format (version 0.0.4) of s */
void		 metrics_text(FILE *, const struct metrics_snapshot *);
/* a label value with \, " and newline escaped */
void		 metrics_label(FILE *, const char *);
/* a peer's counters from what control.c gathered */
void		 metrics_peer_fill(struct metrics_peer *,
		    const struct ctl_peer *);
/* the names metrics_text gives */
const char	*metrics_drop_name(enum metrics_drop);
const char	*metrics_path_name(uint8_t);

#endif /* METRICS_H */
