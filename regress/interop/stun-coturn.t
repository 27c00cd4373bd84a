#!/usr/bin/env bash
# STUN against a real server: coturn's turnserver answers the Binding
# requests regress/interop/stunprobe makes with meshd's codec
# (common/stun.c).  Directly on the server's link the mapped address is
# the probe's own; behind an nftables masquerade NAT it is the NAT's
# outside address.
#
#   ns S: 198.18.130.1/24 (to C) and 198.18.131.1/24 (to N); turnserver
#         listening on 198.18.130.1:3478
#   ns C: 198.18.130.2/24
#   ns N: wan 198.18.131.2/24 (default via S), lan 198.19.131.1/24,
#         masquerade out of wan
#   ns L: 198.19.131.2/24, default via N
. "$(dirname "$0")/../lib.sh"
need_cmds turnserver nft
PROBE=${STUNPROBE:-$MESHD_BUILD/regress/interop/stunprobe}
[ -x "$PROBE" ] || skip_all "$PROBE not built"
need_root
tmpdir_new D
S=mshss$$ C=mshsc$$ N=mshsn$$ L=mshsl$$

{ netns_new $S && netns_new $C && netns_new $N && netns_new $L &&
    veth_pair $S ec 198.18.130.1/24 $C eth0 198.18.130.2/24 &&
    veth_pair $S en 198.18.131.1/24 $N wan 198.18.131.2/24 &&
    veth_pair $N lan 198.19.131.1/24 $L eth0 198.19.131.2/24 &&
    ip -n $N route add default via 198.18.131.1 &&
    ip -n $L route add default via 198.19.131.1 &&
    ip netns exec $N sysctl -qw net.ipv4.ip_forward=1 &&
    ip netns exec $N nft -f - <<'NFT'
table ip nat {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan" masquerade
	}
}
NFT
} || fail_setup "the namespaces"

# lib.sh's turn_up runs it: -n, no config file; --stun-only, Binding
# needs no TURN credentials; its user database in our directory, not
# /var/lib/turn; no CLI, TLS or DTLS listeners; the log in $D, not on
# stdout; no SOFTWARE attribute.
turn_up $S 198.18.130.1
ok $? "turnserver listens on 198.18.130.1:3478" ||
    { diag "$(tail -n 20 "$D/turn.log" 2>/dev/null)"; done_testing; exit 1; }

# key=value output of the probe into variables p_local, p_mapped, ...
probe() {
	local out rc k
	out=$(ip netns exec "$1" "$PROBE" -n 3 -w 300 "${@:2}" 2>"$D/err")
	rc=$?
	p_local= p_mapped= p_via= p_fingerprint= p_tries=
	k='local\|mapped\|via\|fingerprint\|tries'
	eval "$(printf '%s\n' "$out" |
	    sed -n "s/^\($k\)=\([][0-9A-Za-z.:]*\)\$/p_\1=\2/p")"
	return $rc
}

probe $C 198.18.130.1:3478
ok $? "a Binding request from the server's link is answered" ||
    diag "$(cat "$D/err")"
like "$p_local" '^198\.18\.130\.2:[0-9]+$' "the probe's address: $p_local"
is "$p_mapped" "$p_local" "no NAT: the mapped address is the probe's own"
is "$p_via" xor "from XOR-MAPPED-ADDRESS"
is "$p_fingerprint" yes "coturn answers our FINGERPRINT with one (checked)"

probe $C -b 198.18.130.2:40123 198.18.130.1:3478
is "$p_mapped" 198.18.130.2:40123 "bound to port 40123: mapped to it"

probe $L 198.18.130.1:3478
ok $? "behind the NAT: answered" || diag "$(cat "$D/err")"
like "$p_local" '^198\.19\.131\.2:[0-9]+$' "the probe's address: $p_local"
like "$p_mapped" '^198\.18\.131\.2:[0-9]+$' \
    "the mapped address is the NAT's outside address: $p_mapped"
# the NAT keeps the port if it is free, so only the address is certain
[ "${p_mapped%:*}" != "${p_local%:*}" ]
ok $? "and not the probe's own"

# our side of a failure: nothing listens on 3479
out=$(ip netns exec $C "$PROBE" -n 2 -w 100 198.18.130.1:3479 2>&1)
ok $(( $? != 1 )) "no server: exit 1"
has "$out" "no answer from 198.18.130.1:3479 after 2 requests" "and says so"

kill "$TURN" 2>/dev/null
done_testing
