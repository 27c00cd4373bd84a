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
 * What the rest of the parent does with a parsed configuration: free it
 * and find peers in it.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>


#include "config.h"

void
free_config(struct meshd_conf *conf)
{
	struct peer_conf	*p;

	if (conf == NULL)
		return;
	while ((p = TAILQ_FIRST(&conf->peers)) != NULL) {
		TAILQ_REMOVE(&conf->peers, p, entry);
		free(p->aips);
		free(p->pubkey_at);
		free(p->psk_at);
		free(p);
	}
	free(conf);
}

/* the peer with this public key (compared in constant time), or NULL */
struct peer_conf *
config_find_peer_name(struct meshd_conf *conf, const char *name)
{
	struct peer_conf	*p;

	TAILQ_FOREACH(p, &conf->peers, entry)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}
