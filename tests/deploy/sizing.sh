#!/bin/sh
# tests/deploy/sizing.sh [MB]: the figures behind the deployments' memory
# and timeout defaults, measured on this machine. A generated ALB log object
# (default 210 MB uncompressed, gzip -1; tests/s3/gen-alb.py) goes through
# aws-decode --object | relabel | batch | loki-push into an HTTP sink that
# answers 204, with the deployed defaults (PRINT_LOG_LINE=false and true).
# Prints each stage's peak RSS (GNU time) and their sum, the CPU time of
# all four (user + sys: what bounds the time in Lambda, where 128 MB gets
# about 128/1769 of a vCPU) and the wall time (best of 3), next to
# `gzip -dc` of the same object in the same run. Not a test: it asserts
# nothing and is not run by `make check`.
set -eu
LC_ALL=C; export LC_ALL
top=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$top/bin
PY=/usr/bin/python3
MB=${1:-210}
for s in aws-decode relabel batch loki-push; do
	[ -x "$BIN/$s" ] || { echo "sizing.sh: no bin/$s (make first)" >&2
		exit 100; }
done
[ -x /usr/bin/time ] || { echo "sizing.sh: needs GNU time" >&2; exit 100; }
w=$(mktemp -d "${TMPDIR:-/tmp}/lokipipe-sizing.XXXXXX")
sink=""
trap '[ -n "$sink" ] && kill "$sink" 2>/dev/null; rm -rf "$w"' EXIT
K=AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/03/05/123456789012_elasticloadbalancing_us-east-1_app.my-loadbalancer.50dc6c495c0c9188_20240305T1700Z_10.0.0.1_big.log.gz
$PY "$top/tests/s3/gen-alb.py" "$MB" | gzip -1 > "$w/big.log.gz"
bytes=$(gzip -dc "$w/big.log.gz" | wc -c)

port=$($PY "$top/tests/tools/freeport.py")
$PY - "$port" <<'PYEOF' &
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        while n > 0:
            n -= len(self.rfile.read(min(n, 1 << 20)))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PYEOF
sink=$!
sleep 0.3

now() { date +%s%N; }
secs() { awk -v ns="$1" 'BEGIN { printf "%.2f", ns / 1e9 }'; }

t0=$(now)
gzip -dc "$w/big.log.gz" > /dev/null
g=$(($(now) - t0))

export WRITE_ADDRESS="http://127.0.0.1:$port/loki/api/v1/push"
export LOG_LEVEL=info
echo "object: ALB log, $bytes bytes uncompressed, $(wc -c < "$w/big.log.gz") gzip -1"
echo "gzip -dc: $(secs "$g") s"
for print in false true; do
	export PRINT_LOG_LINE=$print
	best="" d=0 r=0 b=0 l=0 cpu=""
	for i in 1 2 3; do
		t0=$(now)
		/usr/bin/time -f "%M %U %S" -o "$w/rss.decode" "$BIN/aws-decode" \
		    --object "$w/big.log.gz" --key "$K" 2> /dev/null |
		    /usr/bin/time -f "%M %U %S" -o "$w/rss.relabel" "$BIN/relabel" \
		    2> /dev/null |
		    /usr/bin/time -f "%M %U %S" -o "$w/rss.batch" "$BIN/batch" \
		    2> /dev/null |
		    /usr/bin/time -f "%M %U %S" -o "$w/rss.push" "$BIN/loki-push" \
		    > /dev/null 2> "$w/push.err"
		p=$(($(now) - t0))
		grep -q 'failed=0' "$w/push.err" ||
		    { echo "sizing.sh: the push failed" >&2; exit 1; }
		if [ -z "$best" ] || [ "$p" -lt "$best" ]; then best=$p; fi
		x=$(cut -d' ' -f1 "$w/rss.decode"); [ "$x" -gt "$d" ] && d=$x
		x=$(cut -d' ' -f1 "$w/rss.relabel"); [ "$x" -gt "$r" ] && r=$x
		x=$(cut -d' ' -f1 "$w/rss.batch"); [ "$x" -gt "$b" ] && b=$x
		x=$(cut -d' ' -f1 "$w/rss.push"); [ "$x" -gt "$l" ] && l=$x
		c=$(cat "$w"/rss.* | awk '{ s += $2 + $3 } END { printf "%.2f", s }')
		cpu=$(awk -v a="${cpu:-}" -v c="$c" 'BEGIN {
			print (a == "" || c < a) ? c : a }')
	done
	echo "PRINT_LOG_LINE=$print: wall $(secs "$best") s" \
	    "($(awk -v b="$bytes" -v ns="$best" 'BEGIN { printf "%.0f", b / 1e6 / (ns / 1e9) }') MB/s);" \
	    "peak RSS KB: aws-decode $d, relabel $r, batch $b, loki-push $l;" \
	    "sum $((d + r + b + l)) KB; CPU $cpu s"
done
echo "($(nproc) CPUs; wall and CPU: best of 3, RSS: highest of 3; the stages'"
echo " stderr discarded, in Lambda it goes to CloudWatch Logs)"
