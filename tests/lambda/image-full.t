#!/bin/sh
# The whole container image's root filesystem, built by docker/image.sh
# (mmdebstrap: Debian bookworm with the Dockerfile's packages, the stages
# in /opt/lokipipe), chrooted into and run as user 65534 against the fake
# Runtime API and the fake Loki. It downloads from a Debian mirror, so it
# runs only when asked: LOKIPIPE_IMAGE_TEST=1 make check.
. "$(dirname "$0")/../lib.sh"
[ "${LOKIPIPE_IMAGE_TEST:-}" = 1 ] ||
	{ skip "image root filesystem" "set LOKIPIPE_IMAGE_TEST=1 (needs a Debian mirror)"; exit 0; }
command -v mmdebstrap > /dev/null ||
	{ skip "image root filesystem" "no mmdebstrap"; exit 0; }
[ "$(id -u)" = 0 ] || { skip "image root filesystem" "chroot needs root"; exit 0; }
[ -d "$SAMPLES/events" ] || { skip "image root filesystem" "no samples"; exit 0; }
BIN=$BIN sh "$TOP/docker/image.sh" lokipipe:test "$T/rootfs.tar" > "$T/image.log" 2>&1
check "image: root filesystem built" test -s "$T/rootfs.tar"
mkdir "$T/root" && tar -C "$T/root" -xf "$T/rootfs.tar"
check "image: entry point in place" test -x "$T/root/opt/lokipipe/pipelines/lambda/entry"
$PY -c 'import json, sys
print(json.dumps({"id": "f1", "event": json.load(open(sys.argv[1]))}))' \
    "$SAMPLES/events/cloudwatch-logs-event.json" > "$T/events"
$PY "$TOOLS/fake_runtime.py" --events "$T/events" --record "$T/rec" \
    --portfile "$T/rport" > /dev/null 2>&1 &
echo $! > "$T/rt.pid"
$PY "$TOOLS/fake_loki.py" --port-file "$T/lport" --record "$T/loki" \
    > /dev/null 2>&1 &
echo $! > "$T/loki.pid"
i=0; while { [ ! -s "$T/lport" ] || [ ! -s "$T/rport" ]; } && [ $i -lt 200 ]; do
	sleep 0.05; i=$((i+1)); done
chroot --userspec=65534:65534 "$T/root" env -i PATH=/usr/bin:/bin \
    AWS_LAMBDA_RUNTIME_API=127.0.0.1:$(cat "$T/rport") \
    WRITE_ADDRESS=http://127.0.0.1:$(cat "$T/lport")/loki/api/v1/push \
    /opt/lokipipe/pipelines/lambda/entry > "$T/out" 2> "$T/err" &
echo $! > "$T/svscan.pid"
i=0; while ! grep -q '"done"' "$T/rec" 2>/dev/null && [ $i -lt 150 ]; do
	sleep 0.1; i=$((i+1)); done
check "image: the invocation succeeded" \
    grep -q '"kind": "response", "id": "f1", "body": null' "$T/rec"
check "image: Loki received both entries" test "$(wc -l < "$T/loki")" = 2
kill -TERM "$(cat "$T/svscan.pid")"
wait "$(cat "$T/svscan.pid")" 2>/dev/null
rm -f "$T/svscan.pid"
t_done
