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
 * Relays: WireGuard datagrams between members that cannot reach each
 * other over UDP, carried by a relay member over TLS and WebSocket.
 *
 * A relay (serve relay) is to anyone but a member an ordinary HTTPS web
 * server (common/web.c answers as nginx would).  A member connects over
 * TLS (a TCP connection the parent opened for it), then asks for a
 * WebSocket upgrade on the mesh's secret path (relay_secret_path(): a
 * hash of the mesh's admin key and the relay's static key, which only
 * members have), with its public key and a proof bound to this TLS
 * connection (Meshd-Key, Meshd-Proof; meshd-crypto computes it from
 * DH(client, relay) over the connection's TLS exporter value: net never
 * sees the DH result, and a proof replayed on another connection does
 * not verify).  The relay answers 101 only to an admitted member with
 * the right path and proof, with its own proof; anything else is given
 * to the web site.  Then binary frames: a member sends the destination's
 * public key and one datagram, the relay passes the source's key and the
 * datagram on.  The relay forwards ciphertext: the Noise sessions run
 * end to end through it.
 *
 * Endpoints: a datagram through a relay has the endpoint .sock =
 * MESH_EP_RELAY + slot, where a slot names (connection, the other
 * member's key), so what crypto sends back to that endpoint goes to the
 * right member through the right connection, and a member's path moves
 * onto a relay and off it again by ordinary roaming.
 *
 * Which relay, and when: a member keeps one connection at all times, to
 * its home relay, and says in its directory record which that is (a
 * COORD_CAND_HOME candidate: the relay's TCP address), so that others
 * know where to reach it, as a DERP client does with its home region.
 * The home is the nearest: with none, the member dials every relay it
 * knows at once and the first whose set-up (TCP, TLS, the upgrade) ends
 * is home; the others, once up, are spares (one whose dial fails is
 * dialled again, backed off, until its set-up is measured: it may be
 * the nearest).  To a peer we send through the peer's home relay,
 * dialled when first needed (and through ours while that connection is
 * being made: the peer may be there too); a connection that is not our
 * home closes after RELAY_SPARE_IDLE seconds without a datagram.  When
 * the home closes, the nearest spare still up is home at once, else the
 * race starts again; either way the record changes and peers learn it
 * from the directory.  A relay member needs none: it is reached on its
 * own relay.  Which peers go through a relay at all is the ladder's
 * choice (ladder.c asks relay_path()).
 *
 * A member whose site lets no UDP out learns no relay from a directory
 * it cannot fetch: its config names its coordinator's relay (relay in
 * the coordinator block), which it dials at start.  A relay admits a
 * key it does not know as a member yet (a stranger, that proved it holds
 * the key) only to reach coordinators, ours or itself, where it
 * registers; once admitted it is a member like any other.
 *
 * The TLS key never enters this process: the EC_KEY net gives OpenSSL
 * holds the certificate's public key and a method whose sign call asks
 * meshd-crypto over the signing pipe and waits for the answer.
 */

#define OPENSSL_API_COMPAT	0x10100000L	/* EC_KEY_METHOD */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/tree.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#ifndef __unused
#define __unused	__attribute__((__unused__))	/* RB_GENERATE_STATIC */
#endif

#include "child.h"
#include "coord.h"
#include "endpoint.h"
#include "http.h"
#include "log.h"
#include "net.h"
#include "relay.h"
#include "web.h"
#include "wgcrypto.h"
#include "wgkey.h"
#include "wgproto.h"
#include "ws.h"

#define RELAY_CONNS		1024	/* accepted connections at most */
#define RELAY_CLIENTS		4	/* ours to relays */
#define RELAY_MAXCONN		(RELAY_CONNS + RELAY_CLIENTS)
#define RELAY_VSLOTS		4096	/* (connection, member) endpoints */
#define RELAY_INBUF		(HTTP_HEAD_MAX + 64)
#define RELAY_OUTMAX		(256 * 1024)	/* a slow reader's backlog */
#define RELAY_TICK		5	/* seconds */
#define RELAY_PING		15	/* seconds idle: a ping */
#define RELAY_DEAD		45	/* seconds silent: closed */
#define RELAY_SPARE_IDLE	30	/* seconds without a datagram: a
					   connection not our home closes */
#define RELAY_KEYS		8	/* relays known */
#define RELAY_EXPORTER		MESH_RELAY_EXPORTER
#define RELAY_CERT_B64		((MESH_CERT_MAX + 2) / 3 * 4 + 1)

enum conn_state {
	CS_FREE,
	CS_TLS,			/* handshake */
	CS_HTTP,		/* server: reading a request head */
	CS_UPGRADE,		/* client: the upgrade sent, 101 awaited */
	CS_WS,			/* frames */
	CS_CLOSING		/* flush the output, then close */
};

struct relay_conn {
	int		 fd;
	SSL		*ssl;
	int		 server;	/* 1: accepted (serve relay) */
	enum conn_state	 state;
	uint32_t	 gen;		/* slots name connections by it too */
	uint8_t		 key[32];	/* server: the member's, once it
					   proved it; client: the relay's */
	uint32_t	 relay_id;	/* client: the relay member's id */
	int		 stranger;	/* server: a key not admitted (yet):
					   only to coordinators */
	struct sockaddr_storage addr;
	socklen_t	 addrlen;
	struct event	 rev, wev;
	int		 wev_on;
	uint8_t		*in;
	size_t		 inlen, incap;
	size_t		 discard;	/* server: a request body to drop */
	uint8_t		*out;
	size_t		 outlen, outoff, outcap;
	uint64_t	 last_rx;	/* monotonic ns */
	uint64_t	 last_data;	/* client: a datagram in or out */
	uint64_t	 started;
	/* client: our Sec-WebSocket-Key; server: the accept value */
	char		 wskey[WS_ACCEPT_LEN + 1];
	RB_ENTRY(relay_conn) entry;	/* server: by member key */
};

/* a relay endpoint: one member through one connection */
struct relay_vslot {
	uint16_t	 conn;		/* index in conns[] */
	uint16_t	 used;
	uint32_t	 gen;
	uint8_t		 key[32];
};

/* a relay the directory told us of */
struct relay_known {
	uint32_t	 id;
	uint8_t		 key[32];
	struct sockaddr_storage addr;
	socklen_t	 addrlen;
	int		 conn;		/* index of our connection, -1 */
	uint64_t	 next_try;	/* monotonic ns */
	uint64_t	 dial_at;	/* the last dial, monotonic ns */
	uint64_t	 rtt;		/* its last set-up time, ns */
	unsigned int	 backoff;	/* seconds */
	int		 configured;	/* a coordinator's relay in the
					   config: its address is the
					   config's, and it stays */
	int		 seen;		/* relay_reconf()'s sweep */
};

/* our coordinators (the config's): a stranger may reach them */
struct relay_coord {
	uint32_t	 id;
	uint8_t		 key[32];
};
#define RELAY_COORDS	MESH_COORD_MAX

RB_HEAD(conn_tree, relay_conn);
static int	conn_cmp(struct relay_conn *, struct relay_conn *);
RB_GENERATE_STATIC(conn_tree, relay_conn, entry, conn_cmp)

static struct relay_conn	*conns;		/* RELAY_MAXCONN */
/* the members connected to us, by key: server connections in CS_WS */
static struct conn_tree		 members = RB_INITIALIZER(&members);
static struct relay_vslot	*vslots;	/* RELAY_VSLOTS */
static struct relay_known	 known[RELAY_KEYS];
static size_t			 nknown;
static struct relay_coord	*coords;
static size_t			 ncoords;
static uint32_t			 next_gen = 1;
static uint32_t			 home_id;	/* our home relay; 0 none */
static unsigned int		 spare_idle = RELAY_SPARE_IDLE;
static SSL_CTX			*srv_ctx, *cli_ctx;
static struct imsgbuf		 signbuf;
static int			 signfd = -1;
static int			 have_cert;
static uint8_t			 ourkey[32];
static uint8_t			 ca[32];
static int			 have_ca;
static int			 serving;	/* listeners came */
static uint16_t			 serve_port;
static struct event		 tick_ev;
static struct event		 lev[RELAY_LISTEN_FDS];
static int			 nlev;
static int			 accept_paused;	/* out of descriptors */
static struct relay_stats	 st;
/* the site outsiders see: the operator's files, or the built-in one */
static struct web_site		 site;
static struct web_file		 files[RELAY_SITE_FILES];
static char			*file_paths[RELAY_SITE_FILES];
static uint8_t			*file_data[RELAY_SITE_FILES];
static uint8_t			*file_gz[RELAY_SITE_FILES];
static struct mesh_relay_file	 pending_file;
static int			 have_pending_file;

static void	 conn_close(struct relay_conn *);
static void	 conn_flush(struct relay_conn *);
static void	 conn_readable(int, short, void *);
static void	 conn_writable(int, short, void *);
static void	 relay_tick(int, short, void *);
static void	 relay_dial(struct relay_known *);
static void	 relay_rehome(void);
static void	 home_lost(void);
static struct relay_known *known_by_id(uint32_t);

static int
conn_cmp(struct relay_conn *a, struct relay_conn *b)
{
	return memcmp(a->key, b->key, sizeof(a->key));
}

static size_t
conn_index(const struct relay_conn *c)
{
	return c - conns;
}

/* --- the signing pipe: synchronous round trips to crypto ------------ */

/*
 * One request and its answer.  OpenSSL's signing hook cannot wait for
 * the event loop, so net blocks here, as relayd's relays block on its ca
 * process; the pipe carries nothing else, so the next message on it is
 * the answer.
 */
static int
sign_roundtrip(uint32_t type, void *msg, size_t len)
{
	struct imsg	imsg;
	ssize_t		n;

	if (signfd == -1)
		return -1;
	if (imsg_compose(&signbuf, type, 0, 0, -1, msg, len) == -1 ||
	    imsgbuf_flush(&signbuf) == -1)
		fatal("signing pipe: write");
	for (;;) {
		if ((n = imsgbuf_get(&signbuf, &imsg)) == -1)
			fatal("signing pipe: bad imsg");
		if (n > 0)
			break;
		if ((n = imsgbuf_read(&signbuf)) == -1 && errno != EAGAIN &&
		    errno != EINTR)
			fatal("signing pipe: read");
		if (n == 0)
			fatalx("signing pipe: crypto is gone");
	}
	if (imsg_get_type(&imsg) != type ||
	    imsg_get_data(&imsg, msg, len) == -1)
		fatalx("signing pipe: unexpected answer");
	imsg_free(&imsg);
	return 0;
}

static int
ec_sign(int type, const unsigned char *dgst, int dlen, unsigned char *sig,
    unsigned int *siglen, const BIGNUM *kinv, const BIGNUM *r, EC_KEY *ec)
{
	struct mesh_relay_sign	rs;

	if (dlen <= 0 || (size_t)dlen > sizeof(rs.dgst))
		return 0;
	memset(&rs, 0, sizeof(rs));
	rs.dlen = dlen;
	memcpy(rs.dgst, dgst, dlen);
	if (sign_roundtrip(IMSG_RELAY_SIGN, &rs, sizeof(rs)) == -1 ||
	    rs.siglen == 0 || rs.siglen > sizeof(rs.sig) ||
	    rs.siglen > (unsigned int)ECDSA_size(ec)) {
		log_warnx("serve relay: crypto gave no signature");
		return 0;
	}
	memcpy(sig, rs.sig, rs.siglen);
	*siglen = rs.siglen;
	return 1;
}

/* who's proof on connection c for key, from crypto: 0, or -1 refused */
static int
proof_get(struct relay_conn *c, const uint8_t key[32], uint8_t who,
    uint8_t mac[MESH_PROOF_LEN], const uint8_t *cert, size_t certlen)
{
	struct mesh_relay_proof	rp;

	memset(&rp, 0, sizeof(rp));
	memcpy(rp.pubkey, key, sizeof(rp.pubkey));
	rp.who = who;
	if (certlen > sizeof(rp.cert))
		return -1;
	if (certlen > 0)
		memcpy(rp.cert, cert, certlen);
	rp.certlen = certlen;
	if (SSL_export_keying_material(c->ssl, rp.exporter,
	    sizeof(rp.exporter), RELAY_EXPORTER, strlen(RELAY_EXPORTER),
	    NULL, 0, 0) != 1)
		return -1;
	if (sign_roundtrip(IMSG_RELAY_PROOF, &rp, sizeof(rp)) == -1 ||
	    (rp.ok != MESH_PROOF_MEMBER && rp.ok != MESH_PROOF_STRANGER))
		return -1;
	memcpy(mac, rp.mac, MESH_PROOF_LEN);
	return rp.ok;
}

void
relay_sign_pipe(struct imsg *imsg)
{
	int	fd;

	if ((fd = imsg_get_fd(imsg)) == -1)
		fatalx("RELAY_SIGN_FD without a descriptor");
	if (signfd != -1)
		fatalx("RELAY_SIGN_FD: a second pipe");
	if (imsgbuf_init(&signbuf, fd) == -1)
		fatal("imsgbuf_init");
	signfd = fd;
}

/* --- setup ---------------------------------------------------------- */

/*
 * libssl reads its config and fetches algorithms on first use: make both
 * contexts now, while files can be opened.
 */
void
relay_init(void)
{
	const char	*s;
	char		*end;
	long		 v;

	/* tests: spare connections close sooner */
	if ((s = getenv("MESHD_TEST_RELAY_SPARE_IDLE")) != NULL) {
		v = strtol(s, &end, 10);
		if (*s != '\0' && *end == '\0' && v >= 1 &&
		    v <= RELAY_SPARE_IDLE) {
			spare_idle = v;
			log_info("relay: spare connections close after %u s "
			    "(a test)", spare_idle);
		} else
			log_warnx("MESHD_TEST_RELAY_SPARE_IDLE=%s: not 1..%d, "
			    "ignored", s, RELAY_SPARE_IDLE);
	}
	if (OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, NULL) != 1 ||
	    (srv_ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    (cli_ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		fatalx("OpenSSL TLS initialisation failed");
	/* as nginx's default ssl_protocols: TLS 1.2 and 1.3 */
	SSL_CTX_set_min_proto_version(srv_ctx, TLS1_2_VERSION);
	SSL_CTX_set_min_proto_version(cli_ctx, TLS1_3_VERSION);
	/*
	 * The client does not check the relay's certificate: the relay
	 * proves itself in its 101 (a proof bound to this connection by
	 * the exporter), which a man in the middle cannot make.
	 */
	SSL_CTX_set_verify(cli_ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_mode(srv_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_mode(cli_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_options(srv_ctx, SSL_OP_NO_RENEGOTIATION);
	if ((conns = calloc(RELAY_MAXCONN, sizeof(*conns))) == NULL ||
	    (vslots = calloc(RELAY_VSLOTS, sizeof(*vslots))) == NULL)
		fatal(NULL);
	/* dated as nginx's page is by its install: here, our start */
	web_default_site(&site, time(NULL));
	site.https = 1;
	evtimer_set(&tick_ev, relay_tick, NULL);
}

void
relay_pubkey(const uint8_t pub[32])
{
	memcpy(ourkey, pub, sizeof(ourkey));
}

/* a coordinator's relay from the config: known from now on */
static void
relay_configure(const struct mesh_peer_msg *pm)
{
	struct relay_known	*k = NULL;
	size_t			 i;

	for (i = 0; i < nknown; i++)
		if (known[i].id == pm->id)
			k = &known[i];
	if (k == NULL) {
		if (nknown == RELAY_KEYS)
			return;
		k = &known[nknown++];
		memset(k, 0, sizeof(*k));
		k->conn = -1;
		log_info("relay: coordinator %s's relay", pm->name);
	} else if (k->addrlen != pm->relay_len ||
	    memcmp(&k->addr, pm->relay, pm->relay_len) != 0) {
		/* another address: the next connection goes there */
		if (k->conn != -1)
			conn_close(&conns[k->conn]);
	}
	k->id = pm->id;
	memcpy(k->key, pm->pubkey, 32);
	memset(&k->addr, 0, sizeof(k->addr));
	memcpy(&k->addr, pm->relay, pm->relay_len);
	k->addrlen = pm->relay_len;
	k->configured = 1;
	k->seen = 1;
}

void
relay_reconf(struct conf_snapshot *cs)
{
	struct timeval		 tv = { RELAY_TICK, 0 };
	struct conf_peer	*p;
	size_t			 i, n = 0;

	have_ca = cs->has_mesh;
	if (have_ca)
		memcpy(ca, cs->mesh.ca, sizeof(ca));
	if (coords == NULL && (coords = calloc(RELAY_COORDS,
	    sizeof(*coords))) == NULL)
		fatal(NULL);
	for (i = 0; i < nknown; i++)
		known[i].seen = 0;
	TAILQ_FOREACH(p, &cs->peers, entry) {
		if (!(p->msg.flags & MESH_PEER_F_COORDINATOR))
			continue;
		if (n < RELAY_COORDS) {
			coords[n].id = p->msg.id;
			memcpy(coords[n].key, p->msg.pubkey, 32);
			n++;
		}
		if (p->msg.relay_len != 0 &&
		    p->msg.relay_len <= sizeof(p->msg.relay))
			relay_configure(&p->msg);
	}
	ncoords = n;
	/* a relay the config no longer names: the directory's may come */
	for (i = 0; i < nknown; ) {
		if (known[i].configured && !known[i].seen) {
			known[i].configured = 0;
			relay_forget(known[i].id);	/* moves the last here */
		} else
			i++;
	}
	for (i = 0; i < nknown; i++)
		relay_dial(&known[i]);
	if (!evtimer_pending(&tick_ev, NULL))
		evtimer_add(&tick_ev, &tv);
}

/* one of our coordinators' keys: its id, else 0 */
static uint32_t
relay_coord_id(const uint8_t key[32])
{
	size_t	i;

	for (i = 0; i < ncoords; i++)
		if (CRYPTO_memcmp(coords[i].key, key, 32) == 0)
			return coords[i].id;
	return 0;
}

/* the key of our coordinator id, or NULL */
static const uint8_t *
relay_coord_key(uint32_t id)
{
	size_t	i;

	for (i = 0; i < ncoords; i++)
		if (coords[i].id == id)
			return coords[i].key;
	return NULL;
}

/* the key whose signing goes to crypto, for the leaf's public key */
static EVP_PKEY *
remote_key(X509 *leaf)
{
	static EC_KEY_METHOD	*meth;
	EVP_PKEY		*pub, *pk;
	EC_KEY			*ec;

	if (meth == NULL) {
		if ((meth = EC_KEY_METHOD_new(EC_KEY_get_default_method())) ==
		    NULL)
			fatalx("EC_KEY_METHOD_new");
		EC_KEY_METHOD_set_sign(meth, ec_sign, NULL, NULL);
	}
	if ((pub = X509_get_pubkey(leaf)) == NULL)
		return NULL;
	if (EVP_PKEY_base_id(pub) != EVP_PKEY_EC ||
	    (ec = EC_KEY_dup(EVP_PKEY_get0_EC_KEY(pub))) == NULL) {
		EVP_PKEY_free(pub);
		return NULL;
	}
	EVP_PKEY_free(pub);
	if (EC_KEY_set_method(ec, meth) != 1 || (pk = EVP_PKEY_new()) ==
	    NULL || EVP_PKEY_assign_EC_KEY(pk, ec) != 1)
		fatalx("EC key setup failed");
	return pk;
}

/* RELAY_CERT: the chain in PEM, the leaf first */
void
relay_cert(struct imsg *imsg)
{
	struct ibuf	 ib;
	EVP_PKEY	*pk;
	X509		*x;
	BIO		*b;
	int		 n = 0;

	if (imsg_get_ibuf(imsg, &ib) == -1 || ibuf_size(&ib) == 0 ||
	    (b = BIO_new_mem_buf(ibuf_data(&ib), ibuf_size(&ib))) == NULL)
		fatalx("RELAY_CERT: bad message");
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (n++ == 0) {
			if ((pk = remote_key(x)) == NULL)
				fatalx("serve relay: tls-certificate-file: "
				    "not an ECDSA certificate (P-256, P-384)");
			if (SSL_CTX_use_certificate(srv_ctx, x) != 1 ||
			    SSL_CTX_use_PrivateKey(srv_ctx, pk) != 1)
				fatalx("serve relay: the certificate does not "
				    "match tls-key-file");
			EVP_PKEY_free(pk);
			X509_free(x);
		} else if (SSL_CTX_add0_chain_cert(srv_ctx, x) != 1)
			fatalx("serve relay: certificate chain");
	}
	ERR_clear_error();
	BIO_free(b);
	if (n == 0)
		fatalx("serve relay: tls-certificate-file: no PEM "
		    "certificate");
	have_cert = 1;
}

/* file i as nginx's gzip filter would send it, if it would */
static void
site_gzip(size_t i)
{
	size_t	bound;
	ssize_t	n;

	if (!web_gzip_wanted(files[i].path, files[i].len))
		return;
	bound = web_gzip_bound(files[i].len);
	if ((file_gz[i] = malloc(bound)) == NULL)
		fatal(NULL);
	if ((n = web_gzip(files[i].data, files[i].len, file_gz[i],
	    bound)) == -1) {
		free(file_gz[i]);
		file_gz[i] = NULL;
		return;
	}
	files[i].gz = file_gz[i];
	files[i].gzlen = n;
}

/* RELAY_SITE: a file's description (id 0), then its bytes (id 1) */
void
relay_site(struct imsg *imsg)
{
	struct ibuf	ib;
	size_t		i = site.files == files ? site.nfiles : 0;

	if (imsg_get_id(imsg) == 0) {
		if (imsg_get_data(imsg, &pending_file,
		    sizeof(pending_file)) == -1 || pending_file.len == 0 ||
		    pending_file.len > MESH_RELAY_FILE_MAX)
			fatalx("RELAY_SITE: bad message");
		pending_file.path[sizeof(pending_file.path) - 1] = '\0';
		have_pending_file = 1;
		return;
	}
	if (imsg_get_ibuf(imsg, &ib) == -1 || !have_pending_file ||
	    ibuf_size(&ib) != pending_file.len)
		fatalx("RELAY_SITE: bad message");
	have_pending_file = 0;
	if (i >= RELAY_SITE_FILES)
		return;
	if ((file_paths[i] = strdup(pending_file.path)) == NULL ||
	    (file_data[i] = malloc(pending_file.len)) == NULL)
		fatal(NULL);
	memcpy(file_data[i], ibuf_data(&ib), pending_file.len);
	files[i].path = file_paths[i];
	files[i].data = file_data[i];
	files[i].len = pending_file.len;
	files[i].mtime = pending_file.mtime;
	site_gzip(i);
	site.files = files;
	site.nfiles = i + 1;
}

/* --- connections ---------------------------------------------------- */

static struct relay_conn *
conn_new(int fd, int server, const struct sockaddr_storage *ss,
    socklen_t sslen)
{
	struct relay_conn	*c = NULL;
	size_t			 i, lo = server ? 0 : RELAY_CONNS;
	size_t			 hi = server ? RELAY_CONNS : RELAY_MAXCONN;

	for (i = lo; i < hi && c == NULL; i++)
		if (conns[i].state == CS_FREE)
			c = &conns[i];
	if (c == NULL)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->server = server;
	c->gen = next_gen++;
	memcpy(&c->addr, ss, sslen);
	c->addrlen = sslen;
	c->incap = RELAY_INBUF;
	if ((c->in = malloc(c->incap)) == NULL ||
	    (c->ssl = SSL_new(server ? srv_ctx : cli_ctx)) == NULL ||
	    SSL_set_fd(c->ssl, fd) != 1)
		fatalx("relay connection: out of memory");
	if (server)
		SSL_set_accept_state(c->ssl);
	else
		SSL_set_connect_state(c->ssl);
	c->state = CS_TLS;
	c->started = c->last_rx = mesh_monotonic_ns();
	event_set(&c->rev, fd, EV_READ | EV_PERSIST, conn_readable, c);
	event_set(&c->wev, fd, EV_WRITE, conn_writable, c);
	event_add(&c->rev, NULL);
	return c;
}

/* the slots of a closing connection go, and peers' paths through them */
static void
vslots_drop(const struct relay_conn *c)
{
	struct net_peer	*np;
	size_t		 i;

	for (i = 0; i < RELAY_VSLOTS; i++) {
		if (!vslots[i].used || vslots[i].gen != c->gen)
			continue;
		vslots[i].used = 0;
		/* a member on our relay: gone with its connection */
		if (!c->server)
			continue;
		for (np = net_peer_first(); np != NULL;
		    np = net_peer_next(np))
			if (np->ep.sock == MESH_EP_RELAY + i)
				memset(&np->ep, 0, sizeof(np->ep));
	}
}

/*
 * Our dial to a relay closed before it was up (refused, reset, TLS or the
 * upgrade failed, or timed out).  Said once a streak (the streak's first
 * dial has backoff 1: relay_measured() resets it): a relay that stays
 * unreachable is dialled again and again (relay_tick()), at most every
 * 60 s, and its success is logged by relay_measured().
 */
static void
dial_failed(const struct relay_conn *c)
{
	struct relay_known	*k = known_by_id(c->relay_id);

	if (k == NULL || k->conn != (int)conn_index(c))
		return;
	if (k->backoff <= 1)
		log_info("relay: could not connect to relay peer %u (%s); "
		    "trying again", c->relay_id, c->state == CS_TLS ?
		    "TCP or TLS" : "the upgrade");
	else
		log_debug("relay: could not connect to relay peer %u again; "
		    "next try in %u s or more", c->relay_id, k->backoff);
}

static void
conn_close(struct relay_conn *c)
{
	size_t	i;
	/* a client closes from CS_WS only (the relay's close frame) */
	int	ours = !c->server && (c->state == CS_WS ||
		    c->state == CS_CLOSING);
	int	was_home = ours && c->relay_id == home_id;

	if (c->state == CS_FREE)
		return;
	log_debug("relay: %s connection closed (state %d)",
	    c->server ? "a member's" : "our", c->state);
	if (ours)
		log_info("relay: our connection to relay peer %u closed",
		    c->relay_id);
	else if (!c->server)
		dial_failed(c);
	if (c->server && c->state == CS_WS)
		RB_REMOVE(conn_tree, &members, c);
	vslots_drop(c);
	for (i = 0; i < nknown; i++)
		if (known[i].conn == (int)conn_index(c))
			known[i].conn = -1;
	event_del(&c->rev);
	if (c->wev_on)
		event_del(&c->wev);
	SSL_free(c->ssl);
	close(c->fd);
	free(c->in);
	free(c->out);
	c->in = c->out = NULL;
	c->state = CS_FREE;
	if (was_home)
		home_lost();
	/* its peers: onto another relay, or direct again */
	if (ours)
		relay_rehome();
}

/* n bytes to send; 0, or -1 if over the backlog (dropped, counted) */
static int
conn_queue(struct relay_conn *c, const void *p, size_t n)
{
	size_t	need;

	if (c->outoff > 0 && c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	need = c->outlen + n;
	if (need - c->outoff > RELAY_OUTMAX) {
		st.drop_slow++;
		return -1;
	}
	if (need > c->outcap) {
		if (c->outoff > 0) {
			memmove(c->out, c->out + c->outoff,
			    c->outlen - c->outoff);
			c->outlen -= c->outoff;
			c->outoff = 0;
			need = c->outlen + n;
		}
		if (need > c->outcap) {
			size_t cap = need < 4096 ? 4096 : need * 2;

			if (cap > RELAY_OUTMAX + 4096)
				cap = RELAY_OUTMAX + 4096;
			if ((c->out = realloc(c->out, cap)) == NULL)
				fatal(NULL);
			c->outcap = cap;
		}
	}
	memcpy(c->out + c->outlen, p, n);
	c->outlen += n;
	return 0;
}

static void
wev_arm(struct relay_conn *c, int on)
{
	if (on && !c->wev_on)
		event_add(&c->wev, NULL);
	else if (!on && c->wev_on)
		event_del(&c->wev);
	c->wev_on = on;
}

/* as much of the output as TLS takes now */
static void
conn_flush(struct relay_conn *c)
{
	int	n;

	if (c->state == CS_TLS)
		return;
	while (c->outoff < c->outlen) {
		ERR_clear_error();
		n = SSL_write(c->ssl, c->out + c->outoff,
		    c->outlen - c->outoff);
		if (n > 0) {
			c->outoff += n;
			continue;
		}
		switch (SSL_get_error(c->ssl, n)) {
		case SSL_ERROR_WANT_WRITE:
		case SSL_ERROR_WANT_READ:
			wev_arm(c, 1);
			return;
		default:
			log_debug("relay: write: TLS error %d",
			    SSL_get_error(c->ssl, n));
			conn_close(c);
			return;
		}
	}
	c->outoff = c->outlen = 0;
	wev_arm(c, 0);
	if (c->state == CS_CLOSING) {
		(void)SSL_shutdown(c->ssl);
		conn_close(c);
	}
}

/* one frame to c: ours are unmasked as a server's, masked as a client's */
static int
conn_frame(struct relay_conn *c, uint8_t op, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen)
{
	uint8_t		hdr[WS_HDR_MAX], mask[4], tmp[32 + NET_DGRAM_MAX];
	ssize_t		hl;
	size_t		n = alen + blen;

	if (n > sizeof(tmp))
		return -1;
	if (!c->server)
		arc4random_buf(mask, sizeof(mask));
	if ((hl = ws_header(hdr, sizeof(hdr), 1, op, c->server ? NULL : mask,
	    n)) == -1)
		return -1;
	if (alen > 0)
		memcpy(tmp, a, alen);
	if (blen > 0)
		memcpy(tmp + alen, b, blen);
	if (!c->server)
		ws_unmask(tmp, n, mask, 0);
	if (c->outlen - c->outoff + hl + n > RELAY_OUTMAX) {
		st.drop_slow++;
		return -1;
	}
	(void)conn_queue(c, hdr, hl);
	(void)conn_queue(c, tmp, n);
	conn_flush(c);
	return 0;
}

/* --- slots ---------------------------------------------------------- */

static int
vslot_get(const struct relay_conn *c, const uint8_t key[32])
{
	size_t	i, fresh = RELAY_VSLOTS;

	for (i = 0; i < RELAY_VSLOTS; i++) {
		if (!vslots[i].used) {
			if (fresh == RELAY_VSLOTS)
				fresh = i;
			continue;
		}
		if (vslots[i].gen == c->gen &&
		    memcmp(vslots[i].key, key, 32) == 0)
			return i;
	}
	if (fresh == RELAY_VSLOTS)
		return -1;
	vslots[fresh].used = 1;
	vslots[fresh].gen = c->gen;
	vslots[fresh].conn = conn_index(c);
	memcpy(vslots[fresh].key, key, 32);
	return fresh;
}

static void
vslot_ep(const struct relay_conn *c, int slot, struct mesh_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	memcpy(ep->addr, &c->addr, c->addrlen);
	ep->addrlen = c->addrlen;
	ep->sock = MESH_EP_RELAY + slot;
}

int
relay_send(const struct mesh_endpoint *ep, const void *msg, size_t len)
{
	struct relay_vslot	*v;
	struct relay_conn	*c;
	int			 slot = ep->sock - MESH_EP_RELAY;

	if (slot < 0 || slot >= RELAY_VSLOTS || !vslots[slot].used)
		return -1;
	v = &vslots[slot];
	c = &conns[v->conn];
	if (c->state != CS_WS || c->gen != v->gen)
		return -1;
	if (!c->server)
		c->last_data = mesh_monotonic_ns();
	/* to a member on our relay: from us; to a relay: to the member */
	return conn_frame(c, WS_OP_BINARY, c->server ? ourkey : v->key, 32,
	    msg, len);
}

/* --- serve relay: the member's side of a frame ---------------------- */

/* a datagram from member c to key: forwarded, or ours */
static void
forward(struct relay_conn *c, const uint8_t *key, const uint8_t *dg,
    size_t len)
{
	struct relay_conn	 k, *to;
	struct mesh_endpoint	 ep;
	int			 slot;

	/* a stranger: to coordinators only, until it is admitted */
	if (c->stranger && coord_key_admitted(c->key))
		c->stranger = 0;
	if (c->stranger && !(CRYPTO_memcmp(key, ourkey, 32) == 0 ?
	    coord_serving() : relay_coord_id(key) != 0)) {
		st.drop_unknown++;
		return;
	}
	if (CRYPTO_memcmp(key, ourkey, 32) == 0) {
		if ((slot = vslot_get(c, c->key)) == -1) {
			st.drop_unknown++;
			return;
		}
		vslot_ep(c, slot, &ep);
		net_wire_in(dg, len, &ep);
		return;
	}
	memcpy(k.key, key, 32);
	if ((to = RB_FIND(conn_tree, &members, &k)) == NULL) {
		st.drop_unknown++;
		return;
	}
	if (conn_frame(to, WS_OP_BINARY, c->key, 32, dg, len) == 0)
		st.forwarded++;
}

/* a client's side: a datagram from member key through relay c */
static void
from_relay(struct relay_conn *c, const uint8_t *key, const uint8_t *dg,
    size_t len)
{
	struct mesh_endpoint	ep;
	int			slot;

	if ((slot = vslot_get(c, key)) == -1) {
		st.drop_unknown++;
		return;
	}
	c->last_data = mesh_monotonic_ns();
	vslot_ep(c, slot, &ep);
	net_wire_in(dg, len, &ep);
}

/* one whole frame of c, unmasked; -1: close */
static int
frame_in(struct relay_conn *c, const struct ws_frame *f, uint8_t *p)
{
	switch (f->opcode) {
	case WS_OP_BINARY:
		if (f->len <= 32 || f->len > 32 + NET_DGRAM_MAX) {
			st.drop_malformed++;
			return 0;
		}
		if (c->server)
			forward(c, p, p + 32, f->len - 32);
		else
			from_relay(c, p, p + 32, f->len - 32);
		return 0;
	case WS_OP_PING:
		(void)conn_frame(c, WS_OP_PONG, p, f->len, NULL, 0);
		return 0;
	case WS_OP_PONG:
		return 0;
	case WS_OP_CLOSE:
		(void)conn_frame(c, WS_OP_CLOSE, p, f->len > 2 ? 2 : f->len,
		    NULL, 0);
		/*
		 * No more frames to it: out of the members now, or
		 * conn_close() (which takes out a member in CS_WS) would
		 * leave the freed slot in the tree for forward() to find
		 */
		if (c->server)
			RB_REMOVE(conn_tree, &members, c);
		c->state = CS_CLOSING;
		conn_flush(c);
		return -1;
	default:
		st.drop_malformed++;
		return -1;
	}
}

/* the frames in c's input; the rest waits for more bytes */
static void
frames_in(struct relay_conn *c)
{
	struct ws_frame	 f;
	const char	*why;
	ssize_t		 n;
	size_t		 off = 0;

	while (c->state == CS_WS && off < c->inlen) {
		n = ws_parse(c->in + off, c->inlen - off,
		    c->server ? WS_SERVER : WS_CLIENT, &f, &why);
		if (n == WS_MORE) {
			/* frames of ours are small: a huge one is bad */
			if (c->inlen - off >= c->incap) {
				log_debug("relay: frame too large");
				conn_close(c);
				return;
			}
			break;
		}
		if (n == WS_BAD) {
			log_debug("relay: bad frame: %s", why);
			conn_close(c);
			return;
		}
		if (f.masked)
			ws_unmask(c->in + off + f.hdrlen, f.len, f.mask, 0);
		if (frame_in(c, &f, c->in + off + f.hdrlen) == -1)
			return;
		off += n;
	}
	if (c->state != CS_FREE && off > 0) {
		memmove(c->in, c->in + off, c->inlen - off);
		c->inlen -= off;
	}
}

/* --- serve relay: the request head ----------------------------------- */

/* a header's value as a NUL-terminated string, if it fits */
static int
header_str(const struct http_req *req, const char *name, char *buf,
    size_t len)
{
	struct http_span	v;

	if (http_header_value(req, name, &v) == -1 || v.len >= len)
		return -1;
	memcpy(buf, req->buf + v.off, v.len);
	buf[v.len] = '\0';
	return 0;
}

/*
 * The client's certificate (RELAY_HDR_CERT) decoded into buf: its length,
 * 0 if there is none, -1 if it is bad
 */
static ssize_t
req_cert(const struct http_req *req, uint8_t buf[MESH_CERT_MAX])
{
	struct http_span	v;

	if (http_header_value(req, RELAY_HDR_CERT, &v) == -1)
		return 0;
	return relay_parse_cert(req->buf + v.off, v.len, buf);
}

/*
 * 1 if req is a member's upgrade to our path with a proof that holds on
 * this connection (the member's key then in c->key), else 0
 */
static int
upgrade_ok(struct relay_conn *c, const struct http_req *req)
{
	char		path[RELAY_PATH_LEN + 1], b64[WG_KEY_B64_LEN + 1];
	uint8_t		key[32], proof[32], want[MESH_PROOF_LEN];
	uint8_t		cert[MESH_CERT_MAX];
	const char	*why;
	ssize_t		certlen;
	int		ok;

	if (!have_ca)
		return 0;
	relay_secret_path(ca, ourkey, path);
	if (!http_span_eq(req, req->target, path) ||
	    ws_upgrade_check(req, c->wskey, &why) == -1)
		return 0;
	if (header_str(req, RELAY_HDR_KEY, b64, sizeof(b64)) == -1 ||
	    wg_key_from_base64(key, b64) == -1 ||
	    header_str(req, RELAY_HDR_PROOF, b64, sizeof(b64)) == -1 ||
	    wg_key_from_base64(proof, b64) == -1)
		return 0;
	if ((certlen = req_cert(req, cert)) == -1)
		return 0;
	if ((ok = proof_get(c, key, MESH_PROOF_CLIENT, want, cert,
	    certlen)) == -1 ||
	    CRYPTO_memcmp(want, proof, sizeof(want)) != 0) {
		st.refused++;
		return 0;
	}
	/* a stranger, when there is a coordinator it could reach */
	if (ok == MESH_PROOF_STRANGER && !coord_serving() && ncoords == 0) {
		st.refused++;
		return 0;
	}
	c->stranger = ok == MESH_PROOF_STRANGER;
	memcpy(c->key, key, sizeof(c->key));
	return 1;
}

/* the 101 with our own proof; the member's frames follow */
static void
upgrade_answer(struct relay_conn *c, const struct http_req *req)
{
	struct relay_conn	*old;
	char			 b64[WG_KEY_B64_LEN + 1], head[512];
	uint8_t			 mine[MESH_PROOF_LEN];
	int			 n;
	uint8_t			 cert[MESH_CERT_MAX];
	ssize_t			 certlen;

	if ((certlen = req_cert(req, cert)) == -1)
		certlen = 0;
	if (proof_get(c, c->key, MESH_PROOF_RELAY, mine, cert,
	    certlen) == -1) {
		conn_close(c);
		return;
	}
	wg_key_to_base64(b64, mine);
	n = snprintf(head, sizeof(head), "HTTP/1.1 101 Switching Protocols"
	    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n%s: %s\r\n\r\n", c->wskey,
	    RELAY_HDR_PROOF, b64);
	/* a member connected again: the new connection wins */
	if ((old = RB_FIND(conn_tree, &members, c)) != NULL)
		conn_close(old);
	RB_INSERT(conn_tree, &members, c);
	c->state = CS_WS;
	st.members++;
	(void)conn_queue(c, head, n);
	conn_flush(c);
}

/* "192.0.2.1" or "[2001:db8::1]": the address a connection came to */
static void
local_addr(int fd, char *buf, size_t len)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof(ss);
	char			 a[INET6_ADDRSTRLEN];

	buf[0] = '\0';
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1)
		return;
	if (ss.ss_family == AF_INET && inet_ntop(AF_INET,
	    &((struct sockaddr_in *)&ss)->sin_addr, a, sizeof(a)) != NULL)
		(void)snprintf(buf, len, "%s", a);
	else if (ss.ss_family == AF_INET6 && inet_ntop(AF_INET6,
	    &((struct sockaddr_in6 *)&ss)->sin6_addr, a, sizeof(a)) != NULL)
		(void)snprintf(buf, len, "[%s]", a);
}

/* the web site's answer to a request that is not a member's upgrade */
static void
web_answer_req(struct relay_conn *c, const struct http_req *req)
{
	struct web_resp		*resp;
	char			 local[INET6_ADDRSTRLEN + 2];
	size_t			 i;

	if ((resp = calloc(1, sizeof(*resp))) == NULL)
		fatal(NULL);
	/* a redirect without Host names the address it came to */
	local_addr(c->fd, local, sizeof(local));
	site.port = serve_port;
	site.local = local;
	web_respond(&site, req, c->inlen, time(NULL), resp);
	site.local = NULL;
	st.web++;
	(void)conn_queue(c, resp->head, resp->headlen);
	for (i = 0; i < resp->nbody && i < WEB_PIECES_MAX; i++)
		(void)conn_queue(c, resp->body[i].p, resp->body[i].len);
	c->discard = resp->discard;
	if (resp->consumed > c->inlen)
		resp->consumed = c->inlen;
	memmove(c->in, c->in + resp->consumed, c->inlen - resp->consumed);
	c->inlen -= resp->consumed;
	if (resp->close)
		c->state = CS_CLOSING;
	free(resp);
	conn_flush(c);
}

static void
http_in(struct relay_conn *c)
{
	struct http_req	*req;
	size_t		 d;
	ssize_t		 n;

	if ((req = malloc(sizeof(*req))) == NULL)
		fatal(NULL);
	while (c->state == CS_HTTP && c->inlen > 0) {
		if (c->discard > 0) {
			d = c->discard < c->inlen ? c->discard : c->inlen;
			memmove(c->in, c->in + d, c->inlen - d);
			c->inlen -= d;
			c->discard -= d;
			continue;
		}
		if ((n = http_parse_head(c->in, c->inlen, req)) == HTTP_MORE)
			break;
		if (n > 0 && upgrade_ok(c, req)) {
			upgrade_answer(c, req);
			if (c->state == CS_WS) {
				memmove(c->in, c->in + n, c->inlen - n);
				c->inlen -= n;
			}
			break;
		}
		web_answer_req(c, req);
	}
	free(req);
	if (c->state == CS_WS && c->inlen > 0)
		frames_in(c);
}

/* --- a member's side: the upgrade ------------------------------------ */

static void
upgrade_send(struct relay_conn *c)
{
	char		path[RELAY_PATH_LEN + 1], kb64[WG_KEY_B64_LEN + 1];
	char		pb64[WG_KEY_B64_LEN + 1], host[MESH_ENDPOINT_MAX];
	char		head[768 + RELAY_CERT_B64];
	char		cb64[RELAY_CERT_B64];
	const uint8_t	*cert;
	uint8_t		nonce[16], proof[MESH_PROOF_LEN];
	size_t		certlen;
	int		n;

	if (proof_get(c, c->key, MESH_PROOF_CLIENT, proof, NULL, 0) == -1) {
		log_info("relay: crypto gave no proof for the relay (not an "
		    "admitted member?)");
		conn_close(c);
		return;
	}
	relay_secret_path(ca, c->key, path);
	arc4random_buf(nonce, sizeof(nonce));
	if (EVP_EncodeBlock((unsigned char *)c->wskey, nonce,
	    sizeof(nonce)) != WS_KEY_LEN)
		fatalx("base64");
	wg_key_to_base64(kb64, ourkey);
	wg_key_to_base64(pb64, proof);
	/* our certificate: a relay that does not know us yet admits us on
	   it, to reach our coordinators (relay in a coordinator block) */
	cb64[0] = '\0';
	if ((cert = coord_own_cert(&certlen)) != NULL &&
	    certlen <= MESH_CERT_MAX)
		(void)EVP_EncodeBlock((unsigned char *)cb64, cert, certlen);
	mesh_sockaddr_ntop(&c->addr, c->addrlen, host, sizeof(host));
	n = snprintf(head, sizeof(head), "GET %s HTTP/1.1\r\nHost: %s\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
	    "%s: %s\r\n%s: %s\r\n%s%s%s%s\r\n", path, host, c->wskey,
	    RELAY_HDR_KEY, kb64, RELAY_HDR_PROOF, pb64,
	    cb64[0] != '\0' ? RELAY_HDR_CERT : "", cb64[0] != '\0' ? ": " : "",
	    cb64, cb64[0] != '\0' ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(head))
		fatalx("relay: upgrade request too long");
	c->state = CS_UPGRADE;
	(void)conn_queue(c, head, n);
	conn_flush(c);
}

/*
 * Our connection to relay c is up: its round-trip time, as the time from
 * asking the parent for the connection to the relay's 101 (TCP, TLS and
 * the upgrade: three round trips and a signature)
 */
static struct relay_known *
known_by_id(uint32_t id)
{
	size_t	i;

	for (i = 0; i < nknown; i++)
		if (known[i].id == id)
			return &known[i];
	return NULL;
}

/* our connection to relay k, if it is up */
static struct relay_conn *
known_up(const struct relay_known *k)
{
	if (k == NULL || k->conn == -1 || conns[k->conn].state != CS_WS)
		return NULL;
	return &conns[k->conn];
}

/* our connection to our home relay, if it is up */
static struct relay_conn *
relay_home(void)
{
	return home_id == 0 ? NULL : known_up(known_by_id(home_id));
}

/* id is home now (0: none); the directory hears of it */
static void
home_set(uint32_t id)
{
	struct relay_known	*k;

	if (id == home_id)
		return;
	home_id = id;
	if ((k = known_by_id(id)) != NULL)
		log_info("relay: relay peer %u is our home relay (set-up "
		    "%llu ms)", id, (unsigned long long)(k->rtt / 1000000));
	else
		log_info("relay: no home relay");
	disc_relay_changed();
}

/*
 * Our home closed (or was forgotten): the nearest spare still up is home
 * at once, else every relay known is dialled and the first up wins
 */
static void
home_lost(void)
{
	size_t	i, best = nknown;

	for (i = 0; i < nknown; i++)
		if (known[i].id != home_id && known_up(&known[i]) != NULL &&
		    (best == nknown || known[i].rtt < known[best].rtt))
			best = i;
	home_set(best == nknown ? 0 : known[best].id);
	if (best == nknown)
		for (i = 0; i < nknown; i++)
			relay_dial(&known[i]);
}

static void
relay_measured(struct relay_conn *c)
{
	struct relay_known	*h;
	uint64_t		 now = mesh_monotonic_ns();
	size_t			 i;

	for (i = 0; i < nknown; i++) {
		if (known[i].id != c->relay_id)
			continue;
		known[i].rtt = now - known[i].dial_at;
		known[i].backoff = 0;
		log_info("relay: connected to relay peer %u in %llu ms",
		    c->relay_id, (unsigned long long)(known[i].rtt /
		    1000000));
		break;
	}
	/*
	 * The first up is home (a relay is reached on itself: it needs
	 * none); a relay learned of later is dialled once too, and is home
	 * if its set-up took under half our home's
	 */
	if (serving || i == nknown)
		return;
	if (relay_home() == NULL || ((h = known_by_id(home_id)) != NULL &&
	    known[i].rtt * 2 < h->rtt))
		home_set(c->relay_id);
}

static void
upgrade_in(struct relay_conn *c)
{
	struct relay_101	 r;
	char			 accept[WS_ACCEPT_LEN + 1];
	uint8_t			 want[MESH_PROOF_LEN];
	ssize_t			 n;

	if ((n = relay_parse_101(c->in, c->inlen, &r)) == 0)
		return;
	if (n < 0 || ws_accept((const uint8_t *)c->wskey, WS_KEY_LEN,
	    accept) == -1 || strcmp(accept, r.accept) != 0 ||
	    proof_get(c, c->key, MESH_PROOF_RELAY, want, NULL, 0) == -1 ||
	    CRYPTO_memcmp(want, r.proof, sizeof(want)) != 0) {
		log_info("relay: the upgrade failed (%s)", n < 0 ?
		    "not a relay's answer" : "the relay's proof does not "
		    "hold");
		conn_close(c);
		return;
	}
	memmove(c->in, c->in + n, c->inlen - n);
	c->inlen -= n;
	c->state = CS_WS;
	c->last_data = mesh_monotonic_ns();
	relay_measured(c);
	if (c->inlen > 0)
		frames_in(c);
	if (c->state == CS_WS) {
		relay_rehome();
		ladder_relay_up();
	}
}

/* --- I/O ------------------------------------------------------------- */

static void
handshake_step(struct relay_conn *c)
{
	int	r;

	ERR_clear_error();
	if ((r = SSL_do_handshake(c->ssl)) == 1) {
		if (c->server)
			c->state = CS_HTTP;
		else
			upgrade_send(c);
		return;
	}
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		wev_arm(c, 0);
		return;
	case SSL_ERROR_WANT_WRITE:
		wev_arm(c, 1);
		return;
	default:
		log_debug("relay: TLS handshake failed: %s",
		    ERR_reason_error_string(ERR_peek_error()));
		conn_close(c);
	}
}

/* read what TLS has: 0, or -1 if c is closed */
static int
conn_read(struct relay_conn *c)
{
	int	n;

	for (;;) {
		if (c->inlen == c->incap) {
			/* a head or frame that does not fit: never ours */
			if (c->state == CS_HTTP || c->state == CS_WS ||
			    c->state == CS_UPGRADE)
				return 0;
		}
		ERR_clear_error();
		n = SSL_read(c->ssl, c->in + c->inlen, c->incap - c->inlen);
		if (n > 0) {
			c->inlen += n;
			c->last_rx = mesh_monotonic_ns();
			continue;
		}
		switch (SSL_get_error(c->ssl, n)) {
		case SSL_ERROR_WANT_READ:
			return 0;
		case SSL_ERROR_WANT_WRITE:
			wev_arm(c, 1);
			return 0;
		default:
			log_debug("relay: read: TLS error %d (%s)",
			    SSL_get_error(c->ssl, n),
			    ERR_reason_error_string(ERR_peek_error()));
			conn_close(c);
			return -1;
		}
	}
}

static void
conn_process(struct relay_conn *c)
{
	switch (c->state) {
	case CS_HTTP:
		http_in(c);
		break;
	case CS_UPGRADE:
		upgrade_in(c);
		break;
	case CS_WS:
		frames_in(c);
		break;
	default:
		break;
	}
}

static void
conn_readable(int fd, short event, void *arg)
{
	struct relay_conn	*c = arg;

	if (c->state == CS_TLS) {
		handshake_step(c);
		if (c->state == CS_TLS || c->state == CS_FREE)
			return;
	}
	if (c->state == CS_CLOSING) {
		c->inlen = 0;
		(void)conn_read(c);
		return;
	}
	do {
		if (conn_read(c) == -1)
			break;
		conn_process(c);
	} while (c->state != CS_FREE && SSL_pending(c->ssl) > 0 &&
	    c->inlen < c->incap);
	/* the datagrams it brought, to crypto in one wake-up */
	net_wire_flush();
	if (c->state == CS_FREE)
		return;
	if (c->state != CS_FREE && c->state == CS_HTTP &&
	    c->inlen == c->incap)
		http_in(c);
}

static void
conn_writable(int fd, short event, void *arg)
{
	struct relay_conn	*c = arg;

	c->wev_on = 0;
	if (c->state == CS_TLS) {
		handshake_step(c);
		if (c->state == CS_TLS || c->state == CS_FREE)
			return;
	}
	conn_flush(c);
	/* what TLS had buffered while we waited to write */
	if (c->state != CS_FREE && SSL_pending(c->ssl) > 0)
		conn_readable(fd, EV_READ, c);
}

/* no more descriptors: stop listening until relay_tick() */
static void
accept_pause(void)
{
	int	i;

	for (i = 0; i < nlev; i++)
		event_del(&lev[i]);
	accept_paused = 1;
}

/*
 * A member's TCP connection on a listening socket the parent opened:
 * accept4(2) is the only call on it net makes (common/sandbox.c)
 */
static void
relay_accept(int lfd, short event, void *arg)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	struct relay_conn	*c;
	int			 fd;

	if ((fd = accept4(lfd, (struct sockaddr *)&ss, &len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
		if (errno == EMFILE || errno == ENFILE) {
			/*
			 * The connection stays queued and the socket
			 * readable: listening on would spin.  Paused until
			 * the next tick, counted as a relay full.
			 */
			log_warn("relay: accept4 (paused for %d s)",
			    RELAY_TICK);
			accept_pause();
			st.drop_full++;
		} else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("relay: accept4");
		return;
	}
	log_debug("relay: a connection came (cert %d)", have_cert);
	if (!have_cert || (c = conn_new(fd, 1, &ss, len)) == NULL) {
		st.drop_full++;
		close(fd);
		return;
	}
	handshake_step(c);
}

void
relay_listen_fd(struct imsg *imsg)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);
	int			fd;

	if ((fd = imsg_get_fd(imsg)) == -1)
		fatalx("RELAY_LISTEN without a socket");
	if (nlev == RELAY_LISTEN_FDS)
		fatalx("RELAY_LISTEN: too many");
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		fatal("getsockname");
	serve_port = ntohs(ss.ss_family == AF_INET ?
	    ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
	event_set(&lev[nlev], fd, EV_READ | EV_PERSIST, relay_accept, NULL);
	event_add(&lev[nlev], NULL);
	nlev++;
	serving = 1;
	/* the coordinators learn our relay address */
	coord_reregister();
}

/* --- a member's side: which relay, and when -------------------------- */

size_t
relay_candidates(struct coord_cand *c, size_t max,
    const struct mesh_net_addrs *a)
{
	size_t	i, n = 0;

	if (!serving)
		return 0;
	for (i = 0; i < a->naddrs && n < max; i++) {
		if (!net_has_family(a->addrs[i].af == 4 ? AF_INET :
		    AF_INET6))
			continue;
		memset(&c[n], 0, sizeof(c[n]));
		c[n].af = a->addrs[i].af;
		c[n].kind = COORD_CAND_RELAY;
		c[n].port = serve_port;
		memcpy(c[n].addr, a->addrs[i].addr, 16);
		n++;
	}
	return n;
}

/* a relay's TCP address from its candidate, into ss (zeroed): its length */
static socklen_t
relay_cand_addr(const struct coord_cand *c, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	if (c->af == 4) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(c->port);
		memcpy(&sin->sin_addr, c->addr, 4);
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(c->port);
	memcpy(&sin6->sin6_addr, c->addr, 16);
	return sizeof(*sin6);
}

/*
 * Our home relay as a candidate of our record (COORD_CAND_HOME, its TCP
 * address as we dial it): 1, or 0 while we have none (a relay member
 * never has one: it is reached on its own relay)
 */
int
relay_home_cand(struct coord_cand *c)
{
	struct relay_known		*k;
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	if (serving || relay_home() == NULL ||
	    (k = known_by_id(home_id)) == NULL)
		return 0;
	memset(c, 0, sizeof(*c));
	c->kind = COORD_CAND_HOME;
	if (k->addr.ss_family == AF_INET) {
		sin = (const struct sockaddr_in *)&k->addr;
		c->af = 4;
		c->port = ntohs(sin->sin_port);
		memcpy(c->addr, &sin->sin_addr, 4);
	} else {
		sin6 = (const struct sockaddr_in6 *)&k->addr;
		c->af = 6;
		c->port = ntohs(sin6->sin6_port);
		memcpy(c->addr, &sin6->sin6_addr, 16);
	}
	return 1;
}

/* the first relay candidate of a family we have a socket of, or NULL */
static const struct coord_cand *
relay_cand(const struct coord_cand *c, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (c[i].kind == COORD_CAND_RELAY && c[i].port != 0 &&
		    ((c[i].af == 4 && net_has_family(AF_INET)) ||
		    (c[i].af == 6 && net_has_family(AF_INET6))))
			return &c[i];
	return NULL;
}

void
relay_record(uint32_t id, const uint8_t key[32], const struct coord_cand *c,
    size_t n)
{
	struct relay_known	*k = NULL;
	const struct coord_cand	*rc;
	size_t			 i;
	int			 new = 0;

	if (memcmp(key, ourkey, 32) == 0)
		return;		/* we are the relay */
	for (i = 0; i < nknown; i++)
		if (known[i].id == id)
			k = &known[i];
	/* the config's address for a coordinator's relay wins */
	if (k != NULL && k->configured)
		return;
	if ((rc = relay_cand(c, n)) == NULL) {
		relay_forget(id);
		return;
	}
	if (k == NULL) {
		if (nknown == RELAY_KEYS)
			return;
		k = &known[nknown++];
		memset(k, 0, sizeof(*k));
		k->conn = -1;
		log_info("relay: learned of relay peer %u", id);
		new = 1;
	}
	k->id = id;
	memcpy(k->key, key, 32);
	memset(&k->addr, 0, sizeof(k->addr));
	k->addrlen = relay_cand_addr(rc, &k->addr);
	/* a new relay: connect now, not at the next tick */
	if (new)
		relay_dial(k);
}

void
relay_forget(uint32_t id)
{
	size_t	i;

	for (i = 0; i < nknown; i++) {
		if (known[i].id != id || known[i].configured)
			continue;
		if (known[i].conn != -1)
			conn_close(&conns[known[i].conn]);
		known[i] = known[--nknown];
		return;
	}
}

/* ask the parent for a TCP connection to relay k */
static void
relay_dial(struct relay_known *k)
{
	struct mesh_relay_connect	rc;
	uint64_t			now = mesh_monotonic_ns();

	if (k->conn != -1 || now < k->next_try ||
	    memcmp(k->key, ourkey, 32) == 0)
		return;
	k->backoff = k->backoff == 0 ? 1 : k->backoff * 2;
	if (k->backoff > 60)
		k->backoff = 60;
	k->next_try = now + k->backoff * 1000000000ULL;
	k->dial_at = now;
	memset(&rc, 0, sizeof(rc));
	memcpy(rc.addr, &k->addr, k->addrlen);
	rc.addrlen = k->addrlen;
	rc.slot = k->id;
	log_debug("relay: connecting to relay peer %u", k->id);
	child_compose(PROC_PARENT, IMSG_RELAY_CONNECT, 0, -1, &rc,
	    sizeof(rc));
}

/* RELAY_CONNECT: the connection the parent opened, connecting */
void
relay_connected(struct imsg *imsg)
{
	struct mesh_relay_connect	 rc;
	struct sockaddr_storage		 ss;
	struct relay_conn		*c;
	size_t				 i;
	int				 fd;

	if (imsg_get_data(imsg, &rc, sizeof(rc)) == -1 ||
	    rc.addrlen > sizeof(rc.addr))
		fatalx("RELAY_CONNECT: bad message");
	if ((fd = imsg_get_fd(imsg)) == -1)
		fatalx("RELAY_CONNECT without a socket");
	for (i = 0; i < nknown && known[i].id != rc.slot; i++)
		;
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, rc.addr, rc.addrlen);
	if (i == nknown || known[i].conn != -1 ||
	    (c = conn_new(fd, 0, &ss, rc.addrlen)) == NULL) {
		close(fd);
		return;
	}
	log_debug("relay: a connection to relay peer %u", rc.slot);
	memcpy(c->key, known[i].key, 32);
	c->relay_id = known[i].id;
	known[i].conn = conn_index(c);
	/* the first flight waits for the connection: EV_WRITE */
	handshake_step(c);
}

/* the relay np's record names as its home (COORD_CAND_HOME), if known */
static struct relay_known *
peer_home(const struct net_peer *np)
{
	const struct coord_cand	*c;
	struct sockaddr_storage	 ss;
	uint8_t			 key[32];
	size_t			 n, i, j;

	if ((c = coord_member_by_id(np->id, key, &n)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (c[i].kind != COORD_CAND_HOME)
			continue;
		for (j = 0; j < nknown; j++) {
			memset(&ss, 0, sizeof(ss));
			if (relay_cand_addr(&c[i], &ss) == known[j].addrlen &&
			    memcmp(&ss, &known[j].addr, known[j].addrlen) == 0)
				return &known[j];
		}
	}
	return NULL;
}

/*
 * The connection to send to np through: np's own relay when np is a
 * relay (it takes what is addressed to itself, one hop, whoever else it
 * serves), else np's home relay; either is dialled when it is not up,
 * and meanwhile our home is tried (np may be there too: it was its home
 * before, or it reached us there)
 */
static struct relay_conn *
relay_for(const struct net_peer *np)
{
	struct relay_known	*k;
	struct relay_conn	*c;

	if ((k = known_by_id(np->id)) == NULL)
		k = peer_home(np);
	if (k != NULL) {
		if ((c = known_up(k)) != NULL)
			return c;
		relay_dial(k);
	}
	return relay_home();
}

/*
 * Peers on a relay path whose connection closed, or that is not the one
 * relay_for() chooses: onto that one (roaming, as any path change; the
 * far end follows the source of what we send), or back to their direct
 * endpoint when no relay is up (ladder.c)
 */
static void
relay_rehome(void)
{
	struct net_peer		 *np, **move;
	struct relay_conn	 *best;
	struct mesh_endpoint	  ep;
	size_t			  n = 0, i;
	int			  slot;

	for (np = net_peer_first(); np != NULL; np = net_peer_next(np))
		n++;
	if (n == 0 || (move = calloc(n, sizeof(*move))) == NULL)
		return;
	/* first which: moving one may reuse another's old slot */
	n = 0;
	for (np = net_peer_first(); np != NULL; np = net_peer_next(np)) {
		slot = np->ep.sock - MESH_EP_RELAY;
		if (np->ep.sock < MESH_EP_RELAY || slot >= RELAY_VSLOTS)
			continue;
		best = relay_for(np);
		if (!vslots[slot].used || (best != NULL &&
		    !conns[vslots[slot].conn].server &&
		    vslots[slot].conn != conn_index(best)))
			move[n++] = np;
	}
	for (i = 0; i < n; i++) {
		np = move[i];
		if ((best = relay_for(np)) != NULL && relay_path(np, &ep)) {
			log_info("peer %s: through relay peer %u now",
			    np->name, best->relay_id);
			np->ep = ep;
		} else
			ladder_relay_gone(np);
	}
	free(move);
}

int
relay_path(struct net_peer *np, struct mesh_endpoint *ep)
{
	struct relay_conn	*c;
	const uint8_t		*ck;
	uint8_t			 key[32];
	size_t			 n;
	int			 slot;

	if ((c = relay_for(np)) == NULL)
		return 0;
	/* a member in the directory, or a coordinator not reached yet */
	if (coord_member_by_id(np->id, key, &n) == NULL) {
		if ((ck = relay_coord_key(np->id)) == NULL)
			return 0;
		memcpy(key, ck, 32);
	}
	/* the relay itself: its own key is the destination */
	if ((slot = vslot_get(c, key)) == -1)
		return 0;
	vslot_ep(c, slot, ep);
	return 1;
}

const char *
relay_ep_name(const struct mesh_endpoint *ep)
{
	struct net_peer	*np;
	int		 slot = ep->sock - MESH_EP_RELAY;

	if (ep->sock < MESH_EP_RELAY || slot >= RELAY_VSLOTS ||
	    !vslots[slot].used)
		return NULL;
	if (conns[vslots[slot].conn].server)
		return "(this node)";
	if ((np = net_peer_find(conns[vslots[slot].conn].relay_id)) == NULL)
		return "?";
	return np->name;
}

/*
 * What meshctl show status prints: the relay keeps its own counts (the
 * debug log has them too) and they are copied over when asked for.
 */
void
relay_stats_fill(struct mesh_peer_stats *ps)
{
	uint64_t	open = 0;
	size_t		i;

	for (i = 0; conns != NULL && i < RELAY_MAXCONN; i++)
		if (conns[i].server && conns[i].state == CS_WS)
			open++;
	ps->mesh[MESH_CTR_RELAY_FORWARDED] = st.forwarded;
	ps->mesh[MESH_CTR_RELAY_UNKNOWN] = st.drop_unknown;
	ps->mesh[MESH_CTR_RELAY_SLOW] = st.drop_slow;
	ps->mesh[MESH_CTR_RELAY_MALFORMED] = st.drop_malformed;
	ps->mesh[MESH_CTR_RELAY_FULL] = st.drop_full;
	ps->mesh[MESH_CTR_RELAY_ADMITTED] = st.members;
	ps->mesh[MESH_CTR_RELAY_REFUSED] = st.refused;
	ps->mesh[MESH_CTR_RELAY_WEB] = st.web;
	ps->mesh[MESH_CTR_RELAY_OPEN] = open;
}

/* keepalive, dead connections, slow heads, and dialling the relay */
static void
relay_tick(int fd, short event, void *arg)
{
	struct timeval	 tv = { RELAY_TICK, 0 };
	uint64_t	 now = mesh_monotonic_ns(), idle;
	size_t		 i;

	if (accept_paused) {
		for (i = 0; i < (size_t)nlev; i++)
			event_add(&lev[i], NULL);
		accept_paused = 0;
	}
	for (i = 0; i < RELAY_MAXCONN; i++) {
		struct relay_conn *c = &conns[i];

		if (c->state == CS_FREE)
			continue;
		idle = (now - c->last_rx) / 1000000000ULL;
		if (c->state != CS_WS) {
			if ((now - c->started) / 1000000000ULL >=
			    WEB_HEADER_TIMEOUT)
				conn_close(c);
			continue;
		}
		if (idle >= RELAY_DEAD)
			conn_close(c);
		else if (!c->server && c->relay_id != home_id &&
		    now - c->last_data >= spare_idle * 1000000000ULL) {
			log_info("relay: our connection to relay peer %u "
			    "carried nothing for %u s and is not our home: "
			    "closed", c->relay_id, spare_idle);
			conn_close(c);
		} else if (idle >= RELAY_PING)
			(void)conn_frame(c, WS_OP_PING, NULL, 0, NULL, 0);
	}
	/*
	 * No home: a race to every relay known (home_lost() says why).  A
	 * relay whose set-up we never measured (rtt 0: its first dial
	 * failed) is dialled again, within its backoff, until it is: it
	 * may be the nearest, and a spare closes again once measured.
	 */
	if (relay_home() == NULL && !serving)
		home_lost();
	else if (!serving)
		for (i = 0; i < nknown; i++)
			if (known[i].rtt == 0)
				relay_dial(&known[i]);
	if (st.drop_unknown + st.drop_slow > 0)
		log_debug("relay: %llu forwarded, %llu dropped (unknown "
		    "destination), %llu (slow reader)",
		    (unsigned long long)st.forwarded,
		    (unsigned long long)st.drop_unknown,
		    (unsigned long long)st.drop_slow);
	evtimer_add(&tick_ev, &tv);
}
