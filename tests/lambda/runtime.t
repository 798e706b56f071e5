#!/bin/sh
# lambda-runtime alone against the fake Runtime API, with a fake pipeline
# (tests/lambda/fake_pipeline.py) that answers each flush as the event
# asks: ok, an error, a stale ack, no ack (deadline), a crash notice.
. "$(dirname "$0")/../lib.sh"
[ -x "$BIN/lambda-runtime" ] || { skip "lambda-runtime" "no bin/lambda-runtime"; exit 0; }
H=$TOP/tests/lambda

# run NAME FLAGS...: events from $T/NAME.events, outcomes to $T/NAME.rec
run() {
	n=$1; shift
	rm -f "$T/acks" "$T/out" "$T/port"
	mkfifo "$T/acks" "$T/out"
	$PY "$TOOLS/fake_runtime.py" --events "$T/$n.events" \
	    --record "$T/$n.rec" --portfile "$T/port" $FAKE_ARGS \
	    > /dev/null 2> "$T/$n.fake.err" &
	echo $! > "$T/fake.pid"
	i=0; while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
	AWS_LAMBDA_RUNTIME_API=127.0.0.1:$(cat "$T/port") \
	    $LP_WRAP "$BIN/lambda-runtime" --acks "$T/acks" "$@" \
	    > "$T/out" 2> "$T/$n.err" &
	echo $! > "$T/lr.pid"
	$PY "$H/fake_pipeline.py" "$T/acks" "$T/$n.seen" < "$T/out" &
	echo $! > "$T/fp.pid"
	i=0
	while ! grep -q '"done"' "$T/$n.rec" 2>/dev/null && [ $i -lt 300 ] &&
	    kill -0 "$(cat "$T/lr.pid")" 2>/dev/null; do
		sleep 0.1; i=$((i+1)); done
	$PY - "http://127.0.0.1:$(cat "$T/port")/_stats" > "$T/$n.stats" <<'EOF'
import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1]).read().decode())
EOF
	kill -TERM "$(cat "$T/lr.pid")" 2>/dev/null
	wait "$(cat "$T/lr.pid")"; echo $? > "$T/$n.rc"
	kill "$(cat "$T/fake.pid")" 2>/dev/null
	kill "$(cat "$T/fp.pid")" 2>/dev/null
	wait 2>/dev/null
	rm -f "$T/fake.pid" "$T/lr.pid" "$T/fp.pid"
}

# outcome NAME ID: "kind|errorType|body" of the answer for ID
outcome() {
	$PY - "$T/$1.rec" "$2" <<'EOF'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("id") == sys.argv[2] and r["kind"] in ("response", "error"):
        print("%s|%s|%s" % (r["kind"], r["error_type"],
              json.dumps(r["body"], sort_keys=True)))
        break
EOF
}
# expect NAME ID WANT
expect() {
	got=$(outcome "$1" "$2")
	if [ "$got" = "$3" ]; then ok "$1 $2"; else
		notok "$1 $2"; echo "# got:  $got" >&2; echo "# want: $3" >&2; fi
}

cat > "$T/mixed.events" <<'EOF'
{"id": "r1", "event": {"_t": "ok", "awslogs": {"data": "H4sI"}}}
{"id": "r2", "event": {"_t": "fail:loki: HTTP 400: entry too far behind"}}
{"id": "r3", "event": {"_t": "stale", "Records": []}}
{"id": "r4", "event": {"_t": "none"}, "timeout_ms": 1500}
{"id": "r5", "event": {"_t": "crash"}, "timeout_ms": 60000}
{"id": "r6", "event": {"_t": "garbage"}}
{"id": "r7", "event": {"_t": "fail:sqs:m-1: s3://b/k: HTTP 403; sqs:m-2: unknown event; sqs:m-1: again"}}
{"id": "r8", "event": {"_t": "fail:sqs:m-1: bad; loki: HTTP 500: down"}}
{"id": "r9", "raw": "{\"_t\" :\n \"ok\",\t\"s\": \"a\tb \\\" c\"}\n"}
{"id": "r10", "event": {"_t": "fail:aws-decode: kinesis:4959: bad data"}}
EOF
FAKE_ARGS="--fail next:reset:1"
run mixed -b -m 500
expect mixed r1 'response|None|null'
expect mixed r2 'error|lokipipe.Error|{"errorMessage": "loki: HTTP 400: entry too far behind", "errorType": "lokipipe.Error"}'
expect mixed r3 'response|None|null'
expect mixed r4 'error|lokipipe.Timeout|{"errorMessage": "lokipipe: no ack from the pipeline before the deadline (margin 500 ms)", "errorType": "lokipipe.Timeout"}'
expect mixed r5 'error|lokipipe.StageCrash|{"errorMessage": "lokipipe: stage relabel died (status 256, signal 9); its records were lost", "errorType": "lokipipe.StageCrash"}'
expect mixed r6 'response|None|null'
expect mixed r7 'response|None|{"batchItemFailures": [{"itemIdentifier": "m-1"}, {"itemIdentifier": "m-2"}]}'
expect mixed r8 'error|lokipipe.Error|{"errorMessage": "sqs:m-1: bad; loki: HTTP 500: down", "errorType": "lokipipe.Error"}'
expect mixed r9 'response|None|null'
expect mixed r10 'response|None|{"batchItemFailures": [{"itemIdentifier": "4959"}]}'
# the crash failed the invocation at once, not at its 60 s deadline
ms=$($PY -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("id") == "r5" and r["kind"] == "error": print(r["ms"])' "$T/mixed.rec")
check "crash fails the invocation well before its deadline ($ms ms)" test "$(echo "${ms:-99999}" | cut -d. -f1)" -lt 10000
# events reach the pipeline compacted, one line each, in order
$PY - "$T/mixed.seen" > "$T/seen.check" <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().split("\n")[:-1]
ids = [json.loads(l)["_t"] for l in lines]
assert len(lines) == 10, len(lines)
assert lines[0] == '{"_t":"ok","awslogs":{"data":"H4sI"}}', lines[0]
assert lines[8] == '{"_t":"ok","s":"a\\u0009b \\" c"}', lines[8]
print("ok")
EOF
check "events compacted to one line each" grep -qx ok "$T/seen.check"
check "SIGTERM while waiting for the next event: exit 0" test "$(cat "$T/mixed.rc")" = 0
check "one log line per invocation" test "$(grep -c 'msg=invocation' "$T/mixed.err")" = 10
check "log line has request id, entries, bytes, duration, result" \
    grep -q 'msg=invocation request_id=r1 entries=3 bytes=42 duration_ms=[0-9]* result=ok' "$T/mixed.err"
# three connections: the one reset, the one kept for all ten invocations,
# and the test's own /_stats request
check "connection reset on GET next is retried; one connection after" \
    $PY -c 'import json,sys; s=json.load(open(sys.argv[1])); sys.exit(0 if s["connections"] == 3 else 1)' "$T/mixed.stats"

# Without --batch-item-failures an SQS failure fails the whole event.
cat > "$T/plain.events" <<'EOF'
{"id": "p1", "event": {"_t": "fail:sqs:m-1: bad"}}
EOF
FAKE_ARGS=""
REPORT_BATCH_ITEM_FAILURES=false; export REPORT_BATCH_ITEM_FAILURES
run plain
expect plain p1 'error|lokipipe.Error|{"errorMessage": "sqs:m-1: bad", "errorType": "lokipipe.Error"}'
REPORT_BATCH_ITEM_FAILURES=true
cp "$T/plain.events" "$T/plainb.events"
run plainb
expect plainb p1 'response|None|{"batchItemFailures": [{"itemIdentifier": "m-1"}]}'
unset REPORT_BATCH_ITEM_FAILURES

# The Runtime API answers 500 to GET next: not recoverable, exit 111.
echo '{"id": "x1", "event": {}}' > "$T/dead.events"
FAKE_ARGS="--fail next:500:1"
run dead
check "Runtime API 500 on next: exit 111" test "$(cat "$T/dead.rc")" = 111
check "Runtime API 500 on next: says so" grep -q 'no next invocation' "$T/dead.err"

# A missing request id header is not an invocation.
FAKE_ARGS="--fail next:bad:1"
run dead
check "no request id header: exit 111" test "$(cat "$T/dead.rc")" = 111

# --init-error posts the reason to .../init/error
: > "$T/init.events"
$PY "$TOOLS/fake_runtime.py" --events "$T/init.events" --record "$T/init.rec" \
    --portfile "$T/port2" > /dev/null 2>&1 &
echo $! > "$T/fake2.pid"
i=0; while [ ! -s "$T/port2" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
AWS_LAMBDA_RUNTIME_API=127.0.0.1:$(cat "$T/port2") \
    stage lambda-runtime --init-error 'WRITE_ADDRESS is not set' 2> /dev/null
check "--init-error: exit 0" test $? = 0
check "--init-error: reason reaches /runtime/init/error" grep -q \
    '"kind": "init_error", "body": {"errorMessage": "WRITE_ADDRESS is not set", "errorType": "Runtime.ConfigError"}, "error_type": "Runtime.ConfigError"' "$T/init.rec"
kill "$(cat "$T/fake2.pid")"; rm -f "$T/fake2.pid"

# --crash: the notice, and 100 -> 125 for s6
: > "$T/crashfile"
stage lambda-runtime --acks "$T/crashfile" --crash batch 100 0 2> /dev/null
check "--crash: exit 100 becomes 125" test $? = 125
stage lambda-runtime --acks "$T/crashfile" --crash batch 256 9 2> /dev/null
check "--crash: other exits give 0" test $? = 0
printf '%s\n' '{"crash":"batch","status":100,"signal":0}' \
    '{"crash":"batch","status":256,"signal":9}' > "$T/crash.want"
same "$T/crash.want" "$T/crashfile" "--crash: notices written"
t_done
