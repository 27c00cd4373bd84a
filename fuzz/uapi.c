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
 * wg(8)'s UAPI set=1 parser (meshd-parent/uapi_parse.c) on any bytes a
 * root client could write to /var/run/wireguard/IFNAME.sock.
 *
 * Checked besides memory safety: the answer is 0 or one of the errno=
 * values wireguard-go uses, with a message on failure; on success every
 * peer's counts are within what was allocated, each allowed-ip has a
 * valid family and length with no host bits set, and an endpoint is an
 * IPv4 or IPv6 address of the length said; uapi_set_free() leaves the
 * structure all zeros (the keys wiped).
 */

#include <sys/socket.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "uapi.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_quiet();
	return 0;
}

static void
check_prefix(const struct mesh_prefix *p)
{
	size_t	i, alen;

	if (p->af != 4 && p->af != 6)
		abort();
	alen = p->af == 4 ? 4 : 16;
	if (p->plen > alen * 8)
		abort();
	for (i = 0; i < alen; i++)
		if (i * 8 >= p->plen && p->addr[i] != 0)
			abort();
	for (i = alen; i < sizeof(p->addr); i++)
		if (p->addr[i] != 0)
			abort();
}

static void
check_peer(const struct uapi_peer *p)
{
	size_t	i;

	if (p->naips > p->maxaips || (p->naips > 0 && p->aips == NULL))
		abort();
	for (i = 0; i < p->naips; i++)
		check_prefix(&p->aips[i]);
	if (p->has_endpoint && !((p->endpoint.ss_family == AF_INET &&
	    p->endpoint_len == sizeof(struct sockaddr_in)) ||
	    (p->endpoint.ss_family == AF_INET6 &&
	    p->endpoint_len == sizeof(struct sockaddr_in6))))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const struct uapi_set	zero;
	struct uapi_set			s;
	char				err[128];
	size_t				i;
	int				r;

	err[0] = '\0';
	r = uapi_parse_set((const char *)data, len, &s, err, sizeof(err));
	if (r != 0 && r != UAPI_EINVAL && r != UAPI_EPROTO &&
	    r != UAPI_EUNKNOWN)
		abort();
	if (r != 0 && err[0] == '\0')
		abort();
	if (s.npeers > s.maxpeers || (s.npeers > 0 && s.peers == NULL))
		abort();
	for (i = 0; r == 0 && i < s.npeers; i++)
		check_peer(&s.peers[i]);
	uapi_set_free(&s);
	if (memcmp(&s, &zero, sizeof(s)) != 0)
		abort();
	return 0;
}
