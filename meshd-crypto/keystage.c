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
 * The keys of meshd-crypto.  The key check (meshd.h): the keys of a
 * config are read into the stage, never into the keys in use, and
 * answered for; the config's RECONF_END puts them in use.  KEY_FD opens
 * a check, KEYCHECK_ABORT throws it away.  The stage and the preshared
 * keys in use live on pages kept out of core dumps (secmem.c); the
 * private key in use is the engine's (noise_local_set_private()).
 */

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "child.h"
#include "crypto.h"
#include "log.h"

struct psk {
	uint32_t	 id;
	uint8_t		 key[WG_KEY_LEN];
};

/* keys read by a key check, until their config comes (dontdump pages) */
struct keystage {
	uint8_t		 priv[WG_KEY_LEN];
	uint8_t		 open;		/* KEY_FD came */
	uint8_t		 has_priv;
	uint8_t		 checked;	/* KEYCHECK_OK sent */
	uint8_t		 failed;
	uint8_t		 keep_priv;	/* KEY_KEEP 0: the key in use stays */
	uint32_t	 err_id;	/* 0: the private key, else a peer */
	char		 err[128];
	size_t		 npsks;
	struct psk	 psks[MESH_MAX_PSK];
};

static struct psk	*psks;		/* in use, on dontdump pages */
static size_t		 npsks;
static struct keystage	*stage;		/* on dontdump pages */
static uint8_t		 pubkey[WG_KEY_LEN];	/* of the key in use */
static int		 has_pubkey;
static uint8_t		*priv;		/* the key in use, for a UAPI get */

void
keystage_init(void)
{
	psks = secret_alloc(MESH_MAX_PSK * sizeof(*psks));
	stage = secret_alloc(sizeof(*stage));
	priv = secret_alloc(WG_KEY_LEN);
}

void
stage_reset(void)
{
	explicit_bzero(stage, sizeof(*stage));
}

/* the first error is the one reported */
static void
stage_fail(uint32_t id, const char *reason)
{
	if (stage->failed)
		return;
	stage->failed = 1;
	stage->err_id = id;
	(void)strlcpy(stage->err, reason, sizeof(stage->err));
}

void
stage_private_key(int fd)
{
	const char	*errstr;

	stage_reset();
	stage->open = 1;
	if (wg_key_read_fd(fd, stage->priv, &errstr) == -1)
		stage_fail(0, errstr);
	else
		stage->has_priv = 1;
	close(fd);
}

/* the stage's next preshared key, or NULL (the check fails) */
static struct psk *
stage_psk_slot(uint32_t id)
{
	if (!stage->open || id == 0)
		fatalx("a preshared key outside a key check, or of peer 0");
	if (stage->npsks == MESH_MAX_PSK) {
		stage_fail(id, "more preshared keys than meshd-crypto holds");
		return NULL;
	}
	return &stage->psks[stage->npsks];
}

void
stage_psk(uint32_t id, int fd)
{
	const char	*errstr;
	struct psk	*k;

	if ((k = stage_psk_slot(id)) == NULL) {
		close(fd);
		return;
	}
	if (wg_key_read_fd(fd, k->key, &errstr) == -1) {
		explicit_bzero(k, sizeof(*k));
		stage_fail(id, errstr);
	} else {
		k->id = id;
		stage->npsks++;
	}
	close(fd);
}

/*
 * KEY_UAPI: a key the parent read from wg(8) (it wipes its copy).  The
 * private key opens a check as KEY_FD does.
 */
void
stage_key_bytes(uint32_t id, const uint8_t *key)
{
	struct psk	*k;

	if (id == 0) {
		stage_reset();
		stage->open = 1;
		memcpy(stage->priv, key, WG_KEY_LEN);
		stage->has_priv = 1;
		return;
	}
	if ((k = stage_psk_slot(id)) == NULL)
		return;
	memcpy(k->key, key, WG_KEY_LEN);
	k->id = id;
	stage->npsks++;
}

/* KEY_KEEP: a key in use stays (a UAPI set that did not touch it) */
void
stage_keep(uint32_t id)
{
	const uint8_t	*cur;
	struct psk	*k;

	if (id == 0) {
		stage_reset();
		stage->open = 1;
		stage->keep_priv = 1;
		return;
	}
	if ((cur = psk_find(id)) == NULL) {
		stage_fail(id, "no preshared key in use to keep");
		return;
	}
	if ((k = stage_psk_slot(id)) == NULL)
		return;
	memcpy(k->key, cur, WG_KEY_LEN);
	k->id = id;
	stage->npsks++;
}

/* UAPI_KEYS_REQ: the keys in use, for the parent's answer to a get */
void
keys_uapi_get(uint32_t reqid)
{
	static struct mesh_uapi_key	*k;
	size_t				 i;

	if (k == NULL)
		k = secret_alloc(sizeof(*k));
	if (has_pubkey) {
		k->id = 0;
		memcpy(k->key, priv, WG_KEY_LEN);
		child_compose(PROC_PARENT, IMSG_UAPI_KEY, reqid, -1, k,
		    sizeof(*k));
	}
	for (i = 0; i < npsks; i++) {
		k->id = psks[i].id;
		memcpy(k->key, psks[i].key, WG_KEY_LEN);
		child_compose(PROC_PARENT, IMSG_UAPI_KEY, reqid, -1, k,
		    sizeof(*k));
	}
	explicit_bzero(k, sizeof(*k));
	child_compose(PROC_PARENT, IMSG_UAPI_KEY_END, reqid, -1, NULL, 0);
}

/* the verdict; meshd -n's check child is done after it */
void
keycheck_end(void)
{
	uint8_t	pub[WG_KEY_LEN];

	if (!stage->open)
		fatalx("KEYCHECK_END without KEY_FD");
	if (stage->keep_priv && !stage->failed) {
		if (!has_pubkey)
			stage_fail(0, "no private key in use to keep");
		else
			memcpy(pub, pubkey, sizeof(pub));
	} else if (!stage->failed && (!stage->has_priv ||
	    wg_key_public(pub, stage->priv) == -1))
		stage_fail(0, "not a usable private key");
	if (stage->failed) {
		child_compose(PROC_PARENT, IMSG_KEY_ERROR, stage->err_id, -1,
		    stage->err, strlen(stage->err) + 1);
		stage_reset();
	} else {
		stage->checked = 1;
		child_compose(PROC_PARENT, IMSG_KEYCHECK_OK, 0, -1, pub,
		    sizeof(pub));
	}
	if (self->check) {
		stage_reset();
		if (imsgbuf_flush(&self->iev[PROC_PARENT].ibuf) == -1)
			fatal("key check: write");
		exit(0);
	}
}

/* a new config: its checked keys go in use (none checked: keep ours) */
void
keys_commit(struct noise_local *local)
{
	uint8_t	cur[WG_KEY_LEN];

	if (!stage->checked) {
		stage_reset();
		return;
	}
	/* the same key again (a reload): keep the sessions */
	if (!stage->keep_priv && (!has_pubkey ||
	    wg_key_public(cur, stage->priv) == -1 ||
	    CRYPTO_memcmp(cur, pubkey, sizeof(cur)) != 0)) {
		if (noise_local_set_private(local, stage->priv) != 0 ||
		    noise_local_public(local, pubkey) != 0)
			fatalx("cannot use the private key");
		if (has_pubkey)
			log_info("new private key: sessions start anew");
		has_pubkey = 1;
		memcpy(priv, stage->priv, WG_KEY_LEN);
		/* net checks mac1 and makes cookies: it needs the public key */
		child_compose(PROC_NET, IMSG_PUBKEY, 0, -1, pubkey,
		    sizeof(pubkey));
	}
	explicit_bzero(psks, MESH_MAX_PSK * sizeof(*psks));
	memcpy(psks, stage->psks, stage->npsks * sizeof(*psks));
	npsks = stage->npsks;
	stage_reset();
}

const uint8_t *
psk_find(uint32_t id)
{
	size_t	i;

	for (i = 0; i < npsks; i++)
		if (psks[i].id == id)
			return psks[i].key;
	return NULL;
}

/* is this our own public key? */
int
pubkey_is_ours(const uint8_t pub[WG_KEY_LEN])
{
	return has_pubkey && CRYPTO_memcmp(pub, pubkey, WG_KEY_LEN) == 0;
}

/*
 * Forget the preshared keys of peers that are gone or lost theirs;
 * returns how many are left.
 */
size_t
psk_prune(struct conf_snapshot *cs)
{
	struct conf_peer	*p;
	size_t			 i, j;

	for (i = j = 0; i < npsks; i++) {
		p = conf_snapshot_find(cs, psks[i].id);
		if (p != NULL && p->msg.has_psk) {
			if (i != j)
				psks[j] = psks[i];
			j++;
		}
	}
	for (i = j; i < npsks; i++)
		explicit_bzero(&psks[i], sizeof(psks[i]));
	npsks = j;
	return npsks;
}
