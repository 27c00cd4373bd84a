#!/usr/bin/env bash
# The NAT lab (regress/natlab.sh) does what its NAT types say, in RFC 4787
# terms, as a NAT traversal test relies on: for each type a site with a
# host, and on the internet a probe server with two addresses and two
# ports each (regress/interop/udpprobe, which answers with the source it
# saw, from the socket the probe asks for).
#  - mapping: the external address and port the servers see from one
#    inside socket towards two addresses and two ports (endpoint-
#    independent: the same one; symmetric: one per destination);
#  - port allocation: preserved (endpoint-independent types) or random
#    (symmetric);
#  - filtering: whether an answer from a port or an address the host
#    never sent to gets in, and that nothing gets in to a port never
#    mapped;
#  - two hosts on one port behind one NAT get distinct mappings, and
#    reach each other through the outside address with hairpin on, not
#    with it off;
#  - a site reaches another;
#  - conntrack's UDP timeouts are the ones natlab.sh documents (30 s,
#    120 s), and a site's "timeout" option sets them and the mappings';
#  - 10% loss on a router's outside link loses about a fifth of the
#    round trips, and retries still get through.

. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../natlab.sh"
need_root
need_cmds nft awk
PROBE=${UDPPROBE:-$MESHD_BUILD/regress/interop/udpprobe}
[ -x "$PROBE" ] || skip_all "$PROBE not built (run make check)"

S1=198.18.0.2 S2=198.18.0.3
natlab_internet "nli$$" || fail_setup "the internet"
natlab_public "nls$$" 2 3 || fail_setup "the probe server's host"
tmpdir_new D
start_bg SRV natlab_exec "nls$$" "$PROBE" -l $S1:3478 -l $S1:3479 \
    -l $S2:3478 -l $S2:3479 >"$D/srv.out" 2>"$D/srv.err"
wait_for 5 grep -qx ready "$D/srv.out" || fail_setup "the probe server"

# probe NS PORT [OPTIONS] DEST[/FROM] ...: udpprobe's lines
probe() {
	local ns=$1 port=$2; shift 2
	natlab_exec "$ns" "$PROBE" -b "$port" "$@" 2>>"$D/probe.err"
}
diag_lines() { local l; while IFS= read -r l; do diag "$l"; done <<<"$1"; }
# seen LINES N: the source the Nth line's server saw
seen() { awk -v n="$2" 'NR == n { print $3 }' <<<"$1"; }
# gets_in NS PORT DEST FROM: 0 when an answer from FROM reaches the host's
# PORT, sent there after a probe to DEST only
gets_in() {
	local r
	r=$(probe "$1" "$2" -r 2 -t 300 "$3/$4")
	[ "$(seen "$r" 1)" != - ]
}

# what the servers saw, as a table (for the closing notes)
TABLE=("$(printf '%-16s %-30s %-8s %s' type \
    'seen from :40000 (S1 S2 S1:3479)' 'other port' 'other addr')")
table_row() {
	local ports in=("in" dropped)
	ports="${2##*:} ${3##*:} ${4##*:}"
	TABLE+=("$(printf '%-16s %-30s %-8s   %s' "$1" "$ports" \
	    "${in[$5]}" "${in[$6]}")")
}

# type K port-filtered addr-filtered
check_type() {
	local type=$1 k=$2 pf=$3 af=$4
	local rt=nlr$k$$ h=nlh$k$$ ext lan r a b c p f again
	natlab_site "$rt" "$k" "$type" || fail_setup "a $type site"
	natlab_host "$rt" "$h" 2 || fail_setup "a host in the $type site"
	ext=$(natlab_ext "$rt") lan=$(natlab_lan "$rt")

	r=$(probe "$h" 40000 $S1:3478 $S2:3478 $S1:3479)
	a=$(seen "$r" 1) b=$(seen "$r" 2) c=$(seen "$r" 3)
	if [ "$type" = none ]; then
		is "$a $b $c" "$lan.2:40000 $lan.2:40000 $lan.2:40000" \
		    "$type: the servers see the host's own address and port"
	elif [ "$type" = symmetric-seq ]; then
		like "$a" "^$ext:[0-9]+\$" \
		    "$type: the servers see the router's address"
		is "$b $c" "$ext:$((${a##*:} + 1)) $ext:$((${a##*:} + 2))" \
		    "$type: a new mapping per destination, the next port"
	elif [ "$type" != symmetric ]; then
		is "$a $b $c" "$ext:40000 $ext:40000 $ext:40000" \
		    "$type: one mapping for every destination, port kept"
	else
		like "$a $b $c" "^$ext:[0-9]+ $ext:[0-9]+ $ext:[0-9]+\$" \
		    "$type: the servers see the router's address"
		ok $( [ "$a" != "$b" ] && [ "$a" != "$c" ] &&
		    [ "$b" != "$c" ]; echo $?) \
		    "$type: a new mapping per destination address and port" ||
		    diag "$a $b $c"
		ok $( [ "$a $b $c" != \
		    "$ext:40000 $ext:40000 $ext:40000" ]; echo $?) \
		    "$type: the port is not kept"
		again=$(seen "$(probe "$h" 40000 $S1:3478)" 1)
		is "$again" "$a" "$type: the same destination keeps its mapping"
	fi

	# filtering: each from a fresh port, so no earlier flow interferes
	gets_in "$h" 40001 $S1:3478 $S1:3479
	p=$?
	is "$p" "$pf" "$type: an answer from another port of the same $(
	    [ "$pf" = 0 ] && echo address gets in || echo address is dropped)"
	gets_in "$h" 40002 $S1:3478 $S2:3478
	f=$?
	is "$f" "$af" "$type: an answer from another address $(
	    [ "$af" = 0 ] && echo gets in || echo is dropped)"
	table_row "$type" "$a" "$b" "$c" "$p" "$f"

	# a port never mapped: nothing reaches it (but in a public site)
	start_bg L natlab_exec "$h" "$PROBE" -l "$lan.2:40003" \
	    >"$D/l$k.out" 2>&1
	wait_for 5 grep -qx ready "$D/l$k.out" || fail_setup "a listener"
	if [ "$type" = none ]; then
		r=$(probe "nls$$" 40003 "$lan.2:40003")
		is "$(seen "$r" 1)" "$S1:40003" \
		    "$type: a host is reachable unasked" ||
		    diag "$(cat "$D/l$k.out")"
	else
		r=$(probe "nls$$" 40003 -r 2 -t 300 "$ext:40003")
		is "$(seen "$r" 1)" - \
		    "$type: nothing reaches a port never mapped"
	fi
	kill "$L" 2>/dev/null
}

check_type none 1 0 0
check_type full-cone 2 0 0
check_type addr-restricted 3 0 1
check_type port-restricted 4 1 1
check_type symmetric 5 1 1
check_type symmetric-seq 13 1 1

# ---- sites reach each other: a host behind a NAT, one with a public
# address (routed through the internet's namespace)
start_bg L natlab_exec "nlh1$$" "$PROBE" -l "$(natlab_lan "nlr1$$").2:45000" \
    >"$D/l1b.out" 2>&1
wait_for 5 grep -qx ready "$D/l1b.out" || fail_setup "a listener"
r=$(probe "nlh2$$" 45000 "$(natlab_lan "nlr1$$").2:45000")
is "$(seen "$r" 1)" "$(natlab_ext "nlr2$$"):45000" \
    "a host behind a NAT reaches a host of a public site, seen mapped"
kill "$L" 2>/dev/null

# ---- conntrack's UDP timeouts, which keepalives must beat: 30 s after a
# first exchange, 120 s once a flow had replies and lived 2 s
# ct_left SITE PORT: seconds the router keeps the host's flow from PORT
ct_left() {
	natlab_conntrack "$1" | awk -v p="sport=$2" '
	    { for (i = 6; i <= NF; i++) if ($i == p) { print $5; exit } }'
}
probe "nlh4$$" 44000 $S1:3478 >/dev/null
t=$(ct_left "nlr4$$" 44000)
ok $( [ "${t:-0}" -ge 28 ] && [ "${t:-0}" -le 30 ]; echo $?) \
    "conntrack: a flow after one exchange lasts 30 s (${t:-none} left)"
sleep 2.2
probe "nlh4$$" 44000 $S1:3478 >/dev/null
t=$(ct_left "nlr4$$" 44000)
ok $( [ "${t:-0}" -ge 118 ] && [ "${t:-0}" -le 120 ]; echo $?) \
    "conntrack: one more exchange 2 s later, 120 s (${t:-none} left)"

# ---- two hosts on one port behind one NAT, hairpin on and off
check_hairpin() {
	local type=$1 k=$2 mode=$3
	local r=nlr$k$$ ea eb a b ext lan res
	natlab_site "$r" "$k" "$type" $([ "$mode" = on ] && echo hairpin) ||
	    fail_setup "a $type site, hairpin $mode"
	natlab_host "$r" "nla$k$$" 2 && natlab_host "$r" "nlb$k$$" 3 ||
	    fail_setup "two hosts in a $type site"
	ext=$(natlab_ext "$r") lan=$(natlab_lan "$r")
	# the second host first sends where the first did not: plain
	# masquerade would keep its port there (the five-tuple is free) and
	# change it towards S1, a mapping that depends on the destination
	ea=$(seen "$(probe "nla$k$$" 41000 $S1:3478)" 1)
	res=$(probe "nlb$k$$" 41000 $S2:3478 $S1:3478)
	eb=$(seen "$res" 1)
	if [ "$mode" = on ] && [ "$type" != symmetric ]; then
		like "$ea $eb" "^$ext:41000 $ext:[0-9]+\$" \
		    "$type: the first host keeps its port"
		ok $( [ "$eb" != "$ea" ] && [ "$eb" = "$(seen "$res" 2)" ];
		    echo $?) "$type: the second, on the same port, gets" \
		    "another, the same towards every destination" ||
		    diag_lines "$res"
	fi
	start_bg L natlab_exec "nlb$k$$" "$PROBE" -l "$lan.3:41000" \
	    >"$D/h$k.out" 2>&1
	wait_for 5 grep -qx ready "$D/h$k.out" || fail_setup "a listener"
	res=$(probe "nla$k$$" 41000 -r 2 -t 300 "$eb")
	a=$(seen "$res" 1)
	if [ "$mode" = on ] && [ "$type" = symmetric ]; then
		like "$a" "^$ext:[0-9]+\$" "$type, hairpin on: a host reaches\
 the other at its mapping, which sees the router's address"
	elif [ "$mode" = on ]; then
		is "$a" "$ea" "$type, hairpin on: a host reaches the other at\
 its mapping, which sees the first's mapping"
	else
		is "$a" - "$type, hairpin off: a host cannot reach the other\
 at its mapping"
	fi
	kill "$L" 2>/dev/null
}
check_hairpin port-restricted 6 on
check_hairpin port-restricted 7 off
check_hairpin full-cone 8 on
check_hairpin symmetric 9 on

# ---- timeout 2: mappings and filters last 2 s after the last packet
natlab_site "nlr11$$" 11 full-cone timeout 2 ||
    fail_setup "a full-cone site, timeout 2"
natlab_host "nlr11$$" "nlh11$$" 2 || fail_setup "a host, timeout 2"
ext=$(natlab_ext "nlr11$$")
probe "nlh11$$" 43000 $S1:3478 >/dev/null
start_bg L natlab_exec "nlh11$$" "$PROBE" \
    -l "$(natlab_lan "nlr11$$").2:43000" >"$D/l11.out" 2>&1
wait_for 5 grep -qx ready "$D/l11.out" || fail_setup "a listener"
r=$(probe "nls$$" 43100 -r 2 -t 300 "$ext:43000")
is "$(seen "$r" 1)" "$S1:43100" \
    "full-cone, timeout 2: at once, the mapping lets in a stranger"
sleep 3
r=$(probe "nls$$" 43101 -r 2 -t 300 "$ext:43000")
is "$(seen "$r" 1)" - \
    "full-cone, timeout 2: 3 s after its last packet the mapping is gone"
kill "$L" 2>/dev/null
natlab_site "nlr12$$" 12 symmetric timeout 2 ||
    fail_setup "a symmetric site, timeout 2"
natlab_host "nlr12$$" "nlh12$$" 2 || fail_setup "a host, timeout 2"
a=$(seen "$(probe "nlh12$$" 43000 $S1:3478)" 1)
sleep 1
b=$(seen "$(probe "nlh12$$" 43000 $S1:3478)" 1)
sleep 3
c=$(seen "$(probe "nlh12$$" 43000 $S1:3478)" 1)
ok $( [ "$a" = "$b" ] && [ "$c" != "$a" ] && [ "$c" != - ]; echo $?) \
    "symmetric, timeout 2: the mapping lasts 1 s of silence, not 3" ||
    diag "$a $b $c"

# ---- 10% loss on the outside link: about 19% of round trips lost
natlab_site "nlr10$$" 10 port-restricted loss 10 || fail_setup "a lossy site"
natlab_host "nlr10$$" "nlh10$$" 2 || fail_setup "a host in the lossy site"
r=$(probe "nlh10$$" 42000 -c 300 -r 1 -t 100 $S1:3478)
n=$(awk '{ split($4, f, "/"); print f[1] }' <<<"$r")
# 300 trials at p = 0.81: mean 243, sd 6.8; these bounds are 6 sd away
ok $( [ "${n:-0}" -ge 202 ] && [ "${n:-0}" -le 284 ]; echo $?) \
    "10% loss each way: $n of 300 round trips answered (about 243)"
r=$(probe "nlh10$$" 42001 -c 20 -r 10 -t 100 $S1:3478 $S2:3478)
is "$(awk '{ print $4 }' <<<"$r" | tr '\n' ' ')" "20/20 20/20 " \
    "10% loss: with retries every probe is answered"
is "$(seen "$r" 1) $(seen "$r" 2)" \
    "$(natlab_ext "nlr10$$"):42001 $(natlab_ext "nlr10$$"):42001" \
    "10% loss: the mapping holds"
natlab_loss "nlr10$$" 0
r=$(probe "nlh10$$" 42002 -c 100 -r 1 -t 300 $S1:3478)
is "$(awk '{ print $4 }' <<<"$r")" 100/100 \
    "loss 0: every round trip answered"

diag "${TABLE[@]}"
[ -s "$D/probe.err" ] && diag "udpprobe said:" "$(cat "$D/probe.err")"
done_testing
