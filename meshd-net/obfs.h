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
 * The obfuscated wire format between meshd members (meshd.conf(5),
 * OBFUSCATION): a WireGuard message masked with a keyed stream and
 * padded, so that no byte at any offset and no length is fixed.  Pure
 * functions of their inputs but for the randomness of padding, tested
 * and fuzzed alone; meshd-net's net.c decides when to use them.
 *
 * The key comes from the mesh's name and its admin's public key: anyone
 * who holds a member's configuration can take the mask off.  It hides
 * WireGuard from those who do not; the confidentiality is WireGuard's.
 *
 * A datagram, from a message M of n bytes whose first byte is its type:
 *	data (type 4):	M[0..16) masked | M[16..n-16) | pad | M[n-16..n)
 *	others:		M masked | pad | nonce (16 random bytes)
 * The last 16 bytes are the nonce of the mask (a data message's is its
 * Poly1305 tag, random already); the mask is the keystream
 * ChaCha8(key, nonce ^ le32(block)), 64 bytes a block.  In the masked
 * header, byte 0 is the type, bytes 1 and 2 the padding's length
 * (little-endian: WireGuard's reserved bytes, zero again once opened)
 * and byte 3 stays zero.  A handshake message is masked whole (its
 * ephemeral key is a curve point, telling by itself); a data message's
 * body is ciphertext already.
 */

#ifndef OBFS_H
#define OBFS_H

#include <stddef.h>
#include <stdint.h>

#define OBFS_KEY_LEN	32
#define OBFS_NONCE_LEN	16
#define OBFS_PAD_MAX	1024	/* padding a datagram may carry */
/* the longest datagram padding makes: fits a 1500-byte IPv6 path */
#define OBFS_DGRAM_MAX	1452

/* a padding distribution: uniform over min..max bytes */
struct obfs_range {
	uint16_t	min, max;
};

/* the key of a mesh: from its name and its admin's Ed25519 key */
void	obfs_key(uint8_t [OBFS_KEY_LEN], const char *, const uint8_t [32]);

/*
 * The datagram for the WireGuard message msg, len bytes, with pad bytes
 * of padding, into out (room outlen): its length, or 0 when msg is no
 * message of a known type and length or out has no room.
 */
size_t	obfs_seal(const uint8_t [OBFS_KEY_LEN], const uint8_t *, size_t,
	    size_t, uint8_t *, size_t);

/*
 * The WireGuard message inside datagram dgram, len bytes, into out (room
 * outlen): its length, or 0 when dgram is none of ours (random bytes, a
 * plain message, a datagram cut short or changed in its header).  A
 * message that opens is only as good as what checks it next (mac1, the
 * AEAD tag): the mask authenticates nothing.
 */
size_t	obfs_open(const uint8_t [OBFS_KEY_LEN], const uint8_t *, size_t,
	    uint8_t *, size_t);

/*
 * How much padding for a datagram of len bytes without it: drawn from r,
 * no more than takes the datagram past max (and never past
 * OBFS_PAD_MAX), and never so much that it is 92 or 148 bytes long, the
 * lengths of WireGuard's handshake messages, by which alone classifiers
 * (Wireshark's) take a datagram for one.
 */
size_t	obfs_pad(const struct obfs_range *, size_t, size_t);

/*
 * A prelude: the datagram sent before a handshake initiation, the first
 * of its flow, whose bytes meet one of the exemptions of the rule by
 * which fully encrypted traffic was blocked (Wu et al., USENIX Security
 * 2023): its first 6 bytes printable, or more than half of them, or a
 * run of more than 20, or an average popcount per byte at most 3.4 or
 * at least 4.6.  Which, its length (drawn from r, within outlen) and
 * its bytes are drawn at random each time, so that it has no pattern of
 * its own.  The receiver finds it none of ours and drops it.  Returns
 * its length.
 */
size_t	obfs_prelude(uint8_t *, size_t, const struct obfs_range *);

/* the exemptions, as a censor's rule tests them (tests, the fuzzer) */
#define OBFS_EX_PRINT6		0x01	/* first 6 bytes printable */
#define OBFS_EX_HALF		0x02	/* more than 50% printable */
#define OBFS_EX_RUN		0x04	/* more than 20 printable in a row */
#define OBFS_EX_POPLOW		0x08	/* popcount per byte <= 3.4 */
#define OBFS_EX_POPHIGH		0x10	/* popcount per byte >= 4.6 */
int	obfs_exempt(const uint8_t *, size_t);

#endif /* OBFS_H */
