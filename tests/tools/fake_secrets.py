#!/usr/bin/python3
"""A fake AWS Secrets Manager and SSM Parameter Store for lokipipe's tests.

  fake_secrets.py [--port P] [--portfile F] --key-id K --secret S
                  [--token T] [--sm ARN=VALUE ...] [--ssm ARN=VALUE ...]
                  [--requests FILE] [--fail SPEC ...]

Answers the JSON-1.1 POSTs secretsmanager.GetSecretValue (SecretId) and
AmazonSSM.GetParameter (Name, WithDecryption) as AWS does, by ARN or name.
Every request's SigV4 signature is recomputed with Debian's
python3-botocore (SigV4Auth), from the request as received: a bad
signature, an unknown key id, a missing or wrong session token, a wrong
region or service in the credential scope, or an x-amz-content-sha256
that is not the body's all get 400 InvalidSignatureException (or
UnrecognizedClientException), as from AWS. An SSM SecureString asked for
without WithDecryption comes back encrypted (a base64 blob).
--fail SPEC  fail on purpose, in order, repeatable:
             500:N    N answers 500 InternalFailure
             429:N    N answers 429 ThrottlingException
             reset:N  N connections reset
             slow:MS  wait MS before every answer
             bad:N    N answers 200 with a body that is not JSON
Prints the port when ready; --requests logs one JSON line per request
(target, id, signature result, status).
"""
import argparse
import base64
import hashlib
import json
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

A = None
LOCK = threading.Lock()
FAIL = []
SLOW = 0.0


def take(kind):
    with LOCK:
        for f in FAIL:
            if f[0] == kind and f[1] > 0:
                f[1] -= 1
                return True
    return False


def check_sig(h, body, port):
    """None when the signature is right, else (type, message)."""
    auth = h.get("Authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return ("MissingAuthenticationTokenException", "no SigV4 header")
    parts = dict(p.strip().split("=", 1)
                 for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
    cred = parts.get("Credential", "").split("/")
    if len(cred) != 5 or cred[4] != "aws4_request":
        return ("IncompleteSignatureException", "bad credential scope")
    key, day, region, service = cred[0], cred[1], cred[2], cred[3]
    if key != A.key_id:
        return ("UnrecognizedClientException",
                "The security token included in the request is invalid.")
    target = h.get("X-Amz-Target", "")
    want = "secretsmanager" if target.startswith("secretsmanager.") \
        else "ssm"
    if service != want:
        return ("InvalidSignatureException", "wrong service in scope")
    if A.token is not None and h.get("X-Amz-Security-Token") != A.token:
        return ("UnrecognizedClientException", "bad session token")
    sha = h.get("X-Amz-Content-SHA256")
    if sha is not None and sha != hashlib.sha256(body).hexdigest():
        return ("InvalidSignatureException", "payload hash mismatch")
    signed = parts.get("SignedHeaders", "").split(";")
    if "host" not in signed or "x-amz-date" not in signed:
        return ("InvalidSignatureException", "host/x-amz-date not signed")
    if A.token is not None and "x-amz-security-token" not in signed:
        return ("InvalidSignatureException", "token not signed")
    hdrs = {}
    for name in signed:
        v = h.get(name)
        if v is None:
            return ("InvalidSignatureException", "missing " + name)
        hdrs[name] = v
    req = AWSRequest(method="POST", url="http://%s/" % hdrs["host"],
                     data=body, headers=hdrs)
    signer = SigV4Auth(Credentials(A.key_id, A.secret, A.token),
                       service, region)
    req.context["timestamp"] = hdrs["x-amz-date"]
    if hdrs["x-amz-date"][:8] != day:
        return ("InvalidSignatureException", "date mismatch")
    sts = signer.string_to_sign(req, signer.canonical_request(req))
    if signer.signature(sts, req) != parts.get("Signature"):
        return ("InvalidSignatureException",
                "The request signature we calculated does not match the "
                "signature you provided.")
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *a):
        pass

    def answer(self, code, obj, raw=None):
        b = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
        return code

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        if SLOW:
            time.sleep(SLOW)
        if take("reset"):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.connection.close()
            self.close_connection = True
            return self.log_req("reset", None, 0)
        target = self.headers.get("X-Amz-Target", "")
        bad = check_sig(self.headers, body, self.server.server_address[1])
        try:
            q = json.loads(body)
        except ValueError:
            q = {}
        ident = q.get("SecretId") or q.get("Name")
        if bad is not None:
            st = self.answer(400, {"__type": bad[0], "message": bad[1]})
            return self.log_req(target, ident, st, bad[0])
        if take("500"):
            st = self.answer(500, {"__type": "InternalFailure"})
            return self.log_req(target, ident, st)
        if take("429"):
            st = self.answer(429, {"__type": "ThrottlingException",
                                   "message": "Rate exceeded"})
            return self.log_req(target, ident, st)
        if take("bad"):
            st = self.answer(200, None, b"<html>not json")
            return self.log_req(target, ident, st)
        if target == "secretsmanager.GetSecretValue":
            v = A.sm.get(ident)
            if v is None:
                st = self.answer(400, {
                    "__type": "ResourceNotFoundException",
                    "message": "Secrets Manager can't find the specified "
                               "secret."})
            else:
                st = self.answer(200, {"ARN": ident, "Name": ident,
                                       "SecretString": v,
                                       "VersionId": "v1",
                                       "VersionStages": ["AWSCURRENT"]})
        elif target == "AmazonSSM.GetParameter":
            v = A.ssm.get(ident)
            if v is None:
                st = self.answer(400, {"__type": "ParameterNotFound"})
            else:
                if not q.get("WithDecryption"):
                    v = base64.b64encode(b"kms:" + v.encode()).decode()
                st = self.answer(200, {"Parameter": {
                    "ARN": ident, "Name": ident, "Type": "SecureString",
                    "Value": v, "Version": 1, "DataType": "text"}})
        else:
            st = self.answer(400, {"__type": "UnknownOperationException"})
        self.log_req(target, ident, st)

    def log_req(self, target, ident, status, sig=None):
        if A.requests:
            with LOCK, open(A.requests, "a") as f:
                f.write(json.dumps({"target": target, "id": ident,
                                    "status": status,
                                    "signature": sig or "ok"}) + "\n")


def pairs(lst):
    out = {}
    for kv in lst or []:
        k, v = kv.split("=", 1)
        out[k] = v
    return out


def main():
    global A, SLOW
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--portfile")
    ap.add_argument("--key-id", required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--token")
    ap.add_argument("--sm", action="append")
    ap.add_argument("--ssm", action="append")
    ap.add_argument("--requests")
    ap.add_argument("--fail", action="append")
    A = ap.parse_args()
    A.sm = pairs(A.sm)
    A.ssm = pairs(A.ssm)
    for spec in A.fail or []:
        k, v = spec.split(":", 1)
        if k == "slow":
            SLOW = int(v) / 1000.0
        else:
            FAIL.append([k, int(v)])
    srv = ThreadingHTTPServer(("127.0.0.1", A.port), Handler)
    srv.daemon_threads = True
    port = srv.server_address[1]
    if A.portfile:
        with open(A.portfile + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.rename(A.portfile + ".tmp", A.portfile)
    print(port, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
