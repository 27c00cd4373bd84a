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
 * WireGuard's cookie mechanism (whitepaper 5.4.4, 5.4.7), the part that
 * needs only public keys, so meshd-net can check macs and answer with
 * cookie replies without ever holding a private key.
 *
 * Responder side, struct cookie_checker (in meshd-net): every handshake
 * message carries mac1 = MAC(HASH("mac1----" || our public key), bytes
 * before mac1); a wrong mac1 means drop without a word.  Under load
 * (the caller decides, see cookie_load_update()) a message must also
 * carry mac2 = MAC(cookie, bytes before mac2), where cookie = MAC(secret,
 * source address bytes) and the secret changes every 120 s; without a
 * good mac2 we answer with a cookie reply (type 3): the cookie sealed
 * with XChaCha20-Poly1305 under HASH("cookie--" || our public key), a
 * random 24-byte nonce, and the message's mac1 as additional data.
 *
 * Initiator side, struct cookie_maker (one per peer, in meshd-crypto):
 * adds mac1 and, while it holds a cookie younger than 120 - 5 s, mac2 to
 * each handshake message it sends, remembering the last mac1; a cookie
 * reply is accepted only if it decrypts with that mac1 as additional
 * data.  Nothing here holds a private key.
 *
 * Times are a monotonic clock in nanoseconds, passed in by the caller.
 */

#ifndef COOKIE_H
#define COOKIE_H

#include <stddef.h>
#include <stdint.h>

#include "wgproto.h"

/* fills buf with len random bytes; 0 on success, -1 on failure */
typedef int	(*cookie_rng_fn)(void *, size_t, void *);

struct cookie_checker {
	uint8_t		 mac1_key[WG_HASH_LEN];
	uint8_t		 cookie_key[WG_HASH_LEN];
	uint8_t		 secret[WG_HASH_LEN];
	uint64_t	 secret_birth;
	int		 has_secret;
	int		 has_key;
	cookie_rng_fn	 rng;
	void		*rng_arg;
};

enum cookie_mac_state {
	COOKIE_MAC_INVALID,	/* not a handshake message or bad mac1: drop */
	COOKIE_MAC_VALID,	/* mac1 good, not under load: process */
	COOKIE_MAC_VALID_COOKIE, /* under load, mac1 and mac2 good: process */
	COOKIE_MAC_NEED_COOKIE	/* under load, no good mac2: send a cookie
				   reply, drop the message */
};

struct cookie_maker {
	uint8_t		 mac1_key[WG_HASH_LEN];
	uint8_t		 cookie_key[WG_HASH_LEN];
	uint8_t		 cookie[WG_COOKIE_LEN];
	uint64_t	 cookie_birth;
	uint8_t		 last_mac1[WG_MAC_LEN];
	uint8_t		 has_cookie;
	uint8_t		 has_last_mac1;
};

/* WireGuard's "under load" with a one-second hold, as both implementations */
struct cookie_load {
	uint64_t	 until;
	int		 active;
};

/* cookie.c */
/* HASH(label || public key): the mac1 key and the cookie key */
void	cookie_derive_key(uint8_t [WG_HASH_LEN], const char *,
	    const uint8_t [WG_PUBLIC_LEN]);
/* mac1 of a 148- or 92-byte handshake message; 0 if it is right, else -1 */
int	cookie_verify_mac1(const uint8_t [WG_HASH_LEN], const uint8_t *,
	    size_t);

/*
 * Responder.  init zeroes the checker (rng NULL: RAND_bytes); set_key
 * takes our public key, again whenever it changes (the secret is kept).
 * Until a key is set every message is COOKIE_MAC_INVALID.
 */
void	cookie_checker_init(struct cookie_checker *, cookie_rng_fn, void *);
void	cookie_checker_set_key(struct cookie_checker *,
	    const uint8_t [WG_PUBLIC_LEN]);
void	cookie_checker_wipe(struct cookie_checker *);
/*
 * msg, len: a whole initiation or response.  src, srclen: the bytes
 * naming the sender's address, the same each time for one address (the
 * kernel's choice: the IP address bytes, then the UDP port big-endian).
 */
enum cookie_mac_state
	cookie_checker_validate(struct cookie_checker *, const uint8_t *,
	    size_t, const void *, size_t, int, uint64_t);
/* the 64-byte reply to msg; 0, or -1 if msg is malformed or rng failed */
int	cookie_checker_create_reply(struct cookie_checker *,
	    uint8_t [WG_COOKIE_MSG_LEN], const uint8_t *, size_t,
	    const void *, size_t, uint64_t);

/* Initiator.  init takes the peer's public key. */
void	cookie_maker_init(struct cookie_maker *,
	    const uint8_t [WG_PUBLIC_LEN]);
void	cookie_maker_wipe(struct cookie_maker *);
/* writes mac1 and mac2 (or zeros) into a 148- or 92-byte message */
void	cookie_maker_add_macs(struct cookie_maker *, uint8_t *, size_t,
	    uint64_t);
/*
 * Takes the cookie from a 64-byte reply whose receiver index the caller
 * matched to this peer.  0 if accepted, -1 if it does not decrypt
 * against the last mac1 we sent (or we sent none since the last cookie).
 */
int	cookie_maker_consume_reply(struct cookie_maker *, const uint8_t *,
	    size_t, uint64_t);

/*
 * backlog: handshake messages waiting to be processed, capacity: the
 * queue's size.  Under load from the moment the backlog reaches an
 * eighth of the capacity until a second after it last did.
 */
int	cookie_load_update(struct cookie_load *, size_t, size_t, uint64_t);

#endif /* COOKIE_H */
