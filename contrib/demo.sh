#!/usr/bin/env bash
# make demo: a small mesh in network namespaces.  Four hosts on one
# underlay (a bridge, 198.18.0.0/24): coord, alpha and beta run meshd with
# only a mesh block each (a certificate from the demo's admin key, and
# coord as their coordinator); gamma runs Debian's stock wireguard-go as a
# static peer of alpha.  The mesh forms, every node pings every other it
# may reach, then meshctl shows alpha's peers and beta's mesh.  Everything
# is removed at the end.  Needs root (namespaces, TUN).
set -u
: "${MESHD_ROOT:?run it through make demo}"
MESHD=$MESHD_ROOT/sbin/meshd
MESHCTL=$MESHD_ROOT/sbin/meshctl
P=md$$
BR=${P}br GIF=${P}wg
D=$(mktemp -d /tmp/meshd-demo.XXXXXX)
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	for n in coord alpha beta gamma; do ip netns del "$P$n" 2>/dev/null; done
	ip netns del "$BR" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
step() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
die() { echo "demo: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "make demo needs root (network namespaces, TUN)"
command -v wireguard-go >/dev/null || die "wireguard-go missing (contrib/install-deps.sh)"
command -v jq >/dev/null || die "jq missing (contrib/install-deps.sh)"
"$(dirname "$0")/adduser.sh" _meshd >/dev/null || exit 1

step "four hosts on one underlay: coord .1, alpha .2 and beta .3 run meshd, gamma .4 runs wireguard-go"
ip netns add "$BR" || exit 1
ip -n "$BR" link add br0 type bridge
ip -n "$BR" link set br0 up
i=1
for n in coord alpha beta gamma; do
	ip netns add "$P$n" || exit 1
	ip -n "$P$n" link set lo up
	ip link add u0 netns "$P$n" type veth peer name "p$n" netns "$BR"
	ip -n "$BR" link set "p$n" master br0 up
	ip -n "$P$n" addr add "198.18.0.$i/24" dev u0
	ip -n "$P$n" link set u0 up
	i=$((i + 1))
done

step "the mesh admin's key (Ed25519, kept offline), and a key per node"
(umask 077; "$MESHCTL" ca genkey >"$D/admin.key")
CA=$("$MESHCTL" ca pubkey <"$D/admin.key")
echo "admin public key: $CA"
for n in coord alpha beta gamma; do
	(umask 077; "$MESHCTL" genkey >"$D/$n.key")
	"$MESHCTL" pubkey <"$D/$n.key" >"$D/$n.pub"
done

step "the admin signs a certificate per meshd node: name, key, addresses"
i=1
for n in coord alpha beta; do
	role=
	[ "$n" = coord ] && role="-R coordinator"
	# shellcheck disable=SC2086
	run "$MESHCTL" sign -k "$D/admin.key" -m demo -n "$n" \
	    -p "$(cat "$D/$n.pub")" -a "100.64.0.$i,fd00:6d65:7368::$i" \
	    -g servers $role >"$D/$n.crt" || die "sign $n"
	i=$((i + 1))
done
run "$MESHCTL" show cert "$D/alpha.crt"

meshconf() {	# meshconf NAME: only a mesh block (and, for alpha, gamma)
	cat <<CONF
# $1: a member of mesh "demo"; its addresses come from its certificate
interface "mesh0" {
	listen-port 51820
	private-key-file "$D/$1.key"
}
mesh "demo" {
	ca "$CA"
	certificate-file "$D/$1.crt"
CONF
	if [ "$1" = coord ]; then
		printf '\tserve coordinator\n'
	else
		printf '\tcoordinator "coord" {\n\t\tpublic-key "%s"\n' \
		    "$(cat "$D/coord.pub")"
		printf '\t\tendpoint "198.18.0.1:51820"\n\t}\n'
	fi
	printf '}\n'
	[ "$1" = alpha ] && cat <<CONF
# a plain WireGuard peer beside the mesh
peer "gamma" {
	public-key "$(cat "$D/gamma.pub")"
	endpoint "198.18.0.4:51820"
	allowed-ips 100.64.0.4/32, fd00:6d65:7368::4/128
	persistent-keepalive 25
}
CONF
}
for n in coord alpha beta; do meshconf "$n" >"$D/$n.conf"; done

step "alpha's config, checked and printed canonically"
run "$MESHD" -nv -f "$D/alpha.conf" || exit 1

step "starting wireguard-go on gamma, then meshd on coord, alpha and beta"
ip netns exec "${P}gamma" env LOG_LEVEL=error wireguard-go -f "$GIF" \
    2>"$D/gamma.log" &
PIDS+=("$!")
for i in $(seq 50); do
	[ -S "/var/run/wireguard/$GIF.sock" ] && break
	sleep 0.1
done
[ -S "/var/run/wireguard/$GIF.sock" ] || { cat "$D/gamma.log"; die "wireguard-go did not start"; }
ip -n "${P}gamma" addr add 100.64.0.4/24 dev "$GIF"
ip -n "${P}gamma" addr add fd00:6d65:7368::4/64 dev "$GIF" nodad
ip -n "${P}gamma" link set "$GIF" mtu 1400 up
ip netns exec "${P}gamma" wg set "$GIF" private-key "$D/gamma.key" listen-port 51820 \
    peer "$(cat "$D/alpha.pub")" endpoint 198.18.0.2:51820 \
	allowed-ips 100.64.0.2/32,fd00:6d65:7368::2/128 || die "wg set"
for n in coord alpha beta; do
	ip netns exec "$P$n" "$MESHD" -d -f "$D/$n.conf" -s "$D/$n.sock" \
	    2>"$D/$n.log" &
	PIDS+=("$!")
done
# up once meshctl gets an answer: the socket's path comes before meshd
# has bound its UDP port, and a first handshake sent then is lost
up() { "$MESHCTL" -s "$D/$1.sock" show status >/dev/null 2>&1; }
# knows NODE N: NODE holds N members' certificates
knows() {
	[ "$("$MESHCTL" -s "$D/$1.sock" -j show peers 2>/dev/null |
	    jq '[.peers[] | select(.cert_expires != null)] | length')" \
	    = "$2" ] 2>/dev/null
}
for i in $(seq 100); do
	up coord && up alpha && up beta && knows alpha 2 && knows beta 2 &&
	    break
	sleep 0.1
done
knows alpha 2 && knows beta 2 || { cat "$D"/*.log; die "the mesh did not form"; }

step "everyone pings everyone through the tunnel (gamma: alpha, its one peer)"
fail=0
ping_all() {	# ping_all FROM TO...
	local from=$1 to a out; shift
	for to; do
		for a in "100.64.0.$to" "fd00:6d65:7368::$to"; do
			if out=$(ip netns exec "$P$from" ping -c 2 -i 0.2 -W 2 "$a" 2>&1); then
				printf '%-6s -> %-20s %s\n' "$from" "$a" \
				    "$(echo "$out" | sed -n 's/.*rtt.* = [^/]*\/\([^/]*\)\/.*/avg \1 ms/p')"
			else
				printf '%-6s -> %-20s FAILED\n' "$from" "$a"; fail=1
			fi
		done
	done
}
ping_all coord 2 3
ping_all alpha 1 3 4
ping_all beta 1 2
ping_all gamma 2

step "what alpha's operator sees: mesh members and the static peer"
run "$MESHCTL" -s "$D/alpha.sock" show peers
run "$MESHCTL" -s "$D/beta.sock" show mesh
step "and the stock WireGuard side"
run ip netns exec "${P}gamma" wg show "$GIF"

step "stopping"
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
PIDS=()
echo "alpha's log:"; sed 's/^/    /' "$D/alpha.log"
[ "$fail" = 0 ] && echo "all pings answered" || echo "SOME PINGS FAILED"
exit "$fail"
