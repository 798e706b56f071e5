#!/usr/bin/python3
"""freeport.py [N]: prints a TCP port P on 127.0.0.1 such that P..P+N-1
and P+1000 are free (run-loki takes P for HTTP and P+1000 for gRPC unless
LOKI_GRPC_PORT says otherwise)."""
import random
import socket
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1


def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
        return True
    except OSError:
        return False
    finally:
        s.close()


for _ in range(1000):
    p = random.randint(20000, 40000)
    if all(free(p + i) for i in range(n)) and free(p + 1000):
        print(p)
        sys.exit(0)
sys.exit("freeport: no free port")
