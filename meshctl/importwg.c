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
 * meshctl import-wg: reads a wg-quick(8) or wg(8) configuration, the
 * INI-like "[Interface]" and "[Peer]" sections of "Key = Value" lines,
 * and prints the meshd.conf(5) that does the same.  Keys are never
 * printed: the private key goes to DIR/IFNAME.key and each preshared key
 * to DIR/IFNAME-PEER.psk, new files of mode 0600.  What meshd has no
 * equivalent for (wg-quick's hooks, DNS, routing table, fwmark) is named
 * in a warning; anything malformed is an error naming the file and line,
 * and then nothing is written.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "importwg.h"
#include "meshctl.h"

enum wgi_section {
	SEC_NONE,
	SEC_INTERFACE,
	SEC_PEER
};

struct wgi_ctx {
	struct wgi_conf		*conf;
	FILE			*err;
	int			 line;
	enum wgi_section	 sec;
	int			 iface_line;
};

/* the wg-quick settings meshd does not do, and why */
static const struct {
	const char	*key;
	const char	*why;
} wgi_untranslated[] = {
	{ "DNS",	"set the resolver yourself" },
	{ "FwMark",	"meshd marks no packets" },
	{ "PostDown",	"meshd runs no hooks" },
	{ "PostUp",	"meshd runs no hooks" },
	{ "PreDown",	"meshd runs no hooks" },
	{ "PreUp",	"meshd runs no hooks" },
	{ "SaveConfig",	"meshd never writes its configuration" },
	{ "Table",	"meshd routes the interface's own prefixes only" }
};

static int
wgi_msg(struct wgi_ctx *c, const char *kind, const char *fmt, ...)
    __attribute__((__format__(__printf__, 3, 4)));

static int
wgi_msg(struct wgi_ctx *c, const char *kind, const char *fmt, ...)
{
	va_list	ap;

	if (c->line > 0)
		fprintf(c->err, "meshctl: %s:%d: %s", c->conf->file, c->line,
		    kind);
	else
		fprintf(c->err, "meshctl: %s: %s", c->conf->file, kind);
	va_start(ap, fmt);
	vfprintf(c->err, fmt, ap);
	va_end(ap);
	fputc('\n', c->err);
	return -1;
}

#define wgi_error(c, ...)	wgi_msg((c), "", __VA_ARGS__)

static char *
trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* a decimal number in [min, max], or -1 */
static long
number(const char *s, long min, long max)
{
	long	v = 0;

	if (*s == '\0' || strlen(s) > 6)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v < min || v > max ? -1 : v;
}

/*
 * "addr" or "addr/len" into canonical text; with mask, the host bits are
 * cleared (allowed-ips), else kept (an interface address).
 */
static int
prefix(const char *in, int mask, char *out, size_t outlen)
{
	char		 a[INET6_ADDRSTRLEN + 8], *slash;
	uint8_t		 bin[16];
	int		 af, bits, len, i;

	if (strlcpy(a, in, sizeof(a)) >= sizeof(a))
		return -1;
	if ((slash = strchr(a, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, a, bin) == 1) {
		af = AF_INET;
		bits = 32;
	} else if (inet_pton(AF_INET6, a, bin) == 1) {
		af = AF_INET6;
		bits = 128;
	} else
		return -1;
	len = bits;
	if (slash != NULL && (len = number(slash, 0, bits)) == -1)
		return -1;
	if (mask) {
		for (i = len; i < bits; i++)
			bin[i / 8] &= ~(0x80 >> (i % 8));
	}
	if (inet_ntop(af, bin, a, sizeof(a)) == NULL)
		return -1;
	if ((size_t)snprintf(out, outlen, "%s/%d", a, len) >= outlen)
		return -1;
	return 0;
}

/* appends each prefix of a comma-separated list to *list, with sep */
static int
prefix_list(struct wgi_ctx *c, const char *key, char *val, int mask,
    const char *sep, char **list)
{
	char	 p[INET6_ADDRSTRLEN + 8], *item, *next, *n;

	for (item = val; item != NULL; item = next) {
		if ((next = strchr(item, ',')) != NULL)
			*next++ = '\0';
		item = trim(item);
		if (*item == '\0') {
			if (next == NULL && item == val)
				break;		/* "AllowedIPs =" */
			return wgi_error(c, "%s: an empty item in the list",
			    key);
		}
		if (prefix(item, mask, p, sizeof(p)) == -1)
			return wgi_error(c, "%s: \"%.64s\" is not an address "
			    "with an optional /prefix length", key, item);
		if (asprintf(&n, "%s%s%s", *list ? *list : "", *list ? sep :
		    "", p) == -1)
			return wgi_error(c, "%s", strerror(errno));
		free(*list);
		*list = n;
	}
	return 0;
}

static int
key_value(struct wgi_ctx *c, const char *key, const char *val,
    uint8_t out[WG_KEY_LEN])
{
	if (wg_key_from_base64(out, val) == -1)
		return wgi_error(c, "%s is not a key (44 characters of base64)",
		    key);
	return 0;
}

/* host:port, [v6]:port: no character meshd.conf would read otherwise */
static int
endpoint(struct wgi_ctx *c, struct wgi_peer *p, const char *val)
{
	const char	*colon, *s;
	uint8_t		 bin[16];
	char		 host[256];
	size_t		 hlen;

	if ((colon = strrchr(val, ':')) == NULL ||
	    number(colon + 1, 1, 65535) == -1)
		return wgi_error(c, "Endpoint \"%.64s\" is not host:port",
		    val);
	hlen = colon - val;
	if (hlen == 0 || hlen >= sizeof(host))
		return wgi_error(c, "Endpoint \"%.64s\": bad host", val);
	memcpy(host, val, hlen);
	host[hlen] = '\0';
	if (host[0] == '[') {
		if (hlen < 3 || host[hlen - 1] != ']')
			return wgi_error(c, "Endpoint \"%.64s\": bad host",
			    val);
		host[hlen - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, bin) != 1)
			return wgi_error(c, "Endpoint \"%.64s\": not an IPv6 "
			    "address in brackets", val);
	} else {
		for (s = host; *s != '\0'; s++)
			if (!isalnum((unsigned char)*s) && *s != '.' &&
			    *s != '-' && *s != '_')
				return wgi_error(c, "Endpoint \"%.64s\": bad "
				    "host (an IPv6 address needs brackets)",
				    val);
	}
	free(p->endpoint);
	if ((p->endpoint = strdup(val)) == NULL)
		return wgi_error(c, "%s", strerror(errno));
	return 0;
}

static int
interface_kv(struct wgi_ctx *c, const char *key, char *val)
{
	struct wgi_conf	*conf = c->conf;
	long		 v;

	if (strcasecmp(key, "PrivateKey") == 0) {
		if (conf->has_priv)
			return wgi_error(c, "PrivateKey given twice");
		if (key_value(c, "PrivateKey", val, conf->priv) == -1)
			return -1;
		conf->has_priv = 1;
	} else if (strcasecmp(key, "ListenPort") == 0) {
		if ((v = number(val, 0, 65535)) == -1)
			return wgi_error(c, "ListenPort \"%.64s\" is not a "
			    "port (0 to 65535)", val);
		conf->listen_port = v;
	} else if (strcasecmp(key, "MTU") == 0) {
		if ((v = number(val, 576, 65535)) == -1)
			return wgi_error(c, "MTU \"%.64s\": meshd takes 576 "
			    "to 65535", val);
		conf->mtu = v;
	} else if (strcasecmp(key, "Address") == 0)
		return prefix_list(c, "Address", val, 0, "\n", &conf->addrs);
	else
		return wgi_error(c, "unknown setting \"%.64s\" in "
		    "[Interface]", key);
	return 0;
}

static int
peer_kv(struct wgi_ctx *c, const char *key, char *val)
{
	struct wgi_peer	*p = &c->conf->peers[c->conf->npeers - 1];
	uint8_t		 k[WG_KEY_LEN];
	long		 v;

	if (strcasecmp(key, "PublicKey") == 0) {
		if (p->pubkey[0] != '\0')
			return wgi_error(c, "PublicKey given twice");
		if (key_value(c, "PublicKey", val, k) == -1)
			return -1;
		wg_key_to_base64(p->pubkey, k);
	} else if (strcasecmp(key, "PresharedKey") == 0) {
		if (p->has_psk)
			return wgi_error(c, "PresharedKey given twice");
		if (key_value(c, "PresharedKey", val, p->psk) == -1)
			return -1;
		p->has_psk = 1;
	} else if (strcasecmp(key, "AllowedIPs") == 0)
		return prefix_list(c, "AllowedIPs", val, 1, ", ", &p->aips);
	else if (strcasecmp(key, "Endpoint") == 0)
		return endpoint(c, p, val);
	else if (strcasecmp(key, "PersistentKeepalive") == 0) {
		if (strcasecmp(val, "off") == 0)
			v = 0;
		else if ((v = number(val, 0, 65535)) == -1)
			return wgi_error(c, "PersistentKeepalive \"%.64s\" is "
			    "not off or 0 to 65535 seconds", val);
		p->keepalive = v;
	} else
		return wgi_error(c, "unknown setting \"%.64s\" in [Peer]",
		    key);
	return 0;
}

static int
section(struct wgi_ctx *c, char *s)
{
	struct wgi_conf	*conf = c->conf;
	struct wgi_peer	*np;
	size_t		 len = strlen(s);

	if (s[len - 1] != ']')
		return wgi_error(c, "a section header needs its ']'");
	s[len - 1] = '\0';
	s = trim(s + 1);
	if (strcasecmp(s, "Interface") == 0) {
		if (conf->has_iface)
			return wgi_error(c, "a second [Interface] (the first "
			    "is on line %d)", c->iface_line);
		conf->has_iface = 1;
		c->iface_line = c->line;
		c->sec = SEC_INTERFACE;
		return 0;
	}
	if (strcasecmp(s, "Peer") != 0)
		return wgi_error(c, "unknown section [%.64s]", s);
	if (conf->npeers >= MESHCTL_MAX_PEERS)
		return wgi_error(c, "too many peers");
	np = reallocarray(conf->peers, conf->npeers + 1, sizeof(*np));
	if (np == NULL)
		return wgi_error(c, "%s", strerror(errno));
	conf->peers = np;
	np = &conf->peers[conf->npeers++];
	memset(np, 0, sizeof(*np));
	np->line = c->line;
	np->keepalive = -1;
	(void)snprintf(np->name, sizeof(np->name), "peer%zu", conf->npeers);
	c->sec = SEC_PEER;
	return 0;
}

static int
setting(struct wgi_ctx *c, char *s)
{
	char	*eq, *key, *val;
	size_t	 i;

	if ((eq = strchr(s, '=')) == NULL)
		return wgi_error(c, "expected \"Key = Value\" or a [Section]");
	*eq = '\0';
	key = trim(s);
	val = trim(eq + 1);
	if (*key == '\0')
		return wgi_error(c, "a setting without a name");
	if (c->sec == SEC_NONE)
		return wgi_error(c, "\"%.64s\" before any [Interface] or "
		    "[Peer]", key);
	for (i = 0; i < sizeof(wgi_untranslated) /
	    sizeof(wgi_untranslated[0]); i++) {
		if (strcasecmp(key, wgi_untranslated[i].key) != 0)
			continue;
		if (c->sec != SEC_INTERFACE)
			break;
		c->conf->nwarnings++;
		wgi_msg(c, "warning: ", "%s not translated: %s",
		    wgi_untranslated[i].key, wgi_untranslated[i].why);
		return 0;
	}
	if (c->sec == SEC_INTERFACE)
		return interface_kv(c, key, val);
	return peer_kv(c, key, val);
}

static int
one_line(struct wgi_ctx *c, char *buf, size_t len)
{
	char	*s, *hash;
	size_t	 i;

	if (strlen(buf) != len)
		return wgi_error(c, "a NUL byte");
	if ((hash = strchr(buf, '#')) != NULL)
		*hash = '\0';
	for (i = 0; buf[i] != '\0'; i++)
		if (((unsigned char)buf[i] < 0x20 && buf[i] != '\t' &&
		    buf[i] != '\r' && buf[i] != '\n') ||
		    (unsigned char)buf[i] == 0x7f)
			return wgi_error(c, "a control character");
	s = trim(buf);
	if (*s == '\0')
		return 0;
	if (*s == '[')
		return section(c, s);
	return setting(c, s);
}

/* the interface's name: the file's, as wg-quick takes it, if it fits */
static void
wgi_ifname(struct wgi_conf *conf)
{
	const char	*base, *s;
	size_t		 len;

	(void)strlcpy(conf->ifname, "wg0", sizeof(conf->ifname));
	base = (s = strrchr(conf->file, '/')) != NULL ? s + 1 : conf->file;
	len = strlen(base);
	if (len > 5 && strcmp(base + len - 5, ".conf") == 0)
		len -= 5;
	if (len == 0 || len >= sizeof(conf->ifname))
		return;
	for (s = base; s < base + len; s++)
		if (!isalnum((unsigned char)*s) && strchr("_=+.-", *s) == NULL)
			return;
	memcpy(conf->ifname, base, len);
	conf->ifname[len] = '\0';
}

static int
wgi_check(struct wgi_ctx *c)
{
	struct wgi_conf	*conf = c->conf;
	uint8_t		 pub[WG_KEY_LEN];
	char		 b64[WG_KEY_B64_LEN + 1];
	size_t		 i, j;
	int		 ret = 0;

	c->line = 0;
	if (!conf->has_iface)
		return wgi_error(c, "no [Interface] section");
	c->line = c->iface_line;
	if (!conf->has_priv)
		return wgi_error(c, "[Interface] has no PrivateKey");
	if (wg_key_public(pub, conf->priv) == -1)
		return wgi_error(c, "cannot compute the public key");
	wg_key_to_base64(b64, pub);
	for (i = 0; i < conf->npeers && ret == 0; i++) {
		c->line = conf->peers[i].line;
		if (conf->peers[i].pubkey[0] == '\0')
			ret = wgi_error(c, "[Peer] has no PublicKey");
		else if (strcmp(conf->peers[i].pubkey, b64) == 0)
			ret = wgi_error(c, "[Peer] has this interface's own "
			    "public key");
		for (j = 0; j < i && ret == 0; j++)
			if (strcmp(conf->peers[i].pubkey,
			    conf->peers[j].pubkey) == 0)
				ret = wgi_error(c, "[Peer] has the same "
				    "PublicKey as the one on line %d",
				    conf->peers[j].line);
	}
	explicit_bzero(pub, sizeof(pub));
	return ret;
}

int
wgi_parse(struct wgi_conf *conf, const char *file, FILE *in, FILE *err)
{
	struct wgi_ctx	 c;
	char		*buf = NULL;
	size_t		 cap = 0;
	ssize_t		 len;
	int		 ret = 0;

	memset(conf, 0, sizeof(*conf));
	conf->file = file;
	conf->listen_port = -1;
	conf->mtu = -1;
	wgi_ifname(conf);
	memset(&c, 0, sizeof(c));
	c.conf = conf;
	c.err = err;
	while (ret == 0 && (len = getline(&buf, &cap, in)) != -1) {
		c.line++;
		if (len > WGI_LINE_MAX)
			ret = wgi_error(&c, "line too long (more than %d "
			    "bytes)", WGI_LINE_MAX);
		else
			ret = one_line(&c, buf, (size_t)len);
		explicit_bzero(buf, cap);
	}
	if (ret == 0 && ferror(in))
		ret = wgi_error(&c, "%s", strerror(errno));
	free(buf);
	if (ret == 0)
		ret = wgi_check(&c);
	return ret;
}

int
wgi_keypath(char *buf, size_t len, const char *dir,
    const struct wgi_conf *conf, const struct wgi_peer *p)
{
	int	n;

	if (p == NULL)
		n = snprintf(buf, len, "%s/%s.key", dir, conf->ifname);
	else
		n = snprintf(buf, len, "%s/%s-%s.psk", dir, conf->ifname,
		    p->name);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

void
wgi_print(const struct wgi_conf *conf, const char *dir, FILE *out)
{
	const struct wgi_peer	*p;
	const char		*f;
	char			 path[PATH_MAX], *a, *nl;
	size_t			 i;

	/* the file's name as a comment: one line, whatever it holds */
	fprintf(out, "# made by meshctl import-wg from ");
	for (f = conf->file; *f != '\0'; f++)
		fputc(isprint((unsigned char)*f) ? *f : '?', out);
	fputc('\n', out);
	fprintf(out, "interface \"%s\" {\n", conf->ifname);
	for (a = conf->addrs; a != NULL; a = nl) {
		if ((nl = strchr(a, '\n')) != NULL)
			fprintf(out, "\taddress %.*s\n", (int)(nl++ - a), a);
		else
			fprintf(out, "\taddress %s\n", a);
	}
	if (conf->mtu != -1)
		fprintf(out, "\tmtu %d\n", conf->mtu);
	if (conf->listen_port > 0)
		fprintf(out, "\tlisten-port %d\n", conf->listen_port);
	if (wgi_keypath(path, sizeof(path), dir, conf, NULL) == 0)
		fprintf(out, "\tprivate-key-file \"%s\"\n", path);
	fprintf(out, "}\n");
	for (i = 0; i < conf->npeers; i++) {
		p = &conf->peers[i];
		fprintf(out, "\n# [Peer] on line %d\npeer \"%s\" {\n", p->line,
		    p->name);
		fprintf(out, "\tpublic-key \"%s\"\n", p->pubkey);
		if (p->has_psk &&
		    wgi_keypath(path, sizeof(path), dir, conf, p) == 0)
			fprintf(out, "\tpreshared-key-file \"%s\"\n", path);
		if (p->endpoint != NULL)
			fprintf(out, "\tendpoint \"%s\"\n", p->endpoint);
		if (p->aips != NULL)
			fprintf(out, "\tallowed-ips %s\n", p->aips);
		if (p->keepalive == 0)
			fprintf(out, "\tpersistent-keepalive off\n");
		else if (p->keepalive > 0)
			fprintf(out, "\tpersistent-keepalive %d\n",
			    p->keepalive);
		fprintf(out, "}\n");
	}
}

/* one key as a new file of mode 0600: 44 characters and a newline */
static int
write_keyfile(const char *path, const uint8_t key[WG_KEY_LEN], FILE *err)
{
	char	 line[WG_KEY_B64_LEN + 2];
	ssize_t	 n = -1;
	int	 fd, saved;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		fprintf(err, "meshctl: %s: %s%s\n", path, strerror(errno),
		    errno == EEXIST ? " (not overwritten)" : "");
		return -1;
	}
	wg_key_to_base64(line, key);
	line[WG_KEY_B64_LEN] = '\n';
	line[WG_KEY_B64_LEN + 1] = '\0';
	if (fchmod(fd, 0600) == 0)
		n = write(fd, line, WG_KEY_B64_LEN + 1);
	saved = errno;
	explicit_bzero(line, sizeof(line));
	if (close(fd) == -1 && n == WG_KEY_B64_LEN + 1) {
		saved = errno;
		n = -1;
	}
	if (n != WG_KEY_B64_LEN + 1) {
		fprintf(err, "meshctl: %s: %s\n", path,
		    n == -1 ? strerror(saved) : "short write");
		(void)unlink(path);
		return -1;
	}
	return 0;
}

int
wgi_write_keys(const struct wgi_conf *conf, const char *dir, FILE *err)
{
	char	path[PATH_MAX];
	size_t	i, j;

	if (wgi_keypath(path, sizeof(path), dir, conf, NULL) == -1 ||
	    write_keyfile(path, conf->priv, err) == -1)
		return -1;
	for (i = 0; i < conf->npeers; i++) {
		if (!conf->peers[i].has_psk)
			continue;
		if (wgi_keypath(path, sizeof(path), dir, conf,
		    &conf->peers[i]) == 0 &&
		    write_keyfile(path, conf->peers[i].psk, err) == 0)
			continue;
		/* all or nothing: remove what this run wrote */
		for (j = 0; j < i; j++)
			if (conf->peers[j].has_psk && wgi_keypath(path,
			    sizeof(path), dir, conf, &conf->peers[j]) == 0)
				(void)unlink(path);
		if (wgi_keypath(path, sizeof(path), dir, conf, NULL) == 0)
			(void)unlink(path);
		return -1;
	}
	return 0;
}

void
wgi_free(struct wgi_conf *conf)
{
	size_t	i;

	for (i = 0; i < conf->npeers; i++) {
		free(conf->peers[i].endpoint);
		free(conf->peers[i].aips);
	}
	if (conf->peers != NULL)
		explicit_bzero(conf->peers, conf->npeers *
		    sizeof(*conf->peers));
	free(conf->peers);
	free(conf->addrs);
	explicit_bzero(conf, sizeof(*conf));
}

/* 1 if s can go between double quotes in meshd.conf as it is */
static int
quotable(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isprint((unsigned char)*s) || strchr("\"\\$", *s) != NULL)
			return 0;
	return 1;
}

int
import_wg(const char *file, const char *keydir)
{
	struct wgi_conf	 conf;
	FILE		*in;
	char		 dir[PATH_MAX];
	int		 ret = 1;

	if (keydir == NULL)
		keydir = MESHCTL_KEYDIR;
	if (realpath(keydir, dir) == NULL) {
		fprintf(stderr, "meshctl: key directory %s: %s\n", keydir,
		    strerror(errno));
		return 1;
	}
	if (!quotable(dir)) {
		fprintf(stderr, "meshctl: key directory %s: a name with a "
		    "quote, backslash, $ or control character cannot go in "
		    "meshd.conf\n", dir);
		return 1;
	}
	if ((in = fopen(file, "r")) == NULL) {
		fprintf(stderr, "meshctl: %s: %s\n", file, strerror(errno));
		return 1;
	}
	if (wgi_parse(&conf, file, in, stderr) == 0 &&
	    wgi_write_keys(&conf, dir, stderr) == 0) {
		wgi_print(&conf, dir, stdout);
		ret = 0;
	}
	fclose(in);
	wgi_free(&conf);
	return ret;
}
