#!/bin/sh
# aws-decode on CloudWatch and Kinesis events (40 events of 11.4 MB, 20
# Kinesis batches of 15.7 MB), next to cat, zcat of the same payloads and
# jq, all in the same run (tests/aws-decode/data/bench.py).
cd "$(dirname "$0")/.." || exit 1
exec /usr/bin/python3 tests/aws-decode/data/bench.py "$PWD/bin"
