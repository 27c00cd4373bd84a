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

#define NOISE_INDEX_TRIES	64	/* random indices to try */

#ifndef __unused
/* for RB_GENERATE_STATIC */
#define __unused	__attribute__((__unused__))
#endif

static void	*noise_default_alloc(size_t);
static void	 noise_default_release(void *, size_t);

/*
 * Data messages are sealed from and opened into this private buffer, so
 * that a ring slot only ever receives what its reader may see: crypto
 * -> net slots get ciphertext, crypto -> tun slots authenticated
 * plaintext (see common/pktchan.h).  One thread uses the engine.
 */
static uint8_t	 noise_stage[NOISE_DATA_MAX];

static void	*(*noise_alloc)(size_t) = noise_default_alloc;
static void	 (*noise_release)(void *, size_t) = noise_default_release;

static int
noise_index_cmp(const struct noise_index *a, const struct noise_index *b)
{
	return a->id < b->id ? -1 : a->id > b->id;
}

static int
noise_peer_cmp(const struct noise_peer *a, const struct noise_peer *b)
{
	/* public keys: no secret in the ordering */
	return memcmp(a->pub, b->pub, WG_PUBLIC_LEN);
}

RB_GENERATE_STATIC(noise_index_tree, noise_index, entry, noise_index_cmp)
RB_GENERATE_STATIC(noise_peer_tree, noise_peer, entry, noise_peer_cmp)

static void *
noise_default_alloc(size_t len)
{
	return calloc(1, len);
}

static void
noise_default_release(void *p, size_t len)
{
	freezero(p, len);
}

void
noise_set_allocator(void *(*alloc)(size_t), void (*release)(void *, size_t))
{
	noise_alloc = alloc != NULL ? alloc : noise_default_alloc;
	noise_release = release != NULL ? release : noise_default_release;
}

static int
noise_default_rng(void *buf, size_t len, void *arg)
{
	return RAND_priv_bytes(buf, len) == 1 ? 0 : -1;
}

static void
noise_default_tai64n(uint8_t out[WG_TAI64N_LEN], void *arg)
{
	/* a zero timestamp is refused by the peer as a replay */
	if (wg_tai64n(out) == -1)
		memset(out, 0, WG_TAI64N_LEN);
}

/* birth + age <= now, as the kernel's wg_birthdate_has_expired() */
static int
noise_expired(uint64_t birth, uint64_t age, uint64_t now)
{
	return now >= birth && now - birth >= age;
}

/*
 * The symmetric state (whitepaper 5.4): the chaining key ck, the hash h
 * and a handshake key k, and the steps that change them.  Every message
 * function below is these steps in the order of the whitepaper's table.
 * The KDF outputs go through temporaries so that an output may be the
 * chaining key that is also the input key; each step wipes what it made.
 */

/* mix hash: h = HASH(h || data); data is at most the encrypted static */
static void
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

/* random below REKEY_TIMEOUT_JITTER, 0 if the rng fails */
static uint64_t
noise_jitter(struct noise_local *l)
{
	uint8_t	r[4];

	if (l->rng(r, sizeof(r), l->rng_arg) == -1)
		return 0;
	return wg_get_le32(r) % WG_REKEY_TIMEOUT_JITTER;
}

/*
 * Receiver indices
 */

static int
noise_index_add(struct noise_local *l, struct noise_index *idx,
    struct noise_peer *p, struct noise_keypair *kp)
{
	uint8_t	r[4];
	int	i;

	for (i = 0; i < NOISE_INDEX_TRIES; i++) {
		if (l->rng(r, sizeof(r), l->rng_arg) == -1)
			return NOISE_E_RNG;
		idx->id = wg_get_le32(r);
		if (RB_INSERT(noise_index_tree, &l->indices, idx) == NULL) {
			l->nindices++;
			idx->live = 1;
			idx->peer = p;
			idx->keypair = kp;
			return 0;
		}
	}
	return NOISE_E_RNG;
}

static void
noise_index_del(struct noise_local *l, struct noise_index *idx)
{
	if (idx->live) {
		RB_REMOVE(noise_index_tree, &l->indices, idx);
		l->nindices--;
	}
	idx->live = 0;
}

static struct noise_index *
noise_index_lookup(struct noise_local *l, uint32_t id)
{
	struct noise_index	key;

	key.id = id;
	return RB_FIND(noise_index_tree, &l->indices, &key);
}

/*
 * Handshake and keypair state
 */

static void
noise_handshake_clear(struct noise_peer *p)
{
	noise_index_del(p->local, &p->hs.idx);
	explicit_bzero(&p->hs, sizeof(p->hs));
	p->hs.state = NOISE_HS_ZEROED;
}

static void
noise_keypair_drop(struct noise_peer *p, struct noise_keypair *kp)
{
	if (kp == NULL)
		return;
	noise_index_del(p->local, &kp->idx);
	explicit_bzero(kp, sizeof(*kp));
}

static struct noise_keypair *
noise_keypair_slot(struct noise_peer *p)
{
	size_t	i;

	for (i = 0; i < sizeof(p->kp) / sizeof(p->kp[0]); i++)
		if (!p->kp[i].in_use)
			return &p->kp[i];
	return NULL;	/* not reached: at most two live when asked */
}

/*
 * The whitepaper's "begin session": derive the transport keys from the
 * final chaining key, move the handshake's index to a new keypair and
 * slot it as the Linux module does.  The initiator may send at once;
 * the responder's keypair waits in `next' for confirmation.
 */
static void
noise_begin_session(struct noise_peer *p, uint64_t now, int initiator)
{
	struct noise_handshake	*hs = &p->hs;
	struct noise_keypair	*kp;
	uint8_t			 k1[WG_SYMKEY_LEN], k2[WG_SYMKEY_LEN];

	wg_kdf2(hs->ck, NULL, 0, k1, k2);
	if (initiator) {
		if (p->next != NULL) {
			/* an unconfirmed next becomes previous */
			noise_keypair_drop(p, p->prev);
			noise_keypair_drop(p, p->cur);
			p->prev = p->next;
			p->next = NULL;
		} else {
			noise_keypair_drop(p, p->prev);
			p->prev = p->cur;
		}
		p->cur = NULL;
	} else {
		noise_keypair_drop(p, p->next);
		noise_keypair_drop(p, p->prev);
		p->next = p->prev = NULL;
	}
	kp = noise_keypair_slot(p);
	memset(kp, 0, sizeof(*kp));
	memcpy(kp->send_key, initiator ? k1 : k2, WG_SYMKEY_LEN);
	memcpy(kp->recv_key, initiator ? k2 : k1, WG_SYMKEY_LEN);
	explicit_bzero(k1, sizeof(k1));
	explicit_bzero(k2, sizeof(k2));
	kp->remote_index = hs->remote_index;
	kp->birth = now;
	kp->initiator = initiator;
	kp->send_valid = kp->recv_valid = 1;
	kp->in_use = 1;
	replay_init(&kp->replay);
	/* the handshake's index now names the keypair */
	kp->idx.id = hs->idx.id;
	noise_index_del(p->local, &hs->idx);
	if (RB_INSERT(noise_index_tree, &p->local->indices, &kp->idx) == NULL) {
		p->local->nindices++;
		kp->idx.live = 1;
		kp->idx.peer = p;
		kp->idx.keypair = kp;
	}
	if (initiator)
		p->cur = kp;
	else
		p->next = kp;
	noise_handshake_clear(p);
}

/* ask for an initiation that is not a retry (the retry count restarts) */
static void
noise_want_initiation(struct noise_peer *p)
{
	p->timers.attempts = 0;
	p->actions |= NOISE_ACT_INITIATE;
}

/*
 * Locals and peers
 */

struct noise_local *
noise_local_new(void)
{
	struct noise_local	*l;
	uint8_t			 buf[WG_HASH_LEN + sizeof(WG_IDENTIFIER) - 1];

	if ((l = noise_alloc(sizeof(*l))) == NULL)
		return NULL;
	memset(l, 0, sizeof(*l));
	RB_INIT(&l->peers);
	RB_INIT(&l->indices);
	l->rng = noise_default_rng;
	l->tai64n = noise_default_tai64n;
	wg_hash(l->init_ck, WG_CONSTRUCTION, sizeof(WG_CONSTRUCTION) - 1);
	memcpy(buf, l->init_ck, WG_HASH_LEN);
	memcpy(buf + WG_HASH_LEN, WG_IDENTIFIER, sizeof(WG_IDENTIFIER) - 1);
	wg_hash(l->init_hash, buf, sizeof(buf));
	return l;
}

void
noise_local_free(struct noise_local *l)
{
	struct noise_peer	*p, *np;

	if (l == NULL)
		return;
	RB_FOREACH_SAFE(p, noise_peer_tree, &l->peers, np)
		noise_peer_free(p);
	explicit_bzero(l, sizeof(*l));
	noise_release(l, sizeof(*l));
}

void
noise_local_set_rng(struct noise_local *l, noise_rng_fn fn, void *arg)
{
	l->rng = fn != NULL ? fn : noise_default_rng;
	l->rng_arg = arg;
}

void
noise_local_set_tai64n(struct noise_local *l, noise_tai64n_fn fn, void *arg)
{
	l->tai64n = fn != NULL ? fn : noise_default_tai64n;
	l->tai64n_arg = arg;
}

/* DH(our static, its static), or marked unusable */
static void
noise_peer_precompute(struct noise_peer *p)
{
	struct noise_local	*l = p->local;

	p->ss_ok = 0;
	if (!l->has_key || CRYPTO_memcmp(p->pub, l->pub, WG_PUBLIC_LEN) == 0 ||
	    wg_dh(p->ss, l->priv, p->pub) == -1) {
		explicit_bzero(p->ss, sizeof(p->ss));
		return;
	}
	p->ss_ok = 1;
}

int
noise_local_set_private(struct noise_local *l,
    const uint8_t priv[WG_PRIVATE_LEN])
{
	struct noise_peer	*p;
	int			 ret = 0;

	explicit_bzero(l->priv, sizeof(l->priv));
	memset(l->pub, 0, sizeof(l->pub));
	l->has_key = 0;
	if (priv != NULL) {
		memcpy(l->priv, priv, WG_PRIVATE_LEN);
		wg_key_clamp(l->priv);
		if (wg_key_public(l->pub, l->priv) == -1) {
			explicit_bzero(l->priv, sizeof(l->priv));
			ret = NOISE_E_DH;
		} else {
			l->has_key = 1;
			memcpy(l->self_hash, l->init_hash, WG_HASH_LEN);
			noise_mix_hash(l->self_hash, l->pub, WG_PUBLIC_LEN);
			cookie_derive_key(l->mac1_key, WG_LABEL_MAC1, l->pub);
		}
	}
	RB_FOREACH(p, noise_peer_tree, &l->peers) {
		noise_peer_precompute(p);
		/* sessions made with the old key stop sending, as wg does */
		noise_handshake_clear(p);
		if (p->cur != NULL)
			p->cur->send_valid = 0;
		if (p->next != NULL)
			p->next->send_valid = 0;
		/* and a handshake with the new key may go out at once */
		timers_reset_ratelimit(&p->timers);
	}
	return ret;
}

int
noise_local_public(const struct noise_local *l, uint8_t pub[WG_PUBLIC_LEN])
{
	if (!l->has_key)
		return NOISE_E_NOKEY;
	memcpy(pub, l->pub, WG_PUBLIC_LEN);
	return 0;
}

struct noise_peer *
noise_peer_new(struct noise_local *l, const uint8_t pub[WG_PUBLIC_LEN],
    void *arg)
{
	struct noise_peer	*p;

	if (noise_peer_lookup(l, pub) != NULL) {
		errno = EEXIST;
		return NULL;
	}
	if ((p = noise_alloc(sizeof(*p))) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(p, 0, sizeof(*p));
	p->local = l;
	p->arg = arg;
	memcpy(p->pub, pub, WG_PUBLIC_LEN);
	memcpy(p->init_hash, l->init_hash, WG_HASH_LEN);
	noise_mix_hash(p->init_hash, pub, WG_PUBLIC_LEN);
	noise_peer_precompute(p);
	cookie_maker_init(&p->cm, pub);
	timers_init(&p->timers);
	RB_INSERT(noise_peer_tree, &l->peers, p);
	l->npeers++;
	return p;
}

void
noise_peer_clear(struct noise_peer *p)
{
	size_t	i;

	noise_handshake_clear(p);
	for (i = 0; i < sizeof(p->kp) / sizeof(p->kp[0]); i++)
		if (p->kp[i].in_use)
			noise_keypair_drop(p, &p->kp[i]);
	p->prev = p->cur = p->next = NULL;
}

void
noise_peer_free(struct noise_peer *p)
{
	struct noise_local	*l;

	if (p == NULL)
		return;
	l = p->local;
	noise_peer_clear(p);
	RB_REMOVE(noise_peer_tree, &l->peers, p);
	l->npeers--;
	explicit_bzero(p, sizeof(*p));
	noise_release(p, sizeof(*p));
}

struct noise_peer *
noise_peer_lookup(struct noise_local *l, const uint8_t pub[WG_PUBLIC_LEN])
{
	struct noise_peer	key;

	memcpy(key.pub, pub, WG_PUBLIC_LEN);
	return RB_FIND(noise_peer_tree, &l->peers, &key);
}

void
noise_peer_set_psk(struct noise_peer *p, const uint8_t psk[WG_SYMKEY_LEN])
{
	p->psk_missing = 0;
	if (psk == NULL)
		explicit_bzero(p->psk, sizeof(p->psk));
	else
		memcpy(p->psk, psk, WG_SYMKEY_LEN);
}

void
noise_peer_set_psk_missing(struct noise_peer *p)
{
	if (p->psk_missing)
		return;
	explicit_bzero(p->psk, sizeof(p->psk));
	p->psk_missing = 1;
	noise_peer_clear(p);
}

void
noise_peer_set_keepalive(struct noise_peer *p, uint16_t secs, uint64_t now)
{
	if (timers_set_persistent(&p->timers, secs, now))
		p->actions |= NOISE_ACT_KEEPALIVE;
}

int
noise_peer_can_send(const struct noise_peer *p, uint64_t now)
{
	const struct noise_keypair	*kp = p->cur;

	return kp != NULL && kp->send_valid &&
	    !noise_expired(kp->birth, WG_REJECT_AFTER_TIME, now) &&
	    kp->send_counter < WG_REJECT_AFTER_MESSAGES;
}

void
noise_peer_want_session(struct noise_peer *p, uint64_t now)
{
	if (noise_peer_can_send(p, now))
		p->actions |= NOISE_ACT_FLUSH;
	else if (p->hs.state != NOISE_HS_CREATED_INITIATION)
		noise_want_initiation(p);
}

uint32_t
noise_peer_poll(struct noise_peer *p, uint64_t now)
{
	uint32_t	act;

	act = timers_expire(&p->timers, now) | p->actions;
	p->actions = 0;
	if (act & NOISE_ACT_WIPE) {
		/* 3 * REJECT_AFTER_TIME without a new session */
		noise_peer_clear(p);
		act &= ~NOISE_ACT_WIPE;
		act |= NOISE_ACT_WIPED | NOISE_ACT_PURGE;
	}
	return act;
}

uint64_t
noise_peer_next_timer(const struct noise_peer *p)
{
	if (p->actions != 0)
		return 0;
	return timers_next(&p->timers);
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

/* an initiation is no replay and does not come too soon after the last */
static int
noise_initiation_fresh(struct noise_peer *p, const uint8_t ts[WG_TAI64N_LEN],
    uint64_t now)
{
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

	if ((ret = noise_initiation_fresh(p, ts, now)) != 0)
		goto done;
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

/*
 * Transport data
 */

static size_t
noise_padded_len(size_t len, size_t mtu)
{
	size_t	padded;

	padded = (len + WG_DATA_PAD - 1) / WG_DATA_PAD * WG_DATA_PAD;
	if (mtu > 0 && padded > mtu)
		padded = len > mtu ? len : mtu;
	return padded;
}

size_t
noise_encrypt_size(size_t len, size_t mtu)
{
	return WG_DATA_LEN(noise_padded_len(len, mtu));
}

/*
 * The AEAD of a data message, out of place: only ciphertext is written
 * to out, which may be a ring slot meshd-net can read.  The padded
 * plaintext is staged in private memory when padding is needed;
 * otherwise pt (private to the caller) is encrypted directly.
 */
static int
noise_seal(struct noise_keypair *kp, uint64_t counter, const uint8_t *pt,
    size_t len, size_t padded, uint8_t *out)
{
	int	r;

	if (padded == len)
		return wg_aead_encrypt(out, kp->send_key, counter, pt, len,
		    NULL, 0);
	if (len > 0)
		memcpy(noise_stage, pt, len);
	memset(noise_stage + len, 0, padded - len);
	r = wg_aead_encrypt(out, kp->send_key, counter, noise_stage, padded,
	    NULL, 0);
	/* the stage keeps no plaintext between calls */
	explicit_bzero(noise_stage, len);
	return r;
}

int
noise_encrypt(struct noise_peer *p, uint64_t now, const uint8_t *pt,
    size_t len, size_t mtu, uint8_t *out, size_t outsize, size_t *outlen)
{
	struct noise_keypair	*kp = p->cur;
	uint64_t		 counter;
	size_t			 padded;

	*outlen = 0;
	if (kp == NULL || !kp->send_valid) {
		noise_want_initiation(p);
		return NOISE_E_NOKEY;
	}
	if (noise_expired(kp->birth, WG_REJECT_AFTER_TIME, now) ||
	    kp->send_counter >= WG_REJECT_AFTER_MESSAGES) {
		kp->send_valid = 0;
		noise_want_initiation(p);
		return NOISE_E_NOKEY;
	}
	padded = noise_padded_len(len, mtu);
	if (outsize < WG_DATA_LEN(padded))
		return NOISE_E_SPACE;
	if (padded != len && padded > sizeof(noise_stage))
		return NOISE_E_SPACE;
	counter = kp->send_counter++;

	wg_put_le32(out + WG_OFF_TYPE, WG_MSG_DATA);
	wg_put_le32(out + WG_DATA_OFF_RECEIVER, kp->remote_index);
	wg_put_le64(out + WG_DATA_OFF_COUNTER, counter);
	if (noise_seal(kp, counter, pt, len, padded,
	    out + WG_DATA_OFF_PAYLOAD) == -1) {
		explicit_bzero(out, WG_DATA_LEN(padded));
		return NOISE_E_ENCRYPT;
	}
	*outlen = WG_DATA_LEN(padded);

	timers_traversal(&p->timers, now);
	timers_any_sent(&p->timers);
	if (len > 0 && p->timers.new_handshake == TIMER_OFF)
		timers_data_sent(&p->timers, now, noise_jitter(p->local));
	/* keep the key fresh: by count, and by age for the initiator */
	if (kp->send_counter > WG_REKEY_AFTER_MESSAGES || (kp->initiator &&
	    noise_expired(kp->birth, WG_REKEY_AFTER_TIME, now)))
		noise_want_initiation(p);
	p->tx_bytes += *outlen;
	return 0;
}

int
noise_decrypt(struct noise_local *l, const uint8_t *msg, size_t len,
    uint64_t now, struct noise_peer **pp, uint8_t *out, size_t outsize,
    size_t *outlen)
{
	struct noise_index	*idx;
	struct noise_keypair	*kp;
	struct noise_peer	*p;
	uint64_t		 counter;
	size_t			 plen;

	*pp = NULL;
	*outlen = 0;
	if (wg_msg_type(msg, len) != WG_MSG_DATA)
		return NOISE_E_INVAL;
	idx = noise_index_lookup(l, wg_get_le32(msg + WG_DATA_OFF_RECEIVER));
	if (idx == NULL || (kp = idx->keypair) == NULL)
		return NOISE_E_STATE;
	p = idx->peer;
	/* the index names the peer (not yet authenticated): for counters */
	*pp = p;
	if (!kp->recv_valid ||
	    noise_expired(kp->birth, WG_REJECT_AFTER_TIME, now) ||
	    kp->replay.highest >= WG_REJECT_AFTER_MESSAGES) {
		kp->recv_valid = 0;
		return NOISE_E_EXPIRED;
	}
	plen = len - WG_DATA_MIN_LEN;
	if (outsize < plen || plen > sizeof(noise_stage))
		return NOISE_E_SPACE;
	counter = wg_get_le64(msg + WG_DATA_OFF_COUNTER);
	/*
	 * Into private memory: until the tag and the window have passed,
	 * this is not plaintext the peer sent (a forged message decrypts
	 * to its bytes xor the keystream), so it may not reach out, a
	 * ring slot meshd-tun reads.
	 */
	if (wg_aead_decrypt(noise_stage, kp->recv_key, counter,
	    msg + WG_DATA_OFF_PAYLOAD, len - WG_DATA_HDR_LEN, NULL, 0) == -1)
		return NOISE_E_DECRYPT;	/* the stage is wiped */
	/* only now, authenticated, may the counter move the window */
	if (replay_check(&kp->replay, counter, WG_REJECT_AFTER_MESSAGES) ==
	    -1) {
		explicit_bzero(noise_stage, plen);
		return NOISE_E_REPLAY;
	}
	if (plen > 0) {
		memcpy(out, noise_stage, plen);
		explicit_bzero(noise_stage, plen);
	}

	if (kp == p->next) {
		/* the initiator confirmed our response: switch to it */
		noise_keypair_drop(p, p->prev);
		p->prev = p->cur;
		p->cur = kp;
		p->next = NULL;
		timers_handshake_complete(&p->timers);
		p->last_handshake = now;
		p->has_handshake = 1;
		p->actions |= NOISE_ACT_FLUSH;
	}
	/*
	 * An initiator hearing from a keypair close to REJECT_AFTER_TIME
	 * rekeys once, in case it has nothing to send that would.
	 */
	if (!p->timers.sent_lastminute && p->cur != NULL &&
	    p->cur->send_valid && p->cur->initiator &&
	    noise_expired(p->cur->birth, WG_REJECT_AFTER_TIME -
	    WG_KEEPALIVE_TIMEOUT - WG_REKEY_TIMEOUT, now)) {
		p->timers.sent_lastminute = 1;
		noise_want_initiation(p);
	}
	timers_traversal(&p->timers, now);
	timers_any_received(&p->timers);
	if (plen > 0)
		timers_data_received(&p->timers, now);
	p->rx_bytes += len;
	*outlen = plen;
	*pp = p;
	return 0;
}

const char *
noise_strerror(int e)
{
	switch (e) {
	case 0:
		return "ok";
	case NOISE_E_INVAL:
		return "malformed message";
	case NOISE_E_MAC1:
		return "bad mac1";
	case NOISE_E_NOKEY:
		return "no key";
	case NOISE_E_PEER:
		return "unknown peer";
	case NOISE_E_DECRYPT:
		return "authentication failed";
	case NOISE_E_REPLAY:
		return "replayed";
	case NOISE_E_FLOOD:
		return "initiations too frequent";
	case NOISE_E_STATE:
		return "unknown index or unexpected message";
	case NOISE_E_RATELIMIT:
		return "handshake sent less than REKEY_TIMEOUT ago";
	case NOISE_E_EXPIRED:
		return "keypair expired";
	case NOISE_E_DH:
		return "invalid public key";
	case NOISE_E_RNG:
		return "random source failed";
	case NOISE_E_SPACE:
		return "buffer too small";
	case NOISE_E_NOPSK:
		return "the peer's preshared key is missing";
	case NOISE_E_ENCRYPT:
		return "encryption failed";
	default:
		return "unknown error";
	}
}
