#!/bin/sh
# bench/s3.sh [MB]: aws-decode on a big generated ALB log object (default
# 210 MB uncompressed, gzip -1), next to `gzip -dc` of the same object in
# the same run, then the whole aws-decode | relabel | batch | loki-push
# pipeline into an HTTP sink that discards what it gets. Each figure is the
# best of 3 runs, wall and CPU time. Targets (issue 5): aws-decode <= 1.2x
# and the pipeline <= 1.5x the wall time of gzip -dc.
set -eu
LC_ALL=C; export LC_ALL
top=$(cd "$(dirname "$0")/.." && pwd)
BIN=$top/bin
PY=/usr/bin/python3
MB=${1:-210}
for s in aws-decode relabel batch loki-push; do
	[ -x "$BIN/$s" ] || { echo "bench/s3.sh: no bin/$s (make first)" >&2
		exit 100; }
done
w=$(mktemp -d "${TMPDIR:-/tmp}/lokipipe-bench.XXXXXX")
sink=""
trap '[ -n "$sink" ] && kill "$sink" 2>/dev/null; rm -rf "$w"' EXIT
K=AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/03/05/123456789012_elasticloadbalancing_us-east-1_app.my-loadbalancer.50dc6c495c0c9188_20240305T1700Z_10.0.0.1_big.log.gz
$PY "$top/tests/s3/gen-alb.py" "$MB" | gzip -1 > "$w/big.log.gz"
set -- $(gzip -dc "$w/big.log.gz" | wc -lc)
lines=$1 bytes=$2
gzbytes=$(wc -c < "$w/big.log.gz")

# a Loki stand-in that reads each push and answers 204
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

# best of 3 runs of a shell command: "WALL CPU" in seconds (CPU is user +
# system time of every process of the command: on a loaded machine the
# wall time grows, the CPU time much less)
best() {
	bw="" bc=""
	for i in 1 2 3; do
		/usr/bin/time -f '%e %U %S' -o "$w/time" sh -c "$1"
		set -- "$1" $(tail -1 "$w/time")
		c=$(awk -v u="$3" -v s="$4" 'BEGIN { print u + s }')
		if [ -z "$bw" ] || awk -v a="$2" -v b="$bw" 'BEGIN {
		    exit !(a < b) }'; then bw=$2; fi
		if [ -z "$bc" ] || awk -v a="$c" -v b="$bc" 'BEGIN {
		    exit !(a < b) }'; then bc=$c; fi
	done
	echo "$bw $bc"
}
# fmt "WALL CPU" "BASE_WALL BASE_CPU"
fmt() { awk -v t="$1" -v g="$2" -v b="$bytes" 'BEGIN {
	split(t, x, " "); split(g, y, " ")
	printf "%6.2f s %7.1f MB/s %5.2fx   cpu %6.2f s %5.2fx",
	    x[1], b / 1e6 / x[1], x[1] / y[1], x[2], x[2] / y[2] }'; }

export BIN K w
LOG_LEVEL=warn; export LOG_LEVEL
sleep 0.3
g=$(best 'gzip -dc "$w/big.log.gz" > /dev/null')
d=$(best '"$BIN/aws-decode" -p false --object "$w/big.log.gz" --key "$K" > /dev/null')
export WRITE_ADDRESS="http://127.0.0.1:$port/loki/api/v1/push"
p=$(best '"$BIN/aws-decode" -p false --object "$w/big.log.gz" --key "$K" |
    "$BIN/relabel" | "$BIN/batch" | "$BIN/loki-push" > /dev/null')
z=$(best 'zcat "$w/big.log.gz" | cat > /dev/null')

echo "object: ALB log, $bytes bytes ($lines lines), gzip -1 $gzbytes bytes"
echo "                              wall    MB/s    vs gzip   cpu (user+sys)"
echo "gzip -dc                      $(fmt "$g" "$g")"
echo "zcat | cat                    $(fmt "$z" "$g")"
echo "aws-decode --object           $(fmt "$d" "$g")"
echo "aws-decode|relabel|batch|loki-push into a sink"
echo "                              $(fmt "$p" "$g")"
echo "(MB/s of uncompressed log; best of 3; $(nproc) CPUs; load" \
    "$(cut -d' ' -f1-3 /proc/loadavg); targets: aws-decode <= 1.2x," \
    "pipeline <= 1.5x the wall time of gzip -dc)"
