#!/usr/bin/python3
"""gen-alb.py MB: writes at least MB megabytes (10^6 bytes) of ALB access
log lines to stdout: a block of 20000 lines with random addresses, ids
and times (so that gzip compresses it about as well as real ALB logs),
repeated; the block is over 32 KiB, so repeating it does not help gzip."""
import random
import sys

want = int(sys.argv[1]) * 1000000
rnd = random.Random(5)
out = []
for i in range(20000):
    t = (i // 60 % 60, i % 60, rnd.randrange(1000000))
    out.append(
        'https 2024-03-05T17:%02d:%02d.%06dZ app/my-loadbalancer/'
        '50dc6c495c0c9188 192.168.%d.%d:%d 10.0.%d.%d:80 0.%03d 0.%03d '
        '0.000 %d %d %d %d "GET https://www.example.com:443/api/v1/items/'
        '%d?page=%d HTTP/1.1" "Mozilla/5.0 (X11; Linux x86_64) '
        'AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.%d.%d '
        'Safari/537.36" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 '
        'arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/'
        'my-targets/73e2d6bc24d8a067 "Root=1-%08x-%024x" '
        '"www.example.com" "arn:aws:acm:us-east-2:123456789012:'
        'certificate/12345678-1234-1234-1234-123456789012" 0 '
        '2024-03-05T17:%02d:%02d.%06dZ "forward" "-" "-" "10.0.%d.%d:80" '
        '"200" "-" "-" TID_%032x\n' % (
            t[0], t[1], t[2], rnd.randrange(256), rnd.randrange(256),
            rnd.randrange(1024, 65536), rnd.randrange(256),
            rnd.randrange(256), rnd.randrange(1000), rnd.randrange(1000),
            rnd.choice((200, 200, 200, 301, 404, 500)), 200,
            rnd.randrange(100, 2000), rnd.randrange(200, 90000),
            rnd.randrange(100000), rnd.randrange(20), rnd.randrange(9999),
            rnd.randrange(999), rnd.getrandbits(32), rnd.getrandbits(96),
            t[0], t[1], t[2], rnd.randrange(256), rnd.randrange(256),
            rnd.getrandbits(128)))
block = "".join(out).encode()
n = 0
w = sys.stdout.buffer
while n < want:
    w.write(block)
    n += len(block)
