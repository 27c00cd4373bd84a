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
 * The relay protocol's pieces that are pure functions (relay_wire.c),
 * for relay.c, its unit test and its fuzz target.
 *
 * The upgrade a member sends (over TLS to the relay):
 *	GET /<relay_secret_path()> HTTP/1.1
 *	Host, Upgrade: websocket, Connection: Upgrade,
 *	Sec-WebSocket-Key, Sec-WebSocket-Version: 13,
 *	Meshd-Key: <the member's public key, base64>
 *	Meshd-Proof: <MESH_PROOF_CLIENT's MAC, base64>
 * and the relay's answer, if it admits it:
 *	HTTP/1.1 101 Switching Protocols
 *	Upgrade, Connection, Sec-WebSocket-Accept,
 *	Meshd-Proof: <MESH_PROOF_RELAY's MAC, base64>
 * Then binary frames: member -> relay, the destination's 32-byte public
 * key and one WireGuard datagram; relay -> member, the source's key and
 * the datagram.
 */

#ifndef RELAY_H
#define RELAY_H

#include <sys/types.h>
#include <stdint.h>

#include "meshd.h"
#include "ws.h"

#define RELAY_HDR_KEY		"Meshd-Key"
#define RELAY_HDR_PROOF		"Meshd-Proof"
/* the client's certificate, base64: a relay admits a member it does not
   know yet (a stranger) on it, to reach coordinators only */
#define RELAY_HDR_CERT		"Meshd-Certificate"
#define RELAY_PATH_LEN		33	/* "/" and 32 hex digits */
#define RELAY_101_MAX		4096	/* the answer's head at most */
#define RELAY_LISTEN_FDS	8	/* RELAY_LISTEN_MAX */
#define RELAY_SITE_FILES	64
#define NET_DGRAM_MAX		2048	/* NET_RXBUF: larger are not ours */

/* relay_parse_101()'s findings */
struct relay_101 {
	char		accept[WS_ACCEPT_LEN + 1];
	uint8_t		proof[32];
};

/* what a relay counts */
struct relay_stats {
	uint64_t	forwarded;	/* frames passed on */
	uint64_t	drop_unknown;	/* to a member not connected */
	uint64_t	drop_slow;	/* its reader's backlog was full */
	uint64_t	drop_malformed;
	uint64_t	drop_full;	/* connections over the bound */
	uint64_t	members;	/* upgrades admitted */
	uint64_t	refused;	/* upgrades with a wrong proof */
	uint64_t	web;		/* requests the web site answered */
};

/*
 * The answer to an upgrade at the front of buf: its head's length with
 * *r filled in, 0 if more bytes are needed, -1 if it is not a 101 with
 * a Sec-WebSocket-Accept and a proof (or longer than RELAY_101_MAX).
 */
ssize_t	 relay_parse_101(const uint8_t *, size_t, struct relay_101 *);
/*
 * A RELAY_HDR_CERT value (base64, padded) decoded into out: its length
 * (1 to MESH_CERT_MAX), or -1 if it is not that
 */
ssize_t	 relay_parse_cert(const uint8_t *, size_t, uint8_t [MESH_CERT_MAX]);
/* the relay's secret path from the mesh's admin key and its own key */
void	 relay_secret_path(const uint8_t [32], const uint8_t [32],
	    char [RELAY_PATH_LEN + 1]);

#endif /* RELAY_H */
