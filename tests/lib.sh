# tests/lib.sh: sourced by test suites (tests/*/*.t, /bin/sh).
# Each check prints "ok NAME" or "not ok NAME" (and details on stderr).
set -u
LC_ALL=C; export LC_ALL
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${BIN:-$TOP/bin}
PY=${PY:-/usr/bin/python3}
TOOLS=$TOP/tests/tools
SAMPLES=$TOP/../shared/samples/lambda-promtail-testdata
LP_WRAP=${LP_WRAP:-}
t_failed=0

# A work directory, removed at exit when every check passed.
T=$(mktemp -d "${TESTWORK:-${TMPDIR:-/tmp}}/t.XXXXXX")
t_cleanup() {
	for p in $(cat "$T"/*.pid 2>/dev/null); do
		kill "$p" 2>/dev/null
	done
	if [ "$t_failed" -eq 0 ]; then rm -rf "$T"; else
		echo "# kept $T" >&2; fi
}
trap t_cleanup EXIT

ok() { echo "ok $1"; }
notok() { echo "not ok $1"; t_failed=$((t_failed + 1)); }
skip() { echo "skip $1 # $2"; }
# check NAME CMD...: ok when CMD succeeds.
check() {
	n=$1; shift
	if "$@"; then ok "$n"; else notok "$n"; fi
}
# same FILE_EXPECTED FILE_ACTUAL NAME: exact bytes, diff on mismatch.
same() {
	if cmp -s "$1" "$2"; then ok "$3"; else
		notok "$3"; diff -u "$1" "$2" | head -40 >&2; fi
}
# A stage, under valgrind when VALGRIND=1.
stage() {
	s=$1; shift
	$LP_WRAP "$BIN/$s" "$@"
}
# Waits for the run's real Loki (tests/run.sh starts one); returns 1 and
# prints why when there is none.
need_loki() {
	[ -n "${LOKI_URL:-}" ] || { echo "no real Loki in this run"; return 1; }
	i=0
	while [ ! -f "$TESTWORK/loki.rc" ] && [ $i -lt 900 ]; do
		sleep 0.1; i=$((i + 1)); done
	[ "$(cat "$TESTWORK/loki.rc" 2>/dev/null)" = 0 ] || {
		echo "real Loki did not start: $(tail -3 "$TESTWORK/loki.start" 2>/dev/null)"
		return 1; }
	return 0
}
# A free port on 127.0.0.1.
freeport() { $PY "$TOOLS/freeport.py" "${1:-1}"; }
# Waits until a TCP port on 127.0.0.1 accepts connections (5 s).
wait_port() {
	$PY - "$1" <<'PYEOF'
import socket, sys, time
for _ in range(250):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.02)
sys.exit(1)
PYEOF
}
t_done() {
	[ "$t_failed" -eq 0 ]
}
