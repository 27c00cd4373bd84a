#!/usr/bin/env bash
# Key isolation through wg(8)'s UAPI socket, keyscan.t's method: node a
# gets a new private key and a preshared key with `wg set`, b gets the
# preshared key the same way, traffic flows, and `wg showconf` prints the
# keys on both.  Then the memory of each of the four processes of each
# node is searched for the new private key and the preshared key as 32
# raw bytes, as the 64 hex digits the UAPI text carries and as base64:
# only meshd-crypto may hold them (and must: that shows the scan finds
# them).  Underlay 198.18.73.0/24.

MESHD_UAPI_DIR=	# wg(8) looks in /var/run/wireguard alone
. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"
MEMSCAN=$MESHD_BUILD/regress/interop/memscan
[ -x "$MEMSCAN" ] || skip_all "$MEMSCAN not built (run make check)"

A=kua$$ B=kub$$
IA=kua$$ IB=kub$$
netns_new "$A"; netns_new "$B"
veth_pair "$A" kva 198.18.73.1/24 "$B" kvb 198.18.73.2/24 ||
    fail_setup "the underlay"
tmpdir_new D
(umask 077; wg genkey >"$D/a.key"; wg genkey >"$D/b.key";
    wg genkey >"$D/a2.key"; wg genpsk >"$D/ab.psk")
A2_PUB=$(wg pubkey <"$D/a2.key"); B_PUB=$(wg pubkey <"$D/b.key")
iface() {	# iface NAME IFNAME NUM
	printf 'interface "%s" {\n\taddress 100.64.73.%s/24\n' "$2" "$3"
	printf '\tlisten-port 51820\n\tprivate-key-file "%s"\n}\n' \
	    "$D/$1.key"
}
iface a "$IA" 1 >"$D/a.conf"; iface b "$IB" 2 >"$D/b.conf"
ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }

meshd_up a "$A"; ok $? "node a starts" || fail_setup "node a"
meshd_up b "$B"; ok $? "node b starts" || fail_setup "node b"

wg set "$IA" private-key "$D/a2.key" peer "$B_PUB" \
    preshared-key "$D/ab.psk" endpoint 198.18.73.2:51820 \
    allowed-ips 100.64.73.2/32
ok $? "wg set on a: a new private key, peer b with a preshared key"
wg set "$IB" peer "$A2_PUB" preshared-key "$D/ab.psk" \
    endpoint 198.18.73.1:51820 allowed-ips 100.64.73.1/32
ok $? "wg set on b: peer a with the preshared key"
t "a -> b ping" ip netns exec "$A" ping -c 3 -i 0.2 -W 2 -w 15 100.64.73.2
t "b -> a ping" ip netns exec "$B" ping -c 3 -i 0.2 -W 2 100.64.73.1
for n in a b; do
	i=$IA; [ $n = b ] && i=$IB
	has "$(wg showconf "$i")" "PresharedKey = $(cat "$D/ab.psk")" \
	    "wg showconf on $n prints the preshared key"
done
has "$(wg showconf "$IA")" "PrivateKey = $(cat "$D/a2.key")" \
    "wg showconf on a prints the new private key"

declare -A P
for n in a b; do
	js=$(ctl $n -j show status)
	for role in parent net crypto tun; do
		P[$n.$role]=$(jq -r ".processes[] |
		    select(.role == \"$role\") | .pid" <<<"$js")
	done
done

# scan NODE ROLE: the private key (key 0: a's new one; b's own) and the
# preshared key (key 1); R, H, T: raw, hex and base64 counts per key
scan() {
	local out key=$D/a2.key
	[ "$1" = b ] && key=$D/b.key
	out=$("$MEMSCAN" "${P[$1.$2]}" "$key" "$D/ab.psk" 2>&1)
	for k in 0 1; do
		R[$k]=$(sed -n "s/^key=$k .* raw=\([0-9]*\) .*/\1/p" <<<"$out")
		H[$k]=$(sed -n "s/^key=$k .* hex=\([0-9]*\) .*/\1/p" <<<"$out")
		T[$k]=$(sed -n "s/^key=$k .* b64=\([0-9]*\)$/\1/p" <<<"$out")
	done
	HITS=$(grep '^hit ' <<<"$out")
	grep -q '^scan ' <<<"$out" || diag "memscan: $out"
}
for n in a b; do
	for role in parent net crypto tun; do
		scan $n $role
		if [ $role = crypto ]; then
			[ "${R[0]:-0}" -ge 1 ] && [ "${R[1]:-0}" -ge 1 ]
			ok $? "node $n crypto holds both keys (${R[0]}, ${R[1]} copies): the scan finds them"
		else
			is "${R[0]}/${R[1]}" 0/0 "node $n $role: no raw key bytes"
		fi
		is "${H[0]}/${H[1]}" 0/0 "node $n $role: no hex text of the keys"
		is "${T[0]}/${T[1]}" 0/0 "node $n $role: no base64 text of the keys"
		[ -n "$HITS" ] && [ $role != crypto ] && diag "$HITS"
	done
done

# control: the hex form is found where it is (a copy of the UAPI text)
if command -v perl >/dev/null; then
	hex=$(wg showconf "$IA" >/dev/null; printf 'get=1\n\n' |
	    timeout 5 nc -U -q 3 "/var/run/wireguard/$IA.sock" |
	    sed -n 's/^preshared_key=//p' | head -1)
	start_bg HOLDER perl -e '$| = 1; my $k = $ARGV[0]; print "held\n";
	    sleep 60' "$hex" >"$D/holder"
	wait_for 5 grep -q held "$D/holder"
	out=$("$MEMSCAN" "$HOLDER" "$D/ab.psk")
	grep -q '^key=0 .* hex=[1-9]' <<<"$out"
	ok $? "control: memscan finds the hex text in a process that holds it"
	kill "$HOLDER"; wait "$HOLDER" 2>/dev/null
fi
for n in a b; do
	kill -0 "${P[$n.parent]}"; ok $? "node $n still runs"
done
done_testing
