#!/usr/bin/env bash
# Key files as meshd-crypto reads them (issue 9): a preshared key file
# that is not a key is fatal at start and fails a reload (the old config
# and its sessions stay), naming the file; never an all-zero PSK.  A peer
# whose public key is our own is refused, with file:line.  A new private
# key (b told of it) carries traffic again at once, without waiting for
# the other side to start a handshake.

. "$(dirname "$0")/../lib.sh"
need_root
for c in jq wg; do
	command -v "$c" >/dev/null || skip_all "$c missing"
done
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

A=mkya$$ B=mkyb$$
netns_new "$A"; netns_new "$B"
veth_pair "$A" va 198.18.0.1/24 "$B" vb 198.18.0.2/24
tmpdir_new D

(umask 077; wg genkey >"$D/a.key"; wg genkey >"$D/b.key"
 wg genkey >"$D/a2.key"; wg genkey >"$D/b2.key"
 wg genpsk >"$D/ab.psk"
 echo 'this is not a key' >"$D/junk.psk")
cp -p "$D/ab.psk" "$D/ab.good"
cp -p "$D/ab.psk" "$D/b-ab.psk"
A_PUB=$(wg pubkey <"$D/a.key"); B_PUB=$(wg pubkey <"$D/b.key")
A2_PUB=$(wg pubkey <"$D/a2.key"); B2_PUB=$(wg pubkey <"$D/b2.key")

# conf NAME MYNUM KEYFILE PSKFILE PEERNAME PEERPUB PEERNUM ENDPOINT
conf() {
	cat <<EOF
interface "mky0" {
	address 100.64.0.$2/24
	listen-port 51820
	private-key-file "$D/$3"
}
peer "$5" {
	public-key "$6"
	preshared-key-file "$D/$4"
	endpoint "$8"
	allowed-ips 100.64.0.$7/32
}
EOF
}
conf_a() {	# conf_a [KEYFILE PEERPUB]
	conf a 1 "${1:-a.key}" ab.psk b "${2:-$B_PUB}" 2 198.18.0.2:51820 \
	    >"$D/a.conf"
}
conf_b() {	# conf_b [KEYFILE PEERPUB]
	conf b 2 "${1:-b.key}" b-ab.psk a "${2:-$A_PUB}" 1 198.18.0.1:51820 \
	    >"$D/b.conf"
}
ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
ping_ab() { ip netns exec "$A" ping -c 2 -i 0.2 -W 2 100.64.0.2 >/dev/null; }

# ---- start with a preshared key file that is not a key: fatal
conf a 1 a.key junk.psk b "$B_PUB" 2 198.18.0.2:51820 >"$D/bad.conf"
out=$(ip netns exec "$A" timeout 20 "$MESHD" -d -f "$D/bad.conf" \
    -s "$D/bad.sock" 2>&1)
rc=$?
ok $((rc == 0 || rc == 124)) \
    "start with a malformed PSK file exits non-zero ($rc)"
like "$out" "bad\.conf:8: $D/junk\.psk: not a key" \
    "naming the file and its line" || diag "$out"
ok "$(ip -n "$A" link show mky0 2>/dev/null | wc -l)" \
    "and leaves no interface behind"
out=$("$MESHD" -n -f "$D/bad.conf" 2>&1)
ok $((!$?)) "meshd -n refuses it too"
like "$out" "bad\.conf:8: $D/junk\.psk: not a key" "with the same message"

# ---- two nodes with a PSK
conf_a; conf_b
meshd_up a "$A"; ok $? "node a starts"
meshd_up b "$B"; ok $? "node b starts"
t "a -> b ping" ping_ab

# ---- reload with a malformed PSK: refused, the old config and session stay
hs0=$(ctl a -j show peer b | jq -r .latest_handshake)
cp -p "$D/junk.psk" "$D/ab.psk"
out=$(ctl a reload 2>&1)
ok $((!$?)) "reload with a malformed PSK fails"
like "$out" "a\.conf:8: $D/ab\.psk: not a key" "meshctl reload names the file" \
    || diag "$out"
like "$(cat "$D/a.log")" "reload failed: .*/a\.conf:8: $D/ab\.psk: not a key" \
    "and so does the log"
t "a -> b ping still works" ping_ab
hs1=$(ctl a -j show peer b | jq -r .latest_handshake)
# the same handshake (its time is rounded to the second, so +-1)
[ "$hs0" -gt 0 ] && [ $((hs1 - hs0)) -le 1 ] && [ $((hs0 - hs1)) -le 1 ]
ok $? "on the same session ($hs0, $hs1)"

# ---- fixed, and two reloads at once: each gets an answer, one at a
# time (the second may be told that one is running)
cp -p "$D/ab.good" "$D/ab.psk"
(timeout 10 "$MESHCTL" -s "$D/a.sock" reload >"$D/r1.out" 2>&1
 echo $? >"$D/r1.rc") &
r1=$!
out=$(timeout 10 "$MESHCTL" -s "$D/a.sock" reload 2>&1); rc=$?
wait "$r1"
r1rc=$(cat "$D/r1.rc"); r1out=$(cat "$D/r1.out")
answered() {	# answered RC OUTPUT: a success, or "a reload is running"
	[ "$1" = 0 ] || { [ "$1" = 1 ] && [[ "$2" == *"still running"* ]]; }
}
answered "$rc" "$out"; ok $? "a reload beside another is answered ($rc: $out)"
answered "$r1rc" "$r1out"; ok $? "and so is the other ($r1rc: $r1out)"
[ "$rc" = 0 ] || [ "$r1rc" = 0 ]; ok $? "at least one of them succeeds"
out=$(ctl a reload 2>&1)
ok $? "reload with the PSK fixed succeeds" || diag "$out"
like "$out" "reload done" "and says so"
t "a -> b ping after the fix" ping_ab

# ---- a PSK that differs from b's: no handshake completes (never zeros)
wg genpsk >"$D/b-ab.psk"
conf_b; out=$(ctl b reload 2>&1); ok $? "b takes another PSK" || diag "$out"
# a new private key on b would do; a restart of b forgets the session
kill "$PID_b"; wait "$PID_b"
meshd_up b "$B"; ok $? "b restarts with the other PSK"
ip netns exec "$B" ping -c 3 -i 0.5 -W 2 100.64.0.1 >/dev/null 2>&1
ok $((!$?)) "with different PSKs no packet gets through"
[ "$(ctl b -j show peer a | jq -r .latest_handshake)" = 0 ]
ok $? "and b completes no handshake"
cp -p "$D/ab.psk" "$D/b-ab.psk"
ctl b reload >/dev/null 2>&1
ok $? "b gets the same PSK back"

# ---- a peer with our own public key: refused with file:line
cat "$D/a.conf" >"$D/a.conf.good"
cat >>"$D/a.conf" <<EOF
peer "me" {
	public-key "$A_PUB"
}
EOF
out=$(ctl a reload 2>&1)
ok $((!$?)) "reload with a peer whose key is our own fails"
like "$out" "a\.conf:13: peer \"me\": public-key is this node's own" \
    "naming the peer and its line" || diag "$out"
out=$("$MESHD" -n -f "$D/a.conf" 2>&1)
ok $((!$?)) "meshd -n refuses it"
like "$out" "a\.conf:13: peer \"me\": public-key is this node's own" \
    "with file:line" || diag "$out"
cp "$D/a.conf.good" "$D/a.conf"
t "a -> b ping after all that" ip netns exec "$A" ping -c 2 -i 0.2 -w 10 \
    100.64.0.2

# ---- a new private key for a: traffic again at once.  First b gets a
# new key and starts a handshake, so that a has just sent a response:
# the one-initiation-per-5-s limit would hold a's next initiation back.
conf_a a.key "$B2_PUB"; out=$(ctl a reload 2>&1)
ok $? "a learns b's new public key" || diag "$out"
conf_b b2.key "$A_PUB"; out=$(ctl b reload 2>&1)
ok $? "b reloads with a new private key" || diag "$out"
t "b -> a ping (b starts the handshake)" ip netns exec "$B" ping -c 1 -w 10 \
    100.64.0.1
conf_b b2.key "$A2_PUB"; out=$(ctl b reload 2>&1)
ok $? "b learns a's new public key" || diag "$out"
conf_a a2.key "$B2_PUB"; out=$(ctl a reload 2>&1)
ok $? "a reloads with a new private key" || diag "$out"
has "$(ctl a show status)" "$A2_PUB" "a shows its new public key"
ip netns exec "$A" ping -c 1 -w 10 100.64.0.2 >/dev/null
ok $? "a -> b ping answered at once after the key change"

kill "$PID_a" "$PID_b"
done_testing
