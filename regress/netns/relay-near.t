#!/usr/bin/env bash
# Several relays (issue 14): n1 the coordinator, two relays, far (made
# far by 150 ms of netem delay on its link) and near, and members a, b
# and c whose UDP to each other and to the relays is dropped (nftables);
# c cannot reach near at all.  Each member dials every relay, measures
# how long each took to set up, takes the nearest as its home (a and b:
# near; c: far, the only one it reaches), says so in its directory
# record, and keeps only that connection: the other closes once idle
# (MESHD_TEST_RELAY_SPARE_IDLE: 5 s here, 30 s in use).  far refuses
# b's first dial: b dials it again until it has measured it.  a sends to b
# through near ("relay near"), and to c through c's home, far, dialled
# when a needs it and closed again when a no longer does.  near stops: a
# and b take far as home, and pings go on; show peers says "relay far".

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg ping openssl nft tc bc python3
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

HUB=rnh$$
mesh_hub "$HUB" || fail_setup "the hub"
tmpdir_new D
mesh_ca || fail_setup "an admin key"
# far is learned of first (the lower id): a member that took the first
# relay it heard of would take it
mesh_host "$HUB" "rn1$$" 1 && mesh_host "$HUB" "rnf$$" 2 &&
    mesh_host "$HUB" "rna$$" 3 && mesh_host "$HUB" "rnb$$" 4 &&
    mesh_host "$HUB" "rnn$$" 5 && mesh_host "$HUB" "rnc$$" 6 ||
    fail_setup "the hosts"
mesh_cert n1 1 -R coordinator && mesh_cert far 2 -R relay &&
    mesh_cert a 3 && mesh_cert b 4 && mesh_cert near 5 -R relay &&
    mesh_cert c 6 || fail_setup "certificates"
(umask 077; openssl ecparam -name prime256v1 -genkey -noout \
    -out "$D/tls.key" 2>/dev/null) &&
    openssl req -new -x509 -key "$D/tls.key" -out "$D/tls.crt" \
    -days 30 -subj /CN=www.example.com 2>/dev/null ||
    fail_setup "the TLS key"
mesh_conf n1 serve
MESH_EXTRA=$(printf '\tserve relay {\n\t\tlisten "0.0.0.0:443"\n\t\ttls-certificate-file "%s"\n\t\ttls-key-file "%s"\n\t}' "$D/tls.crt" "$D/tls.key")
export MESH_EXTRA
mesh_conf far n1:1
mesh_conf near n1:1
unset MESH_EXTRA
mesh_conf a n1:1
mesh_conf b n1:1
mesh_conf c n1:1
export MESHD_TEST_RELAY_SPARE_IDLE=5

# far: 150 ms more on everything it sends, by netem where the kernel has
# it, else by a proxy in far's namespace that holds each chunk 150 ms
# each way (TCP 443 from eth0 redirected to it)
if ip netns exec "rnf$$" tc qdisc add dev eth0 root netem delay 150ms \
    2>/dev/null; then
	ok 0 "far's link delays by 150 ms (netem)"
else
	cat >"$D/delay.py" <<'PY'
import asyncio, time
DELAY = 0.15
async def pipe(r, w):
    q = asyncio.Queue()
    async def out():
        while True:
            t, data = await q.get()
            if data is None:
                break
            await asyncio.sleep(max(0, t + DELAY - time.monotonic()))
            w.write(data)
            await w.drain()
        w.close()
    task = asyncio.ensure_future(out())
    while True:
        data = await r.read(65536)
        await q.put((time.monotonic(), data or None))
        if not data:
            break
    await task
async def serve(r, w):
    try:
        ur, uw = await asyncio.open_connection("127.0.0.1", 443)
    except OSError:
        w.close()
        return
    await asyncio.gather(pipe(r, uw), pipe(ur, w), return_exceptions=True)
async def main():
    s = await asyncio.start_server(serve, "0.0.0.0", 8443)
    async with s:
        await s.serve_forever()
asyncio.run(main())
PY
	start_bg DELAY ip netns exec "rnf$$" python3 "$D/delay.py"
	# python can take seconds to start on a busy machine: a member
	# that dialled far before would be refused
	wait_for 20 listening "rnf$$" 8443 || fail_setup "the delaying proxy"
	ip netns exec "rnf$$" nft -f - <<NFT
table ip far {
	chain pre {
		type nat hook prerouting priority -100;
		iif eth0 tcp dport 443 redirect to :8443
	}
}
NFT
	ok $? "far's TCP 443 goes through a proxy that delays 150 ms each way (no netem)"
fi
for h in a b c; do
	[ $h = c ] && nonear="ip daddr 198.18.60.5 drop" || nonear=
	ip netns exec "rn$h$$" nft -f - <<NFT || fail_setup "nftables on $h"
table inet site {
	chain out {
		type filter hook output priority 0;
		ip daddr != 198.18.60.1 meta l4proto udp drop
		$nonear
	}
	chain in {
		type filter hook input priority 0;
		ip saddr != 198.18.60.1 meta l4proto udp drop
	}
}
NFT
done

# far refuses b's first connection (a TCP reset, wherever the proxy
# is): b dials far again until it has measured it
ip netns exec "rnf$$" nft -f - <<NFT || fail_setup "far's refusal"
table inet refuse {
	chain in {
		type filter hook input priority 0;
		ip saddr 198.18.60.4 tcp dport { 443, 8443 } reject with tcp reset
	}
}
NFT
ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
peerj() { ctl "$1" -j show peer "$2" | jq -r "$3"; }
knows() {
	[ "$(ctl "$1" -j show peers |
	    jq '[.peers[] | select(.cert_expires != null)] | length')" = "$2" ]
}
for n in n1:1 far:f near:n b:b a:a c:c; do
	meshd_up "${n%%:*}" "rn${n##*:}$$"
	ok $? "${n%%:*} starts" ||
	    { diag "$(cat "$D/${n%%:*}.log")"; done_testing; exit 1; }
done
for n in a b c; do
	wait_for 10 knows "$n" 5; ok $? "$n knows the five other members"
done
id_of() { peerj "$1" "$2" .id; }
refused() { grep -q "relay: could not connect to relay peer $1 " "$D/b.log"; }
wait_for 10 refused "$(id_of b far)"
ok $? "b's log: its first dial to far failed" ||
    diag "$(grep relay: "$D/b.log")"
ip netns exec "rnf$$" nft delete table inet refuse
conns() {	# conns NODE: how many connections NODE's relays say are up
	[ "$(grep -c "relay: connected to relay peer" "$D/$1.log")" -ge 2 ]
}
for n in a b; do
	# b: at the next tick (5 s), within its backoff
	wait_for 12 conns "$n"; ok $? "$n connected to both relays" ||
	    diag "$(grep relay: "$D/$n.log")"
done
homes() { grep -c "relay: relay peer $2 is our home relay" "$D/$1.log"; }
homes_far() { [ "$(homes "$1" "$(id_of "$1" far)")" -ge 1 ]; }
for n in a b; do
	is "$(homes $n "$(id_of $n near)")" 1 "$n took near as its home relay"
done
wait_for 10 homes_far c; ok $? "c took far as its home relay"
like "$(ctl a netcheck)" "home-relay 198\.18\.60\.5:443" \
    "a's candidates (netcheck) name near as its home relay"
like "$(ctl c netcheck)" "home-relay 198\\.18\\.60\\.2:443" "c's: far"
# the spare connections close: a and b keep near's only, c far's only
opens() { ctl "$1" -j show status | jq -r .counters.net.relay_open; }
open_is() { [ "$(opens "$1")" = "$2" ]; }
wait_for 20 open_is far 1
ok $? "far: one member connection left, c's ($(opens far))" ||
    diag "$(grep relay: "$D/a.log" | tail)"
wait_for 20 open_is near 2
ok $? "near: a's and b's ($(opens near))"
grep -q "our connection to relay peer $(id_of a far) carried nothing" \
    "$D/a.log"
ok $? "a's log: its connection to far closed, idle and not its home"
diag "$(grep "relay: connected to relay peer" "$D/a.log")"
ms=$(sed -n 's/.*relay: connected to relay peer [0-9]* in \([0-9]*\) ms/\1/p' \
    "$D/a.log" | sort -n | tr '\n' ' ')
[ "$(echo "$ms" | awk '{print ($NF - $1 >= 300)}')" = 1 ]
ok $? "a measured far's set-up at least 300 ms longer than near's ($ms ms)"

ip netns exec "rna$$" ping -c 1 -i 0.2 -w 20 100.64.0.4 >/dev/null
ok $? "a pings b through a relay"
t "b pings a" ip netns exec "rnb$$" ping -c 3 -i 0.2 -W 2 -w 10 100.64.0.3
is "$(peerj a b .relay)" near "a sends to b through the near relay"
is "$(peerj b a .relay)" near "and b to a"
like "$(ctl a show peers)" "b .*relay near" "a's show peers: relay near"
rtt=$(ip netns exec "rna$$" ping -c 5 -i 0.2 -W 2 100.64.0.4 |
    sed -n 's/.*rtt.* = [^/]*\/\([^/.]*\).*/\1/p')
# far adds 300 ms a round trip: well under that is near, even under ASan
[ -n "$rtt" ] && [ "$rtt" -lt 200 ]
ok $? "a -> b round trip under 200 ms through near (${rtt:-?} ms)"
diag "$(ctl a show peers)"

# ---- c is homed on far: a reaches it there, dialling far while it must
t "a pings c" ip netns exec "rna$$" ping -c 3 -i 0.5 -W 3 -w 20 100.64.0.6
is "$(peerj a c .relay)" far "a sends to c through c's home relay, far" ||
    diag "$(grep relay "$D/a.log" | tail -30)"
is "$(opens far)" 2 "far: c's connection and a's again"
wait_for 25 open_is far 1
ok $? "a's connection to far closes once a no longer needs it ($(opens far))"
t "and a still pings b through near" ip netns exec "rna$$" ping -c 2 \
    -i 0.2 -W 2 -w 10 100.64.0.4

# ---- near stops: a and b go through far
start_bg PING ip netns exec "rna$$" ping -i 0.2 -W 2 -c 50 100.64.0.4 \
    >"$D/ping.out" 2>&1
sleep 1
kill "$PID_near"
t1=$(date +%s.%N)
for n in a b; do
	wait_for 10 homes_far "$n"
	ok $? "$n took far as its home relay once near stopped" ||
	    diag "$(grep relay "$D/$n.log" | tail -20)"
done
relay_is() { [ "$(peerj "$1" "$2" .relay)" = "$3" ]; }
wait_for 10 relay_is a b far
ok $? "a: b through far once near is gone" || diag "$(ctl a show peer b)"
diag "time from near's stop to a on far: $(echo "$(date +%s.%N) - $t1" | bc) s"
wait_for 10 relay_is b a far
ok $? "b: a through far"
like "$(ctl a show peers)" "b .*relay far" "a's show peers: relay far"
wait "$PING"
got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$D/ping.out")
sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$D/ping.out")
diag "pings every 0.2 s across the switch: $sent sent, $got answered"
# far is dialled anew (TCP, TLS, the upgrade: 300 ms a round trip)
[ "${got:-0}" -ge $(( ${sent:-50} - 20 )) ]
ok $? "at most 20 pings (4 s) lost across the switch ($got of $sent answered)"
t "a pings b through far" ip netns exec "rna$$" ping -c 3 -i 0.2 -W 2 \
    100.64.0.4
done_testing
