#!/usr/bin/python3
"""aws-decode and S3: notification records (URL-encoded keys), the same
inside SNS inside SQS, EventBridge's Object Created, --object, and fetch
failures that must name the SQS message on the flush marker. Objects come
from tests/tools/fake_s3.py, which checks every SigV4 signature."""
import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

TOP = os.environ.get("TOP") or os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BIN = os.environ.get("BIN", os.path.join(TOP, "bin"))
WRAP = os.environ.get("LP_WRAP", "").split()
SAMPLES = os.path.join(TOP, "..", "shared", "samples",
                       "lambda-promtail-testdata")
failed = 0


def ok(name, cond, detail=""):
    global failed
    if cond:
        print("ok s3 " + name)
    else:
        failed += 1
        print("not ok s3 " + name)
        if detail:
            sys.stderr.write("# " + detail.replace("\n", "\n# ")[:3000]
                             + "\n")


def compact(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def freeport():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port):
    for _ in range(250):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.02)
    return False


def s3_record(bucket, key, region="us-east-1"):
    return {"eventVersion": "2.1", "eventSource": "aws:s3",
            "awsRegion": region, "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": bucket,
                              "ownerIdentity": {"principalId": "X"}},
                   "object": {"key": urllib.parse.quote_plus(key, safe="/"),
                              "size": 1}}}


def decode(inp, env, args=()):
    p = subprocess.run(WRAP + [os.path.join(BIN, "aws-decode")] +
                       list(args), input=inp.encode(), env=env,
                       capture_output=True, timeout=120)
    recs = [json.loads(x) for x in p.stdout.decode().splitlines()]
    return p.returncode, recs, p.stderr.decode()


def main():
    if not os.access(os.path.join(BIN, "aws-decode"), os.X_OK):
        print("skip s3 all # no bin/aws-decode")
        return 0
    work = tempfile.mkdtemp(prefix="s3t.",
                            dir=os.environ.get("TESTWORK") or None)
    port = freeport()
    bucket = "logs-bucket"
    # spaces, '+' and unicode before the AWS layout: all URL-encoded in
    # the notification, plain in the request path
    key = ("my logs+\u00e9t\u00e9 \u2713/AWSLogs/123456789012/"
           "elasticloadbalancing/us-east-1/2022/01/24/123456789012_"
           "elasticloadbalancing_us-east-1_app.my-loadbalancer."
           "b13ea9d19f16d015_20220124T0000Z_0.0.0.0_2et2e1mx.log.gz")
    path = os.path.join(work, bucket, key)
    os.makedirs(os.path.dirname(path))
    shutil.copy(os.path.join(SAMPLES, "albaccesslog.log.gz"), path)
    with gzip.open(path, "rt") as f:
        want = [x for x in f.read().split("\n") if x]
    srv = subprocess.Popen([
        "/usr/bin/python3", os.path.join(TOP, "tests", "tools", "fake_s3.py"),
        "--port", str(port), "--dir", work, "--key-id", "AKIDTEST",
        "--secret", "secret/test+key"])
    try:
        if not wait_port(port):
            ok("fake S3 started", False)
            return 1
        env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDTEST",
                   AWS_SECRET_ACCESS_KEY="secret/test+key",
                   AWS_REGION="us-east-1", PRINT_LOG_LINE="false",
                   AWS_ENDPOINT_URL_S3="http://127.0.0.1:%d" % port)
        env.pop("AWS_SESSION_TOKEN", None)
        run_cases(env, bucket, key, want, work)
    finally:
        srv.terminate()
        srv.wait()
    if failed == 0:
        shutil.rmtree(work, ignore_errors=True)
    else:
        sys.stderr.write("# kept %s\n" % work)
    return 1 if failed else 0


def lines_of(recs):
    return [r["line"] for r in recs if "line" in r]


def run_cases(env, bucket, key, want, work):
    s3ev = {"Records": [s3_record(bucket, key)]}
    rc, recs, err = decode(compact(s3ev) + '\n{"flush":"a"}\n', env)
    ents = [r for r in recs if "line" in r]
    ok("notification: every line of the object, in order",
       rc == 0 and lines_of(recs) == want, err)
    ok("notification: S3 labels",
       len(ents) > 0 and all(r["labels"].get("__aws_log_type") == "s3_lb"
                             for r in ents), compact(ents[:1]))
    ok("notification: clean flush marker", recs[-1:] == [{"flush": "a"}],
       compact(recs[-1:]))

    sns = {"Type": "Notification", "MessageId": "sns-1",
           "TopicArn": "arn:aws:sns:us-east-1:1:t", "Message": compact(s3ev),
           "Timestamp": "2024-05-01T10:00:00Z"}
    sqs = {"Records": [
        {"messageId": "m-1", "body": compact(sns), "eventSource": "aws:sqs",
         "eventSourceARN": "arn:aws:sqs:us-east-1:1:q",
         "attributes": {"SentTimestamp": "1714557600000"}},
        {"messageId": "m-404", "body": compact({"Records": [s3_record(
            bucket, "AWSLogs/123456789012/elasticloadbalancing/missing "
            "file.log.gz")]}), "eventSource": "aws:sqs",
         "eventSourceARN": "arn:aws:sqs:us-east-1:1:q"}]}
    rc, recs, err = decode(compact(sqs) + '\n{"flush":"b"}\n', env)
    ok("sqs(sns(s3)): every line", lines_of(recs) == want, err)
    fl = recs[-1] if recs else {}
    e = fl.get("error", "")
    ok("sqs(sns(s3)): the missing object names its SQS message",
       fl.get("flush") == "b" and e.startswith("aws-decode: sqs:m-404: ")
       and "missing file.log.gz" in e and "m-1" not in e and rc == 1,
       compact(fl))

    eb = {"version": "0", "detail-type": "Object Created",
          "source": "aws.s3", "region": "us-east-1",
          "time": "2024-05-01T10:00:00Z",
          "detail": {"bucket": {"name": bucket}, "object": {"key": key}}}
    rc, recs, err = decode(json.dumps(eb, indent=2) + "\n", env)
    ok("eventbridge object created: every line",
       rc == 0 and lines_of(recs) == want, err)

    # a fetch that fails (503 for ever would be retried by s3log: use
    # 403, which is final) is an error, and the next record still runs
    with open(os.path.join(work, "faults.json"), "w") as f:
        json.dump({key: ["403"]}, f)
    two = {"Records": [s3_record(bucket, key), s3_record(bucket, key)]}
    rc, recs, err = decode(compact(two) + '\n{"flush":"c"}\n', env)
    fl = recs[-1] if recs else {}
    ok("403 then 200: lines of the second fetch, error of the first",
       lines_of(recs) == want and "403" in fl.get("error", "") and
       ("s3://%s/%s" % (bucket, key)) in fl.get("error", "") and rc == 1,
       compact(fl) + err)
    os.unlink(os.path.join(work, "faults.json"))

    rc, recs, err = decode("", env, ["--object", os.path.join(
        work, bucket, key), "--key", key, "--bucket", bucket])
    ok("--object: the local file as that object",
       rc == 0 and lines_of(recs) == want, err)
    rc, recs, err = decode("", env, ["--object", os.path.join(
        work, "nope"), "--key", key])
    ok("--object: a missing file exits 1", rc == 1 and recs == [], err)

    rc, recs, err = decode("", dict(env, PRINT_LOG_LINE="true"), [
        "--object", os.path.join(work, bucket, key), "--key", key])
    ok("print log line: S3 lines on stderr",
       rc == 0 and all(w in err for w in want[:3]), err[:500])


if __name__ == "__main__":
    sys.exit(main())
