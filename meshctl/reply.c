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
 * Checks on meshd's replies.  Fixed structs go through imsg_get_data,
 * which insists on the exact size; a peer's variable tail through the
 * ibuf getters, its count checked against what is left.  Every string
 * we will print is cut at its last byte, and every prefix must have a
 * family and length that make sense.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imsg.h"
#include "meshctl.h"

static int
prefix_valid(const struct mesh_prefix *p)
{
	return (p->af == 4 && p->plen <= 32) || (p->af == 6 && p->plen <= 128);
}

int
reply_status(struct imsg *imsg, struct ctl_status *st)
{
	uint32_t	i;

	if (imsg_get_data(imsg, st, sizeof(*st)) == -1)
		return -1;
	st->ifname[sizeof(st->ifname) - 1] = '\0';
	if (st->naddrs > MESH_MAX_ADDRS)
		return -1;
	for (i = 0; i < st->naddrs; i++)
		if (!prefix_valid(&st->addrs[i]))
			return -1;
	return 0;
}

int
reply_proc(struct imsg *imsg, struct ctl_proc *pr)
{
	if (imsg_get_data(imsg, pr, sizeof(*pr)) == -1)
		return -1;
	pr->role[sizeof(pr->role) - 1] = '\0';
	pr->proc.counters.hs_error[sizeof(pr->proc.counters.hs_error) - 1] =
	    '\0';
	return 0;
}

/*
 * A CTL_PEER: the struct alone.  Its naips prefixes come in CTL_PEER_AIPS
 * messages (reply_peer_aips); room for them grows as they arrive, so a
 * count that no data backs costs nothing.
 */
int
reply_peer(struct imsg *imsg, struct peer_info *pi)
{
	struct ctl_peer		*p = &pi->peer;
	uint32_t		 i;

	memset(pi, 0, sizeof(*pi));
	if (imsg_get_data(imsg, p, sizeof(*p)) == -1)
		return -1;
	p->name[sizeof(p->name) - 1] = '\0';
	p->endpoint[sizeof(p->endpoint) - 1] = '\0';
	p->stats.hs_error[sizeof(p->stats.hs_error) - 1] = '\0';
	p->path.why[sizeof(p->path.why) - 1] = '\0';
	if (p->path.ncand > MESH_PATH_CANDS || p->path.path > MESH_PATH_RELAY)
		return -1;
	if (p->source > CTL_SOURCE_MESH || p->state > CTL_STATE_EXPIRED ||
	    p->ngroups > MESH_CERT_GROUPS)
		return -1;
	for (i = 0; i < p->ngroups; i++)
		p->groups[i][sizeof(p->groups[i]) - 1] = '\0';
	return 0;
}

/* show mesh: names and groups cut at their last byte, counts checked */
int
reply_mesh(struct imsg *imsg, struct ctl_mesh *m)
{
	uint32_t	i;

	if (imsg_get_data(imsg, m, sizeof(*m)) == -1)
		return -1;
	m->name[sizeof(m->name) - 1] = '\0';
	m->cert_name[sizeof(m->cert_name) - 1] = '\0';
	if (m->naddrs > MESH_CERT_ADDRS || m->ngroups > MESH_CERT_GROUPS)
		return -1;
	for (i = 0; i < m->naddrs; i++)
		if (!prefix_valid(&m->addrs[i]))
			return -1;
	for (i = 0; i < m->ngroups; i++)
		m->groups[i][sizeof(m->groups[i]) - 1] = '\0';
	return 0;
}

/* a CTL_NETCHECK: counts within bounds, every string ended */
int
reply_netcheck(struct imsg *imsg, struct ctl_netcheck *n)
{
	struct ctl_netcheck_server	*s;
	uint32_t			 i;

#define END(f)	((f)[sizeof(f) - 1] = '\0')
	if (imsg_get_data(imsg, n, sizeof(*n)) == -1 ||
	    n->nservers > NETCHECK_SERVERS || n->ncoords > NETCHECK_COORDS ||
	    n->ncand > 8)
		return -1;
	for (i = 0; i < n->nservers; i++) {
		s = &n->servers[i];
		END(s->name);
		END(s->addr);
		END(s->reflexive);
		END(s->error);
	}
	for (i = 0; i < n->ncoords; i++)
		END(n->coords[i].name);
	for (i = 0; i < n->ncand; i++)
		END(n->cand[i]);
	END(n->mapping);
	END(n->ports);
	END(n->mapping_why);
	END(n->pm_proto);
	END(n->pm_gateway);
	END(n->pm_external);
	END(n->pm_why);
#undef END
	return 0;
}

/* a CTL_PEER_AIPS for pi: 1 to MESH_AIPS_CHUNK prefixes, within naips */
int
reply_peer_aips(struct imsg *imsg, struct peer_info *pi)
{
	struct mesh_prefix	*aips;
	struct ibuf		 ib;
	size_t			 n, i, max;

	if (imsg_get_ibuf(imsg, &ib) == -1 ||
	    imsg_get_id(imsg) != pi->peer.id ||
	    ibuf_size(&ib) % sizeof(*aips) != 0)
		return -1;
	n = ibuf_size(&ib) / sizeof(*aips);
	if (n == 0 || n > MESH_AIPS_CHUNK || n > pi->peer.naips - pi->ngot)
		return -1;
	if (pi->ngot + n > pi->max) {
		max = pi->max == 0 ? n : pi->max * 2;
		if (max < pi->ngot + n)
			max = pi->ngot + n;
		if (max > pi->peer.naips)
			max = pi->peer.naips;
		if ((aips = reallocarray(pi->aips, max, sizeof(*aips))) ==
		    NULL)
			return -1;
		pi->aips = aips;
		pi->max = max;
	}
	for (i = 0; i < n; i++) {
		if (ibuf_get(&ib, &pi->aips[pi->ngot], sizeof(*aips)) == -1 ||
		    !prefix_valid(&pi->aips[pi->ngot]))
			return -1;
		pi->ngot++;
	}
	return 0;
}

int
reply_result(struct imsg *imsg, int *code, char *text, size_t len)
{
	struct ctl_result	res;
	struct ibuf		ib;
	size_t			n;

	if (len == 0 || imsg_get_ibuf(imsg, &ib) == -1 ||
	    ibuf_get(&ib, &res, sizeof(res)) == -1)
		return -1;
	/* the text should end in a NUL; cut it ourselves in any case */
	n = ibuf_size(&ib);
	if (n > len - 1)
		n = len - 1;
	if (n > 0 && ibuf_get(&ib, text, n) == -1)
		return -1;
	text[n] = '\0';
	*code = res.code;
	return 0;
}

int
reply_end(struct imsg *imsg)
{
	return imsg_get_len(imsg) == 0 ? 0 : -1;
}
