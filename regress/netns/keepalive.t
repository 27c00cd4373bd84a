#!/usr/bin/env bash
# The keepalive of a punched path, measured per path (meshd-net/
# keepalive.c), in the NAT lab (regress/natlab.sh): a coordinator on the
# internet, members a and b each behind a port-restricted NAT whose UDP
# flows and mappings last NAT_TO seconds after their last packet.
# MESHD_TEST_KEEPALIVE_SCALE=5 makes the measurement 5 times faster
# (idle times 5, 8, 12, 18 s for 25, 40, 60, 90; the default keepalive 5
# s for 25), so a NAT that forgets after 13 s (65 s scaled) is measured
# in a minute or two:
#  - both sides' show peer says what they measured: the path survived
#    12 s idle, not 18, and the keepalive is 8 s: below the NAT's 13 s,
#    above the old fixed 5 s (25 s unscaled);
#  - -j says the same (path_keepalive, nat_timeout_above/below);
#  - a failed test punched the path again at once: a pings b after it;
#  - then the path stays up with 8 s keepalives through 2 NAT timeouts
#    of idleness (no data): the same endpoint, the same flow in a's NAT
#    (natlab_conntrack), no attempt to punch it again, and a ping
#    answered at once.

. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../natlab.sh"
need_root
need_cmds nft jq wg ping
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

NAT_TO=13 SCALE=5 COORD=198.18.0.2
natlab_internet "ki$$" || fail_setup "the internet"
natlab_public "kc$$" 2 || fail_setup "the coordinator's host"
natlab_site "kra$$" 31 port-restricted timeout $NAT_TO &&
    natlab_host "kra$$" "kha$$" 2 &&
    natlab_site "krb$$" 32 port-restricted timeout $NAT_TO &&
    natlab_host "krb$$" "khb$$" 2 || fail_setup "the sites"

tmpdir_new D
mesh_ca || fail_setup "an admin key"
mesh_cert c 1 -R coordinator && mesh_cert a 2 && mesh_cert b 3 ||
    fail_setup "the certificates"
mesh_conf c serve
mesh_conf a c:$COORD
mesh_conf b c:$COORD

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
knows() {
	ctl "$1" -j show peers | jq -e --arg n "$2" \
	    '.peers[] | select(.name == $n and .cert_expires != null)'
}
export MESHD_TEST_KEEPALIVE_SCALE=$SCALE
meshd_up c "kc$$" && meshd_up a "kha$$" && meshd_up b "khb$$" ||
    fail_setup "the daemons"
wait_for 10 knows a b && wait_for 10 knows b a ||
    fail_setup "the members knowing each other"
wait_for 15 natlab_exec "kha$$" ping -c 1 -W 1 100.64.0.3
ok $? "a pings b"
is "$(ctl a -j show peer b | jq -r .path)" punched "a's path to b is punched"
like "$(ctl a show peer b)" \
    "keepalive every 5 seconds: NAT timeout not measured yet" \
    "show peer: the default keepalive (scaled), not measured yet"

# both sides measured: each found the idle time its NAT does not keep
measured() {
	ctl "$1" -j show peer "$2" |
	    jq -e '.nat_timeout_above != null and .nat_timeout_below != null and
		.nat_timeout_testing == null'
}
t0=$(date +%s) r=1
while [ $(($(date +%s) - t0)) -lt 200 ]; do
	measured a b >/dev/null 2>&1 && measured b a >/dev/null 2>&1 &&
	    { r=0; break; }
	sleep 1
done
ok $r "both sides measured their NAT's timeout"
diag "measured in $(($(date +%s) - t0)) s"
for pair in "a b" "b a"; do
	set -- $pair
	j=$(ctl "$1" -j show peer "$2")
	k=$(jq -r .path_keepalive <<<"$j")
	above=$(jq -r .nat_timeout_above <<<"$j")
	below=$(jq -r .nat_timeout_below <<<"$j")
	diag "$1: keepalive $k s, survived $above s idle, not $below s"
	ok $([ "$k" -lt $NAT_TO ] && [ "$k" -gt $((25 / SCALE)) ]; echo $?) \
	    "$1: the keepalive ($k s) is under the NAT's timeout ($NAT_TO s)" \
	    "and over the old fixed one ($((25 / SCALE)) s)"
	ok $([ "$above" -lt $NAT_TO ] && [ "$below" -gt $NAT_TO ]; echo $?) \
	    "$1: the NAT's timeout lies between what survived and what did not"
	like "$(ctl "$1" show peer "$2")" \
	    "path: punched \(keepalive every $k seconds: NAT timeout > $above s, < $below s measured\)" \
	    "$1: show peer says what was measured"
done
grep -q "did not survive 18 s idle; keepalive every 8 s" "$D/a.log" &&
    grep -q "a handshake reopens the punched path" "$D/a.log"
ok $? "a's log: the failed test, and a handshake to reopen the path"
wait_for 10 natlab_exec "kha$$" ping -c 1 -W 1 100.64.0.3
ok $? "a pings b after the tests"

# idle for three NAT timeouts: only keepalives cross the NATs
ep=$(ctl a -j show peer b | jq -r .endpoint)
flow() { natlab_conntrack "kra$$" | grep -c "dport=${ep##*:}"; }
lines=$(wc -l <"$D/a.log")
sleep $((2 * NAT_TO))
is "$(ctl a -j show peer b | jq -r .endpoint)" "$ep" \
    "after $((2 * NAT_TO)) s idle a's endpoint for b is the same"
ok $([ "$(flow)" -ge 1 ]; echo $?) "a's NAT still has the flow to b"
natlab_exec "kha$$" ping -c 1 -W 1 100.64.0.3 >/dev/null
ok $? "a ping is answered at once after the idle time"
tail -n +"$((lines + 1))" "$D/a.log" | grep -E "reopens|path at|does not answer|attempt"
ok $([ $? -ne 0 ]; echo $?) "no new path or punch attempt while idle"
[ "$T_FAILED" -eq 0 ] || diag "a:" "$(grep -E 'idle|path|keepalive' "$D/a.log")" \
    "b:" "$(grep -E 'idle|path|keepalive' "$D/b.log")"
done_testing
