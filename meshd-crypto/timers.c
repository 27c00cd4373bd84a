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

#include <stdint.h>
#include <string.h>

#include "wgproto.h"
#include "timers.h"

static int
timer_due(uint64_t deadline, uint64_t now)
{
	return deadline != TIMER_OFF && deadline <= now;
}

void
timers_init(struct noise_timers *t)
{
	memset(t, 0, sizeof(*t));
	t->retransmit = t->keepalive = t->new_handshake = TIMER_OFF;
	t->zero_keys = t->persistent = t->initiate = TIMER_OFF;
}

void
timers_stop(struct noise_timers *t)
{
	uint16_t	interval = t->persistent_interval;

	timers_init(t);
	t->persistent_interval = interval;
}

/* after an authenticated data packet (not a keepalive) was sent */
void
timers_data_sent(struct noise_timers *t, uint64_t now, uint64_t jitter)
{
	if (t->new_handshake == TIMER_OFF)
		t->new_handshake = now + WG_KEEPALIVE_TIMEOUT +
		    WG_REKEY_TIMEOUT + jitter;
}

/* after an authenticated data packet (not a keepalive) was received */
void
timers_data_received(struct noise_timers *t, uint64_t now)
{
	if (t->keepalive == TIMER_OFF)
		t->keepalive = now + WG_KEEPALIVE_TIMEOUT;
	else
		t->need_another_keepalive = 1;
}

/* after any authenticated packet was sent: data, keepalive or handshake */
void
timers_any_sent(struct noise_timers *t)
{
	t->keepalive = TIMER_OFF;
}

/* after any authenticated packet was received */
void
timers_any_received(struct noise_timers *t)
{
	t->new_handshake = TIMER_OFF;
}

/* before any authenticated packet is sent, or after one was received */
void
timers_traversal(struct noise_timers *t, uint64_t now)
{
	if (t->persistent_interval > 0)
		t->persistent = now + t->persistent_interval * WG_NSEC;
}

/* after an initiation was sent */
void
timers_handshake_initiated(struct noise_timers *t, uint64_t now,
    uint64_t jitter)
{
	t->retransmit = now + WG_REKEY_TIMEOUT + jitter;
}

/* after an initiation or a response was sent: the rate limit */
void
timers_handshake_sent(struct noise_timers *t, uint64_t now)
{
	t->last_sent_handshake = now;
	t->has_sent_handshake = 1;
}

/* a response was consumed, or the first data on a new keypair arrived */
void
timers_handshake_complete(struct noise_timers *t)
{
	t->retransmit = TIMER_OFF;
	t->attempts = 0;
	t->sent_lastminute = 0;
	t->initiate = TIMER_OFF;
}

/* a new session's keys were derived (response sent or consumed) */
void
timers_session_derived(struct noise_timers *t, uint64_t now)
{
	t->zero_keys = now + WG_ZERO_KEYS_AFTER;
	t->initiate = TIMER_OFF;
}

int
timers_may_initiate(const struct noise_timers *t, uint64_t now)
{
	if (!t->has_sent_handshake || now < t->last_sent_handshake)
		return 1;
	return now - t->last_sent_handshake >= WG_REKEY_TIMEOUT;
}

void
timers_initiation_refused(struct noise_timers *t)
{
	if (t->has_sent_handshake)
		t->initiate = t->last_sent_handshake + WG_REKEY_TIMEOUT;
}

void
timers_reset_ratelimit(struct noise_timers *t)
{
	t->has_sent_handshake = 0;
	t->last_sent_handshake = 0;
	t->initiate = TIMER_OFF;
}

int
timers_set_persistent(struct noise_timers *t, uint16_t secs, uint64_t now)
{
	int	was_off = t->persistent_interval == 0;

	t->persistent_interval = secs;
	if (secs == 0) {
		t->persistent = TIMER_OFF;
		return 0;
	}
	/* as wg set: turning it on sends one at once, which arms the timer */
	return was_off;
}

uint32_t
timers_expire(struct noise_timers *t, uint64_t now)
{
	uint32_t	act = 0;

	if (timer_due(t->retransmit, now)) {
		t->retransmit = TIMER_OFF;
		if (t->attempts > WG_MAX_TIMER_HANDSHAKES) {
			/* REKEY_ATTEMPT_TIME is over: stop trying */
			t->keepalive = TIMER_OFF;
			act |= NOISE_ACT_PURGE;
			if (t->zero_keys == TIMER_OFF)
				t->zero_keys = now + WG_ZERO_KEYS_AFTER;
		} else {
			t->attempts++;
			act |= NOISE_ACT_CLEAR_SRC | NOISE_ACT_INITIATE;
		}
	}
	if (timer_due(t->keepalive, now)) {
		t->keepalive = TIMER_OFF;
		act |= NOISE_ACT_KEEPALIVE;
		if (t->need_another_keepalive) {
			t->need_another_keepalive = 0;
			t->keepalive = now + WG_KEEPALIVE_TIMEOUT;
		}
	}
	if (timer_due(t->new_handshake, now)) {
		/* we sent data and heard nothing back */
		t->new_handshake = TIMER_OFF;
		t->attempts = 0;
		act |= NOISE_ACT_CLEAR_SRC | NOISE_ACT_INITIATE;
	}
	if (timer_due(t->zero_keys, now)) {
		t->zero_keys = TIMER_OFF;
		act |= NOISE_ACT_WIPE;
	}
	if (timer_due(t->persistent, now)) {
		t->persistent = TIMER_OFF;
		if (t->persistent_interval > 0)
			act |= NOISE_ACT_KEEPALIVE;
	}
	if (timer_due(t->initiate, now)) {
		/* an initiation the rate limit held back */
		t->initiate = TIMER_OFF;
		act |= NOISE_ACT_INITIATE;
	}
	return act;
}

uint64_t
timers_next(const struct noise_timers *t)
{
	uint64_t	next = t->retransmit;

	if (t->keepalive < next)
		next = t->keepalive;
	if (t->new_handshake < next)
		next = t->new_handshake;
	if (t->zero_keys < next)
		next = t->zero_keys;
	if (t->persistent < next)
		next = t->persistent;
	if (t->initiate < next)
		next = t->initiate;
	return next;
}
