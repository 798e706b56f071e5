#!/bin/sh
# S3 over https (fake_s3.py with a self-signed certificate): a certificate
# that cannot be verified is an error naming bucket and key, not retried;
# with the CA given (lib/s3log's ca_file, through tests/tools/s3cat) the
# object is read.
. "$(dirname "$0")/../lib.sh"
B=${B:-build/opt}
S3CAT=$TOP/$B/tools/s3cat
command -v openssl > /dev/null || { skip "s3 tls" "no openssl"; exit 0; }
S3=$T/s3
A=AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/01/01
ALB=$A/123456789012_elasticloadbalancing_us-east-1_app.my-lb.0123_20240101T0000Z_1.2.3.4_x.log.gz
mkdir -p "$S3/logs/$A"
cp "$SAMPLES/albaccesslog.log.gz" "$S3/logs/$ALB"
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -days 2 -keyout "$T/key.pem" \
    -out "$T/cert.pem" > /dev/null 2>&1 ||
    { skip "s3 tls" "openssl could not make a certificate"; exit 0; }
port=$(freeport)
$PY "$TOOLS/fake_s3.py" --port "$port" --dir "$S3" --tls-cert "$T/cert.pem" \
    --tls-key "$T/key.pem" 2> "$T/fake.err" &
echo $! > "$T/fake.pid"
wait_port "$port" || { notok "s3 tls: fake S3 did not start"; exit 1; }
export AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY='secret/test+key'
unset AWS_SESSION_TOKEN
URL="https://127.0.0.1:$port"

if [ -x "$BIN/aws-decode" ]; then
	: > "$S3/requests.log"
	printf '{"Records":[{"eventSource":"aws:s3","awsRegion":"us-east-1","s3":{"bucket":{"name":"logs"},"object":{"key":"%s"}}}]}\n{"flush":"t"}\n' "$ALB" |
	    AWS_ENDPOINT_URL_S3=$URL stage aws-decode -p false > "$T/out" \
	    2> "$T/err"
	rc=$?
	check "s3 tls unverifiable certificate: error on the marker" \
	    eval '[ $rc = 1 ] && grep -q "^{\"flush\":\"t\",\"error\":\"aws-decode: s3://logs/$ALB: .*SSL certificate problem" "$T/out" &&
	    [ ! -s "$S3/requests.log" ]'
else
	skip "s3 tls unverifiable certificate" "no bin/aws-decode"
fi

if [ -x "$S3CAT" ]; then
	$LP_WRAP "$S3CAT" -f "$S3/logs/$ALB" logs "$ALB" > "$T/want"
	$LP_WRAP "$S3CAT" -e "$URL" -c "$T/cert.pem" logs "$ALB" > "$T/got" \
	    2> "$T/err"
	rc=$?
	check "s3 tls with the CA bundle: object read" \
	    eval '[ $rc = 0 ] && [ -s "$T/want" ] && cmp -s "$T/want" "$T/got"'
	$LP_WRAP "$S3CAT" -e "$URL" logs "$ALB" > "$T/got" 2> "$T/err"
	rc=$?
	check "s3 tls without the CA bundle: refused" \
	    eval '[ $rc = 1 ] && grep -q "s3://logs/$ALB: .*SSL" "$T/err"'
	$LP_WRAP "$S3CAT" -e "$URL" -c "$T/nothing.pem" logs "$ALB" \
	    > "$T/got" 2> "$T/err"
	rc=$?
	check "s3 tls CA bundle missing: a configuration error" \
	    eval '[ $rc = 100 ] && grep -q "CA bundle" "$T/err"'
else
	skip "s3 tls with the CA bundle" "no $B/tools/s3cat"
fi
t_done
