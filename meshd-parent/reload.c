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
 * The parent's reload and config-sending path: a new config's keys go to
 * meshd-crypto for its verdict (keys.c), then the config goes out to
 * every child.  The first config at start takes the same path.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "concentrator.h"
#include "confdiff.h"
#include "filter.h"
#include "log.h"
#include "exit.h"
#include "members.h"
#include "parent.h"
#include "route.h"
#include "tundev.h"
#include "uapi.h"

/* a config whose keys crypto is checking (meshd.h), and what it is for */
static struct meshd_conf	*pending_conf;
static int			 pending_start;
static int			 hup_queued;	/* a SIGHUP came meanwhile */
static char			*pending_warn;	/* its parser's warnings */
static int			 pending_uapi;	/* a UAPI set's (uapi_set.c) */

static void	 send_config(struct meshd_conf *);

static int
peer_key_cmp(const void *a, const void *b)
{
	const struct peer_conf	*const *x = a, *const *y = b;

	/* public keys: an ordinary comparison is fine */
	return memcmp((*x)->pubkey, (*y)->pubkey, WG_KEY_LEN);
}

/*
 * Peers keep their id across reloads; the identity is the public key.
 * The old peers are sorted by key once, so a reload of 10,000 peers does
 * not compare every pair.
 */
void
assign_ids(struct meshd_conf *nconf, struct meshd_conf *oconf)
{
	struct peer_conf	*p, **old = NULL, **op;
	size_t			 n = 0;

	if (oconf != NULL && oconf->npeers > 0) {
		if ((old = reallocarray(NULL, oconf->npeers,
		    sizeof(*old))) == NULL)
			fatal(NULL);
		TAILQ_FOREACH(p, &oconf->peers, entry)
			old[n++] = p;
		qsort(old, n, sizeof(*old), peer_key_cmp);
	}
	TAILQ_FOREACH(p, &nconf->peers, entry) {
		if (n > 0 && (op = bsearch(&p, old, n, sizeof(*old),
		    peer_key_cmp)) != NULL)
			p->id = (*op)->id;
		else
			p->id = ++parent.next_peer_id;
	}
	free(old);
}

/*
 * mesh_obfs: the mesh block says obfuscation on.  A peer's own line
 * wins; without one a coordinator follows the mesh, a peer block (a
 * plain WireGuard peer, as often as not) stays plain.
 */
static void
peer_msg(struct peer_conf *p, int mesh_obfs, struct mesh_peer_msg *pm)
{
	memset(pm, 0, sizeof(*pm));
	pm->id = p->id;
	(void)strlcpy(pm->name, p->name, sizeof(pm->name));
	memcpy(pm->pubkey, p->pubkey, sizeof(pm->pubkey));
	pm->has_psk = p->psk_file != NULL || p->psk_uapi;
	pm->keepalive = p->keepalive;
	if (p->endpoint.ss_family != 0 &&
	    p->endpoint_len <= sizeof(pm->endpoint)) {
		pm->has_endpoint = 1;
		memcpy(pm->endpoint, &p->endpoint, p->endpoint_len);
		pm->endpoint_len = p->endpoint_len;
	}
	pm->naips = p->naips;
	if (p->coordinator)
		pm->flags |= MESH_PEER_F_COORDINATOR;
	if (p->obfs == PEER_OBFS_ON ||
	    (p->obfs == 0 && p->coordinator && mesh_obfs))
		pm->flags |= MESH_PEER_F_OBFS;
	if (p->relay_len != 0 && p->relay_len <= sizeof(pm->relay)) {
		memcpy(pm->relay, &p->relay, p->relay_len);
		pm->relay_len = p->relay_len;
	}
}

/* the mesh block: RECONF_MESH, our certificate, the revocation list */
static void
send_mesh(struct imsgbuf *ibuf, struct mesh_conf *m)
{
	struct mesh_conf_msg	mm;
	const char		*lt;
	size_t			 i;

	memset(&mm, 0, sizeof(mm));
	(void)strlcpy(mm.name, m->name, sizeof(mm.name));
	memcpy(mm.ca, m->ca, sizeof(mm.ca));
	mm.serve = m->serve;
	mm.certlen = m->certlen;
	mm.crllen = m->crllen;
	mm.portmap = m->portmap;
	/* tests only (undocumented): a short mapping lifetime to renew */
	if ((lt = getenv("MESHD_PORTMAP_LIFETIME")) != NULL)
		mm.portmap_lifetime = strtonum(lt, 1, 86400, NULL);
	for (i = 0; i < m->nstun && i < MESH_STUN_MAX; i++) {
		(void)strlcpy(mm.stun[i].name, m->stun[i].str,
		    sizeof(mm.stun[i].name));
		if (m->stun[i].sslen <= sizeof(mm.stun[i].addr)) {
			memcpy(mm.stun[i].addr, &m->stun[i].ss,
			    m->stun[i].sslen);
			mm.stun[i].addrlen = m->stun[i].sslen;
		}
	}
	mm.nstun = i;
	/* no announce line: all the certificate's routes */
	mm.ann_all = m->nannounce == 0;
	mm.nann = m->nannounce;
	memcpy(mm.ann, m->announce, m->nannounce * sizeof(m->announce[0]));
	mm.obfs = m->obfs;
	mm.obfs_junk = m->obfs_junk;
	mm.obfs_jitter = m->obfs_jitter;
	memcpy(mm.obfs_pad, m->obfs_pad, sizeof(mm.obfs_pad));
	if (imsg_compose(ibuf, IMSG_RECONF_MESH, 0, 0, -1, &mm,
	    sizeof(mm)) == -1 ||
	    imsg_compose(ibuf, IMSG_RECONF_MESH_CERT, 0, 0, -1, m->cert,
	    m->certlen) == -1 ||
	    (m->crllen > 0 && imsg_compose(ibuf, IMSG_RECONF_MESH_CRL, 0, 0,
	    -1, m->crl, m->crllen) == -1))
		fatal("send_mesh");
}

/*
 * The filter's rules to tun, after its RECONF_END: START, the rules in
 * chunks, END, on which tun swaps them in at once.  No filter block: a
 * START without rules that turns the filter off.
 */
static void
send_filter(struct imsgev *iev, const struct filter_conf *fc)
{
	struct mesh_filter_msg	 fm;
	size_t			 i, n;

	memset(&fm, 0, sizeof(fm));
	if (fc != NULL) {
		fm.present = 1;
		fm.nrules = fc->nrules;
		fm.limit = fc->limit;
	}
	if (imsg_compose(&iev->ibuf, IMSG_FILTER_START, 0, 0, -1, &fm,
	    sizeof(fm)) == -1)
		fatal("send_filter");
	for (i = 0; i < fm.nrules; i += n) {
		n = fm.nrules - i;
		if (n > FILTER_RULES_CHUNK)
			n = FILTER_RULES_CHUNK;
		if (imsg_compose(&iev->ibuf, IMSG_FILTER_RULES, 0, 0, -1,
		    fc->rules + i, n * sizeof(fc->rules[0])) == -1)
			fatal("send_filter");
	}
	imsg_compose_event(iev, IMSG_FILTER_END, 0, 0, -1, NULL, 0);
}

/*
 * Sends a whole config to every child: the interface, the mesh block (if
 * any), then each peer (coordinators too, flagged) as a RECONF_PEER and
 * then its allowed-ips in RECONF_PEER_AIPS chunks.  meshd-crypto has the
 * keys already (the key check, keys.c).
 */
static void
send_config(struct meshd_conf *nconf)
{
	struct mesh_iface_msg	 im;
	struct mesh_peer_msg	 pm;
	struct peer_conf	*p;
	struct imsgev		*iev;
	enum meshd_role		 r;

	memset(&im, 0, sizeof(im));
	(void)strlcpy(im.name, nconf->iface.name, sizeof(im.name));
	im.mtu = nconf->iface.mtu;
	/* the port bound: tun knows our own datagrams by it */
	im.listen_port = parent.listen_port;
	im.naddrs = nconf->iface.naddrs;
	memcpy(im.addrs, nconf->iface.addrs,
	    nconf->iface.naddrs * sizeof(im.addrs[0]));

	for (r = PROC_NET; r < PROC_MAX; r++) {
		iev = &parent.children[r].iev;
		imsg_compose_event(iev, IMSG_RECONF_START, 0, 0, -1, NULL, 0);
		imsg_compose_event(iev, IMSG_RECONF_IFACE, 0, 0, -1, &im,
		    sizeof(im));
		if (nconf->has_mesh)
			send_mesh(&iev->ibuf, &nconf->mesh);
		TAILQ_FOREACH(p, &nconf->peers, entry) {
			peer_msg(p, nconf->has_mesh && nconf->mesh.obfs, &pm);
			if (imsg_compose(&iev->ibuf, IMSG_RECONF_PEER, 0, 0,
			    -1, &pm, sizeof(pm)) == -1 ||
			    imsg_compose_aips(&iev->ibuf,
			    IMSG_RECONF_PEER_AIPS, p->id, p->aips,
			    p->naips) == -1)
				fatal("send_config");
		}
		imsg_compose_event(iev, IMSG_RECONF_END, 0, 0, -1, NULL, 0);
	}
	dns_config(nconf);
	/* a fresh one each time (the old one closes), or none */
	imsg_compose_event(&parent.children[PROC_NET].iev, IMSG_PM_ANNOUNCE,
	    0, 0, nconf->has_mesh && nconf->mesh.portmap ?
	    udp_announce_open() : -1, NULL, 0);
	send_filter(&parent.children[PROC_TUN].iev, nconf->filter);
	parent_trim_soon();
}

/* applies the interface part of a reload; -1 and err if it cannot */
static int
reload_iface(struct iface_conf *o, struct iface_conf *n, int *udpfds,
    size_t *nudp, char *err, size_t errlen)
{
	size_t	i, j;
	char	buf[64];
	int	port;

	*nudp = 0;
	if (strcmp(o->name, n->name) != 0) {
		snprintf(err, errlen, "changing the interface name (%s to %s) "
		    "needs a restart", o->name, n->name);
		return -1;
	}
	/* the packet channels are sized for the mtu at start */
	if (n->mtu > parent.chan_mtu) {
		snprintf(err, errlen, "raising the mtu from %u to %u needs a "
		    "restart", o->mtu, n->mtu);
		return -1;
	}
	if (n->listen_port != o->listen_port) {
		if ((port = udp_open(n->listen_port, udpfds,
		    MESH_UDP_SOCKS, nudp, err, errlen)) == -1)
			return -1;
		parent.listen_port = port;
	}
	if (strcmp(o->user, n->user) != 0)
		log_warnx("user %s takes effect at the next restart", n->user);
	if (n->mtu != o->mtu && tundev_set_mtu(parent.ifindex, n->mtu) == -1)
		log_warn("%s: mtu %u", n->name, n->mtu);
	for (i = 0; i < o->naddrs; i++) {
		for (j = 0; j < n->naddrs; j++)
			if (memcmp(&o->addrs[i], &n->addrs[j],
			    sizeof(o->addrs[i])) == 0)
				break;
		if (j == n->naddrs &&
		    tundev_addr_del(parent.ifindex, &o->addrs[i]) == -1)
			log_warn("%s: remove %s", n->name, mesh_prefix_ntop(
			    &o->addrs[i], buf, sizeof(buf)));
	}
	for (j = 0; j < n->naddrs; j++)
		if (tundev_addr_add(parent.ifindex, &n->addrs[j]) == -1)
			log_warn("%s: add %s", n->name, mesh_prefix_ntop(
			    &n->addrs[j], buf, sizeof(buf)));
	return 0;
}

/* sends the keys of nconf to crypto, for its verdict (keycheck_ok) */
void
keycheck_start(struct meshd_conf *nconf, struct keyfds *kf, int start)
{
	struct imsgev	*iev = &parent.children[PROC_CRYPTO].iev;

	keys_send(&iev->ibuf, nconf, kf);
	imsg_event_add(iev);
	pending_conf = nconf;
	pending_start = start;
}

/* the service manager: the reload is over (READY=1), and how it went */
static void
reload_notify(int ok, const char *msg)
{
	char	status[MESH_RESULT_MAX + 64];

	(void)snprintf(status, sizeof(status), "running: %s%s",
	    ok ? "" : "reload failed, the running config stays: ", msg);
	notify_reloaded(status);
}

int
parent_reload(char *err, size_t errlen)
{
	struct meshd_conf	*nconf;
	struct keyfds		 kf;

	if (pending_conf != NULL) {
		snprintf(err, errlen, "a reload is still running");
		return EBUSY;
	}
	log_info("reloading %s", parent.conffile);
	notify_reloading();
	if ((nconf = parse_config(parent.conffile, 0)) == NULL) {
		snprintf(err, errlen, "%s", config_errors());
		log_warnx("reload failed, keeping the running config");
		reload_notify(0, err);
		return EINVAL;
	}
	if (keys_open(nconf, &kf, err, errlen) == -1) {
		log_warnx("reload failed: %s", err);
		reload_notify(0, err);
		free_config(nconf);
		return EINVAL;
	}
	assign_ids(nconf, parent.conf);
	free(pending_warn);
	pending_warn = strdup(config_warnings());
	keycheck_start(nconf, &kf, 0);
	return 0;
}

/*
 * A reload to a config made from the running one (serve concentrator's
 * client add and remove): the same path as parent_reload() after its
 * parse, but no key file is opened again: crypto keeps the keys in use
 * (KEY_KEEP, as a wg(8) set does for the keys it leaves), so a key set
 * through wg(8) stays.  nconf is the reload's from here on, freed if it
 * fails.
 */
int
parent_reload_conf(struct meshd_conf *nconf, const char *warnings, char *err,
    size_t errlen)
{
	struct imsgev		*iev = &parent.children[PROC_CRYPTO].iev;
	struct peer_conf	*p;

	if (pending_conf != NULL) {
		free_config(nconf);
		snprintf(err, errlen, "a reload is still running");
		return EBUSY;
	}
	assign_ids(nconf, parent.conf);
	if (imsg_compose(&iev->ibuf, IMSG_KEY_KEEP, 0, 0, -1, NULL, 0) == -1)
		fatal("imsg_compose");
	TAILQ_FOREACH(p, &nconf->peers, entry)
		if ((p->psk_file != NULL || p->psk_uapi) &&
		    imsg_compose(&iev->ibuf, IMSG_KEY_KEEP, p->id, 0, -1, NULL,
		    0) == -1)
			fatal("imsg_compose");
	if (imsg_compose(&iev->ibuf, IMSG_KEYCHECK_END, 0, 0, -1, NULL,
	    0) == -1)
		fatal("imsg_compose");
	imsg_event_add(iev);
	pending_conf = nconf;
	pending_start = 0;
	pending_uapi = 0;
	free(pending_warn);
	pending_warn = strdup(warnings);
	return 0;
}

/* a SIGHUP that came while a config waited for its verdict: now */
static void
reload_next(void)
{
	char	err[MESH_RESULT_MAX];

	if (!hup_queued)
		return;
	hup_queued = 0;
	(void)parent_reload(err, sizeof(err));
}

/* SIGHUP: a reload now, or after the one that is running */
void
parent_reload_signal(void)
{
	char	err[MESH_RESULT_MAX];

	if (parent_reload(err, sizeof(err)) == EBUSY)
		hup_queued = 1;
}

static void
reload_failed(struct meshd_conf *nconf, const char *err, int uapi)
{
	if (uapi) {
		/* the running config keeps what the two shared */
		uapi_conf_free(nconf);
		uapi_set_done(EINVAL, err);
		reload_next();
		return;
	}
	log_warnx("reload failed: %s", err);
	log_warnx("keeping the running config");
	reload_notify(0, err);
	free_config(nconf);
	control_reload_done(EINVAL, err);
	reload_next();
}

int
reload_busy(void)
{
	return pending_conf != NULL;
}

/* a UAPI set's config, its keys sent to crypto (uapi_set.c) */
void
keycheck_uapi(struct meshd_conf *nconf)
{
	pending_conf = nconf;
	pending_start = 0;
	pending_uapi = 1;
	free(pending_warn);
	pending_warn = NULL;
}

/*
 * What the reload changed: logged, and sent to its client (up to
 * RELOAD_CHANGES_MAX, then how many more); the summary in buf.
 */
#define RELOAD_CHANGES_MAX	500
static void
reload_report(struct meshd_conf *oconf, struct meshd_conf *nconf, char *buf,
    size_t len, int uapi)
{
	/* a wg(8) set is told apart from a reload of the file in the log */
	const char		*what = uapi ? "wg set" : "reload";
	struct confdiff		 d;
	struct ctl_change	 more;
	char			 line[MESH_NAME_MAX + MESH_CHANGE_TEXT + 64];
	size_t			 i;

	if (confdiff(oconf, nconf, &d) == -1 || (pending_warn != NULL &&
	    confdiff_warnings(&d, pending_warn) == -1)) {
		confdiff_free(&d);
		log_warn("reload: what changed");
		snprintf(buf, len, "reload done: %zu peers", nconf->npeers);
		log_info("%s", buf);
		return;
	}
	confdiff_summary(&d, nconf->npeers, buf, len);
	if (uapi && strncmp(buf, "reload ", 7) == 0)
		log_info("wg set %s", buf + 7);
	else
		log_info("%s", buf);
	for (i = 0; i < d.n && i < RELOAD_CHANGES_MAX; i++) {
		log_info("%s: %s", what, mesh_change_text(&d.changes[i], line,
		    sizeof(line)));
		control_reload_change(&d.changes[i]);
	}
	if (d.n > RELOAD_CHANGES_MAX) {
		memset(&more, 0, sizeof(more));
		more.kind = CHANGE_MORE;
		more.count = d.n - RELOAD_CHANGES_MAX;
		log_info("%s: %s", what, mesh_change_text(&more, line,
		    sizeof(line)));
		control_reload_change(&more);
	}
	confdiff_free(&d);
}

/* KEYCHECK_OK: crypto has the keys of the pending config, use it */
void
keycheck_ok(struct imsg *imsg)
{
	struct meshd_conf	*nconf = pending_conf;
	int			 udpfds[MESH_UDP_SOCKS];
	size_t			 nudp = 0, i;
	uint8_t			 pub[WG_KEY_LEN];
	char			 err[MESH_RESULT_MAX];
	int			 uapi = pending_uapi;

	if (nconf == NULL || imsg_get_data(imsg, pub, sizeof(pub)) == -1)
		fatalx("KEYCHECK_OK: bad message from %s",
		    meshd_role_names[PROC_CRYPTO]);
	pending_conf = NULL;
	pending_uapi = 0;
	if (keys_check_self(nconf, pub, err, sizeof(err)) == -1 ||
	    (!pending_start && reload_iface(&parent.conf->iface,
	    &nconf->iface, udpfds, &nudp, err, sizeof(err)) == -1)) {
		imsg_compose_event(&parent.children[PROC_CRYPTO].iev,
		    IMSG_KEYCHECK_ABORT, 0, 0, -1, NULL, 0);
		if (pending_start) {
			log_warnx("%s", err);
			parent_shutdown(1);
		}
		reload_failed(nconf, err, uapi);
		return;
	}
	for (i = 0; i < nudp; i++) {
		uint8_t first = (i == 0);

		imsg_compose_event(&parent.children[PROC_NET].iev,
		    IMSG_UDP_SOCKET, 0, 0, udpfds[i], &first, sizeof(first));
	}
	send_config(nconf);
	exit_conf(nconf, parent.ifindex);
	conc_apply(nconf);
	/* serve stream's listeners, the SSH clients, the ladder (ssh.c) */
	if (stream_reconf(nconf, pending_start) == -1)
		parent_shutdown(1);
	metrics_reconf(nconf, pending_start);
	memcpy(parent.pubkey, pub, sizeof(parent.pubkey));
	parent.has_pubkey = 1;
	if (pending_start) {
		/* meshctl's first answer comes after the children's config */
		control_listen(parent.ctl_sock);
		if (parent.ro_sock != -1)
			control_listen_ro(parent.ro_sock);
		uapi_listen();
		log_info("startup: interface %s, %zu peers", nconf->iface.name,
		    nconf->npeers);
		parent_configured();
		resolve_schedule();
		netwatch_update();
		reload_next();
		return;
	}
	/* members are in no config: they stay, coordinators it lacks go */
	members_reload(nconf);
	route_sync(parent.ifindex, nconf);
	reload_report(parent.conf, nconf, err, sizeof(err), uapi);
	if (uapi)
		uapi_conf_free(parent.conf);
	else
		free_config(parent.conf);
	parent.conf = nconf;
	resolve_schedule();
	netwatch_update();
	if (uapi)
		uapi_set_done(0, err);
	else {
		reload_notify(1, err);
		control_reload_done(0, err);
	}
	reload_next();
}

/* KEY_ERROR: crypto found a key of the pending config bad */
void
keycheck_error(struct imsg *imsg)
{
	struct meshd_conf	*nconf = pending_conf;
	char			 err[MESH_RESULT_MAX];
	int			 uapi = pending_uapi;

	if (nconf == NULL)
		fatalx("KEY_ERROR without a key check");
	keys_error(nconf, imsg, err, sizeof(err));
	pending_conf = NULL;
	pending_uapi = 0;
	if (pending_start) {
		log_warnx("%s", err);
		parent_shutdown(1);
	}
	reload_failed(nconf, err, uapi);
}
