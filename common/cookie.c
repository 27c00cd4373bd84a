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

#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "cookie.h"
#include "wgcrypto.h"

static int
cookie_default_rng(void *buf, size_t len, void *arg)
{
	return RAND_bytes(buf, len) == 1 ? 0 : -1;
}

/* an expiry test that cannot overflow and treats a clock step back as fresh */
static int
cookie_expired(uint64_t birth, uint64_t age, uint64_t now)
{
	return now >= birth && now - birth >= age;
}

void
cookie_derive_key(uint8_t key[WG_HASH_LEN], const char *label,
    const uint8_t pub[WG_PUBLIC_LEN])
{
	uint8_t	buf[WG_LABEL_LEN + WG_PUBLIC_LEN];

	memcpy(buf, label, WG_LABEL_LEN);
	memcpy(buf + WG_LABEL_LEN, pub, WG_PUBLIC_LEN);
	wg_hash(key, buf, sizeof(buf));
}

static int
cookie_is_handshake(size_t len)
{
	return len == WG_INIT_LEN || len == WG_RESP_LEN;
}

int
cookie_verify_mac1(const uint8_t key[WG_HASH_LEN], const uint8_t *msg,
    size_t len)
{
	uint8_t	mac[WG_MAC_LEN];
	int	ret;

	if (!cookie_is_handshake(len))
		return -1;
	wg_mac(mac, key, WG_HASH_LEN, msg, WG_MAC1_OFF(len));
	ret = CRYPTO_memcmp(mac, msg + WG_MAC1_OFF(len), WG_MAC_LEN) == 0 ?
	    0 : -1;
	explicit_bzero(mac, sizeof(mac));
	return ret;
}

void
cookie_checker_init(struct cookie_checker *cc, cookie_rng_fn rng, void *arg)
{
	memset(cc, 0, sizeof(*cc));
	cc->rng = rng != NULL ? rng : cookie_default_rng;
	cc->rng_arg = arg;
}

void
cookie_checker_set_key(struct cookie_checker *cc,
    const uint8_t pub[WG_PUBLIC_LEN])
{
	cookie_derive_key(cc->mac1_key, WG_LABEL_MAC1, pub);
	cookie_derive_key(cc->cookie_key, WG_LABEL_COOKIE, pub);
	cc->has_key = 1;
}

void
cookie_checker_wipe(struct cookie_checker *cc)
{
	explicit_bzero(cc, sizeof(*cc));
}

/* the cookie of a source address, under a secret renewed every 120 s */
static int
cookie_make(struct cookie_checker *cc, uint8_t cookie[WG_COOKIE_LEN],
    const void *src, size_t srclen, uint64_t now)
{
	if (!cc->has_secret || cookie_expired(cc->secret_birth,
	    WG_COOKIE_SECRET_MAX_AGE, now) || now < cc->secret_birth) {
		if (cc->rng(cc->secret, sizeof(cc->secret), cc->rng_arg) == -1)
			return -1;
		cc->secret_birth = now;
		cc->has_secret = 1;
	}
	wg_mac(cookie, cc->secret, sizeof(cc->secret), src, srclen);
	return 0;
}

enum cookie_mac_state
cookie_checker_validate(struct cookie_checker *cc, const uint8_t *msg,
    size_t len, const void *src, size_t srclen, int under_load, uint64_t now)
{
	uint8_t			cookie[WG_COOKIE_LEN], mac[WG_MAC_LEN];
	enum cookie_mac_state	ret;

	if (!cc->has_key || !cookie_is_handshake(len) ||
	    cookie_verify_mac1(cc->mac1_key, msg, len) == -1)
		return COOKIE_MAC_INVALID;
	if (!under_load)
		return COOKIE_MAC_VALID;
	if (cookie_make(cc, cookie, src, srclen, now) == -1)
		return COOKIE_MAC_NEED_COOKIE;
	wg_mac(mac, cookie, sizeof(cookie), msg, WG_MAC2_OFF(len));
	if (CRYPTO_memcmp(mac, msg + WG_MAC2_OFF(len), WG_MAC_LEN) == 0)
		ret = COOKIE_MAC_VALID_COOKIE;
	else
		ret = COOKIE_MAC_NEED_COOKIE;
	explicit_bzero(cookie, sizeof(cookie));
	explicit_bzero(mac, sizeof(mac));
	return ret;
}

int
cookie_checker_create_reply(struct cookie_checker *cc,
    uint8_t out[WG_COOKIE_MSG_LEN], const uint8_t *msg, size_t len,
    const void *src, size_t srclen, uint64_t now)
{
	uint8_t	cookie[WG_COOKIE_LEN];
	int	ret = -1;

	if (!cc->has_key || !cookie_is_handshake(len))
		return -1;
	memset(out, 0, WG_COOKIE_MSG_LEN);
	wg_put_le32(out + WG_OFF_TYPE, WG_MSG_COOKIE);
	/* the sender index sits at offset 4 in both handshake messages */
	memcpy(out + WG_COOKIE_OFF_RECEIVER, msg + WG_INIT_OFF_SENDER, 4);
	if (cc->rng(out + WG_COOKIE_OFF_NONCE, WG_COOKIE_NONCE_LEN,
	    cc->rng_arg) == -1)
		goto done;
	if (cookie_make(cc, cookie, src, srclen, now) == -1)
		goto done;
	if (wg_xaead_encrypt(out + WG_COOKIE_OFF_COOKIE, cc->cookie_key,
	    out + WG_COOKIE_OFF_NONCE, cookie, sizeof(cookie),
	    msg + WG_MAC1_OFF(len), WG_MAC_LEN) == -1)
		goto done;
	ret = 0;
 done:
	explicit_bzero(cookie, sizeof(cookie));
	return ret;
}

void
cookie_maker_init(struct cookie_maker *cm, const uint8_t pub[WG_PUBLIC_LEN])
{
	memset(cm, 0, sizeof(*cm));
	cookie_derive_key(cm->mac1_key, WG_LABEL_MAC1, pub);
	cookie_derive_key(cm->cookie_key, WG_LABEL_COOKIE, pub);
}

void
cookie_maker_wipe(struct cookie_maker *cm)
{
	explicit_bzero(cm, sizeof(*cm));
}

void
cookie_maker_add_macs(struct cookie_maker *cm, uint8_t *msg, size_t len,
    uint64_t now)
{
	if (!cookie_is_handshake(len))
		return;
	wg_mac(msg + WG_MAC1_OFF(len), cm->mac1_key, sizeof(cm->mac1_key),
	    msg, WG_MAC1_OFF(len));
	memcpy(cm->last_mac1, msg + WG_MAC1_OFF(len), WG_MAC_LEN);
	cm->has_last_mac1 = 1;
	if (cm->has_cookie && now >= cm->cookie_birth &&
	    !cookie_expired(cm->cookie_birth,
	    WG_COOKIE_SECRET_MAX_AGE - WG_COOKIE_SECRET_LATENCY, now))
		wg_mac(msg + WG_MAC2_OFF(len), cm->cookie, sizeof(cm->cookie),
		    msg, WG_MAC2_OFF(len));
	else
		memset(msg + WG_MAC2_OFF(len), 0, WG_MAC_LEN);
}

int
cookie_maker_consume_reply(struct cookie_maker *cm, const uint8_t *msg,
    size_t len, uint64_t now)
{
	uint8_t	cookie[WG_COOKIE_LEN];

	if (len != WG_COOKIE_MSG_LEN ||
	    wg_get_le32(msg + WG_OFF_TYPE) != WG_MSG_COOKIE ||
	    !cm->has_last_mac1)
		return -1;
	if (wg_xaead_decrypt(cookie, cm->cookie_key,
	    msg + WG_COOKIE_OFF_NONCE, msg + WG_COOKIE_OFF_COOKIE,
	    WG_AEAD_LEN(WG_COOKIE_LEN), cm->last_mac1, WG_MAC_LEN) == -1) {
		explicit_bzero(cookie, sizeof(cookie));
		return -1;
	}
	memcpy(cm->cookie, cookie, sizeof(cookie));
	explicit_bzero(cookie, sizeof(cookie));
	cm->cookie_birth = now;
	cm->has_cookie = 1;
	/* one reply per message sent: another needs another mac1 */
	cm->has_last_mac1 = 0;
	return 0;
}

int
cookie_load_update(struct cookie_load *cl, size_t backlog, size_t capacity,
    uint64_t now)
{
	if (backlog >= capacity / 8 && backlog > 0) {
		cl->until = now + WG_UNDER_LOAD_AFTER;
		cl->active = 1;
	}
	if (cl->active && now >= cl->until)
		cl->active = 0;
	return cl->active;
}
