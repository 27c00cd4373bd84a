#!/usr/bin/env bash
# A mapped path through a symmetric NAT: member b sits behind a NAT that
# maps every destination to a new random port (the lab's symmetric type)
# whose router runs miniupnpd; member a behind a port-restricted NAT.
# Simultaneous open cannot punch this pairing (b's packets come from a
# port a never sent to, and a's filter wants exactly that); b's gateway
# mapping of its tunnel port (PCP) can: a's initiation goes to the mapped
# port, b's answer leaves through it.  show peer says path "mapped" and
# a's endpoint for b is the mapping.
#
#   internet (natlab): 198.18.0.2 the coordinator; 198.18.0.3 and .4 a
#   STUN server (turnserver at two addresses, with an alternate port:
#   miniupnpd tests its own address with CHANGE-REQUEST, see
#   regress/interop/natpmp-miniupnpd.t); site 1 port-restricted (a);
#   site 2 symmetric with miniupnpd (b).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../natlab.sh"
need_cmds turnserver nft jq wg
MINIUPNPD=${MINIUPNPD:-/usr/sbin/miniupnpd}
[ -x "$MINIUPNPD" ] ||
    skip_all "$MINIUPNPD missing (Debian: miniupnpd-nftables)"
need_root
tmpdir_new D

natlab_internet "pmi$$" &&
    natlab_public "pmc$$" 2 && natlab_public "pms$$" 3 4 &&
    natlab_site "pmra$$" 1 port-restricted &&
    natlab_host "pmra$$" "pmha$$" 2 &&
    natlab_site "pmrb$$" 2 symmetric &&
    natlab_host "pmrb$$" "pmhb$$" 2 || fail_setup "the lab"
BEXT=$(natlab_ext "pmrb$$")

turn_up "pms$$" 198.18.0.3 198.18.0.4 || fail_setup "turnserver"

# miniupnpd's chains (its 2.3.1 defaults), beside the lab's own table:
# the lab's forward filter lets in what was dnat'd
ip netns exec "pmrb$$" nft -f - <<'NFT' || fail_setup "miniupnpd's chains"
table inet filter {
	chain forward {
		type filter hook forward priority filter; policy accept;
		jump miniupnpd
	}
	chain miniupnpd {
	}
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		jump prerouting_miniupnpd
	}
	chain postrouting {
		type nat hook postrouting priority srcnat - 1; policy accept;
		jump postrouting_miniupnpd
	}
	chain prerouting_miniupnpd {
	}
	chain postrouting_miniupnpd {
	}
}
NFT
# miniupnpd asks the STUN server to answer from its other address and
# port (CHANGE-REQUEST) to learn that nothing filters its own address:
# the lab's router drops what comes to itself unasked; let those in
ip netns exec "pmrb$$" nft insert rule ip natlab filter_in iifname eth0 \
    ip saddr '{ 198.18.0.3, 198.18.0.4 }' udp sport '{ 3478, 3479 }' \
    accept || fail_setup "the router's input rule for STUN"
cat >"$D/miniupnpd.conf" <<EOF
ext_ifname=eth0
listening_ip=br0
enable_upnp=no
enable_natpmp=yes
secure_mode=yes
ext_perform_stun=yes
ext_stun_host=198.18.0.3
ext_stun_port=3478
lease_file=$D/leases
uuid=6d657368-642d-4e41-5450-4d5000000003
allow 1024-65535 $(natlab_lan "pmrb$$").0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
EOF
start_bg UPNPD ip netns exec "pmrb$$" "$MINIUPNPD" -d -f "$D/miniupnpd.conf" \
    -P "$D/miniupnpd.pid" 2>>"$D/miniupnpd.log"
wait_for 15 grep -q 'Port forwarding is now enabled' "$D/miniupnpd.log" ||
    { diag "$(tail -n 20 "$D/miniupnpd.log")"; fail_setup miniupnpd; }

mesh_ca || fail_setup "the admin key"
mesh_cert c 1 -R coordinator && mesh_cert a 2 && mesh_cert b 3 ||
    fail_setup "the certificates"
mesh_conf c serve
MESH_EXTRA=$(printf '\tstun "198.18.0.3:3478"\n\tstun "198.18.0.4:3478"')
mesh_conf a c:198.18.0.2
mesh_conf b c:198.18.0.2
meshd_up c "pmc$$" && meshd_up a "pmha$$" && meshd_up b "pmhb$$" ||
    fail_setup "the daemons"
ctl() { "$MESHCTL" -s "$D/$1.sock" "${@:2}"; }

# b's mapping, and its candidates registered with it
for i in $(seq 80); do
	[ "$(ctl b -j netcheck | jq -r .port_mapping.protocol)" = PCP ] &&
	    break
	sleep 0.5
done
nc=$(ctl b -j netcheck)
is "$(jq -r .port_mapping.protocol <<<"$nc")" PCP \
    "b's gateway (miniupnpd) mapped its port with PCP" ||
    diag "$(jq -c .port_mapping <<<"$nc")"
MAPPED=$(jq -r .port_mapping.external <<<"$nc")
like "$MAPPED" "^$BEXT:[0-9]+\$" "at b's NAT's outside address ($MAPPED)"
like "$(jq -r .mapping <<<"$nc")" 'dependent' \
    "b's NAT maps per destination ($(jq -r .mapping <<<"$nc"))"

# a knows b's mapped candidate through the coordinator, then pings b
knows() {
	ctl "$1" -j show peers 2>/dev/null |
	    jq -e --arg n "$2" '.peers[] | select(.name == $n)' >/dev/null
}
wait_for 10 knows a b || diag "a does not know b"
t0=$(date +%s.%N) t1=
for i in $(seq 20); do
	if natlab_exec "pmha$$" ping -c 1 -W 1 100.64.0.3 >/dev/null 2>&1
	then
		t1=$(date +%s.%N)
		break
	fi
done
[ -n "$t1" ]
ok $? "a pings b through b's symmetric NAT" ||
    diag "$(ctl a show peer b)" "$(tail -n 5 "$D/a.log")"
[ -n "$t1" ] && diag "first answer after $(awk -v a="$t0" -v b="$t1" \
    'BEGIN { printf "%.2f", b - a }') s"
j=$(ctl a -j show peer b)
is "$(jq -r .path <<<"$j")" mapped "a's path to b is mapped" ||
    diag "why: $(jq -r .why <<<"$j")"
is "$(jq -r .endpoint <<<"$j")" "$MAPPED" "a's endpoint for b is the mapping" ||
    diag "$(ctl b -j netcheck | jq -c .port_mapping)" "$(grep portmap "$D/b.log")"
has "$(jq -r '.candidates | join(",")' <<<"$j")" "mapped $MAPPED" \
    "b's candidates, as a has them, hold it"

kill "$UPNPD" "$TURN" 2>/dev/null
done_testing
