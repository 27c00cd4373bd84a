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
 * Known-answer tests for common/wgcrypto.h and meshd-crypto/wgnoise.h.  Published vectors are quoted
 * with their source; the few values no document publishes (HMAC-BLAKE2s,
 * the KDFs, BLAKE2s-128, WireGuard's nonce layout, TAI64N) were computed
 * once with Python 3.11's hmac and hashlib.blake2s (an implementation
 * independent of ours) or python3-cryptography, as each comment shows,
 * and are embedded as constants.
 */

#include <stdint.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "tap.h"
#include "wgcrypto.h"
#include "wgnoise.h"

static size_t
unhex(uint8_t *out, size_t max, const char *hex)
{
	size_t		n = 0;
	unsigned int	v;

	while (hex[0] != '\0' && hex[1] != '\0' && n < max) {
		if (sscanf(hex, "%2x", &v) != 1)
			break;
		out[n++] = v;
		hex += 2;
	}
	return n;
}

/* compare a buffer with hex, print both on failure */
#define is_hex(got, len, want, name)					\
	is_hex_at(__FILE__, __LINE__, (got), (len), (want), (name))

static int
is_hex_at(const char *file, int line, const uint8_t *got, size_t len,
    const char *want, const char *name)
{
	uint8_t	exp[512];
	size_t	n, i;
	int	good;

	n = unhex(exp, sizeof(exp), want);
	good = n == len && memcmp(got, exp, len) == 0;
	if (!tap_ok(good, file, line, "%s", name)) {
		printf("#   got      ");
		for (i = 0; i < len; i++)
			printf("%02x", got[i]);
		printf("\n#   expected %s\n", want);
	}
	return good;
}

static int
all_zero(const uint8_t *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

static void
test_blake2s(void)
{
	struct wg_blake2s	S;
	uint8_t			key[32], in[256], out[32], mac[16];
	size_t			i, split[] = { 1, 63, 64, 65, 128, 200 };
	/* BLAKE2/BLAKE2 testvectors/blake2s-test.txt (keyed, key 00..1f) */
	static const struct {
		size_t		 len;
		const char	*hash;
	} kat[] = {
		{ 0, "48a8997da407876b3d79c0d92325ad3b"
		    "89cbb754d86ab71aee047ad345fd2c49" },
		{ 1, "40d15fee7c328830166ac3f918650f80"
		    "7e7e01e177258cdc0a39b11f598066f1" },
		{ 64, "8975b0577fd35566d750b362b0897a26"
		    "c399136df07bababbde6203ff2954ed4" },
		{ 255, "3fb735061abc519dfe979e54c1ee5bfa"
		    "d0a9d858b3315bad34bde999efd724dd" },
	};

	for (i = 0; i < sizeof(key); i++)
		key[i] = i;
	for (i = 0; i < sizeof(in); i++)
		in[i] = i;

	/* RFC 7693 Appendix B */
	wg_hash(out, "abc", 3);
	is_hex(out, 32, "508c5e8c327c14e2e1a72ba34eeb452f"
	    "37458b209ed63a294d999b4c86675982", "BLAKE2s-256(\"abc\")");
	/* BLAKE2/BLAKE2 testvectors/blake2-kat.h blake2s_kat[0] */
	wg_hash(out, "", 0);
	is_hex(out, 32, "69217a3079908094e11121d042354a7c"
	    "1f55b6482ca1a51e1b250dfd1ed0eef9", "BLAKE2s-256(\"\")");

	for (i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
		ok(wg_blake2s_init_key(&S, 32, key, 32) == 0, "init_key");
		wg_blake2s_update(&S, in, kat[i].len);
		wg_blake2s_final(&S, out);
		is_hex(out, 32, kat[i].hash, "keyed BLAKE2s KAT");
		if (!ok(all_zero((uint8_t *)&S, sizeof(S)),
		    "final wipes the state"))
			diag("keyed KAT length %zu", kat[i].len);
	}

	/* the same 255 bytes fed in two pieces, split everywhere tricky */
	for (i = 0; i < sizeof(split) / sizeof(split[0]); i++) {
		wg_blake2s_init_key(&S, 32, key, 32);
		wg_blake2s_update(&S, in, split[i]);
		wg_blake2s_update(&S, in + split[i], 255 - split[i]);
		wg_blake2s_final(&S, out);
		if (!is_hex(out, 32, kat[3].hash, "incremental keyed KAT"))
			diag("split at %zu", split[i]);
	}

	ok(wg_blake2s_init(&S, 0) == -1, "outlen 0 refused");
	ok(wg_blake2s_init(&S, 33) == -1, "outlen 33 refused");
	ok(wg_blake2s_init_key(&S, 32, key, 33) == -1, "keylen 33 refused");

	/*
	 * MAC: BLAKE2s with a 16-byte digest, which is not a truncated
	 * BLAKE2s-256 (the length is in the parameter block).
	 * python3: hashlib.blake2s(bytes(range(64)),
	 *     key=bytes(range(32)), digest_size=16).hexdigest()
	 */
	wg_mac(mac, key, 32, in, 64);
	is_hex(mac, 16, "f1efa90d2547036841ecd3627fafbc36",
	    "MAC, 32-byte key");
	/* python3: hashlib.blake2s(b"abc", key=bytes(range(16)),
	 *     digest_size=16).hexdigest() */
	wg_mac(mac, key, 16, "abc", 3);
	is_hex(mac, 16, "75296c2d2c0f51210b383f386bc8b1ff",
	    "MAC, 16-byte key (cookie)");
}

static void
test_hmac_kdf(void)
{
	uint8_t	key[100], in[200], out[32], c0[32], t1[32], t2[32], t3[32];
	uint8_t	ck[32];
	size_t	i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = i;
	for (i = 0; i < sizeof(in); i++)
		in[i] = i;

	/*
	 * python3: hmac.new(key, msg, hashlib.blake2s).hexdigest()
	 */
	/* key bytes(range(32)), msg b"abc" */
	wg_hmac(out, key, 32, "abc", 3);
	is_hex(out, 32, "82623be5bc0a391b24dce53e67d028ef"
	    "f92d586de0485ac37822e597d049c74f", "HMAC, 32-byte key");
	/* key bytes(range(100)) (longer than a block), msg bytes(range(200)) */
	wg_hmac(out, key, 100, in, 200);
	is_hex(out, 32, "c4c95271905c6f69c1dd7c6fbc0cb373"
	    "5457a660ccc2c4370f28825e7abef5af", "HMAC, 100-byte key");
	/* key bytes(range(0x40, 0x80)) (one block), msg b"" */
	wg_hmac(out, in + 0x40, 64, "", 0);
	is_hex(out, 32, "c8c3833c13a7a183748a183befdccec8"
	    "0752aae4727688fcd52fe51edba84b37", "HMAC, 64-byte key");
	/* key b"", msg b"abc" */
	wg_hmac(out, NULL, 0, "abc", 3);
	is_hex(out, 32, "4a79a31b10a8c34b7c89735b8088e6b8"
	    "10b4bad4f36d671b65ca2ea0914952bf", "HMAC, empty key");

	/*
	 * WireGuard's initial chaining key and hash, as wireguard-go and
	 * the Linux module precompute them; python3:
	 * C = hashlib.blake2s(b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s")
	 * H = hashlib.blake2s(C.digest() +
	 *     b"WireGuard v1 zx2c4 Jason@zx2c4.com")
	 */
	wg_hash(c0, "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s", 37);
	is_hex(c0, 32, "60e26daef327efc02ec335e2a025d2d0"
	    "16eb4206f87277f52d38d1988b78cd36", "Noise initial chaining key");
	{
		struct wg_blake2s	S;

		wg_blake2s_init(&S, 32);
		wg_blake2s_update(&S, c0, 32);
		wg_blake2s_update(&S, "WireGuard v1 zx2c4 Jason@zx2c4.com", 34);
		wg_blake2s_final(&S, out);
		is_hex(out, 32, "2211b361081ac566691243db458ad532"
		    "2d9c6c662293e8b70ee19c65ba079ef3", "Noise initial hash");
	}

	/*
	 * KDFs, from the whitepaper's definition in python3:
	 * t0 = H(key, input); t1 = H(t0, b"\x01"); t2 = H(t0, t1 + b"\x02");
	 * t3 = H(t0, t2 + b"\x03") with H the HMAC above; key is C above,
	 * input bytes(range(0x20, 0x40)).
	 */
#define KDF_T1	"a1bb5656571db2bfe717e0e0148b7c3d"	\
		"3e5270adf9392b07cd20fe3d461094bd"
#define KDF_T2	"0349d890ad1d9ebbf0f4775178115686"	\
		"d2d91c13baf7941534c73d193ee4503d"
#define KDF_T3	"20524b5a0058dc9994bc93028b6b3000"	\
		"7b1e270bffa55ac5dc9a890abef958e7"
	wg_kdf1(c0, in + 0x20, 32, t1);
	is_hex(t1, 32, KDF_T1, "KDF1");
	memset(t1, 0, sizeof(t1));
	wg_kdf2(c0, in + 0x20, 32, t1, t2);
	is_hex(t1, 32, KDF_T1, "KDF2 first output");
	is_hex(t2, 32, KDF_T2, "KDF2 second output");
	memset(t1, 0, sizeof(t1));
	memset(t2, 0, sizeof(t2));
	wg_kdf3(c0, in + 0x20, 32, t1, t2, t3);
	is_hex(t1, 32, KDF_T1, "KDF3 first output");
	is_hex(t2, 32, KDF_T2, "KDF3 second output");
	is_hex(t3, 32, KDF_T3, "KDF3 third output");
	/* Noise writes ck = KDF(ck, ...): outputs alias the key */
	memcpy(ck, c0, sizeof(ck));
	wg_kdf2(ck, in + 0x20, 32, ck, t2);
	is_hex(ck, 32, KDF_T1, "KDF2 with out1 aliasing the key");
	is_hex(t2, 32, KDF_T2, "KDF2 second output when aliased");
	/* key bytes(range(32)), input b"" */
	wg_kdf3(key, NULL, 0, t1, t2, t3);
	is_hex(t1, 32, "7a38c34bf2b8738d7374ca77c44ecb30"
	    "9a11d2b2528304fa86052c365e722624", "KDF3 empty input, 1");
	is_hex(t2, 32, "1a17621f346abdc520746a9fb64d8eb0"
	    "3231d674fc15687537b0780fd9c060fd", "KDF3 empty input, 2");
	is_hex(t3, 32, "4eaf02809ac4b930ef63479de62275f1"
	    "c55656e61f78a3cc653c18a2223d6c5f", "KDF3 empty input, 3");
#undef KDF_T1
#undef KDF_T2
#undef KDF_T3
}

/* X25519 through OpenSSL, to check ours against */
static int
evp_x25519(uint8_t out[32], const uint8_t priv[32], const uint8_t pub[32])
{
	EVP_PKEY	*a = NULL, *b = NULL;
	EVP_PKEY_CTX	*ctx = NULL;
	size_t		 len = 32;
	int		 ret = -1;

	if ((a = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv,
	    32)) != NULL &&
	    (b = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub,
	    32)) != NULL &&
	    (ctx = EVP_PKEY_CTX_new(a, NULL)) != NULL &&
	    EVP_PKEY_derive_init(ctx) == 1 &&
	    EVP_PKEY_derive_set_peer(ctx, b) == 1 &&
	    EVP_PKEY_derive(ctx, out, &len) == 1 && len == 32)
		ret = 0;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(b);
	EVP_PKEY_free(a);
	return ret;
}

static void
test_x25519(void)
{
	uint8_t		 k[32], u[32], out[32], a[32], b[32], apub[32];
	uint8_t		 bpub[32], ssa[32], ssb[32], ref[32], t[32];
	EVP_PKEY	*p;
	size_t		 len;
	int		 i, bad;
	/* points of small order, and non-canonical encodings of 0, 1, -1 */
	static const char *lows[] = {
		"00000000000000000000000000000000"
		    "00000000000000000000000000000000",
		"01000000000000000000000000000000"
		    "00000000000000000000000000000000",
		"e0eb7a7c3b41b8ae1656e3faf19fc46a"
		    "da098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b"
		    "04445cc4581c8e86d8224eddd09f1157",
		"ecffffffffffffffffffffffffffffff"
		    "ffffffffffffffffffffffffffffff7f",
		"edffffffffffffffffffffffffffffff"
		    "ffffffffffffffffffffffffffffff7f",
		"eeffffffffffffffffffffffffffffff"
		    "ffffffffffffffffffffffffffffff7f",
	};

	/* RFC 7748 section 5.2 */
	unhex(k, 32, "a546e36bf0527c9d3b16154b82465edd"
	    "62144c0ac1fc5a18506a2244ba449ac4");
	unhex(u, 32, "e6db6867583030db3594c1a424b15f7c"
	    "726624ec26b3353b10a903a6d0ab1c4c");
	ok(wg_dh(out, k, u) == 0, "RFC 7748 5.2 vector 1: wg_dh succeeds");
	is_hex(out, 32, "c3da55379de9c6908e94ea4df28d084f"
	    "32eccf03491c71f754b4075577a28552", "RFC 7748 5.2 vector 1");
	/* this u has its top bit set, which must be ignored */
	unhex(k, 32, "4b66e9d4d1b4673c5ad22691957d6af5"
	    "c11b6421e0ea01d42ca4169e7918ba0d");
	unhex(u, 32, "e5210f12786811d3f4b7959d0538ae2c"
	    "31dbe7106fc03c3efc4cd549c715a493");
	wg_dh(out, k, u);
	is_hex(out, 32, "95cbde9476e8907d7aade45cb4b873f8"
	    "8b595a68799fa152e6f8f7647aac7957", "RFC 7748 5.2 vector 2");

	/* RFC 7748 section 5.2, iterated: k = X25519(k, u), u = old k */
	memset(k, 0, sizeof(k));
	k[0] = 9;
	memcpy(u, k, sizeof(u));
	for (i = 1; i <= 1000; i++) {
		wg_x25519(out, k, u);
		memcpy(u, k, sizeof(u));
		memcpy(k, out, sizeof(k));
		if (i == 1)
			is_hex(k, 32, "422c8e7a6227d7bca1350b3e2bb7279f"
			    "7897b87bb6854b783c60e80311ae3079",
			    "RFC 7748 5.2 after 1 iteration");
	}
	is_hex(k, 32, "684cf59ba83309552800ef566f2f4d3c"
	    "1c3887c49360e3875f2eb94d99532c51",
	    "RFC 7748 5.2 after 1000 iterations");

	/* RFC 7748 section 6.1 */
	unhex(a, 32, "77076d0a7318a57d3c16c17251b26645"
	    "df4c2f87ebc0992ab177fba51db92c2a");
	unhex(b, 32, "5dab087e624a8a4b79e17f8b83800ee6"
	    "6f3bb1292618b6fd1c2f8b27ff88e0eb");
	wg_dh_public(apub, a);
	is_hex(apub, 32, "8520f0098930a754748b7ddcb43ef75a"
	    "0dbf3a0d26381af4eba4a98eaa9b4e6a", "RFC 7748 6.1 Alice's public");
	wg_dh_public(bpub, b);
	is_hex(bpub, 32, "de9edb7d7b7dc1b4d35b61c2ece43537"
	    "3f8343c85b78674dadfc7e146f882b4f", "RFC 7748 6.1 Bob's public");
	ok(wg_dh(ssa, a, bpub) == 0 && wg_dh(ssb, b, apub) == 0,
	    "RFC 7748 6.1 both DHs succeed");
	is_hex(ssa, 32, "4a5d9d5ba4ce2de1728e3bf480350f25"
	    "e07e21c947d19e3376f09b3c1e161742", "RFC 7748 6.1 K, Alice");
	is_hex(ssb, 32, "4a5d9d5ba4ce2de1728e3bf480350f25"
	    "e07e21c947d19e3376f09b3c1e161742", "RFC 7748 6.1 K, Bob");
	/* out aliasing the private key */
	memcpy(t, a, sizeof(t));
	wg_dh(t, t, bpub);
	ok(memcmp(t, ssa, 32) == 0, "wg_dh with out aliasing priv");

	/* an all-zero shared secret is refused (python3-cryptography
	 * refuses each of these points too) */
	for (i = 0; i < (int)(sizeof(lows) / sizeof(lows[0])); i++) {
		unhex(u, 32, lows[i]);
		memset(out, 0xa5, sizeof(out));
		if (!ok(wg_dh(out, a, u) == -1 && all_zero(out, 32),
		    "low-order point %d refused, output zeroed", i))
			diag("point %s", lows[i]);
	}

	/* DH-GENERATE */
	ok(wg_dh_generate(a, apub) == 0 && wg_dh_generate(b, bpub) == 0,
	    "wg_dh_generate");
	ok((a[0] & 7) == 0 && (a[31] & 0xc0) == 0x40, "generated key clamped");
	ok(memcmp(a, b, 32) != 0, "two generated keys differ");
	wg_dh_public(t, a);
	ok(memcmp(t, apub, 32) == 0, "generated public matches private");
	ok(wg_dh(ssa, a, bpub) == 0 && wg_dh(ssb, b, apub) == 0 &&
	    memcmp(ssa, ssb, 32) == 0, "generated keys agree");

	/* the fixed-base comb against the ladder on the base point 9 */
	bad = 0;
	for (i = 0; i < 8; i++) {
		static const uint8_t fill[8] = {
			0x00, 0xff, 0x88, 0x77, 0x80, 0x7f, 0x0f, 0xf0
		};

		memset(k, fill[i], sizeof(k));
		memset(u, 0, sizeof(u));
		u[0] = 9;
		wg_x25519(ref, k, u);
		wg_dh_public(out, k);
		if (memcmp(out, ref, 32) != 0)
			bad++;
	}
	is_int(bad, 0, "fixed-base public keys match the ladder");

	/* against OpenSSL on random inputs, top bit of u included */
	bad = 0;
	for (i = 0; i < 256; i++) {
		if (RAND_bytes(k, 32) != 1 || RAND_bytes(u, 32) != 1) {
			bad++;
			break;
		}
		wg_x25519(out, k, u);
		if (evp_x25519(ref, k, u) == -1)
			memset(ref, 0, sizeof(ref));
		if (memcmp(out, ref, 32) != 0)
			bad++;
		wg_dh_public(out, k);
		p = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, k, 32);
		len = 32;
		if (p == NULL ||
		    EVP_PKEY_get_raw_public_key(p, ref, &len) != 1 ||
		    memcmp(out, ref, 32) != 0)
			bad++;
		EVP_PKEY_free(p);
	}
	is_int(bad, 0, "X25519 matches OpenSSL on 256 random inputs");
}

/* RFC 8439 section 2.8.2 */
static const char rfc8439_key[] =
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
static const char rfc8439_aad[] = "50515253c0c1c2c3c4c5c6c7";
static const char sunscreen[] = "Ladies and Gentlemen of the class of '99: "
    "If I could offer you only one tip for the future, sunscreen would "
    "be it.";
static const char rfc8439_ct[] =
    "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
    "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
    "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
    "3ff4def08e4b7a9de576d26586cec64b6116"
    "1ae10b594f09e26a7e902ecbd0600691";	/* tag */

static void
test_aead(void)
{
	struct wg_aead_ctx	*ctx;
	uint8_t			 key[32], nonce[12], aad[12], ct[256], pt[256];
	uint8_t			 ct2[256], buf[256];
	size_t			 len = sizeof(sunscreen) - 1;
	uint64_t		 ctr;
	int			 i, bad;

	unhex(key, 32, rfc8439_key);
	unhex(nonce, 12, "070000004041424344454647");
	unhex(aad, 12, rfc8439_aad);

	ok(wg_chachapoly_encrypt(ct, key, nonce, (const uint8_t *)sunscreen,
	    len, aad, 12) == 0, "RFC 8439 2.8.2 encrypt succeeds");
	is_hex(ct, len + 16, rfc8439_ct, "RFC 8439 2.8.2 ciphertext and tag");
	ok(wg_chachapoly_decrypt(pt, key, nonce, ct, len + 16, aad, 12) == 0 &&
	    memcmp(pt, sunscreen, len) == 0, "RFC 8439 2.8.2 decrypts");
	/* in place */
	memcpy(buf, ct, len + 16);
	ok(wg_chachapoly_decrypt(buf, key, nonce, buf, len + 16, aad, 12) ==
	    0 && memcmp(buf, sunscreen, len) == 0, "decrypts in place");

	ct[len + 15] ^= 1;
	memset(pt, 0xa5, sizeof(pt));
	ok(wg_chachapoly_decrypt(pt, key, nonce, ct, len + 16, aad, 12) ==
	    -1, "bad tag refused");
	ok(all_zero(pt, len), "output wiped after a bad tag");
	ct[len + 15] ^= 1;
	ct[0] ^= 0x80;
	ok(wg_chachapoly_decrypt(pt, key, nonce, ct, len + 16, aad, 12) ==
	    -1, "modified ciphertext refused");
	ct[0] ^= 0x80;
	aad[0] ^= 1;
	ok(wg_chachapoly_decrypt(pt, key, nonce, ct, len + 16, aad, 12) ==
	    -1, "modified associated data refused");
	aad[0] ^= 1;
	ok(wg_chachapoly_decrypt(pt, key, nonce, ct, 15, aad, 12) == -1,
	    "input shorter than a tag refused");

	/*
	 * WireGuard's nonce: 4 zero bytes, then the counter little-endian.
	 * python3-cryptography: ChaCha20Poly1305(bytes(range(0x80, 0xa0)))
	 *     .encrypt(b"\0" * 4 + (0x0102030405060708).to_bytes(8,
	 *     "little"), b"meshd data plane", None)
	 */
	ctr = 0x0102030405060708ULL;
	ok(wg_aead_encrypt(ct, key, ctr, (const uint8_t *)"meshd data plane",
	    16, NULL, 0) == 0, "AEAD with a counter");
	is_hex(ct, 32, "99d49dd334fa3fbc57d051fb62160bba"
	    "e035bd15be1cce5a258543c782840bed", "AEAD counter nonce layout");
	unhex(nonce, 12, "000000000807060504030201");
	wg_chachapoly_encrypt(ct2, key, nonce,
	    (const uint8_t *)"meshd data plane", 16, NULL, 0);
	ok(memcmp(ct, ct2, 32) == 0, "AEAD counter = general nonce "
	    "00000000 || le64(counter)");
	ok(wg_aead_decrypt(pt, key, ctr, ct, 32, NULL, 0) == 0 &&
	    memcmp(pt, "meshd data plane", 16) == 0, "AEAD decrypts");
	ok(wg_aead_decrypt(pt, key, ctr + 1, ct, 32, NULL, 0) == -1,
	    "AEAD with the wrong counter refused");
	/* a keepalive: nothing but the tag.  python3-cryptography:
	 * ChaCha20Poly1305(key).encrypt(b"\0" * 12, b"", None) */
	ok(wg_aead_encrypt(ct, key, 0, NULL, 0, NULL, 0) == 0,
	    "AEAD of an empty message");
	is_hex(ct, 16, "3ae5d3f2a376d317eaea5aef0215ba54", "empty message tag");
	ok(wg_aead_decrypt(pt, key, 0, ct, 16, NULL, 0) == 0,
	    "empty message decrypts");
	ok(wg_aead_decrypt(NULL, key, 0, ct, 16, NULL, 0) == 0,
	    "empty message decrypts with no output buffer");

	/* the context variant gives the same bytes, both ways, any order */
	if ((ctx = wg_aead_ctx_new(key)) == NULL) {
		ok(0, "wg_aead_ctx_new");
		return;
	}
	bad = 0;
	for (i = 0; i < 48; i++) {
		size_t	n = (size_t)i * 5;	/* up to 235 */

		ctr = (uint64_t)i * 0x0101010101ULL;
		memset(buf, i, sizeof(buf));
		if (wg_aead_encrypt(ct, key, ctr, buf, n, aad, i % 13) != 0 ||
		    wg_aead_ctx_encrypt(ctx, ct2, ctr, buf, n, aad,
		    i % 13) != 0 || memcmp(ct, ct2, n + 16) != 0)
			bad++;
		if (wg_aead_ctx_decrypt(ctx, pt, ctr, ct, n + 16, aad,
		    i % 13) != 0 || memcmp(pt, buf, n) != 0)
			bad++;
		/* a failed decryption leaves the context usable */
		ct2[0] ^= 1;
		if (wg_aead_ctx_decrypt(ctx, pt, ctr, ct2, n + 16, aad,
		    i % 13) != -1)
			bad++;
		/* in place */
		if (wg_aead_ctx_decrypt(ctx, ct, ctr, ct, n + 16, aad,
		    i % 13) != 0 || memcmp(ct, buf, n) != 0)
			bad++;
	}
	is_int(bad, 0, "context AEAD matches one-shot AEAD");
	wg_aead_ctx_free(ctx);
	wg_aead_ctx_free(NULL);
}

static void
test_xchacha(void)
{
	uint8_t	key[32], in[16], out[32], nonce[24], aad[12];
	uint8_t	ct[200], pt[200];
	size_t	len = sizeof(sunscreen) - 1;

	/* draft-irtf-cfrg-xchacha-03 section 2.2.1 */
	unhex(key, 32, "000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f");
	unhex(in, 16, "000000090000004a0000000031415927");
	wg_hchacha20(out, key, in);
	is_hex(out, 32, "82413b4227b27bfed30e42508a877d73"
	    "a0f9e4d58a74a853c12ec41326d3ecdc", "HChaCha20 2.2.1");

	/* draft-irtf-cfrg-xchacha-03 appendix A.3.1 */
	unhex(key, 32, rfc8439_key);
	unhex(nonce, 24, "404142434445464748494a4b4c4d4e4f5051525354555657");
	unhex(aad, 12, rfc8439_aad);
	ok(wg_xaead_encrypt(ct, key, nonce, (const uint8_t *)sunscreen, len,
	    aad, 12) == 0, "XChaCha20-Poly1305 A.3.1 encrypt succeeds");
	is_hex(ct, len + 16,
	    "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
	    "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
	    "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
	    "21f9664c97637da9768812f615c68b13b52e"
	    "c0875924c1c7987947deafd8780acf49",
	    "XChaCha20-Poly1305 A.3.1 ciphertext and tag");
	ok(wg_xaead_decrypt(pt, key, nonce, ct, len + 16, aad, 12) == 0 &&
	    memcmp(pt, sunscreen, len) == 0, "XChaCha20-Poly1305 decrypts");
	nonce[23] ^= 1;
	ok(wg_xaead_decrypt(pt, key, nonce, ct, len + 16, aad, 12) == -1,
	    "XChaCha20-Poly1305 with another nonce refused");
}

static uint64_t
be64(const uint8_t *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
test_tai64n(void)
{
	struct timespec	ts;
	uint8_t		t1[12], t2[12];

	ts.tv_sec = 0;
	ts.tv_nsec = 0;
	wg_tai64n_ts(t1, &ts);
	is_hex(t1, 12, "400000000000000a00000000", "TAI64N of the epoch");
	/* python3: (0x400000000000000a + 1700000000).to_bytes(8, "big") +
	 *     (999999999 & 0xff000000).to_bytes(4, "big") */
	ts.tv_sec = 1700000000;
	ts.tv_nsec = 999999999;
	wg_tai64n_ts(t1, &ts);
	is_hex(t1, 12, "400000006553f10a3b000000",
	    "TAI64N, nanoseconds rounded down to 2^24");

	ok(wg_tai64n(t1) == 0, "wg_tai64n reads the clock");
	ok(wg_tai64n(t2) == 0 && memcmp(t1, t2, 12) <= 0,
	    "TAI64N does not go backwards");
	clock_gettime(CLOCK_REALTIME, &ts);
	wg_tai64n_ts(t2, &ts);
	ok(be64(t2) >= be64(t1) && be64(t2) - be64(t1) <= 2,
	    "wg_tai64n is the real time");
}

int
main(void)
{
	test_blake2s();
	test_hmac_kdf();
	test_x25519();
	test_aead();
	test_xchacha();
	test_tai64n();
	return tap_done();
}
