#!/usr/bin/env bash
# A member whose site lets no UDP out at all, not even to its
# coordinator (issue 14): it learns nothing from a directory it cannot
# fetch over UDP, so its config names its coordinator's relay (relay
# "198.18.60.1:443" in the coordinator block).  n1 is the coordinator and
# the relay; b a member; a's site lets out only TCP 443.  a dials n1's
# relay at start, reaches n1 through it as a key n1's relay does not know
# yet (a stranger may reach only coordinators), registers, and from then
# on reaches b through the relay; b reaches a back.  Then a's site opens:
# a is back on direct UDP with n1 and b.  Last c, whose site lets out SSH
# too and whose coordinator block names both ssh and relay: SSH comes
# first on the ladder.

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg ping openssl nft bc nc
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

PROBE=4
HUB=rbh$$
mesh_hub "$HUB" || fail_setup "the hub"
tmpdir_new D
mesh_ca || fail_setup "an admin key"
mesh_host "$HUB" "rb1$$" 1 && mesh_host "$HUB" "rba$$" 3 &&
    mesh_host "$HUB" "rbb$$" 4 && mesh_host "$HUB" "rbc$$" 5 ||
    fail_setup "the hosts"
mesh_cert n1 1 -R coordinator,relay && mesh_cert a 3 && mesh_cert b 4 ||
    fail_setup "certificates"
relay_tls || fail_setup "the TLS key"
relay_conf n1 serve
# n1 also takes the SSH transport (c, below): its stream listener
printf 'serve stream {\n\tlisten "127.0.0.1:51821"\n}\n' >>"$D/n1.conf"
mesh_conf b n1:1
mesh_conf a n1:1
sed -i 's/^\t\tendpoint "198.18.60.1:51820"$/&\n\t\trelay "198.18.60.1:443"/' \
    "$D/a.conf"
for n in n1 a b; do
	sed -i "s/^\tlisten-port 51820\$/&\n\tprobe-interval $PROBE/" \
	    "$D/$n.conf"
done
t "a's config checks" "$MESHD" -n -f "$D/a.conf"
like "$("$MESHD" -nv -f "$D/a.conf" 2>&1)" 'relay "198.18.60.1:443"' \
    "meshd -nv prints the coordinator's relay"

# a's site: only TCP 443 out, nothing in but what answers it
ip netns exec "rba$$" nft -f - <<NFT || fail_setup "nftables on a"
table inet site {
	chain out {
		type filter hook output priority 0; policy drop;
		oifname != "eth0" accept
		ct state established,related accept
		tcp dport 443 accept
	}
	chain in {
		type filter hook input priority 0; policy drop;
		iifname != "eth0" accept
		ct state established,related accept
	}
}
NFT
ok $? "a's site lets out only TCP 443"
start_bg NC8 ip netns exec "rbb$$" timeout 60 nc -lk 198.18.60.4 8080
t "control: n1 reaches b's TCP 8080" wait_for 5 \
    ip netns exec "rb1$$" nc -z -w 2 198.18.60.4 8080
! ip netns exec "rba$$" nc -z -w 2 198.18.60.4 8080 &&
    ! ip netns exec "rba$$" ping -c 1 -W 1 198.18.60.1 >/dev/null
ok $? "control: a reaches neither b's TCP 8080 nor n1 by ping"

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
peerj() { ctl "$1" -j show peer "$2" | jq -r "$3"; }
path_is() { [ "$(peerj "$1" "$2" .path)" = "$3" ]; }
for n in n1:1 b:b; do
	meshd_up "${n%%:*}" "rb${n##*:}$$"
	ok $? "${n%%:*} starts" ||
	    { diag "$(cat "$D/${n%%:*}.log")"; done_testing; exit 1; }
done
t "n1 listens on TCP 443" wait_for 5 sh -c \
    "ip netns exec rb1$$ ss -Hltn sport = 443 | grep -q ."
t "b is on the mesh" wait_for 10 sh -c \
    "$MESHCTL -s $D/b.sock -j show peer n1 | jq -e '.latest_handshake > 0' >/dev/null"

# ---- a starts behind its firewall
meshd_up a "rba$$"; ok $? "a starts" ||
    { diag "$(cat "$D/a.log")"; done_testing; exit 1; }
t0=$(date +%s.%N)
# no route to b until a has the directory: then a ping every 0.2 s
wait_for 30 sh -c "$MESHCTL -s $D/a.sock show peer b >/dev/null 2>&1"
ok $? "a learns of b from n1 (through n1's relay)" ||
    diag "$(grep -i -e relay -e ladder -e 'peer ' "$D/a.log" | tail -30)"
diag "time from a being up to knowing b: $(echo "$(date +%s.%N) - $t0" | bc) s"
ip netns exec "rba$$" ping -c 1 -i 0.2 -w 30 100.64.0.4 >/dev/null
ok $? "a pings b (through n1's relay)" ||
    diag "$(grep -i -e relay -e ladder -e 'peer ' "$D/a.log" | tail -30)"
t_relay=$(echo "$(date +%s.%N) - $t0" | bc)
diag "time from a being up to a ping of b answered: $t_relay s"
t "b pings a" ip netns exec "rbb$$" ping -c 3 -i 0.2 -W 2 -w 10 100.64.0.3
t "a pings n1" ip netns exec "rba$$" ping -c 2 -i 0.2 -W 2 -w 10 100.64.0.1
is "$(peerj a n1 '"\(.path) \(.relay)"')" "relay n1" \
    "a reaches its coordinator n1 through n1's relay"
is "$(peerj a b '"\(.path) \(.relay)"')" "relay n1" \
    "and b through n1's relay"
like "$(ctl a show peers)" "b .*relay n1" "a's show peers says so"
is "$(peerj b a .path)" relay "b sees a through the relay too"
like "$(ctl n1 show status)" "relay" "n1's status shows its relay"
diag "$(ctl a show peers)"

# ---- a's site opens: back to direct UDP (with traffic both ways: a
# path is proven by what comes back over it)
start_bg PA ip netns exec "rba$$" ping -q -i 0.2 -W 1 -w 70 100.64.0.4 \
    >/dev/null 2>&1
start_bg PB ip netns exec "rbb$$" ping -q -i 0.2 -W 1 -w 70 100.64.0.3 \
    >/dev/null 2>&1
ip netns exec "rba$$" nft delete table inet site
# (a coordinator, a config peer, has no path of the ladder's to show
# once direct: its endpoint says it)
ep_is() { [ "$(peerj "$1" "$2" .endpoint)" = "$3" ]; }
wait_for 60 ep_is a n1 198.18.60.1:51820
ok $? "a back on direct UDP with n1 (within 60 s)" ||
    diag "$(ctl a show peer n1)"
wait_for 60 path_is a b direct
ok $? "and with b" || diag "$(ctl a show peer b)"
wait_for 60 path_is b a direct
ok $? "b back on direct UDP with a" || diag "$(ctl b show peer a)"
sleep 3
is "$(peerj a b .path) $(peerj b a .path)" "direct direct" \
    "and they stay on it"
kill "$PA" "$PB" 2>/dev/null
t "a pings b directly" ip netns exec "rba$$" ping -c 2 -i 0.2 -W 2 -w 10 \
    100.64.0.4

# ---- c: its site lets out TCP 443 and SSH, no UDP; its coordinator
# block names both ssh and relay: the ladder takes SSH first (direct,
# then SSH, then the relay), and the relay for b
if [ -x /usr/sbin/sshd ] && id _meshd >/dev/null 2>&1 &&
    command -v ssh-keygen >/dev/null; then
	mesh_cert c 5 || fail_setup "c's certificate"
	ssh-keygen -q -t ed25519 -N '' -f "$D/host_key" -C host
	ssh-keygen -q -t ed25519 -N '' -f "$D/id_c" -C meshd-c
	chown _meshd "$D/id_c"
	echo "198.18.60.1 $(cut -d' ' -f1,2 "$D/host_key.pub")" \
	    >"$D/known_hosts"
	printf 'restrict,port-forwarding,permitopen="127.0.0.1:51821",command="/usr/sbin/nologin" %s\n' \
	    "$(cat "$D/id_c.pub")" >"$D/authorized_keys"
	printf '%s\n' "ListenAddress 198.18.60.1:22" "HostKey $D/host_key" \
	    "AuthorizedKeysFile $D/authorized_keys" "PidFile $D/sshd.pid" \
	    "StrictModes no" "UsePAM yes" "PasswordAuthentication no" \
	    "KbdInteractiveAuthentication no" "AllowUsers _meshd" \
	    >"$D/sshd_config"
	mkdir -p /run/sshd
	start_bg SSHD ip netns exec "rb1$$" /usr/sbin/sshd -D -e \
	    -f "$D/sshd_config" 2>"$D/sshd.log"
	t "n1's sshd listens" wait_for 5 \
	    ip netns exec "rb1$$" nc -z 198.18.60.1 22
	mesh_conf c n1:1
	sed -i "s|^\t\tendpoint \"198.18.60.1:51820\"\$|&\n\t\tssh \"_meshd@198.18.60.1\" identity-file \"$D/id_c\" known-hosts-file \"$D/known_hosts\"\n\t\trelay \"198.18.60.1:443\"|" \
	    "$D/c.conf"
	sed -i "s/^\tlisten-port 51820\$/&\n\tprobe-interval $PROBE/" \
	    "$D/c.conf"
	like "$("$MESHD" -nv -f "$D/c.conf" 2>&1)" \
	    'ssh "_meshd@198.18.60.1" identity-file' \
	    "meshd -nv prints the coordinator's ssh"
	ip netns exec "rbc$$" nft -f - <<NFT || fail_setup "nftables on c"
table inet site {
	chain out {
		type filter hook output priority 0; policy drop;
		oifname != "eth0" accept
		ct state established,related accept
		tcp dport { 22, 443 } accept
	}
	chain in {
		type filter hook input priority 0; policy drop;
		iifname != "eth0" accept
		ct state established,related accept
	}
}
NFT
	ok $? "c's site lets out only TCP 22 and 443"
	meshd_up c "rbc$$"; ok $? "c starts" ||
	    diag "$(cat "$D/c.log")"
	wait_for 30 sh -c "$MESHCTL -s $D/c.sock show peer b >/dev/null 2>&1"
	ok $? "c learns of b from n1"
	t "c pings n1" ip netns exec "rbc$$" ping -c 1 -W 2 -w 20 100.64.0.1
	is "$(peerj c n1 .path)" ssh \
	    "c reaches n1 over SSH, before the relay" ||
	    diag "$(grep -i -e ssh -e relay -e 'peer n1' "$D/c.log" | tail)"
	t "c pings b" ip netns exec "rbc$$" ping -c 1 -W 2 -w 20 100.64.0.4
	is "$(peerj c b '"\(.path) \(.relay)"')" "relay n1" \
	    "and b (no SSH to it) through n1's relay"
	kill "$SSHD" 2>/dev/null
else
	ok 0 "# SKIP no sshd, ssh-keygen or user _meshd for c's SSH"
fi

# ---- a reload that takes the relay away is a change meshctl reports
sed -i '/relay "198.18.60.1:443"/d' "$D/a.conf"
like "$(ctl a reload 2>&1)" "changed peer n1: relay" \
    "reload: the coordinator's relay is a change"
done_testing
