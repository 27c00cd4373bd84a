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
 * meshctl: the operator's command line for meshd.
 */

#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "importwg.h"
#include "meshctl.h"

__attribute__((__noreturn__)) static void usage(void);
__attribute__((__noreturn__)) static void fail(int, const char *, ...)
    __attribute__((__format__(__printf__, 2, 3)));

static void
usage(void)
{
	fprintf(stderr, "usage: meshctl [-j] [-s socket] command "
	    "[argument ...]\n"
	    "       meshctl -V\n"
	    "       meshctl import-wg [-d keydir] file\n"
	    "       meshctl [-s socket] client add name [-q]\n");
	exit(1);
}

/* errx(1, ...), or with -j the message as a JSON error on stdout */
static void
fail(int json, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[512];

	va_start(ap, fmt);
	if (!json)
		verrx(1, fmt, ap);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	output_json_error(stdout, msg);
	(void)fflush(stdout);
	exit(1);
}

/*
 * Where the command words start: after meshctl's own options, as getopt
 * would skip them.  0 if there are none.
 */
static int
first_word(int argc, char *argv[])
{
	int	i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return i + 1 < argc ? i + 1 : 0;
		if (argv[i][0] != '-' || argv[i][1] == '\0')
			return i;
		/* an option with its argument in the next word */
		if (strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "-d") == 0)
			i++;
	}
	return 0;
}

/*
 * sign, ca revoke, show cert and show revocations take options of their
 * own, which meshctl's getopt must not see: ca.c reads them.  Of
 * meshctl's options only -j may come before them.  -1 if the words are
 * not such a command.
 */
static int
admin_command(int argc, char *argv[])
{
	const struct parse_result	*res;
	char				 msg[256];
	int				 i, w, json = 0;

	if ((w = first_word(argc, argv)) == 0 ||
	    (res = parse(argc - w, argv + w, msg, sizeof(msg))) == NULL ||
	    res->args == NULL)
		return -1;
	for (i = 1; i < w; i++) {
		if (strcmp(argv[i], "-j") == 0)
			json = 1;
		else if (strcmp(argv[i], "--") != 0)
			errx(1, "%s: not an option of %s", argv[i], argv[w]);
	}
	return ca_run(res, json || res->json);
}

int
main(int argc, char *argv[])
{
	const struct parse_result	*res;
	const char			*sock = MESHD_SOCKET;
	const char			*keydir = NULL;
	char				 msg[256];
	int				 ch, fd, json = 0, qr = 0, ret;

	/* meshd or a reader going away is an error we handle, not a death */
	(void)signal(SIGPIPE, SIG_IGN);

	if ((ret = admin_command(argc, argv)) != -1)
		return ret;

	/*
	 * glibc's getopt also takes options after the command words
	 * ("meshctl show peers -j"); where getopt stops at the first word,
	 * parse() still understands a "-j" among them.
	 */
	while ((ch = getopt(argc, argv, "d:jqs:V")) != -1) {
		switch (ch) {
		case 'd':
			keydir = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'q':
			qr = 1;
			break;
		case 's':
			sock = optarg;
			break;
		case 'V':
			printf("meshctl %s\n", MESHD_VERSION);
			return 0;
		default:
			usage();
		}
	}
	/* after "--" every word is literal: let parse() see the "--" too */
	if (optind > 1 && strcmp(argv[optind - 1], "--") == 0 &&
	    argv[optind - 1] != sock && argv[optind - 1] != keydir)
		optind--;
	argc -= optind;
	argv += optind;
	if (argc == 0 || (argc == 1 && strcmp(argv[0], "--") == 0))
		usage();

	if ((res = parse(argc, argv, msg, sizeof(msg))) == NULL)
		fail(json || parse_json(), "%s", msg);
	json |= res->json;
	if (res->keydir != NULL)
		keydir = res->keydir;
	if (keydir != NULL && res->action != IMPORT_WG)
		fail(json, "-d is for import-wg only");
	if (qr)
		parse_set_qr();
	if (res->qr && res->action != CLIENT_ADD)
		fail(json, "-q is for client add only");
	if (res->qr && json)
		fail(json, "-q and -j do not go together");

	switch (res->action) {
	case GENKEY:
		return keys_genkey(STDOUT_FILENO);
	case GENPSK:
		return keys_genpsk(STDOUT_FILENO);
	case PUBKEY:
		return keys_pubkey(STDIN_FILENO, STDOUT_FILENO);
	case CA_GENKEY:
		return ca_genkey(STDOUT_FILENO);
	case CA_PUBKEY:
		return ca_pubkey(STDIN_FILENO, STDOUT_FILENO);
	case IMPORT_WG:
		ret = import_wg(res->file, keydir);
		if (fflush(stdout) == EOF || ferror(stdout)) {
			warnx("write error on standard output");
			ret = 1;
		}
		return ret;
	default:
		break;
	}

	if ((fd = ctl_connect(sock)) == -1) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			fail(json, "cannot connect to %s: %s (is meshd "
			    "running?)", sock, strerror(errno));
		fail(json, "cannot connect to %s: %s", sock, strerror(errno));
	}
	ret = ctl_run(fd, res, json ? &json_output : &text_output, stdout,
	    stderr);
	close(fd);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		/* a reader that left (| head) needs no message */
		if (errno != EPIPE)
			warnx("write error on standard output");
		ret = 1;
	}
	return ret;
}
