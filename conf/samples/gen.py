#!/usr/bin/python3
"""gen.py DIR: writes lokipipe's demo sample events into DIR, stamped with
the current time (a Loki keeps recent data in its ingesters; the demo
queries it back at once).

  DIR/events.json     a CloudWatch Logs subscription event, a Kinesis
                      batch (CloudWatch data, gzipped, and a CloudFront
                      real-time log record, plain), an EventBridge event,
                      and an SQS message written by an application
  DIR/alb.log.gz      an Application Load Balancer access log object
  DIR/alb.key         its S3 key
  DIR/vpc.log.gz      a VPC flow log object (header line + records)
  DIR/vpc.key         its S3 key
"""
import base64
import gzip
import json
import os
import sys
import time

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
now = time.time() - 30
ms = int(now * 1000)
iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
acct = "123456789012"


def cw_payload(group, stream, lines):
    return {
        "messageType": "DATA_MESSAGE", "owner": acct,
        "logGroup": group, "logStream": stream,
        "subscriptionFilters": ["lokipipe"],
        "logEvents": [{"id": str(36000000000000000000000000 + i),
                       "timestamp": ms + i, "message": m}
                      for i, m in enumerate(lines)],
    }


def b64gz(obj):
    return base64.b64encode(gzip.compress(json.dumps(obj).encode())).decode()


events = []
events.append({"awslogs": {"data": b64gz(cw_payload(
    "/aws/lambda/checkout", "2026/11/25/[$LATEST]8f5e", [
        "START RequestId: 8f5e7a1c Version: $LATEST",
        "level=info msg=\"order placed\" order=1042 amount=19.90",
        "END RequestId: 8f5e7a1c",
        "REPORT RequestId: 8f5e7a1c Duration: 12.3 ms Billed Duration: 13 ms",
    ]))}})
arn = "arn:aws:kinesis:us-east-1:%s:stream/app-logs" % acct
cf_rt = "%.3f\t192.0.2.10\t200\tGET\t/index.html\tHit" % now
events.append({"Records": [
    {"eventSource": "aws:kinesis", "eventSourceARN": arn,
     "awsRegion": "us-east-1", "eventID": "shardId-000:1",
     "kinesis": {"partitionKey": "p", "sequenceNumber": "1",
                 "approximateArrivalTimestamp": now,
                 "data": b64gz(cw_payload("/ecs/payments", "task/1", [
                     "payment authorised id=77",
                     "payment captured id=77"]))}},
    {"eventSource": "aws:kinesis", "eventSourceARN": arn,
     "awsRegion": "us-east-1", "eventID": "shardId-000:2",
     "kinesis": {"partitionKey": "p", "sequenceNumber": "2",
                 "approximateArrivalTimestamp": now,
                 "data": base64.b64encode(cf_rt.encode()).decode()}}]})
events.append({"version": "0", "id": "6a7e8feb", "detail-type":
               "ECS Task State Change", "source": "aws.ecs",
               "account": acct, "time": iso + "Z", "region": "us-east-1",
               "resources": [], "detail": {"lastStatus": "STOPPED",
                                           "stoppedReason": "Essential "
                                           "container exited"}})
events.append({"Records": [{
    "messageId": "0f1e2d3c-4b5a-6978-8897-a6b5c4d3e2f1",
    "receiptHandle": "AQEB", "body": "worker 3: queue drained",
    "attributes": {"SentTimestamp": str(ms)},
    "eventSource": "aws:sqs", "awsRegion": "us-east-1",
    "eventSourceARN": "arn:aws:sqs:us-east-1:%s:app-queue" % acct}]})
with open(os.path.join(out, "events.json"), "w") as f:
    for e in events:
        f.write(json.dumps(e) + "\n")

t = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
alb = []
for i, (path, code) in enumerate([("/", 200), ("/api/cart", 200),
                                  ("/api/pay", 502), ("/health", 200)]):
    ts = "%s.%06dZ" % (t, i * 1000)
    alb.append(
        f'https {ts} app/shop-alb/50dc6c495c0c9188 192.0.2.{10 + i}:4{i:03d} '
        f'10.0.1.7:8080 0.001 0.0{i}2 0.000 {code} {code} 120 {512 + i} '
        f'"GET https://shop.example.com:443{path} HTTP/1.1" "curl/8.4.0" '
        f'ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 '
        f'arn:aws:elasticloadbalancing:us-east-1:{acct}:targetgroup/shop/73e2 '
        f'"Root=1-58337262-36d228ad5d99923122bbe354" "shop.example.com" '
        f'"-" 0 {ts} "forward" "-" "-" "10.0.1.7:8080" "{code}" "-" "-" '
        f'TID_{i}')
stamp = time.strftime("%Y%m%dT%H%MZ", time.gmtime(now))
day = time.strftime("%Y/%m/%d", time.gmtime(now))
with open(os.path.join(out, "alb.log.gz"), "wb") as f:
    f.write(gzip.compress(("\n".join(alb) + "\n").encode()))
with open(os.path.join(out, "alb.key"), "w") as f:
    f.write("AWSLogs/%s/elasticloadbalancing/us-east-1/%s/%s_"
            "elasticloadbalancing_us-east-1_app.shop-alb.50dc6c495c0c9188_"
            "%s_192.0.2.1_2et2e1mx.log.gz\n" % (acct, day, acct, stamp))

s = int(now)
vpc = ["version account-id interface-id srcaddr dstaddr srcport dstport "
       "protocol packets bytes start end action log-status"]
for i in range(3):
    vpc.append("2 %s eni-0a1b2c3d 10.0.1.%d 10.0.2.9 4431%d 443 6 %d %d %d "
               "%d %s OK" % (acct, 5 + i, i, 10 + i, 840 + i * 100, s - 60 + i,
                             s + i, "ACCEPT" if i != 2 else "REJECT"))
with open(os.path.join(out, "vpc.log.gz"), "wb") as f:
    f.write(gzip.compress(("\n".join(vpc) + "\n").encode()))
with open(os.path.join(out, "vpc.key"), "w") as f:
    f.write("AWSLogs/%s/vpcflowlogs/us-east-1/%s/%s_vpcflowlogs_us-east-1_"
            "fl-0a1b2c3d4e5f_%s_7c6d5e4f.log.gz\n" % (acct, day, acct, stamp))
