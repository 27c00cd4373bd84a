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
 * The JSON backend (-j): one document per command, for jq and scripts.
 * Every document is an object whose first member is "version"; a
 * failure is {"version": N, "error": "..."}.  Keys print as base64; of a
 * preshared key only whether there is one.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "json.h"
#include "output.h"
#include "wgkey.h"

/* a peer's or a process's counters of flags, the drops in "dropped" */
static void
json_counter_list(struct json *j, const struct mesh_peer_stats *st,
    int flags)
{
	char	key[64];
	size_t	k;
	int	drops;

	for (drops = 0; drops <= 1; drops++) {
		if (drops)
			json_object_open(j, "dropped");
		for (k = 0; k < counter_ndescs; k++)
			if ((counter_descs[k].flags & flags) &&
			    !(counter_descs[k].flags & COUNTER_DROP) == !drops)
				json_uint(j, counter_key(&counter_descs[k], key,
				    sizeof(key)), counter_get(st,
				    &counter_descs[k]));
	}
	json_object_close(j);
}

/* "counters": { "net": { "received": N, ..., "dropped": { ... } }, ... } */
static void
json_counters(struct json *j, const struct ctl_proc *procs, size_t nprocs)
{
	size_t	i;

	json_object_open(j, "counters");
	for (i = 0; i < nprocs; i++) {
		if (!procs[i].proc.has_counters)
			continue;
		json_object_open(j, procs[i].role);
		json_counter_list(j, &procs[i].proc.counters, COUNTER_STATUS);
		json_object_close(j);	/* the process */
	}
	json_object_close(j);
}

/* every document starts so */
static void
json_open(struct json *j, FILE *fp)
{
	json_init(j, fp);
	json_object_open(j, NULL);
	json_uint(j, "version", MESHCTL_JSON_VERSION);
}

void
output_json_error(FILE *fp, const char *msg)
{
	struct json	 j;
	char		*s;
	size_t		 len;

	if (strncmp(msg, "meshctl: ", 9) == 0)
		msg += 9;
	len = strlen(msg);
	if (len > 0 && msg[len - 1] == '\n')
		len--;
	json_open(&j, fp);
	if ((s = strndup(msg, len)) != NULL) {
		json_string(&j, "error", s);
		free(s);
	} else
		json_string(&j, "error", msg);
	json_object_close(&j);
	(void)json_finish(&j);
}
static void
json_status(FILE *fp, const struct ctl_status *st,
    const struct ctl_proc *procs, size_t nprocs)
{
	const struct mesh_proc_msg	*pm;
	struct json			 j;
	char				 b64[WG_KEY_B64_LEN + 1];
	char				 buf[PREFIX_STRLEN];
	char				 ev[MESH_HS_ERROR_MAX];
	size_t				 i, pos = 0;

	json_open(&j, fp);
	json_string(&j, "interface", st->ifname);
	if (st->has_pubkey) {
		wg_key_to_base64(b64, st->pubkey);
		json_string(&j, "public_key", b64);
	} else
		json_null(&j, "public_key");
	json_uint(&j, "listen_port", st->listen_port);
	json_uint(&j, "mtu", st->mtu);
	json_array_open(&j, "addresses");
	for (i = 0; i < st->naddrs; i++)
		json_string(&j, NULL, output_prefix(&st->addrs[i], buf,
		    sizeof(buf)));
	json_array_close(&j);
	json_uint(&j, "peers", st->npeers);
	json_int(&j, "uptime", st->uptime < 0 ? 0 : st->uptime);
	json_array_open(&j, "processes");
	for (i = 0; i < nprocs; i++) {
		json_object_open(&j, NULL);
		pm = &procs[i].proc;
		json_string(&j, "role", procs[i].role);
		json_int(&j, "pid", pm->pid);
		json_uint(&j, "uid", pm->uid);
		json_bool(&j, "chrooted", pm->chrooted);
		json_bool(&j, "sandboxed", pm->sandboxed);
		json_object_close(&j);
	}
	json_array_close(&j);
	json_counters(&j, procs, nprocs);
	json_array_open(&j, "unknown_peer_handshakes");
	while (output_hs_event(procs, nprocs, &pos, ev, sizeof(ev)))
		json_string(&j, NULL, ev);
	json_array_close(&j);
	json_object_close(&j);
	(void)json_finish(&j);
}

/* "roles": ["coordinator", "relay"] */
static void
json_roles(struct json *j, uint8_t roles)
{
	json_array_open(j, "roles");
	if (roles & CERT_ROLE_COORDINATOR)
		json_string(j, NULL, "coordinator");
	if (roles & CERT_ROLE_RELAY)
		json_string(j, NULL, "relay");
	json_array_close(j);
}

static void
json_groups(struct json *j, const char groups[][MESH_GROUP_MAX],
    uint32_t n)
{
	uint32_t	i;

	json_array_open(j, "groups");
	for (i = 0; i < n; i++)
		json_string(j, NULL, groups[i]);
	json_array_close(j);
}

/* whole seconds, or null for 0 (not measured) */
static void
json_ms_secs(struct json *j, const char *key, uint32_t ms)
{
	if (ms == 0)
		json_null(j, key);
	else
		json_uint(j, key, ms / 1000);
}

/*
 * A peer's path: "path" (direct, punched, mapped, ssh, stream, relay,
 * none; null when net has nothing to say of it: a member without
 * candidates, a config peer on its UDP endpoint without ssh), "why" (null
 * when direct or unknown), "candidates" (["observed 198.18.1.2:51820",
 * ...], a member's), "path_keepalive" (seconds, 0 none), and what was
 * measured of the path's NATs: "nat_timeout_above" (the longest idle
 * time it survived), "nat_timeout_below" (the shortest it did not),
 * "nat_timeout_testing" (the one being tested), in seconds, each null
 * when none.
 */
static void
json_peer_path(struct json *j, const struct mesh_peer_path *pp)
{
	char	buf[MESH_ENDPOINT_MAX + 16];
	size_t	i;

	char	name[MESH_NAME_MAX];

	if (pp->id != 0)
		json_string(j, "path", output_path(pp->path));
	else
		json_null(j, "path");
	/* "relay": the relay's name, on a relay path */
	json_string(j, "relay", pp->id != 0 && pp->path == MESH_PATH_RELAY ?
	    output_path_relay(pp, name, sizeof(name)) : NULL);
	json_string(j, "why", pp->id != 0 && pp->why[0] != '\0' ? pp->why :
	    NULL);
	json_array_open(j, "candidates");
	for (i = 0; pp->id != 0 && i < pp->ncand && i < MESH_PATH_CANDS; i++)
		json_string(j, NULL, output_cand(&pp->cand[i], buf,
		    sizeof(buf)));
	json_array_close(j);
	if (pp->id != 0)
		json_uint(j, "path_keepalive", pp->keepalive);
	if (pp->id == 0)
		return;
	json_ms_secs(j, "nat_timeout_above", pp->idle_ok_ms);
	json_ms_secs(j, "nat_timeout_below", pp->idle_bad_ms);
	json_ms_secs(j, "nat_timeout_testing", pp->idle_test_ms);
}

/*
 * What the mesh says of a peer: "source", a mesh peer's "state" and
 * certificate "addresses" (a config peer has none: []), "groups",
 * "roles", "cert_expires" (unix time, null without a certificate).
 */
static void
json_peer_mesh(struct json *j, const struct peer_info *pi)
{
	const struct ctl_peer	*p = &pi->peer;
	char			 buf[PREFIX_STRLEN];
	uint32_t		 i;

	json_string(j, "source", output_source(p->source));
	if (p->source == CTL_SOURCE_MESH)
		json_string(j, "state", output_state(p->state));
	json_bool(j, "coordinator", p->coordinator);
	json_array_open(j, "addresses");
	for (i = 0; p->source == CTL_SOURCE_MESH && i < p->naips; i++)
		json_string(j, NULL, output_prefix(&pi->aips[i], buf,
		    sizeof(buf)));
	json_array_close(j);
	json_groups(j, p->groups, p->ngroups);
	json_roles(j, p->roles);
	if (p->cert_expires != 0)
		json_int(j, "cert_expires", p->cert_expires);
	else
		json_null(j, "cert_expires");
	if (p->source == CTL_SOURCE_MESH || p->path.id != 0)
		json_peer_path(j, &p->path);
}

/* the members of one peer; with rates, "rx_rate" and "tx_rate" too */
static void	json_peer_mesh(struct json *, const struct peer_info *);

static void
json_peer_members(struct json *j, const struct peer_info *pi, int rates)
{
	const struct ctl_peer	*p = &pi->peer;
	char			 b64[WG_KEY_B64_LEN + 1], buf[PREFIX_STRLEN];
	uint32_t		 i;

	json_string(j, "name", p->name);
	json_uint(j, "id", p->id);
	wg_key_to_base64(b64, p->pubkey);
	json_string(j, "public_key", b64);
	json_bool(j, "has_preshared_key", p->has_psk);
	json_string(j, "endpoint", p->endpoint[0] != '\0' ? p->endpoint :
	    NULL);
	json_array_open(j, "allowed_ips");
	for (i = 0; i < p->naips; i++)
		json_string(j, NULL, output_prefix(&pi->aips[i], buf,
		    sizeof(buf)));
	json_array_close(j);
	json_uint(j, "persistent_keepalive", p->keepalive);
	json_int(j, "latest_handshake", p->stats.latest_handshake);
	json_uint(j, "rx_bytes", p->stats.rx_bytes);
	json_uint(j, "tx_bytes", p->stats.tx_bytes);
	if (rates && pi->has_rate) {
		/* rounded to whole bytes */
		json_uint(j, "rx_rate",
		    (unsigned long long)(pi->rx_rate + 0.5));
		json_uint(j, "tx_rate",
		    (unsigned long long)(pi->tx_rate + 0.5));
	} else if (rates) {
		json_null(j, "rx_rate");
		json_null(j, "tx_rate");
	}
	json_counter_list(j, &p->stats, COUNTER_PEER);
	json_string(j, "handshake_state", output_hs_state(p->stats.hs_state));
	json_uint(j, "attempts", p->stats.hs_attempts);
	json_int(j, "last_attempt", p->stats.hs_last_attempt);
	json_string(j, "last_error", p->stats.hs_error[0] != '\0' ?
	    p->stats.hs_error : NULL);
	json_peer_mesh(j, pi);
}

static void
json_peers(FILE *fp, const struct peer_info *peers, size_t npeers)
{
	struct json	j;
	size_t		i;
	int		rates = 0;

	for (i = 0; i < npeers; i++)
		rates |= peers[i].has_rate;
	json_open(&j, fp);
	json_array_open(&j, "peers");
	for (i = 0; i < npeers; i++) {
		json_object_open(&j, NULL);
		json_peer_members(&j, &peers[i], rates);
		json_object_close(&j);
	}
	json_array_close(&j);
	json_object_close(&j);
	(void)json_finish(&j);
}

static void
json_peer(FILE *fp, const struct peer_info *pi)
{
	struct json	j;

	json_open(&j, fp);
	json_peer_members(&j, pi, 0);
	json_object_close(&j);
	(void)json_finish(&j);
}

/* reload, log: "result" and "message", or an error */
static void
json_result(FILE *out, FILE *err, int code, const char *text)
{
	struct json	j;

	if (code != 0) {
		output_json_error(out, text[0] == '\0' ? strerror(code) :
		    text);
		return;
	}
	json_open(&j, out);
	json_string(&j, "result", "ok");
	json_string(&j, "message", text);
	json_object_close(&j);
	(void)json_finish(&j);
}

/* the names of a changed peer's fields, as JSON keys are written */
static void
json_change_fields(struct json *j, const struct ctl_change *c)
{
	static const struct {
		uint32_t	 bit;
		const char	*name;
	} f[] = {
		{ CHANGE_F_NAME,	"name" },
		{ CHANGE_F_ENDPOINT,	"endpoint" },
		{ CHANGE_F_AIPS,	"allowed_ips" },
		{ CHANGE_F_KEEPALIVE,	"persistent_keepalive" },
		{ CHANGE_F_PSK,		"preshared_key" },
		{ CHANGE_F_RELAY,	"relay" },
	};
	static const char *const psk[] = { "", "added", "removed", "changed" };
	size_t	i;

	json_array_open(j, "fields");
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (c->fields & f[i].bit)
			json_string(j, NULL, f[i].name);
	json_array_close(j);
	if (c->fields & CHANGE_F_NAME)
		json_string(j, "old_name", c->text);
	if (c->fields & CHANGE_F_AIPS) {
		json_uint(j, "allowed_ips_added", c->aips_added);
		json_uint(j, "allowed_ips_removed", c->aips_removed);
	}
	if ((c->fields & CHANGE_F_PSK) && c->psk < 4)
		json_string(j, "preshared_key", psk[c->psk]);
}

/* the changes of one kind as an array under key */
static void
json_changes(struct json *j, const char *key, uint32_t kind,
    const struct ctl_change *ch, size_t n)
{
	size_t	i;

	json_array_open(j, key);
	for (i = 0; i < n; i++) {
		if (ch[i].kind != kind)
			continue;
		switch (kind) {
		case CHANGE_ADDED:
		case CHANGE_REMOVED:
			json_string(j, NULL, ch[i].name);
			break;
		case CHANGE_WARNING:
			json_string(j, NULL, ch[i].text);
			break;
		case CHANGE_CHANGED:
			json_object_open(j, NULL);
			json_string(j, "peer", ch[i].name);
			json_change_fields(j, &ch[i]);
			json_object_close(j);
			break;
		case CHANGE_IFACE:
			json_object_open(j, NULL);
			json_string(j, "field", ch[i].name);
			json_string(j, "change", ch[i].text);
			json_object_close(j);
			break;
		}
	}
	json_array_close(j);
}

static void
json_reload(FILE *out, FILE *err, int code, const char *text,
    const struct ctl_change *ch, size_t n)
{
	struct json	j;
	size_t		i;
	uint32_t	more = 0;

	if (code != 0) {
		json_result(out, err, code, text);
		return;
	}
	for (i = 0; i < n; i++)
		if (ch[i].kind == CHANGE_MORE)
			more += ch[i].count;
	json_open(&j, out);
	json_string(&j, "result", "ok");
	json_string(&j, "message", text);
	json_changes(&j, "added", CHANGE_ADDED, ch, n);
	json_changes(&j, "removed", CHANGE_REMOVED, ch, n);
	json_changes(&j, "changed", CHANGE_CHANGED, ch, n);
	json_changes(&j, "interface", CHANGE_IFACE, ch, n);
	json_changes(&j, "warnings", CHANGE_WARNING, ch, n);
	/* changes meshd left out of its answer (see the message's counts) */
	json_uint(&j, "more_changes", more);
	json_object_close(&j);
	(void)json_finish(&j);
}

static void
json_config(FILE *fp, const char *text, size_t len)
{
	struct json	j;

	json_open(&j, fp);
	json_string(&j, "config", text);
	json_object_close(&j);
	(void)json_finish(&j);
}

/*
 * show mesh: {"version": 1, "mesh": "corp" (null: none), "certificate":
 * {...}, "serve": bool, "revocation_list": {...} or null, "members",
 * "revoked", "coordinators": [{...}]}
 */
static void
json_mesh(FILE *fp, const struct ctl_mesh *m, const struct peer_info *co,
    size_t n)
{
	const struct ctl_peer	*p;
	struct json		 j;
	char			 buf[PREFIX_STRLEN], b64[WG_KEY_B64_LEN + 1];
	size_t			 i;

	json_open(&j, fp);
	if (m->name[0] == '\0') {
		json_null(&j, "mesh");
		json_object_close(&j);
		(void)json_finish(&j);
		return;
	}
	json_string(&j, "mesh", m->name);
	json_object_open(&j, "certificate");
	json_string(&j, "name", m->cert_name);
	json_array_open(&j, "addresses");
	for (i = 0; i < m->naddrs; i++)
		json_string(&j, NULL, output_prefix(&m->addrs[i], buf,
		    sizeof(buf)));
	json_array_close(&j);
	json_groups(&j, m->groups, m->ngroups);
	json_roles(&j, m->cert_roles);
	json_int(&j, "expires", m->cert_not_after);
	json_object_close(&j);
	json_bool(&j, "serve", m->serve);
	if (m->crl_serial != 0) {
		json_object_open(&j, "revocation_list");
		json_uint(&j, "serial", m->crl_serial);
		json_uint(&j, "count", m->crl_count);
		json_object_close(&j);
	} else
		json_null(&j, "revocation_list");
	json_uint(&j, "members", m->members);
	json_uint(&j, "revoked", m->revoked);
	json_array_open(&j, "coordinators");
	for (i = 0; i < n; i++) {
		p = &co[i].peer;
		json_object_open(&j, NULL);
		json_string(&j, "name", p->name);
		json_uint(&j, "id", p->id);
		wg_key_to_base64(b64, p->pubkey);
		json_string(&j, "public_key", b64);
		json_string(&j, "endpoint", p->endpoint[0] != '\0' ?
		    p->endpoint : NULL);
		json_string(&j, "session_state",
		    output_hs_state(p->stats.hs_state));
		json_int(&j, "last_contact", p->stats.latest_handshake);
		json_uint(&j, "rx_bytes", p->stats.rx_bytes);
		json_uint(&j, "tx_bytes", p->stats.tx_bytes);
		if (p->cert_expires != 0)
			json_int(&j, "cert_expires", p->cert_expires);
		else
			json_null(&j, "cert_expires");
		json_object_close(&j);
	}
	json_array_close(&j);
	json_object_close(&j);
	(void)json_finish(&j);
}

static void
json_rtt(struct json *j, const char *key, int32_t us)
{
	if (us < 0)
		json_null(j, key);
	else
		json_uint(j, key, (unsigned long long)us);
}

static void
json_str_or_null(struct json *j, const char *key, const char *s)
{
	if (s[0] == '\0')
		json_null(j, key);
	else
		json_string(j, key, s);
}

/*
 * netcheck: {"version": 1, "local_port", "servers": [{"name", "kind":
 * "stun"|"coordinator", "address", "family", "reflexive", "rtt_us",
 * "age", "error"}], "mapping", "ports", "mapping_why", "port_mapping":
 * {"protocol", "gateway", "external", "lifetime", "why"},
 * "coordinators": [{"name", "rtt_us"}], "candidates": ["kind addr"]}
 */
static void
json_netcheck(FILE *fp, const struct ctl_netcheck *n)
{
	const struct ctl_netcheck_server	*s;
	struct json				 j;
	uint32_t				 i;

	json_open(&j, fp);
	json_uint(&j, "local_port", n->local_port);
	json_array_open(&j, "servers");
	for (i = 0; i < n->nservers; i++) {
		s = &n->servers[i];
		json_object_open(&j, NULL);
		json_string(&j, "name", s->name);
		json_string(&j, "kind", s->coordinator ? "coordinator" :
		    "stun");
		json_str_or_null(&j, "address", s->addr);
		if (s->af != 0)
			json_uint(&j, "family", s->af);
		else
			json_null(&j, "family");
		json_str_or_null(&j, "reflexive", s->reflexive);
		json_rtt(&j, "rtt_us", s->rtt_us);
		if (s->reflexive[0] != '\0')
			json_int(&j, "age", s->age);
		else
			json_null(&j, "age");
		json_str_or_null(&j, "error", s->error);
		json_object_close(&j);
	}
	json_array_close(&j);
	json_string(&j, "mapping", n->mapping);
	json_str_or_null(&j, "ports", n->ports);
	json_str_or_null(&j, "mapping_why", n->mapping_why);
	json_object_open(&j, "port_mapping");
	json_string(&j, "protocol", n->pm_proto);
	json_str_or_null(&j, "gateway", n->pm_gateway);
	json_str_or_null(&j, "external", n->pm_external);
	if (n->pm_external[0] != '\0')
		json_int(&j, "lifetime", n->pm_lifetime);
	else
		json_null(&j, "lifetime");
	json_str_or_null(&j, "why", n->pm_why);
	json_object_close(&j);
	json_array_open(&j, "coordinators");
	for (i = 0; i < n->ncoords; i++) {
		json_object_open(&j, NULL);
		json_string(&j, "name", n->coords[i].name);
		json_rtt(&j, "rtt_us", n->coords[i].rtt_us);
		json_object_close(&j);
	}
	json_array_close(&j);
	json_array_open(&j, "candidates");
	for (i = 0; i < n->ncand; i++)
		json_string(&j, NULL, n->cand[i]);
	json_array_close(&j);
	json_object_close(&j);
	(void)json_finish(&j);
}

/*
 * show dns: {"version": 1, "domain" (null: off), "ttl", "serial",
 * "udp_sockets", "tcp_sockets", "tcp_connections", "names", "resolver",
 * "queries", "tcp_queries", "answered", "nxdomain", "refused",
 * "malformed", "truncated", "tcp_refused"}
 */
static void
json_dns(FILE *fp, const struct ctl_dns *d)
{
	struct json	j;

	json_open(&j, fp);
	json_str_or_null(&j, "domain", d->domain);
	json_uint(&j, "ttl", d->ttl);
	json_uint(&j, "serial", d->serial);
	json_uint(&j, "udp_sockets", d->nudp);
	json_uint(&j, "tcp_sockets", d->ntcp);
	json_uint(&j, "tcp_connections", d->tcp_conns);
	json_uint(&j, "names", d->names);
	json_string(&j, "resolver", d->resolver);
	json_uint(&j, "queries", d->queries);
	json_uint(&j, "tcp_queries", d->tcp_queries);
	json_uint(&j, "answered", d->answered);
	json_uint(&j, "nxdomain", d->nxdomain);
	json_uint(&j, "refused", d->refused);
	json_uint(&j, "malformed", d->malformed);
	json_uint(&j, "truncated", d->truncated);
	json_uint(&j, "tcp_refused", d->tcp_full);
	json_object_close(&j);
	(void)json_finish(&j);
}

const struct output json_output = {
	.status = json_status,
	.peers = json_peers,
	.peer = json_peer,
	.result = json_result,
	.reload = json_reload,
	.config = json_config,
	.mesh = json_mesh,
	.netcheck = json_netcheck,
	.dns = json_dns
};
