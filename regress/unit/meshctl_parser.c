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
 * meshctl's parser of command words, and its parser of meshd's replies:
 * a fake daemon on the other end of a socketpair answers with what a test
 * queues, and the text and JSON that come out are compared byte for byte.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cert.h"
#include "imsg.h"
#include "json.h"
#include "meshctl.h"
#include "output.h"
#include "parser.h"
#include "tap.h"

#define KEY_B64		"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
#define KEY2_B64	"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="

static char	 errbuf[256];

/* split words at spaces (no word here has one) and parse them */
static const struct parse_result *
p(const char *line)
{
	static char	 buf[512];
	char		*argv[16], *w, *s = buf;
	int		 argc = 0;

	(void)strlcpy(buf, line, sizeof(buf));
	while ((w = strsep(&s, " ")) != NULL && argc < 16)
		argv[argc++] = w;
	if (line[0] == '\0')
		argc = 0;
	errbuf[0] = '\0';
	return parse(argc, argv, errbuf, sizeof(errbuf));
}

static void
parse_ok(const char *line, enum actions action, const char *peer, int json)
{
	const struct parse_result	*res = p(line);

	ok(res != NULL && res->action == action &&
	    strcmp(res->peer, peer) == 0 && res->json == json,
	    "parse \"%s\"", line);
	if (res == NULL)
		diag("error: %s", errbuf);
	else if (res->action != action || strcmp(res->peer, peer) != 0 ||
	    res->json != json)
		diag("got action %d peer '%s' json %d", res->action, res->peer,
		    res->json);
}

static void
parse_err(const char *line, const char *msg)
{
	const struct parse_result	*res = p(line);

	ok(res == NULL, "\"%s\" is an error", line);
	is_str(errbuf, msg, "\"%s\": the message", line);
}

/* import-wg FILE, and -d DIR among the words where getopt left it */
static void
test_importwg(void)
{
	const struct parse_result	*res;

	res = p("import-wg wg0.conf");
	ok(res != NULL && res->action == IMPORT_WG && res->file != NULL &&
	    strcmp(res->file, "wg0.conf") == 0 && res->keydir == NULL,
	    "parse \"import-wg wg0.conf\"");
	res = p("i /etc/wireguard/wg1.conf");
	ok(res != NULL && res->action == IMPORT_WG &&
	    strcmp(res->file, "/etc/wireguard/wg1.conf") == 0,
	    "parse \"i FILE\": a prefix of import-wg");
	res = p("import-wg -d /k show");
	ok(res != NULL && res->action == IMPORT_WG &&
	    strcmp(res->file, "show") == 0 && res->keydir != NULL &&
	    strcmp(res->keydir, "/k") == 0,
	    "parse \"import-wg -d /k show\": the file name is any word");
	parse_err("import-wg", "missing file after \"import-wg\"");
	parse_err("import-wg a b", "unexpected argument \"b\" after "
	    "\"import-wg\"");
	{
		char *argv[] = { "import-wg", "" };

		ok(parse(2, argv, errbuf, sizeof(errbuf)) == NULL,
		    "an empty file name is an error");
		is_str(errbuf, "empty file name", "and says so");
	}
}

/* show peers [sort KEY] [interval N] */
static void
parse_peers(const char *line, enum peer_sort sort, int interval)
{
	const struct parse_result	*res = p(line);

	ok(res != NULL && res->action == SHOW_PEERS && res->sort == sort &&
	    res->interval == interval, "parse: %s", line);
	if (res == NULL)
		diag("error: %s", errbuf);
}

static void
test_parser_peers(void)
{
	parse_peers("show peers", SORT_NONE, 0);
	parse_peers("show peers sort name", SORT_NAME, 0);
	parse_peers("show peers sort handshake", SORT_HANDSHAKE, 0);
	parse_peers("show peers sort rx", SORT_RX, 0);
	parse_peers("show peers sort tx", SORT_TX, 0);
	parse_peers("sh peers so h", SORT_HANDSHAKE, 0);
	parse_peers("show peers interval 5", SORT_NONE, 5);
	parse_peers("show peers i 2 s n", SORT_NAME, 2);
	parse_peers("show peers sort rx interval 3600", SORT_RX, 3600);
	parse_peers("show peers interval 1 sort tx -j", SORT_TX, 1);
	parse_err("show peers sort", "missing argument after \"show peers "
	    "sort\"; valid arguments: handshake name rx tx");
	parse_err("show peers sort up", "unknown argument \"up\" after "
	    "\"show peers sort\"; valid arguments: handshake name rx tx");
	parse_err("show peers x", "unknown argument \"x\" after \"show "
	    "peers\"; valid arguments: interval sort");
	parse_err("show peers interval", "missing seconds after \"show peers "
	    "interval\"");
	parse_err("show peers interval 0", "interval \"0\": not a number of "
	    "seconds from 1 to 3600");
	parse_err("show peers interval 3601", "interval \"3601\": not a "
	    "number of seconds from 1 to 3600");
	parse_err("show peers interval 99999999999999999999", "interval "
	    "\"99999999999999999999\": not a number of seconds from 1 to "
	    "3600");
	parse_err("show peers interval 2s", "interval \"2s\": not a number "
	    "of seconds from 1 to 3600");
	parse_err("show peers interval -1", "interval \"-1\": not a number "
	    "of seconds from 1 to 3600");
	parse_err("show peers sort rx sort tx", "unknown argument \"sort\" "
	    "after \"show peers sort rx\"; valid arguments: interval");
	parse_err("show peers interval 2 interval 3", "unknown argument "
	    "\"interval\" after \"show peers interval 2\"; valid arguments: "
	    "sort");
	parse_err("show peers sort rx interval 2 now", "unexpected argument "
	    "\"now\" after \"show peers sort rx interval 2\"");

	/* a failed parse still tells whether -j was asked for */
	ok(p("show peer -j") == NULL && parse_json() == 1,
	    "parse_json: -j among words that do not parse");
	ok(p("show bogus") == NULL && parse_json() == 0,
	    "parse_json: no -j");
}

/* the admin's commands: never abbreviated, their words left to ca.c */
static void
test_admin(void)
{
	const struct parse_result	*res;

	parse_ok("ca genkey", CA_GENKEY, "", 0);
	parse_ok("ca pubkey", CA_PUBKEY, "", 0);
	parse_ok("ca gen", CA_GENKEY, "", 0);
	res = p("sign -k ca.key -j -d 30 -- x");
	ok(res != NULL && res->action == CA_SIGN && res->nargs == 7 &&
	    strcmp(res->args[0], "-k") == 0 && strcmp(res->args[6], "x") == 0 &&
	    res->json == 0 && res->keydir == NULL,
	    "sign: every word after it is left for ca.c, -j, -d and -- too");
	res = p("sign");
	ok(res != NULL && res->action == CA_SIGN && res->nargs == 0,
	    "sign alone: no words for ca.c (it says what is missing)");
	res = p("ca revoke -k k -f l a.crt");
	ok(res != NULL && res->action == CA_REVOKE && res->nargs == 5,
	    "ca revoke: its words left for ca.c");
	res = p("-j show cert x.crt");
	ok(res != NULL && res->action == SHOW_CERT && res->nargs == 1 &&
	    res->json == 1, "-j show cert FILE");
	res = p("sh revocations -c K list");
	ok(res != NULL && res->action == SHOW_CRL && res->nargs == 3,
	    "sh revocations -c K FILE");
	res = p("genkey");
	ok(res != NULL && res->args == NULL, "other commands have no args");
	/* not abbreviated, and taking no abbreviation from the others */
	parse_ok("s s", SHOW_STATUS, "", 0);
	parse_ok("sh c", SHOW_CONFIG, "", 0);
	parse_err("si", "unknown command \"si\"; valid commands: ca client "
	    "genkey genpsk import-wg log netcheck pubkey reload show sign");
	parse_err("show ce x", "unknown argument \"ce\" after \"show\"; "
	    "valid arguments: cert config dns filter mesh peer peers revocations "
	    "states status");
	/* "c" is client's: ca takes no abbreviation */
	parse_err("c genkey", "unknown argument \"genkey\" after \"client\"; "
	    "valid arguments: add list remove");
	parse_ok("cl l", CLIENT_LIST, "", 0);
	parse_ok("client add phone", CLIENT_ADD, "phone", 0);
	parse_ok("client rem phone", CLIENT_REMOVE, "phone", 0);
	ok(p("client add phone -q") != NULL && p("client add phone -q")->qr,
	    "client add NAME -q");
	parse_err("client add", "missing client name after \"client add\"");
	parse_err("ca", "missing argument after \"ca\"; valid arguments: "
	    "genkey pubkey revoke");
	parse_err("ca genkey x", "unexpected argument \"x\" after \"ca "
	    "genkey\"");
}

static void
test_parser(void)
{
	char	line[256], name[MESH_NAME_MAX + 1];

	/* every command, in full */
	parse_ok("genkey", GENKEY, "", 0);
	parse_ok("genpsk", GENPSK, "", 0);
	parse_ok("pubkey", PUBKEY, "", 0);
	parse_ok("reload", RELOAD, "", 0);
	parse_ok("log verbose", LOG_VERBOSE, "", 0);
	parse_ok("log brief", LOG_BRIEF, "", 0);
	parse_ok("show status", SHOW_STATUS, "", 0);
	parse_ok("show peers", SHOW_PEERS, "", 0);
	test_parser_peers();
	test_admin();
	parse_ok("show peer bravo", SHOW_PEER, "bravo", 0);
	parse_ok("show config", SHOW_CONFIG, "", 0);
	parse_ok("sh c", SHOW_CONFIG, "", 0);

	/* unambiguous prefixes */
	parse_ok("sh st", SHOW_STATUS, "", 0);
	/* states is never abbreviated: st and s stay status */
	parse_ok("show states", SHOW_STATES, "", 0);
	parse_ok("show states -j", SHOW_STATES, "", 1);
	parse_ok("show filter", SHOW_FILTER, "", 0);
	parse_ok("sh f -j", SHOW_FILTER, "", 1);
	parse_ok("s peers", SHOW_PEERS, "", 0);
	parse_ok("s s", SHOW_STATUS, "", 0);
	parse_ok("r", RELOAD, "", 0);
	parse_ok("l v", LOG_VERBOSE, "", 0);
	parse_ok("lo br", LOG_BRIEF, "", 0);
	parse_ok("pu", PUBKEY, "", 0);
	parse_ok("genk", GENKEY, "", 0);
	parse_ok("genp", GENPSK, "", 0);
	/* "peer" is a prefix of "peers": the exact word wins */
	parse_ok("sh peer alpha", SHOW_PEER, "alpha", 0);
	parse_ok("sh peers", SHOW_PEERS, "", 0);
	/* a peer name is taken as it is, even if it looks like a keyword */
	parse_ok("show peer status", SHOW_PEER, "status", 0);
	parse_ok("show peer st", SHOW_PEER, "st", 0);

	/* -j among the words; "--" ends that */
	parse_ok("show peers -j", SHOW_PEERS, "", 1);
	parse_ok("-j show status", SHOW_STATUS, "", 1);
	parse_ok("show -j peer x", SHOW_PEER, "x", 1);
	parse_ok("show peer -- -j", SHOW_PEER, "-j", 0);

	/* ambiguous words say so and list the candidates */
	parse_err("show pe", "ambiguous argument \"pe\" after \"show\"; "
	    "could be: peer peers");
	parse_err("g", "ambiguous command \"g\"; could be: genkey genpsk");
	parse_err("gen", "ambiguous command \"gen\"; could be: genkey genpsk");

	/* unknown words list the valid ones */
	parse_err("shw", "unknown command \"shw\"; valid commands: ca "
	    "client genkey genpsk import-wg log netcheck pubkey reload show "
	    "sign");
	parse_err("shows", "unknown command \"shows\"; valid commands: ca "
	    "client genkey genpsk import-wg log netcheck pubkey reload show "
	    "sign");
	parse_err("show foo", "unknown argument \"foo\" after \"show\"; "
	    "valid arguments: cert config dns filter mesh peer peers revocations "
	    "states status");
	parse_err("sh peerss", "unknown argument \"peerss\" after \"show\"; "
	    "valid arguments: cert config dns filter mesh peer peers revocations "
	    "states status");
	parse_err("log loud", "unknown argument \"loud\" after \"log\"; "
	    "valid arguments: brief verbose");
	parse_err("-x", "unknown command \"-x\"; valid commands: ca "
	    "client genkey genpsk import-wg log netcheck pubkey reload show "
	    "sign");

	/* missing and extra words */
	parse_err("show", "missing argument after \"show\"; valid arguments: "
	    "cert config dns filter mesh peer peers revocations states status");
	parse_err("sh", "missing argument after \"show\"; valid arguments: "
	    "cert config dns filter mesh peer peers revocations states status");
	parse_err("log", "missing argument after \"log\"; valid arguments: "
	    "brief verbose");
	parse_err("-j", "missing command; valid commands: ca client genkey "
	    "genpsk import-wg log netcheck pubkey reload show sign");
	parse_err("show peer -j", "missing peer name after \"show peer\"");
	parse_err("show status now", "unexpected argument \"now\" after "
	    "\"show status\"");
	parse_err("genkey x", "unexpected argument \"x\" after \"genkey\"");
	parse_err("show peer a b", "unexpected argument \"b\" after "
	    "\"show peer\"");

	/* peer names: at most MESH_NAME_MAX - 1 characters, not empty */
	memset(name, 'n', MESH_NAME_MAX - 1);
	name[MESH_NAME_MAX - 1] = '\0';
	(void)snprintf(line, sizeof(line), "show peer %s", name);
	parse_ok(line, SHOW_PEER, name, 0);
	name[MESH_NAME_MAX - 1] = 'n';
	name[MESH_NAME_MAX] = '\0';
	(void)snprintf(line, sizeof(line), "show peer %s", name);
	parse_err(line, "peer name too long (at most 63 characters)");
	{
		char *argv[] = { "show", "peer", "" };

		ok(parse(3, argv, errbuf, sizeof(errbuf)) == NULL,
		    "an empty peer name is an error");
		is_str(errbuf, "empty peer name", "and says so");
	}
	{
		char *argv[] = { "" };

		ok(parse(1, argv, errbuf, sizeof(errbuf)) == NULL,
		    "an empty command is an error");
	}
	test_importwg();
}

/* ---- a fake meshd on a socketpair ---- */

struct fake {
	struct imsgbuf	 d;		/* the daemon's end */
	int		 cfd;		/* meshctl's end */
	int		 ret;
	char		*out, *err;
};

static void
fake_start(struct fake *f)
{
	int	sv[2];

	memset(f, 0, sizeof(*f));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
	    imsgbuf_init(&f->d, sv[0]) == -1) {
		perror("fake meshd");
		exit(1);
	}
	/* the daemon end never blocks: a missing request reads as none */
	(void)fcntl(sv[0], F_SETFL, O_NONBLOCK);
	f->cfd = sv[1];
}

static void
fake_send_id(struct fake *f, uint32_t type, uint32_t id, const void *data,
    size_t len)
{
	if (imsg_compose(&f->d, type, id, 0, -1, data, len) == -1 ||
	    imsgbuf_flush(&f->d) == -1) {
		perror("fake meshd: send");
		exit(1);
	}
}

static void
fake_send(struct fake *f, uint32_t type, const void *data, size_t len)
{
	fake_send_id(f, type, 0, data, len);
}

static void
fake_result(struct fake *f, int code, const char *text)
{
	unsigned char		buf[sizeof(struct ctl_result) + 1200];
	struct ctl_result	res = { code };
	size_t			len = strlen(text) + 1;

	memcpy(buf, &res, sizeof(res));
	memcpy(buf + sizeof(res), text, len);
	fake_send(f, IMSG_CTL_RESULT, buf, sizeof(res) + len);
}

static void
prefix(struct mesh_prefix *mp, const char *addr, int plen)
{
	memset(mp, 0, sizeof(*mp));
	if (inet_pton(AF_INET, addr, mp->addr) == 1)
		mp->af = 4;
	else if (inet_pton(AF_INET6, addr, mp->addr) == 1)
		mp->af = 6;
	mp->plen = plen;
}

/* a peer with naips prefixes claimed and nsent sent, in one chunk */
static void
fake_peer(struct fake *f, uint32_t id, const char *name, uint8_t keybyte,
    const char *endpoint, int psk, uint16_t keepalive,
    const struct mesh_prefix *aips, uint32_t naips, uint32_t nsent)
{
	struct ctl_peer	cp;

	memset(&cp, 0, sizeof(cp));
	cp.id = id;
	memcpy(cp.name, name, strnlen(name, sizeof(cp.name)));
	memset(cp.pubkey, keybyte, sizeof(cp.pubkey));
	(void)strlcpy(cp.endpoint, endpoint, sizeof(cp.endpoint));
	cp.has_psk = psk;
	cp.keepalive = keepalive;
	cp.naips = naips;
	/* counters that differ by peer; never a handshake (no clock) */
	cp.stats.id = id;
	cp.stats.rx_bytes = id * 1536;
	cp.stats.tx_bytes = id * 3 * 1024 * 1024;
	cp.stats.drop_replay = id;
	if (id == 3) {
		/* initiating; the last attempt ahead of any clock: 0s ago */
		cp.stats.hs_state = MESH_HS_INITIATING;
		cp.stats.hs_attempts = 4;
		cp.stats.hs_last_attempt = 4102444800LL;
		(void)strlcpy(cp.stats.hs_error, "no response to 3 "
		    "initiations since 14:02:11 UTC",
		    sizeof(cp.stats.hs_error));
	}
	fake_send(f, IMSG_CTL_PEER, &cp, sizeof(cp));
	if (nsent > 0)
		fake_send_id(f, IMSG_CTL_PEER_AIPS, id, aips,
		    nsent * sizeof(*aips));
}

/* run meshctl's words against what the fake queued */
static void
fake_run(struct fake *f, const char *line, const struct output *o)
{
	const struct parse_result	*res;
	FILE				*out, *err;
	size_t				 olen, elen;

	if ((res = p(line)) == NULL) {
		diag("cannot parse %s: %s", line, errbuf);
		exit(1);
	}
	out = open_memstream(&f->out, &olen);
	err = open_memstream(&f->err, &elen);
	if (out == NULL || err == NULL) {
		perror("open_memstream");
		exit(1);
	}
	f->ret = ctl_run(f->cfd, res, o, out, err);
	fclose(out);
	fclose(err);
}

/* the next request meshctl sent: its type, and its data in buf */
static int
fake_request(struct fake *f, void *buf, size_t len, uint32_t *type)
{
	struct imsg	imsg;
	int		n, tries = 0;

	/* the request is in the socket already, or was never sent */
	while ((n = imsgbuf_get(&f->d, &imsg)) == 0)
		if (imsgbuf_read(&f->d) != 1 || ++tries > 100)
			return -1;
	if (n == -1)
		return -1;
	*type = imsg_get_type(&imsg);
	n = 0;
	if (len > 0)
		n = imsg_get_data(&imsg, buf, len);
	else if (imsg_get_len(&imsg) != 0)
		n = -1;
	imsg_free(&imsg);
	return n;
}

static void
fake_done(struct fake *f)
{
	close(f->cfd);
	close(f->d.fd);
	imsgbuf_clear(&f->d);
	free(f->out);
	free(f->err);
}

/* the handshakes of no peer meshd-crypto keeps, one a line */
#define EV1	"14:02:11 UTC: initiation from 198.18.0.9:51820 with an " \
		"unknown static key (xTIBA5rb...)"
#define EV2	"14:03:00 UTC: initiation from [2001:db8::9]:51820 with an " \
		"unknown static key (Yk3Pq0aZ...) (2 more)"

static void
fake_status(struct fake *f, int naddrs, int has_pubkey)
{
	struct ctl_status	st;
	struct ctl_proc		pr;
	static const char	*roles[] = { "parent", "net", "crypto", "tun" };
	int			i;

	memset(&st, 0, sizeof(st));
	(void)strlcpy(st.ifname, "mesh0", sizeof(st.ifname));
	st.mtu = 1380;
	st.listen_port = 51999;
	st.has_pubkey = has_pubkey;
	memset(st.pubkey, 1, sizeof(st.pubkey));
	st.uptime = 2 * 3600 + 3 * 60 + 4;
	st.npeers = 2;
	st.naddrs = naddrs;
	prefix(&st.addrs[0], "100.64.0.1", 24);
	prefix(&st.addrs[1], "fd00:6d65:7368::1", 64);
	fake_send(f, IMSG_CTL_STATUS, &st, sizeof(st));
	for (i = 0; i < 4; i++) {
		memset(&pr, 0, sizeof(pr));
		(void)strlcpy(pr.role, roles[i], sizeof(pr.role));
		pr.proc.pid = 100 + i;
		pr.proc.uid = i == 0 ? 0 : 998;
		pr.proc.chrooted = pr.proc.sandboxed = i != 0;
		if (i != 0) {
			/* net 1000 received 1 malformed, crypto 2000 2 ... */
			pr.proc.has_counters = 1;
			pr.proc.counters.rx_packets = 1000 * i;
			pr.proc.counters.drop_malformed = i;
			pr.proc.counters.drop_handshake = 10 * i;
		}
		if (i == 2)
			(void)strlcpy(pr.proc.counters.hs_error, EV1 "\n" EV2
			    "\n", sizeof(pr.proc.counters.hs_error));
		fake_send(f, IMSG_CTL_PROC, &pr, sizeof(pr));
	}
	fake_send(f, IMSG_CTL_END, NULL, 0);
}

static void
test_status(void)
{
	struct fake	f;
	uint32_t	type;

	fake_start(&f);
	fake_status(&f, 2, 1);
	fake_run(&f, "show status", &text_output);
	is_int(f.ret, 0, "show status: exit 0");
	is_str(f.out,
	    "interface: mesh0\n"
	    "public key: " KEY_B64 "\n"
	    "listen port: 51999\n"
	    "mtu: 1380\n"
	    "address: 100.64.0.1/24\n"
	    "address: fd00:6d65:7368::1/64\n"
	    "peers: 2\n"
	    "uptime: 2h 3m 4s\n"
	    "\n"
	    "ROLE      PID       UID       CHROOT    SANDBOX\n"
	    "parent    100       0         no        no\n"
	    "net       101       998       yes       yes\n"
	    "crypto    102       998       yes       yes\n"
	    "tun       103       998       yes       yes\n"
	    "\n"
	    "COUNTER               NET           CRYPTO        TUN\n"
	    "received              1000          2000          3000\n"
	    "handshakes            0             0             0\n"
	    "cookie replies        0             0             0\n"
	    "drop: malformed       1             2             3\n"
	    "drop: bad mac         0             0             0\n"
	    "drop: bad tag         0             0             0\n"
	    "drop: replayed        0             0             0\n"
	    "drop: queue full      0             0             0\n"
	    "drop: bad source      0             0             0\n"
	    "drop: no route        0             0             0\n"
	    "drop: channel full    0             0             0\n"
	    "drop: handshake       10            20            30\n"
	    "drop: rate limit      0             0             0\n"
	    "drop: routing loop    0             0             0\n"
	    "\n"
	    "handshakes of no peer (the last few):\n"
	    "  " EV1 "\n"
	    "  " EV2 "\n",
	    "show status: text");
	is_str(f.err, "", "show status: nothing on stderr");
	ok(fake_request(&f, NULL, 0, &type) == 0 &&
	    type == IMSG_CTL_SHOW_STATUS,
	    "show status: the request is SHOW_STATUS without data");
	fake_done(&f);

	fake_start(&f);
	fake_status(&f, 2, 1);
	fake_run(&f, "show status", &json_output);
	is_int(f.ret, 0, "show status -j: exit 0");
	is_str(f.out,
	    "{\n"
	    "  \"version\": 1,\n"
	    "  \"interface\": \"mesh0\",\n"
	    "  \"public_key\": \"" KEY_B64 "\",\n"
	    "  \"listen_port\": 51999,\n"
	    "  \"mtu\": 1380,\n"
	    "  \"addresses\": [\n"
	    "    \"100.64.0.1/24\",\n"
	    "    \"fd00:6d65:7368::1/64\"\n"
	    "  ],\n"
	    "  \"peers\": 2,\n"
	    "  \"uptime\": 7384,\n"
	    "  \"processes\": [\n"
	    "    {\n"
	    "      \"role\": \"parent\",\n"
	    "      \"pid\": 100,\n"
	    "      \"uid\": 0,\n"
	    "      \"chrooted\": false,\n"
	    "      \"sandboxed\": false\n"
	    "    },\n"
	    "    {\n"
	    "      \"role\": \"net\",\n"
	    "      \"pid\": 101,\n"
	    "      \"uid\": 998,\n"
	    "      \"chrooted\": true,\n"
	    "      \"sandboxed\": true\n"
	    "    },\n"
	    "    {\n"
	    "      \"role\": \"crypto\",\n"
	    "      \"pid\": 102,\n"
	    "      \"uid\": 998,\n"
	    "      \"chrooted\": true,\n"
	    "      \"sandboxed\": true\n"
	    "    },\n"
	    "    {\n"
	    "      \"role\": \"tun\",\n"
	    "      \"pid\": 103,\n"
	    "      \"uid\": 998,\n"
	    "      \"chrooted\": true,\n"
	    "      \"sandboxed\": true\n"
	    "    }\n"

	    "  ],\n"
	    "  \"counters\": {\n"
	    "    \"net\": {\n"
	    "      \"received\": 1000,\n"
	    "      \"handshakes\": 0,\n"
	    "      \"cookie_replies\": 0,\n"
	    "      \"cert_malformed\": 0,\n"
	    "      \"cert_signature\": 0,\n"
	    "      \"cert_expired\": 0,\n"
	    "      \"cert_revoked\": 0,\n"
	    "      \"cert_wrong_mesh\": 0,\n"
	    "      \"cert_wrong_key\": 0,\n"
	    "      \"cert_address\": 0,\n"
	    "      \"cert_static\": 0,\n"
	    "      \"cert_limit\": 0,\n"
	    "      \"crl_bad\": 0,\n"
	    "      \"coord_malformed\": 0,\n"
	    "      \"coord_unexpected\": 0,\n"
	    "      \"provisional_full\": 0,\n"
	    "      \"provisional_timeout\": 0,\n"
	    "      \"members_revoked\": 0,\n"
	    "      \"members_expired\": 0,\n"
	    "      \"stun_unmatched\": 0,\n"
	    "      \"stun_bad\": 0,\n"
	    "      \"stun_answered\": 0,\n"
	    "      \"stun_refused\": 0,\n"
	    "      \"portmap_bad\": 0,\n"
	    "      \"relay_forwarded\": 0,\n"
	    "      \"relay_unknown\": 0,\n"
	    "      \"relay_slow\": 0,\n"
	    "      \"relay_malformed\": 0,\n"
	    "      \"relay_full\": 0,\n"
	    "      \"relay_admitted\": 0,\n"
	    "      \"relay_refused\": 0,\n"
	    "      \"relay_web\": 0,\n"
	    "      \"relay_open\": 0,\n"
	    "      \"tun_super_read\": 0,\n"
	    "      \"tun_segments\": 0,\n"
	    "      \"tun_gro_writes\": 0,\n"
	    "      \"tun_gro_segments\": 0,\n"
	    "      \"gso_sends\": 0,\n"
	    "      \"gso_datagrams\": 0,\n"
	    "      \"gso_refused\": 0,\n"
	    "      \"gro_reads\": 0,\n"
	    "      \"gro_datagrams\": 0,\n"
	    "      \"obfuscated_sent\": 0,\n"
	    "      \"obfuscated_received\": 0,\n"
	    "      \"obfuscation_preludes\": 0,\n"
	    "      \"dropped\": {\n"
	    "        \"malformed\": 1,\n"
	    "        \"bad_mac\": 0,\n"
	    "        \"bad_tag\": 0,\n"
	    "        \"replayed\": 0,\n"
	    "        \"queue_full\": 0,\n"
	    "        \"bad_source\": 0,\n"
	    "        \"no_route\": 0,\n"
	    "        \"channel_full\": 0,\n"
	    "        \"handshake\": 10,\n"
	    "        \"rate_limit\": 0,\n"
	    "        \"routing_loop\": 0\n"
	    "      }\n"
	    "    },\n"
	    "    \"crypto\": {\n"
	    "      \"received\": 2000,\n"
	    "      \"handshakes\": 0,\n"
	    "      \"cookie_replies\": 0,\n"
	    "      \"cert_malformed\": 0,\n"
	    "      \"cert_signature\": 0,\n"
	    "      \"cert_expired\": 0,\n"
	    "      \"cert_revoked\": 0,\n"
	    "      \"cert_wrong_mesh\": 0,\n"
	    "      \"cert_wrong_key\": 0,\n"
	    "      \"cert_address\": 0,\n"
	    "      \"cert_static\": 0,\n"
	    "      \"cert_limit\": 0,\n"
	    "      \"crl_bad\": 0,\n"
	    "      \"coord_malformed\": 0,\n"
	    "      \"coord_unexpected\": 0,\n"
	    "      \"provisional_full\": 0,\n"
	    "      \"provisional_timeout\": 0,\n"
	    "      \"members_revoked\": 0,\n"
	    "      \"members_expired\": 0,\n"
	    "      \"stun_unmatched\": 0,\n"
	    "      \"stun_bad\": 0,\n"
	    "      \"stun_answered\": 0,\n"
	    "      \"stun_refused\": 0,\n"
	    "      \"portmap_bad\": 0,\n"
	    "      \"relay_forwarded\": 0,\n"
	    "      \"relay_unknown\": 0,\n"
	    "      \"relay_slow\": 0,\n"
	    "      \"relay_malformed\": 0,\n"
	    "      \"relay_full\": 0,\n"
	    "      \"relay_admitted\": 0,\n"
	    "      \"relay_refused\": 0,\n"
	    "      \"relay_web\": 0,\n"
	    "      \"relay_open\": 0,\n"
	    "      \"tun_super_read\": 0,\n"
	    "      \"tun_segments\": 0,\n"
	    "      \"tun_gro_writes\": 0,\n"
	    "      \"tun_gro_segments\": 0,\n"
	    "      \"gso_sends\": 0,\n"
	    "      \"gso_datagrams\": 0,\n"
	    "      \"gso_refused\": 0,\n"
	    "      \"gro_reads\": 0,\n"
	    "      \"gro_datagrams\": 0,\n"
	    "      \"obfuscated_sent\": 0,\n"
	    "      \"obfuscated_received\": 0,\n"
	    "      \"obfuscation_preludes\": 0,\n"
	    "      \"dropped\": {\n"
	    "        \"malformed\": 2,\n"
	    "        \"bad_mac\": 0,\n"
	    "        \"bad_tag\": 0,\n"
	    "        \"replayed\": 0,\n"
	    "        \"queue_full\": 0,\n"
	    "        \"bad_source\": 0,\n"
	    "        \"no_route\": 0,\n"
	    "        \"channel_full\": 0,\n"
	    "        \"handshake\": 20,\n"
	    "        \"rate_limit\": 0,\n"
	    "        \"routing_loop\": 0\n"
	    "      }\n"
	    "    },\n"
	    "    \"tun\": {\n"
	    "      \"received\": 3000,\n"
	    "      \"handshakes\": 0,\n"
	    "      \"cookie_replies\": 0,\n"
	    "      \"cert_malformed\": 0,\n"
	    "      \"cert_signature\": 0,\n"
	    "      \"cert_expired\": 0,\n"
	    "      \"cert_revoked\": 0,\n"
	    "      \"cert_wrong_mesh\": 0,\n"
	    "      \"cert_wrong_key\": 0,\n"
	    "      \"cert_address\": 0,\n"
	    "      \"cert_static\": 0,\n"
	    "      \"cert_limit\": 0,\n"
	    "      \"crl_bad\": 0,\n"
	    "      \"coord_malformed\": 0,\n"
	    "      \"coord_unexpected\": 0,\n"
	    "      \"provisional_full\": 0,\n"
	    "      \"provisional_timeout\": 0,\n"
	    "      \"members_revoked\": 0,\n"
	    "      \"members_expired\": 0,\n"
	    "      \"stun_unmatched\": 0,\n"
	    "      \"stun_bad\": 0,\n"
	    "      \"stun_answered\": 0,\n"
	    "      \"stun_refused\": 0,\n"
	    "      \"portmap_bad\": 0,\n"
	    "      \"relay_forwarded\": 0,\n"
	    "      \"relay_unknown\": 0,\n"
	    "      \"relay_slow\": 0,\n"
	    "      \"relay_malformed\": 0,\n"
	    "      \"relay_full\": 0,\n"
	    "      \"relay_admitted\": 0,\n"
	    "      \"relay_refused\": 0,\n"
	    "      \"relay_web\": 0,\n"
	    "      \"relay_open\": 0,\n"
	    "      \"tun_super_read\": 0,\n"
	    "      \"tun_segments\": 0,\n"
	    "      \"tun_gro_writes\": 0,\n"
	    "      \"tun_gro_segments\": 0,\n"
	    "      \"gso_sends\": 0,\n"
	    "      \"gso_datagrams\": 0,\n"
	    "      \"gso_refused\": 0,\n"
	    "      \"gro_reads\": 0,\n"
	    "      \"gro_datagrams\": 0,\n"
	    "      \"obfuscated_sent\": 0,\n"
	    "      \"obfuscated_received\": 0,\n"
	    "      \"obfuscation_preludes\": 0,\n"
	    "      \"dropped\": {\n"
	    "        \"malformed\": 3,\n"
	    "        \"bad_mac\": 0,\n"
	    "        \"bad_tag\": 0,\n"
	    "        \"replayed\": 0,\n"
	    "        \"queue_full\": 0,\n"
	    "        \"bad_source\": 0,\n"
	    "        \"no_route\": 0,\n"
	    "        \"channel_full\": 0,\n"
	    "        \"handshake\": 30,\n"
	    "        \"rate_limit\": 0,\n"
	    "        \"routing_loop\": 0\n"
	    "      }\n"
	    "    }\n"
	    "  },\n"
	    "  \"unknown_peer_handshakes\": [\n"
	    "    \"" EV1 "\",\n"
	    "    \"" EV2 "\"\n"
	    "  ]\n"
	    "}\n",
	    "show status -j: JSON");
	fake_done(&f);

	/* no key yet, no address */
	fake_start(&f);
	fake_status(&f, 0, 0);
	fake_run(&f, "show status", &text_output);
	ok(strstr(f.out, "public key: (none)\n") != NULL &&
	    strstr(f.out, "address: (none)\n") != NULL,
	    "show status: no key and no address say (none)");
	fake_done(&f);
	fake_start(&f);
	fake_status(&f, 0, 0);
	fake_run(&f, "show status", &json_output);
	ok(strstr(f.out, "\"public_key\": null,\n") != NULL &&
	    strstr(f.out, "\"addresses\": [],\n") != NULL,
	    "show status -j: public_key null, addresses []");
	fake_done(&f);
}

static void
queue_two_peers(struct fake *f)
{
	struct mesh_prefix	aips[2];

	prefix(&aips[0], "100.64.0.2", 32);
	prefix(&aips[1], "fd00:6d65:7368::2", 128);
	fake_peer(f, 1, "beta", 1, "198.18.0.2:51820", 1, 25, aips, 2, 2);
	prefix(&aips[0], "100.64.0.3", 32);
	fake_peer(f, 2, "a-peer-with-a-rather-long-name", 2, "", 0, 0, aips, 1,
	    1);
}

static void
test_peers(void)
{
	struct fake		f;
	struct ctl_peer_req	req;
	uint32_t		type;

	fake_start(&f);
	queue_two_peers(&f);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peers", &text_output);
	is_int(f.ret, 0, "show peers: exit 0");
	is_str(f.out,
	    "NAME                            SOURCE  ENDPOINT          "
	    "ALLOWED IPS                          HANDSHAKE  RX        "
	    "TX        KEEPALIVE\n"
	    "beta                            config  198.18.0.2:51820  "
	    "100.64.0.2/32,fd00:6d65:7368::2/128  never      1.50 KiB  "
	    "3.00 MiB  25s\n"
	    "a-peer-with-a-rather-long-name  config  (none)            "
	    "100.64.0.3/32                        never      3.00 KiB  "
	    "6.00 MiB  off\n",
	    "show peers: a table as wide as its cells, nothing cut");
	memset(&req, 0xff, sizeof(req));
	ok(fake_request(&f, &req, sizeof(req), &type) == 0 &&
	    type == IMSG_CTL_SHOW_PEERS && req.name[0] == '\0',
	    "show peers: the request is SHOW_PEERS with an empty name");
	fake_done(&f);

	fake_start(&f);
	queue_two_peers(&f);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peers", &json_output);
	is_int(f.ret, 0, "show peers -j: exit 0");
	is_str(f.out,
	    "{\n"
	    "  \"version\": 1,\n"
	    "  \"peers\": [\n"
	    "    {\n"
	    "      \"name\": \"beta\",\n"
	    "      \"id\": 1,\n"
	    "      \"public_key\": \"" KEY_B64 "\",\n"
	    "      \"has_preshared_key\": true,\n"
	    "      \"endpoint\": \"198.18.0.2:51820\",\n"
	    "      \"allowed_ips\": [\n"
	    "        \"100.64.0.2/32\",\n"
	    "        \"fd00:6d65:7368::2/128\"\n"
	    "      ],\n"
	    "      \"persistent_keepalive\": 25,\n"
	    "      \"latest_handshake\": 0,\n"
	    "      \"rx_bytes\": 1536,\n"
	    "      \"tx_bytes\": 3145728,\n"
	    "      \"dropped\": {\n"
	    "        \"malformed\": 0,\n"
	    "        \"bad_tag\": 0,\n"
	    "        \"replayed\": 1,\n"
	    "        \"queue_full\": 0,\n"
	    "        \"bad_source\": 0,\n"
	    "        \"no_route\": 0,\n"
	    "        \"channel_full\": 0,\n"
	    "        \"routing_loop\": 0\n"
	    "      },\n"
	    "      \"handshake_state\": \"none\",\n"
	    "      \"attempts\": 0,\n"
	    "      \"last_attempt\": 0,\n"
	    "      \"last_error\": null,\n"
	    "      \"source\": \"config\",\n"
	    "      \"coordinator\": false,\n"
	    "      \"addresses\": [],\n"
	    "      \"groups\": [],\n"
	    "      \"roles\": [],\n"
	    "      \"cert_expires\": null\n"
	    "    },\n"
	    "    {\n"
	    "      \"name\": \"a-peer-with-a-rather-long-name\",\n"
	    "      \"id\": 2,\n"
	    "      \"public_key\": \"" KEY2_B64 "\",\n"
	    "      \"has_preshared_key\": false,\n"
	    "      \"endpoint\": null,\n"
	    "      \"allowed_ips\": [\n"
	    "        \"100.64.0.3/32\"\n"
	    "      ],\n"
	    "      \"persistent_keepalive\": 0,\n"
	    "      \"latest_handshake\": 0,\n"
	    "      \"rx_bytes\": 3072,\n"
	    "      \"tx_bytes\": 6291456,\n"
	    "      \"dropped\": {\n"
	    "        \"malformed\": 0,\n"
	    "        \"bad_tag\": 0,\n"
	    "        \"replayed\": 2,\n"
	    "        \"queue_full\": 0,\n"
	    "        \"bad_source\": 0,\n"
	    "        \"no_route\": 0,\n"
	    "        \"channel_full\": 0,\n"
	    "        \"routing_loop\": 0\n"
	    "      },\n"
	    "      \"handshake_state\": \"none\",\n"
	    "      \"attempts\": 0,\n"
	    "      \"last_attempt\": 0,\n"
	    "      \"last_error\": null,\n"
	    "      \"source\": \"config\",\n"
	    "      \"coordinator\": false,\n"
	    "      \"addresses\": [],\n"
	    "      \"groups\": [],\n"
	    "      \"roles\": [],\n"
	    "      \"cert_expires\": null\n"
	    "    }\n"
	    "  ]\n"
	    "}\n",
	    "show peers -j: JSON");
	fake_done(&f);

	fake_start(&f);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peers", &text_output);
	is_int(f.ret, 0, "show peers, none: exit 0");
	is_str(f.out, "no peers\n", "show peers, none: \"no peers\"");
	fake_done(&f);

	fake_start(&f);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peers", &json_output);
	is_str(f.out, "{\n  \"version\": 1,\n  \"peers\": []\n}\n",
	    "show peers -j, none: an empty list");
	fake_done(&f);
}

static void
test_peer(void)
{
	struct fake		f;
	struct ctl_peer_req	req;
	struct mesh_prefix	aips[2];
	uint32_t		type;

	fake_start(&f);
	prefix(&aips[0], "100.64.0.2", 32);
	prefix(&aips[1], "fd00:6d65:7368::2", 128);
	fake_peer(&f, 1, "beta", 1, "198.18.0.2:51820", 1, 25, aips, 2, 2);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peer beta", &text_output);
	is_int(f.ret, 0, "show peer: exit 0");
	is_str(f.out,
	    "name: beta\n"
	    "id: 1\n"
	    "source: config\n"
	    "public key: " KEY_B64 "\n"
	    "preshared key: (hidden)\n"
	    "endpoint: 198.18.0.2:51820\n"
	    "allowed ips: 100.64.0.2/32, fd00:6d65:7368::2/128\n"
	    "persistent keepalive: every 25 seconds\n"
	    "latest handshake: never\n"
	    "transfer: 1.50 KiB received, 3.00 MiB sent\n"
	    "dropped: 0 malformed, 0 bad tag, 1 replayed, 0 queue full, "
	    "0 bad source, 0 no route, 0 channel full, 0 routing loop\n"
	    "handshake: none\n"
	    "last error: (none)\n",
	    "show peer: the detail view");
	ok(fake_request(&f, &req, sizeof(req), &type) == 0 &&
	    type == IMSG_CTL_SHOW_PEERS && strcmp(req.name, "beta") == 0,
	    "show peer: the request names the peer");
	fake_done(&f);

	fake_start(&f);
	fake_peer(&f, 3, "gamma", 2, "", 0, 0, aips, 0, 0);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peer gamma", &text_output);
	is_str(f.out,
	    "name: gamma\n"
	    "id: 3\n"
	    "source: config\n"
	    "public key: " KEY2_B64 "\n"
	    "preshared key: (none)\n"
	    "endpoint: (none)\n"
	    "allowed ips: (none)\n"
	    "persistent keepalive: off\n"
	    "latest handshake: never\n"
	    "transfer: 4.50 KiB received, 9.00 MiB sent\n"
	    "dropped: 0 malformed, 0 bad tag, 3 replayed, 0 queue full, "
	    "0 bad source, 0 no route, 0 channel full, 0 routing loop\n"
	    "handshake: initiating, 4 initiations sent, the last 0s ago\n"
	    "last error: no response to 3 initiations since 14:02:11 UTC\n",
	    "show peer: no psk, endpoint, allowed ips or keepalive; "
	    "initiating");
	fake_done(&f);

	fake_start(&f);
	fake_peer(&f, 3, "gamma", 2, "[fd00:1::4]:51820", 0, 1, aips, 1, 1);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peer gamma", &json_output);
	is_str(f.out,
	    "{\n"
	    "  \"version\": 1,\n"
	    "  \"name\": \"gamma\",\n"
	    "  \"id\": 3,\n"
	    "  \"public_key\": \"" KEY2_B64 "\",\n"
	    "  \"has_preshared_key\": false,\n"
	    "  \"endpoint\": \"[fd00:1::4]:51820\",\n"
	    "  \"allowed_ips\": [\n"
	    "    \"100.64.0.2/32\"\n"
	    "  ],\n"
	    "  \"persistent_keepalive\": 1,\n"
	    "  \"latest_handshake\": 0,\n"
	    "  \"rx_bytes\": 4608,\n"
	    "  \"tx_bytes\": 9437184,\n"
	    "  \"dropped\": {\n"
	    "    \"malformed\": 0,\n"
	    "    \"bad_tag\": 0,\n"
	    "    \"replayed\": 3,\n"
	    "    \"queue_full\": 0,\n"
	    "    \"bad_source\": 0,\n"
	    "    \"no_route\": 0,\n"
	    "    \"channel_full\": 0,\n"
	    "    \"routing_loop\": 0\n"
	    "  },\n"
	    "  \"handshake_state\": \"initiating\",\n"
	    "  \"attempts\": 4,\n"
	    "  \"last_attempt\": 4102444800,\n"
	    "  \"last_error\": \"no response to 3 initiations since "
	    "14:02:11 UTC\",\n"
	    "  \"source\": \"config\",\n"
	    "  \"coordinator\": false,\n"
	    "  \"addresses\": [],\n"
	    "  \"groups\": [],\n"
	    "  \"roles\": [],\n"
	    "  \"cert_expires\": null\n"
	    "}\n",
	    "show peer -j: one object");
	fake_done(&f);

	/* unknown: meshd's text on stderr, exit 1, nothing on stdout */
	fake_start(&f);
	fake_result(&f, ENOENT, "no such peer: nosuch");
	queue_two_peers(&f);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peer nosuch", &text_output);
	is_int(f.ret, 1, "show peer nosuch: exit 1");
	is_str(f.err, "no such peer: nosuch\n", "show peer nosuch: stderr");
	is_str(f.out, "", "show peer nosuch: nothing on stdout");
	fake_done(&f);

	/* a unique prefix of a name meshd knows */
	fake_start(&f);
	fake_result(&f, ENOENT, "no such peer: be");
	queue_two_peers(&f);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peer be", &text_output);
	is_int(f.ret, 0, "show peer be: a unique prefix, exit 0");
	ok(strncmp(f.out, "name: beta\n", 11) == 0, "show peer be: shows beta");
	ok(fake_request(&f, &req, sizeof(req), &type) == 0 &&
	    strcmp(req.name, "be") == 0 &&
	    fake_request(&f, &req, sizeof(req), &type) == 0 &&
	    req.name[0] == '\0',
	    "show peer be: asked for \"be\", then for all");
	fake_done(&f);

	fake_start(&f);
	fake_result(&f, ENOENT, "no such peer: x");
	fake_peer(&f, 1, "ab", 1, "", 0, 0, aips, 0, 0);
	fake_peer(&f, 2, "ac", 1, "", 0, 0, aips, 0, 0);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peer a", &text_output);
	is_int(f.ret, 1, "show peer a: ambiguous, exit 1");
	is_str(f.err, "meshctl: ambiguous peer name \"a\"; could be: ab ac\n",
	    "show peer a: lists the candidates");
	fake_done(&f);
}

static void
fake_change(struct fake *f, uint32_t kind, const char *name, uint32_t fields)
{
	struct ctl_change	c;

	memset(&c, 0, sizeof(c));
	c.kind = kind;
	c.fields = fields;
	c.aips_added = 2;
	c.aips_removed = 1;
	c.count = 9990;
	(void)strlcpy(c.name, name, sizeof(c.name));
	fake_send(f, IMSG_CTL_RELOAD_CHANGE, &c, sizeof(c));
}

/* reload with its changes; show config in chunks */
static void
test_reload_changes(void)
{
	struct fake	f;
	uint32_t	type;

	fake_start(&f);
	fake_change(&f, CHANGE_REMOVED, "a", 0);
	fake_change(&f, CHANGE_CHANGED, "b", CHANGE_F_ENDPOINT | CHANGE_F_AIPS);
	fake_change(&f, CHANGE_MORE, "", 0);
	fake_result(&f, 0, "reload done: 3 peers; 1 removed, 1 changed");
	fake_run(&f, "reload", &text_output);
	is_int(f.ret, 0, "reload with changes: exit 0");
	is_str(f.out, "reload done: 3 peers; 1 removed, 1 changed\n"
	    "removed peer a\n"
	    "changed peer b: endpoint, allowed-ips (+2 -1)\n"
	    "and 9990 more changes\n", "reload: a line per change");
	fake_done(&f);

	fake_start(&f);
	fake_change(&f, CHANGE_ADDED, "c", 0);
	fake_change(&f, CHANGE_CHANGED, "b", CHANGE_F_ENDPOINT | CHANGE_F_AIPS);
	fake_result(&f, 0, "reload done: 3 peers; 1 added, 1 changed");
	fake_run(&f, "-j reload", &json_output);
	ok(strstr(f.out, "\"added\": [\n    \"c\"\n  ]") != NULL,
	    "reload -j: added");
	ok(strstr(f.out, "\"allowed_ips\"") != NULL &&
	    strstr(f.out, "\"endpoint\"") != NULL, "reload -j: the fields");
	fake_done(&f);

	fake_start(&f);
	fake_send(&f, IMSG_CTL_CONFIG_TEXT, "interface \"x\" {\n", 16);
	fake_send(&f, IMSG_CTL_CONFIG_TEXT, "}\n", 2);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show config", &text_output);
	is_int(f.ret, 0, "show config: exit 0");
	is_str(f.out, "interface \"x\" {\n}\n", "show config: the chunks "
	    "joined");
	ok(fake_request(&f, NULL, 0, &type) == 0 &&
	    type == IMSG_CTL_SHOW_CONFIG, "show config: the request");
	fake_done(&f);

	fake_start(&f);
	fake_send(&f, IMSG_CTL_CONFIG_TEXT, "a\0b", 3);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show config", &text_output);
	is_int(f.ret, 1, "show config: a NUL in the text is an error");
	fake_done(&f);
}

static void
test_result(void)
{
	struct fake	f;
	uint32_t	type;
	int		v = -1;

	fake_start(&f);
	fake_result(&f, 0, "reload done");
	fake_run(&f, "reload", &text_output);
	is_int(f.ret, 0, "reload: exit 0");
	is_str(f.out, "reload done\n", "reload: the text on stdout");
	is_str(f.err, "", "reload: nothing on stderr");
	ok(fake_request(&f, NULL, 0, &type) == 0 && type == IMSG_CTL_RELOAD,
	    "reload: the request is RELOAD");
	fake_done(&f);

	fake_start(&f);
	fake_result(&f, EINVAL, "/etc/meshd.conf:2: syntax error\n"
	    "/etc/meshd.conf:5: unknown keyword \"mtuu\"");
	fake_run(&f, "reload", &text_output);
	is_int(f.ret, 1, "reload, bad config: exit 1");
	is_str(f.err, "/etc/meshd.conf:2: syntax error\n"
	    "/etc/meshd.conf:5: unknown keyword \"mtuu\"\n",
	    "reload, bad config: every line on stderr");
	is_str(f.out, "", "reload, bad config: nothing on stdout");
	fake_done(&f);

	fake_start(&f);
	fake_result(&f, EINVAL, "a.conf:2: bad \"x\"\tnow\n");
	fake_run(&f, "reload", &json_output);
	is_int(f.ret, 1, "reload -j, bad config: exit 1");
	is_str(f.out, "{\n  \"version\": 1,\n"
	    "  \"error\": \"a.conf:2: bad \\\"x\\\"\\tnow\"\n}\n",
	    "reload -j, bad config: a JSON error, escaped");
	is_str(f.err, "", "reload -j, bad config: nothing on stderr");
	fake_done(&f);

	fake_start(&f);
	fake_result(&f, 0, "logging verbose");
	fake_run(&f, "log verbose", &json_output);
	is_int(f.ret, 0, "log verbose -j: exit 0");
	is_str(f.out, "{\n  \"version\": 1,\n  \"result\": \"ok\",\n"
	    "  \"message\": \"logging verbose\"\n}\n", "log verbose -j: JSON");
	ok(fake_request(&f, &v, sizeof(v), &type) == 0 &&
	    type == IMSG_CTL_LOG_VERBOSE && v == 1,
	    "log verbose: LOG_VERBOSE with 1");
	fake_done(&f);

	fake_start(&f);
	fake_result(&f, EPERM, "permission denied: this request needs root");
	fake_run(&f, "log brief", &text_output);
	is_int(f.ret, 1, "log brief, not root: exit 1");
	is_str(f.err, "permission denied: this request needs root\n",
	    "log brief, not root: the reason on stderr");
	ok(fake_request(&f, &v, sizeof(v), &type) == 0 &&
	    type == IMSG_CTL_LOG_VERBOSE && v == 0,
	    "log brief: LOG_VERBOSE with 0");
	fake_done(&f);

	/* a show command meshd refuses */
	fake_start(&f);
	fake_result(&f, EPERM, "go away");
	fake_run(&f, "show peers", &json_output);
	is_int(f.ret, 1, "show peers refused: exit 1");
	is_str(f.out, "{\n  \"version\": 1,\n  \"error\": \"go away\"\n}\n",
	    "show peers refused -j: a JSON error on stdout");
	is_str(f.err, "", "show peers refused -j: nothing on stderr");
	fake_done(&f);
}

/*
 * replies that are wrong: each must fail cleanly, printing no data;
 * with -j the message (err, less "meshctl: " and its newline) is the
 * one JSON error object on stdout
 */
static void
bad_reply(struct fake *f, const char *line, const char *err,
    const char *name)
{
	char	want[512];
	size_t	len = strlen(err);

	(void)snprintf(want, sizeof(want), "{\n  \"version\": 1,\n"
	    "  \"error\": \"%.*s\"\n}\n", (int)(len - 10), err + 9);
	fake_run(f, line, &json_output);
	is_int(f->ret, 1, "%s: exit 1", name);
	is_str(f->err, "", "%s: nothing on stderr", name);
	is_str(f->out, want, "%s: the message as a JSON error", name);
	fake_done(f);
}

static void
test_malformed(void)
{
	struct fake		f;
	struct mesh_prefix	aips[3];
	struct ctl_status	st;
	struct ctl_proc		pr;
	unsigned char		buf[sizeof(struct ctl_proc) + 64];
	char			longname[MESH_NAME_MAX + 8], msg[128];

	prefix(&aips[0], "100.64.0.2", 32);
	prefix(&aips[1], "100.64.0.3", 32);
	prefix(&aips[2], "100.64.0.4", 32);

	fake_start(&f);
	fake_peer(&f, 1, "beta", 1, "", 0, 0, aips, 3, 2);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	bad_reply(&f, "show peers",
	    "meshctl: malformed peer message from meshd\n",
	    "peer claims 3 allowed IPs, sends 2");

	fake_start(&f);
	fake_peer(&f, 1, "beta", 1, "", 0, 0, aips, 2, 3);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	bad_reply(&f, "show peers",
	    "meshctl: malformed peer message from meshd\n",
	    "peer claims 2 allowed IPs, sends 3");

	fake_start(&f);
	fake_peer(&f, 1, "beta", 1, "", 0, 0, aips, 0x40000000, 1);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	bad_reply(&f, "show peers",
	    "meshctl: malformed peer message from meshd\n",
	    "peer claims 2^30 allowed IPs");

	/* allowed IPs in chunks: whole, and every way a chunk is wrong */
	fake_start(&f);
	fake_peer(&f, 1, "beta", 1, "", 0, 0, aips, 3, 2);
	fake_send_id(&f, IMSG_CTL_PEER_AIPS, 1, &aips[2], sizeof(aips[2]));
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peers", &json_output);
	ok(f.ret == 0 && strstr(f.out, "\"100.64.0.2/32\",\n        "
	    "\"100.64.0.3/32\",\n        \"100.64.0.4/32\"\n") != NULL,
	    "allowed IPs in two chunks: all three, in order");
	fake_done(&f);

	fake_start(&f);
	fake_peer(&f, 1, "beta", 1, "", 0, 0, aips, 2, 2);
	fake_send_id(&f, IMSG_CTL_PEER_AIPS, 1, &aips[2], sizeof(aips[2]));
	(void)snprintf(msg, sizeof(msg), "meshctl: unexpected message from "
	    "meshd (type %d, peer)\n", IMSG_CTL_PEER_AIPS);
	bad_reply(&f, "show peers", msg, "a chunk after the last");

	fake_start(&f);
	fake_peer(&f, 1, "beta", 1, "", 0, 0, aips, 3, 2);
	fake_send_id(&f, IMSG_CTL_PEER_AIPS, 2, &aips[2], sizeof(aips[2]));
	bad_reply(&f, "show peers",
	    "meshctl: malformed peer message from meshd\n",
	    "a chunk for another peer");

	fake_start(&f);
	fake_peer(&f, 1, "beta", 1, "", 0, 0, aips, 3, 2);
	fake_send_id(&f, IMSG_CTL_PEER_AIPS, 1, NULL, 0);
	bad_reply(&f, "show peers",
	    "meshctl: malformed peer message from meshd\n",
	    "an empty chunk");

	fake_start(&f);
	fake_peer(&f, 1, "beta", 1, "", 0, 0, aips, 3, 2);
	fake_send_id(&f, IMSG_CTL_PEER_AIPS, 1, &aips[2], 7);
	bad_reply(&f, "show peers",
	    "meshctl: malformed peer message from meshd\n",
	    "a chunk of 7 bytes");

	fake_start(&f);
	fake_peer(&f, 1, "beta", 1, "", 0, 0, aips, 3, 2);
	fake_peer(&f, 2, "gamma", 1, "", 0, 0, aips, 0, 0);
	bad_reply(&f, "show peers",
	    "meshctl: malformed peer message from meshd\n",
	    "the next peer before the last chunk");

	fake_start(&f);
	memset(buf, 0, sizeof(buf));
	fake_send(&f, IMSG_CTL_PEER, buf, 10);
	bad_reply(&f, "show peers",
	    "meshctl: malformed peer message from meshd\n",
	    "peer message shorter than struct ctl_peer");

	fake_start(&f);
	aips[2].af = 5;
	fake_peer(&f, 1, "beta", 1, "", 0, 0, aips, 3, 3);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	bad_reply(&f, "show peers",
	    "meshctl: malformed peer message from meshd\n",
	    "allowed IP of family 5");
	prefix(&aips[2], "100.64.0.4", 33);

	fake_start(&f);
	fake_peer(&f, 1, "beta", 1, "", 0, 0, aips, 3, 3);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	bad_reply(&f, "show peers",
	    "meshctl: malformed peer message from meshd\n",
	    "allowed IPv4 with a /33");

	fake_start(&f);
	memset(&st, 0, sizeof(st));
	fake_send(&f, IMSG_CTL_STATUS, &st, sizeof(st) - 1);
	bad_reply(&f, "show status",
	    "meshctl: malformed status message from meshd\n",
	    "status one byte short");

	fake_start(&f);
	st.naddrs = MESH_MAX_ADDRS + 1;
	fake_send(&f, IMSG_CTL_STATUS, &st, sizeof(st));
	bad_reply(&f, "show status",
	    "meshctl: malformed status message from meshd\n",
	    "status with 17 addresses");

	fake_start(&f);
	st.naddrs = 0;
	memset(&pr, 0, sizeof(pr));
	fake_send(&f, IMSG_CTL_STATUS, &st, sizeof(st));
	fake_send(&f, IMSG_CTL_PROC, &pr, sizeof(pr) + 0);
	fake_send(&f, IMSG_CTL_PROC, buf, sizeof(pr) + 1);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	bad_reply(&f, "show status",
	    "meshctl: malformed process message from meshd\n",
	    "process message one byte long");

	fake_start(&f);
	fake_send(&f, IMSG_CTL_PROC, &pr, sizeof(pr));
	(void)snprintf(msg, sizeof(msg), "meshctl: unexpected message from "
	    "meshd (type %d, process)\n", IMSG_CTL_PROC);
	bad_reply(&f, "show status", msg, "process before status");

	fake_start(&f);
	fake_send(&f, IMSG_CTL_STATUS, &st, sizeof(st));
	fake_send(&f, IMSG_CTL_END, buf, 4);
	bad_reply(&f, "show status",
	    "meshctl: malformed end message from meshd\n",
	    "end with data");

	fake_start(&f);
	fake_send(&f, IMSG_CTL_STATUS, &st, sizeof(st));
	(void)snprintf(msg, sizeof(msg), "meshctl: unexpected message from "
	    "meshd (type %d, status)\n", IMSG_CTL_STATUS);
	bad_reply(&f, "show peers", msg, "status in answer to show peers");

	fake_start(&f);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	(void)snprintf(msg, sizeof(msg), "meshctl: unexpected message from "
	    "meshd (type %d, end)\n", IMSG_CTL_END);
	bad_reply(&f, "reload", msg, "end in answer to reload");

	fake_start(&f);
	fake_send(&f, 999, NULL, 0);
	bad_reply(&f, "reload",
	    "meshctl: unexpected message from meshd (type 999, unknown)\n",
	    "a type meshctl does not know");

	fake_start(&f);
	fake_send(&f, IMSG_CTL_RESULT, buf, 2);
	bad_reply(&f, "reload",
	    "meshctl: malformed result message from meshd\n",
	    "result shorter than its code");

	fake_start(&f);
	queue_two_peers(&f);
	shutdown(f.d.fd, SHUT_WR);
	bad_reply(&f, "show peers",
	    "meshctl: meshd closed the connection before it answered\n",
	    "connection closed before END");

	/* strings without their NUL are cut, not overrun */
	fake_start(&f);
	memset(longname, 'x', sizeof(longname));
	fake_peer(&f, 1, longname, 1, "", 0, 0, aips, 0, 0);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peer x", &text_output);
	memset(longname, 'x', MESH_NAME_MAX - 1);
	longname[MESH_NAME_MAX - 1] = '\0';
	ok(f.ret == 0 && strncmp(f.out, "name: ", 6) == 0 &&
	    strncmp(f.out + 6, longname, MESH_NAME_MAX - 1) == 0 &&
	    f.out[6 + MESH_NAME_MAX - 1] == '\n',
	    "a name without its NUL: cut at 63 characters");
	fake_done(&f);

	fake_start(&f);
	{
		struct ctl_result	res = { 0 };

		memcpy(buf, &res, sizeof(res));
		memcpy(buf + sizeof(res), "done", 4);	/* no NUL */
		fake_send(&f, IMSG_CTL_RESULT, buf, sizeof(res) + 4);
	}
	fake_run(&f, "reload", &text_output);
	is_str(f.out, "done\n", "a result text without its NUL");
	fake_done(&f);

	/* control characters from the daemon do not reach the terminal */
	fake_start(&f);
	fake_peer(&f, 1, "evil\033[2J", 1, "", 0, 0, aips, 0, 0);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peer evil", &text_output);
	ok(strncmp(f.out, "name: evil?[2J\n", 15) == 0,
	    "an escape in a name prints as ?");
	fake_done(&f);
}

static char *
json_str(const char *s)
{
	static char	*buf;
	size_t		 len;
	FILE		*fp;

	free(buf);
	buf = NULL;
	if ((fp = open_memstream(&buf, &len)) == NULL)
		exit(1);
	json_print_string(fp, s);
	fclose(fp);
	return buf;
}

static void
test_json(void)
{
	struct json	 j;
	char		*buf = NULL;
	size_t		 len;
	FILE		*fp;

	is_str(json_str("plain"), "\"plain\"", "json: plain string");
	is_str(json_str("a\"b\\c"), "\"a\\\"b\\\\c\"",
	    "json: quote, backslash");
	is_str(json_str("\n\t\r\b\f\001\037\177"),
	    "\"\\n\\t\\r\\b\\f\\u0001\\u001f\\u007f\"", "json: controls");
	is_str(json_str("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91"),
	    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91\"",
	    "json: valid UTF-8 passes");
	is_str(json_str("a\xff" "b\xc3"), "\"a\\ufffdb\\ufffd\"",
	    "json: invalid bytes and a cut sequence become U+FFFD");
	is_str(json_str("\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80"),
	    "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd"
	    "\\ufffd\"",
	    "json: overlong, surrogate and too-high sequences rejected");
	is_str(json_str(NULL), "null", "json: NULL is null");

	if ((fp = open_memstream(&buf, &len)) == NULL)
		exit(1);
	json_init(&j, fp);
	json_object_open(&j, NULL);
	json_array_open(&j, "a");
	json_array_close(&j);
	json_object_open(&j, "o");
	json_object_close(&j);
	json_bool(&j, "t", 1);
	json_null(&j, "n");
	json_int(&j, "i", -5);
	json_object_close(&j);
	ok(json_finish(&j) == 0, "json: a nested document finishes");
	fclose(fp);
	is_str(buf, "{\n  \"a\": [],\n  \"o\": {},\n  \"t\": true,\n"
	    "  \"n\": null,\n  \"i\": -5\n}\n", "json: empty containers");
	free(buf);

	buf = NULL;
	if ((fp = open_memstream(&buf, &len)) == NULL)
		exit(1);
	json_init(&j, fp);
	json_object_open(&j, NULL);
	ok(json_finish(&j) == -1, "json: an unclosed object is an error");
	fclose(fp);
	free(buf);
}

static void
test_uptime(void)
{
	char	buf[64];

	is_str(output_uptime(0, buf, sizeof(buf)), "0s", "uptime 0");
	is_str(output_uptime(59, buf, sizeof(buf)), "59s", "uptime 59");
	is_str(output_uptime(60, buf, sizeof(buf)), "1m 0s", "uptime 60");
	is_str(output_uptime(7384, buf, sizeof(buf)), "2h 3m 4s",
	    "uptime 7384");
	is_str(output_uptime(7200, buf, sizeof(buf)), "2h 0m 0s",
	    "uptime 7200");
	is_str(output_uptime(90061, buf, sizeof(buf)), "1d 1h 1m 1s",
	    "uptime 90061");
	is_str(output_uptime(-5, buf, sizeof(buf)), "0s", "uptime negative");
	is_str(output_handshake(0, buf, sizeof(buf)), "never", "handshake never");
	is_str(output_handshake((int64_t)time(NULL) + 3600, buf, sizeof(buf)),
	    "0s ago", "handshake ahead of our clock");
	is_str(output_handshake(INT64_MIN, buf, sizeof(buf)), "unknown",
	    "handshake before 1970 (the fuzzer's INT64_MIN)");
	is_str(output_handshake(INT64_MAX, buf, sizeof(buf)), "0s ago",
	    "handshake at INT64_MAX");
}

/* ---- one name per counter, aligned columns, sort, rates ---- */

static void
stats_set(struct mesh_peer_stats *st, const struct counter_desc *d,
    uint64_t v)
{
	memcpy((char *)st + d->off, &v, sizeof(v));
}

/* a peer's counters, each its own value: 1000 + its place in the table */
static void
fake_peer_counters(struct fake *f)
{
	struct ctl_peer	cp;
	size_t		k;

	memset(&cp, 0, sizeof(cp));
	cp.id = 1;
	(void)strlcpy(cp.name, "beta", sizeof(cp.name));
	for (k = 0; k < counter_ndescs; k++)
		stats_set(&cp.stats, &counter_descs[k], 1000 + k);
	fake_send(f, IMSG_CTL_PEER, &cp, sizeof(cp));
	fake_send(f, IMSG_CTL_END, NULL, 0);
}

static void
test_counter_names(void)
{
	struct fake	 f;
	struct ctl_proc	 pr;
	struct ctl_status st;
	char		 text[4096], json[4096], key[64], want[128];
	size_t		 k, i;
	int		 good;

	/* a key is the name in snake_case, and no two are the same */
	for (k = 0, good = 1; k < counter_ndescs; k++) {
		counter_key(&counter_descs[k], key, sizeof(key));
		for (i = 0; key[i] != '\0'; i++)
			if ((key[i] < 'a' || key[i] > 'z') && key[i] != '_')
				good = 0;
		for (i = 0; i < k; i++)
			if (strcmp(counter_descs[i].name,
			    counter_descs[k].name) == 0)
				good = 0;
	}
	ok(good, "counter names: lower case words, each used once");
	is_str(counter_key(&counter_descs[7], key, sizeof(key)), "queue_full",
	    "counter_key: \"queue full\" is \"queue_full\"");

	/* show peer: each counter under the same name in text and JSON */
	fake_start(&f);
	fake_peer_counters(&f);
	fake_run(&f, "show peer beta", &text_output);
	(void)strlcpy(text, f.out, sizeof(text));
	fake_done(&f);
	fake_start(&f);
	fake_peer_counters(&f);
	fake_run(&f, "show peer beta", &json_output);
	(void)strlcpy(json, f.out, sizeof(json));
	fake_done(&f);
	for (k = 0; k < counter_ndescs; k++) {
		if (!(counter_descs[k].flags & COUNTER_PEER))
			continue;
		(void)snprintf(want, sizeof(want), " %zu %s", 1000 + k,
		    counter_descs[k].name);
		ok(strstr(text, want) != NULL && (counter_descs[k].flags &
		    COUNTER_DROP), "show peer: text has \"%s\"", want + 1);
		(void)snprintf(want, sizeof(want), "\"%s\": %zu",
		    counter_key(&counter_descs[k], key, sizeof(key)), 1000 + k);
		ok(strstr(json, want) != NULL &&
		    strstr(json, "\"dropped\": {") < strstr(json, want),
		    "show peer -j: has %s in dropped", want);
	}

	/* show status: the row label and the key of every counter */
	fake_start(&f);
	memset(&st, 0, sizeof(st));
	fake_send(&f, IMSG_CTL_STATUS, &st, sizeof(st));
	memset(&pr, 0, sizeof(pr));
	(void)strlcpy(pr.role, "net", sizeof(pr.role));
	pr.proc.has_counters = 1;
	for (k = 0; k < counter_ndescs; k++)
		stats_set(&pr.proc.counters, &counter_descs[k], 2000 + k);
	fake_send(&f, IMSG_CTL_PROC, &pr, sizeof(pr));
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show status", &text_output);
	(void)strlcpy(text, f.out, sizeof(text));
	fake_done(&f);
	fake_start(&f);
	fake_send(&f, IMSG_CTL_STATUS, &st, sizeof(st));
	fake_send(&f, IMSG_CTL_PROC, &pr, sizeof(pr));
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show status", &json_output);
	(void)strlcpy(json, f.out, sizeof(json));
	fake_done(&f);
	for (k = 0; k < counter_ndescs; k++) {
		if (!(counter_descs[k].flags & COUNTER_STATUS))
			continue;
		(void)snprintf(want, sizeof(want), "\n%s%-*s%zu\n",
		    counter_descs[k].flags & COUNTER_DROP ? "drop: " : "",
		    (counter_descs[k].flags & COUNTER_DROP ? 16 : 22),
		    counter_descs[k].name, 2000 + k);
		ok(strstr(text, want) != NULL, "show status: the row for %s",
		    counter_descs[k].name);
		(void)snprintf(want, sizeof(want), "\"%s\": %zu",
		    counter_key(&counter_descs[k], key, sizeof(key)), 2000 + k);
		ok(strstr(json, want) != NULL && (!(counter_descs[k].flags &
		    COUNTER_DROP) || strstr(json, "\"dropped\": {") <
		    strstr(json, want)), "show status -j: has %s", want);
	}
}

/* a peer with these counters and endpoint; no allowed IPs */
static void
fake_peer_stats(struct fake *f, uint32_t id, const char *name,
    const char *endpoint, int64_t hs, uint64_t rx, uint64_t tx)
{
	struct ctl_peer	cp;

	memset(&cp, 0, sizeof(cp));
	cp.id = id;
	(void)strlcpy(cp.name, name, sizeof(cp.name));
	memset(cp.pubkey, id, sizeof(cp.pubkey));
	(void)strlcpy(cp.endpoint, endpoint, sizeof(cp.endpoint));
	cp.stats.latest_handshake = hs;
	cp.stats.rx_bytes = rx;
	cp.stats.tx_bytes = tx;
	fake_send(f, IMSG_CTL_PEER, &cp, sizeof(cp));
}

/* characters (UTF-8) from s to p */
static size_t
chars(const char *s, const char *p)
{
	size_t	n = 0;

	for (; s < p; s++)
		if ((*s & 0xc0) != 0x80)
			n++;
	return n;
}

/*
 * Every row's cell of each column starts where the heading does: two
 * spaces before it, a character other than a space at it.  Returns the
 * number of rows checked, or -1 at the first that is not aligned.
 */
static int
columns_aligned(const char *out, int ncols)
{
	static const char *const heads[] = { "ENDPOINT", "ALLOWED IPS",
	    "HANDSHAKE", "RX", "TX", "KEEPALIVE" };
	const char	*line, *nl, *q;
	size_t		 at[8], c, pos;
	int		 rows = 0, col;

	nl = strchr(out, '\n');
	for (col = 0; col < ncols; col++) {
		if ((q = strstr(out, heads[col])) == NULL || q > nl)
			return -1;
		at[col] = chars(out, q);
	}
	for (line = nl + 1; *line != '\0'; line = nl + 1, rows++) {
		nl = strchr(line, '\n');
		for (col = 0; col < ncols; col++) {
			for (q = line, pos = 0; q < nl && pos < at[col]; q++)
				if ((*q & 0xc0) != 0x80)
					pos++;
			while (q < nl && (*q & 0xc0) == 0x80)
				q++;
			c = q - line;
			if (pos != at[col] || c < 2 || q[-1] != ' ' ||
			    q[-2] != ' ' || q >= nl || *q == ' ')
				return -1;
		}
	}
	return rows;
}

static void
test_peers_columns(void)
{
	struct fake	f;
	char		name[MESH_NAME_MAX];

	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	fake_start(&f);
	fake_peer_stats(&f, 1, "a", "198.18.0.2:51820", 0, 0, 0);
	fake_peer_stats(&f, 2, name, "[fe80::1234:5678:9abc:def0%veth-long0]:"
	    "65535", 0, UINT64_MAX, UINT64_MAX / 3);
	fake_peer_stats(&f, 3, "\xc3\xa9t\xc3\xa9-\xe2\x82\xac", "", 0,
	    1023, 1024);
	fake_peer_stats(&f, 4, "[2001:db8::1]", "[2001:db8:ffff:ffff:ffff:"
	    "ffff:ffff:ffff]:51820", 0, 123456789012ULL, 5);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peers", &text_output);
	is_int(f.ret, 0, "show peers, wide cells: exit 0");
	is_int(columns_aligned(f.out, 6), 4,
	    "show peers, wide cells: every column starts at one offset");
	ok(strstr(f.out, name) != NULL &&
	    strstr(f.out, "[fe80::1234:5678:9abc:def0%veth-long0]:65535") !=
	    NULL && strstr(f.out, "16777216.00 TiB") != NULL &&
	    strstr(f.out, "...") == NULL,
	    "show peers, wide cells: nothing cut");
	if (columns_aligned(f.out, 6) != 4)
		diag("%s", f.out);
	fake_done(&f);
}

/* the names in the order the text table shows them, joined by ',' */
static void
order_of(const char *out, char *buf, size_t len)
{
	const char	*line, *nl;

	buf[0] = '\0';
	for (line = strchr(out, '\n') + 1; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		if (buf[0] != '\0')
			(void)strlcat(buf, ",", len);
		(void)strncat(buf, line, strcspn(line, " "));
	}
}

static void
sort_case(const char *line, const char *want)
{
	struct fake	f;
	int64_t		now = (int64_t)time(NULL);
	char		got[128];

	fake_start(&f);
	/* by name c,a,d,b; handshake a,b,c,(d never); rx b,d,c,a; tx d,... */
	fake_peer_stats(&f, 1, "c", "", now - 300, 300, 10);
	fake_peer_stats(&f, 2, "a", "", now - 5, 100, 20);
	fake_peer_stats(&f, 3, "d", "", 0, 400, 40);
	fake_peer_stats(&f, 4, "b", "", now - 60, 500, 20);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, line, &text_output);
	order_of(f.out, got, sizeof(got));
	is_str(got, want, "%s: %s", line, want);
	fake_done(&f);
}

static void
test_peers_sort(void)
{
	struct fake	f;

	sort_case("show peers", "c,a,d,b");
	sort_case("show peers sort name", "a,b,c,d");
	sort_case("show peers sort handshake", "a,b,c,d");
	sort_case("show peers sort rx", "b,d,c,a");
	/* a tie (a and b sent 20) goes by name */
	sort_case("show peers sort tx", "d,a,b,c");

	fake_start(&f);
	fake_peer_stats(&f, 1, "c", "", 0, 300, 10);
	fake_peer_stats(&f, 2, "a", "", 0, 100, 20);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peers sort name", &json_output);
	ok(strstr(f.out, "\"name\": \"a\"") != NULL &&
	    strstr(f.out, "\"name\": \"a\"") < strstr(f.out, "\"name\": \"c\""),
	    "show peers sort name -j: the JSON list is sorted too");
	fake_done(&f);
}

static void
rate_peer(struct peer_info *pi, uint32_t id, const char *name,
    uint64_t rx, uint64_t tx)
{
	memset(pi, 0, sizeof(*pi));
	pi->peer.id = id;
	(void)strlcpy(pi->peer.name, name, sizeof(pi->peer.name));
	memset(pi->peer.pubkey, id, sizeof(pi->peer.pubkey));
	pi->peer.stats.rx_bytes = rx;
	pi->peer.stats.tx_bytes = tx;
}

static void
test_peers_rates(void)
{
	struct peer_info	 then[3], now[4];
	struct fake		 f;
	struct ctl_peer_req	 req;
	char			*out = NULL;
	size_t			 len;
	uint32_t		 type;
	FILE			*fp;

	rate_peer(&then[0], 1, "alpha", 1000, 0);
	rate_peer(&then[1], 2, "beta", 5000, 5000);
	rate_peer(&then[2], 3, "gamma", 0, 0);
	/* alpha: +2048 rx, +6 MiB tx over 2 s; beta: a new key (reload) */
	rate_peer(&now[0], 1, "alpha", 3048, 6 << 20);
	rate_peer(&now[1], 2, "beta", 6000, 6000);
	now[1].peer.pubkey[0] = 0xee;
	/* gamma: 1 byte over 2 s; delta: new since the first sample */
	rate_peer(&now[2], 3, "gamma", 1, 1);
	rate_peer(&now[3], 4, "delta", 9, 9);
	peers_rates(now, 4, then, 3, 2.0);
	ok(now[0].has_rate && now[0].rx_rate == 1024 &&
	    now[0].tx_rate == 3 << 20, "rates: growth over the interval");
	ok(!now[1].has_rate, "rates: none for a peer whose key changed");
	ok(now[2].has_rate && now[2].rx_rate == 0.5,
	    "rates: half a byte a second");
	ok(!now[3].has_rate, "rates: none for a new peer");
	rate_peer(&then[2], 3, "gamma", 10, 10);
	peers_rates(now, 4, then, 3, 2.0);
	ok(!now[2].has_rate, "rates: none if the counters went down");
	rate_peer(&then[2], 3, "gamma", 0, 0);
	peers_rates(now, 4, then, 3, 2.0);

	if ((fp = open_memstream(&out, &len)) == NULL)
		exit(1);
	text_output.peers(fp, now, 4);
	fclose(fp);
	is_str(out,
	    "NAME   SOURCE  ENDPOINT  ALLOWED IPS  HANDSHAKE  RX        "
	    "TX        RX/S        TX/S        KEEPALIVE\n"
	    "alpha  config  (none)    (none)       never      2.98 KiB  "
	    "6.00 MiB  1.00 KiB/s  3.00 MiB/s  off\n"
	    "beta   config  (none)    (none)       never      5.86 KiB  "
	    "5.86 KiB  -           -           off\n"
	    "gamma  config  (none)    (none)       never      1 B       "
	    "1 B       0 B/s       0 B/s       off\n"
	    "delta  config  (none)    (none)       never      9 B       "
	    "9 B       -           -           off\n",
	    "show peers interval: RX/S and TX/S columns, \"-\" without a rate");
	free(out);
	out = NULL;
	if ((fp = open_memstream(&out, &len)) == NULL)
		exit(1);
	json_output.peers(fp, now, 2);
	fclose(fp);
	ok(strstr(out, "\"rx_rate\": 1024,\n") != NULL &&
	    strstr(out, "\"tx_rate\": 3145728,\n") != NULL &&
	    strstr(out, "\"rx_rate\": null,\n") != NULL,
	    "show peers interval -j: rx_rate and tx_rate, null without one");
	free(out);

	/* the whole command: two samples a second apart on one connection */
	fake_start(&f);
	fake_peer_stats(&f, 1, "alpha", "", 0, 100, 100);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_peer_stats(&f, 1, "alpha", "", 0, 100, 100);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peers interval 1", &text_output);
	is_int(f.ret, 0, "show peers interval 1: exit 0");
	ok(strstr(f.out, "RX/S") != NULL &&
	    strstr(f.out, "0 B/s  0 B/s  off\n") != NULL,
	    "show peers interval 1: rates of an idle peer are 0 B/s");
	ok(fake_request(&f, &req, sizeof(req), &type) == 0 &&
	    type == IMSG_CTL_SHOW_PEERS &&
	    fake_request(&f, &req, sizeof(req), &type) == 0 &&
	    type == IMSG_CTL_SHOW_PEERS,
	    "show peers interval 1: two SHOW_PEERS requests");
	fake_done(&f);
}

static void
test_json_errors(void)
{
	struct fake	f;

	/* a name meshd does not know, not a prefix of one either */
	fake_start(&f);
	fake_result(&f, ENOENT, "no such peer: nosuch");
	queue_two_peers(&f);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peer nosuch", &json_output);
	is_int(f.ret, 1, "show peer nosuch -j: exit 1");
	is_str(f.out, "{\n  \"version\": 1,\n"
	    "  \"error\": \"no such peer: nosuch\"\n}\n",
	    "show peer nosuch -j: a JSON error on stdout");
	is_str(f.err, "", "show peer nosuch -j: nothing on stderr");
	fake_done(&f);

	/* the candidates' names are printed safe */
	fake_start(&f);
	fake_result(&f, ENOENT, "no such peer: a");
	fake_peer_stats(&f, 1, "a\033[2J", "", 0, 0, 0);
	fake_peer_stats(&f, 2, "a\nb", "", 0, 0, 0);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peer a", &text_output);
	is_str(f.err,
	    "meshctl: ambiguous peer name \"a\"; could be: a?[2J a?b\n",
	    "show peer a, ambiguous: control characters in names as '?'");
	fake_done(&f);

	/* meshd went away before it answered */
	fake_start(&f);
	shutdown(f.d.fd, SHUT_WR);
	fake_run(&f, "show status", &json_output);
	is_int(f.ret, 1, "show status -j, no answer: exit 1");
	is_str(f.out, "{\n  \"version\": 1,\n  \"error\": \"meshd closed the "
	    "connection before it answered\"\n}\n",
	    "show status -j, no answer: a JSON error");
	fake_done(&f);

	/* the one a main() prints: no daemon */
	{
		char	*out = NULL;
		size_t	 len;
		FILE	*fp;

		if ((fp = open_memstream(&out, &len)) == NULL)
			exit(1);
		output_json_error(fp, "meshctl: cannot connect to /x: No such "
		    "file or directory\n");
		fclose(fp);
		is_str(out, "{\n  \"version\": 1,\n  \"error\": \"cannot "
		    "connect to /x: No such file or directory\"\n}\n",
		    "output_json_error: no \"meshctl: \", no newline");
		free(out);
	}
}

/* ---- the mesh: show mesh, and mesh peers in show peers ---- */

/* s matches the extended regular expression re (or does not: want 0) */
static void
match_re(int want, const char *s, const char *re, const char *name)
{
	regex_t	r;
	int	got;

	if (regcomp(&r, re, REG_EXTENDED) != 0) {
		ok(0, "%s (bad regex)", name);
		return;
	}
	got = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	ok(got == want, "%s", name);
	if (got != want)
		diag("%s /%s/ in:\n%s", want ? "no" : "unwanted", re, s);
}
#define like(s, re, name)	match_re(1, (s), (re), (name))
#define unlike(s, re, name)	match_re(0, (s), (re), (name))

/* "2027-12-06", the UTC date of t, as meshctl prints an expiry */
static const char *
utc_date(int64_t t, char *buf, size_t len)
{
	time_t		tt = (time_t)t;
	struct tm	tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d", &tm);
	return buf;
}

/* a mesh peer: web2, certificate addresses as allowed-ips, a relay */
static void
fake_mesh_peer(struct fake *f, uint32_t id, const char *name, uint8_t state,
    int64_t expires)
{
	struct ctl_peer		cp;
	struct mesh_prefix	a[2];

	memset(&cp, 0, sizeof(cp));
	cp.id = id;
	(void)strlcpy(cp.name, name, sizeof(cp.name));
	memset(cp.pubkey, 1, sizeof(cp.pubkey));
	(void)strlcpy(cp.endpoint, "198.18.0.7:51820", sizeof(cp.endpoint));
	cp.source = CTL_SOURCE_MESH;
	cp.state = state;
	cp.roles = CERT_ROLE_RELAY;
	cp.cert_expires = expires;
	cp.ngroups = 2;
	(void)strlcpy(cp.groups[0], "web", sizeof(cp.groups[0]));
	(void)strlcpy(cp.groups[1], "prod", sizeof(cp.groups[1]));
	cp.naips = 2;
	cp.stats.id = id;
	prefix(&a[0], "100.64.0.7", 32);
	prefix(&a[1], "fd00::7", 128);
	fake_send(f, IMSG_CTL_PEER, &cp, sizeof(cp));
	fake_send_id(f, IMSG_CTL_PEER_AIPS, id, a, sizeof(a));
}

/*
 * a member web4 with two candidates and no path that works (punched 0),
 * or a punched path whose NATs kept 60 s idle, not 90 (punched 1)
 */
static void
fake_path_peer(struct fake *f, int punched)
{
	struct ctl_peer		cp;
	struct mesh_prefix	a[2];

	memset(&cp, 0, sizeof(cp));
	cp.id = MESH_DYN_ID_MIN + 4;
	(void)strlcpy(cp.name, "web4", sizeof(cp.name));
	memset(cp.pubkey, 4, sizeof(cp.pubkey));
	cp.source = CTL_SOURCE_MESH;
	cp.naips = 2;
	cp.stats.id = cp.id;
	cp.path.id = cp.id;
	cp.path.path = MESH_PATH_NONE;
	cp.path.ncand = 2;
	cp.path.cand[0].af = 4;
	cp.path.cand[0].port = 51820;
	memcpy(cp.path.cand[0].addr, "\xc6\x13\x01\x02", 4);
	cp.path.cand[1].af = 4;
	cp.path.cand[1].kind = 3;
	cp.path.cand[1].port = 40000;
	memcpy(cp.path.cand[1].addr, "\xc6\x12\x01\x01", 4);
	(void)strlcpy(cp.path.why, "no answer from 2 candidates",
	    sizeof(cp.path.why));
	if (punched) {
		cp.path.path = MESH_PATH_PUNCHED;
		cp.path.keepalive = 40;
		cp.path.idle_ok_ms = 60000;
		cp.path.idle_bad_ms = 90000;
		cp.path.why[0] = '\0';
	}
	prefix(&a[0], "100.64.0.9", 32);
	prefix(&a[1], "fd00::9", 128);
	fake_send(f, IMSG_CTL_PEER, &cp, sizeof(cp));
	fake_send_id(f, IMSG_CTL_PEER_AIPS, cp.id, a, sizeof(a));
}

/* show mesh's answer: corp, our certificate web1, coordinator coord1 */
static void
fake_mesh(struct fake *f, int64_t expires)
{
	struct ctl_mesh		m;
	struct ctl_peer		cp;

	memset(&m, 0, sizeof(m));
	(void)strlcpy(m.name, "corp", sizeof(m.name));
	(void)strlcpy(m.cert_name, "web1", sizeof(m.cert_name));
	m.cert_not_after = expires;
	m.naddrs = 2;
	prefix(&m.addrs[0], "100.64.0.1", 32);
	prefix(&m.addrs[1], "fd00::1", 128);
	m.ngroups = 1;
	(void)strlcpy(m.groups[0], "web", sizeof(m.groups[0]));
	m.crl_serial = 3;
	m.crl_count = 2;
	m.members = 4;
	m.revoked = 1;
	m.ncoordinators = 1;
	fake_send(f, IMSG_CTL_MESH, &m, sizeof(m));
	memset(&cp, 0, sizeof(cp));
	cp.id = 1;
	(void)strlcpy(cp.name, "coord1", sizeof(cp.name));
	memset(cp.pubkey, 2, sizeof(cp.pubkey));
	(void)strlcpy(cp.endpoint, "198.18.0.10:51820", sizeof(cp.endpoint));
	cp.coordinator = 1;
	cp.stats.id = 1;
	cp.stats.hs_state = MESH_HS_ESTABLISHED;
	/* ahead of any clock: "0s ago" */
	cp.stats.latest_handshake = 4102444800LL;
	cp.stats.rx_bytes = 100;
	fake_send(f, IMSG_CTL_PEER, &cp, sizeof(cp));
	fake_send(f, IMSG_CTL_END, NULL, 0);
}

static void
test_mesh(void)
{
	struct fake	f;
	struct ctl_mesh	m;
	char		want[2048], date[32];
	int64_t		exp = (int64_t)time(NULL) + 365 * 86400 + 3600;
	uint32_t	type;

	parse_ok("show mesh", SHOW_MESH, "", 0);
	parse_ok("sh m -j", SHOW_MESH, "", 1);
	parse_err("show mesh now", "unexpected argument \"now\" after "
	    "\"show mesh\"");

	fake_start(&f);
	fake_mesh(&f, exp);
	fake_run(&f, "show mesh", &text_output);
	is_int(f.ret, 0, "show mesh: exit 0");
	snprintf(want, sizeof(want),
	    "mesh corp\n"
	    "  certificate: web1, 100.64.0.1/32 fd00::1/128, expires %s "
	    "(365 days)\n"
	    "  groups: web\n"
	    "  revocation list: serial 3, 2 certificates\n"
	    "  members: 4 (1 revoked)\n"
	    "\n"
	    "  COORDINATOR  ENDPOINT           SESSION      LAST CONTACT\n"
	    "  coord1       198.18.0.10:51820  established  0s ago\n",
	    utc_date(exp, date, sizeof(date)));
	is_str(f.out, want, "show mesh: text");
	ok(fake_request(&f, NULL, 0, &type) == 0 &&
	    type == IMSG_CTL_SHOW_MESH,
	    "show mesh: the request is SHOW_MESH without data");
	fake_done(&f);

	fake_start(&f);
	fake_mesh(&f, 1000);
	fake_run(&f, "show mesh", &json_output);
	is_int(f.ret, 0, "show mesh -j: exit 0");
	is_str(f.out,
	    "{\n"
	    "  \"version\": 1,\n"
	    "  \"mesh\": \"corp\",\n"
	    "  \"certificate\": {\n"
	    "    \"name\": \"web1\",\n"
	    "    \"addresses\": [\n"
	    "      \"100.64.0.1/32\",\n"
	    "      \"fd00::1/128\"\n"
	    "    ],\n"
	    "    \"groups\": [\n"
	    "      \"web\"\n"
	    "    ],\n"
	    "    \"roles\": [],\n"
	    "    \"expires\": 1000\n"
	    "  },\n"
	    "  \"serve\": false,\n"
	    "  \"revocation_list\": {\n"
	    "    \"serial\": 3,\n"
	    "    \"count\": 2\n"
	    "  },\n"
	    "  \"members\": 4,\n"
	    "  \"revoked\": 1,\n"
	    "  \"coordinators\": [\n"
	    "    {\n"
	    "      \"name\": \"coord1\",\n"
	    "      \"id\": 1,\n"
	    "      \"public_key\": \"" KEY2_B64 "\",\n"
	    "      \"endpoint\": \"198.18.0.10:51820\",\n"
	    "      \"session_state\": \"established\",\n"
	    "      \"last_contact\": 4102444800,\n"
	    "      \"rx_bytes\": 100,\n"
	    "      \"tx_bytes\": 0,\n"
	    "      \"cert_expires\": null\n"
	    "    }\n"
	    "  ]\n"
	    "}\n",
	    "show mesh -j: the mesh and its coordinator");
	fake_done(&f);

	/* an expired certificate says so */
	fake_start(&f);
	fake_mesh(&f, 86400);
	fake_run(&f, "show mesh", &text_output);
	like(f.out, "certificate: web1, 100.64.0.1/32 fd00::1/128, expires "
	    "1970-01-02 \\(expired\\)", "show mesh: an expired certificate");
	fake_done(&f);

	/* no mesh block */
	memset(&m, 0, sizeof(m));
	fake_start(&f);
	fake_send(&f, IMSG_CTL_MESH, &m, sizeof(m));
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show mesh", &text_output);
	is_int(f.ret, 0, "show mesh, none: exit 0");
	is_str(f.out, "no mesh configured\n", "show mesh, none: says so");
	fake_done(&f);
	fake_start(&f);
	fake_send(&f, IMSG_CTL_MESH, &m, sizeof(m));
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show mesh", &json_output);
	is_str(f.out, "{\n  \"version\": 1,\n  \"mesh\": null\n}\n",
	    "show mesh -j, none: mesh null");
	fake_done(&f);

	/* malformed: counts past the arrays, a peer before the mesh */
	m.naddrs = MESH_CERT_ADDRS + 1;
	fake_start(&f);
	fake_send(&f, IMSG_CTL_MESH, &m, sizeof(m));
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show mesh", &text_output);
	ok(f.ret == 1 && strstr(f.err, "malformed mesh message") != NULL &&
	    f.out[0] == '\0', "show mesh: too many addresses is malformed");
	fake_done(&f);
	fake_start(&f);
	fake_mesh_peer(&f, MESH_DYN_ID_MIN, "web2", CTL_STATE_MEMBER, exp);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show mesh", &text_output);
	ok(f.ret == 1 && strstr(f.err, "unexpected message") != NULL,
	    "show mesh: a peer before the mesh is unexpected");
	fake_done(&f);
}

static void
test_mesh_peers(void)
{
	struct fake		f;
	struct mesh_prefix	aips[1];
	struct ctl_peer		cp;
	char			want[2048], date[32];
	int64_t			exp = (int64_t)time(NULL) + 10 * 86400 + 60;

	fake_start(&f);
	prefix(&aips[0], "100.64.0.2", 32);
	fake_peer(&f, 1, "beta", 1, "198.18.0.2:51820", 0, 0, aips, 1, 1);
	fake_mesh_peer(&f, MESH_DYN_ID_MIN, "web2", CTL_STATE_MEMBER, exp);
	fake_mesh_peer(&f, MESH_DYN_ID_MIN + 1, "web3", CTL_STATE_REVOKED,
	    exp);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peers", &text_output);
	is_str(f.out,
	    "NAME  SOURCE        ENDPOINT          ALLOWED IPS                "
	    "HANDSHAKE  RX        TX        KEEPALIVE\n"
	    "beta  config        198.18.0.2:51820  100.64.0.2/32              "
	    "never      1.50 KiB  3.00 MiB  off\n"
	    "web2  mesh          198.18.0.7:51820  100.64.0.7/32,fd00::7/128  "
	    "never      0 B       0 B       off\n"
	    "web3  mesh/revoked  198.18.0.7:51820  100.64.0.7/32,fd00::7/128  "
	    "never      0 B       0 B       off\n",
	    "show peers: config and mesh peers, a revoked one so marked");
	fake_done(&f);

	fake_start(&f);
	fake_mesh_peer(&f, MESH_DYN_ID_MIN, "web2", CTL_STATE_MEMBER, exp);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peer web2", &text_output);
	snprintf(want, sizeof(want),
	    "name: web2\n"
	    "id: %u\n"
	    "source: mesh (member)\n"
	    "public key: " KEY_B64 "\n"
	    "preshared key: (none)\n"
	    "endpoint: 198.18.0.7:51820\n"
	    "allowed ips: 100.64.0.7/32, fd00::7/128\n"
	    "groups: web, prod\n"
	    "roles: relay\n"
	    "certificate expires: %s (10 days)\n"
	    "persistent keepalive: off\n",
	    MESH_DYN_ID_MIN, utc_date(exp, date, sizeof(date)));
	ok(strncmp(f.out, want, strlen(want)) == 0,
	    "show peer: a mesh peer's source, groups, roles, expiry");
	if (strncmp(f.out, want, strlen(want)) != 0)
		diag("got:\n%s", f.out);
	fake_done(&f);

	fake_start(&f);
	fake_mesh_peer(&f, MESH_DYN_ID_MIN + 1, "web3", CTL_STATE_EXPIRED,
	    1000);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peer web3", &json_output);
	like(f.out, "\"source\": \"mesh\",\n"
	    "  \"state\": \"expired\",\n"
	    "  \"coordinator\": false,\n"
	    "  \"addresses\": \\[\n"
	    "    \"100.64.0.7/32\",\n"
	    "    \"fd00::7/128\"\n"
	    "  \\],\n"
	    "  \"groups\": \\[\n"
	    "    \"web\",\n"
	    "    \"prod\"\n"
	    "  \\],\n"
	    "  \"roles\": \\[\n"
	    "    \"relay\"\n"
	    "  \\],\n"
	    "  \"cert_expires\": 1000,\n"
	    "  \"path\": null,\n"
	    "  \"relay\": null,\n"
	    "  \"why\": null,\n"
	    "  \"candidates\": \\[\\]\n"
	    "}\n$", "show peer -j: a mesh peer's state, addresses, groups, "
	    "roles, cert_expires, no path");
	fake_done(&f);

	/* a member net has candidates for: its path in words */
	fake_start(&f);
	fake_path_peer(&f, 0);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peer web4", &json_output);
	like(f.out, "\"path\": \"none\",\n"
	    "  \"relay\": null,\n"
	    "  \"why\": \"no answer from 2 candidates\",\n"
	    "  \"candidates\": \\[\n"
	    "    \"local 198.19.1.2:51820\",\n"
	    "    \"observed 198.18.1.1:40000\"\n"
	    "  \\],\n"
	    "  \"path_keepalive\": 0,\n"
	    "  \"nat_timeout_above\": null,\n"
	    "  \"nat_timeout_below\": null,\n"
	    "  \"nat_timeout_testing\": null\n}\n$",
	    "show peer -j: path, why, candidates");
	fake_done(&f);
	fake_start(&f);
	fake_path_peer(&f, 1);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peer web4", &json_output);
	like(f.out, "\"path\": \"punched\",\n  \"relay\": null,\n"
	    "  \"why\": null,\n.*"
	    "  \"path_keepalive\": 40,\n"
	    "  \"nat_timeout_above\": 60,\n"
	    "  \"nat_timeout_below\": 90,\n"
	    "  \"nat_timeout_testing\": null\n}\n$",
	    "show peer -j: the keepalive and the NAT timeout measured");
	fake_done(&f);
	fake_start(&f);
	fake_path_peer(&f, 1);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peer web4", &text_output);
	like(f.out, "\npath: punched \\(keepalive every 40 seconds: NAT "
	    "timeout > 60 s, < 90 s measured\\)\ncandidates: ",
	    "show peer: the keepalive and the NAT timeout measured");
	fake_done(&f);
	fake_start(&f);
	fake_path_peer(&f, 0);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peer web4", &text_output);
	like(f.out, "\npath: none\nwhy: no answer from 2 candidates\n"
	    "candidates: local 198.19.1.2:51820, observed 198.18.1.1:40000\n",
	    "show peer: path, why, candidates");
	fake_done(&f);
	fake_start(&f);
	fake_path_peer(&f, 0);
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peers", &text_output);
	like(f.out, "KEEPALIVE +PATH\n", "show peers: a PATH column");
	like(f.out, "off +none\n", "show peers: the member's path");
	fake_done(&f);

	/* a state or a group count meshd cannot have sent */
	memset(&cp, 0, sizeof(cp));
	cp.id = 9;
	(void)strlcpy(cp.name, "bad", sizeof(cp.name));
	cp.ngroups = MESH_CERT_GROUPS + 1;
	fake_start(&f);
	fake_send(&f, IMSG_CTL_PEER, &cp, sizeof(cp));
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peers", &text_output);
	ok(f.ret == 1 && strstr(f.err, "malformed peer message") != NULL,
	    "show peers: too many groups is malformed");
	fake_done(&f);
	cp.ngroups = 0;
	cp.state = 7;
	fake_start(&f);
	fake_send(&f, IMSG_CTL_PEER, &cp, sizeof(cp));
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show peers", &text_output);
	ok(f.ret == 1 && strstr(f.err, "malformed peer message") != NULL,
	    "show peers: an unknown state is malformed");
	fake_done(&f);
}

/* show status: the mesh's counters, in words when not zero; all in -j */
static void
test_mesh_counters(void)
{
	struct fake		f;
	struct ctl_status	st;
	struct ctl_proc		pr;

	memset(&st, 0, sizeof(st));
	(void)strlcpy(st.ifname, "mesh0", sizeof(st.ifname));
	memset(&pr, 0, sizeof(pr));
	(void)strlcpy(pr.role, "crypto", sizeof(pr.role));
	pr.proc.has_counters = 1;
	pr.proc.counters.mesh[MESH_CTR_CERT_SIGNATURE] = 3;
	pr.proc.counters.mesh[MESH_CTR_REVOKED] = 1;

	fake_start(&f);
	fake_send(&f, IMSG_CTL_STATUS, &st, sizeof(st));
	fake_send(&f, IMSG_CTL_PROC, &pr, sizeof(pr));
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show status", &text_output);
	like(f.out, "\ncert signature +3\n", "show status: cert signature 3");
	like(f.out, "\nmembers revoked +1\n", "show status: members revoked 1");
	unlike(f.out, "cert expired", "show status: a zero mesh counter is "
	    "left out");
	fake_done(&f);

	fake_start(&f);
	fake_send(&f, IMSG_CTL_STATUS, &st, sizeof(st));
	fake_send(&f, IMSG_CTL_PROC, &pr, sizeof(pr));
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show status", &json_output);
	like(f.out, "\"cert_signature\": 3,\n", "show status -j: "
	    "cert_signature");
	like(f.out, "\"cert_expired\": 0,\n", "show status -j: a zero one too");
	like(f.out, "\"members_expired\": 0,\n", "show status -j: the last");
	fake_done(&f);
}

/* netcheck: the request, its reply in text and JSON, a malformed one */
static void
test_netcheck(void)
{
	struct fake		 f;
	struct ctl_netcheck	*n;
	uint32_t		 type;

	parse_ok("netcheck", NETCHECK, "", 0);
	parse_ok("n -j", NETCHECK, "", 1);
	parse_err("netcheck now", "unexpected argument \"now\" after "
	    "\"netcheck\"");
	if ((n = calloc(1, sizeof(*n))) == NULL)
		abort();
	n->local_port = 51820;
	n->nservers = 2;
	strlcpy(n->servers[0].name, "198.18.0.2:3478",
	    sizeof(n->servers[0].name));
	strlcpy(n->servers[0].addr, "198.18.0.2:3478",
	    sizeof(n->servers[0].addr));
	strlcpy(n->servers[0].reflexive, "198.18.1.4:61000",
	    sizeof(n->servers[0].reflexive));
	n->servers[0].af = 4;
	n->servers[0].rtt_us = 1500;
	strlcpy(n->servers[1].name, "coord", sizeof(n->servers[1].name));
	strlcpy(n->servers[1].addr, "198.18.0.2:51820",
	    sizeof(n->servers[1].addr));
	n->servers[1].coordinator = 1;
	n->servers[1].af = 4;
	n->servers[1].rtt_us = -1;
	strlcpy(n->servers[1].error, "no answer after 7 requests",
	    sizeof(n->servers[1].error));
	strlcpy(n->mapping, "unknown", sizeof(n->mapping));
	strlcpy(n->mapping_why, "answers from servers at only one address",
	    sizeof(n->mapping_why));
	strlcpy(n->pm_proto, "PCP", sizeof(n->pm_proto));
	strlcpy(n->pm_gateway, "198.19.4.1", sizeof(n->pm_gateway));
	strlcpy(n->pm_external, "198.18.1.4:51820", sizeof(n->pm_external));
	n->pm_lifetime = 3599;
	n->ncoords = 1;
	strlcpy(n->coords[0].name, "coord", sizeof(n->coords[0].name));
	n->coords[0].rtt_us = 2500;
	n->ncand = 1;
	strlcpy(n->cand[0], "local 198.19.4.2:51820", sizeof(n->cand[0]));

	fake_start(&f);
	fake_send(&f, IMSG_CTL_NETCHECK, n, sizeof(*n));
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "netcheck", &text_output);
	is_int(f.ret, 0, "netcheck: exit 0");
	is_str(f.out,
	    "local port: 51820\n"
	    "servers:\n"
	    "  stun 198.18.0.2:3478: IPv4 198.18.1.4:61000, 1.5 ms\n"
	    "  coordinator coord (198.18.0.2:51820): no answer after 7 "
	    "requests\n"
	    "mapping: unknown (answers from servers at only one address)\n"
	    "port mapping: PCP, external 198.18.1.4:51820, 3599 s left, "
	    "gateway 198.19.4.1\n"
	    "coordinators:\n"
	    "  coord: 2.5 ms\n"
	    "candidates:\n"
	    "  local 198.19.4.2:51820\n", "netcheck: text");
	ok(fake_request(&f, NULL, 0, &type) == 0 && type == IMSG_CTL_NETCHECK,
	    "netcheck: the request is CTL_NETCHECK without data");
	fake_done(&f);

	fake_start(&f);
	fake_send(&f, IMSG_CTL_NETCHECK, n, sizeof(*n));
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "netcheck", &json_output);
	is_int(f.ret, 0, "netcheck -j: exit 0");
	like(f.out, "\"reflexive\": \"198.18.1.4:61000\",\n *\"rtt_us\": "
	    "1500,", "netcheck -j: a server's reflexive address and rtt");
	like(f.out, "\"error\": \"no answer after 7 requests\"",
	    "netcheck -j: a server's error");
	like(f.out, "\"protocol\": \"PCP\",\n *\"gateway\": "
	    "\"198.19.4.1\",\n *\"external\": \"198.18.1.4:51820\",\n *"
	    "\"lifetime\": 3599,", "netcheck -j: the port mapping");
	like(f.out, "\"ports\": null,", "netcheck -j: no port pattern: null");
	fake_done(&f);

	/* a server count past the array: refused */
	n->nservers = NETCHECK_SERVERS + 1;
	fake_start(&f);
	fake_send(&f, IMSG_CTL_NETCHECK, n, sizeof(*n));
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "netcheck", &text_output);
	is_int(f.ret, 1, "netcheck: a malformed reply fails");
	like(f.err, "malformed netcheck message", "and says so");
	fake_done(&f);
	free(n);
}

/* show dns: the request, its reply in text and JSON */
static void
test_dns(void)
{
	struct fake		 f;
	struct ctl_dns		 d;
	uint32_t		 type;

	parse_ok("show dns", SHOW_DNS, "", 0);
	parse_ok("sh d -j", SHOW_DNS, "", 1);
	memset(&d, 0, sizeof(d));
	strlcpy(d.domain, "tunnelmesh", sizeof(d.domain));
	strlcpy(d.resolver, "systemd-resolved: msh0 for ~tunnelmesh",
	    sizeof(d.resolver));
	d.ttl = 5;
	d.serial = 12;
	d.nudp = d.ntcp = 2;
	d.names = 4;
	d.queries = 1042;
	d.tcp_queries = 3;
	d.answered = 1010;
	d.nxdomain = 20;
	d.refused = 9;
	d.malformed = 3;
	d.truncated = 2;

	fake_start(&f);
	fake_send(&f, IMSG_CTL_DNS, &d, sizeof(d));
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show dns", &text_output);
	is_int(f.ret, 0, "show dns: exit 0");
	is_str(f.out,
	    "domain: tunnelmesh, ttl 5 s, serial 12\n"
	    "sockets: 2 UDP, 2 TCP (0 connections open)\n"
	    "names: 4 (and this)\n"
	    "resolver: systemd-resolved: msh0 for ~tunnelmesh\n"
	    "queries: 1042 (3 over TCP)\n"
	    "  answered 1010, nxdomain 20, refused 9, malformed 3\n"
	    "  truncated 2, TCP connections refused 0\n", "show dns: text");
	ok(fake_request(&f, NULL, 0, &type) == 0 && type == IMSG_CTL_SHOW_DNS,
	    "show dns: the request is CTL_SHOW_DNS without data");
	fake_done(&f);

	d.domain[0] = '\0';
	fake_start(&f);
	fake_send(&f, IMSG_CTL_DNS, &d, sizeof(d));
	fake_send(&f, IMSG_CTL_END, NULL, 0);
	fake_run(&f, "show dns", &json_output);
	is_int(f.ret, 0, "show dns -j: exit 0");
	like(f.out, "\"domain\": null,", "show dns -j: off is a null domain");
	like(f.out, "\"malformed\": 3,", "show dns -j: a counter");
	fake_done(&f);
}

int
main(void)
{
	test_parser();
	test_status();
	test_peers();
	test_peer();
	test_result();
	test_reload_changes();
	test_counter_names();
	test_peers_columns();
	test_peers_sort();
	test_peers_rates();
	test_json_errors();
	test_malformed();
	test_json();
	test_uptime();
	test_mesh();
	test_mesh_peers();
	test_mesh_counters();
	test_netcheck();
	test_dns();
	return tap_done();
}
