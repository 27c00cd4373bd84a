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
 * What a reload changes: the difference between the running config and
 * the new one, as a list of struct ctl_change for meshctl and the log.
 * A peer is its public key: a new key is a peer removed and one added.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "concentrator.h"
#include "confdiff.h"
#include "filter.h"

static int
change_add(struct confdiff *d, const struct ctl_change *c)
{
	struct ctl_change	*n;
	size_t			 max;

	if (d->n == d->max) {
		max = d->max == 0 ? 16 : d->max * 2;
		if ((n = reallocarray(d->changes, max, sizeof(*n))) == NULL)
			return -1;
		d->changes = n;
		d->max = max;
	}
	d->changes[d->n++] = *c;
	switch (c->kind) {
	case CHANGE_ADDED:
		d->nadded++;
		break;
	case CHANGE_REMOVED:
		d->nremoved++;
		break;
	case CHANGE_CHANGED:
		d->nchanged++;
		break;
	case CHANGE_IFACE:
		d->niface++;
		break;
	default:
		d->nwarnings++;
		break;
	}
	return 0;
}

static int
change_simple(struct confdiff *d, uint32_t kind, const char *name,
    const char *text)
{
	struct ctl_change	c;

	memset(&c, 0, sizeof(c));
	c.kind = kind;
	(void)strlcpy(c.name, name, sizeof(c.name));
	(void)strlcpy(c.text, text, sizeof(c.text));
	return change_add(d, &c);
}

static int
pfx_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct mesh_prefix));
}

static int
pfx_in(const struct mesh_prefix *p, const struct mesh_prefix *set, size_t n)
{
	return n > 0 && bsearch(p, set, n, sizeof(*set), pfx_cmp) != NULL;
}

/* sorted copies of both lists, to count what is only in one */
static int
aips_diff(const struct peer_conf *o, const struct peer_conf *n,
    struct ctl_change *c)
{
	struct mesh_prefix	*os = NULL, *ns = NULL;
	size_t			 i;

	if ((o->naips > 0 && (os = reallocarray(NULL, o->naips,
	    sizeof(*os))) == NULL) || (n->naips > 0 &&
	    (ns = reallocarray(NULL, n->naips, sizeof(*ns))) == NULL)) {
		free(os);
		return -1;
	}
	if (o->naips > 0)
		memcpy(os, o->aips, o->naips * sizeof(*os));
	if (n->naips > 0)
		memcpy(ns, n->aips, n->naips * sizeof(*ns));
	if (o->naips > 0)
		qsort(os, o->naips, sizeof(*os), pfx_cmp);
	if (n->naips > 0)
		qsort(ns, n->naips, sizeof(*ns), pfx_cmp);
	for (i = 0; i < n->naips; i++)
		if (!pfx_in(&ns[i], os, o->naips))
			c->aips_added++;
	for (i = 0; i < o->naips; i++)
		if (!pfx_in(&os[i], ns, n->naips))
			c->aips_removed++;
	free(os);
	free(ns);
	if (c->aips_added > 0 || c->aips_removed > 0)
		c->fields |= CHANGE_F_AIPS;
	return 0;
}

static int
peer_diff(struct confdiff *d, const struct peer_conf *o,
    const struct peer_conf *n)
{
	struct ctl_change	c;

	memset(&c, 0, sizeof(c));
	c.kind = CHANGE_CHANGED;
	(void)strlcpy(c.name, n->name, sizeof(c.name));
	if (strcmp(o->name, n->name) != 0) {
		c.fields |= CHANGE_F_NAME;
		(void)strlcpy(c.text, o->name, sizeof(c.text));
	}
	if (strcmp(o->endpoint_str, n->endpoint_str) != 0)
		c.fields |= CHANGE_F_ENDPOINT;
	if (o->keepalive != n->keepalive)
		c.fields |= CHANGE_F_KEEPALIVE;
	if (strcmp(o->relay_str, n->relay_str) != 0)
		c.fields |= CHANGE_F_RELAY;
	if (strcmp(o->psk_file != NULL ? o->psk_file : "",
	    n->psk_file != NULL ? n->psk_file : "") != 0) {
		c.fields |= CHANGE_F_PSK;
		if (o->psk_file == NULL)
			c.psk = CHANGE_PSK_ADDED;
		else if (n->psk_file == NULL)
			c.psk = CHANGE_PSK_REMOVED;
		else
			c.psk = CHANGE_PSK_FILE;
	}
	if (aips_diff(o, n, &c) == -1)
		return -1;
	if (c.fields == 0)
		return 0;
	return change_add(d, &c);
}

static int
peer_key_cmp(const void *a, const void *b)
{
	const struct peer_conf	*const *x = a, *const *y = b;

	return memcmp((*x)->pubkey, (*y)->pubkey, WG_KEY_LEN);
}

/* the peers of c sorted by key, in *out (NULL if none) */
static int
peers_sorted(const struct meshd_conf *c, struct peer_conf ***out)
{
	struct peer_conf	*p, **v;
	size_t			 n = 0;

	*out = NULL;
	if (c->npeers == 0)
		return 0;
	if ((v = reallocarray(NULL, c->npeers, sizeof(*v))) == NULL)
		return -1;
	TAILQ_FOREACH(p, &c->peers, entry)
		if (n < c->npeers)
			v[n++] = p;
	qsort(v, n, sizeof(*v), peer_key_cmp);
	*out = v;
	return 0;
}

static struct peer_conf *
peer_find(struct peer_conf *p, struct peer_conf **v, size_t n)
{
	struct peer_conf	**f;

	if (n == 0)
		return NULL;
	f = bsearch(&p, v, n, sizeof(*v), peer_key_cmp);
	return f != NULL ? *f : NULL;
}

/* in config order: removed as the old config had them, then the rest */
static int
peers_diff(struct confdiff *d, const struct meshd_conf *o,
    const struct meshd_conf *n)
{
	struct peer_conf	**ov = NULL, **nv = NULL, *p, *q;
	int			 rv = -1;

	if (peers_sorted(o, &ov) == -1 || peers_sorted(n, &nv) == -1)
		goto done;
	TAILQ_FOREACH(p, &o->peers, entry)
		if (peer_find(p, nv, n->npeers) == NULL &&
		    change_simple(d, CHANGE_REMOVED, p->name, "") == -1)
			goto done;
	TAILQ_FOREACH(p, &n->peers, entry) {
		if ((q = peer_find(p, ov, o->npeers)) == NULL) {
			if (change_simple(d, CHANGE_ADDED, p->name, "") == -1)
				goto done;
		} else if (peer_diff(d, q, p) == -1)
			goto done;
	}
	rv = 0;
 done:
	free(ov);
	free(nv);
	return rv;
}

static int
addr_in(const struct mesh_prefix *a, const struct iface_conf *ic)
{
	size_t	i;

	for (i = 0; i < ic->naddrs; i++)
		if (memcmp(a, &ic->addrs[i], sizeof(*a)) == 0)
			return 1;
	return 0;
}

static int
addrs_diff(struct confdiff *d, const struct iface_conf *o,
    const struct iface_conf *n)
{
	char	buf[64], text[80];
	size_t	i;

	for (i = 0; i < o->naddrs; i++) {
		if (addr_in(&o->addrs[i], n))
			continue;
		(void)snprintf(text, sizeof(text), "%s removed",
		    mesh_prefix_ntop(&o->addrs[i], buf, sizeof(buf)));
		if (change_simple(d, CHANGE_IFACE, "address", text) == -1)
			return -1;
	}
	for (i = 0; i < n->naddrs; i++) {
		if (addr_in(&n->addrs[i], o))
			continue;
		(void)snprintf(text, sizeof(text), "%s added",
		    mesh_prefix_ntop(&n->addrs[i], buf, sizeof(buf)));
		if (change_simple(d, CHANGE_IFACE, "address", text) == -1)
			return -1;
	}
	return 0;
}

static int
iface_diff(struct confdiff *d, const struct iface_conf *o,
    const struct iface_conf *n)
{
	char	text[MESH_CHANGE_TEXT];

	if (addrs_diff(d, o, n) == -1)
		return -1;
	if (o->listen_port != n->listen_port) {
		(void)snprintf(text, sizeof(text), "%u -> %u", o->listen_port,
		    n->listen_port);
		if (change_simple(d, CHANGE_IFACE, "listen-port", text) == -1)
			return -1;
	}
	if (o->mtu != n->mtu) {
		(void)snprintf(text, sizeof(text), "%u -> %u", o->mtu, n->mtu);
		if (change_simple(d, CHANGE_IFACE, "mtu", text) == -1)
			return -1;
	}
	if (strcmp(o->key_file, n->key_file) != 0 &&
	    change_simple(d, CHANGE_IFACE, "private-key-file",
	    "another file") == -1)
		return -1;
	if (strcmp(o->user, n->user) != 0) {
		(void)snprintf(text, sizeof(text), "user %s takes effect at "
		    "the next restart", n->user);
		if (change_simple(d, CHANGE_WARNING, "", text) == -1)
			return -1;
	}
	return 0;
}

static int
ctlsock_diff(struct confdiff *d, const struct meshd_conf *o,
    const struct meshd_conf *n)
{
	if (strcmp(o->ro_sock, n->ro_sock) == 0)
		return 0;
	return change_simple(d, CHANGE_WARNING, "", "control-socket takes "
	    "effect at the next restart");
}

/* a certificate's time as its day, "2099-01-01" */
static const char *
cert_day(int64_t t, char *buf, size_t len)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%d",
	    &tm) == 0)
		(void)snprintf(buf, len, "%lld", (long long)t);
	return buf;
}

static int
bytes_same(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* the revocation list: added, removed or replaced, with its serials */
static int
crl_diff(struct confdiff *d, const struct mesh_conf *o,
    const struct mesh_conf *n)
{
	char	text[MESH_CHANGE_TEXT];

	if (bytes_same(o->crl, o->crllen, n->crl, n->crllen))
		return 0;
	if (o->crllen == 0)
		(void)snprintf(text, sizeof(text), "added (serial %llu)",
		    (unsigned long long)n->l.serial);
	else if (n->crllen == 0)
		(void)snprintf(text, sizeof(text), "removed");
	else
		(void)snprintf(text, sizeof(text), "replaced (serial %llu -> "
		    "%llu)", (unsigned long long)o->l.serial,
		    (unsigned long long)n->l.serial);
	return change_simple(d, CHANGE_IFACE, "revocation-file", text);
}

/* stun servers added and removed, by how they are written */
static int
stun_diff(struct confdiff *d, const struct mesh_conf *o,
    const struct mesh_conf *n)
{
	char	text[MESH_CHANGE_TEXT];
	size_t	i, j;

	for (i = 0; i < n->nstun; i++) {
		for (j = 0; j < o->nstun; j++)
			if (strcmp(n->stun[i].str, o->stun[j].str) == 0)
				break;
		if (j < o->nstun)
			continue;
		(void)snprintf(text, sizeof(text), "\"%s\" added",
		    n->stun[i].str);
		if (change_simple(d, CHANGE_IFACE, "stun", text) == -1)
			return -1;
	}
	for (j = 0; j < o->nstun; j++) {
		for (i = 0; i < n->nstun; i++)
			if (strcmp(n->stun[i].str, o->stun[j].str) == 0)
				break;
		if (i < n->nstun)
			continue;
		(void)snprintf(text, sizeof(text), "\"%s\" removed",
		    o->stun[j].str);
		if (change_simple(d, CHANGE_IFACE, "stun", text) == -1)
			return -1;
	}
	return 0;
}

/* the mesh DNS's domain and ttl */
static int
dns_diff(struct confdiff *d, const struct mesh_conf *o,
    const struct mesh_conf *n)
{
	char	text[MESH_CHANGE_TEXT];

	if (strcmp(o->dns_domain, n->dns_domain) != 0) {
		/* the new one is what matters: the old may be cut */
		(void)snprintf(text, sizeof(text), "\"%s\" (was \"%.60s\")",
		    n->dns_domain, o->dns_domain);
		if (change_simple(d, CHANGE_IFACE, "domain", text) == -1)
			return -1;
	}
	if (o->dns_ttl != n->dns_ttl) {
		(void)snprintf(text, sizeof(text), "%u -> %u", o->dns_ttl,
		    n->dns_ttl);
		if (change_simple(d, CHANGE_IFACE, "ttl", text) == -1)
			return -1;
	}
	return 0;
}

/*
 * serve relay: its sockets, certificate, key and site are set up at
 * start (meshd-parent/relay.c), so a change waits for a restart
 */
static int
relay_diff(struct confdiff *d, const struct relay_conf *o,
    const struct relay_conf *n)
{
	size_t	i;
	int	same;

	same = o->on == n->on && o->nlisten == n->nlisten &&
	    strcmp(o->cert_file, n->cert_file) == 0 &&
	    strcmp(o->key_file, n->key_file) == 0 &&
	    strcmp(o->site_dir, n->site_dir) == 0;
	for (i = 0; same && i < n->nlisten; i++)
		same = strcmp(o->listen_str[i], n->listen_str[i]) == 0;
	if (same)
		return 0;
	return change_simple(d, CHANGE_WARNING, "", "serve relay takes "
	    "effect at the next restart");
}

/*
 * The mesh block.  Its coordinators are peers and show as peers added
 * and removed; the certificate's addresses as the interface's.
 */
static int
mesh_diff(struct confdiff *d, const struct meshd_conf *oc,
    const struct meshd_conf *nc)
{
	const struct mesh_conf	*o = &oc->mesh, *n = &nc->mesh;
	char			 text[MESH_CHANGE_TEXT], day[32];

	if (!oc->has_mesh && !nc->has_mesh)
		return 0;
	if (oc->has_mesh != nc->has_mesh) {
		(void)snprintf(text, sizeof(text), "\"%s\" %s",
		    nc->has_mesh ? n->name : o->name, nc->has_mesh ? "added" :
		    "removed");
		return change_simple(d, CHANGE_IFACE, "mesh", text);
	}
	if (strcmp(o->name, n->name) != 0) {
		(void)snprintf(text, sizeof(text), "\"%s\" -> \"%s\"",
		    o->name, n->name);
		if (change_simple(d, CHANGE_IFACE, "mesh", text) == -1)
			return -1;
	}
	if (memcmp(o->ca, n->ca, sizeof(o->ca)) != 0 &&
	    change_simple(d, CHANGE_IFACE, "ca", "another key") == -1)
		return -1;
	if (!bytes_same(o->cert, o->certlen, n->cert, n->certlen)) {
		(void)snprintf(text, sizeof(text), "renewed (%s, until %s)",
		    n->c.name, cert_day(n->c.not_after, day, sizeof(day)));
		if (change_simple(d, CHANGE_IFACE, "certificate-file",
		    text) == -1)
			return -1;
	}
	if (crl_diff(d, o, n) == -1)
		return -1;
	if (o->serve != n->serve &&
	    change_simple(d, CHANGE_IFACE, "serve coordinator",
	    n->serve ? "on" : "off") == -1)
		return -1;
	if (stun_diff(d, o, n) == -1)
		return -1;
	if (o->portmap != n->portmap &&
	    change_simple(d, CHANGE_IFACE, "port-mapping",
	    n->portmap ? "on" : "off") == -1)
		return -1;
	if ((o->obfs != n->obfs || (n->obfs &&
	    (memcmp(o->obfs_pad, n->obfs_pad, sizeof(n->obfs_pad)) != 0 ||
	    o->obfs_junk != n->obfs_junk ||
	    o->obfs_jitter != n->obfs_jitter))) &&
	    change_simple(d, CHANGE_IFACE, "obfuscation", !n->obfs ? "off" :
	    o->obfs ? "its padding, junk or jitter" : "on") == -1)
		return -1;
	if (o->nannounce != n->nannounce || memcmp(o->announce, n->announce,
	    n->nannounce * sizeof(n->announce[0])) != 0) {
		(void)snprintf(text, sizeof(text), "%zu -> %zu routes "
		    "(0: all the certificate's)", o->nannounce, n->nannounce);
		if (change_simple(d, CHANGE_IFACE, "announce", text) == -1)
			return -1;
	}
	if (o->serve_exit != n->serve_exit &&
	    change_simple(d, CHANGE_IFACE, "serve exit",
	    n->serve_exit ? "on" : "off") == -1)
		return -1;
	if (strcmp(o->exit_node, n->exit_node) != 0) {
		(void)snprintf(text, sizeof(text), "\"%s\" -> \"%s\"",
		    o->exit_node, n->exit_node);
		if (change_simple(d, CHANGE_IFACE, "exit-node", text) == -1)
			return -1;
	}
	if (o->exit_fallback != n->exit_fallback &&
	    change_simple(d, CHANGE_IFACE, "exit-node-fallback",
	    n->exit_fallback ? "direct" : "drop") == -1)
		return -1;
	if (dns_diff(d, o, n) == -1)
		return -1;
	return relay_diff(d, &o->relay, &n->relay);
}

/* the filter block: on, off, or other rules (reported as a whole) */
static int
filter_diff(struct confdiff *d, const struct meshd_conf *o,
    const struct meshd_conf *n)
{
	const struct filter_conf	*of = o->filter, *nf = n->filter;
	char				 text[64];

	if (of == NULL && nf == NULL)
		return 0;
	if (of != NULL && nf != NULL && of->nrules == nf->nrules &&
	    of->limit == nf->limit && (nf->nrules == 0 ||
	    memcmp(of->rules, nf->rules, nf->nrules *
	    sizeof(nf->rules[0])) == 0))
		return 0;
	if (nf == NULL)
		(void)strlcpy(text, "off: every packet passes", sizeof(text));
	else
		(void)snprintf(text, sizeof(text), "%zu rules, %u states at "
		    "most", nf->nrules, nf->limit != 0 ? nf->limit :
		    FILTER_STATES_DEFAULT);
	return change_simple(d, CHANGE_IFACE, "filter", text);
}

/* metrics-listen lines of a that b lacks, as "what" changes */
static int
metrics_diff_one(struct confdiff *d, const struct meshd_conf *a,
    const struct meshd_conf *b, const char *what)
{
	char	text[MESH_CHANGE_TEXT];
	size_t	i, j;

	for (i = 0; i < a->nmetrics; i++) {
		for (j = 0; j < b->nmetrics; j++)
			if (strcmp(a->metrics[i].str, b->metrics[j].str) == 0)
				break;
		if (j < b->nmetrics)
			continue;
		(void)snprintf(text, sizeof(text), "\"%s\" %s",
		    a->metrics[i].str, what);
		if (change_simple(d, CHANGE_IFACE, "metrics-listen",
		    text) == -1)
			return -1;
	}
	return 0;
}

static int
metrics_diff(struct confdiff *d, const struct meshd_conf *o,
    const struct meshd_conf *n)
{
	if (metrics_diff_one(d, n, o, "added") == -1)
		return -1;
	return metrics_diff_one(d, o, n, "removed");
}

/* serve concentrator: on, off, other pools or endpoint */
static int
conc_diff(struct confdiff *d, const struct meshd_conf *o,
    const struct meshd_conf *n)
{
	const struct conc_conf	*oc = o->conc, *nc = n->conc;
	char			 text[MESH_CHANGE_TEXT], buf[64];
	size_t			 i;

	if (oc == NULL && nc == NULL)
		return 0;
	if (oc != NULL && nc != NULL && oc->npool == nc->npool &&
	    memcmp(oc->pool, nc->pool, nc->npool * sizeof(nc->pool[0])) == 0 &&
	    strcmp(oc->endpoint, nc->endpoint) == 0)
		return 0;
	if (nc == NULL)
		(void)strlcpy(text, "off", sizeof(text));
	else {
		(void)strlcpy(text, "address-pool ", sizeof(text));
		for (i = 0; i < nc->npool; i++) {
			if (i > 0)
				(void)strlcat(text, ", ", sizeof(text));
			(void)strlcat(text, mesh_prefix_ntop(&nc->pool[i], buf,
			    sizeof(buf)), sizeof(text));
		}
		if (nc->endpoint[0] != '\0') {
			(void)strlcat(text, ", endpoint ", sizeof(text));
			(void)strlcat(text, nc->endpoint, sizeof(text));
		}
	}
	return change_simple(d, CHANGE_IFACE, "serve concentrator", text);
}

int
confdiff(const struct meshd_conf *o, const struct meshd_conf *n,
    struct confdiff *d)
{
	memset(d, 0, sizeof(*d));
	if (iface_diff(d, &o->iface, &n->iface) == -1 ||
	    ctlsock_diff(d, o, n) == -1 || mesh_diff(d, o, n) == -1 ||
	    peers_diff(d, o, n) == -1 || filter_diff(d, o, n) == -1 ||
	    metrics_diff(d, o, n) == -1 ||
	    conc_diff(d, o, n) == -1) {
		confdiff_free(d);
		return -1;
	}
	return 0;
}

int
confdiff_warnings(struct confdiff *d, const char *lines)
{
	char		 text[MESH_CHANGE_TEXT];
	const char	*nl;
	size_t		 len;

	for (; *lines != '\0'; lines = *nl != '\0' ? nl + 1 : nl) {
		if ((nl = strchr(lines, '\n')) == NULL)
			nl = lines + strlen(lines);
		len = nl - lines;
		if (len >= sizeof(text))
			len = sizeof(text) - 1;
		memcpy(text, lines, len);
		text[len] = '\0';
		if (len > 0 && change_simple(d, CHANGE_WARNING, "", text) == -1)
			return -1;
	}
	return 0;
}

void
confdiff_free(struct confdiff *d)
{
	free(d->changes);
	memset(d, 0, sizeof(*d));
}

static void
count_part(char *buf, size_t len, size_t n, const char *what,
    const char *plural)
{
	char	part[64];

	if (n == 0)
		return;
	(void)snprintf(part, sizeof(part), "%s%zu %s%s",
	    strchr(buf, ';') != NULL ? ", " : "; ", n, what,
	    n == 1 ? "" : plural);
	(void)strlcat(buf, part, len);
}

const char *
confdiff_summary(const struct confdiff *d, size_t npeers, char *buf,
    size_t len)
{
	(void)snprintf(buf, len, "reload done: %zu peers", npeers);
	count_part(buf, len, d->nadded, "added", "");
	count_part(buf, len, d->nremoved, "removed", "");
	count_part(buf, len, d->nchanged, "changed", "");
	count_part(buf, len, d->niface, "interface change", "s");
	count_part(buf, len, d->nwarnings, "warning", "s");
	if (d->n == 0)
		(void)strlcat(buf, "; no changes", len);
	return buf;
}
