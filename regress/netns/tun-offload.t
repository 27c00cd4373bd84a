#!/usr/bin/env bash
# TUN offloads (meshd-tun/offload.c): two static peers in two namespaces,
# 30 MB over TCP/IPv4 and 10 MB over TCP/IPv6 with the same sha256 at
# both ends, and meshd's own counters showing that the sender cut TSO
# super-packets into segments and the receiver wrote coalesced ones (so
# a dead lever fails here).  With MESHD_LEVERS_OFF=tso,tungro the same
# transfer works and the counters stay at zero.  A filter on the sender
# still drops the segments of a connection it no longer passes.  The UDP
# data socket has 7 MiB buffers (lever sockbuf), the kernel's without.

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg nc python3 sha256sum
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

A=mtoa$$ B=mtob$$
two_hosts "$A" "$B" 198.18.71 || fail_setup "two namespaces"

conf() {	# conf NAME MYNUM PEERNAME PEERPUB PEERNUM [FILTER-LINES]
	cat <<EOF
interface "mto0" {
	address 100.64.0.$2/24
	address fd00:6d65:7368::$2/64
	listen-port 51820
	private-key-file "$D/$1.key"
}
peer "$3" {
	public-key "$4"
	endpoint "198.18.71.$5:51820"
	allowed-ips 100.64.0.$5/32, fd00:6d65:7368::$5/128
}
EOF
	[ $# -gt 5 ] && printf 'filter {%s\n}\n' "$6"
}
conf a 1 b "$B_PUB" 2 >"$D/a.conf"
conf b 2 a "$A_PUB" 1 >"$D/b.conf"

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
tunctr() { ctl "$1" -j show status | jq -r ".counters.tun.$2 // 0"; }

# send FROMNS TONS ADDR MB: MB megabytes over TCP, compared by sha256
send() {
	head -c $(($4 * 1000000)) /dev/urandom >"$D/blob"
	rm -f "$D/recv"
	start_bg NC ip netns exec "$2" sh -c "exec nc -l $3 5001 >'$D/recv'"
	wait_for 5 sh -c "ip netns exec $2 ss -Hltn | grep -q ':5001'"
	timeout 120 ip netns exec "$1" nc -N "$3" 5001 <"$D/blob" || return 1
	wait_for 10 sh -c "! kill -0 $NC 2>/dev/null"
	[ "$(sha256sum <"$D/recv" | cut -d' ' -f1)" = \
	    "$(sha256sum <"$D/blob" | cut -d' ' -f1)" ]
}

meshd_up a "$A"; ok $? "node a starts"
meshd_up b "$B"; ok $? "node b starts"
t "a -> b ping" ip netns exec "$A" ping -c 2 -i 0.2 -W 2 100.64.0.2
# rbufs NS: the receive buffers of the UDP sockets on 51820, largest first
rbufs() {
	ip netns exec "$1" ss -Huam 'sport = :51820' |
	    sed -n 's/.*skmem:(r[0-9]*,rb\([0-9]*\),.*/\1/p' | sort -rn | tr '\n' ' '
}
rb=$(rbufs "$A")
[ "${rb%% *}" -ge $((7 * 1024 * 1024)) ]
ok $? "a's UDP data socket has a 7 MiB receive buffer (ss: $rb)"

send "$A" "$B" 100.64.0.2 30; ok $? "30 MB a -> b over IPv4, sha256 matches"
send "$A" "$B" fd00:6d65:7368::2 10
ok $? "10 MB a -> b over IPv6, sha256 matches"
sup=$(tunctr a tun_super_read); seg=$(tunctr a tun_segments)
[ "$sup" -gt 0 ] && [ "$seg" -gt "$sup" ]
ok $? "a read super-packets and cut them ($sup read, $seg segments)"
gw=$(tunctr b tun_gro_writes); gs=$(tunctr b tun_gro_segments)
[ "$gw" -gt 0 ] && [ "$gs" -ge $((2 * gw)) ]
ok $? "b wrote coalesced packets ($gw writes of $gs segments)"
has "$(ctl a show status)" "tun super read" "show status lists the TUN counters"
[ "$(tunctr a dropped.malformed)" = 0 ]
ok $? "a dropped nothing as malformed"
send "$B" "$A" 100.64.0.1 10; ok $? "10 MB b -> a, sha256 matches"

# ---- the levers off: the plain TUN, the same bytes, no offload counted
kill "$PID_a" "$PID_b"; wait "$PID_a" "$PID_b" 2>/dev/null
export MESHD_LEVERS_OFF=tso,tungro
meshd_up a "$A"; ok $? "node a starts with tso,tungro off"
meshd_up b "$B"; ok $? "node b starts with tso,tungro off"
unset MESHD_LEVERS_OFF
send "$A" "$B" 100.64.0.2 10; ok $? "levers off: 10 MB a -> b, sha256 matches"
is "$(tunctr a tun_super_read)/$(tunctr b tun_gro_writes)" "0/0" \
    "levers off: no super-packet read or written"
kill "$PID_a"; wait "$PID_a" 2>/dev/null
MESHD_LEVERS_OFF=sockbuf meshd_up a "$A"; ok $? "node a starts with sockbuf off"
rb=$(rbufs "$A")
[ -n "$rb" ] && [ "${rb%% *}" -lt $((7 * 1024 * 1024)) ]
ok $? "sockbuf off: the kernel's default buffers ($rb)"

# only tungro off: offloads on the way out, writes one by one
kill "$PID_a" "$PID_b"; wait "$PID_a" "$PID_b" 2>/dev/null
export MESHD_LEVERS_OFF=tungro
meshd_up a "$A"; ok $? "node a starts with tungro off"
meshd_up b "$B"; ok $? "node b starts with tungro off"
unset MESHD_LEVERS_OFF
send "$A" "$B" 100.64.0.2 10; ok $? "tungro off: 10 MB a -> b, sha256 matches"
[ "$(tunctr a tun_super_read)" -gt 0 ] && [ "$(tunctr b tun_gro_writes)" = 0 ]
ok $? "tungro off: super-packets read, none written"
kill "$PID_a" "$PID_b"; wait "$PID_a" "$PID_b" 2>/dev/null

# ---- a filter drops the segments of a flow it no longer passes
conf a 1 b "$B_PUB" 2 "
	pass out proto icmp
	pass out proto tcp to port 5003" >"$D/a.conf"
meshd_up a "$A"; ok $? "node a starts with a filter"
meshd_up b "$B"; ok $? "node b starts"
rm -f "$D/got"
start_bg NCB ip netns exec "$B" sh -c "exec nc -l 100.64.0.2 5003 >'$D/got'"
wait_for 5 sh -c "ip netns exec $B ss -Hltn | grep -q ':5003'"
# a writer that never stops: TSO super-packets all along
start_bg PY ip netns exec "$A" python3 -c '
import socket, time
s = socket.create_connection(("100.64.0.2", 5003))
b = b"x" * 65536
end = time.time() + 60
while time.time() < end:
	s.sendall(b)'
wait_for 10 sh -c "[ \$(stat -c %s '$D/got' 2>/dev/null || echo 0) -gt 5000000 ]"
ok $? "a streams to b:5003 through the filter"
s0=$(tunctr a tun_super_read)
conf a 1 b "$B_PUB" 2 "
	pass out proto icmp" >"$D/a.conf"
t "reload a without the rule" ctl a reload
sleep 1
n1=$(stat -c %s "$D/got"); b1=$(ctl a -j show filter | jq .blocked_default)
sleep 2
n2=$(stat -c %s "$D/got"); b2=$(ctl a -j show filter | jq .blocked_default)
is "$n2" "$n1" "after the reload b receives nothing more"
[ "$b2" -gt "$b1" ]
ok $? "a's filter blocks the flow's segments ($((b2 - b1)) more)"
[ "$(tunctr a tun_super_read)" -gt "$s0" ]
ok $? "with offloads on all along ($(tunctr a tun_super_read) super-packets)"
kill "$PY" 2>/dev/null
kill -0 "$PID_a" && kill -0 "$PID_b"; ok $? "both daemons still run"

done_testing
