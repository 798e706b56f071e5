#!/bin/sh
# USERNAME, PASSWORD, BEARER_TOKEN as ARNs: `lambda-secrets DIR`
# against the fake Secrets Manager / SSM (SigV4 checked with botocore),
# then the whole entry point with a password from SSM and a fake Loki that
# requires it.
. "$(dirname "$0")/../lib.sh"
[ -x "$BIN/lambda-secrets" ] || { skip "secrets" "no bin/lambda-secrets"; exit 0; }

SM=arn:aws:secretsmanager:us-east-1:123456789012:secret:lokipipe/user-AbCdEf
SSM=arn:aws:ssm:eu-west-1:123456789012:parameter/lokipipe/token
VAL='s3cr3t value
with a second line '
# fake NAME ARGS...: a fake Secrets Manager/SSM on a fresh port
fake() {
	n=$1; shift
	rm -f "$T/sport"
	$PY "$TOOLS/fake_secrets.py" --portfile "$T/sport" --key-id AKIDTEST \
	    --secret SECRETTEST --sm "$SM=$VAL" --ssm "$SSM=tok-123" \
	    --requests "$T/$n.req" "$@" > /dev/null 2> "$T/$n.fake.err" &
	echo $! > "$T/fake.pid"
	i=0; while [ ! -s "$T/sport" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
	EP=http://127.0.0.1:$(cat "$T/sport")
}
unfake() { kill "$(cat "$T/fake.pid")"; wait "$(cat "$T/fake.pid")" 2>/dev/null; rm -f "$T/fake.pid"; }
# resolve NAME VAR=VALUE...: lambda-secrets into $T/NAME/
resolve() {
	n=$1; shift
	mkdir -p "$T/$n"
	env -u USERNAME -u PASSWORD -u BEARER_TOKEN -u AWS_SESSION_TOKEN \
	    AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=SECRETTEST \
	    AWS_ENDPOINT_URL=$EP LOG_LEVEL=debug "$@" \
	    $LP_WRAP "$BIN/lambda-secrets" "$T/$n" 2> "$T/$n.err"
	echo $? > "$T/$n.rc"
}

fake ok
resolve sm USERNAME="$SM" PASSWORD=plain
check "secretsmanager: exit 0" test "$(cat "$T/sm.rc")" = 0
printf '%s' "$VAL" > "$T/want"
same "$T/want" "$T/sm/USERNAME" "secretsmanager: the value, byte for byte"
check "secretsmanager: file mode 0600" test "$(stat -c %a "$T/sm/USERNAME")" = 600
check "a plain value is left in the environment" test ! -e "$T/sm/PASSWORD"
check "the value is never logged, even at debug" \
    sh -c "! grep -q 's3cr3t' '$T/sm.err'"
check "the ARN is logged" grep -q "arn=$SM" "$T/sm.err"

resolve ssm BEARER_TOKEN="$SSM"
check "ssm: exit 0" test "$(cat "$T/ssm.rc")" = 0
check "ssm: SecureString decrypted" test "$(cat "$T/ssm/BEARER_TOKEN")" = tok-123
check "ssm: asked in the ARN's region (eu-west-1 scope accepted)" \
    grep -q '"target": "AmazonSSM.GetParameter", "id": "'"$SSM"'", "status": 200, "signature": "ok"' "$T/ok.req"

resolve wrongkey USERNAME="$SM" AWS_SECRET_ACCESS_KEY=WRONG
check "wrong secret key: exit 100" test "$(cat "$T/wrongkey.rc")" = 100
check "wrong secret key: AWS's reason, naming the ARN" \
    grep -q "err=\"$SM: HTTP 400: InvalidSignatureException" "$T/wrongkey.err"
check "wrong secret key: no value written" test ! -e "$T/wrongkey/USERNAME"

resolve missing PASSWORD="${SM}x"
check "unknown secret: exit 100, ResourceNotFoundException" \
    grep -q 'ResourceNotFoundException' "$T/missing.err"

resolve s3arn BEARER_TOKEN=arn:aws:s3:::bucket/key
check "an ARN of another service: exit 100" test "$(cat "$T/s3arn.rc")" = 100
check "an ARN of another service: says so" grep -q 'unsupported service s3' "$T/s3arn.err"

resolve nocreds USERNAME="$SM" AWS_ACCESS_KEY_ID=
check "no credentials: exit 100 with the reason" grep -q 'no AWS credentials' "$T/nocreds.err"
unfake

fake token --token TOKEN-1
resolve tok USERNAME="$SM" AWS_SESSION_TOKEN=TOKEN-1
check "session token: sent and signed" test "$(cat "$T/tok.rc")" = 0
resolve tokbad USERNAME="$SM" AWS_SESSION_TOKEN=TOKEN-2
check "wrong session token: refused" test "$(cat "$T/tokbad.rc")" = 100
unfake

fake flaky --fail 500:2
resolve flaky USERNAME="$SM"
check "500 twice, then the value" test "$(cat "$T/flaky.rc")" = 0
unfake
fake reset --fail reset:1 --fail 429:1
resolve reset USERNAME="$SM"
check "connection reset, then 429, then the value" test "$(cat "$T/reset.rc")" = 0
unfake
fake down --fail 500:5
resolve down USERNAME="$SM"
check "500 for good: exit 100 after three tries" test "$(cat "$T/down.rc")" = 100 -a \
    "$(grep -c '"status": 500' "$T/down.req")" = 3
unfake
fake bad --fail bad:1
resolve bad USERNAME="$SM"
check "an answer that is not JSON: exit 100" grep -q 'no SecretString' "$T/bad.err"
unfake

# The entry point resolves PASSWORD from SSM before loki-push needs it.
for s in aws-decode relabel batch loki-push; do
	[ -x "$BIN/$s" ] || { skip "entry point with secrets" "no bin/$s"; t_done; exit $?; }
done
[ -d "$SAMPLES/events" ] ||
	{ skip "entry point with secrets" "no samples in $SAMPLES"; t_done; exit $?; }
fake entry
rm -f "$T/lport" "$T/rport"
$PY "$TOOLS/fake_loki.py" --port-file "$T/lport" --record "$T/loki" \
    --basic-auth "lpuser:tok-123" > /dev/null 2>&1 &
echo $! > "$T/loki.pid"
$PY -c 'import json, sys
print(json.dumps({"id": "s1", "event": json.load(open(sys.argv[1]))}))' \
    "$SAMPLES/events/cloudwatch-logs-event.json" > "$T/entry.events"
$PY "$TOOLS/fake_runtime.py" --events "$T/entry.events" --record "$T/entry.rec" \
    --portfile "$T/rport" > /dev/null 2>&1 &
echo $! > "$T/rt.pid"
i=0; while { [ ! -s "$T/lport" ] || [ ! -s "$T/rport" ]; } && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
env USERNAME=lpuser PASSWORD="$SSM" AWS_ACCESS_KEY_ID=AKIDTEST \
    AWS_SECRET_ACCESS_KEY=SECRETTEST AWS_ENDPOINT_URL_SSM=$EP \
    AWS_LAMBDA_RUNTIME_API=127.0.0.1:$(cat "$T/rport") LP_RUN=$T/run \
    WRITE_ADDRESS=http://127.0.0.1:$(cat "$T/lport")/loki/api/v1/push \
    "$TOP/pipelines/lambda/entry" > /dev/null 2> "$T/entry.err" &
echo $! > "$T/svscan.pid"
i=0; while ! grep -q '"done"' "$T/entry.rec" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done
check "entry point: Loki accepted the password from SSM" \
    grep -q '"kind": "response", "id": "s1", "body": null' "$T/entry.rec"
check "entry point: the resolved value is in a 0600 file under /tmp" \
    test "$(stat -c %a "$T/run/env/PASSWORD")" = 600
check "entry point: the value is never logged" sh -c "! grep -q tok-123 '$T/entry.err'"
kill "$(cat "$T/svscan.pid")"
wait "$(cat "$T/svscan.pid")" 2>/dev/null
kill "$(cat "$T/loki.pid")" "$(cat "$T/rt.pid")"
wait "$(cat "$T/loki.pid")" "$(cat "$T/rt.pid")" 2>/dev/null
rm -f "$T/svscan.pid" "$T/loki.pid" "$T/rt.pid"
unfake
t_done
