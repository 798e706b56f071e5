#!/bin/sh
# A large S3 object: a generated ALB log of >= 200 MB uncompressed passes
# through aws-decode with a peak RSS under 32 MB (a bound on memory, not a
# timing), and every line comes out.
. "$(dirname "$0")/../lib.sh"
if [ ! -x "$BIN/aws-decode" ]; then
	skip "s3 large object" "no bin/aws-decode"; exit 0
fi
if [ "${SANITIZE:-}" = 1 ] || [ "${VALGRIND:-}" = 1 ]; then
	skip "s3 large object" "RSS is not meaningful under ASan/valgrind"
	exit 0
fi
[ -x /usr/bin/time ] || { skip "s3 large object" "no /usr/bin/time"; exit 0; }
K=AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/03/05/123456789012_elasticloadbalancing_us-east-1_app.my-loadbalancer.50dc6c495c0c9188_20240305T1700Z_10.0.0.1_big.log.gz
$PY "$TOP/tests/s3/gen-alb.py" 210 | gzip -1 > "$T/big.log.gz"
# size and line count of what goes in, without keeping it on disk
set -- $(gzip -dc "$T/big.log.gz" | wc -lc)
lines=$1 bytes=$2
check "s3 large object is >= 200 MB uncompressed" [ "$bytes" -ge 200000000 ]
/usr/bin/time -f '%M' -o "$T/rss" "$BIN/aws-decode" -p false \
    --object "$T/big.log.gz" --key "$K" 2> "$T/err" | wc -l > "$T/n"
rss=$(tail -1 "$T/rss")
echo "# aws-decode: $bytes bytes, $lines lines, peak RSS ${rss} KB"
check "s3 large object: every line emitted" [ "$(cat "$T/n")" = "$lines" ]
check "s3 large object: peak RSS under 32 MB (${rss} KB)" \
    [ "$rss" -lt 32768 ]

# the same object fetched from S3 (fake_s3.py checks the signature)
mkdir -p "$T/s3/logs/$(dirname "$K")"
mv "$T/big.log.gz" "$T/s3/logs/$K"
port=$(freeport)
$PY "$TOOLS/fake_s3.py" --port "$port" --dir "$T/s3" 2> "$T/fake.err" &
echo $! > "$T/fake.pid"
wait_port "$port" || { notok "s3 large object: fake S3 did not start"; exit 1; }
printf '{"Records":[{"eventSource":"aws:s3","awsRegion":"us-east-1","s3":{"bucket":{"name":"logs"},"object":{"key":"%s"}}}]}\n{"flush":"x"}\n' "$K" |
    AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY='secret/test+key' \
    AWS_ENDPOINT_URL_S3="http://127.0.0.1:$port" \
    /usr/bin/time -f '%M' -o "$T/rss" "$BIN/aws-decode" -p false \
    2> "$T/err" | tee "$T/last" | wc -l > "$T/n"
rss=$(tail -1 "$T/rss")
echo "# aws-decode fetching it: peak RSS ${rss} KB"
check "s3 large object fetched: every line and the flush marker" \
    eval '[ "$(cat "$T/n")" = $((lines + 1)) ] &&
    [ "$(tail -c 14 "$T/last")" = "{\"flush\":\"x\"}" ]'
check "s3 large object fetched: peak RSS under 32 MB (${rss} KB)" \
    [ "$rss" -lt 32768 ]
rm -f "$T/s3/logs/$K" "$T/last"
t_done
