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
 * Why there is, or is no, handshake with a peer: the initiations sent
 * since one completed and the last failure in words, for meshctl show
 * peer; and the initiations of no peer (a static key we do not know:
 * often a typo in our config), the last few, for meshctl show status.
 * A failure is logged the first time at info level, then at most once a
 * minute per peer and kind, with the count of those not logged.
 * Initiations with no response to a configured endpoint are also told
 * to the parent, which looks the endpoint's host name up again: at
 * once, then at most every STORY_TELL_GAP seconds while they last.
 */

#include <sys/types.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "child.h"
#include "crypto.h"
#include "log.h"

#define STORY_LOG_GAP	60	/* seconds between two logs of a kind */
#define STORY_EVENTS	3	/* handshakes of no peer kept */
#define STORY_EVENT_LEN	128	/* an IPv6 source with its scope fits */
#define STORY_TELL_GAP	30	/* real seconds between two PEER_NORESP */

/* the handshakes of no peer, newest last */
static struct {
	int64_t		 when;
	uint32_t	 count;		/* the same again since */
	char		 msg[STORY_EVENT_LEN];
}			 events[STORY_EVENTS];
static size_t		 nevents;
static int64_t		 unknown_logged;
static uint32_t		 unknown_quiet;

/* "14:02:11 UTC" (gmtime: the sandbox reads no time zone file) */
static const char *
story_clock(int64_t when, char *buf, size_t len)
{
	struct tm	tm;
	time_t		t = when;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%H:%M:%S UTC", &tm) == 0)
		(void)strlcpy(buf, "?", len);
	return buf;
}

/* log cp's failure of this kind unless one was logged under a minute ago */
static void
story_log(struct crypto_peer *cp, enum hs_kind kind)
{
	int64_t	now = time(NULL);

	if (cp->act->hs.log[kind].logged != 0 &&
	    now - cp->act->hs.log[kind].logged < STORY_LOG_GAP) {
		cp->act->hs.log[kind].quiet++;
		return;
	}
	if (cp->act->hs.log[kind].quiet > 0)
		log_info("peer %s: %s (%u more not logged)", cp->name,
		    cp->act->hs.error, cp->act->hs.log[kind].quiet);
	else
		log_info("peer %s: %s", cp->name, cp->act->hs.error);
	cp->act->hs.log[kind].logged = now;
	cp->act->hs.log[kind].quiet = 0;
}

/* tell the parent cp's endpoint does not answer, not too often */
static void
story_tell(struct crypto_peer *cp)
{
	uint64_t	now = mesh_monotonic_ns();

	if (!cp->has_endpoint || (cp->act->hs.told != 0 &&
	    now - cp->act->hs.told < (uint64_t)STORY_TELL_GAP * 1000000000ULL))
		return;
	cp->act->hs.told = now;
	child_compose(PROC_PARENT, IMSG_PEER_NORESP, cp->id, -1, NULL, 0);
}

/* an initiation goes out: the ones before it went unanswered */
void
story_initiation(struct crypto_peer *cp)
{
	char	buf[32];
	int64_t	now = time(NULL);

	/*
	 * With no endpoint net drops it: the peer must come to us first.
	 * A peer that answered wrongly did answer: that story stays.
	 */
	if (!cp->has_endpoint && cp->src.addrlen == 0)
		story_fail(cp, HS_NOENDPOINT, "no endpoint: initiations "
		    "cannot go until the peer contacts us");
	else if (cp->act->hs.attempts > 0 && (cp->act->hs.error[0] == '\0' ||
	    cp->act->hs.kind == HS_NORESP)) {
		cp->act->hs.kind = HS_NORESP;
		(void)snprintf(cp->act->hs.error, sizeof(cp->act->hs.error),
		    "no response to %u initiation%s since %s",
		    cp->act->hs.attempts, cp->act->hs.attempts == 1 ? "" : "s",
		    story_clock(cp->act->hs.first, buf, sizeof(buf)));
		story_log(cp, HS_NORESP);
		story_tell(cp);
	}
	if (cp->act->hs.attempts == 0)
		cp->act->hs.first = now;
	cp->act->hs.attempts++;
	cp->act->hs.last = now;
}

/* a handshake completed: the story starts again */
void
story_complete(struct crypto_peer *cp)
{
	cp->act->hs.attempts = 0;
	cp->act->hs.done = 1;
	cp->act->hs.unconfirmed = 0;
	cp->act->hs.error[0] = '\0';
	memset(cp->act->hs.log, 0, sizeof(cp->act->hs.log));
	cp->act->hs.told = 0;
}

/*
 * We answered an initiation.  The session is ours once the peer's first
 * data comes on it; an initiation again before that says our response
 * did not verify there, and the initiator cannot tell us why: most often
 * the two preshared keys differ.
 */
void
story_answered(struct crypto_peer *cp)
{
	char	buf[128];
	uint32_t n;

	cp->act->hs.attempts = 0;
	cp->act->hs.done = 1;
	if ((n = cp->act->hs.unconfirmed++) == 0) {
		cp->act->hs.error[0] = '\0';
		return;
	}
	(void)snprintf(buf, sizeof(buf), "no data after %u response%s to its "
	    "initiations (wrong preshared key?)", n, n == 1 ? "" : "s");
	story_fail(cp, HS_UNCONFIRMED, buf);
}

/* data came on a session: what we answered was right */
void
story_confirmed(struct crypto_peer *cp)
{
	cp->act->hs.unconfirmed = 0;
	if (cp->act->hs.kind != HS_UNCONFIRMED)
		return;
	cp->act->hs.error[0] = '\0';
	memset(&cp->act->hs.log[HS_UNCONFIRMED], 0, sizeof(cp->act->hs.log[0]));
}

void
story_fail(struct crypto_peer *cp, enum hs_kind kind, const char *why)
{
	(void)strlcpy(cp->act->hs.error, why, sizeof(cp->act->hs.error));
	cp->act->hs.kind = kind;
	story_log(cp, kind);
}

/* an initiation from ep carried pub, the key of no peer of ours */
void
story_unknown_key(const struct mesh_endpoint *ep,
    const uint8_t pub[WG_KEY_LEN])
{
	char	addr[MESH_ENDPOINT_MAX], b64[WG_KEY_B64_LEN + 1];
	char	msg[STORY_EVENT_LEN];
	int64_t	now = time(NULL);

	wg_key_to_base64(b64, pub);
	(void)snprintf(msg, sizeof(msg), "initiation from %s with an unknown "
	    "static key (%.8s...)", mesh_sockaddr_ntop(ep->addr,
	    ep->addrlen, addr, sizeof(addr)), b64);
	if (nevents > 0 && strcmp(events[nevents - 1].msg, msg) == 0) {
		events[nevents - 1].when = now;
		events[nevents - 1].count++;
	} else {
		if (nevents == STORY_EVENTS)
			memmove(&events[0], &events[1],
			    sizeof(events[0]) * --nevents);
		events[nevents].when = now;
		events[nevents].count = 0;
		(void)strlcpy(events[nevents].msg, msg, sizeof(msg));
		nevents++;
		unknown_logged = 0;	/* a new one: logged at once */
	}
	if (unknown_logged != 0 && now - unknown_logged < STORY_LOG_GAP) {
		unknown_quiet++;
		return;
	}
	if (unknown_quiet > 0)
		log_info("%s (%u more not logged)", msg, unknown_quiet);
	else
		log_info("%s", msg);
	unknown_logged = now;
	unknown_quiet = 0;
}

/* cp's story into its counters */
void
story_stats(const struct crypto_peer *cp, struct mesh_peer_stats *st)
{
	st->hs_attempts = cp->act->hs.attempts;
	st->hs_last_attempt = cp->act->hs.last;
	if (cp->act->hs.attempts > 0)
		st->hs_state = MESH_HS_INITIATING;
	else if (cp->act->hs.done)
		st->hs_state = MESH_HS_ESTABLISHED;
	else
		st->hs_state = MESH_HS_NONE;
	(void)strlcpy(st->hs_error, cp->act->hs.error, sizeof(st->hs_error));
}

/* the handshakes of no peer, one a line, into the process's counters */
void
story_global(struct mesh_peer_stats *st)
{
	char	buf[32], line[STORY_EVENT_LEN + 64];
	size_t	i;

	st->hs_error[0] = '\0';
	for (i = 0; i < nevents; i++) {
		if (events[i].count > 0)
			(void)snprintf(line, sizeof(line), "%s: %s (%u more)\n",
			    story_clock(events[i].when, buf, sizeof(buf)),
			    events[i].msg, events[i].count);
		else
			(void)snprintf(line, sizeof(line), "%s: %s\n",
			    story_clock(events[i].when, buf, sizeof(buf)),
			    events[i].msg);
		(void)strlcat(st->hs_error, line, sizeof(st->hs_error));
	}
}
