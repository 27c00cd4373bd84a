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
 * Inner IPv4 and IPv6 headers, as meshd-tun reads them from the TUN and
 * from peers: parsed by explicit offsets with every length checked, never
 * by casting the buffer to a struct.
 *
 * ippkt_parse() checks what WireGuard checks before it routes a packet:
 * the version, the IPv4 header length and the total length against the
 * bytes read.  Bytes after the total length are padding (WireGuard pads
 * to 16 bytes inside the tunnel): len says where the packet really ends,
 * and the caller trims to it.  The IPv4 header checksum is not verified:
 * the kernel verifies it when the packet is written to the TUN, and a
 * packet read from the TUN comes from the kernel.  IPv6 extension headers
 * are not walked: proto is the fixed header's next header.
 */

#ifndef IPPKT_H
#define IPPKT_H

#include <stddef.h>
#include <stdint.h>

#define IPPKT_V4_HDRLEN		20	/* without options */
#define IPPKT_V6_HDRLEN		40
#define IPPKT_PROTO_ICMP	1
#define IPPKT_PROTO_ICMPV6	58

/*
 * Why a packet is dropped.  ippkt_parse() gives the first four; the
 * routing outcomes after them are for meshd-tun's counters, so that one
 * array indexed by reason counts every drop.
 */
enum ippkt_reason {
	IPPKT_OK,
	IPPKT_SHORT,		/* shorter than the fixed header (or empty) */
	IPPKT_BAD_VERSION,	/* version neither 4 nor 6 */
	IPPKT_BAD_IHL,		/* IPv4 header length below 20 or past len */
	IPPKT_BAD_LENGTH,	/* total length past the bytes read, or
				   shorter than the header */
	IPPKT_NO_ROUTE,		/* outbound: no peer for the destination */
	IPPKT_BAD_SOURCE,	/* inbound: source not the sending peer's */
	IPPKT_NREASONS
};

struct ippkt {
	uint8_t		version;	/* 4 or 6 */
	uint8_t		proto;		/* protocol, or next header */
	uint16_t	hdrlen;		/* IPv4: 4 * IHL; IPv6: 40 */
	uint32_t	len;		/* the packet's real length, header
					   included: trim to it */
	uint8_t		src[16];	/* IPv4 in the first 4, the rest 0 */
	uint8_t		dst[16];
	enum ippkt_reason reason;	/* IPPKT_OK, or why -1 */
};

/*
 * Parses the len bytes at pkt.  Returns 0 with out filled in, or -1 with
 * out->reason saying why (and the rest of out zero).
 */
int		 ippkt_parse(const uint8_t *, size_t, struct ippkt *);

/*
 * A short fixed name for a reason ("short", "bad_version", ...), fit for a
 * counter's key in JSON and for a log line; "unknown" for a value out of
 * range.
 */
const char	*ippkt_reason(enum ippkt_reason);

/*
 * Writes into out (outlen bytes) the ICMP reply that tells the sender of
 * the len-byte packet pkt that its destination cannot be reached: an ICMP
 * destination unreachable, host unreachable (type 3 code 1) for IPv4, an
 * ICMPv6 destination unreachable, address unreachable (type 1 code 3) for
 * IPv6, as WireGuard sends when no peer has the destination.  The reply
 * comes from our_addr (4 bytes for an IPv4 packet, 16 for IPv6: the
 * caller's own address on the mesh interface of that family) and goes to
 * the packet's source, with TTL or hop limit 64, both checksums set, and
 * as much of the packet quoted as fits in 576 bytes (IPv4, RFC 1812) or
 * 1280 bytes (IPv6, RFC 4443).
 *
 * Returns the reply's length, or -1 when no reply may be sent (RFC 1122,
 * 1812 and 4443): the packet does not parse, is an ICMP or ICMPv6 error
 * message (or too short to tell), is a fragment other than the first, is
 * sent to a multicast or broadcast address or from an address that is not
 * one host's (unspecified, loopback, multicast, class E); or when outlen
 * cannot hold the reply with at least the packet's header and 8 bytes.
 * Rate limiting is the caller's job (RFC 4443 2.4(f) requires it).
 */
int		 ippkt_unreach(const uint8_t *, size_t, const uint8_t *,
		    uint8_t *, size_t);

#define IPPKT_PROTO_UDP		17
#define IPPKT_PROTO_FRAG	44	/* IPv6 fragment header */

/*
 * Whether pkt (ip from ippkt_parse()) is a UDP datagram from port whose
 * payload has the shape of a WireGuard message: type 1 to 4, reserved
 * bytes zero, the length of its type by the UDP header (a data message:
 * at least 32 bytes, in steps of 16).  What meshd-net sends, so from our
 * own port, read back from the TUN, it is our own traffic come round
 * again.  The first fragment of a datagram counts (IPv6: one fragment
 * header walked), the others do not.
 */
int		 ippkt_is_wg_from(const uint8_t *, const struct ippkt *,
		    uint16_t);


#define IPPKT_PROTO_TCP		6

/* ippkt_l4()'s fragment kinds */
#define IPPKT_WHOLE		0
#define IPPKT_FIRST_FRAG	1
#define IPPKT_LATER_FRAG	2	/* no transport header: no ports */

#define IPPKT_TH_FIN		0x01
#define IPPKT_TH_SYN		0x02
#define IPPKT_TH_RST		0x04
#define IPPKT_TH_ACK		0x10

/*
 * What the packet filter reads past the IP header.  For ICMP and ICMPv6
 * echo requests and replies, sport and dport are both the echo id, so
 * that a request and its replies fall in one state.  For an ICMP error
 * (IPv4 types 3, 4, 5, 11, 12; ICMPv6 types 1 to 4), icmp_err is 1 and q_*
 * are the quoted packet's: the one it answers, as that packet was sent.
 */
struct ippkt_l4 {
	uint8_t		proto;		/* past one IPv6 fragment header */
	uint8_t		frag;		/* IPPKT_WHOLE, _FIRST_FRAG, ... */
	uint8_t		tcpflags;	/* IPPKT_TH_* */
	uint8_t		icmp_type;
	uint8_t		icmp_code;
	uint8_t		icmp_err;
	uint16_t	sport;
	uint16_t	dport;
	uint8_t		q_proto;
	uint8_t		q_src[16];
	uint8_t		q_dst[16];
	uint16_t	q_sport;
	uint16_t	q_dport;
};

/*
 * Reads the transport header of pkt (ip from ippkt_parse(), the packet
 * ip->len bytes long): ports and TCP flags (TCP, UDP), type, code and echo
 * id (ICMP, ICMPv6), the quoted packet of an ICMP error (which must quote
 * the IP header and at least 8 bytes past it).  Other protocols have no
 * ports.  IPv6: one fragment header is walked, no other extension header.
 * A later fragment has no transport header to read.  Returns 0, or -1
 * when the header it needs is cut short (out is then zero but for proto
 * and frag).
 */
int		 ippkt_l4(const uint8_t *, const struct ippkt *,
		    struct ippkt_l4 *);

#endif /* IPPKT_H */
