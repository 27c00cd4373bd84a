#!/usr/bin/env bash
#
# Copyright (c) 2026 The meshd developers
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
#
# dns.sh - the mesh DNS's queries a second, for make bench: the codec
# alone (bench/dns-bench), then one meshd node (a coordinator of its own
# mesh) asked over UDP on its mesh address from its own namespace by
# dns-bench with 64 queries in flight, for an answered name and for an
# NXDOMAIN.  Reports, never asserts.
#   MESHD_ROOT, MESHD_BUILD: the installation and build (make bench)
#   BENCH_SECS: seconds a figure (default 2)
set -u

: "${MESHD_BUILD:?run it through make bench}"
SECS=${BENCH_SECS:-2}
BENCH=$MESHD_BUILD/bench/dns-bench
"$BENCH" -t "$SECS" || exit 1
[ -n "${MESHD_ROOT:-}" ] || exit 0
. "$(dirname "$0")/../regress/lib.sh"
[ "$(id -u)" = 0 ] || { echo "(meshd's figure needs root)"; exit 0; }
command -v wg >/dev/null || { echo "(meshd's figure needs wg)"; exit 0; }

NS=mdnsb$$
netns_new "$NS" && tmpdir_new D && mesh_ca && mesh_cert n1 1 -R coordinator ||
    { echo "dns.sh: cannot set up"; exit 1; }
mesh_conf n1 serve
meshd_up n1 "$NS" || { echo "dns.sh: meshd did not start"; exit 1; }
for name in this.tunnelmesh nobody.tunnelmesh; do
	printf '%-18s ' "$name"
	ip netns exec "$NS" "$BENCH" -t "$SECS" 100.64.0.1 "$name"
done
"$MESHCTL" -s "$D/n1.sock" show dns | sed -n 's/^/  /; /queries\|answered/p'
