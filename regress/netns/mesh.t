#!/usr/bin/env bash
# A mesh from mesh blocks only: five nodes on one underlay, one of them a
# coordinator, no peer lines anywhere.  Every node pings every other over
# its IPv4 and IPv6 mesh address; a sixth node started later is known to
# all within 3 s; meshctl shows mesh peers with their source, groups and
# certificate, and show mesh the coordinator.

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg ping
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

HUB=mshh$$
mesh_hub "$HUB" || fail_setup "the hub"
tmpdir_new D
mesh_ca || fail_setup "an admin key"
for i in 1 2 3 4 5 6; do
	mesh_host "$HUB" "msh$i$$" "$i" || fail_setup "host $i"
done
mesh_cert n1 1 -R coordinator -g ops || fail_setup "n1's certificate"
for i in 2 3 4 5 6; do
	mesh_cert "n$i" "$i" -g web || fail_setup "n$i's certificate"
done
mesh_conf n1 serve
for i in 2 3 4 5 6; do mesh_conf "n$i" n1:1; done

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
# knows NAME COUNT: NAME lists COUNT members (mesh peers, and its
# coordinator, a config peer, once its certificate came)
knows() {
	[ "$(ctl "$1" -j show peers |
	    jq '[.peers[] | select(.cert_expires != null)] | length')" = "$2" ]
}

for i in 1 2 3 4 5; do
	meshd_up "n$i" "msh$i$$"; ok $? "n$i starts with a mesh block only"
done
for i in 1 2 3 4 5; do
	wait_for 10 knows "n$i" 4
	ok $? "n$i knows the other four members"
done

# every pair, both families
for i in 1 2 3 4 5; do
	bad4= bad6=
	for j in 1 2 3 4 5; do
		[ "$i" = "$j" ] && continue
		ip netns exec "msh$i$$" ping -c 1 -W 3 "100.64.0.$j" \
		    >/dev/null 2>&1 || bad4="$bad4 n$j"
		ip netns exec "msh$i$$" ping -6 -c 1 -W 3 \
		    "fd00:6d65:7368::$j" >/dev/null 2>&1 || bad6="$bad6 n$j"
	done
	is "$bad4" "" "n$i pings every member over IPv4"
	is "$bad6" "" "n$i pings every member over IPv6"
done

# what an operator sees
j=$(ctl n2 -j show peer n3)
is "$(jq -r .source <<<"$j")" mesh "show peer -j: n3 came from the mesh"
is "$(jq -r '.groups | join(",")' <<<"$j")" web "show peer -j: its groups"
is "$(jq -r '.addresses | join(" ")' <<<"$j")" \
    "100.64.0.3/32 fd00:6d65:7368::3/128" "show peer -j: its addresses"
[ "$(jq -r .cert_expires <<<"$j")" -gt "$(date +%s)" ]
ok $? "show peer -j: its certificate's expiry"
like "$(ctl n2 show peers)" "n3 +mesh" "show peers: n3's source is mesh"
m=$(ctl n2 -j show mesh)
is "$(jq -r .mesh <<<"$m")" corp "show mesh: the mesh's name"
is "$(jq -r '.coordinators[0].name' <<<"$m")" n1 "show mesh: its coordinator"
has "$(ctl n2 show mesh)" "n1" "show mesh (text) names the coordinator"

# a sixth node, later: everyone knows it within 3 s of its start
meshd_up n6 "msh6$$"; ok $? "n6 starts"
late=
for i in 1 2 3 4 5; do
	wait_for 3 knows "n$i" 5 || late="$late n$i"
done
is "$late" "" "within 3 s every node knows n6"
bad=
for i in 1 2 3 4 5; do
	ip netns exec "msh$i$$" ping -c 1 -W 3 100.64.0.6 >/dev/null 2>&1 ||
	    bad="$bad n$i"
done
is "$bad" "" "every node pings n6"
wait_for 5 knows n6 5; ok $? "n6 knows the five others"
ip netns exec "msh6$$" ping -c 1 -W 3 100.64.0.2 >/dev/null 2>&1
ok $? "n6 pings n2"

# nothing refused along the way
st=$(ctl n3 -j show status)
is "$(jq '[.counters[] | to_entries[] | select(.key | startswith("cert_"))
    | .value] | add // 0' <<<"$st")" 0 "n3 refused no certificate"
done_testing
