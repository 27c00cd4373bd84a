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
 * What meshd-crypto's own files share (the engine has noise.h, the
 * handshake's primitives wgnoise.h).
 *
 *   crypto.c	main, the channel handlers, the per-peer service, the
 *		messages from the parent and net, the config
 *   queue.c	packets waiting for a session, per peer
 *   keystage.c	the key check: keys read into a stage, committed or
 *		thrown away; the preshared keys and public key in use
 *   secmem.c	memory for secrets: never in a core dump
 *   clock.c	the protocol's clock, and the test clock
 *   story.c	why there is no handshake: per peer, and of no peer
 *   admit.c	the mesh: admission by certificate, the revocation list,
 *		provisional peers, coordination messages to and from net
 */

#ifndef CRYPTO_H
#define CRYPTO_H

#include <sys/queue.h>
#include <sys/tree.h>

#include <event.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "meshd.h"
#include "noise.h"
#include "wgkey.h"

struct conf_snapshot;
struct qpkt;		/* queue.c */

/* the kinds of handshake failure, each logged on its own schedule */
enum hs_kind {
	HS_NOENDPOINT,		/* initiations with nowhere to go */
	HS_NORESP,		/* initiations unanswered */
	HS_COOKIE,		/* answered by a cookie reply */
	HS_BADRESP,		/* a response that did not verify */
	HS_UNCONFIRMED,		/* our responses, no data on them */
	HS_KINDS
};

/* a peer's story in words: one sentence (the global one has lines) */
#define HS_STORY_ERROR_MAX	128

/* why there is, or is no, handshake with a peer (story.c) */
struct hs_story {
	uint32_t	 attempts;	/* initiations since one completed */
	int64_t		 first;		/* unix time of the first of them */
	int64_t		 last;		/* and of the last */
	int		 done;		/* one completed */
	uint32_t	 unconfirmed;	/* responses sent, no data since */
	enum hs_kind	 kind;		/* of the error */
	char		 error[HS_STORY_ERROR_MAX];
	struct {
		int64_t	 logged;	/* unix time, 0 never */
		uint32_t quiet;		/* failures not logged since */
	}		 log[HS_KINDS];
	uint64_t	 told;		/* monotonic ns the parent was last
					   told of no response, 0 never */
};

/* where a peer came from (admit.c) */
enum peer_kind {
	PEER_STATIC,		/* a config peer: a plain WireGuard peer */
	PEER_COORDINATOR,	/* a config peer: a mesh block's coordinator */
	PEER_MEMBER,		/* admitted by its certificate */
	PEER_PROVISIONAL	/* an unknown initiator at a coordinator:
				   coordination messages only */
};
struct crypto_member;

/*
 * What a peer with an engine has besides it: its counters and the story
 * of its handshakes.  A member gets both with its engine, at its first
 * packet or handshake: a node knows thousands of members it never talks
 * to, and each of those costs only its struct crypto_peer.
 */
struct crypto_counters {
	uint64_t		 rx_bytes;	/* authenticated, on the wire */
	uint64_t		 rx_packets;	/* messages of rx_bytes */
	uint64_t		 drop_decrypt;
	uint64_t		 drop_replay;
	uint64_t		 drop_queue;
	uint64_t		 drop_source;	/* provisional: no packets yet */
	uint64_t		 drop_full;
};
struct crypto_active {
	struct crypto_counters	 st;
	struct hs_story		 hs;
	struct event		 timer;		/* the engine's */
	uint64_t		 timer_at;	/* when it fires (monotonic ns;
						   0: not armed) */
};

/* a peer as meshd-crypto knows it: the engine's, its queue and timer */
struct crypto_peer {
	RB_ENTRY(crypto_peer)	 entry;
	RB_ENTRY(crypto_peer)	 keyentry;	/* by public key */
	uint32_t		 id;
	uint8_t			 pub[WG_KEY_LEN];
	struct noise_peer	*np;		/* NULL: none yet (a member) */
	struct crypto_active	*act;		/* with np */
	STAILQ_HEAD(, qpkt)	 queue;
	size_t			 qlen;
	struct mesh_endpoint	 src;		/* last authenticated source */
	int			 src_news;	/* not yet with a data message */
	char			 name[MESH_NAME_MAX];	/* for the log */
	int			 has_endpoint;	/* configured */
	enum peer_kind		 kind;
	struct crypto_member	*member;	/* its certificate's facts */
	time_t			 deadline;	/* provisional until then */
};
RB_HEAD(crypto_peer_tree, crypto_peer);

/* crypto.c, for the other files */
struct crypto_peer *crypto_peer_find(uint32_t);
/*
 * A new peer with this id and key (no PSK, no keepalive), or NULL.
 * engine: make its Noise engine now (else crypto_peer_engine() does on
 * first use).
 */
struct crypto_peer *crypto_peer_add(uint32_t, const uint8_t [WG_KEY_LEN],
	    const char *, int);
/* the peer with this public key, or NULL */
struct crypto_peer *crypto_peer_by_key(const uint8_t [WG_KEY_LEN]);
/* cp's engine, made if it has none: 0, or -1 (no memory; logged) */
int	 crypto_peer_engine(struct crypto_peer *);
void	 crypto_peer_free(struct crypto_peer *);
/* the engine's timers and pending actions for one peer */
void	 crypto_peer_service(struct crypto_peer *);
/* in id order; the next may be taken before freeing the current */
struct crypto_peer *crypto_peer_first(void);
struct crypto_peer *crypto_peer_next(struct crypto_peer *);
struct noise_local *crypto_local(void);
struct conf_snapshot *crypto_conf(void);

/* admit.c */
struct imsg;
void	 mesh_init(void);
void	 mesh_reconf(struct conf_snapshot *);
void	 mesh_cert_check(struct imsg *);
void	 mesh_crl(struct imsg *);
struct crypto_peer *mesh_provisional(const uint8_t [WG_KEY_LEN]);
void	 mesh_coord_in(struct crypto_peer *, const uint8_t *, size_t);
struct crypto_peer *mesh_coord_out(struct imsg *, uint8_t *, size_t *);
void	 mesh_session_up(struct crypto_peer *);
void	 mesh_peer_leaving(struct crypto_peer *, struct conf_snapshot *);
struct crypto_member *mesh_key_claimed(const uint8_t [WG_KEY_LEN]);
void	 mesh_member_adopt(struct crypto_peer *, struct crypto_member *);
void	 mesh_count(enum mesh_ctr);
void	 mesh_stats(struct mesh_peer_stats *);
int	 mesh_serving(void);
int	 mesh_member_roles(struct crypto_peer *);
/* 1 if buf is a certificate of our mesh, valid now, for key pub */
int	 mesh_cert_vouches(const uint8_t *, size_t, const uint8_t [32]);

/* relaykey.c: the relay's TLS key, and proofs for relay connections */
void	 relay_key_fd(int);
void	 relay_sign_fd(int);
void	 relay_key_init(void);

/* queue.c */
/* sends one packet for a peer: 0, or a NOISE_E_* */
typedef int	(*queue_send_fn)(struct crypto_peer *, const uint8_t *, size_t,
		    uint64_t);
void	 queue_add(struct crypto_peer *, const uint8_t *, size_t);
void	 queue_flush(struct crypto_peer *, uint64_t, queue_send_fn);
void	 queue_purge(struct crypto_peer *, int);

/* keystage.c */
void	 keystage_init(void);
void	 stage_private_key(int);
void	 stage_psk(uint32_t, int);
void	 stage_reset(void);
void	 keycheck_end(void);
void	 stage_key_bytes(uint32_t, const uint8_t *);
void	 stage_keep(uint32_t);
void	 keys_uapi_get(uint32_t);
void	 keys_commit(struct noise_local *);
int	 pubkey_is_ours(const uint8_t [WG_KEY_LEN]);
const uint8_t *psk_find(uint32_t);
size_t	 psk_prune(struct conf_snapshot *);

/* secmem.c */
void	*secret_alloc(size_t);
void	*slab_alloc(size_t);
void	 slab_release(void *, size_t);

/* story.c */
void	 story_initiation(struct crypto_peer *);
void	 story_complete(struct crypto_peer *);
void	 story_answered(struct crypto_peer *);
void	 story_confirmed(struct crypto_peer *);
void	 story_fail(struct crypto_peer *, enum hs_kind, const char *);
void	 story_unknown_key(const struct mesh_endpoint *,
	    const uint8_t [WG_KEY_LEN]);
void	 story_stats(const struct crypto_peer *, struct mesh_peer_stats *);
void	 story_global(struct mesh_peer_stats *);

/* clock.c */
void	 crypto_clock_init(void);
uint64_t crypto_now(void);
uint64_t crypto_clock_real(uint64_t);

#endif /* CRYPTO_H */
