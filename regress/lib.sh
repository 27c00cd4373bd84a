# TAP helpers and cleanup for meshd's shell tests.  Source it from a test:
#   . "$(dirname "$0")/../lib.sh"
# Everything a test starts or creates is registered here and removed by
# the EXIT trap: processes (only the PIDs the test started), network
# namespaces, files.

T_N=0
T_FAILED=0
T_PIDS=()
T_NETNS=()
T_DIRS=()
: "${MESHD_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${MESHD_BUILD:=$MESHD_SRC/build}"
: "${MESHD_ROOT:=$MESHD_BUILD/root}"
MESHD=$MESHD_ROOT/sbin/meshd
MESHCTL=$MESHD_ROOT/sbin/meshctl
# wg(8)'s sockets (/var/run/wireguard/IFNAME.sock) are the host's, not a
# namespace's: every meshd a test starts serves its own in a directory of
# the test's, so tests that share an interface name do not meet.  The
# tests of that socket set MESHD_UAPI_DIR= (empty: the real one).
if [ -z "${MESHD_UAPI_DIR+set}" ]; then
	MESHD_UAPI_DIR=$(mktemp -d /tmp/meshd-wg.XXXXXX) &&
	    T_DIRS+=("$MESHD_UAPI_DIR") && export MESHD_UAPI_DIR
fi

plan() { echo "1..$1"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
diag() { printf '# %s\n' "$@"; }
ok() {	# ok CONDITION-EXIT-STATUS NAME
	local st=$1; shift
	T_N=$((T_N + 1))
	if [ "$st" -eq 0 ]; then
		echo "ok $T_N - $*"
	else
		echo "not ok $T_N - $*"
		T_FAILED=$((T_FAILED + 1))
	fi
	return "$st"
}
# run a command, pass if it succeeds
t() { local name=$1; shift; "$@" >/dev/null 2>&1; ok $? "$name"; }
# is GOT EXPECTED NAME
is() {
	if [ "$1" = "$2" ]; then ok 0 "$3"; else
		ok 1 "$3"; diag "got:      '$1'" "expected: '$2'"; return 1; fi
}
# like GOT REGEX NAME
like() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then ok 0 "$3"; else
		ok 1 "$3"; diag "got: '$1'" "expected to match: '$2'"; return 1; fi
}
# has GOT FIXED-STRING NAME
has() {
	if printf '%s' "$1" | grep -Fq -- "$2"; then ok 0 "$3"; else
		ok 1 "$3"; diag "got: '$1'" "expected to contain: '$2'"; return 1; fi
}
done_testing() { echo "1..$T_N"; [ "$T_FAILED" -eq 0 ]; }

# wait_for SECONDS COMMAND...: poll every 50 ms until it succeeds
wait_for() {
	local n=$(( $1 * 20 )); shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05; n=$((n - 1))
	done
	return 1
}
# listening NS PORT [u]: something in NS listens on TCP port PORT (with u:
# is bound to UDP port PORT).  A server started in the background may take
# seconds to bind on a busy machine (python3 does): wait_for this before
# its first client, which gets a refusal otherwise.
listening() {
	ip netns exec "$1" ss -Hln"${3:-t}" "sport = :$2" | grep -q .
}

t_cleanup() {
	local p n d
	for p in "${T_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${T_PIDS[@]}"; do
		for n in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$p" 2>/dev/null || break; sleep 0.1
		done
		kill -9 "$p" 2>/dev/null
	done
	for n in "${T_NETNS[@]}"; do ip netns del "$n" 2>/dev/null; done
	for d in "${T_DIRS[@]}"; do rm -rf "$d"; done
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

need_root() {
	[ "$(id -u)" = 0 ] || skip_all "needs root"
	[ -c /dev/net/tun ] || skip_all "no /dev/net/tun"
	ip netns add "mshchk$$" 2>/dev/null || skip_all "no network namespaces"
	ip netns del "mshchk$$"
}
# netns_new NAME: a namespace this test owns, lo up
netns_new() {
	ip netns add "$1" || return 1
	T_NETNS+=("$1")
	ip -n "$1" link set lo up
}
# tmpdir_new VAR: a temporary directory removed at exit
tmpdir_new() {
	local d; d=$(mktemp -d /tmp/meshd-test.XXXXXX) || return 1
	T_DIRS+=("$d"); chmod 755 "$d"
	printf -v "$1" '%s' "$d"
}
# start_bg VAR COMMAND...: start in the background, remember the PID in VAR
start_bg() {
	local var=$1; shift
	"$@" &
	T_PIDS+=("$!")
	printf -v "$var" '%s' "$!"
}
# turn_up NS ADDR [ADDR2]: a STUN server (coturn's turnserver, STUN only)
# in NS on ADDR:3478 (and ADDR2:3478, with port 3479 on both: the
# other address and port a CHANGE-REQUEST asks for, which miniupnpd
# uses), its pid in $TURN, its files in $D; false if it is not up in 10 s
turn_up() {
	local ns=$1 last=${3:-$2} args=(-L "$2")
	[ $# -gt 2 ] && args+=(-L "$3" --alt-listening-port 3479)
	start_bg TURN ip netns exec "$ns" turnserver -n --stun-only \
	    "${args[@]}" --listening-port 3478 --db "$D/turndb" --no-cli \
	    --no-tls --no-dtls --no-software-attribute \
	    --log-file "$D/turn.log" --simple-log --no-stdout-log \
	    --pidfile "$D/turn.pid" 2>"$D/turn.err"
	wait_for 10 sh -c "ip netns exec $ns ss -Hlun src $last:3478 |
	    grep -q ."
}
# veth_pair NS1 IF1 ADDR1 NS2 IF2 ADDR2: a veth between two namespaces,
# each end with its address (a.b.c.d/len) and up
veth_pair() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" &&
	ip -n "$1" addr add "$3" dev "$2" && ip -n "$1" link set "$2" up &&
	ip -n "$4" addr add "$6" dev "$5" && ip -n "$4" link set "$5" up
}
# need_cmds CMD...: skip the whole test unless every command is there
need_cmds() {
	local c
	for c; do command -v "$c" >/dev/null || skip_all "$c missing"; done
}
# fail_setup WHAT: the test cannot set WHAT up: one failed check, stop
fail_setup() { ok 1 "set up $*"; done_testing; exit 1; }
# two_hosts NS_A NS_B NET: namespaces NS_A and NS_B joined by a veth, va
# with NET.1/24 in NS_A and vb with NET.2/24 in NS_B; a temporary
# directory in D holding a.key and b.key (0600), their public keys in
# A_PUB and B_PUB
two_hosts() {
	netns_new "$1" && netns_new "$2" &&
	    veth_pair "$1" va "$3.1/24" "$2" vb "$3.2/24" &&
	    tmpdir_new D || return 1
	(umask 077; wg genkey >"$D/a.key" && wg genkey >"$D/b.key") ||
	    return 1
	A_PUB=$(wg pubkey <"$D/a.key") && B_PUB=$(wg pubkey <"$D/b.key")
}
# meshd_ready SOCK: true once the control socket SOCK answers with three
# sandboxed children.  meshd makes it only when it is ready (its UDP
# sockets bound, the interface up, the children sandboxed:
# regress/netns/notify.t holds this), but one left by a meshd killed with
# -9 is there, dead, until the new meshd renames its own over it.
sandboxed3() {
	# (jq -e exits 0 on no input at all: look for its "true")
	"$MESHCTL" -j -s "$1" show status 2>/dev/null |
	    jq '[.processes[] | select(.sandboxed)] | length == 3' 2>/dev/null |
	    grep -qx true
}
meshd_ready() {
	wait_for 10 sandboxed3 "$1"
}
# meshd_up NAME NS: meshd -d in NS with $D/NAME.conf, control socket
# $D/NAME.sock and log $D/NAME.log, its pid in PID_NAME; then meshd_ready.
# MESHD_V=-v in the environment logs debug lines too (debugging a test).
meshd_up() {
	start_bg "PID_$1" ip netns exec "$2" "$MESHD" -d \
	    ${MESHD_V:-} -f "$D/$1.conf" -s "$D/$1.sock" \
	    2>>"$D/$1.log"
	meshd_ready "$D/$1.sock"
}
# meshd_up_fast NAME NS: the same from the test-clock installation
# ($MESHD_TCLOCK_ROOT, see rekey.t), its protocol clock 30 times faster (a
# new session every 4 s), logging debug lines ("handshake complete")
meshd_up_fast() {
	start_bg "PID_$1" ip netns exec "$2" env MESHD_TEST_CLOCK_SCALE=30 \
	    "$MESHD_TCLOCK_ROOT/sbin/meshd" -d -v -f "$D/$1.conf" \
	    -s "$D/$1.sock" 2>>"$D/$1.log"
	meshd_ready "$D/$1.sock"
}
# obfs_mesh HUB C A B: on mesh_hub HUB, hosts C (.1, the coordinator c),
# A (.2, member a) and B (.3, member b), their certificates and mesh
# blocks with obfuscation on and $MESH_EXTRA's lines (regress/netns/obfs*.t)
obfs_mesh() {
	mesh_hub "$1" && mesh_host "$1" "$2" 1 && mesh_host "$1" "$3" 2 &&
	    mesh_host "$1" "$4" 3 || return 1
	mesh_ca && mesh_cert c 1 -R coordinator && mesh_cert a 2 &&
	    mesh_cert b 3 || return 1
	MESH_EXTRA=$(printf '\tobfuscation on\n%s' "${MESH_EXTRA:-}")
	mesh_conf c serve && mesh_conf a c:1 && mesh_conf b c:1
}

# ---- a mesh: a hub namespace with a bridge, hosts on it, an admin key
# mesh_hub NS: a namespace holding bridge br0 for mesh_host to join
mesh_hub() {
	netns_new "$1" && ip -n "$1" link add br0 type bridge &&
	    ip -n "$1" link set br0 up
}
# mesh_host HUB NS N: namespace NS on HUB's bridge, 198.18.60.N/24 on eth0
mesh_host() {
	netns_new "$2" &&
	    ip link add "h$3" netns "$1" type veth peer name eth0 netns "$2" &&
	    ip -n "$1" link set "h$3" master br0 up &&
	    ip -n "$2" addr add "198.18.60.$3/24" dev eth0 &&
	    ip -n "$2" link set eth0 up
}
# mesh_ca: an admin key $D/ca.key, its public key in CA_PUB
mesh_ca() {
	(umask 077; "$MESHCTL" ca genkey >"$D/ca.key") &&
	    CA_PUB=$("$MESHCTL" ca pubkey <"$D/ca.key")
}
# mesh_cert NAME N [SIGN-ARGS...]: node key $D/NAME.key and its
# certificate $D/NAME.crt for 100.64.0.N and fd00:6d65:7368::N in mesh corp
mesh_cert() {
	local n=$1 i=$2; shift 2
	(umask 077; [ -f "$D/$n.key" ] || wg genkey >"$D/$n.key") &&
	    "$MESHCTL" sign -k "$D/ca.key" -m corp -n "$n" \
	    -p "$(wg pubkey <"$D/$n.key")" \
	    -a "100.64.0.$i,fd00:6d65:7368::$i" "$@" >"$D/$n.crt"
}
# mesh_conf NAME [serve] [COORD:N ...]: $D/NAME.conf with only an
# interface (key, port) and a mesh block; COORD at 198.18.60.N, or at
# N itself when it is an address (COORD:198.18.0.2, the NAT lab's);
# $MESH_EXTRA, if set, is more lines of the mesh block
mesh_conf() {
	local n=$1 c; shift
	{
		printf 'interface "msh0" {\n\tlisten-port 51820\n'
		printf '\tprivate-key-file "%s"\n}\n' "$D/$n.key"
		printf 'mesh "corp" {\n\tca "%s"\n' "$CA_PUB"
		printf '\tcertificate-file "%s"\n' "$D/$n.crt"
		[ -f "$D/revoked" ] &&
		    printf '\trevocation-file "%s"\n' "$D/revoked"
		for c; do
			if [ "$c" = serve ]; then
				printf '\tserve coordinator\n'; continue
			fi
			printf '\tcoordinator "%s" {\n' "${c%%:*}"
			printf '\t\tpublic-key "%s"\n' \
			    "$(wg pubkey <"$D/${c%%:*}.key")"
			case ${c##*:} in
			*.*) printf '\t\tendpoint "%s:51820"\n\t}\n' \
			    "${c##*:}" ;;
			*) printf '\t\tendpoint "198.18.60.%s:51820"\n\t}\n' \
			    "${c##*:}" ;;
			esac
		done
		[ -n "${MESH_EXTRA:-}" ] && printf '%s\n' "$MESH_EXTRA"
		printf '}\n'
	} >"$D/$n.conf"
}

# relay_tls: an ECDSA P-256 key and a self-signed certificate for a
# relay's TLS, $D/tls.key (0600) and $D/tls.crt (members do not check
# it: the relay proves itself in its 101)
relay_tls() {
	(umask 077; openssl ecparam -name prime256v1 -genkey -noout \
	    -out "$D/tls.key" 2>/dev/null) &&
	    openssl req -new -x509 -key "$D/tls.key" -out "$D/tls.crt" \
	    -days 30 -subj /CN=www.example.com 2>/dev/null
}
# relay_conf NAME COORD [SITE]: mesh_conf NAME COORD with a serve relay
# block on 0.0.0.0:443 using relay_tls's files (and SITE's pages)
relay_conf() {
	local site=
	[ -n "${3:-}" ] && site=$(printf '\n\t\tsite-directory "%s"' "$3")
	MESH_EXTRA=$(printf '\tserve relay {\n\t\tlisten "0.0.0.0:443"\n\t\ttls-certificate-file "%s"\n\t\ttls-key-file "%s"%s\n\t}' \
	    "$D/tls.crt" "$D/tls.key" "$site") mesh_conf "$1" "$2"
}
# relay_no_udp NS ADDR...: NS sends no UDP to the ADDRs and takes none
# from them (TCP passes): only a relay joins it to them
relay_no_udp() {
	local ns=$1 set
	shift
	set=$(echo "$@" | sed 's/ /, /g')
	ip netns exec "$ns" nft -f - <<NFT
table inet relaytest {
	chain out {
		type filter hook output priority 0;
		ip daddr { $set } udp dport 1-65535 drop
	}
	chain in {
		type filter hook input priority 0;
		ip saddr { $set } meta l4proto udp drop
	}
}
NFT
}
