#!/bin/sh
# loki-push against tests/tools/fake_loki.py: every entry arrives exactly
# once with exact labels and nanosecond timestamps; retries; refusals;
# auth; tenants; TLS; connection reuse; JSON; entries | batch | loki-push.
. "$(dirname "$0")/../lib.sh"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy \
    WRITE_ADDRESS USERNAME PASSWORD BEARER_TOKEN TENANT_ID SKIP_TLS_VERIFY \
    BATCH_SIZE LOG_LEVEL
[ -x "$BIN/loki-push" ] || { skip "loki-push suite" "no bin/loki-push"; exit 0; }
GEN="$TOP/tests/loki-push/gen.py"

# fake NAME [fake_loki.py args]: a fake Loki; sets PORT and URL.
fake() {
	fn=$1; shift
	rm -f "$T/$fn.port" "$T/$fn.rec" "$T/$fn.req"
	$PY "$TOOLS/fake_loki.py" --record "$T/$fn.rec" --requests "$T/$fn.req" \
	    --port-file "$T/$fn.port" "$@" > /dev/null 2> "$T/$fn.fakeerr" &
	echo $! > "$T/$fn.pid"
	i=0
	while [ ! -s "$T/$fn.port" ] && [ $i -lt 200 ]; do
		sleep 0.05; i=$((i + 1)); done
	PORT=$(cat "$T/$fn.port")
	URL="http://127.0.0.1:$PORT/loki/api/v1/push"
}
unfake() { kill "$(cat "$T/$1.pid")" 2>/dev/null; rm -f "$T/$1.pid"; }
# lp NAME [VAR=value ...] -- [loki-push args]: runs loki-push on NAME.in
# with WRITE_ADDRESS=$URL and a short backoff; NAME.out .err .rc
lp() {
	ln=$1; shift
	vars=""
	while [ $# -gt 0 ] && [ "$1" != -- ]; do vars="$vars $1"; shift; done
	[ $# -gt 0 ] && shift
	# shellcheck disable=SC2086
	env WRITE_ADDRESS="$URL" $vars $LP_WRAP "$BIN/loki-push" \
	    --min-backoff 10ms --max-backoff 200ms "$@" < "$T/$ln.in" \
	    > "$T/$ln.out" 2> "$T/$ln.err"
	echo $? > "$T/$ln.rc"
}
rc_is() { [ "$(cat "$T/$1.rc")" = "$2" ] || {
	echo "# $1: exit $(cat "$T/$1.rc"), want $2" >&2
	sed 's/^/# /' "$T/$1.err" | tail -5 >&2; return 1; }; }
# same_records EXPECT RECORD NAME: equal as sorted sets of lines
same_records() {
	sort "$1" > "$T/exp.sorted"; sort "$2" > "$T/got.sorted"
	same "$T/exp.sorted" "$T/got.sorted" "$3"
}
# jqt NAME FILE FILTER: ok when jq -e FILTER holds on the file (slurped)
jqt() {
	if jq -e -s "$3" "$2" > /dev/null 2>&1; then ok "$1"; else
		notok "$1"; echo "# jq $3 on $2:" >&2
		head -c 2000 "$2" | sed 's/^/#   /' >&2; fi
}
line_bytes() { $PY -c 'import json,sys
print(sum(len(json.loads(l)["line"].encode()) for l in open(sys.argv[1])))' "$1"; }

# 1. protobuf: hostile labels and lines, several streams, exactly once
fake f1
$PY "$GEN" bodies "$T/p1.in" "$T/p1.exp" --n 400 --streams 9 --hostile \
    --per-body 25
lp p1
check "proto: exit 0" rc_is p1 0
same_records "$T/p1.exp" "$T/f1.rec" "proto: every entry once, exact labels, lines, ns timestamps, metadata"
jqt "proto: one ack, ok, 400 entries, line bytes" "$T/p1.out" \
    "length == 1 and .[0].ack == \"end\" and .[0].ok == true and .[0].entries == 400 and .[0].bytes == $(line_bytes "$T/p1.exp")"
jqt "proto: Content-Type application/x-protobuf, User-Agent lokipipe/VERSION" \
    "$T/f1.req" 'all(.content_type == "application/x-protobuf" and (.user_agent | test("^lokipipe/[0-9]")) and .content_encoding == "")'
jqt "proto: one connection for 16 pushes (keep-alive)" "$T/f1.req" \
    'length == 16 and all(.conn == 1)'
check "proto: stderr reports 1 connection" grep -q 'connections=1' "$T/p1.err"

# 2. JSON format
: > "$T/f1.rec"; : > "$T/f1.req"
cp "$T/p1.in" "$T/j1.in"
lp j1 -- --format json
check "json: exit 0" rc_is j1 0
same_records "$T/p1.exp" "$T/f1.rec" "json: every entry once, exact"
jqt "json: Content-Type application/json" "$T/f1.req" \
    'length == 16 and all(.content_type == "application/json")'

# 3. tenants: the body's tenant wins over TENANT_ID
: > "$T/f1.rec"; : > "$T/f1.req"
$PY "$GEN" bodies "$T/t1.in" "$T/t1.exp" --n 60 --tenants 3 --per-body 10
printf '%s\n' '{"streams":[{"stream":{"job":"dflt"},"values":[["1700000000000000001","no tenant"]]}]}' '{"flush":"x"}' >> "$T/t1.in"
echo '{"labels": {"job": "dflt"}, "line": "no tenant", "metadata": {}, "tenant": "team-default", "ts": "1700000000000000001"}' >> "$T/t1.exp"
lp t1 TENANT_ID=team-default
check "tenant: exit 0" rc_is t1 0
same_records "$T/t1.exp" "$T/f1.rec" "tenant: recorded under the body's tenant, else TENANT_ID"
jqt "tenant: X-Scope-OrgID per body" "$T/f1.req" \
    'map(.tenant) | unique == ["team-0","team-1","team-2","team-default"]'
: > "$T/f1.rec"; : > "$T/f1.req"
lp t1 TENANT_ID=team-default -- --tenant-id from-flag
jqt "tenant: --tenant-id wins over TENANT_ID" "$T/f1.req" \
    'map(.tenant) | unique == ["from-flag","team-0","team-1","team-2"]'

# 4. acks per flush window
: > "$T/f1.rec"; : > "$T/f1.req"
$PY "$GEN" bodies "$T/w1.in" "$T/w1.exp" --n 100 --per-body 10 --flush-every 3
lp w1
check "windows: exit 0" rc_is w1 0
jqt "windows: acks f3 f6 f9 end with 30 30 30 10 entries" "$T/w1.out" \
    'map(.ack) == ["f3","f6","f9","end"] and map(.entries) == [30,30,30,10] and all(.ok)'

# 5. an upstream error on the marker makes the ack fail, pushes still count
: > "$T/f1.rec"
head -1 "$T/w1.in" > "$T/u1.in"
echo '{"flush":"u","error":"aws-decode: s3://b/k: HTTP 403"}' >> "$T/u1.in"
lp u1
jqt "upstream error: ack ok:false with that error, entries counted" "$T/u1.out" \
    '.[0].ok == false and .[0].error == "aws-decode: s3://b/k: HTTP 403" and .[0].entries == 10'
check "upstream error: entries still delivered" test "$(wc -l < "$T/f1.rec")" -eq 10

# 5b. an invalid line is warned about and counted; the lines after it go on
: > "$T/f1.rec"
{ sed -n 1p "$T/w1.in"; echo '{"streams":[{"stream":{"a":"b"},"values":[[1,2]]}]}'
  echo 'garbage'; sed -n 2p "$T/w1.in"; echo '{"flush":"i"}'; } > "$T/i1.in"
lp i1
check "invalid lines: exit 1" rc_is i1 1
check "invalid lines: warned with the line number" \
    grep -q 'msg="invalid push body" line=3' "$T/i1.err"
jqt "invalid lines: ack ok:false, both reasons, valid bodies counted" "$T/i1.out" \
    '.[0].ok == false and .[0].entries == 20 and (.[0].error | test("line 2: invalid push body.*; loki-push: line 3: invalid push body"))'
check "invalid lines: valid bodies delivered" test "$(wc -l < "$T/f1.rec")" -eq 20

# 5c. acks are written while the input stays open (a FIFO in Lambda)
: > "$T/f1.rec"
mkfifo "$T/fifo"
WRITE_ADDRESS="$URL" $LP_WRAP "$BIN/loki-push" < "$T/fifo" > "$T/fifo.out" \
    2> "$T/fifo.err" &
fp=$!
exec 3> "$T/fifo"
{ sed -n 1p "$T/w1.in"; echo '{"flush":"open"}'; } >&3
i=0
while ! grep -q '"ack":"open"' "$T/fifo.out" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1)); done
check "open input: ack written before EOF" grep -q '"ack":"open","ok":true,"entries":10' "$T/fifo.out"
exec 3>&-
wait $fp
check "open input: exit 0 at EOF" test $? -eq 0

# 5d. a body over 1 MiB (JSON) goes in one request, no Expect: 100-continue
: > "$T/f1.rec"; : > "$T/f1.req"
$PY "$GEN" bodies "$T/x1.in" "$T/x1.exp" --n 12000 --per-body 12000 --streams 3
lp x1 -- --format json
check "big body: exit 0" rc_is x1 0
jqt "big body: one request over 1 MiB, no Expect header" "$T/f1.req" \
    'length == 1 and .[0].bytes > 1048576 and (.[0].headers | has("Expect") | not)'
same_records "$T/x1.exp" "$T/f1.rec" "big body: every entry once"
unfake f1

# 6. retries: 500 twice, then success; a reset; exactly once
$PY "$GEN" bodies "$T/r1.in" "$T/r1.exp" --n 30 --per-body 30
fake f2 --fail 500:2 --fail ok:1 --fail reset:2
cat "$T/r1.in" > "$T/r2.in"
$PY "$GEN" bodies "$T/r2b.in" "$T/r2b.exp" --n 30 --per-body 30 --seed 2 --job second
cat "$T/r2b.in" >> "$T/r2.in"
cat "$T/r1.exp" "$T/r2b.exp" > "$T/r2.exp"
lp r2
check "retry: exit 0" rc_is r2 0
same_records "$T/r2.exp" "$T/f2.rec" "retry: 500, 500, then 204; reset, reset, then 204: each entry once"
jqt "retry: 6 requests, statuses 500 500 204 reset reset 204" "$T/f2.req" \
    'map(.status) == [500,500,204,-1,-1,204]'
jqt "retry: acks ok" "$T/r2.out" 'all(.ok) and (map(.entries) | add) == 60'
check "retry: warned with the status" grep -q 'msg="push failed, will retry" status=500' "$T/r2.err"
unfake f2

# 7. 429 with Retry-After: the next try waits that long (up to --max-backoff)
fake f3 --fail '429:1:retry-after=2'
cp "$T/r1.in" "$T/ra.in"
lp ra -- --max-backoff 5s
check "429: exit 0" rc_is ra 0
same_records "$T/r1.exp" "$T/f3.rec" "429: delivered once after the retry"
jqt "429: second try >= 1.9 s after the first (Retry-After: 2, backoff ~10 ms)" \
    "$T/f3.req" 'length == 2 and .[0].status == 429 and (.[1].time - .[0].time) >= 1.9'
unfake f3

# 8. 400: never retried, ack ok:false with Loki's message; the rest goes on
fake f4 --fail '400:1:msg=entry for stream '"'"'{job="a"}'"'"' has timestamp too old: 1970-01-01'
cat "$T/r1.in" "$T/r2b.in" > "$T/b4.in"
lp b4 TENANT_ID=acme
check "400: exit 1" rc_is b4 1
jqt "400: one try for the refused body" "$T/f4.req" 'map(.status) == [400,204]'
jqt "400: ack ok:false names status, tenant and Loki's message" "$T/b4.out" \
    '.[0].ok == false and (.[0].error | startswith("loki: HTTP 400 (tenant acme): entry for stream '"'"'{job=\"a\"}'"'"' has timestamp too old")) and .[1].ok == true'
sed 's/"tenant": ""/"tenant": "acme"/' "$T/r2b.exp" > "$T/b4.exp"
same_records "$T/b4.exp" "$T/f4.rec" "400: later bodies still delivered"
unfake f4

# 9. partial success: Loki stores the valid stream and names the bad one
fake f5
now=$(date +%s)
printf '{"streams":[{"stream":{"job":"ok"},"values":[["%s000000001","kept"]]},{"stream":{"job":"fut"},"values":[["%s000000002","too new"]]}]}\n{"flush":"p"}\n' \
    "$now" "$((now + 7200))" > "$T/p5.in"
lp p5
check "partial 400: exit 1" rc_is p5 1
jqt "partial 400: ack names the refused stream" "$T/p5.out" \
    '.[0].ok == false and (.[0].error | test("HTTP 400: entry for stream .\\{job=\"fut\"\\}. has timestamp too new"))'
check "partial 400: valid stream stored" grep -q '"line": "kept"' "$T/f5.rec"
unfake f5

# 10. 401 not retried; 503 given up after --max-retries
fake f6 --fail '401:1' --fail '503:*'
cp "$T/r1.in" "$T/g6.in"; cat "$T/r1.in" >> "$T/g6.in"
lp g6 -- --max-retries 3
check "give up: exit 1" rc_is g6 1
jqt "give up: 401 once, then 503 four times" "$T/f6.req" \
    'map(.status) == [401,503,503,503,503]'
jqt "give up: both acks fail with an actionable error" "$T/g6.out" \
    '(.[0].error | startswith("loki: HTTP 401: Unauthorized")) and (.[1].error | startswith("loki: HTTP 503, gave up after 4 attempts: "))'
unfake f6

# 11. a slow Loki: the request times out and is retried
fake f7 --fail 'slow:1:delay=6:status=503'
cp "$T/r1.in" "$T/s7.in"
lp s7 -- --timeout 2s
check "timeout: exit 0" rc_is s7 0
same_records "$T/r1.exp" "$T/f7.rec" "timeout: delivered once on the retry"
check "timeout: the timeout was logged" grep -q 'Timeout\|timed out' "$T/s7.err"
unfake f7

# 12. connection refused: given up, exit 1, ack says so
cp "$T/r1.in" "$T/c8.in"
URL=http://127.0.0.1:1/loki/api/v1/push
lp c8 -- --max-retries 1
check "refused connection: exit 1" rc_is c8 1
jqt "refused connection: ack names the failure" "$T/c8.out" \
    '.[0].ok == false and (.[0].error | startswith("loki: gave up after 2 attempts: ")) and (.[0].error | test("onnect"))'

# 13. basic auth and bearer token; no secret in the log, even at debug
fake f9 --basic-auth 'lokiuser:s3cr3t-pw'
cp "$T/r1.in" "$T/a9.in"
lp a9 USERNAME=lokiuser PASSWORD=s3cr3t-pw LOG_LEVEL=debug
check "basic auth: exit 0" rc_is a9 0
jqt "basic auth: Authorization header" "$T/f9.req" \
    'all(.authorization == "Basic bG9raXVzZXI6czNjcjN0LXB3")'
check "basic auth: password not logged" sh -c "! grep -q 's3cr3t-pw\|bG9raXVzZXI6' '$T/a9.err'"
lp a9 USERNAME=lokiuser PASSWORD=wrong
check "basic auth: wrong password refused, exit 1" rc_is a9 1
jqt "basic auth: ack says 401" "$T/a9.out" '.[0].error | startswith("loki: HTTP 401")'
unfake f9
fake f10 --bearer 'tok-42-secret' --require-tenant
cp "$T/r1.in" "$T/b10.in"
lp b10 BEARER_TOKEN=tok-42-secret TENANT_ID=t LOG_LEVEL=debug
check "bearer: exit 0" rc_is b10 0
jqt "bearer: Authorization: Bearer" "$T/f10.req" \
    'all(.authorization == "Bearer tok-42-secret" and .tenant == "t")'
check "bearer: token not logged" sh -c "! grep -q 'tok-42-secret' '$T/b10.err'"
lp b10 BEARER_TOKEN=tok-42-secret
jqt "no tenant where Loki needs one: ack says 401 no org id" "$T/b10.out" \
    '.[0].error == "loki: HTTP 401: no org id"'

# 14. extra headers
: > "$T/f10.req"
lp b10 BEARER_TOKEN=tok-42-secret TENANT_ID=t -- -H 'X-Custom: one two' --header 'X-Other:3'
jqt "extra headers sent" "$T/f10.req" \
    'all(.headers["X-Custom"] == "one two" and .headers["X-Other"] == "3")'
unfake f10

# 15. TLS with a self-signed certificate
if openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" \
    -out "$T/cert.pem" -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 > /dev/null 2>&1; then
	fake f11 --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
	URL="https://127.0.0.1:$PORT/loki/api/v1/push"
	cp "$T/r1.in" "$T/tls.in"
	lp tls -- --max-retries 0
	check "tls: unknown CA refused, exit 1" rc_is tls 1
	jqt "tls: ack names the certificate problem" "$T/tls.out" \
	    '.[0].ok == false and (.[0].error | test("certificate|SSL"))'
	lp tls SKIP_TLS_VERIFY=true
	check "tls: SKIP_TLS_VERIFY=true" rc_is tls 0
	lp tls -- -k
	check "tls: -k" rc_is tls 0
	lp tls -- --ca-file "$T/cert.pem"
	check "tls: --ca-file" rc_is tls 0
	jqt "tls: --ca-file ack ok" "$T/tls.out" '.[0].ok == true'
	sort "$T/r1.exp" "$T/r1.exp" "$T/r1.exp" > "$T/tls.exp"
	same_records "$T/tls.exp" "$T/f11.rec" "tls: delivered once per successful run"
	unfake f11
else
	skip "tls" "openssl could not make a certificate"
fi

# 16. entries | batch | loki-push
if [ -x "$BIN/batch" ]; then
	fake f12
	$PY "$GEN" entries "$T/e12.in" "$T/e12.exp" --n 2000 --streams 12 \
	    --tenants 2 --hostile
	env BATCH_SIZE=8192 $LP_WRAP "$BIN/batch" < "$T/e12.in" 2> "$T/e12.berr" |
	    env WRITE_ADDRESS="$URL" $LP_WRAP "$BIN/loki-push" > "$T/e12.out" \
	    2> "$T/e12.err"
	echo $? > "$T/e12.rc"
	check "batch | loki-push: exit 0" rc_is e12 0
	same_records "$T/e12.exp" "$T/f12.rec" "batch | loki-push: 2000 entries once each, exact labels, ns timestamps, metadata, tenants"
	jqt "batch | loki-push: one ack, 2000 entries" "$T/e12.out" \
	    'length == 1 and .[0].ok and .[0].entries == 2000'
	jqt "batch | loki-push: several pushes, one connection" "$T/f12.req" \
	    'length > 10 and all(.conn == 1)'
	unfake f12
else
	skip "batch | loki-push" "no bin/batch"
fi

# 16b. --parallel: several requests at once, still every entry once, one
# ack after all of them; retries and refusals as with one at a time
fake f14 --fail 'slow:*:delay=0.3'
$PY "$GEN" bodies "$T/q.in" "$T/q.exp" --n 600 --streams 5 --per-body 25 \
    --flush-every 8
lp q -- --parallel 4
check "parallel: exit 0" rc_is q 0
same_records "$T/q.exp" "$T/f14.rec" "parallel: every entry once, exact"
jqt "parallel: up to 4 requests at once" "$T/f14.req" \
    'length == 24 and (map(.inflight) | max) > 1 and (map(.inflight) | max) <= 4'
jqt "parallel: acks after every push before them" "$T/q.out" \
    'map(.ack) == ["f8","f16","f24","end"] and map(.entries) == [200,200,200,0] and all(.ok)'
unfake f14
fake f15 --fail ok:2 --fail '500:2' --fail '400:1:msg=bad one'
$PY "$GEN" bodies "$T/q2.in" "$T/q2.exp" --n 200 --per-body 25
lp q2 -- -P 3
check "parallel: a refusal still exits 1" rc_is q2 1
jqt "parallel: 8 bodies, 10 requests (2 retries; 1 refused)" "$T/f15.req" \
    'length == 10 and (map(select(.status == 204)) | length) == 7'
jqt "parallel: the ack counts 175 entries and names the refusal" "$T/q2.out" \
    '.[0].ok == false and .[0].entries == 175 and (.[0].error | test("HTTP 400: bad one"))'
unfake f15

# 17. SIGTERM cuts a long retry schedule short
fake f13 --fail '503:*'
cp "$T/r1.in" "$T/k13.in"
WRITE_ADDRESS="$URL" $LP_WRAP "$BIN/loki-push" < "$T/k13.in" > "$T/k13.out" \
    2> "$T/k13.err" &
kp=$!
# signal it once it is in its retry schedule (a request was refused)
i=0
while [ "$(wc -l < "$T/f13.req" 2>/dev/null || echo 0)" -lt 2 ] &&
    [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM $kp
i=0
while kill -0 $kp 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 $kp 2>/dev/null; then
	notok "SIGTERM: exits during backoff (still running 10 s later)"
	kill -KILL $kp
else
	wait $kp; krc=$?
	check "SIGTERM: exits during backoff, exit 1 (push given up)" test "$krc" -eq 1
fi
unfake f13
t_done
