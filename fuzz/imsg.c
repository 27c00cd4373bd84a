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
 * The imsg reader facing a hostile peer.  The input is a byte stream
 * (and maybe descriptors) written into one end of a socketpair in the
 * chunks the input chooses; the other end reads it with imsgbuf_read()
 * and takes messages with imsgbuf_get(), with the daemon's maximum size,
 * and picks every message apart with the getters the input chooses.
 * Each message is forwarded through a second socketpair and read back,
 * and must come back the same (pid 0 becomes ours, as imsg_create()
 * says).
 *
 * Every message must be exactly the next one a plain reading of the
 * stream gives; when no descriptor was sent, the reader must fail
 * exactly when that reading finds a bad header; no descriptor may leak.
 *
 * Input: an options byte (bit 0: accept descriptors, bits 1-2: maximum
 * size), then chunks: a byte of flags (bit 0-1: descriptors to send
 * with it, bit 2: no read after it, bit 3: the chunk is one byte
 * repeated), a length (2 bytes), the bytes (or the one byte).
 * Each message read takes a byte choosing what to get from it.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "imsg.h"
#include "meshd.h"

#define STREAM_MAX	(1 << 20)

/* the plain reading of everything written so far */
struct ref {
	uint8_t		*buf;
	size_t		 len;		/* written */
	size_t		 cap;
	size_t		 pos;		/* start of the next message */
	uint32_t	 max;		/* largest whole message */
	int		 bad;		/* a bad header at pos */
	int		 sent_fds;	/* how many */
};

/* the descriptors sent are copies of this one, to count them */
static int	 fd_master = -1;
static struct stat fd_master_st;

/* the next complete message of the stream, or NULL */
static const uint8_t *
ref_next(struct ref *r, uint32_t *len)
{
	uint32_t	l;

	if (r->bad || r->len - r->pos < IMSG_HEADER_SIZE)
		return NULL;
	memcpy(&l, r->buf + r->pos + 4, sizeof(l));
	/* a descriptor that never came is an error too */
	if ((l & IMSG_FD_MARK) && !r->sent_fds)
		r->bad = 1;
	l &= ~IMSG_FD_MARK;
	if (r->bad || l < IMSG_HEADER_SIZE || l > r->max) {
		r->bad = 1;
		return NULL;
	}
	if (r->len - r->pos < l)
		return NULL;
	*len = l;
	return r->buf + r->pos;
}

static void
use_ibuf(struct fz *f, struct ibuf *ib)
{
	struct ibuf	 sub;
	uint64_t	 v64;
	uint32_t	 v32;
	uint16_t	 v16;
	uint8_t		 v8, tmp[64];
	char		*s;
	size_t		 n;
	int		 i, op;

	for (i = 0; i < 8; i++) {
		op = fz_u8(f);
		n = op >> 3;
		switch (op & 7) {
		case 0:
			return;
		case 1:
			(void)ibuf_get_n8(ib, &v8);
			(void)ibuf_get_n16(ib, &v16);
			break;
		case 2:
			(void)ibuf_get_n32(ib, &v32);
			(void)ibuf_get_h32(ib, &v32);
			break;
		case 3:
			(void)ibuf_get_n64(ib, &v64);
			(void)ibuf_get_h64(ib, &v64);
			(void)ibuf_get_h16(ib, &v16);
			break;
		case 4:
			if ((s = ibuf_get_string(ib, n)) != NULL) {
				if (strlen(s) > n)
					abort();
				free(s);
			}
			break;
		case 5:
			if (ibuf_get_strbuf(ib, (char *)tmp, n ? n : 1) == 0 &&
			    strlen((char *)tmp) >= (n ? n : 1))
				abort();
			break;
		case 6:
			if (ibuf_get_ibuf(ib, n, &sub) == 0) {
				if (ibuf_size(&sub) != n)
					abort();
				(void)ibuf_get(&sub, tmp, n / 2);
				(void)ibuf_skip(&sub, 1);
				(void)ibuf_left(&sub);
			}
			break;
		default:
			(void)ibuf_skip(ib, n);
			(void)ibuf_get(ib, tmp, sizeof(tmp) - n);
			break;
		}
	}
}

/* forwarded through a second socketpair, a message must come back whole */
static void
forward(struct imsg *imsg, int pair[2])
{
	struct imsgbuf	 wb, rb;
	struct imsg	 back;
	size_t		 len = imsg_get_len(imsg);

	if (imsgbuf_init(&wb, pair[0]) == -1 ||
	    imsgbuf_init(&rb, pair[1]) == -1 ||
	    imsgbuf_set_maxsize(&wb, MESH_MAX_IMSG) == -1 ||
	    imsgbuf_set_maxsize(&rb, MESH_MAX_IMSG) == -1)
		abort();
	if (imsg_forward(&wb, imsg) == -1 || imsgbuf_flush(&wb) == -1)
		abort();
	while (imsgbuf_get(&rb, &back) == 0)
		if (imsgbuf_read(&rb) != 1)
			abort();
	if (imsg_get_type(&back) != imsg_get_type(imsg) ||
	    imsg_get_id(&back) != imsg_get_id(imsg) ||
	    imsg_get_pid(&back) != (imsg_get_pid(imsg) != 0 ?
	    imsg_get_pid(imsg) : getpid()) ||
	    imsg_get_len(&back) != len || imsg_get_fd(&back) != -1 ||
	    (len > 0 && memcmp(back.data, imsg->data, len) != 0))
		abort();
	imsg_free(&back);
	imsgbuf_clear(&wb);
	imsgbuf_clear(&rb);
}

static void
use_imsg(struct fz *f, struct imsg *imsg, struct ref *r, int fwd[2])
{
	const uint8_t	*want;
	struct ibuf	 ib;
	uint32_t	 wlen, u32;
	uint64_t	 u64;
	char		 str[32];
	int		 fd, op;

	/* exactly the next message of the plain reading */
	if ((want = ref_next(r, &wlen)) == NULL)
		abort();
	if (imsg->hdr.len != wlen || imsg_get_len(imsg) != wlen -
	    IMSG_HEADER_SIZE || memcmp(&imsg->hdr.type, want, 4) != 0 ||
	    memcmp(&imsg->hdr.peerid, want + 8, 4) != 0 ||
	    memcmp(&imsg->hdr.pid, want + 12, 4) != 0 ||
	    (imsg->data == NULL) != (wlen == IMSG_HEADER_SIZE) ||
	    (imsg->data != NULL && memcmp(imsg->data, want +
	    IMSG_HEADER_SIZE, wlen - IMSG_HEADER_SIZE) != 0))
		abort();
	r->pos += wlen;

	op = fz_u8(f);
	if (op & 0x80)
		forward(imsg, fwd);
	switch (op & 7) {
	case 0:
		break;
	case 1:
		(void)imsg_get_data(imsg, &u32, sizeof(u32));
		break;
	case 2:
		(void)imsg_get_data(imsg, &u64, sizeof(u64));
		break;
	case 3:
		(void)imsg_get_buf(imsg, &u32, sizeof(u32));
		(void)imsg_get_strbuf(imsg, str, sizeof(str));
		break;
	case 4:
		if (imsg_get_ibuf(imsg, &ib) == 0) {
			if (ibuf_size(&ib) != imsg_get_len(imsg))
				abort();
			use_ibuf(f, &ib);
		}
		break;
	default:
		(void)imsg_get_buf(imsg, str, 1 + op % sizeof(str));
		if (imsg_get_ibuf(imsg, &ib) == 0)
			use_ibuf(f, &ib);
		break;
	}
	if ((fd = imsg_get_fd(imsg)) != -1) {
		if (fcntl(fd, F_GETFD) == -1)
			abort();
		close(fd);
	}
	imsg_free(imsg);
}

/* takes what is ready; -1 once the reader failed */
static int
drain(struct fz *f, struct imsgbuf *ib, struct ref *r, int fwd[2])
{
	struct imsg	imsg;
	int		n;

	while ((n = imsgbuf_get(ib, &imsg)) == 1)
		use_imsg(f, &imsg, r, fwd);
	return n;
}

static void
send_chunk(int fd, uint8_t *p, size_t len, int nfds)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(3 * sizeof(int))];
	}		 cm;
	struct msghdr	 msg;
	struct iovec	 iov;
	int		 fds[3], i;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = p;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (nfds > 0) {
		for (i = 0; i < nfds; i++)
			if ((fds[i] = dup(fd_master)) == -1)
				abort();
		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cm.hdr.cmsg_len = CMSG_LEN(nfds * sizeof(int));
		cm.hdr.cmsg_level = SOL_SOCKET;
		cm.hdr.cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(&cm.hdr), fds, nfds * sizeof(int));
	}
	if (sendmsg(fd, &msg, 0) != (ssize_t)len)
		abort();
	for (i = 0; i < nfds; i++)
		close(fds[i]);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_quiet();
	if ((fd_master = memfd_create("fuzz-imsg", MFD_CLOEXEC)) == -1 ||
	    fstat(fd_master, &fd_master_st) == -1)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t	 maxes[4] = { MESH_MAX_IMSG, 0, 64,
				    MAX_IMSGSIZE - IMSG_HEADER_SIZE };
	struct imsgbuf		 ib;
	struct stat		 st;
	struct ref		 r;
	struct fz		 f;
	const uint8_t		*taken, *left;
	uint8_t			*chunk;
	uint32_t		 wlen;
	uint8_t			 opts, flags;
	static uint8_t		 fill[65535];
	size_t			 len, unread = 0;
	int			 sp[2], fwd[2], fd, rv = 1, err = 0, nfds;

	fz_init(&f, data, size);
	opts = fz_u8(&f);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, fwd) == -1 ||
	    fcntl(sp[1], F_SETFL, O_NONBLOCK) == -1)
		abort();
	if (imsgbuf_init(&ib, sp[1]) == -1 ||
	    imsgbuf_set_maxsize(&ib, maxes[(opts >> 1) & 3]) == -1)
		abort();
	if (opts & 1)
		imsgbuf_allow_fdpass(&ib);
	memset(&r, 0, sizeof(r));
	r.max = maxes[(opts >> 1) & 3] + IMSG_HEADER_SIZE;
	r.cap = size + 1;
	if ((r.buf = malloc(r.cap)) == NULL)
		abort();

	while (fz_left(&f) > 0 && rv == 1) {
		flags = fz_u8(&f);
		if (flags & 8) {
			/* many bytes from few: one value repeated */
			len = fz_u16(&f);
			memset(fill, fz_u8(&f), len);
		} else if ((len = fz_take(&f, fz_u16(&f) % 4096, &taken)) > 0)
			memcpy(fill, taken, len);	/* sendmsg's iovec */
		chunk = fill;
		if (len == 0)
			continue;
		nfds = flags & 3;
		if (nfds > 0 && !(opts & 1))
			nfds = nfds == 3;	/* mostly none where refused */
		r.sent_fds += nfds;
		send_chunk(sp[0], chunk, len, nfds);
		if (r.len + len > r.cap) {
			r.cap = (r.len + len) * 2;
			if ((r.buf = realloc(r.buf, r.cap)) == NULL)
				abort();
		}
		memcpy(r.buf + r.len, chunk, len);
		r.len += len;
		/* unread bytes stay below what the socket holds */
		if ((flags & 4) && (unread += len) < 65536)
			continue;
		unread = 0;
		/* take the whole chunk, a read at a time */
		do {
			if ((rv = imsgbuf_read(&ib)) == -1)
				err = errno;
			if (drain(&f, &ib, &r, fwd) == -1)
				rv = -1;
		} while (rv == 1 && recv(sp[1], &flags, 1, MSG_PEEK) == 1);
	}
	/* the peer hangs up: read to the end */
	shutdown(sp[0], SHUT_WR);
	while (rv == 1) {
		if ((rv = imsgbuf_read(&ib)) == -1)
			err = errno;
		if (drain(&f, &ib, &r, fwd) == -1)
			rv = -1;
	}
	if (drain(&f, &ib, &r, fwd) == -1)
		rv = -1;
	if (rv == -1 && err != 0 && imsgbuf_read(&ib) != -1)
		abort();	/* a failed stream stays failed */
	if (!r.sent_fds) {
		/*
		 * A bad header is an error and nothing else is; at a clean
		 * end no complete message is left behind.
		 */
		left = ref_next(&r, &wlen);
		if (rv == -1 && !r.bad)
			abort();
		if (rv != -1 && (r.bad || left != NULL))
			abort();
	}
	imsgbuf_clear(&ib);
	close(sp[0]);
	close(sp[1]);
	close(fwd[0]);
	close(fwd[1]);
	free(r.buf);
	/* every descriptor that came in was closed */
	for (fd = 0; fd < fwd[1] + 8 + 6 * r.sent_fds; fd++)
		if (fd != fd_master && fstat(fd, &st) == 0 &&
		    st.st_dev == fd_master_st.st_dev &&
		    st.st_ino == fd_master_st.st_ino)
			abort();
	return 0;
}
