#!/usr/bin/env bash
# A relay at scale (issue 14): 1,000 simulated members (bench/meshload:
# real keys, real certificates, real Noise sessions to a real
# coordinator n1) each hold a TLS + WebSocket connection to relay r,
# upgraded with a real proof.  With all of them connected, datagrams
# between pairs of them are forwarded (counted at the far end), one to a
# key no member holds is dropped, one member closes with a WebSocket
# close frame and what is sent to it after is dropped (r lives on: it
# used to leave the closed connection in its member tree, freed), and
# two real members a and b, whose
# UDP to each other and to r is dropped, still ping through r.  r's
# counters (show status) say the same.  r's PSS, all its processes, is
# reported (bounded only loosely: no timing or memory targets here).
# RELAY_MANY_N (1000) sets how many; the relay takes 1024 connections
# (RELAY_CONNS), a member's parent opens 12 a minute (only its own).

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg ping openssl nft
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"
LOAD=$MESHD_BUILD/bench/meshload
[ -x "$LOAD" ] || skip_all "$LOAD not built (run make check)"
N=${RELAY_MANY_N:-1000}
# as systemd and most shells start it: meshd raises the soft limit on
# descriptors itself (at 1024, net ran out near 1,010 connections)
ulimit -Sn 1024
PAIRS=$((N / 2 < 200 ? N / 2 : 200))

HUB=rmh$$
mesh_hub "$HUB" || fail_setup "the hub"
tmpdir_new D
mesh_ca || fail_setup "an admin key"
mesh_host "$HUB" "rm1$$" 1 && mesh_host "$HUB" "rmr$$" 2 &&
    mesh_host "$HUB" "rma$$" 3 && mesh_host "$HUB" "rmb$$" 4 &&
    mesh_host "$HUB" "rml$$" 5 || fail_setup "the hosts"
# meshload's members over 16 source addresses (the coordinator's
# handshake rate limit is per address)
BIND=()
for i in $(seq 10 25); do
	ip -n "rml$$" addr add "198.18.60.$i/24" dev eth0 ||
	    fail_setup "address .$i"
	BIND+=(-b "198.18.60.$i")
done
mesh_cert n1 1 -R coordinator && mesh_cert r 2 -R relay &&
    mesh_cert a 3 && mesh_cert b 4 || fail_setup "certificates"
relay_tls || fail_setup "the TLS key"
mesh_conf n1 serve
relay_conf r n1:1
mesh_conf a n1:1
mesh_conf b n1:1
for h in a b; do
	relay_no_udp "rm$h$$" 198.18.60.2 198.18.60.3 198.18.60.4 ||
	    fail_setup "nftables on $h"
done

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
members() { ctl "$1" -j show mesh 2>/dev/null | jq -r '.members // 0'; }
for n in n1:1 r:r; do
	meshd_up "${n%%:*}" "rm${n##*:}$$"
	ok $? "${n%%:*} starts" ||
	    { diag "$(cat "$D/${n%%:*}.log")"; done_testing; exit 1; }
done
t "r listens on TCP 443" wait_for 5 sh -c \
    "ip netns exec rmr$$ ss -Hltn sport = 443 | grep -q ."
npid=$(ctl r -j show status |
    jq -r '.processes[] | select(.role == "net") | .pid')
nofile=$(awk '/^Max open files/ {print $4}' "/proc/$npid/limits")
[ "${nofile:-0}" -ge 2048 ]
ok $? "r's meshd-net may open more than 1,024 descriptors ($nofile)"

# ---- the simulated members: register, then (once r knows them) connect
start_bg LPID ip netns exec "rml$$" "$LOAD" -k "$D/ca.key" -m corp \
    -p "$(wg pubkey <"$D/n1.key")" -C 198.18.60.1:51820 -n "$N" \
    "${BIND[@]}" -w 64 -r 1000 -T 60 -J -q \
    -R 198.18.60.2:443 -K "$(wg pubkey <"$D/r.key")" -F "$PAIRS" \
    -W "$D/go" >"$D/load.out" 2>"$D/load.log"
wait_for 60 grep -q '^phase=relay_wait' "$D/load.out"
ok $? "meshload registered its members with n1" ||
    diag "$(cat "$D/load.out" "$D/load.log" | tail -20)"
# r learns them from the directory: its crypto then admits their proofs
wait_for 30 sh -c "[ \"\$($MESHCTL -s $D/r.sock -j show mesh |
    jq -r '.members // 0')\" -ge $N ]"
ok $? "r knows the $N simulated members ($(members r))"
touch "$D/go"
wait_for 60 grep -q '^phase=hold' "$D/load.out"
ok $? "meshload connected and passed its datagrams" ||
    diag "$(tail -20 "$D/load.log")"
sed 's/^/# /' "$D/load.out"
kv() { sed -n "s/^phase=$1 .*[ ]$2=\([0-9]*\).*/\1/p" "$D/load.out"; }
is "$(kv relay_connect upgraded)" "$N" \
    "all $N simulated members upgraded to r (TLS, WebSocket, proof)"
is "$(kv relay sent)" "$PAIRS" "$PAIRS datagrams sent, member i to i + N/2"
is "$(kv relay arrived)" "$PAIRS" "all $PAIRS arrived, from the right key"
is "$(kv relay_close closed)" 1 \
    "a member that sent a close frame: r answered with one and closed"

# ---- real members through r while the $N are connected
for n in a:a b:b; do
	meshd_up "${n%%:*}" "rm${n##*:}$$"
	ok $? "${n%%:*} starts" ||
	    { diag "$(cat "$D/${n%%:*}.log")"; done_testing; exit 1; }
done
# the directory: the simulated members and n1, r and the other
for n in a b; do
	wait_for 30 sh -c "[ \"\$($MESHCTL -s $D/$n.sock -j show mesh |
	    jq -r '.members // 0')\" -ge $((N + 3)) ]"
	ok $? "$n knows the $N and n1, r and the other ($(members $n))"
done
ip netns exec "rma$$" ping -c 1 -W 1 -w 30 100.64.0.4 >/dev/null 2>&1
ok $? "a pings b through r" ||
    diag "$(grep -i relay "$D/a.log" "$D/r.log" | tail -20)"
t "b pings a" ip netns exec "rmb$$" ping -c 3 -i 0.2 -W 2 -w 10 100.64.0.3
like "$(ctl a show peers)" "b .*relay r" "a's show peers: b's path is relay r"

# ---- r's counters and its memory, with them all connected
js=$(ctl r -j show status)
rc() { jq -r ".counters.net.relay_$1" <<<"$js"; }
[ "$(rc open)" -ge $((N + 1)) ]
ok $? "relay_open: the $N but the one that closed, and a and b ($(rc open))"
[ "$(rc admitted)" -ge $((N + 2)) ]
ok $? "relay_admitted ($(rc admitted))"
[ "$(rc forwarded)" -ge $((PAIRS + 2)) ]
ok $? "relay_forwarded: the pairs' and a's and b's ($(rc forwarded))"
# (before: the closed member stayed in r's member tree, freed, and r's
# net wrote the two to it)
[ "$(rc unknown)" -ge 3 ]
ok $? "relay_unknown: the datagram to no member, the two to the member that closed ($(rc unknown))"
is "$(rc full)" 0 "relay_full: none refused for want of room"
is "$(rc refused)" 0 "relay_refused: no proof failed"
kill -0 "$LPID" 2>/dev/null; ok $? "meshload still holds its connections"
pss=0 each=
for p in "$PID_r" $(pgrep -P "$PID_r"); do
	v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
	pss=$((pss + ${v:-0}))
	each+="$(cat "/proc/$p/comm" 2>/dev/null)=${v:-?} "
done
diag "r's PSS with $(rc open) relay connections: $pss KiB ($each)"
# loose: some 60 KiB a connection (TLS state, buffers) and the rest; an
# ASan build's shadow memory and quarantine make it several times that
bound=200
ldd "$MESHD" 2>/dev/null | grep -q libasan && bound=2048
[ "$pss" -gt 0 ] && [ "$pss" -lt $((bound * 1024)) ]
ok $? "r's PSS under $bound MiB ($pss KiB)"
done_testing
