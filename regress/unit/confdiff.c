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
 * confdiff(): two configs read by parse_config, and what a reload from
 * the one to the other reports.
 */

#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "confdiff.h"
#include "log.h"
#include "tap.h"

#define K1	"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
#define K2	"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="
#define K3	"AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM="
#define K4	"BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ="

static const char old_conf[] =
    "interface \"mt0\" {\n"
    "\taddress 10.0.0.1/24\n"
    "\tmtu 1400\n"
    "\tlisten-port 51820\n"
    "\tprivate-key-file \"/nonexistent/k\"\n"
    "}\n"
    "peer \"a\" {\n\tpublic-key \"" K1 "\"\n"
    "\tallowed-ips 10.0.0.2/32\n}\n"
    "peer \"b\" {\n\tpublic-key \"" K2 "\"\n"
    "\tendpoint \"198.18.0.2:51820\"\n"
    "\tallowed-ips 10.0.0.3/32, 10.1.0.0/16\n}\n"
    "peer \"c\" {\n\tpublic-key \"" K3 "\"\n"
    "\tallowed-ips 10.0.0.4/32\n}\n";

/* a removed, b's endpoint and allowed-ips, c renamed, d new */
static const char new_conf[] =
    "interface \"mt0\" {\n"
    "\taddress 10.0.0.1/24\n"
    "\taddress 10.9.0.1/24\n"
    "\tmtu 1380\n"
    "\tlisten-port 51820\n"
    "\tprivate-key-file \"/nonexistent/k\"\n"
    "\tuser \"nobody\"\n"
    "}\n"
    "peer \"b\" {\n\tpublic-key \"" K2 "\"\n"
    "\tendpoint \"198.18.0.3:51820\"\n"
    "\tallowed-ips 10.0.0.3/32, 10.2.0.1/16, 10.3.0.0/16\n"
    "\tpersistent-keepalive 25\n}\n"
    "peer \"cc\" {\n\tpublic-key \"" K3 "\"\n"
    "\tallowed-ips 10.0.0.4/32\n}\n"
    "peer \"d\" {\n\tpublic-key \"" K4 "\"\n"
    "\tallowed-ips 10.0.0.5/32\n}\n";

static struct meshd_conf *
parse_text(const char *dir, const char *name, const char *text)
{
	struct meshd_conf	*conf;
	char			 path[256];
	FILE			*f;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return NULL;
	fputs(text, f);
	fclose(f);
	conf = parse_config(path, CONF_NOKEYCHECK);
	(void)unlink(path);
	return conf;
}

static void
like_host_bits(const char *w)
{
	ok(strstr(w, "host bits") != NULL && strchr(w, '\n') == NULL,
	    "config_warnings: the one warning, host bits");
}

static const struct ctl_change *
find(const struct confdiff *d, uint32_t kind, const char *name)
{
	size_t	i;

	for (i = 0; i < d->n; i++)
		if (d->changes[i].kind == kind &&
		    strcmp(d->changes[i].name, name) == 0)
			return &d->changes[i];
	return NULL;
}

int
main(void)
{
	struct meshd_conf		*o, *n;
	struct confdiff			 d;
	const struct ctl_change		*c;
	char				 dir[] = "/tmp/confdiffXXXXXX";
	char				 buf[512], warn[512];

	log_init(1, 0, 0);
	if (mkdtemp(dir) == NULL)
		return 1;
	o = parse_text(dir, "old.conf", old_conf);
	n = parse_text(dir, "new.conf", new_conf);
	(void)strlcpy(warn, config_warnings(), sizeof(warn));
	(void)rmdir(dir);
	if (!ok(o != NULL && n != NULL, "both configs parse"))
		return tap_done();

	ok(confdiff(o, o, &d) == 0 && d.n == 0, "a config against itself: "
	    "no changes");
	is_str(confdiff_summary(&d, o->npeers, buf, sizeof(buf)),
	    "reload done: 3 peers; no changes", "its summary");
	confdiff_free(&d);

	like_host_bits(warn);
	if (!ok(confdiff(o, n, &d) == 0, "confdiff") ||
	    !ok(confdiff_warnings(&d, warn) == 0, "confdiff_warnings"))
		return tap_done();
	is_str(confdiff_summary(&d, n->npeers, buf, sizeof(buf)),
	    "reload done: 3 peers; 1 added, 1 removed, 2 changed, "
	    "2 interface changes, 2 warnings", "the summary counts each kind");
	ok(find(&d, CHANGE_REMOVED, "a") != NULL, "a is removed");
	ok(find(&d, CHANGE_ADDED, "d") != NULL, "d is added");
	ok(find(&d, CHANGE_ADDED, "cc") == NULL &&
	    find(&d, CHANGE_REMOVED, "c") == NULL,
	    "a new name with the same key is no remove and add");
	c = find(&d, CHANGE_CHANGED, "cc");
	ok(c != NULL && c->fields == CHANGE_F_NAME &&
	    strcmp(c->text, "c") == 0, "c renamed cc: the name only");
	c = find(&d, CHANGE_CHANGED, "b");
	ok(c != NULL && c->fields == (CHANGE_F_ENDPOINT | CHANGE_F_AIPS |
	    CHANGE_F_KEEPALIVE), "b: endpoint, allowed-ips, keepalive");
	if (c != NULL) {
		is_int(c->aips_added, 2, "b: two prefixes added");
		is_int(c->aips_removed, 1, "b: one prefix removed");
		is_str(mesh_change_text(c, buf, sizeof(buf)),
		    "changed peer b: endpoint, allowed-ips (+2 -1), "
		    "persistent-keepalive", "b's line of text");
	}
	c = find(&d, CHANGE_IFACE, "mtu");
	ok(c != NULL && strcmp(c->text, "1400 -> 1380") == 0,
	    "interface: mtu 1400 -> 1380");
	c = find(&d, CHANGE_IFACE, "address");
	ok(c != NULL && strcmp(c->text, "10.9.0.1/24 added") == 0,
	    "interface: an address added");
	c = find(&d, CHANGE_WARNING, "");
	ok(c != NULL && strstr(c->text, "next restart") != NULL,
	    "warning: the user needs a restart");
	c = &d.changes[d.n - 1];
	ok(c->kind == CHANGE_WARNING && strstr(c->text, "new.conf:") != NULL &&
	    strstr(c->text, "host bits") != NULL,
	    "warning: the parser's, naming file:line");
	confdiff_free(&d);

	free_config(o);
	free_config(n);
	return tap_done();
}
