#!/bin/sh
# bench/codec.sh [ENTRIES]: throughput of the entry codec (lib/entry.c,
# lib/json.c) next to cat and libjq on the same bytes, in the same run.
#
# The data: ENTRIES (default 100000) entries with 200-byte lines (plain
# Lambda-style lines with tabs, and JSON log lines with escaped quotes),
# three CloudWatch labels that change every 1000 entries; one file, read
# into memory by bench/codec_bench.c, which times each mode for >= 1 s:
#   split              memchr for the line ends: the floor of any reader
#   parse              rec_parse
#   parse+write        rec_parse + rec_write_entry_raw, the labels object
#                      rendered once per change (what a stage does)
#   parse+write-full   rec_parse + rec_write_entry (labels every time)
#   jq-parse           libjq jv_parse_sized
#   jq-parse+dump      libjq jv_parse_sized + jv_dump_string
#   push-parse         push_parse of the bodies batch would make of the
#                      same entries (1000 a body): loki-push's reader
#   jq-push-parse      libjq jv_parse_sized of those bodies
# cat is timed on the same file (page cache warm) into /dev/null. MB/s are
# 10^6 bytes of entry lines per second. The target for parse+write is
# 400 MB/s; a miss is reported, not failed.
set -eu
LC_ALL=C; export LC_ALL
cd "$(dirname "$0")/.."
B=${B:-build/opt}
N=${1:-100000}
make -s "$B/bench/codec_bench" >/dev/null || { echo "bench/codec.sh: cannot build $B/bench/codec_bench"; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/lokipipe-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
"$B/bench/codec_bench" -g "$W/entries" -n "$N" -l 200 -r 1000
size=$(wc -c < "$W/entries")

# cat, 5 times over the cached file: the best time
cat "$W/entries" > /dev/null
best=""
for i in 1 2 3 4 5; do
	t0=$(date +%s%N)
	cat "$W/entries" > /dev/null
	t1=$(date +%s%N)
	d=$((t1 - t0))
	if [ -z "$best" ] || [ "$d" -lt "$best" ]; then best=$d; fi
done
catmb=$(awk -v s="$size" -v ns="$best" 'BEGIN { printf "%.0f", s / (ns / 1e9) / 1e6 }')

for m in split parse parse+write parse+write-full jq-parse jq-parse+dump \
    push-parse jq-push-parse; do
	"$B/bench/codec_bench" -m "$m" "$W/entries"
done > "$W/res"
echo "codec: $N entries, 200-byte lines, $size bytes ($(nproc) cores," \
    "$(uname -m))"
printf '%-18s %9s %12s %8s  %s\n' step MB/s entries/s "x cat" \
    "x libjq (same work)"
printf '%-18s %9s %12s %8s\n' cat "$catmb" - 1.00
# the libjq step doing the same work as each of ours
awk -v cat="$catmb" '
{ mb[$1] = $2; eps[$1] = $3; order[NR] = $1 }
END {
	same["parse"] = "jq-parse"; same["parse+write"] = "jq-parse+dump"
	same["parse+write-full"] = "jq-parse+dump"
	same["push-parse"] = "jq-push-parse"
	for (i = 1; i <= NR; i++) {
		s = order[i]; r = ""
		if (s in same && mb[same[s]] > 0)
			r = sprintf("%.1f (vs %s)", mb[s] / mb[same[s]], same[s])
		printf "%-18s %9s %12s %8.2f  %s\n", s, mb[s], eps[s],
		    mb[s] / cat, r
	}
}' "$W/res"
pw=$(awk '$1 == "parse+write" { print $2 }' "$W/res")
if [ "$pw" -ge 400 ]; then
	echo "parse+write: $pw MB/s, target 400 MB/s: met"
else
	echo "parse+write: $pw MB/s, target 400 MB/s: NOT met"
fi
