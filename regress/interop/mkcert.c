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
 * mkcert: certificates and revocation lists as no admin would sign them,
 * for the mesh's tests; meshctl sign refuses what these tests need (a
 * certificate that expired, one not valid yet).  The real encoder
 * (common/cert.c) and armor (armor.c) make them.
 *
 *   mkcert -G
 *	a new Ed25519 admin key, PKCS#8 PEM (as meshctl ca genkey)
 *   mkcert -k CAKEY -P
 *	its public key, base64
 *   mkcert -k CAKEY -m MESH -n NAME -p PUB -a ADDR[,ADDR...] [-g GROUPS]
 *	    [-r ROUTES] [-R ROLES] [-b NOTBEFORE] [-e NOTAFTER]
 *	a certificate; times in unix seconds (default: an hour ago, and a
 *	day from now)
 *   mkcert -k CAKEY -m MESH -s SERIAL [CERTFILE...]
 *	a revocation list naming those certificates
 *   mkcert -x CERTFILE
 *	the certificate with one byte of its signed body changed: a bit of
 *	its node key, so that it still parses and only the signature fails
 *
 * Armored output on stdout; exit 1 and one line on stderr on error.
 */

#include <sys/types.h>

#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cert.h"
#include "meshd.h"
#include "wgkey.h"

#define TEXT_MAX	(256 * 1024)

static EVP_PKEY *
read_cakey(const char *path)
{
	EVP_PKEY	*k;
	FILE		*f;

	if ((f = fopen(path, "r")) == NULL)
		err(1, "%s", path);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL || EVP_PKEY_get_base_id(k) != EVP_PKEY_ED25519)
		errx(1, "%s: not an Ed25519 private key in PEM", path);
	return k;
}

/* a file's armored block of that label */
static size_t
read_armored(const char *path, const char *label, uint8_t *out,
    size_t outlen)
{
	char		*text;
	const char	*why;
	size_t		 len = 0, n;
	int		 fd;
	ssize_t		 r;

	if ((fd = open(path, O_RDONLY)) == -1)
		err(1, "%s", path);
	if ((text = malloc(TEXT_MAX)) == NULL)
		err(1, NULL);
	while ((r = read(fd, text + len, TEXT_MAX - len)) > 0)
		len += r;
	if (r == -1)
		err(1, "%s", path);
	close(fd);
	if (armor_decode(text, len, label, out, outlen, &n, &why) == -1)
		errx(1, "%s: %s", path, why);
	free(text);
	return n;
}

/* sign the body of len bytes in buf (64 more fit), print it armored */
static void
sign_print(EVP_PKEY *k, uint8_t *buf, size_t len, const char *label)
{
	EVP_MD_CTX	*ctx;
	size_t		 siglen = CERT_SIG_LEN;
	char		*text;

	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) != 1 ||
	    EVP_DigestSign(ctx, buf + len, &siglen, buf, len) != 1 ||
	    siglen != CERT_SIG_LEN)
		errx(1, "cannot sign");
	EVP_MD_CTX_free(ctx);
	if ((text = armor_encode(label, buf, len + CERT_SIG_LEN)) == NULL)
		err(1, "armor_encode");
	fputs(text, stdout);
	free(text);
}

/* "a,b,c" into at most max strings of size each */
static size_t
split(const char *what, char *list, char *out, size_t max, size_t size)
{
	char	*s;
	size_t	 n = 0;

	while ((s = strsep(&list, ",")) != NULL) {
		if (*s == '\0')
			continue;
		if (n == max)
			errx(1, "%s: more than %zu", what, max);
		if (strlcpy(out + n * size, s, size) >= size)
			errx(1, "%s %s: too long", what, s);
		n++;
	}
	return n;
}

static size_t
prefixes(const char *what, char *list, struct mesh_prefix *out, size_t max)
{
	char	 strs[CERT_MAX_ROUTES > CERT_MAX_ADDRS ? CERT_MAX_ROUTES :
		    CERT_MAX_ADDRS][64];
	size_t	 i, n;

	n = split(what, list, &strs[0][0], max, sizeof(strs[0]));
	for (i = 0; i < n; i++) {
		/* a bare address is a host prefix */
		if (strchr(strs[i], '/') == NULL)
			(void)strlcat(strs[i], strchr(strs[i], ':') != NULL ?
			    "/128" : "/32", sizeof(strs[i]));
		if (mesh_prefix_pton(strs[i], &out[i]) == -1)
			errx(1, "%s %s: not a prefix", what, strs[i]);
	}
	return n;
}

static int64_t
seconds(const char *what, const char *arg)
{
	const char	*errstr;
	long long	 v;

	v = strtonum(arg, -(1LL << 62), 1LL << 62, &errstr);
	if (errstr != NULL)
		errx(1, "-%s %s: %s", what, arg, errstr);
	return v;
}

static void
genkey(void)
{
	EVP_PKEY	*k;

	if ((k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL ||
	    PEM_write_PrivateKey(stdout, k, NULL, NULL, 0, NULL, NULL) != 1)
		errx(1, "cannot make an Ed25519 key");
	EVP_PKEY_free(k);
}

static void
pubkey(EVP_PKEY *k)
{
	uint8_t	pub[CERT_CA_LEN];
	char	b64[WG_KEY_B64_LEN + 1];
	size_t	len = sizeof(pub);

	if (EVP_PKEY_get_raw_public_key(k, pub, &len) != 1 ||
	    len != sizeof(pub))
		errx(1, "no public key");
	wg_key_to_base64(b64, pub);
	printf("%s\n", b64);
}

/* flip a bit of the node key: the body parses, the signature fails */
static void
alter(const char *path)
{
	uint8_t	 buf[CERT_MAX];
	char	*text;
	size_t	 len;

	len = read_armored(path, ARMOR_CERT, buf, sizeof(buf));
	if (len < CERT_MIN)
		errx(1, "%s: %zu bytes, no certificate", path, len);
	buf[CERT_PUBKEY_OFF + 5] ^= 0x01;
	if ((text = armor_encode(ARMOR_CERT, buf, len)) == NULL)
		err(1, "armor_encode");
	fputs(text, stdout);
	free(text);
}

static int
fp_cmp(const void *a, const void *b)
{
	return memcmp(a, b, CERT_FP_LEN);
}

static void
crl_print(EVP_PKEY *k, const char *mesh, uint64_t serial, int n, char **files)
{
	struct mesh_crl	 l;
	uint8_t		 cert[CERT_MAX], *fps, *buf;
	const char	*why;
	size_t		 len;
	ssize_t		 blen;
	int		 i;

	if ((fps = calloc(n + 1, CERT_FP_LEN)) == NULL ||
	    (buf = malloc(CRL_MAX)) == NULL)
		err(1, NULL);
	for (i = 0; i < n; i++) {
		len = read_armored(files[i], ARMOR_CERT, cert, sizeof(cert));
		cert_fingerprint(cert, len, fps + i * CERT_FP_LEN);
	}
	qsort(fps, n, CERT_FP_LEN, fp_cmp);
	memset(&l, 0, sizeof(l));
	l.serial = serial;
	l.issued = time(NULL);
	if (strlcpy(l.mesh, mesh, sizeof(l.mesh)) >= sizeof(l.mesh))
		errx(1, "-m %s: too long", mesh);
	l.count = n;
	l.fps = fps;
	if ((blen = crl_encode_body(&l, buf, CRL_MAX - CERT_SIG_LEN,
	    &why)) == -1)
		errx(1, "revocation list: %s", why);
	sign_print(k, buf, blen, ARMOR_CRL);
	free(fps);
	free(buf);
}

static __attribute__((__noreturn__)) void
usage(void)
{
	fprintf(stderr, "usage: mkcert -G\n"
	    "       mkcert -k cakey -P\n"
	    "       mkcert -k cakey -m mesh -n name -p pubkey -a addrs "
	    "[-g groups] [-r routes]\n"
	    "              [-R roles] [-b notbefore] [-e notafter]\n"
	    "       mkcert -k cakey -m mesh -s serial [certfile ...]\n"
	    "       mkcert -x certfile\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct mesh_cert	 c;
	EVP_PKEY		*k = NULL;
	uint8_t			 buf[CERT_MAX];
	char			 roles[CERT_MAX_GROUPS][16];
	char			*addrs = NULL, *groups = NULL, *routes = NULL;
	char			*rolelist = NULL;
	const char		*mesh = NULL, *name = NULL, *pub = NULL;
	const char		*why, *serial = NULL, *altered = NULL;
	time_t			 now = time(NULL);
	ssize_t			 len;
	size_t			 i, n;
	int			 ch, gen = 0, printpub = 0;

	memset(&c, 0, sizeof(c));
	c.not_before = now - 3600;
	c.not_after = now + 86400;
	while ((ch = getopt(argc, argv, "a:b:e:Gg:k:m:n:Pp:R:r:s:x:")) != -1) {
		switch (ch) {
		case 'a':
			addrs = optarg;
			break;
		case 'b':
			c.not_before = seconds("b", optarg);
			break;
		case 'e':
			c.not_after = seconds("e", optarg);
			break;
		case 'G':
			gen = 1;
			break;
		case 'g':
			groups = optarg;
			break;
		case 'k':
			k = read_cakey(optarg);
			break;
		case 'm':
			mesh = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'P':
			printpub = 1;
			break;
		case 'p':
			pub = optarg;
			break;
		case 'R':
			rolelist = optarg;
			break;
		case 'r':
			routes = optarg;
			break;
		case 's':
			serial = optarg;
			break;
		case 'x':
			altered = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	if (gen || altered != NULL) {
		if (argc != 0 || k != NULL)
			usage();
		if (gen)
			genkey();
		else
			alter(altered);
		return 0;
	}
	if (k == NULL)
		usage();
	if (printpub) {
		pubkey(k);
		EVP_PKEY_free(k);
		return 0;
	}
	if (mesh == NULL)
		usage();
	if (serial != NULL) {
		crl_print(k, mesh, seconds("s", serial), argc, argv);
		EVP_PKEY_free(k);
		return 0;
	}
	if (argc != 0 || name == NULL || pub == NULL || addrs == NULL)
		usage();
	if (strlcpy(c.mesh, mesh, sizeof(c.mesh)) >= sizeof(c.mesh) ||
	    strlcpy(c.name, name, sizeof(c.name)) >= sizeof(c.name))
		errx(1, "a name is too long");
	if (wg_key_from_base64(c.pubkey, pub) == -1)
		errx(1, "-p %s: not a base64 key", pub);
	c.naddrs = prefixes("address", addrs, c.addrs, CERT_MAX_ADDRS);
	if (groups != NULL)
		c.ngroups = split("group", groups, &c.groups[0][0],
		    CERT_MAX_GROUPS, sizeof(c.groups[0]));
	if (routes != NULL)
		c.nroutes = prefixes("route", routes, c.routes,
		    CERT_MAX_ROUTES);
	if (rolelist != NULL) {
		n = split("role", rolelist, &roles[0][0], CERT_MAX_GROUPS,
		    sizeof(roles[0]));
		for (i = 0; i < n; i++) {
			if (strcmp(roles[i], "coordinator") == 0)
				c.roles |= CERT_ROLE_COORDINATOR;
			else if (strcmp(roles[i], "relay") == 0)
				c.roles |= CERT_ROLE_RELAY;
			else
				errx(1, "-R %s: not coordinator or relay",
				    roles[i]);
		}
	}
	if ((len = cert_encode_body(&c, buf, sizeof(buf) - CERT_SIG_LEN,
	    &why)) == -1)
		errx(1, "certificate: %s", why);
	sign_print(k, buf, len, ARMOR_CERT);
	EVP_PKEY_free(k);
	return 0;
}
