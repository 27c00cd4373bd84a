#!/usr/bin/env bash
# A routing loop (WireGuard's netns.sh case): peer b's endpoint is set to
# an address inside b's own allowed-ips, so every packet a sends to b is
# routed back into a's interface.  Without a guard meshd encrypts it
# again, for ever: hundreds of megabytes a second.  meshd-tun must drop
# its own encapsulated packets when they come back: 10 flood pings cost
# under 70,000 bytes on a's underlay and interface together, a stays up,
# and show peer says what happened.  a's listen port is first the
# kernel's pick (no listen-port), then changed by a reload; then the same
# with an IPv6 endpoint.

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

A=mdla$$ B=mdlb$$
two_hosts "$A" "$B" 198.18.0 || fail_setup "the two hosts"

aconf() {	# aconf ENDPOINT [LISTEN-PORT]
	{
		echo 'interface "mdl0" {'
		echo '	address 100.64.0.1/24'
		echo '	address fd00:6d65:7368::1/64'
		[ -n "${2:-}" ] && echo "	listen-port $2"
		echo "	private-key-file \"$D/a.key\""
		echo '}'
		echo 'peer "b" {'
		echo "	public-key \"$B_PUB\""
		echo "	endpoint \"$1\""
		echo '	allowed-ips 100.64.0.2/32, fd00:6d65:7368::2/128'
		echo '}'
	} >"$D/a.conf"
}
cat >"$D/b.conf" <<EOF
interface "mdl0" {
	address 100.64.0.2/24
	address fd00:6d65:7368::2/64
	listen-port 51820
	private-key-file "$D/b.key"
}
peer "a" {
	public-key "$A_PUB"
	allowed-ips 100.64.0.1/32, fd00:6d65:7368::1/128
}
EOF
ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
loops() { ctl a -j show peer b | jq -r .dropped.routing_loop; }
# bytes through a's underlay and a's interface, both ways
bytes() {
	local i n=0 v
	for i in va mdl0; do
		v=$(ip -n "$A" -s -j link show dev "$i" |
		    jq '.[0].stats64 | .tx.bytes + .rx.bytes')
		n=$((n + v))
	done
	echo "$n"
}
flood() {	# flood WHAT [DST]: 10 flood pings into the loop, what they cost
	local before after
	before=$(bytes)
	ip netns exec "$A" ping -f -c 10 -W 1 "${2:-100.64.0.2}" >/dev/null 2>&1
	sleep 1		# what is still going round would be counted
	after=$(bytes)
	[ $((after - before)) -lt 70000 ]
	ok $? "$1: 10 flood pings cost $((after - before)) bytes (< 70000)"
}

aconf 198.18.0.2:51820
meshd_up a "$A"; ok $? "node a starts"
meshd_up b "$B"; ok $? "node b starts"
t "a -> b ping through the tunnel" \
    ip netns exec "$A" ping -c 3 -i 0.2 -W 2 100.64.0.2
is "$(loops)" 0 "no routing loop counted for ordinary traffic"

# ---- b's endpoint inside b's allowed-ips
aconf 100.64.0.2:7
ctl a reload >/dev/null; ok $? "a reloads with b's endpoint inside the tunnel"
flood "a random listen port"
kill -0 "$PID_a"; ok $? "a still runs"
n1=$(loops)
[ "$n1" -gt 0 ]; ok $? "show peer -j counts the loop ($n1 dropped)"
out=$(ctl a show peer b)
like "$out" "[1-9][0-9]* routing loop" "show peer counts it too"
has "$out" "lies inside the allowed ips" "and says why"
[ "$(grep -c 'lies inside its allowed-ips' "$D/a.log")" = 1 ]
ok $? "a logged it once"

# ---- a reload changes the listen port: tun learns the new one
aconf 100.64.0.2:7 51901
ctl a reload >/dev/null; ok $? "a reloads with listen-port 51901"
is "$(ctl a -j show status | jq .listen_port)" 51901 "a listens on 51901"
flood "listen-port 51901"
[ "$(loops)" -gt "$n1" ]; ok $? "the loop is still counted ($(loops))"

# ---- the same over IPv6: an endpoint inside b's IPv6 allowed-ips
aconf "[fd00:6d65:7368::2]:7" 51901
ctl a reload >/dev/null; ok $? "a reloads with an IPv6 endpoint in the tunnel"
n2=$(loops)
flood "IPv6" fd00:6d65:7368::2
[ "$(loops)" -gt "$n2" ]; ok $? "the IPv6 loop is counted ($(loops))"
kill -0 "$PID_a" && kill -0 "$PID_b"; ok $? "both daemons still run"
done_testing
