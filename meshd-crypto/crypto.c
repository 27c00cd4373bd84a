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
 * meshd-crypto: the only process that holds key bytes.  It reads the
 * private key and preshared keys from fds the parent opened, tells the
 * parent only the public key, and keeps every secret on pages that are
 * excluded from core dumps, in a process that cannot dump core or be
 * ptrace-attached by its own user.  Handshakes and data encryption come
 * with later issues.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "child.h"
#include "log.h"
#include "wgkey.h"

#define CRYPTO_MAX_PSK	4096	/* peers with a preshared key */

/*
 * Secrets live here: a private mapping marked MADV_DONTDUMP, locked in
 * memory where the limit allows, wiped on change.
 */
struct secrets {
	uint8_t		 priv[WG_KEY_LEN];
	uint8_t		 has_priv;
};

struct psk {
	uint32_t	 id;
	uint8_t		 key[WG_KEY_LEN];
};

static struct secrets		*sec;
static struct psk		*psks;		/* also on dontdump pages */
static size_t			 npsks;
static struct conf_snapshot	*conf;
static uint8_t			 pubkey[WG_KEY_LEN];

static void	 crypto_dispatch(struct imsgev *, struct imsg *);
static void	 crypto_reconf(struct conf_snapshot *);
static void	 crypto_init(void);

static struct child crypto_child = {
	.role = PROC_CRYPTO,
	.dispatch = crypto_dispatch,
	.reconf = crypto_reconf,
};

static void *
secret_alloc(size_t len)
{
	void	*p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		fatal("mmap");
#ifdef MADV_DONTDUMP
	if (madvise(p, len, MADV_DONTDUMP) == -1)
		fatal("madvise(MADV_DONTDUMP)");
#endif
	/* best effort: RLIMIT_MEMLOCK may be small */
	if (mlock(p, len) == -1)
		log_debug("mlock: %s", strerror(errno));
	return p;
}

static void
crypto_init(void)
{
	struct rlimit	rl = { 0, 0 };
	uint8_t		k[WG_KEY_LEN], p[WG_KEY_LEN];

	/*
	 * OpenSSL reads its config, fetches algorithms and seeds its DRBG
	 * on first use: do that now, while files can still be opened.
	 */
	if (OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL) != 1)
		fatalx("OpenSSL initialisation failed");
	if (wg_key_generate_private(k) == -1 || wg_key_public(p, k) == -1)
		fatalx("OpenSSL X25519 self-check failed");
	explicit_bzero(k, sizeof(k));

	/* no core files, no ptrace by our own (unprivileged) user */
	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		fatal("setrlimit(RLIMIT_CORE)");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_DUMPABLE)");
	sec = secret_alloc(sizeof(*sec));
	psks = secret_alloc(CRYPTO_MAX_PSK * sizeof(*psks));
}

static void
read_private_key(int fd)
{
	uint8_t		 key[WG_KEY_LEN];
	const char	*errstr;
	char		 reason[128];

	if (wg_key_read_fd(fd, key, &errstr) == -1) {
		close(fd);
		explicit_bzero(key, sizeof(key));
		(void)strlcpy(reason, errstr, sizeof(reason));
		log_warnx("private-key-file: %s", reason);
		child_compose(PROC_PARENT, IMSG_KEY_ERROR, 0, -1, reason,
		    strlen(reason) + 1);
		return;
	}
	close(fd);
	if (wg_key_public(pubkey, key) == -1)
		fatalx("cannot derive the public key");
	memcpy(sec->priv, key, sizeof(sec->priv));
	sec->has_priv = 1;
	explicit_bzero(key, sizeof(key));
	child_compose(PROC_PARENT, IMSG_PUBKEY, 0, -1, pubkey, sizeof(pubkey));
}

static void
read_psk(uint32_t id, int fd)
{
	uint8_t		 key[WG_KEY_LEN];
	const char	*errstr;
	size_t		 i;

	if (wg_key_read_fd(fd, key, &errstr) == -1) {
		close(fd);
		log_warnx("preshared-key-file of peer %u: %s", id, errstr);
		child_compose(PROC_PARENT, IMSG_KEY_ERROR, id, -1, errstr,
		    strlen(errstr) + 1);
		return;
	}
	close(fd);
	for (i = 0; i < npsks; i++)
		if (psks[i].id == id)
			break;
	if (i == npsks) {
		if (npsks == CRYPTO_MAX_PSK)
			fatalx("more than %d preshared keys", CRYPTO_MAX_PSK);
		npsks++;
	}
	psks[i].id = id;
	memcpy(psks[i].key, key, sizeof(key));
	explicit_bzero(key, sizeof(key));
}

static void
crypto_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	int	fd;

	switch (imsg_get_type(imsg)) {
	case IMSG_KEY_FD:
		if (iev->peer != PROC_PARENT)
			break;
		if ((fd = imsg_get_fd(imsg)) == -1)
			fatalx("KEY_FD without a descriptor");
		read_private_key(fd);
		return;
	case IMSG_PSK_FD:
		if (iev->peer != PROC_PARENT)
			break;
		if ((fd = imsg_get_fd(imsg)) == -1)
			fatalx("PSK_FD without a descriptor");
		read_psk(imsg_get_id(imsg), fd);
		return;
	default:
		break;
	}
	fatalx("unexpected imsg %s from %s", imsg_type_name(imsg_get_type(imsg)),
	    meshd_role_names[iev->peer]);
}

static void
crypto_reconf(struct conf_snapshot *cs)
{
	size_t	i, j;

	/* forget the preshared keys of peers that are gone or lost theirs */
	for (i = j = 0; i < npsks; i++) {
		struct conf_peer *cp = conf_snapshot_find(cs, psks[i].id);

		if (cp != NULL && cp->msg.has_psk) {
			if (i != j)
				psks[j] = psks[i];
			j++;
		}
	}
	for (i = j; i < npsks; i++)
		explicit_bzero(&psks[i], sizeof(psks[i]));
	npsks = j;
	conf_snapshot_free(conf);
	conf = cs;
	log_debug("config: %zu peers, %zu preshared keys", conf->npeers, npsks);
}

int
main(int argc, char *argv[])
{
	child_start(&crypto_child, argc, argv, crypto_init);
	event_dispatch();
	fatalx("event loop ended");
}
