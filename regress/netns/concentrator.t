#!/usr/bin/env bash
# serve concentrator (issue 16): plain WireGuard clients join the mesh.
# n1 is the coordinator, n2 the concentrator (its certificate allows the
# pool 100.64.200.0/24 and fd00:6d65:7368:c8::/64, and a network it
# announces, so the pools are announced only if the concentrator adds
# them), n3 a member.  The
# client is a stock wireguard-go in its own namespace, configured from
# what meshctl client add prints (wg-quick's keys stripped as wg-quick
# strip does, addresses and routes set with ip): it reaches every member
# and is reached back; client list shows it; a restart of n2 keeps it
# (the state file); client remove cuts it off at once.  The client's
# private key appears in neither meshd's log nor the state file.
# Underlay 198.18.60.0/24, the client at 198.18.60.9.

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg ping wireguard-go
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

HUB=cch$$
mesh_hub "$HUB" || fail_setup "the hub"
tmpdir_new D
mesh_ca || fail_setup "an admin key"
for i in 1 2 3 9; do
	mesh_host "$HUB" "cc$i$$" "$i" || fail_setup "host $i"
done
POOL4=100.64.200.0/24
POOL6=fd00:6d65:7368:c8::/64
mesh_cert n1 1 -R coordinator || fail_setup "n1's certificate"
mesh_cert n2 2 -r "$POOL4,$POOL6,10.77.0.0/24" ||
    fail_setup "n2's certificate"
mesh_cert n3 3 || fail_setup "n3's certificate"
mesh_conf n1 serve
mesh_conf n3 n1:1
# an announce line: then only what is announced is routed, and the
# concentrator must announce its pools itself
MESH_EXTRA=$'\tannounce "10.77.0.0/24"' mesh_conf n2 n1:1
# the concentrator: its block in the interface's, its state in $D/state
sed -i "1i state-directory \"$D/state\"" "$D/n2.conf"
sed -i "/private-key-file/a\\
\tserve concentrator {\\
\t\taddress-pool $POOL4, $POOL6\\
\t\tendpoint \"198.18.60.2:51820\"\\
\t}" "$D/n2.conf"
"$MESHD" -n -f "$D/n2.conf" >/dev/null 2>&1
ok $? "the concentrator's config is valid" ||
    diag "$("$MESHD" -n -f "$D/n2.conf" 2>&1)"

# a pool the certificate does not allow: meshd says the mesh will not
# route it (n3's certificate has no routes)
sed "/private-key-file/a\\
\tserve concentrator { address-pool 10.99.0.0/24 }" "$D/n3.conf" \
    >"$D/n3-pool.conf"
out=$("$MESHD" -n -f "$D/n3-pool.conf" 2>&1)
ok $? "a pool outside the certificate's routes is only a warning"
like "$out" "warning: serve concentrator: address-pool 10\.99\.0\.0/24 is not inside a route of the certificate-file .*: the mesh will not route it" \
    "and the warning says the mesh will not route it"

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
knows() {
	[ "$(ctl "$1" -j show peers |
	    jq '[.peers[] | select(.cert_expires != null)] | length')" = "$2" ]
}
CL=cc9$$
reach() {	# reach NS ADDR
	ip netns exec "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1
}

for i in 1 2 3; do
	meshd_up "n$i" "cc$i$$"; ok $? "n$i starts"
done
wait_for 15 knows n3 2; ok $? "n3 knows the other two members"
wait_for 15 knows n2 2; ok $? "n2 knows the other two members"

# ---- client add
ctl n2 client add phone >"$D/phone.conf" 2>"$D/add.err"
ok $? "client add phone" || diag "$(cat "$D/add.err")"
CONF=$(cat "$D/phone.conf")
like "$CONF" "^\[Interface\]" "the config starts with [Interface]"
like "$CONF" "PrivateKey = [A-Za-z0-9+/]{43}=" "it holds a private key"
like "$CONF" "Address = 100\.64\.200\.1/32, fd00:6d65:7368:c8::1/128" \
    "the first addresses of the pool"
like "$CONF" "DNS = 100\.64\.0\.2, fd00:6d65:7368::2" \
    "DNS is the concentrator's mesh DNS"
like "$CONF" "PublicKey = $(wg pubkey <"$D/n2.key" | sed 's/[+/]/./g')" \
    "the peer is the concentrator"
like "$CONF" "Endpoint = 198\.18\.60\.2:51820" "the endpoint as configured"
AIPS=$(sed -n 's/^AllowedIPs = //p' "$D/phone.conf")
for a in 100.64.0.1/32 100.64.0.3/32 100.64.200.0/24 \
    fd00:6d65:7368::3/128 fd00:6d65:7368:c8::/64; do
	like "$AIPS" "(^|, )$a(,|$)" "AllowedIPs has $a"
done
like "$CONF" "PersistentKeepalive = 25" "a keepalive for NATs"
PRIV=$(sed -n 's/^PrivateKey = //p' "$D/phone.conf")
[ "$(wg pubkey <<<"$PRIV")" = "$(ctl n2 -j client list |
    jq -r '.clients[0].public_key')" ]
ok $? "client list has the public key of the printed private key"

ctl n2 client add phone >/dev/null 2>"$D/add2.err"
ok $((!$?)) "a second client add phone is refused"
like "$(cat "$D/add2.err")" "phone.*exists" "it says the name is taken"
ctl n3 client add x >/dev/null 2>"$D/add3.err"
ok $((!$?)) "client add on a node without serve concentrator is refused"
like "$(cat "$D/add3.err")" "no serve concentrator" "and says why"
ctl n3 client list >/dev/null 2>"$D/list3.err"
ok $((!$?)) "client list on that node fails"
like "$(cat "$D/list3.err")" "no serve concentrator" "and says why"

# ---- the stock client: wg-quick strip's keys out, wg setconf
netns_exec() { ip netns exec "$CL" "$@"; }
WGIF=ccw$$
start_bg WGPID ip netns exec "$CL" env \
    WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 \
    wireguard-go -f "$WGIF" 2>"$D/wireguard-go.log"
wait_for 5 test -S "/var/run/wireguard/$WGIF.sock"
ok $? "wireguard-go is up" || diag "$(cat "$D/wireguard-go.log")"
grep -Ev '^(Address|DNS|MTU|Table|PreUp|PostUp|PreDown|PostDown|SaveConfig)[[:space:]]*=' \
    "$D/phone.conf" >"$D/phone.wg"
netns_exec wg setconf "$WGIF" "$D/phone.wg"
ok $? "wg setconf takes the stripped config"
# what wg-quick up does with Address and AllowedIPs
client_ip() {
	local a
	netns_exec ip addr add 100.64.200.1/32 dev "$WGIF" &&
	    netns_exec ip -6 addr add fd00:6d65:7368:c8::1/128 dev "$WGIF" &&
	    netns_exec ip link set "$WGIF" up || return 1
	for a in ${AIPS//,/}; do
		netns_exec ip route add "$a" dev "$WGIF" || return 1
	done
}
client_ip; ok $? "the client's addresses and routes"

for i in 2 1 3; do
	wait_for 10 reach "$CL" "100.64.0.$i"
	ok $? "the client reaches n$i (100.64.0.$i)"
done
wait_for 5 reach "$CL" fd00:6d65:7368::3
ok $? "the client reaches n3 over IPv6"
reach "cc3$$" 100.64.200.1
ok $? "n3 reaches the client back"
reach "cc1$$" fd00:6d65:7368:c8::1
ok $? "n1 reaches the client back over IPv6"

j=$(ctl n2 -j client list)
is "$(jq -r '.clients[0].name' <<<"$j")" phone "client list: phone"
is "$(jq -r '.clients[0].addresses | join(" ")' <<<"$j")" \
    "100.64.200.1/32 fd00:6d65:7368:c8::1/128" "client list: its addresses"
[ "$(jq -r '.clients[0].latest_handshake' <<<"$j")" -gt 0 ] &&
    [ "$(jq -r '.clients[0].rx_bytes' <<<"$j")" -gt 0 ]
ok $? "client list: a handshake and bytes"
like "$(ctl n2 client list)" "^phone +100\.64\.200\.1," \
    "client list (text) shows phone"
like "$(ctl n2 show config)" "serve concentrator" \
    "show config has the block"
ctl n2 show config | grep -q '^peer "phone"'
ok $((!$?)) "show config does not print the client as a peer"

# ---- -q: the same config as a QR code
ctl n2 client add laptop -q >"$D/qr.txt" 2>"$D/qr.err"
ok $? "client add laptop -q" || diag "$(cat "$D/qr.err")"
[ "$(grep -c '[▀▄█]' "$D/qr.txt")" -ge 15 ]
ok $? "it prints a block of half-block characters"
grep -q PrivateKey "$D/qr.txt"
ok $((!$?)) "and no config text"
is "$(ctl n2 -j client list | jq -r '.clients[1].addresses[0]')" \
    100.64.200.2/32 "laptop has the next address"

# ---- restart: the state file keeps the clients
ls -l "$D/state/msh0.clients" | grep -q '^-rw-------'
ok $? "the state file is 0600"
kill "$PID_n2"; wait "$PID_n2" 2>/dev/null
meshd_up n2 "cc2$$"; ok $? "n2 starts again"
is "$(ctl n2 -j client list | jq -r '[.clients[].name] | join(" ")')" \
    "phone laptop" "the clients are back after the restart"
wait_for 15 reach "$CL" 100.64.0.3
ok $? "the client reaches n3 after the restart"
# the endpoint without its port: the listen port is added
sed -i 's/endpoint "198.18.60.2:51820"/endpoint "198.18.60.2"/' "$D/n2.conf"
out=$(ctl n2 reload); ok $? "n2 reloads"
like "$out" "serve concentrator.*endpoint 198\.18\.60\.2" \
    "the reload says what changed in serve concentrator"
is "$(ctl n2 -j client list | jq -r '.clients | length')" 2 \
    "a reload keeps the clients"

ctl n2 client add tablet >"$D/tablet.conf"; ok $? "client add tablet"
like "$(cat "$D/tablet.conf")" "Endpoint = 198\.18\.60\.2:51820" \
    "an endpoint without a port gets the listen port"
like "$(cat "$D/tablet.conf")" "Address = 100\.64\.200\.3/32" \
    "tablet has the third address"

# ---- the private key nowhere in meshd's files
! grep -qF "$PRIV" "$D/n2.log" "$D/state/msh0.clients"
ok $? "the client's private key is in neither meshd's log nor state file"

# ---- remove: cut off at once
ctl n2 client remove phone >/dev/null; ok $? "client remove phone"
reach "$CL" 100.64.0.3
ok $((!$?)) "the client no longer reaches n3"
reach "$CL" 100.64.0.2
ok $((!$?)) "nor n2"
is "$(ctl n2 -j client list | jq -r '[.clients[].name] | join(" ")')" \
    "laptop tablet" "client list has laptop and tablet"
grep -q '"phone"' "$D/state/msh0.clients"
ok $((!$?)) "phone is gone from the state file"
ctl n2 client remove phone >/dev/null 2>&1
ok $((!$?)) "removing it again is refused"

# ---- -j: the freed address is given out again
j=$(ctl n2 -j client add watch); ok $? "client add watch -j"
is "$(jq -r '.addresses | join(" ")' <<<"$j")" \
    "100.64.200.1/32 fd00:6d65:7368:c8::1/128" "phone's addresses go to watch"
like "$(jq -r .config <<<"$j")" "PrivateKey = [A-Za-z0-9+/]{43}=" \
    "-j holds the config with its private key"
[ "$(jq -r .config <<<"$j" | sed -n 's/^PrivateKey = //p' | wg pubkey)" = \
    "$(jq -r .public_key <<<"$j")" ]
ok $? "-j's public key is the config's"
done_testing
