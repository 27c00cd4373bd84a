#!/usr/bin/env bash
# The packet filter with mesh members: groups and names come from the
# members' certificates (verified by meshd-crypto, handed to meshd-tun).
# A coordinator n1 (no group), n2 in group "ops", n3 in group "guests",
# and n4 with a filter: group and member-name rules pass and block, in
# and out.

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg ping python3
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

HUB=mfmh$$
mesh_hub "$HUB" || fail_setup "the hub"
tmpdir_new D
mesh_ca || fail_setup "an admin key"
for i in 1 2 3 4; do
	mesh_host "$HUB" "mfm$i$$" "$i" || fail_setup "host $i"
done
mesh_cert n1 1 -R coordinator || fail_setup "n1's certificate"
mesh_cert n2 2 -g ops || fail_setup "n2's certificate"
mesh_cert n3 3 -g guests || fail_setup "n3's certificate"
mesh_cert n4 4 || fail_setup "n4's certificate"
mesh_conf n1 serve
for i in 2 3 4; do mesh_conf "n$i" n1:1; done
cat >>"$D/n4.conf" <<'EOF'
filter {
	pass out all
	block out quick proto icmp to group "guests"
	pass in proto icmp from group "ops"
	pass in proto icmp from peer "n3"
	block in quick from group "guests" to port 5001
	pass in proto tcp to port 5001
}
EOF

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
pings() { ip netns exec "mfm$1$$" ping -c 2 -i 0.2 -W 2 "100.64.0.$2"; }
knows() {
	[ "$(ctl "$1" -j show peers |
	    jq '[.peers[] | select(.cert_expires != null)] | length')" = "$2" ]
}
cat >"$D/listen.py" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(16)
while True:
    c, _ = s.accept()
    try:
        c.recv(64); c.sendall(b"pong\n")
    except OSError:
        pass
    c.close()
PY
cat >"$D/try.py" <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(3)
try:
    s.connect((sys.argv[1], int(sys.argv[2]))); s.sendall(b"ping\n")
    sys.exit(0 if s.recv(64).startswith(b"pong") else 1)
except OSError:
    sys.exit(1)
PY
tcp_try() { ip netns exec "mfm$1$$" python3 "$D/try.py" "100.64.0.$2" "$3"; }

for i in 1 2 3 4; do
	meshd_up "n$i" "mfm$i$$"; ok $? "n$i starts"
done
wait_for 10 knows n4 3; ok $? "n4 knows the three others"
start_bg SRV ip netns exec "mfm4$$" python3 "$D/listen.py" 100.64.0.4 5001
wait_for 20 listening "mfm4$$" 5001 || fail_setup "the listener"

t "n2 (group ops) pings n4: pass in from group ops" pings 2 4
t "n3 pings n4: pass in from peer n3, a member's certificate name" pings 3 4
pings 1 4 >/dev/null 2>&1
ok $((! $?)) "n1 (no group, another name) pings n4: blocked"
t "n4 pings n2: pass out all" pings 4 2
t "n4 pings n1: the way is open, its replies pass by state" pings 4 1
pings 4 3 >/dev/null 2>&1
ok $((! $?)) "n4 pings n3: block out quick to group guests"
t "n2 -> n4:5001 passes" tcp_try 2 4 5001
tcp_try 3 4 5001
ok $((! $?)) "n3 (group guests) -> n4:5001: block in quick from group guests"
q=$(ctl n4 -j show filter | jq '.rules[] | select(.rule == "block in quick from group \"guests\" to any port 5001") | .packets')
[ "${q:-0}" -ge 1 ]; ok $? "the group rule counts what it blocked ($q)"

done_testing
