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
 * udpprobe: what a NAT does to UDP, for the NAT lab (regress/natlab.sh,
 * regress/netns/natlab.t).  IPv4 only, like the lab.
 *
 *   udpprobe -l address:port [-l address:port ...]
 *	server: answers every probe with the source address and port it
 *	saw, from the socket that got it or, when the probe asks, from
 *	another of its sockets (a different port or address: how a client
 *	learns whether its NAT lets in packets from an endpoint it never
 *	sent to, as RFC 5780's CHANGE-REQUEST does).  Prints "ready" once
 *	every socket is bound, then "got SOURCE at LOCAL" per probe and
 *	"other SOURCE at LOCAL" per datagram that is none (so a test can
 *	count every packet that reached a target).
 *   udpprobe [-b [address:]port] [-c count] [-r tries] [-t ms]
 *	    dest[/from] ...
 *	client: from one socket (bound to -b, else any port), sends count
 *	probes (1) to each dest in turn, each up to tries times (3),
 *	waiting ms (300) for its answer after each.  An answer counts
 *	only if it carries the probe's token and comes from "from" (which
 *	the probe names; dest when not given).  Prints per dest
 *	"DEST FROM SEEN ANSWERED/COUNT", SEEN the address and port the
 *	last answer reported, "-" when none came.  Exits 0 when every
 *	dest answered at least once, 1 when one did not, 2 on errors.
 *
 * Wire format, text: a probe is "udpprobe TOKEN" or
 * "udpprobe TOKEN from ADDRESS:PORT", its answer
 * "udpprobe TOKEN seen ADDRESS:PORT"; TOKEN is 16 hex digits.
 */

#include <sys/types.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXSOCK		8	/* server sockets */
#define MAXMSG		96	/* longer datagrams are not probes */
#define TOKEN_LEN	16
#define ADDRSTR		(INET_ADDRSTRLEN + 6)
#define PREFIX		"udpprobe "

/* a.b.c.d:port, or with allow_any a bare port (address 0.0.0.0) */
static int
parse_addr(const char *arg, struct sockaddr_in *sin, int allow_any)
{
	char		 host[INET_ADDRSTRLEN];
	const char	*colon, *portstr, *errstr;
	size_t		 hlen;
	long long	 port;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	if ((colon = strrchr(arg, ':')) == NULL) {
		if (!allow_any)
			return -1;
		portstr = arg;
		hlen = 0;
	} else {
		portstr = colon + 1;
		hlen = (size_t)(colon - arg);
	}
	if (hlen > 0) {
		if (hlen >= sizeof(host))
			return -1;
		memcpy(host, arg, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return -1;
	} else if (!allow_any)
		return -1;
	port = strtonum(portstr, allow_any ? 0 : 1, 65535, &errstr);
	if (errstr != NULL)
		return -1;
	sin->sin_port = htons((uint16_t)port);
	return 0;
}

static void
fmt_addr(const struct sockaddr_in *sin, char *buf, size_t len)
{
	char	a[INET_ADDRSTRLEN];

	if (inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a)) == NULL)
		err(2, "inet_ntop");
	snprintf(buf, len, "%s:%u", a, ntohs(sin->sin_port));
}

static int
same_addr(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_addr.s_addr == b->sin_addr.s_addr &&
	    a->sin_port == b->sin_port;
}

static int
is_token(const char *p, size_t len)
{
	size_t	i;

	if (len != TOKEN_LEN)
		return 0;
	for (i = 0; i < len; i++)
		if (p[i] == '\0' || strchr("0123456789abcdef", p[i]) == NULL)
			return 0;
	return 1;
}

static int
udp_socket(const struct sockaddr_in *sin)
{
	char	a[ADDRSTR];
	int	s;

	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		err(2, "socket");
	if (bind(s, (const struct sockaddr *)sin, sizeof(*sin)) == -1) {
		fmt_addr(sin, a, sizeof(a));
		err(2, "bind %s", a);
	}
	return s;
}

/*
 * Read one datagram into buf as a string: its length; 0 when it is
 * empty, too long or holds a NUL (then no probe or answer); -1 when
 * none came after all.
 */
static ssize_t
recv_text(int s, char *buf, size_t len, struct sockaddr_in *from)
{
	socklen_t	flen = sizeof(*from);
	ssize_t		n;

	n = recvfrom(s, buf, len, MSG_TRUNC, (struct sockaddr *)from, &flen);
	if (n == -1) {
		if (errno == EINTR || errno == EAGAIN ||
		    errno == ECONNREFUSED)
			return -1;
		err(2, "recvfrom");
	}
	if (flen != sizeof(*from) || from->sin_family != AF_INET)
		return -1;
	if ((size_t)n >= len || memchr(buf, '\0', (size_t)n) != NULL)
		return 0;
	buf[n] = '\0';
	return n;
}

/* ---- server */

/*
 * A probe: "udpprobe TOKEN" or "udpprobe TOKEN from ADDRESS:PORT".
 * Returns the token's offset, sets *want (AF_UNSPEC family when no
 * "from"); -1 when it is no probe.
 */
static int
parse_probe(const char *msg, size_t len, struct sockaddr_in *want)
{
	const char	*from = PREFIX "0123456789abcdef from ";

	memset(want, 0, sizeof(*want));
	want->sin_family = AF_UNSPEC;
	if (len < strlen(PREFIX) + TOKEN_LEN ||
	    strncmp(msg, PREFIX, strlen(PREFIX)) != 0 ||
	    !is_token(msg + strlen(PREFIX), TOKEN_LEN))
		return -1;
	if (len == strlen(PREFIX) + TOKEN_LEN)
		return (int)strlen(PREFIX);
	if (len <= strlen(from) ||
	    strncmp(msg + strlen(PREFIX) + TOKEN_LEN, " from ", 6) != 0 ||
	    parse_addr(msg + strlen(from), want, 0) == -1)
		return -1;
	return (int)strlen(PREFIX);
}

static __attribute__((__noreturn__)) void
serve(struct sockaddr_in *addrs, int naddrs)
{
	struct pollfd		pfd[MAXSOCK];
	struct sockaddr_in	src, want;
	char			msg[MAXMSG], out[MAXMSG];
	char			a[ADDRSTR], l[ADDRSTR];
	ssize_t			n;
	int			i, j, tok;

	for (i = 0; i < naddrs; i++) {
		pfd[i].fd = udp_socket(&addrs[i]);
		pfd[i].events = POLLIN;
	}
	printf("ready\n");
	for (;;) {
		if (poll(pfd, (nfds_t)naddrs, -1) == -1) {
			if (errno == EINTR)
				continue;
			err(2, "poll");
		}
		for (i = 0; i < naddrs; i++) {
			if ((pfd[i].revents & POLLIN) == 0)
				continue;
			if ((n = recv_text(pfd[i].fd, msg, sizeof(msg),
			    &src)) == -1)
				continue;
			fmt_addr(&src, a, sizeof(a));
			fmt_addr(&addrs[i], l, sizeof(l));
			if (n == 0 ||
			    (tok = parse_probe(msg, (size_t)n, &want)) == -1) {
				printf("other %s at %s\n", a, l);
				continue;
			}
			printf("got %s at %s\n", a, l);
			/* the socket to answer from */
			j = i;
			if (want.sin_family == AF_INET) {
				for (j = 0; j < naddrs; j++)
					if (same_addr(&addrs[j], &want))
						break;
				if (j == naddrs) {
					fmt_addr(&want, l, sizeof(l));
					warnx("%s: asks for an answer from %s, "
					    "which is not mine", a, l);
					continue;
				}
			}
			snprintf(out, sizeof(out), PREFIX "%.*s seen %s",
			    TOKEN_LEN, msg + tok, a);
			if (sendto(pfd[j].fd, out, strlen(out), 0,
			    (struct sockaddr *)&src, sizeof(src)) == -1)
				warn("sendto %s", a);
		}
	}
}

/* ---- client */

struct target {
	struct sockaddr_in	dest;
	struct sockaddr_in	from;	/* the answer's expected source */
	int			ask;	/* name "from" in the probe */
	char			seen[ADDRSTR];
	unsigned int		answered;
};

static uint64_t
now_ms(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		err(2, "clock_gettime");
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
new_token(char *tok)
{
	uint8_t	r[TOKEN_LEN / 2];
	size_t	i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		err(2, "getrandom");
	for (i = 0; i < sizeof(r); i++)
		snprintf(tok + 2 * i, 3, "%02x", r[i]);
}

/*
 * Wait up to ms for the answer to token from t->from: 1 when it came
 * (t->seen set), 0 when not.  Anything else that arrives (late answers
 * to earlier probes, strangers) is dropped.
 */
static int
await(int s, struct target *t, const char *tok, unsigned int ms)
{
	struct pollfd		pfd;
	struct sockaddr_in	src, seen;
	char			msg[MAXMSG];
	const char		*p;
	uint64_t		end = now_ms() + ms, now;
	ssize_t			n;
	size_t			hl = strlen(PREFIX) + TOKEN_LEN;

	pfd.fd = s;
	pfd.events = POLLIN;
	while ((now = now_ms()) < end) {
		if (poll(&pfd, 1, (int)(end - now)) == -1) {
			if (errno == EINTR)
				continue;
			err(2, "poll");
		}
		if ((pfd.revents & POLLIN) == 0)
			continue;
		if ((n = recv_text(s, msg, sizeof(msg), &src)) <= 0 ||
		    !same_addr(&src, &t->from) || (size_t)n <= hl + 6 ||
		    strncmp(msg, PREFIX, strlen(PREFIX)) != 0 ||
		    strncmp(msg + strlen(PREFIX), tok, TOKEN_LEN) != 0 ||
		    strncmp(msg + hl, " seen ", 6) != 0)
			continue;
		p = msg + hl + 6;
		if (parse_addr(p, &seen, 0) == -1)
			continue;
		fmt_addr(&seen, t->seen, sizeof(t->seen));
		return 1;
	}
	return 0;
}

static void
probe(int s, struct target *t, unsigned int tries, unsigned int ms)
{
	char		tok[TOKEN_LEN + 1], out[MAXMSG], f[ADDRSTR];
	unsigned int	i;

	new_token(tok);
	fmt_addr(&t->from, f, sizeof(f));
	if (t->ask)
		snprintf(out, sizeof(out), PREFIX "%s from %s", tok, f);
	else
		snprintf(out, sizeof(out), PREFIX "%s", tok);
	for (i = 0; i < tries; i++) {
		if (sendto(s, out, strlen(out), 0,
		    (struct sockaddr *)&t->dest, sizeof(t->dest)) == -1 &&
		    errno != ECONNREFUSED)
			err(2, "sendto");
		if (await(s, t, tok, ms)) {
			t->answered++;
			return;
		}
	}
}

static unsigned int
parse_uint(const char *arg, const char *what, unsigned int max)
{
	const char	*errstr;
	long long	 v;

	v = strtonum(arg, 1, max, &errstr);
	if (errstr != NULL)
		errx(2, "%s: %s is %s", arg, what, errstr);
	return (unsigned int)v;
}

static __attribute__((__noreturn__)) void
usage(void)
{
	fprintf(stderr, "usage: udpprobe -l address:port ...\n"
	    "       udpprobe [-b [address:]port] [-c count] [-r tries] "
	    "[-t ms] dest[/from] ...\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 addrs[MAXSOCK], local;
	struct target		*t;
	char			 d[ADDRSTR], f[ADDRSTR], *slash;
	unsigned int		 count = 1, tries = 3, ms = 300, i, k;
	int			 ch, naddrs = 0, s, failed = 0, ntargets;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&local, 0, sizeof(local));
	local.sin_family = AF_INET;
	while ((ch = getopt(argc, argv, "b:c:l:r:t:")) != -1) {
		switch (ch) {
		case 'b':
			if (parse_addr(optarg, &local, 1) == -1)
				errx(2, "-b %s: want [address:]port", optarg);
			break;
		case 'c':
			count = parse_uint(optarg, "-c", 100000);
			break;
		case 'l':
			if (naddrs == MAXSOCK)
				errx(2, "at most %d -l", MAXSOCK);
			if (parse_addr(optarg, &addrs[naddrs], 0) == -1)
				errx(2, "-l %s: want address:port", optarg);
			naddrs++;
			break;
		case 'r':
			tries = parse_uint(optarg, "-r", 100);
			break;
		case 't':
			ms = parse_uint(optarg, "-t", 60000);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (naddrs > 0) {
		if (argc != 0)
			usage();
		serve(addrs, naddrs);
	}
	if (argc == 0)
		usage();

	ntargets = argc;
	if ((t = calloc((size_t)ntargets, sizeof(*t))) == NULL)
		err(2, NULL);
	for (k = 0; k < (unsigned int)ntargets; k++) {
		if ((slash = strchr(argv[k], '/')) != NULL)
			*slash++ = '\0';
		if (parse_addr(argv[k], &t[k].dest, 0) == -1)
			errx(2, "%s: want address:port", argv[k]);
		t[k].from = t[k].dest;
		if (slash != NULL) {
			if (parse_addr(slash, &t[k].from, 0) == -1)
				errx(2, "%s: want address:port", slash);
			t[k].ask = 1;
		}
		strlcpy(t[k].seen, "-", sizeof(t[k].seen));
	}
	s = udp_socket(&local);
	for (k = 0; k < (unsigned int)ntargets; k++)
		for (i = 0; i < count; i++)
			probe(s, &t[k], tries, ms);
	for (k = 0; k < (unsigned int)ntargets; k++) {
		fmt_addr(&t[k].dest, d, sizeof(d));
		fmt_addr(&t[k].from, f, sizeof(f));
		printf("%s %s %s %u/%u\n", d, f, t[k].seen, t[k].answered,
		    count);
		if (t[k].answered == 0)
			failed = 1;
	}
	close(s);
	free(t);
	return failed;
}
