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
 * The STUN codec (common/stun.c): the RFC 5769 sample messages (their
 * XOR-MAPPED-ADDRESS and FINGERPRINT; MESSAGE-INTEGRITY skipped, as we
 * have no password), our own request and a server's answer round trip,
 * WireGuard messages never taken for STUN, and hostile messages refused
 * with a reason.
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "byteorder.h"
#include "stun.h"

/* RFC 5769 section 2.1: a request with ICE's PRIORITY (0x0024) */
static const uint8_t rfc_request[] = {
	0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42,
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
	0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
	0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74,
	0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
	0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
	0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76,
	0x59, 0x20, 0x20, 0x20,
	0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56,
	0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5, 0x71, 0xa2,
	0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf
};

/* section 2.2: 192.0.2.1 port 32853; SOFTWARE padded with a space */
static const uint8_t rfc_v4[] = {
	0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42,
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
	0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
	0x74, 0x6f, 0x72, 0x20,
	0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
	0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3,
	0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7,
	0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96
};

/* section 2.3: 2001:db8:1234:5678:11:2233:4455:6677 port 32853 */
static const uint8_t rfc_v6[] = {
	0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42,
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
	0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
	0x74, 0x6f, 0x72, 0x20,
	0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
	0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9,
	0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1,
	0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
	0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c
};

static const uint8_t rfc_txid[12] = {
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae
};

static const uint8_t v4_addr[4] = { 192, 0, 2, 1 };
static const uint8_t v6_addr[16] = {
	0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78,
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77
};

/* a message under construction: the header, then attributes */
struct msg {
	uint8_t		b[512];
	size_t		len;
};

static void
m_start(struct msg *m, uint16_t type)
{
	memset(m, 0, sizeof(*m));
	put_be16(m->b, type);
	put_be32(m->b + 4, STUN_MAGIC);
	memcpy(m->b + 8, rfc_txid, 12);
	m->len = STUN_HDR_LEN;
}

/* an attribute, padded with 0xee (padding is never read) */
static void
m_attr(struct msg *m, uint16_t type, const void *v, size_t vlen)
{
	size_t	padded = (vlen + 3) & ~(size_t)3;

	put_be16(m->b + m->len, type);
	put_be16(m->b + m->len + 2, (uint16_t)vlen);
	memcpy(m->b + m->len + 4, v, vlen);
	memset(m->b + m->len + 4 + vlen, 0xee, padded - vlen);
	m->len += 4 + padded;
	put_be16(m->b + 2, (uint16_t)(m->len - STUN_HDR_LEN));
}

static void
m_fingerprint(struct msg *m)
{
	uint8_t	v[4] = { 0 };

	m_attr(m, STUN_A_FINGERPRINT, v, 4);
	put_be32(m->b + m->len - 4, stun_crc32(m->b, m->len - 8) ^
	    STUN_FINGERPRINT_XOR);
}

/* XOR-MAPPED-ADDRESS of 198.51.100.7:4500 under rfc_txid */
static void
m_xor_v4(struct msg *m)
{
	uint8_t	v[8] = { 0, 1 };

	put_be16(v + 2, 4500 ^ 0x2112);
	v[4] = 198 ^ 0x21;
	v[5] = 51 ^ 0x12;
	v[6] = 100 ^ 0xa4;
	v[7] = 7 ^ 0x42;
	m_attr(m, STUN_A_XOR_MAPPED_ADDRESS, v, 8);
}

static int
refused(const uint8_t *p, size_t len, const char *want)
{
	struct stun_msg	 m;
	const char	*why = NULL;

	if (stun_parse_response(p, len, &m, &why) != -1 || why == NULL)
		return 0;
	if (strstr(why, want) == NULL) {
		diag("why: '%s', want '%s'", why, want);
		return 0;
	}
	return 1;
}

static void
test_rfc5769(void)
{
	struct stun_msg	 m;
	const char	*why = NULL;
	uint8_t		 bad[sizeof(rfc_v4)];

	is_int(stun_crc32((const uint8_t *)"123456789", 9), 0xcbf43926,
	    "CRC-32 check value");
	ok(stun_is_stun(rfc_v4, sizeof(rfc_v4)), "RFC 5769 2.2 is STUN");
	ok(stun_parse_response(rfc_v4, sizeof(rfc_v4), &m, &why) == 0,
	    "RFC 5769 2.2 parses (MESSAGE-INTEGRITY skipped)");
	ok(m.type == STUN_BINDING_SUCCESS && memcmp(m.txid, rfc_txid, 12) == 0,
	    "2.2: a Binding success, its transaction id");
	ok(m.has_mapped && m.mapped_xor && m.mapped.af == 4 &&
	    m.mapped.port == 32853 && memcmp(m.mapped.addr, v4_addr, 4) == 0,
	    "2.2: XOR-MAPPED-ADDRESS 192.0.2.1 port 32853");
	ok(m.fingerprint, "2.2: its FINGERPRINT c07d4c96 checks");
	ok(stun_parse_response(rfc_v6, sizeof(rfc_v6), &m, &why) == 0,
	    "RFC 5769 2.3 parses");
	ok(m.has_mapped && m.mapped_xor && m.mapped.af == 6 &&
	    m.mapped.port == 32853 && memcmp(m.mapped.addr, v6_addr, 16) == 0,
	    "2.3: XOR-MAPPED-ADDRESS [2001:db8:1234:5678:11:2233:4455:6677]"
	    ":32853");
	ok(m.fingerprint, "2.3: its FINGERPRINT c8fb0b4c checks");

	memcpy(bad, rfc_v4, sizeof(bad));
	bad[sizeof(bad) - 1] ^= 1;
	ok(refused(bad, sizeof(bad), "FINGERPRINT does not match"),
	    "2.2 with its FINGERPRINT's last bit flipped is refused");
	memcpy(bad, rfc_v4, sizeof(bad));
	bad[45] ^= 1;
	ok(refused(bad, sizeof(bad), "FINGERPRINT does not match"),
	    "2.2 with its address changed no longer matches FINGERPRINT");

	ok(stun_parse_request(rfc_request, sizeof(rfc_request), &m, &why) ==
	    0 && m.fingerprint && memcmp(m.txid, rfc_txid, 12) == 0,
	    "RFC 5769 2.1 parses as a request, FINGERPRINT e57a3bcf checks");
	ok(m.nunknown == 1 && m.unknown[0] == 0x0024,
	    "2.1: PRIORITY (0x0024) is its one unknown comprehension-required "
	    "attribute; ICE-CONTROLLED (0x8029) is optional");
	ok(refused(rfc_request, sizeof(rfc_request), "a request"),
	    "2.1 is no response");
}

static void
test_request(void)
{
	uint8_t		 txid[12], buf[64];
	struct stun_msg	 m;
	const char	*why = NULL;

	memset(txid, 0x5a, sizeof(txid));
	is_int(stun_request(buf, sizeof(buf), txid), STUN_REQUEST_LEN,
	    "a request is 28 bytes: header and FINGERPRINT, nothing else");
	ok(get_be16(buf) == STUN_BINDING_REQUEST && get_be16(buf + 2) == 8 &&
	    get_be32(buf + 4) == STUN_MAGIC && memcmp(buf + 8, txid, 12) == 0,
	    "its header: Binding request, length 8, cookie, our txid");
	ok(get_be16(buf + 20) == STUN_A_FINGERPRINT &&
	    get_be16(buf + 22) == 4 &&
	    get_be32(buf + 24) == (stun_crc32(buf, 20) ^ 0x5354554e),
	    "its one attribute: FINGERPRINT, CRC-32 xor 0x5354554e");
	ok(stun_is_stun(buf, STUN_REQUEST_LEN) &&
	    stun_parse_request(buf, STUN_REQUEST_LEN, &m, &why) == 0 &&
	    m.fingerprint && m.nunknown == 0, "it parses back as a request");
	is_int(stun_request(buf, STUN_REQUEST_LEN - 1, txid), -1,
	    "a buffer one byte short is refused");
}

static void
test_answer(void)
{
	struct stun_addr src;
	struct stun_msg	 m;
	uint8_t		 req[64], out[STUN_ANSWER_MAX];
	const char	*why = NULL;
	ssize_t		 n;

	stun_request(req, sizeof(req), rfc_txid);
	memset(&src, 0, sizeof(src));
	src.af = 4;
	src.port = 51820;
	memcpy(src.addr, (const uint8_t[]){ 198, 18, 0, 1 }, 4);
	n = stun_answer(req, STUN_REQUEST_LEN, &src, out, sizeof(out), &why);
	is_int(n, 40, "the answer to an IPv4 source: 40 bytes");
	ok(n > 0 && stun_parse_response(out, n, &m, &why) == 0 &&
	    m.type == STUN_BINDING_SUCCESS && m.mapped_xor && m.fingerprint &&
	    m.mapped.af == 4 && m.mapped.port == 51820 &&
	    memcmp(m.mapped.addr, src.addr, 4) == 0 &&
	    memcmp(m.txid, rfc_txid, 12) == 0,
	    "it parses: XOR-MAPPED-ADDRESS 198.18.0.1:51820, FINGERPRINT, "
	    "txid");
	is_int(stun_answer(req, STUN_REQUEST_LEN, &src, out, 39, &why), -1,
	    "no room for it: no answer");

	src.af = 6;
	memcpy(src.addr, v6_addr, 16);
	src.port = 1;
	n = stun_answer(req, STUN_REQUEST_LEN, &src, out, sizeof(out), &why);
	is_int(n, 52, "the answer to an IPv6 source: 52 bytes");
	ok(n > 0 && stun_parse_response(out, n, &m, &why) == 0 &&
	    m.mapped.af == 6 && m.mapped.port == 1 &&
	    memcmp(m.mapped.addr, v6_addr, 16) == 0,
	    "it parses back to the source");

	n = stun_answer(rfc_request, sizeof(rfc_request), &src, out,
	    sizeof(out), &why);
	ok(n > 0 && stun_parse_response(out, n, &m, &why) == 0 &&
	    m.type == STUN_BINDING_ERROR && m.code == 420 && m.fingerprint &&
	    get_be16(out + 28) == STUN_A_UNKNOWN_ATTRIBUTES &&
	    get_be16(out + 30) == 2 && get_be16(out + 32) == 0x0024,
	    "RFC 5769 2.1 is answered 420, UNKNOWN-ATTRIBUTES 0x0024");
	ok(n > 0 && (size_t)n <= STUN_ANSWER_MAX, "within STUN_ANSWER_MAX");

	why = NULL;
	ok(stun_answer(rfc_v4, sizeof(rfc_v4), &src, out, sizeof(out),
	    &why) == -1 && why != NULL,
	    "a response is not answered");
	req[27] ^= 1;
	ok(stun_answer(req, STUN_REQUEST_LEN, &src, out, sizeof(out),
	    &why) == -1, "a request with a bad FINGERPRINT is not answered");
	req[27] ^= 1;
	src.af = 5;
	ok(stun_answer(req, STUN_REQUEST_LEN, &src, out, sizeof(out),
	    &why) == -1, "a source of no family: no answer");
}

/* the four WireGuard messages at their sizes, cookie or not at 4 */
static void
test_wireguard(void)
{
	static const size_t	sizes[] = { 148, 92, 64, 32, 32 + 1420 };
	uint8_t			b[1500];
	size_t			i;
	int			type, any = 0;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		type = i < 4 ? (int)i + 1 : 4;
		memset(b, 0, sizeof(b));
		b[0] = type;
		/* the worst case: an index equal to the cookie */
		put_be32(b + 4, STUN_MAGIC);
		any |= stun_is_stun(b, sizes[i]);
		/* and a type-field length that would fit */
		put_be16(b + 2, (uint16_t)(sizes[i] - 20));
		any |= stun_is_stun(b, sizes[i]);
	}
	ok(!any, "WireGuard messages 1..4 are never STUN, even with the "
	    "cookie at offset 4");
	memset(b, 0, sizeof(b));
	b[0] = 1;
	put_be32(b + 4, STUN_MAGIC);
	ok(!stun_is_stun(b, 20), "nor a 20-byte 01 00 00 00 + cookie");
}

static void
test_hostile(void)
{
	struct msg	 m;
	struct stun_msg	 r;
	uint8_t		 v[32];
	const char	*why = NULL;

	ok(!stun_is_stun(rfc_v4, sizeof(rfc_v4) - 4) &&
	    refused(rfc_v4, sizeof(rfc_v4) - 4, "not a STUN"),
	    "a response cut short is not STUN");
	ok(!stun_is_stun(rfc_v4, 19), "19 bytes are not STUN");

	m_start(&m, STUN_BINDING_SUCCESS);
	m_xor_v4(&m);
	m_fingerprint(&m);
	ok(stun_parse_response(m.b, m.len, &r, &why) == 0 &&
	    r.mapped.port == 4500 && r.mapped.addr[0] == 198 &&
	    r.mapped.addr[3] == 7,
	    "a built success parses (the builder works)");
	m.b[0] |= 0x40;
	ok(!stun_is_stun(m.b, m.len), "a first byte with top bits set: not "
	    "STUN");
	m.b[0] &= 0x3f;
	m.b[4] ^= 1;
	ok(!stun_is_stun(m.b, m.len), "a wrong magic cookie: not STUN");
	m.b[4] ^= 1;
	put_be16(m.b, 0x0102);
	ok(!stun_is_stun(m.b, m.len), "another method (0x0102): not STUN");

	m_start(&m, STUN_BINDING_SUCCESS);
	m_xor_v4(&m);
	put_be16(m.b + 2, 10);
	ok(!stun_is_stun(m.b, 30), "a length not a multiple of 4: not STUN");

	m_start(&m, STUN_BINDING_SUCCESS);
	m_xor_v4(&m);
	put_be16(m.b + 22, 0xfff0);
	ok(refused(m.b, m.len, "past the end"),
	    "an attribute longer than the message is refused");
	m_start(&m, STUN_BINDING_SUCCESS);
	m_xor_v4(&m);
	put_be16(m.b + 22, 9);
	ok(refused(m.b, m.len, "past the end"),
	    "an attribute whose padding runs past the end is refused");

	m_start(&m, STUN_BINDING_SUCCESS);
	m_fingerprint(&m);
	m_xor_v4(&m);
	/* a FINGERPRINT right for the header as it ends up */
	put_be32(m.b + 24, stun_crc32(m.b, 20) ^ STUN_FINGERPRINT_XOR);
	ok(refused(m.b, m.len, "after FINGERPRINT"),
	    "an attribute after FINGERPRINT is refused");
	m_start(&m, STUN_BINDING_SUCCESS);
	m_xor_v4(&m);
	m_attr(&m, STUN_A_FINGERPRINT, v, 8);
	ok(refused(m.b, m.len, "FINGERPRINT of 8"),
	    "a FINGERPRINT of 8 bytes is refused");

	memset(v, 0, sizeof(v));
	v[1] = 3;
	m_start(&m, STUN_BINDING_SUCCESS);
	m_attr(&m, STUN_A_XOR_MAPPED_ADDRESS, v, 8);
	ok(refused(m.b, m.len, "address family 3"), "address family 3");
	v[1] = 1;
	m_start(&m, STUN_BINDING_SUCCESS);
	m_attr(&m, STUN_A_XOR_MAPPED_ADDRESS, v, 20);
	ok(refused(m.b, m.len, "IPv4 address attribute of 20"),
	    "an IPv4 XOR-MAPPED-ADDRESS of 20 bytes");
	v[1] = 2;
	m_start(&m, STUN_BINDING_SUCCESS);
	m_attr(&m, STUN_A_XOR_MAPPED_ADDRESS, v, 8);
	ok(refused(m.b, m.len, "IPv6 address attribute of 8"),
	    "an IPv6 XOR-MAPPED-ADDRESS of 8 bytes");
	m_start(&m, STUN_BINDING_SUCCESS);
	m_attr(&m, STUN_A_XOR_MAPPED_ADDRESS, v, 2);
	ok(refused(m.b, m.len, "address attribute of 2"),
	    "an address attribute of 2 bytes");
	v[1] = 1;
	put_be16(v + 2, 0x2112);
	m_start(&m, STUN_BINDING_SUCCESS);
	m_attr(&m, STUN_A_XOR_MAPPED_ADDRESS, v, 8);
	ok(refused(m.b, m.len, "port 0"), "a mapped port of 0");

	m_start(&m, STUN_BINDING_SUCCESS);
	m_attr(&m, STUN_A_SOFTWARE, "x", 1);
	m_fingerprint(&m);
	ok(refused(m.b, m.len, "without a mapped address"),
	    "a success without a mapped address");

	/* MAPPED-ADDRESS alone: taken as it is */
	memset(v, 0, sizeof(v));
	v[1] = 1;
	put_be16(v + 2, 3478);
	memcpy(v + 4, v4_addr, 4);
	m_start(&m, STUN_BINDING_SUCCESS);
	m_attr(&m, STUN_A_MAPPED_ADDRESS, v, 8);
	ok(stun_parse_response(m.b, m.len, &r, &why) == 0 && r.has_mapped &&
	    !r.mapped_xor && !r.fingerprint && r.mapped.port == 3478 &&
	    memcmp(r.mapped.addr, v4_addr, 4) == 0,
	    "MAPPED-ADDRESS alone is the fallback (no FINGERPRINT needed)");
	m_xor_v4(&m);
	ok(stun_parse_response(m.b, m.len, &r, &why) == 0 && r.mapped_xor &&
	    r.mapped.port == 4500, "XOR-MAPPED-ADDRESS wins over an earlier "
	    "MAPPED-ADDRESS");
	v[1] = 1;
	put_be16(v + 2, 9999 ^ 0x2112);
	m_attr(&m, STUN_A_XOR_MAPPED_ADDRESS, v, 8);
	ok(stun_parse_response(m.b, m.len, &r, &why) == 0 &&
	    r.mapped.port == 4500, "the first XOR-MAPPED-ADDRESS counts");

	m_start(&m, STUN_BINDING_SUCCESS);
	m_xor_v4(&m);
	m_attr(&m, 0x0004, v, 8);	/* RFC 3489's SOURCE-ADDRESS */
	m_attr(&m, 0x7fff, v, 0);
	m_fingerprint(&m);
	ok(refused(m.b, m.len, "unknown comprehension-required attribute "
	    "0x0004"), "an unknown comprehension-required attribute fails it");
	stun_parse_response(m.b, m.len, &r, &why);
	ok(r.nunknown == 2 && r.unknown[0] == 0x0004 &&
	    r.unknown[1] == 0x7fff, "and both unknown ones are reported");
	m_start(&m, STUN_BINDING_SUCCESS);
	m_xor_v4(&m);
	m_attr(&m, 0x802b, v, 8);	/* RESPONSE-ORIGIN, optional */
	m_attr(&m, STUN_A_MESSAGE_INTEGRITY, v, 20);
	m_attr(&m, 0x0004, v, 8);
	m_fingerprint(&m);
	ok(stun_parse_response(m.b, m.len, &r, &why) == 0 && r.fingerprint &&
	    r.nunknown == 0, "optional attributes, and anything after "
	    "MESSAGE-INTEGRITY but FINGERPRINT, are ignored");

	/* errors */
	memset(v, 0, sizeof(v));
	v[2] = 3;
	v[3] = 0;
	memcpy(v + 4, "Try Alternate", 13);
	m_start(&m, STUN_BINDING_ERROR);
	m_attr(&m, STUN_A_ERROR_CODE, v, 17);
	m_fingerprint(&m);
	ok(stun_parse_response(m.b, m.len, &r, &why) == 0 &&
	    r.type == STUN_BINDING_ERROR && r.code == 300 &&
	    r.reasonlen == 13 && memcmp(r.reason, "Try Alternate", 13) == 0,
	    "an error response: 300 Try Alternate");
	v[2] = 7;
	m_start(&m, STUN_BINDING_ERROR);
	m_attr(&m, STUN_A_ERROR_CODE, v, 4);
	ok(refused(m.b, m.len, "error class 7"), "error class 7 is refused");
	v[2] = 4;
	v[3] = 100;
	m_start(&m, STUN_BINDING_ERROR);
	m_attr(&m, STUN_A_ERROR_CODE, v, 4);
	ok(refused(m.b, m.len, "number 100"), "error number 100 is refused");
	m_start(&m, STUN_BINDING_ERROR);
	m_attr(&m, STUN_A_ERROR_CODE, v, 3);
	ok(refused(m.b, m.len, "ERROR-CODE of 3"), "a 3-byte ERROR-CODE");
	m_start(&m, STUN_BINDING_ERROR);
	m_xor_v4(&m);
	ok(refused(m.b, m.len, "error without ERROR-CODE"),
	    "an error response without ERROR-CODE");
	is_str(stun_type_name(STUN_BINDING_ERROR), "Binding error",
	    "type names");
}

int
main(void)
{
	test_rfc5769();
	test_request();
	test_answer();
	test_wireguard();
	test_hostile();
	return tap_done();
}
