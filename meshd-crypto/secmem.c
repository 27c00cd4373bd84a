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
 * Memory for secrets: the key stage, the preshared keys and the engine's
 * structs (noise_set_allocator()).  Anonymous pages advised out of core
 * dumps (MADV_DONTDUMP) and locked in memory where RLIMIT_MEMLOCK allows.
 * The engine's objects come from a free list per object size, carved
 * from chunks of such pages.
 */

#include <sys/types.h>
#include <sys/mman.h>

#include <errno.h>
#include <string.h>

#include "crypto.h"
#include "log.h"

#define SLAB_CHUNK	(64 * 1024)

/* a free list per object size, carved from MADV_DONTDUMP chunks */
struct slab {
	size_t		 size;
	void		*free;
	uint8_t		*chunk;
	size_t		 used;
};

static struct slab	slabs[8];

void *
secret_alloc(size_t len)
{
	void	*p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		fatal("mmap");
#ifdef MADV_DONTDUMP
	if (madvise(p, len, MADV_DONTDUMP) == -1)
		fatal("madvise(MADV_DONTDUMP)");
#endif
	/* best effort: RLIMIT_MEMLOCK may be small */
	if (mlock(p, len) == -1)
		log_debug("mlock: %s", strerror(errno));
	return p;
}

/* the engine's allocator: zeroed memory on dontdump pages */
void *
slab_alloc(size_t len)
{
	struct slab	*s;
	void		*p;
	size_t		 i;

	len = (len + 63) & ~(size_t)63;
	if (len > SLAB_CHUNK)
		return secret_alloc(len);
	for (i = 0; i < sizeof(slabs) / sizeof(slabs[0]); i++)
		if (slabs[i].size == len || slabs[i].size == 0)
			break;
	if (i == sizeof(slabs) / sizeof(slabs[0]))
		fatalx("%s: too many object sizes", __func__);
	s = &slabs[i];
	s->size = len;
	if ((p = s->free) != NULL) {
		s->free = *(void **)p;
		memset(p, 0, sizeof(void *));
		return p;
	}
	if (s->chunk == NULL || s->used + len > SLAB_CHUNK) {
		s->chunk = secret_alloc(SLAB_CHUNK);
		s->used = 0;
	}
	p = s->chunk + s->used;
	s->used += len;
	return p;
}

void
slab_release(void *p, size_t len)
{
	size_t	i;

	len = (len + 63) & ~(size_t)63;
	if (len > SLAB_CHUNK) {
		explicit_bzero(p, len);
		munmap(p, len);
		return;
	}
	for (i = 0; i < sizeof(slabs) / sizeof(slabs[0]); i++)
		if (slabs[i].size == len)
			break;
	if (i == sizeof(slabs) / sizeof(slabs[0]))
		fatalx("%s: unknown size", __func__);
	explicit_bzero(p, len);		/* the engine wiped it; to be sure */
	*(void **)p = slabs[i].free;
	slabs[i].free = p;
}
