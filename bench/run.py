"""Benchmark the tracker on a database filled by ``flask --app wsgi bench-data`` (README › Benchmarks).

    python bench/run.py --database-url sqlite:////tmp/bench-large.db [--only pages,exports,...]

The database URL comes from ``--database-url`` or ``TRACKER_DATABASE_URL``. Sections:

* pages      p50/p95 and SQL statements per request of every GET page of the URL map, as the office,
             a leader and a contact (and anonymous for public pages); pages needing an id get a
             sample record of the contact's unit. New pages are measured without editing this file;
             a page whose URL needs an argument this file cannot fill is listed as skipped.
* exports    every export endpoint (name contains "export", or a .csv/.xlsx URL), as the office.
* open-tasks opening tasks: the steady sweep (nothing due) and a month's opening (rolled back).
* sweep      every job of ``tracker.scheduler.jobs()``: first run (notifications and outbox emptied
             before) and steady run; mail goes to an SMTP sink on loopback.
* features   a quarter's scores, a bulletin, the city annual report: measured when their modules
             exist and are wired in FEATURES below; otherwise skipped with a note.
* throughput gunicorn on loopback and wrk (or bench/loadgen.py without wrk): the dashboard's
             requests/s as a share of a minimal signed-in page's, in the same run.

Timings are wall-clock on whatever else the machine is doing; beside them the bench's own CPU time
("cpu", which on SQLite includes the database work, on PostgreSQL not the server's) is less
disturbed by other processes. Run on a quiet machine, compare runs of the same session, and read
the statement counts (exact) before the milliseconds (noisy).
Exit status 0; 2 on a database without bench data.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import re
import statistics
import sys
import time
from datetime import date, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tracker.bench_data.pages import StatementLog, discover, sample_ids  # noqa: E402

SECTIONS = ("pages", "exports", "open-tasks", "sweep", "features", "throughput")
ROLES = ("office", "leader", "contact")
# The signed-in page that does least: the change-password form (session, user, nav, a form).
MINIMAL_ENDPOINT = "accounts.change_password"
DASHBOARD_ENDPOINT = "dashboard.index"


def city_annual_report(today: date) -> str:
    """The city's annual report of last year: compiled from the accepted unit reports and the
    office's own figures, then exported as DOCX and XLSX (what the office hands in)."""
    from tracker.reports import exports, services
    year = today.year - 1
    content = services.city_content(year)
    sizes = {kind: len(exports.export(content, kind, draft=True)) for kind in ("docx", "xlsx")}
    return f"{year}年, {len(services.accepted_submissions(year))} unit reports, " + ", ".join(
        f"{k} {v // 1024} KB" for k, v in sizes.items())


def quarter_scores(today: date) -> str:
    """Every unit's scores of the current quarter (provisional, as the nightly sweep computes them)
    from the records, with the year's rubric; rolled back afterwards."""
    from tracker.scores.periods import quarter_of
    from tracker.scores.services import compute
    period = quarter_of(today)
    outcome = compute(period, today, announce=False)
    return f"{period.label}: {outcome.computed} units, {len(outcome.failures)} failed"


def quarter_bulletin(today: date) -> str:
    """The bulletin of the last finished quarter drafted as the scheduler does (every unit's figures,
    督办 and scores, stored). bench-data has published it already, so that bulletin is first moved
    out of the quarter's slot in the same transaction; everything is rolled back afterwards."""
    from tracker.bulletins import services
    from tracker.bulletins.models import Bulletin
    from tracker.bulletins.quarters import Quarter
    from tracker.extensions import db
    quarter = Quarter.containing(today).previous()
    db.session.execute(db.update(Bulletin).where(Bulletin.year == quarter.year, Bulletin.quarter == quarter.q)
                       .values(year=Bulletin.year + 1000))
    bulletin, created = services.draft(quarter, today)
    db.session.flush()
    return f"{quarter.label}: {len(bulletin.figures.get('rows', []))} units, drafted {created}"


# Feature work measured once it exists: (label, module that must exist, function of this file taking
# (today) and returning a short description, or None until someone wires it).
FEATURES = [
    ("一个季度的评分 (a quarter's scores)", "tracker.scores", quarter_scores),
    ("一期通报 (a bulletin)", "tracker.bulletins", quarter_bulletin),
    ("全市年度报告 (the city annual report)", "tracker.reports", city_annual_report),
]
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


# --- the app and its users --------------------------------------------------------------------------

def make_app(url: str):
    from tracker import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret-key"})


def sign_in(app, username: str, password: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = CSRF_META.search(page).group(1)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    if response.status_code != 302:
        raise SystemExit(f"cannot sign in as {username}: HTTP {response.status_code}")
    return client


# --- sections -------------------------------------------------------------------------------------

def measure_pages(app, log, clients, pages, repeat: int, top: int, slow_ms: float) -> list[dict]:
    results = []
    for role, client in clients.items():
        for endpoint, url in pages:
            first = client.get(url)
            first.get_data()
            if first.status_code in (401, 403, 404) or 300 <= first.status_code < 400:
                continue  # not this role's page (refused, or a redirect elsewhere)
            times, cpu, counts, sql = [], [], [], []
            for _ in range(repeat):
                with log.capture():
                    t0, c0 = time.perf_counter(), time.process_time()
                    response = client.get(url)
                    body = response.get_data()
                    times.append(time.perf_counter() - t0)
                    cpu.append(time.process_time() - c0)
                counts.append(log.count)
                sql.append(log.seconds)
            row = {"role": role, "endpoint": endpoint, "url": url, "status": response.status_code,
                   "p50_ms": 1000 * percentile(times, 0.5), "p95_ms": 1000 * percentile(times, 0.95),
                   "cpu_p50_ms": 1000 * percentile(cpu, 0.5),
                   "sql_ms": 1000 * statistics.median(sql), "statements": max(counts),
                   "statements_vary": min(counts) != max(counts), "bytes": len(body)}
            if row["p95_ms"] >= slow_ms and top:
                row["slowest"] = [(round(1000 * t, 1), " ".join(s.split())[:300]) for t, s in log.slowest(top)]
            results.append(row)
            print(f"  {role:<8} {endpoint:<36} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f} ms  cpu {row['cpu_p50_ms']:7.1f} ms"
                  f"  sql {row['sql_ms']:7.1f} ms"
                  f"  {row['statements']:4d} stmts  HTTP {row['status']}", flush=True)
    return results


def measure_exports(app, log, client, exports, repeat: int) -> list[dict]:
    results = []
    for endpoint, url in exports:
        times, cpu, counts, size = [], [], [], 0
        for _ in range(repeat):
            with log.capture():
                t0, c0 = time.perf_counter(), time.process_time()
                response = client.get(url)
                size = len(response.get_data())
                times.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
            counts.append(log.count)
        row = {"endpoint": endpoint, "url": url, "status": response.status_code, "seconds": statistics.median(times),
               "max_seconds": max(times), "cpu_seconds": statistics.median(cpu), "sql_seconds": log.seconds,
               "statements": max(counts), "bytes": size,
               "slowest": [(round(1000 * t, 1), " ".join(s.split())[:200]) for t, s in log.slowest(3)]}
        results.append(row)
        print(f"  {endpoint:<36} {row['seconds']:8.2f} s  cpu {row['cpu_seconds']:6.2f} s  sql {log.seconds:6.2f} s"
              f"  {row['statements']:6d} stmts  {size / 1e6:7.2f} MB"
              f"  HTTP {row['status']}", flush=True)
    return results


def measure_open_tasks(app, log) -> list[dict]:
    """The open-tasks sweep as it runs daily (nothing new) and a month's opening, rolled back."""
    from tracker.disclosure.tasks import open_periodic_tasks
    from tracker.extensions import db
    from tracker.timeutil import china_today
    results = []
    today = china_today()
    month_later = (today.replace(day=1) + timedelta(days=62)).replace(day=1) - timedelta(days=1)
    for label, day in (("steady (today)", today), (f"a month's opening (to {month_later})", month_later)):
        with app.app_context():
            with log.capture():
                t0, c0 = time.perf_counter(), time.process_time()
                opened = open_periodic_tasks(day)
                db.session.flush()
                seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
            db.session.rollback()
        results.append({"what": label, "opened": opened, "seconds": seconds, "cpu_seconds": cpu,
                        "sql_seconds": log.seconds, "statements": log.count})
        print(f"  {label:<40} {seconds:8.2f} s  cpu {cpu:6.2f} s  sql {log.seconds:6.2f} s  {log.count:6d} stmts"
              f"  opened {opened}", flush=True)
    return results


@contextlib.contextmanager
def smtp_sink():
    """A loopback SMTP server that accepts every mail (aiosmtpd, from the test extras)."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        yield None
        return
    import socket

    class Sink:
        received = 0

        async def handle_DATA(self, server, session, envelope):
            Sink.received += 1
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def measure_sweep(app, log) -> list[dict]:
    from sqlalchemy import delete

    from tracker.extensions import db
    from tracker.notify.models import ActionToken, Notification, OutboxMail
    from tracker.scheduler import jobs, run_job
    results = []
    with smtp_sink() as port:
        if port is None:
            print("  note: aiosmtpd missing (pip install -e '.[test]'): send-mail talks to the configured server")
        else:
            app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False, MAIL_USE_SSL=False,
                              MAIL_USERNAME=None, MAIL_PASSWORD=None)
        with app.app_context():  # a first run: no reminder was sent yet (rows that hang off mails go first)
            cleared = {m.__table__ for m in (ActionToken, Notification, OutboxMail)}
            dependants = [t for t in db.metadata.sorted_tables if t not in cleared and any(
                fk.column.table in cleared for fk in t.foreign_keys)]
            for table in dependants + [m.__table__ for m in (ActionToken, Notification, OutboxMail)]:
                db.session.execute(delete(table))
            db.session.commit()
        for run in ("first run", "steady run"):
            total = 0.0
            for job in jobs():
                with log.capture():
                    t0, c0 = time.perf_counter(), time.process_time()
                    try:
                        outcome = run_job(app, job)
                    except Exception as exc:  # noqa: BLE001 - reported as the job's result
                        outcome = f"error: {exc}"
                    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
                total += seconds
                if hasattr(outcome, "handled"):  # a sweeps.Run: rows handled and failed
                    outcome = f"handled {outcome.handled}, failed {len(getattr(outcome, 'failures', {}) or {})}"
                results.append({"run": run, "job": job.name, "seconds": seconds, "cpu_seconds": cpu,
                                "sql_seconds": log.seconds, "statements": log.count, "result": str(outcome)[:200]})
                print(f"  {run:<10} {job.name:<16} {seconds:8.2f} s  cpu {cpu:6.2f} s  sql {log.seconds:6.2f} s"
                      f"  {log.count:7d} stmts  {str(outcome)[:70]}", flush=True)
            results.append({"run": run, "job": "(all)", "seconds": total, "statements": None, "result": ""})
            print(f"  {run:<10} {'(all)':<16} {total:8.2f} s", flush=True)
    return results


def measure_features(app, log) -> list[dict]:
    from tracker.timeutil import china_today
    results = []
    for label, module, function in FEATURES:
        if importlib.util.find_spec(module) is None:
            print(f"  {label}: skipped, {module} does not exist yet (feature not merged)")
            results.append({"what": label, "skipped": f"{module} missing"})
            continue
        if function is None:
            print(f"  {label}: skipped, {module} exists but is not wired in bench/run.py FEATURES yet")
            results.append({"what": label, "skipped": "not wired"})
            continue
        with app.test_request_context():
            with log.capture():
                t0, c0 = time.perf_counter(), time.process_time()
                described = function(china_today())
                seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
            from tracker.extensions import db
            db.session.rollback()
        results.append({"what": label, "seconds": seconds, "cpu_seconds": cpu, "statements": log.count,
                        "result": str(described)[:200]})
        print(f"  {label:<40} {seconds:8.2f} s  cpu {cpu:6.2f} s  {log.count:6d} stmts  {str(described)[:70]}",
              flush=True)
    return results


# --- main -------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("TRACKER_DATABASE_URL"))
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated: {', '.join(SECTIONS)}")
    parser.add_argument("--repeat", type=int, default=20, help="requests per page")
    parser.add_argument("--export-repeat", type=int, default=None, help="runs per export (default 3 small, 1 large)")
    parser.add_argument("--top", type=int, default=3, help="slowest statements to keep for slow pages")
    parser.add_argument("--slow-ms", type=float, default=100.0, help="p95 above which a page is 'slow'")
    parser.add_argument("--seconds", type=int, default=8, help="duration of each throughput run")
    parser.add_argument("--json", help="write every figure to this file")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url or set TRACKER_DATABASE_URL")
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")

    from tracker.bench_data import LOGINS, PASSWORD, bench_marker
    from tracker.extensions import db
    app = make_app(args.database_url)
    with app.app_context():
        marker = bench_marker()
        engine = db.engine
    if marker is None or not marker.get("complete", True):
        print("this database holds no (complete) bench data: run  flask --app wsgi bench-data --scale small|large")
        return 2
    large = marker["scale"] == "large"
    repeat = args.repeat
    export_repeat = args.export_repeat or (1 if large else 3)
    log = StatementLog(engine)
    report = {"date": date.today().isoformat(), "database": engine.dialect.name, "scale": marker,
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
              "command": " ".join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:])}
    print(f"bench: {marker['scale']} city (generated for {marker['today']}), {engine.dialect.name}, "
          f"{os.cpu_count()} CPUs", flush=True)

    clients = {role: sign_in(app, LOGINS[role], PASSWORD) for role in ROLES}
    clients["anonymous"] = app.test_client()
    with app.app_context():
        samples = sample_ids(LOGINS["contact"])
    pages, exports, skipped = discover(app, samples)
    if "pages" in only:
        print(f"\n== pages ({len(pages)} GET endpoints, {repeat} requests each; p50 p95) ==", flush=True)
        report["pages"] = measure_pages(app, log, clients, pages, repeat, args.top, args.slow_ms)
        for line in skipped:
            print(f"  skipped: {line}")
        report["skipped_pages"] = skipped
    if "exports" in only:
        print(f"\n== exports (office, {export_repeat} run(s) each) ==", flush=True)
        report["exports"] = measure_exports(app, log, clients["office"], exports, export_repeat)
    if "open-tasks" in only:
        print("\n== opening tasks ==", flush=True)
        report["open_tasks"] = measure_open_tasks(app, log)
    if "sweep" in only:
        print("\n== daily sweep (flask --app wsgi sweep jobs) ==", flush=True)
        report["sweep"] = measure_sweep(app, log)
    if "features" in only:
        print("\n== scores, bulletin, annual report ==", flush=True)
        report["features"] = measure_features(app, log)
    if "throughput" in only:
        from throughput import measure_throughput
        print(f"\n== throughput under gunicorn ({args.seconds} s per run) ==", flush=True)
        report["throughput"] = measure_throughput(args.database_url, LOGINS["office"], PASSWORD, args.seconds)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, ensure_ascii=False, indent=1, default=str)
        print(f"\nfigures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
