#!/bin/bash
#
# Copyright (c) 2026 The meshd developers
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
#
# The manual pages against the code: mandoc finds nothing to warn about,
# every keyword of the config grammar (meshd-parent/parse.y) has its entry
# in meshd.conf.5 and nothing is documented that the grammar lacks, every
# meshctl command word is in meshctl.8, every meshd and meshctl option is
# documented, and the example configuration is the one the manual shows and
# is accepted by meshd -n; so are its commented mesh block and the mesh
# member and coordinator of EXAMPLES, with the test mesh's certificates.
#
# MESHD_SRC: source tree (default: two directories up from this script).
# MESHD_ROOT / MESHD_BUILD: where make check installed / built meshd; the
# tests that run meshd are skipped if there is none.

set -u

SRC=${MESHD_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
MAN=$SRC/man
PARSE_Y=$SRC/meshd-parent/parse.y
MESHD_C=$SRC/meshd-parent/meshd.c
MESHCTL_DIR=$SRC/meshctl
EXAMPLE=$SRC/contrib/meshd.conf.example

n=0
failed=0
ok() {		# ok CONDITION-EXIT-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
skip() {	# skip REASON
	n=$((n + 1))
	echo "ok $n # skip $1"
}
diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

tmp=$(mktemp -d /tmp/meshd-man.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

# -- 1. mandoc -Tlint -Wwarning prints nothing for every page -------------

have_mandoc=0
command -v mandoc >/dev/null 2>&1 && have_mandoc=1
for page in meshd.8 meshd.conf.5 meshctl.8; do
	if [ ! -f "$MAN/$page" ]; then
		ok 1 "man/$page exists"
		continue
	fi
	if [ $have_mandoc = 0 ]; then
		ok 1 "mandoc -Tlint $page (mandoc is not installed)"
		continue
	fi
	out=$(mandoc -Tlint -Wwarning "$MAN/$page" 2>&1)
	rc=$?
	[ $rc -eq 0 ] && [ -z "$out" ]
	ok $? "mandoc -Tlint -Wwarning $page is clean"
	[ -n "$out" ] && diag "$out"
done

# an ".It" line (of a tag list) whose macros include "Ic WORD"
documented_ic() {	# documented_ic WORD FILE
	grep -Eq "^\.It( .*)? Ic $1( |$)" "$2"
}

# -- 2. the config grammar's keywords and meshd.conf.5 --------------------

CONF5=$MAN/meshd.conf.5
if [ ! -f "$PARSE_Y" ]; then
	ok 1 "meshd-parent/parse.y exists (keyword table)"
else
	# the sorted keyword table: lines like  { "listen-port", LISTENPORT },
	keywords=$(sed -n 's/^[[:space:]]*{[[:space:]]*"\([a-z][a-z0-9-]*\)",.*/\1/p' \
	    "$PARSE_Y")
	[ -n "$keywords" ]
	ok $? "parse.y has a keyword table"
	for kw in $keywords; do
		documented_ic "$kw" "$CONF5"
		ok $? "meshd.conf.5 documents keyword '$kw' (.It Ic $kw)"
	done
	# and the other way: every entry (.It Ic WORD ...) is a keyword
	if [ -n "$keywords" ]; then
		extra=
		for w in $(sed -n 's/^\.It Ic \([a-z][a-z0-9-]*\).*/\1/p' \
		    "$CONF5" | sort -u); do
			printf '%s\n' $keywords | grep -qx -- "$w" ||
			    extra="$extra $w"
		done
		[ -z "$extra" ]
		ok $? "meshd.conf.5 documents no keyword parse.y lacks"
		[ -n "$extra" ] && diag "not in parse.y:$extra"
	fi
fi

# -- 3. meshctl command words and meshctl.8 -------------------------------

CTL8=$MAN/meshctl.8
# the contract: meshctl show status|peers|peer NAME, reload,
# log verbose|brief, genkey, genpsk, pubkey
words="show status peers peer reload log verbose brief genkey genpsk pubkey"
# plus whatever the token tables hold, once meshctl/parser.c exists
# (bgpctl style: { KEYWORD, "word", ... })
if [ -f "$MESHCTL_DIR/parser.c" ]; then
	more=$(sed -n 's/.*KEYWORD,[[:space:]]*"\([a-z][a-z0-9-]*\)".*/\1/p' \
	    "$MESHCTL_DIR/parser.c")
	words=$(printf '%s\n' $words $more | sort -u)
fi
for w in $words; do
	grep -Eq "^\.It Cm ([a-z-]+ )*$w( |$)" "$CTL8"
	ok $? "meshctl.8 documents command word '$w' (.It Cm ... $w)"
done
# every command has an entry of its own in the command list
for c in "show peer" "show peers" "show status" reload "log verbose" \
    "log brief" genkey genpsk pubkey; do
	grep -Eq "^\.It Cm $c( |$)" "$CTL8"
	ok $? "meshctl.8 has an entry for 'meshctl $c'"
done

# -- 4. getopt letters and .Fl entries ------------------------------------

check_opts() {		# check_opts SOURCE PAGE PROGRAM
	local src=$1 page=$2 prog=$3 optstr letters l syn
	if [ ! -f "$src" ]; then
		skip "${src#"$SRC"/} not written yet"
		return
	fi
	optstr=$(sed -n 's/.*getopt(argc, argv, "\([^"]*\)").*/\1/p' "$src" |
	    head -n 1)
	if [ -z "$optstr" ]; then
		ok 1 "$prog: getopt string found in $src"
		return
	fi
	# letters only: not the ':' of an argument, nor a leading '+' or '-'
	letters=$(printf '%s' "$optstr" | tr -cd 'A-Za-z0-9' | fold -w 1)
	syn=$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh /p' "$page")
	for l in $letters; do
		grep -Eq "^\.It Fl $l( |$)" "$page" &&
		    printf '%s\n' "$syn" |
		    grep -Eq "(Fl [a-zA-Z]*$l[a-zA-Z]*( |$))"
		ok $? "$(basename "$page") documents $prog -$l (SYNOPSIS and .It Fl $l)"
	done
}
check_opts "$MESHD_C" "$MAN/meshd.8" meshd
check_opts "$MESHCTL_DIR/meshctl.c" "$CTL8" meshctl

# -- 4b. what a reader sees: quotes render balanced -----------------------

# a .Qq inside a .Pq on one line swallows the rest of the line, and the
# page then shows ("net, "crypto, "tun""") instead of ("net", "crypto",
# "tun"); mandoc -Tlint says nothing about it
if [ $have_mandoc = 1 ]; then
	for page in meshd.8 meshd.conf.5 meshctl.8; do
		[ -f "$MAN/$page" ] || continue
		bad=$(mandoc -Tascii -O width=300 "$MAN/$page" |
		    sed "s/.\x08//g" |
		    grep -n '""')
		[ -z "$bad" ]
		ok $? "$page renders no doubled quotes (\"\")"
		[ -n "$bad" ] && diag "$bad"
	done
	mandoc -Tascii -O width=300 "$CTL8" |
		    sed "s/.\x08//g" |
	    grep -Fq 'keyed by role ("net", "crypto", "tun")'
	ok $? 'meshctl.8 renders the counters roles as ("net", "crypto", "tun")'
else
	skip "mandoc is not installed"
fi

# -- 5. the example configuration -----------------------------------------

# what a config says, without comments, blank lines and indentation
config_body() {
	sed -e 's/^[[:space:]]*//' -e '/^#/d' -e '/^$/d' "$@"
}

if [ ! -f "$EXAMPLE" ]; then
	ok 1 "contrib/meshd.conf.example exists"
else
	# the first literal block of EXAMPLES is the configuration
	sed -n '/^\.Sh EXAMPLES/,/^\.Sh /p' "$CONF5" |
	    awk '/^\.Bd -literal/ { inb = 1; next }
		/^\.Ed/ { if (inb) exit }
		inb { print }' | config_body > "$tmp/man-body"
	config_body "$EXAMPLE" > "$tmp/example-body"
	[ -s "$tmp/man-body" ] && cmp -s "$tmp/man-body" "$tmp/example-body"
	ok $? "meshd.conf.5 EXAMPLES shows contrib/meshd.conf.example"
	if ! cmp -s "$tmp/man-body" "$tmp/example-body"; then
		diag "$(diff "$tmp/man-body" "$tmp/example-body")"
	fi
fi

meshd=
for m in "${MESHD_ROOT:+$MESHD_ROOT/sbin/meshd}" \
    "${MESHD_BUILD:+$MESHD_BUILD/meshd}" "$SRC/build/meshd"; do
	if [ -n "$m" ] && [ -x "$m" ]; then
		meshd=$m
		break
	fi
done
if [ -z "$meshd" ] || [ ! -f "$EXAMPLE" ]; then
	for i in 1 2 3 4 5 6; do skip "no meshd binary built"; done
else
	# the example with its key files in $tmp, mode 0600, owned by us;
	# not bravo's private key (a peer with our own key is refused)
	umask 077
	sed "s#/etc/meshd/#$tmp/#g" "$EXAMPLE" > "$tmp/meshd.conf"
	echo "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=" > "$tmp/private.key"
	echo "DYz7fEOJSPDA3jcZSoIJOPpa5qTDZQMNJtCzp40XyWY=" > "$tmp/bravo.psk"
	out=$("$meshd" -n -f "$tmp/meshd.conf" 2>&1)
	rc=$?
	[ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q "configuration OK"
	ok $? "meshd -n accepts contrib/meshd.conf.example"
	[ $rc -ne 0 ] && diag "$out"
	"$meshd" -nv -f "$tmp/meshd.conf" > "$tmp/canon1" 2>/dev/null &&
	    "$meshd" -nv -f "$tmp/canon1" > "$tmp/canon2" 2>/dev/null &&
	    [ -s "$tmp/canon1" ] && cmp -s "$tmp/canon1" "$tmp/canon2"
	ok $? "meshd -nv output of the example parses back to the same"

	# the mesh examples, with the test mesh's files (regress/config/certs:
	# its admin key is the examples' ca; its certificates are for the
	# key in private.key, web1.crt and coord1.crt, and revoked.crl lists
	# neither)
	CERTS=$SRC/regress/config/certs
	cp "$CERTS/web1.crt" "$tmp/alpha.crt"
	cp "$CERTS/web1.crt" "$CERTS/coord1.crt" "$tmp/"
	cp "$CERTS/revoked.crl" "$tmp/revoked"
	# the example's commented mesh block, uncommented
	sed '/^#mesh "/,/^#}/s/^#//' "$tmp/meshd.conf" > "$tmp/meshd-mesh.conf"
	out=$("$meshd" -n -f "$tmp/meshd-mesh.conf" 2>&1)
	rc=$?
	grep -q '^mesh "corp" {$' "$tmp/meshd-mesh.conf" && [ $rc -eq 0 ] &&
	    printf '%s\n' "$out" | grep -q "configuration OK"
	ok $? "meshd -n accepts contrib/meshd.conf.example with its mesh block uncommented"
	[ $rc -ne 0 ] && diag "$out"
	# the literal blocks of EXAMPLES with a mesh section: a member and
	# a coordinator
	sed -n '/^\.Sh EXAMPLES/,/^\.Sh /p' "$CONF5" |
	    awk -v dir="$tmp" '/^\.Bd -literal/ { inb = 1; f = dir "/ex" ++n; next }
		/^\.Ed/ { inb = 0; next }
		inb { print > f }'
	kinds=
	for f in "$tmp"/ex[0-9]*; do
		grep -q '^mesh "' "$f" || continue
		kind=member
		grep -q 'serve coordinator' "$f" && kind=coordinator
		kinds="$kinds $kind"
		sed "s#/etc/meshd/#$tmp/#g" "$f" > "$f.conf"
		out=$("$meshd" -n -f "$f.conf" 2>&1)
		rc=$?
		[ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q "configuration OK"
		ok $? "meshd -n accepts meshd.conf.5's mesh $kind example"
		[ $rc -ne 0 ] && diag "$out"
	done
	[ "$kinds" = " member coordinator" ]
	ok $? "meshd.conf.5 EXAMPLES has a mesh member and a coordinator (got:$kinds)"
fi

echo "1..$n"
[ $failed -eq 0 ]
