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
 * Certificates, revocation lists and their armor (common/cert.c,
 * common/armor.c): round trips through encode, sign, armor and parse; the
 * bytes against a second encoder written here from cert.h's layout; every
 * rule of the layout refused with its reason; a signature over any changed
 * byte fails, and one by another key; the fingerprint against SHA-256's
 * known answer; crl_contains at both ends and between.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "tap.h"
#include "cert.h"
#include "meshctl.h"

static EVP_PKEY	*ca_a, *ca_b;
static uint8_t	 pub_a[CERT_CA_LEN], pub_b[CERT_CA_LEN];

static EVP_PKEY *
ed25519_new(uint8_t pub[CERT_CA_LEN])
{
	EVP_PKEY	*k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	size_t		 len = CERT_CA_LEN;

	if (k == NULL || EVP_PKEY_get_raw_public_key(k, pub, &len) != 1) {
		printf("Bail out! cannot make an Ed25519 key\n");
		exit(1);
	}
	return k;
}

/* body + its signature into out: the whole length */
static size_t
sign(EVP_PKEY *k, const uint8_t *body, size_t len, uint8_t *out)
{
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();
	size_t		 siglen = CERT_SIG_LEN;

	memmove(out, body, len);
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) != 1 ||
	    EVP_DigestSign(ctx, out + len, &siglen, out, len) != 1 ||
	    siglen != CERT_SIG_LEN) {
		printf("Bail out! cannot sign\n");
		exit(1);
	}
	EVP_MD_CTX_free(ctx);
	return len + siglen;
}

static void
prefix(struct mesh_prefix *p, int af, int plen, const char *bytes)
{
	memset(p, 0, sizeof(*p));
	p->af = af;
	p->plen = plen;
	memcpy(p->addr, bytes, af == 4 ? 4 : 16);
}

static void
sample(struct mesh_cert *c)
{
	int	i;

	memset(c, 0, sizeof(*c));
	c->roles = CERT_ROLE_COORDINATOR;
	c->not_before = 1700000000;
	c->not_after = 1800000000;
	for (i = 0; i < 32; i++)
		c->pubkey[i] = i + 1;
	strlcpy(c->mesh, "corp", sizeof(c->mesh));
	strlcpy(c->name, "web1", sizeof(c->name));
	c->naddrs = 2;
	prefix(&c->addrs[0], 4, 32, "\x0a\x2a\x00\x05");
	prefix(&c->addrs[1], 6, 128,
	    "\xfd\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05");
	c->ngroups = 2;
	strlcpy(c->groups[0], "web", sizeof(c->groups[0]));
	strlcpy(c->groups[1], "prod_eu-1", sizeof(c->groups[1]));
	c->nroutes = 1;
	prefix(&c->routes[0], 4, 24, "\xc0\xa8\x01\x00");
}

/*
 * A second encoder, byte by byte from cert.h: a header, then fields given
 * as raw bytes so that a test can break any one of them.
 */
struct raw {
	uint8_t		 hdr[56];
	uint8_t		 fields[1024];
	size_t		 flen;
};

static void
raw_add(struct raw *r, const void *p, size_t n)
{
	memcpy(r->fields + r->flen, p, n);
	r->flen += n;
}

static void
raw_u8(struct raw *r, uint8_t v)
{
	raw_add(r, &v, 1);
}

static void
raw_str(struct raw *r, const char *s)
{
	raw_u8(r, strlen(s));
	raw_add(r, s, strlen(s));
}

static void
raw_be64(uint8_t *p, uint64_t v)
{
	int	i;

	for (i = 0; i < 8; i++)
		p[i] = v >> (56 - 8 * i);
}

static void
raw_header(struct raw *r)
{
	int	i;

	memset(r, 0, sizeof(*r));
	memcpy(r->hdr, "MSHC", 4);
	r->hdr[4] = 1;
	r->hdr[5] = CERT_ROLE_COORDINATOR;
	raw_be64(r->hdr + 8, 1700000000);
	raw_be64(r->hdr + 16, 1800000000);
	for (i = 0; i < 32; i++)
		r->hdr[24 + i] = i + 1;
}

/* the sample certificate's fields, up to (not including) stop */
enum field { F_MESH, F_NAME, F_ADDRS, F_GROUPS, F_ROUTES, F_END };

static void
raw_fields(struct raw *r, enum field stop)
{
	if (stop > F_MESH)
		raw_str(r, "corp");
	if (stop > F_NAME)
		raw_str(r, "web1");
	if (stop > F_ADDRS) {
		raw_u8(r, 2);
		raw_add(r, "\x04\x0a\x2a\x00\x05", 5);
		raw_add(r, "\x06\xfd\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
		    "\x00\x00\x00\x00\x05", 17);
	}
	if (stop > F_GROUPS) {
		raw_u8(r, 2);
		raw_str(r, "web");
		raw_str(r, "prod_eu-1");
	}
	if (stop > F_ROUTES) {
		raw_u8(r, 1);
		raw_add(r, "\x04\x18\xc0\xa8\x01\x00", 6);
	}
}

/* header, fields and a 64-byte signature of 0x55 into out */
static size_t
raw_bytes(const struct raw *r, uint8_t *out)
{
	memcpy(out, r->hdr, 56);
	memcpy(out + 56, r->fields, r->flen);
	memset(out + 56 + r->flen, 0x55, CERT_SIG_LEN);
	return 56 + r->flen + CERT_SIG_LEN;
}

static void
refused(const struct raw *r, const char *want, const char *name)
{
	uint8_t			 buf[2048];
	struct mesh_cert	 c;
	const char		*why = NULL;
	size_t			 len = raw_bytes(r, buf);

	if (!ok(cert_parse(buf, len, &c, &why) == -1, "refused: %s", name))
		return;
	is_str(why, want, "%s: \"%s\"", name, want);
}

static void
test_roundtrip(void)
{
	struct mesh_cert	 c, d;
	struct raw		 r;
	uint8_t			 body[CERT_MAX], full[CERT_MAX + 64];
	uint8_t			 ref[2048];
	const char		*why = NULL;
	ssize_t			 n;
	size_t			 len, rlen;

	sample(&c);
	n = cert_encode_body(&c, body, sizeof(body), &why);
	ok(n > 0, "cert_encode_body of a valid certificate");
	raw_header(&r);
	raw_fields(&r, F_END);
	rlen = raw_bytes(&r, ref);
	ok(n == (ssize_t)(rlen - CERT_SIG_LEN) && memcmp(body, ref, n) == 0,
	    "the body is the layout of cert.h, byte for byte");

	len = sign(ca_a, body, n, full);
	ok(cert_parse(full, len, &d, &why) == 0, "the signed certificate "
	    "parses");
	is_int(d.bodylen, n, "bodylen is the signed part");
	ok(d.roles == c.roles && d.not_before == c.not_before &&
	    d.not_after == c.not_after &&
	    memcmp(d.pubkey, c.pubkey, 32) == 0, "roles, times and key back");
	is_str(d.mesh, "corp", "mesh name back");
	is_str(d.name, "web1", "node name back");
	ok(d.naddrs == 2 && memcmp(&d.addrs[0], &c.addrs[0],
	    sizeof(c.addrs[0])) == 0 && memcmp(&d.addrs[1], &c.addrs[1],
	    sizeof(c.addrs[1])) == 0, "addresses back, /32 and /128");
	ok(d.ngroups == 2 && strcmp(d.groups[0], "web") == 0 &&
	    strcmp(d.groups[1], "prod_eu-1") == 0, "groups back, in order");
	ok(d.nroutes == 1 && memcmp(&d.routes[0], &c.routes[0],
	    sizeof(c.routes[0])) == 0, "route back");
	ok(cert_sig_verify(full, len, d.bodylen, pub_a) == 0,
	    "the signature verifies with the signer's key");
	ok(cert_sig_verify(full, len, d.bodylen, pub_b) == -1,
	    "and not with another key");
	ok(cert_sig_verify(full, len - 1, d.bodylen, pub_a) == -1,
	    "nor with a cut signature");

	/* every byte: changed, either the parser or the signature says no */
	{
		size_t	i, bad = 0;

		for (i = 0; i < len; i++) {
			full[i] ^= 0x01;
			if (cert_parse(full, len, &d, &why) == 0 &&
			    cert_sig_verify(full, len, d.bodylen, pub_a) == 0)
				bad++;
			full[i] ^= 0x01;
		}
		is_int(bad, 0, "a change to any of the %zu bytes is caught",
		    len);
	}

	/* the largest certificate: every list full, every name long */
	{
		size_t	i;

		memset(c.mesh, 'm', 63);
		memset(c.name, 'n', 63);
		c.naddrs = CERT_MAX_ADDRS;
		for (i = 0; i < CERT_MAX_ADDRS; i++) {
			prefix(&c.addrs[i], 6, 128, "\xfd\0\0\0\0\0\0\0\0\0\0"
			    "\0\0\0\0\0");
			c.addrs[i].addr[15] = i + 1;
		}
		c.ngroups = CERT_MAX_GROUPS;
		for (i = 0; i < CERT_MAX_GROUPS; i++) {
			memset(c.groups[i], 'g', CERT_GROUP_MAX - 1);
			c.groups[i][0] = 'a' + i;
		}
		c.nroutes = CERT_MAX_ROUTES;
		for (i = 0; i < CERT_MAX_ROUTES; i++) {
			prefix(&c.routes[i], 6, 64, "\x20\x01\x0d\xb8\0\0\0\0"
			    "\0\0\0\0\0\0\0\0");
			c.routes[i].addr[7] = i;
		}
		n = cert_encode_body(&c, body, sizeof(body), &why);
		is_int(n + CERT_SIG_LEN, 787, "the largest certificate is 787 "
		    "bytes");
		ok(n + CERT_SIG_LEN <= CERT_MAX, "and fits CERT_MAX");
		len = sign(ca_a, body, n, full);
		ok(cert_parse(full, len, &d, &why) == 0 && d.naddrs == 8 &&
		    d.ngroups == 8 && d.nroutes == 8 &&
		    strlen(d.mesh) == 63, "and parses back");
		ok(cert_encode_body(&c, body, n - 1, &why) == -1 &&
		    strcmp(why, "buffer too small") == 0,
		    "encode into a buffer one byte short: refused");
	}
}

static void
test_refusals(void)
{
	struct raw	r;
	uint8_t		buf[2048];
	struct mesh_cert c;
	const char	*why = NULL;
	size_t		len;

	raw_header(&r);
	raw_fields(&r, F_END);
	len = raw_bytes(&r, buf);
	ok(cert_parse(buf, len, &c, &why) == 0, "the raw sample parses");
	ok(cert_parse(buf, len - 1, &c, &why) == -1 &&
	    strcmp(why, "truncated at the signature") == 0,
	    "one byte short: truncated at the signature");
	buf[len] = 0;
	ok(cert_parse(buf, len + 1, &c, &why) == -1 &&
	    strcmp(why, "bytes after the signature") == 0,
	    "one byte more: bytes after the signature");
	ok(cert_parse(buf, CERT_MIN - 1, &c, &why) == -1 &&
	    strcmp(why, "too short") == 0, "below CERT_MIN: too short");
	memset(buf, 0, sizeof(buf));
	ok(cert_parse(buf, CERT_MAX + 1, &c, &why) == -1 &&
	    strcmp(why, "too long") == 0, "above CERT_MAX: too long");

#define HDR(stmt, want, name) do {					\
	raw_header(&r);							\
	raw_fields(&r, F_END);						\
	stmt;								\
	refused(&r, want, name);					\
} while (0)
	HDR(r.hdr[0] = 'X', "bad magic (not a certificate)", "bad magic");
	HDR(memcpy(r.hdr, "MSHR", 4), "bad magic (not a certificate)",
	    "a revocation list's magic");
	HDR(r.hdr[4] = 2, "unsupported version", "version 2");
	HDR(r.hdr[4] = 0, "unsupported version", "version 0");
	HDR(r.hdr[5] = 0x04, "unknown role bits", "role bit 0x04");
	HDR(r.hdr[5] = 0x80, "unknown role bits", "role bit 0x80");
	HDR(r.hdr[6] = 1, "reserved bytes not zero", "byte 6 set");
	HDR(r.hdr[7] = 0x80, "reserved bytes not zero", "byte 7 set");
	HDR(raw_be64(r.hdr + 16, 1700000000),
	    "not after is not later than not before", "not_after = not_before");
	HDR(raw_be64(r.hdr + 16, 1600000000),
	    "not after is not later than not before", "not_after < not_before");
	HDR((raw_be64(r.hdr + 8, (uint64_t)-5), raw_be64(r.hdr + 16,
	    (uint64_t)-10)), "not after is not later than not before",
	    "signed times: -10 is before -5");
#undef HDR

	/* a field replaced: the fields before it, bad bytes, the rest */
#define FIELD(upto, bytes, blen, after, want, name) do {		\
	raw_header(&r);							\
	raw_fields(&r, upto);						\
	raw_add(&r, bytes, blen);					\
	after;								\
	refused(&r, want, name);					\
} while (0)
#define REST_NAME	do { raw_str(&r, "web1"); REST_ADDRS; } while (0)
#define REST_ADDRS	do { raw_add(&r, "\x01\x04\x0a\0\0\x01", 6);	\
			    REST_GROUPS; } while (0)
#define REST_GROUPS	do { raw_u8(&r, 0); REST_ROUTES; } while (0)
#define REST_ROUTES	raw_u8(&r, 0)

	FIELD(F_MESH, "\x00", 1, REST_NAME, "mesh name: not a DNS label",
	    "mesh name of length 0");
	FIELD(F_MESH, "\x04" "Corp", 5, REST_NAME, "mesh name: not a DNS "
	    "label", "mesh name with a capital");
	FIELD(F_MESH, "\x04" "-orp", 5, REST_NAME, "mesh name: not a DNS "
	    "label", "mesh name starting with '-'");
	FIELD(F_MESH, "\x04" "cor-", 5, REST_NAME, "mesh name: not a DNS "
	    "label", "mesh name ending with '-'");
	FIELD(F_MESH, "\x04" "co_p", 5, REST_NAME, "mesh name: not a DNS "
	    "label", "mesh name with '_'");
	FIELD(F_MESH, "\x04" "co\0p", 5, REST_NAME, "mesh name: not a DNS "
	    "label", "mesh name with a NUL inside");
	{
		char	l[65];

		l[0] = 64;
		memset(l + 1, 'a', 64);
		FIELD(F_MESH, l, 65, REST_NAME, "mesh name: not a DNS label",
		    "mesh name of 64 bytes");
	}
	FIELD(F_NAME, "\x03" "a.b", 4, REST_ADDRS, "node name: not a DNS "
	    "label", "node name with a dot");
	FIELD(F_NAME, "\x00", 1, REST_ADDRS, "node name: not a DNS label",
	    "node name of length 0");
	FIELD(F_ADDRS, "\x00", 1, REST_GROUPS, "no addresses",
	    "no addresses");
	{
		uint8_t	a[1 + 9 * 5];
		int	i;

		a[0] = 9;
		for (i = 0; i < 9; i++)
			memcpy(a + 1 + 5 * i, "\x04\x0a\0\0", 4),
			    a[1 + 5 * i + 4] = i + 1;
		FIELD(F_ADDRS, a, sizeof(a), REST_GROUPS, "too many addresses",
		    "9 addresses");
	}
	FIELD(F_ADDRS, "\x02\x04\x0a\0\0\x01\x05\x0a\0\0\x02", 11,
	    REST_GROUPS, "address 2: bad family", "address of family 5");
	FIELD(F_ADDRS, "\x01\x00\x0a\0\0\x01", 6, REST_GROUPS,
	    "address 1: bad family", "address of family 0");
	FIELD(F_ADDRS, "\x03\x04\x0a\0\0\x01\x04\x0a\0\0\x02\x04\x0a\0\0\x01",
	    16, REST_GROUPS, "address 3: listed twice",
	    "the same address twice");
	FIELD(F_GROUPS, "\x01\x03" "Web", 5, REST_ROUTES,
	    "group 1: not a valid group name", "group with a capital");
	FIELD(F_GROUPS, "\x01\x03" "w b", 5, REST_ROUTES,
	    "group 1: not a valid group name", "group with a space");
	FIELD(F_GROUPS, "\x02\x01" "a" "\x00", 4, REST_ROUTES,
	    "group 2: not a valid group name", "group of length 0");
	{
		char	g[2 + 32];

		g[0] = 1;
		g[1] = 32;
		memset(g + 2, 'g', 32);
		FIELD(F_GROUPS, g, sizeof(g), REST_ROUTES,
		    "group 1: not a valid group name", "group of 32 bytes");
	}
	FIELD(F_GROUPS, "\x02\x01" "a" "\x01" "a", 5, REST_ROUTES,
	    "group 2: listed twice", "the same group twice");
	FIELD(F_GROUPS, "\x09", 1, REST_ROUTES, "too many groups",
	    "9 groups");
	FIELD(F_ROUTES, "\x01\x05\x18\xc0\xa8\x01\x00", 7, (void)0,
	    "route 1: bad family", "route of family 5");
	FIELD(F_ROUTES, "\x01\x04\x21\xc0\xa8\x01\x00", 7, (void)0,
	    "route 1: prefix length too long", "IPv4 route /33");
	FIELD(F_ROUTES, "\x01\x06\x81" "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0"
	    "\0\0", 19, (void)0, "route 1: prefix length too long",
	    "IPv6 route /129");
	FIELD(F_ROUTES, "\x01\x04\x18\xc0\xa8\x01\x01", 7, (void)0,
	    "route 1: bits set past the prefix length",
	    "192.168.1.1/24");
	FIELD(F_ROUTES, "\x01\x04\x17\xc0\xa8\x01\x00", 7, (void)0,
	    "route 1: bits set past the prefix length",
	    "192.168.1.0/23 (a bit in the byte the length ends in)");
	FIELD(F_ROUTES, "\x01\x04\x00\x00\x00\x00\x01", 7, (void)0,
	    "route 1: bits set past the prefix length", "0.0.0.1/0");
	FIELD(F_ROUTES, "\x02\x04\x00\0\0\0\0\x04\x00\0\0\0\0", 13, (void)0,
	    "route 2: listed twice", "0.0.0.0/0 twice");
	FIELD(F_ROUTES, "\x09", 1, (void)0, "too many routes", "9 routes");
#undef FIELD

	/* no signature at all, with names long enough to pass CERT_MIN */
	{
		char	l[64];

		raw_header(&r);
		l[0] = 63;
		memset(l + 1, 'a', 63);
		raw_add(&r, l, 64);
		raw_add(&r, l, 64);
		REST_ADDRS;
		len = raw_bytes(&r, buf) - CERT_SIG_LEN;
		ok(cert_parse(buf, len, &c, &why) == -1 &&
		    strcmp(why, "truncated at the signature") == 0,
		    "no signature: truncated at the signature");
		raw_header(&r);
		raw_add(&r, l, 64);
		raw_add(&r, l, 40);
		len = raw_bytes(&r, buf) - CERT_SIG_LEN;
		ok(cert_parse(buf, len, &c, &why) == -1 &&
		    strcmp(why, "truncated at the node name") == 0,
		    "cut inside the node name: truncated at the node name");
	}

	/* the same prefix in two families is not a duplicate */
	raw_header(&r);
	raw_fields(&r, F_ROUTES);
	raw_add(&r, "\x02\x04\x00\0\0\0\0\x06\x00\0\0\0\0\0\0\0\0\0\0\0\0\0"
	    "\0\0\0", 25);
	len = raw_bytes(&r, buf);
	ok(cert_parse(buf, len, &c, &why) == 0 && c.nroutes == 2 &&
	    c.routes[0].plen == 0 && c.routes[1].af == 6,
	    "0.0.0.0/0 and ::/0: an exit node's routes are valid");
}

static void
test_encode_refusals(void)
{
	struct mesh_cert c;
	uint8_t		 body[CERT_MAX];
	const char	*why = NULL;

#define ENC(stmt, want, name) do {					\
	sample(&c);							\
	stmt;								\
	why = NULL;							\
	ok(cert_encode_body(&c, body, sizeof(body), &why) == -1,	\
	    "encode refuses %s", name);					\
	is_str(why, want, "%s: \"%s\"", name, want);			\
} while (0)
	ENC(c.addrs[1].plen = 64, "address 2: not a host prefix",
	    "an address /64");
	ENC(c.addrs[0].plen = 24, "address 1: not a host prefix",
	    "an address /24");
	ENC(c.addrs[0].af = 5, "address 1: bad family", "family 5");
	ENC(strlcpy(c.name, "Web1", sizeof(c.name)),
	    "node name: not a DNS label", "a capital in the name");
	ENC(memset(c.mesh, 'a', sizeof(c.mesh)), "mesh name: not a DNS label",
	    "a mesh name without its NUL");
	ENC(c.naddrs = 0, "no addresses", "no addresses");
	ENC(c.naddrs = 9, "too many addresses", "9 addresses");
	ENC(c.ngroups = 9, "too many groups", "9 groups");
	ENC(c.nroutes = 9, "too many routes", "9 routes");
	ENC(strlcpy(c.groups[1], "a.b", sizeof(c.groups[1])),
	    "group 2: not a valid group name", "a group with a dot");
	ENC(strlcpy(c.groups[1], "web", sizeof(c.groups[1])),
	    "group 2: listed twice", "a group twice");
	ENC(c.addrs[1] = c.addrs[0], "address 2: listed twice",
	    "an address twice");
	ENC(c.routes[0].addr[3] = 1, "route 1: bits set past the prefix "
	    "length", "a route with host bits");
	ENC(c.not_after = c.not_before, "not after is not later than not "
	    "before", "an empty validity");
	ENC(c.roles = 4, "unknown role bits", "role bit 0x04");
#undef ENC
}

static void
test_labels(void)
{
	char	buf[64];

	ok(cert_valid_label("a") && cert_valid_label("web-1") &&
	    cert_valid_label("0") && cert_valid_label("a-b-c9"),
	    "labels: a, web-1, 0, a-b-c9");
	ok(!cert_valid_label("") && !cert_valid_label("-a") &&
	    !cert_valid_label("a-") && !cert_valid_label("A") &&
	    !cert_valid_label("a_b") && !cert_valid_label("a.b") &&
	    !cert_valid_label("a b"), "not labels: empty, -a, a-, A, a_b, "
	    "a.b, 'a b'");
	memset(buf, 'x', 63);
	buf[63] = '\0';
	ok(cert_valid_label(buf), "63 characters: a label");
	ok(cert_valid_group("prod_eu-1") && cert_valid_group("-") &&
	    cert_valid_group("_x"), "groups: prod_eu-1, -, _x");
	ok(!cert_valid_group("") && !cert_valid_group("Web") &&
	    !cert_valid_group("a.b"), "not groups: empty, Web, a.b");
	buf[31] = '\0';
	ok(cert_valid_group(buf), "31 characters: a group");
	buf[31] = 'x';
	buf[32] = '\0';
	ok(!cert_valid_group(buf), "32 characters: not a group");
	is_str(cert_roles_text(0, buf, sizeof(buf)), "", "roles 0: \"\"");
	is_str(cert_roles_text(CERT_ROLE_COORDINATOR, buf, sizeof(buf)),
	    "coordinator", "roles: coordinator");
	is_str(cert_roles_text(CERT_ROLE_RELAY, buf, sizeof(buf)), "relay",
	    "roles: relay");
	is_str(cert_roles_text(CERT_ROLES, buf, sizeof(buf)),
	    "coordinator,relay", "roles: coordinator,relay");
}

static void
test_fingerprint(void)
{
	uint8_t		 fp[CERT_FP_LEN], fp2[CERT_FP_LEN];
	static const uint8_t abc[CERT_FP_LEN] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
		0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
		0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad
	};

	cert_fingerprint((const uint8_t *)"abc", 3, fp);
	ok(memcmp(fp, abc, sizeof(abc)) == 0, "fingerprint of \"abc\" is "
	    "SHA-256's known answer");
	cert_fingerprint((const uint8_t *)"abd", 3, fp2);
	ok(memcmp(fp, fp2, sizeof(fp)) != 0, "a changed byte changes it");
}

static void
fp_fill(uint8_t *fp, uint8_t v)
{
	memset(fp, v, CERT_FP_LEN);
}

static void
test_crl(void)
{
	struct mesh_crl	 l, m;
	uint8_t		 fps[4 * CERT_FP_LEN], probe[CERT_FP_LEN];
	uint8_t		 body[CRL_MAX], full[CRL_MAX];
	const char	*why = NULL;
	ssize_t		 n;
	size_t		 len;

	fp_fill(fps, 0x10);
	fp_fill(fps + 32, 0x20);
	fp_fill(fps + 64, 0x30);
	fps[95] = 0x31;
	fp_fill(fps + 96, 0xf0);
	memset(&l, 0, sizeof(l));
	l.serial = 7;
	l.issued = 1750000000;
	strlcpy(l.mesh, "corp", sizeof(l.mesh));
	l.count = 4;
	l.fps = fps;
	n = crl_encode_body(&l, body, sizeof(body), &why);
	is_int(n, 24 + 5 + 4 + 4 * 32, "crl_encode_body: the layout's "
	    "length");
	ok(n > 0 && memcmp(body, "MSHR\x01\0\0\0\0\0\0\0\0\0\0\x07", 16) == 0,
	    "magic, version, zeros, serial 7 big-endian");
	ok(memcmp(body + 24, "\x04" "corp" "\0\0\0\x04", 9) == 0,
	    "mesh name, count 4 big-endian");
	len = sign(ca_a, body, n, full);
	ok(crl_parse(full, len, &m, &why) == 0, "the signed list parses");
	ok(m.serial == 7 && m.issued == 1750000000 && m.count == 4 &&
	    strcmp(m.mesh, "corp") == 0 && m.bodylen == (size_t)n,
	    "serial, issued, mesh, count, bodylen back");
	ok(cert_sig_verify(full, len, m.bodylen, pub_a) == 0,
	    "its signature verifies");
	ok(cert_sig_verify(full, len, m.bodylen, pub_b) == -1,
	    "not with another key");
	full[40] ^= 1;
	ok(cert_sig_verify(full, len, m.bodylen, pub_a) == -1,
	    "not after a fingerprint's byte changed");
	full[40] ^= 1;

	ok(crl_contains(&m, fps) && crl_contains(&m, fps + 32) &&
	    crl_contains(&m, fps + 64) && crl_contains(&m, fps + 96),
	    "crl_contains: every entry, first and last too");
	fp_fill(probe, 0x00);
	ok(!crl_contains(&m, probe), "not below the first");
	fp_fill(probe, 0xff);
	ok(!crl_contains(&m, probe), "not above the last");
	fp_fill(probe, 0x30);
	ok(!crl_contains(&m, probe), "not one differing in its last byte");
	fp_fill(probe, 0x25);
	ok(!crl_contains(&m, probe), "not between two");

	/* an empty list */
	l.count = 0;
	l.fps = NULL;
	n = crl_encode_body(&l, body, sizeof(body), &why);
	len = sign(ca_a, body, n, full);
	ok(crl_parse(full, len, &m, &why) == 0 && m.count == 0,
	    "an empty list parses");
	ok(!crl_contains(&m, probe), "and contains nothing");

	/* refusals */
	l.count = 4;
	l.fps = fps;
	n = crl_encode_body(&l, body, sizeof(body), &why);
	len = sign(ca_a, body, n, full);
#define CRL_BAD(stmt, blen, want, name) do {				\
	uint8_t	 b_[CRL_MAX + 1];					\
	memcpy(b_, full, len);						\
	b_[len] = 0;							\
	stmt;								\
	why = NULL;							\
	ok(crl_parse(b_, blen, &m, &why) == -1, "list refused: %s", name); \
	is_str(why, want, "%s: \"%s\"", name, want);			\
} while (0)
	CRL_BAD((void)0, len - 1, "truncated", "one byte short");
	CRL_BAD((void)0, len + 1, "bytes after the signature",
	    "one byte more");
	CRL_BAD((void)0, 93, "too short", "93 bytes");
	CRL_BAD(b_[3] = 'C', len, "bad magic (not a revocation list)",
	    "a certificate's magic");
	CRL_BAD(b_[4] = 2, len, "unsupported version", "version 2");
	CRL_BAD(b_[6] = 1, len, "reserved bytes not zero", "byte 6 set");
	CRL_BAD(b_[15] = 0, len, "serial 0", "serial 0");
	CRL_BAD(b_[25] = 'C', len, "mesh name: not a DNS label",
	    "a capital in the mesh name");
	CRL_BAD(b_[32] = 5, len, "truncated", "count 5 for 4");
	CRL_BAD(b_[32] = 3, len, "bytes after the signature",
	    "count 3 for 4");
	CRL_BAD(b_[31] = 0x04, len, "too many entries", "count 1028");
	CRL_BAD(b_[29] = 0x80, len, "too many entries", "count 2^31 + 4");
	CRL_BAD(memcpy(b_ + 33 + 32, b_ + 33, 32), len,
	    "fingerprints not in ascending order", "the same fingerprint "
	    "twice");
	CRL_BAD(b_[33] = 0x40, len, "fingerprints not in ascending order",
	    "fingerprints out of order");
#undef CRL_BAD
	{
		uint8_t	*big = calloc(1, CRL_MAX + 1);

		ok(crl_parse(big, CRL_MAX + 1, &m, &why) == -1 &&
		    strcmp(why, "too long") == 0, "a list above CRL_MAX: too "
		    "long");
		free(big);
	}
	memcpy(fps + 32, fps, 32);
	ok(crl_encode_body(&l, body, sizeof(body), &why) == -1 &&
	    strcmp(why, "fingerprints not in ascending order") == 0,
	    "encode refuses a duplicate fingerprint");
	fp_fill(fps + 32, 0x20);
	l.serial = 0;
	ok(crl_encode_body(&l, body, sizeof(body), &why) == -1 &&
	    strcmp(why, "serial 0") == 0, "encode refuses serial 0");
	l.serial = 1;
	ok(crl_encode_body(&l, body, 20, &why) == -1 &&
	    strcmp(why, "buffer too small") == 0,
	    "encode into too small a buffer: refused");
}

static void
test_armor(void)
{
	uint8_t		 data[200], out[300];
	char		*a, text[1024];
	const char	*why = NULL, *p;
	size_t		 n = 0, i, longest = 0, cur = 0;

	for (i = 0; i < sizeof(data); i++)
		data[i] = i * 7;
	a = armor_encode(ARMOR_CERT, data, sizeof(data));
	ok(a != NULL && strncmp(a, "-----BEGIN MESHD CERTIFICATE-----\n",
	    34) == 0, "armor starts with its BEGIN line");
	ok(strlen(a) > 32 && strcmp(a + strlen(a) - 32,
	    "-----END MESHD CERTIFICATE-----\n") == 0,
	    "and ends with its END line and a newline");
	for (p = strchr(a, '\n') + 1; *p != '-'; p++) {
		if (*p == '\n') {
			longest = cur > longest ? cur : longest;
			cur = 0;
		} else
			cur++;
	}
	is_int(longest, 64, "base64 in lines of 64 columns");
	ok(armor_decode(a, strlen(a), ARMOR_CERT, out, sizeof(out), &n,
	    &why) == 0 && n == sizeof(data) && memcmp(out, data, n) == 0,
	    "armor round trip, 200 bytes");
	for (i = 1; i <= 5; i++) {
		char	*b = armor_encode(ARMOR_CRL, data, i);

		ok(armor_decode(b, strlen(b), ARMOR_CRL, out, sizeof(out),
		    &n, &why) == 0 && n == i && memcmp(out, data, i) == 0,
		    "armor round trip, %zu bytes (padding)", i);
		free(b);
	}

	/* CRLF and text around */
	{
		size_t	 o = 0;

		o += snprintf(text, sizeof(text), "Subject: web1\r\n\r\n");
		for (p = a; *p != '\0'; p++) {
			if (*p == '\n')
				text[o++] = '\r';
			text[o++] = *p;
		}
		o += snprintf(text + o, sizeof(text) - o, "-- \r\nbye\r\n");
		ok(armor_decode(text, o, ARMOR_CERT, out, sizeof(out), &n,
		    &why) == 0 && n == sizeof(data) &&
		    memcmp(out, data, n) == 0, "CRLF and text around: decoded");
		ok(armor_decode(text, o, ARMOR_CRL, out, sizeof(out), &n,
		    &why) == -1, "the wrong label: refused");
		is_str(why, "no \"-----BEGIN MESHD REVOCATION LIST-----\" line",
		    "says which BEGIN line it wants");
	}
	ok(armor_decode(a, strlen(a), ARMOR_CERT, out, 199, &n, &why) == -1 &&
	    strcmp(why, "too long") == 0, "a buffer one byte short: too long");

#define ARM_BAD(str, want, name) do {					\
	why = NULL;							\
	ok(armor_decode(str, strlen(str), ARMOR_CERT, out, sizeof(out),	\
	    &n, &why) == -1, "armor refused: %s", name);		\
	is_str(why, want, "%s: \"%s\"", name, want);			\
} while (0)
#define B	"-----BEGIN MESHD CERTIFICATE-----\n"
#define E	"-----END MESHD CERTIFICATE-----\n"
	ARM_BAD(B "QUJD\n", "a BEGIN line without its END line", "no END");
	ARM_BAD(B "QUJD\n-----END MESHD REVOCATION LIST-----\n",
	    "a BEGIN line without its END line", "another label's END");
	ARM_BAD(B "QU*D\n" E, "a character that is not base64", "a '*'");
	ARM_BAD(B "QU JD\n" E, "a character that is not base64",
	    "a space inside");
	ARM_BAD(B "QUJ\n" E, "base64 cut short", "3 characters");
	ARM_BAD(B "Q===\n" E, "bad base64 padding", "Q===");
	ARM_BAD(B "QQ==QUJD\n" E, "base64 after its padding",
	    "data after padding");
	ARM_BAD(B "QR==\n" E, "bad base64 padding", "bits under the padding");
	ARM_BAD(B E, "an empty block", "nothing inside");
	ARM_BAD("-----BEGIN MESHD CERTIFICATE-----x\nQUJD\n" E,
	    "no \"-----BEGIN MESHD CERTIFICATE-----\" line",
	    "a BEGIN line with more after it");
	ARM_BAD("-----BEGIN meshd certificate-----\nQUJD\n" E,
	    "no \"-----BEGIN MESHD CERTIFICATE-----\" line",
	    "the label in lower case");
	ARM_BAD("", "no \"-----BEGIN MESHD CERTIFICATE-----\" line",
	    "empty text");
	ok(armor_decode(B "QUJD  \r\n\n" E, strlen(B "QUJD  \r\n\n" E),
	    ARMOR_CERT, out, sizeof(out), &n, &why) == 0 && n == 3 &&
	    memcmp(out, "ABC", 3) == 0, "blanks at line ends and blank "
	    "lines are taken");
	ok(armor_decode(B "QUJD\n" E B "REVG\n" E, strlen(B "QUJD\n" E B
	    "REVG\n" E), ARMOR_CERT, out, sizeof(out), &n, &why) == 0 &&
	    n == 3 && memcmp(out, "ABC", 3) == 0, "the first block wins");
	ok(armor_decode(B "QUJD\n" "-----END MESHD CERTIFICATE-----",
	    strlen(B "QUJD\n" "-----END MESHD CERTIFICATE-----"), ARMOR_CERT,
	    out, sizeof(out), &n, &why) == 0 && n == 3,
	    "an END line without a newline");
#undef B
#undef E
#undef ARM_BAD
	free(a);
}

/* what meshctl show cert says of a certificate's validity at a time */
static void
test_state(void)
{
	struct mesh_cert c;
	char		 text[64];
	const char	*st;

	sample(&c);	/* 1700000000 .. 1800000000 */
	st = ca_cert_state(&c, 1800000000, text, sizeof(text));
	ok(strcmp(st, "expired") == 0 && strcmp(text, "expired") == 0,
	    "at not_after: expired");
	st = ca_cert_state(&c, 1900000000, text, sizeof(text));
	ok(strcmp(st, "expired") == 0 && strcmp(text, "expired") == 0,
	    "long after: expired");
	st = ca_cert_state(&c, 1699999999, text, sizeof(text));
	ok(strcmp(st, "not yet valid") == 0 &&
	    strcmp(text, "not yet valid") == 0, "a second before not_before: "
	    "not yet valid");
	st = ca_cert_state(&c, 1700000000, text, sizeof(text));
	is_str(st, "valid", "at not_before: valid");
	is_str(text, "valid, 1158 days left", "with its days left, rounded "
	    "up");
	ca_cert_state(&c, 1800000000 - 86400, text, sizeof(text));
	is_str(text, "valid, 1 day left", "a day before: 1 day left");
	ca_cert_state(&c, 1800000000 - 1, text, sizeof(text));
	is_str(text, "valid, 1 day left", "a second before: 1 day left");
	ca_cert_state(&c, 1800000000 - 86401, text, sizeof(text));
	is_str(text, "valid, 2 days left", "a day and a second before: 2 "
	    "days left");
}

int
main(void)
{
	ca_a = ed25519_new(pub_a);
	ca_b = ed25519_new(pub_b);
	test_roundtrip();
	test_refusals();
	test_encode_refusals();
	test_labels();
	test_fingerprint();
	test_crl();
	test_armor();
	test_state();
	EVP_PKEY_free(ca_a);
	EVP_PKEY_free(ca_b);
	return tap_done();
}
