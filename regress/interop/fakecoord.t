#!/usr/bin/env bash
# regress/interop/fakecoord, the coordinator the mesh's tests play, with
# its member mode (-m) on the other side of a veth:
#  - it answers the handshake of a member whose key it was never given,
#    takes its REGISTER and PING, and sends the entries (one armored, one
#    raw) packed in one ENTRY, DIR_END and the armored revocation list in
#    pieces, then PONG; the member decodes every message with
#    meshd-net/coord.c; five entries that do not fit in one ENTRY take two;
#  - -g garbage, -g oversize, -g cut and -g order each send what the
#    member's codec refuses, with the reason it gives, or send it out of
#    order;
#  - hsdriver's initiation is answered, its echo request is no coordination;
#  - bad arguments and files are refused with a reason, before binding.
. "$(dirname "$0")/../lib.sh"
need_root
need_cmds wg python3
FC=${FAKECOORD:-$MESHD_BUILD/regress/interop/fakecoord}
[ -x "$FC" ] || skip_all "$FC not built"

NA=mshfca$$
NB=mshfcb$$
two_hosts "$NA" "$NB" 198.18.77 || fail_setup "two namespaces"
C_PUB=$A_PUB			# the coordinator is a, the member b
M_PUB=$B_PUB

# armored (with text around it) and raw files; a 2000-byte list of serial 5
python3 - "$D" <<'PY' || fail_setup "the test's files"
import base64, sys
d = sys.argv[1]
def armor(label, b):
    s = base64.b64encode(b).decode()
    lines = "\n".join(s[i:i + 64] for i in range(0, len(s), 64))
    return "# made for fakecoord.t\n-----BEGIN %s-----\n%s\n" \
        "-----END %s-----\n" % (label, lines, label)
open(d + "/e1.crt", "w").write(armor("MESHD CERTIFICATE", bytes(range(200))))
open(d + "/e2.crt", "wb").write(bytes(300))
open(d + "/short.crt", "wb").write(bytes(100))
crl = b"MSHR\x01\0\0\0" + (5).to_bytes(8, "big") + bytes(2000 - 16)
open(d + "/crl", "w").write(armor("MESHD REVOCATION LIST", crl))
PY

# run NAME FAKECOORD-ARGS...: the coordinator in a, the member in b;
# their output in $D/NAME.coord and $D/NAME.member
run() {
	local name=$1 pid; shift
	start_bg pid ip netns exec "$NA" "$FC" -k "$D/a.key" \
	    -l 198.18.77.1:51820 -t 3 "$@" >"$D/$name.coord" 2>&1
	wait_for 5 grep -q '^listening' "$D/$name.coord" ||
	    diag "$(cat "$D/$name.coord")"
	ip netns exec "$NB" "$FC" -m -k "$D/b.key" -p "$C_PUB" \
	    -C 198.18.77.1:51820 -e "$D/e1.crt" -t 2 >"$D/$name.member" 2>&1
	wait "$pid"
	COORD=$(cat "$D/$name.coord")
	MEMBER=$(cat "$D/$name.member")
}

run honest -e "$D/e1.crt" -e "$D/e2.crt" -c "$D/crl"
is "$(head -n 1 <<<"$COORD")" \
    "listening on 198.18.77.1:51820 as $C_PUB" "listens as its key"
is "$(sed -n '2,7p' <<<"$COORD")" "handshake from $M_PUB
register from $M_PUB
sent entry 1
sent entry 2
sent ENTRY of 2 records
sent dir_end 2" "an unknown member's handshake and REGISTER are answered"
has "$COORD" "sent crl_part offset 1536 length 464 total 2000" \
    "the list goes in 768-byte parts"
has "$COORD" "ping from $M_PUB
sent pong" "PING answered"
is "$(tail -n 1 <<<"$COORD")" "exit after 3 s" "exits after -t"
is "$(grep '^got' <<<"$MEMBER" | sed 's/seq [0-9]* //')" \
    "got ENTRY of 2 records
got entry cert 200 bytes candidates 0
got entry cert 300 bytes candidates 0
got dir_end 2
got crl_part offset 0 length 768 total 2000
got crl_part offset 768 length 768 total 2000
got crl_part offset 1536 length 464 total 2000
got pong 42" "the member decodes each message, in order"
ok "$(grep -c refused <<<"$MEMBER")" "the member refuses nothing"

run cand -e "$D/e1.crt" -a 198.18.77.9:4000
has "$MEMBER" "cert 200 bytes candidates 1" "-a: the entry has a candidate"

# 311 bytes a record: three fit in an ENTRY (4 + 933), a fourth does not
E2=$D/e2.crt
run many -e "$E2" -e "$E2" -e "$E2" -e "$E2" -e "$E2"
is "$(grep -E '^sent (ENTRY|dir_end)' <<<"$COORD")" "sent ENTRY of 3 records
sent ENTRY of 2 records
sent dir_end 5" "five entries go in two ENTRYs"
is "$(grep -E '^got (ENTRY|dir_end)' <<<"$MEMBER")" "got ENTRY of 3 records
got ENTRY of 2 records
got dir_end 5" "the member decodes both, and every record"
ok "$(grep -c refused <<<"$MEMBER")" "five entries: the member refuses nothing"

run garbage -e "$D/e1.crt" -g garbage
like "$COORD" "sent garbage [0-9]+ bytes" "-g garbage: sent"
has "$MEMBER" "refused from $C_PUB: " "-g garbage: the codec refuses it"
has "$MEMBER" "got pong 42" "-g garbage: the session carries on"

run oversize -g oversize
has "$COORD" "sent oversize entry, body 1025 bytes" "-g oversize: sent"
has "$MEMBER" "refused from $C_PUB: ENTRY of 1029 bytes, at most 1024" \
    "-g oversize: the codec refuses it"

run cut -e "$D/e1.crt" -e "$D/e2.crt" -g cut
has "$COORD" "sent entries 1-2 in one ENTRY cut short by a byte
sent dir_end 2" "-g cut: sent instead of the ENTRY"
has "$MEMBER" "refused from $C_PUB: record 2: certificate of 300 bytes past \
the body" "-g cut: the codec refuses the whole ENTRY, naming the record"
is "$(grep -c '^got entry' <<<"$MEMBER")" 0 \
    "-g cut: neither record of the ENTRY is taken"
has "$MEMBER" "got dir_end 2" "-g cut: the session carries on"

run order -e "$D/e1.crt" -c "$D/crl" -g order
is "$(grep '^got' <<<"$MEMBER" | sed 's/seq [0-9]* //')" \
    "got pong 24301
got dir_end 1
got ENTRY of 1 records
got entry cert 200 bytes candidates 0
got pong 42" "-g order: a PONG to no PING, DIR_END before the entry"
has "$MEMBER" "refused from $C_PUB: part at 1233 length 768 past the end" \
    "-g order: a part past the list's end is refused"

run order2 -g order
has "$MEMBER" "refused from $C_PUB: part at 1 length 94 past the end (94)" \
    "-g order without -c: a part of a made-up list, past its end"

# -m -n: the handshake and a keepalive, never a REGISTER
start_bg pid ip netns exec "$NA" "$FC" -k "$D/a.key" -l 198.18.77.1:51820 \
    -t 2 >"$D/noreg.coord" 2>&1
wait_for 5 grep -q '^listening' "$D/noreg.coord"
MEMBER=$(ip netns exec "$NB" "$FC" -m -n -k "$D/b.key" -p "$C_PUB" \
    -C 198.18.77.1:51820 -t 1 2>&1)
wait "$pid"
has "$MEMBER" "handshake done
sent keepalive, no register" "-m -n: a keepalive after the handshake"
is "$(sed -n '2,$p' "$D/noreg.coord")" "handshake from $M_PUB
exit after 2 s" "-m -n: the coordinator gets no REGISTER"

# hsdriver, an initiator that is not fakecoord, sends an ICMP echo
HSDRIVER=${HSDRIVER:-$MESHD_BUILD/regress/interop/hsdriver}
if [ -x "$HSDRIVER" ]; then
	start_bg pid ip netns exec "$NA" "$FC" -k "$D/a.key" \
	    -l 198.18.77.1:51820 -t 2 >"$D/hs.coord" 2>&1
	wait_for 5 grep -q '^listening' "$D/hs.coord"
	ip netns exec "$NB" timeout 1 "$HSDRIVER" initiate \
	    -k "$(cat "$D/b.key")" -p "$C_PUB" -c 198.18.77.1:51820 \
	    -a 10.77.0.2 -r 10.77.0.1 >/dev/null 2>&1
	wait "$pid"
	is "$(sed -n '2,3p' "$D/hs.coord")" "handshake from $M_PUB
data from $M_PUB: not coordination (48 bytes)" \
	    "hsdriver's handshake is answered; its packet is no coordination"
else
	ok 0 "# SKIP $HSDRIVER not built"
fi

out=$("$FC" -k "$D/a.key" -l 198.18.77.1:1 -g bogus 2>&1)
ok $(( $? != 1 )) "-g bogus: exit 1"
has "$out" "-g bogus: not garbage, oversize, cut, order or callme" \
    "-g bogus: says why"
out=$("$FC" -k "$D/a.key" -l 198.18.77.1:1 -e "$D/short.crt" 2>&1)
has "$out" "entry 1: 100 bytes, a certificate has 132 to 800" \
    "a too short entry file is refused"
out=$("$FC" -k "$D/crl" -l 198.18.77.1:1 2>&1)
like "$out" "^fakecoord: $D/crl: " "a key file that is no key is refused"
done_testing
