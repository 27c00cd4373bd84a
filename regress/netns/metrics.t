#!/usr/bin/env bash
# Prometheus metrics.  Two meshd nodes a and b; a has metrics-listen on
# 127.0.0.1:9586, [::1]:9586 and its mesh address 100.64.186.1:9586.  After pings
# through the tunnel, curl fetches a's /metrics: 200 with the exposition
# format's type, promtool check metrics passes, and what a user would
# compare agrees with meshctl -j show peers (b's rx/tx bytes and latest
# handshake); another ping moves the byte counters; every process has its
# CPU time and memory.  b scrapes a through the tunnel (the mesh
# address).  Other paths and methods get 404, HEAD no body, garbage and
# an oversized head an error, and meshd stays up.  A reload that removes
# metrics-listen closes the listeners (curl is refused); one that adds a
# port back opens it.  Underlay 198.19.186.0/24.

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg ping curl promtool nc
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

A=mt-a$$ B=mt-b$$
two_hosts "$A" "$B" 198.19.186 || fail_setup "namespaces"

conf() {	# conf ME MYNUM PEER PEERPUB PEERNUM [METRICS-LINES]
	printf '%s' "${6:-}"
	cat <<EOF
interface "mt0" {
	address 100.64.186.$2/24
	listen-port 51820
	private-key-file "$D/$1.key"
}
peer "$3" {
	public-key "$4"
	endpoint "198.19.186.$5:51820"
	allowed-ips 100.64.186.$5/32
}
EOF
}
LISTEN='metrics-listen "127.0.0.1:9586"
metrics-listen "100.64.186.1:9586"
metrics-listen "[::1]:9586"
'
conf a 1 b "$B_PUB" 2 "$LISTEN" >"$D/a.conf"
conf b 2 a "$A_PUB" 1 >"$D/b.conf"

t "meshd -n accepts metrics-listen" "$MESHD" -n -f "$D/a.conf"
out=$("$MESHD" -nv -f "$D/a.conf" 2>&1)
has "$out" 'metrics-listen "100.64.186.1:9586"' "meshd -nv prints metrics-listen"
printf 'metrics-listen "127.0.0.1"\n' >"$D/bad.conf"
out=$("$MESHD" -n -f "$D/bad.conf" 2>&1)
like "$out" "bad.conf:1: metrics-listen \"127.0.0.1\" is not an address and port" \
    "a metrics-listen without a port is refused with file:line"

meshd_up a "$A" || fail_setup "meshd a"
meshd_up b "$B" || fail_setup "meshd b"

inA() { ip netns exec "$A" "$@"; }
scrape() {	# scrape FILE [URL]: a's metrics into FILE; prints the status
	inA curl -s -m 10 -o "$1" -w '%{http_code}' \
	    "${2:-http://127.0.0.1:9586/metrics}"
}
# metric FILE NAME LABEL-FRAGMENT: the value of the one sample that has it
metric() {
	grep "^$2{" "$1" | grep -F "$3" | awk '{print $NF}'
}

t "ping a -> b through the tunnel" inA ping -c 3 -i 0.2 -W 2 100.64.186.2

code=$(scrape "$D/m1")
is "$code" 200 "GET /metrics: 200"
ctype=$(inA curl -s -m 10 -o /dev/null -w '%{content_type}' \
    http://127.0.0.1:9586/metrics)
is "$ctype" "text/plain; version=0.0.4; charset=utf-8" \
    "the exposition format's content type"
out=$(promtool check metrics <"$D/m1" 2>&1)
ok $? "promtool check metrics passes" || diag "$out"
has "$(cat "$D/m1")" 'meshd_build_info{version="' "build info"
# every metric is in meshd.8 (MESHD_SRC: lib.sh's, the source tree)
missing=
for m in $(sed -n 's/^# TYPE \([a-z_]*\) .*/\1/p' "$D/m1"); do
	grep -q "Cm $m\b\|, $m\b" "$MESHD_SRC/man/meshd.8" ||
	    missing="$missing $m"
done
is "$missing" "" "meshd.8 lists every metric"

# what a user compares: meshctl's numbers and the scrape's, both taken
# after the pings, with no traffic between (no keepalive configured)
pj=$("$MESHCTL" -j -s "$D/a.sock" show peers)
code=$(scrape "$D/m2")
sel='.peers[] | select(.name == "b")'
rx=$(echo "$pj" | jq -r "$sel | .rx_bytes")
tx=$(echo "$pj" | jq -r "$sel | .tx_bytes")
hs=$(echo "$pj" | jq -r "$sel | .latest_handshake")
is "$(metric "$D/m2" meshd_peer_rx_bytes_total 'peer="b"')" "$rx" \
    "rx bytes agree with meshctl show peers ($rx)"
is "$(metric "$D/m2" meshd_peer_tx_bytes_total 'peer="b"')" "$tx" \
    "tx bytes agree with meshctl show peers ($tx)"
is "$(metric "$D/m2" meshd_peer_latest_handshake_seconds 'peer="b"')" "$hs" \
    "latest handshake agrees with meshctl show peers"
ok $([ "${rx:-0}" -gt 0 ] && [ "${tx:-0}" -gt 0 ]; echo $?) \
    "the pings were counted"
rxp=$(metric "$D/m2" meshd_peer_rx_packets_total 'peer="b"')
txp=$(metric "$D/m2" meshd_peer_tx_packets_total 'peer="b"')
ok $([ "${rxp:-0}" -ge 3 ] && [ "${txp:-0}" -ge 3 ]; echo $?) \
    "and their packets ($rxp in, $txp out: 3 pings and a handshake)"
has "$(grep '^meshd_peer_info{' "$D/m2")" "public_key=\"$B_PUB\"" \
    "b's public key is a label"
# meshctl names no path for a plain UDP peer (null), only an endpoint
path=$(echo "$pj" | jq -r "$sel | .path // (if .endpoint then \"direct\" else \"none\" end)")
is "$path" direct "meshctl: b is reached at its endpoint"
is "$(metric "$D/m2" meshd_peer_path_info 'peer="b"')" 1 "b has a path"
has "$(grep '^meshd_peer_path_info{peer="b"' "$D/m2")" "path=\"$path\"" \
    "and it is the one meshctl shows"
is "$(grep -c '^meshd_peer_drops_total{peer="b"' "$D/m2")" 10 \
    "b's drops by ten reasons"

t "another ping" inA ping -c 2 -i 0.2 -W 2 100.64.186.2
scrape "$D/m3" >/dev/null
rx2=$(metric "$D/m3" meshd_peer_rx_bytes_total 'peer="b"')
tx2=$(metric "$D/m3" meshd_peer_tx_bytes_total 'peer="b"')
ok $([ "${rx2:-0}" -gt "$rx" ] && [ "${tx2:-0}" -gt "$tx" ]; echo $?) \
    "rx and tx bytes move after a ping ($rx -> $rx2, $tx -> $tx2)"
rxp2=$(metric "$D/m3" meshd_peer_rx_packets_total 'peer="b"')
is "$rxp2" "$((rxp + 2))" "two pings are two packets in ($rxp -> $rxp2)"

for p in parent net crypto tun; do
	v=$(metric "$D/m3" meshd_process_memory_bytes "process=\"$p\",kind=\"pss\"")
	ok $([ "${v:-0}" -gt 0 ]; echo $?) "$p's PSS is there ($v)"
	v=$(metric "$D/m3" meshd_process_cpu_seconds_total "process=\"$p\"")
	like "$v" '^[0-9]+\.[0-9]+$' "$p's CPU seconds are there"
done

# b scrapes a through the tunnel, on a's mesh address
code=$(ip netns exec "$B" curl -s -m 10 -o "$D/m4" -w '%{http_code}' \
    http://100.64.186.1:9586/metrics)
is "$code" 200 "b scrapes a on its mesh address"
has "$(cat "$D/m4")" 'meshd_peer_rx_bytes_total{peer="b"' \
    "with the peers' counters"

is "$(scrape /dev/null 'http://[::1]:9586/metrics')" 200 \
    "IPv6: [::1]:9586 answers too"
is "$(scrape /dev/null http://127.0.0.1:9586/)" 404 "GET / is 404"
is "$(scrape /dev/null http://127.0.0.1:9586/metricsx)" 404 \
    "GET /metricsx is 404"
is "$(scrape /dev/null 'http://127.0.0.1:9586/metrics?name=x')" 200 \
    "a query string is still a scrape"
is "$(inA curl -s -m 10 -o /dev/null -w '%{http_code}' -X POST -d x=1 \
    http://127.0.0.1:9586/metrics)" 404 "POST /metrics is 404"
head=$(inA curl -s -m 10 -I http://127.0.0.1:9586/metrics | tr -d '\r')
like "$head" '^HTTP/1.1 200 OK' "HEAD /metrics: 200"
len=$(echo "$head" | sed -n 's/^Content-Length: //p')
ok $([ "${len:-0}" -gt 1000 ]; echo $?) "with the body's length ($len)"
body=$(inA curl -s -m 10 -X HEAD --max-time 5 \
    http://127.0.0.1:9586/metrics 2>/dev/null | wc -c)
is "$body" 0 "and no body"

ans=$(printf 'garbage\r\n\r\n' | inA nc -w 5 127.0.0.1 9586 | head -1 |
    tr -d '\r')
is "$ans" "HTTP/1.1 400 Bad Request" "garbage gets 400"
ans=$( { printf 'GET /metrics HTTP/1.1\r\nX: '; head -c 9000 /dev/zero |
    tr '\0' a; printf '\r\n\r\n'; } | inA nc -w 5 127.0.0.1 9586 |
    head -1 | tr -d '\r')
is "$ans" "HTTP/1.1 400 Bad Request" "an oversized head gets 400"
ans=$(printf 'GET /metrics HTTP/9.9\r\n\r\n' | inA nc -w 5 127.0.0.1 9586 |
    head -1 | tr -d '\r')
like "$ans" "^HTTP/1.1 (400|505) " "an unknown version gets an error"
t "meshd lives" kill -0 "$PID_a"
is "$(scrape /dev/null)" 200 "and still answers"

# a reload without metrics-listen closes the listeners
conf a 1 b "$B_PUB" 2 >"$D/a.conf"
t "reload without metrics-listen" "$MESHCTL" -s "$D/a.sock" reload
inA curl -s -m 5 -o /dev/null http://127.0.0.1:9586/metrics
is "$?" 7 "the listener is closed (connection refused)"
conf a 1 b "$B_PUB" 2 'metrics-listen "127.0.0.1:9587"
' >"$D/a.conf"
out=$("$MESHCTL" -s "$D/a.sock" reload 2>&1)
ok $? "reload with metrics-listen on another port"
has "$out" 'metrics-listen' "the reload names the change"
is "$(scrape /dev/null http://127.0.0.1:9587/metrics)" 200 \
    "the new port answers"
t "meshd lives" kill -0 "$PID_a"

[ "$T_FAILED" -eq 0 ] || diag "a's log:" "$(tail -20 "$D/a.log")"
done_testing
