#!/bin/sh
# pipelines/host/run: the stages under s6 on a host, fed from a spool
# directory; files move to done/ once Loki has them, to failed/ otherwise.
. "$(dirname "$0")/../lib.sh"
for s in aws-decode relabel batch loki-push; do
	[ -x "$BIN/$s" ] || { skip "host pipeline" "no bin/$s"; exit 0; }
done
[ -d "$SAMPLES/events" ] || { skip "lambda ${0##*/}" "no samples in $SAMPLES"; exit 0; }
command -v s6-svscan > /dev/null || { skip "host pipeline" "no s6"; exit 0; }
unset USERNAME PASSWORD BEARER_TOKEN RELABEL_CONFIGS LOKI_STAGE_CONFIGS \
    EXTRA_LABELS DROP_LABELS TENANT_ID 2>/dev/null
mkdir -p "$T/spool" "$T/in"
$PY "$TOOLS/fake_loki.py" --port-file "$T/lport" --record "$T/loki" \
    > /dev/null 2>&1 &
echo $! > "$T/loki.pid"
i=0; while [ ! -s "$T/lport" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
WRITE_ADDRESS=http://127.0.0.1:$(cat "$T/lport")/loki/api/v1/push \
PRINT_LOG_LINE=false LP_RUN=$T/run \
    "$TOP/pipelines/host/run" "$T/spool" > "$T/out" 2> "$T/err" &
echo $! > "$T/svscan.pid"
cp "$SAMPLES/events/cloudwatch-logs-event.json" "$T/in/a.json"
cp "$SAMPLES/events/kinesis-event.json" "$T/in/b.json"
echo '{"not":"an event"}' > "$T/in/c.json"
mv "$T/in/a.json" "$T/in/b.json" "$T/in/c.json" "$T/spool/"
i=0
while [ "$(ls "$T/spool/done" "$T/spool/failed" 2>/dev/null | grep -c json)" -lt 3 ] &&
    [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done
check "host: delivered events move to done/" \
    test -f "$T/spool/done/a.json" -a -f "$T/spool/done/b.json"
check "host: an event that cannot be read moves to failed/ with the reason" \
    grep -q '"ok":false.*not' "$T/spool/failed/c.json.error"
check "host: Loki has the entries of both events" \
    test "$(wc -l < "$T/loki")" = 4
kill -TERM "$(cat "$T/svscan.pid")"
wait "$(cat "$T/svscan.pid")"
check "host: SIGTERM stops it" test $? -le 1
kill "$(cat "$T/loki.pid")"; wait "$(cat "$T/loki.pid")" 2>/dev/null
rm -f "$T/svscan.pid" "$T/loki.pid"
t_done
