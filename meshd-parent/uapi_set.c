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
 * A UAPI set, applied: a new struct meshd_conf is built from the running
 * one and the parsed changes, and goes the way of a reload (reload.c):
 * its keys to meshd-crypto for a verdict (keys set here as KEY_UAPI, the
 * rest kept with KEY_KEEP: no key file is opened again), then to every
 * child, which applies only what changed.  What a set changes is run-time
 * state: a reload reads the config file again.
 *
 * Semantics are wireguard-go's where meshd's config file is stricter: an
 * allowed-ip another peer has moves to the peer that sets it last, a
 * peer may have no endpoint and no allowed-ips, a peer with our own
 * public key is ignored.  The mesh's members (members.c) are the
 * coordinators' to add and remove: a set naming one leaves it alone
 * (wg showconf | wg setconf on a mesh node changes nothing).  A peer
 * added here is named "wg-" and the first
 * 8 characters of its public key's base64 ('+' and '/' made '-' and '_').
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "log.h"
#include "members.h"
#include "parent.h"
#include "uapi.h"
#include "uapi_local.h"

uint32_t			 uapi_fwmark;
static struct uapi_conn		*set_conn;	/* waits for its reload */
static int			 set_port;	/* it changes the port */

static struct meshd_conf *
conf_copy(const struct meshd_conf *o)
{
	struct meshd_conf	*n;
	struct peer_conf	*p, *np;

	if ((n = malloc(sizeof(*n))) == NULL)
		return NULL;
	/* the mesh block, filter and serve concentrator: shared (disown) */
	*n = *o;
	TAILQ_INIT(&n->peers);
	TAILQ_FOREACH(p, &o->peers, entry) {
		if ((np = malloc(sizeof(*np))) == NULL)
			goto fail;
		*np = *p;
		np->aips = NULL;
		np->pubkey_at = np->psk_at = np->psk_file = NULL;
		np->ssh = NULL;
		TAILQ_INSERT_TAIL(&n->peers, np, entry);
		if ((p->naips > 0 && (np->aips = reallocarray(NULL, p->naips,
		    sizeof(*np->aips))) == NULL) ||
		    (p->pubkey_at != NULL &&
		    (np->pubkey_at = strdup(p->pubkey_at)) == NULL) ||
		    (p->psk_at != NULL &&
		    (np->psk_at = strdup(p->psk_at)) == NULL) ||
		    (p->psk_file != NULL &&
		    (np->psk_file = strdup(p->psk_file)) == NULL) ||
		    (p->ssh != NULL &&
		    (np->ssh = malloc(sizeof(*np->ssh))) == NULL))
			goto fail;
		if (p->ssh != NULL)
			*np->ssh = *p->ssh;
		if (p->naips > 0)
			memcpy(np->aips, p->aips, p->naips * sizeof(*np->aips));
	}
	return n;
 fail:
	uapi_conf_disown(n);
	free_config(n);
	return NULL;
}

void
uapi_conf_disown(struct meshd_conf *conf)
{
	memset(&conf->mesh, 0, sizeof(conf->mesh));
	conf->filter = NULL;
	conf->conc = NULL;	/* serve concentrator's: shared too */
}

void
uapi_conf_free(struct meshd_conf *conf)
{
	uapi_conf_disown(conf);
	free_config(conf);
}

static struct peer_conf *
peer_find(struct meshd_conf *conf, const uint8_t *pubkey)
{
	struct peer_conf	*p;

	TAILQ_FOREACH(p, &conf->peers, entry)
		if (CRYPTO_memcmp(p->pubkey, pubkey, WG_KEY_LEN) == 0)
			return p;
	return NULL;
}

static int
has_psk(const struct peer_conf *p)
{
	return p->psk_file != NULL || p->psk_uapi;
}

static void
peer_remove(struct meshd_conf *conf, struct peer_conf *p)
{
	TAILQ_REMOVE(&conf->peers, p, entry);
	conf->npeers--;
	if (has_psk(p))
		conf->npsks--;
	config_peer_free(p);
	free(p);
}

/* "wg-" and 8 characters of the key, made unique with "-2", "-3" ... */
static void
peer_name(struct meshd_conf *conf, struct peer_conf *p)
{
	char	b64[WG_KEY_B64_LEN + 1], base[16];
	size_t	i;
	int	n = 1;

	wg_key_to_base64(b64, p->pubkey);
	for (i = 0; i < 8; i++)
		if (b64[i] == '+')
			b64[i] = '-';
		else if (b64[i] == '/')
			b64[i] = '_';
	snprintf(base, sizeof(base), "wg-%.8s", b64);
	(void)strlcpy(p->name, base, sizeof(p->name));
	while (config_find_peer_name(conf, p->name) != NULL)
		snprintf(p->name, sizeof(p->name), "%s-%d", base, ++n);
}

static struct peer_conf *
peer_new(struct meshd_conf *conf, const uint8_t *pubkey)
{
	struct peer_conf	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	memcpy(p->pubkey, pubkey, WG_KEY_LEN);
	peer_name(conf, p);
	TAILQ_INSERT_TAIL(&conf->peers, p, entry);
	conf->npeers++;
	return p;
}

static int
pfx_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct mesh_prefix));
}

/*
 * The prefixes in sorted (n of them) leave every peer but keep: the
 * same prefix moves to the peer that set it last.  A sorted copy makes
 * 130,000 prefixes cost n log n, not a scan per prefix.
 */
static void
aips_take(struct meshd_conf *conf, struct peer_conf *keep,
    const struct mesh_prefix *sorted, size_t n)
{
	struct peer_conf	*p;
	size_t			 i, j;

	TAILQ_FOREACH(p, &conf->peers, entry) {
		if (p == keep)
			continue;
		for (i = j = 0; i < p->naips; i++)
			if (bsearch(&p->aips[i], sorted, n, sizeof(*sorted),
			    pfx_cmp) == NULL)
				p->aips[j++] = p->aips[i];
		p->naips = j;
	}
}

static int
is_member(const uint8_t *pubkey)
{
	struct member	*m;

	for (m = members_first(); m != NULL; m = members_next(m))
		if (uapi_member_shown(m) && CRYPTO_memcmp(m->pubkey, pubkey,
		    WG_KEY_LEN) == 0)
			return 1;
	return 0;
}

/* the op's prefixes added to p, in their order, once each */
static int
peer_aips(struct meshd_conf *conf, struct peer_conf *p,
    const struct uapi_peer *op)
{
	struct mesh_prefix	*all, *sorted, *k;
	uint8_t			*used;
	size_t			 i, j, n;

	if (op->replace_aips)
		p->naips = 0;
	if (op->naips == 0)
		return 0;
	if ((sorted = reallocarray(NULL, op->naips, sizeof(*sorted))) ==
	    NULL)
		return -1;
	memcpy(sorted, op->aips, op->naips * sizeof(*sorted));
	qsort(sorted, op->naips, sizeof(*sorted), pfx_cmp);
	for (i = j = 0; i < op->naips; i++)
		if (j == 0 || pfx_cmp(&sorted[j - 1], &sorted[i]) != 0)
			sorted[j++] = sorted[i];
	n = j;
	aips_take(conf, p, sorted, n);
	if ((all = reallocarray(NULL, p->naips + n, sizeof(*all))) == NULL ||
	    (used = calloc(n, 1)) == NULL) {
		free(all);
		free(sorted);
		return -1;
	}
	/* those p had that are not given again, then the given ones */
	for (i = j = 0; i < p->naips; i++)
		if (bsearch(&p->aips[i], sorted, n, sizeof(*sorted),
		    pfx_cmp) == NULL)
			all[j++] = p->aips[i];
	for (i = 0; i < op->naips; i++) {
		k = bsearch(&op->aips[i], sorted, n, sizeof(*sorted), pfx_cmp);
		if (used[k - sorted])
			continue;
		used[k - sorted] = 1;
		all[j++] = op->aips[i];
	}
	free(used);
	free(sorted);
	free(p->aips);
	p->aips = all;
	p->naips = j;
	return 0;
}

/* one public_key= block on conf; -1 out of memory */
static int
peer_op(struct meshd_conf *conf, const struct uapi_peer *op)
{
	static const uint8_t	 zero[WG_KEY_LEN];
	struct peer_conf	*p;

	/* wireguard-go: our own key is a peer that is not there */
	if (parent.has_pubkey && CRYPTO_memcmp(op->pubkey, parent.pubkey,
	    WG_KEY_LEN) == 0)
		return 0;
	p = peer_find(conf, op->pubkey);
	if (p == NULL && is_member(op->pubkey))
		return 0;
	if (op->remove) {
		if (p != NULL)
			peer_remove(conf, p);
		return 0;
	}
	if (p == NULL && op->update_only)
		return 0;
	if (p == NULL && (p = peer_new(conf, op->pubkey)) == NULL)
		return -1;
	if (op->has_psk) {
		if (has_psk(p))
			conf->npsks--;
		free(p->psk_file);
		free(p->psk_at);
		p->psk_file = p->psk_at = NULL;
		/* all zeros: none, as in wireguard-go */
		p->psk_uapi = CRYPTO_memcmp(op->psk, zero, WG_KEY_LEN) != 0;
		if (has_psk(p))
			conf->npsks++;
	}
	if (op->has_endpoint) {
		p->endpoint = op->endpoint;
		p->endpoint_len = op->endpoint_len;
		p->endpoint_name = 0;
		if (uapi_endpoint_str(&op->endpoint, p->endpoint_str,
		    sizeof(p->endpoint_str)) == -1)
			p->endpoint_str[0] = '\0';
	}
	if (op->has_keepalive)
		p->keepalive = op->keepalive;
	return peer_aips(conf, p, op);
}

/* the set on a copy of the running config: 0, or an errno= value */
static int
set_build(struct uapi_set *s, struct meshd_conf **out)
{
	static const uint8_t	 zero[WG_KEY_LEN];
	struct meshd_conf	*n;
	struct peer_conf	*p, *next;
	size_t			 i;

	*out = NULL;
	if (s->has_priv && CRYPTO_memcmp(s->priv, zero, WG_KEY_LEN) == 0) {
		log_warnx("UAPI: a set without a private key: meshd needs one");
		return UAPI_EINVAL;
	}
	if (s->has_fwmark && s->fwmark != 0) {
		log_warnx("UAPI: fwmark %u: meshd does not mark its packets",
		    s->fwmark);
		return UAPI_EINVAL;
	}
	if ((n = conf_copy(parent.conf)) == NULL)
		return UAPI_EUNKNOWN;
	if (s->has_priv)
		n->iface.key_uapi = 1;
	set_port = s->has_port && s->port != parent.listen_port;
	if (set_port)
		n->iface.listen_port = s->port;
	if (s->replace_peers)
		TAILQ_FOREACH_SAFE(p, &n->peers, entry, next)
			/* the mesh block's coordinators are not wg's */
			if (!p->coordinator)
				peer_remove(n, p);
	for (i = 0; i < s->npeers; i++)
		if (peer_op(n, &s->peers[i]) == -1) {
			uapi_conf_disown(n);
			free_config(n);
			return UAPI_EUNKNOWN;
		}
	if (n->npsks > MESH_MAX_PSK) {
		log_warnx("UAPI: more than %d peers with a preshared key",
		    MESH_MAX_PSK);
		uapi_conf_disown(n);
		free_config(n);
		return UAPI_EINVAL;
	}
	*out = n;
	return 0;
}

/* the last op of the set that gives this key a preshared key, or NULL */
static const struct uapi_peer *
psk_op(const struct uapi_set *s, const uint8_t *pubkey)
{
	size_t	i = s->npeers;

	while (i-- > 0)
		if (s->peers[i].has_psk && CRYPTO_memcmp(s->peers[i].pubkey,
		    pubkey, WG_KEY_LEN) == 0)
			return &s->peers[i];
	return NULL;
}

static void
key_send(struct imsgbuf *ibuf, uint32_t id, const uint8_t *key)
{
	struct mesh_uapi_key	k;

	k.id = id;
	memcpy(k.key, key, WG_KEY_LEN);
	if (imsg_compose(ibuf, IMSG_KEY_UAPI, id, 0, -1, &k, sizeof(k)) == -1)
		fatal("imsg_compose");
	explicit_bzero(&k, sizeof(k));
}

/*
 * The key check of the new config: keys the set gave go to crypto (the
 * imsg's buffer is wiped once written), the others are kept there.
 */
static void
set_keys(const struct uapi_set *s, struct meshd_conf *n)
{
	struct imsgbuf		*ibuf = &parent.children[PROC_CRYPTO].iev.ibuf;
	struct peer_conf	*p;
	const struct uapi_peer	*op;

	if (s->has_priv)
		key_send(ibuf, 0, s->priv);
	else if (imsg_compose(ibuf, IMSG_KEY_KEEP, 0, 0, -1, NULL, 0) == -1)
		fatal("imsg_compose");
	TAILQ_FOREACH(p, &n->peers, entry) {
		if (!has_psk(p))
			continue;
		if ((op = psk_op(s, p->pubkey)) != NULL)
			key_send(ibuf, p->id, op->psk);
		else if (imsg_compose(ibuf, IMSG_KEY_KEEP, p->id, 0, -1, NULL,
		    0) == -1)
			fatal("imsg_compose");
	}
	if (imsg_compose(ibuf, IMSG_KEYCHECK_END, 0, 0, -1, NULL, 0) == -1)
		fatal("imsg_compose");
	imsg_event_add(&parent.children[PROC_CRYPTO].iev);
}

int
uapi_set_start(struct uapi_conn *c, const char *buf, size_t len)
{
	struct uapi_set		 s;
	struct meshd_conf	*n;
	char			 err[128];
	int			 code;

	if (set_conn != NULL || reload_busy())
		return UAPI_RETRY;
	if ((code = uapi_parse_set(buf, len, &s, err, sizeof(err))) != 0) {
		log_warnx("UAPI set: %s", err);
		uapi_set_free(&s);
		return code;
	}
	if ((code = set_build(&s, &n)) != 0) {
		uapi_set_free(&s);
		return code;
	}
	if (s.has_fwmark)
		uapi_fwmark = s.fwmark;
	assign_ids(n, parent.conf);
	set_keys(&s, n);
	uapi_set_free(&s);
	set_conn = c;
	keycheck_uapi(n);
	return UAPI_PENDING;
}

void
uapi_set_abort(struct uapi_conn *c)
{
	if (set_conn == c)
		set_conn = NULL;
}

/* the reload of a set is done: code 0, or errno-like and why */
void
uapi_set_done(int code, const char *msg)
{
	struct uapi_conn	*c = set_conn;

	set_conn = NULL;
	if (code != 0)
		log_warnx("UAPI set failed: %s", msg);
	if (c == NULL)
		return;
	if (code == 0)
		uapi_reply(c, 0);
	else
		uapi_reply(c, set_port ? UAPI_EADDRINUSE : UAPI_EINVAL);
}
