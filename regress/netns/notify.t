#!/usr/bin/env bash
# meshd -d as systemd's Type=notify sees it, through a listener of our own
# on a datagram socket named by NOTIFY_SOCKET (what the service manager
# does): READY=1 comes from meshd's main process, and when it comes the
# UDP port is bound, the interface is up and the control socket is there
# and answers (the listener stops meshd with SIGSTOP the moment READY=1
# arrives, so what the test sees is what was done before it was sent);
# the control socket's path never exists before READY=1; no child of
# meshd sees NOTIFY_SOCKET; a reload, by meshctl or SIGHUP, failed or
# not, sends RELOADING=1 (with MONOTONIC_USEC) and then READY=1; SIGTERM
# sends STOPPING=1; a start that fails (a broken config, a port in use)
# exits non-zero without READY=1 and leaves no control socket.  The same
# with an abstract socket name (@...), as systemd may pass.

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq python3 ss
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

NS=mntfy$$
IF=ntf$$
PORT=51983
netns_new "$NS"
tmpdir_new D
SOCK=$D/meshd.sock

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
cp "$D/meshd.conf" "$D/good.conf"

# The listener: each datagram as one line "PID KEY=v|KEY=v|" in $LOG,
# the sender's PID from SCM_CREDENTIALS as systemd takes it.  Until
# READY=1 it watches for the control socket's path: seen first, it stops
# meshd and looks whether READY=1 was sent by then, or comes within 2 s
# once meshd goes on (a line "EARLY" if not: the path is renamed into
# place just before READY=1 is sent).  At the first READY=1 it stops the sender and writes "STOPPED":
# the test sends SIGCONT.
cat >"$D/listen.py" <<'EOF'
import os, signal, socket, struct, sys
addr, log, sock, pidfile = sys.argv[1:5]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind('\0' + addr[1:] if addr.startswith('@') else addr)
out = open(log, 'a', buffering=1)
out.write('LISTENING\n')
ready = False
watch = True

def stopped(pid):
    with open('/proc/%d/stat' % pid) as f:
        return f.read().rsplit(')', 1)[1].split()[0] == 'T'

def got():
    global ready
    msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    pid = -1
    for lvl, typ, data in anc:
        if lvl == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
            pid = struct.unpack('iII', data[:12])[0]
    text = msg.decode(errors='replace')
    out.write('%d %s\n' % (pid, text.replace('\n', '|')))
    if 'READY=1' in text.split('\n') and not ready:
        ready = True
        os.kill(pid, signal.SIGSTOP)
        while not stopped(pid):
            pass
        out.write('STOPPED\n')

while True:
    s.settimeout(None if ready or not watch else 0.001)
    try:
        got()
        continue
    except socket.timeout:
        pass
    if ready or not watch or not os.path.exists(sock):
        continue
    # the path is there: was READY=1 sent before it?  (If it was, got()
    # stops meshd again for the test.)
    try:
        pid = int(open(pidfile).read())
    except (OSError, ValueError):
        continue
    os.kill(pid, signal.SIGSTOP)
    while not stopped(pid):
        pass
    s.settimeout(0)
    try:
        while not ready:
            got()
    except BlockingIOError:
        # meshd renames the path into place just before it sends
        # READY=1: it was stopped between the two; READY=1 must follow
        # at once
        watch = False
        os.kill(pid, signal.SIGCONT)
        s.settimeout(2)
        try:
            while not ready:
                got()
        except socket.timeout:
            out.write('EARLY\n')
EOF

# listen ADDR LOG: a listener on ADDR (a path, or @name in $NS)
listen() {
	rm -f "$2"
	case $1 in /*) rm -f "$1" ;; esac
	start_bg LISTENER ip netns exec "$NS" python3 "$D/listen.py" "$1" "$2" \
	    "$SOCK" "$D/meshd.pid"
	wait_for 20 grep -qx LISTENING "$2"
}
# start_meshd ADDR: meshd -d with NOTIFY_SOCKET=ADDR, its PID in
# $D/meshd.pid (written before exec, for the listener) and MESHD_PID
start_meshd() {
	rm -f "$D/meshd.pid"
	start_bg MESHD_PID sh -c 'echo $$ >"$1"; shift; exec "$@"' sh \
	    "$D/meshd.pid" ip netns exec "$NS" env NOTIFY_SOCKET="$1" \
	    "$MESHD" -d -f "$D/meshd.conf" -s "$SOCK"
}
# the datagrams so far, without the sender's PID, one per line
msgs() { grep -v '^[A-Z]*$' "$LOG" | cut -d' ' -f2-; }
stopped() { [ "$(ps -o stat= -p "$1" | cut -c1)" = T ]; }

# ---- start: READY=1 when everything is there
LOG=$D/notify.log
listen "$D/notify.sock" "$LOG"; ok $? "the listener is up"
start_meshd "$D/notify.sock" 2>"$D/meshd.log"
wait_for 20 grep -qx STOPPED "$LOG"
ok $? "READY=1 arrives" || { diag "$(cat "$D/meshd.log")"; fail_setup meshd; }
stopped "$MESHD_PID"; ok $? "and meshd is stopped where it sent it"
like "$(grep ' READY=1' "$LOG")" "^$MESHD_PID " \
    "READY=1 comes from meshd's main process (NotifyAccess=main)"
grep -qx EARLY "$LOG"
ok $((! $?)) "the control socket's path appears only as READY=1 is sent"
has "$(ip netns exec "$NS" ss -Hlun "sport = :$PORT")" ":$PORT" \
    "at READY=1, UDP port $PORT is bound"
like "$(ip -n "$NS" -o link show "$IF")" "<[^>]*,UP[,>]" \
    "at READY=1, interface $IF is up"
[ -S "$SOCK" ]; ok $? "at READY=1, the control socket is there"
ready=$(grep ' READY=1' "$LOG")
has "$ready" "STATUS=running: interface $IF, port $PORT, 1 peer" \
    "READY=1 carries a STATUS= line"
kill -CONT "$MESHD_PID"
js=$("$MESHCTL" -j -s "$SOCK" show status)
ok $? "after SIGCONT, meshctl answers at once"
is "$(jq -r '[.processes[] | select(.sandboxed)] | length' <<<"$js")" 3 \
    "and the three children were sandboxed"
env= nread=0
for pid in $(jq -r '.processes[] | select(.role != "parent") | .pid' \
    <<<"$js"); do
	e=$(tr '\0' '\n' <"/proc/$pid/environ") && nread=$((nread + 1))
	env+=$e$'\n'
done
is "$nread" 3 "the three children's environments are read"
grep -q '^NOTIFY_SOCKET=' <<<"$env"
ok $((! $?)) "no child has NOTIFY_SOCKET in its environment"

# ---- reloads: RELOADING=1 with MONOTONIC_USEC=, then READY=1
# after N: the datagrams after the first N
after() { msgs | tail -n +$(($1 + 1)); }
n=$(msgs | wc -l)
"$MESHCTL" -s "$SOCK" reload >/dev/null
ok $? "meshctl reload succeeds"
wait_for 10 sh -c "[ \$(grep -cv '^[A-Z]*\$' $LOG) -ge $((n + 2)) ]"
r=$(after "$n")
like "$(sed -n 1p <<<"$r")" "^RELOADING=1\|MONOTONIC_USEC=[0-9]+\|" \
    "meshctl reload: RELOADING=1 with MONOTONIC_USEC= first"
like "$(sed -n 2p <<<"$r")" "^READY=1\|STATUS=running: " \
    "meshctl reload: then READY=1"
is "$(wc -l <<<"$r")" 2 "meshctl reload: two datagrams"
t1=$(sed -n 's/.*MONOTONIC_USEC=\([0-9]*\).*/\1/p' <<<"$r")

n=$(msgs | wc -l)
kill -HUP "$MESHD_PID"
wait_for 10 sh -c "[ \$(grep -cv '^[A-Z]*\$' $LOG) -ge $((n + 2)) ]"
r=$(after "$n")
like "$(sed -n 1p <<<"$r")" "^RELOADING=1\|MONOTONIC_USEC=[0-9]+\|" \
    "SIGHUP: RELOADING=1 with MONOTONIC_USEC= first"
like "$(sed -n 2p <<<"$r")" "^READY=1\|" "SIGHUP: then READY=1"
t2=$(sed -n 's/.*MONOTONIC_USEC=\([0-9]*\).*/\1/p' <<<"$r")
ok "$([ -n "$t1" ] && [ "${t2:-0}" -gt "$t1" ]; echo $?)" \
    "MONOTONIC_USEC grows from one reload to the next ($t1, $t2)"

# a broken config: the reload fails, meshd runs on and says it is ready
printf 'interface "broken" {\nREADY=1\n' >"$D/meshd.conf"
n=$(msgs | wc -l)
"$MESHCTL" -s "$SOCK" reload >/dev/null 2>&1
is "$?" 1 "a broken config: meshctl reload fails"
wait_for 10 sh -c "[ \$(grep -cv '^[A-Z]*\$' $LOG) -ge $((n + 2)) ]"
r=$(after "$n")
like "$(sed -n 1p <<<"$r")" "^RELOADING=1\|" \
    "failed reload: RELOADING=1 first"
like "$(sed -n 2p <<<"$r")" "^READY=1\|STATUS=running: reload failed" \
    "failed reload: then READY=1, its STATUS= says it failed"
is "$(wc -l <<<"$r")" 2 "failed reload: two datagrams"
# the errors quote the config: its lines stay inside STATUS=
is "$(sed -n 2p <<<"$r" | tr '|' '\n' | grep . | cut -d= -f1 | tr '\n' ' ')" \
    "READY STATUS " "failed reload: READY=1 and STATUS= only, nothing injected"
cp "$D/good.conf" "$D/meshd.conf"

# ---- stop: STOPPING=1
n=$(msgs | wc -l)
kill -TERM "$MESHD_PID"
wait "$MESHD_PID"
is "$?" 0 "SIGTERM: meshd exits 0"
like "$(after "$n" | head -1)" "^STOPPING=1\|" "SIGTERM: STOPPING=1"
t "the control socket is gone" test ! -e "$SOCK"
kill "$LISTENER"

# ---- an abstract socket name: the same READY=1
LOG=$D/abstract.log
listen "@meshd-notify-$$" "$LOG"; ok $? "a listener on @meshd-notify-$$"
start_meshd "@meshd-notify-$$" 2>"$D/meshd.log"
wait_for 20 grep -qx STOPPED "$LOG"
ok $? "abstract NOTIFY_SOCKET: READY=1 arrives" || diag "$(cat "$D/meshd.log")"
grep -qx EARLY "$LOG"
ok $((! $?)) "abstract NOTIFY_SOCKET: no control socket before READY=1"
kill -CONT "$MESHD_PID"
kill -TERM "$MESHD_PID"
wait "$MESHD_PID"
like "$(msgs | tail -1)" "^STOPPING=1\|" "abstract NOTIFY_SOCKET: STOPPING=1"
kill "$LISTENER"

# ---- starts that fail: non-zero, no READY=1, no control socket
LOG=$D/fail.log
listen "$D/notify.sock" "$LOG"; ok $? "a listener again"
printf 'interface "broken" {\n' >"$D/meshd.conf"
start_meshd "$D/notify.sock" 2>"$D/meshd.log"
wait "$MESHD_PID"
rc=$?
ok "$([ "$rc" != 0 ]; echo $?)" "a broken config: meshd -d exits non-zero ($rc)"
cp "$D/good.conf" "$D/meshd.conf"

start_bg HOLDER ip netns exec "$NS" python3 -c "
import socket, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(('::', $PORT))
time.sleep(60)"
wait_for 20 listening "$NS" "$PORT" u
ok $? "the port is taken"
start_meshd "$D/notify.sock" 2>"$D/meshd.log"
wait "$MESHD_PID"
rc=$?
ok "$([ "$rc" != 0 ]; echo $?)" "port in use: meshd -d exits non-zero ($rc)"
like "$(cat "$D/meshd.log")" "Address already in use" "port in use: it says why"
t "port in use: no control socket" test ! -e "$SOCK"
t "port in use: nor its temporary name" test ! -e "$SOCK.new"
msgs | grep -q '^READY=1'
ok $((! $?)) "failed starts: no READY=1" || diag "$(cat "$LOG")"
grep -qx EARLY "$LOG"
ok $((! $?)) "failed starts: the control socket's path never appeared"
kill "$HOLDER"

done_testing
