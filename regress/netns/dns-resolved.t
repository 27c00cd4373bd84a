#!/usr/bin/env bash
# The mesh DNS and systemd-resolved: meshd tells it the interface's DNS
# servers and ~DOMAIN with resolvectl, again when a reload changes the
# domain, and reverts it when it stops.  Run in new mount, network and
# PID namespaces, where meshd shares "init's" network namespace, with a
# resolvectl of our own on PATH that writes down its arguments and a
# private /run that holds resolved's socket path; the host's resolver is
# never touched.

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds wg unshare
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

tmpdir_new D
mkdir "$D/bin"
cat >"$D/bin/resolvectl" <<EOF2
#!/bin/sh
echo "\$*" >>"$D/calls"
EOF2
chmod 755 "$D/bin/resolvectl"
mesh_ca || fail_setup "an admin key"
mesh_cert n1 1 -R coordinator || fail_setup "a certificate"
MESH_EXTRA=$'\tdomain "Mesh.Test"' mesh_conf n1 serve

cat >"$D/run.sh" <<EOF2
mount -t tmpfs tmpfs /run || exit 1
mkdir -p /run/systemd/resolve && : >/run/systemd/resolve/io.systemd.Resolve
ip link set lo up
PATH=$D/bin:\$PATH "$MESHD" -d -f "$D/n1.conf" -s "$D/n1.sock" \
    2>"$D/n1.log" &
pid=\$!
for i in \$(seq 100); do
	"$MESHCTL" -s "$D/n1.sock" show dns >"$D/show1" 2>/dev/null && break
	sleep 0.05
done
sed -i 's/Mesh.Test/other.test/' "$D/n1.conf"
"$MESHCTL" -s "$D/n1.sock" reload >/dev/null
"$MESHCTL" -s "$D/n1.sock" show dns >"$D/show2"
cp "$D/calls" "$D/calls-running"
kill \$pid
wait \$pid
EOF2
unshare -m -n -p -f --mount-proc bash "$D/run.sh"
ok $? "meshd runs and stops in its namespaces"

is "$(sed -n 1,2p "$D/calls-running" | tr '\n' '|')" \
    "dns msh0 100.64.0.1 fd00:6d65:7368::1|domain msh0 ~mesh.test|" \
    "at start: resolvectl dns with both addresses, domain ~mesh.test"
has "$(cat "$D/show1")" "resolver: systemd-resolved: msh0 for ~mesh.test" \
    "show dns says what resolved was told"
is "$(sed -n 3,5p "$D/calls-running" | tr '\n' '|')" \
    "revert msh0|dns msh0 100.64.0.1 fd00:6d65:7368::1|domain msh0 ~other.test|" \
    "a reload with another domain: reverted, told again"
has "$(cat "$D/show2")" "for ~other.test" "show dns has the new domain"
is "$(sed -n '$p' "$D/calls")" "revert msh0" "at exit: resolvectl revert"
has "$(cat "$D/n1.log")" "settings for msh0 reverted" "and the log says so"
done_testing
