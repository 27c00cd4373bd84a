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
 * The conversation with meshd: one request, then its replies until END
 * or RESULT.  Everything is read and checked before anything is printed,
 * so a reply that goes wrong halfway leaves no half a table or half a
 * JSON document behind.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "filter.h"
#include "imsg.h"
#include "meshctl.h"

struct ctl {
	struct imsgbuf		 ibuf;
	const struct output	*o;
	FILE			*out;
	FILE			*err;
};

/* what came back for one request */
struct replies {
	int			 have_status;
	struct ctl_status	 status;
	struct ctl_proc		 procs[MESHCTL_MAX_PROCS];
	size_t			 nprocs;
	struct peer_info	*peers;
	size_t			 npeers;
	size_t			 peers_max;
	int			 have_result;
	int			 code;
	char			 text[MESH_RESULT_MAX];
	struct ctl_change	*changes;	/* reload */
	size_t			 nchanges;
	char			*config;	/* show config, NUL-ended */
	size_t			 config_len;
	int			 have_mesh;	/* show mesh */
	struct ctl_mesh		 mesh;
	int			 have_netcheck;
	struct ctl_netcheck	 netcheck;
	int			 have_dns;	/* show dns */
	struct ctl_dns		 dns;
};

#define MESHCTL_MAX_CHANGES	100000
#define MESHCTL_MAX_CONFIG	(256 * 1024 * 1024)

int
ctl_connect(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static const char *
reply_name(uint32_t type)
{
	switch (type) {
	case IMSG_CTL_STATUS:
		return "status";
	case IMSG_CTL_PROC:
		return "process";
	case IMSG_CTL_PEER:
		return "peer";
	case IMSG_CTL_PEER_AIPS:
		return "peer";		/* its allowed IPs */
	case IMSG_CTL_END:
		return "end";
	case IMSG_CTL_RESULT:
		return "result";
	case IMSG_CTL_RELOAD_CHANGE:
		return "reload change";
	case IMSG_CTL_CONFIG_TEXT:
		return "config text";
	case IMSG_CTL_MESH:
		return "mesh";
	case IMSG_CTL_NETCHECK:
		return "netcheck";
	case IMSG_CTL_DNS:
		return "dns";
	default:
		return "unknown";
	}
}

static int
ctl_send(struct ctl *c, uint32_t type, const void *data, size_t len)
{
	if (imsg_compose(&c->ibuf, type, 0, 0, -1, data, len) == -1 ||
	    imsgbuf_flush(&c->ibuf) == -1) {
		fprintf(c->err, "meshctl: cannot send the request to meshd: "
		    "%s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* the next message from meshd; -1 after saying why there is none */
static int
ctl_next(struct ctl *c, struct imsg *imsg)
{
	int	n;

	for (;;) {
		if ((n = imsgbuf_get(&c->ibuf, imsg)) == -1) {
			fprintf(c->err, "meshctl: bad message from meshd: %s\n",
			    strerror(errno));
			return -1;
		}
		if (n > 0)
			return 0;
		if ((n = imsgbuf_read(&c->ibuf)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fprintf(c->err, "meshctl: read from meshd: %s\n",
			    strerror(errno));
			return -1;
		}
		if (n == 0) {
			fprintf(c->err, "meshctl: meshd closed the connection "
			    "before it answered\n");
			return -1;
		}
	}
}

static void
replies_free(struct replies *r)
{
	size_t	i;

	for (i = 0; i < r->npeers; i++)
		free(r->peers[i].aips);
	free(r->peers);
	r->peers = NULL;
	r->npeers = r->peers_max = 0;
	free(r->changes);
	r->changes = NULL;
	r->nchanges = 0;
	free(r->config);
	r->config = NULL;
	r->config_len = 0;
}

/* a RELOAD_CHANGE: -1 if malformed or too many */
static int
replies_add_change(struct replies *r, struct imsg *imsg)
{
	struct ctl_change	ch, *n;

	if (r->nchanges == MESHCTL_MAX_CHANGES ||
	    imsg_get_data(imsg, &ch, sizeof(ch)) == -1 ||
	    ch.kind < CHANGE_ADDED || ch.kind > CHANGE_MORE)
		return -1;
	ch.name[sizeof(ch.name) - 1] = '\0';
	ch.text[sizeof(ch.text) - 1] = '\0';
	if ((n = reallocarray(r->changes, r->nchanges + 1,
	    sizeof(*n))) == NULL)
		return -1;
	r->changes = n;
	r->changes[r->nchanges++] = ch;
	return 0;
}

/* a CONFIG_TEXT chunk: text without NUL bytes */
static int
replies_add_config(struct replies *r, struct imsg *imsg)
{
	size_t	 len = imsg_get_len(imsg);
	char	*n;

	if (len == 0 || len > MESHCTL_MAX_CONFIG - r->config_len)
		return -1;
	if ((n = realloc(r->config, r->config_len + len + 1)) == NULL)
		return -1;
	r->config = n;
	if (imsg_get_buf(imsg, n + r->config_len, len) == -1 ||
	    memchr(n + r->config_len, '\0', len) != NULL)
		return -1;
	r->config_len += len;
	n[r->config_len] = '\0';
	return 0;
}

/* the last peer still awaits allowed-ips */
static int
replies_peer_open(const struct replies *r)
{
	const struct peer_info	*p;

	if (r->npeers == 0)
		return 0;
	p = &r->peers[r->npeers - 1];
	return p->ngot < p->peer.naips;
}

static int
replies_add_peer(struct ctl *c, struct replies *r, struct imsg *imsg)
{
	struct peer_info	*p;
	size_t			 n;

	if (r->npeers == MESHCTL_MAX_PEERS) {
		fprintf(c->err, "meshctl: meshd sent more than %d peers\n",
		    MESHCTL_MAX_PEERS);
		return -1;
	}
	if (r->npeers == r->peers_max) {
		n = r->peers_max == 0 ? 16 : r->peers_max * 2;
		if ((p = reallocarray(r->peers, n, sizeof(*p))) == NULL) {
			fprintf(c->err, "meshctl: %s\n", strerror(errno));
			return -1;
		}
		r->peers = p;
		r->peers_max = n;
	}
	if (reply_peer(imsg, &r->peers[r->npeers]) == -1)
		return 1;
	r->npeers++;
	return 0;
}

/* the caller checked that one awaits them */
static int
replies_add_aips(struct replies *r, struct imsg *imsg)
{
	return reply_peer_aips(imsg, &r->peers[r->npeers - 1]);
}

/*
 * Reads replies until END or RESULT.  want says which listing we asked
 * for: IMSG_CTL_STATUS (a STATUS, then PROCs), IMSG_CTL_PEER (PEERs),
 * IMSG_CTL_CONFIG_TEXT (chunks of text), IMSG_CTL_RELOAD_CHANGE (changes,
 * then a RESULT), IMSG_CTL_MESH (a MESH, then PEERs) or 0 (only a RESULT
 * will do).  Returns 0, or -1 after
 * printing why.
 */
static int
ctl_collect(struct ctl *c, struct replies *r, uint32_t want)
{
	struct imsg	 imsg;
	uint32_t	 type;
	int		 done = 0, bad, rv;

	memset(r, 0, sizeof(*r));
	while (!done) {
		if (ctl_next(c, &imsg) == -1)
			goto fail;
		type = imsg_get_type(&imsg);
		bad = 0;
		if (type != IMSG_CTL_PEER_AIPS && replies_peer_open(r)) {
			/* the last peer's allowed IPs were cut short */
			imsg_free(&imsg);
			fprintf(c->err, "meshctl: malformed peer message from "
			    "meshd\n");
			goto fail;
		}
		switch (type) {
		case IMSG_CTL_STATUS:
			if (want != IMSG_CTL_STATUS || r->have_status)
				goto unexpected;
			bad = reply_status(&imsg, &r->status) == -1;
			r->have_status = 1;
			break;
		case IMSG_CTL_PROC:
			if (want != IMSG_CTL_STATUS || !r->have_status)
				goto unexpected;
			if (r->nprocs == MESHCTL_MAX_PROCS)
				bad = 1;
			else
				bad = reply_proc(&imsg,
				    &r->procs[r->nprocs++]) == -1;
			break;
		case IMSG_CTL_MESH:
			if (want != IMSG_CTL_MESH || r->have_mesh)
				goto unexpected;
			bad = reply_mesh(&imsg, &r->mesh) == -1;
			r->have_mesh = 1;
			break;
		case IMSG_CTL_NETCHECK:
			if (want != IMSG_CTL_NETCHECK || r->have_netcheck)
				goto unexpected;
			bad = reply_netcheck(&imsg, &r->netcheck) == -1;
			r->have_netcheck = 1;
			break;
		case IMSG_CTL_DNS:
			if (want != IMSG_CTL_DNS || r->have_dns)
				goto unexpected;
			bad = reply_dns(&imsg, &r->dns) == -1;
			r->have_dns = 1;
			break;
		case IMSG_CTL_PEER:
			/* show mesh: its coordinators, after the mesh */
			if (want != IMSG_CTL_PEER && (want != IMSG_CTL_MESH ||
			    !r->have_mesh))
				goto unexpected;
			if ((rv = replies_add_peer(c, r, &imsg)) == -1) {
				imsg_free(&imsg);
				goto fail;
			}
			bad = rv != 0;
			break;
		case IMSG_CTL_PEER_AIPS:
			if ((want != IMSG_CTL_PEER && want != IMSG_CTL_MESH) ||
			    !replies_peer_open(r))
				goto unexpected;
			bad = replies_add_aips(r, &imsg) == -1;
			break;
		case IMSG_CTL_RELOAD_CHANGE:
			if (want != IMSG_CTL_RELOAD_CHANGE)
				goto unexpected;
			bad = replies_add_change(r, &imsg) == -1;
			break;
		case IMSG_CTL_CONFIG_TEXT:
			if (want != IMSG_CTL_CONFIG_TEXT)
				goto unexpected;
			bad = replies_add_config(r, &imsg) == -1;
			break;
		case IMSG_CTL_END:
			if (want == 0 || want == IMSG_CTL_RELOAD_CHANGE ||
			    (want == IMSG_CTL_STATUS && !r->have_status) ||
			    (want == IMSG_CTL_MESH && !r->have_mesh) ||
			    (want == IMSG_CTL_NETCHECK && !r->have_netcheck) ||
			    (want == IMSG_CTL_DNS && !r->have_dns))
				goto unexpected;
			bad = reply_end(&imsg) == -1;
			done = 1;
			break;
		case IMSG_CTL_RESULT:
			bad = reply_result(&imsg, &r->code, r->text,
			    sizeof(r->text)) == -1;
			r->have_result = 1;
			done = 1;
			break;
		default:
			goto unexpected;
		}
		imsg_free(&imsg);
		if (bad) {
			fprintf(c->err, "meshctl: malformed %s message from "
			    "meshd\n", reply_name(type));
			goto fail;
		}
	}
	return 0;

 unexpected:
	imsg_free(&imsg);
	fprintf(c->err, "meshctl: unexpected message from meshd (type %u, "
	    "%s)\n", type, reply_name(type));
 fail:
	replies_free(r);
	return -1;
}

/* a show command that meshd refused: its text to err, exit 1 */
static int
ctl_refused(struct ctl *c, struct replies *r)
{
	text_output.result(c->err, c->err, r->code != 0 ? r->code : EINVAL,
	    r->text);
	replies_free(r);
	return 1;
}

static int
show_status(struct ctl *c)
{
	struct replies	*r;
	int		 ret = 1;

	/* a struct replies holds a whole RESULT text: not on the stack */
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		fprintf(c->err, "meshctl: %s\n", strerror(errno));
		return 1;
	}
	if (ctl_send(c, IMSG_CTL_SHOW_STATUS, NULL, 0) == 0 &&
	    ctl_collect(c, r, IMSG_CTL_STATUS) == 0) {
		if (r->have_result)
			ret = ctl_refused(c, r);
		else {
			c->o->status(c->out, &r->status, r->procs, r->nprocs);
			ret = 0;
		}
	}
	replies_free(r);
	free(r);
	return ret;
}

/* asks for one peer by name, or for all with "" */
static int
ask_peers(struct ctl *c, struct replies *r, const char *name)
{
	struct ctl_peer_req	req;

	memset(&req, 0, sizeof(req));
	(void)strlcpy(req.name, name, sizeof(req.name));
	if (ctl_send(c, IMSG_CTL_SHOW_PEERS, &req, sizeof(req)) == -1)
		return -1;
	return ctl_collect(c, r, IMSG_CTL_PEER);
}

/* waits secs seconds, whatever signals come */
static void
wait_seconds(int secs)
{
	struct timespec	ts, rem;

	ts.tv_sec = secs;
	ts.tv_nsec = 0;
	while (nanosleep(&ts, &rem) == -1 && errno == EINTR)
		ts = rem;
}

static double
elapsed(const struct timespec *t0)
{
	struct timespec	t1;

	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * The peers, once, or with interval twice that many seconds apart: the
 * second sample is shown, with its growth since the first as rates.
 */
static int
show_peers(struct ctl *c, const struct parse_result *res)
{
	struct replies	*r, *first = NULL;
	struct timespec	 t0;
	int		 ret = 1;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (res->interval > 0 && (first = calloc(1, sizeof(*first))) ==
	    NULL)) {
		fprintf(c->err, "meshctl: %s\n", strerror(errno));
		free(r);
		return 1;
	}
	if (first != NULL) {
		if (ask_peers(c, first, "") == -1)
			goto done;
		if (first->have_result) {
			ret = ctl_refused(c, first);
			goto done;
		}
		(void)clock_gettime(CLOCK_MONOTONIC, &t0);
		wait_seconds(res->interval);
	}
	if (ask_peers(c, r, "") == 0) {
		if (r->have_result)
			ret = ctl_refused(c, r);
		else {
			if (first != NULL)
				peers_rates(r->peers, r->npeers, first->peers,
				    first->npeers, elapsed(&t0));
			peers_sort(r->peers, r->npeers, res->sort);
			c->o->peers(c->out, r->peers, r->npeers);
			ret = 0;
		}
	}
 done:
	if (first != NULL)
		replies_free(first);
	free(first);
	replies_free(r);
	free(r);
	return ret;
}

/* a peer name, its control characters as '?' */
static void
put_name(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, fp);
}

/*
 * A name meshd does not know may be the prefix of one it does: look
 * through the whole list, as the command words allow an unambiguous
 * prefix too.  Returns the exit status.
 */
static int
show_peer_prefix(struct ctl *c, const char *name, const char *notfound)
{
	struct replies		*r;
	const struct peer_info	*match = NULL;
	size_t			 i, len = strlen(name), n = 0;
	int			 ret = 1;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		fprintf(c->err, "meshctl: %s\n", strerror(errno));
		return 1;
	}
	if (ask_peers(c, r, "") == -1)
		goto done;
	if (r->have_result) {
		ret = ctl_refused(c, r);
		goto done;
	}
	for (i = 0; i < r->npeers; i++)
		if (strncmp(r->peers[i].peer.name, name, len) == 0) {
			match = &r->peers[i];
			n++;
		}
	if (n == 1) {
		c->o->peer(c->out, match);
		ret = 0;
	} else if (n == 0)
		text_output.result(c->err, c->err, ENOENT, notfound);
	else {
		fputs("meshctl: ambiguous peer name \"", c->err);
		put_name(c->err, name);
		fputs("\"; could be:", c->err);
		for (i = 0; i < r->npeers; i++)
			if (strncmp(r->peers[i].peer.name, name, len) == 0) {
				fputc(' ', c->err);
				put_name(c->err, r->peers[i].peer.name);
			}
		fputc('\n', c->err);
	}
 done:
	replies_free(r);
	free(r);
	return ret;
}

static int
show_peer(struct ctl *c, const char *name)
{
	struct replies	*r;
	char		 notfound[MESH_RESULT_MAX];
	size_t		 i;
	int		 ret = 1;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		fprintf(c->err, "meshctl: %s\n", strerror(errno));
		return 1;
	}
	if (ask_peers(c, r, name) == -1)
		goto done;
	if ((r->have_result && r->code == ENOENT) ||
	    (!r->have_result && r->npeers == 0)) {
		if (r->have_result && r->text[0] != '\0')
			(void)strlcpy(notfound, r->text, sizeof(notfound));
		else
			(void)snprintf(notfound, sizeof(notfound),
			    "no such peer: %s", name);
		ret = show_peer_prefix(c, name, notfound);
	} else if (r->have_result)
		ret = ctl_refused(c, r);
	else if (r->npeers == 1) {
		c->o->peer(c->out, &r->peers[0]);
		ret = 0;
	} else {
		/* one name, several peers: only an exact one will do */
		for (i = 0; i < r->npeers; i++)
			if (strcmp(r->peers[i].peer.name, name) == 0)
				break;
		if (i < r->npeers) {
			c->o->peer(c->out, &r->peers[i]);
			ret = 0;
		} else
			fprintf(c->err, "meshctl: meshd answered with %zu "
			    "peers for \"%s\"\n", r->npeers, name);
	}
 done:
	replies_free(r);
	free(r);
	return ret;
}

/* reload: what changed, then its RESULT */
static int
reload(struct ctl *c)
{
	struct replies	*r;
	int		 ret = 1;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		fprintf(c->err, "meshctl: %s\n", strerror(errno));
		return 1;
	}
	if (ctl_send(c, IMSG_CTL_RELOAD, NULL, 0) == 0 &&
	    ctl_collect(c, r, IMSG_CTL_RELOAD_CHANGE) == 0) {
		c->o->reload(c->out, c->err, r->code, r->text, r->changes,
		    r->nchanges);
		ret = r->code == 0 ? 0 : 1;
	}
	replies_free(r);
	free(r);
	return ret;
}

static int
show_config(struct ctl *c)
{
	struct replies	*r;
	int		 ret = 1;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		fprintf(c->err, "meshctl: %s\n", strerror(errno));
		return 1;
	}
	if (ctl_send(c, IMSG_CTL_SHOW_CONFIG, NULL, 0) == 0 &&
	    ctl_collect(c, r, IMSG_CTL_CONFIG_TEXT) == 0) {
		if (r->have_result)
			ret = ctl_refused(c, r);
		else {
			c->o->config(c->out, r->config != NULL ? r->config :
			    "", r->config_len);
			ret = 0;
		}
	}
	replies_free(r);
	free(r);
	return ret;
}

/* the mesh, and its coordinators as peers */
static int
show_mesh(struct ctl *c)
{
	struct replies	*r;
	int		 ret = 1;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		fprintf(c->err, "meshctl: %s\n", strerror(errno));
		return 1;
	}
	if (ctl_send(c, IMSG_CTL_SHOW_MESH, NULL, 0) == 0 &&
	    ctl_collect(c, r, IMSG_CTL_MESH) == 0) {
		if (r->have_result)
			ret = ctl_refused(c, r);
		else {
			c->o->mesh(c->out, &r->mesh, r->peers, r->npeers);
			ret = 0;
		}
	}
	replies_free(r);
	free(r);
	return ret;
}

#define MESHCTL_MAX_FILTER	(FILTER_STATES_MAX + FILTER_RULES_MAX)

/*
 * show filter, show states: a CTL_FILTER, then rules or states, an END;
 * or a RESULT if meshd refused.
 */
static int
show_filter(struct ctl *c, int states)
{
	struct ctl_filter	 cf;
	struct imsg		 imsg;
	uint8_t			*items = NULL, *n;
	size_t			 nitems = 0, isz, len;
	uint32_t		 type, want;
	int			 have = 0, ret = 1, code;
	char			 text[MESH_RESULT_MAX];

	want = states ? IMSG_CTL_FILTER_STATE : IMSG_CTL_FILTER_RULE;
	isz = states ? sizeof(struct ctl_filter_state) :
	    sizeof(struct ctl_filter_rule);
	if (ctl_send(c, states ? IMSG_CTL_SHOW_STATES : IMSG_CTL_SHOW_FILTER,
	    NULL, 0) == -1)
		return 1;
	for (;;) {
		if (ctl_next(c, &imsg) == -1)
			goto done;
		type = imsg_get_type(&imsg);
		len = imsg_get_len(&imsg);
		if (type == IMSG_CTL_RESULT) {
			if (reply_result(&imsg, &code, text,
			    sizeof(text)) == -1)
				goto bad;
			imsg_free(&imsg);
			text_output.result(c->err, c->err, code != 0 ? code :
			    EINVAL, text);
			goto done;
		}
		if (type == IMSG_CTL_FILTER && !have &&
		    imsg_get_data(&imsg, &cf, sizeof(cf)) == 0) {
			have = 1;
		} else if (type == want && have && len == isz &&
		    nitems < MESHCTL_MAX_FILTER) {
			if ((n = reallocarray(items, nitems + 1, isz)) == NULL)
				goto bad;
			items = n;
			(void)imsg_get_data(&imsg, items + nitems * isz, isz);
			nitems++;
		} else if (type == IMSG_CTL_END && have && len == 0) {
			imsg_free(&imsg);
			break;
		} else
			goto bad;
		imsg_free(&imsg);
	}
	if (states)
		states_show(c->out, c->o == &json_output, &cf,
		    (const struct ctl_filter_state *)(void *)items, nitems);
	else
		filter_show(c->out, c->o == &json_output, &cf,
		    (const struct ctl_filter_rule *)(void *)items, nitems);
	ret = 0;
	goto done;
bad:
	imsg_free(&imsg);
	fprintf(c->err, "meshctl: malformed %s message from meshd\n",
	    states ? "show states" : "show filter");
done:
	free(items);
	return ret;
}

/* netcheck: what meshd-net knows of our place in the network */
static int
netcheck(struct ctl *c)
{
	struct replies	*r;
	int		 ret = 1;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		fprintf(c->err, "meshctl: %s\n", strerror(errno));
		return 1;
	}
	if (ctl_send(c, IMSG_CTL_NETCHECK, NULL, 0) == 0 &&
	    ctl_collect(c, r, IMSG_CTL_NETCHECK) == 0) {
		if (r->have_result)
			ret = ctl_refused(c, r);
		else {
			c->o->netcheck(c->out, &r->netcheck);
			ret = 0;
		}
	}
	replies_free(r);
	free(r);
	return ret;
}

/* show dns: the mesh DNS's counters (meshd-tun) */
static int
show_dns(struct ctl *c)
{
	struct replies	*r;
	int		 ret = 1;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		fprintf(c->err, "meshctl: %s\n", strerror(errno));
		return 1;
	}
	if (ctl_send(c, IMSG_CTL_SHOW_DNS, NULL, 0) == 0 &&
	    ctl_collect(c, r, IMSG_CTL_DNS) == 0) {
		if (r->have_result)
			ret = ctl_refused(c, r);
		else {
			c->o->dns(c->out, &r->dns);
			ret = 0;
		}
	}
	replies_free(r);
	free(r);
	return ret;
}

/* reload, log: one RESULT */
static int
ctl_result(struct ctl *c, uint32_t type, const void *data, size_t len)
{
	struct replies	*r;
	int		 ret = 1;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		fprintf(c->err, "meshctl: %s\n", strerror(errno));
		return 1;
	}
	if (ctl_send(c, type, data, len) == 0 && ctl_collect(c, r, 0) == 0) {
		c->o->result(c->out, c->err, r->code, r->text);
		ret = r->code == 0 ? 0 : 1;
	}
	replies_free(r);
	free(r);
	return ret;
}

static int
ctl_dispatch(struct ctl *c, const struct parse_result *res)
{
	int	v;

	switch (res->action) {
	case SHOW_STATUS:
		return show_status(c);
	case SHOW_PEERS:
		return show_peers(c, res);
	case SHOW_PEER:
		return show_peer(c, res->peer);
	case RELOAD:
		return reload(c);
	case SHOW_CONFIG:
		return show_config(c);
	case SHOW_MESH:
		return show_mesh(c);
	case NETCHECK:
		return netcheck(c);
	case SHOW_DNS:
		return show_dns(c);
	case SHOW_FILTER:
		return show_filter(c, 0);
	case SHOW_STATES:
		return show_filter(c, 1);
	case CLIENT_ADD:
	case CLIENT_LIST:
	case CLIENT_REMOVE:
		return clients_run(&c->ibuf, res, c->o, c->out, c->err);
	case LOG_VERBOSE:
	case LOG_BRIEF:
		v = res->action == LOG_VERBOSE;
		return ctl_result(c, IMSG_CTL_LOG_VERBOSE, &v, sizeof(v));
	default:
		fprintf(c->err, "meshctl: not a daemon command\n");
		return 1;
	}
}

/*
 * With -j, what would go to err is kept and printed on out as one JSON
 * error object, unless the command succeeded (then it goes to err) or
 * the backend printed the error itself (a refused reload: nothing kept).
 */
int
ctl_run(int fd, const struct parse_result *res, const struct output *o,
    FILE *out, FILE *err)
{
	struct ctl	 c;
	char		*msg = NULL;
	size_t		 len = 0;
	FILE		*mem = NULL;
	int		 ret;

	memset(&c, 0, sizeof(c));
	c.o = o;
	c.out = out;
	c.err = err;
	if (o == &json_output && (mem = open_memstream(&msg, &len)) != NULL)
		c.err = mem;
	/* a peer with many allowed-ips makes a large reply */
	if (imsgbuf_init(&c.ibuf, fd) == -1 ||
	    imsgbuf_set_maxsize(&c.ibuf, MESH_MAX_IMSG) == -1) {
		fprintf(c.err, "meshctl: %s\n", strerror(errno));
		ret = 1;
	} else {
		ret = ctl_dispatch(&c, res);
		imsgbuf_clear(&c.ibuf);
	}
	if (mem == NULL)
		return ret;
	if (fclose(mem) != 0) {
		free(msg);
		msg = NULL;
		len = 0;
	}
	if (ret != 0 && (msg == NULL || len > 0))
		output_json_error(out, msg != NULL ? msg : "out of memory");
	else if (len > 0)
		fputs(msg, err);
	free(msg);
	return ret;
}
