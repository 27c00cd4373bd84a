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
 * WireGuard key text: 32 bytes as 44 characters of standard base64,
 * exactly as wg(8) genkey/pubkey/genpsk print them.  Used by meshctl and
 * meshd-crypto (private keys) and by the config parser (public keys).
 */

#ifndef WGKEY_H
#define WGKEY_H

#include <stddef.h>
#include <stdint.h>

#define WG_KEY_LEN		32
#define WG_KEY_B64_LEN		44	/* without NUL */

/* wgkey.c */
/* 0 on success; -1 if not exactly 44 chars of base64 decoding to 32 bytes */
int	 wg_key_from_base64(uint8_t [WG_KEY_LEN], const char *);
/* writes 44 chars and a NUL */
void	 wg_key_to_base64(char [WG_KEY_B64_LEN + 1], const uint8_t [WG_KEY_LEN]);
/* 0 on success, -1 if the system random source failed */
int	 wg_key_generate_private(uint8_t [WG_KEY_LEN]);	/* random, clamped */
int	 wg_key_generate_psk(uint8_t [WG_KEY_LEN]);	/* random */
void	 wg_key_clamp(uint8_t [WG_KEY_LEN]);
/* X25519 base point multiplication; 0 on success, -1 on failure */
int	 wg_key_public(uint8_t [WG_KEY_LEN], const uint8_t [WG_KEY_LEN]);
/*
 * Reads one key from an open fd to its end, accepting what wg(8) does:
 * 44 chars of base64, then only white space and NUL bytes (a newline, a
 * CRLF, blank lines, trailing blanks).  0 on success, -1 with *errstr set.
 * Wipes every buffer it used.
 */
int	 wg_key_read_fd(int, uint8_t [WG_KEY_LEN], const char **);

#endif /* WGKEY_H */
