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
 * wg(8)'s UAPI set=1 parser (meshd-parent/uapi_parse.c): the example of
 * wireguard.com/xplatform read key by key, the errno= values wireguard-go
 * answers bad lines with, what replace_peers and replace_allowed_ips
 * drop of what came before them, host bits cleared, endpoints of both
 * families, and keys wiped by uapi_set_free().
 */

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "uapi.h"

#define K1	"e84b5a6d2717c1003a13b431570353db" \
		"aca9146cf150c5f8575680feba52027a"
#define K2	"b85996fecc9c7f1fc6d2572a76eda11d" \
		"59bcd20be8e543b15ce4bd85a8e75a33"
#define K3	"58402e695ba1772b1cc9309755f04325" \
		"1ea77fdcf10fbe63989ceb7e19321376"

static int
parse(const char *text, struct uapi_set *s, char *err, size_t errlen)
{
	return uapi_parse_set(text, strlen(text), s, err, errlen);
}

static const char *
pfx(const struct mesh_prefix *p)
{
	static char	buf[64];

	return mesh_prefix_ntop(p, buf, sizeof(buf));
}

static void
test_example(void)
{
	struct uapi_set		 s;
	struct uapi_peer	*p;
	struct sockaddr_in	*sin;
	char			 err[128];
	const char		*text =
	    "private_key=" K1 "\n"
	    "listen_port=12912\n"
	    "fwmark=0\n"
	    "replace_peers=true\n"
	    "public_key=" K2 "\n"
	    "preshared_key=" K3 "\n"
	    "replace_allowed_ips=true\n"
	    "allowed_ip=192.168.4.4/32\n"
	    "endpoint=[abcd:23::33]:51820\n"
	    "public_key=" K3 "\n"
	    "update_only=true\n"
	    "endpoint=182.122.22.19:3233\n"
	    "persistent_keepalive_interval=111\n"
	    "replace_allowed_ips=true\n"
	    "allowed_ip=192.168.4.6/32\n"
	    "allowed_ip=2001:db8::1/32\n"
	    "protocol_version=1\n"
	    "public_key=" K1 "\n"
	    "remove=true\n";

	is_int(parse(text, &s, err, sizeof(err)), 0, "the example parses");
	ok(s.has_priv && s.priv[0] == 0xe8 && s.priv[31] == 0x7a,
	    "private_key: 32 bytes from hex");
	ok(s.has_port && s.port == 12912, "listen_port=12912");
	ok(s.has_fwmark && s.fwmark == 0, "fwmark=0");
	ok(s.replace_peers, "replace_peers");
	is_int(s.npeers, 3, "three peers");
	p = &s.peers[0];
	ok(p->pubkey[0] == 0xb8 && p->has_psk && p->psk[0] == 0x58,
	    "peer 1: public and preshared key");
	ok(p->replace_aips && p->naips == 1, "peer 1: one allowed-ip");
	is_str(pfx(&p->aips[0]), "192.168.4.4/32", "peer 1: 192.168.4.4/32");
	ok(p->has_endpoint && p->endpoint.ss_family == AF_INET6 &&
	    p->endpoint_len == sizeof(struct sockaddr_in6),
	    "peer 1: an IPv6 endpoint");
	p = &s.peers[1];
	sin = (struct sockaddr_in *)&p->endpoint;
	ok(p->update_only && sin->sin_family == AF_INET &&
	    ntohs(sin->sin_port) == 3233 &&
	    ntohl(sin->sin_addr.s_addr) == 0xb67a1613,
	    "peer 2: update_only, 182.122.22.19:3233");
	ok(p->has_keepalive && p->keepalive == 111, "peer 2: keepalive 111");
	is_int(p->naips, 2, "peer 2: two allowed-ips");
	is_str(pfx(&p->aips[1]), "2001:db8::/32",
	    "peer 2: host bits cleared (2001:db8::1/32)");
	ok(s.peers[2].remove, "peer 3: remove");
	uapi_set_free(&s);
	ok(s.peers == NULL && s.npeers == 0 && s.priv[0] == 0,
	    "uapi_set_free wipes the set");
}

static void
test_errors(void)
{
	static const struct {
		const char	*text;
		int		 code;
		const char	*what;
	} bad[] = {
		{ "listen_port=65536\n", UAPI_EINVAL, "port over 65535" },
		{ "listen_port=-1\n", UAPI_EINVAL, "negative port" },
		{ "listen_port=\n", UAPI_EINVAL, "empty port" },
		{ "fwmark=4294967296\n", UAPI_EINVAL, "fwmark over 32 bits" },
		{ "private_key=" K1 "0\n", UAPI_EINVAL, "a key too long" },
		{ "private_key=zz" K1 "\n", UAPI_EINVAL, "not hex" },
		{ "replace_peers=1\n", UAPI_EINVAL, "replace_peers=1" },
		{ "bogus=1\n", UAPI_EINVAL, "an unknown device key" },
		{ "endpoint=1.2.3.4:5\n", UAPI_EINVAL,
		    "a peer key before public_key" },
		{ "public_key=" K2 "\nbogus=1\n", UAPI_EINVAL,
		    "an unknown peer key" },
		{ "public_key=" K2 "\nprotocol_version=2\n", UAPI_EINVAL,
		    "protocol_version=2" },
		{ "public_key=" K2 "\nallowed_ip=10.0.0.1\n", UAPI_EINVAL,
		    "an allowed_ip without a length" },
		{ "public_key=" K2 "\nallowed_ip=10.0.0.0/33\n", UAPI_EINVAL,
		    "/33" },
		{ "public_key=" K2 "\nendpoint=1.2.3.4\n", UAPI_EINVAL,
		    "an endpoint without a port" },
		{ "public_key=" K2 "\nendpoint=[::1:5\n", UAPI_EINVAL,
		    "an unclosed bracket" },
		{ "public_key=" K2 "\nendpoint=::1:5\n", UAPI_EINVAL,
		    "IPv6 without brackets" },
		{ "public_key=" K2 "\nendpoint=host:5\n", UAPI_EINVAL,
		    "a host name (wg resolves it first)" },
		{ "public_key=" K2 "\npersistent_keepalive_interval=65536\n",
		    UAPI_EINVAL, "keepalive over 65535" },
		{ "public_key=" K2 "\nremove=false\n", UAPI_EINVAL,
		    "remove=false" },
		{ "no equals sign\n", UAPI_EPROTO, "a line without '='" },
		{ "listen_port=1\0\n", UAPI_EPROTO, "a NUL in a line" },
	};
	struct uapi_set	 s;
	char		 err[128];
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		is_int(uapi_parse_set(bad[i].text, strlen(bad[i].text) +
		    (strstr(bad[i].what, "NUL") != NULL ? 2 : 0), &s, err,
		    sizeof(err)), bad[i].code, "%s: errno=%d", bad[i].what,
		    bad[i].code);
		ok(strncmp(err, "line ", 5) == 0, "%s: the message names the "
		    "line (%s)", bad[i].what, err);
		uapi_set_free(&s);
	}
}

static void
test_replace(void)
{
	struct uapi_set	 s;
	char		 err[128];

	is_int(parse("public_key=" K2 "\nallowed_ip=10.0.0.0/8\n"
	    "replace_allowed_ips=true\nallowed_ip=10.1.0.0/16\n",
	    &s, err, sizeof(err)), 0, "replace_allowed_ips after an ip");
	ok(s.npeers == 1 && s.peers[0].naips == 1 &&
	    strcmp(pfx(&s.peers[0].aips[0]), "10.1.0.0/16") == 0,
	    "the allowed-ips before it are dropped");
	uapi_set_free(&s);
	is_int(parse("public_key=" K2 "\n", &s, err, sizeof(err)), 0,
	    "a peer with nothing but its key");
	ok(s.npeers == 1 && !s.peers[0].has_endpoint &&
	    s.peers[0].naips == 0, "no endpoint, no allowed-ips");
	uapi_set_free(&s);
	is_int(parse("", &s, err, sizeof(err)), 0, "an empty set");
	uapi_set_free(&s);
}

static void
test_many(void)
{
	struct uapi_set	 s;
	char		*text, *p;
	char		 err[128];
	size_t		 i, n = 130000, len = 0;

	if ((text = malloc(80 + n * 32)) == NULL)
		abort();
	p = text;
	p += sprintf(p, "public_key=%s\n", K2);
	for (i = 0; i < n; i++)
		p += sprintf(p, "allowed_ip=%zu.%zu.%zu.0/24\n", 20 + i / 65536,
		    i / 256 % 256, i % 256);
	len = p - text;
	is_int(uapi_parse_set(text, len, &s, err, sizeof(err)), 0,
	    "130,000 allowed_ip lines parse");
	is_int(s.peers[0].naips, n, "all 130,000 are there");
	uapi_set_free(&s);
	free(text);
}

int
main(void)
{
	test_example();
	test_errors();
	test_replace();
	test_many();
	return tap_done();
}
