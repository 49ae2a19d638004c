"""Benchmark: drafting the quarterly bulletin of a 200-unit city.

Run from the repository root:  python bench/bench_bulletin.py [--units 200] [--database URL]

Builds, in a throw-away SQLite database (or the PostgreSQL URL given), a city of N units, each
with a year of disclosure tasks (about 40 due per unit in 2026, a quarter of them in the third
quarter, in every state), 8 applications, 4 rectification items and a few 督办, written in bulk.
Then it times ``bulletins.services.draft`` for 2026-Q3 as the job runs it on 2026-10-08 (every
figure of every unit, plus storing the bulletin), and counts the SQL statements it issued.

Exit status: 1 if drafting takes longer than the target (5 s), 0 otherwise.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

TARGET_SECONDS = 5.0


def build_city(db, units: int) -> None:
    """Bulk-insert the city: units, people, duties, tasks, applications, rectifications, 督办."""
    from tracker.applications.models import Application
    from tracker.disclosure import services as ds
    from tracker.disclosure.models import Duty, KeyArea, Task
    from tracker.inspections.models import Rectification, Urging
    from tracker.units.models import Unit

    rng = random.Random(2026)
    now = datetime(2026, 10, 8, 1, tzinfo=timezone.utc)
    ds.ensure_key_areas()
    area = db.session.scalar(db.select(KeyArea.id))
    db.session.add_all([Unit(code=f"u{i:03d}", name=f"单位{i:03d}", kind="town" if i < 20 else "department",
                             active=True) for i in range(units)])
    db.session.flush()
    unit_ids = db.session.scalars(db.select(Unit.id)).all()
    db.session.add_all([Duty(unit_id=u, title="公开事项", key_area_id=area, cadence="adhoc", period_days=20,
                             channels=["website"], review_required=False, start_date=date(2026, 1, 1), active=True)
                        for u in unit_ids])
    db.session.flush()
    duties = dict(db.session.execute(db.select(Duty.unit_id, Duty.id)).all())
    tasks, apps, rects, urgings = [], [], [], []
    for u in unit_ids:
        for n in range(40):
            due = date(2026, 1, 5) + timedelta(days=rng.randint(0, 330))
            state = rng.choice(["published", "published", "published", "verified", "acknowledged", "pending_ack",
                                "in_review", "cancelled"])
            published = due + timedelta(days=rng.randint(-15, 10)) if state in ("published", "verified") else None
            created = datetime.combine(due - timedelta(days=28), datetime.min.time(), tzinfo=timezone.utc)
            acked = created + timedelta(days=rng.randint(0, 6)) if state != "pending_ack" else None
            tasks.append(dict(duty_id=duties[u], unit_id=u, key_area_id=area, title=f"任务{n}", formed_date=due,
                              period_days=20, review_required=False, due_date=due, due_provisional=False, state=state,
                              published_on=published, normative=False, created_at=created, acknowledged_at=acked))
        for n in range(8):
            due = date(2026, 1, 5) + timedelta(days=rng.randint(0, 300))
            replied = rng.random() < 0.8
            apps.append(dict(tracking_code=f"B{u:04d}{n}", channel="in_person", receipt_date=due - timedelta(days=28),
                             state="replied" if replied else "open", unit_id=u, applicant_kind="natural",
                             applicant_name="申请人", title="申请", description="申请", form_wanted="paper",
                             delivery_wanted="post", due_date=due, due_provisional=False, correction_late=False,
                             reply_date=due if replied else None, closed_on=due if replied else None,
                             reply_late=replied and rng.random() < 0.1, online=False, created_at=now))
        for n in range(4):
            issued = date(2026, 6, 1) + timedelta(days=rng.randint(0, 100))
            state = rng.choice(["open", "submitted", "returned", "closed"])
            rects.append(dict(unit_id=u, source="manual", title="整改", requirement="整改", issued_on=issued,
                              period_days=10, due_date=issued + timedelta(days=14), due_provisional=False, state=state,
                              answered_on=issued + timedelta(days=10) if state != "open" else None,
                              completed_on=issued + timedelta(days=10) if state == "closed" else None, created_at=now))
        if rng.random() < 0.3:
            urgings.append(dict(record_type="task", record_id=u, unit_id=u, record_label="任务", overdue=True,
                                urged_on=date(2026, 8, 10), recipients=2, created_at=now))
    for model, rows in ((Task, tasks), (Application, apps), (Rectification, rects), (Urging, urgings)):
        db.session.execute(db.insert(model), rows)
    db.session.commit()
    print(f"city: {units} units, {len(tasks)} tasks, {len(apps)} applications, {len(rects)} rectification items, "
          f"{len(urgings)} 督办")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--database", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import event

    from tracker import create_app
    from tracker.bulletins import services
    from tracker.bulletins.quarters import Quarter
    from tracker.extensions import db

    folder = tempfile.mkdtemp(prefix="bench-bulletin-")
    url = args.database or "sqlite:///" + os.path.join(folder, "bench.db")
    os.environ["TRACKER_INSTANCE_PATH"] = folder
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        build_city(db, args.units)
        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(1))
        started = time.perf_counter()
        bulletin, created = services.draft(Quarter(2026, 3), date(2026, 10, 8))
        db.session.commit()
        elapsed = time.perf_counter() - started
        totals = bulletin.figures["totals"]
    print(f"drafted the 2026-Q3 bulletin of {len(bulletin.figures['rows'])} units in {elapsed:.2f} s "
          f"({len(statements)} SQL statements); tasks due {totals['tasks_due']}, applications due "
          f"{totals['apps_due']}; target ≤ {TARGET_SECONDS:.0f} s")
    return 0 if created and elapsed <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
