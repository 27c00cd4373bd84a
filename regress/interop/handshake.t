#!/usr/bin/env bash
# meshd's WireGuard engine against wireguard-go (Debian's), byte for byte.
# In a network namespace of its own, wireguard-go runs a TUN interface
# configured with wg(8); regress/interop/hsdriver drives the real engine
# (meshd-crypto/noise.c) over a UDP socket on the namespace's loopback and
# speaks ICMP echo inside the tunnel:
#  - the known-answer initiation of regress/unit/noise.c (fixed keys,
#    ephemeral key, index and timestamp) is accepted by wireguard-go, with
#    and without a PSK: the vector is WireGuard's, not just ours;
#  - hsdriver initiates with fresh keys: handshake, echo request in,
#    wireguard-go's kernel's echo reply out, decrypted;
#  - wireguard-go initiates (a ping through its TUN): hsdriver answers,
#    decrypts the echo request (IPv4, to its address) and replies, and
#    the ping succeeds; with and without PSK, and once with hsdriver
#    "under load": wireguard-go must take our cookie reply and come back
#    with a valid mac2;
#  - every time `wg show` reports a handshake and bytes both ways.

. "$(dirname "$0")/../lib.sh"
need_root
command -v wireguard-go >/dev/null || skip_all "wireguard-go missing"
command -v wg >/dev/null || skip_all "wg missing (wireguard-tools)"
command -v ping >/dev/null || skip_all "ping missing"
HSDRIVER=${HSDRIVER:-$MESHD_BUILD/regress/interop/hsdriver}
[ -x "$HSDRIVER" ] || skip_all "$HSDRIVER not built"

NS=mshhs$$
IF=mhs$$
WGADDR=198.19.0.1	# wireguard-go's tunnel address
OURADDR=198.19.0.2	# hsdriver's
WGPORT=51820
OURPORT=51821
netns_new "$NS"
tmpdir_new D
T_DIRS+=("/var/run/wireguard/$IF.sock")
nsx() { ip netns exec "$NS" "$@"; }
bound() { nsx ss -Hlun "sport = :$1" | grep -q .; }	# bound PORT

# the known answer must be the same in the unit test and the driver
kat_of() {
	sed -n '/KAT-INITIATION/,/;/p' "$1" | grep -o '"[0-9a-f]*"' |
	    tr -d '"\n'
}
KAT_UNIT=$(kat_of "$MESHD_SRC/regress/unit/noise.c")
KAT_DRV=$(kat_of "$MESHD_SRC/regress/interop/hsdriver.c")
like "$KAT_UNIT" '^01000000[0-9a-f]{288}$' \
    "the unit test holds a 148-byte initiation vector"
is "$KAT_DRV" "$KAT_UNIT" "hsdriver sends the same vector"

start_bg WGPID nsx env WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 \
    wireguard-go -f "$IF" 2>"$D/wireguard-go.log"
wait_for 5 test -S "/var/run/wireguard/$IF.sock"
ok $? "wireguard-go is up with its UAPI socket" || {
	diag "$(cat "$D/wireguard-go.log")"; done_testing; exit 1; }

mapfile -t KAT < <("$HSDRIVER" kat-keys)
# 0 init priv, 1 init pub, 2 resp priv, 3 resp pub, 4 psk
printf '%s\n' "${KAT[2]}" >"$D/wg.key"
printf '%s\n' "${KAT[4]}" >"$D/kat.psk"
chmod 600 "$D/wg.key" "$D/kat.psk"
nsx wg set "$IF" private-key "$D/wg.key" listen-port $WGPORT
ip -n "$NS" addr add $WGADDR/24 dev "$IF"
ip -n "$NS" link set "$IF" up
WGPUB=$(nsx wg show "$IF" public-key)
is "$WGPUB" "${KAT[3]}" "wireguard-go has the known-answer responder key"

PEER=
# set_peer PUBKEY PSKFILE-or-"" [ENDPOINT]: a fresh peer, no state left
set_peer() {
	[ -n "$PEER" ] && nsx wg set "$IF" peer "$PEER" remove
	PEER=$1
	nsx wg set "$IF" peer "$1" allowed-ips $OURADDR/32 \
	    ${2:+preshared-key "$2"} ${3:+endpoint "$3"}
}
# check_wg WHAT: wg show saw a handshake and bytes both ways
check_wg() {
	local hs rx tx
	hs=$(nsx wg show "$IF" latest-handshakes |
	    awk -v p="$PEER" '$1 == p { print $2 }')
	read -r rx tx < <(nsx wg show "$IF" transfer |
	    awk -v p="$PEER" '$1 == p { print $2, $3 }')
	ok $(( ${hs:-0} > 0 ? 0 : 1 )) "$1: wg show has a latest handshake" ||
		diag "latest-handshakes: '$hs'"
	ok $(( ${rx:-0} > 0 && ${tx:-0} > 0 ? 0 : 1 )) \
	    "$1: transfer counters moved both ways" ||
		diag "transfer: rx '$rx' tx '$tx'"
}
# initiate WHAT PRIV PUB PSK-B64-or-"" [-K]; hsdriver's output in OUT
initiate() {
	local what=$1 priv=$2 pub=$3 psk=$4 st; shift 4
	OUT=$(timeout 30 ip netns exec "$NS" "$HSDRIVER" initiate "$@" \
	    -k "$priv" -p "$WGPUB" ${psk:+-s "$psk"} \
	    -c 127.0.0.1:$WGPORT -a $OURADDR -r $WGADDR 2>&1)
	st=$?
	ok $st "$what: handshake, echo request in, echo reply decrypted" ||
		diag "$OUT"
	like "$OUT" 'echo reply decrypted' "$what: hsdriver saw the reply"
}
# respond WHAT PRIV PSK-B64-or-"" [-L]
respond() {
	local what=$1 priv=$2 psk=$3 pid st; shift 3
	start_bg pid ip netns exec "$NS" "$HSDRIVER" respond "$@" \
	    -k "$priv" -p "$WGPUB" ${psk:+-s "$psk"} \
	    -l 127.0.0.1:$OURPORT -a $OURADDR -r $WGADDR >"$D/resp.out" 2>&1
	wait_for 5 bound $OURPORT || diag "hsdriver did not bind its port"
	nsx ping -n -c 1 -W 15 $OURADDR >"$D/ping.out" 2>&1
	ok $? "$what: ping through wireguard-go's TUN answered by hsdriver" ||
		diag "$(cat "$D/ping.out")"
	wait "$pid"
	st=$?
	ok $st "$what: hsdriver consumed the initiation, answered, decrypted" ||
		diag "$(cat "$D/resp.out")"
	like "$(cat "$D/resp.out")" 'IPv4 to our address' \
	    "$what: wireguard-go's data was the echo request to $OURADDR"
}

# 1. the known answer, without and with PSK
set_peer "${KAT[1]}" ""
initiate "known answer" "${KAT[0]}" "${KAT[1]}" "" -K
like "$OUT" 'initiation equals the known answer' \
    "known answer: the engine made exactly the vector's bytes"
check_wg "known answer"
set_peer "${KAT[1]}" "$D/kat.psk"
initiate "known answer, PSK" "${KAT[0]}" "${KAT[1]}" "${KAT[4]}" -K
like "$OUT" 'initiation equals the known answer' \
    "known answer, PSK: the same bytes (the PSK enters later)"
check_wg "known answer, PSK"

# 2. fresh keys and PSK, hsdriver initiates
MYKEY=$(wg genkey)
MYPUB=$(printf '%s\n' "$MYKEY" | wg pubkey)
PSK=$(wg genpsk)
printf '%s\n' "$PSK" >"$D/my.psk"
chmod 600 "$D/my.psk"
set_peer "$MYPUB" "$D/my.psk"
initiate "fresh keys, PSK" "$MYKEY" "$MYPUB" "$PSK"
check_wg "fresh keys, PSK"

# 3. wireguard-go initiates
set_peer "$MYPUB" "" 127.0.0.1:$OURPORT
respond "wireguard-go initiates" "$MYKEY" ""
check_wg "wireguard-go initiates"
set_peer "$MYPUB" "$D/my.psk" 127.0.0.1:$OURPORT
respond "wireguard-go initiates, PSK" "$MYKEY" "$PSK"
check_wg "wireguard-go initiates, PSK"
set_peer "$MYPUB" "$D/my.psk" 127.0.0.1:$OURPORT
respond "under load" "$MYKEY" "$PSK" -L
like "$(cat "$D/resp.out")" 'cookie reply sent' \
    "under load: hsdriver answered the first initiation with a cookie"
like "$(cat "$D/resp.out")" 'retry carried a valid mac2' \
    "under load: wireguard-go's retry carried mac2 from our cookie"
check_wg "under load"

done_testing
