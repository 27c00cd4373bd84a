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
#include "why.h"

#define COORD_VERSION	1
#define PAD_MAX		16	/* padding is fewer bytes than this */
#define ENTRY_FIXED	COORD_REC_FIXED
#define DIR_END_LEN	(4 + 8)
#define CRL_FIXED	(8 + 4 + 4 + 2)
#define PING_LEN	8
#define PONG_LEN	(8 + 8)
#define CONNECT_LEN	32
#define CALL_ME_FIXED	(32 + 8 + 1)
#define KA_LEN		(8 + 4)

/* COORD_MAX_RECS of the shortest records fit, one more does not */
_Static_assert(COORD_MAX_RECS ==
    (COORD_MAX - COORD_HDR_LEN) / (ENTRY_FIXED + CERT_MIN),
    "COORD_MAX_RECS is not what fits in COORD_MAX");

static const char *const type_names[COORD_TYPE_MAX] = {
	[COORD_REGISTER] = "REGISTER",
	[COORD_ENTRY] = "ENTRY",
	[COORD_DIR_END] = "DIR_END",
	[COORD_CRL_PART] = "CRL_PART",
	[COORD_PING] = "PING",
	[COORD_PONG] = "PONG",
	[COORD_CONNECT] = "CONNECT",
	[COORD_CALL_ME] = "CALL_ME",
	[COORD_KA_ASK] = "KA_ASK",
	[COORD_KA_PROBE] = "KA_PROBE",
};

/* the reason given to the caller; one message is decoded at a time */
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

int
coord_cand_udp(const struct coord_cand *c)
{
	return c->kind != COORD_CAND_RELAY && c->kind != COORD_CAND_HOME;
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

/* the rules one announced prefix follows (no bit set past its length) */
static int
check_prefix(const struct mesh_prefix *p, size_t i, const char *pre,
    const char **why)
{
	size_t	alen, b;

	if (p->af != 4 && p->af != 6)
		return why_fail(why, "%sroute %zu: family %u, want 4 or 6",
		    pre, i + 1, p->af);
	alen = p->af == 4 ? 4 : 16;
	if (p->plen > alen * 8)
		return why_fail(why, "%sroute %zu: prefix length %u, at most "
		    "%zu", pre, i + 1, p->plen, alen * 8);
	for (b = p->plen; b < alen * 8; b++)
		if (p->addr[b / 8] & (0x80 >> (b % 8)))
			return why_fail(why, "%sroute %zu: bits set past /%u",
			    pre, i + 1, p->plen);
	return 0;
}

/* the rules a record's announced routes follow */
static int
check_ann(const struct coord_record *r, const char **why)
{
	size_t	i;

	if (r->ann_all)
		return 0;
	if (r->nann > COORD_MAX_ANN)
		return why_fail(why, "%zu routes, at most %d", r->nann,
		    COORD_MAX_ANN);
	for (i = 0; i < r->nann; i++)
		if (check_prefix(&r->ann[i], i, "", why) == -1)
			return -1;
	return 0;
}

/* the bytes r's announced routes take */
static size_t
ann_len(const struct coord_record *r)
{
	size_t	len = 1, i;

	if (r->ann_all)
		return len;
	for (i = 0; i < r->nann; i++)
		len += 2 + (r->ann[i].af == 4 ? 4 : 16);
	return len;
}

/* the rules a certificate's length and the candidates follow */
static int
check_entry(size_t certlen, size_t ncand, const struct coord_cand *cand,
    const char **why)
{
	size_t	i;

	if (certlen < CERT_MIN || certlen > CERT_MAX)
		return why_fail(why, "certificate length %zu, want %d..%d",
		    certlen, CERT_MIN, CERT_MAX);
	if (ncand > COORD_MAX_CAND)
		return why_fail(why, "%zu candidates, at most %d", ncand,
		    COORD_MAX_CAND);
	for (i = 0; i < ncand; i++) {
		if (cand[i].af != 4 && cand[i].af != 6)
			return why_fail(why, "candidate %zu: family %u, want 4 "
			    "or 6", i + 1, cand[i].af);
		if (cand[i].kind >= COORD_CAND_KINDS)
			return why_fail(why,
			    "candidate %zu: kind %u, at most %d",
			    i + 1, cand[i].kind, COORD_CAND_KINDS - 1);
		if (cand[i].port == 0)
			return why_fail(why, "candidate %zu: port 0", i + 1);
	}
	return 0;
}

static int
check_crl_part(uint64_t serial, uint32_t total, uint32_t offset,
    size_t datalen, const char **why)
{
	if (serial == 0)
		return why_fail(why, "revocation list serial 0");
	if (total < CRL_MIN || total > CRL_MAX)
		return why_fail(why, "revocation list length %u, want %d..%d",
		    total, CRL_MIN, CRL_MAX);
	if (datalen < 1 || datalen > COORD_CRL_PART_MAX)
		return why_fail(why, "part length %zu, want 1..%d", datalen,
		    COORD_CRL_PART_MAX);
	if ((uint64_t)offset + datalen > total)
		return why_fail(why, "part at %u length %zu past the end (%u)",
		    offset, datalen, total);
	return 0;
}

/*
 * A count of candidates at b + *off and the candidates (blen bytes in
 * the body); *off moves past them.
 */
static int
decode_cands(const uint8_t *b, size_t blen, size_t *off, size_t *ncand,
    struct coord_cand *cand, const char *pre, const char **why)
{
	const uint8_t	*p;
	size_t		 i, alen;

	if (blen - *off < 1)
		return why_fail(why, "%scandidate count past the body", pre);
	*ncand = b[(*off)++];
	if (*ncand > COORD_MAX_CAND)
		return why_fail(why, "%s%zu candidates, at most %d", pre,
		    *ncand, COORD_MAX_CAND);
	for (i = 0; i < *ncand; i++) {
		if (blen - *off < 1 + 2)
			return why_fail(why, "%scandidate %zu past the body",
			    pre,
			    i + 1);
		p = b + *off;
		if ((p[0] & 0x0f) != 4 && (p[0] & 0x0f) != 6)
			return why_fail(why,
			    "%scandidate %zu: family %u, want 4 "
			    "or 6", pre, i + 1, p[0] & 0x0f);
		if ((p[0] >> 4) >= COORD_CAND_KINDS)
			return why_fail(why,
			    "%scandidate %zu: kind %u, at most "
			    "%d", pre, i + 1, p[0] >> 4, COORD_CAND_KINDS - 1);
		alen = (p[0] & 0x0f) == 4 ? 4 : 16;
		if (blen - *off < 1 + 2 + alen)
			return why_fail(why, "%scandidate %zu past the body",
			    pre,
			    i + 1);
		cand[i].af = p[0] & 0x0f;
		cand[i].kind = p[0] >> 4;
		cand[i].port = get16(p + 1);
		if (cand[i].port == 0)
			return why_fail(why, "%scandidate %zu: port 0", pre,
			    i + 1);
		memcpy(cand[i].addr, p + 3, alen);
		*off += 1 + 2 + alen;
	}
	return 0;
}

/*
 * The announced routes at b + *off (blen bytes in the body) into r;
 * *off moves past them.
 */
static int
decode_ann(const uint8_t *b, size_t blen, size_t *off,
    struct coord_record *r, const char *pre, const char **why)
{
	struct mesh_prefix	*p;
	size_t			 i, alen;
	uint8_t			 n;

	if (blen - *off < 1)
		return why_fail(why, "%sroute count past the body", pre);
	n = b[(*off)++];
	r->nann = 0;
	r->ann_all = n == COORD_ANN_ALL;
	if (r->ann_all)
		return 0;
	if (n > COORD_MAX_ANN)
		return why_fail(why, "%s%u routes, at most %d", pre, n,
		    COORD_MAX_ANN);
	for (i = 0; i < n; i++) {
		p = &r->ann[i];
		memset(p, 0, sizeof(*p));
		if (blen - *off < 2)
			return why_fail(why, "%sroute %zu past the body", pre,
			    i + 1);
		p->af = b[*off];
		p->plen = b[*off + 1];
		if (p->af != 4 && p->af != 6)
			return why_fail(why, "%sroute %zu: family %u, want 4 "
			    "or 6", pre, i + 1, p->af);
		alen = p->af == 4 ? 4 : 16;
		if (blen - *off < 2 + alen)
			return why_fail(why, "%sroute %zu past the body", pre,
			    i + 1);
		memcpy(p->addr, b + *off + 2, alen);
		if (check_prefix(p, i, pre, why) == -1)
			return -1;
		*off += 2 + alen;
		r->nann = i + 1;
	}
	return 0;
}

/*
 * One record at b (blen bytes left in the body) into r; its length in
 * *used.  pre names the record in a reason ("record 2: "), or is "".
 */
static int
decode_record(const uint8_t *b, size_t blen, struct coord_record *r,
    size_t *used, const char *pre, const char **why)
{
	size_t		 off;

	if (blen < ENTRY_FIXED)
		return why_fail(why, "%s%zu bytes, want at least %d", pre, blen,
		    ENTRY_FIXED);
	r->seq = get64(b);
	r->certlen = get16(b + 8);
	if (r->certlen < CERT_MIN || r->certlen > CERT_MAX)
		return why_fail(why, "%scertificate length %zu, want %d..%d",
		    pre,
		    r->certlen, CERT_MIN, CERT_MAX);
	if (blen < ENTRY_FIXED + r->certlen)
		return why_fail(why, "%scertificate of %zu bytes past the body",
		    pre, r->certlen);
	r->cert = b + 10;
	off = 10 + r->certlen;
	if (decode_cands(b, blen, &off, &r->ncand, r->cand, pre, why) == -1)
		return -1;
	if (decode_ann(b, blen, &off, r, pre, why) == -1)
		return -1;
	if (blen - off < 1)
		return why_fail(why, "%sflags past the body", pre);
	r->flags = b[off++];
	*used = off;
	return 0;
}

/* REGISTER: exactly one record */
static int
decode_register(const uint8_t *b, size_t blen, struct coord_msg *m,
    const char **why)
{
	size_t	used;

	if (decode_record(b, blen, &m->rec[0], &used, "", why) == -1)
		return -1;
	if (used != blen)
		return why_fail(why, "%zu bytes after the record",
		    blen - used);
	m->nrec = 1;
	return 0;
}

/*
 * ENTRY: records until the body ends exactly at one's end.  Whatever is
 * left after a record must be a whole record, so trailing bytes are
 * refused as a record cut short.
 */
static int
decode_entries(const uint8_t *b, size_t blen, struct coord_msg *m,
    const char **why)
{
	char	pre[24];
	size_t	off = 0, used;

	if (blen == 0)
		return why_fail(why, "ENTRY of no record");
	while (off < blen) {
		if (m->nrec == COORD_MAX_RECS)
			return why_fail(why, "more than %d records",
			    COORD_MAX_RECS);
		(void)snprintf(pre, sizeof(pre), "record %zu: ", m->nrec + 1);
		if (decode_record(b + off, blen - off, &m->rec[m->nrec],
		    &used, pre, why) == -1)
			return -1;
		off += used;
		m->nrec++;
	}
	return 0;
}

/* CALL_ME: key, attempt, candidates, and nothing after them */
static int
decode_call_me(const uint8_t *b, size_t blen, struct coord_msg *m,
    const char **why)
{
	size_t	off = 32 + 8;

	if (blen < CALL_ME_FIXED)
		return why_fail(why, "body length %zu, want at least %d", blen,
		    CALL_ME_FIXED);
	memcpy(m->key, b, 32);
	m->attempt = get64(b + 32);
	if (decode_cands(b, blen, &off, &m->ncand, m->cand, "", why) == -1)
		return -1;
	if (off != blen)
		return why_fail(why, "%zu bytes after the candidates",
		    blen - off);
	return 0;
}

/* a KA_ASK's idle time is bounded; a KA_PROBE's silence is any */
static int
check_ka(const struct coord_msg *m, const char **why)
{
	if (m->type == COORD_KA_ASK && (m->ms < COORD_KA_MIN_MS ||
	    m->ms > COORD_KA_MAX_MS))
		return why_fail(why, "KA_ASK idle %u ms, not in %d..%d", m->ms,
		    COORD_KA_MIN_MS, COORD_KA_MAX_MS);
	return 0;
}

static int
want_len(size_t blen, size_t want, const char **why)
{
	if (blen != want)
		return why_fail(why, "body length %zu, want %zu", blen, want);
	return 0;
}

static int
decode_body(const uint8_t *b, size_t blen, struct coord_msg *m,
    const char **why)
{
	switch (m->type) {
	case COORD_REGISTER:
		return decode_register(b, blen, m, why);
	case COORD_ENTRY:
		return decode_entries(b, blen, m, why);
	case COORD_DIR_END:
		if (want_len(blen, DIR_END_LEN, why) == -1)
			return -1;
		m->count = get32(b);
		m->epoch = get64(b + 4);
		return 0;
	case COORD_CRL_PART:
		if (blen < CRL_FIXED)
			return why_fail(why,
			    "body length %zu, want at least %d",
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
	case COORD_CONNECT:
		if (want_len(blen, CONNECT_LEN, why) == -1)
			return -1;
		memcpy(m->key, b, 32);
		return 0;
	case COORD_CALL_ME:
		return decode_call_me(b, blen, m, why);
	case COORD_KA_ASK:
	case COORD_KA_PROBE:
		if (want_len(blen, KA_LEN, why) == -1)
			return -1;
		m->nonce = get64(b);
		m->ms = get32(b + 8);
		return check_ka(m, why);
	default:
		return why_fail(why, "unknown type %u", m->type);
	}
}

int
coord_decode(const uint8_t *buf, size_t len, struct coord_msg *m,
    const char **why)
{
	size_t	blen, pad, i;

	memset(m, 0, sizeof(*m));
	if (len < COORD_HDR_LEN)
		return why_fail(why, "%zu bytes, shorter than the header", len);
	if ((buf[0] & 0xf0) != (COORD_MARK & 0xf0))
		return why_fail(why, "mark 0x%02x, want 0x%02x", buf[0],
		    COORD_MARK);
	if ((buf[0] & 0x0f) != COORD_VERSION)
		return why_fail(why, "version %u, want %d", buf[0] & 0x0f,
		    COORD_VERSION);
	if (buf[1] == 0 || buf[1] >= COORD_TYPE_MAX)
		return why_fail(why, "unknown type %u", buf[1]);
	m->type = buf[1];
	blen = get16(buf + 2);
	if (COORD_HDR_LEN + blen > COORD_MAX)
		return why_fail(why, "%s of %zu bytes, at most %d",
		    coord_type_name(m->type), COORD_HDR_LEN + blen,
		    COORD_MAX);
	if (COORD_HDR_LEN + blen > len)
		return why_fail(why, "body length %zu past the end (%zu)", blen,
		    len - COORD_HDR_LEN);
	pad = len - COORD_HDR_LEN - blen;
	if (pad >= PAD_MAX)
		return why_fail(why, "%zu bytes after the message, want fewer "
		    "than %d", pad, PAD_MAX);
	for (i = COORD_HDR_LEN + blen; i < len; i++)
		if (buf[i] != 0)
			return why_fail(why, "padding byte %zu not zero",
			    i - COORD_HDR_LEN - blen + 1);
	return decode_body(buf + COORD_HDR_LEN, blen, m, why);
}

size_t
coord_record_len(const struct coord_record *r)
{
	size_t	len, i;

	if (r->cert == NULL || check_entry(r->certlen, r->ncand, r->cand,
	    NULL) == -1 || check_ann(r, NULL) == -1)
		return 0;
	len = ENTRY_FIXED - 1 + r->certlen;
	for (i = 0; i < r->ncand; i++)
		len += 1 + 2 + (r->cand[i].af == 4 ? 4 : 16);
	return len + ann_len(r);
}

/* the records' length, or 0 if one breaks a rule or there are none */
static size_t
records_len(const struct coord_msg *m)
{
	size_t	len = 0, n, i;

	if (m->nrec == 0 || m->nrec > COORD_MAX_RECS ||
	    (m->type == COORD_REGISTER && m->nrec != 1))
		return 0;
	for (i = 0; i < m->nrec; i++) {
		if ((n = coord_record_len(&m->rec[i])) == 0)
			return 0;
		len += n;
	}
	return len;
}

int
coord_add_record(struct coord_msg *m, const struct coord_record *r)
{
	size_t	have, n;

	if ((m->type != COORD_ENTRY && m->type != COORD_REGISTER) ||
	    (n = coord_record_len(r)) == 0)
		return -1;
	if (m->nrec == 0)
		have = 0;
	else if ((have = records_len(m)) == 0)
		return -1;
	if (m->nrec == (m->type == COORD_REGISTER ? 1 : COORD_MAX_RECS) ||
	    COORD_HDR_LEN + have + n > COORD_MAX)
		return 0;
	m->rec[m->nrec++] = *r;
	return 1;
}

/* CALL_ME's body with these candidates, or -1 if one breaks a rule */
static ssize_t
cands_len(size_t ncand, const struct coord_cand *cand)
{
	size_t	len = CALL_ME_FIXED, i;

	/* a certificate's rules aside, a record's candidates' */
	if (check_entry(CERT_MIN, ncand, cand, NULL) == -1)
		return -1;
	for (i = 0; i < ncand; i++)
		len += 1 + 2 + (cand[i].af == 4 ? 4 : 16);
	return len;
}

/* the body's length as m would encode, or -1 if m breaks a rule */
static ssize_t
body_len(const struct coord_msg *m)
{
	size_t	len;

	switch (m->type) {
	case COORD_REGISTER:
	case COORD_ENTRY:
		if ((len = records_len(m)) == 0)
			return -1;
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
	case COORD_CONNECT:
		return CONNECT_LEN;
	case COORD_CALL_ME:
		return cands_len(m->ncand, m->cand);
	case COORD_KA_ASK:
	case COORD_KA_PROBE:
		if (check_ka(m, NULL) == -1)
			return -1;
		return KA_LEN;
	default:
		return -1;
	}
}

/* a count and the candidates at b; their length */
static size_t
encode_cands(size_t ncand, const struct coord_cand *cand, uint8_t *b)
{
	size_t	off = 0, i, alen;

	b[off++] = ncand;
	for (i = 0; i < ncand; i++) {
		alen = cand[i].af == 4 ? 4 : 16;
		b[off] = cand[i].kind << 4 | cand[i].af;
		put16(b + off + 1, cand[i].port);
		memcpy(b + off + 3, cand[i].addr, alen);
		off += 1 + 2 + alen;
	}
	return off;
}

/* r's announced routes at b; their length */
static size_t
encode_ann(const struct coord_record *r, uint8_t *b)
{
	size_t	off = 0, i, alen;

	if (r->ann_all) {
		b[off++] = COORD_ANN_ALL;
		return off;
	}
	b[off++] = r->nann;
	for (i = 0; i < r->nann; i++) {
		alen = r->ann[i].af == 4 ? 4 : 16;
		b[off] = r->ann[i].af;
		b[off + 1] = r->ann[i].plen;
		memcpy(b + off + 2, r->ann[i].addr, alen);
		off += 2 + alen;
	}
	return off;
}

/* r at b; its length */
static size_t
encode_record(const struct coord_record *r, uint8_t *b)
{
	size_t	off;

	put64(b, r->seq);
	put16(b + 8, r->certlen);
	memcpy(b + 10, r->cert, r->certlen);
	off = 10 + r->certlen;
	off += encode_cands(r->ncand, r->cand, b + off);
	off += encode_ann(r, b + off);
	b[off++] = r->flags;
	return off;
}

ssize_t
coord_encode(const struct coord_msg *m, uint8_t *buf, size_t size)
{
	uint8_t	*b = buf + COORD_HDR_LEN;
	ssize_t	 blen;
	size_t	 i, off;

	if ((blen = body_len(m)) == -1 || COORD_HDR_LEN + blen > COORD_MAX ||
	    (size_t)blen + COORD_HDR_LEN > size)
		return -1;
	buf[0] = COORD_MARK;
	buf[1] = m->type;
	put16(buf + 2, blen);
	switch (m->type) {
	case COORD_REGISTER:
	case COORD_ENTRY:
		for (i = 0, off = 0; i < m->nrec; i++)
			off += encode_record(&m->rec[i], b + off);
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
	case COORD_CONNECT:
		memcpy(b, m->key, 32);
		break;
	case COORD_CALL_ME:
		memcpy(b, m->key, 32);
		put64(b + 32, m->attempt);
		(void)encode_cands(m->ncand, m->cand, b + 40);
		break;
	case COORD_KA_ASK:
	case COORD_KA_PROBE:
		put64(b, m->nonce);
		put32(b + 8, m->ms);
		break;
	default:
		return -1;
	}
	return COORD_HDR_LEN + blen;
}
