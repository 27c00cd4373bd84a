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
 * meshctl's parts beside the parser and the output backends: the
 * conversation with meshd over its control socket, the checks on every
 * reply, and the key commands that need no daemon.
 */

#ifndef MESHCTL_H
#define MESHCTL_H

#include <stdio.h>

#include "output.h"
#include "parser.h"

struct imsg;
struct mesh_cert;

#define MESHCTL_MAX_PROCS	16
#define MESHCTL_MAX_PEERS	65536
#define MESHCTL_KEYDIR		"/etc/meshd"	/* import-wg's key files */

/* client.c */
/* a connected control socket, or -1 with errno set */
int	 ctl_connect(const char *);
/*
 * Sends the request for a daemon command over a connected socket and
 * prints the answer through an output backend.  Errors go to err as one
 * line starting with "meshctl: ".  Returns the exit status.
 */
int	 ctl_run(int, const struct parse_result *, const struct output *,
	    FILE *, FILE *);

/* reply.c: each returns 0, or -1 if the message is malformed */
int	 reply_status(struct imsg *, struct ctl_status *);
int	 reply_proc(struct imsg *, struct ctl_proc *);
int	 reply_mesh(struct imsg *, struct ctl_mesh *);
int	 reply_netcheck(struct imsg *, struct ctl_netcheck *);
int	 reply_dns(struct imsg *, struct ctl_dns *);
/* a CTL_PEER into pi, which then awaits pi->peer.naips prefixes */
int	 reply_peer(struct imsg *, struct peer_info *);
/* a CTL_PEER_AIPS for pi: grows pi->aips (free it, error or not) */
int	 reply_peer_aips(struct imsg *, struct peer_info *);
/* the text, NUL-terminated and cut to fit */
int	 reply_result(struct imsg *, int *, char *, size_t);
int	 reply_end(struct imsg *);

/* peers.c: show peers sort KEY, and interval N's rates */
void	 peers_sort(struct peer_info *, size_t, enum peer_sort);
/* sets has_rate, rx_rate and tx_rate of now from then, secs before */
void	 peers_rates(struct peer_info *, size_t, const struct peer_info *,
	    size_t, double);

/* keys.c: each returns the exit status, after wiping every key buffer */
int	 keys_genkey(int);
int	 keys_genpsk(int);
int	 keys_pubkey(int, int);

/* ca.c: the admin's offline commands; each returns the exit status */
int	 ca_genkey(int);
int	 ca_pubkey(int, int);
/* sign, ca revoke, show cert, show revocations: their words in res */
int	 ca_run(const struct parse_result *, int);
/*
 * "valid", "expired" or "not yet valid" at now; text gets what show cert
 * prints ("valid, 12 days left")
 */
const char *ca_cert_state(const struct mesh_cert *, int64_t, char *,
	    size_t);

/* clients.c: client add, list and remove; the exit status */
struct imsgbuf;
int	 clients_run(struct imsgbuf *, const struct parse_result *,
	    const struct output *, FILE *, FILE *);

/* filter.c: show filter and show states, text or JSON */
struct ctl_filter;
struct ctl_filter_rule;
struct ctl_filter_state;
void	 filter_show(FILE *, int, const struct ctl_filter *,
	    const struct ctl_filter_rule *, size_t);
void	 states_show(FILE *, int, const struct ctl_filter *,
	    const struct ctl_filter_state *, size_t);

#endif /* MESHCTL_H */
