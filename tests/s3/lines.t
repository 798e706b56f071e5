#!/bin/sh
# The line splitter of lib/s3log across piece boundaries (64 KiB reads,
# 64 KiB inflated pieces, 64-byte network pieces from fake_s3's "slow"):
# every line comes out whole and once, lines over the cap are skipped
# (also when they span several pieces, and at the end without '\n') and
# reported, CR LF ends lose their CR. Run through tests/tools/s3cat.
. "$(dirname "$0")/../lib.sh"
B=${B:-build/opt}
S3CAT=$TOP/$B/tools/s3cat
[ -x "$S3CAT" ] || { skip "s3 lines" "no $B/tools/s3cat"; exit 0; }
K=AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/01/01/123456789012_elasticloadbalancing_us-east-1_app.my-lb.0123_20240101T0000Z_1.2.3.4_x.log
$PY - "$T" <<'PYEOF'
import json, random, sys
t = sys.argv[1]
r = random.Random(7)
lines, want = [], []
for i in range(3000):
    n = r.choice((10, 50, 200, 1000, 5000))
    body = "http 2024-01-01T00:00:%02d.000000Z app/x %d " % (i % 60, i)
    body += "x" * n
    if i % 97 == 5:
        body += "y" * 100000          # over the cap, spans pieces
    end = "\r\n" if i % 3 == 0 else "\n"
    lines.append(body + end)
    if len(body) <= 8000:
        want.append(body)
last = "http 2024-01-01T00:00:00.000000Z app/x last " + "z" * 70000
lines.append(last)                    # over the cap, no final '\n'
open(t + "/obj.log", "w").write("".join(lines))
json.dump({"lines": want, "long": sum(1 for b in lines
          if len(b.rstrip("\r\n")) > 8000)}, open(t + "/want.json", "w"))
PYEOF
gzip -1 -c "$T/obj.log" > "$T/obj.log.gz"
verify() {	# verify OUT ERR RC: entries and the error as expected
	$PY - "$T/want.json" "$1" "$2" "$3" <<'PYEOF'
import json, sys
want = json.load(open(sys.argv[1]))
got = [json.loads(l)["line"] for l in open(sys.argv[2])]
err = open(sys.argv[3]).read()
ok = (got == want["lines"] and sys.argv[4] == "1" and
      "%d line(s) longer than 8000 bytes skipped" % want["long"] in err)
if not ok:
    print("# got %d lines, want %d; rc %s; %s" % (len(got),
          len(want["lines"]), sys.argv[4], err.strip()))
sys.exit(0 if ok else 1)
PYEOF
}
$LP_WRAP "$S3CAT" -l 8000 -f "$T/obj.log" logs "$K" > "$T/out" 2> "$T/err"
check "s3 lines plain file: every line whole, long ones reported" \
    verify "$T/out" "$T/err" $?
$LP_WRAP "$S3CAT" -l 8000 -f "$T/obj.log.gz" logs "$K.gz" > "$T/out" \
    2> "$T/err"
check "s3 lines gzip: every line whole, long ones reported" \
    verify "$T/out" "$T/err" $?

printf 'http junk line\nhttp 2024-01-01T00:00:01Z x\n-\n' > "$T/nt.log"
touch -d @1700000000 "$T/nt.log"
$LP_WRAP "$S3CAT" -f "$T/nt.log" logs "$K" > "$T/out" 2> "$T/err"
rc=$?
check "s3 lines without a time: the object's time, and a notice" \
    eval '[ $rc = 0 ] && [ "$(grep -c "\"ts\":\"1700000000000000000\"" "$T/out")" = 2 ] &&
    grep -q "2 line(s) without a time of their own got the object" "$T/err"'

S3=$T/s3
mkdir -p "$S3/logs/$(dirname "$K")"
cp "$T/obj.log.gz" "$S3/logs/$K.gz"
printf '{"%s.gz": ["slow"]}\n' "$K" > "$S3/faults.json"
port=$(freeport)
$PY "$TOOLS/fake_s3.py" --port "$port" --dir "$S3" 2> "$T/fake.err" &
echo $! > "$T/fake.pid"
wait_port "$port" || { notok "s3 lines: fake S3 did not start"; exit 1; }
# a smaller object for 64-byte pieces: the first 300 lines
head -n 300 "$T/obj.log" | gzip -1 > "$S3/logs/$K.gz"
$PY - "$T/want.json" <<'PYEOF'
import json, sys
w = json.load(open(sys.argv[1]))
# lines 0..299 of the object: those kept, and the long ones among them
src = open(sys.argv[1].replace("want.json", "obj.log")).read()
body = [l.rstrip("\r\n") for l in src.split("\n")[:300]]
json.dump({"lines": [b for b in body if len(b) <= 8000],
           "long": sum(1 for b in body if len(b) > 8000)},
          open(sys.argv[1], "w"))
PYEOF
AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY='secret/test+key' \
    $LP_WRAP "$S3CAT" -l 8000 -e "http://127.0.0.1:$port" logs "$K.gz" \
    > "$T/out" 2> "$T/err"
check "s3 lines 64-byte network pieces: every line whole" \
    verify "$T/out" "$T/err" $?
t_done
