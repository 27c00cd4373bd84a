#!/usr/bin/env bash
# Exit nodes (issue 15).  The hub routes between the mesh's underlay
# 198.18.60.0/24 and an "internet" namespace at 198.18.70.1.  n1 is the
# coordinator, n2 an exit node (its certificate has 0.0.0.0/0 and ::/0,
# serve exit), n3 a client with exit-node "n2".  n3 reaches the internet
# only through n2, over IPv4 and IPv6 (the internet sees n2's address,
# never n3's; no packet to it leaves n3's eth0) while its tunnel keeps to
# the underlay.  With
# n2 stopped nothing leaks; with exit-node-fallback direct it goes out
# directly, and through n2 again once n2 is back.  Rules, table and
# nftables table go when meshd stops.

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg ping nft
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

HUB=mexh$$ NET=mexi$$
mesh_hub "$HUB" || fail_setup "the hub"
netns_new "$NET" && ip -n "$HUB" addr add 198.18.60.254/24 dev br0 &&
    veth_pair "$HUB" inet0 198.18.70.254/24 "$NET" eth0 198.18.70.1/24 &&
    ip -n "$NET" route add default via 198.18.70.254 &&
    ip netns exec "$HUB" sysctl -qw net.ipv4.ip_forward=1 ||
    fail_setup "the internet"
# and over IPv6: the underlay fd00:60::/64, the internet fd00:70::1
ip -n "$HUB" addr add fd00:60::fe/64 dev br0 nodad &&
    ip -n "$HUB" addr add fd00:70::fe/64 dev inet0 nodad &&
    ip -n "$NET" addr add fd00:70::1/64 dev eth0 nodad &&
    ip -n "$NET" -6 route add default via fd00:70::fe &&
    ip netns exec "$HUB" sysctl -qw net.ipv6.conf.all.forwarding=1 ||
    fail_setup "the IPv6 internet"
tmpdir_new D
mesh_ca || fail_setup "an admin key"
for i in 1 2 3; do
	mesh_host "$HUB" "mex$i$$" "$i" &&
	    ip -n "mex$i$$" route add default via 198.18.60.254 &&
	    ip -n "mex$i$$" addr add "fd00:60::$i/64" dev eth0 nodad &&
	    ip -n "mex$i$$" -6 route add default via fd00:60::fe ||
	    fail_setup "host $i"
done
mesh_cert n1 1 -R coordinator || fail_setup "n1's certificate"
mesh_cert n2 2 -r 0.0.0.0/0,::/0 || fail_setup "n2's certificate"
mesh_cert n3 3 || fail_setup "n3's certificate"
mesh_conf n1 serve
MESH_EXTRA=$'\tserve exit' mesh_conf n2 n1:1
MESH_EXTRA=$'\texit-node "n2"' mesh_conf n3 n1:1

# who the internet sees, and what leaves n3's eth0 for it
ip netns exec "$NET" nft -f - <<'EOF' || fail_setup "the internet's counters"
table inet seen {
	chain in {
		type filter hook input priority 0;
		ip saddr 198.18.60.2 counter
		ip saddr 198.18.60.3 counter
		ip6 saddr fd00:60::2 counter
		ip6 saddr fd00:60::3 counter
	}
}
EOF
ip netns exec "mex3$$" nft -f - <<'EOF' || fail_setup "n3's counter"
table inet leak {
	chain out {
		type filter hook output priority 0;
		oifname "eth0" ip daddr 198.18.70.1 counter
		oifname "eth0" ip6 daddr fd00:70::1 counter
	}
}
EOF
# seen SADDR: packets the internet got from SADDR
seen() {
	ip netns exec "$NET" nft -j list table inet seen |
	    jq "[.nftables[].rule? | select(. != null) |
	    select(.expr[0].match.right == \"$1\") | .expr[1].counter.packets]
	    | add"
}
leaked() {
	ip netns exec "mex3$$" nft -j list table inet leak |
	    jq '[.nftables[].rule? | select(. != null) |
	    .expr[-1].counter.packets] | add'
}
ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
knows() {
	[ "$(ctl "$1" -j show peers |
	    jq '[.peers[] | select(.cert_expires != null)] | length')" = "$2" ]
}
reach() { ip netns exec "$1" ping -c 1 -W 2 "$2" >/dev/null 2>&1; }

for i in 1 2 3; do
	meshd_up "n$i" "mex$i$$"; ok $? "n$i starts"
done
wait_for 10 knows n3 2; ok $? "n3 knows n1 and n2"

like "$(ip -n "mex3$$" rule show)" "not from all fwmark 0x6d65 lookup 28005" \
    "n3 has the fwmark rule"
like "$(ip -n "mex3$$" rule show)" "lookup main suppress_prefixlength 0" \
    "n3 has the suppress_prefixlength rule"
# the unprivileged user's sockets (ssh(1)'s, the SSH transport) keep to
# the underlay: ssh cannot mark its socket
uid=$(id -u _meshd)
like "$(ip -n "mex3$$" rule show)" "uidrange $uid-$uid lookup main" \
    "n3 has the rule for its unprivileged user"
like "$(ip -n "mex3$$" route get 198.18.70.1 uid "$uid")" "dev eth0" \
    "that user's connections (ssh's) go out eth0"
like "$(ip -n "mex3$$" route get 198.18.70.1)" "dev msh0" \
    "root's go into the tunnel"
like "$(ip -n "mex3$$" route show table 28005)" "default dev msh0" \
    "n3's exit table sends everything into msh0"
like "$(ip netns exec "mex2$$" nft list tables)" "inet meshd_exit" \
    "n2 made its nftables table"
is "$(ip netns exec "mex2$$" sysctl -n net.ipv4.ip_forward)" 1 \
    "n2 forwards"

wait_for 10 reach "mex3$$" 198.18.70.1
ok $? "n3 reaches the internet through n2"
reach "mex3$$" 198.18.70.1
[ "$(seen 198.18.60.2)" -ge 1 ]; ok $? "the internet saw n2's address"
is "$(seen 198.18.60.3)" 0 "the internet never saw n3's address"
is "$(leaked)" 0 "no packet to the internet left n3's eth0"
reach "mex3$$" 100.64.0.1
ok $? "n3 still reaches the coordinator (its tunnel keeps the underlay)"
# ::/0 too: IPv6 goes out through n2, masqueraded to n2's address
reach6() { ip netns exec "$1" ping -6 -c 1 -W 2 "$2" >/dev/null 2>&1; }
wait_for 10 reach6 "mex3$$" fd00:70::1
ok $? "n3 reaches the internet's IPv6 address through n2"
like "$(ip -n "mex3$$" -6 route show table 28005)" "default dev msh0" \
    "n3's IPv6 exit table sends everything into msh0"
[ "$(seen fd00:60::2)" -ge 1 ]; ok $? "the internet saw n2's IPv6 address"
is "$(seen fd00:60::3)" 0 "never n3's"
is "$(leaked)" 0 "and no IPv6 packet to the internet left n3's eth0"

# the exit node stops: nothing leaks
kill "$PID_n2"
wait_for 10 sh -c "! kill -0 $PID_n2 2>/dev/null"; ok $? "n2 stops"
unlike_tables=$(ip netns exec "mex2$$" nft list tables)
[[ "$unlike_tables" != *meshd_exit* ]]
ok $? "n2 removed its nftables table at exit"
bad=0
for _ in 1 2 3 4 5 6 7 8 9 10 11 12; do
	reach "mex3$$" 198.18.70.1 && bad=1
done
is "$bad" 0 "with n2 down n3 does not reach the internet"
is "$(leaked)" 0 "and no packet to the internet left n3's eth0"
is "$(seen 198.18.60.3)" 0 "the internet never saw n3's address"

# exit-node-fallback direct: out directly while n2 is down
MESH_EXTRA=$'\texit-node "n2"\n\texit-node-fallback direct' mesh_conf n3 n1:1
ctl n3 reload >/dev/null; ok $? "n3 reloads with exit-node-fallback direct"
wait_for 40 reach "mex3$$" 198.18.70.1
ok $? "with fallback direct n3 reaches the internet directly"
[ "$(leaked)" -ge 1 ]; ok $? "now packets to the internet leave eth0"
[ "$(seen 198.18.60.3)" -ge 1 ]; ok $? "and the internet sees n3's address"

# the exit node comes back: the probes see it, traffic goes through it
meshd_up n2 "mex2$$"; ok $? "n2 starts again"
before=$(seen 198.18.60.2)
back() {
	reach "mex3$$" 198.18.70.1 && [ "$(seen 198.18.60.2)" -gt "$before" ]
}
wait_for 30 back; ok $? "n2 back: n3's traffic goes through it again"
l=$(leaked)
reach "mex3$$" 198.18.70.1; ok $? "n3 reaches the internet"
is "$(leaked)" "$l" "and its packets no longer leave eth0"

# a reload without exit-node takes the rules away, one with it puts
# them back; n2 reloaded without serve exit deletes its table
MESH_EXTRA= mesh_conf n3 n1:1
ctl n3 reload >/dev/null; ok $? "n3 reloads without exit-node"
[[ "$(ip -n "mex3$$" rule show)" != *0x6d65* ]]
ok $? "the fwmark rule is gone"
MESH_EXTRA=$'\texit-node "n2"' mesh_conf n3 n1:1
ctl n3 reload >/dev/null; ok $? "n3 reloads with exit-node again"
like "$(ip -n "mex3$$" rule show)" "not from all fwmark 0x6d65" \
    "the fwmark rule is back"
wait_for 10 reach "mex3$$" 198.18.70.1; ok $? "n3 reaches the internet"
MESH_EXTRA= mesh_conf n2 n1:1
ctl n2 reload >/dev/null; ok $? "n2 reloads without serve exit"
[[ "$(ip netns exec "mex2$$" nft list tables)" != *meshd_exit* ]]
ok $? "n2's nftables table is gone"
reach "mex3$$" 198.18.70.1
ok $((!$?)) "n3 no longer reaches the internet through n2"
is "$(leaked)" "$l" "nor directly"

# meshd stops: its rules and table go
kill "$PID_n3"
wait_for 10 sh -c "! kill -0 $PID_n3 2>/dev/null"; ok $? "n3 stops"
r=$(ip -n "mex3$$" rule show)
[[ "$r" != *0x6d65* && "$r" != *suppress_prefixlength* &&
    "$r" != *uidrange* ]]
ok $? "n3's rules are gone"
is "$(ip -n "mex3$$" route show table 28005 2>/dev/null)" "" \
    "n3's exit table is empty"
done_testing
