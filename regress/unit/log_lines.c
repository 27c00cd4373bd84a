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
 * Under meshd -d every process logs to the same stderr.  Several writers
 * going through common/log.c at once into one pipe: every line that comes
 * out is whole (its role prefix, its own text, its newline), none is lost,
 * and a line longer than LOG_LINE_MAX is cut but still ends in a newline.
 * When stderr is the stream JOURNAL_STREAM names (systemd), each line
 * starts with its sd-daemon(3) priority, "<3>" and so on; else it does
 * not.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"

#define WRITERS	4
#define LINES	400

static const char	*roles[WRITERS] = { "net", "crypto", "tun", "parent" };

static void
writer(int w, int fd)
{
	char	pad[200];
	int	i;

	memset(pad, 'a' + w, sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	if (dup2(fd, STDERR_FILENO) == -1)
		_exit(2);
	log_init(1, 1, LOG_DAEMON);
	log_procinit(roles[w]);
	for (i = 0; i < LINES; i++) {
		switch (i % 3) {
		case 0:
			log_warnx("writer %d line %d %s end", w, i, pad);
			break;
		case 1:
			log_info("writer %d line %d %s end", w, i, pad);
			break;
		default:
			log_debug("writer %d line %d %s end", w, i, pad);
			break;
		}
	}
	_exit(0);
}

/* 1 if line is exactly what writer w logs as its line i */
static int
whole(const char *line, int *wp, int *ip)
{
	char	pfx[32], want[512], pad[200];
	int	w, off;

	for (w = 0; w < WRITERS; w++) {
		if (strcmp(roles[w], "parent") == 0)
			pfx[0] = '\0';
		else
			(void)snprintf(pfx, sizeof(pfx), "%s: ", roles[w]);
		if (strncmp(line, pfx, strlen(pfx)) != 0)
			continue;
		if (sscanf(line + strlen(pfx), "writer %d line %d %n", wp, ip,
		    &off) != 2 || *wp != w)
			continue;
		memset(pad, 'a' + w, sizeof(pad) - 1);
		pad[sizeof(pad) - 1] = '\0';
		(void)snprintf(want, sizeof(want), "%swriter %d line %d %s end",
		    pfx, w, *ip, pad);
		return strcmp(line, want) == 0;
	}
	return 0;
}

/* what a process logs with JOURNAL_STREAM naming its stderr (or not) */
static void
journal_lines(int match, char *buf, size_t size)
{
	struct stat	sb;
	char		js[64];
	int		p[2], st;
	size_t		len = 0;
	ssize_t		n;
	pid_t		pid;

	if (pipe(p) == -1 || fstat(p[1], &sb) == -1)
		abort();
	(void)snprintf(js, sizeof(js), "%ju:%ju", (uintmax_t)sb.st_dev,
	    (uintmax_t)sb.st_ino + (match ? 0 : 1));
	if ((pid = fork()) == -1)
		abort();
	if (pid == 0) {
		close(p[0]);
		if (dup2(p[1], STDERR_FILENO) == -1 ||
		    setenv("JOURNAL_STREAM", js, 1) == -1)
			_exit(2);
		log_init(1, 1, LOG_DAEMON);
		log_procinit("net");
		log_warnx("an error");
		log_info("some news");
		log_debug("a detail");
		logit(LOG_WARNING, "a warning");
		fatalx("the end");
	}
	close(p[1]);
	while ((n = read(p[0], buf + len, size - 1 - len)) > 0)
		len += n;
	buf[len] = '\0';
	close(p[0]);
	(void)waitpid(pid, &st, 0);
}

int
main(void)
{
	static char	buf[WRITERS * LINES * 300 + 65536];
	char		long_text[3000], *line, *nl;
	int		p[2], w, i, st, bad = 0, total = 0;
	int		seen[WRITERS] = { 0 };
	size_t		len = 0;
	ssize_t		n;
	pid_t		pid[WRITERS];

	if (pipe(p) == -1)
		abort();
	for (w = 0; w < WRITERS; w++) {
		if ((pid[w] = fork()) == -1)
			abort();
		if (pid[w] == 0) {
			close(p[0]);
			writer(w, p[1]);
		}
	}
	close(p[1]);
	while ((n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	buf[len] = '\0';
	close(p[0]);
	for (w = 0; w < WRITERS; w++) {
		st = -1;
		(void)waitpid(pid[w], &st, 0);
		ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer %s exits 0",
		    roles[w]);
	}

	ok(len > 0 && buf[len - 1] == '\n', "the output ends in a newline");
	for (line = buf; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		*nl = '\0';
		total++;
		if (!whole(line, &w, &i)) {
			if (bad++ < 3)
				diag("cut or mixed line: \"%.120s\"", line);
			continue;
		}
		seen[w]++;
	}
	is_int(bad, 0, "no line is cut or mixed with another");
	is_int(total, WRITERS * LINES, "every line arrives, once");
	for (w = 0; w < WRITERS; w++)
		is_int(seen[w], LINES, "all of %s's lines are whole", roles[w]);

	/* a line longer than the limit: cut, with its newline */
	if (pipe(p) == -1)
		abort();
	if ((pid[0] = fork()) == 0) {
		close(p[0]);
		if (dup2(p[1], STDERR_FILENO) == -1)
			_exit(2);
		memset(long_text, 'x', sizeof(long_text) - 1);
		long_text[sizeof(long_text) - 1] = '\0';
		log_init(1, 0, LOG_DAEMON);
		log_procinit("net");
		log_warnx("%s", long_text);
		log_warnx("next");
		_exit(0);
	}
	close(p[1]);
	len = 0;
	while ((n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	buf[len] = '\0';
	close(p[0]);
	(void)waitpid(pid[0], &st, 0);
	nl = strchr(buf, '\n');
	ok(nl != NULL && strncmp(buf, "net: xxx", 8) == 0 &&
	    (size_t)(nl - buf) >= LOG_LINE_MAX && (size_t)(nl - buf) < 3000,
	    "a long line is cut and still ends in a newline");
	is_str(nl != NULL ? nl + 1 : "", "net: next\n",
	    "the next line starts on a line of its own");

	journal_lines(1, buf, sizeof(buf));
	is_str(buf, "<3>net: an error\n<6>net: some news\n<7>net: a detail\n"
	    "<4>net: a warning\n<2>net: fatal in net: the end\n",
	    "stderr is the journal: each line carries its priority");
	journal_lines(0, buf, sizeof(buf));
	is_str(buf, "net: an error\nnet: some news\nnet: a detail\n"
	    "net: a warning\nnet: fatal in net: the end\n",
	    "JOURNAL_STREAM names another file: no prefix");
	return tap_done();
}
