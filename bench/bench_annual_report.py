"""Benchmark: the city's annual report for 200 units on SQLite (target: at most 5 s).

Run from the repository root:  python bench/bench_annual_report.py [--units 200] [--keep DB]

Builds (or, with --keep and an existing file, loads) a city of N units on a SQLite file: each unit
with a contact and a reviewer, ~60 applications around the report year (every outcome row,
carried over and carried forward), cases, ~30 published items on several channels (some
normative, one repealed), the table 二 figures entered; every unit's 2025 report handed in
through the real workflow and accepted. Then it times, each from a cold session:

  1. compiling the city report (the sum of the accepted unit reports + the office's own figures);
  2. the office's overview of every unit with the drift of live figures from the snapshots
     (every unit's live figures, in a bounded number of queries);
  3. exporting the city report as DOCX, XLSX, JSON and HTML;
  4. the city report page as the office sees it (HTTP GET through the app).

It prints the time and the number of SQL statements of each, and exits 1 if producing the city
report (1 + 3) takes more than 5 s, or if the statement counts grow with the number of units.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from sqlalchemy import event, func, insert, select  # noqa: E402

YEAR = 2025
PASSWORD = "bench-password-2026"
TARGET_SECONDS = 5.0
OUTCOMES = ["grant", "grant", "grant", "partial", "deny.third_party", "deny.process", "unable.not_held",
            "unable.needs_creation", "reject.repeat", "reject.petition", "other.other"]
KINDS = ["natural"] * 6 + ["commercial", "research", "public_welfare", "legal_service", "other"]
CHANNELS = ["website", "weibo", "wechat", "gazette", "other"]


def build(app, units: int) -> None:
    from tracker.accounts.models import User
    from tracker.applications.models import Application, ApplicationCase
    from tracker.disclosure import services as ds
    from tracker.disclosure.models import DONE_STATES, Duty, KeyArea, Task, TaskChannel
    from tracker.extensions import db
    from tracker.reports import normative, services, workflow
    from tracker.units.models import Unit

    rng = random.Random(11)
    office = Unit(code="office", name="示范市人民政府办公室（政务公开办）", kind="office", active=True)
    db.session.add(office)
    db.session.flush()
    from tracker.accounts.services import create_user

    create_user(username="office", display_name="公开办", role="office", unit=office, email=None,
                password=PASSWORD, must_change_password=False)
    unit_rows = [dict(code=f"u{i:03d}", name=f"示范单位{i:03d}", kind="town" if i < 20 else "department", active=True)
                 for i in range(units)]
    db.session.execute(insert(Unit), unit_rows)
    ids = db.session.scalars(select(Unit.id).where(Unit.kind != "office").order_by(Unit.id)).all()
    db.session.execute(insert(User), [dict(username=f"{role}{uid}", display_name=f"{role}{uid}", role=role,
                                           unit_id=uid, password_hash="-", active=True)
                                      for uid in ids for role in ("contact", "reviewer")])
    ds.ensure_key_areas()
    areas = db.session.scalars(select(KeyArea.id)).all()
    duties = [dict(unit_id=uid, title="公开事项", key_area_id=rng.choice(areas), cadence="adhoc", period_days=20,
                   channels=["website"], review_required=False, start_date=date(YEAR, 1, 1), active=True)
              for uid in ids]
    db.session.execute(insert(Duty), duties)
    duty_of = dict(db.session.execute(select(Duty.unit_id, Duty.id)).all())
    tasks, apps, n = [], [], 0
    for uid in ids:
        for k in range(30):
            day = date(YEAR, 1, 2) + timedelta(days=rng.randint(0, 360))
            tasks.append(dict(duty_id=duty_of[uid], unit_id=uid, key_area_id=rng.choice(areas), title=f"信息{k}",
                              formed_date=day, period_days=20, review_required=False,
                              due_date=day + timedelta(days=28 if k % 9 else -1), state=DONE_STATES[0],
                              published_on=day, normative=k % 10 == 0,
                              doc_number=f"规〔{YEAR}〕{uid}-{k}号" if k % 10 == 0 else None))
        for k in range(60):
            n += 1
            received = date(YEAR - 1, 11, 1) + timedelta(days=rng.randint(0, 450))
            closed = received + timedelta(days=rng.randint(3, 40))
            if received > date(YEAR + 1, 6, 30) or closed > date(YEAR + 1, 6, 30):
                closed = None
            apps.append(dict(tracking_code=f"YSQ-B-{n:07d}", channel="in_person", receipt_date=received,
                             state="replied" if closed else "open", unit_id=uid, applicant_kind=rng.choice(KINDS),
                             applicant_name="申请人", title="申请", description="申请", form_wanted="paper",
                             delivery_wanted="post", outcome=rng.choice(OUTCOMES) if closed else None,
                             closed_on=closed, reply_date=closed, reply_late=rng.random() < 0.05))
    db.session.execute(insert(Task), tasks)
    db.session.execute(insert(TaskChannel), [dict(task_id=t, channel=c) for t in db.session.scalars(select(Task.id))
                                             for c in rng.sample(CHANNELS, rng.randint(1, 3))])
    db.session.execute(insert(Application), apps)
    first = dict(db.session.execute(select(Application.unit_id, func.min(Application.id)).group_by(Application.unit_id)).all())
    db.session.execute(insert(ApplicationCase), [
        dict(application_id=first[uid], unit_id=uid, kind=kind, filed_on=date(YEAR, 5, 1), result=result,
             decided_on=date(YEAR, 8, 1) if result != "pending" else None)
        for uid in ids for kind, result in (("reconsideration", "upheld"), ("lawsuit_direct", "pending"))])
    db.session.flush()
    office_user = db.session.scalar(select(User).where(User.role == "office"))
    for uid in ids:
        unit = db.session.get(Unit, uid)
        services.save_figures(unit, YEAR, {"two/licence/decisions": str(rng.randint(0, 300)),
                                           "two/penalty/decisions": str(rng.randint(0, 80)),
                                           "two/enforcement/decisions": str(rng.randint(0, 10)),
                                           "two/fee/amount": f"{rng.randint(0, 9999) / 100:.2f}"}, office_user)
    for task in db.session.scalars(select(Task).where(Task.normative.is_(True), Task.published_on < date(YEAR, 12, 1))
                                   .limit(units // 2)):
        normative.repeal(normative.status_for_task(task), date(YEAR, 12, 1), "清理", office_user)
    db.session.commit()
    print(f"built {units} units, {len(tasks)} published items, {len(apps)} applications", flush=True)
    started = time.perf_counter()
    for uid in ids:
        unit = db.session.get(Unit, uid)
        contact = db.session.scalar(select(User).where(User.unit_id == uid, User.role == "contact"))
        reviewer = db.session.scalar(select(User).where(User.unit_id == uid, User.role == "reviewer"))
        report = workflow.start_report(YEAR, unit, contact)
        workflow.submit_for_review(report, contact)
        workflow.approve(report, reviewer)
        workflow.submit(report, contact)
        workflow.accept(report, office_user)
    workflow.start_report(YEAR, None, office_user)
    db.session.commit()
    print(f"handed in and accepted {units} unit reports through the workflow in {time.perf_counter() - started:.1f} s",
          flush=True)


class Counter:
    def __init__(self, engine):
        self.n = 0
        event.listen(engine, "before_cursor_execute", self)

    def __call__(self, *args, **kwargs):
        self.n += 1


def timed(label, fn, counter):
    from tracker.extensions import db

    db.session.expire_all()
    before = counter.n
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    print(f"{label:<58} {seconds:6.2f} s  {counter.n - before:5d} SQL statements", flush=True)
    return result, seconds, counter.n - before


def measure(app) -> tuple[float, dict]:
    from tracker.extensions import db
    from tracker.reports import exports, services

    counter = Counter(db.engine)
    content, t1, q1 = timed("1. compile the city report", lambda: services.city_content(YEAR), counter)
    assert content.consistent, content.problems[:3]
    _, t2, q2 = timed("2. overview of every unit with drift from the snapshots",
                      lambda: services.unit_statuses(YEAR), counter)
    t3 = 0.0
    for kind in ("docx", "xlsx", "json", "html"):
        with app.test_request_context():
            _, t, _ = timed(f"3. export the city report as {kind.upper()}",
                            lambda kind=kind: exports.export(services.city_content(YEAR), kind), counter)
        t3 += t
    client = app.test_client()
    assert client.post("/login", data={"username": "office", "password": PASSWORD}).status_code == 302
    response, t4, q4 = timed("4. GET the city report page as the office",
                             lambda: client.get(f"/reports/{YEAR}/city"), counter)
    assert response.status_code == 200, response.status_code
    return t1 + t3, {"compile": q1, "overview": q2, "page": q4}


MAX_STATEMENTS = 60  # whatever the number of units: bounded queries, not one per unit or per cell


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--keep", help="SQLite file to build into / load from (default: a temporary file)")
    args = parser.parse_args()
    path = args.keep or os.path.join(tempfile.mkdtemp(prefix="bench-report-"), "city.db")
    existing = os.path.exists(path)
    from flask_migrate import upgrade

    from tracker import create_app
    from tracker.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "bench", "TESTING": True,
                      "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_FAST": True})
    with app.app_context():
        upgrade()
        if existing:
            print(f"loaded {path}")
        else:
            build(app, args.units)
        seconds, queries = measure(app)
        db.session.remove()
    print(f"\ncity report for {args.units} units (compile + DOCX/XLSX/JSON/HTML): {seconds:.2f} s "
          f"(target ≤ {TARGET_SECONDS:.0f} s)")
    print(f"SQL statements: compile {queries['compile']}, overview {queries['overview']}, page {queries['page']} "
          f"(bound {MAX_STATEMENTS})")
    bounded = all(n <= MAX_STATEMENTS for n in queries.values())
    return 0 if seconds <= TARGET_SECONDS and bounded else 1


if __name__ == "__main__":
    sys.exit(main())
