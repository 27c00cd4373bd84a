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
 * meshd, the parent: the only process that stays root.  It reads the
 * config, opens every privileged resource (TUN, UDP sockets, key files,
 * control socket), execs the children and hands them descriptors, and
 * applies reloads.  It never parses a packet and never reads key bytes.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <stddef.h>

#include <err.h>
#include <ctype.h>
#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "parent.h"
#include "pktchan.h"
#include "tundev.h"

#ifndef MESHD_LIBEXECDIR
#define MESHD_LIBEXECDIR	"/usr/local/libexec/meshd"
#endif

struct parent	 parent;

static const char *const child_bin[PROC_MAX] = {
	[PROC_NET] = MESHD_LIBEXECDIR "/meshd-net",
	[PROC_CRYPTO] = MESHD_LIBEXECDIR "/meshd-crypto",
	[PROC_TUN] = MESHD_LIBEXECDIR "/meshd-tun",
};

static int		 shutting_down;

/* a config whose keys crypto is checking (meshd.h), and what it is for */
static struct meshd_conf	*pending_conf;
static int			 pending_start;
static int			 ctl_sock = -1;	/* listens once configured */
static int			 hup_queued;	/* a SIGHUP came meanwhile */

static __attribute__((__noreturn__)) void usage(void);
static void	 parent_dispatch(int, short, void *);
static void	 parent_sig(int, short, void *);
static void	 start_child(enum meshd_role);
static void	 connect_children(void);
static void	 create_channels(uint16_t);
static void	 send_config(struct meshd_conf *);
static void	 assign_ids(struct meshd_conf *, struct meshd_conf *);
static void	 ensure_chroot(void);
static void	 check_config(struct meshd_conf *);
static void	 keycheck_start(struct meshd_conf *, struct keyfds *, int);

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-dnv] [-D macro=value] [-f file] "
	    "[-s socket]\n", getprogname());
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct event	 ev_sigint, ev_sigterm, ev_sighup, ev_sigchld;
	struct meshd_conf *conf;
	int		 ch, noaction = 0, csock;
	int		 udpfds[MESH_UDP_SOCKS], tunfd;
	struct keyfds	 kf;
	size_t		 nudp, i;
	char		 errbuf[512];
	enum meshd_role	 r;
	extern char	**environ;

#ifndef __OpenBSD__
	setproctitle_init(argc, argv, environ);
#endif
	parent.conffile = MESHD_CONF;
	parent.csock = MESHD_SOCKET;
	log_init(1, 0, LOG_DAEMON);	/* stderr until we daemonize */
	log_procinit("parent");

	while ((ch = getopt(argc, argv, "dD:f:ns:v")) != -1) {
		switch (ch) {
		case 'd':
			parent.debug = 1;
			break;
		case 'D':
			if (cmdline_symset(optarg) < 0)
				errx(1, "could not parse macro definition %s",
				    optarg);
			break;
		case 'f':
			parent.conffile = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 's':
			parent.csock = optarg;
			break;
		case 'v':
			parent.verbose++;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	if (argc > 0)
		usage();
	log_setverbose(parent.verbose);

	signal(SIGPIPE, SIG_IGN);
	if ((conf = parse_config(parent.conffile, 0)) == NULL)
		exit(1);
	assign_ids(conf, NULL);
	if (noaction) {
		check_config(conf);
		if (parent.verbose)
			print_config(stdout, conf);
		fprintf(stderr, "configuration OK\n");
		free_config(conf);
		exit(0);
	}

	if (geteuid() != 0)
		errx(1, "need root privileges");
	for (r = PROC_NET; r < PROC_MAX; r++)
		if (access(child_bin[r], X_OK) == -1)
			err(1, "%s", child_bin[r]);
	/* bad keys are fatal before we daemonize */
	check_config(conf);
	parent.conf = conf;

	log_init(parent.debug, parent.verbose, LOG_DAEMON);
	if (!parent.debug && daemon(0, 0) == -1)
		err(1, "daemon");
	clock_gettime(CLOCK_MONOTONIC, &parent.started);

	/* everything privileged is opened here, before any child runs */
	if ((csock = control_init(parent.csock)) == -1)
		exit(1);
	if ((tunfd = tundev_open(conf->iface.name, &parent.ifindex)) == -1) {
		if (errno == EBUSY || errno == EEXIST)
			log_warnx("cannot create interface %s: it exists and "
			    "is in use (another meshd or VPN?)",
			    conf->iface.name);
		else
			log_warn("cannot create interface %s",
			    conf->iface.name);
		control_cleanup(parent.csock);
		exit(1);
	}
	if (tundev_set_mtu(parent.ifindex, conf->iface.mtu) == -1)
		fatal("%s: mtu %u", conf->iface.name, conf->iface.mtu);
	for (i = 0; i < conf->iface.naddrs; i++) {
		if (tundev_addr_add(parent.ifindex, &conf->iface.addrs[i]) ==
		    -1) {
			mesh_prefix_ntop(&conf->iface.addrs[i], errbuf,
			    sizeof(errbuf));
			log_warn("%s: address %s", conf->iface.name, errbuf);
			parent_shutdown(1);
		}
	}
	if (tundev_up(parent.ifindex) == -1) {
		log_warn("%s: cannot set up", conf->iface.name);
		parent_shutdown(1);
	}
	if ((ch = udp_open(conf->iface.listen_port, udpfds, MESH_UDP_SOCKS,
	    &nudp, errbuf, sizeof(errbuf))) == -1) {
		log_warnx("%s", errbuf);
		parent_shutdown(1);
	}
	parent.listen_port = ch;
	if (keys_open(conf, &kf, errbuf, sizeof(errbuf)) == -1) {
		/* they were there a moment ago */
		log_warnx("%s", errbuf);
		parent_shutdown(1);
	}

	event_init();
	for (r = PROC_NET; r < PROC_MAX; r++)
		start_child(r);
	connect_children();
	create_channels(conf->iface.mtu);

	for (i = 0; i < nudp; i++) {
		uint8_t first = (i == 0);

		imsg_compose_event(&parent.children[PROC_NET].iev,
		    IMSG_UDP_SOCKET, 0, 0, udpfds[i], &first, sizeof(first));
	}
	imsg_compose_event(&parent.children[PROC_TUN].iev, IMSG_TUN_FD, 0, 0,
	    tunfd, NULL, 0);
	/* the config goes out once crypto has the keys (keycheck_ok) */
	keycheck_start(conf, &kf, 1);

	signal_set(&ev_sigint, SIGINT, parent_sig, NULL);
	signal_set(&ev_sigterm, SIGTERM, parent_sig, NULL);
	signal_set(&ev_sighup, SIGHUP, parent_sig, NULL);
	signal_set(&ev_sigchld, SIGCHLD, parent_sig, NULL);
	signal_add(&ev_sigint, NULL);
	signal_add(&ev_sigterm, NULL);
	signal_add(&ev_sighup, NULL);
	signal_add(&ev_sigchld, NULL);
	ctl_sock = csock;

	proc_settitle(PROC_PARENT);
	event_dispatch();
	parent_shutdown(1);
}

/*
 * meshd -n and start: the keys checked by a meshd-crypto -n, and no peer
 * with our own public key; exits 1 with a message if not.
 */
static void
check_config(struct meshd_conf *conf)
{
	uint8_t	pub[WG_KEY_LEN];
	char	msg[MESH_RESULT_MAX];

	if (geteuid() == 0) {
		/* the check child drops privileges as at run time */
		if (getpwnam(conf->iface.user) == NULL)
			errx(1, "unknown user %s (create it, or set user in "
			    "%s)", conf->iface.user, parent.conffile);
		ensure_chroot();
	}
	if (access(child_bin[PROC_CRYPTO], X_OK) == -1)
		err(1, "%s", child_bin[PROC_CRYPTO]);
	if (keys_check_sync(conf, child_bin[PROC_CRYPTO], pub, msg,
	    sizeof(msg)) == -1 ||
	    keys_check_self(conf, pub, msg, sizeof(msg)) == -1) {
		log_warnx("%s", msg);
		exit(1);
	}
}

static void
ensure_chroot(void)
{
	struct stat	sb;
	char		path[] = MESHD_CHROOT, *p;

	/* make the empty root-owned directory the children chroot to */
	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) == -1 && errno != EEXIST)
			fatal("mkdir %s", path);
		*p = '/';
	}
	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		fatal("mkdir %s", path);
	if (stat(path, &sb) == -1)
		fatal("%s", path);
	if (!S_ISDIR(sb.st_mode) || sb.st_uid != 0 ||
	    (sb.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		fatalx("%s must be a directory owned by root and writable "
		    "only by root", path);
}

static void
start_child(enum meshd_role r)
{
	struct child_proc	*cp = &parent.children[r];
	char			*argv[8];
	int			 argc = 0, fd, i;

	argv[argc++] = (char *)child_bin[r];
	if (parent.debug)
		argv[argc++] = "-d";
	for (i = 0; i < parent.verbose && i < 2; i++)
		argv[argc++] = "-v";
	argv[argc++] = "-u";
	argv[argc++] = parent.conf->iface.user;
	argv[argc] = NULL;

	cp->role = r;
	cp->pid = proc_spawn(child_bin[r], argv, &fd);
	if (imsgev_init(&cp->iev, fd, r, 0, parent_dispatch, cp) == -1)
		fatal("imsgev_init");
	log_debug("started %s, pid %d", meshd_role_names[r], cp->pid);
}

/* a socketpair between every two children, one end to each */
static void
connect_children(void)
{
	enum meshd_role	a, b;
	int		sp[2];

	for (a = PROC_NET; a < PROC_MAX; a++) {
		for (b = a + 1; b < PROC_MAX; b++) {
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
			    PF_UNSPEC, sp) == -1)
				fatal("socketpair");
			imsg_compose_event(&parent.children[a].iev,
			    IMSG_SOCKET_CONN, 0, 0, sp[0], &b, sizeof(b));
			imsg_compose_event(&parent.children[b].iev,
			    IMSG_SOCKET_CONN, 0, 0, sp[1], &a, sizeof(a));
		}
	}
}

/*
 * The packet channels: a ring in shared memory and an eventfd each, both
 * fds to both ends.  Sized for the MTU at start; a larger MTU set by a
 * reload needs a restart (bigger packets are dropped and counted).
 */
static void
create_channels(uint16_t mtu)
{
	static const enum meshd_role ends[CHAN_MAX][2] = {
		[CHAN_TUN_CRYPTO] = { PROC_TUN, PROC_CRYPTO },
		[CHAN_CRYPTO_NET] = { PROC_CRYPTO, PROC_NET },
		[CHAN_NET_CRYPTO] = { PROC_NET, PROC_CRYPTO },
		[CHAN_CRYPTO_TUN] = { PROC_CRYPTO, PROC_TUN },
	};
	struct pktchan_msg	 pm;
	struct imsgev		*iev;
	int			 memfd, wakefd, side, fd;
	enum mesh_chan		 c;

	for (c = 0; c < CHAN_MAX; c++) {
		if (pktchan_create(MESH_CHAN_SLOTS, MESH_CHAN_MAXPKT(mtu),
		    &memfd, &wakefd) == -1)
			fatal("packet channel");
		for (side = 0; side < 2; side++) {
			iev = &parent.children[ends[c][side]].iev;
			pm.chan = c;
			pm.producer = (side == 0);
			/* imsg closes what it sends: the first end gets dups */
			if ((fd = side == 0 ? fcntl(memfd, F_DUPFD_CLOEXEC, 0) :
			    memfd) == -1)
				fatal("dup");
			imsg_compose_event(iev, IMSG_PKTCHAN_MEM, 0, 0, fd, &pm,
			    sizeof(pm));
			if ((fd = side == 0 ? fcntl(wakefd, F_DUPFD_CLOEXEC, 0) :
			    wakefd) == -1)
				fatal("dup");
			imsg_compose_event(iev, IMSG_PKTCHAN_WAKE, 0, 0, fd,
			    &pm, sizeof(pm));
		}
	}
}

static int
peer_key_cmp(const void *a, const void *b)
{
	const struct peer_conf	*const *x = a, *const *y = b;

	/* public keys: an ordinary comparison is fine */
	return memcmp((*x)->pubkey, (*y)->pubkey, WG_KEY_LEN);
}

/*
 * Peers keep their id across reloads; the identity is the public key.
 * The old peers are sorted by key once, so a reload of 10,000 peers does
 * not compare every pair.
 */
static void
assign_ids(struct meshd_conf *nconf, struct meshd_conf *oconf)
{
	struct peer_conf	*p, **old = NULL, **op;
	size_t			 n = 0;

	if (oconf != NULL && oconf->npeers > 0) {
		if ((old = reallocarray(NULL, oconf->npeers,
		    sizeof(*old))) == NULL)
			fatal(NULL);
		TAILQ_FOREACH(p, &oconf->peers, entry)
			old[n++] = p;
		qsort(old, n, sizeof(*old), peer_key_cmp);
	}
	TAILQ_FOREACH(p, &nconf->peers, entry) {
		if (n > 0 && (op = bsearch(&p, old, n, sizeof(*old),
		    peer_key_cmp)) != NULL)
			p->id = (*op)->id;
		else
			p->id = ++parent.next_peer_id;
	}
	free(old);
}

static void
peer_msg(struct peer_conf *p, struct mesh_peer_msg *pm)
{
	memset(pm, 0, sizeof(*pm));
	pm->id = p->id;
	(void)strlcpy(pm->name, p->name, sizeof(pm->name));
	memcpy(pm->pubkey, p->pubkey, sizeof(pm->pubkey));
	pm->has_psk = p->psk_file[0] != '\0';
	pm->keepalive = p->keepalive;
	if (p->endpoint.ss_family != 0 &&
	    p->endpoint_len <= sizeof(pm->endpoint)) {
		pm->has_endpoint = 1;
		memcpy(pm->endpoint, &p->endpoint, p->endpoint_len);
		pm->endpoint_len = p->endpoint_len;
	}
	pm->naips = p->naips;
}

/*
 * Sends a whole config to every child: each peer is a RECONF_PEER and
 * then its allowed-ips in RECONF_PEER_AIPS chunks.  meshd-crypto has the
 * keys already (the key check, keys.c).
 */
static void
send_config(struct meshd_conf *nconf)
{
	struct mesh_iface_msg	 im;
	struct mesh_peer_msg	 pm;
	struct peer_conf	*p;
	struct imsgev		*iev;
	enum meshd_role		 r;

	memset(&im, 0, sizeof(im));
	(void)strlcpy(im.name, nconf->iface.name, sizeof(im.name));
	im.mtu = nconf->iface.mtu;
	/* the port bound: tun knows our own datagrams by it */
	im.listen_port = parent.listen_port;
	im.naddrs = nconf->iface.naddrs;
	memcpy(im.addrs, nconf->iface.addrs,
	    nconf->iface.naddrs * sizeof(im.addrs[0]));

	for (r = PROC_NET; r < PROC_MAX; r++) {
		iev = &parent.children[r].iev;
		imsg_compose_event(iev, IMSG_RECONF_START, 0, 0, -1, NULL, 0);
		imsg_compose_event(iev, IMSG_RECONF_IFACE, 0, 0, -1, &im,
		    sizeof(im));
		TAILQ_FOREACH(p, &nconf->peers, entry) {
			peer_msg(p, &pm);
			if (imsg_compose(&iev->ibuf, IMSG_RECONF_PEER, 0, 0,
			    -1, &pm, sizeof(pm)) == -1 ||
			    imsg_compose_aips(&iev->ibuf,
			    IMSG_RECONF_PEER_AIPS, p->id, p->aips,
			    p->naips) == -1)
				fatal("send_config");
		}
		imsg_compose_event(iev, IMSG_RECONF_END, 0, 0, -1, NULL, 0);
	}
}

/* applies the interface part of a reload; -1 and err if it cannot */
static int
reload_iface(struct iface_conf *o, struct iface_conf *n, int *udpfds,
    size_t *nudp, char *err, size_t errlen)
{
	size_t	i, j;
	char	buf[64];
	int	port;

	*nudp = 0;
	if (strcmp(o->name, n->name) != 0) {
		snprintf(err, errlen, "changing the interface name (%s to %s) "
		    "needs a restart", o->name, n->name);
		return -1;
	}
	if (n->listen_port != o->listen_port) {
		if ((port = udp_open(n->listen_port, udpfds,
		    MESH_UDP_SOCKS, nudp, err, errlen)) == -1)
			return -1;
		parent.listen_port = port;
	}
	if (strcmp(o->user, n->user) != 0)
		log_warnx("user %s takes effect at the next restart", n->user);
	if (n->mtu != o->mtu && tundev_set_mtu(parent.ifindex, n->mtu) == -1)
		log_warn("%s: mtu %u", n->name, n->mtu);
	for (i = 0; i < o->naddrs; i++) {
		for (j = 0; j < n->naddrs; j++)
			if (memcmp(&o->addrs[i], &n->addrs[j],
			    sizeof(o->addrs[i])) == 0)
				break;
		if (j == n->naddrs &&
		    tundev_addr_del(parent.ifindex, &o->addrs[i]) == -1)
			log_warn("%s: remove %s", n->name, mesh_prefix_ntop(
			    &o->addrs[i], buf, sizeof(buf)));
	}
	for (j = 0; j < n->naddrs; j++)
		if (tundev_addr_add(parent.ifindex, &n->addrs[j]) == -1)
			log_warn("%s: add %s", n->name, mesh_prefix_ntop(
			    &n->addrs[j], buf, sizeof(buf)));
	return 0;
}

/* sends the keys of nconf to crypto, for its verdict (keycheck_ok) */
static void
keycheck_start(struct meshd_conf *nconf, struct keyfds *kf, int start)
{
	struct imsgev	*iev = &parent.children[PROC_CRYPTO].iev;

	keys_send(&iev->ibuf, nconf, kf);
	imsg_event_add(iev);
	pending_conf = nconf;
	pending_start = start;
}

int
parent_reload(char *err, size_t errlen)
{
	struct meshd_conf	*nconf;
	struct keyfds		 kf;

	if (pending_conf != NULL) {
		snprintf(err, errlen, "a reload is still running");
		return EBUSY;
	}
	log_info("reloading %s", parent.conffile);
	if ((nconf = parse_config(parent.conffile, 0)) == NULL) {
		snprintf(err, errlen, "%s", config_errors());
		log_warnx("reload failed, keeping the running config");
		return EINVAL;
	}
	if (keys_open(nconf, &kf, err, errlen) == -1) {
		log_warnx("reload failed: %s", err);
		free_config(nconf);
		return EINVAL;
	}
	assign_ids(nconf, parent.conf);
	keycheck_start(nconf, &kf, 0);
	return 0;
}

/* a SIGHUP that came while a config waited for its verdict: now */
static void
reload_next(void)
{
	char	err[MESH_RESULT_MAX];

	if (!hup_queued)
		return;
	hup_queued = 0;
	(void)parent_reload(err, sizeof(err));
}

static void
reload_failed(struct meshd_conf *nconf, const char *err)
{
	log_warnx("reload failed: %s", err);
	log_warnx("keeping the running config");
	free_config(nconf);
	control_reload_done(EINVAL, err);
	reload_next();
}

/* crypto has the keys of the pending config: use it */
static void
keycheck_ok(const uint8_t *pub)
{
	struct meshd_conf	*nconf = pending_conf;
	int			 udpfds[MESH_UDP_SOCKS];
	size_t			 nudp = 0, i;
	char			 err[MESH_RESULT_MAX];

	pending_conf = NULL;
	if (keys_check_self(nconf, pub, err, sizeof(err)) == -1 ||
	    (!pending_start && reload_iface(&parent.conf->iface,
	    &nconf->iface, udpfds, &nudp, err, sizeof(err)) == -1)) {
		imsg_compose_event(&parent.children[PROC_CRYPTO].iev,
		    IMSG_KEYCHECK_ABORT, 0, 0, -1, NULL, 0);
		if (pending_start) {
			log_warnx("%s", err);
			parent_shutdown(1);
		}
		reload_failed(nconf, err);
		return;
	}
	for (i = 0; i < nudp; i++) {
		uint8_t first = (i == 0);

		imsg_compose_event(&parent.children[PROC_NET].iev,
		    IMSG_UDP_SOCKET, 0, 0, udpfds[i], &first, sizeof(first));
	}
	send_config(nconf);
	memcpy(parent.pubkey, pub, sizeof(parent.pubkey));
	parent.has_pubkey = 1;
	if (pending_start) {
		/* meshctl's first answer comes after the children's config */
		control_listen(ctl_sock);
		log_info("startup: interface %s, %zu peers", nconf->iface.name,
		    nconf->npeers);
		reload_next();
		return;
	}
	free_config(parent.conf);
	parent.conf = nconf;
	log_info("reload done: %zu peers", nconf->npeers);
	snprintf(err, sizeof(err), "reload done: %zu peers", nconf->npeers);
	control_reload_done(0, err);
	reload_next();
}

/* crypto found a key of the pending config bad */
static void
keycheck_error(struct imsg *imsg)
{
	struct meshd_conf	*nconf = pending_conf;
	char			 err[MESH_RESULT_MAX];

	if (nconf == NULL)
		fatalx("KEY_ERROR without a key check");
	keys_error(nconf, imsg, err, sizeof(err));
	pending_conf = NULL;
	if (pending_start) {
		log_warnx("%s", err);
		parent_shutdown(1);
	}
	reload_failed(nconf, err);
}

int
parent_stats_request(uint32_t seq)
{
	enum meshd_role	r;
	int		n = 0;

	for (r = PROC_NET; r < PROC_MAX; r++) {
		imsg_compose_event(&parent.children[r].iev, IMSG_STATS_REQ,
		    seq, 0, -1, NULL, 0);
		n++;
	}
	return n;
}

void
parent_set_verbose(int v)
{
	enum meshd_role	r;

	log_setverbose(v);
	for (r = PROC_NET; r < PROC_MAX; r++)
		imsg_compose_event(&parent.children[r].iev, IMSG_LOG_VERBOSE,
		    0, 0, -1, &v, sizeof(v));
}

/* a child's log line: to syslog(3), tagged with its role */
static void
child_logline(enum meshd_role role, struct imsg *imsg)
{
	struct ibuf	 ib;
	char		 line[LOG_LINE_MAX];
	size_t		 i, len;
	int		 pri;

	if (imsg_get_ibuf(imsg, &ib) == -1 ||
	    ibuf_get(&ib, &pri, sizeof(pri)) == -1 ||
	    (len = ibuf_size(&ib)) == 0 || len > sizeof(line) ||
	    (pri & ~LOG_PRIMASK) != 0)
		fatalx("LOG: bad message from %s", meshd_role_names[role]);
	if (ibuf_get(&ib, line, len) == -1)
		fatalx("LOG: bad message from %s", meshd_role_names[role]);
	line[len - 1] = '\0';
	/* the child is not trusted with the look of our log */
	for (i = 0; line[i] != '\0'; i++)
		if (!isprint((unsigned char)line[i]))
			line[i] = '?';
	logit(pri, "%s: %s", meshd_role_names[role], line);
}

static void
parent_dispatch(int fd, short event, void *arg)
{
	struct child_proc	*cp;
	struct imsgev		*iev = arg;
	struct imsg		 imsg;
	struct mesh_peer_stats	 pst;
	uint8_t			 pub[WG_KEY_LEN];
	ssize_t			 n;

	cp = (struct child_proc *)((char *)iev -
	    offsetof(struct child_proc, iev));
	if (imsgev_io(iev, event) == -1) {
		log_warnx("lost child: %s", meshd_role_names[cp->role]);
		parent_shutdown(1);
	}
	for (;;) {
		if ((n = imsgbuf_get(&iev->ibuf, &imsg)) == -1)
			fatal("bad imsg from %s", meshd_role_names[cp->role]);
		if (n == 0)
			break;
		switch (imsg_get_type(&imsg)) {
		case IMSG_CHILD_READY:
			if (imsg_get_data(&imsg, &cp->info,
			    sizeof(cp->info)) == -1)
				fatalx("CHILD_READY: bad length");
			cp->ready = 1;
			break;
		case IMSG_KEYCHECK_OK:
			if (cp->role != PROC_CRYPTO || pending_conf == NULL ||
			    imsg_get_data(&imsg, pub, sizeof(pub)) == -1)
				fatalx("KEYCHECK_OK: bad message from %s",
				    meshd_role_names[cp->role]);
			keycheck_ok(pub);
			break;
		case IMSG_PEER_STATS:
			if (imsg_get_data(&imsg, &pst, sizeof(pst)) == -1 ||
			    pst.endpoint_len > sizeof(pst.endpoint))
				fatalx("PEER_STATS: bad message from %s",
				    meshd_role_names[cp->role]);
			control_stats(imsg_get_id(&imsg), cp->role, &pst);
			break;
		case IMSG_STATS_END:
			control_stats_end(imsg_get_id(&imsg));
			break;
		case IMSG_LOG:
			child_logline(cp->role, &imsg);
			break;
		case IMSG_KEY_ERROR:
			if (cp->role != PROC_CRYPTO)
				fatalx("KEY_ERROR from %s",
				    meshd_role_names[cp->role]);
			keycheck_error(&imsg);
			break;
		default:
			fatalx("unexpected imsg %s from %s",
			    imsg_type_name(imsg_get_type(&imsg)),
			    meshd_role_names[cp->role]);
		}
		imsg_free(&imsg);
	}
	imsg_event_add(iev);
}

static void
parent_sig(int sig, short event, void *arg)
{
	char	err[MESH_RESULT_MAX];
	pid_t	pid;
	int	status;
	enum meshd_role r;

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("received signal %d, stopping", sig);
		parent_shutdown(0);
	case SIGHUP:
		/* one is running: this one follows it */
		if (parent_reload(err, sizeof(err)) == EBUSY)
			hup_queued = 1;
		break;
	case SIGCHLD:
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (r = PROC_NET; r < PROC_MAX; r++) {
				if (parent.children[r].pid != pid)
					continue;
				parent.children[r].pid = 0;
				if (WIFSIGNALED(status))
					log_warnx("lost child: %s, terminated "
					    "by signal %d",
					    meshd_role_names[r],
					    WTERMSIG(status));
				else
					log_warnx("lost child: %s, exit "
					    "status %d", meshd_role_names[r],
					    WEXITSTATUS(status));
				parent_shutdown(1);
			}
		}
		break;
	}
}

void
parent_shutdown(int code)
{
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };
	enum meshd_role	 r;
	int		 i, alive;
	pid_t		 pid;

	if (shutting_down++)
		exit(code);
	for (r = PROC_NET; r < PROC_MAX; r++)
		if (parent.children[r].pid > 0)
			kill(parent.children[r].pid, SIGTERM);
	/* give them a second, then make sure */
	for (i = 0; i < 100; i++) {
		alive = 0;
		for (r = PROC_NET; r < PROC_MAX; r++) {
			if ((pid = parent.children[r].pid) <= 0)
				continue;
			if (waitpid(pid, NULL, WNOHANG) == pid ||
			    (kill(pid, 0) == -1 && errno == ESRCH))
				parent.children[r].pid = 0;
			else
				alive++;
		}
		if (!alive)
			break;
		nanosleep(&ts, NULL);
	}
	for (r = PROC_NET; r < PROC_MAX; r++)
		if (parent.children[r].pid > 0) {
			kill(parent.children[r].pid, SIGKILL);
			waitpid(parent.children[r].pid, NULL, 0);
		}
	if (parent.conf != NULL && parent.conf->has_iface &&
	    tundev_destroy(parent.conf->iface.name) == -1)
		log_warn("cannot remove interface %s", parent.conf->iface.name);
	control_cleanup(parent.csock);
	log_info("terminating");
	exit(code);
}
