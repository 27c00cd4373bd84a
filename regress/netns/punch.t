#!/usr/bin/env bash
# Direct paths between members behind NATs (meshd-net/punch.c), in the
# NAT lab (regress/natlab.sh): a coordinator on the internet, member a
# behind one NAT and member b behind another.
#  - every ordered pairing of full-cone, addr-restricted, port-restricted
#    and symmetric (16): a pings b over the mesh; a direct path forms
#    (show peer -j: path is not none, and a's endpoint for b is b's NAT's
#    outside address, not the coordinator's); a table of the pairings,
#    the time to the first answered ping (printed, never asserted) and
#    the mechanism.  The three pairings no simultaneous open can punch
#    (a symmetric NAT facing an address-and-port-dependent filter) need
#    birthday punching: port-restricted x symmetric (both orders) must
#    form a path with it (the attempt after the failed simultaneous
#    open, whose asker, a, asked the coordinators again twice), and show
#    peer's why says so; symmetric x symmetric is a TODO
#    test (two random ports must meet: bday-rate.t measures how often);
#  PUNCH_ONLY=TYPE/TYPE (or a list) runs only those pairings (debugging);
#  - both members behind one NAT without hairpinning: their local
#    candidates make a direct path across the LAN;
#  - 10% loss on both NATs: the path still forms;
#  - a host on the internet that is no one's candidate gets no packet
#    all along, and a CALL_ME (from a hostile coordinator, fakecoord)
#    naming a key that is no member's is refused and sprays nothing; a
#    CONNECT (from fakecoord as a member) for such a key is refused and
#    counted by the coordinator, and no CALL_ME comes of it.
# Namespaces are built once; the daemons start and stop per pairing.

. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../natlab.sh"
need_root
need_cmds nft jq wg ping
PROBE=${UDPPROBE:-$MESHD_BUILD/regress/interop/udpprobe}
FC=${FAKECOORD:-$MESHD_BUILD/regress/interop/fakecoord}
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"
[ -x "$PROBE" ] || skip_all "$PROBE not built (run make check)"
[ -x "$FC" ] || skip_all "$FC not built (run make check)"

TYPES=(full-cone addr-restricted port-restricted symmetric)
COORD=198.18.0.2 SPY=198.18.0.9 FAKE=198.18.0.3
natlab_internet "pi$$" || fail_setup "the internet"
natlab_public "pc$$" 2 || fail_setup "the coordinator's host"
natlab_public "ps$$" 9 || fail_setup "the third host"
natlab_public "pf$$" 3 || fail_setup "the hostile coordinator's host"
# site a$i (K 1..4) and b$i (K 11..14) of TYPES[i], a host .2 in each
for i in 0 1 2 3; do
	natlab_site "pra$i$$" $((i + 1)) "${TYPES[$i]}" &&
	    natlab_host "pra$i$$" "pha$i$$" 2 &&
	    natlab_site "prb$i$$" $((i + 11)) "${TYPES[$i]}" &&
	    natlab_host "prb$i$$" "phb$i$$" 2 ||
	    fail_setup "the ${TYPES[$i]} sites"
done
# one NAT, two hosts (no hairpin); two lossy port-restricted sites
natlab_site "prl$$" 21 port-restricted &&
    natlab_host "prl$$" "phl2$$" 2 && natlab_host "prl$$" "phl3$$" 3 &&
    natlab_site "prx$$" 22 port-restricted &&
    natlab_host "prx$$" "phx$$" 2 &&
    natlab_site "pry$$" 23 port-restricted &&
    natlab_host "pry$$" "phy$$" 2 || fail_setup "the last sites"

tmpdir_new D
mesh_ca || fail_setup "an admin key"
mesh_cert c 1 -R coordinator && mesh_cert a 2 && mesh_cert b 3 ||
    fail_setup "the certificates"
(umask 077; wg genkey >"$D/fc.key") || fail_setup "fakecoord's key"
mesh_conf c serve
mesh_conf a c:$COORD
mesh_conf b c:$COORD

# the third host counts every datagram that reaches it
start_bg SPYPID natlab_exec "ps$$" "$PROBE" -l $SPY:51820 -l $SPY:1 \
    >"$D/spy.out" 2>&1
wait_for 5 grep -qx ready "$D/spy.out" || fail_setup "the third host"

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
# knows A B: A has B's certificate
knows() {
	ctl "$1" -j show peers | jq -e --arg n "$2" \
	    '.peers[] | select(.name == $n and .cert_expires != null)'
}
stop() {
	local p
	for p; do kill "$p" 2>/dev/null; done
	for p; do wait "$p" 2>/dev/null; done
}
now() { date +%s.%N; }
# todo STATUS NAME: a TAP TODO test (a failure does not fail the plan)
todo() {
	T_N=$((T_N + 1))
	if [ "$1" -eq 0 ]; then echo "ok $T_N - $2 # TODO birthday"
	else echo "not ok $T_N - $2 # TODO birthday"; fi
}

# pair NSA NSB EXPECT [LOSSY-SITE ...]: c, a in NSA and b in NSB; once
# they know each other (then with 10% loss on the sites named), a pings
# b until it answers (at most LIMIT s); sets OK (0 direct path), SECS,
# EP, PATH_A, PATH_B, WHY_A
LIMIT=10
pair() {
	local na=$1 nb=$2 want=$3 t0 t1 ja jb s
	shift 3
	OK=1 SECS=- EP= PATH_A= PATH_B= WHY_A=
	: >"$D/c.log"; : >"$D/a.log"; : >"$D/b.log"
	meshd_up c "pc$$" && meshd_up a "$na" && meshd_up b "$nb" || {
		diag "a daemon did not start"
		stop "$PID_c" "$PID_a" "$PID_b"
		return
	}
	wait_for 10 knows a b && wait_for 10 knows b a ||
	    diag "the members do not know each other"
	for s; do natlab_loss "$s" 10; done
	t0=$(now)
	while :; do
		if natlab_exec "$na" ping -c 1 -W 1 100.64.0.3 >/dev/null 2>&1
		then
			t1=$(now)
			SECS=$(awk -v a="$t0" -v b="$t1" \
			    'BEGIN { printf "%.2f", b - a }')
			break
		fi
		awk -v a="$t0" -v b="$(now)" -v l="$LIMIT" \
		    'BEGIN { exit !(b - a > l) }' && break
	done
	ja=$(ctl a -j show peer b) jb=$(ctl b -j show peer a)
	PATH_A=$(jq -r .path <<<"$ja") PATH_B=$(jq -r .path <<<"$jb")
	WHY_A=$(jq -r '.why // ""' <<<"$ja")
	EP=$(jq -r '.endpoint // "-"' <<<"$ja")
	[ "$SECS" != - ] && [ "$PATH_A" != none ] && [ "$PATH_A" != null ] &&
	    [ "${EP%:*}" = "$want" ] && OK=0
	for s; do natlab_loss "$s" 0; done
	stop "$PID_c" "$PID_a" "$PID_b"
}

# birthday punching is needed: a symmetric NAT against a filter that
# wants the exact port it sent to; 2: both symmetric (by chance alone)
needs_birthday() {
	case "$1/$2" in
	symmetric/port-restricted|port-restricted/symmetric) return 0 ;;
	symmetric/symmetric) return 2 ;;
	esac
	return 1
}

TABLE=("$(printf '%-16s %-16s %-7s %-22s %-8s %s' a b direct \
    "a's endpoint for b" 'ping s' 'path (a, b)')")
for i in 0 1 2 3; do
	for j in 0 1 2 3; do
		ta=${TYPES[$i]} tb=${TYPES[$j]}
		name="$ta x $tb: a direct path, a pings b"
		if [ -n "${PUNCH_ONLY:-}" ]; then
			case " $PUNCH_ONLY " in *" $ta/$tb "*) ;; *) continue ;;
			esac
		fi
		needs_birthday "$ta" "$tb"
		bd=$?
		if [ "$bd" = 2 ]; then
			LIMIT=5
			pair "pha$i$$" "phb$j$$" "$(natlab_ext "prb$j$$")"
			todo "$OK" "$name"
		elif [ "$bd" = 0 ]; then
			# a simultaneous open fails (10 s), the next CALL_ME
			# (5 s later, at crypto's next initiation) is a
			# birthday: 256 ports against 200 probes a second
			LIMIT=40
			pair "pha$i$$" "phb$j$$" "$(natlab_ext "prb$j$$")"
			ok "$OK" "$name (birthday)" || diag "why: $WHY_A" \
			    "$(grep -i birthday "$D/a.log" | tail -n 5)" \
			    "$(grep -i birthday "$D/b.log" | tail -n 5)"
			like "$WHY_A" "by a birthday attempt.*birthday attempts [12], won 1" \
			    "$ta x $tb: show peer's why says a birthday attempt made the path"
			# the simultaneous open before it went unanswered:
			# a, which asked for it, asked again, twice
			like "$(grep 'asking the coordinators' "$D/a.log" |
			    tr '\n' ' ')" "punch attempt [0-9a-f]+ unanswered after [0-9]+ probes: asking the coordinators again \(1 of 2\).* again \(2 of 2\)" \
			    "$ta x $tb: the unanswered simultaneous open asked the coordinators again, twice"
		else
			LIMIT=10
			pair "pha$i$$" "phb$j$$" "$(natlab_ext "prb$j$$")"
			ok "$OK" "$name" || diag "why: $WHY_A" \
			    "$(tail -n 5 "$D/a.log")"
		fi
		TABLE+=("$(printf '%-16s %-16s %-7s %-22s %-8s %s, %s' \
		    "$ta" "$tb" "$([ "$OK" = 0 ] && echo yes || echo no)" \
		    "$EP" "$SECS" "$PATH_A" "$PATH_B")")
	done
done
diag "${TABLE[@]}"
[ -n "${PUNCH_ONLY:-}" ] && { done_testing; exit; }

# ---- one NAT, no hairpin: the LAN's own addresses
LIMIT=10
pair "phl2$$" "phl3$$" "$(natlab_lan "prl$$").3"
ok "$OK" "behind one NAT: a direct path over the LAN's addresses" ||
    diag "endpoint $EP path $PATH_A why: $WHY_A"
is "$PATH_A" direct "behind one NAT: show peer says direct"
diag "one NAT: ping after $SECS s, endpoint $EP"

# ---- 10% loss on both NATs, once the members know each other (a lost
# directory push is made good within 10 s or so: dir-loss.t tests that).
# A packet between a and b crosses both lossy links (19% lost); a lost
# handshake message costs REKEY_TIMEOUT (5 s), a lost CALL_ME an ask
# again (1 s), a failed attempt 10 s and a backoff.  80 runs of this
# pairing alone (new NATs each): median 1 s, 90% within 7.3 s, longest
# 15.7 s (21 s and 36 s before the asker asked again); a generous limit
LIMIT=45
pair "phx$$" "phy$$" "$(natlab_ext "pry$$")" "prx$$" "pry$$"
ok "$OK" "10% loss on both NATs: the path still forms" ||
    diag "endpoint $EP path $PATH_A why: $WHY_A" \
    "a: $(grep 'peer b' "$D/a.log" | tail -n 12)" \
    "b: $(grep 'peer a' "$D/b.log" | tail -n 12)"
diag "10% loss: ping after $SECS s, endpoint $EP, path $PATH_A"

# what show peer says of a punched path (text)
LIMIT=10
meshd_up c "pc$$" && meshd_up a "pha2$$" && meshd_up b "phb0$$"
wait_for 10 knows a b
natlab_exec "pha2$$" ping -c 1 -W 3 100.64.0.3 >/dev/null 2>&1
natlab_exec "pha2$$" ping -c 1 -W 3 100.64.0.3 >/dev/null 2>&1
txt=$(ctl a show peer b)
like "$txt" \
    "path: punched \(keepalive every 25 seconds: NAT timeout not measured yet\)" \
    "show peer: the path is punched, kept open by keepalives"
# its NAT's address: reflexive (a STUN answer from the coordinator, once
# b had one) or observed (where the coordinator saw b register from)
like "$txt" "candidates: local 198\.19\.11\.2:51820, (reflexive|observed) 198\.18\.1\.11:" \
    "show peer: b's candidates, its own and its NAT's"
like "$(ctl a show peers)" "PATH" "show peers has a PATH column"
stop "$PID_c" "$PID_a" "$PID_b"

# ---- a hostile coordinator's CALL_ME for no member: nothing is sprayed
cp "$D/fc.key" "$D/f.key"
mesh_conf a2 f:$FAKE
sed -i "s|$D/a2.key|$D/a.key|; s|$D/a2.crt|$D/a.crt|" "$D/a2.conf"
start_bg FCPID natlab_exec "pf$$" "$FC" -k "$D/fc.key" -l $FAKE:51820 \
    -t 8 -g callme -a $SPY:51820 >"$D/fc.out" 2>&1
wait_for 5 grep -q '^listening' "$D/fc.out" || diag "$(cat "$D/fc.out")"
meshd_up a2 "pha0$$"
wait_for 8 grep -q 'sent call_me' "$D/fc.out"
ok $? "the hostile coordinator sent a CALL_ME for a non-member"
unexpected() {
	ctl a2 -j show status | jq '[.. | .coord_unexpected? | numbers] | add // 0'
}
for k in $(seq 30); do
	n=$(unexpected)
	[ "${n:-0}" -ge 1 ] && break
	sleep 0.1
done
ok $([ "${n:-0}" -ge 1 ]; echo $?) \
    "the member counts that CALL_ME as unexpected ($n)"
sleep 1
stop "$PID_a2" "$FCPID"

# ---- a member's CONNECT for a key that is no member's: refused, counted
meshd_up c "pc$$"
unexpected_c() {
	ctl c -j show status | jq '[.. | .coord_unexpected? | numbers] | add // 0'
}
before=$(unexpected_c)
natlab_exec "pha1$$" "$FC" -m -k "$D/a.key" -p "$(wg pubkey <"$D/c.key")" \
    -C $COORD:51820 -e "$D/a.crt" -g callme -t 3 >"$D/fcm.out" 2>&1
has "$(cat "$D/fcm.out")" "sent connect for a non-member" \
    "a member sent CONNECT for a key that is no member's"
after=$(unexpected_c)
ok $([ "${after:-0}" -gt "${before:-0}" ]; echo $?) \
    "the coordinator refuses and counts it ($before, then $after)"
has "$(cat "$D/fcm.out")" "got dir_end" "the member had registered"
unlike_call=$(grep -c 'got CALL_ME' "$D/fcm.out")
is "$unlike_call" 0 "no CALL_ME came back"
stop "$PID_c"

is "$(grep -c '^other' "$D/spy.out")" 0 \
    "the third host got no packet while punching ran"
done_testing
