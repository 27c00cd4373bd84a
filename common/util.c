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
 * Small helpers every process uses: role names, text forms of addresses,
 * prefixes and socket addresses, and the monotonic clock.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "meshd.h"

const char *const meshd_role_names[PROC_MAX] = {
	[PROC_PARENT] = "parent",
	[PROC_NET] = "net",
	[PROC_CRYPTO] = "crypto",
	[PROC_TUN] = "tun",
};

/*
 * "addr" or "addr/len", IPv4 or IPv6; without a length the prefix is a
 * single host (/32 or /128).  The address is kept as written, host bits
 * included.  0 on success, -1 if s is not such a prefix.
 */
int
mesh_prefix_pton(const char *s, struct mesh_prefix *p)
{
	char		 buf[INET6_ADDRSTRLEN];
	const char	*slash;
	size_t		 alen, i, dlen;
	unsigned int	 plen = 0, maxlen;

	memset(p, 0, sizeof(*p));
	if ((slash = strchr(s, '/')) != NULL)
		alen = slash - s;
	else
		alen = strlen(s);
	if (alen == 0 || alen >= sizeof(buf))
		return -1;
	memcpy(buf, s, alen);
	buf[alen] = '\0';

	if (inet_pton(AF_INET, buf, p->addr) == 1) {
		p->af = 4;
		maxlen = 32;
	} else if (inet_pton(AF_INET6, buf, p->addr) == 1) {
		p->af = 6;
		maxlen = 128;
	} else {
		memset(p, 0, sizeof(*p));
		return -1;
	}

	if (slash == NULL) {
		p->plen = maxlen;
		return 0;
	}
	/* one to three decimal digits, nothing else */
	dlen = strlen(slash + 1);
	if (dlen == 0 || dlen > 3)
		goto bad;
	for (i = 0; i < dlen; i++) {
		if (slash[1 + i] < '0' || slash[1 + i] > '9')
			goto bad;
		plen = plen * 10 + (slash[1 + i] - '0');
	}
	if (plen > maxlen)
		goto bad;
	p->plen = plen;
	return 0;
 bad:
	memset(p, 0, sizeof(*p));
	return -1;
}

/*
 * Canonical text of a prefix, always with its length: "100.64.0.1/24",
 * "fd00::1/128".  Returns buf; on a bad prefix or a short buffer buf
 * holds "?" (or as much of it as fits).
 */
const char *
mesh_prefix_ntop(const struct mesh_prefix *p, char *buf, size_t len)
{
	char	addr[INET6_ADDRSTRLEN];
	int	n;

	if (len == 0)
		return buf;
	if ((p->af == 4 && p->plen <= 32 &&
	    inet_ntop(AF_INET, p->addr, addr, sizeof(addr)) != NULL) ||
	    (p->af == 6 && p->plen <= 128 &&
	    inet_ntop(AF_INET6, p->addr, addr, sizeof(addr)) != NULL)) {
		n = snprintf(buf, len, "%s/%u", addr, p->plen);
		if (n >= 0 && (size_t)n < len)
			return buf;
	}
	(void)strlcpy(buf, "?", len);
	return buf;
}

/*
 * "a.b.c.d:port" or "[v6addr%scope]:port" of a struct sockaddr_in or
 * sockaddr_in6 of salen bytes.  Returns buf; "?" if it is neither.
 */
const char *
mesh_sockaddr_ntop(const void *sa, size_t salen, char *buf, size_t len)
{
	struct sockaddr_storage	 ss;
	char			 host[NI_MAXHOST];
	int			 n = -1;

	if (len == 0)
		return buf;
	memset(&ss, 0, sizeof(ss));
	if (salen > sizeof(ss))
		salen = sizeof(ss);
	memcpy(&ss, sa, salen);
	if ((ss.ss_family == AF_INET && salen >= sizeof(struct sockaddr_in)) ||
	    (ss.ss_family == AF_INET6 &&
	    salen >= sizeof(struct sockaddr_in6))) {
		if (getnameinfo((struct sockaddr *)&ss, salen, host,
		    sizeof(host), NULL, 0, NI_NUMERICHOST) == 0) {
			if (ss.ss_family == AF_INET)
				n = snprintf(buf, len, "%s:%u", host, ntohs(
				    ((struct sockaddr_in *)&ss)->sin_port));
			else
				n = snprintf(buf, len, "[%s]:%u", host, ntohs(
				    ((struct sockaddr_in6 *)&ss)->sin6_port));
		}
	}
	if (n < 0 || (size_t)n >= len)
		(void)strlcpy(buf, "?", len);
	return buf;
}

/* CLOCK_MONOTONIC in nanoseconds: the engine's and the wire's clock */
uint64_t
mesh_monotonic_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int
mesh_dns_domain_norm(const char *in, char *out, size_t outlen)
{
	size_t	i, label = 0;

	if (strlcpy(out, in, outlen) >= outlen)
		return -1;
	for (i = 0; out[i] != '\0'; i++) {
		if (out[i] == '.') {
			if (label == 0)
				return -1;	/* an empty label */
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)out[i]) && out[i] != '-')
			return -1;
		if (++label > 63)
			return -1;
		out[i] = tolower((unsigned char)out[i]);
	}
	if (i == 0)
		return -1;
	if (out[i - 1] == '.')
		out[i - 1] = '\0';
	return 0;
}

const char *
mesh_path_name(uint8_t path)
{
	switch (path) {
	case MESH_PATH_NONE:
		return "none";
	case MESH_PATH_DIRECT:
		return "direct";
	case MESH_PATH_PUNCHED:
		return "punched";
	case MESH_PATH_MAPPED:
		return "mapped";
	case MESH_PATH_SSH:
		return "ssh";
	case MESH_PATH_STREAM:
		return "stream";
	case MESH_PATH_RELAY:
		return "relay";
	default:
		return NULL;
	}
}

int
mesh_lever_off(const char *name)
{
	const char	*s, *e;
	size_t		 len = strlen(name);

	if ((s = getenv("MESHD_LEVERS_OFF")) == NULL)
		return 0;
	while (*s != '\0') {
		if ((e = strchr(s, ',')) == NULL)
			e = s + strlen(s);
		if ((size_t)(e - s) == len && strncmp(s, name, len) == 0)
			return 1;
		s = *e == ',' ? e + 1 : e;
	}
	return 0;
}

int
mesh_prefix_mask(struct mesh_prefix *p)
{
	size_t	alen = p->af == 4 ? 4 : 16, i;
	int	changed = 0;
	uint8_t	m;

	for (i = 0; i < alen; i++) {
		if (i * 8 >= p->plen)
			m = 0;
		else if ((i + 1) * 8 <= p->plen)
			m = 0xff;
		else
			m = 0xff << (8 - (p->plen - i * 8));
		if (p->addr[i] & ~m)
			changed = 1;
		p->addr[i] &= m;
	}
	return changed;
}
