#!/usr/bin/env bash
# The systemd unit and the bash completion as make install leaves them
# under $MESHD_ROOT: the unit names the installed binaries (made from
# contrib/meshd.service.in, no @PLACEHOLDER@ left), reloads through
# "meshctl reload", carries UMask=0077, ProtectProc=invisible and
# PrivateMounts=yes, and systemd-analyze verify finds nothing to say
# about it.

. "$(dirname "$0")/../lib.sh"
UNIT=$MESHD_ROOT/lib/systemd/system/meshd.service
COMPL=$MESHD_ROOT/share/bash-completion/completions/meshctl

[ -f "$UNIT" ]; ok $? "make install put the unit at lib/systemd/system/meshd.service"
[ -f "$UNIT" ] || { done_testing; exit; }
unit=$(cat "$UNIT")
has() { grep -qxF -- "$2" <<<"$1"; }
for l in "ExecStartPre=$MESHD_ROOT/sbin/meshd -n" \
    "ExecStart=$MESHD_ROOT/sbin/meshd -d" \
    "ExecReload=$MESHD_ROOT/sbin/meshctl reload" \
    "UMask=0077" "ProtectProc=invisible" "PrivateMounts=yes" \
    "NoNewPrivileges=yes" "LimitCORE=0"; do
	has "$unit" "$l"; ok $? "the unit has: $l"
done
grep -q '@[A-Z]*@' <<<"$unit"; ok $((! $?)) "no @PLACEHOLDER@ is left"
grep -q '^ExecReload=.*kill' <<<"$unit"; ok $((! $?)) "reload is not a bare kill -HUP"

if command -v systemd-analyze >/dev/null; then
	# the Documentation= pages are looked up where make install put them
	out=$(MANPATH=$MESHD_ROOT/share/man systemd-analyze verify "$UNIT" 2>&1)
	st=$?
	is "$st:$out" "0:" "systemd-analyze verify: exit 0, nothing to say"
	# and it would say something about a mistake (the check can fail)
	tmpdir_new D
	sed 's/^UMask=0077$/UMask=0077\nProtectProcs=invisible/' "$UNIT" \
	    >"$D/meshd.service"
	out=$(MANPATH=$MESHD_ROOT/share/man systemd-analyze verify \
	    "$D/meshd.service" 2>&1)
	like "$out" "Unknown key 'ProtectProcs'" \
	    "systemd-analyze verify reports a misspelt setting"
else
	diag "systemd-analyze not installed (Debian package systemd): verify skipped"
fi

cmp -s "$COMPL" "$MESHD_SRC/contrib/meshctl.bash-completion"
ok $? "make install put the bash completion at share/bash-completion/completions/meshctl"
done_testing
