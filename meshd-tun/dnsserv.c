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
 * Mesh DNS: answers on UDP and TCP port 53 of this node's mesh addresses,
 * from verified facts only (dns.c writes the answers):
 *
 *   this.DOMAIN and OURNAME.DOMAIN	the interface's addresses
 *   MEMBER.DOMAIN			the addresses of its certificate, as
 *					crypto sent them (IMSG_MEMBER)
 *   PEER.DOMAIN			a static peer's host routes among its
 *					allowed-ips (/32 and /128): the
 *					addresses that are the peer itself,
 *					not the networks behind it; a peer
 *					with none has the name, no records
 *
 * in that order when two have one name.  Lookups read the tables as
 * they are, so a member answers from the moment crypto admits it and is
 * gone the moment it is revoked.
 *
 * The sockets come from the parent, bound to the mesh addresses (the
 * node's own address is local: the kernel delivers a query to it over
 * loopback, never into the TUN device, so tun could not see it there).
 * tun only receives, sends and accepts on them (sandbox.c).  TCP takes
 * DNS_TCP_CONNS connections at a time, each a 2-byte length and a query
 * of at most DNS_TCP_QMAX bytes, one answer written before the next
 * query is read, closed after DNS_TCP_IDLE seconds of nothing.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "byteorder.h"
#include "child.h"
#include "dns.h"
#include "log.h"
#include "tun.h"

#define DNS_TCP_CONNS	8
#define DNS_TCP_IDLE	10		/* seconds */
#define DNS_TCP_QMAX	4096		/* no query of ours is bigger */
#define DNS_UDP_BATCH	32		/* datagrams per wake-up */

struct dns_sock {
	int		 fd;
	int		 tcp;
	struct event	 ev;
};

struct dns_conn {
	int		 fd;			/* -1: free */
	struct event	 ev;
	uint8_t		 in[2 + DNS_TCP_QMAX];
	size_t		 inlen;
	uint8_t		*out;			/* an answer not yet written */
	size_t		 outlen;
	size_t		 outoff;
};

static struct dns_zone		 zone;
static char			 selfname[MESH_NAME_MAX];
static struct conf_snapshot	*dconf;		/* tun.c's */
static struct dns_sock		 socks[MESH_DNS_SOCKS];
static size_t			 nsocks;
static size_t			 expect;	/* DNS_SOCKETs to come */
static struct dns_conn		 conns[DNS_TCP_CONNS];
static size_t			 nconns;
static struct ctl_dns		 st;
static uint8_t			 ans[2 + DNS_TCP_MAX];	/* length first */

static void	 conn_close(struct dns_conn *);
static void	 conn_event(struct dns_conn *);

/* the interface's addresses: the node itself */
static void
self_addrs(struct dns_addrs *as)
{
	const struct mesh_iface_msg	*im = &dconf->iface;
	size_t				 i;

	for (i = 0; i < im->naddrs && i < MESH_MAX_ADDRS &&
	    as->n < DNS_ADDRS_MAX; i++) {
		as->a[as->n].af = im->addrs[i].af;
		memcpy(as->a[as->n].addr, im->addrs[i].addr, 16);
		as->n++;
	}
}

/* a static peer's name: its host routes */
static int
peer_addrs(const char *name, struct dns_addrs *as)
{
	struct conf_peer	*p;
	struct mesh_prefix	*a;
	size_t			 i;

	TAILQ_FOREACH(p, &dconf->peers, entry) {
		if (strcasecmp(p->msg.name, name) != 0)
			continue;
		for (i = 0; i < p->msg.naips && as->n < DNS_ADDRS_MAX; i++) {
			a = &p->aips[i];
			if (a->plen != (a->af == 4 ? 32 : 128))
				continue;
			as->a[as->n].af = a->af;
			memcpy(as->a[as->n].addr, a->addr, 16);
			as->n++;
		}
		return 0;
	}
	return -1;
}

static int
lookup(const char *label, struct dns_addrs *as, void *arg)
{
	as->n = 0;
	if (dconf == NULL)
		return -1;
	if (strcmp(label, "this") == 0 ||
	    (selfname[0] != '\0' && strcasecmp(label, selfname) == 0)) {
		self_addrs(as);
		return 0;
	}
	if (member_dns(label, as) == 0)
		return 0;
	return peer_addrs(label, as);
}

/* one query: the answer at ans + 2, its length (0: none) */
static size_t
dns_handle(const uint8_t *q, size_t qlen, int tcp)
{
	enum dns_result	 r;
	size_t		 alen;
	int		 tc;

	st.queries++;
	if (tcp)
		st.tcp_queries++;
	r = dns_answer(&zone, q, qlen, tcp, ans + 2, sizeof(ans) - 2, &alen,
	    &tc);
	switch (r) {
	case DNS_R_ANSWER:
		st.answered++;
		break;
	case DNS_R_NXDOMAIN:
		st.nxdomain++;
		break;
	case DNS_R_REFUSED:
		st.refused++;
		break;
	default:
		st.malformed++;
		break;
	}
	if (tc)
		st.truncated++;
	return alen;
}

static void
udp_read(int fd, short event, void *arg)
{
	struct sockaddr_storage	 ss;
	uint8_t			 q[DNS_TCP_QMAX];
	struct iovec		 iov;
	struct msghdr		 mh;
	ssize_t			 n;
	size_t			 alen;
	int			 i;

	for (i = 0; i < DNS_UDP_BATCH; i++) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = q;
		iov.iov_len = sizeof(q);
		mh.msg_name = &ss;
		mh.msg_namelen = sizeof(ss);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if ((n = recvmsg(fd, &mh, MSG_DONTWAIT)) == -1) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("dns: recvmsg");
			return;
		}
		if (mh.msg_flags & MSG_TRUNC) {
			st.queries++;
			st.malformed++;		/* no query is that big */
			continue;
		}
		if ((alen = dns_handle(q, n, 0)) == 0)
			continue;
		iov.iov_base = ans + 2;
		iov.iov_len = alen;
		mh.msg_flags = 0;
		if (sendmsg(fd, &mh, MSG_DONTWAIT) == -1)
			log_debug("dns: sendmsg: %s", strerror(errno));
	}
}

/* the queries that came whole, one at a time; -1: close */
static int
conn_queries(struct dns_conn *c)
{
	size_t	qlen, alen;

	while (c->out == NULL && c->inlen >= 2) {
		qlen = get_be16(c->in);
		if (qlen > DNS_TCP_QMAX || qlen < DNS_HDR_LEN) {
			st.queries++;
			st.malformed++;
			return -1;
		}
		if (c->inlen < 2 + qlen)
			return 0;
		alen = dns_handle(c->in + 2, qlen, 1);
		memmove(c->in, c->in + 2 + qlen, c->inlen - 2 - qlen);
		c->inlen -= 2 + qlen;
		if (alen == 0)
			return -1;	/* a response, or no DNS at all */
		put_be16(ans, alen);
		if ((c->out = malloc(alen + 2)) == NULL)
			return -1;
		memcpy(c->out, ans, alen + 2);
		c->outlen = alen + 2;
		c->outoff = 0;
	}
	return 0;
}

static int
conn_write(struct dns_conn *c)
{
	ssize_t	n;

	n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
	if (n == -1)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	c->outoff += n;
	if (c->outoff == c->outlen) {
		free(c->out);
		c->out = NULL;
	}
	return 0;
}

static void
conn_cb(int fd, short event, void *arg)
{
	struct dns_conn	*c = arg;
	ssize_t		 n;

	if (event & EV_TIMEOUT) {
		conn_close(c);
		return;
	}
	if (event & EV_READ) {
		n = read(fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
			conn_close(c);
			return;
		}
		if (n > 0)
			c->inlen += n;
	}
	/* answer, write what we can; more queries once it is out */
	do {
		if (conn_queries(c) == -1 ||
		    (c->out != NULL && conn_write(c) == -1)) {
			conn_close(c);
			return;
		}
	} while (c->out == NULL && c->inlen >= 2 &&
	    c->inlen >= 2 + (size_t)get_be16(c->in));
	conn_event(c);
}

static void
conn_event(struct dns_conn *c)
{
	struct timeval	tv = { DNS_TCP_IDLE, 0 };

	event_set(&c->ev, c->fd, c->out != NULL ? EV_WRITE : EV_READ,
	    conn_cb, c);
	event_add(&c->ev, &tv);
}

static void
conn_close(struct dns_conn *c)
{
	if (c->fd == -1)
		return;
	event_del(&c->ev);
	close(c->fd);
	free(c->out);
	c->out = NULL;
	c->fd = -1;
	nconns--;
}

static void
tcp_accept(int fd, short event, void *arg)
{
	struct dns_conn	*c = NULL;
	size_t		 i;
	int		 s;

	if ((s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("dns: accept4");
		return;
	}
	for (i = 0; i < DNS_TCP_CONNS && c == NULL; i++)
		if (conns[i].fd == -1)
			c = &conns[i];
	if (c == NULL) {
		st.tcp_full++;
		close(s);
		return;
	}
	c->fd = s;
	c->inlen = 0;
	nconns++;
	conn_event(c);
}

static void
socks_close(void)
{
	size_t	i;

	for (i = 0; i < nsocks; i++) {
		event_del(&socks[i].ev);
		close(socks[i].fd);
	}
	nsocks = 0;
	for (i = 0; i < DNS_TCP_CONNS; i++)
		conn_close(&conns[i]);
}

void
dns_conf(struct imsg *imsg)
{
	struct mesh_dns_msg	dm;
	static int		init;
	size_t			i;

	if (!init) {
		for (i = 0; i < DNS_TCP_CONNS; i++)
			conns[i].fd = -1;
		zone.lookup = lookup;
		init = 1;
	}
	if (imsg_get_data(imsg, &dm, sizeof(dm)) == -1 ||
	    dm.nsocks > MESH_DNS_SOCKS || dm.ttl > MESH_DNS_TTL_MAX ||
	    expect != 0)
		fatalx("DNS_CONF: bad message");
	dm.domain[sizeof(dm.domain) - 1] = '\0';
	dm.self[sizeof(dm.self) - 1] = '\0';
	if (dm.on && mesh_dns_domain_norm(dm.domain, zone.domain,
	    sizeof(zone.domain)) == -1)
		fatalx("DNS_CONF: bad domain");
	if (!dm.on)
		zone.domain[0] = '\0';
	zone.ttl = dm.ttl;
	(void)strlcpy(selfname, dm.self, sizeof(selfname));
	if (!dm.on || dm.replace)
		socks_close();
	if (dm.on && dm.replace)
		expect = dm.nsocks;
	zone.serial++;
	log_debug("dns: %s, ttl %u, %s", dm.on ? zone.domain : "off", zone.ttl,
	    dm.replace ? "new sockets" : "same sockets");
}

void
dns_socket(struct imsg *imsg)
{
	struct dns_sock	*s;
	uint8_t		 kind;
	int		 fd;

	if ((fd = imsg_get_fd(imsg)) == -1 || expect == 0 ||
	    nsocks >= MESH_DNS_SOCKS ||
	    imsg_get_data(imsg, &kind, sizeof(kind)) == -1 || kind > 1)
		fatalx("DNS_SOCKET: bad message");
	expect--;
	s = &socks[nsocks++];
	s->fd = fd;
	s->tcp = kind;
	event_set(&s->ev, fd, EV_READ | EV_PERSIST, kind ? tcp_accept :
	    udp_read, NULL);
	event_add(&s->ev, NULL);
}

void
dns_changed(struct conf_snapshot *cs)
{
	if (cs != NULL)
		dconf = cs;
	zone.serial++;		/* secondaries there are none; caches see it */
}

void
dns_show(uint32_t reqid)
{
	struct conf_peer	*p;
	size_t			 i;

	(void)strlcpy(st.domain, zone.domain, sizeof(st.domain));
	st.ttl = zone.ttl;
	st.serial = zone.serial;
	st.nudp = st.ntcp = 0;
	for (i = 0; i < nsocks; i++) {
		if (socks[i].tcp)
			st.ntcp++;
		else
			st.nudp++;
	}
	st.names = members_count();
	if (dconf != NULL)
		TAILQ_FOREACH(p, &dconf->peers, entry)
			if (!(p->msg.flags & MESH_PEER_F_COORDINATOR))
				st.names++;
	st.tcp_conns = nconns;
	child_compose(PROC_PARENT, IMSG_CTL_DNS, reqid, -1, &st, sizeof(st));
}
