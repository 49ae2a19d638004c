"""Days of unattended operation in a row: the scheduler's jobs at the hours of the day they run, on a
clock the caller moves, and after each day the checks that a year of sweeps must pass.

The checks are what an office relies on without looking:

* no job failed and no row was set aside;
* every reminder, message and mail was queued once (no two with the same recipient and content);
* nothing reminded anyone on a day that is not a working day, unless overdue work demanded it
  (an escalation);
* each quarter's bulletin was drafted on the first working day of the next quarter, and the
  quarter's scores (after the fourth quarter also the year's) became final on that same day;
* no stored deadline (tasks, applications, rectification items) moved without an entry in its
  deadline history saying from what to what.

Used by the simulated-month test and ``bench/simulate_year.py``. The clock is not moved here: the
caller hands in ``move_to(moment)`` (time-machine in the test and the benchmark), and may hand in
things that happen on a given day (``events``: the office records next year's holiday notice, say).
"""
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import Flask
from sqlalchemy import func, select

from ..extensions import db
from ..timeutil import CHINA

# The hours at which the jobs run in the simulation: every job of the scheduler (all run at
# least hourly) runs in each slot, so a slot stands for the hours since the one before.
SLOTS = (time(0, 20), time(7, 50), time(9, 10), time(13, 30), time(17, 40), time(22, 5))


@dataclass
class DayReport:
    day: date
    workday: bool
    runs: int = 0
    failures: list[str] = field(default_factory=list)   # jobs that failed or set rows aside
    problems: list[str] = field(default_factory=list)   # checks that did not hold
    reminders: int = 0                                   # bell messages created that day
    mails: int = 0                                       # mails queued that day

    @property
    def ok(self) -> bool:
        return not self.failures and not self.problems


def simulate(app: Flask, start: date, end: date, move_to: Callable[[datetime], None],
             events: dict[date, Callable[[], object]] | None = None, slots=SLOTS) -> Iterator[DayReport]:
    """Run the scheduler's jobs in every slot of every day from ``start`` to ``end`` (inclusive),
    yielding each day's report after its last slot. ``events[day]()`` runs in an app context at
    the first slot of that day, before the jobs, and is committed."""
    from ..scheduler import jobs, run_job

    events = events or {}
    move_to(datetime.combine(start, slots[0], CHINA))
    with app.app_context():
        deadlines = _deadlines()
    day = start
    while day <= end:
        report = DayReport(day, workday=False)
        since = datetime.combine(day, slots[0], CHINA)
        for i, slot in enumerate(slots):
            move_to(datetime.combine(day, slot, CHINA))
            if i == 0 and day in events:
                with app.app_context():
                    events[day]()
                    db.session.commit()
            for job in jobs():
                run = run_job(app, job)
                report.runs += 1
                if not run.ok:
                    report.failures.append(f"{slot:%H:%M} {job.name}: {run.error or ''} "
                                           f"{[f.error for f in run.failures.values()]}")
        with app.app_context():
            report.workday = _is_workday(day)
            deadlines = _check_day(report, since, deadlines, start)
        yield report
        day += timedelta(days=1)


def _is_workday(day: date) -> bool:
    from ..workcal.services import get_calendar

    return get_calendar().is_workday(day)


def _check_day(report: DayReport, since: datetime, deadlines: dict, start: date) -> dict:
    from ..notify.models import Notification, OutboxMail

    day = report.day
    notes = db.session.scalars(select(Notification).where(Notification.created_at >= since)).all()
    mails = db.session.scalars(select(OutboxMail).where(OutboxMail.created_at >= since)).all()
    report.reminders, report.mails = len(notes), len(mails)
    report.problems += _duplicates(Notification, since, Notification.user_id, Notification.title, Notification.body)
    report.problems += _duplicates(OutboxMail, since, OutboxMail.to_addr, OutboxMail.subject, OutboxMail.body_text)
    if not report.workday:
        report.problems += _quiet_day(notes, mails)
    report.problems += _quarter_close(day, start)
    now = _deadlines()
    report.problems += _unexplained_moves(deadlines, now, since)
    return now


def _duplicates(model, since: datetime, *columns) -> list[str]:
    """The same content queued to the same recipient twice, the second time since ``since``."""
    rows = db.session.execute(select(*columns, func.count()).group_by(*columns)
                              .having(func.count() > 1, func.max(model.created_at) >= since)).all()
    return [f"{model.__tablename__} queued {row[-1]} times: {row[0]} «{row[1]}»" for row in rows]


def _quiet_day(notes, mails) -> list[str]:
    """On a non-working day only overdue work (an escalation) may reach anyone."""
    escalations = {n.key for n in notes if n.escalation and n.key}
    problems = [f"reminder on a non-working day: «{n.title}» (user {n.user_id})" for n in notes if not n.escalation]
    for m in mails:
        if not (m.key and m.key.startswith("mail:") and m.key[5:] in escalations):
            problems.append(f"mail on a non-working day: «{m.subject}» to {m.to_addr}")
    return problems


def _quarter_close(day: date, start: date) -> list[str]:
    """From the first working day of a quarter on, the previous quarter's bulletin is drafted (on
    that day) and its scores are final (computed on that day); before it, neither happened.
    Checked for the quarters whose first working day the simulation reaches (``start`` on)."""
    from ..bulletins.models import Bulletin
    from ..bulletins.quarters import Quarter, first_workday
    from ..scores.models import ScorePeriod

    current = Quarter.containing(day)
    ended, opening = current.previous(), first_workday(current)
    if opening < start:
        return []
    bulletin = db.session.scalar(select(Bulletin).where(Bulletin.year == ended.year, Bulletin.quarter == ended.q))
    keys = [ended.key] + ([str(ended.year)] if ended.q == 4 else [])
    periods = {p.key: p for p in db.session.scalars(select(ScorePeriod).where(ScorePeriod.key.in_(keys)))}
    if day < opening:
        early = [f"bulletin {ended} drafted before {opening}"] if bulletin is not None else []
        return early + [f"scores {key} final before {opening}" for key, p in periods.items() if p.state != "provisional"]
    problems = []
    if bulletin is None:
        problems.append(f"bulletin {ended} not drafted by {day} (first working day {opening})")
    elif bulletin.figures_as_of != opening:
        problems.append(f"bulletin {ended} drafted on {bulletin.figures_as_of}, not on {opening}")
    for key in keys:
        period = periods.get(key)
        if period is None or period.state == "provisional":
            problems.append(f"scores {key} not final by {day} (due {opening})")
        elif period.computed_on != opening:
            problems.append(f"scores {key} made final on {period.computed_on}, not on {opening}")
    return problems


def _deadlines() -> dict[tuple[str, int], tuple]:
    """Every stored deadline with its provisional mark, by record."""
    from ..applications.models import Application
    from ..disclosure.models import Task
    from ..inspections.models import Rectification

    found = {}
    for model in (Task, Application, Rectification):
        for row_id, due, provisional in db.session.execute(
                select(model.id, model.due_date, model.due_provisional)):
            found[(model.__tablename__, row_id)] = (due, bool(provisional))
    return found


def _unexplained_moves(before: dict, after: dict, since: datetime) -> list[str]:
    """Deadlines that changed since ``since`` without the history saying from what to what."""
    from ..workcal.models import DeadlineChange

    moved = [key for key, value in after.items() if key in before and before[key] != value]
    if not moved:
        return []
    changes: dict[tuple[str, int], list] = {}
    for change in db.session.scalars(select(DeadlineChange).where(DeadlineChange.at >= since)
                                     .order_by(DeadlineChange.at, DeadlineChange.id)):
        changes.setdefault((change.object_type, change.object_id), []).append(change)
    problems = []
    for key in moved:
        chain = changes.get(key, [])
        if not chain or chain[0].old_due != before[key][0] or chain[-1].new_due != after[key][0]:
            problems.append(f"{key[0]} #{key[1]}: deadline {before[key]} -> {after[key]} without a history entry")
    return problems
