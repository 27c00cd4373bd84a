#!/usr/bin/env bash
# wg(8) on a mesh node: `wg show` lists the mesh's members beside the
# config's coordinator, with their certificate addresses as allowed IPs,
# the endpoint in use, a handshake and counters once traffic flowed; a
# `wg showconf | wg setconf` round trip leaves the members to the mesh
# (they stay members, pings still pass); `wg set ... remove` of a member
# changes nothing.  Coordinator n1, members n2 and n3 on 198.18.60.0/24.

MESHD_UAPI_DIR=	# wg(8) looks in /var/run/wireguard alone
. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg ping
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

HUB=wmh$$
mesh_hub "$HUB" || fail_setup "the hub"
tmpdir_new D
mesh_ca || fail_setup "an admin key"
for i in 1 2 3; do
	mesh_host "$HUB" "wm$i$$" "$i" || fail_setup "host $i"
done
mesh_cert n1 1 -R coordinator || fail_setup "n1's certificate"
mesh_cert n2 2 && mesh_cert n3 3 || fail_setup "the certificates"
mesh_conf n1 serve; mesh_conf n2 n1:1; mesh_conf n3 n1:1
for i in 1 2 3; do	# interface names of their own: the sockets are global
	sed -i "s/\"msh0\"/\"wm$i$$\"/" "$D/n$i.conf"
done
I2=wm2$$
ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
knows() {
	[ "$(ctl "$1" -j show peers |
	    jq '[.peers[] | select(.cert_expires != null)] | length')" = "$2" ]
}
field() {
	wg show "$1" dump | awk -v k="$2" -v f="$3" '$1 == k { print $f }'
}
for i in 1 2 3; do
	meshd_up "n$i" "wm$i$$"; ok $? "n$i starts" || fail_setup "n$i"
done
wait_for 15 knows n2 2; ok $? "n2 knows the other two members"
N1=$(wg pubkey <"$D/n1.key"); N3=$(wg pubkey <"$D/n3.key")
t "n2 -> n3 ping" ip netns exec "wm2$$" ping -c 3 -i 0.2 -W 2 -w 15 100.64.0.3

is "$(wg show "$I2" peers | sort)" "$(printf '%s\n' "$N1" "$N3" | sort)" \
    "wg show on n2 lists the coordinator and the member n3"
like "$(wg show "$I2" allowed-ips | grep -F "$N3")" "100.64.0.3/32" \
    "n3's allowed IPs are its certificate's addresses"
is "$(field "$I2" "$N3" 3)" 198.18.60.3:51820 "n3's endpoint in use"
[ "$(field "$I2" "$N3" 5)" -gt 0 ] && [ "$(field "$I2" "$N3" 6)" -gt 0 ] &&
    [ "$(field "$I2" "$N3" 7)" -gt 0 ]
ok $? "n3 has a handshake and counters both ways"

wg showconf "$I2" >"$D/sc"; wg setconf "$I2" "$D/sc"
ok $? "wg showconf | wg setconf on n2"
is "$(ctl n2 -j show peer n3 | jq -r .source)" mesh "n3 is still the mesh's"
t "n2 -> n3 ping after setconf" ip netns exec "wm2$$" ping -c 2 -i 0.2 \
    -W 2 100.64.0.3
wg set "$I2" peer "$N3" remove; ok $? "wg set ... remove of member n3"
t "n3 stays: a member is the mesh's" \
    ip netns exec "wm2$$" ping -c 2 -i 0.2 -W 2 100.64.0.3
like "$(wg show "$I2" peers)" "$(printf '%s' "$N3" | sed 's/[+/]/./g')" \
    "wg show still lists n3"
done_testing
