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
 * The set=1 operation of wg(8)'s cross-platform UAPI, as text in and a
 * struct uapi_set out: no state, no I/O, so it is a fuzz target
 * (fuzz/uapi.c) and unit-tested alone (regress/unit/uapi.c).  Keys,
 * values and error codes are those of wireguard-go, which wg(8) was
 * written against; unlike it, a bad line changes nothing at all (the
 * whole set is parsed before any of it is applied).
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uapi.h"

#define UAPI_LINE_MAX	512	/* a line longer than any valid one */

struct uapi_line {
	const char	*key;
	const char	*val;
	size_t		 lineno;
	char		 buf[UAPI_LINE_MAX];
};

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 64 hex digits to 32 bytes: 0, or -1 (out is zeroed) */
static int
parse_key(const char *s, uint8_t out[WG_KEY_LEN])
{
	size_t	i;
	int	hi, lo;

	if (strlen(s) != 2 * WG_KEY_LEN)
		goto bad;
	for (i = 0; i < WG_KEY_LEN; i++) {
		if ((hi = hexval(s[2 * i])) == -1 ||
		    (lo = hexval(s[2 * i + 1])) == -1)
			goto bad;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
 bad:
	explicit_bzero(out, WG_KEY_LEN);
	return -1;
}

/* decimal digits only, at most max: 0, or -1 */
static int
parse_uint(const char *s, unsigned long long max, unsigned long long *v)
{
	unsigned long long	n = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		n = n * 10 + (unsigned)(*s - '0');
		if (n > max)
			return -1;
	}
	*v = n;
	return 0;
}

/* "true" is the only value these keys take, as in wireguard-go */
static int
parse_true(const char *s)
{
	return strcmp(s, "true") == 0 ? 0 : -1;
}

static int
port_of(const char *s, in_port_t *port)
{
	unsigned long long	v;

	if (parse_uint(s, 65535, &v) == -1)
		return -1;
	*port = htons((uint16_t)v);
	return 0;
}

int
uapi_parse_endpoint(const char *s, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	char			 host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	const char		*colon, *end, *pct;
	size_t			 hlen;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL || end[1] != ':')
			return -1;
		colon = end + 1;
		s++;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		end = colon;
	}
	if ((hlen = end - s) == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (end == colon && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		*len = sizeof(*sin);
		return port_of(colon + 1, &sin->sin_port);
	}
	if (end == colon)
		return -1;
	/* a zone: "[fe80::1%eth0]:51820" */
	if ((pct = strchr(host, '%')) != NULL) {
		host[pct - host] = '\0';
		if ((sin6->sin6_scope_id = if_nametoindex(pct + 1)) == 0)
			return -1;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
		return -1;
	sin6->sin6_family = AF_INET6;
	*len = sizeof(*sin6);
	return port_of(colon + 1, &sin6->sin6_port);
}

/* "addr/len" (the length is required); host bits cleared */
static int
parse_prefix(const char *s, struct mesh_prefix *p)
{
	if (strchr(s, '/') == NULL || mesh_prefix_pton(s, p) == -1)
		return -1;
	(void)mesh_prefix_mask(p);
	return 0;
}

static int
fail(int code, char *err, size_t errlen, const struct uapi_line *l,
    const char *what)
{
	snprintf(err, errlen, "line %zu: %s%s%s", l->lineno, what,
	    l->key != NULL ? ": " : "", l->key != NULL ? l->key : "");
	return code;
}

static int
device_line(struct uapi_set *s, struct uapi_line *l, char *err,
    size_t errlen)
{
	unsigned long long	v;

	if (strcmp(l->key, "private_key") == 0) {
		if (parse_key(l->val, s->priv) == -1)
			return fail(UAPI_EINVAL, err, errlen, l, "bad key");
		s->has_priv = 1;
	} else if (strcmp(l->key, "listen_port") == 0) {
		if (parse_uint(l->val, 65535, &v) == -1)
			return fail(UAPI_EINVAL, err, errlen, l, "bad port");
		s->port = (uint16_t)v;
		s->has_port = 1;
	} else if (strcmp(l->key, "fwmark") == 0) {
		if (parse_uint(l->val, UINT32_MAX, &v) == -1)
			return fail(UAPI_EINVAL, err, errlen, l, "bad number");
		s->fwmark = (uint32_t)v;
		s->has_fwmark = 1;
	} else if (strcmp(l->key, "replace_peers") == 0) {
		if (parse_true(l->val) == -1)
			return fail(UAPI_EINVAL, err, errlen, l, "not true");
		/* the peers before it are gone too: drop them here */
		while (s->npeers > 0)
			free(s->peers[--s->npeers].aips);
		s->replace_peers = 1;
	} else
		return fail(UAPI_EINVAL, err, errlen, l, "unknown key");
	return 0;
}

static int
peer_add_aip(struct uapi_peer *p, const struct mesh_prefix *pfx)
{
	struct mesh_prefix	*na;
	size_t			 nmax;

	if (p->naips == p->maxaips) {
		nmax = p->maxaips == 0 ? 16 : p->maxaips * 2;
		if ((na = reallocarray(p->aips, nmax, sizeof(*na))) == NULL)
			return -1;
		p->aips = na;
		p->maxaips = nmax;
	}
	p->aips[p->naips++] = *pfx;
	return 0;
}

static int
peer_line(struct uapi_peer *p, struct uapi_line *l, char *err,
    size_t errlen)
{
	unsigned long long	v;
	struct mesh_prefix	pfx;

	if (strcmp(l->key, "update_only") == 0) {
		if (parse_true(l->val) == -1)
			return fail(UAPI_EINVAL, err, errlen, l, "not true");
		p->update_only = 1;
	} else if (strcmp(l->key, "remove") == 0) {
		if (parse_true(l->val) == -1)
			return fail(UAPI_EINVAL, err, errlen, l, "not true");
		p->remove = 1;
	} else if (strcmp(l->key, "replace_allowed_ips") == 0) {
		if (parse_true(l->val) == -1)
			return fail(UAPI_EINVAL, err, errlen, l, "not true");
		/* what came before it on this peer goes too */
		p->replace_aips = 1;
		p->naips = 0;
	} else if (strcmp(l->key, "preshared_key") == 0) {
		if (parse_key(l->val, p->psk) == -1)
			return fail(UAPI_EINVAL, err, errlen, l, "bad key");
		p->has_psk = 1;
	} else if (strcmp(l->key, "endpoint") == 0) {
		if (uapi_parse_endpoint(l->val, &p->endpoint,
		    &p->endpoint_len) == -1)
			return fail(UAPI_EINVAL, err, errlen, l,
			    "bad endpoint");
		p->has_endpoint = 1;
	} else if (strcmp(l->key, "persistent_keepalive_interval") == 0) {
		if (parse_uint(l->val, 65535, &v) == -1)
			return fail(UAPI_EINVAL, err, errlen, l, "bad number");
		p->keepalive = (uint16_t)v;
		p->has_keepalive = 1;
	} else if (strcmp(l->key, "allowed_ip") == 0) {
		if (parse_prefix(l->val, &pfx) == -1)
			return fail(UAPI_EINVAL, err, errlen, l, "bad prefix");
		if (peer_add_aip(p, &pfx) == -1)
			return fail(UAPI_EUNKNOWN, err, errlen, l,
			    "out of memory");
	} else if (strcmp(l->key, "protocol_version") == 0) {
		if (strcmp(l->val, "1") != 0)
			return fail(UAPI_EINVAL, err, errlen, l,
			    "unsupported protocol version");
	} else
		return fail(UAPI_EINVAL, err, errlen, l, "unknown key");
	return 0;
}

static int
new_peer(struct uapi_set *s, struct uapi_line *l, char *err, size_t errlen)
{
	struct uapi_peer	*np, *p;
	size_t			 nmax;

	if (s->npeers == s->maxpeers) {
		nmax = s->maxpeers == 0 ? 4 : s->maxpeers * 2;
		if ((np = reallocarray(s->peers, nmax, sizeof(*np))) == NULL)
			return fail(UAPI_EUNKNOWN, err, errlen, l,
			    "out of memory");
		s->peers = np;
		s->maxpeers = nmax;
	}
	p = &s->peers[s->npeers];
	memset(p, 0, sizeof(*p));
	if (parse_key(l->val, p->pubkey) == -1)
		return fail(UAPI_EINVAL, err, errlen, l, "bad key");
	s->npeers++;
	return 0;
}

/* the next line of buf[*off..len) into l: 1, or 0 at the end, or -1 */
static int
next_line(const char *buf, size_t len, size_t *off, struct uapi_line *l)
{
	const char	*nl, *eq;
	size_t		 n;

	if (*off >= len)
		return 0;
	l->lineno++;
	l->key = NULL;
	if ((nl = memchr(buf + *off, '\n', len - *off)) != NULL)
		n = nl - (buf + *off);
	else
		n = len - *off;
	if (n >= sizeof(l->buf) || memchr(buf + *off, '\0', n) != NULL)
		return -1;
	memcpy(l->buf, buf + *off, n);
	l->buf[n] = '\0';
	*off += n + (nl != NULL);
	if ((eq = strchr(l->buf, '=')) == NULL)
		return -1;
	l->buf[eq - l->buf] = '\0';
	l->key = l->buf;
	l->val = l->buf + (eq - l->buf) + 1;
	return 1;
}

int
uapi_parse_set(const char *buf, size_t len, struct uapi_set *s, char *err,
    size_t errlen)
{
	struct uapi_line	l;
	size_t			off = 0;
	int			r, rv = 0;

	memset(s, 0, sizeof(*s));
	memset(&l, 0, sizeof(l));
	while (rv == 0 && (r = next_line(buf, len, &off, &l)) != 0) {
		if (r == -1)
			rv = fail(UAPI_EPROTO, err, errlen, &l,
			    "not a key=value line");
		else if (strcmp(l.key, "public_key") == 0)
			rv = new_peer(s, &l, err, errlen);
		else if (s->npeers == 0)
			rv = device_line(s, &l, err, errlen);
		else
			rv = peer_line(&s->peers[s->npeers - 1], &l, err,
			    errlen);
	}
	/* the line may have held a key */
	explicit_bzero(&l, sizeof(l));
	return rv;
}

void
uapi_set_free(struct uapi_set *s)
{
	size_t	i;

	for (i = 0; i < s->npeers; i++)
		free(s->peers[i].aips);
	if (s->peers != NULL)
		freezero(s->peers, s->maxpeers * sizeof(*s->peers));
	explicit_bzero(s, sizeof(*s));
}
