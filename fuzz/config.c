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
 * The config parser, meshd-parent/parse.y: the input is a whole config
 * file.  It lives in a scratch directory made at start, which also holds
 * files to include (inc/) and key files of every kind the permission
 * check tells apart (keys/, named by the macro $keydir as in
 * regress/config).  Only files in that directory can be opened (fopen is
 * wrapped, so an include of /proc/kmsg cannot hang a run) and host names
 * are never looked up (getaddrinfo is wrapped to numeric only).
 *
 * A config that parses must print (meshd -nv) as text that parses to the
 * same config and prints the same again: the round trip regress/config
 * checks on its golden files, here on anything.
 *
 * Input: an options byte (bit 0: check key files), then the file.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

FILE	*__real_fopen(const char *, const char *);
FILE	*__wrap_fopen(const char *, const char *);
int	 __real_getaddrinfo(const char *, const char *,
	    const struct addrinfo *, struct addrinfo **);
int	 __wrap_getaddrinfo(const char *, const char *,
	    const struct addrinfo *, struct addrinfo **);

static char	root[PATH_MAX];		/* the scratch directory */
static int	parsing;		/* fopen is the parser's */
static char	conf_path[PATH_MAX], round_path[PATH_MAX];

static const struct {
	const char	*name;
	mode_t		 mode;		/* 0: a directory */
	const char	*text;
} files[] = {
	{ "inc/peers.conf", 0644,
	    "peer \"inc-one\" {\n"
	    "\tpublic-key \"s5Zy9hGip7+6+oHT0ZBGGnhdVewDhZ0LqbtWH1JugWw=\"\n"
	    "\tallowed-ips 100.64.1.1/32\n"
	    "}\n"
	    "include \"more.conf\"\n" },
	{ "inc/more.conf", 0644,
	    "peer \"inc-two\" {\n"
	    "\tpublic-key \"bC8INqKqOd+iQehsAYbYcovjDdMkVBaLFOMhtONigUE=\"\n"
	    "\tallowed-ips 100.64.1.2/32, fd00:1::2/128\n"
	    "}" },
	{ "inc/loop.conf", 0644, "include \"../fuzz.conf\"\n" },
	{ "inc/macros.conf", 0644, "inc_port = \"51999\"\n" },
	{ "keys", 0, NULL },
	{ "keys/mesh0.key", 0600,
	    "eNPwswGMmc5q9TVgGyyPHtIP7zEHbWAhzA3RumuCY2Y=\n" },
	{ "keys/beta.psk", 0600,
	    "VOMDjjC4nNfUtg+t5hZ1wRABlwirL7L0X3R3ZD7+jkk=\n" },
	{ "keys/open.key", 0644,
	    "0U36NaxfWDierJZ1isQbZnL4fPHAg7ddvK1YYwOnaSY=\n" },
	{ "keys/group.psk", 0620,
	    "0U36NaxfWDierJZ1isQbZnL4fPHAg7ddvK1YYwOnaSY=\n" },
	{ "keys/dir.psk", 0, NULL },
	/* regress/config/certs: the mesh block's files, valid until 2099 */
	{ "keys/web1.crt", 0644,
	    "-----BEGIN MESHD CERTIFICATE-----\n"
	    "TVNIQwEAAAAAAAAAXgvhAAAAAADypSOAHIgo9xNzJMWLKASShiTqIybxZ0U3wGLi\n"
	    "UeJ1PKf8ykwEY29ycAR3ZWIxAgRkQAABBv16EVyh4AAAAAAAAAAAAAEBA3dlYgBe\n"
	    "rG8Ttf84InTyf1qRv9kOb/vFEFMKCgnMA2dxpZFGywTQyfKdXx465dFmuDQ4aue9\n"
	    "+VYEYiHU+l63y/7H+FoI\n"
	    "-----END MESHD CERTIFICATE-----\n" },
	{ "keys/revoked.crl", 0644,
	    "-----BEGIN MESHD REVOCATION LIST-----\n"
	    "TVNIUgEAAAAAAAAAAAAAAwAAAABeC+EABGNvcnAAAAABH+O33a2GmyjWZ3DqpsI6\n"
	    "9On/5VKbdBLUi6DPO9dGeSzy9A9XTPcLFlQ5OEMXzqHXtuy8Lk6eGnQfy6gF/UT8\n"
	    "8dHRgltpj0MLKIfjQuGfc9MjZVoV5sJhQJCbjTM303IA\n"
	    "-----END MESHD REVOCATION LIST-----\n" },
};

/* the parser opens only what lies in the scratch directory */
FILE *
__wrap_fopen(const char *path, const char *mode)
{
	char	real[PATH_MAX];
	size_t	len = strlen(root);

	if (!parsing)
		return __real_fopen(path, mode);	/* libFuzzer's */
	if (realpath(path, real) == NULL)
		return NULL;
	if (strncmp(real, root, len) != 0 || real[len] != '/') {
		errno = ENOENT;
		return NULL;
	}
	return __real_fopen(path, mode);
}

/* numbers only: a fuzzed host name must not become a DNS query */
int
__wrap_getaddrinfo(const char *host, const char *serv,
    const struct addrinfo *hints, struct addrinfo **res)
{
	struct addrinfo	h;

	if (hints != NULL)
		h = *hints;
	else {
		memset(&h, 0, sizeof(h));
		h.ai_family = AF_UNSPEC;
	}
	h.ai_flags |= AI_NUMERICHOST;
	return __real_getaddrinfo(host, serv, &h, res);
}

static void
cleanup(void)
{
	char	path[PATH_MAX];
	size_t	i;

	unlink(conf_path);
	unlink(round_path);
	snprintf(path, sizeof(path), "%s/keys/link.psk", root);
	unlink(path);
	for (i = sizeof(files) / sizeof(files[0]); i > 0; i--) {
		snprintf(path, sizeof(path), "%s/%s", root, files[i - 1].name);
		if (files[i - 1].mode == 0)
			rmdir(path);
		else
			unlink(path);
	}
	snprintf(path, sizeof(path), "%s/inc", root);
	rmdir(path);
	rmdir(root);
}

static void
write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int	fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    mode)) == -1 || fchmod(fd, mode) == -1 ||
	    (len > 0 && write(fd, data, len) != (ssize_t)len) ||
	    close(fd) == -1)
		abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	path[PATH_MAX], def[PATH_MAX + 16], tmpl[PATH_MAX];
	size_t	i;

	fuzz_log_quiet();
	/* tmpfs if there is one: a file rewritten per input stays in memory */
	snprintf(tmpl, sizeof(tmpl), "%s/meshd-fuzz-config.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(tmpl) == NULL || realpath(tmpl, root) == NULL)
		abort();
	snprintf(conf_path, sizeof(conf_path), "%s/fuzz.conf", root);
	snprintf(round_path, sizeof(round_path), "%s/round.conf", root);
	snprintf(path, sizeof(path), "%s/inc", root);
	if (mkdir(path, 0755) == -1)
		abort();
	atexit(cleanup);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, files[i].name);
		if (files[i].mode == 0) {
			if (mkdir(path, 0700) == -1)
				abort();
		} else
			write_file(path, files[i].text, strlen(files[i].text),
			    files[i].mode);
	}
	snprintf(path, sizeof(path), "%s/keys/link.psk", root);
	if (symlink("beta.psk", path) == -1)
		abort();
	/* as meshd -D keydir=... and -D port=... */
	snprintf(def, sizeof(def), "keydir=%s/keys", root);
	if (cmdline_symset(def) == -1 || cmdline_symset("port=51820") == -1)
		abort();
	return 0;
}

/* the canonical text of a config, NUL-terminated; the caller frees it */
static char *
print_text(struct meshd_conf *conf, size_t *len)
{
	char	*text = NULL;
	FILE	*fp;

	if ((fp = open_memstream(&text, len)) == NULL)
		abort();
	print_config(fp, conf);
	if (fclose(fp) == EOF)
		abort();
	return text;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct meshd_conf	*conf, *again;
	struct peer_conf	*p;
	struct fz		 f;
	const uint8_t		*text;
	char			*out1, *out2;
	size_t			 len, len1, len2;
	int			 opts;

	fz_init(&f, data, size);
	opts = fz_u8(&f) & 1 ? 0 : CONF_NOKEYCHECK;
	len = fz_take(&f, fz_left(&f), &text);
	write_file(conf_path, text, len, 0644);

	parsing = 1;
	conf = parse_config(conf_path, opts);
	parsing = 0;
	(void)strlen(config_errors());
	if (conf == NULL)
		return 0;
	TAILQ_FOREACH(p, &conf->peers, entry)
		if (config_find_peer_name(conf, p->name) != p)
			abort();	/* names are unique */
	out1 = print_text(conf, &len1);
	write_file(round_path, out1, len1, 0644);
	parsing = 1;
	again = parse_config(round_path, opts);
	parsing = 0;
	if (again == NULL) {
		fprintf(stderr, "fuzz: -nv output does not parse:\n%s\n"
		    "fuzz: errors:\n%s\n", out1, config_errors());
		abort();
	}
	out2 = print_text(again, &len2);
	if (len1 != len2 || memcmp(out1, out2, len1) != 0) {
		fprintf(stderr, "fuzz: -nv output changes when read "
		    "back:\n%s\nfuzz: then:\n%s\n", out1, out2);
		abort();
	}
	free(out1);
	free(out2);
	free_config(again);
	free_config(conf);
	return 0;
}
