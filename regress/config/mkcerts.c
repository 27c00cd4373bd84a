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
 * Makes the certificates and revocation lists that regress/config's
 * golden tests read (regress/config/certs), with the real encoder of
 * common/cert.c and common/armor.c, and fixed keys so that the same
 * input makes the same files:
 *	ca.key		the test mesh's admin key (Ed25519 seed, base64),
 *			test data only; its public key is ca.pub
 *	other-ca.key	another admin's, for the forged files
 * Every node key is the public key of the private key config.t writes as
 * fixed.key, but other.crt's.  Validity ends in 2099 so that the golden
 * tests do not rot; expired.crt ended in 2020.  Run by mkcerts.sh.
 */

#include <sys/types.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cert.h"
#include "meshd.h"
#include "wgkey.h"

#define T2020_01_01	1577836800LL
#define T2020_06_30	1593475200LL
#define T2098_01_01	4039372800LL
#define T2099_01_01	4070908800LL

/* config.t's fixed.key, and another node's (a peer key of the tests) */
#define NODE_PUB	"HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="
#define OTHER_PUB	"act0B1ztB5HkpJe/m13Ny2EaPcmOjF5vzpuuXcNFBXs="

static const char	*dir;

static EVP_PKEY *
load_key(const char *name)
{
	char		 path[1024], line[128];
	uint8_t		 seed[32];
	FILE		*f;
	EVP_PKEY	*k;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL || fgets(line, sizeof(line),
	    f) == NULL)
		err(1, "%s", path);
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	if (wg_key_from_base64(seed, line) == -1)
		errx(1, "%s: not 32 bytes of base64", path);
	if ((k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
	    sizeof(seed))) == NULL)
		errx(1, "%s: not an Ed25519 key", path);
	return k;
}

static void
write_pub(EVP_PKEY *k, const char *name)
{
	char	 path[1024], b64[WG_KEY_B64_LEN + 1];
	uint8_t	 pub[32];
	size_t	 len = sizeof(pub);
	FILE	*f;

	if (EVP_PKEY_get_raw_public_key(k, pub, &len) != 1 || len != 32)
		errx(1, "public key");
	wg_key_to_base64(b64, pub);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		err(1, "%s", path);
	fprintf(f, "%s\n", b64);
	fclose(f);
}

/* body (len bytes, room for 64 more) signed by k, armored into name */
static void
sign_write(EVP_PKEY *k, uint8_t *buf, size_t len, const char *label,
    const char *name, uint8_t *fp)
{
	EVP_MD_CTX	*ctx;
	size_t		 siglen = CERT_SIG_LEN;
	char		 path[1024], *text;
	FILE		*f;

	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) != 1 ||
	    EVP_DigestSign(ctx, buf + len, &siglen, buf, len) != 1 ||
	    siglen != CERT_SIG_LEN)
		errx(1, "%s: cannot sign", name);
	EVP_MD_CTX_free(ctx);
	if (fp != NULL)
		cert_fingerprint(buf, len + CERT_SIG_LEN, fp);
	if ((text = armor_encode(label, buf, len + CERT_SIG_LEN)) == NULL)
		errx(1, "armor_encode");
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		err(1, "%s", path);
	fputs(text, f);
	fclose(f);
	free(text);
}

static void
add_addr(struct mesh_cert *c, const char *s)
{
	if (mesh_prefix_pton(s, &c->addrs[c->naddrs++]) == -1)
		errx(1, "%s", s);
}

static void
cert(EVP_PKEY *k, const char *name, const char *mesh, const char *node,
    const char *pub, int64_t nb, int64_t na, uint8_t roles, uint8_t *fp)
{
	struct mesh_cert	 c;
	uint8_t			 buf[CERT_MAX];
	const char		*why;
	ssize_t			 len;

	memset(&c, 0, sizeof(c));
	c.roles = roles;
	c.not_before = nb;
	c.not_after = na;
	if (wg_key_from_base64(c.pubkey, pub) == -1)
		errx(1, "%s: key", name);
	strlcpy(c.mesh, mesh, sizeof(c.mesh));
	strlcpy(c.name, node, sizeof(c.name));
	if (strcmp(node, "coord1") == 0)
		add_addr(&c, "100.64.0.10/32");
	else {
		add_addr(&c, "100.64.0.1/32");
		add_addr(&c, "fd7a:115c:a1e0::1/128");
	}
	strlcpy(c.groups[c.ngroups++], "web", sizeof(c.groups[0]));
	/* a gateway: networks behind it, for announce */
	if (strcmp(name, "gw.crt") == 0) {
		if (mesh_prefix_pton("10.1.0.0/16", &c.routes[0]) == -1 ||
		    mesh_prefix_pton("fd00:1::/48", &c.routes[1]) == -1)
			errx(1, "%s: routes", name);
		c.nroutes = 2;
	}
	if ((len = cert_encode_body(&c, buf, sizeof(buf), &why)) == -1)
		errx(1, "%s: %s", name, why);
	sign_write(k, buf, len, ARMOR_CERT, name, fp);
}

static void
crl(EVP_PKEY *k, const char *name, const char *mesh, uint64_t serial,
    const uint8_t *fps, size_t count)
{
	struct mesh_crl	 l;
	uint8_t		 buf[1024];
	const char	*why;
	ssize_t		 len;

	memset(&l, 0, sizeof(l));
	l.serial = serial;
	l.issued = T2020_01_01;
	strlcpy(l.mesh, mesh, sizeof(l.mesh));
	l.count = count;
	l.fps = fps;
	if ((len = crl_encode_body(&l, buf, sizeof(buf) - CERT_SIG_LEN,
	    &why)) == -1)
		errx(1, "%s: %s", name, why);
	sign_write(k, buf, len, ARMOR_CRL, name, NULL);
}

int
main(int argc, char *argv[])
{
	EVP_PKEY	*ca, *other;
	uint8_t		 fp_self[CERT_FP_LEN], fp_other[CERT_FP_LEN];

	if (argc != 2)
		errx(1, "usage: mkcerts DIR");
	dir = argv[1];
	ca = load_key("ca.key");
	other = load_key("other-ca.key");
	write_pub(ca, "ca.pub");

	cert(ca, "web1.crt", "corp", "web1", NODE_PUB, T2020_01_01,
	    T2099_01_01, 0, fp_self);
	cert(ca, "coord1.crt", "corp", "coord1", NODE_PUB, T2020_01_01,
	    T2099_01_01, CERT_ROLE_COORDINATOR, NULL);
	cert(ca, "expired.crt", "corp", "web1", NODE_PUB, T2020_01_01,
	    T2020_06_30, 0, NULL);
	cert(ca, "future.crt", "corp", "web1", NODE_PUB, T2098_01_01,
	    T2099_01_01, 0, NULL);
	cert(ca, "lab.crt", "lab", "web1", NODE_PUB, T2020_01_01,
	    T2099_01_01, 0, NULL);
	cert(other, "forged.crt", "corp", "web1", NODE_PUB, T2020_01_01,
	    T2099_01_01, 0, NULL);
	cert(ca, "other.crt", "corp", "web2", OTHER_PUB, T2020_01_01,
	    T2099_01_01, 0, fp_other);
	cert(ca, "gw.crt", "corp", "web1", NODE_PUB, T2020_01_01,
	    T2099_01_01, 0, NULL);

	crl(ca, "revoked.crl", "corp", 3, fp_other, 1);
	crl(ca, "revoked-self.crl", "corp", 4, fp_self, 1);
	crl(ca, "lab.crl", "lab", 1, NULL, 0);
	crl(other, "forged.crl", "corp", 5, NULL, 0);
	EVP_PKEY_free(ca);
	EVP_PKEY_free(other);
	return 0;
}
