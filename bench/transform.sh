#!/bin/sh
# bench/transform.sh [ENTRIES]: throughput of bin/transform with no stage
# (pass-through), with Loki pipeline stages (json + labels, regex +
# labels + output, logfmt + labels + timestamp, the drop-by-match example)
# and with a jq program, next to cat of the same file in the same run.
#
# The data: ENTRIES (default 200000) CloudWatch-like entries whose line is
# a JSON application log (~150 bytes) with two labels. Each run reads the
# file from the page cache and writes to /dev/null; the best of 3 is kept.
# MB/s are 10^6 input bytes per second. Nothing fails on a figure.
set -eu
LC_ALL=C; export LC_ALL
cd "$(dirname "$0")/.."
N=${1:-200000}
BIN=${BIN:-bin}
[ -x "$BIN/transform" ] || { echo "bench/transform.sh: no $BIN/transform"; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/lokipipe-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT

awk -v n="$N" 'BEGIN {
	split("info warn error debug", lv, " ")
	for (i = 0; i < n; i++)
		printf "{\"ts\":\"1714557600%09d\",\"labels\":{\"__aws_log_type\":" \
		    "\"cloudwatch\",\"__aws_cloudwatch_log_group\":\"/aws/lambda/api\"}," \
		    "\"line\":\"{\\\"time\\\":\\\"2024-05-01T10:00:%02d.%06dZ\\\"," \
		    "\\\"level\\\":\\\"%s\\\",\\\"msg\\\":\\\"request done\\\"," \
		    "\\\"user\\\":\\\"u%d\\\",\\\"status\\\":%d,\\\"dur_ms\\\":%d.5}\"}\n",
		    i, i % 60, i % 1000000, lv[i % 4 + 1], i % 977, 200 + i % 3, i % 300
}' > "$W/json"
awk -v n="$N" 'BEGIN {
	split("info warn error debug", lv, " ")
	for (i = 0; i < n; i++)
		printf "{\"ts\":\"1714557600%09d\",\"labels\":{\"__aws_log_type\":" \
		    "\"cloudwatch\",\"__aws_cloudwatch_log_group\":\"/aws/lambda/api\"}," \
		    "\"line\":\"time=2024-05-01T10:00:%02d.%06dZ level=%s " \
		    "msg=\\\"request done\\\" user=u%d status=%d dur=%dms\"}\n",
		    i, i % 60, i % 1000000, lv[i % 4 + 1], i % 977, 200 + i % 3, i % 300
}' > "$W/logfmt"

S_JSON='[{"json":{"expressions":{"level":"","user":"","status":""}}},
 {"labels":{"level":""}},{"structured_metadata":{"user":""}}]'
S_REGEX='[{"regex":{"expression":"\"level\":\"(?P<level>\\w+)\",\"msg\":\"(?P<msg>[^\"]*)\""}},
 {"labels":{"level":""}},{"output":{"source":"msg"}}]'
S_LOGFMT='[{"logfmt":{"mapping":{"level":"","time":""}}},{"labels":{"level":""}},
 {"timestamp":{"source":"time","format":"RFC3339Nano"}}]'
S_MATCH='[{"match":{"selector":"{__aws_log_type=\"cloudwatch\"} |= \"debug\"","action":"drop"}}]'
JQ='.labels.level = (.line | fromjson | .level)'

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
run_t() { f=$1; shift; "$BIN/transform" "$@" < "$f" > /dev/null 2>&1; }

# what the json stages make of one entry
head -1 "$W/json" | "$BIN/transform" -s "$S_JSON" 2>/dev/null | cut -c 1-200
echo "transform: $N entries ($(nproc) cores, $(uname -m))"
printf '%-26s %9s %12s %8s\n' run MB/s entries/s "x cat"
row() {	# row NAME FILE NS CAT_NS
	awk -v name="$1" -v s="$(wc -c < "$2")" -v n="$N" -v r="$3" -v c="$4" \
	    'BEGIN { printf "%-26s %9.0f %12.0f %8.2f\n", name,
	    s / (r / 1e9) / 1e6, n / (r / 1e9), c / r }'
}
for f in json logfmt; do
	cat "$W/$f" > /dev/null
	c=$(best run_cat "$W/$f")
	row "cat ($f)" "$W/$f" "$c" "$c"
	row "pass-through ($f)" "$W/$f" "$(best run_t "$W/$f")" "$c"
	if [ "$f" = json ]; then
		row "json+labels+meta" "$W/$f" "$(best run_t "$W/$f" -s "$S_JSON")" "$c"
		row "regex+labels+output" "$W/$f" "$(best run_t "$W/$f" -s "$S_REGEX")" "$c"
		row "match drop" "$W/$f" "$(best run_t "$W/$f" -s "$S_MATCH")" "$c"
		row "jq (fromjson)" "$W/$f" "$(best run_t "$W/$f" -j "$JQ")" "$c"
	else
		row "logfmt+labels+timestamp" "$W/$f" "$(best run_t "$W/$f" -s "$S_LOGFMT")" "$c"
	fi
done
