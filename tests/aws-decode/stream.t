#!/usr/bin/python3
"""aws-decode as a long-running stage: with its input still open, an event
and its flush marker come out without waiting for EOF (flush before
blocking, at every control record); SIGTERM ends it cleanly after the
record in hand."""
import json
import os
import select
import signal
import subprocess
import sys

TOP = os.environ.get("TOP") or os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BIN = os.environ.get("BIN", os.path.join(TOP, "bin"))
WRAP = os.environ.get("LP_WRAP", "").split()
GOLD = os.path.join(TOP, "tests", "stages", "aws-decode")
failed = 0


def ok(name, cond, detail=""):
    global failed
    print(("ok " if cond else "not ok ") + "stream " + name)
    if not cond:
        failed += 1
        if detail:
            sys.stderr.write("# %s\n" % detail[:2000])


PENDING = [b""]


def readline(p, wait):
    """One line from p's stdout (raw fd: select must see what we have
    not read); b"" when none came within wait seconds. Generous: this
    tells "before EOF or not", it is not a timing check."""
    while b"\n" not in PENDING[0]:
        r, _, _ = select.select([p.stdout.fileno()], [], [], wait)
        if not r:
            return b""
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            break
        PENDING[0] += chunk
    line, nl, rest = PENDING[0].partition(b"\n")
    PENDING[0] = rest
    return line + nl


def main():
    if not os.access(os.path.join(BIN, "aws-decode"), os.X_OK):
        print("skip stream all # no bin/aws-decode")
        return 0
    with open(os.path.join(GOLD, "cw-print-flag-false.in"), "rb") as f:
        ev = f.read()
    with open(os.path.join(GOLD, "cw-print-flag-false.out"), "rb") as f:
        want = f.read()
    p = subprocess.Popen(WRAP + [os.path.join(BIN, "aws-decode"),
                                 "--print-log-line=false"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    got = b""
    for i in range(3):
        p.stdin.write(ev + b'{"flush":"r%d"}\n' % i)
        p.stdin.flush()
        out = b""
        for _ in range(want.count(b"\n") + 1):
            out += readline(p, 20)
        got += out
        ok("invocation %d: entries and marker before EOF" % i,
           out == want + b'{"flush":"r%d"}\n' % i, repr(out))
    # an event with no marker yet: SIGTERM, then it is written out
    p.stdin.write(ev)
    p.stdin.flush()
    first = readline(p, 20)
    p.send_signal(signal.SIGTERM)
    rest, err = p.communicate(timeout=60)
    rest = PENDING[0] + rest
    ok("SIGTERM: the record in hand is written, exit 0",
       first + rest == want and p.returncode == 0,
       "rc=%s out=%r err=%r" % (p.returncode, first + rest, err))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
