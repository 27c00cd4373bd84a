#!/usr/bin/env bash
# Overlapping allowed-ips of two peers, as WireGuard has them: node a
# gives b 100.64.0.0/16 and c 100.64.0.3/32 inside it.  The longest prefix
# wins both ways: pings to 100.64.0.3 reach c and to the rest of the /16
# reach b; a packet from b with c's address as its source is dropped (its
# longest match is c, not b); when a reload takes c away, 100.64.0.3 is
# b's.  Underlays 198.18.8.0/24 (a-b) and 198.18.9.0/24 (a-c).

. "$(dirname "$0")/../lib.sh"
need_root
for c in jq wg; do
	command -v "$c" >/dev/null || skip_all "$c missing"
done
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

A=mova$$ B=movb$$ C=movc$$
netns_new "$A"; netns_new "$B"; netns_new "$C"
veth_pair "$A" vab 198.18.8.1/24 "$B" vba 198.18.8.2/24
veth_pair "$A" vac 198.18.9.1/24 "$C" vca 198.18.9.3/24
tmpdir_new D
(umask 077; for n in a b c; do wg genkey >"$D/$n.key"; done)
A_PUB=$(wg pubkey <"$D/a.key"); B_PUB=$(wg pubkey <"$D/b.key")
C_PUB=$(wg pubkey <"$D/c.key")

iface() {	# iface NAME NUM
	printf 'interface "mov0" {\n\taddress 100.64.0.%s/16\n' "$2"
	printf '\tlisten-port 51820\n\tprivate-key-file "%s"\n}\n' \
	    "$D/$1.key"
}
peer() {	# peer NAME KEY ENDPOINT ALLOWED-IPS
	printf 'peer "%s" {\n\tpublic-key "%s"\n\tendpoint "%s"\n' "$1" \
	    "$2" "$3"
	printf '\tallowed-ips %s\n}\n' "$4"
}
{ iface a 1; peer b "$B_PUB" 198.18.8.2:51820 100.64.0.0/16
  peer c "$C_PUB" 198.18.9.3:51820 100.64.0.3/32; } >"$D/a.conf"
{ iface b 2; peer a "$A_PUB" 198.18.8.1:51820 100.64.0.1/32; } >"$D/b.conf"
{ iface c 3; peer a "$A_PUB" 198.18.9.1:51820 100.64.0.1/32; } >"$D/c.conf"

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
peerj() { ctl "$1" -j show peer "$2" | jq -r "$3"; }

"$MESHD" -n -f "$D/a.conf" >/dev/null 2>&1
ok $? "meshd -n accepts b's /16 around c's /32"
meshd_up a "$A"; ok $? "node a starts"
meshd_up b "$B"; ok $? "node b starts"
meshd_up c "$C"; ok $? "node c starts"

ip -n "$B" addr add 100.64.9.9/32 dev mov0
t "a -> 100.64.0.3 (c's /32) gets an answer" \
    ip netns exec "$A" ping -c 3 -i 0.2 -W 2 100.64.0.3
[ "$(peerj a c .rx_bytes)" -gt 0 ] && [ "$(peerj a c .tx_bytes)" -gt 0 ]
ok $? "and it went to c and back"
b_tx=$(peerj a b .tx_bytes)
t "a -> 100.64.0.2 (under b's /16) gets an answer" \
    ip netns exec "$A" ping -c 3 -i 0.2 -W 2 100.64.0.2
t "a -> 100.64.9.9 (under b's /16) too" \
    ip netns exec "$A" ping -c 3 -i 0.2 -W 2 100.64.9.9
[ "$(peerj a b .tx_bytes)" -gt "$b_tx" ]; ok $? "those went to b"
c_tx=$(peerj a c .tx_bytes)
ip netns exec "$A" ping -c 3 -i 0.2 -W 2 100.64.0.3 >/dev/null 2>&1
[ "$(peerj a c .tx_bytes)" -gt "$c_tx" ]
ok $? "100.64.0.3 still goes to c, not b"
is "$(peerj a b .dropped.bad_source)/$(peerj a c .dropped.bad_source)" "0/0" \
    "a dropped no source so far"

# b sends from c's address: inside b's /16, but its longest match is c
ip -n "$B" addr add 100.64.0.3/32 dev mov0
ip netns exec "$B" ping -c 3 -i 0.2 -W 1 -I 100.64.0.3 100.64.0.1 \
    >/dev/null 2>&1
ok $((!$?)) "b sending from 100.64.0.3 gets no answer"
[ "$(peerj a b .dropped.bad_source)" -ge 3 ]
ok $? "a drops it as a bad source for b ($(peerj a b .dropped.bad_source))"
t "b from its own address still gets answers" \
    ip netns exec "$B" ping -c 2 -i 0.2 -W 2 -I 100.64.0.2 100.64.0.1
t "and c from 100.64.0.3" \
    ip netns exec "$C" ping -c 2 -i 0.2 -W 2 100.64.0.1

# without c, its /32 falls back to b's /16: b now holds 100.64.0.3
{ iface a 1; peer b "$B_PUB" 198.18.8.2:51820 100.64.0.0/16; } >"$D/a.conf"
out=$(ctl a reload 2>&1)
ok $? "reload without c" || diag "$out"
src=$(peerj a b .dropped.bad_source)
t "a -> 100.64.0.3 now gets b's answer" \
    ip netns exec "$A" ping -c 3 -i 0.2 -W 2 100.64.0.3
is "$(peerj a b .dropped.bad_source)" "$src" "whose source is now b's"
kill -0 "$PID_a" && kill -0 "$PID_b" && kill -0 "$PID_c"
ok $? "all three daemons still run"
done_testing
