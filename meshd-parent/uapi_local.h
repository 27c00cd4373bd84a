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

/* what uapi.c, uapi_get.c and uapi_set.c share */

#ifndef UAPI_LOCAL_H
#define UAPI_LOCAL_H

#include <sys/queue.h>

#include <event.h>

#include "config.h"

/* bytes that may hold key text: wiped when used, grown or freed */
struct ubuf {
	uint8_t		*buf;
	size_t		 off, len, max;
};

struct uapi_get;

struct uapi_conn {
	TAILQ_ENTRY(uapi_conn)	 entry;
	int			 fd;
	struct event		 rev, wev;
	struct ubuf		 in, out;
	int			 busy;		/* an operation runs */
	int			 eof;		/* the client wrote its last */
	struct uapi_get		*get;		/* the get running */
	struct event		 retry;		/* its set waits for a reload */
};

int	 ubuf_add(struct ubuf *, const void *, size_t);
void	 ubuf_drop(struct ubuf *, size_t);
void	 ubuf_free(struct ubuf *);
void	 uapi_reply(struct uapi_conn *, int);
void	 uapi_conn_close(struct uapi_conn *);
extern uint32_t	 uapi_fwmark;
int	 uapi_endpoint_str(const struct sockaddr_storage *, char *, size_t);

struct member;

/* uapi_get.c */
int	 uapi_member_shown(const struct member *);
void	 uapi_get_start(struct uapi_conn *);
void	 uapi_get_abort(struct uapi_conn *);

/* uapi_set.c */
/* UAPI_PENDING: its answer comes later; else its errno= value */
#define UAPI_PENDING	1
#define UAPI_RETRY	2	/* a reload runs: try again soon */
int	 uapi_set_start(struct uapi_conn *, const char *, size_t);
void	 uapi_set_abort(struct uapi_conn *);
/* the conf a set builds shares the mesh block and filter of the one it
   comes from: these let go of them, so the other frees them */
void	 uapi_conf_disown(struct meshd_conf *);

#endif /* UAPI_LOCAL_H */
