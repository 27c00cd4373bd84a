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
 * Process plumbing shared by the parent and the children: an imsgbuf
 * tied to a libevent event (struct imsgev), spawning a child binary with
 * its pipe on fd 3 (the children's start-up is in child_start.c).
 */

#ifndef PROC_H
#define PROC_H

#include <sys/types.h>

#include <event.h>

#include "imsg.h"
#include "meshd.h"

struct imsgev {
	struct imsgbuf	 ibuf;
	struct event	 ev;
	short		 events;
	enum meshd_role	 peer;		/* who is on the other end */
	void		(*handler)(int, short, void *);
	void		*data;
};

/* proc.c */
int	 imsgev_init(struct imsgev *, int, enum meshd_role, int,
	    void (*)(int, short, void *), void *);
void	 imsgev_clear(struct imsgev *);
void	 imsg_event_add(struct imsgev *);
int	 imsg_compose_event(struct imsgev *, uint32_t, uint32_t, pid_t,
	    int, const void *, size_t);
/*
 * The common head of a dispatch callback: reads on EV_READ, writes on
 * EV_WRITE.  Returns -1 if the other side went away (the caller decides
 * what that means), else 0.
 */
int	 imsgev_io(struct imsgev *, short);
const char *imsg_type_name(uint32_t);
/*
 * Queues n prefixes on ibuf as messages of type (RECONF_PEER_AIPS or
 * CTL_PEER_AIPS) and peerid id, MESH_AIPS_CHUNK at most in each: none for
 * n 0.  Returns 0, or -1 (errno) with some of them queued.
 */
int	 imsg_compose_aips(struct imsgbuf *, uint32_t, uint32_t,
	    const struct mesh_prefix *, size_t);

/*
 * Parent: fork and exec path with the child end of a new socketpair on
 * fd 3 and every other fd closed.  Returns the child's pid and the
 * parent's end of the pipe in *fd.
 */
pid_t	 proc_spawn(const char *, char *const [], int *);

/* "meshd: ROLE" in ps(1) */
void	 proc_title_init(int, char *[]);
/* "meshd: net" and so on, exactly, in ps */
void	 proc_settitle(enum meshd_role);

#endif /* PROC_H */
