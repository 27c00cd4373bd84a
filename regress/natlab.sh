# A NAT lab in network namespaces, for the NAT traversal tests.  Source it
# after lib.sh (which removes every namespace made here at exit):
#   . "$(dirname "$0")/../lib.sh"
#   . "$(dirname "$0")/../natlab.sh"
#
# The world:
#
#   natlab_internet NS
#	the "internet": namespace NS holding bridge br0 with 198.18.0.1/20.
#	It routes (to the LANs of "none" sites) and keeps no state.
#   natlab_public NS N [N2 ...]
#	a host on the internet (a coordinator, a STUN server): namespace NS
#	with 198.18.0.N/20 (and 198.18.0.N2/20 ... : a server with two
#	addresses) on eth0, default route via 198.18.0.1.  N in 2..254.
#   natlab_site NS K TYPE [hairpin] [timeout SECONDS] [loss PERCENT]
#	site K (1..239): router namespace NS, its outside address
#	198.18.1.K/20 on eth0 (on the internet's bridge), its LAN on bridge
#	br0: 198.19.K.0/24 (private; the router is 198.19.K.1) behind a
#	NAT of TYPE, or for TYPE none a public 198.18.(16+K).0/24 routed to
#	it, no NAT and no filter.  TYPE (RFC 4787 terms):
#	  none		no NAT: hosts have public addresses
#	  full-cone	endpoint-independent mapping and filtering
#	  addr-restricted  endpoint-independent mapping, address-dependent
#			filtering
#	  port-restricted  endpoint-independent mapping, address-and-port-
#			dependent filtering
#	  symmetric	address-and-port-dependent mapping (a new random port
#			per destination address and port) and filtering
#	  symmetric-seq	the same with sequential ports: each new flow from
#			the site takes the next port from 49152 up (wrapping
#			after 50175), as some NATs do and port prediction
#			hopes
#	The three endpoint-independent types preserve the host's port when
#	no other host of the site holds it.  hairpin: a host may reach
#	another of the same site at its external address and port (off by
#	default: such packets are dropped).  timeout: the NAT's UDP
#	mapping and filter lifetime (default: conntrack's, see below).
#	loss: as natlab_loss.
#   natlab_host SITE NS N
#	host N (2..254) on SITE's LAN: namespace NS, eth0 with the LAN's .N
#	(198.19.K.N/24, or 198.18.(16+K).N/24 for none), default route via
#	the router (.1).
#   natlab_loss SITE PERCENT
#	drop PERCENT (0..100, 0 to stop) of the IPv4 packets crossing the
#	site's outside link, each way, at random (the kernel here has no
#	sch_netem, so tc netem cannot do it: nftables' numgen does).
#   natlab_ext SITE	prints the site's outside address 198.18.1.K
#   natlab_lan SITE	prints the LAN's first three octets (198.19.K)
#   natlab_addr NS	prints NS's address on eth0 (the first, IPv4)
#   natlab_exec NS COMMAND ...	runs COMMAND in NS
#   natlab_conntrack SITE	prints the router's conntrack UDP flows
#
# Addresses come only from 198.18.0.0/15 (RFC 2544's benchmarking range):
# nothing in the lab can leak to a real network.
#
# Timeouts.  Linux conntrack keeps a UDP flow 30 s after its last packet
# (net.netfilter.nf_conntrack_udp_timeout) until it has had a reply and
# a packet more than 2 s after its first; from then on ("assured") 120 s
# (nf_conntrack_udp_timeout_stream).  Both are per namespace; natlab.t
# checks them, as keepalives must be shorter than the first: a path
# punched with one exchange dies 30 s later unless kept alive.
# Filtering by conntrack (port-restricted, symmetric) follows those; the
# endpoint-independent mappings and the address filter are nftables map
# entries refreshed by every packet of a flow that uses them, with a
# lifetime of 120 s, so they never expire before the flows do.
# "timeout S" sets all of them to S.
#
# Why each ruleset behaves as its name says (the rules are in
# natlab_nat_rules):
#  - Plain Linux masquerade is not a faithful endpoint-independent NAT:
#    conntrack keeps the source port whenever the resulting five-tuple is
#    unique, so two inside hosts can hold one external port at once
#    (towards different destinations), and the second then gets another
#    port only towards destinations where the first one's flow collides:
#    a mapping that depends on the destination (natlab.t's two hosts on
#    one port fail with plain masquerade).  So the three EIM types keep their
#    own table of mappings: map "eim" (inside address . port -> outside
#    address . port) and map "own" (outside port -> inside address .
#    port), learnt after NAT from conntrack's view of each flow.  A new
#    flow from a mapped inside endpoint is snat'd to its mapping whatever
#    its destination (endpoint-independent mapping); an unmapped one
#    keeps its port when no one owns it (port preservation) and gets a
#    random port from 49152-65535 otherwise.
#  - Filtering: the router drops every new inbound flow not dnat'd by
#    a rule below.  full-cone dnats any inbound packet to a mapped port
#    to its owner (endpoint-independent filtering).  addr-restricted
#    dnats it only when the owner sent to that source address (set
#    "peers": outside port . remote address, any remote port):
#    address-dependent filtering.  port-restricted has no such rule: only
#    conntrack's flows let packets in, and a flow is the exact remote
#    address and port the host sent to (address-and-port-dependent).
#  - symmetric snats every new flow to a random port ("fully-random": no
#    port preservation, the port drawn afresh for each conntrack flow, so
#    each new destination address or port gets a new mapping) and lets
#    in only conntrack's flows.  symmetric-seq snats each new UDP flow
#    to the next port of an nftables counter (numgen inc, one step per
#    new flow since a nat chain only sees a flow's first packet), through
#    a map of counter values to ports: nft 1.0.6 stores numgen's value
#    in host byte order where snat reads a port in network order, so
#    "numgen inc offset 49152" gives ports 192, 448, 704 ...
#  - Hairpinning (option): a packet from the LAN to the outside address
#    and a port in "own" is dnat'd to its owner and snat'd to the
#    sender's own mapping, so the receiver sees the sender's external
#    address and port (RFC 4787 REQ-9).  The hairpin path does not filter.

declare -A NL_K NL_TYPE NL_PFX
NL_INET=

# natlab_sysctl NS NAME=VALUE ...: quietly; false when one could not be
# set (bridge netfilter's may be missing: callers ignore those)
natlab_sysctl() {
	local ns=$1; shift
	ip netns exec "$ns" sysctl -qw "$@" >/dev/null 2>&1
}

natlab_internet() {
	netns_new "$1" || return 1
	NL_INET=$1
	ip -n "$1" link add br0 type bridge &&
	    ip -n "$1" addr add 198.18.0.1/20 dev br0 &&
	    ip -n "$1" link set br0 up || return 1
	ip netns exec "$1" sysctl -qw net.ipv4.ip_forward=1 \
	    net.ipv4.conf.all.send_redirects=0 \
	    net.ipv4.conf.br0.send_redirects=0 >/dev/null || return 1
	# bridged frames must not cross this namespace's IP hooks
	natlab_sysctl "$1" net.bridge.bridge-nf-call-iptables=0
}

# natlab_join NS IF ADDR/LEN...: a veth IF on the internet's bridge, its
# other end eth0 in NS with the addresses, default via 198.18.0.1
natlab_join() {
	local ns=$1 ifn=$2 a; shift 2
	[ -n "$NL_INET" ] || { echo "natlab: no internet yet" >&2; return 1; }
	ip link add "$ifn" netns "$NL_INET" type veth peer name eth0 \
	    netns "$ns" &&
	    ip -n "$NL_INET" link set "$ifn" master br0 up || return 1
	for a; do ip -n "$ns" addr add "$a" dev eth0 || return 1; done
	ip -n "$ns" link set eth0 up &&
	    ip -n "$ns" route add default via 198.18.0.1
}

natlab_public() {
	local ns=$1 n; shift
	netns_new "$ns" || return 1
	local addrs=()
	for n; do addrs+=("198.18.0.$n/20"); done
	natlab_join "$ns" "p$1" "${addrs[@]}"
}

natlab_ext() { echo "198.18.1.${NL_K[$1]}"; }
natlab_lan() { echo "${NL_PFX[$1]}"; }
natlab_addr() {
	ip -n "$1" -4 -o addr show dev eth0 |
	    awk '{ sub("/.*", "", $4); print $4; exit }'
}
natlab_exec() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
# natlab_conntrack SITE: the router's UDP flows, one a line as in
# /proc/net/nf_conntrack (seconds left are the fifth field)
natlab_conntrack() {
	ip netns exec "$1" awk '$3 == "udp"' /proc/net/nf_conntrack
}

natlab_site() {
	local ns=$1 k=$2 type=$3 hairpin=0 timeout= loss=0
	shift 3
	while [ $# -gt 0 ]; do
		case $1 in
		hairpin) hairpin=1 ;;
		timeout) timeout=$2; shift ;;
		loss) loss=$2; shift ;;
		*) echo "natlab_site: $1: unknown option" >&2; return 1 ;;
		esac
		shift
	done
	case $type in
	none|full-cone|addr-restricted|port-restricted|symmetric) ;;
	symmetric-seq) ;;
	*) echo "natlab_site: $type: unknown NAT type" >&2; return 1 ;;
	esac
	if [ "$k" -lt 1 ] || [ "$k" -gt 239 ]; then
		echo "natlab_site: site number $k not in 1..239" >&2
		return 1
	fi
	netns_new "$ns" || return 1
	NL_K[$ns]=$k NL_TYPE[$ns]=$type
	if [ "$type" = none ]; then
		NL_PFX[$ns]=198.18.$((16 + k))
	else
		NL_PFX[$ns]=198.19.$k
	fi
	natlab_join "$ns" "r$k" "198.18.1.$k/20" &&
	    ip -n "$ns" link add br0 type bridge &&
	    ip -n "$ns" addr add "${NL_PFX[$ns]}.1/24" dev br0 &&
	    ip -n "$ns" link set br0 up || return 1
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 \
	    net.ipv4.conf.all.send_redirects=0 \
	    net.ipv4.conf.br0.send_redirects=0 >/dev/null || return 1
	natlab_sysctl "$ns" net.bridge.bridge-nf-call-iptables=0
	if [ "$type" = none ]; then
		ip -n "$NL_INET" route add "${NL_PFX[$ns]}.0/24" \
		    via "198.18.1.$k" || return 1
	else
		local ct=net.netfilter.nf_conntrack_udp_timeout
		if [ -n "$timeout" ]; then
			natlab_sysctl "$ns" "$ct=$timeout" \
			    "${ct}_stream=$timeout" || return 1
		fi
		natlab_nat_rules "$type" "198.18.1.$k" "${NL_PFX[$ns]}.0/24" \
		    "$hairpin" "${timeout:-120}" |
		    ip netns exec "$ns" nft -f - || return 1
	fi
	[ "$loss" = 0 ] || natlab_loss "$ns" "$loss"
}

natlab_host() {
	local site=$1 ns=$2 n=$3
	netns_new "$ns" || return 1
	ip link add "h$n" netns "$site" type veth peer name eth0 netns "$ns" &&
	    ip -n "$site" link set "h$n" master br0 up &&
	    ip -n "$ns" addr add "${NL_PFX[$site]}.$n/24" dev eth0 &&
	    ip -n "$ns" link set eth0 up &&
	    ip -n "$ns" route add default via "${NL_PFX[$site]}.1"
}

# natlab_loss SITE PERCENT: on the router's eth0 (inbound) and on its
# port of the internet's bridge (outbound), at ingress: a packet lost
# inbound never reaches the router's conntrack, one lost outbound was
# NATed first, as on a lossy link outside a real router.  ARP is spared
# (lost ARP would stall a flow for a second, which is not what a test of
# 10% loss means).
natlab_loss() {
	local site=$1 pct=$2 k=${NL_K[$1]}
	ip netns exec "$site" nft delete table netdev natlab_loss 2>/dev/null
	ip netns exec "$NL_INET" nft delete table netdev "natlab_loss_r$k" \
	    2>/dev/null
	[ "$pct" = 0 ] && return 0
	natlab_loss_rules natlab_loss eth0 "$pct" |
	    ip netns exec "$site" nft -f - &&
	    natlab_loss_rules "natlab_loss_r$k" "r$k" "$pct" |
	    ip netns exec "$NL_INET" nft -f -
}

natlab_loss_rules() {
	cat <<EOF
table netdev $1 {
	chain in {
		type filter hook ingress device "$2" priority 0; policy accept;
		meta protocol ip numgen random mod 100 < $3 drop
	}
}
EOF
}

# natlab_nat_rules TYPE EXT LAN HAIRPIN TIMEOUT: the router's ruleset
# (eth0 outside, br0 the LAN); see the top of this file for why
natlab_nat_rules() {
	local type=$1 ext=$2 lan=$3 hairpin=$4 to=$5
	cat <<EOF
table ip natlab {
	# inside endpoint -> its mapping (outside address . port)
	map eim {
		type ipv4_addr . inet_service : ipv4_addr . inet_service
		flags dynamic,timeout; timeout ${to}s
	}
	# outside port -> the inside endpoint that owns it
	map own {
		type inet_service : ipv4_addr . inet_service
		flags dynamic,timeout; timeout ${to}s
	}
	# outside port . remote address it sent to (address filter)
	set peers {
		type inet_service . ipv4_addr
		flags dynamic,timeout; timeout ${to}s
	}

	chain dnat_in {
		type nat hook prerouting priority dstnat; policy accept;
EOF
	case $type in
	full-cone) cat <<EOF
		iifname "eth0" udp dport @own dnat ip to udp dport map @own
EOF
		;;
	addr-restricted) cat <<EOF
		iifname "eth0" udp dport . ip saddr @peers \\
		    dnat ip to udp dport map @own
EOF
		;;
	esac
	[ "$hairpin" = 1 ] && cat <<EOF
		iifname "br0" ip daddr $ext udp dport @own \\
		    dnat ip to udp dport map @own
EOF
	cat <<EOF
	}

	chain snat_out {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "eth0" ip saddr $lan jump snat_map
		iifname "br0" oifname "br0" ct status dnat jump snat_map
	}
	chain snat_map {
EOF
	if [ "$type" = symmetric ]; then
		cat <<EOF
		snat ip to $ext fully-random
EOF
	elif [ "$type" = symmetric-seq ]; then
		local i seq=
		for ((i = 0; i < 1024; i++)); do
			seq="$seq${seq:+, }$i : $((49152 + i))"
		done
		cat <<EOF
		meta l4proto udp snat ip to $ext : \\
		    numgen inc mod 1024 map { $seq }
		snat ip to $ext
EOF
	else
		cat <<EOF
		ip saddr . udp sport @eim \\
		    snat ip to ip saddr . udp sport map @eim
		udp sport @own snat ip to $ext:49152-65535 random
		snat ip to $ext
EOF
	fi
	cat <<EOF
	}

	# after NAT: learn (and refresh, at every packet either way) the
	# mappings from conntrack: inside flows (snat) map their original
	# source to the reply's destination; flows let in (dnat) map the
	# reply's source to the original destination.  A hairpin flow is
	# both.
	chain learn {
		type filter hook postrouting priority srcnat + 1; policy accept;
		meta l4proto udp ct status snat \\
		    update @eim { ct original ip saddr . \\
			ct original proto-src : \\
			ct reply ip daddr . ct reply proto-dst } \\
		    update @own { ct reply proto-dst : \\
			ct original ip saddr . ct original proto-src }
		meta l4proto udp ct status dnat \\
		    update @eim { ct reply ip saddr . ct reply proto-src : \\
			ct original ip daddr . ct original proto-dst } \\
		    update @own { ct original proto-dst : \\
			ct reply ip saddr . ct reply proto-src }
		oifname "eth0" meta l4proto udp ct status snat \\
		    ct direction original \\
		    update @peers { ct reply proto-dst . ct original ip daddr }
		oifname "eth0" meta l4proto udp ct status dnat \\
		    ct direction reply \\
		    update @peers { ct original proto-dst . \\
			ct original ip saddr }
	}

	# nothing new comes in unless dnat'd above
	chain filter_fwd {
		type filter hook forward priority filter; policy drop;
		iifname "br0" accept
		ct state established,related accept
		ct status dnat accept
	}
	chain filter_in {
		type filter hook input priority filter; policy accept;
		iifname "eth0" ct state established,related accept
		iifname "eth0" icmp type echo-request accept
		iifname "eth0" drop
		# no hairpin: the LAN cannot reach the outside address
		iifname "br0" ip daddr $ext meta l4proto udp drop
	}
}
EOF
}
