#!/bin/sh
# bench/s3.sh [MB]: aws-decode on a big generated ALB log object (default
# 210 MB uncompressed, gzip -1), next to `gzip -dc` of the same object in
# the same run, then the whole aws-decode | relabel | batch | loki-push
# pipeline into an HTTP sink that discards what it gets. Each figure is the
# best of 3 runs (wall time). Targets (issue 5): aws-decode <= 1.2x and the
# pipeline <= 1.5x the wall time of gzip -dc.
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

# best wall time of 3 runs of a shell command, in seconds
best() {
	b=""
	for i in 1 2 3; do
		t0=$(date +%s%N)
		sh -c "$1"
		t1=$(date +%s%N)
		t=$((t1 - t0))
		if [ -z "$b" ] || [ "$t" -lt "$b" ]; then b=$t; fi
	done
	echo "$b"
}
fmt() { awk -v ns="$1" -v b="$bytes" 'BEGIN {
	printf "%6.3f s  %7.1f MB/s", ns / 1e9, b / 1e6 / (ns / 1e9) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }

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
echo "gzip -dc                      $(fmt "$g")   1.00x"
echo "zcat | cat                    $(fmt "$z")   $(ratio "$z" "$g")"
echo "aws-decode --object           $(fmt "$d")   $(ratio "$d" "$g")  (target <= 1.2x)"
echo "aws-decode|relabel|batch|loki-push into a sink"
echo "                              $(fmt "$p")   $(ratio "$p" "$g")  (target <= 1.5x)"
echo "(MB/s of uncompressed log; best of 3 wall times; $(nproc) CPUs)"
