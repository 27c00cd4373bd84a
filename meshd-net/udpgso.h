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
 * UDP segmentation offload on the wire (Linux), both ways.
 *
 * Send (UDP_SEGMENT): a run of data messages to one endpoint, each of
 * the first one's length but the last, which may be shorter, goes to the
 * kernel as one datagram with the segment size in a control message;
 * the kernel (or the device) cuts it into the datagrams the peer sees,
 * byte for byte those of one sendmsg each.
 *
 * Receive (UDP_GRO): the kernel may hand a socket that asked for it
 * several datagrams of one flow at once, glued together, with the size
 * they came as in a control message: all of that size but the last,
 * which may be shorter.  Cutting them apart is ours, and each piece is
 * one datagram from the peer, judged alone by every check a single
 * datagram gets.  The size comes from the kernel, the bytes from the
 * peer; a size of 0, a negative one or one as large as the datagram
 * means one datagram.
 */

#ifndef UDPGSO_H
#define UDPGSO_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

/*
 * At most this many segments in one datagram sent: older kernels'
 * UDP_MAX_SEGMENTS, and GRO's own bound on what it glues together.
 */
#define UDP_GSO_MAX_SEGS	64
/*
 * At most this many bytes of payload in one: an IPv4 datagram's (65535
 * less 20 bytes of IP header and 8 of UDP); IPv6 allows a little more.
 */
#define UDP_GSO_MAX_BYTES	65507
/* room for what GRO hands over at once: 64 KiB */
#define UDP_GRO_BUF		65536

/* the control messages of a send: a PKTINFO of either family, the size */
union udp_gso_cmsg {
	struct cmsghdr	hdr;
	uint8_t		buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
			    CMSG_SPACE(sizeof(uint16_t))];
};

/* and of a receive: the PKTINFO, the size GRO reports */
union udp_gro_cmsg {
	struct cmsghdr	hdr;
	uint8_t		buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
			    CMSG_SPACE(sizeof(int))];
};

/* the pieces of a datagram received, one at a time */
struct udp_segs {
	const uint8_t	*buf;		/* the next piece */
	size_t		 left;		/* bytes from there to the end */
	size_t		 size;		/* of each but the last */
	int		 started;	/* one piece was handed out */
};

/* 1 if the system has both offloads (Linux), else 0 */
int	udp_gso_supported(void);
/*
 * How many of the n messages at iov go as one datagram: the first, and
 * those after it of its length, and one shorter (not empty) to end the
 * run; at most UDP_GSO_MAX_SEGS, UDP_GSO_MAX_BYTES in all.  1 when the
 * first goes alone (then without a segment size), 0 when n is 0.
 */
size_t	udp_gso_run(const struct iovec *, size_t);
/*
 * Appends to mh's control messages (a PKTINFO or none, already set) the
 * segment size, into cm, and points mh at it.
 */
void	udp_gso_msghdr(struct msghdr *, union udp_gso_cmsg *, uint16_t);
/* the segment size in a received datagram's UDP_GRO message; 0: none */
int	udp_gro_size(struct msghdr *);
/* the datagram len bytes at buf, glued by GRO at size (see above) */
void	udp_segs_init(struct udp_segs *, const uint8_t *, size_t, int);
/*
 * The next piece: 1 with *seg and *seglen set, 0 when none is left.  A
 * datagram of 0 bytes is one piece of 0 bytes.
 */
int	udp_segs_next(struct udp_segs *, const uint8_t **, size_t *);

#endif /* UDPGSO_H */
