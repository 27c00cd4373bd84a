#!/usr/bin/env bash
# meshd beside a stock WireGuard peer: Debian's wireguard-go and wg(8), each
# in its own namespace over a veth underlay.  For each of "with a preshared
# key" and "without": meshd initiates (ping, 100 MB meshd -> wireguard-go),
# then from a fresh start wireguard-go initiates (ping, 100 MB the other
# way).  wg show on the wireguard-go side must show the handshake and the
# transfer, and meshctl on ours.

. "$(dirname "$0")/../lib.sh"
need_root
for c in jq wg wireguard-go nc sha256sum; do
	command -v "$c" >/dev/null || skip_all "$c missing"
done
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

M=mwim$$ W=mwiw$$ WIF=mwg$$
netns_new "$M"; netns_new "$W"
ip link add vm netns "$M" type veth peer name vw netns "$W"
ip -n "$M" addr add 198.18.1.1/24 dev vm
ip -n "$W" addr add 198.18.1.2/24 dev vw
ip -n "$M" link set vm up; ip -n "$W" link set vw up
tmpdir_new D
(umask 077; wg genkey >"$D/m.key"; wg genkey >"$D/w.key"; wg genpsk >"$D/psk")
M_PUB=$(wg pubkey <"$D/m.key"); W_PUB=$(wg pubkey <"$D/w.key")
head -c 100000000 /dev/urandom >"$D/blob"
SUM=$(sha256sum <"$D/blob" | cut -d' ' -f1)

start_both() {	# start_both psk|nopsk
	local pskline="" pskarg=""
	if [ "$1" = psk ]; then
		pskline="	preshared-key-file \"$D/psk\""
		pskarg="preshared-key $D/psk"
	fi
	cat >"$D/m.conf" <<EOF
interface "mwi0" {
	address 100.64.1.1/24
	listen-port 51820
	private-key-file "$D/m.key"
}
peer "wg" {
	public-key "$W_PUB"
$pskline
	endpoint "198.18.1.2:51820"
	allowed-ips 100.64.1.2/32
}
EOF
	start_bg PID_M ip netns exec "$M" "$MESHD" -d -f "$D/m.conf" \
	    -s "$D/m.sock" 2>>"$D/m.log"
	start_bg PID_W ip netns exec "$W" env LOG_LEVEL=error \
	    wireguard-go -f "$WIF" 2>>"$D/w.log"
	meshd_ready "$D/m.sock" || return 1
	wait_for 5 test -S "/var/run/wireguard/$WIF.sock" || return 1
	T_DIRS+=("/var/run/wireguard/$WIF.sock")
	ip -n "$W" addr add 100.64.1.2/24 dev "$WIF"
	ip -n "$W" link set "$WIF" mtu 1420 up
	# shellcheck disable=SC2086
	ip netns exec "$W" wg set "$WIF" private-key "$D/w.key" \
	    listen-port 51820 peer "$M_PUB" $pskarg \
	    endpoint 198.18.1.1:51820 allowed-ips 100.64.1.1/32
}
stop_both() {
	kill "$PID_M" "$PID_W" 2>/dev/null
	wait "$PID_M" "$PID_W" 2>/dev/null
	ip -n "$W" link del "$WIF" 2>/dev/null
	return 0
}
wg_hs() { ip netns exec "$W" wg show "$WIF" latest-handshakes | awk '{ print $2 }'; }
wg_rx() { ip netns exec "$W" wg show "$WIF" transfer | awk '{ print $2 }'; }
wg_tx() { ip netns exec "$W" wg show "$WIF" transfer | awk '{ print $3 }'; }

# send_blob FROMNS TONS ADDR: 100 MB over TCP, checked with sha256
send_blob() {
	rm -f "$D/recv"
	start_bg NC ip netns exec "$2" sh -c "nc -l $3 5002 >'$D/recv'"
	wait_for 5 ip netns exec "$2" sh -c "ss -ltn | grep -q '$3:5002'" || return 1
	timeout 120 ip netns exec "$1" nc -N "$3" 5002 <"$D/blob" || return 1
	wait_for 10 sh -c "! kill -0 $NC"
	[ "$(sha256sum <"$D/recv" | cut -d' ' -f1)" = "$SUM" ]
}

for psk in psk nopsk; do
	# ---- meshd initiates
	start_both "$psk"; ok $? "$psk: meshd and wireguard-go start"
	is "$(wg_hs)" 0 "$psk: no handshake before traffic"
	t "$psk, meshd initiates: ping meshd -> wireguard-go" \
	    ip netns exec "$M" ping -c 3 -i 0.2 -W 2 100.64.1.2
	[ "$(wg_hs)" -gt 0 ]; ok $? "$psk: wg show: latest handshake is set"
	send_blob "$M" "$W" 100.64.1.2
	ok $? "$psk: 100 MB meshd -> wireguard-go, sha256 matches"
	[ "$(wg_rx)" -gt 100000000 ]; ok $? "$psk: wg show: received > 100 MB ($(wg_rx))"
	js=$("$MESHCTL" -s "$D/m.sock" -j show peer wg)
	[ "$(jq -r .tx_bytes <<<"$js")" -gt 100000000 ] &&
	    [ "$(jq -r .latest_handshake <<<"$js")" -gt 0 ]
	ok $? "$psk: meshctl: tx > 100 MB and a handshake"
	stop_both

	# ---- wireguard-go initiates
	start_both "$psk"; ok $? "$psk: fresh start"
	t "$psk, wireguard-go initiates: ping wireguard-go -> meshd" \
	    ip netns exec "$W" ping -c 3 -i 0.2 -W 2 100.64.1.1
	send_blob "$W" "$M" 100.64.1.1
	ok $? "$psk: 100 MB wireguard-go -> meshd, sha256 matches"
	[ "$(wg_tx)" -gt 100000000 ]; ok $? "$psk: wg show: sent > 100 MB ($(wg_tx))"
	[ "$("$MESHCTL" -s "$D/m.sock" -j show peer wg | jq -r .rx_bytes)" -gt 100000000 ]
	ok $? "$psk: meshctl: rx > 100 MB"
	stop_both
done
rm -f "$D/blob" "$D/recv"

done_testing
