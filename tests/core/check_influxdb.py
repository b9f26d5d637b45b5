"""Writes line protocol to a real InfluxDB 1.x server and checks it accepts every line.

Usage: check_influxdb.py INFLUXD LP WORKDIR

Starts INFLUXD (Debian's `influxdb` package, /usr/bin/influxd) on free loopback
ports with its data under WORKDIR, creates a database, POSTs LP to /write and
expects 204. When the batch is refused, every line is written alone and each
refused line is printed. Then it checks that nothing was silently skipped (a
line read as a comment, a field dropped): the server must know as many field
keys as the lines hold (the generator makes every field key unique). Exit 0
when every line was accepted and stored, 1 when not, 2 when the server did not
start. Standard library only.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
from lineprotocol import parse_line  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(url, data=None, timeout=30):
    """(status, body) of a GET or POST."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def main(influxd, lp_path, workdir):
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = dict(os.environ,
               INFLUXDB_META_DIR=str(work / "meta"), INFLUXDB_DATA_DIR=str(work / "data"),
               INFLUXDB_DATA_WAL_DIR=str(work / "wal"), INFLUXDB_HTTP_BIND_ADDRESS=f"127.0.0.1:{port}",
               INFLUXDB_BIND_ADDRESS=f"127.0.0.1:{free_port()}", INFLUXDB_REPORTING_DISABLED="true",
               INFLUXDB_HTTP_LOG_ENABLED="false", INFLUXDB_DATA_QUERY_LOG_ENABLED="false")
    base = f"http://127.0.0.1:{port}"
    with open(work / "influxd.log", "wb") as log:
        server = subprocess.Popen([influxd, "run", "-config", "/dev/null"], env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
    try:
        started = time.monotonic()
        while True:
            try:
                if request(base + "/ping", timeout=2)[0] == 204:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() - started > 30:
                print(f"influxd did not start; see {work / 'influxd.log'}")
                return 2
            time.sleep(0.05)
        print(f"influxd answered /ping after {time.monotonic() - started:.2f}s")
        status, body = request(base + "/query", urllib.parse.urlencode({"q": "CREATE DATABASE rp"}).encode())
        if status != 200:
            print(f"CREATE DATABASE: {status} {body}")
            return 2
        data = Path(lp_path).read_bytes()
        lines = data.split(b"\n")[:-1]
        write = base + "/write?db=rp&precision=ns"
        status, body = request(write, data)
        if status == 204:
            print(f"influxd accepted all {len(lines)} lines in one write")
        else:
            print(f"batch write: {status} {body.strip()}; writing each line alone")
            refused = 0
            for line in lines:
                status, body = request(write, line + b"\n")
                if status != 204:
                    refused += 1
                    if refused <= 20:
                        print(f"refused ({status} {body.strip()}): {line!r}")
            print(f"{refused} of {len(lines)} lines refused")
            if refused:
                return 1
        want = sum(len(parse_line(line.decode("utf-8"))[2]) for line in lines)
        status, body = request(base + "/query?db=rp", urllib.parse.urlencode({"q": "SHOW FIELD KEYS"}).encode())
        series = json.loads(body)["results"][0].get("series", []) if status == 200 else []
        got = sum(len(s["values"]) for s in series)
        print(f"influxd stored {got} field keys in {len(series)} measurements; the lines hold {want}")
        return 0 if got == want else 1
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    sys.exit(main(*sys.argv[1:]))
