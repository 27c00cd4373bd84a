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
	return 0;
}

int
reply_peer(struct imsg *imsg, struct peer_info *pi)
{
	struct ctl_peer		*p = &pi->peer;
	struct mesh_prefix	*aips = NULL;
	struct ibuf		 ib;
	uint32_t		 i;

	memset(pi, 0, sizeof(*pi));
	if (imsg_get_ibuf(imsg, &ib) == -1 ||
	    ibuf_get(&ib, p, sizeof(*p)) == -1)
		return -1;
	p->name[sizeof(p->name) - 1] = '\0';
	p->endpoint[sizeof(p->endpoint) - 1] = '\0';
	/* exactly naips prefixes follow, nothing more, nothing less */
	if (p->naips > ibuf_size(&ib) / sizeof(*aips) ||
	    ibuf_size(&ib) != (size_t)p->naips * sizeof(*aips))
		return -1;
	if (p->naips > 0 &&
	    (aips = calloc(p->naips, sizeof(*aips))) == NULL)
		return -1;
	for (i = 0; i < p->naips; i++) {
		if (ibuf_get(&ib, &aips[i], sizeof(aips[i])) == -1 ||
		    !prefix_valid(&aips[i])) {
			free(aips);
			return -1;
		}
	}
	pi->aips = aips;
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
