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
 * The STUN Binding codec (stun.h).  Every field is read at its offset
 * after its length was checked; nothing is cast onto the buffer.
 */

#include <sys/types.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "byteorder.h"
#include "stun.h"
#include "why.h"

#define ERROR_REASON_MAX	763	/* bytes, RFC 8489 section 14.8 */

/* bitwise: a STUN message is a few dozen bytes, a table buys nothing */
uint32_t
stun_crc32(const uint8_t *p, size_t len)
{
	uint32_t	crc = 0xffffffffU;
	size_t		i;
	int		k;

	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320U & -(crc & 1));
	}
	return ~crc;
}

/*
 * Why a WireGuard message is never taken for STUN: WireGuard's first
 * four bytes are its type 1..4 as a little-endian word, so the bytes
 * read 0x01..0x04 then three zeros.  As a STUN header that is type
 * 0x0100, 0x0200, 0x0300 or 0x0400 with length 0: none is a Binding
 * type (0x0001, 0x0101, 0x0111), and a length of 0 would make the
 * datagram exactly 20 bytes while the shortest WireGuard message (a
 * keepalive) is 32.  The magic cookie at offset 4, where WireGuard has a
 * random index, is a third check, not the one relied on.  Both sides of
 * a tunnel socket so demultiplex on the first bytes alone.
 */
int
stun_is_stun(const uint8_t *p, size_t len)
{
	uint16_t	type;

	if (len < STUN_HDR_LEN || (p[0] & 0xc0) != 0)
		return 0;
	type = get_be16(p);
	if (type != STUN_BINDING_REQUEST && type != STUN_BINDING_SUCCESS &&
	    type != STUN_BINDING_ERROR)
		return 0;
	if (get_be32(p + 4) != STUN_MAGIC)
		return 0;
	if (get_be16(p + 2) % 4 != 0 || len - STUN_HDR_LEN != get_be16(p + 2))
		return 0;
	return 1;
}

const char *
stun_type_name(unsigned int type)
{
	switch (type) {
	case STUN_BINDING_REQUEST:
		return "Binding request";
	case STUN_BINDING_SUCCESS:
		return "Binding success";
	case STUN_BINDING_ERROR:
		return "Binding error";
	default:
		return "unknown";
	}
}

static void
put_fingerprint(uint8_t *p, size_t off)
{
	put_be16(p + off, STUN_A_FINGERPRINT);
	put_be16(p + off + 2, 4);
	put_be32(p + off + 4, stun_crc32(p, off) ^ STUN_FINGERPRINT_XOR);
}

static void
put_header(uint8_t *p, uint16_t type, size_t attrlen, const uint8_t *txid)
{
	put_be16(p, type);
	put_be16(p + 2, (uint16_t)attrlen);
	put_be32(p + 4, STUN_MAGIC);
	memcpy(p + 8, txid, STUN_TXID_LEN);
}

ssize_t
stun_request(uint8_t *buf, size_t len, const uint8_t *txid)
{
	if (len < STUN_REQUEST_LEN)
		return -1;
	put_header(buf, STUN_BINDING_REQUEST, 8, txid);
	put_fingerprint(buf, STUN_HDR_LEN);
	return STUN_REQUEST_LEN;
}

/* MAPPED-ADDRESS or XOR-MAPPED-ADDRESS (then xored with cookie and id) */
static int
get_addr(const uint8_t *v, size_t vlen, const uint8_t *hdr, int xor,
    struct stun_addr *a, const char **why)
{
	size_t	i, alen;

	memset(a, 0, sizeof(*a));
	if (vlen < 4)
		return why_fail(why, "address attribute of %zu bytes", vlen);
	switch (v[1]) {
	case 1:
		a->af = 4;
		alen = 4;
		break;
	case 2:
		a->af = 6;
		alen = 16;
		break;
	default:
		return why_fail(why, "address family %u", v[1]);
	}
	if (vlen != 4 + alen)
		return why_fail(why, "IPv%u address attribute of %zu bytes",
		    a->af, vlen);
	a->port = get_be16(v + 2);
	for (i = 0; i < alen; i++)
		a->addr[i] = v[4 + i];
	if (xor) {
		/* the port with the cookie's top half, the address with the
		 * cookie then the transaction id (header bytes 4..19) */
		a->port ^= STUN_MAGIC >> 16;
		for (i = 0; i < alen; i++)
			a->addr[i] ^= hdr[4 + i];
	}
	if (a->port == 0)
		return why_fail(why, "mapped port 0");
	return 0;
}

static int
get_error(const uint8_t *v, size_t vlen, struct stun_msg *m,
    const char **why)
{
	unsigned int	cls, num;

	if (vlen < 4 || vlen - 4 > ERROR_REASON_MAX)
		return why_fail(why, "ERROR-CODE of %zu bytes", vlen);
	cls = v[2] & 7;
	num = v[3];
	if (cls < 3 || cls > 6 || num > 99)
		return why_fail(why, "error class %u number %u", cls, num);
	m->code = cls * 100 + num;
	m->reason = (const char *)v + 4;
	m->reasonlen = vlen - 4;
	return 0;
}

/* the attributes we understand but do not use */
static int
known_unused(uint16_t at)
{
	switch (at) {
	case STUN_A_USERNAME:
	case STUN_A_UNKNOWN_ATTRIBUTES:
	case STUN_A_REALM:
	case STUN_A_NONCE:
	case STUN_A_PASSWORD_ALGORITHM:
	case STUN_A_USERHASH:
		return 1;
	default:
		return 0;
	}
}

struct walk {
	int		 seen_xor;
	int		 seen_mapped;
	int		 seen_error;
	struct stun_addr mapped;
};

/* one attribute before any MESSAGE-INTEGRITY */
static int
one_attr(const uint8_t *p, uint16_t at, const uint8_t *v, size_t vlen,
    struct stun_msg *m, struct walk *w, const char **why)
{
	/* only the first of each counts (RFC 8489 section 14) */
	switch (at) {
	case STUN_A_XOR_MAPPED_ADDRESS:
		if (m->type != STUN_BINDING_SUCCESS || w->seen_xor++)
			return 0;
		return get_addr(v, vlen, p, 1, &m->mapped, why);
	case STUN_A_MAPPED_ADDRESS:
		if (m->type != STUN_BINDING_SUCCESS || w->seen_mapped++)
			return 0;
		return get_addr(v, vlen, p, 0, &w->mapped, why);
	case STUN_A_ERROR_CODE:
		if (m->type != STUN_BINDING_ERROR || w->seen_error++)
			return 0;
		return get_error(v, vlen, m, why);
	default:
		break;
	}
	if (at < 0x8000 && !known_unused(at)) {
		if (m->nunknown < STUN_MAX_UNKNOWN)
			m->unknown[m->nunknown] = at;
		m->nunknown++;
	}
	return 0;
}

/*
 * The header and every attribute.  After MESSAGE-INTEGRITY (which we
 * neither need nor check: there is no password) only FINGERPRINT
 * counts, and FINGERPRINT must be the last attribute (RFC 8489 sections
 * 14.5 and 14.7).
 */
static int
parse(const uint8_t *p, size_t len, struct stun_msg *m, const char **why)
{
	struct walk	 w;
	const uint8_t	*v;
	size_t		 off, vlen, padded;
	uint16_t	 at;
	int		 integrity = 0;

	memset(m, 0, sizeof(*m));
	memset(&w, 0, sizeof(w));
	if (!stun_is_stun(p, len))
		return why_fail(why, "not a STUN Binding message");
	m->type = get_be16(p);
	memcpy(m->txid, p + 8, STUN_TXID_LEN);
	for (off = STUN_HDR_LEN; off < len; off += 4 + padded) {
		/* len - off is a multiple of 4 here: a header fits */
		at = get_be16(p + off);
		vlen = get_be16(p + off + 2);
		padded = (vlen + 3) & ~(size_t)3;
		if (padded > len - off - 4)
			return why_fail(why,
			    "attribute 0x%04x at %zu: %zu bytes "
			    "past the end", at, off, padded - (len - off - 4));
		v = p + off + 4;
		if (m->fingerprint)
			return why_fail(why,
			    "attribute 0x%04x after FINGERPRINT",
			    at);
		if (at == STUN_A_FINGERPRINT) {
			if (vlen != 4)
				return why_fail(why, "FINGERPRINT of %zu bytes",
				    vlen);
			if (get_be32(v) != (stun_crc32(p, off) ^
			    STUN_FINGERPRINT_XOR))
				return why_fail(why,
				    "FINGERPRINT does not match");
			m->fingerprint = 1;
		} else if (at == STUN_A_MESSAGE_INTEGRITY ||
		    at == STUN_A_MESSAGE_INTEGRITY_SHA256)
			integrity = 1;
		else if (!integrity &&
		    one_attr(p, at, v, vlen, m, &w, why) == -1)
			return -1;
	}
	if (!w.seen_xor && w.seen_mapped) {
		m->mapped = w.mapped;
		m->has_mapped = 1;
	} else if (w.seen_xor) {
		m->mapped_xor = 1;
		m->has_mapped = 1;
	}
	return 0;
}

int
stun_parse_response(const uint8_t *p, size_t len, struct stun_msg *m,
    const char **why)
{
	if (parse(p, len, m, why) == -1)
		return -1;
	if (m->type == STUN_BINDING_REQUEST)
		return why_fail(why, "a request, not a response");
	if (m->nunknown > 0)
		return why_fail(why, "unknown comprehension-required attribute "
		    "0x%04x", m->unknown[0]);
	if (m->type == STUN_BINDING_SUCCESS && !m->has_mapped)
		return why_fail(why, "success without a mapped address");
	if (m->type == STUN_BINDING_ERROR && m->code == 0)
		return why_fail(why, "error without ERROR-CODE");
	return 0;
}

int
stun_parse_request(const uint8_t *p, size_t len, struct stun_msg *m,
    const char **why)
{
	if (parse(p, len, m, why) == -1)
		return -1;
	if (m->type != STUN_BINDING_REQUEST)
		return why_fail(why, "a response, not a request");
	return 0;
}

/* 420: ERROR-CODE 4/20 without a reason phrase, UNKNOWN-ATTRIBUTES */
static ssize_t
answer_unknown(const struct stun_msg *m, uint8_t *buf, size_t len)
{
	size_t	n, i, off, ulen;

	n = m->nunknown < STUN_MAX_UNKNOWN ? m->nunknown : STUN_MAX_UNKNOWN;
	ulen = (2 * n + 3) & ~(size_t)3;
	off = STUN_HDR_LEN + 8 + 4 + ulen;
	if (len < off + 8)
		return -1;
	put_header(buf, STUN_BINDING_ERROR, off + 8 - STUN_HDR_LEN, m->txid);
	put_be16(buf + 20, STUN_A_ERROR_CODE);
	put_be16(buf + 22, 4);
	put_be32(buf + 24, 4 << 8 | 20);
	put_be16(buf + 28, STUN_A_UNKNOWN_ATTRIBUTES);
	put_be16(buf + 30, (uint16_t)(2 * n));
	memset(buf + 32, 0, ulen);
	for (i = 0; i < n; i++)
		put_be16(buf + 32 + 2 * i, m->unknown[i]);
	put_fingerprint(buf, off);
	return off + 8;
}

ssize_t
stun_answer(const uint8_t *req, size_t reqlen, const struct stun_addr *src,
    uint8_t *buf, size_t len, const char **why)
{
	struct stun_msg	 m;
	size_t		 alen, i, off;
	ssize_t		 n;

	if (stun_parse_request(req, reqlen, &m, why) == -1)
		return -1;
	if (m.nunknown > 0) {
		if ((n = answer_unknown(&m, buf, len)) == -1)
			why_fail(why, "no room for a 420 answer");
		return n;
	}
	if (src->af != 4 && src->af != 6)
		return why_fail(why, "source address family %u", src->af);
	alen = src->af == 4 ? 4 : 16;
	off = STUN_HDR_LEN + 8 + alen;
	if (len < off + 8)
		return why_fail(why, "no room for the answer");
	put_header(buf, STUN_BINDING_SUCCESS, off + 8 - STUN_HDR_LEN, m.txid);
	put_be16(buf + 20, STUN_A_XOR_MAPPED_ADDRESS);
	put_be16(buf + 22, (uint16_t)(4 + alen));
	buf[24] = 0;
	buf[25] = src->af == 4 ? 1 : 2;
	put_be16(buf + 26, src->port ^ (STUN_MAGIC >> 16));
	for (i = 0; i < alen; i++)
		buf[28 + i] = src->addr[i] ^ buf[4 + i];
	put_fingerprint(buf, off);
	return off + 8;
}
