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
 * relayprobe: a member's WebSocket upgrade to a relay, made from a key
 * file as meshd would make it, for regress/netns/relay.t.
 *
 *   relayprobe good|replay|nopath ADDR PORT CA RELAYKEY MEMBERKEYFILE
 *	good	the upgrade, with the proof for this TLS connection
 *	replay	the proof made for one TLS connection, sent on another
 *		(as if an observer had lifted a member's upgrade)
 *	nopath	a right proof on a wrong path
 *   CA and RELAYKEY are base64 public keys (the mesh's admin key, the
 *   relay's static key); MEMBERKEYFILE holds the member's private key as
 *   wg(8) writes it.  Prints the answer's status line ("HTTP/1.1 101
 *   Switching Protocols", "HTTP/1.1 404 Not Found" ...) and, for a 101,
 *   "relay proof ok" or "relay proof bad".  Exits 0, or 2 on an error.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "meshd.h"
#include "relay.h"
#include "wgkey.h"
#include "wgnoise.h"

static SSL *
tls_to(const char *addr, const char *port)
{
	static SSL_CTX		*ctx;
	struct sockaddr_in	 sin;
	SSL			*ssl;
	int			 s;

	if (ctx == NULL && (ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		errx(2, "SSL_CTX_new");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(atoi(port));
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		errx(2, "%s: not an IPv4 address", addr);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(s, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(2, "%s:%s", addr, port);
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, s) != 1 ||
	    SSL_connect(ssl) != 1)
		errx(2, "TLS to %s:%s failed", addr, port);
	return ssl;
}

static void
exporter(SSL *ssl, uint8_t out[32])
{
	if (SSL_export_keying_material(ssl, out, 32, MESH_RELAY_EXPORTER,
	    strlen(MESH_RELAY_EXPORTER), NULL, 0, 0) != 1)
		errx(2, "no exporter value");
}

/* reads the answer's head and shows it */
static void
answer(SSL *ssl, const uint8_t dh[32])
{
	struct relay_101	r;
	uint8_t			buf[RELAY_101_MAX], want[MESH_PROOF_LEN];
	uint8_t			ex[32];
	size_t			len = 0;
	ssize_t			n;
	int			k;

	while (len < sizeof(buf) && (k = SSL_read(ssl, buf + len,
	    sizeof(buf) - len)) > 0) {
		len += k;
		if (memmem(buf, len, "\r\n\r\n", 4) != NULL)
			break;
	}
	if (len == 0) {
		printf("(closed)\n");
		return;
	}
	printf("%.*s\n", (int)strcspn((char *)buf, "\r\n"), buf);
	if ((n = relay_parse_101(buf, len, &r)) <= 0)
		return;
	exporter(ssl, ex);
	relay_proof_mac(dh, MESH_PROOF_RELAY, ex, want);
	printf("relay proof %s\n", CRYPTO_memcmp(want, r.proof,
	    sizeof(want)) == 0 ? "ok" : "bad");
}

int
main(int argc, char *argv[])
{
	uint8_t		 ca[32], relay[32], priv[32], pub[32], dh[32];
	uint8_t		 ex[32], mac[MESH_PROOF_LEN];
	char		 path[RELAY_PATH_LEN + 1], head[3072];
	const char	*cert = getenv("RELAYPROBE_CERT");
	char		 kb64[WG_KEY_B64_LEN + 1], pb64[WG_KEY_B64_LEN + 1];
	FILE		*f;
	SSL		*one, *two;
	const char	*mode;
	int		 n;

	/*
	 * Line by line: a sanitizer's leak report at exit ends the process
	 * before stdio would flush a pipe's buffer (the test reads stdout)
	 */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 7)
		errx(2, "usage: relayprobe good|replay|nopath addr port ca "
		    "relaykey memberkeyfile");
	mode = argv[1];
	if (wg_key_from_base64(ca, argv[4]) == -1 ||
	    wg_key_from_base64(relay, argv[5]) == -1)
		errx(2, "bad key");
	if ((f = fopen(argv[6], "r")) == NULL ||
	    fgets(head, sizeof(head), f) == NULL)
		err(2, "%s", argv[6]);
	fclose(f);
	head[strcspn(head, "\n")] = '\0';
	if (wg_key_from_base64(priv, head) == -1 ||
	    wg_key_public(pub, priv) == -1 || wg_dh(dh, priv, relay) == -1)
		errx(2, "%s: bad key", argv[6]);
	relay_secret_path(ca, relay, path);
	if (strcmp(mode, "nopath") == 0)
		path[1] = path[1] == 'a' ? 'b' : 'a';
	one = tls_to(argv[2], argv[3]);
	exporter(one, ex);
	relay_proof_mac(dh, MESH_PROOF_CLIENT, ex, mac);
	two = one;
	if (strcmp(mode, "replay") == 0)
		two = tls_to(argv[2], argv[3]);
	wg_key_to_base64(kb64, pub);
	wg_key_to_base64(pb64, mac);
	n = snprintf(head, sizeof(head), "GET %s HTTP/1.1\r\nHost: %s\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n%s: %s\r\n%s: %s\r\n%s%s%s%s\r\n",
	    path, argv[2], RELAY_HDR_KEY, kb64, RELAY_HDR_PROOF, pb64,
	    cert != NULL ? RELAY_HDR_CERT : "", cert != NULL ? ": " : "",
	    cert != NULL ? cert : "", cert != NULL ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(head))
		errx(2, "the request does not fit");
	if (SSL_write(two, head, n) != n)
		errx(2, "write failed");
	answer(two, dh);
	return 0;
}
