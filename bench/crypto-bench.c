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
 * crypto-bench [-t seconds]: speed of the primitives in common/wgcrypto.h
 * and meshd-crypto/wgnoise.h, each beside the OpenSSL EVP way of doing
 * the same, and the CPU cost of the cryptography of one whole
 * Noise_IKpsk2 handshake (both sides).
 * Compare the AEAD lines with `openssl speed -evp chacha20-poly1305`.
 *
 * Build by hand from the top of the tree:
 *   cc -std=gnu11 -O2 -D_GNU_SOURCE -Icommon -Imeshd-crypto \
 *	$(pkg-config --cflags libbsd-overlay) -o crypto-bench \
 *	bench/crypto-bench.c common/blake2s.c meshd-crypto/wgcrypto.c \
 *	meshd-crypto/wgx25519.c common/chachapoly.c common/hchacha.c \
 *	$(pkg-config --libs libcrypto libbsd-overlay)
 */

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "wgcrypto.h"
#include "wgnoise.h"

static double	 secs = 1.0;
static volatile uint8_t sink;	/* keeps results alive */

/* CPU time of this thread: what the work costs, not what the host gives */
static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Run fn(arg) in batches until it has used secs of CPU time; return calls
 * per CPU second.
 */
static double
rate(void (*fn)(void *), void *arg)
{
	double		start, elapsed;
	unsigned long	n = 0, batch = 1, i;

	fn(arg);		/* warm up */
	start = now();
	do {
		for (i = 0; i < batch; i++)
			fn(arg);
		n += batch;
		if (batch < 1024)
			batch *= 2;
		elapsed = now() - start;
	} while (elapsed < secs);
	return n / elapsed;
}

static void
report_ops(const char *name, double ops)
{
	printf("%-44s %12.0f ops/s %9.2f us/op\n", name, ops, 1e6 / ops);
}

static void
report_bytes(const char *name, size_t len, double ops)
{
	printf("%-38s %5zu B %9.1f MB/s %9.2f us/op\n", name, len,
	    ops * len / 1e6, 1e6 / ops);
}

/* ---- X25519 */

struct dh_arg {
	uint8_t		 priv[32], pub[32], out[32];
	EVP_PKEY	*pkey;		/* cached private key */
};

static void
do_wg_dh(void *v)
{
	struct dh_arg	*a = v;

	if (wg_dh(a->out, a->priv, a->pub) == -1)
		errx(1, "wg_dh");
	sink ^= a->out[0];
}

static void
do_wg_dh_generate(void *v)
{
	struct dh_arg	*a = v;

	if (wg_dh_generate(a->priv, a->pub) == -1)
		errx(1, "wg_dh_generate");
	sink ^= a->pub[0];
}

static void
evp_derive(EVP_PKEY *priv, const uint8_t pub[32], uint8_t out[32])
{
	EVP_PKEY	*peer;
	EVP_PKEY_CTX	*ctx;
	size_t		 len = 32;

	if ((peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub,
	    32)) == NULL || (ctx = EVP_PKEY_CTX_new(priv, NULL)) == NULL ||
	    EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer(ctx, peer) != 1 ||
	    EVP_PKEY_derive(ctx, out, &len) != 1)
		errx(1, "EVP X25519 derive");
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
}

/* the whole EVP DH from raw bytes: import (derives the public key too) */
static void
do_evp_dh(void *v)
{
	struct dh_arg	*a = v;
	EVP_PKEY	*priv;

	if ((priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL,
	    a->priv, 32)) == NULL)
		errx(1, "EVP_PKEY_new_raw_private_key");
	evp_derive(priv, a->pub, a->out);
	EVP_PKEY_free(priv);
	sink ^= a->out[0];
}

/* EVP with the private key imported once (a static key) */
static void
do_evp_dh_cached(void *v)
{
	struct dh_arg	*a = v;

	evp_derive(a->pkey, a->pub, a->out);
	sink ^= a->out[0];
}

static void
do_evp_keygen(void *v)
{
	struct dh_arg	*a = v;
	EVP_PKEY	*k = NULL;
	EVP_PKEY_CTX	*ctx;
	size_t		 len = 32;

	if ((ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, NULL)) == NULL ||
	    EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &k) != 1 ||
	    EVP_PKEY_get_raw_public_key(k, a->pub, &len) != 1)
		errx(1, "EVP X25519 keygen");
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(ctx);
	sink ^= a->pub[0];
}

/* ---- BLAKE2s */

struct hash_arg {
	uint8_t		*buf;
	size_t		 len;
	uint8_t		 key[32], out[32];
	EVP_MD		*md;
	EVP_MAC		*mac;
};

static void
do_wg_hash(void *v)
{
	struct hash_arg	*a = v;

	wg_hash(a->out, a->buf, a->len);
	sink ^= a->out[0];
}

static void
do_evp_hash(void *v)
{
	struct hash_arg	*a = v;
	unsigned int	 n;

	if (EVP_Digest(a->buf, a->len, a->out, &n, a->md, NULL) != 1)
		errx(1, "EVP_Digest");
	sink ^= a->out[0];
}

static void
do_wg_mac(void *v)
{
	struct hash_arg	*a = v;

	wg_mac(a->out, a->key, 32, a->buf, a->len);
	sink ^= a->out[0];
}

static int
evp_mac16(EVP_MAC *mac, uint8_t out[16], const uint8_t key[32],
    const uint8_t *in, size_t len)
{
	EVP_MAC_CTX	*ctx;
	OSSL_PARAM	 params[2];
	size_t		 size = 16, n;
	int		 ret = -1;

	params[0] = OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size);
	params[1] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_MAC_CTX_new(mac)) == NULL)
		return -1;
	if (EVP_MAC_init(ctx, key, 32, params) == 1 &&
	    EVP_MAC_update(ctx, in, len) == 1 &&
	    EVP_MAC_final(ctx, out, &n, 16) == 1 && n == 16)
		ret = 0;
	EVP_MAC_CTX_free(ctx);
	return ret;
}

static void
do_evp_mac(void *v)
{
	struct hash_arg	*a = v;

	if (evp_mac16(a->mac, a->out, a->key, a->buf, a->len) == -1)
		errx(1, "EVP_MAC BLAKE2SMAC");
	sink ^= a->out[0];
}

static void
do_wg_kdf3(void *v)
{
	struct hash_arg	*a = v;
	uint8_t		 t1[32], t2[32], t3[32];

	wg_kdf3(a->key, a->buf, 32, t1, t2, t3);
	sink ^= t1[0] ^ t2[0] ^ t3[0];
}

/* ---- AEAD */

struct aead_arg {
	uint8_t			 key[32], *src, *dst;
	size_t			 len;
	uint64_t		 ctr;
	struct wg_aead_ctx	*ctx;
};

static void
do_aead_once(void *v)
{
	struct aead_arg	*a = v;

	if (wg_aead_encrypt(a->dst, a->key, a->ctr++, a->src, a->len,
	    NULL, 0) == -1)
		errx(1, "wg_aead_encrypt");
	sink ^= a->dst[0];
}

static void
do_aead_ctx(void *v)
{
	struct aead_arg	*a = v;

	if (wg_aead_ctx_encrypt(a->ctx, a->dst, a->ctr++, a->src, a->len,
	    NULL, 0) == -1)
		errx(1, "wg_aead_ctx_encrypt");
	sink ^= a->dst[0];
}

static void
do_aead_once_dec(void *v)
{
	struct aead_arg	*a = v;

	/* a->src holds one ciphertext made with counter 0 */
	if (wg_aead_decrypt(a->dst, a->key, 0, a->src, a->len + 16,
	    NULL, 0) == -1)
		errx(1, "wg_aead_decrypt");
	sink ^= a->dst[0];
}

static void
do_aead_ctx_dec(void *v)
{
	struct aead_arg	*a = v;

	/* a->src holds one ciphertext made with counter 0 */
	if (wg_aead_ctx_decrypt(a->ctx, a->dst, 0, a->src, a->len + 16,
	    NULL, 0) == -1)
		errx(1, "wg_aead_ctx_decrypt");
	sink ^= a->dst[0];
}

static void
do_xaead(void *v)
{
	struct aead_arg	*a = v;
	uint8_t		 nonce[WG_XNONCE_LEN] = { 0 };

	if (wg_xaead_encrypt(a->dst, a->key, nonce, a->src, a->len, NULL,
	    0) == -1)
		errx(1, "wg_xaead_encrypt");
	sink ^= a->dst[0];
}

/* ---- a whole handshake, both sides, cryptography only */

struct hs_arg {
	uint8_t	si_priv[32], si_pub[32], sr_priv[32], sr_pub[32];
	uint8_t	psk[32];
	int	precompute_ss;	/* static-static DH cached per peer */
	uint8_t	ss_i[32], ss_r[32];
};

static void
mix_hash(uint8_t h[32], const void *in, size_t len)
{
	struct wg_blake2s	S;

	wg_blake2s_init(&S, 32);
	wg_blake2s_update(&S, h, 32);
	wg_blake2s_update(&S, in, len);
	wg_blake2s_final(&S, h);
}

static void
hs_dh(uint8_t out[32], const uint8_t *priv, const uint8_t *pub)
{
	if (wg_dh(out, priv, pub) == -1)
		errx(1, "handshake DH");
}

/*
 * The primitive sequence of the whitepaper's section 5.4.2 to 5.4.5,
 * initiator (i) and responder (r) each with their own state, checking
 * that both end with the same transport keys.
 */
static void
do_handshake(void *v)
{
	struct hs_arg	*a = v;
	const char	 construction[] =
	    "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
	const char	 identifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";
	const char	 label_mac1[] = "mac1----";
	uint8_t		 ci[32], hi[32], cr[32], hr[32], k[32], tau[32];
	uint8_t		 ei_priv[32], ei_pub[32], er_priv[32], er_pub[32];
	uint8_t		 dh[32], enc_static[48], enc_ts[28], enc_empty[16];
	uint8_t		 ts[12], plain[32], msg[148], mac1key[32], mac1[16];
	uint8_t		 ti_send[32], ti_recv[32], tr_send[32], tr_recv[32];
	uint8_t		 epub[32];

	/* initiator: message 1 */
	wg_hash(ci, construction, sizeof(construction) - 1);
	memcpy(hi, ci, 32);
	mix_hash(hi, identifier, sizeof(identifier) - 1);
	mix_hash(hi, a->sr_pub, 32);
	if (wg_dh_generate(ei_priv, ei_pub) == -1)
		errx(1, "DH-GENERATE");
	wg_kdf1(ci, ei_pub, 32, ci);
	mix_hash(hi, ei_pub, 32);
	hs_dh(dh, ei_priv, a->sr_pub);
	wg_kdf2(ci, dh, 32, ci, k);
	wg_aead_encrypt(enc_static, k, 0, a->si_pub, 32, hi, 32);
	mix_hash(hi, enc_static, sizeof(enc_static));
	if (a->precompute_ss)
		memcpy(dh, a->ss_i, 32);
	else
		hs_dh(dh, a->si_priv, a->sr_pub);
	wg_kdf2(ci, dh, 32, ci, k);
	wg_tai64n(ts);
	wg_aead_encrypt(enc_ts, k, 0, ts, 12, hi, 32);
	mix_hash(hi, enc_ts, sizeof(enc_ts));
	memset(msg, 0, sizeof(msg));
	memcpy(msg + 8, ei_pub, 32);
	memcpy(msg + 40, enc_static, 48);
	memcpy(msg + 88, enc_ts, 28);
	{
		struct wg_blake2s	S;

		wg_blake2s_init(&S, 32);
		wg_blake2s_update(&S, label_mac1, 8);
		wg_blake2s_update(&S, a->sr_pub, 32);
		wg_blake2s_final(&S, mac1key);
	}
	wg_mac(mac1, mac1key, 32, msg, 116);

	/* responder: consume message 1 (mac1 key cached per interface) */
	wg_mac(mac1, mac1key, 32, msg, 116);
	wg_hash(cr, construction, sizeof(construction) - 1);
	memcpy(hr, cr, 32);
	mix_hash(hr, identifier, sizeof(identifier) - 1);
	mix_hash(hr, a->sr_pub, 32);
	memcpy(epub, msg + 8, 32);
	wg_kdf1(cr, epub, 32, cr);
	mix_hash(hr, epub, 32);
	hs_dh(dh, a->sr_priv, epub);
	wg_kdf2(cr, dh, 32, cr, k);
	if (wg_aead_decrypt(plain, k, 0, msg + 40, 48, hr, 32) == -1)
		errx(1, "responder: static");
	mix_hash(hr, msg + 40, 48);
	if (a->precompute_ss)
		memcpy(dh, a->ss_r, 32);
	else
		hs_dh(dh, a->sr_priv, plain);
	wg_kdf2(cr, dh, 32, cr, k);
	if (wg_aead_decrypt(ts, k, 0, msg + 88, 28, hr, 32) == -1)
		errx(1, "responder: timestamp");
	mix_hash(hr, msg + 88, 28);

	/* responder: message 2 */
	if (wg_dh_generate(er_priv, er_pub) == -1)
		errx(1, "DH-GENERATE");
	wg_kdf1(cr, er_pub, 32, cr);
	mix_hash(hr, er_pub, 32);
	hs_dh(dh, er_priv, epub);
	wg_kdf1(cr, dh, 32, cr);
	hs_dh(dh, er_priv, plain);
	wg_kdf1(cr, dh, 32, cr);
	wg_kdf3(cr, a->psk, 32, cr, tau, k);
	mix_hash(hr, tau, 32);
	wg_aead_encrypt(enc_empty, k, 0, NULL, 0, hr, 32);
	mix_hash(hr, enc_empty, 16);
	wg_mac(mac1, mac1key, 32, msg, 60);	/* stand-in for its mac1 */

	/* initiator: consume message 2 */
	wg_mac(mac1, mac1key, 32, msg, 60);
	wg_kdf1(ci, er_pub, 32, ci);
	mix_hash(hi, er_pub, 32);
	hs_dh(dh, ei_priv, er_pub);
	wg_kdf1(ci, dh, 32, ci);
	hs_dh(dh, a->si_priv, er_pub);
	wg_kdf1(ci, dh, 32, ci);
	wg_kdf3(ci, a->psk, 32, ci, tau, k);
	mix_hash(hi, tau, 32);
	if (wg_aead_decrypt(plain, k, 0, enc_empty, 16, hi, 32) == -1)
		errx(1, "initiator: empty");
	mix_hash(hi, enc_empty, 16);

	/* transport keys */
	wg_kdf2(ci, NULL, 0, ti_send, ti_recv);
	wg_kdf2(cr, NULL, 0, tr_recv, tr_send);
	if (memcmp(ti_send, tr_recv, 32) != 0 ||
	    memcmp(ti_recv, tr_send, 32) != 0 || memcmp(hi, hr, 32) != 0)
		errx(1, "handshake: the two sides disagree");
	sink ^= ti_send[0];
}

static void
usage(void)
{
	fprintf(stderr, "usage: crypto-bench [-t seconds]\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct dh_arg	 dh;
	struct hash_arg	 h;
	struct aead_arg	 ae;
	struct hs_arg	 hs;
	static uint8_t	 big[65536], out[65536 + 16];
	size_t		 lens[] = { 64, 512, 1420 }, hlens[] = { 32, 64, 116,
			    1420, 65536 };
	uint8_t		 ref[16], mine[16];
	double		 r1, r2;
	int		 ch;
	size_t		 i;

	while ((ch = getopt(argc, argv, "t:")) != -1) {
		switch (ch) {
		case 't':
			secs = strtod(optarg, NULL);
			if (secs <= 0)
				usage();
			break;
		default:
			usage();
		}
	}

	printf("# %s, %.1f CPU s per line\n", OpenSSL_version(OPENSSL_VERSION),
	    secs);
	if (RAND_bytes(big, sizeof(big)) != 1)
		errx(1, "RAND_bytes");

	/* X25519 */
	memset(&dh, 0, sizeof(dh));
	if (wg_dh_generate(dh.priv, dh.pub) == -1)
		errx(1, "wg_dh_generate");
	if ((dh.pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL,
	    dh.priv, 32)) == NULL)
		errx(1, "EVP_PKEY_new_raw_private_key");
	report_ops("DH wg_dh (ours)", rate(do_wg_dh, &dh));
	report_ops("DH EVP from raw private key", rate(do_evp_dh, &dh));
	report_ops("DH EVP, private key imported once",
	    rate(do_evp_dh_cached, &dh));
	report_ops("DH-GENERATE wg_dh_generate (ours)",
	    rate(do_wg_dh_generate, &dh));
	report_ops("DH-GENERATE EVP_PKEY_keygen", rate(do_evp_keygen, &dh));
	EVP_PKEY_free(dh.pkey);

	/* BLAKE2s */
	memset(&h, 0, sizeof(h));
	h.buf = big;
	memcpy(h.key, big, 32);
	if ((h.md = EVP_MD_fetch(NULL, "BLAKE2S-256", NULL)) == NULL)
		errx(1, "EVP_MD_fetch BLAKE2S-256");
	if ((h.mac = EVP_MAC_fetch(NULL, "BLAKE2SMAC", NULL)) == NULL)
		errx(1, "EVP_MAC_fetch BLAKE2SMAC");
	for (i = 0; i < sizeof(hlens) / sizeof(hlens[0]); i++) {
		h.len = hlens[i];
		r1 = rate(do_wg_hash, &h);
		r2 = rate(do_evp_hash, &h);
		report_bytes("BLAKE2s-256 wg_hash (ours)", h.len, r1);
		report_bytes("BLAKE2s-256 EVP_Digest", h.len, r2);
	}
	/* does OpenSSL's BLAKE2SMAC give the same 16-byte MAC? */
	wg_mac(mine, h.key, 32, big, 116);
	if (evp_mac16(h.mac, ref, h.key, big, 116) == -1)
		printf("# EVP_MAC BLAKE2SMAC with size 16: failed\n");
	else
		printf("# EVP_MAC BLAKE2SMAC with size 16 %s wg_mac\n",
		    memcmp(ref, mine, 16) == 0 ? "matches" : "DIFFERS FROM");
	h.len = 116;	/* mac1 covers 116 bytes of an initiation */
	report_bytes("MAC wg_mac (ours)", h.len, rate(do_wg_mac, &h));
	report_bytes("MAC EVP_MAC BLAKE2SMAC size 16", h.len,
	    rate(do_evp_mac, &h));
	report_ops("KDF3 wg_kdf3, 32-byte input", rate(do_wg_kdf3, &h));
	EVP_MD_free(h.md);
	EVP_MAC_free(h.mac);

	/* AEAD */
	memset(&ae, 0, sizeof(ae));
	memcpy(ae.key, big + 32, 32);
	ae.src = big;
	ae.dst = out;
	if ((ae.ctx = wg_aead_ctx_new(ae.key)) == NULL)
		errx(1, "wg_aead_ctx_new");
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		ae.len = lens[i];
		report_bytes("AEAD encrypt, one-shot", ae.len,
		    rate(do_aead_once, &ae));
		report_bytes("AEAD encrypt, context per key", ae.len,
		    rate(do_aead_ctx, &ae));
	}
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		ae.len = lens[i];
		if (wg_aead_encrypt(big + 32768, ae.key, 0, big, ae.len, NULL,
		    0) == -1)
			errx(1, "wg_aead_encrypt");
		ae.src = big + 32768;
		report_bytes("AEAD decrypt, one-shot", ae.len,
		    rate(do_aead_once_dec, &ae));
		report_bytes("AEAD decrypt, context per key", ae.len,
		    rate(do_aead_ctx_dec, &ae));
		ae.src = big;
	}
	ae.len = 16;	/* a cookie */
	report_bytes("XAEAD encrypt (cookie reply)", ae.len,
	    rate(do_xaead, &ae));
	wg_aead_ctx_free(ae.ctx);

	/* handshake */
	memset(&hs, 0, sizeof(hs));
	if (wg_dh_generate(hs.si_priv, hs.si_pub) == -1 ||
	    wg_dh_generate(hs.sr_priv, hs.sr_pub) == -1)
		errx(1, "wg_dh_generate");
	report_ops("handshake, both sides, all DHs", rate(do_handshake, &hs));
	hs.precompute_ss = 1;
	wg_dh(hs.ss_i, hs.si_priv, hs.sr_pub);
	wg_dh(hs.ss_r, hs.sr_priv, hs.si_pub);
	report_ops("handshake, both sides, static-static cached",
	    rate(do_handshake, &hs));
	return 0;
}
