#!/usr/bin/env bash
# UDP offloads in meshd-net (issue 17): a file through the tunnel with
# UDP_SEGMENT on send and UDP_GRO on receive, the same sha256 at both
# ends, and meshctl show status counting runs sent as one datagram and
# glued datagrams read; with MESHD_LEVERS_OFF=gso,gro the same transfer
# counts none (the plain path).  An underlay MTU below the tunnel's: the
# kernel refuses a run whose segments do not fit (a plain datagram is
# fragmented instead), meshd counts it, sends that peer's data plain,
# and the file still arrives whole.  A device without transmit checksum
# offload (regress/interop/txcsum): the file arrives whole.  EIO for a
# run (an older kernel's answer there; here MESHD_TEST_GSO_EIO): meshd-net
# says so once and sends plain from that socket.  The local address a
# answers b from goes away: its runs fail, the address is forgotten, and
# runs go on from the one the kernel picks (a is not taken for a path
# that refuses UDP_SEGMENT).
# Underlay 198.18.17.0/24.

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg nc sha256sum
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"
TXCSUM=${TXCSUM:-$MESHD_BUILD/regress/interop/txcsum}
[ -x "$TXCSUM" ] || skip_all "$TXCSUM not built (run make check)"

A=muoa$$ B=muob$$
two_hosts "$A" "$B" 198.18.17 || fail_setup "the two hosts"

conf() {	# conf NAME MYNUM PEERNAME PEERPUB PEERNUM [ENDPOINT]
	cat <<EOF2
interface "muo0" {
	address 100.64.17.$2/24
	listen-port 51820
	private-key-file "$D/$1.key"
}
peer "$3" {
	public-key "$4"
	${6-endpoint "198.18.17.$5:51820"}
	allowed-ips 100.64.17.$5/32
}
EOF2
}
conf a 1 b "$B_PUB" 2 >"$D/a.conf"
conf b 2 a "$A_PUB" 1 >"$D/b.conf"

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
# cnt NODE KEY: a counter of meshd-net's, from show status -j
cnt() { ctl "$1" -j show status | jq -r ".counters.net.$2"; }

head -c 30000000 /dev/urandom >"$D/blob"
SUM=$(sha256sum <"$D/blob" | cut -d' ' -f1)
# send: the file a -> b over TCP through the tunnel, its sha256 at b
send() {
	rm -f "$D/recv"
	start_bg NC ip netns exec "$B" sh -c \
	    "nc -l 100.64.17.2 5017 >'$D/recv'"
	wait_for 5 ip netns exec "$B" sh -c \
	    "ss -ltn | grep -q '100.64.17.2:5017'" || return 1
	timeout 120 ip netns exec "$A" nc -N 100.64.17.2 5017 <"$D/blob" ||
	    return 1
	wait_for 10 sh -c "! kill -0 $NC"
	[ "$(sha256sum <"$D/recv" | cut -d' ' -f1)" = "$SUM" ]
}
up() {
	meshd_up a "$A" && meshd_up b "$B" &&
	    wait_for 10 ip netns exec "$A" ping -c 1 -W 1 100.64.17.2
}
down() {
	kill "$PID_a" "$PID_b" 2>/dev/null
	wait "$PID_a" "$PID_b" 2>/dev/null
}

# ---- on (the default)
up; ok $? "both nodes up, a reaches b"
send; ok $? "30 MB a -> b with offloads on: the same sha256 at b"
gso=$(cnt a gso_sends); segs=$(cnt a gso_datagrams)
[ "$gso" -gt 0 ] && [ "$segs" -gt "$gso" ]
ok $? "a sent runs as one datagram each ($gso runs, $segs datagrams)"
gro=$(cnt b gro_reads); gsegs=$(cnt b gro_datagrams)
[ "$gro" -gt 0 ] && [ "$gsegs" -gt "$gro" ]
ok $? "b read glued datagrams and cut them ($gro reads, $gsegs datagrams)"
is "$(cnt a gso_refused)" 0 "the kernel refused none of a's runs"
[ "$(cnt b received)" -ge "$gsegs" ] && [ "$(cnt b dropped.malformed)" = 0 ]
ok $? "b counts each piece as a datagram received, none malformed"
txt=$(ctl a show status)
like "$txt" "gso sends +[1-9]" "show status names the runs sent"
like "$(ctl b show status)" "gro datagrams +[1-9]" \
    "and the datagrams read glued"
down

# ---- off: MESHD_LEVERS_OFF=gso,gro, the plain path
export MESHD_LEVERS_OFF=gso,gro
up; ok $? "both nodes up with the levers off"
send; ok $? "30 MB a -> b with offloads off: the same sha256 at b"
is "$(cnt a gso_sends)/$(cnt b gro_reads)/$(cnt b gro_datagrams)" 0/0/0 \
    "no run sent as one, no datagram read glued"
[ "$(cnt b received)" -gt 20000 ]
ok $? "b still counts every datagram ($(cnt b received))"
unlike_gso=$(ctl a show status | grep -c "gso\|gro")
is "$unlike_gso" 0 "show status shows no offload counters while they are 0"
down
unset MESHD_LEVERS_OFF

# ---- an underlay MTU below the tunnel's: runs refused, sent plain
ip -n "$A" link set va mtu 1300
ip -n "$B" link set vb mtu 1300
up; ok $? "both nodes up over an underlay MTU of 1300"
send; ok $? "30 MB a -> b: the same sha256 at b"
ref=$(cnt a gso_refused)
[ "$ref" -ge 1 ]
ok $? "a counts the runs the kernel refused ($ref)"
[ "$ref" -le 5 ]
ok $? "a few at most: the peer then sends plain"
has "$(ctl a show status)" "gso refused" "show status names them"
down
ip -n "$A" link set va mtu 1500
ip -n "$B" link set vb mtu 1500

# ---- no transmit checksum offload on a's device: the kernel segments in
# software (6.2 and later) or refuses with EIO (before): whole either way
ip netns exec "$A" "$TXCSUM" va off
ok $? "a's va without transmit checksum offload"
up; ok $? "both nodes up"
send; ok $? "30 MB a -> b: the same sha256 at b"
diag "runs sent $(cnt a gso_sends), refused $(cnt a gso_refused)"
down
ip netns exec "$A" "$TXCSUM" va on

# ---- EIO as such a kernel says it (MESHD_TEST_GSO_EIO): plain from then on
MESHD_TEST_GSO_EIO=1 meshd_up a "$A" && meshd_up b "$B" &&
    wait_for 10 ip netns exec "$A" ping -c 1 -W 1 100.64.17.2
ok $? "both nodes up, a's first run to fail with EIO"
send; ok $? "30 MB a -> b: the same sha256 at b"
is "$(cnt a gso_refused)/$(cnt a gso_sends)" 1/0 \
    "a counts the refused run, and sent none after it"
[ "$(ctl a -j show peer b | jq .tx_bytes)" -gt 30000000 ]
ok $? "a sent it all ($(ctl a -j show peer b | jq .tx_bytes) bytes)"
is "$(grep -c "UDP_SEGMENT refused" "$D/a.log")" 1 "a's log says it once"
down

# ---- a's local address goes away: runs from the kernel's choice then
ip -n "$A" addr add 198.18.17.11/24 dev va
conf a 1 b "$B_PUB" 2 "" >"$D/a.conf"
conf b 2 a "$A_PUB" 1 'endpoint "198.18.17.11:51820"' >"$D/b.conf"
meshd_up a "$A" && meshd_up b "$B" &&
    wait_for 10 ip netns exec "$B" ping -c 1 -W 1 100.64.17.1
ok $? "b reaches a at its second address, 198.18.17.11"
ip -n "$A" addr del 198.18.17.11/24 dev va
# eight pings at once: a run, most likely, naming the address gone
ip netns exec "$A" ping -c 8 -l 8 -s 1200 -W 2 100.64.17.2 >/dev/null
ok $? "a's pings reach b after a lost that address"
send; ok $? "30 MB a -> b after a lost that address: the same sha256 at b"
[ "$(cnt a gso_sends)" -gt 100 ]
ok $? "a still sent runs as one datagram ($(cnt a gso_sends) runs," \
    "$(cnt a gso_refused) refused)"
is "$(ctl b -j show peer a | jq -r .endpoint)" "198.18.17.1:51820" \
    "b follows a to the address it sends from now"
down

done_testing
