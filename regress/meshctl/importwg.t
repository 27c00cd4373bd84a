#!/usr/bin/env bash
# meshctl import-wg: a wg-quick(8) file becomes a meshd.conf that meshd -n
# accepts, its keys go to 0600 files (never to stdout), what meshd cannot
# do is named in warnings with file:line, malformed lines are errors with
# file:line and then nothing is written; and a meshd running the imported
# configuration talks to a wireguard-go peer.

. "$(dirname "$0")/../lib.sh"
CTL=$MESHD_BUILD/meshctl
[ -x "$CTL" ] || skip_all "$CTL not built (run make)"
command -v wg >/dev/null || skip_all "wg missing"
tmpdir_new D

PRIV=$(wg genkey); PUB=$(printf '%s\n' "$PRIV" | wg pubkey)
P1_PRIV=$(wg genkey); P1=$(printf '%s\n' "$P1_PRIV" | wg pubkey)
P2=$(wg genkey | wg pubkey); PSK=$(wg genpsk)

cat >"$D/wg7.conf" <<EOF
# a wg-quick file as people write them
[Interface]
PrivateKey = $PRIV
Address = 100.64.7.1/24, fd00:6d65:7368:7::1/64
ListenPort = 51820
MTU = 1420
DNS = 1.1.1.1, 9.9.9.9
PostUp = iptables -A FORWARD -i %i -j ACCEPT
PostDown = iptables -D FORWARD -i %i -j ACCEPT
Table = off
SaveConfig = true

[Peer]
# the hub
PublicKey = $P1
PresharedKey = $PSK
AllowedIPs = 100.64.7.2/32, 10.20.30.40/16
Endpoint = 198.18.7.2:51820
PersistentKeepalive = 25

[peer]
publickey=$P2
allowedips = fd00:6d65:7368:7::3/128
endpoint = [fd00:198:18::3]:443
persistentkeepalive = 0
EOF
mkdir -m 700 "$D/keys"
"$CTL" import-wg -d "$D/keys" "$D/wg7.conf" >"$D/out.conf" 2>"$D/err"; st=$?
is "$st" 0 "a realistic wg-quick file converts: exit 0"
out=$(cat "$D/out.conf"); err=$(cat "$D/err")
has() { grep -qF -- "$2" <<<"$1"; }
for l in 'interface "wg7" {' '	address 100.64.7.1/24' \
    '	address fd00:6d65:7368:7::1/64' '	mtu 1420' '	listen-port 51820' \
    "	private-key-file \"$D/keys/wg7.key\"" 'peer "peer1" {' \
    "	public-key \"$P1\"" "	preshared-key-file \"$D/keys/wg7-peer1.psk\"" \
    '	endpoint "198.18.7.2:51820"' \
    '	allowed-ips 100.64.7.2/32, 10.20.0.0/16' \
    '	persistent-keepalive 25' 'peer "peer2" {' "	public-key \"$P2\"" \
    '	endpoint "[fd00:198:18::3]:443"' \
    '	allowed-ips fd00:6d65:7368:7::3/128' '	persistent-keepalive off'; do
	has "$out" "$l"
	ok $? "the output has: $l"
done
has "$out" "$PRIV"; ok $((! $?)) "the private key is not printed"
has "$out$err" "$PSK"; ok $((! $?)) "the preshared key is not printed"
for w in "7: warning: DNS not translated" "8: warning: PostUp not translated" \
    "9: warning: PostDown not translated" "10: warning: Table not translated" \
    "11: warning: SaveConfig not translated"; do
	has "$err" "meshctl: $D/wg7.conf:$w"
	ok $? "stderr warns: wg7.conf:$w"
done
is "$(grep -c . <<<"$err")" 5 "five warnings, nothing else on stderr"

is "$(stat -c %a "$D/keys/wg7.key")" 600 "the private key file is mode 0600"
is "$(stat -c %a "$D/keys/wg7-peer1.psk")" 600 "the psk file is mode 0600"
is "$(wg pubkey <"$D/keys/wg7.key")" "$PUB" \
    "the key file holds the source's PrivateKey (same wg pubkey)"
is "$(cat "$D/keys/wg7-peer1.psk")" "$PSK" "the psk file holds the PresharedKey"
is "$(ls "$D/keys" | wc -l)" 2 "two key files, no more (peer2 has no psk)"

if [ -x "$MESHD" ]; then
	res=$("$MESHD" -n -f "$D/out.conf" 2>&1); st=$?
	is "$st:$res" "0:configuration OK" "meshd -n accepts the output"
else
	ok 1 "meshd -n accepts the output ($MESHD not installed: run make check)"
fi

# ---- a file name that is not one line stays in its comment
nl=$'\n'
cp "$D/wg7.conf" "$D/x${nl}peer \"y\" {.conf"
mkdir -m 700 "$D/keys2"
"$CTL" import-wg -d "$D/keys2" "$D/x${nl}peer \"y\" {.conf" >"$D/nl.conf" 2>/dev/null
is "$(head -n 1 "$D/nl.conf")" "# made by meshctl import-wg from $D/x?peer \"y\" {.conf" \
    "a newline in the file name shows as ? in the comment"
is "$(grep -c '^interface "wg0" {$' "$D/nl.conf")" 1 \
    "a file name that is no interface name gives wg0"

# ---- a key file is never overwritten
cp "$D/keys/wg7.key" "$D/keep"
"$CTL" import-wg -d "$D/keys" "$D/wg7.conf" >"$D/out2" 2>"$D/err2"; st=$?
is "$st" 1 "a second run into the same directory: exit 1"
like "$(cat "$D/err2")" "meshctl: $D/keys/wg7.key: File exists \(not overwritten\)" \
    "it says which file exists"
cmp -s "$D/keep" "$D/keys/wg7.key"; ok $? "the existing key file is unchanged"
is "$(wc -c <"$D/out2")" 0 "and prints no configuration"

# the default directory is /etc/meshd; one that is not there is an error
err=$("$CTL" import-wg -d "$D/nodir" "$D/wg7.conf" 2>&1 >/dev/null); st=$?
is "$st:$err" "1:meshctl: key directory $D/nodir: No such file or directory" \
    "a missing key directory: exit 1, says so"
err=$("$CTL" import-wg "$D/none.conf" 2>&1 >/dev/null); st=$?
like "$st:$err" "^1:meshctl: .*" "a missing input file: exit 1"
err=$("$CTL" import-wg 2>&1 >/dev/null); st=$?
is "$st:$err" '1:meshctl: missing file after "import-wg"' "no file: says so"
err=$("$CTL" -d "$D" show status 2>&1 >/dev/null); st=$?
is "$st:$err" "1:meshctl: -d is for import-wg only" "-d with another command"

# ---- bad input: exit 1, file:line, nothing written
badwg() {	# badwg NAME LINE MESSAGE CONTENT
	local f=$D/bad.conf err st
	printf '%b' "$4" >"$f"
	rm -rf "$D/bk"; mkdir "$D/bk"
	"$CTL" import-wg -d "$D/bk" "$f" >"$D/bout" 2>"$D/berr"; st=$?
	err=$(cat "$D/berr")
	is "$st:$err" "1:meshctl: $f${2:+:$2}$3" "bad: $1"
	is "$(ls "$D/bk" | wc -l):$(wc -c <"$D/bout")" "0:0" \
	    "bad: $1: no key file, no output"
}
I="[Interface]\nPrivateKey = $PRIV\n"
badwg "setting before a section" 1 ': "PrivateKey" before any [Interface] or [Peer]' \
    "PrivateKey = $PRIV\n"
badwg "no =" 2 ': expected "Key = Value" or a [Section]' "[Interface]\nPrivateKey\n"
badwg "bad private key" 2 ': PrivateKey is not a key (44 characters of base64)' \
    "[Interface]\nPrivateKey = ${PRIV:0:43}\n"
badwg "unknown section" 3 ': unknown section [Peers]' "$I[Peers]\n"
badwg "unclosed section" 3 ": a section header needs its ']'" "$I[Peer\n"
badwg "unknown setting" 3 ': unknown setting "Foo" in [Interface]' "${I}Foo = 1\n"
badwg "peer setting in [Interface]" 3 ': unknown setting "Endpoint" in [Interface]' \
    "${I}Endpoint = 198.18.0.1:1\n"
badwg "bad address" 3 ': Address: "10.0.0.300/24" is not an address with an optional /prefix length' \
    "${I}Address = 10.0.0.300/24\n"
badwg "prefix too long" 3 ': Address: "10.0.0.1/33" is not an address with an optional /prefix length' \
    "${I}Address = 10.0.0.1/33\n"
badwg "empty list item" 3 ': Address: an empty item in the list' \
    "${I}Address = 10.0.0.1/24,,10.0.0.2\n"
badwg "bad port" 3 ': ListenPort "65536" is not a port (0 to 65535)' "${I}ListenPort = 65536\n"
badwg "mtu too small" 3 ': MTU "500": meshd takes 576 to 65535' "${I}MTU = 500\n"
badwg "two interfaces" 3 ': a second [Interface] (the first is on line 1)' "$I[Interface]\n"
badwg "no interface" "" ': no [Interface] section' "# nothing\n"
badwg "no private key" 1 ': [Interface] has no PrivateKey' "[Interface]\nListenPort = 1\n"
badwg "peer without key" 3 ': [Peer] has no PublicKey' "$I[Peer]\nAllowedIPs = 10.0.0.2/32\n"
badwg "peer with our key" 3 ": [Peer] has this interface's own public key" \
    "$I[Peer]\nPublicKey = $PUB\n"
badwg "two peers, one key" 5 ': [Peer] has the same PublicKey as the one on line 3' \
    "$I[Peer]\nPublicKey = $P1\n[Peer]\nPublicKey = $P1\n"
badwg "endpoint without port" 5 ': Endpoint "198.18.0.1" is not host:port' \
    "$I[Peer]\nPublicKey = $P1\nEndpoint = 198.18.0.1\n"
badwg "endpoint with a quote" 5 ': Endpoint "a"b:1": bad host (an IPv6 address needs brackets)' \
    "$I[Peer]\nPublicKey = $P1\nEndpoint = a\"b:1\n"
badwg "bare IPv6 endpoint" 5 ': Endpoint "fd00::1:51820": bad host (an IPv6 address needs brackets)' \
    "$I[Peer]\nPublicKey = $P1\nEndpoint = fd00::1:51820\n"
badwg "bad keepalive" 5 ': PersistentKeepalive "soon" is not off or 0 to 65535 seconds' \
    "$I[Peer]\nPublicKey = $P1\nPersistentKeepalive = soon\n"
badwg "a control character" 2 ': a control character' "[Interface]\nListen\033Port = 1\n"
badwg "a NUL byte" 2 ': a NUL byte' "[Interface]\nListenPort = 1\0\n"
badwg "bad psk" 5 ': PresharedKey is not a key (44 characters of base64)' \
    "$I[Peer]\nPublicKey = $P1\nPresharedKey = x\n"
long=$(printf 'x%.0s' $(seq 5000))
badwg "a long line" 2 ': line too long (more than 4096 bytes)' "[Interface]\n# $long\n"
is "$(grep -c "$PRIV" "$D/berr")" 0 "no message shows the private key"

# ---- the round trip: meshd on the imported config, wireguard-go as the peer
if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ] ||
    ! command -v wireguard-go >/dev/null || [ ! -x "$MESHD" ]; then
	diag "round trip skipped (needs root, /dev/net/tun, wireguard-go, make check)"
	done_testing
	exit
fi
M=miwm$$ W=miww$$ WIF=miwg$$
netns_new "$M"; netns_new "$W"
veth_pair "$M" vm 198.18.7.1/24 "$W" vw 198.18.7.2/24
cat >"$D/mi0.conf" <<EOF
[Interface]
PrivateKey = $PRIV
Address = 100.64.7.1/24
ListenPort = 51820
PostUp = echo not run

[Peer]
PublicKey = $P1
PresharedKey = $PSK
AllowedIPs = 100.64.7.2/32
Endpoint = 198.18.7.2:51820
EOF
mkdir -m 700 "$D/rt"
"$CTL" import-wg -d "$D/rt" "$D/mi0.conf" >"$D/m.conf" 2>/dev/null
ok $? "import-wg converts the round-trip file"
printf '%s\n' "$P1_PRIV" >"$D/w.key"; chmod 600 "$D/w.key"
start_bg PID_M ip netns exec "$M" "$MESHD" -d -f "$D/m.conf" \
    -s "$D/m.sock" 2>>"$D/m.log"
MESHCTL=$CTL meshd_ready "$D/m.sock"; ok $? "meshd runs the imported config"
start_bg PID_W ip netns exec "$W" env LOG_LEVEL=error \
    wireguard-go -f "$WIF" 2>>"$D/w.log"
wait_for 5 test -S "/var/run/wireguard/$WIF.sock"
T_DIRS+=("/var/run/wireguard/$WIF.sock")
ip -n "$W" addr add 100.64.7.2/24 dev "$WIF"
ip -n "$W" link set "$WIF" mtu 1420 up
printf '%s\n' "$PSK" >"$D/w.psk"; chmod 600 "$D/w.psk"
ip netns exec "$W" wg set "$WIF" private-key "$D/w.key" listen-port 51820 \
    peer "$PUB" preshared-key "$D/w.psk" endpoint 198.18.7.1:51820 \
    allowed-ips 100.64.7.1/32
wait_for 15 ip netns exec "$M" ping -c 1 -W 1 100.64.7.2
ok $? "meshd (imported config) pings the wireguard-go peer"
ip netns exec "$W" ping -c 2 -W 2 100.64.7.1 >/dev/null
ok $? "the wireguard-go peer pings meshd back"
[ "$(ip netns exec "$W" wg show "$WIF" latest-handshakes | awk '{ print $2 }')" -gt 0 ]
ok $? "wg show: a handshake with the imported node (so the keys and psk match)"
kill "$PID_W" 2>/dev/null; wait "$PID_W" 2>/dev/null
ip -n "$W" link del "$WIF" 2>/dev/null
done_testing
