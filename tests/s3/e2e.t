#!/bin/sh
# S3 events end to end: aws-decode (fetching from fake_s3.py) | relabel |
# batch | loki-push into the run's real Loki; the entries are read back
# with their labels and times, and a failed object fails its invocation.
. "$(dirname "$0")/../lib.sh"
for s in aws-decode relabel batch loki-push; do
	[ -x "$BIN/$s" ] || { skip "s3 e2e" "no bin/$s"; exit 0; }
done
why=$(need_loki) || { skip "s3 e2e" "$why"; exit 0; }
S3=$T/s3
run_id=s3e2e$$x$(date +%s)
ALB=AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/12/06/123456789012_elasticloadbalancing_us-east-1_app.my-loadbalancer.b13ea9d19f16d015_20241206T1740Z_0.0.0.0_2et2e1mx.log.gz
CT=AWSLogs/o-test123456/123456789012/CloudTrail/eu-west-3/2024/05/19/123456789012_CloudTrail_eu-west-3_20240519T0745Z_4jhzXFO2Jlvu2b3y.json.gz
VPC=AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2024/month=11/day=30/hour=21/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20241130T2100Z_fe123456.log.gz
# objects with recent times (Loki's queriers ask ingesters only about the
# last hours); what each line's time must be goes to $T/want.json
$PY - "$S3/logs" "$ALB" "$CT" "$VPC" "$T/want.json" <<'PYEOF'
import gzip, json, os, sys, time
root, alb, ct, vpc, want = sys.argv[1:]
t0 = int(time.time()) - 600
def put(key, data):
    os.makedirs(os.path.dirname(os.path.join(root, key)), exist_ok=True)
    with open(os.path.join(root, key), "wb") as f:
        f.write(gzip.compress(data.encode()))
def iso(t, frac=""):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + frac
put(alb, "".join("https %sZ app/my-loadbalancer/0123 10.0.0.1:443 - 0.001 "
                 "0.002 0.000 200 200 34 366 \"GET https://x/%d HTTP/1.1\"\n"
                 % (iso(t0 + i, ".123456"), i) for i in range(2)))
put(ct, json.dumps({"Records": [
    {"eventVersion": "1.08", "eventTime": iso(t0 + 10 + i) + "Z",
     "eventName": "GetObject", "requestParameters": {"k": [1, {"u": "\u00e9"}]}}
    for i in range(2)]}, indent=2))
put(vpc, "version account-id start end action\n" + "".join(
    "2 123456789012 %d %d ACCEPT\n" % (t0 + 20 + i, t0 + 80) for i in range(3)))
json.dump({
    "s3_lb": ["%d123456000" % (t0 + i) for i in range(2)],
    "s3_cloudtrail": ["%d000000000" % (t0 + 10 + i) for i in range(2)],
    "s3_vpc_flow": ["%d000000000" % (t0 + 20 + i) for i in range(3)]},
    open(want, "w"))
PYEOF
port=$(freeport)
$PY "$TOOLS/fake_s3.py" --port "$port" --dir "$S3" 2> "$T/fake.err" &
echo $! > "$T/fake.pid"
wait_port "$port" || { notok "s3 e2e: fake S3 did not start"; exit 1; }

rec() {
	printf '{"eventSource":"aws:s3","awsRegion":"us-east-1","s3":{"bucket":{"name":"logs"},"object":{"key":"%s"}}}' "$1"
}
{
	printf '{"Records":[%s,%s,%s]}\n' "$(rec "$ALB")" "$(rec "$CT")" \
	    "$(rec "$VPC")"
	printf '{"flush":"inv-1"}\n'
	printf '{"Records":[%s]}\n' "$(rec "AWSLogs/123456789012/elasticloadbalancing/us-east-1/2022/12/06/123456789012_elasticloadbalancing_us-east-1_app.gone.1_x.log.gz")"
	printf '{"flush":"inv-2"}\n'
} > "$T/events"
AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY='secret/test+key' \
AWS_ENDPOINT_URL_S3="http://127.0.0.1:$port" \
    stage aws-decode -p false < "$T/events" 2> "$T/err.decode" |
    stage relabel -e "run,$run_id" 2> "$T/err.relabel" |
    stage batch 2> "$T/err.batch" |
    WRITE_ADDRESS="$LOKI_URL/loki/api/v1/push" stage loki-push \
    > "$T/acks" 2> "$T/err.push"
check "s3 e2e: the invocation with three objects is acked ok" \
    grep -q '^{"ack":"inv-1","ok":true,"entries":7,' "$T/acks"
check "s3 e2e: the invocation with a missing object fails, naming it" \
    eval 'grep "^{\"ack\":\"inv-2\",\"ok\":false" "$T/acks" |
    grep -q "s3://logs/AWSLogs/.*app.gone.1_x.log.gz: HTTP 404"'

q() {	# q TYPE COUNT: this run's entries of that type
	$PY "$TOOLS/loki_query.py" --url "$LOKI_URL" --query \
	    "{__extra_run=\"$run_id\", __aws_log_type=\"$1\"}" \
	    --wait-count "$2" --timeout 10 > "$T/q" 2> "$T/q.err"
}
# got_is TYPE LABELS_JSON: times as in want.json, these __aws_ labels only
got_is() {
	$PY - "$T/q" "$T/want.json" "$@" <<'PYEOF'
import json, sys
got = [json.loads(l) for l in open(sys.argv[1])]
ts = json.load(open(sys.argv[2]))[sys.argv[3]]
labels = json.loads(sys.argv[4])
labels["__aws_log_type"] = sys.argv[3]
aws = lambda e: {k: v for k, v in e["labels"].items()
                 if k.startswith("__aws_")}
ok = (sorted(e["ts"] for e in got) == ts and
      all(aws(e) == labels for e in got))
if not ok:
    print("# got", json.dumps(got)[:600])
sys.exit(0 if ok else 1)
PYEOF
}
q s3_lb 2
check "s3 e2e: ALB entries in Loki with labels and times" got_is s3_lb \
    '{"__aws_s3_lb":"my-loadbalancer","__aws_s3_lb_owner":"123456789012"}'
q s3_cloudtrail 2
check "s3 e2e: CloudTrail records in Loki (organization trail)" \
    got_is s3_cloudtrail '{"__aws_s3_cloudtrail":"4jhzXFO2Jlvu2b3y","__aws_s3_cloudtrail_owner":"123456789012"}'
check "s3 e2e: a CloudTrail record is compact JSON with its own bytes" \
    eval '[ -s "$T/q" ] && $PY -c "import json,sys
for l in open(sys.argv[1]):
    line = json.loads(l)[\"line\"]
    assert line.startswith(\"{\\\"eventVersion\\\":\\\"1.08\\\",\\\"eventTime\\\":\")
    assert \"\\\\u00e9\" in line and \" \" not in line, line
" "$T/q"'
q s3_vpc_flow 3
check "s3 e2e: VPC flow entries (Hive key) at their start time" \
    got_is s3_vpc_flow '{"__aws_s3_vpc_flow":"fl-1234abcd","__aws_s3_vpc_flow_owner":"123456789012"}'
t_done
