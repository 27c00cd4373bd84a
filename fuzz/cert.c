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
 * The trust layer's parsers, common/cert.c and common/armor.c, as
 * meshd-crypto (certificates and lists from the network) and the parent
 * and meshctl (armored files) meet them.
 *
 * Input: a mode byte, then the bytes.  Mode & 3: 0 a certificate, 1 a
 * revocation list, 2 armored text holding a certificate, 3 armored text
 * holding a list.
 *
 * What must hold: a parse that fails gives a reason; one that succeeds
 * gives NUL-terminated valid labels and groups, counts within bounds,
 * bodylen = length - 64, and the encoder gives back exactly the signed
 * bytes (the parser and the encoder agree on the layout); a list's every
 * fingerprint is found by crl_contains.  Armor that decodes encodes to
 * text that decodes to the same bytes.  The signature check runs on
 * whatever parsed (it must not crash; it never holds, the key is made up).
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "fuzz.h"

static const uint8_t	ca[CERT_CA_LEN] = {
	0x3d, 0x40, 0x17, 0xc3, 0xe8, 0x43, 0x89, 0x5a,
	0x92, 0xb7, 0x0a, 0xa7, 0x4d, 0x1b, 0x7e, 0xbc,
	0x9c, 0x98, 0x2c, 0xcf, 0x2e, 0xc4, 0x96, 0x8c,
	0xc0, 0xcd, 0x55, 0xf1, 0x2a, 0xf4, 0x66, 0x0c
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_quiet();
	return 0;
}

static void
check_cert(const uint8_t *buf, size_t len)
{
	struct mesh_cert	 c;
	uint8_t			 body[CERT_MAX], fp[CERT_FP_LEN];
	const char		*why = NULL;
	ssize_t			 n;
	size_t			 i;

	if (cert_parse(buf, len, &c, &why) == -1) {
		if (why == NULL || why[0] == '\0')
			abort();
		return;
	}
	if (c.bodylen + CERT_SIG_LEN != len || len > CERT_MAX ||
	    !cert_valid_label(c.mesh) || !cert_valid_label(c.name) ||
	    c.naddrs < 1 || c.naddrs > CERT_MAX_ADDRS ||
	    c.ngroups > CERT_MAX_GROUPS || c.nroutes > CERT_MAX_ROUTES ||
	    c.not_after <= c.not_before || (c.roles & ~CERT_ROLES))
		abort();
	for (i = 0; i < c.ngroups; i++)
		if (!cert_valid_group(c.groups[i]))
			abort();
	for (i = 0; i < c.naddrs; i++)
		if (c.addrs[i].plen != (c.addrs[i].af == 4 ? 32 : 128))
			abort();
	n = cert_encode_body(&c, body, sizeof(body), &why);
	if (n < 0 || (size_t)n != c.bodylen || memcmp(body, buf, n) != 0)
		abort();
	if (cert_sig_verify(buf, len, c.bodylen, ca) == 0)
		abort();
	cert_fingerprint(buf, len, fp);
}

static void
check_crl(const uint8_t *buf, size_t len)
{
	struct mesh_crl	 l;
	uint8_t		*body;
	const char	*why = NULL;
	ssize_t		 n;
	size_t		 i;

	if (crl_parse(buf, len, &l, &why) == -1) {
		if (why == NULL || why[0] == '\0')
			abort();
		return;
	}
	if (l.bodylen + CERT_SIG_LEN != len || l.serial == 0 ||
	    l.count > CRL_MAX_ENTRIES || !cert_valid_label(l.mesh))
		abort();
	for (i = 0; i < l.count; i++)
		if (!crl_contains(&l, l.fps + i * CERT_FP_LEN))
			abort();
	if ((body = malloc(CRL_MAX)) == NULL)
		abort();
	n = crl_encode_body(&l, body, CRL_MAX, &why);
	if (n < 0 || (size_t)n != l.bodylen || memcmp(body, buf, n) != 0)
		abort();
	free(body);
	if (cert_sig_verify(buf, len, l.bodylen, ca) == 0)
		abort();
}

static void
check_armor(const char *text, size_t len, const char *label, int crl)
{
	uint8_t		*out, *again;
	const char	*why = NULL;
	char		*enc;
	size_t		 n, m;

	if ((out = malloc(CRL_MAX)) == NULL ||
	    (again = malloc(CRL_MAX)) == NULL)
		abort();
	if (armor_decode(text, len, label, out, CRL_MAX, &n, &why) == -1) {
		if (why == NULL || why[0] == '\0')
			abort();
		goto done;
	}
	if (n == 0 || n > CRL_MAX)
		abort();
	if ((enc = armor_encode(label, out, n)) == NULL)
		abort();
	if (armor_decode(enc, strlen(enc), label, again, CRL_MAX, &m,
	    &why) == -1 || m != n || memcmp(out, again, n) != 0)
		abort();
	free(enc);
	if (crl)
		check_crl(out, n);
	else
		check_cert(out, n);
 done:
	free(out);
	free(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (len < 1)
		return 0;
	switch (data[0] & 3) {
	case 0:
		check_cert(data + 1, len - 1);
		break;
	case 1:
		check_crl(data + 1, len - 1);
		break;
	default:
		/* not NUL-terminated: armor_decode must keep to len */
		check_armor((const char *)data + 1, len - 1,
		    (data[0] & 3) == 2 ? ARMOR_CERT : ARMOR_CRL,
		    (data[0] & 3) == 3);
		break;
	}
	return 0;
}
