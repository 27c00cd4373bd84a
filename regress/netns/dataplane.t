#!/usr/bin/env bash
# Two meshd nodes in two namespaces over a veth underlay (198.18.0.0/24 and
# fd00:198:18::/64): pings v4 and v6 both ways, 100 MB over TCP with the
# same sha256 at both ends, a spoofed inner source and a corrupted data
# packet dropped and counted, roaming to a new underlay address, and an
# IPv6 underlay.  What meshctl shows is checked as an operator reads it.

. "$(dirname "$0")/../lib.sh"
need_root
for c in jq wg nc nft sha256sum; do
	command -v "$c" >/dev/null || skip_all "$c missing"
done
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

A=mdpa$$ B=mdpb$$
netns_new "$A"; netns_new "$B"
ip link add va netns "$A" type veth peer name vb netns "$B"
ip -n "$A" addr add 198.18.0.1/24 dev va
ip -n "$B" addr add 198.18.0.2/24 dev vb
ip -n "$A" addr add fd00:198:18::1/64 dev va nodad
ip -n "$B" addr add fd00:198:18::2/64 dev vb nodad
ip -n "$A" link set va up; ip -n "$B" link set vb up
tmpdir_new D

(umask 077; wg genkey >"$D/a.key"; wg genkey >"$D/b.key"; wg genpsk >"$D/ab.psk")
A_PUB=$(wg pubkey <"$D/a.key"); B_PUB=$(wg pubkey <"$D/b.key")

conf() {	# conf NAME MYNUM PEERNAME PEERPUB PEERNUM ENDPOINT
	cat <<EOF
interface "mdp0" {
	address 100.64.0.$2/24
	address fd00:6d65:7368::$2/64
	listen-port 51820
	private-key-file "$D/$1.key"
}
peer "$3" {
	public-key "$4"
	preshared-key-file "$D/ab.psk"
	endpoint "$6"
	allowed-ips 100.64.0.$5/32, fd00:6d65:7368::$5/128
}
EOF
}
conf a 1 b "$B_PUB" 2 "198.18.0.2:51820" >"$D/a.conf"
conf b 2 a "$A_PUB" 1 "198.18.0.1:51820" >"$D/b.conf"

start_node() { meshd_up "$2" "$1"; }	# start_node NS NAME
ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
peerj() { ctl "$1" -j show peer "$2" | jq -r "$3"; }

start_node "$A" a; ok $? "node a starts"
start_node "$B" b; ok $? "node b starts"

# ---- pings, both ways, both families
t "a -> b ping (v4)" ip netns exec "$A" ping -c 3 -i 0.2 -W 2 100.64.0.2
t "b -> a ping (v4)" ip netns exec "$B" ping -c 3 -i 0.2 -W 2 100.64.0.1
t "a -> b ping (v6)" ip netns exec "$A" ping -6 -c 3 -i 0.2 -W 2 fd00:6d65:7368::2
t "b -> a ping (v6)" ip netns exec "$B" ping -6 -c 3 -i 0.2 -W 2 fd00:6d65:7368::1

hs=$(peerj a b .latest_handshake)
now=$(date +%s)
[ "$hs" -gt 0 ] && [ $((now - hs)) -lt 30 ]
ok $? "a shows a recent handshake with b ($((now - hs)) s ago)"
[ "$(peerj a b .rx_bytes)" -gt 0 ] && [ "$(peerj a b .tx_bytes)" -gt 0 ]
ok $? "a counts bytes both ways with b"
has "$(ctl a show peers)" "ago" "the text table shows the handshake age"

# ---- 100 MB over TCP, the same bytes at both ends
head -c 100000000 /dev/urandom >"$D/blob"
start_bg NC ip netns exec "$B" sh -c "nc -l 100.64.0.2 5001 >'$D/blob.recv'"
wait_for 5 ip netns exec "$B" sh -c "ss -ltn | grep -q '100.64.0.2:5001'"
timeout 120 ip netns exec "$A" nc -N 100.64.0.2 5001 <"$D/blob"
ok $? "100 MB sent a -> b through the tunnel"
wait_for 10 sh -c "! kill -0 $NC"
is "$(sha256sum <"$D/blob.recv" | cut -d' ' -f1)" \
    "$(sha256sum <"$D/blob" | cut -d' ' -f1)" "the sha256 matches"
rm -f "$D/blob" "$D/blob.recv"

# ---- b sends from an inner source it may not use: a drops and counts it
ip -n "$B" addr add 100.64.0.99/32 dev mdp0
src0=$(peerj a b .dropped.bad_source)
ip netns exec "$B" ping -c 2 -i 0.2 -W 1 -I 100.64.0.99 100.64.0.1 >/dev/null 2>&1
ok $((!$?)) "a spoofed inner source gets no answer"
[ "$(peerj a b .dropped.bad_source)" -ge $((src0 + 2)) ]
ok $? "and a counts it as dropped for a bad source"
has "$(ctl a show peer b)" "bad source" "show peer names the reason"

# ---- a data packet with a corrupted byte: dropped and counted, no crash
# (b's output mangles a byte of the ciphertext of data messages, and
# zeroes the UDP checksum so that the packet reaches meshd)
ip netns exec "$B" nft -f - <<EOF
table inet mdpflip {
	chain out {
		type filter hook output priority 0; policy accept;
		ip daddr 198.18.0.1 udp dport 51820 @th,64,8 0x04 udp length > 100 @th,256,16 set 0x0000 @th,48,16 set 0
	}
}
EOF
ok $? "nft mangling rule in b"
bad0=$(peerj a b .dropped.bad_tag)
ip netns exec "$B" ping -c 3 -i 0.2 -W 1 -s 200 100.64.0.1 >/dev/null 2>&1
ok $((!$?)) "corrupted packets get no answer"
[ "$(peerj a b .dropped.bad_tag)" -ge $((bad0 + 3)) ]
ok $? "and a counts them as bad tags ($(peerj a b .dropped.bad_tag))"
ip netns exec "$B" nft delete table inet mdpflip
t "after the corruption stops, traffic flows again" \
    ip netns exec "$B" ping -c 2 -i 0.2 -W 2 -s 200 100.64.0.1
kill -0 "$PID_a" && kill -0 "$PID_b"; ok $? "both daemons still run"

# ---- roaming: b moves to 198.18.0.3; a follows after b's next packet
ip -n "$B" addr del 198.18.0.2/24 dev vb
ip -n "$B" addr add 198.18.0.3/24 dev vb
t "b (moved) reaches a" ip netns exec "$B" ping -c 2 -i 0.2 -W 2 100.64.0.1
is "$(peerj a b .endpoint)" "198.18.0.3:51820" "a learned b's new endpoint"
t "a reaches b at its new address" ip netns exec "$A" ping -c 2 -i 0.2 -W 2 100.64.0.2

# ---- IPv6 underlay: restart both with v6 endpoints
kill "$PID_a" "$PID_b"; wait "$PID_a" "$PID_b" 2>/dev/null
conf a 1 b "$B_PUB" 2 "[fd00:198:18::2]:51820" >"$D/a.conf"
conf b 2 a "$A_PUB" 1 "[fd00:198:18::1]:51820" >"$D/b.conf"
start_node "$A" a && start_node "$B" b; ok $? "both nodes restart with IPv6 endpoints"
t "a -> b ping over an IPv6 underlay" ip netns exec "$A" ping -c 3 -i 0.2 -W 2 100.64.0.2
is "$(peerj b a .endpoint)" "[fd00:198:18::1]:51820" "b's endpoint for a is IPv6"

done_testing
