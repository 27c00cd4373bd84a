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
 * The command words, as tables of tokens.  A word matches a keyword it
 * equals, or failing that the one keyword it is a prefix of; a table's
 * keywords are kept sorted so that error messages list them in order.
 */

#include <stdio.h>
#include <string.h>

#include "parser.h"

enum token_type {
	NOTOKEN,		/* end of a table */
	KEYWORD,
	PEERNAME,
	FILENAME,
	NUMBER,			/* show peers interval N */
	ARGS,			/* the rest: the command's options (ca.c) */
	ENDTOKEN		/* the command may end here */
};

struct token {
	enum token_type		 type;
	const char		*keyword;
	enum actions		 action;
	const struct token	*next;	/* NULL: the command is complete */
};

/* leaves first: a table can only point at one defined above it */
static const struct token t_peername[] = {
	{ PEERNAME,	"peer name",	SHOW_PEER,	NULL },
	{ NOTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_wgfile[] = {
	{ FILENAME,	"file",		IMPORT_WG,	NULL },
	{ NOTOKEN,	NULL,		NONE,		NULL }
};

/* sign, ca revoke, show cert, show revocations: options of their own */
static const struct token t_args[] = {
	{ ARGS,		"options",	NONE,		NULL },
	{ NOTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_ca[] = {
	{ KEYWORD,	"genkey",	CA_GENKEY,	NULL },
	{ KEYWORD,	"pubkey",	CA_PUBKEY,	NULL },
	{ KEYWORD,	"revoke",	CA_REVOKE,	t_args },
	{ NOTOKEN,	NULL,		NONE,		NULL }
};

/* client add NAME, client remove NAME */
static const struct token t_client_add[] = {
	{ PEERNAME,	"client name",	CLIENT_ADD,	NULL },
	{ NOTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_client_remove[] = {
	{ PEERNAME,	"client name",	CLIENT_REMOVE,	NULL },
	{ NOTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_client[] = {
	{ KEYWORD,	"add",		NONE,		t_client_add },
	{ KEYWORD,	"list",		CLIENT_LIST,	NULL },
	{ KEYWORD,	"remove",	NONE,		t_client_remove },
	{ NOTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_log[] = {
	{ KEYWORD,	"brief",	LOG_BRIEF,	NULL },
	{ KEYWORD,	"verbose",	LOG_VERBOSE,	NULL },
	{ NOTOKEN,	NULL,		NONE,		NULL }
};

/*
 * show peers [sort KEY] [interval N], in either order, each at most
 * once: the tables after one option offer only the other.
 */
static const struct token t_sortkey_end[] = {
	{ KEYWORD,	"handshake",	NONE,		NULL },
	{ KEYWORD,	"name",		NONE,		NULL },
	{ KEYWORD,	"rx",		NONE,		NULL },
	{ KEYWORD,	"tx",		NONE,		NULL },
	{ NOTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_interval_end[] = {
	{ NUMBER,	"seconds",	NONE,		NULL },
	{ NOTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_peers_sort[] = {
	{ ENDTOKEN,	"",		NONE,		NULL },
	{ KEYWORD,	"sort",		NONE,		t_sortkey_end },
	{ NOTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_peers_interval[] = {
	{ ENDTOKEN,	"",		NONE,		NULL },
	{ KEYWORD,	"interval",	NONE,		t_interval_end },
	{ NOTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_sortkey[] = {
	{ KEYWORD,	"handshake",	NONE,		t_peers_interval },
	{ KEYWORD,	"name",		NONE,		t_peers_interval },
	{ KEYWORD,	"rx",		NONE,		t_peers_interval },
	{ KEYWORD,	"tx",		NONE,		t_peers_interval },
	{ NOTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_interval[] = {
	{ NUMBER,	"seconds",	NONE,		t_peers_sort },
	{ NOTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_peers[] = {
	{ ENDTOKEN,	"",		NONE,		NULL },
	{ KEYWORD,	"interval",	NONE,		t_interval },
	{ KEYWORD,	"sort",		NONE,		t_sortkey },
	{ NOTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_show[] = {
	{ KEYWORD,	"cert",		SHOW_CERT,	t_args },
	{ KEYWORD,	"config",	SHOW_CONFIG,	NULL },
	{ KEYWORD,	"dns",		SHOW_DNS,	NULL },
	{ KEYWORD,	"filter",	SHOW_FILTER,	NULL },
	{ KEYWORD,	"mesh",		SHOW_MESH,	NULL },
	{ KEYWORD,	"peer",		NONE,		t_peername },
	{ KEYWORD,	"peers",	SHOW_PEERS,	t_peers },
	{ KEYWORD,	"revocations",	SHOW_CRL,	t_args },
	{ KEYWORD,	"states",	SHOW_STATES,	NULL },
	{ KEYWORD,	"status",	SHOW_STATUS,	NULL },
	{ NOTOKEN,	NULL,		NONE,		NULL }
};

static const struct token t_main[] = {
	{ KEYWORD,	"ca",		NONE,		t_ca },
	{ KEYWORD,	"client",	NONE,		t_client },
	{ KEYWORD,	"genkey",	GENKEY,		NULL },
	{ KEYWORD,	"genpsk",	GENPSK,		NULL },
	{ KEYWORD,	"import-wg",	NONE,		t_wgfile },
	{ KEYWORD,	"log",		NONE,		t_log },
	{ KEYWORD,	"netcheck",	NETCHECK,	NULL },
	{ KEYWORD,	"pubkey",	PUBKEY,		NULL },
	{ KEYWORD,	"reload",	RELOAD,		NULL },
	{ KEYWORD,	"show",		NONE,		t_show },
	{ KEYWORD,	"sign",		CA_SIGN,	t_args },
	{ NOTOKEN,	NULL,		NONE,		NULL }
};

/*
 * Words that are never abbreviated: the admin's commands came after the
 * others, and must take no abbreviation away from them ("s" is still
 * show, "sh c" still show config).
 */
static const char *const full_words[] = {
	"ca", "cert", "revocations", "sign", "states", NULL
};

static struct parse_result	 res;

static int
full_word(const char *keyword)
{
	const char *const	*w;

	for (w = full_words; *w != NULL; w++)
		if (strcmp(*w, keyword) == 0)
			return 1;
	return 0;
}

/* the words may end at table */
static int
table_may_end(const struct token *table)
{
	const struct token	*t;

	if (table == NULL)
		return 1;
	for (t = table; t->type != NOTOKEN; t++)
		if (t->type == ENDTOKEN)
			return 1;
	return 0;
}

static enum peer_sort
sort_key(const char *word)
{
	if (strcmp(word, "name") == 0)
		return SORT_NAME;
	if (strcmp(word, "handshake") == 0)
		return SORT_HANDSHAKE;
	if (strcmp(word, "rx") == 0)
		return SORT_RX;
	return SORT_TX;
}

/* show peers interval N: 1 to INTERVAL_MAX seconds */
static int
parse_interval(const char *word, char *err, size_t errlen)
{
	const char	*p;
	long		 n = 0;

	for (p = word; *p >= '0' && *p <= '9' && n <= INTERVAL_MAX; p++)
		n = n * 10 + (*p - '0');
	if (p == word || *p != '\0' || n < 1 || n > INTERVAL_MAX) {
		(void)snprintf(err, errlen, "interval \"%s\": not a number "
		    "of seconds from 1 to %d", word, INTERVAL_MAX);
		return -1;
	}
	res.interval = n;
	return 0;
}

int
parse_json(void)
{
	return res.json;
}

void
parse_set_qr(void)
{
	res.qr = 1;
}

static void
list_words(const struct token *table, const char *prefix, char *buf,
    size_t len)
{
	const struct token	*t;
	size_t			 plen;

	if (prefix == NULL)
		prefix = "";
	plen = strlen(prefix);
	buf[0] = '\0';
	for (t = table; t->type != NOTOKEN; t++) {
		if (t->type != KEYWORD ||
		    strncmp(t->keyword, prefix, plen) != 0 ||
		    (plen > 0 && full_word(t->keyword)))
			continue;
		if (buf[0] != '\0')
			(void)strlcat(buf, " ", len);
		(void)strlcat(buf, t->keyword, len);
	}
}

static const struct token *
match_token(const struct token *table, const char *word, const char *ctx,
    char *err, size_t errlen)
{
	const struct token	*t, *match = NULL, *name = NULL;
	char			 words[128];
	size_t			 len = strlen(word);
	int			 n = 0;

	for (t = table; t->type != NOTOKEN; t++) {
		switch (t->type) {
		case KEYWORD:
			if (strcmp(word, t->keyword) == 0)
				return t;
			if (len > 0 && strncmp(word, t->keyword, len) == 0 &&
			    !full_word(t->keyword)) {
				match = t;
				n++;
			}
			break;
		case PEERNAME:
		case FILENAME:
		case NUMBER:
			name = t;
			break;
		case ARGS:
		case NOTOKEN:
		case ENDTOKEN:
			break;
		}
	}
	if (n == 1)
		return match;
	if (n == 0 && name != NULL)
		return name;

	if (n == 0) {
		list_words(table, NULL, words, sizeof(words));
		if (ctx[0] == '\0')
			(void)snprintf(err, errlen, "unknown command \"%s\"; "
			    "valid commands: %s", word, words);
		else
			(void)snprintf(err, errlen, "unknown argument \"%s\" "
			    "after \"%s\"; valid arguments: %s", word, ctx,
			    words);
	} else {
		list_words(table, word, words, sizeof(words));
		if (ctx[0] == '\0')
			(void)snprintf(err, errlen, "ambiguous command \"%s\"; "
			    "could be: %s", word, words);
		else
			(void)snprintf(err, errlen, "ambiguous argument \"%s\" "
			    "after \"%s\"; could be: %s", word, ctx, words);
	}
	return NULL;
}

const struct parse_result *
parse(int argc, char *argv[], char *err, size_t errlen)
{
	const struct token	*table = t_main, *t;
	char			 ctx[64] = "", words[128];
	int			 i, flags = 1;

	memset(&res, 0, sizeof(res));
	for (i = 0; i < argc; i++) {
		/* the command reads the rest itself, "-j" and "--" too */
		if (table != NULL && table[0].type == ARGS) {
			res.args = argv + i;
			res.nargs = argc - i;
			return &res;
		}
		if (flags && strcmp(argv[i], "--") == 0) {
			flags = 0;
			continue;
		}
		if (flags && strcmp(argv[i], "-j") == 0) {
			res.json = 1;
			continue;
		}
		if (flags && strcmp(argv[i], "-q") == 0) {
			res.qr = 1;
			continue;
		}
		/* where getopt stopped early: -d DIR (import-wg) */
		if (flags && strcmp(argv[i], "-d") == 0 && i + 1 < argc) {
			res.keydir = argv[++i];
			continue;
		}
		if (table == NULL) {
			(void)snprintf(err, errlen, "unexpected argument "
			    "\"%s\" after \"%s\"", argv[i], ctx);
			return NULL;
		}
		if ((t = match_token(table, argv[i], ctx, err, errlen)) == NULL)
			return NULL;
		if (t->type == PEERNAME) {
			if (argv[i][0] == '\0') {
				(void)snprintf(err, errlen, "empty %s",
				    t->keyword);
				return NULL;
			}
			if (strlcpy(res.peer, argv[i], sizeof(res.peer)) >=
			    sizeof(res.peer)) {
				(void)snprintf(err, errlen, "%s too long (at "
				    "most %zu characters)", t->keyword,
				    sizeof(res.peer) - 1);
				return NULL;
			}
		} else if (t->type == FILENAME) {
			if (argv[i][0] == '\0') {
				(void)snprintf(err, errlen, "empty file name");
				return NULL;
			}
			res.file = argv[i];
		} else if (t->type == NUMBER) {
			if (parse_interval(argv[i], err, errlen) == -1)
				return NULL;
			(void)strlcat(ctx, " ", sizeof(ctx));
			(void)strlcat(ctx, argv[i], sizeof(ctx));
		} else {
			if (table == t_sortkey || table == t_sortkey_end)
				res.sort = sort_key(t->keyword);
			if (ctx[0] != '\0')
				(void)strlcat(ctx, " ", sizeof(ctx));
			(void)strlcat(ctx, t->keyword, sizeof(ctx));
		}
		if (t->action != NONE)
			res.action = t->action;
		table = t->next;
	}

	if (table != NULL && table[0].type == ARGS) {
		res.args = argv + argc;
		res.nargs = 0;
		return &res;
	}
	if (!table_may_end(table)) {
		if (table[0].type == PEERNAME || table[0].type == FILENAME ||
		    table[0].type == NUMBER)
			(void)snprintf(err, errlen, "missing %s after \"%s\"",
			    table[0].keyword, ctx);
		else {
			list_words(table, NULL, words, sizeof(words));
			if (ctx[0] == '\0')
				(void)snprintf(err, errlen, "missing command; "
				    "valid commands: %s", words);
			else
				(void)snprintf(err, errlen, "missing argument "
				    "after \"%s\"; valid arguments: %s", ctx,
				    words);
		}
		return NULL;
	}
	return &res;
}
