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
 * webprobe: sends a request's raw bytes to an HTTP server and shows
 * what comes back and whether the server closed, for
 * regress/interop/web-nginx.t.
 *
 *   webprobe [-w ms] port < request
 *	connects to 127.0.0.1:port, sends stdin as it is, then reads until
 *	the server closes or stays silent for ms (500) milliseconds.
 *	Writes the bytes received, then a line "--- closed" or
 *	"--- open".  Exits 0, or 2 if it cannot connect.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
connect_to(uint16_t port)
{
	struct sockaddr_in	sin;
	int			s;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(s, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(2, "127.0.0.1:%u", port);
	return s;
}

static void
send_stdin(int s)
{
	uint8_t	buf[65536];
	size_t	n;

	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
		if (write(s, buf, n) != (ssize_t)n)
			err(2, "write");
}

int
main(int argc, char *argv[])
{
	struct pollfd	pfd;
	uint8_t		buf[65536];
	ssize_t		n;
	int		ch, ms = 500, s, closed = 0;

	while ((ch = getopt(argc, argv, "w:")) != -1) {
		if (ch != 'w')
			errx(2, "usage: webprobe [-w ms] port < request");
		ms = atoi(optarg);
	}
	if (argc - optind != 1)
		errx(2, "usage: webprobe [-w ms] port < request");
	s = connect_to((uint16_t)strtoul(argv[optind], NULL, 10));
	send_stdin(s);
	pfd.fd = s;
	pfd.events = POLLIN;
	while (poll(&pfd, 1, ms) == 1) {
		if ((n = read(s, buf, sizeof(buf))) <= 0) {
			closed = 1;
			break;
		}
		fwrite(buf, 1, (size_t)n, stdout);
	}
	printf("--- %s\n", closed ? "closed" : "open");
	return 0;
}
