#!/usr/bin/env bash
# Revocation and renewal in a running mesh: a coordinator and three
# members.  The admin revokes n4; the coordinator is reloaded with the
# new list; within 5 s no node reaches n4 and every node lists it as
# revoked.  n2 gets a renewed certificate by reload: its sessions stay,
# the others see the new expiry.

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg ping
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

HUB=mrvh$$
mesh_hub "$HUB" || fail_setup "the hub"
tmpdir_new D
mesh_ca || fail_setup "an admin key"
for i in 1 2 3 4; do
	mesh_host "$HUB" "mrv$i$$" "$i" || fail_setup "host $i"
done
mesh_cert n1 1 -R coordinator || fail_setup "n1's certificate"
for i in 2 3 4; do
	mesh_cert "n$i" "$i" || fail_setup "n$i's certificate"
done
mesh_conf n1 serve
for i in 2 3 4; do mesh_conf "n$i" n1:1; done

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
knows() {
	[ "$(ctl "$1" -j show peers |
	    jq '[.peers[] | select(.cert_expires != null and
	    (.state // "member") == "member")] | length')" = "$2" ]
}
state() { ctl "$1" -j show peer "$2" | jq -r '.state // empty'; }
pings() { ip netns exec "mrv$1$$" ping -c 1 -W 1 "100.64.0.$2"; }

for i in 1 2 3 4; do
	meshd_up "n$i" "mrv$i$$"; ok $? "n$i starts"
done
for i in 1 2 3 4; do
	wait_for 10 knows "n$i" 3; ok $? "n$i knows the three others"
done
t "n2 pings n4" pings 2 4
t "n4 pings n3" pings 4 3

# ---- the admin revokes n4; the coordinator gets the list by reload
"$MESHCTL" ca revoke -k "$D/ca.key" -f "$D/revoked" "$D/n4.crt" >/dev/null
ok $? "meshctl ca revoke writes the list"
mesh_conf n1 serve		# now with revocation-file
ctl n1 reload >/dev/null; ok $? "the coordinator reloads with the list"
revoked_everywhere() {
	[ "$(state n2 n4)" = revoked ] && [ "$(state n3 n4)" = revoked ] &&
	    [ "$(state n1 n4)" = revoked ]
}
wait_for 5 revoked_everywhere
ok $? "within 5 s n1, n2 and n3 list n4 as revoked"
like "$(ctl n2 show peers)" "n4 +mesh/revoked" "show peers says so"
bad=
for i in 1 2 3; do pings "$i" 4 >/dev/null 2>&1 && bad="$bad n$i"; done
is "$bad" "" "no node reaches n4"
ip netns exec "mrv2$$" ip route get 100.64.0.4 2>/dev/null | grep -q msh0
ok $((! $?)) "n2 has no route to n4's address any more"
pings 4 3 >/dev/null 2>&1
ok $((! $?)) "n4 reaches nobody"
is "$(ctl n2 -j show mesh | jq .revocation_list.serial)" 1 \
    "n2 holds the list, serial 1"
is "$(ctl n3 -j show status | jq '[.counters[].members_revoked] | add')" 1 \
    "n3 counts one member revoked"
t "n2 still pings n3" pings 2 3

# ---- n2's certificate is renewed by reload: no session dropped
hs=$(ctl n2 -j show peer n3 | jq .latest_handshake)
old=$(ctl n3 -j show peer n2 | jq .cert_expires)
mesh_cert n2 2 -d 400 || fail_setup "n2's renewed certificate"
ctl n2 reload >/dev/null; ok $? "n2 reloads with its renewed certificate"
renewed() { [ "$(ctl n3 -j show peer n2 | jq .cert_expires)" -gt "$old" ]; }
wait_for 10 renewed; ok $? "n3 sees n2's new expiry"
t "n2 still pings n3" pings 2 3
is "$(ctl n2 -j show peer n3 | jq .latest_handshake)" "$hs" \
    "the session n2-n3 was not renewed by the reload"
done_testing
