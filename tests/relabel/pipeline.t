#!/usr/bin/python3
"""aws-decode < events | relabel | batch | loki-push, into
tests/tools/fake_loki.py (and the run's real Loki when there is one): the
labels Loki stores are the relabeled ones, worked out here independently
of lib/relabel from the documentation's multi-rule example and
EXTRA_LABELS; an invalid record in front of relabel turns the ack into
ok:false with relabel's reason, and the entries around it still land."""
import json
import os
import random
import subprocess
import sys
import tempfile
import time

TOP = os.environ.get("TOP") or os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BIN = os.environ.get("BIN", os.path.join(TOP, "bin"))
GOLD = os.path.join(TOP, "tests", "stages", "aws-decode")
TOOLS = os.path.join(TOP, "tests", "tools")
PY = "/usr/bin/python3"
failed = 0

RULES = [
    {"source_labels": ["__aws_log_type"], "target_label": "log_type",
     "action": "replace", "regex": "(.*)", "replacement": "${1}"},
    {"source_labels": ["__aws_cloudwatch_log_group"],
     "target_label": "log_group", "action": "replace"},
    {"regex": "__aws_.*", "action": "labeldrop"},
]
ENV = {"RELABEL_CONFIGS": json.dumps(RULES),
       "EXTRA_LABELS": "env,prod,team,payments",
       "OMIT_EXTRA_LABELS_PREFIX": "true"}


def ok(name, cond, detail=""):
    global failed
    print(("ok " if cond else "not ok ") + "relabel pipeline " + name)
    if not cond:
        failed += 1
        if detail:
            sys.stderr.write("# %s\n" % detail[:3000].replace("\n", "\n# "))


def expect(labels):
    """The rules above, by hand."""
    out = {"env": "prod", "team": "payments"}
    if labels.get("__aws_log_type"):
        out["log_type"] = labels["__aws_log_type"]
    if labels.get("__aws_cloudwatch_log_group"):
        out["log_group"] = labels["__aws_cloudwatch_log_group"]
    for k, v in labels.items():
        if not k.startswith("__aws_") and k not in out:
            out[k] = v
    return out


def key(e):
    return (json.dumps(dict(sorted(e["labels"].items())), sort_keys=True),
            int(e["ts"]), e["line"])


def golden_expected(name):
    with open(os.path.join(GOLD, name + ".out"), encoding="utf-8") as f:
        recs = [json.loads(x) for x in f]
    return sorted(key({"labels": expect(r["labels"]), "ts": r["ts"],
                       "line": r["line"]}) for r in recs if "line" in r)


def start_fake(work):
    pf = os.path.join(work, "port")
    rec = os.path.join(work, "record.jsonl")
    for f in (pf, rec):
        if os.path.exists(f):
            os.unlink(f)
    p = subprocess.Popen([PY, os.path.join(TOOLS, "fake_loki.py"),
                          "--port-file", pf, "--record", rec],
                         stdout=subprocess.DEVNULL)
    for _ in range(500):
        if os.path.exists(pf) and open(pf).read().strip():
            return p, int(open(pf).read().strip()), rec
        time.sleep(0.02)
    p.kill()
    raise RuntimeError("fake_loki did not start")


def pipeline(inp, url, inject=""):
    env = dict(os.environ, PRINT_LOG_LINE="false", WRITE_ADDRESS=url,
               LOG_LEVEL="warn", B=BIN, INJECT=inject)
    env.update(ENV)
    sh = ('{ "$B/aws-decode"; printf "%s" "$INJECT"; } | "$B/relabel" | '
          '"$B/batch" | "$B/loki-push" --min-backoff 10ms '
          '--max-backoff 50ms')
    p = subprocess.run(["sh", "-c", sh], input=inp.encode(), env=env,
                       capture_output=True, timeout=120)
    acks = [json.loads(x) for x in p.stdout.decode().splitlines()]
    return p.returncode, acks, p.stderr.decode()


def recorded(rec):
    if not os.path.exists(rec):
        return []
    with open(rec, encoding="utf-8") as f:
        return sorted(key(json.loads(x)) for x in f if x.strip())


def read(name):
    with open(os.path.join(GOLD, name + ".in"), encoding="utf-8") as f:
        return f.read()


def with_fake(work):
    for case in ("cw-lines-flush", "kinesis-mixed"):
        srv, port, rec = start_fake(work)
        try:
            inp = read(case)
            if '"flush"' not in inp:
                inp += '{"flush":"end"}\n'
            rc, acks, err = pipeline(
                inp, "http://127.0.0.1:%d/loki/api/v1/push" % port)
            want = golden_expected(case)
            got = recorded(rec)
            ok("%s: Loki stores the relabeled entries (%d)"
               % (case, len(want)), got == want and len(want) > 0,
               "got %s\nwant %s\n%s" % (got[:2], want[:2], err))
            ok("%s: every ack ok" % case, rc == 0 and len(acks) >= 1 and
               all(a.get("ok") is True for a in acks),
               json.dumps(acks) + err)
        finally:
            srv.terminate()
            srv.wait()

    # an invalid record reaches relabel before a flush marker
    srv, port, rec = start_fake(work)
    try:
        inp = read("cw-lines-flush")
        bad = ('{"ts":"1","labels":{"a-b":"x"},"line":"bad name"}\n'
               '{"flush":"after-bad"}\n')
        rc, acks, err = pipeline(
            inp, "http://127.0.0.1:%d/loki/api/v1/push" % port, bad)
        last = acks[-1] if acks else {}
        ok("invalid record: its flush is acked ok:false with relabel's "
           "reason", last.get("ack") == "after-bad" and
           last.get("ok") is False and
           "relabel: input line" in last.get("error", ""),
           json.dumps(acks) + err)
        ok("invalid record: the other entries stored",
           recorded(rec) == golden_expected("cw-lines-flush"), err)
    finally:
        srv.terminate()
        srv.wait()


def real_loki():
    url = os.environ.get("LOKI_URL")
    tw = os.environ.get("TESTWORK")
    if not url or not tw:
        print("skip relabel pipeline real Loki # no real Loki in this run")
        return
    rcf = os.path.join(tw, "loki.rc")
    for _ in range(900):
        if os.path.exists(rcf):
            break
        time.sleep(0.1)
    if not os.path.exists(rcf) or open(rcf).read().strip() != "0":
        print("skip relabel pipeline real Loki # real Loki did not start")
        return
    team = "t%d%d" % (os.getpid(), random.randrange(1 << 20))
    now = int(time.time() * 1e9)
    lines = [{"ts": str(now - 1000000 * (20 - i)),
              "labels": {"__aws_log_type": "cloudwatch",
                         "__aws_cloudwatch_log_group": "/relabel/e2e",
                         "__aws_cloudwatch_owner": "123456789012"},
              "line": "relabel e2e %d" % i} for i in range(20)]
    env = dict(os.environ, WRITE_ADDRESS=url + "/loki/api/v1/push",
               LOG_LEVEL="warn", B=BIN)
    env.update(ENV)
    env["EXTRA_LABELS"] = "env,prod,team," + team
    inp = "".join(json.dumps(x) + "\n" for x in lines) + '{"flush":"r"}\n'
    p = subprocess.run(["sh", "-c", '"$B/relabel" | "$B/batch" | '
                        '"$B/loki-push"'], input=inp.encode(), env=env,
                       capture_output=True, timeout=60)
    ok("real Loki: ack ok", p.returncode == 0 and b'"ok":true' in p.stdout,
       p.stdout.decode() + p.stderr.decode())
    q = subprocess.run([PY, os.path.join(TOOLS, "loki_query.py"), "--url",
                        url, "--query", '{team="%s"}' % team,
                        "--wait-count", str(len(lines)), "--timeout", "20"],
                       capture_output=True, timeout=60)
    got = sorted(key(json.loads(x)) for x in q.stdout.decode().splitlines())
    want = sorted(key({"labels": {"env": "prod", "team": team,
                                  "log_type": "cloudwatch",
                                  "log_group": "/relabel/e2e"},
                       "ts": x["ts"], "line": x["line"]}) for x in lines)
    ok("real Loki: entries read back with the relabeled labels",
       got == want, q.stderr.decode() + "\n" + "\n".join(map(str, got[:3])))


def main():
    for b in ("aws-decode", "relabel", "batch", "loki-push"):
        if not os.access(os.path.join(BIN, b), os.X_OK):
            print("skip relabel pipeline all # no bin/%s" % b)
            return 0
    work = tempfile.mkdtemp(prefix="relabel-e2e.",
                            dir=os.environ.get("TESTWORK") or None)
    with_fake(work)
    real_loki()
    return 1 if failed else 0


sys.exit(main())
