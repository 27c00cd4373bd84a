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
 * X25519 (RFC 7748): the Montgomery ladder of section 5 over GF(2^255-19).
 *
 * With a 128-bit product type (gcc and clang on 64-bit targets) the field
 * has five 51-bit limbs and is computed here.  OpenSSL's assembly ladder
 * is faster than this C, but a DH through EVP_PKEY from raw bytes costs a
 * key import (which derives the public key too, a second scalar
 * multiplication), a context and a provider round trip: about twice this
 * code, and still as much with the private key imported once
 * (bench/crypto-bench.c).  Public keys use a fixed-base comb, twice as
 * fast again.  Without __int128 everything falls back to EVP.
 *
 * Constant time: no branch and no memory index depends on a secret; the
 * ladder swaps and the comb selects with masks.
 */

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "byteorder.h"
#include "wgnoise.h"

#ifdef __SIZEOF_INT128__

typedef unsigned __int128 u128;

#define MASK51	0x7ffffffffffffULL

/*
 * A field element: value = v[0] + v[1] 2^51 + ... + v[4] 2^204, limbs
 * not necessarily reduced.  Bounds kept below: every input to fe_mul,
 * fe_sq and fe_mul_a24 has limbs under 2^54; their outputs are under
 * 2^52.
 */
typedef struct {
	uint64_t	v[5];
} fe;

/* 32 bytes little-endian; bit 255 is ignored (RFC 7748 section 5) */
static void
fe_frombytes(fe *h, const uint8_t s[32])
{
	h->v[0] = wg_get_le64(s) & MASK51;
	h->v[1] = (wg_get_le64(s + 6) >> 3) & MASK51;
	h->v[2] = (wg_get_le64(s + 12) >> 6) & MASK51;
	h->v[3] = (wg_get_le64(s + 19) >> 1) & MASK51;
	h->v[4] = (wg_get_le64(s + 24) >> 12) & MASK51;
}

/* one carry pass; limbs end under 2^51, except v[0] under 2^51 + 19c */
static inline void
fe_carry(fe *h)
{
	uint64_t	c;

	c = h->v[0] >> 51; h->v[0] &= MASK51; h->v[1] += c;
	c = h->v[1] >> 51; h->v[1] &= MASK51; h->v[2] += c;
	c = h->v[2] >> 51; h->v[2] &= MASK51; h->v[3] += c;
	c = h->v[3] >> 51; h->v[3] &= MASK51; h->v[4] += c;
	c = h->v[4] >> 51; h->v[4] &= MASK51; h->v[0] += 19 * c;
}

/* the unique representative in [0, p), little-endian */
static void
fe_tobytes(uint8_t s[32], const fe *f)
{
	fe		h = *f;
	uint64_t	q;

	/* two passes leave every limb under 2^51, so h < 2^255 < 2p */
	fe_carry(&h);
	fe_carry(&h);
	/* q = 1 iff h >= p, that is iff h + 19 >= 2^255 */
	q = (h.v[0] + 19) >> 51;
	q = (h.v[1] + q) >> 51;
	q = (h.v[2] + q) >> 51;
	q = (h.v[3] + q) >> 51;
	q = (h.v[4] + q) >> 51;
	/* subtract p: add 19 q and drop bit 255 */
	h.v[0] += 19 * q;
	h.v[1] += h.v[0] >> 51; h.v[0] &= MASK51;
	h.v[2] += h.v[1] >> 51; h.v[1] &= MASK51;
	h.v[3] += h.v[2] >> 51; h.v[2] &= MASK51;
	h.v[4] += h.v[3] >> 51; h.v[3] &= MASK51;
	h.v[4] &= MASK51;

	wg_put_le64(s, h.v[0] | h.v[1] << 51);
	wg_put_le64(s + 8, h.v[1] >> 13 | h.v[2] << 38);
	wg_put_le64(s + 16, h.v[2] >> 26 | h.v[3] << 25);
	wg_put_le64(s + 24, h.v[3] >> 39 | h.v[4] << 12);
	explicit_bzero(&h, sizeof(h));
}

static inline void
fe_add(fe *h, const fe *f, const fe *g)
{
	int	i;

	for (i = 0; i < 5; i++)
		h->v[i] = f->v[i] + g->v[i];
}

/* h = f - g + 4p, so no limb goes negative for g under 2^53 */
static inline void
fe_sub(fe *h, const fe *f, const fe *g)
{
	h->v[0] = f->v[0] + 0x1fffffffffffb4ULL - g->v[0];
	h->v[1] = f->v[1] + 0x1ffffffffffffcULL - g->v[1];
	h->v[2] = f->v[2] + 0x1ffffffffffffcULL - g->v[2];
	h->v[3] = f->v[3] + 0x1ffffffffffffcULL - g->v[3];
	h->v[4] = f->v[4] + 0x1ffffffffffffcULL - g->v[4];
}

/* reduce five 128-bit column sums to limbs under 2^52 */
static inline void
fe_reduce128(fe *h, u128 r0, u128 r1, u128 r2, u128 r3, u128 r4)
{
	uint64_t	c;

	r1 += (uint64_t)(r0 >> 51);
	r2 += (uint64_t)(r1 >> 51);
	r3 += (uint64_t)(r2 >> 51);
	r4 += (uint64_t)(r3 >> 51);
	c = (uint64_t)(r4 >> 51);
	h->v[0] = ((uint64_t)r0 & MASK51) + 19 * c;
	h->v[1] = ((uint64_t)r1 & MASK51) + (h->v[0] >> 51);
	h->v[0] &= MASK51;
	h->v[2] = (uint64_t)r2 & MASK51;
	h->v[3] = (uint64_t)r3 & MASK51;
	h->v[4] = (uint64_t)r4 & MASK51;
}

static void
fe_mul(fe *h, const fe *f, const fe *g)
{
	uint64_t	f0 = f->v[0], f1 = f->v[1], f2 = f->v[2];
	uint64_t	f3 = f->v[3], f4 = f->v[4];
	uint64_t	g0 = g->v[0], g1 = g->v[1], g2 = g->v[2];
	uint64_t	g3 = g->v[3], g4 = g->v[4];
	uint64_t	g1_19 = 19 * g1, g2_19 = 19 * g2;
	uint64_t	g3_19 = 19 * g3, g4_19 = 19 * g4;
	u128		r0, r1, r2, r3, r4;

	/* 2^255 = 19 (mod p): products past limb 4 wrap around times 19 */
	r0 = (u128)f0 * g0 + (u128)f1 * g4_19 + (u128)f2 * g3_19 +
	    (u128)f3 * g2_19 + (u128)f4 * g1_19;
	r1 = (u128)f0 * g1 + (u128)f1 * g0 + (u128)f2 * g4_19 +
	    (u128)f3 * g3_19 + (u128)f4 * g2_19;
	r2 = (u128)f0 * g2 + (u128)f1 * g1 + (u128)f2 * g0 +
	    (u128)f3 * g4_19 + (u128)f4 * g3_19;
	r3 = (u128)f0 * g3 + (u128)f1 * g2 + (u128)f2 * g1 +
	    (u128)f3 * g0 + (u128)f4 * g4_19;
	r4 = (u128)f0 * g4 + (u128)f1 * g3 + (u128)f2 * g2 +
	    (u128)f3 * g1 + (u128)f4 * g0;
	fe_reduce128(h, r0, r1, r2, r3, r4);
}

static void
fe_sq(fe *h, const fe *f)
{
	uint64_t	f0 = f->v[0], f1 = f->v[1], f2 = f->v[2];
	uint64_t	f3 = f->v[3], f4 = f->v[4];
	uint64_t	f0_2 = 2 * f0, f1_2 = 2 * f1;
	uint64_t	f1_38 = 38 * f1, f2_38 = 38 * f2, f3_38 = 38 * f3;
	uint64_t	f3_19 = 19 * f3, f4_19 = 19 * f4;
	u128		r0, r1, r2, r3, r4;

	r0 = (u128)f0 * f0 + (u128)f1_38 * f4 + (u128)f2_38 * f3;
	r1 = (u128)f0_2 * f1 + (u128)f2_38 * f4 + (u128)f3_19 * f3;
	r2 = (u128)f0_2 * f2 + (u128)f1 * f1 + (u128)f3_38 * f4;
	r3 = (u128)f0_2 * f3 + (u128)f1_2 * f2 + (u128)f4_19 * f4;
	r4 = (u128)f0_2 * f4 + (u128)f1_2 * f3 + (u128)f2 * f2;
	fe_reduce128(h, r0, r1, r2, r3, r4);
}

/* h = f * 121665, a24 of RFC 7748 for curve25519 */
static void
fe_mul_a24(fe *h, const fe *f)
{
	fe_reduce128(h, (u128)f->v[0] * 121665, (u128)f->v[1] * 121665,
	    (u128)f->v[2] * 121665, (u128)f->v[3] * 121665,
	    (u128)f->v[4] * 121665);
}

/* h = f^(2^n) */
static void
fe_sqn(fe *h, const fe *f, int n)
{
	fe_sq(h, f);
	while (--n > 0)
		fe_sq(h, h);
}

/* h = z^(p-2) = 1/z, p - 2 = 2^255 - 21 */
static void
fe_invert(fe *h, const fe *z)
{
	fe	z2, z9, z11, z_5_0, z_10_0, z_20_0, z_50_0, z_100_0, t;

	fe_sq(&z2, z);			/* 2 */
	fe_sqn(&t, &z2, 2);		/* 8 */
	fe_mul(&z9, &t, z);		/* 9 */
	fe_mul(&z11, &z9, &z2);		/* 11 */
	fe_sq(&t, &z11);		/* 22 */
	fe_mul(&z_5_0, &t, &z9);	/* 2^5 - 1 */
	fe_sqn(&t, &z_5_0, 5);
	fe_mul(&z_10_0, &t, &z_5_0);	/* 2^10 - 1 */
	fe_sqn(&t, &z_10_0, 10);
	fe_mul(&z_20_0, &t, &z_10_0);	/* 2^20 - 1 */
	fe_sqn(&t, &z_20_0, 20);
	fe_mul(&t, &t, &z_20_0);	/* 2^40 - 1 */
	fe_sqn(&t, &t, 10);
	fe_mul(&z_50_0, &t, &z_10_0);	/* 2^50 - 1 */
	fe_sqn(&t, &z_50_0, 50);
	fe_mul(&z_100_0, &t, &z_50_0);	/* 2^100 - 1 */
	fe_sqn(&t, &z_100_0, 100);
	fe_mul(&t, &t, &z_100_0);	/* 2^200 - 1 */
	fe_sqn(&t, &t, 50);
	fe_mul(&t, &t, &z_50_0);	/* 2^250 - 1 */
	fe_sqn(&t, &t, 5);		/* 2^255 - 2^5 */
	fe_mul(h, &t, &z11);		/* 2^255 - 21 */

	explicit_bzero(&z2, sizeof(z2));
	explicit_bzero(&z9, sizeof(z9));
	explicit_bzero(&z11, sizeof(z11));
	explicit_bzero(&z_5_0, sizeof(z_5_0));
	explicit_bzero(&z_10_0, sizeof(z_10_0));
	explicit_bzero(&z_20_0, sizeof(z_20_0));
	explicit_bzero(&z_50_0, sizeof(z_50_0));
	explicit_bzero(&z_100_0, sizeof(z_100_0));
	explicit_bzero(&t, sizeof(t));
}

/* swap f and g if swap is 1, leave them if 0, without a branch */
static inline void
fe_cswap(fe *f, fe *g, uint64_t swap)
{
	uint64_t	mask = 0 - swap, x;
	int		i;

	for (i = 0; i < 5; i++) {
		x = mask & (f->v[i] ^ g->v[i]);
		f->v[i] ^= x;
		g->v[i] ^= x;
	}
}

/* f = g if b is 1, unchanged if 0, without a branch */
static inline void
fe_cmov(fe *f, const fe *g, uint64_t b)
{
	uint64_t	mask = 0 - b;
	int		i;

	for (i = 0; i < 5; i++)
		f->v[i] ^= mask & (f->v[i] ^ g->v[i]);
}

static inline void
fe_small(fe *h, uint64_t n)
{
	memset(h, 0, sizeof(*h));
	h->v[0] = n;
}

void
wg_x25519(uint8_t out[WG_DH_LEN], const uint8_t scalar[WG_DH_LEN],
    const uint8_t point[WG_DH_LEN])
{
	uint8_t		k[32];
	fe		x1, x2, z2, x3, z3, a, aa, b, bb, e, c, d, da, cb;
	uint64_t	swap = 0, bit;
	int		t;

	/* decodeScalar25519 */
	memcpy(k, scalar, sizeof(k));
	k[0] &= 248;
	k[31] &= 127;
	k[31] |= 64;

	fe_frombytes(&x1, point);
	memset(&x2, 0, sizeof(x2));
	x2.v[0] = 1;
	memset(&z2, 0, sizeof(z2));
	x3 = x1;
	memset(&z3, 0, sizeof(z3));
	z3.v[0] = 1;

	for (t = 254; t >= 0; t--) {
		bit = (k[t >> 3] >> (t & 7)) & 1;
		swap ^= bit;
		fe_cswap(&x2, &x3, swap);
		fe_cswap(&z2, &z3, swap);
		swap = bit;

		fe_add(&a, &x2, &z2);		/* A = x2 + z2 */
		fe_sq(&aa, &a);			/* AA = A^2 */
		fe_sub(&b, &x2, &z2);		/* B = x2 - z2 */
		fe_sq(&bb, &b);			/* BB = B^2 */
		fe_sub(&e, &aa, &bb);		/* E = AA - BB */
		fe_add(&c, &x3, &z3);		/* C = x3 + z3 */
		fe_sub(&d, &x3, &z3);		/* D = x3 - z3 */
		fe_mul(&da, &d, &a);		/* DA = D * A */
		fe_mul(&cb, &c, &b);		/* CB = C * B */
		fe_add(&x3, &da, &cb);
		fe_sq(&x3, &x3);		/* x3 = (DA + CB)^2 */
		fe_sub(&z3, &da, &cb);
		fe_sq(&z3, &z3);
		fe_mul(&z3, &z3, &x1);		/* z3 = x1 * (DA - CB)^2 */
		fe_mul(&x2, &aa, &bb);		/* x2 = AA * BB */
		fe_mul_a24(&z2, &e);
		fe_add(&z2, &z2, &aa);
		fe_mul(&z2, &z2, &e);		/* z2 = E * (AA + a24 * E) */
	}
	fe_cswap(&x2, &x3, swap);
	fe_cswap(&z2, &z3, swap);

	fe_invert(&z2, &z2);
	fe_mul(&x2, &x2, &z2);
	fe_tobytes(out, &x2);

	explicit_bzero(k, sizeof(k));
	explicit_bzero(&x2, sizeof(x2));
	explicit_bzero(&z2, sizeof(z2));
	explicit_bzero(&x3, sizeof(x3));
	explicit_bzero(&z3, sizeof(z3));
	explicit_bzero(&a, sizeof(a));
	explicit_bzero(&aa, sizeof(aa));
	explicit_bzero(&b, sizeof(b));
	explicit_bzero(&bb, sizeof(bb));
	explicit_bzero(&e, sizeof(e));
	explicit_bzero(&c, sizeof(c));
	explicit_bzero(&d, sizeof(d));
	explicit_bzero(&da, sizeof(da));
	explicit_bzero(&cb, sizeof(cb));
	explicit_bzero(&swap, sizeof(swap));
	explicit_bzero(&bit, sizeof(bit));
}

/*
 * Fixed-base multiplication, for public keys: k * B on the twisted
 * Edwards curve -x^2 + y^2 = 1 + d x^2 y^2 (birationally equivalent to
 * curve25519, u = (1 + y) / (1 - y)), with a signed radix-16 comb over a
 * table of 8 multiples of 16^(2j) B for j = 0..31 (40 KB, public data).
 * The first call builds the table (the time of two ladders) and is not
 * thread-safe; meshd's processes have one thread.  Points are in extended
 * coordinates (X:Y:Z:T), x = X/Z, y = Y/Z, xy = T/Z (Hisil, Wong, Carter,
 * Dawson, "Twisted Edwards curves revisited", 2008); table entries are
 * kept as (Y+X, Y-X, Z, 2dT), ready for an addition.
 */

typedef struct {
	fe	X, Y, Z, T;
} ge;

typedef struct {
	fe	YpX, YmX, Z, T2d;
} ge_cached;

static ge_cached	base_table[32][8];
static fe		ed_d2;			/* 2d */
static int		base_table_ready;

/* the base point: x from RFC 8032 section 5.1 (y = 4/5, u = 9) */
static const uint8_t ed_base_x[32] = {
	0x1a, 0xd5, 0x25, 0x8f, 0x60, 0x2d, 0x56, 0xc9,
	0xb2, 0xa7, 0x25, 0x95, 0x60, 0xc7, 0x2c, 0x69,
	0x5c, 0xdc, 0xd6, 0xfd, 0x31, 0xe2, 0xa4, 0xc0,
	0xfe, 0x53, 0x6e, 0xcd, 0xd3, 0x36, 0x69, 0x21
};

static void
ge_identity(ge *p)
{
	fe_small(&p->X, 0);
	fe_small(&p->Y, 1);
	fe_small(&p->Z, 1);
	fe_small(&p->T, 0);
}

static void
ge_to_cached(ge_cached *c, const ge *p)
{
	fe_add(&c->YpX, &p->Y, &p->X);
	fe_carry(&c->YpX);
	fe_sub(&c->YmX, &p->Y, &p->X);
	fe_carry(&c->YmX);
	c->Z = p->Z;
	fe_mul(&c->T2d, &p->T, &ed_d2);
}

/* r = p + q, "add-2008-hwcd-3" for a = -1 */
static void
ge_add(ge *r, const ge *p, const ge_cached *q)
{
	fe	a, b, c, d, e, f, g, h;

	fe_sub(&a, &p->Y, &p->X);
	fe_mul(&a, &a, &q->YmX);	/* A = (Y1 - X1)(Y2 - X2) */
	fe_add(&b, &p->Y, &p->X);
	fe_mul(&b, &b, &q->YpX);	/* B = (Y1 + X1)(Y2 + X2) */
	fe_mul(&c, &p->T, &q->T2d);	/* C = 2d T1 T2 */
	fe_mul(&d, &p->Z, &q->Z);
	fe_add(&d, &d, &d);		/* D = 2 Z1 Z2 */
	fe_sub(&e, &b, &a);		/* E = B - A */
	fe_sub(&f, &d, &c);		/* F = D - C */
	fe_add(&g, &d, &c);		/* G = D + C */
	fe_add(&h, &b, &a);		/* H = B + A */
	fe_mul(&r->X, &e, &f);
	fe_mul(&r->Y, &g, &h);
	fe_mul(&r->T, &e, &h);
	fe_mul(&r->Z, &f, &g);
}

/*
 * r = 2p, "dbl-2008-hwcd" for a = -1 with E, F, G, H all negated (the
 * products are unchanged)
 */
static void
ge_double(ge *r, const ge *p)
{
	fe	a, b, c, e, f, g, h;

	fe_sq(&a, &p->X);		/* A = X1^2 */
	fe_sq(&b, &p->Y);		/* B = Y1^2 */
	fe_sq(&c, &p->Z);
	fe_add(&c, &c, &c);		/* C = 2 Z1^2 */
	fe_add(&h, &a, &b);		/* H = A + B */
	fe_add(&e, &p->X, &p->Y);
	fe_sq(&e, &e);
	fe_sub(&e, &h, &e);		/* E = A + B - (X1 + Y1)^2 */
	fe_sub(&g, &a, &b);		/* G = A - B */
	fe_add(&f, &c, &g);
	fe_carry(&f);			/* F = C + G */
	fe_mul(&r->X, &e, &f);
	fe_mul(&r->Y, &g, &h);
	fe_mul(&r->T, &e, &h);
	fe_mul(&r->Z, &f, &g);
}

static void
base_table_init(void)
{
	ge	p, q;
	fe	t;
	int	i, j;

	/* d = -121665 / 121666 */
	fe_small(&t, 121666);
	fe_invert(&t, &t);
	fe_small(&ed_d2, 121665);
	fe_mul(&ed_d2, &ed_d2, &t);
	fe_small(&t, 0);
	fe_sub(&ed_d2, &t, &ed_d2);
	fe_add(&ed_d2, &ed_d2, &ed_d2);
	fe_carry(&ed_d2);

	/* B = (x, 4/5) */
	fe_frombytes(&p.X, ed_base_x);
	fe_small(&t, 5);
	fe_invert(&t, &t);
	fe_small(&p.Y, 4);
	fe_mul(&p.Y, &p.Y, &t);
	fe_small(&p.Z, 1);
	fe_mul(&p.T, &p.X, &p.Y);

	for (j = 0; j < 32; j++) {
		/* base_table[j][i] = (i + 1) 16^(2j) B */
		ge_to_cached(&base_table[j][0], &p);
		q = p;
		for (i = 1; i < 8; i++) {
			ge_add(&q, &q, &base_table[j][0]);
			ge_to_cached(&base_table[j][i], &q);
		}
		for (i = 0; i < 8; i++)
			ge_double(&p, &p);
	}
	base_table_ready = 1;
}

/* t = e 16^(2j) B for e in -8..8, reading every entry of the row */
static void
base_select(ge_cached *t, int j, int8_t e)
{
	uint8_t		neg = (uint8_t)e >> 7;
	uint8_t		abs = (e ^ -(int)neg) + neg;	/* |e| */
	uint64_t	eq;
	fe		minus;
	int		i;

	fe_small(&t->YpX, 1);
	fe_small(&t->YmX, 1);
	fe_small(&t->Z, 1);
	fe_small(&t->T2d, 0);
	for (i = 0; i < 8; i++) {
		/* eq = 1 iff abs == i + 1 */
		eq = ((uint64_t)(abs ^ (i + 1)) - 1) >> 63;
		fe_cmov(&t->YpX, &base_table[j][i].YpX, eq);
		fe_cmov(&t->YmX, &base_table[j][i].YmX, eq);
		fe_cmov(&t->Z, &base_table[j][i].Z, eq);
		fe_cmov(&t->T2d, &base_table[j][i].T2d, eq);
	}
	/* -(x, y) = (-x, y): swap Y+X and Y-X, negate T */
	fe_cswap(&t->YpX, &t->YmX, neg);
	fe_small(&minus, 0);
	fe_sub(&minus, &minus, &t->T2d);
	fe_cmov(&t->T2d, &minus, neg);
	explicit_bzero(&minus, sizeof(minus));
}

static void
x25519_base(uint8_t out[WG_DH_LEN], const uint8_t scalar[WG_DH_LEN])
{
	uint8_t		k[32];
	int8_t		e[64], carry;
	ge		h;
	ge_cached	t;
	fe		num, den;
	int		i;

	if (!base_table_ready)
		base_table_init();

	memcpy(k, scalar, sizeof(k));
	k[0] &= 248;
	k[31] &= 127;
	k[31] |= 64;

	/* k = sum e[i] 16^i with e[i] in -8..7 (e[63] in 0..8) */
	for (i = 0; i < 32; i++) {
		e[2 * i] = k[i] & 15;
		e[2 * i + 1] = k[i] >> 4;
	}
	carry = 0;
	for (i = 0; i < 63; i++) {
		e[i] += carry;
		carry = (e[i] + 8) >> 4;
		e[i] -= carry * 16;
	}
	e[63] += carry;

	ge_identity(&h);
	for (i = 1; i < 64; i += 2) {
		base_select(&t, i / 2, e[i]);
		ge_add(&h, &h, &t);
	}
	ge_double(&h, &h);
	ge_double(&h, &h);
	ge_double(&h, &h);
	ge_double(&h, &h);
	for (i = 0; i < 64; i += 2) {
		base_select(&t, i / 2, e[i]);
		ge_add(&h, &h, &t);
	}

	/* u = (1 + y) / (1 - y) = (Z + Y) / (Z - Y) */
	fe_add(&num, &h.Z, &h.Y);
	fe_sub(&den, &h.Z, &h.Y);
	fe_invert(&den, &den);
	fe_mul(&num, &num, &den);
	fe_tobytes(out, &num);

	explicit_bzero(k, sizeof(k));
	explicit_bzero(e, sizeof(e));
	explicit_bzero(&carry, sizeof(carry));
	explicit_bzero(&h, sizeof(h));
	explicit_bzero(&t, sizeof(t));
	explicit_bzero(&num, sizeof(num));
	explicit_bzero(&den, sizeof(den));
}

#else /* !__SIZEOF_INT128__ */

static const uint8_t x25519_base_point[WG_DH_LEN] = { 9 };

/* OpenSSL's X25519; it refuses an all-zero result, which we check too */
void
wg_x25519(uint8_t out[WG_DH_LEN], const uint8_t scalar[WG_DH_LEN],
    const uint8_t point[WG_DH_LEN])
{
	EVP_PKEY	*priv = NULL, *pub = NULL;
	EVP_PKEY_CTX	*ctx = NULL;
	size_t		 len = WG_DH_LEN;

	memset(out, 0, WG_DH_LEN);
	if ((priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL,
	    scalar, WG_DH_LEN)) == NULL ||
	    (pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL,
	    point, WG_DH_LEN)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new(priv, NULL)) == NULL ||
	    EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer(ctx, pub) != 1 ||
	    EVP_PKEY_derive(ctx, out, &len) != 1 || len != WG_DH_LEN)
		memset(out, 0, WG_DH_LEN);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(priv);
}

static void
x25519_base(uint8_t out[WG_DH_LEN], const uint8_t scalar[WG_DH_LEN])
{
	wg_x25519(out, scalar, x25519_base_point);
}

#endif /* __SIZEOF_INT128__ */

int
wg_dh(uint8_t out[WG_DH_LEN], const uint8_t priv[WG_DH_LEN],
    const uint8_t pub[WG_DH_LEN])
{
	static const uint8_t	zero[WG_DH_LEN];
	uint8_t			shared[WG_DH_LEN];

	wg_x25519(shared, priv, pub);
	if (CRYPTO_memcmp(shared, zero, sizeof(shared)) == 0) {
		memset(out, 0, WG_DH_LEN);
		return -1;
	}
	memcpy(out, shared, sizeof(shared));
	explicit_bzero(shared, sizeof(shared));
	return 0;
}

void
wg_dh_public(uint8_t pub[WG_DH_LEN], const uint8_t priv[WG_DH_LEN])
{
	x25519_base(pub, priv);
}

int
wg_dh_generate(uint8_t priv[WG_DH_LEN], uint8_t pub[WG_DH_LEN])
{
	if (RAND_priv_bytes(priv, WG_DH_LEN) != 1) {
		explicit_bzero(priv, WG_DH_LEN);
		return -1;
	}
	priv[0] &= 248;
	priv[31] &= 127;
	priv[31] |= 64;
	wg_dh_public(pub, priv);
	return 0;
}
