#!/usr/bin/env bash
# A reload that raises the mtu above the one meshd started with is refused
# (the packet channels are sized at start): meshctl reload fails with the
# reason and the interface keeps its mtu.  Lowering it applies, and the
# kernel then refuses or fragments what no longer fits.
# Underlay 198.18.12.0/24.

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

A=mra$$ B=mrb$$
two_hosts "$A" "$B" 198.18.12 || fail_setup "the two hosts"

# a_conf MTU
a_conf() {
	printf '%s\n' 'interface "mesh0" {' '	address 100.64.0.1/24' \
	    "	mtu $1" '	listen-port 51820' \
	    "	private-key-file \"$D/a.key\"" '}' 'peer "b" {' \
	    "	public-key \"$B_PUB\"" '	endpoint "198.18.12.2:51820"' \
	    '	allowed-ips 100.64.0.2/32' '}' >"$D/a.conf"
}
a_conf 1400
printf '%s\n' 'interface "mesh0" {' '	address 100.64.0.2/24' \
    '	listen-port 51820' "	private-key-file \"$D/b.key\"" '}' \
    'peer "a" {' "	public-key \"$A_PUB\"" '	endpoint "198.18.12.1:51820"' \
    '	allowed-ips 100.64.0.1/32' '}' >"$D/b.conf"

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
mtu() { ip -n "$A" -j link show mesh0 | jq .[0].mtu; }

meshd_up a "$A"; ok $? "node a starts"
meshd_up b "$B"; ok $? "node b starts"
t "a reaches b" ip netns exec "$A" ping -c 2 -i 0.2 -W 2 100.64.0.2

a_conf 1500
out=$(ctl a reload 2>&1)
ok $((!$?)) "meshctl reload raising the mtu fails"
has "$out" "raising the mtu from 1400 to 1500 needs a restart" \
    "and says why"
is "$(mtu)" 1400 "mesh0 keeps mtu 1400"
is "$(ctl a -j show status | jq .mtu)" 1400 "show status still says 1400"
t "a still reaches b" ip netns exec "$A" ping -c 2 -i 0.2 -W 2 100.64.0.2

a_conf 1300
out=$(ctl a reload 2>&1); ok $? "a reload lowering the mtu works" ||
    diag "$out"
is "$(mtu)" 1300 "mesh0 has mtu 1300"
ip netns exec "$A" ping -M do -c 1 -W 2 -s 1372 100.64.0.2 >/dev/null 2>&1
ok $((!$?)) "a 1400-byte ping that may not fragment is refused"
t "a 1400-byte ping that may fragment is answered" \
    ip netns exec "$A" ping -c 2 -i 0.2 -W 2 -s 1372 100.64.0.2
t "a 1300-byte ping is answered" \
    ip netns exec "$A" ping -M do -c 2 -i 0.2 -W 2 -s 1272 100.64.0.2

a_conf 1400
out=$(ctl a reload 2>&1); ok $? "raising it back to the start mtu works" ||
    diag "$out"
is "$(mtu)" 1400 "mesh0 has mtu 1400 again"
t "a 1400-byte ping is answered" \
    ip netns exec "$A" ping -M do -c 2 -i 0.2 -W 2 -s 1372 100.64.0.2

done_testing
