#!/bin/sh
# bench/relabel.sh [ENTRIES]: throughput of bin/relabel with the multi-rule
# example of lambda-promtail's documentation (replace with ${1}, replace
# with the defaults, labeldrop __aws_.*), next to cat of the same file in
# the same run.
#
# The data: ENTRIES (default 1000000) entries of S3 load balancer logs with
# 200-byte lines and the three labels aws-decode gives them; the load
# balancer (so the label set) changes every 1000 entries ("streams"), and,
# in a second file, at every entry ("worst": the rules run for each entry).
# Each run reads the file from the page cache and writes to /dev/null; the
# best of 3 is kept. MB/s are 10^6 input bytes per second. The target is
# 1 M entries/s for the streams file; a miss is reported, not failed.
set -eu
LC_ALL=C; export LC_ALL
cd "$(dirname "$0")/.."
N=${1:-1000000}
BIN=${BIN:-bin}
[ -x "$BIN/relabel" ] || { echo "bench/relabel.sh: no $BIN/relabel"; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/lokipipe-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT

gen() {	# gen EVERY > file
	awk -v n="$N" -v every="$1" 'BEGIN {
		pad = sprintf("%200s", ""); gsub(/ /, "x", pad)
		for (i = 0; i < n; i++) {
			lb = int(i / every)
			line = sprintf("https 2024-05-01T10:00:%02d.%06dZ " \
			    "app/alb-%d/50dc6c495c0c9188 192.168.131.39:2817 " \
			    "10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 " \
			    "\\\"GET https://example.com:443/ HTTP/1.1\\\" ",
			    i % 60, i % 1000000, lb)
			line = substr(line pad, 1, 200)
			printf "{\"ts\":\"1714557600%09d\",\"labels\":{\"__aws_log_type\":" \
			    "\"s3_lb\",\"__aws_s3_lb\":\"app/alb-%d/50dc6c495c0c9188\"," \
			    "\"__aws_s3_lb_owner\":\"123456789012\"},\"line\":\"%s\"}\n",
			    i, lb, line
		}
	}'
}
gen 1000 > "$W/streams"
gen 1 > "$W/worst"

RELABEL_CONFIGS='[
 {"source_labels": ["__aws_log_type"], "target_label": "log_type",
  "action": "replace", "regex": "(.*)", "replacement": "${1}"},
 {"source_labels": ["__aws_s3_lb"], "target_label": "loadbalancer",
  "action": "replace"},
 {"regex": "__aws_.*", "action": "labeldrop"}
]'
export RELABEL_CONFIGS

best() {	# best CMD...: the best of 3 wall times, in ns
	b=""
	for i in 1 2 3; do
		t0=$(date +%s%N)
		"$@"
		t1=$(date +%s%N)
		d=$((t1 - t0))
		if [ -z "$b" ] || [ "$d" -lt "$b" ]; then b=$d; fi
	done
	echo "$b"
}
run_cat() { cat "$1" > /dev/null; }
run_relabel() { "$BIN/relabel" < "$1" > /dev/null 2>&1; }

# the output once, to show what the rules make of it
"$BIN/relabel" < "$W/streams" 2>/dev/null | head -1 | cut -c 1-160
echo "relabel: $N entries, 200-byte lines ($(nproc) cores, $(uname -m))"
printf '%-22s %9s %12s %8s\n' run MB/s entries/s "x cat"
for f in streams worst; do
	size=$(wc -c < "$W/$f")
	cat "$W/$f" > /dev/null
	c=$(best run_cat "$W/$f")
	r=$(best run_relabel "$W/$f")
	awk -v f="$f" -v s="$size" -v n="$N" -v c="$c" -v r="$r" 'BEGIN {
		printf "%-22s %9.0f %12s %8s\n", "cat (" f ")",
		    s / (c / 1e9) / 1e6, "-", "1.00"
		printf "%-22s %9.0f %12.0f %8.2f\n", "relabel (" f ")",
		    s / (r / 1e9) / 1e6, n / (r / 1e9), c / r
	}'
	if [ "$f" = streams ]; then
		eps=$(awk -v n="$N" -v r="$r" 'BEGIN { printf "%.0f", n / (r / 1e9) }')
		if [ "$eps" -ge 1000000 ]; then
			echo "target 1 M entries/s (streams): met ($eps)"
		else
			echo "target 1 M entries/s (streams): NOT met ($eps)"
		fi
	fi
done
