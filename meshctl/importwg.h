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
 * meshctl import-wg: a wg-quick(8) / wg(8) configuration file turned into
 * meshd.conf(5), with its private and preshared keys written to files of
 * their own (never printed).
 */

#ifndef MESHCTL_IMPORTWG_H
#define MESHCTL_IMPORTWG_H

#include <stdint.h>
#include <stdio.h>

#include "meshd.h"
#include "wgkey.h"

#define WGI_LINE_MAX	4096

struct wgi_peer {
	int		 line;			/* of its [Peer] */
	char		 name[MESH_NAME_MAX];	/* peer1, peer2, ... */
	char		 pubkey[WG_KEY_B64_LEN + 1];
	uint8_t		 psk[WG_KEY_LEN];
	int		 has_psk;
	char		*endpoint;
	char		*aips;			/* "a/n, b/m", or NULL */
	int		 keepalive;		/* -1: not set, 0: off */
};

struct wgi_conf {
	const char	*file;			/* for messages */
	char		 ifname[MESH_IFNAME_MAX];
	uint8_t		 priv[WG_KEY_LEN];
	int		 has_priv;
	int		 has_iface;
	int		 listen_port;		/* -1: not set */
	int		 mtu;			/* -1: not set */
	char		*addrs;			/* "a/n b/m", or NULL */
	struct wgi_peer	*peers;
	size_t		 npeers;
	int		 nwarnings;
};

/*
 * Reads a whole configuration.  Warnings (what meshd has no equivalent
 * for) and errors go to err, each as "meshctl: FILE:LINE: ...".  0 on
 * success, -1 after an error.  Either way wgi_free() wipes and frees.
 */
int	 wgi_parse(struct wgi_conf *, const char *, FILE *, FILE *);
/* the file names the keys go to: DIR/IFNAME.key, DIR/IFNAME-PEER.psk */
int	 wgi_keypath(char *, size_t, const char *, const struct wgi_conf *,
	    const struct wgi_peer *);
/* meshd.conf text, naming the key files in the directory given */
void	 wgi_print(const struct wgi_conf *, const char *, FILE *);
/* writes the key files (new files only, mode 0600); 0, or -1 and err */
int	 wgi_write_keys(const struct wgi_conf *, const char *, FILE *);
void	 wgi_free(struct wgi_conf *);
/* meshctl import-wg [-d dir] file: the exit status */
int	 import_wg(const char *, const char *);

#endif /* MESHCTL_IMPORTWG_H */
