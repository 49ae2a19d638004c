"""A small HTTP load generator for when ``wrk`` is not installed: ``connections`` threads, each with
one keep-alive connection, GET the same URL for ``seconds``; returns requests/s, p50 and non-2xx.

    python bench/loadgen.py http://127.0.0.1:8000/dashboard --seconds 10 --header "Cookie: session=..."

Python threads share one interpreter lock, so on a small machine this generator takes CPU from the
server under test: it gives lower absolute figures than wrk; ratios of two pages measured the same
way remain comparable.
"""
from __future__ import annotations

import argparse
import http.client
import statistics
import threading
import time
import urllib.parse


def load(url: str, headers: dict, seconds: int, connections: int = 4) -> dict:
    parts = urllib.parse.urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []
    bad = [0]
    lock = threading.Lock()

    def worker():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine, errors = [], 0
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if not 200 <= response.status < 400:
                    errors += 1
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                continue
            mine.append(time.perf_counter() - t0)
        conn.close()
        with lock:
            latencies.extend(mine)
            bad[0] += errors

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {"rps": len(latencies) / elapsed, "non_2xx": bad[0],
            "p50_ms": 1000 * statistics.median(latencies) if latencies else None}


def main() -> None:
    parser = argparse.ArgumentParser(description="GET one URL as fast as possible, report requests/s")
    parser.add_argument("url")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--header", action="append", default=[], help='"Name: value", repeatable')
    args = parser.parse_args()
    headers = dict(h.split(":", 1) for h in args.header)
    headers = {k.strip(): v.strip() for k, v in headers.items()}
    print(load(args.url, headers, args.seconds, args.connections))


if __name__ == "__main__":
    main()
