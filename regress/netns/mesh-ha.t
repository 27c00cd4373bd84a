#!/usr/bin/env bash
# Two coordinators, each also the other's member, and three members
# registered with both.  Kill one: the mesh keeps working and a new node
# joins through the other.  Restart it: its directory is whole again
# from the members' registrations.  A member then drops the restarted
# coordinator by reload: it keeps its sessions, and the coordinator as a
# member.  Another makes a member its coordinator by reload.

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg ping
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

HUB=mhah$$
mesh_hub "$HUB" || fail_setup "the hub"
tmpdir_new D
mesh_ca || fail_setup "an admin key"
for i in 1 2 3 4 5 6; do
	mesh_host "$HUB" "mha$i$$" "$i" || fail_setup "host $i"
done
for i in 1 2; do
	mesh_cert "c$i" "$i" -R coordinator || fail_setup "c$i's certificate"
done
for i in 3 4 5 6; do
	mesh_cert "n$i" "$i" || fail_setup "n$i's certificate"
done
mesh_conf c1 serve c2:2
mesh_conf c2 serve c1:1
for i in 3 4 5 6; do mesh_conf "n$i" c1:1 c2:2; done

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
knows() {
	[ "$(ctl "$1" -j show peers |
	    jq '[.peers[] | select(.cert_expires != null)] | length')" = "$2" ]
}
pings() { ip netns exec "mha$1$$" ping -c 1 -W 2 "100.64.0.$2"; }

meshd_up c1 "mha1$$"; ok $? "c1 starts"
meshd_up c2 "mha2$$"; ok $? "c2 starts"
for i in 3 4 5; do meshd_up "n$i" "mha$i$$"; ok $? "n$i starts"; done
for n in c1 c2 n3 n4 n5; do
	wait_for 10 knows "$n" 4; ok $? "$n knows the four others"
done
t "n3 pings n5" pings 3 5

# ---- c1 dies: sessions stay, and n6 joins through c2
kill "$PID_c1"; wait "$PID_c1" 2>/dev/null
t "with c1 gone n3 still pings n4" pings 3 4
meshd_up n6 "mha6$$"; ok $? "n6 starts while c1 is down"
late=
for n in c2 n3 n4 n5; do wait_for 5 knows "$n" 5 || late="$late $n"; done
is "$late" "" "c2, n3, n4 and n5 learn of n6 through c2"
t "n3 pings n6" pings 3 6
t "n6 pings n4" pings 6 4

# ---- c1 comes back: the members register again, its directory is whole
meshd_up c1 "mha1$$"; ok $? "c1 restarts"
wait_for 40 knows c1 5
ok $? "c1's directory is whole again (c2 and four members)"
t "c1 pings n6" pings 1 6

# ---- n3 drops c1 by reload: sessions stay
hs=$(ctl n3 -j show peer n4 | jq .latest_handshake)
mesh_conf n3 c2:2
ctl n3 reload >/dev/null; ok $? "n3 reloads without c1"
is "$(ctl n3 -j show mesh | jq '.coordinators | length')" 1 \
    "n3's show mesh lists one coordinator"
t "n3 still pings n4" pings 3 4
is "$(ctl n3 -j show peer n4 | jq .latest_handshake)" "$hs" \
    "the session n3-n4 stayed"
# c1 is still a member of the mesh (registered with c2): n3 keeps it
is "$(ctl n3 -j show peers | jq -r '.peers[] | select(.name == "c1") |
    .source')" mesh "n3 lists c1 as a member now"
t "n3 still pings c1" pings 3 1

# ---- n5 makes n4, a member it knows, a coordinator of its config: the
# config's peer takes over n4's key from the member
mesh_conf n5 c1:1 c2:2 n4:4
ctl n5 reload >/dev/null; ok $? "n5 reloads with n4 as a coordinator"
n4_config_up() {
	[ "$(ctl n5 -j show peers | jq '[.peers[] | select(.name == "n4" and
	    .coordinator and .latest_handshake != null and
	    .latest_handshake != 0)] | length')" = 1 ]
}
wait_for 10 n4_config_up
ok $? "n5 has a session with n4 as its coordinator"
is "$(ctl n5 -j show peers | jq '[.peers[] | select(.name == "n4")] |
    length')" 1 "n4 is listed once"
t "n5 pings n4" pings 5 4
done_testing
