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
 * Exit nodes (exit.h says what is set up).  Rules and routes go to the
 * kernel over rtnetlink, one request at a time (there are six); the
 * exit node's nftables table through nft(8), which the parent runs and
 * waits for: the table is a few lines, written once per start or reload.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <net/if.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "exit.h"
#include "log.h"
#include "members.h"
#include "parent.h"
#include "proc.h"
#include "route.h"

/* what is in place now, to undo exactly that */
static struct {
	int		 rules;		/* client rules and table installed */
	int		 ifindex;
	int		 nft;		/* the exit node's table made */
	char		 ifname[MESH_IFNAME_MAX];
	int		 fwd_old[2];	/* ip_forward before us; -1 unread */
	/* the client's settings */
	char		 node[MESH_NAME_MAX];	/* "" no exit node */
	int		 fallback;
	uint32_t	 id;		/* the exit node's member id, 0 */
	int		 down;		/* it does not answer */
	time_t		 down_since;
	struct event	 probe;		/* EXIT_PROBE: while down, fallback */
	int		 probing;
} ex = { .fwd_old = { -1, -1 } };

#define EXIT_PROBE	5	/* seconds between probes of a down exit */

static const char *const fwd_path[2] = {
	"/proc/sys/net/ipv4/ip_forward",
	"/proc/sys/net/ipv6/conf/all/forwarding",
};

int
exit_mark_socket(int fd)
{
#ifdef SO_MARK
	int	mark = EXIT_MARK;

	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) == -1) {
		log_warn("SO_MARK");
		return -1;
	}
#endif
	return 0;
}

#ifdef __linux__

#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#define NL_MSG_MAX	256
#define NL_TIMEOUT	5

/* one request and its answer: 0, or the kernel's errno */
static int
nl_do(struct nlmsghdr *nh)
{
	union {
		struct nlmsghdr	nh;
		char		buf[1024];
	} rcv;
	struct sockaddr_nl	 sa;
	struct timeval		 tv = { NL_TIMEOUT, 0 };
	struct nlmsgerr		 e;
	ssize_t			 r;
	int			 s, err = ETIMEDOUT;

	if ((s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_ROUTE)) == -1)
		return errno;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	nh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nh->nlmsg_seq = arc4random();
	if (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    sendto(s, nh, nh->nlmsg_len, 0, (struct sockaddr *)&sa,
	    sizeof(sa)) != (ssize_t)nh->nlmsg_len) {
		err = errno;
		goto done;
	}
	while ((r = recv(s, rcv.buf, sizeof(rcv.buf), 0)) > 0) {
		if ((size_t)r < NLMSG_LENGTH(sizeof(e)) ||
		    rcv.nh.nlmsg_seq != nh->nlmsg_seq ||
		    rcv.nh.nlmsg_type != NLMSG_ERROR)
			continue;
		memcpy(&e, NLMSG_DATA(&rcv.nh), sizeof(e));
		err = e.error <= 0 ? -e.error : EPROTO;
		break;
	}
 done:
	close(s);
	return err;
}

/* the default route of family af (4 or 6) in EXIT_TABLE via ifindex */
static int
exit_route(int add, int af, int ifindex)
{
	union {
		struct nlmsghdr	nh;
		char		buf[NL_MSG_MAX];
	} m;
	struct rtmsg	rtm;
	uint32_t	oif = ifindex, table = EXIT_TABLE;

	memset(&m, 0, sizeof(m));
	memset(&rtm, 0, sizeof(rtm));
	rtm.rtm_family = af == 4 ? AF_INET : AF_INET6;
	rtm.rtm_table = RT_TABLE_UNSPEC;	/* RTA_TABLE: over 255 */
	rtm.rtm_protocol = RTPROT_STATIC;
	rtm.rtm_scope = af == 4 ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
	rtm.rtm_type = RTN_UNICAST;
	m.nh.nlmsg_len = NLMSG_LENGTH(sizeof(rtm));
	m.nh.nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	m.nh.nlmsg_flags = add ? NLM_F_CREATE | NLM_F_REPLACE : 0;
	memcpy(NLMSG_DATA(&m.nh), &rtm, sizeof(rtm));
	rt_attr(&m.nh, RTA_OIF, &oif, sizeof(oif));
	rt_attr(&m.nh, RTA_TABLE, &table, sizeof(table));
	return nl_do(&m.nh);
}

/*
 * The rules of family af: main with suppress_prefixlength 0 at
 * EXIT_PREF, then not fwmark EXIT_MARK to EXIT_TABLE at EXIT_PREF + 1;
 * which 2: main for the unprivileged user's sockets (ssh(1)'s) at
 * EXIT_PREF - 1.
 */
static int
exit_rule(int add, int af, int which)
{
	struct fib_rule_uid_range	uid;
	struct passwd			*pw;

	union {
		struct nlmsghdr	nh;
		char		buf[NL_MSG_MAX];
	} m;
	struct fib_rule_hdr	frh;
	uint32_t		pref = EXIT_PREF + which, table, mark = EXIT_MARK;
	uint32_t		mask = 0xffffffff, suppress = 0;

	if (which == 2) {
		if ((pw = getpwnam(parent.conf->iface.user)) == NULL)
			return ENOENT;
		uid.start = uid.end = pw->pw_uid;
		pref = EXIT_PREF - 1;
	}
	memset(&m, 0, sizeof(m));
	memset(&frh, 0, sizeof(frh));
	frh.family = af == 4 ? AF_INET : AF_INET6;
	frh.action = FR_ACT_TO_TBL;
	table = which != 1 ? RT_TABLE_MAIN : EXIT_TABLE;
	frh.table = which != 1 ? RT_TABLE_MAIN : RT_TABLE_UNSPEC;
	if (which == 1)
		frh.flags = FIB_RULE_INVERT;
	m.nh.nlmsg_len = NLMSG_LENGTH(sizeof(frh));
	m.nh.nlmsg_type = add ? RTM_NEWRULE : RTM_DELRULE;
	m.nh.nlmsg_flags = add ? NLM_F_CREATE | NLM_F_EXCL : 0;
	memcpy(NLMSG_DATA(&m.nh), &frh, sizeof(frh));
	rt_attr(&m.nh, FRA_PRIORITY, &pref, sizeof(pref));
	rt_attr(&m.nh, FRA_TABLE, &table, sizeof(table));
	if (which == 0)
		rt_attr(&m.nh, FRA_SUPPRESS_PREFIXLEN, &suppress,
		    sizeof(suppress));
	else if (which == 2)
		rt_attr(&m.nh, FRA_UID_RANGE, &uid, sizeof(uid));
	else {
		rt_attr(&m.nh, FRA_FWMARK, &mark, sizeof(mark));
		rt_attr(&m.nh, FRA_FWMASK, &mask, sizeof(mask));
	}
	return nl_do(&m.nh);
}

#else /* !__linux__ */

static int
exit_route(int add, int af, int ifindex)
{
	return ENOTSUP;
}

static int
exit_rule(int add, int af, int which)
{
	return ENOTSUP;
}

#endif /* __linux__ */

/* a sysctl's one number, or -1 */
static int
sysctl_get(const char *path)
{
	char	buf[16];
	ssize_t	r;
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = '\0';
	return atoi(buf);
}

static int
sysctl_set(const char *path, int v)
{
	char	buf[16];
	int	fd, len, rc = 0;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	len = snprintf(buf, sizeof(buf), "%d\n", v);
	if (write(fd, buf, len) != len)
		rc = -1;
	close(fd);
	return rc;
}

static void
rules_set(int add)
{
	static const char	*what[3] = { "suppress_prefixlength rule",
				    "fwmark rule", "the user's (ssh) rule" };
	int			 af, w, e;

	if (add == ex.rules)
		return;
	for (af = 4; af <= 6; af += 2) {
		if (add && (e = exit_route(1, af, ex.ifindex)) != 0)
			log_warnx("exit node: IPv%d default route in table "
			    "%d: %s", af, EXIT_TABLE, strerror(e));
		for (w = 0; w < 3; w++) {
			e = exit_rule(add, af, w);
			if (e != 0 && !(add && e == EEXIST) &&
			    !(!add && e == ENOENT))
				log_warnx("exit node: IPv%d %s: %s", af,
				    what[w], strerror(e));
		}
		if (!add && (e = exit_route(0, af, ex.ifindex)) != 0 &&
		    e != ESRCH && e != ENODEV)
			log_warnx("exit node: IPv%d default route in table "
			    "%d: %s", af, EXIT_TABLE, strerror(e));
	}
	ex.rules = add;
	if (add) {
		/* replies to marked sockets pass a strict rp_filter */
		(void)sysctl_set("/proc/sys/net/ipv4/conf/all/src_valid_mark",
		    1);
		log_info("exit node %s: all traffic through it", ex.node);
	} else if (ex.node[0] != '\0')
		log_info("exit node %s: traffic goes directly", ex.node);
}

/* the rules wanted now: an exit node, unless fallback and it is down */
static void
rules_update(void)
{
	int	want = ex.node[0] != '\0';

	if (want && ex.fallback && (ex.id == 0 || ex.down))
		want = 0;
	rules_set(want);
}

static void
tun_tell(uint32_t id)
{
	imsg_compose_event(&parent.children[PROC_TUN].iev, IMSG_EXIT_NODE,
	    0, 0, -1, &id, sizeof(id));
}

/* nft -f - with script on its standard input: 0, or -1 (logged) */
static int
nft_run(const char *script)
{
	static char *const	 argv[] = { "nft", "-f", "-", NULL };
	size_t			 len = strlen(script);
	pid_t			 pid;
	int			 p[2], status, devnull;

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		log_warn("exit node: fork");
		return -1;
	}
	if (pid == 0) {
		if (dup2(p[0], STDIN_FILENO) == -1)
			_exit(127);
		if ((devnull = open("/dev/null", O_WRONLY)) != -1)
			(void)dup2(devnull, STDOUT_FILENO);
		execvp("nft", argv);
		_exit(127);
	}
	close(p[0]);
	if (write(p[1], script, len) != (ssize_t)len)
		log_warn("exit node: nft");
	close(p[1]);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_warnx("exit node: nft failed (status %d)",
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -1;
	}
	return 0;
}

/*
 * serve exit: forward what comes in on the interface and masquerade it
 * as it leaves by another.  "add table" then "delete table" first: the
 * script replaces a table a killed meshd left behind.
 */
static void
serve_exit_set(int on, const char *ifname)
{
	char	script[1024];
	int	i, v;

	if (on) {
		(void)snprintf(script, sizeof(script),
		    "add table inet " EXIT_NFT_TABLE "\n"
		    "delete table inet " EXIT_NFT_TABLE "\n"
		    "table inet " EXIT_NFT_TABLE " {\n"
		    "\tchain forward {\n"
		    "\t\ttype filter hook forward priority filter; "
		    "policy accept;\n"
		    "\t\tiifname \"%s\" counter accept\n"
		    "\t\toifname \"%s\" ct state established,related "
		    "counter accept\n"
		    "\t}\n"
		    "\tchain postrouting {\n"
		    "\t\ttype nat hook postrouting priority srcnat; "
		    "policy accept;\n"
		    "\t\tiifname \"%s\" oifname != \"%s\" counter "
		    "masquerade\n"
		    "\t}\n"
		    "}\n", ifname, ifname, ifname, ifname);
		if (!ex.nft && nft_run(script) == 0) {
			ex.nft = 1;
			log_info("serve exit: forwarding and masquerading "
			    "from %s", ifname);
		}
		for (i = 0; i < 2; i++) {
			if (ex.fwd_old[i] == -1)
				ex.fwd_old[i] = sysctl_get(fwd_path[i]);
			if (sysctl_set(fwd_path[i], 1) == -1)
				log_warn("serve exit: %s", fwd_path[i]);
		}
		return;
	}
	if (ex.nft) {
		(void)nft_run("delete table inet " EXIT_NFT_TABLE "\n");
		ex.nft = 0;
	}
	for (i = 0; i < 2; i++) {
		if ((v = ex.fwd_old[i]) != -1 && v != 1)
			(void)sysctl_set(fwd_path[i], v);
		ex.fwd_old[i] = -1;
	}
}

/*
 * exit-node-fallback direct sends around a down exit node, so no traffic
 * brings it back: a probe every EXIT_PROBE seconds asks crypto for a
 * handshake with it and for its latest handshake; one after it went
 * down means it is back.
 */
static void
probe_fire(int fd, short event, void *arg)
{
	struct timeval	tv = { EXIT_PROBE, 0 };

	if (!ex.down || !ex.fallback || ex.id == 0) {
		ex.probing = 0;
		return;
	}
	imsg_compose_event(&parent.children[PROC_CRYPTO].iev,
	    IMSG_WANT_SESSION, ex.id, 0, -1, NULL, 0);
	imsg_compose_event(&parent.children[PROC_CRYPTO].iev, IMSG_STATS_REQ,
	    EXIT_STATS_SEQ, 0, -1, NULL, 0);
	evtimer_add(&ex.probe, &tv);
}

static void
probe_update(void)
{
	struct timeval	tv = { EXIT_PROBE, 0 };

	if (ex.down && ex.fallback && ex.id != 0 && !ex.probing) {
		evtimer_set(&ex.probe, probe_fire, NULL);
		evtimer_add(&ex.probe, &tv);
		ex.probing = 1;
	} else if (ex.probing && !(ex.down && ex.fallback && ex.id != 0)) {
		evtimer_del(&ex.probe);
		ex.probing = 0;
	}
}

int
exit_stats(uint32_t seq, const struct mesh_peer_stats *st)
{
	if (seq != EXIT_STATS_SEQ)
		return 0;
	if (st != NULL && st->id != 0 && st->id == ex.id && ex.down &&
	    st->latest_handshake >= ex.down_since) {
		log_info("exit node %s answers again", ex.node);
		ex.down = 0;
		rules_update();
		probe_update();
	}
	return 1;
}

/* the exit node's member, by name: its id if its certificate allows */
static uint32_t
exit_lookup(void)
{
	struct member	*m;
	size_t		 i;

	if (ex.node[0] == '\0' || (m = members_find_name(ex.node)) == NULL ||
	    m->state != CTL_STATE_MEMBER)
		return 0;
	for (i = 0; i < m->nroutes; i++)
		if (m->routes[i].plen == 0)
			return m->id;
	log_warnx("exit-node %s: its certificate has no exit route "
	    "(0.0.0.0/0 or ::/0)", ex.node);
	return 0;
}

void
exit_conf(struct meshd_conf *conf, int ifindex)
{
	const struct mesh_conf	*m = &conf->mesh;
	const char		*node = conf->has_mesh ? m->exit_node : "";
	uint32_t		 id;

	if (ex.rules && (ex.ifindex != ifindex ||
	    strcmp(ex.node, node) != 0))
		rules_set(0);
	ex.ifindex = ifindex;
	if (strcmp(ex.node, node) != 0)
		ex.down = 0;
	(void)strlcpy(ex.node, node, sizeof(ex.node));
	ex.fallback = conf->has_mesh && m->exit_fallback;
	id = exit_lookup();
	if (id != ex.id)
		tun_tell(id);
	ex.id = id;
	rules_update();
	probe_update();
	if (ex.nft && strcmp(ex.ifname, conf->iface.name) != 0)
		serve_exit_set(0, ex.ifname);
	(void)strlcpy(ex.ifname, conf->iface.name, sizeof(ex.ifname));
	serve_exit_set(conf->has_mesh && m->serve_exit, ex.ifname);
}

void
exit_member(const struct member *m)
{
	uint32_t	id;

	if (ex.node[0] == '\0' || strcmp(m->name, ex.node) != 0)
		return;
	id = exit_lookup();
	ex.down = 0;		/* admitted or renewed: give it a chance */
	if (id != ex.id)
		tun_tell(id);
	ex.id = id;
	rules_update();
	probe_update();
}

void
exit_gone(uint32_t id, int noresp)
{
	if (id == 0 || id != ex.id)
		return;
	if (noresp) {
		if (!ex.down) {
			log_info("exit node %s does not answer", ex.node);
			ex.down_since = time(NULL);
		}
		ex.down = 1;
	} else {
		ex.id = 0;
		tun_tell(0);
	}
	rules_update();
	probe_update();
}

void
exit_cleanup(void)
{
	if (ex.probing)
		evtimer_del(&ex.probe);
	ex.probing = 0;
	rules_set(0);
	serve_exit_set(0, ex.ifname);
}
