#!/usr/bin/env bash
# The mesh DNS, asked with dig: a coordinator n1 and member n2 (ttl 7,
# two static peers), later n3.  On n2's own mesh address: A, AAAA, case,
# this. and the node's own name, NXDOMAIN with an SOA, REFUSED outside
# the domain, TCP, a static peer's host routes, an answer too big for
# UDP cut with TC and retried over TCP; n1 asks n2 across the tunnel.  n3
# appears within 1 s of n2 admitting it and is gone within 1 s of its
# revocation.  Malformed queries are counted and the daemon answers on; a
# reload changes the domain.  systemd-resolved is absent here, or runs in
# the host's namespace: meshd says so and changes nothing.

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg dig
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

HUB=mdnh$$
mesh_hub "$HUB" || fail_setup "the hub"
tmpdir_new D
mesh_ca || fail_setup "an admin key"
for i in 1 2 3; do
	mesh_host "$HUB" "mdn$i$$" "$i" || fail_setup "host $i"
done
mesh_cert n1 1 -R coordinator || fail_setup "n1's certificate"
mesh_cert n2 2 || fail_setup "n2's certificate"
mesh_cert n3 3 || fail_setup "n3's certificate"
mesh_conf n1 serve
MESH_EXTRA=$'\tttl 7' mesh_conf n2 n1:1
mesh_conf n3 n1:1
# static peers: web has a host route and a network; big has 40 hosts
big=
for i in $(seq 1 40); do big="$big, 10.8.0.$i/32"; done
cat >>"$D/n2.conf" <<EOC
peer "web" {
	public-key "$(wg genkey | wg pubkey)"
	allowed-ips 10.9.0.5/32, 10.9.1.0/24
}
peer "big" {
	public-key "$(wg genkey | wg pubkey)"
	allowed-ips ${big#, }
}
EOC

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
# q NODE-NS-INDEX NAME [DIG-ARGS...]: ask n2's address from host N
q() {
	local i=$1 name=$2; shift 2
	ip netns exec "mdn$i$$" dig +time=1 +tries=1 @100.64.0.2 "$name" "$@"
}
short() { q 2 "$@" +short | sort | tr '\n' ' ' | sed 's/ $//'; }
status() { q 2 "$@" | sed -n 's/.*status: \([A-Z]*\).*/\1/p'; }
member() {
	[ "$(ctl n2 -j show peer "$1" 2>/dev/null |
	    jq -r '.state // empty')" = "$2" ]
}

for i in 1 2; do
	meshd_up "n$i" "mdn$i$$"; ok $? "n$i starts"
done
# n1 is a coordinator (a config peer): known once its certificate came
n1_known() { ctl n2 -j show peer n1 | jq -e '.cert_expires != null'; }
wait_for 10 n1_known; ok $? "n2 knows n1 by its certificate"
like "$(cat "$D/n2.log")" \
    "systemd-resolved (is not running|runs in another network namespace)" \
    "n2 says why it tells no systemd-resolved"

# ---- names on n2's own address
is "$(short n1.tunnelmesh A)" 100.64.0.1 "A of the member n1"
is "$(short n1.tunnelmesh AAAA)" fd00:6d65:7368::1 "AAAA of n1"
is "$(short N1.TunnelMESH A)" 100.64.0.1 "names are case-insensitive"
is "$(short this.tunnelmesh A)" 100.64.0.2 "this. is the node itself"
is "$(short n2.tunnelmesh AAAA)" fd00:6d65:7368::2 \
    "and so is its own name"
is "$(q 2 n1.tunnelmesh A +noall +answer | awk '{ print $2 }')" 7 \
    "the answer's TTL is the configured 7"
is "$(status nobody.tunnelmesh A)" NXDOMAIN "an unknown name: NXDOMAIN"
like "$(q 2 nobody.tunnelmesh A +noall +authority)" \
    "^tunnelmesh\.[[:space:]]+7[[:space:]]+IN[[:space:]]+SOA[[:space:]]+this\.tunnelmesh\. hostmaster\.tunnelmesh\." \
    "with the domain's SOA in the authority section"
is "$(status www.example.com A)" REFUSED "outside the domain: REFUSED"
is "$(short n1.tunnelmesh A +tcp)" 100.64.0.1 "the same over TCP"
is "$(short web.tunnelmesh A)" 10.9.0.5 \
    "a static peer: its host route, not its network"
like "$(q 2 big.tunnelmesh A +noedns +ignore)" "flags: qr aa tc[ ;].*ANSWER: 0" \
    "40 addresses without EDNS: truncated over UDP"
is "$(q 2 big.tunnelmesh A +noedns +short | wc -l)" 40 \
    "dig retries over TCP and gets all 40"
is "$(q 1 n2.tunnelmesh A +short)" 100.64.0.2 \
    "n1 asks n2 across the tunnel"
v6() {
	[ "$(ip netns exec "mdn2$$" dig +time=1 +tries=1 +short \
	    @fd00:6d65:7368::2 n1.tunnelmesh AAAA)" = fd00:6d65:7368::1 ]
}
wait_for 3 v6; ok $? "n2's IPv6 mesh address answers too"

# ---- a member appears when admitted, goes when revoked
meshd_up n3 "mdn3$$"; ok $? "n3 starts"
wait_for 10 member n3 member; ok $? "n2 admits n3"
wait_for 1 sh -c "[ \"\$(ip netns exec mdn2$$ dig +short @100.64.0.2 \
    n3.tunnelmesh A)\" = 100.64.0.3 ]"
ok $? "n3.tunnelmesh answers within 1 s of n2 admitting it"
"$MESHCTL" ca revoke -k "$D/ca.key" -f "$D/revoked" "$D/n3.crt" >/dev/null
mesh_conf n1 serve
ctl n1 reload >/dev/null; ok $? "the coordinator reloads with n3 revoked"
wait_for 10 member n3 revoked; ok $? "n2 lists n3 as revoked"
wait_for 1 sh -c "ip netns exec mdn2$$ dig @100.64.0.2 n3.tunnelmesh A |
    grep -q 'status: NXDOMAIN'"
ok $? "n3.tunnelmesh is NXDOMAIN within 1 s of that"

# ---- hostile queries: counted, and n2 answers on
before=$(ctl n2 -j show dns | jq .malformed)
ip netns exec "mdn2$$" bash -c '
	# a header and a name that points at itself
	printf "\x12\x34\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01" \
	    >/dev/udp/100.64.0.2/53
	# 5 bytes: no header
	printf "\x01\x02\x03\x04\x05" >/dev/udp/100.64.0.2/53
	# counts that lie
	printf "\x12\x35\x00\x00\x00\x01\xff\xff\xff\xff\xff\xff\x01a\x00\x00\x01\x00\x01" \
	    >/dev/udp/100.64.0.2/53'
grew() { [ "$(ctl n2 -j show dns | jq .malformed)" -ge $((before + 3)) ]; }
wait_for 2 grew; ok $? "three malformed queries are counted"
is "$(short n1.tunnelmesh A)" 100.64.0.1 "and n2 still answers"
kill -0 "$PID_n2"; ok $? "n2's meshd is alive"
dns=$(ctl n2 -j show dns)
ok $(jq -e '.refused >= 1 and .nxdomain >= 2 and .tcp_queries >= 2 and
    .truncated >= 1 and .udp_sockets == 2 and .tcp_sockets == 2' \
    <<<"$dns" >/dev/null; echo $?) "show dns counts what was asked"
like "$(ctl n2 show dns)" "domain: tunnelmesh, ttl 7 s" \
    "show dns says the domain and the ttl"

# ---- TCP: one connection for several queries; at most 8 at a time
is "$(q 2 n1.tunnelmesh +tcp +keepopen +short this.tunnelmesh A \
    +tcp +keepopen +short | tr '\n' ' ')" "100.64.0.1 100.64.0.2 " \
    "two queries on one TCP connection"
ip netns exec "mdn2$$" bash -c 'for i in 1 2 3 4 5 6 7 8 9 10; do
	exec {fd}<>/dev/tcp/100.64.0.2/53; done; sleep 1' &
HOG=$!
full() { [ "$(ctl n2 -j show dns | jq .tcp_refused)" -ge 2 ]; }
wait_for 3 full; ok $? "the 9th and 10th idle TCP connections are refused"
wait "$HOG"
drained() { [ "$(ctl n2 -j show dns | jq .tcp_connections)" = 0 ]; }
wait_for 3 drained; ok $? "closed by the client, they are gone"
is "$(short n1.tunnelmesh A +tcp)" 100.64.0.1 "and TCP answers again"

# ---- a reload changes the domain, the sockets stay
MESH_EXTRA=$'\tdomain "Corp.Example."' mesh_conf n2 n1:1
out=$(ctl n2 reload); ok $? "n2 reloads with domain Corp.Example."
has "$out" 'domain "corp.example"' "the reload says the domain changed"
is "$(short n1.corp.example A)" 100.64.0.1 "n1.corp.example answers"
is "$(status n1.tunnelmesh A)" REFUSED "tunnelmesh is no longer ours"
is "$(short this.corp.example A +tcp)" 100.64.0.2 "TCP too"

# ---- a reload adds an address: it answers too, the kept ones go on
sed -i 's|^\tlisten-port 51820$|&\n\taddress 100.64.0.2/32\n\taddress 10.77.0.2/24|' \
    "$D/n2.conf"
ctl n2 reload >/dev/null; ok $? "n2 reloads with a second IPv4 address"
at77() {
	[ "$(ip netns exec "mdn2$$" dig +time=1 +tries=1 +short @10.77.0.2 \
	    this.corp.example A | sort | tr '\n' ' ')" = "10.77.0.2 100.64.0.2 " ]
}
wait_for 3 at77; ok $? "the new address answers, this. has both"
is "$(short n1.corp.example A +tcp)" 100.64.0.1 \
    "the kept address answers over TCP"
is "$(ctl n2 -j show dns | jq '.udp_sockets + .tcp_sockets')" 4 \
    "two addresses, four sockets"
done_testing
