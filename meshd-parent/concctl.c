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
 * meshctl client add, list and remove in the parent.  A change is a new
 * config, made from the running one with the client added or removed,
 * that goes through the reload path (reload.c) like any other: only the
 * difference reaches the children.  The state file is written first and
 * put back if the reload fails.  The client's private key is never here:
 * meshctl made it and sends only the public key.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "concentrator.h"
#include "ctl_client.h"
#include "log.h"
#include "members.h"
#include "parent.h"
#include "proc.h"

/* a client change whose reload is running */
static struct {
	int	 on;
	char	 what[MESH_NAME_MAX + 32];
} change;

static const char *const fwd_path[2] = {
	"/proc/sys/net/ipv4/ip_forward",
	"/proc/sys/net/ipv6/conf/all/forwarding",
};

/*
 * Clients reach the mesh, and each other, through the kernel: what comes
 * in on the interface for another peer goes out on it again.  Forwarding
 * is turned on and left on (meshd.conf.5 says so).
 */
void
conc_apply(struct meshd_conf *conf)
{
	struct conc_conf	*cc = conf->conc;
	char			 c;
	size_t			 i;
	int			 fd, k;

	if (cc == NULL)
		return;
	for (i = 0; i < cc->npool; i++) {
		k = cc->pool[i].af == 4 ? 0 : 1;
		if ((fd = open(fwd_path[k], O_RDWR | O_CLOEXEC)) == -1) {
			log_warn("serve concentrator: %s", fwd_path[k]);
			continue;
		}
		if (read(fd, &c, 1) == 1 && c != '1') {
			if (pwrite(fd, "1\n", 2, 0) != 2)
				log_warn("serve concentrator: %s",
				    fwd_path[k]);
			else
				log_info("serve concentrator: IPv%d forwarding "
				    "turned on", cc->pool[i].af);
		}
		close(fd);
	}
}

static struct peer_conf *
peer_by_key(struct meshd_conf *conf, const uint8_t *key)
{
	struct peer_conf	*p;

	TAILQ_FOREACH(p, &conf->peers, entry)
		if (memcmp(p->pubkey, key, WG_KEY_LEN) == 0)
			return p;
	return NULL;
}

/* host addresses taken: the interface's and every peer's in the pool */
static struct mesh_prefix *
used_addrs(struct meshd_conf *conf, size_t *n)
{
	struct mesh_prefix	*u;
	struct peer_conf	*p;
	size_t			 max = conf->iface.naddrs, i;

	TAILQ_FOREACH(p, &conf->peers, entry)
		max += p->naips;
	if ((u = reallocarray(NULL, max + 1, sizeof(*u))) == NULL)
		fatal("%s", __func__);
	*n = 0;
	for (i = 0; i < conf->iface.naddrs; i++) {
		u[*n] = conf->iface.addrs[i];
		u[(*n)++].plen = conf->iface.addrs[i].af == 4 ? 32 : 128;
	}
	TAILQ_FOREACH(p, &conf->peers, entry)
		for (i = 0; i < p->naips; i++)
			u[(*n)++] = p->aips[i];
	return u;
}

static void
routes_push(struct mesh_prefix **v, size_t *n, size_t *max,
    const struct mesh_prefix *p)
{
	struct mesh_prefix	*nv;

	/* a default route would take the client's whole traffic */
	if (p->plen == 0 || (p->af != 4 && p->af != 6))
		return;
	if (*n == *max) {
		*max = *max ? *max * 2 : 32;
		if ((nv = reallocarray(*v, *max, sizeof(**v))) == NULL)
			fatal("%s", __func__);
		*v = nv;
	}
	(*v)[*n] = *p;
	(void)mesh_prefix_mask(&(*v)[*n]);
	(*n)++;
}

static int
route_cmp(const void *a, const void *b)
{
	const struct mesh_prefix	*x = a, *y = b;

	if (x->af != y->af)
		return x->af < y->af ? -1 : 1;
	if (x->plen != y->plen)
		return x->plen < y->plen ? -1 : 1;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

/*
 * What a client routes to this node: the interface's networks, the
 * static peers' allowed IPs, the mesh members' addresses and routes, and
 * the pool (the other clients); none inside another, no default route.
 */
static struct mesh_prefix *
client_routes(struct meshd_conf *conf, size_t *np)
{
	struct mesh_prefix	*v = NULL, *m, *out;
	struct peer_conf	*p;
	size_t			 n = 0, max = 0, nm = 0, i, j, k = 0;

	for (i = 0; i < conf->iface.naddrs; i++)
		routes_push(&v, &n, &max, &conf->iface.addrs[i]);
	TAILQ_FOREACH(p, &conf->peers, entry)
		if (!p->client)
			for (i = 0; i < p->naips; i++)
				routes_push(&v, &n, &max, &p->aips[i]);
	if ((m = members_addrs(&nm)) != NULL) {
		for (i = 0; i < nm; i++)
			routes_push(&v, &n, &max, &m[i]);
		free(m);
	}
	for (i = 0; i < conf->conc->npool; i++)
		routes_push(&v, &n, &max, &conf->conc->pool[i]);
	/* shortest first: a prefix is kept if none kept before holds it */
	qsort(v, n, sizeof(*v), route_cmp);
	if ((out = reallocarray(NULL, n + 1, sizeof(*out))) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < n; i++) {
		for (j = 0; j < k; j++)
			if (conc_prefix_overlap(&out[j], &v[i]))
				break;
		if (j == k)
			out[k++] = v[i];
	}
	free(v);
	*np = k;
	return out;
}

/* host:port into buf; a host too long for it is cut (said in the log) */
static void
endpoint_fmt(char *buf, size_t len, const char *host)
{
	int	n;

	n = snprintf(buf, len, "%s:%u", host, parent.listen_port);
	if (n < 0 || (size_t)n >= len)
		log_warnx("serve concentrator: endpoint %s:%u is too long",
		    host, parent.listen_port);
}

/*
 * Where clients dial: endpoint as configured (a port added if it has
 * none), else the address this node would reach the Internet from (the
 * source of its default route) and its port, else its host name.
 */
static void
client_endpoint(struct meshd_conf *conf, char *buf, size_t len)
{
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof(sin);
	const char		*e = conf->conc->endpoint;
	char			 host[256];
	int			 s;

	if (e[0] != '\0') {
		if (strrchr(e, ':') != NULL && e[strlen(e) - 1] != ']' &&
		    (e[0] != '[' || strstr(e, "]:") != NULL))
			(void)strlcpy(buf, e, len);
		else
			endpoint_fmt(buf, len, e);
		return;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(53);
	/* TEST-NET-1: connect sends nothing, it only picks a source */
	sin.sin_addr.s_addr = htonl(0xc0000201);
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) != -1 &&
	    connect(s, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(s, (struct sockaddr *)&sin, &slen) == 0 &&
	    inet_ntop(AF_INET, &sin.sin_addr, host, sizeof(host)) != NULL) {
		close(s);
		endpoint_fmt(buf, len, host);
		return;
	}
	if (s != -1)
		close(s);
	if (gethostname(host, sizeof(host)) == -1)
		(void)strlcpy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	endpoint_fmt(buf, len, host);
}

static void
client_msg(const struct conc_client *c, struct ctl_client *m)
{
	memset(m, 0, sizeof(*m));
	(void)strlcpy(m->name, c->name, sizeof(m->name));
	memcpy(m->pubkey, c->pubkey, sizeof(m->pubkey));
	m->naddrs = c->naddrs;
	memcpy(m->addrs, c->addrs, c->naddrs * sizeof(m->addrs[0]));
	m->added = c->added;
}

/* what the new client's config needs, into ibuf */
static void
client_tell(struct imsgbuf *ibuf, struct meshd_conf *conf,
    const struct conc_client *c)
{
	struct ctl_client	 cm;
	struct ctl_client_conf	 cf;
	struct mesh_prefix	*r;
	size_t			 n, i;

	client_msg(c, &cm);
	memset(&cf, 0, sizeof(cf));
	memcpy(cf.pubkey, parent.pubkey, sizeof(cf.pubkey));
	client_endpoint(conf, cf.endpoint, sizeof(cf.endpoint));
	/* mesh DNS answers on the interface's addresses (dnsconf.c) */
	if (conf->has_mesh)
		for (i = 0; i < conf->iface.naddrs && i < CTL_CLIENT_DNS; i++) {
			cf.dns[i] = conf->iface.addrs[i];
			cf.dns[i].plen = cf.dns[i].af == 4 ? 32 : 128;
			cf.ndns++;
		}
	r = client_routes(conf, &n);
	if (n > CTL_CLIENT_ROUTES_MAX)
		n = CTL_CLIENT_ROUTES_MAX;
	cf.nroutes = n;
	if (imsg_compose(ibuf, IMSG_CTL_CLIENT, 0, 0, -1, &cm,
	    sizeof(cm)) == -1 ||
	    imsg_compose(ibuf, IMSG_CTL_CLIENT_CONF, 0, 0, -1, &cf,
	    sizeof(cf)) == -1 ||
	    imsg_compose_aips(ibuf, IMSG_CTL_CLIENT_ROUTES, 0, r, n) == -1)
		log_warn("control: client add");
	free(r);
}

/* the change into the state file and to the children */
static int
client_apply(struct meshd_conf *nconf, const char *what, char *err,
    size_t errlen)
{
	int	code;

	if (conc_state_write(nconf, err, errlen) == -1) {
		log_warnx("serve concentrator: %s", err);
		free_config(nconf);
		return EIO;
	}
	if ((code = parent_reload_conf(nconf, "", err, errlen)) != 0) {
		/* the running config's clients, as they were */
		if (conc_state_write(parent.conf, err + strlen(err),
		    errlen - strlen(err)) == -1)
			log_warnx("serve concentrator: %s", err);
		return code;
	}
	change.on = 1;
	(void)strlcpy(change.what, what, sizeof(change.what));
	return 0;
}

int
conc_client_add(struct imsgbuf *ibuf, const struct ctl_client_req *req,
    char *err, size_t errlen)
{
	struct meshd_conf	*conf = parent.conf, *nconf;
	struct conc_client	 c;
	struct mesh_prefix	*used;
	char			 what[MESH_NAME_MAX + 32];
	size_t			 nused;
	int			 code;

	if (conf->conc == NULL) {
		snprintf(err, errlen, "no serve concentrator in the interface "
		    "block of %s", parent.conffile);
		return ENOENT;
	}
	if (!conc_name_ok(req->name)) {
		snprintf(err, errlen, "client name \"%s\": 1 to %d letters, "
		    "digits, \".\", \"_\" or \"-\" (not first)", req->name,
		    MESH_NAME_MAX - 1);
		return EINVAL;
	}
	if (config_find_peer_name(conf, req->name) != NULL) {
		snprintf(err, errlen, "a peer or client named \"%s\" exists",
		    req->name);
		return EEXIST;
	}
	if (peer_by_key(conf, req->pubkey) != NULL ||
	    memcmp(req->pubkey, parent.pubkey, WG_KEY_LEN) == 0) {
		snprintf(err, errlen, "the public key is taken");
		return EEXIST;
	}
	if (conf->conc->nclients >= CONC_CLIENTS_MAX) {
		snprintf(err, errlen, "too many clients (at most %d)",
		    CONC_CLIENTS_MAX);
		return ENOSPC;
	}
	memset(&c, 0, sizeof(c));
	(void)strlcpy(c.name, req->name, sizeof(c.name));
	memcpy(c.pubkey, req->pubkey, sizeof(c.pubkey));
	c.added = time(NULL);
	used = used_addrs(conf, &nused);
	code = conc_pool_next(conf->conc->pool, conf->conc->npool, used, nused,
	    c.addrs);
	free(used);
	if (code == -1) {
		snprintf(err, errlen, "the address pool is full");
		return ENOSPC;
	}
	c.naddrs = conf->conc->npool;

	nconf = conc_conf_dup(conf);
	(void)conc_client_peer(nconf, &c, nconf->conc->state_file);
	if ((nconf->conc->clients = reallocarray(nconf->conc->clients,
	    nconf->conc->nclients + 1, sizeof(c))) == NULL)
		fatal("%s", __func__);
	nconf->conc->clients[nconf->conc->nclients++] = c;
	(void)snprintf(what, sizeof(what), "client %s added", c.name);
	if ((code = client_apply(nconf, what, err, errlen)) != 0)
		return code;
	client_tell(ibuf, conf, &c);
	return 0;
}

int
conc_client_remove(const struct ctl_client_req *req, char *err,
    size_t errlen)
{
	struct meshd_conf	*conf = parent.conf, *nconf;
	struct conc_conf	*cc;
	struct peer_conf	*p;
	char			 what[MESH_NAME_MAX + 32];
	size_t			 i;

	if (conf->conc == NULL) {
		snprintf(err, errlen, "no serve concentrator in the interface "
		    "block of %s", parent.conffile);
		return ENOENT;
	}
	nconf = conc_conf_dup(conf);
	cc = nconf->conc;
	for (i = 0; i < cc->nclients; i++)
		if (strcmp(cc->clients[i].name, req->name) == 0)
			break;
	if (i == cc->nclients) {
		free_config(nconf);
		snprintf(err, errlen, "no client named \"%s\"", req->name);
		return ENOENT;
	}
	if ((p = peer_by_key(nconf, cc->clients[i].pubkey)) != NULL &&
	    p->client) {
		TAILQ_REMOVE(&nconf->peers, p, entry);
		nconf->npeers--;
		config_peer_free(p);
		free(p);
	}
	memmove(&cc->clients[i], &cc->clients[i + 1],
	    (cc->nclients - i - 1) * sizeof(cc->clients[0]));
	cc->nclients--;
	(void)snprintf(what, sizeof(what), "client %s removed", req->name);
	return client_apply(nconf, what, err, errlen);
}

int
conc_client_list(struct imsgbuf *ibuf, char *err, size_t errlen)
{
	struct conc_conf	*cc = parent.conf->conc;
	struct ctl_client	 m;
	size_t			 i;

	if (cc == NULL) {
		snprintf(err, errlen, "no serve concentrator in the interface "
		    "block of %s", parent.conffile);
		return ENOENT;
	}
	for (i = 0; i < cc->nclients; i++) {
		client_msg(&cc->clients[i], &m);
		if (imsg_compose(ibuf, IMSG_CTL_CLIENT, 0, 0, -1, &m,
		    sizeof(m)) == -1) {
			log_warn("control: client list");
			break;
		}
	}
	return 0;
}

void
conc_reload_done(int code)
{
	char	err[MESH_RESULT_MAX];

	if (!change.on)
		return;
	change.on = 0;
	if (code == 0) {
		log_info("serve concentrator: %s", change.what);
		return;
	}
	/* the running config kept its clients: so does the file */
	log_warnx("serve concentrator: %s failed", change.what);
	if (conc_state_write(parent.conf, err, sizeof(err)) == -1)
		log_warnx("serve concentrator: %s", err);
}
