#!/usr/bin/env bash
# NAT-PMP and PCP against a real gateway: miniupnpd (Debian's
# miniupnpd-nftables) on an nftables NAT router, asked by
# regress/interop/pmpprobe with meshd's codecs (common/natpmp.c,
# common/pcp.c).  A mapping is created (miniupnpd's nft rules show it and
# a datagram from outside reaches the inside port), renewed, and deleted
# (its rules go, the datagram no longer arrives); PCP's nonce guards it.
#
#   ns I: the internet, 198.18.140.1/24 and .3/24 on eth0; turnserver on
#         both (RFC 5780) for miniupnpd's own STUN check, see below
#   ns N: the router, wan 198.18.140.2/24, lan 198.19.140.1/24;
#         masquerade out of wan, forwarding only for replies and what
#         miniupnpd's chain allows; miniupnpd listening on lan
#   ns L: the inside host, 198.19.140.2/24, default via N
#
# Why turnserver: miniupnpd 2.3.1 refuses every mapping ("Reserved /
# private IP address ... Port forwarding is impossible") when its
# external address is reserved, and our lab addresses (198.18.0.0/15,
# RFC 2544) are; ext_ip= refuses them too, and 2.3.1 has no option to
# allow them.  With ext_perform_stun=yes it asks a STUN server whether
# it sits behind a NAT that filters; coturn with two addresses answers
# its CHANGE-REQUESTs, so it finds none and enables port forwarding.
. "$(dirname "$0")/../lib.sh"
need_cmds turnserver nft
MINIUPNPD=${MINIUPNPD:-/usr/sbin/miniupnpd}
[ -x "$MINIUPNPD" ] ||
    skip_all "$MINIUPNPD missing (Debian: miniupnpd-nftables)"
PROBE=${PMPPROBE:-$MESHD_BUILD/regress/interop/pmpprobe}
[ -x "$PROBE" ] || skip_all "$PROBE not built"
need_root
tmpdir_new D
I=mshpi$$ N=mshpn$$ L=mshpl$$
EXT=198.18.140.2 IN=198.19.140.2 GW=198.19.140.1

{ netns_new $I && netns_new $N && netns_new $L &&
    veth_pair $I eth0 198.18.140.1/24 $N wan $EXT/24 &&
    ip -n $I addr add 198.18.140.3/24 dev eth0 &&
    veth_pair $N lan $GW/24 $L eth0 $IN/24 &&
    ip -n $L route add default via $GW &&
    ip netns exec $N sysctl -qw net.ipv4.ip_forward=1 &&
    ip netns exec $N nft -f - <<'NFT'
# miniupnpd 2.3.1's default names: table inet filter, chains miniupnpd,
# prerouting_miniupnpd and postrouting_miniupnpd (it adds rules, never
# chains; Debian's nft_init.sh needs a file the package lacks)
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

turn_up $I 198.18.140.1 198.18.140.3 || fail_setup "turnserver"

# no UPnP (no SSDP or HTTP), NAT-PMP and PCP (one switch in 2.3.1:
# enable_natpmp; enable_pcp_pmp came later and 2.3.1 refuses it),
# secure_mode: a client maps only to its own address
cat >"$D/miniupnpd.conf" <<EOF
ext_ifname=wan
listening_ip=lan
enable_upnp=no
enable_natpmp=yes
secure_mode=yes
ext_perform_stun=yes
ext_stun_host=198.18.140.1
ext_stun_port=3478
lease_file=$D/leases
uuid=6d657368-642d-4e41-5450-4d5000000001
allow 1024-65535 198.19.140.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
EOF
upnpd_up() {
	# -d: in the foreground, logging to stderr; its own pid file
	start_bg UPNPD ip netns exec $N "$MINIUPNPD" -d -f "$D/miniupnpd.conf" \
	    -P "$D/miniupnpd.pid" 2>>"$D/miniupnpd.log"
	wait_for 15 grep -q 'Listening for NAT-PMP/PCP traffic' \
	    "$D/miniupnpd.log"
}
upnpd_up
ok $? "miniupnpd listens for NAT-PMP and PCP" ||
    { diag "$(tail -n 20 "$D/miniupnpd.log")"; done_testing; exit 1; }
grep -q 'Port forwarding is now enabled' "$D/miniupnpd.log"
ok $? "its STUN check enabled port forwarding" ||
    diag "$(grep -i -e stun -e forward "$D/miniupnpd.log" | tail -n 5)"

# key=value output into r_result, r_external, r_eport, ...
pmp() {
	local out rc k
	out=$(ip netns exec $L "$PROBE" -n 3 -w 250 -g $GW "$@" 2>"$D/err")
	rc=$?
	r_result= r_code= r_epoch= r_external= r_iport= r_eport= r_lifetime=
	r_nonce=
	k='result\|code\|epoch\|external\|iport\|eport\|lifetime\|nonce'
	eval "$(printf '%s\n' "$out" |
	    sed -n "s/^\($k\)=\([0-9a-f.]*\|[a-zA-Z ]*\)\$/r_\1='\2'/p")"
	return $rc
}
rules() { ip netns exec $N nft list chain inet filter prerouting_miniupnpd; }
# delivered PORT EPORT: a datagram from outside to EXT:EPORT reaches PORT
# UDP may lose one datagram (the first through a new rule met a
# loaded machine once): three tries, half a second apart, before "no"
delivered() {
	local rp i
	ip netns exec $L "$PROBE" recv "$1" 2500 >"$D/recv" 2>&1 & rp=$!
	wait_for 5 grep -q listening "$D/recv"
	for i in 1 2 3; do
		ip netns exec $I "$PROBE" send "$EXT:$2" "hello $2"
		grep -qx "data=hello $2" "$D/recv" && break
		sleep 0.5
	done
	wait $rp && grep -qx "data=hello $2" "$D/recv"
}

pmp addr
ok $? "NAT-PMP external address: answered" || diag "$(cat "$D/err")"
is "$r_result" success "result: success"
is "$r_external" $EXT "the router's outside address"
epoch1=$r_epoch

pmp map 40001 40001 3600
is "$r_result" success "NAT-PMP map UDP 40001 for 3600 s: success"
is "$r_iport" 40001 "for internal port 40001"
like "$r_eport" '^[0-9]+$' "external port $r_eport"
is "$r_lifetime" 3600 "lifetime 3600"
E=$r_eport
has "$(rules)" "th dport $E dnat ip to $IN:40001" \
    "miniupnpd's nft rule maps $EXT:$E to $IN:40001"
delivered 40001 "$E"
ok $? "a datagram from outside to $EXT:$E reaches $IN:40001"

pmp map 40001 40001 7200
ok $? "renewed" || diag "$(cat "$D/err")"
is "$r_eport:$r_lifetime" "$E:7200" "same external port, new lifetime"
is "$(rules | grep -c "dnat ip to $IN:40001")" 1 "still one rule"
[ "$r_epoch" -ge "$epoch1" ]
ok $? "epoch $r_epoch did not go back (was $epoch1)"

pmp map 40001 0 0
is "$r_result:$r_lifetime" success:0 "deleted: lifetime 0"
rules | grep -q "dnat ip to $IN:40001"
ok $(( $? == 0 )) "its nft rule is gone"
delivered 40001 "$E"
ok $(( $? == 0 )) "a datagram to $EXT:$E no longer arrives"

pmp pcp 40002 40002 3600
ok $? "PCP MAP UDP 40002: answered" || diag "$(cat "$D/err")"
is "$r_result" success "result: success"
is "$r_external" $EXT "assigned the router's outside address"
is "$r_iport:$r_lifetime" 40002:3600 "internal port 40002, 3600 s"
P=$r_eport NONCE=$r_nonce
has "$(rules)" "th dport $P dnat ip to $IN:40002" "its nft rule"
delivered 40002 "$P"
ok $? "a datagram to $EXT:$P reaches $IN:40002"
pmp -N "$NONCE" pcp 40002 "$P" 7200
is "$r_result:$r_eport:$r_lifetime" "success:$P:7200" \
    "renewed with its nonce: same port, new lifetime"
pmp -N 000000000000000000000001 pcp 40002 0 0
is "$r_result" "not authorized" "another nonce cannot delete it"
has "$(rules)" "th dport $P dnat ip to $IN:40002" "it stays"
pmp -N "$NONCE" pcp 40002 0 0
is "$r_result:$r_lifetime" success:0 "its nonce deletes it"
rules | grep -q "dnat ip to $IN:40002"
ok $(( $? == 0 )) "its nft rule is gone"

# a gateway restart: the epoch starts again (the caller re-maps); first
# let it reach 2 s so that going back shows
for i in $(seq 30); do
	pmp addr && [ "$r_epoch" -ge 2 ] && break
	sleep 0.2
done
before=$r_epoch
kill "$UPNPD"; wait "$UPNPD" 2>/dev/null
: >"$D/miniupnpd.log"
upnpd_up || fail_setup "miniupnpd again"
pmp addr
[ "$r_epoch" -lt "$before" ]
ok $? "after a restart the epoch went back ($before -> $r_epoch)"

kill "$UPNPD" "$TURN" 2>/dev/null
done_testing
