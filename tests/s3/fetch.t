#!/bin/sh
# aws-decode fetching S3 objects from tests/tools/fake_s3.py, which checks
# every request's SigV4 signature with botocore and fails on purpose.
. "$(dirname "$0")/../lib.sh"
if [ ! -x "$BIN/aws-decode" ]; then
	skip "s3 fetch" "no bin/aws-decode"
	exit 0
fi
data=$TOP/tests/s3/data
S3=$T/s3
A=AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/01/01
ALB=$A/123456789012_elasticloadbalancing_us-east-1_app.my-lb.0123_20240101T0000Z_1.2.3.4_x.log.gz
mkdir -p "$S3/logs/$A"
put() {	# put SRC KEY
	mkdir -p "$(dirname "$S3/logs/$2")"
	cp "$1" "$S3/logs/$2"
}
put "$SAMPLES/albaccesslog.log.gz" "$ALB"
awk 'BEGIN { for (i = 0; i < 20000; i++)
	printf "http 2024-01-01T00:%02d:%02d.%06dZ app/my-lb/0123 10.0.0.1:443 - 0.001 0.002 0.000 200 200 34 366 \"GET https://example.com:443/item/%d HTTP/1.1\" \"curl/8.0\"\n", (i / 60) % 60, i % 60, i, i }' |
    gzip -6 > "$T/big.log.gz"
BIG=$A/123456789012_elasticloadbalancing_us-east-1_app.my-lb.0123_20240101T0000Z_1.2.3.4_big.log.gz
put "$T/big.log.gz" "$BIG"
put "$data/multi-member.log.gz" "$A/123456789012_elasticloadbalancing_us-east-1_app.my-lb.0123_20240101T0000Z_1.2.3.4_multi.log.gz"
put "$data/truncated.log.gz" "$A/123456789012_elasticloadbalancing_us-east-1_app.my-lb.0123_20240101T0000Z_1.2.3.4_trunc.log.gz"
ACCESS=123456789012/us-east-1/amzn-s3-demo-bucket1/2019/02/06/2019-02-06-00-00-38-E568B2907131C0C0
put "$SAMPLES/s3accesslog.log" "$ACCESS"
UNI="my logs/caf\303\251 \342\234\223+plus=eq&amp/(x)!*'~;,@\$/$ALB"
UNI=$(printf "$UNI")
put "$SAMPLES/albaccesslog.log.gz" "$UNI"
# as S3 puts it in an event: URL-encoded, spaces as '+'
UNI_ENC="my+logs/caf%C3%A9+%E2%9C%93%2Bplus%3Deq%26amp/%28x%29%21%2A%27%7E%3B%2C%40%24/$ALB"

port=$(freeport)
$PY "$TOOLS/fake_s3.py" --port "$port" --dir "$S3" --token TOKEN-1 \
    --bucket-region eulogs=eu-west-1 2> "$T/fake.err" &
echo $! > "$T/fake.pid"
wait_port "$port" || { notok "s3 fetch: fake S3 did not start"; exit 1; }

export AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY='secret/test+key'
export AWS_SESSION_TOKEN=TOKEN-1 AWS_REGION=us-east-1
export AWS_ENDPOINT_URL_S3="http://127.0.0.1:$port"

event() {	# event ENCODED_KEY...: one S3 event with a record per key
	printf '{"Records":['
	sep=""
	for k in "$@"; do
		printf '%s{"eventSource":"aws:s3","awsRegion":"us-east-1",' "$sep"
		printf '"s3":{"bucket":{"name":"logs"},"object":{"key":"%s"}}}' "$k"
		sep=,
	done
	printf ']}\n{"flush":"t1"}\n'
}
faults() { printf '%s\n' "$1" > "$S3/faults.json"; }
# run KEY...: aws-decode on an event, entries in $T/out, the marker in
# $T/flush, the exit code in $T/rc
run() {
	: > "$S3/requests.log"
	event "$@" | stage aws-decode -p false > "$T/all" 2> "$T/err"
	echo $? > "$T/rc"
	grep -v '^{"flush"' "$T/all" > "$T/out"
	grep '^{"flush"' "$T/all" > "$T/flush"
	rm -f "$S3/faults.json"
}
# want FILE: the entries --object gives for that object
want() {
	stage aws-decode -p false --object "$1" --key "$2" > "$T/want" \
	    2> /dev/null
}
rc_is() { [ "$(cat "$T/rc")" = "$1" ]; }
flush_ok() { grep -qx '{"flush":"t1"}' "$T/flush"; }
flush_has() { grep -qF -- "$1" "$T/flush"; }
nreq() { wc -l < "$S3/requests.log"; }

want "$SAMPLES/albaccesslog.log.gz" "$ALB"
run "$ALB"
check "s3 fetch signed with session token" \
    eval 'rc_is 0 && flush_ok && cmp -s "$T/want" "$T/out"'

AWS_SECRET_ACCESS_KEY=wrong run "$ALB"
check "s3 fetch wrong secret: 403 on the flush marker" \
    eval 'rc_is 1 && [ ! -s "$T/out" ] &&
    flush_has "s3://logs/$ALB: HTTP 403 (SignatureDoesNotMatch)"'

AWS_ACCESS_KEY_ID=AKIDOTHER run "$ALB"
check "s3 fetch unknown key id: 403" \
    eval 'rc_is 1 && flush_has "HTTP 403 (InvalidAccessKeyId)"'

AWS_SESSION_TOKEN= run "$ALB"
check "s3 fetch without the session token: 403" \
    eval 'rc_is 1 && flush_has "HTTP 403"'

run "$A/nothing-here_elasticloadbalancing_us-east-1_app.x.1_x.log.gz"
check "s3 fetch 404 names bucket and key" \
    eval 'rc_is 1 && flush_has "s3://logs/$A/nothing-here" &&
    flush_has "HTTP 404 (NoSuchKey)" && [ "$(nreq)" = 1 ]'

faults "{\"$ALB\": [\"500\"]}"
run "$ALB"
check "s3 fetch 500 then success" \
    eval 'rc_is 0 && flush_ok && cmp -s "$T/want" "$T/out" &&
    [ "$(nreq)" = 2 ]'

faults "{\"$ALB\": [\"503\", \"503\", \"503\", \"503\"]}"
run "$ALB"
check "s3 fetch 503 four times: error after the retries" \
    eval 'rc_is 1 && flush_has "HTTP 503 (SlowDown) (after 4 attempts)" &&
    [ "$(nreq)" = 4 ]'

faults "{\"$ALB\": [\"429\"]}"
run "$ALB"
check "s3 fetch 429 then success" \
    eval 'rc_is 0 && flush_ok && cmp -s "$T/want" "$T/out"'

want "$T/big.log.gz" "$BIG"
faults "{\"$BIG\": [\"truncate\"]}"
run "$BIG"
check "s3 fetch cut short: resumed with Range and If-Match, no line twice" \
    eval 'rc_is 0 && flush_ok && cmp -s "$T/want" "$T/out" &&
    grep -q "\"range\": \"bytes=[1-9][0-9]*-\"" "$S3/requests.log" &&
    grep -q "\"if_match\": \"\\\\\"[0-9a-f]*\\\\\"\"" "$S3/requests.log"'

faults "{\"$BIG\": [\"truncate\", \"norange\"]}"
run "$BIG"
check "s3 fetch cut short, Range ignored by the server: no line twice" \
    eval 'rc_is 0 && flush_ok && cmp -s "$T/want" "$T/out"'

faults "{\"$BIG\": [\"truncate\", \"truncate\", \"truncate\", \"truncate\"]}"
run "$BIG"
check "s3 fetch cut short every time: error, lines read stay emitted" \
    eval 'rc_is 1 && flush_has "s3://logs/$BIG" && [ -s "$T/out" ] &&
    [ "$(wc -l < "$T/out")" -lt 20000 ]'

want "$SAMPLES/albaccesslog.log.gz" "$ALB"
faults "{\"$ALB\": [\"reset\"]}"
run "$ALB"
check "s3 fetch connection reset then success" \
    eval 'rc_is 0 && flush_ok && cmp -s "$T/want" "$T/out"'

faults "{\"$ALB\": [\"slow\"]}"
run "$ALB"
check "s3 fetch slow body" \
    eval 'rc_is 0 && flush_ok && cmp -s "$T/want" "$T/out"'

run "$A/123456789012_elasticloadbalancing_us-east-1_app.my-lb.0123_20240101T0000Z_1.2.3.4_multi.log.gz"
check "s3 fetch multi-member gzip: every member" \
    eval 'rc_is 0 && flush_ok && [ "$(wc -l < "$T/out")" = 3 ]'

run "$A/123456789012_elasticloadbalancing_us-east-1_app.my-lb.0123_20240101T0000Z_1.2.3.4_trunc.log.gz"
check "s3 fetch truncated gzip object: error" \
    eval 'rc_is 1 && flush_has "truncated gzip data"'

want "$SAMPLES/s3accesslog.log" "$ACCESS"
run "$ACCESS"
check "s3 fetch plain (not gzip) object" \
    eval 'rc_is 0 && flush_ok && cmp -s "$T/want" "$T/out" &&
    [ "$(wc -l < "$T/out")" = 1 ]'

want "$SAMPLES/albaccesslog.log.gz" "$UNI"
run "$UNI_ENC"
check "s3 fetch key with spaces, unicode, +=&()!*'~;,@\$" \
    eval 'rc_is 0 && flush_ok && cmp -s "$T/want" "$T/out"'

run "$ALB" "$ACCESS" "$ALB"
check "s3 fetch one connection kept alive across objects" \
    eval 'rc_is 0 && flush_ok && [ "$(nreq)" = 3 ] &&
    [ "$($PY -c "import json,sys
print(len({json.loads(l)[\"port\"] for l in open(sys.argv[1])}))" \
    "$S3/requests.log")" = 1 ]'

put "$data/empty" "$A/123456789012_elasticloadbalancing_us-east-1_app.my-lb.0123_20240101T0000Z_1.2.3.4_empty.log.gz"
run "$A/123456789012_elasticloadbalancing_us-east-1_app.my-lb.0123_20240101T0000Z_1.2.3.4_empty.log.gz"
check "s3 fetch empty object: no entries, no error" \
    eval 'rc_is 0 && flush_ok && [ ! -s "$T/out" ] && [ "$(nreq)" = 1 ]'

run "AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/01/01/123456789012_CloudTrail-Digest_us-east-1_20240101T0000Z_x.json.gz"
check "s3 fetch CloudTrail digest skipped, not fetched, no error" \
    eval 'rc_is 0 && flush_ok && [ ! -s "$T/out" ] && [ "$(nreq)" = 0 ]'

mkdir -p "$S3/eulogs/$A"
cp "$S3/logs/$ALB" "$S3/eulogs/$ALB"
: > "$S3/requests.log"
event "$ALB" | sed 's/"logs"/"eulogs"/' | stage aws-decode -p false \
    > "$T/all" 2> "$T/err"
echo $? > "$T/rc"
check "s3 fetch record region wrong: signed again for the bucket's region" \
    eval 'rc_is 0 && [ "$(grep -c "^{\"ts\"" "$T/all")" = 2 ] &&
    grep -qx "{\"flush\":\"t1\"}" "$T/all" && [ "$(nreq)" = 2 ]'

dead=$(freeport)
event "$ALB" | AWS_ENDPOINT_URL_S3="http://127.0.0.1:$dead" \
    stage aws-decode -p false > "$T/all" 2> "$T/err"
echo $? > "$T/rc"
check "s3 fetch endpoint down: error after the retries" \
    eval 'rc_is 1 && grep -q "^{\"flush\":\"t1\",\"error\":\"aws-decode: s3://logs/$ALB: .*(after 4 attempts)\"}" "$T/all"'

run "some/unknown-object.json"
check "s3 fetch unknown key layout: error naming the key" \
    eval 'rc_is 1 && flush_has "s3://logs/some/unknown-object.json: no known AWS log layout" &&
    [ "$(nreq)" = 0 ]'

t_done
