#!/usr/bin/python3
"""fake_s3.py --port P --dir DIR [--key-id K --secret S [--token T]]
              [--tls-cert F --tls-key F] [--bucket-region B=R]

A small S3 for tests: GET (and HEAD) of path-style /BUCKET/KEY serves the
file DIR/BUCKET/KEY. Every request's SigV4 signature is recomputed with
Debian's python3-botocore (S3SigV4Auth), independently of the client's
signer: the canonical URI is re-encoded from the decoded key as S3 does,
the payload hash, the date, the credential scope and the session token are
checked. A bad signature gets 403 SignatureDoesNotMatch, as from S3.

Failing on purpose: DIR/faults.json maps a key to a list of faults, used
one per request in order (re-read on every request):
  "500" "503" "429" "404" "403"  that status with an S3 XML error body
  "truncate"   full Content-Length, half the body, then the connection
               is closed
  "reset"      the connection is reset (RST) before any response
  "slow"       the body in 64-byte pieces, 50 ms apart
  "norange"    a Range header is ignored (200 with the whole object)
--bucket-region BUCKET=REGION: a request for BUCKET signed for another
region gets 400 AuthorizationHeaderMalformed and x-amz-bucket-region.
Each request is logged as a JSON line to DIR/requests.log (method, path,
range, if-match, client port, signature result, status).
"""
import argparse
import datetime
import email.utils
import hashlib
import json
import os
import socket
import ssl
import struct
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

EMPTY_SHA = hashlib.sha256(b"").hexdigest()
ARGS = None


def s3_quote(key):
    # S3's canonical URI: every byte but unreserved ones and '/' encoded
    return urllib.parse.quote(key, safe="/~")


def parse_auth(value):
    if not value.startswith("AWS4-HMAC-SHA256 "):
        return None
    out = {}
    for part in value[len("AWS4-HMAC-SHA256 "):].split(","):
        k, _, v = part.strip().partition("=")
        out[k] = v
    if not {"Credential", "SignedHeaders", "Signature"} <= set(out):
        return None
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def record(self, **kw):
        kw.update(method=self.command, path=self.path,
                  port=self.client_address[1],
                  range=self.headers.get("Range"),
                  if_match=self.headers.get("If-Match"))
        with open(os.path.join(ARGS.dir, "requests.log"), "a") as f:
            f.write(json.dumps(kw) + "\n")

    def error(self, status, code, msg, sig="ok"):
        body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"
                "%s</Code><Message>%s</Message></Error>" % (code, msg)
                ).encode()
        self.record(status=status, sig=sig)
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def check_sig(self, raw_path):
        """None when the signature is right, else the reason."""
        a = parse_auth(self.headers.get("Authorization", ""))
        if a is None:
            return "no SigV4 Authorization header"
        cred = a["Credential"].split("/")
        if len(cred) != 5 or cred[3] != "s3" or cred[4] != "aws4_request":
            return "bad credential scope %s" % a["Credential"]
        if cred[0] != ARGS.key_id:
            return "InvalidAccessKeyId"
        amzdate = self.headers.get("x-amz-date", "")
        try:
            t = datetime.datetime.strptime(amzdate, "%Y%m%dT%H%M%SZ")
        except ValueError:
            return "bad x-amz-date %r" % amzdate
        if abs((datetime.datetime.utcnow() - t).total_seconds()) > 900:
            return "x-amz-date too far from now"
        if cred[1] != amzdate[:8]:
            return "credential date differs from x-amz-date"
        signed = a["SignedHeaders"].split(";")
        for need in ("host", "x-amz-date", "x-amz-content-sha256"):
            if need not in signed:
                return "%s not signed" % need
        if self.headers.get("x-amz-content-sha256") != EMPTY_SHA:
            return "x-amz-content-sha256 is not the hash of the empty body"
        if ARGS.token:
            if self.headers.get("x-amz-security-token") != ARGS.token:
                return "x-amz-security-token missing or wrong"
            if "x-amz-security-token" not in signed:
                return "x-amz-security-token not signed"
        # rebuild the request from what was signed, the path encoded as
        # S3 encodes it (not as the client sent it)
        path, _, query = raw_path.partition("?")
        canon = s3_quote(urllib.parse.unquote(path))
        url = "http://%s%s" % (self.headers.get("Host", ""), canon)
        if query:
            url += "?" + query
        hdrs = {}
        for h in signed:
            v = self.headers.get(h)
            if v is None:
                return "signed header %s absent" % h
            hdrs[h] = v
        req = AWSRequest(method=self.command, url=url, headers=hdrs)
        req.context["timestamp"] = amzdate
        creds = Credentials(ARGS.key_id, ARGS.secret, ARGS.token or None)
        auth = S3SigV4Auth(creds, "s3", cred[2])
        creq = auth.canonical_request(req)
        sts = auth.string_to_sign(req, creq)
        want = auth.signature(sts, req)
        if want != a["Signature"]:
            return "SignatureDoesNotMatch"
        got_signed = auth.signed_headers(auth.headers_to_sign(req))
        if got_signed != a["SignedHeaders"]:
            return "SignedHeaders %s, botocore signs %s" % (
                a["SignedHeaders"], got_signed)
        return None

    def next_fault(self, key):
        fpath = os.path.join(ARGS.dir, "faults.json")
        try:
            with open(fpath) as f:
                faults = json.load(f)
        except (OSError, ValueError):
            return None
        lst = faults.get(key) or faults.get("*")
        if not lst:
            return None
        fault = lst.pop(0)
        with open(fpath + ".tmp", "w") as f:
            json.dump(faults, f)
        os.replace(fpath + ".tmp", fpath)
        return fault

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        raw = self.path
        path = urllib.parse.unquote(raw.partition("?")[0])
        parts = path.lstrip("/").split("/", 1)
        if len(parts) != 2 or not parts[1]:
            return self.error(400, "InvalidRequest", "path-style only")
        bucket, key = parts
        why = self.check_sig(raw)
        if why == "InvalidAccessKeyId":
            return self.error(403, "InvalidAccessKeyId",
                              "The AWS Access Key Id does not exist",
                              sig=why)
        if why is not None:
            sys.stderr.write("fake_s3: %s %s: %s\n" % (self.command, raw,
                                                        why))
            return self.error(403, "SignatureDoesNotMatch", why, sig=why)
        want_region = ARGS.region_of.get(bucket)
        scope = parse_auth(self.headers.get("Authorization", ""))
        if want_region and scope["Credential"].split("/")[2] != want_region:
            # as S3 answers a request signed for another region
            self.record(status=400, sig="ok", fault="region")
            body = ("<Error><Code>AuthorizationHeaderMalformed</Code>"
                    "<Region>%s</Region></Error>" % want_region).encode()
            self.send_response(400)
            self.send_header("x-amz-bucket-region", want_region)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        fault = self.next_fault(key)
        if fault in ("500", "503", "429", "404", "403"):
            code = {"500": "InternalError", "503": "SlowDown",
                    "429": "TooManyRequests", "404": "NoSuchKey",
                    "403": "AccessDenied"}[fault]
            return self.error(int(fault), code, "fault " + fault)
        if fault == "reset":
            self.record(status=0, sig="ok", fault="reset")
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return None
        fpath = os.path.join(ARGS.dir, bucket, key)
        if not os.path.isfile(fpath):
            return self.error(404, "NoSuchKey",
                              "The specified key does not exist.")
        with open(fpath, "rb") as f:
            data = f.read()
        etag = '"%s"' % hashlib.md5(data).hexdigest()
        start = 0
        status = 200
        rng = self.headers.get("Range")
        if rng and fault != "norange":
            im = self.headers.get("If-Match")
            if im is not None and im != etag:
                return self.error(412, "PreconditionFailed",
                                  "At least one of the preconditions "
                                  "you specified did not hold")
            if not (rng.startswith("bytes=") and rng.endswith("-")):
                return self.error(400, "InvalidRange", "only bytes=N-")
            start = int(rng[6:-1])
            if start >= len(data):
                return self.error(416, "InvalidRange", "out of range")
            status = 206
        body = data[start:]
        self.record(status=status, sig="ok", fault=fault)
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", email.utils.formatdate(
            os.path.getmtime(fpath), usegmt=True))
        self.send_header("Content-Type", "application/octet-stream")
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (
                start, len(data) - 1, len(data)))
        self.end_headers()
        if self.command == "HEAD":
            return None
        if fault == "truncate":
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return None
        if fault == "slow":
            for i in range(0, len(body), 64):
                self.wfile.write(body[i:i + 64])
                self.wfile.flush()
                time.sleep(0.05)
            return None
        view = memoryview(body)
        for i in range(0, len(body), 1 << 20):
            self.wfile.write(view[i:i + (1 << 20)])
        return None


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--key-id", default="AKIDTEST")
    p.add_argument("--secret", default="secret/test+key")
    p.add_argument("--token", default="")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--bucket-region", action="append", default=[],
                   help="BUCKET=REGION: requests signed for another "
                   "region get 400 with x-amz-bucket-region")
    ARGS = p.parse_args()
    ARGS.region_of = dict(x.split("=", 1) for x in ARGS.bucket_region)
    srv = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    srv.daemon_threads = True
    if ARGS.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(ARGS.tls_cert, ARGS.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
