#!/usr/bin/env bash
# What a censor sees of plain (WireGuard-format) traffic between two meshd
# nodes: the baseline that the obfuscated mode (issue 18) must change, and
# the proof that the censor's tools (regress/censor.py, probe.py,
# censor.sh) do flag WireGuard.  Two test-clock nodes (rekeys every 4 s)
# with persistent keepalives on a non-standard port (40404: nDPI would
# otherwise name 51820 WireGuard from the port alone) carry 10,000 and
# more datagrams of pings, floods, a TCP transfer, keepalives and
# handshakes, captured on the underlay; a stock wireguard-go peer of b
# (c) adds a flow of its own.  Then:
#  - nDPI's WireGuard dissector names both flows WireGuard;
#  - tshark, as run by default, dissects WireGuard messages;
#  - the bytes at offsets 1..3 (reserved, zero) are far from uniform;
#  - handshake lengths 148 and 92 are there;
#  - and an active prober learns nothing: random datagrams of every
#    length, replayed handshake initiations, truncated and bit-flipped
#    copies all get no reply (and no ICMP error: the port is open) -
#    while the same prober does count the replies of a UDP echo server.

. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../censor.sh"
need_root
need_cmds jq wg nc tcpdump python3 ndpiReader tshark wireguard-go
TC=${MESHD_TCLOCK_ROOT:-}
[ -n "$TC" ] && [ -x "$TC/sbin/meshd" ] ||
    skip_all "no test-clock installation (run make check)"

A=mcna$$ B=mcnb$$ C=mcnc$$ P=mcnp$$ PORT=40404 WGIF=mcw$$
netns_new "$A"; netns_new "$B"; netns_new "$C"; netns_new "$P"
# a bridge in P: the prober's own address on the same underlay
ip -n "$P" link add br0 type bridge && ip -n "$P" link set br0 up
for x in a b c; do
	ns=$A; [ $x = b ] && ns=$B; [ $x = c ] && ns=$C
	ip link add "h$x" netns "$P" type veth peer name eth0 netns "$ns"
	ip -n "$P" link set "h$x" master br0 up
	ip -n "$ns" link set eth0 up
done
ip -n "$A" addr add 198.18.18.1/24 dev eth0
ip -n "$B" addr add 198.18.18.2/24 dev eth0
ip -n "$C" addr add 198.18.18.3/24 dev eth0
ip -n "$P" addr add 198.18.18.9/24 dev br0
tmpdir_new D
(umask 077; for x in a b c; do wg genkey >"$D/$x.key"; done)
conf() {	# conf ME MYNUM PEERPUB PEERNUM [KEEPALIVE]
	cat <<EOF
interface "mcn0" {
	address 100.64.18.$2/24
	listen-port $PORT
	private-key-file "$D/$1.key"
}
peer "other" {
	public-key "$3"
	endpoint "198.18.18.$4:$PORT"
	allowed-ips 100.64.18.$4/32
	persistent-keepalive ${5:-off}
}
EOF
}
conf a 1 "$(wg pubkey <"$D/b.key")" 2 15 >"$D/a.conf"
conf b 2 "$(wg pubkey <"$D/a.key")" 1 >"$D/b.conf"
cat >>"$D/b.conf" <<EOF
peer "wgo" {
	public-key "$(wg pubkey <"$D/c.key")"
	endpoint "198.18.18.3:$PORT"
	allowed-ips 100.64.18.3/32
}
EOF
cat >"$D/c.wg" <<EOF
[Interface]
PrivateKey = $(cat "$D/c.key")
ListenPort = $PORT
[Peer]
PublicKey = $(wg pubkey <"$D/b.key")
Endpoint = 198.18.18.2:$PORT
AllowedIPs = 100.64.18.2/32
PersistentKeepalive = 15
EOF
# capture on b's underlay link from before the first handshake.  b starts
# first and sends nothing until a (with keepalives) has made the first
# handshake: an initiation captured but never received (a's, sent while
# b was not yet up) is answered when replayed later, as WireGuard only
# refuses a timestamp it has seen (or older)
censor_capture_start "$B" eth0 "$D/plain.pcap" || fail_setup "tcpdump"
for x in b a; do
	ns=$A; [ $x = b ] && ns=$B
	start_bg PID ip netns exec "$ns" env MESHD_TEST_CLOCK_SCALE=30 \
	    "$TC/sbin/meshd" -d -v -f "$D/$x.conf" -s "$D/$x.sock" \
	    2>"$D/$x.log"
	meshd_ready "$D/$x.sock"; ok $? "node $x starts"
done

t "a reaches b" ip netns exec "$A" ping -c 2 -i 0.2 -W 2 100.64.18.2
start_bg WGPID ip netns exec "$C" env \
    WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 \
    wireguard-go -f "$WGIF" 2>"$D/wireguard-go.log"
wait_for 5 test -S "/var/run/wireguard/$WGIF.sock" &&
    ip netns exec "$C" wg setconf "$WGIF" "$D/c.wg" &&
    ip -n "$C" addr add 100.64.18.3/24 dev "$WGIF" &&
    ip -n "$C" link set "$WGIF" up
ok $? "wireguard-go (c) is up" || diag "$(cat "$D/wireguard-go.log")"
t "c reaches b" ip netns exec "$C" ping -c 20 -i 0.05 -W 2 100.64.18.2
t "b reaches c" ip netns exec "$B" ping -c 20 -i 0.05 -W 2 100.64.18.3
start=$(date +%s)
censor_traffic "$A" 100.64.18.1 "$B" 100.64.18.2 "$D/plain.pcap"
ok $? "the capture holds 10,000 datagrams or more ($CENSOR_N," \
    "$(($(date +%s) - start)) s of traffic)"
censor_capture_stop
diag "tcpdump: $CAP_STATS"
hs=$(cat "$D/a.log" "$D/b.log" | grep -c "handshake complete")
[ "$hs" -ge 4 ]; ok $? "several handshakes in it ($hs complete, both sides)"

out=$(python3 "$CENSOR_PY" "$D/plain.pcap" --port "$PORT")
ok $? "censor.py reads the capture"
while read -r l; do diag "$l"; done <<<"$out"
val() { sed -n "s/^$1: //p" <<<"$out"; }
[ "$(val packets)" -ge 10000 ]; ok $? "censor.py counts them ($(val packets))"
is "$(val flows)" 2 "two flows (b's port and a's, b's and c's)"
is "$(val ndpi) $(val ndpi_wireguard)" "WireGuard 2" \
    "nDPI names both WireGuard ($(val ndpi_confidence))"
is "$(val ndpi_wireguard_port)" 0 "from what it carries, not the port"
is "$(val tshark_wg)" "$(val packets)" \
    "tshark dissects every datagram as a WireGuard message"
is "$(val tshark_wg_zero) $(val tshark_wg_forced)" \
    "$(val packets) $(val packets)" \
    "all of them well-formed, reserved bytes zero"
read -r k _ far <<<"$(val chi2_far)"
like "$far" '(^|,)1,2,3(,|$)' \
    "chi-square: offsets 1..3 (reserved zeros) far from uniform ($k)"
like "$(val chi2_worst)" '^[0-9]+ [0-9.]+ 255 0$' \
    "the worst offset's p-value is 0 ($(val chi2_worst))"
n148=$(tshark -n -r "$D/plain.pcap" -Y "udp.length == 156" 2>/dev/null |
    wc -l)
n92=$(tshark -n -r "$D/plain.pcap" -Y "udp.length == 100" 2>/dev/null |
    wc -l)
[ "$n148" -ge 2 ] && [ "$n92" -ge 2 ]
ok $? "handshake lengths: $n148 of 148 bytes, $n92 of 92"
# the first datagrams are handshake initiations: nothing printable in them;
# their 16 zero bytes of mac2 put them near the popcount bound (3.49 on
# average), so they meet that exemption now and then
like "$(val first_exempt_why)" '^ascii6=0 half=0 run20=0 popcount=[0-2]$' \
    "first datagrams meet no exemption but popcount's ($(val first_exempt))"
read -r lo hi <<<"$(val first_popcount)"
[ "${lo%.*}${lo#*.}" -ge 3000 ] && [ "${hi%.*}${hi#*.}" -le 4000 ]
ok $? "their popcount, $lo to $hi bits a byte, is an initiation's"
python3 "$CENSOR_PY" --selftest >"$D/selftest" 2>&1
ok $? "censor.py's statistics give known answers" ||
    diag "$(cat "$D/selftest")"

# ---- the prober: a host on the underlay, a fresh socket
pr() { ip netns exec "$P" python3 "$PROBE_PY" "$@"; }
rep() { sed -n "s/^$2: //p" <<<"$1"; }
ip netns exec "$B" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.18.2", 40405))
while True:
	d, a = s.recvfrom(65536)
	s.sendto(d, a)' &
T_PIDS+=("$!")
wait_for 20 listening "$B" 40405 u || fail_setup "the echo server"
o=$(pr 198.18.18.2 40405 --random --wait 1)
[ "$(rep "$o" sent)" = 1500 ] && [ "$(rep "$o" replies)" -ge 1400 ]
ok $? "the prober counts an echo server's replies ($(rep "$o" replies))"
o=$(pr 198.18.18.2 40406 --random --wait 1)
[ "$(rep "$o" icmp_errors)" -gt 0 ]
ok $? "and a closed port's ICMP errors ($(rep "$o" icmp_errors))"

o=$(pr 198.18.18.2 "$PORT" --random)
is "$(rep "$o" sent) $(rep "$o" replies) $(rep "$o" icmp_errors)" \
    "1500 0 0" "random datagrams of every length 1..1500: no reply"
o=$(pr 198.18.18.2 "$PORT" --replay "$D/plain.pcap" --from-port "$PORT")
n=$(rep "$o" sent)
[ "${n:-0}" -ge 4 ] && [ "$(rep "$o" replies)" = 0 ]
ok $? "replayed first and handshake datagrams ($n): no reply"
diag $(grep "^reply" <<<"$o")
for x in a:1 c:3; do
	o=$(pr "198.18.18.${x#*:}" "$PORT" --replay "$D/plain.pcap" \
	    --from-port "$PORT")
	is "$(rep "$o" replies)" 0 "the same, to ${x%:*}: no reply"
done
o=$(pr 198.18.18.2 "$PORT" --mutate "$D/plain.pcap" --from-port "$PORT")
n=$(rep "$o" sent)
[ "${n:-0}" -ge 50 ] && [ "$(rep "$o" replies)" = 0 ]
ok $? "truncated and bit-flipped copies ($n): no reply"
t "and the tunnels still work" \
    ip netns exec "$A" ping -c 2 -i 0.2 -W 2 100.64.18.2
# (b's way: b's clock runs 30 times faster than wireguard-go's, so its
# session with c is long over while c still sends on it)
t "(and c's)" ip netns exec "$B" ping -c 2 -i 0.2 -W 2 100.64.18.3
for x in a b; do
	grep -q "fatal\|lost child" "$D/$x.log"
	ok $((!$?)) "node $x logged nothing fatal"
done

done_testing
