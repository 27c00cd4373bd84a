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
 * The cookie mechanism: mac1 and mac2 against a second, naive
 * computation straight from OpenSSL's BLAKE2s, the checker's verdicts
 * with and without load, the cookie reply's layout and round trip, a
 * cookie bound to its source address, cookie and secret expiry, and the
 * under-load hold.
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "tap.h"
#include "cookie.h"
#include "wgkey.h"
#include "wgproto.h"

#define SEC	WG_NSEC

/* naive: BLAKE2s-256 of a || b */
static void
naive_hash(uint8_t out[32], const void *a, size_t alen, const void *b,
    size_t blen)
{
	EVP_MD_CTX	*c = EVP_MD_CTX_new();
	unsigned int	 n;

	EVP_DigestInit_ex(c, EVP_blake2s256(), NULL);
	EVP_DigestUpdate(c, a, alen);
	EVP_DigestUpdate(c, b, blen);
	EVP_DigestFinal_ex(c, out, &n);
	EVP_MD_CTX_free(c);
}

/* naive: keyed BLAKE2s with a 16-byte output */
static void
naive_mac(uint8_t out[16], const uint8_t *key, size_t keylen, const void *in,
    size_t len)
{
	EVP_MAC		*m = EVP_MAC_fetch(NULL, "BLAKE2SMAC", NULL);
	EVP_MAC_CTX	*c = EVP_MAC_CTX_new(m);
	size_t		 sz = 16, olen;
	OSSL_PARAM	 p[2];

	p[0] = OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &sz);
	p[1] = OSSL_PARAM_construct_end();
	EVP_MAC_init(c, key, keylen, p);
	EVP_MAC_update(c, in, len);
	EVP_MAC_final(c, out, &olen, 16);
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(m);
}

static int
fixed_rng(void *buf, size_t len, void *arg)
{
	uint8_t	*ctr = arg;

	memset(buf, (*ctr)++, len);
	return 0;
}

int
main(void)
{
	struct cookie_checker	 cc;
	struct cookie_maker	 cm;
	struct cookie_load	 load;
	uint8_t			 priv[32], pub[32], key[32], mac[16];
	uint8_t			 cookie[16];
	uint8_t			 msg[WG_INIT_LEN], resp[WG_RESP_LEN];
	uint8_t			 reply[WG_COOKIE_MSG_LEN], reply2[64];
	static const uint8_t	 zero[16];
	const char		 src[] = "\xc6\x12\x00\x02\x14\xe9";
	const char		 src2[] = "\xc6\x12\x00\x03\x14\xe9";
	uint8_t			 rctr = 1;
	uint64_t		 now = 5000 * SEC, t;
	size_t			 i;

	memset(priv, 0x71, sizeof(priv));
	wg_key_clamp(priv);
	if (wg_key_public(pub, priv) == -1)
		return 1;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = i;
	msg[0] = 1;
	msg[1] = msg[2] = msg[3] = 0;
	for (i = 0; i < sizeof(resp); i++)
		resp[i] = 0xff - i;
	resp[0] = 2;
	resp[1] = resp[2] = resp[3] = 0;

	/* mac1 over the right bytes, with the right key */
	cookie_maker_init(&cm, pub);
	cookie_maker_add_macs(&cm, msg, sizeof(msg), now);
	naive_hash(key, "mac1----", 8, pub, 32);
	naive_mac(mac, key, 32, msg, 116);
	ok(memcmp(msg + 116, mac, 16) == 0,
	    "initiation mac1 = MAC(HASH(\"mac1----\" || pub), bytes 0..115)");
	ok(memcmp(msg + 132, zero, 16) == 0, "no cookie: mac2 is zeros");
	cookie_maker_add_macs(&cm, resp, sizeof(resp), now);
	naive_mac(mac, key, 32, resp, 60);
	ok(memcmp(resp + 60, mac, 16) == 0,
	    "response mac1 = MAC(.., bytes 0..59)");
	ok(memcmp(resp + 76, zero, 16) == 0, "response mac2 zeros");
	ok(memcmp(cm.last_mac1, mac, 16) == 0, "the last mac1 is remembered");
	ok(cookie_verify_mac1(key, msg, sizeof(msg)) == 0 &&
	    cookie_verify_mac1(key, resp, sizeof(resp)) == 0,
	    "cookie_verify_mac1 accepts both");
	ok(cookie_verify_mac1(key, msg, 147) == -1 &&
	    cookie_verify_mac1(key, msg, 64) == -1,
	    "cookie_verify_mac1 refuses other lengths");

	/* the checker */
	cookie_checker_init(&cc, fixed_rng, &rctr);
	ok(cookie_checker_validate(&cc, msg, sizeof(msg), src, 6, 0, now) ==
	    COOKIE_MAC_INVALID, "no key set: invalid");
	cookie_checker_set_key(&cc, pub);
	ok(cookie_checker_validate(&cc, msg, sizeof(msg), src, 6, 0, now) ==
	    COOKIE_MAC_VALID, "good mac1, no load: valid");
	ok(cookie_checker_validate(&cc, resp, sizeof(resp), src, 6, 0, now) ==
	    COOKIE_MAC_VALID, "response too");
	msg[20] ^= 1;
	ok(cookie_checker_validate(&cc, msg, sizeof(msg), src, 6, 0, now) ==
	    COOKIE_MAC_INVALID, "a byte under mac1 changed: invalid");
	msg[20] ^= 1;
	msg[117] ^= 1;
	ok(cookie_checker_validate(&cc, msg, sizeof(msg), src, 6, 1, now) ==
	    COOKIE_MAC_INVALID, "mac1 changed: invalid even under load");
	msg[117] ^= 1;
	msg[140] ^= 1;
	ok(cookie_checker_validate(&cc, msg, sizeof(msg), src, 6, 0, now) ==
	    COOKIE_MAC_VALID, "mac2 is not looked at without load");
	msg[140] ^= 1;
	ok(cookie_checker_validate(&cc, msg, sizeof(msg), src, 6, 1, now) ==
	    COOKIE_MAC_NEED_COOKIE, "under load without mac2: needs a cookie");

	/* the reply */
	rctr = 0xaa;
	ok(cookie_checker_create_reply(&cc, reply, msg, sizeof(msg), src, 6,
	    now) == 0, "cookie reply built");
	ok(wg_msg_type(reply, sizeof(reply)) == WG_MSG_COOKIE &&
	    memcmp(reply + 4, msg + 4, 4) == 0,
	    "reply: type 3, receiver = the message's sender index");
	ok(reply[8] == 0xaa && reply[31] == 0xaa,
	    "reply: 24-byte nonce from the random source");
	naive_mac(cookie, cc.secret, 32, src, 6);
	/* the maker last sent resp: the reply to msg does not match it */
	ok(cookie_maker_consume_reply(&cm, reply, sizeof(reply), now) == -1,
	    "a reply bound to another mac1 is refused");
	cookie_maker_add_macs(&cm, msg, sizeof(msg), now);
	reply[40] ^= 1;
	ok(cookie_maker_consume_reply(&cm, reply, sizeof(reply), now) == -1,
	    "a tampered reply is refused");
	reply[40] ^= 1;
	ok(cookie_maker_consume_reply(&cm, reply, 63, now) == -1,
	    "a short reply is refused");
	ok(cookie_maker_consume_reply(&cm, reply, sizeof(reply), now) == 0 &&
	    cm.has_cookie, "the reply is consumed");
	ok(memcmp(cm.cookie, cookie, 16) == 0,
	    "the cookie is MAC(secret, source address bytes)");
	ok(cookie_maker_consume_reply(&cm, reply, sizeof(reply), now) == -1,
	    "the same reply twice is refused");

	/* mac2 */
	now += SEC;
	cookie_maker_add_macs(&cm, msg, sizeof(msg), now);
	naive_mac(mac, cookie, 16, msg, 132);
	ok(memcmp(msg + 132, mac, 16) == 0,
	    "mac2 = MAC(cookie, bytes 0..131)");
	ok(cookie_checker_validate(&cc, msg, sizeof(msg), src, 6, 1, now) ==
	    COOKIE_MAC_VALID_COOKIE, "under load with mac2: valid");
	ok(cookie_checker_validate(&cc, msg, sizeof(msg), src2, 6, 1, now) ==
	    COOKIE_MAC_NEED_COOKIE, "from another address: needs its own");
	msg[133] ^= 1;
	ok(cookie_checker_validate(&cc, msg, sizeof(msg), src, 6, 1, now) ==
	    COOKIE_MAC_NEED_COOKIE, "a bad mac2: needs a cookie");
	msg[133] ^= 1;

	/* the maker uses a cookie for 120 - 5 s */
	t = cm.cookie_birth;
	cookie_maker_add_macs(&cm, resp, sizeof(resp), t + 114 * SEC);
	ok(memcmp(resp + 76, zero, 16) != 0, "cookie used at 114 s");
	cookie_maker_add_macs(&cm, resp, sizeof(resp), t + 115 * SEC);
	ok(memcmp(resp + 76, zero, 16) == 0, "and not from 115 s");

	/* the checker's secret lives 120 s */
	cookie_maker_add_macs(&cm, msg, sizeof(msg), t + 100 * SEC);
	ok(cookie_checker_validate(&cc, msg, sizeof(msg), src, 6, 1,
	    cc.secret_birth + 119 * SEC) == COOKIE_MAC_VALID_COOKIE,
	    "the secret still holds at 119 s");
	ok(cookie_checker_validate(&cc, msg, sizeof(msg), src, 6, 1,
	    cc.secret_birth + 120 * SEC) == COOKIE_MAC_NEED_COOKIE,
	    "at 120 s a new secret makes old cookies useless");
	memcpy(reply2, reply, sizeof(reply2));
	ok(cookie_checker_create_reply(&cc, reply, msg, sizeof(msg), src, 6,
	    now) == 0 && memcmp(reply2 + 8, reply + 8, 24) != 0,
	    "each reply gets a fresh nonce");

	/* under load */
	memset(&load, 0, sizeof(load));
	ok(cookie_load_update(&load, 0, 1024, now) == 0, "idle: not loaded");
	ok(cookie_load_update(&load, 127, 1024, now) == 0,
	    "below an eighth of the queue: not loaded");
	ok(cookie_load_update(&load, 128, 1024, now) == 1,
	    "an eighth of the queue: loaded");
	ok(cookie_load_update(&load, 0, 1024, now + SEC - 1) == 1,
	    "still loaded within a second");
	ok(cookie_load_update(&load, 0, 1024, now + SEC) == 0,
	    "not after a second");

	cookie_checker_wipe(&cc);
	cookie_maker_wipe(&cm);
	ok(cc.has_key == 0 && cm.has_cookie == 0, "wipe clears both");
	return tap_done();
}
