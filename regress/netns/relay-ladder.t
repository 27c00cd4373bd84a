#!/usr/bin/env bash
# The ladder with a relay (issue 14): four nodes on one underlay, n1 the
# coordinator, r a relay (serve relay), a and b members.  a's site drops
# all UDP to and from the other members (nftables in a's namespace; UDP to
# the coordinator passes, for a learns of members and relays from it).
# a reaches b through the relay within 5 s of its start, and show peers
# says "relay r".  Then a's site lets UDP through: a and b are back on
# direct UDP within the probe interval, with no new handshake (the
# latest handshake unchanged at both ends) and no ping lost across the
# switch.  Last, c, whose site lets out only TCP to port 443 (and UDP to
# the coordinator): it reaches a and b through the relay.

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg ping openssl nft bc
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

PROBE=4
HUB=rdh$$
mesh_hub "$HUB" || fail_setup "the hub"
tmpdir_new D
mesh_ca || fail_setup "an admin key"
mesh_host "$HUB" "rd1$$" 1 && mesh_host "$HUB" "rdr$$" 2 &&
    mesh_host "$HUB" "rda$$" 3 && mesh_host "$HUB" "rdb$$" 4 &&
    mesh_host "$HUB" "rdc$$" 5 ||
    fail_setup "the hosts"
mesh_cert n1 1 -R coordinator && mesh_cert r 2 -R relay &&
    mesh_cert a 3 && mesh_cert b 4 && mesh_cert c 5 ||
    fail_setup "certificates"
relay_tls || fail_setup "the TLS key"
mesh_conf n1 serve
relay_conf r n1:1
mesh_conf a n1:1
mesh_conf b n1:1
mesh_conf c n1:1
# a short probe interval, so that the way back up is quick to see
for n in n1 r a b c; do
	sed -i "s/^\tlisten-port 51820\$/&\n\tprobe-interval $PROBE/" \
	    "$D/$n.conf"
done
t "a's config checks" "$MESHD" -n -f "$D/a.conf"

# a's site: no UDP to or from the other members, either way
ip netns exec "rda$$" nft -f - <<NFT || fail_setup "nftables on a"
table inet site {
	chain out {
		type filter hook output priority 0;
		ip daddr { 198.18.60.2, 198.18.60.4 } meta l4proto udp drop
	}
	chain in {
		type filter hook input priority 0;
		ip saddr { 198.18.60.2, 198.18.60.4 } meta l4proto udp drop
	}
}
NFT
ok $? "a's site drops UDP to and from r and b"

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
peerj() { ctl "$1" -j show peer "$2" | jq -r "$3"; }
knows() {
	[ "$(ctl "$1" -j show peers |
	    jq '[.peers[] | select(.cert_expires != null)] | length')" = "$2" ]
}
for n in n1:1 r:r b:b; do
	meshd_up "${n%%:*}" "rd${n##*:}$$"
	ok $? "${n%%:*} starts" ||
	    { diag "$(cat "$D/${n%%:*}.log")"; done_testing; exit 1; }
done
t "r listens on TCP 443" wait_for 5 sh -c \
    "ip netns exec rdr$$ ss -Hltn sport = 443 | grep -q ."
wait_for 10 knows b 2; ok $? "b knows n1 and r"

# ---- a starts behind its firewall: on the relay within 5 s of being
# up (meshd_up returns when its control socket answers: under ASan the
# start itself takes a second or two, which is not the ladder's)
ts=$(date +%s.%N)
meshd_up a "rda$$"; ok $? "a starts"
t0=$(date +%s.%N)
diag "a's start took $(echo "$t0 - $ts" | bc) s"
# a ping every 0.2 s until one is answered
ip netns exec "rda$$" ping -c 1 -i 0.2 -w 30 100.64.0.4 >/dev/null
ok $? "a pings b (through the relay)" ||
    diag "$(grep -i -e relay -e ladder -e 'peer b' "$D/a.log" | tail -30)"
t_relay=$(echo "$(date +%s.%N) - $t0" | bc)
diag "time from a being up to a ping answered through the relay: $t_relay s"
[ "$(echo "$t_relay <= 5" | bc)" = 1 ]
ok $? "a reaches b through the relay within 5 s of its start ($t_relay s)"
t "b pings a" ip netns exec "rdb$$" ping -c 3 -i 0.2 -W 2 -w 10 100.64.0.3
is "$(peerj a b '"\(.path) \(.relay)"')" "relay r" \
    "show peer -j b on a: path relay, relay r"
like "$(ctl a show peers)" "b .*relay r" "a's show peers: b is on relay r"
like "$(peerj a b .why)" "UDP probe every $PROBE s" \
    "why says when UDP is probed again"
is "$(peerj b a .path)" relay "b sees a through the relay too"
diag "$(ctl a show peers)"

# ---- a's site lets UDP through: back to direct, no handshake, no loss
hs_a=$(peerj a b .latest_handshake); hs_b=$(peerj b a .latest_handshake)
start_bg PING ip netns exec "rda$$" ping -i 0.1 -W 1 \
    -c $(( (PROBE + 8) * 10 )) 100.64.0.4 >"$D/ping.out" 2>&1
sleep 1
ip netns exec "rda$$" nft delete table inet site
t1=$(date +%s.%N)
path_is() { [ "$(peerj "$1" "$2" .path)" = "$3" ]; }
wait_for $((PROBE + 5)) path_is a b direct
ok $? "a back on direct UDP within the probe interval ($PROBE s)" ||
    diag "$(ctl a show peer b)"
t_back=$(echo "$(date +%s.%N) - $t1" | bc)
diag "time from UDP open to a on direct: $t_back s"
wait_for 5 path_is b a direct
ok $? "b back on direct UDP too"
is "$(peerj a b .endpoint)" "198.18.60.4:51820" \
    "a's endpoint for b is b's UDP address"
is "$(peerj b a .endpoint)" "198.18.60.3:51820" \
    "b's endpoint for a is a's UDP address"
wait "$PING"
got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$D/ping.out")
sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$D/ping.out")
diag "pings every 0.1 s across the switch: $sent sent, $got answered"
is "$got" "$sent" "no ping lost across the switch"
is "$(peerj a b .latest_handshake)" "$hs_a" "a: no new handshake"
is "$(peerj b a .latest_handshake)" "$hs_b" "b: no new handshake"
grep -q "peer b: back on direct UDP" "$D/a.log"
ok $? "a's log says it is back on direct UDP"
sleep 2
is "$(peerj a b .path)" direct "no flap back down to the relay"

# ---- c: only TCP 443 out (and UDP to the coordinator, which tells of
# the members and the relay); nothing else in but what answers that.
# The site's firewall is on the underlay: the tunnel's own interface is
# c's business
ip netns exec "rdc$$" nft -f - <<NFT || fail_setup "nftables on c"
table inet site {
	chain out {
		type filter hook output priority 0; policy drop;
		oifname != "eth0" accept
		ct state established,related accept
		tcp dport 443 accept
		ip daddr 198.18.60.1 udp dport 51820 accept
	}
	chain in {
		type filter hook input priority 0; policy drop;
		iifname != "eth0" accept
		ct state established,related accept
	}
}
NFT
ok $? "c's site lets out only TCP 443 (and UDP to the coordinator)"
# the site is what it says: TCP to another port of b is dropped
start_bg NC8 ip netns exec "rdb$$" timeout 20 nc -lk 198.18.60.4 8080
wait_for 5 ip netns exec "rda$$" nc -z -w 2 198.18.60.4 8080
ok $? "control: a reaches b's TCP 8080"
! ip netns exec "rdc$$" nc -z -w 2 198.18.60.4 8080
ok $? "c does not"
t0=$(date +%s.%N)
meshd_up c "rdc$$"; ok $? "c starts"
ip netns exec "rdc$$" ping -c 1 -i 0.2 -w 30 100.64.0.4 >/dev/null
ok $? "c pings b (through the relay)" ||
    diag "$(grep -i -e relay -e 'peer b' "$D/c.log" | tail -30)"
diag "time from c's start to a ping answered: $(echo "$(date +%s.%N) - $t0" | bc) s"
t "c pings a" ip netns exec "rdc$$" ping -c 3 -i 0.2 -W 2 -w 15 100.64.0.3
t "a pings c" ip netns exec "rda$$" ping -c 3 -i 0.2 -W 2 -w 15 100.64.0.5
like "$(ctl c show peers)" "b .*relay r" "c's show peers: b is on relay r"
like "$(ctl c show peers)" "a .*relay r" "and a too"
is "$(peerj a c .path)" relay "a reaches c through the relay"
diag "$(ctl c show peers)"
done_testing
