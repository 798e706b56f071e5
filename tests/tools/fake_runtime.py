#!/usr/bin/python3
"""A fake AWS Lambda Runtime API (2018-06-01) for lokipipe's tests.

  fake_runtime.py --events FILE --record FILE [--port P] [--portfile F]
                  [--after-last hang|close|500] [--redeliver N]
                  [--fail SPEC ...] [--timeout-ms MS]

--events   JSON lines, handed out in order by GET .../invocation/next:
           {"id": "req-1", "event": <any JSON>}  or  {"raw": "<body>"}
           optional "timeout_ms" (deadline = now + it; default --timeout-ms)
--record   JSON lines appended as things happen:
           {"kind": "next", "id": ...}
           {"kind": "response"|"error", "id": ..., "body": <parsed JSON or
            the raw text>, "error_type": <header or null>, "ms": <since
            the event was handed out>}
           {"kind": "init_error", "body": ..., "error_type": ...}
           {"kind": "done"} once every event has been answered
           (each record also has "t", the Unix time it was written)
--after-last  what GET next does when nothing is left: hang (as a frozen
           Lambda does; default), close (drop the connection), 500
--redeliver N  an event answered with an error is handed out again, up to
           N times (as Lambda retries an asynchronous or SQS event)
--hold N:FILE  after N events, GET next waits until FILE exists (a
           benchmark measures at that quiet point)
--fail SPEC  fail on purpose; repeatable:
           next:500:N     the first N GET next answer 500
           next:reset:N   the first N GET next reset the connection
           next:bad:N     the first N GET next lack the request id header
           answer:500:N   the first N POSTs of a response/error answer 500
           slow:MS        wait MS before answering each GET next
Prints the port on stdout when ready. GET /_stats answers
{"connections": N, "handed": N, "answered": N}.
"""
import argparse
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

P = "/2018-06-01/runtime"


class State:
    def __init__(self, events, record, a):
        self.queue = list(events)
        self.total = len(events)
        self.rec = open(record, "a", buffering=1)
        self.lock = threading.Condition()
        self.handed = {}
        self.handed_ever = []
        self.answered = 0
        self.tries = {}
        self.connections = 0
        self.a = a
        self.fail = {}
        self.slow = 0
        for spec in a.fail or []:
            f = spec.split(":")
            if f[0] == "slow":
                self.slow = int(f[1]) / 1000.0
            else:
                self.fail[(f[0], f[1])] = int(f[2])
        self.done_written = False

    def use(self, where, what):
        with self.lock:
            n = self.fail.get((where, what), 0)
            if n > 0:
                self.fail[(where, what)] = n - 1
                return True
            return False

    def log(self, obj):
        obj["t"] = time.time()
        with self.lock:
            self.rec.write(json.dumps(obj) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *a):
        pass

    def setup(self):
        super().setup()
        with S.lock:
            S.connections += 1

    def reply(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def reset(self):
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                   b"\x01\x00\x00\x00\x00\x00\x00\x00")
        self.connection.close()
        self.close_connection = True

    def do_GET(self):
        if self.path == "/_stats":
            with S.lock:
                b = json.dumps({"connections": S.connections,
                                "handed": len(S.handed),
                                "answered": S.answered}).encode()
            return self.reply(200, b)
        if self.path != P + "/invocation/next":
            return self.reply(404, b'{"errorMessage":"no such path"}')
        if S.slow:
            time.sleep(S.slow)
        if S.use("next", "reset"):
            return self.reset()
        if S.use("next", "500"):
            return self.reply(500, b'{"errorMessage":"fake failure"}')
        if S.a.hold:
            n, f = S.a.hold.split(":", 1)
            import os
            while len(S.handed_ever) >= int(n) and not os.path.exists(f):
                time.sleep(0.01)
        with S.lock:
            while not S.queue and S.a.after_last == "hang":
                S.lock.wait(1.0)
            if not S.queue:
                if S.a.after_last == "close":
                    return self.reset()
                return self.reply(500, b'{"errorMessage":"no more"}')
            ev = S.queue.pop(0)
        rid = ev.get("id", "req-%d" % time.monotonic_ns())
        body = ev["raw"].encode() if "raw" in ev else \
            json.dumps(ev.get("event"), indent=1).encode()
        tmo = ev.get("timeout_ms", S.a.timeout_ms)
        with S.lock:
            S.handed[rid] = (ev, time.monotonic())
            S.handed_ever.append(rid)
        S.log({"kind": "next", "id": rid})
        hdrs = [("Content-Type", "application/json"),
                ("Lambda-Runtime-Deadline-Ms",
                 str(int(time.time() * 1000) + tmo)),
                ("Lambda-Runtime-Invoked-Function-Arn",
                 "arn:aws:lambda:us-east-1:123456789012:function:lokipipe"),
                ("Lambda-Runtime-Trace-Id", "Root=1-00000000-0")]
        if not S.use("next", "bad"):
            hdrs.append(("Lambda-Runtime-Aws-Request-Id", rid))
        self.reply(200, body, hdrs)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n).decode("utf-8", "replace")
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw
        etype = self.headers.get("Lambda-Runtime-Function-Error-Type")
        if self.path == P + "/init/error":
            S.log({"kind": "init_error", "body": body, "error_type": etype})
            return self.reply(202, b'{"status":"OK"}')
        parts = self.path[len(P):].split("/")
        if len(parts) != 4 or parts[1] != "invocation" or \
                parts[3] not in ("response", "error"):
            return self.reply(404, b'{"errorMessage":"no such path"}')
        rid = parts[2]
        with S.lock:
            h = S.handed.get(rid)
        if h is None:
            return self.reply(400, b'{"errorMessage":"unknown request id"}')
        if S.use("answer", "500"):
            return self.reply(500, b'{"errorMessage":"fake failure"}')
        ev, t0 = h
        S.log({"kind": parts[3], "id": rid, "body": body,
               "error_type": etype,
               "ms": round((time.monotonic() - t0) * 1000, 3)})
        with S.lock:
            del S.handed[rid]
            S.answered += 1
            if parts[3] == "error" and S.tries.get(rid, 0) < S.a.redeliver:
                S.tries[rid] = S.tries.get(rid, 0) + 1
                S.queue.append(ev)
                S.total += 1
            if S.answered >= S.total and not S.queue and \
                    not S.done_written:
                S.done_written = True
                S.rec.write(json.dumps({"kind": "done"}) + "\n")
            S.lock.notify_all()
        self.reply(202, b'{"status":"OK"}')


def main():
    global S
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--portfile")
    ap.add_argument("--events", required=True)
    ap.add_argument("--record", required=True)
    ap.add_argument("--after-last", default="hang",
                    choices=("hang", "close", "500"))
    ap.add_argument("--redeliver", type=int, default=0)
    ap.add_argument("--timeout-ms", type=int, default=30000)
    ap.add_argument("--fail", action="append")
    ap.add_argument("--hold")
    a = ap.parse_args()
    events = []
    with open(a.events) as f:
        for line in f:
            if line.strip():
                events.append(json.loads(line))
    S = State(events, a.record, a)
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    port = srv.server_address[1]
    if a.portfile:
        with open(a.portfile + ".tmp", "w") as f:
            f.write("%d\n" % port)
        import os
        os.rename(a.portfile + ".tmp", a.portfile)
    print(port, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
