#!/usr/bin/env bash
# Rekeying while traffic flows.  Two meshd nodes from the test-clock
# installation (make check builds it with -DMESHD_TEST_CLOCK; release
# builds cannot speed up their clock) run the protocol clock 30 times
# faster: REKEY_AFTER_TIME (120 s) comes every 4 s, REJECT_AFTER_TIME
# (180 s) after 6 s.  A ping runs for 15 s, 450 protocol seconds: several
# new sessions must be made, and the ping must go on answering.

. "$(dirname "$0")/../lib.sh"
need_root
for c in jq wg; do command -v $c >/dev/null || skip_all "$c missing"; done
TC=${MESHD_TCLOCK_ROOT:-}
[ -n "$TC" ] && [ -x "$TC/sbin/meshd" ] ||
    skip_all "no test-clock installation (run make check)"

A=mrka$$ B=mrkb$$
netns_new "$A"; netns_new "$B"
ip link add va netns "$A" type veth peer name vb netns "$B"
ip -n "$A" addr add 198.18.2.1/24 dev va; ip -n "$A" link set va up
ip -n "$B" addr add 198.18.2.2/24 dev vb; ip -n "$B" link set vb up
tmpdir_new D
(umask 077; wg genkey >"$D/a.key"; wg genkey >"$D/b.key")
conf() {	# conf ME MYNUM PEERPUB PEERNUM
	cat <<EOF
interface "mrk0" {
	address 100.64.2.$2/24
	listen-port 51820
	private-key-file "$D/$1.key"
}
peer "other" {
	public-key "$3"
	endpoint "198.18.2.$4:51820"
	allowed-ips 100.64.2.$4/32
}
EOF
}
conf a 1 "$(wg pubkey <"$D/b.key")" 2 >"$D/a.conf"
conf b 2 "$(wg pubkey <"$D/a.key")" 1 >"$D/b.conf"
for n in a b; do
	ns=$A; [ $n = b ] && ns=$B
	start_bg PID ip netns exec "$ns" env MESHD_TEST_CLOCK_SCALE=30 \
	    "$TC/sbin/meshd" -d -v -f "$D/$n.conf" -s "$D/$n.sock" 2>"$D/$n.log"
	meshd_ready "$D/$n.sock"; ok $? "node $n starts"
done
grep -q "test clock: 30 times" "$D/a.log"; ok $? "the test clock runs 30 times faster"

out=$(ip netns exec "$A" ping -c 75 -i 0.2 -W 1 100.64.2.2 2>&1)
rx=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
[ "${rx:-0}" -ge 72 ]; ok $? "pings keep answering across rekeys ($rx of 75)"
hs=$(cat "$D/a.log" "$D/b.log" | grep -c "handshake complete")
[ "$hs" -ge 6 ]; ok $? "new sessions were made as the keys aged ($hs handshakes, both sides, 450 protocol seconds)"
for n in a b; do
	grep -q "fatal\|lost child" "$D/$n.log"; ok $((!$?)) "node $n logged nothing fatal"
done

done_testing
