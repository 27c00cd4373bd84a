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
 * Packet channels, see pktchan.h: the parent's side, which makes the
 * sealed memfd and the eventfd both ends attach (pktchan.c).
 */

#include <sys/types.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "pktchan.h"

size_t
pktchan_size(uint32_t nslots, uint32_t maxpkt)
{
	uint32_t	stride;
	uint64_t	size;

	if (pktchan_geometry(nslots, maxpkt, &stride, &size) == -1)
		return 0;
	return size;
}

int
pktchan_create(uint32_t nslots, uint32_t maxpkt, int *memfdp, int *eventfdp)
{
	uint8_t		hdr[PKTCHAN_OFF_SIZE + 8];
	uint32_t	v, stride;
	uint64_t	size;
	ssize_t		w;
	int		memfd, efd, saved;

	if (pktchan_geometry(nslots, maxpkt, &stride, &size) == -1) {
		errno = EINVAL;
		return -1;
	}
	memset(hdr, 0, sizeof(hdr));
	v = PKTCHAN_MAGIC;
	memcpy(hdr + PKTCHAN_OFF_MAGIC, &v, sizeof(v));
	v = PKTCHAN_VERSION;
	memcpy(hdr + PKTCHAN_OFF_VERSION, &v, sizeof(v));
	memcpy(hdr + PKTCHAN_OFF_NSLOTS, &nslots, sizeof(nslots));
	memcpy(hdr + PKTCHAN_OFF_MAXPKT, &maxpkt, sizeof(maxpkt));
	memcpy(hdr + PKTCHAN_OFF_STRIDE, &stride, sizeof(stride));
	v = PKTCHAN_HDRSIZE;
	memcpy(hdr + PKTCHAN_OFF_HDRSIZE, &v, sizeof(v));
	memcpy(hdr + PKTCHAN_OFF_SIZE, &size, sizeof(size));

	if ((memfd = memfd_create("meshd-pktchan",
	    MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1)
		return -1;
	/* the indices and the slots start as zeros */
	if (ftruncate(memfd, size) == -1)
		goto fail;
	w = pwrite(memfd, hdr, sizeof(hdr), 0);
	if (w != (ssize_t)sizeof(hdr)) {
		if (w >= 0)
			errno = EIO;
		goto fail;
	}
	/* neither end can cut the mapping short under the other */
	if (fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_SEAL) == -1)
		goto fail;
	if ((efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		goto fail;
	*memfdp = memfd;
	*eventfdp = efd;
	return 0;
 fail:
	saved = errno;
	close(memfd);
	errno = saved;
	return -1;
}
