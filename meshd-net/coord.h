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
 * The coordination protocol: messages between a member and a coordinator,
 * carried as the plaintext of Noise transport messages (never to a plain
 * WireGuard peer).  Integers big-endian.  man meshd(8), COORDINATION
 * PROTOCOL, says the same for operators.
 *
 * Header:
 *	0	1	COORD_MARK: 0xc1.  Its high nibble is no IP version,
 *			so neither end takes it for a packet; the low nibble
 *			is the protocol version, 1
 *	1	1	type (enum coord_type)
 *	2	2	body length; header and body at most COORD_MAX
 *	4	...	body
 * then only zero bytes, fewer than 16 (the transport message's padding).
 *
 * Bodies, each exact (no byte more or less):
 *	REGISTER (member -> coordinator): one record.
 *	ENTRY (coordinator -> member): one or more records back to back
 *		(at most COORD_MAX_RECS: as many as fit in COORD_MAX), so
 *		that a directory takes few messages.  A record that breaks
 *		a rule below or is cut short, or bytes after the last that
 *		make no whole record, refuse the whole message; whether a
 *		certificate verifies is the receiver's matter, per record.
 *	A record:
 *		8	seq: the record's version, newest wins (the member's
 *			wall clock in ns when it made the record)
 *		2	certificate length (CERT_MIN..CERT_MAX), then the
 *			certificate (cert.h)
 *		1	candidates (0..COORD_MAX_CAND), each:
 *			1	kind in the high nibble (enum coord_cand_kind),
 *				family in the low one (4 or 6); RELAY and
 *				HOME are TCP addresses, no UDP endpoints
 *			2	port (not 0)
 *			4 or 16	address
 *		1	announced routes: 0xff (COORD_ANN_ALL) all of the
 *			certificate's, else a count (0..COORD_MAX_ANN), each:
 *			1	family (4 or 6)
 *			1	prefix length (at most 32 or 128)
 *			4 or 16	address, no bit set past the length
 *			Whether each lies inside a certificate route is
 *			crypto's matter (admit.c), as the certificate is.
 *		1	flags: COORD_REC_OBFS (0x01) the member speaks the
 *			obfuscated format (meshd-net/obfs.h) and wants
 *			members whose mesh says obfuscation on to speak it
 *			to it; other bits are ignored (later versions')
 *			flags)
 *	DIR_END (coordinator -> member): the full directory was sent; also
 *		after a PONG, as a check of what came (coordinate.c)
 *		4	records it held (not ENTRY messages)
 *		8	epoch: the coordinator's, random at its start
 *	CRL_PART (coordinator -> member): part of the revocation list
 *		8	serial (>= 1)
 *		4	total length (CRL_MIN..CRL_MAX)
 *		4	offset of this part
 *		2	length of this part (1..COORD_CRL_PART_MAX), then the bytes;
 *			offset + length <= total
 *	PING (member -> coordinator):
 *		8	nonce
 *	PONG (coordinator -> member):
 *		8	nonce, as in the PING
 *		8	epoch, as in DIR_END
 *	CONNECT (member -> coordinator): we want a direct path to a member
 *		32	its public key (its certificate's)
 *	CALL_ME (coordinator -> member): punch a path to a member now; the
 *		coordinator sends one to each side at once, each with the
 *		other's candidates
 *		32	the other member's public key
 *		8	attempt id (the same in both), for the logs
 *		1	candidates (0..COORD_MAX_CAND), each as in a record
 * Member to member (the only types a member takes from another member,
 * or sends one: crypto checks the type byte, MESH_COORD_KA_* in meshd.h).
 * The keepalive measurement of a path (keepalive.c says how):
 *	KA_ASK: send nothing to me for this long, then a KA_PROBE
 *		8	nonce
 *		4	idle time in ms (COORD_KA_MIN_MS..COORD_KA_MAX_MS)
 *	KA_PROBE: the answer, after the asker's silence
 *		8	nonce, as in the KA_ASK
 *		4	ms the sender had sent nothing to the asker before
 *			this (0: it could not serve the KA_ASK)
 */

#ifndef COORD_H
#define COORD_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "meshd.h"

#define COORD_MARK		MESH_COORD_MARK		/* meshd.h */
#define COORD_HDR_LEN		MESH_COORD_HDR
#define COORD_MAX		MESH_COORD_MAX
#define COORD_MAX_CAND		8
#define COORD_CRL_PART_MAX	768
/* seq, cert length, ncand, the announced routes' count */
#define COORD_REC_FIXED		(8 + 2 + 1 + 1 + 1)
#define COORD_MAX_ANN		MESH_CERT_ROUTES
#define COORD_ANN_ALL		0xff
/* a record's flags */
#define COORD_REC_OBFS		0x01	/* speak to me obfuscated */
/* records in an ENTRY: as many of the shortest as fit (coord.c checks) */
#define COORD_MAX_RECS		7
#define CRL_MIN			(24 + 2 + 4 + 64)
#define COORD_KA_MIN_MS		100
#define COORD_KA_MAX_MS		600000

enum coord_type {
	COORD_REGISTER = 1,
	COORD_ENTRY,
	COORD_DIR_END,
	COORD_CRL_PART,
	COORD_PING,
	COORD_PONG,
	COORD_CONNECT,
	COORD_CALL_ME,
	COORD_KA_ASK = MESH_COORD_KA_ASK,	/* 9 */
	COORD_KA_PROBE = MESH_COORD_KA_PROBE,	/* 10 */
	COORD_TYPE_MAX
};

/*
 * Where a candidate came from: what its owner knows of itself (an
 * address of its own, a reflexive one a STUN server saw, a mapping its
 * gateway made) or what a coordinator saw (the source a REGISTER came
 * from).  Informational: a path through it is named after it.
 */
enum coord_cand_kind {
	COORD_CAND_LOCAL = 0,		/* an address of the member's own */
	COORD_CAND_REFLEXIVE,		/* STUN: a NAT's outside address */
	COORD_CAND_MAPPED,		/* NAT-PMP / PCP: a gateway mapping */
	COORD_CAND_OBSERVED,		/* a coordinator saw it register from */
	COORD_CAND_RELAY,		/* serve relay: a TCP address (port:
					   the relay's TLS port), no UDP */
	COORD_CAND_HOME,		/* the member's home relay: that
					   relay's TCP address as the member
					   dials it (relay.c), no UDP */
	COORD_CAND_KINDS
};

/* an endpoint candidate: af 4 or 6 */
struct coord_cand {
	uint8_t		 af;
	uint8_t		 kind;		/* enum coord_cand_kind */
	uint16_t	 port;
	uint8_t		 addr[16];
};

/* a member's record; cert points into the message (or the sender's copy) */
struct coord_record {
	uint64_t	 seq;
	const uint8_t	*cert;
	size_t		 certlen;
	size_t		 ncand;
	struct coord_cand cand[COORD_MAX_CAND];
	/* routes announced: all of the certificate's, or these nann */
	int		 ann_all;
	size_t		 nann;
	struct mesh_prefix ann[COORD_MAX_ANN];
	uint8_t		 flags;		/* COORD_REC_* */
};

/* a decoded message; the fields its type has are set, pointers into buf */
struct coord_msg {
	enum coord_type	 type;
	/* REGISTER: nrec 1; ENTRY: 1..COORD_MAX_RECS */
	size_t		 nrec;
	struct coord_record rec[COORD_MAX_RECS];
	/* DIR_END */
	uint32_t	 count;
	/* DIR_END, PONG */
	uint64_t	 epoch;
	/* PING, PONG, KA_ASK, KA_PROBE */
	uint64_t	 nonce;
	/* KA_ASK (idle), KA_PROBE (silent) */
	uint32_t	 ms;
	/* CRL_PART */
	uint64_t	 serial;
	uint32_t	 total;
	uint32_t	 offset;
	const uint8_t	*data;
	size_t		 datalen;
	/* CONNECT, CALL_ME */
	uint8_t		 key[32];
	/* CALL_ME */
	uint64_t	 attempt;
	size_t		 ncand;
	struct coord_cand cand[COORD_MAX_CAND];
};

/* 1 if c is a UDP endpoint: not a relay's TCP address (RELAY, HOME) */
int	 coord_cand_udp(const struct coord_cand *);
/* 1 if the plaintext is a coordination message (by its first byte) */
int	 coord_is_coord(const uint8_t *, size_t);
/* 0, or -1 with *why a short reason ("body length 9, want 8") */
int	 coord_decode(const uint8_t *, size_t, struct coord_msg *,
	    const char **);
/* the message's length in buf (no padding), or -1 if it breaks a rule */
ssize_t	 coord_encode(const struct coord_msg *, uint8_t *, size_t);
/*
 * Packing an ENTRY (or the one record of a REGISTER): 1 if r was added
 * to m, 0 if m has no room left for it (send m, start another), -1 if
 * r breaks a rule.
 */
int	 coord_add_record(struct coord_msg *, const struct coord_record *);
/* the bytes r takes in a body, or 0 if it breaks a rule */
size_t	 coord_record_len(const struct coord_record *);
/* "REGISTER", ... or "unknown" */
const char *coord_type_name(unsigned int);

#endif /* COORD_H */
