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
 * What every meshd process shares: roles, imsg types and the fixed-layout
 * structs carried in them.  All processes are built from one tree, so these
 * structs travel over imsg as they are (the OpenBSD way).
 */

#ifndef MESHD_H
#define MESHD_H

#include <sys/types.h>
#include <stdint.h>

#include "wgkey.h"		/* WG_KEY_LEN */

/* the version meshd -V and meshctl -V print (README.md) */
#define MESHD_VERSION		"0.3.0"

#define MESHD_CONF		"/etc/meshd.conf"
#define MESHD_SOCKET		"/var/run/meshd.sock"
#define MESHD_USER		"_meshd"
#ifndef MESHD_CHROOT
#define MESHD_CHROOT		"/var/empty/meshd"
#endif

#define MESH_NAME_MAX		64	/* peer name, with NUL */
#define MESH_IFNAME_MAX		16	/* IFNAMSIZ */
#define MESH_MAX_ADDRS		16	/* addresses on the interface */
#define MESH_UDP_SOCKS		4	/* data and handshake, IPv4 and IPv6 */
#define MESH_ENDPOINT_MAX	80	/* "[v6addr%scope]:port" and NUL */
#define MESH_RESULT_MAX		1024	/* text in a control RESULT */
#define MESH_MTU_DEFAULT	1400
#define MESH_MAX_IMSG		(64 * 1024)
/*
 * A peer's allowed-ips have no fixed bound (memory is the bound): they
 * follow its RECONF_PEER or CTL_PEER in RECONF_PEER_AIPS or CTL_PEER_AIPS
 * messages of 1 to MESH_AIPS_CHUNK prefixes, which fits MESH_MAX_IMSG.
 */
#define MESH_AIPS_CHUNK		3000
#define MESH_MAX_PSK		4096	/* peers with a preshared key */
/* the mesh (cert.h has the layouts) */
#define MESH_CERT_MAX		800	/* a certificate's bytes */
#define MESH_CERT_ADDRS		8
#define MESH_CERT_GROUPS	8
#define MESH_GROUP_MAX		32
#define MESH_CERT_ROUTES	8
/* NAT traversal: stun servers in the mesh block, the node's addresses */
#define MESH_STUN_MAX		8
#define MESH_LOCAL_MAX		16
/*
 * Peer ids: the parent gives config peers (and coordinators) 1, 2, ...;
 * meshd-crypto gives peers that the mesh brings (members, and unknown
 * initiators a coordinator accepts provisionally) ids from here up.
 */
#define MESH_DYN_ID_MIN		0x80000000U
/*
 * A coordination message (meshd-net/coord.h) as crypto tells it from an
 * IP packet in a transport message's plaintext: its first byte, header
 * length (the body length at bytes 2-3) and largest size.
 */
#define MESH_COORD_MARK		0xc1
#define MESH_COORD_HDR		4
#define MESH_COORD_MAX		1024
/*
 * The coordination types one member may send another (coord.h): the
 * keepalive measurement of a path between them.  Every other type only
 * goes between a member and a coordinator.
 */
#define MESH_COORD_KA_ASK	9
#define MESH_COORD_KA_PROBE	10

/* fd 3 is every child's pipe to the parent */
#define PARENT_SOCK_FILENO	3

enum meshd_role {
	PROC_PARENT,
	PROC_NET,
	PROC_CRYPTO,
	PROC_TUN,
	PROC_MAX
};

extern const char *const meshd_role_names[PROC_MAX];

enum imsg_type {
	IMSG_NONE,

	/* parent -> child, setup */
	IMSG_SOCKET_CONN,	/* fd: socketpair end; data: enum meshd_role */
	IMSG_UDP_SOCKET,	/* parent -> net: fd of a bound UDP socket */
	IMSG_TUN_FD,		/* parent -> tun: fd of the TUN device;
				   uint8_t 1: it has a vnet header and
				   offloads (meshd-tun/offload.h) */
	/*
	 * The key check before a config is used (start, reload, -n): KEY_FD,
	 * a PSK_FD per peer with a preshared key (imsg id: the peer id),
	 * then KEYCHECK_END.  Crypto reads them into staging, never into
	 * the keys in use, and answers KEYCHECK_OK or KEY_ERROR.  The next
	 * RECONF_END puts the staged keys in use; KEYCHECK_ABORT drops them.
	 */
	IMSG_KEY_FD,		/* parent -> crypto: fd of the private key file */
	IMSG_PSK_FD,		/* parent -> crypto: a PSK file's fd; id: peer */
	IMSG_KEYCHECK_END,	/* parent -> crypto: every key fd was sent */
	IMSG_KEYCHECK_ABORT,	/* parent -> crypto: forget the staged keys */
	IMSG_RECONF_START,	/* parent -> child: a whole config follows */
	IMSG_RECONF_IFACE,	/* struct mesh_iface_msg */
	IMSG_RECONF_PEER,	/* struct mesh_peer_msg (naips: the total);
				   then RECONF_PEER_AIPS until naips came */
	IMSG_RECONF_PEER_AIPS,	/* parent -> child: peerid = the peer's id;
				   1 to MESH_AIPS_CHUNK struct mesh_prefix */
	IMSG_RECONF_END,	/* apply it */
	IMSG_LOG_VERBOSE,	/* parent -> child: int verbosity */
	IMSG_LOG,		/* child -> parent: int priority, then a
				   NUL-terminated line for syslog */

	/* child -> parent */
	IMSG_CHILD_READY,	/* struct mesh_proc_msg, once sandboxed */
	IMSG_PUBKEY,		/* crypto -> net: our 32-byte public key */
	IMSG_KEYCHECK_OK,	/* crypto -> parent: the staged keys are good;
				   the 32-byte public key they give */
	IMSG_KEY_ERROR,		/* crypto -> parent: a staged key is bad; id 0:
				   the private key, else the peer id of a
				   PSK; NUL-terminated reason */
	IMSG_STATS_REQ,		/* parent -> child */

	/* data plane */
	IMSG_PKTCHAN_MEM,	/* parent -> child: memfd; struct pktchan_msg */
	IMSG_PKTCHAN_WAKE,	/* parent -> child: eventfd; struct pktchan_msg */
	IMSG_HS_RECV,		/* net -> crypto: struct hs_msg (mac1 checked) */
	IMSG_HS_SEND,		/* crypto -> net: struct hs_msg, peerid = peer */
	IMSG_ENDPOINT,		/* crypto -> net: struct mesh_endpoint_msg */
	IMSG_PEER_STATS,	/* child -> parent: struct mesh_peer_stats */
	IMSG_STATS_END,		/* child -> parent: end of IMSG_PEER_STATS */

	/* meshctl <-> parent */
	IMSG_CTL_SHOW_STATUS,	/* request, no data */
	IMSG_CTL_SHOW_PEERS,	/* request, struct ctl_peer_req */
	IMSG_CTL_RELOAD,	/* request, no data */
	IMSG_CTL_LOG_VERBOSE,	/* request, int verbosity */
	IMSG_CTL_STATUS,	/* reply, struct ctl_status */
	IMSG_CTL_PROC,		/* reply, struct ctl_proc (one per process) */
	IMSG_CTL_PEER,		/* reply, struct ctl_peer (naips: the total);
				   then CTL_PEER_AIPS until naips came */
	IMSG_CTL_PEER_AIPS,	/* reply, 1 to MESH_AIPS_CHUNK struct
				   mesh_prefix of the last CTL_PEER */
	IMSG_CTL_END,		/* reply: end of a listing */
	IMSG_CTL_RESULT,	/* reply: struct ctl_result then text */
	IMSG_CTL_SHOW_CONFIG,	/* request, no data */
	IMSG_CTL_CONFIG_TEXT,	/* reply: 1 to MESH_CONFIG_CHUNK bytes of the
				   running config's text, no NUL; then END */
	IMSG_CTL_RELOAD_CHANGE,	/* reply: struct ctl_change, what a reload
				   changed; any number, then its RESULT */
	IMSG_PEER_ENDPOINT,	/* parent -> net: struct mesh_peer_ep_msg, a
				   peer's configured endpoint (its host name
				   now resolves to another address) */
	IMSG_PEER_NORESP,	/* crypto -> parent: no data; peerid = a peer
				   with a configured endpoint whose
				   initiations go unanswered (its host name,
				   if any, may resolve elsewhere now) */

	/* the mesh */
	IMSG_RECONF_MESH,	/* parent -> child, after RECONF_IFACE: struct
				   mesh_conf_msg; then RECONF_MESH_CERT and
				   (crllen > 0) RECONF_MESH_CRL */
	IMSG_RECONF_MESH_CERT,	/* parent -> child: our certificate's bytes */
	IMSG_RECONF_MESH_CRL,	/* parent -> child: revocation-file's bytes */
	IMSG_SESSION_UP,	/* crypto -> net: no data; peerid = a
				   coordinator, member or provisional peer
				   whose handshake just completed */
	IMSG_COORD_RECV,	/* crypto -> net: peerid = the sender; the
				   coordination message (coord.h), padding
				   cut off */
	IMSG_COORD_SEND,	/* net -> crypto: peerid = to whom; one
				   coordination message to encrypt and send */
	IMSG_CERT_CHECK,	/* net -> crypto: struct mesh_cert_check */
	IMSG_CERT_RESULT,	/* crypto -> net: struct mesh_cert_result */
	IMSG_CRL,		/* net -> crypto: a revocation list's bytes */
	IMSG_MEMBER,		/* crypto -> tun, parent, net: struct
				   mesh_member_msg: admitted, or its
				   certificate renewed */
	IMSG_PEER_GONE,		/* crypto -> net, tun, parent: struct
				   mesh_gone_msg: a mesh peer is no more */
	IMSG_MESH_STATE,	/* crypto -> parent: struct mesh_state_msg */
	IMSG_CTL_SHOW_MESH,	/* request, no data; reply CTL_MESH, the
				   coordinators as CTL_PEER (+ AIPS), END */
	IMSG_CTL_MESH,		/* reply, struct ctl_mesh */

	/* NAT traversal: punching (meshd-net/punch.c) */
	IMSG_WANT_SESSION,	/* net -> crypto: no data; peerid = a member
				   a coordinator told us to punch to
				   (CALL_ME): initiate a handshake now;
				   parent -> crypto: the same for an exit
				   node being probed (meshd-parent/exit.c) */
	IMSG_PEER_KEEPALIVE,	/* net -> crypto: uint16_t seconds, 0 off;
				   peerid = a member whose path crosses a
				   NAT (punched or mapped) */
	IMSG_PEER_PATH,		/* net -> parent: struct mesh_peer_path, in
				   a stats reply (before STATS_END), for
				   each member with candidates */
	/* NAT traversal (meshd-net/discover.c) */
	IMSG_NET_ADDRS,		/* parent -> net: struct mesh_net_addrs, the
				   node's own addresses, at start and when
				   they change */
	IMSG_NET_GATEWAY,	/* parent -> net: struct mesh_gateway_msg, the
				   default gateway, likewise */
	IMSG_NETCHECK_REQ,	/* parent -> net: no data; id: the request */
	IMSG_NETCHECK,		/* net -> parent: struct ctl_netcheck; id: as
				   in the request */
	IMSG_CTL_NETCHECK,	/* request, no data; reply struct
				   ctl_netcheck, END */
	IMSG_NET_STOP,		/* parent -> net: meshd stops; give back the
				   gateway's mapping, then say STOPPED */
	IMSG_NET_STOPPED,	/* net -> parent: done; SIGTERM may come */
	IMSG_BDAY_REQ,		/* net -> parent: struct mesh_bday_req, the
				   sockets of a birthday attempt */
	IMSG_BDAY_SOCKET,	/* parent -> net: fd of a UDP socket bound to
				   a port of the kernel's choice; struct
				   mesh_bday_req as asked.  net -> parent:
				   such a socket given back (the parent
				   counts those net holds), data ignored */
	/* stream transports (meshd-net/stream.c, meshd-parent/ssh.c) */
	IMSG_STREAM_LISTEN,	/* parent -> net: fd of a listening TCP socket
				   (serve stream); uint8_t first: 1 closes
				   the listeners net had */
	IMSG_STREAM_FD,		/* parent -> net: fd of a connected stream;
				   struct mesh_stream_msg */
	IMSG_LADDER_CONF,	/* parent -> net: struct mesh_ladder_msg,
				   after each RECONF_END */
	/* mesh DNS (meshd-tun/dnsserv.c) */
	IMSG_DNS_CONF,		/* parent -> tun, after each RECONF_END:
				   struct mesh_dns_msg; nsocks DNS_SOCKET
				   follow if replace is set */
	IMSG_DNS_SOCKET,	/* parent -> tun: fd of a socket bound to a
				   mesh address, port 53; uint8_t: 0 UDP, 1
				   TCP (listening) */
	IMSG_CTL_SHOW_DNS,	/* request, no data; parent -> tun the same
				   (id: the request); reply CTL_DNS, END */
	IMSG_CTL_DNS,		/* tun -> parent -> client: struct ctl_dns */
	/* relays (meshd-net/relay.c, meshd-crypto/relaykey.c) */
	IMSG_RELAY_LISTEN,	/* parent -> net: fd of a listening TCP socket
				   of serve relay */
	IMSG_RELAY_CERT,	/* parent -> net: the tls-certificate-file's
				   bytes (PEM, the chain) */
	IMSG_RELAY_SITE,	/* parent -> net: struct mesh_relay_file then
				   the bytes of a site-directory file */
	IMSG_RELAY_KEY_FD,	/* parent -> crypto: fd of the
				   tls-key-file */
	IMSG_RELAY_SIGN_FD,	/* parent -> net, crypto: an end of the
				   signing pipe (struct mesh_relay_sign and
				   mesh_relay_proof round trips) */
	IMSG_RELAY_SIGN,	/* net -> crypto (signing pipe): struct
				   mesh_relay_sign; the answer the same */
	IMSG_RELAY_PROOF,	/* net -> crypto (signing pipe): struct
				   mesh_relay_proof; the answer the same */
	IMSG_RELAY_CONNECT,	/* net -> parent: struct mesh_relay_connect;
				   parent -> net: its fd, connecting */
	IMSG_PM_ANNOUNCE,	/* parent -> net: fd of a UDP socket bound to
				   224.0.0.1:5350 (gateways' restart
				   announcements), or none: close it; no
				   data; at start and reload */
	IMSG_STUN_ADDR,		/* parent -> net: struct mesh_stun_msg, a
				   stun host name that resolves to another
				   address now; id: its index in the mesh's
				   list (meshd-parent/resolve.c) */
	/* the packet filter (common/filter.h), after each RECONF_END */
	IMSG_FILTER_START,	/* parent -> tun: struct mesh_filter_msg */
	IMSG_FILTER_RULES,	/* parent -> tun: 1 to FILTER_RULES_CHUNK
				   struct filter_rule */
	IMSG_FILTER_END,	/* parent -> tun: swap the rules in */
	IMSG_CTL_SHOW_FILTER,	/* request, no data; reply CTL_FILTER, then
				   CTL_FILTER_RULE each, CTL_END */
	IMSG_CTL_SHOW_STATES,	/* request, no data; reply CTL_FILTER, then
				   CTL_FILTER_STATE each, CTL_END */
	IMSG_CTL_FILTER,	/* struct ctl_filter (tun -> parent too) */
	IMSG_CTL_FILTER_RULE,	/* struct ctl_filter_rule */
	IMSG_CTL_FILTER_STATE,	/* struct ctl_filter_state */

	/* subnet routes and exit nodes (issue 15) */
	IMSG_EXIT_NODE,		/* parent -> tun: uint32_t, the member id
				   whose default routes tun routes to (0:
				   none), at start, reload and when the
				   exit-node member comes or goes */
	/* Prometheus metrics (meshd-net/metrics.c, meshd-parent/metrics.c) */
	IMSG_METRICS_LISTEN,	/* parent -> net: fd of a listening TCP socket
				   of metrics-listen; uint8_t first: 1 closes
				   the listeners net had (no fd: none now) */
	IMSG_METRICS_REQ,	/* net -> parent: no data; id: net's number
				   for a scrape; the parent gathers the
				   counters as show peers does */
	IMSG_METRICS_TEXT,	/* parent -> net: id as asked; 1 to
				   MESH_CONFIG_CHUNK bytes of the exposition
				   text, no NUL; then METRICS_END */
	IMSG_METRICS_END,	/* parent -> net: id as asked; int32_t 0 the
				   text is whole, else errno-like: none */

	/* wg(8)'s UAPI (issue 16, meshd-parent/uapi.c) */
	IMSG_KEY_UAPI,		/* parent -> crypto, in a key check: struct
				   mesh_uapi_key, a key set through the UAPI
				   (id 0: the private key, which opens the
				   check as KEY_FD does; else that peer's
				   preshared key); wiped by both after */
	IMSG_KEY_KEEP,		/* parent -> crypto, in a key check: no data;
				   peerid 0: keep the private key in use
				   (opens the check), else keep that peer's
				   preshared key */
	IMSG_UAPI_KEYS_REQ,	/* parent -> crypto: no data; peerid = a
				   request: the keys in use, for a get */
	IMSG_UAPI_KEY,		/* crypto -> parent: struct mesh_uapi_key
				   (id 0: the private key); peerid = the
				   request */
	IMSG_UAPI_KEY_END,	/* crypto -> parent: no data, the last of
				   the request's UAPI_KEY */

	/* the concentrator's clients (issue 16, common/ctl_client.h) */
	IMSG_CTL_CLIENT_ADD,	/* request, struct ctl_client_req; reply
				   CTL_CLIENT, CTL_CLIENT_CONF, its
				   CTL_CLIENT_ROUTES, then (reload changes
				   and) a RESULT */
	IMSG_CTL_CLIENT_REMOVE,	/* request, struct ctl_client_req (name);
				   reply as a reload's */
	IMSG_CTL_CLIENT_LIST,	/* request, no data; reply CTL_CLIENT each,
				   CTL_END */
	IMSG_CTL_CLIENT,	/* reply, struct ctl_client */
	IMSG_CTL_CLIENT_CONF,	/* reply, struct ctl_client_conf */
	IMSG_CTL_CLIENT_ROUTES,	/* reply, 1 to MESH_AIPS_CHUNK struct
				   mesh_prefix of the last CLIENT_CONF */
	IMSG_TYPE_MAX
};

/* IMSG_KEY_UAPI, IMSG_UAPI_KEY: a key and whose it is (0: ours) */
struct mesh_uapi_key {
	uint32_t	id;
	uint8_t		key[32];
};

/*
 * An address with prefix length, as it travels between processes.
 * af is 4 or 6; addr holds 4 or 16 bytes, the rest zero.
 */
struct mesh_prefix {
	uint8_t		af;
	uint8_t		plen;
	uint8_t		pad[2];
	uint8_t		addr[16];
};

struct mesh_iface_msg {
	char		name[MESH_IFNAME_MAX];
	uint16_t	mtu;
	uint16_t	listen_port;	/* as bound (the config may say 0) */
	uint32_t	naddrs;
	struct mesh_prefix addrs[MESH_MAX_ADDRS];
};

/* its naips prefixes follow in RECONF_PEER_AIPS messages */
struct mesh_peer_msg {
	uint32_t	id;		/* stable across reloads */
	char		name[MESH_NAME_MAX];
	uint8_t		pubkey[WG_KEY_LEN];
	uint8_t		has_psk;
	uint8_t		has_endpoint;
	uint16_t	keepalive;	/* seconds, 0 = off */
	uint8_t		endpoint[28];	/* struct sockaddr_in or _in6 */
	uint32_t	endpoint_len;
	uint32_t	naips;
	uint32_t	flags;		/* MESH_PEER_F_* */
	/* a coordinator's relay, TCP (relay in its block): len 0 none */
	uint8_t		relay[28];	/* struct sockaddr_in or _in6 */
	uint32_t	relay_len;
};
#define MESH_PEER_F_COORDINATOR	0x01	/* a mesh block's coordinator */
#define MESH_PEER_F_OBFS	0x02	/* spoken to obfuscated */

/*
 * Obfuscation (meshd.conf(5) OBFUSCATION, meshd-net/obfs.h): the padding
 * ranges of the mesh block, their defaults and bounds.
 */
#define MESH_OBFS_HANDSHAKE	0	/* handshake messages */
#define MESH_OBFS_DATA		1	/* data messages */
#define MESH_OBFS_PRELUDE	2	/* the datagram before an initiation */
#define MESH_OBFS_NPAD		3
#define MESH_OBFS_PAD_MAX	1024
#define MESH_OBFS_PRELUDE_MIN	8
#define MESH_OBFS_JUNK_MAX	8
#define MESH_OBFS_JITTER_MAX	10000	/* ms */
/*
 * An initiation that came obfuscated is answered only if its timestamp is
 * within this of our clock (meshd-crypto): a censor's replay of one it
 * kept from its receiver gets no answer after that.
 */
#define MESH_OBFS_FRESH_SECS	120
#define MESH_OBFS_HS_DEFAULT	16, 128
#define MESH_OBFS_DATA_DEFAULT	0, 32
#define MESH_OBFS_PRELUDE_DEFAULT 24, 256

/* the four packet channels of DESIGN.md, one way each */
enum mesh_chan {
	CHAN_TUN_CRYPTO,	/* plaintext out: tun -> crypto */
	CHAN_CRYPTO_NET,	/* ciphertext out: crypto -> net */
	CHAN_NET_CRYPTO,	/* ciphertext in: net -> crypto */
	CHAN_CRYPTO_TUN,	/* plaintext in: crypto -> tun */
	CHAN_MAX
};
#define MESH_CHAN_SLOTS		512
/* room for a data message of the interface's MTU, and its overhead */
#define MESH_CHAN_MAXPKT(mtu)	((mtu) + 64)

struct pktchan_msg {
	uint32_t	chan;		/* enum mesh_chan */
	uint32_t	producer;	/* 1: this end produces */
};

/*
 * An underlay endpoint: the remote address and, once a datagram came
 * from it, the local address and interface it came to, so that answers
 * leave from the address the peer talks to.  local_af 0: no local
 * address yet (a configured endpoint, or one forgotten because the
 * address went away): the kernel chooses.
 */
struct mesh_endpoint {
	uint8_t		addr[28];	/* struct sockaddr_in or _in6 */
	uint32_t	addrlen;	/* 0: none */
	uint8_t		local[16];	/* in_addr or in6_addr */
	uint32_t	ifindex;	/* the interface it came in on */
	uint8_t		local_af;	/* 0, AF_INET or AF_INET6 */
	uint8_t		flags;		/* MESH_EP_OBFS */
	uint16_t	sock;		/* net's: the transport, below */
};
/*
 * The path speaks the obfuscated format (meshd-net/obfs.h): set by net on
 * what came in obfuscated and on a peer's endpoints when the peer is to
 * be spoken to so; crypto copies it back with the endpoint, so a peer is
 * answered as it spoke.
 */
#define MESH_EP_OBFS		0x01

/*
 * struct mesh_endpoint.sock, which only meshd-net reads: 0 the listen
 * port's UDP sockets, 1 + slot a birthday socket (up to
 * MESH_BDAY_SOCKS), MESH_EP_STREAM + slot a stream connection (SSH, or
 * one a serve stream listener accepted), MESH_EP_RELAY + slot a relay
 * connection (the peer's key addresses the datagram inside it).  Crypto
 * copies endpoints whole, so moving between transports is roaming.
 */
#define MESH_EP_STREAM		0x4000
#define MESH_EP_RELAY		0x8000
#define MESH_EP_SLOTS		0x4000	/* slots of either kind */

/* a handshake message and the underlay endpoint it came from or goes to */
struct hs_msg {
	struct mesh_endpoint ep;	/* addrlen 0: the peer's endpoint */
	uint32_t	len;
	uint8_t		msg[148];	/* the largest: an initiation */
};

struct mesh_endpoint_msg {
	uint32_t	id;
	struct mesh_endpoint ep;
};

/* IMSG_PEER_ENDPOINT: as the endpoint of struct mesh_peer_msg */
struct mesh_peer_ep_msg {
	uint32_t	id;
	uint32_t	endpoint_len;
	uint8_t		endpoint[28];	/* struct sockaddr_in or _in6 */
};

/*
 * The mesh's own counters, in a process's global counters (id 0): why a
 * certificate, a coordination message or a peer was refused or removed.
 */
enum mesh_ctr {
	MESH_CTR_CERT_MALFORMED,	/* crypto: not a certificate */
	MESH_CTR_CERT_SIGNATURE,	/* crypto: not signed by the ca */
	MESH_CTR_CERT_EXPIRED,		/* crypto: outside its validity */
	MESH_CTR_CERT_REVOKED,		/* crypto: on the revocation list */
	MESH_CTR_CERT_WRONG_MESH,	/* crypto: another mesh's */
	MESH_CTR_CERT_WRONG_KEY,	/* crypto: not the session's key */
	MESH_CTR_CERT_ADDRESS,		/* crypto: an address another holds */
	MESH_CTR_CERT_STATIC,		/* crypto: our key or a static peer's */
	MESH_CTR_CERT_LIMIT,		/* crypto: too many members */
	MESH_CTR_CRL_BAD,		/* crypto: a list that did not verify */
	MESH_CTR_COORD_MALFORMED,	/* net: garbage or oversize; crypto: a
					   record announcing a route outside
					   its certificate's */
	MESH_CTR_COORD_UNEXPECTED,	/* net/crypto: out of order, or
					   from a peer it may not come from */
	MESH_CTR_PROVISIONAL_FULL,	/* crypto: unknown initiators over
					   the bound */
	MESH_CTR_PROVISIONAL_TIMEOUT,	/* crypto: one that never presented
					   a certificate */
	MESH_CTR_REVOKED,		/* crypto: members removed, revoked */
	MESH_CTR_EXPIRED,		/* crypto: members removed, expired */
	MESH_CTR_STUN_UNMATCHED,	/* net: a STUN answer to no request
					   of ours */
	MESH_CTR_STUN_BAD,		/* net: STUN that does not parse
					   (FINGERPRINT wrong...) */
	MESH_CTR_STUN_ANSWERED,		/* net: Binding requests answered
					   (serve coordinator) */
	MESH_CTR_STUN_REFUSED,		/* net: over a source's rate, or not
					   a coordinator: unanswered */
	MESH_CTR_PORTMAP_BAD,		/* net: a PCP/NAT-PMP datagram that
					   does not parse or match */
	/*
	 * serve relay, net: appended last so the others keep their
	 * numbers; RELAY_OPEN is a gauge, the rest count up
	 */
	MESH_CTR_RELAY_FORWARDED,	/* frames passed on to a member */
	MESH_CTR_RELAY_UNKNOWN,		/* to a member not connected */
	MESH_CTR_RELAY_SLOW,		/* its reader's backlog was full */
	MESH_CTR_RELAY_MALFORMED,	/* a frame that does not parse */
	MESH_CTR_RELAY_FULL,		/* connections over the bound */
	MESH_CTR_RELAY_ADMITTED,	/* upgrades of members answered 101 */
	MESH_CTR_RELAY_REFUSED,		/* upgrades with a wrong proof */
	MESH_CTR_RELAY_WEB,		/* requests the web site answered */
	MESH_CTR_RELAY_OPEN,		/* members' connections open now */
	/* TUN offloads, tun (meshd-tun/offload.h): appended last */
	MESH_CTR_TUN_SUPER,		/* TSO super-packets read */
	MESH_CTR_TUN_SEGMENTS,		/* segments cut from them */
	MESH_CTR_TUN_GRO_WRITES,	/* super-packets written (coalesced) */
	MESH_CTR_TUN_GRO_SEGMENTS,	/* segments merged into them */
	/* UDP offloads, net (appended last likewise) */
	MESH_CTR_UDP_GSO_SENT,		/* runs of datagrams sent as one
					   with UDP_SEGMENT */
	MESH_CTR_UDP_GSO_SEGMENTS,	/* the datagrams in them */
	MESH_CTR_UDP_GSO_REFUSED,	/* runs the kernel refused, sent
					   plain */
	MESH_CTR_UDP_GRO_RECV,		/* datagrams read glued by UDP_GRO */
	MESH_CTR_UDP_GRO_SEGMENTS,	/* the datagrams in them */
	/* obfuscation, net (meshd-net/obfs.h): appended last */
	MESH_CTR_OBFS_SENT,		/* datagrams sent obfuscated */
	MESH_CTR_OBFS_RECV,		/* datagrams that opened */
	MESH_CTR_OBFS_PRELUDES,		/* preludes and junk sent before
					   initiations */
	MESH_CTR_MAX
};

/*
 * Per-peer counters; each child fills in what it knows and leaves the
 * rest zero, the parent adds them up.  Also used with id 0 for the
 * process's drops that belong to no peer.
 */
#define MESH_HS_ERROR_MAX	512
#define MESH_HS_NONE		0	/* no handshake tried yet */
#define MESH_HS_INITIATING	1	/* initiations unanswered */
#define MESH_HS_ESTABLISHED	2	/* one completed */

struct mesh_peer_stats {
	uint32_t	id;
	uint8_t		endpoint[28];	/* net: current endpoint */
	uint32_t	endpoint_len;
	int64_t		latest_handshake;	/* crypto: unix time, 0 never */
	uint64_t	rx_bytes;	/* crypto: authenticated, on the wire */
	uint64_t	tx_bytes;	/* net: sent, on the wire */
	uint64_t	drop_decrypt;	/* crypto: tag did not verify */
	uint64_t	drop_replay;	/* crypto: counter seen or too old */
	uint64_t	drop_queue;	/* crypto: queue full waiting for keys */
	uint64_t	drop_source;	/* tun: inner source not allowed */
	uint64_t	drop_noroute;	/* tun: no peer for the destination;
					   net: the peer has no endpoint */
	uint64_t	drop_malformed;	/* tun/net: bad header or length */
	uint64_t	drop_mac;	/* net: mac1/mac2 wrong */
	uint64_t	drop_full;	/* any: a channel was full */
	uint64_t	drop_handshake;	/* crypto: handshake message rejected */
	uint64_t	drop_ratelimit;	/* net: handshakes over a source's rate */
	uint64_t	drop_loop;	/* tun: our own encapsulated packets
					   back in the TUN (an endpoint
					   inside allowed-ips) */
	/* the rest in a process's global counters (id 0) only */
	uint64_t	rx_packets;	/* net: datagrams; crypto: messages from
					   net; tun: packets from the TUN.
					   Per peer too, crypto: messages
					   that authenticated (rx_bytes') */
	uint64_t	handshakes;	/* net: passed to crypto; crypto:
					   accepted */
	uint64_t	cookie_sent;	/* net: cookie replies under load */
	/* per peer again, crypto: the handshake's story (appended last) */
	int64_t		hs_last_attempt; /* unix time of the last initiation */
	uint32_t	hs_attempts;	/* initiations since one completed */
	uint8_t		hs_state;	/* MESH_HS_* */
	uint8_t		hs_pad[3];
	char		hs_error[MESH_HS_ERROR_MAX]; /* in words, "" none; id
					   0: the last handshakes of no
					   peer, one a line */
	uint64_t	mesh[MESH_CTR_MAX];	/* id 0 only */
	/* per peer, net: datagrams sent (tx_bytes'), appended last */
	uint64_t	tx_packets;
};

/* CHILD_READY; meshctl gets it back in a struct ctl_proc */
struct mesh_proc_msg {
	int32_t		pid;
	uint32_t	uid;
	uint32_t	gid;
	uint8_t		chrooted;
	uint8_t		sandboxed;
	uint8_t		has_counters;		/* the children */
	struct mesh_peer_stats counters;	/* its own, id 0 */
};

/* RECONF_MESH: the mesh block (absent: no mesh) */
struct mesh_conf_msg {
	char		name[MESH_NAME_MAX];
	uint8_t		ca[32];		/* the admin's Ed25519 public key */
	uint8_t		serve;		/* serve coordinator */
	uint8_t		pad[3];
	uint32_t	certlen;	/* RECONF_MESH_CERT follows */
	uint32_t	crllen;		/* 0: no revocation-file */
	/* NAT traversal */
	uint8_t		portmap;	/* port-mapping on */
	uint8_t		nstun;
	uint8_t		pad2[2];
	uint32_t	portmap_lifetime; /* seconds to ask; 0: the default
					   (the parent's environment
					   MESHD_PORTMAP_LIFETIME, tests) */
	struct mesh_stun_msg {
		char	name[MESH_ENDPOINT_MAX];	/* as written */
		uint8_t	addr[28];	/* struct sockaddr_in or _in6 */
		uint32_t addrlen;	/* 0: not resolved */
	}		stun[MESH_STUN_MAX];
	/* announce (issue 15): all the certificate's routes, or these */
	uint8_t		ann_all;
	uint8_t		nann;
	uint8_t		pad3[2];
	struct mesh_prefix ann[MESH_CERT_ROUTES];
	/* obfuscation (issue 18, meshd-net/obfs.h): on for the mesh */
	uint8_t		obfs;
	uint8_t		pad4;
	uint16_t	obfs_junk;	/* junk datagrams before an initiation */
	uint16_t	obfs_jitter;	/* ms a keepalive may wait, at most */
	uint16_t	obfs_pad[MESH_OBFS_NPAD][2];	/* min, max bytes */
};

/* NET_ADDRS: global or private, no loopback, link-local or mesh address */
struct mesh_net_addrs {
	uint32_t	naddrs;
	struct mesh_prefix addrs[MESH_LOCAL_MAX];	/* plen unused */
};

/* NET_GATEWAY: the IPv4 default gateway; af 0: none */
struct mesh_gateway_msg {
	uint8_t		af;
	uint8_t		pad[3];
	uint8_t		addr[16];
};

/*
 * CERT_CHECK: a certificate net got from a coordination message on the
 * session with peer via.  own 1: the session's own (REGISTER): its key
 * must be the session's static key.  The routes the record announced
 * come with it: all the certificate's, or nann prefixes, each of which
 * must lie inside one of the certificate's routes.
 */
struct mesh_cert_check {
	uint32_t	via;
	uint8_t		own;
	uint8_t		pad;
	uint16_t	len;
	uint8_t		cert[MESH_CERT_MAX];
	uint8_t		ann_all;
	uint8_t		nann;
	uint8_t		pad2[2];
	struct mesh_prefix ann[MESH_CERT_ROUTES];
};

/* CERT_RESULT: crypto's verdict on a CERT_CHECK */
struct mesh_cert_result {
	uint8_t		pubkey[32];	/* the certificate's */
	uint32_t	via;		/* as in the check */
	uint32_t	id;		/* the member's peer id; 0: refused */
	uint32_t	reason;		/* enum mesh_ctr if refused */
	uint8_t		own;		/* as in the check */
	uint8_t		changed;	/* new, or a newer certificate */
	uint8_t		pad[2];
};

/* MEMBER: verified facts of a member's certificate, nothing else */
struct mesh_member_msg {
	uint32_t	id;
	char		name[MESH_NAME_MAX];
	uint8_t		pubkey[32];
	uint8_t		roles;		/* CERT_ROLE_* */
	uint8_t		pad[3];
	int64_t		not_after;
	uint32_t	naddrs;
	uint32_t	ngroups;
	uint32_t	nroutes;
	struct mesh_prefix addrs[MESH_CERT_ADDRS];
	char		groups[MESH_CERT_GROUPS][MESH_GROUP_MAX];
	struct mesh_prefix routes[MESH_CERT_ROUTES];
};

/* PEER_GONE */
enum mesh_gone_reason {
	GONE_REVOKED = 1,
	GONE_EXPIRED,
	GONE_PROVISIONAL,	/* an unknown initiator that never presented a
				   certificate in time */
	GONE_REPLACED		/* its key now has another certificate */
};
struct mesh_gone_msg {
	uint32_t	id;
	uint32_t	reason;		/* enum mesh_gone_reason */
};

/* MESH_STATE: what crypto knows of the mesh as a whole */
struct mesh_state_msg {
	uint64_t	crl_serial;	/* 0: no list */
	uint32_t	crl_count;	/* certificates on it */
	uint32_t	members;
};

/*
 * A member's path as meshd-net sees it (PEER_PATH, and in ctl_peer):
 * direct to an address of the member's own, punched through NATs (a
 * reflexive or observed candidate, or one only the peer's packets
 * showed), through a gateway's port mapping, or none that works.
 */
#define MESH_PATH_UNKNOWN	0	/* not a member, or no candidates */
#define MESH_PATH_NONE		1
#define MESH_PATH_DIRECT	2
#define MESH_PATH_PUNCHED	3
#define MESH_PATH_MAPPED	4
#define MESH_PATH_SSH		5	/* an SSH stream (issue 14) */
#define MESH_PATH_STREAM	6	/* a stream the peer opened to our
					   serve stream listener */
#define MESH_PATH_RELAY		7	/* a relay (h-relay's) */
#define MESH_PATH_WHY_MAX	192
#define MESH_PATH_CANDS		8	/* COORD_MAX_CAND */

/* an endpoint candidate: af 4 or 6, kind as coord.h's enum */
struct mesh_cand {
	uint8_t		af;
	uint8_t		kind;		/* 0 local, 1 reflexive, 2 mapped,
					   3 observed */
	uint16_t	port;
	uint8_t		addr[16];
};

struct mesh_peer_path {
	uint32_t	id;
	uint8_t		path;		/* MESH_PATH_* */
	uint8_t		ncand;
	uint16_t	keepalive;	/* seconds net asked crypto for */
	/* the path's NATs, measured (meshd-net/keepalive.c); 0: not yet */
	uint32_t	idle_ok_ms;	/* the longest idle time survived */
	uint32_t	idle_bad_ms;	/* the shortest one that was not */
	uint32_t	idle_test_ms;	/* the one being measured now */
	struct mesh_cand cand[MESH_PATH_CANDS];
	char		why[MESH_PATH_WHY_MAX];	/* "" when direct */
};

/*
 * Birthday punching (meshd-net/punch.c): the sockets net asks for, at
 * most MESH_BDAY_SOCKS, and the answer with each one's fd
 */
#define MESH_BDAY_SOCKS		256
struct mesh_bday_req {
	uint32_t	id;		/* the peer, for the log */
	uint16_t	count;		/* 1..MESH_BDAY_SOCKS */
	uint8_t		af;		/* 4 or 6 */
	uint8_t		pad;
};

/*
 * STREAM_FD: a stream connection for net.  peer 0: an accepted one (its
 * peer is who authenticates on it); else the SSH connection to that
 * config peer.  addr: the remote's address as far as the parent knows
 * it (the SSH server's), shown as the peer's endpoint.
 */
struct mesh_stream_msg {
	uint32_t	peer;
	uint32_t	addrlen;
	uint8_t		addr[28];	/* struct sockaddr_in or _in6 */
};

/* LADDER_CONF: how net climbs back to better paths */
struct mesh_ladder_msg {
	uint32_t	probe_interval;	/* seconds */
};

/*
 * Relays.  The TLS key's signatures: net gives the digest, crypto the
 * DER ECDSA signature (siglen 0: refused).
 */
#define MESH_RELAY_SIG_MAX	160
struct mesh_relay_sign {
	uint32_t	dlen;
	uint8_t		dgst[64];
	uint32_t	siglen;
	uint8_t		sig[MESH_RELAY_SIG_MAX];
};

/*
 * A proof of membership bound to one TLS connection: a MAC keyed by the
 * X25519 result of our static key and the other side's, over the
 * connection's TLS exporter value and who speaks (MESH_PROOF_*).  net
 * sends key and exporter; crypto answers ok 1 and the MAC, or ok 0 (the
 * key is no admitted member, or the DH failed).
 */
#define MESH_PROOF_CLIENT	1	/* the client's, in the upgrade */
#define MESH_PROOF_RELAY	2	/* the relay's, in the 101 */
/* mesh_relay_proof.ok: what crypto knows of the key */
#define MESH_PROOF_NONE		0	/* no proof (no static key yet) */
#define MESH_PROOF_MEMBER	1	/* an admitted member or a coordinator */
#define MESH_PROOF_STRANGER	2	/* neither, but a valid certificate of
					   the mesh vouches for it: at a
					   relay, it may only reach
					   coordinators (to register) */
#define MESH_PROOF_LEN		32
struct mesh_relay_proof {
	uint8_t		pubkey[32];
	uint8_t		exporter[32];
	uint8_t		who;		/* MESH_PROOF_* */
	uint8_t		ok;
	uint16_t	certlen;	/* 0: none */
	uint8_t		mac[MESH_PROOF_LEN];
	/* a key not admitted (yet): its certificate, which must vouch */
	uint8_t		cert[MESH_CERT_MAX];
};

/* relayproof.c: the MAC of a proof from the DH result (crypto, tests) */
void	relay_proof_mac(const uint8_t [32], uint8_t, const uint8_t [32],
	    uint8_t [MESH_PROOF_LEN]);
/* the label of a relay connection's TLS exporter value */
#define MESH_RELAY_EXPORTER	"EXPORTER-meshd-relay"

/* RELAY_CONNECT: a TCP connection to a relay, slot as net's */
struct mesh_relay_connect {
	uint8_t		addr[28];	/* struct sockaddr_in or _in6 */
	uint32_t	addrlen;
	uint32_t	slot;
};

/* RELAY_SITE: one file of the site-directory */
#define MESH_RELAY_PATH_MAX	256
#define MESH_RELAY_FILE_MAX	(48 * 1024)
struct mesh_relay_file {
	char		path[MESH_RELAY_PATH_MAX];	/* "/index.html" */
	int64_t		mtime;
	uint32_t	len;
};

/* control */
struct ctl_peer_req {
	char		name[MESH_NAME_MAX];	/* empty: all peers */
};

struct ctl_status {
	char		ifname[MESH_IFNAME_MAX];
	uint16_t	mtu;
	uint16_t	listen_port;
	uint8_t		has_pubkey;
	uint8_t		pubkey[WG_KEY_LEN];
	int64_t		uptime;			/* seconds since start */
	uint32_t	npeers;
	uint32_t	naddrs;
	struct mesh_prefix addrs[MESH_MAX_ADDRS];
};

/* a process: what it said in CHILD_READY, its pid and counters as now */
struct ctl_proc {
	char		role[16];		/* "parent", "net", ... */
	struct mesh_proc_msg proc;
};

/* its naips prefixes follow in CTL_PEER_AIPS messages */
struct ctl_peer {
	uint32_t	id;
	char		name[MESH_NAME_MAX];
	uint8_t		pubkey[WG_KEY_LEN];
	char		endpoint[MESH_ENDPOINT_MAX];	/* "" if none */
	uint8_t		has_psk;
	uint16_t	keepalive;
	uint32_t	naips;
	struct mesh_peer_stats stats;		/* id 0 if unknown */
	/* the mesh */
	uint8_t		source;			/* CTL_SOURCE_* */
	uint8_t		state;			/* CTL_STATE_* */
	uint8_t		roles;			/* CERT_ROLE_* */
	uint8_t		coordinator;		/* a mesh block's */
	int64_t		cert_expires;		/* unix time; 0 none */
	uint32_t	ngroups;
	char		groups[MESH_CERT_GROUPS][MESH_GROUP_MAX];
	/* NAT traversal: a member's path (path.id 0: none known) */
	struct mesh_peer_path path;
};
#define CTL_SOURCE_CONFIG	0
#define CTL_SOURCE_MESH		1
#define CTL_STATE_MEMBER	0	/* or a config peer */
#define CTL_STATE_REVOKED	1	/* listed, routes withdrawn */
#define CTL_STATE_EXPIRED	2

/* show mesh; the coordinators follow as CTL_PEER */
struct ctl_mesh {
	char		name[MESH_NAME_MAX];	/* "" no mesh */
	char		cert_name[MESH_NAME_MAX];
	int64_t		cert_not_after;
	uint8_t		serve;
	uint8_t		cert_roles;
	uint8_t		pad[2];
	uint32_t	naddrs;
	struct mesh_prefix addrs[MESH_CERT_ADDRS];
	uint32_t	ngroups;
	char		groups[MESH_CERT_GROUPS][MESH_GROUP_MAX];
	uint64_t	crl_serial;
	uint32_t	crl_count;
	uint32_t	members;		/* admitted, now */
	uint32_t	revoked;		/* listed as revoked */
	uint32_t	ncoordinators;
};

/*
 * netcheck: what meshd-net knows of the node's place in the network,
 * answered from its state (a refresh only if that is old).  Text fields
 * are NUL-terminated; "" means none.
 */
#define NETCHECK_SERVERS	16
#define NETCHECK_COORDS		16
#define NETCHECK_TEXT		128
struct ctl_netcheck_server {
	char		name[MESH_ENDPOINT_MAX]; /* as configured, or the
						   coordinator's name */
	char		addr[MESH_ENDPOINT_MAX]; /* the server's */
	char		reflexive[MESH_ENDPOINT_MAX]; /* ours, as it saw us */
	char		error[NETCHECK_TEXT];
	uint8_t		coordinator;	/* a coordinator, not a stun line */
	uint8_t		af;		/* 4 or 6; 0: not resolved */
	uint8_t		pad[2];
	int32_t		rtt_us;		/* -1: no answer */
	int64_t		age;		/* seconds since the answer */
};
struct ctl_netcheck {
	uint32_t	nservers;
	struct ctl_netcheck_server servers[NETCHECK_SERVERS];
	char		mapping[32];	/* "endpoint-independent", ... */
	char		ports[32];	/* "preserved", "sequential", ... */
	char		mapping_why[NETCHECK_TEXT];
	char		pm_proto[16];	/* "PCP", "NAT-PMP", "none", "off" */
	char		pm_gateway[MESH_ENDPOINT_MAX];
	char		pm_external[MESH_ENDPOINT_MAX];
	int64_t		pm_lifetime;	/* seconds left */
	char		pm_why[NETCHECK_TEXT];
	uint32_t	ncoords;
	struct {
		char	name[MESH_NAME_MAX];
		int32_t	rtt_us;		/* -1: none yet */
	}		coords[NETCHECK_COORDS];
	uint32_t	ncand;		/* what the REGISTER carries */
	char		cand[8][MESH_ENDPOINT_MAX + 16];  /* "kind addr" */
	uint16_t	local_port;
	uint8_t		pad[6];
};

/* followed by a NUL-terminated message (may be just "") */
struct ctl_result {
	int32_t		code;			/* 0 ok, else errno-like */
};

/* a config's text goes to meshctl in chunks of at most this */
#define MESH_CONFIG_CHUNK	16384

/* what a reload changed (meshd-parent/confdiff.c), one per message */
enum ctl_change_kind {
	CHANGE_ADDED = 1,	/* a peer: name */
	CHANGE_REMOVED,		/* a peer: name */
	CHANGE_CHANGED,		/* a peer: name, fields, ... */
	CHANGE_IFACE,		/* name: the keyword; text: what happened */
	CHANGE_WARNING,		/* text */
	CHANGE_MORE		/* count: changes left out of the reply */
};
#define CHANGE_F_NAME		0x01	/* text: the old name */
#define CHANGE_F_ENDPOINT	0x02
#define CHANGE_F_AIPS		0x04	/* aips_added, aips_removed */
#define CHANGE_F_KEEPALIVE	0x08
#define CHANGE_F_PSK		0x10	/* psk: enum ctl_change_psk */
#define CHANGE_F_RELAY		0x20	/* a coordinator's relay */
enum ctl_change_psk {
	CHANGE_PSK_ADDED = 1,
	CHANGE_PSK_REMOVED,
	CHANGE_PSK_FILE		/* another file */
};
#define MESH_CHANGE_TEXT	256

struct ctl_change {
	uint32_t	kind;		/* enum ctl_change_kind */
	uint32_t	fields;		/* CHANGED: CHANGE_F_* */
	uint32_t	aips_added;
	uint32_t	aips_removed;
	uint32_t	psk;		/* enum ctl_change_psk */
	uint32_t	count;		/* MORE */
	char		name[MESH_NAME_MAX];
	char		text[MESH_CHANGE_TEXT];
};

/*
 * DNS_CONF: the mesh DNS of the mesh block.  on 0: tun closes its DNS
 * sockets and answers nothing.  replace: the nsocks DNS_SOCKET messages
 * that follow replace the ones tun has (the addresses changed).
 */
#define MESH_DNS_DOMAIN_MAX	128
#define MESH_DNS_DOMAIN_DEFAULT	"tunnelmesh"
#define MESH_DNS_TTL_DEFAULT	5	/* seconds: names come and go */
#define MESH_DNS_TTL_MAX	86400
struct mesh_dns_msg {
	char		domain[MESH_DNS_DOMAIN_MAX];	/* lower case */
	char		self[MESH_NAME_MAX];	/* our certificate's name */
	uint32_t	ttl;
	uint8_t		on;
	uint8_t		replace;
	uint8_t		nsocks;
	uint8_t		pad;
};
#define MESH_DNS_SOCKS	(2 * MESH_MAX_ADDRS)	/* UDP and TCP each */

/* show dns: tun's side, and the parent's word on systemd-resolved */
struct ctl_dns {
	char		domain[MESH_DNS_DOMAIN_MAX];	/* "" DNS off */
	uint32_t	ttl;
	uint32_t	nudp;		/* sockets answering */
	uint32_t	ntcp;
	uint32_t	names;		/* members and static peers known */
	uint32_t	tcp_conns;	/* TCP connections open now */
	uint32_t	serial;		/* the SOA's */
	uint64_t	queries;	/* every message on port 53 */
	uint64_t	answered;	/* NOERROR, with or without data */
	uint64_t	nxdomain;
	uint64_t	refused;	/* outside the domain, AXFR, class */
	uint64_t	malformed;	/* FORMERR, dropped, NOTIMP, BADVERS */
	uint64_t	truncated;	/* TC over UDP */
	uint64_t	tcp_queries;
	uint64_t	tcp_full;	/* connections refused: too many */
	char		resolver[192];	/* parent: what it told the system's
					   resolver, or why not */
};

/* util.c */
const char	*mesh_prefix_ntop(const struct mesh_prefix *, char *, size_t);
/* p's host bits cleared: 1 if there were any, else 0 */
int		 mesh_prefix_mask(struct mesh_prefix *);
/* a MESH_PATH_* as meshctl and the metrics name it, or NULL */
const char	*mesh_path_name(uint8_t);
/*
 * 1 if $MESHD_LEVERS_OFF (a comma list, for bench/ ablations) names this
 * performance lever: the code takes its plain path instead.  Read once by
 * each child before its sandbox; never a setting an operator needs.
 */
int		 mesh_lever_off(const char *);
int		 mesh_prefix_pton(const char *, struct mesh_prefix *);
const char	*mesh_sockaddr_ntop(const void *, size_t, char *, size_t);
uint64_t	 mesh_monotonic_ns(void);
/*
 * A DNS domain as written (letters, digits, '-', labels of 1 to 63, one
 * final dot allowed) into out, lower case, without the dot; -1 if bad.
 */
int		 mesh_dns_domain_norm(const char *, char *, size_t);

/* change.c: one line for a ctl_change, as meshctl and the log say it */
const char	*mesh_change_text(const struct ctl_change *, char *, size_t);

#endif /* MESHD_H */
