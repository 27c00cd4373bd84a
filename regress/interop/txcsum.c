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
 * txcsum: switches an interface's transmit checksum offload on or off,
 * as "ethtool -K IFNAME tx on|off" does, for tests where ethtool(8) is
 * not installed (regress/netns/udp-offload.t: a device without it makes
 * the kernel refuse UDP_SEGMENT with EIO).
 *
 *   txcsum IFNAME on|off
 *
 * Exits 0 when the interface took it, 1 when it did not, 2 on usage.
 */

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>

#include <err.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	struct ethtool_value	ev;
	struct ifreq		ifr;
	int			s, on;

	if (argc != 3 || strlen(argv[1]) >= sizeof(ifr.ifr_name) ||
	    (strcmp(argv[2], "on") != 0 && strcmp(argv[2], "off") != 0)) {
		fprintf(stderr, "usage: txcsum ifname on|off\n");
		return 2;
	}
	on = strcmp(argv[2], "on") == 0;
	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		err(1, "socket");
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, argv[1], strlen(argv[1]));
	memset(&ev, 0, sizeof(ev));
	ev.cmd = ETHTOOL_STXCSUM;
	ev.data = on;
	ifr.ifr_data = (char *)&ev;
	if (ioctl(s, SIOCETHTOOL, &ifr) == -1)
		err(1, "%s: ETHTOOL_STXCSUM", argv[1]);
	/* read it back: the device may keep what it cannot change */
	memset(&ev, 0, sizeof(ev));
	ev.cmd = ETHTOOL_GTXCSUM;
	ifr.ifr_data = (char *)&ev;
	if (ioctl(s, SIOCETHTOOL, &ifr) == -1)
		err(1, "%s: ETHTOOL_GTXCSUM", argv[1]);
	close(s);
	if ((ev.data != 0) != on) {
		fprintf(stderr, "%s: transmit checksum offload still %s\n",
		    argv[1], ev.data ? "on" : "off");
		return 1;
	}
	return 0;
}
