#!/usr/bin/env bash
# Port mapping against a real gateway: a member behind miniupnpd (as
# regress/interop/natpmp-miniupnpd.t runs it: see there why turnserver)
# asks it, from the tunnel's socket, to map its port.  meshctl netcheck
# shows the protocol and the router's outside address; miniupnpd's nft
# chain holds the mapping; it is renewed at half its lifetime (a short
# one for the test: MESHD_PORTMAP_LIFETIME, read by the parent, tests
# only), made again after miniupnpd restarts (its epoch, which its
# announcement to 224.0.0.1:5350 tells at once), deleted by a
# reload with port-mapping off and when meshd stops.
#
#   ns I: the internet, 198.18.141.1/24 and .3/24; turnserver on both
#   ns N: the router, wan 198.18.141.2/24, lan 198.19.141.1/24; miniupnpd
#   ns L: the member, 198.19.141.2/24, default via N; its own coordinator
#         (serve coordinator), stun 198.18.141.1:3478
. "$(dirname "$0")/../lib.sh"
need_cmds turnserver nft jq wg
MINIUPNPD=${MINIUPNPD:-/usr/sbin/miniupnpd}
[ -x "$MINIUPNPD" ] ||
    skip_all "$MINIUPNPD missing (Debian: miniupnpd-nftables)"
need_root
tmpdir_new D
I=mpmi$$ N=mpmn$$ L=mpml$$
EXT=198.18.141.2 IN=198.19.141.2 GW=198.19.141.1

{ netns_new $I && netns_new $N && netns_new $L &&
    veth_pair $I eth0 198.18.141.1/24 $N wan $EXT/24 &&
    ip -n $I addr add 198.18.141.3/24 dev eth0 &&
    veth_pair $N lan $GW/24 $L eth0 $IN/24 &&
    ip -n $L route add default via $GW &&
    ip netns exec $N sysctl -qw net.ipv4.ip_forward=1 &&
    ip netns exec $N nft -f - <<'NFT'
table inet filter {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname "lan" accept
		jump miniupnpd
	}
	chain miniupnpd {
	}
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		jump prerouting_miniupnpd
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		jump postrouting_miniupnpd
		oifname "wan" masquerade
	}
	chain prerouting_miniupnpd {
	}
	chain postrouting_miniupnpd {
	}
}
NFT
} || fail_setup "the namespaces"

turn_up $I 198.18.141.1 198.18.141.3 || fail_setup "turnserver"

cat >"$D/miniupnpd.conf" <<EOF
ext_ifname=wan
listening_ip=lan
enable_upnp=no
enable_natpmp=yes
secure_mode=yes
ext_perform_stun=yes
ext_stun_host=198.18.141.1
ext_stun_port=3478
lease_file=$D/leases
uuid=6d657368-642d-4e41-5450-4d5000000002
allow 1024-65535 198.19.141.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
EOF
upnpd_up() {
	start_bg UPNPD ip netns exec $N "$MINIUPNPD" -d -f "$D/miniupnpd.conf" \
	    -P "$D/miniupnpd.pid" 2>>"$D/miniupnpd.log"
	wait_for 15 grep -q 'Listening for NAT-PMP/PCP traffic' \
	    "$D/miniupnpd.log" &&
	    wait_for 15 grep -q 'Port forwarding is now enabled' \
	    "$D/miniupnpd.log"
}
upnpd_up || { diag "$(tail -n 20 "$D/miniupnpd.log")"; fail_setup miniupnpd; }
rules() { ip netns exec $N nft list chain inet filter prerouting_miniupnpd; }

mesh_ca && mesh_cert m 2 -R coordinator || fail_setup "the member's cert"
MESH_EXTRA=$(printf '\tstun "198.18.141.1:3478"')
mesh_conf m serve
export MESHD_PORTMAP_LIFETIME=20
meshd_up m $L || fail_setup "the member"

nc() { "$MESHCTL" -j -s "$D/m.sock" netcheck; }
# pm FIELD: port_mapping.FIELD
pm() { nc | jq -r ".port_mapping.$1"; }
wait_pm() {	# wait_pm PROTOCOL: until netcheck says so (20 s)
	local i
	for i in $(seq 40); do
		[ "$(pm protocol)" = "$1" ] && return 0
		sleep 0.5
	done
	return 1
}

wait_pm PCP
ok $? "netcheck: the gateway mapped our port with PCP" ||
    diag "$(nc | jq -c .port_mapping)" "$(tail -n 5 "$D/miniupnpd.log")"
ext=$(pm external)
like "$ext" "^$EXT:[0-9]+\$" "the external address is the router's ($ext)"
is "$(pm gateway)" $GW "the gateway the parent found: $GW"
has "$(rules)" "dnat ip to $IN:51820" \
    "miniupnpd's nft chain maps ${ext##*:} to $IN:51820"
has "$(nc | jq -r '.candidates | join(",")')" "mapped $ext" \
    "the mapping is a candidate"

# renewed at half the lifetime asked for (20 s; miniupnpd gives at least
# 120): the time left goes up again
l1=$(pm lifetime)
for i in $(seq 30); do
	l2=$(pm lifetime)
	[ "$l2" -gt "$l1" ] && break
	l1=$l2
	sleep 0.5
done
[ "$l2" -gt "$l1" ]
ok $? "renewed before it ran out (lifetime left $l1 -> $l2)"
is "$(pm external)" "$ext" "the same external address and port"

# miniupnpd restarts: its mapping is gone until ours is made again
kill "$UPNPD"; wait "$UPNPD" 2>/dev/null
: >"$D/miniupnpd.log"
upnpd_up || fail_setup "miniupnpd again"
for i in $(seq 40); do
	case $(pm why) in *restarted*) break ;; esac
	sleep 0.5
done
like "$(pm why)" 'the gateway restarted [0-9]+ s ago; mapped again' \
    "netcheck: the gateway restarted (its epoch), mapped again"
grep -q 'gateway restarted' "$D/m.log"
ok $? "and the log says so"
# miniupnpd says it restarted (PCP ANNOUNCE, NAT-PMP address answers to
# 224.0.0.1:5350): heard at once, not at the next renewal
grep -q "gateway restarted (epoch [0-9]*, was [0-9]*; $GW announced it)" \
    "$D/m.log"
ok $? "the restart was heard from the gateway's announcement" ||
    diag "$(grep -i 'portmap' "$D/m.log" | tail -n 5)"
has "$(rules)" "dnat ip to $IN:51820" "miniupnpd's chain has it again"

# port-mapping off by reload: deleted
sed -i '$ s/^}$/\tport-mapping off\n}/' "$D/m.conf"
"$MESHCTL" -s "$D/m.sock" reload >"$D/reload.out" 2>&1
ok $? "reload with port-mapping off" || diag "$(cat "$D/reload.out")"
has "$(cat "$D/reload.out")" "port-mapping" "the reload names it"
wait_for 5 sh -c "! ip netns exec $N nft list chain inet filter \
    prerouting_miniupnpd | grep -q 'to $IN:51820'"
ok $? "its rule is gone"
is "$(pm protocol)" off "netcheck: port mapping off"
sed -i '/port-mapping off/d' "$D/m.conf"
"$MESHCTL" -s "$D/m.sock" reload >/dev/null 2>&1
wait_pm PCP
ok $? "on again by reload: mapped again"

# meshd stops: deleted
kill -TERM "$PID_m"; wait "$PID_m" 2>/dev/null
wait_for 5 sh -c "! ip netns exec $N nft list chain inet filter \
    prerouting_miniupnpd | grep -q 'to $IN:51820'"
ok $? "meshd stopped: its rule is gone" || diag "$(rules)"
grep -q 'mapping of port 51820 deleted' "$D/m.log"
ok $? "the log says the mapping was deleted"

kill "$UPNPD" "$TURN" 2>/dev/null
done_testing
