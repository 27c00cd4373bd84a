# The censor's view for the .t tests: a capture in a namespace and the
# traffic to fill it.  Source it after lib.sh:
#   . "$(dirname "$0")/../lib.sh"; . "$(dirname "$0")/../censor.sh"
# and see regress/netns/censor-plain.t.  regress/censor.py reads the
# capture, regress/probe.py probes a node ($CENSOR_PY, $PROBE_PY).
#
# Start the node that answers first (or start the capture after the first
# handshake): an initiation on the wire that its receiver never took in
# (sent while it was not yet up) is answered when a prober replays it,
# since WireGuard refuses only a timestamp it has seen, or an older one.
#
# censor_capture_start NS IF FILE [FILTER]: tcpdump in NS on IF writing
#	FILE (pcap, packet-buffered; FILTER a pcap-filter(7) expression,
#	default udp), its pid in CAP_PID, killed at exit by lib.sh's trap;
#	returns once tcpdump is capturing (it says "listening on" after
#	its socket is bound and filtered), false if not within 10 s
# censor_capture_stop: stops it (SIGTERM: tcpdump writes out what it
#	holds), waits for it; its counts (captured, dropped) in CAP_STATS,
#	one line; with CENSOR_KEEP=DIR in the environment, the capture is
#	copied to DIR (to look at it after the test)
# censor_count FILE [PORT]: prints the UDP datagrams in FILE (to or from
#	PORT)
# censor_traffic NS_A ADDR_A NS_B ADDR_B FILE [MIN]: "10,000 packets of
#	mixed handshakes, data, keepalives" between two nodes: rounds of
#	pings of 12 sizes both ways, ping floods of 4 sizes, a 2 MB TCP
#	transfer A -> B (a listener in NS_B on ADDR_B port 5201) and two
#	idle pauses of 1.5 s (where persistent keepalives go), until FILE
#	holds MIN UDP datagrams (default 10000), at most 6 rounds; the count
#	in CENSOR_N, false if it stayed below MIN.  ADDR_x are inner
#	(tunnel) addresses.  Handshakes come from the nodes' configuration:
#	a test-clock meshd (MESHD_TEST_CLOCK_SCALE, see rekey.t) rekeys every
#	few seconds of the ~10 s a round takes; CENSOR_HOOK, if set, is run
#	(eval) between rounds, e.g. to restart or reload a side.

CENSOR_PY=$MESHD_SRC/regress/censor.py
PROBE_PY=$MESHD_SRC/regress/probe.py

censor_capture_start() {
	local ns=$1 ifc=$2 file=$3 filter=${4:-udp}
	rm -f "$file" "$file.err"
	CAP_FILE=$file
	# -Z root: the capture file is in the test's root-owned directory;
	# -U: each packet is written as it comes (censor_count reads the
	# file while traffic flows); -s 0: whole packets
	start_bg CAP_PID ip netns exec "$ns" tcpdump -n -i "$ifc" -s 0 -U \
	    -Z root -w "$file" "$filter" 2>"$file.err"
	wait_for 10 grep -q "listening on" "$file.err"
}

censor_capture_stop() {
	[ -n "${CAP_PID:-}" ] || return 0
	kill "$CAP_PID" 2>/dev/null
	wait "$CAP_PID" 2>/dev/null
	CAP_STATS=$(grep "packets" "$CAP_FILE.err" 2>/dev/null | tr '\n' ' ')
	CAP_PID=
	[ -n "${CENSOR_KEEP:-}" ] && cp "$CAP_FILE" "$CENSOR_KEEP/"
	return 0
}

censor_count() {
	python3 "$CENSOR_PY" --count "$1" ${2:+--port "$2"} |
	    sed -n 's/^packets: //p'
}

# censor_pings NS DST: 20 pings of each of 12 sizes, 5 ms apart
censor_pings() {
	local s
	for s in 0 16 56 100 200 300 500 700 900 1100 1250 1380; do
		ip netns exec "$1" ping -q -c 20 -i 0.005 -W 1 -s "$s" "$2" \
		    >/dev/null 2>&1
	done
}

censor_round() {	# censor_round NS_A ADDR_A NS_B ADDR_B
	local s nc
	censor_pings "$1" "$4"
	censor_pings "$3" "$2"
	sleep 1.5
	for s in 32 240 720 1320; do
		ip netns exec "$1" ping -q -f -c 500 -W 1 -s "$s" "$4" \
		    >/dev/null 2>&1
	done
	start_bg nc ip netns exec "$3" sh -c "nc -l $4 5201 >/dev/null"
	wait_for 5 sh -c "ip netns exec $3 ss -Hltn | grep -q '$4:5201'"
	head -c 2000000 /dev/urandom |
	    timeout 30 ip netns exec "$1" nc -N "$4" 5201
	wait_for 5 sh -c "! kill -0 $nc"
	kill "$nc" 2>/dev/null
	sleep 1.5
}

censor_traffic() {
	local min=${6:-10000} r
	CENSOR_N=0
	for r in 1 2 3 4 5 6; do
		censor_round "$1" "$2" "$3" "$4"
		CENSOR_N=$(censor_count "$5")
		[ "${CENSOR_N:-0}" -ge "$min" ] && return 0
		[ -n "${CENSOR_HOOK:-}" ] && eval "$CENSOR_HOOK"
	done
	return 1
}
