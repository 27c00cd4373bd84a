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

#include <sys/socket.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cert.h"
#include "output.h"
#include "wgkey.h"

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
#define ST	COUNTER_STATUS
#define PE	COUNTER_PEER
#define DR	COUNTER_DROP
#define ME	COUNTER_MESH
const struct counter_desc counter_descs[] = {
	{ "received",		CS(rx_packets),		ST },
	{ "handshakes",		CS(handshakes),		ST },
	{ "cookie replies",	CS(cookie_sent),	ST },
	{ "malformed",		CS(drop_malformed),	ST | PE | DR },
	{ "bad mac",		CS(drop_mac),		ST | DR },
	{ "bad tag",		CS(drop_decrypt),	ST | PE | DR },
	{ "replayed",		CS(drop_replay),	ST | PE | DR },
	{ "queue full",		CS(drop_queue),		ST | PE | DR },
	{ "bad source",		CS(drop_source),	ST | PE | DR },
	{ "no route",		CS(drop_noroute),	ST | PE | DR },
	{ "channel full",	CS(drop_full),		ST | PE | DR },
	{ "handshake",		CS(drop_handshake),	ST | DR },
	{ "rate limit",		CS(drop_ratelimit),	ST | DR },
	{ "routing loop",	CS(drop_loop),		ST | PE | DR },
	/* the mesh's reasons to refuse or remove (enum mesh_ctr) */
	{ "cert malformed",	CS(mesh[MESH_CTR_CERT_MALFORMED]), ST | ME },
	{ "cert signature",	CS(mesh[MESH_CTR_CERT_SIGNATURE]), ST | ME },
	{ "cert expired",	CS(mesh[MESH_CTR_CERT_EXPIRED]), ST | ME },
	{ "cert revoked",	CS(mesh[MESH_CTR_CERT_REVOKED]), ST | ME },
	{ "cert wrong mesh",	CS(mesh[MESH_CTR_CERT_WRONG_MESH]), ST | ME },
	{ "cert wrong key",	CS(mesh[MESH_CTR_CERT_WRONG_KEY]), ST | ME },
	{ "cert address",	CS(mesh[MESH_CTR_CERT_ADDRESS]), ST | ME },
	{ "cert static",	CS(mesh[MESH_CTR_CERT_STATIC]), ST | ME },
	{ "cert limit",		CS(mesh[MESH_CTR_CERT_LIMIT]), ST | ME },
	{ "crl bad",		CS(mesh[MESH_CTR_CRL_BAD]), ST | ME },
	{ "coord malformed",	CS(mesh[MESH_CTR_COORD_MALFORMED]), ST | ME },
	{ "coord unexpected",	CS(mesh[MESH_CTR_COORD_UNEXPECTED]), ST | ME },
	{ "provisional full",	CS(mesh[MESH_CTR_PROVISIONAL_FULL]), ST | ME },
	{ "provisional timeout", CS(mesh[MESH_CTR_PROVISIONAL_TIMEOUT]),
	    ST | ME },
	{ "members revoked",	CS(mesh[MESH_CTR_REVOKED]), ST | ME },
	{ "members expired",	CS(mesh[MESH_CTR_EXPIRED]), ST | ME },
	{ "stun unmatched",	CS(mesh[MESH_CTR_STUN_UNMATCHED]), ST | ME },
	{ "stun bad",		CS(mesh[MESH_CTR_STUN_BAD]), ST | ME },
	{ "stun answered",	CS(mesh[MESH_CTR_STUN_ANSWERED]), ST | ME },
	{ "stun refused",	CS(mesh[MESH_CTR_STUN_REFUSED]), ST | ME },
	{ "portmap bad",	CS(mesh[MESH_CTR_PORTMAP_BAD]), ST | ME },
	{ "relay forwarded",	CS(mesh[MESH_CTR_RELAY_FORWARDED]), ST | ME },
	{ "relay unknown",	CS(mesh[MESH_CTR_RELAY_UNKNOWN]), ST | ME },
	{ "relay slow",		CS(mesh[MESH_CTR_RELAY_SLOW]), ST | ME },
	{ "relay malformed",	CS(mesh[MESH_CTR_RELAY_MALFORMED]), ST | ME },
	{ "relay full",		CS(mesh[MESH_CTR_RELAY_FULL]), ST | ME },
	{ "relay admitted",	CS(mesh[MESH_CTR_RELAY_ADMITTED]), ST | ME },
	{ "relay refused",	CS(mesh[MESH_CTR_RELAY_REFUSED]), ST | ME },
	{ "relay web",		CS(mesh[MESH_CTR_RELAY_WEB]), ST | ME },
	{ "relay open",		CS(mesh[MESH_CTR_RELAY_OPEN]), ST | ME },
	/* TUN offloads: shown once they happened */
	{ "tun super read",	CS(mesh[MESH_CTR_TUN_SUPER]), ST | ME },
	{ "tun segments",	CS(mesh[MESH_CTR_TUN_SEGMENTS]), ST | ME },
	{ "tun gro writes",	CS(mesh[MESH_CTR_TUN_GRO_WRITES]), ST | ME },
	{ "tun gro segments",	CS(mesh[MESH_CTR_TUN_GRO_SEGMENTS]), ST | ME },
	/* UDP offloads: the same, shown once they count */
	{ "gso sends",		CS(mesh[MESH_CTR_UDP_GSO_SENT]), ST | ME },
	{ "gso datagrams",	CS(mesh[MESH_CTR_UDP_GSO_SEGMENTS]), ST | ME },
	{ "gso refused",	CS(mesh[MESH_CTR_UDP_GSO_REFUSED]), ST | ME },
	{ "gro reads",		CS(mesh[MESH_CTR_UDP_GRO_RECV]), ST | ME },
	{ "gro datagrams",	CS(mesh[MESH_CTR_UDP_GRO_SEGMENTS]), ST | ME },
	/* obfuscation: the same */
	{ "obfuscated sent",	CS(mesh[MESH_CTR_OBFS_SENT]), ST | ME },
	{ "obfuscated received", CS(mesh[MESH_CTR_OBFS_RECV]), ST | ME },
	{ "obfuscation preludes", CS(mesh[MESH_CTR_OBFS_PRELUDES]), ST | ME },
};
#undef CS
#undef ST
#undef PE
#undef DR
#undef ME
const size_t counter_ndescs = sizeof(counter_descs) / sizeof(counter_descs[0]);

uint64_t
counter_get(const struct mesh_peer_stats *st, const struct counter_desc *d)
{
	uint64_t	v;

	memcpy(&v, (const char *)st + d->off, sizeof(v));
	return v;
}

const char *
counter_key(const struct counter_desc *d, char *buf, size_t len)
{
	char	*p;

	(void)strlcpy(buf, d->name, len);
	for (p = buf; *p != '\0'; p++)
		if (*p == ' ')
			*p = '_';
	return buf;
}

/* a counter no process has counted */
static int
counter_zero(const struct ctl_proc *procs, size_t nprocs,
    const struct counter_desc *d)
{
	size_t	i;

	for (i = 0; i < nprocs; i++)
		if (procs[i].proc.has_counters &&
		    counter_get(&procs[i].proc.counters, d) != 0)
			return 0;
	return 1;
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
		if (!(counter_descs[k].flags & COUNTER_STATUS))
			continue;
		/* the mesh's many reasons: only those that happened */
		if ((counter_descs[k].flags & COUNTER_MESH) &&
		    counter_zero(procs, nprocs, &counter_descs[k]))
			continue;
		(void)snprintf(buf, sizeof(buf), "%s%s",
		    counter_descs[k].flags & COUNTER_DROP ? "drop: " : "",
		    counter_descs[k].name);
		print_cell(fp, buf, COUNTER_W, 0, 0);
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

const char *
output_expiry(int64_t when, int64_t now, char *buf, size_t len)
{
	struct tm	tm;
	time_t		t = (time_t)when;
	char		date[32], left[64];

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(date, sizeof(date), "%Y-%m-%d", &tm) == 0)
		(void)strlcpy(date, "?", sizeof(date));
	if (when <= now)
		(void)snprintf(buf, len, "%s (expired)", date);
	else if (when - now < 86400)
		(void)snprintf(buf, len, "%s (%s)", date, output_uptime(
		    when - now, left, sizeof(left)));
	else
		(void)snprintf(buf, len, "%s (%lld day%s)", date,
		    (long long)((when - now) / 86400),
		    (when - now) / 86400 == 1 ? "" : "s");
	return buf;
}

const char *
output_roles(uint8_t roles, const char *sep, char *buf, size_t len)
{
	buf[0] = '\0';
	if (roles & CERT_ROLE_COORDINATOR)
		(void)strlcat(buf, "coordinator", len);
	if ((roles & CERT_ROLE_RELAY) && buf[0] != '\0')
		(void)strlcat(buf, sep, len);
	if (roles & CERT_ROLE_RELAY)
		(void)strlcat(buf, "relay", len);
	return buf;
}

const char *
output_source(uint8_t source)
{
	return source == CTL_SOURCE_MESH ? "mesh" : "config";
}

const char *
output_state(uint8_t state)
{
	switch (state) {
	case CTL_STATE_MEMBER:
		return "member";
	case CTL_STATE_REVOKED:
		return "revoked";
	case CTL_STATE_EXPIRED:
		return "expired";
	}
	return "unknown";
}

/*
 * A table whose columns are as wide as their widest cell: nothing is
 * cut and every column starts at the same offset in every row.  Cells
 * are added row by row; one that could not be copied prints as "?".
 */
struct table {
	char	**cell;
	size_t	  ncols;
	size_t	  n;
	size_t	  max;
};

/* room for nrows rows; -1 if there is none */
static int
table_init(struct table *t, size_t ncols, size_t nrows)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	if ((t->cell = calloc(nrows, ncols * sizeof(*t->cell))) == NULL)
		return -1;
	t->max = nrows * ncols;
	return 0;
}

static void
table_add(struct table *t, const char *s)
{
	if (t->n < t->max)
		t->cell[t->n++] = strdup(s);
}

/* characters, counted as UTF-8 */
static size_t
text_width(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++)
		if ((*s & 0xc0) != 0x80)
			n++;
	return n;
}

static void
table_print(FILE *fp, struct table *t)
{
	const char	*s;
	size_t		 width[16], i, col;

	memset(width, 0, sizeof(width));
	for (i = 0; i < t->n; i++) {
		col = i % t->ncols;
		s = t->cell[i] != NULL ? t->cell[i] : "?";
		if (col < 16 && text_width(s) > width[col])
			width[col] = text_width(s);
	}
	for (i = 0; i < t->n; i++) {
		col = i % t->ncols;
		print_cell(fp, t->cell[i] != NULL ? t->cell[i] : "?",
		    col < 16 ? width[col] : 0, 0, col == t->ncols - 1);
		free(t->cell[i]);
	}
	free(t->cell);
	t->cell = NULL;
	t->n = t->max = 0;
}

/* the allowed IPs joined by commas, or "?" */
static void
table_add_aips(struct table *t, const struct peer_info *pi)
{
	char	*aips = NULL;
	size_t	 len = 0;
	FILE	*mem;

	if ((mem = open_memstream(&aips, &len)) != NULL) {
		print_aips(mem, pi, ",");
		if (fclose(mem) != 0) {
			free(aips);
			aips = NULL;
		}
	}
	table_add(t, aips != NULL ? aips : "?");
	free(aips);
}

/* "1.50 KiB/s", "12 B/s" */
const char *
output_rate(double r, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	int	 u = -1;

	if (r < 0)
		r = 0;
	if (r < 1023.5) {
		(void)snprintf(buf, len, "%.0f B/s", r);
		return buf;
	}
	while (r >= 1024 && u < 3) {
		r /= 1024;
		u++;
	}
	(void)snprintf(buf, len, "%.2f %s/s", r, units[u]);
	return buf;
}

const char *
output_path(uint8_t path)
{
	const char	*s = mesh_path_name(path);

	return s != NULL ? s : "-";
}

/*
 * The relay a relay path goes through: net puts its name first in why,
 * up to "; " ("" if none)
 */
const char *
output_path_relay(const struct mesh_peer_path *pp, char *buf, size_t len)
{
	size_t	n = strcspn(pp->why, ";");

	buf[0] = '\0';
	if (pp->id == 0 || pp->path != MESH_PATH_RELAY)
		return buf;
	if (n >= len)
		n = len - 1;
	memcpy(buf, pp->why, n);
	buf[n] = '\0';
	return buf;
}

/* the path as show peers says it: "relay NAME" through a relay */
static const char *
output_path_long(const struct mesh_peer_path *pp, char *buf, size_t len)
{
	char	name[MESH_NAME_MAX];

	if (pp->id == 0)
		return output_path(0);
	if (pp->path != MESH_PATH_RELAY)
		return output_path(pp->path);
	(void)snprintf(buf, len, "relay %s", output_path_relay(pp, name,
	    sizeof(name)));
	return buf;
}

const char *
output_cand(const struct mesh_cand *c, char *buf, size_t len)
{
	static const char *const kinds[] = { "local", "reflexive", "mapped",
	    "observed" };
	char	a[INET6_ADDRSTRLEN];

	if (inet_ntop(c->af == 6 ? AF_INET6 : AF_INET, c->addr, a,
	    sizeof(a)) == NULL)
		(void)strlcpy(a, "?", sizeof(a));
	(void)snprintf(buf, len, c->af == 6 ? "%s [%s]:%u" : "%s %s:%u",
	    c->kind < 4 ? kinds[c->kind] : "unknown", a, c->port);
	return buf;
}

static void
text_peers(FILE *fp, const struct peer_info *peers, size_t npeers)
{
	static const char *const head[] = { "NAME", "SOURCE", "ENDPOINT",
	    "ALLOWED IPS", "HANDSHAKE", "RX", "TX", "RX/S", "TX/S",
	    "KEEPALIVE", "PATH" };
	struct table		 t;
	const struct ctl_peer	*p;
	char			 buf[PREFIX_STRLEN];
	size_t			 i, k;
	int			 rates = 0, paths = 0;

	if (npeers == 0) {
		fputs("no peers\n", fp);
		return;
	}
	/* a path column once a member has one (punching, NAT traversal) */
	for (i = 0; i < npeers; i++) {
		rates |= peers[i].has_rate;
		paths |= peers[i].peer.path.id != 0;
	}
	if (table_init(&t, (rates ? 10 : 8) + paths, npeers + 1) == -1) {
		fputs("meshctl: out of memory\n", fp);
		return;
	}
	for (k = 0; k < 11; k++)
		if ((rates || (k != 7 && k != 8)) && (paths || k != 10))
			table_add(&t, head[k]);
	for (i = 0; i < npeers; i++) {
		p = &peers[i].peer;
		table_add(&t, p->name);
		/* a mesh peer that went: why, in one word */
		if (p->source == CTL_SOURCE_MESH &&
		    p->state != CTL_STATE_MEMBER) {
			(void)snprintf(buf, sizeof(buf), "mesh/%s",
			    output_state(p->state));
			table_add(&t, buf);
		} else
			table_add(&t, output_source(p->source));
		table_add(&t, p->endpoint[0] != '\0' ? p->endpoint : "(none)");
		table_add_aips(&t, &peers[i]);
		table_add(&t, output_handshake(p->stats.latest_handshake, buf,
		    sizeof(buf)));
		table_add(&t, output_bytes(p->stats.rx_bytes, buf,
		    sizeof(buf)));
		table_add(&t, output_bytes(p->stats.tx_bytes, buf,
		    sizeof(buf)));
		if (rates) {
			/* a peer new since the first sample has no rate */
			table_add(&t, peers[i].has_rate ? output_rate(
			    peers[i].rx_rate, buf, sizeof(buf)) : "-");
			table_add(&t, peers[i].has_rate ? output_rate(
			    peers[i].tx_rate, buf, sizeof(buf)) : "-");
		}
		if (p->keepalive != 0) {
			(void)snprintf(buf, sizeof(buf), "%us", p->keepalive);
			table_add(&t, buf);
		} else
			table_add(&t, "off");
		if (paths)
			table_add(&t, output_path_long(&p->path, buf,
			    sizeof(buf)));
	}
	table_print(fp, &t);
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

/*
 * "(keepalive every 40 seconds: NAT timeout > 60 s measured)": what
 * meshd-net/keepalive.c learnt of the path's NATs so far
 */
static void
text_keepalive(FILE *fp, const struct mesh_peer_path *pp)
{
	fprintf(fp, " (keepalive every %u seconds: NAT timeout ",
	    pp->keepalive);
	if (pp->idle_ok_ms == 0 && pp->idle_bad_ms == 0)
		fputs("not measured yet", fp);
	else if (pp->idle_ok_ms == 0)
		fprintf(fp, "< %u s measured", pp->idle_bad_ms / 1000);
	else if (pp->idle_bad_ms == 0)
		fprintf(fp, "> %u s measured", pp->idle_ok_ms / 1000);
	else
		fprintf(fp, "> %u s, < %u s measured", pp->idle_ok_ms / 1000,
		    pp->idle_bad_ms / 1000);
	if (pp->idle_test_ms != 0)
		fprintf(fp, ", testing %u s idle", pp->idle_test_ms / 1000);
	fputc(')', fp);
}

/* a member's path through NATs, its reason and candidates */
static void
text_peer_path(FILE *fp, const struct mesh_peer_path *pp)
{
	char	buf[MESH_ENDPOINT_MAX + 16];
	size_t	i;

	if (pp->id == 0)
		return;
	fprintf(fp, "path: %s", output_path_long(pp, buf, sizeof(buf)));
	if (pp->keepalive != 0)
		text_keepalive(fp, pp);
	if (pp->why[0] != '\0') {
		fputs("\nwhy: ", fp);
		print_safe(fp, pp->why, 0);
	}
	fputs("\ncandidates:", fp);
	for (i = 0; i < pp->ncand && i < MESH_PATH_CANDS; i++)
		fprintf(fp, "%s%s", i == 0 ? " " : ", ",
		    output_cand(&pp->cand[i], buf, sizeof(buf)));
	if (pp->ncand == 0)
		fputs(" (none)", fp);
	fputc('\n', fp);
}

/* "web, prod" or "(none)" */
static void
print_groups(FILE *fp, const char groups[][MESH_GROUP_MAX], uint32_t n)
{
	uint32_t	i;

	if (n == 0)
		fputs("(none)", fp);
	for (i = 0; i < n; i++) {
		if (i > 0)
			fputs(", ", fp);
		print_safe(fp, groups[i], 0);
	}
}

/* what a certificate says of a peer: a mesh peer's, a coordinator's */
static void
text_peer_cert(FILE *fp, const struct ctl_peer *p)
{
	char	buf[64];

	if (p->source != CTL_SOURCE_MESH && p->cert_expires == 0)
		return;
	fputs("groups: ", fp);
	print_groups(fp, p->groups, p->ngroups);
	fputc('\n', fp);
	if (p->roles != 0)
		fprintf(fp, "roles: %s\n", output_roles(p->roles, ", ", buf,
		    sizeof(buf)));
	fprintf(fp, "certificate expires: %s\n", p->cert_expires == 0 ?
	    "(unknown)" : output_expiry(p->cert_expires, (int64_t)time(NULL),
	    buf, sizeof(buf)));
}

static void
text_peer(FILE *fp, const struct peer_info *pi)
{
	const struct ctl_peer	*p = &pi->peer;
	const char		*sep;
	char			 b64[WG_KEY_B64_LEN + 1], buf[64];
	size_t			 k;

	fputs("name: ", fp);
	print_safe(fp, p->name, 0);
	fprintf(fp, "\nid: %u\n", p->id);
	fprintf(fp, "source: %s", output_source(p->source));
	if (p->source == CTL_SOURCE_MESH)
		fprintf(fp, " (%s)", output_state(p->state));
	else if (p->coordinator)
		fputs(" (coordinator)", fp);
	fputc('\n', fp);
	wg_key_to_base64(b64, p->pubkey);
	fprintf(fp, "public key: %s\n", b64);
	fprintf(fp, "preshared key: %s\n", p->has_psk ? "(hidden)" : "(none)");
	fputs("endpoint: ", fp);
	print_safe(fp, p->endpoint[0] != '\0' ? p->endpoint : "(none)", 0);
	fputs("\nallowed ips: ", fp);
	print_aips(fp, pi, ", ");
	fputc('\n', fp);
	text_peer_cert(fp, p);
	fputs("persistent keepalive: ", fp);
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
	fputs("dropped:", fp);
	for (k = 0, sep = " "; k < counter_ndescs; k++) {
		if ((counter_descs[k].flags & (COUNTER_PEER | COUNTER_DROP)) !=
		    (COUNTER_PEER | COUNTER_DROP))
			continue;
		fprintf(fp, "%s%llu %s", sep, (unsigned long long)counter_get(
		    &p->stats, &counter_descs[k]), counter_descs[k].name);
		sep = ", ";
	}
	fputc('\n', fp);
	text_peer_handshake(fp, &p->stats);
	text_peer_path(fp, &p->path);
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

/* the result, then a line per change */
static void
text_reload(FILE *out, FILE *err, int code, const char *text,
    const struct ctl_change *ch, size_t n)
{
	char	line[MESH_NAME_MAX + MESH_CHANGE_TEXT + 64];
	size_t	i;

	text_result(out, err, code, text);
	for (i = 0; i < n; i++) {
		print_safe(out, mesh_change_text(&ch[i], line, sizeof(line)),
		    0);
		fputc('\n', out);
	}
}

static void
text_config(FILE *fp, const char *text, size_t len)
{
	print_safe(fp, text, 1);
	if (len > 0 && text[len - 1] != '\n')
		fputc('\n', fp);
}

/* the coordinators: name, endpoint, session, last contact */
static void
text_mesh_coordinators(FILE *fp, const struct peer_info *co, size_t n)
{
	struct table		 t;
	const struct ctl_peer	*p;
	char			 buf[64];
	size_t			 i;

	if (n == 0) {
		fputs("  coordinators: none\n", fp);
		return;
	}
	if (table_init(&t, 5, n + 1) == -1) {
		fputs("meshctl: out of memory\n", fp);
		return;
	}
	/* an empty first column: the table indented under the mesh */
	table_add(&t, "");
	table_add(&t, "COORDINATOR");
	table_add(&t, "ENDPOINT");
	table_add(&t, "SESSION");
	table_add(&t, "LAST CONTACT");
	for (i = 0; i < n; i++) {
		p = &co[i].peer;
		table_add(&t, "");
		table_add(&t, p->name);
		table_add(&t, p->endpoint[0] != '\0' ? p->endpoint :
		    "(none)");
		table_add(&t, output_hs_state(p->stats.hs_state));
		table_add(&t, output_handshake(p->stats.latest_handshake, buf,
		    sizeof(buf)));
	}
	fputc('\n', fp);
	table_print(fp, &t);
}

static void
text_mesh(FILE *fp, const struct ctl_mesh *m, const struct peer_info *co,
    size_t n)
{
	char		buf[PREFIX_STRLEN];
	uint32_t	i;

	if (m->name[0] == '\0') {
		fputs("no mesh configured\n", fp);
		return;
	}
	fputs("mesh ", fp);
	print_safe(fp, m->name, 0);
	fputs("\n  certificate: ", fp);
	print_safe(fp, m->cert_name, 0);
	fputs(",", fp);
	for (i = 0; i < m->naddrs; i++)
		fprintf(fp, " %s", output_prefix(&m->addrs[i], buf,
		    sizeof(buf)));
	fprintf(fp, ", expires %s\n", output_expiry(m->cert_not_after,
	    (int64_t)time(NULL), buf, sizeof(buf)));
	if (m->ngroups > 0) {
		fputs("  groups: ", fp);
		print_groups(fp, m->groups, m->ngroups);
		fputc('\n', fp);
	}
	if (m->cert_roles != 0)
		fprintf(fp, "  roles: %s\n", output_roles(m->cert_roles, ", ",
		    buf, sizeof(buf)));
	if (m->serve)
		fputs("  serving as a coordinator\n", fp);
	if (m->crl_serial == 0)
		fputs("  revocation list: none\n", fp);
	else
		fprintf(fp, "  revocation list: serial %llu, %u "
		    "certificate%s\n", (unsigned long long)m->crl_serial,
		    m->crl_count, m->crl_count == 1 ? "" : "s");
	fprintf(fp, "  members: %u (%u revoked)\n", m->members, m->revoked);
	text_mesh_coordinators(fp, co, n);
}

static void
text_rtt(FILE *fp, int32_t us)
{
	if (us < 0)
		fputs("-", fp);
	else
		fprintf(fp, "%.1f ms", us / 1000.0);
}

/*
 * netcheck: like tailscale netcheck, from the tunnel's own socket:
 *	servers (STUN and coordinators): our address as each saw it
 *	mapping behaviour, port mapping, coordinators' round trips
 */
static void
text_netcheck(FILE *fp, const struct ctl_netcheck *n)
{
	const struct ctl_netcheck_server	*s;
	uint32_t				 i;

	fprintf(fp, "local port: %u\n", n->local_port);
	fputs("servers:\n", fp);
	if (n->nservers == 0)
		fputs("  none (give stun servers or coordinators)\n", fp);
	for (i = 0; i < n->nservers; i++) {
		s = &n->servers[i];
		fprintf(fp, "  %s ", s->coordinator ? "coordinator" : "stun");
		print_safe(fp, s->name, 0);
		if (s->addr[0] != '\0' && strcmp(s->addr, s->name) != 0)
			fprintf(fp, " (%s)", s->addr);
		if (s->reflexive[0] != '\0') {
			fprintf(fp, ": IPv%d %s, ", s->af, s->reflexive);
			text_rtt(fp, s->rtt_us);
			fputc('\n', fp);
		} else {
			fputs(": ", fp);
			print_safe(fp, s->error[0] != '\0' ? s->error :
			    "no answer yet", 0);
			fputc('\n', fp);
		}
	}
	fprintf(fp, "mapping: %s", n->mapping);
	if (n->ports[0] != '\0')
		fprintf(fp, ", ports %s", n->ports);
	if (n->mapping_why[0] != '\0')
		fprintf(fp, " (%s)", n->mapping_why);
	fputc('\n', fp);
	fprintf(fp, "port mapping: %s", n->pm_proto);
	if (n->pm_external[0] != '\0')
		fprintf(fp, ", external %s, %lld s left", n->pm_external,
		    (long long)n->pm_lifetime);
	if (n->pm_gateway[0] != '\0')
		fprintf(fp, ", gateway %s", n->pm_gateway);
	if (n->pm_why[0] != '\0')
		fprintf(fp, " (%s)", n->pm_why);
	fputc('\n', fp);
	if (n->ncoords > 0) {
		fputs("coordinators:\n", fp);
		for (i = 0; i < n->ncoords; i++) {
			fputs("  ", fp);
			print_safe(fp, n->coords[i].name, 0);
			fputs(": ", fp);
			text_rtt(fp, n->coords[i].rtt_us);
			fputc('\n', fp);
		}
	}
	fputs("candidates:", fp);
	if (n->ncand == 0)
		fputs(" none", fp);
	fputc('\n', fp);
	for (i = 0; i < n->ncand; i++)
		fprintf(fp, "  %s\n", n->cand[i]);
}

/* show dns: where it answers, then its counters */
static void
text_dns(FILE *fp, const struct ctl_dns *d)
{
	if (d->domain[0] == '\0') {
		fputs("mesh DNS: off (no mesh block)\n", fp);
		return;
	}
	fputs("domain: ", fp);
	print_safe(fp, d->domain, 0);
	fprintf(fp, ", ttl %u s, serial %u\n", d->ttl, d->serial);
	fprintf(fp, "sockets: %u UDP, %u TCP (%u connections open)\n",
	    d->nudp, d->ntcp, d->tcp_conns);
	fprintf(fp, "names: %u (and this)\n", d->names);
	fputs("resolver: ", fp);
	print_safe(fp, d->resolver, 0);
	fputc('\n', fp);
	fprintf(fp, "queries: %llu (%llu over TCP)\n",
	    (unsigned long long)d->queries,
	    (unsigned long long)d->tcp_queries);
	fprintf(fp, "  answered %llu, nxdomain %llu, refused %llu, "
	    "malformed %llu\n", (unsigned long long)d->answered,
	    (unsigned long long)d->nxdomain, (unsigned long long)d->refused,
	    (unsigned long long)d->malformed);
	fprintf(fp, "  truncated %llu, TCP connections refused %llu\n",
	    (unsigned long long)d->truncated,
	    (unsigned long long)d->tcp_full);
}

const struct output text_output = {
	.status = text_status,
	.peers = text_peers,
	.peer = text_peer,
	.result = text_result,
	.reload = text_reload,
	.config = text_config,
	.mesh = text_mesh,
	.netcheck = text_netcheck,
	.dns = text_dns
};
