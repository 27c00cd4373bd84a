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
 * A child receiving a configuration (common/child.c): each peer's
 * allowed-ips come after its RECONF_PEER in RECONF_PEER_AIPS chunks, and
 * the snapshot the role gets holds them all, in order.  The mesh block
 * (RECONF_MESH, then our certificate and the revocation list, of exactly
 * the lengths it gave) lands in it too.  Any count or order that does
 * not add up is fatal, in a forked process here, and so
 * is a message from a pipe whose sender has no handler for it.
 * child.c is included to reach its static dispatch.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

#include "../../common/child.c"

static struct conf_snapshot	*got;
static struct imsgbuf		 wb, rb;
static struct imsgev		 iev;

static uint32_t			 role_got;	/* the last type */

/* the role's handler for the parent's pipe, and for no other */
static void
role_dispatch_parent(struct imsg *imsg)
{
	role_got = imsg_get_type(imsg);
}

static void
role_reconf(struct conf_snapshot *cs)
{
	conf_snapshot_free(got);
	got = cs;
}

static struct child	test_child = {
	.role = PROC_TUN,
	.dispatch = { [PROC_PARENT] = role_dispatch_parent },
	.reconf = role_reconf,
};

/* one message from the parent, through a real imsg pipe, dispatched */
static void
send_msg(uint32_t type, uint32_t id, const void *data, size_t len)
{
	struct imsg	imsg;

	if (imsg_compose(&wb, type, id, 0, -1, data, len) == -1 ||
	    imsgbuf_flush(&wb) == -1 || imsgbuf_read(&rb) != 1 ||
	    imsgbuf_get(&rb, &imsg) != 1)
		abort();
	child_dispatch_imsg(iev.peer, &imsg);
	imsg_free(&imsg);
}

static void
send_peer(uint32_t id, uint32_t naips)
{
	struct mesh_peer_msg	pm;

	memset(&pm, 0, sizeof(pm));
	pm.id = id;
	(void)snprintf(pm.name, sizeof(pm.name), "peer%u", id);
	pm.naips = naips;
	send_msg(IMSG_RECONF_PEER, 0, &pm, sizeof(pm));
}

static struct mesh_prefix *
prefixes(uint32_t first, size_t n)
{
	struct mesh_prefix	*a;
	size_t			 i;

	if ((a = calloc(n ? n : 1, sizeof(*a))) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		a[i].af = 4;
		a[i].plen = 32;
		a[i].addr[0] = 10;
		a[i].addr[1] = (first + i) >> 16;
		a[i].addr[2] = (first + i) >> 8;
		a[i].addr[3] = first + i;
	}
	return a;
}

/* a chunk of n prefixes numbered from first */
static void
send_aips(uint32_t id, uint32_t first, size_t n)
{
	struct mesh_prefix	*a = prefixes(first, n);

	send_msg(IMSG_RECONF_PEER_AIPS, id, a, n * sizeof(*a));
	free(a);
}

static void
setup(void)
{
	int	sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1 ||
	    imsgbuf_init(&wb, sp[0]) == -1 || imsgbuf_init(&rb, sp[1]) == -1 ||
	    imsgbuf_set_maxsize(&wb, MESH_MAX_IMSG) == -1 ||
	    imsgbuf_set_maxsize(&rb, MESH_MAX_IMSG) == -1)
		abort();
	/* a socket buffer that holds the largest message whole */
	sp[0] = 1 << 20;
	(void)setsockopt(wb.fd, SOL_SOCKET, SO_SNDBUFFORCE, &sp[0],
	    sizeof(sp[0]));
	(void)setsockopt(rb.fd, SOL_SOCKET, SO_RCVBUFFORCE, &sp[0],
	    sizeof(sp[0]));
	memset(&iev, 0, sizeof(iev));
	iev.peer = PROC_PARENT;
	self = &test_child;
}

static void
good_sequence(void)
{
	struct conf_peer	*cp;
	struct mesh_prefix	*want;
	struct mesh_iface_msg	 im;
	uint32_t		 i;

	memset(&im, 0, sizeof(im));
	send_msg(IMSG_RECONF_START, 0, NULL, 0);
	send_msg(IMSG_RECONF_IFACE, 0, &im, sizeof(im));
	send_peer(7, 130560);
	for (i = 0; i < 130560; i += MESH_AIPS_CHUNK)
		send_aips(7, i, 130560 - i < MESH_AIPS_CHUNK ? 130560 - i :
		    MESH_AIPS_CHUNK);
	send_peer(8, 0);
	send_peer(9, 1);
	send_aips(9, 200000, 1);
	ok(got == NULL, "nothing applied before RECONF_END");
	send_msg(IMSG_RECONF_END, 0, NULL, 0);
	if (got == NULL || got->npeers != 3) {
		ok(0, "three peers arrive");
		return;
	}
	ok(1, "three peers arrive");
	cp = TAILQ_FIRST(&got->peers);
	want = prefixes(0, 130560);
	ok(cp->msg.id == 7 && cp->msg.naips == 130560 &&
	    memcmp(cp->aips, want, 130560 * sizeof(*want)) == 0,
	    "130,560 prefixes in %d chunks, whole and in order",
	    (130560 + MESH_AIPS_CHUNK - 1) / MESH_AIPS_CHUNK);
	free(want);
	cp = TAILQ_NEXT(cp, entry);
	ok(cp->msg.id == 8 && cp->msg.naips == 0 && cp->aips == NULL,
	    "a peer without allowed-ips needs no chunk");
	cp = TAILQ_NEXT(cp, entry);
	ok(cp->msg.id == 9 && cp->msg.naips == 1 && cp->aips[0].addr[1] == 3,
	    "a peer with one");
	conf_snapshot_free(got);
	got = NULL;
}

static void
send_mesh(uint32_t certlen, uint32_t crllen)
{
	struct mesh_conf_msg	mm;

	memset(&mm, 0, sizeof(mm));
	(void)strlcpy(mm.name, "corp", sizeof(mm.name));
	mm.ca[0] = 0xca;
	mm.serve = 1;
	mm.certlen = certlen;
	mm.crllen = crllen;
	send_msg(IMSG_RECONF_MESH, 0, &mm, sizeof(mm));
}

/* n bytes of value v */
static void
send_bytes(uint32_t type, size_t n, uint8_t v)
{
	uint8_t	*b;

	if ((b = malloc(n ? n : 1)) == NULL)
		abort();
	memset(b, v, n);
	send_msg(type, 0, b, n);
	free(b);
}

static void
mesh_sequence(void)
{
	struct mesh_iface_msg	 im;
	struct mesh_peer_msg	 pm;
	struct conf_peer	*cp;

	memset(&im, 0, sizeof(im));
	send_msg(IMSG_RECONF_START, 0, NULL, 0);
	send_msg(IMSG_RECONF_IFACE, 0, &im, sizeof(im));
	send_mesh(MESH_CERT_MAX, CRL_MAX);
	send_bytes(IMSG_RECONF_MESH_CERT, MESH_CERT_MAX, 0x11);
	send_bytes(IMSG_RECONF_MESH_CRL, CRL_MAX, 0x22);
	memset(&pm, 0, sizeof(pm));
	pm.id = 3;
	pm.flags = MESH_PEER_F_COORDINATOR;
	send_msg(IMSG_RECONF_PEER, 0, &pm, sizeof(pm));
	send_msg(IMSG_RECONF_END, 0, NULL, 0);
	if (got == NULL || !got->has_mesh) {
		ok(0, "the mesh block arrives");
		return;
	}
	ok(strcmp(got->mesh.name, "corp") == 0 && got->mesh.serve == 1 &&
	    got->mesh.ca[0] == 0xca, "the mesh block arrives");
	ok(got->certlen == MESH_CERT_MAX && got->cert[0] == 0x11 &&
	    got->cert[MESH_CERT_MAX - 1] == 0x11,
	    "a certificate of MESH_CERT_MAX bytes, whole");
	ok(got->crllen == CRL_MAX && got->crl[CRL_MAX - 1] == 0x22,
	    "a revocation list of CRL_MAX bytes, whole");
	cp = TAILQ_FIRST(&got->peers);
	ok(cp != NULL && cp->msg.flags == MESH_PEER_F_COORDINATOR,
	    "a coordinator is a peer with its flag");
	conf_snapshot_free(got);
	got = NULL;

	/* no list, and then no mesh at all */
	send_msg(IMSG_RECONF_START, 0, NULL, 0);
	send_msg(IMSG_RECONF_IFACE, 0, &im, sizeof(im));
	send_mesh(200, 0);
	send_bytes(IMSG_RECONF_MESH_CERT, 200, 0x11);
	send_msg(IMSG_RECONF_END, 0, NULL, 0);
	ok(got != NULL && got->has_mesh && got->certlen == 200 &&
	    got->crl == NULL && got->crllen == 0,
	    "a mesh block without a revocation list");
	conf_snapshot_free(got);
	got = NULL;
	send_msg(IMSG_RECONF_START, 0, NULL, 0);
	send_msg(IMSG_RECONF_IFACE, 0, &im, sizeof(im));
	send_msg(IMSG_RECONF_END, 0, NULL, 0);
	ok(got != NULL && !got->has_mesh && got->cert == NULL,
	    "a config without a mesh block has none");
	conf_snapshot_free(got);
	got = NULL;
}

static void
mesh_cert_short(void)
{
	send_mesh(200, 0);
	send_bytes(IMSG_RECONF_MESH_CERT, 199, 0);
}

static void
mesh_cert_big(void)
{
	send_mesh(MESH_CERT_MAX + 1, 0);
}

static void
mesh_crl_big(void)
{
	send_mesh(200, CRL_MAX + 1);
}

static void
mesh_no_cert(void)
{
	send_mesh(0, 0);
}

static void
mesh_crl_unannounced(void)
{
	send_mesh(200, 0);
	send_bytes(IMSG_RECONF_MESH_CERT, 200, 0);
	send_bytes(IMSG_RECONF_MESH_CRL, 100, 0);
}

static void
mesh_crl_first(void)
{
	send_mesh(200, 100);
	send_bytes(IMSG_RECONF_MESH_CRL, 100, 0);
}

static void
mesh_cert_twice(void)
{
	send_mesh(200, 0);
	send_bytes(IMSG_RECONF_MESH_CERT, 200, 0);
	send_bytes(IMSG_RECONF_MESH_CERT, 200, 0);
}

static void
mesh_twice(void)
{
	send_mesh(200, 0);
	send_mesh(200, 0);
}

static void
mesh_after_peer(void)
{
	send_peer(1, 0);
	send_mesh(200, 0);
}

static void
mesh_cert_alone(void)
{
	send_bytes(IMSG_RECONF_MESH_CERT, 200, 0);
}

static void
mesh_end_early(void)
{
	send_mesh(200, 100);
	send_bytes(IMSG_RECONF_MESH_CERT, 200, 0);
	send_msg(IMSG_RECONF_END, 0, NULL, 0);
}

static void
mesh_short_msg(void)
{
	struct mesh_conf_msg	mm;

	memset(&mm, 0, sizeof(mm));
	send_msg(IMSG_RECONF_MESH, 0, &mm, sizeof(mm) - 1);
}

/* fn after RECONF_START in a forked child: its exit status (fatalx: 1) */
typedef void	(*step_fn)(void);

static int
dies(step_fn fn)
{
	pid_t	pid;
	int	status, fd;

	if ((pid = fork()) == -1)
		abort();
	if (pid == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) != -1)
			dup2(fd, STDERR_FILENO);
		setup();
		send_msg(IMSG_RECONF_START, 0, NULL, 0);
		fn();
		_exit(0);
	}
	if (waitpid(pid, &status, 0) == -1)
		abort();
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void
stray_chunk(void)
{
	send_peer(1, 0);
	send_aips(1, 0, 1);
}

static void
end_early(void)
{
	send_peer(1, 5);
	send_aips(1, 0, 4);
	send_msg(IMSG_RECONF_END, 0, NULL, 0);
}

static void
peer_early(void)
{
	send_peer(1, 5);
	send_aips(1, 0, 2);
	send_peer(2, 0);
}

static void
wrong_id(void)
{
	send_peer(1, 5);
	send_aips(2, 0, 5);
}

static void
too_many(void)
{
	send_peer(1, 5);
	send_aips(1, 0, 3);
	send_aips(1, 3, 3);
}

static void
empty_chunk(void)
{
	send_peer(1, 5);
	send_aips(1, 0, 0);
}

static void
odd_length(void)
{
	struct mesh_prefix	*a = prefixes(0, 2);

	send_peer(1, 5);
	send_msg(IMSG_RECONF_PEER_AIPS, 1, a, sizeof(*a) + 3);
	free(a);
}

static void
big_chunk(void)
{
	send_peer(1, MESH_AIPS_CHUNK + 1);
	send_aips(1, 0, MESH_AIPS_CHUNK + 1);
}

static void
iface_early(void)
{
	struct mesh_iface_msg	im;

	memset(&im, 0, sizeof(im));
	send_peer(1, 5);
	send_msg(IMSG_RECONF_IFACE, 0, &im, sizeof(im));
}

static void
whole_then_end(void)
{
	send_peer(1, 5);
	send_aips(1, 0, 5);
	send_msg(IMSG_RECONF_END, 0, NULL, 0);
}

/* a sibling sends what only the parent may: no handler takes it */
static void
reconf_from_net(void)
{
	iev.peer = PROC_NET;
	send_msg(IMSG_RECONF_END, 0, NULL, 0);
}

/* the role takes nothing from crypto: not even what it takes from us */
static void
role_msg_from_crypto(void)
{
	iev.peer = PROC_CRYPTO;
	send_msg(IMSG_STATS_REQ, 1, NULL, 0);
}

static void
role_msg_from_parent(void)
{
	send_msg(IMSG_STATS_REQ, 1, NULL, 0);
	if (role_got != IMSG_STATS_REQ)
		_exit(2);
}

int
main(void)
{
	static const struct {
		step_fn		 fn;
		const char	*what;
	} bad[] = {
		{ stray_chunk, "a chunk no peer awaits" },
		{ end_early, "RECONF_END before the last chunk" },
		{ peer_early, "RECONF_PEER before the last chunk" },
		{ iface_early, "RECONF_IFACE before the last chunk" },
		{ wrong_id, "a chunk for another peer" },
		{ too_many, "more prefixes than the peer said" },
		{ empty_chunk, "an empty chunk" },
		{ odd_length, "a chunk that is not whole prefixes" },
		{ big_chunk, "a chunk over MESH_AIPS_CHUNK" },
		{ reconf_from_net, "RECONF_END from net, not the parent" },
		{ role_msg_from_crypto, "STATS_REQ from crypto: no handler" },
		{ mesh_cert_short, "a certificate shorter than announced" },
		{ mesh_cert_big, "a certificate over MESH_CERT_MAX" },
		{ mesh_crl_big, "a revocation list over CRL_MAX" },
		{ mesh_no_cert, "a mesh block without a certificate" },
		{ mesh_crl_unannounced, "a revocation list not announced" },
		{ mesh_crl_first, "the list before the certificate" },
		{ mesh_cert_twice, "the certificate twice" },
		{ mesh_twice, "RECONF_MESH twice" },
		{ mesh_after_peer, "RECONF_MESH after a peer" },
		{ mesh_cert_alone, "a certificate without RECONF_MESH" },
		{ mesh_end_early, "RECONF_END before the announced list" },
		{ mesh_short_msg, "a short RECONF_MESH" },
	};
	size_t	i;

	setup();
	good_sequence();
	mesh_sequence();
	is_int(dies(whole_then_end), 0, "a forked child takes a whole peer");
	is_int(dies(role_msg_from_parent), 0,
	    "the parent's STATS_REQ reaches the role's parent handler");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(dies(bad[i].fn), 1, "fatal: %s", bad[i].what);
	return tap_done();
}
