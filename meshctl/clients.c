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
 * meshctl client add, list and remove: the clients of serve concentrator.
 * add makes the client's key pair here, so its private key never reaches
 * meshd: only the name and public key go over the socket, and the private
 * key leaves only in the printed config (or QR code), written with
 * write(2) from buffers that are wiped afterwards.
 */

#include <sys/types.h>

#include <errno.h>
#include <qrencode.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_client.h"
#include "imsg.h"
#include "json.h"
#include "meshctl.h"
#include "wgkey.h"

#define CLIENT_CONF_MAX	(64 * 1024)	/* the printed config's room */
#define CLIENTS_MAX	65536

struct client_reply {
	int			 code;
	char			 text[MESH_RESULT_MAX];
	int			 have_conf;
	struct ctl_client	 client;
	struct ctl_client_conf	 conf;
	struct mesh_prefix	*routes;
	size_t			 nroutes;
	struct ctl_client	*list;
	size_t			 nlist;
	struct peer_info	*peers;
	size_t			 npeers;
};

static int
send_req(struct imsgbuf *ibuf, uint32_t type, const void *data, size_t len,
    FILE *err)
{
	if (imsg_compose(ibuf, type, 0, 0, -1, data, len) == -1 ||
	    imsgbuf_flush(ibuf) == -1) {
		fprintf(err, "meshctl: write to meshd: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int
next_msg(struct imsgbuf *ibuf, struct imsg *imsg, FILE *err)
{
	int	n;

	for (;;) {
		if ((n = imsgbuf_get(ibuf, imsg)) == -1) {
			fprintf(err, "meshctl: bad message from meshd: %s\n",
			    strerror(errno));
			return -1;
		}
		if (n > 0)
			return 0;
		if ((n = imsgbuf_read(ibuf)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fprintf(err, "meshctl: read from meshd: %s\n",
			    strerror(errno));
			return -1;
		}
		if (n == 0) {
			fprintf(err, "meshctl: meshd closed the connection "
			    "before it answered\n");
			return -1;
		}
	}
}

/* 1 if s is printable ASCII throughout: what meshd sends is printed */
static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

static int
client_check(struct ctl_client *c)
{
	uint32_t	i;

	c->name[sizeof(c->name) - 1] = '\0';
	if (c->naddrs > CTL_CLIENT_ADDRS || !printable(c->name))
		return -1;
	for (i = 0; i < c->naddrs; i++)
		if ((c->addrs[i].af != 4 && c->addrs[i].af != 6) ||
		    c->addrs[i].plen > (c->addrs[i].af == 4 ? 32 : 128))
			return -1;
	return 0;
}

static int
add_routes(struct client_reply *r, struct imsg *imsg)
{
	size_t			 len = imsg_get_len(imsg), n;
	struct mesh_prefix	*v;

	n = len / sizeof(*v);
	if (!r->have_conf || len == 0 || len % sizeof(*v) != 0 ||
	    n > r->conf.nroutes - r->nroutes)
		return -1;
	if ((v = reallocarray(r->routes, r->nroutes + n, sizeof(*v))) == NULL)
		return -1;
	r->routes = v;
	if (imsg_get_buf(imsg, v + r->nroutes, len) == -1)
		return -1;
	r->nroutes += n;
	return 0;
}

static int
add_list(struct client_reply *r, struct imsg *imsg)
{
	struct ctl_client	c, *v;

	if (r->nlist == CLIENTS_MAX || imsg_get_data(imsg, &c,
	    sizeof(c)) == -1 || client_check(&c) == -1)
		return -1;
	if ((v = reallocarray(r->list, r->nlist + 1, sizeof(*v))) == NULL)
		return -1;
	r->list = v;
	r->list[r->nlist++] = c;
	return 0;
}

static int
add_peer(struct client_reply *r, struct imsg *imsg)
{
	struct peer_info	*v;

	if (r->npeers == MESHCTL_MAX_PEERS)
		return -1;
	if ((v = reallocarray(r->peers, r->npeers + 1, sizeof(*v))) == NULL)
		return -1;
	r->peers = v;
	if (reply_peer(imsg, &r->peers[r->npeers]) == -1)
		return -1;
	r->npeers++;
	return 0;
}

/*
 * Replies until RESULT or END: the client add's CLIENT, CLIENT_CONF and
 * routes (and the reload's changes, not shown), client list's CLIENTs,
 * show peers' PEERs.  0, or -1 after saying why.
 */
static int
collect(struct imsgbuf *ibuf, struct client_reply *r, FILE *err)
{
	struct imsg	 imsg;
	struct peer_info *pi;
	int		 bad, done = 0;

	r->code = -1;
	while (!done) {
		if (next_msg(ibuf, &imsg, err) == -1)
			return -1;
		bad = 0;
		switch (imsg_get_type(&imsg)) {
		case IMSG_CTL_CLIENT:
			bad = add_list(r, &imsg);
			break;
		case IMSG_CTL_CLIENT_CONF:
			/* client add: the CLIENT it follows is the new one */
			if (r->have_conf || r->nlist != 1 ||
			    imsg_get_data(&imsg, &r->conf,
			    sizeof(r->conf)) == -1 ||
			    r->conf.ndns > CTL_CLIENT_DNS ||
			    r->conf.nroutes > CTL_CLIENT_ROUTES_MAX) {
				bad = -1;
				break;
			}
			r->conf.endpoint[sizeof(r->conf.endpoint) - 1] = '\0';
			if (!printable(r->conf.endpoint))
				bad = -1;
			r->client = r->list[0];
			r->have_conf = 1;
			break;
		case IMSG_CTL_CLIENT_ROUTES:
			bad = add_routes(r, &imsg);
			break;
		case IMSG_CTL_PEER:
			bad = add_peer(r, &imsg);
			break;
		case IMSG_CTL_PEER_AIPS:
			/* show peers' allowed IPs: not needed here */
			if (r->npeers == 0)
				bad = -1;
			else {
				pi = &r->peers[r->npeers - 1];
				pi->ngot += imsg_get_len(&imsg) /
				    sizeof(struct mesh_prefix);
			}
			break;
		case IMSG_CTL_RELOAD_CHANGE:
			break;
		case IMSG_CTL_RESULT:
			bad = reply_result(&imsg, &r->code, r->text,
			    sizeof(r->text));
			done = 1;
			break;
		case IMSG_CTL_END:
			r->code = 0;
			done = 1;
			break;
		default:
			bad = -1;
			break;
		}
		imsg_free(&imsg);
		if (bad) {
			fprintf(err, "meshctl: malformed reply from meshd\n");
			return -1;
		}
	}
	return 0;
}

static void
reply_free(struct client_reply *r)
{
	free(r->routes);
	free(r->list);
	free(r->peers);
	memset(r, 0, sizeof(*r));
}

/* an address without its length */
static const char *
addr_text(const struct mesh_prefix *p, char *buf, size_t len)
{
	output_prefix(p, buf, len);
	buf[strcspn(buf, "/")] = '\0';
	return buf;
}

/* appends to the config text; -1 if it does not fit */
static int
conf_add(char *buf, size_t *off, const char *fmt, ...)
    __attribute__((__format__(__printf__, 3, 4)));

static int
conf_add(char *buf, size_t *off, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *off, CLIENT_CONF_MAX - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= CLIENT_CONF_MAX - *off)
		return -1;
	*off += n;
	return 0;
}

/* the wg-quick config of the new client into buf; -1 if too long */
static int
conf_text(char *buf, const struct client_reply *r, const uint8_t *priv)
{
	char	key[WG_KEY_B64_LEN + 1], a[64];
	size_t	off = 0, i;
	int	rv = 0;

	wg_key_to_base64(key, priv);
	rv |= conf_add(buf, &off, "[Interface]\nPrivateKey = %s\n", key);
	explicit_bzero(key, sizeof(key));
	rv |= conf_add(buf, &off, "Address = ");
	for (i = 0; i < r->client.naddrs; i++)
		rv |= conf_add(buf, &off, "%s%s", i > 0 ? ", " : "",
		    output_prefix(&r->client.addrs[i], a, sizeof(a)));
	rv |= conf_add(buf, &off, "\n");
	for (i = 0; i < r->conf.ndns; i++)
		rv |= conf_add(buf, &off, "%s%s", i == 0 ? "DNS = " : ", ",
		    addr_text(&r->conf.dns[i], a, sizeof(a)));
	if (r->conf.ndns > 0)
		rv |= conf_add(buf, &off, "\n");
	wg_key_to_base64(key, r->conf.pubkey);
	rv |= conf_add(buf, &off, "\n[Peer]\nPublicKey = %s\nEndpoint = %s\n",
	    key, r->conf.endpoint);
	rv |= conf_add(buf, &off, "AllowedIPs = ");
	for (i = 0; i < r->nroutes; i++)
		rv |= conf_add(buf, &off, "%s%s", i > 0 ? ", " : "",
		    output_prefix(&r->routes[i], a, sizeof(a)));
	rv |= conf_add(buf, &off, "\nPersistentKeepalive = 25\n");
	return rv;
}

static int
write_all(int fd, const char *s, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, s, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += n;
		len -= n;
	}
	return 0;
}

/* module (x, y) of the code with its quiet zone: 1 if dark */
static int
qr_dark(const QRcode *qr, size_t x, size_t y, int quiet)
{
	size_t	w = qr->width;

	if (x < (size_t)quiet || y < (size_t)quiet || x >= w + quiet ||
	    y >= w + quiet)
		return 0;
	return qr->data[(y - quiet) * w + (x - quiet)] & 1;
}

/* the half-block cell for a lit top and bottom: its UTF-8 bytes' count */
static size_t
qr_cell(char *out, int top, int bot)
{
	static const char	*const cell[4] = {
		" ",		/* neither */
		"\xe2\x96\x84",	/* lower half block */
		"\xe2\x96\x80",	/* upper half block */
		"\xe2\x96\x88",	/* full block */
	};
	const char		*c = cell[(top ? 2 : 0) | (bot ? 1 : 0)];
	size_t			 n = strlen(c);

	memcpy(out, c, n);
	return n;
}

/*
 * The config as a QR code for a terminal with light text on a dark
 * background, two rows of modules a line in half blocks: what is printed
 * is the code's light part, with the 4-module quiet zone around it.
 * 0, -1 if writing failed, -2 if the text does not fit in a QR code.
 */
static int
qr_write(int fd, const char *text)
{
	QRcode		*qr;
	char		*line;
	size_t		 w, x, y, off, llen;
	int		 top, bot, rv = 0;
	const int	 quiet = 4;

	if ((qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_L)) == NULL)
		return -2;
	w = qr->width;
	llen = (w + 2 * quiet) * 3 + 2;
	if ((line = malloc(llen)) == NULL) {
		explicit_bzero(qr->data, w * w);
		QRcode_free(qr);
		return -1;
	}
	for (y = 0; y < w + 2 * quiet && rv == 0; y += 2) {
		off = 0;
		for (x = 0; x < w + 2 * quiet; x++) {
			top = !qr_dark(qr, x, y, quiet);
			bot = y + 1 < w + 2 * quiet ?
			    !qr_dark(qr, x, y + 1, quiet) : 0;
			off += qr_cell(line + off, top, bot);
		}
		line[off++] = '\n';
		rv = write_all(fd, line, off);
	}
	explicit_bzero(line, llen);
	free(line);
	explicit_bzero(qr->data, w * w);
	QRcode_free(qr);
	return rv;
}

static int
client_add(struct imsgbuf *ibuf, const struct parse_result *res,
    const struct output *o, FILE *out, FILE *err)
{
	struct ctl_client_req	 req;
	struct client_reply	 r;
	struct json		 j;
	uint8_t			 priv[WG_KEY_LEN];
	char			*text = NULL, a[64], key[WG_KEY_B64_LEN + 1];
	size_t			 i;
	int			 n, ret = 1, json = o == &json_output;

	memset(&req, 0, sizeof(req));
	memset(&r, 0, sizeof(r));
	(void)strlcpy(req.name, res->peer, sizeof(req.name));
	if (wg_key_generate_private(priv) == -1 ||
	    wg_key_public(req.pubkey, priv) == -1) {
		fprintf(err, "meshctl: cannot make the client's key pair\n");
		goto done;
	}
	if (send_req(ibuf, IMSG_CTL_CLIENT_ADD, &req, sizeof(req), err) == -1 ||
	    collect(ibuf, &r, err) == -1)
		goto done;
	if (r.code != 0) {
		o->result(out, err, r.code, r.text);
		goto done;
	}
	if (!r.have_conf || r.nroutes != r.conf.nroutes) {
		fprintf(err, "meshctl: meshd's answer lacks the client's "
		    "config\n");
		goto done;
	}
	if ((text = calloc(1, CLIENT_CONF_MAX)) == NULL ||
	    conf_text(text, &r, priv) == -1) {
		fprintf(err, "meshctl: the client's config is too long\n");
		goto done;
	}
	if (json) {
		/* the private key is in "config" only, as it is printed */
		json_init(&j, out);
		json_object_open(&j, NULL);
		json_string(&j, "name", r.client.name);
		json_array_open(&j, "addresses");
		for (i = 0; i < r.client.naddrs; i++)
			json_string(&j, NULL, output_prefix(&r.client.addrs[i],
			    a, sizeof(a)));
		json_array_close(&j);
		wg_key_to_base64(key, req.pubkey);
		json_string(&j, "public_key", key);
		json_string(&j, "config", text);
		json_object_close(&j);
		ret = json_finish(&j) == -1 ? 1 : 0;
		(void)fflush(out);
		goto done;
	}
	(void)fflush(out);
	if ((n = res->qr ? qr_write(fileno(out), text) :
	    write_all(fileno(out), text, strlen(text))) == -2) {
		/* the client is added, and its private key is gone */
		fprintf(err, "meshctl: the config (%zu bytes) does not fit in "
		    "a QR code; client %s was added: remove it and add it "
		    "again without -q\n", strlen(text), r.client.name);
		goto done;
	} else if (n == -1) {
		fprintf(err, "meshctl: cannot write the client's config: %s\n",
		    strerror(errno));
		goto done;
	}
	ret = 0;
 done:
	explicit_bzero(priv, sizeof(priv));
	if (text != NULL) {
		explicit_bzero(text, CLIENT_CONF_MAX);
		free(text);
	}
	reply_free(&r);
	return ret;
}

static int
client_remove(struct imsgbuf *ibuf, const struct parse_result *res,
    const struct output *o, FILE *out, FILE *err)
{
	struct ctl_client_req	 req;
	struct client_reply	 r;
	int			 ret = 1;

	memset(&req, 0, sizeof(req));
	memset(&r, 0, sizeof(r));
	(void)strlcpy(req.name, res->peer, sizeof(req.name));
	if (send_req(ibuf, IMSG_CTL_CLIENT_REMOVE, &req, sizeof(req),
	    err) == 0 && collect(ibuf, &r, err) == 0) {
		o->result(out, err, r.code, r.code == 0 ? "client removed" :
		    r.text);
		ret = r.code == 0 ? 0 : 1;
	}
	reply_free(&r);
	return ret;
}

/* the peer of a client's key among show peers', or NULL */
static const struct ctl_peer *
client_peer(const struct client_reply *r, const struct ctl_client *c)
{
	size_t	i;

	for (i = 0; i < r->npeers; i++)
		if (memcmp(r->peers[i].peer.pubkey, c->pubkey,
		    WG_KEY_LEN) == 0)
			return &r->peers[i].peer;
	return NULL;
}

static void
list_json(FILE *out, const struct client_reply *r,
    const struct client_reply *pr)
{
	const struct ctl_client	*c;
	const struct ctl_peer	*p;
	struct json		 j;
	char			 a[64], key[WG_KEY_B64_LEN + 1];
	size_t			 i, k;

	json_init(&j, out);
	json_object_open(&j, NULL);
	json_array_open(&j, "clients");
	for (i = 0; i < r->nlist; i++) {
		c = &r->list[i];
		p = client_peer(pr, c);
		json_object_open(&j, NULL);
		json_string(&j, "name", c->name);
		json_array_open(&j, "addresses");
		for (k = 0; k < c->naddrs; k++)
			json_string(&j, NULL, output_prefix(&c->addrs[k], a,
			    sizeof(a)));
		json_array_close(&j);
		wg_key_to_base64(key, c->pubkey);
		json_string(&j, "public_key", key);
		json_int(&j, "added", c->added);
		json_int(&j, "latest_handshake", p != NULL ?
		    p->stats.latest_handshake : 0);
		json_uint(&j, "rx_bytes", p != NULL ? p->stats.rx_bytes : 0);
		json_uint(&j, "tx_bytes", p != NULL ? p->stats.tx_bytes : 0);
		json_object_close(&j);
	}
	json_array_close(&j);
	json_object_close(&j);
	(void)json_finish(&j);
}

static void
list_text(FILE *out, const struct client_reply *r,
    const struct client_reply *pr)
{
	const struct ctl_client	*c;
	const struct ctl_peer	*p;
	char			 a[128], b[64], key[WG_KEY_B64_LEN + 1];
	char			 hs[64], rx[32], tx[32];
	size_t			 i, k;

	if (r->nlist == 0) {
		fprintf(out, "no clients\n");
		return;
	}
	fprintf(out, "%-16s %-40s %-44s %-16s %9s %9s\n", "NAME", "ADDRESS",
	    "PUBLIC KEY", "HANDSHAKE", "RX", "TX");
	for (i = 0; i < r->nlist; i++) {
		c = &r->list[i];
		p = client_peer(pr, c);
		a[0] = '\0';
		for (k = 0; k < c->naddrs; k++) {
			if (k > 0)
				(void)strlcat(a, ",", sizeof(a));
			(void)strlcat(a, addr_text(&c->addrs[k], b,
			    sizeof(b)), sizeof(a));
		}
		wg_key_to_base64(key, c->pubkey);
		output_handshake(p != NULL ? p->stats.latest_handshake : 0, hs,
		    sizeof(hs));
		output_bytes(p != NULL ? p->stats.rx_bytes : 0, rx, sizeof(rx));
		output_bytes(p != NULL ? p->stats.tx_bytes : 0, tx, sizeof(tx));
		fprintf(out, "%-16s %-40s %-44s %-16s %9s %9s\n", c->name, a,
		    key, hs, rx, tx);
	}
}

static int
client_list(struct imsgbuf *ibuf, const struct output *o, FILE *out,
    FILE *err)
{
	struct client_reply	 r, pr;
	struct ctl_peer_req	 preq;
	int			 ret = 1;

	memset(&r, 0, sizeof(r));
	memset(&pr, 0, sizeof(pr));
	memset(&preq, 0, sizeof(preq));
	if (send_req(ibuf, IMSG_CTL_CLIENT_LIST, NULL, 0, err) == -1 ||
	    collect(ibuf, &r, err) == -1)
		goto done;
	if (r.code != 0) {
		o->result(out, err, r.code, r.text);
		goto done;
	}
	/* their handshakes and bytes: as show peers has them */
	if (r.nlist > 0 && (send_req(ibuf, IMSG_CTL_SHOW_PEERS, &preq,
	    sizeof(preq), err) == -1 || collect(ibuf, &pr, err) == -1))
		goto done;
	if (o == &json_output)
		list_json(out, &r, &pr);
	else
		list_text(out, &r, &pr);
	ret = 0;
 done:
	reply_free(&r);
	reply_free(&pr);
	return ret;
}

int
clients_run(struct imsgbuf *ibuf, const struct parse_result *res,
    const struct output *o, FILE *out, FILE *err)
{
	switch (res->action) {
	case CLIENT_ADD:
		return client_add(ibuf, res, o, out, err);
	case CLIENT_REMOVE:
		return client_remove(ibuf, res, o, out, err);
	default:
		return client_list(ibuf, o, out, err);
	}
}
