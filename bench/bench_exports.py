"""Benchmark: the Excel export of 150,000 disclosure tasks (target ≤ 10 s at the large city).

Run from the repository root:

    python bench/bench_exports.py                       # SQLite in a temporary folder
    python bench/bench_exports.py --database-url postgresql://postgres@127.0.0.1:5432/bench_exports
    python bench/bench_exports.py --tasks 20000         # a smaller set

It builds a simple synthetic city (200 units, their catalogues, TASKS tasks over 2022–2026 in every
state, one or two channels each, 20,000 applications) with bulk inserts — the ``scale`` work will
replace this with the full large-city generator — then, signed in as the office, downloads
``/disclosure/tasks/export``, ``/disclosure/register/export`` and ``/applications/export`` through the
app's own request handling, checks each file opens with openpyxl and has a row per record, and
prints the seconds and the SQL statements each took. A PostgreSQL database given by URL has its
``public`` schema dropped and recreated: point it at a scratch database.

Exit status: 1 if the task export of 150,000 tasks takes more than 10 s; 0 otherwise.
"""
from __future__ import annotations

import argparse
import io
import os
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

TARGET_SECONDS = 10.0
PASSWORD = "benchpass2026"


def build(app, n_tasks: int, n_applications: int, seed: int = 2026) -> None:
    from sqlalchemy import insert

    from tracker.accounts.services import create_user
    from tracker.applications.models import Application
    from tracker.disclosure import services as ds
    from tracker.disclosure.models import OPEN_STATES, STATES, Duty, KeyArea, Task, TaskChannel
    from tracker.extensions import db, drop_public_schema
    from tracker.units.models import Unit

    rng = random.Random(seed)
    with app.app_context():
        drop_public_schema()
        from flask_migrate import upgrade
        upgrade()
        ds.ensure_key_areas()
        office = Unit(code="office", name="市政务公开办", kind="office", active=True)
        db.session.add(office)
        db.session.flush()
        create_user(username="office", display_name="公开办", role="office", unit=office, password=PASSWORD,
                    must_change_password=False)
        db.session.execute(insert(Unit), [
            {"code": f"u{i:03d}", "name": (f"第{i}镇" if i % 4 == 0 else f"市第{i}局"),
             "kind": "town" if i % 4 == 0 else "department", "active": True} for i in range(1, 201)])
        units = db.session.scalars(db.select(Unit.id).where(Unit.kind != "office")).all()
        areas = db.session.scalars(db.select(KeyArea.id)).all()
        db.session.execute(insert(Duty), [
            {"unit_id": u, "title": f"公开事项{k}", "key_area_id": rng.choice(areas), "cadence": "periodic",
             "frequency": "monthly", "formation_offset_days": 0, "period_days": 20, "channels": ["website"],
             "review_required": True, "start_date": date(2022, 1, 1), "active": True}
            for u in units for k in range(25)])
        duties = db.session.execute(db.select(Duty.id, Duty.unit_id, Duty.key_area_id)).all()
        states = list(STATES)
        tasks = []
        for i in range(n_tasks):
            duty_id, unit_id, area_id = duties[i % len(duties)]
            month = 2022 * 12 + (i // len(duties)) % 53  # one task per duty and month: 2022-01 … 2026-05
            formed = date(month // 12, month % 12 + 1, 1) + timedelta(days=rng.randrange(0, 27))
            state = rng.choice(states)
            due = formed + timedelta(days=28)
            done = state in ("published", "verified")
            tasks.append({
                "duty_id": duty_id, "unit_id": unit_id, "key_area_id": area_id,
                "title": f"关于{formed.year}年第{(formed.month - 1) // 3 + 1}季度公开事项的第{i}号信息",
                "period_key": f"{formed.year}-{formed.month:02d}" if i % 3 else None,
                "formed_date": formed, "period_days": 20, "review_required": True, "due_date": due,
                "due_provisional": False, "state": state, "normative": i % 17 == 0,
                "acknowledged_at": datetime(formed.year, formed.month, formed.day, 2, tzinfo=timezone.utc)
                if state not in ("pending_ack",) else None,
                "published_on": due - timedelta(days=rng.randrange(-10, 20)) if done else None,
                "url": f"http://www.example.gov.cn/xxgk/{i}.html" if done else None,
                "doc_number": f"政办发〔{formed.year}〕{i % 300}号" if i % 5 == 0 else None,
                "created_at": datetime(2026, 1, 1, tzinfo=timezone.utc)})
            if len(tasks) == 10_000:
                db.session.execute(insert(Task), tasks)
                tasks = []
        if tasks:
            db.session.execute(insert(Task), tasks)
        task_ids = db.session.scalars(db.select(Task.id)).all()
        channels = [{"task_id": t, "channel": "website"} for t in task_ids]
        channels += [{"task_id": t, "channel": "wechat"} for t in task_ids[::3]]
        for k in range(0, len(channels), 20_000):
            db.session.execute(insert(TaskChannel), channels[k:k + 20_000])
        apps = [{
            "tracking_code": f"YSQ{i:08d}", "unit_id": rng.choice(units), "channel": "online", "online": True,
            "receipt_date": date(2022, 1, 3) + timedelta(days=rng.randrange(0, 1600)),
            "applicant_kind": "natural", "applicant_name": f"申请人{i}", "id_number": f"2301021980010{i % 100000:05d}",
            "title": f"申请公开的信息{i}", "description": "请公开", "form_wanted": "electronic",
            "delivery_wanted": "email", "state": rng.choice(("open", "replied", "correction")),
            "due_date": date(2026, 6, 1) + timedelta(days=rng.randrange(0, 60)), "query_password_hash": "-",
            "created_at": datetime(2026, 1, 1, tzinfo=timezone.utc)} for i in range(n_applications)]
        for k in range(0, len(apps), 10_000):
            db.session.execute(insert(Application), apps[k:k + 10_000])
        db.session.commit()
        assert OPEN_STATES  # every state above, open and finished


def measure(app, url: str) -> tuple[float, int, int]:
    """Seconds, rows in the file and SQL statements of one download by the office."""
    from openpyxl import load_workbook
    from sqlalchemy import event

    from tracker.extensions import db

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    assert client.post("/login", data={"username": "office", "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *a: statements.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        start = time.perf_counter()
        response = client.get(url)
        data = response.get_data()
        seconds = time.perf_counter() - start
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200, (url, response.status_code)
    ws = load_workbook(io.BytesIO(data), read_only=True).active
    rows = sum(1 for _ in ws.iter_rows(values_only=True)) - 1
    return seconds, rows, len(statements)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--tasks", type=int, default=150_000)
    parser.add_argument("--applications", type=int, default=20_000)
    args = parser.parse_args()
    from tracker import create_app

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "PASSWORD_HASH_FAST": True,
                          "WTF_CSRF_ENABLED": True})
        started = time.perf_counter()
        build(app, args.tasks, args.applications)
        print(f"data: {args.tasks} tasks, {args.applications} applications on "
              f"{url.split(':')[0]} ({time.perf_counter() - started:.1f} s to build)")
        task_seconds = None
        for label, path in (("tasks", "/disclosure/tasks/export"), ("register", "/disclosure/register/export"),
                            ("applications", "/applications/export")):
            seconds, rows, statements = measure(app, path)
            print(f"{label:13s} {rows:7d} rows  {seconds:6.2f} s  {statements} SQL statements")
            if label == "tasks":
                task_seconds = seconds
    if args.tasks >= 150_000 and task_seconds > TARGET_SECONDS:
        print(f"FAIL: task export {task_seconds:.2f} s > {TARGET_SECONDS} s")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
