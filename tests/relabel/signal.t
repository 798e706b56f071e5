#!/usr/bin/python3
"""relabel as a long-running filter: it writes each entry out before it
waits for more input (flush before block), and on SIGTERM it finishes,
flushes and exits 0."""
import json
import os
import select
import signal
import subprocess
import sys

TOP = os.environ.get("TOP") or os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BIN = os.environ.get("BIN", os.path.join(TOP, "bin"))
failed = 0


def ok(name, cond, detail=""):
    global failed
    print(("ok " if cond else "not ok ") + "relabel signal " + name)
    if not cond:
        failed += 1
        if detail:
            sys.stderr.write("# %s\n" % detail[:2000])


def readline(p, timeout=5.0):
    r, _, _ = select.select([p.stdout], [], [], timeout)
    return p.stdout.readline() if r else b""


def main():
    if not os.access(os.path.join(BIN, "relabel"), os.X_OK):
        print("skip relabel signal all # no bin/relabel")
        return 0
    env = dict(os.environ, LOG_LEVEL="info", RELABEL_CONFIGS=json.dumps(
        [{"source_labels": ["a"], "target_label": "b"}]))
    wrap = os.environ.get("LP_WRAP", "").split()
    p = subprocess.Popen(wrap + [os.path.join(BIN, "relabel")],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env)
    p.stdin.write(b'{"ts":"1","labels":{"a":"x"},"line":"one"}\n')
    p.stdin.flush()
    got = readline(p)
    ok("an entry comes out while the input stays open",
       got == b'{"ts":"1","labels":{"a":"x","b":"x"},"line":"one"}\n',
       repr(got))
    p.stdin.write(b'{"flush":"t1"}\n')
    p.stdin.flush()
    got = readline(p)
    ok("a flush marker comes out at once", got == b'{"flush":"t1"}\n',
       repr(got))
    p.stdin.write(b'{"ts":"2","labels":{"a":"y"},"line":"two"}\n')
    p.stdin.flush()
    got = readline(p)
    p.send_signal(signal.SIGTERM)
    try:
        rest, err = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        rest, err = p.communicate()
    ok("SIGTERM: exit 0", p.returncode == 0, "rc %s %s" % (p.returncode,
                                                       err.decode()))
    ok("SIGTERM: everything read was written",
       got + rest == b'{"ts":"2","labels":{"a":"y","b":"y"},"line":"two"}\n',
       repr(got + rest))
    ok("SIGTERM: the summary is logged", b"msg=done" in err and
       b"entries=2" in err, err.decode())
    return 1 if failed else 0


sys.exit(main())
