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
 * The mesh in meshd-net: the coordination protocol's state (coord.h has
 * its messages).  Nothing here admits anyone: a certificate that came in
 * a message goes to meshd-crypto (CERT_CHECK), and only its verdict
 * (CERT_RESULT) lets a record into the directory or a member's endpoint
 * candidates onto a peer.
 *
 * A member: for each coordinator of the config, once a session is up,
 *	REGISTER (our certificate, and our endpoint candidates: the local
 *	address the coordinator's datagrams come to); the coordinator
 *	answers with the whole directory (records packed in ENTRYs, the
 *	revocation list in CRL_PART pieces, DIR_END), then pushes what
 *	changes.  A PING every COORD_PING_SECS; a PONG from another epoch
 *	(the coordinator restarted) or three unanswered mean registering
 *	again.
 * A coordinator (serve coordinator): the directory is soft state, the
 *	records of whoever registered (newest seq wins) and our own; a
 *	new registration gets the whole directory, everyone else the new
 *	record.  The source a registration came from (as crypto
 *	authenticated it) joins its candidates.
 * Records travel packed, as many as fit in an ENTRY.  A change is not
 *	queued per subscriber: each record carries a generation (co.gen,
 *	bumped at each change) and each subscriber the generation it has
 *	seen, so what a subscriber lacks is the records of newer
 *	generations, sent when its turn comes, packed, each once however
 *	often it changed meanwhile.  A subscriber whose directory is being
 *	sent gets a change in the rest of the directory (a record past
 *	its cursor) or right after it (one the cursor passed).
 * Pushes are not acknowledged: a coordinator follows each PONG with a
 *	DIR_END (its record count) to a subscriber that has every change
 *	sent, and a member that holds fewer twice in a row asks for the
 *	whole directory again.  So a member ends with every record, however
 *	many ENTRYs were lost (a lost update of a record it has is not
 *	found this way: the next change of that record brings it).
 * Sending is paced: at most COORD_BURST messages, then the event loop
 *	runs (the crypto -> net channel drains) before the next burst.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>
#include <netinet/in.h>

#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef __unused
#define __unused	__attribute__((__unused__))	/* RB_GENERATE_STATIC */
#endif

#include "cert.h"
#include "child.h"
#include "coord.h"
#include "endpoint.h"
#include "log.h"
#include "net.h"

#define COORD_BURST		128	/* messages between two turns */
#define COORD_DUMP_TURN		4	/* of one directory in a turn (1 ms) */
#define COORD_UPDATE_TURN	1	/* to one subscriber in a turn */
#define COORD_DIR_RETRIES	3	/* a directory that came short */
#define COORD_RECHECK_SECS	300	/* then asked again this seldom */
#define COORD_PING_SECS		5
#define COORD_PING_MISSES	3	/* unanswered: register again */
#define COORD_REG_BURST		4	/* REGISTERs a member may send ... */
#define COORD_REG_SECS		5	/* ... in this many seconds */
#define COORD_REREG_GAP		2	/* s between two for new candidates */
#define COORD_RECS_MAX		65536
#define COORD_LOG_GAP		60

/* a record: a member's certificate and endpoint candidates */
struct coord_body {
	uint64_t		 seq;
	size_t			 certlen;
	uint8_t			*cert;		/* certlen bytes, its own */
	size_t			 ncand;
	struct coord_cand	 cand[COORD_MAX_CAND];
	int			 ann_all;	/* routes announced */
	uint8_t			 flags;		/* COORD_REC_* */
	size_t			 nann;
	struct mesh_prefix	 ann[COORD_MAX_ANN];
};

struct coord_rec {
	RB_ENTRY(coord_rec)	 entry;
	RB_ENTRY(coord_rec)	 gen_entry;	/* pushed records, by gen */
	uint64_t		 gen;		/* its last change; 0: none */
	uint8_t			 key[32];	/* the certificate's */
	uint32_t		 id;		/* the member's peer id */
	int			 admitted;	/* crypto said yes (or ours) */
	struct coord_body	 b;
	struct coord_body	*pend;		/* newer, awaiting crypto */
	uint64_t		 pend_check;	/* its CERT_CHECK */
};
RB_HEAD(rec_tree, coord_rec);
RB_HEAD(gen_tree, coord_rec);

static int
rec_cmp(struct coord_rec *a, struct coord_rec *b)
{
	return memcmp(a->key, b->key, sizeof(a->key));
}
RB_GENERATE_STATIC(rec_tree, coord_rec, entry, rec_cmp)

static int
gen_cmp(struct coord_rec *a, struct coord_rec *b)
{
	return a->gen < b->gen ? -1 : a->gen > b->gen;
}
RB_GENERATE_STATIC(gen_tree, coord_rec, gen_entry, gen_cmp)

enum link_state {
	LINK_IDLE,		/* no session yet */
	LINK_REGISTERING,	/* REGISTER sent, no DIR_END yet */
	LINK_REGISTERED
};

/* coordination with one peer: a coordinator, or one of our subscribers */
struct coord_link {
	uint32_t		 id;
	/* to a coordinator */
	enum link_state		 state;
	time_t			 sent;		/* the last REGISTER */
	time_t			 pinged;
	uint64_t		 pinged_ns;	/* for the round trip */
	int32_t			 rtt_us;	/* the last PONG's; -1 none */
	uint64_t		 nonce;
	uint32_t		 misses;
	uint64_t		 epoch;
	uint64_t		 cand_gen;	/* our candidates it was sent */
	uint32_t		 dir_retries;	/* directories that came short */
	uint32_t		 short_checks;	/* DIR_END checks in a row */
	time_t			 gave_up;	/* the last retry */
	uint8_t			*crl;		/* a list being put together */
	uint64_t		 crl_serial;
	uint32_t		 crl_total;
	uint32_t		 crl_got;
	/*
	 * The newest this coordinator gave crypto, which alone verifies it:
	 * one per coordinator, so that a coordinator's list that does not
	 * verify (a serial made up) hides no other coordinator's.
	 */
	uint64_t		 crl_passed;
	/* a subscriber of ours */
	int			 subscribed;
	uint8_t			 key[32];	/* its record's, once subscribed */
	time_t			 reg_since;	/* COORD_REG_SECS from here */
	uint32_t		 reg_count;	/* REGISTERs since then */
	struct coord_body	*reg;		/* its REGISTER, at crypto */
	uint64_t		 reg_check;	/* its CERT_CHECK */
	int			 dumping;
	uint8_t			 cursor[32];	/* the last record sent */
	int			 cursor_set;
	int			 walked;	/* the cursor passed the last */
	uint8_t			(*after)[32];	/* changed behind the cursor */
	size_t			 nafter;
	size_t			 after_cap;
	TAILQ_ENTRY(coord_link)	 dump_entry;
	/* once its directory was sent: the changes since */
	uint64_t		 seen_gen;	/* it has all up to this */
	int			 behind;	/* on co.behind */
	TAILQ_ENTRY(coord_link)	 behind_entry;
};
TAILQ_HEAD(link_head, coord_link);

/* a message waiting its turn; REGISTER is made when sent */
enum out_kind { OUT_REGISTER, OUT_CRL, OUT_SMALL };
struct coord_out {
	TAILQ_ENTRY(coord_out)	 entry;
	uint32_t		 id;
	enum out_kind		 kind;
	uint32_t		 off;		/* CRL */
	size_t			 len;		/* SMALL */
	uint8_t			 msg[32];
};
TAILQ_HEAD(out_head, coord_out);

static struct {
	int			 on;
	int			 serve;
	uint16_t		 port;		/* our listen port */
	uint8_t			 key[32];	/* our certificate's */
	struct coord_body	 self;		/* our record */
	uint64_t		 cand_gen;	/* our candidates' changes */
	uint8_t			*crl;		/* the list we serve */
	size_t			 crllen;
	uint64_t		 crl_serial;
	uint64_t		 epoch;
	struct rec_tree		 recs;
	size_t			 nrecs;
	struct gen_tree		 gens;
	uint64_t		 gen;		/* the newest change's */
	/*
	 * CERT_CHECKs sent and CERT_RESULTs come back: crypto answers
	 * each check once, in order, so the n-th result is the n-th
	 * check's.  A body replaced while its check was at crypto waits
	 * for its own verdict, not the earlier one's.
	 */
	uint64_t		 checks_sent;
	uint64_t		 checks_done;
	struct out_head		 outq;
	struct link_head	 dumps;
	struct link_head	 behind;	/* subscribers lacking news */
	size_t			 nbehind;
	struct event		 pace;
	struct event		 tick;
	struct {
		time_t		 logged;
		uint64_t	 quiet;
	}			 log[2];
} co = {
	.recs = RB_INITIALIZER(&co.recs),
	.gens = RB_INITIALIZER(&co.gens),
	.outq = TAILQ_HEAD_INITIALIZER(co.outq),
	.dumps = TAILQ_HEAD_INITIALIZER(co.dumps),
	.behind = TAILQ_HEAD_INITIALIZER(co.behind),
};

static void	 pace_arm(void);

/* a bad or unexpected message: counted, logged once a minute */
static void
coord_bad(enum mesh_ctr c, const struct net_peer *np, const char *what)
{
	int	k = c == MESH_CTR_COORD_MALFORMED ? 0 : 1;
	time_t	now = time(NULL);

	net_stats()->mesh[c]++;
	if (co.log[k].logged != 0 && now - co.log[k].logged < COORD_LOG_GAP) {
		co.log[k].quiet++;
		return;
	}
	log_warnx("mesh: %s coordination message from %s: %s (%llu more "
	    "since the last report)", k == 0 ? "malformed" : "unexpected",
	    np != NULL && np->name[0] != '\0' ? np->name : "a peer", what,
	    (unsigned long long)co.log[k].quiet);
	co.log[k].logged = now;
	co.log[k].quiet = 0;
}

static struct coord_link *
link_get(struct net_peer *np)
{
	if (np->link == NULL) {
		if ((np->link = calloc(1, sizeof(*np->link))) == NULL)
			fatal(NULL);
		np->link->id = np->id;
	}
	return np->link;
}

/* --- records' bodies ---------------------------------------------- */

/* b holds r: its certificate copied at its own length */
static void
body_from(struct coord_body *b, const struct coord_record *r)
{
	if (b->cert == NULL || b->certlen != r->certlen) {
		free(b->cert);
		if ((b->cert = malloc(r->certlen)) == NULL)
			fatal(NULL);
	}
	/* the same bytes again (new candidates only) are no overlap */
	if (b->cert != r->cert)
		memcpy(b->cert, r->cert, r->certlen);
	b->seq = r->seq;
	b->certlen = r->certlen;
	b->ncand = r->ncand;
	memset(b->cand, 0, sizeof(b->cand));
	memcpy(b->cand, r->cand, r->ncand * sizeof(r->cand[0]));
	b->ann_all = r->ann_all;
	b->nann = r->nann;
	memset(b->ann, 0, sizeof(b->ann));
	memcpy(b->ann, r->ann, r->nann * sizeof(r->ann[0]));
	b->flags = r->flags;
}

/* 1 if a and b announce the same routes */
static int
same_ann(int all, size_t n, const struct mesh_prefix *p,
    const struct coord_body *b)
{
	return all == b->ann_all && n == b->nann &&
	    memcmp(p, b->ann, n * sizeof(p[0])) == 0;
}

/* b as a record to encode, pointing into b */
static void
body_rec(const struct coord_body *b, struct coord_record *r)
{
	memset(r, 0, sizeof(*r));
	r->seq = b->seq;
	r->cert = b->cert;
	r->certlen = b->certlen;
	r->ncand = b->ncand;
	memcpy(r->cand, b->cand, sizeof(r->cand));
	r->ann_all = b->ann_all;
	r->nann = b->nann;
	memcpy(r->ann, b->ann, sizeof(r->ann));
	r->flags = b->flags;
}

static void
body_copy(struct coord_body *dst, const struct coord_body *src)
{
	struct coord_record	r;

	body_rec(src, &r);
	body_from(dst, &r);
}

static struct coord_body *
body_new(void)
{
	struct coord_body	*b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		fatal(NULL);
	return b;
}

static void
body_free(struct coord_body *b)
{
	if (b == NULL)
		return;
	free(b->cert);
	free(b);
}

/* *from becomes dst (its certificate too), and goes */
static void
body_move(struct coord_body *dst, struct coord_body **from)
{
	free(dst->cert);
	*dst = **from;
	free(*from);
	*from = NULL;
}

static void
behind_del(struct coord_link *l)
{
	if (!l->behind)
		return;
	TAILQ_REMOVE(&co.behind, l, behind_entry);
	co.nbehind--;
	l->behind = 0;
}

void
coord_peer_free(struct net_peer *np)
{
	struct coord_link	*l = np->link;

	if (l == NULL)
		return;
	if (l->dumping)
		TAILQ_REMOVE(&co.dumps, l, dump_entry);
	behind_del(l);
	body_free(l->reg);
	free(l->after);
	free(l->crl);
	free(l);
	np->link = NULL;
}

static struct coord_rec *
rec_find(const uint8_t key[32])
{
	struct coord_rec	k;

	memcpy(k.key, key, sizeof(k.key));
	return RB_FIND(rec_tree, &co.recs, &k);
}

static void
rec_free(struct coord_rec *r)
{
	RB_REMOVE(rec_tree, &co.recs, r);
	co.nrecs--;
	if (r->gen != 0)
		RB_REMOVE(gen_tree, &co.gens, r);
	body_free(r->pend);
	free(r->b.cert);
	free(r);
}

/* --- sending -------------------------------------------------------- */

static void
out_add(uint32_t id, enum out_kind kind, uint32_t off,
    const struct coord_msg *small)
{
	struct coord_out	*o;
	ssize_t			 n;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		fatal(NULL);
	o->id = id;
	o->kind = kind;
	o->off = off;
	if (small != NULL) {
		if ((n = coord_encode(small, o->msg, sizeof(o->msg))) == -1)
			fatalx("coord: cannot encode %s",
			    coord_type_name(small->type));
		o->len = n;
	}
	TAILQ_INSERT_TAIL(&co.outq, o, entry);
	pace_arm();
}

static void
send_msg(uint32_t id, const struct coord_msg *m)
{
	uint8_t	buf[COORD_MAX];
	ssize_t	n;

	if ((n = coord_encode(m, buf, sizeof(buf))) == -1) {
		log_warnx("mesh: a %s that does not encode, not sent",
		    coord_type_name(m->type));
		return;
	}
	child_compose(PROC_CRYPTO, IMSG_COORD_SEND, id, -1, buf, n);
}

/* our candidates toward a coordinator: the address it talks to, our port */
static void
send_register(struct net_peer *np)
{
	struct coord_msg	 m;
	struct coord_record	 r;

	body_rec(&co.self, &r);
	/* local, mapped, reflexive (discover.c) */
	r.ncand = disc_candidates(r.cand, COORD_MAX_CAND, np);
	if (np->link != NULL)
		np->link->cand_gen = co.cand_gen;
	memset(&m, 0, sizeof(m));
	m.type = COORD_REGISTER;
	if (coord_add_record(&m, &r) != 1) {
		log_warnx("mesh: our record does not encode, not registered");
		return;
	}
	send_msg(np->id, &m);
}

static void
send_crl_part(uint32_t id, uint32_t off)
{
	struct coord_msg	m;

	if (co.crl == NULL || off >= co.crllen)
		return;
	memset(&m, 0, sizeof(m));
	m.type = COORD_CRL_PART;
	m.serial = co.crl_serial;
	m.total = co.crllen;
	m.offset = off;
	m.data = co.crl + off;
	m.datalen = co.crllen - off < COORD_CRL_PART_MAX ? co.crllen - off :
	    COORD_CRL_PART_MAX;
	send_msg(id, &m);
}

static void
crl_queue(uint32_t id)
{
	size_t	off;

	for (off = 0; co.crl != NULL && off < co.crllen;
	    off += COORD_CRL_PART_MAX)
		out_add(id, OUT_CRL, off, NULL);
}

static void
out_send(struct coord_out *o)
{
	struct net_peer		*np;

	if ((np = net_peer_find(o->id)) == NULL)
		return;		/* gone meanwhile */
	switch (o->kind) {
	case OUT_REGISTER:
		send_register(np);
		break;
	case OUT_CRL:
		send_crl_part(o->id, o->off);
		break;
	case OUT_SMALL:
		child_compose(PROC_CRYPTO, IMSG_COORD_SEND, o->id, -1, o->msg,
		    o->len);
		break;
	}
}

/* whether l is to get r: admitted, and not its own */
static int
rec_for(const struct coord_rec *r, const struct coord_link *l)
{
	return r != NULL && r->admitted && r->id != l->id;
}

/*
 * r into the ENTRY being packed: 1 added, 0 m is full (send it, r waits
 * for the next).  A record that does not encode (none should: each came
 * through coord_decode or is ours) is passed over, as if sent.
 */
static int
pack(struct coord_msg *m, const struct coord_rec *r)
{
	struct coord_record	cr;
	int			ret;

	body_rec(&r->b, &cr);
	if ((ret = coord_add_record(m, &cr)) == -1) {
		log_warnx("mesh: a record that does not encode, not sent");
		return 1;
	}
	return ret;
}

static void
entry_init(struct coord_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = COORD_ENTRY;
}

/* a record changed behind l's cursor: once, right after the directory */
static void
after_add(struct coord_link *l, const uint8_t key[32])
{
	size_t	i;

	for (i = 0; i < l->nafter; i++)
		if (memcmp(l->after[i], key, 32) == 0)
			return;
	if (l->nafter == l->after_cap) {
		l->after_cap = l->after_cap == 0 ? 16 : l->after_cap * 2;
		if ((l->after = reallocarray(l->after, l->after_cap,
		    sizeof(*l->after))) == NULL)
			fatal(NULL);
	}
	memcpy(l->after[l->nafter++], key, 32);
}

/* the next ENTRY of the directory being sent to l; 0 when it is done */
static int
dump_next(struct coord_link *l)
{
	struct coord_rec	 k, *r;
	struct coord_msg	 m;
	size_t			 i;

	entry_init(&m);
	if (!l->walked) {
		if (l->cursor_set) {
			memcpy(k.key, l->cursor, sizeof(k.key));
			r = RB_NFIND(rec_tree, &co.recs, &k);
			if (r != NULL && memcmp(r->key, l->cursor, 32) == 0)
				r = RB_NEXT(rec_tree, &co.recs, r);
		} else
			r = RB_MIN(rec_tree, &co.recs);
		for (; r != NULL; r = RB_NEXT(rec_tree, &co.recs, r)) {
			if (rec_for(r, l) && !pack(&m, r))
				break;
			memcpy(l->cursor, r->key, sizeof(l->cursor));
			l->cursor_set = 1;
		}
		l->walked = r == NULL;
		if (m.nrec > 0) {
			send_msg(l->id, &m);
			return 1;
		}
	}
	/* what changed behind the cursor meanwhile */
	for (i = 0; i < l->nafter; i++)
		if (rec_for(r = rec_find(l->after[i]), l) && !pack(&m, r))
			break;
	if (i > 0) {
		memmove(l->after, l->after + i,
		    (l->nafter - i) * sizeof(*l->after));
		l->nafter -= i;
	}
	if (m.nrec == 0)
		return 0;
	send_msg(l->id, &m);
	return 1;
}

static void
dump_end(struct coord_link *l)
{
	struct coord_msg	m;

	TAILQ_REMOVE(&co.dumps, l, dump_entry);
	l->dumping = 0;
	/* every change so far was in the directory or after it */
	l->seen_gen = co.gen;
	free(l->after);
	l->after = NULL;
	l->nafter = l->after_cap = 0;
	crl_queue(l->id);
	memset(&m, 0, sizeof(m));
	m.type = COORD_DIR_END;
	m.count = co.nrecs;
	m.epoch = co.epoch;
	out_add(l->id, OUT_SMALL, 0, &m);
}

/* the next ENTRY of what changed since l's seen_gen; 0 when none is left */
static int
update_next(struct coord_link *l)
{
	struct coord_rec	 k, *r;
	struct coord_msg	 m;

	entry_init(&m);
	k.gen = l->seen_gen;
	r = RB_NFIND(gen_tree, &co.gens, &k);
	if (r != NULL && r->gen == l->seen_gen)
		r = RB_NEXT(gen_tree, &co.gens, r);
	for (; r != NULL; r = RB_NEXT(gen_tree, &co.gens, r)) {
		if (rec_for(r, l) && !pack(&m, r))
			break;
		l->seen_gen = r->gen;
	}
	if (m.nrec > 0)
		send_msg(l->id, &m);
	return r != NULL;
}

static size_t
dumps_len(void)
{
	struct coord_link	*l;
	size_t			 n = 0;

	TAILQ_FOREACH(l, &co.dumps, dump_entry)
		n++;
	return n;
}

static void
pace(int fd, short event, void *arg)
{
	struct coord_out	*o;
	struct coord_link	*l;
	int			 n = 0, k, more;
	size_t			 turns;

	while (n < COORD_BURST && (o = TAILQ_FIRST(&co.outq)) != NULL) {
		TAILQ_REMOVE(&co.outq, o, entry);
		out_send(o);
		free(o);
		n++;
	}
	/*
	 * Each directory being sent gets its share of a turn, no more: the
	 * member checks a signature per record, and what it cannot take in
	 * time is lost in its socket's buffer.  Round robin between them.
	 * Counted in messages, each of up to COORD_MAX_RECS records.
	 */
	for (turns = dumps_len(); turns > 0 && n < COORD_BURST; turns--) {
		if ((l = TAILQ_FIRST(&co.dumps)) == NULL)
			break;
		for (k = 0; k < COORD_DUMP_TURN && n < COORD_BURST; k++, n++)
			if (!dump_next(l))
				break;
		if (k < COORD_DUMP_TURN && n < COORD_BURST) {
			dump_end(l);
			continue;
		}
		TAILQ_REMOVE(&co.dumps, l, dump_entry);
		TAILQ_INSERT_TAIL(&co.dumps, l, dump_entry);
	}
	/* then the changes, round robin between the subscribers lacking some */
	for (turns = co.nbehind; turns > 0 && n < COORD_BURST; turns--) {
		l = TAILQ_FIRST(&co.behind);
		for (k = 0, more = 1; more && k < COORD_UPDATE_TURN &&
		    n < COORD_BURST; k++, n++)
			more = update_next(l);
		behind_del(l);
		if (more) {
			TAILQ_INSERT_TAIL(&co.behind, l, behind_entry);
			co.nbehind++;
			l->behind = 1;
		}
	}
	if (!TAILQ_EMPTY(&co.outq) || !TAILQ_EMPTY(&co.dumps) ||
	    !TAILQ_EMPTY(&co.behind))
		pace_arm();
}

static void
pace_arm(void)
{
	struct timeval	tv = { 0, 1000 };

	if (!evtimer_initialized(&co.pace))
		evtimer_set(&co.pace, pace, NULL);
	if (!evtimer_pending(&co.pace, NULL))
		evtimer_add(&co.pace, &tv);
}

/* again: a REGISTER sent again mid-dump carries on where it was */
static void
dump_start(struct coord_link *l, int again)
{
	if (!again || !l->dumping) {
		l->cursor_set = 0;
		l->walked = 0;
		l->nafter = 0;
	}
	/* the directory has every change so far */
	behind_del(l);
	if (!l->dumping) {
		l->dumping = 1;
		TAILQ_INSERT_TAIL(&co.dumps, l, dump_entry);
	}
	pace_arm();
}

/*
 * A new or changed record, to every subscriber but its own member: a
 * new generation; each subscriber gets it in its turn, or in or right
 * after the directory being sent to it.
 */
static void
push_rec(struct coord_rec *r)
{
	struct net_peer		*np;
	struct coord_link	*l;

	if (r->gen != 0)
		RB_REMOVE(gen_tree, &co.gens, r);
	r->gen = ++co.gen;
	RB_INSERT(gen_tree, &co.gens, r);
	/* the subscribers are the peers with a link that subscribed */
	for (np = net_peer_first(); np != NULL; np = net_peer_next(np)) {
		if ((l = np->link) == NULL || !l->subscribed || np->id == r->id)
			continue;
		if (l->dumping) {
			/* past the cursor: the rest of the directory has it */
			if (l->walked || (l->cursor_set &&
			    memcmp(r->key, l->cursor, 32) <= 0))
				after_add(l, r->key);
		} else if (!l->behind) {
			TAILQ_INSERT_TAIL(&co.behind, l, behind_entry);
			co.nbehind++;
			l->behind = 1;
		}
	}
	pace_arm();
}

/* --- what a record means ------------------------------------------- */

/*
 * Obfuscated when both meshes say so (our record says ours): the path it
 * is on switches too, or the first packet after a reload that turned it
 * on would go plain and be answered so.
 */
static void
rec_obfs(const struct coord_rec *r, struct net_peer *np)
{
	if (np->obfs != (net_obfs_mesh() && (r->b.flags & COORD_REC_OBFS))) {
		np->obfs = !np->obfs;
		net_ep_mode(np, &np->ep);
	}
}

/* a member's candidates as its endpoint, if it has none that is one */
static void
rec_apply(struct coord_rec *r, int moved)
{
	struct net_peer		*np;
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
	const struct coord_cand	*c;
	size_t			 i;

	/* a relay's TCP addresses (relay.c) */
	if (r->admitted)
		relay_record(r->id, r->key, r->b.cand, r->b.ncand);
	/* a config peer's endpoint is the config's */
	if (r->id < MESH_DYN_ID_MIN || (np = net_peer_find(r->id)) == NULL)
		return;
	rec_obfs(r, np);
	/* every candidate is one to punch to (punch.c) */
	punch_cands(np, r->key, r->b.cand, r->b.ncand, 0);
	if (np->ep.addrlen != 0 && !moved)
		return;
	for (i = 0; i < r->b.ncand; i++) {
		c = &r->b.cand[i];
		if (!coord_cand_udp(c))
			continue;	/* TCP, not a UDP endpoint */
		if (c->af == 4 && net_has_family(AF_INET)) {
			memset(&sin, 0, sizeof(sin));
			sin.sin_family = AF_INET;
			sin.sin_port = htons(c->port);
			memcpy(&sin.sin_addr, c->addr, 4);
			ep_set_remote(&np->ep, &sin, sizeof(sin));
			net_ep_mode(np, &np->ep);
			return;
		}
		if (c->af == 6 && net_has_family(AF_INET6)) {
			memset(&sin6, 0, sizeof(sin6));
			sin6.sin6_family = AF_INET6;
			sin6.sin6_port = htons(c->port);
			memcpy(&sin6.sin6_addr, c->addr, 16);
			ep_set_remote(&np->ep, &sin6, sizeof(sin6));
			net_ep_mode(np, &np->ep);
			return;
		}
	}
}

/* the source crypto authenticated a registration from, as a candidate */
static void
add_observed(struct coord_body *b, const struct net_peer *np)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;
	struct coord_cand		 c;
	size_t				 i;

	memset(&c, 0, sizeof(c));
	if (ep_family(&np->ep) == AF_INET) {
		sin = (const struct sockaddr_in *)ep_sockaddr(&np->ep);
		c.af = 4;
		c.port = ntohs(sin->sin_port);
		memcpy(c.addr, &sin->sin_addr, 4);
	} else if (ep_family(&np->ep) == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)ep_sockaddr(&np->ep);
		c.af = 6;
		c.port = ntohs(sin6->sin6_port);
		memcpy(c.addr, &sin6->sin6_addr, 16);
	} else
		return;
	c.kind = COORD_CAND_OBSERVED;
	/* already there (a member on a public address): as the member said */
	for (i = 0; i < b->ncand; i++)
		if (b->cand[i].af == c.af && b->cand[i].port == c.port &&
		    memcmp(b->cand[i].addr, c.addr, 16) == 0)
			return;
	if (b->ncand < COORD_MAX_CAND)
		b->cand[b->ncand++] = c;
}

/* the check's number, for coord_cert_result() */
static uint64_t
cert_check(uint32_t via, int own, const struct coord_body *b)
{
	struct mesh_cert_check	ck;

	memset(&ck, 0, sizeof(ck));
	ck.via = via;
	ck.own = own;
	ck.len = b->certlen;
	memcpy(ck.cert, b->cert, b->certlen);
	ck.ann_all = b->ann_all;
	ck.nann = b->nann;
	memcpy(ck.ann, b->ann, b->nann * sizeof(b->ann[0]));
	child_compose(PROC_CRYPTO, IMSG_CERT_CHECK, via, -1, &ck, sizeof(ck));
	return ++co.checks_sent;
}

/* --- a member's side ------------------------------------------------ */

/* the first candidate of b that is a UDP endpoint, or NULL */
static const struct coord_cand *
first_udp_cand(const struct coord_body *b)
{
	size_t	i;

	for (i = 0; i < b->ncand; i++)
		if (coord_cand_udp(&b->cand[i]))
			return &b->cand[i];
	return NULL;
}

/* one record of an ENTRY from our coordinator np */
static void
got_record(struct net_peer *np, const struct coord_record *m)
{
	struct coord_rec	*r;
	const struct coord_cand	*c;
	struct coord_cand	 was;
	const uint8_t		*key = m->cert + CERT_PUBKEY_OFF;

	if (co.self.certlen > 0 && memcmp(key, co.key, 32) == 0)
		return;		/* ourselves */
	if ((r = rec_find(key)) != NULL) {
		if (m->seq < r->b.seq || (r->pend != NULL &&
		    m->seq < r->pend->seq))
			return;		/* older than what we have */
		/*
		 * Other announced routes under the same certificate are a
		 * change crypto checks and tells tun and the parent of.
		 */
		if (r->admitted && r->b.certlen == m->certlen &&
		    memcmp(r->b.cert, m->cert, m->certlen) == 0 &&
		    same_ann(m->ann_all, m->nann, m->ann, &r->b)) {
			/*
			 * The same certificate: new candidates only.  The
			 * member moved if its first UDP one (the endpoint
			 * rec_apply() takes) is another; a candidate more
			 * (a STUN answer, a home relay) is no move.
			 */
			if (m->seq > r->b.seq) {
				memset(&was, 0, sizeof(was));
				if ((c = first_udp_cand(&r->b)) != NULL)
					was = *c;
				body_from(&r->b, m);
				c = first_udp_cand(&r->b);
				rec_apply(r, c == NULL ||
				    memcmp(c, &was, sizeof(was)) != 0);
			}
			return;
		}
	} else {
		if (co.nrecs >= COORD_RECS_MAX) {
			coord_bad(MESH_CTR_COORD_UNEXPECTED, np, "directory "
			    "full");
			return;
		}
		if ((r = calloc(1, sizeof(*r))) == NULL)
			fatal(NULL);
		memcpy(r->key, key, sizeof(r->key));
		RB_INSERT(rec_tree, &co.recs, r);
		co.nrecs++;
	}
	if (r->pend == NULL)
		r->pend = body_new();
	body_from(r->pend, m);
	r->pend_check = cert_check(np->id, 0, r->pend);
}

static void
got_entry(struct net_peer *np, const struct coord_msg *m)
{
	size_t	i;

	if (!np->coordinator) {
		coord_bad(MESH_CTR_COORD_UNEXPECTED, np, "ENTRY from a peer "
		    "that is not our coordinator");
		return;
	}
	/* each on its own: a record crypto refuses spoils no other */
	for (i = 0; i < m->nrec; i++)
		got_record(np, &m->rec[i]);
}

/*
 * A DIR_END after a PONG (dir_check()): the count of the coordinator's
 * records, every change already sent.  Fewer here twice in a row (the
 * second 5 s later: nothing was on the way) means pushes were lost: the
 * whole directory again, at most COORD_DIR_RETRIES times in a row, then
 * once every COORD_RECHECK_SECS (a record we refuse, a certificate that
 * does not verify here, would have us ask for ever).
 */
static void
dir_checked(struct net_peer *np, struct coord_link *l,
    const struct coord_msg *m)
{
	time_t	now = time(NULL);

	if (co.nrecs + 1 >= m->count) {
		l->short_checks = 0;
		return;
	}
	if (++l->short_checks < 2)
		return;
	if (l->dir_retries >= COORD_DIR_RETRIES) {
		if (now - l->gave_up < COORD_RECHECK_SECS)
			return;
		l->dir_retries = 0;
	}
	l->short_checks = 0;
	l->dir_retries++;
	l->gave_up = now;
	log_info("mesh: coordinator %s holds %u entries, %zu came: asking "
	    "for the directory again", np->name, m->count, co.nrecs + 1);
	l->state = LINK_REGISTERING;
	l->sent = now;
	out_add(np->id, OUT_REGISTER, 0, NULL);
}

static void
got_dir_end(struct net_peer *np, const struct coord_msg *m)
{
	struct coord_link	*l = link_get(np);

	if (!np->coordinator) {
		coord_bad(MESH_CTR_COORD_UNEXPECTED, np, "DIR_END from a peer "
		    "that is not our coordinator");
		return;
	}
	if (l->state == LINK_REGISTERED) {
		if (m->epoch == l->epoch)
			dir_checked(np, l, m);
		return;
	}
	l->epoch = m->epoch;
	l->misses = 0;
	l->short_checks = 0;
	log_debug("mesh: coordinator %s: directory of %u entries", np->name,
	    m->count);
	/*
	 * Entries lost on the way (a full socket buffer or channel) are
	 * not sent again by themselves: ask for the directory again, a
	 * few times; what we hold already costs nothing the second time.
	 */
	if (co.nrecs + 1 < m->count && l->dir_retries < COORD_DIR_RETRIES) {
		l->dir_retries++;
		l->gave_up = time(NULL);
		log_info("mesh: coordinator %s: %zu of its %u entries came, "
		    "asking again", np->name, co.nrecs + 1, m->count);
		l->state = LINK_REGISTERING;
		l->sent = time(NULL);	/* the checks in flight finish */
		return;
	}
	if (co.nrecs + 1 >= m->count)
		l->dir_retries = 0;
	l->state = LINK_REGISTERED;
}

static void
got_crl_part(struct net_peer *np, const struct coord_msg *m)
{
	struct coord_link	*l = link_get(np);

	if (!np->coordinator) {
		coord_bad(MESH_CTR_COORD_UNEXPECTED, np, "a revocation list "
		    "from a peer that is not our coordinator");
		return;
	}
	if (m->serial <= l->crl_passed)
		return;		/* crypto had it, or a newer one */
	if (l->crl == NULL || l->crl_serial != m->serial ||
	    l->crl_total != m->total) {
		free(l->crl);
		if ((l->crl = malloc(m->total)) == NULL)
			fatal(NULL);
		l->crl_serial = m->serial;
		l->crl_total = m->total;
		l->crl_got = 0;
	}
	if (m->offset != l->crl_got) {
		coord_bad(MESH_CTR_COORD_UNEXPECTED, np, "a revocation list "
		    "part out of order");
		free(l->crl);
		l->crl = NULL;
		return;
	}
	memcpy(l->crl + l->crl_got, m->data, m->datalen);
	l->crl_got += m->datalen;
	if (l->crl_got < l->crl_total)
		return;
	child_compose(PROC_CRYPTO, IMSG_CRL, 0, -1, l->crl, l->crl_total);
	l->crl_passed = l->crl_serial;
	free(l->crl);
	l->crl = NULL;
}

static void
got_pong(struct net_peer *np, const struct coord_msg *m)
{
	struct coord_link	*l = link_get(np);

	if (!np->coordinator || m->nonce != l->nonce) {
		coord_bad(MESH_CTR_COORD_UNEXPECTED, np, "a PONG to no PING");
		return;
	}
	l->misses = 0;
	l->rtt_us = (mesh_monotonic_ns() - l->pinged_ns) / 1000;
	if (l->state == LINK_REGISTERED && m->epoch != l->epoch) {
		log_info("mesh: coordinator %s restarted: registering again",
		    np->name);
		l->state = LINK_REGISTERING;
		l->sent = time(NULL);
		out_add(np->id, OUT_REGISTER, 0, NULL);
	}
}

void
coord_session_up(uint32_t id)
{
	struct net_peer		*np;
	struct coord_link	*l;

	if (!co.on || (np = net_peer_find(id)) == NULL || !np->coordinator)
		return;
	l = link_get(np);
	if (l->state == LINK_REGISTERED)
		return;
	l->state = LINK_REGISTERING;
	l->sent = time(NULL);
	out_add(id, OUT_REGISTER, 0, NULL);
}

/* once a second: pings, and registrations that went unanswered */
static void
tick(int fd, short event, void *arg)
{
	struct timeval		 tv = { 1, 0 };
	struct net_peer		*np;
	struct coord_link	*l;
	struct coord_msg	 m;
	time_t			 now = time(NULL);

	for (np = net_peer_first(); np != NULL; np = net_peer_next(np)) {
		if (!np->coordinator || co.self.certlen == 0)
			continue;
		l = link_get(np);
		if (l->state == LINK_REGISTERING && now - l->sent >=
		    COORD_PING_SECS) {
			l->sent = now;
			out_add(np->id, OUT_REGISTER, 0, NULL);
		}
		/* our candidates changed since it was last told */
		if (l->state == LINK_REGISTERED && l->cand_gen != co.cand_gen &&
		    now - l->sent >= COORD_REREG_GAP) {
			l->state = LINK_REGISTERING;
			l->sent = now;
			out_add(np->id, OUT_REGISTER, 0, NULL);
			continue;
		}
		/* crypto keeps handshaking with it until then */
		if (l->state != LINK_REGISTERED ||
		    now - l->pinged < COORD_PING_SECS)
			continue;
		if (l->nonce != 0 && ++l->misses >= COORD_PING_MISSES) {
			log_info("mesh: coordinator %s does not answer",
			    np->name);
			l->state = LINK_REGISTERING;
			l->sent = 0;
			l->nonce = 0;
			continue;
		}
		l->pinged = now;
		l->pinged_ns = mesh_monotonic_ns();
		arc4random_buf(&l->nonce, sizeof(l->nonce));
		memset(&m, 0, sizeof(m));
		m.type = COORD_PING;
		m.nonce = l->nonce;
		out_add(np->id, OUT_SMALL, 0, &m);
	}
	evtimer_add(&co.tick, &tv);
}

/* our candidates changed (discover.c): every coordinator gets them */
/*
 * A coordinator's own record in its directory: members reach it at its
 * configured endpoint, but of its relay (serve relay) they learn only
 * from its candidates here.  A change is a newer record.
 */
/* a record's next seq: the wall clock in ns, or one more than seq */
static uint64_t
seq_next(uint64_t seq)
{
	struct timespec	ts;
	uint64_t	now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	return now > seq ? now : seq + 1;
}

static void
self_cands(void)
{
	struct coord_rec	*r;
	struct coord_cand	 c[COORD_MAX_CAND];
	size_t			 n;

	if (!co.serve || co.self.certlen == 0 ||
	    (r = rec_find(co.key)) == NULL)
		return;
	memset(c, 0, sizeof(c));
	n = disc_candidates(c, COORD_MAX_CAND, NULL);
	if (n == r->b.ncand && memcmp(c, r->b.cand, n * sizeof(c[0])) == 0)
		return;
	memcpy(r->b.cand, c, n * sizeof(c[0]));
	r->b.ncand = n;
	co.self.seq = seq_next(r->b.seq > co.self.seq ? r->b.seq :
	    co.self.seq);
	r->b.seq = co.self.seq;
	push_rec(r);
}

void
coord_reregister(void)
{
	/*
	 * tick() registers again where they were not sent: a coordinator
	 * whose REGISTER (with the old ones) is still unanswered too, and
	 * a burst of changes (STUN answers, a gateway's mapping) goes as
	 * one REGISTER, within the coordinator's limit of COORD_REG_BURST
	 * in COORD_REG_SECS
	 */
	co.cand_gen++;
	/*
	 * and a newer record: members take a record only if its seq is
	 * newer than theirs (got_record()), so new candidates under the
	 * old seq would reach the coordinator and stop there
	 */
	if (co.self.certlen > 0)
		co.self.seq = seq_next(co.self.seq);
	self_cands();
}

int32_t
coord_rtt_us(const struct net_peer *np)
{
	return np->link != NULL && np->link->rtt_us > 0 ?
	    np->link->rtt_us : -1;
}

/* --- a coordinator's side ------------------------------------------ */

static void
got_register(struct net_peer *np, const struct coord_msg *m)
{
	struct coord_link	*l = link_get(np);
	time_t			 now = time(NULL);

	if (!co.serve) {
		coord_bad(MESH_CTR_COORD_UNEXPECTED, np, "REGISTER, but we "
		    "are no coordinator");
		return;
	}
	/*
	 * Each costs a signature check and, when it changes the record, a
	 * message to every subscriber: a member registers on a session,
	 * every COORD_PING_SECS while unanswered and when its certificate
	 * changes, never in a stream.
	 */
	if (now - l->reg_since >= COORD_REG_SECS) {
		l->reg_since = now;
		l->reg_count = 0;
	}
	if (++l->reg_count > COORD_REG_BURST) {
		coord_bad(MESH_CTR_COORD_UNEXPECTED, np, "REGISTER too often");
		return;
	}
	if (l->reg == NULL)
		l->reg = body_new();
	body_from(l->reg, &m->rec[0]);
	l->reg_check = cert_check(np->id, 1, l->reg);
}

/*
 * After a PONG, a DIR_END again: how many records we hold, for the
 * member to compare with what came.  A push is sent once, and a lost
 * ENTRY is not sent again by itself; a member that finds it holds fewer
 * asks for the whole directory again (got_dir_end()).  Only once every
 * change was sent to it (not dumping, not behind): then a shortfall is
 * a loss, not news on the way.
 */
static void
dir_check(struct net_peer *np)
{
	struct coord_link	*l = np->link;
	struct coord_msg	 m;

	if (l == NULL || !l->subscribed || l->dumping || l->behind)
		return;
	memset(&m, 0, sizeof(m));
	m.type = COORD_DIR_END;
	m.count = co.nrecs;
	m.epoch = co.epoch;
	out_add(np->id, OUT_SMALL, 0, &m);
}

static void
got_ping(struct net_peer *np, const struct coord_msg *m)
{
	struct coord_msg	p;

	if (!co.serve) {
		coord_bad(MESH_CTR_COORD_UNEXPECTED, np, "PING, but we are no "
		    "coordinator");
		return;
	}
	memset(&p, 0, sizeof(p));
	p.type = COORD_PONG;
	p.nonce = m->nonce;
	p.epoch = co.epoch;
	out_add(np->id, OUT_SMALL, 0, &p);
	dir_check(np);
}

/* crypto admitted a registration: into the directory, then the dump */
static void
registered(struct net_peer *np, const struct mesh_cert_result *cr)
{
	struct coord_link	*l = link_get(np);
	struct coord_rec	*r;
	int			 news, again;

	if (l->reg == NULL)
		return;
	add_observed(l->reg, np);
	if ((r = rec_find(cr->pubkey)) == NULL) {
		if ((r = calloc(1, sizeof(*r))) == NULL)
			fatal(NULL);
		memcpy(r->key, cr->pubkey, sizeof(r->key));
		RB_INSERT(rec_tree, &co.recs, r);
		co.nrecs++;
	}
	/*
	 * The same record again while its directory is still being sent:
	 * the member re-sends REGISTER until DIR_END (every 5 s), and
	 * starting over each time means a directory that takes longer than
	 * that to send never ends.
	 */
	again = l->dumping && r->admitted && !cr->changed &&
	    l->reg->seq == r->b.seq;
	news = !r->admitted || cr->changed || l->reg->seq > r->b.seq ||
	    l->reg->ncand != r->b.ncand || memcmp(l->reg->cand, r->b.cand,
	    sizeof(r->b.cand)) != 0 ||
	    !same_ann(l->reg->ann_all, l->reg->nann, l->reg->ann, &r->b) ||
	    l->reg->flags != r->b.flags;
	if (l->reg->seq >= r->b.seq || cr->changed)
		body_move(&r->b, &l->reg);
	else {
		body_free(l->reg);
		l->reg = NULL;
	}
	r->id = cr->id;
	r->admitted = 1;
	rec_obfs(r, np);
	l->subscribed = 1;
	memcpy(l->key, cr->pubkey, sizeof(l->key));
	log_debug("mesh: %s registered", np->name);
	dump_start(l, again);
	if (news)
		push_rec(r);
}

/* --- for punch.c ----------------------------------------------------- */

void
coord_send_msg(uint32_t id, const struct coord_msg *m)
{
	send_msg(id, m);
}

void
coord_count_bad(const struct net_peer *np, const char *what)
{
	coord_bad(MESH_CTR_COORD_UNEXPECTED, np, what);
}

const struct coord_cand *
coord_member_cands(const uint8_t key[32], uint32_t *id, size_t *ncand)
{
	struct coord_rec	*r;

	if ((r = rec_find(key)) == NULL || !r->admitted)
		return NULL;
	*id = r->id;
	*ncand = r->b.ncand;
	return r->b.cand;
}

/*
 * The same by the member's peer id: a walk of the directory, done once
 * for a member we start to talk to (punch.c keeps what it found).
 */
const struct coord_cand *
coord_member_by_id(uint32_t id, uint8_t key[32], size_t *ncand)
{
	struct coord_rec	*r;

	RB_FOREACH(r, rec_tree, &co.recs) {
		if (r->id != id || !r->admitted)
			continue;
		memcpy(key, r->key, 32);
		*ncand = r->b.ncand;
		return r->b.cand;
	}
	return NULL;
}

const uint8_t *
coord_own_cert(size_t *len)
{
	*len = co.self.certlen;
	return co.self.certlen > 0 ? co.self.cert : NULL;
}

int
coord_key_admitted(const uint8_t key[32])
{
	struct coord_rec	k, *r;

	memcpy(k.key, key, sizeof(k.key));
	r = RB_FIND(rec_tree, &co.recs, &k);
	return r != NULL && r->admitted;
}

const uint8_t *
coord_subscriber_key(const struct net_peer *np)
{
	if (np->link == NULL || !np->link->subscribed)
		return NULL;
	return np->link->key;
}

int
coord_serving(void)
{
	return co.on && co.serve;
}

int
coord_is_self(const uint8_t key[32])
{
	return co.self.certlen > 0 && memcmp(key, co.key, 32) == 0;
}

/* --- from crypto ---------------------------------------------------- */

void
coord_recv(struct imsg *imsg)
{
	struct net_peer		*np;
	struct coord_msg	 m;
	uint8_t			 buf[COORD_MAX];
	size_t			 len = imsg_get_len(imsg);
	const char		*why;

	if (len > sizeof(buf) || imsg_get_buf(imsg, buf, len) == -1)
		fatalx("COORD_RECV: bad message");
	np = net_peer_find(imsg_get_id(imsg));
	if (!co.on || np == NULL) {
		net_stats()->mesh[MESH_CTR_COORD_UNEXPECTED]++;
		return;
	}
	if (coord_decode(buf, len, &m, &why) == -1) {
		coord_bad(MESH_CTR_COORD_MALFORMED, np, why);
		return;
	}
	switch (m.type) {
	case COORD_REGISTER:
		got_register(np, &m);
		break;
	case COORD_PING:
		got_ping(np, &m);
		break;
	case COORD_ENTRY:
		got_entry(np, &m);
		break;
	case COORD_DIR_END:
		got_dir_end(np, &m);
		break;
	case COORD_CRL_PART:
		got_crl_part(np, &m);
		break;
	case COORD_PONG:
		got_pong(np, &m);
		break;
	case COORD_CONNECT:
		if (!co.serve) {
			coord_bad(MESH_CTR_COORD_UNEXPECTED, np, "CONNECT, "
			    "but we are no coordinator");
			break;
		}
		punch_connect(np, &m);
		break;
	case COORD_CALL_ME:
		if (!np->coordinator) {
			coord_bad(MESH_CTR_COORD_UNEXPECTED, np, "CALL_ME from "
			    "a peer that is not our coordinator");
			break;
		}
		punch_call_me(np, &m);
		break;
	case COORD_KA_ASK:
		ka_ask(np, &m);
		break;
	case COORD_KA_PROBE:
		ka_probe(np, &m);
		break;
	default:
		coord_bad(MESH_CTR_COORD_UNEXPECTED, np, "an unknown type");
	}
}

void
coord_cert_result(struct imsg *imsg)
{
	struct mesh_cert_result	 cr;
	struct net_peer		*np;
	struct coord_rec	*r;
	uint64_t		 check;
	int			 moved;

	if (imsg_get_data(imsg, &cr, sizeof(cr)) == -1 || cr.own > 1 ||
	    co.checks_done == co.checks_sent)
		fatalx("CERT_RESULT: bad message");
	check = ++co.checks_done;
	np = net_peer_find(cr.via);
	if (cr.own) {
		/* not the verdict on the REGISTER we hold: a newer came */
		if (np == NULL || np->link == NULL ||
		    np->link->reg_check != check)
			return;
		if (cr.id != 0 && cr.id == cr.via)
			registered(np, &cr);
		else {
			body_free(np->link->reg);
			np->link->reg = NULL;
		}
		return;
	}
	if ((r = rec_find(cr.pubkey)) == NULL || r->pend == NULL ||
	    r->pend_check != check)
		return;
	if (cr.id == 0) {
		body_free(r->pend);
		r->pend = NULL;
		if (!r->admitted)
			rec_free(r);
		return;
	}
	moved = r->admitted && r->pend->seq > r->b.seq;
	body_move(&r->b, &r->pend);
	r->id = cr.id;
	r->admitted = 1;
	rec_apply(r, moved || cr.changed);
}

void
coord_member(struct imsg *imsg)
{
	struct mesh_member_msg	 mm;
	struct net_peer		*np;
	struct coord_rec	*r;

	if (imsg_get_data(imsg, &mm, sizeof(mm)) == -1 || mm.id == 0)
		fatalx("MEMBER: bad message");
	mm.name[sizeof(mm.name) - 1] = '\0';
	if ((np = net_peer_dyn(mm.id)) == NULL)
		return;		/* a coordinator a reload removed */
	if (mm.id < MESH_DYN_ID_MIN)
		return;
	(void)strlcpy(np->name, mm.name, sizeof(np->name));
	/*
	 * A coordinator the config dropped stays a member under a new id
	 * (crypto says so before the old id goes): its record follows.
	 */
	if ((r = rec_find(mm.pubkey)) != NULL && r->admitted &&
	    r->id != mm.id) {
		r->id = mm.id;
		rec_apply(r, 0);
	}
	/* a member admitted before its peer came (at a coordinator) */
	if (r != NULL && r->admitted)
		rec_obfs(r, np);
}

void
coord_gone(struct imsg *imsg)
{
	struct mesh_gone_msg	 gm;
	struct net_peer		*np;
	struct coord_rec	*r, *next;

	if (imsg_get_data(imsg, &gm, sizeof(gm)) == -1)
		fatalx("PEER_GONE: bad message");
	relay_forget(gm.id);
	RB_FOREACH_SAFE(r, rec_tree, &co.recs, next)
		if (r->id == gm.id && r->admitted)
			rec_free(r);
	if ((np = net_peer_find(gm.id)) == NULL)
		return;
	if (gm.id >= MESH_DYN_ID_MIN)
		net_peer_forget(np);
}

/* --- the config ------------------------------------------------------ */

/* our record's flags: obfuscation, when the mesh block says on */
static uint8_t
self_flags(void)
{
	return net_obfs_mesh() ? COORD_REC_OBFS : 0;
}

static void
self_set(struct conf_snapshot *cs)
{
	struct net_peer		*np;
	struct coord_rec	*r;
	struct coord_record	 me;
	struct timespec		 ts;

	if (cs->certlen < CERT_MIN || cs->certlen > CERT_MAX) {
		free(co.self.cert);
		memset(&co.self, 0, sizeof(co.self));
		return;
	}
	if (cs->mesh.nann > COORD_MAX_ANN)
		fatalx("%s: %u announced routes", __func__, cs->mesh.nann);
	if (co.self.certlen == cs->certlen &&
	    memcmp(co.self.cert, cs->cert, cs->certlen) == 0 &&
	    same_ann(cs->mesh.ann_all, cs->mesh.nann, cs->mesh.ann,
	    &co.self) && co.self.flags == self_flags())
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	memset(&me, 0, sizeof(me));
	me.seq = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	me.cert = cs->cert;
	me.certlen = cs->certlen;
	me.ann_all = cs->mesh.ann_all;
	me.nann = cs->mesh.nann;
	memcpy(me.ann, cs->mesh.ann, me.nann * sizeof(me.ann[0]));
	me.flags = self_flags();
	body_from(&co.self, &me);
	memcpy(co.key, cs->cert + CERT_PUBKEY_OFF, sizeof(co.key));
	/* a renewed certificate: every coordinator gets it */
	for (np = net_peer_first(); np != NULL; np = net_peer_next(np)) {
		if (!np->coordinator || np->link == NULL ||
		    np->link->state == LINK_IDLE)
			continue;
		np->link->state = LINK_REGISTERING;
		np->link->sent = time(NULL);
		out_add(np->id, OUT_REGISTER, 0, NULL);
	}
	if (!co.serve)
		return;
	/* a coordinator's directory has it too */
	if ((r = rec_find(co.key)) == NULL) {
		if ((r = calloc(1, sizeof(*r))) == NULL)
			fatal(NULL);
		memcpy(r->key, co.key, sizeof(r->key));
		RB_INSERT(rec_tree, &co.recs, r);
		co.nrecs++;
	}
	body_copy(&r->b, &co.self);
	r->admitted = 1;
	push_rec(r);
	self_cands();
}

static void
crl_set(struct conf_snapshot *cs)
{
	struct net_peer	*np;
	struct mesh_crl	 l;
	const char	*why;

	if (cs->crllen == 0 || (co.crl != NULL && co.crllen == cs->crllen &&
	    memcmp(co.crl, cs->crl, cs->crllen) == 0))
		return;
	/* the parent checked it; its serial by the one reader of lists */
	if (crl_parse(cs->crl, cs->crllen, &l, &why) == -1) {
		log_warnx("mesh: the revocation list to serve: %s", why);
		return;
	}
	free(co.crl);
	if ((co.crl = malloc(cs->crllen)) == NULL)
		fatal(NULL);
	memcpy(co.crl, cs->crl, cs->crllen);
	co.crllen = cs->crllen;
	co.crl_serial = l.serial;
	/* a new list: to everyone who subscribed */
	for (np = net_peer_first(); np != NULL; np = net_peer_next(np))
		if (np->link != NULL && np->link->subscribed)
			crl_queue(np->id);
}

void
coord_reconf(struct conf_snapshot *cs)
{
	struct timeval	tv = { 1, 0 };

	co.on = cs->has_mesh;
	if (!co.on)
		return;
	co.serve = cs->mesh.serve;
	co.port = cs->iface.listen_port;
	if (co.epoch == 0)
		arc4random_buf(&co.epoch, sizeof(co.epoch));
	self_set(cs);
	if (co.serve)
		crl_set(cs);
	if (!evtimer_initialized(&co.tick))
		evtimer_set(&co.tick, tick, NULL);
	if (!evtimer_pending(&co.tick, NULL))
		evtimer_add(&co.tick, &tv);
}
