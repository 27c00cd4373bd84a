#!/usr/bin/env bash
# Key isolation in a running mesh (keyscan.t's scan, with mesh blocks): a
# coordinator and two members, each with only an interface and a mesh
# block, ping each other; then the memory of each of the four processes
# of each node is searched for
#  - the mesh admin's Ed25519 private key: its 32-byte seed, the seed's
#    44 characters of base64 and a 32-character piece of the PEM text
#    "meshctl ca genkey" wrote.  No node has any use for it: it must be
#    in no process of any node.  A perl that read the key file and holds
#    the seed, as a control, shows that the scan finds all three forms;
#  - each node's X25519 private key, raw: in its own meshd-crypto (which
#    shows the scan finds keys there) and in no other process of any node;
#  - the base64 text of every node's key file: in no process.
# Underlay 198.18.60.0/24 on a bridge (lib.sh's mesh_* helpers).

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg ping openssl base64
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"
MEMSCAN=$MESHD_BUILD/regress/interop/memscan
[ -x "$MEMSCAN" ] || skip_all "$MEMSCAN not built (run make check)"

HUB=ksmh$$
mesh_hub "$HUB" || fail_setup "the hub"
tmpdir_new D
mesh_ca || fail_setup "an admin key"
for i in 1 2 3; do
	mesh_host "$HUB" "ksm$i$$" "$i" || fail_setup "host $i"
done
mesh_cert n1 1 -R coordinator || fail_setup "n1's certificate"
mesh_cert n2 2 || fail_setup "n2's certificate"
mesh_cert n3 3 || fail_setup "n3's certificate"
mesh_conf n1 serve
mesh_conf n2 n1:1
mesh_conf n3 n1:1

# ---- needles for the admin key, as memscan reads them: a file of 44
# characters of base64 whose 32 bytes it looks for raw and as base64.
# ca.seed: the seed, the last 32 bytes of the 48-byte PKCS#8 DER.
der=$(openssl pkey -in "$D/ca.key" -outform DER | od -An -v -tx1 | tr -d ' \n')
[ ${#der} = 96 ] && [ "${der:0:32}" = 302e020100300506032b657004220420 ]
ok $? "the admin key is an Ed25519 PKCS#8 key (48 bytes of DER)" ||
    diag "DER: $der"
(umask 077
 openssl pkey -in "$D/ca.key" -outform DER | tail -c 32 | base64 >"$D/ca.seed"
 # ca.pem: 32 characters of the PEM text's body (characters 24..55 encode
 # only seed bytes), looked for as 32 raw bytes
 body=$(sed -n 2p "$D/ca.key")
 [ ${#body} = 64 ] && printf '%s' "${body:24:32}" | base64 >"$D/ca.pem")
ok $? "needles made from the admin key (seed, PEM text)"
KEYS=("$D/ca.seed" "$D/ca.pem" "$D/n1.key" "$D/n2.key" "$D/n3.key")

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
knows() {
	[ "$(ctl "$1" -j show peers |
	    jq '[.peers[] | select(.cert_expires != null)] | length')" = "$2" ]
}
for i in 1 2 3; do
	meshd_up "n$i" "ksm$i$$"
	ok $? "n$i starts with a mesh block only" ||
	    { diag "$(cat "$D/n$i.log")"; done_testing; exit 1; }
done
for i in 1 2 3; do
	wait_for 10 knows "n$i" 2; ok $? "n$i knows the two other members"
done

# ---- traffic: member to member (a session made through the
# coordinator's directory) and member to coordinator
t "n2 -> n3 ping" ip netns exec "ksm2$$" ping -c 3 -i 0.2 -W 2 -w 10 100.64.0.3
t "n3 -> n2 ping" ip netns exec "ksm3$$" ping -c 3 -i 0.2 -W 2 100.64.0.2
t "n2 -> n1 (the coordinator) ping" \
    ip netns exec "ksm2$$" ping -c 2 -i 0.2 -W 2 -w 10 100.64.0.1
# a reload makes n2 read its key and certificate files again
t "reload on n2" ctl n2 reload
t "n2 -> n3 ping after the reload" \
    ip netns exec "ksm2$$" ping -c 2 -i 0.2 -W 2 100.64.0.3

# ---- the processes of each node, from meshctl, checked against /proc
declare -A P
for n in n1 n2 n3; do
	js=$(ctl $n -j show status)
	for role in parent net crypto tun; do
		pid=$(jq -r ".processes[] | select(.role == \"$role\") | .pid" <<<"$js")
		exe=meshd-$role; [ $role = parent ] && exe=meshd
		is "$(basename "$(readlink "/proc/$pid/exe" 2>/dev/null)")" "$exe" \
		    "$n: meshctl's $role pid $pid is $exe"
		P[$n.$role]=$pid
	done
done

# ---- memory scans
# scan PID: memscan for KEYS; sets RAW[k] and B64[k] (counts for needle
# k), SCAN (its summary line), HITS (its hit lines)
scan() {
	local out k
	out=$("$MEMSCAN" -m 4 "$1" "${KEYS[@]}" 2>&1)
	RAW=() B64=()
	for k in "${!KEYS[@]}"; do
		RAW[k]=$(sed -n "s/^key=$k .* raw=\([0-9]*\) .*/\1/p" <<<"$out")
		B64[k]=$(sed -n "s/^key=$k .* b64=\([0-9]*\)$/\1/p" <<<"$out")
	done
	SCAN=$(grep '^scan ' <<<"$out")
	HITS=$(grep '^hit ' <<<"$out")
	[ -n "$SCAN" ] || diag "memscan: $out"
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$SCAN"; }

for n in n1 n2 n3; do
	for role in parent net crypto tun; do
		w="$n $role"
		scan "${P[$n.$role]}"
		[ -n "$SCAN" ] && [ "$(field scanned)" -gt 0 ]
		ok $? "$w: memory scanned" || continue
		diag "$w (pid ${P[$n.$role]}): $(field scanned) bytes scanned ($(field method)), $(field regions) regions, $(field skipped_regions) skipped, $(field error_regions) with read errors"
		is "${RAW[0]}/${B64[0]}/${RAW[1]}" 0/0/0 \
		    "$w: no admin key (seed raw/base64, PEM text)"
		own=
		others=
		text=
		for k in 2 3 4; do
			if [ "n$((k - 1))" = $n ]; then
				own=${RAW[k]}
			elif [ "${RAW[k]}" != 0 ]; then
				others="$others n$((k - 1))"
			fi
			[ "${B64[k]}" != 0 ] && text="$text n$((k - 1))"
		done
		if [ $role = crypto ]; then
			[ "${own:-0}" -ge 1 ]
			ok $? "$w holds its own private key ($own copies): the scan finds keys"
		else
			is "$own" 0 "$w: no bytes of its own private key"
		fi
		is "$others" "" "$w: no other node's private key"
		is "$text" "" "$w: no base64 text of any node's key file"
		[ -n "$others$text" ] || [ "${RAW[0]}${B64[0]}${RAW[1]}" != 000 ] &&
		    diag "$HITS"
	done
done

# ---- control: the scan finds the admin key in a process that holds it
if command -v perl >/dev/null; then
	start_bg HOLDER perl -MMIME::Base64 -e '$| = 1;
	    open(my $f, "<", $ARGV[0]) or die "$ARGV[0]: $!";
	    my $pem = do { local $/; <$f> }; close($f);
	    open(my $p, "-|", "openssl", "pkey", "-in", $ARGV[0],
		"-outform", "DER") or die "openssl: $!";
	    binmode($p); my $der = do { local $/; <$p> }; close($p);
	    my $seed = substr($der, 16, 32);
	    my $b64 = encode_base64($seed, "");
	    print "held\n"; sleep 60' "$D/ca.key" >"$D/holder"
	wait_for 5 grep -q held "$D/holder"
	scan "$HOLDER"
	[ "${RAW[0]:-0}" -ge 1 ] && [ "${B64[0]:-0}" -ge 1 ] &&
	    [ "${RAW[1]:-0}" -ge 1 ]
	ok $? "control: memscan finds the admin key in a perl that read it (seed raw ${RAW[0]}, base64 ${B64[0]}, PEM text ${RAW[1]})"
	kill "$HOLDER"; wait "$HOLDER" 2>/dev/null
else
	echo "ok $((T_N += 1)) # SKIP no perl for the admin key control"
fi

for n in n1 n2 n3; do
	kill -0 "${P[$n.parent]}"; ok $? "$n still runs"
	grep -q "fatal\|lost child" "$D/$n.log"
	ok $((!$?)) "$n logged nothing fatal" || diag "$(cat "$D/$n.log")"
done

done_testing
