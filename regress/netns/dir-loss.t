#!/usr/bin/env bash
# The directory reaches every member through packet loss (meshd-net/
# coordinate.c): a coordinator pushes each new record once, and a lost
# ENTRY is made good by the DIR_END that follows each PONG (a member that
# holds fewer records than its coordinator twice in a row asks for the
# whole directory again).  In the NAT lab (regress/natlab.sh): a
# coordinator on the internet and eight members, each on a site with no
# NAT and 10% loss each way on its link, started a second apart so that
# most records reach the earlier members as pushes.  Every member ends
# knowing all eight others (the coordinator and seven members) within
# 60 s; how many asked again is printed.

. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../natlab.sh"
need_root
need_cmds nft jq wg
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

N=8 COORD=198.18.0.2
natlab_internet "di$$" || fail_setup "the internet"
natlab_public "dc$$" 2 || fail_setup "the coordinator's host"
for i in $(seq $N); do
	natlab_site "dr$i$$" $((40 + i)) none loss 10 &&
	    natlab_host "dr$i$$" "dh$i$$" 2 || fail_setup "site $i"
done

tmpdir_new D
mesh_ca || fail_setup "an admin key"
mesh_cert c 1 -R coordinator || fail_setup "the coordinator's certificate"
mesh_conf c serve
for i in $(seq $N); do
	mesh_cert "m$i" $((i + 1)) && mesh_conf "m$i" c:$COORD ||
	    fail_setup "m$i's certificate"
done

ctl() { local n=$1; shift; "$MESHCTL" -s "$D/$n.sock" "$@"; }
# knows NAME: how many peers NAME holds a certificate of
knows() {
	ctl "$1" -j show peers |
	    jq '[.peers[] | select(.cert_expires != null)] | length'
}

meshd_up c "dc$$" || fail_setup "the coordinator"
for i in $(seq $N); do
	meshd_up "m$i" "dh$i$$" || fail_setup "m$i"
	sleep 1
done
t0=$(date +%s)
for i in $(seq $N); do
	while [ "$(knows "m$i")" != "$N" ] &&
	    [ $(($(date +%s) - t0)) -lt 60 ]; do
		sleep 1
	done
	is "$(knows "m$i")" "$N" \
	    "m$i knows the coordinator and the other $((N - 1)) members" &&
	    continue
	mapfile -t lines < <(tail -n 15 "$D/m$i.log")
	diag "m$i knows: $(ctl "m$i" -j show peers | jq -c \
	    '[.peers[] | select(.cert_expires != null) | .name]')" \
	    "coordinator: $(ctl c -j show peers | jq -c \
	    '[.peers[] | select(.cert_expires != null) | .name]')" \
	    "${lines[@]}"
done
again=$(cat "$D"/m*.log | grep -c 'asking for the directory again\|asking again')
diag "all known $(($(date +%s) - t0)) s after the last start; $again directories asked for again"
done_testing
