#!/usr/bin/env bash
# meshd's start as a service manager sees it: without -d, meshd exits 0
# only once the daemon is ready (meshctl answers at once), and non-zero
# with the reason on stderr when it cannot start, leaving nothing behind;
# under -d, lines carry journald's <N> priority only when stderr is the
# journal (JOURNAL_STREAM); process titles as ps shows them.

. "$(dirname "$0")/../lib.sh"
need_root
command -v jq >/dev/null || skip_all "jq missing"
command -v python3 >/dev/null || skip_all "python3 missing"
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

NS=mstart$$
IF=mst$$
netns_new "$NS"
tmpdir_new D
SOCK=$D/meshd.sock
PORT=51977

(umask 077; head -c 32 /dev/urandom | base64 >"$D/me.key")
cat >"$D/meshd.conf" <<EOF
interface "$IF" {
	address 100.64.0.1/24
	listen-port $PORT
	private-key-file "$D/me.key"
}
peer "beta" {
	public-key "act0B1ztB5HkpJe/m13Ny2EaPcmOjF5vzpuuXcNFBXs="
	allowed-ips 100.64.0.2/32
}
EOF
ctl() { "$MESHCTL" -s "$SOCK" "$@"; }
# the processes in our namespace but HOLDER (meshd's titles hide its
# command line from pgrep -f)
ours() { ip netns pids "$NS" | grep -vx "${HOLDER:-none}" | sort -n; }

# ---- the UDP port is taken: exit non-zero, the reason on stderr
start_bg HOLDER ip netns exec "$NS" python3 -c "
import socket, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(('::', $PORT))
time.sleep(60)"
wait_for 20 listening "$NS" "$PORT" u
ok $? "the port is taken"
timeout 30 ip netns exec "$NS" "$MESHD" -f "$D/meshd.conf" -s "$SOCK" \
    >"$D/out" 2>"$D/err"
rc=$?
ok "$([ "$rc" != 0 ] && [ "$rc" != 124 ]; echo $?)" \
    "port in use: meshd exits non-zero, promptly (status $rc)"
like "$(cat "$D/err")" "Address already in use" \
    "port in use: the reason is on stderr" || diag "$(cat "$D/err")"
is "$(cat "$D/out")" "" "port in use: nothing on stdout"
is "$(ours)" "" "port in use: no meshd left running"
ip -n "$NS" link show "$IF" >/dev/null 2>&1
ok "$([ $? != 0 ]; echo $?)" "port in use: no interface $IF left"
t "port in use: no control socket left" test ! -e "$SOCK"
kill "$HOLDER"; wait "$HOLDER" 2>/dev/null; HOLDER=

# ---- success: exit 0 once ready, and meshctl answers at once
timeout 30 ip netns exec "$NS" "$MESHD" -f "$D/meshd.conf" -s "$SOCK" \
    >"$D/out" 2>"$D/err"
is "$?" 0 "meshd (daemon) exits 0" || diag "$(cat "$D/err")"
is "$(cat "$D/out" "$D/err")" "" "and prints nothing"
js=$(ctl -j show status)
ok $? "meshctl show status answers right after meshd returned"
is "$(jq -r '[.processes[] | select(.sandboxed)] | length' <<<"$js")" 3 \
    "and the three children are already sandboxed"
PARENT=$(jq -r '.processes[] | select(.role == "parent") | .pid' <<<"$js")
T_PIDS+=("$PARENT")
is "$(ours | wc -l)" 4 "the daemon runs, detached from us, with its children"
is "$(ps -o ppid= -p "$PARENT" | tr -d ' ')" 1 "its parent is init"

# ---- bug 5: process titles, exactly
for role in parent net crypto tun; do
	pid=$(jq -r ".processes[] | select(.role == \"$role\") | .pid" <<<"$js")
	is "$(ps -o args= -p "$pid")" "meshd: $role" "ps shows \"meshd: $role\""
done

kill "$PARENT"
wait_for 10 sh -c "! kill -0 $PARENT"
ok $? "the daemon stops on SIGTERM"

# ---- the interface is another meshd's: exit non-zero, the other unharmed
start_bg PID_A ip netns exec "$NS" "$MESHD" -d -f "$D/meshd.conf" \
    -s "$D/a.sock" 2>>"$D/a.log"
meshd_ready "$D/a.sock"
ok $? "a first meshd runs on $IF" || diag "$(cat "$D/a.log")"
sed "s/listen-port $PORT/listen-port $((PORT + 1))/" "$D/meshd.conf" \
    >"$D/second.conf"
timeout 30 ip netns exec "$NS" "$MESHD" -f "$D/second.conf" -s "$SOCK" \
    >"$D/out" 2>"$D/err"
rc=$?
ok "$([ "$rc" != 0 ] && [ "$rc" != 124 ]; echo $?)" \
    "interface in use: a second meshd exits non-zero (status $rc)"
like "$(cat "$D/err")" "cannot create interface $IF: it exists and is in use" \
    "interface in use: the reason is on stderr" || diag "$(cat "$D/err")"
t "interface in use: the first meshd still answers" \
    "$MESHCTL" -s "$D/a.sock" show status
t "interface in use: and still has its interface" ip -n "$NS" link show "$IF"
kill "$PID_A"
wait_for 10 sh -c "! kill -0 $PID_A"

# ---- a key file that is no key: exit 1 before anything starts
cp "$D/me.key" "$D/good.key"
echo "not a key" >"$D/me.key"
timeout 30 ip netns exec "$NS" "$MESHD" -f "$D/meshd.conf" -s "$SOCK" \
    >"$D/out" 2>"$D/err"
is "$?" 1 "a bad private key: meshd exits 1"
like "$(cat "$D/err")" "me\.key: not a key" "and says why on stderr"
is "$(ours)" "" "and nothing is left running"
cp "$D/good.key" "$D/me.key"

# ---- -d under journald: <N> prefixes; on a terminal or file: none
: >"$D/journal.log"
JS=$(stat -c '%d:%i' "$D/journal.log")
start_bg PID_J env JOURNAL_STREAM="$JS" ip netns exec "$NS" "$MESHD" -d -v \
    -f "$D/meshd.conf" -s "$SOCK" 2>>"$D/journal.log"
meshd_ready "$SOCK"
ok $? "meshd -d with JOURNAL_STREAM starts" || diag "$(cat "$D/journal.log")"
printf '%s\n' 'interface "broken" {' >"$D/broken.conf"
cp "$D/meshd.conf" "$D/good.conf"
cp "$D/broken.conf" "$D/meshd.conf"
ctl reload >/dev/null 2>&1
cp "$D/good.conf" "$D/meshd.conf"
kill "$PID_J"
wait_for 10 sh -c "! kill -0 $PID_J"
J=$(cat "$D/journal.log")
is "$(grep -cv '^<[0-7]>' <<<"$J")" 0 "every line starts with <N>" ||
    diag "$(grep -v '^<[0-7]>' <<<"$J" | head -3)"
like "$J" '^<6>startup: interface ' "info: <6>"
like "$J" '^<7>(net|crypto|tun): ' "a child's debug line: <7>"
like "$J" '^<3>.*meshd\.conf:1: ' "a reload error: <3>"

: >"$D/plain.log"
start_bg PID_P env JOURNAL_STREAM="$JS" ip netns exec "$NS" "$MESHD" -d -v \
    -f "$D/meshd.conf" -s "$SOCK" 2>>"$D/plain.log"
meshd_ready "$SOCK"
ok $? "meshd -d with JOURNAL_STREAM naming another file starts"
kill "$PID_P"
wait_for 10 sh -c "! kill -0 $PID_P"
P=$(cat "$D/plain.log")
like "$P" '^startup: interface ' "its lines are bare"
is "$(grep -c '^<[0-7]>' <<<"$P")" 0 "no line carries <N>"

done_testing
