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
 * imsg: messages with a fixed header over a stream socket, with at most
 * one descriptor each.  Reading parses headers as the bytes arrive and
 * queues each complete message as an ibuf of its own; writing queues one
 * ibuf per message on a msgbuf (imsg-buffer.c).
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

#define IMSGF_FDPASS		0x01

/* descriptors a single read makes room for; more is a peer's error */
#define IMSG_RFDS_MAX		4
/*
 * Received descriptors waiting for the header that claims them.  A
 * descriptor comes with the first byte of its message, so one waits at
 * most for the rest of that header; a second one can come in the read
 * that completes the first one's header.
 */
#define IMSG_RFDS_PENDING	2

/* header fields by offset */
#define IMSG_OFF_TYPE		0
#define IMSG_OFF_LEN		4
#define IMSG_OFF_PEERID		8
#define IMSG_OFF_PID		12

struct imsg_rbuf {
	unsigned char		 buf[IBUF_READ_SIZE];
	size_t			 off;	/* bytes in buf not yet parsed */
	struct ibuf		*msg;	/* the message being filled */
	TAILQ_HEAD(, ibuf)	 ready;	/* complete messages */
	int			 fds[IMSG_RFDS_PENDING];
	int			 nfds;	/* received, not yet claimed */
	int			 error;	/* errno of a failure that stays */
};

static void	 imsg_close_fds(struct imsg_rbuf *);
static int	 imsg_fail(struct imsgbuf *, int);
static int	 imsg_recv_fds(struct imsgbuf *, struct msghdr *);
static int	 imsg_parse(struct imsgbuf *);
static struct ibuf *imsg_parse_hdr(struct imsgbuf *, const unsigned char *);
static uint32_t	 imsg_h32(const unsigned char *, size_t);

int
imsgbuf_init(struct imsgbuf *imsgbuf, int fd)
{
	memset(imsgbuf, 0, sizeof(*imsgbuf));
	imsgbuf->fd = fd;
	imsgbuf->pid = getpid();
	imsgbuf->maxsize = MAX_IMSGSIZE;
	if ((imsgbuf->w = msgbuf_new()) == NULL)
		return -1;
	if ((imsgbuf->r = calloc(1, sizeof(*imsgbuf->r))) == NULL) {
		msgbuf_free(imsgbuf->w);
		imsgbuf->w = NULL;
		return -1;
	}
	TAILQ_INIT(&imsgbuf->r->ready);
	return 0;
}

/* accept descriptors from the peer; sending one needs no permission */
void
imsgbuf_allow_fdpass(struct imsgbuf *imsgbuf)
{
	imsgbuf->flags |= IMSGF_FDPASS;
}

/* the largest payload, in either direction */
int
imsgbuf_set_maxsize(struct imsgbuf *imsgbuf, uint32_t max)
{
	if (max > IMSG_MAXSIZE_LIMIT) {
		errno = ERANGE;
		return -1;
	}
	imsgbuf->maxsize = max + IMSG_HEADER_SIZE;
	return 0;
}

/* frees everything but the socket, which stays open */
void
imsgbuf_clear(struct imsgbuf *imsgbuf)
{
	struct imsg_rbuf	*r = imsgbuf->r;
	struct ibuf		*buf;

	msgbuf_free(imsgbuf->w);
	imsgbuf->w = NULL;
	if (r == NULL)
		return;
	while ((buf = TAILQ_FIRST(&r->ready)) != NULL) {
		TAILQ_REMOVE(&r->ready, buf, entry);
		ibuf_free(buf);
	}
	ibuf_free(r->msg);
	imsg_close_fds(r);
	freezero(r, sizeof(*r));
	imsgbuf->r = NULL;
}

uint32_t
imsgbuf_queuelen(struct imsgbuf *imsgbuf)
{
	if (imsgbuf->w == NULL)
		return 0;
	return msgbuf_queuelen(imsgbuf->w);
}

static void
imsg_close_fds(struct imsg_rbuf *r)
{
	while (r->nfds > 0)
		close(r->fds[--r->nfds]);
}

/* the stream can no longer be trusted: say so now and from now on */
static int
imsg_fail(struct imsgbuf *imsgbuf, int error)
{
	imsg_close_fds(imsgbuf->r);
	imsgbuf->r->error = error;
	errno = error;
	return -1;
}

/*
 * Read once.  1: read something, or nothing for now (EAGAIN); 0: the
 * peer closed the connection; -1: error, errno set.
 */
int
imsgbuf_read(struct imsgbuf *imsgbuf)
{
	struct imsg_rbuf	*r = imsgbuf->r;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * IMSG_RFDS_MAX)];
	}			 cmsgbuf;
	struct msghdr		 msg;
	struct iovec		 iov;
	ssize_t			 n;
	int			 flags = 0;

	if (r == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (r->error != 0) {
		errno = r->error;
		return -1;
	}

	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = r->buf + r->off;
	iov.iov_len = sizeof(r->buf) - r->off;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);
#ifdef MSG_CMSG_CLOEXEC
	flags |= MSG_CMSG_CLOEXEC;
#endif

	for (;;) {
		if ((n = recvmsg(imsgbuf->fd, &msg, flags)) != -1)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 1;
		return -1;
	}
	/* descriptors first, so that no path below can leak one */
	if (imsg_recv_fds(imsgbuf, &msg) == -1)
		return -1;
	if (n == 0)
		return 0;
	r->off += n;
	if (imsg_parse(imsgbuf) == -1)
		return -1;
	return 1;
}

/* take the descriptor a read brought, or close them all and fail */
static int
imsg_recv_fds(struct imsgbuf *imsgbuf, struct msghdr *msg)
{
	struct imsg_rbuf	*r = imsgbuf->r;
	struct cmsghdr		*cmsg;
	unsigned char		*p;
	size_t			 i, nfds;
	int			 fd, got = -1, error = 0;

	for (cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS ||
		    cmsg->cmsg_len < CMSG_LEN(0))
			continue;
		nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		p = CMSG_DATA(cmsg);
		for (i = 0; i < nfds; i++) {
			memcpy(&fd, p + i * sizeof(int), sizeof(int));
			if (fd < 0)
				continue;
			if (got == -1)
				got = fd;
			else {
				/* one descriptor per message, one per read */
				close(fd);
				error = EBADMSG;
			}
		}
	}
	if (msg->msg_flags & MSG_CTRUNC)
		error = EMSGSIZE;
	else if (got != -1 && !(imsgbuf->flags & IMSGF_FDPASS))
		error = EBADMSG;
	else if (got != -1 && r->nfds == IMSG_RFDS_PENDING)
		error = EBADMSG;	/* earlier ones were never claimed */
	if (error != 0) {
		if (got != -1)
			close(got);
		return imsg_fail(imsgbuf, error);
	}
	if (got != -1)
		r->fds[r->nfds++] = got;
	return 0;
}

static uint32_t
imsg_h32(const unsigned char *p, size_t off)
{
	uint32_t	v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

/* a new message buffer for the header at p, or NULL and errno */
static struct ibuf *
imsg_parse_hdr(struct imsgbuf *imsgbuf, const unsigned char *p)
{
	struct imsg_rbuf	*r = imsgbuf->r;
	struct ibuf		*buf;
	uint32_t		 len;

	len = imsg_h32(p, IMSG_OFF_LEN);
	if ((len & ~IMSG_FD_MARK) < IMSG_HEADER_SIZE) {
		errno = EBADMSG;
		return NULL;
	}
	if ((len & ~IMSG_FD_MARK) > imsgbuf->maxsize) {
		errno = ERANGE;
		return NULL;
	}
	/* its descriptor arrived with the first byte of the message */
	if ((len & IMSG_FD_MARK) && r->nfds == 0) {
		errno = EBADMSG;
		return NULL;
	}
	if ((buf = ibuf_open(len & ~IMSG_FD_MARK)) == NULL)
		return NULL;
	if (len & IMSG_FD_MARK) {
		/* the oldest one is this message's */
		ibuf_fd_set(buf, r->fds[0]);
		memmove(&r->fds[0], &r->fds[1],
		    (r->nfds - 1) * sizeof(r->fds[0]));
		r->nfds--;
	}
	return buf;
}

/* cut what was read into messages */
static int
imsg_parse(struct imsgbuf *imsgbuf)
{
	struct imsg_rbuf	*r = imsgbuf->r;
	size_t			 pos = 0, n;

	while (pos < r->off) {
		if (r->msg == NULL) {
			if (r->off - pos < IMSG_HEADER_SIZE)
				break;
			if ((r->msg = imsg_parse_hdr(imsgbuf,
			    r->buf + pos)) == NULL)
				return imsg_fail(imsgbuf, errno);
		}
		n = ibuf_left(r->msg);
		if (n > r->off - pos)
			n = r->off - pos;
		if (ibuf_add(r->msg, r->buf + pos, n) == -1)
			return imsg_fail(imsgbuf, errno);
		pos += n;
		if (ibuf_left(r->msg) == 0) {
			TAILQ_INSERT_TAIL(&r->ready, r->msg, entry);
			r->msg = NULL;
		}
	}
	if (pos > 0) {
		memmove(r->buf, r->buf + pos, r->off - pos);
		/* what was cut out may be a key (UAPI_KEY): not left behind */
		explicit_bzero(r->buf + r->off - pos, pos);
		r->off -= pos;
	}
	/*
	 * A descriptor may wait only for the rest of the header it came
	 * with; anything else is a descriptor no message claims.
	 */
	if (r->nfds > 1 || (r->nfds == 1 && (r->msg != NULL || r->off == 0)))
		return imsg_fail(imsgbuf, EBADMSG);
	return 0;
}

/*
 * Write what is queued.  0 on success, also when the socket is full;
 * -1 on error (EPIPE when the peer is gone).
 */
int
imsgbuf_write(struct imsgbuf *imsgbuf)
{
	if (imsgbuf->w == NULL) {
		errno = EINVAL;
		return -1;
	}
	return msgbuf_write(imsgbuf->fd, imsgbuf->w);
}

/*
 * Write until nothing is queued.  On a socket that is full (non-blocking)
 * wait in poll(2) until it takes more.
 */
int
imsgbuf_flush(struct imsgbuf *imsgbuf)
{
	struct pollfd	pfd;

	while (imsgbuf_queuelen(imsgbuf) > 0) {
		/* imsgbuf_write returns 0 for EAGAIN too: errno tells */
		errno = 0;
		if (imsgbuf_write(imsgbuf) == -1)
			return -1;
		if (imsgbuf_queuelen(imsgbuf) == 0)
			break;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS)
			continue;
		pfd.fd = imsgbuf->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			return -1;
	}
	return 0;
}

/*
 * The next complete message: 1 and *imsg filled in, 0 if there is none
 * yet, -1 once the stream failed (see imsgbuf_read) and nothing complete
 * is left.  Free it with imsg_free().
 */
int
imsgbuf_get(struct imsgbuf *imsgbuf, struct imsg *imsg)
{
	struct imsg_rbuf	*r = imsgbuf->r;
	struct ibuf		*buf;
	unsigned char		*p;

	if (r == NULL) {
		errno = EINVAL;
		return -1;
	}
	if ((buf = TAILQ_FIRST(&r->ready)) == NULL) {
		if (r->error != 0) {
			errno = r->error;
			return -1;
		}
		return 0;
	}
	TAILQ_REMOVE(&r->ready, buf, entry);

	memset(imsg, 0, sizeof(*imsg));
	p = ibuf_data(buf);
	imsg->hdr.type = imsg_h32(p, IMSG_OFF_TYPE);
	imsg->hdr.len = imsg_h32(p, IMSG_OFF_LEN) & ~IMSG_FD_MARK;
	imsg->hdr.peerid = imsg_h32(p, IMSG_OFF_PEERID);
	imsg->hdr.pid = imsg_h32(p, IMSG_OFF_PID);
	/* the header is in every message buffer: this cannot fail */
	(void)ibuf_skip(buf, IMSG_HEADER_SIZE);
	imsg->buf = buf;
	imsg->data = ibuf_size(buf) > 0 ? ibuf_data(buf) : NULL;
	return 1;
}

/* the older interface: the message's whole length, 0 or -1 */
ssize_t
imsg_get(struct imsgbuf *imsgbuf, struct imsg *imsg)
{
	int	rv;

	if ((rv = imsgbuf_get(imsgbuf, imsg)) <= 0)
		return rv;
	return IMSG_HEADER_SIZE + ibuf_size(imsg->buf);
}

/* a view of the payload, valid until imsg_free(); none if empty */
int
imsg_get_ibuf(struct imsg *imsg, struct ibuf *ibuf)
{
	if (imsg->buf == NULL || ibuf_size(imsg->buf) == 0) {
		errno = EBADMSG;
		return -1;
	}
	ibuf_from_ibuf(ibuf, imsg->buf);
	return 0;
}

/* the whole payload, which must be exactly len bytes */
int
imsg_get_data(struct imsg *imsg, void *data, size_t len)
{
	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	if (imsg->buf == NULL || ibuf_size(imsg->buf) != len) {
		errno = EBADMSG;
		return -1;
	}
	return ibuf_get(imsg->buf, data, len);
}

/* the next len bytes of the payload */
int
imsg_get_buf(struct imsg *imsg, void *data, size_t len)
{
	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	if (imsg->buf == NULL) {
		errno = EBADMSG;
		return -1;
	}
	return ibuf_get(imsg->buf, data, len);
}

/* the next len bytes of the payload, a string ending in NUL */
int
imsg_get_strbuf(struct imsg *imsg, char *str, size_t len)
{
	if (imsg->buf == NULL) {
		errno = EBADMSG;
		return -1;
	}
	return ibuf_get_strbuf(imsg->buf, str, len);
}

/* the descriptor, now the caller's to close; -1 if none */
int
imsg_get_fd(struct imsg *imsg)
{
	if (imsg->buf == NULL)
		return -1;
	return ibuf_fd_get(imsg->buf);
}

uint32_t
imsg_get_id(struct imsg *imsg)
{
	return imsg->hdr.peerid;
}

/* payload bytes not yet read */
size_t
imsg_get_len(struct imsg *imsg)
{
	if (imsg->buf == NULL)
		return 0;
	return ibuf_size(imsg->buf);
}

pid_t
imsg_get_pid(struct imsg *imsg)
{
	return imsg->hdr.pid;
}

uint32_t
imsg_get_type(struct imsg *imsg)
{
	return imsg->hdr.type;
}

/* queue a received message again, whole, without its descriptor */
int
imsg_forward(struct imsgbuf *imsgbuf, struct imsg *msg)
{
	struct ibuf	*wbuf;
	size_t		 len = 0;
	void		*data = NULL;

	if (msg->buf != NULL && msg->buf->wpos > IMSG_HEADER_SIZE) {
		data = msg->buf->buf + IMSG_HEADER_SIZE;
		len = msg->buf->wpos - IMSG_HEADER_SIZE;
	}
	if ((wbuf = imsg_create(imsgbuf, msg->hdr.type, msg->hdr.peerid,
	    msg->hdr.pid, len)) == NULL)
		return -1;
	if (imsg_add(wbuf, data, len) == -1)
		return -1;
	imsg_close(imsgbuf, wbuf);
	return 1;
}

/*
 * Queue a message.  fd, if not -1, is closed once sent; on failure it
 * stays the caller's.  1 on success, -1 on error.
 */
int
imsg_compose(struct imsgbuf *imsgbuf, uint32_t type, uint32_t id, pid_t pid,
    int fd, const void *data, size_t datalen)
{
	struct ibuf	*wbuf;

	if ((wbuf = imsg_create(imsgbuf, type, id, pid, datalen)) == NULL)
		return -1;
	if (imsg_add(wbuf, data, datalen) == -1)
		return -1;
	ibuf_fd_set(wbuf, fd);
	imsg_close(imsgbuf, wbuf);
	return 1;
}

int
imsg_composev(struct imsgbuf *imsgbuf, uint32_t type, uint32_t id,
    pid_t pid, int fd, const struct iovec *iov, int iovcnt)
{
	struct ibuf	*wbuf;
	size_t		 datalen = 0;
	int		 i;

	if (iovcnt < 0 || (iovcnt > 0 && iov == NULL)) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > SIZE_MAX - datalen) {
			errno = ERANGE;
			return -1;
		}
		datalen += iov[i].iov_len;
	}
	if ((wbuf = imsg_create(imsgbuf, type, id, pid, datalen)) == NULL)
		return -1;
	for (i = 0; i < iovcnt; i++)
		if (imsg_add(wbuf, iov[i].iov_base, iov[i].iov_len) == -1)
			return -1;
	ibuf_fd_set(wbuf, fd);
	imsg_close(imsgbuf, wbuf);
	return 1;
}

/*
 * Queue buf as the payload of a message, with buf's descriptor if it
 * has one.  buf is consumed in every case.  1 on success, -1 on error.
 */
int
imsg_compose_ibuf(struct imsgbuf *imsgbuf, uint32_t type, uint32_t id,
    pid_t pid, struct ibuf *buf)
{
	struct ibuf	*wbuf;
	int		 saved_errno;

	if ((wbuf = imsg_create(imsgbuf, type, id, pid,
	    ibuf_size(buf))) == NULL)
		goto fail;
	if (imsg_add(wbuf, ibuf_data(buf), ibuf_size(buf)) == -1)
		goto fail;
	/* one buffer per message, so the descriptor goes with its start */
	ibuf_fd_set(wbuf, ibuf_fd_get(buf));
	ibuf_free(buf);
	imsg_close(imsgbuf, wbuf);
	return 1;
 fail:
	saved_errno = errno;
	ibuf_free(buf);
	errno = saved_errno;
	return -1;
}

/*
 * Start a message with room for datalen bytes of payload; pid 0 means
 * our own.  NULL if datalen is beyond the maximum (ERANGE).
 */
struct ibuf *
imsg_create(struct imsgbuf *imsgbuf, uint32_t type, uint32_t id, pid_t pid,
    size_t datalen)
{
	struct ibuf	*wbuf;

	if (imsgbuf->maxsize < IMSG_HEADER_SIZE ||
	    datalen > imsgbuf->maxsize - IMSG_HEADER_SIZE) {
		errno = ERANGE;
		return NULL;
	}
	if (pid == 0)
		pid = imsgbuf->pid;
	if ((wbuf = ibuf_dynamic(IMSG_HEADER_SIZE + datalen,
	    imsgbuf->maxsize)) == NULL)
		return NULL;
	/* len is filled in by imsg_close */
	if (ibuf_add_h32(wbuf, type) == -1 ||
	    ibuf_add_h32(wbuf, 0) == -1 ||
	    ibuf_add_h32(wbuf, id) == -1 ||
	    ibuf_add_h32(wbuf, (uint32_t)pid) == -1) {
		ibuf_free(wbuf);
		return NULL;
	}
	return wbuf;
}

/* append to a message; on failure msg is freed and -1 returned */
int
imsg_add(struct ibuf *msg, const void *data, size_t datalen)
{
	if (msg == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (datalen > INT_MAX) {
		ibuf_free(msg);
		errno = ERANGE;
		return -1;
	}
	if (datalen > 0 && ibuf_add(msg, data, datalen) == -1) {
		ibuf_free(msg);
		return -1;
	}
	return datalen;
}

/* lower the largest payload msg may grow to */
int
imsg_set_maxsize(struct ibuf *msg, size_t max)
{
	if (max > IMSG_MAXSIZE_LIMIT) {
		errno = ERANGE;
		return -1;
	}
	return ibuf_set_maxsize(msg, max + IMSG_HEADER_SIZE);
}

/* finish a message from imsg_create and queue it */
void
imsg_close(struct imsgbuf *imsgbuf, struct ibuf *msg)
{
	uint64_t	len;

	if (msg == NULL)
		return;
	if (imsgbuf->w == NULL) {
		ibuf_free(msg);
		return;
	}
	len = ibuf_size(msg);
	if (ibuf_fd_avail(msg))
		len |= IMSG_FD_MARK;
	(void)ibuf_set_h32(msg, IMSG_OFF_LEN, len);
	ibuf_close(imsgbuf->w, msg);
}

/* free a received message, closing a descriptor nobody took */
void
imsg_free(struct imsg *imsg)
{
	ibuf_free(imsg->buf);
	imsg->buf = NULL;
	imsg->data = NULL;
}
