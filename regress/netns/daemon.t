#!/usr/bin/env bash
# The daemon suite as an operator sees it, in a network namespace of its
# own, against the installed binaries: four processes, children
# unprivileged, chrooted and under seccomp; the TUN interface with its
# addresses and MTU; meshctl in text and JSON; reload (good, broken,
# SIGHUP); permissions; and what happens when a child dies or on SIGTERM.

. "$(dirname "$0")/../lib.sh"
need_root
command -v jq >/dev/null || skip_all "jq missing"
command -v wg >/dev/null || skip_all "wg missing (wireguard-tools)"
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

NS=mshd$$
IF=mtst$$
netns_new "$NS"
tmpdir_new D
SOCK=$D/meshd.sock
CHROOT=/var/empty/meshd
USER_UID=$(id -u _meshd)

(umask 077; wg genkey >"$D/me.key"; wg genkey >"$D/b.key"; wg genkey >"$D/c.key"
 wg genkey >"$D/d.key"; wg genpsk >"$D/b.psk")
ME_PUB=$(wg pubkey <"$D/me.key")
B_PUB=$(wg pubkey <"$D/b.key")
C_PUB=$(wg pubkey <"$D/c.key")
D_PUB=$(wg pubkey <"$D/d.key")

write_conf() {	# write_conf FILE EXTRA-PEER?
	cat >"$1" <<EOF
port = "51999"
interface "$IF" {
	address 100.64.0.1/24
	address fd00:6d65:7368::1/64
	mtu 1380
	listen-port \$port
	private-key-file "$D/me.key"
}
peer "beta" {
	public-key "$B_PUB"
	preshared-key-file "$D/b.psk"
	endpoint "198.18.0.2:51820"
	allowed-ips 100.64.0.2/32, fd00:6d65:7368::2/128
	persistent-keepalive 25
}
peer "gamma" {
	public-key "$C_PUB"
	allowed-ips 100.64.0.3/32
}
EOF
	[ -n "${2:-}" ] && cat >>"$1" <<EOF
peer "delta" {
	public-key "$D_PUB"
	endpoint "[fd00:1::4]:51820"
	allowed-ips 100.64.0.4/32
}
EOF
	return 0
}
write_conf "$D/meshd.conf"

ctl() { "$MESHCTL" -s "$SOCK" "$@"; }
children() { pgrep -P "$1" | sort -n; }

# start_meshd: MESHD_PID set; waits for the socket and three ready children
start_meshd() {
	start_bg MESHD_PID ip netns exec "$NS" "$MESHD" -d -f "$D/meshd.conf" \
	    -s "$SOCK" 2>>"$D/meshd.log"
	meshd_ready "$SOCK"
}
# the meshd process itself, not the ip netns exec wrapper (it execs, same pid)

start_meshd
ok $? "meshd starts, three children report sandboxed" || {
	diag "$(cat "$D/meshd.log")"; done_testing; exit 1; }

# ---- processes
mapfile -t KIDS < <(children "$MESHD_PID")
is "${#KIDS[@]}" 3 "meshd has three children"
for k in "${KIDS[@]}"; do
	exe=$(basename "$(readlink "/proc/$k/exe")")
	uid=$(awk '/^Uid:/ { print $2 "," $3 "," $4 }' "/proc/$k/status")
	is "$uid" "$USER_UID,$USER_UID,$USER_UID" "$exe runs as _meshd (real, effective, saved)" ||
		diag "pid $k: $(grep -E '^(Name|State|PPid|Uid|Seccomp|NoNewPrivs):' "/proc/$k/status" | tr '\n\t' '  ')" \
		    "ps: $(ps -o pid,ppid,user,stat,args --ppid "$MESHD_PID" | tr '\n' ';')" \
		    "status: $(ctl -j show status | jq -c .processes)"
	is "$(awk '/^Seccomp:/ { print $2 }' "/proc/$k/status")" 2 "$exe: Seccomp: 2 (filter)"
	is "$(awk '/^NoNewPrivs:/ { print $2 }' "/proc/$k/status")" 1 "$exe: no_new_privs"
	is "$(readlink "/proc/$k/root")" "$CHROOT" "$exe is chrooted to $CHROOT"
	is "$(tr '\0' ' ' <"/proc/$k/cmdline" | awk '{ print $1, $2 }')" \
	    "meshd: ${exe#meshd-}" "$exe: process title"
done
names=$(for k in "${KIDS[@]}"; do basename "$(readlink "/proc/$k/exe")"; done | sort | tr '\n' ' ')
is "$names" "meshd-crypto meshd-net meshd-tun " "the children are net, crypto and tun"
CRYPTO=$(for k in "${KIDS[@]}"; do [ "$(basename "$(readlink "/proc/$k/exe")")" = meshd-crypto ] && echo "$k"; done)
is "$(awk '/^Max core file size/ { print $5 }' "/proc/$CRYPTO/limits")" 0 "meshd-crypto: RLIMIT_CORE 0"
is "$(awk '/^Max core file size/ { print $6 }' "/proc/$CRYPTO/limits")" 0 "meshd-crypto: RLIMIT_CORE hard limit 0 (it cannot raise it again)"
# not dumpable: the kernel gives the /proc files of such a task to root
is "$(stat -c %u:%g "/proc/$CRYPTO/status")" 0:0 "meshd-crypto: not dumpable (/proc/PID owned by root)"
# key files: only meshd-crypto ever had them open, and it closed them
for k in "$MESHD_PID" "${KIDS[@]}"; do
	if ls -l "/proc/$k/fd" 2>/dev/null | grep -q "$D/.*\.\(key\|psk\)"; then
		ok 1 "pid $k holds no key file open"
	else
		ok 0 "pid $k holds no key file open"
	fi
done

# ---- interface
link=$(ip -n "$NS" -o link show "$IF")
like "$link" "mtu 1380" "interface $IF has MTU 1380"
like "$link" "<[^>]*UP[^>]*>" "interface $IF is up"
addrs=$(ip -n "$NS" -o addr show dev "$IF")
like "$addrs" "inet 100\.64\.0\.1/24" "interface has 100.64.0.1/24"
like "$addrs" "inet6 fd00:6d65:7368::1/64" "interface has fd00:6d65:7368::1/64"
ip netns exec "$NS" ss -uln | grep -q ':51999 '
ok $? "UDP port 51999 is bound (listen-port from a macro)"

# ---- meshctl show status
st=$(ctl show status)
ok $? "meshctl show status"
like "$st" "$IF" "status names the interface"
has "$st" "$ME_PUB" "status shows our public key, as wg pubkey derives it"
like "$st" "1380" "status shows the MTU"
js=$(ctl -j show status)
is "$(jq -r .interface <<<"$js")" "$IF" "status -j: interface"
is "$(jq -r .public_key <<<"$js")" "$ME_PUB" "status -j: public_key"
is "$(jq -r .listen_port <<<"$js")" 51999 "status -j: listen_port"
is "$(jq -r .mtu <<<"$js")" 1380 "status -j: mtu"
is "$(jq -r '.addresses | join(",")' <<<"$js")" "100.64.0.1/24,fd00:6d65:7368::1/64" "status -j: addresses"
is "$(jq -r .peers <<<"$js")" 2 "status -j: 2 peers"
is "$(jq -r '[.processes[].role] | join(",")' <<<"$js")" "parent,net,crypto,tun" "status -j: four processes"
is "$(jq -r '[.processes[] | select(.role != "parent") | .uid] | unique | join(",")' <<<"$js")" "$USER_UID" "status -j: children's uid"
is "$(jq -r '[.processes[] | select(.role != "parent") | (.chrooted and .sandboxed)] | all' <<<"$js")" true "status -j: children chrooted and sandboxed"
is "$(jq -r '.processes[] | select(.role == "net") | .pid' <<<"$js")" \
    "$(for k in "${KIDS[@]}"; do [ "$(basename "$(readlink "/proc/$k/exe")")" = meshd-net ] && echo "$k"; done)" \
    "status -j: the pid of net is the real one"

# ---- meshctl show peers
pt=$(ctl show peers)
ok $? "meshctl show peers"
like "$pt" "beta" "peers table lists beta"
like "$pt" "gamma" "peers table lists gamma"
like "$pt" "198\.18\.0\.2:51820" "peers table shows beta's endpoint"
pj=$(ctl -j show peers)
is "$(jq -r .version <<<"$pj")" 1 "peers -j: version 1"
is "$(jq -r '.peers | length' <<<"$pj")" 2 "peers -j: two peers"
is "$(jq -r '.peers[0].name' <<<"$pj")" beta "peers -j: first is beta"
is "$(jq -r '.peers[0].public_key' <<<"$pj")" "$B_PUB" "peers -j: beta's public_key"
is "$(jq -r '.peers[0].endpoint' <<<"$pj")" "198.18.0.2:51820" "peers -j: beta's endpoint"
is "$(jq -r '.peers[0].allowed_ips | join(",")' <<<"$pj")" "100.64.0.2/32,fd00:6d65:7368::2/128" "peers -j: beta's allowed_ips"
is "$(jq -r '.peers[0].persistent_keepalive' <<<"$pj")" 25 "peers -j: beta's keepalive"
is "$(jq -r '.peers[1].endpoint' <<<"$pj")" null "peers -j: gamma has no endpoint"
is "$(jq -r '.peers[1].persistent_keepalive' <<<"$pj")" 0 "peers -j: gamma has no keepalive"
is "$(jq -r '[.peers[].has_preshared_key | tostring] | join(",")' <<<"$pj")" "true,false" \
    "peers -j: has_preshared_key, true for beta only"
# the mesh's fields: static peers are "config", with no certificate
like "$(head -n 1 <<<"$pt")" "^NAME +SOURCE +ENDPOINT" "peers table: a SOURCE column"
like "$(sed -n 2p <<<"$pt")" "^beta +config +198\.18\.0\.2:51820" "peers table: beta is from the config"
is "$(jq -c '.peers[0] | [.source, .addresses, .groups, .cert_expires]' <<<"$pj")" \
    '["config",[],[],null]' "peers -j: source config, no addresses, groups or expiry"
like "$(ctl show peer beta)" "^source: config$" "show peer: source config"
out=$(ctl show mesh)
ok $? "show mesh without a mesh block"
is "$out" "no mesh configured" "show mesh: no mesh configured"
is "$(ctl -j show mesh | jq -c .)" '{"version":1,"mesh":null}' "show mesh -j: mesh null"
# sorted, and rates over a second: two samples on one connection
is "$(ctl show peers sort name | awk 'NR > 1 { print $1 }' | tr '\n' ,)" \
    "beta,gamma," "show peers sort name: beta, gamma"
pt=$(ctl show peers interval 1)
ok $? "show peers interval 1"
like "$(head -n 1 <<<"$pt")" "RX/S +TX/S +KEEPALIVE$" "interval: RX/S and TX/S columns"
like "$(sed -n 2p <<<"$pt")" "^beta .* [0-9.]+ [KMGT]?i?B/s +[0-9.]+ [KMGT]?i?B/s +25s$" \
    "interval: beta's rates in bytes a second"
is "$(ctl -j show peers interval 1 | jq -r '.peers[0] | [.rx_rate, .tx_rate] | map(type) | join(",")')" \
    "number,number" "interval -j: rx_rate and tx_rate are numbers"
grep -q "$(cat "$D/b.psk")" <<<"$(ctl show peer beta) $pj"
ok $((!$?)) "the preshared key is never printed"
one=$(ctl show peer gam)
ok $? "show peer with a name"
has "$one" "$C_PUB" "show peer gamma shows its key"
out=$(ctl show peer nosuch 2>&1)
ok $((!$?)) "show peer nosuch fails"
like "$out" "no such peer: nosuch" "and says why"
out=$(ctl -j show peer nosuch 2>/dev/null)
ok $((!$?)) "show peer nosuch -j fails"
is "$(jq -c . <<<"$out")" '{"version":1,"error":"no such peer: nosuch"}' \
    "show peer nosuch -j: a JSON error on stdout"
out=$("$MESHCTL" -s "$D/no.sock" -j show status 2>/dev/null)
ok $((!$?)) "-j with no daemon fails"
like "$(jq -r .error <<<"$out")" "^cannot connect to .*no\.sock" \
    "-j with no daemon: a JSON error"

# ---- reload: a broken config keeps the old one
cp "$D/meshd.conf" "$D/good.conf"
printf 'interface "%s" {\n\tmtuu 1400\n}\n' "$IF" >"$D/meshd.conf"
out=$(ctl reload 2>&1)
ok $((!$?)) "reload of a broken config fails"
like "$out" "meshd.conf:2: .*mtuu" "and the error names file:line"
kill -0 "$MESHD_PID"; ok $? "meshd still runs"
is "$(ctl -j show peers | jq -r '.peers | map(.name) | join(",")')" "beta,gamma" "the old peers stay"
is "$(ctl -j show status | jq -r .mtu)" 1380 "the old MTU stays"

# ---- reload: a good config is applied
write_conf "$D/meshd.conf" delta
sed -i 's/mtu 1380/mtu 1360/; /address fd00:6d65:7368::1\/64/d' "$D/meshd.conf"
out=$(ctl reload 2>&1)
ok $? "reload of a changed config succeeds"
is "$(ctl -j show peers | jq -r '.peers | map(.name) | join(",")')" "beta,gamma,delta" "delta was added"
is "$(ctl -j show peer delta | jq -r .endpoint)" "[fd00:1::4]:51820" "delta's IPv6 endpoint"
b_id0=$(jq -r '.peers[0].id' <<<"$pj")
is "$(ctl -j show peer beta | jq -r .id)" "$b_id0" "beta keeps its peer id across reload"
like "$(ip -n "$NS" -o link show "$IF")" "mtu 1360" "the new MTU is on the interface"
addrs=$(ip -n "$NS" -o addr show dev "$IF")
if grep -q 'fd00:6d65:7368::1/64' <<<"$addrs"; then ok 1 "removed address is gone"; else ok 0 "removed address is gone"; fi

# ---- SIGHUP reloads too
write_conf "$D/meshd.conf"
kill -HUP "$MESHD_PID"
wait_for 3 sh -c "$MESHCTL -j -s $SOCK show status | jq -e '.peers == 2'"
ok $? "SIGHUP reload drops delta again"
like "$(ip -n "$NS" -o addr show dev "$IF")" "fd00:6d65:7368::1/64" "and restores the address"

# ---- log level: debug lines appear only while verbose, in every process
t "log verbose" ctl log verbose
out=$(ctl reload 2>&1)
ok $? "reload while verbose" || diag "$out"
# (10 s: an ASan build on two busy cores is slow, and waiting costs
# nothing when the lines come)
wait_for 10 grep -q "^tun: config: 2 peers" "$D/meshd.log" &&
    wait_for 10 grep -q "^crypto: config: 2 peers" "$D/meshd.log"
ok $? "log verbose: the children log debug lines (tun's and crypto's config)" ||
	diag "meshd's log, the last lines:" "$(tail -n 15 "$D/meshd.log")"
t "log brief" ctl log brief
n0=$(grep -c "config: 2 peers" "$D/meshd.log")
ctl reload >/dev/null 2>&1; sleep 0.3
is "$(grep -c "config: 2 peers" "$D/meshd.log")" "$n0" "log brief: no more debug lines"

# ---- permissions: anyone who can open the socket may look, only root acts
is "$(stat -c %a "$SOCK")" 660 "meshd made the control socket mode 0660"
chmod 0666 "$SOCK"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$MESHCTL" -s "$SOCK" show peers 2>&1)
ok $? "a non-root user may show peers"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$MESHCTL" -s "$SOCK" reload 2>&1)
ok $((!$?)) "a non-root user may not reload"
like "$out" "permission denied" "and is told so"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$MESHCTL" -s "$SOCK" log verbose 2>&1)
ok $((!$?)) "a non-root user may not change the log level"
chmod 0660 "$SOCK"

# ---- a second meshd on the same socket refuses to start
out=$(ip netns exec "$NS" "$MESHD" -d -f "$D/meshd.conf" -s "$SOCK" 2>&1)
ok $((!$?)) "a second meshd on the same socket fails"
like "$out" "in use" "and says the socket is in use"
kill -0 "$MESHD_PID"; ok $? "the first meshd is unharmed"
# a data and a handshake socket per family share the listen port (see
# meshd-parent/sockets.c); a second meshd may not join them
n4=$(ip netns exec "$NS" ss -Hlun 'sport = :51999' | grep -vc '\[')
n6=$(ip netns exec "$NS" ss -Hlun 'sport = :51999' | grep -c '\[')
is "$n4/$n6" "2/2" "two IPv4 and two IPv6 sockets on the listen port"
sed -e "s/\"$IF\"/\"${IF}x\"/" "$D/meshd.conf" >"$D/second.conf"
out=$(ip netns exec "$NS" "$MESHD" -d -f "$D/second.conf" -s "$D/second.sock" 2>&1)
ok $((!$?)) "a second meshd on the same listen-port fails"
has "$out" "UDP port 51999 (IPv4): Address already in use" \
    "and says the port is in use"
kill -0 "$MESHD_PID"; ok $? "the first meshd is unharmed"

# ---- SIGTERM: exit 0, interface and socket gone
kill -TERM "$MESHD_PID"
wait "$MESHD_PID"; st=$?
is "$st" 0 "SIGTERM: meshd exits 0"
ip -n "$NS" link show "$IF" >/dev/null 2>&1
ok $((!$?)) "SIGTERM: the interface is gone"
[ ! -e "$SOCK" ]; ok $? "SIGTERM: the control socket is gone"
left=0; for k in "${KIDS[@]}"; do kill -0 "$k" 2>/dev/null && left=1; done
is "$left" 0 "SIGTERM: no child is left"

# ---- a private key file that is not a key: a clear error, no daemon
cp "$D/meshd.conf" "$D/badkey.conf"
(umask 077; echo "this is not a key" >"$D/junk.key")
sed -i "s|$D/me.key|$D/junk.key|" "$D/badkey.conf"
out=$(ip netns exec "$NS" "$MESHD" -d -f "$D/badkey.conf" -s "$D/other.sock" 2>&1)
ok $((!$?)) "meshd with a junk private key exits non-zero"
has "$out" "$D/junk.key: not a key" "and names the file and the problem"
[ ! -e "$D/other.sock" ]; ok $? "and leaves no control socket behind"

# ---- a child killed with SIGKILL takes the daemon down
for role in net crypto tun; do
	: >"$D/meshd.log"
	start_meshd || { ok 1 "restart for $role"; continue; }
	victim=""
	mapfile -t kids < <(children "$MESHD_PID")
	for k in "${kids[@]}"; do
		[ "$(basename "$(readlink "/proc/$k/exe")")" = "meshd-$role" ] && victim=$k
	done
	# no victim would leave the wait below waiting for ever
	[ -n "$victim" ] || { ok 1 "kill -9 $role: a $role child to kill"
	    kill "$MESHD_PID"; wait "$MESHD_PID"; continue; }
	kill -9 "$victim"
	t0=$(date +%s%N)
	wait "$MESHD_PID"; st=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ "$st" -ne 0 ]; ok $? "kill -9 $role: meshd exits non-zero ($st)"
	[ "$ms" -lt 2000 ]; ok $? "kill -9 $role: within 2 s (${ms} ms)"
	grep -q "lost child: $role" "$D/meshd.log"; ok $? "kill -9 $role: logged 'lost child: $role'"
	ip -n "$NS" link show "$IF" >/dev/null 2>&1
	ok $((!$?)) "kill -9 $role: the interface is gone"
	[ ! -e "$SOCK" ]; ok $? "kill -9 $role: the control socket is gone"
	left=""
	for k in "${kids[@]}"; do
		[ "$k" = "$victim" ] && continue
		wait_for 2 sh -c "! kill -0 $k" || left="$left $k"
	done
	is "$left" "" "kill -9 $role: the other children are gone too"
done

done_testing
