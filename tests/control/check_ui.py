#!/usr/bin/python3
"""The live page /ui/ in a real headless Chromium (Debian chromium +
chromium-driver, python3-selenium) against the real agent and routeros-sim.

Checks: the page loads with no console errors, shows the routers, the
customer search finds a tracked session, and the chosen customer's graph
shows non-zero rates within 5 s. Saves a screenshot (the test artifact) to
<build>/Testing/ui-live-page.png.

Usage: check_ui.py <build dir>
"""
import json, os, shutil, socket, subprocess, sys, tempfile, time, urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

build = os.path.abspath(sys.argv[1])
KEY = "ui-test-key"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, secs=20):
    end = time.time() + secs
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


tmp = tempfile.mkdtemp(prefix="rp-ui-")
procs = []
try:
    base, ctl, http = free_port(), free_port(), free_port()
    while base + 1 in (ctl, http):
        base = free_port()
    procs.append(subprocess.Popen([f"{build}/routeros-sim", "--routers", "2", "--sessions", "20", "--base-port",
                                   str(base), "--control-port", str(ctl)], stdout=open(f"{tmp}/sim.log", "w"),
                                  stderr=subprocess.STDOUT))
    assert wait_port(base) and wait_port(base + 1), "routeros-sim did not start"
    with open(f"{tmp}/agent.yaml", "w") as f:
        f.write(f"""agent:
  http: {{ listen: 127.0.0.1:{http}, api_keys: [{{ key: "${{env:RP_UI_KEY}}", role: read }}] }}
routers:
  pop1-r1: {{ host: 127.0.0.1, port: {base}, username: admin }}
  pop1-r2: {{ host: 127.0.0.1, port: {base + 1}, username: admin }}
inputs:
  routeros_traffic: {{}}
outputs:
  file: {{ files: [/dev/null] }}
pipelines:
  main: {{ inputs: [routeros_traffic], outputs: [file] }}
""")
    procs.append(subprocess.Popen([f"{build}/routerpulse", "run", "-c", f"{tmp}/agent.yaml"],
                                  stdout=open(f"{tmp}/agent.log", "w"), stderr=subprocess.STDOUT,
                                  env=dict(os.environ, RP_UI_KEY=KEY)))
    assert wait_port(http), "agent did not listen"

    # The page is embedded: it loads without a key and references no other host.
    page = urllib.request.urlopen(f"http://127.0.0.1:{http}/ui/").read().decode()
    assert "uPlot.min.js" in page and "http" not in page.replace("http-equiv", ""), "page must be self-contained"

    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              f"--user-data-dir={tmp}/chrome", "--window-size=1100,900"):
        opts.add_argument(a)
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=opts)
    try:
        driver.set_page_load_timeout(20)
        driver.get(f"http://127.0.0.1:{http}/ui/")
        driver.find_element(By.ID, "key").send_keys(KEY)
        driver.find_element(By.ID, "connect").click()
        wait = WebDriverWait(driver, 20, poll_frequency=0.1)
        # The demo's routers, both up.
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#routers tbody tr td.up")) == 2)
        names = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#routers tbody tr td:first-child")]
        assert names == ["pop1-r1", "pop1-r2"], names
        # Customer search over tracked sessions (sessions load after the routers).
        box = driver.find_element(By.ID, "search")
        def found(d):
            box.clear()
            box.send_keys("user0003")
            return d.find_elements(By.CSS_SELECTOR, "#results li[data-user='user0003']")
        hit = wait.until(found)
        hit[0].click()
        t0 = time.time()
        WebDriverWait(driver, 5, poll_frequency=0.1).until(
            lambda d: float(d.find_element(By.ID, "last-download").get_attribute("data-bps") or 0) > 0
            and float(d.find_element(By.ID, "last-upload").get_attribute("data-bps") or 0) > 0)
        took = time.time() - t0
        down = float(driver.find_element(By.ID, "last-download").get_attribute("data-bps"))
        assert down == 4000000, down  # routeros-sim: user 3 downloads 1 Mbit/s × (1 + 3)
        assert "on pop1-r1" in driver.find_element(By.ID, "chosen").text
        # Let a few points arrive so the screenshot shows a line.
        time.sleep(2.5)
        assert driver.find_elements(By.CSS_SELECTOR, "#chart canvas"), "no chart drawn"
        os.makedirs(f"{build}/Testing", exist_ok=True)
        driver.save_screenshot(f"{build}/Testing/ui-live-page.png")
        errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
        assert not errors, "console errors: " + json.dumps(errors)
        print(f"ok: routers shown, user0003 found, non-zero rates after {took:.2f} s, "
              f"screenshot {build}/Testing/ui-live-page.png")
    finally:
        driver.quit()
except Exception:
    for name in ("agent.log", "sim.log"):
        try:
            print(f"--- {name}\n" + open(f"{tmp}/{name}").read()[-3000:], file=sys.stderr)
        except OSError:
            pass
    raise
finally:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
    shutil.rmtree(tmp, ignore_errors=True)
