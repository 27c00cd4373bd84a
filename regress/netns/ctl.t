#!/usr/bin/env bash
# meshctl against a running meshd, in a network namespace of its own:
# reload says what changed (text and -j), the restricted control socket
# (show only, for anyone), show config round-trips, -V.

. "$(dirname "$0")/../lib.sh"
need_root
command -v jq >/dev/null || skip_all "jq missing"
command -v wg >/dev/null || skip_all "wg missing (wireguard-tools)"
command -v setpriv >/dev/null || skip_all "setpriv missing"
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

NS=mctl$$
IF=mctl$$
netns_new "$NS"
tmpdir_new D
SOCK=$D/meshd.sock
RO=$D/meshd.ro.sock
NOBODY="setpriv --reuid=nobody --regid=nogroup --clear-groups"

(umask 077; for k in me a b c d; do wg genkey >"$D/$k.key"; done)
for k in a b c d; do eval "PUB_$k=\$(wg pubkey <\"\$D/\$k.key\")"; done

# conf FILE B-ENDPOINT B-AIPS PEERS...
conf() {
	local f=$1 ep=$2 aips=$3 p; shift 3
	cat >"$f" <<EOF
control-socket "$RO" restricted
interface "$IF" {
	address 100.64.0.1/24
	listen-port 51998
	private-key-file "$D/me.key"
}
EOF
	for p in "$@"; do
		eval "pub=\$PUB_$p"
		if [ "$p" = b ]; then
			printf 'peer "b" {\n\tpublic-key "%s"\n\tendpoint "%s"\n\tallowed-ips %s\n}\n' \
			    "$pub" "$ep" "$aips" >>"$f"
		else
			printf 'peer "%s" {\n\tpublic-key "%s"\n}\n' "$p" "$pub" >>"$f"
		fi
	done
	[ -n "${EXTRA:-}" ] && cat "$EXTRA" >>"$f"
	chmod 600 "$f"
}
conf "$D/meshd.conf" 198.18.0.2:51820 "100.64.0.2/32" a b c

ctl() { "$MESHCTL" -s "$SOCK" "$@"; }

# ---- -V
like "$("$MESHD" -V)" '^meshd [0-9]+\.[0-9]+\.[0-9]+$' "meshd -V prints its version"
like "$("$MESHCTL" -V)" '^meshctl [0-9]+\.[0-9]+\.[0-9]+$' "meshctl -V prints its version"
is "$("$MESHD" -V | cut -d' ' -f2)" "$("$MESHCTL" -V | cut -d' ' -f2)" \
    "the same version in both"

start_bg MESHD_PID ip netns exec "$NS" "$MESHD" -d -f "$D/meshd.conf" \
    -s "$SOCK" 2>>"$D/meshd.log"
meshd_ready "$SOCK"
ok $? "meshd starts with a restricted control socket" || {
	diag "$(cat "$D/meshd.log")"; done_testing; exit 1; }

# ---- the restricted socket
is "$(stat -c %a "$SOCK")" 660 "the main socket stays mode 0660"
is "$(stat -c %a "$RO")" 666 "the restricted socket is mode 0666"
out=$($NOBODY "$MESHCTL" -s "$RO" show status 2>&1)
ok $? "nobody may show status on the restricted socket" || diag "$out"
like "$out" "$IF" "and sees the interface"
out=$($NOBODY "$MESHCTL" -s "$SOCK" show status 2>&1)
ok $((!$?)) "nobody cannot open the main socket"
out=$("$MESHCTL" -s "$RO" reload 2>&1)
ok $((!$?)) "reload on the restricted socket fails, even as root"
has "$out" "permission denied: read-only socket" "and says why"
out=$("$MESHCTL" -s "$RO" log verbose 2>&1)
ok $((!$?)) "log verbose on the restricted socket fails"
out=$("$MESHCTL" -j -s "$RO" reload 2>&1)
is "$(printf '%s' "$out" | jq -r .error)" "permission denied: read-only socket" \
    "-j reload on it: a JSON error"

# ---- show config round-trips
ctl show config >"$D/shown.conf"
ok $? "show config"
has "$(cat "$D/shown.conf")" "private-key-file \"$D/me.key\"" "it names the key file"
has "$(cat "$D/shown.conf")" "control-socket \"$RO\" restricted" "and the restricted socket"
! grep -qF "$(cat "$D/me.key")" "$D/shown.conf"
ok $? "never the key itself"
out=$("$MESHD" -n -f "$D/shown.conf" 2>&1)
ok $? "meshd -n accepts it" || diag "$out"
"$MESHD" -nv -f "$D/shown.conf" 2>/dev/null >"$D/shown2.conf"
"$MESHD" -nv -f "$D/meshd.conf" 2>/dev/null >"$D/orig.conf"
ok "$(cmp -s "$D/shown.conf" "$D/shown2.conf"; echo $?)" \
    "meshd -nv prints it the same"
ok "$(cmp -s "$D/shown.conf" "$D/orig.conf"; echo $?)" \
    "and the same as meshd -nv of the file itself"
out=$($NOBODY "$MESHCTL" -s "$RO" show config 2>&1)
ok $? "show config is allowed on the restricted socket"
out=$(ctl -j show config)
is "$(printf '%s' "$out" | jq -r .config)" "$(cat "$D/shown.conf")" \
    "-j show config: {\"config\": TEXT}"

# ---- reload: a removed, d added, b's endpoint and allowed-ips changed
conf "$D/meshd.conf" 198.18.0.9:51820 "100.64.0.2/32, 100.64.1.1/24" b c d
out=$(ctl reload 2>&1)
ok $? "reload" || diag "$out"
is "$(printf '%s\n' "$out" | head -1)" \
    "reload done: 3 peers; 1 added, 1 removed, 1 changed, 1 warning" \
    "the summary line"
has "$out" "removed peer a" "names the removed peer"
has "$out" "added peer d" "names the added peer"
has "$out" "changed peer b: endpoint, allowed-ips (+1 -0)" \
    "names the changed peer and its fields"
! printf '%s\n' "$out" | grep -q "peer c"
ok $? "not the unchanged peer"
wait_for 5 grep -q "reload: changed peer b: endpoint" "$D/meshd.log"
ok $? "the log has the same"
like "$out" "warning: $D/meshd.conf:[0-9]+: .*host bits set, using 100.64.1.0/24" \
    "and the parser's warning, naming file:line"

conf "$D/meshd.conf" 198.18.0.2:51820 "100.64.0.2/32" a b c
out=$(ctl -j reload 2>&1)
ok $? "-j reload" || diag "$out"
is "$(printf '%s' "$out" | jq -c .added)" '["a"]' "-j: added"
is "$(printf '%s' "$out" | jq -c .removed)" '["d"]' "-j: removed"
is "$(printf '%s' "$out" | jq -c .changed)" \
    '[{"peer":"b","fields":["endpoint","allowed_ips"],"allowed_ips_added":0,"allowed_ips_removed":1}]' \
    "-j: changed, with its fields"
is "$(printf '%s' "$out" | jq -c .warnings)" '[]' "-j: no warnings"
is "$(printf '%s' "$out" | jq -r .result)" ok "-j: result ok"
is "$(printf '%s' "$out" | jq -r .version)" 1 "-j: the format's version first"

out=$(ctl reload 2>&1)
is "$out" "reload done: 3 peers; no changes" "a reload of the same file: no changes"

# ---- a large reload: 600 peers added, the answer says how many more
EXTRA=$D/extra.conf
for i in $(seq 1 600); do
	printf 'peer "x%d" {\n\tpublic-key "%s"\n\tallowed-ips 10.%d.%d.0/24\n}\n' \
	    "$i" "$(head -c 32 /dev/urandom | base64)" $((i / 256)) $((i % 256))
done >"$EXTRA"
conf "$D/meshd.conf" 198.18.0.2:51820 "100.64.0.2/32" a b c
out=$(ctl reload 2>&1)
ok $? "reload adding 600 peers"
is "$(printf '%s\n' "$out" | head -1)" "reload done: 603 peers; 600 added" \
    "the summary counts them all"
is "$(printf '%s\n' "$out" | wc -l)" 502 "500 changes listed"
is "$(printf '%s\n' "$out" | tail -1)" "and 100 more changes" "then how many more"
ctl show config >"$D/big.conf"
ok $? "show config of 603 peers (several chunks)"
is "$(grep -c '^peer ' "$D/big.conf")" 603 "every peer in it"
"$MESHD" -nv -f "$D/meshd.conf" 2>/dev/null >"$D/orig.conf"
ok "$(cmp -s "$D/big.conf" "$D/orig.conf"; echo $?)" \
    "the same as meshd -nv of the file"
EXTRA=
conf "$D/meshd.conf" 198.18.0.2:51820 "100.64.0.2/32" a b c
out=$(ctl -j reload 2>&1)
is "$(printf '%s' "$out" | jq '.removed | length')" 500 "-j: 500 removed listed"
is "$(printf '%s' "$out" | jq .more_changes)" 100 "-j: more_changes 100"

kill "$MESHD_PID"
wait_for 10 sh -c "! kill -0 $MESHD_PID 2>/dev/null"
[ ! -e "$RO" ]
ok $? "meshd removes the restricted socket on exit"
done_testing
