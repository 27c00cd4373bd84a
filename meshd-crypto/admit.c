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
 * Admission: the only way into the peer table besides the config.
 * Whoever carried a certificate (meshd-net parsed the coordination
 * message it came in), a member is admitted only here and only after its
 * certificate passed every check: the layout (cert_parse, by offsets),
 * the mesh name, the admin's signature, the validity period, the
 * revocation list, and, for a certificate a session presents as its own,
 * that its key is the session's Noise static key.  A certificate from
 * the directory names the key the session to it will use, so a first
 * handshake with that member proves the match the same way.
 *
 * What follows admission: the member's verified facts go to tun (its
 * addresses, routed exactly), the parent (routes, meshctl) and net (its
 * name); net gets the verdict on its CERT_CHECK.  Revocation and expiry
 * remove a member everywhere, its sessions with it.
 *
 * A coordinator also accepts unknown initiators provisionally: for
 * coordination messages only, at most MESH_PROV_MAX at once, each for
 * MESH_PROV_TIME unless it presents its certificate.  Under load net's
 * cookies and rate limit keep them from being made faster than that.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#ifndef __unused
#define __unused	__attribute__((__unused__))	/* RB_GENERATE_STATIC */
#endif

#include "cert.h"
#include "child.h"
#include "crypto.h"
#include "log.h"
#include "noise.h"

#define MESH_PROV_MAX		256	/* unknown initiators at once */
#define MESH_PROV_TIME		10	/* seconds to present a certificate */
#define MESH_MEMBERS_MAX	65536
#define MESH_LOG_GAP		60	/* seconds between a reason's logs */

/*
 * A member's verified certificate, as crypto keeps it: its bytes at their
 * length (parsed again when its facts are wanted, which is rare: they go
 * to the other processes once) and what is looked at often.
 */
struct crypto_member {
	int64_t			 not_before;
	int64_t			 not_after;
	uint8_t			 fp[CERT_FP_LEN];
	/* the routes its record announced: all the certificate's, or */
	int			 ann_all;
	size_t			 nann;
	struct mesh_prefix	 ann[MESH_CERT_ROUTES];
	size_t			 len;
	uint8_t			 cert[];
};

/* an address a member holds: no two members hold one */
struct addr_owner {
	RB_ENTRY(addr_owner)	 entry;
	struct mesh_prefix	 p;
	uint32_t		 id;
};
RB_HEAD(addr_tree, addr_owner);

static int
addr_cmp(struct addr_owner *a, struct addr_owner *b)
{
	if (a->p.af != b->p.af)
		return a->p.af < b->p.af ? -1 : 1;
	return memcmp(a->p.addr, b->p.addr, sizeof(a->p.addr));
}
RB_GENERATE_STATIC(addr_tree, addr_owner, entry, addr_cmp)

static struct {
	int			 on;		/* a mesh block */
	struct mesh_conf_msg	 conf;
	struct mesh_cert	 own;		/* our certificate */
	uint8_t			*crl;		/* the list in force, or NULL */
	size_t			 crllen;
	struct mesh_crl		 l;
	struct addr_tree	 addrs;
	uint32_t		 next_id;
	size_t			 members;
	size_t			 provisional;
	struct event		 sweep;
	struct {
		time_t		 logged;
		uint64_t	 quiet;
	}			 log[MESH_CTR_MAX];
	uint64_t		 ctr[MESH_CTR_MAX];
} mesh = { .addrs = RB_INITIALIZER(&mesh.addrs) };

static const char *const ctr_words[MESH_CTR_MAX] = {
	[MESH_CTR_CERT_MALFORMED] = "malformed",
	[MESH_CTR_CERT_SIGNATURE] = "not signed by the mesh's ca",
	[MESH_CTR_CERT_EXPIRED] = "expired or not yet valid",
	[MESH_CTR_CERT_REVOKED] = "revoked",
	[MESH_CTR_CERT_WRONG_MESH] = "for another mesh",
	[MESH_CTR_CERT_WRONG_KEY] = "its key is not the session's",
	[MESH_CTR_CERT_ADDRESS] = "an address another peer holds",
	[MESH_CTR_CERT_STATIC] = "its key is ours or a static peer's",
	[MESH_CTR_CERT_LIMIT] = "too many members",
	[MESH_CTR_CRL_BAD] = "a revocation list that does not verify",
	[MESH_CTR_COORD_MALFORMED] = "a malformed coordination message",
	[MESH_CTR_COORD_UNEXPECTED] = "an unexpected coordination message",
	[MESH_CTR_PROVISIONAL_FULL] = "too many unknown initiators",
	[MESH_CTR_PROVISIONAL_TIMEOUT] = "no certificate in time",
	[MESH_CTR_REVOKED] = "revoked",
	[MESH_CTR_EXPIRED] = "expired",
};

static void	 member_remove(struct crypto_peer *, enum mesh_gone_reason);

/* counted always; logged the first time, then once a minute */
static void
mesh_refuse(enum mesh_ctr why, const char *who, const char *detail)
{
	time_t	now = time(NULL);

	mesh.ctr[why]++;
	if (mesh.log[why].logged != 0 &&
	    now - mesh.log[why].logged < MESH_LOG_GAP) {
		mesh.log[why].quiet++;
		return;
	}
	log_warnx("mesh: %s refused: %s%s%s (%llu more since the last "
	    "report)", who, ctr_words[why], detail ? ": " : "",
	    detail ? detail : "", (unsigned long long)mesh.log[why].quiet);
	mesh.log[why].logged = now;
	mesh.log[why].quiet = 0;
}

void
mesh_count(enum mesh_ctr c)
{
	mesh.ctr[c]++;
}

void
mesh_stats(struct mesh_peer_stats *st)
{
	memcpy(st->mesh, mesh.ctr, sizeof(st->mesh));
}

int
mesh_serving(void)
{
	return mesh.on && mesh.conf.serve;
}

static void
mesh_state(void)
{
	struct mesh_state_msg	sm;

	memset(&sm, 0, sizeof(sm));
	if (mesh.crl != NULL) {
		sm.crl_serial = mesh.l.serial;
		sm.crl_count = mesh.l.count;
	}
	sm.members = mesh.members;
	child_compose(PROC_PARENT, IMSG_MESH_STATE, 0, -1, &sm, sizeof(sm));
}

/* --- addresses ------------------------------------------------------ */

static uint32_t
addr_holder(const struct mesh_prefix *p)
{
	struct addr_owner	key, *o;

	memset(&key, 0, sizeof(key));
	key.p.af = p->af;
	memcpy(key.p.addr, p->addr, sizeof(key.p.addr));
	o = RB_FIND(addr_tree, &mesh.addrs, &key);
	return o != NULL ? o->id : 0;
}

static void
addrs_set(const struct mesh_cert *c, uint32_t id, int add)
{
	struct addr_owner	key, *o;
	size_t			i;

	for (i = 0; i < c->naddrs; i++) {
		memset(&key, 0, sizeof(key));
		key.p.af = c->addrs[i].af;
		memcpy(key.p.addr, c->addrs[i].addr, sizeof(key.p.addr));
		o = RB_FIND(addr_tree, &mesh.addrs, &key);
		if (!add) {
			if (o != NULL && o->id == id) {
				RB_REMOVE(addr_tree, &mesh.addrs, o);
				free(o);
			}
			continue;
		}
		if (o != NULL)
			continue;
		if ((o = calloc(1, sizeof(*o))) == NULL)
			fatal(NULL);
		o->p = key.p;
		o->id = id;
		RB_INSERT(addr_tree, &mesh.addrs, o);
	}
}

/* does prefix q hold address a (a host prefix of the same family)? */
static int
prefix_holds(const struct mesh_prefix *q, const struct mesh_prefix *a)
{
	size_t	bytes = q->plen / 8, bits = q->plen % 8;

	if (q->af != a->af)
		return 0;
	if (memcmp(q->addr, a->addr, bytes) != 0)
		return 0;
	return bits == 0 || ((q->addr[bytes] ^ a->addr[bytes]) &
	    (0xff << (8 - bits))) == 0;
}

/* an address of c that is ours, another member's or a static peer's */
static const struct mesh_prefix *
addr_conflict(const struct mesh_cert *c, uint32_t id,
    struct conf_snapshot *cs)
{
	struct conf_peer	*p;
	uint32_t		 holder;
	size_t			 i, j, k;

	for (i = 0; i < c->naddrs; i++) {
		holder = addr_holder(&c->addrs[i]);
		if (holder != 0 && holder != id)
			return &c->addrs[i];
		for (j = 0; j < mesh.own.naddrs; j++)
			if (mesh.own.addrs[j].af == c->addrs[i].af &&
			    memcmp(mesh.own.addrs[j].addr, c->addrs[i].addr,
			    16) == 0)
				return &c->addrs[i];
		if (cs == NULL)
			continue;
		/*
		 * A static peer's prefix that holds it; not a default route
		 * (a plain WireGuard exit): the member's host route is the
		 * longer match there, and every member would clash.
		 */
		TAILQ_FOREACH(p, &cs->peers, entry)
			for (k = 0; k < p->ngot; k++)
				if (p->msg.id != id && p->aips[k].plen > 0 &&
				    prefix_holds(&p->aips[k], &c->addrs[i]))
					return &c->addrs[i];
	}
	return NULL;
}

/* --- members -------------------------------------------------------- */

static struct crypto_member *
member_keep(const uint8_t *buf, size_t len, const struct mesh_cert *c,
    const uint8_t fp[CERT_FP_LEN])
{
	struct crypto_member	*m;

	if ((m = calloc(1, sizeof(*m) + len)) == NULL)
		fatal(NULL);
	m->not_before = c->not_before;
	m->not_after = c->not_after;
	memcpy(m->fp, fp, sizeof(m->fp));
	m->len = len;
	memcpy(m->cert, buf, len);
	/* until a record says otherwise, as before announce existed */
	m->ann_all = 1;
	return m;
}

/* m announces what ck says */
static void
member_ann(struct crypto_member *m, const struct mesh_cert_check *ck)
{
	m->ann_all = ck->ann_all;
	m->nann = ck->ann_all ? 0 : ck->nann;
	memset(m->ann, 0, sizeof(m->ann));
	memcpy(m->ann, ck->ann, m->nann * sizeof(m->ann[0]));
}

/* 1 if m announces what ck says */
static int
member_same_ann(const struct crypto_member *m,
    const struct mesh_cert_check *ck)
{
	if (m->ann_all || ck->ann_all)
		return m->ann_all == ck->ann_all;
	return m->nann == ck->nann &&
	    memcmp(m->ann, ck->ann, m->nann * sizeof(m->ann[0])) == 0;
}

/* 1 if p lies inside r (r's bits match, p no shorter) */
static int
prefix_inside(const struct mesh_prefix *p, const struct mesh_prefix *r)
{
	size_t	whole = r->plen / 8, bits = r->plen % 8;

	if (p->af != r->af || p->plen < r->plen)
		return 0;
	if (memcmp(p->addr, r->addr, whole) != 0)
		return 0;
	return bits == 0 || ((p->addr[whole] ^ r->addr[whole]) &
	    (0xff00 >> bits)) == 0;
}

/*
 * The first announced route of ck outside every route of c's, or NULL:
 * a member may announce only what its certificate allows.
 */
static const struct mesh_prefix *
ann_outside(const struct mesh_cert_check *ck, const struct mesh_cert *c)
{
	size_t	i, j;

	if (ck->ann_all)
		return NULL;
	for (i = 0; i < ck->nann; i++) {
		for (j = 0; j < c->nroutes; j++)
			if (prefix_inside(&ck->ann[i], &c->routes[j]))
				break;
		if (j == c->nroutes)
			return &ck->ann[i];
	}
	return NULL;
}

/* the facts of a kept certificate (it parsed when it was kept) */
static void
member_cert(const struct crypto_member *m, struct mesh_cert *c)
{
	const char	*why;

	if (cert_parse(m->cert, m->len, c, &why) == -1)
		fatalx("%s: a kept certificate: %s", __func__, why);
}

static int
member_valid(const struct crypto_member *m, time_t now)
{
	return m->not_before <= now && now < m->not_after;
}

/* its addresses taken (add) or freed for member id */
static void
member_addrs(const struct crypto_member *m, uint32_t id, int add)
{
	struct mesh_cert	c;

	member_cert(m, &c);
	addrs_set(&c, id, add);
}

/* an admitted member's CERT_ROLE_* bits; -1 if cp is no member */
int
mesh_member_roles(struct crypto_peer *cp)
{
	struct mesh_cert	c;

	if (cp->kind != PEER_MEMBER || cp->member == NULL)
		return -1;
	member_cert(cp->member, &c);
	return c.roles;
}

static void
member_msg(struct crypto_peer *cp, struct mesh_member_msg *mm)
{
	struct mesh_cert	 cert;
	const struct mesh_cert	*c = &cert;

	member_cert(cp->member, &cert);
	memset(mm, 0, sizeof(*mm));
	mm->id = cp->id;
	(void)strlcpy(mm->name, c->name, sizeof(mm->name));
	memcpy(mm->pubkey, c->pubkey, sizeof(mm->pubkey));
	mm->roles = c->roles;
	mm->not_after = c->not_after;
	mm->naddrs = c->naddrs;
	memcpy(mm->addrs, c->addrs, c->naddrs * sizeof(c->addrs[0]));
	mm->ngroups = c->ngroups;
	memcpy(mm->groups, c->groups, sizeof(mm->groups));
	/* only what the member announces is routed to it */
	if (cp->member->ann_all) {
		mm->nroutes = c->nroutes;
		memcpy(mm->routes, c->routes,
		    c->nroutes * sizeof(c->routes[0]));
	} else {
		mm->nroutes = cp->member->nann;
		memcpy(mm->routes, cp->member->ann,
		    cp->member->nann * sizeof(cp->member->ann[0]));
	}
}

/* the member's facts to everyone who keeps them */
static void
member_announce(struct crypto_peer *cp)
{
	struct mesh_member_msg	mm;

	member_msg(cp, &mm);
	child_compose(PROC_TUN, IMSG_MEMBER, cp->id, -1, &mm, sizeof(mm));
	child_compose(PROC_NET, IMSG_MEMBER, cp->id, -1, &mm, sizeof(mm));
	child_compose(PROC_PARENT, IMSG_MEMBER, cp->id, -1, &mm, sizeof(mm));
}

static void
gone_to(enum meshd_role to, uint32_t id, enum mesh_gone_reason why)
{
	struct mesh_gone_msg	gm;

	memset(&gm, 0, sizeof(gm));
	gm.id = id;
	gm.reason = why;
	child_compose(to, IMSG_PEER_GONE, id, -1, &gm, sizeof(gm));
}

static void
gone_tell(uint32_t id, enum mesh_gone_reason why, int all)
{
	gone_to(PROC_NET, id, why);
	if (!all)
		return;
	gone_to(PROC_TUN, id, why);
	gone_to(PROC_PARENT, id, why);
}

/*
 * A member leaves: its addresses, and the peer itself unless the config
 * has it (a coordinator), which only loses its certificate's facts.
 */
static void
member_remove(struct crypto_peer *cp, enum mesh_gone_reason why)
{
	if (cp->member == NULL)
		return;
	member_addrs(cp->member, cp->id, 0);
	free(cp->member);
	cp->member = NULL;
	mesh.members--;
	gone_tell(cp->id, why, 1);
	if (cp->kind == PEER_MEMBER)
		crypto_peer_free(cp);
	mesh_state();
}

static void
provisional_remove(struct crypto_peer *cp)
{
	mesh.provisional--;
	gone_tell(cp->id, GONE_PROVISIONAL, 0);
	crypto_peer_free(cp);
}

/* every member, and every provisional peer */
static void
members_drop_all(void)
{
	struct crypto_peer	*cp, *next;

	for (cp = crypto_peer_first(); cp != NULL; cp = next) {
		next = crypto_peer_next(cp);
		if (cp->kind == PEER_PROVISIONAL)
			provisional_remove(cp);
		else if (cp->member != NULL)
			member_remove(cp, GONE_REPLACED);
	}
}

static int
time_valid(const struct mesh_cert *c, time_t now)
{
	return c->not_before <= now && now < c->not_after;
}

/* the checks that need no peer: a reason, or MESH_CTR_MAX if it passes */
static enum mesh_ctr
cert_judge(const uint8_t *buf, size_t len, struct mesh_cert *c,
    uint8_t fp[CERT_FP_LEN], const char **why)
{
	*why = NULL;
	if (cert_parse(buf, len, c, why) == -1)
		return MESH_CTR_CERT_MALFORMED;
	if (strcmp(c->mesh, mesh.conf.name) != 0)
		return MESH_CTR_CERT_WRONG_MESH;
	if (cert_sig_verify(buf, len, c->bodylen, mesh.conf.ca) == -1)
		return MESH_CTR_CERT_SIGNATURE;
	if (!time_valid(c, time(NULL)))
		return MESH_CTR_CERT_EXPIRED;
	cert_fingerprint(buf, len, fp);
	if (mesh.crl != NULL && crl_contains(&mesh.l, fp))
		return MESH_CTR_CERT_REVOKED;
	return MESH_CTR_MAX;
}

int
mesh_cert_vouches(const uint8_t *buf, size_t len, const uint8_t pub[32])
{
	struct mesh_cert	 c;
	uint8_t			 fp[CERT_FP_LEN];
	const char		*why;

	if (!mesh.on || cert_judge(buf, len, &c, fp, &why) != MESH_CTR_MAX)
		return 0;
	return CRYPTO_memcmp(c.pubkey, pub, sizeof(c.pubkey)) == 0;
}

static void
result(const struct mesh_cert_check *ck, const uint8_t *pub, uint32_t id,
    uint32_t reason, int changed)
{
	struct mesh_cert_result	r;

	memset(&r, 0, sizeof(r));
	if (pub != NULL)
		memcpy(r.pubkey, pub, sizeof(r.pubkey));
	r.via = ck->via;
	r.id = id;
	r.reason = reason;
	r.own = ck->own;
	r.changed = changed;
	child_compose(PROC_NET, IMSG_CERT_RESULT, id, -1, &r, sizeof(r));
}

/*
 * Where a certificate that passed cert_judge() goes: the peer that has
 * (or will have) its key.  NULL and *why if it may not have one.
 */
static struct crypto_peer *
admit_target(const struct mesh_cert_check *ck, const struct mesh_cert *c,
    struct crypto_peer *via, enum mesh_ctr *why)
{
	struct crypto_peer	*cp;

	if (pubkey_is_ours(c->pubkey)) {
		*why = MESH_CTR_CERT_STATIC;
		return NULL;
	}
	if (ck->own && CRYPTO_memcmp(c->pubkey, via->pub,
	    WG_KEY_LEN) != 0) {
		*why = MESH_CTR_CERT_WRONG_KEY;
		return NULL;
	}
	if ((cp = crypto_peer_by_key(c->pubkey)) == NULL)
		return NULL;		/* a new member */
	if (cp->kind == PEER_STATIC) {
		*why = MESH_CTR_CERT_STATIC;
		return NULL;
	}
	return cp;
}

/*
 * The next free id for a peer the mesh brings, in mesh.next_id: never
 * at or below MESH_DYN_ID_MIN (the config's ids are below), also once
 * it wrapped
 */
static void
dyn_id_next(void)
{
	do {
		if (++mesh.next_id <= MESH_DYN_ID_MIN)
			mesh.next_id = MESH_DYN_ID_MIN + 1;
	} while (crypto_peer_find(mesh.next_id) != NULL);
}

static struct crypto_peer *
member_new(const struct mesh_cert *c)
{
	struct crypto_peer	*cp;

	dyn_id_next();
	/* its engine when there is something to send or a handshake */
	if ((cp = crypto_peer_add(mesh.next_id, c->pubkey, c->name, 0)) ==
	    NULL)
		return NULL;
	cp->kind = PEER_MEMBER;
	/* net has its candidates from the directory */
	cp->has_endpoint = 1;
	return cp;
}

/* net -> crypto: CERT_CHECK */
void
mesh_cert_check(struct imsg *imsg)
{
	struct mesh_cert_check	 ck;
	struct mesh_cert	 c;
	struct crypto_peer	*via, *cp = NULL;
	struct crypto_member	*m;
	uint8_t			 fp[CERT_FP_LEN];
	enum mesh_ctr		 why = MESH_CTR_MAX;
	const char		*detail;
	const struct mesh_prefix *clash;
	char			 who[CERT_LABEL_MAX + 32], buf[96];
	char			 pfx[64];
	int			 changed, reann;

	if (imsg_get_data(imsg, &ck, sizeof(ck)) == -1 ||
	    ck.len > sizeof(ck.cert) || ck.own > 1 || ck.ann_all > 1 ||
	    ck.nann > MESH_CERT_ROUTES)
		fatalx("CERT_CHECK: bad message");
	via = crypto_peer_find(ck.via);
	/*
	 * Only from a coordinator (the directory) or, when we serve, from
	 * anyone who has a session with us (its own); else net is wrong.
	 */
	if (!mesh.on || via == NULL || via->kind == PEER_STATIC ||
	    (!ck.own && via->kind != PEER_COORDINATOR) ||
	    (ck.own && !mesh.conf.serve)) {
		mesh.ctr[MESH_CTR_COORD_UNEXPECTED]++;
		result(&ck, NULL, 0, MESH_CTR_COORD_UNEXPECTED, 0);
		return;
	}
	(void)snprintf(who, sizeof(who), "certificate from %s", via->name);
	if ((why = cert_judge(ck.cert, ck.len, &c, fp, &detail)) ==
	    MESH_CTR_MAX) {
		(void)snprintf(who, sizeof(who), "certificate of %s", c.name);
		cp = admit_target(&ck, &c, via, &why);
	}
	if (why == MESH_CTR_CERT_STATIC && pubkey_is_ours(c.pubkey)) {
		/* the directory holds us too: nothing to admit */
		result(&ck, c.pubkey, 0, why, 0);
		return;
	}
	if (why == MESH_CTR_MAX && (clash = addr_conflict(&c,
	    cp != NULL ? cp->id : 0, crypto_conf())) != NULL) {
		why = MESH_CTR_CERT_ADDRESS;
		detail = mesh_prefix_ntop(clash, buf, sizeof(buf));
	}
	if (why == MESH_CTR_MAX && (clash = ann_outside(&ck, &c)) != NULL) {
		/* a record announcing what its certificate does not allow */
		why = MESH_CTR_COORD_MALFORMED;
		(void)snprintf(buf, sizeof(buf), "announces %s, outside its "
		    "certificate's routes", mesh_prefix_ntop(clash, pfx,
		    sizeof(pfx)));
		detail = buf;
	}
	if (why == MESH_CTR_MAX && cp == NULL && ck.own)
		cp = via;		/* provisional: becomes the member */
	if (why == MESH_CTR_MAX && cp == NULL) {
		if (mesh.members >= MESH_MEMBERS_MAX ||
		    (cp = member_new(&c)) == NULL)
			why = MESH_CTR_CERT_LIMIT;
	} else if (why == MESH_CTR_MAX && cp->kind == PEER_PROVISIONAL &&
	    mesh.members >= MESH_MEMBERS_MAX)
		why = MESH_CTR_CERT_LIMIT;
	if (why != MESH_CTR_MAX) {
		mesh_refuse(why, who, detail);
		/* net keeps it by the key's place, whatever the rest */
		result(&ck, ck.len >= CERT_PUBKEY_OFF + WG_KEY_LEN ?
		    ck.cert + CERT_PUBKEY_OFF : NULL, 0, why, 0);
		return;
	}
	/* the newest certificate of a key wins */
	changed = cp->member == NULL ||
	    c.not_before > cp->member->not_before ||
	    (c.not_before == cp->member->not_before &&
	    memcmp(fp, cp->member->fp, sizeof(fp)) != 0 &&
	    c.not_after > cp->member->not_after);
	/* the same certificate announcing other routes: those go out */
	reann = !changed && memcmp(fp, cp->member->fp, sizeof(fp)) == 0 &&
	    !member_same_ann(cp->member, &ck);
	if (reann) {
		member_ann(cp->member, &ck);
		member_announce(cp);
		log_debug("mesh: member %s announces other routes", c.name);
		changed = 1;
	} else if (changed) {
		m = member_keep(ck.cert, ck.len, &c, fp);
		member_ann(m, &ck);
		if (cp->member != NULL) {
			member_addrs(cp->member, cp->id, 0);
			free(cp->member);
		} else
			mesh.members++;
		if (cp->kind == PEER_PROVISIONAL) {
			cp->kind = PEER_MEMBER;
			mesh.provisional--;
		}
		cp->member = m;
		(void)strlcpy(cp->name, c.name, sizeof(cp->name));
		addrs_set(&c, cp->id, 1);
		member_announce(cp);
		log_debug("mesh: member %s admitted (peer %u)", c.name, cp->id);
		mesh_state();
	}
	result(&ck, c.pubkey, cp->id, 0, changed);
}

/* --- unknown initiators --------------------------------------------- */

static struct crypto_peer *
provisional_oldest(void)
{
	struct crypto_peer	*cp, *old = NULL;

	for (cp = crypto_peer_first(); cp != NULL; cp = crypto_peer_next(cp))
		if (cp->kind == PEER_PROVISIONAL && (old == NULL ||
		    cp->deadline < old->deadline))
			old = cp;
	return old;
}

/*
 * An initiation with the static key of no peer, at a coordinator: a
 * provisional peer for it, or NULL (not serving, or too many already).
 */
struct crypto_peer *
mesh_provisional(const uint8_t pub[WG_KEY_LEN])
{
	struct crypto_peer	*cp, *old;
	char			 name[MESH_NAME_MAX];

	if (!mesh_serving() || pubkey_is_ours(pub))
		return NULL;
	if (mesh.provisional >= MESH_PROV_MAX) {
		/*
		 * The oldest goes: a member registers within a round trip
		 * of its handshake, so a flood of initiations that never
		 * register cannot keep it out (cookies bound the flood).
		 */
		if ((old = provisional_oldest()) == NULL)
			return NULL;
		mesh_refuse(MESH_CTR_PROVISIONAL_FULL, "the longest waiting "
		    "unknown initiator", NULL);
		provisional_remove(old);
	}
	dyn_id_next();
	(void)snprintf(name, sizeof(name), "provisional-%u",
	    mesh.next_id - MESH_DYN_ID_MIN);
	if ((cp = crypto_peer_add(mesh.next_id, pub, name, 1)) == NULL)
		return NULL;
	cp->kind = PEER_PROVISIONAL;
	cp->deadline = time(NULL) + MESH_PROV_TIME;
	mesh.provisional++;
	return cp;
}

/* --- the revocation list ---------------------------------------------- */

/* a list's bytes from net or the config: 0 taken or not newer, -1 bad */
static int
crl_take(const uint8_t *buf, size_t len)
{
	struct mesh_crl		 l;
	struct crypto_peer	*cp, *next;
	const char		*why;
	uint8_t			*copy;

	why = NULL;
	if (crl_parse(buf, len, &l, &why) == -1 ||
	    strcmp(l.mesh, mesh.conf.name) != 0 ||
	    cert_sig_verify(buf, len, l.bodylen, mesh.conf.ca) == -1) {
		/* a list that does not parse has no mesh name to blame */
		if (why == NULL && strcmp(l.mesh, mesh.conf.name) != 0)
			why = "another mesh's";
		mesh_refuse(MESH_CTR_CRL_BAD, "revocation list", why);
		return -1;
	}
	if (mesh.crl != NULL && l.serial <= mesh.l.serial)
		return 0;
	if ((copy = malloc(len)) == NULL)
		fatal(NULL);
	memcpy(copy, buf, len);
	free(mesh.crl);
	mesh.crl = copy;
	mesh.crllen = len;
	(void)crl_parse(mesh.crl, mesh.crllen, &mesh.l, &why);
	log_info("mesh: revocation list serial %llu, %zu certificates",
	    (unsigned long long)mesh.l.serial, mesh.l.count);
	for (cp = crypto_peer_first(); cp != NULL; cp = next) {
		next = crypto_peer_next(cp);
		if (cp->member == NULL || !crl_contains(&mesh.l,
		    cp->member->fp))
			continue;
		log_info("mesh: member %s revoked", cp->name);
		mesh.ctr[MESH_CTR_REVOKED]++;
		member_remove(cp, GONE_REVOKED);
	}
	mesh_state();
	return 0;
}

/* net -> crypto: CRL */
void
mesh_crl(struct imsg *imsg)
{
	size_t		 len = imsg_get_len(imsg);
	uint8_t		*buf;

	if (len > CRL_MAX)
		fatalx("CRL: bad length");
	if (!mesh.on) {
		mesh.ctr[MESH_CTR_COORD_UNEXPECTED]++;
		return;
	}
	if ((buf = malloc(len > 0 ? len : 1)) == NULL)
		fatal(NULL);
	if (imsg_get_buf(imsg, buf, len) == -1)
		fatalx("CRL: bad message");
	(void)crl_take(buf, len);
	free(buf);
}

/* --- time ------------------------------------------------------------- */

static void
mesh_sweep(int fd, short event, void *arg)
{
	struct crypto_peer	*cp, *next;
	struct timeval		 tv = { 1, 0 };
	time_t			 now = time(NULL);

	for (cp = crypto_peer_first(); cp != NULL; cp = next) {
		next = crypto_peer_next(cp);
		/* the mesh comes through a coordinator: never give up on it */
		if (cp->kind == PEER_COORDINATOR && mesh.on &&
		    !noise_peer_can_send(cp->np, crypto_now())) {
			noise_peer_want_session(cp->np, crypto_now());
			crypto_peer_service(cp);
		}
		if (cp->kind == PEER_PROVISIONAL && now >= cp->deadline) {
			mesh_refuse(MESH_CTR_PROVISIONAL_TIMEOUT, cp->name,
			    NULL);
			provisional_remove(cp);
		} else if (cp->member != NULL &&
		    !member_valid(cp->member, now)) {
			log_info("mesh: member %s: its certificate expired",
			    cp->name);
			mesh.ctr[MESH_CTR_EXPIRED]++;
			member_remove(cp, GONE_EXPIRED);
		}
	}
	evtimer_add(&mesh.sweep, &tv);
}

/* --- the config ------------------------------------------------------- */

void
mesh_reconf(struct conf_snapshot *cs)
{
	struct timeval		 tv = { 1, 0 };
	const char		*why;
	int			 same;

	same = mesh.on && cs->has_mesh &&
	    strcmp(mesh.conf.name, cs->mesh.name) == 0 &&
	    memcmp(mesh.conf.ca, cs->mesh.ca, sizeof(mesh.conf.ca)) == 0;
	if (!same) {
		/* another mesh, or none: nobody it admitted stays */
		members_drop_all();
		free(mesh.crl);
		mesh.crl = NULL;
	}
	mesh.on = cs->has_mesh;
	if (!mesh.on) {
		memset(&mesh.conf, 0, sizeof(mesh.conf));
		return;
	}
	mesh.conf = cs->mesh;
	mesh.conf.name[sizeof(mesh.conf.name) - 1] = '\0';
	memset(&mesh.own, 0, sizeof(mesh.own));
	if (cert_parse(cs->cert, cs->certlen, &mesh.own, &why) == -1)
		log_warnx("mesh: our certificate: %s", why);
	if (cs->crllen > 0)
		(void)crl_take(cs->crl, cs->crllen);
	if (!evtimer_initialized(&mesh.sweep))
		evtimer_set(&mesh.sweep, mesh_sweep, NULL);
	if (!evtimer_pending(&mesh.sweep, NULL))
		evtimer_add(&mesh.sweep, &tv);
	mesh_state();
}

/* OpenSSL fetches Ed25519 and SHA-256 on first use: before the sandbox */
void
mesh_init(void)
{
	uint8_t	zero[CERT_SIG_LEN + 1], fp[CERT_FP_LEN];

	memset(zero, 0, sizeof(zero));
	(void)cert_sig_verify(zero, sizeof(zero), 1, zero);
	cert_fingerprint(zero, sizeof(zero), fp);
}

/* --- coordination messages -------------------------------------------- */

/* may coordination messages go to or come from cp? */
static int
coord_peer(const struct crypto_peer *cp)
{
	if (!mesh.on)
		return 0;
	switch (cp->kind) {
	case PEER_COORDINATOR:
		return 1;
	case PEER_MEMBER:
	case PEER_PROVISIONAL:
		return mesh.conf.serve;
	default:
		return 0;	/* a plain WireGuard peer: never */
	}
}

/*
 * The same for a message of this type: besides, members send each other
 * the keepalive measurement's messages (meshd-net/keepalive.c), never
 * anything else, and only once admitted.
 */
static int
coord_peer_type(const struct crypto_peer *cp, uint8_t type)
{
	if (coord_peer(cp))
		return 1;
	return mesh.on && cp->kind == PEER_MEMBER && cp->member != NULL &&
	    (type == MESH_COORD_KA_ASK || type == MESH_COORD_KA_PROBE);
}

/*
 * A decrypted payload that starts with MESH_COORD_MARK, still in the crypto
 * -> tun slot it was opened into (the caller cancels the slot): copied
 * out, its padding cut by the header's length, and handed to net.
 */
static void
coord_in_refuse(const struct crypto_peer *cp, enum mesh_ctr why,
    const char *detail)
{
	char	who[MESH_NAME_MAX + 32];

	(void)snprintf(who, sizeof(who), "a coordination message from %s",
	    cp->name);
	mesh_refuse(why, who, detail);
}

void
mesh_coord_in(struct crypto_peer *cp, const uint8_t *pt, size_t len)
{
	uint8_t	buf[MESH_COORD_MAX];
	size_t	n;

	/* counted and logged (once a minute) as net logs what it refuses */
	if (!coord_peer_type(cp, len > 1 ? pt[1] : 0)) {
		coord_in_refuse(cp, MESH_CTR_COORD_UNEXPECTED,
		    "not a coordinator or member");
		return;
	}
	if (len < MESH_COORD_HDR || len > sizeof(buf) + 15) {
		coord_in_refuse(cp, MESH_CTR_COORD_MALFORMED, "its length");
		return;
	}
	n = MESH_COORD_HDR + ((size_t)pt[2] << 8 | pt[3]);
	if (n > len || n > sizeof(buf) || len - n >= 16) {
		coord_in_refuse(cp, MESH_CTR_COORD_MALFORMED,
		    "the length in its header");
		return;
	}
	memcpy(buf, pt, n);
	child_compose(PROC_NET, IMSG_COORD_RECV, cp->id, -1, buf, n);
}

/* net -> crypto: COORD_SEND; NULL if it may not go (counted) */
struct crypto_peer *
mesh_coord_out(struct imsg *imsg, uint8_t *buf, size_t *len)
{
	struct crypto_peer	*cp;

	*len = imsg_get_len(imsg);
	if (*len < MESH_COORD_HDR || *len > MESH_COORD_MAX ||
	    imsg_get_buf(imsg, buf, *len) == -1 || buf[0] != MESH_COORD_MARK)
		fatalx("COORD_SEND: bad message");
	if ((cp = crypto_peer_find(imsg_get_id(imsg))) == NULL)
		return NULL;	/* gone meanwhile */
	if (!coord_peer_type(cp, buf[1])) {
		mesh.ctr[MESH_CTR_COORD_UNEXPECTED]++;
		log_debug("mesh: no coordination messages to peer %s",
		    cp->name);
		return NULL;
	}
	return cp;
}

/* a handshake with cp completed: net may start talking coordination */
void
mesh_session_up(struct crypto_peer *cp)
{
	if (coord_peer(cp))
		child_compose(PROC_NET, IMSG_SESSION_UP, cp->id, -1, NULL, 0);
}

/*
 * A peer of the config with key pub is about to be made: the config
 * wins over a member or provisional peer holding that key (a member
 * made a coordinator, or a static peer, by reload).  The member's
 * verified facts are handed back for mesh_member_adopt(), or NULL.
 */
struct crypto_member *
mesh_key_claimed(const uint8_t pub[WG_KEY_LEN])
{
	struct crypto_peer	*cp;
	struct crypto_member	*m;

	if ((cp = crypto_peer_by_key(pub)) == NULL)
		return NULL;
	if (cp->kind == PEER_PROVISIONAL) {
		provisional_remove(cp);
		return NULL;
	}
	if (cp->kind != PEER_MEMBER || cp->member == NULL)
		return NULL;
	m = cp->member;
	member_addrs(m, cp->id, 0);
	cp->member = NULL;
	mesh.members--;
	log_info("mesh: member %s is now a peer of the config", cp->name);
	gone_tell(cp->id, GONE_REPLACED, 1);
	crypto_peer_free(cp);
	mesh_state();
	return m;
}

/*
 * The facts mesh_key_claimed() took, for the config's peer cp that now
 * holds the key: a coordinator keeps them (as if its certificate came
 * through the directory); a static peer has only the config's.
 */
void
mesh_member_adopt(struct crypto_peer *cp, struct crypto_member *m)
{
	struct mesh_cert	c;

	if (m == NULL)
		return;
	member_cert(m, &c);
	if (cp->kind != PEER_COORDINATOR || cp->member != NULL ||
	    addr_conflict(&c, cp->id, NULL) != NULL) {
		free(m);
		return;
	}
	cp->member = m;
	mesh.members++;
	addrs_set(&c, cp->id, 1);
	member_announce(cp);
	mesh_state();
}

/*
 * cp leaves the config (a coordinator removed, or its key changed) and
 * is freed.  A certificate of it that still holds keeps it a member,
 * under a new id, as if the directory had brought it.  net hears of the
 * new id before the old one goes, so that its record (candidates) moves
 * to it; tun and the parent hear of the old one going first, so that its
 * addresses are free for the new.
 */
void
mesh_peer_leaving(struct crypto_peer *cp, struct conf_snapshot *cs)
{
	struct crypto_member	*m = cp->member;
	struct crypto_peer	*np = NULL;
	struct mesh_cert	 c;
	uint32_t		 id = cp->id;

	if (m == NULL) {
		crypto_peer_free(cp);
		return;
	}
	member_cert(m, &c);
	addrs_set(&c, id, 0);
	cp->member = NULL;
	mesh.members--;
	gone_to(PROC_TUN, id, GONE_REPLACED);
	gone_to(PROC_PARENT, id, GONE_REPLACED);
	crypto_peer_free(cp);
	if (mesh.on && member_valid(m, time(NULL)) &&
	    mesh.members < MESH_MEMBERS_MAX &&
	    addr_conflict(&c, 0, cs) == NULL &&
	    (np = member_new(&c)) != NULL) {
		np->member = m;
		mesh.members++;
		addrs_set(&c, np->id, 1);
		member_announce(np);
		log_info("mesh: %s, a coordinator no more, stays a member",
		    c.name);
	} else
		free(m);
	gone_to(PROC_NET, id, GONE_REPLACED);
	mesh_state();
}
