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
 * Keys print as base64; a preshared key only as "(hidden)" or null.
 */

#include <stdio.h>
#include <string.h>

#include "json.h"
#include "output.h"
#include "wgkey.h"

/* "counters": { "net": { "received": N, ..., "dropped": { ... } }, ... } */
static void
json_counters(struct json *j, const struct ctl_proc *procs, size_t nprocs)
{
	size_t	i, k;
	int	drops;

	json_object_open(j, "counters");
	for (i = 0; i < nprocs; i++) {
		if (!procs[i].proc.has_counters)
			continue;
		json_object_open(j, procs[i].role);
		for (drops = 0; drops <= 1; drops++) {
			if (drops)
				json_object_open(j, "dropped");
			for (k = 0; k < counter_ndescs; k++)
				if (counter_descs[k].drop == drops)
					json_uint(j, counter_descs[k].key,
					    counter_get(&procs[i].proc.counters,
					    &counter_descs[k]));
		}
		json_object_close(j);	/* dropped */
		json_object_close(j);	/* the process */
	}
	json_object_close(j);
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

	json_init(&j, fp);
	json_object_open(&j, NULL);
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

static void
json_peer_object(struct json *j, const struct peer_info *pi)
{
	const struct ctl_peer	*p = &pi->peer;
	char			 b64[WG_KEY_B64_LEN + 1], buf[PREFIX_STRLEN];
	uint32_t		 i;

	json_object_open(j, NULL);
	json_string(j, "name", p->name);
	json_uint(j, "id", p->id);
	wg_key_to_base64(b64, p->pubkey);
	json_string(j, "public_key", b64);
	json_string(j, "preshared_key", p->has_psk ? "(hidden)" : NULL);
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
	json_object_open(j, "dropped");
	json_uint(j, "decrypt", p->stats.drop_decrypt);
	json_uint(j, "replay", p->stats.drop_replay);
	json_uint(j, "queue", p->stats.drop_queue);
	json_uint(j, "source", p->stats.drop_source);
	json_uint(j, "no_endpoint", p->stats.drop_noroute);
	json_uint(j, "malformed", p->stats.drop_malformed);
	json_uint(j, "channel_full", p->stats.drop_full);
	json_uint(j, "routing_loop", p->stats.drop_loop);
	json_object_close(j);
	json_string(j, "handshake_state", output_hs_state(p->stats.hs_state));
	json_uint(j, "attempts", p->stats.hs_attempts);
	json_int(j, "last_attempt", p->stats.hs_last_attempt);
	json_string(j, "last_error", p->stats.hs_error[0] != '\0' ?
	    p->stats.hs_error : NULL);
	json_object_close(j);
}

static void
json_peers(FILE *fp, const struct peer_info *peers, size_t npeers)
{
	struct json	j;
	size_t		i;

	json_init(&j, fp);
	json_array_open(&j, NULL);
	for (i = 0; i < npeers; i++)
		json_peer_object(&j, &peers[i]);
	json_array_close(&j);
	(void)json_finish(&j);
}

static void
json_peer(FILE *fp, const struct peer_info *pi)
{
	struct json	j;

	json_init(&j, fp);
	json_peer_object(&j, pi);
	(void)json_finish(&j);
}

static void
json_result(FILE *out, FILE *err, int code, const char *text)
{
	struct json	j;

	json_init(&j, out);
	json_object_open(&j, NULL);
	json_string(&j, "result", code == 0 ? "ok" : "error");
	json_string(&j, "message", code != 0 && text[0] == '\0' ?
	    strerror(code) : text);
	json_object_close(&j);
	(void)json_finish(&j);
}

const struct output json_output = {
	.status = json_status,
	.peers = json_peers,
	.peer = json_peer,
	.result = json_result
};
