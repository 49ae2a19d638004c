"""Throughput under gunicorn on loopback: the dashboard as a share of a minimal signed-in page.

Started by ``bench/run.py`` (section ``throughput``) or alone:

    python bench/throughput.py --database-url URL [--seconds 15] [--workers 2]

gunicorn serves the app on a free loopback port; the office signs in once (same User-Agent as the
load, since sessions are bound to it); then the load generator — ``wrk`` from Debian when installed
(``apt-get install wrk``), else ``bench/loadgen.py`` — hits the minimal page and the dashboard in
turn, four short runs each, and the median of the four pairs' ratios is reported. Both pages run in the same
process with the same data, so the ratio says how much heavier the dashboard is, not how fast
the machine is.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
USER_AGENT = "tracker-bench"
PAGES = {"minimal": "/account/password", "dashboard": "/dashboard"}
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(database_url: str, port: int, workers: int, threads: int) -> subprocess.Popen:
    env = dict(os.environ, TRACKER_DATABASE_URL=database_url, TRACKER_SECRET_KEY="bench-secret-key")
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    proc = subprocess.Popen([gunicorn, "--workers", str(workers), "--threads", str(threads), "--bind",
                             f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("gunicorn exited at start")
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("gunicorn did not start")


def session_cookie(base: str, username: str, password: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    page = opener.open(base + "/login").read().decode()
    token = CSRF_META.search(page).group(1)
    data = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token}).encode()
    final = opener.open(base + "/login", data=data)
    if "/login" in final.geturl():
        raise SystemExit(f"cannot sign in as {username} under gunicorn")
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def check_page(base: str, path: str, cookie: str) -> None:
    """The page answers 200 with this cookie (not a redirect to the login page)."""
    request = urllib.request.Request(base + path, headers={"Cookie": cookie, "User-Agent": USER_AGENT})
    with urllib.request.urlopen(request) as response:
        if response.status != 200 or "/login" in response.geturl():
            raise SystemExit(f"{path} did not answer 200 for the signed-in office")


def run_wrk(url: str, cookie: str, seconds: int, connections: int) -> dict:
    # wrk drops requests slower than its timeout (2 s by default) from the figures: allow 60 s.
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "60s", "--latency",
                          "-H", f"Cookie: {cookie}", "-H", f"User-Agent: {USER_AGENT}", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*timeout (\d+)", out)
    if errors and int(errors.group(1)):
        raise SystemExit(f"wrk: {errors.group(1)} requests timed out on {url}")
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}
    return {"rps": rps, "non_2xx": int(bad.group(1)) if bad else 0,
            "p50_ms": float(p50.group(1)) * scale[p50.group(2)] if p50 else None}


def run_python(url: str, cookie: str, seconds: int, connections: int) -> dict:
    from loadgen import load
    return load(url, {"Cookie": cookie, "User-Agent": USER_AGENT}, seconds, connections)


def measure_throughput(database_url: str, username: str, password: str, seconds: int = 8, workers: int = 2,
                       threads: int = 1, connections: int = 4, pairs: int = 4) -> dict:
    tool = "wrk" if shutil.which("wrk") else "bench/loadgen.py"
    runner = run_wrk if tool == "wrk" else run_python
    port = free_port()
    proc = start_gunicorn(database_url, port, workers, threads)
    base = f"http://127.0.0.1:{port}"
    try:
        cookie = session_cookie(base, username, password)
        for path in PAGES.values():
            check_page(base, path, cookie)
            runner(base + path, cookie, 2, connections)  # warm-up: templates, calendar, connections
        runs = {name: [] for name in PAGES}
        ratios = []
        for _ in range(pairs):  # alternate short runs, so both pages see the same background load
            for name, path in PAGES.items():
                result = runner(base + path, cookie, seconds, connections)
                runs[name].append(result)
                print(f"  {name:<10} {result['rps']:8.1f} req/s  (p50 {result.get('p50_ms') or 0:.1f} ms, "
                      f"non-2xx {result['non_2xx']})", flush=True)
            minimal, dashboard = runs["minimal"][-1]["rps"], runs["dashboard"][-1]["rps"]
            ratios.append(dashboard / minimal if minimal else float("nan"))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    mean = {name: sum(r["rps"] for r in rs) / len(rs) for name, rs in runs.items()}
    ratio = statistics.median(ratios)
    print(f"  dashboard ÷ minimal page = {100 * ratio:.1f} %  (median of {pairs} pairs: "
          f"{', '.join(f'{100 * r:.1f}' for r in ratios)} %; {tool}, gunicorn {workers} workers × {threads} "
          f"threads, {connections} connections)", flush=True)
    return {"tool": tool, "workers": workers, "threads": threads, "connections": connections, "seconds": seconds,
            "runs": runs, "mean_rps": mean, "pair_ratios": ratios, "ratio": ratio}


def main(argv=None) -> int:
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    from tracker.bench_data import LOGINS, PASSWORD
    parser = argparse.ArgumentParser(description="dashboard throughput as a share of a minimal page")
    parser.add_argument("--database-url", default=os.environ.get("TRACKER_DATABASE_URL"))
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url or set TRACKER_DATABASE_URL")
    measure_throughput(args.database_url, LOGINS["office"], PASSWORD, args.seconds, args.workers, args.threads,
                       args.connections)
    return 0


if __name__ == "__main__":
    sys.exit(main())
