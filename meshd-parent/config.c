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
 * What the rest of the parent does with a parsed configuration: free it
 * and find peers in it.  And the checks on its meaning that parse.y makes
 * as it reads: values (numbers, names, endpoints), key-file permissions,
 * a peer name or public key given twice, allowed-ips repeated in a peer
 * or given to two peers.  parse.y keeps the grammar and the messages:
 * these report through its conf_error() and blk_error() families, which
 * name the file and line.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/tree.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "concentrator.h"
#include "config.h"
#include "filterconf.h"
#include "log.h"

#define USER_NAME_MAX		32
/* an armored certificate or list with text around it: generous */
#define MESH_FILE_MAX		(256 * 1024)

/*
 * Where each finished peer was, for messages about two peers; indexed by
 * name and by public key, so that 10,000 peers check in O(n log n).
 */
struct peer_loc {
	TAILQ_ENTRY(peer_loc)	 entry;
	RB_ENTRY(peer_loc)	 by_name;
	RB_ENTRY(peer_loc)	 by_key;
	struct peer_conf	*peer;
	const char		*fname;
	int			 line;
	int			 key_ok;
};
static TAILQ_HEAD(, peer_loc)	 peer_locs = TAILQ_HEAD_INITIALIZER(peer_locs);
RB_HEAD(peer_name_tree, peer_loc);
RB_HEAD(peer_key_tree, peer_loc);
static struct peer_name_tree	 peer_names_idx = RB_INITIALIZER(&peer_names_idx);
static struct peer_key_tree	 peer_keys_idx = RB_INITIALIZER(&peer_keys_idx);

static int
peer_name_cmp(struct peer_loc *a, struct peer_loc *b)
{
	return strcmp(a->peer->name, b->peer->name);
}

/* public keys are not secret: an ordinary comparison is fine */
static int
peer_key_cmp(struct peer_loc *a, struct peer_loc *b)
{
	return memcmp(a->peer->pubkey, b->peer->pubkey, WG_KEY_LEN);
}

#ifndef __unused
#define __unused	__attribute__((__unused__))	/* RB_GENERATE_STATIC */
#endif
RB_GENERATE_STATIC(peer_name_tree, peer_loc, by_name, peer_name_cmp)
RB_GENERATE_STATIC(peer_key_tree, peer_loc, by_key, peer_key_cmp)


/*
 * Every allowed-ips entry with where it was written, in file order: a
 * peer's entries are checked for repeats at the end of its block, a
 * prefix given to two peers once at the end, each sorted, in O(n log n)
 * (one peer may hold 130,560 prefixes, as WireGuard's own test has it).
 * Entries of the block being read start at aip_first and match
 * aip_peer->aips one for one.
 */
struct aip_loc {
	struct mesh_prefix	 pfx;
	size_t			 seq;		/* order in the files */
	size_t			 peer;		/* index into peer_names */
	const char		*fname;
	int			 line;
};
static struct aip_loc		*aip_locs;
static size_t			 naip_locs, aip_locs_max;
static struct peer_conf		*aip_peer;	/* owner of aip_first.. */
static size_t			 aip_first, aip_peer_max;
static int			 aip_nomem;	/* reported once a parse */
static char			**peer_names;
static size_t			 npeer_names, peer_names_max;


void
free_config(struct meshd_conf *conf)
{
	struct peer_conf	*p;

	if (conf == NULL)
		return;
	while ((p = TAILQ_FIRST(&conf->peers)) != NULL) {
		TAILQ_REMOVE(&conf->peers, p, entry);
		config_peer_free(p);
		free(p);
	}
	if (conf->has_mesh)
		config_mesh_free(&conf->mesh);
	filter_conf_free(conf->filter);
	conc_conf_free(conf->conc);
	free(conf);
}

void
config_peer_free(struct peer_conf *p)
{
	free(p->aips);
	free(p->pubkey_at);
	free(p->psk_at);
	free(p->psk_file);
	free(p->ssh);
	p->aips = NULL;
	p->pubkey_at = p->psk_at = p->psk_file = NULL;
	p->ssh = NULL;
}

int
config_peer_has_ssh(const struct peer_conf *p)
{
	return p->ssh != NULL && p->ssh->target[0] != '\0';
}

void
config_mesh_free(struct mesh_conf *m)
{
	free(m->cert_at);
	free(m->cert);
	free(m->crl_at);
	free(m->crl);
	memset(m, 0, sizeof(*m));
}

/* the peer with this name, or NULL */
struct peer_conf *
config_find_peer_name(struct meshd_conf *conf, const char *name)
{
	struct peer_conf	*p;

	TAILQ_FOREACH(p, &conf->peers, entry)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

/* forgets the peers and allowed-ips of the last parse */
void
config_checks_reset(void)
{
	struct peer_loc	*loc;
	size_t		 i;

	RB_INIT(&peer_names_idx);
	RB_INIT(&peer_keys_idx);
	while ((loc = TAILQ_FIRST(&peer_locs)) != NULL) {
		TAILQ_REMOVE(&peer_locs, loc, entry);
		free(loc);
	}
	free(aip_locs);
	aip_locs = NULL;
	naip_locs = aip_locs_max = 0;
	aip_peer = NULL;
	aip_first = aip_peer_max = 0;
	aip_nomem = 0;
	for (i = 0; i < npeer_names; i++)
		free(peer_names[i]);
	free(peer_names);
	peer_names = NULL;
	npeer_names = peer_names_max = 0;
}

/* digits only, min..max; 0 or -1 */
int
config_number(const char *s, long long min, long long max, long long *v)
{
	long long	n = 0;
	size_t		i, len = strlen(s);

	if (len == 0 || len > 10)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	if (n < min || n > max)
		return -1;
	*v = n;
	return 0;
}

/*
 * A key file must be a regular file of the user meshd runs as, with no
 * access for group or others.  Only lstat(2): the parent never reads it.
 */
void
config_check_keyfile(const char *path)
{
	struct stat	 sb;
	const char	*what = NULL;

	if (lstat(path, &sb) == -1) {
		conf_error("%s: %s", path, strerror(errno));
		return;
	}
	if (S_ISLNK(sb.st_mode)) {
		conf_error("%s: is a symbolic link, name the file itself",
		    path);
		return;
	}
	if (!S_ISREG(sb.st_mode)) {
		conf_error("%s: not a regular file", path);
		return;
	}
	if (sb.st_uid != geteuid())
		conf_error("%s: owned by uid %u, must be owned by uid %u "
		    "(chown it)", path, (unsigned int)sb.st_uid,
		    (unsigned int)geteuid());
	if (sb.st_mode & (S_IRGRP | S_IROTH))
		what = "readable";
	else if (sb.st_mode & (S_IWGRP | S_IWOTH))
		what = "writable";
	else if (sb.st_mode & (S_IXGRP | S_IXOTH))
		what = "accessible";
	if (what != NULL)
		conf_error("%s: %s by group or others (mode %04o), chmod 600 "
		    "it", path, what, (unsigned int)(sb.st_mode & 07777));
}

/* 1 if s will do as an interface name */
int
config_valid_ifname(const char *s)
{
	size_t	len = strlen(s);

	if (len == 0 || len >= MESH_IFNAME_MAX || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("_.-", *s) == NULL)
			return 0;
	return 1;
}

/* 1 if s is a user name as useradd(8) takes it */
int
config_valid_user(const char *s)
{
	const char	*p;

	if (*s == '\0' || *s == '-' || strlen(s) > USER_NAME_MAX)
		return 0;
	for (p = s; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("_.-", *p) == NULL &&
		    !(*p == '$' && p[1] == '\0'))
			return 0;
	return 1;
}

static const char *
peer_kind(const struct peer_conf *p)
{
	return p->coordinator ? "coordinator" : "peer";
}

/*
 * A new peer block (or a mesh's coordinator block: coordinators are
 * peers): its name is valid and taken by no other.  Every name, valid or
 * not, is kept for the allowed-ips messages.
 */
void
config_peer_name(const char *name, int coordinator)
{
	const char		*what = coordinator ? "coordinator" : "peer";
	struct peer_loc		*loc, key;
	struct peer_conf	 kp;
	const char		*p;

	if (npeer_names == peer_names_max) {
		peer_names_max = peer_names_max ? peer_names_max * 2 : 64;
		if ((peer_names = reallocarray(peer_names, peer_names_max,
		    sizeof(*peer_names))) == NULL)
			fatal("%s", __func__);
	}
	if ((peer_names[npeer_names++] = strdup(name)) == NULL)
		fatal("%s", __func__);
	for (p = name; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			break;
	if (*name == '\0' || *p != '\0' || strlen(name) >= MESH_NAME_MAX) {
		conf_error("%s name \"%s\" must be 1 to %d printable "
		    "characters", what, name, MESH_NAME_MAX - 1);
		return;
	}
	(void)strlcpy(kp.name, name, sizeof(kp.name));
	key.peer = &kp;
	if ((loc = RB_FIND(peer_name_tree, &peer_names_idx, &key)) == NULL)
		return;
	if (loc->peer->coordinator == coordinator)
		conf_error("%s \"%s\" is defined twice (first at %s:%d)",
		    what, name, loc->fname, loc->line);
	else
		conf_error("%s \"%s\": the name is taken by %s \"%s\" at "
		    "%s:%d", what, name, peer_kind(loc->peer), name,
		    loc->fname, loc->line);
}

/* the public key of the peer being read is not another peer's */
void
config_peer_key(struct peer_conf *p)
{
	struct peer_loc	*loc, key;

	key.peer = p;
	if ((loc = RB_FIND(peer_key_tree, &peer_keys_idx, &key)) != NULL)
		blk_error("public-key is the same as %s \"%s\"'s",
		    peer_kind(loc->peer), loc->peer->name);
}

/* a finished peer block, at fname:line; key_ok: its public-key is valid */
void
config_peer_end(struct peer_conf *p, const char *fname, int line,
    int key_ok)
{
	struct peer_loc	*loc;

	if ((loc = calloc(1, sizeof(*loc))) == NULL)
		fatal("%s", __func__);
	loc->peer = p;
	loc->fname = fname;
	loc->line = line;
	loc->key_ok = key_ok;
	TAILQ_INSERT_TAIL(&peer_locs, loc, entry);
	/* the first of a name or key stays in the index */
	(void)RB_INSERT(peer_name_tree, &peer_names_idx, loc);
	if (loc->key_ok)
		(void)RB_INSERT(peer_key_tree, &peer_keys_idx, loc);
}

static int
all_digits_and_dots(const char *s)
{
	return strspn(s, "0123456789.") == strlen(s);
}

/* a host name and port: its first address, or getaddrinfo's error */
static int
endpoint_lookup(const char *h, const char *port, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	struct addrinfo	 hints, *res;
	int		 error;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((error = getaddrinfo(h, port, &hints, &res)) != 0)
		return error;
	if (res->ai_addrlen > sizeof(*ss)) {
		freeaddrinfo(res);
		return EAI_FAMILY;
	}
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/*
 * Resolves an endpoint "host:port" that config_endpoint() accepted as a
 * host name again (resolve.c): 0, or getaddrinfo's error.
 */
int
config_endpoint_resolve(const char *s, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	char	host[MESH_ENDPOINT_MAX], *port, *h = host;
	size_t	n;

	if (strlcpy(host, s, sizeof(host)) >= sizeof(host) ||
	    (port = strrchr(host, ':')) == NULL)
		return EAI_NONAME;
	*port++ = '\0';
	/* "[v6addr]:port": getaddrinfo(3) wants the address bare */
	if (h[0] == '[' && (n = strlen(h)) > 2 && h[n - 1] == ']') {
		h[n - 1] = '\0';
		h++;
	}
	return endpoint_lookup(h, port, ss, sslen);
}

/*
 * "a.b.c.d:port", "[v6addr]:port" or "host:port"; a host name is
 * resolved now, the first address wins.  A name that does not resolve
 * leaves the peer without an endpoint, with a warning; the parent tries
 * it again every resolve-interval (resolve.c).
 */
void
config_endpoint_kw(struct peer_conf *p, const char *s, const char *kw)
{
	struct addrinfo		 hints, *res;
	struct in_addr		 in4;
	char			 host[MESH_ENDPOINT_MAX], *port, *end, *h;
	long long		 n;
	int			 error, bracketed = 0;

	if (strlcpy(host, s, sizeof(host)) >= sizeof(host)) {
		blk_error("%s \"%s\" is too long", kw, s);
		return;
	}
	h = host;
	if (host[0] == '[') {
		if ((end = strchr(host, ']')) == NULL || end[1] != ':')
			goto form;
		*end = '\0';
		h = host + 1;
		port = end + 2;
		bracketed = 1;
	} else {
		if ((port = strrchr(host, ':')) == NULL)
			goto form;
		*port++ = '\0';
		if (strchr(host, ':') != NULL) {
			blk_error("%s \"%s\": write an IPv6 address in "
			    "brackets, as in [fd00::1]:51820", kw, s);
			return;
		}
	}
	if (*h == '\0')
		goto form;
	if (config_number(port, 1, 65535, &n) == -1) {
		blk_error("%s \"%s\": the port must be a number from 1 "
		    "to 65535", kw, s);
		return;
	}
	if (!bracketed && all_digits_and_dots(h) &&
	    inet_pton(AF_INET, h, &in4) != 1) {
		blk_error("%s \"%s\": \"%s\" is not an IPv4 address", kw, s,
		    h);
		return;
	}

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = bracketed ? AF_INET6 : AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	error = getaddrinfo(h, port, &hints, &res);
	if (error != 0 && bracketed) {
		blk_error("%s \"%s\": \"%s\" is not an IPv6 address", kw, s,
		    h);
		return;
	}
	/* only a peer's endpoint is looked up again later */
	if (error == EAI_NONAME && strcmp(kw, "endpoint") != 0) {
		error = endpoint_lookup(h, port, &p->endpoint,
		    &p->endpoint_len);
		if (error != 0) {
			blk_error("cannot resolve %s \"%s\": %s", kw, s,
			    gai_strerror(error));
			return;
		}
		(void)strlcpy(p->endpoint_str, s, sizeof(p->endpoint_str));
		return;
	}
	if (error == EAI_NONAME) {
		(void)strlcpy(p->endpoint_str, s, sizeof(p->endpoint_str));
		p->endpoint_name = 1;
		if ((error = endpoint_lookup(h, port, &p->endpoint,
		    &p->endpoint_len)) != 0) {
			memset(&p->endpoint, 0, sizeof(p->endpoint));
			p->endpoint_len = 0;
			blk_warn("cannot resolve endpoint \"%s\": %s; the "
			    "peer has no endpoint until it resolves", s,
			    gai_strerror(error));
		}
		return;
	}
	if (error != 0) {
		blk_error("cannot resolve %s \"%s\": %s", kw, s,
		    gai_strerror(error));
		return;
	}
	if (res->ai_addrlen > sizeof(p->endpoint)) {
		freeaddrinfo(res);
		blk_error("%s \"%s\": address too long", kw, s);
		return;
	}
	memcpy(&p->endpoint, res->ai_addr, res->ai_addrlen);
	p->endpoint_len = res->ai_addrlen;
	freeaddrinfo(res);
	(void)strlcpy(p->endpoint_str, s, sizeof(p->endpoint_str));
	return;
 form:
	blk_error("%s \"%s\" must be host:port, a.b.c.d:port or "
	    "[v6addr]:port", kw, s);
}

void
config_endpoint(struct peer_conf *p, const char *s)
{
	config_endpoint_kw(p, s, "endpoint");
}

/* room for one more entry in the peer's aips and in aip_locs */
static int
aip_reserve(struct peer_conf *p)
{
	struct mesh_prefix	*na;
	struct aip_loc		*nl;
	size_t			 max;

	if (aip_peer != p || p->naips == 0) {
		/* the first entry of this block */
		aip_peer = p;
		aip_first = naip_locs;
		aip_peer_max = p->naips;
	}
	if (p->naips == aip_peer_max) {
		max = aip_peer_max < 16 ? 16 : aip_peer_max * 2;
		if (max > UINT32_MAX)	/* a peer's count travels as 32 bits */
			max = UINT32_MAX;
		if (max == aip_peer_max ||
		    (na = reallocarray(p->aips, max, sizeof(*na))) == NULL)
			return -1;
		p->aips = na;
		aip_peer_max = max;
	}
	if (naip_locs == aip_locs_max) {
		max = aip_locs_max ? aip_locs_max * 2 : 256;
		if ((nl = reallocarray(aip_locs, max, sizeof(*nl))) == NULL)
			return -1;
		aip_locs = nl;
		aip_locs_max = max;
	}
	return 0;
}

/* an allowed-ips entry of peer p, written at fname:line */
void
config_aip(struct peer_conf *p, const char *s, const char *fname, int line)
{
	struct mesh_prefix	 pfx;
	struct aip_loc		*l;
	char			 buf[64];

	if (mesh_prefix_pton(s, &pfx) == -1) {
		blk_error("bad allowed-ips prefix \"%s\": expected an IPv4 or "
		    "IPv6 address with an optional /length", s);
		return;
	}
	if (mesh_prefix_mask(&pfx))
		blk_warn("allowed-ips %s has host bits set, using %s", s,
		    mesh_prefix_ntop(&pfx, buf, sizeof(buf)));
	if (aip_reserve(p) == -1) {
		/* memory is the only bound: said once, not every line */
		if (!aip_nomem)
			blk_error("out of memory after %zu allowed-ips",
			    p->naips);
		aip_nomem = 1;
		return;
	}
	p->aips[p->naips++] = pfx;
	l = &aip_locs[naip_locs];
	l->pfx = pfx;
	l->seq = naip_locs;
	l->peer = npeer_names - 1;
	l->fname = fname;
	l->line = line;
	naip_locs++;
}

/* by family, then address, then length, then file order */
static int
aip_loc_cmp(const void *va, const void *vb)
{
	const struct aip_loc	*a = va, *b = vb;
	int			 c;

	if (a->pfx.af != b->pfx.af)
		return a->pfx.af < b->pfx.af ? -1 : 1;
	if ((c = memcmp(a->pfx.addr, b->pfx.addr, sizeof(a->pfx.addr))) != 0)
		return c;
	if (a->pfx.plen != b->pfx.plen)
		return a->pfx.plen < b->pfx.plen ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int
aip_same(const struct aip_loc *a, const struct aip_loc *b)
{
	return a->pfx.af == b->pfx.af && a->pfx.plen == b->pfx.plen &&
	    memcmp(a->pfx.addr, b->pfx.addr, sizeof(a->pfx.addr)) == 0;
}

/* n entries from v, sorted by aip_loc_cmp, in new memory */
static struct aip_loc *
aip_sorted(const struct aip_loc *v, size_t n)
{
	struct aip_loc	*c;

	if ((c = reallocarray(NULL, n, sizeof(*c))) == NULL)
		fatal("%s", __func__);
	memcpy(c, v, n * sizeof(*c));
	qsort(c, n, sizeof(*c), aip_loc_cmp);
	return c;
}

static int
size_cmp(const void *va, const void *vb)
{
	const size_t	*a = va, *b = vb;

	return *a < *b ? -1 : *a > *b;
}

/* keeps the entries of the block but those whose seq is in drop (sorted) */
static void
aip_drop(struct peer_conf *p, const size_t *drop, size_t ndrop)
{
	size_t	i, j = aip_first, k = 0;

	for (i = aip_first; i < naip_locs; i++) {
		if (k < ndrop && drop[k] == i) {
			k++;
			continue;
		}
		p->aips[j - aip_first] = p->aips[i - aip_first];
		aip_locs[j] = aip_locs[i];
		aip_locs[j].seq = j;
		j++;
	}
	naip_locs = j;
	p->naips = j - aip_first;
}

/*
 * The end of a peer block: a prefix the peer lists again is a warning,
 * at each repeat, and is kept once.  Sorted, so O(n log n).
 */
void
config_aips_end(struct peer_conf *p)
{
	struct aip_loc		*v, *l;
	struct mesh_prefix	*na;
	size_t			*drop, ndrop = 0, n, i;
	char			 buf[64];

	/*
	 * The room aip_reserve() made (16 at least) shrinks to what the
	 * block has: most peers have one or two, and 10,000 peers kept
	 * 3 MiB of room for prefixes they never had
	 */
	if (p != NULL && aip_peer == p && p->naips > 0 &&
	    p->naips < aip_peer_max &&
	    (na = reallocarray(p->aips, p->naips, sizeof(*na))) != NULL) {
		p->aips = na;
		aip_peer_max = p->naips;
	}
	if (p == NULL || aip_peer != p || p->naips < 2) {
		aip_peer = NULL;
		return;
	}
	n = p->naips;
	v = aip_sorted(aip_locs + aip_first, n);
	if ((drop = reallocarray(NULL, n, sizeof(*drop))) == NULL)
		fatal("%s", __func__);
	for (i = 1; i < n; i++)
		if (aip_same(&v[i - 1], &v[i]))
			drop[ndrop++] = v[i].seq;
	qsort(drop, ndrop, sizeof(*drop), size_cmp);
	for (i = 0; i < ndrop; i++) {
		l = &aip_locs[drop[i]];
		blk_warn_at(l->fname, l->line, "allowed-ips %s listed twice",
		    mesh_prefix_ntop(&l->pfx, buf, sizeof(buf)));
	}
	if (ndrop > 0)
		aip_drop(p, drop, ndrop);
	free(v);
	free(drop);
	aip_peer = NULL;
}

/* a prefix given to two peers: this entry and the first that had it */
struct aip_shared {
	size_t	seq;
	size_t	first;
};

static int
aip_shared_cmp(const void *va, const void *vb)
{
	const struct aip_shared	*a = va, *b = vb;

	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

#define AIP_SHARED_SHOWN	10	/* then one line for the rest */

/*
 * Allowed-ips of two peers may overlap (the longest prefix wins, as in
 * WireGuard) but the same prefix may not go to two peers: each entry that
 * repeats another peer's is an error at its file and line, naming the
 * first peer that had it, in file order; after AIP_SHARED_SHOWN of them
 * one more line counts the rest.
 */
void
config_aips_shared(void)
{
	struct aip_loc		*v, *r, *q;
	struct aip_shared	*bad;
	size_t			 nbad = 0, head = 0, i;
	char			 buf[64];

	if (naip_locs < 2)
		return;
	v = aip_sorted(aip_locs, naip_locs);
	if ((bad = reallocarray(NULL, naip_locs, sizeof(*bad))) == NULL)
		fatal("%s", __func__);
	for (i = 1; i < naip_locs; i++) {
		if (!aip_same(&v[head], &v[i]))
			head = i;
		else if (v[i].peer != v[head].peer) {
			bad[nbad].seq = v[i].seq;
			bad[nbad++].first = v[head].seq;
		}
	}
	qsort(bad, nbad, sizeof(*bad), aip_shared_cmp);
	for (i = 0; i < nbad && i < AIP_SHARED_SHOWN; i++) {
		r = &aip_locs[bad[i].seq];
		q = &aip_locs[bad[i].first];
		conf_error_at(r->fname, r->line, "peer \"%s\": allowed-ips %s "
		    "is also given to peer \"%s\" at %s:%d",
		    peer_names[r->peer],
		    mesh_prefix_ntop(&r->pfx, buf, sizeof(buf)),
		    peer_names[q->peer], q->fname, q->line);
	}
	if (nbad > AIP_SHARED_SHOWN) {
		r = &aip_locs[bad[i].seq];
		conf_error_at(r->fname, r->line, "and %zu more allowed-ips "
		    "given to two peers", nbad - AIP_SHARED_SHOWN);
	}
	free(v);
	free(bad);
}

/*
 * A mesh file (a certificate or a revocation list: public data, so only
 * readable is asked of it) into a new NUL-terminated buffer.  fopen, as
 * parse.y opens config files (fuzz/config.c confines both).  0, or -1
 * and why in err.
 */
static int
mesh_file_read(const char *path, char **text, size_t *len, char *err,
    size_t errlen)
{
	struct stat	 sb;
	FILE		*f;
	char		*buf;
	size_t		 got;

	if ((f = fopen(path, "re")) == NULL) {
		(void)strlcpy(err, strerror(errno), errlen);
		return -1;
	}
	if (fstat(fileno(f), &sb) == -1 || !S_ISREG(sb.st_mode)) {
		(void)strlcpy(err, "not a regular file", errlen);
		fclose(f);
		return -1;
	}
	if (sb.st_size > MESH_FILE_MAX) {
		(void)snprintf(err, errlen, "too large (%lld bytes, at most "
		    "%d)", (long long)sb.st_size, MESH_FILE_MAX);
		fclose(f);
		return -1;
	}
	if ((buf = malloc(MESH_FILE_MAX + 1)) == NULL)
		fatal("%s", __func__);
	got = fread(buf, 1, MESH_FILE_MAX, f);
	if (ferror(f)) {
		(void)strlcpy(err, strerror(errno), errlen);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	buf[got] = '\0';
	*text = buf;
	*len = got;
	return 0;
}

/* a certificate's time as "2026-12-06 06:00:00 UTC" */
static const char *
mesh_time(int64_t t, char *buf, size_t len)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		(void)snprintf(buf, len, "%lld", (long long)t);
	return buf;
}

/*
 * The mesh's certificate-file: an armored certificate of this mesh,
 * signed by its ca, valid now.  Its key is checked against ours once
 * meshd-crypto has told it (keys.c).
 */
void
config_mesh_cert(struct mesh_conf *m, int ca_ok, int line)
{
	struct mesh_cert	 c;
	uint8_t			 buf[CERT_MAX];
	char			*text, err[128], t1[64];
	const char		*why, *f = m->cert_file;
	size_t			 tlen, len;
	time_t			 now;

	if (mesh_file_read(f, &text, &tlen, err, sizeof(err)) == -1) {
		blk_error_at(line, "certificate-file \"%s\": %s", f, err);
		return;
	}
	if (armor_decode(text, tlen, ARMOR_CERT, buf, sizeof(buf), &len,
	    &why) == -1) {
		free(text);
		blk_error_at(line, "certificate-file \"%s\": %s", f, why);
		return;
	}
	free(text);
	if (cert_parse(buf, len, &c, &why) == -1) {
		blk_error_at(line, "certificate-file \"%s\": not a valid "
		    "certificate: %s", f, why);
		return;
	}
	if (ca_ok && cert_sig_verify(buf, len, c.bodylen, m->ca) == -1) {
		blk_error_at(line, "certificate-file \"%s\": not signed by "
		    "this mesh's ca", f);
		return;
	}
	if (strcmp(c.mesh, m->name) != 0) {
		blk_error_at(line, "certificate-file \"%s\": it is for mesh "
		    "\"%s\"", f, c.mesh);
		return;
	}
	now = time(NULL);
	if (now < c.not_before) {
		blk_error_at(line, "certificate-file \"%s\": not valid before "
		    "%s", f, mesh_time(c.not_before, t1, sizeof(t1)));
		return;
	}
	if (now >= c.not_after) {
		blk_error_at(line, "certificate-file \"%s\": expired on %s", f,
		    mesh_time(c.not_after, t1, sizeof(t1)));
		return;
	}
	if ((m->cert = malloc(len)) == NULL)
		fatal("%s", __func__);
	memcpy(m->cert, buf, len);
	m->certlen = len;
	m->c = c;
}

/*
 * The mesh's revocation-file: an armored list of this mesh, signed by its
 * ca, that does not revoke our own certificate.
 */
void
config_mesh_crl(struct mesh_conf *m, int ca_ok, int line)
{
	struct mesh_crl	 l;
	uint8_t		*buf, fp[CERT_FP_LEN];
	char		*text, err[128];
	const char	*why, *f = m->crl_file;
	size_t		 tlen, len;

	if (mesh_file_read(f, &text, &tlen, err, sizeof(err)) == -1) {
		blk_error_at(line, "revocation-file \"%s\": %s", f, err);
		return;
	}
	if ((buf = malloc(CRL_MAX)) == NULL)
		fatal("%s", __func__);
	if (armor_decode(text, tlen, ARMOR_CRL, buf, CRL_MAX, &len,
	    &why) == -1) {
		blk_error_at(line, "revocation-file \"%s\": %s", f, why);
		goto fail;
	}
	if (crl_parse(buf, len, &l, &why) == -1) {
		blk_error_at(line, "revocation-file \"%s\": not a valid "
		    "revocation list: %s", f, why);
		goto fail;
	}
	if (ca_ok && cert_sig_verify(buf, len, l.bodylen, m->ca) == -1) {
		blk_error_at(line, "revocation-file \"%s\": not signed by "
		    "this mesh's ca", f);
		goto fail;
	}
	if (strcmp(l.mesh, m->name) != 0) {
		blk_error_at(line, "revocation-file \"%s\": it is for mesh "
		    "\"%s\"", f, l.mesh);
		goto fail;
	}
	if (m->certlen > 0) {
		cert_fingerprint(m->cert, m->certlen, fp);
		if (crl_contains(&l, fp)) {
			blk_error_at(line, "revocation-file \"%s\": it revokes "
			    "this node's own certificate (%s)", f,
			    m->cert_file);
			goto fail;
		}
	}
	free(text);
	m->crl = buf;
	m->crllen = len;
	m->l = l;		/* its fps point into buf */
	return;
 fail:
	free(text);
	free(buf);
}
