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
 * The text backend: what an operator reads.  Daemon strings are printed
 * with control characters replaced by '?', so a peer name cannot move the
 * terminal's cursor.
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output.h"
#include "wgkey.h"

#define NAME_W		20	/* longer names are cut to 17 + "..." */
#define ENDPOINT_W	22	/* "255.255.255.255:65535" fits */
#define AIPS_W		20
#define HS_W		12	/* "1h 2m 3s ago" */
#define BYTES_W		11	/* "1023.99 MiB" */
#define PROC_W		8
#define COUNTER_W	20	/* show status counters */
#define COUNT_W		12

const char *
output_prefix(const struct mesh_prefix *p, char *buf, size_t len)
{
	return mesh_prefix_ntop(p, buf, len);
}

const char *
output_uptime(int64_t t, char *buf, size_t len)
{
	long long	d, h, m, s;

	if (t < 0)
		t = 0;
	d = t / 86400;
	h = t / 3600 % 24;
	m = t / 60 % 60;
	s = t % 60;
	if (d > 0)
		(void)snprintf(buf, len, "%lldd %lldh %lldm %llds", d, h, m, s);
	else if (h > 0)
		(void)snprintf(buf, len, "%lldh %lldm %llds", h, m, s);
	else if (m > 0)
		(void)snprintf(buf, len, "%lldm %llds", m, s);
	else
		(void)snprintf(buf, len, "%llds", s);
	return buf;
}

/* control characters become '?'; newlines and tabs stay if multiline */
static void
print_safe(FILE *fp, const char *s, int multiline)
{
	unsigned char	c;

	for (; *s != '\0'; s++) {
		c = *s;
		if ((c < 0x20 && !(multiline && (c == '\n' || c == '\t'))) ||
		    c == 0x7f)
			c = '?';
		fputc(c, fp);
	}
}

/*
 * One table cell: s padded to width characters and followed by two
 * spaces, or printed as it is if it is the last cell.  With cut, a longer
 * s is shortened to width - 3 characters and "...".  Characters are
 * counted as UTF-8, so a name in any script keeps the columns aligned.
 */
static void
print_cell(FILE *fp, const char *s, size_t width, int cut, int last)
{
	const unsigned char	*p;
	size_t			 nchars = 0, n = 0;
	unsigned char		 c;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if ((*p & 0xc0) != 0x80)
			nchars++;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		c = *p;
		if ((c & 0xc0) != 0x80) {
			if (cut && nchars > width && n == width - 3) {
				fputs("...", fp);
				n += 3;
				break;
			}
			n++;
		}
		if (c < 0x20 || c == 0x7f)
			c = '?';
		fputc(c, fp);
	}
	if (last) {
		fputc('\n', fp);
		return;
	}
	for (; n < width; n++)
		fputc(' ', fp);
	fputs("  ", fp);
}

#define CS(f)	offsetof(struct mesh_peer_stats, f)
const struct counter_desc counter_descs[] = {
	{ "received",		"received",		CS(rx_packets), 0 },
	{ "handshakes",		"handshakes",		CS(handshakes), 0 },
	{ "cookie_replies",	"cookie replies",	CS(cookie_sent), 0 },
	{ "malformed",		"drop: malformed",	CS(drop_malformed), 1 },
	{ "mac",		"drop: bad mac",	CS(drop_mac), 1 },
	{ "decrypt",		"drop: bad tag/index",	CS(drop_decrypt), 1 },
	{ "replay",		"drop: replayed",	CS(drop_replay), 1 },
	{ "queue",		"drop: queue full",	CS(drop_queue), 1 },
	{ "source",		"drop: bad source",	CS(drop_source), 1 },
	{ "no_route",		"drop: no route",	CS(drop_noroute), 1 },
	{ "channel_full",	"drop: channel full",	CS(drop_full), 1 },
	{ "handshake",		"drop: handshake",	CS(drop_handshake), 1 },
	{ "ratelimit",		"drop: rate limit",	CS(drop_ratelimit), 1 },
	{ "routing_loop",	"drop: routing loop",	CS(drop_loop), 1 },
};
#undef CS
const size_t counter_ndescs = sizeof(counter_descs) / sizeof(counter_descs[0]);

uint64_t
counter_get(const struct mesh_peer_stats *st, const struct counter_desc *d)
{
	uint64_t	v;

	memcpy(&v, (const char *)st + d->off, sizeof(v));
	return v;
}

/* the children's own counters: a row per counter, a column per process */
static void
text_counters(FILE *fp, const struct ctl_proc *procs, size_t nprocs)
{
	const struct mesh_peer_stats	*c;
	char				 buf[32];
	size_t				 i, k, last;

	for (i = 0, last = nprocs; i < nprocs; i++)
		if (procs[i].proc.has_counters)
			last = i;
	if (last == nprocs)
		return;
	fputc('\n', fp);
	print_cell(fp, "COUNTER", COUNTER_W, 0, 0);
	for (i = 0; i < nprocs; i++) {
		if (!procs[i].proc.has_counters)
			continue;
		/* a heading, in capitals like the others */
		for (k = 0; k < sizeof(buf) - 1 && procs[i].role[k] != '\0';
		    k++)
			buf[k] = toupper((unsigned char)procs[i].role[k]);
		buf[k] = '\0';
		print_cell(fp, buf, COUNT_W, 0, i == last);
	}
	for (k = 0; k < counter_ndescs; k++) {
		print_cell(fp, counter_descs[k].label, COUNTER_W, 0, 0);
		for (i = 0; i < nprocs; i++) {
			if (!procs[i].proc.has_counters)
				continue;
			c = &procs[i].proc.counters;
			(void)snprintf(buf, sizeof(buf), "%llu",
			    (unsigned long long)counter_get(c,
			    &counter_descs[k]));
			print_cell(fp, buf, COUNT_W, 0, i == last);
		}
	}
}

const char *
output_hs_state(uint8_t state)
{
	switch (state) {
	case MESH_HS_NONE:
		return "none";
	case MESH_HS_INITIATING:
		return "initiating";
	case MESH_HS_ESTABLISHED:
		return "established";
	}
	return "unknown";
}

int
output_hs_event(const struct ctl_proc *procs, size_t nprocs, size_t *pos,
    char *buf, size_t len)
{
	const char	*text, *nl;
	size_t		 i, n;

	for (i = 0; i < nprocs; i++)
		if (strcmp(procs[i].role, "crypto") == 0 &&
		    procs[i].proc.has_counters)
			break;
	if (i == nprocs)
		return 0;
	text = procs[i].proc.counters.hs_error + *pos;
	if (*text == '\0' || len == 0)
		return 0;
	if ((nl = strchr(text, '\n')) == NULL)
		nl = text + strlen(text);
	n = nl - text;
	*pos += n + (*nl == '\n');
	if (n >= len)
		n = len - 1;
	memcpy(buf, text, n);
	buf[n] = '\0';
	return 1;
}

/* what meshd-crypto keeps of the handshakes of no peer */
static void
text_hs_events(FILE *fp, const struct ctl_proc *procs, size_t nprocs)
{
	char	buf[MESH_HS_ERROR_MAX];
	size_t	pos = 0;
	int	first = 1;

	while (output_hs_event(procs, nprocs, &pos, buf, sizeof(buf))) {
		if (first)
			fputs("\nhandshakes of no peer (the last few):\n", fp);
		first = 0;
		fputs("  ", fp);
		print_safe(fp, buf, 0);
		fputc('\n', fp);
	}
}

static void
text_status(FILE *fp, const struct ctl_status *st,
    const struct ctl_proc *procs, size_t nprocs)
{
	const struct mesh_proc_msg	*pm;
	char				 b64[WG_KEY_B64_LEN + 1];
	char				 buf[PREFIX_STRLEN];
	size_t				 i;

	fputs("interface: ", fp);
	print_safe(fp, st->ifname, 0);
	fputc('\n', fp);
	if (st->has_pubkey) {
		wg_key_to_base64(b64, st->pubkey);
		fprintf(fp, "public key: %s\n", b64);
	} else
		fprintf(fp, "public key: (none)\n");
	fprintf(fp, "listen port: %u\n", st->listen_port);
	fprintf(fp, "mtu: %u\n", st->mtu);
	for (i = 0; i < st->naddrs; i++)
		fprintf(fp, "address: %s\n",
		    output_prefix(&st->addrs[i], buf, sizeof(buf)));
	if (st->naddrs == 0)
		fprintf(fp, "address: (none)\n");
	fprintf(fp, "peers: %u\n", st->npeers);
	fprintf(fp, "uptime: %s\n", output_uptime(st->uptime, buf,
	    sizeof(buf)));

	if (nprocs == 0)
		return;
	fputc('\n', fp);
	print_cell(fp, "ROLE", PROC_W, 0, 0);
	print_cell(fp, "PID", PROC_W, 0, 0);
	print_cell(fp, "UID", PROC_W, 0, 0);
	print_cell(fp, "CHROOT", PROC_W, 0, 0);
	print_cell(fp, "SANDBOX", PROC_W, 0, 1);
	for (i = 0; i < nprocs; i++) {
		pm = &procs[i].proc;
		print_cell(fp, procs[i].role, PROC_W, 0, 0);
		(void)snprintf(buf, sizeof(buf), "%d", pm->pid);
		print_cell(fp, buf, PROC_W, 0, 0);
		(void)snprintf(buf, sizeof(buf), "%u", pm->uid);
		print_cell(fp, buf, PROC_W, 0, 0);
		print_cell(fp, pm->chrooted ? "yes" : "no", PROC_W, 0, 0);
		print_cell(fp, pm->sandboxed ? "yes" : "no", PROC_W, 0, 1);
	}
	text_counters(fp, procs, nprocs);
	text_hs_events(fp, procs, nprocs);
}

/* the allowed IPs joined by sep, or "(none)" */
static void
print_aips(FILE *fp, const struct peer_info *pi, const char *sep)
{
	char		buf[PREFIX_STRLEN];
	uint32_t	i;

	if (pi->peer.naips == 0) {
		fputs("(none)", fp);
		return;
	}
	for (i = 0; i < pi->peer.naips; i++) {
		if (i > 0)
			fputs(sep, fp);
		fputs(output_prefix(&pi->aips[i], buf, sizeof(buf)), fp);
	}
}

/* "1.50 MiB", as wg(8) shows transfer */
const char *
output_bytes(uint64_t n, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double	 v = n;
	int	 u = -1;

	if (n < 1024) {
		(void)snprintf(buf, len, "%llu B", (unsigned long long)n);
		return buf;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	(void)snprintf(buf, len, "%.2f %s", v, units[u]);
	return buf;
}

/* "12s ago", "never"; "unknown" before 1970 (meshd never sends that) */
const char *
output_handshake(int64_t when, char *buf, size_t len)
{
	char	up[64];
	int64_t	ago, now;

	if (when == 0) {
		(void)strlcpy(buf, "never", len);
		return buf;
	}
	if (when < 0) {
		(void)strlcpy(buf, "unknown", len);
		return buf;
	}
	/* a time ahead of our clock (a skew): just now */
	now = (int64_t)time(NULL);
	ago = when < now ? now - when : 0;
	(void)snprintf(buf, len, "%s ago", output_uptime(ago, up, sizeof(up)));
	return buf;
}

static void
text_peers(FILE *fp, const struct peer_info *peers, size_t npeers)
{
	char		 buf[PREFIX_STRLEN], *aips;
	size_t		 i, len;
	FILE		*mem;

	if (npeers == 0) {
		fputs("no peers\n", fp);
		return;
	}
	print_cell(fp, "NAME", NAME_W, 0, 0);
	print_cell(fp, "ENDPOINT", ENDPOINT_W, 0, 0);
	print_cell(fp, "ALLOWED IPS", AIPS_W, 0, 0);
	print_cell(fp, "HANDSHAKE", HS_W, 0, 0);
	print_cell(fp, "RX", BYTES_W, 0, 0);
	print_cell(fp, "TX", BYTES_W, 0, 0);
	print_cell(fp, "KEEPALIVE", 0, 0, 1);
	for (i = 0; i < npeers; i++) {
		const struct ctl_peer *p = &peers[i].peer;

		print_cell(fp, p->name, NAME_W, 1, 0);
		print_cell(fp, p->endpoint[0] != '\0' ? p->endpoint : "(none)",
		    ENDPOINT_W, 0, 0);
		aips = NULL;
		len = 0;
		if ((mem = open_memstream(&aips, &len)) != NULL) {
			print_aips(mem, &peers[i], ",");
			if (fclose(mem) != 0) {
				free(aips);
				aips = NULL;
			}
		}
		print_cell(fp, aips != NULL ? aips : "?", AIPS_W, 0, 0);
		free(aips);
		print_cell(fp, output_handshake(p->stats.latest_handshake, buf,
		    sizeof(buf)), HS_W, 0, 0);
		print_cell(fp, output_bytes(p->stats.rx_bytes, buf,
		    sizeof(buf)), BYTES_W, 0, 0);
		print_cell(fp, output_bytes(p->stats.tx_bytes, buf,
		    sizeof(buf)), BYTES_W, 0, 0);
		if (p->keepalive != 0) {
			(void)snprintf(buf, sizeof(buf), "%us", p->keepalive);
			print_cell(fp, buf, 0, 0, 1);
		} else
			print_cell(fp, "off", 0, 0, 1);
	}
}

/* why there is, or is no, handshake */
static void
text_peer_handshake(FILE *fp, const struct mesh_peer_stats *st)
{
	char	buf[64];

	fprintf(fp, "handshake: %s", output_hs_state(st->hs_state));
	if (st->hs_attempts > 0)
		fprintf(fp, ", %u initiation%s sent, the last %s",
		    st->hs_attempts, st->hs_attempts == 1 ? "" : "s",
		    output_handshake(st->hs_last_attempt, buf, sizeof(buf)));
	fputs("\nlast error: ", fp);
	print_safe(fp, st->hs_error[0] != '\0' ? st->hs_error : "(none)", 0);
	fputc('\n', fp);
}

static void
text_peer(FILE *fp, const struct peer_info *pi)
{
	const struct ctl_peer	*p = &pi->peer;
	char			 b64[WG_KEY_B64_LEN + 1], buf[64];

	fputs("name: ", fp);
	print_safe(fp, p->name, 0);
	fprintf(fp, "\nid: %u\n", p->id);
	wg_key_to_base64(b64, p->pubkey);
	fprintf(fp, "public key: %s\n", b64);
	fprintf(fp, "preshared key: %s\n", p->has_psk ? "(hidden)" : "(none)");
	fputs("endpoint: ", fp);
	print_safe(fp, p->endpoint[0] != '\0' ? p->endpoint : "(none)", 0);
	fputs("\nallowed ips: ", fp);
	print_aips(fp, pi, ", ");
	fputs("\npersistent keepalive: ", fp);
	if (p->keepalive == 1)
		fputs("every 1 second\n", fp);
	else if (p->keepalive != 0)
		fprintf(fp, "every %u seconds\n", p->keepalive);
	else
		fputs("off\n", fp);
	fprintf(fp, "latest handshake: %s\n", output_handshake(
	    p->stats.latest_handshake, buf, sizeof(buf)));
	fprintf(fp, "transfer: %s received, ", output_bytes(p->stats.rx_bytes,
	    buf, sizeof(buf)));
	fprintf(fp, "%s sent\n", output_bytes(p->stats.tx_bytes, buf,
	    sizeof(buf)));
	fprintf(fp, "dropped: %llu bad tag, %llu replayed, %llu queue full, "
	    "%llu wrong source, %llu no endpoint, %llu malformed, "
	    "%llu channel full, %llu routing loop\n",
	    (unsigned long long)p->stats.drop_decrypt,
	    (unsigned long long)p->stats.drop_replay,
	    (unsigned long long)p->stats.drop_queue,
	    (unsigned long long)p->stats.drop_source,
	    (unsigned long long)p->stats.drop_noroute,
	    (unsigned long long)p->stats.drop_malformed,
	    (unsigned long long)p->stats.drop_full,
	    (unsigned long long)p->stats.drop_loop);
	text_peer_handshake(fp, &p->stats);
	if (p->stats.drop_loop > 0)
		fputs("warning: the endpoint lies inside the allowed ips: "
		    "packets to it came back into the interface (a routing "
		    "loop) and were dropped\n", fp);
}

static void
text_result(FILE *out, FILE *err, int code, const char *text)
{
	FILE	*fp = code == 0 ? out : err;
	size_t	 len = strlen(text);

	if (len == 0) {
		if (code != 0)
			fprintf(err, "meshctl: meshd refused: %s\n",
			    strerror(code));
		return;
	}
	print_safe(fp, text, 1);
	if (text[len - 1] != '\n')
		fputc('\n', fp);
}

const struct output text_output = {
	.status = text_status,
	.peers = text_peers,
	.peer = text_peer,
	.result = text_result
};
