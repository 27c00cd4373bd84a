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
 * wg(8)'s cross-platform UAPI (the text protocol of wireguard-go's
 * /var/run/wireguard/IFNAME.sock): uapi_parse.c turns the bytes of a
 * set=1 operation into a struct uapi_set, and knows nothing else;
 * uapi.c serves the socket and applies a set through the reload path.
 */

#ifndef UAPI_H
#define UAPI_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "meshd.h"
#include "wgkey.h"

struct imsg;
struct meshd_conf;

#define UAPI_SOCK_DIR	"/var/run/wireguard"

/* the errno= values wireguard-go answers with (negative, as it does) */
#define UAPI_EIO	(-5)
#define UAPI_EPROTO	(-71)
#define UAPI_EINVAL	(-22)
#define UAPI_EADDRINUSE	(-98)
#define UAPI_EUNKNOWN	(-55)

/* one public_key= line and what follows it, in order */
struct uapi_peer {
	uint8_t			 pubkey[WG_KEY_LEN];
	uint8_t			 remove;
	uint8_t			 update_only;
	uint8_t			 has_psk;
	uint8_t			 has_endpoint;
	uint8_t			 has_keepalive;
	uint8_t			 replace_aips;
	uint8_t			 psk[WG_KEY_LEN];	/* zeros: none */
	struct sockaddr_storage	 endpoint;
	socklen_t		 endpoint_len;
	uint16_t		 keepalive;
	struct mesh_prefix	*aips;		/* added, in order */
	size_t			 naips, maxaips;
};

struct uapi_set {
	uint8_t			 has_priv;
	uint8_t			 has_port;
	uint8_t			 has_fwmark;
	uint8_t			 replace_peers;
	uint8_t			 priv[WG_KEY_LEN];	/* zeros: none */
	uint16_t		 port;
	uint32_t		 fwmark;
	struct uapi_peer	*peers;
	size_t			 npeers, maxpeers;
};

/*
 * Parses the lines of a set=1 operation (after "set=1\n", up to and
 * without the blank line that ends it): 0, or an errno= value (UAPI_*)
 * and a message naming the line in err.  s is filled either way and
 * must be given to uapi_set_free(), which wipes the keys in it.
 */
int	 uapi_parse_set(const char *, size_t, struct uapi_set *, char *,
	    size_t);
void	 uapi_set_free(struct uapi_set *);
/* "host:port" or "[v6]:port", numeric: 0, or -1 */
int	 uapi_parse_endpoint(const char *, struct sockaddr_storage *,
	    socklen_t *);

/* uapi.c */
int	 uapi_init(const char *);
void	 uapi_listen(void);
void	 uapi_cleanup(void);
/* children's counters and crypto's keys for a get in flight */
int	 uapi_stats(uint32_t, const struct mesh_peer_stats *);
void	 uapi_key(struct imsg *);
void	 uapi_key_end(struct imsg *);
/* uapi_set.c: a set's reload is done (0, or errno-like, and why) */
void	 uapi_set_done(int, const char *);
/* frees a config a set built, or the one it replaced (they share the
   mesh block and filter, which the other keeps) */
void	 uapi_conf_free(struct meshd_conf *);
#define UAPI_STATS_SEQ	0x80000000U	/* bit set: a get's, not meshctl's */

#endif /* UAPI_H */
