#!/bin/sh
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
# run.sh BINDIR SECONDS JOBS [NAME ...]: runs each libFuzzer target (all
# in BINDIR by default) for SECONDS, JOBS at a time, and prints one line
# each.  New inputs go to build-fuzz/corpus/NAME (kept from run to run),
# logs to build-fuzz/log/NAME.log, crashes to build-fuzz/artifacts/NAME/;
# the seeds in fuzz/corpus/NAME are only read.  Exits 1 if any target
# crashed, leaked, hung or did not run.

set -u

if [ "${1:-}" = --one ]; then
	bindir=$2 secs=$3 name=$4
	out=build-fuzz
	mkdir -p "$out/corpus/$name" "$out/artifacts/$name" "$out/log"
	seeds=
	[ -d "fuzz/corpus/$name" ] && seeds=fuzz/corpus/$name
	rm -f "$out/artifacts/$name"/*
	set --
	[ -f "fuzz/$name.dict" ] && set -- "-dict=fuzz/$name.dict"
	"$bindir/$name" -max_total_time="$secs" -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$out/artifacts/$name/" "$@" \
	    "$out/corpus/$name" $seeds >"$out/log/$name.log" 2>&1
	rc=$?
	log=$out/log/$name.log
	done=$(grep '^Done [0-9]* runs' "$log" | tail -n 1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	if [ $rc -eq 0 ] && [ -n "$done" ]; then
		printf '%-10s ok: %s runs, %s exec/s, cov %s, ft %s, corpus %s' \
		    "$name" "${runs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" \
		    "${corp:-?}"
		printf ' (%s)\n' "$done"
		exit 0
	fi
	printf '%-10s FAILED (exit %d) after %s runs; log %s\n' "$name" $rc \
	    "${runs:-?}" "$log"
	grep -E -A40 '^==[0-9]+==|^SUMMARY|libFuzzer: |runtime error' "$log" |
	    head -n 60 | sed 's/^/    /'
	for a in "$out/artifacts/$name"/*; do
		[ -e "$a" ] && printf '    input: %s\n' "$a"
	done
	exit 1
fi

if [ $# -lt 3 ]; then
	echo "usage: $0 bindir seconds jobs [name ...]" >&2
	exit 2
fi
bindir=$1 secs=$2 jobs=$3
shift 3
if [ $# -eq 0 ]; then
	for f in fuzz/*.c; do
		n=${f#fuzz/}
		set -- "$@" "${n%.c}"
	done
fi
echo "fuzz: $# targets, ${secs} s each, $jobs at a time"
start=$(date +%s)
printf '%s\n' "$@" | xargs -P "$jobs" -I NAME sh "$0" --one "$bindir" "$secs" \
    NAME
rc=$?
echo "fuzz: $(( $(date +%s) - start )) s"
[ $rc -eq 0 ] || { echo "fuzz: FAILED" >&2; exit 1; }
exit 0
