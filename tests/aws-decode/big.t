#!/usr/bin/python3
"""aws-decode with events as big as Lambda takes (6 MB payload): a
CloudWatch Logs event whose gzip payload is ~4.4 MB, a Kinesis batch of
mixed gzip/plain records, one on a line and pretty-printed. Every entry is
compared with what this script computes from the event, and the peak
memory (max RSS, from /usr/bin/time) must stay within a bound that a
quadratic or hoarding decoder would break."""
import base64
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile

TOP = os.environ.get("TOP") or os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BIN = os.environ.get("BIN", os.path.join(TOP, "bin"))
WRAP = os.environ.get("LP_WRAP", "").split()
LIMIT = 6 * 1000 * 1000		# Lambda's synchronous payload limit
RSS_MAX_KB = 160 * 1024		# ~25x the event; a few copies fit
failed = 0
ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/big"


def ok(name, cond, detail=""):
    global failed
    print(("ok " if cond else "not ok ") + "big " + name)
    if not cond:
        failed += 1
        if detail:
            sys.stderr.write("# %s\n" % detail[:2000])


def compact(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def entry(ts, labels, line):
    return '{"ts":"%d","labels":%s,"line":%s}\n' % (
        ts, compact(labels), compact(line))


def words(rnd, n):
    abc = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 "
    return "".join(rnd.choice(abc) for _ in range(n))


def cw_event(rnd):
    """A CloudWatch event just under LIMIT; returns (event, expected)."""
    evs, size, i = [], 0, 0
    # random text compresses to ~0.75; base64 adds 4/3: ~1 byte of event
    # per byte of message
    while size < LIMIT * 1.14:
        m = "req=%06d " % i + words(rnd, 300)
        evs.append({"id": str(i), "timestamp": 1714557600000 + i,
                    "message": m})
        size += len(m) + 60
        i += 1
    data = {"messageType": "DATA_MESSAGE", "owner": "123456789012",
            "logGroup": "/aws/lambda/big", "logStream": "s",
            "subscriptionFilters": ["f"], "logEvents": evs}
    ev = {"awslogs": {"data": base64.b64encode(
        gzip.compress(compact(data).encode(), mtime=0)).decode()}}
    while len(compact(ev)) > LIMIT:
        del evs[-max(1, len(evs) // 100):]
        ev = {"awslogs": {"data": base64.b64encode(
            gzip.compress(compact(data).encode(), mtime=0)).decode()}}
    lab = {"__aws_log_type": "cloudwatch",
           "__aws_cloudwatch_log_group": "/aws/lambda/big",
           "__aws_cloudwatch_owner": "123456789012"}
    out = "".join(entry(e["timestamp"] * 1000000, lab, e["message"])
                  for e in evs)
    return ev, out, len(evs)


def kinesis_event(rnd):
    recs, out, i = [], [], 0
    size = 0
    klab = {"__aws_log_type": "kinesis",
            "__aws_kinesis_event_source_arn": ARN}
    while size < LIMIT * 0.95:
        if i % 2 == 0:
            evs = [{"id": str(j), "timestamp": 1714557700000 + i * 10 + j,
                    "message": words(rnd, 120)} for j in range(20)]
            d = {"messageType": "DATA_MESSAGE", "owner": "1",
                 "logGroup": "/g/%d" % (i % 7), "logStream": "s",
                 "subscriptionFilters": [], "logEvents": evs}
            raw = gzip.compress(compact(d).encode(), mtime=0)
            lab = {"__aws_log_type": "kinesis",
                   "__aws_kinesis_event_source_arn": ARN,
                   "__aws_cloudwatch_log_group": d["logGroup"],
                   "__aws_cloudwatch_owner": "1"}
            out += [entry(e["timestamp"] * 1000000, lab, e["message"])
                    for e in evs]
        else:
            lines = [words(rnd, 200) for _ in range(10)]
            raw = ("\n".join(lines) + "\n").encode()
            out += [entry((1714557800000 + i) * 1000000, klab, x)
                    for x in lines]
        recs.append({"kinesis": {"sequenceNumber": str(i),
                                 "data": base64.b64encode(raw).decode(),
                                 "approximateArrivalTimestamp":
                                 (1714557800000 + i) / 1000.0},
                     "eventSource": "aws:kinesis", "eventSourceARN": ARN})
        size += len(recs[-1]["kinesis"]["data"]) + 200
        i += 1
    return {"Records": recs}, "".join(out), i


def run(inp, name):
    with tempfile.TemporaryFile() as fin, tempfile.TemporaryFile() as fout:
        fin.write(inp.encode())
        fin.seek(0)
        tf = tempfile.NamedTemporaryFile(delete=False)
        tf.close()
        cmd = WRAP + [os.path.join(BIN, "aws-decode"),
                      "--print-log-line=false"]
        if not WRAP and os.access("/usr/bin/time", os.X_OK):
            cmd = ["/usr/bin/time", "-f", "%M", "-o", tf.name] + cmd
        p = subprocess.run(cmd, stdin=fin, stdout=fout,
                           stderr=subprocess.PIPE, timeout=600)
        fout.seek(0)
        got = fout.read().decode()
        try:
            rss = int(open(tf.name).read().split()[-1])
        except (OSError, ValueError, IndexError):
            rss = None
        os.unlink(tf.name)
    return p.returncode, got, p.stderr.decode(), rss


def main():
    if not os.access(os.path.join(BIN, "aws-decode"), os.X_OK):
        print("skip big all # no bin/aws-decode")
        return 0
    rnd = random.Random(6)
    ev, want, n = cw_event(rnd)
    line = compact(ev)
    ok("cloudwatch event is near 6 MB", LIMIT * 0.9 < len(line) <= LIMIT,
       str(len(line)))
    rc, got, err, rss = run(line + "\n" + '{"flush":"x"}\n', "cw")
    ok("cloudwatch 6 MB: %d entries, exact" % n,
       rc == 0 and got == want + '{"flush":"x"}\n', err)
    if rss is not None:
        print("# cloudwatch 6 MB event (%d bytes): max RSS %d KiB" %
              (len(line), rss))
        ok("cloudwatch 6 MB: memory bounded", rss < RSS_MAX_KB, str(rss))
    rc, got, err, rss = run(json.dumps(ev, indent=2) + "\n", "cw-pretty")
    ok("cloudwatch 6 MB pretty-printed: exact", rc == 0 and got == want,
       err)

    ev, want, n = kinesis_event(rnd)
    line = compact(ev)
    ok("kinesis batch is near 6 MB", LIMIT * 0.9 < len(line) <= LIMIT,
       str(len(line)))
    rc, got, err, rss = run(line + "\n", "kinesis")
    ok("kinesis 6 MB, %d records of gzip and plain data: exact" % n,
       rc == 0 and got == want, err)
    if rss is not None:
        print("# kinesis 6 MB batch (%d bytes): max RSS %d KiB" %
              (len(line), rss))
        ok("kinesis 6 MB: memory bounded", rss < RSS_MAX_KB, str(rss))
    # two in a row, pretty: state from the first must not leak
    rc, got, err, rss = run((json.dumps(ev, indent=1) + "\n") * 2,
                            "kinesis-twice")
    ok("kinesis 6 MB twice, pretty: exact", rc == 0 and got == want * 2,
       err)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
