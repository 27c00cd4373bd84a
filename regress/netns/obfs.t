#!/usr/bin/env bash
# The obfuscated wire format between members (meshd.conf(5),
# OBFUSCATION).  A coordinator c and members a and b, all with
# obfuscation on, on a bridge; a also has a plain WireGuard peer,
# wireguard-go w, in a peer block.  All three run the test clock 30
# times faster, so that sessions are remade every 4 s.  Members ping
# each other over both families, move 20 MB with the same sha256 at both
# ends, keep pinging across rekeys and after b moves to another address;
# w pings a at the same time, in plain WireGuard.  The counters say the
# members' datagrams went obfuscated and w's did not; what the wire
# carried is checked as a censor would (censor.py) in obfs-wire.t.

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg wireguard-go nc sha256sum ping
TC=${MESHD_TCLOCK_ROOT:-}
[ -n "$TC" ] && [ -x "$TC/sbin/meshd" ] ||
    skip_all "no test-clock installation (run make check)"

HUB=obh$$ C=obc$$ A=oba$$ B=obb$$ W=obw$$ IW=obw$$
tmpdir_new D
obfs_mesh "$HUB" "$C" "$A" "$B" || fail_setup "the mesh"
mesh_host "$HUB" "$W" 4 || fail_setup "w's host"
(umask 077; wg genkey >"$D/w.key")
cat >>"$D/a.conf" <<EOF
peer "w" {
	public-key "$(wg pubkey <"$D/w.key")"
	endpoint "198.18.60.4:51820"
	allowed-ips 100.64.9.4/32
}
EOF

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
# cnt NAME COUNTER: a status counter of NAME's (0 when not shown)
cnt() { ctl "$1" -j show status | jq -r ".counters.net.$2 // 0"; }
knows() {
	[ "$(ctl "$1" -j show peers |
	    jq '[.peers[] | select(.cert_expires != null)] | length')" = "$2" ]
}

meshd_up_fast c "$C"; ok $? "c starts"
meshd_up_fast a "$A"; ok $? "a starts"
meshd_up_fast b "$B"; ok $? "b starts"
wait_for 15 knows a 2; ok $? "a knows c and b"
wait_for 15 knows b 2; ok $? "b knows c and a"

# ---- w: wireguard-go, a plain peer of a
# in the foreground: lib.sh's trap stops it (a daemon outlives the test)
start_bg WGPID ip netns exec "$W" env \
    WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 \
    wireguard-go -f "$IW" 2>"$D/wg-go.log"
wait_for 5 test -S "/var/run/wireguard/$IW.sock" || fail_setup "wireguard-go"
ip -n "$W" addr add 100.64.9.4/24 dev "$IW" && ip -n "$W" link set "$IW" up &&
    wg set "$IW" listen-port 51820 private-key "$D/w.key" \
    peer "$(wg pubkey <"$D/a.key")" endpoint 198.18.60.2:51820 \
    allowed-ips 100.64.0.2/32 || fail_setup "wireguard-go w"
ip -n "$W" route add 100.64.0.2/32 dev "$IW"

# ---- pings and a transfer between members, w beside them
t "a pings b (IPv4)" ip netns exec "$A" ping -c 3 -i 0.2 -W 2 -w 15 100.64.0.3
t "b pings a (IPv6)" ip netns exec "$B" ping -6 -c 3 -i 0.2 -W 2 -w 15 \
    fd00:6d65:7368::2
t "w pings a, plain WireGuard" ip netns exec "$W" ping -c 3 -i 0.2 -W 2 \
    -w 15 100.64.0.2
head -c 20000000 /dev/urandom >"$D/blob"
want=$(sha256sum <"$D/blob" | cut -d' ' -f1)
ip netns exec "$B" sh -c "timeout 60 nc -l -p 5001 | sha256sum" \
    >"$D/got" 2>/dev/null &
T_PIDS+=("$!"); rx=$!
wait_for 20 listening "$B" 5001 || fail_setup "b's listener"
ip netns exec "$A" timeout 60 nc -N 100.64.0.3 5001 <"$D/blob"
wait "$rx"
is "$(cut -d' ' -f1 "$D/got")" "$want" "20 MB a -> b arrive whole (sha256)"

# ---- rekeys: 20 s of pings is 600 protocol seconds
hs0=$(grep -c "handshake complete" "$D/a.log")
out=$(ip netns exec "$A" ping -c 100 -i 0.2 -W 1 100.64.0.3 2>&1)
rx=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
[ "${rx:-0}" -ge 96 ]; ok $? "a -> b pings go on across rekeys ($rx of 100)"
hs=$(( $(grep -c "handshake complete" "$D/a.log") - hs0 ))
[ "$hs" -ge 3 ]; ok $? "sessions were remade meanwhile ($hs at a)"

# ---- roaming: b moves to another address on the same link
ip -n "$B" addr del 198.18.60.3/24 dev eth0 &&
    ip -n "$B" addr add 198.18.60.13/24 dev eth0
t "b pings a from its new address" ip netns exec "$B" ping -c 3 -i 0.2 \
    -W 2 -w 15 100.64.0.2
ep=$(ctl a -j show peer b | jq -r .endpoint)
is "$ep" "198.18.60.13:51820" "a sends to b's new address"
t "a pings b there" ip netns exec "$A" ping -c 3 -i 0.2 -W 2 -w 15 100.64.0.3

# ---- what went obfuscated
# b has no plain peer: what it took was obfuscated, or a prelude (which
# is none of ours: dropped as malformed)
read -r s r all bad < <(ctl b -j show status | jq -r '.counters.net |
    "\(.obfuscated_sent) \(.obfuscated_received) \(.received) \(.dropped.malformed)"')
[ "$s" -gt 100 ] && [ "$r" -gt 10000 ] && [ $((r + bad)) = "$all" ]
ok $? "b sent and received obfuscated ($s sent, $r of $all received, $bad preludes)"
p=$(cnt a obfuscation_preludes)
[ "$p" -gt 0 ]; ok $? "a sent preludes before its initiations ($p)"
wrx=$(wg show "$IW" transfer | awk '{ print $2 }')
[ "${wrx:-0}" -gt 0 ]; ok $? "w, plain WireGuard, took a's datagrams ($wrx bytes)"
for n in a b c; do
	grep -q "fatal\|lost child" "$D/$n.log"
	ok $((!$?)) "$n logged nothing fatal"
done
done_testing
