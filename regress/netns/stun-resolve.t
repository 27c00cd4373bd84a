#!/usr/bin/env bash
# A stun "host:port" name is looked up again every resolve-interval
# (meshd-parent/resolve.c), not only at start and reload: when it
# resolves to another address, meshd-net asks that one.  In the NAT lab
# (regress/natlab.sh): a STUN server (coturn) on the internet at
# 198.18.0.3 only; a node (its mesh's coordinator, which needs no other)
# on a site without NAT, resolve-interval 5, whose stun.test
# resolves (/etc/hosts, which ip netns exec replaces with
# /etc/netns/NS/hosts: rewritten in place) to 198.18.0.2, where nothing
# answers, then to 198.18.0.3.  meshctl netcheck shows the new address
# and the server's answer; the log says the name moved.

. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../natlab.sh"
need_root
need_cmds nft turnserver jq wg
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

S1=198.18.0.2 S2=198.18.0.3
natlab_internet "si$$" || fail_setup "the internet"
natlab_public "ss$$" 2 3 || fail_setup "the server's host"
natlab_site "sr$$" 51 none && natlab_host "sr$$" "sh$$" 2 ||
    fail_setup "the member's site"
tmpdir_new D
turn_up "ss$$" $S2 || fail_setup "turnserver"

mkdir -p "/etc/netns/sh$$" && T_DIRS+=("/etc/netns/sh$$")
echo "$S1 stun.test" >"/etc/netns/sh$$/hosts"
mesh_ca || fail_setup "the admin key"
mesh_cert m 2 -R coordinator || fail_setup "the member's certificate"
MESH_EXTRA=$(printf '\tstun "stun.test:3478"')
mesh_conf m serve
sed -i 's/^\tlisten-port 51820$/&\n\tresolve-interval 5/' "$D/m.conf"
meshd_up m "sh$$" || { cat "$D/m.log" "$D/m.conf"; fail_setup "the member"; }

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
nc() { ctl m netcheck; }
sleep 3
like "$(nc)" "stun stun\.test:3478 \($S1:3478\): (asking|no answer)" \
    "netcheck: stun.test at $S1, which does not answer"

echo "$S2 stun.test" >"/etc/netns/sh$$/hosts"
wait_for 20 sh -c "$MESHCTL -s $D/m.sock netcheck |
    grep -q 'stun stun.test:3478 ($S2:3478): IPv4 $(natlab_addr "sh$$"):51820'"
ok $? "netcheck: stun.test now at $S2, which answers with our address"
like "$(cat "$D/m.log")" "stun stun\.test:3478 now resolves to $S2:3478" \
    "the log says the name moved"
done_testing
