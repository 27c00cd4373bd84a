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
 * The mesh DNS codec: a query's bytes in, an answer's bytes out.
 *
 * Everything in a query is hostile, so every offset is checked before
 * it is read: names are read label by label into a bounded copy (255
 * bytes, labels of 63), a compression pointer must point strictly
 * before every earlier one of the same name (so a loop cannot be made,
 * and no name is read twice), and the section counts are believed only
 * as far as the bytes go: a record the count promises and the message
 * lacks is FORMERR.  Only records after the question are read at all,
 * and only to find the one EDNS OPT record (RFC 6891).  A response is
 * never answered (no loops between two servers).
 *
 * We are authoritative for one domain: NAME.DOMAIN has the A and AAAA
 * records the lookup function gives; the apex has an SOA and an NS
 * (this.DOMAIN); other names in the domain are NXDOMAIN with the SOA in
 * the authority section for negative caching (RFC 2308); names outside
 * it are REFUSED.  Owner names in the answer point back at the question,
 * which is echoed as it came, case and all (RFC 4343).
 */

#include <ctype.h>
#include <string.h>

#include "byteorder.h"
#include "dns.h"

#define T_A		1
#define T_NS		2
#define T_SOA		6
#define T_AAAA		28
#define T_OPT		41
#define T_IXFR		251
#define T_AXFR		252
#define T_ANY		255
#define C_IN		1
#define C_ANY		255

#define F_QR		0x8000
#define F_AA		0x0400
#define F_TC		0x0200
#define F_RD		0x0100
#define F_CD		0x0010
#define OPCODE(f)	(((f) >> 11) & 0xf)

#define RC_NOERROR	0
#define RC_FORMERR	1
#define RC_NXDOMAIN	3
#define RC_NOTIMP	4
#define RC_REFUSED	5
#define RC_BADVERS	16	/* extended: 1 in the OPT, 0 in the header */

#define SOA_REFRESH	3600
#define SOA_RETRY	600
#define SOA_EXPIRE	86400
#define OPT_LEN		11	/* root name, type, size, ttl, rdlen 0 */

/* a name read from a message: its wire form without compression */
struct dns_name {
	uint8_t		 wire[DNS_NAME_MAX];
	size_t		 len;			/* with the root label */
	size_t		 nlabels;		/* without it */
	uint8_t		 loff[DNS_NAME_MAX / 2]; /* each label's offset */
};

struct dns_query {
	uint16_t	 id;
	uint16_t	 flags;
	struct dns_name	 qname;
	uint16_t	 qtype;
	uint16_t	 qclass;
	int		 edns;			/* an OPT came */
	uint16_t	 udpsize;
	uint8_t		 ednsver;
};

/* an answer being written: past max, nothing more is written */
struct dns_out {
	uint8_t		*buf;
	size_t		 max;
	size_t		 len;
	int		 full;
};

/*
 * The name at *off in msg (len bytes) into n; *off moves past it as it
 * stands (up to its first pointer).  -1 if malformed.
 */
static int
name_read(const uint8_t *msg, size_t len, size_t *off, struct dns_name *n)
{
	size_t	pos = *off, limit = *off, l;
	int	jumped = 0;

	n->len = n->nlabels = 0;
	for (;;) {
		if (pos >= len)
			return -1;		/* truncated */
		l = msg[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= len)
				return -1;
			if (!jumped)
				*off = pos + 2;
			jumped = 1;
			pos = (l & 0x3f) << 8 | msg[pos + 1];
			/* strictly backwards: no loop, no name twice */
			if (pos >= limit || pos < DNS_HDR_LEN)
				return -1;
			limit = pos;
			continue;
		}
		if ((l & 0xc0) != 0)
			return -1;		/* 0x40, 0x80: obsolete */
		if (n->len + 1 + l > DNS_NAME_MAX || pos + 1 + l > len)
			return -1;
		n->wire[n->len] = l;
		memcpy(n->wire + n->len + 1, msg + pos + 1, l);
		if (l == 0) {
			n->len++;
			break;
		}
		n->loff[n->nlabels++] = n->len;
		n->len += 1 + l;
		pos += 1 + l;
	}
	if (!jumped)
		*off = pos + 1;
	return 0;
}

/* the OPT record's fields; its options are checked, then ignored */
static int
opt_read(const uint8_t *msg, size_t off, size_t rdlen, uint16_t class,
    uint32_t ttl, struct dns_query *q)
{
	size_t	end = off + rdlen, olen;

	while (off < end) {
		if (end - off < 4)
			return -1;
		olen = get_be16(msg + off + 2);
		if (end - off - 4 < olen)
			return -1;
		off += 4 + olen;
	}
	q->edns = 1;
	q->udpsize = class;
	q->ednsver = ttl >> 16 & 0xff;
	return 0;
}

/*
 * The records after the question, nrr of them: only skipped, but for
 * one OPT among the additional ones (the last narr).  -1 if malformed.
 */
static int
records_read(const uint8_t *msg, size_t len, size_t off, size_t nrr,
    size_t narr, struct dns_query *q)
{
	struct dns_name	 n;
	size_t		 i, rdlen;
	uint16_t	 type;

	for (i = 0; i < nrr; i++) {
		if (name_read(msg, len, &off, &n) == -1 || len - off < 10)
			return -1;
		type = get_be16(msg + off);
		rdlen = get_be16(msg + off + 8);
		if (len - off - 10 < rdlen)
			return -1;
		if (type == T_OPT) {
			/* one, in the additional section, owned by the root */
			if (q->edns || i < nrr - narr || n.len != 1 ||
			    opt_read(msg, off + 10, rdlen,
			    get_be16(msg + off + 2), get_be32(msg + off + 4),
			    q) == -1)
				return -1;
		}
		off += 10 + rdlen;
	}
	return 0;
}

/* the question and any OPT; -1 if malformed */
static int
query_read(const uint8_t *msg, size_t len, struct dns_query *q)
{
	size_t	off = DNS_HDR_LEN, nrr, narr;

	if (get_be16(msg + 4) != 1)
		return -1;
	if (name_read(msg, len, &off, &q->qname) == -1 || len - off < 4)
		return -1;
	q->qtype = get_be16(msg + off);
	q->qclass = get_be16(msg + off + 2);
	off += 4;
	narr = get_be16(msg + 10);
	nrr = (size_t)get_be16(msg + 6) + get_be16(msg + 8) + narr;
	return records_read(msg, len, off, nrr, narr, q);
}

static void
out_bytes(struct dns_out *o, const void *p, size_t n)
{
	if (o->full || o->max - o->len < n) {
		o->full = 1;
		return;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static void
out_u16(struct dns_out *o, uint16_t v)
{
	uint8_t	b[2];

	put_be16(b, v);
	out_bytes(o, b, sizeof(b));
}

static void
out_u32(struct dns_out *o, uint32_t v)
{
	uint8_t	b[4];

	put_be32(b, v);
	out_bytes(o, b, sizeof(b));
}

/* a label then a pointer to ptr: "this" + the apex */
static void
out_label_ptr(struct dns_out *o, const char *label, uint16_t ptr)
{
	uint8_t	l = strlen(label);

	out_bytes(o, &l, 1);
	out_bytes(o, label, l);
	out_u16(o, 0xc000 | ptr);
}

/* type, class IN, ttl and rdlength of a record owned by name at ptr */
static void
out_rr(struct dns_out *o, uint16_t ptr, uint16_t type, uint32_t ttl,
    uint16_t rdlen)
{
	out_u16(o, 0xc000 | ptr);
	out_u16(o, type);
	out_u16(o, C_IN);
	out_u32(o, ttl);
	out_u16(o, rdlen);
}

static void
out_soa(struct dns_out *o, const struct dns_zone *z, uint16_t apex)
{
	size_t	rdstart;

	out_rr(o, apex, T_SOA, z->ttl, 0);
	rdstart = o->len;
	out_label_ptr(o, "this", apex);
	out_label_ptr(o, "hostmaster", apex);
	out_u32(o, z->serial);
	out_u32(o, SOA_REFRESH);
	out_u32(o, SOA_RETRY);
	out_u32(o, SOA_EXPIRE);
	out_u32(o, z->ttl);		/* negative answers' lifetime */
	if (!o->full)
		put_be16(o->buf + rdstart - 2, o->len - rdstart);
}

static void
out_ns(struct dns_out *o, const struct dns_zone *z, uint16_t apex)
{
	out_rr(o, apex, T_NS, z->ttl, 7);	/* "this" and a pointer */
	out_label_ptr(o, "this", apex);
}

/* the addresses of family af (0: both); how many */
static size_t
out_addrs(struct dns_out *o, const struct dns_zone *z,
    const struct dns_addrs *as, int af)
{
	size_t	i, n = 0, alen;

	for (i = 0; i < as->n; i++) {
		if (af != 0 && as->a[i].af != af)
			continue;
		alen = as->a[i].af == 4 ? 4 : 16;
		out_rr(o, DNS_HDR_LEN, as->a[i].af == 4 ? T_A : T_AAAA,
		    z->ttl, alen);
		out_bytes(o, as->a[i].addr, alen);
		n++;
	}
	return n;
}

/* the header; counts are set at the end */
static void
out_header(struct dns_out *o, const struct dns_query *q, uint16_t flags,
    int rcode)
{
	out_u16(o, q->id);
	out_u16(o, F_QR | flags | (q->flags & (F_RD | F_CD)) | (rcode & 0xf));
	out_u32(o, 0);
	out_u32(o, 0);
}

static void
set_counts(struct dns_out *o, int qd, int an, int ns, int ar)
{
	put_be16(o->buf + 4, qd);
	put_be16(o->buf + 6, an);
	put_be16(o->buf + 8, ns);
	put_be16(o->buf + 10, ar);
}

static void
out_opt(struct dns_out *o, int rcode)
{
	uint8_t	root = 0;

	out_bytes(o, &root, 1);
	out_u16(o, T_OPT);
	out_u16(o, DNS_UDP_OURS);
	out_u32(o, (uint32_t)(rcode >> 4) << 24);	/* version 0, no DO */
	out_u16(o, 0);
}

/*
 * Where qname's last n labels begin, if they are the domain's (wire,
 * lower case, dn labels), else -1.
 */
static int
in_domain(const struct dns_name *qn, const uint8_t *dwire, size_t dlen,
    size_t dn)
{
	size_t	start, i;

	if (dn == 0 || qn->nlabels < dn)
		return -1;
	start = qn->loff[qn->nlabels - dn];
	if (qn->len - start != dlen)
		return -1;
	for (i = 0; i < dlen; i++)
		if (tolower(qn->wire[start + i]) != dwire[i])
			return -1;
	return start;
}

/* the domain's text as a wire name; its label count, or -1 */
static int
domain_wire(const char *d, uint8_t *w, size_t wmax, size_t *wlen)
{
	size_t	i = 0, start, l;
	int	n = 0;

	*wlen = 0;
	while (d[i] != '\0') {
		start = i;
		while (d[i] != '\0' && d[i] != '.')
			i++;
		l = i - start;
		if (l == 0 || l > DNS_LABEL_MAX || *wlen + 1 + l + 1 > wmax)
			return -1;
		w[(*wlen)++] = l;
		memcpy(w + *wlen, d + start, l);
		*wlen += l;
		n++;
		if (d[i] == '.')
			i++;
	}
	if (*wlen + 1 > wmax)
		return -1;
	w[(*wlen)++] = 0;
	return n;
}

/* the one label below the apex, lower case, as a C string; -1 if none */
static int
host_label(const struct dns_name *qn, char *buf)
{
	size_t	i, l = qn->wire[0];

	for (i = 0; i < l; i++) {
		buf[i] = tolower(qn->wire[1 + i]);
		if (buf[i] == '\0')
			return -1;	/* no name of ours has a NUL */
	}
	buf[l] = '\0';
	return 0;
}

/*
 * The sections after the question: answers, authority.  rcode and the
 * counts come back through the pointers.
 */
static enum dns_result
answer_sections(struct dns_out *o, const struct dns_zone *z,
    const struct dns_query *q, int *rcode, int *an, int *ns)
{
	static struct dns_addrs	 as;	/* 1 KB: not on the stack each time */
	uint8_t			 dwire[DNS_NAME_MAX];
	size_t			 dlen;
	char			 label[DNS_LABEL_MAX + 1];
	int			 dn, start;
	uint16_t		 apex;

	*an = *ns = 0;
	*rcode = RC_REFUSED;
	if (q->qclass != C_IN && q->qclass != C_ANY)
		return DNS_R_REFUSED;
	if ((dn = domain_wire(z->domain, dwire, sizeof(dwire), &dlen)) == -1 ||
	    (start = in_domain(&q->qname, dwire, dlen, dn)) == -1)
		return DNS_R_REFUSED;
	if (q->qtype == T_AXFR || q->qtype == T_IXFR)
		return DNS_R_REFUSED;		/* no zone transfers */
	apex = DNS_HDR_LEN + start;
	*rcode = RC_NOERROR;
	if (start == 0) {			/* the apex itself */
		if (q->qtype == T_SOA || q->qtype == T_ANY) {
			out_soa(o, z, apex);
			(*an)++;
		}
		if (q->qtype == T_NS || q->qtype == T_ANY) {
			out_ns(o, z, apex);
			(*an)++;
		}
	} else if (q->qname.nlabels == (size_t)dn + 1 &&
	    host_label(&q->qname, label) == 0 &&
	    z->lookup(label, &as, z->arg) == 0) {
		if (q->qtype == T_A || q->qtype == T_ANY)
			*an += out_addrs(o, z, &as, 4);
		if (q->qtype == T_AAAA || q->qtype == T_ANY)
			*an += out_addrs(o, z, &as, 6);
	} else
		*rcode = RC_NXDOMAIN;
	if (*an == 0) {
		/* NXDOMAIN or no data: the SOA, for negative caching */
		out_soa(o, z, apex);
		*ns = 1;
	}
	return *rcode == RC_NXDOMAIN ? DNS_R_NXDOMAIN : DNS_R_ANSWER;
}

/* a header-only answer: FORMERR, NOTIMP */
static size_t
answer_bare(const struct dns_query *q, uint8_t *out, size_t outmax,
    int rcode)
{
	struct dns_out	o = { out, outmax, 0, 0 };

	out_header(&o, q, 0, rcode);
	return o.len;
}

static enum dns_result
answer_query(const struct dns_zone *z, const struct dns_query *q, int tcp,
    uint8_t *out, size_t outmax, size_t *outlen, int *tc)
{
	struct dns_out	 o = { out, outmax, 0, 0 };
	enum dns_result	 res;
	size_t		 max = outmax, qend;
	int		 rcode, an = 0, ns = 0;

	if (!tcp) {
		max = q->edns ? q->udpsize : DNS_UDP_MIN;
		if (max < DNS_UDP_MIN)
			max = DNS_UDP_MIN;
		if (max > DNS_UDP_OURS)
			max = DNS_UDP_OURS;
		if (max > outmax)
			max = outmax;
	}
	/* room for the OPT at the end, whatever comes before it */
	o.max = max - (q->edns ? OPT_LEN : 0);
	out_header(&o, q, F_AA, 0);
	out_bytes(&o, q->qname.wire, q->qname.len);
	out_u16(&o, q->qtype);
	out_u16(&o, q->qclass);
	qend = o.len;
	if (q->edns && q->ednsver != 0) {
		rcode = RC_BADVERS;
		res = DNS_R_BADVERS;
	} else
		res = answer_sections(&o, z, q, &rcode, &an, &ns);
	if (o.full) {
		/* too big: the question alone, and TC for a retry on TCP */
		o.full = 0;
		o.len = qend;
		an = ns = 0;
		*tc = 1;
		out[2] |= F_TC >> 8;
	}
	if (res == DNS_R_REFUSED || res == DNS_R_BADVERS)
		out[2] &= ~(F_AA >> 8);		/* not ours to say */
	out[3] |= rcode & 0xf;
	o.max = max;
	if (q->edns)
		out_opt(&o, rcode);
	set_counts(&o, 1, an, ns, q->edns ? 1 : 0);
	*outlen = o.len;
	return res;
}

enum dns_result
dns_answer(const struct dns_zone *z, const uint8_t *msg, size_t len,
    int tcp, uint8_t *out, size_t outmax, size_t *outlen, int *tc)
{
	struct dns_query	q;

	*outlen = 0;
	*tc = 0;
	if (len < DNS_HDR_LEN || outmax < DNS_UDP_MIN)
		return DNS_R_DROP;
	memset(&q, 0, sizeof(q));
	q.id = get_be16(msg);
	q.flags = get_be16(msg + 2);
	if (q.flags & F_QR)
		return DNS_R_DROP;		/* a response: never answer */
	if (OPCODE(q.flags) != 0) {
		*outlen = answer_bare(&q, out, outmax, RC_NOTIMP);
		return DNS_R_NOTIMP;
	}
	if (query_read(msg, len, &q) == -1) {
		*outlen = answer_bare(&q, out, outmax, RC_FORMERR);
		return DNS_R_FORMERR;
	}
	return answer_query(z, &q, tcp, out, outmax, outlen, tc);
}
