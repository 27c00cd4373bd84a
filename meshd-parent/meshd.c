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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <ctype.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "filter.h"
#include "log.h"
#include "exit.h"
#include "members.h"
#include "parent.h"
#include "pktchan.h"
#include "route.h"
#include "tundev.h"
#include "uapi.h"

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
static int		 start_fd = -1;	/* to the waiting foreground */
static int		 start_errfd = -1;	/* its stderr */
static int		 start_configured;

static __attribute__((__noreturn__)) void usage(void);
static void	 parent_dispatch(int, short, void *);
static int	 parent_dispatch_child(struct child_proc *, struct imsg *);
static int	 parent_dispatch_net(struct child_proc *, struct imsg *);
static int	 parent_dispatch_crypto(struct child_proc *, struct imsg *);
static int	 parent_dispatch_tun(struct child_proc *, struct imsg *);
static void	 parent_sig(int, short, void *);
static void	 start_child(enum meshd_role);
static void	 connect_children(void);
static void	 create_channels(uint16_t);
static void	 check_chroot(int);
static void	 check_config(struct meshd_conf *);
static void	 daemon_start(void);
static void	 start_ready(void);

/*
 * What each child may send, by the pipe it came in on: a message from
 * another pipe cannot reach these handlers.  Each returns -1 for a type
 * it does not take.
 */
static int (*const parent_handlers[PROC_MAX])(struct child_proc *,
    struct imsg *) = {
	[PROC_NET] = parent_dispatch_net,
	[PROC_CRYPTO] = parent_dispatch_crypto,
	[PROC_TUN] = parent_dispatch_tun,
};

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-dnvV] [-D macro=value] [-f file] "
	    "[-s socket]\n", getprogname());
	exit(1);
}


/*
 * A relay's meshd-net holds up to 1,028 TCP connections beside its UDP,
 * birthday and stream sockets: the soft limit systemd and most shells
 * give (1024) runs out near 1,000 members.  Raised to the hard limit,
 * MESHD_NOFILE at most, before the children (which inherit it) start.
 */
#define MESHD_NOFILE	8192
static void
raise_nofile(void)
{
	struct rlimit	rl;
	rlim_t		want = MESHD_NOFILE;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("getrlimit(RLIMIT_NOFILE)");
		return;
	}
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
		want = rl.rlim_max;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("setrlimit(RLIMIT_NOFILE, %llu)",
			    (unsigned long long)want);
	}
}

int
main(int argc, char *argv[])
{
	struct event	 ev_sigint, ev_sigterm, ev_sighup, ev_sigchld;
	struct meshd_conf *conf;
	int		 ch, noaction = 0, csock;
	int		 udpfds[MESH_UDP_SOCKS], tunfd, nrelay;
	uint8_t		 tun_vnet = 0;
	int		 relayfds[RELAY_LISTEN_MAX];
	struct keyfds	 kf;
	size_t		 nudp, i;
	char		 errbuf[512];
	enum meshd_role	 r;

	proc_title_init(argc, argv);
	parent.conffile = MESHD_CONF;
	parent.csock = MESHD_SOCKET;
	parent.ctl_sock = -1;
	parent.ro_sock = -1;
	log_init(1, 0, LOG_DAEMON);	/* stderr until we daemonize */
	log_procinit("parent");

	while ((ch = getopt(argc, argv, "dD:f:ns:vV")) != -1) {
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
		case 'V':
			printf("meshd %s\n", MESHD_VERSION);
			exit(0);
		default:
			usage();
		}
	}
	argc -= optind;
	if (argc > 0)
		usage();
	log_setverbose(parent.verbose);
	/* before anything is exec'd (check_config runs meshd-crypto -n) */
	notify_init();

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

	if (!parent.debug)
		daemon_start();
	log_init(parent.debug, parent.verbose, LOG_DAEMON);
	clock_gettime(CLOCK_MONOTONIC, &parent.started);
	raise_nofile();

	/* everything privileged is opened here, before any child runs */
	if ((csock = control_init(parent.csock)) == -1)
		exit(1);
	if (conf->ro_sock[0] != '\0') {
		if (strcmp(conf->ro_sock, parent.csock) == 0) {
			log_warnx("control-socket %s restricted is the main "
			    "control socket", conf->ro_sock);
			control_cleanup(parent.csock);
			exit(1);
		}
		if ((parent.ro_path = strdup(conf->ro_sock)) == NULL)
			fatal(NULL);
		if ((parent.ro_sock = control_init_ro(parent.ro_path)) == -1) {
			control_cleanup(parent.csock);
			exit(1);
		}
	}
	/* offloads unless the ablation switches them off or the kernel
	   refuses them; meshd-tun learns which with the fd */
	tunfd = -1;
	if (!mesh_lever_off("tso")) {
		if ((tunfd = tundev_open_vnet(conf->iface.name,
		    &parent.ifindex)) == -1)
			log_debug("interface %s without TUN offloads: %s",
			    conf->iface.name, strerror(errno));
		else
			tun_vnet = 1;
	}
	if (tunfd == -1 &&
	    (tunfd = tundev_open(conf->iface.name, &parent.ifindex)) == -1) {
		if (errno == EBUSY || errno == EEXIST)
			log_warnx("cannot create interface %s: it exists and "
			    "is in use (another meshd or VPN?)",
			    conf->iface.name);
		else
			log_warn("cannot create interface %s",
			    conf->iface.name);
		control_cleanup(parent.csock);
		control_cleanup(parent.ro_path);
		exit(1);
	}
	/* wg(8)'s socket: another daemon's, in another namespace, stops us */
	if (uapi_init(conf->iface.name) == -1)
		parent_shutdown(1);
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
	route_sync(parent.ifindex, conf);
	if ((ch = udp_open(conf->iface.listen_port, udpfds, MESH_UDP_SOCKS,
	    &nudp, errbuf, sizeof(errbuf))) == -1) {
		log_warnx("%s", errbuf);
		parent_shutdown(1);
	}
	parent.listen_port = ch;
	if ((nrelay = relay_listen_open(conf, relayfds, errbuf,
	    sizeof(errbuf))) == -1) {
		log_warnx("%s", errbuf);
		parent_shutdown(1);
	}
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
	parent.chan_mtu = conf->iface.mtu;

	for (i = 0; i < nudp; i++) {
		uint8_t first = (i == 0);

		imsg_compose_event(&parent.children[PROC_NET].iev,
		    IMSG_UDP_SOCKET, 0, 0, udpfds[i], &first, sizeof(first));
	}
	imsg_compose_event(&parent.children[PROC_TUN].iev, IMSG_TUN_FD, 0, 0,
	    tunfd, &tun_vnet, sizeof(tun_vnet));
	if (relay_start(conf, relayfds, nrelay, errbuf, sizeof(errbuf)) ==
	    -1) {
		log_warnx("serve relay: %s", errbuf);
		parent_shutdown(1);
	}
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
	parent.ctl_sock = csock;

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

	/*
	 * The user was checked by parse_config().  As root the check child
	 * chroots as at run time: the directory is made for it, as at start.
	 */
	check_chroot(geteuid() == 0);
	if (access(child_bin[PROC_CRYPTO], X_OK) == -1)
		err(1, "%s", child_bin[PROC_CRYPTO]);
	if (keys_check_sync(conf, child_bin[PROC_CRYPTO], pub, msg,
	    sizeof(msg)) == -1 ||
	    keys_check_self(conf, pub, msg, sizeof(msg)) == -1) {
		log_warnx("%s", msg);
		exit(1);
	}
}

/*
 * The empty directory the children chroot to, and every directory above
 * it: owned by root, and group and others may not write them.  As root
 * (create) what is missing is made; else we only say whether it could
 * be.  Exits 1 with the reason if it will not do.
 */
static void
check_chroot(int create)
{
	static const char	 dir[] = MESHD_CHROOT;
	struct stat		 sb;
	char			 path[sizeof(dir)];
	const char		*why = NULL;
	size_t			 i;

	/* "/", "/var", "/var/empty", "/var/empty/meshd" */
	for (i = 0; i < sizeof(dir) - 1; i++) {
		if (i > 0 && dir[i + 1] != '/' && dir[i + 1] != '\0')
			continue;
		memcpy(path, dir, i + 1);
		path[i + 1] = '\0';
		if (create && mkdir(path, 0755) == -1 && errno != EEXIST)
			errx(1, "cannot make %s for the children's chroot: "
			    "%s", path, strerror(errno));
		if (stat(path, &sb) == -1) {
			if (errno == ENOENT && !create)
				return;	/* it can be made */
			errx(1, "children's chroot %s: %s: %s", dir, path,
			    strerror(errno));
		}
		if (!S_ISDIR(sb.st_mode))
			why = "is not a directory";
		else if (sb.st_uid != 0)
			why = "is not owned by root";
		else if ((sb.st_mode & (S_IWGRP | S_IWOTH)) != 0)
			why = "is writable by group or others (chmod go-w it)";
		if (why != NULL)
			errx(1, "children's chroot %s: %s %s", dir, path, why);
	}
}

/*
 * Without -d: the daemon runs in a child of ours, which we wait for.  It
 * writes a byte on the pipe once it is ready (start_ready()); if the pipe
 * closes without one, it failed: its reason is already on our stderr,
 * and we exit with its status.  Either way a service manager or a shell
 * learns at once whether meshd is running.
 */
static void
daemon_start(void)
{
	int	 p[2], fd, status;
	pid_t	 pid;
	ssize_t	 n;
	char	 c;

	if (pipe2(p, O_CLOEXEC) == -1)
		err(1, "pipe");
	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid != 0) {
		close(p[1]);
		while ((n = read(p[0], &c, 1)) == -1 && errno == EINTR)
			;
		if (n == 1)
			exit(0);
		while (waitpid(pid, &status, 0) == -1)
			if (errno != EINTR)
				err(1, "waitpid");
		if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
			exit(WEXITSTATUS(status));
		if (WIFSIGNALED(status))
			errx(1, "killed by signal %d while starting",
			    WTERMSIG(status));
		errx(1, "stopped while starting");
	}
	close(p[0]);
	start_fd = p[1];
	if (setsid() == -1)
		err(1, "setsid");
	if (chdir("/") == -1)
		err(1, "chdir /");
	/* our stderr until ready; the children get /dev/null */
	if ((start_errfd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0)) == -1 ||
	    (fd = open("/dev/null", O_RDWR)) == -1)
		err(1, "/dev/null");
	if (dup2(fd, STDIN_FILENO) == -1 || dup2(fd, STDOUT_FILENO) == -1 ||
	    dup2(fd, STDERR_FILENO) == -1)
		err(1, "dup2");
	if (fd > STDERR_FILENO)
		close(fd);
	log_tee(start_errfd);
}

/* the config went out at start: once the children are ready, so are we */
void
parent_configured(void)
{
	start_configured = 1;
	start_ready();
}

/*
 * Ready: the UDP sockets are bound and the interface is up (main, before
 * any child runs), the three children are sandboxed (CHILD_READY) and
 * have their config (parent_configured), and meshctl is answered: now
 * the control socket appears under its path, then the service manager
 * (READY=1) and the waiting foreground (daemon_start) learn it.  Once.
 */
static void
start_ready(void)
{
	static int	done;
	enum meshd_role	r;
	char		status[128];

	if (done || !start_configured)
		return;
	for (r = PROC_NET; r < PROC_MAX; r++)
		if (!parent.children[r].ready)
			return;
	done = 1;
	if (control_publish() == -1)
		parent_shutdown(1);
	(void)snprintf(status, sizeof(status), "running: interface %s, "
	    "port %u, %zu peer%s", parent.conf->iface.name,
	    parent.listen_port, parent.conf->npeers,
	    parent.conf->npeers == 1 ? "" : "s");
	notify_ready(status);
	log_debug("ready: %s", status);
	if (start_fd == -1)
		return;
	log_tee(-1);
	close(start_errfd);
	start_errfd = -1;
	if (write(start_fd, "", 1) != 1)
		log_warn("cannot tell the starting meshd we are ready");
	close(start_fd);
	start_fd = -1;
}

static void
start_child(enum meshd_role r)
{
	struct child_proc	*cp = &parent.children[r];
	char			*argv[8], path[PATH_MAX];
	int			 argc = 0, fd, i;

	/* argv[0] is not const, exec(3) says: a copy, not a cast */
	if (strlcpy(path, child_bin[r], sizeof(path)) >= sizeof(path))
		fatalx("%s: name too long", child_bin[r]);
	argv[argc++] = path;
	if (parent.debug)
		argv[argc++] = "-d";
	for (i = 0; i < parent.verbose && i < 2; i++)
		argv[argc++] = "-v";
	argv[argc++] = "-u";
	argv[argc++] = parent.conf->iface.user;
	argv[argc] = NULL;

	cp->role = r;
	cp->pid = proc_spawn(child_bin[r], argv, &fd);
	/*
	 * Only net passes descriptors up: the birthday sockets it gives
	 * back (sockets.c counts them).  One attached to any other message
	 * is closed with it (imsg_free), so a child cannot pile them up.
	 */
	if (imsgev_init(&cp->iev, fd, r, r == PROC_NET, parent_dispatch,
	    cp) == -1)
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

/*
 * A child's LOG message: its priority in *pri and its line in line,
 * control characters made '?' (a child is not trusted with the look of
 * our log).  0, or -1 for a malformed message.
 */
int
parent_logline(struct imsg *imsg, int *pri, char *line, size_t linelen)
{
	struct ibuf	 ib;
	size_t		 i, len;

	if (imsg_get_ibuf(imsg, &ib) == -1 ||
	    ibuf_get(&ib, pri, sizeof(*pri)) == -1 ||
	    (len = ibuf_size(&ib)) == 0 || len > linelen ||
	    (*pri & ~LOG_PRIMASK) != 0 || ibuf_get(&ib, line, len) == -1)
		return -1;
	line[len - 1] = '\0';
	for (i = 0; line[i] != '\0'; i++)
		if (!isprint((unsigned char)line[i]))
			line[i] = '?';
	return 0;
}

/* a child's log line: to syslog(3), tagged with its role */
static void
child_logline(enum meshd_role role, struct imsg *imsg)
{
	char	line[LOG_LINE_MAX];
	int	pri;

	if (parent_logline(imsg, &pri, line, sizeof(line)) == -1)
		fatalx("LOG: bad message from %s", meshd_role_names[role]);
	logit(pri, "%s: %s", meshd_role_names[role], line);
}

/* what every child sends */
static int
parent_dispatch_child(struct child_proc *cp, struct imsg *imsg)
{
	struct mesh_peer_stats	 pst;

	switch (imsg_get_type(imsg)) {
	case IMSG_CHILD_READY:
		if (imsg_get_data(imsg, &cp->info, sizeof(cp->info)) == -1)
			fatalx("CHILD_READY: bad length");
		cp->ready = 1;
		start_ready();
		break;
	case IMSG_PEER_STATS:
		if (imsg_get_data(imsg, &pst, sizeof(pst)) == -1 ||
		    pst.endpoint_len > sizeof(pst.endpoint))
			fatalx("PEER_STATS: bad message from %s",
			    meshd_role_names[cp->role]);
		if (!exit_stats(imsg_get_id(imsg), &pst) &&
		    !uapi_stats(imsg_get_id(imsg), &pst))
			control_stats(imsg_get_id(imsg), cp->role, &pst);
		break;
	case IMSG_STATS_END:
		if (!exit_stats(imsg_get_id(imsg), NULL) &&
		    !uapi_stats(imsg_get_id(imsg), NULL))
			control_stats_end(imsg_get_id(imsg));
		break;
	case IMSG_LOG:
		child_logline(cp->role, imsg);
		break;
	default:
		return -1;
	}
	return 0;
}

static int
parent_dispatch_net(struct child_proc *cp, struct imsg *imsg)
{
	struct mesh_peer_path	 pp;
	struct ctl_netcheck	*nc;

	switch (imsg_get_type(imsg)) {
	case IMSG_PEER_PATH:
		if (imsg_get_data(imsg, &pp, sizeof(pp)) == -1 ||
		    pp.ncand > MESH_PATH_CANDS || pp.path > MESH_PATH_RELAY)
			fatalx("PEER_PATH: bad message");
		control_path(imsg_get_id(imsg), &pp);
		return 0;
	case IMSG_NET_STOPPED:
		return 0;	/* late: net_stop() stopped waiting */
	case IMSG_NETCHECK:
		if ((nc = malloc(sizeof(*nc))) == NULL)
			fatal(NULL);
		if (imsg_get_data(imsg, nc, sizeof(*nc)) == -1 ||
		    nc->nservers > NETCHECK_SERVERS ||
		    nc->ncoords > NETCHECK_COORDS || nc->ncand > 8)
			fatalx("NETCHECK: bad message from net");
		control_netcheck(imsg_get_id(imsg), nc);
		free(nc);
		return 0;
	case IMSG_BDAY_REQ:
		udp_bday(&cp->iev, imsg);
		return 0;
	case IMSG_RELAY_CONNECT:
		relay_connect(&cp->iev, imsg);
		return 0;
	case IMSG_BDAY_SOCKET:
		udp_bday_back(imsg);
		return 0;
	case IMSG_METRICS_REQ:
		metrics_request(&cp->iev, imsg);
		return 0;
	default:
		return parent_dispatch_child(cp, imsg);
	}
}

/* the mesh's members, as crypto admits and removes them (members.c) */
static void
parent_member(struct imsg *imsg)
{
	struct mesh_member_msg	mm;

	if (imsg_get_data(imsg, &mm, sizeof(mm)) == -1 ||
	    members_check(&mm) == -1)
		fatalx("MEMBER: bad message from %s",
		    meshd_role_names[PROC_CRYPTO]);
	members_add(parent.conf, parent.ifindex, &mm);
	exit_member(members_find(mm.id));
}

static void
parent_peer_gone(struct imsg *imsg)
{
	struct mesh_gone_msg	gm;

	if (imsg_get_data(imsg, &gm, sizeof(gm)) == -1 || gm.id == 0 ||
	    gm.reason < GONE_REVOKED || gm.reason > GONE_REPLACED)
		fatalx("PEER_GONE: bad message from %s",
		    meshd_role_names[PROC_CRYPTO]);
	members_gone(parent.conf, gm.id, gm.reason);
	exit_gone(gm.id, 0);
}

static void
parent_mesh_state(struct imsg *imsg)
{
	struct mesh_state_msg	st;

	if (imsg_get_data(imsg, &st, sizeof(st)) == -1)
		fatalx("MESH_STATE: bad message from %s",
		    meshd_role_names[PROC_CRYPTO]);
	members_state(&st);
}

/*
 * crypto alone has a verdict on a config's keys (reload.c), knows
 * which peers do not answer (resolve.c), and admits mesh members
 */
static int
parent_dispatch_crypto(struct child_proc *cp, struct imsg *imsg)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_MEMBER:
		parent_member(imsg);
		break;
	case IMSG_PEER_GONE:
		parent_peer_gone(imsg);
		break;
	case IMSG_MESH_STATE:
		parent_mesh_state(imsg);
		break;
	case IMSG_KEYCHECK_OK:
		keycheck_ok(imsg);
		break;
	case IMSG_KEY_ERROR:
		keycheck_error(imsg);
		break;
	case IMSG_UAPI_KEY:
		uapi_key(imsg);
		break;
	case IMSG_UAPI_KEY_END:
		uapi_key_end(imsg);
		break;
	case IMSG_PEER_NORESP:
		if (imsg_get_len(imsg) != 0)
			fatalx("PEER_NORESP: bad length");
		resolve_noresp(imsg_get_id(imsg));
		exit_gone(imsg_get_id(imsg), 1);
		break;
	default:
		return parent_dispatch_child(cp, imsg);
	}
	return 0;
}

static int
parent_dispatch_tun(struct child_proc *cp, struct imsg *imsg)
{
	struct ctl_dns	cd;
	uint8_t		buf[sizeof(struct ctl_filter_rule)];
	size_t		len = imsg_get_len(imsg), want;

	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_DNS:
		if (imsg_get_data(imsg, &cd, sizeof(cd)) == -1)
			fatalx("CTL_DNS: bad message from tun");
		control_dns(imsg_get_id(imsg), &cd);
		return 0;
	case IMSG_CTL_FILTER:
		want = sizeof(struct ctl_filter);
		break;
	case IMSG_CTL_FILTER_RULE:
		want = sizeof(struct ctl_filter_rule);
		break;
	case IMSG_CTL_FILTER_STATE:
		want = sizeof(struct ctl_filter_state);
		break;
	case IMSG_CTL_END:
		want = 0;
		break;
	default:
		return parent_dispatch_child(cp, imsg);
	}
	if (len != want || want > sizeof(buf) ||
	    (want > 0 && imsg_get_data(imsg, buf, want) == -1))
		fatalx("%s: bad show filter reply from tun", __func__);
	control_filter(imsg_get_id(imsg), imsg_get_type(imsg), buf, want);
	return 0;
}

/*
 * glibc keeps the pages of memory it got back: the config of 10,000
 * peers queued for three children (some 12 MiB of imsgs) or a show peers
 * reply (18 MiB) stayed in the parent's PSS after it was written.  After
 * such a burst, once every queue is empty, the free pages go back.
 */
static int	trim_wanted;

void
parent_trim_soon(void)
{
	trim_wanted = 1;
}

void
parent_trim_check(void)
{
	enum meshd_role	r;

	if (!trim_wanted)
		return;
	for (r = PROC_NET; r < PROC_MAX; r++)
		if (parent.children[r].iev.ibuf.fd != -1 &&
		    imsgbuf_queuelen(&parent.children[r].iev.ibuf) > 0)
			return;
	if (control_queued())
		return;
	trim_wanted = 0;
#ifdef __GLIBC__
	(void)malloc_trim(0);
#endif
}

static void
parent_dispatch(int fd, short event, void *arg)
{
	struct imsgev		*iev = arg;
	struct child_proc	*cp = iev->data;
	struct imsg		 imsg;
	ssize_t			 n;

	if (imsgev_io(iev, event) == -1) {
		log_warnx("lost child: %s", meshd_role_names[cp->role]);
		parent_shutdown(1);
	}
	for (;;) {
		if ((n = imsgbuf_get(&iev->ibuf, &imsg)) == -1)
			fatal("bad imsg from %s", meshd_role_names[cp->role]);
		if (n == 0)
			break;
		if (parent_handlers[cp->role](cp, &imsg) == -1)
			fatalx("unexpected imsg %s from %s",
			    imsg_type_name(imsg_get_type(&imsg)),
			    meshd_role_names[cp->role]);
		imsg_free(&imsg);
	}
	imsg_event_add(iev);
	if (event & EV_WRITE)
		parent_trim_check();
}

static void
parent_sig(int sig, short event, void *arg)
{
	pid_t		pid;
	int		status;
	enum meshd_role	r;

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("received signal %d, stopping", sig);
		parent_shutdown(0);
	case SIGHUP:
		parent_reload_signal();
		break;
	case SIGCHLD:
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			if (ssh_reaped(pid, status))
				continue;
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

/*
 * Before the children get SIGTERM: net deletes the port mapping it made
 * at the gateway (the sandbox has no signal handlers, so it is asked over
 * its pipe) and says so; waited for at most NET_STOP_MS.  Whatever else
 * net sends meanwhile is dropped: we are stopping.
 */
#define NET_STOP_MS	500
static void
net_stop(void)
{
	struct child_proc	*cp = &parent.children[PROC_NET];
	struct imsgbuf		*ibuf = &cp->iev.ibuf;
	struct pollfd		 pfd;
	struct imsg		 imsg;
	struct timespec		 t0, t;
	ssize_t			 n;
	long			 left;
	uint32_t		 type;

	if (cp->pid <= 0 || !cp->ready || ibuf->fd == -1)
		return;
	if (imsg_compose(ibuf, IMSG_NET_STOP, 0, 0, -1, NULL, 0) == -1 ||
	    imsgbuf_flush(ibuf) == -1)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = NET_STOP_MS - ((t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return;
		pfd.fd = ibuf->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, left) <= 0 || imsgbuf_read(ibuf) != 1)
			return;
		while ((n = imsgbuf_get(ibuf, &imsg)) > 0) {
			type = imsg_get_type(&imsg);
			imsg_free(&imsg);
			if (type == IMSG_NET_STOPPED)
				return;
		}
		if (n == -1)
			return;
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
	notify_stopping();
	net_stop();
	stream_shutdown();
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
	exit_cleanup();
	route_flush();
	dns_revert();
	if (parent.conf != NULL && parent.conf->has_iface &&
	    tundev_destroy(parent.conf->iface.name) == -1)
		log_warn("cannot remove interface %s", parent.conf->iface.name);
	control_cleanup(parent.csock);
	control_cleanup(parent.ro_path);
	uapi_cleanup();
	log_info("terminating");
	exit(code);
}
