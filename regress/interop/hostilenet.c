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
 * hostilenet: meshd-crypto's admission with a compromised meshd-net on
 * its pipe.  It execs the installed meshd-crypto as meshd does (fd 3 its
 * pipe to the parent; it chroots and drops to _meshd, so this runs as
 * root), plays the parent (sibling pipes, the key check, a config with
 * a mesh block, a coordinator and a static peer) and plays net: every
 * kind of bad certificate, checks from peers that may not send them, a
 * forged revocation list, a coordination message for a static peer, an
 * unknown initiator that never presents a certificate, more unknown
 * initiators than a coordinator hears out at once (the oldest goes).
 * Nothing may be admitted (no MEMBER to tun or the parent, every
 * CERT_RESULT id 0, the reason's counter up, logged once), and the valid
 * certificates are (so that the test can fail).  Malformed messages must
 * make the child exit rather than be taken: each in a child of its own.
 *
 *	hostilenet [-q] PATH-TO-MESHD-CRYPTO
 *
 * TAP on stdout.  -q: no provisional timeout (saves 11 s).
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cert.h"
#include "imsg.h"
#include "meshd.h"
#include "noise.h"
#include "proc.h"
#include "wgkey.h"
#include "wgproto.h"

#define WAIT_MS		5000
#define LOG_MAX		4096	/* lines kept of a child's log */
#define ID_COORD	1
#define ID_STATIC	2
#define PROV_MAX	256	/* admit.c's MESH_PROV_MAX */

struct kid {
	pid_t		 pid;
	int		 status;
	int		 dead;
	struct imsgbuf	 ib[PROC_MAX];	/* our ends: parent, net, tun */
	int		 open[PROC_MAX];
	/* what came */
	int		 ready, keyok, stats_end;
	uint8_t		 pub[32];
	unsigned int	 members[PROC_MAX];
	struct mesh_member_msg last_member;
	unsigned int	 results;
	struct mesh_cert_result res;
	unsigned int	 hs_sends;
	uint32_t	 hs_peer;
	struct hs_msg	 hs;
	unsigned int	 gones;
	struct mesh_gone_msg gone;
	unsigned int	 session_ups;
	struct mesh_peer_stats global;
	char		*log[LOG_MAX];
	size_t		 nlog;
};

static int	 tn, tfailed;
static const char *crypto_path;

/* the test's keys and certificates */
static EVP_PKEY	*ca, *other_ca;
static uint8_t	 ca_pub[32];
static uint8_t	 my_priv[32], my_pub[32];
static uint8_t	 coord_pub[32], static_pub[32];
static uint8_t	 my_cert[CERT_MAX];
static size_t	 my_certlen;

static void
diag(const char *fmt, ...)
{
	va_list	ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static int
ok(int cond, const char *fmt, ...)
{
	va_list	ap;

	tn++;
	if (!cond)
		tfailed++;
	printf("%sok %d - ", cond ? "" : "not ", tn);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return cond;
}

static __attribute__((__noreturn__)) void
bail(const char *fmt, ...)
{
	va_list	ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

static uint64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t
mono_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* --- certificates ---------------------------------------------------- */

static EVP_PKEY *
ed25519_new(uint8_t pub[32])
{
	EVP_PKEY	*k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	size_t		 len = 32;

	if (k == NULL || (pub != NULL &&
	    EVP_PKEY_get_raw_public_key(k, pub, &len) != 1))
		bail("cannot make an Ed25519 key");
	return k;
}

/* body of len bytes in buf, 64 more fit: the whole length */
static size_t
sign(EVP_PKEY *k, uint8_t *buf, size_t len)
{
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();
	size_t		 siglen = CERT_SIG_LEN;

	if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) != 1 ||
	    EVP_DigestSign(ctx, buf + len, &siglen, buf, len) != 1)
		bail("cannot sign");
	EVP_MD_CTX_free(ctx);
	return len + siglen;
}

/*
 * A certificate signed by k: mesh, name, key, addresses ("a,b"), valid
 * from nb to na (0 0: an hour ago to a day on).
 */
static size_t
mkcert(EVP_PKEY *k, const char *mesh, const char *name, const uint8_t *pub,
    const char *addrs, int64_t nb, int64_t na, uint8_t *out)
{
	struct mesh_cert	 c;
	char			 list[256], *s, *p = list;
	const char		*why;
	ssize_t			 len;

	memset(&c, 0, sizeof(c));
	c.not_before = nb != 0 ? nb : time(NULL) - 3600;
	c.not_after = na != 0 ? na : time(NULL) + 86400;
	memcpy(c.pubkey, pub, 32);
	strlcpy(c.mesh, mesh, sizeof(c.mesh));
	strlcpy(c.name, name, sizeof(c.name));
	strlcpy(list, addrs, sizeof(list));
	/* "r:" before a prefix: a route, not an address */
	while ((s = strsep(&p, ",")) != NULL)
		if (strncmp(s, "r:", 2) == 0) {
			if (mesh_prefix_pton(s + 2,
			    &c.routes[c.nroutes++]) == -1)
				bail("%s: not a prefix", s);
		} else if (mesh_prefix_pton(s, &c.addrs[c.naddrs++]) == -1)
			bail("%s: not a prefix", s);
	if ((len = cert_encode_body(&c, out, CERT_MAX - CERT_SIG_LEN,
	    &why)) == -1)
		bail("certificate %s: %s", name, why);
	return sign(k, out, len);
}

static int
fp_cmp(const void *a, const void *b)
{
	return memcmp(a, b, CERT_FP_LEN);
}

/* a revocation list by k of the n certificates (bufs[i], lens[i]) */
static size_t
mkcrl(EVP_PKEY *k, const char *mesh, uint64_t serial, uint8_t **bufs,
    size_t *lens, size_t n, uint8_t *out)
{
	struct mesh_crl	 l;
	uint8_t		 fps[4][CERT_FP_LEN];
	const char	*why;
	ssize_t		 len;
	size_t		 i;

	for (i = 0; i < n; i++)
		cert_fingerprint(bufs[i], lens[i], fps[i]);
	qsort(fps, n, CERT_FP_LEN, fp_cmp);
	memset(&l, 0, sizeof(l));
	l.serial = serial;
	l.issued = time(NULL);
	strlcpy(l.mesh, mesh, sizeof(l.mesh));
	l.count = n;
	l.fps = &fps[0][0];
	if ((len = crl_encode_body(&l, out, 4096, &why)) == -1)
		bail("list: %s", why);
	return sign(k, out, len);
}

static void
newkey(uint8_t priv[32], uint8_t pub[32])
{
	uint8_t	tmp[32];

	if (priv == NULL)
		priv = tmp;
	if (wg_key_generate_private(priv) == -1 || wg_key_public(pub,
	    priv) == -1)
		bail("cannot make an X25519 key");
}

/* --- the child ------------------------------------------------------- */

static void
compose(struct kid *k, enum meshd_role to, uint32_t type, uint32_t id,
    int fd, const void *data, size_t len)
{
	if (imsg_compose(&k->ib[to], type, id, 0, fd, data, len) == -1 ||
	    imsgbuf_flush(&k->ib[to]) == -1) {
		/* a child that died of an earlier message: seen later */
		if (errno != EPIPE && errno != ECONNRESET)
			bail("imsg to %s: %s", meshd_role_names[to],
			    strerror(errno));
	}
}

static void
got_parent(struct kid *k, struct imsg *imsg)
{
	struct ibuf		 ib;
	struct mesh_peer_stats	 st;
	char			 line[1024];
	int			 pri;
	size_t			 len;

	switch (imsg_get_type(imsg)) {
	case IMSG_CHILD_READY:
		k->ready = 1;
		break;
	case IMSG_KEYCHECK_OK:
		if (imsg_get_data(imsg, k->pub, sizeof(k->pub)) == -1)
			bail("KEYCHECK_OK: bad length");
		k->keyok = 1;
		break;
	case IMSG_KEY_ERROR:
		bail("meshd-crypto refused the key");
	case IMSG_LOG:
		if (imsg_get_ibuf(imsg, &ib) == -1 ||
		    ibuf_get(&ib, &pri, sizeof(pri)) == -1 ||
		    (len = ibuf_size(&ib)) == 0 || len > sizeof(line) ||
		    ibuf_get(&ib, line, len) == -1)
			bail("LOG: bad message");
		line[len - 1] = '\0';
		if (k->nlog < LOG_MAX &&
		    (k->log[k->nlog] = strdup(line)) != NULL)
			k->nlog++;
		break;
	case IMSG_MEMBER:
		k->members[PROC_PARENT]++;
		break;
	case IMSG_PEER_STATS:
		if (imsg_get_data(imsg, &st, sizeof(st)) == -1)
			bail("PEER_STATS: bad length");
		if (st.id == 0)
			k->global = st;
		break;
	case IMSG_STATS_END:
		k->stats_end = 1;
		break;
	default:
		break;		/* MESH_STATE, PEER_GONE, ... */
	}
}

static void
got_net(struct kid *k, struct imsg *imsg)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_CERT_RESULT:
		if (imsg_get_data(imsg, &k->res, sizeof(k->res)) == -1)
			bail("CERT_RESULT: bad length");
		k->results++;
		break;
	case IMSG_MEMBER:
		if (imsg_get_data(imsg, &k->last_member,
		    sizeof(k->last_member)) == -1)
			bail("MEMBER: bad length");
		k->members[PROC_NET]++;
		break;
	case IMSG_HS_SEND:
		if (imsg_get_data(imsg, &k->hs, sizeof(k->hs)) == -1)
			bail("HS_SEND: bad length");
		k->hs_peer = imsg_get_id(imsg);
		k->hs_sends++;
		break;
	case IMSG_PEER_GONE:
		if (imsg_get_data(imsg, &k->gone, sizeof(k->gone)) == -1)
			bail("PEER_GONE: bad length");
		k->gones++;
		break;
	case IMSG_SESSION_UP:
		k->session_ups++;
		break;
	default:
		break;
	}
}

/* read what the child sent until cond holds, it dies, or ms pass */
static int
pump(struct kid *k, int ms, int (*cond)(struct kid *, const void *),
    const void *arg)
{
	struct pollfd	 pfd[PROC_MAX];
	struct imsg	 imsg;
	enum meshd_role	 r;
	uint64_t	 end = mono_ms() + ms;
	int		 n, left;

	for (;;) {
		if (cond != NULL && cond(k, arg))
			return 1;
		left = (int)(end - mono_ms());
		if (left <= 0 || !k->open[PROC_PARENT])
			return cond == NULL;
		for (r = 0; r < PROC_MAX; r++) {
			pfd[r].fd = k->open[r] ? k->ib[r].fd : -1;
			pfd[r].events = POLLIN;
			pfd[r].revents = 0;
		}
		if ((n = poll(pfd, PROC_MAX, left)) == -1 && errno != EINTR)
			bail("poll: %s", strerror(errno));
		for (r = 0; r < PROC_MAX && n > 0; r++) {
			if (pfd[r].revents == 0)
				continue;
			if (imsgbuf_read(&k->ib[r]) != 1) {
				k->open[r] = 0;
				continue;
			}
			while (imsgbuf_get(&k->ib[r], &imsg) == 1) {
				if (r == PROC_PARENT)
					got_parent(k, &imsg);
				else if (r == PROC_NET)
					got_net(k, &imsg);
				else if (imsg_get_type(&imsg) == IMSG_MEMBER)
					k->members[PROC_TUN]++;
				imsg_free(&imsg);
			}
		}
	}
}

static int
is_ready(struct kid *k, const void *arg)
{
	return k->ready;
}

static int
is_keyok(struct kid *k, const void *arg)
{
	return k->keyok;
}

static int
has_results(struct kid *k, const void *arg)
{
	return k->results >= *(const unsigned int *)arg;
}

static int
has_hs(struct kid *k, const void *arg)
{
	return k->hs_sends >= *(const unsigned int *)arg;
}

static int
has_gones(struct kid *k, const void *arg)
{
	return k->gones >= *(const unsigned int *)arg;
}

static int
has_stats(struct kid *k, const void *arg)
{
	return k->stats_end;
}

/* the child's pipe to us closed and it exited: 1 */
static int
reap(struct kid *k, int ms)
{
	uint64_t	end = mono_ms() + ms;
	pid_t		p;

	while (!k->dead) {
		if ((p = waitpid(k->pid, &k->status, WNOHANG)) == k->pid)
			k->dead = 1;
		else if (p == -1)
			bail("waitpid: %s", strerror(errno));
		else if (mono_ms() > end)
			return 0;
		else
			(void)pump(k, 50, NULL, NULL);
	}
	return 1;
}

static void
spawn(struct kid *k)
{
	char		*argv[6], path[1024], v[] = "-v", u[] = "-u";
	char		 user[] = MESHD_USER;
	int		 sp[2], pair[2];
	enum meshd_role	 r, roles[2] = { PROC_NET, PROC_TUN };
	int		 i;

	memset(k, 0, sizeof(*k));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		bail("socketpair: %s", strerror(errno));
	strlcpy(path, crypto_path, sizeof(path));
	argv[0] = path;
	argv[1] = v;
	argv[2] = u;
	argv[3] = user;
	argv[4] = NULL;
	fflush(stdout);
	switch (k->pid = fork()) {
	case -1:
		bail("fork: %s", strerror(errno));
	case 0:
		if (dup2(sp[1], PARENT_SOCK_FILENO) == -1)
			_exit(127);
		closefrom(PARENT_SOCK_FILENO + 1);
		execv(path, argv);
		_exit(127);
	}
	close(sp[1]);
	if (imsgbuf_init(&k->ib[PROC_PARENT], sp[0]) == -1 ||
	    imsgbuf_set_maxsize(&k->ib[PROC_PARENT], MESH_MAX_IMSG) == -1)
		bail("imsgbuf_init");
	k->open[PROC_PARENT] = 1;
	if (!pump(k, WAIT_MS, is_ready, NULL))
		bail("meshd-crypto did not say it is ready");
	/* its pipes to net and tun: we hold the other ends */
	for (i = 0; i < 2; i++) {
		r = roles[i];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
		    pair) == -1)
			bail("socketpair: %s", strerror(errno));
		compose(k, PROC_PARENT, IMSG_SOCKET_CONN, 0, pair[1], &r,
		    sizeof(r));
		if (imsgbuf_init(&k->ib[r], pair[0]) == -1 ||
		    imsgbuf_set_maxsize(&k->ib[r], MESH_MAX_IMSG) == -1)
			bail("imsgbuf_init");
		k->open[r] = 1;
	}
}

/* the key check and a config, as meshd-parent's reload.c sends them */
static void
configure(struct kid *k)
{
	struct mesh_iface_msg	 im;
	struct mesh_conf_msg	 cm;
	struct mesh_peer_msg	 pm;
	struct mesh_prefix	 aip;
	char			 b64[WG_KEY_B64_LEN + 2];
	int			 kp[2];

	if (pipe(kp) == -1)
		bail("pipe: %s", strerror(errno));
	wg_key_to_base64(b64, my_priv);
	strlcat(b64, "\n", sizeof(b64));
	if (write(kp[1], b64, strlen(b64)) != (ssize_t)strlen(b64))
		bail("write: %s", strerror(errno));
	close(kp[1]);
	explicit_bzero(b64, sizeof(b64));
	compose(k, PROC_PARENT, IMSG_KEY_FD, 0, kp[0], NULL, 0);
	compose(k, PROC_PARENT, IMSG_KEYCHECK_END, 0, -1, NULL, 0);
	if (!pump(k, WAIT_MS, is_keyok, NULL))
		bail("no KEYCHECK_OK");
	if (memcmp(k->pub, my_pub, 32) != 0)
		bail("KEYCHECK_OK: another public key");

	compose(k, PROC_PARENT, IMSG_RECONF_START, 0, -1, NULL, 0);
	memset(&im, 0, sizeof(im));
	strlcpy(im.name, "msh0", sizeof(im.name));
	im.mtu = 1400;
	im.listen_port = 51820;
	im.naddrs = 1;
	(void)mesh_prefix_pton("100.64.0.1/32", &im.addrs[0]);
	compose(k, PROC_PARENT, IMSG_RECONF_IFACE, 0, -1, &im, sizeof(im));
	memset(&cm, 0, sizeof(cm));
	strlcpy(cm.name, "corp", sizeof(cm.name));
	memcpy(cm.ca, ca_pub, sizeof(cm.ca));
	cm.serve = 1;
	cm.certlen = my_certlen;
	compose(k, PROC_PARENT, IMSG_RECONF_MESH, 0, -1, &cm, sizeof(cm));
	compose(k, PROC_PARENT, IMSG_RECONF_MESH_CERT, 0, -1, my_cert,
	    my_certlen);
	memset(&pm, 0, sizeof(pm));
	pm.id = ID_COORD;
	strlcpy(pm.name, "coord1", sizeof(pm.name));
	memcpy(pm.pubkey, coord_pub, 32);
	pm.flags = MESH_PEER_F_COORDINATOR;
	compose(k, PROC_PARENT, IMSG_RECONF_PEER, 0, -1, &pm, sizeof(pm));
	memset(&pm, 0, sizeof(pm));
	pm.id = ID_STATIC;
	strlcpy(pm.name, "static1", sizeof(pm.name));
	memcpy(pm.pubkey, static_pub, 32);
	pm.naips = 1;
	compose(k, PROC_PARENT, IMSG_RECONF_PEER, 0, -1, &pm, sizeof(pm));
	(void)mesh_prefix_pton("10.99.0.0/24", &aip);
	compose(k, PROC_PARENT, IMSG_RECONF_PEER_AIPS, ID_STATIC, -1, &aip,
	    sizeof(aip));
	compose(k, PROC_PARENT, IMSG_RECONF_END, 0, -1, NULL, 0);
}

static void
kid_end(struct kid *k)
{
	enum meshd_role	r;
	size_t		i;

	for (r = 0; r < PROC_MAX; r++)
		if (k->open[r] || k->ib[r].fd > 0) {
			close(k->ib[r].fd);
			imsgbuf_clear(&k->ib[r]);
			k->open[r] = 0;
		}
	if (!k->dead && !reap(k, 2000)) {
		kill(k->pid, SIGKILL);
		(void)waitpid(k->pid, &k->status, 0);
	}
	for (i = 0; i < k->nlog; i++)
		free(k->log[i]);
	k->nlog = 0;
}

static size_t
log_count(struct kid *k, const char *s)
{
	size_t	i, n = 0;

	for (i = 0; i < k->nlog; i++)
		if (strstr(k->log[i], s) != NULL)
			n++;
	return n;
}

/* --- net's side ------------------------------------------------------ */

/* the routes the next CERT_CHECKs announce: all, as without announce */
static int		 ann_all = 1;
static size_t		 nann;
static struct mesh_prefix ann[MESH_CERT_ROUTES];

static void
announce(const char *s)
{
	ann_all = s == NULL;
	nann = 0;
	if (s != NULL && mesh_prefix_pton(s, &ann[nann++]) == -1)
		bail("%s: not a prefix", s);
}

/* a CERT_CHECK; its result, or bail */
static struct mesh_cert_result *
check(struct kid *k, uint32_t via, uint8_t own, const uint8_t *cert,
    size_t len, size_t lenfield)
{
	struct mesh_cert_check	ck;
	unsigned int		want = k->results + 1;

	memset(&ck, 0, sizeof(ck));
	ck.via = via;
	ck.own = own;
	ck.len = lenfield;
	memcpy(ck.cert, cert, len);
	ck.ann_all = ann_all;
	ck.nann = nann;
	memcpy(ck.ann, ann, sizeof(ck.ann));
	compose(k, PROC_NET, IMSG_CERT_CHECK, via, -1, &ck, sizeof(ck));
	if (!pump(k, WAIT_MS, has_results, &want))
		return NULL;
	return &k->res;
}

/* a refusal: result id 0 with that reason, no MEMBER anywhere */
static void
refused(struct kid *k, const char *what, uint32_t via, uint8_t own,
    const uint8_t *cert, size_t len, size_t lenfield, enum mesh_ctr why)
{
	struct mesh_cert_result	*r;
	unsigned int		 tun = k->members[PROC_TUN];
	unsigned int		 par = k->members[PROC_PARENT];

	r = check(k, via, own, cert, len, lenfield);
	if (r == NULL) {
		ok(0, "%s: refused (no CERT_RESULT; child %s)", what,
		    k->open[PROC_PARENT] ? "alive" : "gone");
		return;
	}
	if (!ok(r->id == 0 && r->reason == why, "%s: refused, reason %u",
	    what, why))
		diag("got id %u reason %u", r->id, r->reason);
	/* a MEMBER would come before the result: on the same pass */
	(void)pump(k, 20, NULL, NULL);
	ok(k->members[PROC_TUN] == tun && k->members[PROC_PARENT] == par,
	    "%s: no MEMBER to tun or the parent", what);
}

/* an initiation from priv to crypto: its provisional peer's id, or 0 */
static uint32_t
initiate(struct kid *k, const uint8_t priv[32])
{
	struct noise_local	*l;
	struct noise_peer	*p;
	struct hs_msg		 hm;
	struct sockaddr_in	 sin;
	unsigned int		 want = k->hs_sends + 1;

	if ((l = noise_local_new()) == NULL ||
	    noise_local_set_private(l, priv) != 0 ||
	    (p = noise_peer_new(l, my_pub, NULL)) == NULL)
		bail("noise setup");
	memset(&hm, 0, sizeof(hm));
	if (noise_create_initiation(p, mono_ns(), hm.msg) != 0)
		bail("noise_create_initiation");
	hm.len = WG_INIT_LEN;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(51820);
	sin.sin_addr.s_addr = htonl(0xc6123c07);	/* 198.18.60.7 */
	memcpy(hm.ep.addr, &sin, sizeof(sin));
	hm.ep.addrlen = sizeof(sin);
	compose(k, PROC_NET, IMSG_HS_RECV, 0, -1, &hm, sizeof(hm));
	noise_local_free(l);
	if (!pump(k, WAIT_MS, has_hs, &want) ||
	    wg_msg_type(k->hs.msg, k->hs.len) != WG_MSG_RESPONSE)
		return 0;
	return k->hs_peer;
}

/* --- the tests ------------------------------------------------------- */

static const char *const ctr_names[MESH_CTR_MAX] = {
	"cert_malformed", "cert_signature", "cert_expired", "cert_revoked",
	"cert_wrong_mesh", "cert_wrong_key", "cert_address", "cert_static",
	"cert_limit", "crl_bad", "coord_malformed", "coord_unexpected",
	"provisional_full", "provisional_timeout", "revoked", "expired",
};

static void
hostile(int quick)
{
	struct kid		 k;
	struct mesh_cert_result	*r;
	uint8_t			 good[CERT_MAX], buf[CERT_MAX], crl[4096];
	uint8_t			 rev[CERT_MAX], *bufs[1];
	uint8_t			 pkey[32], ppriv[32], qpriv[32], qpub[32];
	uint8_t			 wpub[32], gpub[32], rpub[32];
	uint64_t		 want[MESH_CTR_MAX];
	size_t			 glen, len, rlen, lens[1], i;
	unsigned int		 n, members_tun;
	uint32_t		 prov, gid;
	time_t			 now = time(NULL);

	memset(want, 0, sizeof(want));
	spawn(&k);
	configure(&k);
	n = 1;
	ok(pump(&k, WAIT_MS, has_hs, &n) && k.hs_peer == ID_COORD,
	    "set up: crypto initiates to its coordinator at once");

	newkey(NULL, gpub);
	newkey(NULL, wpub);
	newkey(NULL, rpub);
	glen = mkcert(ca, "corp", "good", gpub, "100.64.0.3/32", 0, 0, good);

	/* the layout */
	memset(buf, 0, sizeof(buf));
	refused(&k, "100 zero bytes", ID_COORD, 0, buf, 100, 100,
	    MESH_CTR_CERT_MALFORMED);
	want[MESH_CTR_CERT_MALFORMED]++;
	memcpy(buf, good, glen);
	refused(&k, "a valid certificate and 5 bytes more", ID_COORD, 0, buf,
	    glen + 5, glen + 5, MESH_CTR_CERT_MALFORMED);
	want[MESH_CTR_CERT_MALFORMED]++;
	refused(&k, "a valid certificate cut short", ID_COORD, 0, good,
	    glen - 1, glen - 1, MESH_CTR_CERT_MALFORMED);
	want[MESH_CTR_CERT_MALFORMED]++;

	/* the signature */
	len = mkcert(other_ca, "corp", "forged", wpub, "100.64.0.4/32", 0, 0,
	    buf);
	refused(&k, "forged (another admin key)", ID_COORD, 0, buf, len, len,
	    MESH_CTR_CERT_SIGNATURE);
	want[MESH_CTR_CERT_SIGNATURE]++;
	memcpy(buf, good, glen);
	buf[CERT_PUBKEY_OFF + 3] ^= 0x40;
	refused(&k, "altered (a bit of its key)", ID_COORD, 0, buf, glen, glen,
	    MESH_CTR_CERT_SIGNATURE);
	want[MESH_CTR_CERT_SIGNATURE]++;
	memcpy(buf, good, glen);
	buf[16 + 5] ^= 0x01;		/* not_after */
	refused(&k, "altered (its expiry)", ID_COORD, 0, buf, glen, glen,
	    MESH_CTR_CERT_SIGNATURE);
	want[MESH_CTR_CERT_SIGNATURE]++;
	memcpy(buf, good, glen);
	buf[glen - 1] ^= 0x80;
	refused(&k, "altered (its signature)", ID_COORD, 0, buf, glen, glen,
	    MESH_CTR_CERT_SIGNATURE);
	want[MESH_CTR_CERT_SIGNATURE]++;

	/* validity, mesh */
	len = mkcert(ca, "corp", "expired", wpub, "100.64.0.5/32",
	    now - 86400 * 10, now - 86400, buf);
	refused(&k, "expired", ID_COORD, 0, buf, len, len,
	    MESH_CTR_CERT_EXPIRED);
	want[MESH_CTR_CERT_EXPIRED]++;
	len = mkcert(ca, "corp", "future", wpub, "100.64.0.5/32",
	    now + 86400, now + 86400 * 10, buf);
	refused(&k, "not valid yet", ID_COORD, 0, buf, len, len,
	    MESH_CTR_CERT_EXPIRED);
	want[MESH_CTR_CERT_EXPIRED]++;
	len = mkcert(ca, "lab", "lab", wpub, "100.64.0.6/32", 0, 0, buf);
	refused(&k, "another mesh's, signed by our admin", ID_COORD, 0, buf,
	    len, len, MESH_CTR_CERT_WRONG_MESH);
	want[MESH_CTR_CERT_WRONG_MESH]++;

	/* keys and addresses that are taken */
	len = mkcert(ca, "corp", "me", my_pub, "100.64.0.7/32", 0, 0, buf);
	refused(&k, "our own key", ID_COORD, 0, buf, len, len,
	    MESH_CTR_CERT_STATIC);
	len = mkcert(ca, "corp", "static", static_pub, "100.64.0.8/32", 0, 0,
	    buf);
	refused(&k, "a static peer's key", ID_COORD, 0, buf, len, len,
	    MESH_CTR_CERT_STATIC);
	want[MESH_CTR_CERT_STATIC]++;
	len = mkcert(ca, "corp", "thief", wpub, "100.64.0.1/32", 0, 0, buf);
	refused(&k, "our own address", ID_COORD, 0, buf, len, len,
	    MESH_CTR_CERT_ADDRESS);
	want[MESH_CTR_CERT_ADDRESS]++;
	len = mkcert(ca, "corp", "thief", wpub, "10.99.0.5/32", 0, 0, buf);
	refused(&k, "an address in a static peer's allowed-ips", ID_COORD, 0,
	    buf, len, len, MESH_CTR_CERT_ADDRESS);
	want[MESH_CTR_CERT_ADDRESS]++;

	/* checks from peers that may not send them */
	refused(&k, "via a peer that does not exist", 99, 0, good, glen, glen,
	    MESH_CTR_COORD_UNEXPECTED);
	want[MESH_CTR_COORD_UNEXPECTED]++;
	refused(&k, "via a static peer", ID_STATIC, 0, good, glen, glen,
	    MESH_CTR_COORD_UNEXPECTED);
	want[MESH_CTR_COORD_UNEXPECTED]++;
	refused(&k, "own=1 via a mesh id that does not exist",
	    MESH_DYN_ID_MIN + 77, 1, good, glen, glen,
	    MESH_CTR_COORD_UNEXPECTED);
	want[MESH_CTR_COORD_UNEXPECTED]++;
	refused(&k, "own=1 via a static peer", ID_STATIC, 1, good, glen, glen,
	    MESH_CTR_COORD_UNEXPECTED);
	want[MESH_CTR_COORD_UNEXPECTED]++;
	refused(&k, "own=1 via peer 0", 0, 1, good, glen, glen,
	    MESH_CTR_COORD_UNEXPECTED);
	want[MESH_CTR_COORD_UNEXPECTED]++;

	/* revocation lists: forged, another mesh's, garbage, then a good one */
	rlen = mkcert(ca, "corp", "revoked", rpub, "100.64.0.9/32", 0, 0, rev);
	bufs[0] = good;
	lens[0] = glen;
	len = mkcrl(other_ca, "corp", 7, bufs, lens, 1, crl);
	compose(&k, PROC_NET, IMSG_CRL, 0, -1, crl, len);
	want[MESH_CTR_CRL_BAD]++;
	len = mkcrl(ca, "lab", 8, bufs, lens, 1, crl);
	compose(&k, PROC_NET, IMSG_CRL, 0, -1, crl, len);
	want[MESH_CTR_CRL_BAD]++;
	arc4random_buf(crl, 200);
	compose(&k, PROC_NET, IMSG_CRL, 0, -1, crl, 200);
	want[MESH_CTR_CRL_BAD]++;
	bufs[0] = rev;
	lens[0] = rlen;
	len = mkcrl(ca, "corp", 2, bufs, lens, 1, crl);
	compose(&k, PROC_NET, IMSG_CRL, 0, -1, crl, len);
	refused(&k, "revoked (by a list net passed on)", ID_COORD, 0, rev,
	    rlen, rlen, MESH_CTR_CERT_REVOKED);
	want[MESH_CTR_CERT_REVOKED]++;

	/* the one that is good, though a forged list named it */
	members_tun = k.members[PROC_TUN];
	r = check(&k, ID_COORD, 0, good, glen, glen);
	gid = r != NULL ? r->id : 0;
	if (!ok(r != NULL && r->id >= MESH_DYN_ID_MIN && r->reason == 0 &&
	    r->changed, "a valid certificate from the coordinator is admitted"))
		diag("got %s id %u reason %u", r != NULL ? "a result" :
		    "no result", r != NULL ? r->id : 0, r != NULL ?
		    r->reason : 0);
	(void)pump(&k, 50, NULL, NULL);
	ok(k.members[PROC_TUN] == members_tun + 1 &&
	    k.members[PROC_PARENT] == members_tun + 1 &&
	    k.members[PROC_NET] == members_tun + 1,
	    "its MEMBER goes to tun, the parent and net");
	ok(k.last_member.id == gid && strcmp(k.last_member.name, "good") == 0 &&
	    k.last_member.naddrs == 1 && k.last_member.addrs[0].af == 4 &&
	    memcmp(k.last_member.addrs[0].addr, "\x64\x40\x00\x03", 4) == 0,
	    "the MEMBER holds its certificate's name and address");
	len = mkcert(other_ca, "corp", "good", gpub, "100.64.0.99/32",
	    now + 60 - 3600, 0, buf);
	refused(&k, "a forged renewal of the member's certificate", ID_COORD,
	    0, buf, len, len, MESH_CTR_CERT_SIGNATURE);
	want[MESH_CTR_CERT_SIGNATURE]++;
	len = mkcert(ca, "corp", "good", gpub, "100.64.0.99/32",
	    now - 86400 * 10, now - 60, buf);
	refused(&k, "an expired certificate of the member's key", ID_COORD,
	    0, buf, len, len, MESH_CTR_CERT_EXPIRED);
	want[MESH_CTR_CERT_EXPIRED]++;
	len = mkcert(ca, "corp", "squatter", wpub, "100.64.0.3/32", 0, 0, buf);
	refused(&k, "an address another member holds", ID_COORD, 0, buf, len,
	    len, MESH_CTR_CERT_ADDRESS);
	want[MESH_CTR_CERT_ADDRESS]++;

	/* an unknown initiator, provisionally a peer of ours (we serve) */
	newkey(ppriv, pkey);
	prov = initiate(&k, ppriv);
	ok(prov >= MESH_DYN_ID_MIN, "an unknown initiator is answered, as a "
	    "provisional peer");
	(void)pump(&k, 50, NULL, NULL);
	ok(k.session_ups >= 1, "net hears of its session");
	len = mkcert(ca, "corp", "w", wpub, "100.64.0.10/32", 0, 0, buf);
	refused(&k, "own=0 (a directory entry) via a provisional peer", prov,
	    0, buf, len, len, MESH_CTR_COORD_UNEXPECTED);
	want[MESH_CTR_COORD_UNEXPECTED]++;
	refused(&k, "own=1 via a provisional peer: another key's "
	    "certificate", prov, 1, buf, len, len, MESH_CTR_CERT_WRONG_KEY);
	want[MESH_CTR_CERT_WRONG_KEY]++;
	len = mkcert(other_ca, "corp", "p", pkey, "100.64.0.11/32", 0, 0, buf);
	refused(&k, "own=1 via a provisional peer: its key, forged", prov, 1,
	    buf, len, len, MESH_CTR_CERT_SIGNATURE);
	want[MESH_CTR_CERT_SIGNATURE]++;
	members_tun = k.members[PROC_TUN];
	len = mkcert(ca, "corp", "p", pkey, "100.64.0.11/32", 0, 0, buf);
	r = check(&k, prov, 1, buf, len, len);
	ok(r != NULL && r->id == prov && r->reason == 0,
	    "own=1 via a provisional peer: its valid certificate admits it");
	(void)pump(&k, 50, NULL, NULL);
	ok(k.members[PROC_TUN] == members_tun + 1, "and tun hears of it");

	/* announced routes: inside the certificate's, and a change */
	len = mkcert(ca, "corp", "gwx", rpub, "100.64.0.12/32,r:10.9.0.0/16",
	    0, 0, buf);
	announce("10.8.0.0/24");
	refused(&k, "a record announcing outside its certificate's routes",
	    ID_COORD, 0, buf, len, len, MESH_CTR_COORD_MALFORMED);
	want[MESH_CTR_COORD_MALFORMED]++;
	announce("10.0.0.0/8");
	refused(&k, "a record announcing wider than its certificate's route",
	    ID_COORD, 0, buf, len, len, MESH_CTR_COORD_MALFORMED);
	want[MESH_CTR_COORD_MALFORMED]++;
	members_tun = k.members[PROC_TUN];
	announce("10.9.1.0/24");
	r = check(&k, ID_COORD, 0, buf, len, len);
	(void)pump(&k, 50, NULL, NULL);
	ok(r != NULL && r->id >= MESH_DYN_ID_MIN && r->changed &&
	    k.members[PROC_TUN] == members_tun + 1 &&
	    k.last_member.nroutes == 1 && k.last_member.routes[0].plen == 24 &&
	    memcmp(k.last_member.routes[0].addr, "\x0a\x09\x01\x00", 4) == 0,
	    "announcing 10.9.1.0/24 of 10.9.0.0/16: admitted, MEMBER routes "
	    "only that");
	r = check(&k, ID_COORD, 0, buf, len, len);
	(void)pump(&k, 50, NULL, NULL);
	ok(r != NULL && r->reason == 0 && !r->changed &&
	    k.members[PROC_TUN] == members_tun + 1,
	    "the same record again: no change, no MEMBER");
	announce("10.9.2.0/24");
	r = check(&k, ID_COORD, 0, buf, len, len);
	(void)pump(&k, 50, NULL, NULL);
	ok(r != NULL && r->reason == 0 && r->changed &&
	    k.members[PROC_TUN] == members_tun + 2 &&
	    k.last_member.nroutes == 1 &&
	    memcmp(k.last_member.routes[0].addr, "\x0a\x09\x02\x00", 4) == 0,
	    "the same certificate announcing 10.9.2.0/24: a change, MEMBER "
	    "with the new route");
	announce(NULL);
	r = check(&k, ID_COORD, 0, buf, len, len);
	(void)pump(&k, 50, NULL, NULL);
	ok(r != NULL && r->reason == 0 && r->changed &&
	    k.members[PROC_TUN] == members_tun + 3 &&
	    k.last_member.nroutes == 1 && k.last_member.routes[0].plen == 16,
	    "announcing all: MEMBER with the certificate's 10.9.0.0/16");
	announce("10.8.0.0/24");
	refused(&k, "then a record announcing outside: the member stays as "
	    "it was", ID_COORD, 0, buf, len, len, MESH_CTR_COORD_MALFORMED);
	want[MESH_CTR_COORD_MALFORMED]++;
	announce(NULL);

	/* coordination messages for a plain WireGuard peer, or nobody */
	memset(buf, 0, sizeof(buf));
	buf[0] = MESH_COORD_MARK;
	buf[1] = 5;			/* a PING */
	buf[3] = 8;
	n = k.hs_sends;
	compose(&k, PROC_NET, IMSG_COORD_SEND, ID_STATIC, -1, buf, 12);
	want[MESH_CTR_COORD_UNEXPECTED]++;
	compose(&k, PROC_NET, IMSG_COORD_SEND, 4242, -1, buf, 12);
	(void)pump(&k, 200, NULL, NULL);
	ok(k.hs_sends == n, "COORD_SEND to a static peer: no handshake "
	    "started for it");

	/* an unknown initiator that never presents a certificate */
	if (!quick) {
		newkey(qpriv, qpub);
		prov = initiate(&k, qpriv);
		ok(prov >= MESH_DYN_ID_MIN, "a second unknown initiator");
		n = k.gones + 1;
		ok(pump(&k, 13000, has_gones, &n) && k.gone.id == prov &&
		    k.gone.reason == GONE_PROVISIONAL,
		    "it is gone within 13 s, no certificate in time");
		want[MESH_CTR_PROVISIONAL_TIMEOUT]++;
	}

	/* the counters, the log, the child */
	compose(&k, PROC_PARENT, IMSG_STATS_REQ, 9, -1, NULL, 0);
	ok(pump(&k, WAIT_MS, has_stats, NULL), "crypto answers STATS_REQ");
	for (i = 0; i < MESH_CTR_MAX; i++) {
		if (!ok(k.global.mesh[i] == want[i], "counter %s: %llu",
		    ctr_names[i], (unsigned long long)want[i]))
			diag("got %llu",
			    (unsigned long long)k.global.mesh[i]);
	}
	ok(k.members[PROC_TUN] == 5 && k.members[PROC_PARENT] == 5,
	    "MEMBER five times in all: the three valid ones, gwx's two "
	    "changes of announced routes");
	n = log_count(&k, "refused: not signed by the mesh's ca");
	if (!ok(n == 1, "six signature refusals are logged once"))
		diag("logged %u times", n);
	n = log_count(&k, "refused: a revocation list that does not "
	    "verify");
	if (!ok(n == 1, "three bad lists are logged once"))
		diag("logged %u times", n);
	ok(k.open[PROC_PARENT] && kill(k.pid, 0) == 0 &&
	    waitpid(k.pid, &k.status, WNOHANG) == 0,
	    "meshd-crypto is still running");
	if (tfailed > 0)
		for (i = 0; i < k.nlog; i++)
			diag("log: %s", k.log[i]);
	kid_end(&k);
}

/*
 * More unknown initiators than a coordinator hears out at once: each is
 * answered, and the longest waiting goes to make room (a flood cannot
 * keep a member out).
 */
static void
flood_case(void)
{
	struct kid	 k;
	uint8_t		 priv[32], pub[32];
	unsigned int	 n = 1, answered = 0, i;
	uint32_t	 id, first = 0;
	size_t		 nlog;

	spawn(&k);
	configure(&k);
	(void)pump(&k, WAIT_MS, has_hs, &n);
	for (i = 0; i < PROV_MAX + 1; i++) {
		newkey(priv, pub);
		if ((id = initiate(&k, priv)) >= MESH_DYN_ID_MIN) {
			answered++;
			if (first == 0)
				first = id;
		}
	}
	if (!ok(answered == PROV_MAX + 1, "%u unknown initiators: each is "
	    "answered", PROV_MAX + 1))
		diag("%u answered", answered);
	n = 1;
	(void)pump(&k, 100, has_gones, &n);
	if (!ok(k.gones == 1 && k.gone.id == first &&
	    k.gone.reason == GONE_PROVISIONAL,
	    "the first of them is gone to make room"))
		diag("%u gone, the last %u reason %u", k.gones, k.gone.id,
		    k.gone.reason);
	compose(&k, PROC_PARENT, IMSG_STATS_REQ, 9, -1, NULL, 0);
	ok(pump(&k, WAIT_MS, has_stats, NULL) &&
	    k.global.mesh[MESH_CTR_PROVISIONAL_FULL] == 1,
	    "counter provisional_full: 1");
	nlog = log_count(&k, "refused: too many unknown initiators");
	ok(nlog == 1, "logged once");
	ok(k.open[PROC_PARENT] && waitpid(k.pid, &k.status, WNOHANG) == 0,
	    "meshd-crypto is still running");
	kid_end(&k);
}

/* a malformed message from net: the child must exit, not go on */
static void
fatal_case(const char *what, uint32_t type, uint32_t id, const void *data,
    size_t len, const char *expect)
{
	struct kid	k;
	unsigned int	n = 1;
	size_t		i;

	spawn(&k);
	configure(&k);
	(void)pump(&k, WAIT_MS, has_hs, &n);
	compose(&k, PROC_NET, type, id, -1, data, len);
	if (!ok(reap(&k, WAIT_MS) && ((WIFEXITED(k.status) &&
	    WEXITSTATUS(k.status) != 0) || WIFSIGNALED(k.status)),
	    "%s: meshd-crypto exits", what)) {
		diag("%s", k.dead ? "it exited 0" : "it is still running");
		for (i = 0; i < k.nlog; i++)
			diag("log: %s", k.log[i]);
	} else if (expect != NULL) {
		(void)pump(&k, 100, NULL, NULL);
		ok(log_count(&k, expect) > 0, "%s: it says \"%s\"", what,
		    expect);
	}
	kid_end(&k);
}

static void
fatal_cases(void)
{
	struct mesh_cert_check	 ck;
	struct hs_msg		 hm;
	uint8_t			*big;

	memset(&ck, 0, sizeof(ck));
	ck.via = ID_COORD;
	memcpy(ck.cert, my_cert, my_certlen);
	ck.len = MESH_CERT_MAX + 1;
	fatal_case("CERT_CHECK whose len is past its buffer", IMSG_CERT_CHECK,
	    ID_COORD, &ck, sizeof(ck), "CERT_CHECK: bad message");
	ck.len = my_certlen;
	fatal_case("CERT_CHECK a byte short", IMSG_CERT_CHECK, ID_COORD, &ck,
	    sizeof(ck) - 1, "CERT_CHECK: bad message");
	ck.own = 2;
	fatal_case("CERT_CHECK with own 2", IMSG_CERT_CHECK, ID_COORD, &ck,
	    sizeof(ck), "CERT_CHECK: bad message");
	ck.own = 0;
	ck.nann = MESH_CERT_ROUTES + 1;
	fatal_case("CERT_CHECK announcing 9 routes", IMSG_CERT_CHECK,
	    ID_COORD, &ck, sizeof(ck), "CERT_CHECK: bad message");
	ck.nann = 0;
	ck.ann_all = 2;
	fatal_case("CERT_CHECK with ann_all 2", IMSG_CERT_CHECK, ID_COORD,
	    &ck, sizeof(ck), "CERT_CHECK: bad message");
	if ((big = calloc(1, CRL_MAX + 1)) == NULL)
		bail("calloc");
	fatal_case("CRL longer than the longest list", IMSG_CRL, 0, big,
	    CRL_MAX + 1, "CRL: bad length");
	free(big);
	fatal_case("COORD_SEND of 2 bytes", IMSG_COORD_SEND, ID_COORD,
	    "\xc1\x05", 2, "COORD_SEND: bad message");
	memset(&hm, 0, sizeof(hm));
	hm.len = sizeof(hm.msg) + 1;
	hm.msg[0] = WG_MSG_INITIATION;
	fatal_case("HS_RECV whose len is past its buffer", IMSG_HS_RECV, 0,
	    &hm, sizeof(hm), "HS_RECV: bad message");
	fatal_case("RECONF_START from net", IMSG_RECONF_START, 0, NULL, 0,
	    "unexpected imsg");
}

static __attribute__((__noreturn__)) void
usage(void)
{
	fprintf(stderr, "usage: hostilenet [-q] meshd-crypto\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	int	ch, quick = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((ch = getopt(argc, argv, "q")) != -1) {
		switch (ch) {
		case 'q':
			quick = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage();
	crypto_path = argv[optind];
	signal(SIGPIPE, SIG_IGN);

	ca = ed25519_new(ca_pub);
	other_ca = ed25519_new(NULL);
	newkey(my_priv, my_pub);
	newkey(NULL, coord_pub);
	newkey(NULL, static_pub);
	my_certlen = mkcert(ca, "corp", "self", my_pub, "100.64.0.1/32", 0, 0,
	    my_cert);

	hostile(quick);
	flood_case();
	fatal_cases();
	printf("1..%d\n", tn);
	return tfailed > 0;
}
