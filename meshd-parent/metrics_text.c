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
 * The text exposition format of one scrape (Prometheus's version 0.0.4):
 * each metric family once, its HELP and TYPE lines first, every sample of
 * it together; base units (bytes, seconds), _total on counters.  A pure
 * function of the snapshot, so a unit test holds it and the parent needs
 * no buffer of its own (an open_memstream(3) FILE).
 *
 * Label values are peer names, which the config or an admin-signed
 * certificate gave: printable, but they may hold '"' or '\', escaped
 * here as the format wants.
 */

#include <sys/types.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"

static const char *const drop_names[MDROP_MAX] = {
	[MDROP_DECRYPT] = "decrypt",
	[MDROP_REPLAY] = "replay",
	[MDROP_QUEUE] = "queue",
	[MDROP_SOURCE] = "source",
	[MDROP_NOROUTE] = "noroute",
	[MDROP_MALFORMED] = "malformed",
	[MDROP_MAC] = "mac",
	[MDROP_FULL] = "full",
	[MDROP_HANDSHAKE] = "handshake",
	[MDROP_RATELIMIT] = "ratelimit",
	[MDROP_LOOP] = "loop",
};

/* enum mesh_ctr, as event labels; RELAY_OPEN is a gauge of its own */
static const char *const event_names[MESH_CTR_MAX] = {
	[MESH_CTR_CERT_MALFORMED] = "cert_malformed",
	[MESH_CTR_CERT_SIGNATURE] = "cert_signature",
	[MESH_CTR_CERT_EXPIRED] = "cert_expired",
	[MESH_CTR_CERT_REVOKED] = "cert_revoked",
	[MESH_CTR_CERT_WRONG_MESH] = "cert_wrong_mesh",
	[MESH_CTR_CERT_WRONG_KEY] = "cert_wrong_key",
	[MESH_CTR_CERT_ADDRESS] = "cert_address",
	[MESH_CTR_CERT_STATIC] = "cert_static",
	[MESH_CTR_CERT_LIMIT] = "cert_limit",
	[MESH_CTR_CRL_BAD] = "crl_bad",
	[MESH_CTR_COORD_MALFORMED] = "coord_malformed",
	[MESH_CTR_COORD_UNEXPECTED] = "coord_unexpected",
	[MESH_CTR_PROVISIONAL_FULL] = "provisional_full",
	[MESH_CTR_PROVISIONAL_TIMEOUT] = "provisional_timeout",
	[MESH_CTR_REVOKED] = "revoked",
	[MESH_CTR_EXPIRED] = "expired",
	[MESH_CTR_STUN_UNMATCHED] = "stun_unmatched",
	[MESH_CTR_STUN_BAD] = "stun_bad",
	[MESH_CTR_STUN_ANSWERED] = "stun_answered",
	[MESH_CTR_STUN_REFUSED] = "stun_refused",
	[MESH_CTR_PORTMAP_BAD] = "portmap_bad",
	[MESH_CTR_RELAY_FORWARDED] = "relay_forwarded",
	[MESH_CTR_RELAY_UNKNOWN] = "relay_unknown",
	[MESH_CTR_RELAY_SLOW] = "relay_slow",
	[MESH_CTR_RELAY_MALFORMED] = "relay_malformed",
	[MESH_CTR_RELAY_FULL] = "relay_full",
	[MESH_CTR_RELAY_ADMITTED] = "relay_admitted",
	[MESH_CTR_RELAY_REFUSED] = "relay_refused",
	[MESH_CTR_RELAY_WEB] = "relay_web",
	[MESH_CTR_TUN_SUPER] = "tun_super_read",
	[MESH_CTR_TUN_SEGMENTS] = "tun_segments",
	[MESH_CTR_TUN_GRO_WRITES] = "tun_gro_writes",
	[MESH_CTR_TUN_GRO_SEGMENTS] = "tun_gro_segments",
	[MESH_CTR_UDP_GSO_SENT] = "gso_sends",
	[MESH_CTR_UDP_GSO_SEGMENTS] = "gso_datagrams",
	[MESH_CTR_UDP_GSO_REFUSED] = "gso_refused",
	[MESH_CTR_UDP_GRO_RECV] = "gro_reads",
	[MESH_CTR_UDP_GRO_SEGMENTS] = "gro_datagrams",
	[MESH_CTR_OBFS_SENT] = "obfuscated_sent",
	[MESH_CTR_OBFS_RECV] = "obfuscated_received",
	[MESH_CTR_OBFS_PRELUDES] = "obfuscation_preludes",
};

const char *
metrics_drop_name(enum metrics_drop d)
{
	return d < MDROP_MAX ? drop_names[d] : "unknown";
}

/* as meshctl names them, and "unknown" where it shows none */
const char *
metrics_path_name(uint8_t path)
{
	const char	*s = mesh_path_name(path);

	return s != NULL ? s : "unknown";
}

/* a struct mesh_peer_stats's drops, by enum metrics_drop */
static void
drops_get(uint64_t *d, const struct mesh_peer_stats *st)
{
	d[MDROP_DECRYPT] = st->drop_decrypt;
	d[MDROP_REPLAY] = st->drop_replay;
	d[MDROP_QUEUE] = st->drop_queue;
	d[MDROP_SOURCE] = st->drop_source;
	d[MDROP_NOROUTE] = st->drop_noroute;
	d[MDROP_MALFORMED] = st->drop_malformed;
	d[MDROP_MAC] = st->drop_mac;
	d[MDROP_FULL] = st->drop_full;
	d[MDROP_HANDSHAKE] = st->drop_handshake;
	d[MDROP_RATELIMIT] = st->drop_ratelimit;
	d[MDROP_LOOP] = st->drop_loop;
}

void
metrics_peer_fill(struct metrics_peer *mp, const struct ctl_peer *cp)
{
	memset(mp, 0, sizeof(*mp));
	(void)strlcpy(mp->name, cp->name, sizeof(mp->name));
	wg_key_to_base64(mp->key, cp->pubkey);
	mp->source = cp->source;
	mp->coordinator = cp->coordinator;
	/*
	 * net tells the path of members with candidates and of peers on
	 * the ladder (SSH, relay); any other peer with an endpoint is
	 * plain UDP to it
	 */
	if (cp->path.id != 0)
		mp->path = cp->path.path;
	else
		mp->path = cp->endpoint[0] != '\0' ? MESH_PATH_DIRECT :
		    MESH_PATH_NONE;
	mp->hs_state = cp->stats.hs_state;
	mp->latest_handshake = cp->stats.latest_handshake;
	mp->hs_attempts = cp->stats.hs_attempts;
	mp->rx_bytes = cp->stats.rx_bytes;
	mp->tx_bytes = cp->stats.tx_bytes;
	mp->rx_packets = cp->stats.rx_packets;
	mp->tx_packets = cp->stats.tx_packets;
	drops_get(mp->drop, &cp->stats);
}

void
metrics_label(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fprintf(f, "\\n");
		else
			fputc(*s, f);
	}
}

static void
family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* NAME{peer="...",public_key="..." and the caller goes on */
static void
peer_sample(FILE *f, const char *name, const struct metrics_peer *mp)
{
	fprintf(f, "%s{peer=\"", name);
	metrics_label(f, mp->name);
	fprintf(f, "\",public_key=\"%s\"", mp->key);
}

static void
peer_counter(FILE *f, const struct metrics_snapshot *s, const char *name,
    const char *type, const char *help, size_t off)
{
	const struct metrics_peer	*mp;
	uint64_t			 v;
	size_t				 i;

	family(f, name, type, help);
	for (i = 0; i < s->npeers; i++) {
		mp = &s->peers[i];
		memcpy(&v, (const char *)mp + off, sizeof(v));
		peer_sample(f, name, mp);
		fprintf(f, "} %llu\n", (unsigned long long)v);
	}
}

static void
peers_text(FILE *f, const struct metrics_snapshot *s)
{
	const struct metrics_peer	*mp;
	size_t				 i, d;

	family(f, "meshd_peer_info", "gauge", "A peer: where it comes from "
	    "(config or mesh) and whether it is a coordinator.");
	for (i = 0; i < s->npeers; i++) {
		mp = &s->peers[i];
		peer_sample(f, "meshd_peer_info", mp);
		fprintf(f, ",source=\"%s\",coordinator=\"%s\"} 1\n",
		    mp->source == CTL_SOURCE_MESH ? "mesh" : "config",
		    mp->coordinator ? "yes" : "no");
	}
	peer_counter(f, s, "meshd_peer_rx_bytes_total", "counter",
	    "Bytes received from the peer on the wire, authenticated.",
	    offsetof(struct metrics_peer, rx_bytes));
	peer_counter(f, s, "meshd_peer_tx_bytes_total", "counter",
	    "Bytes sent to the peer on the wire.",
	    offsetof(struct metrics_peer, tx_bytes));
	peer_counter(f, s, "meshd_peer_rx_packets_total", "counter",
	    "Messages received from the peer that authenticated.",
	    offsetof(struct metrics_peer, rx_packets));
	peer_counter(f, s, "meshd_peer_tx_packets_total", "counter",
	    "Datagrams sent to the peer.",
	    offsetof(struct metrics_peer, tx_packets));
	family(f, "meshd_peer_drops_total", "counter",
	    "Packets of the peer dropped, by reason.");
	for (i = 0; i < s->npeers; i++) {
		mp = &s->peers[i];
		for (d = 0; d < MDROP_MAX; d++) {
			/* net counts these per source, not per peer */
			if (d == MDROP_RATELIMIT)
				continue;
			peer_sample(f, "meshd_peer_drops_total", mp);
			fprintf(f, ",reason=\"%s\"} %llu\n", drop_names[d],
			    (unsigned long long)mp->drop[d]);
		}
	}
	family(f, "meshd_peer_latest_handshake_seconds", "gauge",
	    "Unix time of the latest completed handshake, 0 never.");
	for (i = 0; i < s->npeers; i++) {
		mp = &s->peers[i];
		peer_sample(f, "meshd_peer_latest_handshake_seconds", mp);
		fprintf(f, "} %lld\n", (long long)mp->latest_handshake);
	}
	family(f, "meshd_peer_handshake_attempts", "gauge",
	    "Initiations sent since a handshake last completed.");
	for (i = 0; i < s->npeers; i++) {
		mp = &s->peers[i];
		peer_sample(f, "meshd_peer_handshake_attempts", mp);
		fprintf(f, "} %u\n", mp->hs_attempts);
	}
	family(f, "meshd_peer_path_info", "gauge",
	    "The path to the peer, as meshctl show peers names it.");
	for (i = 0; i < s->npeers; i++) {
		mp = &s->peers[i];
		peer_sample(f, "meshd_peer_path_info", mp);
		fprintf(f, ",path=\"%s\"} 1\n", metrics_path_name(mp->path));
	}
}

static void
procs_text(FILE *f, const struct metrics_snapshot *s)
{
	const struct metrics_proc	*p;
	uint64_t			 d[MDROP_MAX];
	size_t				 i, j;

	family(f, "meshd_process_cpu_seconds_total", "counter",
	    "CPU time of each meshd process, user and system.");
	for (i = 0; i < PROC_MAX; i++)
		if (s->procs[i].cpu >= 0)
			fprintf(f, "meshd_process_cpu_seconds_total{process="
			    "\"%s\"} %.2f\n", meshd_role_names[i],
			    s->procs[i].cpu);
	family(f, "meshd_process_memory_bytes", "gauge",
	    "Memory of each meshd process: its proportional set size (pss), "
	    "or resident set size (rss) where the kernel has no "
	    "smaps_rollup.");
	for (i = 0; i < PROC_MAX; i++) {
		p = &s->procs[i];
		if (p->memkind != NULL)
			fprintf(f, "meshd_process_memory_bytes{process=\"%s\","
			    "kind=\"%s\"} %llu\n", meshd_role_names[i],
			    p->memkind, (unsigned long long)p->mem);
	}
	family(f, "meshd_process_packets_total", "counter",
	    "Packets each child took in: net datagrams from the wire, crypto "
	    "messages from net, tun packets from the TUN device.");
	for (i = PROC_NET; i < PROC_MAX; i++)
		fprintf(f, "meshd_process_packets_total{process=\"%s\"} "
		    "%llu\n", meshd_role_names[i],
		    (unsigned long long)s->global[i].rx_packets);
	family(f, "meshd_drops_total", "counter",
	    "Packets dropped that belong to no known peer, by process and "
	    "reason.");
	for (i = PROC_NET; i < PROC_MAX; i++) {
		drops_get(d, &s->global[i]);
		for (j = 0; j < MDROP_MAX; j++)
			fprintf(f, "meshd_drops_total{process=\"%s\","
			    "reason=\"%s\"} %llu\n", meshd_role_names[i],
			    drop_names[j], (unsigned long long)d[j]);
	}
}

static void
handshakes_text(FILE *f, const struct metrics_snapshot *s)
{
	family(f, "meshd_handshakes_received_total", "counter",
	    "Handshake messages net passed to crypto (mac1 checked).");
	fprintf(f, "meshd_handshakes_received_total %llu\n",
	    (unsigned long long)s->global[PROC_NET].handshakes);
	family(f, "meshd_handshakes_accepted_total", "counter",
	    "Handshake messages crypto accepted.");
	fprintf(f, "meshd_handshakes_accepted_total %llu\n",
	    (unsigned long long)s->global[PROC_CRYPTO].handshakes);
	family(f, "meshd_cookie_replies_total", "counter",
	    "Cookie replies sent to initiators while under load.");
	fprintf(f, "meshd_cookie_replies_total %llu\n",
	    (unsigned long long)s->global[PROC_NET].cookie_sent);
}

static void
gauge1(FILE *f, const char *name, const char *help, unsigned long long v)
{
	family(f, name, "gauge", help);
	fprintf(f, "%s %llu\n", name, v);
}

static void
mesh_text(FILE *f, const struct metrics_snapshot *s)
{
	unsigned long long	 v;
	size_t			 i, r;

	gauge1(f, "meshd_mesh_members", "Mesh members admitted now.",
	    s->members);
	gauge1(f, "meshd_mesh_revoked", "Mesh members listed as revoked.",
	    s->revoked);
	gauge1(f, "meshd_mesh_coordinators", "Coordinators in the mesh "
	    "block.", s->coordinators);
	gauge1(f, "meshd_mesh_coordinator_sessions", "Coordinators with a "
	    "session up (a handshake in the last 180 seconds).",
	    s->coord_sessions);
	gauge1(f, "meshd_mesh_crl_serial", "Serial of the revocation list "
	    "in use, 0 none.", s->crl_serial);
	family(f, "meshd_mesh_events_total", "counter", "Mesh events: "
	    "certificates and coordination messages refused, members "
	    "removed, STUN, port mapping and relay events, TUN offloads.");
	for (i = 0; i < MESH_CTR_MAX; i++) {
		if (event_names[i] == NULL)
			continue;
		for (v = 0, r = PROC_NET; r < PROC_MAX; r++)
			v += s->global[r].mesh[i];
		fprintf(f, "meshd_mesh_events_total{event=\"%s\"} %llu\n",
		    event_names[i], v);
	}
	gauge1(f, "meshd_relay_connections", "Members' connections open to "
	    "this relay now (serve relay).",
	    s->global[PROC_NET].mesh[MESH_CTR_RELAY_OPEN]);
}

void
metrics_text(FILE *f, const struct metrics_snapshot *s)
{
	family(f, "meshd_build_info", "gauge", "The meshd version running.");
	fprintf(f, "meshd_build_info{version=\"%s\",interface=\"",
	    MESHD_VERSION);
	metrics_label(f, s->ifname);
	fprintf(f, "\"} 1\n");
	family(f, "meshd_start_time_seconds", "gauge",
	    "Unix time meshd started.");
	fprintf(f, "meshd_start_time_seconds %lld\n",
	    (long long)s->start_time);
	peers_text(f, s);
	procs_text(f, s);
	handshakes_text(f, s);
	mesh_text(f, s);
}
