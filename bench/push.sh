#!/bin/sh
# bench/push.sh [ENTRIES]: throughput of batch and loki-push, next to cat
# and gzip -dc of the same bytes, measured in the same run.
#
# The data: ENTRIES (default 300000) entries with 200-byte lines over 8
# CloudWatch-like streams, one file. The sink is tests/tools/null_loki.c
# (answers 204 and discards, so that the client is what is measured).
# Prints, for each step, wall seconds, MB/s of entry bytes, and the ratio
# to cat's time; for loki-push alone, its CPU time (user + system) as well.
# With LOKI_URL set, also batch | loki-push into that Loki.
set -eu
LC_ALL=C; export LC_ALL
cd "$(dirname "$0")/.."
B=${B:-build/opt}
BIN=${BIN:-bin}
N=${1:-300000}
PY=/usr/bin/python3
for f in "$BIN/batch" "$BIN/loki-push"; do
	[ -x "$f" ] || { echo "bench/push.sh: no $f (make first)"; exit 0; }
done
[ -x "$B/tools/null_loki" ] || make -s "$B/tools/null_loki"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy \
    BATCH_SIZE TENANT_ID USERNAME PASSWORD BEARER_TOKEN
LOG_LEVEL=warn; export LOG_LEVEL
W=$(mktemp -d "${TMPDIR:-/tmp}/lokipipe-bench.XXXXXX")
sink=""
trap '[ -n "$sink" ] && kill "$sink" 2>/dev/null; rm -rf "$W"' EXIT

$PY - "$N" "$W/entries" <<'EOF'
import json, random, sys
n, out = int(sys.argv[1]), open(sys.argv[2], "w")
rnd = random.Random(42)
base = 1700000000000000000
streams = [json.dumps({"__aws_log_type": "cloudwatch",
                       "__aws_cloudwatch_log_group": "/aws/lambda/svc-%d" % k,
                       "__aws_cloudwatch_owner": "123456789012"})
           for k in range(8)]
words = ("GET POST PUT user order item cart checkout session token cache "
         "miss hit db query ms status ok error retry timeout region eu us "
         "latency bytes request response handler init").split()
for i in range(n):
    # a Lambda-like line: time, request id, level, then varied text
    line = "2023-11-14T22:13:%02d.%03dZ\t%08x-%04x-%04x\tINFO\t" % (
        i % 60, i % 1000, rnd.getrandbits(32), rnd.getrandbits(16),
        rnd.getrandbits(16))
    while len(line) < 200:
        line += "%s=%d " % (rnd.choice(words), rnd.randrange(100000))
    out.write('{"ts":"%d","labels":%s,"line":%s}\n'
              % (base + i * 1000 + 7, streams[(i // 500) % 8],
                 json.dumps(line[:200])))
out.write('{"flush":"bench"}\n')
EOF
bytes=$(wc -c < "$W/entries")
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
gzip -1 -c "$W/entries" > "$W/entries.gz"

now() { date +%s%N; }
# t NAME CMD...: runs CMD (a shell string) and prints its figures
base_s=""
t() {
	name=$1; shift
	t0=$(now)
	sh -c "$1"
	t1=$(now)
	s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
	[ -n "$base_s" ] || base_s=$s
	awk -v n="$name" -v s="$s" -v by="$bytes" -v c="$base_s" 'BEGIN {
	    r = (s > 0) ? by / s / 1e6 : 0
	    x = (c > 0) ? s / c : 0
	    printf "%-34s %8.3f s %9.1f MB/s  %6.1fx cat time\n", n, s, r, x }'
}

echo "bench/push.sh: $N entries, $mb MB, 200-byte lines, 8 streams"
t "cat (baseline)" "cat '$W/entries' > /dev/null"
t "gzip -dc (baseline)" "gzip -dc '$W/entries.gz' > /dev/null"
t "batch" "'$BIN/batch' < '$W/entries' > '$W/bodies'"

"$B/tools/null_loki" "$W/port" 2> "$W/sink.err" &
sink=$!
i=0
while [ ! -s "$W/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
WRITE_ADDRESS="http://127.0.0.1:$(cat "$W/port")/loki/api/v1/push"
export WRITE_ADDRESS

t "loki-push (protobuf+snappy)" "'$BIN/loki-push' < '$W/bodies' > '$W/ack'"
grep -q '"ok":true' "$W/ack" || echo "bench/push.sh: loki-push failed: $(cat "$W/ack")"
t "loki-push --format json" "'$BIN/loki-push' -f json < '$W/bodies' > /dev/null"
t "batch | loki-push" "'$BIN/batch' < '$W/entries' | '$BIN/loki-push' > /dev/null"
t "batch | loki-push --format json" "'$BIN/batch' < '$W/entries' | '$BIN/loki-push' -f json > /dev/null"

# CPU time of loki-push alone (the sink and the pipe partner excluded)
if [ -x /usr/bin/time ]; then
	/usr/bin/time -f "%U %S" -o "$W/cpu" "$BIN/loki-push" < "$W/bodies" \
	    > /dev/null
	awk -v by="$bytes" '{ c = $1 + $2; r = (c > 0) ? by / c / 1e6 : 0
	    printf "%-34s %8.3f s %9.1f MB/s  (user %.2f + sys %.2f)\n",
	        "loki-push CPU time", c, r, $1, $2 }' \
	    "$W/cpu"
fi
kill "$sink" 2>/dev/null
wait "$sink" 2>/dev/null || true
sink=""
awk -F'[= ]' '/^requests=/ { r += $2; b += $4 } /^connections=/ { c = $2 }
    END { printf "sink: %d requests, %.1f MB of bodies, %d connections\n",
        r, b / 1e6, c }' "$W/sink.err"

# A distant Loki: every answer 20 ms late. 60 push bodies, one request at
# a time (lambda-promtail's way) and several at once (--parallel).
head -n 60 "$W/bodies" > "$W/bodies60"
echo '{"flush":"bench"}' >> "$W/bodies60"
b60=$(wc -c < "$W/bodies60")
"$B/tools/null_loki" "$W/port20" 20 2> "$W/sink20.err" &
sink=$!
i=0
while [ ! -s "$W/port20" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
WRITE_ADDRESS="http://127.0.0.1:$(cat "$W/port20")/loki/api/v1/push"
echo "60 push bodies ($(awk -v b="$b60" 'BEGIN { printf "%.1f", b / 1e6 }') MB) to a Loki that answers in 20 ms:"
for p in 1 4 8; do
	t0=$(now)
	"$BIN/loki-push" --parallel $p < "$W/bodies60" > "$W/ack"
	t1=$(now)
	grep -q '"ok":true' "$W/ack" || echo "bench/push.sh: -P $p: $(cat "$W/ack")"
	awk -v p="$p" -v a="$t0" -v b="$t1" -v by="$b60" 'BEGIN {
	    s = (b - a) / 1e9
	    printf "  loki-push --parallel %-2d %8.3f s %9.1f MB/s of bodies\n",
	        p, s, (s > 0) ? by / s / 1e6 : 0 }'
done
kill "$sink" 2>/dev/null
wait "$sink" 2>/dev/null || true
sink=""

# Into a real Loki, when one is given (LOKI_URL=http://127.0.0.1:3100):
# then Loki's ingestion, on the same cores, is what is measured.
if [ -n "${LOKI_URL:-}" ]; then
	WRITE_ADDRESS="$LOKI_URL/loki/api/v1/push"
	t "batch | loki-push -> real Loki" "'$BIN/batch' < '$W/entries' | '$BIN/loki-push' > '$W/ack'"
	grep -q '"ok":true' "$W/ack" || echo "bench/push.sh: real Loki: $(cat "$W/ack")"
fi
