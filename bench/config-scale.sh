#!/usr/bin/env bash
# Time to read a large config: `meshd -n` on N peers with 10 allowed-ips
# each (default 10,000 peers, 100,000 prefixes).  A reload parses the
# same way, in the parent, so this is also what a reload of it costs.
set -u
: "${MESHD_BUILD:?run it through make bench}"
N=${1:-10000}
D=$(mktemp -d /tmp/meshd-scale.XXXXXX) || exit 1
trap 'rm -rf "$D"' EXIT
(umask 077; "$MESHD_BUILD/meshctl" genkey >"$D/k")

awk -v n="$N" -v k="$D/k" -v seed="$RANDOM" 'BEGIN {
	srand(seed)
	printf "interface \"mesh0\" {\n\tprivate-key-file \"%s\"\n}\n", k
	b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	a = 0
	for (p = 0; p < n; p++) {
		key = ""
		for (i = 0; i < 42; i++) key = key substr(b64, int(rand() * 64) + 1, 1)
		key = key "A="
		printf "peer \"p%d\" {\n\tpublic-key \"%s\"\n\tallowed-ips ", p, key
		for (j = 0; j < 10; j++) {
			printf "%s10.%d.%d.%d/32", j ? ", " : "", int(a / 65536) % 256, int(a / 256) % 256, a % 256
			a++
		}
		printf "\n}\n"
	}
}' >"$D/scale.conf"

s=$(date +%s%N)
"$MESHD_BUILD/meshd" -n -f "$D/scale.conf" 2>"$D/err" || { cat "$D/err"; exit 1; }
e=$(date +%s%N)
printf 'config of %d peers, %d allowed-ips: meshd -n in %d ms\n' "$N" $((N * 10)) $(( (e - s) / 1000000 ))
