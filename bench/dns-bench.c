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
 * dns-bench [-t seconds] [-n names] [-w window] [server name...]:
 * queries a second of the mesh DNS.
 *
 * Without a server: the codec alone (meshd-tun/dns.c), one core, for an
 * A query answered, an NXDOMAIN and a REFUSED, with a lookup over -n
 * names in a sorted array (tun's is a red-black tree).  With a server
 * (an IPv4 address): a dnsperf-like loop over UDP that keeps -w queries
 * in flight, asking for the names given in turn, and counts the answers
 * that come back; queries unanswered for a second are given up and
 * counted as lost.
 */

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../meshd-tun/dns.h"
#include "byteorder.h"

static void	usage(void) __attribute__((__noreturn__));

static size_t	 nnames = 1000;

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
usage(void)
{
	fprintf(stderr, "usage: dns-bench [-t seconds] [-n names] "
	    "[-w window] [server name ...]\n");
	exit(1);
}

/* "m<number>" is a name below nnames: one address */
static int
lookup(const char *label, struct dns_addrs *as, void *arg)
{
	long	i;

	if (label[0] != 'm' || (i = strtol(label + 1, NULL, 10)) < 0 ||
	    (size_t)i >= nnames)
		return -1;
	as->n = 1;
	as->a[0].af = 4;
	as->a[0].addr[0] = 100;
	as->a[0].addr[1] = 64;
	as->a[0].addr[2] = i >> 8;
	as->a[0].addr[3] = i;
	return 0;
}

/* a query for name into q; its length */
static size_t
query(uint8_t *q, uint16_t id, const char *name, uint16_t type)
{
	const char	*p = name, *dot;
	size_t		 len = DNS_HDR_LEN, l;

	memset(q, 0, DNS_HDR_LEN);
	put_be16(q, id);
	put_be16(q + 4, 1);
	while (*p != '\0') {
		dot = strchr(p, '.');
		l = dot != NULL ? (size_t)(dot - p) : strlen(p);
		q[len++] = l;
		memcpy(q + len, p, l);
		len += l;
		p += l + (dot != NULL);
	}
	q[len++] = 0;
	put_be16(q + len, type);
	put_be16(q + len + 2, 1);
	return len + 4;
}

static void
codec(double secs)
{
	static const char *const names[] = { "m17.tunnelmesh",
	    "nobody.tunnelmesh", "www.example.com" };
	struct dns_zone	 z = { "tunnelmesh", 5, 1, lookup, NULL };
	uint8_t		 q[512], out[DNS_UDP_OURS];
	size_t		 qlen, outlen, i;
	unsigned long	 n;
	double		 t0, t;
	int		 tc;

	for (i = 0; i < 3; i++) {
		qlen = query(q, 1, names[i], 1);
		t0 = now();
		n = 0;
		do {
			for (int k = 0; k < 1000; k++)
				(void)dns_answer(&z, q, qlen, 0, out,
				    sizeof(out), &outlen, &tc);
			n += 1000;
		} while ((t = now() - t0) < secs);
		printf("codec %-20s %10.0f queries/s\n", names[i], n / t);
	}
}

static void
server(const char *addr, char **names, int nn, double secs, int window)
{
	struct sockaddr_in	 sin;
	struct pollfd		 pfd;
	uint8_t			 q[512], a[DNS_UDP_OURS];
	unsigned long		 sent = 0, got = 0, lost = 0;
	double			 t0, last, t;
	size_t			 qlen;
	ssize_t			 r;
	int			 fd, inflight = 0;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(DNS_PORT);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		errx(1, "%s: not an IPv4 address", addr);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "%s", addr);
	t0 = last = now();
	while ((t = now()) - t0 < secs) {
		while (inflight < window) {
			qlen = query(q, sent, names[sent % nn], 1);
			if (send(fd, q, qlen, 0) == -1)
				break;
			sent++;
			inflight++;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 100) <= 0) {
			if (now() - last > 1.0) {
				lost += inflight;	/* dropped somewhere */
				inflight = 0;
			}
			continue;
		}
		while ((r = recv(fd, a, sizeof(a), 0)) > 0) {
			got++;
			inflight--;
			last = now();
		}
	}
	t = now() - t0;
	printf("server %s: %lu queries, %lu answers in %.1f s: %.0f "
	    "answers/s (%lu lost, window %d)\n", addr, sent, got, t, got / t,
	    lost, window);
}

int
main(int argc, char *argv[])
{
	double	secs = 2;
	int	ch, window = 64;

	while ((ch = getopt(argc, argv, "n:t:w:")) != -1) {
		switch (ch) {
		case 'n':
			nnames = strtoul(optarg, NULL, 10);
			break;
		case 't':
			secs = strtod(optarg, NULL);
			break;
		case 'w':
			window = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (secs <= 0 || window < 1)
		usage();
	if (argc == 0)
		codec(secs);
	else if (argc == 1)
		usage();
	else
		server(argv[0], argv + 1, argc - 1, secs, window);
	return 0;
}
