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
 * Certificates and revocation lists (layouts in cert.h): parsed by a
 * cursor that checks every length before it reads, encoded by writing the
 * same fields and then parsing the result, so that nothing can be encoded
 * that the parser refuses.  meshd-crypto runs this under seccomp: no file
 * I/O here, and no allocation but OpenSSL's own in cert_sig_verify().
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "cert.h"

#define CERT_MAGIC	"MSHC"
#define CRL_MAGIC	"MSHR"
#define CERT_FIXED	56	/* magic to the node key */
#define CRL_FIXED	24	/* magic to issued */
#define CRL_MIN		(CRL_FIXED + 2 + 4 + CERT_SIG_LEN)

/* a reason that names an entry: valid until the next parse */
static char	why_buf[64];

struct cursor {
	const uint8_t	*buf;
	size_t		 len;
	size_t		 off;
};

static const char *
why_entry(const char *what, size_t i, const char *reason)
{
	(void)snprintf(why_buf, sizeof(why_buf), "%s %zu: %s", what, i + 1,
	    reason);
	return why_buf;
}

static int
cur_get(struct cursor *c, void *out, size_t n)
{
	if (c->len - c->off < n)
		return -1;
	memcpy(out, c->buf + c->off, n);
	c->off += n;
	return 0;
}

static int
cur_u8(struct cursor *c, uint8_t *v)
{
	return cur_get(c, v, 1);
}

static uint64_t
get_be64(const uint8_t *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	int	i;

	for (i = 7; i >= 0; i--) {
		p[i] = v & 0xff;
		v >>= 8;
	}
}

static size_t
addr_len(uint8_t af)
{
	return af == 4 ? 4 : af == 6 ? 16 : 0;
}

int
cert_valid_label(const char *s)
{
	size_t	i, n = strlen(s);

	if (n < 1 || n > CERT_LABEL_MAX - 1 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

int
cert_valid_group(const char *s)
{
	size_t	i, n = strlen(s);

	if (n < 1 || n > CERT_GROUP_MAX - 1)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

/*
 * A length byte and that many bytes, as a NUL-terminated string: 0, -1 if
 * the bytes run out, -2 if the length or a byte is wrong.
 */
static int
cur_string(struct cursor *c, char *out, size_t outlen, size_t max)
{
	uint8_t	n;

	if (cur_u8(c, &n) == -1)
		return -1;
	if (n < 1 || n > max || n >= outlen)
		return -2;
	if (cur_get(c, out, n) == -1)
		return -1;
	out[n] = '\0';
	/* a NUL inside would hide bytes from the checks on the string */
	if (strlen(out) != n)
		return -2;
	return 0;
}

/* the mesh or node name: mesh 1 for the one, 0 for the other */
static int
parse_label(struct cursor *c, char *out, const char **why, int mesh)
{
	int	r;

	if ((r = cur_string(c, out, CERT_LABEL_MAX, CERT_LABEL_MAX - 1)) ==
	    -1) {
		*why = mesh ? "truncated at the mesh name" :
		    "truncated at the node name";
		return -1;
	}
	if (r == -2 || !cert_valid_label(out)) {
		*why = mesh ? "mesh name: not a DNS label" :
		    "node name: not a DNS label";
		return -1;
	}
	return 0;
}

/* no bits set past plen */
static int
prefix_clean(const struct mesh_prefix *p)
{
	size_t	i, alen = addr_len(p->af);

	for (i = 0; i < alen; i++) {
		if (i * 8 + 8 <= p->plen)
			continue;
		if (i * 8 >= p->plen) {
			if (p->addr[i] != 0)
				return 0;
		} else if (p->addr[i] & (0xff >> (p->plen - i * 8)))
			return 0;
	}
	return 1;
}

static int
prefix_equal(const struct mesh_prefix *a, const struct mesh_prefix *b)
{
	return a->af == b->af && a->plen == b->plen &&
	    memcmp(a->addr, b->addr, addr_len(a->af)) == 0;
}

static int
parse_addrs(struct cursor *c, struct mesh_cert *mc, const char **why)
{
	struct mesh_prefix	*p;
	uint8_t			 n;
	size_t			 i, j;

	if (cur_u8(c, &n) == -1) {
		*why = "truncated at the addresses";
		return -1;
	}
	if (n < 1 || n > CERT_MAX_ADDRS) {
		*why = n < 1 ? "no addresses" : "too many addresses";
		return -1;
	}
	for (i = 0; i < n; i++) {
		p = &mc->addrs[i];
		if (cur_u8(c, &p->af) == -1) {
			*why = "truncated at the addresses";
			return -1;
		}
		if (addr_len(p->af) == 0) {
			*why = why_entry("address", i, "bad family");
			return -1;
		}
		p->plen = p->af == 4 ? 32 : 128;
		if (cur_get(c, p->addr, addr_len(p->af)) == -1) {
			*why = "truncated at the addresses";
			return -1;
		}
		for (j = 0; j < i; j++)
			if (prefix_equal(p, &mc->addrs[j])) {
				*why = why_entry("address", i, "listed twice");
				return -1;
			}
	}
	mc->naddrs = n;
	return 0;
}

static int
parse_groups(struct cursor *c, struct mesh_cert *mc, const char **why)
{
	uint8_t	n;
	size_t	i, j;
	int	r;

	if (cur_u8(c, &n) == -1) {
		*why = "truncated at the groups";
		return -1;
	}
	if (n > CERT_MAX_GROUPS) {
		*why = "too many groups";
		return -1;
	}
	for (i = 0; i < n; i++) {
		r = cur_string(c, mc->groups[i], CERT_GROUP_MAX,
		    CERT_GROUP_MAX - 1);
		if (r == -1) {
			*why = "truncated at the groups";
			return -1;
		}
		if (r == -2 || !cert_valid_group(mc->groups[i])) {
			*why = why_entry("group", i, "not a valid group name");
			return -1;
		}
		for (j = 0; j < i; j++)
			if (strcmp(mc->groups[i], mc->groups[j]) == 0) {
				*why = why_entry("group", i, "listed twice");
				return -1;
			}
	}
	mc->ngroups = n;
	return 0;
}

static int
parse_routes(struct cursor *c, struct mesh_cert *mc, const char **why)
{
	struct mesh_prefix	*p;
	uint8_t			 n;
	size_t			 i, j;

	if (cur_u8(c, &n) == -1) {
		*why = "truncated at the routes";
		return -1;
	}
	if (n > CERT_MAX_ROUTES) {
		*why = "too many routes";
		return -1;
	}
	for (i = 0; i < n; i++) {
		p = &mc->routes[i];
		if (cur_u8(c, &p->af) == -1 || cur_u8(c, &p->plen) == -1) {
			*why = "truncated at the routes";
			return -1;
		}
		if (addr_len(p->af) == 0) {
			*why = why_entry("route", i, "bad family");
			return -1;
		}
		if (p->plen > addr_len(p->af) * 8) {
			*why = why_entry("route", i, "prefix length too long");
			return -1;
		}
		if (cur_get(c, p->addr, addr_len(p->af)) == -1) {
			*why = "truncated at the routes";
			return -1;
		}
		if (!prefix_clean(p)) {
			*why = why_entry("route", i,
			    "bits set past the prefix length");
			return -1;
		}
		for (j = 0; j < i; j++)
			if (prefix_equal(p, &mc->routes[j])) {
				*why = why_entry("route", i, "listed twice");
				return -1;
			}
	}
	mc->nroutes = n;
	return 0;
}

int
cert_parse(const uint8_t *buf, size_t len, struct mesh_cert *mc,
    const char **why)
{
	struct cursor	c = { buf, len, CERT_FIXED };

	memset(mc, 0, sizeof(*mc));
	if (len < CERT_MIN) {
		*why = "too short";
		return -1;
	}
	if (len > CERT_MAX) {
		*why = "too long";
		return -1;
	}
	if (memcmp(buf, CERT_MAGIC, 4) != 0) {
		*why = "bad magic (not a certificate)";
		return -1;
	}
	if (buf[4] != CERT_VERSION) {
		*why = "unsupported version";
		return -1;
	}
	if (buf[5] & ~CERT_ROLES) {
		*why = "unknown role bits";
		return -1;
	}
	if (buf[6] != 0 || buf[7] != 0) {
		*why = "reserved bytes not zero";
		return -1;
	}
	mc->roles = buf[5];
	mc->not_before = (int64_t)get_be64(buf + 8);
	mc->not_after = (int64_t)get_be64(buf + 16);
	if (mc->not_after <= mc->not_before) {
		*why = "not after is not later than not before";
		return -1;
	}
	memcpy(mc->pubkey, buf + CERT_PUBKEY_OFF, sizeof(mc->pubkey));

	if (parse_label(&c, mc->mesh, why, 1) == -1 ||
	    parse_label(&c, mc->name, why, 0) == -1 ||
	    parse_addrs(&c, mc, why) == -1 ||
	    parse_groups(&c, mc, why) == -1 ||
	    parse_routes(&c, mc, why) == -1)
		return -1;
	if (len - c.off < CERT_SIG_LEN) {
		*why = "truncated at the signature";
		return -1;
	}
	if (len - c.off > CERT_SIG_LEN) {
		*why = "bytes after the signature";
		return -1;
	}
	mc->bodylen = c.off;
	return 0;
}

int
crl_parse(const uint8_t *buf, size_t len, struct mesh_crl *crl,
    const char **why)
{
	struct cursor	c = { buf, len, CRL_FIXED };
	uint8_t		n4[4];
	uint32_t	count;
	size_t		i;

	memset(crl, 0, sizeof(*crl));
	if (len < CRL_MIN) {
		*why = "too short";
		return -1;
	}
	if (len > CRL_MAX) {
		*why = "too long";
		return -1;
	}
	if (memcmp(buf, CRL_MAGIC, 4) != 0) {
		*why = "bad magic (not a revocation list)";
		return -1;
	}
	if (buf[4] != CRL_VERSION) {
		*why = "unsupported version";
		return -1;
	}
	if (buf[5] != 0 || buf[6] != 0 || buf[7] != 0) {
		*why = "reserved bytes not zero";
		return -1;
	}
	crl->serial = get_be64(buf + 8);
	crl->issued = (int64_t)get_be64(buf + 16);
	if (crl->serial == 0) {
		*why = "serial 0";
		return -1;
	}
	if (parse_label(&c, crl->mesh, why, 1) == -1)
		return -1;
	if (cur_get(&c, n4, sizeof(n4)) == -1) {
		*why = "truncated at the count";
		return -1;
	}
	count = (uint32_t)n4[0] << 24 | (uint32_t)n4[1] << 16 |
	    (uint32_t)n4[2] << 8 | n4[3];
	if (count > CRL_MAX_ENTRIES) {
		*why = "too many entries";
		return -1;
	}
	if (len - c.off < (size_t)count * CERT_FP_LEN + CERT_SIG_LEN) {
		*why = "truncated";
		return -1;
	}
	if (len - c.off > (size_t)count * CERT_FP_LEN + CERT_SIG_LEN) {
		*why = "bytes after the signature";
		return -1;
	}
	crl->fps = buf + c.off;
	for (i = 1; i < count; i++) {
		if (memcmp(crl->fps + (i - 1) * CERT_FP_LEN,
		    crl->fps + i * CERT_FP_LEN, CERT_FP_LEN) >= 0) {
			*why = "fingerprints not in ascending order";
			crl->fps = NULL;
			return -1;
		}
	}
	crl->count = count;
	crl->bodylen = c.off + (size_t)count * CERT_FP_LEN;
	return 0;
}

static int
put(uint8_t *buf, size_t size, size_t *off, const void *p, size_t n)
{
	if (size - *off < n)
		return -1;
	memcpy(buf + *off, p, n);
	*off += n;
	return 0;
}

static int
put_u8(uint8_t *buf, size_t size, size_t *off, uint8_t v)
{
	return put(buf, size, off, &v, 1);
}

static int
put_string(uint8_t *buf, size_t size, size_t *off, const char *s,
    size_t max)
{
	size_t	n = strnlen(s, max + 1);

	if (n < 1 || n > max)
		return -1;
	if (put_u8(buf, size, off, n) == -1 || put(buf, size, off, s, n) == -1)
		return -1;
	return 0;
}

/* what the encoder cannot write at all; the parser judges the rest */
static int
cert_encodable(const struct mesh_cert *mc, const char **why)
{
	size_t	i;

	if (strnlen(mc->mesh, CERT_LABEL_MAX) >= CERT_LABEL_MAX ||
	    !cert_valid_label(mc->mesh)) {
		*why = "mesh name: not a DNS label";
		return -1;
	}
	if (strnlen(mc->name, CERT_LABEL_MAX) >= CERT_LABEL_MAX ||
	    !cert_valid_label(mc->name)) {
		*why = "node name: not a DNS label";
		return -1;
	}
	if (mc->naddrs < 1 || mc->naddrs > CERT_MAX_ADDRS) {
		*why = mc->naddrs < 1 ? "no addresses" : "too many addresses";
		return -1;
	}
	for (i = 0; i < mc->naddrs; i++) {
		if (addr_len(mc->addrs[i].af) == 0) {
			*why = why_entry("address", i, "bad family");
			return -1;
		}
		if (mc->addrs[i].plen != addr_len(mc->addrs[i].af) * 8) {
			*why = why_entry("address", i, "not a host prefix");
			return -1;
		}
	}
	if (mc->ngroups > CERT_MAX_GROUPS) {
		*why = "too many groups";
		return -1;
	}
	for (i = 0; i < mc->ngroups; i++)
		if (strnlen(mc->groups[i], CERT_GROUP_MAX) >= CERT_GROUP_MAX ||
		    !cert_valid_group(mc->groups[i])) {
			*why = why_entry("group", i, "not a valid group name");
			return -1;
		}
	if (mc->nroutes > CERT_MAX_ROUTES) {
		*why = "too many routes";
		return -1;
	}
	for (i = 0; i < mc->nroutes; i++)
		if (addr_len(mc->routes[i].af) == 0) {
			*why = why_entry("route", i, "bad family");
			return -1;
		}
	return 0;
}

ssize_t
cert_encode_body(const struct mesh_cert *mc, uint8_t *buf, size_t size,
    const char **why)
{
	uint8_t			 tmp[CERT_MAX];
	struct mesh_cert	 check;
	const struct mesh_prefix *p;
	size_t			 off = 0, i;
	int			 bad = 0;

	if (cert_encodable(mc, why) == -1)
		return -1;
	memset(tmp, 0, sizeof(tmp));
	memcpy(tmp, CERT_MAGIC, 4);
	tmp[4] = CERT_VERSION;
	tmp[5] = mc->roles;
	put_be64(tmp + 8, (uint64_t)mc->not_before);
	put_be64(tmp + 16, (uint64_t)mc->not_after);
	memcpy(tmp + CERT_PUBKEY_OFF, mc->pubkey, sizeof(mc->pubkey));
	off = CERT_FIXED;
	/* cannot overflow: cert_encodable() bounded every count and length */
	bad |= put_string(tmp, sizeof(tmp), &off, mc->mesh, CERT_LABEL_MAX - 1);
	bad |= put_string(tmp, sizeof(tmp), &off, mc->name, CERT_LABEL_MAX - 1);
	bad |= put_u8(tmp, sizeof(tmp), &off, mc->naddrs);
	for (i = 0; i < mc->naddrs; i++) {
		p = &mc->addrs[i];
		bad |= put_u8(tmp, sizeof(tmp), &off, p->af);
		bad |= put(tmp, sizeof(tmp), &off, p->addr, addr_len(p->af));
	}
	bad |= put_u8(tmp, sizeof(tmp), &off, mc->ngroups);
	for (i = 0; i < mc->ngroups; i++)
		bad |= put_string(tmp, sizeof(tmp), &off, mc->groups[i],
		    CERT_GROUP_MAX - 1);
	bad |= put_u8(tmp, sizeof(tmp), &off, mc->nroutes);
	for (i = 0; i < mc->nroutes; i++) {
		p = &mc->routes[i];
		bad |= put_u8(tmp, sizeof(tmp), &off, p->af);
		bad |= put_u8(tmp, sizeof(tmp), &off, p->plen);
		bad |= put(tmp, sizeof(tmp), &off, p->addr, addr_len(p->af));
	}
	if (bad || sizeof(tmp) - off < CERT_SIG_LEN) {
		*why = "too long";
		return -1;
	}
	/* the parser is the one judge of what is valid; a zero signature */
	if (cert_parse(tmp, off + CERT_SIG_LEN, &check, why) == -1)
		return -1;
	if (size < off) {
		*why = "buffer too small";
		return -1;
	}
	memcpy(buf, tmp, off);
	return off;
}

ssize_t
crl_encode_body(const struct mesh_crl *crl, uint8_t *buf, size_t size,
    const char **why)
{
	uint8_t	 hdr[CRL_FIXED + 1 + CERT_LABEL_MAX + 4];
	size_t	 off = 0, i, need;

	if (strnlen(crl->mesh, CERT_LABEL_MAX) >= CERT_LABEL_MAX ||
	    !cert_valid_label(crl->mesh)) {
		*why = "mesh name: not a DNS label";
		return -1;
	}
	if (crl->serial == 0) {
		*why = "serial 0";
		return -1;
	}
	if (crl->count > CRL_MAX_ENTRIES) {
		*why = "too many entries";
		return -1;
	}
	for (i = 1; i < crl->count; i++)
		if (memcmp(crl->fps + (i - 1) * CERT_FP_LEN,
		    crl->fps + i * CERT_FP_LEN, CERT_FP_LEN) >= 0) {
			*why = "fingerprints not in ascending order";
			return -1;
		}
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, CRL_MAGIC, 4);
	hdr[4] = CRL_VERSION;
	put_be64(hdr + 8, crl->serial);
	put_be64(hdr + 16, (uint64_t)crl->issued);
	off = CRL_FIXED;
	(void)put_string(hdr, sizeof(hdr), &off, crl->mesh,
	    CERT_LABEL_MAX - 1);
	hdr[off++] = (crl->count >> 24) & 0xff;
	hdr[off++] = (crl->count >> 16) & 0xff;
	hdr[off++] = (crl->count >> 8) & 0xff;
	hdr[off++] = crl->count & 0xff;
	need = off + crl->count * CERT_FP_LEN;
	if (size < need) {
		*why = "buffer too small";
		return -1;
	}
	memcpy(buf, hdr, off);
	if (crl->count > 0)
		memcpy(buf + off, crl->fps, crl->count * CERT_FP_LEN);
	return need;
}

int
cert_sig_verify(const uint8_t *buf, size_t len, size_t bodylen,
    const uint8_t ca[CERT_CA_LEN])
{
	EVP_PKEY	*pkey;
	EVP_MD_CTX	*ctx = NULL;
	int		 ret = -1;

	if (bodylen > len || len - bodylen != CERT_SIG_LEN)
		return -1;
	if ((pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, ca,
	    CERT_CA_LEN)) == NULL)
		return -1;
	if ((ctx = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
	    EVP_DigestVerify(ctx, buf + bodylen, CERT_SIG_LEN, buf,
	    bodylen) == 1)
		ret = 0;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return ret;
}

void
cert_fingerprint(const uint8_t *buf, size_t len, uint8_t fp[CERT_FP_LEN])
{
	unsigned int	n = CERT_FP_LEN;

	/*
	 * Only a failed allocation inside OpenSSL gets here; a made-up
	 * fingerprint could slip past a revocation list, so stop instead.
	 */
	if (EVP_Digest(buf, len, fp, &n, EVP_sha256(), NULL) != 1 ||
	    n != CERT_FP_LEN)
		abort();
}

int
crl_contains(const struct mesh_crl *crl, const uint8_t fp[CERT_FP_LEN])
{
	size_t	lo = 0, hi = crl->count, mid;
	int	c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = memcmp(fp, crl->fps + mid * CERT_FP_LEN, CERT_FP_LEN);
		if (c == 0)
			return 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

const char *
cert_roles_text(uint8_t roles, char *buf, size_t len)
{
	const char	*s;

	switch (roles & CERT_ROLES) {
	case CERT_ROLE_COORDINATOR:
		s = "coordinator";
		break;
	case CERT_ROLE_RELAY:
		s = "relay";
		break;
	case CERT_ROLE_COORDINATOR | CERT_ROLE_RELAY:
		s = "coordinator,relay";
		break;
	default:
		s = "";
		break;
	}
	(void)strlcpy(buf, s, len);
	return buf;
}
