#!/bin/sh
# make demo: ships lokipipe's sample events (conf/samples/gen.py) through
#   aws-decode | relabel | batch | loki-push
# into a Loki, then queries them back and prints what Loki returns.
# The Loki: $LOKI_URL if set; else the real Loki in ../shared/tools/loki
# when it is there (started for the demo, stopped after); else the fake
# Loki of the test suite (tests/tools/fake_loki.py).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
PY=/usr/bin/python3
work=$(mktemp -d "${TMPDIR:-/tmp}/lokipipe-demo.XXXXXX")
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

runloki="$top/../shared/tools/loki/run-loki"
real=0
if [ -n "${LOKI_URL:-}" ]; then
	url=$LOKI_URL
	real=1
elif [ -x "$runloki" ] && [ "${LOKIPIPE_NO_REAL_LOKI:-}" != 1 ]; then
	port=$($PY tests/tools/freeport.py 2)
	echo "demo: starting Grafana Loki on 127.0.0.1:$port (about 11 s)"
	LOKI_GRPC_PORT=$((port + 1)) "$runloki" --wait "$port" "$work/loki" \
	    > "$work/loki.out" 2>&1 || {
		cat "$work/loki.out" >&2; exit 111; }
	pids="$(cat "$work/loki/loki.pid")"
	url="http://127.0.0.1:$port"
	real=1
else
	echo "demo: no Loki found; using the test suite's fake Loki"
	$PY tests/tools/fake_loki.py --record "$work/record" \
	    > "$work/fake.port" 2> "$work/fake.log" &
	pids="$!"
	i=0
	while [ ! -s "$work/fake.port" ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1)); done
	url="http://127.0.0.1:$(cat "$work/fake.port")"
fi

$PY conf/samples/gen.py "$work/samples"
s=$work/samples
run=$(date +%s)

# What a Lambda invocation sees: events, then a flush marker; here three
# invocations' worth (events, an ALB object, a VPC flow object).
export WRITE_ADDRESS="$url/loki/api/v1/push"
export EXTRA_LABELS="demo,lokipipe,run,$run"
export RELABEL_CONFIGS='[{"source_labels":["__aws_log_type"],"target_label":"type"}]'
export PRINT_LOG_LINE=false
{
	cat "$s/events.json"
	echo '{"flush":"demo-events"}'
} > "$work/in1"
echo "demo: $(wc -l < "$s/events.json") events, an ALB log object and a VPC flow log object -> $url"
{
	bin/aws-decode < "$work/in1"
	bin/aws-decode --object "$s/alb.log.gz" --key "$(cat "$s/alb.key")" \
	    --bucket demo-logs
	echo '{"flush":"demo-s3"}'
	bin/aws-decode --object "$s/vpc.log.gz" --key "$(cat "$s/vpc.key")" \
	    --bucket demo-logs
	echo '{"flush":"demo-vpc"}'
} | bin/relabel | bin/batch | bin/loki-push > "$work/acks"
echo "demo: acks from loki-push:"
sed 's/^/  /' "$work/acks"

echo "demo: what Loki returns for {__extra_run=\"$run\"}:"
if [ $real = 1 ]; then
	$PY tests/tools/loki_query.py --url "$url" \
	    --query "{__extra_run=\"$run\"}" --wait-count 16 > "$work/got" ||
	    echo "demo: fewer entries than sent came back"
else
	cp "$work/record" "$work/got"
fi
$PY - "$work/got" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
for r in sorted(rows, key=lambda r: (r["labels"].get("type", ""), r["ts"])):
    lab = ",".join("%s=%s" % kv for kv in sorted(r["labels"].items())
                   if not kv[0].startswith("__extra"))
    line = r["line"] if len(r["line"]) < 90 else r["line"][:87] + "..."
    print("  %s {%s}\n      %s" % (r["ts"], lab, line))
print("demo: %d entries in Loki" % len(rows))
PYEOF
grep -q '"ok":false' "$work/acks" && { echo "demo: an ack says ok:false"; exit 1; }
exit 0
