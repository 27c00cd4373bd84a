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
 * meshctl's command line: token tables that accept any unambiguous prefix
 * of a word, an exact match winning over a longer word it prefixes.
 */

#ifndef MESHCTL_PARSER_H
#define MESHCTL_PARSER_H

#include <stddef.h>

#include "meshd.h"

enum actions {
	NONE,
	GENKEY,
	GENPSK,
	PUBKEY,
	RELOAD,
	LOG_VERBOSE,
	LOG_BRIEF,
	SHOW_STATUS,
	SHOW_PEERS,
	SHOW_PEER,
	IMPORT_WG,
	SHOW_CONFIG,
	SHOW_MESH,
	CA_GENKEY,		/* the admin's offline commands (ca.c) */
	CA_PUBKEY,
	CA_REVOKE,
	CA_SIGN,
	SHOW_CERT,
	SHOW_CRL,
	NETCHECK,
	SHOW_DNS,
	SHOW_FILTER,
	SHOW_STATES,
	CLIENT_ADD,		/* the concentrator's clients (clients.c) */
	CLIENT_LIST,
	CLIENT_REMOVE
};

/* show peers sort KEY */
enum peer_sort {
	SORT_NONE,		/* meshd's order */
	SORT_NAME,
	SORT_HANDSHAKE,		/* the latest first */
	SORT_RX,		/* the most first */
	SORT_TX
};

#define INTERVAL_MAX	3600	/* show peers interval N: seconds */

struct parse_result {
	enum actions	 action;
	char		 peer[MESH_NAME_MAX];	/* SHOW_PEER, CLIENT_* */
	int		 qr;			/* CLIENT_ADD -q */
	int		 json;			/* a "-j" among the words */
	const char	*file;			/* IMPORT_WG: an argv word */
	const char	*keydir;		/* IMPORT_WG: "-d DIR" */
	enum peer_sort	 sort;			/* SHOW_PEERS */
	int		 interval;		/* SHOW_PEERS: 0, or seconds */
	/*
	 * CA_REVOKE, CA_SIGN, SHOW_CERT, SHOW_CRL: the words after the
	 * command's own, its options and operands (ca.c reads them)
	 */
	char		**args;
	int		 nargs;
};

/*
 * Parses the words after the options.  The word "-j" anywhere among them
 * (before a "--") sets json.  Returns a pointer to a static result, or
 * NULL with a one-line message (no program name, no newline) in err.
 */
const struct parse_result *parse(int, char *[], char *, size_t);
/* whether the words of the latest parse() had a "-j", even if it failed */
int	parse_json(void);
/* meshctl's getopt saw -q (client add's QR code) */
void	parse_set_qr(void);

#endif /* MESHCTL_PARSER_H */
