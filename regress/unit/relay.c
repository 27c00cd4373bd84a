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
 * The relay protocol's pure parts (meshd-net/relay_wire.c,
 * common/relayproof.c): the 101 a member reads, whole, in pieces and
 * refused; the secret path (per mesh and per relay, not guessable from
 * either key alone); the proof's MAC (per speaker, per connection, per
 * key pair, both sides of the DH agreeing).
 */

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "meshd.h"

#include "relay.h"
#include "tap.h"
#include "wgkey.h"
#include "wgnoise.h"

static const char good[] = "HTTP/1.1 101 Switching Protocols\r\n"
    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    "meshd-proof:  AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\r\n\r\n";

static ssize_t
parse(const char *s)
{
	struct relay_101	r;

	return relay_parse_101((const uint8_t *)s, strlen(s), &r);
}

static void
test_101(void)
{
	struct relay_101	r;
	char			buf[RELAY_101_MAX + 64];
	size_t			i, len = strlen(good);
	int			more = 1;

	is_int(relay_parse_101((const uint8_t *)good, len, &r), (int)len,
	    "a 101 with accept and proof: its whole length");
	is_str(r.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "its accept value");
	ok(r.proof[0] == 0 && r.proof[31] == 31, "its proof, decoded");
	for (i = 0; i < len; i++)
		if (relay_parse_101((const uint8_t *)good, i, &r) != 0)
			more = 0;
	ok(more, "every prefix asks for more");
	/* with the first frame's bytes behind it: the head's length */
	snprintf(buf, sizeof(buf), "%s\x82\x05hello", good);
	is_int(parse(buf), (int)len, "bytes after the head are not its");
	is_int(parse("HTTP/1.1 404 Not Found\r\nServer: nginx\r\n\r\n"), -1,
	    "a 404: refused");
	is_int(parse("HTTP/1.0 101 Switching\r\n"), -1, "HTTP/1.0: refused");
	is_int(parse("HTTP/1.1 101 Switching Protocols\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"), -1,
	    "no proof: refused");
	is_int(parse("HTTP/1.1 101 Switching Protocols\r\n"
	    "Meshd-Proof: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\r\n"
	    "\r\n"), -1, "no accept: refused");
	is_int(parse("HTTP/1.1 101 Switching Protocols\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	    "Meshd-Proof: AAECAw==\r\n\r\n"), -1, "a short proof: refused");
	is_int(parse("HTTP/1.1 101 Switching Protocols\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	    "Meshd-Proof: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\r\n"
	    "\r\n"), -1, "two accept values: refused");
	is_int(parse("HTTP/1.1 101 x\r\nno colon here\r\n\r\n"), -1,
	    "a line that is no header: refused");
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "HTTP/1.1 101 ", 13);
	is_int(relay_parse_101((uint8_t *)buf, RELAY_101_MAX, &r), -1,
	    "a head that never ends: refused at RELAY_101_MAX");
	is_int(parse("GET / HTTP/1.1\r\n\r\n"), -1, "a request: refused");
}

static void
test_path(void)
{
	uint8_t	ca[32], k1[32], k2[32];
	char	p1[RELAY_PATH_LEN + 1], p2[RELAY_PATH_LEN + 1];
	char	p3[RELAY_PATH_LEN + 1], p4[RELAY_PATH_LEN + 1];

	memset(ca, 1, sizeof(ca));
	memset(k1, 2, sizeof(k1));
	memset(k2, 3, sizeof(k2));
	relay_secret_path(ca, k1, p1);
	relay_secret_path(ca, k1, p2);
	relay_secret_path(ca, k2, p3);
	ca[0] ^= 1;
	relay_secret_path(ca, k1, p4);
	is_int((int)strlen(p1), RELAY_PATH_LEN, "the path: / and 32 digits");
	ok(p1[0] == '/' && strspn(p1 + 1, "0123456789abcdef") == 32,
	    "lower-case hex after the slash");
	is_str(p1, p2, "the same keys, the same path");
	ok(strcmp(p1, p3) != 0, "another relay, another path");
	ok(strcmp(p1, p4) != 0, "another mesh, another path");
}

static void
test_proof(void)
{
	uint8_t	a[32], b[32], ap[32], bp[32], d1[32], d2[32];
	uint8_t	ex[32], ex2[32], m1[32], m2[32], m3[32], m4[32];

	memset(a, 0x11, sizeof(a));
	memset(b, 0x22, sizeof(b));
	memset(ex, 0x33, sizeof(ex));
	memset(ex2, 0x34, sizeof(ex2));
	ok(wg_key_public(ap, a) == 0 && wg_key_public(bp, b) == 0,
	    "two key pairs");
	ok(wg_dh(d1, a, bp) == 0 && wg_dh(d2, b, ap) == 0 &&
	    memcmp(d1, d2, 32) == 0, "the DH agrees on both sides");
	relay_proof_mac(d1, MESH_PROOF_CLIENT, ex, m1);
	relay_proof_mac(d2, MESH_PROOF_CLIENT, ex, m2);
	ok(memcmp(m1, m2, 32) == 0, "member and relay compute one proof");
	relay_proof_mac(d1, MESH_PROOF_RELAY, ex, m3);
	ok(memcmp(m1, m3, 32) != 0, "the relay's proof is not the member's");
	relay_proof_mac(d1, MESH_PROOF_CLIENT, ex2, m4);
	ok(memcmp(m1, m4, 32) != 0, "another connection, another proof");
}

/* Meshd-Certificate: padded base64 of 1 to MESH_CERT_MAX bytes */
static void
test_cert(void)
{
	uint8_t	in[MESH_CERT_MAX + 3], out[MESH_CERT_MAX];
	char	b64[2 * MESH_CERT_MAX];
	size_t	i, n;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 1);
	for (n = 1; n <= 4; n++) {
		EVP_EncodeBlock((unsigned char *)b64, in, n);
		is_int((int)relay_parse_cert((uint8_t *)b64, strlen(b64), out),
		    (int)n, "a certificate of a few bytes, padding taken off");
	}
	EVP_EncodeBlock((unsigned char *)b64, in, MESH_CERT_MAX);
	is_int((int)relay_parse_cert((uint8_t *)b64, strlen(b64), out),
	    MESH_CERT_MAX, "MESH_CERT_MAX bytes");
	ok(memcmp(in, out, MESH_CERT_MAX) == 0, "the same bytes back");
	EVP_EncodeBlock((unsigned char *)b64, in, MESH_CERT_MAX + 1);
	is_int((int)relay_parse_cert((uint8_t *)b64, strlen(b64), out), -1,
	    "one byte more: refused");
	is_int((int)relay_parse_cert((const uint8_t *)"AAA", 3, out), -1,
	    "not whole groups of four: refused");
	is_int((int)relay_parse_cert((const uint8_t *)"AA!A", 4, out), -1,
	    "a byte outside base64: refused");
	is_int((int)relay_parse_cert((const uint8_t *)"====", 4, out), -1,
	    "only padding: refused");
	is_int((int)relay_parse_cert((const uint8_t *)"AA=A", 4, out), -1,
	    "padding inside: refused");
	is_int((int)relay_parse_cert((const uint8_t *)"QUFB", 4, out), 3,
	    "\"QUFB\": three bytes");
}

int
main(void)
{
	test_101();
	test_path();
	test_proof();
	test_cert();
	return tap_done();
}
