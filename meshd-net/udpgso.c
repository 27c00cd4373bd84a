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
 * UDP_SEGMENT and UDP_GRO (see udpgso.h): the pure parts, tested alone
 * (regress/unit/udpgso.c) and fuzzed with wire_check() behind them
 * (fuzz/udp_gro.c).
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/udp.h>

#include <string.h>

#include "udpgso.h"

#if defined(UDP_SEGMENT) && defined(UDP_GRO)
int
udp_gso_supported(void)
{
	return 1;
}
#else
#define UDP_SEGMENT	(-1)	/* never sent: udp_gso_supported() says 0 */
#define UDP_GRO		(-1)	/* matches no control message */
#ifndef SOL_UDP
#define SOL_UDP		IPPROTO_UDP
#endif
int
udp_gso_supported(void)
{
	return 0;
}
#endif

size_t
udp_gso_run(const struct iovec *iov, size_t n)
{
	size_t	size, total, k;

	if (n == 0)
		return 0;
	size = iov[0].iov_len;
	/* no segment size of 0; one too large goes alone, as it would */
	if (size == 0 || size > UDP_GSO_MAX_BYTES)
		return 1;
	total = size;
	for (k = 1; k < n && k < UDP_GSO_MAX_SEGS; k++) {
		/* longer, or empty (its datagram would be lost): not ours */
		if (iov[k].iov_len > size || iov[k].iov_len == 0 ||
		    total + iov[k].iov_len > UDP_GSO_MAX_BYTES)
			break;
		total += iov[k].iov_len;
		/* a shorter one ends the run: the kernel cuts at size */
		if (iov[k].iov_len < size)
			return k + 1;
	}
	return k;
}

void
udp_gso_msghdr(struct msghdr *mh, union udp_gso_cmsg *cm, uint16_t size)
{
	struct cmsghdr	*c;
	size_t		 have = mh->msg_controllen;

	memset(cm, 0, sizeof(*cm));
	/* a PKTINFO's CMSG_SPACE at most: room is left for ours */
	if (have > CMSG_SPACE(sizeof(struct in6_pktinfo)))
		have = 0;
	if (have > 0)
		memcpy(cm->buf, mh->msg_control, have);
	mh->msg_control = cm->buf;
	mh->msg_controllen = have + CMSG_SPACE(sizeof(size));
	c = CMSG_FIRSTHDR(mh);
	if (have > 0)
		c = CMSG_NXTHDR(mh, c);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(size));
	memcpy(CMSG_DATA(c), &size, sizeof(size));
}

int
udp_gro_size(struct msghdr *mh)
{
	struct cmsghdr	*c;
	int		 size;

	if (mh->msg_control == NULL)
		return 0;
	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_UDP || c->cmsg_type != UDP_GRO ||
		    c->cmsg_len < CMSG_LEN(sizeof(size)))
			continue;
		memcpy(&size, CMSG_DATA(c), sizeof(size));
		return size;
	}
	return 0;
}

void
udp_segs_init(struct udp_segs *s, const uint8_t *buf, size_t len, int size)
{
	s->buf = buf;
	s->left = len;
	/* no size, or none smaller than the datagram: it is one */
	if (size <= 0 || (size_t)size >= len)
		s->size = len;
	else
		s->size = size;
	s->started = 0;
}

int
udp_segs_next(struct udp_segs *s, const uint8_t **seg, size_t *seglen)
{
	size_t	n;

	/* an empty datagram is one empty piece, then nothing */
	if (s->left == 0 && s->started)
		return 0;
	n = s->left < s->size ? s->left : s->size;
	*seg = s->buf;
	*seglen = n;
	s->buf += n;
	s->left -= n;
	s->started = 1;
	return 1;
}
