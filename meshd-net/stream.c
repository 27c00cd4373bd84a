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
 * Stream connections: WireGuard datagrams over a byte stream, each
 * framed by its length (frame.h).  Two kinds share one slot table:
 *
 *   SSH: one end of a socketpair whose other end is the stdin and stdout
 *	of an ssh(1) client the parent runs with -W to the remote meshd's
 *	serve stream listener; it belongs to the config peer the parent
 *	named, the ladder's SSH rung for it (ladder.c).
 *   accepted: a connection to one of our serve stream listeners (the
 *	parent opened and bound them; net only calls accept4()): most
 *	often the far end of some peer's SSH client, through its sshd.
 *	Whose it is nobody says: its datagrams are judged like UDP ones
 *	and crypto's report of an authenticated source names the slot.
 *
 * An endpoint names a connection by sock = MESH_EP_STREAM + slot, where
 * slot = index + STREAM_MAX * generation, so that a slot closed and its
 * index taken again is not the old endpoint: a stale endpoint finds no
 * connection and its datagram is dropped.
 *
 * Buffers are bounded: one frame being read, and STREAM_TXBUF bytes of
 * frames waiting to be written.  A stream that cannot take more (the
 * SSH client or TCP is slower than the tunnel) drops whole datagrams and
 * counts them (drop_full), as a full UDP socket buffer does; it never
 * grows.  A length that is not one of ours closes the connection: the
 * other end is not a meshd, or the stream lost its framing.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "endpoint.h"
#include "frame.h"
#include "log.h"
#include "net.h"

#define STREAM_MAX	256		/* connections at once */
#define STREAM_GENS	(MESH_EP_SLOTS / STREAM_MAX)
#define STREAM_TXBUF	(256 * 1024)	/* frames queued to write */
#define STREAM_LISTEN	8		/* listeners (serve stream) */

struct stream {
	int			 fd;
	uint16_t		 slot;		/* sock - MESH_EP_STREAM */
	uint32_t		 peer;		/* SSH: the config peer; 0 */
	struct mesh_endpoint	 ep;		/* its endpoint for crypto */
	struct event		 rev, wev;
	size_t			 rxlen;
	uint8_t			 rx[FRAME_HDR + FRAME_MAX];
	size_t			 txoff, txlen;
	uint8_t			*tx;		/* STREAM_TXBUF */
	uint64_t		 frames_in, frames_out, dropped;
	int			 reading;	/* in stream_read */
	const char		*closing;	/* closed when it returns */
};

static struct stream	*streams[STREAM_MAX];
static uint16_t		 gens[STREAM_MAX];
static size_t		 next_index;
static void	 stream_accept(int, short, void *);
static struct net_listener	lv[STREAM_LISTEN];
static struct net_listeners	listeners = { lv, 0, STREAM_LISTEN,
				    "STREAM_LISTEN", stream_accept };

static void	stream_read(int, short, void *);
static void	stream_write(int, short, void *);

static struct stream *
stream_by_sock(uint16_t sock)
{
	struct stream	*s;
	uint16_t	 slot;

	if (sock < MESH_EP_STREAM || sock >= MESH_EP_STREAM + MESH_EP_SLOTS)
		return NULL;
	slot = sock - MESH_EP_STREAM;
	s = streams[slot % STREAM_MAX];
	return s != NULL && s->slot == slot ? s : NULL;
}

int
stream_is_open(uint16_t sock)
{
	return stream_by_sock(sock) != NULL;
}

int
stream_ep(uint16_t sock, struct mesh_endpoint *ep)
{
	struct stream	*s = stream_by_sock(sock);

	if (s == NULL)
		return 0;
	*ep = s->ep;
	return 1;
}

const char *
stream_kind(uint16_t sock)
{
	struct stream	*s = stream_by_sock(sock);

	return s != NULL && s->peer != 0 ? "ssh" : "stream";
}

static void
stream_close(struct stream *s, const char *why)
{
	char		 buf[MESH_ENDPOINT_MAX + 64];
	uint16_t	 sock = MESH_EP_STREAM + s->slot;

	/*
	 * A datagram being read may be answered at once (a cookie reply)
	 * and that write fail: stream_read still holds s, and closes it
	 */
	if (s->reading) {
		if (s->closing == NULL)
			s->closing = why;
		return;
	}
	log_info("stream %u (%s%s): closed: %s; %llu datagrams in, %llu out,"
	    " %llu dropped", sock, s->peer != 0 ? "ssh to " : "from ",
	    ep_ntop(&s->ep, buf, sizeof(buf)), why,
	    (unsigned long long)s->frames_in,
	    (unsigned long long)s->frames_out,
	    (unsigned long long)s->dropped);
	event_del(&s->rev);
	event_del(&s->wev);
	close(s->fd);
	streams[s->slot % STREAM_MAX] = NULL;
	free(s->tx);
	free(s);
	/* peers on it go back to another path */
	ladder_stream_gone(sock);
}

/* a connected stream: its slot, or -1 if the table is full */
static int
stream_add(int fd, uint32_t peer, const struct mesh_endpoint *ep)
{
	struct stream	*s;
	size_t		 i, idx;

	for (i = 0; i < STREAM_MAX; i++) {
		idx = (next_index + i) % STREAM_MAX;
		if (streams[idx] == NULL)
			break;
	}
	if (i == STREAM_MAX)
		return -1;
	next_index = idx + 1;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->tx = malloc(STREAM_TXBUF)) == NULL)
		fatal(NULL);
	gens[idx] = (gens[idx] + 1) % STREAM_GENS;
	s->slot = idx + STREAM_MAX * gens[idx];
	s->fd = fd;
	s->peer = peer;
	s->ep = *ep;
	s->ep.sock = MESH_EP_STREAM + s->slot;
	s->ep.local_af = 0;
	streams[idx] = s;
	event_set(&s->rev, fd, EV_READ | EV_PERSIST, stream_read, s);
	event_set(&s->wev, fd, EV_WRITE, stream_write, s);
	event_add(&s->rev, NULL);
	return s->ep.sock;
}

static void
stream_read(int fd, short event, void *arg)
{
	struct stream	*s = arg;
	ssize_t		 n;
	size_t		 dlen, off;
	int		 r, got = 0;

	n = read(fd, s->rx + s->rxlen, sizeof(s->rx) - s->rxlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		stream_close(s, n == 0 ? "end of stream" : strerror(errno));
		return;
	}
	s->rxlen += n;
	off = 0;
	s->reading = 1;
	while ((r = frame_next(s->rx + off, s->rxlen - off, &dlen)) == 1) {
		s->frames_in++;
		net_wire_in(s->rx + off + FRAME_HDR, dlen, &s->ep);
		off += FRAME_HDR + dlen;
		got = 1;
	}
	s->reading = 0;
	if (got)
		net_wire_flush();
	if (s->closing != NULL) {
		stream_close(s, s->closing);
		return;
	}
	if (r == -1) {
		stream_close(s, "a length that is not a datagram's (not a "
		    "meshd at the other end?)");
		return;
	}
	memmove(s->rx, s->rx + off, s->rxlen - off);
	s->rxlen -= off;
}

/* writes what is queued; -1 if the stream broke (then it is closed) */
static int
stream_flush(struct stream *s)
{
	ssize_t	n;

	while (s->txlen > 0) {
		n = write(s->fd, s->tx + s->txoff, s->txlen);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n <= 0) {
			stream_close(s, n == 0 ? "write: nothing written" :
			    strerror(errno));
			return -1;
		}
		s->txoff += n;
		s->txlen -= n;
	}
	if (s->txlen == 0)
		s->txoff = 0;
	else
		event_add(&s->wev, NULL);
	return 0;
}

static void
stream_write(int fd, short event, void *arg)
{
	(void)stream_flush(arg);
}

int
stream_send(uint16_t sock, const void *msg, size_t len)
{
	struct stream	*s;
	uint8_t		 hdr[FRAME_HDR];

	if ((s = stream_by_sock(sock)) == NULL ||
	    frame_header(hdr, len) == -1)
		return -1;
	if (s->txoff > 0 && s->txoff + s->txlen + FRAME_HDR + len >
	    STREAM_TXBUF) {
		memmove(s->tx, s->tx + s->txoff, s->txlen);
		s->txoff = 0;
	}
	if (s->txoff + s->txlen + FRAME_HDR + len > STREAM_TXBUF) {
		/* backpressure: whole datagrams go, as from a full socket */
		s->dropped++;
		net_stats()->drop_full++;
		errno = ENOBUFS;
		return -1;
	}
	memcpy(s->tx + s->txoff + s->txlen, hdr, FRAME_HDR);
	memcpy(s->tx + s->txoff + s->txlen + FRAME_HDR, msg, len);
	s->txlen += FRAME_HDR + len;
	s->frames_out++;
	/* at once while the stream keeps up; later if it does not */
	if (s->txlen == FRAME_HDR + len)
		return stream_flush(s);
	return 0;
}

/* STREAM_FD: a connection the parent made (the SSH client's) */
void
stream_fd(struct imsg *imsg)
{
	struct mesh_stream_msg	 sm;
	struct mesh_endpoint	 ep;
	struct net_peer		*np;
	int			 fd, sock;

	if (imsg_get_data(imsg, &sm, sizeof(sm)) == -1 ||
	    sm.addrlen > sizeof(sm.addr))
		fatalx("STREAM_FD: bad message");
	if ((fd = imsg_get_fd(imsg)) == -1)
		fatalx("STREAM_FD without a descriptor");
	memset(&ep, 0, sizeof(ep));
	ep_set_remote(&ep, sm.addr, sm.addrlen);
	if (ep_family(&ep) == 0)
		fatalx("STREAM_FD: bad address");
	if ((np = net_peer_find(sm.peer)) == NULL) {
		/* a reload removed the peer meanwhile */
		close(fd);
		return;
	}
	if ((sock = stream_add(fd, sm.peer, &ep)) == -1) {
		log_warnx("peer %s: no room for its SSH stream (%d streams "
		    "open)", np->name, STREAM_MAX);
		close(fd);
		return;
	}
	/* ssh may still be connecting: what goes in waits in the socket */
	log_info("peer %s: SSH client's stream (stream %d)", np->name, sock);
	ladder_ssh_up(np, sock);
}

static void
stream_accept(int fd, short event, void *arg)
{
	struct sockaddr_storage	 ss;
	struct mesh_endpoint	 ep;
	socklen_t		 len = sizeof(ss);
	char			 buf[MESH_ENDPOINT_MAX + 64];
	int			 c, sock;

	if ((c = accept4(fd, (struct sockaddr *)&ss, &len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("serve stream: accept");
		return;
	}
	memset(&ep, 0, sizeof(ep));
	ep_set_remote(&ep, &ss, len);
	if (ep_family(&ep) == 0) {
		close(c);
		return;
	}
	if ((sock = stream_add(c, 0, &ep)) == -1) {
		log_warnx("serve stream: %s refused: %d streams open",
		    ep_ntop(&ep, buf, sizeof(buf)), STREAM_MAX);
		close(c);
		return;
	}
	log_debug("serve stream: connection from %s (stream %d)",
	    ep_ntop(&ep, buf, sizeof(buf)), sock);
}

/* STREAM_LISTEN: a listener from the parent; first: the old ones go */
void
stream_listen(struct imsg *imsg)
{
	net_listeners_take(&listeners, imsg);
}

/* a config peer is gone: its SSH stream too */
void
stream_peer_gone(uint32_t peer)
{
	size_t	i;

	for (i = 0; i < STREAM_MAX; i++)
		if (streams[i] != NULL && streams[i]->peer == peer)
			stream_close(streams[i], "the peer is no more");
}
