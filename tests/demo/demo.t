#!/bin/sh
# make demo's script, against the fake Loki: every sample entry arrives.
. "$(dirname "$0")/../lib.sh"
LOKIPIPE_NO_REAL_LOKI=1 sh "$TOP/conf/demo.sh" > "$T/out" 2>&1
rc=$?
check "demo exits 0" [ $rc -eq 0 ]
check "demo: every ack ok" [ "$(grep -c '"ok":true' "$T/out")" -eq 3 ]
check "demo: 16 entries arrive" grep -q '^demo: 16 entries in Loki$' "$T/out"
[ "$t_failed" -eq 0 ] || cat "$T/out" >&2
t_done
