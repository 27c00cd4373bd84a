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

#ifndef SANDBOX_H
#define SANDBOX_H

#include "meshd.h"

/* sandbox.c */
/*
 * Enters the per-role sandbox: on Linux a seccomp allowlist whose default
 * action kills the process (after PR_SET_NO_NEW_PRIVS); on OpenBSD
 * pledge(2).  Fatal if it cannot be set up.  Call it last.
 */
void	sandbox_enter(enum meshd_role);
/* 1 if this process runs under a seccomp filter (or pledge) */
int	sandbox_active(void);

#endif /* SANDBOX_H */
