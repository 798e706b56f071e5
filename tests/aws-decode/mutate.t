#!/usr/bin/python3
"""aws-decode against damaged events: the golden inputs with bytes
flipped, cut, repeated and deleted, at the JSON level and inside the
CloudWatch payload (re-gzipped, re-encoded, so the damage reaches the
payload parser). Whatever the damage, the stage must exit 0 or 1 (never
crash or be killed; under SANITIZE=1 or VALGRIND=1 no report), write only
whole valid records, and keep every flush marker of the input that
survived, in order. Seeded: the same damage every run."""
import base64
import glob
import gzip
import json
import os
import random
import subprocess
import sys

TOP = os.environ.get("TOP") or os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BIN = os.environ.get("BIN", os.path.join(TOP, "bin"))
WRAP = os.environ.get("LP_WRAP", "").split()
GOLD = os.path.join(TOP, "tests", "stages", "aws-decode")
RUNS = int(os.environ.get("MUTATE_RUNS") or (40 if WRAP else 400))
failed = 0


def ok(name, cond, detail=""):
    global failed
    print(("ok " if cond else "not ok ") + "mutate " + name)
    if not cond:
        failed += 1
        if detail:
            sys.stderr.write("# %s\n" % detail[:2000])


def damage(rnd, b):
    b = bytearray(b)
    for _ in range(rnd.randint(1, 4)):
        if not b:
            break
        op = rnd.randrange(5)
        i = rnd.randrange(len(b))
        if op == 0:
            b[i] = rnd.randrange(256)
        elif op == 1:
            del b[i:i + rnd.randint(1, 64)]
        elif op == 2:
            j = rnd.randrange(len(b))
            b[i:i] = b[j:j + rnd.randint(1, 64)]
        elif op == 3:
            b[i:i] = bytes([rnd.choice(b'{}[]",:\\\n0')])
        else:
            del b[i:]
    return bytes(b)


def damage_payload(rnd, line):
    """Damage the inside of awslogs.data; None when line has none."""
    try:
        ev = json.loads(line)
        raw = gzip.decompress(base64.b64decode(ev["awslogs"]["data"]))
    except Exception:
        return None
    ev["awslogs"]["data"] = base64.b64encode(
        gzip.compress(damage(rnd, raw), mtime=0)).decode()
    return json.dumps(ev).encode()


def valid_record(x):
    try:
        r = json.loads(x)
    except ValueError:
        return False
    if "flush" in r or "ack" in r:
        return True
    return (isinstance(r.get("ts"), str) and r["ts"].isdigit() and
            isinstance(r.get("labels"), dict) and
            isinstance(r.get("line"), str))


def main():
    if not os.access(os.path.join(BIN, "aws-decode"), os.X_OK):
        print("skip mutate all # no bin/aws-decode")
        return 0
    inputs = []
    for f in sorted(glob.glob(os.path.join(GOLD, "*.in"))):
        with open(f, "rb") as fh:
            b = fh.read()
        if b.strip() and os.path.getsize(f) < 200000:
            inputs.append(b)
    rnd = random.Random(4)
    bad = []
    for n in range(RUNS):
        src = rnd.choice(inputs)
        lines = src.split(b"\n")
        k = rnd.randrange(len(lines))
        if b'"flush"' in lines[k]:
            pass
        elif rnd.random() < 0.4:
            p = damage_payload(rnd, lines[k])
            if p is not None:
                lines[k] = p
            else:
                lines[k] = damage(rnd, lines[k])
        else:
            lines[k] = damage(rnd, lines[k])
        inp = b"\n".join(lines)
        p = subprocess.run(WRAP + [os.path.join(BIN, "aws-decode"),
                                   "--print-log-line=false"], input=inp,
                           capture_output=True, timeout=120)
        out = p.stdout.decode("utf-8", "replace")
        want_flush = [json.loads(x)["flush"] for x in
                      inp.decode("utf-8", "replace").split("\n")
                      if x.startswith('{"flush":')]
        got_flush = []
        why = ""
        if p.returncode not in (0, 1):
            why = "exit %d" % p.returncode
        elif out and not out.endswith("\n"):
            why = "last record cut"
        else:
            for x in out.splitlines():
                if not valid_record(x):
                    why = "invalid record %r" % x[:200]
                    break
                if x.startswith('{"flush":'):
                    got_flush.append(json.loads(x)["flush"])
            if not why and got_flush != want_flush:
                why = "flush markers %r, want %r" % (got_flush, want_flush)
        if why:
            bad.append("run %d: %s; stderr %s" % (
                n, why, p.stderr.decode("utf-8", "replace")[-500:]))
    ok("%d damaged inputs: exit 0/1, whole valid records, markers kept"
       % RUNS, not bad, "\n".join(bad[:5]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
