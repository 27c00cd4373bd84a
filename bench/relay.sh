#!/usr/bin/env bash
# relay.sh - issue 14's relay figures, for make bench: TCP throughput
# through a relay beside a direct path in the same run (iperf3 over the
# tunnel, as a ratio), and the relay node's PSS, all its processes, with
# two members and then with RELAY_N (1000) simulated members connected
# (bench/meshload -R: real certificates, TLS, the upgrade with a proof).
# Figures are reported, never asserted; exit 1 only on a setup failure.
#
#   environment: RELAY_SECS=5 (each iperf3 run), RELAY_N=1000 (0: skip)
#   MESHD_ROOT, MESHD_BUILD: the installation and build (make bench)
#
# Topology (regress/lib.sh's mesh hub, 198.18.60.0/24): n1 the
# coordinator .1, r the relay .2, a .3 and b .4 whose UDP to each other
# and to r is dropped (so a -> b goes through r), c .5 (a -> c is direct),
# meshload's host .6 with its members' addresses .10-.25.
set -u
export LC_ALL=C
: "${MESHD_BUILD:?run it through make bench}"
: "${MESHD_ROOT:?run it through make bench}"
. "$(dirname "$0")/../regress/lib.sh"
SECS=${RELAY_SECS:-5}
N=${RELAY_N:-1000}
LOAD=$MESHD_BUILD/bench/meshload
say() { printf '%s\n' "$*"; }
die() { say "relay.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { say "relay.sh: skipped (needs root)"; exit 0; }
for c in jq wg iperf3 openssl nft; do
	command -v "$c" >/dev/null || { say "relay.sh: skipped ($c missing)"
		exit 0; }
done

HUB=rbh$$
mesh_hub "$HUB" || die "the hub"
tmpdir_new D
mesh_ca || die "an admin key"
for h in 1:1 r:2 a:3 b:4 c:5 l:6; do
	mesh_host "$HUB" "rb${h%%:*}$$" "${h##*:}" || die "host ${h%%:*}"
done
BIND=()
for i in $(seq 10 25); do
	ip -n "rbl$$" addr add "198.18.60.$i/24" dev eth0 || die "address .$i"
	BIND+=(-b "198.18.60.$i")
done
mesh_cert n1 1 -R coordinator && mesh_cert r 2 -R relay &&
    mesh_cert a 3 && mesh_cert b 4 && mesh_cert c 5 || die "certificates"
relay_tls || die "the TLS key"
mesh_conf n1 serve
relay_conf r n1:1
for n in a b c; do mesh_conf "$n" n1:1; done
for h in a b; do
	relay_no_udp "rb$h$$" 198.18.60.2 198.18.60.3 198.18.60.4 ||
	    die "nftables on $h"
done
ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
for n in n1:1 r:r a:a b:b c:c; do
	meshd_up "${n%%:*}" "rb${n##*:}$$" ||
	    die "${n%%:*} did not start: $(tail -5 "$D/${n%%:*}.log")"
done
pss() {	# r's processes: "TOTAL (comm=KiB ...)"
	local p v s=0 e=
	for p in "$PID_r" $(pgrep -P "$PID_r"); do
		v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
		s=$((s + ${v:-0})); e+="$(cat "/proc/$p/comm")=${v:-?} "
	done
	echo "$s KiB (${e% })"
}
ip netns exec "rba$$" ping -c 1 -W 1 -w 30 100.64.0.4 >/dev/null 2>&1 ||
    die "a cannot reach b through the relay"
ip netns exec "rba$$" ping -c 1 -W 1 -w 15 100.64.0.5 >/dev/null 2>&1 ||
    die "a cannot reach c"
say "a -> b: $(ctl a show peers | awk '$1 == "b"' | grep -o 'relay r' ||
    echo 'NOT through the relay')"

# ---- throughput: iperf3 over the tunnel, a -> c direct, a -> b relayed
bps() {	# TO-NS TO-ADDR: received bits per second
	local pid out
	ip netns exec "$1" iperf3 -s -1 -B "$2" >/dev/null 2>&1 &
	pid=$!; T_PIDS+=("$pid")
	sleep 0.5
	out=$(ip netns exec "rba$$" iperf3 -c "$2" -t "$SECS" -J 2>/dev/null)
	wait "$pid" 2>/dev/null
	jq -r '.end.sum_received.bits_per_second // 0' <<<"$out"
}
direct=$(bps "rbc$$" 100.64.0.5)
relayed=$(bps "rbb$$" 100.64.0.4)
awk -v d="$direct" -v r="$relayed" -v s="$SECS" 'BEGIN {
	printf "iperf3 TCP over the tunnel, %d s each, one machine:\n", s
	printf "  direct (a -> c, UDP)                  %8.0f Mbit/s\n", d / 1e6
	printf "  through the relay (a -> r -> b, TLS)  %8.0f Mbit/s\n", r / 1e6
	printf "  relay / direct                        %8.2f\n", (d > 0 ? r / d : 0) }'
js=$(ctl r -j show status)
say "r's counters: forwarded $(jq .counters.net.relay_forwarded <<<"$js"), slow-reader drops $(jq .counters.net.relay_slow <<<"$js"), open $(jq .counters.net.relay_open <<<"$js")"
say "r's PSS, its members a, b, c connected: $(pss)"

# ---- r with N simulated members connected
[ "$N" -gt 0 ] && [ -x "$LOAD" ] || exit 0
start_bg LPID ip netns exec "rbl$$" "$LOAD" -k "$D/ca.key" -m corp \
    -p "$(wg pubkey <"$D/n1.key")" -C 198.18.60.1:51820 -n "$N" \
    "${BIND[@]}" -w 64 -r 1000 -T 60 -J -q \
    -R 198.18.60.2:443 -K "$(wg pubkey <"$D/r.key")" -F 100 \
    -W "$D/go" >"$D/load.out" 2>"$D/load.log"
wait_for 90 sh -c "[ \"\$($MESHCTL -s $D/r.sock -j show mesh |
    jq -r '.members // 0')\" -ge $((N + 4)) ]" ||
    die "r did not learn the $N members: $(tail -3 "$D/load.log")"
touch "$D/go"
wait_for 90 grep -q '^phase=hold' "$D/load.out" ||
    die "meshload did not connect: $(tail -3 "$D/load.log")"
sed -n 's/^phase=\(relay.*\)/meshload: \1/p' "$D/load.out"
say "r's open relay connections: $(ctl r -j show status | jq .counters.net.relay_open)"
say "r's PSS with them: $(pss)"
