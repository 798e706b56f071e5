#!/bin/sh
# loki-push against the run's real Loki (tests/run.sh starts one when
# ../shared/tools/loki is there): push, then read every entry back through
# the query API and compare exactly: labels, lines, nanosecond timestamps,
# structured metadata. Skipped, with the reason, when there is no Loki.
. "$(dirname "$0")/../lib.sh"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy \
    WRITE_ADDRESS USERNAME PASSWORD BEARER_TOKEN TENANT_ID SKIP_TLS_VERIFY \
    BATCH_SIZE LOG_LEVEL
if ! why=$(need_loki); then
	skip "loki-push against a real Loki" "$why"
	exit 0
fi
[ -x "$BIN/loki-push" ] || { skip "loki-push real" "no bin/loki-push"; exit 0; }
GEN="$TOP/tests/loki-push/gen.py"
URL="$LOKI_URL/loki/api/v1/push"
run=$$-$(date +%s)

# readback NAME JOB COUNT: the entries of {job="JOB"} into NAME.got
readback() {
	$PY "$TOOLS/loki_query.py" --url "$LOKI_URL" --query "{job=\"$2\"}" \
	    --wait-count "$3" > "$T/$1.got" 2> "$T/$1.qerr"
}
same_records() {
	sort "$1" > "$T/exp.sorted"; sort "$2" > "$T/got.sorted"
	same "$T/exp.sorted" "$T/got.sorted" "$3"
}

# 1. protobuf + snappy, hostile labels and lines, structured metadata
job=lp-proto-$run
$PY "$GEN" bodies "$T/p.in" "$T/p.exp" --n 500 --streams 9 --hostile \
    --per-body 40 --job "$job"
WRITE_ADDRESS="$URL" $LP_WRAP "$BIN/loki-push" < "$T/p.in" > "$T/p.out" \
    2> "$T/p.err"
check "real proto: exit 0" test $? -eq 0
check "real proto: ack ok" grep -q '"ok":true,"entries":500' "$T/p.out"
readback p "$job" 500
same_records "$T/p.exp" "$T/p.got" "real proto: every entry read back: exact labels, lines, ns timestamps, metadata"

# 2. JSON
job=lp-json-$run
$PY "$GEN" bodies "$T/j.in" "$T/j.exp" --n 300 --streams 5 --hostile \
    --per-body 30 --job "$job" --seed 7
WRITE_ADDRESS="$URL" $LP_WRAP "$BIN/loki-push" --format json < "$T/j.in" \
    > "$T/j.out" 2> "$T/j.err"
check "real json: exit 0" test $? -eq 0
readback j "$job" 300
same_records "$T/j.exp" "$T/j.got" "real json: every entry read back exactly"

# 3. entries | batch | loki-push
if [ -x "$BIN/batch" ]; then
	job=lp-batch-$run
	$PY "$GEN" entries "$T/e.in" "$T/e.exp" --n 3000 --streams 7 \
	    --hostile --job "$job" --seed 3
	env BATCH_SIZE=16384 $LP_WRAP "$BIN/batch" < "$T/e.in" 2> "$T/e.berr" |
	    env WRITE_ADDRESS="$URL" $LP_WRAP "$BIN/loki-push" > "$T/e.out" \
	    2> "$T/e.err"
	check "real batch | loki-push: exit 0" test $? -eq 0
	check "real batch | loki-push: ack ok" \
	    grep -q '"ok":true,"entries":3000' "$T/e.out"
	readback e "$job" 3000
	same_records "$T/e.exp" "$T/e.got" "real batch | loki-push: 3000 entries read back exactly"
else
	skip "real batch | loki-push" "no bin/batch"
fi

# 4. Loki's own refusal reaches the ack: a label string Loki rejects
printf '%s\n' '{"streams":[{"stream":{"job":"lp-bad-'"$run"'","dup":"1"},"values":[["'"$(date +%s)"'000000000","x"]]},{"stream":{},"values":[["1","y"]]}]}' \
    '{"flush":"bad"}' > "$T/b.in"
WRITE_ADDRESS="$URL" $LP_WRAP "$BIN/loki-push" < "$T/b.in" > "$T/b.out" \
    2> "$T/b.err"
check "real 400: exit 1" test $? -eq 1
check "real 400: ack carries Loki's message" \
    grep -q '"ok":false,.*"error":"loki: HTTP 400: ' "$T/b.out"
t_done
