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
 * The ibuf half of imsg/: building buffers (fixed, dynamic, over the
 * caller's memory), the typed adders and setters with their overflow
 * checks, the getters failing cleanly at the end of the data, strings,
 * descriptors, and msgbuf queues written to a socket.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "tap.h"

static void	test_fixed(void);
static void	test_dynamic(void);
static void	test_numbers(void);
static void	test_set_seek(void);
static void	test_getters(void);
static void	test_strings(void);
static void	test_fds(void);
static void	test_msgbuf(void);

static int
fd_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

static void
test_fixed(void)
{
	struct ibuf	*b;

	errno = 0;
	ok(ibuf_open(0) == NULL && errno == EINVAL,
	    "ibuf_open(0) fails EINVAL");
	b = ibuf_open(8);
	ok(b != NULL, "ibuf_open(8)");
	is_int(ibuf_size(b), 0, "new buffer is empty");
	is_int(ibuf_left(b), 8, "new buffer has 8 bytes left");
	ok(ibuf_add(b, "12345678", 8) == 0, "add 8 bytes fills it");
	is_int(ibuf_left(b), 0, "nothing left");
	errno = 0;
	ok(ibuf_add(b, "9", 1) == -1 && errno == ERANGE,
	    "one more byte fails ERANGE");
	ok(ibuf_add_n8(b, 1) == -1, "ibuf_add_n8 on a full buffer fails");
	ok(ibuf_add(b, NULL, 0) == 0, "adding nothing is fine");
	is_int(ibuf_size(b), 8, "size still 8");
	ok(memcmp(ibuf_data(b), "12345678", 8) == 0, "data kept");
	ok(ibuf_truncate(b, 3) == 0 && ibuf_size(b) == 3, "truncate to 3");
	ok(ibuf_add(b, "xy", 2) == 0 &&
	    memcmp(ibuf_data(b), "123xy", 5) == 0, "add after truncate");
	ok(ibuf_truncate(b, 8) == 0 && ibuf_size(b) == 8 &&
	    memcmp(ibuf_data(b), "123xy\0\0\0", 8) == 0,
	    "truncate up zero-extends");
	ok(ibuf_truncate(b, 9) == -1, "truncate beyond a fixed size fails");
	ibuf_free(b);
	ibuf_free(NULL);
	ok(1, "ibuf_free(NULL) is a no-op");
}

static void
test_dynamic(void)
{
	struct ibuf	*b, *c;
	unsigned char	 big[100];
	size_t		 i;

	errno = 0;
	ok(ibuf_dynamic(10, 5) == NULL && errno == EINVAL,
	    "ibuf_dynamic with max < len fails EINVAL");
	ok(ibuf_dynamic(0, 0) == NULL, "ibuf_dynamic with max 0 fails");
	b = ibuf_dynamic(0, 64);
	ok(b != NULL, "ibuf_dynamic(0, 64)");
	for (i = 0; i < sizeof(big); i++)
		big[i] = i;
	for (i = 0; i < 64; i++)
		if (ibuf_add(b, &big[i], 1) == -1)
			break;
	is_int(i, 64, "grows one byte at a time up to max");
	ok(memcmp(ibuf_data(b), big, 64) == 0, "content intact after growth");
	errno = 0;
	ok(ibuf_add_zero(b, 1) == -1 && errno == ERANGE,
	    "beyond max fails ERANGE");
	is_int(ibuf_size(b), 64, "size unchanged after failure");

	c = ibuf_dynamic(4, 1000);
	ok(ibuf_add(c, big, 100) == 0, "one large add grows past double");
	ok(ibuf_add_ibuf(c, b) == 0 && ibuf_size(c) == 164,
	    "ibuf_add_ibuf appends");
	ok(ibuf_add_buf(c, b) == 0 && ibuf_size(c) == 228,
	    "ibuf_add_buf (old name) appends");
	ok(memcmp((char *)ibuf_data(c) + 100, big, 64) == 0 &&
	    memcmp((char *)ibuf_data(c) + 164, big, 64) == 0,
	    "appended bytes are the source's");
	ok(ibuf_add_zero(c, 10) == 0 &&
	    memcmp((char *)ibuf_data(c) + 228, "\0\0\0\0\0\0\0\0\0\0", 10)
	    == 0, "ibuf_add_zero adds zeros");
	ok(ibuf_set_maxsize(c, 200) == -1, "set_maxsize below wpos fails");
	ok(ibuf_set_maxsize(c, 2000) == -1, "set_maxsize above max fails");
	ok(ibuf_set_maxsize(c, 240) == 0 && ibuf_left(c) == 2,
	    "set_maxsize lowers the limit");
	ok(ibuf_add_n16(c, 1) == 0 && ibuf_add_n8(c, 1) == -1,
	    "the new limit holds");
	ibuf_free(b);
	ibuf_free(c);
}

static void
test_numbers(void)
{
	struct ibuf	*b;
	unsigned char	*p;
	uint16_t	 h16 = 0x1234;
	uint32_t	 h32 = 0x12345678;
	uint64_t	 h64 = 0x0102030405060708ULL;
	static const unsigned char be[] = {
		0xab,
		0x12, 0x34,
		0x12, 0x34, 0x56, 0x78,
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	};

	b = ibuf_dynamic(0, 1024);
	ok(ibuf_add_n8(b, 0xab) == 0 && ibuf_add_n16(b, 0x1234) == 0 &&
	    ibuf_add_n32(b, 0x12345678) == 0 &&
	    ibuf_add_n64(b, 0x0102030405060708ULL) == 0, "add n8..n64");
	ok(ibuf_size(b) == sizeof(be) &&
	    memcmp(ibuf_data(b), be, sizeof(be)) == 0,
	    "n8..n64 are written in network byte order");
	ok(ibuf_truncate(b, 0) == 0 && ibuf_add_h16(b, h16) == 0 &&
	    ibuf_add_h32(b, h32) == 0 && ibuf_add_h64(b, h64) == 0,
	    "add h16..h64");
	p = ibuf_data(b);
	ok(ibuf_size(b) == 14 && memcmp(p, &h16, 2) == 0 &&
	    memcmp(p + 2, &h32, 4) == 0 && memcmp(p + 6, &h64, 8) == 0,
	    "h16..h64 are written in host byte order");

	errno = 0;
	ok(ibuf_add_n8(b, 0x100) == -1 && errno == EINVAL,
	    "ibuf_add_n8(256) fails EINVAL");
	ok(ibuf_add_n16(b, 0x10000) == -1, "ibuf_add_n16 overflow fails");
	ok(ibuf_add_n32(b, 0x100000000ULL) == -1,
	    "ibuf_add_n32 overflow fails");
	ok(ibuf_add_h16(b, 0x10000) == -1, "ibuf_add_h16 overflow fails");
	ok(ibuf_add_h32(b, 0x100000000ULL) == -1,
	    "ibuf_add_h32 overflow fails");
	is_int(ibuf_size(b), 14, "failed adds add nothing");
	ok(ibuf_add_n64(b, UINT64_MAX) == 0 && ibuf_add_h64(b, UINT64_MAX) == 0,
	    "64-bit adds take any value");
	ibuf_free(b);
}

static void
test_set_seek(void)
{
	struct ibuf	*b;
	unsigned char	*p;
	uint32_t	 v;

	b = ibuf_open(16);
	p = ibuf_reserve(b, 12);
	ok(p != NULL && ibuf_size(b) == 12, "ibuf_reserve 12");
	ok(ibuf_reserve(b, 5) == NULL, "reserving past the end fails");
	ok(ibuf_set_n8(b, 0, 0xff) == 0 && p[0] == 0xff, "ibuf_set_n8");
	ok(ibuf_set_n16(b, 1, 0x0102) == 0 && p[1] == 1 && p[2] == 2,
	    "ibuf_set_n16 big-endian");
	ok(ibuf_set_n32(b, 4, 0x0a0b0c0d) == 0 && p[4] == 0x0a &&
	    p[7] == 0x0d, "ibuf_set_n32 big-endian");
	ok(ibuf_set_h32(b, 8, 0xdeadbeef) == 0, "ibuf_set_h32");
	memcpy(&v, p + 8, 4);
	is_int(v, 0xdeadbeef, "ibuf_set_h32 host order");
	ok(ibuf_set_n64(b, 8, 1) == -1,
	    "ibuf_set_n64 past the used part fails");
	ok(ibuf_set_h64(b, 4, 1) == 0, "ibuf_set_h64 inside");
	ok(ibuf_set_n16(b, 0, 0x10000) == -1, "ibuf_set_n16 overflow fails");
	ok(ibuf_set_h16(b, 0, 0x10000) == -1, "ibuf_set_h16 overflow fails");
	ok(ibuf_set_n8(b, 12, 1) == -1, "ibuf_set at the end fails");
	ok(ibuf_set(b, 10, "abc", 3) == -1, "ibuf_set crossing the end fails");
	ok(ibuf_seek(b, 4, 8) == p + 4, "ibuf_seek inside");
	errno = 0;
	ok(ibuf_seek(b, 4, 9) == NULL && errno == ERANGE,
	    "ibuf_seek past the end fails ERANGE");
	ok(ibuf_seek(b, SIZE_MAX, 2) == NULL,
	    "ibuf_seek with a huge pos fails");
	ok(ibuf_seek(b, 2, SIZE_MAX) == NULL,
	    "ibuf_seek with a huge len fails");
	ibuf_free(b);
}

static void
test_getters(void)
{
	static unsigned char	 data[] = {
		0x7f,
		0x12, 0x34,
		0x12, 0x34, 0x56, 0x78,
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0xaa, 0xbb, 0xcc,
	};
	struct ibuf	 b, peek, sub;
	uint8_t		 v8 = 0;
	uint16_t	 v16 = 0;
	uint32_t	 v32 = 0;
	uint64_t	 v64 = 0, h64;
	unsigned char	 out[4];

	ibuf_from_buffer(&b, data, sizeof(data));
	is_int(ibuf_size(&b), sizeof(data), "ibuf_from_buffer size");
	is_int(ibuf_left(&b), 0, "no room to write in a buffer over memory");
	ok(ibuf_add_n8(&b, 1) == -1, "cannot add to it");
	ok(ibuf_truncate(&b, sizeof(data) + 1) == -1,
	    "cannot truncate it upwards");

	ibuf_from_ibuf(&peek, &b);
	ok(ibuf_get_n8(&peek, &v8) == 0 && v8 == 0x7f, "peek n8");
	is_int(ibuf_size(&b), sizeof(data), "peeking did not consume");

	ok(ibuf_get_n8(&b, &v8) == 0 && v8 == 0x7f, "ibuf_get_n8");
	ok(ibuf_get_n16(&b, &v16) == 0 && v16 == 0x1234, "ibuf_get_n16");
	ok(ibuf_get_n32(&b, &v32) == 0 && v32 == 0x12345678, "ibuf_get_n32");
	ok(ibuf_get_n64(&b, &v64) == 0 && v64 == 0x0102030405060708ULL,
	    "ibuf_get_n64");
	is_int(ibuf_size(&b), 3, "3 bytes left");

	/* running off the end: fail, consume nothing, keep the value */
	v32 = 42;
	errno = 0;
	ok(ibuf_get_n32(&b, &v32) == -1 && errno == EBADMSG,
	    "ibuf_get_n32 with 3 bytes left fails EBADMSG");
	is_int(v32, 42, "the value is left alone");
	ok(ibuf_get_h32(&b, &v32) == -1, "ibuf_get_h32 fails too");
	ok(ibuf_get_n64(&b, &v64) == -1 && ibuf_get_h64(&b, &v64) == -1,
	    "64-bit getters fail");
	ok(ibuf_get(&b, out, 4) == -1, "ibuf_get of 4 fails");
	ok(ibuf_skip(&b, 4) == -1, "ibuf_skip of 4 fails");
	ok(ibuf_get_ibuf(&b, 4, &sub) == -1, "ibuf_get_ibuf of 4 fails");
	is_int(ibuf_size(&b), 3, "failures consumed nothing");

	ok(ibuf_get_ibuf(&b, 2, &sub) == 0 && ibuf_size(&sub) == 2,
	    "ibuf_get_ibuf of 2");
	ok(ibuf_get_n16(&sub, &v16) == 0 && v16 == 0xaabb,
	    "the sub-buffer reads the right bytes");
	ok(ibuf_get_n8(&sub, &v8) == -1, "and ends where it should");
	ok(ibuf_get_h16(&b, &v16) == -1, "ibuf_get_h16 with 1 byte left fails");
	ok(ibuf_get_n8(&b, &v8) == 0 && v8 == 0xcc, "last byte");
	ok(ibuf_get_n8(&b, &v8) == -1, "ibuf_get_n8 on an empty buffer fails");
	ok(ibuf_skip(&b, 0) == 0 && ibuf_get(&b, out, 0) == 0,
	    "zero-length get and skip at the end succeed");

	ibuf_rewind(&b);
	is_int(ibuf_size(&b), sizeof(data), "ibuf_rewind");
	ok(ibuf_skip(&b, 15) == 0 && ibuf_get_n8(&b, &v8) == 0 && v8 == 0xaa,
	    "ibuf_skip");
	ok(ibuf_skip(&b, SIZE_MAX) == -1, "ibuf_skip(SIZE_MAX) fails");

	h64 = 0x1122334455667788ULL;
	ibuf_from_buffer(&b, &h64, sizeof(h64));
	ok(ibuf_get_h64(&b, &v64) == 0 && v64 == h64, "ibuf_get_h64");
	ibuf_from_buffer(&b, &h64, sizeof(h64));
	ok(ibuf_get_h32(&b, &v32) == 0 && ibuf_get_h16(&b, &v16) == 0 &&
	    memcmp(&v32, &h64, 4) == 0 &&
	    memcmp(&v16, (char *)&h64 + 4, 2) == 0, "ibuf_get_h32, h16");
}

static void
test_strings(void)
{
	static char	 data[] = "abc\0defgh\0ijk";
	struct ibuf	 b, *w;
	char		*s, sb[6];

	ibuf_from_buffer(&b, data, 13);
	errno = 0;
	ok(ibuf_get_string(&b, 14) == NULL && errno == EBADMSG,
	    "ibuf_get_string past the end fails EBADMSG");
	s = ibuf_get_string(&b, 4);
	is_str(s, "abc", "ibuf_get_string of \"abc\\0\"");
	free(s);
	s = ibuf_get_string(&b, 3);
	is_str(s, "def", "ibuf_get_string adds the NUL");
	free(s);
	s = ibuf_get_string(&b, 0);
	is_str(s, "", "ibuf_get_string of nothing is \"\"");
	free(s);
	ibuf_from_buffer(&b, data, 13);
	s = ibuf_get_string(&b, 7);
	is_str(s, "abc", "an embedded NUL ends the string");
	is_int(ibuf_size(&b), 6, "all 7 bytes were consumed");
	free(s);

	ibuf_from_buffer(&b, data + 4, 6);	/* "defgh\0" */
	ok(ibuf_get_strbuf(&b, sb, sizeof(sb)) == 0, "ibuf_get_strbuf fits");
	is_str(sb, "defgh", "ibuf_get_strbuf content");
	ibuf_from_buffer(&b, data + 4, 5);	/* "defgh" */
	errno = 0;
	ok(ibuf_get_strbuf(&b, sb, 5) == -1 && errno == EOVERFLOW,
	    "ibuf_get_strbuf without a NUL fails EOVERFLOW");
	is_str(sb, "defg", "and still terminates the string");
	ibuf_from_buffer(&b, data + 4, 5);
	memset(sb, 'x', sizeof(sb));
	errno = 0;
	ok(ibuf_get_strbuf(&b, sb, 6) == -1 && errno == EBADMSG,
	    "ibuf_get_strbuf with fewer bytes than the field fails EBADMSG");
	errno = 0;
	ok(ibuf_get_strbuf(&b, sb, 0) == -1 && errno == EINVAL,
	    "ibuf_get_strbuf with len 0 fails EINVAL");

	w = ibuf_dynamic(0, 64);
	ok(ibuf_add_strbuf(w, "hi", 6) == 0 && ibuf_size(w) == 6 &&
	    memcmp(ibuf_data(w), "hi\0\0\0\0", 6) == 0,
	    "ibuf_add_strbuf pads with NULs");
	errno = 0;
	ok(ibuf_add_strbuf(w, "toolong", 4) == -1 && errno == EOVERFLOW,
	    "ibuf_add_strbuf of a string that does not fit fails");
	ibuf_from_ibuf(&b, w);
	ok(ibuf_get_strbuf(&b, sb, 6) == 0 && strcmp(sb, "hi") == 0,
	    "ibuf_get_strbuf reads what ibuf_add_strbuf wrote");
	ibuf_free(w);
}

static void
test_fds(void)
{
	struct ibuf	*b;
	int		 p[2], fd;

	if (pipe(p) == -1) {
		ok(0, "pipe");
		return;
	}
	b = ibuf_open(4);
	ok(!ibuf_fd_avail(b) && ibuf_fd_get(b) == -1, "no fd at first");
	ibuf_fd_set(b, p[0]);
	ok(ibuf_fd_avail(b), "ibuf_fd_avail after ibuf_fd_set");
	fd = ibuf_fd_get(b);
	ok(fd == p[0] && !ibuf_fd_avail(b), "ibuf_fd_get hands it back");
	ibuf_fd_set(b, fd);
	ibuf_fd_set(b, p[1]);
	ok(!fd_open(p[0]), "setting another fd closes the old one");
	ibuf_free(b);
	ok(!fd_open(p[1]), "ibuf_free closes the fd it holds");
}

static void
test_msgbuf(void)
{
	struct msgbuf	*m;
	struct ibuf	*b;
	char		 buf[64];
	int		 sp[2], i;
	ssize_t		 n;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1) {
		ok(0, "socketpair");
		return;
	}
	m = msgbuf_new();
	ok(m != NULL && msgbuf_queuelen(m) == 0, "msgbuf_new");
	for (i = 0; i < 3; i++) {
		b = ibuf_open(3);
		ibuf_add(b, i == 0 ? "abc" : i == 1 ? "def" : "ghi", 3);
		ibuf_close(m, b);
	}
	is_int(msgbuf_queuelen(m), 3, "three queued");
	ok(msgbuf_write(sp[0], m) == 0, "msgbuf_write");
	is_int(msgbuf_queuelen(m), 0, "queue empty after one call");
	n = read(sp[1], buf, sizeof(buf));
	ok(n == 9 && memcmp(buf, "abcdefghi", 9) == 0,
	    "the peer reads the buffers in order");

	b = ibuf_open(2);
	ibuf_add(b, "xy", 2);
	ibuf_close(m, b);
	ok(ibuf_write(sp[0], m) == 0 && msgbuf_queuelen(m) == 0,
	    "ibuf_write");
	n = read(sp[1], buf, sizeof(buf));
	ok(n == 2 && memcmp(buf, "xy", 2) == 0, "the peer reads it");
	ok(msgbuf_write(sp[0], m) == 0, "writing an empty queue is fine");

	b = ibuf_open(2);
	ibuf_add(b, "zz", 2);
	ibuf_close(m, b);
	msgbuf_clear(m);
	is_int(msgbuf_queuelen(m), 0, "msgbuf_clear empties it");
	msgbuf_free(m);
	close(sp[0]);
	close(sp[1]);
}

int
main(void)
{
	test_fixed();
	test_dynamic();
	test_numbers();
	test_set_seek();
	test_getters();
	test_strings();
	test_fds();
	test_msgbuf();
	return tap_done();
}
