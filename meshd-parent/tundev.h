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
 * The parent's TUN interface: create it, give it an MTU and addresses,
 * bring it up, list its addresses, remove it.  On Linux through
 * /dev/net/tun and rtnetlink.  Every function returns 0 (or an fd) on
 * success and -1 with errno set on failure; errors the kernel reports come
 * back as the kernel's errno.
 */

#ifndef TUNDEV_H
#define TUNDEV_H

#include <stddef.h>

#include "meshd.h"

/*
 * Creates the TUN interface name (IFF_TUN | IFF_NO_PI, not persistent: it
 * goes away when the last fd is closed) and returns its fd, close-on-exec
 * and non-blocking; *ifindex gets the interface index.  A name longer than
 * MESH_IFNAME_MAX - 1 fails with ENAMETOOLONG, an empty one or one with
 * '%' with EINVAL, a name held by an interface that is not a TUN with
 * EEXIST.
 */
int	tundev_open(const char *name, int *ifindex);

/*
 * The same with IFF_VNET_HDR (a 10-byte struct virtio_net_hdr before
 * every packet read and written), checksum offload and TSO for IPv4 and
 * IPv6 on.  Fails where the kernel refuses any of it: the caller falls
 * back to tundev_open().
 */
#define TUNDEV_VNET_HDR_LEN	10
int	tundev_open_vnet(const char *name, int *ifindex);

/* Sets the MTU. */
int	tundev_set_mtu(int ifindex, unsigned int mtu);

/*
 * Adds or removes one address (af 4 or 6, plen within the family).  Adding
 * an address that is already there succeeds; IPv6 addresses are added with
 * IFA_F_NODAD, usable at once.  Removing an address that is not there
 * fails with EADDRNOTAVAIL.
 */
int	tundev_addr_add(int ifindex, const struct mesh_prefix *);
int	tundev_addr_del(int ifindex, const struct mesh_prefix *);

/* Sets the link up. */
int	tundev_up(int ifindex);

/* Deletes the interface name; succeeds if it is already gone. */
int	tundev_destroy(const char *name);

/*
 * Lists the addresses of ifindex into out (IPv4 first, in the kernel's
 * order); *n gets the number stored.  IPv6 link-local addresses are left
 * out: the kernel makes one of its own on every TUN it brings up, and it is
 * not configuration.  More than max addresses fails with ENOBUFS after
 * storing the first max.
 */
int	tundev_addrs(int ifindex, struct mesh_prefix *out, size_t max,
	    size_t *n);

#endif /* TUNDEV_H */
