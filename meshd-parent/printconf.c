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
 * meshd -nv: the configuration in canonical form.  Macros are expanded,
 * includes flattened, keywords come in a fixed order, and the output
 * parses back to the same configuration (regress/config holds this).
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <string.h>

#include "concentrator.h"
#include "config.h"
#include "filterconf.h"
#include "route.h"
#include "wgkey.h"

static void	 print_string(FILE *, const char *);
static void	 print_iface(FILE *, struct iface_conf *);
static void	 print_peer(FILE *, struct peer_conf *);
static void	 print_mesh(FILE *, struct meshd_conf *);

/* a quoted string as parse.y reads it: \ before " \ and $ */
static void
print_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\' || *s == '$')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void
print_iface(FILE *f, struct iface_conf *ic)
{
	char	buf[64];
	size_t	i;

	fprintf(f, "interface ");
	print_string(f, ic->name);
	fprintf(f, " {\n");
	/* the certificate's are not written: a renewed one brings its own */
	for (i = 0; i < ic->naddrs; i++)
		fprintf(f, "\t%saddress %s%s\n", ic->addrs_cert ? "# " : "",
		    mesh_prefix_ntop(&ic->addrs[i], buf, sizeof(buf)),
		    ic->addrs_cert ? " (from the mesh certificate)" : "");
	fprintf(f, "\tmtu %u\n", ic->mtu);
	if (ic->listen_port != 0)
		fprintf(f, "\tlisten-port %u\n", ic->listen_port);
	if (ic->key_file[0] != '\0') {
		fprintf(f, "\tprivate-key-file ");
		print_string(f, ic->key_file);
		fprintf(f, "\n");
	}
	fprintf(f, "\tuser ");
	print_string(f, ic->user);
	fprintf(f, "\n");
	if (ic->table == ROUTE_TABLE_OFF)
		fprintf(f, "\ttable off\n");
	else if (ic->table != ROUTE_TABLE_MAIN)
		fprintf(f, "\ttable %u\n", ic->table);
	if (ic->resolve_interval != RESOLVE_INTERVAL_DEFAULT)
		fprintf(f, "\tresolve-interval %u\n", ic->resolve_interval);
	if (ic->probe_interval != PROBE_INTERVAL_DEFAULT)
		fprintf(f, "\tprobe-interval %u\n", ic->probe_interval);
}

/* a peer's or a coordinator's own obfuscation line */
static void
print_obfs(FILE *f, const struct peer_conf *p, const char *tabs)
{
	if (p->obfs != 0)
		fprintf(f, "%sobfuscation %s\n", tabs,
		    p->obfs == PEER_OBFS_ON ? "on" : "off");
}

/* the mesh's obfuscation: all of it when on, nothing when off */
static void
print_mesh_obfs(FILE *f, const struct mesh_conf *m)
{
	static const char	*whats[MESH_OBFS_NPAD] = {
	    "handshake", "data", "prelude" };
	int			 i;

	if (!m->obfs)
		return;
	fprintf(f, "\tobfuscation on\n");
	for (i = 0; i < MESH_OBFS_NPAD; i++)
		fprintf(f, "\tobfuscation-padding %s %u %u\n", whats[i],
		    m->obfs_pad[i][0], m->obfs_pad[i][1]);
	if (m->obfs_junk != 0)
		fprintf(f, "\tobfuscation-junk %u\n", m->obfs_junk);
	if (m->obfs_jitter != 0)
		fprintf(f, "\tobfuscation-jitter %u\n", m->obfs_jitter);
}

/* a peer's or a coordinator's ssh line, indented by tabs */
static void
print_ssh(FILE *f, const struct peer_conf *p, const char *tabs)
{
	if (!config_peer_has_ssh(p))
		return;
	fprintf(f, "%sssh ", tabs);
	print_string(f, p->ssh->target);
	fprintf(f, " identity-file ");
	print_string(f, p->ssh->identity);
	if (p->ssh->known_hosts[0] != '\0') {
		fprintf(f, " known-hosts-file ");
		print_string(f, p->ssh->known_hosts);
	}
	if (p->ssh->remote[0] != '\0') {
		fprintf(f, " remote-stream ");
		print_string(f, p->ssh->remote);
	}
	fprintf(f, "\n");
}

/* a coordinator, inside the mesh block: how to reach it, no more */
static void
print_coord(FILE *f, struct peer_conf *p)
{
	char	key[WG_KEY_B64_LEN + 1];

	fprintf(f, "\tcoordinator ");
	print_string(f, p->name);
	fprintf(f, " {\n");
	wg_key_to_base64(key, p->pubkey);
	fprintf(f, "\t\tpublic-key \"%s\"\n", key);
	if (p->endpoint_str[0] != '\0') {
		fprintf(f, "\t\tendpoint ");
		print_string(f, p->endpoint_str);
		fprintf(f, "\n");
	}
	if (p->keepalive != 0)
		fprintf(f, "\t\tpersistent-keepalive %u\n", p->keepalive);
	print_ssh(f, p, "\t\t");
	print_obfs(f, p, "\t\t");
	if (p->relay_str[0] != '\0') {
		fprintf(f, "\t\trelay ");
		print_string(f, p->relay_str);
		fprintf(f, "\n");
	}
	fprintf(f, "\t}\n");
}

static void
print_relay(FILE *f, struct relay_conf *r)
{
	size_t	i;

	fprintf(f, "\tserve relay {\n");
	for (i = 0; i < r->nlisten; i++) {
		fprintf(f, "\t\tlisten ");
		print_string(f, r->listen_str[i]);
		fprintf(f, "\n");
	}
	fprintf(f, "\t\ttls-certificate-file ");
	print_string(f, r->cert_file);
	fprintf(f, "\n\t\ttls-key-file ");
	print_string(f, r->key_file);
	fprintf(f, "\n");
	if (r->site_dir[0] != '\0') {
		fprintf(f, "\t\tsite-directory ");
		print_string(f, r->site_dir);
		fprintf(f, "\n");
	}
	fprintf(f, "\t}\n");
}

static void
print_mesh(FILE *f, struct meshd_conf *conf)
{
	struct mesh_conf	*m = &conf->mesh;
	struct peer_conf	*p;
	char			 key[WG_KEY_B64_LEN + 1];
	char			 buf[64];
	size_t			 i;

	fprintf(f, "mesh ");
	print_string(f, m->name);
	fprintf(f, " {\n");
	/* an Ed25519 public key is 32 bytes, as a wg key */
	wg_key_to_base64(key, m->ca);
	fprintf(f, "\tca \"%s\"\n", key);
	fprintf(f, "\tcertificate-file ");
	print_string(f, m->cert_file);
	fprintf(f, "\n");
	if (m->crl_file[0] != '\0') {
		fprintf(f, "\trevocation-file ");
		print_string(f, m->crl_file);
		fprintf(f, "\n");
	}
	if (m->serve)
		fprintf(f, "\tserve coordinator\n");
	for (i = 0; i < m->nstun; i++) {
		fprintf(f, "\tstun ");
		print_string(f, m->stun[i].str);
		fprintf(f, "\n");
	}
	if (!m->portmap)
		fprintf(f, "\tport-mapping off\n");
	print_mesh_obfs(f, m);
	/* the defaults stay unsaid, as for port-mapping */
	if (strcmp(m->dns_domain, MESH_DNS_DOMAIN_DEFAULT) != 0) {
		fprintf(f, "\tdomain ");
		print_string(f, m->dns_domain);
		fprintf(f, "\n");
	}
	if (m->dns_ttl != MESH_DNS_TTL_DEFAULT)
		fprintf(f, "\tttl %u\n", m->dns_ttl);
	/* not the pools serve concentrator added (concentrator.c) */
	for (i = 0; i < m->nannounce - (conf->conc != NULL ?
	    conf->conc->announced : 0); i++)
		fprintf(f, "\tannounce \"%s\"\n", mesh_prefix_ntop(
		    &m->announce[i], buf, sizeof(buf)));
	if (m->serve_exit)
		fprintf(f, "\tserve exit\n");
	if (m->exit_node[0] != '\0') {
		fprintf(f, "\texit-node ");
		print_string(f, m->exit_node);
		fprintf(f, "\n");
	}
	if (m->exit_fallback)
		fprintf(f, "\texit-node-fallback direct\n");
	if (m->relay.on)
		print_relay(f, &m->relay);
	TAILQ_FOREACH(p, &conf->peers, entry)
		if (p->coordinator)
			print_coord(f, p);
	fprintf(f, "}\n");
}

static void
print_peer(FILE *f, struct peer_conf *p)
{
	char	key[WG_KEY_B64_LEN + 1], buf[64];
	size_t	i;

	fprintf(f, "peer ");
	print_string(f, p->name);
	fprintf(f, " {\n");
	/* a public key is not a secret */
	wg_key_to_base64(key, p->pubkey);
	fprintf(f, "\tpublic-key \"%s\"\n", key);
	if (p->psk_file != NULL) {
		fprintf(f, "\tpreshared-key-file ");
		print_string(f, p->psk_file);
		fprintf(f, "\n");
	}
	if (p->endpoint_str[0] != '\0') {
		fprintf(f, "\tendpoint ");
		print_string(f, p->endpoint_str);
		fprintf(f, "\n");
	}
	for (i = 0; i < p->naips; i++)
		fprintf(f, "%s%s", i == 0 ? "\tallowed-ips " : ", ",
		    mesh_prefix_ntop(&p->aips[i], buf, sizeof(buf)));
	if (p->naips > 0)
		fprintf(f, "\n");
	if (p->keepalive != 0)
		fprintf(f, "\tpersistent-keepalive %u\n", p->keepalive);
	print_ssh(f, p, "\t");
	print_obfs(f, p, "\t");
	fprintf(f, "}\n");
}

void
print_config(FILE *f, struct meshd_conf *conf)
{
	struct peer_conf	*p;
	size_t			 i;

	if (conf->ro_sock[0] != '\0') {
		fprintf(f, "control-socket ");
		print_string(f, conf->ro_sock);
		fprintf(f, " restricted\n\n");
	}
	for (i = 0; i < conf->nmetrics; i++) {
		fprintf(f, "metrics-listen ");
		print_string(f, conf->metrics[i].str);
		fprintf(f, i + 1 == conf->nmetrics ? "\n\n" : "\n");
	}
	if (conf->state_dir[0] != '\0') {
		fprintf(f, "state-directory ");
		print_string(f, conf->state_dir);
		fprintf(f, "\n\n");
	}
	if (conf->has_iface) {
		print_iface(f, &conf->iface);
		conc_print(f, conf->conc);
		fprintf(f, "}\n");
	}
	if (conf->has_stream) {
		fprintf(f, "\nserve stream {\n");
		for (i = 0; i < conf->nstream; i++) {
			fprintf(f, "\tlisten ");
			print_string(f, conf->stream[i].str);
			fprintf(f, "\n");
		}
		fprintf(f, "}\n");
	}
	if (conf->has_mesh) {
		fprintf(f, "\n");
		print_mesh(f, conf);
	}
	TAILQ_FOREACH(p, &conf->peers, entry) {
		/* a client's home is the state file */
		if (p->coordinator || p->client)
			continue;
		fprintf(f, "\n");
		print_peer(f, p);
	}
	filter_conf_print(f, conf->filter);
}
