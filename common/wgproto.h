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
 * The WireGuard wire protocol: message types, sizes, the offset of every
 * field, and the protocol's constants and timers, as the whitepaper
 * ("WireGuard: Next Generation Kernel Network Tunnel", sections 5.4 and
 * 6) and the Linux and Go implementations define them.  Shared by
 * meshd-net (sizes, types, mac offsets) and meshd-crypto (everything).
 *
 * Every message starts with a 32-bit little-endian type whose upper three
 * bytes are zero; multi-byte integers are little-endian.  Messages are
 * parsed by these offsets, never by casting a buffer to a struct.
 */

#ifndef WGPROTO_H
#define WGPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "byteorder.h"

/* Noise parameters */
#define WG_CONSTRUCTION		"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"
#define WG_IDENTIFIER		"WireGuard v1 zx2c4 Jason@zx2c4.com"
#define WG_LABEL_MAC1		"mac1----"
#define WG_LABEL_COOKIE		"cookie--"
#define WG_LABEL_LEN		8

/* sizes of the pieces */
#define WG_PUBLIC_LEN		32	/* X25519 public key */
#define WG_PRIVATE_LEN		32
#define WG_SYMKEY_LEN		32	/* ChaCha20-Poly1305 key, PSK */
#define WG_HASH_LEN		32	/* BLAKE2s-256 */
#define WG_TAG_LEN		16	/* Poly1305 */
#define WG_TAI64N_LEN		12	/* 8 bytes seconds, 4 nanoseconds, BE */
#define WG_COOKIE_LEN		16	/* BLAKE2s-128 MAC */
#define WG_MAC_LEN		16
#define WG_COOKIE_NONCE_LEN	24	/* XChaCha20-Poly1305 */
#define WG_AEAD_LEN(n)		((n) + WG_TAG_LEN)

/* message types (the whole little-endian 32-bit word) */
#define WG_MSG_INITIATION	1
#define WG_MSG_RESPONSE		2
#define WG_MSG_COOKIE		3
#define WG_MSG_DATA		4

/* offsets common to every message */
#define WG_OFF_TYPE		0	/* 1 byte type, 3 bytes zero */

/* handshake initiation, type 1 */
#define WG_INIT_OFF_SENDER	4	/* sender index, 4 */
#define WG_INIT_OFF_EPHEMERAL	8	/* unencrypted ephemeral, 32 */
#define WG_INIT_OFF_STATIC	40	/* encrypted static, 32 + 16 */
#define WG_INIT_OFF_TIMESTAMP	88	/* encrypted TAI64N, 12 + 16 */
#define WG_INIT_OFF_MAC1	116	/* 16 */
#define WG_INIT_OFF_MAC2	132	/* 16 */
#define WG_INIT_LEN		148

/* handshake response, type 2 */
#define WG_RESP_OFF_SENDER	4	/* sender index, 4 */
#define WG_RESP_OFF_RECEIVER	8	/* receiver index, 4 */
#define WG_RESP_OFF_EPHEMERAL	12	/* unencrypted ephemeral, 32 */
#define WG_RESP_OFF_EMPTY	44	/* encrypted nothing, 0 + 16 */
#define WG_RESP_OFF_MAC1	60	/* 16 */
#define WG_RESP_OFF_MAC2	76	/* 16 */
#define WG_RESP_LEN		92

/* cookie reply, type 3 */
#define WG_COOKIE_OFF_RECEIVER	4	/* receiver index, 4 */
#define WG_COOKIE_OFF_NONCE	8	/* 24 */
#define WG_COOKIE_OFF_COOKIE	32	/* encrypted cookie, 16 + 16 */
#define WG_COOKIE_MSG_LEN	64

/* transport data, type 4 */
#define WG_DATA_OFF_RECEIVER	4	/* receiver index, 4 */
#define WG_DATA_OFF_COUNTER	8	/* nonce counter, 8 */
#define WG_DATA_OFF_PAYLOAD	16	/* encrypted padded packet + 16 */
#define WG_DATA_HDR_LEN		16
#define WG_DATA_MIN_LEN		(WG_DATA_HDR_LEN + WG_TAG_LEN)	/* keepalive */
#define WG_DATA_PAD		16	/* plaintext padded to a multiple */
#define WG_DATA_LEN(n)		(WG_DATA_HDR_LEN + (n) + WG_TAG_LEN)

/*
 * In both handshake messages mac1 covers every byte before it and mac2
 * every byte before mac2 (mac1 included): mac1 sits 32 bytes and mac2 16
 * bytes from the end.
 */
#define WG_MAC1_OFF(len)	((len) - 2 * WG_MAC_LEN)
#define WG_MAC2_OFF(len)	((len) - WG_MAC_LEN)

/*
 * Protocol limits (whitepaper 6.1, 6.4), times in nanoseconds to match
 * the engine's monotonic clock.
 */
#define WG_NSEC			1000000000ULL
#define WG_REKEY_AFTER_MESSAGES	(1ULL << 60)
/* 2^64 - 2^13 - 1 */
#define WG_REJECT_AFTER_MESSAGES (UINT64_MAX - (1ULL << 13))
#define WG_REKEY_AFTER_TIME	(120 * WG_NSEC)
#define WG_REJECT_AFTER_TIME	(180 * WG_NSEC)
#define WG_REKEY_ATTEMPT_TIME	(90 * WG_NSEC)
#define WG_REKEY_TIMEOUT	(5 * WG_NSEC)
#define WG_REKEY_TIMEOUT_JITTER	(WG_NSEC / 3)	/* up to 333 ms, random */
#define WG_KEEPALIVE_TIMEOUT	(10 * WG_NSEC)
/* retries after the first initiation before giving up: 90 / 5 = 18 */
#define WG_MAX_TIMER_HANDSHAKES	(WG_REKEY_ATTEMPT_TIME / WG_REKEY_TIMEOUT)
/* everything of a peer is wiped after this long without a new session */
#define WG_ZERO_KEYS_AFTER	(3 * WG_REJECT_AFTER_TIME)
/* a peer's initiations are accepted at most 50 times a second */
#define WG_INITIATIONS_PER_SECOND 50
#define WG_INITIATION_MIN_GAP	(WG_NSEC / WG_INITIATIONS_PER_SECOND)
/* the cookie secret changes, and a received cookie is used, this long */
#define WG_COOKIE_SECRET_MAX_AGE (120 * WG_NSEC)
/* a cookie is not used in its last 5 s, so it is never older than the secret */
#define WG_COOKIE_SECRET_LATENCY (5 * WG_NSEC)
/* "under load" lasts this long after the handshake backlog last was high */
#define WG_UNDER_LOAD_AFTER	(1 * WG_NSEC)

/*
 * The type of a message whose length fits that type (exactly for the
 * three handshake messages, at least a keepalive for data), else 0.  The
 * three bytes after the type must be zero, as in both reference
 * implementations, which compare the whole 32-bit word.
 */
static inline int
wg_msg_type(const uint8_t *msg, size_t len)
{
	uint32_t	type;

	if (len < 4)
		return 0;
	type = wg_get_le32(msg + WG_OFF_TYPE);
	switch (type) {
	case WG_MSG_INITIATION:
		return len == WG_INIT_LEN ? WG_MSG_INITIATION : 0;
	case WG_MSG_RESPONSE:
		return len == WG_RESP_LEN ? WG_MSG_RESPONSE : 0;
	case WG_MSG_COOKIE:
		return len == WG_COOKIE_MSG_LEN ? WG_MSG_COOKIE : 0;
	case WG_MSG_DATA:
		return len >= WG_DATA_MIN_LEN ? WG_MSG_DATA : 0;
	default:
		return 0;
	}
}

#endif /* WGPROTO_H */
