#!/usr/bin/env bash
# udp-offload.sh - what UDP_SEGMENT and UDP_GRO in meshd-net are worth
# (issue 17): two nodes in two namespaces, iperf3 TCP a -> b through the
# tunnel for UO_SECS, once with the offloads on and once with
# MESHD_LEVERS_OFF=gso,gro (the plain path).  Per mode: throughput,
# meshd-net's CPU time per datagram at each end (/proc, no tracer), its
# system calls per datagram over a second window under strace -c (which
# slows everything: compare the counts, not the times), and its PSS
# after the load.  Counts, not timings, are what a busy machine leaves
# alone.  Reported, never asserted.
#
#   environment: UO_SECS=8, UO_MODES="on off"
#   MESHD_ROOT, MESHD_BUILD: the installation and build (make bench)
set -u
export LC_ALL=C
: "${MESHD_ROOT:?set MESHD_ROOT to an installation (make bench does)}"
: "${MESHD_BUILD:=$(dirname "$0")/../build}"
. "$(dirname "$0")/../regress/lib.sh"
SECS=${UO_SECS:-8}
say() { printf '%s\n' "$*"; }
[ "$(id -u)" = 0 ] || { say "udp-offload.sh: skipped (needs root)"; exit 0; }
for c in jq wg iperf3 strace; do
	command -v "$c" >/dev/null || { say "udp-offload.sh: skipped ($c" \
	    "missing)"; exit 0; }
done
[ "$SECS" -ge 4 ] || SECS=4

A=uoa$$ B=uob$$
two_hosts "$A" "$B" 198.18.17 || { say "udp-offload.sh: no namespaces"
	exit 1; }
for n in a b; do
	[ $n = a ] && set -- 1 b "$B_PUB" 2 || set -- 2 a "$A_PUB" 1
	printf '%s\n' 'interface "uo0" {' "	address 100.64.17.$1/24" \
	    '	listen-port 51820' "	private-key-file \"$D/$n.key\"" '}' \
	    "peer \"$2\" {" "	public-key \"$3\"" \
	    "	endpoint \"198.18.17.$4:51820\"" \
	    "	allowed-ips 100.64.17.$4/32" '}' >"$D/$n.conf"
done
ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
netpid() { ctl "$1" -j show status | jq -r '.processes[] |
    select(.role == "net") | .pid'; }
rx() { ctl b -j show status | jq -r .counters.net.received; }
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
pss() { awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup"; }
# calls FILE NAME: a system call's count in strace -c's table
calls() { awk -v s="$2" '$NF == s { print $4 }' "$1"; }
total() { awk '$NF == "total" { print $4 }' "$1"; }
hz=$(getconf CLK_TCK)

run() {	# run on|off
	local na nb r0 r1 ta0 tb0 ta1 tb1 n sa sb w ic
	if [ "$1" = off ]; then export MESHD_LEVERS_OFF=gso,gro
	else unset MESHD_LEVERS_OFF; fi
	meshd_up a "$A" && meshd_up b "$B" &&
	    wait_for 10 ip netns exec "$A" ping -c 1 -W 1 100.64.17.2 ||
	    { say "$1: the tunnel did not come up"; return 1; }
	na=$(netpid a) nb=$(netpid b)
	start_bg IPS ip netns exec "$B" iperf3 -s -1 -B 100.64.17.2 \
	    >/dev/null 2>&1
	wait_for 5 ip netns exec "$B" sh -c "ss -ltn | grep -q :5201"
	ip netns exec "$A" iperf3 -c 100.64.17.2 -t "$SECS" -J \
	    >"$D/$1.json" 2>&1 &
	ic=$!
	sleep 1
	w=$(( (SECS - 2) / 2 ))
	r0=$(rx) ta0=$(ticks "$na") tb0=$(ticks "$nb")
	sleep "$w"
	r1=$(rx) ta1=$(ticks "$na") tb1=$(ticks "$nb")
	n=$((r1 - r0))
	timeout "$w" strace -c -f -p "$na" -o "$D/$1.sa" 2>/dev/null &
	sa=$!
	timeout "$w" strace -c -f -p "$nb" -o "$D/$1.sb" 2>/dev/null &
	sb=$!
	r0=$(rx)
	wait "$sa" "$sb"
	r1=$(rx)
	wait "$ic"
	say "$1: $(jq -r '.end.sum_received.bits_per_second / 1e6 |
	    floor' "$D/$1.json") Mbit/s a -> b, $n datagrams in ${w} s"
	[ "$n" -gt 0 ] && say "$1: meshd-net CPU us per datagram:" \
	    "a (sends) $(( (ta1 - ta0) * 1000000 / hz * 100 / n ))e-2," \
	    "b (receives) $(( (tb1 - tb0) * 1000000 / hz * 100 / n ))e-2"
	n=$((r1 - r0))
	[ "$n" -gt 0 ] && say "$1: under strace, $n datagrams:" \
	    "a $(total "$D/$1.sa") calls ($(calls "$D/$1.sa" sendmmsg)" \
	    "sendmmsg), b $(total "$D/$1.sb") calls" \
	    "($(calls "$D/$1.sb" recvmmsg) recvmmsg):" \
	    "$(( $(total "$D/$1.sa") * 1000 / n ))e-3 and" \
	    "$(( $(total "$D/$1.sb") * 1000 / n ))e-3 a datagram"
	say "$1: meshd-net PSS after the load: a $(pss "$na") KiB," \
	    "b $(pss "$nb") KiB"
	say "$1: $(ctl a -j show status | jq -r '.counters.net |
	    "a: gso sends \(.gso_sends), datagrams \(.gso_datagrams)"');" \
	    "$(ctl b -j show status | jq -r '.counters.net |
	    "b: gro reads \(.gro_reads), datagrams \(.gro_datagrams)"')"
	kill "$PID_a" "$PID_b" 2>/dev/null
	wait "$PID_a" "$PID_b" 2>/dev/null
	return 0
}

for m in ${UO_MODES:-on off}; do
	run "$m"
done
exit 0
