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
 * meshd-crypto's protocol engine facing the wire.  The engine under
 * test, L, has one peer A whose private key the harness holds: a second
 * engine R plays A, so the input can make L consume real initiations,
 * responses, cookie replies and data, each mutated as the input says,
 * as well as raw bytes.  L has a second peer, B, nobody plays.  Both run
 * on a fake clock with deterministic randomness, rebuilt for every
 * input.
 *
 * Beyond "no crash, no leak" the harness checks what the protocol
 * promises: a message changed anywhere its MACs or AEAD tag cover is
 * refused, a message accepted once is refused the second time, and
 * everything accepted came from A, the only peer whose key the attacker
 * holds.
 *
 * Input: one byte of options (bits 0-1: PSKs), then up to MAX_OPS
 * operations, each an opcode byte and its arguments: raw bytes to one of
 * L's entry points; R initiates; L initiates; a cookie reply from R's
 * side; data from R; data from L; a replay of what L accepted; time
 * passes; a change of configuration (the op_* functions below).  What R
 * sends L passes through mutate() first.
 */

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "cookie.h"
#include "fuzz.h"
#include "noise.h"
#include "wgcrypto.h"
#include "wgnoise.h"
#include "wgkey.h"
#include "wgproto.h"

#define SEC		WG_NSEC
#define T0		(1000 * SEC)
#define MSG_MAX		1600
#define MAX_OPS		64
#define DEPTH		4	/* replies to replies to ... */

struct rng {
	uint64_t	 state;
	int		 fail;
};

struct msg {
	uint8_t		 buf[MSG_MAX];
	size_t		 len;
};

struct side {
	const char		*name;
	struct noise_local	*l;
	struct noise_peer	*peer;		/* the other side */
	struct noise_peer	*peer_b;	/* L only: nobody's */
	struct side		*other;
	struct rng		 rng;
	struct cookie_checker	 cc;		/* as its meshd-net would */
	struct msg		 sent[5];	/* last sent, by type */
	struct msg		 accepted[5];	/* last accepted, by type */
};

static const uint8_t	 priv_l[32] = { 0x10, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
static const uint8_t	 priv_a[32] = { 0x20, 9, 8, 7, 6, 5, 4, 3, 2, 1 };
static const uint8_t	 priv_b[32] = { 0x30, 3, 3, 3 };
static const uint8_t	 psk_ab[32] = { 0x40, 4, 4, 4, 4 };
static const uint8_t	 psk_other[32] = { 0x50, 5 };
static const uint8_t	 src_addr[6] = { 198, 18, 0, 2, 0xca, 0x6c };
static uint8_t		 pub_l[32], pub_a[32], pub_b[32];

static uint64_t		 now;
static struct side	 L, R;

static int
rng_fill(void *buf, size_t len, void *arg)
{
	struct rng	*r = arg;
	uint8_t		*p = buf;
	uint64_t	 z;
	int		 i;

	if (r->fail)
		return -1;
	while (len > 0) {
		z = (r->state += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		for (i = 0; i < 8 && len > 0; i++, len--)
			*p++ = z >> (8 * i);
	}
	return 0;
}

/* TAI64N from the fake clock */
static void
fake_tai64n(uint8_t out[WG_TAI64N_LEN], void *arg)
{
	uint64_t	s = 0x400000000000000aULL + 1767225600 + now / SEC;
	uint32_t	ns = now % SEC;
	int		i;

	for (i = 0; i < 8; i++)
		out[i] = s >> (56 - 8 * i);
	for (i = 0; i < 4; i++)
		out[8 + i] = ns >> (24 - 8 * i);
}

static void	side_send(struct side *, struct noise_peer *, const uint8_t *,
		    size_t, int);

/* what the caller of the engine does with the actions of a peer */
static void
side_poll(struct side *s, struct noise_peer *p, int depth)
{
	uint8_t		out[MSG_MAX];
	size_t		outlen;
	uint32_t	act;
	int		i;

	for (i = 0; i < 4 && (act = noise_peer_poll(p, now)) != 0; i++) {
		if (act & NOISE_ACT_INITIATE &&
		    noise_create_initiation(p, now, out) == 0)
			side_send(s, p, out, WG_INIT_LEN, depth);
		if (act & (NOISE_ACT_KEEPALIVE | NOISE_ACT_FLUSH) &&
		    noise_encrypt(p, now, NULL, 0, 0, out, sizeof(out),
		    &outlen) == 0)
			side_send(s, p, out, outlen, depth);
	}
	(void)noise_peer_next_timer(p);
	(void)noise_peer_can_send(p, now);
}

/* one message arriving at s: 0 if the engine took it */
static int
side_input(struct side *s, const uint8_t *msg, size_t len, int depth,
    struct noise_peer **pp)
{
	struct noise_peer	*p = NULL;
	uint8_t			*buf, out[MSG_MAX];
	size_t			 outlen;
	int			 type, ret;

	/* exactly len bytes, so that ASan sees any read past the end */
	if ((buf = malloc(len ? len : 1)) == NULL)
		abort();
	memcpy(buf, msg, len);
	type = wg_msg_type(buf, len);
	switch (type) {
	case WG_MSG_INITIATION:
		ret = noise_consume_initiation(s->l, buf, len, now, &p);
		if (ret == 0 && noise_create_response(p, now, out) == 0)
			side_send(s, p, out, WG_RESP_LEN, depth);
		break;
	case WG_MSG_RESPONSE:
		ret = noise_consume_response(s->l, buf, len, now, &p);
		break;
	case WG_MSG_COOKIE:
		ret = noise_consume_cookie(s->l, buf, len, now, &p);
		break;
	case WG_MSG_DATA:
		ret = noise_decrypt(s->l, buf, len, now, &p, out,
		    len - WG_DATA_MIN_LEN, &outlen);
		if (ret == 0 && outlen > len - WG_DATA_MIN_LEN)
			abort();
		break;
	default:
		ret = NOISE_E_INVAL;
		break;
	}
	(void)noise_strerror(ret);
	if (ret == 0) {
		/* nobody but A can make a message L accepts */
		if (s == &L && p != L.peer)
			abort();
		memcpy(s->accepted[type].buf, buf, len);
		s->accepted[type].len = len;
	}
	free(buf);
	if (p != NULL && depth > 0)
		side_poll(s, p, depth - 1);
	if (pp != NULL)
		*pp = ret == 0 ? p : NULL;
	return ret;
}

static void
side_send(struct side *s, struct noise_peer *p, const uint8_t *msg,
    size_t len, int depth)
{
	int	type = wg_msg_type(msg, len);

	memcpy(s->sent[type].buf, msg, len);
	s->sent[type].len = len;
	if (p == s->peer && depth > 0)
		(void)side_input(s->other, msg, len, depth - 1, NULL);
}

/*
 * Changes m as the input says: a count of byte flips and maybe a new
 * length.  Returns the first offset that differs from orig (orig's
 * length if only the length changed), or -1 if m is still orig.
 */
static long
mutate(struct fz *f, struct msg *m)
{
	struct msg	orig = *m;
	uint8_t		spec = fz_u8(f);
	size_t		i, n = spec & 7, pos;

	for (i = 0; i < n && m->len > 0; i++) {
		pos = fz_u16(f) % m->len;
		m->buf[pos] ^= fz_u8(f);
	}
	if (spec & 0x80) {
		m->len = fz_u16(f) % (orig.len + 32);
		if (m->len > orig.len)
			memset(m->buf + orig.len, fz_u8(f), m->len - orig.len);
	}
	for (i = 0; i < m->len && i < orig.len; i++)
		if (m->buf[i] != orig.buf[i])
			return i;
	return m->len == orig.len ? -1 : (long)(m->len < orig.len ?
	    m->len : orig.len);
}

static void
side_setup(struct side *s, const char *name, const uint8_t *priv,
    uint64_t seed)
{
	uint8_t	pub[WG_PUBLIC_LEN];

	memset(s, 0, sizeof(*s));
	s->name = name;
	s->rng.state = seed;
	if ((s->l = noise_local_new()) == NULL)
		abort();
	noise_local_set_rng(s->l, rng_fill, &s->rng);
	noise_local_set_tai64n(s->l, fake_tai64n, NULL);
	if (noise_local_set_private(s->l, priv) != 0 ||
	    noise_local_public(s->l, pub) != 0)
		abort();
	cookie_checker_init(&s->cc, rng_fill, &s->rng);
	cookie_checker_set_key(&s->cc, pub);
}

static void
side_teardown(struct side *s)
{
	noise_local_free(s->l);
	cookie_checker_wipe(&s->cc);
	s->l = NULL;
}

/*
 * A message from R to L, changed as the input says.  A change before
 * cover_end must make L refuse it, unless the change is in the 4 bytes
 * at skip (-1: none).
 */
static void
to_l(struct fz *f, struct msg *m, long cover_end, long skip)
{
	long	diff;
	int	ret;

	diff = mutate(f, m);
	ret = side_input(&L, m->buf, m->len, DEPTH, NULL);
	if (ret == 0 && diff != -1 && diff < cover_end &&
	    (skip < 0 || diff < skip || diff >= skip + 4))
		abort();
}

static void
op_r_initiates(struct fz *f)
{
	struct msg	m;

	if (noise_create_initiation(R.peer, now, m.buf) != 0)
		return;
	m.len = WG_INIT_LEN;
	memcpy(R.sent[WG_MSG_INITIATION].buf, m.buf, m.len);
	R.sent[WG_MSG_INITIATION].len = m.len;
	to_l(f, &m, WG_INIT_OFF_MAC2, -1);
}

static void
op_l_initiates(struct fz *f)
{
	struct noise_peer	*p = fz_u8(f) & 1 ? L.peer_b : L.peer;
	struct msg		 m;
	uint8_t			 init[WG_INIT_LEN];

	if (noise_create_initiation(p, now, init) != 0)
		return;
	memcpy(L.sent[WG_MSG_INITIATION].buf, init, sizeof(init));
	L.sent[WG_MSG_INITIATION].len = sizeof(init);
	if (p != L.peer)
		return;
	/* R answers, but the answer reaches L only as the input says */
	if (noise_consume_initiation(R.l, init, sizeof(init), now, &p) != 0 ||
	    noise_create_response(p, now, m.buf) != 0)
		return;
	m.len = WG_RESP_LEN;
	to_l(f, &m, WG_RESP_OFF_MAC2, -1);
}

/* R's meshd-net under load answers L's last handshake message */
static void
op_cookie(struct fz *f)
{
	struct msg	*sent, m;
	int		 which = fz_u8(f) & 1;

	sent = &L.sent[which ? WG_MSG_RESPONSE : WG_MSG_INITIATION];
	if (sent->len == 0)
		return;
	if (cookie_checker_create_reply(&R.cc, m.buf, sent->buf, sent->len,
	    src_addr, sizeof(src_addr), now) != 0)
		return;
	m.len = WG_COOKIE_MSG_LEN;
	/* the receiver index is not covered: another of A's indices works */
	to_l(f, &m, WG_COOKIE_MSG_LEN, WG_COOKIE_OFF_RECEIVER);
}

static void
op_r_data(struct fz *f)
{
	const uint8_t	*pt;
	struct msg	 m;
	size_t		 len;

	len = fz_take(f, fz_u8(f) % 128, &pt);
	if (noise_encrypt(R.peer, now, pt, len, fz_u16(f) % 1500, m.buf,
	    sizeof(m.buf), &m.len) != 0) {
		side_poll(&R, R.peer, DEPTH);
		return;
	}
	memcpy(R.sent[WG_MSG_DATA].buf, m.buf, m.len);
	R.sent[WG_MSG_DATA].len = m.len;
	to_l(f, &m, MSG_MAX, -1);
}

static void
op_l_data(struct fz *f)
{
	struct noise_peer	*p = fz_u8(f) & 1 ? L.peer_b : L.peer;
	const uint8_t		*pt;
	uint8_t			 out[MSG_MAX];
	size_t			 len, outlen, mtu;

	len = fz_take(f, fz_u8(f) % 128, &pt);
	mtu = fz_u16(f) % 1500;
	if (noise_encrypt_size(len, mtu) > sizeof(out))
		return;
	if (noise_encrypt(p, now, pt, len, mtu, out, fz_u8(f) & 1 ?
	    sizeof(out) : noise_encrypt_size(len, mtu) - 1, &outlen) == 0)
		side_send(&L, p, out, outlen, DEPTH);
	side_poll(&L, p, DEPTH);
}

/* the same bytes again: what was accepted once must not be twice */
static void
op_replay(struct fz *f)
{
	uint8_t		type = 1 + fz_u8(f) % 4;
	struct msg	m = L.accepted[type];

	if (m.len == 0)
		return;
	if (side_input(&L, m.buf, m.len, DEPTH, NULL) == 0)
		abort();
}

static void
op_raw(struct fz *f)
{
	struct noise_peer	*p;
	const uint8_t		*raw;
	uint8_t			*buf, out[MSG_MAX];
	size_t			 len, outlen;
	int			 which = fz_u8(f) % 5;

	len = fz_take(f, fz_u16(f) % MSG_MAX, &raw);
	if ((buf = malloc(len ? len : 1)) == NULL)
		abort();
	memcpy(buf, raw, len);
	switch (which) {
	case 0:
		(void)noise_consume_initiation(L.l, buf, len, now, &p);
		break;
	case 1:
		(void)noise_consume_response(L.l, buf, len, now, &p);
		break;
	case 2:
		(void)noise_consume_cookie(L.l, buf, len, now, &p);
		break;
	case 3:
		(void)noise_decrypt(L.l, buf, len, now, &p, out,
		    len < WG_DATA_MIN_LEN ? 0 : len - WG_DATA_MIN_LEN, &outlen);
		break;
	default:
		(void)side_input(&L, buf, len, DEPTH, NULL);
		break;
	}
	free(buf);
}

static void
op_time(struct fz *f)
{
	uint16_t	v = fz_u16(f);

	/* ms steps, or whole seconds (up to 18 hours) */
	now += v & 1 ? (uint64_t)(v >> 1) * SEC : (uint64_t)(v >> 1) *
	    (SEC / 1000);
	side_poll(&L, L.peer, DEPTH);
	side_poll(&L, L.peer_b, DEPTH);
	side_poll(&R, R.peer, DEPTH);
}

static void
op_config(struct fz *f)
{
	uint8_t	v = fz_u8(f);

	switch (v % 6) {
	case 0:
		noise_peer_set_keepalive(L.peer, fz_u16(f) % 30, now);
		break;
	case 1:
		noise_peer_clear(L.peer);
		break;
	case 2:
		/* no key for a while, as a reload without one would */
		(void)noise_local_set_private(L.l, NULL);
		(void)side_input(&L, R.sent[WG_MSG_INITIATION].buf,
		    R.sent[WG_MSG_INITIATION].len, DEPTH, NULL);
		(void)noise_local_set_private(L.l, priv_l);
		break;
	case 3:
		L.rng.fail = !L.rng.fail;
		break;
	case 4:
		noise_peer_set_keepalive(R.peer, fz_u16(f) % 30, now);
		break;
	default:
		noise_peer_clear(R.peer);
		break;
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_quiet();
	if (wg_key_public(pub_l, priv_l) != 0 ||
	    wg_key_public(pub_a, priv_a) != 0 ||
	    wg_key_public(pub_b, priv_b) != 0)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz	f;
	uint8_t		opts;
	int		i;

	fz_init(&f, data, size);
	opts = fz_u8(&f);
	now = T0;
	side_setup(&L, "L", priv_l, 1);
	side_setup(&R, "R", priv_a, 2);
	L.other = &R;
	R.other = &L;
	if ((L.peer = noise_peer_new(L.l, pub_a, NULL)) == NULL ||
	    (L.peer_b = noise_peer_new(L.l, pub_b, NULL)) == NULL ||
	    (R.peer = noise_peer_new(R.l, pub_l, NULL)) == NULL)
		abort();
	/* a PSK on both sides, on one side only, or none */
	if (opts & 1)
		noise_peer_set_psk(L.peer, psk_ab);
	if (opts & 2)
		noise_peer_set_psk(R.peer, opts & 1 ? psk_ab : psk_other);

	for (i = 0; i < MAX_OPS && fz_left(&f) > 0; i++) {
		switch (fz_u8(&f) % 10) {
		case 0:
			op_raw(&f);
			break;
		case 1:
			op_r_initiates(&f);
			break;
		case 2:
			op_l_initiates(&f);
			break;
		case 3:
			op_cookie(&f);
			break;
		case 4:
			op_r_data(&f);
			break;
		case 5:
			op_l_data(&f);
			break;
		case 6:
			op_replay(&f);
			break;
		case 7:
			op_time(&f);
			break;
		default:
			op_config(&f);
			break;
		}
	}
	side_teardown(&L);
	side_teardown(&R);
	return 0;
}
