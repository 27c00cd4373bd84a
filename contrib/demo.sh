#!/usr/bin/env bash
# make demo: a meshd node in a network namespace of its own, from a config
# generated here with meshctl genkey, shown with meshctl, then stopped and
# cleaned up.  Needs root (namespaces, TUN).
set -u
: "${MESHD_ROOT:?run it through make demo}"
MESHD=$MESHD_ROOT/sbin/meshd
MESHCTL=$MESHD_ROOT/sbin/meshctl
NS=meshdemo$$
D=$(mktemp -d /tmp/meshd-demo.XXXXXX)
PID=

cleanup() {
	if [ -n "$PID" ]; then kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; fi
	ip netns del "$NS" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
step() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

[ "$(id -u)" = 0 ] || { echo "make demo needs root (network namespaces, TUN)" >&2; exit 1; }
"$(dirname "$0")/adduser.sh" _meshd >/dev/null || exit 1

step "keys, made with meshctl (the same format as wg genkey)"
(umask 077
 "$MESHCTL" genkey >"$D/alpha.key"
 "$MESHCTL" genkey >"$D/beta.key"
 "$MESHCTL" genkey >"$D/gamma.key"
 "$MESHCTL" genpsk >"$D/beta.psk")
BETA=$("$MESHCTL" pubkey <"$D/beta.key")
GAMMA=$("$MESHCTL" pubkey <"$D/gamma.key")
echo "alpha's public key: $("$MESHCTL" pubkey <"$D/alpha.key")"

cat >"$D/meshd.conf" <<CONF
# alpha: one node of a small mesh
interface "mesh0" {
	address 100.64.0.1/24
	address fd00:6d65:7368::1/64
	listen-port 51820
	private-key-file "$D/alpha.key"
}
peer "beta" {
	public-key "$BETA"
	preshared-key-file "$D/beta.psk"
	endpoint "198.18.0.2:51820"
	allowed-ips 100.64.0.2/32, fd00:6d65:7368::2/128
	persistent-keepalive 25
}
peer "gamma" {
	public-key "$GAMMA"
	endpoint "198.18.0.3:51820"
	allowed-ips 100.64.0.3/32
}
CONF
step "the config, checked and printed canonically"
run "$MESHD" -nv -f "$D/meshd.conf" || exit 1

step "meshd in namespace $NS"
ip netns add "$NS" && ip -n "$NS" link set lo up || exit 1
ip netns exec "$NS" "$MESHD" -d -f "$D/meshd.conf" -s "$D/meshd.sock" 2>"$D/log" &
PID=$!
for i in $(seq 50); do [ -S "$D/meshd.sock" ] && break; sleep 0.1; done
sleep 0.3
[ -S "$D/meshd.sock" ] || { cat "$D/log"; echo "meshd did not start" >&2; exit 1; }

step "the interface meshd made"
run ip -n "$NS" addr show dev mesh0
step "status"
run "$MESHCTL" -s "$D/meshd.sock" show status
step "peers"
run "$MESHCTL" -s "$D/meshd.sock" show peers
step "one peer, and the same as JSON"
run "$MESHCTL" -s "$D/meshd.sock" show peer beta
run "$MESHCTL" -s "$D/meshd.sock" -j show peer beta

step "stopping"
kill "$PID"; wait "$PID"; st=$?; PID=
echo "meshd exited with status $st; its log:"
sed 's/^/    /' "$D/log"
if ip -n "$NS" link show mesh0 >/dev/null 2>&1; then echo "mesh0 is still there!"; st=1
else echo "mesh0 is gone"; fi
echo
echo "This release sets up the processes, the interface and the control socket;"
echo "the encrypted data plane comes next."
exit "$st"
