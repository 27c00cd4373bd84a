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
 * What meshd-net's endpoint discovery needs and its sandbox cannot see:
 * the node's own addresses (getifaddrs: global or private, not loopback,
 * not link-local, not the tunnel's) and the IPv4 default gateway
 * (/proc/net/route).  Sent at start, after every reload, and when they
 * change, found by polling every NETWATCH_SECS: a netlink listener would
 * be quicker, but a poll of two cheap reads is simple and a few seconds
 * are nothing next to a NAT's mapping lifetime.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <net/if.h>

#include <event.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "parent.h"

#define NETWATCH_SECS	5
#define ROUTE_FILE	"/proc/net/route"

static struct event		 nw_ev;
static struct mesh_net_addrs	 nw_addrs;
static struct mesh_gateway_msg	 nw_gw;
static int			 nw_sent;

/* 1 if the address is worth a peer's try */
static int
addr_useful(const struct mesh_prefix *p)
{
	const uint8_t	*a = p->addr;
	size_t		 i;

	if (p->af == 4)
		return a[0] != 127 && a[0] != 0 && !(a[0] == 169 &&
		    a[1] == 254) && a[0] < 224;
	/* ::, ::1, fe80::/10, ff00::/8, IPv4-mapped */
	for (i = 0; i < 15 && a[i] == 0; i++)
		;
	if (i == 15 && a[15] <= 1)
		return 0;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return 0;
	if (a[0] == 0xff)
		return 0;
	return 1;
}

/* 1 if one of the tunnel's own addresses */
static int
addr_tunnel(const struct mesh_prefix *p)
{
	struct iface_conf	*ic = &parent.conf->iface;
	size_t			 i;

	for (i = 0; i < ic->naddrs; i++)
		if (ic->addrs[i].af == p->af && memcmp(ic->addrs[i].addr,
		    p->addr, p->af == 4 ? 4 : 16) == 0)
			return 1;
	return 0;
}

static int
plen_of(const uint8_t *m, size_t len)
{
	size_t	i;
	int	n = 0, b;

	for (i = 0; i < len; i++)
		for (b = 7; b >= 0; b--) {
			if (!(m[i] & (1 << b)))
				return n;
			n++;
		}
	return n;
}

static void
addrs_get(struct mesh_net_addrs *out)
{
	struct ifaddrs		*ifa, *i;
	struct mesh_prefix	 p;
	const struct sockaddr_in  *sin, *msin;
	const struct sockaddr_in6 *sin6, *msin6;

	memset(out, 0, sizeof(*out));
	if (getifaddrs(&ifa) == -1) {
		log_warn("getifaddrs");
		return;
	}
	for (i = ifa; i != NULL && out->naddrs < MESH_LOCAL_MAX;
	    i = i->ifa_next) {
		if (i->ifa_addr == NULL || (i->ifa_flags & IFF_LOOPBACK) ||
		    !(i->ifa_flags & IFF_UP) ||
		    strcmp(i->ifa_name, parent.conf->iface.name) == 0)
			continue;
		memset(&p, 0, sizeof(p));
		if (i->ifa_addr->sa_family == AF_INET) {
			sin = (const struct sockaddr_in *)(void *)i->ifa_addr;
			msin = (const struct sockaddr_in *)(void *)
			    i->ifa_netmask;
			p.af = 4;
			memcpy(p.addr, &sin->sin_addr, 4);
			if (msin != NULL)
				p.plen = plen_of((const uint8_t *)
				    &msin->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			sin6 = (const struct sockaddr_in6 *)(void *)
			    i->ifa_addr;
			msin6 = (const struct sockaddr_in6 *)(void *)
			    i->ifa_netmask;
			p.af = 6;
			memcpy(p.addr, &sin6->sin6_addr, 16);
			if (msin6 != NULL)
				p.plen = plen_of((const uint8_t *)
				    &msin6->sin6_addr, 16);
		} else
			continue;
		if (!addr_useful(&p) || addr_tunnel(&p))
			continue;
		out->addrs[out->naddrs++] = p;
	}
	freeifaddrs(ifa);
}

/* the first default route's gateway: "iface 00000000 gateway flags ..." */
static void
gateway_get(struct mesh_gateway_msg *g)
{
	FILE		*f;
	char		 line[256], ifn[64];
	unsigned int	 dst, gw, flags;
	uint32_t	 a;

	memset(g, 0, sizeof(*g));
	if ((f = fopen(ROUTE_FILE, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%63s %x %x %x", ifn, &dst, &gw, &flags) != 4)
			continue;
		/* RTF_UP | RTF_GATEWAY */
		if (dst != 0 || gw == 0 || (flags & 0x3) != 0x3)
			continue;
		if (strcmp(ifn, parent.conf->iface.name) == 0)
			continue;
		/* the file has it as the kernel's u32: network order */
		a = gw;
		g->af = 4;
		memcpy(g->addr, &a, 4);
		break;
	}
	fclose(f);
}

static void
netwatch_tick(int fd, short event, void *arg)
{
	struct timeval		 tv = { NETWATCH_SECS, 0 };
	struct mesh_net_addrs	 a;
	struct mesh_gateway_msg	 g;
	struct imsgev		*net = &parent.children[PROC_NET].iev;

	if (parent.conf != NULL) {
		addrs_get(&a);
		gateway_get(&g);
		if (!nw_sent || memcmp(&a, &nw_addrs, sizeof(a)) != 0) {
			nw_addrs = a;
			imsg_compose_event(net, IMSG_NET_ADDRS, 0, 0, -1, &a,
			    sizeof(a));
		}
		if (!nw_sent || memcmp(&g, &nw_gw, sizeof(g)) != 0) {
			nw_gw = g;
			imsg_compose_event(net, IMSG_NET_GATEWAY, 0, 0, -1, &g,
			    sizeof(g));
		}
		nw_sent = 1;
	}
	evtimer_add(&nw_ev, &tv);
}

/* at start and after a reload (the tunnel's addresses may be others) */
void
netwatch_update(void)
{
	if (!evtimer_initialized(&nw_ev))
		evtimer_set(&nw_ev, netwatch_tick, NULL);
	else
		evtimer_del(&nw_ev);
	nw_sent = 0;
	netwatch_tick(-1, 0, NULL);
}
