#!/usr/bin/env bash
# A member whose registration did not reach its coordinator in time.  The
# coordinator hears out an unknown key for 10 s (a provisional peer), then
# forgets it and the session with it.  The member, its data (the
# REGISTERs) dropped on the way out for 14 s, then goes on sending them
# into a session its coordinator no longer has: WireGuard's rule, a new
# handshake 15 s after data went out and nothing came back, must bring it
# back, and it registers.  (It did not: the timer was set but nothing
# woke the peer for it until a later one, minutes on; dir-loss.t saw
# members that never registered under 10% loss.)

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg nft
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

HUB=mph$$ C=mpc$$ M=mpm$$
mesh_hub "$HUB" && mesh_host "$HUB" "$C" 1 && mesh_host "$HUB" "$M" 2 ||
    fail_setup "the hosts"
tmpdir_new D
mesh_ca && mesh_cert c 1 -R coordinator && mesh_cert m 2 ||
    fail_setup "the certificates"
mesh_conf c serve; mesh_conf m c:1
ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
knows() {
	[ "$(ctl "$1" -j show peers |
	    jq '[.peers[] | select(.cert_expires != null)] | length')" = "$2" ]
}

meshd_up c "$C" || fail_setup "c"
# m's data messages (type 4) to c are dropped; its handshakes go
ip netns exec "$M" nft -f - <<EOF || fail_setup "nft"
table inet mp {
	chain out {
		type filter hook output priority 0;
		udp dport 51820 @th,64,8 4 drop
	}
}
EOF
MESHD_V=-v meshd_up m "$M"; ok $? "m starts, its data to c dropped"
wait_for 15 grep -q "provisional-1 refused: no certificate in time" \
    "$D/c.log"
ok $? "c forgets m after 10 s without a certificate"
sleep 4
ip netns exec "$M" nft delete table inet mp
t0=$(date +%s)
wait_for 40 knows m 1
ok $? "m handshakes again and registers ($(($(date +%s) - t0)) s after" \
    "its data goes through again)"
hs=$(grep -c "handshake complete" "$D/m.log")
[ "$hs" -ge 2 ]; ok $? "with a new handshake ($hs in all)"
wait_for 10 knows c 1; ok $? "c lists m as a member"
done_testing
