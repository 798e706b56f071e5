#!/bin/sh
# transform | batch | loki-push into the run's real Loki: a json stage, a
# label from it, structured metadata from it, the timestamp from the line
# and a template on the line; every entry is read back and compared with
# what this script works out in Python (labels, line, ns timestamp,
# structured metadata). A jq program splits one entry in two. Skipped, with
# the reason, when there is no Loki.
. "$(dirname "$0")/../lib.sh"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy \
    WRITE_ADDRESS USERNAME PASSWORD BEARER_TOKEN TENANT_ID SKIP_TLS_VERIFY \
    BATCH_SIZE LOG_LEVEL LOKI_STAGE_CONFIGS PIPELINE_TIMEOUT
if ! why=$(need_loki); then
	skip "transform into a real Loki" "$why"
	exit 0
fi
for b in transform batch loki-push; do
	[ -x "$BIN/$b" ] || { skip "transform into a real Loki" "no bin/$b"; exit 0; }
done
job=lp-transform-$$-$(date +%s)

$PY - "$job" "$T/in" "$T/exp" <<'EOF'
import json, sys, time
job, fin, fexp = sys.argv[1:4]
now = time.time_ns() - 60 * 10**9
with open(fin, "w") as i, open(fexp, "w") as e:
    for k in range(200):
        t = now + k * 1000 + 7          # odd nanoseconds survive
        sec, ns = divmod(t, 10**9)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + \
            ".%09dZ" % ns
        lvl = ["info", "warn", "error"][k % 3]
        line = json.dumps({"time": stamp, "level": lvl, "user": "u%d" % k,
                           "msg": "hello  %d " % k})
        i.write(json.dumps({"ts": str(now - 10**9), "labels": {"job": job},
                            "line": line}) + "\n")
        outs = ["HELLO %d" % k] if k % 50 else ["HELLO %d" % k, "copy"]
        for o in outs:
            e.write(json.dumps({"labels": {"job": job, "level": lvl},
                                "line": o, "metadata": {"user": "u%d" % k},
                                "tenant": "", "ts": str(t)},
                               sort_keys=True) + "\n")
    i.write('{"flush":"t1"}\n')
EOF
# Replace takes the piped value as its last argument (n, an int): put
# it first in the pipeline.
STAGES='[{"json":{"expressions":{"time":"","level":"","user":"","msg":""}}},
 {"labels":{"level":""}},
 {"structured_metadata":{"user":""}},
 {"timestamp":{"source":"time","format":"RFC3339Nano"}},
 {"template":{"source":"msg","template":"{{ Replace .Value \"  \" \" \" -1 | TrimSpace | ToUpper }}"}},
 {"output":{"source":"msg"}}]'
JQ='if (.line | test(" (0|50|100|150)$")) then ., (.line = "copy") else . end'
$LP_WRAP "$BIN/transform" -s "$STAGES" -j "$JQ" < "$T/in" 2> "$T/t.err" |
    $LP_WRAP "$BIN/batch" 2> "$T/b.err" |
    env WRITE_ADDRESS="$LOKI_URL/loki/api/v1/push" $LP_WRAP "$BIN/loki-push" \
    > "$T/out" 2> "$T/p.err"
check "real: pipeline exit 0" test $? -eq 0
check "real: ack ok for 204 entries" grep -q '"ok":true,"entries":204' "$T/out"
$PY "$TOOLS/loki_query.py" --url "$LOKI_URL" --query "{job=\"$job\"}" \
    --wait-count 204 > "$T/got" 2> "$T/qerr"
sort "$T/exp" > "$T/exp.s"
sort "$T/got" > "$T/got.s"
same "$T/exp.s" "$T/got.s" "real: 204 entries read back: labels, lines, ns timestamps from the line, structured metadata"
t_done
