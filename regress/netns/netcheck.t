#!/usr/bin/env bash
# Endpoint discovery in the NAT lab (regress/natlab.sh): members behind
# each NAT type ask a coturn and their coordinator, from the tunnel's own
# socket, where they are seen from; meshctl netcheck shows it.
#
#   ns S (internet, 198.18.0.2 and .3): the coordinator (meshd, serve
#        coordinator, port 51820 on both) and turnserver on both
#        addresses' port 3478: three servers at two addresses, two of
#        them on one address
#   site K, host .2: a member "mK" with stun 198.18.0.2:3478 and
#        198.18.0.3:3478 and the coordinator at 198.18.0.2:51820
#   ns P (internet, 198.18.0.4): a prober
#
# Checked: each member's reflexive address is its router's outside
# address; the mapping behaviour each NAT type has (RFC 4787 words); the
# coordinator answers STUN on its tunnel port (stunprobe) within a rate
# (a burst is cut, and counted); a STUN answer to no request of ours or
# with a bad FINGERPRINT is dropped and counted, and the daemon lives;
# the member's REGISTER carries its candidates (the coordinator's
# directory: show peer NAME -j at a member that talks to it).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../natlab.sh"
need_root
need_cmds nft turnserver jq python3 wg
PROBE=${STUNPROBE:-$MESHD_BUILD/regress/interop/stunprobe}
[ -x "$PROBE" ] || skip_all "$PROBE not built (run make check)"

S1=198.18.0.2 S2=198.18.0.3 P=198.18.0.4
SNS=ncs$$ PNS=ncp$$
natlab_internet "nci$$" || fail_setup "the internet"
natlab_public $SNS 2 3 || fail_setup "the servers' host"
natlab_public $PNS 4 || fail_setup "the prober"
tmpdir_new D

turn_up $SNS $S1 $S2 || fail_setup "turnserver"

mesh_ca || fail_setup "the admin key"
mesh_cert coord 1 -R coordinator || fail_setup "the coordinator's cert"
mesh_conf coord serve
meshd_up coord $SNS || fail_setup "the coordinator"

TYPES=(full-cone addr-restricted port-restricted symmetric symmetric-seq
    none)
MESH_EXTRA=$(printf '\tstun "%s:3478"\n\tstun "%s:3478"' $S1 $S2)
k=0
for type in "${TYPES[@]}"; do
	k=$((k + 1))
	natlab_site "ncr$k$$" $k $type || fail_setup "a $type site"
	natlab_host "ncr$k$$" "nch$k$$" 2 || fail_setup "a $type host"
	mesh_cert "m$k" $((k + 1)) || fail_setup "m$k's cert"
	mesh_conf "m$k" coord:$S1
	meshd_up "m$k" "nch$k$$" || fail_setup "member m$k"
done

# netcheck NAME: its JSON, once all three servers answered (a request
# lost is sent again within the RFC's 39.5 s: 45 s)
netcheck() {
	local i out
	for i in $(seq 90); do
		out=$("$MESHCTL" -j -s "$D/$1.sock" netcheck 2>/dev/null)
		if [ "$(jq '[.servers[] | select(.reflexive != null)] |
		    length' <<<"$out")" = 3 ]; then
			printf '%s\n' "$out"
			return 0
		fi
		sleep 0.5
	done
	printf '%s\n' "$out"
	# prove shows stderr: what the member knew
	"$MESHCTL" -s "$D/$1.sock" netcheck >&2
	return 1
}

# the table for the closing notes: type, reflexive per server, verdict
k=0
for type in "${TYPES[@]}"; do
	k=$((k + 1))
	ext=$(natlab_ext "ncr$k$$")
	[ $type = none ] && ext=$(natlab_addr "nch$k$$")
	j=$(netcheck "m$k")
	ok $? "$type: all three servers answered m$k" ||
	    diag "$(jq -c .servers <<<"$j")"
	refl=$(jq -r '[.servers[].reflexive // "-"] | join(" ")' <<<"$j")
	addrs=$(jq -r '[.servers[].reflexive // "-" | sub(":[0-9]+$"; "")] |
	    unique | join(" ")' <<<"$j")
	is "$addrs" "$ext" "$type: every server sees $ext ($refl)"
	mapping=$(jq -r .mapping <<<"$j") ports=$(jq -r .ports <<<"$j")
	diag "$(printf '%-16s %-62s %s, ports %s' $type "$refl" "$mapping" \
	    "$ports")"
	case $type in
	full-cone|addr-restricted|port-restricted)
		is "$mapping/$ports" endpoint-independent/preserved \
		    "$type: endpoint-independent mapping, port preserved"
		;;
	symmetric)
		is "$mapping/$ports" address-and-port-dependent/random \
		    "$type: address-and-port-dependent mapping, random ports"
		;;
	symmetric-seq)
		is "$mapping/$ports" address-and-port-dependent/sequential \
		    "$type: address-and-port-dependent, sequential ports"
		;;
	none)
		is "$mapping" none "no NAT: mapping none"
		;;
	esac
	# the coordinator's round trip (PING/PONG every 5 s)
	for i in $(seq 20); do
		rtt=$("$MESHCTL" -j -s "$D/m$k.sock" netcheck |
		    jq -r '.coordinators[0].rtt_us')
		[ "$rtt" != null ] && break
		sleep 0.5
	done
	like "$rtt" '^[0-9]+$' "$type: the coordinator's round trip: $rtt us"
done

# what m1 registers: its own address, its reflexive one(s)
j=$("$MESHCTL" -j -s "$D/m1.sock" netcheck)
cands=$(jq -r '.candidates | join(",")' <<<"$j")
has "$cands" "local $(natlab_lan "ncr1$$").2:51820" \
    "m1's candidates have its own address ($cands)"
has "$cands" "reflexive $(natlab_ext "ncr1$$"):51820" \
    "and its reflexive one"
# a symmetric NAT's reflexive addresses are per destination: not offered
c4=$("$MESHCTL" -j -s "$D/m4.sock" netcheck | jq -r '.candidates | join(",")')
is "$c4" "local $(natlab_lan "ncr4$$").2:51820" \
    "m4 (symmetric) registers only its own address ($c4)"

# and the others get them from the coordinator's directory: m2 talks
# to m1 (punching keeps the candidates of the members it talks to)
natlab_exec "nch2$$" ping -c 3 -i 0.3 -W 2 100.64.0.2 >/dev/null 2>&1
for i in $(seq 30); do
	c=$("$MESHCTL" -j -s "$D/m2.sock" show peer m1 2>/dev/null |
	    jq -r '[.candidates[]?] | join(",")')
	case $c in *reflexive*) break ;; esac
	sleep 0.5
done
has "$c" "reflexive $(natlab_ext "ncr1$$"):51820" \
    "m2 has m1's reflexive candidate, through the coordinator ($c)"
has "$c" "local $(natlab_lan "ncr1$$").2:51820" "and its local one"

# the coordinator answers STUN on its tunnel port
out=$(natlab_exec $PNS "$PROBE" -n 3 -w 300 $S1:51820 2>"$D/probe.err")
ok $? "stunprobe to the coordinator's tunnel port is answered" ||
    diag "$(cat "$D/probe.err")"
mapped=$(sed -n 's/^mapped=//p' <<<"$out")
local_=$(sed -n 's/^local=//p' <<<"$out")
like "$mapped" "^$P:[0-9]+\$" "it tells the prober its address ($mapped)"
is "$mapped" "$local_" "the prober's own address and port"

counter() {
	"$MESHCTL" -j -s "$D/$1.sock" show status |
	    jq -r --arg k "$2" '.counters.net[$k]'
}
# a burst of 100 Binding requests from one source: cut by the rate
before=$(counter coord stun_refused)
answered=$(natlab_exec $PNS python3 - $S1 <<'PY'
import os, socket, struct, sys, zlib
def req():
    tx = os.urandom(12)
    h = struct.pack("!HHI", 1, 8, 0x2112a442) + tx
    fp = (zlib.crc32(h[:2] + struct.pack("!H", 8) + h[4:]) ^ 0x5354554e)
    return h + struct.pack("!HHI", 0x8028, 4, fp & 0xffffffff)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
for _ in range(100):
    s.sendto(req(), (sys.argv[1], 51820))
n = 0
try:
    while True:
        s.recv(2048); n += 1
except socket.timeout:
    pass
print(n)
PY
)
after=$(counter coord stun_refused)
diag "burst: $answered of 100 answered; refused $before -> $after"
[ "$answered" -ge 1 ] && [ "$answered" -le 30 ]
ok $? "a burst of 100 requests gets only a few answers ($answered)"
[ $((after - before)) -ge 70 ]
ok $? "and the refused ones are counted ($((after - before)))"

# hostile: answers to no request of ours, and a bad FINGERPRINT
ub=$(counter coord stun_unmatched) bb=$(counter coord stun_bad)
natlab_exec $PNS python3 - $S1 <<'PY'
import os, socket, struct, sys, zlib
def resp(bad_fp):
    tx = os.urandom(12)
    port = 4242 ^ 0x2112
    addr = bytes(a ^ b for a, b in zip(bytes([198, 18, 0, 4]),
        struct.pack("!I", 0x2112a442)))
    xma = struct.pack("!HHBBH", 0x20, 8, 0, 1, port) + addr
    body = xma
    h = struct.pack("!HHI", 0x0101, len(body) + 8, 0x2112a442) + tx + body
    fp = zlib.crc32(h) ^ 0x5354554e
    if bad_fp:
        fp ^= 1
    return h + struct.pack("!HHI", 0x8028, 4, fp & 0xffffffff)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(3):
    s.sendto(resp(False), (sys.argv[1], 51820))
    s.sendto(resp(True), (sys.argv[1], 51820))
PY
sleep 0.5
ua=$(counter coord stun_unmatched) ba=$(counter coord stun_bad)
is $((ua - ub)) 3 "3 answers with a txid of no request: counted unmatched"
is $((ba - bb)) 3 "3 with a bad FINGERPRINT: counted bad"
kill -0 "$PID_coord" 2>/dev/null
ok $? "the coordinator lives"
"$MESHCTL" -s "$D/coord.sock" show status >/dev/null
ok $? "and answers meshctl"

# text output
txt=$("$MESHCTL" -s "$D/m4.sock" netcheck)
has "$txt" "mapping: address-and-port-dependent, ports random" \
    "netcheck's text names the mapping"
has "$txt" "stun $S2:3478: IPv4 $(natlab_ext "ncr4$$"):" \
    "and what each server saw"

done_testing
