#!/usr/bin/env bash
# The packet filter (meshd.conf(5) PACKET FILTER) between two static peers
# in two namespaces: node a has a filter block, node b none.  For each rule
# kind (peer, address, port, port range, proto, quick, the default block)
# a packet that passes and one that is blocked, both directions; replies of
# allowed connections; an ICMP port unreachable for an allowed UDP
# datagram reaching its sender; the counters of show filter and the
# connections of show states; a reload that keeps the states its rules
# still allow and drops the others; a full state table refusing new
# connections while an established one goes on.

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg nc python3 ping
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

A=mfia$$ B=mfib$$
two_hosts "$A" "$B" 198.18.70 || fail_setup "two namespaces"

rules_base='
	pass out proto icmp
	pass in proto icmp from peer "b"
	pass in proto tcp to port 5001
	block in quick proto tcp to port 5002
	pass in proto tcp to port 5002
	pass in proto udp from 100.64.0.2 to port 6000:6010
	pass out proto udp to port 7000
	pass out proto tcp to peer "b" port { 5003, 5006, 5008 }'

conf() {	# conf NAME MYNUM PEERNAME PEERPUB PEERNUM [FILTER-LINES]
	cat <<EOF
interface "mfi0" {
	address 100.64.0.$2/24
	listen-port 51820
	private-key-file "$D/$1.key"
}
peer "$3" {
	public-key "$4"
	endpoint "198.18.70.$5:51820"
	allowed-ips 100.64.0.$5/32
}
EOF
	[ $# -gt 5 ] && printf 'filter {%s\n}\n' "$6"
}
conf a 1 b "$B_PUB" 2 "$rules_base" >"$D/a.conf"
conf b 2 a "$A_PUB" 1 >"$D/b.conf"

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
inA() { ip netns exec "$A" "$@"; }
inB() { ip netns exec "$B" "$@"; }

meshd_up a "$A"; ok $? "node a starts with a filter"
meshd_up b "$B"; ok $? "node b starts without one"

# tcp NS-FROM DST PORT: 0 if a TCP connection to DST:PORT is answered by
# the listener there (a line comes back) within 3 s
tcp_try() {
	ip netns exec "$1" python3 - "$2" "$3" <<'PY'
import socket, sys
s = socket.socket()
s.settimeout(3)
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
    s.sendall(b"ping\n")
    sys.exit(0 if s.recv(64).startswith(b"pong") else 1)
except OSError:
    sys.exit(1)
PY
}
# listen NS ADDR PORT...: a TCP server answering "pong" on each port
# (the servers' scripts are files: a job in the background reads no
# here-document, its stdin is /dev/null)
cat >"$D/listen.py" <<'PY'
import socket, sys, threading
def serve(s):
    while True:
        c, _ = s.accept()
        try:
            c.recv(64); c.sendall(b"pong\n")
        except OSError:
            pass
        c.close()
for p in sys.argv[2:]:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[1], int(p))); s.listen(16)
    threading.Thread(target=serve, args=(s,), daemon=True).start()
threading.Event().wait()
PY
listen() {
	local ns=$1; shift
	start_bg SRV ip netns exec "$ns" python3 "$D/listen.py" "$@"
}
# udp_try NS-FROM DST PORT: "answer", "refused" (an ICMP port
# unreachable came back) or "nothing" in 2 s
udp_try() {
	ip netns exec "$1" python3 - "$2" "$3" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((sys.argv[1], int(sys.argv[2])))
try:
    s.send(b"x"); s.recv(64); print("answer")
except ConnectionRefusedError:
    print("refused")
except OSError:
    print("nothing")
PY
}
cat >"$D/echo.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
while True:
    d, a = s.recvfrom(64); s.sendto(d, a)
PY
udp_echo() {	# udp_echo NS ADDR PORT: answers each datagram
	start_bg SRV ip netns exec "$1" python3 "$D/echo.py" "$2" "$3"
}

listen "$A" 100.64.0.1 5001 5002 5004
listen "$B" 100.64.0.2 5003 5005 5008
udp_echo "$A" 100.64.0.1 6005
udp_echo "$A" 100.64.0.1 6011
servers_up() {	# the last port of each listen.py, and both echo servers
	listening "$A" 5004 && listening "$B" 5008 &&
	    listening "$A" 6005 u && listening "$A" 6011 u
}
wait_for 20 servers_up || fail_setup "the test servers"

# ---- proto and peer, both ways
t "b -> a ping: pass in proto icmp from peer b" \
    inB ping -c 2 -i 0.2 -W 2 100.64.0.1
t "a -> b ping: pass out proto icmp, the replies by state" \
    inA ping -c 2 -i 0.2 -W 2 100.64.0.2

# ---- ports, in
t "b -> a:5001 passes (pass in proto tcp to port 5001)" tcp_try "$B" 100.64.0.1 5001
tcp_try "$B" 100.64.0.1 5002
ok $((! $?)) "b -> a:5002 blocked: block in quick wins over the later pass"
tcp_try "$B" 100.64.0.1 5004
ok $((! $?)) "b -> a:5004 blocked: no rule, the default"

# ---- ports and peer, out; replies of allowed connections
t "a -> b:5003 passes and its reply comes back (to peer b port 5003)" \
    tcp_try "$A" 100.64.0.2 5003
t "a -> b:5008 passes (the third of a port list)" tcp_try "$A" 100.64.0.2 5008
tcp_try "$A" 100.64.0.2 5005
ok $((! $?)) "a -> b:5005 blocked: no rule out"

# ---- a port range and an address, in
is "$(udp_try "$B" 100.64.0.1 6005)" answer \
    "b -> a UDP 6005 passes (from 100.64.0.2 to port 6000:6010), answered"
is "$(udp_try "$B" 100.64.0.1 6011)" nothing \
    "b -> a UDP 6011 blocked (out of the range)"

# ---- an ICMP error for an allowed datagram comes back to its sender
is "$(udp_try "$A" 100.64.0.2 7000)" refused \
    "a -> b UDP 7000, closed: the port unreachable gets through to a"
is "$(udp_try "$A" 100.64.0.2 7001)" nothing \
    "a -> b UDP 7001: blocked out, no answer at all"

# ---- counters
fj=$(ctl a -j show filter)
is "$(jq -r .filter <<<"$fj")" true "show filter -j: a filter is on"
is "$(jq '.rules | length' <<<"$fj")" 10 "ten rules once the port list is expanded"
q=$(jq '.rules[] | select(.rule == "block in quick proto tcp to any port 5002")' <<<"$fj")
[ "$(jq .packets <<<"$q")" -ge 1 ] && [ "$(jq .evaluations <<<"$q")" -ge 1 ]
ok $? "the quick block rule counts the packets it blocked"
[ "$(jq '.rules[0].packets' <<<"$fj")" -ge 4 ] &&
    [ "$(jq '.rules[0].bytes' <<<"$fj")" -gt 0 ]
ok $? "pass out proto icmp counts the pings and their replies"
[ "$(jq .blocked_default <<<"$fj")" -ge 3 ]
ok $? "packets no rule matched are counted ($(jq .blocked_default <<<"$fj"))"
like "$(ctl a show filter)" "@1 pass out proto icmp all" "the text names rules @N"
like "$(ctl b show filter)" "no filter: every packet passes" \
    "b: show filter says there is none"

sj=$(ctl a -j show states)
[ "$(jq '[.states[] | select(.proto == "tcp" and .dport == 5003)] | length' <<<"$sj")" -ge 1 ]
ok $? "show states -j lists the connection to b:5003"
like "$(ctl a show states)" "100.64.0.1:[0-9]* -> 100.64.0.2:5003" \
    "show states shows it as it went out"

# ---- a long connection across reloads
mkfifo "$D/in"
start_bg NCB ip netns exec "$B" sh -c "exec nc -l 100.64.0.2 5006 >'$D/got'"
wait_for 5 sh -c "ip netns exec $B ss -Hltn | grep -q 100.64.0.2:5006" ||
    wait_for 5 sh -c "ip netns exec $B ss -Hltn | grep -q :5006"
start_bg NCA ip netns exec "$A" sh -c "exec nc 100.64.0.2 5006 <'$D/in' >/dev/null"
exec 3>"$D/in"
echo one >&3
wait_for 5 grep -q one "$D/got"; ok $? "a long connection a -> b:5006 carries data"

# a reload that keeps the rule: the state stays
conf a 1 b "$B_PUB" 2 "
	pass out proto udp to port 7000
	pass out proto tcp to peer \"b\" port 5006" >"$D/a.conf"
t "reload a with rules that still pass it" ctl a reload
echo two >&3
wait_for 5 grep -q two "$D/got"; ok $? "the connection goes on after the reload"
tcp_try "$A" 100.64.0.2 5003
ok $((! $?)) "a new connection to b:5003, no longer passed: blocked"

# ---- a full state table: new connections refused, the old one goes on
n=$(ctl a -j show filter | jq .states)
conf a 1 b "$B_PUB" 2 "
	set limit states $((n + 1))
	pass out proto icmp
	pass out proto udp to port 7000
	pass out proto tcp to peer \"b\" port 5006" >"$D/a.conf"
like "$(ctl a reload)" "filter.*3 rules, $((n + 1)) states at most" \
    "reload a with a limit of $((n + 1)) states: the change is reported"
for i in 1 2 3 4 5; do inA ping -c 1 -W 1 100.64.0.2 >/dev/null 2>&1; done
full=$(ctl a -j show filter | jq .refused_full)
[ "$full" -ge 1 ]; ok $? "a full table refuses new connections ($full counted)"
inA ping -c 1 -W 1 100.64.0.2 >/dev/null 2>&1
ok $((! $?)) "a new ping is refused while the table is full"
echo three >&3
wait_for 5 grep -q three "$D/got"; ok $? "the established connection goes on"

# a reload without the rule: its state goes, and its packets with it
conf a 1 b "$B_PUB" 2 "
	pass out proto icmp" >"$D/a.conf"
t "reload a without the rule" ctl a reload
[ "$(ctl a -j show states | jq '[.states[] | select(.dport == 5006)] | length')" = 0 ]
ok $? "the connection's state is gone"
echo four >&3
sleep 2
grep -q four "$D/got"; ok $((! $?)) "its data no longer passes"
exec 3>&-

# ---- no filter: everything passes again
conf a 1 b "$B_PUB" 2 >"$D/a.conf"
like "$(ctl a reload)" "filter.*off: every packet passes" \
    "reload a without a filter block: the change is reported"
t "b -> a:5004 passes without a filter" tcp_try "$B" 100.64.0.1 5004

done_testing
