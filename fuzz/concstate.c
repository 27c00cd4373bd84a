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
 * The concentrator's state file, line by line (meshd-parent/concentrator.c
 * conc_state_line), as the parent reads it at every start and reload.
 *
 * Input: the bytes of a file; each line is parsed on its own.
 *
 * What must hold: a line that parses gives a client whose name passes
 * conc_name_ok, with one or two host addresses of different families; a
 * line that does not gives a reason.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "concentrator.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_quiet();
	return 0;
}

static void
check_line(char *line)
{
	struct conc_client	 c;
	const char		*why;
	size_t			 i;

	if ((why = conc_state_line(line, &c)) != NULL) {
		if (why[0] == '\0')
			abort();
		return;
	}
	if (!conc_name_ok(c.name) || c.naddrs < 1 ||
	    c.naddrs > CONC_POOL_MAX)
		abort();
	for (i = 0; i < c.naddrs; i++)
		if (c.addrs[i].plen != (c.addrs[i].af == 4 ? 32 : 128))
			abort();
	if (c.naddrs == 2 && c.addrs[0].af == c.addrs[1].af)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*buf, *line, *next;

	if ((buf = malloc(size + 1)) == NULL)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (line = buf; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		check_line(line);
	}
	free(buf);
	return 0;
}
