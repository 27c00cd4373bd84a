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
 * TUN offloads (Linux IFF_VNET_HDR), meshd-tun's side.
 *
 * With a vnet header the kernel hands us TCP "super-packets" of up to 64
 * KiB (TSO) and packets whose transport checksum is left for us to fill
 * in (checksum offload).  tso_start() and tso_next() cut one such read
 * into the packets a TUN without offloads would have given: each segment
 * has its own IPv4 total length, id and header checksum (IPv6: payload
 * length), its TCP sequence number and a full TCP checksum, FIN and PSH
 * on the last segment only, CWR on the first only.
 *
 * On the way back, the gro_* functions put consecutive TCP segments of
 * one flow, each of which already passed every check meshd-tun makes,
 * into one super-packet, as the kernel's GRO would, so that the kernel
 * takes a run of segments in one write.  Only segments that would be
 * one stream to the receiver are merged: same addresses and ports,
 * contiguous sequence numbers, same ACK, window, options and IP fields,
 * flags ACK and PSH only, every segment the size of the first but a
 * shorter last one, TCP and IPv4 header checksums correct.  Anything
 * else is written on its own with an empty vnet header, in its flow's
 * order.
 *
 * Every length is checked against the bytes at hand; the vnet header's
 * fields are read from explicit offsets, in host byte order as the TUN
 * driver uses them (no TUNSETVNETLE/BE).
 */

#ifndef OFFLOAD_H
#define OFFLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* struct virtio_net_hdr, by offset */
#define VNET_HDR_LEN		10
#define VNET_OFF_FLAGS		0	/* uint8_t */
#define VNET_OFF_GSO_TYPE	1	/* uint8_t */
#define VNET_OFF_HDR_LEN	2	/* uint16_t, host order */
#define VNET_OFF_GSO_SIZE	4
#define VNET_OFF_CSUM_START	6
#define VNET_OFF_CSUM_OFFSET	8
#define VNET_F_NEEDS_CSUM	0x01
#define VNET_GSO_NONE		0
#define VNET_GSO_TCPV4		1
#define VNET_GSO_TCPV6		4
#define VNET_GSO_ECN		0x80

#define OFFLOAD_MAX		65535	/* the largest IP packet, in or out */
#define OFFLOAD_BUFLEN		(VNET_HDR_LEN + OFFLOAD_MAX)

/* one read from the TUN, being cut into segments */
struct tso {
	const uint8_t	*pkt;		/* past the vnet header */
	size_t		 len;		/* its bytes */
	size_t		 l4off;		/* the TCP header's offset */
	size_t		 hlen;		/* IP and TCP headers */
	size_t		 mss;		/* payload per segment (gso_size) */
	size_t		 off;		/* payload handed out so far */
	uint32_t	 seq;		/* of the first byte of payload */
	uint16_t	 id;		/* IPv4: the first segment's */
	uint8_t		 version;
	uint8_t		 gso;		/* a super-packet */
	uint8_t		 done;
};

/*
 * Takes buf (n bytes: a vnet header, then the packet) as read from the
 * TUN.  A packet the kernel left a checksum to is completed in place.
 * Returns 0, or -1 for a read that cannot be cut (short, a header past
 * the end, a GSO type we did not ask for, a gso_size of 0).
 */
int	 tso_start(struct tso *, uint8_t *, size_t);
/*
 * Writes the next packet into out (at most outlen bytes; a gso_size that
 * does not fit is cut down to fit) and returns its length; 0 when there
 * is no more, -1 when it cannot fit even so.
 */
ssize_t	 tso_next(struct tso *, uint8_t *, size_t);
/* segments still to come */
size_t	 tso_left(const struct tso *);

#define GRO_FLOWS	8	/* flows held at once */
#define GRO_SEGS	64	/* segments in one super-packet at most */

struct gro_flow {
	const uint8_t	*first;		/* its headers lead the super-packet */
	const uint8_t	*seg[GRO_SEGS];	/* each segment's payload */
	uint16_t	 seglen[GRO_SEGS];
	size_t		 nseg;
	size_t		 l4off;
	size_t		 hlen;
	size_t		 gso;		/* the first segment's payload */
	size_t		 total;		/* headers and every payload */
	uint32_t	 next_seq;
	uint8_t		 version;
	uint8_t		 psh;		/* the last had PSH */
	uint8_t		 closed;	/* a short or PSH segment ended it */
};

struct gro {
	struct gro_flow	 flow[GRO_FLOWS];	/* first NULL: free */
	uint8_t		*buf;		/* OFFLOAD_BUFLEN: what is written */
	void		(*write)(void *, const uint8_t *, size_t);
	void		*arg;
	uint64_t	 writes;	/* writes of more than one segment */
	uint64_t	 merged;	/* segments in those writes */
};

/*
 * buf: OFFLOAD_BUFLEN bytes of the caller's; write(arg, bytes, len) is
 * handed each vnet header and packet to write to the TUN.
 */
void	 gro_init(struct gro *, uint8_t *,
	    void (*)(void *, const uint8_t *, size_t), void *);
/*
 * A packet of len bytes (its real length) that passed every check: held
 * to be merged, or written now.  pkt must stay as it is until
 * gro_flush().
 */
void	 gro_add(struct gro *, const uint8_t *, size_t);
/* writes what is held */
void	 gro_flush(struct gro *);
/* writes one packet on its own, with an empty vnet header */
void	 gro_write_one(struct gro *, const uint8_t *, size_t);

/* the Internet checksum of len bytes, seeded (0: none), not inverted */
uint16_t offload_csum(const uint8_t *, size_t, uint64_t);

#endif /* OFFLOAD_H */
