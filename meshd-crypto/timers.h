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
 * WireGuard's per-peer timers (whitepaper section 6; the behaviour of
 * the Linux module's timers.c and wireguard-go's timers.go) as plain
 * deadlines on a monotonic nanosecond clock: no event library, no clock
 * reads.  The engine (noise.c) reports what happened through the
 * timers_*() event functions; timers_expire() says what is due at a
 * given time and timers_next() when to ask again.
 *
 * The five timers and who arms them:
 *   retransmit	 REKEY_TIMEOUT + jitter after an initiation is sent;
 *		 stopped when a handshake completes.  Fires: retry (up to
 *		 MAX_TIMER_HANDSHAKES times), then give up: drop queued
 *		 packets and arm zero_keys if it is not.
 *   keepalive	 KEEPALIVE_TIMEOUT after data (not a keepalive) arrives,
 *		 if not armed (else remember that another is needed);
 *		 stopped by any authenticated packet we send.  Fires:
 *		 send a keepalive (so a one-way flow is still confirmed).
 *   new_handshake KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + jitter after data
 *		 is sent, if not armed; stopped by any authenticated packet
 *		 received.  Fires: the peer went quiet, start a handshake.
 *   zero_keys	 3 * REJECT_AFTER_TIME after each new session (and after
 *		 giving up).  Fires: wipe handshake and keypairs.
 *   persistent	 the persistent-keepalive interval after any
 *		 authenticated packet sent or received.  Fires: keepalive.
 *
 *   initiate	 when an initiation was refused by the limit below: the
 *		 time it is allowed again; stopped when a session is
 *		 derived or confirmed.  Fires: start a handshake.
 *
 * Besides the timers: last_sent_handshake limits initiations to one per
 * REKEY_TIMEOUT (a response counts as sent too; a new private key lifts
 * the limit), attempts counts retries, sent_lastminute makes the
 * receive-side rekey happen once.
 */

#ifndef TIMERS_H
#define TIMERS_H

#include <stdint.h>

#define TIMER_OFF		UINT64_MAX

/* what the caller must do for a peer (noise_peer_poll() returns these) */
#define NOISE_ACT_INITIATE	0x01	/* noise_create_initiation(), send it */
#define NOISE_ACT_KEEPALIVE	0x02	/* send queued packets or a keepalive */
#define NOISE_ACT_FLUSH		0x04	/* send queued packets: key ready */
#define NOISE_ACT_PURGE		0x08	/* drop queued packets: gave up */
#define NOISE_ACT_CLEAR_SRC	0x10	/* forget the endpoint's source addr */
#define NOISE_ACT_WIPED		0x20	/* all keys of the peer were erased */
#define NOISE_ACT_WIPE		0x40	/* internal: timers want a wipe */

struct noise_timers {
	uint64_t	retransmit;
	uint64_t	keepalive;
	uint64_t	new_handshake;
	uint64_t	zero_keys;
	uint64_t	persistent;
	uint64_t	initiate;
	uint64_t	last_sent_handshake;
	uint32_t	attempts;
	uint16_t	persistent_interval;	/* seconds, 0 off */
	uint8_t		need_another_keepalive;
	uint8_t		sent_lastminute;
	uint8_t		has_sent_handshake;
};

void	 timers_init(struct noise_timers *);
/* the engine's events; jitter is a random value below REKEY_TIMEOUT_JITTER */
void	 timers_data_sent(struct noise_timers *, uint64_t, uint64_t);
void	 timers_data_received(struct noise_timers *, uint64_t);
void	 timers_any_sent(struct noise_timers *);
void	 timers_any_received(struct noise_timers *);
void	 timers_traversal(struct noise_timers *, uint64_t);
void	 timers_handshake_initiated(struct noise_timers *, uint64_t,
	    uint64_t);
void	 timers_handshake_sent(struct noise_timers *, uint64_t);
void	 timers_handshake_complete(struct noise_timers *);
void	 timers_session_derived(struct noise_timers *, uint64_t);
/* 1 if an initiation may be sent now (one per REKEY_TIMEOUT) */
int	 timers_may_initiate(const struct noise_timers *, uint64_t);
/* an initiation was refused by that limit: arm the initiate timer */
void	 timers_initiation_refused(struct noise_timers *);
/* lift the limit (a new private key) */
void	 timers_reset_ratelimit(struct noise_timers *);
/* sets the persistent keepalive; 1 if a keepalive should go out now */
int	 timers_set_persistent(struct noise_timers *, uint16_t, uint64_t);
/* stops everything, as after a wipe, keeping the configured interval */
void	 timers_stop(struct noise_timers *);
/* the NOISE_ACT_* due at now; disarms (or rearms) what fired */
uint32_t timers_expire(struct noise_timers *, uint64_t);
/* the earliest armed deadline, TIMER_OFF if none */
uint64_t timers_next(const struct noise_timers *);

#endif /* TIMERS_H */
