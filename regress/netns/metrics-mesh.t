#!/usr/bin/env bash
# Prometheus metrics in a mesh: n1 a coordinator, n2 and n3 members, on
# one underlay.  n2 serves metrics on its mesh address (its
# certificate's, 100.64.0.2:9586, bound before the address is on the
# interface); n3 scrapes it through the tunnel.  The scrape passes
# promtool check metrics; it counts the members, the coordinator and its
# session as meshctl show mesh does; the members are peers of source
# "mesh", their bytes as meshctl show peers says; the coordinator a
# config peer and a coordinator.

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg ping curl promtool
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

HUB=mth$$
mesh_hub "$HUB" || fail_setup "the hub"
tmpdir_new D
mesh_ca || fail_setup "an admin key"
for i in 1 2 3; do
	mesh_host "$HUB" "mtm$i$$" "$i" || fail_setup "host $i"
done
mesh_cert n1 1 -R coordinator || fail_setup "n1's certificate"
mesh_cert n2 2 || fail_setup "n2's certificate"
mesh_cert n3 3 || fail_setup "n3's certificate"
mesh_conf n1 serve
for i in 2 3; do mesh_conf "n$i" n1:1; done
printf 'metrics-listen "100.64.0.2:9586"\n' >>"$D/n2.conf"

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
knows() {
	[ "$(ctl "$1" -j show peers |
	    jq '[.peers[] | select(.cert_expires != null)] | length')" = "$2" ]
}
metric() {	# metric FILE NAME [LABEL-FRAGMENT]
	grep -E "^$2(\{| )" "$1" | grep -F -- "${3:-}" | awk '{print $NF}'
}

for i in 1 2 3; do
	meshd_up "n$i" "mtm$i$$" || fail_setup "n$i"
done
wait_for 10 knows n2 2 || fail_setup "n2 knows n1 and n3"
t "n3 pings n2 on its mesh address" \
    ip netns exec "mtm3$$" ping -c 3 -i 0.2 -W 3 100.64.0.2

code=$(ip netns exec "mtm3$$" curl -s -m 10 -o "$D/m" -w '%{http_code}' \
    http://100.64.0.2:9586/metrics)
is "$code" 200 "n3 scrapes n2 on n2's certificate address"
out=$(promtool check metrics <"$D/m" 2>&1)
ok $? "promtool check metrics passes" || diag "$out"

m=$(ctl n2 -j show mesh)
is "$(metric "$D/m" meshd_mesh_members)" "$(jq -r .members <<<"$m")" \
    "members agree with meshctl show mesh ($(jq -r .members <<<"$m"))"
is "$(metric "$D/m" meshd_mesh_coordinators)" 1 "one coordinator"
is "$(metric "$D/m" meshd_mesh_coordinator_sessions)" 1 \
    "with a session up"
has "$(grep '^meshd_peer_info{peer="n1"' "$D/m")" \
    'source="config",coordinator="yes"' "n1: a config peer, a coordinator"
has "$(grep '^meshd_peer_info{peer="n3"' "$D/m")" \
    'source="mesh",coordinator="no"' "n3: a mesh member"

# the mesh talks on its own (registrations, path probes): the scrape's
# numbers lie between meshctl's before and after it
pj1=$(ctl n2 -j show peers)
code=$(ip netns exec "mtm2$$" curl -s -m 10 -o "$D/m2" -w '%{http_code}' \
    http://100.64.0.2:9586/metrics)
pj2=$(ctl n2 -j show peers)
between() {	# between NAME PEER JSON-FIELD
	local sel=".peers[] | select(.name == \"$2\") | .$3" v lo hi
	v=$(metric "$D/m2" "$1" "peer=\"$2\"")
	lo=$(jq -r "$sel" <<<"$pj1"); hi=$(jq -r "$sel" <<<"$pj2")
	[ -n "$v" ] && [ "$v" -ge "$lo" ] && [ "$v" -le "$hi" ]
	ok $? "$2's $3 agrees with meshctl show peers ($lo <= $v <= $hi)"
}
for p in n1 n3; do
	between meshd_peer_rx_bytes_total "$p" rx_bytes
	between meshd_peer_tx_bytes_total "$p" tx_bytes
	between meshd_peer_latest_handshake_seconds "$p" latest_handshake
done
[ "$T_FAILED" -eq 0 ] || diag "n2's log:" "$(tail -20 "$D/n2.log")"
done_testing
