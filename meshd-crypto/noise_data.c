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

#include <sys/types.h>
#include <sys/tree.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "noise.h"
#include "wgcrypto.h"
#include "wgnoise.h"
#include "wgkey.h"
#include "noise_priv.h"

/*
 * Data messages are sealed from and opened into this private buffer, so
 * that a ring slot only ever receives what its reader may see: crypto
 * -> net slots get ciphertext, crypto -> tun slots authenticated
 * plaintext (see common/pktchan.h).  One thread uses the engine.
 */
static uint8_t	 noise_stage[NOISE_DATA_MAX];

/* a cipher context per keypair and direction (the "cipherctx" lever) */
static int	 noise_cipherctx = 1;

void
noise_set_cipherctx(int on)
{
	noise_cipherctx = on;
}

/*
 * The keypair's context for one direction, keyed on first use.  NULL:
 * contexts are off, or OpenSSL could not make one; the caller falls
 * back to a one-shot AEAD, which gives the same bytes.
 */
static struct wg_aead_ctx *
noise_aead_ctx(struct wg_aead_ctx **ctx, const uint8_t *key)
{
	if (!noise_cipherctx)
		return NULL;
	if (*ctx == NULL)
		*ctx = wg_aead_ctx_new(key);
	return *ctx;
}

static int
noise_aead_seal(struct noise_keypair *kp, uint8_t *out, uint64_t counter,
    const uint8_t *pt, size_t len)
{
	struct wg_aead_ctx	*ctx;

	if ((ctx = noise_aead_ctx(&kp->send_ctx, kp->send_key)) != NULL)
		return wg_aead_ctx_encrypt(ctx, out, counter, pt, len,
		    NULL, 0);
	return wg_aead_encrypt(out, kp->send_key, counter, pt, len, NULL, 0);
}

static int
noise_aead_open(struct noise_keypair *kp, uint8_t *out, uint64_t counter,
    const uint8_t *ct, size_t len)
{
	struct wg_aead_ctx	*ctx;

	if ((ctx = noise_aead_ctx(&kp->recv_ctx, kp->recv_key)) != NULL)
		return wg_aead_ctx_decrypt(ctx, out, counter, ct, len,
		    NULL, 0);
	return wg_aead_decrypt(out, kp->recv_key, counter, ct, len, NULL, 0);
}

/*
 * Transport data
 */

static size_t
noise_padded_len(size_t len, size_t mtu)
{
	size_t	padded;

	padded = (len + WG_DATA_PAD - 1) / WG_DATA_PAD * WG_DATA_PAD;
	if (mtu > 0 && padded > mtu)
		padded = len > mtu ? len : mtu;
	return padded;
}

size_t
noise_encrypt_size(size_t len, size_t mtu)
{
	return WG_DATA_LEN(noise_padded_len(len, mtu));
}

/*
 * The AEAD of a data message, out of place: only ciphertext is written
 * to out, which may be a ring slot meshd-net can read.  The padded
 * plaintext is staged in private memory when padding is needed;
 * otherwise pt (private to the caller) is encrypted directly.
 */
static int
noise_seal(struct noise_keypair *kp, uint64_t counter, const uint8_t *pt,
    size_t len, size_t padded, uint8_t *out)
{
	int	r;

	if (padded == len)
		return noise_aead_seal(kp, out, counter, pt, len);
	if (len > 0)
		memcpy(noise_stage, pt, len);
	memset(noise_stage + len, 0, padded - len);
	r = noise_aead_seal(kp, out, counter, noise_stage, padded);
	/* the stage keeps no plaintext between calls */
	explicit_bzero(noise_stage, len);
	return r;
}

int
noise_encrypt(struct noise_peer *p, uint64_t now, const uint8_t *pt,
    size_t len, size_t mtu, uint8_t *out, size_t outsize, size_t *outlen)
{
	struct noise_keypair	*kp = p->cur;
	uint64_t		 counter;
	size_t			 padded;

	*outlen = 0;
	if (kp == NULL || !kp->send_valid) {
		noise_want_initiation(p);
		return NOISE_E_NOKEY;
	}
	if (noise_expired(kp->birth, WG_REJECT_AFTER_TIME, now) ||
	    kp->send_counter >= WG_REJECT_AFTER_MESSAGES) {
		kp->send_valid = 0;
		noise_want_initiation(p);
		return NOISE_E_NOKEY;
	}
	padded = noise_padded_len(len, mtu);
	if (outsize < WG_DATA_LEN(padded))
		return NOISE_E_SPACE;
	if (padded != len && padded > sizeof(noise_stage))
		return NOISE_E_SPACE;
	counter = kp->send_counter++;

	wg_put_le32(out + WG_OFF_TYPE, WG_MSG_DATA);
	wg_put_le32(out + WG_DATA_OFF_RECEIVER, kp->remote_index);
	wg_put_le64(out + WG_DATA_OFF_COUNTER, counter);
	if (noise_seal(kp, counter, pt, len, padded,
	    out + WG_DATA_OFF_PAYLOAD) == -1) {
		explicit_bzero(out, WG_DATA_LEN(padded));
		return NOISE_E_ENCRYPT;
	}
	*outlen = WG_DATA_LEN(padded);

	timers_traversal(&p->timers, now);
	timers_any_sent(&p->timers);
	if (len > 0 && p->timers.new_handshake == TIMER_OFF)
		timers_data_sent(&p->timers, now, noise_jitter(p->local));
	/* keep the key fresh: by count, and by age for the initiator */
	if (kp->send_counter > WG_REKEY_AFTER_MESSAGES || (kp->initiator &&
	    noise_expired(kp->birth, WG_REKEY_AFTER_TIME, now)))
		noise_want_initiation(p);
	p->tx_bytes += *outlen;
	return 0;
}

int
noise_decrypt(struct noise_local *l, const uint8_t *msg, size_t len,
    uint64_t now, struct noise_peer **pp, uint8_t *out, size_t outsize,
    size_t *outlen)
{
	struct noise_index	*idx;
	struct noise_keypair	*kp;
	struct noise_peer	*p;
	uint64_t		 counter;
	size_t			 plen;

	*pp = NULL;
	*outlen = 0;
	if (wg_msg_type(msg, len) != WG_MSG_DATA)
		return NOISE_E_INVAL;
	idx = noise_index_lookup(l, wg_get_le32(msg + WG_DATA_OFF_RECEIVER));
	if (idx == NULL || (kp = idx->keypair) == NULL)
		return NOISE_E_STATE;
	p = idx->peer;
	/* the index names the peer (not yet authenticated): for counters */
	*pp = p;
	if (!kp->recv_valid ||
	    noise_expired(kp->birth, WG_REJECT_AFTER_TIME, now) ||
	    kp->replay.highest >= WG_REJECT_AFTER_MESSAGES) {
		kp->recv_valid = 0;
		return NOISE_E_EXPIRED;
	}
	plen = len - WG_DATA_MIN_LEN;
	if (outsize < plen || plen > sizeof(noise_stage))
		return NOISE_E_SPACE;
	counter = wg_get_le64(msg + WG_DATA_OFF_COUNTER);
	/*
	 * Into private memory: until the tag and the window have passed,
	 * this is not plaintext the peer sent (a forged message decrypts
	 * to its bytes xor the keystream), so it may not reach out, a
	 * ring slot meshd-tun reads.
	 */
	if (noise_aead_open(kp, noise_stage, counter,
	    msg + WG_DATA_OFF_PAYLOAD, len - WG_DATA_HDR_LEN) == -1)
		return NOISE_E_DECRYPT;	/* the stage is wiped */
	/* only now, authenticated, may the counter move the window */
	if (replay_check(&kp->replay, counter, WG_REJECT_AFTER_MESSAGES) ==
	    -1) {
		explicit_bzero(noise_stage, plen);
		return NOISE_E_REPLAY;
	}
	if (plen > 0) {
		memcpy(out, noise_stage, plen);
		explicit_bzero(noise_stage, plen);
	}

	if (kp == p->next) {
		/* the initiator confirmed our response: switch to it */
		noise_keypair_drop(p, p->prev);
		p->prev = p->cur;
		p->cur = kp;
		p->next = NULL;
		timers_handshake_complete(&p->timers);
		p->last_handshake = now;
		p->has_handshake = 1;
		p->actions |= NOISE_ACT_FLUSH;
	} else if (kp == p->cur && p->prev != NULL &&
	    noise_expired(kp->birth, NOISE_PREV_KEEP, now)) {
		/*
		 * The peer sends on the current keypair: it switched, and
		 * anything it sent on the previous one is long delivered
		 * or lost.  The previous one goes now, not at the next
		 * rotation: a coordinator holds a session with every
		 * member, and each keypair is 1.2 KB of replay window.
		 */
		noise_keypair_drop(p, p->prev);
		p->prev = NULL;
	}
	/*
	 * An initiator hearing from a keypair close to REJECT_AFTER_TIME
	 * rekeys once, in case it has nothing to send that would.
	 */
	if (!p->timers.sent_lastminute && p->cur != NULL &&
	    p->cur->send_valid && p->cur->initiator &&
	    noise_expired(p->cur->birth, WG_REJECT_AFTER_TIME -
	    WG_KEEPALIVE_TIMEOUT - WG_REKEY_TIMEOUT, now)) {
		p->timers.sent_lastminute = 1;
		noise_want_initiation(p);
	}
	timers_traversal(&p->timers, now);
	timers_any_received(&p->timers);
	if (plen > 0)
		timers_data_received(&p->timers, now);
	p->rx_bytes += len;
	*outlen = plen;
	*pp = p;
	return 0;
}
