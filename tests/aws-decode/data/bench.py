#!/usr/bin/python3
"""Benchmark of aws-decode, with baselines measured in the same run.

    /usr/bin/python3 tests/aws-decode/data/bench.py [BIN_DIR]

Builds (seeded, in a temporary directory) a stream of CloudWatch Logs
subscription events, one a line as lambda-runtime writes them, and a
stream of Kinesis batches of gzipped CloudWatch data; then times, on the
same bytes: `cat` (reading), `zcat` of the gzip payloads alone (the
inflate that any decoder must do), `jq -c '.logEvents[]'` on the inflated
payloads (a general JSON tool), and aws-decode. CPU time (user+sys of the
child) is the figure to compare on a shared machine; wall time is shown
too. Prints one line per measurement; no assertion (figures, not tests).
"""
import base64
import gzip
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time

TOP = os.path.normpath(os.path.join(os.path.dirname(
    os.path.abspath(__file__)), "..", "..", ".."))
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(TOP, "bin")


def line(rnd, i):
    return ("2024-05-01T10:00:%02d.%03dZ INFO request_id=%08x method=GET "
            "path=/api/v1/items/%d status=%d duration_ms=%d bytes=%d" % (
                i // 1000 % 60, i % 1000, rnd.getrandbits(32),
                rnd.randint(1, 99999), rnd.choice([200, 200, 404, 500]),
                rnd.randint(1, 900), rnd.randint(100, 90000)))


def cw_data(rnd, n, base):
    return {"messageType": "DATA_MESSAGE", "owner": "123456789012",
            "logGroup": "/aws/lambda/bench", "logStream": "s",
            "subscriptionFilters": ["f"],
            "logEvents": [{"id": str(base + i), "timestamp":
                           1714557600000 + base + i,
                           "message": line(rnd, base + i)}
                          for i in range(n)]}


def build(work):
    rnd = random.Random(7)
    entries = 0
    with open(os.path.join(work, "cw.jsonl"), "w") as out, \
            open(os.path.join(work, "cw.gz"), "wb") as gzo:
        for e in range(40):
            g = gzip.compress(json.dumps(cw_data(rnd, 8000, e * 8000),
                                         separators=(",", ":")).encode())
            gzo.write(g)
            out.write(json.dumps({"awslogs": {"data": base64.b64encode(
                g).decode()}}) + "\n")
            entries += 8000
    kentries = 0
    with open(os.path.join(work, "k.jsonl"), "w") as out, \
            open(os.path.join(work, "k.gz"), "wb") as gzo:
        for e in range(20):
            recs = []
            for r in range(100):
                g = gzip.compress(json.dumps(cw_data(rnd, 200, r * 200),
                                             separators=(",", ":")).encode())
                gzo.write(g)
                recs.append({"kinesis": {"sequenceNumber": str(r),
                                         "data": base64.b64encode(g).decode(),
                                         "approximateArrivalTimestamp":
                                         1714557600.5},
                             "eventSource": "aws:kinesis",
                             "eventSourceARN": "arn:aws:kinesis:x:1:stream/b"})
                kentries += 200
            out.write(json.dumps({"Records": recs}) + "\n")
    subprocess.run("zcat cw.gz > cw.inflated", shell=True, cwd=work,
                   check=True)
    return entries, kentries


def timed(cmd, work, stdin, stdout=subprocess.DEVNULL):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    with open(os.path.join(work, stdin), "rb") as f:
        subprocess.run(cmd, shell=True, cwd=work, stdin=f, stdout=stdout,
                       stderr=subprocess.DEVNULL, check=False)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime -
                                                 before.ru_stime)
    return cpu, wall, after.ru_maxrss


def best(cmd, work, stdin, runs=3):
    r = [timed(cmd, work, stdin) for _ in range(runs)]
    return min(x[0] for x in r), min(x[1] for x in r), r[-1][2]


def main():
    dec = os.path.join(BIN, "aws-decode")
    if not os.access(dec, os.X_OK):
        print("no %s" % dec)
        return 1
    work = tempfile.mkdtemp(prefix="bench-aws-decode.")
    try:
        n, kn = build(work)
        size = os.path.getsize(os.path.join(work, "cw.jsonl"))
        ksize = os.path.getsize(os.path.join(work, "k.jsonl"))
        print("# CloudWatch: %d events, %d bytes, %d log lines" %
              (40, size, n))
        rows = [
            ("cat", "cat", "cw.jsonl"),
            ("zcat (payloads only)", "zcat", "cw.gz"),
            ("jq -c .logEvents[] (inflated)", "jq -c '.logEvents[]'",
             "cw.inflated"),
            ("aws-decode", "'%s' --print-log-line=false" % dec, "cw.jsonl"),
            ("aws-decode, lines to stderr",
             "'%s' --print-log-line=true" % dec, "cw.jsonl"),
        ]
        for name, cmd, inp in rows:
            cpu, wall, _ = best(cmd, work, inp)
            print("%-32s cpu %6.3f s  wall %6.3f s  %7.0f lines/s (cpu)" %
                  (name, cpu, wall, n / cpu if cpu > 0 else 0))
        print("# Kinesis: 20 batches of 100 gzipped CloudWatch records, "
              "%d bytes, %d log lines" % (ksize, kn))
        for name, cmd, inp in [
                ("zcat (payloads only)", "zcat", "k.gz"),
                ("aws-decode", "'%s' --print-log-line=false" % dec,
                 "k.jsonl")]:
            cpu, wall, _ = best(cmd, work, inp)
            print("%-32s cpu %6.3f s  wall %6.3f s  %7.0f lines/s (cpu)" %
                  (name, cpu, wall, kn / cpu if cpu > 0 else 0))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
