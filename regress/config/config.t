#!/usr/bin/env bash
# meshd.conf(5) as "meshd -n" reads it.
#   good/NAME.conf: "meshd -nv" exits 0 and prints good/NAME.out; its
#     stderr is good/NAME.warn if there is one, else "configuration OK";
#     and that output, read back, prints the same (the round trip).
#   bad/NAME.conf: "meshd -n" exits 1, prints nothing on stdout and
#     exactly the lines of bad/NAME.err on stderr.
# Files under good/inc and bad/inc are only included, never run.  Git
# does not keep file modes, so the key files are made here, in a
# temporary directory that the configs name as $keydir (-D keydir=DIR,
# which also tests -D); output shows that directory as @KEYDIR@.  The
# mesh's certificate files are copied there from certs/ (mkcerts.sh).  Each
# meshd runs in the directory of its config, so messages name the file
# as NAME.conf.  meshd -n has meshd-crypto check the keys' contents, so
# this runs the installed meshd, which finds its installed children.

. "$(dirname "$0")/../lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
MESHD_BIN=$MESHD_ROOT/sbin/meshd
[ -x "$MESHD_BIN" ] || skip_all "$MESHD_BIN not installed (run make check)"

tmpdir_new K
genkey() {
	if command -v wg >/dev/null; then wg genkey
	else head -c 32 /dev/urandom | base64; fi
}
(
	umask 077
	genkey >"$K/mesh0.key"
	genkey >"$K/beta.psk"
	genkey >"$K/open.key"
	genkey >"$K/group.psk"
	genkey >"$K/nobody.key"
	echo 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=' >"$K/fixed.key"
	echo 'not a key' >"$K/bad.key"
	head -c 32 /dev/urandom | base64 | cut -c 1-40 >"$K/bad.psk"
	mkdir "$K/dir.psk"
	ln -s beta.psk "$K/link.psk"
)
# the mesh's certificates and lists (certs/, made by mkcerts.sh), named
# by the configs as $keydir/NAME like the keys
cp "$HERE"/certs/*.crt "$HERE"/certs/*.crl "$HERE"/certs/ca.pub "$K/"
chmod 0644 "$K/open.key"
chmod 0620 "$K/group.psk"
ISROOT=0
if [ "$(id -u)" = 0 ] && chown 65534 "$K/nobody.key"; then ISROOT=1; fi

subst() { sed "s|$K|@KEYDIR@|g"; }

# run DIR ARGS...: meshd in DIR; sets OUT, ERR (both with @KEYDIR@), RC
run() {
	local dir=$1; shift
	(cd "$dir" && "$MESHD_BIN" "$@" >"$K/stdout" 2>"$K/stderr")
	RC=$?
	OUT=$(subst <"$K/stdout")
	ERR=$(subst <"$K/stderr")
}

for conf in "$HERE"/good/*.conf; do
	name=$(basename "$conf" .conf)
	run "$HERE/good" -nv -D "keydir=$K" -f "$name.conf"
	is "$RC" 0 "good/$name: meshd -nv exits 0" || diag "$ERR"
	is "$OUT" "$(cat "$HERE/good/$name.out")" "good/$name: canonical output"
	if [ -f "$HERE/good/$name.warn" ]; then
		is "$ERR" "$(cat "$HERE/good/$name.warn")" \
		    "good/$name: warnings, then configuration OK"
	else
		is "$ERR" "configuration OK" "good/$name: configuration OK"
	fi
	# the round trip: the output, read back, prints the same
	cp "$K/stdout" "$K/$name.rt.conf"
	first=$(cat "$K/stdout")
	run "$K" -nv -f "$name.rt.conf"
	is "$RC" 0 "good/$name: its output reads back" || diag "$ERR"
	is "$(cat "$K/stdout")" "$first" "good/$name: and prints the same"
	is "$ERR" "configuration OK" "good/$name: without warnings"
done

for conf in "$HERE"/bad/*.conf; do
	name=$(basename "$conf" .conf)
	if head -1 "$conf" | grep -q 'needs root' && [ "$ISROOT" = 0 ]; then
		echo "ok $((T_N += 1)) # SKIP bad/$name needs root"
		continue
	fi
	run "$HERE/bad" -n -D "keydir=$K" -f "$name.conf"
	is "$RC" 1 "bad/$name: meshd -n exits 1"
	is "$OUT" "" "bad/$name: prints nothing on stdout"
	is "$ERR" "$(cat "$HERE/bad/$name.err")" "bad/$name: the errors"
done

# a relative key file name is taken from the config's directory
printf 'interface "mesh0" {\n\tprivate-key-file "./mesh0.key"\n}\n' \
    >"$K/relative.conf"
run / -nv -f "$K/relative.conf"
is "$RC" 0 "a relative private-key-file is found beside its config"
like "$OUT" 'private-key-file "@KEYDIR@/mesh0.key"' \
    "and prints as an absolute name"

# -D wins over a macro the file defines
run "$HERE/good" -nv -D "keydir=$K" -D port=4242 -f macros.conf
is "$RC" 0 "-D port=4242 with a file that sets port"
like "$OUT" $'^\tlisten-port 4242$' "the command line wins"
run "$HERE/good" -n -D "keydir=$K" -D port=0 -f macros.conf
is "$RC" 1 "a bad value from -D is an error"
is "$ERR" 'macros.conf:13: interface "mesh0": listen-port must be a number'\
' from 1 to 65535, not "0"' "and is reported where it is used"
run "$HERE/good" -n -D keydir -f macros.conf
is "$RC" 1 "-D without a value is refused"

# without -D keydir, the configs that use it fail on the undefined macro
run "$HERE/good" -n -f minimal.conf
is "$RC" 1 "no -D keydir: exit 1"
is "$ERR" 'minimal.conf:3: macro "keydir" is not defined' \
    "no -D keydir: the macro is not defined"

# a host name that does not resolve (.invalid never does: RFC 6761; the
# reason depends on the resolver) is a warning: the peer has no endpoint
# until it resolves, and the name stays in the config
cat >"$K/resolve.conf" <<EOF
interface "mesh0" {
	private-key-file "$K/mesh0.key"
}
peer "beta" {
	public-key "act0B1ztB5HkpJe/m13Ny2EaPcmOjF5vzpuuXcNFBXs="
	endpoint "nosuch.invalid:51820"
}
EOF
run "$K" -nv -f resolve.conf
is "$RC" 0 "an endpoint that does not resolve is not an error"
like "$ERR" '^resolve\.conf:6: warning: peer "beta": cannot resolve '\
'endpoint "nosuch\.invalid:51820": .*; the peer has no endpoint until it '\
'resolves' "but a warning naming its line"
has "$ERR" "configuration OK" "and the configuration is OK"
has "$OUT" '	endpoint "nosuch.invalid:51820"' "-nv keeps the name"
# so is a coordinator's
cat >"$K/resolve-coord.conf" <<EOF
interface "mesh0" {
	private-key-file "$K/fixed.key"
}
mesh "corp" {
	ca "$(cat "$K/ca.pub")"
	certificate-file "$K/web1.crt"
	coordinator "coord1" {
		public-key "Iwzc5AsjyQEC9Uu8kOURJthCnBTUQGjPrN0fxDLc5as="
		endpoint "nosuch.invalid:51820"
	}
}
EOF
run "$K" -nv -f resolve-coord.conf
is "$RC" 0 "a coordinator endpoint that does not resolve is not an error"
like "$ERR" '^resolve-coord\.conf:9: warning: coordinator "coord1": cannot '\
'resolve endpoint "nosuch\.invalid:51820": .*; the peer has no endpoint until '\
'it resolves' "but a warning naming the coordinator and its line"
has "$ERR" "configuration OK" "and the configuration is OK"
has "$OUT" '		endpoint "nosuch.invalid:51820"' "-nv keeps the coordinator's name"

# a peer's allowed-ips have no fixed bound: 130,560 prefixes, as in
# WireGuard's own test (every 10.A.B.0/24 and fd00:A:B::/48, A < 255)
aips() {	# aips LO HI: those of A from LO to HI-1, 256 to a line
	awk -v lo="$1" -v hi="$2" 'BEGIN { for (a = lo; a < hi; a++) {
		l4 = "\tallowed-ips "; l6 = l4
		for (b = 0; b < 256; b++) {
			l4 = l4 (b ? ", " : "") "10." a "." b ".0/24"
			l6 = l6 (b ? ", " : "") sprintf("fd00:%x:%x::/48", a, b)
		}
		print l4; print l6 } }'
}
peer() {	# peer NAME KEY LO HI
	printf 'peer "%s" {\n\tpublic-key "%s"\n' "$1" "$2"
	aips "$3" "$4"; printf '}\n'
}
iface() { printf 'interface "mesh0" {\n\tprivate-key-file "%s/mesh0.key"\n}\n' "$K"; }
{ iface; peer beta act0B1ztB5HkpJe/m13Ny2EaPcmOjF5vzpuuXcNFBXs= 0 255; } \
    >"$K/big.conf"
run "$K" -nv -f big.conf
is "$RC" 0 "130,560 allowed-ips on one peer are accepted"
is "$(printf '%s\n' "$OUT" | grep '^	allowed-ips' | tr ',' '\n' | wc -l)" \
    130560 "and -nv prints every one of them"
# the same prefixes on a second peer (and overlapping ones on a third):
# ten errors with file:line, then one line for the rest
{ iface; peer beta act0B1ztB5HkpJe/m13Ny2EaPcmOjF5vzpuuXcNFBXs= 0 100
  peer gamma AiOWvzD22jnWbQLfEQEAP+Be1LkwyNEy4mfY4JvNFwI= 50 150
  printf 'peer "delta" {\n\tpublic-key "%s"\n\tallowed-ips %s\n}\n' \
      mTlhWLV9VO/C0Kl0hu3PR5wx81HLBn1U+N803MICNRQ= \
      '10.0.0.0/8, 10.60.1.1/32, ::/0'; } >"$K/shared.conf"
run "$K" -n -f shared.conf
is "$RC" 1 "the same prefixes on two peers are refused"
is "$(printf '%s\n' "$ERR" | wc -l)" 11 "in eleven lines"
like "$(printf '%s\n' "$ERR" | head -1)" '^shared\.conf:209: peer "gamma": '\
'allowed-ips 10\.50\.0\.0/24 is also given to peer "beta" at shared\.conf:106$' \
    "the first names both peers with file:line"
like "$(printf '%s\n' "$ERR" | tail -1)" '^shared\.conf:[0-9]+: and 25590 '\
'more allowed-ips given to two peers$' "the last counts the rest"

# meshd-crypto holds up to 4096 preshared keys
for n in 4096 4097; do
	{ printf 'interface "mesh0" {\n\tprivate-key-file "%s/mesh0.key"\n}\n' "$K"
	  perl -MMIME::Base64 -e 'for my $i (1 .. $ARGV[0]) {
		printf("peer \"p%d\" {\n\tpublic-key \"%s\"\n" .
		    "\tpreshared-key-file \"%s/beta.psk\"\n}\n", $i,
		    encode_base64(pack("N", $i) . "\x01" x 28, ""), $ARGV[1]);
	  }' "$n" "$K"; } >"$K/psk$n.conf"
done
run "$K" -n -f psk4096.conf
is "$RC" 0 "4096 peers with a preshared key are accepted" || diag "$ERR"
run "$K" -n -f psk4097.conf
is "$RC" 1 "4097 peers with a preshared key are refused"
like "$ERR" '^psk4097\.conf:[0-9]+: peer "p4097": more than 4096 peers with a preshared-key-file' \
    "naming the line"

# interface addresses beside a mesh certificate: kept, but a warning at
# the certificate-file line if none of them is one of the certificate's
mesh_conf() {	# mesh_conf ADDRESS: a mesh node with this address line
	printf 'interface "mesh0" {\n\taddress %s\n' "$1"
	printf '\tprivate-key-file "%s/fixed.key"\n}\n' "$K"
	printf 'mesh "corp" {\n\tca "%s"\n' "$(cat "$K/ca.pub")"
	printf '\tcertificate-file "%s/web1.crt"\n' "$K"
	printf '\tcoordinator "c1" {\n\t\tpublic-key "%s"\n' \
	    Iwzc5AsjyQEC9Uu8kOURJthCnBTUQGjPrN0fxDLc5as=
	printf '\t\tendpoint "198.18.60.1:51820"\n\t}\n}\n'
}
mesh_conf 10.0.0.1/24 >"$K/meshaddr.conf"
run "$K" -nv -f meshaddr.conf
is "$RC" 0 "an interface address that is not the certificate's is allowed"
is "$ERR" 'meshaddr.conf:7: warning: mesh "corp": none of interface "mesh0"'\
''"'"'s addresses is one of its certificate'"'"'s
configuration OK' "with a warning at the certificate-file line"
has "$OUT" '	address 10.0.0.1/24' "and the address stays"
mesh_conf fd7a:115c:a1e0::1/64 >"$K/meshaddr.conf"
run "$K" -nv -f meshaddr.conf
is "$ERR" "configuration OK" "one of the certificate's, as a /64: no warning"

# a missing config file
run "$K" -n -f nosuch.conf
is "$RC" 1 "a missing config file: exit 1"
is "$ERR" "nosuch.conf: No such file or directory" "and says so"

# bug 7: a config file, or one it includes, that group or others may
# write or that another user owns is refused (made here: git keeps no
# modes); readable by all is fine
printf 'interface "mesh0" {\n\tprivate-key-file "%s/mesh0.key"\n}\n' "$K" \
    >"$K/loose.conf"
chmod 0664 "$K/loose.conf"
run "$K" -n -f loose.conf
is "$RC" 1 "a config file writable by group: exit 1"
is "$ERR" "loose.conf: writable by group or others (mode 0664), chmod go-w it" \
    "and says so"
printf '# the interface\ninclude "loose.conf"\n' >"$K/top.conf"
chmod 0646 "$K/loose.conf"
run "$K" -n -f top.conf
is "$RC" 1 "an included file writable by others: exit 1"
is "$(printf '%s\n' "$ERR" | head -1)" 'top.conf:2: cannot include '\
'"loose.conf": writable by group or others (mode 0646), chmod go-w it' \
    "naming the include line"
chmod 0644 "$K/loose.conf"
run "$K" -n -f top.conf
is "$RC" 0 "readable by all is fine" || diag "$ERR"
if [ "$ISROOT" = 1 ]; then
	chown 65534 "$K/loose.conf"
	run "$K" -n -f loose.conf
	is "$RC" 1 "a config file of another user: exit 1"
	is "$ERR" "loose.conf: owned by uid 65534, must be owned by root or"\
" uid 0 (chown it)" "and says so"
else
	echo "ok $((T_N += 1)) # SKIP a config file of another user needs root"
	echo "ok $((T_N += 1)) # SKIP a config file of another user needs root"
fi

done_testing
