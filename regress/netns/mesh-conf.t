#!/usr/bin/env bash
# The mesh block of a running node: with no address lines the interface
# has its certificate's addresses; the children take the mesh config (and
# its coordinators, as flagged peers) without dying; a reload adds and
# removes coordinators, renews the certificate (the interface's addresses
# follow it) and replaces the revocation list, and says so; a reload whose
# certificate is for another node's key fails with file:line and keeps
# the running config.  The certificates are regress/config/certs (made by
# mkcerts.sh for the fixed node key below).  Underlay 198.18.13.0/24.

. "$(dirname "$0")/../lib.sh"
need_root
need_cmds jq wg
[ -x "$MESHD" ] || skip_all "$MESHD not installed (run make check)"

SRC=${MESHD_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTS=$SRC/regress/config/certs
A=mca$$
netns_new "$A" || fail_setup "a namespace"
tmpdir_new D || fail_setup "a directory"
(umask 077; echo 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=' >"$D/a.key")
cp "$CERTS"/*.crt "$CERTS"/*.crl "$D/"
CA=$(cat "$CERTS/ca.pub")
C1=$(wg genkey | wg pubkey) C2=$(wg genkey | wg pubkey)

# a_conf CERT CRL COORDINATOR...: the node with these
a_conf() {
	local cert=$1 crl=$2 c; shift 2
	{ printf 'interface "mesh0" {\n\tlisten-port 51820\n'
	  printf '\tprivate-key-file "%s/a.key"\n}\n' "$D"
	  printf 'mesh "corp" {\n\tca "%s"\n' "$CA"
	  printf '\tcertificate-file "%s/%s"\n' "$D" "$cert"
	  [ -n "$crl" ] && printf '\trevocation-file "%s/%s"\n' "$D" "$crl"
	  for c; do
		printf '\tcoordinator "%s" {\n\t\tpublic-key "%s"\n' "$c" \
		    "$( [ "$c" = coord1 ] && echo "$C1" || echo "$C2")"
		printf '\t\tendpoint "198.18.13.%d:51820"\n\t}\n' \
		    "$( [ "$c" = coord1 ] && echo 10 || echo 11)"
	  done
	  printf '}\n'; } >"$D/a.conf"
}
ctl() { "$MESHCTL" -s "$D/a.sock" "$@"; }
addrs() { ip -n "$A" -j addr show mesh0 |
    jq -r '[.[0].addr_info[] | select(.scope == "global") |
    "\(.local)/\(.prefixlen)"] | sort | join(" ")'; }
peers() { ctl -j show peers | jq -r '[.peers[].name] | sort | join(" ")'; }
pids() { ctl -j show status | jq -r '[.processes[].pid] | join(" ")'; }

a_conf web1.crt revoked.crl coord1
meshd_up a "$A"
ok $? "a node with a mesh block starts" ||
    { diag "$(cat "$D/a.log")"; done_testing; exit 1; }
is "$(addrs)" "100.64.0.1/32 fd7a:115c:a1e0::1/128" \
    "mesh0 has the certificate's addresses"
is "$(peers)" "coord1" "the coordinator is a peer of the children"
P0=$(pids)

a_conf web1.crt revoked.crl coord2
out=$(ctl reload 2>&1); ok $? "a reload that swaps the coordinator" ||
    diag "$out"
has "$out" "removed peer coord1" "says coord1 was removed"
has "$out" "added peer coord2" "says coord2 was added"
is "$(peers)" "coord2" "the children have coord2 instead"

a_conf coord1.crt revoked-self.crl coord1 coord2
out=$(ctl reload 2>&1); ok $? "a renewed certificate, another list" ||
    diag "$out"
has "$out" "interface: certificate-file renewed (coord1, until 2099-01-01)" \
    "says the certificate was renewed"
has "$out" "interface: revocation-file replaced (serial 3 -> 4)" \
    "says the list was replaced"
is "$(addrs)" "100.64.0.10/32" "mesh0 has the new certificate's address"
is "$(peers)" "coord1 coord2" "and both coordinators"

a_conf other.crt "" coord1
out=$(ctl reload 2>&1)
ok $((!$?)) "a reload with another node's certificate fails"
want="a.conf:7: mesh \"corp\": certificate-file \"$D/other.crt\":"
has "$out" "$want its key is not this node's (it is for web2)" \
    "naming the certificate-file line and the certificate's node"
is "$(addrs)" "100.64.0.10/32" "mesh0 keeps its address"
is "$(peers)" "coord1 coord2" "and the children their coordinators"
has "$(ctl show config)" "coord1.crt" "the running config is the old one"

a_conf coord1.crt "" coord1
out=$(ctl reload 2>&1); ok $? "a reload without the list" || diag "$out"
has "$out" "interface: revocation-file removed" "says the list was removed"
is "$(pids)" "$P0" "no process was replaced or died"

done_testing
