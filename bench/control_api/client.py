#!/usr/bin/env python3
"""Control API client for bench/control_api/run.sh: waits for the agent's
customers to stream, then times N keep-alive GETs per route."""
import http.client, json, sys, time

port, n, pid = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
H = {"X-API-Key": "bench-key"}

def cpu_seconds():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / 100.0

c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
def get(path):
    c.request("GET", path, headers=H)
    r = c.getresponse()
    return r.status, r.read()

deadline = time.time() + 60
while True:
    try:
        s, b = get("/api/v1/traffic?user=user0001")
        if s == 200:
            break
    except OSError:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    if time.time() > deadline:
        sys.exit("agent never served user0001's traffic")
    time.sleep(0.5)

routes = [
    ("traffic (latest sample)", lambda i: f"/api/v1/traffic?user=user{1 + i % 2000:04d}"),
    ("routers list", lambda i: "/api/v1/routers"),
    ("sessions (2,000 rows)", lambda i: "/api/v1/routers/r0/sessions"),
    ("resource (live router read)", lambda i: "/api/v1/routers/r0/resource"),
]
cpu0, t_all = cpu_seconds(), time.time()
for name, path in routes:
    lat, bad = [], 0
    t0 = time.time()
    for i in range(n):
        a = time.perf_counter()
        s, _ = get(path(i))
        lat.append((time.perf_counter() - a) * 1000)
        bad += s != 200
    took = time.time() - t0
    lat.sort()
    print(f"{name}: {n / took:.0f} req/s  p50={lat[len(lat) // 2]:.2f} ms  p99={lat[int(len(lat) * 0.99)]:.2f} ms"
          f"  max={lat[-1]:.2f} ms  non-200={bad}")
print(f"agent_cpu_pct_of_one_core_during_requests={100 * (cpu_seconds() - cpu0) / (time.time() - t_all):.1f}"
      f" (the agent also streams every customer's samples meanwhile)")
