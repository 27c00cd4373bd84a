#!/usr/bin/env bash
# Many static peers, for make bench (issue 17, "Scale").
#
# 1. Time to read a large config: `meshd -n` on N peers with 10
#    allowed-ips each (default 10,000 peers, 100,000 prefixes).  A reload
#    parses the same way, in the parent, so this is also what a reload of
#    it costs.
# 2. As root with an installation (MESHD_ROOT): a real meshd in a
#    namespace of its own with N static peers of one /32 and one /24 each,
#    and again with none: the time until it is ready (meshd without -d
#    returns when meshctl answers), each process's PSS and what one peer
#    costs in it ((PSS with N - PSS with none) / N), how long
#    `meshctl -j show peers` and `meshctl show peers` take, and a reload
#    to half of them.  Beside the targets; timings are reported, never
#    asserted.
set -u
: "${MESHD_BUILD:?run it through make bench}"
N=${1:-10000}
D=$(mktemp -d /tmp/meshd-scale.XXXXXX) || exit 1
NS=mcs$$
cleanup() {
	local p
	for p in $(cat "$D"/pids.* 2>/dev/null); do kill "$p" 2>/dev/null; done
	sleep 0.3
	ip netns del "$NS" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
(umask 077; "$MESHD_BUILD/meshctl" genkey >"$D/k")

awk -v n="$N" -v k="$D/k" -v seed="$RANDOM" 'BEGIN {
	srand(seed)
	printf "interface \"mesh0\" {\n\tprivate-key-file \"%s\"\n}\n", k
	b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	a = 0
	for (p = 0; p < n; p++) {
		key = ""
		for (i = 0; i < 42; i++) key = key substr(b64, int(rand() * 64) + 1, 1)
		key = key "A="
		printf "peer \"p%d\" {\n\tpublic-key \"%s\"\n\tallowed-ips ", p, key
		for (j = 0; j < 10; j++) {
			printf "%s10.%d.%d.%d/32", j ? ", " : "", int(a / 65536) % 256, int(a / 256) % 256, a % 256
			a++
		}
		printf "\n}\n"
	}
}' >"$D/scale.conf"

s=$(date +%s%N)
"$MESHD_BUILD/meshd" -n -f "$D/scale.conf" 2>"$D/err" || { cat "$D/err"; exit 1; }
e=$(date +%s%N)
printf 'config of %d peers, %d allowed-ips: meshd -n in %d ms\n' "$N" $((N * 10)) $(( (e - s) / 1000000 ))

# ---- 2: the daemon, as root
if [ -z "${MESHD_ROOT:-}" ] || [ "$(id -u)" != 0 ]; then
	echo "(the daemon at scale: needs root and make bench's installation)"
	exit 0
fi
for c in ip jq; do
	command -v "$c" >/dev/null ||
	    { echo "(the daemon at scale: $c missing)"; exit 0; }
done
MESHD=$MESHD_ROOT/sbin/meshd MESHCTL=$MESHD_ROOT/sbin/meshctl
export MESHD_UAPI_DIR=$D	# wg(8)'s socket: ours, not the host's
ip netns add "$NS" || exit 1
ip -n "$NS" link set lo up

# static_conf N FROM: N peers from number FROM on, one /32 and one /24 each
static_conf() {
	awk -v n="$1" -v from="$2" -v key="$D/k" -v ifname=msc0 -v seed=17 \
	    -f "$(dirname "$0")/static-peers.awk"
}
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
# the machine may be busy: CPU time is reported beside the wall clock
HZ=$(getconf CLK_TCK)
# cpu_ms PID...: their user and system time so far, in ms, summed
cpu_ms() {
	local p t=0
	for p; do
		t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
	done
	echo $((t * 1000 / HZ))
}
# timed OUT COMMAND...: run it; "wall-ms cpu-ms" (its own CPU) in OUT
timed() {
	local out=$1 s t
	shift
	s=$(date +%s%N)
	t=$( { TIMEFORMAT='%U %S'; time "$@" >/dev/null 2>&1; } 2>&1 )
	echo "$(ms_since "$s") $(awk '{printf "%d", ($1 + $2) * 1000}' \
	    <<<"$t")" >"$out"
}
ROLES="parent net crypto tun"
# run TAG N: start meshd with N peers; its figures in $D/TAG.*
run() {
	local tag=$1 n=$2 s role pid
	static_conf "$n" 0 >"$D/$tag.conf"
	s=$(date +%s%N)
	ip netns exec "$NS" "$MESHD" -f "$D/$tag.conf" -s "$D/$tag.sock" \
	    2>"$D/$tag.err" || { cat "$D/$tag.err"; return 1; }
	ms_since "$s" >"$D/$tag.ready"
	# its four processes are the namespace's
	cpu_ms $(ip netns pids "$NS") >"$D/$tag.cpu"
	# the first listing waits for what the children still take in
	s=$(date +%s%N)
	"$MESHCTL" -s "$D/$tag.sock" show peers >/dev/null || return 1
	ms_since "$s" >"$D/$tag.first"
	"$MESHCTL" -j -s "$D/$tag.sock" show status >"$D/$tag.status" ||
	    return 1
	jq -r '.processes[].pid' "$D/$tag.status" >"$D/pids.$tag"
	# the children may still be taking the config in: let them settle
	sleep 1
	for role in $ROLES; do
		pid=$(jq -r ".processes[] | select(.role == \"$role\") | .pid" \
		    "$D/$tag.status")
		awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" \
		    >"$D/$tag.pss.$role"
	done
}
stop() {
	kill $(cat "$D/pids.$1") 2>/dev/null
	sleep 0.5
	rm -f "$D/pids.$1"
}

run none 0 || { echo "(meshd with no peer did not start)"; exit 1; }
stop none
run many "$N" || { echo "(meshd with $N peers did not start)"; exit 1; }
S=$D/many.sock
got=$("$MESHCTL" -j -s "$S" show peers | jq '.peers | length')
c0=$(cpu_ms $(cat "$D/pids.many"))
timed "$D/tj" "$MESHCTL" -j -s "$S" show peers
c1=$(cpu_ms $(cat "$D/pids.many"))
timed "$D/tt" "$MESHCTL" -s "$S" show peers
c2=$(cpu_ms $(cat "$D/pids.many"))
read -r tj tjc <"$D/tj"
read -r tt ttc <"$D/tt"
pid=$(jq -r '.processes[] | select(.role == "parent") | .pid' \
    "$D/many.status")
after=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")
static_conf $((N / 2)) $((N / 2)) >"$D/many.conf"
s=$(date +%s%N)
"$MESHCTL" -s "$S" reload >/dev/null 2>&1 || echo "(the reload failed)"
tr=$(ms_since "$s")
half=$("$MESHCTL" -j -s "$S" show peers | jq '.peers | length')
stop many

printf '%d static peers (one /32, one /24 each) in a real meshd:\n' "$N"
printf '  ready in %d ms, %d ms of CPU (none: %d ms; target < 1000 ms); its first show peers %d ms later\n' \
    "$(cat "$D/many.ready")" "$(cat "$D/many.cpu")" "$(cat "$D/none.ready")" \
    "$(cat "$D/many.first")"
tot=0
printf '  %-7s %10s %10s %14s\n' process "PSS KiB" "none KiB" "bytes a peer"
for role in $ROLES; do
	a=$(cat "$D/many.pss.$role") b=$(cat "$D/none.pss.$role")
	tot=$((tot + a))
	printf '  %-7s %10d %10d %14d\n' "$role" "$a" "$b" \
	    $(( N > 0 ? (a - b) * 1024 / N : 0 ))
done
printf '  node PSS %d KiB = %d MiB (target <= 48 MiB)\n' "$tot" $((tot / 1024))
printf '  meshctl -j show peers: %d ms for %d peers, text %d ms (target < 300 ms)\n' \
    "$tj" "$got" "$tt"
printf '    CPU: -j meshctl %d ms + meshd %d ms; text meshctl %d ms + meshd %d ms\n' \
    "$tjc" $((c1 - c0)) "$ttc" $((c2 - c1))
printf '  parent PSS after them %d KiB\n' "$after"
printf '  reload to the second half: %d ms, then %d peers\n' "$tr" "$half"
