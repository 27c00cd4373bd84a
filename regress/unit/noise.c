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
 * The protocol engine, two instances talking through a simulated network
 * on a fake clock: handshakes in both roles with and without PSK, the
 * known-answer initiation (cross-checked against wireguard-go by
 * regress/interop/handshake.t), crossing initiations, lost messages,
 * the cookie path under load, replay and flood limits, tampering with
 * every field of every message, transport data and its padding, key
 * confirmation, and the timers: keepalive 10 s, new handshake 15 s,
 * rekey 120 s, reject 180 s, give up after 90 s, wipe 540 s, and the
 * message-count limits.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "cookie.h"
#include "noise.h"
#include "noise_priv.h"
#include "wgcrypto.h"
#include "wgnoise.h"
#include "wgkey.h"
#include "wgproto.h"

#define SEC		WG_NSEC
#define MS		(WG_NSEC / 1000)
#define T0		(1000 * SEC)	/* the fake clock starts here */

static uint64_t	now;

/*
 * Known answer.  Static keys, the initiator's ephemeral key, its sender
 * index and timestamp fixed; the initiation must be exactly these bytes.
 * regress/interop/hsdriver.c holds the same vector and sends it to
 * wireguard-go, which must answer it (handshake.t checks both copies are
 * equal).
 */
static const char kat_init_priv[] =	/* initiator static private */
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf";
static const char kat_resp_priv[] =	/* responder static private */
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf";
static const char kat_eph_priv[] =	/* initiator ephemeral private */
    "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
static const char kat_index[] = "12345678";	/* rng bytes: LE 0x78563412 */
static const char kat_tai64n[] = "400000006955800a00000000";
/* KAT-INITIATION */
static const char kat_initiation[] =
    "0100000012345678736845d54e87de09d6bb114aa7042c50a4a015bd9901d1a0"
    "026f5956533a1519e6f8e3f6e93118f94051367047c32211bcf7b9bbdda0723a"
    "d29db578bea5a84bf7048be7fe7aebdd8e7df06aab32c1e934bdade45a01c61f"
    "752ae06561ed193f28d46df2cdce0fc7293a7a59cc538bf85cc1d15f4aa38422"
    "4eede33c00000000000000000000000000000000";
/* the responder's answer with its ephemeral and index fixed too */
static const char kat_resp_eph[] =
    "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f";
static const char kat_resp_index[] = "9abcdef0";
static const char kat_response[] =
    "020000009abcdef012345678d89e3bad79437dbed9f843418304f460ff05c7fe"
    "81fe4a9577a804cb9367ff668d4ddb4c5e4482a095a26e175b772b902e91d37d"
    "e9a031b091ea9afb9c72a75800000000000000000000000000000000";
static const char kat_response_psk[] =
    "020000009abcdef012345678d89e3bad79437dbed9f843418304f460ff05c7fe"
    "81fe4a9577a804cb9367ff6634614ebeaf2d162e06e0f663cb77a85326c0a9e7"
    "4dcb674838ec70cb22a9277000000000000000000000000000000000";
static const char kat_psk[] =
    "5051525354555657585960616263646566676869707172737475767778797a7b";

static int
unhex(uint8_t *out, size_t outlen, const char *hex)
{
	size_t		 i;
	unsigned int	 v;

	if (strlen(hex) != 2 * outlen)
		return -1;
	for (i = 0; i < outlen; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = v;
	}
	return 0;
}

static void
tohex(char *out, const uint8_t *in, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", in[i]);
}

/* a scripted, then deterministic, random source */
struct trng {
	uint64_t	 state;
	uint8_t		 script[256];
	size_t		 slen, spos;
	int		 fail;
};

static int
trng_fill(void *buf, size_t len, void *arg)
{
	struct trng	*r = arg;
	uint8_t		*p = buf;
	uint64_t	 z;
	int		 i;

	if (r->fail)
		return -1;
	while (len > 0) {
		if (r->spos < r->slen) {
			*p++ = r->script[r->spos++];
			len--;
			continue;
		}
		z = (r->state += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		for (i = 0; i < 8 && len > 0; i++, len--)
			*p++ = z >> (8 * i);
	}
	return 0;
}

static void
trng_script(struct trng *r, const char *hex)
{
	size_t	n = strlen(hex) / 2;

	if (r->spos == r->slen)
		r->spos = r->slen = 0;
	if (unhex(r->script + r->slen, n, hex) == 0)
		r->slen += n;
}

/* TAI64N from the fake clock: 2026-01-01T00:00:00Z at now == 0 */
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

/* the fake clock, *arg seconds off */
static void
skewed_tai64n(uint8_t out[WG_TAI64N_LEN], void *arg)
{
	uint64_t	s;
	int		i;

	fake_tai64n(out, NULL);
	for (i = 0, s = 0; i < 8; i++)
		s = s << 8 | out[i];
	s += *(const int64_t *)arg;
	for (i = 0; i < 8; i++)
		out[i] = s >> (56 - 8 * i);
}

static void
fixed_tai64n(uint8_t out[WG_TAI64N_LEN], void *arg)
{
	unhex(out, WG_TAI64N_LEN, kat_tai64n);
}

/*
 * A node: one engine with one peer, the other node, plus what meshd-net
 * (cookie checker) and meshd-crypto's caller (queue, action handling)
 * would do around it.
 */
#define INBOX_MAX	64
#define QUEUE_MAX	8
#define MSG_MAX		2048

struct pkt {
	uint8_t		 buf[MSG_MAX];
	size_t		 len;
};

struct node {
	const char		*name;
	struct noise_local	*l;
	struct noise_peer	*p;
	struct node		*other;
	struct trng		 rng;
	struct cookie_checker	 cc;
	int			 under_load;
	struct pkt		 inbox[INBOX_MAX];
	int			 nin;
	struct pkt		 queue[QUEUE_MAX];	/* waiting for a key */
	int			 nq;
	struct pkt		 got;			/* last plaintext */
	int			 ngot;			/* data received */
	int			 nkeepalive_rx;
	int			 sent[5];		/* by type */
	int			 nkeepalive_tx;
	int			 drop_out;		/* lose what it sends */
	int			 drop_type;		/* lose one of type */
	int			 nwiped;
	uint32_t		 acts;			/* every action seen */
	int			 err;			/* last engine error */
	struct pkt		 last[5];		/* last sent, by type */
	uint8_t			 priv[WG_KEY_LEN], pub[WG_KEY_LEN];
};

static struct node	A, B;

static void
net_send(struct node *from, const uint8_t *msg, size_t len)
{
	struct node	*to = from->other;
	int		 type = wg_msg_type(msg, len);

	from->sent[type]++;
	memcpy(from->last[type].buf, msg, len);
	from->last[type].len = len;
	if (type == WG_MSG_DATA && len == WG_DATA_MIN_LEN)
		from->nkeepalive_tx++;
	if (from->drop_out)
		return;
	if (from->drop_type == type) {
		from->drop_type = 0;
		return;
	}
	if (to->nin == INBOX_MAX)
		return;
	memcpy(to->inbox[to->nin].buf, msg, len);
	to->inbox[to->nin++].len = len;
}

static void
node_flush(struct node *n)
{
	uint8_t	out[MSG_MAX];
	size_t	outlen;
	int	i, j, ret;

	for (i = 0; i < n->nq; i++) {
		ret = noise_encrypt(n->p, now, n->queue[i].buf, n->queue[i].len,
		    0, out, sizeof(out), &outlen);
		if (ret != 0)
			break;
		net_send(n, out, outlen);
	}
	for (j = 0; i < n->nq; i++, j++)
		n->queue[j] = n->queue[i];
	n->nq = j;
}

static void
node_act(struct node *n, uint32_t act)
{
	uint8_t	out[MSG_MAX];
	size_t	outlen;
	int	ret;

	n->acts |= act;
	if (act & NOISE_ACT_WIPED)
		n->nwiped++;
	if (act & NOISE_ACT_PURGE)
		n->nq = 0;
	if (act & NOISE_ACT_INITIATE) {
		if ((ret = noise_create_initiation(n->p, now, out)) == 0)
			net_send(n, out, WG_INIT_LEN);
		else
			n->err = ret;
	}
	if (act & (NOISE_ACT_KEEPALIVE | NOISE_ACT_FLUSH)) {
		if (n->nq > 0)
			node_flush(n);
		else if (act & NOISE_ACT_KEEPALIVE) {
			if (noise_encrypt(n->p, now, NULL, 0, 0, out,
			    sizeof(out), &outlen) == 0)
				net_send(n, out, outlen);
		}
	}
}

static void
node_poll(struct node *n)
{
	uint32_t	act;
	int		i;

	for (i = 0; i < 10 && (act = noise_peer_poll(n->p, now)) != 0; i++)
		node_act(n, act);
}

/* the application sends a packet to the other node */
static int
app_send(struct node *n, const void *data, size_t len)
{
	uint8_t	out[MSG_MAX];
	size_t	outlen;
	int	ret;

	ret = noise_encrypt(n->p, now, data, len, 0, out, sizeof(out), &outlen);
	if (ret == 0)
		net_send(n, out, outlen);
	else if (ret == NOISE_E_NOKEY && n->nq < QUEUE_MAX) {
		memcpy(n->queue[n->nq].buf, data, len);
		n->queue[n->nq++].len = len;
	}
	node_poll(n);
	return ret;
}

static const char	src_addr[] = "\xc6\x12\x00\x01\xca\x6c";

/* one message arriving at a node, as net and crypto would handle it */
static int
node_input(struct node *n, const uint8_t *msg, size_t len)
{
	struct noise_peer	*p;
	uint8_t			 out[MSG_MAX];
	size_t			 outlen;
	int			 ret = 0;

	switch (wg_msg_type(msg, len)) {
	case WG_MSG_INITIATION:
	case WG_MSG_RESPONSE:
		switch (cookie_checker_validate(&n->cc, msg, len, src_addr,
		    sizeof(src_addr) - 1, n->under_load, now)) {
		case COOKIE_MAC_INVALID:
			return n->err = NOISE_E_MAC1;
		case COOKIE_MAC_NEED_COOKIE:
			if (cookie_checker_create_reply(&n->cc, out, msg, len,
			    src_addr, sizeof(src_addr) - 1, now) == 0)
				net_send(n, out, WG_COOKIE_MSG_LEN);
			return n->err = 1;	/* not an engine error */
		default:
			break;
		}
		if (wg_msg_type(msg, len) == WG_MSG_INITIATION) {
			ret = noise_consume_initiation(n->l, msg, len, now, &p);
			if (ret == 0) {
				ret = noise_create_response(p, now, out);
				if (ret == 0)
					net_send(n, out, WG_RESP_LEN);
			}
		} else
			ret = noise_consume_response(n->l, msg, len, now, &p);
		break;
	case WG_MSG_COOKIE:
		ret = noise_consume_cookie(n->l, msg, len, now, &p);
		break;
	case WG_MSG_DATA:
		ret = noise_decrypt(n->l, msg, len, now, &p, out, sizeof(out),
		    &outlen);
		if (ret == 0) {
			if (outlen == 0)
				n->nkeepalive_rx++;
			else {
				n->ngot++;
				memcpy(n->got.buf, out, outlen);
				n->got.len = outlen;
			}
		}
		break;
	default:
		ret = NOISE_E_INVAL;
		break;
	}
	if (ret != 0)
		n->err = ret;
	node_poll(n);
	return ret;
}

/* delivers what is in flight; the number of messages */
static int
deliver(void)
{
	struct pkt	*in;
	int		 moved = 0, i, k;
	struct node	*n;

	for (k = 0; k < 2; k++) {
		n = k == 0 ? &A : &B;
		while (n->nin > 0) {
			if ((in = malloc(sizeof(*in))) == NULL)
				abort();
			*in = n->inbox[0];
			for (i = 1; i < n->nin; i++)
				n->inbox[i - 1] = n->inbox[i];
			n->nin--;
			node_input(n, in->buf, in->len);
			free(in);
			moved++;
		}
	}
	return moved;
}

/*
 * Runs the network and both nodes' timers until `until'.  A simulation
 * that does not settle (the engine asking for actions forever, or
 * messages bouncing without end) is a failure, not a hang.
 */
static void
run(uint64_t until)
{
	uint64_t	next, nb;
	long		steps = 0, n;

	for (;;) {
		while ((n = deliver()) > 0 && steps < 20000)
			steps += n;
		if (++steps > 20000) {
			ok(0, "the simulation settles (stuck at %llu ns)",
			    (unsigned long long)now);
			break;
		}
		next = noise_peer_next_timer(A.p);
		nb = noise_peer_next_timer(B.p);
		if (nb < next)
			next = nb;
		if (next > until)
			break;
		if (next > now)
			now = next;
		node_poll(&A);
		node_poll(&B);
	}
	if (until > now)
		now = until;
}

/*
 * The engine's allocator in these tests: counts live keypairs and any
 * block released without having been wiped first.
 */
static size_t	kp_live, kp_dirty;

static void *
track_alloc(size_t len)
{
	if (len == sizeof(struct noise_keypair))
		kp_live++;
	return calloc(1, len);
}

static void
track_release(void *p, size_t len)
{
	const uint8_t	*b = p;
	size_t		 i;

	if (len == sizeof(struct noise_keypair))
		kp_live--;
	for (i = 0; i < len; i++)
		if (b[i] != 0) {
			kp_dirty++;
			break;
		}
	free(p);
}

static void
node_free(struct node *n)
{
	noise_local_free(n->l);
	cookie_checker_wipe(&n->cc);
	memset(n, 0, sizeof(*n));
}

static void
node_init(struct node *n, const char *name, uint64_t seed)
{
	memset(n, 0, sizeof(*n));
	n->name = name;
	n->rng.state = seed;
	if ((n->l = noise_local_new()) == NULL)
		abort();
	noise_local_set_rng(n->l, trng_fill, &n->rng);
	noise_local_set_tai64n(n->l, fake_tai64n, NULL);
	trng_fill(n->priv, sizeof(n->priv), &n->rng);
	wg_key_clamp(n->priv);
	if (noise_local_set_private(n->l, n->priv) != 0 ||
	    noise_local_public(n->l, n->pub) != 0)
		abort();
	cookie_checker_init(&n->cc, trng_fill, &n->rng);
	cookie_checker_set_key(&n->cc, n->pub);
}

/* two fresh nodes that know each other; psk optional */
static void
setup(const uint8_t *psk)
{
	static uint64_t	seed = 1;

	if (A.l != NULL)
		node_free(&A);
	if (B.l != NULL)
		node_free(&B);
	now = T0;
	node_init(&A, "A", seed++);
	node_init(&B, "B", seed++);
	A.other = &B;
	B.other = &A;
	if ((A.p = noise_peer_new(A.l, B.pub, &B)) == NULL ||
	    (B.p = noise_peer_new(B.l, A.pub, &A)) == NULL)
		abort();
	noise_peer_set_psk(A.p, psk);
	noise_peer_set_psk(B.p, psk);
}

static int
same_data(const struct node *n, const void *data, size_t len)
{
	return n->got.len >= len && memcmp(n->got.buf, data, len) == 0;
}

/* ------------------------------------------------------------------ */

static void
test_kat(void)
{
	struct noise_local	*li, *lr;
	struct noise_peer	*pi, *pr, *p;
	struct trng		 ri, rr;
	uint8_t			 ipriv[32], rpriv[32], ipub[32], rpub[32];
	uint8_t			 psk[32], init[WG_INIT_LEN], resp[WG_RESP_LEN];
	char			 hex[2 * WG_INIT_LEN + 1];
	int			 withpsk, ret;

	unhex(ipriv, 32, kat_init_priv);
	unhex(rpriv, 32, kat_resp_priv);
	unhex(psk, 32, kat_psk);
	for (withpsk = 0; withpsk < 2; withpsk++) {
		memset(&ri, 0, sizeof(ri));
		memset(&rr, 0, sizeof(rr));
		li = noise_local_new();
		lr = noise_local_new();
		noise_local_set_rng(li, trng_fill, &ri);
		noise_local_set_rng(lr, trng_fill, &rr);
		noise_local_set_tai64n(li, fixed_tai64n, NULL);
		noise_local_set_private(li, ipriv);
		noise_local_set_private(lr, rpriv);
		noise_local_public(li, ipub);
		noise_local_public(lr, rpub);
		pi = noise_peer_new(li, rpub, NULL);
		pr = noise_peer_new(lr, ipub, NULL);
		if (withpsk) {
			noise_peer_set_psk(pi, psk);
			noise_peer_set_psk(pr, psk);
		}
		now = T0;
		trng_script(&ri, kat_eph_priv);
		trng_script(&ri, kat_index);
		ret = noise_create_initiation(pi, now, init);
		tohex(hex, init, WG_INIT_LEN);
		if (!ok(ret == 0 && strcmp(hex, kat_initiation) == 0,
		    "known-answer initiation%s", withpsk ? " (PSK set)" : ""))
			diag("got %s", hex);
		ret = noise_consume_initiation(lr, init, WG_INIT_LEN, now, &p);
		ok(ret == 0 && p == pr, "responder accepts it");
		trng_script(&rr, kat_resp_eph);
		trng_script(&rr, kat_resp_index);
		ret = noise_create_response(pr, now, resp);
		tohex(hex, resp, WG_RESP_LEN);
		if (!ok(ret == 0 && strcmp(hex, withpsk ? kat_response_psk :
		    kat_response) == 0, "known-answer response%s",
		    withpsk ? " with PSK" : ""))
			diag("got %s", hex);
		ret = noise_consume_response(li, resp, WG_RESP_LEN, now, &p);
		ok(ret == 0 && p == pi, "initiator accepts it");
		noise_local_free(li);
		noise_local_free(lr);
	}
}

static void
test_handshake(const uint8_t *psk, const char *what)
{
	static const char	 ping[] = "ping from A";
	static const char	 pong[] = "pong from B";
	struct noise_keypair	*first;
	struct noise_peer	*p;
	struct pkt		 old;
	uint8_t			 out[MSG_MAX];
	size_t			 outlen;

	setup(psk);
	ok(app_send(&A, ping, sizeof(ping)) == NOISE_E_NOKEY,
	    "%s: no session yet, packet queued", what);
	ok(A.sent[WG_MSG_INITIATION] == 1, "%s: initiation sent", what);
	ok(B.p->hs.state == NOISE_HS_ZEROED && B.p->next == NULL,
	    "%s: B has not seen it yet", what);
	run(now);
	ok(B.sent[WG_MSG_RESPONSE] == 1, "%s: B answered", what);
	ok(A.p->cur != NULL && A.p->cur->initiator,
	    "%s: A has a current keypair as initiator", what);
	ok(B.p->cur != NULL && B.p->next == NULL && !B.p->cur->initiator,
	    "%s: B's keypair confirmed by the first data", what);
	ok(B.ngot == 1 && same_data(&B, ping, sizeof(ping)),
	    "%s: the queued packet went through", what);
	ok(A.nkeepalive_tx == 0, "%s: queued data confirmed, no keepalive",
	    what);
	if (A.p->cur == NULL || B.p->cur == NULL) {
		ok(0, "%s: no session to go on with", what);
		return;
	}
	ok(memcmp(A.p->cur->send_key, B.p->cur->recv_key, 32) == 0 &&
	    memcmp(A.p->cur->recv_key, B.p->cur->send_key, 32) == 0,
	    "%s: keys agree", what);
	ok(A.p->cur->remote_index == B.p->cur->idx.id &&
	    B.p->cur->remote_index == A.p->cur->idx.id,
	    "%s: indices agree", what);
	app_send(&B, pong, sizeof(pong));
	run(now);
	ok(A.ngot == 1 && same_data(&A, pong, sizeof(pong)),
	    "%s: data B to A", what);

	/* a packet on the first session, kept for later */
	noise_encrypt(A.p, now, (const uint8_t *)ping, sizeof(ping), 0,
	    old.buf, sizeof(old.buf), &old.len);

	/* now B initiates: A answers and keeps sending on its current */
	first = A.p->cur;
	now += 30 * SEC;
	B.p->timers.has_sent_handshake = 0;
	node_act(&B, NOISE_ACT_INITIATE);
	run(now);
	ok(B.p->cur != NULL && B.p->cur->initiator,
	    "%s: B initiated, has an initiator keypair", what);
	ok(A.p->cur != first && A.p->prev == first && A.p->next == NULL,
	    "%s: A switched to the new keypair on B's keepalive", what);
	ok(A.nkeepalive_rx >= 1, "%s: B confirmed with a keepalive", what);
	app_send(&A, ping, sizeof(ping));
	app_send(&B, pong, sizeof(pong));
	run(now);
	ok(A.ngot == 2 && B.ngot == 2, "%s: data both ways after the "
	    "roles swapped", what);

	/* a third session retires the first: its index and keys go */
	now += 30 * SEC;
	node_act(&A, NOISE_ACT_INITIATE);
	run(now);
	ok(A.p->cur != NULL && A.p->cur->initiator && A.p->prev != NULL &&
	    A.p->prev != first && B.p->prev != NULL,
	    "%s: a third handshake, A initiating again", what);
	ok(noise_decrypt(B.l, old.buf, old.len, now, &p, out, sizeof(out),
	    &outlen) == NOISE_E_STATE, "%s: a packet of the first session "
	    "finds no keypair", what);
	ok(A.l->nindices == 2 && B.l->nindices == 2,
	    "%s: two live indices on each side (previous and current)", what);
}

static void
test_psk_mismatch(void)
{
	uint8_t	psk[32];

	memset(psk, 7, sizeof(psk));
	setup(NULL);
	noise_peer_set_psk(B.p, psk);
	app_send(&A, "x", 1);
	run(now);
	ok(B.sent[WG_MSG_RESPONSE] == 1 && A.p->cur == NULL &&
	    A.err == NOISE_E_DECRYPT,
	    "PSK on one side only: the response fails to authenticate");
}

static void
test_crossing(void)
{
	setup(NULL);
	/* both want to talk at the same instant */
	app_send(&A, "from A", 6);
	app_send(&B, "from B", 6);
	ok(A.sent[WG_MSG_INITIATION] == 1 && B.sent[WG_MSG_INITIATION] == 1,
	    "crossing: both initiated");
	run(now);
	ok(A.sent[WG_MSG_RESPONSE] == 1 && B.sent[WG_MSG_RESPONSE] == 1,
	    "crossing: both answered the other's initiation");
	ok(A.err == NOISE_E_STATE && B.err == NOISE_E_STATE,
	    "crossing: both responses find the handshake replaced");
	ok(A.p->cur == NULL && B.p->cur == NULL && A.p->next != NULL &&
	    B.p->next != NULL, "crossing: neither may send yet");
	run(now + 6 * SEC);
	ok(A.p->cur != NULL && B.p->cur != NULL,
	    "crossing: the retransmit timer settles it");
	ok(A.ngot == 1 && B.ngot == 1, "crossing: both queued packets "
	    "delivered");
	ok(A.sent[WG_MSG_INITIATION] + B.sent[WG_MSG_INITIATION] == 3,
	    "crossing: one retry in all");
}

/*
 * The same with noise_peer_set_crossed (punching: both sides initiate on
 * purpose): the lower key's initiation wins, one handshake completes at
 * once and no retry is needed.
 */
static void
test_crossed_keep(void)
{
	struct node	*lo, *hi;

	setup(NULL);
	noise_peer_set_crossed(A.p, 1);
	noise_peer_set_crossed(B.p, 1);
	lo = memcmp(A.pub, B.pub, WG_PUBLIC_LEN) < 0 ? &A : &B;
	hi = lo == &A ? &B : &A;
	app_send(&A, "from A", 6);
	app_send(&B, "from B", 6);
	run(now);
	ok(lo->err == NOISE_E_CROSSED, "crossed: the lower key refuses the "
	    "initiation that crossed its own");
	ok(lo->sent[WG_MSG_RESPONSE] == 0 && hi->sent[WG_MSG_RESPONSE] == 1,
	    "crossed: only the higher key answers");
	ok(A.p->cur != NULL && B.p->cur != NULL,
	    "crossed: both have a session at once");
	ok(A.ngot == 1 && B.ngot == 1, "crossed: both queued packets "
	    "delivered without a retry");
	ok(A.sent[WG_MSG_INITIATION] + B.sent[WG_MSG_INITIATION] == 2,
	    "crossed: no retry");
}

static void
test_lost_response(void)
{
	uint64_t	start;

	setup(NULL);
	start = now;
	B.drop_type = WG_MSG_RESPONSE;
	app_send(&A, "hello", 5);
	run(now);
	ok(A.p->cur == NULL && B.p->next != NULL,
	    "lost response: B has an unconfirmed keypair, A nothing");
	run(start + 4900 * MS);
	ok(A.sent[WG_MSG_INITIATION] == 1,
	    "lost response: no retry before 5 s");
	run(start + 5334 * MS);
	ok(A.sent[WG_MSG_INITIATION] == 2, "lost response: retried within "
	    "5 s + 333 ms jitter");
	ok(A.p->cur != NULL && B.p->cur != NULL && B.ngot == 1,
	    "lost response: second handshake completed, data delivered");
	ok(A.p->timers.retransmit == TIMER_OFF && A.p->timers.attempts == 0,
	    "lost response: retransmit timer stopped");
	ok(B.l->nindices == 1 && B.p->prev == NULL,
	    "lost response: B's first, unconfirmed keypair was wiped");
}

static void
test_cookie(void)
{
	static const uint8_t	zero[16];
	uint64_t		start;

	setup(NULL);
	start = now;
	B.under_load = 1;
	app_send(&A, "busy?", 5);
	ok(memcmp(A.last[WG_MSG_INITIATION].buf + WG_INIT_OFF_MAC2, zero,
	    16) == 0, "cookie: first initiation has no mac2");
	run(now);
	ok(B.sent[WG_MSG_COOKIE] == 1 && B.sent[WG_MSG_RESPONSE] == 0,
	    "cookie: B under load answers with a cookie reply only");
	ok(A.p->cm.has_cookie, "cookie: A took the cookie");
	ok(A.p->cur == NULL, "cookie: no session yet");
	run(start + 5400 * MS);
	ok(A.sent[WG_MSG_INITIATION] == 2 &&
	    memcmp(A.last[WG_MSG_INITIATION].buf + WG_INIT_OFF_MAC2, zero,
	    16) != 0, "cookie: the retry carries mac2");
	ok(B.sent[WG_MSG_RESPONSE] == 1 && B.sent[WG_MSG_COOKIE] == 1,
	    "cookie: B accepted the retry without another cookie");
	ok(A.p->cur != NULL && B.p->cur != NULL && B.ngot == 1,
	    "cookie: handshake done, data delivered");
	/* a replayed cookie reply is not taken again */
	ok(noise_consume_cookie(A.l, B.last[WG_MSG_COOKIE].buf,
	    WG_COOKIE_MSG_LEN, now, &(struct noise_peer *){ NULL }) ==
	    NOISE_E_DECRYPT || A.p->cur != NULL,
	    "cookie: old reply no longer decrypts against the last mac1");
}

static void
test_replay_flood(void)
{
	struct noise_local	*l2;
	struct noise_peer	*p2, *p;
	struct trng		 r2;
	uint8_t			 init1[WG_INIT_LEN], init2[WG_INIT_LEN];
	uint8_t			 resp[WG_RESP_LEN];
	uint8_t			 ts_before[WG_TAI64N_LEN];

	setup(NULL);
	ok(noise_create_initiation(A.p, now, init1) == 0, "replay: initiation");
	ok(noise_consume_initiation(B.l, init1, WG_INIT_LEN, now, &p) == 0,
	    "replay: accepted once");
	ok(noise_create_response(B.p, now, resp) == 0, "replay: answered");
	now += 1 * SEC;
	memcpy(ts_before, B.p->last_ts, sizeof(ts_before));
	ok(noise_consume_initiation(B.l, init1, WG_INIT_LEN, now, &p) ==
	    NOISE_E_REPLAY, "replay: the same initiation again is dropped");
	ok(B.p->next != NULL && B.p->hs.state == NOISE_HS_ZEROED,
	    "replay: and changes nothing");

	/* a second instance with A's key makes newer initiations */
	memset(&r2, 0, sizeof(r2));
	r2.state = 99;
	l2 = noise_local_new();
	noise_local_set_rng(l2, trng_fill, &r2);
	noise_local_set_tai64n(l2, fake_tai64n, NULL);
	noise_local_set_private(l2, A.priv);
	p2 = noise_peer_new(l2, B.pub, NULL);
	ok(noise_create_initiation(p2, now, init2) == 0 &&
	    noise_consume_initiation(B.l, init2, WG_INIT_LEN, now, &p) == 0,
	    "flood: a newer initiation accepted");
	now += 10 * MS;
	p2->timers.has_sent_handshake = 0;
	ok(noise_create_initiation(p2, now, init2) == 0 &&
	    noise_consume_initiation(B.l, init2, WG_INIT_LEN, now, &p) ==
	    NOISE_E_FLOOD, "flood: another 10 ms later is dropped");
	now += 15 * MS;
	p2->timers.has_sent_handshake = 0;
	ok(noise_create_initiation(p2, now, init2) == 0 &&
	    noise_consume_initiation(B.l, init2, WG_INIT_LEN, now, &p) == 0,
	    "flood: 25 ms after the last accepted, accepted");
	noise_local_free(l2);
}

/*
 * With a max_age (an obfuscated node's), an initiation made more than
 * that before or after our clock is refused: a replay of one its
 * receiver never took (a censor kept it) gets no answer, late.
 */
static void
test_max_age(void)
{
	struct noise_peer	*p;
	uint8_t			 init[WG_INIT_LEN];
	int64_t			 skew;

	setup(NULL);
	noise_local_set_tai64n(A.l, skewed_tai64n, &skew);
	noise_local_set_max_age(B.l, 120);
	skew = -121;
	ok(noise_create_initiation(A.p, now, init) == 0 &&
	    noise_consume_initiation(B.l, init, WG_INIT_LEN, now, &p) ==
	    NOISE_E_STALE, "max_age: made 121 s ago, refused");
	ok(B.p->next == NULL && B.p->hs.state == NOISE_HS_ZEROED,
	    "max_age: and changes nothing");
	now += 30 * SEC;
	A.p->timers.has_sent_handshake = 0;
	skew = 121;
	ok(noise_create_initiation(A.p, now, init) == 0 &&
	    noise_consume_initiation(B.l, init, WG_INIT_LEN, now, &p) ==
	    NOISE_E_STALE, "max_age: 121 s ahead, refused");
	now += 30 * SEC;
	A.p->timers.has_sent_handshake = 0;
	skew = -120;
	ok(noise_create_initiation(A.p, now, init) == 0 &&
	    noise_consume_initiation(B.l, init, WG_INIT_LEN, now, &p) == 0,
	    "max_age: made 120 s ago, taken");
	/* kept for 121 s, then replayed */
	now += 30 * SEC;
	A.p->timers.has_sent_handshake = 0;
	skew = 0;
	ok(noise_create_initiation(A.p, now, init) == 0, "max_age: another");
	now += 121 * SEC;
	ok(noise_consume_initiation(B.l, init, WG_INIT_LEN, now, &p) ==
	    NOISE_E_STALE, "max_age: kept 121 s, then replayed: refused");
	noise_local_set_max_age(B.l, 0);
	ok(noise_consume_initiation(B.l, init, WG_INIT_LEN, now, &p) == 0,
	    "max_age 0 (a plain node): the same taken, as WireGuard does");
	noise_local_set_tai64n(A.l, fake_tai64n, NULL);
}

static int
all_bytes(const uint8_t *p, size_t n, uint8_t c)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (p[i] != c)
			return 0;
	return 1;
}

/* flip one byte; optionally recompute mac1 as an attacker could */
static int
tampered(struct noise_local *l, const uint8_t *msg, size_t len, size_t off,
    int fix_mac1, const uint8_t *mac1_pub)
{
	struct noise_peer	*p;
	struct cookie_maker	 cm;
	uint8_t			 m[WG_INIT_LEN], out[MSG_MAX];
	size_t			 outlen;
	int			 ret;

	memcpy(m, msg, len);
	m[off] ^= 0x04;
	if (fix_mac1) {
		cookie_maker_init(&cm, mac1_pub);
		cookie_maker_add_macs(&cm, m, len, now);
	}
	switch (wg_msg_type(msg, len)) {
	case WG_MSG_INITIATION:
		ret = noise_consume_initiation(l, m, len, now, &p);
		break;
	case WG_MSG_RESPONSE:
		ret = noise_consume_response(l, m, len, now, &p);
		break;
	case WG_MSG_COOKIE:
		ret = noise_consume_cookie(l, m, len, now, &p);
		break;
	default:
		ret = noise_decrypt(l, m, len, now, &p, out, sizeof(out),
		    &outlen);
		break;
	}
	return ret;
}

static void
test_tamper(void)
{
	static const struct field {
		const char	*name;
		size_t		 off;
		int		 mac1_fix_err;	/* with mac1 fixed; 0: none */
	} ifields[] = {
		{ "type", 0, NOISE_E_INVAL },
		{ "reserved", 2, NOISE_E_INVAL },
		{ "sender", WG_INIT_OFF_SENDER, 0 },
		{ "ephemeral", WG_INIT_OFF_EPHEMERAL + 5, NOISE_E_DECRYPT },
		{ "static", WG_INIT_OFF_STATIC + 7, NOISE_E_DECRYPT },
		{ "static tag", WG_INIT_OFF_STATIC + 40, NOISE_E_DECRYPT },
		{ "timestamp", WG_INIT_OFF_TIMESTAMP + 1, NOISE_E_DECRYPT },
		{ "timestamp tag", WG_INIT_OFF_TIMESTAMP + 20,
		    NOISE_E_DECRYPT },
		{ "mac1", WG_INIT_OFF_MAC1 + 3, -100 },
	}, rfields[] = {
		{ "type", 0, NOISE_E_INVAL },
		{ "reserved", 3, NOISE_E_INVAL },
		{ "sender", WG_RESP_OFF_SENDER, 0 },
		{ "receiver", WG_RESP_OFF_RECEIVER, NOISE_E_STATE },
		{ "ephemeral", WG_RESP_OFF_EPHEMERAL + 9, NOISE_E_DECRYPT },
		{ "empty", WG_RESP_OFF_EMPTY + 2, NOISE_E_DECRYPT },
		{ "mac1", WG_RESP_OFF_MAC1, -100 },
	};
	struct noise_peer	*p;
	uint8_t			 init[WG_INIT_LEN], resp[WG_RESP_LEN];
	uint8_t			 data[MSG_MAX], out[MSG_MAX];
	uint8_t			 forged[MSG_MAX];
	uint8_t			 cookie[WG_COOKIE_MSG_LEN];
	size_t			 i, dlen, outlen;
	int			 ret;

	setup(NULL);
	noise_create_initiation(A.p, now, init);
	for (i = 0; i < sizeof(ifields) / sizeof(ifields[0]); i++) {
		ret = tampered(B.l, init, WG_INIT_LEN, ifields[i].off, 0, NULL);
		ok(ret == (ifields[i].off < 4 ? NOISE_E_INVAL : NOISE_E_MAC1),
		    "tampered initiation %s: dropped (%s)", ifields[i].name,
		    noise_strerror(ret));
		if (ifields[i].mac1_fix_err == -100 ||
		    ifields[i].mac1_fix_err == 0)
			continue;
		ret = tampered(B.l, init, WG_INIT_LEN, ifields[i].off, 1,
		    B.pub);
		ok(ret == ifields[i].mac1_fix_err, "tampered initiation %s, "
		    "mac1 recomputed: %s", ifields[i].name,
		    noise_strerror(ret));
	}
	ok(B.p->hs.state == NOISE_HS_ZEROED && B.p->has_last_init == 0,
	    "tampered initiations left no state");
	/*
	 * The sender index is not part of the Noise transcript (as in
	 * WireGuard): with mac1 recomputed the initiation is valid.
	 */
	ok(tampered(B.l, init, WG_INIT_LEN, WG_INIT_OFF_SENDER, 1, B.pub) == 0,
	    "initiation with another sender index and a fixed mac1 is valid");
	ok(noise_consume_initiation(B.l, init, WG_INIT_LEN, now, &p) ==
	    NOISE_E_REPLAY, "the original is now a replay");
	now += SEC;
	A.p->timers.has_sent_handshake = 0;
	noise_create_initiation(A.p, now, init);
	ok(noise_consume_initiation(B.l, init, WG_INIT_LEN, now, &p) == 0 &&
	    noise_create_response(B.p, now, resp) == 0, "fresh initiation "
	    "and response");
	for (i = 0; i < sizeof(rfields) / sizeof(rfields[0]); i++) {
		ret = tampered(A.l, resp, WG_RESP_LEN, rfields[i].off, 0, NULL);
		ok(ret == (rfields[i].off < 4 ? NOISE_E_INVAL : NOISE_E_MAC1),
		    "tampered response %s: dropped (%s)", rfields[i].name,
		    noise_strerror(ret));
		if (rfields[i].mac1_fix_err == -100 ||
		    rfields[i].mac1_fix_err == 0)
			continue;
		ret = tampered(A.l, resp, WG_RESP_LEN, rfields[i].off, 1,
		    A.pub);
		ok(ret == rfields[i].mac1_fix_err, "tampered response %s, "
		    "mac1 recomputed: %s", rfields[i].name,
		    noise_strerror(ret));
	}
	ok(A.p->cur == NULL && A.p->hs.state == NOISE_HS_CREATED_INITIATION,
	    "tampered responses left the handshake waiting");
	ok(noise_consume_response(A.l, resp, WG_RESP_LEN, now, &p) == 0,
	    "the real response is still accepted");
	ok(noise_consume_response(A.l, resp, WG_RESP_LEN, now, &p) ==
	    NOISE_E_STATE, "and only once");

	/* data */
	ok(noise_encrypt(A.p, now, (const uint8_t *)"0123456789abcdefXYZ", 19,
	    0, data, sizeof(data), &dlen) == 0 && dlen == 16 + 32 + 16,
	    "data message of 19 bytes padded to 32");
	ok(tampered(B.l, data, dlen, 0, 0, NULL) == NOISE_E_INVAL,
	    "tampered data type: dropped");
	ok(tampered(B.l, data, dlen, 1, 0, NULL) == NOISE_E_INVAL,
	    "tampered data reserved byte: dropped");
	ok(tampered(B.l, data, dlen, WG_DATA_OFF_RECEIVER + 1, 0, NULL) ==
	    NOISE_E_STATE, "tampered data receiver: unknown index");
	ok(tampered(B.l, data, dlen, WG_DATA_OFF_COUNTER, 0, NULL) ==
	    NOISE_E_DECRYPT, "tampered data counter: fails the tag");
	ok(tampered(B.l, data, dlen, WG_DATA_OFF_PAYLOAD + 3, 0, NULL) ==
	    NOISE_E_DECRYPT, "tampered data payload: fails the tag");
	ok(tampered(B.l, data, dlen, dlen - 1, 0, NULL) == NOISE_E_DECRYPT,
	    "tampered data tag: fails the tag");
	/* out may be a ring slot meshd-tun reads: no forgery reaches it */
	memcpy(forged, data, dlen);
	memset(forged + WG_DATA_OFF_PAYLOAD, 0, dlen - WG_DATA_OFF_PAYLOAD);
	memset(out, 0xa5, sizeof(out));
	ok(noise_decrypt(B.l, forged, dlen, now, &p, out, sizeof(out),
	    &outlen) == NOISE_E_DECRYPT && all_bytes(out, sizeof(out), 0xa5),
	    "forged data (zero ciphertext): the output buffer is never "
	    "written, not even as scratch");
	ok(noise_decrypt(B.l, data, dlen - 1, now, &p, out, sizeof(out),
	    &outlen) == NOISE_E_DECRYPT, "truncated data: fails the tag");
	ok(noise_decrypt(B.l, data, 31, now, &p, out, sizeof(out), &outlen) ==
	    NOISE_E_INVAL, "data shorter than a keepalive: malformed");
	ok(B.p->next != NULL && B.p->next->replay.highest == 0 &&
	    B.p->next->replay.bits[0] == 0,
	    "failed packets did not touch the replay window or confirm");
	ok(noise_decrypt(B.l, data, dlen, now, &p, out, sizeof(out), &outlen) ==
	    0 && outlen == 32 && memcmp(out, "0123456789abcdefXYZ", 19) == 0,
	    "the real data packet decrypts, padded to 32");
	ok(memcmp(out + 19, "\0\0\0\0\0\0\0\0\0\0\0\0\0", 13) == 0,
	    "padding is zeros");
	memset(out, 0xa5, sizeof(out));
	ok(noise_decrypt(B.l, data, dlen, now, &p, out, sizeof(out),
	    &outlen) == NOISE_E_REPLAY && all_bytes(out, sizeof(out), 0xa5),
	    "the same data packet again: replay, the output buffer is "
	    "never written");
	ok(noise_decrypt(B.l, data, dlen, now, &p, out, 16, &outlen) ==
	    NOISE_E_SPACE, "too small an output buffer refused");

	/* cookie reply */
	B.under_load = 1;
	now += SEC;
	A.p->timers.has_sent_handshake = 0;
	noise_create_initiation(A.p, now, init);
	cookie_checker_create_reply(&B.cc, cookie, init, WG_INIT_LEN, src_addr,
	    6, now);
	ok(tampered(A.l, cookie, sizeof(cookie), WG_COOKIE_OFF_RECEIVER, 0,
	    NULL) == NOISE_E_STATE, "tampered cookie receiver: unknown index");
	ok(tampered(A.l, cookie, sizeof(cookie), WG_COOKIE_OFF_NONCE + 4, 0,
	    NULL) == NOISE_E_DECRYPT, "tampered cookie nonce: fails the tag");
	ok(tampered(A.l, cookie, sizeof(cookie), WG_COOKIE_OFF_COOKIE + 4, 0,
	    NULL) == NOISE_E_DECRYPT, "tampered cookie: fails the tag");
	ok(tampered(A.l, cookie, sizeof(cookie), 63, 0, NULL) ==
	    NOISE_E_DECRYPT, "tampered cookie tag: fails the tag");
	ok(!A.p->cm.has_cookie, "no cookie taken from tampered replies");
	ok(noise_consume_cookie(A.l, cookie, sizeof(cookie), now, &p) == 0 &&
	    A.p->cm.has_cookie, "the real cookie reply is taken");
}

static void
test_wrong_mac1(void)
{
	struct noise_local	*l3;
	struct noise_peer	*p3, *p;
	uint8_t			 init[WG_INIT_LEN], priv[32];
	struct trng		 r3;

	setup(NULL);
	/* C believes B's key is A's: mac1 is computed for the wrong key */
	memset(&r3, 0, sizeof(r3));
	l3 = noise_local_new();
	noise_local_set_rng(l3, trng_fill, &r3);
	memset(priv, 0x33, sizeof(priv));
	noise_local_set_private(l3, priv);
	p3 = noise_peer_new(l3, A.pub, NULL);
	noise_create_initiation(p3, now, init);
	ok(noise_consume_initiation(B.l, init, WG_INIT_LEN, now, &p) ==
	    NOISE_E_MAC1, "initiation with a wrong mac1 ignored by the engine");
	ok(cookie_checker_validate(&B.cc, init, WG_INIT_LEN, src_addr, 6, 0,
	    now) == COOKIE_MAC_INVALID && cookie_checker_validate(&B.cc, init,
	    WG_INIT_LEN, src_addr, 6, 1, now) == COOKIE_MAC_INVALID,
	    "and by the cookie checker, loaded or not (no cookie reply)");
	noise_local_free(l3);

	/* mac1 right, static key of nobody we know */
	memset(&r3, 0, sizeof(r3));
	l3 = noise_local_new();
	noise_local_set_rng(l3, trng_fill, &r3);
	noise_local_set_private(l3, priv);
	p3 = noise_peer_new(l3, B.pub, NULL);
	noise_create_initiation(p3, now, init);
	ok(noise_consume_initiation(B.l, init, WG_INIT_LEN, now, &p) ==
	    NOISE_E_PEER && p == NULL,
	    "initiation from an unknown key dropped");
	noise_local_free(l3);
}

static void
test_data(void)
{
	static const size_t	 sizes[] = {
		0, 1, 15, 16, 17, 100, 1419, 1420
	};
	uint8_t			 pt[1500], ct[MSG_MAX], out[MSG_MAX];
	struct noise_peer	*p;
	size_t			 i, len, outlen;
	int			 good = 1;

	setup(NULL);
	app_send(&A, "x", 1);
	run(now);
	for (i = 0; i < sizeof(pt); i++)
		pt[i] = i * 7;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t	want = (sizes[i] + 15) / 16 * 16;

		if (noise_encrypt(B.p, now, pt, sizes[i], 0, ct, sizeof(ct),
		    &len) != 0 || len != 32 + want || len !=
		    noise_encrypt_size(sizes[i], 0))
			good = 0;
		if (noise_decrypt(A.l, ct, len, now, &p, out, sizeof(out),
		    &outlen) != 0 || p != A.p || outlen != want ||
		    memcmp(out, pt, sizes[i]) != 0)
			good = 0;
	}
	ok(good, "B to A: sizes 0..1420 padded to 16 and back");
	ok(noise_encrypt(A.p, now, pt, 1419, 1420, ct, sizeof(ct), &len) == 0 &&
	    len == 32 + 1420, "padding stops at the MTU");
	ok(noise_encrypt(A.p, now, pt, 1419, 0, ct, 1419 + 32, &len) ==
	    NOISE_E_SPACE, "encrypt refuses a small buffer");
	ok(noise_encrypt(A.p, now, NULL, 0, 0, ct, sizeof(ct), &len) == 0 &&
	    len == WG_DATA_MIN_LEN && wg_get_le32(ct) == WG_MSG_DATA,
	    "a keepalive is an empty type 4 message of 32 bytes");
	ok(noise_decrypt(B.l, ct, len, now, &p, out, sizeof(out), &outlen) ==
	    0 && outlen == 0, "and decrypts to nothing");
	ok(wg_get_le64(ct + WG_DATA_OFF_COUNTER) == A.p->cur->send_counter - 1,
	    "the counter is the nonce, little-endian");
}

/*
 * Cipher contexts per keypair: made on first use, the same bytes as a
 * one-shot AEAD both ways, unharmed by a forgery, gone with the keypair.
 */
static void
test_cipherctx(void)
{
	uint8_t			 pt[200], ct[MSG_MAX], ct2[MSG_MAX];
	uint8_t			 out[MSG_MAX], bad[MSG_MAX];
	struct noise_peer	*p;
	size_t			 len, len2, outlen;
	uint64_t		 ctr;
	int			 good = 1, i;

	setup(NULL);
	app_send(&A, "x", 1);
	run(now);
	ok(B.p->cur != NULL && B.p->cur->send_ctx == NULL,
	    "no sending context before B sends");
	memset(pt, 0x5a, sizeof(pt));
	ok(noise_encrypt(B.p, now, pt, 160, 0, ct, sizeof(ct), &len) == 0 &&
	    B.p->cur->send_ctx != NULL, "the first packet makes it");
	/* the one-shot path on the same keypair, same counter: same bytes */
	ctr = B.p->cur->send_counter - 1;
	ok(wg_aead_encrypt(ct2, B.p->cur->send_key, ctr, pt, 160, NULL, 0) ==
	    0 && memcmp(ct2, ct + WG_DATA_OFF_PAYLOAD, 160 + 16) == 0,
	    "a context seals what a one-shot AEAD seals");
	ok(noise_decrypt(A.l, ct, len, now, &p, out, sizeof(out), &outlen) ==
	    0 && outlen == 160 && memcmp(out, pt, 160) == 0 &&
	    A.p->cur->recv_ctx != NULL, "and opens it with its own context");
	/* a forgery fails; the context still opens the next good packet */
	for (i = 0; i < 3; i++) {
		if (noise_encrypt(B.p, now, pt, 17 * i, 0, ct, sizeof(ct),
		    &len) != 0) {
			good = 0;
			continue;
		}
		memcpy(bad, ct, len);
		bad[len - 1] ^= 1;
		if (noise_decrypt(A.l, bad, len, now, &p, out, sizeof(out),
		    &outlen) != NOISE_E_DECRYPT)
			good = 0;
		if (noise_decrypt(A.l, ct, len, now, &p, out, sizeof(out),
		    &outlen) != 0 || memcmp(out, pt, 17 * i) != 0)
			good = 0;
	}
	ok(good, "a forged packet fails and the next good one opens");
	/* off: one-shot both ways, from the first packet of a session */
	noise_set_cipherctx(0);
	setup(NULL);
	app_send(&A, "x", 1);
	run(now);
	ok(noise_encrypt(A.p, now, pt, 64, 0, ct, sizeof(ct), &len) == 0 &&
	    noise_decrypt(B.l, ct, len, now, &p, out, sizeof(out),
	    &outlen) == 0 && outlen == 64 && memcmp(out, pt, 64) == 0,
	    "off: packets go both ways");
	ok(A.p->cur != NULL && A.p->cur->send_ctx == NULL &&
	    B.p->cur != NULL && B.p->cur->recv_ctx == NULL,
	    "off: no context is made");
	noise_set_cipherctx(1);
	ok(noise_encrypt(A.p, now, pt, 64, 0, ct2, sizeof(ct2), &len2) == 0 &&
	    A.p->cur->send_ctx != NULL && noise_decrypt(B.l, ct2, len2, now,
	    &p, out, sizeof(out), &outlen) == 0 && memcmp(out, pt, 64) == 0,
	    "on again: the same keypairs get contexts");
	/* the keypairs go with their contexts (ASan: no leak) */
	node_free(&A);
	node_free(&B);
	ok(kp_live == 0 && kp_dirty == 0,
	    "keypairs released wiped, contexts with them (ASan: no leak)");
}

/* an unconfirmed next keypair when our own initiation completes */
static void
test_slots(void)
{
	struct noise_keypair	*old_next;
	uint32_t		 cur_id, next_id;
	uint8_t			 out[MSG_MAX];

	setup(NULL);
	app_send(&A, "x", 1);
	run(now);
	ok(noise_create_response(B.p, now, out) == NOISE_E_STATE,
	    "a response without an initiation to answer is refused");
	now += 10 * SEC;
	A.drop_out = 1;			/* A's response to B is lost */
	node_act(&B, NOISE_ACT_INITIATE);
	run(now);
	old_next = A.p->next;
	ok(A.p->cur != NULL && old_next != NULL && A.l->nindices == 2,
	    "A: a current keypair and an unconfirmed next one");
	if (A.p->cur == NULL || old_next == NULL)
		return;
	cur_id = A.p->cur->idx.id;
	next_id = old_next->idx.id;
	A.drop_out = 0;
	now += 10 * SEC;
	node_act(&A, NOISE_ACT_INITIATE);
	run(now);
	/* (storage is reused: compare indices, not pointers) */
	ok(A.p->cur != NULL && A.p->cur->initiator && A.p->prev != NULL &&
	    A.p->prev->idx.id == next_id && A.p->cur->idx.id != cur_id &&
	    A.p->next == NULL, "A's own handshake: the unconfirmed next "
	    "becomes previous, the old current goes");
	ok(A.l->nindices == 2, "A: two live indices, nothing leaked");
}

static void
test_confirmation(void)
{
	uint8_t	out[MSG_MAX];
	size_t	len;

	setup(NULL);
	A.drop_type = WG_MSG_DATA;	/* lose A's keepalive */
	noise_create_initiation(A.p, now, out);
	net_send(&A, out, WG_INIT_LEN);
	run(now);
	ok(A.nkeepalive_tx == 1, "initiator sends a keepalive at once when "
	    "it has nothing queued");
	ok(B.p->next != NULL && B.p->cur == NULL,
	    "responder's keypair waits in next");
	ok(noise_encrypt(B.p, now, (const uint8_t *)"early", 5, 0, out,
	    sizeof(out), &len) == NOISE_E_NOKEY,
	    "responder may not send before confirmation");
	ok(noise_peer_poll(B.p, now) & NOISE_ACT_INITIATE,
	    "it asks for a handshake");
	ok(noise_create_initiation(B.p, now, out) == NOISE_E_RATELIMIT,
	    "which the rate limit holds back (response sent < 5 s ago)");
	app_send(&A, "confirm", 7);
	run(now);
	ok(B.p->cur != NULL && B.p->next == NULL && B.ngot == 1,
	    "the first data packet confirms the keypair");
	ok(noise_encrypt(B.p, now, (const uint8_t *)"now", 3, 0, out,
	    sizeof(out), &len) == 0, "then the responder can send");
}

static void
test_timers(void)
{
	uint64_t	birth, t;
	uint8_t		out[MSG_MAX];
	size_t		len;
	int		n;

	/* keepalive 10 s after data that got no answer */
	setup(NULL);
	app_send(&A, "x", 1);
	run(now);
	t = now;
	n = B.nkeepalive_tx;
	run(t + 9999 * MS);
	ok(B.nkeepalive_tx == n, "keepalive: none before 10 s");
	run(t + 10 * SEC);
	ok(B.nkeepalive_tx == n + 1, "keepalive: B sends one at 10 s");
	run(t + 40 * SEC);
	ok(B.nkeepalive_tx == n + 1, "keepalive: only one");
	t = now;
	app_send(&A, "y", 1);
	run(t + 5 * SEC);
	app_send(&B, "reply", 5);
	run(t + 20 * SEC);
	ok(B.nkeepalive_tx == n + 1, "keepalive: not needed when B answered "
	    "with data");

	/* new handshake 15 s after data that got nothing back */
	setup(NULL);
	app_send(&A, "x", 1);
	run(now);
	app_send(&B, "ack", 3);		/* A heard back: timer stopped */
	run(now);
	B.drop_out = 1;
	t = now + SEC;
	run(t);
	n = A.sent[WG_MSG_INITIATION];
	app_send(&A, "anyone?", 7);
	run(t + 5 * SEC);
	app_send(&A, "hello?", 6);	/* does not push the timer back */
	run(t + 14999 * MS);
	ok(A.sent[WG_MSG_INITIATION] == n, "new handshake: not before 15 s");
	run(t + 15334 * MS);
	ok(A.sent[WG_MSG_INITIATION] == n + 1 &&
	    (A.acts & NOISE_ACT_CLEAR_SRC), "new handshake: after 15 s + "
	    "jitter of silence, and the source address is cleared");

	/* rekey at 120 s (initiator sending) */
	setup(NULL);
	app_send(&A, "x", 1);
	run(now);
	birth = A.p->cur->birth;
	n = A.sent[WG_MSG_INITIATION];
	run(birth + 119 * SEC);
	app_send(&A, "a", 1);
	app_send(&B, "b", 1);
	ok(A.sent[WG_MSG_INITIATION] == n, "rekey: not at 119 s");
	run(now);
	now = birth + 120 * SEC;
	app_send(&B, "b", 1);
	ok(B.sent[WG_MSG_INITIATION] == 0,
	    "rekey: the responder does not rekey by age");
	app_send(&A, "a", 1);
	ok(A.sent[WG_MSG_INITIATION] == n + 1,
	    "rekey: the initiator starts a handshake at 120 s");
	run(now);
	ok(A.p->cur->birth == now && A.p->prev != NULL,
	    "rekey: new keypair current, old one previous");
	t = now;
	run(t + NOISE_PREV_KEEP - 1);
	app_send(&B, "b", 1);
	run(now);
	ok(A.p->prev != NULL && A.l->nindices == 2,
	    "rekey: data on the new keypair before 15 s keeps the old one");
	run(t + NOISE_PREV_KEEP);
	app_send(&B, "b", 1);
	run(now);
	ok(A.p->prev == NULL && A.p->cur != NULL && A.l->nindices == 1,
	    "rekey: data on the new keypair at 15 s lets the old one go");

	/* an initiator hearing from an old keypair rekeys, once */
	setup(NULL);
	app_send(&A, "x", 1);
	run(now);
	birth = A.p->cur->birth;
	n = A.sent[WG_MSG_INITIATION];
	run(birth + 164 * SEC);
	app_send(&B, "b", 1);
	run(now);
	ok(A.sent[WG_MSG_INITIATION] == n && B.ngot == 1 && A.ngot == 1,
	    "last-minute rekey: not at 164 s");
	A.drop_out = 1;
	run(birth + 165 * SEC);
	app_send(&B, "b", 1);
	run(now);
	ok(A.sent[WG_MSG_INITIATION] == n + 1, "last-minute rekey: the "
	    "initiator receiving at 165 s (180 - 10 - 5) starts a handshake");
	A.acts = 0;
	run(birth + 166 * SEC);
	app_send(&B, "b", 1);
	run(now);
	ok(A.ngot == 3 && !(A.acts & NOISE_ACT_INITIATE),
	    "last-minute rekey: only once");

	/* reject at 180 s */
	setup(NULL);
	app_send(&A, "x", 1);
	run(now);
	birth = B.p->cur->birth;
	A.drop_out = B.drop_out = 1;
	now = birth + 179999 * MS;
	ok(noise_encrypt(B.p, now, (const uint8_t *)"z", 1, 0, out,
	    sizeof(out), &len) == 0, "reject: B still sends at 179.999 s");
	now = birth + 180 * SEC;
	ok(noise_decrypt(A.l, out, len, now, &(struct noise_peer *){ NULL },
	    out + 100, sizeof(out) - 100, &len) == NOISE_E_EXPIRED,
	    "reject: a packet arriving at 180 s is refused");
	ok(noise_encrypt(B.p, now, (const uint8_t *)"z", 1, 0, out,
	    sizeof(out), &len) == NOISE_E_NOKEY && !noise_peer_can_send(B.p,
	    now), "reject: nothing is sent on the keypair at 180 s");
	ok(noise_peer_poll(B.p, now) & NOISE_ACT_INITIATE,
	    "reject: and a handshake is asked for");

	/* give up after REKEY_ATTEMPT_TIME: 20 initiations, then purge */
	setup(NULL);
	B.drop_out = 1;
	A.drop_out = 1;
	t = now;
	app_send(&A, "lost", 4);
	run(t + 89 * SEC);
	ok(A.nq == 1 && !(A.acts & NOISE_ACT_PURGE),
	    "give up: still trying at 89 s");
	run(t + 120 * SEC);
	ok(A.sent[WG_MSG_INITIATION] == 20, "give up: 20 initiations sent "
	    "(%d)", A.sent[WG_MSG_INITIATION]);
	ok((A.acts & NOISE_ACT_PURGE) && A.nq == 0,
	    "give up: queued packets dropped");
	ok(A.p->timers.zero_keys != TIMER_OFF,
	    "give up: key material will be wiped");
	run(t + 300 * SEC);
	ok(A.sent[WG_MSG_INITIATION] == 20, "give up: no more tries");

	/* wipe at 540 s */
	setup(NULL);
	app_send(&A, "x", 1);
	run(now);
	t = now;
	run(t + 540 * SEC - 1);
	ok(A.nwiped == 0 && B.nwiped == 0 && A.p->cur != NULL,
	    "wipe: keys still there 1 ns before 540 s");
	run(t + 540 * SEC);
	ok(A.nwiped == 1 && B.nwiped == 1 && (A.acts & NOISE_ACT_PURGE),
	    "wipe: both sides wipe at 540 s, and drop their queues");
	ok(A.p->cur == NULL && A.p->prev == NULL && B.p->cur == NULL,
	    "wipe: no keypairs left");
	ok(kp_live == 0 && kp_dirty == 0 && RB_EMPTY(&A.l->indices) &&
	    A.l->nindices == 0 && RB_EMPTY(&B.l->indices),
	    "wipe: every keypair released, wiped first; no index left");

	/* persistent keepalive */
	setup(NULL);
	noise_peer_set_keepalive(A.p, 25, now);
	node_poll(&A);
	run(now);
	ok(A.p->cur != NULL, "persistent keepalive: turning it on starts a "
	    "handshake at once");
	t = now;
	n = A.nkeepalive_tx;
	run(t + 24 * SEC);
	ok(A.nkeepalive_tx == n, "persistent keepalive: none before 25 s");
	run(t + 25 * SEC);
	ok(A.nkeepalive_tx == n + 1, "persistent keepalive: one at 25 s");
	run(t + 100 * SEC);
	ok(A.nkeepalive_tx == n + 4, "persistent keepalive: every 25 s");
}

static void
test_counters(void)
{
	uint8_t			 out[MSG_MAX], pt[MSG_MAX];
	struct noise_peer	*p;
	size_t			 len, plen;
	int			 n;

	setup(NULL);
	app_send(&A, "x", 1);
	run(now);
	run(now + 6 * SEC);	/* past the initiation rate limit */
	n = A.sent[WG_MSG_INITIATION];
	A.p->cur->send_counter = WG_REKEY_AFTER_MESSAGES - 1;
	app_send(&A, "a", 1);
	ok(A.sent[WG_MSG_INITIATION] == n,
	    "REKEY_AFTER_MESSAGES: not yet at 2^60 - 1");
	app_send(&A, "b", 1);
	ok(A.sent[WG_MSG_INITIATION] == n + 1,
	    "REKEY_AFTER_MESSAGES: a handshake once past 2^60");
	run(now);
	ok(B.ngot == 3, "REKEY_AFTER_MESSAGES: the receiver took the high "
	    "counters");

	setup(NULL);
	app_send(&A, "x", 1);
	run(now);
	A.p->cur->send_counter = WG_REJECT_AFTER_MESSAGES - 1;
	ok(noise_encrypt(A.p, now, (const uint8_t *)"a", 1, 0, out,
	    sizeof(out), &len) == 0, "REJECT_AFTER_MESSAGES: the last "
	    "counter is used");
	ok(noise_decrypt(B.l, out, len, now, &p, pt, sizeof(pt), &plen) == 0,
	    "REJECT_AFTER_MESSAGES: and accepted");
	ok(noise_encrypt(A.p, now, (const uint8_t *)"a", 1, 0, out,
	    sizeof(out), &len) == NOISE_E_NOKEY,
	    "REJECT_AFTER_MESSAGES: then the keypair stops sending");
	ok(noise_decrypt(B.l, out, WG_DATA_MIN_LEN, now, &p, pt, sizeof(pt),
	    &plen) != 0, "REJECT_AFTER_MESSAGES: the receiver stops too");
}

static void
test_indices(void)
{
	struct noise_local	*l;
	struct noise_peer	*p1, *p2;
	struct trng		 r;
	uint8_t			 priv[32], k1[32], k2[32], m[WG_INIT_LEN];

	memset(&r, 0, sizeof(r));
	l = noise_local_new();
	noise_local_set_rng(l, trng_fill, &r);
	memset(priv, 0x42, sizeof(priv));
	noise_local_set_private(l, priv);
	memset(k1, 0x01, 32);
	memset(k2, 0x02, 32);
	wg_key_clamp(k1);
	wg_key_clamp(k2);
	wg_key_public(k1, k1);
	wg_key_public(k2, k2);
	p1 = noise_peer_new(l, k1, NULL);
	p2 = noise_peer_new(l, k2, NULL);
	ok(p1 != NULL && p2 != NULL && noise_peer_new(l, k1, NULL) == NULL,
	    "peers unique by public key");
	ok(noise_peer_lookup(l, k2) == p2, "peer lookup by key");
	trng_script(&r, kat_eph_priv);
	trng_script(&r, "aabbccdd");
	noise_create_initiation(p1, now, m);
	trng_script(&r, kat_eph_priv);
	trng_script(&r, "aabbccdd");
	trng_script(&r, "aabbccdd");
	trng_script(&r, "01020304");
	noise_create_initiation(p2, now, m);
	ok(p1->hs.idx.id == 0xddccbbaa && p2->hs.idx.id == 0x04030201,
	    "a clashing random index is drawn again");
	r.fail = 1;
	p1->timers.has_sent_handshake = 0;
	ok(noise_create_initiation(p1, now, m) == NOISE_E_RNG,
	    "a failing random source fails the initiation");
	noise_local_free(l);
}

static void
test_key_change(void)
{
	uint8_t	priv[32], out[MSG_MAX];
	size_t	len;

	setup(NULL);
	app_send(&A, "x", 1);
	run(now);
	memset(priv, 0x55, sizeof(priv));
	noise_local_set_private(B.l, priv);
	ok(noise_encrypt(B.p, now, (const uint8_t *)"x", 1, 0, out,
	    sizeof(out), &len) == NOISE_E_NOKEY,
	    "a new private key stops sending on old sessions");
	ok(noise_encrypt(A.p, now, (const uint8_t *)"x", 1, 0, out,
	    sizeof(out), &len) == 0 && noise_decrypt(B.l, out, len, now,
	    &(struct noise_peer *){ NULL }, out + 200, 1000, &len) == 0,
	    "but still receives on them");
}

/*
 * A peer configured with a PSK that was never read: no handshake either
 * way, even with a peer that has no PSK (all zeros, which is what such a
 * peer would have got before).
 */
static void
test_psk_missing(void)
{
	uint8_t	psk[32];

	setup(NULL);
	noise_peer_set_psk_missing(B.p);
	app_send(&A, "to B", 4);
	run(now + 100 * SEC);
	ok(A.sent[WG_MSG_INITIATION] > 1 && B.sent[WG_MSG_RESPONSE] == 0 &&
	    B.err == NOISE_E_NOPSK, "PSK missing: initiations are refused "
	    "(%d sent, %d answered)", A.sent[WG_MSG_INITIATION],
	    B.sent[WG_MSG_RESPONSE]);
	ok(A.p->cur == NULL && A.p->next == NULL && B.p->cur == NULL &&
	    B.p->next == NULL && A.ngot == 0 && B.ngot == 0,
	    "PSK missing: no session on either side, nothing delivered");
	app_send(&B, "to A", 4);
	run(now + 100 * SEC);
	ok(B.sent[WG_MSG_INITIATION] == 0 && B.err == NOISE_E_NOPSK,
	    "PSK missing: and it never initiates");
	memset(psk, 0x3c, sizeof(psk));
	noise_peer_set_psk(A.p, psk);
	noise_peer_set_psk(B.p, psk);
	app_send(&B, "to A", 4);
	run(now + SEC);
	ok(B.p->cur != NULL && A.ngot > 0 && same_data(&A, "to A", 4),
	    "PSK given: the handshake completes, B's packets arrive");
	noise_peer_set_psk_missing(A.p);
	ok(A.p->cur == NULL && A.p->prev == NULL && A.p->next == NULL,
	    "PSK lost: the peer's sessions are wiped");
}

/*
 * A new private key lifts the one-initiation-per-REKEY_TIMEOUT limit, and
 * an initiation the limit held back goes out when it is allowed.
 */
static void
test_initiation_limit(void)
{
	uint8_t		priv[32], out[WG_INIT_LEN];
	uint64_t	start;

	setup(NULL);
	app_send(&A, "x", 1);
	run(now);
	ok(A.p->cur != NULL, "limit: a handshake");
	now += SEC;
	ok(noise_create_initiation(A.p, now, out) == NOISE_E_RATELIMIT,
	    "limit: another initiation 1 s later is held back");
	memset(priv, 0x66, sizeof(priv));
	noise_local_set_private(A.l, priv);
	ok(noise_create_initiation(A.p, now, out) == 0,
	    "limit: a new private key lifts it");

	setup(NULL);
	start = now;
	app_send(&A, "x", 1);
	run(now);
	/* B answered just now; then its keys go and it has data to send */
	now += SEC;
	noise_peer_clear(B.p);
	ok(app_send(&B, "late", 4) == NOISE_E_NOKEY && B.err ==
	    NOISE_E_RATELIMIT && B.sent[WG_MSG_INITIATION] == 0,
	    "limit: B's initiation 1 s after its response is held back");
	run(start + 4900 * MS);
	ok(B.sent[WG_MSG_INITIATION] == 0, "limit: not before 5 s");
	run(start + 5100 * MS);
	ok(B.sent[WG_MSG_INITIATION] == 1 && A.ngot == 1 &&
	    same_data(&A, "late", 4),
	    "limit: it goes out when allowed, and the packet follows");
}

/* every error has its own text; a failed encryption is not a bad tag */
static void
test_strerror(void)
{
	const char	*seen[16];
	int		 e, i, unique = 1, known = 1;

	for (e = NOISE_E_INVAL; e >= NOISE_E_ENCRYPT; e--) {
		seen[-e] = noise_strerror(e);
		if (strcmp(seen[-e], "unknown error") == 0)
			known = 0;
		for (i = 1; i < -e; i++)
			if (strcmp(seen[i], seen[-e]) == 0)
				unique = 0;
	}
	ok(known && unique, "every NOISE_E_* has a text of its own");
	is_str(noise_strerror(NOISE_E_ENCRYPT), "encryption failed",
	    "NOISE_E_ENCRYPT: encryption failed");
	is_str(noise_strerror(NOISE_E_DECRYPT), "authentication failed",
	    "NOISE_E_DECRYPT: authentication failed");
}

/* the rng behind timer jitter: counts its calls, fails on request */
struct jrng {
	int	calls;
	int	fail;
	uint8_t	next;
};

static int
jrng_fill(void *buf, size_t len, void *arg)
{
	struct jrng	*r = arg;
	uint8_t		*p = buf;

	r->calls++;
	if (r->fail)
		return -1;
	while (len-- > 0)
		*p++ = r->next++;
	return 0;
}

/*
 * noise_jitter(): below REKEY_TIMEOUT_JITTER, 16 draws from each call of
 * the rng (it is asked after every round trip of a busy flow), the
 * draws in the rng's order, 0 while the rng fails, and a new rng is used
 * from the next draw on.
 */
static void
test_jitter(void)
{
	struct noise_local	*l;
	struct jrng		 r = { 0, 0, 0 }, r2 = { 0, 0, 0x80 };
	uint64_t		 j, first;
	int			 i, below = 1;

	if ((l = noise_local_new()) == NULL)
		abort();
	noise_local_set_rng(l, jrng_fill, &r);
	first = noise_jitter(l);
	for (i = 1; i < 64; i++)
		if ((j = noise_jitter(l)) >= WG_REKEY_TIMEOUT_JITTER)
			below = 0;
	ok(below && first < WG_REKEY_TIMEOUT_JITTER,
	    "jitter: 64 draws, all below REKEY_TIMEOUT_JITTER");
	/* bytes 0..3, little-endian */
	ok(first == 0x03020100ULL % WG_REKEY_TIMEOUT_JITTER,
	    "jitter: the first draw is the rng's first 4 bytes");
	ok(r.calls == 4, "jitter: 64 draws, 4 calls of the rng (%d)",
	    r.calls);
	noise_local_set_rng(l, jrng_fill, &r2);
	j = noise_jitter(l);
	ok(r2.calls == 1 && j == 0x83828180ULL % WG_REKEY_TIMEOUT_JITTER,
	    "jitter: a new rng is asked at once");
	r.fail = 1;
	noise_local_set_rng(l, jrng_fill, &r);
	ok(noise_jitter(l) == 0 && noise_jitter(l) == 0,
	    "jitter: 0 while the rng fails");
	r.fail = 0;
	ok(noise_jitter(l) < WG_REKEY_TIMEOUT_JITTER && r.calls == 7,
	    "jitter: the rng asked again once it works");
	noise_local_free(l);
}

int
main(void)
{
	uint8_t	psk[32];

	noise_set_allocator(track_alloc, track_release);
	test_kat();
	test_handshake(NULL, "no PSK");
	memset(psk, 0x5a, sizeof(psk));
	test_handshake(psk, "PSK");
	test_psk_mismatch();
	test_crossing();
	test_crossed_keep();
	test_lost_response();
	test_cookie();
	test_replay_flood();
	test_max_age();
	test_tamper();
	test_wrong_mac1();
	test_data();
	test_cipherctx();
	test_slots();
	test_confirmation();
	test_timers();
	test_jitter();
	test_counters();
	test_indices();
	test_key_change();
	test_psk_missing();
	test_initiation_limit();
	test_strerror();
	node_free(&A);
	node_free(&B);
	return tap_done();
}
