#!/usr/bin/env bash
# Subnet routes of mesh members (issue 15).  n1 is the coordinator; n2
# has 10.1.0.0/24 in its certificate and a LAN behind it with host
# 10.1.0.5; n4 has the nested 10.1.0.128/25 with host 10.1.0.130 behind
# it; n3 is a client.  n3 reaches both hosts through the right member
# (the longest prefix wins), show peer lists the routes, and n5, whose
# certificate gives it 10.1.0.0/24 as well but is valid longer, takes
# that prefix over (its LAN has 10.1.0.6, not 10.1.0.5).  n6 may route
# 10.2.0.0/24 and 10.3.0.0/24 (hosts 10.2.0.5 and 10.3.0.5 behind it)
# but announces only 10.2.0.0/24: only that is routed to it; a reload
# announcing 10.3.0.0/24 instead moves the route.
# Underlay 198.18.60.0/24; the LANs are behind the members only.

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg ping
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

HUB=mrth$$
mesh_hub "$HUB" || fail_setup "the hub"
tmpdir_new D
mesh_ca || fail_setup "an admin key"
for i in 1 2 3 4 5 6; do
	mesh_host "$HUB" "mrt$i$$" "$i" || fail_setup "host $i"
done
# lan MEMBER-NS LAN-NS GW HOST [IF]: a LAN namespace behind a member,
# on the member's interface IF (lan0)
lan() {
	local ifn=${5:-lan0}
	netns_new "$2" &&
	    ip link add "$ifn" netns "$1" type veth peer name eth0 \
	    netns "$2" &&
	    ip -n "$1" addr add "$3/24" dev "$ifn" &&
	    ip -n "$1" link set "$ifn" up &&
	    ip -n "$2" addr add "$4/24" dev eth0 &&
	    ip -n "$2" link set eth0 up &&
	    ip -n "$2" route add default via "$3" &&
	    ip netns exec "$1" sysctl -qw net.ipv4.ip_forward=1
}
lan "mrt2$$" "mrl2$$" 10.1.0.1 10.1.0.5 || fail_setup "n2's LAN"
lan "mrt4$$" "mrl4$$" 10.1.0.129 10.1.0.130 || fail_setup "n4's LAN"
lan "mrt5$$" "mrl5$$" 10.1.0.2 10.1.0.6 || fail_setup "n5's LAN"
lan "mrt6$$" "mra6$$" 10.2.0.1 10.2.0.5 || fail_setup "n6's first LAN"
lan "mrt6$$" "mrb6$$" 10.3.0.1 10.3.0.5 lan1 || fail_setup "n6's second LAN"

mesh_cert n1 1 -R coordinator || fail_setup "n1's certificate"
mesh_cert n2 2 -r 10.1.0.0/24 -d 30 || fail_setup "n2's certificate"
mesh_cert n3 3 || fail_setup "n3's certificate"
mesh_cert n4 4 -r 10.1.0.128/25 || fail_setup "n4's certificate"
mesh_cert n5 5 -r 10.1.0.0/24 -d 60 || fail_setup "n5's certificate"
mesh_cert n6 6 -r 10.2.0.0/24,10.3.0.0/24 || fail_setup "n6's certificate"
mesh_conf n1 serve
for i in 2 3 4 5; do mesh_conf "n$i" n1:1; done
MESH_EXTRA=$'\tannounce "10.2.0.0/24"' mesh_conf n6 n1:1

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
knows() {
	[ "$(ctl "$1" -j show peers |
	    jq '[.peers[] | select(.cert_expires != null)] | length')" = "$2" ]
}
reach() {	# reach NS ADDR
	ip netns exec "$1" ping -c 1 -W 2 "$2" >/dev/null 2>&1
}

for i in 1 2 3 4; do
	meshd_up "n$i" "mrt$i$$"; ok $? "n$i starts"
done
wait_for 10 knows n3 3; ok $? "n3 knows the other three members"

# the kernel sends the routes into the mesh interface
like "$(ip -n "mrt3$$" route show dev msh0)" "10\.1\.0\.0/24" \
    "n3's kernel routes 10.1.0.0/24 to msh0"
like "$(ip -n "mrt3$$" route show dev msh0)" "10\.1\.0\.128/25" \
    "n3's kernel routes 10.1.0.128/25 to msh0"

wait_for 5 reach "mrt3$$" 10.1.0.5
ok $? "n3 reaches 10.1.0.5 behind n2 (10.1.0.0/24)"
wait_for 5 reach "mrt3$$" 10.1.0.130
ok $? "n3 reaches 10.1.0.130 behind n4 (10.1.0.128/25, the longer prefix)"
reach "mrl2$$" 100.64.0.3
ok $? "the host behind n2 reaches n3's mesh address"
reach "mrl4$$" 100.64.0.3
ok $? "the host behind n4 reaches n3's mesh address"

j=$(ctl n3 -j show peer n2)
like "$(jq -r '.addresses | join(" ")' <<<"$j")" "10\.1\.0\.0/24" \
    "show peer n2 lists its route"
like "$(ctl n3 show peer n4)" "10\.1\.0\.128/25" \
    "show peer n4 (text) lists its route"

# n5: the same prefix, a certificate valid longer: it wins
meshd_up n5 "mrt5$$"; ok $? "n5 starts"
wait_for 10 knows n3 4; ok $? "n3 knows n5"
wait_for 5 reach "mrt3$$" 10.1.0.6
ok $? "n3 reaches 10.1.0.6 behind n5: its certificate is valid longer"
reach "mrt3$$" 10.1.0.5
ok $((!$?)) "10.1.0.5 (behind n2) is no longer routed to n2"
reach "mrt3$$" 10.1.0.130
ok $? "10.1.0.128/25 stays n4's"
like "$(ip -n "mrt3$$" route show dev msh0)" "10\.1\.0\.0/24" \
    "n3's kernel route 10.1.0.0/24 stays"

# n5 is revoked: the prefix goes back to n2
"$MESHCTL" ca revoke -k "$D/ca.key" -f "$D/revoked" "$D/n5.crt" >/dev/null
ok $? "meshctl ca revoke writes the list"
mesh_conf n1 serve
ctl n1 reload >/dev/null; ok $? "the coordinator reloads with the list"
wait_for 10 reach "mrt3$$" 10.1.0.5
ok $? "n5 revoked: 10.1.0.5 is n2's again"
like "$(ip -n "mrt3$$" route show dev msh0)" "10\.1\.0\.0/24" \
    "n3's kernel route 10.1.0.0/24 is still there"

# n6 announces one of the two prefixes its certificate allows
routed() {	# routed NS PREFIX: the kernel sends PREFIX into msh0
	ip -n "$1" route show dev msh0 | grep -q "^$2 "
}
meshd_up n6 "mrt6$$"; ok $? "n6 starts, announcing 10.2.0.0/24 only"
wait_for 10 routed "mrt3$$" 10.2.0.0/24
ok $? "n3's kernel routes 10.2.0.0/24 (announced) to msh0"
routed "mrt3$$" 10.3.0.0/24
ok $((!$?)) "but not 10.3.0.0/24 (allowed, not announced)"
wait_for 5 reach "mrt3$$" 10.2.0.5
ok $? "n3 reaches 10.2.0.5 behind n6"
reach "mrt3$$" 10.3.0.5
ok $((!$?)) "n3 does not reach 10.3.0.5 behind n6"
j=$(ctl n3 -j show peer n6)
like "$(jq -r '.addresses | join(" ")' <<<"$j")" "10\.2\.0\.0/24" \
    "show peer n6 lists the announced route"
jq -r '.addresses | join(" ")' <<<"$j" | grep -q "10\.3\.0\."
ok $((!$?)) "and not the other"
routed "mrt1$$" 10.2.0.0/24 && ! routed "mrt1$$" 10.3.0.0/24
ok $? "the coordinator routes the announced prefix only, too"

# a reload announcing the other prefix moves the route
MESH_EXTRA=$'\tannounce "10.3.0.0/24"' mesh_conf n6 n1:1
ctl n6 reload >/dev/null; ok $? "n6 reloads announcing 10.3.0.0/24"
wait_for 10 routed "mrt3$$" 10.3.0.0/24
ok $? "n3's kernel now routes 10.3.0.0/24 to msh0"
routed "mrt3$$" 10.2.0.0/24
ok $((!$?)) "and no longer 10.2.0.0/24"
wait_for 5 reach "mrt3$$" 10.3.0.5
ok $? "n3 reaches 10.3.0.5 behind n6"
reach "mrt3$$" 10.2.0.5
ok $((!$?)) "n3 no longer reaches 10.2.0.5"

# without announce: all the certificate's routes, as before
mesh_conf n6 n1:1
ctl n6 reload >/dev/null; ok $? "n6 reloads without announce"
wait_for 10 routed "mrt3$$" 10.2.0.0/24
ok $? "n3 routes 10.2.0.0/24 again"
routed "mrt3$$" 10.3.0.0/24
ok $? "and 10.3.0.0/24 still"
done_testing
