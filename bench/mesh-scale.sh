#!/usr/bin/env bash
# mesh-scale.sh - issue 12's scale figures, for make bench: a real meshd
# coordinator with MESH_N simulated members (bench/meshload: real Noise
# sessions, real certificates), then a real meshd member node that joins
# and receives the whole directory.  Reports beside the targets; never
# fails on a missed target (exit 1 only when it cannot set up or run).
#
#   environment:
#     MESH_N=10000          simulated members
#     MESH_WINDOW=64        members between first initiation and DIR_END
#     MESH_RATE=500         new handshakes a second, at most
#     MESH_TIMEOUT=900      seconds for registering them; then the rest
#                           runs with those registered (registering is
#                           quadratic in records: each registration gets
#                           the directory and is sent to every subscriber,
#                           records packed some six to an ENTRY)
#     MESH_MAX_SECONDS=2400 hard wall-clock bound for the whole script
#     MESH_KEEP=DIR         keep the logs (meshload's, both meshd's) there
#   MESHD_ROOT, MESHD_BUILD: the installation and build (make bench)
#
# Topology: namespace msc-h-PID holds bridge br0; on it msc-c-PID (the
# coordinator, 198.18.70.1), msc-l-PID (meshload, 198.18.70.2 and
# 198.18.70.10-41: members spread over 32 source addresses,
# as hosts would be; the coordinator's rate limit is per address) and
# msc-m-PID (the member node, 198.18.70.3).  Mesh addresses: coordinator
# 100.64.0.1, member node 100.64.0.2, simulated members 100.96.0.0/12.
set -u
export LC_ALL=C

SELF=$(readlink -f "${BASH_SOURCE[0]}")
MAXS=${MESH_MAX_SECONDS:-2400}
if [[ -z ${MSC_UNDER_TIMEOUT:-} ]]; then
	export MSC_UNDER_TIMEOUT=1
	exec timeout -k 20 "$MAXS" bash "$SELF" "$@"
fi
: "${MESHD_BUILD:?run it through make bench}"
: "${MESHD_ROOT:?run it through make bench}"
N=${MESH_N:-10000}
MESHD=$MESHD_ROOT/sbin/meshd
MESHCTL=$MESHD_ROOT/sbin/meshctl
LOAD=$MESHD_BUILD/bench/meshload
HUB=msc-h-$$ NC=msc-c-$$ NL=msc-l-$$ NM=msc-m-$$
PIDS=()

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "mesh-scale: $*"; exit 1; }
[ "$(id -u)" = 0 ] || { log "mesh-scale: skipped (needs root)"; exit 0; }
for c in jq ip; do
	command -v "$c" >/dev/null || { log "mesh-scale: skipped ($c missing)"
		exit 0; }
done
[ -x "$MESHD" ] && [ -x "$LOAD" ] || die "$MESHD or $LOAD missing"
TMP=$(mktemp -d /tmp/mesh-scale.XXXXXX) || exit 1
chmod 755 "$TMP"

cleanup() {
	local p
	trap - EXIT INT TERM
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.5
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in "$NL" "$NM" "$NC" "$HUB"; do
		ip netns del "$p" 2>/dev/null
	done
	if [ -n "${MESH_KEEP:-}" ]; then
		mkdir -p "$MESH_KEEP" && cp "$TMP"/*.log "$TMP"/*.out \
		    "$MESH_KEEP"/ 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ---- namespaces
host() {	# NS N: on the hub's bridge as 198.18.70.N/24
	ip netns add "$1" && ip -n "$1" link set lo up &&
	    ip link add "h$2-$$" netns "$HUB" type veth peer name eth0 \
	    netns "$1" && ip -n "$HUB" link set "h$2-$$" master br0 up &&
	    ip -n "$1" addr add "198.18.70.$2/24" dev eth0 &&
	    ip -n "$1" link set eth0 up
}
ip netns add "$HUB" && ip -n "$HUB" link add br0 type bridge &&
    ip -n "$HUB" link set br0 up || die "the hub namespace"
host "$NC" 1 && host "$NL" 2 && host "$NM" 3 || die "the hosts"
BIND=()
for i in $(seq 10 41); do
	ip -n "$NL" addr add "198.18.70.$i/24" dev eth0 || die "address .$i"
	BIND+=(-b "198.18.70.$i")
done

# ---- keys, certificates, configs
(umask 077
	"$MESHCTL" ca genkey >"$TMP/ca.key" &&
	"$MESHCTL" genkey >"$TMP/c.key" && "$MESHCTL" genkey >"$TMP/m.key") ||
    die "keys"
CA_PUB=$("$MESHCTL" ca pubkey <"$TMP/ca.key") &&
    C_PUB=$("$MESHCTL" pubkey <"$TMP/c.key") &&
    M_PUB=$("$MESHCTL" pubkey <"$TMP/m.key") || die "public keys"
"$MESHCTL" sign -k "$TMP/ca.key" -m scale -n coord -p "$C_PUB" \
    -a 100.64.0.1 -R coordinator >"$TMP/c.crt" &&
    "$MESHCTL" sign -k "$TMP/ca.key" -m scale -n node -p "$M_PUB" \
    -a 100.64.0.2 >"$TMP/m.crt" || die "certificates"
conf() {	# NAME [COORDINATOR]
	printf 'interface "msc0" {\n\tlisten-port 51820\n'
	printf '\tprivate-key-file "%s"\n}\n' "$TMP/$1.key"
	printf 'mesh "scale" {\n\tca "%s"\n' "$CA_PUB"
	printf '\tcertificate-file "%s"\n' "$TMP/$1.crt"
	if [ $# -eq 1 ]; then
		printf '\tserve coordinator\n'
	else
		printf '\tcoordinator "coord" {\n\t\tpublic-key "%s"\n' "$C_PUB"
		printf '\t\tendpoint "198.18.70.1:51820"\n\t}\n'
	fi
	printf '}\n'
}
conf c >"$TMP/c.conf" && conf m coord >"$TMP/m.conf" || die "configs"

ctl() { "$MESHCTL" -s "$TMP/$1.sock" "${@:2}"; }
ready() {	# NAME: its three children sandboxed
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(ctl "$1" -j show status 2>/dev/null |
		    jq '[.processes[] | select(.sandboxed)] | length' \
		    2>/dev/null)" = 3 ] &&
		    return 0
		sleep 0.05
	done
	return 1
}
# meshd and its children
family() { echo "$1" $(pgrep -P "$1"); }
pss_kib() {	# PID...: summed Pss
	local p s=0 v
	for p; do
		v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" \
		    2>/dev/null)
		s=$((s + ${v:-0}))
	done
	echo "$s"
}
pss_each() {	# PID...: "comm=KiB ..."
	local p
	for p; do
		printf '%s=%s ' "$(cat "/proc/$p/comm")" \
		    "$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup")"
	done
}
mib() { awk -v k="$1" 'BEGIN {printf "%.1f MiB", k / 1024}'; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.2f", b - a}'; }
members() { ctl "$1" -j show mesh 2>/dev/null | jq -r '.members // 0'; }

# ---- the coordinator
ip netns exec "$NC" "$MESHD" -d -f "$TMP/c.conf" -s "$TMP/c.sock" \
    2>>"$TMP/coord.log" &
PIDS+=($!); CPID=$!
ready c || die "the coordinator did not start (see $TMP/coord.log)"
CFAM=$(family "$CPID")
log "coordinator up: $CFAM; starting $N simulated members"

# ---- the simulated members
PARGS=()
for p in $CFAM; do PARGS+=(-P "$p"); done
ip netns exec "$NL" "$LOAD" -k "$TMP/ca.key" -m scale -p "$C_PUB" \
    -C 198.18.70.1:51820 -n "$N" "${BIND[@]}" -w "${MESH_WINDOW:-64}" \
    -r "${MESH_RATE:-500}" -T "${MESH_TIMEOUT:-900}" "${PARGS[@]}" \
    >"$TMP/load.out" 2>"$TMP/load.log" &
PIDS+=($!); LPID=$!
cpss_max=0
while ! grep -q '^phase=hold' "$TMP/load.out"; do
	kill -0 "$LPID" 2>/dev/null || {
		cat "$TMP/load.out" "$TMP/load.log" >&2
		die "meshload stopped before it held $N members"
	}
	kill -0 "$CPID" 2>/dev/null || {
		tail -n 20 "$TMP/coord.log" >&2
		die "the coordinator died"
	}
	v=$(pss_kib $CFAM); ((v > cpss_max)) && cpss_max=$v
	sleep 1
done
cat "$TMP/load.out" >&2
cpss=$(pss_kib $CFAM)
cpss_detail=$(pss_each $CFAM)
cmembers=$(members c)

# ---- a real member node joins
t0=$(now)
ip netns exec "$NM" "$MESHD" -d -f "$TMP/m.conf" -s "$TMP/m.sock" \
    2>>"$TMP/node.log" &
PIDS+=($!); MPID=$!
ready m || die "the member node did not start (see $TMP/node.log)"
t_ready=$(since "$t0")
# the coordinator's directory: the simulated members, the late joiner,
# the coordinator and now the node.  The coordinator's show mesh counts
# the first two; the node's counts its coordinator too.
want=$((cmembers + 1))
got=0 t_dir= t_last=
for ((i = 0; i < 1200; i++)); do
	g=$(members m)
	((g > got)) && { got=$g; t_last=$(since "$t0"); }
	if ((got >= want)); then t_dir=$t_last; break; fi
	sleep 0.05
done
[ -n "$t_dir" ] || log "the node knows $got of $want members after 60 s" \
    "(the last came at $t_last s)"
sleep 2
MFAM=$(family "$MPID")
mpss=$(pss_kib $MFAM)
mpss_detail=$(pss_each $MFAM)
mpeers=$(ctl m -j show peers 2>/dev/null | jq '.peers | length')
# and after it: what a show peers leaves behind (its replies, the
# children's records) in the processes' heaps
sleep 1
mpss_peers=$(pss_each $MFAM)

val() { sed -n "s/^phase=$1 .*$2=\([^ ]*\).*/\1/p" "$TMP/load.out"; }
reg_s=$(val register_all secs) reg_n=$(val register_all registered)
hs_avg=$(val register_all hs_avg_s) reg_avg=$(val register_all reg_avg_s)
join_s=$(val join secs) join_n=$(val join entries)
join_m=$(val join entry_msgs)
drain_s=$(val drain secs) drain_n=$(val drain entry_datagrams)
ep_first=$(val endpoint_change first_s) ep_last=$(val endpoint_change last_s)
ep_reached=$(val endpoint_change reached)
idle=$(val idle_cpu cpu_pct)

reg_note="(coordinator: $cmembers; handshake avg $hs_avg s,"
reg_note="$reg_note REGISTER to DIR_END avg $reg_avg s)"
dir_note="(started in $t_ready s; last new member at ${t_last:-?} s)"
ok() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN {
	if (v == "") { print "no figure"; exit }
	r = (op == "<") ? v + 0 < t + 0 : v + 0 <= t + 0
	print r ? "met" : "MISSED" }'; }
echo "== mesh scale: $N simulated members (meshload), a meshd coordinator," \
    "a meshd member node"
printf '%-44s %-26s %-12s %s\n' figure measured target ""
printf '%-44s %-26s %-12s %s\n' "members registered with the coordinator" \
    "${reg_n:-?} of $N in ${reg_s:-?} s" "" \
    "$reg_note"
printf '%-44s %-26s %-12s %s\n' "new meshd node holds the full directory" \
    "${t_dir:-"> 60"} s ($got of $want)" "< 5 s" \
    "$(ok "$t_dir" 5 '<') $dir_note"
printf '%-44s %-26s %-12s %s\n' "  simulated new member: full directory" \
    "${join_s:-?} s ($join_n entries, ${join_m:-?} msgs)" "" ""
printf '%-44s %-26s %-12s %s\n' "pushes of the registrations drained after" \
    "${drain_s:-?} s (${drain_n:-?} ENTRYs)" "" ""
printf '%-44s %-26s %-12s %s\n' "coordinator PSS (meshd + 3 children)" \
    "$(mib "$cpss") (max $(mib "$cpss_max"))" "<= 64 MiB" \
    "$(ok "$cpss" $((64 * 1024)) "<=")"
printf '%-44s %-26s %-12s %s\n' "member node PSS (meshd + 3 children)" \
    "$(mib "$mpss")" "<= 48 MiB" "$(ok "$mpss" $((48 * 1024)) "<=")"
printf '%-44s %-26s %-12s %s\n' "endpoint change to a subscriber" \
    "${ep_first:-?} s" "< 1 s" "$(ok "$ep_first" 1 '<')"
printf '%-44s %-26s %-12s %s\n' "  ... to every subscriber" \
    "${ep_last:-?} s (${ep_reached:-?})" "" ""
printf '%-44s %-26s %-12s %s\n' "coordinator CPU, idle, members pinging 1/5s" \
    "${idle:-?} % of a core" "" ""
echo "coordinator PSS by process (KiB): $cpss_detail"
echo "member node PSS by process (KiB): $mpss_detail; show peers: $mpeers"
echo "member node PSS after show peers (KiB): $mpss_peers"
# where messages were lost, if anywhere: the kernel's UDP receive
# buffer errors in each namespace, and meshd's nonzero drop counters
udp_rcvbuf() {
	ip netns exec "$1" awk '/^Udp:/ && !h {h = 1; for (i = 1; i <= NF; i++)
	    k[i] = $i; next} /^Udp:/ {for (i = 1; i <= NF; i++)
	    if (k[i] == "RcvbufErrors") print $i}' /proc/net/snmp
}
nonzero() {
	ctl "$1" -j show status 2>/dev/null | jq -r '[paths(numbers) as $p |
	    select(($p | map(tostring) | join(".")) |
	    test("drop|refuse|cookie|ratelimit|full|malformed|unexpected" +
	    "|cert_|provisional")) |
	    select(getpath($p) > 0) |
	    "\($p | map(tostring) | join("."))=\(getpath($p))"] | join(" ")'
}
echo "UDP receive buffer errors: coordinator $(udp_rcvbuf "$NC")," \
    "member node $(udp_rcvbuf "$NM"), meshload $(udp_rcvbuf "$NL")"
echo "coordinator counters: $(nonzero c)"
echo "member node counters: $(nonzero m)"
exit 0
