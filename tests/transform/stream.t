#!/usr/bin/python3
"""bin/transform on a long stream: Loki stages, then two jq programs that
split and drop entries; flush markers stay in order and carry the reason
for an unreadable line only up to the next marker; the output is worked
out here independently (in Python) and compared line for line. Then
lambda-promtail's own TestLokiStages_Process cases (pkg/loki_stages_test.go)
as entries."""
import json
import os
import subprocess
import sys

TOP = os.environ.get("TOP") or os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BIN = os.environ.get("BIN", os.path.join(TOP, "bin"))
WRAP = os.environ.get("LP_WRAP", "").split()
failed = 0


def ok(name, cond, detail=""):
    global failed
    print(("ok " if cond else "not ok ") + "transform " + name)
    if not cond:
        failed += 1
        if detail:
            sys.stderr.write("# %s\n" % detail[:3000].replace("\n", "\n# "))


def run(args, data, env=None):
    e = dict(os.environ)
    e.pop("LOKI_STAGE_CONFIGS", None)
    e.update(env or {})
    p = subprocess.run(WRAP + [os.path.join(BIN, "transform")] + args,
                       input=data.encode(), capture_output=True, env=e)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


if not os.access(os.path.join(BIN, "transform"), os.X_OK):
    print("skip transform stream # no bin/transform")
    sys.exit(0)

# --- a long stream -------------------------------------------------------
STAGES = [{"json": {"expressions": {"level": "", "parts": "msg"}}},
          {"labels": {"level": ""}},
          {"output": {"source": "parts"}}]
JQ1 = ('if (.line | contains(",")) then (.line | split(",")) as $p '
       '| $p[] as $x | .line = $x else . end')
JQ2 = 'if .labels.level == "debug" then empty else .meta.n = .ts end'

lines, want, errs_since = [], [], []
levels = ["info", "debug", "warn"]
for i in range(5000):
    if i % 250 == 249:
        tok = "f%d" % i
        lines.append(json.dumps({"flush": tok}))
        rec = {"flush": tok}
        if errs_since:
            rec["error"] = "; ".join(errs_since)
        want.append(rec)
        errs_since = []
        continue
    if i == 1234:
        lines.append("{broken")
        errs_since.append("transform: input line %d: x" % (i + 1))
        continue
    lvl = levels[i % 3]
    msg = "a,b,c" if i % 7 == 0 else "m%d" % i
    ts = str(1700000000000000000 + i)
    lines.append(json.dumps({"ts": ts, "labels": {"app": "x"},
                             "line": json.dumps({"level": lvl, "msg": msg})}))
    if lvl == "debug":
        continue
    for part in msg.split(","):
        want.append({"ts": ts, "labels": {"app": "x", "level": lvl},
                     "line": part, "meta": {"n": ts}})

rc, out, err = run(["-s", json.dumps(STAGES), "-j", JQ1, "-j", JQ2],
                   "\n".join(lines) + "\n")
got = [json.loads(x) for x in out.splitlines()]
# the error text names the input line: compare its prefix only
for g, w in zip(got, want):
    if "error" in g and "error" in w:
        ok("stream: error names the bad line",
           g["error"].startswith("transform: input line 1235: "),
           g["error"])
        w["error"] = g["error"]
ok("stream: exit 1 (a line was lost)", rc == 1, err)
diff = next((("got", a, "want", b) for a, b in zip(got, want) if a != b),
            ("lengths", len(got), len(want)))
ok("stream: %d records as computed" % len(want), got == want,
   "first difference: %r" % (diff,))
ok("stream: only the marker after the bad line has an error",
   sum(1 for g in got if "error" in g) == 1)

# --- lambda-promtail's TestLokiStages_Process ---------------------------
CASES = [
    ("no stage makes no changes", None,
     {"labels": {}, "line": '{"level":"info","msg":"test message"}'},
     {"labels": {}, "line": '{"level":"info","msg":"test message"}'}),
    ("labels stage adds labels from extracted fields",
     [{"labels": {"level": "level", "service": "service_name"}}],
     {"labels": {"level": "error", "service_name": "api"},
      "line": "test log line"},
     {"labels": {"level": "error", "service_name": "api",
                 "service": "api"}, "line": "test log line"}),
    ("structured_metadata from log lines",
     [{"json": {"expressions": {"level": "level", "message": "msg"}}},
      {"structured_metadata": {"level": None, "msg": "message"}}],
     {"labels": {"env": "production", "aws_region": "us-east-1"},
      "line": '{"level":"critical","msg":"a_message"}'},
     {"labels": {"env": "production", "aws_region": "us-east-1"},
      "line": '{"level":"critical","msg":"a_message"}',
      "meta": {"level": "critical", "msg": "a_message"}}),
    ("combined stages: json then labels",
     [{"json": {"expressions": {"severity": "level",
                                "app": "application"}}},
      {"labels": {"severity": "severity", "app": "app"}}],
     {"labels": {}, "line": '{"level":"warning","application":"webapp"}'},
     {"labels": {"severity": "warning", "app": "webapp"},
      "line": '{"level":"warning","application":"webapp"}'}),
    ("drop stage filters out entries longer than threshold",
     [{"drop": {"longer_than": 50}}],
     {"labels": {}, "line": "This is a very long log line that exceeds "
      "the 50 character threshold and should be dropped"},
     None),
]
for name, stages, inp, exp in CASES:
    inp = dict(inp, ts="1700000000000000000")
    env = {"LOKI_STAGE_CONFIGS": json.dumps(stages)} if stages else {}
    rc, out, err = run([], json.dumps(inp) + "\n", env)
    got = [json.loads(x) for x in out.splitlines()]
    if exp is None:
        ok("lambda-promtail case: " + name, rc == 0 and got == [], out)
        continue
    exp = dict(exp, ts="1700000000000000000")
    g = got[0] if len(got) == 1 else {}
    same = (rc == 0 and len(got) == 1 and g.get("line") == exp["line"]
            and g.get("labels") == exp["labels"]
            and g.get("meta", {}) == exp.get("meta", {}))
    ok("lambda-promtail case: " + name, same, "got %s want %s" % (got, exp))

# --- sampling keeps about rate of the entries ---------------------------
data = "".join(json.dumps({"ts": str(i + 1), "labels": {}, "line": "x"}) +
               "\n" for i in range(4000))
rc, out, err = run(["-s", '[{"sampling":{"rate":0.5}}]'], data)
n = len(out.splitlines())
# binomial(4000, 0.5): sd ~ 32; 1600..2400 is more than 12 sd either way
ok("sampling rate 0.5 keeps about half (%d of 4000)" % n,
   rc == 0 and 1600 <= n <= 2400, err)
ok("sampling counts its drops under its reason",
   "reason=sampling_stage count=%d" % (4000 - n) in err, err)

# --- limit: Promtail's token bucket -------------------------------------
def entries(labels_list):
    return "".join(json.dumps({"ts": str(i + 1), "labels": l, "line": "x"})
                   + "\n" for i, l in enumerate(labels_list))

rc, out, err = run(["-s", '[{"limit":{"rate":0.001,"burst":3,"drop":true}}]'],
                   entries([{}] * 10))
ok("limit drop: the burst passes, the rest is dropped (3 of 10)",
   rc == 0 and len(out.splitlines()) == 3 and
   "reason=ratelimit_drop_stage count=7" in err, out + err)
rc, out, err = run(["-s", '[{"limit":{"rate":"0.001","burst":"2","drop":"true",'
                    '"by_label_name":"a"}}]'],
                   entries([{"a": "x"}] * 5 + [{"a": "y"}] * 5 + [{}] * 3))
got = [json.loads(x)["labels"].get("a") for x in out.splitlines()]
ok("limit by_label_name: a bucket per value, none without the label",
   rc == 0 and got == ["x", "x", "y", "y", None, None, None], got)
rc, out, err = run(["-s", '[{"limit":{"rate":50,"burst":1}}]'],
                   entries([{}] * 5))
ok("limit without drop: waits, drops nothing",
   rc == 0 and len(out.splitlines()) == 5, out + err)
rc, out, err = run(["--check", "-s", '[{"limit":{"rate":5,"burst":1,'
                    '"by_label_name":"a"}}]'], "")
ok("limit: by_label_name without drop is refused",
   rc == 100 and "drop must be true" in err, err)

# --- SIGTERM: the record in hand is finished, output flushed, exit 0 -----
import signal
p = subprocess.Popen(WRAP + [os.path.join(BIN, "transform"), "-s",
                             '[{"static_labels":{"x":"y"}}]'],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE)
p.stdin.write(b'{"ts":"1","labels":{},"line":"a"}\n')
p.stdin.flush()
first = p.stdout.readline()     # written before transform waits again
p.send_signal(signal.SIGTERM)
rest, err = p.communicate(timeout=30)
ok("SIGTERM: the entry read was written before waiting",
   json.loads(first or b"{}").get("labels") == {"x": "y"}, first)
ok("SIGTERM: exit 0 with its summary", p.returncode == 0 and
   b"msg=done in=1 out=1" in err, "rc %s %s" % (p.returncode, err))

sys.exit(1 if failed else 0)
