#!/bin/sh
# Runs every test: lib/ unit tests (build/*/tests/test_*), then every suite
# tests/*/*.t in name order. A test prints "ok NAME", "not ok NAME" or
# "skip NAME # why" lines; a suite that exits non-zero without printing a
# "not ok" counts as one failure. Ends with "N passed, N failed".
set -u
LC_ALL=C; export LC_ALL
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
B=${B:-build/opt}
export B TOP="$top" BIN="$top/${BINDIR:-bin}" PY=/usr/bin/python3
export SANITIZE="${SANITIZE:-}" VALGRIND="${VALGRIND:-}"
if [ "${VALGRIND:-}" = 1 ]; then
	export LP_WRAP="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
else
	export LP_WRAP=""
fi
if [ "${SANITIZE:-}" = 1 ]; then
	export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=99"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=99"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/lokipipe-tests.XXXXXX")
# searchable by all: tests/lambda/image.t runs the image as user nobody
# in a directory below this one
chmod 755 "$work"
export TESTWORK="$work"
log="$work/results"
: > "$log"

# One real Loki for the whole run, started now: it needs ~11 s to be ready.
# Tests that want it source tests/lib.sh and call need_loki.
runloki="$top/../shared/tools/loki/run-loki"
if [ -x "$runloki" ] && [ "${LOKIPIPE_NO_REAL_LOKI:-}" != 1 ]; then
	port=$($PY "$top/tests/tools/freeport.py" 2)
	LOKI_PORT=$port; export LOKI_PORT
	LOKI_URL="http://127.0.0.1:$port"; export LOKI_URL
	LOKI_DIR="$work/loki"; export LOKI_DIR
	LOKI_GRPC_PORT=$((port + 1)); export LOKI_GRPC_PORT
	("$runloki" --wait "$port" "$LOKI_DIR" > "$work/loki.start" 2>&1;
	 echo $? > "$work/loki.rc") &
else
	echo "# real Loki: not found at ../shared/tools/loki (tests that need it are skipped)"
fi

run_one() {
	name=$1; shift
	out="$work/out.$$"
	"$@" > "$out" 2>&1
	rc=$?
	cat "$out"
	cat "$out" >> "$log"
	if [ $rc -ne 0 ] && ! grep -q '^not ok ' "$out"; then
		echo "not ok $name (exit $rc)" | tee -a "$log"
	fi
}

for t in "$B"/tests/test_*; do
	[ -x "$t" ] || continue
	run_one "$(basename "$t")" $LP_WRAP "$t"
done
for t in $(find tests -name '*.t' | sort); do
	echo "# $t"
	run_one "$t" "$t"
done

if [ -f "$work/loki/loki.pid" ]; then
	kill "$(cat "$work/loki/loki.pid")" 2>/dev/null
fi
wait 2>/dev/null
passed=$(grep -c '^ok ' "$log")
failed=$(grep -c '^not ok ' "$log")
skipped=$(grep -c '^skip ' "$log")
grep '^not ok ' "$log" | sed 's/^/FAILED: /'
[ "$skipped" -gt 0 ] && grep '^skip ' "$log" | sed 's/^/SKIPPED: /'
if [ "$failed" -eq 0 ]; then
	rm -rf "$work"
else
	echo "# work files kept in $work"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
