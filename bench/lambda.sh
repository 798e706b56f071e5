#!/bin/sh
# bench/lambda.sh [INVOCATIONS] [S3_MB]: the Lambda pipeline as a whole,
# run by its entry point under s6 against the fake Runtime API
# (tests/tools/fake_runtime.py) and a sink Loki (tests/tools/null_loki.c).
#
#  1. CPU per small invocation (one CloudWatch event of 50 lines), summed
#     over every process of the pipeline (s6-svscan, s6-supervise, the five
#     stages; /proc/PID/schedstat), next to an empty Runtime API loop
#     measured in the same run (lambda-runtime alone, a script acking each
#     flush at once); and the wall time per invocation (median, from
#     the fake Runtime API: event handed out -> answer received).
#  2. Cold start: exec of the entry point -> first GET .../invocation/next
#     (median of 10), next to lambda-runtime exec'd alone (no s6, no
#     --check runs) the same way.
#  3. Memory: proportional set size (PSS, /proc/PID/smaps_rollup) summed
#     over every process, at rest and at its peak while one S3 object of
#     S3_MB (default 200) MB of VPC flow log lines streams through
#     (fake_s3.py serving it gzipped), next to a `cat` holding a pipe.
# The fakes' own CPU and memory are not counted. lambda-promtail's figures
# (from the issue, measured elsewhere: no Go toolchain here) are printed
# for reference: 1.3 ms CPU per small invocation, 15-21 ms cold start,
# 26 MB.
set -eu
LC_ALL=C; export LC_ALL
cd "$(dirname "$0")/.."
TOP=$(pwd)
B=${B:-build/opt}
BIN=${BIN:-bin}
N=${1:-500}
MB=${2:-200}
PY=/usr/bin/python3
for s in lambda-runtime aws-decode relabel batch loki-push; do
	[ -x "$BIN/$s" ] || { echo "bench/lambda.sh: no $BIN/$s (make first)"; exit 0; }
done
[ -x "$B/tools/null_loki" ] || make -s "$B/tools/null_loki"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy \
    BATCH_SIZE TENANT_ID USERNAME PASSWORD BEARER_TOKEN RELABEL_CONFIGS \
    LOKI_STAGE_CONFIGS EXTRA_LABELS DROP_LABELS 2>/dev/null || true
LOG_LEVEL=warn; PRINT_LOG_LINE=false; export LOG_LEVEL PRINT_LOG_LINE
W=$(mktemp -d "${TMPDIR:-/tmp}/lokipipe-bench.XXXXXX")
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT

# --- helpers
# tree PID: PID and its descendants
tree() {
	ps -eo pid=,ppid= | awk -v root="$1" '
	    { parent[$1] = $2; pids[NR] = $1 }
	    END { want[root] = 1; changed = 1
	      while (changed) { changed = 0
	        for (i in pids) { p = pids[i]
	          if (!(p in want) && (parent[p] in want)) { want[p] = 1; changed = 1 } } }
	      for (p in want) print p }'
}
# cpu PIDS...: nanoseconds on CPU, summed
cpu() {
	for p in "$@"; do cat "/proc/$p/schedstat" 2>/dev/null || echo 0; done |
	    awk '{ s += $1 } END { printf "%.0f\n", s }'
}
# pss PIDS...: kB, summed
pss() {
	for p in "$@"; do cat "/proc/$p/smaps_rollup" 2>/dev/null; done |
	    awk '/^Pss:/ { s += $2 } END { print s + 0 }'
}
# answered REC: answers recorded so far
answered() {
	c=$(grep -c '"kind": "\(response\|error\)"' "$1" 2>/dev/null) || true
	echo "${c:-0}"
}
# fakes EVENTS REC [HOLD]: the fake Runtime API and the sink Loki
fakes() {
	rm -f "$W/rport" "$W/lport" "$W/go"
	$PY tests/tools/fake_runtime.py --events "$1" --record "$2" \
	    --portfile "$W/rport" ${3:+--hold "$3:$W/go"} > /dev/null \
	    2> "$2.err" &
	RT=$!
	"$B/tools/null_loki" "$W/lport" 2> "$2.sink" &
	NL=$!
	PIDS="$PIDS $RT $NL"
	fw=0; while { [ ! -s "$W/rport" ] || [ ! -s "$W/lport" ]; } && [ $fw -lt 200 ]; do
		sleep 0.05; fw=$((fw+1)); done
	export AWS_LAMBDA_RUNTIME_API=127.0.0.1:$(cat "$W/rport")
	export WRITE_ADDRESS=http://127.0.0.1:$(cat "$W/lport")/loki/api/v1/push
}
unfakes() { kill "$RT" "$NL" 2>/dev/null || true; wait "$RT" "$NL" 2>/dev/null || true; }
# until REC COUNT: wait for COUNT answers (120 s)
until_n() {
	uw=0; while [ "$(answered "$1")" -lt "$2" ] && [ $uw -lt 1200 ]; do
		sleep 0.05; uw=$((uw+1)); done
}
median_ms() {
	$PY -c 'import json, sys, statistics
ms = [json.loads(l)["ms"] for l in open(sys.argv[1])
      if json.loads(l)["kind"] in ("response", "error")][int(sys.argv[2]):]
print("%.2f" % statistics.median(ms))' "$1" "$2"
}

# --- data: N CloudWatch events of 50 lines, N empty events
$PY - "$N" "$W" <<'EOF'
import base64, gzip, json, sys
n, w = int(sys.argv[1]), sys.argv[2]
with open(w + "/cw.events", "w") as f, open(w + "/empty.events", "w") as g:
    for i in range(n):
        data = {"messageType": "DATA_MESSAGE", "owner": "123456789012",
                "logGroup": "/aws/lambda/api", "logStream": "2024/01/01/x",
                "subscriptionFilters": ["f"], "logEvents": [
                    {"id": str(j), "timestamp": 1700000000000 + i * 50 + j,
                     "message": "INFO request %d.%d done in 12 ms status=200"
                                " path=/v1/items user=u-%d" % (i, j, j)}
                    for j in range(50)]}
        b = base64.b64encode(gzip.compress(json.dumps(data).encode()))
        f.write(json.dumps({"id": "c%d" % i, "event":
                            {"awslogs": {"data": b.decode()}}}) + "\n")
        g.write(json.dumps({"id": "e%d" % i, "event": {}}) + "\n")
EOF
warm=$((N / 10))

# --- 1a. the empty Runtime API loop: lambda-runtime alone
fakes "$W/empty.events" "$W/empty.rec" "$warm"
mkfifo "$W/acks" "$W/out"
"$BIN/lambda-runtime" --acks "$W/acks" > "$W/out" 2> /dev/null &
LR=$!
$PY tests/lambda/fake_pipeline.py "$W/acks" /dev/null < "$W/out" &
AK=$!
PIDS="$PIDS $LR $AK"
until_n "$W/empty.rec" "$warm"
sleep 0.2
c0=$(cpu "$LR")
touch "$W/go"
until_n "$W/empty.rec" "$N"
c1=$(cpu "$LR")
empty_us=$(( (c1 - c0) / (N - warm) / 1000 ))
empty_wall=$(median_ms "$W/empty.rec" "$warm")
kill "$LR" "$AK" 2>/dev/null || true
wait "$LR" "$AK" 2>/dev/null || true
unfakes

# --- 1b. the whole pipeline, one CloudWatch event of 50 lines each time
fakes "$W/cw.events" "$W/cw.rec" "$warm"
LP_RUN=$W/run "$TOP/pipelines/lambda/entry" 2> "$W/cw.err" &
SV=$!
PIDS="$PIDS $SV"
until_n "$W/cw.rec" "$warm"
sleep 0.2
procs=$(tree "$SV")
c0=$(cpu $procs)
touch "$W/go"
until_n "$W/cw.rec" "$N"
c1=$(cpu $procs)
sleep 0.5
rest=$(pss $(tree "$SV"))
nproc=$(echo $procs | wc -w)
full_us=$(( (c1 - c0) / (N - warm) / 1000 ))
full_wall=$(median_ms "$W/cw.rec" "$warm")
bad=$(grep -c '"kind": "error"' "$W/cw.rec" || true)
kill -TERM "$SV"; wait "$SV" 2>/dev/null || true
unfakes

echo "invocations: $N ($warm warm-up not counted), $bad failed"
printf 'CPU per invocation, whole pipeline (%s processes): %d us\n' "$nproc" "$full_us"
printf 'CPU per invocation, empty Runtime API loop:         %d us\n' "$empty_us"
printf 'CPU above the empty loop:                           %d us   (target <= 300 us; lambda-promtail: 1300 us)\n' \
    $((full_us - empty_us))
printf 'wall per invocation (median): pipeline %s ms, empty loop %s ms\n' \
    "$full_wall" "$empty_wall"
printf 'PSS at rest, all processes:   %d kB   (target <= 16384 kB; lambda-promtail: 26 MB)\n' "$rest"

# --- 2. cold start: exec of the entry point -> first GET next; baseline:
# exec of lambda-runtime alone (no s6, no checks) -> first GET next
head -1 "$W/cw.events" > "$W/one.events"
# cold NAME CMD...: the time from exec(CMD) to the first GET next, in ms
cold() {
	cn=$1; shift
	fakes "$W/one.events" "$W/$cn.rec"
	$PY -c 'import os, sys, time
open(sys.argv[1], "w").write(repr(time.time()))
os.execv(sys.argv[2], sys.argv[2:])' "$W/t0" "$@" > "$W/$cn.out" 2>&1 &
	SV=$!
	uw=0; while ! grep -q '"kind": "next"' "$W/$cn.rec" 2>/dev/null && [ $uw -lt 600 ]; do
		sleep 0.02; uw=$((uw+1)); done
	$PY -c 'import json, sys
t0 = float(open(sys.argv[2]).read())
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["kind"] == "next":
        print("%.2f" % ((r["t"] - t0) * 1000)); break' "$W/$cn.rec" "$W/t0"
	kill -TERM "$SV" 2>/dev/null || true
	wait "$SV" 2>/dev/null || true
	unfakes
}
: > "$W/cold"
: > "$W/cold0"
rm -f "$W/acks"; mkfifo "$W/acks"
for k in 1 2 3 4 5 6 7 8 9 10; do
	LP_RUN=$W/run cold "cold$k" "$TOP/pipelines/lambda/entry" >> "$W/cold"
	cold "alone$k" "$BIN/lambda-runtime" --acks "$W/acks" >> "$W/cold0"
done
printf 'cold start, exec of the entry point -> first GET next (median of 10): %s ms   (target <= 10 ms; lambda-promtail: 15-21 ms)\n' \
    "$(sort -n "$W/cold" | sed -n 5p)"
printf '  baseline: exec of lambda-runtime alone -> first GET next:         %s ms\n' \
    "$(sort -n "$W/cold0" | sed -n 5p)"

# --- 3. memory while one big S3 object streams through
KEY=AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/01/123456789012_vpcflowlogs_us-east-1_fl-0abc_20240101T0000Z_big.log.gz
mkdir -p "$W/s3/logs/${KEY%/*}"
$PY - "$MB" <<'EOF' | gzip -1 > "$W/s3/logs/$KEY"
import sys
mb = int(sys.argv[1])
sys.stdout.write("version account-id interface-id srcaddr dstaddr srcport "
                 "dstport protocol packets bytes start end action "
                 "log-status\n")
line = ("2 123456789012 eni-0050644426037aa0f 10.26.%d.%d 3.239.232.29 %d "
        "443 6 48 21869 %d %d ACCEPT OK\n")
n = 0
out = []
size = 0
t = 1700000000
while size < mb * 1000000:
    s = line % (n % 250, n % 199, 1024 + n % 60000, t + n // 1000,
                t + n // 1000 + 1)
    out.append(s)
    size += len(s)
    n += 1
    if len(out) == 10000:
        sys.stdout.write("".join(out))
        out = []
sys.stdout.write("".join(out))
EOF
s3port=$($PY tests/tools/freeport.py)
$PY tests/tools/fake_s3.py --port "$s3port" --dir "$W/s3" --key-id AKIDB \
    --secret SECRETB > /dev/null 2>&1 &
S3=$!
PIDS="$PIDS $S3"
$PY - "$KEY" > "$W/big.events" <<'EOF'
import json, sys
print(json.dumps({"id": "big", "timeout_ms": 900000, "event": {"Records": [{
    "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
    "eventName": "ObjectCreated:Put",
    "s3": {"bucket": {"name": "logs", "arn": "arn:aws:s3:::logs"},
           "object": {"key": sys.argv[1], "size": 1}}}]}}))
EOF
fakes "$W/big.events" "$W/big.rec"
AWS_ACCESS_KEY_ID=AKIDB AWS_SECRET_ACCESS_KEY=SECRETB AWS_REGION=us-east-1 \
AWS_ENDPOINT_URL_S3=http://127.0.0.1:$s3port LP_RUN=$W/run \
    "$TOP/pipelines/lambda/entry" 2> "$W/big.err" &
SV=$!
PIDS="$PIDS $SV"
peak=0
t0=$(date +%s)
while [ "$(answered "$W/big.rec")" -lt 1 ] && [ $(( $(date +%s) - t0 )) -lt 600 ]; do
	p=$(pss $(tree "$SV"))
	[ "$p" -gt "$peak" ] && peak=$p
	sleep 0.2
done
t1=$(date +%s)
res=$(sed -n 's/.*"kind": "\(response\|error\)", "id": "big".*/\1/p' "$W/big.rec")
kill -TERM "$SV"; wait "$SV" 2>/dev/null || true
unfakes
kill "$S3" 2>/dev/null || true
sleep 30 | cat > /dev/null &
CAT=$!
sleep 0.2
catpss=$(pss "$CAT")
kill "$CAT" 2>/dev/null || true
printf 'PSS peak while a %d MB S3 object streams through (%ss, %s): %d kB   (target <= 16384 kB)\n' \
    "$MB" $((t1 - t0)) "$res" "$peak"
printf '  baseline: one cat holding a pipe: %d kB\n' "$catpss"
printf '  object: %s bytes gzipped; Loki sink received: %s\n' \
    "$(wc -c < "$W/s3/logs/$KEY")" "$(cat "$W/big.rec.sink")"
