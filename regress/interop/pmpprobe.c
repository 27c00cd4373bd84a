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
 * pmpprobe: NAT-PMP and PCP requests to a gateway with meshd's codecs
 * (common/natpmp.c, common/pcp.c), and a UDP sender and receiver to show
 * that a mapping carries packets; for regress/interop/natpmp-miniupnpd.t.
 *
 *   pmpprobe [-n tries] [-w ms] -g gateway addr
 *	NAT-PMP external address
 *   pmpprobe [-n tries] [-w ms] -g gateway map iport eport lifetime
 *	NAT-PMP UDP mapping; lifetime 0 (with eport 0) deletes it
 *   pmpprobe [-n tries] [-w ms] [-N nonce] -g gateway pcp iport eport
 *	lifetime
 *	PCP MAP for UDP from our address (as the gateway sees it: the
 *	socket's own), no suggested external address; -N gives the nonce
 *	(24 hex digits) of an earlier MAP to renew or delete it, else it is
 *	random
 *   pmpprobe recv port ms
 *	waits up to ms for one datagram on UDP port: from=IP:PORT, data=
 *   pmpprobe send ip:port text
 *	sends text in one datagram
 *
 * Requests go to the gateway's port 5351 from one socket, resent after
 * -w ms (250) doubling, -n times (4).  Answers print as key=value lines:
 * result (in words), code, epoch, and external (addr), iport, eport,
 * lifetime (map), external, lifetime, iport, eport, nonce (pcp).  A
 * datagram that does not parse, or a PCP answer to another nonce, is
 * skipped with a warning.  Exit 0 on success, 3 when the gateway
 * refused (its result printed), 1 on no answer or any other failure.
 */

#include <sys/types.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "natpmp.h"
#include "pcp.h"

struct probe {
	int		 s;
	long long	 tries;
	long long	 wait;
	struct in_addr	 local;
};

static void
usage(void)
{
	fprintf(stderr, "usage: pmpprobe [-n tries] [-w ms] [-N nonce] "
	    "-g gateway addr | map iport eport lifetime |\n"
	    "\t\tpcp iport eport lifetime\n"
	    "       pmpprobe recv port ms | send ip:port text\n");
	exit(1);
}

static long long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long
num(const char *s, long long max, const char *what)
{
	const char	*errstr;
	long long	 v;

	v = strtonum(s, 0, max, &errstr);
	if (errstr != NULL)
		errx(1, "%s %s: %s", what, s, errstr);
	return v;
}

/* one datagram within ms: its length, or -1 on time out */
static ssize_t
recv_wait(int s, uint8_t *buf, size_t len, long long deadline,
    struct sockaddr_in *from)
{
	struct pollfd	pfd;
	socklen_t	flen;
	long long	left;
	ssize_t		n;

	for (;;) {
		if ((left = deadline - now_ms()) <= 0)
			return -1;
		pfd.fd = s;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "poll");
		}
		if (!(pfd.revents & POLLIN))
			continue;
		flen = sizeof(*from);
		n = recvfrom(s, buf, len, 0, (struct sockaddr *)from, &flen);
		if (n == -1) {
			if (errno == ECONNREFUSED || errno == EINTR)
				continue;
			err(1, "recvfrom");
		}
		return n;
	}
}

static struct probe
probe_open(const char *gw, long long tries, long long wait)
{
	struct probe		p;
	struct sockaddr_in	sin, me;
	socklen_t		len = sizeof(me);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(NATPMP_PORT);
	if (inet_pton(AF_INET, gw, &sin.sin_addr) != 1)
		errx(1, "-g %s: not an IPv4 address", gw);
	if ((p.s = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		err(1, "socket");
	/* connected: answers only from the gateway's port 5351 */
	if (connect(p.s, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "connect %s", gw);
	if (getsockname(p.s, (struct sockaddr *)&me, &len) == -1)
		err(1, "getsockname");
	p.local = me.sin_addr;
	p.tries = tries;
	p.wait = wait;
	return p;
}

typedef int	(*accept_fn)(const uint8_t *, size_t, void *);

/* sends req until accept() takes an answer (1) or the tries run out */
static int
exchange(struct probe *p, const uint8_t *req, size_t reqlen, accept_fn fn,
    void *arg)
{
	struct sockaddr_in	from;
	uint8_t			buf[PCP_MAX_LEN + 4];
	long long		i, rto, deadline;
	ssize_t			n;

	rto = p->wait;
	for (i = 0; i < p->tries; i++, rto *= 2) {
		if (send(p->s, req, reqlen, 0) == -1 && errno != ECONNREFUSED)
			err(1, "send");
		deadline = now_ms() + rto;
		while ((n = recv_wait(p->s, buf, sizeof(buf), deadline,
		    &from)) != -1)
			if (fn(buf, n, arg))
				return 1;
	}
	return 0;
}

static int
take_natpmp(const uint8_t *buf, size_t len, void *arg)
{
	struct natpmp_resp	*r = arg;
	const char		*why;

	if (natpmp_parse(buf, len, r, &why) == -1) {
		warnx("skipped %zu bytes: %s", len, why);
		return 0;
	}
	return 1;
}

struct pcp_want {
	const uint8_t	*nonce;
	struct pcp_resp	 r;
};

static int
take_pcp(const uint8_t *buf, size_t len, void *arg)
{
	struct pcp_want	*w = arg;
	const char	*why;

	if (pcp_parse_response(buf, len, &w->r, &why) == -1) {
		warnx("skipped %zu bytes: %s", len, why);
		return 0;
	}
	if (w->r.natpmp)
		return 1;
	if (w->r.op != PCP_OP_MAP) {
		warnx("skipped a PCP answer to opcode %u", w->r.op);
		return 0;
	}
	if (w->r.has_map && memcmp(w->r.nonce, w->nonce, PCP_NONCE_LEN) != 0) {
		warnx("skipped a MAP answer to another nonce");
		return 0;
	}
	return 1;
}

static int
do_addr(struct probe *p)
{
	struct natpmp_resp	r;
	uint8_t			req[NATPMP_ADDR_REQ_LEN];
	char			a[INET_ADDRSTRLEN];

	natpmp_addr_request(req, sizeof(req));
	if (!exchange(p, req, sizeof(req), take_natpmp, &r))
		errx(1, "no NAT-PMP answer");
	printf("result=%s\ncode=%u\nepoch=%u\n", natpmp_result_name(r.result),
	    r.result, r.epoch);
	if (r.result != NATPMP_SUCCESS)
		return 3;
	if (r.op != NATPMP_OP_ADDRESS)
		errx(1, "answer to opcode %u", r.op);
	inet_ntop(AF_INET, r.addr, a, sizeof(a));
	printf("external=%s\n", a);
	return 0;
}

static int
do_map(struct probe *p, char **av)
{
	struct natpmp_resp	r;
	uint8_t			req[NATPMP_MAP_REQ_LEN];

	natpmp_map_request(req, sizeof(req), NATPMP_OP_MAP_UDP,
	    num(av[0], 65535, "iport"), num(av[1], 65535, "eport"),
	    num(av[2], UINT32_MAX, "lifetime"));
	if (!exchange(p, req, sizeof(req), take_natpmp, &r))
		errx(1, "no NAT-PMP answer");
	printf("result=%s\ncode=%u\nepoch=%u\n", natpmp_result_name(r.result),
	    r.result, r.epoch);
	if (r.result != NATPMP_SUCCESS)
		return 3;
	if (r.op != NATPMP_OP_MAP_UDP)
		errx(1, "answer to opcode %u", r.op);
	printf("iport=%u\neport=%u\nlifetime=%u\n", r.iport, r.eport,
	    r.lifetime);
	return 0;
}

static void
parse_nonce(const char *s, uint8_t *nonce)
{
	unsigned int	v;
	size_t		i;

	if (strlen(s) != 2 * PCP_NONCE_LEN)
		errx(1, "-N %s: want %d hex digits", s, 2 * PCP_NONCE_LEN);
	for (i = 0; i < PCP_NONCE_LEN; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			errx(1, "-N %s: not hex", s);
		nonce[i] = v;
	}
}

static int
do_pcp(struct probe *p, char **av, const char *nonce_arg)
{
	static const uint8_t	 any4[4];
	struct pcp_map_req	 q;
	struct pcp_want		 w;
	uint8_t			 req[PCP_MAP_LEN];
	char			 a[INET6_ADDRSTRLEN];
	size_t			 i;

	memset(&q, 0, sizeof(q));
	if (nonce_arg != NULL)
		parse_nonce(nonce_arg, q.nonce);
	else if (getrandom(q.nonce, sizeof(q.nonce), 0) !=
	    (ssize_t)sizeof(q.nonce))
		err(1, "getrandom");
	pcp_addr_v4map(q.client, (const uint8_t *)&p->local.s_addr);
	q.iport = num(av[0], 65535, "iport");
	q.eport = num(av[1], 65535, "eport");
	pcp_addr_v4map(q.eaddr, any4);
	q.lifetime = num(av[2], UINT32_MAX, "lifetime");
	pcp_map_request(req, sizeof(req), &q);
	w.nonce = q.nonce;
	if (!exchange(p, req, sizeof(req), take_pcp, &w))
		errx(1, "no PCP answer");
	if (w.r.natpmp) {
		printf("result=%s\n", "NAT-PMP only");
		return 3;
	}
	printf("result=%s\ncode=%u\nepoch=%u\nlifetime=%u\n",
	    pcp_result_words(w.r.result), w.r.result, w.r.epoch,
	    w.r.lifetime);
	printf("nonce=");
	for (i = 0; i < PCP_NONCE_LEN; i++)
		printf("%02x", q.nonce[i]);
	printf("\n");
	if (w.r.result != PCP_SUCCESS)
		return 3;
	if (!w.r.has_map || w.r.proto != PCP_PROTO_UDP ||
	    w.r.iport != q.iport)
		errx(1, "a MAP answer for another mapping");
	if (pcp_addr_is_v4(w.r.eaddr))
		inet_ntop(AF_INET, w.r.eaddr + 12, a, sizeof(a));
	else
		inet_ntop(AF_INET6, w.r.eaddr, a, sizeof(a));
	printf("external=%s\niport=%u\neport=%u\n", a, w.r.iport, w.r.eport);
	return 0;
}

static int
do_recv(char **av)
{
	struct sockaddr_in	sin, from;
	uint8_t			buf[1500];
	char			a[INET_ADDRSTRLEN];
	ssize_t			n;
	int			s;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(num(av[0], 65535, "port"));
	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		err(1, "socket");
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "bind port %s", av[0]);
	/* say we are ready: the sender waits for this line */
	printf("listening=%s\n", av[0]);
	fflush(stdout);
	n = recv_wait(s, buf, sizeof(buf) - 1, now_ms() +
	    num(av[1], 600000, "ms"), &from);
	if (n == -1)
		errx(1, "nothing on port %s in %s ms", av[0], av[1]);
	buf[n] = '\0';
	inet_ntop(AF_INET, &from.sin_addr, a, sizeof(a));
	printf("from=%s:%u\ndata=%s\n", a, ntohs(from.sin_port), buf);
	return 0;
}

static int
do_send(char **av)
{
	struct sockaddr_in	sin;
	char			host[INET_ADDRSTRLEN];
	const char		*colon;
	int			s;

	if ((colon = strrchr(av[0], ':')) == NULL ||
	    (size_t)(colon - av[0]) >= sizeof(host))
		errx(1, "%s: not ip:port", av[0]);
	memcpy(host, av[0], colon - av[0]);
	host[colon - av[0]] = '\0';
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(num(colon + 1, 65535, "port"));
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		errx(1, "%s: not ip:port", av[0]);
	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		err(1, "socket");
	if (sendto(s, av[1], strlen(av[1]), 0, (struct sockaddr *)&sin,
	    sizeof(sin)) == -1)
		err(1, "sendto %s", av[0]);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct probe	 p;
	const char	*gw = NULL, *nonce = NULL;
	long long	 tries = 4, wait = NATPMP_RTO_MS;
	int		 ch;

	while ((ch = getopt(argc, argv, "g:n:N:w:")) != -1) {
		switch (ch) {
		case 'g':
			gw = optarg;
			break;
		case 'n':
			tries = num(optarg, 20, "-n");
			break;
		case 'N':
			nonce = optarg;
			break;
		case 'w':
			wait = num(optarg, 60000, "-w");
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 3 && strcmp(argv[0], "recv") == 0)
		return do_recv(argv + 1);
	if (argc == 3 && strcmp(argv[0], "send") == 0)
		return do_send(argv + 1);
	if (gw == NULL || tries < 1 || wait < 1)
		usage();
	p = probe_open(gw, tries, wait);
	if (argc == 1 && strcmp(argv[0], "addr") == 0)
		return do_addr(&p);
	if (argc == 4 && strcmp(argv[0], "map") == 0)
		return do_map(&p, argv + 1);
	if (argc == 4 && strcmp(argv[0], "pcp") == 0)
		return do_pcp(&p, argv + 1, nonce);
	usage();
	return 1;
}
