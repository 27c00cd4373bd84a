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
 * The mesh's trust: node certificates and revocation lists, signed by the
 * mesh admin's Ed25519 key.  Fixed, versioned binary layouts read by
 * explicit offsets (no general parser: meshd-crypto reads these), and the
 * text armor they travel in as files (armor.c; never in meshd-crypto).
 *
 * Certificate, version 1 (integers big-endian):
 *	off	len
 *	0	4	magic "MSHC"
 *	4	1	version, 1
 *	5	1	roles: CERT_ROLE_* bits, no others
 *	6	2	zero
 *	8	8	not_before, unix seconds (signed)
 *	16	8	not_after, unix seconds (signed), > not_before
 *	24	32	the node's X25519 (Noise static) public key
 *	56	1+m	mesh name: length m (1..63), a DNS label
 *		1+n	node name: length n (1..63), a DNS label
 *		1+..	addresses: count (1..CERT_MAX_ADDRS), each family (4 or 6)
 *			and 4 or 16 bytes: host prefixes (/32, /128)
 *		1+..	groups: count (0..CERT_MAX_GROUPS), each length
 *			(1..CERT_GROUP_MAX - 1) and [a-z0-9_-] bytes
 *		1+..	routes: count (0..CERT_MAX_ROUTES), each family (4 or 6),
 *			prefix length, 4 or 16 bytes (no bits past the length)
 *		64	Ed25519 signature of every byte before it
 *	and nothing after.  A DNS label here: [a-z0-9-], 1..63, no '-' first
 *	or last.  No address twice, no group twice, no route twice.
 *
 * Revocation list, version 1:
 *	0	4	magic "MSHR"
 *	4	1	version, 1
 *	5	3	zero
 *	8	8	serial (>= 1): a higher one replaces a lower one
 *	16	8	issued, unix seconds
 *	24	1+m	mesh name, as in a certificate
 *		4	count (0..CRL_MAX_ENTRIES)
 *		32*count fingerprints of revoked certificates, ascending, no
 *			two the same
 *		64	Ed25519 signature of every byte before it
 *
 * A certificate's fingerprint is the SHA-256 of all its bytes, signature
 * included.
 */

#ifndef CERT_H
#define CERT_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "meshd.h"		/* struct mesh_prefix */

#define CERT_VERSION		1
#define CERT_LABEL_MAX		64	/* a DNS label and its NUL */
#define CERT_MAX_ADDRS		MESH_CERT_ADDRS
#define CERT_MAX_GROUPS		MESH_CERT_GROUPS
#define CERT_GROUP_MAX		MESH_GROUP_MAX	/* a group and its NUL */
#define CERT_MAX_ROUTES		MESH_CERT_ROUTES
#define CERT_SIG_LEN		64
#define CERT_FP_LEN		32
#define CERT_CA_LEN		32	/* an Ed25519 public key */
#define CERT_MIN		(56 + 2 + 2 + 1 + 5 + 1 + 1 + CERT_SIG_LEN)
#define CERT_MAX		MESH_CERT_MAX	/* the largest valid: 787 */
#define CERT_PUBKEY_OFF		24	/* the node key, at a fixed place */

#define CERT_ROLE_COORDINATOR	0x01
#define CERT_ROLE_RELAY		0x02
#define CERT_ROLES		(CERT_ROLE_COORDINATOR | CERT_ROLE_RELAY)

#define CRL_VERSION		1
#define CRL_MAX_ENTRIES		1024
#define CRL_MAX			(24 + 64 + 4 + 32 * CRL_MAX_ENTRIES + \
				    CERT_SIG_LEN)

struct mesh_cert {
	uint8_t		 roles;
	int64_t		 not_before;
	int64_t		 not_after;
	uint8_t		 pubkey[32];
	char		 mesh[CERT_LABEL_MAX];
	char		 name[CERT_LABEL_MAX];
	size_t		 naddrs;
	struct mesh_prefix addrs[CERT_MAX_ADDRS];	/* plen 32 or 128 */
	size_t		 ngroups;
	char		 groups[CERT_MAX_GROUPS][CERT_GROUP_MAX];
	size_t		 nroutes;
	struct mesh_prefix routes[CERT_MAX_ROUTES];
	size_t		 bodylen;	/* the signed bytes: len - 64 */
};

struct mesh_crl {
	uint64_t	 serial;
	int64_t		 issued;
	char		 mesh[CERT_LABEL_MAX];
	size_t		 count;
	const uint8_t	*fps;		/* count * 32 bytes, in the buffer */
	size_t		 bodylen;
};

/*
 * Parse by the layout above.  0, or -1 with *why a short reason in words
 * ("bad magic", "address 2: not a host prefix", ...).  The signature is
 * not checked here.
 */
int	 cert_parse(const uint8_t *, size_t, struct mesh_cert *,
	    const char **);
int	 crl_parse(const uint8_t *, size_t, struct mesh_crl *,
	    const char **);
/*
 * The signed bytes of c (the layout above, without the signature) into
 * buf: their length, or -1 if c breaks a rule (why says which) or buf is
 * too small.
 */
ssize_t	 cert_encode_body(const struct mesh_cert *, uint8_t *, size_t,
	    const char **);
/* fps: count sorted fingerprints */
ssize_t	 crl_encode_body(const struct mesh_crl *, uint8_t *, size_t,
	    const char **);
/* Ed25519 (OpenSSL EVP) of the first bodylen bytes of buf: 0 good, -1 */
int	 cert_sig_verify(const uint8_t *, size_t, size_t,
	    const uint8_t [CERT_CA_LEN]);
void	 cert_fingerprint(const uint8_t *, size_t, uint8_t [CERT_FP_LEN]);
/* 1 if fp is in the list (binary search), else 0 */
int	 crl_contains(const struct mesh_crl *, const uint8_t [CERT_FP_LEN]);
/* a DNS label as certificates want it: 1 yes, 0 no */
int	 cert_valid_label(const char *);
int	 cert_valid_group(const char *);
/* "coordinator", "relay", "coordinator,relay" or "" */
const char *cert_roles_text(uint8_t, char *, size_t);

/*
 * armor.c: text armor for files,
 *	-----BEGIN MESHD CERTIFICATE-----
 *	base64, 64 columns
 *	-----END MESHD CERTIFICATE-----
 * (and "MESHD REVOCATION LIST").  Text around the block is ignored.
 */
#define ARMOR_CERT		"MESHD CERTIFICATE"
#define ARMOR_CRL		"MESHD REVOCATION LIST"
/* malloc'd, NUL-terminated, ends in a newline */
char	*armor_encode(const char *, const uint8_t *, size_t);
/* decodes the first block of that label: 0 and *len, or -1 and *why */
int	 armor_decode(const char *, size_t, const char *, uint8_t *, size_t,
	    size_t *, const char **);

#endif /* CERT_H */
