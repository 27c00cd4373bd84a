#!/usr/bin/env bash
# meshd-crypto's admission with a hostile meshd-net on its imsg pipe: the
# installed meshd-crypto, started as meshd starts it, given a config with
# a mesh block, and from "net" every kind of bad certificate, checks from
# peers that may not send them, forged revocation lists, coordination
# messages for a static peer, an unknown initiator that never presents a
# certificate.  Nothing is admitted without a valid signature; the valid
# ones are; malformed messages make it exit.  regress/interop/hostilenet.c
# does it all and prints the TAP.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root (meshd-crypto chroots)"
HN=${HOSTILENET:-$MESHD_BUILD/regress/interop/hostilenet}
CRYPTO=$MESHD_ROOT/libexec/meshd/meshd-crypto
[ -x "$HN" ] || skip_all "$HN not built"
[ -x "$CRYPTO" ] || skip_all "$CRYPTO not installed (run make check)"
id _meshd >/dev/null 2>&1 || skip_all "no _meshd user"
exec "$HN" "$CRYPTO"
