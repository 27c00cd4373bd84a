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

#include <sys/types.h>
#include <sys/tree.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "noise.h"
#include "wgcrypto.h"
#include "wgnoise.h"
#include "wgkey.h"
#include "noise_priv.h"

/*
 * The symmetric state (whitepaper 5.4): the chaining key ck, the hash h
 * and a handshake key k, and the steps that change them.  Every message
 * function below is these steps in the order of the whitepaper's table.
 * The KDF outputs go through temporaries so that an output may be the
 * chaining key that is also the input key; each step wipes what it made.
 */

/* mix hash: h = HASH(h || data); data is at most the encrypted static */
void
noise_mix_hash(uint8_t h[WG_HASH_LEN], const uint8_t *data, size_t len)
{
	uint8_t	buf[WG_HASH_LEN + WG_AEAD_LEN(WG_PUBLIC_LEN)];

	if (len > sizeof(buf) - WG_HASH_LEN)
		abort();
	memcpy(buf, h, WG_HASH_LEN);
	memcpy(buf + WG_HASH_LEN, data, len);
	wg_hash(h, buf, WG_HASH_LEN + len);
	explicit_bzero(buf, sizeof(buf));
}

/* mix ephemeral: ck = KDF1(ck, e); h = HASH(h || e) */
static void
noise_mix_ephemeral(uint8_t ck[WG_HASH_LEN], uint8_t h[WG_HASH_LEN],
    const uint8_t e[WG_PUBLIC_LEN])
{
	uint8_t	t1[WG_HASH_LEN];

	wg_kdf1(ck, e, WG_PUBLIC_LEN, t1);
	memcpy(ck, t1, WG_HASH_LEN);
	explicit_bzero(t1, sizeof(t1));
	noise_mix_hash(h, e, WG_PUBLIC_LEN);
}

/* mix key: (ck, k) = KDF2(ck, in) */
static void
noise_mix_key(uint8_t ck[WG_HASH_LEN], uint8_t k[WG_SYMKEY_LEN],
    const uint8_t *in, size_t inlen)
{
	uint8_t	t1[WG_HASH_LEN];

	wg_kdf2(ck, in, inlen, t1, k);
	memcpy(ck, t1, WG_HASH_LEN);
	explicit_bzero(t1, sizeof(t1));
}

/*
 * mix DH: ck = KDF1(ck, DH(priv, pub)), or with k given
 * (ck, k) = KDF2(ck, DH(priv, pub)).  NOISE_E_DH if the DH gives all
 * zeros (pub is a point of small order); ck is unchanged then.
 */
static int
noise_mix_dh(uint8_t ck[WG_HASH_LEN], uint8_t *k,
    const uint8_t priv[WG_PRIVATE_LEN], const uint8_t pub[WG_PUBLIC_LEN])
{
	uint8_t	dh[WG_PUBLIC_LEN], t1[WG_HASH_LEN];
	int	ret = 0;

	if (wg_dh(dh, priv, pub) == -1)
		ret = NOISE_E_DH;
	else if (k != NULL)
		noise_mix_key(ck, k, dh, sizeof(dh));
	else {
		wg_kdf1(ck, dh, sizeof(dh), t1);
		memcpy(ck, t1, WG_HASH_LEN);
	}
	explicit_bzero(dh, sizeof(dh));
	explicit_bzero(t1, sizeof(t1));
	return ret;
}

/* mix PSK: (ck, t, k) = KDF3(ck, psk); h = HASH(h || t) */
static void
noise_mix_psk(uint8_t ck[WG_HASH_LEN], uint8_t h[WG_HASH_LEN],
    uint8_t k[WG_SYMKEY_LEN], const uint8_t psk[WG_SYMKEY_LEN])
{
	uint8_t	t1[WG_HASH_LEN], t[WG_HASH_LEN];

	wg_kdf3(ck, psk, WG_SYMKEY_LEN, t1, t, k);
	memcpy(ck, t1, WG_HASH_LEN);
	noise_mix_hash(h, t, WG_HASH_LEN);
	explicit_bzero(t1, sizeof(t1));
	explicit_bzero(t, sizeof(t));
}

/*
 * encrypt-and-hash: dst = AEAD(k, 0, src, h), len + 16 bytes; then
 * h = HASH(h || dst).  NOISE_E_ENCRYPT if the AEAD failed.
 */
static int
noise_encrypt_and_hash(uint8_t *dst, const uint8_t k[WG_SYMKEY_LEN],
    uint8_t h[WG_HASH_LEN], const uint8_t *src, size_t len)
{
	if (wg_aead_encrypt(dst, k, 0, src, len, h, WG_HASH_LEN) == -1)
		return NOISE_E_ENCRYPT;
	noise_mix_hash(h, dst, WG_AEAD_LEN(len));
	return 0;
}

/*
 * decrypt-and-hash: dst = AEAD-open(k, 0, src, h), src being len + 16
 * bytes; then h = HASH(h || src).  NOISE_E_DECRYPT if the tag did not
 * verify (dst is wiped then, h unchanged).
 */
static int
noise_decrypt_and_hash(uint8_t *dst, const uint8_t k[WG_SYMKEY_LEN],
    uint8_t h[WG_HASH_LEN], const uint8_t *src, size_t len)
{
	if (wg_aead_decrypt(dst, k, 0, src, WG_AEAD_LEN(len), h,
	    WG_HASH_LEN) == -1)
		return NOISE_E_DECRYPT;
	noise_mix_hash(h, src, WG_AEAD_LEN(len));
	return 0;
}

/* a fresh ephemeral key pair from the rng hook */
static int
noise_ephemeral(struct noise_local *l, uint8_t priv[WG_PRIVATE_LEN],
    uint8_t pub[WG_PUBLIC_LEN])
{
	if (l->rng(priv, WG_PRIVATE_LEN, l->rng_arg) == -1)
		return NOISE_E_RNG;
	wg_key_clamp(priv);
	wg_dh_public(pub, priv);
	return 0;
}

/*
 * Handshake messages (whitepaper 5.4.2 and 5.4.3).  Each works on local
 * copies of ck and h, wiped on every path, and writes the handshake
 * state only once the message is whole.
 */

/* a handshake message of len bytes went out to p */
static void
noise_handshake_sent(struct noise_peer *p, uint64_t now, size_t len)
{
	timers_traversal(&p->timers, now);
	timers_any_sent(&p->timers);
	timers_handshake_sent(&p->timers, now);
	p->tx_bytes += len;
}

/* a handshake message of len bytes from p was accepted */
static void
noise_handshake_received(struct noise_peer *p, uint64_t now, size_t len)
{
	timers_any_received(&p->timers);
	timers_traversal(&p->timers, now);
	p->rx_bytes += len;
}

/* may p start a handshake now?  0, or why not */
static int
noise_initiation_allowed(struct noise_peer *p, uint64_t now)
{
	if (!p->local->has_key)
		return NOISE_E_NOKEY;
	if (!p->ss_ok)
		return NOISE_E_DH;
	if (p->psk_missing)
		return NOISE_E_NOPSK;
	if (!timers_may_initiate(&p->timers, now)) {
		/* try again when it is allowed */
		timers_initiation_refused(&p->timers);
		return NOISE_E_RATELIMIT;
	}
	return 0;
}

/* the initiation is built: keep its state, start its timers */
static void
noise_initiation_sent(struct noise_peer *p, uint64_t now,
    const uint8_t e_priv[WG_PRIVATE_LEN], const uint8_t ck[WG_HASH_LEN],
    const uint8_t h[WG_HASH_LEN])
{
	struct noise_handshake	*hs = &p->hs;

	hs->state = NOISE_HS_CREATED_INITIATION;
	memcpy(hs->e_priv, e_priv, WG_PRIVATE_LEN);
	memcpy(hs->hash, h, WG_HASH_LEN);
	memcpy(hs->ck, ck, WG_HASH_LEN);
	noise_handshake_sent(p, now, WG_INIT_LEN);
	timers_handshake_initiated(&p->timers, now, noise_jitter(p->local));
}

int
noise_create_initiation(struct noise_peer *p, uint64_t now,
    uint8_t out[WG_INIT_LEN])
{
	struct noise_local	*l = p->local;
	struct noise_handshake	*hs = &p->hs;
	uint8_t			 ck[WG_HASH_LEN], h[WG_HASH_LEN];
	uint8_t			 k[WG_SYMKEY_LEN], ts[WG_TAI64N_LEN];
	uint8_t			 e_priv[WG_PRIVATE_LEN];
	uint8_t			*e = out + WG_INIT_OFF_EPHEMERAL;
	int			 ret;

	if ((ret = noise_initiation_allowed(p, now)) != 0)
		return ret;
	noise_handshake_clear(p);
	memset(out, 0, WG_INIT_LEN);
	wg_put_le32(out + WG_OFF_TYPE, WG_MSG_INITIATION);
	memcpy(ck, l->init_ck, WG_HASH_LEN);
	memcpy(h, p->init_hash, WG_HASH_LEN);

	/* e */
	if ((ret = noise_ephemeral(l, e_priv, e)) != 0)
		goto fail;
	noise_mix_ephemeral(ck, h, e);
	/* es */
	if ((ret = noise_mix_dh(ck, k, e_priv, p->pub)) != 0)
		goto fail;
	/* s */
	if ((ret = noise_encrypt_and_hash(out + WG_INIT_OFF_STATIC, k, h,
	    l->pub, WG_PUBLIC_LEN)) != 0)
		goto fail;
	/* ss */
	noise_mix_key(ck, k, p->ss, WG_PUBLIC_LEN);
	/* {t} */
	l->tai64n(ts, l->tai64n_arg);
	if ((ret = noise_encrypt_and_hash(out + WG_INIT_OFF_TIMESTAMP, k, h,
	    ts, WG_TAI64N_LEN)) != 0)
		goto fail;

	if ((ret = noise_index_add(l, &hs->idx, p, NULL)) != 0)
		goto fail;
	wg_put_le32(out + WG_INIT_OFF_SENDER, hs->idx.id);
	cookie_maker_add_macs(&p->cm, out, WG_INIT_LEN, now);
	noise_initiation_sent(p, now, e_priv, ck, h);
	goto done;
 fail:
	explicit_bzero(out, WG_INIT_LEN);
 done:
	explicit_bzero(ck, sizeof(ck));
	explicit_bzero(h, sizeof(h));
	explicit_bzero(k, sizeof(k));
	explicit_bzero(ts, sizeof(ts));
	explicit_bzero(e_priv, sizeof(e_priv));
	return ret;
}

/* the peer whose static key an initiation carries, if it may shake hands */
static int
noise_initiator_lookup(struct noise_local *l, const uint8_t s[WG_PUBLIC_LEN],
    struct noise_peer **pp)
{
	if ((*pp = noise_peer_lookup(l, s)) == NULL)
		return NOISE_E_PEER;
	if (!(*pp)->ss_ok)
		return NOISE_E_DH;
	if ((*pp)->psk_missing)
		return NOISE_E_NOPSK;
	return 0;
}

/* the seconds of a TAI64N label */
static uint64_t
tai64_secs(const uint8_t ts[WG_TAI64N_LEN])
{
	uint64_t	s = 0;
	int		i;

	for (i = 0; i < 8; i++)
		s = s << 8 | ts[i];
	return s;
}

/*
 * An initiation is no replay, does not come too soon after the last and,
 * with a max_age, was made about now.
 */
static int
noise_initiation_fresh(struct noise_local *l, struct noise_peer *p,
    const uint8_t ts[WG_TAI64N_LEN], uint64_t now)
{
	uint8_t		ours[WG_TAI64N_LEN];
	uint64_t	a, b;

	if (l->max_age != 0) {
		l->tai64n(ours, l->tai64n_arg);
		a = tai64_secs(ts);
		b = tai64_secs(ours);
		if ((a > b ? a - b : b - a) > l->max_age)
			return NOISE_E_STALE;
	}
	/* TAI64N is big-endian: byte order is time order */
	if (memcmp(ts, p->last_ts, WG_TAI64N_LEN) <= 0)
		return NOISE_E_REPLAY;
	if (p->has_last_init && now >= p->last_init &&
	    now - p->last_init < WG_INITIATION_MIN_GAP)
		return NOISE_E_FLOOD;
	return 0;
}

/* the initiation is accepted: it replaces any handshake in progress */
static void
noise_initiation_accepted(struct noise_peer *p, const uint8_t *msg,
    uint64_t now, const uint8_t ts[WG_TAI64N_LEN],
    const uint8_t ck[WG_HASH_LEN], const uint8_t h[WG_HASH_LEN])
{
	struct noise_handshake	*hs = &p->hs;

	noise_handshake_clear(p);
	hs->state = NOISE_HS_CONSUMED_INITIATION;
	hs->remote_index = wg_get_le32(msg + WG_INIT_OFF_SENDER);
	memcpy(hs->e_remote, msg + WG_INIT_OFF_EPHEMERAL, WG_PUBLIC_LEN);
	memcpy(hs->hash, h, WG_HASH_LEN);
	memcpy(hs->ck, ck, WG_HASH_LEN);
	memcpy(p->last_ts, ts, WG_TAI64N_LEN);
	p->last_init = now;
	p->has_last_init = 1;
	noise_handshake_received(p, now, WG_INIT_LEN);
}

int
noise_consume_initiation(struct noise_local *l, const uint8_t *msg,
    size_t len, uint64_t now, struct noise_peer **pp)
{
	struct noise_peer	*p;
	uint8_t			 ck[WG_HASH_LEN], h[WG_HASH_LEN];
	uint8_t			 k[WG_SYMKEY_LEN], ts[WG_TAI64N_LEN];
	uint8_t			 s[WG_PUBLIC_LEN];
	const uint8_t		*e = msg + WG_INIT_OFF_EPHEMERAL;
	int			 ret;

	*pp = NULL;
	if (wg_msg_type(msg, len) != WG_MSG_INITIATION)
		return NOISE_E_INVAL;
	if (!l->has_key)
		return NOISE_E_NOKEY;
	if (cookie_verify_mac1(l->mac1_key, msg, len) == -1)
		return NOISE_E_MAC1;
	memcpy(ck, l->init_ck, WG_HASH_LEN);
	memcpy(h, l->self_hash, WG_HASH_LEN);

	/* e */
	noise_mix_ephemeral(ck, h, e);
	/* es */
	if ((ret = noise_mix_dh(ck, k, l->priv, e)) != 0)
		goto done;
	/* s */
	if ((ret = noise_decrypt_and_hash(s, k, h, msg + WG_INIT_OFF_STATIC,
	    WG_PUBLIC_LEN)) != 0)
		goto done;
	if ((ret = noise_initiator_lookup(l, s, &p)) != 0) {
		/* a public key: the operator may want to see it */
		if (ret == NOISE_E_PEER)
			memcpy(l->unknown_pub, s, WG_PUBLIC_LEN);
		goto done;
	}
	/* ss */
	noise_mix_key(ck, k, p->ss, WG_PUBLIC_LEN);
	/* {t} */
	if ((ret = noise_decrypt_and_hash(ts, k, h,
	    msg + WG_INIT_OFF_TIMESTAMP, WG_TAI64N_LEN)) != 0)
		goto done;

	if ((ret = noise_initiation_fresh(l, p, ts, now)) != 0)
		goto done;
	/*
	 * Crossed ours: the lower key's initiation is the one answered,
	 * for a while only: ours may never reach the peer (a NAT that lets
	 * its packets out to us but none of ours in), and then answering
	 * its initiation is the only way to a session.
	 */
	if (p->crossed_keep && p->hs.state == NOISE_HS_CREATED_INITIATION &&
	    memcmp(l->pub, p->pub, WG_PUBLIC_LEN) < 0 &&
	    now - p->timers.last_sent_handshake < NOISE_CROSSED_WINDOW) {
		ret = NOISE_E_CROSSED;
		goto done;
	}
	noise_initiation_accepted(p, msg, now, ts, ck, h);
	*pp = p;
 done:
	explicit_bzero(ck, sizeof(ck));
	explicit_bzero(h, sizeof(h));
	explicit_bzero(k, sizeof(k));
	explicit_bzero(ts, sizeof(ts));
	explicit_bzero(s, sizeof(s));
	return ret;
}

/* the response is built: derive the session (the responder's `next') */
static void
noise_response_sent(struct noise_peer *p, uint64_t now,
    const uint8_t ck[WG_HASH_LEN], const uint8_t h[WG_HASH_LEN])
{
	struct noise_handshake	*hs = &p->hs;

	hs->state = NOISE_HS_CREATED_RESPONSE;
	memcpy(hs->hash, h, WG_HASH_LEN);
	memcpy(hs->ck, ck, WG_HASH_LEN);
	noise_begin_session(p, now, 0);
	timers_session_derived(&p->timers, now);
	noise_handshake_sent(p, now, WG_RESP_LEN);
}

int
noise_create_response(struct noise_peer *p, uint64_t now,
    uint8_t out[WG_RESP_LEN])
{
	struct noise_local	*l = p->local;
	struct noise_handshake	*hs = &p->hs;
	uint8_t			 ck[WG_HASH_LEN], h[WG_HASH_LEN];
	uint8_t			 k[WG_SYMKEY_LEN], e_priv[WG_PRIVATE_LEN];
	uint8_t			*e = out + WG_RESP_OFF_EPHEMERAL;
	int			 ret;

	if (hs->state != NOISE_HS_CONSUMED_INITIATION)
		return NOISE_E_STATE;
	if (!l->has_key)
		return NOISE_E_NOKEY;
	if (p->psk_missing)
		return NOISE_E_NOPSK;
	memset(out, 0, WG_RESP_LEN);
	wg_put_le32(out + WG_OFF_TYPE, WG_MSG_RESPONSE);
	memcpy(ck, hs->ck, WG_HASH_LEN);
	memcpy(h, hs->hash, WG_HASH_LEN);

	/* e */
	if ((ret = noise_ephemeral(l, e_priv, e)) != 0)
		goto fail;
	noise_mix_ephemeral(ck, h, e);
	/* ee, se */
	if ((ret = noise_mix_dh(ck, NULL, e_priv, hs->e_remote)) != 0 ||
	    (ret = noise_mix_dh(ck, NULL, e_priv, p->pub)) != 0)
		goto fail;
	/* psk */
	noise_mix_psk(ck, h, k, p->psk);
	/* {} */
	if ((ret = noise_encrypt_and_hash(out + WG_RESP_OFF_EMPTY, k, h,
	    NULL, 0)) != 0)
		goto fail;

	if ((ret = noise_index_add(l, &hs->idx, p, NULL)) != 0)
		goto fail;
	wg_put_le32(out + WG_RESP_OFF_SENDER, hs->idx.id);
	wg_put_le32(out + WG_RESP_OFF_RECEIVER, hs->remote_index);
	cookie_maker_add_macs(&p->cm, out, WG_RESP_LEN, now);
	noise_response_sent(p, now, ck, h);
	goto done;
 fail:
	explicit_bzero(out, WG_RESP_LEN);
 done:
	explicit_bzero(ck, sizeof(ck));
	explicit_bzero(h, sizeof(h));
	explicit_bzero(k, sizeof(k));
	explicit_bzero(e_priv, sizeof(e_priv));
	return ret;
}

/* the handshake a response answers: ours, an initiation in flight */
static int
noise_response_peer(struct noise_local *l, const uint8_t *msg,
    struct noise_peer **pp)
{
	struct noise_index	*idx;

	idx = noise_index_lookup(l, wg_get_le32(msg + WG_RESP_OFF_RECEIVER));
	if (idx == NULL || idx->keypair != NULL)
		return NOISE_E_STATE;
	if (idx->peer->hs.state != NOISE_HS_CREATED_INITIATION)
		return NOISE_E_STATE;
	if (idx->peer->psk_missing)
		return NOISE_E_NOPSK;
	*pp = idx->peer;
	return 0;
}

/* the response is accepted: derive the session, confirm it at once */
static void
noise_response_accepted(struct noise_peer *p, const uint8_t *msg,
    uint64_t now, const uint8_t ck[WG_HASH_LEN], const uint8_t h[WG_HASH_LEN])
{
	struct noise_handshake	*hs = &p->hs;

	hs->state = NOISE_HS_CONSUMED_RESPONSE;
	hs->remote_index = wg_get_le32(msg + WG_RESP_OFF_SENDER);
	memcpy(hs->hash, h, WG_HASH_LEN);
	memcpy(hs->ck, ck, WG_HASH_LEN);
	noise_begin_session(p, now, 1);
	noise_handshake_received(p, now, WG_RESP_LEN);
	timers_session_derived(&p->timers, now);
	timers_handshake_complete(&p->timers);
	p->last_handshake = now;
	p->has_handshake = 1;
	/* confirm at once: queued data, or else a keepalive */
	p->actions |= NOISE_ACT_KEEPALIVE;
}

int
noise_consume_response(struct noise_local *l, const uint8_t *msg,
    size_t len, uint64_t now, struct noise_peer **pp)
{
	struct noise_peer	*p = NULL;
	struct noise_handshake	*hs;
	uint8_t			 ck[WG_HASH_LEN], h[WG_HASH_LEN];
	uint8_t			 k[WG_SYMKEY_LEN], empty[1];
	const uint8_t		*e = msg + WG_RESP_OFF_EPHEMERAL;
	int			 ret;

	*pp = NULL;
	if (wg_msg_type(msg, len) != WG_MSG_RESPONSE)
		return NOISE_E_INVAL;
	if (!l->has_key)
		return NOISE_E_NOKEY;
	if (cookie_verify_mac1(l->mac1_key, msg, len) == -1)
		return NOISE_E_MAC1;
	if ((ret = noise_response_peer(l, msg, &p)) != 0)
		return ret;
	hs = &p->hs;
	memcpy(ck, hs->ck, WG_HASH_LEN);
	memcpy(h, hs->hash, WG_HASH_LEN);

	/* e */
	noise_mix_ephemeral(ck, h, e);
	/* ee, se */
	if ((ret = noise_mix_dh(ck, NULL, hs->e_priv, e)) != 0 ||
	    (ret = noise_mix_dh(ck, NULL, l->priv, e)) != 0)
		goto done;
	/* psk */
	noise_mix_psk(ck, h, k, p->psk);
	/* {} */
	if ((ret = noise_decrypt_and_hash(empty, k, h,
	    msg + WG_RESP_OFF_EMPTY, 0)) != 0)
		goto done;

	noise_response_accepted(p, msg, now, ck, h);
 done:
	/* on failure too: whose initiation this answered, if anyone's */
	*pp = p;
	explicit_bzero(ck, sizeof(ck));
	explicit_bzero(h, sizeof(h));
	explicit_bzero(k, sizeof(k));
	return ret;
}

int
noise_consume_cookie(struct noise_local *l, const uint8_t *msg, size_t len,
    uint64_t now, struct noise_peer **pp)
{
	struct noise_index	*idx;

	*pp = NULL;
	if (wg_msg_type(msg, len) != WG_MSG_COOKIE)
		return NOISE_E_INVAL;
	/* a reply to our initiation (handshake) or our response (keypair) */
	idx = noise_index_lookup(l, wg_get_le32(msg + WG_COOKIE_OFF_RECEIVER));
	if (idx == NULL)
		return NOISE_E_STATE;
	if (cookie_maker_consume_reply(&idx->peer->cm, msg, len, now) == -1)
		return NOISE_E_DECRYPT;
	*pp = idx->peer;
	return 0;
}
