#!/usr/bin/env bash
# meshd driven only by wg(8) through its UAPI socket, as a WireGuard
# operator would: our own version of the checks of WireGuard's netns test
# (src/tests/netns.sh) that a userspace implementation can pass.  Nodes a
# and b are meshd with a config holding only the interface (address,
# port, key file); c is wireguard-go.  Everything else is `wg set`,
# `wg setconf`, `wg syncconf`, `wg show`: pings, iperf3, counters,
# roaming, crypto-routing with a more specific peer, an allowed-ip moving
# to the peer that set it last, persistent keepalive, 130,000 prefixes
# through setconf (timed, not asserted), low-order public keys, a private
# key change, remove, the showconf round trip, errno for bad input, a
# new listen port and one in use, a live socket refused and a stale one
# replaced, and a reload returning to the file.  Underlays 198.18.71.0/24 (a-b) and 198.18.72.0/24 (a-c).

MESHD_UAPI_DIR=	# wg(8) looks in /var/run/wireguard alone
. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg wireguard-go nc python3
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

A=wua$$ B=wub$$ C=wuc$$
IA=wua$$ IB=wub$$ IC=wuc$$	# interface names: the sockets are global
SA=/var/run/wireguard/$IA.sock
netns_new "$A"; netns_new "$B"; netns_new "$C"
veth_pair "$A" vab 198.18.71.1/24 "$B" vba 198.18.71.2/24 &&
    veth_pair "$A" vac 198.18.72.1/24 "$C" vca 198.18.72.3/24 ||
    fail_setup "the underlay"
ip netns exec "$A" sysctl -qw net.ipv4.ip_forward=1	# b <-> c through a
tmpdir_new D
(umask 077; for n in a b c a2; do wg genkey >"$D/$n.key"; done;
    wg genpsk >"$D/ab.psk")
A_PUB=$(wg pubkey <"$D/a.key"); B_PUB=$(wg pubkey <"$D/b.key")
C_PUB=$(wg pubkey <"$D/c.key"); A2_PUB=$(wg pubkey <"$D/a2.key")

iface() {	# iface NAME IFNAME NUM
	printf 'interface "%s" {\n\taddress 100.64.71.%s/24\n' "$2" "$3"
	printf '\tlisten-port 51820\n\tprivate-key-file "%s"\n}\n' \
	    "$D/$1.key"
}
iface a "$IA" 1 >"$D/a.conf"
iface b "$IB" 2 >"$D/b.conf"
ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
# uapi IFNAME TEXT: the raw protocol, as wg(8) speaks it
uapi() { printf '%b' "$2" | timeout 5 nc -U -q 3 "/var/run/wireguard/$1.sock"; }
# field IFNAME PEERKEY FIELD: one column of `wg show IFNAME dump`
field() {
	wg show "$1" dump | awk -v k="$2" -v f="$3" '$1 == k { print $f }'
}
ping_ok() { ip netns exec "$1" ping -c 2 -i 0.2 -W 2 "$2" >/dev/null 2>&1; }

meshd_up a "$A"; ok $? "node a starts" || fail_setup "node a"
meshd_up b "$B"; ok $? "node b starts" || fail_setup "node b"

# ---- the socket, as wireguard-go makes it
is "$(stat -c %a /var/run/wireguard)" 755 "/var/run/wireguard is 0755"
is "$(stat -c '%a %U %F' "$SA")" "600 root socket" \
    "$SA is a root-owned socket, 0600"
like "$(wg show interfaces)" "$IA" "wg show interfaces lists $IA"
is "$(wg show "$IA" public-key)" "$A_PUB" "wg shows a's public key"
is "$(wg show "$IA" listen-port)" 51820 "wg shows a's listening port"
is "$(wg show "$IA" peers)" "" "a has no peers yet"
out=$(ip netns exec "$C" "$MESHD" -d -f "$D/a.conf" -s "$D/a2.sock" 2>&1)
ok $((! $?)) "a second meshd for $IA stops"
like "$out" "in use" "it says the UAPI socket is in use"
is "$(wg show "$IA" public-key)" "$A_PUB" "the first meshd still answers"

# ---- c: wireguard-go, the reference
ip netns exec "$C" wireguard-go "$IC" >"$D/wg-go.log" 2>&1 ||
    fail_setup "wireguard-go"
ip -n "$C" addr add 100.64.72.3/24 dev "$IC" && ip -n "$C" link set "$IC" up &&
    ip -n "$C" route add 100.64.0.0/16 dev "$IC"	# as wg-quick would
wg set "$IC" listen-port 51820 private-key "$D/c.key" \
    peer "$A_PUB" endpoint 198.18.72.1:51820 allowed-ips 100.64.0.0/16
ok $? "wireguard-go c configured with wg"

# ---- peers through wg set, a preshared key on a-b
wg set "$IA" peer "$B_PUB" preshared-key "$D/ab.psk" \
    endpoint 198.18.71.2:51820 allowed-ips 100.64.71.0/24 \
    peer "$C_PUB" endpoint 198.18.72.3:51820 allowed-ips 100.64.72.3/32
ok $? "wg set on a: peers b and c"
wg set "$IB" peer "$A_PUB" preshared-key "$D/ab.psk" \
    endpoint 198.18.71.1:51820 allowed-ips 100.64.71.1/32,100.64.72.0/24
ok $? "wg set on b: peer a"
is "$(wg show "$IA" peers | sort)" "$(printf '%s\n' "$B_PUB" "$C_PUB" | sort)" \
    "wg show lists both peers"
is "$(wg show "$IA" preshared-keys | awk -v k="$B_PUB" '$1 == k { print $2 }')" \
    "$(cat "$D/ab.psk")" "wg shows b's preshared key as set"
bname=wg-$(printf '%.8s' "$B_PUB" | tr '+/' '-_')
is "$(ctl a -j show peers | jq -r --arg n "$bname" \
    '.peers[] | select(.name == $n) | .allowed_ips[0]')" 100.64.71.0/24 \
    "meshctl shows b as $bname with its allowed-ips"

# ---- pings, counters, latest handshake
t "a -> b ping" ip netns exec "$A" ping -c 3 -i 0.2 -W 2 -w 15 100.64.71.2
t "b -> a ping" ping_ok "$B" 100.64.71.1
t "a -> c (wireguard-go) ping" ip netns exec "$A" ping -c 3 -i 0.2 -W 2 \
    -w 15 100.64.72.3
t "c -> a ping" ping_ok "$C" 100.64.71.1
t "b -> c ping, routed through a" ping_ok "$B" 100.64.72.3
hs=$(field "$IA" "$B_PUB" 5); now=$(date +%s)
[ "${hs:-0}" -gt 0 ] && [ $((now - hs)) -lt 60 ]
ok $? "a shows a recent handshake with b ($((now - ${hs:-0})) s ago)"
rx1=$(field "$IA" "$B_PUB" 6); tx1=$(field "$IA" "$B_PUB" 7)
[ "${rx1:-0}" -gt 0 ] && [ "${tx1:-0}" -gt 0 ]
ok $? "a counts bytes both ways with b (rx $rx1, tx $tx1)"
ping_ok "$A" 100.64.71.2
rx2=$(field "$IA" "$B_PUB" 6); tx2=$(field "$IA" "$B_PUB" 7)
[ "$rx2" -gt "$rx1" ] && [ "$tx2" -gt "$tx1" ]
ok $? "the counters move with traffic (rx $rx1 -> $rx2, tx $tx1 -> $tx2)"
[ "$(field "$IC" "$A_PUB" 6)" -gt 0 ]
ok $? "wireguard-go counts what a sent it"

if command -v iperf3 >/dev/null; then
	start_bg IPERF ip netns exec "$B" sh -c \
	    "iperf3 -s -1 -B 100.64.71.2 >/dev/null 2>&1"
	wait_for 5 ip netns exec "$B" sh -c "ss -ltn | grep -q 5201"
	out=$(ip netns exec "$A" timeout 30 iperf3 -c 100.64.71.2 -t 2 -J)
	bps=$(jq -r '.end.sum_received.bits_per_second // 0' <<<"$out")
	[ "${bps%.*}" -gt 0 ]; ok $? "iperf3 a -> b through the tunnel"
	diag "iperf3 a -> b: $(( ${bps%.*} / 1000000 )) Mbit/s"
fi

# ---- roaming: b's underlay address changes, a learns the new endpoint
ip -n "$B" addr del 198.18.71.2/24 dev vba
ip -n "$B" addr add 198.18.71.3/24 dev vba
t "b -> a ping from b's new address" ping_ok "$B" 100.64.71.1
is "$(field "$IA" "$B_PUB" 3)" 198.18.71.3:51820 \
    "a shows b's new endpoint (roaming)"
t "a -> b ping to b's new address" ping_ok "$A" 100.64.71.2

# ---- crypto-routing: a more specific prefix wins, the same one moves
wg set "$IA" peer "$C_PUB" allowed-ips 100.64.72.3/32,100.64.71.99/32
ok $? "wg set gives c 100.64.71.99/32, inside b's /24"
ip -n "$C" addr add 100.64.71.99/32 dev "$IC"
t "a -> 100.64.71.99 reaches c (the more specific peer)" \
    ping_ok "$A" 100.64.71.99
t "a -> 100.64.71.2 still reaches b" ping_ok "$A" 100.64.71.2
wg set "$IA" peer "$B_PUB" allowed-ips 100.64.71.0/24,10.77.0.0/16
wg set "$IA" peer "$C_PUB" allowed-ips 100.64.72.3/32,100.64.71.99/32,10.77.0.0/16
like "$(wg show "$IA" allowed-ips | grep -F "$C_PUB")" "10.77.0.0/16" \
    "10.77.0.0/16 set on c after b is c's"
unlike_b=$(wg show "$IA" allowed-ips | grep -F "$B_PUB")
[[ "$unlike_b" != *10.77.0.0/16* ]]
ok $? "and no longer b's (it moves to the peer that set it last)"

# ---- persistent keepalive: b -> a every second, with no traffic
wg set "$IB" peer "$A_PUB" persistent-keepalive 1
is "$(field "$IB" "$A_PUB" 8)" 1 "wg shows b's keepalive of 1 s"
r1=$(field "$IA" "$B_PUB" 6); sleep 3.5; r2=$(field "$IA" "$B_PUB" 6)
[ $((r2 - r1)) -ge 96 ]
ok $? "a receives b's keepalives ($((r2 - r1)) bytes in 3.5 s)"
wg set "$IB" peer "$A_PUB" persistent-keepalive off

# ---- 130,000 prefixes on one peer through wg setconf
wg showconf "$IA" >"$D/a.saved"
python3 - "$D/a.saved" >"$D/a.big" <<'PY'
import sys
conf = open(sys.argv[1]).read().rstrip("\n")
ips = ", ".join("%d.%d.%d.0/24" % (21 + i // 65536, i // 256 % 256, i % 256)
    for i in range(130000))
# the first [Peer] (whichever) gets them, after its own
out, done = [], False
for line in conf.split("\n"):
	out.append(line)
	if not done and line.startswith("AllowedIPs"):
		out.append("AllowedIPs = " + ips)
		done = True
print("\n".join(out))
PY
t0=$(date +%s.%N)
wg setconf "$IA" "$D/a.big"; ok $? "wg setconf with 130,000 more prefixes"
t1=$(date +%s.%N)
diag "wg setconf of 130,000 prefixes: $(echo "$t1 - $t0" | bc 2>/dev/null ||
    python3 -c "print($t1 - $t0)") s"
n=$(wg show "$IA" allowed-ips | tr ' \t' '\n\n' | grep -c '^2[12]\.')
is "$n" 130000 "wg shows the 130,000 prefixes"
t "a -> b ping with 130,000 prefixes" ping_ok "$A" 100.64.71.2
wg setconf "$IA" "$D/a.saved"; ok $? "wg setconf back to the saved config"
is "$(wg show "$IA" allowed-ips | tr ' \t' '\n\n' | grep -c '^2[12]\.')" 0 \
    "the prefixes are gone"

# ---- the showconf round trip, and syncconf
wg showconf "$IA" >"$D/sc1"; wg setconf "$IA" "$D/sc1"; wg showconf "$IA" >"$D/sc2"
t "wg showconf, setconf, showconf: the same text" cmp -s "$D/sc1" "$D/sc2"
wg syncconf "$IA" "$D/sc1"; ok $? "wg syncconf with the same config"
t "a -> b ping after syncconf" ping_ok "$A" 100.64.71.2

# ---- low-order public keys: the peer is there, no handshake goes out
LO0=$(head -c 32 /dev/zero | base64)
LO1=$(printf '\xe0\xeb\x7a\x7c\x3b\x41\xb8\xae\x16\x56\xe3\xfa\xf1\x9f\xc4\x6a\xda\x09\x8d\xeb\x9c\x32\xb1\xfd\x86\x62\x05\x16\x5f\x49\xb8\x00' | base64)
CTRL=$(wg genkey | wg pubkey)
wg set "$IA" peer "$LO0" endpoint 198.18.71.50:51820 allowed-ips 10.9.0.0/24 \
    peer "$LO1" endpoint 198.18.71.51:51820 allowed-ips 10.9.1.0/24 \
    peer "$CTRL" endpoint 198.18.71.52:51820 allowed-ips 10.9.2.0/24
ok $? "wg set accepts two low-order keys and a control peer"
for k in "$LO0" "$LO1"; do
	has "$(wg show "$IA" peers)" "$k" "peer $k exists"
done
for net in 0 1 2; do
	ip netns exec "$A" ping -c 1 -W 1 "10.9.$net.1" >/dev/null 2>&1
done
sleep 1
[ "$(field "$IA" "$CTRL" 7)" -gt 0 ]
ok $? "the control peer's handshake went out ($(field "$IA" "$CTRL" 7) bytes)"
is "$(field "$IA" "$LO0" 7)" 0 "nothing was sent to the all-zero key"
is "$(field "$IA" "$LO1" 7)" 0 "nothing was sent to the order-8 point"
wg set "$IA" peer "$LO0" remove peer "$LO1" remove peer "$CTRL" remove
ok $? "wg set ... remove"
is "$(wg show "$IA" peers | grep -c -e "$LO0" -e "$CTRL")" 0 \
    "the removed peers are gone"

# ---- errno for bad input; the daemon lives
is "$(uapi "$IA" 'set=1\nlisten_port=70000\n\n')" "errno=-22" \
    "a port out of range: errno=-22 (EINVAL)"
is "$(uapi "$IA" 'set=1\nbogus_key=1\n\n')" "errno=-22" \
    "an unknown key: errno=-22"
is "$(uapi "$IA" 'set=1\nno equals sign\n\n')" "errno=-71" \
    "a line without '=': errno=-71 (EPROTO)"
is "$(uapi "$IA" "set=1\npublic_key=$(printf %064d 1)zz\n\n")" "errno=-22" \
    "a bad public key: errno=-22"
is "$(uapi "$IA" 'set=1\nreplace_peers=false\n\n')" "errno=-22" \
    "replace_peers=false: errno=-22"
is "$(uapi "$IA" 'get=1\n\n' | tail -2 | head -1)" "errno=0" \
    "get=1: errno=0 after the bad sets"
t "a -> b ping: the bad sets changed nothing" ping_ok "$A" 100.64.71.2
like "$(uapi "$IA" 'get=1\n\n')" "protocol_version=1" \
    "get=1 answers protocol_version=1"

# ---- a new private key: sessions restart, b must learn the new key
wg set "$IA" private-key "$D/a2.key"; ok $? "wg set private-key on a"
is "$(wg show "$IA" public-key)" "$A2_PUB" "a's public key is the new one"
ip netns exec "$A" ping -c 2 -i 0.3 -W 1 100.64.71.2 >/dev/null 2>&1
ok $((! $?)) "a -> b fails: b knows only a's old key"
wg set "$IB" peer "$A_PUB" remove peer "$A2_PUB" endpoint 198.18.71.1:51820 \
    preshared-key "$D/ab.psk" allowed-ips 100.64.71.1/32,100.64.72.0/24
t "a -> b ping once b has a's new key" \
    ip netns exec "$A" ping -c 2 -i 0.3 -W 2 -w 15 100.64.71.2
wg set "$IC" peer "$A_PUB" remove peer "$A2_PUB" endpoint 198.18.72.1:51820 \
    allowed-ips 100.64.0.0/16
t "a -> c (wireguard-go) ping with a's new key" \
    ip netns exec "$A" ping -c 2 -i 0.3 -W 2 -w 15 100.64.72.3

# ---- the listen port: a new one at once, one in use refused
wg set "$IA" listen-port 51822; ok $? "wg set listen-port 51822 on a"
is "$(wg show "$IA" listen-port)" 51822 "wg shows a's new port"
t "a -> b ping from a's new port" \
    ip netns exec "$A" ping -c 2 -i 0.3 -W 2 -w 10 100.64.71.2
is "$(field "$IB" "$A2_PUB" 3)" 198.18.71.1:51822 "b learned a's new port"
start_bg UDPHOLD ip netns exec "$A" nc -lu 198.18.71.1 51900
wait_for 5 ip netns exec "$A" sh -c "ss -Hlun | grep -q ':51900'"
is "$(uapi "$IA" 'set=1\nlisten_port=51900\n\n')" "errno=-98" \
    "a port in use: errno=-98 (EADDRINUSE)"
is "$(wg show "$IA" listen-port)" 51822 "a keeps its port"
kill "$UDPHOLD" 2>/dev/null

# ---- a reload returns to the file
t "meshctl reload on a" ctl a reload
is "$(wg show "$IA" peers)" "" "after the reload a has the file's peers: none"
is "$(wg show "$IA" public-key)" "$A_PUB" "and the file's private key"
is "$(wg show "$IA" listen-port)" 51820 "and the file's port"

# ---- a stale socket (a meshd that died) is replaced
kill -9 "$PID_b"; wait "$PID_b" 2>/dev/null
wait_for 5 sh -c "! ip netns pids $B | grep -q ."
[ -S "/var/run/wireguard/$IB.sock" ]; ok $? "b's socket stays after kill -9"
meshd_up b "$B"; ok $? "b starts again over the stale socket"
is "$(wg show "$IB" public-key)" "$B_PUB" "and answers on it"
kill "$PID_b"; wait "$PID_b" 2>/dev/null
[ ! -e "/var/run/wireguard/$IB.sock" ]; ok $? "b's socket is removed on exit"
ip netns exec "$C" pkill -f "wireguard-go $IC" 2>/dev/null
ip -n "$C" link del "$IC" 2>/dev/null
done_testing
