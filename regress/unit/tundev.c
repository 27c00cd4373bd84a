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
 * tundev.c against the real kernel, in a network namespace of our own
 * (unshare(CLONE_NEWNET)) that goes away with this process, so nothing is
 * left behind on the host whatever happens.  What the functions did is
 * checked both through tundev_addrs() and through ip(8), as a user sees it.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "tundev.h"

static const char	*ip_bin = "ip";

static int
count_fds(void)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* runs "ip args", output in out; returns its exit status (-1: no status) */
static int
run_ip(const char *args, char *out, size_t outlen)
{
	char	 cmd[256];
	FILE	*fp;
	size_t	 n = 0, r;
	int	 st;

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", ip_bin, args);
	out[0] = '\0';
	if ((fp = popen(cmd, "r")) == NULL)
		return -1;
	while (n < outlen - 1 &&
	    (r = fread(out + n, 1, outlen - 1 - n, fp)) > 0)
		n += r;
	out[n] = '\0';
	st = pclose(fp);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* is flag in the "<A,B,C>" list of an "ip -o link" line? */
static int
link_has_flag(const char *line, const char *flag)
{
	char		 flags[256], *p, *tok, *last;
	const char	*lt, *gt;

	if ((lt = strchr(line, '<')) == NULL ||
	    (gt = strchr(lt, '>')) == NULL ||
	    (size_t)(gt - lt) >= sizeof(flags))
		return 0;
	memcpy(flags, lt + 1, gt - lt - 1);
	flags[gt - lt - 1] = '\0';
	for (p = flags; (tok = strtok_r(p, ",", &last)) != NULL; p = NULL)
		if (strcmp(tok, flag) == 0)
			return 1;
	return 0;
}

/* ip's output as diagnostics, a line each */
static void
diag_lines(const char *out)
{
	const char	*eol;

	while (*out != '\0') {
		if ((eol = strchr(out, '\n')) == NULL)
			eol = out + strlen(out);
		diag("%.*s", (int)(eol - out), out);
		out = *eol == '\n' ? eol + 1 : eol;
	}
}

static int
count_str(const char *hay, const char *needle)
{
	int	n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* the line of out that holds needle, in line (empty if none) */
static void
find_line(const char *out, const char *needle, char *line, size_t len)
{
	const char	*p, *bol, *eol;
	size_t		 n;

	line[0] = '\0';
	if ((p = strstr(out, needle)) == NULL)
		return;
	for (bol = p; bol > out && bol[-1] != '\n'; bol--)
		;
	if ((eol = strchr(p, '\n')) == NULL)
		eol = p + strlen(p);
	n = eol - bol;
	if (n >= len)
		n = len - 1;
	memcpy(line, bol, n);
	line[n] = '\0';
}

static void
mkprefix(struct mesh_prefix *p, const char *addr, int plen)
{
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, addr, p->addr) == 1)
		p->af = 4;
	else if (inet_pton(AF_INET6, addr, p->addr) == 1)
		p->af = 6;
	p->plen = plen;
}

static int
has_prefix(const struct mesh_prefix *a, size_t n, const struct mesh_prefix *p)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (memcmp(&a[i], p, sizeof(*p)) == 0)
			return 1;
	return 0;
}

/* can a UDP socket bind to this address (it is there and not tentative)? */
static int
can_bind(const struct mesh_prefix *p)
{
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;
	int			s, rv;

	if (p->af == 4) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		memcpy(&sin.sin_addr, p->addr, 4);
		if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
			return 0;
		rv = bind(s, (struct sockaddr *)&sin, sizeof(sin));
	} else {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		memcpy(&sin6.sin6_addr, p->addr, 16);
		if ((s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
			return 0;
		rv = bind(s, (struct sockaddr *)&sin6, sizeof(sin6));
	}
	if (rv == -1)
		diag("bind: %s", strerror(errno));
	close(s);
	return rv == 0;
}

#define FAILS_WITH(call, err, ...) do {					\
	int	 fw_rv, fw_errno;					\
	errno = 0;							\
	fw_rv = (call);							\
	fw_errno = errno;						\
	if (!ok(fw_rv == -1 && fw_errno == (err), __VA_ARGS__))	\
		diag("returned %d, errno %d (%s), expected %s", fw_rv,	\
		    fw_errno, strerror(fw_errno), strerror(err));	\
} while (0)

int
main(void)
{
	struct mesh_prefix	 p4, p6, bad, got[MESH_MAX_ADDRS];
	char			 out[8192], line[1024];
	size_t			 n;
	int			 fd, fd1, ifindex, idx1, nfds, st;
	char			 buf[2048];

	if (geteuid() != 0) {
		printf("1..0 # SKIP not root\n");
		return 0;
	}
	if (unshare(CLONE_NEWNET) == -1) {
		printf("1..0 # SKIP unshare(CLONE_NEWNET): %s\n",
		    strerror(errno));
		return 0;
	}
	if (access("/dev/net/tun", R_OK | W_OK) == -1) {
		printf("1..0 # SKIP /dev/net/tun: %s\n", strerror(errno));
		return 0;
	}
	if (access("/usr/sbin/ip", X_OK) == 0)
		ip_bin = "/usr/sbin/ip";
	else if (access("/sbin/ip", X_OK) == 0)
		ip_bin = "/sbin/ip";
	alarm(120);	/* a hang is a failure, not a stuck prove */
	/* lo up: 127.0.0.1 and ::1 must not show up as mtest0's */
	if (run_ip("link set lo up", out, sizeof(out)) != 0)
		diag_lines(out);
	nfds = count_fds();

	/* create */
	errno = 0;
	fd = tundev_open("mtest0", &ifindex);
	if (!ok(fd >= 0, "tundev_open mtest0")) {
		diag("tundev_open: %s", strerror(errno));
		return tap_done();
	}
	ok(ifindex > 0 && (unsigned int)ifindex == if_nametoindex("mtest0"),
	    "ifindex %d is mtest0's", ifindex);
	ok(fcntl(fd, F_GETFD) & FD_CLOEXEC, "tun fd is close-on-exec");
	if (ok(fcntl(fd, F_GETFL) & O_NONBLOCK, "tun fd is non-blocking"))
		FAILS_WITH(read(fd, buf, sizeof(buf)), EAGAIN,
		    "reading the idle tun does not block");
	else
		ok(0, "reading the idle tun would block");
	st = run_ip("-d -o link show mtest0", out, sizeof(out));
	is_int(st, 0, "ip link show mtest0 finds it");
	ok(strstr(out, "type tun") != NULL &&
	    strstr(out, "pi off") != NULL && strstr(out, "persist off") != NULL,
	    "it is a tun, no packet info, not persistent");
	if (st != 0 || strstr(out, "persist off") == NULL)
		diag_lines(out);

	/* MTU */
	is_int(tundev_set_mtu(ifindex, 1380), 0, "set mtu 1380");
	FAILS_WITH(tundev_set_mtu(ifindex, 10), EINVAL,
	    "mtu 10: the kernel's EINVAL");
	FAILS_WITH(tundev_set_mtu(ifindex + 1000, 1380), ENODEV,
	    "mtu on a missing interface: ENODEV");

	/* addresses */
	mkprefix(&p4, "100.64.7.1", 24);
	mkprefix(&p6, "fd00:6d65:7368::7", 64);
	is_int(tundev_addr_add(ifindex, &p4), 0, "add 100.64.7.1/24");
	is_int(tundev_addr_add(ifindex, &p6), 0, "add fd00:6d65:7368::7/64");
	is_int(tundev_addr_add(ifindex, &p4), 0, "add 100.64.7.1/24 again");
	is_int(tundev_addr_add(ifindex, &p6), 0,
	    "add fd00:6d65:7368::7/64 again");
	bad = p4;
	bad.af = 5;
	FAILS_WITH(tundev_addr_add(ifindex, &bad), EAFNOSUPPORT,
	    "af 5: EAFNOSUPPORT");
	bad = p4;
	bad.plen = 33;
	FAILS_WITH(tundev_addr_add(ifindex, &bad), EINVAL, "/33: EINVAL");
	FAILS_WITH(tundev_addr_add(ifindex + 1000, &p4), ENODEV,
	    "address on a missing interface: ENODEV");

	/* up */
	is_int(tundev_up(ifindex), 0, "set mtest0 up");

	/* what tundev_addrs says */
	memset(got, 0xff, sizeof(got));
	is_int(tundev_addrs(ifindex, got, MESH_MAX_ADDRS, &n), 0,
	    "tundev_addrs");
	is_int(n, 2, "two addresses");
	ok(has_prefix(got, n, &p4), "100.64.7.1/24 listed");
	ok(has_prefix(got, n, &p6), "fd00:6d65:7368::7/64 listed");
	FAILS_WITH(tundev_addrs(ifindex, got, 1, &n), ENOBUFS,
	    "room for one: ENOBUFS");
	is_int(n, 1, "with the first one stored");

	/* what a user sees */
	st = run_ip("-o link show mtest0", out, sizeof(out));
	is_int(st, 0, "ip link show mtest0");
	ok(strstr(out, " mtu 1380 ") != NULL, "ip shows mtu 1380");
	ok(link_has_flag(out, "UP"), "ip shows mtest0 UP");
	ok(link_has_flag(out, "LOWER_UP"), "ip shows carrier (LOWER_UP)");
	diag_lines(out);
	st = run_ip("-o addr show dev mtest0", out, sizeof(out));
	is_int(st, 0, "ip addr show dev mtest0");
	is_int(count_str(out, "inet 100.64.7.1/24 "), 1,
	    "ip shows 100.64.7.1/24 once");
	is_int(count_str(out, "inet6 fd00:6d65:7368::7/64 "), 1,
	    "ip shows fd00:6d65:7368::7/64 once");
	find_line(out, "inet6 fd00:6d65:7368::7/64 ", line, sizeof(line));
	ok(strstr(line, "nodad") != NULL && strstr(line, "tentative") == NULL,
	    "IPv6 address is nodad and not tentative");
	diag_lines(out);
	ok(can_bind(&p4), "a socket binds to 100.64.7.1");
	ok(can_bind(&p6), "a socket binds to fd00:6d65:7368::7 at once");

	/* delete */
	is_int(tundev_addr_del(ifindex, &p4), 0, "delete 100.64.7.1/24");
	FAILS_WITH(tundev_addr_del(ifindex, &p4), EADDRNOTAVAIL,
	    "delete it again: EADDRNOTAVAIL");
	is_int(tundev_addrs(ifindex, got, MESH_MAX_ADDRS, &n), 0,
	    "tundev_addrs after delete");
	ok(n == 1 && has_prefix(got, n, &p6), "only the IPv6 address left");
	run_ip("-o addr show dev mtest0", out, sizeof(out));
	ok(strstr(out, "100.64.7.1") == NULL &&
	    strstr(out, "fd00:6d65:7368::7/64") != NULL,
	    "ip no longer shows 100.64.7.1");
	is_int(tundev_addr_del(ifindex, &p6), 0,
	    "delete fd00:6d65:7368::7/64");
	run_ip("-o addr show dev mtest0", out, sizeof(out));
	ok(strstr(out, "fd00:6d65:7368::7") == NULL,
	    "ip no longer shows fd00:6d65:7368::7");
	is_int(tundev_addrs(ifindex, got, MESH_MAX_ADDRS, &n), 0,
	    "tundev_addrs on no address");
	is_int(n, 0, "none listed");

	/* destroy, with our fd still open */
	is_int(tundev_destroy("mtest0"), 0, "destroy mtest0");
	st = run_ip("link show mtest0", out, sizeof(out));
	ok(st != 0, "ip link show mtest0 fails afterwards");
	ok(if_nametoindex("mtest0") == 0, "no index for mtest0");
	is_int(tundev_destroy("mtest0"), 0, "destroy mtest0 again succeeds");
	close(fd);

	/* bad names */
	FAILS_WITH(tundev_open("mtest0123456789ab", &idx1), ENAMETOOLONG,
	    "17-character name: ENAMETOOLONG");
	FAILS_WITH(tundev_open("mtest0123456789a", &idx1), ENAMETOOLONG,
	    "16-character name (no room for NUL): ENAMETOOLONG");
	FAILS_WITH(tundev_open("", &idx1), EINVAL, "empty name: EINVAL");
	FAILS_WITH(tundev_open("mtest%d", &idx1), EINVAL,
	    "name with %%: EINVAL");
	FAILS_WITH(tundev_open("lo", &idx1), EEXIST,
	    "name of a non-tun interface: EEXIST");
	FAILS_WITH(tundev_destroy("mtest0123456789ab"), ENAMETOOLONG,
	    "destroy a 17-character name: ENAMETOOLONG");

	/* not persistent: closing the fd removes the interface */
	fd1 = tundev_open("mtest1", &idx1);
	ok(fd1 >= 0, "tundev_open mtest1");
	is_int(run_ip("link show mtest1", out, sizeof(out)), 0,
	    "ip link show mtest1 finds it");
	if (fd1 >= 0)
		close(fd1);
	ok(run_ip("link show mtest1", out, sizeof(out)) != 0,
	    "after close, ip link show mtest1 fails");

	/* with a vnet header and offloads (meshd-tun/offload.c) */
	fd1 = tundev_open_vnet("mtest2", &idx1);
	if (ok(fd1 >= 0, "tundev_open_vnet mtest2")) {
		st = run_ip("-d -o link show mtest2", out, sizeof(out));
		ok(st == 0 && strstr(out, "vnet_hdr on") != NULL &&
		    strstr(out, "pi off") != NULL,
		    "a tun with a vnet header, no packet info");
		if (st != 0 || strstr(out, "vnet_hdr on") == NULL)
			diag_lines(out);
		FAILS_WITH(read(fd1, buf, sizeof(buf)), EAGAIN,
		    "reading the idle vnet tun does not block");
		close(fd1);
	} else
		diag("tundev_open_vnet: %s", strerror(errno));
	FAILS_WITH(tundev_open_vnet("lo", &idx1), EEXIST,
	    "vnet: name of a non-tun interface: EEXIST");

	is_int(count_fds(), nfds, "no fd leaked");
	return tap_done();
}
