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
 * genkey, genpsk and pubkey: keys as 44 characters of base64 and a
 * newline, exactly as wg(8) prints them.  The text goes out with write(2)
 * rather than stdio, so no copy of a secret stays in a stdio buffer, and
 * every buffer that held key bytes is wiped.
 */

#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "meshctl.h"
#include "wgkey.h"

static int
write_key(int fd, const uint8_t key[WG_KEY_LEN])
{
	char	 line[WG_KEY_B64_LEN + 2];
	size_t	 off = 0, len = WG_KEY_B64_LEN + 1;
	ssize_t	 n;
	int	 ret = 0;

	wg_key_to_base64(line, key);
	line[WG_KEY_B64_LEN] = '\n';
	while (off < len) {
		if ((n = write(fd, line + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			warn("write");
			ret = 1;
			break;
		}
		off += n;
	}
	explicit_bzero(line, sizeof(line));
	return ret;
}

static int
generate(int fd, int (*gen)(uint8_t [WG_KEY_LEN]))
{
	uint8_t	key[WG_KEY_LEN];
	int	ret;

	if (gen(key) == -1) {
		warnx("cannot generate a key: the random source failed");
		return 1;
	}
	ret = write_key(fd, key);
	explicit_bzero(key, sizeof(key));
	return ret;
}

int
keys_genkey(int fd)
{
	return generate(fd, wg_key_generate_private);
}

int
keys_genpsk(int fd)
{
	return generate(fd, wg_key_generate_psk);
}

int
keys_pubkey(int in, int out)
{
	uint8_t		 priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	const char	*errstr;
	int		 ret = 1;

	if (wg_key_read_fd(in, priv, &errstr) == -1)
		warnx("invalid private key on standard input");
	else if (wg_key_public(pub, priv) == -1)
		warnx("cannot compute the public key");
	else
		ret = write_key(out, pub);
	explicit_bzero(priv, sizeof(priv));
	explicit_bzero(pub, sizeof(pub));
	return ret;
}
