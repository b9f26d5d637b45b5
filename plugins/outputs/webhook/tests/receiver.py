#!/usr/bin/env python3
"""Loopback webhook receiver for the webhook output's tests (stdlib only).

Every request is appended as one JSON line to --log: method, path, headers
(lower-case names), body (gunzipped when Content-Encoding: gzip), the client
port (to see keep-alive reuse), whether the Standard Webhooks / GitHub
signatures verify, and the status answered.

Answers come from --plan, a JSON list re-read on every request: the first
entry is taken (and the file rewritten without it); with an empty list the
answer is 200. An entry: {"status": 503, "retry_after": "1", "body": "...",
"delay": 0.5,
"close": "header"} — "close": "header" answers with Connection: close, "silent"
closes the connection after the answer without saying so (as a server whose
keep-alive timeout expired does).

At start-up the Standard Webhooks verifier checks itself against the test
vector of the specification's reference library
(standard-webhooks libraries/python/tests/test_webhooks.py, test_sign_function)
and exits 3 when it disagrees, so a passing test means both our signer and
this verifier agree with the spec.
"""
import argparse
import base64
import gzip
import hashlib
import hmac
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()


def standard_verify(secret, msg_id, timestamp, body, header):
    if secret.startswith("whsec_"):
        secret = secret[len("whsec_"):]
    key = base64.b64decode(secret)
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for part in header.split(" "):
        version, _, sig = part.partition(",")
        if version == "v1" and hmac.compare_digest(sig, expected):
            return True
    return False


def self_check():
    ok = standard_verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
                         b'{"test": 2432232314}', "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    bad = standard_verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
                          b'{"test": 2432232314}', "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=")
    return ok and not bad


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        self.handle_any()

    def do_PUT(self):
        self.handle_any()

    def handle_any(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        body = gzip.decompress(raw) if self.headers.get("Content-Encoding") == "gzip" else raw
        headers = {k.lower(): v for k, v in self.headers.items()}
        entry = {"method": self.command, "path": self.path, "headers": headers,
                 "body": body.decode("utf-8", "replace"), "client_port": self.client_address[1],
                 "time": time.time()}
        if self.server.secret and "webhook-signature" in headers:
            entry["standard_ok"] = standard_verify(self.server.secret, headers.get("webhook-id", ""),
                                                   headers.get("webhook-timestamp", ""), body,
                                                   headers["webhook-signature"])
        if self.server.github_secret and "x-hub-signature-256" in headers:
            mac = hmac.new(self.server.github_secret.encode(), body, hashlib.sha256).hexdigest()
            entry["github_ok"] = hmac.compare_digest("sha256=" + mac, headers["x-hub-signature-256"])
        with LOCK:
            plan = []
            if self.server.plan:
                try:
                    with open(self.server.plan) as f:
                        plan = json.load(f)
                except (OSError, ValueError):
                    plan = []
            step = plan.pop(0) if plan else {}
            if self.server.plan and step:
                with open(self.server.plan, "w") as f:
                    json.dump(plan, f)
        status = int(step.get("status", 200))
        entry["status"] = status
        with LOCK:  # logged before answering, so a client that got the answer finds its entry
            with open(self.server.log, "a") as f:
                f.write(json.dumps(entry) + "\n")
        if step.get("delay"):
            time.sleep(float(step["delay"]))
        answer = step.get("body", "").encode()
        self.send_response(status)
        if step.get("retry_after") is not None:
            self.send_header("Retry-After", str(step["retry_after"]))
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(answer)))
        if step.get("close") == "header":
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(answer)
        if step.get("close"):
            self.close_connection = True


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--plan")
    p.add_argument("--secret")
    p.add_argument("--github-secret")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--client-ca", help="require a client certificate signed by this CA")
    a = p.parse_args()
    if not self_check():
        print("receiver: Standard Webhooks verifier disagrees with the spec's test vector", file=sys.stderr)
        sys.exit(3)
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    srv.log, srv.plan, srv.secret, srv.github_secret = a.log, a.plan, a.secret, a.github_secret
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        if a.client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(a.client_ca)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
