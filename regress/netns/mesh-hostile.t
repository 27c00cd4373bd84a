#!/usr/bin/env bash
# A hostile coordinator and a hostile initiator against real meshd nodes.
# A member (n2, a mesh block only) whose coordinator is fakecoord is
# served, beside one valid entry that must be admitted: a forged
# certificate (another admin key), an altered one, an expired one, one of
# another mesh, one claiming the valid member's address, one revoked by
# the coordinator's list, one revoked by the member's own
# revocation-file, a forged list, garbage, an oversize message, messages
# out of order and an ENTRY of two records cut short.  Each is refused:
# no mesh peer, no kernel route, its own counter up in show status,
# logged once, the daemon still up.
# A member whose certificate ends while it is one is removed (expired).
# An expired certificate of a key just before its valid one (a stale
# coordinator) is refused, and the valid one still brings its candidate.
# Then a real coordinator (n3) meets an initiator that never registers,
# one that registers another key's certificate (cert_wrong_key) and one
# its own expired one (cert_expired): all three are dropped after ~10 s
# (provisional_timeout), while one that registers its own valid
# certificate is admitted.  Underlay 198.18.60.0/24 on a bridge.

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"
FC=${FAKECOORD:-$MESHD_BUILD/regress/interop/fakecoord}
MK=${MKCERT:-$MESHD_BUILD/regress/interop/mkcert}
[ -x "$FC" ] || skip_all "$FC not built"
[ -x "$MK" ] || skip_all "$MK not built"

HUB=mhh$$
mesh_hub "$HUB" || fail_setup "the hub"
tmpdir_new D
mesh_ca || fail_setup "an admin key"
for i in 1 2 3; do
	mesh_host "$HUB" "mhx$i$$" "$i" || fail_setup "host $i"
done
NFC=mhx1$$			# fakecoord, and the initiators of part 2
NM=mhx2$$			# the member
NC=mhx3$$			# the real coordinator
NOW=$(date +%s)

# the member and its coordinator, fakecoord ("fc", 198.18.60.1)
(umask 077; wg genkey >"$D/fc.key")
mesh_cert n2 2 || fail_setup "n2's certificate"

# mk NAME ARGS...: $D/NAME.crt by mkcert with the admin key, its node key
# $D/NAME.key made if missing
mk() {
	local n=$1; shift
	(umask 077; [ -f "$D/$n.key" ] || wg genkey >"$D/$n.key") &&
	    "$MK" -k "$D/ca.key" -n "$n" -p "$(wg pubkey <"$D/$n.key")" \
	    "$@" >"$D/$n.crt"
}
(umask 077; "$MK" -G >"$D/other-ca.key") || fail_setup "a second admin key"
{
	mesh_cert good 3 -g web &&
	    (umask 077; wg genkey >"$D/forged.key") &&
	    "$MK" -k "$D/other-ca.key" -m corp -n forged \
	    -p "$(wg pubkey <"$D/forged.key")" -a 100.64.0.4 >"$D/forged.crt" &&
	    mk alt0 -m corp -a 100.64.0.5 &&
	    "$MK" -x "$D/alt0.crt" >"$D/altered.crt" &&
	    mk expired -m corp -a 100.64.0.6 -b $((NOW - 864000)) \
	    -e $((NOW - 86400)) &&
	    mk lab -m lab -a 100.64.0.8 &&
	    mk dup -m corp -a 100.64.0.3 &&
	    mk rev -m corp -a 100.64.0.7 &&
	    mk rev2 -m corp -a 100.64.0.9 &&
	    "$MK" -k "$D/ca.key" -m corp -s 3 "$D/rev.crt" >"$D/fc.crl" &&
	    "$MK" -k "$D/ca.key" -m corp -s 2 "$D/rev2.crt" >"$D/own.crl" &&
	    "$MK" -k "$D/other-ca.key" -m corp -s 9 "$D/good.crt" \
	    >"$D/forged.crl"
} || fail_setup "the certificates"

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
# ctr NODE COUNTER: the counter, summed over the processes
ctr() {
	ctl "$1" -j show status | jq --arg k "$2" \
	    '[.counters[] | .[$k] // 0] | add // 0'
}
# ctr_is NODE COUNTER N: true if it is N; ctr_ge: at least N
ctr_is() { [ "$(ctr "$1" "$2")" = "$3" ]; }
ctr_ge() { [ "$(ctr "$1" "$2")" -ge "$3" ]; }
# mesh_peers NODE: its mesh peers that are members (not revoked, expired)
mesh_peers() {
	ctl "$1" -j show peers | jq -r '[.peers[] | select(.source == "mesh"
	    and .state == "member") | .name] | sort | join(" ")'
}
# routes NS: the kernel's routes to mesh addresses, one line
routes() {
	{ ip -n "$1" -4 route show; ip -n "$1" -6 route show; } |
	    grep -v 'proto kernel' |
	    grep -Eo '^(100\.64\.0\.[0-9]+|fd00:6d65:7368::[0-9]+)' |
	    sort | tr '\n' ' ' | sed 's/ $//'
}
routes_are() { [ "$(routes "$1")" = "$2" ]; }
logged() { grep -c -- "$2" "$D/$1.log"; }
alive() { kill -0 "$1" 2>/dev/null && ctl "$2" show status >/dev/null; }

# member NAME [CRL]: n2's key and certificate as NAME, its config with
# fakecoord as its only coordinator (and CRL as its revocation-file)
member() {
	cp "$D/n2.key" "$D/$1.key" && cp "$D/n2.crt" "$D/$1.crt" &&
	    rm -f "$D/revoked" && { [ -z "$2" ] || cp "$D/$2" "$D/revoked"; } &&
	    mesh_conf "$1" fc:1
}
# serve RUN FAKECOORD-ARGS...: fakecoord in its namespace, pid in FCPID
serve() {
	local run=$1; shift
	start_bg FCPID ip netns exec "$NFC" "$FC" -k "$D/fc.key" \
	    -l 198.18.60.1:51820 -t 300 "$@" >"$D/$run.fc" 2>&1
	wait_for 5 grep -q '^listening' "$D/$run.fc" ||
	    diag "fakecoord: $(cat "$D/$run.fc")"
}
stop() {
	kill "$@" 2>/dev/null
	for p; do wait "$p" 2>/dev/null; done
}

# ---- run 1: forged, expired, another mesh's, an address taken, revoked
# by the coordinator's list (after its entry), garbage
member r1
serve r1 -e "$D/good.crt" -e "$D/forged.crt" -e "$D/expired.crt" \
    -e "$D/lab.crt" -e "$D/dup.crt" -e "$D/rev.crt" -c "$D/fc.crl" \
    -g garbage
meshd_up r1 "$NM"; ok $? "run 1: the member starts"
wait_for 10 ctr_is r1 coord_malformed 1
wait_for 5 ctr_is r1 members_revoked 1
wait_for 3 routes_are "$NM" "100.64.0.3 fd00:6d65:7368::3"
is "$(mesh_peers r1)" "good" "run 1: only the valid entry is a mesh peer"
is "$(routes "$NM")" "100.64.0.3 fd00:6d65:7368::3" \
    "run 1: routes to its addresses only"
is "$(ctl r1 -j show peer good | jq -r '.addresses | join(" ")')" \
    "100.64.0.3/32 fd00:6d65:7368::3/128" \
    "run 1: the valid member keeps its addresses (dup claimed one)"
for c in cert_signature:1 cert_expired:1 cert_wrong_mesh:1 cert_address:1 \
    coord_malformed:1 members_revoked:1 cert_revoked:0 cert_malformed:0; do
	is "$(ctr r1 "${c%%:*}")" "${c##*:}" "run 1: counter ${c%%:*}"
done
is "$(logged r1 "refused: not signed by the mesh's ca")" 1 \
    "run 1: the forged certificate is logged once"
is "$(logged r1 "refused: expired or not yet valid")" 1 \
    "run 1: the expired one is logged once"
is "$(logged r1 "refused: for another mesh")" 1 \
    "run 1: another mesh's is logged once"
is "$(logged r1 "refused: an address another peer holds")" 1 \
    "run 1: the address taken is logged once"
is "$(logged r1 "malformed coordination message")" 1 \
    "run 1: the garbage is logged once"
has "$(cat "$D/r1.log")" "mesh: member rev revoked" \
    "run 1: the revoked member is logged as removed"
is "$(ctl r1 -j show peer rev | jq -r .state)" revoked \
    "run 1: show peer lists it as revoked"
alive "$PID_r1" r1; ok $? "run 1: the member is still running"
stop "$PID_r1" "$FCPID"

# ---- run 2: altered, revoked by the member's own list, a forged list,
# an oversize message
member r2 own.crl
serve r2 -e "$D/good.crt" -e "$D/altered.crt" -e "$D/rev2.crt" \
    -c "$D/forged.crl" -g oversize
meshd_up r2 "$NM"; ok $? "run 2: the member starts"
wait_for 10 ctr_is r2 coord_malformed 1
wait_for 5 ctr_is r2 crl_bad 1
wait_for 3 routes_are "$NM" "100.64.0.3 fd00:6d65:7368::3"
is "$(mesh_peers r2)" "good" "run 2: only the valid entry is a mesh peer"
is "$(routes "$NM")" "100.64.0.3 fd00:6d65:7368::3" \
    "run 2: routes to its addresses only"
for c in cert_signature:1 cert_revoked:1 crl_bad:1 coord_malformed:1 \
    members_revoked:0; do
	is "$(ctr r2 "${c%%:*}")" "${c##*:}" "run 2: counter ${c%%:*}"
done
is "$(ctl r2 -j show mesh | jq -r .revocation_list.serial)" 2 \
    "run 2: the forged list did not replace the member's own"
is "$(logged r2 "refused: revoked")" 1 "run 2: the revoked one is logged"
is "$(logged r2 "a revocation list that does not verify")" 1 \
    "run 2: the forged list is logged"
is "$(logged r2 "malformed coordination message")" 1 \
    "run 2: the oversize message is logged once"
alive "$PID_r2" r2; ok $? "run 2: the member is still running"
stop "$PID_r2" "$FCPID"

# ---- run 3: out of order: a PONG to no PING, DIR_END first, a list part
# past the list's end; and a member whose certificate ends in 8 s
member r3
mk brief -m corp -a 100.64.0.12 -e $(($(date +%s) + 8)) ||
    fail_setup "a certificate that ends soon"
serve r3 -e "$D/good.crt" -e "$D/brief.crt" -g order
meshd_up r3 "$NM"; ok $? "run 3: the member starts"
wait_for 10 ctr_is r3 coord_malformed 1
wait_for 5 ctr_ge r3 coord_unexpected 1
ok $? "run 3: counter coord_unexpected (the PONG to no PING)"
is "$(ctr r3 coord_malformed)" 1 "run 3: counter coord_malformed (the part)"
has "$(cat "$D/r3.log")" "unexpected coordination message from fc: a PONG" \
    "run 3: the PONG is logged"
is "$(mesh_peers r3)" "brief good" \
    "run 3: the entries after DIR_END are deltas"
wait_for 12 ctr_is r3 members_expired 1
ok $? "run 3: a member whose certificate ended is removed: members_expired"
is "$(mesh_peers r3)" "good" "run 3: it is no member any more"
is "$(ctl r3 -j show peer brief | jq -r .state)" expired \
    "run 3: show peer lists it as expired"
wait_for 3 routes_are "$NM" "100.64.0.3 fd00:6d65:7368::3"
ok $? "run 3: its route is gone" || diag "routes: $(routes "$NM")"
has "$(cat "$D/r3.log")" "mesh: member brief: its certificate expired" \
    "run 3: and it is logged"
alive "$PID_r3" r3; ok $? "run 3: the member is still running"
stop "$PID_r3" "$FCPID"
wait_for 3 routes_are "$NM" ""
ok $? "no mesh route is left once the member stops"

# ---- run 4: the directory carries a candidate (an endpoint) for its
# entries; an expired certificate of good's key comes just before its
# valid one, as from a coordinator that missed the renewal: it is
# refused, and good is still admitted with its candidate
"$MK" -k "$D/ca.key" -m corp -n good -p "$(wg pubkey <"$D/good.key")" \
    -a 100.64.0.3,fd00:6d65:7368::3 -b $((NOW - 864000)) \
    -e $((NOW - 86400)) >"$D/good-old.crt" || fail_setup "good's old one"
endpoint() { ctl "$1" -j show peer good | jq -r .endpoint; }
endpoint_is() { [ "$(endpoint "$1")" = "$2" ]; }
member r4a
serve r4a -e "$D/good.crt" -a 198.18.60.1:4000
meshd_up r4a "$NM"; ok $? "run 4: the member starts"
wait_for 10 endpoint_is r4a 198.18.60.1:4000
is "$(endpoint r4a)" 198.18.60.1:4000 "run 4: good's candidate is its endpoint"
stop "$PID_r4a" "$FCPID"
member r4b
serve r4b -e "$D/good-old.crt" -e "$D/good.crt" -a 198.18.60.1:4000
meshd_up r4b "$NM"; ok $? "run 4: the member starts again"
wait_for 10 ctr_is r4b cert_expired 1
ok $? "run 4: the old certificate is refused: cert_expired"
wait_for 5 endpoint_is r4b 198.18.60.1:4000
is "$(mesh_peers r4b)" good "run 4: good is admitted all the same"
is "$(endpoint r4b)" 198.18.60.1:4000 \
    "run 4: with its candidate as its endpoint"
stop "$PID_r4b" "$FCPID"

# ---- run 5: good and another valid member packed in one ENTRY, cut short
# by a byte: the whole message is refused, neither record is taken
mk packed -m corp -a 100.64.0.13 || fail_setup "a second valid member"
member r5
serve r5 -e "$D/good.crt" -e "$D/packed.crt" -g cut
meshd_up r5 "$NM"; ok $? "run 5: the member starts"
wait_for 10 ctr_ge r5 coord_malformed 1
ok $? "run 5: the cut ENTRY is malformed: coord_malformed"
has "$(cat "$D/r5.fc")" "sent entries 1-2 in one ENTRY cut short" \
    "run 5: fakecoord sent both records in the one cut ENTRY"
sleep 1
is "$(mesh_peers r5)" "" "run 5: neither record of it is a mesh peer"
is "$(routes "$NM")" "" "run 5: no route from it"
is "$(logged r5 "malformed coordination message")" 1 \
    "run 5: logged once"
alive "$PID_r5" r5; ok $? "run 5: the member is still running"
stop "$PID_r5" "$FCPID"

# ---- part 2: a real coordinator; initiators that never register, or
# register another key's certificate, and one that is honest
mesh_cert n3 3 -R coordinator || fail_setup "n3's certificate"
rm -f "$D/revoked"
mesh_conf n3 serve
meshd_up n3 "$NC"; ok $? "the coordinator starts"
N3_PUB=$(wg pubkey <"$D/n3.key")
mk honest -m corp -a 100.64.0.20
mk stale -m corp -a 100.64.0.21 -b $((NOW - 864000)) -e $((NOW - 86400))
(umask 077; wg genkey >"$D/silent.key"; wg genkey >"$D/liar.key")
start_bg P_SILENT ip netns exec "$NFC" "$FC" -m -n -k "$D/silent.key" \
    -p "$N3_PUB" -C 198.18.60.3:51820 -t 20 >"$D/silent.out" 2>&1
start_bg P_LIAR ip netns exec "$NFC" "$FC" -m -k "$D/liar.key" \
    -p "$N3_PUB" -C 198.18.60.3:51820 -e "$D/good.crt" -t 20 \
    >"$D/liar.out" 2>&1
start_bg P_STALE ip netns exec "$NFC" "$FC" -m -k "$D/stale.key" \
    -p "$N3_PUB" -C 198.18.60.3:51820 -e "$D/stale.crt" -t 20 \
    >"$D/stale.out" 2>&1
start_bg P_HONEST ip netns exec "$NFC" "$FC" -m -k "$D/honest.key" \
    -p "$N3_PUB" -C 198.18.60.3:51820 -e "$D/honest.crt" -t 20 \
    >"$D/honest.out" 2>&1
wait_for 5 ctr_is n3 cert_wrong_key 1
ok $? "another key's certificate in a REGISTER: cert_wrong_key"
wait_for 5 ctr_is n3 cert_expired 1
ok $? "its own expired certificate in a REGISTER: cert_expired"
wait_for 5 sh -c "$MESHCTL -s $D/n3.sock -j show peers |
    jq -e '.peers[] | select(.name == \"honest\" and .source == \"mesh\")'"
ok $? "the honest initiator is admitted"
has "$(cat "$D/honest.out")" "got dir_end" "and is sent the directory"
has "$(cat "$D/silent.out")" "sent keepalive, no register" \
    "the silent initiator's handshake completed"
is "$(ctr n3 provisional_timeout)" 0 "no timeout before 10 s"
wait_for 14 ctr_is n3 provisional_timeout 3
ok $? "the three with no valid certificate are dropped: provisional_timeout" ||
    diag "$(ctl n3 -j show status | jq -c .counters)"
is "$(logged n3 "refused: no certificate in time")" 1 \
    "its timeout is logged once"
is "$(logged n3 "refused: its key is not the session's")" 1 \
    "the wrong key is logged once"
is "$(mesh_peers n3)" "honest" "the coordinator's only mesh peer: honest"
wait_for 3 routes_are "$NC" "100.64.0.20"
ok $? "and its only mesh route" || diag "routes: $(routes "$NC")"
alive "$PID_n3" n3; ok $? "the coordinator is still running"
stop "$P_SILENT" "$P_LIAR" "$P_STALE" "$P_HONEST"
done_testing
