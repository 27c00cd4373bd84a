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
 * A relay connection's proof of membership (meshd.h, struct
 * mesh_relay_proof): BLAKE2s-256 keyed by the X25519 result of the two
 * static keys, over a label, who speaks and the TLS connection's
 * exporter value.  meshd-crypto computes it (net never sees the DH
 * result); the relay tests compute it from a key file.
 */

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "meshd.h"
#include "wgcrypto.h"

#define RELAY_PROOF_LABEL	"meshd relay proof v1"

void
relay_proof_mac(const uint8_t dh[32], uint8_t who, const uint8_t exporter[32],
    uint8_t mac[MESH_PROOF_LEN])
{
	struct wg_blake2s	h;

	if (wg_blake2s_init_key(&h, MESH_PROOF_LEN, dh, 32) == -1)
		abort();
	wg_blake2s_update(&h, RELAY_PROOF_LABEL, strlen(RELAY_PROOF_LABEL));
	wg_blake2s_update(&h, &who, 1);
	wg_blake2s_update(&h, exporter, 32);
	wg_blake2s_final(&h, mac);
	explicit_bzero(&h, sizeof(h));
}
