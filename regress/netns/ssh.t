#!/usr/bin/env bash
# The SSH transport and the ladder: node a sits behind a firewall that
# drops all UDP between it and b (nftables in a's namespace).  a reaches
# b over SSH (a real sshd, its own config, host key and authorized_keys
# in the test's directory; the account restricted to -W to b's serve
# stream listener): pings, a transfer with the same sha256 at both ends,
# meshctl saying ssh and why.  Then UDP opens: a is back on direct UDP
# within the probe interval, with no new handshake and no ping lost.
# Last, an ssh that fails (a wrong host key) is logged in ssh's words and
# the daemon lives on.

. "$(dirname "$0")/../lib.sh"
need_root
for c in jq wg nc nft sha256sum ssh ssh-keygen bc; do
	command -v "$c" >/dev/null || skip_all "$c missing"
done
[ -x /usr/sbin/sshd ] || skip_all "sshd missing (openssh-server)"
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"
id _meshd >/dev/null 2>&1 || skip_all "no user _meshd"

A=mssa$$ B=mssb$$
two_hosts "$A" "$B" 198.18.150 || skip_all "cannot make the namespaces"
[ -n "$D" ] && [ -d "$D" ] || skip_all "no test directory"
PROBE=5

# ---- b's sshd: own host key, own authorized_keys, the _meshd account
ssh-keygen -q -t ed25519 -N '' -f "$D/host_key" -C host
ssh-keygen -q -t ed25519 -N '' -f "$D/other_host_key" -C other
ssh-keygen -q -t ed25519 -N '' -f "$D/id_a" -C meshd-a
# ssh runs as _meshd: its key and known hosts are that user's to read
chown _meshd "$D/id_a"
echo "198.18.150.2 $(cut -d' ' -f1,2 "$D/host_key.pub")" >"$D/known_hosts"
echo "198.18.150.2 $(cut -d' ' -f1,2 "$D/other_host_key.pub")" \
    >"$D/wrong_known_hosts"
# as meshd.conf(5) shows it: only -W to the stream listener, no shell
printf 'restrict,port-forwarding,permitopen="127.0.0.1:51821",command="/usr/sbin/nologin" %s\n' \
    "$(cat "$D/id_a.pub")" >"$D/authorized_keys"
printf '%s\n' "ListenAddress 198.18.150.2:22" "HostKey $D/host_key" \
    "AuthorizedKeysFile $D/authorized_keys" "PidFile $D/sshd.pid" \
    "StrictModes no" "UsePAM yes" "PasswordAuthentication no" \
    "KbdInteractiveAuthentication no" "AllowUsers _meshd" \
    "LogLevel VERBOSE" >"$D/sshd_config"
mkdir -p /run/sshd
start_bg SSHD ip netns exec "$B" /usr/sbin/sshd -D -e -f "$D/sshd_config" \
    2>"$D/sshd.log"
wait_for 5 ip netns exec "$B" nc -z 198.18.150.2 22
ok $? "b's sshd listens"

conf_a() {
	printf '%s\n' 'interface "mss0" {' '	address 100.64.150.1/24' \
	    '	listen-port 51820' "	private-key-file \"$D/a.key\"" \
	    "	probe-interval $PROBE" '}' 'peer "b" {' \
	    "	public-key \"$B_PUB\"" '	endpoint "198.18.150.2:51820"' \
	    '	allowed-ips 100.64.150.2/32' \
	    "	ssh \"_meshd@198.18.150.2\" identity-file \"$D/id_a\" known-hosts-file \"$D/known_hosts\"" \
	    '}'
}
conf_b() {
	printf '%s\n' 'interface "mss0" {' '	address 100.64.150.2/24' \
	    '	listen-port 51820' "	private-key-file \"$D/b.key\"" \
	    "	probe-interval $PROBE" '}' 'serve stream {' \
	    '	listen "127.0.0.1:51821"' '}' 'peer "a" {' \
	    "	public-key \"$A_PUB\"" '	allowed-ips 100.64.150.1/32' '}'
}
conf_a >"$D/a.conf"
conf_b >"$D/b.conf"
ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
peerj() { ctl "$1" -j show peer "$2" | jq -r "$3"; }

t "a's config checks" "$MESHD" -n -f "$D/a.conf"
out=$("$MESHD" -nv -f "$D/b.conf" 2>&1)
has "$out" 'serve stream {' "meshd -nv prints serve stream"

# ---- all UDP between a and b dropped, at a's site
printf '%s\n' 'table inet site {' \
    '	chain out { type filter hook output priority 0; meta l4proto udp ip daddr 198.18.150.2 drop; }' \
    '	chain in { type filter hook input priority 0; meta l4proto udp ip saddr 198.18.150.2 drop; }' \
    '}' | ip netns exec "$A" nft -f -
ok $? "a's site drops UDP to and from b"

meshd_up b "$B"; ok $? "b starts (serve stream on 127.0.0.1:51821)"
t0=$(date +%s.%N)
meshd_up a "$A"; ok $? "a starts"
wait_for 10 grep -q "peer b: SSH client.s stream" "$D/a.log"
ok $? "a's SSH stream to b is up"

# the first initiation goes over UDP and is lost; 5 s on, over SSH
wait_for 30 ip netns exec "$A" ping -c 1 -W 1 100.64.150.2
ok $? "a -> b ping over SSH"
t_ssh=$(echo "$(date +%s.%N) - $t0" | bc)
diag "time from a's start to a ping answered over SSH: ${t_ssh} s"
t "b -> a ping" ip netns exec "$B" ping -c 3 -i 0.2 -W 2 100.64.150.1
is "$(peerj a b .path)" ssh "show peer -j: path ssh"
like "$(peerj a b .why)" \
    "^no answer on UDP for [0-9]+ s; UDP probe every $PROBE s, next in [0-9]+ s\$" \
    "why says why not direct"
like "$(ctl a show peers)" "b .* ssh" "show peers: the path column says ssh"
like "$(ctl a show peer b)" "path: ssh" "show peer b: path: ssh"
is "$(peerj b a .path)" stream "b sees a over its serve stream"

# a transfer through the tunnel over SSH
head -c 4000000 /dev/urandom >"$D/blob"
start_bg NCL ip netns exec "$B" timeout 30 sh -c "nc -l 100.64.150.2 5001 >'$D/blob.b'"
wait_for 5 ip netns exec "$B" sh -c "ss -ltn | grep -q 100.64.150.2:5001"
ip netns exec "$A" sh -c "nc -N 100.64.150.2 5001 <'$D/blob'"
wait_for 10 sh -c "! kill -0 $NCL 2>/dev/null"
is "$(sha256sum <"$D/blob.b" | cut -d' ' -f1)" \
    "$(sha256sum <"$D/blob" | cut -d' ' -f1)" "4 MB over SSH: same sha256"

# ---- UDP opens: back to direct within the probe interval
hs_a=$(peerj a b .latest_handshake); hs_b=$(peerj b a .latest_handshake)
start_bg PING ip netns exec "$A" ping -i 0.1 -W 1 -c $(( (PROBE + 8) * 10 )) \
    100.64.150.2 >"$D/ping.out" 2>&1
sleep 1
ip netns exec "$A" nft delete table inet site
t1=$(date +%s.%N)
path_is() { [ "$("$MESHCTL" -j -s "$D/$1.sock" show peer "$2" |
    jq -r .path)" = "$3" ]; }
wait_for $((PROBE + 5)) path_is a b direct
ok $? "a back on direct UDP within the probe interval ($PROBE s)"
t_back=$(echo "$(date +%s.%N) - $t1" | bc)
diag "time from UDP open to a on direct: ${t_back} s"
ep_is() { [ "$("$MESHCTL" -j -s "$D/$1.sock" show peer "$2" |
    jq -r .endpoint)" = "$3" ]; }
wait_for 5 ep_is b a 198.18.150.1:51820
ok $? "b back on direct UDP too (a's endpoint is its UDP address)"
is "$(peerj a b .endpoint)" "198.18.150.2:51820" \
    "a's endpoint for b is b's UDP address"
wait "$PING"
got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$D/ping.out")
sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$D/ping.out")
diag "pings every 0.1 s across the switch: $sent sent, $got answered"
is "$got" "$sent" "no ping lost across the switch"
is "$(peerj a b .latest_handshake)" "$hs_a" "a: no new handshake"
is "$(peerj b a .latest_handshake)" "$hs_b" "b: no new handshake"
grep -q "peer b: back on direct UDP" "$D/a.log"
ok $? "a's log says it is back on direct UDP"
t "pings go direct" ip netns exec "$A" ping -c 3 -i 0.2 -W 2 100.64.150.2
sleep 2
is "$(peerj a b .path)" direct "no flap back down to ssh"

# ---- an ssh that fails: a wrong host key
printf '%s\n' 'peer "c" {' "	public-key \"$(wg genkey | wg pubkey)\"" \
    '	allowed-ips 100.64.150.3/32' \
    "	ssh \"_meshd@198.18.150.2\" identity-file \"$D/id_a\" known-hosts-file \"$D/wrong_known_hosts\"" \
    '}' >>"$D/a.conf"
t "a reloads with a peer whose host key is wrong" ctl a reload
wait_for 10 grep -q "peer c: ssh _meshd@198.18.150.2 exited" "$D/a.log"
ok $? "the failed ssh is logged"
like "$(grep "peer c: ssh _meshd@198.18.150.2 exited" "$D/a.log" | head -1)" \
    "exit status 255\\): .*(Host key verification failed|REMOTE HOST IDENTIFICATION)" \
    "with ssh's own reason"
t "the daemon lives" ctl a show status
t "and b is still reachable" ip netns exec "$A" ping -c 2 -i 0.2 -W 2 \
    100.64.150.2

# ---- serve stream goes from b's config: its listener closes on reload
t "b listens on 127.0.0.1:51821" ip netns exec "$B" nc -z 127.0.0.1 51821
conf_b | sed '/^serve stream {/,/^}/d' >"$D/b.conf"
t "b reloads without serve stream" ctl b reload
wait_for 5 sh -c "! ip netns exec '$B' nc -z 127.0.0.1 51821"
ok $? "b's stream listener is closed"
t "b lives" ctl b show status
done_testing
