#!/usr/bin/env bash
# contrib/meshctl.bash-completion: sourced into bash, its function completes
# what a user types after "meshctl", word by word, as the token tables in
# meshctl/parser.c allow; and every command word it offers is one meshctl
# takes.

. "$(dirname "$0")/../lib.sh"
COMP=$MESHD_SRC/contrib/meshctl.bash-completion
[ -f "$COMP" ] || { ok 1 "contrib/meshctl.bash-completion exists"; done_testing; exit; }

# shellcheck disable=SC1090
. "$COMP"
is "$(complete -p meshctl 2>/dev/null)" "complete -F _meshctl meshctl" \
    "sourcing it registers _meshctl for meshctl"

# comp LINE: the sorted completions of LINE (ending in a space: a new word)
comp() {
	local line=$1
	read -r -a COMP_WORDS <<<"$line"
	[[ $line == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line COMP_POINT=${#line}
	_meshctl meshctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

is "$(comp 'meshctl ')" "ca client genkey genpsk import-wg log netcheck pubkey reload show sign" \
    "meshctl <TAB>: every command"
is "$(comp 'meshctl sh')" "show" "meshctl sh<TAB>: show"
is "$(comp 'meshctl gen')" "genkey genpsk" "meshctl gen<TAB>: genkey genpsk"
is "$(comp 'meshctl show ')" "cert config dns filter mesh peer peers revocations states status" \
    "meshctl show <TAB>"
is "$(comp 'meshctl show pe')" "peer peers" "meshctl show pe<TAB>"
is "$(comp 'meshctl sh st')" "states status" \
    "meshctl sh st<TAB>: both (st alone means status: states is never abbreviated)"
is "$(comp 'meshctl show f')" "filter" "meshctl show f<TAB>: filter"
is "$(comp 'meshctl log ')" "brief verbose" "meshctl log <TAB>"
is "$(comp 'meshctl -j show ')" "cert config dns filter mesh peer peers revocations states status" \
    "meshctl -j show <TAB>: options skipped"
is "$(comp 'meshctl -s /run/x.sock show ')" \
    "cert config dns filter mesh peer peers revocations states status" \
    "meshctl -s SOCK show <TAB>: an option's argument skipped"
is "$(comp 'meshctl show status ')" "" "meshctl show status <TAB>: nothing more"
is "$(comp 'meshctl genkey ')" "" "meshctl genkey <TAB>: nothing"
is "$(comp 'meshctl -')" "-V -d -j -q -s" "meshctl -<TAB>: the options"
is "$(comp 'meshctl client ')" "add list remove" "meshctl client <TAB>"
is "$(comp 'meshctl cl r')" "remove" "meshctl cl r<TAB>: remove"
is "$(comp 'meshctl client add ')" "" "meshctl client add <TAB>: a new name"
is "$(comp 'meshctl show peers ')" "interval sort" "meshctl show peers <TAB>"
is "$(comp 'meshctl sh peers so ')" "handshake name rx tx" \
    "meshctl sh peers so <TAB>: the sort keys"
is "$(comp 'meshctl show peers sort r')" "rx" "meshctl show peers sort r<TAB>"
is "$(comp 'meshctl show peers sort rx ')" "interval" \
    "meshctl show peers sort rx <TAB>: the other option only"
is "$(comp 'meshctl show peers interval 2 ')" "sort" \
    "meshctl show peers interval 2 <TAB>: the other option only"
is "$(comp 'meshctl show peers interval ')" "" \
    "meshctl show peers interval <TAB>: a number, nothing offered"
is "$(comp 'meshctl show peers interval 2 sort tx ')" "" \
    "meshctl show peers interval 2 sort tx <TAB>: nothing more"
is "$(comp 'meshctl ca ')" "genkey pubkey revoke" "meshctl ca <TAB>"
is "$(comp 'meshctl s')" "show sign" "meshctl s<TAB>: show sign"
is "$(comp 'meshctl sign -')" "-R -a -d -g -k -m -n -p -r" \
    "meshctl sign -<TAB>: sign's options"
is "$(comp 'meshctl sign -k ca.key -R ')" "coordinator relay" \
    "meshctl sign ... -R <TAB>: the roles"
is "$(comp 'meshctl sign -d ')" "" "meshctl sign -d <TAB>: days, not directories"
is "$(comp 'meshctl show cert -')" "-c -j" "meshctl show cert -<TAB>"
is "$(comp 'meshctl ca revoke -')" "-f -k" "meshctl ca revoke -<TAB>"
tmpdir_new D
touch "$D/wg0.conf" "$D/wg1.conf"; mkdir "$D/keys"
touch "$D/web1.crt"
is "$(comp "meshctl show cert $D/web")" "$D/web1.crt" \
    "meshctl show cert FILE<TAB>: file names"
is "$(comp "meshctl sign -k $D/web")" "$D/web1.crt" \
    "meshctl sign -k FILE<TAB>: file names"
is "$(comp "meshctl ca revoke -k x -f y $D/web")" "$D/web1.crt" \
    "meshctl ca revoke ... FILE<TAB>: file names"
is "$(comp "meshctl import-wg $D/wg")" "$D/wg0.conf $D/wg1.conf" \
    "meshctl import-wg FILE<TAB>: file names"
is "$(comp "meshctl import-wg -d $D/k")" "$D/keys" \
    "meshctl import-wg -d DIR<TAB>: directories"

# the words it offers are the ones meshctl's token tables hold
if [ -f "$MESHD_SRC/meshctl/parser.c" ]; then
	want=$(sed -n 's/.*KEYWORD,[[:space:]]*"\([a-z][a-z0-9-]*\)".*/\1/p' \
	    "$MESHD_SRC/meshctl/parser.c" | sort -u | tr '\n' ' ' | sed 's/ $//')
	got=$( (comp 'meshctl '; echo; comp 'meshctl show '; echo;
	    comp 'meshctl ca '; echo; comp 'meshctl client '; echo;
	    comp 'meshctl log '; echo; comp 'meshctl show peers '; echo;
	    comp 'meshctl show peers sort ') | tr ' ' '\n' | grep . | sort -u |
	    tr '\n' ' ' | sed 's/ $//')
	is "$got" "$want" "the completion offers exactly parser.c's keywords"
fi
done_testing
