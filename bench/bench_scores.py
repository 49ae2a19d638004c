"""Benchmark: scoring every unit of a 200-unit city for a year.

Run from the repository root:  python bench/bench_scores.py [--db PATH] [--units 200] [--rebuild]

Builds (once; later runs load it) a SQLite city of ``--units`` units with a year of records —
about 55 disclosure tasks and 15 applications per unit, acknowledgements, late and on-time
publications, overdue tasks, late replies, correction notices, reconsiderations — then times
``flask scores compute --period 2026`` (the year, computed over the year's records) as the first
computation and as a recomputation, and the fourth quarter, counting SQL statements.

The reads are a fixed number of queries whatever the number of units and records (one per rule
source, plus the rubric, units, manual entries, voids, stored scores and items); each unit is then
written in its own savepoint (a constant handful of statements per unit, never per record).

Exit status: 1 if the year takes longer than the 5-second target, or if the reads grow with the
number of units; 0 otherwise.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import date, datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, func, insert, select  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.extensions import db  # noqa: E402

TARGET_SECONDS = 5.0
YEAR = 2026


def build(units: int) -> None:
    from tracker.accounts.models import User
    from tracker.applications.models import Application, ApplicationCase, ApplicationEvent
    from tracker.disclosure.models import Duty, KeyArea, Task
    from tracker.units.models import Unit
    from tracker.workcal.services import get_calendar

    rng = random.Random(9)
    cal = get_calendar()
    from tracker.disclosure.services import ensure_key_areas
    ensure_key_areas()
    area = db.session.scalar(select(KeyArea.id))
    db.session.execute(insert(Unit), [{"code": f"u{i:03d}", "name": f"单位{i:03d}", "kind": "town" if i < 30 else
                                       "department", "active": True} for i in range(units)])
    unit_ids = db.session.scalars(select(Unit.id).order_by(Unit.id)).all()
    db.session.execute(insert(User), [{"username": f"c{uid}", "display_name": f"联络员{uid}", "role": "contact",
                                       "unit_id": uid, "active": rng.random() > 0.05, "password_hash": "x",
                                       "session_token": f"t{uid}"} for uid in unit_ids])
    db.session.execute(insert(Duty), [{"unit_id": uid, "title": "公开事项", "key_area_id": area, "cadence": "adhoc",
                                       "period_days": 20, "channels": ["website"], "review_required": False,
                                       "start_date": date(YEAR, 1, 1), "active": True} for uid in unit_ids])
    duties = dict(db.session.execute(select(Duty.unit_id, Duty.id)).all())
    tasks, apps = [], []
    for uid in unit_ids:
        for n in range(55):
            formed = date(YEAR, 1, 2) + timedelta(days=rng.randint(0, 350))
            due = cal.add(formed, 20).day
            issued = datetime(formed.year, formed.month, formed.day, 1, tzinfo=timezone.utc)
            r = rng.random()
            state, published, acked = "published", None, issued + timedelta(days=rng.choice([0, 1, 2, 6]))
            if r < 0.72:
                published = formed + timedelta(days=rng.randint(1, max(1, (due - formed).days)))
            elif r < 0.84:
                published = due + timedelta(days=rng.randint(1, 15))
            elif r < 0.95:
                state, acked = rng.choice([("pending_ack", None), ("acknowledged", acked)])
            else:
                state = "cancelled"
            tasks.append({"duty_id": duties[uid], "unit_id": uid, "key_area_id": area, "title": f"任务{uid}-{n}",
                          "formed_date": formed, "period_days": 20, "review_required": False, "due_date": due,
                          "due_provisional": False, "state": state, "acknowledged_at": acked,
                          "published_on": published, "normative": False, "created_at": issued})
        for n in range(15):
            received = date(YEAR, 1, 2) + timedelta(days=rng.randint(0, 340))
            due = cal.add(received, 20).day
            closed = received + timedelta(days=rng.randint(5, 40))
            apps.append({"tracking_code": f"YSQ-{uid}-{n}", "channel": "in_person", "receipt_date": received,
                         "state": "replied", "unit_id": uid, "applicant_kind": "natural",
                         "applicant_name": "申请人", "title": f"申请{uid}-{n}", "description": "请公开",
                         "form_wanted": "paper", "delivery_wanted": "post", "due_date": due,
                         "due_provisional": False, "correction_late": False, "outcome": "grant",
                         "closed_on": closed, "reply_date": closed, "reply_late": closed > due, "online": False,
                         "created_at": datetime(received.year, received.month, received.day, 2, tzinfo=timezone.utc)})
    db.session.execute(insert(Task), tasks)
    db.session.execute(insert(Application), apps)
    app_rows = db.session.execute(select(Application.id, Application.unit_id, Application.receipt_date)).all()
    db.session.execute(insert(ApplicationEvent), [
        {"application_id": aid, "kind": "correction_sent", "day": received + timedelta(days=rng.randint(2, 14)),
         "details": {}} for aid, _, received in app_rows if rng.random() < 0.1])
    db.session.execute(insert(ApplicationCase), [
        {"application_id": aid, "unit_id": uid, "kind": "reconsideration", "filed_on": received + timedelta(days=30),
         "result": rng.choice(["corrected", "upheld"]), "decided_on": received + timedelta(days=60)}
        for aid, uid, received in app_rows if rng.random() < 0.03])
    db.session.commit()


class Counter:
    def __init__(self, engine):
        self.reads = self.writes = 0
        event.listen(engine, "before_cursor_execute", self)

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            self.reads += 1
        else:
            self.writes += 1

    def reset(self):
        self.reads = self.writes = 0


def timed(counter, label, fn):
    counter.reset()
    start = time.perf_counter()
    outcome = fn()
    db.session.commit()
    seconds = time.perf_counter() - start
    print(f"{label:<34} {seconds:6.2f} s   {outcome.computed} units, {len(outcome.failures)} failed,"
          f" {counter.reads} reads, {counter.writes} writes/savepoints")
    return seconds, counter.reads


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="/tmp/tracker-bench-scores.db")
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    if args.rebuild and os.path.exists(args.db):
        os.remove(args.db)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{args.db}", "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        from tracker.applications.models import Application
        from tracker.disclosure.models import Task
        from tracker.scores.models import (
            ManualEntry,
            Objection,
            Score,
            ScoreItem,
            ScorePeriod,
            ScoreRerun,
            ScoreVoid,
        )
        from tracker.scores.periods import Period
        from tracker.scores.services import compute
        from tracker.units.models import Unit

        if not db.session.scalar(select(func.count(Unit.id))):
            print(f"building a city of {args.units} units in {args.db} ...")
            build(args.units)
        for model in (ScoreItem, Objection, ScoreVoid, ManualEntry, Score, ScoreRerun, ScorePeriod):
            db.session.execute(model.__table__.delete())  # every run starts without scores
        db.session.commit()
        n_units = db.session.scalar(select(func.count(Unit.id)))
        print(f"{n_units} units, {db.session.scalar(select(func.count(Task.id)))} tasks, "
              f"{db.session.scalar(select(func.count(Application.id)))} applications")
        counter = Counter(db.engine)
        today = date(YEAR + 1, 1, 20)
        year_first, reads = timed(counter, f"year {YEAR}, first computation", lambda: compute(Period(YEAR), today))
        year_again, _ = timed(counter, f"year {YEAR}, recomputation", lambda: compute(Period(YEAR), today))
        timed(counter, f"{YEAR}-Q4, first computation", lambda: compute(Period(YEAR, 4), today))
        one, reads_one = timed(counter, f"year {YEAR}, one unit (--unit)",
                               lambda: compute(Period(YEAR), today, ["u007"]))
    worst = max(year_first, year_again)
    print(f"target: the year for every unit in ≤ {TARGET_SECONDS:.0f} s on SQLite — "
          f"{'met' if worst <= TARGET_SECONDS else 'MISSED'} ({worst:.2f} s); reads for {n_units} units: {reads}, "
          f"for one unit: {reads_one}")
    return 0 if worst <= TARGET_SECONDS and reads <= reads_one + 2 else 1


if __name__ == "__main__":
    sys.exit(main())
