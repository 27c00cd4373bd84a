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
 * The mesh admin's side, offline: the Ed25519 admin key (ca genkey, ca
 * pubkey), node certificates (sign, show cert) and the revocation list
 * (ca revoke, show revocations).  None of it talks to meshd, and the
 * admin key never leaves the admin's machine: a node needs only its
 * public half, in the config's "ca".
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cert.h"
#include "json.h"
#include "meshctl.h"
#include "wgkey.h"

#define CA_FILE_MAX	(1024 * 1024)	/* any file we read: far above */
#define CA_SKEW		300		/* not_before: clocks lag */
#define CA_DAYS		365
#define CA_DAYS_MAX	3650

#define LABEL_RULE	"lowercase letters, digits and '-', 1 to 63 " \
			"characters, no '-' first or last"
#define GROUP_RULE	"lowercase letters, digits, '-' and '_', 1 to 31 " \
			"characters"

/* all of fd, NUL-terminated, or NULL after a message naming path */
static char *
read_fd(int fd, const char *path, size_t *lenp)
{
	char	*buf = NULL, *nb;
	size_t	 len = 0, size = 0;
	ssize_t	 n;

	for (;;) {
		if (size - len < 4096) {
			if (size >= CA_FILE_MAX) {
				warnx("%s: too large for a key, certificate "
				    "or list", path);
				goto fail;
			}
			size = size == 0 ? 8192 : size * 2;
			if ((nb = realloc(buf, size + 1)) == NULL) {
				warn("%s", path);
				goto fail;
			}
			buf = nb;
		}
		if ((n = read(fd, buf + len, size - len)) == -1) {
			if (errno == EINTR)
				continue;
			warn("%s", path);
			goto fail;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
 fail:
	freezero(buf, size + 1);
	return NULL;
}

/* a whole file, or standard input for "-" */
static char *
read_file(const char *path, size_t *lenp)
{
	char	*buf;
	int	 fd;

	if (strcmp(path, "-") == 0)
		return read_fd(STDIN_FILENO, "standard input", lenp);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		warn("%s", path);
		return NULL;
	}
	buf = read_fd(fd, path, lenp);
	close(fd);
	return buf;
}

/* never ask for a passphrase: an encrypted key is refused, not prompted */
static int
no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	return -1;
}

/* what a key that is not ours is, for the message */
static const char *
key_kind(EVP_PKEY *k)
{
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_X25519:
		return "an X25519 key";
	case EVP_PKEY_ED448:
		return "an Ed448 key";
	case EVP_PKEY_X448:
		return "an X448 key";
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		return "an RSA key";
	case EVP_PKEY_EC:
		return "an EC key";
	case EVP_PKEY_DSA:
		return "a DSA key";
	default:
		return "another kind of key";
	}
}

/* 44 characters of base64 and blanks: a WireGuard key file */
static int
looks_wg_key(const char *text)
{
	uint8_t	 k[WG_KEY_LEN];
	char	 b64[WG_KEY_B64_LEN + 1];
	size_t	 i, n = 0;
	int	 r;

	for (i = 0; text[i] != '\0'; i++) {
		if (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' ||
		    text[i] == '\n')
			continue;
		if (n == WG_KEY_B64_LEN)
			return 0;
		b64[n++] = text[i];
	}
	b64[n] = '\0';
	r = n == WG_KEY_B64_LEN && wg_key_from_base64(k, b64) == 0;
	explicit_bzero(k, sizeof(k));
	explicit_bzero(b64, sizeof(b64));
	return r;
}

/*
 * The admin key from a PEM text (what ca genkey prints), or NULL after a
 * one-line message naming name and saying what the text is instead.
 */
static EVP_PKEY *
key_from_text(const char *name, const char *text, size_t len)
{
	BIO		*bio;
	EVP_PKEY	*k = NULL;
	const char	*kind = NULL;

	if ((bio = BIO_new_mem_buf(text, len)) == NULL) {
		warnx("%s: out of memory", name);
		return NULL;
	}
	k = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (k != NULL && EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519)
		return k;
	if (k != NULL)
		kind = key_kind(k);
	else if (strstr(text, "-----BEGIN ENCRYPTED PRIVATE KEY-----"))
		kind = "an encrypted key";
	else if (strstr(text, "-----BEGIN PUBLIC KEY-----"))
		kind = "a public key";
	else if (looks_wg_key(text))
		kind = "a WireGuard key";
	EVP_PKEY_free(k);
	if (kind != NULL)
		warnx("%s: not an Ed25519 private key (it is %s: make one "
		    "with meshctl ca genkey)", name, kind);
	else
		warnx("%s: not an Ed25519 private key (make one with meshctl "
		    "ca genkey)", name);
	return NULL;
}

static EVP_PKEY *
load_ca_key(const char *path)
{
	EVP_PKEY	*k;
	char		*text;
	size_t		 len;

	if ((text = read_file(path, &len)) == NULL)
		return NULL;
	k = key_from_text(path, text, len);
	freezero(text, len + 1);
	return k;
}

static int
ca_public(EVP_PKEY *k, uint8_t pub[CERT_CA_LEN])
{
	size_t	len = CERT_CA_LEN;

	if (EVP_PKEY_get_raw_public_key(k, pub, &len) != 1 ||
	    len != CERT_CA_LEN) {
		warnx("cannot get the public half of the admin key");
		return -1;
	}
	return 0;
}

/* body (len bytes) and its signature into out, which has 64 more bytes */
static int
ca_sign_bytes(EVP_PKEY *k, const uint8_t *body, size_t len, uint8_t *out)
{
	EVP_MD_CTX	*ctx;
	size_t		 siglen = CERT_SIG_LEN;
	int		 ret = -1;

	memmove(out, body, len);
	if ((ctx = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) == 1 &&
	    EVP_DigestSign(ctx, out + len, &siglen, out, len) == 1 &&
	    siglen == CERT_SIG_LEN)
		ret = 0;
	else
		warnx("cannot sign: %s", ERR_reason_error_string(
		    ERR_get_error()));
	EVP_MD_CTX_free(ctx);
	return ret;
}

static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * ca genkey: the key as PKCS#8 PEM, through a memory BIO and write(2) so
 * that no stdio buffer keeps a copy.  Like wg genkey, a warning if the
 * file it goes to is open to everyone.
 */
int
ca_genkey(int fd)
{
	EVP_PKEY	*k;
	BIO		*bio = NULL;
	struct stat	 st;
	char		*pem;
	long		 len;
	int		 ret = 1;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & S_IRWXO))
		warnx("warning: writing the admin key to a file everyone "
		    "can read: set umask 077 first");
	if ((k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL) {
		warnx("cannot generate an Ed25519 key");
		return 1;
	}
	if ((bio = BIO_new(BIO_s_secmem())) == NULL &&
	    (bio = BIO_new(BIO_s_mem())) == NULL)
		warnx("out of memory");
	else if (PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL,
	    NULL) != 1 || (len = BIO_get_mem_data(bio, &pem)) <= 0)
		warnx("cannot write the key as PEM");
	else if (write_all(fd, pem, len) == -1)
		warn("write");
	else
		ret = 0;
	BIO_free(bio);
	EVP_PKEY_free(k);
	return ret;
}

/* ca pubkey: the raw public key in base64, as the config's ca takes it */
int
ca_pubkey(int in, int out)
{
	EVP_PKEY	*k;
	uint8_t		 pub[CERT_CA_LEN];
	char		 line[WG_KEY_B64_LEN + 2];
	char		*text;
	size_t		 len;
	int		 ret = 1;

	if ((text = read_fd(in, "standard input", &len)) == NULL)
		return 1;
	k = key_from_text("standard input", text, len);
	freezero(text, len + 1);
	if (k == NULL)
		return 1;
	if (ca_public(k, pub) == 0) {
		wg_key_to_base64(line, pub);
		line[WG_KEY_B64_LEN] = '\n';
		if (write_all(out, line, WG_KEY_B64_LEN + 1) == -1)
			warn("write");
		else
			ret = 0;
	}
	EVP_PKEY_free(k);
	return ret;
}

/* "2026-12-06T10:00:00Z"; a time gmtime cannot show as seconds */
static const char *
iso_time(int64_t t, char *buf, size_t len)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if ((int64_t)tt != t || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(buf, len, "@%lld", (long long)t);
	return buf;
}

static const char *
hex(const uint8_t *p, size_t n, char *buf, size_t len)
{
	size_t	i;

	buf[0] = '\0';
	for (i = 0; i < n && 2 * i + 2 < len; i++)
		(void)snprintf(buf + 2 * i, len - 2 * i, "%02x", p[i]);
	return buf;
}

const char *
ca_cert_state(const struct mesh_cert *c, int64_t now, char *text,
    size_t len)
{
	int64_t	days;

	if (now < c->not_before) {
		(void)strlcpy(text, "not yet valid", len);
		return "not yet valid";
	}
	if (now >= c->not_after) {
		(void)strlcpy(text, "expired", len);
		return "expired";
	}
	/* rounded up: a certificate signed for 365 days has 365 left */
	days = (c->not_after - now + 86399) / 86400;
	(void)snprintf(text, len, "valid, %lld day%s left", (long long)days,
	    days == 1 ? "" : "s");
	return "valid";
}

/* -c CAPUBKEY: the base64 of an Ed25519 public key, as ca pubkey prints */
static int
parse_ca_pub(const char *s, uint8_t pub[CERT_CA_LEN])
{
	if (wg_key_from_base64(pub, s) == -1) {
		warnx("%s: not an admin public key (44 characters of base64, "
		    "as meshctl ca pubkey prints)", s);
		return -1;
	}
	return 0;
}

/*
 * The first armored block of label in path, decoded into out (size
 * bytes): its length, or -1 after a message.
 */
static ssize_t
read_armored(const char *path, const char *label, uint8_t *out, size_t size)
{
	const char	*why, *other;
	char		*text;
	size_t		 len, n;
	int		 r;

	if ((text = read_file(path, &len)) == NULL)
		return -1;
	r = armor_decode(text, len, label, out, size, &n, &why);
	other = strcmp(label, ARMOR_CERT) == 0 ? ARMOR_CRL : ARMOR_CERT;
	if (r == -1 && strstr(why, "no \"") == why && strstr(text, other)) {
		/* the other kind of file: say which command reads it */
		warnx("%s: a %s, not a %s (see meshctl %s)", path,
		    strcmp(other, ARMOR_CRL) == 0 ? "revocation list" :
		    "certificate",
		    strcmp(label, ARMOR_CRL) == 0 ? "revocation list" :
		    "certificate",
		    strcmp(other, ARMOR_CRL) == 0 ? "show revocations" :
		    "show cert");
	} else if (r == -1)
		warnx("%s: %s", path, why);
	free(text);
	return r == -1 ? -1 : (ssize_t)n;
}

static int
read_cert(const char *path, uint8_t *buf, size_t *len, struct mesh_cert *c)
{
	const char	*why;
	ssize_t		 n;

	if ((n = read_armored(path, ARMOR_CERT, buf, CERT_MAX)) == -1)
		return -1;
	if (cert_parse(buf, n, c, &why) == -1) {
		warnx("%s: not a valid certificate: %s", path, why);
		return -1;
	}
	*len = n;
	return 0;
}

/* "a, b, c" of the prefixes */
static void
print_prefixes(FILE *fp, const struct mesh_prefix *p, size_t n)
{
	char	buf[PREFIX_STRLEN];
	size_t	i;

	for (i = 0; i < n; i++)
		fprintf(fp, "%s%s", i > 0 ? ", " : "",
		    output_prefix(&p[i], buf, sizeof(buf)));
	if (n == 0)
		fputs("(none)", fp);
	fputc('\n', fp);
}

static void
show_cert_text(FILE *fp, const struct mesh_cert *c, const char *fp_hex,
    const char *state, int sig)
{
	char	b64[WG_KEY_B64_LEN + 1], buf[64];
	size_t	i;

	wg_key_to_base64(b64, c->pubkey);
	fprintf(fp, "mesh: %s\n", c->mesh);
	fprintf(fp, "name: %s\n", c->name);
	fprintf(fp, "public key: %s\n", b64);
	fputs("addresses: ", fp);
	print_prefixes(fp, c->addrs, c->naddrs);
	fputs("groups: ", fp);
	for (i = 0; i < c->ngroups; i++)
		fprintf(fp, "%s%s", i > 0 ? ", " : "", c->groups[i]);
	fputs(c->ngroups == 0 ? "(none)\n" : "\n", fp);
	fputs("routes: ", fp);
	print_prefixes(fp, c->routes, c->nroutes);
	cert_roles_text(c->roles, buf, sizeof(buf));
	fprintf(fp, "roles: %s\n", buf[0] != '\0' ? buf : "(none)");
	fprintf(fp, "not before: %s\n", iso_time(c->not_before, buf,
	    sizeof(buf)));
	fprintf(fp, "not after: %s\n", iso_time(c->not_after, buf,
	    sizeof(buf)));
	fprintf(fp, "fingerprint: %s\n", fp_hex);
	fprintf(fp, "state: %s\n", state);
	if (sig != -1)
		fprintf(fp, "signature: %s\n", sig ? "good" :
		    "bad (not signed by this admin key)");
}

static void
json_prefixes(struct json *j, const char *key, const struct mesh_prefix *p,
    size_t n)
{
	char	buf[PREFIX_STRLEN];
	size_t	i;

	json_array_open(j, key);
	for (i = 0; i < n; i++)
		json_string(j, NULL, output_prefix(&p[i], buf, sizeof(buf)));
	json_array_close(j);
}

static void
show_cert_json(FILE *fp, const struct mesh_cert *c, const char *fp_hex,
    const char *state, int sig)
{
	struct json	j;
	char		b64[WG_KEY_B64_LEN + 1];
	size_t		i;

	json_init(&j, fp);
	json_object_open(&j, NULL);
	json_uint(&j, "version", MESHCTL_JSON_VERSION);
	json_string(&j, "mesh", c->mesh);
	json_string(&j, "name", c->name);
	wg_key_to_base64(b64, c->pubkey);
	json_string(&j, "public_key", b64);
	json_prefixes(&j, "addresses", c->addrs, c->naddrs);
	json_array_open(&j, "groups");
	for (i = 0; i < c->ngroups; i++)
		json_string(&j, NULL, c->groups[i]);
	json_array_close(&j);
	json_prefixes(&j, "routes", c->routes, c->nroutes);
	json_array_open(&j, "roles");
	if (c->roles & CERT_ROLE_COORDINATOR)
		json_string(&j, NULL, "coordinator");
	if (c->roles & CERT_ROLE_RELAY)
		json_string(&j, NULL, "relay");
	json_array_close(&j);
	json_int(&j, "not_before", c->not_before);
	json_int(&j, "not_after", c->not_after);
	json_string(&j, "fingerprint", fp_hex);
	json_string(&j, "state", state);
	if (sig != -1)
		json_string(&j, "signature", sig ? "good" : "bad");
	json_object_close(&j);
	(void)json_finish(&j);
}

/* getopt over a command's own words, as if they were a program's */
struct args {
	int	  argc;
	char	**argv;
};

static char	progname[] = "meshctl";

static int
args_init(struct args *a, const struct parse_result *res)
{
	int	i;

	if ((a->argv = calloc(res->nargs + 2, sizeof(*a->argv))) == NULL) {
		warn(NULL);
		return -1;
	}
	/* getopt's messages then say "meshctl: invalid option" */
	a->argv[0] = progname;
	for (i = 0; i < res->nargs; i++)
		a->argv[i + 1] = res->args[i];
	a->argc = res->nargs + 1;
	optind = 0;	/* glibc: start over, GNU rules (options anywhere) */
	return 0;
}

static int
usage_of(const char *u)
{
	fprintf(stderr, "usage: meshctl %s\n", u);
	return 1;
}

#define USAGE_SHOW_CERT	"show cert [-j] [-c capubkey] file"
#define USAGE_SHOW_CRL	"show revocations [-j] [-c capubkey] file"
#define USAGE_SIGN	"sign -k cakeyfile -m mesh -n name -p pubkey " \
			"-a addr[,addr...]\n" \
			"               [-g group[,group...]] " \
			"[-r prefix[,prefix...]] [-R role[,role]] [-d days]"
#define USAGE_REVOKE	"ca revoke -k cakeyfile -f listfile certfile ..."

/*
 * show cert and show revocations: [-j] [-c capubkey] file.  0 and the
 * file at a->argv[optind] (free a->argv after), or -1 (usage said).
 */
static int
show_args(struct args *a, const struct parse_result *res, const char *usage,
    const char **capub, int *json)
{
	int	ch;

	if (args_init(a, res) == -1)
		return -1;
	while ((ch = getopt(a->argc, a->argv, "c:j")) != -1) {
		switch (ch) {
		case 'c':
			*capub = optarg;
			break;
		case 'j':
			*json = 1;
			break;
		default:
			goto usage;
		}
	}
	if (a->argc - optind == 1)
		return 0;
usage:
	free(a->argv);
	(void)usage_of(usage);
	return -1;
}

static int
ca_show_cert(const struct parse_result *res, int json)
{
	struct args		 a;
	struct mesh_cert	 c;
	uint8_t			 buf[CERT_MAX], pub[CERT_CA_LEN];
	uint8_t			 fp[CERT_FP_LEN];
	char			 fp_hex[2 * CERT_FP_LEN + 1], text[64];
	const char		*capub = NULL, *state;
	size_t			 len;
	int			 sig = -1;

	if (show_args(&a, res, USAGE_SHOW_CERT, &capub, &json) == -1)
		return 1;
	if ((capub != NULL && parse_ca_pub(capub, pub) == -1) ||
	    read_cert(a.argv[optind], buf, &len, &c) == -1) {
		free(a.argv);
		return 1;
	}
	free(a.argv);
	cert_fingerprint(buf, len, fp);
	hex(fp, sizeof(fp), fp_hex, sizeof(fp_hex));
	state = ca_cert_state(&c, time(NULL), text, sizeof(text));
	if (capub != NULL)
		sig = cert_sig_verify(buf, len, c.bodylen, pub) == 0;
	if (json)
		show_cert_json(stdout, &c, fp_hex, state, sig);
	else
		show_cert_text(stdout, &c, fp_hex, text, sig);
	return sig == 0;
}

/* the list in path into buf: 0, 1 if there is no such file, -1 */
static int
read_crl(const char *path, uint8_t *buf, size_t *len, struct mesh_crl *l,
    int missing_ok)
{
	struct stat	 st;
	const char	*why;
	ssize_t		 n;

	if (missing_ok && stat(path, &st) == -1 && errno == ENOENT)
		return 1;
	if ((n = read_armored(path, ARMOR_CRL, buf, CRL_MAX)) == -1)
		return -1;
	if (crl_parse(buf, n, l, &why) == -1) {
		warnx("%s: not a valid revocation list: %s", path, why);
		return -1;
	}
	*len = n;
	return 0;
}

static int
ca_show_crl(const struct parse_result *res, int json)
{
	struct args	 a;
	struct mesh_crl	 l;
	struct json	 j;
	uint8_t		*buf, pub[CERT_CA_LEN];
	char		 fp_hex[2 * CERT_FP_LEN + 1], tbuf[64];
	const char	*capub = NULL;
	size_t		 len, i;
	int		 sig = -1, ret = 1;

	if (show_args(&a, res, USAGE_SHOW_CRL, &capub, &json) == -1)
		return 1;
	if ((buf = malloc(CRL_MAX)) == NULL) {
		warn(NULL);
		free(a.argv);
		return 1;
	}
	if ((capub != NULL && parse_ca_pub(capub, pub) == -1) ||
	    read_crl(a.argv[optind], buf, &len, &l, 0) != 0)
		goto done;
	if (capub != NULL)
		sig = cert_sig_verify(buf, len, l.bodylen, pub) == 0;
	if (json) {
		json_init(&j, stdout);
		json_object_open(&j, NULL);
		json_uint(&j, "version", MESHCTL_JSON_VERSION);
		json_string(&j, "mesh", l.mesh);
		json_uint(&j, "serial", l.serial);
		json_int(&j, "issued", l.issued);
		json_uint(&j, "count", l.count);
		json_array_open(&j, "fingerprints");
		for (i = 0; i < l.count; i++)
			json_string(&j, NULL, hex(l.fps + i * CERT_FP_LEN,
			    CERT_FP_LEN, fp_hex, sizeof(fp_hex)));
		json_array_close(&j);
		if (sig != -1)
			json_string(&j, "signature", sig ? "good" : "bad");
		json_object_close(&j);
		(void)json_finish(&j);
	} else {
		printf("mesh: %s\n", l.mesh);
		printf("serial: %llu\n", (unsigned long long)l.serial);
		printf("issued: %s\n", iso_time(l.issued, tbuf, sizeof(tbuf)));
		printf("count: %zu\n", l.count);
		for (i = 0; i < l.count; i++)
			printf("revoked: %s\n", hex(l.fps + i * CERT_FP_LEN,
			    CERT_FP_LEN, fp_hex, sizeof(fp_hex)));
		if (sig != -1)
			printf("signature: %s\n", sig ? "good" :
			    "bad (not signed by this admin key)");
	}
	ret = sig == 0;
 done:
	free(buf);
	free(a.argv);
	return ret;
}

/* the next comma-separated item of *s into buf: 1, or 0 at the end */
static int
next_item(char **s, char *buf, size_t len, const char *opt)
{
	char	*comma;
	size_t	 n;

	if (*s == NULL)
		return 0;
	comma = strchr(*s, ',');
	n = comma != NULL ? (size_t)(comma - *s) : strlen(*s);
	if (n >= len) {
		(void)snprintf(buf, len, "%.*s", (int)(len - 1), *s);
		n = len - 1;
	} else {
		memcpy(buf, *s, n);
		buf[n] = '\0';
	}
	*s = comma != NULL ? comma + 1 : NULL;
	if (buf[0] == '\0') {
		warnx("%s: an empty item in the list", opt);
		return -1;
	}
	return 1;
}

/* p onto a list of n (at most max), once: 0, or -1 and why */
static int
prefix_append(struct mesh_prefix *list, size_t *n, size_t max,
    const struct mesh_prefix *p, const char *item, const char *opt,
    const char *noun)
{
	size_t	i;

	for (i = 0; i < *n; i++)
		if (memcmp(&list[i], p, sizeof(*p)) == 0) {
			warnx("%s: listed twice", item);
			return -1;
		}
	if (*n == max) {
		warnx("%s: at most %zu %s", opt, max, noun);
		return -1;
	}
	list[(*n)++] = *p;
	return 0;
}

static int
sign_addrs(struct mesh_cert *c, char *list)
{
	struct mesh_prefix	 p;
	char			 item[128];
	int			 r;

	while ((r = next_item(&list, item, sizeof(item), "-a")) == 1) {
		if (mesh_prefix_pton(item, &p) == -1) {
			warnx("%s: not an IPv4 or IPv6 address", item);
			return -1;
		}
		if (p.plen != (p.af == 4 ? 32 : 128)) {
			warnx("%s: not a host prefix (want /32 or /128)", item);
			return -1;
		}
		if (prefix_append(c->addrs, &c->naddrs, CERT_MAX_ADDRS, &p,
		    item, "-a", "addresses") == -1)
			return -1;
	}
	return r;
}

static int
sign_groups(struct mesh_cert *c, char *list)
{
	char	item[128];
	size_t	i;
	int	r;

	while ((r = next_item(&list, item, sizeof(item), "-g")) == 1) {
		if (!cert_valid_group(item)) {
			warnx("%s: not a group name (" GROUP_RULE ")", item);
			return -1;
		}
		for (i = 0; i < c->ngroups; i++)
			if (strcmp(c->groups[i], item) == 0) {
				warnx("%s: listed twice", item);
				return -1;
			}
		if (c->ngroups == CERT_MAX_GROUPS) {
			warnx("-g: at most %d groups", CERT_MAX_GROUPS);
			return -1;
		}
		(void)strlcpy(c->groups[c->ngroups++], item,
		    sizeof(c->groups[0]));
	}
	return r;
}

static int
sign_routes(struct mesh_cert *c, char *list)
{
	struct mesh_prefix	 p, q;
	char			 item[128], buf[PREFIX_STRLEN];
	int			 r;

	while ((r = next_item(&list, item, sizeof(item), "-r")) == 1) {
		if (mesh_prefix_pton(item, &p) == -1) {
			warnx("%s: not an IPv4 or IPv6 prefix", item);
			return -1;
		}
		q = p;
		(void)mesh_prefix_mask(&q);
		if (memcmp(&p, &q, sizeof(p)) != 0) {
			warnx("%s: bits set past the prefix length (did you "
			    "mean %s?)", item, output_prefix(&q, buf,
			    sizeof(buf)));
			return -1;
		}
		if (prefix_append(c->routes, &c->nroutes, CERT_MAX_ROUTES, &p,
		    item, "-r", "routes") == -1)
			return -1;
	}
	return r;
}

static int
sign_roles(struct mesh_cert *c, char *list)
{
	char	item[128];
	int	r;

	while ((r = next_item(&list, item, sizeof(item), "-R")) == 1) {
		if (strcmp(item, "coordinator") == 0)
			c->roles |= CERT_ROLE_COORDINATOR;
		else if (strcmp(item, "relay") == 0)
			c->roles |= CERT_ROLE_RELAY;
		else {
			warnx("%s: not a role (coordinator or relay)", item);
			return -1;
		}
	}
	return r;
}

static int
sign_label(char *dst, const char *s)
{
	if (!cert_valid_label(s)) {
		warnx("%s: not a DNS label (" LABEL_RULE ")", s);
		return -1;
	}
	(void)strlcpy(dst, s, CERT_LABEL_MAX);
	return 0;
}

static int
sign_days(const char *s, long *days)
{
	const char	*p;
	long		 n = 0;

	for (p = s; *p >= '0' && *p <= '9' && n <= CA_DAYS_MAX; p++)
		n = n * 10 + (*p - '0');
	if (p == s || *p != '\0' || n < 1 || n > CA_DAYS_MAX) {
		warnx("%s: not a number of days from 1 to %d", s, CA_DAYS_MAX);
		return -1;
	}
	*days = n;
	return 0;
}

/* sign's options into c; the key file's name into *keyfile */
static int
sign_options(struct args *a, struct mesh_cert *c, const char **keyfile)
{
	long	days = CA_DAYS;
	int	ch, have_m = 0, have_n = 0, have_p = 0;
	time_t	now;

	while ((ch = getopt(a->argc, a->argv, "a:d:g:k:m:n:p:r:R:")) != -1) {
		switch (ch) {
		case 'a':
			if (sign_addrs(c, optarg) == -1)
				return -1;
			break;
		case 'd':
			if (sign_days(optarg, &days) == -1)
				return -1;
			break;
		case 'g':
			if (sign_groups(c, optarg) == -1)
				return -1;
			break;
		case 'k':
			*keyfile = optarg;
			break;
		case 'm':
			if (sign_label(c->mesh, optarg) == -1)
				return -1;
			have_m = 1;
			break;
		case 'n':
			if (sign_label(c->name, optarg) == -1)
				return -1;
			have_n = 1;
			break;
		case 'p':
			if (wg_key_from_base64(c->pubkey, optarg) == -1) {
				warnx("%s: not a WireGuard public key (44 "
				    "characters of base64, as meshctl pubkey "
				    "prints)", optarg);
				return -1;
			}
			have_p = 1;
			break;
		case 'r':
			if (sign_routes(c, optarg) == -1)
				return -1;
			break;
		case 'R':
			if (sign_roles(c, optarg) == -1)
				return -1;
			break;
		default:
			(void)usage_of(USAGE_SIGN);
			return -1;
		}
	}
	if (a->argc > optind) {
		warnx("sign: unexpected argument \"%s\"", a->argv[optind]);
		return -1;
	}
	if (*keyfile == NULL || !have_m || !have_n || !have_p ||
	    c->naddrs == 0) {
		warnx("sign: missing %s", *keyfile == NULL ? "-k cakeyfile" :
		    !have_m ? "-m mesh" : !have_n ? "-n name" :
		    !have_p ? "-p pubkey" : "-a addr");
		return -1;
	}
	now = time(NULL);
	c->not_before = (int64_t)now - CA_SKEW;
	c->not_after = (int64_t)now + days * 86400;
	return 0;
}

static int
ca_sign(const struct parse_result *res)
{
	struct args	 a;
	struct mesh_cert c;
	EVP_PKEY	*k = NULL;
	uint8_t		 body[CERT_MAX], cert[CERT_MAX];
	const char	*keyfile = NULL, *why;
	char		*text = NULL;
	ssize_t		 n;
	int		 ret = 1;

	memset(&c, 0, sizeof(c));
	if (args_init(&a, res) == -1)
		return 1;
	if (sign_options(&a, &c, &keyfile) == -1 ||
	    (k = load_ca_key(keyfile)) == NULL)
		goto done;
	if ((n = cert_encode_body(&c, body, sizeof(body) - CERT_SIG_LEN,
	    &why)) == -1) {
		warnx("cannot make the certificate: %s", why);
		goto done;
	}
	if (ca_sign_bytes(k, body, n, cert) == -1)
		goto done;
	if ((text = armor_encode(ARMOR_CERT, cert, n + CERT_SIG_LEN)) == NULL) {
		warn(NULL);
		goto done;
	}
	if (fputs(text, stdout) == EOF || fflush(stdout) == EOF) {
		warn("write");
		goto done;
	}
	ret = 0;
 done:
	free(text);
	EVP_PKEY_free(k);
	free(a.argv);
	return ret;
}

static int
fp_cmp(const void *a, const void *b)
{
	return memcmp(a, b, CERT_FP_LEN);
}

/* list into path, through a temporary file beside it and rename(2) */
static int
write_list_file(const char *path, const char *text)
{
	char	 tmp[PATH_MAX];
	int	 fd;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
		warnx("%s: name too long", path);
		return -1;
	}
	if ((fd = mkstemp(tmp)) == -1) {
		warn("%s", tmp);
		return -1;
	}
	/* it is public: every node gets it from the coordinators */
	if (fchmod(fd, 0644) == -1 || write_all(fd, text, strlen(text)) == -1 ||
	    fsync(fd) == -1) {
		warn("%s", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		warn("%s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* each certificate's fingerprint added to fps (n so far), mesh checked */
static int
revoke_add(char **files, int nfiles, const uint8_t pub[CERT_CA_LEN],
    char mesh[CERT_LABEL_MAX], uint8_t *fps, size_t *n)
{
	struct mesh_cert c;
	uint8_t		 buf[CERT_MAX];
	size_t		 len;
	int		 i;

	for (i = 0; i < nfiles; i++) {
		if (read_cert(files[i], buf, &len, &c) == -1)
			return -1;
		if (mesh[0] == '\0')
			(void)strlcpy(mesh, c.mesh, CERT_LABEL_MAX);
		if (strcmp(c.mesh, mesh) != 0) {
			warnx("%s: a certificate of mesh \"%s\", not \"%s\"",
			    files[i], c.mesh, mesh);
			return -1;
		}
		if (cert_sig_verify(buf, len, c.bodylen, pub) == -1) {
			warnx("%s: not signed by this admin key", files[i]);
			return -1;
		}
		if (*n == CRL_MAX_ENTRIES) {
			warnx("%s: the list is full (%d certificates)",
			    files[i], CRL_MAX_ENTRIES);
			return -1;
		}
		cert_fingerprint(buf, len, fps + *n * CERT_FP_LEN);
		(*n)++;
	}
	return 0;
}

/* sorted, each once: the new count */
static size_t
fps_unique(uint8_t *fps, size_t n)
{
	size_t	i, out = 0;

	qsort(fps, n, CERT_FP_LEN, fp_cmp);
	for (i = 0; i < n; i++) {
		if (out > 0 && memcmp(fps + (out - 1) * CERT_FP_LEN,
		    fps + i * CERT_FP_LEN, CERT_FP_LEN) == 0)
			continue;
		memmove(fps + out * CERT_FP_LEN, fps + i * CERT_FP_LEN,
		    CERT_FP_LEN);
		out++;
	}
	return out;
}

static int
ca_revoke(const struct parse_result *res)
{
	struct args	 a;
	struct mesh_crl	 old, l;
	EVP_PKEY	*k = NULL;
	uint8_t		 pub[CERT_CA_LEN];
	uint8_t		*buf = NULL, *fps = NULL, *out = NULL;
	const char	*keyfile = NULL, *listfile = NULL, *why;
	char		*text = NULL;
	size_t		 len, n = 0, oldn = 0;
	ssize_t		 blen;
	int		 ch, exists, ret = 1;

	memset(&old, 0, sizeof(old));
	memset(&l, 0, sizeof(l));
	if (args_init(&a, res) == -1)
		return 1;
	while ((ch = getopt(a.argc, a.argv, "f:k:")) != -1) {
		switch (ch) {
		case 'f':
			listfile = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		default:
			free(a.argv);
			return usage_of(USAGE_REVOKE);
		}
	}
	if (keyfile == NULL || listfile == NULL || a.argc == optind) {
		warnx("ca revoke: missing %s", keyfile == NULL ?
		    "-k cakeyfile" : listfile == NULL ? "-f listfile" :
		    "the certificate files");
		free(a.argv);
		return 1;
	}
	if ((buf = malloc(CRL_MAX)) == NULL ||
	    (fps = calloc(CRL_MAX_ENTRIES + 1, CERT_FP_LEN)) == NULL ||
	    (out = malloc(CRL_MAX)) == NULL) {
		warn(NULL);
		goto done;
	}
	if ((k = load_ca_key(keyfile)) == NULL || ca_public(k, pub) == -1)
		goto done;
	if ((exists = read_crl(listfile, buf, &len, &old, 1)) == -1)
		goto done;
	if (exists == 0) {
		if (cert_sig_verify(buf, len, old.bodylen, pub) == -1) {
			warnx("%s: not signed by this admin key", listfile);
			goto done;
		}
		memcpy(fps, old.fps, old.count * CERT_FP_LEN);
		n = oldn = old.count;
		(void)strlcpy(l.mesh, old.mesh, sizeof(l.mesh));
	}
	if (revoke_add(a.argv + optind, a.argc - optind, pub, l.mesh, fps,
	    &n) == -1)
		goto done;
	n = fps_unique(fps, n);
	if (exists == 0 && n == oldn) {
		printf("%s: unchanged, serial %llu, %zu revoked (every "
		    "certificate given was already in it)\n", listfile,
		    (unsigned long long)old.serial, n);
		ret = 0;
		goto done;
	}
	l.serial = exists == 0 ? old.serial + 1 : 1;
	l.issued = time(NULL);
	l.count = n;
	l.fps = fps;
	if ((blen = crl_encode_body(&l, out, CRL_MAX - CERT_SIG_LEN,
	    &why)) == -1) {
		warnx("cannot make the list: %s", why);
		goto done;
	}
	if (ca_sign_bytes(k, out, blen, buf) == -1)
		goto done;
	if ((text = armor_encode(ARMOR_CRL, buf, blen + CERT_SIG_LEN)) ==
	    NULL) {
		warn(NULL);
		goto done;
	}
	if (write_list_file(listfile, text) == -1)
		goto done;
	printf("%s: serial %llu, %zu revoked (%zu added)\n", listfile,
	    (unsigned long long)l.serial, n, n - oldn);
	ret = 0;
 done:
	free(text);
	free(buf);
	free(fps);
	free(out);
	EVP_PKEY_free(k);
	free(a.argv);
	return ret;
}

int
ca_run(const struct parse_result *res, int json)
{
	int	ret;

	switch (res->action) {
	case CA_SIGN:
		ret = ca_sign(res);
		break;
	case CA_REVOKE:
		ret = ca_revoke(res);
		break;
	case SHOW_CERT:
		ret = ca_show_cert(res, json);
		break;
	case SHOW_CRL:
		ret = ca_show_crl(res, json);
		break;
	default:
		warnx("not an admin command");
		return 1;
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		warnx("write error on standard output");
		ret = 1;
	}
	return ret;
}
