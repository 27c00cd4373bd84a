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

#define NOISE_INDEX_TRIES	64	/* random indices to try */

#ifndef __unused
/* for RB_GENERATE_STATIC */
#define __unused	__attribute__((__unused__))
#endif

static void	*noise_default_alloc(size_t);
static void	 noise_default_release(void *, size_t);

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
int
noise_expired(uint64_t birth, uint64_t age, uint64_t now)
{
	return now >= birth && now - birth >= age;
}

/*
 * Random below REKEY_TIMEOUT_JITTER, 0 if the rng fails.  Drawn after
 * the first data sent since the last packet received, so about once per
 * round trip of a busy flow: the rng (OpenSSL's DRBG, ~0.5 us a call,
 * a getpid() among it) is asked for 16 draws at once.
 */
uint64_t
noise_jitter(struct noise_local *l)
{
	const uint8_t	*r;

	if (l->jitter_left < 4) {
		if (l->rng(l->jitter_pool, sizeof(l->jitter_pool),
		    l->rng_arg) == -1)
			return 0;
		l->jitter_left = sizeof(l->jitter_pool);
	}
	r = l->jitter_pool + sizeof(l->jitter_pool) - l->jitter_left;
	l->jitter_left -= 4;
	return wg_get_le32(r) % WG_REKEY_TIMEOUT_JITTER;
}

/*
 * Receiver indices
 */

int
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

struct noise_index *
noise_index_lookup(struct noise_local *l, uint32_t id)
{
	struct noise_index	key;

	key.id = id;
	return RB_FIND(noise_index_tree, &l->indices, &key);
}

/*
 * Handshake and keypair state
 */

void
noise_handshake_clear(struct noise_peer *p)
{
	noise_index_del(p->local, &p->hs.idx);
	explicit_bzero(&p->hs, sizeof(p->hs));
	p->hs.state = NOISE_HS_ZEROED;
}

void
noise_keypair_drop(struct noise_peer *p, struct noise_keypair *kp)
{
	if (kp == NULL)
		return;
	noise_index_del(p->local, &kp->idx);
	/* EVP_CIPHER_CTX_free() wipes OpenSSL's copy of the key */
	wg_aead_ctx_free(kp->send_ctx);
	wg_aead_ctx_free(kp->recv_ctx);
	explicit_bzero(kp, sizeof(*kp));
	noise_release(kp, sizeof(*kp));
}

/*
 * The whitepaper's "begin session": derive the transport keys from the
 * final chaining key, move the handshake's index to a new keypair and
 * slot it as the Linux module does.  The initiator may send at once;
 * the responder's keypair waits in `next' for confirmation.
 */
void
noise_begin_session(struct noise_peer *p, uint64_t now, int initiator)
{
	struct noise_handshake	*hs = &p->hs;
	struct noise_keypair	*kp;
	uint8_t			 k1[WG_SYMKEY_LEN], k2[WG_SYMKEY_LEN];

	/*
	 * Allocated before anything is dropped: without memory the old
	 * session stays and this handshake derives nothing (the peer's
	 * data finds no key and a new handshake follows).
	 */
	if ((kp = noise_alloc(sizeof(*kp))) == NULL) {
		noise_handshake_clear(p);
		return;
	}
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
	memset(kp, 0, sizeof(*kp));
	memcpy(kp->send_key, initiator ? k1 : k2, WG_SYMKEY_LEN);
	memcpy(kp->recv_key, initiator ? k2 : k1, WG_SYMKEY_LEN);
	explicit_bzero(k1, sizeof(k1));
	explicit_bzero(k2, sizeof(k2));
	kp->remote_index = hs->remote_index;
	kp->birth = now;
	kp->initiator = initiator;
	kp->send_valid = kp->recv_valid = 1;
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
void
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
	l->jitter_left = 0;	/* the next jitter comes from the new rng */
}

void
noise_local_set_max_age(struct noise_local *l, uint32_t seconds)
{
	l->max_age = seconds;
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
	noise_handshake_clear(p);
	noise_keypair_drop(p, p->prev);
	noise_keypair_drop(p, p->cur);
	noise_keypair_drop(p, p->next);
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

void
noise_peer_set_crossed(struct noise_peer *p, int on)
{
	p->crossed_keep = on != 0;
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
	case NOISE_E_STALE:
		return "timestamp too far from our clock";
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
	case NOISE_E_CROSSED:
		return "crossed our own initiation, which wins";
	default:
		return "unknown error";
	}
}
