#!/usr/bin/python3
"""gen.py: test data for loki-push suites.

  gen.py bodies  OUT EXPECT [--seed S] [--n N] [--streams K] [--tenants T]
                 [--job J] [--flush-every M] [--hostile]
      push bodies (with flush markers every M bodies and one at the end)
  gen.py entries OUT EXPECT [same options]
      entries for bin/batch (tenant via __tenant_id__), ending in a flush

EXPECT gets one line per entry in fake_loki.py's record form (keys
sorted; labels with empty values dropped, as Loki does), so a suite can
compare `sort EXPECT` with `sort RECORD`. Timestamps are near now (a real
Loki then serves them from its ingesters at once), in nanoseconds, with
odd digits so that a precision loss shows.
"""
import argparse
import json
import random
import time

HOSTILE_VALUES = ['q"uote', "back\\slash", "new\nline", "tab\there",
                  "ctl\x01\x1f", "caf\u00e9 \u2603 \U0001F600", "{a=\"b\"}",
                  "comma, space", "x" * 300]
HOSTILE_LINES = ['{"json":"in a line"}', "line with \"quotes\" and \\",
                 "multi\nline\r\nentry", "\u00fcnic\u00f6de \U0001F680",
                 "tab\tand\x00nul", " leading and trailing ", "a" * 5000]


def make(args):
    rnd = random.Random(args.seed)
    base = time.time_ns() - 60 * 10**9
    streams = []
    for k in range(args.streams):
        labels = {"job": args.job, "stream": "s%d" % k,
                  "__aws_log_type": "cloudwatch"}
        if args.hostile:
            labels["v"] = HOSTILE_VALUES[k % len(HOSTILE_VALUES)]
            labels["__aws_cloudwatch_log_group"] = "/aws/lambda/f%d" % k
        if k % 3 == 2:
            labels["empty"] = ""
        tenant = "team-%d" % (k % args.tenants) if args.tenants else ""
        streams.append((tenant, labels))
    entries = []
    for i in range(args.n):
        tenant, labels = streams[rnd.randrange(len(streams))]
        ts = base + i * 1000 + rnd.randrange(997)
        if args.hostile and i % 5 == 0:
            line = HOSTILE_LINES[i % len(HOSTILE_LINES)] + " #%d" % i
        else:
            line = "entry %d %s" % (i, "x" * rnd.randrange(200))
        meta = {}
        if i % 4 == 1:
            meta = {"trace_id": "t%08x" % rnd.getrandbits(32)}
        entries.append((tenant, labels, ts, line, meta))
    return entries


def expect_line(tenant, labels, ts, line, meta, args):
    return json.dumps({"tenant": tenant if args.tenants else args.tenant,
                       "labels": {k: v for k, v in labels.items() if v},
                       "ts": str(ts), "line": line, "metadata": meta},
                      sort_keys=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["bodies", "entries"])
    ap.add_argument("out")
    ap.add_argument("expect")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--streams", type=int, default=4)
    ap.add_argument("--tenants", type=int, default=0)
    ap.add_argument("--tenant", default="",
                    help="tenant expected when bodies carry none")
    ap.add_argument("--job", default="lokipipe-test")
    ap.add_argument("--per-body", type=int, default=10)
    ap.add_argument("--flush-every", type=int, default=0)
    ap.add_argument("--hostile", action="store_true")
    args = ap.parse_args()
    entries = make(args)
    with open(args.expect, "w") as f:
        for e in entries:
            f.write(expect_line(*e, args) + "\n")
    out = open(args.out, "w")
    if args.mode == "entries":
        for tenant, labels, ts, line, meta in entries:
            lab = dict(labels)
            if tenant:
                lab["__tenant_id__"] = tenant
            rec = {"ts": str(ts), "labels": lab, "line": line}
            if meta:
                rec["meta"] = meta
            out.write(json.dumps(rec) + "\n")
        out.write('{"flush":"end"}\n')
        return
    nb = 0
    for i in range(0, len(entries), args.per_body):
        chunk = entries[i:i + args.per_body]
        by_tenant = {}
        for tenant, labels, ts, line, meta in chunk:
            key = json.dumps(labels, sort_keys=True)
            s = by_tenant.setdefault(tenant, {}).setdefault(
                key, {"stream": labels, "values": []})
            v = [str(ts), line]
            if meta:
                v.append(meta)
            s["values"].append(v)
        for tenant, ss in by_tenant.items():
            body = {"streams": list(ss.values())}
            if tenant:
                body = {"tenant": tenant, **body}
            out.write(json.dumps(body) + "\n")
            nb += 1
            if args.flush_every and nb % args.flush_every == 0:
                out.write('{"flush":"f%d"}\n' % nb)
    out.write('{"flush":"end"}\n')


if __name__ == "__main__":
    main()
