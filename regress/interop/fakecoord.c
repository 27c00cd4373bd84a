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
 * fakecoord: a coordinator, honest or hostile, for the mesh's tests.  It
 * speaks real WireGuard handshakes with meshd's engine
 * (meshd-crypto/noise*.c) and the coordination protocol with
 * meshd-net/coord.c, over one UDP socket on the address given.
 *
 *   fakecoord -k KEYFILE -l ADDR:PORT [-e ENTRYFILE]... [-c CRLFILE]
 *	    [-a CANDIDATE] [-g garbage|oversize|cut|order|callme]
 *	    [-t SECONDS]
 *	answers any member's initiation (its key need not be known: the
 *	peer is made from the static key the initiation carries).  To a
 *	REGISTER it sends a record per -e file (an armored certificate,
 *	or its raw bytes) with the -a ADDR:PORT as its one candidate (none
 *	without -a), packed as a coordinator does (as many to an ENTRY as
 *	fit), then DIR_END, then the -c
 *	revocation list in CRL_PART pieces; to a PING a PONG.  Then, with
 *	-g garbage: a message of random bytes after the mark, that
 *	coord_decode() refuses; -g oversize: an ENTRY whose body is
 *	COORD_MAX + 1 bytes; -g cut instead of the first ENTRY: the same
 *	one byte short, its last record cut (the whole message is
 *	refused, none of its records arrives); -g order instead of the
 *	honest answer:
 *	DIR_END first, the entries after it, and a CRL_PART whose part
 *	lies past the list's end (of the -c list, or of a made-up one of
 *	CRL_MIN bytes), and before all of it a PONG to no PING; -g callme:
 *	after the directory a CALL_ME naming a key that is no member's,
 *	with the -a candidate (a member must not send to it); in member
 *	mode (-m), once registered, a CONNECT for a key no member has.
 *   fakecoord -m -k KEYFILE -p COORDPUB -C ADDR:PORT -e CERTFILE
 *	    [-g callme] [-t SECONDS]
 *	a member, for fakecoord's own test: handshakes with the
 *	coordinator, sends REGISTER with the certificate and a PING, and
 *	prints what comes back.
 *   fakecoord -m -n -k KEYFILE -p COORDPUB -C ADDR:PORT [-t SECONDS]
 *	an unknown initiator that never presents a certificate: the
 *	handshake, a keepalive, and no REGISTER ever.
 *
 * One line per event on stdout; exits 0 after -t seconds (30), 1 on a
 * setup error with the reason on stderr.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cert.h"
#include "coord.h"
#include "noise.h"
#include "wgkey.h"
#include "wgproto.h"

#define MAX_MEMBERS	64
#define MAX_ENTRIES	64
#define FILE_MAX	(128 * 1024)	/* an armored CRL_MAX fits */
#define TICK_MS		100

enum gmode { G_NONE, G_GARBAGE, G_OVERSIZE, G_CUT, G_ORDER, G_CALLME };

struct member {
	struct noise_peer	*p;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 name[WG_KEY_B64_LEN + 1];
};

struct blob {
	uint8_t			*b;
	size_t			 len;
};

struct fc {
	struct noise_local	*l;
	int			 s;
	struct member		 mem[MAX_MEMBERS];
	size_t			 nmem;
	struct blob		 ent[MAX_ENTRIES];
	size_t			 nent;
	struct blob		 crl;
	enum gmode		 g;
	struct coord_cand	 cand;		/* -a; af 0: none */
	uint64_t		 epoch;
	uint64_t		 seq;
	int			 member_mode;
	int			 no_register;	/* -n */
	int			 registered;
};

static uint64_t
mono(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		err(1, "clock_gettime");
	return (uint64_t)ts.tv_sec * WG_NSEC + ts.tv_nsec;
}

static uint64_t
get64(const uint8_t *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* "198.18.0.1:51820" or "[fd00::1]:51820" */
static socklen_t
parse_addr(const char *arg, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	char			 buf[80], *host = buf, *colon;
	const char		*errstr;
	int			 port;

	if (strlcpy(buf, arg, sizeof(buf)) >= sizeof(buf) ||
	    (colon = strrchr(buf, ':')) == NULL)
		errx(1, "%s: not ADDR:PORT", arg);
	*colon = '\0';
	port = strtonum(colon + 1, 1, 65535, &errstr);
	if (errstr != NULL)
		errx(1, "%s: port %s", arg, errstr);
	if (*host == '[' && colon[-1] == ']') {
		host++;
		colon[-1] = '\0';
	}
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		return sizeof(*sin);
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		return sizeof(*sin6);
	}
	errx(1, "%s: not an IPv4 or IPv6 address", host);
}

/* -a ADDR:PORT as a candidate */
static void
parse_cand(const char *arg, struct coord_cand *c)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;

	(void)parse_addr(arg, &ss);
	memset(c, 0, sizeof(*c));
	if (ss.ss_family == AF_INET) {
		c->af = 4;
		c->port = ntohs(sin->sin_port);
		memcpy(c->addr, &sin->sin_addr, 4);
	} else {
		c->af = 6;
		c->port = ntohs(sin6->sin6_port);
		memcpy(c->addr, &sin6->sin6_addr, 16);
	}
}

/* a file's bytes: the first block of its armor label, or all of it raw */
static void
read_blob(const char *path, const char *label, struct blob *out)
{
	char		*text;
	const char	*why;
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		err(1, "%s", path);
	if ((text = malloc(FILE_MAX + 1)) == NULL ||
	    (out->b = malloc(FILE_MAX)) == NULL)
		err(1, NULL);
	while ((n = read(fd, text + len, FILE_MAX - len)) > 0)
		len += n;
	if (n == -1)
		err(1, "%s", path);
	if (len == FILE_MAX)
		errx(1, "%s: larger than %d bytes", path, FILE_MAX - 1);
	close(fd);
	text[len] = '\0';
	if (len > 0 && memmem(text, len, "-----BEGIN ", 11) != NULL) {
		if (armor_decode(text, len, label, out->b, FILE_MAX,
		    &out->len, &why) == -1)
			errx(1, "%s: %s", path, why);
	} else {
		memcpy(out->b, text, len);
		out->len = len;
	}
	free(text);
}

static void
read_key(const char *path, uint8_t key[WG_KEY_LEN])
{
	const char	*why;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		err(1, "%s", path);
	if (wg_key_read_fd(fd, key, &why) == -1)
		errx(1, "%s: %s", path, why);
	close(fd);
}

static void
send_raw(struct fc *fc, struct member *m, const uint8_t *pt, size_t len)
{
	uint8_t	out[COORD_MAX * 2];
	size_t	outlen;
	int	ret;

	ret = noise_encrypt(m->p, mono(), pt, len, 0, out, sizeof(out),
	    &outlen);
	if (ret != 0) {
		printf("cannot send to %s: %s\n", m->name,
		    noise_strerror(ret));
		return;
	}
	if (sendto(fc->s, out, outlen, 0, (struct sockaddr *)&m->ss,
	    m->sslen) == -1)
		warn("sendto");
}

static void
send_msg(struct fc *fc, struct member *m, const struct coord_msg *cm)
{
	uint8_t	buf[COORD_MAX];
	ssize_t	n;

	if ((n = coord_encode(cm, buf, sizeof(buf))) == -1)
		errx(1, "%s: coord_encode refused it",
		    coord_type_name(cm->type));
	send_raw(fc, m, buf, n);
}

/* -e file i as a record */
static void
entry_record(struct fc *fc, size_t i, struct coord_record *r)
{
	memset(r, 0, sizeof(*r));
	r->seq = fc->seq;
	r->cert = fc->ent[i].b;
	r->certlen = fc->ent[i].len;
	/* what a member without announce lines registers */
	r->ann_all = 1;
	if (fc->cand.af != 0) {
		r->cand[0] = fc->cand;
		r->ncand = 1;
	}
}

/*
 * The entries from the i-th on, packed into one ENTRY (as many as fit);
 * the index of the first left for the next.  cut: the message is sent
 * one byte short, its body length saying so.
 */
static size_t
send_entries(struct fc *fc, struct member *m, size_t i, int cut)
{
	struct coord_msg	cm;
	struct coord_record	r;
	uint8_t			buf[COORD_MAX];
	ssize_t			n;
	size_t			first = i;

	memset(&cm, 0, sizeof(cm));
	cm.type = COORD_ENTRY;
	for (; i < fc->nent; i++) {
		entry_record(fc, i, &r);
		if (coord_add_record(&cm, &r) != 1)
			break;
	}
	if ((n = coord_encode(&cm, buf, sizeof(buf))) == -1)
		errx(1, "ENTRY: coord_encode refused it");
	if (cut) {
		buf[2] = (n - 1 - COORD_HDR_LEN) >> 8;
		buf[3] = n - 1 - COORD_HDR_LEN;
		send_raw(fc, m, buf, n - 1);
		printf("sent entries %zu-%zu in one ENTRY cut short by a "
		    "byte\n", first + 1, i);
		return i;
	}
	send_raw(fc, m, buf, n);
	for (; first < i; first++)
		printf("sent entry %zu\n", first + 1);
	printf("sent ENTRY of %zu records\n", cm.nrec);
	return i;
}

/* cut: the first ENTRY cut short */
static void
send_directory(struct fc *fc, struct member *m, int cut)
{
	size_t	i = 0;

	while (i < fc->nent)
		i = send_entries(fc, m, i, cut && i == 0);
}

static void
send_dir_end(struct fc *fc, struct member *m)
{
	struct coord_msg	cm;

	memset(&cm, 0, sizeof(cm));
	cm.type = COORD_DIR_END;
	cm.count = fc->nent;
	cm.epoch = fc->epoch;
	send_msg(fc, m, &cm);
	printf("sent dir_end %zu\n", fc->nent);
}

/* the revocation list in pieces; bad: one part, its offset past the end */
static void
send_crl(struct fc *fc, struct member *m, int bad)
{
	struct coord_msg	cm;
	uint8_t			buf[COORD_MAX];
	ssize_t			n;
	size_t			off;

	memset(&cm, 0, sizeof(cm));
	cm.type = COORD_CRL_PART;
	cm.serial = get64(fc->crl.b + 8);
	cm.total = fc->crl.len;
	for (off = 0; off < fc->crl.len; off += cm.datalen) {
		cm.offset = off;
		cm.data = fc->crl.b + off;
		cm.datalen = fc->crl.len - off;
		if (cm.datalen > COORD_CRL_PART_MAX)
			cm.datalen = COORD_CRL_PART_MAX;
		if (bad) {
			/* the encoder refuses it: patch a good one's bytes */
			if ((n = coord_encode(&cm, buf, sizeof(buf))) == -1)
				errx(1, "CRL_PART: coord_encode refused it");
			off = cm.total - cm.datalen + 1;
			buf[16] = off >> 24;
			buf[17] = off >> 16;
			buf[18] = off >> 8;
			buf[19] = off;
			send_raw(fc, m, buf, n);
			printf("sent crl_part past the end: offset %zu length "
			    "%zu total %u\n", off, cm.datalen, cm.total);
			return;
		}
		send_msg(fc, m, &cm);
		printf("sent crl_part offset %u length %zu total %u\n",
		    cm.offset, cm.datalen, cm.total);
	}
}

static void
send_garbage(struct fc *fc, struct member *m)
{
	struct coord_msg	 cm;
	uint8_t			 buf[256];
	const char		*why = NULL;
	size_t			 len;

	do {
		len = COORD_HDR_LEN + arc4random_uniform(sizeof(buf) -
		    COORD_HDR_LEN);
		arc4random_buf(buf, len);
		buf[0] = COORD_MARK;
	} while (coord_decode(buf, len, &cm, &why) == 0);
	send_raw(fc, m, buf, len);
	printf("sent garbage %zu bytes (%s)\n", len, why);
}

static void
send_oversize(struct fc *fc, struct member *m)
{
	uint8_t	buf[COORD_HDR_LEN + COORD_MAX + 1];
	size_t	blen = COORD_MAX + 1;

	memset(buf, 0, sizeof(buf));
	buf[0] = COORD_MARK;
	buf[1] = COORD_ENTRY;
	buf[2] = blen >> 8;
	buf[3] = blen;
	send_raw(fc, m, buf, sizeof(buf));
	printf("sent oversize entry, body %zu bytes\n", blen);
}

/* a CALL_ME for a key no member has, with the -a candidate */
static void
send_call_me(struct fc *fc, struct member *m)
{
	struct coord_msg	cm;

	memset(&cm, 0, sizeof(cm));
	cm.type = COORD_CALL_ME;
	arc4random_buf(cm.key, sizeof(cm.key));
	cm.attempt = 0xca11;
	if (fc->cand.af != 0) {
		cm.cand[0] = fc->cand;
		cm.ncand = 1;
	}
	send_msg(fc, m, &cm);
	printf("sent call_me for a non-member, %zu candidates\n", cm.ncand);
}

/* a PONG to a PING nobody sent */
static void
send_stray_pong(struct fc *fc, struct member *m)
{
	struct coord_msg	cm;

	memset(&cm, 0, sizeof(cm));
	cm.type = COORD_PONG;
	cm.epoch = fc->epoch;
	cm.nonce = 0x5eed;
	send_msg(fc, m, &cm);
	printf("sent pong to no ping\n");
}

static void
on_register(struct fc *fc, struct member *m)
{
	if (fc->g == G_ORDER) {
		send_stray_pong(fc, m);
		send_dir_end(fc, m);
		send_directory(fc, m, 0);
		if (fc->crl.len > 0)
			send_crl(fc, m, 1);
		return;
	}
	send_directory(fc, m, fc->g == G_CUT);
	send_dir_end(fc, m);
	if (fc->crl.len > 0)
		send_crl(fc, m, 0);
	if (fc->g == G_GARBAGE)
		send_garbage(fc, m);
	else if (fc->g == G_OVERSIZE)
		send_oversize(fc, m);
	else if (fc->g == G_CALLME)
		send_call_me(fc, m);
}

/* what a member hears from its coordinator (member mode) */
static void
on_reply(struct fc *fc, struct member *m, const struct coord_msg *cm)
{
	struct coord_msg	c;
	size_t			i;

	switch (cm->type) {
	case COORD_ENTRY:
		printf("got ENTRY of %zu records\n", cm->nrec);
		for (i = 0; i < cm->nrec; i++)
			printf("got entry seq %llu cert %zu bytes candidates "
			    "%zu\n", (unsigned long long)cm->rec[i].seq,
			    cm->rec[i].certlen, cm->rec[i].ncand);
		break;
	case COORD_DIR_END:
		printf("got dir_end %u\n", cm->count);
		if (fc->g != G_CALLME)
			break;
		/* registered: a CONNECT for a key that is no member's */
		memset(&c, 0, sizeof(c));
		c.type = COORD_CONNECT;
		arc4random_buf(c.key, sizeof(c.key));
		send_msg(fc, m, &c);
		printf("sent connect for a non-member\n");
		break;
	case COORD_CRL_PART:
		printf("got crl_part offset %u length %zu total %u\n",
		    cm->offset, cm->datalen, cm->total);
		break;
	case COORD_PONG:
		printf("got pong %llu\n", (unsigned long long)cm->nonce);
		break;
	default:
		printf("got %s\n", coord_type_name(cm->type));
		break;
	}
}

static void
on_data(struct fc *fc, struct member *m, const uint8_t *pt, size_t len)
{
	struct coord_msg	 cm;
	const char		*why;

	if (len == 0)
		return;			/* a keepalive */
	if (!coord_is_coord(pt, len)) {
		printf("data from %s: not coordination (%zu bytes)\n",
		    m->name, len);
		return;
	}
	if (coord_decode(pt, len, &cm, &why) == -1) {
		printf("refused from %s: %s\n", m->name, why);
		return;
	}
	if (fc->member_mode) {
		on_reply(fc, m, &cm);
		return;
	}
	switch (cm.type) {
	case COORD_REGISTER:
		printf("register from %s\n", m->name);
		on_register(fc, m);
		break;
	case COORD_PING:
		printf("ping from %s\n", m->name);
		cm.type = COORD_PONG;
		cm.epoch = fc->epoch;
		send_msg(fc, m, &cm);
		printf("sent pong\n");
		break;
	default:
		printf("%s from %s: not for a coordinator\n",
		    coord_type_name(cm.type), m->name);
		break;
	}
}

static struct member *
member_add(struct fc *fc, const uint8_t pub[WG_PUBLIC_LEN])
{
	struct member	*m;

	if (fc->nmem == MAX_MEMBERS)
		return NULL;
	m = &fc->mem[fc->nmem];
	if ((m->p = noise_peer_new(fc->l, pub, m)) == NULL)
		err(1, "noise_peer_new");
	wg_key_to_base64(m->name, pub);
	fc->nmem++;
	return m;
}

static void
on_initiation(struct fc *fc, const uint8_t *msg, size_t len,
    uint64_t now, const struct sockaddr_storage *from, socklen_t fromlen)
{
	struct noise_peer	*p;
	struct member		*m;
	uint8_t			 out[WG_RESP_LEN];
	char			 b64[WG_KEY_B64_LEN + 1];
	int			 ret;

	ret = noise_consume_initiation(fc->l, msg, len, now, &p);
	if (ret == NOISE_E_PEER) {
		/* any member: its peer is made from the key it carried */
		if (member_add(fc, fc->l->unknown_pub) == NULL) {
			wg_key_to_base64(b64, fc->l->unknown_pub);
			printf("initiation from %s: too many members\n", b64);
			return;
		}
		ret = noise_consume_initiation(fc->l, msg, len, now, &p);
	}
	if (ret == 0)
		ret = noise_create_response(p, now, out);
	if (ret != 0) {
		printf("initiation refused: %s\n", noise_strerror(ret));
		return;
	}
	m = p->arg;
	memcpy(&m->ss, from, fromlen);
	m->sslen = fromlen;
	if (sendto(fc->s, out, sizeof(out), 0, (struct sockaddr *)&m->ss,
	    m->sslen) == -1)
		warn("sendto");
	printf("handshake from %s\n", m->name);
}

/* member mode: the session is up; register and ping once */
static void
member_register(struct fc *fc, struct member *m)
{
	struct coord_msg	cm;
	struct coord_record	r;

	memset(&r, 0, sizeof(r));
	r.seq = fc->seq;
	r.cert = fc->ent[0].b;
	r.certlen = fc->ent[0].len;
	memset(&cm, 0, sizeof(cm));
	cm.type = COORD_REGISTER;
	if (coord_add_record(&cm, &r) != 1)
		errx(1, "REGISTER: coord_add_record refused the record");
	send_msg(fc, m, &cm);
	printf("sent register\n");
	memset(&cm, 0, sizeof(cm));
	cm.type = COORD_PING;
	cm.nonce = 42;
	send_msg(fc, m, &cm);
	printf("sent ping 42\n");
	fc->registered = 1;
}

static void
input(struct fc *fc, const uint8_t *msg, size_t len,
    const struct sockaddr_storage *from, socklen_t fromlen)
{
	struct noise_peer	*p = NULL;
	uint8_t			 pt[2048];
	size_t			 ptlen;
	uint64_t		 now = mono();
	int			 ret;

	switch (wg_msg_type(msg, len)) {
	case WG_MSG_INITIATION:
		if (!fc->member_mode)
			on_initiation(fc, msg, len, now, from, fromlen);
		return;
	case WG_MSG_RESPONSE:
		ret = noise_consume_response(fc->l, msg, len, now, &p);
		if (ret == 0 && fc->member_mode && !fc->registered) {
			printf("handshake done\n");
			if (fc->no_register) {
				/* the session is the initiator's to confirm */
				send_raw(fc, &fc->mem[0], NULL, 0);
				fc->registered = 1;
				printf("sent keepalive, no register\n");
			} else
				member_register(fc, &fc->mem[0]);
		}
		break;
	case WG_MSG_DATA:
		ret = noise_decrypt(fc->l, msg, len, now, &p, pt, sizeof(pt),
		    &ptlen);
		if (ret == 0)
			on_data(fc, p->arg, pt, ptlen);
		break;
	default:
		printf("not a WireGuard message (%zu bytes)\n", len);
		return;
	}
	if (ret != 0)
		printf("message type %d: %s\n", wg_msg_type(msg, len),
		    noise_strerror(ret));
}

/* the engine's timers: keepalives, and a member's (re)initiations */
static void
poll_members(struct fc *fc)
{
	struct member	*m;
	uint8_t		 init[WG_INIT_LEN];
	uint64_t	 now = mono();
	uint32_t	 act;
	size_t		 i;

	for (i = 0; i < fc->nmem; i++) {
		m = &fc->mem[i];
		act = noise_peer_poll(m->p, now);
		if (act & NOISE_ACT_KEEPALIVE)
			send_raw(fc, m, NULL, 0);
		if (act & NOISE_ACT_INITIATE && fc->member_mode &&
		    noise_create_initiation(m->p, now, init) == 0 &&
		    sendto(fc->s, init, sizeof(init), 0,
		    (struct sockaddr *)&m->ss, m->sslen) == -1)
			warn("sendto");
	}
}

static __attribute__((__noreturn__)) void
usage(void)
{
	fprintf(stderr, "usage: fakecoord -k keyfile -l addr:port "
	    "[-e entryfile]... [-c crlfile]\n"
	    "                 [-a candidate] "
	    "[-g garbage|oversize|cut|order|callme] [-t seconds]\n"
	    "       fakecoord -m -k keyfile -p coordpub -C addr:port "
	    "-e certfile [-g callme]\n"
	    "                 [-t seconds]\n"
	    "       fakecoord -m -n -k keyfile -p coordpub -C addr:port "
	    "[-t seconds]\n");
	exit(2);
}

/* -g order without -c: a list of the least length and serial 1 */
static void
least_crl(struct blob *crl)
{
	if ((crl->b = calloc(1, CRL_MIN)) == NULL)
		err(1, NULL);
	memcpy(crl->b, "MSHR\x01", 5);
	crl->b[15] = 1;
	crl->len = CRL_MIN;
}

static void
check_files(struct fc *fc)
{
	size_t	i;

	for (i = 0; i < fc->nent; i++)
		if (fc->ent[i].len < CERT_MIN || fc->ent[i].len > CERT_MAX)
			errx(1, "entry %zu: %zu bytes, a certificate has "
			    "%d to %d", i + 1, fc->ent[i].len, CERT_MIN,
			    CERT_MAX);
	if (fc->crl.b != NULL && (fc->crl.len < CRL_MIN ||
	    fc->crl.len > CRL_MAX))
		errx(1, "revocation list: %zu bytes, want %d to %d",
		    fc->crl.len, CRL_MIN, CRL_MAX);
}

static void
run(struct fc *fc, uint64_t deadline)
{
	struct sockaddr_storage	 from;
	struct pollfd		 pfd;
	socklen_t		 fromlen;
	uint8_t			 buf[4096];
	ssize_t			 n;

	while (mono() < deadline) {
		pfd.fd = fc->s;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, TICK_MS) == -1 && errno != EINTR)
			err(1, "poll");
		if (pfd.revents & POLLIN) {
			fromlen = sizeof(from);
			n = recvfrom(fc->s, buf, sizeof(buf), 0,
			    (struct sockaddr *)&from, &fromlen);
			if (n == -1)
				err(1, "recvfrom");
			input(fc, buf, n, &from, fromlen);
		}
		poll_members(fc);
	}
}

int
main(int argc, char *argv[])
{
	struct fc		 fc;
	struct sockaddr_storage	 ss;
	struct timespec		 ts;
	socklen_t		 sslen;
	uint8_t			 key[WG_KEY_LEN], coordpub[WG_KEY_LEN];
	char			 b64[WG_KEY_B64_LEN + 1];
	const char		*laddr = NULL, *caddr = NULL, *errstr;
	const char		*keyfile = NULL, *crlfile = NULL;
	int			 ch, secs = 30, have_coordpub = 0;
	size_t			 i;

	memset(&fc, 0, sizeof(fc));
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((ch = getopt(argc, argv, "a:C:c:e:g:k:l:mnp:t:")) != -1) {
		switch (ch) {
		case 'a':
			parse_cand(optarg, &fc.cand);
			break;
		case 'C':
			caddr = optarg;
			break;
		case 'c':
			crlfile = optarg;
			break;
		case 'e':
			if (fc.nent == MAX_ENTRIES)
				errx(1, "more than %d -e", MAX_ENTRIES);
			read_blob(optarg, ARMOR_CERT, &fc.ent[fc.nent++]);
			break;
		case 'g':
			if (strcmp(optarg, "garbage") == 0)
				fc.g = G_GARBAGE;
			else if (strcmp(optarg, "oversize") == 0)
				fc.g = G_OVERSIZE;
			else if (strcmp(optarg, "cut") == 0)
				fc.g = G_CUT;
			else if (strcmp(optarg, "order") == 0)
				fc.g = G_ORDER;
			else if (strcmp(optarg, "callme") == 0)
				fc.g = G_CALLME;
			else
				errx(1, "-g %s: not garbage, oversize, cut, "
				    "order or callme", optarg);
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'l':
			laddr = optarg;
			break;
		case 'm':
			fc.member_mode = 1;
			break;
		case 'n':
			fc.no_register = 1;
			break;
		case 'p':
			if (wg_key_from_base64(coordpub, optarg) == -1)
				errx(1, "-p %s: not a base64 key", optarg);
			have_coordpub = 1;
			break;
		case 't':
			secs = strtonum(optarg, 1, 3600, &errstr);
			if (errstr != NULL)
				errx(1, "-t %s: %s", optarg, errstr);
			break;
		default:
			usage();
		}
	}
	if (argc != optind || keyfile == NULL)
		usage();
	if (fc.member_mode) {
		if (laddr != NULL || !have_coordpub || caddr == NULL ||
		    fc.nent != (fc.no_register ? 0 : 1) ||
		    (fc.g != G_NONE && fc.g != G_CALLME) ||
		    crlfile != NULL || fc.cand.af != 0)
			usage();
	} else if (laddr == NULL || have_coordpub || caddr != NULL ||
	    fc.no_register)
		usage();
	if (crlfile != NULL)
		read_blob(crlfile, ARMOR_CRL, &fc.crl);
	else if (fc.g == G_ORDER)
		least_crl(&fc.crl);
	check_files(&fc);
	read_key(keyfile, key);

	if ((fc.l = noise_local_new()) == NULL)
		errx(1, "noise_local_new");
	if (noise_local_set_private(fc.l, key) != 0 ||
	    noise_local_public(fc.l, key) != 0)
		errx(1, "%s: not a usable private key", keyfile);
	wg_key_to_base64(b64, key);
	arc4random_buf(&fc.epoch, sizeof(fc.epoch));
	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		err(1, "clock_gettime");
	fc.seq = (uint64_t)ts.tv_sec * WG_NSEC + ts.tv_nsec;

	sslen = parse_addr(fc.member_mode ? caddr : laddr, &ss);
	if ((fc.s = socket(ss.ss_family, SOCK_DGRAM, 0)) == -1)
		err(1, "socket");
	if (fc.member_mode) {
		member_add(&fc, coordpub);
		memcpy(&fc.mem[0].ss, &ss, sslen);
		fc.mem[0].sslen = sslen;
		noise_peer_want_session(fc.mem[0].p, mono());
		printf("member %s to %s\n", b64, caddr);
	} else {
		if (bind(fc.s, (struct sockaddr *)&ss, sslen) == -1)
			err(1, "bind %s", laddr);
		printf("listening on %s as %s\n", laddr, b64);
	}
	run(&fc, mono() + secs * WG_NSEC);
	printf("exit after %d s\n", secs);
	for (i = 0; i < MAX_ENTRIES; i++)
		free(fc.ent[i].b);
	free(fc.crl.b);
	noise_local_free(fc.l);
	return 0;
}
