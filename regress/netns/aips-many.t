#!/usr/bin/env bash
# One peer with 130,560 allowed-ips, as WireGuard's own test gives one:
# every 10.A.B.0/24 and fd00:A:B::/48 for A < 255, B < 256, made here.
# meshd reads them (no fixed bound: memory is the only one), routes to an
# address under one of them and takes the answer from it (its source is
# checked against them; meshd adds a route for each, about a second for
# all of them), meshctl show peer lists every one of them, and a reload
# that swaps a quarter of them for other prefixes takes effect.
# Underlay 198.18.7.0/24.

. "$(dirname "$0")/../lib.sh"
need_root
for c in jq wg awk; do
	command -v "$c" >/dev/null || skip_all "$c missing"
done
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

A=mama$$ B=mamb$$
netns_new "$A"; netns_new "$B"
veth_pair "$A" va 198.18.7.1/24 "$B" vb 198.18.7.2/24
tmpdir_new D
(umask 077; wg genkey >"$D/a.key"; wg genkey >"$D/b.key")
A_PUB=$(wg pubkey <"$D/a.key"); B_PUB=$(wg pubkey <"$D/b.key")

# aips V4 V6 LO HI: V4.A.B.0/24 (V4.A.B/32 if V4 has two parts) and
# V6:A:B::/48, for A from LO to HI-1 and every B, 256 to a line
aips() {
	awk -v v4="$1" -v v6="$2" -v lo="$3" -v hi="$4" 'BEGIN {
	    n = split(v4, parts, ".")
	    for (a = lo; a < hi; a++) {
		l4 = "\tallowed-ips "; l6 = l4
		for (b = 0; b < 256; b++) {
			p = n == 1 ? v4 "." a "." b ".0/24" : \
			    v4 "." a "." b "/32"
			l4 = l4 (b ? ", " : "") p
			l6 = l6 (b ? ", " : "") sprintf("%s:%x:%x::/48", v6,
			    a, b)
		}
		print l4; print l6 } }'
}
# a_conf HI: b holds those of 10 and fd00 for A < HI, of 192.168 and fd01
# for A from HI on: 130,560 in all
a_conf() {
	printf 'interface "mam0" {\n\taddress 100.64.0.1/24\n'
	printf '\taddress fd00:6d65:7368::1/64\n\tlisten-port 51820\n'
	printf '\tprivate-key-file "%s"\n}\n' "$D/a.key"
	printf 'peer "b" {\n\tpublic-key "%s"\n' "$B_PUB"
	printf '\tendpoint "198.18.7.2:51820"\n'
	aips 10 fd00 0 "$1"
	aips 192.168 fd01 "$1" 255
	printf '}\n'
}
a_conf 255 >"$D/a.conf"
printf '%s\n' 'interface "mam0" {' '	address 100.64.0.2/24' \
    '	address fd00:6d65:7368::2/64' '	listen-port 51820' \
    "	private-key-file \"$D/b.key\"" '}' 'peer "a" {' \
    "	public-key \"$A_PUB\"" '	endpoint "198.18.7.1:51820"' \
    '	allowed-ips 100.64.0.1/32, fd00:6d65:7368::1/128' '}' >"$D/b.conf"

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
naips() { ctl a -j show peer b | jq '.allowed_ips | length'; }

is "$(grep '^	allowed-ips' "$D/a.conf" | tr ',' '\n' | wc -l)" 130560 \
    "a's config gives b 130,560 prefixes"
"$MESHD" -n -f "$D/a.conf" >/dev/null 2>&1
ok $? "meshd -n accepts them"

meshd_up a "$A"; ok $? "node a starts with them"
meshd_up b "$B"; ok $? "node b starts"

# b answers for an address under one /24 and one /48 of the 130,560
ip -n "$B" addr add 10.200.17.9/32 dev mam0
ip -n "$B" addr add fd00:c8:11::9/128 dev mam0 nodad
# meshd routes every one of them via mam0 (table main, the default)
is "$(ip -n "$A" -4 route show dev mam0 proto static | wc -l)" 65280 \
    "a has a route for each of the 65,280 IPv4 prefixes"
is "$(ip -n "$A" -6 route show dev mam0 proto static | wc -l)" 65280 \
    "and for each of the 65,280 IPv6 prefixes"
t "a reaches 10.200.17.9, under b's 10.200.17.0/24" \
    ip netns exec "$A" ping -c 3 -i 0.2 -W 2 10.200.17.9
t "a reaches fd00:c8:11::9, under b's fd00:c8:11::/48" \
    ip netns exec "$A" ping -6 -c 3 -i 0.2 -W 2 fd00:c8:11::9
is "$(ctl a -j show peer b | jq .dropped.bad_source)" 0 \
    "a took every answer from those sources"

is "$(naips)" 130560 "show peer -j lists all 130,560"
is "$(ctl a -j show peer b | jq -r '.allowed_ips[0], .allowed_ips[-1]')" \
    "$(printf '10.0.0.0/24\nfd00:fe:ff::/48')" "first and last, in order"
is "$(ctl a show peer b | grep '^allowed ips: ' | tr ',' '\n' | wc -l)" \
    130560 "the text output as many"
is "$(ctl a -j show peers | jq '.peers[0].allowed_ips | length')" 130560 \
    "show peers too"

# reload: b keeps A < 192 of 10 and fd00, the rest become 192.168.A.B/32
# and fd01:A:B::/48 (and their routes follow)
a_conf 192 >"$D/a.conf"
out=$(ctl a reload 2>&1)
ok $? "reload with a quarter of them changed succeeds" || diag "$out"
is "$(ctl a -j show peer b | jq -r '.allowed_ips[-1]')" "fd01:fe:ff::/48" \
    "show peer lists the new prefixes"
is "$(naips)" 130560 "still 130,560"
ip -n "$B" addr add 192.168.200.17/32 dev mam0
is "$(ip -n "$A" route show 192.168.200.17/32 dev mam0 | wc -l)" 1 \
    "the reload added a route for 192.168.200.17/32"
t "a reaches 192.168.200.17, now b's" \
    ip netns exec "$A" ping -c 3 -i 0.2 -W 2 192.168.200.17
ip netns exec "$A" ping -c 2 -i 0.2 -W 1 10.200.17.9 >/dev/null 2>&1
ok $((!$?)) "10.200.17.9 is no longer b's"
ip -n "$B" addr add 10.100.17.9/32 dev mam0
t "10.100.17.9 still is" ip netns exec "$A" ping -c 2 -i 0.2 -W 2 10.100.17.9
kill -0 "$PID_a" && kill -0 "$PID_b"; ok $? "both daemons still run"
done_testing
