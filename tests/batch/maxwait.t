#!/usr/bin/python3
"""batch flushes by age: an entry written to an input that stays open
reaches stdout (as a push body) without a flush marker or EOF; with
--max-wait 0 it does not, until EOF."""
import os
import select
import subprocess
import sys

BIN = os.environ.get("BIN") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "bin")
wrap = os.environ.get("LP_WRAP", "").split()
failed = 0


def run(args, name, want_body_before_eof):
    global failed
    p = subprocess.Popen(wrap + [os.path.join(BIN, "batch")] + args,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    p.stdin.write(b'{"ts":"1","labels":{"a":"1"},"line":"held"}\n')
    p.stdin.flush()
    # generous: this is not a timing check, only "before EOF or not"
    r, _, _ = select.select([p.stdout], [], [], 5 if want_body_before_eof
                            else 1.5)
    early = p.stdout.readline() if r else b""
    p.stdin.close()
    rest = p.stdout.read()
    p.wait()
    body = b'{"streams":[{"stream":{"a":"1"},"values":[["1","held"]]}]}\n'
    if want_body_before_eof:
        good = early == body and rest == b"" and p.returncode == 0
    else:
        good = early == b"" and rest == body and p.returncode == 0
    print(("ok " if good else "not ok ") + name)
    if not good:
        failed += 1
        print("# early=%r rest=%r rc=%s" % (early, rest, p.returncode),
              file=sys.stderr)


run(["--max-wait", "100ms"], "batch flushes a held entry after max-wait",
    True)
run(["--max-wait", "0"], "batch with max-wait 0 holds until EOF", False)
sys.exit(1 if failed else 0)
