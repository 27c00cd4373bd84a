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
 * stunprobe: asks a STUN server for our mapped address with meshd's
 * codec (common/stun.c), for regress/interop/stun-coturn.t.
 *
 *   stunprobe [-b ip:port] [-n tries] [-w ms] ip:port
 *
 * Sends Binding requests (header and FINGERPRINT, nothing else) from one
 * UDP socket, bound to -b if given, retransmitting as RFC 8489 says: the
 * wait starts at -w ms (500) and doubles, -n requests (7), and after the
 * last one 16 times the first wait.  Datagrams that are not the answer
 * (another source, another transaction, not STUN) are counted and
 * skipped.  On an answer it prints key=value lines:
 *	local=IP:PORT		the socket's own address
 *	mapped=IP:PORT		what the server saw
 *	via=xor|plain		XOR-MAPPED-ADDRESS or MAPPED-ADDRESS
 *	fingerprint=yes|no	the answer carried a FINGERPRINT (checked)
 *	tries=N			requests sent
 *	skipped=N		datagrams skipped
 * Exit 0 with a mapped address, 2 on an error response (its code and
 * reason on stderr), 1 on no answer or any other failure.
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

#include "stun.h"

static void
usage(void)
{
	fprintf(stderr, "usage: stunprobe [-b ip:port] [-n tries] [-w ms] "
	    "ip:port\n");
	exit(1);
}

/* "a.b.c.d:port" or "[v6]:port" */
static int
parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	char			 host[INET6_ADDRSTRLEN + 2];
	const char		*colon, *errstr;
	long long		 port;
	size_t			 hl;

	if ((colon = strrchr(s, ':')) == NULL)
		return -1;
	port = strtonum(colon + 1, 1, 65535, &errstr);
	if (errstr != NULL)
		return -1;
	hl = colon - s;
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*sslen = sizeof(*sin6);
		return inet_pton(AF_INET6, host + 1, &sin6->sin6_addr) == 1 ?
		    0 : -1;
	}
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	*sslen = sizeof(*sin);
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1;
}

static const char *
fmt_sa(const struct sockaddr_storage *ss)
{
	static char	buf[INET6_ADDRSTRLEN + 8];
	char		a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 =
		    (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, sizeof(buf), "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, sizeof(buf), "%s:%u", a, ntohs(s4->sin_port));
	}
	return buf;
}

static const char *
fmt_stun(const struct stun_addr *a)
{
	static char	buf[INET6_ADDRSTRLEN + 8];
	char		s[INET6_ADDRSTRLEN];

	inet_ntop(a->af == 4 ? AF_INET : AF_INET6, a->addr, s, sizeof(s));
	snprintf(buf, sizeof(buf), a->af == 4 ? "%s:%u" : "[%s]:%u", s,
	    a->port);
	return buf;
}

static int
same_sa(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)b;

		return x->sin_port == y->sin_port &&
		    x->sin_addr.s_addr == y->sin_addr.s_addr;
	} else {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
		const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;

		return x->sin6_port == y->sin6_port &&
		    memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
	}
}

static long long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Waits until deadline for the answer to txid from server: 1 with it in
 * *m, 0 on time out.
 */
static int
wait_answer(int s, const struct sockaddr_storage *server, const uint8_t *txid,
    long long deadline, struct stun_msg *m, int *skipped)
{
	struct sockaddr_storage	 from;
	struct pollfd		 pfd;
	socklen_t		 fromlen;
	uint8_t			 buf[1500];
	const char		*why;
	long long		 left;
	ssize_t			 n;

	for (;;) {
		if ((left = deadline - now_ms()) <= 0)
			return 0;
		pfd.fd = s;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "poll");
		}
		if (!(pfd.revents & POLLIN))
			continue;
		fromlen = sizeof(from);
		n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from,
		    &fromlen);
		if (n == -1) {
			/* an ICMP error for an earlier try: keep waiting */
			if (errno == ECONNREFUSED || errno == EINTR)
				continue;
			err(1, "recvfrom");
		}
		why = "not from the server";
		if (!same_sa(&from, server) ||
		    (why = "not STUN", !stun_is_stun(buf, n)) ||
		    stun_parse_response(buf, n, m, &why) == -1 ||
		    (why = "another transaction",
		    memcmp(m->txid, txid, STUN_TXID_LEN) != 0)) {
			warnx("skipped %zd bytes from %s: %s", n, fmt_sa(&from),
			    why);
			(*skipped)++;
			continue;
		}
		return 1;
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_storage	 server, bind_sa, local;
	struct stun_msg		 m;
	socklen_t		 slen, blen, llen;
	uint8_t			 txid[STUN_TXID_LEN];
	uint8_t			 req[STUN_REQUEST_LEN];
	const char		*errstr, *bind_arg = NULL;
	long long		 tries = STUN_RC, wait = STUN_RTO_MS, rto;
	int			 ch, s, i, skipped = 0, got = 0;

	while ((ch = getopt(argc, argv, "b:n:w:")) != -1) {
		switch (ch) {
		case 'b':
			bind_arg = optarg;
			break;
		case 'n':
			tries = strtonum(optarg, 1, 20, &errstr);
			if (errstr != NULL)
				errx(1, "-n %s: %s", optarg, errstr);
			break;
		case 'w':
			wait = strtonum(optarg, 1, 60000, &errstr);
			if (errstr != NULL)
				errx(1, "-w %s: %s", optarg, errstr);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage();
	if (parse_addr(argv[0], &server, &slen) == -1)
		errx(1, "%s: not ip:port", argv[0]);
	if ((s = socket(server.ss_family, SOCK_DGRAM, 0)) == -1)
		err(1, "socket");
	if (bind_arg != NULL) {
		if (parse_addr(bind_arg, &bind_sa, &blen) == -1)
			errx(1, "-b %s: not ip:port", bind_arg);
		if (bind(s, (struct sockaddr *)&bind_sa, blen) == -1)
			err(1, "bind %s", bind_arg);
	}
	/* connect only to learn our own address; replies are checked */
	if (connect(s, (struct sockaddr *)&server, slen) == -1)
		err(1, "connect %s", argv[0]);
	llen = sizeof(local);
	if (getsockname(s, (struct sockaddr *)&local, &llen) == -1)
		err(1, "getsockname");

	if (getrandom(txid, sizeof(txid), 0) != (ssize_t)sizeof(txid))
		err(1, "getrandom");
	if (stun_request(req, sizeof(req), txid) != STUN_REQUEST_LEN)
		errx(1, "stun_request");
	rto = wait;
	for (i = 0; i < tries && !got; i++) {
		if (send(s, req, sizeof(req), 0) == -1 &&
		    errno != ECONNREFUSED)
			err(1, "send to %s", argv[0]);
		got = wait_answer(s, &server, txid, now_ms() +
		    (i == tries - 1 ? STUN_RM * wait : rto), &m, &skipped);
		rto *= 2;
	}
	if (!got)
		errx(1, "no answer from %s after %d requests", argv[0], i);
	printf("local=%s\n", fmt_sa(&local));
	if (m.type == STUN_BINDING_ERROR) {
		printf("tries=%d\nskipped=%d\n", i, skipped);
		fprintf(stderr, "stunprobe: %s answered %u %.*s\n", argv[0],
		    m.code, (int)m.reasonlen, m.reason);
		return 2;
	}
	printf("mapped=%s\nvia=%s\nfingerprint=%s\ntries=%d\nskipped=%d\n",
	    fmt_stun(&m.mapped), m.mapped_xor ? "xor" : "plain",
	    m.fingerprint ? "yes" : "no", i, skipped);
	return 0;
}
