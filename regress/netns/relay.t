#!/usr/bin/env bash
# Relays (issue 14): four nodes on one underlay, n1 the coordinator, r a
# relay (serve relay, the relay role), a and b members whose UDP to each
# other and to r is dropped by nftables (TCP to r's port 443 and UDP to
# the coordinator pass).  a and b reach each other, and r, through the
# relay: ping, a transfer checked with sha256, show peers saying "relay
# r".  A marker sent through the relay arrives at the far end but is in
# no process of r and not in r's captured traffic.  The TLS key is in
# r's meshd-crypto and in no other process of r.  To anyone else the
# relay is a web site: GET / 200, an unknown path 404, and an upgrade
# replayed on another connection gets the web site's answer, not a 101.

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg ping openssl nft curl sha256sum base64 tcpdump nc
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"
MEMSCAN=$MESHD_BUILD/regress/interop/memscan
PROBE=$MESHD_BUILD/regress/interop/relayprobe
[ -x "$MEMSCAN" ] || skip_all "$MEMSCAN not built (run make check)"
[ -x "$PROBE" ] || skip_all "$PROBE not built (run make check)"

HUB=rlh$$
mesh_hub "$HUB" || fail_setup "the hub"
tmpdir_new D
mesh_ca || fail_setup "an admin key"
mesh_host "$HUB" "rl1$$" 1 && mesh_host "$HUB" "rlr$$" 2 &&
    mesh_host "$HUB" "rla$$" 3 && mesh_host "$HUB" "rlb$$" 4 ||
    fail_setup "the hosts"
mesh_cert n1 1 -R coordinator && mesh_cert r 2 -R relay &&
    mesh_cert a 3 && mesh_cert b 4 || fail_setup "certificates"
relay_tls || fail_setup "the TLS key"
mesh_conf n1 serve
# the web site outsiders see
mkdir "$D/site" && echo '<html>relay-test-site</html>' >"$D/site/index.html"
relay_conf r n1:1 "$D/site"
mesh_conf a n1:1
mesh_conf b n1:1

# a and b: no UDP to each other or to r, either way; TCP to r passes
for h in a b; do
	relay_no_udp "rl$h$$" 198.18.60.2 198.18.60.3 198.18.60.4 ||
	    fail_setup "nftables on $h"
done

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
knows() {
	[ "$(ctl "$1" -j show peers |
	    jq '[.peers[] | select(.cert_expires != null)] | length')" = "$2" ]
}
for n in n1:1 r:r a:a b:b; do
	meshd_up "${n%%:*}" "rl${n##*:}$$"
	ok $? "${n%%:*} starts" ||
	    { diag "$(cat "$D/${n%%:*}.log")"; done_testing; exit 1; }
done
t "r listens on TCP 443" wait_for 5 sh -c \
    "ip netns exec rlr$$ ss -Hltn sport = 443 | grep -q ."
for n in a b; do
	wait_for 10 knows "$n" 3; ok $? "$n knows the three other members"
done

# capture r's traffic from here on
start_bg CAP ip netns exec "rlr$$" tcpdump -i eth0 -U -w "$D/r.pcap" \
    -s 0 tcp port 443 2>/dev/null

# ---- through the relay
t0=$(date +%s.%N)
ip netns exec "rla$$" ping -c 1 -W 1 -w 20 100.64.0.4 >/dev/null 2>&1
ok $? "a pings b (through the relay)" ||
    { diag "a: $(grep -i relay "$D/a.log" | tail -30)" "r: $(grep -i relay "$D/r.log" | tail -30)"; cp "$D"/*.log /tmp/rt/; }
t1=$(date +%s.%N)
diag "time to the relay path: $(echo "$t1 - $t0" | bc 2>/dev/null || echo "$t0 .. $t1") s"
t "b pings a" ip netns exec "rlb$$" ping -c 3 -i 0.2 -W 2 -w 10 100.64.0.3
t "a pings r (the relay node itself, through its relay)" \
    ip netns exec "rla$$" ping -c 2 -i 0.2 -W 2 -w 15 100.64.0.2
like "$(ctl a show peers)" "b .*relay r" "a's show peers: b's path is relay r"
is "$(ctl a -j show peer b | jq -r '"\(.path) \(.relay)"')" "relay r" \
    "show peer -j: path relay, relay r"
diag "$(ctl a show peers)"

# a transfer, checked with sha256
head -c 16000000 /dev/urandom >"$D/blob"
start_bg NCL ip netns exec "rlb$$" sh -c "nc -l -N -w 20 100.64.0.4 7000 >$D/blob.got"
wait_for 20 listening "rlb$$" 7000 || fail_setup "b's listener"
ts=$(date +%s.%N)
ip netns exec "rla$$" nc -N -w 20 100.64.0.4 7000 <"$D/blob"
te=$(date +%s.%N)
wait "$NCL" 2>/dev/null
is "$(sha256sum <"$D/blob.got")" "$(sha256sum <"$D/blob")" \
    "a 16 MB transfer a -> b through the relay arrives whole (sha256)"
# beside it, the same over a direct path (a -> n1, UDP allowed there)
start_bg NCD ip netns exec "rl1$$" sh -c "nc -l -N -w 20 100.64.0.1 7002 >/dev/null"
wait_for 20 listening "rl1$$" 7002 || fail_setup "n1's listener"
tds=$(date +%s.%N)
ip netns exec "rla$$" nc -N -w 20 100.64.0.1 7002 <"$D/blob"
tde=$(date +%s.%N)
wait "$NCD" 2>/dev/null
diag "16 MB through the relay: $(awk "BEGIN{printf \"%.2f s, %.0f Mbit/s\", $te - $ts, 128 / ($te - $ts)}")"
diag "16 MB direct (a -> n1): $(awk "BEGIN{printf \"%.2f s, %.0f Mbit/s\", $tde - $tds, 128 / ($tde - $tds)}")"

# a marker: 32 random bytes as 44 characters of base64 (memscan's form)
head -c 32 /dev/urandom | base64 >"$D/marker"
start_bg NCM ip netns exec "rlb$$" sh -c "nc -l -N -w 20 100.64.0.4 7001 >$D/marker.got"
wait_for 20 listening "rlb$$" 7001 || fail_setup "b's listener"
for i in 1 2 3 4 5 6 7 8; do cat "$D/marker"; done |
    ip netns exec "rla$$" nc -N -w 20 100.64.0.4 7001
wait "$NCM" 2>/dev/null
grep -qF "$(cat "$D/marker")" "$D/marker.got"
ok $? "the marker arrived at b"
grep -qF "$(cat "$D/marker")" <(for i in 1 2 3 4 5 6 7 8; do cat "$D/marker"; done)
ok $? "and it was what a sent"

# the TLS key's private scalar, 32 bytes, as memscan's needles: as the
# key file has it (big-endian) and as an OpenSSL BIGNUM holds it on a
# little-endian machine (its bytes reversed)
openssl ec -in "$D/tls.key" -outform DER 2>/dev/null | head -c 39 |
    tail -c 32 >"$D/tls.raw"
base64 <"$D/tls.raw" >"$D/tls.be"
perl -0777 -ne 'print scalar reverse $_' <"$D/tls.raw" | base64 >"$D/tls.le"
[ "$(stat -c %s "$D/tls.raw")" = 32 ]; ok $? "the TLS key's scalar, 32 bytes"
# count KEY OUT: the raw and base64 hits of needle KEY in memscan's OUT
count() {
	awk -v k="key=$1" '$1 == k {for (i = 2; i <= NF; i++)
	    if ($i ~ /^(raw|b64)=/) {split($i, a, "="); s += a[2]}}
	    END {print s + 0}' <<<"$2"
}
pids=$(ctl r -j show status | jq -r '.processes[] | "\(.role)=\(.pid)"')
for pr in $pids; do
	role=${pr%%=*} pid=${pr##*=}
	out=$("$MEMSCAN" "$pid" "$D/marker" "$D/tls.be" "$D/tls.le")
	m=$(count 0 "$out")
	k=$(( $(count 1 "$out") + $(count 2 "$out") ))
	is "$m" 0 "r's $role holds no trace of the marker"
	if [ "$role" = crypto ]; then
		[ "${k:-0}" -gt 0 ]; ok $? "r's crypto holds the TLS key ($k)"
	else
		is "${k:-x}" 0 "r's $role does not hold the TLS key"
	fi
done
# a control: the scan finds the marker in a process that holds it
start_bg HOLD perl -e 'open(F, shift) or die; $m = <F>; sleep 30' \
    "$D/marker"
sleep 0.5
[ "$(count 0 "$("$MEMSCAN" "$HOLD" "$D/marker")")" -gt 0 ]
ok $? "control: memscan finds the marker in a perl that read it"
kill "$HOLD" 2>/dev/null
kill "$CAP" 2>/dev/null; sleep 0.5
! grep -qaF "$(cat "$D/marker")" "$D/r.pcap"
ok $? "the marker is not in r's captured traffic"
[ "$(stat -c %s "$D/r.pcap")" -gt 100000 ]
ok $? "the capture holds the relayed traffic ($(stat -c %s "$D/r.pcap") bytes)"

# ---- to a stranger, a web site
code=$(ip netns exec "rla$$" curl -sk -o /dev/null -w '%{http_code}' https://198.18.60.2/)
is "$code" 200 "GET / answers 200"
like "$(ip netns exec "rla$$" curl -sk https://198.18.60.2/)" \
    "relay-test-site" "with the site-directory's index.html"
code=$(ip netns exec "rla$$" curl -sk -o /dev/null -w '%{http_code}' https://198.18.60.2/nothing-here)
is "$code" 404 "GET /nothing-here answers 404"
hdr=$(ip netns exec "rla$$" curl -skI https://198.18.60.2/)
like "$hdr" "Server: nginx" "and names itself nginx"

# ---- upgrades: a's key, made outside meshd (relayprobe)
# (a test tool: under ASan, the TLS objects it leaves at exit are no leak
# of meshd's to report)
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
probe() {
	ip netns exec "rla$$" "$PROBE" "$1" 198.18.60.2 443 "$CA_PUB" \
	    "$(wg pubkey <"$D/r.key")" "$D/a.key"
}
out=$(probe good)
like "$out" "^HTTP/1.1 101 " "a member's upgrade with its proof: 101 (control)"
like "$out" "relay proof ok" "and the relay's own proof holds"
out=$(probe replay)
like "$out" "^HTTP/1.1 404 Not Found" \
    "the same upgrade replayed on another TLS connection: the web's 404"
out=$(probe nopath)
like "$out" "^HTTP/1.1 404 Not Found" "a right proof on a wrong path: 404"
(umask 077; wg genkey >"$D/c.key")
out=$(ip netns exec "rla$$" "$PROBE" good 198.18.60.2 443 "$CA_PUB" \
    "$(wg pubkey <"$D/r.key")" "$D/c.key")
like "$out" "^HTTP/1.1 404 Not Found" "a key that is no member's: 404"
# a member the relay does not know yet (c never starts): a certificate of
# the mesh vouches for its key (RELAYPROBE_CERT, the Meshd-Certificate
# header), so the relay lets it reach coordinators (relay-boot.t); a
# certificate of another key does not
mesh_cert c 9 || fail_setup "c's certificate"
certb64() { sed '1d;$d' "$1" | tr -d '\n'; }
out=$(RELAYPROBE_CERT=$(certb64 "$D/c.crt") ip netns exec "rla$$" \
    "$PROBE" good 198.18.60.2 443 "$CA_PUB" "$(wg pubkey <"$D/r.key")" \
    "$D/c.key")
like "$out" "^HTTP/1.1 101 " "a key not admitted yet, with its certificate: 101"
out=$(RELAYPROBE_CERT=$(certb64 "$D/a.crt") ip netns exec "rla$$" \
    "$PROBE" good 198.18.60.2 443 "$CA_PUB" "$(wg pubkey <"$D/r.key")" \
    "$D/c.key")
like "$out" "^HTTP/1.1 404 Not Found" "with another key's certificate: 404"
out=$(RELAYPROBE_CERT='bm90IGEgY2VydGlmaWNhdGU=' ip netns exec "rla$$" \
    "$PROBE" good 198.18.60.2 443 "$CA_PUB" "$(wg pubkey <"$D/r.key")" \
    "$D/c.key")
like "$out" "^HTTP/1.1 404 Not Found" "with bytes that are no certificate: 404"

# ---- the relay's counters, where an operator looks
# the probes' connections closed: two members' stay
open2() { [ "$(ctl r -j show status | jq .counters.net.relay_open)" = 2 ]; }
wait_for 5 open2
js=$(ctl r -j show status)
rc() { jq -r ".counters.net.relay_$1" <<<"$js"; }
[ "$(rc forwarded)" -gt 1000 ]
ok $? "show status -j: relay_forwarded counts the transfer ($(rc forwarded))"
# a and b, and relayprobe's good upgrade
[ "$(rc admitted)" -ge 3 ]
ok $? "relay_admitted: a, b and the probe ($(rc admitted))"
# the replayed proof and the stranger's key (nopath is only a web page)
[ "$(rc refused)" -ge 2 ]
ok $? "relay_refused: the replay and the stranger ($(rc refused))"
# three GETs, a HEAD, the three upgrades given to the site
[ "$(rc web)" -ge 6 ]
ok $? "relay_web: the web site's answers ($(rc web))"
is "$(rc open)" 2 "relay_open: a's and b's connections"
is "$(rc full)" 0 "relay_full: none refused for want of room"
txt=$(ctl r show status)
like "$txt" "relay forwarded +[1-9][0-9]{3,}" \
    "show status prints relay forwarded"
like "$txt" "relay open +2" "and relay open"
! grep -q "relay forwarded" <<<"$(ctl a show status)"
ok $? "a member that is no relay prints no relay counters"
grep relay <<<"$txt" | sed "s/^/# /"
done_testing
