#!/usr/bin/env bash
# 100 reloads while traffic flows.  Two meshd nodes a and b have a session
# with a preshared key; a ping every 50 ms (and, with iperf3, a 20 Mbit/s
# TCP stream) runs a -> b through the tunnel while a is reloaded 100 times,
# by meshctl reload and by SIGHUP, each time with a config that adds or
# removes a third peer c (a fresh key each time, a preshared key, allowed
# ips, no endpoint) and leaves b alone.  100 more peers without an
# endpoint stay in a's config throughout, so that whatever a reload might
# leak per peer is leaked 100 times over.  Every reload must succeed; b's
# session must stay (no new handshake on either side: the loop ends long
# before REKEY_AFTER_TIME, 120 s, or a late rekey is told apart from a
# drop); meshd must count no drop for b, and every ping must be answered
# but the one in flight when it is stopped and those the kernel may have
# dropped at a full UDP socket buffer (which it counts: on 2 busy cores
# the TCP stream can overflow meshd-net's buffer, reloads or not); every
# packet either TUN handed meshd must come out of the other TUN or be
# counted as dropped, by meshd or by a kernel; no process of a may gain
# a descriptor, or more than 512 KiB of resident memory, between reload
# 10 and reload 100.  Underlay 198.19.51.0/24.

. "$(dirname "$0")/../lib.sh"
need_root
for c in jq wg ping; do
	command -v "$c" >/dev/null || skip_all "$c missing"
done
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

NRELOAD=100
WARMUP=10
# (over 52 peers, meshd-tun's qsort(3) of its peer table makes glibc
# call sysinfo(2), which its seccomp filter must allow)
NFILL=100
RSS_MAX_KB=512
REKEY_AFTER_TIME=120

A=rl-a$$ B=rl-b$$
netns_new "$A"; netns_new "$B"
veth_pair "$A" rla 198.19.51.1/24 "$B" rlb 198.19.51.2/24
tmpdir_new D

(umask 077; wg genkey >"$D/a.key"; wg genkey >"$D/b.key"; wg genpsk >"$D/ab.psk"
 wg genpsk >"$D/c.psk")
A_PUB=$(wg pubkey <"$D/a.key"); B_PUB=$(wg pubkey <"$D/b.key")
# a fresh key for c each time it comes back
C_PUBS=()
for ((i = 0; i < NRELOAD / 2 + 1; i++)); do C_PUBS+=("$(wg genkey | wg pubkey)"); done
for ((i = 1; i <= NFILL; i++)); do
	printf 'peer "f%d" {\n\tpublic-key "%s"\n\tallowed-ips 10.52.%d.0/24\n}\n' \
	    "$i" "$(wg genkey | wg pubkey)" "$i"
done >"$D/fill.conf"

conf() {	# conf ME MYNUM PEERNAME PEERPUB PEERNUM [C-PUBKEY]
	cat <<EOF
interface "rl0" {
	address 100.64.51.$2/24
	listen-port 51820
	private-key-file "$D/$1.key"
}
peer "$3" {
	public-key "$4"
	preshared-key-file "$D/ab.psk"
	endpoint "198.19.51.$5:51820"
	allowed-ips 100.64.51.$5/32
}
EOF
	[ -n "${6:-}" ] && cat <<EOF
peer "c" {
	public-key "$6"
	preshared-key-file "$D/c.psk"
	allowed-ips 100.64.51.3/32, 10.51.0.0/16
}
EOF
	return 0
}
conf_a() {	# conf_a [C-PUBKEY]
	conf a 1 b "$B_PUB" 2 "$@"
	cat "$D/fill.conf"
}
conf_a >"$D/a.conf"
conf b 2 a "$A_PUB" 1 >"$D/b.conf"

# An ASan build keeps freed memory in a quarantine (256 MB) before reuse,
# so its resident size grows with every malloc/free, leak or not (by
# 8 MB in the parent and 38 MB in meshd-crypto over 90 reloads in one
# run).
# Without the quarantine memory is reused as in a normal build, and the
# bound on growth means the same thing.
if ldd "$MESHD" 2>/dev/null | grep -q libasan; then
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
	diag "ASan build: ASAN_OPTIONS=$ASAN_OPTIONS"
fi

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
for n in a b; do
	ns=$A; [ $n = b ] && ns=$B
	meshd_up $n "$ns"
	ok $? "node $n starts" || { diag "$(cat "$D/$n.log")"; done_testing; exit 1; }
done
# the first handshake: if b was not listening yet, a tries again 5 s on
t "a -> b ping: a session" ip netns exec "$A" ping -c 3 -i 0.2 -W 2 -w 15 100.64.51.2 ||
    { diag "a:" "$(cat "$D/a.log")" "b:" "$(cat "$D/b.log")"; done_testing; exit 1; }
# a process that ended but is not reaped yet still answers kill -0
alive() { local st; st=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ]; }
# stop PID SIGNAL: signal a background job, give it 5 s, then kill it
stop() {
	kill -"$2" "$1" 2>/dev/null
	wait_for 5 sh -c "! grep -q '^State:[^Z]*\$' /proc/$1/status 2>/dev/null" ||
	    kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

declare -A P
js=$(ctl a -j show status)
for role in parent net crypto tun; do
	P[$role]=$(jq -r ".processes[] | select(.role == \"$role\") | .pid" <<<"$js")
done
pids0="${P[parent]} ${P[net]} ${P[crypto]} ${P[tun]}"

# what says whether b's session was made again: the handshake time (to
# the second) and the handshake messages each side's meshd-crypto took in
hs_state() {	# hs_state: "LATEST A-HANDSHAKES B-HANDSHAKES"
	echo "$(ctl a -j show peer b | jq -r .latest_handshake)" \
	    "$(ctl a -j show status | jq -r .counters.crypto.handshakes)" \
	    "$(ctl b -j show status | jq -r .counters.crypto.handshakes)"
}

# datagrams the kernel dropped in namespace NS because a UDP socket's
# receive buffer was full (before meshd-net could read them)
udp_rcvbuf_errors() {
	ip netns exec "$1" awk '/^Udp:/ && !h { for (i = 2; i <= NF; i++)
	    if ($i == "RcvbufErrors") c = i; h = 1; next }
	    /^Udp:/ { print $c }' /proc/net/snmp
}
# the drops meshd counted on b's path: a's for peer b, b's for peer a
meshd_drops() {
	echo $(( $(ctl a -j show peer b | jq '[.dropped[]] | add') +
	    $(ctl b -j show peer a | jq '[.dropped[]] | add') ))
}
# packet accounting over both nodes: what the kernels handed the two
# meshd-tun (TUN tx), what those wrote back (TUN rx), what meshd counted
# as dropped (every counter, every peer and none) and what the kernels
# dropped on the way (full UDP socket buffers, TUN rx drops)
tun_stat() { ip netns exec "$1" cat "/sys/class/net/rl0/statistics/$2"; }
accounting() {	# accounting: "IN OUT COUNTED KERNEL"
	local n ns in=0 out=0 counted=0 kernel=0
	for n in a b; do
		ns=$A; [ $n = b ] && ns=$B
		in=$((in + $(tun_stat "$ns" tx_packets)))
		out=$((out + $(tun_stat "$ns" rx_packets)))
		kernel=$((kernel + $(tun_stat "$ns" rx_dropped) +
		    $(udp_rcvbuf_errors "$ns")))
		counted=$((counted + $(ctl $n -j show status |
		    jq '[.counters[].dropped[]] | add') + $(ctl $n -j show peers |
		    jq '[.peers[].dropped[]] | add // 0')))
	done
	echo "$in $out $counted $kernel"
}

# ---- traffic
udp0=$(( $(udp_rcvbuf_errors "$A") + $(udp_rcvbuf_errors "$B") ))
drops0=$(meshd_drops)
acct0=$(accounting)
start_bg PING ip netns exec "$A" ping -n -O -i 0.05 100.64.51.2 >"$D/ping.out" 2>&1
IPERF=""
if command -v iperf3 >/dev/null; then
	start_bg IPERF_S ip netns exec "$B" iperf3 -s -1 -B 100.64.51.2 >/dev/null 2>&1
	wait_for 5 ip netns exec "$B" sh -c "ss -ltn | grep -q '100.64.51.2:5201'"
	start_bg IPERF ip netns exec "$A" iperf3 -c 100.64.51.2 -t 600 \
	    -b 20M -i 1 --forceflush >"$D/iperf.out" 2>&1
fi
wait_for 5 grep -q "icmp_seq=2 " "$D/ping.out"
ok $? "the ping runs" || diag "$(cat "$D/ping.out")"
# let the packet rings fill once before reload 10's snapshot: their pages
# count in VmRSS as they are first touched
if [ -n "$IPERF" ]; then
	wait_for 10 sh -c "[ \$(grep -c ' sec .*bits/sec' '$D/iperf.out') -ge 3 ]"
	ok $? "the iperf3 stream runs" || diag "$(cat "$D/iperf.out")"
else
	sleep 2
fi

# ---- the reloads
# reload I: odd I add c (key number I/2), even I remove it; every third
# goes by SIGHUP, the others by meshctl reload; 100 ms apart, so that
# traffic passes between them.  RELOAD_ERR says why one failed.
reload() {
	local i=$1 want=$((NFILL + 1)) n0 out
	if [ $((i % 2)) = 1 ]; then
		conf_a "${C_PUBS[$((i / 2))]}" >"$D/a.conf.new"
		want=$((NFILL + 2))
	else
		conf_a >"$D/a.conf.new"
	fi
	mv "$D/a.conf.new" "$D/a.conf"
	if [ $((i % 3)) = 0 ]; then
		n0=$(grep -c "^reload done: \|^reload failed" "$D/a.log")
		kill -HUP "$PID_a"
		# (or until meshd is gone)
		wait_for 10 sh -c "[ \$(grep -c '^reload done: \|^reload failed' '$D/a.log') -gt $n0 ] ||
		    ! grep -q '^State:[^Z]*\$' /proc/$PID_a/status 2>/dev/null"
		if [ "$(grep -c "^reload done: \|^reload failed" "$D/a.log")" -le "$n0" ]; then
			RELOAD_ERR="SIGHUP $i: no reload logged"; return 1
		fi
		out=$(grep "^reload done: \|^reload failed" "$D/a.log" | tail -1)
	else
		if ! out=$(ctl a reload 2>&1); then
			RELOAD_ERR="meshctl reload $i failed: $out"; return 1
		fi
	fi
	# the first line, up to what changed: "reload done: N peers; ..."
	out=${out%%$'\n'*}
	out=${out%%;*}
	if [ "$out" != "reload done: $want peers" ]; then
		RELOAD_ERR="reload $i ($( [ $((i % 3)) = 0 ] && echo SIGHUP || echo meshctl)): '$out', expected 'reload done: $want peers'"
		return 1
	fi
	return 0
}

# fds and resident memory of a's four processes, once every child is done
# with the last reload (a stats request goes behind the config messages
# on each pipe) and the fd counts hold still
snapshot() {	# snapshot NAME: sets FD_NAME_role and RSS_NAME_role
	local role prev cur n=0
	ctl a show peers >/dev/null
	prev=""
	while [ $n -lt 40 ]; do
		cur=""
		for role in parent net crypto tun; do
			cur="$cur $(ls "/proc/${P[$role]}/fd" | wc -l)"
		done
		[ "$cur" = "$prev" ] && break
		prev=$cur; sleep 0.1; n=$((n + 1))
	done
	for role in parent net crypto tun; do
		printf -v "FD_$1_$role" '%s' "$(ls "/proc/${P[$role]}/fd" | wc -l)"
		# VmRSS less the packet rings (RssShmem): fixed-size shared
		# memory whose pages count as they are first touched, which
		# with offloads' larger batches may be minutes into a slow
		# stream; bounded, so no leak
		printf -v "RSS_$1_$role" '%s' \
		    "$(awk '/^VmRSS:/ { r = $2 } /^RssShmem:/ { s = $2 }
		    END { print r - s }' "/proc/${P[$role]}/status")"
		printf -v "RSSX_$1_$role" '%s' "$(awk '/^Rss(Anon|File|Shmem):/ {
		    printf "%s%s %s", sep, $1, $2; sep = ", " }' \
		    "/proc/${P[$role]}/status")"
	done
}

usec() { local t=${EPOCHREALTIME/[.,]/}; echo "$t"; }
hs0=$(hs_state)
t_loop=$(usec) t_ctl=0 t_hup=0
nok=0 RELOAD_ERR="" first_err=""
for ((i = 1; i <= NRELOAD; i++)); do
	if ! alive "$PID_a"; then
		first_err=${first_err:-"meshd on a is gone before reload $i"}
		break
	fi
	t0=$(usec)
	if reload "$i"; then
		nok=$((nok + 1))
	elif [ -z "$first_err" ]; then
		first_err=$RELOAD_ERR
	fi
	if [ $((i % 3)) = 0 ]; then
		t_hup=$((t_hup + $(usec) - t0))
	else
		t_ctl=$((t_ctl + $(usec) - t0))
	fi
	[ $i = $WARMUP ] && snapshot warm
	sleep 0.1
done
t_loop=$(( $(usec) - t_loop ))
if ! alive "$PID_a"; then
	ok 1 "meshd on a runs through the reloads"
	{ echo "$first_err"; echo "a's log:"; tail -20 "$D/a.log"; } | sed 's/^/# /'
	stop "$PING" INT; [ -n "$IPERF" ] && { stop "$IPERF" INT; stop "$IPERF_S" TERM; }
	done_testing; exit 1
fi
snapshot end
hs1=$(hs_state)
is "$nok" "$NRELOAD" "all $NRELOAD reloads succeed ($((NRELOAD - NRELOAD / 3)) by meshctl, $((NRELOAD / 3)) by SIGHUP)" ||
    diag "first failure: $first_err"
nhup=$((NRELOAD / 3)) nctl=$((NRELOAD - NRELOAD / 3))
diag "$NRELOAD reloads took $(( (t_ctl + t_hup) / 1000 )) ms, from the config write to the result seen: $nctl by meshctl $((t_ctl / 1000)) ms ($((t_ctl / nctl)) us each), $nhup by SIGHUP $((t_hup / 1000)) ms ($((t_hup / nhup)) us each, the log polled every 50 ms); the loop, with 100 ms pauses, $((t_loop / 1000)) ms"
is "$(ctl a -j show peers | jq -r '.peers | map(.name) | join(",")')" \
    "b,$(seq -s, -f 'f%g' 1 "$NFILL")" "after an even number of reloads c is gone again"

# ---- b's session
set -- $hs0; h0=$1 a0=$2 b0=$3
set -- $hs1; h1=$1 a1=$2 b1=$3
age=$(( $(date +%s) - h0 ))
diag "b's latest handshake before: $h0, after: $h1; handshake messages taken in: a $a0 -> $a1, b $b0 -> $b1; session age $age s"
if [ "$a1" = "$a0" ] && [ "$b1" = "$b0" ]; then
	# no handshake message came in: the session is the same one.  (The
	# time may still differ by a second: it is worked out anew each time,
	# from the age in whole seconds.)
	[ $((h1 - h0)) -ge -1 ] && [ $((h1 - h0)) -le 1 ]
	ok $? "b's session stays: no new handshake on either side, the same latest_handshake"
elif [ "$age" -ge "$REKEY_AFTER_TIME" ] && [ $((h1 - h0)) -ge $((REKEY_AFTER_TIME - 1)) ]; then
	# a slow run (a sanitizer build): the session got old, and rekeyed
	# no sooner than it should have
	ok 0 "b's session stays: rekeyed after REKEY_AFTER_TIME ($((h1 - h0)) s), not dropped"
else
	ok 1 "b's session stays: a new handshake $((h1 - h0)) s after the last, before REKEY_AFTER_TIME"
fi

# ---- the traffic went on
stop "$PING" INT
udp=$(( $(udp_rcvbuf_errors "$A") + $(udp_rcvbuf_errors "$B") - udp0 ))
drops=$(( $(meshd_drops) - drops0 ))
sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$D/ping.out")
got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$D/ping.out")
# every sequence number but the last one sent must have had its answer
missing=$(awk -v last="$sent" '/bytes from/ && !/DUP!/ {
	for (i = 1; i <= NF; i++) if ($i ~ /^icmp_seq=/) {
		split($i, f, "="); seen[f[2]] = 1 } }
	END { n = 0; for (s = 1; s < last; s++) if (!(s in seen)) n++; print n }' "$D/ping.out")
diag "ping a -> b every 50 ms: $sent sent, $got answered;" \
    "  datagrams the kernel dropped at a full UDP socket buffer meanwhile (a and b): $udp"
is "$drops" 0 "meshd counted no drop on b's path (a's counters for b, b's for a)"
[ -n "$sent" ] && [ "$sent" -gt 0 ] && [ "$missing" -le "$udp" ]
ok $? "every ping was answered but the last and those the kernel may have dropped at a full socket buffer: $missing missing, $udp dropped" ||
    diag "$(grep -v 'bytes from' "$D/ping.out" | head -20)"
if [ -n "$IPERF" ]; then
	kill -0 "$IPERF"
	ok $? "the iperf3 stream a -> b was still running" || diag "$(tail -5 "$D/iperf.out")"
	stop "$IPERF" INT
	stop "$IPERF_S" TERM
	diag "iperf3 (20 Mbit/s TCP) a -> b: $(grep sender "$D/iperf.out" |
	    awk '{ print $5, $6, "sent in", $3, "s,", $7, $8 }')" \
	    "  one-second intervals without data: $(grep -v 'sender\|receiver' "$D/iperf.out" |
	    grep -c ' sec  *0\.00 Bytes')"
fi
# every packet a kernel gave meshd arrived at the other TUN, or was
# counted as dropped by meshd or by a kernel (the last packets are out of
# the pipes once the ping and the stream have stopped)
sleep 0.5
set -- $acct0; in0=$1 out0=$2 cnt0=$3 krn0=$4
set -- $(accounting); in=$(($1 - in0)) out=$(($2 - out0)) cnt=$(($3 - cnt0)) krn=$(($4 - krn0))
diag "packets into the tunnels (both TUNs) $in, out $out, dropped: counted by meshd $cnt, by the kernels $krn"
[ "$in" -gt 0 ] && [ $((in - out - cnt)) -le "$krn" ]
ok $? "no packet lost that nobody counted: $((in - out)) lost, $cnt counted by meshd, $krn by the kernels"

# ---- the daemon
js=$(ctl a -j show status)
is "$(jq -r '[.processes[].pid] | join(" ")' <<<"$js")" "$pids0" \
    "a still runs with the same four processes"
is "$(jq -r '[.processes[] | select(.role != "parent") | .sandboxed] | all' <<<"$js")" \
    true "a's children are still sandboxed"
t "a -> b ping after the loop" ip netns exec "$A" ping -c 2 -i 0.2 -W 2 100.64.51.2
for n in a b; do
	grep -q "fatal\|lost child\|reload failed" "$D/$n.log"
	ok $((!$?)) "node $n logged nothing fatal and no failed reload" ||
	    diag "$(grep "fatal\|lost child\|reload failed" "$D/$n.log" | head -5)"
done

# ---- leaks: reload 10 against reload 100, the same config
for role in parent net crypto tun; do
	fw=FD_warm_$role fe=FD_end_$role rw=RSS_warm_$role re=RSS_end_$role
	xw=RSSX_warm_$role xe=RSSX_end_$role
	diag "$role (pid ${P[$role]}): fds ${!fw} -> ${!fe}; VmRSS less RssShmem ${!rw} -> ${!re} KiB ($(( ${!re} - ${!rw} )) KiB)" \
	    "  ${!xw} -> ${!xe} (KiB)"
	is "${!fe}" "${!fw}" "$role: the same number of open fds after reload $WARMUP and $NRELOAD"
	[ $(( ${!re} - ${!rw} )) -le "$RSS_MAX_KB" ]
	ok $? "$role: VmRSS (less the packet rings) grows by at most $RSS_MAX_KB KiB over $((NRELOAD - WARMUP)) reloads"
done

done_testing
