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
 * One line of text for what a reload changed (struct ctl_change): the
 * parent logs it, meshctl prints it.
 */

#include <stdio.h>
#include <string.h>

#include "meshd.h"

static const char *
psk_word(uint32_t psk)
{
	switch (psk) {
	case CHANGE_PSK_ADDED:
		return "added";
	case CHANGE_PSK_REMOVED:
		return "removed";
	default:
		return "another file";
	}
}

static void
change_fields(const struct ctl_change *c, char *buf, size_t len)
{
	char	part[MESH_CHANGE_TEXT + 64];

	if (c->fields & CHANGE_F_NAME) {
		(void)snprintf(part, sizeof(part), ", name (was %s)", c->text);
		(void)strlcat(buf, part, len);
	}
	if (c->fields & CHANGE_F_ENDPOINT)
		(void)strlcat(buf, ", endpoint", len);
	if (c->fields & CHANGE_F_AIPS) {
		(void)snprintf(part, sizeof(part), ", allowed-ips (+%u -%u)",
		    c->aips_added, c->aips_removed);
		(void)strlcat(buf, part, len);
	}
	if (c->fields & CHANGE_F_KEEPALIVE)
		(void)strlcat(buf, ", persistent-keepalive", len);
	if (c->fields & CHANGE_F_RELAY)
		(void)strlcat(buf, ", relay", len);
	if (c->fields & CHANGE_F_PSK) {
		(void)snprintf(part, sizeof(part), ", preshared-key-file (%s)",
		    psk_word(c->psk));
		(void)strlcat(buf, part, len);
	}
}

const char *
mesh_change_text(const struct ctl_change *c, char *buf, size_t len)
{
	char	*s;

	switch (c->kind) {
	case CHANGE_ADDED:
		(void)snprintf(buf, len, "added peer %s", c->name);
		break;
	case CHANGE_REMOVED:
		(void)snprintf(buf, len, "removed peer %s", c->name);
		break;
	case CHANGE_CHANGED:
		(void)snprintf(buf, len, "changed peer %s:", c->name);
		change_fields(c, buf, len);
		/* ": , endpoint" reads as ": endpoint" */
		if ((s = strstr(buf, ":, ")) != NULL)
			memmove(s + 1, s + 2, strlen(s + 2) + 1);
		break;
	case CHANGE_IFACE:
		(void)snprintf(buf, len, "interface: %s %s", c->name, c->text);
		break;
	case CHANGE_WARNING:
		(void)snprintf(buf, len, "warning: %s", c->text);
		break;
	case CHANGE_MORE:
		(void)snprintf(buf, len, "and %u more changes", c->count);
		break;
	default:
		(void)snprintf(buf, len, "unknown change %u", c->kind);
		break;
	}
	return buf;
}
