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
 * ibuf: a buffer with a read and a write position, fixed (ibuf_open),
 * growing up to a limit (ibuf_dynamic) or over the caller's memory
 * (ibuf_from_buffer); msgbuf: a queue of ibufs written to a socket with
 * writev(2) or sendmsg(2), one descriptor at most per call.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

/* an ibuf over the caller's memory: never freed, never grown */
#define IBUF_FD_ON_STACK	(-2)

/* iovecs per writev/sendmsg */
#if defined(IOV_MAX) && IOV_MAX < 256
#define IBUF_IOV_MAX		IOV_MAX
#else
#define IBUF_IOV_MAX		256
#endif

struct msgbuf {
	TAILQ_HEAD(, ibuf)	 bufs;
	uint32_t		 queued;
};

static int	ibuf_room(struct ibuf *, size_t);
static void	msgbuf_drain(struct msgbuf *, size_t);

struct ibuf *
ibuf_open(size_t len)
{
	struct ibuf	*buf;

	if (len == 0) {
		errno = EINVAL;
		return NULL;
	}
	if ((buf = calloc(1, sizeof(*buf))) == NULL)
		return NULL;
	if ((buf->buf = calloc(len, 1)) == NULL) {
		free(buf);
		return NULL;
	}
	buf->size = buf->max = len;
	buf->fd = -1;
	return buf;
}

struct ibuf *
ibuf_dynamic(size_t len, size_t max)
{
	struct ibuf	*buf;
	size_t		 alloc;

	if (max == 0 || max < len) {
		errno = EINVAL;
		return NULL;
	}
	alloc = len > 0 ? len : 1;
	if ((buf = calloc(1, sizeof(*buf))) == NULL)
		return NULL;
	if ((buf->buf = calloc(alloc, 1)) == NULL) {
		free(buf);
		return NULL;
	}
	buf->size = alloc;
	buf->max = max;
	buf->fd = -1;
	return buf;
}

/* make room for len more bytes at wpos, growing a dynamic buffer */
static int
ibuf_room(struct ibuf *buf, size_t len)
{
	unsigned char	*b;
	size_t		 need, newsize;

	if (len > buf->max - buf->wpos) {
		errno = ERANGE;
		return -1;
	}
	need = buf->wpos + len;
	if (need <= buf->size)
		return 0;
	if (buf->fd == IBUF_FD_ON_STACK) {
		errno = ERANGE;
		return -1;
	}
	/* double, within max, to keep appends cheap */
	newsize = buf->size > buf->max / 2 ? buf->max : buf->size * 2;
	if (newsize < need)
		newsize = need;
	/* recallocarray zeroes the new part and wipes the old copy */
	if ((b = recallocarray(buf->buf, buf->size, newsize, 1)) == NULL)
		return -1;
	buf->buf = b;
	buf->size = newsize;
	return 0;
}

void *
ibuf_reserve(struct ibuf *buf, size_t len)
{
	void	*p;

	if (ibuf_room(buf, len) == -1)
		return NULL;
	if (buf->buf == NULL) {
		errno = EINVAL;
		return NULL;
	}
	p = buf->buf + buf->wpos;
	buf->wpos += len;
	return p;
}

int
ibuf_add(struct ibuf *buf, const void *data, size_t len)
{
	void	*p;

	if (len == 0)
		return 0;
	if ((p = ibuf_reserve(buf, len)) == NULL)
		return -1;
	memcpy(p, data, len);
	return 0;
}

int
ibuf_add_ibuf(struct ibuf *buf, const struct ibuf *from)
{
	return ibuf_add(buf, ibuf_data(from), ibuf_size(from));
}

/* the name before OpenBSD 7.5 */
int
ibuf_add_buf(struct ibuf *buf, const struct ibuf *from)
{
	return ibuf_add_ibuf(buf, from);
}

int
ibuf_add_zero(struct ibuf *buf, size_t len)
{
	void	*p;

	if (len == 0)
		return 0;
	if ((p = ibuf_reserve(buf, len)) == NULL)
		return -1;
	memset(p, 0, len);
	return 0;
}

int
ibuf_add_n8(struct ibuf *buf, uint64_t value)
{
	uint8_t	v;

	if (value > UINT8_MAX) {
		errno = EINVAL;
		return -1;
	}
	v = value;
	return ibuf_add(buf, &v, sizeof(v));
}

int
ibuf_add_n16(struct ibuf *buf, uint64_t value)
{
	uint16_t	v;

	if (value > UINT16_MAX) {
		errno = EINVAL;
		return -1;
	}
	v = htobe16(value);
	return ibuf_add(buf, &v, sizeof(v));
}

int
ibuf_add_n32(struct ibuf *buf, uint64_t value)
{
	uint32_t	v;

	if (value > UINT32_MAX) {
		errno = EINVAL;
		return -1;
	}
	v = htobe32(value);
	return ibuf_add(buf, &v, sizeof(v));
}

int
ibuf_add_n64(struct ibuf *buf, uint64_t value)
{
	uint64_t	v;

	v = htobe64(value);
	return ibuf_add(buf, &v, sizeof(v));
}

int
ibuf_add_h16(struct ibuf *buf, uint64_t value)
{
	uint16_t	v;

	if (value > UINT16_MAX) {
		errno = EINVAL;
		return -1;
	}
	v = value;
	return ibuf_add(buf, &v, sizeof(v));
}

int
ibuf_add_h32(struct ibuf *buf, uint64_t value)
{
	uint32_t	v;

	if (value > UINT32_MAX) {
		errno = EINVAL;
		return -1;
	}
	v = value;
	return ibuf_add(buf, &v, sizeof(v));
}

int
ibuf_add_h64(struct ibuf *buf, uint64_t value)
{
	return ibuf_add(buf, &value, sizeof(value));
}

/*
 * A string as a fixed field of len bytes, NUL-padded.  Fails with
 * EOVERFLOW if it does not fit with its NUL (the field is still added,
 * truncated and terminated).
 */
int
ibuf_add_strbuf(struct ibuf *buf, const char *str, size_t len)
{
	char	*p;
	size_t	 n;

	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	if ((p = ibuf_reserve(buf, len)) == NULL)
		return -1;
	n = strnlen(str, len);
	if (n == len) {
		memcpy(p, str, len - 1);
		p[len - 1] = '\0';
		errno = EOVERFLOW;
		return -1;
	}
	memcpy(p, str, n);
	memset(p + n, 0, len - n);
	return 0;
}

/* pos is relative to the read position */
void *
ibuf_seek(struct ibuf *buf, size_t pos, size_t len)
{
	size_t	size = ibuf_size(buf);

	if (pos > size || len > size - pos || buf->buf == NULL) {
		errno = ERANGE;
		return NULL;
	}
	return buf->buf + buf->rpos + pos;
}

int
ibuf_set(struct ibuf *buf, size_t pos, const void *data, size_t len)
{
	void	*p;

	if ((p = ibuf_seek(buf, pos, len)) == NULL)
		return -1;
	if (len > 0)
		memcpy(p, data, len);
	return 0;
}

int
ibuf_set_n8(struct ibuf *buf, size_t pos, uint64_t value)
{
	uint8_t	v;

	if (value > UINT8_MAX) {
		errno = EINVAL;
		return -1;
	}
	v = value;
	return ibuf_set(buf, pos, &v, sizeof(v));
}

int
ibuf_set_n16(struct ibuf *buf, size_t pos, uint64_t value)
{
	uint16_t	v;

	if (value > UINT16_MAX) {
		errno = EINVAL;
		return -1;
	}
	v = htobe16(value);
	return ibuf_set(buf, pos, &v, sizeof(v));
}

int
ibuf_set_n32(struct ibuf *buf, size_t pos, uint64_t value)
{
	uint32_t	v;

	if (value > UINT32_MAX) {
		errno = EINVAL;
		return -1;
	}
	v = htobe32(value);
	return ibuf_set(buf, pos, &v, sizeof(v));
}

int
ibuf_set_n64(struct ibuf *buf, size_t pos, uint64_t value)
{
	uint64_t	v;

	v = htobe64(value);
	return ibuf_set(buf, pos, &v, sizeof(v));
}

int
ibuf_set_h16(struct ibuf *buf, size_t pos, uint64_t value)
{
	uint16_t	v;

	if (value > UINT16_MAX) {
		errno = EINVAL;
		return -1;
	}
	v = value;
	return ibuf_set(buf, pos, &v, sizeof(v));
}

int
ibuf_set_h32(struct ibuf *buf, size_t pos, uint64_t value)
{
	uint32_t	v;

	if (value > UINT32_MAX) {
		errno = EINVAL;
		return -1;
	}
	v = value;
	return ibuf_set(buf, pos, &v, sizeof(v));
}

int
ibuf_set_h64(struct ibuf *buf, size_t pos, uint64_t value)
{
	return ibuf_set(buf, pos, &value, sizeof(value));
}

/* lower the limit a dynamic buffer may grow to */
int
ibuf_set_maxsize(struct ibuf *buf, size_t max)
{
	if (buf->fd == IBUF_FD_ON_STACK) {
		errno = EINVAL;
		return -1;
	}
	if (max > buf->max || max < buf->wpos) {
		errno = ERANGE;
		return -1;
	}
	buf->max = max;
	return 0;
}

void *
ibuf_data(const struct ibuf *buf)
{
	if (buf->buf == NULL)
		return NULL;
	return buf->buf + buf->rpos;
}

size_t
ibuf_size(const struct ibuf *buf)
{
	return buf->wpos - buf->rpos;
}

size_t
ibuf_left(const struct ibuf *buf)
{
	if (buf->fd == IBUF_FD_ON_STACK)
		return 0;
	return buf->max - buf->wpos;
}

int
ibuf_truncate(struct ibuf *buf, size_t len)
{
	if (ibuf_size(buf) >= len) {
		buf->wpos = buf->rpos + len;
		return 0;
	}
	if (buf->fd == IBUF_FD_ON_STACK) {
		/* only shrinking is allowed over the caller's memory */
		errno = ERANGE;
		return -1;
	}
	return ibuf_add_zero(buf, len - ibuf_size(buf));
}

void
ibuf_rewind(struct ibuf *buf)
{
	buf->rpos = 0;
}

void
ibuf_from_buffer(struct ibuf *buf, void *data, size_t len)
{
	memset(buf, 0, sizeof(*buf));
	buf->buf = data;
	buf->size = buf->max = buf->wpos = len;
	buf->fd = IBUF_FD_ON_STACK;
}

void
ibuf_from_ibuf(struct ibuf *buf, const struct ibuf *from)
{
	ibuf_from_buffer(buf, ibuf_data(from), ibuf_size(from));
}

int
ibuf_get(struct ibuf *buf, void *data, size_t len)
{
	if (ibuf_size(buf) < len) {
		errno = EBADMSG;
		return -1;
	}
	if (len > 0)
		memcpy(data, ibuf_data(buf), len);
	buf->rpos += len;
	return 0;
}

int
ibuf_get_ibuf(struct ibuf *buf, size_t len, struct ibuf *new)
{
	if (ibuf_size(buf) < len) {
		errno = EBADMSG;
		return -1;
	}
	ibuf_from_buffer(new, ibuf_data(buf), len);
	buf->rpos += len;
	return 0;
}

int
ibuf_get_n8(struct ibuf *buf, uint8_t *value)
{
	return ibuf_get(buf, value, sizeof(*value));
}

int
ibuf_get_n16(struct ibuf *buf, uint16_t *value)
{
	uint16_t	v;

	if (ibuf_get(buf, &v, sizeof(v)) == -1)
		return -1;
	*value = be16toh(v);
	return 0;
}

int
ibuf_get_n32(struct ibuf *buf, uint32_t *value)
{
	uint32_t	v;

	if (ibuf_get(buf, &v, sizeof(v)) == -1)
		return -1;
	*value = be32toh(v);
	return 0;
}

int
ibuf_get_n64(struct ibuf *buf, uint64_t *value)
{
	uint64_t	v;

	if (ibuf_get(buf, &v, sizeof(v)) == -1)
		return -1;
	*value = be64toh(v);
	return 0;
}

int
ibuf_get_h16(struct ibuf *buf, uint16_t *value)
{
	return ibuf_get(buf, value, sizeof(*value));
}

int
ibuf_get_h32(struct ibuf *buf, uint32_t *value)
{
	return ibuf_get(buf, value, sizeof(*value));
}

int
ibuf_get_h64(struct ibuf *buf, uint64_t *value)
{
	return ibuf_get(buf, value, sizeof(*value));
}

/*
 * Consume len bytes and return them as a new NUL-terminated string (up
 * to the first NUL among them, as strndup(3)); the caller frees it.
 */
char *
ibuf_get_string(struct ibuf *buf, size_t len)
{
	char	*str;

	if (ibuf_size(buf) < len) {
		errno = EBADMSG;
		return NULL;
	}
	if (len == 0)
		str = strdup("");
	else
		str = strndup(ibuf_data(buf), len);
	if (str == NULL)
		return NULL;
	buf->rpos += len;
	return str;
}

/*
 * Consume exactly len bytes into str.  The last one must be a NUL: if it
 * is not, str is still terminated but the call fails with EOVERFLOW.
 */
int
ibuf_get_strbuf(struct ibuf *buf, char *str, size_t len)
{
	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	if (ibuf_get(buf, str, len) == -1)
		return -1;
	if (str[len - 1] != '\0') {
		str[len - 1] = '\0';
		errno = EOVERFLOW;
		return -1;
	}
	return 0;
}

int
ibuf_skip(struct ibuf *buf, size_t len)
{
	if (ibuf_size(buf) < len) {
		errno = EBADMSG;
		return -1;
	}
	buf->rpos += len;
	return 0;
}

void
ibuf_free(struct ibuf *buf)
{
	int	saved_errno;

	if (buf == NULL)
		return;
	/* freeing an ibuf made by ibuf_from_buffer is a caller's bug */
	if (buf->fd == IBUF_FD_ON_STACK)
		abort();
	saved_errno = errno;
	if (buf->fd >= 0)
		close(buf->fd);
	freezero(buf->buf, buf->size);
	free(buf);
	errno = saved_errno;
}

int
ibuf_fd_avail(struct ibuf *buf)
{
	return buf->fd >= 0;
}

int
ibuf_fd_get(struct ibuf *buf)
{
	int	fd;

	if (buf->fd < 0)
		return -1;
	fd = buf->fd;
	buf->fd = -1;
	return fd;
}

void
ibuf_fd_set(struct ibuf *buf, int fd)
{
	if (buf->fd == IBUF_FD_ON_STACK)
		abort();
	if (buf->fd >= 0)
		close(buf->fd);
	buf->fd = fd >= 0 ? fd : -1;
}

struct msgbuf *
msgbuf_new(void)
{
	struct msgbuf	*msgbuf;

	if ((msgbuf = calloc(1, sizeof(*msgbuf))) == NULL)
		return NULL;
	TAILQ_INIT(&msgbuf->bufs);
	return msgbuf;
}

void
msgbuf_free(struct msgbuf *msgbuf)
{
	if (msgbuf == NULL)
		return;
	msgbuf_clear(msgbuf);
	free(msgbuf);
}

/* drop everything queued, closing the descriptors not yet sent */
void
msgbuf_clear(struct msgbuf *msgbuf)
{
	struct ibuf	*buf;

	while ((buf = TAILQ_FIRST(&msgbuf->bufs)) != NULL) {
		TAILQ_REMOVE(&msgbuf->bufs, buf, entry);
		ibuf_free(buf);
	}
	msgbuf->queued = 0;
}

uint32_t
msgbuf_queuelen(struct msgbuf *msgbuf)
{
	return msgbuf->queued;
}

void
ibuf_close(struct msgbuf *msgbuf, struct ibuf *buf)
{
	if (buf == NULL)
		return;
	TAILQ_INSERT_TAIL(&msgbuf->bufs, buf, entry);
	msgbuf->queued++;
}

/* forget the first n bytes written */
static void
msgbuf_drain(struct msgbuf *msgbuf, size_t n)
{
	struct ibuf	*buf;

	while ((buf = TAILQ_FIRST(&msgbuf->bufs)) != NULL) {
		if (n < ibuf_size(buf)) {
			buf->rpos += n;
			return;
		}
		n -= ibuf_size(buf);
		TAILQ_REMOVE(&msgbuf->bufs, buf, entry);
		msgbuf->queued--;
		ibuf_free(buf);
	}
}

/*
 * Write what is queued with writev(2), without descriptors (those still
 * set are closed when their buffer is freed).  0 on success, also when
 * the socket is full (EAGAIN, ENOBUFS); -1 on error.
 */
int
ibuf_write(int fd, struct msgbuf *msgbuf)
{
	struct iovec	 iov[IBUF_IOV_MAX];
	struct ibuf	*buf;
	int		 n = 0;
	ssize_t		 sent;

	TAILQ_FOREACH(buf, &msgbuf->bufs, entry) {
		if (n == IBUF_IOV_MAX)
			break;
		iov[n].iov_base = ibuf_data(buf);
		iov[n].iov_len = ibuf_size(buf);
		n++;
	}
	if (n == 0)
		return 0;
	for (;;) {
		if ((sent = writev(fd, iov, n)) != -1)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
			return 0;
		return -1;
	}
	msgbuf_drain(msgbuf, sent);
	return 0;
}

/*
 * Write what is queued with sendmsg(2).  A buffer with a descriptor
 * starts a new call so that the descriptor travels with its first byte;
 * it is closed here once sent.  Returns as ibuf_write().
 */
int
msgbuf_write(int fd, struct msgbuf *msgbuf)
{
	struct iovec	 iov[IBUF_IOV_MAX];
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	}		 cmsgbuf;
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;
	struct ibuf	*buf, *fdbuf = NULL;
	int		 n = 0;
	ssize_t		 sent;

	TAILQ_FOREACH(buf, &msgbuf->bufs, entry) {
		if (n == IBUF_IOV_MAX)
			break;
		if (buf->fd >= 0) {
			if (n > 0)
				break;
			fdbuf = buf;
		}
		iov[n].iov_base = ibuf_data(buf);
		iov[n].iov_len = ibuf_size(buf);
		n++;
	}
	if (n == 0)
		return 0;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = n;
	if (fdbuf != NULL) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cmsg), &fdbuf->fd, sizeof(int));
	}

	for (;;) {
		/* EPIPE rather than SIGPIPE when the peer is gone */
		if ((sent = sendmsg(fd, &msg, MSG_NOSIGNAL)) != -1)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
			return 0;
		return -1;
	}
	/* the descriptor went with the first byte sent */
	if (fdbuf != NULL && sent > 0) {
		close(fdbuf->fd);
		fdbuf->fd = -1;
	}
	msgbuf_drain(msgbuf, sent);
	return 0;
}
