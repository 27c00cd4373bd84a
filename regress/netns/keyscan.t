#!/usr/bin/env bash
# Key isolation, as someone with root on the host would check it: two
# meshd nodes with a preshared key exchange traffic, then the memory of
# each of the four processes of each node is searched for the node's
# static private key and the preshared key, as 32 raw bytes and as the
# 44 characters of base64 in the key files.  Only meshd-crypto may hold
# the raw keys (and it must: that shows the scan finds what is there);
# no process keeps the base64 text.  meshd-crypto cannot be read by its
# own unprivileged user (not dumpable), which a dumpable process of that
# user, as a control, can be.  Underlay 198.19.50.0/24.

. "$(dirname "$0")/../lib.sh"
need_root
for c in jq wg nc setpriv; do
	command -v "$c" >/dev/null || skip_all "$c missing"
done
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"
MEMSCAN=$MESHD_BUILD/regress/interop/memscan
[ -x "$MEMSCAN" ] || skip_all "$MEMSCAN not built (run make check)"
id _meshd >/dev/null 2>&1 || skip_all "no _meshd user (make install)"
AS_MESHD="setpriv --reuid=_meshd --regid=_meshd --clear-groups"
MESHD_UID=$(id -u _meshd)

A=ks-a$$ B=ks-b$$
netns_new "$A"; netns_new "$B"
veth_pair "$A" ksa 198.19.50.1/24 "$B" ksb 198.19.50.2/24
tmpdir_new D

(umask 077; wg genkey >"$D/a.key"; wg genkey >"$D/b.key"; wg genpsk >"$D/ab.psk")
conf() {	# conf ME MYNUM PEER PEERNUM
	cat <<EOF
interface "ks0" {
	address 100.64.50.$2/24
	listen-port 51820
	private-key-file "$D/$1.key"
}
peer "$3" {
	public-key "$(wg pubkey <"$D/$3.key")"
	preshared-key-file "$D/ab.psk"
	endpoint "198.19.50.$4:51820"
	allowed-ips 100.64.50.$4/32
}
EOF
}
conf a 1 b 2 >"$D/a.conf"
conf b 2 a 1 >"$D/b.conf"

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
for n in a b; do
	ns=$A; [ $n = b ] && ns=$B
	meshd_up $n "$ns"
	ok $? "node $n starts" || { diag "$(cat "$D/$n.log")"; done_testing; exit 1; }
done

# ---- traffic: handshakes both ways, a few MB each way
# the first handshake: if b was not listening yet, a tries again 5 s on
t "a -> b ping (the first handshake)" \
    ip netns exec "$A" ping -c 3 -i 0.2 -W 2 -w 15 100.64.50.2 || {
	for n in a b; do echo "$n's log:"; cat "$D/$n.log"; done | sed 's/^/# /'
	done_testing; exit 1; }
t "b -> a ping" ip netns exec "$B" ping -c 3 -i 0.2 -W 2 100.64.50.1
send() {	# send FROM-NS TO-NS TO-ADDR: 4 MB over TCP; GOT: bytes received
	local pid
	start_bg pid ip netns exec "$2" timeout 60 sh -c "nc -l $3 5002 >'$D/recv'"
	wait_for 5 ip netns exec "$2" sh -c "ss -ltn | grep -q '$3:5002'"
	head -c 4000000 /dev/urandom |
	    timeout 60 ip netns exec "$1" nc -N "$3" 5002 >/dev/null 2>&1
	wait "$pid"
	GOT=$(stat -c %s "$D/recv" 2>/dev/null); rm -f "$D/recv"
}
send "$A" "$B" 100.64.50.2; is "$GOT" 4000000 "4 MB a -> b through the tunnel"
send "$B" "$A" 100.64.50.1; is "$GOT" 4000000 "4 MB b -> a through the tunnel"
for n in a b; do
	hs=$(ctl $n -j show peers | jq -r '.peers[0].latest_handshake')
	[ "${hs:-0}" -gt 0 ]; ok $? "node $n has a session (latest_handshake $hs)"
done
# a reload on a makes meshd-crypto read both key files again (the same
# keys: it keeps the session); b is scanned as it came up
t "reload on a" ctl a reload
t "a -> b ping after the reload" ip netns exec "$A" ping -c 2 -i 0.2 -W 2 100.64.50.2

# ---- the processes of each node, from meshctl, checked against /proc
declare -A P
for n in a b; do
	js=$(ctl $n -j show status)
	for role in parent net crypto tun; do
		pid=$(jq -r ".processes[] | select(.role == \"$role\") | .pid" <<<"$js")
		exe=meshd-$role; [ $role = parent ] && exe=meshd
		is "$(basename "$(readlink "/proc/$pid/exe" 2>/dev/null)")" "$exe" \
		    "node $n: meshctl's $role pid $pid is $exe"
		P[$n.$role]=$pid
	done
done

# ---- memory scans
# scan NODE ROLE: runs memscan on that process for the node's private key
# (key 0) and the preshared key (key 1); sets R0 R1 (raw counts), T0 T1
# (base64 counts), SCAN (its summary line), HITS (its hit lines)
scan() {
	local out
	out=$("$MEMSCAN" "${P[$1.$2]}" "$D/$1.key" "$D/ab.psk" 2>&1)
	R0=$(sed -n 's/^key=0 .* raw=\([0-9]*\) .*/\1/p' <<<"$out")
	T0=$(sed -n 's/^key=0 .* b64=\([0-9]*\)$/\1/p' <<<"$out")
	R1=$(sed -n 's/^key=1 .* raw=\([0-9]*\) .*/\1/p' <<<"$out")
	T1=$(sed -n 's/^key=1 .* b64=\([0-9]*\)$/\1/p' <<<"$out")
	SCAN=$(grep '^scan ' <<<"$out")
	HITS=$(grep '^hit ' <<<"$out")
	[ -n "$SCAN" ] || diag "memscan: $out"
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$SCAN"; }

for n in a b; do
	for role in parent net crypto tun; do
		scan $n $role
		[ -n "$SCAN" ] && [ "$(field scanned)" -gt 0 ]
		ok $? "node $n $role: memory scanned" || continue
		diag "node $n $role (pid ${P[$n.$role]}): $(field scanned) bytes scanned ($(field method)), $(field mapped) mapped in $(field regions) regions, $(field skipped_regions) regions skipped ($(field skipped_bytes) bytes), read errors: $(field error_regions) regions ($(field error_bytes) bytes)"
		if [ $role = crypto ]; then
			[ "$R0" -ge 1 ]
			ok $? "node $n crypto holds the private key ($R0 copies): the scan finds keys"
			diag "node $n crypto holds the preshared key: $([ "$R1" -ge 1 ] &&
			    echo "yes, $R1 copies" || echo NO)"
			while read -r l; do
				[ -n "$l" ] && diag "  $l"
			done <<<"$HITS"
		else
			is "$R0" 0 "node $n $role: no private key bytes"
			is "$R1" 0 "node $n $role: no preshared key bytes"
		fi
		is "$T0" 0 "node $n $role: no base64 text of the private key"
		is "$T1" 0 "node $n $role: no base64 text of the preshared key"
	done
done

# the scanner finds base64 text too: in a program that read a key file
if command -v perl >/dev/null; then
	start_bg HOLDER perl -e '$| = 1; open(my $f, "<", $ARGV[0]) or die;
	    my $k = <$f>; close($f); print "held\n"; sleep 60' "$D/ab.psk" >"$D/holder"
	wait_for 5 grep -q held "$D/holder"
	out=$("$MEMSCAN" "$HOLDER" "$D/ab.psk")
	grep -q '^key=0 .* b64=[1-9]' <<<"$out"
	ok $? "control: memscan finds the base64 text in a perl that read the key file"
	kill "$HOLDER"; wait "$HOLDER" 2>/dev/null
else
	echo "ok $((T_N += 1)) # SKIP no perl for the base64 control"
fi

# the scanner counts a failed read and goes on: with -a it also reads the
# kernel's [vvar] pages, which fail with EIO
if grep -q '\[vvar' "/proc/${P[a.crypto]}/maps"; then
	out=$("$MEMSCAN" -a "${P[a.crypto]}" "$D/a.key")
	SCAN=$(grep '^scan ' <<<"$out")
	[ "$(field error_regions)" -ge 1 ] && grep -q '^key=0 .* raw=[1-9]' <<<"$out"
	ok $? "memscan -a: read errors counted ($(field error_regions) regions, $(field error_bytes) bytes), the scan went on and found the key"
else
	echo "ok $((T_N += 1)) # SKIP no [vvar] mapping to fail on"
fi

# ---- meshd-crypto is not dumpable: its own user cannot read it
# control first: a dumpable process of the same uid can be read by it
start_bg SLEEPER $AS_MESHD sleep 60
wait_for 5 sh -c "[ \"\$(stat -c %u /proc/$SLEEPER/status)\" = $MESHD_UID ] &&
    grep -q sleep /proc/$SLEEPER/cmdline"
ok $? "control: a sleep run as _meshd, /proc/PID/status owned by _meshd"
$AS_MESHD cat "/proc/$SLEEPER/environ" >/dev/null 2>&1
ok $? "control: _meshd can read the environ of its dumpable sleep"
$AS_MESHD sh -c "exec 3</proc/$SLEEPER/mem" 2>/dev/null
ok $? "control: _meshd can open the mem of its dumpable sleep"
kill "$SLEEPER"; wait "$SLEEPER" 2>/dev/null

for n in a b; do
	c=${P[$n.crypto]}
	is "$(awk '/^Uid:/ { print $2 }' "/proc/$c/status")" "$MESHD_UID" \
	    "node $n crypto runs as _meshd"
	out=$($AS_MESHD cat "/proc/$c/environ" 2>&1 >/dev/null)
	like "$out" "Permission denied" "node $n crypto: _meshd may not read /proc/PID/environ"
	out=$($AS_MESHD sh -c "exec 3</proc/$c/mem" 2>&1)
	like "$out" "Permission denied" "node $n crypto: _meshd may not open /proc/PID/mem"
	is "$(stat -c %u:%g "/proc/$c/status")" 0:0 \
	    "node $n crypto: /proc/PID files owned by root (not dumpable)"
	is "$(awk '/^Max core file size/ { print $5 "/" $6 }' "/proc/$c/limits")" \
	    0/0 "node $n crypto: RLIMIT_CORE 0 (soft and hard)"
done
for role in net tun; do
	diag "node a $role: /proc/PID/status owned by uid $(stat -c %u "/proc/${P[a.$role]}/status")" \
	    "  (0: not dumpable; the kernel clears the flag when a process changes uid)"
done

for n in a b; do
	kill -0 "${P[$n.parent]}"; ok $? "node $n still runs"
	grep -q "fatal\|lost child" "$D/$n.log"
	ok $((!$?)) "node $n logged nothing fatal" || diag "$(cat "$D/$n.log")"
done

done_testing
