#!/usr/bin/python3
"""The fake Loki itself: it must refuse what Loki refuses (or every other
suite's 'ok' means little), store what Loki stores, and fail on demand."""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import snappy

TOP = os.environ.get("TOP") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "tools"))
import fake_loki  # noqa: E402  (its parser and message classes)

failed = 0


def check(name, cond, detail=""):
    global failed
    if cond:
        print("ok fake_loki: " + name)
    else:
        failed += 1
        print("not ok fake_loki: " + name)
        if detail:
            sys.stderr.write("# %s\n" % detail)


for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
    os.environ.pop(k, None)
work = tempfile.mkdtemp(dir=os.environ.get("TESTWORK"))
rec = os.path.join(work, "rec")
proc = subprocess.Popen(
    [sys.executable, os.path.join(TOP, "tests", "tools", "fake_loki.py"),
     "--record", rec, "--max-line-size", "100", "--fail", "ok:1",
     "--fail", "503:1:msg=busy: try later", "--fail", "429:1:retry-after=7"],
    stdout=subprocess.PIPE, text=True)
port = int(proc.stdout.readline())
URL = "http://127.0.0.1:%d" % port


def post(body, ctype="application/x-protobuf", path="/loki/api/v1/push",
         headers=None, base=None):
    req = urllib.request.Request((base or URL) + path, data=body,
                                 method="POST")
    req.add_header("Content-Type", ctype)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), dict(e.headers)


def proto(streams):
    req = fake_loki.PushRequest()
    for labels, entries in streams:
        s = req.streams.add()
        s.labels = labels.encode()
        for ts, line, md in entries:
            e = s.entries.add()
            e.timestamp.seconds, e.timestamp.nanos = divmod(ts, 10**9)
            e.line = line.encode()
            for k, v in md:
                p = e.structuredMetadata.add()
                p.name, p.value = k.encode(), v.encode()
    return snappy.compress(req.SerializeToString())


def records():
    with open(rec) as f:
        return [json.loads(x) for x in f]


now = time.time_ns()
ok_body = proto([('{job="a", x="q\\"\\\\\\n\\x01"}',
                  [(now, "hello", [("trace_id", "t1")])])])

# the rules given on the command line, in order
st, _, _ = post(ok_body)
check("rule ok:1 answers 204 and stores", st == 204 and len(records()) == 1)
st, text, _ = post(ok_body)
check("rule 503 with a message containing ':'",
      st == 503 and text.strip() == "busy: try later", (st, text))
st, _, h = post(ok_body)
check("rule 429 with Retry-After", st == 429 and h.get("Retry-After") == "7")
check("failed requests store nothing", len(records()) == 1)

r = records()[0]
check("record: labels decoded from Go escapes (\\\", \\\\, \\n, \\x01)",
      r["labels"] == {"job": "a", "x": 'q"\\\n\x01'}, r)
check("record: ns timestamp as a string, metadata",
      r["ts"] == str(now) and r["metadata"] == {"trace_id": "t1"}, r)

cases = [
    ("unterminated label string", '{job="a"', "parse error"),
    ("unknown escape", '{job="a\\q"}', "parse error"),
    ("invalid label name", '{1job="a"}', "parse error"),
    ("regex matcher", '{job=~"a"}', "parse error"),
    ("no labels", "{}", "at least one label pair"),
    ("duplicate label", '{job="a", job="b"}', "duplicate label name"),
]
for name, labels, want in cases:
    st, text, _ = post(proto([(labels, [(now, "x", [])])]))
    check("refuses %s (400 %s)" % (name, want), st == 400 and want in text,
          (st, text))
st, text, _ = post(proto([('{job="long"}', [(now, "y" * 101, [])])]))
check("refuses a line over max_line_size", st == 400 and
      "Max entry size '100' bytes exceeded" in text, text)
st, text, _ = post(proto([('{job="new"}', [(now + 3600 * 10**9, "x", [])])]))
check("refuses a timestamp too new", st == 400 and "too new" in text, text)
st, text, _ = post(b"not snappy at all")
check("refuses corrupt snappy", st == 400 and "snappy" in text, text)

n0 = len(records())
st, text, _ = post(proto([('{job="good"}', [(now, "kept", [])]),
                          ('{job="bad"', [(now, "lost", [])])]))
check("partial success: 400 and the valid stream stored",
      st == 400 and len(records()) == n0 + 1 and
      records()[-1]["line"] == "kept", (st, text))
st, _, _ = post(proto([('{job="e", empty=""}', [(now, "e", [])])]))
check("empty label values dropped, as Loki does",
      st == 204 and records()[-1]["labels"] == {"job": "e"})

# JSON
jb = json.dumps({"streams": [{"stream": {"job": "j"},
                              "values": [[str(now), "jl", {"k": "v"}]]}]})
st, _, _ = post(jb.encode(), "application/json")
check("JSON push stored", st == 204 and records()[-1]["line"] == "jl" and
      records()[-1]["metadata"] == {"k": "v"})
st, text, _ = post(json.dumps({"streams": [{"stream": {"job": "j"},
                   "values": [[now, "numeric ts"]]}]}).encode(),
                   "application/json")
check("JSON: refuses a numeric timestamp", st == 400, (st, text))
st, text, _ = post(json.dumps({"streams": [{"stream": {"a-b": "j"},
                   "values": [[str(now), "x"]]}]}).encode(),
                   "application/json")
check("JSON: refuses an invalid label name", st == 400, (st, text))

# control endpoint and counters
st, _, _ = post(b"reset:1\n500:1\n", "text/plain", "/fake/fail")
try:
    post(ok_body)
    reset = False
except (ConnectionError, urllib.error.URLError, OSError):
    reset = True
check("POST /fake/fail: reset drops the connection", reset)
st, _, _ = post(ok_body)
check("POST /fake/fail: then 500", st == 500)
with urllib.request.urlopen(URL + "/fake/stats") as r:
    stats = json.load(r)
check("GET /fake/stats counts requests and connections",
      stats["requests"] >= 19 and stats["connections"] >= 19 and
      stats["entries"] == len(records()), stats)

# The same requests to the run's real Loki, when there is one: the fake
# must answer them as Loki does (status, and the gist of the message).
real = os.environ.get("LOKI_URL")
tw = os.environ.get("TESTWORK", "")
if real:
    for _ in range(900):
        if os.path.exists(os.path.join(tw, "loki.rc")):
            break
        time.sleep(0.1)
    try:
        real_ok = open(os.path.join(tw, "loki.rc")).read().strip() == "0"
    except OSError:
        real_ok = False
else:
    real_ok = False
if not real_ok:
    print("skip fake_loki: answers as the real Loki does # no real Loki "
          "in this run")
else:
    now = time.time_ns()
    probes = [('{job="a"', "parse error"), ('{job="a\\q"}', "parse error"),
              ('{1job="a"}', "parse error"), ('{job=~"a"}', "parse error"),
              ("{}", "at least one label pair"),
              ('{job="a", job="b"}', "duplicate label name"),
              ('{job="sm", e=""}', ""), ("{job=`raw`}", ""),
              ('{ job = "sp" , x="\\u00e9" }', ""), ('{job="tc",}', "")]
    for labels, want in probes:
        body = proto([(labels, [(now, "probe", [])])])
        got = []
        for url in (URL, real):
            st, text, _ = post(body, base=url)
            got.append((st, want in text))
        check("answers %s as Loki does (%s)" % (labels, got[1][0]),
              got[0] == got[1] and got[0][1], got)

proc.terminate()
proc.wait()
sys.exit(1 if failed else 0)
