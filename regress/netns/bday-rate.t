#!/usr/bin/env bash
# Birthday punching between two symmetric NATs (random ports) in the NAT
# lab (regress/natlab.sh): how often it wins, and what it costs.
#  - per trial: a coordinator on the internet, member a behind one
#    symmetric NAT and b behind another; a pings b for TRIAL_S seconds:
#    the simultaneous open fails, the next CALL_ME starts a birthday
#    attempt on both sides (neither knows its NAT: each opens 256 ports
#    and sprays random ports of the other's NAT);
#  - while it runs, a's meshd-net holds 256 more descriptors (the
#    parent's sockets), and once it ended they are closed again: net
#    gave them back to the parent, which says so (it counts what net
#    holds);
#  - with the parent's limit of sockets open at once lowered to 100
#    (MESHD_TEST_BDAY_OPEN_MAX, tests only), an attempt gets 100: the
#    parent refuses the other 156 and says why, and net holds no more;
#  - the logs of both say a birthday attempt ran; a host on the
#    internet that is no one's candidate gets no packet;
#  - the success rate over the trials and the probe budget are printed
#    (TAP diag), never asserted: two random ports meet by chance alone.
# MESHD_BDAY_TRIALS=N runs N trials (default 1: ~45 s each).

. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../natlab.sh"
need_root
need_cmds nft jq wg ping pgrep
PROBE=${UDPPROBE:-$MESHD_BUILD/regress/interop/udpprobe}
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"
[ -x "$PROBE" ] || skip_all "$PROBE not built (run make check)"
TRIALS=${MESHD_BDAY_TRIALS:-1}
TRIAL_S=40

COORD=198.18.0.2 SPY=198.18.0.9
natlab_internet "bi$$" || fail_setup "the internet"
natlab_public "bc$$" 2 || fail_setup "the coordinator's host"
natlab_public "bs$$" 9 || fail_setup "the third host"
natlab_site "bra$$" 1 symmetric && natlab_host "bra$$" "bha$$" 2 &&
    natlab_site "brb$$" 11 symmetric && natlab_host "brb$$" "bhb$$" 2 ||
    fail_setup "the symmetric sites"

tmpdir_new D
mesh_ca || fail_setup "an admin key"
mesh_cert c 1 -R coordinator && mesh_cert a 2 && mesh_cert b 3 ||
    fail_setup "the certificates"
mesh_conf c serve
mesh_conf a c:$COORD
mesh_conf b c:$COORD

start_bg SPYPID natlab_exec "bs$$" "$PROBE" -l $SPY:51820 -l $SPY:1 \
    >"$D/spy.out" 2>&1
wait_for 5 grep -qx ready "$D/spy.out" || fail_setup "the third host"

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
knows() {
	ctl "$1" -j show peers | jq -e --arg n "$2" \
	    '.peers[] | select(.name == $n and .cert_expires != null)'
}
stop() {
	local p
	for p; do kill "$p" 2>/dev/null; done
	for p; do wait "$p" 2>/dev/null; done
}
nfds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

wins=0 ran=0 fds_ok=0 closed_ok=0 back_ok=0 probes=0
for trial in $(seq "$TRIALS"); do
	: >"$D/c.log"; : >"$D/a.log"; : >"$D/b.log"
	meshd_up c "bc$$" && meshd_up a "bha$$" && meshd_up b "bhb$$" || {
		diag "trial $trial: a daemon did not start"
		stop "$PID_c" "$PID_a" "$PID_b"
		continue
	}
	wait_for 10 knows a b && wait_for 10 knows b a ||
	    diag "trial $trial: the members do not know each other"
	net=$(pgrep -P "$PID_a" -x meshd-net)
	base=$(nfds "$net")
	# ping exits 0 at the first answer, 1 at the deadline without one
	start_bg PINGPID natlab_exec "bha$$" ping -c 1 -i 0.5 -w $TRIAL_S \
	    100.64.0.3 >/dev/null 2>&1
	wait_for 30 grep -q "birthday attempt [0-9a-f]* at" "$D/a.log"
	sleep 1
	during=$(nfds "$net")
	wait "$PINGPID" && won=1 || won=0
	after=$(nfds "$net")
	grep -q "birthday attempt [0-9a-f]* at" "$D/a.log" &&
	    grep -q "birthday attempt [0-9a-f]* at" "$D/b.log" &&
	    ran=$((ran + 1))
	[ "$((during - base))" -ge 256 ] && fds_ok=$((fds_ok + 1))
	[ "$after" -gt 0 ] && [ "$((after - base))" -le 1 ] &&
	    closed_ok=$((closed_ok + 1))
	# a winner's socket stays: the path to b
	{ [ $won = 1 ] || grep -q "net gave every one back" "$D/a.log"; } &&
	    back_ok=$((back_ok + 1))
	n=$(sed -n 's/.*birthday attempt [0-9a-f]* \(failed\|won\) after \([0-9]*\) probes.*/\2/p' \
	    "$D/a.log" | tail -n 1)
	probes=$((probes + ${n:-0}))
	wins=$((wins + won))
	diag "trial $trial: $([ $won = 1 ] && echo won || echo missed);" \
	    "a's net: $base fds, $during during the attempt, $after after;" \
	    "a's probes ${n:-?}"
	ctl a show peer b | grep why: | sed 's/^/# /'
	[ "$after" -gt 0 ] || diag "a's meshd-net is gone:" "$(tail -n 5 "$D/a.log")"
	stop "$PID_c" "$PID_a" "$PID_b"
done

is "$ran" "$TRIALS" "every trial ran a birthday attempt on both sides"
is "$fds_ok" "$TRIALS" \
    "a's meshd-net held 256 more sockets during each attempt"
is "$closed_ok" "$TRIALS" "and closed them when the attempt ended"
is "$back_ok" "$TRIALS" "the parent counts them given back"

# ---- the parent's limit of sockets net holds at once, lowered to 100
: >"$D/c.log"; : >"$D/a.log"; : >"$D/b.log"
meshd_up c "bc$$" && MESHD_TEST_BDAY_OPEN_MAX=100 meshd_up a "bha$$" &&
    meshd_up b "bhb$$" || diag "the limit: a daemon did not start"
wait_for 10 knows a b && wait_for 10 knows b a ||
    diag "the limit: the members do not know each other"
net=$(pgrep -P "$PID_a" -x meshd-net)
base=$(nfds "$net")
start_bg PINGPID natlab_exec "bha$$" ping -c 1 -i 0.5 -w 25 100.64.0.3 \
    >/dev/null 2>&1
wait_for 30 grep -q "birthday attempt [0-9a-f]* at" "$D/a.log"
sleep 1
during=$(nfds "$net")
like "$(cat "$D/a.log")" \
    "birthday sockets for peer [0-9]*: 156 of 256 refused: net holds 0 \(at most 100 at once\)" \
    "the parent refuses what would pass its limit, and says why"
ok $([ "$((during - base))" -ge 90 ] && [ "$((during - base))" -le 101 ]; echo $?) \
    "a's meshd-net held at most 100 more sockets ($base, then $during)"
wait "$PINGPID"
stop "$PID_c" "$PID_a" "$PID_b"
is "$(grep -c '^other' "$D/spy.out")" 0 \
    "the third host got no packet while birthday attempts ran"
diag "symmetric x symmetric (random ports): $wins of $TRIALS trials" \
    "formed a direct path; budget per attempt and side: 256 sockets" \
    "sending every 2 s, 4000 probes at 200/s over 20 s ($probes" \
    "probes sprayed by a in all)"
done_testing
