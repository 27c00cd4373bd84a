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
 * meshctl facing a daemon that may send anything: ctl_run() (the whole
 * conversation of one command, meshctl/client.c) over a socketpair whose
 * other end already holds the replies the input makes, then the text or
 * JSON backend printing what passed meshctl/reply.c's checks.
 *
 * What is printed must stay printable whatever meshd sent: -j output is
 * one valid JSON document (strings escaped, UTF-8 valid), and text
 * output, on stdout or stderr, carries no control character but newline
 * and tab (no terminal escapes from a peer's name).
 *
 * Input: the command (1 byte: which, -j, and the peer name's length),
 * the peer name, then replies, each a selector byte and its fields
 * (structs as fz_fill() reads them); a selector's bit 7 says "make it
 * pass the checks" (counts and prefixes within range) so the printing
 * code is reached.  A fixed peer (CTL_PEER) brings its allowed-ips
 * along, in CTL_PEER_AIPS chunks of a size byte (1 to 8 prefixes) and
 * the prefixes; selector 5 is one chunk on its own (a count byte, the
 * prefixes, for the last peer's id or, with bit 6, any).  After each
 * reply one byte: 0xff adds raw bytes (a count byte and the bytes),
 * anything else nothing.  Selector 7 with bit 7 is a CTL_MESH (show
 * mesh's answer), without it any type.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "ctl_client.h"
#include "imsg.h"
#include "meshctl.h"

/* a minimal JSON reader: 0 if [p, end) is one value and white space */
struct jr {
	const unsigned char	*p, *end;
	int			 depth;
};

static int	jr_value(struct jr *);

static void
jr_ws(struct jr *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
jr_lit(struct jr *j, const char *lit)
{
	size_t	n = strlen(lit);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
		return -1;
	j->p += n;
	return 0;
}

static int
jr_string(struct jr *j)
{
	unsigned char	c;
	int		i, n;

	if (j->p == j->end || *j->p++ != '"')
		return -1;
	while (j->p < j->end) {
		c = *j->p++;
		if (c == '"')
			return 0;
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			if (j->p == j->end)
				return -1;
			c = *j->p++;
			if (c == 'u') {
				for (i = 0; i < 4; i++)
					if (j->p == j->end ||
					    strchr("0123456789abcdefABCDEF",
					    *j->p++) == NULL)
						return -1;
			} else if (strchr("\"\\/bfnrt", c) == NULL || c == 0)
				return -1;
			continue;
		}
		if (c < 0x80)
			continue;
		/* UTF-8: a lead byte and its continuation bytes */
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		else
			return -1;
		for (i = 0; i < n; i++)
			if (j->p == j->end || (*j->p++ & 0xc0) != 0x80)
				return -1;
	}
	return -1;
}

static int
jr_number(struct jr *j)
{
	const unsigned char	*start;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	start = j->p;
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	if (j->p == start || (*start == '0' && j->p - start > 1))
		return -1;
	if (j->p < j->end && *j->p == '.') {
		start = ++j->p;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
		if (j->p == start)
			return -1;
	}
	return 0;
}

static int
jr_container(struct jr *j, int close)
{
	int	first = 1;

	if (++j->depth > 64)
		return -1;
	j->p++;
	for (;;) {
		jr_ws(j);
		if (j->p < j->end && *j->p == close && first)
			break;
		if (close == '}') {
			if (jr_string(j) == -1)
				return -1;
			jr_ws(j);
			if (j->p == j->end || *j->p++ != ':')
				return -1;
		}
		if (jr_value(j) == -1)
			return -1;
		jr_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			first = 0;
			continue;
		}
		if (j->p < j->end && *j->p == close)
			break;
		return -1;
	}
	j->p++;
	j->depth--;
	return 0;
}

static int
jr_value(struct jr *j)
{
	jr_ws(j);
	if (j->p == j->end)
		return -1;
	switch (*j->p) {
	case '{':
		return jr_container(j, '}');
	case '[':
		return jr_container(j, ']');
	case '"':
		return jr_string(j);
	case 't':
		return jr_lit(j, "true");
	case 'f':
		return jr_lit(j, "false");
	case 'n':
		return jr_lit(j, "null");
	default:
		return jr_number(j);
	}
}

static void
check_json(const char *s, size_t len)
{
	struct jr	j;

	if (len == 0)
		return;
	j.p = (const unsigned char *)s;
	j.end = j.p + len;
	j.depth = 0;
	if (jr_value(&j) == 0) {
		jr_ws(&j);
		if (j.p == j.end)
			return;
	}
	fprintf(stderr, "fuzz: not one JSON document:\n%.*s\n", (int)len, s);
	abort();
}

static void
check_text(const char *what, const char *s, size_t len)
{
	size_t		i;
	unsigned char	c;

	for (i = 0; i < len; i++) {
		c = s[i];
		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
			fprintf(stderr, "fuzz: byte 0x%02x at %zu on %s:\n"
			    "%.*s\n", c, i, what, (int)len, s);
			abort();
		}
	}
}

static void
valid_prefix(struct mesh_prefix *p)
{
	p->af = p->af & 1 ? 6 : 4;
	p->plen %= p->af == 4 ? 33 : 129;
}

static uint32_t	last_id;	/* of the last CTL_PEER */

/* client add and list's answers: a client, a config, its routes */
static void
make_client(struct fz *f, struct imsgbuf *d)
{
	struct ctl_client	 cl;
	struct ctl_client_conf	 cc;
	struct mesh_prefix	 r[8];
	uint8_t			 sel = fz_u8(f);
	size_t			 i, n;

	switch (sel % 3) {
	case 0:
		fz_fill(f, &cl, sizeof(cl));
		if (sel & 0x80) {
			cl.naddrs %= CTL_CLIENT_ADDRS + 1;
			for (i = 0; i < CTL_CLIENT_ADDRS; i++)
				valid_prefix(&cl.addrs[i]);
		}
		(void)imsg_compose(d, IMSG_CTL_CLIENT, 0, 0, -1, &cl,
		    sizeof(cl));
		break;
	case 1:
		fz_fill(f, &cc, sizeof(cc));
		if (sel & 0x80) {
			cc.ndns %= CTL_CLIENT_DNS + 1;
			cc.nroutes %= 9;
			for (i = 0; i < CTL_CLIENT_DNS; i++)
				valid_prefix(&cc.dns[i]);
		}
		(void)imsg_compose(d, IMSG_CTL_CLIENT_CONF, 0, 0, -1, &cc,
		    sizeof(cc));
		break;
	default:
		n = fz_u8(f) % 9;
		fz_fill(f, r, n * sizeof(r[0]));
		for (i = 0; (sel & 0x80) && i < n; i++)
			valid_prefix(&r[i]);
		(void)imsg_compose(d, IMSG_CTL_CLIENT_ROUTES, 0, 0, -1, r,
		    n * sizeof(r[0]));
		break;
	}
}

/* a CTL_PEER_AIPS of n prefixes (0 is malformed) */
static void
make_aips(struct fz *f, struct imsgbuf *d, uint32_t id, size_t n, int fix)
{
	struct mesh_prefix	aips[8];
	size_t			i;

	fz_fill(f, aips, n * sizeof(aips[0]));
	for (i = 0; fix && i < n; i++)
		valid_prefix(&aips[i]);
	(void)imsg_compose(d, IMSG_CTL_PEER_AIPS, id, 0, -1, aips,
	    n * sizeof(aips[0]));
}

/* one reply made from the input, queued on the daemon's end */
static void
make_reply(struct fz *f, struct imsgbuf *d)
{
	struct ctl_status	 st;
	struct ctl_proc		 pr;
	struct ctl_peer		 peer;
	struct ctl_mesh		 mesh;
	struct ctl_result	 res;
	struct ctl_change	 ch;
	struct ibuf		*wb;
	const uint8_t		*raw;
	size_t			 len, i, n;
	uint8_t			 sel = fz_u8(f);
	int			 fix = sel & 0x80;

	switch (sel % 8) {
	case 0:
		fz_fill(f, &st, sizeof(st));
		if (fix) {
			st.naddrs %= MESH_MAX_ADDRS + 1;
			for (i = 0; i < MESH_MAX_ADDRS; i++)
				valid_prefix(&st.addrs[i]);
		}
		(void)imsg_compose(d, IMSG_CTL_STATUS, 0, 0, -1, &st,
		    sizeof(st) - (sel & 0x40 ? 1 : 0));
		break;
	case 1:
		fz_fill(f, &pr, sizeof(pr));
		(void)imsg_compose(d, IMSG_CTL_PROC, 0, 0, -1, &pr,
		    sizeof(pr));
		break;
	case 2:
		fz_fill(f, &peer, sizeof(peer));
		if (fix) {
			peer.naips %= 3 * 8;
			peer.source %= CTL_SOURCE_MESH + 1;
			peer.state %= CTL_STATE_EXPIRED + 1;
			peer.ngroups %= MESH_CERT_GROUPS + 1;
		}
		last_id = peer.id;
		(void)imsg_compose(d, IMSG_CTL_PEER, 0, 0, -1, &peer,
		    sizeof(peer));
		/* fixed: its allowed-ips follow in chunks of 1 to 8 */
		for (i = 0; fix && i < peer.naips; i += n) {
			n = fz_u8(f) % 8 + 1;
			if (n > peer.naips - i)
				n = peer.naips - i;
			make_aips(f, d, last_id, n, 1);
		}
		break;
	case 5:
		/* a chunk of allowed-ips on its own, for the last peer */
		make_aips(f, d, sel & 0x40 ? fz_u32(f) : last_id,
		    fz_u8(f) % 9, fix);
		break;
	case 3:
		(void)imsg_compose(d, IMSG_CTL_END, 0, 0, -1, NULL, 0);
		break;
	case 4:
		res.code = fix ? (int32_t)(fz_u8(f) % 140) : (int32_t)fz_u32(f);
		len = fz_take(f, fz_u16(f) % 2048, &raw);
		if ((wb = imsg_create(d, IMSG_CTL_RESULT, 0, 0,
		    sizeof(res) + len + 1)) != NULL &&
		    imsg_add(wb, &res, sizeof(res)) != -1 &&
		    imsg_add(wb, raw, len) != -1 &&
		    imsg_add(wb, "", sel & 0x40 ? 0 : 1) != -1)
			imsg_close(d, wb);
		break;
	case 6:
		if (fix) {
			/* a reload's change, of a kind meshctl knows */
			fz_fill(f, &ch, sizeof(ch));
			ch.kind = CHANGE_ADDED + ch.kind % 6;
			(void)imsg_compose(d, IMSG_CTL_RELOAD_CHANGE, 0, 0, -1,
			    &ch, sizeof(ch));
		} else {
			/* a chunk of show config's text */
			len = fz_take(f, fz_u16(f) % 4096, &raw);
			(void)imsg_compose(d, IMSG_CTL_CONFIG_TEXT, 0, 0, -1,
			    raw, len);
		}
		break;
	default:
		if (!fix && (sel & 0x40)) {
			make_client(f, d);
			break;
		}
		if (fix) {
			/* show mesh's answer, within its arrays */
			fz_fill(f, &mesh, sizeof(mesh));
			mesh.naddrs %= MESH_CERT_ADDRS + 1;
			mesh.ngroups %= MESH_CERT_GROUPS + 1;
			for (i = 0; i < MESH_CERT_ADDRS; i++)
				valid_prefix(&mesh.addrs[i]);
			(void)imsg_compose(d, IMSG_CTL_MESH, 0, 0, -1, &mesh,
			    sizeof(mesh));
			break;
		}
		/* any type, any payload */
		len = fz_take(f, fz_u16(f) % 4096, &raw);
		(void)imsg_compose(d, IMSG_CTL_SHOW_STATUS + fz_u8(f) % 15,
		    0, 0, -1, raw, len);
		break;
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_quiet();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum actions acts[] = { SHOW_STATUS, SHOW_PEERS,
	    SHOW_PEER, RELOAD, LOG_VERBOSE, LOG_BRIEF, SHOW_CONFIG, SHOW_MESH };
	static const enum actions more[] = { SHOW_MESH, CLIENT_ADD,
	    CLIENT_LIST, CLIENT_REMOVE };
	struct parse_result	 res;
	struct imsgbuf		 d;
	struct fz		 f;
	const uint8_t		*name;
	char			*obuf = NULL, *ebuf = NULL;
	size_t			 olen, elen, n;
	FILE			*out, *err;
	uint8_t			 cmd;
	int			 sp[2], sz = 1 << 20, i;

	fz_init(&f, data, size);
	cmd = fz_u8(&f);
	memset(&res, 0, sizeof(res));
	res.action = acts[cmd & 7];
	/* show mesh's number also stands for the client commands */
	if (res.action == SHOW_MESH)
		res.action = more[fz_u8(&f) % 4];
	res.json = (cmd & 8) != 0;
	/* the user typed it: printable, whatever meshd may send */
	n = fz_take(&f, (cmd >> 4) * 4, &name);
	for (i = 0; i < (int)n && i < (int)sizeof(res.peer) - 1; i++)
		res.peer[i] = 0x21 + name[i] % 94;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1 ||
	    fcntl(sp[1], F_SETFL, O_NONBLOCK) == -1)
		abort();
	/*
	 * All replies are written before meshctl runs: they must fit in
	 * the socket (root may raise its size past wmem_max).  What does
	 * not fit is cut off, as if meshd died there.
	 */
	(void)setsockopt(sp[1], SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz));
	if (imsgbuf_init(&d, sp[1]) == -1 ||
	    imsgbuf_set_maxsize(&d, MESH_MAX_IMSG) == -1)
		abort();
	for (i = 0; i < 256 && fz_left(&f) > 0; i++) {
		make_reply(&f, &d);
		if (imsgbuf_write(&d) == -1 || imsgbuf_queuelen(&d) > 0)
			break;
		if (fz_left(&f) > 0 && fz_u8(&f) == 0xff) {
			/* raw bytes, a broken stream */
			n = fz_take(&f, fz_u8(&f), &name);
			if (write(sp[1], name, n) != (ssize_t)n)
				break;
		}
	}
	shutdown(sp[1], SHUT_WR);

	if ((out = open_memstream(&obuf, &olen)) == NULL ||
	    (err = open_memstream(&ebuf, &elen)) == NULL)
		abort();
	(void)ctl_run(sp[0], &res, res.json ? &json_output : &text_output,
	    out, err);
	if (fclose(out) == EOF || fclose(err) == EOF)
		abort();
	if (res.json)
		check_json(obuf, olen);
	else
		check_text("stdout", obuf, olen);
	check_text("stderr", ebuf, elen);
	free(obuf);
	free(ebuf);
	imsgbuf_clear(&d);
	close(sp[0]);
	close(sp[1]);
	return 0;
}
