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
 * serve concentrator in the config: the block parse.y reads, and the
 * state file of clients that loading a config merges in as peers.  The
 * state file is the parent's own (meshctl client add writes it through
 * the parent); a line per client:
 *
 *	client "phone" key BASE64 address 100.64.200.2 address fd00::2 \
 *	    added 1765000000
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "concentrator.h"
#include "config.h"
#include "filter.h"
#include "log.h"
#include "wgkey.h"

#define STATE_LINE_MAX	512

struct conc_conf *
conc_conf_new(const char *fname, int line)
{
	struct conc_conf	*cc;

	if ((cc = calloc(1, sizeof(*cc))) == NULL)
		fatal("%s", __func__);
	(void)strlcpy(cc->fname, fname, sizeof(cc->fname));
	cc->line = line;
	return cc;
}

void
conc_conf_free(struct conc_conf *cc)
{
	if (cc == NULL)
		return;
	free(cc->clients);
	free(cc);
}

void
conc_conf_pool(struct conc_conf *cc, const char *s)
{
	struct mesh_prefix	 p;
	const char		*why;
	size_t			 i;

	if (conc_pool_parse(s, &p, &why) == -1) {
		blk_error("address-pool %s: %s", s, why);
		return;
	}
	for (i = 0; i < cc->npool; i++)
		if (cc->pool[i].af == p.af) {
			blk_error("address-pool %s: one IPv%d pool only", s,
			    p.af);
			return;
		}
	cc->pool[cc->npool++] = p;
}

void
conc_conf_endpoint(struct conc_conf *cc, const char *s)
{
	const char	*colon = strrchr(s, ':');

	if (*s == '\0' || strlen(s) >= sizeof(cc->endpoint) ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-_:[]") != strlen(s)) {
		blk_error("endpoint \"%s\": expected \"host:port\" (at most "
		    "%zu characters)", s, sizeof(cc->endpoint) - 1);
		return;
	}
	/* an IPv6 address needs its brackets before a port */
	if (colon != NULL && strchr(s, ':') != colon && s[0] != '[') {
		blk_error("endpoint \"%s\": an IPv6 address goes in brackets, "
		    "\"[addr]:port\"", s);
		return;
	}
	(void)strlcpy(cc->endpoint, s, sizeof(cc->endpoint));
}

/* client names: what a file name and a shell word can hold as they are */
int
conc_name_ok(const char *s)
{
	size_t	n = strlen(s);

	return n > 0 && n < MESH_NAME_MAX && s[0] != '-' &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* the next word of *sp (a "quoted" one without its quotes), or NULL */
static char *
state_word(char **sp)
{
	char	*s = *sp, *w;

	s += strspn(s, " \t");
	if (*s == '\0')
		return NULL;
	if (*s == '"') {
		w = ++s;
		if ((s = strchr(s, '"')) == NULL)
			return NULL;
		*s++ = '\0';
	} else {
		w = s;
		s += strcspn(s, " \t");
		if (*s != '\0')
			*s++ = '\0';
	}
	*sp = s;
	return w;
}

/* one line of the state file into c: NULL, or why it is wrong */
const char *
conc_state_line(char *s, struct conc_client *c)
{
	struct mesh_prefix	 p;
	const char		*w, *v, *errstr;

	memset(c, 0, sizeof(*c));
	if ((w = state_word(&s)) == NULL || strcmp(w, "client") != 0)
		return "expected client \"NAME\" ...";
	if ((w = state_word(&s)) == NULL || !conc_name_ok(w))
		return "bad client name";
	(void)strlcpy(c->name, w, sizeof(c->name));
	while ((w = state_word(&s)) != NULL) {
		if ((v = state_word(&s)) == NULL)
			return "a keyword without its value";
		if (strcmp(w, "key") == 0) {
			if (wg_key_from_base64(c->pubkey, v) == -1)
				return "bad public key";
		} else if (strcmp(w, "address") == 0) {
			if (c->naddrs == CONC_POOL_MAX ||
			    mesh_prefix_pton(v, &p) == -1 ||
			    p.plen != (p.af == 4 ? 32 : 128) ||
			    (c->naddrs == 1 && c->addrs[0].af == p.af))
				return "bad address (a host address, at most "
				    "one per family)";
			c->addrs[c->naddrs++] = p;
		} else if (strcmp(w, "added") == 0) {
			c->added = strtonum(v, 0, INT64_MAX, &errstr);
			if (errstr != NULL)
				return "bad added time";
		} else
			return "unknown keyword";
	}
	if (c->naddrs == 0)
		return "no address";
	return NULL;
}

static void
conc_client_push(struct conc_conf *cc, const struct conc_client *c)
{
	struct conc_client	*n;

	if ((n = reallocarray(cc->clients, cc->nclients + 1,
	    sizeof(*n))) == NULL)
		fatal("%s", __func__);
	cc->clients = n;
	cc->clients[cc->nclients++] = *c;
}

/* c as a peer of conf, marked client */
struct peer_conf *
conc_client_peer(struct meshd_conf *conf, const struct conc_client *c,
    const char *at)
{
	struct peer_conf	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->aips = calloc(c->naddrs, sizeof(*p->aips))) == NULL ||
	    (p->pubkey_at = strdup(at)) == NULL)
		fatal("%s", __func__);
	(void)strlcpy(p->name, c->name, sizeof(p->name));
	memcpy(p->pubkey, c->pubkey, sizeof(p->pubkey));
	memcpy(p->aips, c->addrs, c->naddrs * sizeof(*p->aips));
	p->naips = c->naddrs;
	p->client = 1;
	TAILQ_INSERT_TAIL(&conf->peers, p, entry);
	conf->npeers++;
	return p;
}

/* a client of the file against the config so far: NULL, or why not */
static const char *
state_client_check(struct meshd_conf *conf, const struct conc_client *c)
{
	struct conc_conf	*cc = conf->conc;
	struct peer_conf	*p;
	size_t			 i, j;

	TAILQ_FOREACH(p, &conf->peers, entry) {
		if (strcmp(p->name, c->name) == 0)
			return "its name is taken by another peer or client";
		if (memcmp(p->pubkey, c->pubkey, WG_KEY_LEN) == 0)
			return "its public key is another peer's or client's";
		for (i = 0; i < p->naips; i++)
			for (j = 0; j < c->naddrs; j++)
				if (p->aips[i].plen > 0 &&
				    conc_prefix_overlap(&p->aips[i],
				    &c->addrs[j]))
					return "its address is another peer's "
					    "or client's";
	}
	for (j = 0; j < c->naddrs; j++) {
		for (i = 0; i < cc->npool; i++)
			if (conc_prefix_overlap(&cc->pool[i], &c->addrs[j]))
				break;
		if (i == cc->npool)
			return "its address is outside the address-pool";
	}
	return NULL;
}

/* reads the state file into conf; a missing one holds no clients */
static void
state_read(struct meshd_conf *conf)
{
	struct conc_conf	*cc = conf->conc;
	struct conc_client	 c;
	FILE			*f;
	char			 buf[STATE_LINE_MAX], at[PATH_MAX + 16];
	const char		*why;
	size_t			 len;
	int			 line = 0;

	if ((f = fopen(cc->state_file, "re")) == NULL) {
		if (errno != ENOENT)
			conf_error_at(cc->state_file, 0, "cannot read the "
			    "concentrator's clients: %s", strerror(errno));
		return;
	}
	while (fgets(buf, sizeof(buf), f) != NULL) {
		line++;
		len = strlen(buf);
		if (len > 0 && buf[len - 1] == '\n')
			buf[--len] = '\0';
		else if (!feof(f)) {
			conf_error_at(cc->state_file, line, "line too long");
			break;
		}
		if (buf[strspn(buf, " \t")] == '\0' || buf[0] == '#')
			continue;
		if ((why = conc_state_line(buf, &c)) == NULL)
			why = state_client_check(conf, &c);
		if (why != NULL) {
			/* a client the config leaves no room for is lost:
			   say so, but start */
			blk_warn_at(cc->state_file, line, "client skipped: %s",
			    why);
			continue;
		}
		if (cc->nclients >= CONC_CLIENTS_MAX) {
			conf_error_at(cc->state_file, line, "more than %d "
			    "clients", CONC_CLIENTS_MAX);
			break;
		}
		(void)snprintf(at, sizeof(at), "%s:%d", cc->state_file, line);
		conc_client_push(cc, &c);
		(void)conc_client_peer(conf, &c, at);
	}
	if (ferror(f))
		conf_error_at(cc->state_file, 0, "read error");
	fclose(f);
}

/*
 * In a mesh, the pool is a route of this node: the certificate must allow
 * it, and with announce lines it is announced as well (all the
 * certificate's routes are, without any).
 */
static void
conc_announce(struct meshd_conf *conf)
{
	struct conc_conf	*cc = conf->conc;
	struct mesh_conf	*m = &conf->mesh;
	char			 buf[64];
	size_t			 i, j;

	if (!conf->has_mesh || m->cert == NULL)
		return;
	for (i = 0; i < cc->npool; i++) {
		(void)mesh_prefix_ntop(&cc->pool[i], buf, sizeof(buf));
		for (j = 0; j < m->c.nroutes; j++)
			if (conc_prefix_inside(&cc->pool[i], &m->c.routes[j]))
				break;
		if (j == m->c.nroutes) {
			blk_warn_at(cc->fname, cc->line, "serve concentrator: "
			    "address-pool %s is not inside a route of the "
			    "certificate-file \"%s\" (meshctl sign -r %s): the "
			    "mesh will not route it to this node, its clients "
			    "reach this node only", buf, m->cert_file, buf);
			continue;
		}
		if (m->nannounce == 0)
			continue;
		for (j = 0; j < m->nannounce; j++)
			if (conc_prefix_inside(&cc->pool[i], &m->announce[j]))
				break;
		if (j < m->nannounce)
			continue;
		/* the members take up to 8, each inside the routes */
		if (m->nannounce >= MESH_CERT_ROUTES) {
			blk_warn_at(cc->fname, cc->line, "serve concentrator: "
			    "no room to announce address-pool %s beside the "
			    "announce lines: the mesh will not route it to "
			    "this node", buf);
			continue;
		}
		m->announce_line[m->nannounce] = cc->line;
		m->announce[m->nannounce++] = cc->pool[i];
		cc->announced++;
	}
}

void
conc_conf_load(struct meshd_conf *conf)
{
	struct conc_conf	*cc = conf->conc;
	struct peer_conf	*p;
	const char		*dir;
	char			 buf[64];
	size_t			 i, j;

	if (cc == NULL)
		return;
	if (cc->npool == 0) {
		conf_error_at(cc->fname, cc->line, "serve concentrator: "
		    "address-pool is missing (e.g. address-pool "
		    "100.64.200.0/24, fd00:6d65:7368:c8::/64)");
		return;
	}
	/* a static peer inside the pool would take clients' addresses */
	TAILQ_FOREACH(p, &conf->peers, entry)
		for (i = 0; i < p->naips; i++)
			for (j = 0; j < cc->npool; j++)
				if (conc_prefix_overlap(&p->aips[i],
				    &cc->pool[j]) && p->aips[i].plen > 0)
					conf_error_at(cc->fname,
					    cc->line, "serve concentrator: "
					    "address-pool %s overlaps peer "
					    "\"%s\"'s allowed-ips %s",
					    mesh_prefix_ntop(&cc->pool[j], buf,
					    sizeof(buf)), p->name,
					    mesh_prefix_ntop(&p->aips[i],
					    buf + 32, sizeof(buf) - 32));
	conc_announce(conf);
	dir = conf->state_dir[0] != '\0' ? conf->state_dir :
	    CONC_STATE_DIR_DEFAULT;
	if ((size_t)snprintf(cc->state_file, sizeof(cc->state_file),
	    "%s/%s.clients", dir, conf->iface.name) >= sizeof(cc->state_file)) {
		conf_error_at(cc->fname, cc->line, "state-directory "
		    "\"%s\": name too long", dir);
		return;
	}
	state_read(conf);
}

/* the state file of conf, written whole: a new file, synced, renamed */
int
conc_state_write(const struct meshd_conf *conf, char *err, size_t errlen)
{
	const struct conc_conf	*cc = conf->conc;
	const struct conc_client *c;
	char			 tmp[PATH_MAX], key[WG_KEY_B64_LEN + 1];
	char			 a[64];
	const char		*dir;
	FILE			*f;
	size_t			 i, j;
	int			 fd = -1, saved;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", cc->state_file) >=
	    sizeof(tmp)) {
		snprintf(err, errlen, "%s: name too long", cc->state_file);
		return -1;
	}
	/* the directory is made on first use, for root only */
	dir = conf->state_dir[0] != '\0' ? conf->state_dir :
	    CONC_STATE_DIR_DEFAULT;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		saved = errno;
		if (fd != -1)
			close(fd);
		snprintf(err, errlen, "%s: %s", tmp, strerror(saved));
		return -1;
	}
	fprintf(f, "# the clients of serve concentrator on %s, kept by "
	    "meshd: use meshctl client\n", conf->iface.name);
	for (i = 0; i < cc->nclients; i++) {
		c = &cc->clients[i];
		wg_key_to_base64(key, c->pubkey);
		fprintf(f, "client \"%s\" key %s", c->name, key);
		for (j = 0; j < c->naddrs; j++) {
			(void)mesh_prefix_ntop(&c->addrs[j], a, sizeof(a));
			a[strcspn(a, "/")] = '\0';
			fprintf(f, " address %s", a);
		}
		fprintf(f, " added %lld\n", (long long)c->added);
	}
	if (fflush(f) == EOF || ferror(f) || fsync(fileno(f)) == -1) {
		saved = errno;
		fclose(f);
		unlink(tmp);
		snprintf(err, errlen, "%s: %s", tmp, strerror(saved));
		return -1;
	}
	if (fclose(f) == EOF || rename(tmp, cc->state_file) == -1) {
		saved = errno;
		unlink(tmp);
		snprintf(err, errlen, "%s: %s", cc->state_file,
		    strerror(saved));
		return -1;
	}
	return 0;
}

static void *
dup_bytes(const void *p, size_t n)
{
	void	*q;

	if (p == NULL || n == 0)
		return NULL;
	if ((q = malloc(n)) == NULL)
		fatal("%s", __func__);
	memcpy(q, p, n);
	return q;
}

static char *
dup_str(const char *s)
{
	char	*d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		fatal("%s", __func__);
	return d;
}

static void
dup_mesh(struct mesh_conf *d, const struct mesh_conf *s)
{
	d->cert_at = dup_str(s->cert_at);
	d->cert = dup_bytes(s->cert, s->certlen);
	d->crl_at = dup_str(s->crl_at);
	d->crl = dup_bytes(s->crl, s->crllen);
	/* the list's fingerprints point into its buffer */
	if (s->l.fps != NULL && s->crl != NULL && d->crl != NULL)
		d->l.fps = d->crl + (s->l.fps - s->crl);
}

/*
 * Every pointer the config owns is copied: free_config() of either
 * leaves the other whole.  A new pointer in struct meshd_conf needs its
 * line here.
 */
struct meshd_conf *
conc_conf_dup(const struct meshd_conf *s)
{
	struct meshd_conf	*d;
	struct peer_conf	*p, *q;

	if ((d = malloc(sizeof(*d))) == NULL)
		fatal("%s", __func__);
	memcpy(d, s, sizeof(*d));
	TAILQ_INIT(&d->peers);
	TAILQ_FOREACH(p, &s->peers, entry) {
		if ((q = malloc(sizeof(*q))) == NULL)
			fatal("%s", __func__);
		memcpy(q, p, sizeof(*q));
		q->aips = dup_bytes(p->aips, p->naips * sizeof(*p->aips));
		q->pubkey_at = dup_str(p->pubkey_at);
		q->psk_at = dup_str(p->psk_at);
		TAILQ_INSERT_TAIL(&d->peers, q, entry);
	}
	if (s->has_mesh)
		dup_mesh(&d->mesh, &s->mesh);
	if (s->filter != NULL) {
		d->filter = dup_bytes(s->filter, sizeof(*s->filter));
		d->filter->rules = dup_bytes(s->filter->rules,
		    s->filter->nrules * sizeof(*s->filter->rules));
	}
	if (s->conc != NULL) {
		d->conc = dup_bytes(s->conc, sizeof(*s->conc));
		d->conc->clients = dup_bytes(s->conc->clients,
		    s->conc->nclients * sizeof(*s->conc->clients));
	}
	return d;
}

/* the serve concentrator block inside interface { }, for meshd -nv */
void
conc_print(FILE *f, const struct conc_conf *cc)
{
	char	buf[64];
	size_t	i;

	if (cc == NULL)
		return;
	fprintf(f, "\tserve concentrator {\n\t\taddress-pool ");
	for (i = 0; i < cc->npool; i++)
		fprintf(f, "%s%s", i > 0 ? ", " : "",
		    mesh_prefix_ntop(&cc->pool[i], buf, sizeof(buf)));
	fprintf(f, "\n");
	if (cc->endpoint[0] != '\0')
		fprintf(f, "\t\tendpoint \"%s\"\n", cc->endpoint);
	fprintf(f, "\t}\n");
}
