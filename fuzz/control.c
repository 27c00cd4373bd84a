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
 * The parent's control socket, meshd-parent/control.c, facing a client
 * that may send anything, and the children's counters it merges.
 * control.c is included here, not linked, to reach its static
 * control_dispatch() and its connection list; the parent functions it
 * calls (meshd.c) are stubs below.  The configuration is a fixed one
 * read with the real parser.
 *
 * The input is a list of operations: requests composed as meshctl would
 * or raw bytes, written into the client end of a socketpair; a call of
 * the dispatch callback as libevent would make it; counters and ends
 * from the children for a pending show request; the client reading what
 * came back.  Whatever the daemon answers must pass meshctl's own
 * checks (meshctl/reply.c); no request may stay pending once the
 * children have answered; nothing may leak.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

#include "../meshd-parent/control.c"

#include "meshctl.h"

struct parent	 parent;

/* the peer whose CTL_PEER_AIPS the client awaits, across reads */
static struct peer_info	 cpi;
static int		 cpi_open;

static int	 reload_fails;		/* what the stubs answer */
static int	 reload_running;	/* waits for crypto's verdict */
static int	 nchildren_asked;
static char	 reload_text[MESH_RESULT_MAX * 2];

int
parent_reload(char *buf, size_t len)
{
	(void)strlcpy(buf, reload_text, len);
	if (reload_running)
		return EBUSY;
	if (reload_fails)
		return EINVAL;
	reload_running = 1;
	return 0;
}

/* client add and remove (concctl.c) start a reload as parent_reload */
int
conc_client_add(struct imsgbuf *ibuf, const struct ctl_client_req *req,
    char *buf, size_t len)
{
	if (req->name[MESH_NAME_MAX - 1] != '\0')
		abort();	/* control.c ends the name */
	return parent_reload(buf, len);
}

int
conc_client_remove(const struct ctl_client_req *req, char *buf, size_t len)
{
	if (req->name[MESH_NAME_MAX - 1] != '\0')
		abort();
	return parent_reload(buf, len);
}

int
conc_client_list(struct imsgbuf *ibuf, char *buf, size_t len)
{
	(void)strlcpy(buf, "no serve concentrator", len);
	return reload_fails ? ENOENT : 0;
}

void
conc_reload_done(int code)
{
}

/* crypto's verdict on a running reload's keys */
static void
reload_verdict(int good)
{
	struct ctl_change	ch;

	if (!reload_running)
		return;
	reload_running = 0;
	if (good) {
		/* what a reload changed comes first (reload.c) */
		memset(&ch, 0, sizeof(ch));
		ch.kind = CHANGE_ADDED;
		(void)strlcpy(ch.name, "new", sizeof(ch.name));
		control_reload_change(&ch);
		ch.kind = CHANGE_MORE;
		ch.count = 9990;
		control_reload_change(&ch);
	}
	control_reload_done(good ? 0 : EINVAL, reload_text);
}

void
parent_set_verbose(int v)
{
	if (v < 0 || v > 2)
		abort();	/* control.c checks the range */
}

int
parent_stats_request(uint32_t seq)
{
	return nchildren_asked;
}

/* meshd.c gives freed memory back after a burst: nothing to do here */
void
parent_trim_soon(void)
{
}

void
parent_trim_check(void)
{
}

void
parent_shutdown(int code)
{
	abort();
}

/* one more than fits a CTL_PEER_AIPS: show peer sends two */
static void
add_aips(struct peer_conf *p)
{
	struct mesh_prefix	*a;
	size_t			 i, n = p->naips + MESH_AIPS_CHUNK + 1;

	if ((a = reallocarray(p->aips, n, sizeof(*a))) == NULL)
		abort();
	for (i = p->naips; i < n; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].af = 4;
		a[i].plen = 32;
		a[i].addr[0] = 10;
		a[i].addr[2] = i >> 8;
		a[i].addr[3] = i;
	}
	p->aips = a;
	p->naips = n;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char	 text[] =
	    "interface \"mesh0\" {\n"
	    "\taddress 100.64.0.1/24\n\taddress fd00::1/64\n"
	    "\tlisten-port 51820\n"
	    "\tprivate-key-file \"/etc/meshd/mesh0.key\"\n}\n"
	    "peer \"beta\" {\n"
	    "\tpublic-key \"s5Zy9hGip7+6+oHT0ZBGGnhdVewDhZ0LqbtWH1JugWw=\"\n"
	    "\tendpoint \"198.18.0.2:51820\"\n"
	    "\tallowed-ips 100.64.0.2/32, fd00::2/128\n}\n"
	    "peer \"gamma\" {\n"
	    "\tpublic-key \"bC8INqKqOd+iQehsAYbYcovjDdMkVBaLFOMhtONigUE=\"\n"
	    "\tendpoint \"[fd00:1::3]:51820\"\n"
	    "\tpersistent-keepalive 25\n}\n"
	    "peer \"delta\" {\n"
	    "\tpublic-key \"VOMDjjC4nNfUtg+t5hZ1wRABlwirL7L0X3R3ZD7+jkk=\"\n"
	    "\tallowed-ips 100.64.0.4/32\n}\n";
	struct peer_conf	*p;
	char			 path[] = "/tmp/meshd-fuzz-control.XXXXXX";
	enum meshd_role		 r;
	int			 fd;

	fuzz_log_quiet();
	if ((fd = mkstemp(path)) == -1 ||
	    write(fd, text, sizeof(text) - 1) != sizeof(text) - 1)
		abort();
	close(fd);
	parent.conf = parse_config(path, CONF_NOKEYCHECK);
	unlink(path);
	if (parent.conf == NULL) {
		fprintf(stderr, "fuzz: %s", config_errors());
		abort();
	}
	TAILQ_FOREACH(p, &parent.conf->peers, entry)
		p->id = ++parent.next_peer_id;
	add_aips(TAILQ_LAST(&parent.conf->peers, peer_conf_head));
	parent.listen_port = 51820;
	parent.has_pubkey = 1;
	memset(parent.pubkey, 0x42, sizeof(parent.pubkey));
	for (r = PROC_NET; r < PROC_MAX; r++) {
		parent.children[r].role = r;
		parent.children[r].pid = 1000 + r;
		parent.children[r].ready = r != PROC_TUN;
		parent.children[r].info.uid = 999;
		parent.children[r].info.chrooted = 1;
		parent.children[r].info.sandboxed = 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &parent.started);
	if (event_init() == NULL)
		abort();
	return 0;
}

/* what meshctl would make of every reply that came back */
static void
client_read(struct imsgbuf *cib)
{
	struct imsg		 imsg;
	struct ctl_status	 st;
	struct ctl_proc		 pr;
	struct ctl_mesh		 cm;
	char			 text[MESH_RESULT_MAX];
	int			 code, n;

	do {
		while ((n = imsgbuf_get(cib, &imsg)) == 1) {
			switch (imsg_get_type(&imsg)) {
			case IMSG_CTL_STATUS:
				n = reply_status(&imsg, &st);
				break;
			case IMSG_CTL_PROC:
				n = reply_proc(&imsg, &pr);
				break;
			case IMSG_CTL_PEER:
				free(cpi.aips);
				cpi.aips = NULL;
				n = cpi_open ? -1 : reply_peer(&imsg, &cpi);
				cpi_open = cpi.ngot < cpi.peer.naips;
				break;
			case IMSG_CTL_PEER_AIPS:
				n = !cpi_open ? -1 :
				    reply_peer_aips(&imsg, &cpi);
				cpi_open = cpi.ngot < cpi.peer.naips;
				break;
			case IMSG_CTL_MESH:
				n = reply_mesh(&imsg, &cm);
				break;
			case IMSG_CTL_END:
				n = reply_end(&imsg);
				break;
			case IMSG_CTL_RESULT:
				n = reply_result(&imsg, &code, text,
				    sizeof(text));
				break;
			case IMSG_CTL_CONFIG_TEXT:
				n = imsg_get_len(&imsg) > 0 &&
				    imsg_get_len(&imsg) <= MESH_CONFIG_CHUNK ?
				    0 : -1;
				break;
			case IMSG_CTL_RELOAD_CHANGE:
				n = imsg_get_len(&imsg) ==
				    sizeof(struct ctl_change) ? 0 : -1;
				break;
			default:
				n = -1;
				break;
			}
			if (cpi_open && imsg_get_type(&imsg) !=
			    IMSG_CTL_PEER_AIPS && imsg_get_type(&imsg) !=
			    IMSG_CTL_PEER)
				n = -1;		/* its allowed-ips cut short */
			if (n == -1) {
				fprintf(stderr, "fuzz: meshctl refuses reply "
				    "type %u, %zu bytes\n",
				    imsg_get_type(&imsg), imsg_get_len(&imsg));
				abort();
			}
			imsg_free(&imsg);
		}
		if (n == -1)
			abort();	/* the daemon sent a garbled stream */
		errno = 0;
	} while ((n = imsgbuf_read(cib)) == 1 && errno != EAGAIN);
}

static int
conn_alive(void)
{
	return !TAILQ_EMPTY(&ctl_conns);
}

static void
op_request(struct fz *f, struct imsgbuf *cib)
{
	struct ctl_peer_req	 req;
	struct peer_conf	*p;
	const uint8_t		*raw;
	uint32_t		 type;
	size_t			 len;
	int			 v, op = fz_u8(f);

	switch (op % 6) {
	case 0:
		/* show status, or show mesh (no mesh block here) */
		type = op & 0x80 ? IMSG_CTL_SHOW_MESH : IMSG_CTL_SHOW_STATUS;
		(void)imsg_compose(cib, type, 0, 0, -1, NULL, 0);
		break;
	case 1:
		memset(&req, 0, sizeof(req));
		/* a peer of the config, all of them, or any name */
		if (op & 0x40) {
			len = fz_take(f, fz_u8(f) % sizeof(req.name), &raw);
			memcpy(req.name, raw, len);
		} else if (op & 0x80) {
			TAILQ_FOREACH(p, &parent.conf->peers, entry)
				if (fz_u8(f) & 1)
					break;
			if (p != NULL)
				(void)strlcpy(req.name, p->name,
				    sizeof(req.name));
		}
		(void)imsg_compose(cib, IMSG_CTL_SHOW_PEERS, 0, 0, -1, &req,
		    sizeof(req));
		break;
	case 2:
		(void)imsg_compose(cib, IMSG_CTL_RELOAD, 0, 0, -1, NULL, 0);
		break;
	case 3:
		v = (int)fz_u32(f);
		(void)imsg_compose(cib, IMSG_CTL_LOG_VERBOSE, 0, 0, -1, &v,
		    sizeof(v));
		break;
	default:
		/* any type, any payload */
		type = op % 6 == 4 ? IMSG_CTL_SHOW_STATUS + fz_u8(f) % 13 :
		    fz_u32(f);
		len = fz_take(f, fz_u16(f) % 4096, &raw);
		(void)imsg_compose(cib, type, fz_u32(f), 0, -1, raw, len);
		break;
	}
	if (imsgbuf_flush(cib) == -1 && errno != EPIPE)
		abort();
}

/* a child's counters, or its end, for a pending request */
static void
op_child(struct fz *f)
{
	struct mesh_peer_stats	 st;
	struct stats_req	*r;
	struct peer_conf	*p;
	uint8_t			 op = fz_u8(f);
	uint32_t		 seq;

	if (op & 0x80) {
		reload_verdict(op & 0x40);
		return;
	}
	/* one of those pending, or any number */
	TAILQ_FOREACH(r, &stats_reqs, entry)
		if (fz_u8(f) & 1)
			break;
	seq = r != NULL ? r->seq : (op & 1) ? fz_u32(f) : stats_seq;
	if (op & 2) {
		control_stats_end(seq);
		return;
	}
	fz_fill(f, &st, sizeof(st));
	/* mostly a peer of the config, or the process's own (id 0) */
	if (op & 4) {
		st.id = 0;
		TAILQ_FOREACH(p, &parent.conf->peers, entry)
			if (fz_u8(f) & 1) {
				st.id = p->id;
				break;
			}
	}
	control_stats(seq, (enum meshd_role)((op >> 3) % (PROC_MAX + 1)),
	    &st);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_conn		*c;
	struct imsgbuf		 cib;
	struct stats_req	*r;
	struct fz		 f;
	const uint8_t		*raw;
	size_t			 len;
	int			 sp[2], op, i;
	uint8_t			 opts;

	fz_init(&f, data, size);
	memset(&cpi, 0, sizeof(cpi));
	cpi_open = 0;
	opts = fz_u8(&f);
	reload_fails = opts & 2;
	reload_running = 0;
	nchildren_asked = (opts >> 2) % 4;
	memset(reload_text, 'x', sizeof(reload_text) - 1);
	reload_text[(opts & 0x10) ? sizeof(reload_text) - 1 : 16] = '\0';

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp) == -1)
		abort();
	/* as control_accept() makes a connection */
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    imsgbuf_init(&c->ibuf, sp[1]) == -1 ||
	    imsgbuf_set_maxsize(&c->ibuf, MESH_MAX_IMSG) == -1 ||
	    imsgbuf_init(&cib, sp[0]) == -1 ||
	    imsgbuf_set_maxsize(&cib, MESH_MAX_IMSG) == -1)
		abort();
	c->uid = opts & 1 ? 0 : 1000;
	c->restricted = (opts & 0x20) != 0;
	event_set(&c->ev, sp[1], EV_READ, control_dispatch, c);
	event_add(&c->ev, NULL);
	TAILQ_INSERT_TAIL(&ctl_conns, c, entry);
	ctl_nconns++;

	for (i = 0; i < 64 && fz_left(&f) > 0; i++) {
		op = fz_u8(&f);
		switch (op % 6) {
		case 0:
		case 1:
			if (conn_alive())
				op_request(&f, &cib);
			break;
		case 2:
			len = fz_take(&f, fz_u16(&f) % 2048, &raw);
			if (conn_alive() && len > 0)
				(void)write(sp[0], raw, len);
			break;
		case 3:
			if (conn_alive())
				control_dispatch(sp[1], op & 0x40 ?
				    EV_READ | EV_WRITE : EV_READ, c);
			break;
		case 4:
			op_child(&f);
			break;
		default:
			client_read(&cib);
			break;
		}
	}
	/* the client hangs up; the children answer what is left */
	shutdown(sp[0], SHUT_WR);
	while (conn_alive())
		control_dispatch(sp[1], EV_READ | EV_WRITE, c);
	while ((r = TAILQ_FIRST(&stats_reqs)) != NULL) {
		if (r->c != NULL)
			abort();	/* its connection is gone */
		control_stats_end(r->seq);
	}
	if (reload_running && reload_conn != NULL)
		abort();		/* its connection is gone too */
	reload_verdict(1);
	client_read(&cib);
	free(cpi.aips);
	if (ctl_nconns != 0)
		abort();
	imsgbuf_clear(&cib);
	close(sp[0]);
	return 0;
}
