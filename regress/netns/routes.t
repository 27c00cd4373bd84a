#!/usr/bin/env bash
# Routes for allowed-ips: meshd installs a route via the interface for
# every prefix its addresses do not already cover, never replaces one it
# did not make, follows reloads, honours table off and table NUMBER, and
# removes its routes at exit.  Underlay 198.18.11.0/24.

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

A=rta$$ B=rtb$$
two_hosts "$A" "$B" 198.18.11 || fail_setup "the two hosts"
# c: a peer that never answers, whose allowed-ips hold its endpoint
C_PUB=$(wg genkey | wg pubkey)

# a_conf TABLE AIPS: a's config, b with allowed-ips AIPS
a_conf() {
	printf '%s\n' 'interface "mesh0" {' '	address 100.64.0.1/24' \
	    '	address fd00:6d65:7368::1/64' '	listen-port 51820' \
	    "	private-key-file \"$D/a.key\"" ${1:+"	table $1"} '}' \
	    'peer "b" {' "	public-key \"$B_PUB\"" \
	    '	endpoint "198.18.11.2:51820"' "	allowed-ips $2" '}' \
	    'peer "c" {' "	public-key \"$C_PUB\"" \
	    '	endpoint "198.18.11.9:51820"' '	allowed-ips 198.18.11.8/29' \
	    '}' >"$D/a.conf"
}
ALL='100.64.0.2/32, fd00:6d65:7368::2/128, 10.77.0.0/16, fd77::/48, 10.88.0.0/16'
a_conf "" "$ALL"
printf '%s\n' 'interface "mesh0" {' '	address 100.64.0.2/24' \
    '	address 10.77.0.5/32' '	address fd00:6d65:7368::2/64' \
    '	address fd77::5/128' '	listen-port 51820' \
    "	private-key-file \"$D/b.key\"" '}' 'peer "a" {' \
    "	public-key \"$A_PUB\"" '	endpoint "198.18.11.1:51820"' \
    '	allowed-ips 100.64.0.1/32, fd00:6d65:7368::1/128' '}' >"$D/b.conf"

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
# routes -4|-6 [table N]: the prefixes routed via mesh0, sorted
routes() { local f=$1; shift; ip -n "$A" "$f" route show dev mesh0 "$@" |
    awk '{print $1}' | sort | tr '\n' ' '; }

# someone else's route, made before meshd claims the prefix
ip -n "$A" route add 10.88.0.0/16 dev lo

meshd_up a "$A"; ok $? "node a starts"
meshd_up b "$B"; ok $? "node b starts"

is "$(routes -4)" "10.77.0.0/16 100.64.0.0/24 " \
    "a routes 10.77.0.0/16 via mesh0, not the covered 100.64.0.2/32"
like "$(routes -6)" "^fd00:6d65:7368::/64 fd77::/48 " \
    "a routes fd77::/48 via mesh0, not the covered fd00:6d65:7368::2/128"
like "$(ip -n "$A" route show 10.88.0.0/16)" "dev lo" \
    "the route for 10.88.0.0/16 that was there is not replaced"
has "$(cat "$D/a.log")" \
    "route 10.88.0.0/16 exists and is not ours; leaving it" \
    "a logs that it leaves the route for 10.88.0.0/16 alone"

is "$(ip -n "$A" route show 198.18.11.8/29)" "" \
    "no route in the main table for c's 198.18.11.8/29, which holds its endpoint"
has "$(cat "$D/a.log")" "route 198.18.11.8/29 via mesh0 would hold peer c's \
endpoint 198.18.11.9/32: not added" "a says why"

t "a reaches b's 10.77.0.5 with no route added by the test" \
    ip netns exec "$A" ping -c 3 -i 0.2 -W 2 10.77.0.5
t "a reaches b's fd77::5 with no route added by the test" \
    ip netns exec "$A" ping -6 -c 3 -i 0.2 -W 2 fd77::5

# ---- reload without 10.77.0.0/16 and fd77::/48
a_conf "" '100.64.0.2/32, fd00:6d65:7368::2/128, 10.88.0.0/16'
out=$(ctl a reload 2>&1); ok $? "reload without 10.77.0.0/16" || diag "$out"
is "$(routes -4)" "100.64.0.0/24 " "the reload removed 10.77.0.0/16"
like "$(routes -6)" "^fd00:6d65:7368::/64 " "the reload removed fd77::/48"
is "$(routes -6 | grep -c fd77)" 0 "no route for fd77::/48 is left"
like "$(ip -n "$A" route show 10.88.0.0/16)" "dev lo" \
    "the reload leaves the route that is not ours"

# ---- table off
a_conf off "$ALL"
out=$(ctl a reload 2>&1); ok $? "reload with table off" || diag "$out"
is "$(routes -4)" "100.64.0.0/24 " "table off: no route for 10.77.0.0/16"
is "$(routes -6 | grep -c fd77)" 0 "table off: no route for fd77::/48"

# ---- table 1234
a_conf 1234 "$ALL"
out=$(ctl a reload 2>&1); ok $? "reload with table 1234" || diag "$out"
is "$(routes -6 table 1234)" "fd77::/48 " \
    "table 1234 holds the route for fd77::/48"
is "$(routes -4 table 1234)" "10.77.0.0/16 10.88.0.0/16 198.18.11.8/29 " \
    "table 1234 holds them, and c's 198.18.11.8/29 too (ip rule's job)"
is "$(routes -4)" "100.64.0.0/24 " "the main table does not"

# ---- exit: our routes go, the one that is not ours stays
kill -TERM "$PID_a"
wait_for 10 sh -c "! kill -0 $PID_a"; ok $? "meshd a exits on SIGTERM"
is "$(ip -n "$A" -4 route show table 1234 | wc -l)" 0 \
    "table 1234 is empty after exit"
like "$(ip -n "$A" route show 10.88.0.0/16)" "dev lo" \
    "the route that is not ours is still there after exit"
like "$(cat "$D/a.log")" "terminating" "a logged its exit"

done_testing
