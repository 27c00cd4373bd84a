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
 * meshd-tun: the inner side.  It owns the TUN fd the parent opened, the
 * cryptokey routing table, (later) the packet filter, and the mesh DNS
 * (dnsserv.c).  It never sees a key.
 *
 *   TUN -> crypto: parse the inner IPv4/IPv6 header, look the destination
 *	up in the routing table (longest prefix over every peer's
 *	allowed-ips), hand the packet to meshd-crypto with the peer's id;
 *	no peer: drop and count.  Our own encapsulated traffic read back
 *	(a peer's endpoint inside allowed-ips: a routing loop) is dropped
 *	and counted too, where the kernel module refuses with ELOOP.
 *   crypto -> TUN: the peer the packet was authenticated from must own
 *	the inner source address, else drop and count; trim the padding
 *	and write it to the TUN device.
 */

#include <sys/types.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "ippkt.h"
#include "log.h"
#include "offload.h"
#include "pfilter.h"
#include "pktchan.h"
#include "rtable.h"
#include "tun.h"

#define TUN_BATCH	64
#define TUN_LOOP_LOG	60	/* seconds between a peer's loop reports */

static struct conf_snapshot	*conf;
static struct rtable		*rt;
static int			 tun_fd = -1;
static struct event		 tun_ev;
static struct mesh_peer_stats	 nopeer_stats;	/* drops of no known peer */
static struct tun_peer		*peers;		/* sorted by id */
static size_t			 npeers;
/* a ruleset on its way from the parent (FILTER_START .. END) */
static struct mesh_filter_msg	 fload;
static struct filter_rule	*fload_rules;
static size_t			 fload_n;
static int			 fload_on;
static struct event		 expire_ev;
/*
 * TUN offloads: the fd has a vnet header (the parent's choice, lever
 * "tso"); reads of up to 64 KiB go into rbuf and are cut there; writes
 * are coalesced into wbuf unless lever "tungro" is off.
 */
static int			 tun_vnet;
static int			 tungro_off;
static uint8_t			*rbuf;
static uint8_t			*wbuf;
static struct gro		 gro;

static void	 tun_dispatch_parent(struct imsg *);
static void	 tun_dispatch_crypto(struct imsg *);
static void	 tun_reconf(struct conf_snapshot *);
static void	 tun_chan_ready(enum mesh_chan);

static struct child tun_child = {
	.role = PROC_TUN,
	/* nothing from net; from crypto, members and packets */
	.dispatch = {
		[PROC_PARENT] = tun_dispatch_parent,
		[PROC_CRYPTO] = tun_dispatch_crypto,
	},
	.reconf = tun_reconf,
	.chan_ready = tun_chan_ready,
};

static struct tun_peer *
tun_peer_find(uint32_t id)
{
	size_t	lo = 0, hi = npeers, mid;

	if (id >= MESH_DYN_ID_MIN)
		return member_find(id);
	/* peers is sorted by id */
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (peers[mid].id == id)
			return &peers[mid];
		if (peers[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* a peer's counters, made at its first drop; NULL if id is no peer */
static struct tun_ctr *
peer_ctr(uint32_t id)
{
	struct tun_peer	*tp;

	if ((tp = tun_peer_find(id)) == NULL)
		return NULL;
	if (tp->ctr == NULL && (tp->ctr = calloc(1, sizeof(*tp->ctr))) == NULL)
		fatal(NULL);
	return tp->ctr;
}

/* counter f of peer id, or of no known peer */
#define PEER_DROP(id, f) do {						\
	struct tun_ctr	*c_;						\
									\
	if ((c_ = peer_ctr(id)) != NULL)				\
		c_->f++;						\
	else								\
		nopeer_stats.f++;					\
} while (0)

void
tun_peer_stats(const struct tun_peer *tp, struct mesh_peer_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->id = tp->id;
	if (tp->ctr == NULL)
		return;
	st->drop_source = tp->ctr->drop_source;
	st->drop_malformed = tp->ctr->drop_malformed;
	st->drop_loop = tp->ctr->drop_loop;
}

/* src is one of our addresses on the interface, or it has none of them */
static int
own_source(const struct ippkt *ip)
{
	const struct mesh_iface_msg	*im = &conf->iface;
	size_t				 i, alen = ip->version == 4 ? 4 : 16;
	int				 any = 0;

	for (i = 0; i < im->naddrs && i < MESH_MAX_ADDRS; i++) {
		if (im->addrs[i].af != ip->version)
			continue;
		any = 1;
		if (memcmp(im->addrs[i].addr, ip->src, alen) == 0)
			return 1;
	}
	return !any;
}

/*
 * A packet for peer id that is our own encapsulated traffic come back:
 * UDP from our listen port, from our address, shaped like a WireGuard
 * message.  meshd-net sent it to an endpoint that the kernel routes into
 * this interface; encrypting it again would send it round for ever.
 */
static int
own_loop(const uint8_t *pkt, const struct ippkt *ip)
{
	if (conf == NULL || conf->iface.listen_port == 0 ||
	    !ippkt_is_wg_from(pkt, ip, conf->iface.listen_port))
		return 0;
	return own_source(ip);
}

/* the first loop drop of a peer, then once a minute while it goes on */
static void
loop_report(uint32_t id)
{
	struct tun_ctr		*c;
	struct conf_peer	*p;
	struct timespec		 ts;

	if ((c = peer_ctr(id)) == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (c->loop_logged != 0 && ts.tv_sec - c->loop_logged < TUN_LOOP_LOG)
		return;
	p = conf_snapshot_find(conf, id);
	log_info("peer %s: its endpoint lies inside its allowed-ips (a "
	    "routing loop): %llu of our own packets dropped",
	    p != NULL ? p->msg.name : "?",
	    (unsigned long long)(c->drop_loop - c->loop_reported));
	c->loop_logged = ts.tv_sec > 0 ? ts.tv_sec : 1;
	c->loop_reported = c->drop_loop;
}

/* seconds on the monotonic clock: the filter's timeouts */
static time_t
mono_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec + 1;	/* never 0 */
}

/* a peer's name for the filter: a static peer's, else a member's */
static const char *
peer_name(uint32_t id)
{
	struct conf_peer	*p;
	const char		*n;

	if ((n = member_name(id)) != NULL)
		return n;
	if (conf != NULL && id < MESH_DYN_ID_MIN &&
	    (p = conf_snapshot_find(conf, id)) != NULL)
		return p->msg.name;
	return NULL;
}

static uint32_t
route(const struct ippkt *ip, int dst)
{
	const uint8_t	*a = dst ? ip->dst : ip->src;

	if (rt == NULL)		/* no config yet: no peer */
		return 0;
	return ip->version == 4 ? rtable_lookup4(rt, a) :
	    rtable_lookup6(rt, a);
}

/*
 * One packet in a reserved slot, len bytes read: to crypto, or dropped
 * and counted (the slot cancelled).
 */
static void
outbound_one(struct pktchan *ch, uint8_t *slot, size_t len, time_t now)
{
	struct ippkt	 ip;
	uint32_t	 id;

	nopeer_stats.rx_packets++;
	if (ippkt_parse(slot, len, &ip) == -1) {
		pktchan_cancel(ch);
		nopeer_stats.drop_malformed++;
		return;
	}
	if ((id = route(&ip, 1)) == 0) {
		pktchan_cancel(ch);
		nopeer_stats.drop_noroute++;
		return;
	}
	if (own_loop(slot, &ip)) {
		pktchan_cancel(ch);
		PEER_DROP(id, drop_loop);
		nopeer_stats.drop_loop++;
		loop_report(id);
		return;
	}
	if (!filter_check(slot, &ip, FILTER_OUT, id, now)) {
		pktchan_cancel(ch);
		return;
	}
	pktchan_commit(ch, ip.len, id, NULL, 0);
}

/*
 * A read with a vnet header: a packet, or a super-packet cut into
 * segments, each into its own slot and on as if read alone.
 */
static void
outbound_vnet(struct pktchan *ch, size_t n, time_t now)
{
	struct tso	 t;
	uint8_t		*slot;
	size_t		 maxpkt = pktchan_maxpkt(ch);
	ssize_t		 len;

	if (tso_start(&t, rbuf, n) == -1) {
		nopeer_stats.rx_packets++;
		nopeer_stats.drop_malformed++;
		return;
	}
	if (t.gso)
		nopeer_stats.mesh[MESH_CTR_TUN_SUPER]++;
	for (;;) {
		if ((slot = pktchan_reserve(ch, maxpkt)) == NULL) {
			/* the ring is full: the rest goes nowhere */
			nopeer_stats.rx_packets += tso_left(&t);
			nopeer_stats.drop_full += tso_left(&t);
			return;
		}
		if ((len = tso_next(&t, slot, maxpkt)) <= 0) {
			pktchan_cancel(ch);
			if (len == -1) {
				nopeer_stats.rx_packets++;
				nopeer_stats.drop_malformed++;
			}
			return;
		}
		if (t.gso)
			nopeer_stats.mesh[MESH_CTR_TUN_SEGMENTS]++;
		outbound_one(ch, slot, len, now);
	}
}

static void
tun_read(int fd, short event, void *arg)
{
	struct pktchan	*ch = self->chan[CHAN_TUN_CRYPTO];
	uint8_t		*slot;
	size_t		 maxpkt;
	ssize_t		 n;
	time_t		 now = mono_now();
	int		 i;

	if (ch == NULL)
		return;
	maxpkt = pktchan_maxpkt(ch);
	/* bounded, so other events get their turn */
	for (i = 0; i < TUN_BATCH; i++) {
		if (tun_vnet) {
			if ((n = read(fd, rbuf, OFFLOAD_BUFLEN)) <= 0) {
				if (n == -1 && errno != EAGAIN &&
				    errno != EINTR)
					log_warn("read from TUN");
				break;
			}
			outbound_vnet(ch, n, now);
			continue;
		}
		if ((slot = pktchan_reserve(ch, maxpkt)) == NULL) {
			nopeer_stats.drop_full++;
			/* the ring is full: drain the TUN into nothing */
			uint8_t junk[2048];
			if (read(fd, junk, sizeof(junk)) <= 0)
				break;
			nopeer_stats.rx_packets++;
			continue;
		}
		if ((n = read(fd, slot, maxpkt)) <= 0) {
			pktchan_cancel(ch);
			if (n == -1 && errno != EAGAIN && errno != EINTR)
				log_warn("read from TUN");
			break;
		}
		outbound_one(ch, slot, n, now);
	}
	pktchan_flush(ch);
}

/* gro's writes: a vnet header and a packet */
static void
tun_write_vnet(void *arg, const uint8_t *buf, size_t len)
{
	if (write(tun_fd, buf, len) == -1 && errno != EAGAIN)
		log_debug("write to TUN: %s", strerror(errno));
}

/* crypto -> TUN: check the inner source, write */
static void
inbound_write(struct pktchan_pkt *pkts, size_t n)
{
	struct ippkt	 ip;
	size_t		 i;
	time_t		 now = mono_now();

	for (i = 0; i < n; i++) {
		if (tun_fd == -1)
			break;
		if (ippkt_parse(pkts[i].data, pkts[i].len, &ip) == -1) {
			PEER_DROP(pkts[i].peer_id, drop_malformed);
			continue;
		}
		if (route(&ip, 0) != pkts[i].peer_id) {
			/* a source this peer may not use: spoofed */
			PEER_DROP(pkts[i].peer_id, drop_source);
			continue;
		}
		if (!filter_check(pkts[i].data, &ip, FILTER_IN,
		    pkts[i].peer_id, now))
			continue;
		/* ip.len: without the padding encryption added */
		if (tun_vnet && !tungro_off)
			gro_add(&gro, pkts[i].data, ip.len);
		else if (tun_vnet)
			gro_write_one(&gro, pkts[i].data, ip.len);
		else if (write(tun_fd, pkts[i].data, ip.len) == -1 &&
		    errno != EAGAIN)
			log_debug("write to TUN: %s", strerror(errno));
	}
	/* pkts[] is the batch's private copy: held segments point in it */
	if (tun_vnet && tun_fd != -1) {
		gro_flush(&gro);
		nopeer_stats.mesh[MESH_CTR_TUN_GRO_WRITES] = gro.writes;
		nopeer_stats.mesh[MESH_CTR_TUN_GRO_SEGMENTS] = gro.merged;
	}
}

static void
tun_chan_ready(enum mesh_chan c)
{
	if (c == CHAN_CRYPTO_TUN)
		child_chan_consume(c, inbound_write, NULL);
}

static void
send_stats(uint32_t reqid)
{
	struct mesh_peer_stats	st;
	size_t			i;

	for (i = 0; i < npeers; i++) {
		/*
		 * Nothing counted, nothing sent: the parent shows zeros
		 * for a peer no child told of (10,000 idle peers cost no
		 * 10,000 records queued at once)
		 */
		if (peers[i].ctr == NULL)
			continue;
		tun_peer_stats(&peers[i], &st);
		child_compose(PROC_PARENT, IMSG_PEER_STATS, reqid, -1, &st,
		    sizeof(st));
	}
	members_stats(reqid);
	child_stats_end(reqid, &nopeer_stats);
}

static void
tun_set_fd(struct imsg *imsg)
{
	if (tun_fd != -1) {
		event_del(&tun_ev);
		close(tun_fd);
	}
	if ((tun_fd = imsg_get_fd(imsg)) == -1)
		fatalx("TUN_FD without a descriptor");
	if (imsg_get_len(imsg) == 1) {
		uint8_t	v;

		if (imsg_get_data(imsg, &v, sizeof(v)) == -1 || v > 1)
			fatalx("TUN_FD: bad message");
		tun_vnet = v;
	} else if (imsg_get_len(imsg) != 0)
		fatalx("TUN_FD: bad message");
	if (tun_vnet && rbuf == NULL) {
		if ((rbuf = malloc(OFFLOAD_BUFLEN)) == NULL ||
		    (wbuf = malloc(OFFLOAD_BUFLEN)) == NULL)
			fatal(NULL);
		gro_init(&gro, wbuf, tun_write_vnet, NULL);
	}
	log_debug("TUN: %s%s", tun_vnet ? "vnet header, offloads on" :
	    "no offloads", tun_vnet && tungro_off ? ", writes one by one" :
	    "");
	event_set(&tun_ev, tun_fd, EV_READ | EV_PERSIST, tun_read, NULL);
	event_add(&tun_ev, NULL);
}

/* FILTER_START, FILTER_RULES, FILTER_END: a ruleset, swapped in whole */
static void
filter_msg(struct imsg *imsg)
{
	size_t	len = imsg_get_len(imsg), n;

	switch (imsg_get_type(imsg)) {
	case IMSG_FILTER_START:
		if (fload_on || imsg_get_data(imsg, &fload,
		    sizeof(fload)) == -1 || fload.nrules > FILTER_RULES_MAX ||
		    fload.limit > FILTER_STATES_MAX ||
		    (!fload.present && fload.nrules != 0))
			fatalx("FILTER_START: bad message");
		free(fload_rules);
		fload_rules = NULL;
		if (fload.nrules > 0 && (fload_rules = calloc(fload.nrules,
		    sizeof(*fload_rules))) == NULL)
			fatal(NULL);
		fload_n = 0;
		fload_on = 1;
		break;
	case IMSG_FILTER_RULES:
		n = len / sizeof(*fload_rules);
		if (!fload_on || len == 0 || len % sizeof(*fload_rules) != 0 ||
		    n > FILTER_RULES_CHUNK || n > fload.nrules - fload_n ||
		    imsg_get_data(imsg, fload_rules + fload_n, len) == -1)
			fatalx("FILTER_RULES: bad message");
		fload_n += n;
		break;
	case IMSG_FILTER_END:
		if (!fload_on || fload_n != fload.nrules)
			fatalx("FILTER_END: rules missing");
		filter_load(&fload, fload_rules, mono_now());
		fload_rules = NULL;
		fload_on = 0;
		log_debug("filter: %s, %zu rules", filter_active() ?
		    "on" : "off", filter_nrules());
		break;
	}
}

static void
show_state(const struct ctl_filter_state *cs, void *arg)
{
	child_compose(PROC_PARENT, IMSG_CTL_FILTER_STATE, *(uint32_t *)arg,
	    -1, cs, sizeof(*cs));
}

/* show filter and show states: a head, the lines, an END */
static void
filter_show(uint32_t reqid, int states)
{
	struct ctl_filter	 cf;
	struct ctl_filter_rule	 cr;
	size_t			 i;

	filter_summary(&cf);
	child_compose(PROC_PARENT, IMSG_CTL_FILTER, reqid, -1, &cf,
	    sizeof(cf));
	if (states)
		filter_states_walk(show_state, &reqid, mono_now());
	else
		for (i = 0; i < filter_nrules(); i++) {
			filter_rule_info(i, &cr);
			child_compose(PROC_PARENT, IMSG_CTL_FILTER_RULE, reqid,
			    -1, &cr, sizeof(cr));
		}
	child_compose(PROC_PARENT, IMSG_CTL_END, reqid, -1, NULL, 0);
}

static void
filter_tick(int fd, short event, void *arg)
{
	struct timeval	tv = { 1, 0 };

	filter_expire(mono_now());
	evtimer_add(&expire_ev, &tv);
}

static void
tun_dispatch_parent(struct imsg *imsg)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_FILTER_START:
	case IMSG_FILTER_RULES:
	case IMSG_FILTER_END:
		filter_msg(imsg);
		break;
	case IMSG_CTL_SHOW_FILTER:
	case IMSG_CTL_SHOW_STATES:
		filter_show(imsg_get_id(imsg),
		    imsg_get_type(imsg) == IMSG_CTL_SHOW_STATES);
		break;
	case IMSG_TUN_FD:
		tun_set_fd(imsg);
		break;
	case IMSG_STATS_REQ:
		send_stats(imsg_get_id(imsg));
		break;
	case IMSG_DNS_CONF:
		dns_conf(imsg);
		break;
	case IMSG_DNS_SOCKET:
		dns_socket(imsg);
		break;
	case IMSG_CTL_SHOW_DNS:
		dns_show(imsg_get_id(imsg));
		break;
	case IMSG_EXIT_NODE:
		member_exit(imsg, rt);
		break;
	default:
		child_unexpected(PROC_PARENT, imsg);
	}
}

static void
tun_dispatch_crypto(struct imsg *imsg)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_MEMBER:
		member_add(imsg, rt);
		dns_changed(NULL);
		break;
	case IMSG_PEER_GONE:
		member_gone(imsg, rt);
		dns_changed(NULL);
		break;
	default:
		child_unexpected(PROC_CRYPTO, imsg);
	}
}

static int
tun_peer_cmp(const void *a, const void *b)
{
	const struct tun_peer *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void
tun_reconf(struct conf_snapshot *cs)
{
	struct conf_peer	*p;
	struct rtable		*nrt;
	struct tun_peer	*ns, *old;
	size_t			 i, n = 0;

	/* a whole new table: it is fast, and a failure keeps the old one */
	if ((nrt = rtable_new()) == NULL)
		fatal("rtable_new");
	if ((ns = calloc(cs->npeers + 1, sizeof(*ns))) == NULL)
		fatal(NULL);
	TAILQ_FOREACH(p, &cs->peers, entry) {
		for (i = 0; i < p->msg.naips; i++)
			if (rtable_insert(nrt, &p->aips[i], p->msg.id) == -1)
				fatal("rtable_insert");
		ns[n].id = p->msg.id;
		/* counters of peers that stay, stay */
		if ((old = tun_peer_find(p->msg.id)) != NULL) {
			ns[n] = *old;
			old->ctr = NULL;
		}
		n++;
	}
	/* the mesh's members stay, config or not */
	members_insert(nrt);
	qsort(ns, n, sizeof(*ns), tun_peer_cmp);
	if (rt != NULL)
		rtable_free(rt);
	rt = nrt;
	for (i = 0; i < npeers; i++)
		free(peers[i].ctr);	/* of peers the config lost */
	free(peers);
	peers = ns;
	npeers = n;
	conf_snapshot_free(conf);
	conf = cs;
	dns_changed(conf);
	log_debug("config: %zu peers, %zu routes", conf->npeers,
	    rtable_count(rt));
}

int
main(int argc, char *argv[])
{
	static const struct filter_lookup fl = {
		.name = peer_name,
		.group = member_in_group,
	};
	struct timeval	tv = { 1, 0 };

	filter_set_lookup(&fl);
	/* the ablation's switch, before the sandbox (the parent has "tso") */
	tungro_off = mesh_lever_off("tungro");
	child_start(&tun_child, argc, argv, NULL);
	evtimer_set(&expire_ev, filter_tick, NULL);
	evtimer_add(&expire_ev, &tv);
	event_dispatch();
	fatalx("event loop ended");
}
