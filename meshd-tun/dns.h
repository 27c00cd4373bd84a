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
 * The mesh DNS codec (dns.c): one query in, one answer out, for the names
 * of one domain.  It knows no sockets and no members: the caller gives a
 * lookup function.  Every byte of the query is hostile (RFC 1035 section
 * 4.1, RFC 6891 for EDNS).
 */

#ifndef DNS_H
#define DNS_H

#include <stddef.h>
#include <stdint.h>

#include "meshd.h"

#define DNS_PORT		53
#define DNS_HDR_LEN		12
#define DNS_NAME_MAX		255	/* wire form, with the root label */
#define DNS_LABEL_MAX		63
#define DNS_DOMAIN_MAX		MESH_DNS_DOMAIN_MAX
#define DNS_UDP_MIN		512	/* without EDNS */
#define DNS_UDP_OURS		1232	/* what we offer and send at most
					   with EDNS: no IP fragments */
#define DNS_TCP_MAX		65535
#define DNS_ADDRS_MAX		64	/* records of one name, at most */

/* the addresses of a name; af 4 or 6 */
struct dns_addr {
	uint8_t		af;
	uint8_t		addr[16];
};
struct dns_addrs {
	size_t		 n;
	struct dns_addr	 a[DNS_ADDRS_MAX];
};

struct dns_zone {
	char		 domain[DNS_DOMAIN_MAX];  /* lower case, no final dot */
	uint32_t	 ttl;
	uint32_t	 serial;	/* the SOA's: moves when names do */
	/*
	 * Fills *out with label's addresses (label: lower case, one DNS
	 * label, NUL-terminated); 0, or -1 if no such name.
	 */
	int		(*lookup)(const char *, struct dns_addrs *, void *);
	void		*arg;
};

/* what dns_answer() made of a query, for the counters */
enum dns_result {
	DNS_R_ANSWER,		/* NOERROR: records, or none of that type */
	DNS_R_NXDOMAIN,		/* in the domain, no such name */
	DNS_R_REFUSED,		/* outside the domain, or not class IN */
	DNS_R_NOTIMP,		/* not a standard query */
	DNS_R_FORMERR,		/* malformed, answered FORMERR */
	DNS_R_BADVERS,		/* EDNS version other than 0 */
	DNS_R_DROP		/* malformed beyond an answer, or a response:
				   no answer at all */
};

/*
 * The answer to query q (qlen bytes) into out (outmax bytes, at least
 * DNS_UDP_MIN); tcp: no size limit but outmax, else the client's EDNS
 * size or 512, beyond which the answer is cut to its question with TC
 * set.  *outlen is 0 for DNS_R_DROP.  *tc says whether it was cut.
 */
enum dns_result	 dns_answer(const struct dns_zone *, const uint8_t *, size_t,
		    int, uint8_t *, size_t, size_t *, int *);

#endif /* DNS_H */
