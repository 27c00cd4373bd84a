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
 * imsg/ as a daemon uses it, over real socketpairs: every way to compose
 * a message, the header's bytes on the wire, reads and writes cut into
 * pieces, many messages in one read, payload checks, descriptor passing,
 * and a hostile peer writing raw bytes (bad lengths, unwanted or
 * unclaimed descriptors, garbage) without a crash or a descriptor leak.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "tap.h"

#define MAXPAYLOAD	(64 * 1024)	/* what meshd uses (MESH_MAX_IMSG) */

static int	 count_fds(void);
static int	 fd_open(int);
static int	 pair(int [2]);
static int	 get_one(struct imsgbuf *, struct imsg *);
static void	 raw_hdr(unsigned char *, uint32_t, uint32_t, uint32_t,
		    uint32_t);
static ssize_t	 send_fds(int, void *, size_t, const int *, int);
static int	 pipe_works(int, int);
static void	 xwrite(int, const void *, size_t);

static void	 test_init(void);
static void	 test_header_bytes(void);
static void	 test_round_trips(void);
static void	 test_payload_access(void);
static void	 test_many_in_one_read(void);
static void	 test_partial_reads(void);
static void	 test_partial_writes(void);
static void	 test_big_message(void);
static void	 test_limits(void);
static void	 test_fd_passing(void);
static void	 test_fd_straddling(void);
static void	 test_hostile(void);
static void	 test_garbage(void);
static void	 test_peer_gone(void);

/* open descriptors, from /proc/self/fd */
static int
count_fds(void)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own */
}

static int
fd_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

static int
pair(int sp[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1) {
		diag("socketpair: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* read until one message is there; 1, or what failed */
static int
get_one(struct imsgbuf *ib, struct imsg *imsg)
{
	int	n, tries;

	for (tries = 0; tries < 100; tries++) {
		if ((n = imsgbuf_get(ib, imsg)) != 0)
			return n;
		if ((n = imsgbuf_read(ib)) != 1)
			return n == 0 ? -2 : -1;
	}
	return -3;
}

static void
raw_hdr(unsigned char *p, uint32_t type, uint32_t len, uint32_t peerid,
    uint32_t pid)
{
	memcpy(p, &type, 4);
	memcpy(p + 4, &len, 4);
	memcpy(p + 8, &peerid, 4);
	memcpy(p + 12, &pid, 4);
}

/* one sendmsg with nfds descriptors */
static ssize_t
send_fds(int s, void *data, size_t len, const int *fds, int nfds)
{
	char		 cbuf[CMSG_SPACE(sizeof(int) * 16)];
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;
	struct iovec	 iov;

	memset(&msg, 0, sizeof(msg));
	memset(cbuf, 0, sizeof(cbuf));
	iov.iov_base = data;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (nfds > 0) {
		msg.msg_control = cbuf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
	}
	return sendmsg(s, &msg, 0);
}

/* a raw write by the hostile peer */
static void
xwrite(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		diag("write: %s", strerror(errno));
}

/* write a word through wfd and read it back from rfd */
static int
pipe_works(int wfd, int rfd)
{
	char	buf[8];

	if (write(wfd, "ping", 4) != 4)
		return 0;
	return read(rfd, buf, sizeof(buf)) == 4 && memcmp(buf, "ping", 4) == 0;
}

static void
test_init(void)
{
	struct imsgbuf	 ib;
	struct imsg	 imsg;
	int		 sp[2];

	if (pair(sp) == -1)
		return;
	ok(imsgbuf_init(&ib, sp[0]) == 0, "imsgbuf_init");
	is_int(ib.fd, sp[0], "the fd is kept in the imsgbuf");
	is_int(ib.maxsize, MAX_IMSGSIZE, "default maximum is MAX_IMSGSIZE");
	is_int(imsgbuf_queuelen(&ib), 0, "nothing queued");
	is_int(imsgbuf_get(&ib, &imsg), 0, "nothing to get");
	ok(imsgbuf_set_maxsize(&ib, MAXPAYLOAD) == 0,
	    "imsgbuf_set_maxsize(64 KiB)");
	is_int(ib.maxsize, MAXPAYLOAD + IMSG_HEADER_SIZE,
	    "the maximum is payload plus header");
	errno = 0;
	ok(imsgbuf_set_maxsize(&ib, IMSG_MAXSIZE_LIMIT + 1) == -1 &&
	    errno == ERANGE, "a maximum beyond the cap fails ERANGE");
	imsgbuf_clear(&ib);
	imsgbuf_clear(&ib);
	ok(fd_open(sp[0]), "imsgbuf_clear (twice) leaves the socket open");
	is_int(imsgbuf_queuelen(&ib), 0, "queuelen after clear is 0");
	close(sp[0]);
	close(sp[1]);
}

static void
test_header_bytes(void)
{
	struct imsgbuf	 ib;
	unsigned char	 buf[64];
	uint32_t	 v;
	ssize_t		 n;
	int		 sp[2];

	if (pair(sp) == -1)
		return;
	imsgbuf_init(&ib, sp[0]);
	ok(imsg_compose(&ib, 0x01020304, 0x0a0b0c0d, 4242, -1, "abc", 3) == 1,
	    "imsg_compose returns 1");
	is_int(imsgbuf_queuelen(&ib), 1, "one message queued");
	ok(imsg_compose(&ib, 7, 0, 0, -1, NULL, 0) == 1,
	    "a message without payload, pid 0");
	ok(imsgbuf_flush(&ib) == 0 && imsgbuf_queuelen(&ib) == 0,
	    "imsgbuf_flush empties the queue");
	n = read(sp[1], buf, sizeof(buf));
	is_int(n, 19 + 16, "19 + 16 bytes on the wire");
	memcpy(&v, buf, 4);
	is_int(v, 0x01020304, "offset 0: type, host order");
	memcpy(&v, buf + 4, 4);
	is_int(v, 19, "offset 4: len, header included");
	memcpy(&v, buf + 8, 4);
	is_int(v, 0x0a0b0c0d, "offset 8: peerid");
	memcpy(&v, buf + 12, 4);
	is_int(v, 4242, "offset 12: pid");
	ok(memcmp(buf + 16, "abc", 3) == 0, "offset 16: payload");
	memcpy(&v, buf + 19 + 4, 4);
	is_int(v, 16, "an empty message is a bare header");
	memcpy(&v, buf + 19 + 12, 4);
	is_int(v, getpid(), "pid 0 sends our own pid");
	imsgbuf_clear(&ib);
	close(sp[0]);
	close(sp[1]);
}

static void
test_round_trips(void)
{
	struct imsgbuf	 a, b, c;
	struct imsg	 imsg;
	struct ibuf	*wbuf, payload;
	struct iovec	 iov[3];
	uint32_t	 u32;
	uint16_t	 u16;
	char		 s[16];
	int		 sp[2], sp2[2];

	if (pair(sp) == -1 || pair(sp2) == -1)
		return;
	imsgbuf_init(&a, sp[0]);
	imsgbuf_init(&b, sp[1]);
	imsgbuf_init(&c, sp2[1]);

	imsg_compose(&a, 1, 11, 111, -1, "hello", 6);
	iov[0].iov_base = "one,";
	iov[0].iov_len = 4;
	iov[1].iov_base = "";
	iov[1].iov_len = 0;
	iov[2].iov_base = "two";
	iov[2].iov_len = 4;
	ok(imsg_composev(&a, 2, 22, 222, -1, iov, 3) == 1, "imsg_composev");
	wbuf = ibuf_dynamic(0, 64);
	ibuf_add_n32(wbuf, 0xcafe);
	ibuf_add_n16(wbuf, 7);
	ok(imsg_compose_ibuf(&a, 3, 33, 333, wbuf) == 1, "imsg_compose_ibuf");
	wbuf = imsg_create(&a, 4, 44, 444, 2);
	ok(wbuf != NULL, "imsg_create");
	ok(imsg_add(wbuf, "ab", 2) == 2, "imsg_add returns the length");
	ok(imsg_add(wbuf, "cd", 3) == 3, "imsg_add grows past datalen");
	imsg_close(&a, wbuf);
	imsg_compose(&a, 5, 55, 555, -1, NULL, 0);
	is_int(imsgbuf_queuelen(&a), 5, "five messages queued");
	ok(imsgbuf_flush(&a) == 0, "flush");

	ok(get_one(&b, &imsg) == 1 && imsg_get_type(&imsg) == 1 &&
	    imsg_get_id(&imsg) == 11 && imsg_get_pid(&imsg) == 111,
	    "imsg_compose: type, id, pid");
	ok(imsg_get_len(&imsg) == 6 && imsg.hdr.len == 6 + IMSG_HEADER_SIZE &&
	    imsg.data != NULL && strcmp(imsg.data, "hello") == 0,
	    "imsg_compose: payload, also through hdr.len and data");
	ok(imsg_forward(&b, &imsg) == 1, "imsg_forward");
	imsg_free(&imsg);
	ok(imsg.buf == NULL, "imsg_free forgets the buffer");

	ok(get_one(&b, &imsg) == 1 && imsg_get_type(&imsg) == 2 &&
	    imsg_get_id(&imsg) == 22 && imsg_get_pid(&imsg) == 222 &&
	    imsg_get_len(&imsg) == 8 && memcmp(imsg.data, "one,two", 8) == 0,
	    "imsg_composev: header and joined payload");
	imsg_free(&imsg);

	ok(get_one(&b, &imsg) == 1 && imsg_get_type(&imsg) == 3 &&
	    imsg_get_id(&imsg) == 33 && imsg_get_len(&imsg) == 6,
	    "imsg_compose_ibuf: header");
	ok(imsg_get_ibuf(&imsg, &payload) == 0 &&
	    ibuf_get_n32(&payload, &u32) == 0 && u32 == 0xcafe &&
	    ibuf_get_n16(&payload, &u16) == 0 && u16 == 7 &&
	    ibuf_size(&payload) == 0, "imsg_compose_ibuf: payload by getters");
	imsg_free(&imsg);

	ok(get_one(&b, &imsg) == 1 && imsg_get_type(&imsg) == 4 &&
	    imsg_get_pid(&imsg) == 444 && imsg_get_len(&imsg) == 5 &&
	    memcmp(imsg.data, "abcd", 5) == 0,
	    "imsg_create/imsg_add/imsg_close");
	imsg_free(&imsg);

	ok(get_one(&b, &imsg) == 1 && imsg_get_type(&imsg) == 5 &&
	    imsg_get_len(&imsg) == 0 && imsg.data == NULL,
	    "an empty message has no data");
	errno = 0;
	ok(imsg_get_ibuf(&imsg, &payload) == -1 && errno == EBADMSG,
	    "imsg_get_ibuf of an empty message fails EBADMSG");
	errno = 0;
	ok(imsg_get_data(&imsg, s, 1) == -1 && errno == EBADMSG,
	    "imsg_get_data of an empty message fails");
	imsg_free(&imsg);
	is_int(imsgbuf_get(&b, &imsg), 0, "no more messages");

	/* the forwarded one comes back to a */
	ok(imsgbuf_flush(&b) == 0 && get_one(&a, &imsg) == 1 &&
	    imsg_get_type(&imsg) == 1 && imsg_get_id(&imsg) == 11 &&
	    imsg_get_pid(&imsg) == 111 && imsg_get_len(&imsg) == 6 &&
	    strcmp(imsg.data, "hello") == 0,
	    "the forwarded message arrives whole");
	/* forward again, after part of the payload was read */
	ok(imsg_get_buf(&imsg, s, 2) == 0, "read 2 bytes of it");
	c.fd = sp2[1];
	imsgbuf_clear(&c);
	imsgbuf_init(&c, sp2[0]);
	ok(imsg_forward(&c, &imsg) == 1 && imsg_forward(&c, &imsg) == 1,
	    "forward it twice");
	imsg_free(&imsg);
	imsgbuf_flush(&c);
	imsgbuf_clear(&c);
	imsgbuf_init(&c, sp2[1]);
	ok(get_one(&c, &imsg) == 1 && imsg_get_len(&imsg) == 6 &&
	    strcmp(imsg.data, "hello") == 0,
	    "forwarding sends the whole payload, whatever was read");
	imsg_free(&imsg);
	ok(get_one(&c, &imsg) == 1 && imsg_get_len(&imsg) == 6,
	    "and can be done more than once");
	imsg_free(&imsg);

	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	imsgbuf_clear(&c);
	close(sp[0]);
	close(sp[1]);
	close(sp2[0]);
	close(sp2[1]);
}

static void
test_payload_access(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	struct ibuf	 ib;
	uint32_t	 data[2] = { 0x11111111, 0x22222222 }, out[3];
	uint64_t	 v64;
	char		 str[8];
	int		 sp[2];

	if (pair(sp) == -1)
		return;
	imsgbuf_init(&a, sp[0]);
	imsgbuf_init(&b, sp[1]);
	imsg_compose(&a, 1, 0, 0, -1, data, sizeof(data));
	imsg_compose(&a, 2, 0, 0, -1, data, sizeof(data));
	imsg_compose(&a, 3, 0, 0, -1, "name\0\0\0\0rest", 12);
	imsg_compose(&a, 4, 0, 0, -1, "toolong!", 8);
	imsgbuf_flush(&a);

	get_one(&b, &imsg);
	errno = 0;
	ok(imsg_get_data(&imsg, out, 4) == -1 && errno == EBADMSG,
	    "imsg_get_data with a shorter size fails EBADMSG");
	errno = 0;
	ok(imsg_get_data(&imsg, out, 12) == -1 && errno == EBADMSG,
	    "imsg_get_data with a longer size fails EBADMSG");
	errno = 0;
	ok(imsg_get_data(&imsg, out, 0) == -1 && errno == EINVAL,
	    "imsg_get_data with size 0 fails EINVAL");
	memset(out, 0, sizeof(out));
	ok(imsg_get_data(&imsg, out, 8) == 0 && out[0] == data[0] &&
	    out[1] == data[1], "imsg_get_data with the exact size");
	imsg_free(&imsg);

	get_one(&b, &imsg);
	ok(imsg_get_ibuf(&imsg, &ib) == 0 && ibuf_get_h64(&ib, &v64) == 0 &&
	    ibuf_get_n8(&ib, (uint8_t *)str) == -1,
	    "imsg_get_ibuf: getters stop at the payload's end");
	is_int(imsg_get_len(&imsg), 8, "imsg_get_ibuf does not consume");
	ok(imsg_get_buf(&imsg, out, 4) == 0 && out[0] == data[0],
	    "imsg_get_buf copies a prefix");
	is_int(imsg_get_len(&imsg), 4, "imsg_get_len is what is left");
	errno = 0;
	ok(imsg_get_buf(&imsg, out, 8) == -1 && errno == EBADMSG,
	    "imsg_get_buf past the end fails EBADMSG");
	ok(imsg_get_buf(&imsg, out, 4) == 0 && out[0] == data[1],
	    "imsg_get_buf of the rest");
	imsg_free(&imsg);

	get_one(&b, &imsg);
	ok(imsg_get_strbuf(&imsg, str, 8) == 0 && strcmp(str, "name") == 0,
	    "imsg_get_strbuf of a fixed field");
	ok(imsg_get_buf(&imsg, str, 4) == 0 && memcmp(str, "rest", 4) == 0,
	    "the bytes after it");
	imsg_free(&imsg);

	get_one(&b, &imsg);
	errno = 0;
	ok(imsg_get_strbuf(&imsg, str, 8) == -1 && errno == EOVERFLOW &&
	    strcmp(str, "toolong") == 0,
	    "imsg_get_strbuf without a NUL fails, string terminated");
	imsg_free(&imsg);

	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sp[0]);
	close(sp[1]);
}

static void
test_many_in_one_read(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	uint32_t	 i, v;
	int		 sp[2], good = 1, n;

	if (pair(sp) == -1)
		return;
	imsgbuf_init(&a, sp[0]);
	imsgbuf_init(&b, sp[1]);
	for (i = 0; i < 200; i++)
		imsg_compose(&a, 100 + i, i, 0, -1, &i, sizeof(i));
	is_int(imsgbuf_queuelen(&a), 200, "200 queued");
	ok(imsgbuf_write(&a) == 0, "imsgbuf_write");
	is_int(imsgbuf_queuelen(&a), 0, "one call sent them all (batched)");
	is_int(imsgbuf_read(&b), 1, "one read");
	for (i = 0; i < 200; i++) {
		if ((n = imsgbuf_get(&b, &imsg)) != 1 ||
		    imsg_get_type(&imsg) != 100 + i ||
		    imsg_get_data(&imsg, &v, sizeof(v)) == -1 || v != i) {
			good = 0;
			if (n == 1)
				imsg_free(&imsg);
			break;
		}
		imsg_free(&imsg);
	}
	ok(good, "one read gave all 200, in order");
	is_int(imsgbuf_get(&b, &imsg), 0, "then nothing");
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sp[0]);
	close(sp[1]);
}

static void
test_partial_reads(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	unsigned char	 wire[256];
	ssize_t		 len, i;
	int		 sp[2], sp2[2], early = 0, n, got = 0;

	if (pair(sp) == -1 || pair(sp2) == -1)
		return;
	imsgbuf_init(&a, sp[0]);
	imsg_compose(&a, 9, 1, 0, -1, "first message", 14);
	imsg_compose(&a, 9, 2, 0, -1, "second", 7);
	imsgbuf_flush(&a);
	len = read(sp[1], wire, sizeof(wire));
	is_int(len, 14 + 7 + 2 * 16, "captured the wire bytes");

	/* feed them one byte at a time */
	imsgbuf_init(&b, sp2[1]);
	for (i = 0; i < len; i++) {
		if (write(sp2[0], wire + i, 1) != 1 || imsgbuf_read(&b) != 1)
			break;
		while ((n = imsgbuf_get(&b, &imsg)) == 1) {
			if (i != 29 && i != len - 1)
				early = 1;
			if (imsg_get_id(&imsg) == 1 &&
			    strcmp(imsg.data, "first message") == 0)
				got |= 1;
			if (imsg_get_id(&imsg) == 2 &&
			    strcmp(imsg.data, "second") == 0)
				got |= 2;
			imsg_free(&imsg);
		}
		if (n == -1)
			break;
	}
	is_int(i, len, "every byte read, no error");
	ok(!early, "a message appears only with its last byte");
	is_int(got, 3, "both messages arrived intact");
	close(sp2[0]);
	is_int(imsgbuf_read(&b), 0, "EOF after the writer closes");
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sp[0]);
	close(sp[1]);
	close(sp2[1]);
}

static void
test_partial_writes(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	static unsigned char	 big[MAXPAYLOAD];
	int		 sp[2], sz = 4096, i, rounds = 0, partial = 0, good = 1;
	int		 got = 0, n;
	uint32_t	 ql;

	if (pair(sp) == -1)
		return;
	setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sp[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	fcntl(sp[0], F_SETFL, O_NONBLOCK);
	fcntl(sp[1], F_SETFL, O_NONBLOCK);
	imsgbuf_init(&a, sp[0]);
	imsgbuf_init(&b, sp[1]);
	imsgbuf_set_maxsize(&a, MAXPAYLOAD);
	imsgbuf_set_maxsize(&b, MAXPAYLOAD);
	for (i = 0; i < MAXPAYLOAD; i++)
		big[i] = i * 7 + 3;
	for (i = 0; i < 8; i++)
		ok(imsg_compose(&a, 50 + i, i, 0, -1, big,
		    MAXPAYLOAD - i * 1000) == 1, "queue %d bytes",
		    MAXPAYLOAD - i * 1000);
	while (got < 8 && rounds++ < 10000) {
		ql = imsgbuf_queuelen(&a);
		if (imsgbuf_write(&a) == -1) {
			diag("write: %s", strerror(errno));
			break;
		}
		if (ql > 0 && imsgbuf_queuelen(&a) == ql)
			partial = 1;	/* the socket took only part */
		if ((n = imsgbuf_read(&b)) != 1) {
			diag("read %d: %s", n, strerror(errno));
			break;
		}
		while (imsgbuf_get(&b, &imsg) == 1) {
			if (imsg_get_type(&imsg) != (uint32_t)(50 + got) ||
			    imsg_get_len(&imsg) !=
			    (size_t)(MAXPAYLOAD - got * 1000) ||
			    memcmp(imsg.data, big, imsg_get_len(&imsg)) != 0)
				good = 0;
			got++;
			imsg_free(&imsg);
		}
	}
	ok(partial, "writes were partial (a small socket buffer)");
	is_int(got, 8, "all 8 large messages arrived");
	ok(good, "in order and byte for byte");
	diag("%d write/read rounds", rounds);
	ok(imsgbuf_write(&a) == 0 && imsgbuf_queuelen(&a) == 0,
	    "nothing left to write");
	errno = 0;
	is_int(imsgbuf_read(&b), 1,
	    "reading an empty non-blocking socket returns 1");
	is_int(imsgbuf_get(&b, &imsg), 0, "with nothing new");
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sp[0]);
	close(sp[1]);
}

/* larger than the read buffer */
static void
test_big_message(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	unsigned char	*big;
	size_t		 len = 1024 * 1024, i;
	int		 sp[2], n = 0;
	pid_t		 pid;

	if (pair(sp) == -1 || (big = malloc(len)) == NULL)
		return;
	for (i = 0; i < len; i++)
		big[i] = i % 251;
	imsgbuf_init(&b, sp[1]);
	imsgbuf_set_maxsize(&b, len);
	/* a child writes, so that the blocking flush can finish */
	switch (pid = fork()) {
	case -1:
		ok(0, "fork");
		return;
	case 0:
		close(sp[1]);
		imsgbuf_init(&a, sp[0]);
		imsgbuf_set_maxsize(&a, len);
		n = imsg_compose(&a, 77, 0, 0, -1, big, len) == 1 &&
		    imsgbuf_flush(&a) == 0;
		imsgbuf_clear(&a);
		imsgbuf_clear(&b);
		close(sp[0]);
		free(big);
		_exit(n ? 0 : 1);
	}
	close(sp[0]);
	n = get_one(&b, &imsg);
	ok(n == 1 && imsg_get_type(&imsg) == 77 && imsg_get_len(&imsg) == len &&
	    memcmp(imsg.data, big, len) == 0,
	    "a 1 MiB message (maxsize 1 MiB) arrives whole");
	if (n == 1)
		imsg_free(&imsg);
	waitpid(pid, &n, 0);
	ok(WIFEXITED(n) && WEXITSTATUS(n) == 0,
	    "the writer's imsgbuf_flush succeeded");
	imsgbuf_clear(&b);
	close(sp[1]);
	free(big);
}

static void
test_limits(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	struct ibuf	*wbuf;
	static char	 big[MAXPAYLOAD + 1];
	int		 sp[2];

	if (pair(sp) == -1)
		return;
	imsgbuf_init(&a, sp[0]);
	imsgbuf_init(&b, sp[1]);
	errno = 0;
	ok(imsg_compose(&a, 1, 0, 0, -1, big, MAX_IMSGSIZE) == -1 &&
	    errno == ERANGE, "default: a 16384-byte payload fails ERANGE");
	ok(imsg_compose(&a, 1, 0, 0, -1, big,
	    MAX_IMSGSIZE - IMSG_HEADER_SIZE) == 1,
	    "default: MAX_IMSGSIZE - header works");
	ok(imsg_create(&a, 1, 0, 0, MAX_IMSGSIZE) == NULL,
	    "imsg_create beyond the maximum fails");
	wbuf = imsg_create(&a, 1, 0, 0, 10);
	ok(imsg_add(wbuf, big, MAX_IMSGSIZE) == -1,
	    "imsg_add beyond the maximum fails (and frees)");
	wbuf = imsg_create(&a, 1, 0, 0, 10);
	ok(imsg_set_maxsize(wbuf, 20) == 0 && imsg_add(wbuf, big, 20) == 20 &&
	    imsg_add(wbuf, big, 1) == -1, "imsg_set_maxsize lowers the limit");
	wbuf = imsg_create(&a, 1, 0, 0, 10);
	imsg_add(wbuf, big, 10);
	errno = 0;
	ok(imsg_set_maxsize(wbuf, 4) == -1 && errno == ERANGE,
	    "imsg_set_maxsize below the data already added fails");
	ok(imsg_set_maxsize(wbuf, MAX_IMSGSIZE) == -1,
	    "imsg_set_maxsize cannot raise the limit");
	ibuf_free(wbuf);
	is_int(imsgbuf_queuelen(&a), 1, "failures queued nothing");
	imsgbuf_set_maxsize(&a, MAXPAYLOAD);
	imsgbuf_set_maxsize(&b, MAXPAYLOAD);
	ok(imsg_compose(&a, 2, 0, 0, -1, big, MAXPAYLOAD) == 1,
	    "64 KiB payload with maxsize 64 KiB");
	ok(imsg_compose(&a, 3, 0, 0, -1, big, MAXPAYLOAD + 1) == -1,
	    "64 KiB + 1 fails");
	imsgbuf_flush(&a);
	ok(get_one(&b, &imsg) == 1 && imsg_get_type(&imsg) == 1, "first");
	imsg_free(&imsg);
	ok(get_one(&b, &imsg) == 1 && imsg_get_type(&imsg) == 2 &&
	    imsg_get_len(&imsg) == MAXPAYLOAD, "a message of exactly the max");
	imsg_free(&imsg);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sp[0]);
	close(sp[1]);
}

static void
test_fd_passing(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	int		 sp[2], p[2], pipes[5][2], i, fd, good = 1, n0, sent;

	if (pair(sp) == -1 || pipe(p) == -1)
		return;
	n0 = count_fds();
	imsgbuf_init(&a, sp[0]);	/* sending needs no permission */
	imsgbuf_init(&b, sp[1]);
	imsgbuf_allow_fdpass(&b);
	sent = p[1];
	ok(imsg_compose(&a, 1, 0, 0, sent, "fd", 3) == 1, "compose with an fd");
	ok(fd_open(sent), "the fd stays open until sent");
	imsgbuf_flush(&a);
	ok(!fd_open(sent), "the sender closed it once sent");
	ok(get_one(&b, &imsg) == 1 && strcmp(imsg.data, "fd") == 0,
	    "message with the fd arrives");
	fd = imsg_get_fd(&imsg);
	ok(fd >= 0, "imsg_get_fd gives a descriptor");
	is_int(imsg_get_fd(&imsg), -1, "a second imsg_get_fd gives -1");
	ok(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC),
	    "received with close-on-exec");
	ok(fd >= 0 && pipe_works(fd, p[0]),
	    "the received fd writes into the pipe");
	imsg_free(&imsg);
	ok(fd >= 0 && fd_open(fd), "imsg_free leaves a claimed fd alone");
	close(fd);

	/* several, with plain messages between them */
	for (i = 0; i < 5; i++) {
		if (pipe(pipes[i]) == -1)
			return;
		imsg_compose(&a, 2, i, 0, pipes[i][1], NULL, 0);
		imsg_compose(&a, 3, i, 0, -1, NULL, 0);
	}
	imsgbuf_flush(&a);
	for (i = 0; i < 10; i++) {
		if (get_one(&b, &imsg) != 1) {
			good = 0;
			break;
		}
		fd = imsg_get_fd(&imsg);
		if (imsg_get_type(&imsg) == 3)
			good &= fd == -1;
		else
			good &= fd >= 0 &&
			    pipe_works(fd, pipes[imsg_get_id(&imsg)][0]);
		if (fd >= 0)
			close(fd);
		imsg_free(&imsg);
	}
	ok(good, "5 fds among 10 messages, each on its own message");
	for (i = 0; i < 5; i++)
		close(pipes[i][0]);

	/* an fd nobody claims */
	if (pipe(pipes[0]) == -1)
		return;
	imsg_compose(&a, 4, 0, 0, pipes[0][1], NULL, 0);
	imsgbuf_flush(&a);
	get_one(&b, &imsg);
	imsg_free(&imsg);
	close(pipes[0][0]);
	is_int(count_fds(), n0 - 1, "imsg_free closes an unclaimed fd");

	/* queued, never sent */
	if (pipe(pipes[0]) == -1)
		return;
	imsg_compose(&a, 5, 0, 0, pipes[0][1], NULL, 0);
	close(pipes[0][0]);
	imsgbuf_clear(&a);
	is_int(count_fds(), n0 - 1, "imsgbuf_clear closes queued fds");

	/* the fd rides with compose_ibuf's payload */
	imsgbuf_init(&a, sp[0]);
	if (pipe(pipes[0]) == -1)
		return;
	{
		struct ibuf	*w = ibuf_dynamic(0, 16);

		ibuf_add(w, "x", 1);
		ibuf_fd_set(w, pipes[0][1]);
		imsg_compose_ibuf(&a, 6, 0, 0, w);
	}
	imsgbuf_flush(&a);
	ok(get_one(&b, &imsg) == 1 && (fd = imsg_get_fd(&imsg)) >= 0 &&
	    pipe_works(fd, pipes[0][0]), "imsg_compose_ibuf passes its fd");
	imsg_free(&imsg);
	if (fd >= 0)
		close(fd);
	close(pipes[0][0]);

	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(p[0]);
	close(sp[0]);
	close(sp[1]);
	/* p[1] went with the first message, p[0] and sp closed here */
	is_int(count_fds(), n0 - 4, "no descriptor leaked");
}

/*
 * The read buffer fills up inside a header whose fd came with it; the
 * next read completes that header and brings the next message's fd too.
 */
static void
test_fd_straddling(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	static char	 pad[IBUF_READ_SIZE];
	int		 sp[2], pa[2], pb[2], fd = -1, n0;
	size_t		 padlen = IBUF_READ_SIZE - 5 - IMSG_HEADER_SIZE;

	if (pair(sp) == -1 || pipe(pa) == -1 || pipe(pb) == -1)
		return;
	n0 = count_fds();
	imsgbuf_init(&a, sp[0]);
	imsgbuf_init(&b, sp[1]);
	imsgbuf_allow_fdpass(&b);
	imsgbuf_set_maxsize(&a, MAXPAYLOAD);
	imsgbuf_set_maxsize(&b, MAXPAYLOAD);
	imsg_compose(&a, 1, 0, 0, -1, pad, padlen);
	imsg_compose(&a, 2, 0, 0, pa[1], "A", 2);
	imsg_compose(&a, 3, 0, 0, pb[1], "B", 2);
	ok(imsgbuf_flush(&a) == 0, "sent pad, A with fd, B with fd");
	is_int(imsgbuf_read(&b), 1, "first read");
	ok(imsgbuf_get(&b, &imsg) == 1 && imsg_get_len(&imsg) == padlen,
	    "the pad message");
	imsg_free(&imsg);
	is_int(imsgbuf_get(&b, &imsg), 0, "A's header is not complete yet");
	ok(get_one(&b, &imsg) == 1 && imsg_get_type(&imsg) == 2 &&
	    (fd = imsg_get_fd(&imsg)) >= 0 && pipe_works(fd, pa[0]),
	    "A gets its own fd");
	imsg_free(&imsg);
	close(fd);
	ok(get_one(&b, &imsg) == 1 && imsg_get_type(&imsg) == 3 &&
	    (fd = imsg_get_fd(&imsg)) >= 0 && pipe_works(fd, pb[0]),
	    "B gets its own fd");
	imsg_free(&imsg);
	close(fd);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	is_int(count_fds(), n0 - 2, "no descriptor leaked");
	close(pa[0]);
	close(pb[0]);
	close(sp[0]);
	close(sp[1]);
}

/* a fresh receiver for each hostile case */
struct victim {
	struct imsgbuf	ib;
	int		sp[2];
	int		nfds;
};

static int
victim_new(struct victim *v, int fdpass)
{
	if (pair(v->sp) == -1)
		return -1;
	imsgbuf_init(&v->ib, v->sp[1]);
	if (fdpass)
		imsgbuf_allow_fdpass(&v->ib);
	v->nfds = count_fds();
	return 0;
}

static void
victim_done(struct victim *v)
{
	imsgbuf_clear(&v->ib);
	close(v->sp[0]);
	close(v->sp[1]);
}

static void
test_hostile(void)
{
	struct victim	 v;
	struct imsg	 imsg;
	unsigned char	 m[64];
	int		 p[2], fds[10], i, n;

	memset(m, 0, sizeof(m));
	/* short header, then EOF */
	if (victim_new(&v, 0) == -1)
		return;
	raw_hdr(m, 1, 32, 0, 0);
	xwrite(v.sp[0], m, 7);
	shutdown(v.sp[0], SHUT_WR);
	is_int(imsgbuf_read(&v.ib), 1, "short header: read 7 bytes");
	is_int(imsgbuf_get(&v.ib, &imsg), 0, "short header: no message");
	is_int(imsgbuf_read(&v.ib), 0, "short header: then EOF");
	is_int(imsgbuf_get(&v.ib, &imsg), 0, "short header: still no message");
	victim_done(&v);

	/* header, part of the payload, EOF */
	victim_new(&v, 0);
	raw_hdr(m, 1, 32, 0, 0);
	xwrite(v.sp[0], m, 20);
	close(v.sp[0]);
	v.sp[0] = open("/dev/null", O_RDONLY);
	ok(imsgbuf_read(&v.ib) == 1 && imsgbuf_get(&v.ib, &imsg) == 0 &&
	    imsgbuf_read(&v.ib) == 0, "truncated payload then EOF: no message");
	victim_done(&v);

	/* len beyond the maximum */
	victim_new(&v, 0);
	imsgbuf_set_maxsize(&v.ib, 100);
	raw_hdr(m, 1, 100 + IMSG_HEADER_SIZE + 1, 0, 0);
	xwrite(v.sp[0], m, 16);
	errno = 0;
	n = imsgbuf_read(&v.ib);
	ok(n == -1 && errno == ERANGE, "len beyond maxsize: read fails ERANGE");
	errno = 0;
	ok(imsgbuf_get(&v.ib, &imsg) == -1 && errno == ERANGE,
	    "len beyond maxsize: get fails too");
	raw_hdr(m, 1, 16, 0, 0);
	xwrite(v.sp[0], m, 16);
	ok(imsgbuf_read(&v.ib) == -1 && imsgbuf_get(&v.ib, &imsg) == -1,
	    "len beyond maxsize: the channel stays failed");
	victim_done(&v);

	/* len 0xffffffff and len with only the fd bit */
	victim_new(&v, 1);
	raw_hdr(m, 1, 0x7fffffff, 0, 0);
	xwrite(v.sp[0], m, 16);
	ok(imsgbuf_read(&v.ib) == -1 && errno == ERANGE,
	    "len 2^31-1: fails ERANGE, no huge allocation");
	victim_done(&v);

	/* len smaller than the header */
	for (i = 0; i < 2; i++) {
		victim_new(&v, 0);
		raw_hdr(m, 1, i == 0 ? 0 : IMSG_HEADER_SIZE - 1, 0, 0);
		xwrite(v.sp[0], m, 16);
		errno = 0;
		n = imsgbuf_read(&v.ib);
		ok(n == -1 && (errno == EBADMSG || errno == ERANGE),
		    "len %d: read fails (%s)", i == 0 ? 0 :
		    (int)IMSG_HEADER_SIZE - 1, strerror(errno));
		ok(imsgbuf_get(&v.ib, &imsg) == -1, "len %d: get fails",
		    i == 0 ? 0 : (int)IMSG_HEADER_SIZE - 1);
		victim_done(&v);
	}

	/* a good message, then a bad header, in the same read */
	victim_new(&v, 0);
	raw_hdr(m, 5, 20, 0, 0);
	memcpy(m + 16, "good", 4);
	raw_hdr(m + 20, 6, 3, 0, 0);
	xwrite(v.sp[0], m, 36);
	is_int(imsgbuf_read(&v.ib), -1, "good then bad: read fails");
	ok(imsgbuf_get(&v.ib, &imsg) == 1 && imsg_get_type(&imsg) == 5 &&
	    memcmp(imsg.data, "good", 4) == 0,
	    "good then bad: the good message is still there");
	imsg_free(&imsg);
	is_int(imsgbuf_get(&v.ib, &imsg), -1, "good then bad: then the error");
	victim_done(&v);

	/* an fd where fd passing is not allowed */
	if (pipe(p) == -1)
		return;
	victim_new(&v, 0);
	raw_hdr(m, 1, 16 | IMSG_FD_MARK, 0, 0);
	send_fds(v.sp[0], m, 16, &p[1], 1);
	errno = 0;
	ok(imsgbuf_read(&v.ib) == -1 && errno == EBADMSG,
	    "fd without imsgbuf_allow_fdpass: read fails EBADMSG");
	is_int(count_fds(), v.nfds, "fd without fdpass: it was closed");
	ok(imsgbuf_get(&v.ib, &imsg) == -1, "fd without fdpass: get fails");
	victim_done(&v);

	/* an fd with a header that does not say so */
	victim_new(&v, 1);
	raw_hdr(m, 1, 16, 0, 0);
	send_fds(v.sp[0], m, 16, &p[1], 1);
	ok(imsgbuf_read(&v.ib) == -1 && errno == EBADMSG,
	    "unclaimed fd: read fails EBADMSG");
	is_int(count_fds(), v.nfds, "unclaimed fd: it was closed");
	victim_done(&v);

	/* a header that says fd, without one */
	victim_new(&v, 1);
	raw_hdr(m, 1, 16 | IMSG_FD_MARK, 0, 0);
	xwrite(v.sp[0], m, 16);
	ok(imsgbuf_read(&v.ib) == -1 && errno == EBADMSG,
	    "fd mark without an fd: read fails EBADMSG");
	victim_done(&v);

	/* three fds with one message */
	victim_new(&v, 1);
	for (i = 0; i < 3; i++)
		fds[i] = p[1];
	raw_hdr(m, 1, 16 | IMSG_FD_MARK, 0, 0);
	send_fds(v.sp[0], m, 16, fds, 3);
	ok(imsgbuf_read(&v.ib) == -1 && errno == EBADMSG,
	    "3 fds at once: read fails EBADMSG");
	is_int(count_fds(), v.nfds, "3 fds at once: all closed");
	victim_done(&v);

	/* more fds than the control buffer holds (MSG_CTRUNC) */
	victim_new(&v, 1);
	for (i = 0; i < 10; i++)
		fds[i] = p[1];
	send_fds(v.sp[0], m, 16, fds, 10);
	errno = 0;
	ok(imsgbuf_read(&v.ib) == -1 && errno == EMSGSIZE,
	    "10 fds at once: read fails EMSGSIZE (truncated)");
	is_int(count_fds(), v.nfds, "10 fds at once: none leaked");
	victim_done(&v);

	/* an fd with a partial header, then EOF */
	victim_new(&v, 1);
	send_fds(v.sp[0], m, 5, &p[1], 1);
	close(v.sp[0]);
	v.sp[0] = open("/dev/null", O_RDONLY);
	ok(imsgbuf_read(&v.ib) == 1 && imsgbuf_read(&v.ib) == 0,
	    "fd with a partial header, then EOF");
	imsgbuf_clear(&v.ib);
	is_int(count_fds(), v.nfds,
	    "imsgbuf_clear closes the fd still waiting for its header");
	imsgbuf_init(&v.ib, v.sp[1]);
	victim_done(&v);

	/* a second fd while the first still waits for its header */
	victim_new(&v, 1);
	send_fds(v.sp[0], m, 5, &p[1], 1);
	is_int(imsgbuf_read(&v.ib), 1, "fd with 5 bytes of header");
	send_fds(v.sp[0], m + 5, 1, &p[1], 1);
	ok(imsgbuf_read(&v.ib) == -1 && errno == EBADMSG,
	    "a second fd before the first header is complete fails");
	is_int(count_fds(), v.nfds, "both closed");
	victim_done(&v);

	close(p[0]);
	close(p[1]);
}

static void
test_garbage(void)
{
	struct victim	 v;
	struct imsg	 imsg;
	unsigned char	 junk[8192];
	uint32_t	 x = 0x12345678, len;
	int		 seed, n, msgs = 0, bad = 0, ended = 1, i;

	for (seed = 0; seed < 64; seed++) {
		if (victim_new(&v, seed & 1) == -1)
			return;
		imsgbuf_set_maxsize(&v.ib, 4096);
		for (i = 0; i < (int)sizeof(junk); i++) {
			/* xorshift32 */
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			junk[i] = x;
		}
		/* now and then a plausible length, to get past headers */
		for (i = 0; i + 8 <= (int)sizeof(junk); i += 97) {
			len = (x + i) % 64;
			if (seed & 2)
				memcpy(junk + i + 4, &len, 4);
		}
		xwrite(v.sp[0], junk, sizeof(junk));
		close(v.sp[0]);
		v.sp[0] = open("/dev/null", O_RDONLY);
		for (i = 0; i < 100; i++) {
			n = imsgbuf_read(&v.ib);
			while (imsgbuf_get(&v.ib, &imsg) == 1) {
				if (imsg_get_len(&imsg) > 4096)
					bad = 1;
				msgs++;
				imsg_free(&imsg);
			}
			if (n != 1)
				break;
		}
		if (i == 100)
			ended = 0;
		if (count_fds() != v.nfds)
			bad = 1;
		victim_done(&v);
	}
	diag("%d messages parsed out of garbage", msgs);
	ok(ended, "64 streams of garbage: every one ends in error or EOF");
	ok(!bad, "no message beyond the maximum, no descriptor leaked");
}

static void
test_peer_gone(void)
{
	struct imsgbuf	 a;
	int		 sp[2];

	if (pair(sp) == -1)
		return;
	imsgbuf_init(&a, sp[0]);
	close(sp[1]);
	imsg_compose(&a, 1, 0, 0, -1, "x", 1);
	errno = 0;
	ok(imsgbuf_write(&a) == -1 && errno == EPIPE,
	    "writing to a closed peer fails EPIPE (and no SIGPIPE)");
	ok(imsgbuf_flush(&a) == -1, "so does imsgbuf_flush");
	is_int(imsgbuf_read(&a), 0, "reading from it is EOF");
	imsgbuf_clear(&a);
	close(sp[0]);
}

int
main(void)
{
	test_init();
	test_header_bytes();
	test_round_trips();
	test_payload_access();
	test_many_in_one_read();
	test_partial_reads();
	test_partial_writes();
	test_big_message();
	test_limits();
	test_fd_passing();
	test_fd_straddling();
	test_hostile();
	test_garbage();
	test_peer_gone();
	return tap_done();
}
