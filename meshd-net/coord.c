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
 * The coordination protocol's codec (coord.h has the layout).  Every
 * field is read at an explicit offset after its length was checked, and
 * coord_encode() refuses what coord_decode() would refuse, so a decoded
 * message encodes to the same bytes.  Certificates are only carried here:
 * meshd-crypto parses them.
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cert.h"
#include "coord.h"

#define COORD_VERSION	1
#define PAD_MAX		16	/* padding is fewer bytes than this */
#define ENTRY_FIXED	(8 + 2 + 1)	/* seq, cert length, candidates */
#define DIR_END_LEN	(4 + 8)
#define CRL_FIXED	(8 + 4 + 4 + 2)
#define PING_LEN	8
#define PONG_LEN	(8 + 8)

static const char *const type_names[COORD_TYPE_MAX] = {
	[COORD_REGISTER] = "REGISTER",
	[COORD_ENTRY] = "ENTRY",
	[COORD_DIR_END] = "DIR_END",
	[COORD_CRL_PART] = "CRL_PART",
	[COORD_PING] = "PING",
	[COORD_PONG] = "PONG",
};

/* the reason given to the caller; one message is decoded at a time */
static char	why_buf[96];

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p + 4, v);
}

static int
fail(const char **why, const char *fmt, ...)
    __attribute__((__format__ (printf, 2, 3)));

static int
fail(const char **why, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(why_buf, sizeof(why_buf), fmt, ap);
	va_end(ap);
	if (why != NULL)
		*why = why_buf;
	return -1;
}

int
coord_is_coord(const uint8_t *p, size_t len)
{
	/* any version: one we do not speak is refused, not routed */
	return len >= 1 && (p[0] & 0xf0) == (COORD_MARK & 0xf0);
}

const char *
coord_type_name(unsigned int type)
{
	if (type >= COORD_TYPE_MAX || type_names[type] == NULL)
		return "unknown";
	return type_names[type];
}

/* the rules a certificate's length and the candidates follow */
static int
check_entry(size_t certlen, size_t ncand, const struct coord_cand *cand,
    const char **why)
{
	size_t	i;

	if (certlen < CERT_MIN || certlen > CERT_MAX)
		return fail(why, "certificate length %zu, want %d..%d",
		    certlen, CERT_MIN, CERT_MAX);
	if (ncand > COORD_MAX_CAND)
		return fail(why, "%zu candidates, at most %d", ncand,
		    COORD_MAX_CAND);
	for (i = 0; i < ncand; i++) {
		if (cand[i].af != 4 && cand[i].af != 6)
			return fail(why, "candidate %zu: family %u, want 4 "
			    "or 6", i + 1, cand[i].af);
		if (cand[i].port == 0)
			return fail(why, "candidate %zu: port 0", i + 1);
	}
	return 0;
}

static int
check_crl_part(uint64_t serial, uint32_t total, uint32_t offset,
    size_t datalen, const char **why)
{
	if (serial == 0)
		return fail(why, "revocation list serial 0");
	if (total < CRL_MIN || total > CRL_MAX)
		return fail(why, "revocation list length %u, want %d..%d",
		    total, CRL_MIN, CRL_MAX);
	if (datalen < 1 || datalen > COORD_CRL_PART_MAX)
		return fail(why, "part length %zu, want 1..%d", datalen,
		    COORD_CRL_PART_MAX);
	if ((uint64_t)offset + datalen > total)
		return fail(why, "part at %u length %zu past the end (%u)",
		    offset, datalen, total);
	return 0;
}

static int
decode_entry(const uint8_t *b, size_t blen, struct coord_msg *m,
    const char **why)
{
	const uint8_t	*p;
	size_t		 off, i, alen;

	if (blen < ENTRY_FIXED)
		return fail(why, "body length %zu, want at least %d", blen,
		    ENTRY_FIXED);
	m->seq = get64(b);
	m->certlen = get16(b + 8);
	if (m->certlen < CERT_MIN || m->certlen > CERT_MAX)
		return fail(why, "certificate length %zu, want %d..%d",
		    m->certlen, CERT_MIN, CERT_MAX);
	if (blen < ENTRY_FIXED + m->certlen)
		return fail(why, "certificate of %zu bytes past the body",
		    m->certlen);
	m->cert = b + 10;
	off = 10 + m->certlen;
	m->ncand = b[off++];
	if (m->ncand > COORD_MAX_CAND)
		return fail(why, "%zu candidates, at most %d", m->ncand,
		    COORD_MAX_CAND);
	for (i = 0; i < m->ncand; i++) {
		if (blen - off < 1 + 2)
			return fail(why, "candidate %zu past the body", i + 1);
		p = b + off;
		if (p[0] != 4 && p[0] != 6)
			return fail(why, "candidate %zu: family %u, want 4 "
			    "or 6", i + 1, p[0]);
		alen = p[0] == 4 ? 4 : 16;
		if (blen - off < 1 + 2 + alen)
			return fail(why, "candidate %zu past the body", i + 1);
		m->cand[i].af = p[0];
		m->cand[i].port = get16(p + 1);
		if (m->cand[i].port == 0)
			return fail(why, "candidate %zu: port 0", i + 1);
		memcpy(m->cand[i].addr, p + 3, alen);
		off += 1 + 2 + alen;
	}
	if (off != blen)
		return fail(why, "%zu bytes after the candidates", blen - off);
	return 0;
}

static int
want_len(size_t blen, size_t want, const char **why)
{
	if (blen != want)
		return fail(why, "body length %zu, want %zu", blen, want);
	return 0;
}

static int
decode_body(const uint8_t *b, size_t blen, struct coord_msg *m,
    const char **why)
{
	switch (m->type) {
	case COORD_REGISTER:
	case COORD_ENTRY:
		return decode_entry(b, blen, m, why);
	case COORD_DIR_END:
		if (want_len(blen, DIR_END_LEN, why) == -1)
			return -1;
		m->count = get32(b);
		m->epoch = get64(b + 4);
		return 0;
	case COORD_CRL_PART:
		if (blen < CRL_FIXED)
			return fail(why, "body length %zu, want at least %d",
			    blen, CRL_FIXED);
		m->serial = get64(b);
		m->total = get32(b + 8);
		m->offset = get32(b + 12);
		m->datalen = get16(b + 16);
		m->data = b + CRL_FIXED;
		if (want_len(blen, CRL_FIXED + m->datalen, why) == -1)
			return -1;
		return check_crl_part(m->serial, m->total, m->offset,
		    m->datalen, why);
	case COORD_PING:
		if (want_len(blen, PING_LEN, why) == -1)
			return -1;
		m->nonce = get64(b);
		return 0;
	case COORD_PONG:
		if (want_len(blen, PONG_LEN, why) == -1)
			return -1;
		m->nonce = get64(b);
		m->epoch = get64(b + 8);
		return 0;
	default:
		return fail(why, "unknown type %u", m->type);
	}
}

int
coord_decode(const uint8_t *buf, size_t len, struct coord_msg *m,
    const char **why)
{
	size_t	blen, pad, i;

	memset(m, 0, sizeof(*m));
	if (len < COORD_HDR_LEN)
		return fail(why, "%zu bytes, shorter than the header", len);
	if ((buf[0] & 0xf0) != (COORD_MARK & 0xf0))
		return fail(why, "mark 0x%02x, want 0x%02x", buf[0],
		    COORD_MARK);
	if ((buf[0] & 0x0f) != COORD_VERSION)
		return fail(why, "version %u, want %d", buf[0] & 0x0f,
		    COORD_VERSION);
	if (buf[1] == 0 || buf[1] >= COORD_TYPE_MAX)
		return fail(why, "unknown type %u", buf[1]);
	m->type = buf[1];
	blen = get16(buf + 2);
	if (COORD_HDR_LEN + blen > COORD_MAX)
		return fail(why, "%s of %zu bytes, at most %d",
		    coord_type_name(m->type), COORD_HDR_LEN + blen,
		    COORD_MAX);
	if (COORD_HDR_LEN + blen > len)
		return fail(why, "body length %zu past the end (%zu)", blen,
		    len - COORD_HDR_LEN);
	pad = len - COORD_HDR_LEN - blen;
	if (pad >= PAD_MAX)
		return fail(why, "%zu bytes after the message, want fewer "
		    "than %d", pad, PAD_MAX);
	for (i = COORD_HDR_LEN + blen; i < len; i++)
		if (buf[i] != 0)
			return fail(why, "padding byte %zu not zero",
			    i - COORD_HDR_LEN - blen + 1);
	return decode_body(buf + COORD_HDR_LEN, blen, m, why);
}

/* the body's length as m would encode, or -1 if m breaks a rule */
static ssize_t
body_len(const struct coord_msg *m)
{
	size_t	len, i;

	switch (m->type) {
	case COORD_REGISTER:
	case COORD_ENTRY:
		if (m->cert == NULL || check_entry(m->certlen, m->ncand,
		    m->cand, NULL) == -1)
			return -1;
		len = ENTRY_FIXED + m->certlen;
		for (i = 0; i < m->ncand; i++)
			len += 1 + 2 + (m->cand[i].af == 4 ? 4 : 16);
		return len;
	case COORD_DIR_END:
		return DIR_END_LEN;
	case COORD_CRL_PART:
		if (m->data == NULL || check_crl_part(m->serial, m->total,
		    m->offset, m->datalen, NULL) == -1)
			return -1;
		return CRL_FIXED + m->datalen;
	case COORD_PING:
		return PING_LEN;
	case COORD_PONG:
		return PONG_LEN;
	default:
		return -1;
	}
}

static void
encode_entry(const struct coord_msg *m, uint8_t *b)
{
	size_t	off, i, alen;

	put64(b, m->seq);
	put16(b + 8, m->certlen);
	memcpy(b + 10, m->cert, m->certlen);
	off = 10 + m->certlen;
	b[off++] = m->ncand;
	for (i = 0; i < m->ncand; i++) {
		alen = m->cand[i].af == 4 ? 4 : 16;
		b[off] = m->cand[i].af;
		put16(b + off + 1, m->cand[i].port);
		memcpy(b + off + 3, m->cand[i].addr, alen);
		off += 1 + 2 + alen;
	}
}

ssize_t
coord_encode(const struct coord_msg *m, uint8_t *buf, size_t size)
{
	uint8_t	*b = buf + COORD_HDR_LEN;
	ssize_t	 blen;

	if ((blen = body_len(m)) == -1 || COORD_HDR_LEN + blen > COORD_MAX ||
	    (size_t)blen + COORD_HDR_LEN > size)
		return -1;
	buf[0] = COORD_MARK;
	buf[1] = m->type;
	put16(buf + 2, blen);
	switch (m->type) {
	case COORD_REGISTER:
	case COORD_ENTRY:
		encode_entry(m, b);
		break;
	case COORD_DIR_END:
		put32(b, m->count);
		put64(b + 4, m->epoch);
		break;
	case COORD_CRL_PART:
		put64(b, m->serial);
		put32(b + 8, m->total);
		put32(b + 12, m->offset);
		put16(b + 16, m->datalen);
		memcpy(b + CRL_FIXED, m->data, m->datalen);
		break;
	case COORD_PING:
		put64(b, m->nonce);
		break;
	case COORD_PONG:
		put64(b, m->nonce);
		put64(b + 8, m->epoch);
		break;
	default:
		return -1;
	}
	return COORD_HDR_LEN + blen;
}
