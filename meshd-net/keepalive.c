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
 * The keepalive of a path through NATs (punched or mapped), measured.
 * A NAT forgets a UDP flow some time after its last packet, and no one
 * says how long: conntrack 30 s (120 s once established), home routers
 * anything from 20 s to minutes.  A keepalive shorter than needed costs
 * battery and radio time on every idle path; a longer one loses the path.
 * So each side measures the NAT in front of it, on the path itself:
 *
 *	We ask the peer (KA_ASK, a coordination message one member may send
 *	another, coord.h) to send nothing to us for T, then one KA_PROBE,
 *	and we send nothing to it meanwhile either (our keepalive is off).
 *	The peer sends one keepalive at once (or crypto would send one 10 s
 *	after our KA_ASK's data, in the middle of the silence), then waits
 *	until it has sent nothing for T, and sends the probe (three copies:
 *	one lost would read as a NAT that forgot us), saying how long it
 *	had been silent.  The probe crosses our NAT last of all, inbound:
 *	if it comes, the NAT kept our flow through T of silence.  T counts
 *	only if both sides really were silent that long (we know when we
 *	sent last, the probe says when the peer did): data in between makes
 *	the test void, and it is tried again later.
 *	T steps up 25, 40, 60, 90, 120 s while probes come; the keepalive
 *	is 2/3 of the longest T that survived (never under 25 s unless a
 *	25 s test failed: then 15 s is tried, and the keepalive is under
 *	it).  A probe that does not come ends the steps: that T is the
 *	ceiling, the keepalive stays at the last good one, and the path is
 *	punched again at once: our keepalive resumes now, which reopens our
 *	NAT's flow (the probe opened the peer's), and a handshake confirms
 *	it or, unanswered, starts punch.c's spray and CONNECT.
 *
 * Crypto's persistent keepalive timer restarts on every packet either
 * way, so the path gets the shorter of the two sides' keepalives: each
 * side's measures its own NAT, and the path keeps to the stricter.  Two
 * tests of one path at once would spoil each other (a probe breaks the
 * other's silence): a side that is asked gives up its own test, and
 * starts its own only KA_DEFER_MS after serving one, so the side whose
 * steps run keeps going and the other follows.
 *
 * MESHD_TEST_KEEPALIVE_SCALE (tests only, meshd(8)): every duration
 * here is that many times shorter, so that a test measures a NAT whose
 * timeout is seconds in a minute (the round-trip slack is not scaled).
 */

#include <sys/types.h>
#include <sys/tree.h>

#include <event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child.h"
#include "coord.h"
#include "log.h"
#include "net.h"

#define MS			1000000ULL
#define KA_DEFAULT_MS		25000	/* under conntrack's 30 s */
#define KA_FIRST_MS		30000	/* a path settles before a test */
#define KA_STEP_MS		5000	/* between tests that passed */
#define KA_RETRY_MS		30000	/* after a void one */
#define KA_DEFER_MS		10000	/* ours, after serving the peer's */
/* not scaled: round trips and the daemons' own work */
#define KA_SERVE_SLACK_MS	2000	/* the probe goes by T + this */
#define KA_WAIT_SLACK_MS	4000	/* we wait for it this much more */
#define KA_REPUNCH_MS		5000	/* a failed test's punch settles */
#define KA_ASKS			2	/* copies of a KA_ASK ... */
#define KA_PROBES		3	/* ... and of a KA_PROBE */
#define KA_SCALE_MAX		100

/* the idle times tested, in seconds; 25 first */
static const uint32_t levels[] = { 15, 25, 40, 60, 90, 120 };
#define NLEVELS		(sizeof(levels) / sizeof(levels[0]))

struct ka {
	struct net_peer	*np;
	int		 on;		/* the path wants a keepalive */
	int		 done;		/* no level left to test */
	uint16_t	 crypto;	/* seconds crypto has now */
	uint32_t	 ok_ms;		/* the longest idle time survived */
	uint32_t	 bad_ms;	/* the shortest that was not */
	/* our test running (test_ms 0: none) */
	uint32_t	 test_ms;
	uint64_t	 nonce;
	uint64_t	 ask_ns;
	uint64_t	 next_ns;	/* our next test, not before */
	/* the peer's test we serve (serve_ms 0: none) */
	uint32_t	 serve_ms;
	uint64_t	 serve_nonce;
	uint64_t	 serve_ns;
	struct event	 ev;
};

static uint32_t	scale = 1;

static void	ka_timer(int, short, void *);

void
ka_init(void)
{
	const char	*s;
	long		 v;
	char		*end;

	if ((s = getenv("MESHD_TEST_KEEPALIVE_SCALE")) == NULL)
		return;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 1 || v > KA_SCALE_MAX) {
		log_warnx("MESHD_TEST_KEEPALIVE_SCALE=%s: not 1..%d, ignored",
		    s, KA_SCALE_MAX);
		return;
	}
	scale = v;
	log_info("keepalive measurement %u times faster (a test)", scale);
}

static uint32_t
scaled(uint32_t ms)
{
	return ms / scale;
}

/* the keepalive the measurements so far allow, in ms */
static uint32_t
keepalive_ms(const struct ka *ka)
{
	uint32_t	def = scaled(KA_DEFAULT_MS), k;

	if (ka->ok_ms == 0)
		return ka->bad_ms == 0 || ka->bad_ms > def ? def :
		    ka->bad_ms / 2;
	k = ka->ok_ms / 3 * 2;
	/* a 25 s test that passed says nothing about less */
	if (ka->ok_ms >= def && k < def)
		k = def;
	return k;
}

static uint16_t
keepalive_secs(const struct ka *ka)
{
	uint32_t	k = keepalive_ms(ka) / 1000;

	return k == 0 ? 1 : k;
}

uint16_t
ka_secs(const struct net_peer *np)
{
	if (np->ka == NULL || !np->ka->on)
		return 0;
	return keepalive_secs(np->ka);
}

static void
crypto_set(struct ka *ka, uint16_t secs)
{
	ka->crypto = secs;
	child_compose(PROC_CRYPTO, IMSG_PEER_KEEPALIVE, ka->np->id, -1, &secs,
	    sizeof(secs));
}

/* crypto's keepalive: none while a test runs either way */
static void
apply(struct ka *ka)
{
	uint16_t	want = 0;

	if (ka->on && ka->test_ms == 0 && ka->serve_ms == 0)
		want = keepalive_secs(ka);
	if (want != ka->crypto)
		crypto_set(ka, want);
}

/*
 * One keepalive now, and none after: crypto sends one when its
 * keepalive goes from off to on, and that send cancels the one it owes
 * the peer 10 s after the peer's data (the KA_ASK).
 */
static void
keepalive_once(struct ka *ka)
{
	if (ka->crypto != 0)
		crypto_set(ka, 0);
	crypto_set(ka, 1);
	crypto_set(ka, 0);
}

static struct ka *
ka_get(struct net_peer *np)
{
	struct ka	*ka;

	if (np->ka != NULL)
		return np->ka;
	if ((ka = calloc(1, sizeof(*ka))) == NULL)
		fatal(NULL);
	ka->np = np;
	evtimer_set(&ka->ev, ka_timer, ka);
	np->ka = ka;
	np->tx_ns = 0;
	return ka;
}

void
ka_peer_free(struct net_peer *np)
{
	if (np->ka == NULL)
		return;
	evtimer_del(&np->ka->ev);
	free(np->ka);
	np->ka = NULL;
}

/* the next idle time to test, 0 if none is left */
static uint32_t
next_level(const struct ka *ka)
{
	uint32_t	l;
	size_t		i;

	if (ka->ok_ms == 0 && ka->bad_ms == 0)
		return scaled(KA_DEFAULT_MS);
	if (ka->ok_ms == 0) {
		/* even 25 s failed: the longest under what failed */
		for (i = NLEVELS; i-- > 0; )
			if ((l = scaled(levels[i] * 1000)) < ka->bad_ms)
				return l;
		return 0;
	}
	for (i = 0; i < NLEVELS; i++) {
		l = scaled(levels[i] * 1000);
		if (l > ka->ok_ms && (ka->bad_ms == 0 || l < ka->bad_ms))
			return l;
	}
	return 0;
}

static void
send_ka(struct ka *ka, enum coord_type type, uint64_t nonce, uint32_t ms,
    int copies)
{
	struct coord_msg	m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.nonce = nonce;
	m.ms = ms;
	while (copies-- > 0)
		coord_send_msg(ka->np->id, &m);
}

static void
arm(struct ka *ka, uint64_t now)
{
	uint64_t	due = UINT64_MAX, t;
	struct timeval	tv;

	if (ka->serve_ms != 0) {
		t = (ka->np->tx_ns > ka->serve_ns ? ka->np->tx_ns :
		    ka->serve_ns) + ka->serve_ms * MS;
		if (t > ka->serve_ns + (ka->serve_ms + KA_SERVE_SLACK_MS) * MS)
			t = ka->serve_ns + (ka->serve_ms + KA_SERVE_SLACK_MS) *
			    MS;
		due = t;
	}
	if (ka->test_ms != 0 && (t = ka->ask_ns + (ka->test_ms +
	    KA_WAIT_SLACK_MS) * MS) < due)
		due = t;
	if (ka->test_ms == 0 && ka->serve_ms == 0 && ka->on && !ka->done &&
	    ka->next_ns < due)
		due = ka->next_ns;
	evtimer_del(&ka->ev);
	if (due == UINT64_MAX)
		return;
	t = due > now ? due - now : 0;
	tv.tv_sec = t / (1000 * MS);
	tv.tv_usec = (t % (1000 * MS)) / 1000;
	evtimer_add(&ka->ev, &tv);
}

static void
test_start(struct ka *ka, uint64_t now)
{
	uint32_t	l;

	if ((l = next_level(ka)) == 0) {
		ka->done = 1;
		log_info("peer %s: keepalive every %u s: the path survived "
		    "%u s idle%s", ka->np->name, keepalive_secs(ka),
		    ka->ok_ms / 1000, ka->bad_ms != 0 ? ", not longer" : "");
		return;
	}
	arc4random_buf(&ka->nonce, sizeof(ka->nonce));
	ka->test_ms = l;
	ka->ask_ns = now;
	apply(ka);
	send_ka(ka, COORD_KA_ASK, ka->nonce, l, KA_ASKS);
	log_debug("peer %s: is the path still open after %u ms idle?",
	    ka->np->name, l);
}

/* the peer's probe did not come: our NAT forgot the flow */
static void
test_failed(struct ka *ka, uint64_t now)
{
	if (ka->bad_ms == 0 || ka->test_ms < ka->bad_ms)
		ka->bad_ms = ka->test_ms;
	log_info("peer %s: the path did not survive %u s idle; keepalive "
	    "every %u s", ka->np->name,
	    ka->test_ms / 1000, keepalive_secs(ka));
	ka->test_ms = 0;
	ka->next_ns = now + scaled(KA_STEP_MS) * MS;
	apply(ka);
	punch_again(ka->np);
}

/* the peer's side: its silence is over, the probe goes */
static void
serve_end(struct ka *ka, uint64_t now)
{
	uint64_t	last = ka->np->tx_ns > ka->serve_ns ? ka->np->tx_ns :
	    ka->serve_ns;
	uint64_t	silent = (now - last) / MS;

	send_ka(ka, COORD_KA_PROBE, ka->serve_nonce, silent > UINT32_MAX ?
	    UINT32_MAX : silent, KA_PROBES);
	ka->serve_ms = 0;
	if (ka->next_ns < now + scaled(KA_DEFER_MS) * MS)
		ka->next_ns = now + scaled(KA_DEFER_MS) * MS;
	apply(ka);
}

static void
ka_timer(int fd, short event, void *arg)
{
	struct ka	*ka = arg;
	uint64_t	 now = mesh_monotonic_ns(), last;

	if (ka->serve_ms != 0) {
		last = ka->np->tx_ns > ka->serve_ns ? ka->np->tx_ns :
		    ka->serve_ns;
		if (now >= last + ka->serve_ms * MS || now >= ka->serve_ns +
		    (ka->serve_ms + KA_SERVE_SLACK_MS) * MS)
			serve_end(ka, now);
	}
	if (ka->test_ms != 0 && now >= ka->ask_ns + (ka->test_ms +
	    KA_WAIT_SLACK_MS) * MS)
		test_failed(ka, now);
	if (ka->test_ms == 0 && ka->serve_ms == 0 && ka->on && !ka->done &&
	    now >= ka->next_ns)
		test_start(ka, now);
	arm(ka, now);
}

void
ka_path(struct net_peer *np, int on)
{
	struct ka	*ka;
	uint64_t	 now = mesh_monotonic_ns();

	if (!on && np->ka == NULL)
		return;
	ka = ka_get(np);
	/*
	 * both sides' paths settle at once: a random part keeps their
	 * first tests apart
	 */
	if (on && !ka->on && ka->next_ns == 0)
		ka->next_ns = now + (scaled(KA_FIRST_MS) +
		    arc4random_uniform(scaled(KA_FIRST_MS) / 2 + 1)) * MS;
	ka->on = on != 0;
	if (!on)
		ka->test_ms = 0;
	apply(ka);
	arm(ka, now);
}

/* the peer asks us to be silent, then to probe */
void
ka_ask(struct net_peer *np, const struct coord_msg *m)
{
	struct ka	*ka;
	uint64_t	 now = mesh_monotonic_ns();
	uint64_t	 after;

	if (np->id < MESH_DYN_ID_MIN) {
		coord_count_bad(np, "KA_ASK from a peer that is no member");
		return;
	}
	ka = ka_get(np);
	if (ka->serve_ms != 0 && ka->serve_nonce == m->nonce)
		return;		/* a copy */
	if (ka->test_ms != 0) {
		/* both asked at once: ours is void, theirs goes on */
		log_debug("peer %s: our keepalive test crossed the peer's",
		    np->name);
		ka->test_ms = 0;
		ka->next_ns = now + (scaled(KA_DEFER_MS) +
		    arc4random_uniform(scaled(KA_RETRY_MS) + 1)) * MS;
	}
	/*
	 * no longer than we would test ourselves: a member cannot keep
	 * our side of the path silent for ten minutes at a time
	 */
	ka->serve_ms = m->ms;
	if (ka->serve_ms > scaled(levels[NLEVELS - 1] * 1000))
		ka->serve_ms = scaled(levels[NLEVELS - 1] * 1000);
	ka->serve_nonce = m->nonce;
	ka->serve_ns = now;
	/*
	 * not before the peer's test is over, and the punch a failed one
	 * starts has settled
	 */
	after = ka->serve_ms + KA_SERVE_SLACK_MS + KA_WAIT_SLACK_MS +
	    KA_REPUNCH_MS + scaled(KA_DEFER_MS);
	if (ka->next_ns < now + after * MS)
		ka->next_ns = now + after * MS;
	keepalive_once(ka);
	arm(ka, now);
}

/*
 * A CALL_ME: both sides start new handshakes, and a probe sent on the
 * session they replace may be lost; the test running says nothing
 */
void
ka_void(struct net_peer *np)
{
	struct ka	*ka = np->ka;
	uint64_t	 now = mesh_monotonic_ns();

	if (ka == NULL || ka->test_ms == 0)
		return;
	log_debug("peer %s: keepalive test void: a CALL_ME came", np->name);
	ka->test_ms = 0;
	ka->next_ns = now + (KA_REPUNCH_MS + scaled(KA_STEP_MS)) * MS;
	apply(ka);
	arm(ka, now);
}

/* the peer's probe after our silence */
void
ka_probe(struct net_peer *np, const struct coord_msg *m)
{
	struct ka	*ka = np->ka;
	uint64_t	 now = mesh_monotonic_ns(), ours;
	uint32_t	 silent;

	if (np->id < MESH_DYN_ID_MIN) {
		coord_count_bad(np, "KA_PROBE from a peer that is no member");
		return;
	}
	/* a copy, a late one, or no test of ours: nothing to learn */
	if (ka == NULL || ka->test_ms == 0 || m->nonce != ka->nonce)
		return;
	ours = (now - (np->tx_ns > ka->ask_ns ? np->tx_ns : ka->ask_ns)) / MS;
	silent = m->ms < ours ? m->ms : ours;
	if (silent >= ka->test_ms) {
		ka->ok_ms = ka->test_ms;
		log_info("peer %s: the path survived %u s idle; keepalive "
		    "every %u s", np->name, ka->ok_ms / 1000,
		    keepalive_secs(ka));
		ka->next_ns = now + scaled(KA_STEP_MS) * MS;
	} else {
		/* traffic in between: the NAT was not idle that long */
		log_debug("peer %s: keepalive test void: idle %u ms, not %u",
		    np->name, silent, ka->test_ms);
		ka->next_ns = now + scaled(KA_RETRY_MS) * MS;
	}
	ka->test_ms = 0;
	apply(ka);
	arm(ka, now);
}

void
ka_stats(const struct net_peer *np, struct mesh_peer_path *pm)
{
	const struct ka	*ka = np->ka;

	if (ka == NULL)
		return;
	pm->keepalive = ka_secs(np);
	pm->idle_ok_ms = ka->ok_ms;
	pm->idle_bad_ms = ka->bad_ms;
	pm->idle_test_ms = ka->test_ms;
}
