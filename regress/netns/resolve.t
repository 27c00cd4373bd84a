#!/usr/bin/env bash
# An endpoint host name is looked up again every resolve-interval: when it
# resolves to another address, a's meshd sends there.  The name comes from
# /etc/hosts, which ip netns exec replaces with /etc/netns/NS/hosts (a bind
# mount of that file, so it is rewritten in place, never replaced).
# Underlay 198.18.13.0/24.

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

A=rsa$$ B=rsb$$
two_hosts "$A" "$B" 198.18.13 || fail_setup "the two hosts"
# .3 stays when .2, the primary address, goes
ip netns exec "$B" sysctl -qw net.ipv4.conf.vb.promote_secondaries=1
ip -n "$B" addr add 198.18.13.3/24 dev vb
mkdir -p "/etc/netns/$A" && T_DIRS+=("/etc/netns/$A")
echo "198.18.13.2 peerb.test" >"/etc/netns/$A/hosts"

printf '%s\n' 'interface "mesh0" {' '	address 100.64.0.1/24' \
    '	listen-port 51820' "	private-key-file \"$D/a.key\"" \
    '	resolve-interval 5' '}' 'peer "b" {' "	public-key \"$B_PUB\"" \
    '	endpoint "peerb.test:51820"' '	allowed-ips 100.64.0.2/32' \
    '}' >"$D/a.conf"
# b has no endpoint for a: only a's datagrams tell b where a is
printf '%s\n' 'interface "mesh0" {' '	address 100.64.0.2/24' \
    '	listen-port 51820' "	private-key-file \"$D/b.key\"" '}' \
    'peer "a" {' "	public-key \"$A_PUB\"" '	allowed-ips 100.64.0.1/32' \
    '}' >"$D/b.conf"

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
ep() { ctl a -j show peer b | jq -r .endpoint; }

meshd_up a "$A"; ok $? "node a starts"
meshd_up b "$B"; ok $? "node b starts"
is "$(ep)" "198.18.13.2:51820" "peerb.test resolves to 198.18.13.2"
t "a reaches b there" ip netns exec "$A" ping -c 2 -i 0.2 -W 2 100.64.0.2

# b moves: the name follows, the old address goes away
echo "198.18.13.3 peerb.test" >"/etc/netns/$A/hosts"
ip -n "$B" addr del 198.18.13.2/24 dev vb
wait_for 20 sh -c "[ \"\$($MESHCTL -s $D/a.sock -j show peer b |
    jq -r .endpoint)\" = 198.18.13.3:51820 ]"
ok $? "a's endpoint for b follows peerb.test to 198.18.13.3" ||
    diag "endpoint: $(ep)"
has "$(cat "$D/a.log")" \
    "peer b: endpoint peerb.test:51820 now resolves to 198.18.13.3:51820" \
    "a logs the new address"
t "a reaches b at its new address" \
    ip netns exec "$A" ping -c 2 -i 0.2 -W 2 100.64.0.2

# a name that stops resolving keeps the last address
echo "" >"/etc/netns/$A/hosts"
sleep 6
is "$(ep)" "198.18.13.3:51820" "a name that no longer resolves keeps it"
kill -0 "$PID_a"; ok $? "meshd a still runs"

done_testing
