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
 * WebSocket framing (RFC 6455 section 5) and the handshake's
 * Sec-WebSocket-Accept (section 4.2.2), as a relay and its clients use
 * them: binary frames carrying whole WireGuard datagrams, plus the
 * control frames.  No extensions, so the RSV bits must be clear.  A
 * pure codec: no sockets, no allocation.
 *
 * Frame header (big-endian):
 *	0	1	FIN (0x80), RSV1-3 (0x70), opcode (0x0f)
 *	1	1	MASK (0x80), payload length 0..125, or 126 (a 16-bit
 *			length follows) or 127 (a 64-bit length follows)
 *	..	0/2/8	extended length, the shortest form only
 *	..	0/4	masking key, if MASK
 * then the payload.  Frames from a client are masked, from a server
 * not (section 5.1): the parser is told which side it reads.
 */

#ifndef WS_H
#define WS_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

/* a whole WireGuard datagram with room to spare; larger frames are bad */
#define WS_PAYLOAD_MAX		(65535 + 64)
/* the longest header: 2 + 8 (length) + 4 (mask) */
#define WS_HDR_MAX		14
/* a control frame's payload at most (section 5.5) */
#define WS_CONTROL_MAX		125

#define WS_OP_CONT		0x0
#define WS_OP_TEXT		0x1
#define WS_OP_BINARY		0x2
#define WS_OP_CLOSE		0x8
#define WS_OP_PING		0x9
#define WS_OP_PONG		0xa
#define WS_OP_IS_CONTROL(op)	(((op) & 0x8) != 0)

/* close codes (section 7.4.1) meshd sends */
#define WS_CLOSE_NORMAL		1000
#define WS_CLOSE_GOING_AWAY	1001
#define WS_CLOSE_PROTOCOL	1002
#define WS_CLOSE_TOO_BIG	1009

/* Sec-WebSocket-Key: base64 of 16 bytes; Sec-WebSocket-Accept: of 20 */
#define WS_KEY_LEN		24
#define WS_ACCEPT_LEN		28

/* ws_parse(): which side reads, so which masking is required */
#define WS_SERVER		0	/* reads a client's frames: masked */
#define WS_CLIENT		1	/* reads a server's frames: unmasked */

/* ws_parse() */
#define WS_MORE			0
#define WS_BAD			(-1)

struct ws_frame {
	int		 fin;
	uint8_t		 opcode;
	int		 masked;
	uint8_t		 mask[4];
	size_t		 hdrlen;	/* the payload starts here */
	size_t		 len;		/* payload length */
};

/*
 * One frame at the front of buf, read by side (WS_SERVER or WS_CLIENT).
 * Returns the whole frame's length (hdrlen + len) when all of it is in
 * buf, WS_MORE when more bytes are needed, or WS_BAD with *why set
 * (RSV bits, a reserved opcode, the wrong masking for the side, a
 * length not in its shortest form or over WS_PAYLOAD_MAX, a fragmented
 * or long control frame, a close payload of one byte).  The payload is
 * left masked: see ws_unmask().
 */
ssize_t		 ws_parse(const uint8_t *, size_t, int, struct ws_frame *,
		    const char **);
/*
 * XOR len bytes in place with the masking key, starting at byte off of
 * the payload (so a payload may be unmasked in pieces); masking and
 * unmasking are the same operation.
 */
void		 ws_unmask(uint8_t *, size_t, const uint8_t [4], size_t);
/*
 * Write a frame header for a payload of len bytes: masked with mask if
 * it is not NULL (a client), else unmasked (a server).  Returns the
 * header's length (2..WS_HDR_MAX), or -1 if len is over WS_PAYLOAD_MAX,
 * a control frame is too long or not final, or outlen is too short.
 * The caller masks the payload itself (ws_unmask()) when it sent a mask.
 */
ssize_t		 ws_header(uint8_t *, size_t, int, uint8_t, const uint8_t *,
		    size_t);
/*
 * A whole frame: header then payload (masked if mask is not NULL) into
 * out.  Its length, or -1 as ws_header() or if it does not fit.
 */
ssize_t		 ws_build(uint8_t *, size_t, int, uint8_t, const uint8_t *,
		    const uint8_t *, size_t);
/*
 * A close frame's payload: 0 if it is empty (*code 1005, "no status")
 * or holds a code a peer may send and a UTF-8 reason, else -1 with *why.
 */
int		 ws_close_parse(const uint8_t *, size_t, uint16_t *,
		    const char **);
/*
 * 1 if the key is a valid Sec-WebSocket-Key: base64 of exactly 16
 * bytes (section 4.1), 24 characters with "==" at the end.
 */
int		 ws_key_valid(const uint8_t *, size_t);
/*
 * Sec-WebSocket-Accept for a key: base64(SHA-1(key || GUID)), written
 * NUL-terminated to out (WS_ACCEPT_LEN + 1 bytes).  0, or -1 if the key
 * is not valid or libcrypto fails.
 */
int		 ws_accept(const uint8_t *, size_t, char [WS_ACCEPT_LEN + 1]);

struct http_req;
/*
 * A client's opening handshake (section 4.2.1) in a parsed head: GET,
 * HTTP/1.1 or later, Host, Upgrade holding "websocket", Connection
 * holding "Upgrade", one valid Sec-WebSocket-Key, Sec-WebSocket-Version
 * 13.  0 with the key's accept value in accept, or -1 with *why.  The
 * path is the caller's to check.
 */
int		 ws_upgrade_check(const struct http_req *,
		    char [WS_ACCEPT_LEN + 1], const char **);
/*
 * The server's 101 answer with that accept value (and protocol, if not
 * NULL, as Sec-WebSocket-Protocol) into out: its length, or -1 if it
 * does not fit.
 */
ssize_t		 ws_upgrade_reply(char *, size_t, const char *, const char *);

#endif /* WS_H */
