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
 * The parent's part of the mesh DNS (meshd-tun/dnsserv.c answers):
 *
 * Sockets.  A query to one of our mesh addresses never enters the TUN
 * device: the address is local, so the kernel delivers it over loopback
 * to whatever listens there.  So the parent (root: port 53) binds a UDP
 * and a listening TCP socket to each address of the interface and passes
 * them to tun, which only receives, sends and accepts on them.  They are
 * bound with IP_FREEBIND, so the order against the address's arrival
 * (and IPv6 duplicate address detection) does not matter.  A reload that
 * changes the addresses gets new sockets; one that does not, keeps them.
 * A port already taken (a resolver listening on every address) costs
 * that address its DNS, with a warning, and nothing else.
 *
 * The system's resolver.  With systemd-resolved running, the interface
 * gets our addresses as its DNS servers and ~DOMAIN as its routing
 * domain (resolvectl dns, resolvectl domain), so only the mesh's names
 * are asked here; at exit, resolvectl revert.  Without resolved nothing
 * is changed: meshd.conf(5) shows the resolv.conf and unbound lines;
 * nor when meshd runs in a network namespace other than init's (where
 * resolved runs): there resolved would not find our interface, or find
 * another by its name.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "parent.h"

#define DNS_PORT	53
#define DNS_BACKLOG	16
#define RESOLVED_SOCK	"/run/systemd/resolve/io.systemd.Resolve"

extern char	**environ;

/* what the sockets tun has are bound to, and what resolved was told */
static struct mesh_prefix	 bound[MESH_MAX_ADDRS];
static size_t			 nbound;
static int			 dns_on;
static char			 asked_domain[MESH_DNS_DOMAIN_MAX];
static char			 told_ifname[MESH_IFNAME_MAX];
static char			 resolver[192] = "not told (DNS off)";

/* a socket of type on address a, port 53; -1 and a warning if not */
static int
dns_bind(const struct mesh_prefix *a, int type)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 len;
	char			 buf[64];
	int			 fd, on = 1;

	memset(&ss, 0, sizeof(ss));
	if (a->af == 4) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(DNS_PORT);
		memcpy(&sin->sin_addr, a->addr, 4);
		len = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(DNS_PORT);
		memcpy(&sin6->sin6_addr, a->addr, 16);
		len = sizeof(*sin6);
	}
	if ((fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		goto fail;
	/* the address may not be on the interface yet */
	if ((a->af == 4 ? setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &on,
	    sizeof(on)) : setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &on,
	    sizeof(on))) == -1)
		goto fail;
	/*
	 * A reload that changes the addresses binds the ones it keeps
	 * again while tun still holds the old sockets (it closes them when
	 * the new ones come); only root can join root's group.  TCP: a
	 * restart while old connections linger in TIME_WAIT.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) == -1 ||
	    (type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR,
	    &on, sizeof(on)) == -1))
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, len) == -1 ||
	    (type == SOCK_STREAM && listen(fd, DNS_BACKLOG) == -1))
		goto fail;
	return fd;
 fail:
	log_warn("mesh DNS: %s %s port %d",
	    type == SOCK_STREAM ? "TCP" : "UDP",
	    mesh_prefix_ntop(a, buf, sizeof(buf)), DNS_PORT);
	if (fd != -1)
		close(fd);
	return -1;
}

/* the interface's addresses as host addresses, to bind and compare */
static size_t
dns_addrs(const struct iface_conf *ic, struct mesh_prefix *out)
{
	size_t	i;

	for (i = 0; i < ic->naddrs && i < MESH_MAX_ADDRS; i++) {
		out[i] = ic->addrs[i];
		out[i].plen = 0;
	}
	return i;
}

/* binds and passes the sockets of every address after DNS_CONF */
static void
dns_sockets(struct imsgev *iev, struct mesh_dns_msg *dm,
    const struct mesh_prefix *addrs, size_t n)
{
	int	 fds[MESH_DNS_SOCKS];
	uint8_t	 kind[MESH_DNS_SOCKS];
	size_t	 i, nfds = 0;

	for (i = 0; i < n; i++) {
		if ((fds[nfds] = dns_bind(&addrs[i], SOCK_DGRAM)) != -1)
			kind[nfds++] = 0;
		if ((fds[nfds] = dns_bind(&addrs[i], SOCK_STREAM)) != -1)
			kind[nfds++] = 1;
	}
	dm->replace = 1;
	dm->nsocks = nfds;
	imsg_compose_event(iev, IMSG_DNS_CONF, 0, 0, -1, dm, sizeof(*dm));
	for (i = 0; i < nfds; i++)
		imsg_compose_event(iev, IMSG_DNS_SOCKET, 0, 0, fds[i],
		    &kind[i], sizeof(kind[i]));
	log_info("mesh DNS: %zu sockets on %zu addresses, port %d", nfds, n,
	    DNS_PORT);
}

/* runs resolvectl with args; 0 if it exited 0 */
static int
resolvectl(char *const argv[])
{
	pid_t	pid;
	int	status, rv;

	if ((rv = posix_spawnp(&pid, "resolvectl", NULL, NULL, argv,
	    environ)) != 0) {
		log_warnx("mesh DNS: resolvectl: %s", strerror(rv));
		return -1;
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			log_warn("mesh DNS: waitpid");
			return -1;
		}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_warnx("mesh DNS: resolvectl %s %s failed", argv[1],
		    argv[2]);
		return -1;
	}
	return 0;
}

/*
 * Whether we share init's network namespace, as resolved does: in
 * another one (a container, a test's namespace) resolved cannot see our
 * interface, and must not be told of another's by that name.
 */
static int
same_netns(void)
{
	char	a[64], b[64];
	ssize_t	n, m;

	if ((n = readlink("/proc/self/ns/net", a, sizeof(a) - 1)) == -1 ||
	    (m = readlink("/proc/1/ns/net", b, sizeof(b) - 1)) == -1)
		return 1;	/* cannot tell: try, resolvectl will say */
	a[n] = b[m] = '\0';
	return strcmp(a, b) == 0;
}

/* what resolved was told, to revert it and to show it */
static void
resolved_told(const char *ifname, const char *dom)
{
	(void)strlcpy(told_ifname, ifname, sizeof(told_ifname));
	snprintf(resolver, sizeof(resolver), "systemd-resolved: %s for %s",
	    ifname, dom);
	log_info("mesh DNS: told %s", resolver);
}

/* tells systemd-resolved our servers and ~domain for the interface */
static void
resolved_tell(const char *ifname, const char *domain,
    const struct mesh_prefix *addrs, size_t n)
{
	char	*argv[4 + MESH_MAX_ADDRS];
	char	 abuf[MESH_MAX_ADDRS][64], ifn[MESH_IFNAME_MAX];
	char	 dom[MESH_DNS_DOMAIN_MAX + 1];
	size_t	 i;

	if (access(RESOLVED_SOCK, F_OK) == -1) {
		(void)strlcpy(resolver, "systemd-resolved is not running: "
		    "see meshd.conf(5)", sizeof(resolver));
		log_info("mesh DNS: %s", resolver);
		return;
	}
	if (!same_netns()) {
		(void)strlcpy(resolver, "systemd-resolved runs in another "
		    "network namespace: not told", sizeof(resolver));
		log_info("mesh DNS: %s", resolver);
		return;
	}
	(void)strlcpy(ifn, ifname, sizeof(ifn));
	argv[0] = "resolvectl";
	argv[1] = "dns";
	argv[2] = ifn;
	for (i = 0; i < n; i++) {
		(void)mesh_prefix_ntop(&addrs[i], abuf[i], sizeof(abuf[i]));
		abuf[i][strcspn(abuf[i], "/")] = '\0';
		argv[3 + i] = abuf[i];
	}
	argv[3 + n] = NULL;
	snprintf(dom, sizeof(dom), "~%s", domain);
	if (resolvectl(argv) == 0) {
		argv[1] = "domain";
		argv[3] = dom;
		argv[4] = NULL;
		if (resolvectl(argv) == 0) {
			resolved_told(ifname, dom);
			return;
		}
	}
	(void)strlcpy(resolver, "systemd-resolved refused: see the log",
	    sizeof(resolver));
}

void
dns_revert(void)
{
	char	*argv[] = { "resolvectl", "revert", told_ifname, NULL };

	if (told_ifname[0] == '\0')
		return;
	if (resolvectl(argv) == 0)
		log_info("mesh DNS: systemd-resolved's settings for %s "
		    "reverted", told_ifname);
	told_ifname[0] = '\0';
}

/*
 * After each config went out (start and reload): tun's DNS config, new
 * sockets if the addresses changed, resolved told if anything did.
 */
void
dns_config(struct meshd_conf *nconf)
{
	struct imsgev		*iev = &parent.children[PROC_TUN].iev;
	struct mesh_dns_msg	 dm;
	struct mesh_prefix	 addrs[MESH_MAX_ADDRS];
	size_t			 n;

	memset(&dm, 0, sizeof(dm));
	if (!nconf->has_mesh || !nconf->has_iface) {
		if (dns_on) {
			imsg_compose_event(iev, IMSG_DNS_CONF, 0, 0, -1, &dm,
			    sizeof(dm));
			dns_revert();
			(void)strlcpy(resolver, "not told (DNS off)",
			    sizeof(resolver));
		}
		dns_on = 0;
		nbound = 0;
		asked_domain[0] = '\0';
		return;
	}
	(void)strlcpy(dm.domain, nconf->mesh.dns_domain, sizeof(dm.domain));
	(void)strlcpy(dm.self, nconf->mesh.c.name, sizeof(dm.self));
	dm.ttl = nconf->mesh.dns_ttl;
	dm.on = 1;
	n = dns_addrs(&nconf->iface, addrs);
	if (dns_on && n == nbound && memcmp(addrs, bound,
	    n * sizeof(addrs[0])) == 0) {
		imsg_compose_event(iev, IMSG_DNS_CONF, 0, 0, -1, &dm,
		    sizeof(dm));
		if (strcmp(asked_domain, dm.domain) == 0)
			return;		/* nothing new for the resolver */
	} else
		dns_sockets(iev, &dm, addrs, n);
	memcpy(bound, addrs, n * sizeof(addrs[0]));
	nbound = n;
	dns_on = 1;
	dns_revert();
	(void)strlcpy(asked_domain, dm.domain, sizeof(asked_domain));
	resolved_tell(nconf->iface.name, dm.domain, addrs, n);
}

/* show dns: tun's counters and our word on the resolver */
void
dns_show_fill(struct ctl_dns *cd)
{
	cd->domain[sizeof(cd->domain) - 1] = '\0';
	(void)strlcpy(cd->resolver, resolver, sizeof(cd->resolver));
}
