#!/usr/bin/python3
"""Regression test: routeros-sim must stop cleanly on SIGTERM/SIGINT while many
clients are connected and streaming (exit status 0, final stats line on stdout,
nothing on stderr).

It used to free its routers before the io_context destroyed the pending
handlers that still owned the connections: a use-after-free at exit, seen as
SIGSEGV / SIGABRT ("malloc_consolidate(): unaligned fastbin chunk detected").

Each round starts the simulator, connects streaming monitor-traffic clients on
every router (some read, some never read so their write queues back up), a
/ppp/active/listen, commands held by a `slow` fault, a control-port client and
a half-logged-in TLS client when openssl is available, then sends the signal.

Usage: /usr/bin/python3 check_sim_shutdown.py <path to routeros-sim>
"""
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

ROUTERS = 4
SESSIONS = 2000
CONNS_PER_ROUTER = 4
IFACES_PER_STREAM = 400
STREAM_SECONDS = 1.5


def enc_len(n):
    if n < 0x80:
        return bytes([n])
    if n < 0x4000:
        return (n | 0x8000).to_bytes(2, "big")
    if n < 0x200000:
        return (n | 0xC00000).to_bytes(3, "big")
    return (n | 0xE0000000).to_bytes(4, "big")


def sentence(*words):
    out = b""
    for w in words:
        b = w.encode()
        out += enc_len(len(b)) + b
    return out + b"\0"


def free_ports(n):
    """A run of n+1 consecutive free ports (routers + control port)."""
    for _ in range(50):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        base = s.getsockname()[1]
        s.close()
        if base + n >= 65535:
            continue
        ok = True
        for p in range(base, base + n + 1):
            t = socket.socket()
            try:
                t.bind(("127.0.0.1", p))
            except OSError:
                ok = False
            finally:
                t.close()
            if not ok:
                break
        if ok:
            return base
    raise SystemExit("no free port range")


def make_cert(tmp):
    if not shutil.which("openssl"):
        return None
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                        "/CN=localhost", "-keyout", key, "-out", cert], capture_output=True)
    return (cert, key) if r.returncode == 0 else None


def connect(port, tls):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s)
    return s


def run_round(binary, sig, tls_files):
    base = free_ports(ROUTERS)
    control = base + ROUTERS
    args = [binary, "--routers", str(ROUTERS), "--base-port", str(base), "--sessions", str(SESSIONS),
            "--interval", "0.05", "--control-port", str(control), "--churn", "600",
            "--fault", "%d:slow:delay=60000" % (ROUTERS - 1)]
    if tls_files:
        args += ["--tls-cert", tls_files[0], "--tls-key", tls_files[1]]
    what = "%s%s" % (signal.Signals(sig).name, " (TLS)" if tls_files else "")
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        raise SystemExit("FAILED: routeros-sim did not start: %r %s" % (line, proc.stderr.read()))
    pool = SESSIONS + (SESSIONS + 9) // 10
    socks = []
    try:
        for r in range(ROUTERS):
            for c in range(CONNS_PER_ROUTER):
                s = connect(base + r, tls_files)
                s.sendall(sentence("/login", "=name=admin", "=password="))
                first = r * pool + 1 + (c * IFACES_PER_STREAM) % (SESSIONS - IFACES_PER_STREAM)
                ifs = ",".join("<pppoe-user%04d>" % u for u in range(first, first + IFACES_PER_STREAM))
                for t in range(2):
                    s.sendall(sentence("/interface/monitor-traffic", "=interface=" + ifs, ".tag=m%d" % t))
                s.sendall(sentence("/ppp/active/listen", ".tag=l"))
                socks.append(s)
        # A client that connected but never logged in, and one mid-handshake (TLS).
        socks.append(socket.create_connection(("127.0.0.1", base)))
        ctl = socket.create_connection(("127.0.0.1", control), timeout=10)
        ctl.sendall(b"ping\n")
        if ctl.recv(100) != b"pong\n":
            raise SystemExit("FAILED: control port did not answer ping")
        socks.append(ctl)
        # Read from every other streaming client; the rest back up.
        readers = socks[: ROUTERS * CONNS_PER_ROUTER : 2]
        for s in readers:
            s.setblocking(False)
        got = 0
        end = time.time() + STREAM_SECONDS
        while time.time() < end:
            for s in readers:
                try:
                    got += len(s.recv(1 << 20))
                except (BlockingIOError, ssl.SSLWantReadError):
                    pass
            time.sleep(0.005)
        if got == 0:
            raise SystemExit("FAILED: no monitor-traffic data streamed before %s" % what)
        proc.send_signal(sig)
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            raise SystemExit("FAILED: routeros-sim did not exit within 60 s of %s" % what)
    finally:
        for s in socks:
            s.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines = out.strip().splitlines()
    if proc.returncode != 0:
        raise SystemExit("FAILED: routeros-sim exited with %d on %s while %d clients streamed; stderr: %s"
                         % (proc.returncode, what, len(socks), err[-2000:]))
    if not lines or not lines[-1].startswith("routeros-sim: stats {"):
        raise SystemExit("FAILED: no final stats line after %s: %r" % (what, lines[-1:]))
    if err.strip():
        raise SystemExit("FAILED: unexpected stderr after %s: %s" % (what, err[-2000:]))
    print("ok: %s with %d clients (%d bytes read): exit 0, %s" % (what, len(socks), got, lines[-1][:90]))


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        tls_files = make_cert(tmp)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGTERM):
            run_round(binary, sig, None)
        if tls_files:
            run_round(binary, signal.SIGTERM, tls_files)
        else:
            print("skip: TLS round (no openssl)")


if __name__ == "__main__":
    main()
