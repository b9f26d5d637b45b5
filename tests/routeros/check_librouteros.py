#!/usr/bin/python3
"""Cross-checks tools/routeros-sim with an independent RouterOS API client:
Debian's python3-librouteros. Logs in (plain and legacy MD5 token login),
reads /interface/print and /ppp/active/print, runs a query with .proplist and
a monitor-traffic =once=, and checks the rows against the documented formulas.

Usage: /usr/bin/python3 check_librouteros.py <path to routeros-sim>
Exit status 0 on success; every failure names what differed.
"""
import socket
import subprocess
import sys
import time

import librouteros
from librouteros.login import plain, token
from librouteros.query import Key

SESSIONS = 7


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_sim(binary, extra):
    port = free_port()
    proc = subprocess.Popen([binary, "--routers", "1", "--base-port", str(port), "--sessions", str(SESSIONS)] + extra,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        raise SystemExit("routeros-sim did not start: " + line)
    return proc, port


def check(cond, what):
    if not cond:
        raise SystemExit("FAILED: " + what)
    print("ok:", what)


def read_and_check(api):
    ifaces = list(api.path("interface"))
    names = [i["name"] for i in ifaces]
    check(names[:4] == ["ether1", "ether2", "ether3", "ether4"], "physical interfaces first: %s" % names[:4])
    check(len(ifaces) == 4 + SESSIONS, "one <pppoe-...> interface per session (%d rows)" % len(ifaces))
    ppp_if = [i for i in ifaces if i["type"] == "pppoe-in"]
    check(all(i["name"].startswith("<pppoe-user") for i in ppp_if), "pppoe-in interfaces are named <pppoe-userNNNN>")
    check(all(isinstance(i["rx-byte"], int) and i["rx-byte"] >= 0 for i in ifaces), "rx-byte counters are integers")
    check(all(i["running"] is True for i in ifaces), "running=true parsed as a boolean")

    active = list(api.path("ppp", "active"))
    check(len(active) == SESSIONS, "%d active PPPoE sessions" % len(active))
    first = active[0]
    check(first["name"] == "user0001", "first user is user0001")
    check(first["service"] == "pppoe", "service=pppoe")
    check(first["caller-id"] == "AA:BB:CC:00:00:01", "caller-id from the user number")
    check(first["address"] == "100.64.0.1", "address 100.64.0.1")
    check(first["session-id"] == "0x81000001", "session-id 0x81000001")
    check(first[".id"].startswith("*"), ".id is *hex")
    check(first["radius"] is False and first["limit-bytes-in"] == 0, "typed values (radius=false, limit-bytes-in=0)")

    sel = list(api.path("ppp", "active").select(Key("name"), Key("address")).where(Key("name") == "user0003"))
    check(sel == [{"name": "user0003", "address": "100.64.0.3"}], "query + .proplist: %s" % sel)

    mon = list(api.rawCmd("/interface/monitor-traffic", "=interface=<pppoe-user0002>", "=once="))
    check(len(mon) == 1 and mon[0]["tx-bits-per-second"] == 3000000 and mon[0]["rx-bits-per-second"] == 750000,
          "monitor-traffic once follows tx=1e6*(1+u%%50), rx=tx/4: %s" % mon)

    try:
        list(api.rawCmd("/no/such/command"))
        check(False, "unknown command traps")
    except librouteros.exceptions.TrapError as e:
        check("no such command" in str(e), "unknown command traps: %s" % e)


def main():
    binary = sys.argv[1]
    proc, port = start_sim(binary, ["--password", "pw"])
    try:
        api = librouteros.connect("127.0.0.1", "admin", "pw", port=port, login_method=plain, timeout=10)
        read_and_check(api)
        api.close()
        try:
            librouteros.connect("127.0.0.1", "admin", "wrong", port=port, login_method=plain, timeout=10)
            check(False, "a wrong password is refused")
        except librouteros.exceptions.TrapError as e:
            check("invalid user name or password" in str(e), "a wrong password is refused: %s" % e)
    finally:
        proc.terminate()
        proc.wait(10)

    proc, port = start_sim(binary, ["--password", "pw", "--legacy-login"])
    try:
        api = librouteros.connect("127.0.0.1", "admin", "pw", port=port, login_method=token, timeout=10)
        check(len(list(api.path("system", "identity"))) == 1, "legacy MD5 token login works")
        api.close()
    finally:
        proc.terminate()
        proc.wait(10)
    print("routeros-sim agrees with python3-librouteros")


if __name__ == "__main__":
    main()
