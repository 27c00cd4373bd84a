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
 * Prometheus's scrapes over plain HTTP/1.1, on the metrics-listen sockets
 * the parent bound and passed (net only accepts on them).  meshd-net
 * serves them because it holds no key and already parses strangers'
 * bytes; the counters it does not have: for each scrape it asks the
 * parent (METRICS_REQ), which gathers them from every process and sends
 * the text back (METRICS_TEXT chunks, METRICS_END); net writes it out.
 *
 * Bounds, so that a scraper (or anyone who reaches the port) costs
 * little: SCRAPE_CONNS connections at once (more are closed at once),
 * a head of at most HTTP_HEAD_MAX bytes, SCRAPE_TIMEOUT seconds for a
 * connection from accept to the last byte written, one request per
 * connection (Connection: close; Prometheus does not need keep-alive).
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "http.h"
#include "log.h"
#include "net.h"
#include "scrape.h"

#define SCRAPE_LISTEN	4		/* METRICS_LISTEN_MAX, the parent's */
#define SCRAPE_CONNS	16		/* connections at once */
#define SCRAPE_TIMEOUT	30		/* seconds, a connection's whole life */
#define SCRAPE_TEXT_MAX	(64 * 1024 * 1024) /* a text longer is refused */
#define SCRAPE_LINGER	2		/* seconds to wait for the client's
					   close after the answer */

struct scrape_conn {
	TAILQ_ENTRY(scrape_conn) entry;
	int			 fd;
	uint32_t		 id;		/* asked the parent; 0 none */
	int			 head;		/* HEAD: no body */
	struct event		 rev, wev, tev;
	uint8_t			 in[HTTP_HEAD_MAX];
	size_t			 inlen;
	char			*text;		/* the parent's, gathering */
	size_t			 textlen;
	char			*out;		/* the response */
	size_t			 outlen, outoff;
};

static TAILQ_HEAD(, scrape_conn) conns = TAILQ_HEAD_INITIALIZER(conns);
static size_t			 nconns;
static uint32_t			 next_id;
static void			 scrape_accept(int, short, void *);
static struct net_listener	 lv[SCRAPE_LISTEN];
static struct net_listeners	 listeners = { lv, 0, SCRAPE_LISTEN,
				    "METRICS_LISTEN", scrape_accept };

static void	scrape_read(int, short, void *);
static void	scrape_write(int, short, void *);
static void	scrape_drain(int, short, void *);

static void
conn_close(struct scrape_conn *c)
{
	event_del(&c->rev);
	event_del(&c->wev);
	evtimer_del(&c->tev);
	close(c->fd);
	TAILQ_REMOVE(&conns, c, entry);
	nconns--;
	free(c->text);
	free(c->out);
	free(c);
}

static void
scrape_timeout(int fd, short event, void *arg)
{
	struct scrape_conn	*c = arg;

	log_debug("metrics: a connection timed out");
	conn_close(c);
}

/* the whole response to c, body (NULL: none) of len; then write it */
static void
respond(struct scrape_conn *c, int status, const char *ctype,
    const char *body, size_t len)
{
	char	head[256];
	int	n;

	event_del(&c->rev);
	if ((n = metrics_head(head, sizeof(head), status, ctype, len)) ==
	    -1)
		fatalx("metrics: response head");
	if (c->head)
		len = 0;
	if ((c->out = malloc(n + len)) == NULL) {
		log_warn("metrics");
		conn_close(c);
		return;
	}
	memcpy(c->out, head, n);
	if (len > 0)
		memcpy(c->out + n, body, len);
	c->outlen = n + len;
	c->outoff = 0;
	scrape_write(c->fd, EV_WRITE, c);
}

static void
respond_error(struct scrape_conn *c, int status)
{
	const char	*b = metrics_error_body(status);

	respond(c, status, "text/plain; charset=utf-8", b, strlen(b));
}

static void
scrape_write(int fd, short event, void *arg)
{
	struct scrape_conn	*c = arg;
	struct timeval		 tv = { SCRAPE_LINGER, 0 };
	ssize_t			 n;

	while (c->outoff < c->outlen) {
		/* write(2): net's seccomp filter has no sendto(2) */
		n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
		if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			event_add(&c->wev, NULL);
			return;
		}
		if (n == -1) {
			conn_close(c);
			return;
		}
		c->outoff += n;
	}
	/*
	 * All of it.  Closing now, with bytes of the request still unread
	 * (a head too long, a body), would send a reset that can reach the
	 * client before it read the answer: read and drop until it closes,
	 * for SCRAPE_LINGER seconds at most.
	 */
	event_del(&c->rev);
	event_set(&c->rev, c->fd, EV_READ | EV_PERSIST, scrape_drain, c);
	event_add(&c->rev, NULL);
	evtimer_add(&c->tev, &tv);
}

static void
scrape_drain(int fd, short event, void *arg)
{
	struct scrape_conn	*c = arg;
	uint8_t			 buf[4096];
	ssize_t			 n;

	n = read(c->fd, buf, sizeof(buf));
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0)
		conn_close(c);
}

/* a whole head in c->in: answer it, or ask the parent for the text */
static void
scrape_request(struct scrape_conn *c, const struct metrics_route *r)
{
	c->head = r->head;
	if (r->status != 200) {
		if (r->why != NULL && r->status != 404)
			log_debug("metrics: %d: %s", r->status, r->why);
		respond_error(c, r->status);
		return;
	}
	event_del(&c->rev);
	if (++next_id == 0)
		next_id = 1;
	c->id = next_id;
	child_compose(PROC_PARENT, IMSG_METRICS_REQ, c->id, -1, NULL, 0);
}

static void
scrape_read(int fd, short event, void *arg)
{
	struct scrape_conn	*c = arg;
	struct metrics_route	 r;
	ssize_t			 n;

	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->inlen += n;
	if ((n = metrics_route(c->in, c->inlen, &r)) == HTTP_MORE)
		return;
	scrape_request(c, &r);
}

static void
scrape_accept(int fd, short event, void *arg)
{
	struct scrape_conn	*c;
	struct timeval		 tv = { SCRAPE_TIMEOUT, 0 };
	int			 s;

	if ((s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("metrics: accept");
		return;
	}
	if (nconns >= SCRAPE_CONNS || (c = calloc(1, sizeof(*c))) == NULL) {
		log_debug("metrics: a connection refused: %zu open", nconns);
		close(s);
		return;
	}
	c->fd = s;
	event_set(&c->rev, s, EV_READ | EV_PERSIST, scrape_read, c);
	event_set(&c->wev, s, EV_WRITE, scrape_write, c);
	evtimer_set(&c->tev, scrape_timeout, c);
	event_add(&c->rev, NULL);
	evtimer_add(&c->tev, &tv);
	TAILQ_INSERT_TAIL(&conns, c, entry);
	nconns++;
}

/* METRICS_LISTEN: a listener from the parent; first: the old ones go */
void
scrape_listen(struct imsg *imsg)
{
	net_listeners_take(&listeners, imsg);
}

static struct scrape_conn *
conn_find(uint32_t id)
{
	struct scrape_conn	*c;

	/* 0 is no scrape's: connections still reading have it */
	if (id == 0)
		return NULL;
	TAILQ_FOREACH(c, &conns, entry)
		if (c->id == id)
			return c;
	return NULL;
}

/* METRICS_TEXT: a chunk of a scrape's text */
void
scrape_text(struct imsg *imsg)
{
	struct scrape_conn	*c;
	size_t			 len = imsg_get_len(imsg);
	char			*t;

	if (len == 0 || len > MESH_CONFIG_CHUNK)
		fatalx("METRICS_TEXT: bad length");
	/* NULL: the connection closed or timed out meanwhile */
	if ((c = conn_find(imsg_get_id(imsg))) == NULL)
		return;
	if (c->textlen + len > SCRAPE_TEXT_MAX ||
	    (t = realloc(c->text, c->textlen + len)) == NULL) {
		log_warnx("metrics: a scrape's text is too long");
		conn_close(c);
		return;
	}
	c->text = t;
	if (imsg_get_data(imsg, c->text + c->textlen, len) == -1)
		fatalx("METRICS_TEXT: bad message");
	c->textlen += len;
}

/* METRICS_END: the text is whole (or the parent could not make it) */
void
scrape_end(struct imsg *imsg)
{
	struct scrape_conn	*c;
	int32_t			 code;

	if (imsg_get_data(imsg, &code, sizeof(code)) == -1)
		fatalx("METRICS_END: bad length");
	if ((c = conn_find(imsg_get_id(imsg))) == NULL)
		return;
	c->id = 0;
	if (code != 0) {
		respond_error(c, 503);
		return;
	}
	respond(c, 200, METRICS_TYPE, c->text, c->textlen);
}
