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
 * meshd.conf(5): a yacc grammar and its lexer, in the shape of the
 * OpenBSD daemons' parse.y.  Statements end at a newline; "include" files
 * nest; "name = value" defines a macro, used as $name; every error is
 * logged as "file:line: message" and parsing goes on, so that one run
 * shows all of them.  What the values mean is checked in config.c, as
 * they are read; the messages are made here.  The parent never reads key
 * bytes: key files are only checked with lstat(2) (config.c) and opened
 * later by keys.c.
 */

%{
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "concentrator.h"
#include "config.h"
#include "filter.h"
#include "filterconf.h"
#include "log.h"
#include "route.h"
#include "wgkey.h"

#define INCLUDE_DEPTH_MAX	16
#define ERRBUF_MAX		4096
#define MACRO_VALUE_MAX		1024
#define TOKEN_MAX		4096

/* the open files: file is the one being read, parent is its includer */
struct file {
	TAILQ_ENTRY(file)	 entry;		/* every file of this parse */
	struct file		*parent;
	FILE			*stream;
	char			*name;		/* as shown in messages */
	char			*dir;		/* absolute: relative names */
	dev_t			 dev;
	ino_t			 ino;
	int			 lineno;
	int			 nl_pending;	/* count a line at next char */
};
static TAILQ_HEAD(, file)	 files = TAILQ_HEAD_INITIALIZER(files);
static struct file		*file, *topfile, *pending_include;

/* macros: -D ones persist across parses and win over the file's */
struct sym {
	TAILQ_ENTRY(sym)	 entry;
	int			 persist;
	char			*name;
	char			*value;
};
static TAILQ_HEAD(, sym)	 symhead = TAILQ_HEAD_INITIALIZER(symhead);

enum block {
	BLOCK_NONE,
	BLOCK_IFACE,
	BLOCK_PEER,
	BLOCK_MESH,
	BLOCK_COORD,		/* a coordinator, inside the mesh block */
	BLOCK_RELAY,		/* serve relay, inside the mesh block */
	BLOCK_CONC		/* serve concentrator, in the interface's */
};

/* options of a block, for "given twice" */
enum opt {
	OPT_ADDRESS,
	OPT_MTU,
	OPT_LISTENPORT,
	OPT_PRIVKEY,
	OPT_USER,
	OPT_PUBKEY,
	OPT_PSK,
	OPT_ENDPOINT,
	OPT_KEEPALIVE,
	OPT_TABLE,
	OPT_RESOLVE,
	OPT_CA,
	OPT_CERTFILE,
	OPT_CRLFILE,
	OPT_SERVE,
	OPT_PORTMAP,
	OPT_PROBE,
	OPT_SSH,
	OPT_DOMAIN,
	OPT_TTL,
	OPT_EXITNODE,
	OPT_EXITFALLBACK,
	OPT_SERVEEXIT,
	OPT_TLSCERT,
	OPT_TLSKEY,
	OPT_SITEDIR,
	OPT_COORDRELAY,
	OPT_OBFS,
	OPT_OBFSJUNK,
	OPT_OBFSJITTER,
	OPT_MAX
};

/* the block being read */
struct blk_state {
	enum block		 kind;
	int			 open;		/* its '{' was seen */
	const char		*name;		/* as written */
	const char		*fname;
	int			 line;
	int			 seen[OPT_MAX];	/* line of the first use */
	int			 obfs_pad_line[MESH_OBFS_NPAD];
	int			 v6line;	/* line of an IPv6 address */
	int			 key_ok;
	struct iface_conf	*iface;
	struct iface_conf	 scratch;	/* a second interface */
	struct peer_conf	*peer;	/* a peer's or a coordinator's */
	struct mesh_conf	*mesh;
	int			 ca_ok;		/* the mesh's ca is valid */
	struct conc_conf	*conc;		/* serve concentrator's */
};
static struct blk_state		 blk;
/* the mesh block while one of its coordinator blocks is read */
static struct blk_state		 outer;

static struct meshd_conf	*conf;
static int			 conf_opts;
static int			 nerrors;
static const char		*iface_fname;
static int			 iface_line;
static int			 iface_mtu_line;	/* 0: the default */
static const char		*mesh_fname;
static int			 mesh_line;
static char			 obfs_peer_at[PATH_MAX + 16];	/* the first peer
							   obfuscation on */
static struct mesh_conf		 mesh_scratch;	/* a second mesh block */
static int			 statedir_line;
/* a peer's ssh line had identity-file (maybe wrong: said so already) */
static int			 ssh_id_given;
/* where the mesh's certificate-file is, for the interface's addresses */
static const char		*mesh_cert_fname;
static int			 mesh_cert_line;
static char			 errbuf[ERRBUF_MAX];
static size_t			 errlen;
static int			 errtrunc;
/* the warnings, newline-separated, for config_warnings(); cut if long */
static char			 warnbuf[ERRBUF_MAX];

/* strings handed to the grammar, freed at the end of a parse */
static char			**pool;
static size_t			 npool, poolsize;

/* lexer state */
static int			 pushback[8];
static int			 npushback;
static int			 last_tok = '\n';
static int			 at_line_start = 1;
static int			 line_ntok;
static int			 line_first, line_second;
static int			 line_first_quoted;
static char			 line_first_text[64];
static char			 tok_text[64];
static int			 brace_depth;
static int			 skip_block;
static int			 skip_depth;	/* skip_block ends at it */
static int			 lex_error_reported;
static int			 in_filter;	/* the filter block's words */
static int			 filter_line;

int		 yyparse(void);
int		 yylex(void);
void		 yyerror(const char *);

static void	 conf_vlog(int, const char *, int, const char *, const char *,
		    va_list) __attribute__((__format__ (printf, 5, 0)));
static char	*pool_strdup(const char *);
static void	 pool_free(void);
static int	 lookup(const char *);
static const struct keyword *keyword_by_token(int);
static int	 file_getc(void);
static int	 lgetc(int);
static void	 lungetc(int);
static int	 token(int, const char *, int);
static int	 read_macro(char *, size_t *, size_t, int);
static struct file *pushfile(const char *, const char *, int);
static int	 popfile(void);
static void	 free_files(void);
static int	 symset(const char *, const char *, int);
static const char *symget(const char *);
static void	 symclear(int);
static int	 valid_macro_name(const char *);
static int	 resolve_path(const char *, char *, size_t);
static void	 check_keyfile(const char *);
static void	 check_user(const char *, int, const char *);
static const char *check_conffile(const struct stat *, char *, size_t);
static int	 opt_once(enum opt, const char *);
static void	 do_include(const char *);
static void	 do_varset(const char *, const char *);
static void	 block_start(enum block, const char *);
static void	 block_abort(void);
static void	 iface_begin(const char *);
static void	 iface_end(void);
static void	 iface_address(const char *);
static void	 iface_mtu(const char *);
static void	 iface_port(const char *);
static void	 iface_keyfile(const char *);
static void	 iface_user(const char *);
static void	 iface_table(const char *);
static void	 iface_resolve(const char *);
static void	 control_socket(const char *);
static void	 peer_begin(const char *);
static void	 peer_end(void);
static void	 peer_pubkey(const char *);
static void	 peer_psk(const char *);
static void	 peer_endpoint(const char *);
static void	 coord_relay(const char *);
static void	 peer_aip(const char *);
static void	 peer_keepalive(const char *);
static void	 mesh_begin(const char *);
static void	 mesh_end(void);
static void	 mesh_recover(void);
static void	 mesh_ca(const char *);
static void	 mesh_certfile(const char *);
static void	 mesh_crlfile(const char *);
static void	 mesh_serve(void);
static void	 mesh_serve_what(const char *);
static void	 mesh_exit_node(const char *);
static void	 mesh_announce(const char *);
static void	 mesh_announce_check(struct mesh_conf *);
static void	 mesh_exit_fallback(const char *);
static void	 mesh_exit_check(struct mesh_conf *);
static void	 conc_begin(void);
static void	 conc_end(void);
static void	 conc_abort(void);
static void	 iface_recover(void);
static void	 state_directory(const char *);
static void	 relay_begin(void);
static void	 relay_end(void);
static void	 relay_listen(const char *);
static void	 relay_file(enum opt, const char *, const char *, char *);
static void	 mesh_stun(const char *);
static void	 mesh_portmap(const char *);
static void	 mesh_obfs_defaults(uint16_t [MESH_OBFS_NPAD][2]);
static void	 obfs_onoff(const char *);
static void	 obfs_padding(const char *, const char *, const char *);
static void	 obfs_number(enum opt, const char *, const char *, int,
		    uint16_t *);
static void	 stream_begin(const char *);
static void	 stream_end(void);
static void	 filter_begin(void);
static void	 filter_end(void);
static void	 stream_listen(const char *);
static void	 metrics_listen(const char *);
static void	 iface_probe(const char *);
static void	 peer_ssh(const char *);
static void	 peer_ssh_opt(int, const char *);
static void	 mesh_domain(const char *);
static void	 mesh_ttl(const char *);
static void	 coord_begin(const char *);
static void	 coord_end(void);
static void	 coord_abort(void);
%}

%union {
	char	*string;
}

%token	CONTROLSOCKET RESTRICTED
%token	ADDRESS ALLOWEDIPS ENDPOINT INCLUDE INTERFACE LISTENPORT MTU PEER
%token	PERSISTENTKEEPALIVE PRESHAREDKEYFILE PRIVATEKEYFILE PUBLICKEY USER
%token	RESOLVEINTERVAL TABLE
%token	CA CERTIFICATEFILE COORDINATOR MESH REVOCATIONFILE SERVE
%token	PORTMAPPING STUN
%token	EXITNODE EXITNODEFALLBACK ANNOUNCE
%token	IDENTITYFILE KNOWNHOSTSFILE LISTEN PROBEINTERVAL REMOTESTREAM SSH
%token	RELAY SITEDIRECTORY TLSCERTFILE TLSKEYFILE
%token	DOMAIN TTL
%token	OBFUSCATION OBFUSCATIONJITTER OBFUSCATIONJUNK OBFUSCATIONPADDING
%token	FILTER
%token	METRICSLISTEN
%token	ADDRESSPOOL CONCENTRATOR STATEDIRECTORY
%token	ERROR
%token	<string>	STRING

%%

grammar		: /* empty */
		| grammar '\n'
		| grammar include '\n'
		| grammar varset '\n'
		| grammar interface '\n'
		| grammar peer '\n'
		| grammar mesh '\n'
		| grammar ctlsock '\n'
		| grammar servestream '\n'
		| grammar filter '\n'
		| grammar metrics '\n'
		| grammar statedir '\n'
		| grammar error '\n'		{
			block_abort();
			/* a broken block header: skip to its '}' */
			if (brace_depth > 0) {
				skip_block = 1;
				skip_depth = 0;
			}
			yyerrok;
		}
		;

/*
 * serve stream, at top level: the SSH transport serves plain peer blocks
 * as well as members, so it does not need a mesh
 */
servestream	: SERVE STRING			{ stream_begin($2); }
		    optnl '{' optnl streambody '}'	{ stream_end(); }
		;

streambody	: streamopts_l
		| streamopts_l streamopt
		;

streamopts_l	: /* empty */
		| streamopts_l streamopt nl
		| streamopts_l error nl		{ yyerrok; }
		;

streamopt	: LISTEN STRING			{ stream_listen($2); }
		;

/*
 * The filter block: its lines are words and braced lists, read by
 * filterconf.c (the lexer makes no keywords inside it)
 */
filter		: FILTER			{ filter_begin(); }
		    optnl '{' optnl filterbody '}'	{ filter_end(); }
		;

filterbody	: frules_l
		| frules_l frule
		;

frules_l	: /* empty */
		| frules_l frule nl
		| frules_l error nl		{
			filter_conf_abort();
			yyerrok;
		}
		;

frule		: fitems			{ filter_conf_line(); }
		;

fitems		: fitem
		| fitems fitem
		;

fitem		: STRING			{ filter_conf_word($1); }
		| ','
		| '{'				{ filter_conf_list(1); }
		    flist '}'			{ filter_conf_list(0); }
		;

flist		: /* empty */
		| flist STRING			{ filter_conf_word($2); }
		| flist ','
		;

/* only the restricted kind: the main socket is meshd -s */
ctlsock		: CONTROLSOCKET STRING RESTRICTED { control_socket($2); }
		;

metrics		: METRICSLISTEN STRING		{ metrics_listen($2); }
		;

include		: INCLUDE STRING		{ do_include($2); }
		;

statedir	: STATEDIRECTORY STRING		{ state_directory($2); }
		;

varset		: STRING '=' STRING		{ do_varset($1, $3); }
		;

optnl		: '\n' optnl
		| /* empty */
		;

nl		: '\n' optnl
		;

interface	: INTERFACE STRING		{ iface_begin($2); }
		    optnl '{'			{ blk.open = 1; }
		    optnl ifbody '}'		{ iface_end(); }
		;

ifbody		: ifopts_l
		| ifopts_l ifopt
		;

ifopts_l	: /* empty */
		| ifopts_l ifopt nl
		| ifopts_l error nl		{ iface_recover(); yyerrok; }
		;

ifopt		: ADDRESS STRING		{ iface_address($2); }
		| MTU STRING			{ iface_mtu($2); }
		| LISTENPORT STRING		{ iface_port($2); }
		| PRIVATEKEYFILE STRING		{ iface_keyfile($2); }
		| USER STRING			{ iface_user($2); }
		| TABLE STRING			{ iface_table($2); }
		| RESOLVEINTERVAL STRING	{ iface_resolve($2); }
		| PROBEINTERVAL STRING		{ iface_probe($2); }
		| conc
		;

/* serve concentrator { ... }: its '{' on the same line, as serve relay */
conc		: SERVE CONCENTRATOR		{ conc_begin(); }
		    '{'				{ blk.open = 1; }
		    optnl concbody '}'		{ conc_end(); }
		;

concbody	: concopts_l
		| concopts_l concopt
		;

concopts_l	: /* empty */
		| concopts_l concopt nl
		| concopts_l error nl		{ yyerrok; }
		;

concopt		: ADDRESSPOOL poollist
		| ENDPOINT STRING		{
			if (opt_once(OPT_ENDPOINT, "endpoint"))
				conc_conf_endpoint(blk.conc, $2);
		}
		;

poollist	: STRING		{ conc_conf_pool(blk.conc, $1); }
		| poollist ',' optnl STRING {
			conc_conf_pool(blk.conc, $4);
		}
		;

peer		: PEER STRING			{ peer_begin($2); }
		    optnl '{'			{ blk.open = 1; }
		    optnl peerbody '}'		{ peer_end(); }
		;

peerbody	: peeropts_l
		| peeropts_l peeropt
		;

peeropts_l	: /* empty */
		| peeropts_l peeropt nl
		| peeropts_l error nl		{ yyerrok; }
		;

peeropt		: PUBLICKEY STRING		{ peer_pubkey($2); }
		| PRESHAREDKEYFILE STRING	{ peer_psk($2); }
		| ENDPOINT STRING		{ peer_endpoint($2); }
		| ALLOWEDIPS aiplist
		| PERSISTENTKEEPALIVE STRING	{ peer_keepalive($2); }
		| SSH STRING			{ peer_ssh($2); } sshopts
		| OBFUSCATION STRING		{ obfs_onoff($2); }
		;

sshopts		: /* empty */
		| sshopts sshopt
		;

sshopt		: IDENTITYFILE STRING	{ peer_ssh_opt(IDENTITYFILE, $2); }
		| KNOWNHOSTSFILE STRING	{ peer_ssh_opt(KNOWNHOSTSFILE, $2); }
		| REMOTESTREAM STRING	{ peer_ssh_opt(REMOTESTREAM, $2); }
		;

aiplist		: STRING			{ peer_aip($1); }
		| aiplist ',' optnl STRING	{ peer_aip($4); }
		;

/*
 * The mesh block holds coordinator blocks, so its lines end in '\n' by
 * themselves (not nl): an error in a coordinator's header is then over
 * at its line's end, before the next token is read, and what is left of
 * that coordinator can be skipped (mesh_recover).
 */
mesh		: MESH STRING			{ mesh_begin($2); }
		    optnl '{'			{ blk.open = 1; }
		    meshbody '}'		{ mesh_end(); }
		;

meshbody	: meshopts_l
		| meshopts_l meshopt
		;

meshopts_l	: /* empty */
		| meshopts_l '\n'
		| meshopts_l meshopt '\n'
		| meshopts_l error '\n'		{ mesh_recover(); yyerrok; }
		;

meshopt		: CA STRING			{ mesh_ca($2); }
		| CERTIFICATEFILE STRING	{ mesh_certfile($2); }
		| REVOCATIONFILE STRING		{ mesh_crlfile($2); }
		| SERVE COORDINATOR		{ mesh_serve(); }
		| SERVE STRING			{ mesh_serve_what($2); }
		| SERVE CONCENTRATOR		{
			blk_error("serve concentrator goes in the interface "
			    "block, not the mesh block");
		}
		| relay
		| STUN STRING			{ mesh_stun($2); }
		| PORTMAPPING STRING		{ mesh_portmap($2); }
		| DOMAIN STRING			{ mesh_domain($2); }
		| TTL STRING			{ mesh_ttl($2); }
		| EXITNODE STRING		{ mesh_exit_node($2); }
		| EXITNODEFALLBACK STRING	{ mesh_exit_fallback($2); }
		| ANNOUNCE STRING		{ mesh_announce($2); }
		| OBFUSCATION STRING		{ obfs_onoff($2); }
		| OBFUSCATIONPADDING STRING STRING STRING {
			obfs_padding($2, $3, $4);
		}
		| OBFUSCATIONJUNK STRING	{
			obfs_number(OPT_OBFSJUNK, "obfuscation-junk", $2,
			    MESH_OBFS_JUNK_MAX, &blk.mesh->obfs_junk);
		}
		| OBFUSCATIONJITTER STRING	{
			obfs_number(OPT_OBFSJITTER, "obfuscation-jitter", $2,
			    MESH_OBFS_JITTER_MAX, &blk.mesh->obfs_jitter);
		}
		| RELAY STRING			{
			blk_error("relay \"%s\" belongs in the block of the "
			    "coordinator that serves it", $2);
		}
		| coordinator
		;

/* its '{' on the same line: a bare "serve relay" is over at its end */
relay		: SERVE RELAY			{ relay_begin(); }
		    '{'				{ blk.open = 1; }
		    optnl relaybody '}'		{ relay_end(); }
		;

relaybody	: relayopts_l
		| relayopts_l relayopt
		;

relayopts_l	: /* empty */
		| relayopts_l relayopt nl
		| relayopts_l error nl		{ yyerrok; }
		;

relayopt	: LISTEN STRING			{ relay_listen($2); }
		| TLSCERTFILE STRING		{
			relay_file(OPT_TLSCERT, "tls-certificate-file", $2,
			    blk.mesh->relay.cert_file);
		}
		| TLSKEYFILE STRING		{
			relay_file(OPT_TLSKEY, "tls-key-file", $2,
			    blk.mesh->relay.key_file);
		}
		| SITEDIRECTORY STRING		{
			relay_file(OPT_SITEDIR, "site-directory", $2,
			    blk.mesh->relay.site_dir);
		}
		;

coordinator	: COORDINATOR STRING		{ coord_begin($2); }
		    optnl '{'			{ blk.open = 1; }
		    optnl coordbody '}'		{ coord_end(); }
		;

coordbody	: coordopts_l
		| coordopts_l coordopt
		;

coordopts_l	: /* empty */
		| coordopts_l coordopt nl
		| coordopts_l error nl		{ yyerrok; }
		;

coordopt	: PUBLICKEY STRING		{ peer_pubkey($2); }
		| ENDPOINT STRING		{ peer_endpoint($2); }
		| PERSISTENTKEEPALIVE STRING	{ peer_keepalive($2); }
		| RELAY STRING			{ coord_relay($2); }
		| SSH STRING			{ peer_ssh($2); } sshopts
		| OBFUSCATION STRING		{ obfs_onoff($2); }
		;

%%

struct keyword {
	const char	*name;
	int		 token;
	enum block	 where;
};

/* sorted for bsearch(3) */
static const struct keyword keywords[] = {
	{ "address",			ADDRESS,		BLOCK_IFACE },
	{ "address-pool",		ADDRESSPOOL,		BLOCK_CONC },
	{ "allowed-ips",		ALLOWEDIPS,		BLOCK_PEER },
	{ "announce",			ANNOUNCE,		BLOCK_MESH },
	{ "ca",				CA,			BLOCK_MESH },
	{ "certificate-file",		CERTIFICATEFILE,	BLOCK_MESH },
	{ "concentrator",		CONCENTRATOR,		BLOCK_IFACE },
	{ "control-socket",		CONTROLSOCKET,		BLOCK_NONE },
	{ "coordinator",		COORDINATOR,		BLOCK_MESH },
	{ "domain",			DOMAIN,			BLOCK_MESH },
	{ "endpoint",			ENDPOINT,		BLOCK_PEER },
	{ "exit-node",			EXITNODE,		BLOCK_MESH },
	{ "exit-node-fallback",		EXITNODEFALLBACK,	BLOCK_MESH },
	{ "filter",			FILTER,			BLOCK_NONE },
	{ "identity-file",		IDENTITYFILE,		BLOCK_PEER },
	{ "include",			INCLUDE,		BLOCK_NONE },
	{ "interface",			INTERFACE,		BLOCK_NONE },
	{ "known-hosts-file",		KNOWNHOSTSFILE,		BLOCK_PEER },
	{ "listen",			LISTEN,			BLOCK_RELAY },
	{ "listen-port",		LISTENPORT,		BLOCK_IFACE },
	{ "mesh",			MESH,			BLOCK_NONE },
	{ "metrics-listen",		METRICSLISTEN,		BLOCK_NONE },
	{ "mtu",			MTU,			BLOCK_IFACE },
	{ "obfuscation",		OBFUSCATION,		BLOCK_MESH },
	{ "obfuscation-jitter",		OBFUSCATIONJITTER,	BLOCK_MESH },
	{ "obfuscation-junk",		OBFUSCATIONJUNK,	BLOCK_MESH },
	{ "obfuscation-padding",	OBFUSCATIONPADDING,	BLOCK_MESH },
	{ "peer",			PEER,			BLOCK_NONE },
	{ "persistent-keepalive",	PERSISTENTKEEPALIVE,	BLOCK_PEER },
	{ "port-mapping",		PORTMAPPING,		BLOCK_MESH },
	{ "preshared-key-file",		PRESHAREDKEYFILE,	BLOCK_PEER },
	{ "private-key-file",		PRIVATEKEYFILE,		BLOCK_IFACE },
	{ "probe-interval",		PROBEINTERVAL,		BLOCK_IFACE },
	{ "public-key",			PUBLICKEY,		BLOCK_PEER },
	{ "relay",			RELAY,			BLOCK_MESH },
	{ "remote-stream",		REMOTESTREAM,		BLOCK_PEER },
	{ "resolve-interval",		RESOLVEINTERVAL,	BLOCK_IFACE },
	{ "restricted",			RESTRICTED,		BLOCK_NONE },
	{ "revocation-file",		REVOCATIONFILE,		BLOCK_MESH },
	{ "serve",			SERVE,			BLOCK_MESH },
	{ "site-directory",		SITEDIRECTORY,		BLOCK_RELAY },
	{ "ssh",			SSH,			BLOCK_PEER },
	{ "state-directory",		STATEDIRECTORY,		BLOCK_NONE },
	{ "stun",			STUN,			BLOCK_MESH },
	{ "table",			TABLE,			BLOCK_IFACE },
	{ "tls-certificate-file",	TLSCERTFILE,		BLOCK_RELAY },
	{ "tls-key-file",		TLSKEYFILE,		BLOCK_RELAY },
	{ "ttl",			TTL,			BLOCK_MESH },
	{ "user",			USER,			BLOCK_IFACE },
};
#define NKEYWORDS	(sizeof(keywords) / sizeof(keywords[0]))

static int
kw_cmp(const void *k, const void *e)
{
	return strcmp(k, ((const struct keyword *)e)->name);
}

static int
lookup(const char *s)
{
	const struct keyword	*kw;

	kw = bsearch(s, keywords, NKEYWORDS, sizeof(keywords[0]), kw_cmp);
	return kw != NULL ? kw->token : STRING;
}

/*
 * 1 if the keyword may be used in a block of kind b: a coordinator takes
 * the peer keywords that say how to reach it.
 */
static int
keyword_in(const struct keyword *kw, enum block b)
{
	if (kw->where == b)
		return 1;
	/* obfuscation on|off: the mesh's, or one peer's */
	if ((b == BLOCK_PEER || b == BLOCK_COORD) && kw->token == OBFUSCATION)
		return 1;
	/* serve concentrator: in the interface, with an endpoint */
	if ((b == BLOCK_IFACE && kw->token == SERVE) ||
	    (b == BLOCK_CONC && kw->token == ENDPOINT))
		return 1;
	return b == BLOCK_COORD && (kw->token == PUBLICKEY ||
	    kw->token == ENDPOINT || kw->token == PERSISTENTKEEPALIVE ||
	    kw->token == RELAY || kw->token == SSH ||
	    kw->token == IDENTITYFILE || kw->token == KNOWNHOSTSFILE ||
	    kw->token == REMOTESTREAM);
}

static const char *
block_kind(enum block b)
{
	switch (b) {
	case BLOCK_IFACE:
		return "interface";
	case BLOCK_PEER:
		return "peer";
	case BLOCK_MESH:
		return "mesh";
	case BLOCK_COORD:
		return "coordinator";
	case BLOCK_RELAY:
	case BLOCK_CONC:
		return "serve";
	default:
		return "";
	}
}

static const struct keyword *
keyword_by_token(int tok)
{
	size_t	i;

	for (i = 0; i < NKEYWORDS; i++)
		if (keywords[i].token == tok)
			return &keywords[i];
	return NULL;
}

/*
 * Messages.  Every error goes to the log as "file:line: message" and into
 * errbuf for config_errors(); warnings only to the log.
 */
static void
conf_vlog(int warn, const char *fname, int line, const char *label,
    const char *fmt, va_list ap)
{
	char	 msg[1024], where[PATH_MAX + 16], *line_s;
	size_t	 n;

	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line > 0)
		(void)snprintf(where, sizeof(where), "%s:%d", fname, line);
	else
		(void)strlcpy(where, fname, sizeof(where));
	if (asprintf(&line_s, "%s: %s%s%s%s", where, warn ? "warning: " : "",
	    label != NULL ? label : "", label != NULL ? ": " : "", msg) == -1)
		fatal("%s", __func__);
	log_warnx("%s", line_s);
	if (warn && strlen(warnbuf) + strlen(line_s) + 2 < sizeof(warnbuf)) {
		if (warnbuf[0] != '\0')
			(void)strlcat(warnbuf, "\n", sizeof(warnbuf));
		(void)strlcat(warnbuf, line_s, sizeof(warnbuf));
	}
	if (!warn) {
		nerrors++;
		n = strlen(line_s);
		/* keep room for the "..." that says there was more */
		if (!errtrunc && errlen + n + 2 < sizeof(errbuf) - 5) {
			if (errlen > 0)
				errbuf[errlen++] = '\n';
			memcpy(errbuf + errlen, line_s, n + 1);
			errlen += n;
		} else if (!errtrunc) {
			errtrunc = 1;
			(void)strlcat(errbuf, errlen > 0 ? "\n..." : "...",
			    sizeof(errbuf));
			errlen = strlen(errbuf);
		}
	}
	free(line_s);
}

void
conf_error(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	conf_vlog(0, file->name, file->lineno, NULL, fmt, ap);
	va_end(ap);
}

/* line 0: the message is about the whole file */
void
conf_error_at(const char *fname, int line, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	conf_vlog(0, fname, line, NULL, fmt, ap);
	va_end(ap);
}

static const char *
blk_label(char *buf, size_t len)
{
	if (blk.kind == BLOCK_NONE)
		return NULL;
	(void)snprintf(buf, len, "%s \"%s\"", block_kind(blk.kind),
	    blk.name);
	return buf;
}

void
blk_error(const char *fmt, ...)
{
	va_list	ap;
	char	label[128];

	va_start(ap, fmt);
	conf_vlog(0, file->name, file->lineno, blk_label(label,
	    sizeof(label)), fmt, ap);
	va_end(ap);
}

void
blk_error_at(int line, const char *fmt, ...)
{
	va_list	ap;
	char	label[128];

	va_start(ap, fmt);
	conf_vlog(0, blk.fname, line, blk_label(label, sizeof(label)), fmt,
	    ap);
	va_end(ap);
}

void
blk_warn(const char *fmt, ...)
{
	va_list	ap;
	char	label[128];

	va_start(ap, fmt);
	conf_vlog(1, file->name, file->lineno, blk_label(label,
	    sizeof(label)), fmt, ap);
	va_end(ap);
}

void
blk_warn_at(const char *fname, int line, const char *fmt, ...)
{
	va_list	ap;
	char	label[128];

	va_start(ap, fmt);
	conf_vlog(1, fname, line, blk_label(label, sizeof(label)), fmt, ap);
	va_end(ap);
}

/* the keyword nearest to s by edit distance, if it is near enough */
static const char *
keyword_hint(const char *s, enum block where)
{
	unsigned int	 d[33][33];
	const char	*best = NULL, *k;
	size_t		 i, j, n, m, w;
	unsigned int	 bestd = 3, c;

	if ((n = strlen(s)) > 32)
		return NULL;
	for (w = 0; w < NKEYWORDS; w++) {
		if (!keyword_in(&keywords[w], where))
			continue;
		k = keywords[w].name;
		m = strlen(k);
		for (i = 0; i <= n; i++)
			d[i][0] = i;
		for (j = 0; j <= m; j++)
			d[0][j] = j;
		for (i = 1; i <= n; i++) {
			for (j = 1; j <= m; j++) {
				c = tolower((unsigned char)s[i - 1]) !=
				    k[j - 1];
				d[i][j] = d[i - 1][j - 1] + c;
				if (d[i - 1][j] + 1 < d[i][j])
					d[i][j] = d[i - 1][j] + 1;
				if (d[i][j - 1] + 1 < d[i][j])
					d[i][j] = d[i][j - 1] + 1;
			}
		}
		if (d[n][m] < bestd && d[n][m] < n) {
			bestd = d[n][m];
			best = k;
		}
	}
	return best;
}

static enum opt
opt_by_token(int tok)
{
	switch (tok) {
	case ADDRESS:
		return OPT_ADDRESS;
	case MTU:
		return OPT_MTU;
	case LISTENPORT:
		return OPT_LISTENPORT;
	case PRIVATEKEYFILE:
		return OPT_PRIVKEY;
	case USER:
		return OPT_USER;
	case PUBLICKEY:
		return OPT_PUBKEY;
	case PRESHAREDKEYFILE:
		return OPT_PSK;
	case ENDPOINT:
		return OPT_ENDPOINT;
	case PERSISTENTKEEPALIVE:
		return OPT_KEEPALIVE;
	case TABLE:
		return OPT_TABLE;
	case RESOLVEINTERVAL:
		return OPT_RESOLVE;
	case CA:
		return OPT_CA;
	case CERTIFICATEFILE:
		return OPT_CERTFILE;
	case REVOCATIONFILE:
		return OPT_CRLFILE;
	case SERVE:
		return OPT_SERVE;
	case PORTMAPPING:
		return OPT_PORTMAP;
	case PROBEINTERVAL:
		return OPT_PROBE;
	case SSH:
		return OPT_SSH;
	case DOMAIN:
		return OPT_DOMAIN;
	case TTL:
		return OPT_TTL;
	case TLSCERTFILE:
		return OPT_TLSCERT;
	case TLSKEYFILE:
		return OPT_TLSKEY;
	case SITEDIRECTORY:
		return OPT_SITEDIR;
	case OBFUSCATION:
		return OPT_OBFS;
	case OBFUSCATIONJUNK:
		return OPT_OBFSJUNK;
	case OBFUSCATIONJITTER:
		return OPT_OBFSJITTER;
	default:
		return OPT_MAX;
	}
}

static const char *
block_where(enum block b)
{
	switch (b) {
	case BLOCK_IFACE:
		return "in the interface block";
	case BLOCK_PEER:
		return "in a peer block";
	case BLOCK_MESH:
		return "in the mesh block";
	case BLOCK_COORD:
		return "in a coordinator block";
	case BLOCK_RELAY:
		return "in the serve relay block";
	case BLOCK_CONC:
		return "in the serve concentrator block";
	default:
		return "at top level";
	}
}

/*
 * Called by the generated parser on a syntax error.  Says in words what
 * is wrong with the line, from what the lexer saw on it.
 */
void
yyerror(const char *msg)
{
	const struct keyword	*kw;
	const char		*hint;
	enum opt		 o;

	/* an option with a broken value is not also missing */
	if (blk.kind != BLOCK_NONE && blk.open &&
	    (o = opt_by_token(line_first)) != OPT_MAX && blk.seen[o] == 0)
		blk.seen[o] = file->lineno;
	if (lex_error_reported) {
		/* the lexer said it already */
		lex_error_reported = 0;
		return;
	}
	if (strcmp(msg, "syntax error") != 0) {
		conf_error("%s", msg);
		return;
	}
	if (in_filter && last_tok == 0) {
		conf_error("filter (line %d) is not closed: missing \"}\"",
		    filter_line);
		return;
	}
	if (in_filter && brace_depth > 1) {
		/* a list left open: its "{" counts no more */
		brace_depth = 1;
		conf_error("filter: a list without \"}\" on its line");
		return;
	}
	if (in_filter && brace_depth == 1 && last_tok != '}') {
		conf_error("filter: syntax error at \"%s\"", tok_text);
		return;
	}
	if (last_tok == 0 && blk.kind != BLOCK_NONE) {
		conf_error("%s \"%s\" (line %d) is not closed: missing \"}\"",
		    block_kind(blk.kind), blk.name, blk.line);
		return;
	}
	if (blk.kind != BLOCK_NONE && !blk.open) {
		conf_error("expected \"{\" after %s \"%s\"",
		    block_kind(blk.kind), blk.name);
		return;
	}
	if (line_second == '=' && (kw = keyword_by_token(line_first)) !=
	    NULL) {
		conf_error("\"%s\" is a keyword, it cannot name a macro",
		    kw->name);
		return;
	}
	if (line_first == STRING && !line_first_quoted &&
	    line_second == '=') {
		if (blk.kind != BLOCK_NONE)
			conf_error("macros can be defined only outside blocks");
		else
			conf_error("a macro is defined as name = \"value\"");
		return;
	}
	if (line_first == STRING && !line_first_quoted) {
		if ((hint = keyword_hint(line_first_text, blk.kind)) != NULL)
			conf_error("unknown keyword \"%s\", did you mean "
			    "\"%s\"?", line_first_text, hint);
		else
			conf_error("unknown keyword \"%s\"", line_first_text);
		return;
	}
	if ((kw = keyword_by_token(line_first)) != NULL) {
		if (!keyword_in(kw, blk.kind)) {
			if (kw->where == BLOCK_NONE && blk.kind != BLOCK_NONE &&
			    kw->token != INCLUDE)
				conf_error("\"%s\" %s: missing \"}\"?",
				    kw->name, block_where(blk.kind));
			else
				conf_error("\"%s\" belongs %s, not %s",
				    kw->name, block_where(kw->where),
				    block_where(blk.kind));
			return;
		}
		if (line_ntok == 2 && last_tok == '\n') {
			conf_error("\"%s\" needs a value", kw->name);
			return;
		}
	}
	if (last_tok == '\n')
		conf_error("syntax error at end of line");
	else if (last_tok == 0)
		conf_error("syntax error at end of file");
	else
		conf_error("syntax error at \"%s\"", tok_text);
}

static char *
pool_strdup(const char *s)
{
	char	**np;

	if (npool == poolsize) {
		if ((np = reallocarray(pool, poolsize + 64,
		    sizeof(*pool))) == NULL)
			fatal("%s", __func__);
		pool = np;
		poolsize += 64;
	}
	if ((pool[npool] = strdup(s)) == NULL)
		fatal("%s", __func__);
	return pool[npool++];
}

static void
pool_free(void)
{
	size_t	i;

	for (i = 0; i < npool; i++)
		free(pool[i]);
	free(pool);
	pool = NULL;
	npool = poolsize = 0;
}

/*
 * The lexer.  file_getc() reads the current file, CRLF as LF, and counts
 * a line when the first character after a newline is read, so a token's
 * line is right even when a newline ends it.  lgetc() reads the pushback
 * first; outside quotes a backslash before a newline joins two lines.
 */
static int
file_getc(void)
{
	int	c, next;

	if ((c = getc(file->stream)) == EOF)
		return EOF;
	if (c == '\r') {
		if ((next = getc(file->stream)) == '\n')
			c = '\n';
		else if (next != EOF)
			ungetc(next, file->stream);
	}
	if (file->nl_pending) {
		file->lineno++;
		file->nl_pending = 0;
	}
	if (c == '\n')
		file->nl_pending = 1;
	return c;
}

static int
lgetc(int quoted)
{
	int	c, next;

	if (npushback > 0)
		return pushback[--npushback];
	for (;;) {
		c = file_getc();
		if (quoted || c != '\\')
			return c;
		if ((next = file_getc()) != '\n') {
			lungetc(next);
			return c;
		}
	}
}

static void
lungetc(int c)
{
	if (c == EOF)
		return;
	if (npushback >= (int)(sizeof(pushback) / sizeof(pushback[0])))
		fatalx("%s: pushback buffer full", __func__);
	pushback[npushback++] = c;
}

/* records what the parser is given, for yyerror() */
static int
token(int tok, const char *text, int quoted)
{
	const struct keyword	*kw;

	if (tok == '\n')
		(void)strlcpy(tok_text, "end of line", sizeof(tok_text));
	else if (tok == 0)
		(void)strlcpy(tok_text, "end of file", sizeof(tok_text));
	else if ((kw = keyword_by_token(tok)) != NULL)
		(void)strlcpy(tok_text, kw->name, sizeof(tok_text));
	else if (text != NULL) {
		(void)strlcpy(tok_text, text, sizeof(tok_text));
		if (strlen(text) >= sizeof(tok_text))
			(void)strlcpy(tok_text + sizeof(tok_text) - 4, "...",
			    4);
	} else {
		tok_text[0] = tok;
		tok_text[1] = '\0';
	}
	if (at_line_start) {
		at_line_start = 0;
		line_ntok = 1;
		line_first = tok;
		line_second = 0;
		line_first_quoted = quoted;
		(void)strlcpy(line_first_text, tok_text,
		    sizeof(line_first_text));
	} else if (++line_ntok == 2)
		line_second = tok;
	if (tok == '\n')
		at_line_start = 1;
	last_tok = tok;
	return tok;
}

static int
is_word_char(int c)
{
	return isalnum(c) || (c != EOF && strchr("-_./:[]%+@~", c) != NULL);
}

/*
 * After a '$': reads the macro's name ($name or ${name}) and appends its
 * value to buf at *len.  0 on success; -1 after an error was logged.
 */
static int
read_macro(char *buf, size_t *len, size_t size, int quoted)
{
	char		 name[128];
	const char	*val;
	size_t		 n = 0, vlen;
	int		 c, braced = 0;

	if ((c = lgetc(quoted)) == '{')
		braced = 1;
	else
		lungetc(c);
	while ((c = lgetc(quoted)) != EOF &&
	    (isalnum(c) || c == '_')) {
		if (n == sizeof(name) - 1) {
			conf_error("macro name too long");
			return -1;
		}
		name[n++] = c;
	}
	name[n] = '\0';
	if (braced && c != '}') {
		lungetc(c);
		conf_error("\"${\" without a closing \"}\"");
		return -1;
	}
	if (!braced)
		lungetc(c);
	if (n == 0) {
		conf_error("\"$\" must be followed by a macro name%s",
		    quoted ? " (write \\$ for a dollar sign)" : "");
		return -1;
	}
	if ((val = symget(name)) == NULL) {
		conf_error("macro \"%s\" is not defined", name);
		return -1;
	}
	vlen = strlen(val);
	if (*len + vlen >= size) {
		conf_error("string too long");
		return -1;
	}
	memcpy(buf + *len, val, vlen);
	*len += vlen;
	return 0;
}

int
yylex(void)
{
	char	 buf[TOKEN_MAX];
	size_t	 len;
	int	 c, next, tok, bad, expanded;

	lex_error_reported = 0;
 top:
	/* an include takes effect once its line is over */
	if (pending_include != NULL && last_tok == '\n' && npushback == 0) {
		pending_include->parent = file;
		file = pending_include;
		pending_include = NULL;
	}
	while ((c = lgetc(0)) == ' ' || c == '\t' || c == '\r')
		;
	if (c == '#')
		while ((c = lgetc(0)) != '\n' && c != EOF)
			;
	yylval.string = NULL;
	len = 0;
	bad = 0;
	expanded = 0;
	tok = 0;

	if (c == EOF) {
		/* every statement ends with a newline, even the last */
		if (last_tok != '\n' && !skip_block)
			return token('\n', NULL, 0);
		if (popfile() == EOF) {
			skip_block = 0;
			return token(0, NULL, 0);
		}
		goto top;
	}

	switch (c) {
	case '\n':
	case ',':
	case '=':
		tok = c;
		break;
	case '{':
		brace_depth++;
		tok = c;
		break;
	case '}':
		if (brace_depth > 0)
			brace_depth--;
		tok = c;
		break;
	case '\0':
		conf_error("NUL character in the file");
		bad = 1;
		break;
	case '"':
		for (;;) {
			c = lgetc(1);
			if (c == EOF || c == '\n') {
				lungetc(c);
				conf_error("unterminated quoted string");
				bad = 1;
				break;
			}
			if (c == '"')
				break;
			if (c == '$') {
				if (read_macro(buf, &len, sizeof(buf), 1) == -1)
					bad = 1;
				continue;
			}
			if (c == '\\') {
				next = lgetc(1);
				if (next == '"' || next == '\\' || next == '$')
					c = next;
				else
					lungetc(next);
			}
			if (c == '\0') {
				conf_error("NUL character in a string");
				bad = 1;
				continue;
			}
			if (len >= sizeof(buf) - 1) {
				if (!bad)
					conf_error("string too long");
				bad = 1;
				continue;
			}
			buf[len++] = c;
		}
		buf[len] = '\0';
		if (bad)
			break;
		if (skip_block)
			goto top;
		yylval.string = pool_strdup(buf);
		return token(STRING, buf, 1);
	default:
		if (!is_word_char(c) && c != '$') {
			tok = c;
			break;
		}
		do {
			if (c == '$') {
				expanded = 1;
				if (read_macro(buf, &len, sizeof(buf), 0) == -1)
					bad = 1;
			} else if (len < sizeof(buf) - 1)
				buf[len++] = c;
			else {
				if (!bad)
					conf_error("word too long");
				bad = 1;
			}
			c = lgetc(0);
		} while (is_word_char(c) || c == '$');
		lungetc(c);
		buf[len] = '\0';
		if (bad)
			break;
		if (skip_block)
			goto top;
		/*
		 * a macro never turns into a keyword, nor a word of the
		 * filter block (filterconf.c reads those)
		 */
		if (!expanded && !(in_filter && brace_depth > 0) &&
		    (tok = lookup(buf)) != STRING)
			return token(tok, buf, 0);
		yylval.string = pool_strdup(buf);
		return token(STRING, buf, 0);
	}

	if (bad) {
		if (skip_block)
			goto top;
		lex_error_reported = 1;
		return token(ERROR, NULL, 0);
	}
	if (skip_block) {
		/* what is left of a block whose header was wrong */
		if (tok == '}' && brace_depth == skip_depth)
			skip_block = 0;
		goto top;
	}
	return token(tok, NULL, 0);
}

/*
 * Opens a file to read: shown is its name for messages, path what to
 * open.  NULL after an error was logged at the current line.
 */
static struct file *
pushfile(const char *shown, const char *path, int top)
{
	struct file	*nfile, *f;
	struct stat	 sb;
	FILE		*stream;
	char		 real[PATH_MAX], *slash, why[128];

	if ((stream = fopen(path, "re")) == NULL) {
		if (top)
			conf_error_at(shown, 0, "%s", strerror(errno));
		else
			conf_error("cannot include \"%s\": %s", shown,
			    strerror(errno));
		return NULL;
	}
	if (fstat(fileno(stream), &sb) == -1 || !S_ISREG(sb.st_mode)) {
		if (top)
			conf_error_at(shown, 0, "not a regular file");
		else
			conf_error("cannot include \"%s\": not a regular file",
			    shown);
		fclose(stream);
		return NULL;
	}
	if (check_conffile(&sb, why, sizeof(why)) != NULL) {
		if (top)
			conf_error_at(shown, 0, "%s", why);
		else
			conf_error("cannot include \"%s\": %s", shown, why);
		fclose(stream);
		return NULL;
	}
	for (f = file; !top && f != NULL; f = f->parent) {
		if (f->dev == sb.st_dev && f->ino == sb.st_ino) {
			conf_error("cannot include \"%s\": it is already being "
			    "read (include loop)", shown);
			fclose(stream);
			return NULL;
		}
	}
	if ((nfile = calloc(1, sizeof(*nfile))) == NULL ||
	    (nfile->name = strdup(shown)) == NULL)
		fatal("%s", __func__);
	if (realpath(path, real) == NULL)
		(void)strlcpy(real, path, sizeof(real));
	if ((slash = strrchr(real, '/')) == NULL)
		nfile->dir = strdup(".");
	else if (slash == real)
		nfile->dir = strdup("/");
	else
		nfile->dir = strndup(real, slash - real);
	if (nfile->dir == NULL)
		fatal("%s", __func__);
	nfile->stream = stream;
	nfile->dev = sb.st_dev;
	nfile->ino = sb.st_ino;
	nfile->lineno = 1;
	TAILQ_INSERT_TAIL(&files, nfile, entry);
	return nfile;
}

/* done with the current file; EOF if it was the top one */
static int
popfile(void)
{
	struct file	*prev = file->parent;

	if (file->stream != NULL) {
		fclose(file->stream);
		file->stream = NULL;
	}
	if (prev == NULL)
		return EOF;
	file = prev;
	return 0;
}

static void
free_files(void)
{
	struct file	*f;

	while ((f = TAILQ_FIRST(&files)) != NULL) {
		TAILQ_REMOVE(&files, f, entry);
		if (f->stream != NULL)
			fclose(f->stream);
		free(f->name);
		free(f->dir);
		free(f);
	}
	file = topfile = pending_include = NULL;
}

static int
valid_macro_name(const char *s)
{
	if (*s == '\0' || isdigit((unsigned char)*s))
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

static int
symset(const char *name, const char *value, int persist)
{
	struct sym	*sym;
	char		*v;

	TAILQ_FOREACH(sym, &symhead, entry)
		if (strcmp(sym->name, name) == 0)
			break;
	if (sym != NULL) {
		/* -D wins over the file */
		if (sym->persist && !persist)
			return 0;
		if ((v = strdup(value)) == NULL)
			return -1;
		free(sym->value);
		sym->value = v;
		sym->persist = persist;
		return 0;
	}
	if ((sym = calloc(1, sizeof(*sym))) == NULL)
		return -1;
	if ((sym->name = strdup(name)) == NULL ||
	    (sym->value = strdup(value)) == NULL) {
		free(sym->name);
		free(sym);
		return -1;
	}
	sym->persist = persist;
	TAILQ_INSERT_TAIL(&symhead, sym, entry);
	return 0;
}

static const char *
symget(const char *name)
{
	struct sym	*sym;

	TAILQ_FOREACH(sym, &symhead, entry)
		if (strcmp(sym->name, name) == 0)
			return sym->value;
	return NULL;
}

/* forgets the file's macros (all of them if also_persist) */
static void
symclear(int also_persist)
{
	struct sym	*sym, *next;

	for (sym = TAILQ_FIRST(&symhead); sym != NULL; sym = next) {
		next = TAILQ_NEXT(sym, entry);
		if (sym->persist && !also_persist)
			continue;
		TAILQ_REMOVE(&symhead, sym, entry);
		free(sym->name);
		free(sym->value);
		free(sym);
	}
}

int
cmdline_symset(char *s)
{
	char	*eq, *name;
	int	 ret;

	if ((eq = strchr(s, '=')) == NULL || eq == s)
		return -1;
	if ((name = strndup(s, eq - s)) == NULL)
		return -1;
	if (!valid_macro_name(name) || strlen(eq + 1) >= MACRO_VALUE_MAX) {
		free(name);
		return -1;
	}
	ret = symset(name, eq + 1, 1);
	free(name);
	return ret;
}

/*
 * name as an absolute path without "." and ".." components; a relative
 * name is taken from the directory of the file being read.
 */
static int
resolve_path(const char *name, char *out, size_t outlen)
{
	char	 in[PATH_MAX * 2], *p, *comp, *slash;
	size_t	 len = 0;
	int	 n;

	if (name[0] == '/')
		n = snprintf(in, sizeof(in), "%s", name);
	else
		n = snprintf(in, sizeof(in), "%s/%s", file->dir, name);
	if (n < 0 || (size_t)n >= sizeof(in) || outlen < 2)
		return -1;
	out[0] = '\0';
	for (p = in; (comp = strsep(&p, "/")) != NULL;) {
		if (*comp == '\0' || strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			if ((slash = strrchr(out, '/')) != NULL)
				*slash = '\0';
			len = strlen(out);
			continue;
		}
		n = snprintf(out + len, outlen - len, "/%s", comp);
		if (n < 0 || (size_t)n >= outlen - len)
			return -1;
		len += n;
	}
	if (len == 0)
		(void)strlcpy(out, "/", outlen);
	return 0;
}

/* the permissions of a key file, unless the caller asked not to */
static void
check_keyfile(const char *path)
{
	if ((conf_opts & CONF_NOKEYCHECK) == 0)
		config_check_keyfile(path);
}

/*
 * The children run as this user: it must exist and not be root.  line is
 * where it was given (the interface's line for the default).
 */
static void
check_user(const char *name, int line, const char *what)
{
	struct passwd	*pw;

	if ((conf_opts & CONF_NOKEYCHECK) != 0)
		return;
	if ((pw = getpwnam(name)) == NULL)
		blk_error_at(line, "user \"%s\"%s does not exist (create it, "
		    "or set user to one that does)", name, what);
	else if (pw->pw_uid == 0)
		blk_error_at(line, "user \"%s\"%s has uid 0: the children "
		    "must not run as root", name, what);
}

/*
 * A config file (or an included one) says which keys and users meshd
 * trusts: only root or the user running meshd may own it, and group and
 * others may not write it.  NULL if it will do, else why not, in buf.
 */
static const char *
check_conffile(const struct stat *sb, char *buf, size_t len)
{
	if ((conf_opts & CONF_NOKEYCHECK) != 0)
		return NULL;
	if (sb->st_uid != 0 && sb->st_uid != geteuid()) {
		(void)snprintf(buf, len, "owned by uid %u, must be owned by "
		    "root or uid %u (chown it)", (unsigned int)sb->st_uid,
		    (unsigned int)geteuid());
		return buf;
	}
	if ((sb->st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		(void)snprintf(buf, len, "writable by group or others "
		    "(mode %04o), chmod go-w it",
		    (unsigned int)(sb->st_mode & 07777));
		return buf;
	}
	return NULL;
}

/* 1 the first time an option is seen in the block, else an error and 0 */
static int
opt_once(enum opt o, const char *name)
{
	if (blk.seen[o] != 0) {
		blk_error("%s given twice (first at line %d)", name,
		    blk.seen[o]);
		return 0;
	}
	blk.seen[o] = file->lineno;
	return 1;
}

static void
do_include(const char *name)
{
	struct file	*f;
	char		 path[PATH_MAX], shown[PATH_MAX], *slash;
	int		 depth = 0, n;

	for (f = file; f != NULL; f = f->parent)
		depth++;
	if (depth >= INCLUDE_DEPTH_MAX) {
		conf_error("cannot include \"%s\": includes nested too deeply",
		    name);
		return;
	}
	if (*name == '\0') {
		conf_error("include needs a file name");
		return;
	}
	/* a relative name is taken from the including file's directory */
	if (name[0] == '/' || (slash = strrchr(file->name, '/')) == NULL)
		n = snprintf(shown, sizeof(shown), "%s", name);
	else
		n = snprintf(shown, sizeof(shown), "%.*s/%s",
		    (int)(slash - file->name), file->name, name);
	if (n < 0 || (size_t)n >= sizeof(shown) ||
	    resolve_path(name, path, sizeof(path)) == -1) {
		conf_error("cannot include \"%s\": name too long", name);
		return;
	}
	pending_include = pushfile(shown, path, 0);
}

static void
do_varset(const char *name, const char *value)
{
	if (!valid_macro_name(name)) {
		conf_error("macro name \"%s\": use letters, digits and _ "
		    "only, not starting with a digit", name);
		return;
	}
	if (strlen(value) >= MACRO_VALUE_MAX) {
		conf_error("macro \"%s\": value too long", name);
		return;
	}
	if (symset(name, value, 0) == -1)
		fatal("%s", __func__);
}

static void
block_start(enum block kind, const char *name)
{
	/* a concentrator block left open by a broken file: not leaked */
	if (blk.kind == BLOCK_CONC)
		conc_abort();
	memset(&blk, 0, sizeof(blk));
	blk.kind = kind;
	blk.name = name;
	blk.fname = file->name;
	blk.line = file->lineno;
}

/* a block the parser gave up on (a coordinator's, and its mesh's) */
static void
block_abort(void)
{
	if (blk.kind == BLOCK_COORD)
		coord_abort();
	if (blk.kind == BLOCK_RELAY) {
		blk = outer;
		memset(&outer, 0, sizeof(outer));
	}
	if (blk.kind == BLOCK_CONC) {
		conc_abort();
		blk = outer;
		memset(&outer, 0, sizeof(outer));
	}
	if (blk.kind == BLOCK_PEER && blk.peer != NULL) {
		config_peer_free(blk.peer);
		free(blk.peer);
	}
	if (blk.kind == BLOCK_MESH && blk.mesh == &mesh_scratch)
		config_mesh_free(&mesh_scratch);
	memset(&blk, 0, sizeof(blk));
}

static void
iface_begin(const char *name)
{
	block_start(BLOCK_IFACE, name);
	if (conf->has_iface) {
		blk.iface = &blk.scratch;
		(void)strlcpy(blk.iface->name, name, sizeof(blk.iface->name));
		conf_error("interface \"%s\": only one interface is allowed, "
		    "and \"%s\" is defined at %s:%d", name, conf->iface.name,
		    iface_fname, iface_line);
	} else {
		conf->has_iface = 1;
		blk.iface = &conf->iface;
		iface_fname = file->name;
		iface_line = file->lineno;
	}
	memset(blk.iface, 0, sizeof(*blk.iface));
	blk.iface->mtu = MESH_MTU_DEFAULT;
	blk.iface->table = ROUTE_TABLE_MAIN;
	blk.iface->resolve_interval = RESOLVE_INTERVAL_DEFAULT;
	blk.iface->probe_interval = PROBE_INTERVAL_DEFAULT;
	(void)strlcpy(blk.iface->user, MESHD_USER, sizeof(blk.iface->user));
	(void)strlcpy(blk.iface->name, name, sizeof(blk.iface->name));
	if (!config_valid_ifname(name))
		conf_error("interface name \"%s\" must be 1 to %d characters "
		    "of A-Z a-z 0-9 _ . -", name, MESH_IFNAME_MAX - 1);
}

static void
iface_end(void)
{
	if (blk.seen[OPT_PRIVKEY] == 0)
		blk_error_at(blk.line, "private-key-file is missing");
	if (blk.seen[OPT_USER] == 0)
		check_user(MESHD_USER, blk.line, " (the default)");
	if (blk.v6line != 0 && blk.iface->mtu < 1280)
		blk_error_at(blk.seen[OPT_MTU], "mtu %u is too small for "
		    "IPv6, which needs at least 1280", blk.iface->mtu);
	memset(&blk, 0, sizeof(blk));
}

static void
iface_address(const char *s)
{
	struct iface_conf	*ic = blk.iface;
	struct mesh_prefix	 pfx;
	size_t			 i, alen;

	if (mesh_prefix_pton(s, &pfx) == -1) {
		blk_error("bad address \"%s\": expected an IPv4 or IPv6 "
		    "address with an optional /length", s);
		return;
	}
	alen = pfx.af == 4 ? 4 : 16;
	for (i = 0; i < ic->naddrs; i++) {
		if (ic->addrs[i].af == pfx.af &&
		    memcmp(ic->addrs[i].addr, pfx.addr, alen) == 0) {
			blk_error("address %s given twice", s);
			return;
		}
	}
	if (ic->naddrs >= MESH_MAX_ADDRS) {
		blk_error("too many addresses (at most %d)", MESH_MAX_ADDRS);
		return;
	}
	ic->addrs[ic->naddrs++] = pfx;
	if (pfx.af == 6 && blk.v6line == 0)
		blk.v6line = file->lineno;
}

static void
iface_mtu(const char *s)
{
	long long	n;

	if (!opt_once(OPT_MTU, "mtu"))
		return;
	if (config_number(s, 576, 65535, &n) == -1) {
		blk_error("mtu must be a number from 576 to 65535, not \"%s\"",
		    s);
		return;
	}
	blk.iface->mtu = n;
	if (blk.iface == &conf->iface)
		iface_mtu_line = file->lineno;
}

/* table off, table main or table NUMBER: where the routes go */
static void
iface_table(const char *s)
{
	long long	n;

	if (!opt_once(OPT_TABLE, "table"))
		return;
	if (strcmp(s, "off") == 0)
		blk.iface->table = ROUTE_TABLE_OFF;
	else if (strcmp(s, "main") == 0)
		blk.iface->table = ROUTE_TABLE_MAIN;
	else if (config_number(s, 1, 4294967295LL, &n) == -1)
		blk_error("table must be off, main or a number from 1 to "
		    "4294967295, not \"%s\"", s);
	else
		blk.iface->table = n;
}

/* resolve-interval SECONDS: how often endpoint host names are looked up */
static void
iface_resolve(const char *s)
{
	long long	n;

	if (!opt_once(OPT_RESOLVE, "resolve-interval"))
		return;
	if (config_number(s, RESOLVE_INTERVAL_MIN, RESOLVE_INTERVAL_MAX,
	    &n) == -1) {
		blk_error("resolve-interval must be a number of seconds from "
		    "%d to %d, not \"%s\"", RESOLVE_INTERVAL_MIN,
		    RESOLVE_INTERVAL_MAX, s);
		return;
	}
	blk.iface->resolve_interval = n;
}

static void
iface_port(const char *s)
{
	long long	n;

	if (!opt_once(OPT_LISTENPORT, "listen-port"))
		return;
	if (config_number(s, 1, 65535, &n) == -1) {
		blk_error("listen-port must be a number from 1 to 65535, not "
		    "\"%s\"", s);
		return;
	}
	blk.iface->listen_port = n;
}

static void
iface_keyfile(const char *s)
{
	if (!opt_once(OPT_PRIVKEY, "private-key-file"))
		return;
	if (*s == '\0') {
		blk_error("private-key-file is empty");
		return;
	}
	if (resolve_path(s, blk.iface->key_file,
	    sizeof(blk.iface->key_file)) == -1) {
		blk_error("private-key-file: name too long");
		return;
	}
	(void)snprintf(blk.iface->key_at, sizeof(blk.iface->key_at), "%s:%d",
	    file->name, file->lineno);
	check_keyfile(blk.iface->key_file);
}

static void
iface_user(const char *s)
{
	if (!opt_once(OPT_USER, "user"))
		return;
	/* whether it exists is checked at start */
	if (!config_valid_user(s)) {
		blk_error("user \"%s\" is not a valid user name", s);
		return;
	}
	(void)strlcpy(blk.iface->user, s, sizeof(blk.iface->user));
	check_user(s, file->lineno, "");
}

/* control-socket "path" restricted: a second socket, show only */
static void
control_socket(const char *s)
{
	if (conf->ro_sock[0] != '\0') {
		conf_error("control-socket: only one restricted socket is "
		    "allowed");
		return;
	}
	if (s[0] != '/') {
		conf_error("control-socket \"%s\": not an absolute path", s);
		return;
	}
	if (strlcpy(conf->ro_sock, s, sizeof(conf->ro_sock)) >=
	    sizeof(conf->ro_sock)) {
		conf_error("control-socket: path too long (at most %zu "
		    "characters)", sizeof(conf->ro_sock) - 1);
		conf->ro_sock[0] = '\0';
	}
}

static void
peer_begin(const char *name)
{
	block_start(BLOCK_PEER, name);
	if ((blk.peer = calloc(1, sizeof(*blk.peer))) == NULL)
		fatal("%s", __func__);
	(void)strlcpy(blk.peer->name, name, sizeof(blk.peer->name));
	config_peer_name(name, 0);
}

/* ssh in a peer or coordinator block needs identity-file */
static void
ssh_end(void)
{
	if (config_peer_has_ssh(blk.peer) && !ssh_id_given)
		blk_error_at(blk.seen[OPT_SSH], "ssh needs identity-file "
		    "(ssh \"%s\" identity-file \"/path\")",
		    blk.peer->ssh->target);
}

static void
peer_end(void)
{
	config_aips_end(blk.peer);
	if (blk.seen[OPT_PUBKEY] == 0)
		blk_error_at(blk.line, "public-key is missing");
	ssh_end();
	config_peer_end(blk.peer, blk.fname, blk.line, blk.key_ok);
	TAILQ_INSERT_TAIL(&conf->peers, blk.peer, entry);
	conf->npeers++;
	memset(&blk, 0, sizeof(blk));
}

static void
peer_pubkey(const char *s)
{
	if (!opt_once(OPT_PUBKEY, "public-key"))
		return;
	if (wg_key_from_base64(blk.peer->pubkey, s) == -1) {
		blk_error("public-key must be %d characters of base64 "
		    "(%d bytes)", WG_KEY_B64_LEN, WG_KEY_LEN);
		return;
	}
	blk.key_ok = 1;
	if (asprintf(&blk.peer->pubkey_at, "%s:%d", file->name,
	    file->lineno) == -1)
		fatal("%s", __func__);
	config_peer_key(blk.peer);
}

static void
peer_psk(const char *s)
{
	char	path[PATH_MAX];

	if (!opt_once(OPT_PSK, "preshared-key-file"))
		return;
	if (*s == '\0') {
		blk_error("preshared-key-file is empty");
		return;
	}
	if (resolve_path(s, path, sizeof(path)) == -1) {
		blk_error("preshared-key-file: name too long");
		return;
	}
	if ((blk.peer->psk_file = strdup(path)) == NULL)
		fatal("%s", __func__);
	/* meshd-crypto holds them all, with room for a reload's */
	if (++conf->npsks > MESH_MAX_PSK) {
		blk_error("more than %d peers with a preshared-key-file",
		    MESH_MAX_PSK);
		return;
	}
	if (asprintf(&blk.peer->psk_at, "%s:%d", file->name,
	    file->lineno) == -1)
		fatal("%s", __func__);
	check_keyfile(blk.peer->psk_file);
}

/* "a.b.c.d:port", "[v6addr]:port" or "host:port" (config.c) */
static void
peer_endpoint(const char *s)
{
	if (!opt_once(OPT_ENDPOINT, "endpoint"))
		return;
	config_endpoint(blk.peer, s);
}

/*
 * relay "host:port" in a coordinator block: that coordinator also serves
 * a relay there (serve relay).  A member whose site lets no UDP out
 * reaches its coordinator through it over TLS, and the rest of the mesh
 * through the relays the directory names.  A host name is resolved now,
 * once.
 */
static void
coord_relay(const char *s)
{
	struct peer_conf	tmp;

	if (!opt_once(OPT_COORDRELAY, "relay"))
		return;
	memset(&tmp, 0, sizeof(tmp));
	config_endpoint_kw(&tmp, s, "relay");
	if (tmp.endpoint_len == 0)
		return;		/* said why */
	(void)strlcpy(blk.peer->relay_str, s, sizeof(blk.peer->relay_str));
	blk.peer->relay = tmp.endpoint;
	blk.peer->relay_len = tmp.endpoint_len;
}

static void
peer_aip(const char *s)
{
	config_aip(blk.peer, s, file->name, file->lineno);
}

static void
peer_keepalive(const char *s)
{
	long long	n;

	if (!opt_once(OPT_KEEPALIVE, "persistent-keepalive"))
		return;
	if (strcmp(s, "off") == 0)
		n = 0;
	else if (config_number(s, 0, 65535, &n) == -1) {
		blk_error("persistent-keepalive must be off or a number of "
		    "seconds from 0 to 65535, not \"%s\"", s);
		return;
	}
	blk.peer->keepalive = n;
}

/*
 * mesh "name" { ... }: at most one.  A second one is read into a scratch
 * copy, for its own errors, and dropped.
 */
static void
mesh_begin(const char *name)
{
	block_start(BLOCK_MESH, name);
	if (conf->has_mesh) {
		blk.mesh = &mesh_scratch;
		conf_error("mesh \"%s\": only one mesh block is allowed, and "
		    "\"%s\" is defined at %s:%d", name, conf->mesh.name,
		    mesh_fname, mesh_line);
	} else {
		conf->has_mesh = 1;
		blk.mesh = &conf->mesh;
		mesh_fname = file->name;
		mesh_line = file->lineno;
	}
	memset(blk.mesh, 0, sizeof(*blk.mesh));
	(void)strlcpy(blk.mesh->name, name, sizeof(blk.mesh->name));
	blk.mesh->portmap = 1;
	(void)strlcpy(blk.mesh->dns_domain, MESH_DNS_DOMAIN_DEFAULT,
	    sizeof(blk.mesh->dns_domain));
	blk.mesh->dns_ttl = MESH_DNS_TTL_DEFAULT;
	mesh_obfs_defaults(blk.mesh->obfs_pad);
	/* the name is in every certificate of the mesh */
	if (!cert_valid_label(name))
		conf_error("mesh name \"%s\" must be a DNS label: 1 to %d "
		    "characters of a-z 0-9 and -, not starting or ending "
		    "with -", name, CERT_LABEL_MAX - 1);
}

static void
mesh_end(void)
{
	struct mesh_conf	*m = blk.mesh;

	if (blk.seen[OPT_CA] == 0)
		blk_error_at(blk.line, "ca is missing");
	if (blk.seen[OPT_CERTFILE] == 0)
		blk_error_at(blk.line, "certificate-file is missing");
	else if (m->cert_file[0] != '\0')
		config_mesh_cert(m, blk.ca_ok, blk.seen[OPT_CERTFILE]);
	if (m->crl_file[0] != '\0')
		config_mesh_crl(m, blk.ca_ok, blk.seen[OPT_CRLFILE]);
	if (m->ncoordinators == 0 && !m->serve)
		blk_error_at(blk.line, "no coordinator: give at least one "
		    "coordinator block, or serve coordinator");
	/* members would not take its directory: say so here */
	if (m->serve && m->cert != NULL &&
	    !(m->c.roles & CERT_ROLE_COORDINATOR))
		blk_error_at(blk.seen[OPT_SERVE], "serve coordinator: the "
		    "certificate-file \"%s\" does not give this node the "
		    "coordinator role (meshctl sign -R coordinator)",
		    m->cert_file);
	mesh_exit_check(m);
	mesh_announce_check(m);
	/* members would not use it: say so here */
	if (m->relay.on && m->cert != NULL &&
	    !(m->c.roles & CERT_ROLE_RELAY))
		blk_error_at(m->relay.line, "serve relay: the "
		    "certificate-file \"%s\" does not give this node the "
		    "relay role (meshctl sign -R relay)", m->cert_file);
	if (m == &mesh_scratch)
		config_mesh_free(&mesh_scratch);
	else if (m->cert_file[0] != '\0') {
		mesh_cert_fname = blk.fname;
		mesh_cert_line = blk.seen[OPT_CERTFILE];
	}
	memset(&blk, 0, sizeof(blk));
}

/*
 * A line of the mesh block the parser gave up on.  If it was the header
 * of a coordinator block, that block is dropped and the rest of it
 * skipped up to its "}".
 */
static void
mesh_recover(void)
{
	if (blk.kind == BLOCK_COORD)
		coord_abort();
	if (blk.kind == BLOCK_RELAY) {
		blk = outer;
		memset(&outer, 0, sizeof(outer));
	}
	if (brace_depth > 1) {
		skip_block = 1;
		skip_depth = 1;
	}
}

/* ca "base64": the admin's Ed25519 public key, 32 bytes as a wg key is */
static void
mesh_ca(const char *s)
{
	if (!opt_once(OPT_CA, "ca"))
		return;
	if (wg_key_from_base64(blk.mesh->ca, s) == -1) {
		blk_error("ca must be %d characters of base64: an Ed25519 "
		    "public key (%d bytes)", WG_KEY_B64_LEN, CERT_CA_LEN);
		return;
	}
	(void)strlcpy(blk.mesh->ca_b64, s, sizeof(blk.mesh->ca_b64));
	blk.ca_ok = 1;
}

/* a file name and its "file:line"; read at the block's end (config.c) */
static int
mesh_file(enum opt o, const char *kw, const char *s, char *path,
    size_t pathlen, char **at)
{
	if (!opt_once(o, kw))
		return -1;
	if (*s == '\0') {
		blk_error("%s is empty", kw);
		return -1;
	}
	if (resolve_path(s, path, pathlen) == -1) {
		path[0] = '\0';
		blk_error("%s: name too long", kw);
		return -1;
	}
	if (asprintf(at, "%s:%d", file->name, file->lineno) == -1)
		fatal("%s", __func__);
	return 0;
}

static void
mesh_certfile(const char *s)
{
	(void)mesh_file(OPT_CERTFILE, "certificate-file", s,
	    blk.mesh->cert_file, sizeof(blk.mesh->cert_file),
	    &blk.mesh->cert_at);
}

static void
mesh_crlfile(const char *s)
{
	(void)mesh_file(OPT_CRLFILE, "revocation-file", s,
	    blk.mesh->crl_file, sizeof(blk.mesh->crl_file),
	    &blk.mesh->crl_at);
}

static void
mesh_serve(void)
{
	if (!opt_once(OPT_SERVE, "serve coordinator"))
		return;
	blk.mesh->serve = 1;
}

/* serve exit, and serve relay and the like */
static void
mesh_serve_what(const char *s)
{
	if (strcmp(s, "exit") == 0) {
		if (opt_once(OPT_SERVEEXIT, "serve exit"))
			blk.mesh->serve_exit = 1;
	} else if (strcmp(s, "stream") == 0)
		blk_error("serve stream goes at top level, not in the mesh "
		    "block");
	else
		blk_error("serve \"%s\": only serve coordinator, serve exit "
		    "and serve relay { ... } are known", s);
}

/* exit-node "name": 0.0.0.0/0 and ::/0 through that member (exit.c) */
static void
mesh_exit_node(const char *s)
{
	if (!opt_once(OPT_EXITNODE, "exit-node"))
		return;
	if (!cert_valid_label(s)) {
		blk_error("exit-node \"%s\" must be a member's name: a DNS "
		    "label", s);
		return;
	}
	(void)strlcpy(blk.mesh->exit_node, s, sizeof(blk.mesh->exit_node));
}

/* exit-node-fallback direct|drop: while the exit node is down */
static void
mesh_exit_fallback(const char *s)
{
	if (!opt_once(OPT_EXITFALLBACK, "exit-node-fallback"))
		return;
	if (strcmp(s, "direct") == 0)
		blk.mesh->exit_fallback = 1;
	else if (strcmp(s, "drop") == 0)
		blk.mesh->exit_fallback = 0;
	else
		blk_error("exit-node-fallback must be direct or drop, not "
		    "\"%s\"", s);
}

/*
 * announce "prefix": a route this node announces, of those its
 * certificate allows (checked at the block's end, when the certificate
 * is read).  Without any, all the certificate's routes, as before
 * announce existed.
 */
static void
mesh_announce(const char *s)
{
	struct mesh_conf	*m = blk.mesh;
	struct mesh_prefix	 pfx;
	size_t			 i, b, alen;

	if (mesh_prefix_pton(s, &pfx) == -1) {
		blk_error("announce \"%s\": expected an IPv4 or IPv6 prefix "
		    "(10.1.0.0/24)", s);
		return;
	}
	alen = pfx.af == 4 ? 4 : 16;
	for (b = pfx.plen; b < alen * 8; b++)
		if (pfx.addr[b / 8] & (0x80 >> (b % 8))) {
			blk_error("announce \"%s\": bits set past /%u", s,
			    pfx.plen);
			return;
		}
	for (i = 0; i < m->nannounce; i++)
		if (memcmp(&m->announce[i], &pfx, sizeof(pfx)) == 0) {
			blk_error("announce \"%s\" given twice (line %d)", s,
			    m->announce_line[i]);
			return;
		}
	if (m->nannounce == MESH_CERT_ROUTES) {
		blk_error("announce \"%s\": at most %d announce lines (a "
		    "certificate's routes)", s, MESH_CERT_ROUTES);
		return;
	}
	m->announce_line[m->nannounce] = file->lineno;
	m->announce[m->nannounce++] = pfx;
}

/* 1 if p lies inside r */
static int
prefix_inside(const struct mesh_prefix *p, const struct mesh_prefix *r)
{
	size_t	whole = r->plen / 8, bits = r->plen % 8;

	if (p->af != r->af || p->plen < r->plen ||
	    memcmp(p->addr, r->addr, whole) != 0)
		return 0;
	return bits == 0 || ((p->addr[whole] ^ r->addr[whole]) &
	    (0xff00 >> bits)) == 0;
}

/* at the block's end: each announced route inside a certificate route */
static void
mesh_announce_check(struct mesh_conf *m)
{
	char	buf[64];
	size_t	i, j;

	if (m->cert == NULL || m->nannounce == 0)
		return;
	if (m->c.nroutes == 0) {
		blk_error_at(m->announce_line[0], "announce: the "
		    "certificate-file \"%s\" allows this node no route "
		    "(meshctl sign -r)", m->cert_file);
		return;
	}
	if (m->nannounce > m->c.nroutes)
		blk_error_at(m->announce_line[m->nannounce - 1], "%zu announce "
		    "lines, but the certificate-file \"%s\" allows only %zu "
		    "routes", m->nannounce, m->cert_file,
		    (size_t)m->c.nroutes);
	for (i = 0; i < m->nannounce; i++) {
		for (j = 0; j < m->c.nroutes; j++)
			if (prefix_inside(&m->announce[i], &m->c.routes[j]))
				break;
		if (j < m->c.nroutes)
			continue;
		blk_error_at(m->announce_line[i], "announce \"%s\" is not "
		    "inside a route of the certificate-file \"%s\" "
		    "(meshctl sign -r)", mesh_prefix_ntop(&m->announce[i],
		    buf, sizeof(buf)), m->cert_file);
	}
}

/* a default route of the certificate: what serve exit needs */
static int
mesh_cert_exit(const struct mesh_cert *c)
{
	size_t	i;

	for (i = 0; i < c->nroutes; i++)
		if (c->routes[i].plen == 0)
			return 1;
	return 0;
}

/* at the block's end: the exit keywords against each other and the cert */
static void
mesh_exit_check(struct mesh_conf *m)
{
	if (blk.seen[OPT_EXITFALLBACK] != 0 && m->exit_node[0] == '\0')
		blk_error_at(blk.seen[OPT_EXITFALLBACK], "exit-node-fallback "
		    "without exit-node");
	if (m->exit_node[0] != '\0' && m->cert != NULL &&
	    strcmp(m->exit_node, m->c.name) == 0)
		blk_error_at(blk.seen[OPT_EXITNODE], "exit-node \"%s\" is "
		    "this node (certificate-file \"%s\")", m->exit_node,
		    m->cert_file);
	if (m->serve_exit && m->cert != NULL && !mesh_cert_exit(&m->c))
		blk_error_at(blk.seen[OPT_SERVEEXIT], "serve exit: the "
		    "certificate-file \"%s\" gives this node no exit route "
		    "(meshctl sign -r 0.0.0.0/0,::/0)", m->cert_file);
	if (m->serve_exit && m->exit_node[0] != '\0')
		blk_error_at(blk.seen[OPT_SERVEEXIT], "serve exit and "
		    "exit-node (line %d) together: an exit node sends its "
		    "traffic out directly", blk.seen[OPT_EXITNODE]);
}

/* serve stream { listen "addr:port" ... } at top level */
static int	stream_line;
static int	stream_listens;		/* listen lines, good or not */

static void
stream_begin(const char *s)
{
	stream_line = file->lineno;
	if (strcmp(s, "stream") != 0) {
		conf_error("serve \"%s\": at top level only serve stream is "
		    "known", s);
		return;
	}
	if (conf->has_stream)
		conf_error("serve stream given twice");
	conf->has_stream = 1;
	stream_listens = 0;
}

static void
filter_begin(void)
{
	in_filter = 1;
	filter_line = file->lineno;
	filter_conf_begin(conf, file->lineno);
}

static void
filter_end(void)
{
	in_filter = 0;
}

int
conf_lineno(void)
{
	return file != NULL ? file->lineno : 0;
}

static void
stream_end(void)
{
	if (conf->has_stream && stream_listens == 0)
		conf_error_at(file->name, stream_line, "serve stream: no "
		    "listen line");
}

static void
stream_listen(const char *s)
{
	struct stream_listen	*sl;

	stream_listens++;
	if (conf->nstream >= STREAM_LISTEN_MAX) {
		conf_error("serve stream: more than %d listen lines",
		    STREAM_LISTEN_MAX);
		return;
	}
	sl = &conf->stream[conf->nstream];
	if (strlen(s) >= sizeof(sl->str) ||
	    config_endpoint_resolve(s, &sl->ss, &sl->sslen) != 0 ||
	    (sl->ss.ss_family == AF_INET &&
	    ((struct sockaddr_in *)&sl->ss)->sin_port == 0) ||
	    (sl->ss.ss_family == AF_INET6 &&
	    ((struct sockaddr_in6 *)&sl->ss)->sin6_port == 0)) {
		conf_error("serve stream: listen \"%s\" is not an address "
		    "and port (addr:port or [v6addr]:port)", s);
		return;
	}
	(void)strlcpy(sl->str, s, sizeof(sl->str));
	conf->nstream++;
}

/*
 * metrics-listen "addr:port": where Prometheus scrapes; a mesh address
 * too (bound before it is on the interface), a few of them
 */
static void
metrics_listen(const char *s)
{
	struct stream_listen	*sl;
	size_t			 i;

	if (conf->nmetrics >= METRICS_LISTEN_MAX) {
		conf_error("metrics-listen: more than %d lines",
		    METRICS_LISTEN_MAX);
		return;
	}
	sl = &conf->metrics[conf->nmetrics];
	if (strlen(s) >= sizeof(sl->str) ||
	    config_endpoint_resolve(s, &sl->ss, &sl->sslen) != 0 ||
	    (sl->ss.ss_family == AF_INET &&
	    ((struct sockaddr_in *)&sl->ss)->sin_port == 0) ||
	    (sl->ss.ss_family == AF_INET6 &&
	    ((struct sockaddr_in6 *)&sl->ss)->sin6_port == 0)) {
		conf_error("metrics-listen \"%s\" is not an address and port "
		    "(addr:port or [v6addr]:port, e.g. \"127.0.0.1:9586\")", s);
		return;
	}
	for (i = 0; i < conf->nmetrics; i++)
		if (strcmp(conf->metrics[i].str, s) == 0) {
			conf_error("metrics-listen \"%s\" given twice", s);
			return;
		}
	(void)strlcpy(sl->str, s, sizeof(sl->str));
	conf->nmetrics++;
}

/* probe-interval SECONDS: how often a peer on SSH or a relay tries UDP */
static void
iface_probe(const char *s)
{
	long long	n;

	if (!opt_once(OPT_PROBE, "probe-interval"))
		return;
	if (config_number(s, PROBE_INTERVAL_MIN, PROBE_INTERVAL_MAX,
	    &n) == -1) {
		blk_error("probe-interval must be a number of seconds from "
		    "%d to %d, not \"%s\"", PROBE_INTERVAL_MIN,
		    PROBE_INTERVAL_MAX, s);
		return;
	}
	blk.iface->probe_interval = n;
}

/*
 * ssh "user@host[:port]": the user and host are passed to ssh(1) as
 * arguments of their own, so what could be read as an option (a leading
 * '-') or a shell or ssh_config token is refused.
 */
static int
ssh_target_ok(const char *s)
{
	const char	*at, *p;

	if ((at = strchr(s, '@')) == NULL || at == s || at[1] == '\0' ||
	    at[1] == '-' || s[0] == '-')
		return 0;
	for (p = s; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("@._-:[]", *p) ==
		    NULL)
			return 0;
	return 1;
}

/* the block's peer's ssh settings, made when its ssh line is read */
static struct peer_ssh *
peer_ssh_conf(void)
{
	if (blk.peer->ssh == NULL &&
	    (blk.peer->ssh = calloc(1, sizeof(*blk.peer->ssh))) == NULL)
		fatal("%s", __func__);
	return blk.peer->ssh;
}

static void
peer_ssh(const char *s)
{
	if (!opt_once(OPT_SSH, "ssh"))
		return;
	ssh_id_given = 0;
	if (strlen(s) >= sizeof(blk.peer->ssh->target) || !ssh_target_ok(s)) {
		blk_error("ssh \"%s\" is not user@host or user@host:port",
		    s);
		return;
	}
	(void)strlcpy(peer_ssh_conf()->target, s,
	    sizeof(blk.peer->ssh->target));
}

static void
peer_ssh_opt(int tok, const char *s)
{
	struct sockaddr_storage	 ss;
	struct peer_ssh		*sh = peer_ssh_conf();
	socklen_t		 len;
	char			*dst;
	size_t			 dlen;

	switch (tok) {
	case IDENTITYFILE:
		ssh_id_given = 1;
		dst = sh->identity;
		dlen = sizeof(sh->identity);
		break;
	case KNOWNHOSTSFILE:
		dst = sh->known_hosts;
		dlen = sizeof(sh->known_hosts);
		break;
	default:
		if (config_endpoint_resolve(s, &ss, &len) != 0) {
			blk_error("remote-stream \"%s\" is not an address "
			    "and port", s);
			return;
		}
		dst = sh->remote;
		dlen = sizeof(sh->remote);
		break;
	}
	if (tok != REMOTESTREAM && s[0] != '/') {
		blk_error("%s \"%s\" must be an absolute path",
		    keyword_by_token(tok)->name, s);
		return;
	}
	if (strlcpy(dst, s, dlen) >= dlen)
		blk_error("%s \"%s\" is too long",
		    keyword_by_token(tok)->name, s);
}

/*
 * serve relay { ... }: read like a coordinator block, the mesh block's
 * state waiting in outer
 */
/*
 * serve concentrator { ... } in the interface block, which waits in
 * outer; a second interface block's goes nowhere (freed at its end)
 */
static void
conc_begin(void)
{
	struct iface_conf	*ic = blk.iface;

	if (ic == &conf->iface && conf->conc != NULL)
		blk_error("serve concentrator given twice (first at line %d)",
		    conf->conc->line);
	outer = blk;
	block_start(BLOCK_CONC, "concentrator");
	blk.iface = ic;
	blk.conc = conc_conf_new(file->name, file->lineno);
}

static void
conc_end(void)
{
	struct conc_conf	*cc = blk.conc;

	if (cc->npool == 0)
		blk_error_at(blk.line, "address-pool is missing (e.g. "
		    "address-pool 100.64.200.0/24, fd00:6d65:7368:c8::/64)");
	if (blk.iface == &conf->iface && conf->conc == NULL)
		conf->conc = cc;
	else
		conc_conf_free(cc);
	blk = outer;
	memset(&outer, 0, sizeof(outer));
}

/* a block the parser gave up on */
static void
conc_abort(void)
{
	conc_conf_free(blk.conc);
	blk.conc = NULL;
}

/*
 * A line of the interface block the parser gave up on: a serve
 * concentrator block it was in (its '}' never came) is dropped, and the
 * interface block's state comes back
 */
static void
iface_recover(void)
{
	if (blk.kind != BLOCK_CONC)
		return;
	conc_abort();
	blk = outer;
	memset(&outer, 0, sizeof(outer));
}

/* state-directory "/var/lib/meshd": where the parent keeps its state */
static void
state_directory(const char *s)
{
	if (statedir_line != 0) {
		conf_error("state-directory given twice (first at line %d)",
		    statedir_line);
		return;
	}
	statedir_line = file->lineno;
	if (s[0] != '/' || strlen(s) >= sizeof(conf->state_dir) - 32 ||
	    strpbrk(s, "\"\\$") != NULL) {
		conf_error("state-directory \"%s\": expected an absolute "
		    "path", s);
		return;
	}
	(void)strlcpy(conf->state_dir, s, sizeof(conf->state_dir));
}

static void
relay_begin(void)
{
	struct mesh_conf	*m = blk.mesh;

	if (m->relay.on)
		blk_error("serve relay given twice (first at line %d)",
		    m->relay.line);
	outer = blk;
	block_start(BLOCK_RELAY, "relay");
	blk.mesh = m;
	memset(&m->relay, 0, sizeof(m->relay));
	m->relay.on = 1;
	m->relay.line = blk.line;
}

static void
relay_end(void)
{
	struct relay_conf	*r = &blk.mesh->relay;

	if (r->nlisten == 0)
		blk_error_at(blk.line, "listen is missing (e.g. listen "
		    "\"0.0.0.0:443\")");
	if (blk.seen[OPT_TLSCERT] == 0)
		blk_error_at(blk.line, "tls-certificate-file is missing");
	if (blk.seen[OPT_TLSKEY] == 0)
		blk_error_at(blk.line, "tls-key-file is missing");
	else if (r->key_file[0] != '\0' &&
	    (conf_opts & CONF_NOKEYCHECK) == 0)
		config_check_keyfile(r->key_file);
	blk = outer;
	memset(&outer, 0, sizeof(outer));
}

/* 1 if s is "a.b.c.d:port" or "[v6addr]:port": no name to resolve */
static int
listen_numeric(const char *s)
{
	char		 host[MESH_ENDPOINT_MAX];
	const char	*colon = strrchr(s, ':');
	uint8_t		 a[16];
	size_t		 n;

	if (colon == NULL || (n = colon - s) >= sizeof(host))
		return 0;
	memcpy(host, s, n);
	host[n] = '\0';
	if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
		host[n - 1] = '\0';
		return inet_pton(AF_INET6, host + 1, a) == 1;
	}
	return inet_pton(AF_INET, host, a) == 1;
}

/* listen "addr:port": a numeric address (a wildcard is usual) and port */
static void
relay_listen(const char *s)
{
	struct relay_conf	*r = &blk.mesh->relay;
	struct peer_conf	 tmp;
	size_t			 i;

	if (r->nlisten >= RELAY_LISTEN_MAX) {
		blk_error("listen \"%s\": too many (at most %d)", s,
		    RELAY_LISTEN_MAX);
		return;
	}
	for (i = 0; i < r->nlisten; i++)
		if (strcmp(r->listen_str[i], s) == 0) {
			blk_error("listen \"%s\" is given twice", s);
			return;
		}
	if (!listen_numeric(s)) {
		blk_error("listen \"%s\": give an address and port, not a "
		    "host name (0.0.0.0:443 or [::]:443 for all)", s);
		return;
	}
	memset(&tmp, 0, sizeof(tmp));
	config_endpoint_kw(&tmp, s, "listen");
	if (tmp.endpoint_str[0] == '\0')
		return;		/* said why */
	(void)strlcpy(r->listen_str[r->nlisten], s,
	    sizeof(r->listen_str[0]));
	r->listen[r->nlisten] = tmp.endpoint;
	r->listen_len[r->nlisten] = tmp.endpoint_len;
	r->nlisten++;
}

static void
relay_file(enum opt o, const char *kw, const char *s, char *path)
{
	if (!opt_once(o, kw))
		return;
	if (*s == '\0') {
		blk_error("%s is empty", kw);
		return;
	}
	if (resolve_path(s, path, PATH_MAX) == -1) {
		path[0] = '\0';
		blk_error("%s: name too long", kw);
	}
}

/*
 * stun "host:port": a STUN server to learn our reflexive address from,
 * read as a coordinator's endpoint is (a host name resolved now).
 */
static void
mesh_stun(const char *s)
{
	struct peer_conf	 tmp;
	struct mesh_stun	*st;
	size_t			 i;

	if (blk.mesh->nstun >= MESH_STUN_MAX) {
		blk_error("stun \"%s\": too many stun servers (at most %d)",
		    s, MESH_STUN_MAX);
		return;
	}
	for (i = 0; i < blk.mesh->nstun; i++)
		if (strcmp(blk.mesh->stun[i].str, s) == 0) {
			blk_error("stun \"%s\" is given twice", s);
			return;
		}
	if (strrchr(s, ':') == NULL) {
		blk_error("stun \"%s\" must be host:port, a.b.c.d:port or "
		    "[v6addr]:port (STUN's port is %d)", s, 3478);
		return;
	}
	memset(&tmp, 0, sizeof(tmp));
	config_endpoint(&tmp, s);
	if (tmp.endpoint_str[0] == '\0')
		return;		/* said why */
	st = &blk.mesh->stun[blk.mesh->nstun++];
	(void)strlcpy(st->str, s, sizeof(st->str));
	st->ss = tmp.endpoint;
	st->sslen = tmp.endpoint_len;
}

/* port-mapping on|off: ask the gateway (PCP, NAT-PMP) for a mapping */
static void
mesh_portmap(const char *s)
{
	if (!opt_once(OPT_PORTMAP, "port-mapping"))
		return;
	if (strcmp(s, "on") == 0)
		blk.mesh->portmap = 1;
	else if (strcmp(s, "off") == 0)
		blk.mesh->portmap = 0;
	else
		blk_error("port-mapping must be on or off, not \"%s\"", s);
}

static void
mesh_obfs_defaults(uint16_t pad[MESH_OBFS_NPAD][2])
{
	static const uint16_t	def[MESH_OBFS_NPAD][2] = {
		{ MESH_OBFS_HS_DEFAULT },
		{ MESH_OBFS_DATA_DEFAULT },
		{ MESH_OBFS_PRELUDE_DEFAULT },
	};

	memcpy(pad, def, sizeof(def));
}

/*
 * obfuscation on|off: in the mesh block, the mesh's (its coordinators and
 * members); in a peer or coordinator block, that peer's.  A peer block's
 * needs the mesh's key, so a mesh block (checked at the end).
 */
static void
obfs_onoff(const char *s)
{
	int	v;

	if (!opt_once(OPT_OBFS, "obfuscation"))
		return;
	if (strcmp(s, "on") == 0)
		v = 1;
	else if (strcmp(s, "off") == 0)
		v = 0;
	else {
		blk_error("obfuscation must be on or off, not \"%s\"", s);
		return;
	}
	if (blk.kind == BLOCK_MESH) {
		blk.mesh->obfs = v;
		return;
	}
	blk.peer->obfs = v ? PEER_OBFS_ON : PEER_OBFS_OFF;
	if (v && obfs_peer_at[0] == '\0')
		(void)snprintf(obfs_peer_at, sizeof(obfs_peer_at), "%s:%d",
		    file->name, file->lineno);
}

/* obfuscation-padding handshake|data|prelude MIN MAX: bytes, uniform */
static void
obfs_padding(const char *what, const char *lo, const char *hi)
{
	static const char	*whats[MESH_OBFS_NPAD] = {
	    "handshake", "data", "prelude" };
	long long		 a, b;
	int			 i;

	for (i = 0; i < MESH_OBFS_NPAD; i++)
		if (strcmp(what, whats[i]) == 0)
			break;
	if (i == MESH_OBFS_NPAD) {
		blk_error("obfuscation-padding is for handshake, data or "
		    "prelude, not \"%s\"", what);
		return;
	}
	if (blk.obfs_pad_line[i] != 0) {
		blk_error("obfuscation-padding %s given twice (first at line "
		    "%d)", what, blk.obfs_pad_line[i]);
		return;
	}
	blk.obfs_pad_line[i] = file->lineno;
	if (config_number(lo, 0, MESH_OBFS_PAD_MAX, &a) == -1 ||
	    config_number(hi, 0, MESH_OBFS_PAD_MAX, &b) == -1 || b < a) {
		blk_error("obfuscation-padding %s wants two numbers of bytes, "
		    "the least then the most, 0 to %d, not \"%s %s\"", what,
		    MESH_OBFS_PAD_MAX, lo, hi);
		return;
	}
	if (i == MESH_OBFS_PRELUDE && b > 0 && a < MESH_OBFS_PRELUDE_MIN) {
		blk_error("obfuscation-padding prelude: a prelude is %d bytes "
		    "at least (or 0 0: none), not %lld", MESH_OBFS_PRELUDE_MIN,
		    a);
		return;
	}
	blk.mesh->obfs_pad[i][0] = a;
	blk.mesh->obfs_pad[i][1] = b;
}

/* obfuscation-junk N, obfuscation-jitter MS: 0 .. max */
static void
obfs_number(enum opt o, const char *name, const char *s, int max,
    uint16_t *v)
{
	long long	n;

	if (!opt_once(o, name))
		return;
	if (config_number(s, 0, max, &n) == -1) {
		blk_error("%s must be a number from 0 to %d, not \"%s\"", name,
		    max, s);
		return;
	}
	*v = n;
}

/* domain "name": the mesh DNS answers for NAME.domain (dnsserv.c) */
static void
mesh_domain(const char *s)
{
	if (!opt_once(OPT_DOMAIN, "domain"))
		return;
	if (mesh_dns_domain_norm(s, blk.mesh->dns_domain,
	    sizeof(blk.mesh->dns_domain)) == -1)
		blk_error("domain \"%s\" is no DNS domain: labels of 1 to 63 "
		    "letters, digits and '-', %d characters at most", s,
		    MESH_DNS_DOMAIN_MAX - 1);
}

/* ttl SECONDS: how long resolvers may keep a mesh DNS answer */
static void
mesh_ttl(const char *s)
{
	long long	n;

	if (!opt_once(OPT_TTL, "ttl"))
		return;
	if (config_number(s, 0, MESH_DNS_TTL_MAX, &n) == -1) {
		blk_error("ttl must be a number of seconds from 0 to %d, not "
		    "\"%s\"", MESH_DNS_TTL_MAX, s);
		return;
	}
	blk.mesh->dns_ttl = n;
}

/*
 * coordinator "name" { ... } inside the mesh block: a peer (conf->peers)
 * marked as a coordinator.  The mesh block's state waits in outer.
 */
static void
coord_begin(const char *name)
{
	outer = blk;
	block_start(BLOCK_COORD, name);
	if ((blk.peer = calloc(1, sizeof(*blk.peer))) == NULL)
		fatal("%s", __func__);
	(void)strlcpy(blk.peer->name, name, sizeof(blk.peer->name));
	blk.peer->coordinator = 1;
	config_peer_name(name, 1);
}

static void
coord_end(void)
{
	if (blk.seen[OPT_PUBKEY] == 0)
		blk_error_at(blk.line, "public-key is missing");
	ssh_end();
	config_peer_end(blk.peer, blk.fname, blk.line, blk.key_ok);
	TAILQ_INSERT_TAIL(&conf->peers, blk.peer, entry);
	conf->npeers++;
	blk = outer;
	memset(&outer, 0, sizeof(outer));
	blk.mesh->ncoordinators++;
}

/* a coordinator block given up on: back to its mesh block */
static void
coord_abort(void)
{
	if (blk.peer != NULL) {
		/* its ssh line and allowed-ips too */
		config_peer_free(blk.peer);
		free(blk.peer);
	}
	blk = outer;
	memset(&outer, 0, sizeof(outer));
}

/*
 * Without address lines, the interface has the addresses of the mesh's
 * certificate; with them, they stay, and a warning says so if none of
 * them is one of the certificate's.
 */
static void
mesh_iface_addrs(void)
{
	struct iface_conf	*ic = &conf->iface;
	struct mesh_cert	*c = &conf->mesh.c;
	size_t			 i, j;

	if (!conf->has_iface || !conf->has_mesh || conf->mesh.certlen == 0)
		return;
	if (ic->naddrs == 0) {
		for (i = 0; i < c->naddrs && i < MESH_MAX_ADDRS; i++)
			ic->addrs[ic->naddrs++] = c->addrs[i];
		ic->addrs_cert = 1;
		for (i = 0; i < ic->naddrs; i++)
			if (ic->addrs[i].af == 6)
				break;
		if (i < ic->naddrs && ic->mtu < 1280)
			conf_error_at(iface_fname, iface_mtu_line, "interface "
			    "\"%s\": mtu %u is too small for the mesh "
			    "certificate's IPv6 address, which needs at least "
			    "1280", ic->name, ic->mtu);
		return;
	}
	for (i = 0; i < ic->naddrs; i++)
		for (j = 0; j < c->naddrs; j++)
			if (ic->addrs[i].af == c->addrs[j].af &&
			    memcmp(ic->addrs[i].addr, c->addrs[j].addr,
			    ic->addrs[i].af == 4 ? 4 : 16) == 0)
				return;
	blk_warn_at(mesh_cert_fname, mesh_cert_line, "mesh \"%s\": none of "
	    "interface \"%s\"'s addresses is one of its certificate's",
	    conf->mesh.name, ic->name);
}

static void
reset_state(void)
{
	in_filter = 0;
	block_abort();
	config_checks_reset();
	free_files();
	pool_free();
	symclear(0);
	npushback = 0;
	last_tok = '\n';
	at_line_start = 1;
	line_ntok = line_first = line_second = 0;
	brace_depth = skip_block = skip_depth = lex_error_reported = 0;
	obfs_peer_at[0] = '\0';
	iface_fname = mesh_fname = mesh_cert_fname = NULL;
	iface_line = iface_mtu_line = mesh_line = mesh_cert_line = 0;
	statedir_line = 0;
	memset(&outer, 0, sizeof(outer));
}

struct meshd_conf *
parse_config(const char *filename, int opts)
{
	struct meshd_conf	*nconf;

	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		fatal("%s", __func__);
	TAILQ_INIT(&conf->peers);
	conf_opts = opts;
	nerrors = 0;
	errbuf[0] = '\0';
	errlen = 0;
	errtrunc = 0;
	warnbuf[0] = '\0';
	reset_state();

	if ((file = pushfile(filename, filename, 1)) == NULL) {
		free_config(conf);
		conf = NULL;
		return NULL;
	}
	topfile = file;
	yyparse();
	config_aips_shared();
	mesh_iface_addrs();
	if (obfs_peer_at[0] != '\0' && !conf->has_mesh)
		conf_error_at(obfs_peer_at, 0, "obfuscation on needs a mesh "
		    "block: the obfuscation key is the mesh's");
	/* the clients of serve concentrator: from the state file */
	if (conf->has_iface && nerrors == 0)
		conc_conf_load(conf);
	if (!conf->has_iface)
		conf_error_at(topfile->name, topfile->lineno,
		    "no interface defined");
	reset_state();

	nconf = conf;
	conf = NULL;
	if (nerrors > 0) {
		free_config(nconf);
		return NULL;
	}
	return nconf;
}

const char *
config_errors(void)
{
	return errbuf;
}

const char *
config_warnings(void)
{
	return warnbuf;
}
