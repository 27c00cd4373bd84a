#!/usr/bin/env bash
# meshctl's key commands against wg(8): genkey and genpsk print what wg
# genkey and wg genpsk print, pubkey agrees with wg pubkey both ways, bad
# input is refused; and the errors a user sees without a daemon.

. "$(dirname "$0")/../lib.sh"
CTL=$MESHD_BUILD/meshctl
[ -x "$CTL" ] || skip_all "$CTL not built (run make)"
tmpdir_new D

B64KEY='^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$'
# bytes KEY: the 32 decoded bytes, as decimal numbers
bytes() { printf '%s' "$1" | base64 -d | od -An -tu1 -v | tr -s ' \n' ' '; }

# ---- genkey
"$CTL" genkey >"$D/k"; st=$?
is "$st" 0 "genkey exits 0"
is "$(wc -c <"$D/k")" 45 "genkey prints 44 characters and a newline"
key=$(cat "$D/k")
like "$key" "$B64KEY" "genkey prints base64 of 32 bytes"
is "$(printf '%s' "$key" | base64 -d | wc -c)" 32 "it decodes to 32 bytes"
read -r -a b <<<"$(bytes "$key")"
is "$(( b[0] & 7 ))" 0 "genkey: byte 0 is clamped (low 3 bits clear)"
is "$(( b[31] & 0x80 ))" 0 "genkey: byte 31 has the top bit clear"
is "$(( b[31] & 0x40 ))" 64 "genkey: byte 31 has bit 6 set"
k2=$("$CTL" genkey)
[ "$key" != "$k2" ]; ok $? "two genkeys differ"

# clamping holds every time, not by chance
bad=0
for i in $(seq 20); do
	read -r -a b <<<"$(bytes "$("$CTL" genkey)")"
	(( (b[0] & 7) == 0 && (b[31] & 0xc0) == 0x40 )) || bad=$((bad + 1))
done
is "$bad" 0 "20 more genkeys are all clamped"

# ---- genpsk
"$CTL" genpsk >"$D/psk"; st=$?
is "$st" 0 "genpsk exits 0"
is "$(wc -c <"$D/psk")" 45 "genpsk prints 44 characters and a newline"
like "$(cat "$D/psk")" "$B64KEY" "genpsk prints base64 of 32 bytes"
n=$(for i in $(seq 20); do "$CTL" genpsk; done | sort -u | wc -l)
is "$n" 20 "20 genpsks are all different"

# ---- pubkey against wg
if command -v wg >/dev/null; then
	got=$("$CTL" genkey | tee "$D/k1" | "$CTL" pubkey)
	is "$got" "$(wg pubkey <"$D/k1")" "meshctl genkey | meshctl pubkey = wg pubkey"
	got=$(wg genkey | tee "$D/k2" | "$CTL" pubkey)
	is "$got" "$(wg pubkey <"$D/k2")" "wg genkey | meshctl pubkey = wg pubkey"
	bad=0
	for i in $(seq 20); do
		k=$(wg genkey)
		[ "$(printf '%s\n' "$k" | "$CTL" pubkey)" = \
		    "$(printf '%s\n' "$k" | wg pubkey)" ] || bad=$((bad + 1))
	done
	is "$bad" 0 "20 more wg keys: meshctl pubkey = wg pubkey"
	# an unclamped key: both clamp it the same way
	k=$(head -c 32 /dev/zero | tr '\0' '\377' | base64)
	is "$(printf '%s\n' "$k" | "$CTL" pubkey)" "$(printf '%s\n' "$k" | wg pubkey)" \
	    "an unclamped key: meshctl pubkey = wg pubkey"
	is "$(wg pubkey <"$D/psk" | wc -c)" 45 "wg accepts what genpsk prints"
else
	diag "wg not installed: interop with wg skipped"
fi
got=$("$CTL" pubkey <"$D/k")
like "$got" "$B64KEY" "pubkey prints a key"
is "$("$CTL" pubkey <"$D/k")" "$got" "pubkey is deterministic"
is "$(printf '%s' "$key" | "$CTL" pubkey)" "$got" "pubkey takes a key without a newline"
is "$(printf '%s\r\n' "$key" | "$CTL" pubkey)" "$got" "pubkey takes a key with CRLF"

# ---- pubkey refuses what is not a private key
MSG="meshctl: invalid private key on standard input"
badkey() {	# badkey NAME INPUT
	local out err st
	out=$(printf '%b' "$2" | "$CTL" pubkey 2>"$D/err"); st=$?
	err=$(cat "$D/err")
	is "$st" 1 "pubkey, $1: exit 1"
	is "$err" "$MSG" "pubkey, $1: the message"
	is "$out" "" "pubkey, $1: nothing on stdout"
}
badkey "empty input" ""
badkey "garbage" "not a key at all\n"
badkey "43 characters" "${key:0:43}\n"
badkey "45 characters" "${key}A\n"
badkey "a bad character" "${key:0:10}*${key:11}\n"
badkey "two keys" "$key\n$key\n"
badkey "trailing garbage" "$key\nx"
badkey "leading space" " $key\n"

# ---- key file layouts: meshctl pubkey accepts exactly what wg pubkey does
# (the key's 44 characters first, then only white space or NUL bytes)
if command -v wg >/dev/null; then
	k=$(wg genkey)
	for v in '%s\n' '%s' '%s\n\n' '%s\n\n\n\n' '%s\r\n' '%s\r\n\r\n' \
	    '%s \n' '%s\t\n' '%s   \n   \n' '%s\v\f\r' '%s\0\n' ' %s\n' \
	    '\t%s\n' '\n%s\n' '%s\nx' '%s\n#\n' '%s\n%s\n' '%s=\n' \
	    '%sA\n' 'A%s\n' '\xef\xbb\xbf%s\n' '%s\xa0\n'; do
		in=$(printf '%s' "$v" | sed "s#%s#$k#g")
		printf "$in" | wg pubkey >"$D/wgout" 2>/dev/null; wst=$?
		printf "$in" | "$CTL" pubkey >"$D/ctlout" 2>/dev/null; cst=$?
		if [ "$wst" = 0 ]; then
			is "$cst:$(cat "$D/ctlout")" "0:$(cat "$D/wgout")" \
			    "layout '$v': wg accepts it, meshctl prints the same key"
		else
			is "$cst:$(cat "$D/ctlout")" "1:" \
			    "layout '$v': wg refuses it, so does meshctl"
		fi
	done
	for v in "${k:0:43}" "${k:0:42}B=" "${k:0:42}==" "${k:0:42}D=" \
	    "${k:0:43}A" "${k:0:40}****"; do
		printf '%s\n' "$v" | wg pubkey >"$D/wgout" 2>/dev/null; wst=$?
		printf '%s\n' "$v" | "$CTL" pubkey >"$D/ctlout" 2>/dev/null
		cst=$?
		is "$cst:$(cat "$D/ctlout")" "$wst:$(cat "$D/wgout")" \
		    "key text '$v': meshctl and wg agree"
	done
	# wg's own variants: its genkey output with a blank line after it
	printf '%s\n\n' "$k" >"$D/blank.key"
	is "$("$CTL" pubkey <"$D/blank.key")" "$(wg pubkey <"$D/blank.key")" \
	    "a key file with a trailing blank line: accepted, as wg does"
fi

# ---- write errors are not silent
"$CTL" genkey >/dev/full 2>/dev/null
is "$?" 1 "genkey to a full disk: exit 1"

# ---- errors a user can make
err=$("$CTL" shw 2>&1 >/dev/null); st=$?
is "$st" 1 "unknown command: exit 1"
is "$err" 'meshctl: unknown command "shw"; valid commands: ca client genkey genpsk import-wg log netcheck pubkey reload show sign' \
    "unknown command: lists the valid commands"
err=$("$CTL" show pe 2>&1 >/dev/null); st=$?
is "$st" 1 "ambiguous argument: exit 1"
is "$err" 'meshctl: ambiguous argument "pe" after "show"; could be: peer peers' \
    "ambiguous argument: lists the candidates"
err=$("$CTL" show peer 2>&1 >/dev/null); st=$?
is "$st" 1 "missing peer name: exit 1"
is "$err" 'meshctl: missing peer name after "show peer"' "missing peer name: says so"
err=$("$CTL" 2>&1 >/dev/null); st=$?
is "$st" 1 "no command: exit 1"
like "$err" '^usage: meshctl \[-j\] \[-s socket\] command \[argument \.\.\.\]$' "no command: usage"
err=$("$CTL" -x show status 2>&1 >/dev/null); st=$?
is "$st" 1 "bad option: exit 1"
like "$err" 'usage: meshctl' "bad option: usage"

# ---- no daemon
NOSOCK=$D/no/such/meshd.sock
for cmd in "show status" "sh peers" "show peer beta" "reload" "log verbose"; do
	# shellcheck disable=SC2086
	err=$("$CTL" -s "$NOSOCK" $cmd 2>&1 >/dev/null); st=$?
	is "$st" 1 "no daemon, $cmd: exit 1"
	is "$err" "meshctl: cannot connect to $NOSOCK: No such file or directory (is meshd running?)" \
	    "no daemon, $cmd: one clear line"
done
# with -j, the error is a JSON object on stdout, nothing on stderr
for cmd in "-j show status" "show peers -j"; do
	# shellcheck disable=SC2086
	out=$("$CTL" -s "$NOSOCK" $cmd 2>"$D/err"); st=$?
	is "$st" 1 "no daemon, $cmd: exit 1"
	is "$out" "$(printf '{\n  "version": 1,\n  "error": "cannot connect to %s: No such file or directory (is meshd running?)"\n}' "$NOSOCK")" \
	    "no daemon, $cmd: a JSON error on stdout"
	is "$(cat "$D/err")" "" "no daemon, $cmd: nothing on stderr"
done
out=$("$CTL" -j show peer 2>"$D/err"); st=$?
is "$st" 1 "-j, missing peer name: exit 1"
is "$out" "$(printf '{\n  "version": 1,\n  "error": "missing peer name after \\"show peer\\""\n}')" \
    "-j, missing peer name: a JSON error on stdout"
# a socket file nobody listens on
if command -v python3 >/dev/null; then
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$D/dead.sock"
	err=$("$CTL" -s "$D/dead.sock" show status 2>&1 >/dev/null); st=$?
	is "$st" 1 "dead socket: exit 1"
	is "$err" "meshctl: cannot connect to $D/dead.sock: Connection refused (is meshd running?)" \
	    "dead socket: one clear line"
fi
long=$(printf '/tmp/%0200d' 0)
err=$("$CTL" -s "$long" show status 2>&1 >/dev/null); st=$?
is "$st" 1 "socket path too long: exit 1"
like "$err" "^meshctl: cannot connect to /tmp/0+: File name too long$" "socket path too long: says so"

done_testing
