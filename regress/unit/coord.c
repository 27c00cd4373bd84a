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
 * The coordination codec (meshd-net/coord.c): every type round-trips,
 * and each rule of coord.h refuses what breaks it, in both directions;
 * an ENTRY packs records back to back, and one record cut short, bytes
 * after the last or no record at all refuse the whole message.
 */

#include <stdint.h>
#include <string.h>

#include "cert.h"
#include "coord.h"
#include "tap.h"

#define REC	(8 + 2 + 300 + 1 + 7 + 19 + 1 + 1)	/* fill_rec()'s, 339 */

static uint8_t	cert[CERT_MAX + 1];
static uint8_t	crl[COORD_CRL_PART_MAX + 1];

/*
 * a record of 300 certificate bytes and two candidates, announcing all
 * its certificate's routes: REC bytes
 */
static void
fill_rec(struct coord_record *r)
{
	memset(r, 0, sizeof(*r));
	r->seq = 0x0102030405060708ULL;
	r->cert = cert;
	r->certlen = 300;
	r->ncand = 2;
	r->cand[0].af = 4;
	r->cand[0].port = 51820;
	memcpy(r->cand[0].addr, "\xc6\x12\x00\x01", 4);
	r->cand[1].af = 6;
	r->cand[1].kind = COORD_CAND_OBSERVED;
	r->cand[1].port = 1;
	memset(r->cand[1].addr, 0xfd, 16);
	r->ann_all = 1;
}

static void
fill(struct coord_msg *m, enum coord_type type)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	switch (type) {
	case COORD_REGISTER:
	case COORD_ENTRY:
		m->nrec = 1;
		fill_rec(&m->rec[0]);
		break;
	case COORD_DIR_END:
		m->count = 10000;
		m->epoch = 0xfeedfacecafebeefULL;
		break;
	case COORD_CRL_PART:
		m->serial = 7;
		m->total = 2000;
		m->offset = 1232;
		m->data = crl;
		m->datalen = COORD_CRL_PART_MAX;
		break;
	case COORD_PING:
		m->nonce = 42;
		break;
	case COORD_PONG:
		m->nonce = 42;
		m->epoch = 99;
		break;
	case COORD_CONNECT:
		memset(m->key, 0xab, sizeof(m->key));
		break;
	case COORD_CALL_ME:
		memset(m->key, 0xcd, sizeof(m->key));
		m->attempt = 0x1122334455667788ULL;
		fill_rec(&m->rec[0]);
		m->ncand = m->rec[0].ncand;
		memcpy(m->cand, m->rec[0].cand, sizeof(m->cand));
		memset(&m->rec[0], 0, sizeof(m->rec[0]));
		break;
	case COORD_KA_ASK:
	case COORD_KA_PROBE:
		m->nonce = 0x0102030405060708ULL;
		m->ms = 60000;
		break;
	default:
		break;
	}
}

static int
same_rec(const struct coord_record *a, const struct coord_record *b)
{
	size_t	i;

	if (a->seq != b->seq || a->certlen != b->certlen ||
	    a->ncand != b->ncand ||
	    memcmp(a->cert, b->cert, a->certlen) != 0)
		return 0;
	for (i = 0; i < a->ncand; i++)
		if (a->cand[i].af != b->cand[i].af ||
		    a->cand[i].kind != b->cand[i].kind ||
		    a->cand[i].port != b->cand[i].port ||
		    memcmp(a->cand[i].addr, b->cand[i].addr,
		    a->cand[i].af == 4 ? 4 : 16) != 0)
			return 0;
	if (a->ann_all != b->ann_all || a->nann != b->nann)
		return 0;
	for (i = 0; i < a->nann; i++)
		if (a->ann[i].af != b->ann[i].af ||
		    a->ann[i].plen != b->ann[i].plen ||
		    memcmp(a->ann[i].addr, b->ann[i].addr, 16) != 0)
			return 0;
	return 1;
}

static int
same(const struct coord_msg *a, const struct coord_msg *b)
{
	size_t	i;

	if (a->type != b->type || a->nrec != b->nrec ||
	    a->count != b->count || a->epoch != b->epoch ||
	    a->nonce != b->nonce || a->ms != b->ms ||
	    a->serial != b->serial ||
	    a->total != b->total || a->offset != b->offset ||
	    a->datalen != b->datalen)
		return 0;
	if (a->datalen && memcmp(a->data, b->data, a->datalen) != 0)
		return 0;
	if (memcmp(a->key, b->key, sizeof(a->key)) != 0 ||
	    a->attempt != b->attempt || a->ncand != b->ncand)
		return 0;
	for (i = 0; i < a->ncand; i++)
		if (a->cand[i].af != b->cand[i].af ||
		    a->cand[i].kind != b->cand[i].kind ||
		    a->cand[i].port != b->cand[i].port ||
		    memcmp(a->cand[i].addr, b->cand[i].addr,
		    a->cand[i].af == 4 ? 4 : 16) != 0)
			return 0;
	for (i = 0; i < a->nrec; i++)
		if (!same_rec(&a->rec[i], &b->rec[i]))
			return 0;
	return 1;
}

static void
roundtrip(enum coord_type type)
{
	struct coord_msg	 m, d;
	uint8_t			 buf[COORD_MAX + 16], again[COORD_MAX];
	const char		*why = NULL;
	ssize_t			 n;

	fill(&m, type);
	n = coord_encode(&m, buf, sizeof(buf));
	if (!ok(n > COORD_HDR_LEN, "%s encodes (%zd bytes)",
	    coord_type_name(type), n))
		return;
	ok(coord_is_coord(buf, n), "%s: coord_is_coord", coord_type_name(type));
	memset(buf + n, 0, 15);
	if (!ok(coord_decode(buf, n + 15, &d, &why) == 0,
	    "%s decodes with 15 bytes of padding", coord_type_name(type)))
		diag("%s", why);
	ok(same(&m, &d), "%s: the same fields back", coord_type_name(type));
	ok(coord_encode(&d, again, sizeof(again)) == n &&
	    memcmp(buf, again, n) == 0, "%s: encodes to the same bytes",
	    coord_type_name(type));
}

/* decoding buf refuses with a reason containing want */
static void
refused(const uint8_t *buf, size_t len, const char *want, const char *what)
{
	struct coord_msg	 d;
	const char		*why = NULL;

	if (!ok(coord_decode(buf, len, &d, &why) == -1 && why != NULL &&
	    strstr(why, want) != NULL, "refused: %s", what))
		diag("why: %s, want '%s'", why ? why : "(accepted)", want);
}

/* m encodes in a good form, then a change made to the bytes is refused */
static ssize_t
good(enum coord_type type, uint8_t *buf)
{
	struct coord_msg	m;

	fill(&m, type);
	return coord_encode(&m, buf, COORD_MAX);
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
	put16(p + 2, v & 0xffff);
}

static void
test_decode_refusals(void)
{
	uint8_t	b[COORD_MAX + 64];
	ssize_t	n;
	size_t	cand;

	n = good(COORD_PING, b);
	refused(b, 3, "shorter than the header", "3 bytes");
	b[0] = 0x45;
	refused(b, n, "mark 0x45", "wrong mark (an IPv4 packet)");
	ok(!coord_is_coord(b, n), "an IPv4 packet is not coordination");
	b[0] = 0xc2;
	refused(b, n, "version 2", "another version");
	ok(coord_is_coord(b, n), "another version is coordination still");
	b[0] = COORD_MARK;
	b[1] = 0;
	refused(b, n, "unknown type 0", "type 0");
	b[1] = COORD_TYPE_MAX;
	refused(b, n, "unknown type", "type past the last");
	b[1] = COORD_PING;
	put16(b + 2, 9);
	refused(b, n, "past the end", "body length past the bytes");
	put16(b + 2, 8);
	refused(b, n - 1, "past the end", "PING cut short");
	memset(b + n, 0, 16);
	put16(b + 2, 7);
	refused(b, n - 1, "body length 7, want 8", "PING body too short");
	put16(b + 2, 9);
	refused(b, n + 1, "body length 9, want 8", "PING body too long");
	put16(b + 2, 8);
	b[n + 3] = 1;
	refused(b, n + 4, "padding byte 4 not zero", "padding not zero");
	b[n + 3] = 0;
	refused(b, n + 16, "16 bytes after", "16 bytes of padding");
	put16(b + 2, COORD_MAX - COORD_HDR_LEN + 1);
	memset(b + COORD_HDR_LEN, 0, COORD_MAX);
	refused(b, COORD_MAX + 1, "at most 1024", "oversize (1025 bytes)");

	n = good(COORD_PONG, b);
	put16(b + 2, 15);
	refused(b, n - 1, "want 16", "PONG too short");
	n = good(COORD_DIR_END, b);
	put16(b + 2, 13);
	b[n] = 0;
	refused(b, n + 1, "want 12", "DIR_END too long");

	/* ENTRY: seq at 4, cert length at 12, cert at 14, candidates */
	n = good(COORD_ENTRY, b);
	put16(b + 12, CERT_MIN - 1);
	refused(b, n, "certificate length", "certificate shorter than "
	    "CERT_MIN");
	put16(b + 12, CERT_MAX + 1);
	refused(b, n, "certificate length", "certificate longer than "
	    "CERT_MAX");
	put16(b + 12, 300);
	put16(b + 2, 10);
	refused(b, 14, "at least 13", "ENTRY body too short");
	put16(b + 2, n - COORD_HDR_LEN);
	cand = 14 + 300;
	b[cand + 1] = 5;
	refused(b, n, "family 5", "candidate family 5");
	b[cand + 1] = (COORD_CAND_KINDS << 4) | 4;
	refused(b, n, "kind 6", "candidate kind past the last");
	b[cand + 1] = 4;
	put16(b + cand + 2, 0);
	refused(b, n, "port 0", "candidate port 0");
	put16(b + cand + 2, 51820);
	b[cand] = COORD_MAX_CAND + 1;
	refused(b, n, "9 candidates", "too many candidates");
	/* one candidate fewer: the second's first byte is a route count */
	b[cand] = 1;
	refused(b, n, "record 1: 54 routes, at most 8",
	    "ENTRY: a candidate read as routes");
	b[1] = COORD_REGISTER;
	refused(b, n, "54 routes, at most 8",
	    "REGISTER: a candidate read as routes");
	b[1] = COORD_ENTRY;
	b[cand] = 2;
	put16(b + 2, n - COORD_HDR_LEN + 1);
	b[n] = 0;
	refused(b, n + 1, "record 2: 1 bytes, want at least 13",
	    "ENTRY body one too long");
	b[1] = COORD_REGISTER;
	refused(b, n + 1, "1 bytes after the record",
	    "REGISTER body one too long");
	b[1] = COORD_ENTRY;
	put16(b + 2, n - COORD_HDR_LEN - 1);
	refused(b, n - 1, "past the body", "ENTRY body one too short");
	put16(b + 2, 12 + 300);
	refused(b, 4 + 12 + 299, "past the end", "certificate cut");
	put16(b + 2, 12 + 299);
	refused(b, 4 + 12 + 299, "certificate of 300 bytes past",
	    "certificate past the body");

	/* CRL_PART: serial 4, total 12, offset 16, length 20, data 22 */
	n = good(COORD_CRL_PART, b);
	b[11] = 0;
	refused(b, n, "serial 0", "CRL serial 0");
	b[11] = 7;
	put16(b + 18, 2001 - COORD_CRL_PART_MAX);
	refused(b, n, "part at 1233 length 768 past the end (2000)",
	    "CRL part past total");
	put16(b + 18, 1232);
	memset(b + 12, 0, 4);
	put16(b + 14, CRL_MIN - 1);
	refused(b, n, "revocation list length", "CRL total too small");
	b[12] = 0x7f;
	refused(b, n, "revocation list length", "CRL total too large");
	memset(b + 12, 0, 4);
	put16(b + 14, 2000);
	put16(b + 20, 0);
	put16(b + 2, 18);
	refused(b, 22, "part length 0", "CRL part of 0 bytes");
	put16(b + 20, COORD_CRL_PART_MAX + 1);
	put16(b + 2, 18 + COORD_CRL_PART_MAX + 1);
	refused(b, 22 + COORD_CRL_PART_MAX + 1, "part length 769",
	    "CRL part too long");
	put16(b + 20, 10);
	put16(b + 2, 18 + 11);
	refused(b, 22 + 11, "want 28", "CRL part length not the body's");
}

/* m breaks a rule: encoding refuses, as decoding would */
static void
no_encode(const struct coord_msg *m, const char *what)
{
	uint8_t	buf[COORD_MAX];

	ok(coord_encode(m, buf, sizeof(buf)) == -1, "not encoded: %s", what);
}

static void
test_encode_refusals(void)
{
	struct coord_msg	m;
	uint8_t			buf[COORD_MAX];

	fill(&m, COORD_PING);
	ok(coord_encode(&m, buf, 11) == -1, "not encoded: buffer too small");
	m.type = COORD_TYPE_MAX;
	no_encode(&m, "unknown type");
	m.type = 0;
	no_encode(&m, "type 0");
	fill(&m, COORD_ENTRY);
	m.rec[0].certlen = CERT_MIN - 1;
	no_encode(&m, "certificate too short");
	m.rec[0].certlen = CERT_MAX + 1;
	no_encode(&m, "certificate too long");
	fill(&m, COORD_REGISTER);
	m.rec[0].cert = NULL;
	no_encode(&m, "no certificate");
	fill(&m, COORD_REGISTER);
	m.rec[0].cand[1].af = 2;
	no_encode(&m, "candidate family 2");
	fill(&m, COORD_REGISTER);
	m.rec[0].cand[0].port = 0;
	no_encode(&m, "candidate port 0");
	fill(&m, COORD_REGISTER);
	m.rec[0].ncand = COORD_MAX_CAND + 1;
	no_encode(&m, "too many candidates");
	fill(&m, COORD_ENTRY);
	m.nrec = 0;
	no_encode(&m, "ENTRY of no record");
	fill(&m, COORD_REGISTER);
	m.nrec = 0;
	no_encode(&m, "REGISTER of no record");
	fill(&m, COORD_REGISTER);
	fill_rec(&m.rec[1]);
	m.rec[1].certlen = CERT_MIN;
	m.nrec = 2;
	no_encode(&m, "REGISTER of two records");
	fill(&m, COORD_ENTRY);
	fill_rec(&m.rec[1]);
	fill_rec(&m.rec[2]);
	fill_rec(&m.rec[3]);
	m.nrec = 4;
	no_encode(&m, "ENTRY of four 337-byte records (past COORD_MAX)");
	m.nrec = COORD_MAX_RECS + 1;
	no_encode(&m, "ENTRY of more than COORD_MAX_RECS records");
	fill(&m, COORD_ENTRY);
	fill_rec(&m.rec[1]);
	m.rec[1].cand[0].af = 5;
	m.nrec = 2;
	no_encode(&m, "ENTRY whose second record breaks a rule");
	fill(&m, COORD_CRL_PART);
	m.serial = 0;
	no_encode(&m, "CRL serial 0");
	fill(&m, COORD_CRL_PART);
	m.offset = m.total - m.datalen + 1;
	no_encode(&m, "CRL part past total");
	fill(&m, COORD_CRL_PART);
	m.offset = UINT32_MAX;
	no_encode(&m, "CRL part offset near 2^32");
	fill(&m, COORD_CRL_PART);
	m.total = CRL_MAX + 1;
	no_encode(&m, "CRL total too large");
	fill(&m, COORD_CRL_PART);
	m.datalen = 0;
	no_encode(&m, "CRL part empty");
	fill(&m, COORD_CRL_PART);
	m.datalen = COORD_CRL_PART_MAX + 1;
	no_encode(&m, "CRL part too long");
}

/* the largest ENTRY there can be fits in COORD_MAX */
static void
test_largest(void)
{
	struct coord_msg	 m, d;
	uint8_t			 buf[COORD_MAX];
	const char		*why = NULL;
	ssize_t			 n;
	size_t			 i;

	fill(&m, COORD_ENTRY);
	m.rec[0].certlen = CERT_MAX;
	m.rec[0].ncand = COORD_MAX_CAND;
	for (i = 0; i < m.rec[0].ncand; i++) {
		m.rec[0].cand[i].af = 6;
		m.rec[0].cand[i].port = 1000 + i;
	}
	n = coord_encode(&m, buf, sizeof(buf));
	ok(n == 4 + 8 + 2 + CERT_MAX + 1 + COORD_MAX_CAND * 19 + 1 + 1,
	    "the largest ENTRY encodes: %zd bytes", n);
	ok(n > 0 && coord_decode(buf, n, &d, &why) == 0 && same(&m, &d),
	    "and decodes");
	is_str(coord_type_name(COORD_CRL_PART), "CRL_PART", "type name");
	is_str(coord_type_name(0), "unknown", "type name of 0");
	is_str(coord_type_name(99), "unknown", "type name of 99");
}

/* records packed by coord_add_record until full, and back */
static void
test_pack(void)
{
	struct coord_msg	 m, d;
	struct coord_record	 r;
	uint8_t			 buf[COORD_MAX], again[COORD_MAX];
	const char		*why = NULL;
	ssize_t			 n;
	size_t			 i;

	memset(&m, 0, sizeof(m));
	m.type = COORD_ENTRY;
	fill_rec(&r);
	for (i = 0; coord_add_record(&m, &r) == 1; i++)
		r.seq++;
	/* 4 + 3 * 339 = 1021; a fourth would make 1360 */
	ok(i == 3 && m.nrec == 3, "three 339-byte records fit, a fourth "
	    "does not (%zu)", i);
	n = coord_encode(&m, buf, sizeof(buf));
	ok(n == 4 + 3 * REC, "packed ENTRY of three encodes: %zd bytes", n);
	if (!ok(n > 0 && coord_decode(buf, n, &d, &why) == 0 &&
	    same(&m, &d), "and decodes to the same three records"))
		diag("%s", why);
	ok(d.rec[2].seq == d.rec[0].seq + 2 && d.rec[2].cert == buf + 4 +
	    2 * REC + 10, "the third record is the third, in the message");
	ok(coord_encode(&d, again, sizeof(again)) == n &&
	    memcmp(buf, again, n) == 0, "encodes to the same bytes");

	/* the shortest records: COORD_MAX_RECS fit */
	memset(&m, 0, sizeof(m));
	m.type = COORD_ENTRY;
	memset(&r, 0, sizeof(r));
	r.cert = cert;
	r.certlen = CERT_MIN;
	while (coord_add_record(&m, &r) == 1)
		r.seq++;
	ok(m.nrec == COORD_MAX_RECS, "%d of the shortest records fit",
	    COORD_MAX_RECS);
	n = coord_encode(&m, buf, sizeof(buf));
	ok(n == 4 + COORD_MAX_RECS * (13 + CERT_MIN) && coord_decode(buf, n,
	    &d, &why) == 0 && d.nrec == COORD_MAX_RECS && same(&m, &d),
	    "and round-trip (%zd bytes)", n);
	r.certlen = CERT_MIN - 1;
	memset(&m, 0, sizeof(m));
	m.type = COORD_ENTRY;
	ok(coord_add_record(&m, &r) == -1 && m.nrec == 0,
	    "a record that breaks a rule is not added");
	r.certlen = CERT_MIN;
	m.type = COORD_REGISTER;
	ok(coord_add_record(&m, &r) == 1 && coord_add_record(&m, &r) == 0,
	    "a REGISTER takes one record");
	m.type = COORD_PING;
	ok(coord_add_record(&m, &r) == -1, "a PING takes none");
	ok(coord_record_len(&r) == 13 + CERT_MIN, "coord_record_len");
}

/* hostile packing: each refuses the whole ENTRY, with a reason */
static void
test_pack_refusals(void)
{
	struct coord_msg	 m, d;
	struct coord_record	 r;
	uint8_t			 b[COORD_MAX + 64];
	const char		*why = NULL;
	ssize_t			 n;
	size_t			 second = 4 + REC;

	memset(&m, 0, sizeof(m));
	m.type = COORD_ENTRY;
	fill_rec(&r);
	coord_add_record(&m, &r);
	coord_add_record(&m, &r);
	n = coord_encode(&m, b, COORD_MAX);
	ok(n == 4 + 2 * REC, "a good ENTRY of two records to change");

	/* the second record cut short, the header saying so */
	put16(b + 2, n - COORD_HDR_LEN - 1);
	refused(b, n - 1, "record 2: flags past the body",
	    "second record's flags cut");
	put16(b + 2, n - COORD_HDR_LEN - 2);
	refused(b, n - 2, "record 2: route count past the body",
	    "second record's route count cut");
	put16(b + 2, n - COORD_HDR_LEN - 3);
	refused(b, n - 3, "record 2: candidate 2 past the body",
	    "second record's last candidate cut by a byte");
	put16(b + 2, REC + 12 + 299);
	refused(b, 4 + REC + 12 + 299, "record 2: certificate of 300 bytes "
	    "past the body", "second record's certificate cut");
	put16(b + 2, REC + 5);
	refused(b, 4 + REC + 5, "record 2: 5 bytes, want at least 13",
	    "second record cut in its seq");
	put16(b + 2, n - COORD_HDR_LEN);
	ok(coord_decode(b, n, &d, &why) == 0 && d.nrec == 2,
	    "the message whole again decodes");

	/* a bad field in the second record spoils the message */
	b[second + 10 + 300 + 1] = 5;
	refused(b, n, "record 2: candidate 1: family 5",
	    "second record's candidate family 5");
	b[second + 10 + 300 + 1] = 4;
	put16(b + second + 8, CERT_MAX + 1);
	refused(b, n, "record 2: certificate length 801",
	    "second record's certificate too long");
	put16(b + second + 8, 300);
	b[second + 10 + 300] = COORD_MAX_CAND + 1;
	refused(b, n, "record 2: 9 candidates", "second record: too many "
	    "candidates");
	b[second + 10 + 300] = 2;

	/* trailing bytes after the last record, and none at all */
	memset(b + n, 0xaa, 13);
	put16(b + 2, n - COORD_HDR_LEN + 3);
	refused(b, n + 3, "record 3: 3 bytes, want at least 13",
	    "3 bytes after the last record");
	put16(b + 2, n - COORD_HDR_LEN + 13);
	refused(b, n + 13, "record 3: certificate length",
	    "13 bytes after the last record (no certificate)");
	memset(b + n, 0, 13);
	put16(b + 2, n - COORD_HDR_LEN + 3);
	refused(b, n + 3, "record 3: 3 bytes", "3 zero bytes inside the body "
	    "are no padding");

	/* a REGISTER of two records is one with bytes after it */
	put16(b + 2, n - COORD_HDR_LEN);
	b[1] = COORD_REGISTER;
	refused(b, n, "339 bytes after the record", "REGISTER of two "
	    "records");
	b[1] = COORD_ENTRY;

	put16(b + 2, 0);
	refused(b, 4, "ENTRY of no record", "ENTRY of no record");
	memset(b + 4, 0, 15);
	refused(b, 4 + 15, "ENTRY of no record",
	    "ENTRY of no record, 15 bytes of padding");
	b[1] = COORD_REGISTER;
	refused(b, 4, "0 bytes, want at least 13", "REGISTER of no record");
}

/*
 * CONNECT and CALL_ME from a hostile coordinator or member: body 4 key,
 * CALL_ME's attempt at 36, candidate count at 44, candidates at 45.
 */
static void
test_punch_refusals(void)
{
	struct coord_msg	m;
	uint8_t			b[COORD_MAX + 64];
	ssize_t			n;

	n = good(COORD_CONNECT, b);
	ok(n == 4 + 32, "CONNECT is 36 bytes");
	put16(b + 2, 31);
	refused(b, n - 1, "body length 31, want 32", "CONNECT key cut short");
	put16(b + 2, 33);
	b[n] = 0;
	refused(b, n + 1, "body length 33, want 32", "CONNECT one too long");

	n = good(COORD_CALL_ME, b);
	ok(n == 4 + 41 + 7 + 19, "CALL_ME of two candidates is 71 bytes");
	put16(b + 2, 40);
	refused(b, 44, "want at least 41", "CALL_ME without a count");
	put16(b + 2, n - 4);
	b[44] = COORD_MAX_CAND + 1;
	refused(b, n, "9 candidates, at most 8", "CALL_ME of 9 candidates");
	b[44] = 3;
	refused(b, n, "candidate 3 past the body", "CALL_ME: a candidate "
	    "past the body");
	b[44] = 1;
	refused(b, n, "19 bytes after the candidates",
	    "CALL_ME: bytes after the candidates");
	b[44] = 2;
	b[45] = 0x64;
	refused(b, n, "candidate 1: kind 6", "CALL_ME: a kind past the last");
	b[45] = 0x07;
	refused(b, n, "candidate 1: family 7", "CALL_ME: family 7");
	b[45] = 0x04;
	put16(b + 46, 0);
	refused(b, n, "candidate 1: port 0", "CALL_ME: port 0");

	fill(&m, COORD_CALL_ME);
	m.ncand = COORD_MAX_CAND + 1;
	no_encode(&m, "CALL_ME of 9 candidates");
	fill(&m, COORD_CALL_ME);
	m.cand[1].port = 0;
	no_encode(&m, "CALL_ME with a candidate of port 0");
	fill(&m, COORD_CALL_ME);
	m.ncand = 0;
	n = coord_encode(&m, b, sizeof(b));
	ok(n == 4 + 41, "CALL_ME of no candidate encodes (45 bytes)");
}

/* KA_ASK and KA_PROBE (member to member): body nonce 4, ms at 12 */
static void
test_ka_refusals(void)
{
	struct coord_msg	m;
	uint8_t			b[COORD_MAX + 64];
	ssize_t			n;

	n = good(COORD_KA_ASK, b);
	ok(n == 4 + 12, "KA_ASK is 16 bytes");
	put16(b + 2, 11);
	refused(b, n - 1, "body length 11, want 12", "KA_ASK cut short");
	put16(b + 2, 12);
	put32(b + 12, COORD_KA_MIN_MS - 1);
	refused(b, n, "KA_ASK idle 99 ms, not in 100..600000",
	    "KA_ASK of a 99 ms idle time");
	put32(b + 12, COORD_KA_MAX_MS + 1);
	refused(b, n, "KA_ASK idle 600001 ms", "KA_ASK past 10 minutes");
	n = good(COORD_KA_PROBE, b);
	put32(b + 12, 0);
	ok(coord_decode(b, n, &m, NULL) == 0 && m.ms == 0,
	    "KA_PROBE of 0 ms (the asker's KA_ASK not served) decodes");
	fill(&m, COORD_KA_ASK);
	m.ms = 0;
	no_encode(&m, "KA_ASK of no idle time");
	ok(!strcmp(coord_type_name(COORD_KA_PROBE), "KA_PROBE"),
	    "KA_PROBE has its name");
}

/*
 * Announced routes: all (0xff), none, or a list; each prefix's family,
 * length and bits past the length refused when wrong, both ways.  Body
 * offsets: the routes' count at 4 + 10 + 300 + 1 + 7 + 19 = 341.
 */
static void
test_announce(void)
{
	struct coord_msg	 m, d;
	uint8_t			 b[COORD_MAX + 64];
	const char		*why = NULL;
	const size_t		 at = 4 + REC - 2;	/* then the flags */
	ssize_t			 n;

	fill(&m, COORD_REGISTER);
	n = coord_encode(&m, b, COORD_MAX);
	ok(n == 4 + REC && b[at] == COORD_ANN_ALL,
	    "all the certificate's routes: one byte, 0xff");
	m.rec[0].ann_all = 0;
	n = coord_encode(&m, b, COORD_MAX);
	ok(n == 4 + REC && b[at] == 0 && coord_decode(b, n, &d, &why) == 0 &&
	    !d.rec[0].ann_all && d.rec[0].nann == 0,
	    "no route announced: a count of 0");
	m.rec[0].nann = 2;
	m.rec[0].ann[0].af = 4;
	m.rec[0].ann[0].plen = 24;
	memcpy(m.rec[0].ann[0].addr, "\x0a\x01\x02\x00", 4);
	m.rec[0].ann[1].af = 6;
	m.rec[0].ann[1].plen = 48;
	memcpy(m.rec[0].ann[1].addr, "\xfd\x00\x00\x01\x00\x02", 6);
	n = coord_encode(&m, b, COORD_MAX);
	ok(n == 4 + REC + 6 + 18 && b[at] == 2 && b[at + 1] == 4 &&
	    b[at + 2] == 24 && b[at + 7] == 6 && b[at + 8] == 48,
	    "two routes: count, then family, length, address each");
	if (!ok(n > 0 && coord_decode(b, n, &d, &why) == 0 && same(&m, &d),
	    "and decode to the same"))
		diag("%s", why);
	m.type = COORD_ENTRY;
	m.nrec = 2;
	m.rec[1] = m.rec[0];
	m.rec[1].ann_all = 1;
	m.rec[1].nann = 0;
	n = coord_encode(&m, b, COORD_MAX);
	ok(n > 0 && coord_decode(b, n, &d, &why) == 0 && same(&m, &d) &&
	    d.rec[0].nann == 2 && d.rec[1].ann_all,
	    "an ENTRY's records each with their own routes");

	/* the decoder's refusals, in the REGISTER of two routes */
	fill(&m, COORD_REGISTER);
	m.rec[0].ann_all = 0;
	m.rec[0].nann = 2;
	m.rec[0].ann[0].af = 4;
	m.rec[0].ann[0].plen = 24;
	memcpy(m.rec[0].ann[0].addr, "\x0a\x01\x02\x00", 4);
	m.rec[0].ann[1].af = 6;
	m.rec[0].ann[1].plen = 48;
	memset(m.rec[0].ann[1].addr, 0xfd, 6);
	n = coord_encode(&m, b, COORD_MAX);
	b[at] = COORD_MAX_ANN + 1;
	refused(b, n, "9 routes, at most 8", "too many routes");
	b[at] = 3;
	refused(b, n, "route 3 past the body", "a route count too high");
	b[at] = 1;
	refused(b, n, "18 bytes after the record", "a route count too low");
	b[at] = 2;
	b[at + 1] = 5;
	refused(b, n, "route 1: family 5", "route family 5");
	b[at + 1] = 4;
	b[at + 2] = 33;
	refused(b, n, "route 1: prefix length 33, at most 32",
	    "IPv4 route longer than /32");
	b[at + 2] = 22;
	refused(b, n, "route 1: bits set past /22", "10.1.2.0/22");
	b[at + 2] = 24;
	b[at + 8] = 129;
	refused(b, n, "route 2: prefix length 129, at most 128",
	    "IPv6 route longer than /128");
	b[at + 8] = 48;
	put16(b + 2, n - COORD_HDR_LEN - 2);
	refused(b, n - 2, "route 2 past the body", "the last route cut");
	put16(b + 2, n - COORD_HDR_LEN);
	ok(coord_decode(b, n, &d, &why) == 0, "the message whole decodes");

	/* the encoder's: a record breaking them is not added or encoded */
	m.rec[0].ann[0].plen = 22;
	ok(coord_record_len(&m.rec[0]) == 0 &&
	    coord_encode(&m, b, COORD_MAX) == -1,
	    "bits past the length: not encoded");
	m.rec[0].ann[0].plen = 24;
	m.rec[0].ann[1].af = 0;
	ok(coord_encode(&m, b, COORD_MAX) == -1, "family 0: not encoded");
	m.rec[0].ann[1].af = 6;
	m.rec[0].nann = COORD_MAX_ANN + 1;
	ok(coord_encode(&m, b, COORD_MAX) == -1, "9 routes: not encoded");
}

int
main(void)
{
	size_t	i;
	int	t;

	for (i = 0; i < sizeof(cert); i++)
		cert[i] = i * 7;
	for (i = 0; i < sizeof(crl); i++)
		crl[i] = i * 13;
	for (t = COORD_REGISTER; t < COORD_TYPE_MAX; t++)
		roundtrip(t);
	test_decode_refusals();
	test_encode_refusals();
	test_largest();
	test_pack();
	test_pack_refusals();
	test_punch_refusals();
	test_ka_refusals();
	test_announce();
	return tap_done();
}
