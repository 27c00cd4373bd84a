#!/usr/bin/env bash
# A handshake that goes unanswered has a's meshd look b's endpoint host
# name up again at once, whatever its resolve-interval (here an hour).
# The test-clock installation (the protocol clock 10 times faster): with
# no reply to its data a's meshd starts a handshake after 1.5 s and sends
# it again every 0.5 s.  The name comes from /etc/netns/NS/hosts, as in
# resolve.t.  b restarts at another address, the old one gone, the name
# follows; a's pings to b resume at b's new address.
# Underlay 198.18.14.0/24.

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg
TC=${MESHD_TCLOCK_ROOT:-}
[ -n "$TC" ] && [ -x "$TC/sbin/meshd" ] ||
    skip_all "no test-clock installation (run make check)"

A=rna$$ B=rnb$$
two_hosts "$A" "$B" 198.18.14 || fail_setup "the two hosts"
# .3 stays when .2, the primary address, goes
ip netns exec "$B" sysctl -qw net.ipv4.conf.vb.promote_secondaries=1
ip -n "$B" addr add 198.18.14.3/24 dev vb
mkdir -p "/etc/netns/$A" && T_DIRS+=("/etc/netns/$A")
echo "198.18.14.2 peerb.test" >"/etc/netns/$A/hosts"

printf '%s\n' 'interface "mesh0" {' '	address 100.64.0.1/24' \
    '	listen-port 51820' "	private-key-file \"$D/a.key\"" \
    '	resolve-interval 3600' '}' 'peer "b" {' "	public-key \"$B_PUB\"" \
    '	endpoint "peerb.test:51820"' '	allowed-ips 100.64.0.2/32' \
    '}' >"$D/a.conf"
# b has no endpoint for a: only a's datagrams tell b where a is
printf '%s\n' 'interface "mesh0" {' '	address 100.64.0.2/24' \
    '	listen-port 51820' "	private-key-file \"$D/b.key\"" '}' \
    'peer "a" {' "	public-key \"$A_PUB\"" '	allowed-ips 100.64.0.1/32' \
    '}' >"$D/b.conf"

up() {	# up NAME NS
	start_bg "PID_$1" ip netns exec "$2" env MESHD_TEST_CLOCK_SCALE=10 \
	    "$TC/sbin/meshd" -d -v -f "$D/$1.conf" -s "$D/$1.sock" \
	    2>>"$D/$1.log"
	meshd_ready "$D/$1.sock"
}
down() {	# down NAME
	local pid; pid=$(eval echo "\$PID_$1")
	kill "$pid"; wait_for 10 sh -c "! kill -0 $pid"
}
ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
ep() { ctl a -j show peer b | jq -r .endpoint; }
LINE="peer b: endpoint peerb.test:51820 now resolves to 198.18.14.3:51820"

up a "$A"; ok $? "node a starts"
up b "$B"; ok $? "node b starts"
is "$(ep)" "198.18.14.2:51820" "peerb.test resolves to 198.18.14.2"
t "a reaches b there" ip netns exec "$A" ping -c 2 -i 0.2 -W 2 100.64.0.2

# b's meshd stops and starts again at another address, the old one gone:
# b knows no endpoint for a and cannot reach it first.  The name follows
# b; a keeps sending to b's old address, no answer comes, until a looks
# the name up again.
down b
echo "198.18.14.3 peerb.test" >"/etc/netns/$A/hosts"
ip -n "$B" addr del 198.18.14.2/24 dev vb
up b "$B"; ok $? "node b starts again"
start_bg PING ip netns exec "$A" ping -q -i 0.2 100.64.0.2
wait_for 15 sh -c "[ \"\$($MESHCTL -s $D/a.sock -j show peer b |
    jq -r .endpoint)\" = 198.18.14.3:51820 ]"
ok $? "after an unanswered handshake a's endpoint for b is 198.18.14.3" ||
    diag "endpoint: $(ep)"
has "$(cat "$D/a.log")" "$LINE (handshake unanswered)" \
    "a logs the new address and why it looked"
has "$(cat "$D/a.log")" "peer b: no response to" \
    "a logs the unanswered initiations"
kill "$PING"
t "a reaches b at its new address" \
    ip netns exec "$A" ping -c 1 -i 0.2 -w 15 100.64.0.2
is "$(ctl a -j show peer b | jq -r .handshake_state)" established \
    "a's handshake with b is established again"
kill -0 "$PID_a"; ok $? "meshd a still runs"

done_testing
