#!/usr/bin/env bash
# Why is there no handshake?  Two meshd nodes a and b from the test-clock
# installation (the protocol clock 10 times faster: an initiation goes
# again every 0.5 s).  a also has a peer c with no endpoint and a
# persistent keepalive of 1 s: nothing goes to c, and nothing is counted
# as sent to it, but as dropped for want of an endpoint.  While b is
# down a's show peer b tells of initiations with no response, logged
# once; with a typo in b's key for a, b names the source of the
# initiation and the first characters of the key it does not know;
# with that fixed the handshake is established and the error gone.  With
# two different preshared keys a says its response did not verify; with
# a wrong key for b, b logs the source of the bad mac, once.  At last, on
# a fresh pair, what one side sent is what the other received.
# Underlay 198.18.11.0/24.

. "$(dirname "$0")/../lib.sh"
need_root
for c in jq wg; do command -v $c >/dev/null || skip_all "$c missing"; done
TC=${MESHD_TCLOCK_ROOT:-}
[ -n "$TC" ] && [ -x "$TC/sbin/meshd" ] ||
    skip_all "no test-clock installation (run make check)"

START=$(date +%s)
A=mhsa$$ B=mhsb$$
netns_new "$A"; netns_new "$B"
veth_pair "$A" va 198.18.11.1/24 "$B" vb 198.18.11.2/24
tmpdir_new D
(umask 077; for k in a b c x; do wg genkey >"$D/$k.key"; done)
A_PUB=$(wg pubkey <"$D/a.key"); B_PUB=$(wg pubkey <"$D/b.key")
C_PUB=$(wg pubkey <"$D/c.key"); X_PUB=$(wg pubkey <"$D/x.key")

(umask 077; wg genpsk >"$D/a.psk"; wg genpsk >"$D/b.psk")
# psk FILE: a preshared-key-file line, or none if FILE is empty
psk() { [ -z "$1" ] || printf '\tpreshared-key-file "%s"\n' "$D/$1"; }
# a_conf KEY [PSK]: a, with KEY as b's public key
a_conf() {
	cat >"$D/a.conf" <<EOC
interface "mhs0" {
	address 100.64.11.1/24
	listen-port 51820
	private-key-file "$D/a.key"
}
peer "b" {
	public-key "$1"
	endpoint "198.18.11.2:51820"
	allowed-ips 100.64.11.2/32
$(psk "$2")
}
peer "c" {
	public-key "$C_PUB"
	allowed-ips 100.64.11.3/32
	persistent-keepalive 1
}
EOC
}
# b_conf KEY [PSK]: b, with KEY as a's public key
b_conf() {
	cat >"$D/b.conf" <<EOC
interface "mhs0" {
	address 100.64.11.2/24
	listen-port 51820
	private-key-file "$D/b.key"
}
peer "a" {
	public-key "$1"
	endpoint "198.18.11.1:51820"
	allowed-ips 100.64.11.1/32
$(psk "$2")
}
EOC
}
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
pj() { ctl "$1" -j show peer "$2" | jq -r "$3"; }	# pj NODE PEER FILTER
ge() { [ "$(pj "$1" "$2" "$3")" -ge "$4" ]; }	# ge NODE PEER FILTER N

a_conf "$B_PUB"
up a "$A"; ok $? "node a starts"

# c: no endpoint.  Pings to it start handshakes; the keepalive asks for
# more; none can go
ip netns exec "$A" ping -c 2 -i 0.3 -W 1 100.64.11.3 >/dev/null 2>&1
wait_for 10 ge a c .dropped.no_route 1
ok $? "a counts what it could not send to c as no route (it has no endpoint)"
n1=$(pj a c .dropped.no_route)
ip netns exec "$A" ping -c 2 -i 0.3 -W 1 100.64.11.3 >/dev/null 2>&1
wait_for 10 ge a c .dropped.no_route $((n1 + 1))
ok $? "and the count grows ($n1, then $(pj a c .dropped.no_route))"
is "$(pj a c .tx_bytes)" 0 "nothing counted as sent to c"
like "$(ctl a show peer c)" "transfer: 0 B received, 0 B sent" \
    "show peer c says 0 B sent"
is "$(pj a c .last_error)" \
    "no endpoint: initiations cannot go until the peer contacts us" \
    "c's last_error: no endpoint"

# (1) b down: a's initiations go unanswered
ip netns exec "$A" ping -c 1 -W 1 100.64.11.2 >/dev/null 2>&1
wait_for 15 ge a b .attempts 3
ok $? "a's initiations to b are counted ($(pj a b .attempts))"
is "$(pj a b .handshake_state)" initiating "handshake_state initiating"
like "$(pj a b .last_error)" \
    '^no response to [0-9]+ initiations since [0-9]{2}:[0-9]{2}:[0-9]{2} UTC$' \
    "last_error: no response to N initiations since HH:MM:SS"
out=$(ctl a show peer b)
like "$out" 'handshake: initiating, [0-9]+ initiations sent, the last .* ago' \
    "show peer b: the handshake is initiating"
like "$out" 'last error: no response to [0-9]+ initiations since' \
    "show peer b: the last error"
[ "$(pj a b .tx_bytes)" -ge 444 ]
ok $? "the initiations to b count as sent ($(pj a b .tx_bytes) bytes)"
# logged once, then at most once a minute
n=$(grep -c 'peer b: no response to' "$D/a.log")
max=$(( 1 + ($(date +%s) - START) / 60 ))
[ "$n" -ge 1 ] && [ "$n" -le "$max" ]
ok $? "a logged no response from b $n time(s), at most $max (once a minute)"
grep -q 'peer b: no response to 1 initiation since' "$D/a.log"
ok $? "the first failure is logged, naming the peer"

# (2) b up with a typo in its key for a: it knows no such key
b_conf "$X_PUB"
up b "$B"; ok $? "node b starts, with a wrong key for a"
ev="initiation from 198.18.11.1:51820 with an unknown static key (${A_PUB:0:8}...)"
ip netns exec "$A" ping -c 1 -W 1 100.64.11.2 >/dev/null 2>&1
wait_for 15 sh -c "$MESHCTL -s $D/b.sock show status | grep -qF '$ev'"
ok $? "b's show status: $ev"
ctl b -j show status | jq -r '.unknown_peer_handshakes[]' | grep -qF "$ev"
ok $? "b's show status -j: unknown_peer_handshakes"
grep -qF "$ev" "$D/b.log"; ok $? "b's log names the source and the key"
is "$(pj a b .handshake_state)" initiating "a still initiating"

# (3) fixed: established, the error gone
down b
b_conf "$A_PUB"
up b "$B"; ok $? "node b starts with a's key right"
t "a reaches b" ip netns exec "$A" ping -c 2 -i 0.3 -W 2 100.64.11.2
wait_for 10 sh -c "$MESHCTL -j -s $D/a.sock show peer b |
    jq -e '.handshake_state == \"established\"'"
ok $? "handshake_state established"
is "$(pj a b .last_error)" null "last_error cleared"
is "$(pj a b .attempts)" 0 "attempts 0"
like "$(ctl a show peer b)" 'last error: \(none\)' "show peer b: no error"

# (4) the fields, by these names
is "$(ctl a -j show peer b | jq -c '[has("handshake_state"),
    has("last_error"), has("attempts"), has("last_attempt")]')" \
    '[true,true,true,true]' "show peer -j has the handshake fields"
is "$(ctl a -j show status | jq -c '.unknown_peer_handshakes | type')" \
    '"array"' "show status -j has unknown_peer_handshakes"

# (5) logs name peers by name
for n in a b; do
	grep -q 'peer [0-9][0-9]*:' "$D/$n.log"
	ok $((!$?)) "$n's log names no peer by number"
done

# (6) two different preshared keys: the initiator can tell
down a; down b
a_conf "$B_PUB" a.psk; b_conf "$A_PUB" b.psk
up a "$A"; ok $? "a starts with one preshared key"
up b "$B"; ok $? "b starts with another"
ip netns exec "$A" ping -c 1 -W 1 100.64.11.2 >/dev/null 2>&1
wait_for 10 sh -c "$MESHCTL -j -s $D/a.sock show peer b | jq -e \
    '.last_error == \"response did not verify (wrong preshared key?)\"'"
ok $? "a's last_error: response did not verify (wrong preshared key?)"
grep -qF 'peer b: response did not verify (wrong preshared key?)' "$D/a.log"
ok $? "a logs it, naming b"
wait_for 10 sh -c "$MESHCTL -j -s $D/b.sock show peer a | jq -r .last_error |
    grep -Eq '^no data after [0-9]+ responses? to its initiations \(wrong preshared key\?\)$'"
ok $? "b's last_error: no data after its responses (wrong preshared key?)"

# (7) a has a wrong key for b: b drops the bad mac and names the source
down a
a_conf "$X_PUB"
up a "$A"; ok $? "a starts with a wrong key for b"
ip netns exec "$A" ping -c 1 -W 1 100.64.11.2 >/dev/null 2>&1
wait_for 15 sh -c "$MESHCTL -j -s $D/b.sock show status |
    jq -e '.counters.net.dropped.bad_mac >= 3'"
ok $? "b drops a's initiations for their bad mac"
n=$(grep -c 'handshake with a bad mac from 198.18.11.1:51820' "$D/b.log")
max=$(( 1 + ($(date +%s) - START) / 60 ))
[ "$n" -ge 1 ] && [ "$n" -le "$max" ]
ok $? "b logs the source of the bad mac $n time(s), at most $max (once a minute)"

# bytes: on a fresh pair, what one sent the other received
down a; down b
a_conf "$B_PUB"; b_conf "$A_PUB"
: >"$D/a.log"; : >"$D/b.log"
up a "$A"; ok $? "a starts again"
up b "$B"; ok $? "b starts again"
t "a reaches b again" ip netns exec "$A" ping -c 3 -i 0.3 -W 2 100.64.11.2
same() {
	[ "$(pj a b .tx_bytes)" = "$(pj b a .rx_bytes)" ] &&
	[ "$(pj b a .tx_bytes)" = "$(pj a b .rx_bytes)" ] &&
	[ "$(pj a b .tx_bytes)" -gt 0 ]
}
wait_for 20 same
ok $? "a sent b $(pj a b .tx_bytes) bytes, b received $(pj b a .rx_bytes); b sent $(pj b a .tx_bytes), a received $(pj a b .rx_bytes)"
is "$(pj a c .tx_bytes)" 0 "still nothing sent to c"
for n in a b; do
	grep -q "fatal\|lost child" "$D/$n.log"
	ok $((!$?)) "node $n logged nothing fatal"
done

done_testing
