#!/usr/bin/python3
"""Writes the golden cases of aws-decode (tests/stages/aws-decode/).

The events are built here the way AWS builds them (base64, gzip, URL-encoded
S3 keys, SNS inside SQS), and the expected entries are computed here too,
from the events' own fields, without the C code: the two meet only in the
committed .out files. Run it again after changing a case:
    /usr/bin/python3 tests/aws-decode/data/gen.py
"""
import base64
import gzip
import hashlib
import io
import json
import os
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
OUT = os.path.join(TOP, "tests", "stages", "aws-decode")
SAMPLES = os.path.normpath(os.path.join(
    TOP, "..", "shared", "samples", "lambda-promtail-testdata"))

ARN_K = "arn:aws:kinesis:us-east-1:123456789012:stream/logs"
ARN_Q = "arn:aws:sqs:us-east-1:123456789012:logs-queue"
ARN_T = "arn:aws:sns:us-east-1:123456789012:logs-topic"
NOCREDS = "S3 is not available: no AWS credentials (AWS_ACCESS_KEY_ID)"


def gz(b, mtime=0):
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=mtime) as f:
        f.write(b)
    return out.getvalue()


def b64(b):
    return base64.b64encode(b).decode()


def compact(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def entry(ts, labels, line):
    # DESIGN.md §1: ts a decimal string of nanoseconds
    return '{"ts":"%d","labels":%s,"line":%s}\n' % (
        ts, compact(labels), compact(line))


def flush(tok, err=None):
    if err:
        return compact({"flush": tok, "error": err}) + "\n"
    return compact({"flush": tok}) + "\n"


# --- CloudWatch Logs ------------------------------------------------------

def cw_data(group, stream, events, owner="123456789012",
            mtype="DATA_MESSAGE"):
    return {
        "messageType": mtype, "owner": owner, "logGroup": group,
        "logStream": stream, "subscriptionFilters": ["lokipipe"],
        "logEvents": [{"id": str(36000000 + i), "timestamp": ts,
                       "message": m} for i, (ts, m) in enumerate(events)],
    }


def cw_event(data):
    return {"awslogs": {"data": b64(gz(compact(data).encode()))}}


def cw_expect(data, keep=False, kinesis_arn=None):
    if data["messageType"] == "CONTROL_MESSAGE":
        return ""
    lab = {"__aws_log_type": "kinesis" if kinesis_arn else "cloudwatch"}
    if kinesis_arn:
        lab["__aws_kinesis_event_source_arn"] = kinesis_arn
    lab["__aws_cloudwatch_log_group"] = data["logGroup"]
    lab["__aws_cloudwatch_owner"] = data["owner"]
    if keep:
        lab["__aws_cloudwatch_log_stream"] = data["logStream"]
    return "".join(entry(e["timestamp"] * 1000000, lab, e["message"])
                   for e in data["logEvents"])


# --- Kinesis ---------------------------------------------------------------

def k_record(data, seq, arrival):
    return {
        "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": "p",
                    "sequenceNumber": seq, "data": data,
                    "approximateArrivalTimestamp": arrival},
        "eventSource": "aws:kinesis", "eventVersion": "1.0",
        "eventID": "shardId-000000000000:" + seq,
        "eventName": "aws:kinesis:record", "awsRegion": "us-east-1",
        "eventSourceARN": ARN_K,
    }


def k_text_expect(text, arrival_ms):
    lab = {"__aws_log_type": "kinesis",
           "__aws_kinesis_event_source_arn": ARN_K}
    out = ""
    for line in text.split("\n"):
        if line.endswith("\r"):
            line = line[:-1]
        if not line:
            continue
        ts = arrival_ms * 1000000
        f = line.split("\t", 1)
        if len(f) == 2 and "." in f[0]:
            s, frac = f[0].split(".", 1)
            if s.isdigit() and frac.isdigit() and 9 <= len(s) <= 11:
                ts = int(s) * 10**9 + int((frac + "000000000")[:9])
        out += entry(ts, lab, line)
    return out


# --- S3 ----------------------------------------------------------------

def s3_record(bucket, key_encoded, region="us-east-1"):
    return {
        "eventVersion": "2.1", "eventSource": "aws:s3",
        "awsRegion": region, "eventTime": "2024-05-01T10:00:00.000Z",
        "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "logs",
               "bucket": {"name": bucket,
                          "ownerIdentity": {"principalId": "EXAMPLE"},
                          "arn": "arn:aws:s3:::" + bucket},
               "object": {"key": key_encoded, "size": 1024,
                          "eTag": "0123456789abcdef", "sequencer": "0A1B"}},
    }


def s3_encode(key):
    # what S3 puts in notifications: form encoding, '+' for space
    return urllib.parse.quote_plus(key, safe="/")


def sqs_record(mid, body, sent_ms):
    return {
        "messageId": mid, "receiptHandle": "AQEB" + mid, "body": body,
        "attributes": {"ApproximateReceiveCount": "1",
                       "SentTimestamp": str(sent_ms),
                       "SenderId": "AIDAEXAMPLE",
                       "ApproximateFirstReceiveTimestamp": str(sent_ms + 5)},
        "messageAttributes": {}, "md5OfBody": "00",
        "eventSource": "aws:sqs", "eventSourceARN": ARN_Q,
        "awsRegion": "us-east-1",
    }


def sns_envelope(mid, message, ts="2024-05-01T10:00:01.250Z"):
    # an SNS notification as an SQS subscriber receives it
    return {"Type": "Notification", "MessageId": mid, "TopicArn": ARN_T,
            "Subject": "Amazon S3 Notification", "Message": message,
            "Timestamp": ts, "SignatureVersion": "1", "Signature": "EX",
            "SigningCertURL": "https://example", "UnsubscribeURL": "x"}


def sns_record(mid, message, ts="2024-05-01T10:00:02Z"):
    return {"EventSource": "aws:sns", "EventVersion": "1.0",
            "EventSubscriptionArn": ARN_T + ":sub",
            "Sns": dict(sns_envelope(mid, message, ts))}


# --- writing cases ------------------------------------------------------

cases = {}


def case(name, inp, out="", rc=0, env=None, args=None, err=None):
    cases[name] = dict(inp=inp, out=out, rc=rc, env=env, args=args, err=err)


def write_cases():
    os.makedirs(OUT, exist_ok=True)
    for name, c in sorted(cases.items()):
        base = os.path.join(OUT, name)
        for ext in (".in", ".out", ".rc", ".env", ".args", ".err"):
            if os.path.exists(base + ext):
                os.unlink(base + ext)
        with open(base + ".in", "w", encoding="utf-8") as f:
            f.write(c["inp"])
        if c["out"]:
            with open(base + ".out", "w", encoding="utf-8") as f:
                f.write(c["out"])
        if c["rc"]:
            with open(base + ".rc", "w") as f:
                f.write("%d\n" % c["rc"])
        if c["env"]:
            with open(base + ".env", "w") as f:
                f.write("".join("%s\n" % e for e in c["env"]))
        if c["args"]:
            with open(base + ".args", "w") as f:
                f.write(c["args"] + "\n")
        if c["err"]:
            with open(base + ".err", "w", encoding="utf-8") as f:
                f.write("".join("%s\n" % e for e in c["err"]))


NOPRINT = ["PRINT_LOG_LINE=false"]


def main():
    # CloudWatch: the bundled sample, pretty-printed over lines
    with open(os.path.join(SAMPLES, "events",
                           "cloudwatch-logs-event.json")) as f:
        sample = f.read()
    raw = json.loads(sample)["awslogs"]["data"]
    sdata = json.loads(gzip.decompress(base64.b64decode(raw)))
    case("cw-sample", sample, cw_expect(sdata), env=NOPRINT)
    case("cw-sample-keep-stream", sample, cw_expect(sdata, keep=True),
         env=NOPRINT + ["KEEP_STREAM=true"])
    case("cw-sample-keep-flag", sample, cw_expect(sdata, keep=True),
         env=NOPRINT, args="--keep-stream")

    # CloudWatch: one event per line, with flush markers between; lines
    # with quotes, tabs, newlines and unicode; the default prints lines
    d1 = cw_data("/aws/lambda/api", "2024/05/01/[$LATEST]abc", [
        (1714557600000, "START RequestId: 8f5 Version: $LATEST"),
        (1714557600001, 'msg="quoted" \\ backslash\ttab'),
        (1714557600002, "line one\nline two"),
        (1714557600003, "unicode: h\u00e9llo \u2713 \U0001F600"),
    ])
    d2 = cw_data("/ecs/web", "web/1", [(1714557601000, "GET / 200")],
                 owner="210987654321")
    inp = (compact(cw_event(d1)) + "\n" + flush("req-1") +
           compact(cw_event(d2)) + "\n" + flush("req-2"))
    out = cw_expect(d1) + flush("req-1") + cw_expect(d2) + flush("req-2")
    case("cw-lines-flush", inp, out, env=NOPRINT)
    case("cw-print-log-line", compact(cw_event(d2)) + "\n",
         cw_expect(d2), err=["GET / 200"])
    case("cw-print-flag-false", compact(cw_event(d2)) + "\n",
         cw_expect(d2), args="--print-log-line=false")

    # CloudWatch: the subscription's probe gives nothing, and no error
    ctl = cw_data("/aws/lambda/api", "x", [
        (1714557600000, "CWL CONTROL MESSAGE: Checking health of "
         "destination Firehose.")], mtype="CONTROL_MESSAGE")
    case("cw-control-message", compact(cw_event(ctl)) + "\n" +
         flush("c1"), flush("c1"), env=NOPRINT)

    # CloudWatch: broken payloads, each an error on the next marker,
    # and the event after them still decoded
    bad_b64 = {"awslogs": {"data": "H4sI!!!notbase64"}}
    trunc = {"awslogs": {"data": b64(gz(compact(d2).encode())[:-12])}}
    notjson = {"awslogs": {"data": b64(gz(b"plain words"))}}
    inp = "".join(compact(e) + "\n" for e in (bad_b64, trunc, notjson))
    inp += compact(cw_event(d2)) + "\n" + flush("b1")
    errs = [
        "aws-decode: cloudwatch: data is not base64: "
        "invalid base64 character",
        "aws-decode: cloudwatch: data: truncated gzip data",
        "aws-decode: cloudwatch: data is not CloudWatch Logs JSON: "
        "not a JSON object",
    ]
    case("cw-bad-payloads", inp,
         cw_expect(d2) + flush("b1", "; ".join(errs)), rc=1, env=NOPRINT)

    # Kinesis: the bundled sample (plain text, not CloudWatch data)
    with open(os.path.join(SAMPLES, "events", "kinesis-event.json")) as f:
        ks = f.read()
    kout = ""
    for r in json.loads(ks)["Records"]:
        ms = round(r["kinesis"]["approximateArrivalTimestamp"] * 1000)
        lab = {"__aws_log_type": "kinesis",
               "__aws_kinesis_event_source_arn": r["eventSourceARN"]}
        kout += entry(ms * 1000000, lab,
                      base64.b64decode(r["kinesis"]["data"]).decode())
    case("kinesis-sample", ks, kout, env=NOPRINT)

    # Kinesis: a batch mixing gzip and plain CloudWatch data, a control
    # message, and plain text, gzipped and not
    with open(os.path.join(SAMPLES, "kinesis-event.json")) as f:
        kcw = json.load(f)
    k2 = cw_data("/aws/rds/cluster/db/error", "db-1",
                 [(1714557700000, "2024-05-01 10:01:40 UTC::@:[1]:LOG: ok"),
                  (1714557700500, "checkpoint complete")])
    kctl = dict(ctl)
    txt = "app line 1\napp line 2\r\n\nlast line without newline"
    recs = [
        (b64(gz(compact(kcw).encode())), "1001", 1719922605.123),
        (b64(compact(k2).encode()), "1002", 1719922606.5),
        (b64(gz(compact(kctl).encode())), "1003", 1719922607.0),
        (b64(gz(txt.encode())), "1004", 1719922608.25),
        (b64(b"plain text record\n"), "1005", 1719922609.001),
    ]
    ev = {"Records": [k_record(d, s, a) for d, s, a in recs]}
    out = (cw_expect(kcw, kinesis_arn=ARN_K) +
           cw_expect(k2, kinesis_arn=ARN_K) +
           k_text_expect(txt, 1719922608250) +
           k_text_expect("plain text record\n", 1719922609001))
    case("kinesis-mixed", json.dumps(ev, indent=2) + "\n" + flush("k"),
         out + flush("k"), env=NOPRINT)
    case("kinesis-mixed-keep-stream", compact(ev) + "\n",
         cw_expect(kcw, True, ARN_K) + cw_expect(k2, True, ARN_K) +
         k_text_expect(txt, 1719922608250) +
         k_text_expect("plain text record\n", 1719922609001),
         env=NOPRINT + ["KEEP_STREAM=TRUE"])

    # Kinesis: CloudFront real-time logs, tab-separated, request time
    # first; lambda-promtail drops these, lokipipe ships them
    cf = [
        "1714557600.123\t192.0.2.10\t0.001\t200\t1024\tGET\thttps\t"
        "d111111abcdef8.cloudfront.net\t/index.html",
        "1714557601.5\t192.0.2.11\t0.002\t404\t512\tGET\thttps\t"
        "d111111abcdef8.cloudfront.net\t/missing",
        "no-timestamp\tfield",
    ]
    recs = [k_record(b64((line + "\n").encode()), str(2000 + i),
                     1714557605.0) for i, line in enumerate(cf)]
    out = "".join(k_text_expect(line + "\n", 1714557605000) for line in cf)
    case("kinesis-cloudfront-realtime", compact({"Records": recs}) + "\n",
         out, env=NOPRINT)

    # Kinesis: malformed base64 and truncated gzip among good records;
    # errors name the record's sequence number
    good = b64(b"good record")
    recs = [k_record(good, "3001", 1714557610.0),
            k_record("bm90IGJhc2U2NA=?=", "3002", 1714557610.0),
            k_record(b64(gz(b"some text that will be cut")[:-10]), "3003",
                     1714557610.0),
            k_record(b64(b"second good record"), "3004", 1714557611.0)]
    errs = ["aws-decode: kinesis:3002: data is not base64: "
            "invalid base64 character",
            "aws-decode: kinesis:3003: data: truncated gzip data"]
    case("kinesis-bad-records", compact({"Records": recs}) + "\n" +
         flush("kb"),
         k_text_expect("good record", 1714557610000) +
         k_text_expect("second good record", 1714557611000) +
         flush("kb", "; ".join(errs)), rc=1, env=NOPRINT)

    # Kinesis: records aggregated by the Kinesis Producer Library
    # (magic, AggregatedRecord protobuf written here by hand, MD5), one
    # sub-record gzipped CloudWatch data; and an aggregate whose protobuf
    # is broken under a right checksum
    def varint(n):
        out = b""
        while True:
            b = n & 0x7f
            n >>= 7
            if n:
                out += bytes([b | 0x80])
            else:
                return out + bytes([b])

    def pb_bytes(field, b):
        return varint(field << 3 | 2) + varint(len(b)) + b

    def pb_uint(field, v):
        return varint(field << 3) + varint(v)

    def kpl(datas):
        agg = pb_bytes(1, b"pk-0") + b"".join(
            pb_bytes(3, pb_uint(1, 0) + pb_bytes(3, d) +
                     pb_bytes(4, pb_bytes(1, b"tag")))
            for d in datas)
        return b"\xf3\x89\x9a\xc2" + agg + hashlib.md5(agg).digest()
    subs = [b"kpl line 1\nkpl line 2\n", gz(compact(d2).encode()),
            b"1714557600.250\tcloudfront\tvia kpl"]
    broken = b"\x1a\xff\xff"
    brokenkpl = (b"\xf3\x89\x9a\xc2" + broken +
                 hashlib.md5(broken).digest())
    recs = [k_record(b64(kpl(subs)), "4001", 1714557620.0),
            k_record(b64(brokenkpl), "4002", 1714557621.0),
            k_record(b64(b"after"), "4003", 1714557622.0)]
    case("kinesis-kpl-aggregated", compact({"Records": recs}) + "\n" +
         flush("kp"),
         k_text_expect("kpl line 1\nkpl line 2\n", 1714557620000) +
         cw_expect(d2, kinesis_arn=ARN_K) +
         k_text_expect("1714557600.250\tcloudfront\tvia kpl",
                       1714557620000) +
         k_text_expect("after", 1714557622000) +
         flush("kp", "aws-decode: kinesis:4002: KPL aggregated record: "
               "malformed"), rc=1, env=NOPRINT)

    # S3 notifications: keys arrive URL-encoded; without credentials
    # each object is an error that names the decoded key
    keys = ["AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/05/01/"
            "my logs+more.log.gz",
            "dir with spaces/caf\u00e9 \u2713 \u65e5\u672c.log",
            "plain/key.log"]
    recs = [s3_record("logs-bucket", s3_encode(k)) for k in keys]
    recs.append(s3_record("logs-bucket", "bad%zzescape.log"))
    errs = ["aws-decode: s3://logs-bucket/%s: %s" % (k, NOCREDS)
            for k in keys]
    errs.append("aws-decode: s3://logs-bucket/bad%zzescape.log: "
                "bad URL encoding in object key")
    case("s3-keys-no-credentials", compact({"Records": recs}) + "\n" +
         flush("s"), flush("s", "; ".join(errs)), rc=1, env=NOPRINT)
    # records of deleted or expired objects: nothing to fetch, no error
    gone = [dict(s3_record("logs-bucket", "AWSLogs/1/x.log.gz"),
                 eventName=n) for n in ("ObjectRemoved:Delete",
                                        "ObjectRemoved:DeleteMarkerCreated",
                                        "LifecycleExpiration:Delete")]
    case("s3-removed-objects", compact({"Records": gone}) + "\n" +
         flush("g"), flush("g"), env=NOPRINT)
    with open(os.path.join(SAMPLES, "events", "s3-event.json")) as f:
        case("s3-sample-no-credentials", f.read() + flush("s"),
             flush("s", "aws-decode: s3://sourcebucket/Happy Face.jpg: " +
                   NOCREDS), rc=1, env=NOPRINT)
    with open(os.path.join(SAMPLES, "events", "s3-test-event.json")) as f:
        case("s3-test-event", f.read() + flush("t"), flush("t"),
             env=NOPRINT)

    # EventBridge: S3 Object Created (key not URL-encoded there)
    with open(os.path.join(SAMPLES, "eventbridge-s3-event.json")) as f:
        case("eventbridge-s3-no-credentials", f.read() + flush("e"),
             flush("e", "aws-decode: s3://bucket/pizza.txt: " + NOCREDS),
             rc=1, env=NOPRINT)
    # EventBridge: anything else is forwarded, one entry of compact JSON
    ecs = {"version": "0", "id": "3317b2af-7005-947d-b652-f55e762e571a",
           "detail-type": "ECS Task State Change", "source": "aws.ecs",
           "account": "111122223333", "time": "2024-05-01T10:02:03Z",
           "region": "us-west-2",
           "resources": ["arn:aws:ecs:us-west-2:111122223333:task/c/1"],
           "detail": {"lastStatus": "STOPPED", "stopCode": "EssentialContainerExited",
                      "containers": [{"name": "web", "exitCode": 137}],
                      "cpu": "256", "version": 4}}
    gd = {"version": "0", "id": "c8c4daa7", "detail-type": "GuardDuty Finding",
          "source": "aws.guardduty", "account": "123456789012",
          "time": "2024-05-01T10:03:04.5+02:00", "region": "eu-west-1",
          "resources": [], "detail": {"severity": 5, "type": "Recon:EC2/Portscan",
                                       "title": "Unusual \u201cport\u201d scan"}}
    custom = {"detail-type": "order.created", "source": "com.example.shop",
              "time": "2024-05-01T10:04:05.000000001Z",
              "detail": {"orderId": 42}}

    def eb_expect(e, ts):
        return entry(ts, {"__aws_log_type": "eventbridge",
                          "__aws_eventbridge_source": e["source"],
                          "__aws_eventbridge_detail_type": e["detail-type"]},
                     compact(e))
    case("eventbridge-forwarded",
         json.dumps(ecs, indent=4) + "\n" + compact(gd) + "\n" +
         compact(custom) + "\n",
         eb_expect(ecs, 1714557723 * 10**9) +
         eb_expect(gd, (1714557784 - 7200) * 10**9 + 500000000) +
         eb_expect(custom, 1714557845 * 10**9 + 1), env=NOPRINT)

    # SQS carrying SNS carrying S3 (S3 -> SNS -> SQS), SQS carrying S3
    # directly (raw delivery), SQS carrying EventBridge and CloudWatch,
    # and application lines; errors name the SQS messageId
    s3ev = {"Records": [s3_record("logs-bucket", s3_encode(
        "AWSLogs/1/vpcflowlogs/us-east-1/2024/05/01/flow log.gz"))]}
    s3key = "AWSLogs/1/vpcflowlogs/us-east-1/2024/05/01/flow log.gz"
    d3 = cw_data("/aws/lambda/worker", "w", [(1714557800000, "from sqs")])
    recs = [
        sqs_record("m-1", compact(sns_envelope("sns-1", compact(s3ev))),
                   1714557900000),
        sqs_record("m-2", compact(s3ev), 1714557900001),
        sqs_record("m-3", "an application's own log line", 1714557900002),
        sqs_record("m-4", compact(custom), 1714557900003),
        sqs_record("m-5", compact(cw_event(d3)), 1714557900004),
        sqs_record("m-6", compact(sns_envelope("sns-2", "plain message")),
                   1714557900005),
        sqs_record("m-7", compact({"awslogs": {"data": "%%%"}}),
                   1714557900006),
        sqs_record("m-8", '{"level":"info","msg":"json, not an event"}',
                   1714557900007),
        sqs_record("m-9", compact({"Records": [{"eventSource": "aws:dynamodb",
                                                "dynamodb": {}}]}),
                   1714557900008),
    ]
    qlab = {"__aws_log_type": "sqs", "__aws_sqs_event_source_arn": ARN_Q}
    tlab = {"__aws_log_type": "sns", "__aws_sns_topic_arn": ARN_T}
    out = (entry(1714557900002000000, qlab, "an application's own log line") +
           eb_expect(custom, 1714557845 * 10**9 + 1) +
           cw_expect(d3) +
           entry(1714557601250000000, tlab, "plain message") +
           entry(1714557900007000000, qlab,
                 '{"level":"info","msg":"json, not an event"}'))
    errs = [
        "aws-decode: sqs:m-1: sns:sns-1: s3://logs-bucket/%s: %s" %
        (s3key, NOCREDS),
        "aws-decode: sqs:m-2: s3://logs-bucket/%s: %s" % (s3key, NOCREDS),
        "aws-decode: sqs:m-7: cloudwatch: data is not base64: "
        "invalid base64 character",
        'aws-decode: sqs:m-9: record 0: unknown event source '
        '"aws:dynamodb" (keys: eventSource, dynamodb)',
    ]
    case("sqs-nested", compact({"Records": recs}) + "\n" + flush("q"),
         out + flush("q", "; ".join(errs)), rc=1, env=NOPRINT)

    # SNS (Lambda's SNS event) carrying S3 and a plain message
    recs = [sns_record("n-1", compact(s3ev)),
            sns_record("n-2", "hello from a topic", "2024-05-01T10:00:02Z")]
    case("sns-nested", json.dumps({"Records": recs}, indent=1) + "\n" +
         flush("n"),
         entry(1714557602000000000, tlab, "hello from a topic") +
         flush("n", "aws-decode: sns:n-1: s3://logs-bucket/%s: %s" %
               (s3key, NOCREDS)), rc=1, env=NOPRINT)
    with open(os.path.join(SAMPLES, "events", "sqs-event.json")) as f:
        case("sqs-sample", f.read(), entry(
            1520621625029000000,
            {"__aws_log_type": "sqs", "__aws_sqs_event_source_arn":
             "arn:aws:sqs:us-west-2:123456789012:SQSQueue"},
            "Message Body"), env=NOPRINT)
    with open(os.path.join(SAMPLES, "events", "sns-event.json")) as f:
        case("sns-sample", f.read(), entry(
            1433353407123000000,
            {"__aws_log_type": "sns",
             "__aws_sns_topic_arn": "arn:aws:sns:EXAMPLE"},
            "Hello from SNS!"), env=NOPRINT)

    # Not events: valid JSON of no known kind, not JSON at all, and an
    # event after them that still decodes
    inp = ('{"hello":"world","n":1}\n'
           '[1,2,3]\n'
           '"just a string"\n'
           '{}\n'
           '{"Records":[{"eventSource":"aws:dynamodb","eventID":"1"}]}\n'
           'this is not json\n' +
           flush("u1") +
           compact(cw_event(d2)) + "\n" +
           flush("u2"))
    errs = [
        "aws-decode: unknown event (keys: hello, n)",
        "aws-decode: unknown event (a JSON array, not an object)",
        "aws-decode: unknown event (a JSON string, not an object)",
        "aws-decode: unknown event (an empty object)",
        'aws-decode: record 0: unknown event source "aws:dynamodb" '
        '(keys: eventSource, eventID)',
        "aws-decode: invalid JSON at line 1, column 1: invalid literal",
    ]
    case("unknown-events", inp,
         flush("u1", "; ".join(errs)) + cw_expect(d2) + flush("u2"),
         rc=1, env=NOPRINT,
         err=["level=warn", "unknown event (keys: hello, n)"])

    # Framing: pretty documents back to back, two on one line, a flush
    # marker that carries an upstream error, an ack passed through, no
    # final newline
    inp = (json.dumps(cw_event(d2), indent=2) + "\n" +
           json.dumps(cw_event(d1), indent="\t") + "\n" +
           '{"flush":"f1","error":"lambda-runtime: upstream trouble"}\n' +
           compact(cw_event(d2)) + " " + compact(cw_event(d2)) + "\n" +
           '{"ack":"x","ok":true,"entries":1,"bytes":2}\n' +
           '\n  \n' +
           compact(cw_event(d2)))
    out = (cw_expect(d2) + cw_expect(d1) +
           flush("f1", "lambda-runtime: upstream trouble") +
           cw_expect(d2) + cw_expect(d2) +
           '{"ack":"x","ok":true,"entries":1,"bytes":2}\n' +
           cw_expect(d2))
    case("framing", inp, out, env=NOPRINT)

    # A document cut short by a flush marker, and one at EOF
    inp = ('{\n  "awslogs": {\n' + flush("cut") + '{\n "awslogs": {"data"')
    case("unfinished-documents", inp,
         flush("cut", "aws-decode: line 1: unfinished JSON document"),
         rc=1, env=NOPRINT,
         err=["refused after the last flush marker",
              "invalid JSON at line 3, column 1: unfinished JSON value"])

    # Empty input
    case("empty", "", "", env=NOPRINT)

    write_cases()
    print("wrote %d cases to %s" % (len(cases), OUT))


if __name__ == "__main__":
    sys.exit(main())
