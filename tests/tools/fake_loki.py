#!/usr/bin/python3
"""fake_loki.py: a fake Grafana Loki push endpoint for tests.

Decodes pushes (protobuf + snappy, or JSON, optionally gzip), validates
them as Loki does, records every accepted entry, and can be told to fail.
It shares no code with lokipipe's encoder: the protobuf classes are built
here at run time from a descriptor written in Python, with Loki's field
numbers and google.protobuf.Timestamp.

Usage:
  fake_loki.py [--port P] [--port-file F] --record FILE [options]
  It prints the port it listens on (one line on stdout) once ready.

  --port P              127.0.0.1:P (default 0: any free port)
  --record FILE         one JSON line per accepted entry:
                        {"tenant":T,"labels":{..},"ts":"NS","line":L,
                         "metadata":{..}}  (tenant "" when no header)
  --requests FILE       one JSON line per request: n, conn (connection
                        number), method, path, status, content_type,
                        content_encoding, tenant, authorization,
                        user_agent, headers, bytes, entries, error,
                        time (Unix seconds when the request arrived),
                        inflight (requests being handled then, this one
                        included)
  --fail SPEC           a rule (repeatable; rules are used in order, each
                        for COUNT requests, default 1, '*' = for ever):
                          STATUS[:COUNT][:retry-after=V][:msg=TEXT]
                              answer STATUS (e.g. 500, 429, 400, 401)
                              without storing anything; msg= takes the
                              rest of the spec, colons included
                          ok[:COUNT]          answer normally
                          reset[:COUNT]       read the request, then
                                              reset the connection
                          slow[:COUNT]:delay=S[:status=N]
                              wait S seconds, then answer N (default:
                              handle normally)
  --basic-auth U:P      require this basic auth (else 401)
  --bearer TOKEN        require Authorization: Bearer TOKEN (else 401)
  --require-tenant      401 "no org id" without X-Scope-OrgID
  --tls-cert F --tls-key F   serve HTTPS
  --max-line-size N     bytes (Loki's default 262144)
  --max-label-names N   (Loki's default 15)
  --reject-old-after S  refuse entries older than S seconds (default:
                        accept any age, as the test Loki does)
  --creation-grace S    refuse entries newer than now + S (default 600)

Control endpoints (same port): GET /fake/stats gives
{"requests","connections","entries","pushes_ok"}; POST /fake/fail with
spec lines replaces the rules; GET /ready answers "ready".

Validation follows Loki 3.4: a push is a partial success (valid streams
and entries are stored; 400 names the last error); labels with an empty
value are dropped; label strings are parsed as LogQL's parser does.
"""
import argparse
import base64
import gzip
import json
import os
import re
import socket
import ssl
import struct
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import snappy
from google.protobuf import descriptor_pb2, descriptor_pool, timestamp_pb2
from google.protobuf import message_factory

# --- Loki's logproto, built here from a descriptor ------------------------


def _push_request_class():
    pool = descriptor_pool.DescriptorPool()
    ts_file = descriptor_pb2.FileDescriptorProto()
    timestamp_pb2.DESCRIPTOR.CopyToProto(ts_file)
    pool.Add(ts_file)
    f = descriptor_pb2.FileDescriptorProto()
    f.name = "fake_loki_push.proto"
    f.package = "logproto"
    f.syntax = "proto3"
    f.dependency.append("google/protobuf/timestamp.proto")
    FD = descriptor_pb2.FieldDescriptorProto
    REP, OPT = FD.LABEL_REPEATED, FD.LABEL_OPTIONAL

    def msg(name, fields):
        m = f.message_type.add()
        m.name = name
        for fname, num, typ, label, tname in fields:
            fd = m.field.add()
            fd.name, fd.number, fd.type, fd.label = fname, num, typ, label
            if tname:
                fd.type_name = tname

    # Loki declares these as string; bytes reads the same wire type and
    # lets a line that is not UTF-8 through, as Go does.
    msg("PushRequest", [
        ("streams", 1, FD.TYPE_MESSAGE, REP, ".logproto.StreamAdapter")])
    msg("StreamAdapter", [
        ("labels", 1, FD.TYPE_BYTES, OPT, None),
        ("entries", 2, FD.TYPE_MESSAGE, REP, ".logproto.EntryAdapter"),
        ("hash", 3, FD.TYPE_UINT64, OPT, None)])
    msg("EntryAdapter", [
        ("timestamp", 1, FD.TYPE_MESSAGE, OPT, ".google.protobuf.Timestamp"),
        ("line", 2, FD.TYPE_BYTES, OPT, None),
        ("structuredMetadata", 3, FD.TYPE_MESSAGE, REP,
         ".logproto.LabelPairAdapter")])
    msg("LabelPairAdapter", [
        ("name", 1, FD.TYPE_BYTES, OPT, None),
        ("value", 2, FD.TYPE_BYTES, OPT, None)])
    pool.Add(f)
    d = pool.FindMessageTypeByName("logproto.PushRequest")
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(d)
    return message_factory.MessageFactory(pool).GetPrototype(d)


PushRequest = _push_request_class()

# --- LogQL label-string parsing (as Loki's syntax.ParseLabels) ------------

NAME_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
SIMPLE_ESC = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r",
              "t": "\t", "v": "\v", "\\": "\\", '"': '"'}


class ParseError(Exception):
    pass


def _go_string(s, i):
    """Parses a Go string literal ("..." or `...`) at s[i]; returns
    (value, next index). Raises ParseError."""
    q = s[i]
    if q == "`":
        j = s.find("`", i + 1)
        if j < 0:
            raise ParseError("literal not terminated")
        return s[i + 1:j], j + 1
    if q != '"':
        raise ParseError("unexpected character: %r" % q)
    out = []
    buf = bytearray()
    i += 1

    def flush():
        if buf:
            out.append(buf.decode("utf-8", "surrogateescape"))
            buf.clear()

    while True:
        if i >= len(s):
            raise ParseError("literal not terminated")
        c = s[i]
        if c == '"':
            flush()
            return "".join(out), i + 1
        if c == "\n":
            raise ParseError("newline in string")
        if c != "\\":
            flush()
            out.append(c)
            i += 1
            continue
        i += 1
        if i >= len(s):
            raise ParseError("escape sequence not terminated")
        c = s[i]
        if c in SIMPLE_ESC:
            flush()
            out.append(SIMPLE_ESC[c])
            i += 1
        elif c == "x":
            h = s[i + 1:i + 3]
            if not re.fullmatch(r"[0-9a-fA-F]{2}", h):
                raise ParseError("invalid \\x escape")
            buf.append(int(h, 16))
            i += 3
        elif c in "01234567":
            o = s[i:i + 3]
            if not re.fullmatch(r"[0-7]{3}", o) or int(o, 8) > 255:
                raise ParseError("invalid octal escape")
            buf.append(int(o, 8))
            i += 3
        elif c in "uU":
            n = 4 if c == "u" else 8
            h = s[i + 1:i + 1 + n]
            if not re.fullmatch(r"[0-9a-fA-F]{%d}" % n, h):
                raise ParseError("invalid unicode escape")
            cp = int(h, 16)
            if cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
                raise ParseError("escape sequence is invalid Unicode code "
                                 "point")
            flush()
            out.append(chr(cp))
            i += 1 + n
        else:
            raise ParseError("unknown escape sequence")


def parse_labels(s):
    """'{a="b", c="d"}' -> list of (name, value), in the given order."""
    i, n = 0, len(s)

    def ws(k):
        while k < n and s[k] in " \t\r\n":
            k += 1
        return k

    i = ws(i)
    if i >= n or s[i] != "{":
        raise ParseError("1:%d: parse error: unexpected character: %r"
                         % (i + 1, s[i:i + 1]))
    i = ws(i + 1)
    out = []
    if i < n and s[i] == "}":
        return out, ws(i + 1) == n
    while True:
        m = NAME_RE.match(s, i)
        if not m:
            raise ParseError("1:%d: parse error: unexpected character "
                             "inside braces: %r" % (i + 1, s[i:i + 1]))
        name = m.group(0)
        i = ws(m.end())
        if s[i:i + 1] != "=" or s[i:i + 2] == "=~":
            raise ParseError("1:%d: parse error: unexpected matcher" % (i + 1))
        i = ws(i + 1)
        if i >= n:
            raise ParseError("1:%d: parse error: unexpected end" % (i + 1))
        try:
            val, i = _go_string(s, i)
        except ParseError as e:
            raise ParseError("1:%d: parse error: %s" % (i + 1, e))
        out.append((name, val))
        i = ws(i)
        if i < n and s[i] == ",":
            i = ws(i + 1)
            if i < n and s[i] == "}":
                # Loki takes a trailing comma
                if ws(i + 1) != n:
                    raise ParseError("1:%d: parse error: unexpected text "
                                     "after '}'" % (i + 2))
                return out, True
            continue
        if i < n and s[i] == "}":
            if ws(i + 1) != n:
                raise ParseError("1:%d: parse error: unexpected text after "
                                 "'}'" % (i + 2))
            return out, True
        raise ParseError("1:%d: parse error: unexpected character: %r"
                         % (i + 1, s[i:i + 1]))


def go_quote(v):
    out = ['"']
    for ch in v:
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("\\x%02x" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def label_string(pairs):
    return "{" + ", ".join("%s=%s" % (k, go_quote(v))
                           for k, v in sorted(pairs)) + "}"

# --- failure rules ----------------------------------------------------------


class Rule:
    def __init__(self, spec):
        parts = spec.strip().split(":")
        self.kind = parts[0]
        self.count = 1
        self.opts = {}
        rest = parts[1:]
        if rest and (rest[0].isdigit() or rest[0] == "*"):
            self.count = None if rest[0] == "*" else int(rest[0])
            rest = rest[1:]
        while rest:
            k, _, v = rest[0].partition("=")
            if k == "msg":
                v = ":".join([v] + rest[1:])
                rest = []
            else:
                rest = rest[1:]
            self.opts[k] = v
        if not (self.kind in ("ok", "reset", "slow") or self.kind.isdigit()):
            raise ValueError("bad rule: %r" % spec)


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.rules = [Rule(s) for s in (args.fail or [])]
        self.requests = 0
        self.inflight = 0
        self.connections = 0
        self.entries = 0
        self.pushes_ok = 0
        self.record = open(args.record, "a", encoding="utf-8")
        self.reqlog = (open(args.requests, "a", encoding="utf-8")
                       if args.requests else None)

    def next_rule(self):
        with self.lock:
            while self.rules:
                r = self.rules[0]
                if r.count is None:
                    return r
                if r.count > 0:
                    r.count -= 1
                    return r
                self.rules.pop(0)
            return None


def ns_of(sec, nanos):
    return sec * 1000000000 + nanos

# --- decoding and validation --------------------------------------------


class BadPush(Exception):
    pass


def decode_proto(body):
    try:
        raw = snappy.uncompress(body)
    except Exception:
        raise BadPush("snappy: corrupt input")
    req = PushRequest()
    try:
        req.ParseFromString(raw)
    except Exception as e:
        raise BadPush("proto: %s" % e)
    streams = []
    for s in req.streams:
        ents = []
        for e in s.entries:
            md = [(p.name.decode("utf-8", "surrogateescape"),
                   p.value.decode("utf-8", "surrogateescape"))
                  for p in e.structuredMetadata]
            ents.append((ns_of(e.timestamp.seconds, e.timestamp.nanos),
                         e.line.decode("utf-8", "surrogateescape"), md))
        streams.append((s.labels.decode("utf-8", "surrogateescape"), ents))
    return streams


def decode_json(body):
    try:
        doc = json.loads(body)
    except Exception as e:
        raise BadPush("loghttp.PushRequest.Streams: %s" % e)
    if not isinstance(doc, dict) or not isinstance(doc.get("streams", []),
                                                   list):
        raise BadPush("loghttp.PushRequest: streams is not an array")
    streams = []
    for s in doc.get("streams") or []:
        lab = s.get("stream") if isinstance(s, dict) else None
        if not isinstance(lab, dict) or not all(
                isinstance(v, str) for v in lab.values()):
            raise BadPush("loghttp.PushRequest.Streams: stream is not an "
                          "object of strings")
        ents = []
        for v in s.get("values") or []:
            if (not isinstance(v, list) or len(v) not in (2, 3)
                    or not isinstance(v[0], str) or not v[0].isdigit()
                    or not isinstance(v[1], str)):
                raise BadPush("loghttp.PushRequest.Streams: a value is not "
                              "[\"<ns>\", \"<line>\"{, {metadata}}]")
            md = []
            if len(v) == 3:
                if not isinstance(v[2], dict) or not all(
                        isinstance(x, str) for x in v[2].values()):
                    raise BadPush("structured metadata is not an object of "
                                  "strings")
                md = list(v[2].items())
            ents.append((int(v[0]), v[1], md))
        # Loki turns the map into a label string and parses it again
        streams.append(("{" + ", ".join("%s=%s" % (k, go_quote(x))
                                        for k, x in lab.items()) + "}",
                        ents))
    return streams


def validate(state, tenant, streams):
    """Returns (accepted entries as record dicts, last error or None)."""
    a = state.args
    now = time.time_ns()
    accepted = []
    err = None
    for labstr, ents in streams:
        try:
            pairs, _ = parse_labels(labstr)
        except ParseError as e:
            err = "couldn't parse labels: %s" % e
            continue
        if not pairs:
            err = "error at least one label pair is required per stream"
            continue
        names = [k for k, _ in pairs]
        dup = [k for k in names if names.count(k) > 1]
        canon = label_string(pairs)
        if dup:
            err = "stream '%s' has duplicate label name: '%s'" % (canon,
                                                                 dup[0])
            continue
        if len(pairs) > a.max_label_names:
            err = ("stream '%s' has %d label names; limit %d"
                   % (canon, len(pairs), a.max_label_names))
            continue
        too = [k for k, v in pairs if len(k) > 1024]
        if too:
            err = "stream '%s' has label name too long: '%s'" % (canon, too[0])
            continue
        too = [v for k, v in pairs if len(v) > 2048]
        if too:
            err = "stream '%s' has label value too long: '%s'" % (canon,
                                                                 too[0])
            continue
        labels = {k: v for k, v in pairs if v != ""}
        for ts, line, md in ents:
            n = len(line.encode("utf-8", "surrogateescape"))
            if n > a.max_line_size:
                err = ("Max entry size '%d' bytes exceeded for stream '%s' "
                       "while adding an entry with length '%d' bytes"
                       % (a.max_line_size, canon, n))
                continue
            if a.reject_old_after is not None and \
                    ts < now - int(a.reject_old_after * 1e9):
                err = ("entry for stream '%s' has timestamp too old: %s"
                       % (canon, ts))
                continue
            if ts > now + int(a.creation_grace * 1e9):
                err = ("entry for stream '%s' has timestamp too new: %s"
                       % (canon, ts))
                continue
            bad = [k for k, _ in md if not NAME_RE.fullmatch(k)]
            if bad:
                err = ("entry for stream '%s' has invalid structured "
                       "metadata name: '%s'" % (canon, bad[0]))
                continue
            accepted.append({"tenant": tenant, "labels": labels,
                             "ts": str(ts), "line": line,
                             "metadata": dict(md)})
    return accepted, err

# --- HTTP -----------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # answers go out at once, not after the client's delayed ACK
    disable_nagle_algorithm = True
    server_version = "fake-loki/1"

    def setup(self):
        super().setup()
        st = self.server.state
        with st.lock:
            st.connections += 1
            self.conn_no = st.connections

    def log_message(self, fmt, *args):
        if self.server.state.args.verbose:
            sys.stderr.write("fake_loki: " + (fmt % args) + "\n")

    def reply(self, status, text="", ctype="text/plain; charset=utf-8",
              headers=None):
        body = text.encode("utf-8", "surrogateescape")
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if status != 204:
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 204:
            self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        st = self.server.state
        if self.path == "/ready":
            return self.reply(200, "ready\n")
        if self.path == "/fake/stats":
            with st.lock:
                d = {"requests": st.requests, "connections": st.connections,
                     "entries": st.entries, "pushes_ok": st.pushes_ok}
            return self.reply(200, json.dumps(d) + "\n", "application/json")
        self.reply(404, "404 page not found\n")

    def do_POST(self):
        st = self.server.state
        body = self.read_body()
        if self.path == "/fake/fail":
            rules = [Rule(x) for x in body.decode().splitlines() if x.strip()]
            with st.lock:
                st.rules = rules
            return self.reply(200, "ok\n")
        with st.lock:
            st.requests += 1
            n = st.requests
            st.inflight += 1
            inflight = st.inflight
        try:
            self.handle_post(body, n, inflight)
        finally:
            with st.lock:
                st.inflight -= 1

    def handle_post(self, body, n, inflight):
        st = self.server.state
        info = {"n": n, "conn": self.conn_no, "method": "POST",
                "inflight": inflight, "time": time.time(),
                "path": self.path,
                "content_type": self.headers.get("Content-Type", ""),
                "content_encoding": self.headers.get("Content-Encoding", ""),
                "tenant": self.headers.get("X-Scope-OrgID", ""),
                "authorization": self.headers.get("Authorization", ""),
                "user_agent": self.headers.get("User-Agent", ""),
                "headers": {k: v for k, v in self.headers.items()},
                "bytes": len(body), "entries": 0, "error": ""}
        status, text, hdrs = self.handle_push(body, info)
        info["status"] = status
        info["error"] = text.strip() if status >= 300 else ""
        if st.reqlog:
            with st.lock:
                st.reqlog.write(json.dumps(info) + "\n")
                st.reqlog.flush()
        if status == -1:
            # reset: RST instead of an answer
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.connection.close()
            return
        self.reply(status, text, headers=hdrs)

    def handle_push(self, body, info):
        st = self.server.state
        a = st.args
        rule = st.next_rule()
        if rule is not None:
            if rule.kind == "reset":
                return -1, "", None
            if rule.kind == "slow":
                time.sleep(float(rule.opts.get("delay", "2")))
                if "status" in rule.opts:
                    s = int(rule.opts["status"])
                    return s, rule.opts.get("msg", "slow") + "\n", None
            elif rule.kind != "ok":
                hdrs = {}
                if "retry-after" in rule.opts:
                    hdrs["Retry-After"] = rule.opts["retry-after"]
                msg = rule.opts.get("msg", {
                    "429": "Ingestion rate limit exceeded for user fake",
                    "401": "Unauthorized",
                    "500": "internal server error",
                }.get(rule.kind, "fake failure %s" % rule.kind))
                return int(rule.kind), msg + "\n", hdrs
        if self.path not in ("/loki/api/v1/push", "/api/prom/push"):
            return 404, "404 page not found\n", None
        auth = self.headers.get("Authorization", "")
        if a.basic_auth:
            want = "Basic " + base64.b64encode(a.basic_auth.encode()).decode()
            if auth != want:
                return 401, "Unauthorized\n", None
        if a.bearer and auth != "Bearer " + a.bearer:
            return 401, "Unauthorized\n", None
        tenant = self.headers.get("X-Scope-OrgID", "")
        if a.require_tenant and not tenant:
            return 401, "no org id\n", None
        enc = self.headers.get("Content-Encoding", "").lower()
        try:
            if enc == "gzip":
                body = gzip.decompress(body)
            elif enc == "deflate":
                body = zlib.decompress(body)
            ctype = self.headers.get("Content-Type", "").split(";")[0]
            if ctype.strip().lower() == "application/json":
                streams = decode_json(body)
            else:
                streams = decode_proto(body)
        except BadPush as e:
            return 400, str(e) + "\n", None
        except (OSError, zlib.error) as e:
            return 400, "%s\n" % e, None
        accepted, err = validate(st, tenant, streams)
        with st.lock:
            for rec in accepted:
                st.record.write(json.dumps(rec, sort_keys=True) + "\n")
            st.record.flush()
            st.entries += len(accepted)
            if err is None:
                st.pushes_ok += 1
        info["entries"] = len(accepted)
        if err is not None:
            return 400, err + "\n", None
        return 204, "", None


def main():
    ap = argparse.ArgumentParser(description="fake Loki push endpoint")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--record", required=True)
    ap.add_argument("--requests")
    ap.add_argument("--fail", action="append")
    ap.add_argument("--basic-auth")
    ap.add_argument("--bearer")
    ap.add_argument("--require-tenant", action="store_true")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--max-line-size", type=int, default=262144)
    ap.add_argument("--max-label-names", type=int, default=15)
    ap.add_argument("--reject-old-after", type=float)
    ap.add_argument("--creation-grace", type=float, default=600)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    class Server(ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            # a client that gave up (timeout) or failed the TLS handshake
            if args.verbose:
                super().handle_error(request, client_address)

    srv = Server(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    srv.state = State(args)
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    port = srv.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    sys.stdout.write("%d\n" % port)
    sys.stdout.flush()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
