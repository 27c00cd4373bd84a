#!/usr/bin/env bash
# 10,000 static peers, one /32 and one /24 allowed-ips each (issue 17's
# scale): meshd starts with them, routes every prefix, meshctl show peers
# lists every one of them (JSON and text), show peer finds the last, and
# a reload that removes half of them leaves exactly the other half, their
# routes too.  No timing is asserted (bench/config-scale.sh measures).

. "$(dirname "$0")/../lib.sh"
need_root
for c in jq awk; do
	command -v "$c" >/dev/null || skip_all "$c missing"
done
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

N=10000
NS=mpm$$
netns_new "$NS"
tmpdir_new D
(umask 077; "$MESHCTL" genkey >"$D/me.key")

# conf N FROM: the peers numbered FROM to FROM+N-1; peer p's key is the
# same in every config (one seed, drawn for every number below FROM too)
conf() {
	awk -v n="$1" -v from="$2" -v key="$D/me.key" -v ifname=mpm0 \
	    -v seed=1 -f "$MESHD_SRC/bench/static-peers.awk"
}
conf "$N" 0 >"$D/a.conf"
ctl() { "$MESHCTL" -s "$D/a.sock" "$@"; }
nroutes() { ip -n "$NS" -4 route show dev mpm0 proto static | wc -l; }

is "$(grep -c '^peer ' "$D/a.conf")" "$N" "the config has $N peers"
is "$(grep '^	public-key' "$D/a.conf" | sort -u | wc -l)" "$N" \
    "each with its own key"
meshd_up a "$NS"
ok $? "meshd starts with $N peers" || diag "$(tail -5 "$D/a.log")"

js=$(ctl -j show peers)
is "$(jq '.peers | length' <<<"$js")" "$N" "show peers -j lists all $N"
is "$(jq '[.peers[].allowed_ips | length] | add' <<<"$js")" $((2 * N)) \
    "with their $((2 * N)) allowed-ips"
is "$(jq -r '.peers[-1] | .name + " " + (.allowed_ips | join(","))' \
    <<<"$js")" "p9999 10.0.39.15/32,10.103.15.0/24" \
    "the last one, with its prefixes"
is "$(ctl show peers | grep -cE '^p[0-9]+ ')" "$N" "the text lists all $N"
is "$(ctl -j show peer p4321 | jq -r '.allowed_ips | join(",")')" \
    "10.0.16.225/32,10.80.225.0/24" "show peer finds one by name"
is "$(nroutes)" $((2 * N)) "a route for each of the $((2 * N)) prefixes"

# ---- a reload to the second half: p5000 to p9999 stay, the rest go
conf $((N / 2)) $((N / 2)) >"$D/a.conf"
out=$(ctl reload 2>&1)
ok $? "a reload that removes half of them succeeds" || diag "$out"
js=$(ctl -j show peers)
is "$(jq '.peers | length' <<<"$js")" $((N / 2)) "then show peers lists $((N / 2))"
is "$(jq -r '.peers[0].name, .peers[-1].name' <<<"$js" | tr '\n' ' ')" \
    "p5000 p9999 " "the second half"
is "$(ctl -j show peer p0 2>&1 | grep -c 'no such peer')" 1 \
    "p0 is gone"
is "$(nroutes)" "$N" "and the routes of the first half with them"
kill -0 "$PID_a"; ok $? "meshd still runs"
done_testing
