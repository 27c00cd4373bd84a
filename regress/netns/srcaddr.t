#!/usr/bin/env bash
# Replies leave from the address the peer talks to.  Node a has several
# underlay addresses; b's endpoint for a is one a would not pick as a
# source on its own: (a) a secondary IPv4 address on a's veth, (b) an
# address of another interface of a, reached through a route via a's
# veth, (c) an IPv6 address that is not the kernel's choice among three.  In each case traffic flows both
# ways, b's endpoint for a stays the one b configured, and nftables
# counters in b see every datagram of a come from that address.  Then
# (d) the address a answers from is removed: a sends from another one,
# b follows, and traffic still flows.  a has no endpoint for b (its own
# initiations would leave from the kernel's choice, as with WireGuard).

. "$(dirname "$0")/../lib.sh"
need_root
for c in jq wg nft; do
	command -v "$c" >/dev/null || skip_all "$c missing"
done
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

A=mdsa$$ B=mdsb$$
netns_new "$A"; netns_new "$B"
veth_pair "$A" va 198.18.0.1/24 "$B" vb 198.18.0.2/24
ip -n "$A" addr add 198.18.0.11/24 dev va		# (a) secondary
ip -n "$A" link add vx type veth peer name vy		# (b) another one
ip -n "$A" addr add 198.19.0.1/24 dev vx
ip -n "$A" link set vx up; ip -n "$A" link set vy up
ip -n "$B" route add 198.19.0.0/24 via 198.18.0.1
for h in 1 11 12; do					# (c) three
	ip -n "$A" addr add "fd00:198:18::$h/64" dev va nodad
done
ip -n "$B" addr add fd00:198:18::2/64 dev vb nodad
tmpdir_new D

(umask 077; wg genkey >"$D/a.key"; wg genkey >"$D/b.key")
A_PUB=$(wg pubkey <"$D/a.key"); B_PUB=$(wg pubkey <"$D/b.key")

cat >"$D/a.conf" <<EOF
interface "mds0" {
	address 100.64.0.1/24
	listen-port 51820
	private-key-file "$D/a.key"
}
peer "b" {
	public-key "$B_PUB"
	allowed-ips 100.64.0.2/32
}
EOF
bconf() {	# bconf ENDPOINT
	cat >"$D/b.conf" <<EOF
interface "mds0" {
	address 100.64.0.2/24
	listen-port 51820
	private-key-file "$D/b.key"
}
peer "a" {
	public-key "$A_PUB"
	endpoint "$1"
	allowed-ips 100.64.0.1/32
}
EOF
}
ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
b_ep() { ctl b -j show peer a | jq -r .endpoint; }

# counters in b: every datagram from a's port, and those from $1
count_from() {	# count_from ip|ip6 ADDR
	ip netns exec "$B" nft delete table inet mdsrc 2>/dev/null
	ip netns exec "$B" nft -f - <<EOF
table inet mdsrc {
	counter any { }
	counter good { }
	chain in {
		type filter hook input priority 0;
		udp sport 51820 counter name any
		$1 saddr $2 udp sport 51820 counter name good
	}
}
EOF
}
counter() {
	ip netns exec "$B" nft -j list counter inet mdsrc "$1" |
	    jq '.nftables[] | select(.counter) | .counter.packets'
}
check_from() {	# check_from ADDR: what b's counters saw
	local all good
	all=$(counter any); good=$(counter good)
	[ "$good" -gt 0 ] && [ "$good" = "$all" ]
	ok $? "every datagram of a came from $1 ($good of $all)"
}
b_restart() {	# b_restart ENDPOINT
	if [ -n "${PID_b:-}" ]; then
		kill "$PID_b"; wait_for 10 sh -c "! kill -0 $PID_b"
	fi
	bconf "$1"
	meshd_up b "$B"
}
flows() {	# flows CASE: pings both ways, b first (b initiates)
	t "$1: b -> a ping" ip netns exec "$B" ping -c 3 -i 0.2 -W 2 100.64.0.1
	t "$1: a -> b ping" ip netns exec "$A" ping -c 3 -i 0.2 -W 2 100.64.0.2
}

# each case means something only if the kernel would pick another source
ksrc() { ip -n "$A" route get "$1" | sed -n 's/.* src \([^ ]*\).*/\1/p'; }
is "$(ksrc 198.18.0.2)" 198.18.0.1 "a's kernel answers b from 198.18.0.1"
is "$(ksrc fd00:198:18::2)" fd00:198:18::12 \
    "a's kernel answers b from fd00:198:18::12"

meshd_up a "$A"; ok $? "node a starts"

# ---- (a) a secondary address on a's veth
count_from ip 198.18.0.11
b_restart 198.18.0.11:51820; ok $? "node b starts, a at 198.18.0.11"
flows "secondary"
is "$(b_ep)" "198.18.0.11:51820" "b's endpoint for a stays 198.18.0.11"
has "$(ctl b show peers)" "198.18.0.11:51820" "show peers says so too"
check_from 198.18.0.11

# ---- (d) that address goes away: a answers from 198.18.0.1, b follows
ip -n "$A" addr del 198.18.0.11/24 dev va
t "gone: a -> b ping" ip netns exec "$A" ping -c 3 -i 0.2 -W 2 100.64.0.2
t "gone: b -> a ping" ip netns exec "$B" ping -c 3 -i 0.2 -W 2 100.64.0.1
is "$(b_ep)" "198.18.0.1:51820" "b follows a to 198.18.0.1"
kill -0 "$PID_a"; ok $? "a still runs"

# ---- (b) an address of another interface of a, routed via its veth
count_from ip 198.19.0.1
b_restart 198.19.0.1:51820; ok $? "node b restarts, a at 198.19.0.1"
flows "other interface"
is "$(b_ep)" "198.19.0.1:51820" "b's endpoint for a stays 198.19.0.1"
check_from 198.19.0.1

# ---- (c) a non-first IPv6 address
count_from ip6 fd00:198:18::11
b_restart "[fd00:198:18::11]:51820"
ok $? "node b restarts, a at [fd00:198:18::11]"
flows "IPv6"
is "$(b_ep)" "[fd00:198:18::11]:51820" \
    "b's endpoint for a stays [fd00:198:18::11]"
has "$(ctl b show peers)" "[fd00:198:18::11]:51820" "show peers says so too"
check_from fd00:198:18::11

kill -0 "$PID_a" && kill -0 "$PID_b"; ok $? "both daemons still run"
done_testing
