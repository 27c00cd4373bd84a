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
 * meshd-tun's packet filter: the rules of the filter block (common/filter.h)
 * and the state table.  One filter per process.
 *
 * A packet is first looked up in the state table (one hash lookup): a
 * packet of a known connection, either way, passes without the rules.
 * Only a packet that no state knows walks the rules, and a rule that
 * passes it makes a state.  So the rules cost once per connection, and
 * established traffic costs the same whatever the number of rules.
 */

#ifndef PFILTER_H
#define PFILTER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "filter.h"
#include "ippkt.h"

/*
 * What the rules ask of a peer: its name (NULL: unknown) and whether it is
 * in a group (a member's certificate says so).  tun.c gives these.
 */
struct filter_lookup {
	const char	*(*name)(uint32_t);
	int		 (*group)(uint32_t, const char *);
};
/* also seeds the state table's hash: call it before the sandbox */
void	 filter_set_lookup(const struct filter_lookup *);

/*
 * Swaps in a new ruleset (rules: nrules of them, malloc'd, now the
 * filter's; present 0: no filter, everything passes).  The states the new
 * rules pass (their first packet evaluated again) stay; the others go.
 */
void	 filter_load(const struct mesh_filter_msg *, struct filter_rule *,
	    time_t);

/* whether a filter block is in force */
int	 filter_active(void);

/*
 * 1 if the packet (ip from ippkt_parse()) may go, 0 if it is blocked.  dir
 * FILTER_IN: from peer; FILTER_OUT: to peer.  now: monotonic seconds.
 */
int	 filter_check(const uint8_t *, const struct ippkt *, int, uint32_t,
	    time_t);

/* drops the states that timed out */
void	 filter_expire(time_t);

/* for show filter and show states */
void	 filter_summary(struct ctl_filter *);
size_t	 filter_nrules(void);
void	 filter_rule_info(size_t, struct ctl_filter_rule *);
void	 filter_states_walk(void (*)(const struct ctl_filter_state *,
	    void *), void *, time_t);

#endif /* PFILTER_H */
