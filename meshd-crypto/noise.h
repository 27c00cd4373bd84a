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
 * The WireGuard protocol engine: Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s
 * handshakes, keypairs, transport data and timers, byte-compatible with
 * WireGuard (whitepaper sections 5 and 6, and what the Linux module and
 * wireguard-go do).  A pure state machine: no sockets, no event library,
 * no clock reads.  Every entry point takes `now', a monotonic clock in
 * nanoseconds; randomness and the TAI64N clock come from hooks that tests
 * replace.  Single-threaded: the caller serialises all calls on a local.
 *
 * Objects
 *   struct noise_local	 our identity: static private and public key,
 *			 the precomputed initial hash and mac1 key, the
 *			 table of peers (by public key) and the table of
 *			 receiver indices.
 *   struct noise_peer	 a peer's public key, PSK, DH(our static, its
 *			 static) precomputed, the last TAI64N accepted and
 *			 the time of the last initiation accepted (replay
 *			 and flood limits), one handshake in progress, the
 *			 keypairs previous/current/next, the cookie maker
 *			 for mac1/mac2, the timers, byte counters.
 *   struct noise_keypair send/receive keys, both indices, send counter,
 *			 replay window, birth time, initiator flag.  Three
 *			 live in each peer; no allocation per handshake.
 *   receiver indices	 random 32-bit, unique across the local, naming a
 *			 handshake in progress or a keypair; a handshake's
 *			 index passes to the keypair it becomes.
 *
 * Exchanges (the caller does the I/O; `out' buffers are exact sizes)
 *   initiator: noise_create_initiation() -> 148 bytes to send.
 *   responder: noise_consume_initiation() names the peer; then
 *	noise_create_response() -> 92 bytes to send.  That derives the
 *	session as the peer's `next' keypair, which cannot send until the
 *	initiator's first data packet confirms it (noise_decrypt() then
 *	makes it current and asks for queued packets to be flushed).
 *   initiator: noise_consume_response() derives the session as the
 *	current keypair (the whitepaper's "begin session" happens inside
 *	create_response/consume_response) and asks for a keepalive, so
 *	the responder gets its confirmation at once.
 *   either: a cookie reply (type 3) goes to noise_consume_cookie(); the
 *	next initiation (the retransmit timer sends it) carries mac2.
 *   noise_encrypt() / noise_decrypt() for type 4.  An empty plaintext is
 *	a keepalive.  encrypt pads to a multiple of 16 (never past the MTU
 *	given); decrypt returns the padded plaintext, the inner IP header
 *	gives the real length.
 *
 * Incoming handshake messages have mac1 checked here too (cheap); mac2
 * and cookie replies are meshd-net's (common/cookie.h), as they need no
 * private key.
 *
 * Actions.  After every call that involves a peer, and when the time
 * noise_peer_next_timer() returns arrives, call noise_peer_poll(): it
 * returns NOISE_ACT_* bits (timers.h) saying what the caller must do:
 * send an initiation, send queued packets or a keepalive, drop the
 * queue, forget the endpoint's source address.  The engine never sends
 * by itself and never queues; a failed noise_encrypt() (NOISE_E_NOKEY)
 * tells the caller to queue the packet, and arranges the handshake.
 *
 * Hygiene.  Ephemeral private keys, chaining keys, DH outputs, handshake
 * keys and every other temporary are wiped with explicit_bzero; every
 * MAC and key comparison is CRYPTO_memcmp; messages are parsed by offset
 * after their length is checked (common/wgproto.h).  struct noise_local
 * and struct noise_peer hold keys: noise_set_allocator() lets the
 * process give them memory it keeps out of core dumps (MADV_DONTDUMP).
 */

#ifndef NOISE_H
#define NOISE_H

#include <sys/types.h>
#include <sys/tree.h>

#include <stddef.h>
#include <stdint.h>

#include "wgproto.h"
#include "cookie.h"
#include "replay.h"
#include "timers.h"

/* results: 0 or one of these (all negative) */
/*
 * How long a previous keypair outlives its successor once the peer sends
 * on the successor: a peer learns of a new session within a handshake's
 * timeout and a keepalive, so nothing it sent on the old one arrives later.
 */
#define NOISE_PREV_KEEP		(WG_REKEY_TIMEOUT + WG_KEEPALIVE_TIMEOUT)

#define NOISE_E_INVAL		-1	/* wrong length or type */
#define NOISE_E_MAC1		-2	/* mac1 wrong: drop silently */
#define NOISE_E_NOKEY		-3	/* no private key; no usable session */
#define NOISE_E_PEER		-4	/* static key of no configured peer */
#define NOISE_E_DECRYPT		-5	/* an AEAD tag did not verify */
#define NOISE_E_REPLAY		-6	/* old timestamp or counter */
#define NOISE_E_FLOOD		-7	/* initiations from a peer too fast */
#define NOISE_E_STATE		-8	/* unknown index, or wrong state */
#define NOISE_E_RATELIMIT	-9	/* an initiation went out < 5 s ago */
#define NOISE_E_EXPIRED		-10	/* keypair too old or worn out */
#define NOISE_E_DH		-11	/* X25519 gave all zeros */
#define NOISE_E_RNG		-12	/* random source failed */
#define NOISE_E_SPACE		-13	/* output buffer too small */
#define NOISE_E_NOPSK		-14	/* the peer's preshared key is missing */
#define NOISE_E_ENCRYPT		-15	/* the AEAD failed to encrypt */
#define NOISE_E_CROSSED		-16	/* crossed our own initiation, and
					   ours wins (noise_peer_set_crossed) */
#define NOISE_E_STALE		-17	/* an initiation's timestamp is
					   further from our clock than
					   noise_local_set_max_age() lets */

/* the largest padded plaintext of a data message (a packet channel's) */
#define NOISE_DATA_MAX		65536

/* fills a buffer with random bytes: 0, or -1 on failure */
typedef int	(*noise_rng_fn)(void *, size_t, void *);
/* the current TAI64N time (12 bytes) */
typedef void	(*noise_tai64n_fn)(uint8_t [WG_TAI64N_LEN], void *);

enum noise_hs_state {
	NOISE_HS_ZEROED,
	NOISE_HS_CREATED_INITIATION,
	NOISE_HS_CONSUMED_INITIATION,
	NOISE_HS_CREATED_RESPONSE,	/* transient: session derived at once */
	NOISE_HS_CONSUMED_RESPONSE	/* transient: session derived at once */
};

struct noise_peer;
struct noise_keypair;

struct noise_index {
	RB_ENTRY(noise_index)	 entry;
	uint32_t		 id;
	uint8_t			 live;		/* in the table */
	struct noise_peer	*peer;
	struct noise_keypair	*keypair;	/* NULL: the peer's handshake */
};
RB_HEAD(noise_index_tree, noise_index);

struct noise_handshake {
	enum noise_hs_state	 state;
	uint32_t		 remote_index;
	uint8_t			 e_priv[WG_PRIVATE_LEN];
	uint8_t			 e_remote[WG_PUBLIC_LEN];
	uint8_t			 hash[WG_HASH_LEN];
	uint8_t			 ck[WG_HASH_LEN];
	struct noise_index	 idx;		/* our sender index */
};

struct wg_aead_ctx;		/* common/wgcrypto.h */

struct noise_keypair {
	uint32_t		 remote_index;	/* receiver index we send to */
	uint8_t			 send_key[WG_SYMKEY_LEN];
	uint8_t			 recv_key[WG_SYMKEY_LEN];
	/*
	 * Cipher contexts keyed once, made on first use (unless
	 * noise_set_cipherctx(0)): each packet then only sets its nonce.
	 * OpenSSL keeps a copy of the key in its own heap of this
	 * process; noise_keypair_drop() wipes and frees them.
	 */
	struct wg_aead_ctx	*send_ctx;
	struct wg_aead_ctx	*recv_ctx;
	uint64_t		 send_counter;	/* next nonce */
	uint64_t		 birth;
	struct replay_window	 replay;
	uint8_t			 initiator;
	uint8_t			 send_valid;
	uint8_t			 recv_valid;
	struct noise_index	 idx;		/* index of data sent to us */
};

struct noise_local;

struct noise_peer {
	RB_ENTRY(noise_peer)	 entry;
	struct noise_local	*local;
	void			*arg;		/* the caller's */
	uint8_t			 pub[WG_PUBLIC_LEN];
	uint8_t			 psk[WG_SYMKEY_LEN];	/* zeros: none */
	uint8_t			 psk_missing;	/* configured, never given */
	uint8_t			 ss[WG_PUBLIC_LEN];	/* DH(static, static) */
	uint8_t			 ss_ok;
	uint8_t			 init_hash[WG_HASH_LEN]; /* ..with its key */
	uint8_t			 last_ts[WG_TAI64N_LEN];
	uint64_t		 last_init;	/* initiation accepted at */
	uint8_t			 has_last_init;
	struct noise_handshake	 hs;
	/*
	 * Keypairs, allocated when a session is derived and released
	 * (wiped) when dropped: at most three, mostly one.  A coordinator
	 * with thousands of members holds one each, not three.
	 */
	struct noise_keypair	*prev, *cur, *next;
	struct cookie_maker	 cm;
	struct noise_timers	 timers;
	uint32_t		 actions;	/* NOISE_ACT_* pending */
	/* for the caller to read */
	uint64_t		 rx_bytes;	/* authenticated messages */
	uint64_t		 tx_bytes;	/* messages built */
	uint64_t		 last_handshake; /* `now' of the last one */
	uint8_t			 has_handshake;
	uint8_t			 crossed_keep;	/* noise_peer_set_crossed */
};
RB_HEAD(noise_peer_tree, noise_peer);

struct noise_local {
	uint8_t			 priv[WG_PRIVATE_LEN];
	uint8_t			 pub[WG_PUBLIC_LEN];
	uint8_t			 has_key;
	uint8_t			 init_ck[WG_HASH_LEN];	 /* HASH(CONSTRUCT.) */
	uint8_t			 init_hash[WG_HASH_LEN]; /* .. || IDENTIFIER */
	uint8_t			 self_hash[WG_HASH_LEN]; /* .. || our pub */
	uint8_t			 mac1_key[WG_HASH_LEN];
	struct noise_peer_tree	 peers;
	struct noise_index_tree	 indices;
	size_t			 npeers;
	size_t			 nindices;	/* live handshakes + keypairs */
	noise_rng_fn		 rng;
	void			*rng_arg;
	noise_tai64n_fn		 tai64n;
	void			*tai64n_arg;
	/* the static key of the last initiation of no peer (NOISE_E_PEER) */
	uint8_t			 unknown_pub[WG_PUBLIC_LEN];
	uint32_t		 max_age;	/* s; 0: any timestamp */
	/* random bytes for timer jitter, drawn 64 at a time (noise_jitter) */
	uint8_t			 jitter_pool[64];
	uint8_t			 jitter_left;
};

/*
 * Memory for struct noise_local and struct noise_peer (which hold keys).
 * alloc returns len bytes or NULL; release gets the same len back, after
 * the engine wiped the memory.  Default: calloc/freezero.  Set it before
 * creating anything.
 */
void	 noise_set_allocator(void *(*)(size_t), void (*)(void *, size_t));
/*
 * 1 (the default): a cipher context per keypair and direction; 0: a
 * one-shot AEAD per packet, keyed from the keypair each time.  Set it
 * before any session exists.
 */
void	 noise_set_cipherctx(int);

struct noise_local *noise_local_new(void);
void	 noise_local_free(struct noise_local *);	/* and its peers */
/*
 * Sets (NULL: clears) the static private key; recomputes every peer's
 * DH(static, static) and, as wg(8) does, drops handshakes in progress,
 * stops sending on the current keypairs and lifts the one-initiation-
 * per-REKEY_TIMEOUT limit, so a new handshake may start at once.
 * 0, or NOISE_E_DH.
 */
int	 noise_local_set_private(struct noise_local *,
	    const uint8_t [WG_PRIVATE_LEN]);
/* 0 and the public key, or NOISE_E_NOKEY */
int	 noise_local_public(const struct noise_local *,
	    uint8_t [WG_PUBLIC_LEN]);
/*
 * Hooks (NULL: the default, RAND_priv_bytes and wg_tai64n()).  The
 * engine draws, in this order: an initiation: ephemeral private key (32),
 * sender index (4, again on a clash), retransmit jitter (4); a response:
 * ephemeral (32), sender index (4); data sent after a quiet spell: the
 * new-handshake jitter (4).
 */
void	 noise_local_set_rng(struct noise_local *, noise_rng_fn, void *);
/*
 * An initiation consumed from now on must carry a timestamp within
 * seconds of our clock (the tai64n function's), either way, or it is
 * refused (NOISE_E_STALE); 0, the default, takes any.  WireGuard refuses
 * only a timestamp no newer than the last it took from the peer, so one
 * it never saw (a censor dropped it) is answered when replayed, however
 * late: an obfuscated node must not answer a prober so.
 */
void	 noise_local_set_max_age(struct noise_local *, uint32_t);
void	 noise_local_set_tai64n(struct noise_local *, noise_tai64n_fn,
	    void *);

/*
 * A peer by its public key; arg is the caller's (e.g. its peer id).
 * NULL with errno EEXIST if the key is taken, ENOMEM.  A peer with our
 * own public key is kept but never completes a handshake.
 */
struct noise_peer *noise_peer_new(struct noise_local *,
	    const uint8_t [WG_PUBLIC_LEN], void *);
void	 noise_peer_free(struct noise_peer *);		/* wipes it */
struct noise_peer *noise_peer_lookup(struct noise_local *,
	    const uint8_t [WG_PUBLIC_LEN]);
/* NULL: no PSK (all zeros, as WireGuard) */
void	 noise_peer_set_psk(struct noise_peer *, const uint8_t [WG_SYMKEY_LEN]);
/*
 * The peer is configured with a PSK that we do not have: wipe its
 * sessions; it neither starts nor accepts a handshake (NOISE_E_NOPSK)
 * until noise_peer_set_psk() gives it one.  Zeros are never used instead.
 */
void	 noise_peer_set_psk_missing(struct noise_peer *);
/* persistent keepalive in seconds, 0 off; may ask for a keepalive now */
void	 noise_peer_set_keepalive(struct noise_peer *, uint16_t, uint64_t);
/*
 * Simultaneous open (NAT hole punching: both sides initiate at once): an
 * initiation that crosses our own is refused (NOISE_E_CROSSED) when our
 * static key is the lower, so that one handshake completes instead of
 * each side answering the other's and neither having a session to send
 * on.  The side with the higher key answers ours as usual.  Only for
 * NOISE_CROSSED_WINDOW after ours went: it may never arrive.
 */
#define NOISE_CROSSED_WINDOW	(1000000000ULL)
void	 noise_peer_set_crossed(struct noise_peer *, int);
/* wipe the handshake and every keypair of the peer */
void	 noise_peer_clear(struct noise_peer *);
/* 1 if noise_encrypt() would have a key now */
int	 noise_peer_can_send(const struct noise_peer *, uint64_t);
/*
 * Packets wait for the peer: asks for a flush if a session can send,
 * else for an initiation unless one is already in flight (its
 * retransmit timer carries on).  Then poll.
 */
void	 noise_peer_want_session(struct noise_peer *, uint64_t);

/* the NOISE_ACT_* due now; clears them */
uint32_t noise_peer_poll(struct noise_peer *, uint64_t);
/* when to poll next (monotonic ns); UINT64_MAX: no timer armed */
uint64_t noise_peer_next_timer(const struct noise_peer *);

int	 noise_create_initiation(struct noise_peer *, uint64_t,
	    uint8_t [WG_INIT_LEN]);
/* NOISE_E_PEER: the static key it carried is in l->unknown_pub */
int	 noise_consume_initiation(struct noise_local *, const uint8_t *,
	    size_t, uint64_t, struct noise_peer **);
int	 noise_create_response(struct noise_peer *, uint64_t,
	    uint8_t [WG_RESP_LEN]);
/* on failure too, *pp names the peer whose initiation it answered */
int	 noise_consume_response(struct noise_local *, const uint8_t *,
	    size_t, uint64_t, struct noise_peer **);
int	 noise_consume_cookie(struct noise_local *, const uint8_t *, size_t,
	    uint64_t, struct noise_peer **);
/*
 * Plaintext (len 0: keepalive) -> a type 4 message in out, *outlen set.
 * mtu: pad no further than this (0: no limit).  outsize must be at least
 * noise_encrypt_size(len, mtu), and a plaintext that needs padding may
 * pad to at most NOISE_DATA_MAX (else NOISE_E_SPACE).  NOISE_E_NOKEY:
 * queue and poll.  out may be memory another process reads (a crypto ->
 * net ring slot): only the header and ciphertext are ever written to it,
 * the padded plaintext is staged in the engine's private memory.  pt
 * must not overlap out.
 */
size_t	 noise_encrypt_size(size_t, size_t);
int	 noise_encrypt(struct noise_peer *, uint64_t, const uint8_t *,
	    size_t, size_t, uint8_t *, size_t, size_t *);
/*
 * A type 4 message -> padded plaintext in out (outsize >= len - 32, and
 * len - 32 <= NOISE_DATA_MAX), *outlen (0: a keepalive) and the peer it
 * came from.  out must not overlap msg.  out may be memory another
 * process reads (a crypto -> tun ring slot): it is written only with
 * plaintext that passed the tag and the replay window, never with
 * unauthenticated output, and is left untouched on any error.  On an
 * error after the receiver index matched, *peer is the peer that index
 * belongs to: not authenticated, only for counting the drop; else it is
 * left NULL.
 */
int	 noise_decrypt(struct noise_local *, const uint8_t *, size_t,
	    uint64_t, struct noise_peer **, uint8_t *, size_t, size_t *);

const char *noise_strerror(int);

#endif /* NOISE_H */
