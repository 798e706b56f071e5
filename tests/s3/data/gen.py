#!/usr/bin/python3
"""Regenerates the edge-case objects in this directory (run it here)."""
import gzip
import json

def gz(name, text):
    with open(name, "wb") as f:
        f.write(gzip.compress(text.encode() if isinstance(text, str)
                              else text, mtime=0))

# VPC flow logs, custom format: "start" is the 4th field; a NODATA
# record has "-" for it
gz("vpc-custom.log.gz",
   "account-id action bytes start end log-status flow-direction\n"
   "123456789012 ACCEPT 5000 1700000100 1700000160 OK ingress\n"
   "123456789012 REJECT 40 1700000200 1700000260 OK egress\n"
   "123456789012 - - - - NODATA -\n")

# CloudTrail, pretty-printed, nested arrays, escapes, unicode, a record
# without eventTime
ct = ('{\n  "Records": [\n'
      '    {\n      "eventVersion": "1.08",\n'
      '      "eventTime": "2024-02-03T04:05:06Z",\n'
      '      "resources": [[1, 2], {"ARN": "arn:aws:s3:::b/k [x]"}],\n'
      '      "userAgent": "say \\"hi\\" \\\\ {not a brace}",\n'
      '      "requestParameters": {"key": "caf\u00e9 \u2713 \\u00e9"}\n'
      '    },\n'
      '    {"eventName": "NoTime", "additionalEventData": {"eventTime": '
      '"1999-01-01T00:00:00Z"}},\n'
      '    {"eventTime": "2024-02-03T04:05:07Z", "empty": {}, "list": []}\n'
      '  ]\n}\n')
gz("cloudtrail-edge.json.gz", ct)
gz("cloudtrail-empty.json.gz", '{"Records":[]}')
gz("cloudtrail-truncated.json.gz", ct[:200])

# classic ELB, plain text with CRLF line ends and a blank line
with open("classic-crlf.log", "wb") as f:
    f.write(b"2014-02-15T23:39:43.945958Z my-lb 192.168.131.39:2817 "
            b"10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "
            b"\"GET http://www.example.com:80/ HTTP/1.1\" \"curl/7.38.0\" "
            b"- -\r\n\r\n"
            b"2014-02-15T23:39:44.000001Z my-lb 192.168.131.39:2818 "
            b"10.0.0.1:80 0.000073 0.001048 0.000057 404 404 0 29 "
            b"\"GET http://www.example.com:80/x HTTP/1.1\" \"curl/7.38.0\" "
            b"- -\r\n")

# a line over a 100-byte cap between two short ones, no final newline
with open("long-line.log", "wb") as f:
    f.write(b"http 2024-01-01T00:00:01.000000Z app/x short one\n"
            b"http 2024-01-01T00:00:02.000000Z app/x " + b"L" * 200 + b"\n"
            b"http 2024-01-01T00:00:03.000000Z app/x short three")

# two gzip members back to back
with open("multi-member.log.gz", "wb") as f:
    f.write(gzip.compress(b"http 2024-01-01T00:00:01.000000Z app/x a\n"
                          b"http 2024-01-01T00:00:02.000000Z app/x b\n",
                          mtime=0))
    f.write(gzip.compress(b"http 2024-01-01T00:00:03.000000Z app/x c\n",
                          mtime=0))

big = "".join("http 2024-01-01T00:00:%02d.000000Z app/x line %d\n" % (i % 60, i)
              for i in range(400))
z = gzip.compress(big.encode(), mtime=0)
with open("truncated.log.gz", "wb") as f:
    f.write(z[:len(z) // 2])
c = bytearray(z)
for i in range(40, 60):
    c[i] ^= 0x55
with open("corrupt.log.gz", "wb") as f:
    f.write(bytes(c))

# ALB connection log (mTLS): the time is the 1st field
gz("conn-log.log.gz",
   "2024-01-02T03:04:05.123456Z 10.0.0.1 50000 443 TLSv1.2 "
   "ECDHE-RSA-AES128-GCM-SHA256 2.5 \"CN=client\" - - Success - "
   "TID_1234\n")
# ALB health check log: type time ...
gz("health-check.log.gz",
   "http 2025-01-02T03:04:05.000001Z app/my-lb/0123 10.0.0.9:80 "
   "tg-0123 HEALTHY 200 0.002 -\n")

# GuardDuty findings: a nested createdAt before the top-level ones
gz("guardduty.jsonl.gz",
   json.dumps({"schemaVersion": "2.0", "accountId": "123456789012",
               "resource": {"s3BucketDetails": [
                   {"createdAt": "2001-01-01T00:00:00.000Z"}]},
               "createdAt": "2024-05-30T07:00:00.000Z",
               "updatedAt": "2024-05-30T08:00:00.000Z",
               "title": "t1"}, separators=(",", ":")) + "\n" +
   json.dumps({"id": "2", "createdAt": "2024-05-30T09:00:00.000Z",
               "title": "no updatedAt"}, separators=(",", ":")) + "\n")

# MSK broker log with a stack trace
gz("msk-multiline.log.gz",
   "[2025-07-04 11:57:55,836] ERROR boom (kafka.server.X)\n"
   "java.lang.IllegalStateException: bad\n"
   "\tat kafka.server.X.run(X.scala:1)\n"
   "[2025-07-04 11:57:56,001] INFO fine (kafka.server.Y)\n")

# S3 server access log with a non-UTC offset
with open("access-offset.log", "w") as f:
    f.write("79a59df9 amzn-s3-demo-bucket1 [05/Feb/2019:17:00:38 -0700] "
            "192.0.2.3 79a59df9 3E57427F3EXAMPLE REST.GET.VERSIONING - "
            "\"GET /amzn-s3-demo-bucket1?versioning HTTP/1.1\" 200 - 113 "
            "- 7 - \"-\" \"S3Console/0.4\" -\n")

with open("not-json.json.gz", "wb") as f:
    f.write(gzip.compress(b"this is not CloudTrail\n", mtime=0))
with open("parquet-content", "wb") as f:
    f.write(b"PAR1\x15\x04\x15\x10garbage")
with open("empty", "wb") as f:
    pass
