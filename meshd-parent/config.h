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
 * The parent's in-memory configuration, as parse.y builds it and
 * printconf.c prints it.
 */

#ifndef CONFIG_H
#define CONFIG_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <limits.h>
#include <stdio.h>

#include "cert.h"
#include "meshd.h"

#define MESH_SSH_MAX		256	/* user@host[:port], with NUL */

/*
 * A peer's ssh line (ssh.c), apart from the peer: few peers have one, and
 * its paths made every peer 8 KiB larger (80 MiB for 10,000 peers).
 */
struct peer_ssh {
	char		 target[MESH_SSH_MAX];	/* user@host[:port]; "" none */
	char		 identity[PATH_MAX];
	char		 known_hosts[PATH_MAX];	/* "" default */
	char		 remote[MESH_ENDPOINT_MAX];	/* -W's; ""
						   STREAM_DEFAULT */
};

/*
 * A peer as read.  Keep it small: a node may have 10,000 of them, so a
 * rarely used long field is a pointer (psk_file, ssh), not an array.
 */
struct peer_conf {
	TAILQ_ENTRY(peer_conf)	 entry;
	uint32_t		 id;		/* set by the parent, not parse.y */
	char			 name[MESH_NAME_MAX];
	uint8_t			 pubkey[WG_KEY_LEN];
	char			*psk_file;	/* NULL if none */
	int			 psk_uapi;	/* a preshared key set through
						   wg(8) (uapi_set.c), in
						   meshd-crypto alone */
	char			 endpoint_str[MESH_ENDPOINT_MAX]; /* as written */
	struct sockaddr_storage	 endpoint;	/* resolved; ss_family 0 if none */
	socklen_t		 endpoint_len;
	struct mesh_prefix	*aips;
	size_t			 naips;
	uint16_t		 keepalive;	/* 0 = off */
	/* "file:line" of public-key and preshared-key-file, for messages */
	char			*pubkey_at;
	char			*psk_at;
	int			 endpoint_name;	/* a host name: re-resolved */
	uint64_t		 noresp_at;	/* monotonic ns of its last
						   lookup for PEER_NORESP */
	int			 coordinator;	/* a mesh block's coordinator
						   (printed there, not as a
						   peer) */
	/* the SSH transport (ssh.c): NULL, or target "", none */
	struct peer_ssh		*ssh;
	/* a coordinator's relay (its serve relay), for a site without
	   UDP: "" none */
	char			 relay_str[MESH_ENDPOINT_MAX];
	struct sockaddr_storage	 relay;
	socklen_t		 relay_len;
	int			 client;	/* serve concentrator's, from
						   its state file (not
						   printed) */
	int			 obfs;		/* 0: the default (plain; a
						   coordinator: the mesh's) */
};
#define PEER_OBFS_ON	1
#define PEER_OBFS_OFF	2
#define SSH_KNOWN_HOSTS_DEFAULT	"/etc/meshd/known_hosts"
#define STREAM_DEFAULT		"127.0.0.1:51821"
#define STREAM_LISTEN_MAX	8
#define METRICS_LISTEN_MAX	4	/* metrics-listen lines */
#define PROBE_INTERVAL_DEFAULT	60
#define PROBE_INTERVAL_MIN	1
#define PROBE_INTERVAL_MAX	3600
TAILQ_HEAD(peer_conf_head, peer_conf);

/* resolve-interval: seconds between lookups of endpoint host names */
#define RESOLVE_INTERVAL_DEFAULT	300
#define RESOLVE_INTERVAL_MIN		5
#define RESOLVE_INTERVAL_MAX		86400

struct iface_conf {
	char			 name[MESH_IFNAME_MAX];
	struct mesh_prefix	 addrs[MESH_MAX_ADDRS];
	size_t			 naddrs;
	int			 addrs_cert;	/* no address lines: addrs are
						   the mesh certificate's */
	uint16_t		 mtu;		/* default MESH_MTU_DEFAULT */
	uint16_t		 listen_port;	/* 0: none set */
	char			 key_file[PATH_MAX];	/* "" if none */
	char			 key_at[PATH_MAX + 16];	/* its "file:line" */
	int			 key_uapi;	/* the key in use was set
						   through wg(8), not key_file */
	char			 user[64];	/* default MESHD_USER */
	uint32_t		 table;		/* routes; 0: off (route.h) */
	uint32_t		 resolve_interval; /* seconds */
	uint32_t		 probe_interval;	/* seconds: the ladder */
};

/* serve stream: the listeners, as written and resolved */
struct stream_listen {
	char			 str[MESH_ENDPOINT_MAX];
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
};

/* stun "host:port": as written, and resolved (sslen 0: not yet) */
struct mesh_stun {
	char			 str[MESH_ENDPOINT_MAX];
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
};

/*
 * serve relay { ... } in the mesh block (meshd-net/relay.c): TCP
 * addresses to listen on, the TLS certificate chain and key, and the
 * directory of the web site outsiders see ("" the built-in page)
 */
#define RELAY_LISTEN_MAX	8
struct relay_conf {
	int			 on;
	char			 listen_str[RELAY_LISTEN_MAX][MESH_ENDPOINT_MAX];
	struct sockaddr_storage	 listen[RELAY_LISTEN_MAX];
	socklen_t		 listen_len[RELAY_LISTEN_MAX];
	size_t			 nlisten;
	char			 cert_file[PATH_MAX];
	char			 key_file[PATH_MAX];
	char			 site_dir[PATH_MAX];	/* "" built in */
	int			 line;		/* of serve relay */
};

/* the mesh block; the coordinators are peers with coordinator set */
struct mesh_conf {
	char			 name[MESH_NAME_MAX];
	uint8_t			 ca[32];	/* Ed25519 public key */
	char			 ca_b64[64];	/* as written */
	char			 cert_file[PATH_MAX];
	char			*cert_at;	/* "file:line" */
	uint8_t			*cert;		/* its bytes, de-armored */
	size_t			 certlen;
	struct mesh_cert	 c;		/* parsed (cert.h) */
	char			 crl_file[PATH_MAX];	/* "" none */
	char			*crl_at;
	uint8_t			*crl;
	size_t			 crllen;
	struct mesh_crl		 l;		/* parsed; fps into crl */
	int			 serve;		/* serve coordinator */
	size_t			 ncoordinators;
	/* NAT traversal (issue 13) */
	struct mesh_stun	 stun[MESH_STUN_MAX];
	size_t			 nstun;
	int			 portmap;	/* port-mapping on (default) */
	/* obfuscation (issue 18): on, its padding min..max, junk, jitter */
	int			 obfs;
	uint16_t		 obfs_pad[MESH_OBFS_NPAD][2];
	uint16_t		 obfs_junk;
	uint16_t		 obfs_jitter;	/* ms */
	/* mesh DNS (issue 15) */
	char			 dns_domain[MESH_DNS_DOMAIN_MAX]; /* lower case */
	uint32_t		 dns_ttl;
	/* subnet routes and exit nodes (issue 15, exit.c) */
	char			 exit_node[MESH_NAME_MAX];	/* "" none */
	int			 exit_fallback;	/* exit-node-fallback direct */
	int			 serve_exit;	/* serve exit */
	/* announce: none given, all the certificate's routes */
	size_t			 nannounce;
	struct mesh_prefix	 announce[MESH_CERT_ROUTES];
	int			 announce_line[MESH_CERT_ROUTES];
	/* relays (issue 14) */
	struct relay_conf	 relay;
};

struct meshd_conf {
	int			 has_iface;
	int			 has_mesh;
	struct mesh_conf	 mesh;
	struct iface_conf	 iface;
	struct peer_conf_head	 peers;
	size_t			 npeers;
	size_t			 npsks;		/* peers with a PSK */
	int			 has_stream;	/* serve stream */
	struct stream_listen	 stream[STREAM_LISTEN_MAX];
	size_t			 nstream;
	/* control-socket "path" restricted; "" none (sun_path's size) */
	char			 ro_sock[108];
	struct filter_conf	*filter;	/* NULL: no filter block */
	/* metrics-listen: where Prometheus scrapes (metrics.c) */
	struct stream_listen	 metrics[METRICS_LISTEN_MAX];
	size_t			 nmetrics;
	/* serve concentrator (concentrator.h); NULL: none */
	struct conc_conf	*conc;
	char			 state_dir[PATH_MAX];	/* "" the default */
};

/* parse.y */
/*
 * Parses a whole file (with includes).  Errors are logged with log_warnx
 * as "file:line: message" and collected for config_errors().  Returns NULL
 * if there was any error.  opts: CONF_NOKEYCHECK skips the key-file
 * permission and existence checks (not used by meshd itself).
 */
#define CONF_NOKEYCHECK		0x01
struct meshd_conf	*parse_config(const char *, int);
/* the error lines of the last parse_config(), newline-separated, or "" */
const char		*config_errors(void);
/* its warnings the same way (the first ones, if there were many), or "" */
const char		*config_warnings(void);
/* -D name=value; 0 on success, -1 if malformed */
int			 cmdline_symset(char *);
/*
 * Messages while parsing, for config.c's checks too: an error counts
 * against the parse.  conf_*: at the line being read, or at fname:line
 * (line 0: the whole file); blk_*: the same, naming the block being read.
 */
void			 conf_error(const char *, ...)
			    __attribute__((__format__ (printf, 1, 2)));
void			 conf_error_at(const char *, int, const char *, ...)
			    __attribute__((__format__ (printf, 3, 4)));
void			 blk_error(const char *, ...)
			    __attribute__((__format__ (printf, 1, 2)));
void			 blk_warn(const char *, ...)
			    __attribute__((__format__ (printf, 1, 2)));
void			 blk_warn_at(const char *, int, const char *, ...)
			    __attribute__((__format__ (printf, 3, 4)));
/* an error at this line of the block being read */
void			 blk_error_at(int, const char *, ...)
			    __attribute__((__format__ (printf, 2, 3)));

/* config.c */
void			 free_config(struct meshd_conf *);
/* what a peer_conf owns (not the struct itself) freed */
void			 config_peer_free(struct peer_conf *);
/* 1 if p has an ssh line */
int			 config_peer_has_ssh(const struct peer_conf *);
struct peer_conf	*config_find_peer_name(struct meshd_conf *,
			    const char *);
/* the checks parse.y makes as it reads; they report through it */
void			 config_checks_reset(void);
/* digits only, min..max: 0 and the number in *v, or -1 */
int			 config_number(const char *, long long, long long,
			    long long *);
void			 config_check_keyfile(const char *);
int			 config_valid_ifname(const char *);
int			 config_valid_user(const char *);
/* coordinator: 1 for a mesh block's coordinator */
void			 config_peer_name(const char *, int);
void			 config_peer_key(struct peer_conf *);
void			 config_peer_end(struct peer_conf *, const char *, int,
			    int);
void			 config_endpoint(struct peer_conf *, const char *);
/* the same, its messages naming keyword kw ("relay", "listen") */
void			 config_endpoint_kw(struct peer_conf *, const char *,
			    const char *);
int			 config_endpoint_resolve(const char *,
			    struct sockaddr_storage *, socklen_t *);
void			 config_aip(struct peer_conf *, const char *,
			    const char *, int);
void			 config_aips_end(struct peer_conf *);
void			 config_aips_shared(void);
/*
 * The end of the mesh block: its certificate-file (given at line of the
 * block) read, decoded and checked (ca_ok: m->ca is valid, to check the
 * signature with); then its revocation-file, likewise.  They fill m->cert,
 * m->c, m->crl and m->l, or report through blk_error_at().
 */
void			 config_mesh_cert(struct mesh_conf *, int, int);
void			 config_mesh_crl(struct mesh_conf *, int, int);
/* frees what a mesh_conf holds and zeroes it */
void			 config_mesh_free(struct mesh_conf *);

/* printconf.c: canonical text that parse_config() reads back the same */
void			 print_config(FILE *, struct meshd_conf *);

#endif /* CONFIG_H */
