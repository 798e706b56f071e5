#!/usr/bin/python3
"""loki_query.py: reads entries back from a real Loki, in fake_loki's form.

Usage:
  loki_query.py --url http://127.0.0.1:PORT --query '{job="x"}'
                [--start NS] [--end NS] [--tenant T] [--record-tenant T]
                [--wait-count N] [--timeout S]

Runs query_range (direction forward, paged) over [start, end] (default:
the last hour up to now + 10 min) with X-Loki-Response-Encoding-Flags:
categorize-labels, so that structured metadata comes apart from the
stream labels, and prints one JSON line per entry, as fake_loki.py
records them:
  {"labels":{..},"line":L,"metadata":{..},"tenant":T,"ts":"NS"}
(keys sorted). "tenant" is --record-tenant (default: --tenant, or "").
With --wait-count N it polls until at least N entries are seen (Loki makes
pushed entries queryable at once, but a test should not depend on it).
Exit: 0, 1 when fewer than --wait-count entries arrived in time, 2 on a
query error.
"""
import argparse
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def query(args, start, end):
    q = urllib.parse.urlencode({
        "query": args.query, "start": str(start), "end": str(end),
        "limit": str(args.limit), "direction": "forward"})
    req = urllib.request.Request(
        args.url.rstrip("/") + "/loki/api/v1/query_range?" + q)
    req.add_header("X-Loki-Response-Encoding-Flags", "categorize-labels")
    if args.tenant:
        req.add_header("X-Scope-OrgID", args.tenant)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def fetch_all(args, start, end):
    out = {}
    cur = start
    while True:
        doc = query(args, cur, end)
        if doc.get("status") != "success":
            raise RuntimeError("query failed: %r" % doc)
        n = 0
        last = cur
        for s in doc["data"]["result"]:
            labels = s.get("stream", {})
            for v in s.get("values", []):
                n += 1
                ts = int(v[0])
                last = max(last, ts)
                md = {}
                if len(v) > 2 and isinstance(v[2], dict):
                    md = v[2].get("structuredMetadata") or {}
                rec = {"tenant": args.record_tenant, "labels": labels,
                       "ts": v[0], "line": v[1], "metadata": md}
                key = json.dumps(rec, sort_keys=True)
                out[key] = (ts, key)
        if n < args.limit or last >= end:
            break
        # next page starts at the last timestamp seen (kept: several
        # entries can share it; duplicates are merged by key)
        if last == cur:
            break
        cur = last
    return [k for _, k in sorted(out.values())]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--query", required=True)
    ap.add_argument("--start", type=int)
    ap.add_argument("--end", type=int)
    ap.add_argument("--tenant", default="")
    ap.add_argument("--record-tenant")
    ap.add_argument("--limit", type=int, default=5000)
    ap.add_argument("--wait-count", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=15)
    args = ap.parse_args()
    if args.record_tenant is None:
        args.record_tenant = args.tenant
    now = time.time_ns()
    start = args.start if args.start is not None else now - 3600 * 10**9
    end = args.end if args.end is not None else now + 600 * 10**9
    deadline = time.time() + args.timeout
    while True:
        try:
            lines = fetch_all(args, start, end)
        except (urllib.error.URLError, RuntimeError, OSError) as e:
            body = ""
            if isinstance(e, urllib.error.HTTPError):
                body = e.read().decode("utf-8", "replace").strip()
            sys.stderr.write("loki_query: %s %s\n" % (e, body))
            return 2
        if len(lines) >= args.wait_count or time.time() > deadline:
            break
        time.sleep(0.25)
    for k in lines:
        sys.stdout.write(k + "\n")
    return 0 if len(lines) >= args.wait_count else 1


if __name__ == "__main__":
    sys.exit(main())
