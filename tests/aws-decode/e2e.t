#!/usr/bin/python3
"""End to end: aws-decode < event | batch | loki-push into
tests/tools/fake_loki.py (and into the run's real Loki when there is one).
The entries Loki stores must be exactly the golden entries of the same
events; an event aws-decode refuses must turn the ack into ok:false with
its reason; a Loki that fails for a while must not lose anything."""
import base64
import gzip
import json
import os
import random
import shutil
import signal
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


def ok(name, cond, detail=""):
    global failed
    print(("ok " if cond else "not ok ") + "e2e " + name)
    if not cond:
        failed += 1
        if detail:
            sys.stderr.write("# %s\n" % detail[:3000].replace("\n", "\n# "))


def compact(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def key(e):
    return (compact(dict(sorted(e["labels"].items()))), int(e["ts"]),
            e["line"])


def golden(name):
    """The entries of a golden case (its .out without control records)."""
    with open(os.path.join(GOLD, name + ".out"), encoding="utf-8") as f:
        recs = [json.loads(x) for x in f]
    return sorted(key(r) for r in recs if "line" in r)


def start_fake(work, *fail):
    pf = os.path.join(work, "port")
    rec = os.path.join(work, "record.jsonl")
    for f in (pf, rec):
        if os.path.exists(f):
            os.unlink(f)
    args = [PY, os.path.join(TOOLS, "fake_loki.py"), "--port-file", pf,
            "--record", rec]
    for f in fail:
        args += ["--fail", f]
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    for _ in range(500):
        if os.path.exists(pf) and open(pf).read().strip():
            return p, int(open(pf).read().strip()), rec
        time.sleep(0.02)
    p.kill()
    raise RuntimeError("fake_loki did not start")


def pipeline(inp, url, extra_env=None):
    env = dict(os.environ, PRINT_LOG_LINE="false", WRITE_ADDRESS=url,
               LOG_LEVEL="warn")
    env.update(extra_env or {})
    sh = ('"$B/aws-decode" | "$B/batch" | '
          '"$B/loki-push" --min-backoff 10ms --max-backoff 50ms')
    env["B"] = BIN
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
    # CloudWatch and Kinesis events, their golden entries as the reference
    for case in ("cw-lines-flush", "kinesis-mixed", "sqs-sample"):
        srv, port, rec = start_fake(work)
        try:
            inp = read(case)
            if not inp.rstrip("\n").endswith("}") or '"flush"' not in inp:
                inp += '{"flush":"end"}\n'
            rc, acks, err = pipeline(
                inp, "http://127.0.0.1:%d/loki/api/v1/push" % port)
            want = golden(case)
            got = recorded(rec)
            ok("%s: Loki stores the golden entries (%d)" % (case, len(want)),
               got == want, "got %d entries\n%s" % (len(got), err))
            ok("%s: every ack ok" % case, rc == 0 and len(acks) >= 1 and
               all(a.get("ok") is True for a in acks), compact(acks) + err)
            ok("%s: ack counts the entries" % case,
               sum(a.get("entries", 0) for a in acks) == len(want),
               compact(acks))
        finally:
            srv.terminate()
            srv.wait()

    # a refused event: the ack says why, and the good entries still land
    srv, port, rec = start_fake(work)
    try:
        inp = read("unknown-events")
        rc, acks, err = pipeline(
            inp, "http://127.0.0.1:%d/loki/api/v1/push" % port)
        ok("refused event: ack ok:false with aws-decode's reason",
           len(acks) == 2 and acks[0].get("ok") is False and
           "aws-decode: unknown event (keys: hello, n)" in
           acks[0].get("error", "") and acks[1].get("ok") is True,
           compact(acks) + err)
        ok("refused event: the next event's entries stored",
           recorded(rec) == golden("unknown-events"), err)
    finally:
        srv.terminate()
        srv.wait()

    # Loki answers 500 twice, then 429: retried, nothing lost
    srv, port, rec = start_fake(work, "500:2", "429:1")
    try:
        rc, acks, err = pipeline(
            read("kinesis-mixed"), "http://127.0.0.1:%d/loki/api/v1/push"
            % port)
        ok("Loki failing for a while: all entries, ack ok",
           recorded(rec) == golden("kinesis-mixed") and rc == 0 and
           acks and acks[-1].get("ok") is True, compact(acks) + err)
    finally:
        srv.terminate()
        srv.wait()


def real_loki():
    url = os.environ.get("LOKI_URL")
    tw = os.environ.get("TESTWORK")
    if not url or not tw:
        print("skip e2e real Loki # no real Loki in this run")
        return
    rcf = os.path.join(tw, "loki.rc")
    for _ in range(900):
        if os.path.exists(rcf):
            break
        time.sleep(0.1)
    if not os.path.exists(rcf) or open(rcf).read().strip() != "0":
        print("skip e2e real Loki # real Loki did not start")
        return
    group = "/e2e/%d-%d" % (os.getpid(), random.randrange(1 << 30))
    now = int(time.time() * 1000)
    evs = [{"id": str(i), "timestamp": now - 1000 + i,
            "message": "e2e line %d \u2713" % i} for i in range(25)]
    data = {"messageType": "DATA_MESSAGE", "owner": "123456789012",
            "logGroup": group, "logStream": "s", "subscriptionFilters": [],
            "logEvents": evs}
    ev = {"awslogs": {"data": base64.b64encode(
        gzip.compress(compact(data).encode())).decode()}}
    rc, acks, err = pipeline(compact(ev) + '\n{"flush":"r"}\n',
                             url + "/loki/api/v1/push")
    ok("real Loki: ack ok", rc == 0 and acks and acks[0].get("ok") is True,
       compact(acks) + err)
    q = subprocess.run([PY, os.path.join(TOOLS, "loki_query.py"), "--url",
                        url, "--query",
                        '{__aws_cloudwatch_log_group="%s"}' % group,
                        "--wait-count", str(len(evs)), "--timeout", "20"],
                       capture_output=True, timeout=60)
    got = sorted(key(json.loads(x)) for x in q.stdout.decode().splitlines())
    lab = {"__aws_log_type": "cloudwatch",
           "__aws_cloudwatch_log_group": group,
           "__aws_cloudwatch_owner": "123456789012"}
    want = sorted(key({"labels": lab, "ts": e["timestamp"] * 1000000,
                       "line": e["message"]}) for e in evs)
    ok("real Loki: the entries read back, labels and ns timestamps exact",
       got == want, q.stderr.decode() + "\n" + "\n".join(map(str, got[:3])))


def main():
    for b in ("aws-decode", "batch", "loki-push"):
        if not os.access(os.path.join(BIN, b), os.X_OK):
            print("skip e2e all # no bin/%s" % b)
            return 0
    work = tempfile.mkdtemp(prefix="e2e.",
                            dir=os.environ.get("TESTWORK") or None)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    with_fake(work)
    real_loki()
    if failed == 0:
        shutil.rmtree(work, ignore_errors=True)
    else:
        sys.stderr.write("# kept %s\n" % work)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
