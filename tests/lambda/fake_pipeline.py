#!/usr/bin/python3
"""Stands in for aws-decode | ... | loki-push behind lambda-runtime: reads
its stdout, and for each flush marker writes what the event asked for
(its "_t" field) to the ack FIFO:
  ok            {"ack":id,"ok":true,...}
  fail:MSG      {"ack":id,"ok":false,"error":MSG}
  stale         an ack for another id first, then ok
  none          nothing (the invocation must time out)
  crash         a crash notice, as an s6 finish script writes it
  garbage       a bad line first, then ok
Every event line it read is appended to --seen."""
import json
import sys

acks_path, seen_path = sys.argv[1], sys.argv[2]
acks = open(acks_path, "w", buffering=1)
seen = open(seen_path, "a", buffering=1)
last = None
for line in sys.stdin:
    rec = json.loads(line)
    if "flush" not in rec:
        seen.write(line)
        last = rec
        continue
    rid = rec["flush"]
    t = (last or {}).get("_t", "ok")
    last = None
    if t == "stale":
        acks.write(json.dumps({"ack": "old-" + rid, "ok": False,
                               "error": "old"}) + "\n")
        t = "ok"
    if t == "garbage":
        acks.write("{not json\n")
        t = "ok"
    if t == "ok":
        acks.write(json.dumps({"ack": rid, "ok": True, "entries": 3,
                               "bytes": 42}) + "\n")
    elif t.startswith("fail:"):
        acks.write(json.dumps({"ack": rid, "ok": False,
                               "error": t[5:]}) + "\n")
    elif t == "crash":
        acks.write('{"crash":"relabel","status":256,"signal":9}\n')
