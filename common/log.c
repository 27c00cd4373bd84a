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

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int		 log_to_stderr = 1;
static int		 log_journal;	/* stderr is journald's: "<N>" first */
static int		 log_teefd = -1;
static int		 log_teejournal;
static int		 log_verbose;
static const char	*log_procname;
static void		(*log_sink)(int, const char *);

/*
 * 1 if fd is the stream systemd named in JOURNAL_STREAM ("dev:inode",
 * systemd.exec(5)): journald then reads a "<N>" prefix as the line's
 * priority.  A terminal, a file or a pipe of our own gets no prefix.
 */
static int
log_is_journal(int fd)
{
	struct stat	 sb;
	const char	*js;
	uintmax_t	 dev, ino;
	char		 c;

	if ((js = getenv("JOURNAL_STREAM")) == NULL ||
	    sscanf(js, "%ju:%ju%c", &dev, &ino, &c) != 2 ||
	    fstat(fd, &sb) == -1)
		return 0;
	return (uintmax_t)sb.st_dev == dev && (uintmax_t)sb.st_ino == ino;
}

void
log_init(int to_stderr, int verbose, int facility)
{
	log_to_stderr = to_stderr;
	log_verbose = verbose;
	log_journal = to_stderr && log_is_journal(STDERR_FILENO);
	/* read the zone file now: there is none inside the chroot */
	tzset();
	if (!log_to_stderr)
		openlog(getprogname(), LOG_PID | LOG_NDELAY, facility);
}

void
log_procinit(const char *procname)
{
	if (procname != NULL)
		log_procname = procname;
}

void
log_tee(int fd)
{
	log_teefd = fd;
	log_teejournal = fd != -1 && log_is_journal(fd);
}

void
log_setsink(void (*fn)(int, const char *))
{
	log_sink = fn;
}

void
log_setverbose(int v)
{
	log_verbose = v;
}

int
log_getverbose(void)
{
	return log_verbose;
}

void
logit(int pri, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

/*
 * One line, prefix and newline included, goes out in one write(2): the
 * children share the parent's stderr under -d, and a line written in
 * pieces could be cut by another process's line.
 */
static void
log_stderr(int fd, int prefix, int pri, const char *fmt, va_list ap)
{
	char	line[LOG_LINE_MAX + 64];
	size_t	off = 0, len;
	ssize_t	n;
	int	r;

	/* sd-daemon(3): "<3>" err, "<4>" warning, "<6>" info, "<7>" debug */
	if (prefix) {
		r = snprintf(line, sizeof(line), "<%d>", pri & LOG_PRIMASK);
		if (r > 0)
			off = (size_t)r;
	}
	/* the parent's lines are bare, a child's carry its role */
	if (log_procname != NULL && strcmp(log_procname, "parent") != 0) {
		r = snprintf(line + off, sizeof(line) - off, "%s: ",
		    log_procname);
		if (r > 0 && (size_t)r < sizeof(line) - off)
			off += (size_t)r;
	}
	r = vsnprintf(line + off, sizeof(line) - off, fmt, ap);
	if (r < 0)
		r = 0;
	len = off + (size_t)r;
	/* a cut line still ends in a newline */
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	line[len] = '\0';
	for (off = 0; off < len; off += n) {
		n = write(fd, line + off, len - off);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			break;
	}
}

void
vlog(int pri, const char *fmt, va_list ap)
{
	int	saved_errno = errno;
	va_list	ap2;

	if (log_teefd != -1 && !log_to_stderr &&
	    (pri & LOG_PRIMASK) <= LOG_WARNING) {
		va_copy(ap2, ap);
		log_stderr(log_teefd, log_teejournal, pri, fmt, ap2);
		va_end(ap2);
	}
	if (log_to_stderr)
		log_stderr(STDERR_FILENO, log_journal, pri, fmt, ap);
	else if (log_sink != NULL) {
		char	line[LOG_LINE_MAX];

		(void)vsnprintf(line, sizeof(line), fmt, ap);
		log_sink(pri, line);
	} else
		vsyslog(pri, fmt, ap);
	errno = saved_errno;
}

static void
vlog_err(int pri, int with_errno, const char *emsg, va_list ap)
{
	char	*nfmt;
	int	 saved_errno = errno;

	if (emsg == NULL)
		logit(pri, "%s", strerror(saved_errno));
	else if (!with_errno)
		vlog(pri, emsg, ap);
	else if (asprintf(&nfmt, "%s: %s", emsg, strerror(saved_errno)) == -1) {
		/* best effort in an emergency */
		vlog(pri, emsg, ap);
		logit(pri, "%s", strerror(saved_errno));
	} else {
		vlog(pri, nfmt, ap);
		free(nfmt);
	}
	errno = saved_errno;
}

void
log_warn(const char *emsg, ...)
{
	va_list	ap;

	va_start(ap, emsg);
	vlog_err(LOG_ERR, 1, emsg, ap);
	va_end(ap);
}

void
log_warnx(const char *emsg, ...)
{
	va_list	ap;

	va_start(ap, emsg);
	vlog(LOG_ERR, emsg, ap);
	va_end(ap);
}

void
log_info(const char *emsg, ...)
{
	va_list	ap;

	va_start(ap, emsg);
	vlog(LOG_INFO, emsg, ap);
	va_end(ap);
}

void
log_debug(const char *emsg, ...)
{
	va_list	ap;

	/* -v, or meshctl log verbose, as in bgpd */
	if (log_verbose > 0) {
		va_start(ap, emsg);
		vlog(LOG_DEBUG, emsg, ap);
		va_end(ap);
	}
}

static __attribute__((__noreturn__)) void
vfatalc(int with_errno, const char *emsg, va_list ap)
{
	char	 s[BUFSIZ];
	int	 saved_errno = errno;

	if (emsg != NULL)
		(void)vsnprintf(s, sizeof(s), emsg, ap);
	else
		s[0] = '\0';
	if (with_errno)
		logit(LOG_CRIT, "fatal in %s: %s%s%s",
		    log_procname ? log_procname : getprogname(), s,
		    s[0] ? ": " : "", strerror(saved_errno));
	else
		logit(LOG_CRIT, "fatal in %s: %s",
		    log_procname ? log_procname : getprogname(), s);
	exit(1);
}

void
fatal(const char *emsg, ...)
{
	va_list	ap;

	va_start(ap, emsg);
	vfatalc(1, emsg, ap);
}

void
fatalx(const char *emsg, ...)
{
	va_list	ap;

	va_start(ap, emsg);
	vfatalc(0, emsg, ap);
}
