#!/usr/bin/env bash
# The mesh admin's commands, offline: ca genkey and ca pubkey against
# OpenSSL, sign then show cert (text and -j, each field), a certificate
# checked with the right and the wrong admin key, ca revoke making and
# extending a list (serial, count, no duplicates, atomic, signed), and the
# one-line error of each mistake a user can make.

. "$(dirname "$0")/../lib.sh"
CTL=$MESHD_BUILD/meshctl
[ -x "$CTL" ] || skip_all "$CTL not built (run make)"
need_cmds jq openssl python3
tmpdir_new D
cd "$D" || exit 1

B64KEY='^[A-Za-z0-9+/]{43}=$'

# ---- ca genkey
umask 077
"$CTL" ca genkey >ca.key 2>err; st=$?
is "$st" 0 "ca genkey exits 0"
is "$(cat err)" "" "ca genkey: no warning with umask 077"
is "$(head -n 1 ca.key)" "-----BEGIN PRIVATE KEY-----" "ca genkey prints PKCS#8 PEM"
is "$(tail -n 1 ca.key)" "-----END PRIVATE KEY-----" "and its END line"
like "$(openssl pkey -in ca.key -noout -text 2>&1 | head -n 1)" "ED25519 Private-Key" \
    "openssl reads it as an Ed25519 private key"
"$CTL" ca genkey >b.key
cmp -s ca.key b.key; isnt=$?
is "$isnt" 1 "two ca genkeys differ"
umask 022
"$CTL" ca genkey >open.key 2>err
is "$(cat err)" "meshctl: warning: writing the admin key to a file everyone can read: set umask 077 first" \
    "ca genkey into a file everyone can read: a warning"
umask 077
"$CTL" ca genkey >/dev/full 2>/dev/null
is "$?" 1 "ca genkey to a full disk: exit 1"

# ---- ca pubkey
pub=$("$CTL" ca pubkey <ca.key); st=$?
is "$st" 0 "ca pubkey exits 0"
like "$pub" "$B64KEY" "ca pubkey prints 44 characters of base64"
want=$(openssl pkey -in ca.key -pubout -outform DER | tail -c 32 | base64)
is "$pub" "$want" "ca pubkey = the raw key OpenSSL finds in it"
openssl genpkey -algorithm ed25519 -out ossl.key 2>/dev/null
want=$(openssl pkey -in ossl.key -pubout -outform DER | tail -c 32 | base64)
is "$("$CTL" ca pubkey <ossl.key)" "$want" "ca pubkey of a key made by openssl"
bpub=$("$CTL" ca pubkey <b.key)

# the wrong kinds of key, for ca pubkey and sign -k
openssl genpkey -algorithm x25519 -out x25519.key 2>/dev/null
openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:1024 -out rsa.key 2>/dev/null
openssl pkey -in ca.key -pubout -out pub.pem
"$CTL" genkey >wg.key
echo "not a key" >junk.key
KEYMSG="not an Ed25519 private key"
HOW="make one with meshctl ca genkey"
err=$("$CTL" ca pubkey <x25519.key 2>&1 >/dev/null); st=$?
is "$st:$err" "1:meshctl: standard input: $KEYMSG (it is an X25519 key: $HOW)" \
    "ca pubkey of an X25519 key: exit 1, one line"

# ---- sign and show cert
NODE=$("$CTL" genkey | "$CTL" pubkey)
"$CTL" sign -k ca.key -m corp -n web1 -p "$NODE" -a 10.42.0.5,fd42::5/128 \
    -a 10.42.0.6/32 -g web,prod_eu -r 192.168.1.0/24,0.0.0.0/0 \
    -R coordinator,relay >web1.crt 2>err; st=$?
is "$st" 0 "sign exits 0"
is "$(cat err)" "" "sign: nothing on stderr"
is "$(head -n 1 web1.crt)" "-----BEGIN MESHD CERTIFICATE-----" "sign prints an armored certificate"
is "$(tail -n 1 web1.crt)" "-----END MESHD CERTIFICATE-----" "ending in its END line"
out=$("$CTL" show cert web1.crt); st=$?
is "$st" 0 "show cert exits 0"
line() { printf '%s\n' "$out" | sed -n "s/^$1: //p"; }
is "$(line mesh)" "corp" "show cert: mesh"
is "$(line name)" "web1" "show cert: name"
is "$(line 'public key')" "$NODE" "show cert: the node's public key"
is "$(line addresses)" "10.42.0.5/32, fd42::5/128, 10.42.0.6/32" \
    "show cert: addresses, as host prefixes, in order"
is "$(line groups)" "web, prod_eu" "show cert: groups"
is "$(line routes)" "192.168.1.0/24, 0.0.0.0/0" "show cert: routes"
is "$(line roles)" "coordinator,relay" "show cert: roles"
like "$(line 'not before')" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' \
    "show cert: not before in UTC ISO 8601"
like "$(line fingerprint)" '^[0-9a-f]{64}$' "show cert: a SHA-256 fingerprint in hex"
is "$(line state)" "valid, 365 days left" "show cert: valid, 365 days left"
is "$(printf '%s\n' "$out" | grep -c '^signature:')" 0 "no signature line without -c"
# the fingerprint is the SHA-256 of the certificate's bytes
want=$(sed '1d;$d' web1.crt | base64 -d | sha256sum | cut -d' ' -f1)
is "$(line fingerprint)" "$want" "the fingerprint is sha256 of the decoded bytes"

j=$("$CTL" show cert -j web1.crt); st=$?
is "$st" 0 "show cert -j exits 0"
is "$(jq -r 'keys_unsorted[0]' <<<"$j")" "version" "-j: version comes first"
is "$(jq -c '[.version, .mesh, .name, .public_key, .state]' <<<"$j")" \
    "[1,\"corp\",\"web1\",\"$NODE\",\"valid\"]" "-j: version, mesh, name, key, state"
is "$(jq -c '.addresses' <<<"$j")" '["10.42.0.5/32","fd42::5/128","10.42.0.6/32"]' "-j: addresses"
is "$(jq -c '.groups' <<<"$j")" '["web","prod_eu"]' "-j: groups"
is "$(jq -c '.routes' <<<"$j")" '["192.168.1.0/24","0.0.0.0/0"]' "-j: routes"
is "$(jq -c '.roles' <<<"$j")" '["coordinator","relay"]' "-j: roles"
is "$(jq -r '.fingerprint' <<<"$j")" "$(line fingerprint)" "-j: the same fingerprint"
now=$(date +%s)
nb=$(jq '.not_before' <<<"$j"); na=$(jq '.not_after' <<<"$j")
is "$(( na - nb ))" "$(( 365 * 86400 + 300 ))" "-j: valid 365 days, from 5 minutes back"
[ "$nb" -le $(( now - 299 )) ] && [ "$nb" -ge $(( now - 330 )) ]
ok $? "-j: not_before is now - 300 s"
is "$(jq 'has("signature")' <<<"$j")" "false" "-j: no signature member without -c"
is "$(date -u -d "@$nb" +%Y-%m-%dT%H:%M:%SZ)" "$(line 'not before')" \
    "the text's not before is the JSON's"
is "$("$CTL" -j show cert web1.crt | jq -r .name)" "web1" "-j before the command words too"
is "$("$CTL" show cert - <web1.crt | sed -n 's/^name: //p')" "web1" "show cert -: standard input"
{ echo "From: the admin"; echo; tr -d '\r' <web1.crt | sed 's/$/\r/'; echo "-- bye"; } >mail.txt
is "$("$CTL" show cert mail.txt | sed -n 's/^name: //p')" "web1" \
    "show cert: text around the block and CRLF line ends"

# -c: the signature against an admin key
out=$("$CTL" show cert -c "$pub" web1.crt); st=$?
is "$st:$(line signature)" "0:good" "-c with the signer's key: signature good, exit 0"
out=$("$CTL" show cert -c "$bpub" web1.crt); st=$?
is "$st:$(line signature)" "1:bad (not signed by this admin key)" \
    "-c with another admin key: signature bad, exit 1"
is "$("$CTL" show cert -j -c "$bpub" web1.crt | jq -r .signature)" "bad" "-j -c: signature bad"
is "$("$CTL" show cert -j -c "$pub" web1.crt | jq -r .signature)" "good" "-j -c: signature good"

# days, a minimal certificate
"$CTL" sign -k ca.key -m corp -n db1 -p "$NODE" -a fd42::7 -d 30 >db1.crt
out=$("$CTL" show cert db1.crt)
is "$(line state)" "valid, 30 days left" "sign -d 30: 30 days left"
is "$(line addresses):$(line groups):$(line routes):$(line roles)" \
    "fd42::7/128:(none):(none):(none)" "an address alone: no groups, routes, roles"
"$CTL" sign -k ca.key -m corp -n db1 -p "$NODE" -a 10.42.0.9 -d 3650 >/dev/null
is "$?" 0 "sign -d 3650 is accepted"

# ---- errors, each one line on stderr, exit 1, nothing on stdout
err1() {	# err1 NAME EXPECTED COMMAND...
	local name=$1 want=$2 out st
	shift 2
	out=$("$@" 2>err); st=$?
	is "$st:$out:$(cat err)" "1::$want" "$name"
}
S=(sign -m corp -n web1 -p "$NODE" -a 10.42.0.5)
err1 "sign -k X25519 key" "meshctl: x25519.key: $KEYMSG (it is an X25519 key: $HOW)" \
    "$CTL" "${S[@]}" -k x25519.key
err1 "sign -k RSA key" "meshctl: rsa.key: $KEYMSG (it is an RSA key: $HOW)" \
    "$CTL" "${S[@]}" -k rsa.key
err1 "sign -k WireGuard key" "meshctl: wg.key: $KEYMSG (it is a WireGuard key: $HOW)" \
    "$CTL" "${S[@]}" -k wg.key
err1 "sign -k public key" "meshctl: pub.pem: $KEYMSG (it is a public key: $HOW)" \
    "$CTL" "${S[@]}" -k pub.pem
err1 "sign -k junk" "meshctl: junk.key: $KEYMSG ($HOW)" "$CTL" "${S[@]}" -k junk.key
err1 "sign -k missing file" "meshctl: nosuch.key: No such file or directory" \
    "$CTL" "${S[@]}" -k nosuch.key
err1 "sign -a /24" "meshctl: 10.42.0.0/24: not a host prefix (want /32 or /128)" \
    "$CTL" sign -k ca.key -m corp -n web1 -p "$NODE" -a 10.42.0.0/24
err1 "sign -a /64" "meshctl: fd42::/64: not a host prefix (want /32 or /128)" \
    "$CTL" sign -k ca.key -m corp -n web1 -p "$NODE" -a 10.42.0.5,fd42::/64
err1 "sign -a not an address" "meshctl: web1: not an IPv4 or IPv6 address" \
    "$CTL" sign -k ca.key -m corp -n web1 -p "$NODE" -a web1
err1 "sign -a twice the same" "meshctl: 10.42.0.5/32: listed twice" \
    "$CTL" sign -k ca.key -m corp -n web1 -p "$NODE" -a 10.42.0.5,10.42.0.5/32
LABEL="not a DNS label (lowercase letters, digits and '-', 1 to 63 characters, no '-' first or last)"
err1 "sign -n Web_1" "meshctl: Web_1: $LABEL" \
    "$CTL" sign -k ca.key -m corp -n Web_1 -p "$NODE" -a 10.42.0.5
err1 "sign -n -web" "meshctl: -web: $LABEL" \
    "$CTL" sign -k ca.key -m corp -n -web -p "$NODE" -a 10.42.0.5
long=$(printf 'a%.0s' $(seq 64))
err1 "sign -n of 64 characters" "meshctl: $long: $LABEL" \
    "$CTL" sign -k ca.key -m corp -n "$long" -p "$NODE" -a 10.42.0.5
err1 "sign -m Corp" "meshctl: Corp: $LABEL" \
    "$CTL" sign -k ca.key -m Corp -n web1 -p "$NODE" -a 10.42.0.5
err1 "sign -p not a key" "meshctl: abc: not a WireGuard public key (44 characters of base64, as meshctl pubkey prints)" \
    "$CTL" sign -k ca.key -m corp -n web1 -p abc -a 10.42.0.5
err1 "sign -g bad group" "meshctl: Web: not a group name (lowercase letters, digits, '-' and '_', 1 to 31 characters)" \
    "$CTL" "${S[@]}" -k ca.key -g Web
err1 "sign -r host bits" "meshctl: 10.1.2.3/8: bits set past the prefix length (did you mean 10.0.0.0/8?)" \
    "$CTL" "${S[@]}" -k ca.key -r 10.1.2.3/8
err1 "sign -R bad role" "meshctl: boss: not a role (coordinator or relay)" \
    "$CTL" "${S[@]}" -k ca.key -R boss
err1 "sign -d 0" "meshctl: 0: not a number of days from 1 to 3650" \
    "$CTL" "${S[@]}" -k ca.key -d 0
err1 "sign -d 3651" "meshctl: 3651: not a number of days from 1 to 3650" \
    "$CTL" "${S[@]}" -k ca.key -d 3651
err1 "sign without -m" "meshctl: sign: missing -m mesh" \
    "$CTL" sign -k ca.key -n web1 -p "$NODE" -a 10.42.0.5
err1 "sign without -k" "meshctl: sign: missing -k cakeyfile" "$CTL" "${S[@]}"
err1 "sign without -a" "meshctl: sign: missing -a addr" \
    "$CTL" sign -k ca.key -m corp -n web1 -p "$NODE"
err1 "sign with an extra word" 'meshctl: sign: unexpected argument "x"' \
    "$CTL" "${S[@]}" -k ca.key x
err1 "-s before sign" "meshctl: -s: not an option of sign" \
    "$CTL" -s /x "${S[@]}" -k ca.key
err1 "show cert of a missing file" "meshctl: nosuch.crt: No such file or directory" \
    "$CTL" show cert nosuch.crt
err1 "show cert of a key" 'meshctl: ca.key: no "-----BEGIN MESHD CERTIFICATE-----" line' \
    "$CTL" show cert ca.key
err1 "show cert -c not a key" "meshctl: xyz: not an admin public key (44 characters of base64, as meshctl ca pubkey prints)" \
    "$CTL" show cert -c xyz web1.crt
# a certificate with a changed byte: the signature no longer holds
sed '1d;$d' web1.crt | base64 -d >web1.bin
python3 - <<'EOF'
b = bytearray(open("web1.bin", "rb").read())
i = b.index(b"web1")
b[i + 3] = ord("2")
open("web2.bin", "wb").write(b)
EOF
{ echo "-----BEGIN MESHD CERTIFICATE-----"; base64 -w 64 web2.bin
  echo "-----END MESHD CERTIFICATE-----"; } >forged.crt
out=$("$CTL" show cert -c "$pub" forged.crt); st=$?
is "$st:$(line name):$(line signature)" "1:web2:bad (not signed by this admin key)" \
    "a certificate with its name changed: shown, signature bad"
printf 'MSHC\002' >v2.bin; head -c 300 /dev/zero >>v2.bin
{ echo "-----BEGIN MESHD CERTIFICATE-----"; base64 -w 64 v2.bin
  echo "-----END MESHD CERTIFICATE-----"; } >v2.crt
err1 "show cert of an unknown version" "meshctl: v2.crt: not a valid certificate: unsupported version" \
    "$CTL" show cert v2.crt

# ---- ca revoke
"$CTL" sign -k ca.key -m corp -n web2 -p "$NODE" -a 10.42.0.7 >web2.crt
"$CTL" sign -k ca.key -m other -n web3 -p "$NODE" -a 10.42.0.8 >other.crt
"$CTL" sign -k b.key -m corp -n web4 -p "$NODE" -a 10.42.0.9 >byb.crt
fp1=$("$CTL" show cert -j web1.crt | jq -r .fingerprint)
fp2=$("$CTL" show cert -j web2.crt | jq -r .fingerprint)
umask 077
out=$("$CTL" ca revoke -k ca.key -f revoked web1.crt 2>err); st=$?
is "$st:$(cat err)" "0:" "ca revoke makes a new list: exit 0"
is "$out" "revoked: serial 1, 1 revoked (1 added)" "and says so"
is "$(stat -c %a revoked)" "644" "the list is mode 0644, whatever the umask"
is "$(head -n 1 revoked)" "-----BEGIN MESHD REVOCATION LIST-----" "it is armored"
j=$("$CTL" show revocations -j -c "$pub" revoked)
is "$(jq -c '[.version, .mesh, .serial, .count, .fingerprints, .signature]' <<<"$j")" \
    "[1,\"corp\",1,1,[\"$fp1\"],\"good\"]" "show revocations -j: serial 1, the fingerprint, signed"
issued=$(jq .issued <<<"$j")
[ "$issued" -ge $(( now - 5 )) ] && [ "$issued" -le $(( $(date +%s) + 1 )) ]
ok $? "issued is now"
out=$("$CTL" ca revoke -k ca.key -f revoked web2.crt web1.crt 2>err); st=$?
is "$st:$out" "0:revoked: serial 2, 2 revoked (1 added)" \
    "extend it: serial 2, 2 revoked, the duplicate not added"
want=$(printf '%s\n' "$fp1" "$fp2" | sort | jq -R . | jq -sc .)
is "$("$CTL" show revocations -j revoked | jq -c '[.serial, .count, .fingerprints]')" \
    "[2,2,$want]" "the fingerprints sorted, each once"
cp revoked before
out=$("$CTL" ca revoke -k ca.key -f revoked web1.crt web2.crt); st=$?
is "$st:$out" "0:revoked: unchanged, serial 2, 2 revoked (every certificate given was already in it)" \
    "nothing new: unchanged"
cmp -s revoked before
ok $? "and the file is as it was"
out=$("$CTL" show revocations revoked)
is "$(printf '%s\n' "$out" | sed -n 's/^serial: //p'):$(printf '%s\n' "$out" | grep -c '^revoked: ')" \
    "2:2" "show revocations: serial and one line per fingerprint"
err1 "ca revoke of another mesh's certificate" \
    'meshctl: other.crt: a certificate of mesh "other", not "corp"' \
    "$CTL" ca revoke -k ca.key -f revoked other.crt
err1 "ca revoke of a certificate another key signed" "meshctl: byb.crt: not signed by this admin key" \
    "$CTL" ca revoke -k ca.key -f revoked byb.crt
err1 "ca revoke with another admin key" "meshctl: revoked: not signed by this admin key" \
    "$CTL" ca revoke -k b.key -f revoked byb.crt
err1 "ca revoke -k X25519 key" "meshctl: x25519.key: $KEYMSG (it is an X25519 key: $HOW)" \
    "$CTL" ca revoke -k x25519.key -f revoked web1.crt
err1 "ca revoke without -f" "meshctl: ca revoke: missing -f listfile" \
    "$CTL" ca revoke -k ca.key web1.crt
err1 "ca revoke of a list" "meshctl: revoked: a revocation list, not a certificate (see meshctl show revocations)" \
    "$CTL" ca revoke -k ca.key -f revoked revoked
cmp -s revoked before
ok $? "after every refusal the list is as it was"
is "$(ls | grep -c '^revoked\.')" 0 "no temporary file left behind"
# a new list takes its mesh from the certificates, which must agree
err1 "a new list of two meshes" 'meshctl: other.crt: a certificate of mesh "other", not "corp"' \
    "$CTL" ca revoke -k ca.key -f new web1.crt other.crt
[ ! -e new ]; ok $? "and it is not made"
err1 "show cert of a list" "meshctl: revoked: a revocation list, not a certificate (see meshctl show revocations)" \
    "$CTL" show cert revoked
err1 "show revocations of a certificate" "meshctl: web1.crt: a certificate, not a revocation list (see meshctl show cert)" \
    "$CTL" show revocations web1.crt
out=$("$CTL" show revocations -c "$bpub" revoked); st=$?
is "$st:$(printf '%s\n' "$out" | sed -n 's/^signature: //p')" "1:bad (not signed by this admin key)" \
    "show revocations -c another key: bad, exit 1"

done_testing
