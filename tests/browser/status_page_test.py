#!/usr/bin/python3
"""tests/browser/status_page_test.py: the gateway's status page in a real browser (issue 18).

  urllib ──HTTP──> backup-gateway ──> backup-sim (CPM, Backup and DR, Veeam, CloudBasic)
  headless Chromium (Selenium) ──> the gateway's admin listener: GET /  (and urllib: /status.json)

It starts backup-sim (the four vendors, ports picked by the system) and the gateway
in front of it (a plain listener and the admin listener, both on port 0; their ports
read from the gateway's log), on a configuration written in a temporary directory:
the four vendors, plus an `http` backend in front of the Veeam port's /__sim/ admin
endpoints. The cpm backend gets no retry and a circuit breaker that opens after 3
failures and stays open for 60 s. It then checks that:
  1. a few good requests to every backend are answered 200;
  2. the status page, loaded by headless Chromium, is HTML with no external assets,
     refreshes itself (<meta http-equiv="refresh" content="5">), holds its facts in
     the HTML itself (usable without JavaScript), and shows: one `tr.backend` row per
     configured backend, every breaker closed, the gateway's version, the client's
     row with requests > 0;
  3. after 503s injected on the CPM port open cpm's breaker (the gateway answers
     503 circuit-open, application/problem+json), the page, reloaded by its own
     meta refresh, shows cpm's breaker open with its last error, the others closed;
     /status.json says the same.
It saves a screenshot of the page (with the open breaker) in its directory; with
BG_SCREENSHOT=PATH it also copies it to PATH (docs/images/status-page.png is made so).

  status_page_test.py GATEWAY_BINARY BACKUP_SIM_BINARY
Exit status: 0 when every check holds, 1 when one fails, 77 (ctest: skipped) when
Chromium, chromedriver or python3-selenium is missing (scripts/install-deps installs
them). Everything it starts is stopped when it ends, whatever the reason; it stops
itself after BG_BROWSER_LIMIT seconds (70), within ctest's timeout (120).
Environment:
  BG_SCREENSHOT=PATH     copy the screenshot there
  BG_BROWSER_KEEP=1      keep the run's directory (configuration, logs, screenshot);
                         a failed run keeps it anyway
  BG_BROWSER_LIMIT=70    seconds after which the test stops itself and fails
  BG_CHROMIUM=/usr/bin/chromium, BG_CHROMEDRIVER=/usr/bin/chromedriver
"""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ME = "status_page_test"
SKIP = 77
CHROMIUM = os.environ.get("BG_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("BG_CHROMEDRIVER", "/usr/bin/chromedriver")
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's, the one python3-selenium is installed for

try:
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    # another python3 first on PATH (pyenv, a virtualenv): Debian's has the package
    if os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON) and os.access(SYSTEM_PYTHON, os.X_OK) \
            and not os.environ.get("BG_BROWSER_REEXEC"):
        os.environ["BG_BROWSER_REEXEC"] = "1"
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON] + sys.argv)
    webdriver = None

CLIENT = "browser"
CLIENT_KEY = "browser-test-key"
CPM_FAILURES = 3  # the cpm backend's circuit_breaker.failures
# one cheap request per backend (a small page of a list; the sim's state for the http backend)
GOOD_PATHS = {
    "cpm": "/cpm/policies/?page=1&page_size=2",
    "backupdr": "/backupdr/application?page=1&page_size=2",
    "veeam": "/veeam/virtualMachines?page=1&page_size=2",
    "cloudbasic": "/cloudbasic/replications?page=1&page_size=2",
    "sim-admin": "/sim-admin/__sim/state",
}
BACKENDS = list(GOOD_PATHS)
GOOD_REQUESTS = 3  # per backend
CELLS = ["name", "type", "base-url", "breaker", "in-flight", "rps", "error-rate", "p50", "p99",
         "credential", "last-error"]
SECRETS = {  # the simulator's demo secrets (docs/simulators.md), as scripts/run sets them
    "DEMO_CPM_API_KEY": "cpm-demo-api-key",
    "DEMO_VEEAM_PASSWORD": "Password1",
    "DEMO_CLOUDBASIC_SECRET": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
}


def say(*what):
    print(f"{ME}:", *what, flush=True)


class Failed(Exception):
    pass


class OverTime(BaseException):  # not an Exception: no `except Exception` swallows it
    pass


class Checks:
    def __init__(self):
        self.failures = []

    def check(self, ok, what, detail=""):
        if ok:
            say("ok:", what)
        else:
            self.failures.append(what)
            print(f"{ME}: FAILED: {what}" + (f" ({detail})" if detail else ""), file=sys.stderr, flush=True)
        return ok

    def must(self, ok, what, detail=""):
        """A check the rest depends on: stops the test when it fails."""
        if not self.check(ok, what, detail):
            raise Failed(what)


# --- processes -------------------------------------------------------------------------

def wait_for_line(path, proc, seconds, pick):
    """Reads PATH's lines until pick(line) answers something (returned); None when PROC
    ends or SECONDS pass first."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    got = pick(line)
                    if got is not None:
                        return got
        except FileNotFoundError:
            pass
        if proc.poll() is not None:
            return None
        time.sleep(0.1)
    return None


def log_field(msg, field):
    """A pick() for the gateway's JSON log: FIELD of the line whose msg is MSG."""
    def pick(line):
        try:
            entry = json.loads(line)
        except ValueError:
            return None
        return entry.get(field) if isinstance(entry, dict) and entry.get("msg") == msg else None
    return pick


def tail(path, n=15):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.readlines()[-n:]
    except OSError:
        return ""
    return "".join(lines)


def stop_process(proc, name, seconds):
    """SIGTERM, then up to SECONDS for it to end, then SIGKILL. Its exit status."""
    if proc is None:
        return None
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
            proc.wait(seconds)
        except subprocess.TimeoutExpired:
            say(f"{name} did not stop within {seconds} s of SIGTERM: killed")
            proc.kill()
            proc.wait()
    return proc.returncode


# --- HTTP --------------------------------------------------------------------------------

def http(url, method="GET", body=None, headers=None, timeout=10):
    """(status, headers, body bytes); an HTTP error status is an answer, not an exception."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        with e:
            return e.code, e.headers, e.read()


# --- the page, as the browser shows it ------------------------------------------------------

def read_page(driver):
    """What the loaded status page shows: its backends' rows, its clients' rows, the
    gateway's fields. Read again when the meta refresh replaces the page meanwhile."""
    for attempt in range(3):
        try:
            backends = {}
            for tr in driver.find_elements(By.CSS_SELECTOR, "table#backends tr.backend"):
                cells = {}
                for c in CELLS:
                    found = tr.find_elements(By.CSS_SELECTOR, f"td.{c}")
                    cells[c] = found[0].text.strip() if found else None
                backends[tr.get_attribute("data-backend")] = {"breaker": tr.get_attribute("data-breaker"),
                                                              "cells": cells}
            clients = {}
            for tr in driver.find_elements(By.CSS_SELECTOR, "table#clients tr.client"):
                cells = {}
                for c in ("name", "requests", "rate-limited"):
                    found = tr.find_elements(By.CSS_SELECTOR, f"td.{c}")
                    cells[c] = found[0].text.strip() if found else None
                clients[tr.get_attribute("data-client")] = cells
            fields = {}
            for dd in driver.find_elements(By.CSS_SELECTOR, "section#gateway dd[data-field]"):
                fields[dd.get_attribute("data-field")] = dd.text.strip()
            return {"backends": backends, "clients": clients, "gateway": fields}
        except StaleElementReferenceException:
            if attempt == 2:
                raise
            time.sleep(0.5)
    return None


def show_page(page):
    for name, row in sorted(page["backends"].items()):
        say(f"  backend {name} [{row['breaker']}]: "
            + "; ".join(f"{k}={v!r}" for k, v in row["cells"].items() if k != "name"))
    for name, cells in sorted(page["clients"].items()):
        say(f"  client {name}: " + "; ".join(f"{k}={v!r}" for k, v in cells.items() if k != "name"))
    say("  gateway: " + "; ".join(f"{k}={v!r}" for k, v in page["gateway"].items()))


def as_int(text):
    try:
        return int((text or "").replace(",", "").split()[0])
    except (ValueError, IndexError):
        return None


def wait_for_page(driver, seconds=15):
    """Until the loaded page is complete and holds table#backends."""
    try:
        WebDriverWait(driver, seconds).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
            and d.find_elements(By.CSS_SELECTOR, "table#backends"))
    except TimeoutException:
        try:
            shows = f"title {driver.title!r}, text {driver.find_element(By.TAG_NAME, 'body').text[:200]!r}"
        except WebDriverException as e:
            shows = f"nothing readable ({type(e).__name__})"
        raise RuntimeError(f"no table#backends at {driver.current_url} within {seconds} s; the browser shows "
                           f"{shows}") from None


def wait_for_meta_refresh(driver, seconds):
    """Marks the loaded page (a JavaScript variable), then waits for the page to
    replace itself (the marker gone: its meta refresh reloaded it). True when it did."""
    driver.execute_script("window.__bg_marker = 1")
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.25)
        try:
            if driver.execute_script("return window.__bg_marker === undefined"):
                wait_for_page(driver)
                return True
        except WebDriverException:
            pass  # between two pages
    return False


def check_page_basics(t, driver, admin):
    """The page as a page: no asset from elsewhere, its own refresh."""
    t.check(driver.current_url.startswith(admin), f"the browser shows {driver.current_url}")
    refresh = driver.find_elements(By.CSS_SELECTOR, 'meta[http-equiv="refresh" i]')
    t.check(len(refresh) == 1 and refresh[0].get_attribute("content").strip() == "5",
            'the page refreshes itself: <meta http-equiv="refresh" content="5">',
            f"found {[m.get_attribute('content') for m in refresh]}")
    resources = driver.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; })") or []
    foreign = [r for r in resources if not r.startswith(admin)]
    t.check(not foreign, f"no external assets (the browser fetched {len(resources)} resource(s), "
            f"none from elsewhere)", f"from elsewhere: {foreign}")
    say(f"  the page's title: {driver.title!r}")


def check_raw_html(t, admin, names):
    """Usable without JavaScript: the facts are in the HTML the server sends."""
    status, headers, body = http(admin + "/")
    html = body.decode("utf-8", errors="replace")
    ctype = headers.get("Content-Type", "")
    t.check(status == 200 and ctype.startswith("text/html"), f"GET / answers 200 {ctype}", f"status {status}")
    missing = [n for n in names if f'data-backend="{n}"' not in html]
    t.check('id="backends"' in html and not missing,
            "the HTML the server sends holds every backend's row (no JavaScript needed)",
            f"missing: {missing}")


# --- the test ------------------------------------------------------------------------------

def main():
    if len(sys.argv) != 3:
        print(f"usage: {sys.argv[0]} GATEWAY_BINARY BACKUP_SIM_BINARY", file=sys.stderr)
        return 2
    gateway_bin, sim_bin = sys.argv[1], sys.argv[2]
    if webdriver is None:
        say("SKIPPED: python3-selenium is missing (scripts/install-deps installs it)")
        return SKIP
    for tool, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(tool, os.X_OK):
            say(f"SKIPPED: {tool} is missing (the package {package}; scripts/install-deps installs it)")
            return SKIP
    for binary in (gateway_bin, sim_bin):
        if not os.access(binary, os.X_OK):
            say(f"FAILED: no executable {binary}")
            return 1

    limit = int(os.environ.get("BG_BROWSER_LIMIT", "70"))
    run = tempfile.mkdtemp(prefix="bg-browser.")
    keep = os.environ.get("BG_BROWSER_KEEP") == "1"
    t = Checks()
    sim = gateway = driver = service = None
    started = time.monotonic()

    def over_time(signum, frame):
        raise OverTime(f"over its time limit of {limit} s")

    def stopped(signum, frame):
        raise OverTime(f"stopped by {signal.Signals(signum).name}")

    signal.signal(signal.SIGALRM, over_time)
    signal.signal(signal.SIGTERM, stopped)
    signal.signal(signal.SIGINT, stopped)
    signal.alarm(limit)
    try:
        env = dict(os.environ, **SECRETS)

        # --- backup-sim: the four vendors, their ports picked by the system --------------
        sim_out = os.path.join(run, "sim.out")
        with open(sim_out, "wb") as out, open(os.path.join(run, "sim.log"), "wb") as err:
            sim = subprocess.Popen([sim_bin, "--threads", "1", "--cpm-port", "0", "--backupdr-port", "0",
                                    "--veeam-port", "0", "--cloudbasic-port", "0"],
                                   stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env,
                                   start_new_session=True)

        def ready(line):
            try:
                entry = json.loads(line)
            except ValueError:
                return None
            return entry.get("ports") if isinstance(entry, dict) and entry.get("ready") else None
        ports = wait_for_line(sim_out, sim, 30, ready)
        t.must(ports is not None and all(v in ports for v in ("cpm", "backupdr", "veeam", "cloudbasic")),
               "backup-sim started", tail(os.path.join(run, "sim.log")))
        say(f"backup-sim ready: {ports}")

        # --- the gateway --------------------------------------------------------------------
        with open(os.path.join(run, "backupdr.token"), "w") as f:
            f.write("backupdr-demo-token\n")
        key_sha = hashlib.sha256(CLIENT_KEY.encode()).hexdigest()
        config = os.path.join(run, "gateway.yaml")
        with open(config, "w") as f:
            f.write(f"""# made by tests/browser/status_page_test.py: the demo's backends (config/demo.yaml)
# in front of backup-sim, every port picked at run time
listen: [{{address: 127.0.0.1, port: 0}}]
admin: {{address: 127.0.0.1, port: 0}}
threads: 2
drain_delay: 0s
shutdown_grace: 2s
access_log: {{path: "-"}}
clients:
  - name: {CLIENT}
    api_key_sha256: {key_sha}
    backends: ["*"]
backends:
  - name: cpm
    type: n2ws-cpm
    base_url: http://127.0.0.1:{ports['cpm']}/api
    api_version: 1.1.0
    credentials:
      api_key: ${{DEMO_CPM_API_KEY}}
    # no retry, and a breaker that opens after {CPM_FAILURES} failures and stays open
    # while the browser looks
    retries: {{attempts: 1}}
    circuit_breaker: {{failures: {CPM_FAILURES}, open_for: 60s, open_max: 60s}}
  - name: backupdr
    type: google-backupdr
    base_url: http://127.0.0.1:{ports['backupdr']}/actifio
    options:
      token_file: backupdr.token
  - name: veeam
    type: veeam-aws
    base_url: http://127.0.0.1:{ports['veeam']}/api/v1
    api_version: 1.7-rev0
    credentials:
      username: administrator
      password: ${{DEMO_VEEAM_PASSWORD}}
  - name: cloudbasic
    type: cloudbasic
    base_url: http://127.0.0.1:{ports['cloudbasic']}
    credentials:
      access_key_id: AKIDEXAMPLE
      secret_access_key: ${{DEMO_CLOUDBASIC_SECRET}}
    options: {{region: us-east-1}}
  # a plain reverse proxy: the Veeam port's /__sim/ admin endpoints (never faulted)
  - name: sim-admin
    type: http
    base_url: http://127.0.0.1:{ports['veeam']}
""")
        gw_log = os.path.join(run, "gateway.log")
        with open(os.path.join(run, "access.log"), "wb") as out, open(gw_log, "wb") as err:
            gateway = subprocess.Popen([gateway_bin, "--config", config], stdout=out, stderr=err,
                                       stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        admin_port = wait_for_line(gw_log, gateway, 30, log_field("admin listening", "port"))
        listen_port = wait_for_line(gw_log, gateway, 5, log_field("listening", "port"))
        t.must(admin_port is not None and listen_port is not None, "the gateway started", tail(gw_log))
        base = f"http://127.0.0.1:{listen_port}"
        admin = f"http://127.0.0.1:{admin_port}"
        say(f"gateway ready: {base}, admin {admin}")

        # --- 1. good requests to every backend ------------------------------------------------
        auth = {"Authorization": f"Bearer {CLIENT_KEY}"}
        answers = {}
        for name, path in GOOD_PATHS.items():
            answers[name] = [http(base + path, headers=auth)[0] for _ in range(GOOD_REQUESTS)]
        bad = {n: a for n, a in answers.items() if any(s != 200 for s in a)}
        t.must(not bad, f"{GOOD_REQUESTS} requests to each of {', '.join(BACKENDS)} answered 200",
               f"answers: {bad}")

        # --- 2. the page in headless Chromium ----------------------------------------------------
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,900",
                    "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
                    f"--user-data-dir={os.path.join(run, 'chromium-profile')}"):
            options.add_argument(arg)
        # chromedriver and the browser in their own process group: stopped together at the end
        service = Service(CHROMEDRIVER, log_path=os.path.join(run, "chromedriver.log"),
                          popen_kw={"start_new_session": True})
        driver = webdriver.Chrome(service=service, options=options)
        driver.set_page_load_timeout(20)
        say(f"Chromium {driver.capabilities.get('browserVersion', '?')} started")
        driver.get(admin + "/")
        wait_for_page(driver)
        check_page_basics(t, driver, admin)
        check_raw_html(t, admin, BACKENDS)

        page = read_page(driver)
        show_page(page)
        shown = set(page["backends"])
        t.check(shown == set(BACKENDS), f"one row per configured backend: {sorted(shown)}",
                f"configured {sorted(BACKENDS)}")
        t.check(len(driver.find_elements(By.CSS_SELECTOR, "tr.backend")) == len(BACKENDS),
                f"{len(BACKENDS)} tr.backend rows, no more")
        for name, row in sorted(page["backends"].items()):
            missing = [c for c, v in row["cells"].items() if v is None]
            t.check(not missing, f"{name}: every cell present", f"missing td.{', td.'.join(missing)}")
        not_closed = {n: (r["breaker"], r["cells"]["breaker"]) for n, r in page["backends"].items()
                      if r["breaker"] != "closed" or not (r["cells"]["breaker"] or "").startswith("closed")}
        t.check(not not_closed, "every breaker closed (data-breaker, and the cell's text)", f"{not_closed}")
        version = page["gateway"].get("version", "")
        t.check(bool(version), f"the gateway's version: {version!r}")
        missing_fields = [f for f in ("version", "uptime", "generation", "last-reload", "draining", "redis")
                          if f not in page["gateway"]]
        t.check(not missing_fields, "the gateway section's fields all there", f"missing {missing_fields}")
        client = page["clients"].get(CLIENT)
        requests_shown = as_int(client and client.get("requests"))
        t.check(client is not None and requests_shown is not None and requests_shown > 0,
                f"the client {CLIENT!r} has a row with requests > 0: {requests_shown}",
                f"clients shown: {page['clients']}")

        # --- 3. cpm's breaker opened by vendor faults ------------------------------------------
        status, _, body = http(f"http://127.0.0.1:{ports['cpm']}/__sim/faults", "POST",
                               json.dumps({"count": 20, "status": 503}).encode(),
                               {"Content-Type": "application/json"})
        t.must(status == 200, f"20 faults (503) queued on the CPM port: {body.decode(errors='replace')}")
        seen = []
        problem = None
        for _ in range(12):
            status, headers, body = http(base + GOOD_PATHS["cpm"], headers=auth)
            seen.append(status)
            if status == 503 and headers.get("Content-Type", "").startswith("application/problem+json"):
                try:
                    doc = json.loads(body)
                except ValueError:
                    doc = {}
                if doc.get("type", "").endswith(":circuit-open"):
                    problem = (doc, headers.get("Retry-After"))
                    break
        t.must(problem is not None, f"cpm answered 503 circuit-open after {len(seen) - 1} failures: {seen}",
               "no circuit-open problem")
        say(f"  the problem: type {problem[0].get('type')!r}, Retry-After {problem[1]}")
        t.check(seen[:-1] == [503] * CPM_FAILURES,
                f"the breaker opened after circuit_breaker.failures ({CPM_FAILURES}) vendor 503s, no retry",
                f"answers before it: {seen[:-1]}")
        # the others still answer
        for name in BACKENDS:
            if name != "cpm":
                t.check(http(base + GOOD_PATHS[name], headers=auth)[0] == 200, f"{name} still answers 200")

        # the page reloads itself (its meta refresh, within 5 s and some) and shows it
        t.check(wait_for_meta_refresh(driver, 12), "the page reloaded itself (meta refresh) within 12 s")
        page = read_page(driver)
        show_page(page)
        cpm = page["backends"].get("cpm", {"breaker": None, "cells": {}})
        t.check(cpm["breaker"] == "open", f"cpm's row: data-breaker={cpm['breaker']!r}")
        t.check((cpm["cells"].get("breaker") or "").startswith("open"),
                f"cpm's breaker cell: {cpm['cells'].get('breaker')!r}")
        t.check(bool(cpm["cells"].get("last-error")), f"cpm's last error: {cpm['cells'].get('last-error')!r}")
        others = {n: r["breaker"] for n, r in page["backends"].items() if n != "cpm"}
        t.check(set(others.values()) == {"closed"} and len(others) == len(BACKENDS) - 1,
                "the other backends' breakers still closed", f"{others}")

        # /status.json: the same facts
        status, headers, body = http(admin + "/status.json")
        t.must(status == 200 and headers.get("Content-Type", "").startswith("application/json"),
               f"GET /status.json answers 200 {headers.get('Content-Type')}", f"status {status}")
        doc = json.loads(body)
        by_name = {b.get("name"): b for b in doc.get("backends", [])}
        t.check(set(by_name) == set(BACKENDS), f"/status.json: every backend: {sorted(by_name)}")
        states = {n: (b.get("breaker") or {}).get("state") for n, b in by_name.items()}
        t.check(states.get("cpm") == "open" and all(s == "closed" for n, s in states.items() if n != "cpm"),
                f"/status.json: breakers {states}")
        agree = {n: (states.get(n), r["breaker"]) for n, r in page["backends"].items()
                 if states.get(n) != r["breaker"]}
        t.check(not agree, "/status.json and the page agree on every breaker", f"(json, page): {agree}")
        t.check(by_name.get("cpm", {}).get("last_error") is not None,
                f"/status.json: cpm's last_error: {json.dumps(by_name.get('cpm', {}).get('last_error'))}")
        for name in BACKENDS:
            lm = by_name.get(name, {}).get("last_minute") or {}
            t.check(isinstance(lm.get("requests"), int) and lm["requests"] > 0
                    and isinstance(lm.get("p50_ms"), (int, float)),
                    f"/status.json: {name}'s last minute: {lm.get('requests')} requests, p50 {lm.get('p50_ms')} ms")
        gw = doc.get("gateway", {})
        t.check(bool(gw.get("version")) and gw.get("version") in version,
                f"/status.json: version {gw.get('version')!r}, as the page says")
        clients = {c.get("name"): c for c in doc.get("clients", [])}
        json_requests = clients.get(CLIENT, {}).get("requests")
        t.check(isinstance(json_requests, int) and json_requests >= requests_shown,
                f"/status.json: the client's requests: {json_requests}")

        # --- 4. the screenshot --------------------------------------------------------------------
        shot = os.path.join(run, "status-page.png")
        t.check(driver.save_screenshot(shot), f"screenshot saved: {shot}")
        target = os.environ.get("BG_SCREENSHOT")
        if target and os.path.exists(shot):
            shutil.copyfile(shot, target)
            say(f"screenshot copied to {target}")
    except Failed:
        pass  # said already
    except OverTime as e:
        t.failures.append(str(e))
        print(f"{ME}: FAILED: {e}", file=sys.stderr, flush=True)
    except Exception as e:  # a WebDriver error, a page that never came, ...
        t.failures.append(repr(e))
        print(f"{ME}: FAILED: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # nothing cuts the cleanup short
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stop_browser(driver, service)
        gw_rc = stop_process(gateway, "the gateway", 12)
        stop_process(sim, "backup-sim", 5)
        if gateway is not None and gw_rc != 0:
            t.failures.append(f"the gateway exited {gw_rc}")
            print(f"{ME}: FAILED: the gateway exited {gw_rc}", file=sys.stderr, flush=True)
        if t.failures:
            for name in ("gateway.log", "sim.log"):
                text = tail(os.path.join(run, name))
                if text:
                    print(f"--- {name}, last lines:\n{text}", file=sys.stderr, end="", flush=True)
        if keep or t.failures:
            say(f"configuration, logs and screenshot kept in {run}")
        else:
            shutil.rmtree(run, ignore_errors=True)
    elapsed = time.monotonic() - started
    if t.failures:
        print(f"{ME}: FAILED: {len(t.failures)} check(s) ({elapsed:.1f} s)", file=sys.stderr)
        return 1
    say(f"PASSED ({elapsed:.1f} s)")
    return 0


def stop_browser(driver, service):
    """driver.quit() within 10 s; then chromedriver's process group (the browser's
    processes with it) is killed, whatever is left of it."""
    if driver is not None:
        quitter = threading.Thread(target=lambda: _quietly(driver.quit), daemon=True)
        quitter.start()
        quitter.join(10)
        if quitter.is_alive():
            say("the browser did not quit within 10 s: killed")
    process = getattr(service, "process", None) if service is not None else None
    if process is not None:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # its own group (start_new_session)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            pass


def _quietly(f):
    try:
        f()
    except Exception:
        pass


if __name__ == "__main__":
    sys.exit(main())
