#!/usr/bin/env bash
# What meshd-net can read of the packet channels: two meshd nodes ping
# each other as fast as they can with a random 16-byte marker filling
# every payload, while ringspy maps the packet channel memfds of one
# node's meshd-net read-only, as meshd-net itself maps them, and polls
# the slots around each ring's head.  meshd-net may see ciphertext only:
# the marker must never show, on either node, though the rings carried
# the pings.  As a control, the same spy on meshd-tun (which may see
# plaintext: its rings hold the inner packets) finds the marker.
# Underlay 198.19.51.0/24.

. "$(dirname "$0")/../lib.sh"
need_root
for c in jq wg ping; do
	command -v "$c" >/dev/null || skip_all "$c missing"
done
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"
SPY=$MESHD_BUILD/regress/interop/ringspy
[ -x "$SPY" ] || skip_all "$SPY not built (run make check)"
[ -d /proc/self/map_files ] || skip_all "no /proc/PID/map_files in this kernel"

A=rs-a$$ B=rs-b$$
netns_new "$A"; netns_new "$B"
veth_pair "$A" rsa 198.19.51.1/24 "$B" rsb 198.19.51.2/24
tmpdir_new D

(umask 077; wg genkey >"$D/a.key"; wg genkey >"$D/b.key")
conf() {	# conf ME MYNUM PEER PEERNUM
	cat <<EOF
interface "rs0" {
	address 100.64.51.$2/24
	listen-port 51820
	private-key-file "$D/$1.key"
}
peer "$3" {
	public-key "$(wg pubkey <"$D/$3.key")"
	endpoint "198.19.51.$4:51820"
	allowed-ips 100.64.51.$4/32
}
EOF
}
conf a 1 b 2 >"$D/a.conf"
conf b 2 a 1 >"$D/b.conf"

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
for n in a b; do
	ns=$A; [ $n = b ] && ns=$B
	meshd_up $n "$ns"
	ok $? "node $n starts" || { diag "$(cat "$D/$n.log")"; done_testing; exit 1; }
done
t "a -> b ping (the first handshake)" \
    ip netns exec "$A" ping -c 3 -i 0.2 -W 2 -w 15 100.64.51.2 || {
	for n in a b; do echo "$n's log:"; cat "$D/$n.log"; done | sed 's/^/# /'
	done_testing; exit 1; }

declare -A P
for n in a b; do
	js=$(ctl $n -j show status)
	for role in net tun; do
		P[$n.$role]=$(jq -r ".processes[] | select(.role == \"$role\") | .pid" <<<"$js")
	done
done

MARK=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
# spy NODE ROLE SECONDS: ringspy on that process while a floods b with
# pings carrying the marker (b echoes them back: both directions carry
# it); sets SPY_OUT (the spy's summary line), RINGS, HITS, PKTS (packets
# the watched rings published), RECV (echo replies a received)
spy() {
	local out pid
	start_bg pid sh -c "'$SPY' -t $3 ${P[$1.$2]} $MARK >'$D/spy' 2>&1"
	out=$(ip netns exec "$A" ping -f -q -s 1200 -p "$MARK" -w $(($3 + 1)) \
	    100.64.51.2 2>&1)
	wait "$pid"
	SPY_OUT=$(grep '^spy ' "$D/spy")
	[ -n "$SPY_OUT" ] || diag "ringspy: $(cat "$D/spy")"
	grep '^ring ' "$D/spy" | sed "s/^/$1 $2: /" | while read -r l; do diag "$l"; done
	RINGS=$(sed -n 's/.* rings=\([0-9]*\).*/\1/p' <<<"$SPY_OUT")
	HITS=$(sed -n 's/.* hits=\([0-9]*\).*/\1/p' <<<"$SPY_OUT")
	PKTS=$(sed -n 's/.* packets=\([0-9]*\).*/\1/p' <<<"$SPY_OUT")
	RECV=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
	diag "$1 $2: $SPY_OUT; ping: $(grep transmitted <<<"$out")"
}

for n in a b; do
	spy $n net 4
	is "$RINGS" 2 "node $n net: the spy maps both of meshd-net's rings"
	[ "${RECV:-0}" -ge 500 ] && [ "${PKTS:-0}" -ge 1000 ]
	ok $? "node $n net: the rings carried the marked pings while" \
	    "watched ($RECV replies, $PKTS packets)"
	is "$HITS" 0 "node $n net: the marker never showed in meshd-net's rings"
done

# control: meshd-tun may see the plaintext, and the spy finds it there
for n in a b; do
	spy $n tun 2
	is "$RINGS" 2 "control: node $n tun: the spy maps both of meshd-tun's rings"
	[ "${HITS:-0}" -gt 0 ]
	ok $? "control: node $n tun: the spy finds the marker in meshd-tun's rings ($HITS hits)"
done

for n in a b; do
	kill -0 "$(eval echo "\$PID_$n")"; ok $? "node $n still runs"
	grep -q "fatal\|lost child" "$D/$n.log"
	ok $((!$?)) "node $n logged nothing fatal" || diag "$(cat "$D/$n.log")"
done

done_testing
