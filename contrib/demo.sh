#!/usr/bin/env bash
# make demo: a small mesh in network namespaces.  Three nodes on one
# underlay (a bridge, 198.18.0.0/24): alpha and beta run meshd, gamma runs
# Debian's stock wireguard-go.  Every node pings every other through the
# tunnel, then meshctl shows alpha's peers.  Everything is removed at the
# end.  Needs root (namespaces, TUN).
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
	for n in alpha beta gamma; do ip netns del "$P$n" 2>/dev/null; done
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
"$(dirname "$0")/adduser.sh" _meshd >/dev/null || exit 1

step "three hosts on one underlay: alpha .1 and beta .2 run meshd, gamma .3 runs wireguard-go"
ip netns add "$BR" || exit 1
ip -n "$BR" link add br0 type bridge
ip -n "$BR" link set br0 up
i=1
for n in alpha beta gamma; do
	ip netns add "$P$n" || exit 1
	ip -n "$P$n" link set lo up
	ip link add u0 netns "$P$n" type veth peer name "p$n" netns "$BR"
	ip -n "$BR" link set "p$n" master br0 up
	ip -n "$P$n" addr add "198.18.0.$i/24" dev u0
	ip -n "$P$n" link set u0 up
	i=$((i + 1))
done

step "keys, made with meshctl (the same format as wg genkey)"
for n in alpha beta gamma; do
	(umask 077; "$MESHCTL" genkey >"$D/$n.key")
	"$MESHCTL" pubkey <"$D/$n.key" >"$D/$n.pub"
	printf '%-6s %s\n' "$n" "$(cat "$D/$n.pub")"
done
(umask 077; "$MESHCTL" genpsk >"$D/alpha-beta.psk")

meshconf() {	# meshconf NAME NUM OTHER OTHERNUM
	local psk=""
	[ "$3" = beta ] || [ "$3" = alpha ] && psk="	preshared-key-file \"$D/alpha-beta.psk\""
	cat <<CONF
# $1: one node of a small mesh
interface "mesh0" {
	address 100.64.0.$2/24
	address fd00:6d65:7368::$2/64
	listen-port 51820
	private-key-file "$D/$1.key"
}
peer "$3" {
	public-key "$(cat "$D/$3.pub")"
$psk
	endpoint "198.18.0.$4:51820"
	allowed-ips 100.64.0.$4/32, fd00:6d65:7368::$4/128
}
peer "gamma" {
	public-key "$(cat "$D/gamma.pub")"
	endpoint "198.18.0.3:51820"
	allowed-ips 100.64.0.3/32, fd00:6d65:7368::3/128
	persistent-keepalive 25
}
CONF
}
meshconf alpha 1 beta 2 >"$D/alpha.conf"
meshconf beta 2 alpha 1 >"$D/beta.conf"

step "alpha's config, checked and printed canonically"
run "$MESHD" -nv -f "$D/alpha.conf" || exit 1

step "starting wireguard-go on gamma, then meshd on alpha and beta"
ip netns exec "${P}gamma" env LOG_LEVEL=error wireguard-go -f "$GIF" \
    2>"$D/gamma.log" &
PIDS+=("$!")
for i in $(seq 50); do
	[ -S "/var/run/wireguard/$GIF.sock" ] && break
	sleep 0.1
done
[ -S "/var/run/wireguard/$GIF.sock" ] || { cat "$D/gamma.log"; die "wireguard-go did not start"; }
ip -n "${P}gamma" addr add 100.64.0.3/24 dev "$GIF"
ip -n "${P}gamma" addr add fd00:6d65:7368::3/64 dev "$GIF" nodad
ip -n "${P}gamma" link set "$GIF" mtu 1400 up
ip netns exec "${P}gamma" wg set "$GIF" private-key "$D/gamma.key" listen-port 51820 \
    peer "$(cat "$D/alpha.pub")" endpoint 198.18.0.1:51820 \
	allowed-ips 100.64.0.1/32,fd00:6d65:7368::1/128 \
    peer "$(cat "$D/beta.pub")" endpoint 198.18.0.2:51820 \
	allowed-ips 100.64.0.2/32,fd00:6d65:7368::2/128 || die "wg set"
for n in alpha beta; do
	ip netns exec "$P$n" "$MESHD" -d -f "$D/$n.conf" -s "$D/$n.sock" \
	    2>"$D/$n.log" &
	PIDS+=("$!")
done
# up once meshctl gets an answer: the socket's path comes before meshd
# has bound its UDP port, and a first handshake sent then is lost
up() { "$MESHCTL" -s "$D/$1.sock" show status >/dev/null 2>&1; }
for i in $(seq 100); do
	up alpha && up beta && break
	sleep 0.1
done
up alpha && up beta || { cat "$D"/*.log; die "meshd did not start"; }

step "everyone pings everyone through the tunnel"
fail=0
for from in alpha beta gamma; do
	for to in 1 2 3; do
		[ "$from" = alpha ] && [ "$to" = 1 ] && continue
		[ "$from" = beta ] && [ "$to" = 2 ] && continue
		[ "$from" = gamma ] && [ "$to" = 3 ] && continue
		for a in "100.64.0.$to" "fd00:6d65:7368::$to"; do
			if out=$(ip netns exec "$P$from" ping -c 2 -i 0.2 -W 2 "$a" 2>&1); then
				printf '%-6s -> %-20s %s\n' "$from" "$a" \
				    "$(echo "$out" | sed -n 's/.*rtt.* = [^/]*\/\([^/]*\)\/.*/avg \1 ms/p')"
			else
				printf '%-6s -> %-20s FAILED\n' "$from" "$a"; fail=1
			fi
		done
	done
done

step "what alpha's operator sees"
run "$MESHCTL" -s "$D/alpha.sock" show peers
run "$MESHCTL" -s "$D/alpha.sock" show peer gamma
step "and the stock WireGuard side"
run ip netns exec "${P}gamma" wg show "$GIF"

step "stopping"
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
PIDS=()
echo "alpha's log:"; sed 's/^/    /' "$D/alpha.log"
[ "$fail" = 0 ] && echo "all pings answered" || echo "SOME PINGS FAILED"
exit "$fail"
