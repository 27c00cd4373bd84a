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
 * A UAPI get: the counters come from the children (the STATS_REQ every
 * show uses, under a sequence number of ours, UAPI_STATS_SEQ), the keys
 * from meshd-crypto (UAPI_KEYS_REQ); once all have answered the text is
 * written in wireguard-go's order, and the key bytes and their hex are
 * wiped as it goes out (uapi.c).  The mesh's members are peers too,
 * after the config's: wg(8) shows them, though a set leaves them to the
 * mesh (uapi_set.c).
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <inttypes.h>
#include <stdarg.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "members.h"
#include "parent.h"
#include "uapi.h"
#include "uapi_local.h"

struct gstat {
	uint32_t		 id;
	struct sockaddr_storage	 ep;
	socklen_t		 eplen;
	int64_t			 handshake;	/* unix seconds, 0 never */
	uint64_t		 rx, tx;
};

struct uapi_get {
	TAILQ_ENTRY(uapi_get)	 entry;
	struct uapi_conn	*c;
	uint32_t		 seq;
	int			 waiting;	/* answers to come */
	struct gstat		*st;		/* by id */
	size_t			 n;
	struct mesh_uapi_key	*keys;		/* wiped when done */
	size_t			 nkeys, maxkeys;
};

static TAILQ_HEAD(, uapi_get)	 gets = TAILQ_HEAD_INITIALIZER(gets);
static uint32_t			 get_seq;

static int
gstat_cmp(const void *a, const void *b)
{
	uint32_t	x = ((const struct gstat *)a)->id;
	uint32_t	y = ((const struct gstat *)b)->id;

	return x < y ? -1 : x > y;
}

static struct uapi_get *
get_find(uint32_t seq)
{
	struct uapi_get	*g;

	TAILQ_FOREACH(g, &gets, entry)
		if (g->seq == seq)
			return g;
	return NULL;
}

static void
get_free(struct uapi_get *g)
{
	TAILQ_REMOVE(&gets, g, entry);
	if (g->keys != NULL)
		freezero(g->keys, g->maxkeys * sizeof(*g->keys));
	free(g->st);
	g->c->get = NULL;
	free(g);
}

void
uapi_get_abort(struct uapi_conn *c)
{
	if (c->get != NULL)
		get_free(c->get);
}

void
uapi_get_start(struct uapi_conn *c)
{
	struct uapi_get		*g;
	struct peer_conf	*p;
	struct member		*m;
	size_t			 n = parent.conf->npeers;

	for (m = members_first(); m != NULL; m = members_next(m))
		if (uapi_member_shown(m))
			n++;
	if ((g = calloc(1, sizeof(*g))) == NULL ||
	    (g->st = calloc(n + 1, sizeof(*g->st))) == NULL) {
		free(g);
		uapi_reply(c, UAPI_EUNKNOWN);
		return;
	}
	TAILQ_FOREACH(p, &parent.conf->peers, entry)
		g->st[g->n++].id = p->id;
	for (m = members_first(); m != NULL && g->n < n; m = members_next(m))
		if (uapi_member_shown(m))
			g->st[g->n++].id = m->id;
	qsort(g->st, g->n, sizeof(*g->st), gstat_cmp);
	g->c = c;
	c->get = g;
	/* the low bits of ours: never 0xffffffff, the exit probe's */
	g->seq = UAPI_STATS_SEQ | (++get_seq & 0x3fffffff);
	TAILQ_INSERT_TAIL(&gets, g, entry);
	g->waiting = parent_stats_request(g->seq) + 1;
	imsg_compose_event(&parent.children[PROC_CRYPTO].iev,
	    IMSG_UAPI_KEYS_REQ, g->seq, 0, -1, NULL, 0);
}

static int
hexkey(struct ubuf *b, const char *name, const uint8_t *key)
{
	static const char	 hex[] = "0123456789abcdef";
	char			 line[32 + 2 * WG_KEY_LEN + 2];
	size_t			 i, n;
	int			 r;

	n = strlcpy(line, name, sizeof(line));
	line[n++] = '=';
	for (i = 0; i < WG_KEY_LEN; i++) {
		line[n++] = hex[key[i] >> 4];
		line[n++] = hex[key[i] & 0xf];
	}
	line[n++] = '\n';
	r = ubuf_add(b, line, n);
	explicit_bzero(line, sizeof(line));
	return r;
}

static int
addf(struct ubuf *b, const char *fmt, ...)
    __attribute__((__format__ (printf, 2, 3)));

static int
addf(struct ubuf *b, const char *fmt, ...)
{
	char	line[256];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -1;
	return ubuf_add(b, line, n);
}

/* "1.2.3.4:51820", "[2001:db8::1]:51820" or "[fe80::1%eth0]:51820" */
int
uapi_endpoint_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6	*sin6 =
	    (const struct sockaddr_in6 *)ss;
	char				 a[INET6_ADDRSTRLEN];
	char				 zone[IF_NAMESIZE + 1] = "";
	int				 n;

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		n = snprintf(buf, len, "%s:%u", a, ntohs(sin->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		if (sin6->sin6_scope_id != 0 &&
		    if_indextoname(sin6->sin6_scope_id, zone + 1) != NULL)
			zone[0] = '%';
		n = snprintf(buf, len, "[%s%s]:%u", a, zone,
		    ntohs(sin6->sin6_port));
	} else
		return -1;
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static const uint8_t *
key_of(struct uapi_get *g, uint32_t id)
{
	size_t	i;

	for (i = 0; i < g->nkeys; i++)
		if (g->keys[i].id == id)
			return g->keys[i].key;
	return NULL;
}

/* a member of the mesh, not a coordinator of the config (a peer there) */
int
uapi_member_shown(const struct member *m)
{
	return m->id >= MESH_DYN_ID_MIN && m->state == CTL_STATE_MEMBER;
}

/* what a peer shows: the config's, or a member's */
struct gpeer {
	uint32_t			 id;
	const uint8_t			*pubkey;
	const struct sockaddr_storage	*endpoint;	/* NULL: none */
	uint16_t			 keepalive;
	const struct mesh_prefix	*aips;
	size_t				 naips;
};

static int
get_peer(struct uapi_get *g, struct ubuf *b, const struct gpeer *p)
{
	static const uint8_t	 zero[WG_KEY_LEN];
	struct gstat		 key, *st;
	const struct sockaddr_storage *ep = p->endpoint;
	const uint8_t		*psk;
	char			 eps[INET6_ADDRSTRLEN + IF_NAMESIZE + 16];
	char			 pfx[64];
	size_t			 i;

	key.id = p->id;
	st = bsearch(&key, g->st, g->n, sizeof(*g->st), gstat_cmp);
	if ((psk = key_of(g, p->id)) == NULL)
		psk = zero;
	if (st != NULL && st->eplen > 0)
		ep = &st->ep;
	if (hexkey(b, "public_key", p->pubkey) == -1 ||
	    hexkey(b, "preshared_key", psk) == -1 ||
	    addf(b, "protocol_version=1\n") == -1 ||
	    (ep != NULL && uapi_endpoint_str(ep, eps, sizeof(eps)) == 0 &&
	    addf(b, "endpoint=%s\n", eps) == -1) ||
	    addf(b, "last_handshake_time_sec=%" PRId64 "\n"
	    "last_handshake_time_nsec=0\n"
	    "tx_bytes=%" PRIu64 "\nrx_bytes=%" PRIu64 "\n"
	    "persistent_keepalive_interval=%u\n",
	    st != NULL ? st->handshake : 0, st != NULL ? st->tx : 0,
	    st != NULL ? st->rx : 0, p->keepalive) == -1)
		return -1;
	for (i = 0; i < p->naips; i++)
		if (addf(b, "allowed_ip=%s\n", mesh_prefix_ntop(&p->aips[i],
		    pfx, sizeof(pfx))) == -1)
			return -1;
	return 0;
}

static void
get_done(struct uapi_get *g)
{
	struct uapi_conn	*c = g->c;
	struct peer_conf	*p;
	struct member		*m;
	struct gpeer		 gp;
	struct mesh_prefix	 routed[MEMBER_ROUTED_MAX];
	const uint8_t		*priv;
	int			 r = 0;

	if ((priv = key_of(g, 0)) != NULL)
		r = hexkey(&c->out, "private_key", priv);
	if (r == 0 && parent.listen_port != 0)
		r = addf(&c->out, "listen_port=%u\n", parent.listen_port);
	if (r == 0 && uapi_fwmark != 0)
		r = addf(&c->out, "fwmark=%u\n", uapi_fwmark);
	TAILQ_FOREACH(p, &parent.conf->peers, entry) {
		if (r == -1)
			break;
		gp.id = p->id;
		gp.pubkey = p->pubkey;
		gp.endpoint = p->endpoint.ss_family != 0 ? &p->endpoint : NULL;
		gp.keepalive = p->keepalive;
		gp.aips = p->aips;
		gp.naips = p->naips;
		r = get_peer(g, &c->out, &gp);
	}
	for (m = members_first(); m != NULL && r == 0; m = members_next(m)) {
		if (!uapi_member_shown(m))
			continue;
		gp.id = m->id;
		gp.pubkey = m->pubkey;
		gp.endpoint = NULL;
		gp.keepalive = 0;
		gp.aips = routed;
		gp.naips = member_routed(m, routed);
		r = get_peer(g, &c->out, &gp);
	}
	get_free(g);
	if (r == -1) {
		/* what was written is wiped with the buffer */
		ubuf_free(&c->out);
		uapi_reply(c, UAPI_EUNKNOWN);
		return;
	}
	uapi_reply(c, 0);
}

static void
get_answered(struct uapi_get *g)
{
	if (--g->waiting == 0)
		get_done(g);
}

/* a child's counters or STATS_END (st NULL): 1 if the get's, else 0 */
int
uapi_stats(uint32_t seq, const struct mesh_peer_stats *in)
{
	struct uapi_get	*g;
	struct gstat	 key, *st;

	if (seq == 0xffffffffU || (seq & UAPI_STATS_SEQ) == 0)
		return 0;
	if ((g = get_find(seq)) == NULL)
		return 1;		/* its client went away */
	if (in == NULL) {
		get_answered(g);
		return 1;
	}
	key.id = in->id;
	if ((st = bsearch(&key, g->st, g->n, sizeof(*g->st),
	    gstat_cmp)) == NULL)
		return 1;
	if (in->endpoint_len > 0 && in->endpoint_len <= sizeof(st->ep)) {
		memcpy(&st->ep, in->endpoint, in->endpoint_len);
		st->eplen = in->endpoint_len;
	}
	if (in->latest_handshake > st->handshake)
		st->handshake = in->latest_handshake;
	st->rx += in->rx_bytes;
	st->tx += in->tx_bytes;
	return 1;
}

/* crypto's UAPI_KEY: kept for the reply, wiped with it */
void
uapi_key(struct imsg *imsg)
{
	struct uapi_get		*g;
	struct mesh_uapi_key	*nk;
	size_t			 nmax;

	if (imsg_get_len(imsg) != sizeof(*nk))
		fatalx("UAPI_KEY: bad length");
	if ((g = get_find(imsg_get_id(imsg))) == NULL)
		return;		/* imsg_free wipes it */
	if (g->nkeys == g->maxkeys) {
		nmax = g->maxkeys == 0 ? 8 : g->maxkeys * 2;
		if ((nk = calloc(nmax, sizeof(*nk))) == NULL)
			fatal("UAPI_KEY");
		if (g->keys != NULL) {
			memcpy(nk, g->keys, g->nkeys * sizeof(*nk));
			freezero(g->keys, g->maxkeys * sizeof(*nk));
		}
		g->keys = nk;
		g->maxkeys = nmax;
	}
	if (imsg_get_data(imsg, &g->keys[g->nkeys], sizeof(*nk)) == -1)
		fatalx("UAPI_KEY: bad message");
	g->nkeys++;
}

void
uapi_key_end(struct imsg *imsg)
{
	struct uapi_get	*g;

	if (imsg_get_len(imsg) != 0)
		fatalx("UAPI_KEY_END: bad length");
	if ((g = get_find(imsg_get_id(imsg))) != NULL)
		get_answered(g);
}
