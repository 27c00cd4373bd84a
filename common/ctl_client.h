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
 * The control messages of the concentrator's clients (meshctl client add,
 * list, remove), between meshctl and the parent.  The client's private key
 * is made in meshctl and never travels: only its public key does.
 */

#ifndef CTL_CLIENT_H
#define CTL_CLIENT_H

#include <stdint.h>

#include "meshd.h"

/* CTL_CLIENT_ADD (name and public key), CTL_CLIENT_REMOVE (name only) */
struct ctl_client_req {
	char			name[MESH_NAME_MAX];
	uint8_t			pubkey[WG_KEY_LEN];
};

/* a client as the state file keeps it: its pool addresses, /32 and /128 */
#define CTL_CLIENT_ADDRS	2
struct ctl_client {
	char			name[MESH_NAME_MAX];
	uint8_t			pubkey[WG_KEY_LEN];
	uint32_t		naddrs;
	struct mesh_prefix	addrs[CTL_CLIENT_ADDRS];
	int64_t			added;		/* unix time */
};

/*
 * What a new client's wg-quick config needs from this node: its public
 * key, where to dial it, the mesh DNS addresses (ndns 0: no mesh DNS),
 * and nroutes prefixes to route to it, in CTL_CLIENT_ROUTES chunks
 */
#define CTL_CLIENT_DNS		4
#define CTL_CLIENT_ROUTES_MAX	65536
struct ctl_client_conf {
	uint8_t			pubkey[WG_KEY_LEN];
	char			endpoint[MESH_ENDPOINT_MAX];
	uint32_t		ndns;
	struct mesh_prefix	dns[CTL_CLIENT_DNS];
	uint32_t		nroutes;
};

#endif /* CTL_CLIENT_H */
