"""Benchmark: the reminder sweep and the whole daily sweep, statements and seconds.

Run from the repository root:

    python bench/bench_sweep.py                                   # a fresh SQLite file
    python bench/bench_sweep.py --database-url postgresql://postgres@127.0.0.1:5432/bench --reset

It loads the demo city (a year of tasks and applications; the large-city generator, ``bench-data``,
can replace it), then measures on the day given by --today (default: today in China):

  reminders, first run   every reminder due is new: rendered and inserted in sets
  reminders, steady run  nothing new: the statements a 15-minute sweep costs all day
  every job, first run   ``flask sweep``: the digests and the office summary go out too
  every job, steady run  ``flask sweep`` once more (mail held: no server configured)

For each: wall-clock seconds, SQL statements, and how many of them were INSERTs. The
baseline for the old per-reminder code was 377 statements per steady sweep on the small city and
20,115 on the large one (one INSERT … ON CONFLICT per reminder, every run).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import date

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from sqlalchemy import event  # noqa: E402


def measure(app, label, fn):
    from tracker.extensions import db

    kinds: Counter = Counter()

    def count(conn, cursor, statement, *args):
        kinds[statement.lstrip().split(None, 1)[0].upper()] += 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        started = time.perf_counter()
        try:
            result = fn()
            db.session.commit()
        finally:
            elapsed = time.perf_counter() - started
            event.remove(db.engine, "before_cursor_execute", count)
    total = sum(kinds.values())
    print(f"{label:<24} {elapsed:8.2f} s {total:8d} statements {kinds['INSERT']:6d} INSERT   result: {result}")
    return elapsed, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a new SQLite file in a temporary directory")
    parser.add_argument("--reset", action="store_true", help="PostgreSQL: drop and recreate the public schema first")
    parser.add_argument("--today", type=date.fromisoformat, help="the day to sweep as (YYYY-MM-DD)")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-sweep-")
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    os.environ.setdefault("TRACKER_INSTANCE_PATH", tmp)
    from flask_migrate import upgrade

    from tracker import create_app
    from tracker.extensions import db, drop_public_schema

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "PASSWORD_HASH_FAST": True,
                      "UPLOAD_FOLDER": tmp, "MAIL_SERVER": None})
    with app.app_context():
        if args.reset:
            drop_public_schema()
        upgrade()
        from tracker.applications.models import Application
        from tracker.demo import _load_city
        from tracker.demo.applications import load_demo_applications
        from tracker.demo.disclosure import load_disclosure_demo
        from tracker.disclosure.models import Task
        from tracker.timeutil import china_today

        started = time.perf_counter()
        _load_city()
        load_disclosure_demo()
        load_demo_applications()
        db.session.commit()
        tasks = db.session.query(Task).count()
        applications = db.session.query(Application).count()
        print(f"demo city loaded in {time.perf_counter() - started:.1f} s: {tasks} tasks, {applications} applications,"
              f" {db.engine.dialect.name}")
        today = args.today or china_today()

    from tracker.notify.reminders import sweep_reminders
    from tracker.scheduler import sweep

    print(f"sweeping as {today}")
    measure(app, "reminders, first run", lambda: sweep_reminders(today))
    measure(app, "reminders, steady run", lambda: sweep_reminders(today))
    measure(app, "every job, first run", lambda: {r.job: r.ok for r in sweep(app)})
    measure(app, "every job, steady run", lambda: {r.job: r.ok for r in sweep(app)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
