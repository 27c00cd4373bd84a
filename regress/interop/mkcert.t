#!/usr/bin/env bash
# regress/interop/mkcert, the certificates no admin would sign, as
# meshctl reads them: its admin key is meshctl's (PKCS#8 PEM both ways),
# -b/-e make an expired certificate that still verifies, -x one whose
# signature fails and whose fields still parse, -s a list of the given
# certificates' fingerprints; bad arguments are refused with a reason.
. "$(dirname "$0")/../lib.sh"
need_cmds jq wg
MK=${MKCERT:-$MESHD_BUILD/regress/interop/mkcert}
[ -x "$MK" ] || skip_all "$MK not built"
[ -x "$MESHCTL" ] || skip_all "$MESHCTL not installed (run make check)"
tmpdir_new D

(umask 077; "$MESHCTL" ca genkey >"$D/ca.key" && "$MK" -G >"$D/mk.key")
CA=$("$MESHCTL" ca pubkey <"$D/ca.key")
is "$("$MK" -k "$D/ca.key" -P)" "$CA" "-P reads meshctl's admin key"
is "$("$MESHCTL" ca pubkey <"$D/mk.key")" "$("$MK" -k "$D/mk.key" -P)" \
    "meshctl reads -G's admin key"

PUB=$(wg genkey | wg pubkey)
"$MK" -k "$D/ca.key" -m corp -n web1 -p "$PUB" -a 100.64.0.5,fd00::5 \
    -g web,ops -R coordinator -b 1000 -e 2000 >"$D/old.crt"
j=$("$MESHCTL" show cert -j -c "$CA" "$D/old.crt")
is "$(jq -c '[.mesh, .name, .public_key, .addresses, .groups, .roles,
    .not_before, .not_after, .state, .signature]' <<<"$j")" \
    "[\"corp\",\"web1\",\"$PUB\",[\"100.64.0.5/32\",\"fd00::5/128\"],[\"web\",\"ops\"],[\"coordinator\"],1000,2000,\"expired\",\"good\"]" \
    "-b -e: an expired certificate, its fields as given, signed"
"$MK" -k "$D/ca.key" -m corp -n web2 -p "$PUB" -a 100.64.0.6 >"$D/new.crt"
j=$("$MESHCTL" show cert -j -c "$CA" "$D/new.crt")
is "$(jq -r '"\(.state) \(.signature)"' <<<"$j")" "valid good" \
    "by default valid now"
[ "$(jq '.not_after - .not_before' <<<"$j")" = $((86400 + 3600)) ]
ok $? "from an hour ago to a day on"

"$MK" -x "$D/new.crt" >"$D/alt.crt"
j=$("$MESHCTL" show cert -j -c "$CA" "$D/alt.crt")
is "$(jq -r '"\(.name) \(.signature)"' <<<"$j")" "web2 bad" \
    "-x: it still parses, its signature fails"
[ "$(jq -r .public_key <<<"$j")" != "$PUB" ]
ok $? "-x: a bit of its key changed"

"$MK" -k "$D/ca.key" -m corp -s 7 "$D/old.crt" "$D/new.crt" >"$D/l.crl"
j=$("$MESHCTL" show revocations -j -c "$CA" "$D/l.crl")
want=$(for f in old new; do "$MESHCTL" show cert -j "$D/$f.crt" |
    jq -r .fingerprint; done | sort | jq -R . | jq -sc .)
is "$(jq -c '[.serial, .signature, .fingerprints]' <<<"$j")" \
    "[7,\"good\",$want]" "-s: a signed list of their fingerprints, sorted"

out=$("$MK" -k "$D/ca.key" -m corp -n x -p "$PUB" -a 100.64.0.7/24 2>&1)
ok $(( $? != 1 )) "a prefix that is no host's: exit 1"
has "$out" "mkcert: certificate: " "and says why"
out=$("$MK" -k "$D/old.crt" -P 2>&1)
has "$out" "old.crt: not an Ed25519 private key in PEM" \
    "a key file that is no admin key is refused"
out=$("$MK" -k "$D/ca.key" -m corp -n x -p "$PUB" -a 1.2.3.4 -b soon 2>&1)
has "$out" "-b soon: invalid" "-b takes unix seconds"
done_testing
