#!/usr/bin/env bash
# Logging to syslog without -d.  The children are sandboxed and may not
# open sockets, so their lines travel to the parent over imsg and the
# parent writes them with syslog(3), tagged with the role.  A syslogd
# restart (a new /dev/log socket) must not cost a child its life: before
# log lines went through the parent, glibc's reconnect in a child meant
# socket(2) and a kill by seccomp.
#
# The test runs in a private mount namespace with its own /dev, so the
# /dev/log it listens on is its own and the host's syslog is untouched.

. "$(dirname "$0")/../lib.sh"
need_root
command -v jq >/dev/null || skip_all "jq missing"
command -v unshare >/dev/null || skip_all "unshare missing"
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

if [ -z "${MESHD_SYSLOG_T_INNER:-}" ]; then
	MESHD_SYSLOG_T_INNER=1 exec unshare --mount --propagation private \
	    bash "$0" "$@"
fi

NS=mslg$$
IF=mslg$$
netns_new "$NS"
tmpdir_new D
tmpdir_new DEV
SOCK=$D/meshd.sock
LOG1=$D/syslog.1
LOG2=$D/syslog.2

# /dev with what meshd needs, and room for our /dev/log
mount -t tmpfs -o mode=755 tmpfs "$DEV" || skip_all "cannot mount a tmpfs"
mkdir "$DEV/net"
for n in null zero full random urandom net/tun; do
	[ -e "/dev/$n" ] || continue
	touch "$DEV/$n" && mount --bind "/dev/$n" "$DEV/$n"
done
mount --rbind "$DEV" /dev || skip_all "cannot bind a private /dev"
# unmount before lib.sh removes the directory (the namespace goes anyway)
trap 'umount -l /dev; umount -lR "$DEV"; t_cleanup' EXIT

# a syslogd: each datagram on /dev/log becomes a line in a file
syslogd_start() {	# syslogd_start VAR FILE
	rm -f /dev/log
	start_bg "$1" perl -MIO::Socket::UNIX -e '
	    my $s = IO::Socket::UNIX->new(Type => SOCK_DGRAM(),
		Local => "/dev/log") or die "bind /dev/log: $!\n";
	    open(my $f, ">>", $ARGV[0]) or die "$ARGV[0]: $!\n";
	    $f->autoflush(1);
	    while (defined($s->recv(my $b, 8192))) { print $f "$b\n"; }' "$2"
	wait_for 5 test -S /dev/log
}

(umask 077; wg genkey >"$D/me.key"; wg genkey >"$D/b.key")
cat >"$D/meshd.conf" <<EOF
interface "$IF" {
	address 100.64.9.1/24
	listen-port 51998
	private-key-file "$D/me.key"
}
peer "beta" {
	public-key "$(wg pubkey <"$D/b.key")"
	endpoint "198.18.9.2:51820"
	allowed-ips 100.64.9.2/32
}
EOF

ctl() { "$MESHCTL" -s "$SOCK" "$@"; }
pid_of() { ctl -j show status | jq -r ".processes[] | select(.role == \"$1\") | .pid"; }
alive() { kill -0 "$1" 2>/dev/null; }

syslogd_start LOGD1 "$LOG1"
ok $? "a syslog socket listens on the private /dev/log"

# without -d: meshd daemonizes and logs to syslog
ip netns exec "$NS" "$MESHD" -v -f "$D/meshd.conf" -s "$SOCK"
ok $? "meshd -v (no -d) starts and goes into the background"
# (it returned once ready: meshctl answers at once)
bash -c "set -o pipefail; $MESHCTL -j -s $SOCK show status |
    jq -e '[.processes[] | select(.sandboxed)] | length == 3'" >/dev/null
ok $? "three children report sandboxed"
PARENT=$(pid_of parent)
[ -n "$PARENT" ] && T_PIDS+=("$PARENT")	# the trap stops it
NET=$(pid_of net); CRYPTO=$(pid_of crypto); TUN=$(pid_of tun)

for role in net crypto tun; do
	wait_for 5 grep -q "meshd\[$PARENT\]: $role: started, sandboxed" "$LOG1"
	ok $? "$role's start line reaches syslog through the parent (meshd[$PARENT]: $role: ...)"
done
# priorities as syslog(3) sends them: daemon (3) * 8 + severity
like "$(cat "$LOG1")" "^<31>.*meshd\[$PARENT\]: net: started, sandboxed" \
    "a child's debug line keeps its priority through the parent (<31>)"
like "$(cat "$LOG1")" "^<30>.*meshd\[$PARENT\]: startup: interface " \
    "the parent's info line has daemon.info (<30>)"
bad=$(grep -E "meshd-(net|crypto|tun)\[" "$LOG1")
is "$bad" "" "no child writes to syslog itself"
for p in "$NET" "$CRYPTO" "$TUN"; do
	if ls -l "/proc/$p/fd" 2>/dev/null | grep -q "socket:"; then
		n=$(ls -l "/proc/$p/fd" | grep -c "socket:")
	else
		n=0
	fi
	diag "pid $p: $n sockets open (its imsg pipes, and for net the UDP sockets)"
done

# syslogd restarts: the old socket goes, a new one takes its place
kill "$LOGD1"; wait "$LOGD1" 2>/dev/null
syslogd_start LOGD2 "$LOG2"
ok $? "syslog restarted on a new /dev/log"

# more lines from every child: a reload makes each log its new config
: >"$LOG2"
ctl log verbose >/dev/null
out=$(ctl reload 2>&1)
ok $? "meshctl reload succeeds after the syslog restart" || diag "$out"
sleep 0.5
for p in "$PARENT" "$NET" "$CRYPTO" "$TUN"; do
	alive "$p"
	ok $? "pid $p still runs after the syslog restart"
done
wait_for 5 grep -q "meshd\[$PARENT\]: " "$LOG2"
ok $? "the parent's lines reach the new syslog socket"
for role in net crypto tun; do
	wait_for 5 grep -q "meshd\[$PARENT\]: $role: " "$LOG2"
	ok $? "$role's lines reach the new syslog socket"
done
diag "lines after the restart: $(wc -l <"$LOG2")"
diag "$(head -n 8 "$LOG2")"

kill "$PARENT"
wait_for 5 sh -c "! kill -0 $PARENT"
ok $? "meshd stops on SIGTERM"
wait_for 5 grep -q "meshd\[$PARENT\]: .*\(exiting\|terminated\|shutting\)" "$LOG1" "$LOG2"
diag "last lines: $(tail -n 3 "$LOG2")"

done_testing
