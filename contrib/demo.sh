#!/usr/bin/env bash
# make demo: a small mesh in network namespaces, built with the NAT lab of
# the tests (regress/natlab.sh).  On the "internet" (a bridge, 198.18.0.0/20):
# coord, the mesh's coordinator, and gamma, which runs Debian's stock
# wireguard-go.  alpha sits behind a port-restricted NAT, beta behind an
# address-restricted one, each in a LAN of private addresses
# (198.19.K.0/24): they find each other through coord and punch a direct
# path through both NATs.  coord, alpha and beta run meshd with only a mesh
# block each (a certificate from the demo's admin key, and coord as their
# coordinator); gamma is a static peer of alpha.  edge, on the internet
# too, is a relay of the mesh (serve relay, TLS on TCP 443 with a
# self-signed ECDSA P-256 certificate made here), and so is coord; delta's
# site drops all UDP: delta's config names coord's relay (relay in its
# coordinator block), through which it reaches coord and registers, then
# alpha and beta through a relay.  Every node pings every other it may
# reach, then meshctl shows alpha's NAT (netcheck), alpha's peers with
# their paths, beta's mesh and delta's peers ("relay coord" or "relay
# edge": a peer is reached through its home relay, the one it found
# nearest).  gw, on the internet, is the mesh's
# exit node (its certificate has the exit routes 0.0.0.0/0,::/0; serve
# exit): a reload gives alpha exit-node "gw", and alpha's pings to www,
# a host on the internet (198.18.0.9), then go through the tunnel and
# come to www from gw's address, no longer from alpha's NAT.  Everything is
# removed at the end.  Needs root (namespaces, TUN).
set -u
: "${MESHD_ROOT:?run it through make demo}"
MESHD=$MESHD_ROOT/sbin/meshd
MESHCTL=$MESHD_ROOT/sbin/meshctl
P=md$$
GIF=${P}wg
D=$(mktemp -d /tmp/meshd-demo.XXXXXX)
PIDS=()
T_NETNS=()

# natlab.sh makes its namespaces with netns_new, as the tests' lib.sh does
netns_new() {
	ip netns add "$1" || return 1
	T_NETNS+=("$1")
	ip -n "$1" link set lo up
}
cleanup() {
	local p n
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	for n in "${T_NETNS[@]}"; do ip netns del "$n" 2>/dev/null; done
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
command -v nft >/dev/null || die "nft missing (contrib/install-deps.sh)"
command -v turnserver >/dev/null || die "turnserver missing (contrib/install-deps.sh)"
command -v openssl >/dev/null || die "openssl missing (contrib/install-deps.sh)"
"$(dirname "$0")/adduser.sh" _meshd >/dev/null || exit 1
# shellcheck source=../regress/natlab.sh
. "$(dirname "$0")/../regress/natlab.sh"

step "the internet: coord (198.18.0.2), gamma (198.18.0.4), a STUN server (coturn, 198.18.0.5 and .6), edge, a relay (198.18.0.7), delta behind a firewall (198.18.0.8), www (198.18.0.9), gw, an exit node (198.18.0.10); alpha behind a port-restricted NAT, beta behind an address-restricted one"
natlab_internet "${P}net" &&
    natlab_public "${P}coord" 2 && natlab_public "${P}gamma" 4 &&
    natlab_public "${P}stun" 5 6 && natlab_public "${P}edge" 7 &&
    natlab_public "${P}delta" 8 && natlab_public "${P}www" 9 &&
    natlab_public "${P}gw" 10 &&
    natlab_site "${P}nat1" 1 port-restricted &&
    natlab_host "${P}nat1" "${P}alpha" 2 &&
    natlab_site "${P}nat2" 2 addr-restricted &&
    natlab_host "${P}nat2" "${P}beta" 2 || die "the namespaces"
printf '%-6s %-14s %s\n' coord 198.18.0.2 "on the internet" \
    gamma 198.18.0.4 "on the internet (wireguard-go)" \
    alpha "$(natlab_addr "${P}alpha")" "behind $(natlab_ext "${P}nat1") (port-restricted NAT)" \
    beta "$(natlab_addr "${P}beta")" "behind $(natlab_ext "${P}nat2") (address-restricted NAT)" \
    edge 198.18.0.7 "on the internet (a relay: TLS on TCP 443)" \
    delta 198.18.0.8 "behind a firewall that drops all UDP" \
    www 198.18.0.9 "on the internet, not in the mesh" \
    gw 198.18.0.10 "on the internet (the mesh's exit node)"
# delta's site: no UDP at all, either way; TCP passes
ip netns exec "${P}delta" nft -f - <<'NFT' || die "delta's firewall"
table inet site {
	chain out {
		type filter hook output priority 0;
		oifname "eth0" meta l4proto udp drop
	}
	chain in {
		type filter hook input priority 0;
		iifname "eth0" meta l4proto udp drop
	}
}
NFT
# a STUN server at two addresses: a member tells how its NAT maps
ip netns exec "${P}stun" turnserver -n --stun-only -L 198.18.0.5 \
    -L 198.18.0.6 --listening-port 3478 --db "$D/turndb" --no-cli \
    --no-tls --no-dtls --no-software-attribute --log-file "$D/turn.log" \
    --simple-log --no-stdout-log >/dev/null 2>&1 &
PIDS+=("$!")

step "the mesh admin's key (Ed25519, kept offline), and a key per node"
(umask 077; "$MESHCTL" ca genkey >"$D/admin.key")
CA=$("$MESHCTL" ca pubkey <"$D/admin.key")
echo "admin public key: $CA"
for n in coord alpha beta gamma edge delta gw; do
	(umask 077; "$MESHCTL" genkey >"$D/$n.key")
	"$MESHCTL" pubkey <"$D/$n.key" >"$D/$n.pub"
done

step "the admin signs a certificate per meshd node: name, key, addresses"
for ni in coord:1 alpha:2 beta:3 edge:5 delta:6 gw:7; do
	n=${ni%%:*} i=${ni##*:} role=
	[ "$n" = coord ] && role="-R coordinator,relay"
	# gw's exit routes: members may send it all their traffic
	[ "$n" = gw ] && role="-r 0.0.0.0/0,::/0"
	[ "$n" = edge ] && role="-R relay"
	# shellcheck disable=SC2086
	run "$MESHCTL" sign -k "$D/admin.key" -m demo -n "$n" \
	    -p "$(cat "$D/$n.pub")" -a "100.64.0.$i,fd00:6d65:7368::$i" \
	    -g servers $role >"$D/$n.crt" || die "sign $n"
done
run "$MESHCTL" show cert "$D/alpha.crt"

step "the relays' TLS key and a self-signed certificate (members do not check it: a relay proves itself by its key in the mesh)"
(umask 077; run openssl ecparam -name prime256v1 -genkey -noout \
    -out "$D/tls.key") || die "the TLS key"
run openssl req -new -x509 -key "$D/tls.key" -out "$D/tls.crt" -days 30 \
    -subj /CN=www.example.com || die "the TLS certificate"

meshconf() {	# meshconf NAME [LINE]: only a mesh block (and, for alpha, gamma);
		# LINE goes into the mesh block
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
		printf '\tstun "198.18.0.5:3478"\n\tstun "198.18.0.6:3478"\n'
		printf '\tcoordinator "coord" {\n\t\tpublic-key "%s"\n' \
		    "$(cat "$D/coord.pub")"
		printf '\t\tendpoint "198.18.0.2:51820"\n'
		# delta's site lets no UDP out: coord's relay, over TLS
		[ "$1" = delta ] &&
		    printf '\t\trelay "198.18.0.2:443"\n'
		printf '\t}\n'
	fi
	[ -n "${2:-}" ] && printf '\t%s\n' "$2"
	[ "$1" = gw ] && printf '\tserve exit\n'
	[ "$1" = edge ] || [ "$1" = coord ] &&
	    printf '\tserve relay {\n\t\tlisten "0.0.0.0:443"\n\t\ttls-certificate-file "%s"\n\t\ttls-key-file "%s"\n\t}\n' \
	    "$D/tls.crt" "$D/tls.key"
	printf '}\n'
	[ "$1" = alpha ] && cat <<CONF
# a plain WireGuard peer beside the mesh; alpha is behind a NAT, so it
# keeps the way open
peer "gamma" {
	public-key "$(cat "$D/gamma.pub")"
	endpoint "198.18.0.4:51820"
	allowed-ips 100.64.0.4/32, fd00:6d65:7368::4/128
	persistent-keepalive 25
}
CONF
}
NODES="coord alpha beta edge delta gw"
for n in $NODES; do meshconf "$n" >"$D/$n.conf"; done

step "alpha's config, checked and printed canonically"
run "$MESHD" -nv -f "$D/alpha.conf" || exit 1

step "starting wireguard-go on gamma, then meshd on coord, alpha, beta, edge, delta and gw"
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
# no endpoint for alpha: it is behind a NAT and comes to gamma
ip netns exec "${P}gamma" wg set "$GIF" private-key "$D/gamma.key" listen-port 51820 \
    peer "$(cat "$D/alpha.pub")" \
	allowed-ips 100.64.0.2/32,fd00:6d65:7368::2/128 || die "wg set"
for n in $NODES; do
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
formed() {
	local n
	for n in $NODES; do up "$n" || return 1; done
	knows alpha 5 && knows beta 5 && knows delta 5
}
for i in $(seq 100); do
	formed && break
	sleep 0.1
done
formed || { cat "$D"/*.log; die "the mesh did not form"; }
# delta's first handshakes over UDP go unanswered: 2 s on, a relay
ip netns exec "${P}delta" ping -c 1 -i 0.2 -w 15 100.64.0.2 >/dev/null 2>&1
ip netns exec "${P}delta" ping -c 1 -i 0.2 -w 15 100.64.0.3 >/dev/null 2>&1

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
ping_all alpha 1 3 4 6
ping_all beta 1 2 6
ping_all gamma 2
ping_all delta 1 2 3

# netcheck answers from what alpha measured: wait for both STUN answers
for i in $(seq 50); do
	"$MESHCTL" -s "$D/alpha.sock" -j netcheck 2>/dev/null |
	    jq -e '.mapping != "unknown"' >/dev/null && break
	sleep 0.1
done
step "what alpha's operator sees: its NAT, and its peers with their paths (beta's punched through both NATs)"
run "$MESHCTL" -s "$D/alpha.sock" netcheck
run "$MESHCTL" -s "$D/alpha.sock" show peers
run "$MESHCTL" -s "$D/alpha.sock" show peer beta
run "$MESHCTL" -s "$D/beta.sock" show mesh
step "delta, whose site drops all UDP: coord through coord's relay, alpha and beta through a relay"
run "$MESHCTL" -s "$D/delta.sock" show peers
run "$MESHCTL" -s "$D/delta.sock" show peer beta
if command -v dig >/dev/null; then
	step "mesh DNS: alpha asks its own meshd for beta, gamma (a static peer) and itself"
	for name in beta.tunnelmesh gamma.tunnelmesh this.tunnelmesh; do
		run ip netns exec "${P}alpha" dig +short @100.64.0.2 "$name" A
	done
	run ip netns exec "${P}alpha" dig +noall +comments @100.64.0.2 \
	    nobody.tunnelmesh A
	run "$MESHCTL" -s "$D/alpha.sock" show dns
fi
step "beta's packet filter: a reload adds a filter block; alpha reaches port 80 on beta, not port 22"
cat >>"$D/beta.conf" <<'CONF'
filter {
	pass out all
	pass in proto { icmp, icmp6 }
	pass in proto tcp to port 80
	block in quick proto tcp to port 22
}
CONF
run "$MESHCTL" -s "$D/beta.sock" reload
for port in 80 22; do
	ip netns exec "${P}beta" nc -l -k 100.64.0.3 "$port" </dev/null \
	    >/dev/null 2>&1 &
	PIDS+=("$!")
done
sleep 0.3
for port in 80 22; do
	if ip netns exec "${P}alpha" nc -z -w 2 100.64.0.3 "$port" 2>/dev/null
	then printf 'alpha -> beta:%-3s connected\n' "$port"
	else printf 'alpha -> beta:%-3s blocked\n' "$port"; fi
done
run "$MESHCTL" -s "$D/beta.sock" show filter
run "$MESHCTL" -s "$D/beta.sock" show states
step "an exit node: www counts who its packets come from; alpha pings it directly (from its NAT, 198.18.1.1)"
ip netns exec "${P}www" nft -f - <<'NFT' || die "www's counters"
table inet seen {
	chain in {
		type filter hook input priority 0;
		icmp type echo-request ip saddr 198.18.1.1 counter comment "alpha's NAT"
		icmp type echo-request ip saddr 198.18.0.10 counter comment "gw"
	}
}
NFT
# the exit node's side: what comes out of the tunnel for www
ip netns exec "${P}gw" nft -f - <<'NFT' || die "gw's counter"
table inet seen {
	chain through {
		type filter hook forward priority 0;
		iifname "mesh0" ip daddr 198.18.0.9 counter comment "from the tunnel to www"
	}
}
NFT
# seen NS COMMENT: packets counted by NS's rule with that comment
seen() {
	ip netns exec "$P$1" nft -j list table inet seen |
	    jq "[.nftables[].rule? | select(. != null) |
	    select(.comment == \"$2\") | .expr[-1].counter.packets] | add"
}
run ip netns exec "${P}alpha" ping -c 2 -i 0.2 -W 2 -q 198.18.0.9 || fail=1
printf 'www saw %s pings from alpha'"'"'s NAT, %s from gw\n' \
    "$(seen www "alpha's NAT")" "$(seen www gw)"
step "a reload gives alpha exit-node \"gw\" (gw: serve exit, its certificate has 0.0.0.0/0,::/0): alpha's pings to www go through the tunnel"
meshconf alpha 'exit-node "gw"' >"$D/alpha.conf"
run "$MESHCTL" -s "$D/alpha.sock" reload
run ip -n "${P}alpha" rule show
run ip -n "${P}alpha" route show table 28005
exitok() {
	ip netns exec "${P}alpha" ping -c 1 -W 1 198.18.0.9 >/dev/null 2>&1
}
for i in $(seq 20); do exitok && break; sleep 0.2; done
n0=$(seen www "alpha's NAT") c0=$(seen www gw)
run ip netns exec "${P}alpha" ping -c 3 -i 0.2 -W 2 -q 198.18.0.9 || fail=1
printf 'www saw %s more pings from alpha'"'"'s NAT, %s more from gw (masqueraded); gw forwarded %s from the tunnel in all\n' \
    "$(($(seen www "alpha's NAT") - n0))" "$(($(seen www gw) - c0))" \
    "$(seen gw "from the tunnel to www")"
[ "$(seen www "alpha's NAT")" = "$n0" ] || { echo "alpha's pings left by its NAT"; fail=1; }
[ "$(($(seen www gw) - c0))" -ge 3 ] || { echo "www did not see gw"; fail=1; }
run ip netns exec "${P}gw" nft list table inet meshd_exit
step "and the stock WireGuard side"
run ip netns exec "${P}gamma" wg show "$GIF"

step "stopping"
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
PIDS=()
echo "alpha's log:"; sed 's/^/    /' "$D/alpha.log"
[ "$fail" = 0 ] && echo "all pings answered" || echo "SOME PINGS FAILED"
exit "$fail"
