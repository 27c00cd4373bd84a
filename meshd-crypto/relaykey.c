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
 * Relays, crypto's side: meshd-net speaks TLS and WebSocket but holds
 * neither the relay's TLS private key nor our static key.  Over the
 * signing pipe (a socketpair the parent made for the two) it asks, and
 * waits for the answer:
 *   RELAY_SIGN	 an ECDSA signature of a digest with the TLS key (serve
 *		 relay: TLS 1.3's CertificateVerify)
 *   RELAY_PROOF a proof of holding a static key, bound to one TLS
 *		 connection: BLAKE2s keyed by DH(our static key, the other
 *		 side's) over a label, who speaks and the connection's TLS
 *		 exporter value, so net learns nothing it could replay on
 *		 another connection or for another key.  With it, whether
 *		 the key is an admitted member's (or a coordinator's):
 *		 a relay lets a stranger, a member not admitted yet whose
 *		 site lets no UDP out, reach only coordinators, where it
 *		 registers.  The MAC for a stranger's key is one the
 *		 stranger can compute itself.
 * The TLS key comes as a descriptor (RELAY_KEY_FD) of the file the
 * parent opened: ECDSA P-256 or P-384 in PEM; RSA and Ed25519 keys are
 * refused (net's signing hook is an EC_KEY method).
 */

#define OPENSSL_API_COMPAT	0x10100000L	/* EVP_PKEY_get0_EC_KEY */

#include <sys/types.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "cert.h"
#include "child.h"
#include "crypto.h"
#include "log.h"
#include "noise.h"
#include "wgcrypto.h"
#include "wgnoise.h"

#define RELAY_KEY_MAX		16384

static EVP_PKEY		*tls_key;
static struct imsgev	 signev;

/*
 * OpenSSL's PEM decoders and ECDSA are fetched on first use: use them
 * once before the sandbox, on a key made for it.
 */
void
relay_key_init(void)
{
	EVP_PKEY	*k;
	BIO		*b;

	if ((k = EVP_EC_gen("P-256")) == NULL ||
	    (b = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) != 1)
		fatalx("OpenSSL EC self-check failed");
	EVP_PKEY_free(k);
	if ((k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL)
		fatalx("OpenSSL PEM self-check failed");
	EVP_PKEY_free(k);
	BIO_free(b);
}

/* an EC key on P-256 or P-384, else NULL and the reason */
static const char *
key_refused(EVP_PKEY *k)
{
	const EC_KEY	*ec;
	int		 nid;

	if (EVP_PKEY_base_id(k) != EVP_PKEY_EC)
		return "not an ECDSA key (RSA and Ed25519 are refused)";
	if ((ec = EVP_PKEY_get0_EC_KEY(k)) == NULL)
		return "not an ECDSA key";
	nid = EC_GROUP_get_curve_name(EC_KEY_get0_group(ec));
	if (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1)
		return "an ECDSA key on a curve other than P-256 or P-384";
	return NULL;
}

/* RELAY_KEY_FD: the tls-key-file, read and closed; its copies wiped */
void
relay_key_fd(int fd)
{
	uint8_t		*buf;
	const char	*why;
	EVP_PKEY	*k = NULL;
	BIO		*b;
	ssize_t		 n;

	if ((buf = malloc(RELAY_KEY_MAX)) == NULL)
		fatal(NULL);
	n = read(fd, buf, RELAY_KEY_MAX);
	close(fd);
	if (n > 0 && n < RELAY_KEY_MAX &&
	    (b = BIO_new_mem_buf(buf, n)) != NULL) {
		k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	freezero(buf, RELAY_KEY_MAX);
	if (k == NULL)
		fatalx("serve relay: tls-key-file: not a PEM private key");
	if ((why = key_refused(k)) != NULL)
		fatalx("serve relay: tls-key-file: %s", why);
	EVP_PKEY_free(tls_key);
	tls_key = k;
	log_debug("serve relay: TLS key in place");
}

static void
sign_answer(struct imsg *imsg)
{
	struct mesh_relay_sign	 rs;
	EVP_PKEY_CTX		*ctx = NULL;
	size_t			 siglen = sizeof(rs.sig);

	if (imsg_get_data(imsg, &rs, sizeof(rs)) == -1 ||
	    rs.dlen == 0 || rs.dlen > sizeof(rs.dgst))
		fatalx("RELAY_SIGN: bad message");
	rs.siglen = 0;
	if (tls_key != NULL && (ctx = EVP_PKEY_CTX_new(tls_key, NULL)) !=
	    NULL && EVP_PKEY_sign_init(ctx) == 1 &&
	    EVP_PKEY_sign(ctx, rs.sig, &siglen, rs.dgst, rs.dlen) == 1)
		rs.siglen = siglen;
	EVP_PKEY_CTX_free(ctx);
	imsg_compose_event(&signev, IMSG_RELAY_SIGN, 0, 0, -1, &rs,
	    sizeof(rs));
}

/* the proof's MAC: MESH_PROOF_MEMBER or _STRANGER, or _NONE */
static int
proof_mac(struct mesh_relay_proof *rp)
{
	struct noise_local	*l = crypto_local();
	struct crypto_peer	*cp;
	uint8_t			 dh[WG_DH_LEN];
	int			 ok;

	if (l == NULL || !l->has_key ||
	    (rp->who != MESH_PROOF_CLIENT && rp->who != MESH_PROOF_RELAY))
		return MESH_PROOF_NONE;
	/*
	 * Which keys are relays' net knows from the directory and the
	 * config; crypto says only whether the key is a member's (or a
	 * coordinator's), or one a certificate of the mesh vouches for.
	 */
	cp = crypto_peer_by_key(rp->pubkey);
	if (cp != NULL && (cp->kind == PEER_COORDINATOR ||
	    mesh_member_roles(cp) != -1))
		ok = MESH_PROOF_MEMBER;
	else if (rp->certlen > 0 && rp->certlen <= sizeof(rp->cert) &&
	    mesh_cert_vouches(rp->cert, rp->certlen, rp->pubkey))
		ok = MESH_PROOF_STRANGER;
	else
		return MESH_PROOF_NONE;
	/* a low-order key: no DH, no proof */
	if (wg_dh(dh, l->priv, rp->pubkey) == -1)
		return MESH_PROOF_NONE;
	relay_proof_mac(dh, rp->who, rp->exporter, rp->mac);
	explicit_bzero(dh, sizeof(dh));
	return ok;
}

static void
proof_answer(struct imsg *imsg)
{
	struct mesh_relay_proof	rp;

	if (imsg_get_data(imsg, &rp, sizeof(rp)) == -1)
		fatalx("RELAY_PROOF: bad message");
	memset(rp.mac, 0, sizeof(rp.mac));
	rp.ok = proof_mac(&rp);
	imsg_compose_event(&signev, IMSG_RELAY_PROOF, 0, 0, -1, &rp,
	    sizeof(rp));
}

static void
relay_sign_dispatch(int fd, short event, void *arg)
{
	struct imsg	imsg;
	ssize_t		n;

	if (imsgev_io(&signev, event) == -1) {
		log_warnx("lost the signing pipe to net");
		imsgev_clear(&signev);
		return;
	}
	for (;;) {
		if ((n = imsgbuf_get(&signev.ibuf, &imsg)) == -1)
			fatal("bad imsg on the signing pipe");
		if (n == 0)
			break;
		switch (imsg_get_type(&imsg)) {
		case IMSG_RELAY_SIGN:
			sign_answer(&imsg);
			break;
		case IMSG_RELAY_PROOF:
			proof_answer(&imsg);
			break;
		default:
			child_unexpected(PROC_NET, &imsg);
		}
		imsg_free(&imsg);
	}
	imsg_event_add(&signev);
}

/* RELAY_SIGN_FD: our end of the signing pipe */
void
relay_sign_fd(int fd)
{
	if (signev.ibuf.fd > 0)
		fatalx("RELAY_SIGN_FD: a second pipe");
	if (imsgev_init(&signev, fd, PROC_NET, 0, relay_sign_dispatch,
	    NULL) == -1)
		fatal("imsgev_init");
}
