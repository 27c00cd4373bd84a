#!/usr/bin/env bash
# peers.sh - meshd beside other userspace VPN peers, between two throw-away
# network namespaces on one machine, in one run, with ratios to wireguard-go.
# (From the team's shared/bench/peer-baseline.sh, with a meshd peer added.)
#
#   usage: peers.sh [PEERS]
#     PEERS  comma list of: raw, wg, meshd, nebula, tinc
#            (default: raw,wg,meshd,nebula,tinc)
#   MESHD_ROOT: the meshd installation to run (make bench sets it)
#
#   environment (all optional):
#     MB_DURATION=10     seconds per iperf3 test
#     MB_PINGS=100       pings in the RTT test (interval 0.01 s)
#     MB_HS_CYCLES=20    wireguard-go re-handshake cycles (0 = skip)
#     MB_UDP_LEN=1392    UDP payload for the "large" UDP test (fits MTU 1420)
#     MB_SMALL_LEN=64    UDP payload for the small-packet (packet-rate) test
#     MB_SWEEP_SECS=3    seconds per step of the fixed-rate small-UDP ladder (0 = skip)
#     MB_NEBULA_CIPHER=chachapoly   (or aes)
#     MB_PIN=0           1 = pin everything in netns A to CPU 0 and in B to CPU 1
#                        ("one core per host"; softirq work still runs where raised)
#     MB_ONECORE=meshd,wg,nebula,tinc
#                        these peers (of those run) again with everything on
#                        CPU 0 (both tunnel ends, iperf3 client and server,
#                        ping: taskset -c 0): ping, TCP 1 and 4, the 64-byte
#                        ladder from two steps below the peer's best; reported
#                        as one core / two cores, per peer.  0 = skip.
#     MB_GUARD=1         nftables output guard in both namespaces (drop + count
#                        anything not addressed to 198.18.0.0/24, 100.64.0.0/24)
#     MB_OUT=FILE        append results as TSV: run<TAB>peer<TAB>metric<TAB>value
#     MB_RUN=ID          run id written into MB_OUT (default: date)
#     MB_MAX_SECONDS=900 hard wall-clock bound for the whole script (plus 150 per
#                        ablation line when MB_MAX_SECONDS is not given)
#     MB_IDLE_SECS=10    idle CPU of each tunnel after its load tests (0 = skip)
#     MB_OBFS=1          meshd again as a two-node mesh with obfuscation on (the
#                        lever tests: ping, TCP 1 and 4, the 64-byte ladder), as a
#                        ratio to plain meshd.  0 = skip.
#     MB_ABLATE=gso,gro,tso,tungro,cipherctx,sockbuf
#                        meshd again once per lever, with MESHD_LEVERS_OFF=LEVER
#                        (ping, TCP 1 and 4 streams, the 64-byte ladder from two
#                        steps below meshd's best): each as a ratio to meshd with
#                        every lever on.  0 = skip.  MESHD_LEVERS_OFF in our own
#                        environment applies to the main meshd run.
#
# Topology: netns mb-a-PID <-> veth <-> netns mb-b-PID, underlay
# 198.18.0.1/24 <-> 198.18.0.2/24, no default route, IPv6 disabled.  Overlay
# 100.64.0.1/24 <-> 100.64.0.2/24, MTU 1420.  iperf3 client in A, server in B.
# Both tunnel ends run on this one machine, so every figure is "both ends plus
# iperf3 on the same cores".  Other load on the machine skews everything: the
# report shows the busy CPU not charged to our processes and warns above 10 %.
# Everything created is removed on exit; only processes started here are
# signalled, by PID (checked against start time).
set -u
export LC_ALL=C

SELF=$(readlink -f "${BASH_SOURCE[0]}")
ABLATE=${MB_ABLATE:-gso,gro,tso,tungro,cipherctx,sockbuf}
[[ $ABLATE == 0 ]] && ABLATE=
ONECORE_PEERS=${MB_ONECORE:-meshd,wg,nebula,tinc}
[[ $ONECORE_PEERS == 0 ]] && ONECORE_PEERS=
if [[ -n ${MB_MAX_SECONDS:-} ]]; then MAXS=$MB_MAX_SECONDS
else MAXS=$(( 900 + 150 * $(awk -F, '{print NF}' <<<"$ABLATE,$ONECORE_PEERS") )); fi
# Hard bound: re-exec once under timeout(1); on expiry it TERMs this script's
# process group (our children only), and our trap tidies up.
if [[ -z ${MB_UNDER_TIMEOUT:-} ]]; then
  export MB_UNDER_TIMEOUT=1
  exec timeout -k 20 "$MAXS" bash "$SELF" "$@"
fi

DUR=${MB_DURATION:-10}
PINGS=${MB_PINGS:-100}
HS_CYCLES=${MB_HS_CYCLES:-20}
UDP_LEN=${MB_UDP_LEN:-1392}
SMALL_LEN=${MB_SMALL_LEN:-64}
SWEEP_SECS=${MB_SWEEP_SECS:-3}
IDLE_SECS=${MB_IDLE_SECS:-10}
NEB_CIPHER=${MB_NEBULA_CIPHER:-chachapoly}
GUARD=${MB_GUARD:-1}
PIN=${MB_PIN:-0}
RUN_ID=${MB_RUN:-$(date +%Y%m%dT%H%M%S)}
PEERS=${1:-raw,wg,meshd,nebula,tinc}
[[ $PEERS == all ]] && PEERS=raw,wg,meshd,nebula,tinc
case $PEERS in -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$SELF"; exit 0 ;; esac

NS_A=mb-a-$$; NS_B=mb-b-$$
UA=198.18.0.1; UB=198.18.0.2     # underlay
OA=100.64.0.1; OB=100.64.0.2     # overlay
MTU=1420
VETH=mbv0                        # same name inside each namespace
TMP=$(mktemp -d /tmp/mb-bench.XXXXXX) || exit 1
HZ=$(getconf CLK_TCK)
declare -a TRACKED=()            # "pid:starttime" of everything we started
declare -a TUN_PIDS=()           # tunnel daemons of the peer under test
TUN_PORT=                        # their UDP port (for socket drop counters)
TUN_IF_A= TUN_IF_B=              # their tunnel interfaces
declare -A R=()                  # results: R[peer.metric]=value
declare -a ORDER=()              # peers in the order run
WG_SOCKS=()
IPERF_SRV=0 OTHER_MAX=0 MD_RUNS=0

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }
nsa() { timeout "${T:-20}" ip netns exec "$NS_A" $(pin "$NS_A") "$@"; }
nsb() { timeout "${T:-20}" ip netns exec "$NS_B" $(pin "$NS_B") "$@"; }

# ---------------------------------------------------------------- processes
pstart() { local s; s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; s=${s##*) }; set -- $s; echo "${20}"; }
track() { local st; st=$(pstart "$1") && TRACKED+=("$1:$st"); }
kill_tracked() {   # $1 = signal
  local e pid st
  for e in "${TRACKED[@]}"; do
    pid=${e%%:*}; st=${e#*:}
    [[ $(pstart "$pid" 2>/dev/null) == "$st" ]] && kill "-$1" "$pid" 2>/dev/null
  done
}
# pin NS -> "taskset -c N" prefix when MB_PIN=1 (A -> CPU 0, B -> CPU 1);
# "taskset -c 0" for both in the one-core runs
ONECORE=0 SFX=
pin() {
  ((ONECORE)) && { echo "taskset -c 0"; return 0; }
  ((PIN)) || return 0; [[ $1 == "$NS_A" ]] && echo "taskset -c 0" || echo "taskset -c 1"
}
# start_bg NAME NS LOG CMD... ; sets BG_PID to the command's own PID
start_bg() {
  local name=$1 ns=$2 lg=$3; shift 3
  timeout -k 5 "$MAXS" ip netns exec "$ns" $(pin "$ns") "$@" >"$lg" 2>&1 </dev/null &
  local tp=$! i c=
  track "$tp"
  for ((i = 0; i < 100; i++)); do
    c=$(pgrep -P "$tp" | head -n1); [[ -n $c ]] && break; sleep 0.02
  done
  [[ -n $c ]] || { log "$name: did not start"; return 1; }
  track "$c"; BG_PID=$c
}
stop_pids() {      # stop the given PIDs (all tracked) and wait a little
  local p i
  for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
  for ((i = 0; i < 50; i++)); do
    local alive=0; for p in "$@"; do [[ -e /proc/$p ]] && alive=1; done
    ((alive)) || return 0; sleep 0.1
  done
  for p in "$@"; do kill -KILL "$p" 2>/dev/null; done
}

cleanup() {
  trap - EXIT INT TERM
  kill_tracked TERM; sleep 0.5; kill_tracked KILL
  ip netns del "$NS_A" 2>/dev/null; ip netns del "$NS_B" 2>/dev/null
  local s; for s in "${WG_SOCKS[@]}"; do rm -f "$s"; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ---------------------------------------------------------------- accounting
# cpu_ticks PID -> "utime stime" (clock ticks, all threads)
cpu_ticks() { local s; s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo "0 0"; return; }; s=${s##*) }; set -- $s; echo "${12} ${13}"; }
# cpu_ns PID -> on-CPU nanoseconds summed over live threads (schedstat)
cpu_ns() { awk '{s += $1} END {printf "%.0f\n", s}' /proc/"$1"/task/*/schedstat 2>/dev/null || echo 0; }
# ctxsw PID... -> context switches (voluntary + not) summed over all threads
ctxsw() { local p; for p in "$@"; do cat /proc/"$p"/task/*/status 2>/dev/null; done |
  awk '/ctxt_switches/{s += $2} END{printf "%.0f\n", s}'; }
cpu_ns_all() { local p t=0; for p in "$@"; do t=$((t + $(cpu_ns "$p"))); done; echo "$t"; }
sys_cpu() { awk '/^cpu /{b=$2+$3+$4+$7+$8; t=b+$5+$6+$9; print b, t, $9, $2+$3+$4; exit}' /proc/stat; }  # busy total steal usr+sys
# self_ticks -> CPU ticks of this shell plus all its reaped descendants (iperf3 client, helpers)
self_ticks() { local s; s=$(cat /proc/$$/stat); s=${s##*) }; set -- $s; echo $(( ${12} + ${13} + ${14} + ${15} )); }
rss_kb() { awk -v k="$2" '$1==k":"{print $2}' "/proc/$1/status" 2>/dev/null; }
nthreads() { ls "/proc/$1/task" 2>/dev/null | wc -l; }
# sock_drops NS PORT -> summed "drops" column of UDP sockets (v4 and v6) bound to PORT
sock_drops() { T=5 ip netns exec "$1" awk -v p="$(printf ':%04X' "$2")" 'substr($2, length($2)-4)==p {d+=$NF} END{printf "%.0f\n", d}' /proc/net/udp /proc/net/udp6 2>/dev/null || echo 0; }
# tun_drops NS IF -> packets dropped on the way into the tunnel device (qdisc + device tx_dropped)
tun_drops() {
  T=5 ip netns exec "$1" sh -c "tc -s qdisc show dev $2; echo txdrop \$(cat /sys/class/net/$2/statistics/tx_dropped)" 2>/dev/null |
    awk '{for(i=1;i<NF;i++) if($i=="(dropped") d+=$(i+1)+0} /^txdrop/{d+=$2} END{printf "%.0f\n", d}'
}
veth_ctr() { nsa cat /sys/class/net/$VETH/statistics/tx_packets /sys/class/net/$VETH/statistics/tx_bytes | tr '\n' ' '; }

snap() {  # -> global SNAP: "usr sys busy total steal usrsys txp txb tundrops iperfdrops tundevdrops ours"
  local u=0 s=0 p a b td=0 o
  for p in "${TUN_PIDS[@]}"; do read -r a b < <(cpu_ticks "$p"); u=$((u + a)); s=$((s + b)); done
  local qd=0
  if [[ -n $TUN_PORT ]]; then
    td=$(( $(sock_drops "$NS_A" "$TUN_PORT") + $(sock_drops "$NS_B" "$TUN_PORT") ))
    qd=$(( $(tun_drops "$NS_A" "$TUN_IF_A") + $(tun_drops "$NS_B" "$TUN_IF_B") ))
  fi
  read -r a b < <(cpu_ticks "$IPERF_SRV")
  o=$(( u + s + a + b + $(self_ticks) ))   # CPU ticks of everything this script started
  SNAP="$u $s $(sys_cpu) $(veth_ctr) $td $(sock_drops "$NS_B" 5201) $qd $o"
}

# put PEER KEY VALUE; in the one-core runs PEER gets the suffix -1core
put() {
  local p=$1; [[ -n $SFX && $p != *"$SFX" ]] && p=$p$SFX
  R[$p.$2]=$3; [[ -z ${MB_OUT:-} ]] || printf '%s\t%s\t%s\t%s\n' "$RUN_ID" "$p" "$2" "$3" >>"$MB_OUT"; return 0
}
fdiv() { awk -v a="$1" -v b="$2" -v f="${3:-%.1f}" 'BEGIN{ if (b+0 == 0) print "-"; else printf f"\n", a/b }'; }

# iperf PEER TAG DST ARGS... : runs iperf3 client in A, records metrics
iperf() {
  local peer=$1 tag=$2 dst=$3; shift 3
  local out=$TMP/iperf-$peer-$tag.txt s0 s1 ip rc p
  snap; s0=$SNAP
  timeout $((DUR + 25)) ip netns exec "$NS_A" $(pin "$NS_A") iperf3 -c "$dst" -t "$DUR" -f m \
    --connect-timeout 3000 "$@" >"$out" 2>&1 </dev/null &
  ip=$!
  sleep "$(fdiv "$DUR" 2 %.1f)"
  if ((${#TUN_PIDS[@]})); then          # RSS mid-load, summed over both ends
    local r=0 t=0; for p in "${TUN_PIDS[@]}"; do local x y; x=$(rss_kb "$p" VmRSS); y=$(nthreads "$p"); r=$((r + ${x:-0})); t=$((t + ${y:-0})); done
    put "$peer" "$tag.rss_kb_both" "$r"; put "$peer" "$tag.threads_both" "$t"
  fi
  wait "$ip"; rc=$?
  snap; s1=$SNAP
  if ((rc != 0)); then log "$peer $tag: iperf3 failed rc=$rc: $(tail -n2 "$out" | tr '\n' ' ')"; put "$peer" "$tag.mbps" FAIL; return 1; fi
  # receiver line: Mbit/s, seconds, lost/total (UDP)
  local mbps secs lt retr
  read -r mbps secs lt < <(awk '/receiver/{l=$0} END{n=split(l,f," "); for(i=1;i<=n;i++){
      if(f[i]=="Mbits/sec") m=f[i-1]; if(f[i]=="sec"){split(f[i-1],t,"-"); d=t[2]}
      if(f[i] ~ /^[0-9]+\/[0-9]+$/) lt=f[i]} print m, d, (lt==""?"-":lt)}' "$out")
  local sent; sent=$(awk '/sender/{l=$0} END{n=split(l,f," "); for(i=1;i<=n;i++) if(f[i] ~ /^[0-9]+\/[0-9]+$/) {split(f[i],x,"/"); print x[2]; exit} print "-"}' "$out")
  retr=$(awk '/sender/{l=$0} END{n=split(l,f," "); if (f[n-1] ~ /^[0-9]+$/ && l ~ /Mbits/ && l !~ /ms/) print f[n-1]; else print "-"}' "$out")
  local -a A B; A=($s0); B=($s1)
  local usr sys cpus busy steal other wpk wby bytes
  usr=$(fdiv $((B[0] - A[0])) "$HZ" %.2f); sys=$(fdiv $((B[1] - A[1])) "$HZ" %.2f)
  cpus=$(fdiv $((B[0] - A[0] + B[1] - A[1])) "$HZ" %.2f)
  busy=$(awk -v b=$((B[2] - A[2])) -v t=$((B[3] - A[3])) 'BEGIN{printf "%.0f", t ? 100*b/t : 0}')
  steal=$(awk -v b=$((B[4] - A[4])) -v t=$((B[3] - A[3])) 'BEGIN{printf "%.0f", t ? 100*b/t : 0}')
  # busy CPU not charged to processes this script started (other load, kernel threads, irq)
  other=$(awk -v b=$((B[2] - A[2] - (B[11] - A[11]))) -v t=$((B[3] - A[3])) 'BEGIN{printf "%.0f", t ? 100*b/t : 0}')
  wpk=$((B[6] - A[6])); wby=$((B[7] - A[7]))
  bytes=$(awk -v m="$mbps" -v s="$secs" 'BEGIN{printf "%.0f", m*1e6/8*s}')
  put "$peer" "$tag.mbps" "$mbps"
  [[ $retr != - ]] && put "$peer" "$tag.retr" "$retr"
  put "$peer" "$tag.sys_busy_pct" "$busy"
  put "$peer" "$tag.steal_pct" "$steal"
  put "$peer" "$tag.other_cpu_pct" "$other"
  [[ $tag != sw* ]] && ((other > OTHER_MAX)) && OTHER_MAX=$other   # short ladder steps are too noisy
  put "$peer" "$tag.wire_pps" "$(fdiv "$wpk" "$DUR" %.0f)"
  put "$peer" "$tag.wire_avg_B" "$(fdiv "$wby" "$wpk" %.0f)"
  if [[ $lt != - ]]; then
    local lost=${lt%/*} tot=${lt#*/}
    put "$peer" "$tag.rx_kpps" "$(fdiv $((tot - lost)) "$secs" %.1f | awk '{printf "%.1f", $1/1000}')"
    put "$peer" "$tag.loss_pct" "$(awk -v l="$lost" -v t="$tot" 'BEGIN{printf "%.1f", t ? 100*l/t : 0}')"
    [[ $sent != - ]] && put "$peer" "$tag.tx_kpps" "$(awk -v n="$sent" -v d="$DUR" 'BEGIN{printf "%.1f", n/d/1000}')"
    put "$peer" "$tag.iperf_sock_drops" $((B[9] - A[9]))
  fi
  [[ -n $TUN_PORT ]] && { put "$peer" "$tag.tun_sock_drops" $((B[8] - A[8])); put "$peer" "$tag.tun_dev_drops" $((B[10] - A[10])); }
  if ((${#TUN_PIDS[@]})); then
    put "$peer" "$tag.tun_cpu_s" "$cpus"
    put "$peer" "$tag.tun_usr_s" "$usr"
    put "$peer" "$tag.tun_sys_s" "$sys"
    put "$peer" "$tag.MB_per_cpu_s" "$(awk -v b="$bytes" -v c="$cpus" 'BEGIN{if (c > 0) printf "%.0f", b/1e6/c; else print "-"}')"
  fi
  return 0
}

# ping_rtt PEER DST : RTT test; avg from ping's summary, p50/p99 from the
# per-packet times (nearest rank)
ping_rtt() {
  local peer=$1 dst=$2 out=$TMP/ping-$1.txt cs0 cs1 c0 c1
  cs0=$(ctxsw "${TUN_PIDS[@]}"); c0=$(cpu_ns_all "${TUN_PIDS[@]}")
  T=$((PINGS / 50 + 15)) nsa ping -n -c "$PINGS" -i 0.01 -W 1 "$dst" >"$out" 2>&1
  cs1=$(ctxsw "${TUN_PIDS[@]}"); c1=$(cpu_ns_all "${TUN_PIDS[@]}")
  if ((${#TUN_PIDS[@]})); then   # both ends, per echo request (and its reply)
    put "$peer" ping_ctxsw_per_pkt "$(fdiv $((cs1 - cs0)) "$PINGS" %.1f)"
    put "$peer" ping_cpu_us_per_pkt "$(fdiv $(( (c1 - c0) / 1000 )) "$PINGS" %.1f)"
  fi
  local l; l=$(awk -F'[/ ]+' '/^rtt/{print $7, $8, $9}' "$out")
  if [[ -z $l ]]; then put "$peer" ping_avg_ms FAIL; return 1; fi
  set -- $l
  put "$peer" ping_min_ms "$1"; put "$peer" ping_avg_ms "$2"; put "$peer" ping_max_ms "$3"
  put "$peer" ping_loss_pct "$(grep -o '[0-9.]*% packet loss' "$out" | cut -d% -f1)"
  local q
  for q in 50 99; do
    put "$peer" "ping_p${q}_ms" "$(sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' "$out" | sort -g |
      awk -v q="$q" '{a[NR]=$1} END{if (!NR) {print "-"; exit} r=int((q*NR+99)/100); if (r<1) r=1; print a[r]}')"
  done
}
# first_ping DST -> FP_RTT (ms, as measured by ping); fails if no reply in 3 s
first_ping() {
  local o; o=$(T=6 nsa ping -n -c1 -W3 "$1" 2>&1)
  FP_RTT=$(sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' <<<"$o" | head -n1)
  [[ -n $FP_RTT ]]
}
now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }
since_ms() { awk -v a="$1" -v b="$(now_us)" 'BEGIN{printf "%.1f", (b-a)/1000}'; }
wait_for() {  # wait_for SECONDS CMD... (poll every 20 ms)
  local n=$(( $1 * 50 )) i; shift
  for ((i = 0; i < n; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.02; done
  return 1
}
record_mem() {  # idle RSS and peak (VmHWM) summed over both ends
  local peer=$1 tag=$2 r=0 p
  local x; for p in "${TUN_PIDS[@]}"; do x=$(rss_kb "$p" "$3"); r=$((r + ${x:-0})); done
  put "$peer" "$tag" "$r"
}
# udp_sweep PEER DST: fixed-rate ladder of small-packet UDP tests (SWEEP_SECS
# each, offered rate x1.25 per step from 16 kpps) until loss > 5%.  Reports the
# highest delivered rate with loss <= 1% and the tunnel CPU per packet there.
udp_sweep() {   # udp_sweep PEER DST [FIRST-STEP]
  local peer=$1 dst=$2 first=${3:-1} k=16000 i best=- bcpu=- maxrx=0 rx loss
  for ((i = 1; i < first; i++)); do k=$((k * 5 / 4)); done
  for ((i = first; i <= 20; i++)); do
    put "$peer" "sw$i.offered_kpps" "$(fdiv "$k" 1000 %.1f)"
    DUR=$SWEEP_SECS iperf "$peer" "sw$i" "$dst" -u -l "$SMALL_LEN" -b $((k * SMALL_LEN * 8)) || break
    rx=${R[$peer.sw$i.rx_kpps]:-0}; loss=${R[$peer.sw$i.loss_pct]:-100}
    awk -v a="$rx" -v b="$maxrx" 'BEGIN{exit !(a > b)}' && maxrx=$rx
    if awk -v l="$loss" 'BEGIN{exit !(l <= 1.0)}'; then
      best=$rx
      put "$peer" sweep_best_step "$i"
      bcpu=$(awk -v c="${R[$peer.sw$i.tun_cpu_s]:-}" -v r="$rx" -v d="$SWEEP_SECS" 'BEGIN{ if (c == "" || r == 0) print "-"; else printf "%.1f", c*1000/(r*d) }')
    fi
    awk -v l="$loss" 'BEGIN{exit !(l > 5.0)}' && break
    k=$((k * 5 / 4))
  done
  put "$peer" sweep_kpps_le1pct "$best"
  put "$peer" sweep_max_rx_kpps "$maxrx"
  put "$peer" sweep_cpu_us_per_pkt "$bcpu"
}
# idle_cpu PEER: CPU the tunnel (both ends) uses in IDLE_SECS without traffic,
# a second after its last test; in ms per 10 s
idle_cpu() {
  local peer=$1 c0 c1
  ((IDLE_SECS > 0 && ${#TUN_PIDS[@]})) || return 0
  sleep 1
  c0=$(cpu_ns_all "${TUN_PIDS[@]}"); sleep "$IDLE_SECS"; c1=$(cpu_ns_all "${TUN_PIDS[@]}")
  put "$peer" idle_cpu_ms_per_10s "$(awk -v d=$((c1 - c0)) -v s="$IDLE_SECS" 'BEGIN{printf "%.2f", d/1e6*10/s}')"
}
# compare_tests NAME BASE DST: what the ratio tables (obfuscation, ablation,
# one core) compare: ping, TCP 1 and 4 streams, and the 64-byte ladder from
# two steps below BASE's best, recorded under NAME
compare_tests() {
  local name=$1 s=${R[$2.sweep_best_step]:-1} dst=$3
  ping_rtt "$name" "$dst"
  iperf "$name" tcp1 "$dst"
  iperf "$name" tcp4 "$dst" -P 4
  ((SWEEP_SECS > 0)) && udp_sweep "$name" "$dst" $((s > 2 ? s - 2 : 1))
  return 0
}
load_tests() {
  local peer=$1$SFX dst=$2
  ((ONECORE)) && { compare_tests "$peer" "$1" "$dst"; return 0; }
  ping_rtt "$peer" "$dst"
  iperf "$peer" tcp1 "$dst"
  iperf "$peer" tcp4 "$dst" -P 4
  iperf "$peer" udp "$dst" -u -b 0 -l "$UDP_LEN"
  iperf "$peer" udp64 "$dst" -u -b 0 -l "$SMALL_LEN"
  ((SWEEP_SECS > 0)) && udp_sweep "$peer" "$dst"
  idle_cpu "$peer"
  return 0
}

# ---------------------------------------------------------------- topology
setup_ns() {
  local n
  for n in "$NS_A" "$NS_B"; do
    ip netns add "$n" || die "cannot create netns $n"
    ip -n "$n" link set lo up
    T=5 ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  done
  ip link add "$VETH" netns "$NS_A" type veth peer name "$VETH" netns "$NS_B" || die "veth"
  ip -n "$NS_A" addr add "$UA/24" dev "$VETH"; ip -n "$NS_B" addr add "$UB/24" dev "$VETH"
  ip -n "$NS_A" link set "$VETH" up; ip -n "$NS_B" link set "$VETH" up
  if [[ $GUARD == 1 ]]; then
    for n in "$NS_A" "$NS_B"; do
      T=5 ip netns exec "$n" nft -f - <<EOF || die "nft guard"
table inet mbguard {
  chain out {
    type filter hook output priority 0; policy accept;
    ip daddr 198.18.0.0/24 accept
    ip daddr 100.64.0.0/24 accept
    oifname "lo" accept
    counter drop
  }
}
EOF
    done
  fi
  # sanity: no default route, peer reachable
  [[ -z $(ip -n "$NS_A" route show default) && -z $(ip -n "$NS_B" route show default) ]] || die "default route present"
  wait_for 5 nsa ping -n -c1 -W1 "$UB" || die "underlay ping failed"
}
guard_drops() {
  local n tot=0 c
  for n in "$NS_A" "$NS_B"; do
    c=$(T=5 ip netns exec "$n" nft list chain inet mbguard out 2>/dev/null | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
    tot=$((tot + ${c:-0}))
  done
  echo "$tot"
}

start_iperf_server() {
  start_bg iperf3-server "$NS_B" "$TMP/iperf3-server.log" iperf3 -s -p 5201 || die "iperf3 server"
  IPERF_SRV=$BG_PID
  wait_for 5 nsb sh -c "ss -ltn | grep -q ':5201 '" || die "iperf3 server not listening"
}

# ---------------------------------------------------------------- peers
peer_raw() {
  TUN_PIDS=(); TUN_PORT=
  ping_rtt raw "$UB"
  iperf raw tcp1 "$UB"
  iperf raw udp "$UB" -u -b 0 -l "$UDP_LEN"
  iperf raw udp64 "$UB" -u -b 0 -l "$SMALL_LEN"
}

peer_wg() {
  command -v wireguard-go >/dev/null && command -v wg >/dev/null || { put wg note "not installed"; return 1; }
  local IA=mbwg$$a IB=mbwg$$b d=$TMP/wg$SFX pa pb ka kb
  mkdir -p "$d"; (umask 077; wg genkey >"$d/a.key"; wg genkey >"$d/b.key")
  ka=$(wg pubkey <"$d/a.key"); kb=$(wg pubkey <"$d/b.key")
  WG_SOCKS+=("/var/run/wireguard/$IA.sock" "/var/run/wireguard/$IB.sock")
  start_bg wg-a "$NS_A" "$d/a.log" env LOG_LEVEL=error wireguard-go -f "$IA" || return 1; pa=$BG_PID
  start_bg wg-b "$NS_B" "$d/b.log" env LOG_LEVEL=error wireguard-go -f "$IB" || return 1; pb=$BG_PID
  TUN_PIDS=("$pa" "$pb"); TUN_PORT=51820; TUN_IF_A=$IA; TUN_IF_B=$IB
  wait_for 5 test -S "/var/run/wireguard/$IA.sock" && wait_for 5 test -S "/var/run/wireguard/$IB.sock" || { put wg note "uapi socket missing"; return 1; }
  put wg tun_vnet_hdr "$(ip -n "$NS_A" -d link show dev "$IA" | grep -o 'vnet_hdr [a-z]*' | cut -d' ' -f2)"
  ip -n "$NS_A" addr add "$OA/24" dev "$IA"; ip -n "$NS_A" link set "$IA" mtu $MTU up
  ip -n "$NS_B" addr add "$OB/24" dev "$IB"; ip -n "$NS_B" link set "$IB" mtu $MTU up
  nsb wg set "$IB" private-key "$d/b.key" listen-port 51820 peer "$ka" allowed-ips "$OA/32" || return 1
  nsa wg set "$IA" private-key "$d/a.key" listen-port 51820 || return 1
  record_mem wg rss_start_kb_both VmRSS
  # handshake latency: from `wg set ... endpoint` to first ping reply
  local c0a c0b t0; c0a=$(cpu_ns "$pa"); c0b=$(cpu_ns "$pb"); t0=$(now_us)
  nsa wg set "$IA" peer "$kb" endpoint "$UB:51820" allowed-ips "$OB/32" || return 1
  if ! first_ping "$OB"; then put wg note "first ping failed"; return 1; fi
  put wg hs_wgset_to_reply_ms "$(since_ms "$t0")"
  put wg hs_first_rtt_ms "$FP_RTT"
  put wg hs_first_cpu_us "$(( ($(cpu_ns "$pa") - c0a + $(cpu_ns "$pb") - c0b) / 1000 ))"
  load_tests wg "$OB"
  record_mem wg rss_hwm_kb_both VmHWM
  # repeated handshakes: remove+re-add the peer on A, one ping each.  CPU per
  # handshake = (cycles with ping - same cycles without ping) / N, both ends.
  if ((HS_CYCLES > 0)); then
    local i x y rtts=() cw cn
    x=$(( $(cpu_ns "$pa") + $(cpu_ns "$pb") ))
    for ((i = 0; i < HS_CYCLES; i++)); do
      nsa wg set "$IA" peer "$kb" remove
      nsa wg set "$IA" peer "$kb" endpoint "$UB:51820" allowed-ips "$OB/32"
      first_ping "$OB" && rtts+=("$FP_RTT")
      sleep 0.1   # B drops initiations < 20 ms apart from one peer (flood guard)
    done
    y=$(( $(cpu_ns "$pa") + $(cpu_ns "$pb") )); cw=$((y - x)); x=$y
    for ((i = 0; i < HS_CYCLES; i++)); do
      nsa wg set "$IA" peer "$kb" remove
      nsa wg set "$IA" peer "$kb" endpoint "$UB:51820" allowed-ips "$OB/32"
      sleep 0.1
    done
    y=$(( $(cpu_ns "$pa") + $(cpu_ns "$pb") )); cn=$((y - x))
    put wg hs_cycles_ok "${#rtts[@]}/$HS_CYCLES"
    put wg hs_rtt_median_ms "$(printf '%s\n' "${rtts[@]}" | sort -g | awk '{a[NR]=$1} END{print NR ? a[int((NR+1)/2)] : "-"}')"
    put wg hs_cpu_us "$(( (cw - cn) / HS_CYCLES / 1000 ))"
    log "wg handshake cycles: cpu with ping ${cw}ns, without ${cn}ns, threads $(nthreads "$pa")+$(nthreads "$pb")"
  fi
  stop_pids "$pa" "$pb"; TUN_PIDS=(); TUN_PORT=
}

peer_nebula() {
  command -v nebula >/dev/null && command -v nebula-cert >/dev/null || { put nebula note "not installed"; return 1; }
  local d=$TMP/nebula$SFX IA=mbneb$$a IB=mbneb$$b pa pb
  mkdir -p "$d"
  ( cd "$d" && timeout 20 nebula-cert ca -name mb-bench -duration 2h \
      && timeout 20 nebula-cert sign -name a -ip "$OA/24" -out-crt a.crt -out-key a.key \
      && timeout 20 nebula-cert sign -name b -ip "$OB/24" -out-crt b.crt -out-key b.key ) >"$d/cert.log" 2>&1 \
    || { put nebula note "nebula-cert failed"; return 1; }
  mkcfg() {  # name listen_ip dev peer_overlay peer_underlay
    cat >"$d/$1.yml" <<EOF
pki: {ca: $d/ca.crt, cert: $d/$1.crt, key: $d/$1.key}
static_host_map: {"$4": ["$5:4242"]}
lighthouse: {am_lighthouse: false, interval: 60, hosts: []}
listen: {host: $2, port: 4242}
punchy: {punch: false}
relay: {am_relay: false, use_relays: false}
cipher: $NEB_CIPHER
tun: {disabled: false, dev: $3, drop_local_broadcast: false, drop_multicast: false, tx_queue: 500, mtu: $MTU}
logging: {level: warning, format: text}
firewall:
  outbound: [{port: any, proto: any, host: any}]
  inbound: [{port: any, proto: any, host: any}]
EOF
  }
  mkcfg a "$UA" "$IA" "$OB" "$UB"; mkcfg b "$UB" "$IB" "$OA" "$UA"
  local t0; t0=$(now_us)
  start_bg nebula-a "$NS_A" "$d/a.log" nebula -config "$d/a.yml" || return 1; pa=$BG_PID
  start_bg nebula-b "$NS_B" "$d/b.log" nebula -config "$d/b.yml" || return 1; pb=$BG_PID
  TUN_PIDS=("$pa" "$pb"); TUN_PORT=4242; TUN_IF_A=$IA; TUN_IF_B=$IB
  wait_for 10 sh -c "ip -n $NS_A addr show dev $IA | grep -q $OA && ip -n $NS_B addr show dev $IB | grep -q $OB" \
    || { put nebula note "tun not up: $(tail -n3 "$d/a.log" | tr '\n' ' ')"; return 1; }
  put nebula tun_vnet_hdr "$(ip -n "$NS_A" -d link show dev "$IA" | grep -o 'vnet_hdr [a-z]*' | cut -d' ' -f2)"
  put nebula start_to_tun_ms "$(since_ms "$t0")"
  record_mem nebula rss_start_kb_both VmRSS
  local c0; c0=$(( $(cpu_ns "$pa") + $(cpu_ns "$pb") ))
  t0=$(now_us)
  if ! first_ping "$OB"; then put nebula note "first ping failed: $(tail -n3 "$d/a.log" | tr '\n' ' ')"; return 1; fi
  put nebula hs_ping_to_reply_ms "$(since_ms "$t0")"
  put nebula hs_first_rtt_ms "$FP_RTT"
  put nebula hs_first_cpu_us "$(( ($(cpu_ns "$pa") + $(cpu_ns "$pb") - c0) / 1000 ))"
  load_tests nebula "$OB"
  record_mem nebula rss_hwm_kb_both VmHWM
  stop_pids "$pa" "$pb"; TUN_PIDS=(); TUN_PORT=
}

peer_tinc() {
  command -v tincd >/dev/null || { put tinc note "not installed"; return 1; }
  local d=$TMP/tinc$SFX IA=mbtnc$$a IB=mbtnc$$b pa pb n
  for n in a b; do
    mkdir -p "$d/$n/hosts"
    local me_if=$IA me_u=$UA me_o=$OA
    [[ $n == b ]] && { me_if=$IB; me_u=$UB; me_o=$OB; }
    { echo "Name = $n"; echo "Interface = $me_if"; echo "Mode = router"; echo "AddressFamily = ipv4"
      echo "BindToAddress = $me_u"; echo "Port = 655"; [[ $n == a ]] && echo "ConnectTo = b"; } >"$d/$n/tinc.conf"
    # PMTUDiscovery off: MTU is pinned at $MTU on the interface, as for the other peers
    printf 'Address = %s\nPort = 655\nSubnet = %s/32\nPMTUDiscovery = no\n' "$me_u" "$me_o" >"$d/$n/hosts/$n"
    printf '#!/bin/sh\nip addr add %s/24 dev "$INTERFACE"\nip link set "$INTERFACE" mtu %s up\n' "$me_o" "$MTU" >"$d/$n/tinc-up"
    chmod +x "$d/$n/tinc-up"
    timeout 60 tincd -c "$d/$n" -K2048 </dev/null >"$d/$n/keygen.log" 2>&1 || { put tinc note "keygen failed"; return 1; }
  done
  cp "$d/a/hosts/a" "$d/b/hosts/a"; cp "$d/b/hosts/b" "$d/a/hosts/b"
  local t0; t0=$(now_us)
  start_bg tinc-b "$NS_B" "$d/b.log" tincd -c "$d/b" -D --pidfile="$d/b/pid" || return 1; pb=$BG_PID
  start_bg tinc-a "$NS_A" "$d/a.log" tincd -c "$d/a" -D --pidfile="$d/a/pid" || return 1; pa=$BG_PID
  TUN_PIDS=("$pa" "$pb"); TUN_PORT=655; TUN_IF_A=$IA; TUN_IF_B=$IB
  wait_for 10 sh -c "ip -n $NS_A addr show dev $IA | grep -q $OA && ip -n $NS_B addr show dev $IB | grep -q $OB" \
    || { put tinc note "tun not up: $(tail -n3 "$d/a.log" | tr '\n' ' ')"; return 1; }
  put tinc tun_vnet_hdr "$(ip -n "$NS_A" -d link show dev "$IA" | grep -o 'vnet_hdr [a-z]*' | cut -d' ' -f2)"
  record_mem tinc rss_start_kb_both VmRSS
  # tinc: meta connection (TCP, RSA) + key exchange happen after start; poll
  local ok=0 i
  for ((i = 0; i < 40; i++)); do
    T=3 nsa ping -n -c1 -W0.5 "$OB" >/dev/null 2>&1 && { ok=1; break; }
  done
  ((ok)) || { put tinc note "no ping after start: $(tail -n3 "$d/a.log" | tr '\n' ' ')"; return 1; }
  put tinc start_to_reply_ms "$(since_ms "$t0")"
  sleep 1
  load_tests tinc "$OB"
  record_mem tinc rss_hwm_kb_both VmHWM
  stop_pids "$pa" "$pb"; TUN_PIDS=(); TUN_PORT=
}

# meshd_pids NODEPID -> the parent and its three children
meshd_pids() { echo "$1" $(pgrep -P "$1"); }
# pss_kb PID... -> proportional set size summed (shared rings counted once)
pss_kb() { local p t=0 x; for p in "$@"; do x=$(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null); t=$((t + ${x:-0})); done; echo "$t"; }

peer_meshd() {   # peer_meshd [LEVER]: with LEVER, an ablation run with it off;
                 # LEVER "obfs": a mesh of the two, obfuscation on (issue 18)
  local root=${MESHD_ROOT:-} lever=${1:-} me=meshd$SFX
  local -a envp=()
  [[ -n $lever ]] && { me=meshd-off-$lever; envp=(env "MESHD_LEVERS_OFF=$lever"); }
  [[ $lever == obfs ]] && { me=meshd-obfs; envp=(); }
  [[ -n $root && -x $root/sbin/meshd ]] || { put "$me" note "MESHD_ROOT not set"; return 1; }
  command -v wg >/dev/null || { put "$me" note "wg missing (keys)"; return 1; }
  MD_RUNS=$((MD_RUNS + 1))
  local d=$TMP/$me IA=mbmd$$${MD_RUNS}a IB=mbmd$$${MD_RUNS}b pa pb ka kb n
  mkdir -p "$d"; (umask 077; wg genkey >"$d/a.key"; wg genkey >"$d/b.key")
  ka=$(wg pubkey <"$d/a.key"); kb=$(wg pubkey <"$d/b.key")
  mkconf() {  # me if overlay peerkey peer_overlay peer_underlay
    cat >"$d/$1.conf" <<EOF
interface "$2" {
	address $3/24
	mtu $MTU
	listen-port 51820
	private-key-file "$d/$1.key"
}
peer "other" {
	public-key "$4"
	endpoint "$6:51820"
	allowed-ips $5/32
}
EOF
  }
  # obfuscated: a mesh, a its coordinator, with obfuscation on; the same
  # MTU, so full-sized packets have no room for padding, smaller ones do
  mkmesh() {  # me if overlay [coordinator-key coordinator-underlay]
    local role= coord
    if [[ -z ${4:-} ]]; then
      role="-R coordinator"; coord=$(printf '\tserve coordinator')
    else
      coord=$(printf '\tcoordinator "a" {\n\t\tpublic-key "%s"\n\t\tendpoint "%s:51820"\n\t}' "$4" "$5")
    fi
    "$root/sbin/meshctl" sign -k "$d/ca.key" -m bench -n "$1" \
        -p "$(wg pubkey <"$d/$1.key")" -a "$3" $role >"$d/$1.crt" || return 1
    cat >"$d/$1.conf" <<EOF
interface "$2" {
	address $3/24
	mtu $MTU
	listen-port 51820
	private-key-file "$d/$1.key"
}
mesh "bench" {
	ca "$("$root/sbin/meshctl" ca pubkey <"$d/ca.key")"
	certificate-file "$d/$1.crt"
	port-mapping off
	obfuscation on
$coord
}
EOF
  }
  if [[ $lever == obfs ]]; then
    (umask 077; "$root/sbin/meshctl" ca genkey >"$d/ca.key") &&
        mkmesh a "$IA" "$OA" && mkmesh b "$IB" "$OB" "$ka" "$UA" ||
        { put "$me" note "mesh certificates failed"; return 1; }
  else
    mkconf a "$IA" "$OA" "$kb" "$OB" "$UB"; mkconf b "$IB" "$OB" "$ka" "$OA" "$UA"
  fi
  "$root/sbin/meshd" -n -f "$d/a.conf" 2>/dev/null || { put "$me" note "bad config"; return 1; }
  local t0; t0=$(now_us)
  start_bg meshd-a "$NS_A" "$d/a.log" "${envp[@]}" "$root/sbin/meshd" -d -f "$d/a.conf" -s "$d/a.sock" || return 1; pa=$BG_PID
  start_bg meshd-b "$NS_B" "$d/b.log" "${envp[@]}" "$root/sbin/meshd" -d -f "$d/b.conf" -s "$d/b.sock" || return 1; pb=$BG_PID
  wait_for 5 test -S "$d/a.sock" && wait_for 5 test -S "$d/b.sock" || { put "$me" note "no control socket: $(tail -n2 "$d/a.log" | tr '\n' ' ')"; return 1; }
  sleep 0.3
  TUN_PIDS=($(meshd_pids "$pa") $(meshd_pids "$pb")); TUN_PORT=51820; TUN_IF_A=$IA; TUN_IF_B=$IB
  for n in "${TUN_PIDS[@]}"; do track "$n"; done
  put "$me" tun_vnet_hdr "$(ip -n "$NS_A" -d link show dev "$IA" | grep -o 'vnet_hdr [a-z]*' | cut -d' ' -f2)"
  put "$me" start_to_tun_ms "$(since_ms "$t0")"
  record_mem "$me" rss_start_kb_both VmRSS
  local c0=0 p; for p in "${TUN_PIDS[@]}"; do c0=$((c0 + $(cpu_ns "$p"))); done
  t0=$(now_us)
  if ! first_ping "$OB"; then put "$me" note "first ping failed: $(tail -n3 "$d/a.log" | tr '\n' ' ')"; return 1; fi
  put "$me" hs_ping_to_reply_ms "$(since_ms "$t0")"
  put "$me" hs_first_rtt_ms "$FP_RTT"
  local c1=0; for p in "${TUN_PIDS[@]}"; do c1=$((c1 + $(cpu_ns "$p"))); done
  put "$me" hs_first_cpu_us "$(( (c1 - c0) / 1000 ))"
  if [[ -n $lever ]]; then
    compare_tests "$me" meshd "$OB"
  else
    load_tests meshd "$OB"
  fi
  record_mem "$me" rss_hwm_kb_both VmHWM
  put "$me" pss_node_a_kb "$(pss_kb $(meshd_pids "$pa"))"
  stop_pids "${TUN_PIDS[@]}"; TUN_PIDS=(); TUN_PORT=
}

# ---------------------------------------------------------------- main
[[ $(id -u) == 0 ]] || die "needs root (netns, veth, tun)"
for c in ip iperf3 ping timeout pgrep ss awk; do command -v "$c" >/dev/null || die "missing $c"; done
[[ $GUARD == 1 ]] && { command -v nft >/dev/null || die "missing nft (or set MB_GUARD=0)"; }
[[ -c /dev/net/tun ]] || die "/dev/net/tun missing"

((PIN)) && { [[ $(nproc) -ge 2 ]] && command -v taskset >/dev/null || { log "MB_PIN needs 2 CPUs and taskset; not pinning"; PIN=0; }; }
log "run $RUN_ID: namespaces $NS_A/$NS_B, peers $PEERS, ${DUR}s per iperf3 test, pin=$PIN guard=$GUARD"
setup_ns
start_iperf_server
IFS=, read -ra LIST <<<"$PEERS"
for p in "${LIST[@]}"; do
  case $p in raw|wg|meshd|nebula|tinc) ;; *) log "unknown peer '$p' (raw,wg,meshd,nebula,tinc)"; continue ;; esac
  ORDER+=("$p"); log "== $p"
  if ! "peer_$p"; then
    log "$p: failed or skipped (${R[$p.note]:-see above})"
    [[ -n ${R[$p.note]:-} ]] || put "$p" note failed
    ((${#TUN_PIDS[@]})) && stop_pids "${TUN_PIDS[@]}"; TUN_PIDS=(); TUN_PORT=
  fi
done
# ablation: meshd once per lever with that lever off
# obfuscated (issue 18): the cost, with the same tests as a lever's
if [[ ${MB_OBFS:-1} == 1 && " ${ORDER[*]} " == *" meshd "* && -z ${R[meshd.note]:-} ]]; then
  log "== meshd, a mesh with obfuscation on"
  if ! peer_meshd obfs; then
    log "meshd-obfs: failed (${R[meshd-obfs.note]:-see above})"
    ((${#TUN_PIDS[@]})) && stop_pids "${TUN_PIDS[@]}"; TUN_PIDS=(); TUN_PORT=
  fi
fi
declare -a ABL=()
if [[ -n $ABLATE && " ${ORDER[*]} " == *" meshd "* && -z ${R[meshd.note]:-} ]]; then
  IFS=, read -ra ALIST <<<"$ABLATE"
  for l in "${ALIST[@]}"; do
    [[ $l =~ ^[a-z0-9]+$ ]] || { log "ablation: bad lever name '$l'"; continue; }
    ABL+=("$l"); log "== meshd with lever $l off (MESHD_LEVERS_OFF=$l)"
    if ! peer_meshd "$l"; then
      log "meshd-off-$l: failed (${R[meshd-off-$l.note]:-see above})"
      ((${#TUN_PIDS[@]})) && stop_pids "${TUN_PIDS[@]}"; TUN_PIDS=(); TUN_PORT=
    fi
  done
fi
# one core against two: the peers again, everything on CPU 0
declare -a ONE=()
if [[ -n $ONECORE_PEERS ]] && command -v taskset >/dev/null; then
  IFS=, read -ra OLIST <<<"$ONECORE_PEERS"
  HS_SAVE=$HS_CYCLES; HS_CYCLES=0; ONECORE=1; SFX=-1core
  taskset -a -p -c 0 "$IPERF_SRV" >/dev/null
  for p in "${OLIST[@]}"; do
    [[ $p != raw && " ${ORDER[*]} " == *" $p "* && -z ${R[$p.note]:-} ]] || continue
    ONE+=("$p"); log "== $p, everything on one core (taskset -c 0)"
    if ! "peer_$p"; then
      log "$p-1core: failed (${R[$p-1core.note]:-see above})"
      [[ -n ${R[$p-1core.note]:-} ]] || put "$p" note failed
      ((${#TUN_PIDS[@]})) && stop_pids "${TUN_PIDS[@]}"; TUN_PIDS=(); TUN_PORT=
    fi
  done
  ONECORE=0; SFX=; HS_CYCLES=$HS_SAVE
  taskset -a -p -c "0-$(($(nproc) - 1))" "$IPERF_SRV" >/dev/null
fi
G=$( [[ $GUARD == 1 ]] && guard_drops || echo off )

# ---------------------------------------------------------------- report
ROWS=(
  "ping_avg_ms|RTT avg ms ($PINGS x 10ms)" "ping_p50_ms|RTT p50 ms" "ping_p99_ms|RTT p99 ms" "ping_max_ms|RTT max ms"
  "ping_ctxsw_per_pkt|  context switches per ping (both)" "ping_cpu_us_per_pkt|  tunnel CPU us per ping (both)"
  "tcp1.mbps|TCP 1 stream Mbit/s" "tcp1.retr|  retransmits" "tcp1.tun_cpu_s|  tunnel CPU s (both ends)"
  "tcp1.tun_sys_s|  of which kernel (sys) s" "tcp1.MB_per_cpu_s|  MB per tunnel CPU-s" "tcp1.sys_busy_pct|  machine busy % (2 cores)" "tcp1.steal_pct|  hypervisor steal %" "tcp1.other_cpu_pct|  CPU % of processes not ours"
  "tcp1.wire_pps|  veth pkts/s A->B" "tcp1.wire_avg_B|  veth avg pkt bytes" "tcp1.tun_sock_drops|  tunnel UDP socket drops" "tcp1.tun_dev_drops|  drops entering TUN (qdisc/dev)"
  "tcp4.mbps|TCP 4 streams Mbit/s" "tcp4.retr|  retransmits" "tcp4.tun_cpu_s|  tunnel CPU s" "tcp4.MB_per_cpu_s|  MB per tunnel CPU-s"
  "tcp4.rss_kb_both|  RSS mid-load KiB (both)" "tcp4.threads_both|  threads (both)"
  "udp.mbps|UDP ${UDP_LEN}B -b0 Mbit/s rx" "udp.tx_kpps|  tx kpps (iperf3 sent)" "udp.rx_kpps|  rx kpps" "udp.loss_pct|  loss %"
  "udp.tun_sock_drops|  tunnel UDP socket drops" "udp.tun_dev_drops|  drops entering TUN (qdisc/dev)" "udp.iperf_sock_drops|  iperf3 rx socket drops" "udp.tun_cpu_s|  tunnel CPU s"
  "udp64.tx_kpps|UDP ${SMALL_LEN}B -b0 tx kpps" "udp64.rx_kpps|  rx kpps" "udp64.loss_pct|  loss %"
  "udp64.tun_sock_drops|  tunnel UDP socket drops" "udp64.tun_dev_drops|  drops entering TUN (qdisc/dev)" "udp64.tun_cpu_s|  tunnel CPU s"
  "sweep_kpps_le1pct|UDP ${SMALL_LEN}B fixed-rate: kpps @loss<=1%" "sweep_cpu_us_per_pkt|  tunnel CPU us/pkt at that rate" "sweep_max_rx_kpps|  max rx kpps on the ladder"
  "hs_wgset_to_reply_ms|wg set -> 1st reply ms" "hs_ping_to_reply_ms|1st ping -> reply ms" "start_to_reply_ms|daemon start -> 1st reply ms"
  "hs_first_rtt_ms|1st ping RTT (incl. handshake) ms"
  "hs_first_cpu_us|  CPU us during 1st handshake" "hs_rtt_median_ms|re-handshake 1st RTT median ms" "hs_cycles_ok|  re-handshakes answered"
  "hs_cpu_us|  CPU us per handshake (both ends)"
  "idle_cpu_ms_per_10s|idle CPU ms per 10 s (both ends)" "rss_start_kb_both|RSS idle KiB (both ends)" "rss_hwm_kb_both|RSS peak KiB (both ends)" "pss_node_a_kb|PSS one meshd node after load KiB" "tun_vnet_hdr|TUN vnet_hdr (offload)" "note|note"
)
printf '\n%-36s' "metric (run $RUN_ID)"; for p in "${ORDER[@]}"; do printf '%14s' "$p"; done; printf '\n'
for row in "${ROWS[@]}"; do
  k=${row%%|*}; label=${row#*|}; any=0
  for p in "${ORDER[@]}"; do [[ -n ${R[$p.$k]:-} ]] && any=1; done
  ((any)) || continue
  printf '%-36s' "$label"; for p in "${ORDER[@]}"; do printf '%14s' "${R[$p.$k]:--}"; done; printf '\n'
done
# meshd as a ratio to wireguard-go, where both ran
if [[ -n ${R[meshd.tcp1.mbps]:-} && -n ${R[wg.tcp1.mbps]:-} ]]; then
  printf '\n%-36s%14s\n' "meshd / wireguard-go" "ratio"
  for row in "tcp1.mbps|TCP 1 stream" "tcp4.mbps|TCP 4 streams" "udp.mbps|UDP ${UDP_LEN}B Mbit/s" \
      "udp64.rx_kpps|UDP ${SMALL_LEN}B -b0 rx kpps" "sweep_kpps_le1pct|UDP ${SMALL_LEN}B kpps @loss<=1%" \
      "sweep_cpu_us_per_pkt|CPU us/pkt (lower is better)" "tcp1.MB_per_cpu_s|MB per CPU-s (TCP 1)" \
      "tcp4.rss_kb_both|RSS under load (lower is better)"; do
    k=${row%%|*}; label=${row#*|}
    printf '%-36s%14s\n' "$label" "$(awk -v a="${R[meshd.$k]:-}" -v b="${R[wg.$k]:-}" 'BEGIN{ if (a+0 == 0 || b+0 == 0) print "-"; else printf "%.2fx", a/b }')"
  done
fi
# ratio a/b of two figures, "-" unless both are numbers above 0
ratio() { awk -v a="${1:-}" -v b="${2:-}" 'BEGIN{ if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || a+0 == 0 || b+0 == 0) print "-"; else printf "%.2fx", a/b }'; }

# the 64-byte ladder: what each peer delivered at each offered rate
SWEEP_MAXSTEP=0
for ((i = 1; i <= 20; i++)); do
  for p in "${ORDER[@]}"; do [[ -n ${R[$p.sw$i.rx_kpps]:-} ]] && SWEEP_MAXSTEP=$i; done
done
if ((SWEEP_MAXSTEP > 0)); then
  printf '\n%-36s' "UDP ${SMALL_LEN}B ladder: rx kpps/loss%"; for p in "${ORDER[@]}"; do printf '%14s' "$p"; done; printf '\n'
  for ((i = 1; i <= SWEEP_MAXSTEP; i++)); do
    off=-; for p in "${ORDER[@]}"; do [[ -n ${R[$p.sw$i.offered_kpps]:-} ]] && off=${R[$p.sw$i.offered_kpps]}; done
    printf '%-36s' "  offered $off kpps"
    for p in "${ORDER[@]}"; do
      if [[ -n ${R[$p.sw$i.rx_kpps]:-} ]]; then printf '%14s' "${R[$p.sw$i.rx_kpps]}/${R[$p.sw$i.loss_pct]:--}"
      else printf '%14s' -; fi
    done
    printf '\n'
  done
fi

# meshd against the best of the other userspace VPNs, with the targets of issue 17
# best_of METRIC hi|lo -> "peer value" of the best other peer, or nothing
best_of() {
  local k=$1 dir=$2 p v bp= bv=
  for p in wg nebula tinc; do
    v=${R[$p.$k]:-}; [[ $v =~ ^[0-9.]+$ ]] && awk -v v="$v" 'BEGIN{exit !(v > 0)}' || continue
    if [[ -z $bv ]] || awk -v a="$v" -v b="$bv" -v d="$dir" 'BEGIN{exit !(d == "hi" ? a > b : a < b)}'; then bp=$p; bv=$v; fi
  done
  [[ -n $bp ]] && echo "$bp $bv"
}
if [[ -n ${R[meshd.ping_avg_ms]:-} ]] && [[ -n $(best_of ping_avg_ms lo) ]]; then
  printf '\n%-36s%10s%10s%10s%9s%8s%5s\n' "meshd / best other peer" "best" "value" "meshd" "ratio" "target" "met"
  for row in "tcp1.mbps|hi|3|TCP 1 stream Mbit/s" "tcp4.mbps|hi|3|TCP 4 streams Mbit/s" \
      "sweep_kpps_le1pct|hi|2|${SMALL_LEN}B kpps @loss<=1%" "sweep_cpu_us_per_pkt|lo|0.5|  CPU us/pkt at that rate" \
      "ping_avg_ms|lo|1|RTT avg ms (aim 0.5x)" "ping_p50_ms|lo|-|RTT p50 ms" "ping_p99_ms|lo|-|RTT p99 ms"; do
    IFS='|' read -r k dir tgt label <<<"$row"
    b=$(best_of "$k" "$dir"); [[ -n $b ]] || continue
    set -- $b
    rt=$(ratio "${R[meshd.$k]:-}" "$2")
    met=-
    if [[ $tgt != - && $rt != - ]]; then
      met=$(awk -v r="${rt%x}" -v t="$tgt" -v d="$dir" 'BEGIN{print ((d == "hi" ? r >= t : r <= t) ? "yes" : "NO")}')
      [[ $dir == hi ]] && tgt=">=${tgt}x" || tgt="<=${tgt}x"
    fi
    printf '%-36s%10s%10s%10s%9s%8s%5s\n' "$label" "$1" "$2" "${R[meshd.$k]:--}" "$rt" "$tgt" "$met"
  done
fi

# the ratio tables: the figures compare_tests records, five columns
CMP_KEYS=(tcp1.mbps tcp4.mbps sweep_kpps_le1pct ping_avg_ms ping_p50_ms)
cmp_head() { printf '\n%-36s%10s%10s%10s%10s%10s\n' "$1" "TCP 1" "TCP 4" "${SMALL_LEN}B kpps" "RTT avg" "RTT p50"; }
cmp_abs() {    # cmp_abs LABEL NAME: NAME's figures as measured
  local k; printf '%-36s' "$1"; for k in "${CMP_KEYS[@]}"; do printf '%10s' "${R[$2.$k]:--}"; done; printf '\n'
}
cmp_ratio() {  # cmp_ratio LABEL NAME BASE: NAME / BASE, or NAME's note
  local k
  if [[ -n ${R[$2.note]:-} ]]; then printf '%-36s%10s\n' "$1" "${R[$2.note]}"; return; fi
  printf '%-36s' "$1"; for k in "${CMP_KEYS[@]}"; do printf '%10s' "$(ratio "${R[$2.$k]:-}" "${R[$3.$k]:-}")"; done; printf '\n'
}
# obfuscation's cost: obfuscated / plain (issue 18: within 10%)
if [[ -n ${R[meshd-obfs.tcp1.mbps]:-} ]]; then
  cmp_head "meshd obfuscated / plain"
  cmp_abs "  obfuscated (absolute)" meshd-obfs
  cmp_ratio "  ratio" meshd-obfs meshd
fi
# ablation: each lever off, as a ratio to meshd with every lever on.  For
# throughput below 1.00x means the lever helps; for RTT above 1.00x does.
if ((${#ABL[@]})); then
  cmp_head "meshd, one lever off / all on"
  cmp_abs "  all levers on (absolute)" meshd
  for l in "${ABL[@]}"; do cmp_ratio "  $l off" "meshd-off-$l" meshd; done
fi
# one core / two cores: how each peer grows with a second core (both ends,
# iperf3 and ping share the cores in either case)
if ((${#ONE[@]})); then
  cmp_head "one core / two cores"
  for p in "${ONE[@]}"; do
    if [[ -z ${R[$p-1core.note]:-} ]]; then cmp_abs "  $p, one core (absolute)" "$p-1core"; fi
    cmp_ratio "  $p, one / two" "$p-1core" "$p"
  done
fi
printf '\n%-36s%14s\n' "guard: packets dropped (non-lab dst)" "$G"
printf '%-36s%14s\n' "max CPU % not ours (main tests)" "$OTHER_MAX"
((OTHER_MAX > 10)) && log "WARNING: up to $OTHER_MAX% of the CPU went to processes this script did not start; the machine was not quiet"
[[ -n ${MB_OUT:-} ]] && printf '%s\t%s\t%s\t%s\n' "$RUN_ID" all other_cpu_max_pct "$OTHER_MAX" >>"$MB_OUT"
[[ -n ${MB_OUT:-} ]] && printf '%s\t%s\t%s\t%s\n' "$RUN_ID" all guard_drops "$G" >>"$MB_OUT"
exit 0
