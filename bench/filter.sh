#!/usr/bin/env bash
# filter.sh - meshd's throughput through a packet filter of 1,000 rules
# holding 10,000 states, beside no filter, in one run (issue 15: within
# 5 %).  Two namespaces joined by a veth, a meshd in each; iperf3 TCP from
# a to b.  Runs alternate: no filter, filter, no filter, filter ... (a
# reload of a's config between them), so that drift on the machine falls
# on both.  Before each filtered run a's table is filled with 10,000 UDP
# states (one datagram to each of 10,000 ports of b).  Timings are
# reported, never asserted.
#
#   MESHD_ROOT   the meshd installation (make bench sets it)
#   FB_SECS=5    seconds per iperf3 run;  FB_ROUNDS=3  pairs of runs
set -u
export LC_ALL=C
: "${MESHD_ROOT:?run it through make bench}"
SECS=${FB_SECS:-5}
ROUNDS=${FB_ROUNDS:-3}
MESHD=$MESHD_ROOT/sbin/meshd
MESHCTL=$MESHD_ROOT/sbin/meshctl
for c in iperf3 wg python3 jq; do
	command -v "$c" >/dev/null || { echo "(filter.sh: $c missing)"; exit 0; }
done
[ "$(id -u)" = 0 ] || { echo "(filter.sh: needs root)"; exit 0; }

A=mfba$$ B=mfbb$$
D=$(mktemp -d /tmp/meshd-fbench.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.3
	ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$A" && ip netns add "$B" || exit 1
ip -n "$A" link set lo up; ip -n "$B" link set lo up
ip link add va netns "$A" type veth peer name vb netns "$B"
ip -n "$A" addr add 198.18.71.1/24 dev va; ip -n "$A" link set va up
ip -n "$B" addr add 198.18.71.2/24 dev vb; ip -n "$B" link set vb up
(umask 077; wg genkey >"$D/a.key"; wg genkey >"$D/b.key")

conf() {	# conf NAME MYNUM PEERPUB PEERNUM
	cat <<EOF
interface "mfb0" {
	address 100.64.0.$2/24
	listen-port 51820
	private-key-file "$D/$1.key"
}
peer "p$4" {
	public-key "$3"
	endpoint "198.18.71.$4:51820"
	allowed-ips 100.64.0.$4/32
}
EOF
}
conf a 1 "$(wg pubkey <"$D/b.key")" 2 >"$D/a.nofilter"
conf b 2 "$(wg pubkey <"$D/a.key")" 1 >"$D/b.conf"
# 999 rules that match nothing of the test, then pass all: a new
# connection walks all 1,000; an established one finds its state first
{
	cat "$D/a.nofilter"
	printf 'filter {\n\tset limit states 20000\n'
	for i in $(seq 0 998); do
		printf '\tblock in proto udp from 10.%d.%d.1 port 1\n' \
		    $((i / 256)) $((i % 256))
	done
	printf '\tpass all\n}\n'
} >"$D/a.filter"
cp "$D/a.nofilter" "$D/a.conf"

ip netns exec "$A" "$MESHD" -d -f "$D/a.conf" -s "$D/a.sock" 2>"$D/a.log" &
PIDS+=("$!")
ip netns exec "$B" "$MESHD" -d -f "$D/b.conf" -s "$D/b.sock" 2>"$D/b.log" &
PIDS+=("$!")
ip netns exec "$B" iperf3 -s -p 5201 >/dev/null 2>&1 &
PIDS+=("$!")
for i in $(seq 50); do
	ip netns exec "$A" ping -c 1 -W 1 100.64.0.2 >/dev/null 2>&1 && break
	sleep 0.2
done

cat >"$D/states.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in range(20000, 20000 + int(sys.argv[2])):
    s.sendto(b"x", (sys.argv[1], p))
    if p % 100 == 0:
        time.sleep(0.002)   # the TUN ring (512 slots) keeps up
PY

run() {		# run: Mbit/s of one iperf3 run a -> b
	ip netns exec "$A" iperf3 -c 100.64.0.2 -p 5201 -t "$SECS" -J 2>/dev/null |
	    jq '.end.sum_received.bits_per_second / 1e6 | floor'
}
use() {		# use nofilter|filter
	cp "$D/a.$1" "$D/a.conf"
	"$MESHCTL" -s "$D/a.sock" reload >/dev/null || { echo "reload failed"; exit 1; }
	if [ "$1" = filter ]; then
		ip netns exec "$A" python3 "$D/states.py" 100.64.0.2 10000
	fi
}

sum0=0 sum1=0
for r in $(seq "$ROUNDS"); do
	use nofilter; m0=$(run)
	use filter
	st=$("$MESHCTL" -s "$D/a.sock" -j show filter | jq '[.states, (.rules | length)] | @tsv' -r)
	m1=$(run)
	printf 'round %d: no filter %s Mbit/s, filter (%s rules, %s states) %s Mbit/s\n' \
	    "$r" "${m0:-?}" "$(cut -f2 <<<"$st")" "$(cut -f1 <<<"$st")" "${m1:-?}"
	sum0=$((sum0 + ${m0:-0})); sum1=$((sum1 + ${m1:-0}))
done
if [ "$sum0" -gt 0 ]; then
	awk -v a="$sum0" -v b="$sum1" 'BEGIN { printf "filter / no filter: %.3f (%+.1f %%)\n", b / a, (b / a - 1) * 100 }'
fi
