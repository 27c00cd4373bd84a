#!/bin/sh
# Remakes regress/config/certs from its two fixed admin keys (test data:
# ca.key, other-ca.key) with mkcerts.c, which uses the real common/cert.c
# and armor.c.  Run from the top of the tree after make; commit the
# result.  New admin keys, if ever wanted:
#	openssl rand -base64 32 >regress/config/certs/ca.key
# (and ca.pub changes: the configs under regress/config name it).
set -e
B=${B:-build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# shellcheck disable=SC2046
cc -std=gnu11 -D_GNU_SOURCE -Icommon -Iimsg \
    $(pkg-config --cflags libcrypto libbsd-overlay) \
    -o "$out/mkcerts" regress/config/mkcerts.c "$B/libcommon.a" \
    "$B/libimsg.a" $(pkg-config --libs libcrypto libbsd-overlay)
"$out/mkcerts" regress/config/certs
