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
 * Port mapping: the default gateway (the parent finds it: we cannot
 * read routes) is asked to map the tunnel's UDP port, with PCP (RFC 6887
 * MAP) first and NAT-PMP (RFC 6886) when it answers PCP with
 * "unsupported version" or not at all.  The requests leave from the
 * tunnel's own socket, since the mapping is for its port, and the
 * answers come back to it from the gateway's port 5351: net_udp_read
 * hands us those (only from the gateway's address).
 *
 * A mapping is renewed at half its lifetime, and deleted (lifetime 0)
 * when port-mapping is turned off and when meshd stops.  Each answer's
 * epoch is checked: a gateway that restarted lost our mapping, and the
 * request that told us so made it again (logged, shown by netcheck).
 *
 * A gateway that restarts says so to its LAN, by multicast to
 * 224.0.0.1:5350 (a NAT-PMP address answer, or a PCP ANNOUNCE, each
 * with the new epoch): the parent opens that socket for us when
 * port-mapping is on, and an announcement from the gateway's address and
 * port 5351 whose epoch shows a restart has the mapping made again at
 * once, not at the next renewal.
 *
 * Timing: PCP's own schedule (3 s doubling) would keep a NAT-PMP-only
 * gateway waiting for a minute, so PCP gets PM_PCP_TRIES requests a
 * second apart, then NAT-PMP its RFC schedule for PM_PMP_TRIES.  A
 * gateway that answers neither is asked again every PM_RETRY_SECS.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "child.h"
#include "coord.h"
#include "log.h"
#include "natpmp.h"
#include "net.h"
#include "pcp.h"

#define PM_PCP_TRIES	3
#define PM_PCP_GAP_MS	1000
#define PM_PMP_TRIES	4
#define PM_RETRY_SECS	120

enum pm_state {
	PM_OFF,		/* port-mapping off, or no mesh */
	PM_NOGW,	/* no default gateway */
	PM_PCP,		/* a PCP MAP sent */
	PM_PMP_ADDR,	/* NAT-PMP: asking the external address */
	PM_PMP_MAP,	/* NAT-PMP: asking the mapping */
	PM_MAPPED,	/* a mapping, renewed in time */
	PM_NONE		/* the gateway would not: why says why */
};

enum pm_proto { PROTO_NONE, PROTO_PCP, PROTO_NATPMP };

static struct {
	int		 on;
	uint16_t	 port;
	uint32_t	 ask;		/* lifetime asked for */
	int		 has_gw;
	uint8_t		 gw[4];
	uint8_t		 local[4];	/* ours toward the gateway */
	enum pm_state	 state;
	enum pm_proto	 proto;		/* of the mapping, or being tried */
	int		 renewing;	/* PM_PCP/_PMP_MAP for a mapping */
	uint8_t		 nonce[PCP_NONCE_LEN];
	int		 tries;
	uint64_t	 due_ns;
	uint8_t		 ext[4];
	uint16_t	 eport;
	uint32_t	 lifetime;
	time_t		 granted;
	int		 has_epoch;
	uint32_t	 epoch;
	uint64_t	 epoch_at;	/* our clock, seconds */
	time_t		 restarted;	/* the gateway's last restart seen */
	const struct mesh_net_addrs *addrs;	/* the node's (discover.c) */
	char		 why[NETCHECK_TEXT];
	struct event	 ev;
} pm;

static void	 pm_arm(uint64_t);
static void	 pm_send(void);

/* the socket the gateway's announcements come to, -1 none */
static int		ann_fd = -1;
static struct event	ann_ev;

static void
gw_sa(struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(NATPMP_PORT);
	memcpy(&sin->sin_addr, pm.gw, 4);
}

static const char *
gw_str(char *buf, size_t len)
{
	struct in_addr	in;

	memcpy(&in, pm.gw, 4);
	if (inet_ntop(AF_INET, &in, buf, len) == NULL)
		(void)strlcpy(buf, "?", len);
	return buf;
}

static void
pm_sendbuf(const uint8_t *buf, ssize_t len)
{
	struct sockaddr_in	sin;

	if (len <= 0)
		return;
	gw_sa(&sin);
	if (net_sendto((struct sockaddr *)&sin, sizeof(sin), buf, len) == -1)
		log_debug("portmap: not sent to the gateway");
}

static ssize_t
pcp_build(uint8_t *buf, size_t len, uint32_t lifetime)
{
	struct pcp_map_req	r;
	uint8_t			none[4] = { 0, 0, 0, 0 };

	memset(&r, 0, sizeof(r));
	memcpy(r.nonce, pm.nonce, sizeof(r.nonce));
	pcp_addr_v4map(r.client, pm.local);
	r.iport = pm.port;
	r.eport = pm.eport != 0 ? pm.eport : pm.port;
	pcp_addr_v4map(r.eaddr, pm.eport != 0 ? pm.ext : none);
	r.lifetime = lifetime;
	return pcp_map_request(buf, len, &r);
}

/* the request of the state, again or the first time */
static void
pm_send(void)
{
	uint8_t		buf[PCP_MAP_LEN];
	uint64_t	now = mesh_monotonic_ns(), gap;

	switch (pm.state) {
	case PM_PCP:
		pm_sendbuf(buf, pcp_build(buf, sizeof(buf), pm.ask));
		gap = PM_PCP_GAP_MS;
		break;
	case PM_PMP_ADDR:
		pm_sendbuf(buf, natpmp_addr_request(buf, sizeof(buf)));
		gap = (uint64_t)NATPMP_RTO_MS << pm.tries;
		break;
	case PM_PMP_MAP:
		pm_sendbuf(buf, natpmp_map_request(buf, sizeof(buf),
		    NATPMP_OP_MAP_UDP, pm.port, pm.eport != 0 ? pm.eport :
		    pm.port, pm.ask));
		gap = (uint64_t)NATPMP_RTO_MS << pm.tries;
		break;
	default:
		return;
	}
	pm.tries++;
	pm.due_ns = now + gap * 1000000ULL;
	pm_arm(pm.due_ns);
}

#define pm_set_why(...)	(void)snprintf(pm.why, sizeof(pm.why), __VA_ARGS__)

/* nothing mapped; the next try in PM_RETRY_SECS */
static void
pm_fail(void)
{
	int	had = pm.state == PM_MAPPED || pm.renewing;

	pm.state = PM_NONE;
	pm.proto = PROTO_NONE;
	pm.renewing = 0;
	pm.eport = 0;
	pm.lifetime = 0;
	pm.due_ns = mesh_monotonic_ns() + PM_RETRY_SECS * 1000000000ULL;
	pm_arm(pm.due_ns);
	log_info("portmap: %s", pm.why);
	if (had)
		disc_portmap_changed();
}

/* from the start: PCP first */
static void
pm_start(void)
{
	if (!pm.on) {
		pm.state = PM_OFF;
		return;
	}
	if (!pm.has_gw) {
		pm.state = PM_NOGW;
		return;
	}
	if (RAND_bytes(pm.nonce, sizeof(pm.nonce)) != 1)
		fatalx("RAND_bytes failed");
	pm.state = PM_PCP;
	pm.proto = PROTO_PCP;
	pm.renewing = 0;
	pm.tries = 0;
	pm.eport = 0;
	pm_send();
}

static void
pm_to_natpmp(void)
{
	pm.state = PM_PMP_ADDR;
	pm.proto = PROTO_NATPMP;
	pm.tries = 0;
	pm_send();
}

static void
pm_mapped(const uint8_t *ext, uint16_t eport, uint32_t lifetime)
{
	int	changed = pm.state != PM_MAPPED && !pm.renewing;
	char	gb[INET_ADDRSTRLEN], eb[INET_ADDRSTRLEN];
	struct in_addr	in;

	if (lifetime == 0) {
		pm_set_why("the gateway %s gave a lifetime of 0", gw_str(gb,
		    sizeof(gb)));
		pm_fail();
		return;
	}
	changed |= memcmp(pm.ext, ext, 4) != 0 || pm.eport != eport;
	memcpy(pm.ext, ext, 4);
	pm.eport = eport;
	pm.lifetime = lifetime;
	pm.granted = time(NULL);
	pm.state = PM_MAPPED;
	pm.renewing = 0;
	pm.why[0] = '\0';
	/*
	 * Renewed at half the lifetime, or half the one we asked for if
	 * the gateway gave more (PCP servers round a short one up to 120
	 * s): it should not make us come back later than we meant to.
	 */
	pm.due_ns = mesh_monotonic_ns() + (uint64_t)(lifetime < pm.ask ?
	    lifetime : pm.ask) * 500000000ULL;
	pm_arm(pm.due_ns);
	if (changed) {
		memcpy(&in, ext, 4);
		(void)inet_ntop(AF_INET, &in, eb, sizeof(eb));
		log_info("portmap: %s mapped %s:%u to our port %u for %u s",
		    pm.proto == PROTO_PCP ? "PCP" : "NAT-PMP", eb, eport,
		    pm.port, lifetime);
		disc_portmap_changed();
	}
}

/* the gateway's epoch: a restart lost our mapping (this answer remade it) */
static void
pm_epoch(uint32_t epoch)
{
	uint64_t	now = mesh_monotonic_ns() / 1000000000ULL;
	int		lost;

	if (pm.has_epoch) {
		lost = pm.proto == PROTO_PCP ?
		    pcp_epoch_lost(pm.epoch, pm.epoch_at, epoch, now) :
		    natpmp_epoch_lost(pm.epoch, pm.epoch_at, epoch, now);
		if (lost) {
			pm.restarted = time(NULL);
			log_info("portmap: the gateway restarted (epoch %u, "
			    "was %u): mapping again", epoch, pm.epoch);
		}
	}
	pm.has_epoch = 1;
	pm.epoch = epoch;
	pm.epoch_at = now;
}

static void
pcp_in(const uint8_t *buf, size_t len)
{
	struct pcp_resp	 r;
	const char	*why;
	char		 gb[INET_ADDRSTRLEN];

	if (pcp_parse_response(buf, len, &r, &why) == -1) {
		net_stats()->mesh[MESH_CTR_PORTMAP_BAD]++;
		log_debug("portmap: a PCP answer dropped: %s", why);
		return;
	}
	if (r.natpmp || r.result == PCP_UNSUPP_VERSION) {
		pm_to_natpmp();
		return;
	}
	if (r.op != PCP_OP_MAP || (r.has_map && (CRYPTO_memcmp(r.nonce,
	    pm.nonce, sizeof(r.nonce)) != 0 || r.proto != PCP_PROTO_UDP ||
	    r.iport != pm.port))) {
		net_stats()->mesh[MESH_CTR_PORTMAP_BAD]++;
		return;
	}
	pm_epoch(r.epoch);
	if (r.result != PCP_SUCCESS) {
		pm_set_why("PCP: the gateway %s says %s", gw_str(gb,
		    sizeof(gb)), pcp_result_words(r.result));
		pm_fail();
		return;
	}
	if (!r.has_map || !pcp_addr_is_v4(r.eaddr)) {
		net_stats()->mesh[MESH_CTR_PORTMAP_BAD]++;
		return;
	}
	pm_mapped(r.eaddr + 12, r.eport, r.lifetime);
}

static void
natpmp_in(const uint8_t *buf, size_t len)
{
	struct natpmp_resp	 r;
	const char		*why;
	char			 gb[INET_ADDRSTRLEN];

	if (natpmp_parse(buf, len, &r, &why) == -1) {
		net_stats()->mesh[MESH_CTR_PORTMAP_BAD]++;
		log_debug("portmap: a NAT-PMP answer dropped: %s", why);
		return;
	}
	if ((pm.state == PM_PMP_ADDR && r.op != NATPMP_OP_ADDRESS) ||
	    (pm.state == PM_PMP_MAP && (r.op != NATPMP_OP_MAP_UDP ||
	    (r.result == NATPMP_SUCCESS && r.iport != pm.port)))) {
		net_stats()->mesh[MESH_CTR_PORTMAP_BAD]++;
		return;
	}
	pm_epoch(r.epoch);
	if (r.result != NATPMP_SUCCESS) {
		pm_set_why("NAT-PMP: the gateway %s says %s", gw_str(gb,
		    sizeof(gb)), natpmp_result_name(r.result));
		pm_fail();
		return;
	}
	if (pm.state == PM_PMP_ADDR) {
		memcpy(pm.ext, r.addr, 4);
		pm.state = PM_PMP_MAP;
		pm.tries = 0;
		pm_send();
		return;
	}
	pm_mapped(pm.ext, r.eport, r.lifetime);
}

/*
 * An announcement: the gateway's epoch.  A restart lost our mapping: the
 * request goes now (its answer's epoch is the one we have now).
 */
static void
announce_in(const uint8_t *buf, size_t len,
    const struct sockaddr_storage *from)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)from;
	struct natpmp_resp		 nr;
	struct pcp_resp			 pr;
	uint64_t			 now;
	uint32_t			 epoch;
	char				 gb[INET_ADDRSTRLEN];
	int				 lost;

	if (!pm.on || !pm.has_gw || from->ss_family != AF_INET ||
	    sin->sin_port != htons(NATPMP_PORT) ||
	    memcmp(&sin->sin_addr, pm.gw, 4) != 0)
		return;		/* not our gateway's */
	if (len > 0 && buf[0] == 0 && natpmp_parse(buf, len, &nr, NULL) == 0 &&
	    nr.op == NATPMP_OP_ADDRESS && nr.result == NATPMP_SUCCESS)
		epoch = nr.epoch;
	else if (len > 0 && buf[0] == 2 &&
	    pcp_parse_response(buf, len, &pr, NULL) == 0 &&
	    pr.op == PCP_OP_ANNOUNCE && !pr.natpmp)
		epoch = pr.epoch;
	else {
		net_stats()->mesh[MESH_CTR_PORTMAP_BAD]++;
		return;
	}
	if (pm.state != PM_MAPPED || !pm.has_epoch)
		return;		/* a request running finds out itself */
	now = mesh_monotonic_ns() / 1000000000ULL;
	lost = pm.proto == PROTO_PCP ?
	    pcp_epoch_lost(pm.epoch, pm.epoch_at, epoch, now) :
	    natpmp_epoch_lost(pm.epoch, pm.epoch_at, epoch, now);
	if (!lost)
		return;
	log_info("portmap: the gateway restarted (epoch %u, was %u; %s "
	    "announced it): mapping again", epoch, pm.epoch,
	    gw_str(gb, sizeof(gb)));
	pm.restarted = time(NULL);
	pm.epoch = epoch;
	pm.epoch_at = now;
	pm.renewing = 1;
	pm.tries = 0;
	pm.state = pm.proto == PROTO_PCP ? PM_PCP : PM_PMP_MAP;
	pm_send();
}

static void
announce_read(int fd, short event, void *arg)
{
	uint8_t			buf[1100];
	struct sockaddr_storage	ss;
	struct iovec		iov;
	struct msghdr		mh;
	ssize_t			n;
	int			i;

	/* a few at most: a flood of them costs one turn each */
	for (i = 0; i < 16; i++) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		mh.msg_name = &ss;
		mh.msg_namelen = sizeof(ss);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		/* recvmsg: the sandbox allows it (recvfrom it does not) */
		if ((n = recvmsg(fd, &mh, 0)) == -1)
			return;
		announce_in(buf, n, &ss);
	}
}

/* PM_ANNOUNCE: the parent's socket for announcements, or none */
void
pm_announce_socket(int fd)
{
	if (ann_fd != -1) {
		event_del(&ann_ev);
		close(ann_fd);
	}
	if ((ann_fd = fd) == -1)
		return;
	event_set(&ann_ev, fd, EV_READ | EV_PERSIST, announce_read, NULL);
	event_add(&ann_ev, NULL);
}

int
pm_udp_in(const uint8_t *buf, size_t len, const struct sockaddr_storage *from)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)from;

	if (!pm.has_gw || from->ss_family != AF_INET ||
	    sin->sin_port != htons(NATPMP_PORT) ||
	    memcmp(&sin->sin_addr, pm.gw, 4) != 0)
		return 0;
	switch (pm.state) {
	case PM_PCP:
		pcp_in(buf, len);
		break;
	case PM_PMP_ADDR:
	case PM_PMP_MAP:
		natpmp_in(buf, len);
		break;
	default:
		/* an answer to a delete, or late: nothing to do */
		break;
	}
	return 1;
}

static void
pm_timer(int fd, short event, void *arg)
{
	char	gb[INET_ADDRSTRLEN];

	if (mesh_monotonic_ns() < pm.due_ns) {
		pm_arm(pm.due_ns);
		return;
	}
	switch (pm.state) {
	case PM_PCP:
		if (pm.tries < PM_PCP_TRIES)
			pm_send();
		else if (pm.renewing) {
			pm_set_why("PCP: the gateway %s stopped answering",
			    gw_str(gb, sizeof(gb)));
			pm_fail();
		} else
			pm_to_natpmp();
		break;
	case PM_PMP_ADDR:
	case PM_PMP_MAP:
		if (pm.tries < PM_PMP_TRIES) {
			pm_send();
			break;
		}
		if (pm.renewing)
			pm_set_why("NAT-PMP: the gateway %s stopped "
			    "answering", gw_str(gb, sizeof(gb)));
		else
			pm_set_why("the gateway %s answers neither PCP nor "
			    "NAT-PMP", gw_str(gb, sizeof(gb)));
		pm_fail();
		break;
	case PM_MAPPED:
		/* renew, with the same protocol (and PCP nonce) */
		pm.renewing = 1;
		pm.tries = 0;
		pm.state = pm.proto == PROTO_PCP ? PM_PCP : PM_PMP_MAP;
		pm_send();
		break;
	case PM_NONE:
		pm_start();
		break;
	default:
		break;
	}
}

static void
pm_arm(uint64_t due)
{
	struct timeval	tv;
	uint64_t	now = mesh_monotonic_ns(), d;

	if (!evtimer_initialized(&pm.ev))
		evtimer_set(&pm.ev, pm_timer, NULL);
	d = due > now ? due - now : 0;
	tv.tv_sec = d / 1000000000ULL;
	tv.tv_usec = (d % 1000000000ULL) / 1000;
	evtimer_add(&pm.ev, &tv);
}

/* lifetime 0: the gateway forgets it (not waited for) */
static void
pm_delete(void)
{
	uint8_t	buf[PCP_MAP_LEN];

	if (pm.state != PM_MAPPED && !pm.renewing)
		return;
	if (pm.proto == PROTO_PCP)
		pm_sendbuf(buf, pcp_build(buf, sizeof(buf), 0));
	else
		pm_sendbuf(buf, natpmp_map_request(buf, sizeof(buf),
		    NATPMP_OP_MAP_UDP, pm.port, 0, 0));
	log_info("portmap: mapping of port %u deleted", pm.port);
	pm.state = PM_OFF;
	pm.renewing = 0;
	pm.eport = 0;
	pm.lifetime = 0;
	if (evtimer_initialized(&pm.ev))
		evtimer_del(&pm.ev);
}

void
pm_reconf(int on, uint16_t port, uint32_t lifetime)
{
	uint32_t	ask = lifetime != 0 ? lifetime : NATPMP_LIFETIME;

	if (!on || port != pm.port) {
		pm_delete();
		if (!on && pm.on)
			disc_portmap_changed();
	}
	if (on && pm.on && port == pm.port && ask == pm.ask)
		return;
	pm.on = on;
	pm.port = port;
	pm.ask = ask;
	if (!on) {
		pm.state = PM_OFF;
		if (evtimer_initialized(&pm.ev))
			evtimer_del(&pm.ev);
		return;
	}
	pm_start();
}

void
pm_gateway(const uint8_t *gw)
{
	if ((gw == NULL && !pm.has_gw) ||
	    (gw != NULL && pm.has_gw && memcmp(gw, pm.gw, 4) == 0))
		return;
	pm_delete();
	pm.has_gw = gw != NULL;
	if (gw != NULL)
		memcpy(pm.gw, gw, 4);
	if (pm.addrs != NULL)
		pm_addrs(pm.addrs);
	pm.has_epoch = 0;
	if (pm.on)
		pm_start();
	disc_portmap_changed();
}

/* our address toward the gateway: the one whose prefix holds it */
void
pm_addrs(const struct mesh_net_addrs *a)
{
	uint32_t	gw, ad, mask;
	size_t		i;
	int		first = 1;

	pm.addrs = a;
	memcpy(&gw, pm.gw, 4);
	for (i = 0; i < a->naddrs; i++) {
		if (a->addrs[i].af != 4)
			continue;
		memcpy(&ad, a->addrs[i].addr, 4);
		mask = a->addrs[i].plen == 0 ? 0 :
		    htonl(0xffffffffU << (32 - a->addrs[i].plen));
		if (first)
			memcpy(pm.local, &ad, 4);
		first = 0;
		if (pm.has_gw && (ad & mask) == (gw & mask)) {
			memcpy(pm.local, &ad, 4);
			break;
		}
	}
}

int
pm_candidate(struct coord_cand *c)
{
	if (pm.state != PM_MAPPED && !pm.renewing)
		return 0;
	memset(c, 0, sizeof(*c));
	c->af = 4;
	c->kind = COORD_CAND_MAPPED;
	c->port = pm.eport;
	memcpy(c->addr, pm.ext, 4);
	return 1;
}

void
pm_netcheck(struct ctl_netcheck *nc)
{
	struct in_addr	in;
	char		eb[INET_ADDRSTRLEN], gb[INET_ADDRSTRLEN];
	int64_t		left;

	if (pm.has_gw)
		(void)strlcpy(nc->pm_gateway, gw_str(gb, sizeof(gb)),
		    sizeof(nc->pm_gateway));
	switch (pm.state) {
	case PM_OFF:
		(void)strlcpy(nc->pm_proto, "off", sizeof(nc->pm_proto));
		(void)strlcpy(nc->pm_why, "port-mapping off",
		    sizeof(nc->pm_why));
		return;
	case PM_NOGW:
		(void)strlcpy(nc->pm_proto, "none", sizeof(nc->pm_proto));
		(void)strlcpy(nc->pm_why, "no IPv4 default gateway",
		    sizeof(nc->pm_why));
		return;
	case PM_NONE:
		(void)strlcpy(nc->pm_proto, "none", sizeof(nc->pm_proto));
		(void)strlcpy(nc->pm_why, pm.why, sizeof(nc->pm_why));
		return;
	default:
		break;
	}
	if (pm.state != PM_MAPPED && !pm.renewing) {
		(void)strlcpy(nc->pm_proto, "none", sizeof(nc->pm_proto));
		(void)snprintf(nc->pm_why, sizeof(nc->pm_why), "asking the "
		    "gateway (%s)", pm.proto == PROTO_PCP ? "PCP" : "NAT-PMP");
		return;
	}
	(void)strlcpy(nc->pm_proto, pm.proto == PROTO_PCP ? "PCP" : "NAT-PMP",
	    sizeof(nc->pm_proto));
	memcpy(&in, pm.ext, 4);
	(void)inet_ntop(AF_INET, &in, eb, sizeof(eb));
	(void)snprintf(nc->pm_external, sizeof(nc->pm_external), "%s:%u", eb,
	    pm.eport);
	left = (int64_t)pm.granted + pm.lifetime - time(NULL);
	nc->pm_lifetime = left > 0 ? left : 0;
	if (pm.restarted != 0)
		(void)snprintf(nc->pm_why, sizeof(nc->pm_why), "the gateway "
		    "restarted %lld s ago; mapped again",
		    (long long)(time(NULL) - pm.restarted));
}

void
pm_shutdown(void)
{
	pm_delete();
}
