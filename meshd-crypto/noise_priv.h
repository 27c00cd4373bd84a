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
 * Private to the Noise engine: the helpers that noise.c,
 * noise_handshake.c and noise_data.c share.  noise.h is the public API.
 */

#ifndef MESHD_NOISE_PRIV_H
#define MESHD_NOISE_PRIV_H

/* noise.c */
int		 noise_expired(uint64_t, uint64_t, uint64_t);
uint64_t	 noise_jitter(struct noise_local *);
int		 noise_index_add(struct noise_local *, struct noise_index *,
		    struct noise_peer *, struct noise_keypair *);
struct noise_index *noise_index_lookup(struct noise_local *, uint32_t);
void		 noise_handshake_clear(struct noise_peer *);
void		 noise_keypair_drop(struct noise_peer *, struct noise_keypair *);
void		 noise_begin_session(struct noise_peer *, uint64_t, int);
void		 noise_want_initiation(struct noise_peer *);

/* noise_handshake.c */
void		 noise_mix_hash(uint8_t [WG_HASH_LEN], const uint8_t *, size_t);

#endif /* MESHD_NOISE_PRIV_H */
