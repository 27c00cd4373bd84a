#!/usr/bin/env bash
# What a censor sees of obfuscated members (meshd.conf(5), OBFUSCATION):
# a coordinator c and members a and b with obfuscation on, on port 40404
# (classifiers name anything on 51820 WireGuard by the port alone) and
# mtu 1380 (room for the data padding in a full packet), the test clock 30
# times faster (a session every 4 s).  b's link is captured from before
# the first packet: 10,000 datagrams or more of pings, floods, a transfer
# and idle keepalives between a and b, and b's with c (censor.sh).  Then,
# as regress/netns/censor-plain.t does for plain WireGuard, but the other
# way round (censor.py):
#  - nDPI calls no flow WireGuard, nor anything else it knows (but RTP,
#    its guess for random bytes now and then);
#  - tshark dissects no WireGuard message, by its heuristics or forced;
#  - no byte offset of the first 32 is far from uniform; no length is
#    more than 5% of the datagrams;
#  - the first datagram of every flow meets an exemption of the rule
#    against fully encrypted traffic;
#  - probes get no reply: random datagrams of every length 1..1500,
#    replays of every captured datagram and of the first of each flow,
#    cut and bit-flipped copies.

. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../censor.sh"
need_root
need_cmds jq wg nc tcpdump python3 ndpiReader tshark
TC=${MESHD_TCLOCK_ROOT:-}
[ -n "$TC" ] && [ -x "$TC/sbin/meshd" ] ||
    skip_all "no test-clock installation (run make check)"

HUB=owh$$ C=owc$$ A=owa$$ B=owb$$ P=owp$$ PORT=40404
tmpdir_new D
MESH_EXTRA=$'\tobfuscation-junk 1\n\tobfuscation-jitter 200' \
    obfs_mesh "$HUB" "$C" "$A" "$B" || fail_setup "the mesh"
mesh_host "$HUB" "$P" 9 || fail_setup "the prober's host"
for n in a b c; do
	sed -i -e "s/51820/$PORT/" -e 's/^\tlisten-port.*/&\n\tmtu 1380/' \
	    "$D/$n.conf"
done

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
knows() {
	[ "$(ctl "$1" -j show peers |
	    jq '[.peers[] | select(.cert_expires != null)] | length')" = "$2" ]
}

censor_capture_start "$B" eth0 "$D/obfs.pcap" || fail_setup "tcpdump"
meshd_up_fast c "$C" && meshd_up_fast b "$B" && meshd_up_fast a "$A" ||
    fail_setup "the nodes"
wait_for 15 knows a 2 && wait_for 15 knows b 2 || fail_setup "the mesh"
t "a reaches b" ip netns exec "$A" ping -c 2 -i 0.2 -W 2 -w 10 100.64.0.3
start=$(date +%s)
censor_traffic "$A" 100.64.0.2 "$B" 100.64.0.3 "$D/obfs.pcap"
ok $? "the capture holds 10,000 datagrams or more ($CENSOR_N," \
    "$(($(date +%s) - start)) s of traffic)"
censor_capture_stop
diag "tcpdump: $CAP_STATS"
hs=$(cat "$D/a.log" "$D/b.log" | grep -c "handshake complete")
[ "$hs" -ge 4 ]; ok $? "several handshakes in it ($hs complete, a and b)"

out=$(python3 "$CENSOR_PY" "$D/obfs.pcap" --port "$PORT")
ok $? "censor.py reads the capture"
while read -r l; do diag "$l"; done <<<"$out"
val() { sed -n "s/^$1: //p" <<<"$out"; }
[ "$(val packets)" -ge 10000 ]; ok $? "censor.py counts them ($(val packets))"
flows=$(val flows)
[ "$flows" -ge 2 ]; ok $? "b's flows with a and c ($flows)"
is "$(val ndpi_wireguard)" 0 "nDPI calls no flow WireGuard ($(val ndpi))"
# nor anything else it knows, but RTP: nDPI 4.2 takes a flow of uniformly
# random bytes for RTP now and then (81 of 1000 made-up flows of 40 random
# datagrams), from RTP's version bits in the first byte, a quarter of all
# values; to avoid that the first byte would have to shun them, a pattern
# of our own a censor could match
like "$(val ndpi)" '^(Unknown|RTP)(,(Unknown|RTP))*$' \
    "nor anything else it knows (but RTP, as it does random bytes)"
is "$(val tshark_wg) $(val tshark_wg_zero) $(val tshark_wg_forced)" "0 0 0" \
    "tshark dissects no WireGuard message, by heuristics or forced"
is "$(val chi2_far)" "0/32 p<1e-06 -" \
    "no offset of the first 32 far from uniform ($(val chi2_worst))"
read -r len share <<<"$(val len_top_share)"
[ "${share#0.}" -lt 050 ] 2>/dev/null && [ "${share%%.*}" = 0 ]
ok $? "no length is 5% of the datagrams (the most: $len, $share)"
is "$(val first_exempt)" "$flows/$flows" \
    "every flow's first datagram meets an exemption ($(val first_exempt_why))"

# ---- the prober, a host on the same link
pr() { ip netns exec "$P" python3 "$PROBE_PY" "$@"; }
rep() { sed -n "s/^$2: //p" <<<"$1"; }
o=$(pr 198.18.60.3 "$PORT" --random)
is "$(rep "$o" sent) $(rep "$o" replies) $(rep "$o" icmp_errors)" \
    "1500 0 0" "random datagrams of every length 1..1500: no reply"
o=$(pr 198.18.60.3 "$PORT" --replay "$D/obfs.pcap" --from-port "$PORT")
is "$(rep "$o" replies)" 0 \
    "replayed first datagrams of each flow ($(rep "$o" sent)): no reply"
o=$(pr 198.18.60.3 "$PORT" --replay "$D/obfs.pcap" --from-port "$PORT" \
    --all --max 3000)
is "$(rep "$o" replies)" 0 \
    "replayed datagrams, handshakes and data ($(rep "$o" sent)): no reply"
o=$(pr 198.18.60.3 "$PORT" --mutate "$D/obfs.pcap" --from-port "$PORT" \
    --all --max 300)
is "$(rep "$o" replies)" 0 \
    "cut and bit-flipped copies ($(rep "$o" sent)): no reply"
t "and the tunnel still works" ip netns exec "$A" ping -c 2 -i 0.2 -W 2 \
    -w 10 100.64.0.3
for n in a b c; do
	grep -q "fatal\|lost child" "$D/$n.log"
	ok $((!$?)) "$n logged nothing fatal"
done
done_testing
