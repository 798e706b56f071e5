#!/bin/sh
# End to end: the Lambda entry point (pipelines/lambda/entry) starts the
# real s6-supervised pipeline against the fake Runtime API, the fake Loki
# and the fake S3; every invocation's outcome and every entry Loki
# received are checked. Then: Loki failing past the retries, a stage
# killed mid-invocation, bad settings at init, shutdown.
. "$(dirname "$0")/../lib.sh"
for s in lambda-runtime aws-decode relabel batch loki-push; do
	[ -x "$BIN/$s" ] || { skip "lambda e2e" "no bin/$s"; exit 0; }
done
[ -d "$SAMPLES/events" ] || { skip "lambda ${0##*/}" "no samples in $SAMPLES"; exit 0; }
command -v s6-svscan > /dev/null || { skip "lambda e2e" "no s6"; exit 0; }
H=$TOP/tests/lambda
SEV=$SAMPLES/events

# --- fixtures: a VPC flow log object in the fake S3, the events
FLOWKEY=AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/01/123456789012_vpcflowlogs_us-east-1_fl-0abc_20240101T0000Z_a1b2.log.gz
mkdir -p "$T/s3/logs/${FLOWKEY%/*}"
cp "$SAMPLES/vpcflowlog.log.gz" "$T/s3/logs/$FLOWKEY"
s3port=$(freeport)
$PY "$TOOLS/fake_s3.py" --port "$s3port" --dir "$T/s3" --key-id AKIDTEST \
    --secret SECRETTEST > /dev/null 2> "$T/s3.err" &
echo $! > "$T/s3.pid"
wait_port "$s3port" || { notok "fake S3 started"; exit 1; }
export AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=SECRETTEST \
    AWS_REGION=us-east-1 AWS_ENDPOINT_URL_S3=http://127.0.0.1:$s3port
unset AWS_SESSION_TOKEN USERNAME PASSWORD BEARER_TOKEN RELABEL_CONFIGS \
    EXTRA_LABELS DROP_LABELS TENANT_ID LP_ARGS_LOKI_PUSH 2>/dev/null
PRINT_LOG_LINE=false; export PRINT_LOG_LINE

$PY - "$SEV" "$FLOWKEY" "$T" <<'EOF'
import json, sys
sev, key, t = sys.argv[1:4]
def s3(bucket, k):
    return {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3",
            "awsRegion": "us-east-1", "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": bucket,
                              "arn": "arn:aws:s3:::" + bucket},
                   "object": {"key": k, "size": 1}}}]}
def sqs(mid, body):
    return {"messageId": mid, "receiptHandle": "h", "body": json.dumps(body),
            "attributes": {}, "messageAttributes": {}, "md5OfBody": "x",
            "eventSource": "aws:sqs", "awsRegion": "us-east-1",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q"}
ev = {
 "cw": json.load(open(sev + "/cloudwatch-logs-event.json")),
 "kin": json.load(open(sev + "/kinesis-event.json")),
 "s3": s3("logs", key),
 "sqs": {"Records": [sqs("m-ok", s3("logs", key)),
                     sqs("m-bad", s3("logs", key + ".missing"))]},
 "test": json.load(open(sev + "/s3-test-event.json")),
 "sns": json.load(open(sev + "/sns-event.json")),
 "unknown": {"hello": "world"},
}
with open(t + "/mixed.events", "w") as f:
    for k in ("cw", "kin", "s3", "sqs", "test", "sns", "unknown"):
        f.write(json.dumps({"id": k, "event": ev[k]}) + "\n")
        # the entries the shell pipeline makes of it, for comparison
        json.dump(ev[k], open(t + "/ev." + k, "w"))
EOF

# --- helpers
# start NAME "FAKE_LOKI_ARGS" "FAKE_RUNTIME_ARGS": fakes + entry point
start() {
	n=$1
	rm -f "$T/lport" "$T/rport"
	# shellcheck disable=SC2086
	$PY "$TOOLS/fake_loki.py" --port-file "$T/lport" --record "$T/$n.loki" \
	    --requests "$T/$n.req" $2 > /dev/null 2> "$T/$n.loki.err" &
	echo $! > "$T/loki.pid"
	# shellcheck disable=SC2086
	$PY "$TOOLS/fake_runtime.py" --events "$T/$n.events" \
	    --record "$T/$n.rec" --portfile "$T/rport" $3 \
	    > /dev/null 2> "$T/$n.rt.err" &
	echo $! > "$T/rt.pid"
	i=0
	while { [ ! -s "$T/lport" ] || [ ! -s "$T/rport" ]; } && [ $i -lt 200 ]; do
		sleep 0.05; i=$((i+1)); done
	AWS_LAMBDA_RUNTIME_API=127.0.0.1:$(cat "$T/rport") \
	WRITE_ADDRESS=http://127.0.0.1:$(cat "$T/lport")/loki/api/v1/push \
	LP_RUN=$T/run \
	    "$TOP/pipelines/lambda/entry" > "$T/$n.out" 2> "$T/$n.err" &
	echo $! > "$T/svscan.pid"
}
# waitfor NAME: until the fake Runtime API has had every answer (30 s)
waitfor() {
	i=0
	while ! grep -q '"done"' "$T/$1.rec" 2>/dev/null && [ $i -lt 300 ]; do
		sleep 0.1; i=$((i+1)); done
}
# tree PID: PID and all its descendants
tree() {
	ps -eo pid=,ppid= | awk -v root="$1" '
	    { parent[$1] = $2; pids[NR] = $1 }
	    END { want[root] = 1; changed = 1
	      while (changed) { changed = 0
	        for (i in pids) { p = pids[i]
	          if (!(p in want) && (parent[p] in want)) { want[p] = 1; changed = 1 } } }
	      for (p in want) print p }'
}
# stop NAME: SIGTERM to s6-svscan; nothing may be left
stop() {
	pids=$(tree "$(cat "$T/svscan.pid")")
	kill -TERM "$(cat "$T/svscan.pid")"
	i=0; left=$pids
	while [ -n "$left" ] && [ $i -lt 100 ]; do
		left=""
		for p in $pids; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
		sleep 0.1; i=$((i+1))
	done
	if [ -z "$left" ]; then ok "$1: SIGTERM to s6-svscan stops every process"
	else notok "$1: SIGTERM to s6-svscan stops every process"
		ps -o pid,args -p $left >&2; kill -9 $left 2>/dev/null; fi
	kill "$(cat "$T/loki.pid")" "$(cat "$T/rt.pid")" 2>/dev/null
	wait "$(cat "$T/loki.pid")" "$(cat "$T/rt.pid")" \
	    "$(cat "$T/svscan.pid")" 2>/dev/null
	rm -f "$T/svscan.pid" "$T/loki.pid" "$T/rt.pid"
}
# outcome NAME ID: "kind|errorType|body" of the first answer for ID
outcome() {
	$PY - "$T/$1.rec" "$2" "${3:-1}" <<'EOF'
import json, sys
n = 0
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("id") == sys.argv[2] and r["kind"] in ("response", "error"):
        n += 1
        if n < int(sys.argv[3]):
            continue
        b = r["body"]
        if r["kind"] == "error":
            b = b["errorMessage"]
        print("%s|%s|%s" % (r["kind"], r["error_type"],
              json.dumps(b, sort_keys=True)))
        break
EOF
}
# expect NAME ID WANT [NTH]: the outcome is WANT; like: WANT is a pattern
expect() {
	got=$(outcome "$1" "$2" "${4:-1}")
	if [ "$got" = "$3" ]; then ok "$1: $2 -> ${got%%|*}"; else
		notok "$1: $2"; echo "# got:  $got" >&2; echo "# want: $3" >&2; fi
}
like() {
	got=$(outcome "$1" "$2" "${4:-1}")
	# shellcheck disable=SC2254
	case "$got" in
	$3) ok "$1: $2 -> ${got%%|*}" ;;
	*) notok "$1: $2"; echo "# got:  $got" >&2; echo "# want: $3" >&2 ;;
	esac
}
# entries FILE...: entries as sorted "labels ts line" lines
norm() {
	$PY -c '
import json, sys
out = []
for f in sys.argv[1:]:
    for l in open(f):
        r = json.loads(l)
        if "line" not in r:
            continue
        labels = {k: v for k, v in r["labels"].items() if v != ""}
        out.append(json.dumps([labels, str(r["ts"]), r["line"]],
                              sort_keys=True))
for o in sorted(out):
    print(o)' "$@"
}

# --- 1. a mixed sequence of events, every kind
export REPORT_BATCH_ITEM_FAILURES=true
start mixed "" ""
waitfor mixed
expect mixed cw 'response|None|null'
expect mixed kin 'response|None|null'
expect mixed s3 'response|None|null'
expect mixed sqs 'response|None|{"batchItemFailures": [{"itemIdentifier": "m-bad"}]}'
expect mixed test 'response|None|null'
expect mixed sns 'response|None|null'
like mixed unknown 'error|lokipipe.Error|*hello*'
# Loki received exactly what the stages make of the same events by hand
: > "$T/want.entries"
for k in cw kin s3 sqs test sns; do
	"$BIN/aws-decode" < "$T/ev.$k" 2> /dev/null | "$BIN/relabel" \
	    2> /dev/null >> "$T/want.entries"
done
norm "$T/want.entries" > "$T/want"
norm "$T/mixed.loki" > "$T/got"
check "mixed: Loki has entries" test -s "$T/got"
same "$T/want" "$T/got" "mixed: Loki received exactly the expected entries ($(wc -l < "$T/want"))"
check "mixed: warm invocations reuse one connection to Loki" $PY -c '
import json, sys
c = {json.loads(l)["conn"] for l in open(sys.argv[1])
     if json.loads(l)["path"].endswith("/push")}
sys.exit(0 if len(c) == 1 else 1)' "$T/mixed.req"
check "mixed: one log line per invocation" \
    test "$(grep -c 'msg=invocation' "$T/mixed.err")" = 7
check "mixed: no transform service when it is not configured" \
    test ! -e "$T/run/scan/transform"
stop mixed
unset REPORT_BATCH_ITEM_FAILURES

# --- 2. Loki fails for longer than the retries, then recovers
printf '%s\n' '{"id": "f1", "event": '"$(cat "$T/ev.cw")"'}' \
    '{"id": "f2", "event": '"$(cat "$T/ev.kin")"'}' > "$T/lokidown.events"
LP_ARGS_LOKI_PUSH="--max-retries 2 --min-backoff 10ms --max-backoff 20ms"
export LP_ARGS_LOKI_PUSH
start lokidown "--fail 500:3:msg=ingester-unavailable" ""
waitfor lokidown
like lokidown f1 'error|lokipipe.Error|*500*ingester-unavailable*'
expect lokidown f2 'response|None|null'
norm "$T/lokidown.loki" > "$T/got"
check "lokidown: the next invocation's entries arrived" \
    test "$(wc -l < "$T/got")" = 2
stop lokidown
unset LP_ARGS_LOKI_PUSH

# --- 3. a stage killed mid-invocation: the invocation fails at once, s6
# restarts the stage, the re-delivered event arrives complete
printf '%s\n' '{"id": "k0", "event": '"$(cat "$T/ev.kin")"'}' \
    '{"id": "k1", "event": '"$(cat "$T/ev.s3")"', "timeout_ms": 60000}' \
    > "$T/kill.events"
start kill "--fail ok:1 --fail slow:1:delay=3" "--redeliver 1"
i=0
while ! grep -q '"next", "id": "k1"' "$T/kill.rec" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i+1)); done
sleep 0.5
old=$(cat "$T/run/scan/relabel/supervise/pid" 2>/dev/null ||
    s6-svstat -p "$T/run/scan/relabel")
s6-svc -k "$T/run/scan/relabel"
waitfor kill
expect kill k0 'response|None|null'
like kill k1 'error|lokipipe.StageCrash|*relabel*signal 9*'
expect kill k1 'response|None|null' 2
ms=$($PY -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("id") == "k1" and r["kind"] == "error": print(r["ms"]); break' "$T/kill.rec")
check "kill: the invocation failed well before its 60 s deadline (${ms}ms)" \
    test "$(echo "${ms:-99999}" | cut -d. -f1)" -lt 20000
new=$(s6-svstat -p "$T/run/scan/relabel")
check "kill: s6 restarted relabel ($old -> $new)" \
    test -n "$new" -a "$new" != "$old" -a "$new" != -1
cat "$T/ev.kin" "$T/ev.s3" | "$BIN/aws-decode" 2>/dev/null |
    "$BIN/relabel" 2>/dev/null > "$T/want.entries"
norm "$T/want.entries" | sort -u > "$T/want"
norm "$T/kill.loki" | sort -u > "$T/got"
same "$T/want" "$T/got" "kill: the re-delivered event arrived complete"
stop kill

# --- 4. transform joins the pipeline when LOKI_STAGE_CONFIGS is set
if [ -x "$BIN/transform" ]; then
	printf '%s\n' '{"id": "t1", "event": '"$(cat "$T/ev.cw")"'}' > "$T/tr.events"
	LOKI_STAGE_CONFIGS='[{"static_labels":{"env":"prod"}}]'
	export LOKI_STAGE_CONFIGS
	start tr "" ""
	waitfor tr
	expect tr t1 'response|None|null'
	check "transform: its service runs" test -d "$T/run/scan/transform"
	check "transform: every entry got its label" $PY -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if len(r) == 2 and all(e["labels"].get("env") == "prod"
                                  for e in r) else 1)' "$T/tr.loki"
	stop tr
	unset LOKI_STAGE_CONFIGS
else
	skip "transform in the pipeline" "no bin/transform"
fi
# --- 5. bad settings: reported to /runtime/init/error, nothing started
: > "$T/init.events"
$PY "$TOOLS/fake_runtime.py" --events "$T/init.events" --record "$T/init.rec" \
    --portfile "$T/iport" > /dev/null 2>&1 &
echo $! > "$T/rt.pid"
i=0; while [ ! -s "$T/iport" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
initcase() {
	n=$1; shift
	env "$@" AWS_LAMBDA_RUNTIME_API=127.0.0.1:$(cat "$T/iport") \
	    LP_RUN=$T/run "$TOP/pipelines/lambda/entry" > /dev/null 2> "$T/$n.err"
	echo $? > "$T/$n.rc"
	check "init: $n: entry point exits 1" test "$(cat "$T/$n.rc")" = 1
}
initcase nowrite -u WRITE_ADDRESS
check "init: WRITE_ADDRESS unset is reported with its reason" \
    grep -q '"init_error".*WRITE_ADDRESS is not set' "$T/init.rec"
initcase badregex WRITE_ADDRESS=http://127.0.0.1:9/loki/api/v1/push \
    'RELABEL_CONFIGS=[{"source_labels":["a"],"regex":"(","target_label":"b"}]'
check "init: an invalid relabel regex is reported" \
    grep -q '"init_error".*RELABEL_CONFIGS.*regex' "$T/init.rec"
initcase badsecret WRITE_ADDRESS=http://127.0.0.1:9/loki/api/v1/push \
    USERNAME=u PASSWORD=arn:aws:ssm:us-east-1:123456789012:parameter/lp \
    AWS_ENDPOINT_URL_SSM=http://127.0.0.1:9
check "init: an unreachable secret is reported, naming the ARN" \
    grep -q '"init_error".*arn:aws:ssm:us-east-1:123456789012:parameter/lp' "$T/init.rec"
check "init: no process left behind" sh -c "! pgrep -f '[s]6-svscan $T/run' > /dev/null"
kill "$(cat "$T/rt.pid")"; rm -f "$T/rt.pid"
t_done
