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
 * meshctl import-wg's reader, meshctl/importwg.c: the input is a whole
 * wg-quick file.  What it accepts is printed as meshd.conf; that text must
 * carry no key (neither the private nor any preshared key's base64), no
 * control character but newline and tab, and must be read by meshd's own
 * parser (meshd-parent/parse.y, key files not checked) as a configuration
 * with as many peers.  Host names in endpoints are never looked up: the
 * parser's getaddrinfo is wrapped to answer every name with 192.0.2.1.
 * Nothing is written but the scratch file holding the output.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/queue.h>

#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"
#include "importwg.h"
#include "wgkey.h"

int	 __real_getaddrinfo(const char *, const char *,
	    const struct addrinfo *, struct addrinfo **);
int	 __wrap_getaddrinfo(const char *, const char *,
	    const struct addrinfo *, struct addrinfo **);

static char	 out_path[PATH_MAX];
static FILE	*devnull;

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
	if (__real_getaddrinfo(host, serv, &h, res) == 0)
		return 0;
	return __real_getaddrinfo("192.0.2.1", serv, &h, res);
}

static void
cleanup(void)
{
	unlink(out_path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int	fd;

	fuzz_log_quiet();
	snprintf(out_path, sizeof(out_path), "%s/meshd-fuzz-importwg.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if ((fd = mkstemp(out_path)) == -1)
		abort();
	close(fd);
	atexit(cleanup);
	if ((devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	return 0;
}

/* a secret that is also a peer's public key may show as that */
static int
is_public(const struct wgi_conf *conf, const char *b64)
{
	size_t	i;

	for (i = 0; i < conf->npeers; i++)
		if (strcmp(conf->peers[i].pubkey, b64) == 0)
			return 1;
	return 0;
}

/* no secret key of conf's, in base64, anywhere in text */
static void
no_keys(const struct wgi_conf *conf, const char *text)
{
	char	b64[WG_KEY_B64_LEN + 1];
	size_t	i;

	wg_key_to_base64(b64, conf->priv);
	if (strstr(text, b64) != NULL && !is_public(conf, b64))
		abort();
	for (i = 0; i < conf->npeers; i++) {
		if (!conf->peers[i].has_psk)
			continue;
		wg_key_to_base64(b64, conf->peers[i].psk);
		if (strstr(text, b64) != NULL && !is_public(conf, b64))
			abort();
	}
}

static void
check_output(const struct wgi_conf *conf, const char *text, size_t len)
{
	struct meshd_conf	*mc;
	struct peer_conf	*p;
	FILE			*f;
	size_t			 i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)text[i] < 0x20 && text[i] != '\n' &&
		    text[i] != '\t') || text[i] == 0x7f)
			abort();
	no_keys(conf, text);
	if ((f = fopen(out_path, "w")) == NULL)
		abort();
	if (fwrite(text, 1, len, f) != len || fclose(f) != 0)
		abort();
	if ((mc = parse_config(out_path, CONF_NOKEYCHECK)) == NULL) {
		/* meshd's own rules beyond the syntax are meshd -n's to tell */
		if (strstr(config_errors(), "syntax error") == NULL)
			return;
		fprintf(stderr, "fuzz: import-wg output does not parse:\n%s\n"
		    "fuzz: errors:\n%s\n", text, config_errors());
		abort();
	}
	TAILQ_FOREACH(p, &mc->peers, entry)
		n++;
	if (n != conf->npeers)
		abort();
	free_config(mc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wgi_conf	 conf;
	FILE		*in, *out;
	char		*text = NULL, *copy;
	size_t		 len = 0;

	if (size == 0)
		return 0;
	/* fmemopen(3) takes a non-const buffer, even to read */
	if ((copy = malloc(size)) == NULL)
		abort();
	memcpy(copy, data, size);
	if ((in = fmemopen(copy, size, "r")) == NULL)
		abort();
	if (wgi_parse(&conf, "/etc/wireguard/wg0.conf", in, devnull) == 0) {
		if ((out = open_memstream(&text, &len)) == NULL)
			abort();
		wgi_print(&conf, "/etc/meshd", out);
		if (fclose(out) != 0)
			abort();
		check_output(&conf, text, len);
		free(text);
	}
	fclose(in);
	free(copy);
	wgi_free(&conf);
	return 0;
}
