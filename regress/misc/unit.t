#!/usr/bin/env bash
# The systemd unit, made from contrib/meshd.service.in as make install
# makes it, judged offline by systemd-analyze: verify has nothing to say,
# and security scores its exposure at most EXPOSURE_MAX (measured 2.9 with
# systemd 252, Debian 12; it was 4.0 before the unit became Type=notify
# and got its system call deny list).  The score is reported as a TAP
# diagnostic.  A copy without the hardening scores worse: the check can
# fail.  Type=notify with NotifyAccess=main, the state directory, and the
# deny list with chroot and setrlimit taken back are checked as lines.

. "$(dirname "$0")/../lib.sh"
EXPOSURE_MAX=2.9

command -v systemd-analyze >/dev/null ||
    skip_all "systemd-analyze not installed (Debian package systemd)"
# security --offline= came with systemd 250
v=$(systemd-analyze --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p')
[ "${v:-0}" -ge 250 ] ||
    skip_all "systemd ${v:-?} is older than 250: no security --offline"
[ -x "$MESHD" ] && [ -x "$MESHCTL" ] ||
    skip_all "$MESHD not installed (run make check)"

tmpdir_new D
UNIT=$D/meshd.service
# as the GNUmakefile's install target does, with the installed binaries
sed "s#@SBINDIR@#$MESHD_ROOT/sbin#g" "$MESHD_SRC/contrib/meshd.service.in" \
    >"$UNIT"
unit=$(cat "$UNIT")
has_line() { grep -qxF -- "$2" <<<"$1"; }
for l in "Type=notify" "NotifyAccess=main" "StateDirectory=meshd" \
    "StateDirectoryMode=0700" "ReadWritePaths=/run" \
    "SystemCallFilter=chroot setrlimit" "SystemCallErrorNumber=EPERM"; do
	has_line "$unit" "$l"; ok $? "the unit has: $l"
done
grep -q '^RuntimeDirectory=' <<<"$unit"
ok $((! $?)) "no RuntimeDirectory= (/run/wireguard is shared; see the unit)"

out=$(MANPATH=$MESHD_ROOT/share/man systemd-analyze verify "$UNIT" 2>&1)
is "$?:$out" "0:" "systemd-analyze verify: exit 0, nothing to say"

# exposure UNIT: the overall exposure systemd-analyze security gives it
exposure() {
	systemd-analyze security --offline=yes --no-pager "$1" 2>&1 |
	    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}
# le A B: true if the decimal A is at most B
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }

score=$(exposure "$UNIT")
diag "systemd-analyze security (systemd $v): overall exposure $score" \
    "(0 safest, 10 least safe; at most $EXPOSURE_MAX here)"
like "$score" '^[0-9]+\.[0-9]$' "systemd-analyze security gives a score"
le "$score" "$EXPOSURE_MAX"
ok $? "exposure $score is at most $EXPOSURE_MAX"
sec=$(systemd-analyze security --offline=yes --no-pager "$UNIT" 2>&1)
for g in clock debug module obsolete raw-io reboot swap; do
	like "$sec" "✓ SystemCallFilter=~@$g " "security: @$g is denied"
done
like "$sec" "✓ NotifyAccess= " "security: only the main process notifies"

# without the hardening (system call filter, no_new_privs, capability
# bounding set) the same unit scores worse
grep -v '^SystemCallFilter=\|^NoNewPrivileges=\|^CapabilityBoundingSet=' \
    "$UNIT" >"$D/loose.service"
loose=$(exposure "$D/loose.service")
diag "the unit without its hardening: exposure $loose"
le "$loose" "$EXPOSURE_MAX"
ok $((! $?)) "a looser unit scores above $EXPOSURE_MAX ($loose)"

done_testing
