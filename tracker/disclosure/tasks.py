"""Scheduled work of proactive disclosure: a sweep over the catalogue, safe to run twice."""
from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..sweeps import isolated
from ..units.models import Unit
from . import services
from .models import Duty, Task


def open_periodic_tasks(today: date) -> int:
    """Open the task of every period of every active periodic or standing duty whose information
    has formed by ``today`` (domain.md §2: 常规性工作定期公开). Exactly one task per duty and
    period however often this runs, also when two runs overlap (unique key + ON CONFLICT DO
    NOTHING). Missed periods since the duty's start date are caught up. Returns the number opened.
    """
    duties = db.session.scalars(
        select(Duty).join(Unit, Duty.unit_id == Unit.id)
        .where(Duty.active.is_(True), Unit.active.is_(True), Duty.cadence.in_(("periodic", "standing")),
               Duty.frequency.is_not(None), Duty.start_date <= today)
        .order_by(Duty.id)).all()
    if not duties:
        return 0
    existing = set(db.session.execute(
        select(Task.duty_id, Task.period_key)
        .where(Task.duty_id.in_([d.id for d in duties]), Task.period_key.is_not(None))).all())
    opened = 0
    for duty in duties:  # each duty in isolation: one that cannot be opened is reported, the others open
        missing = []
        with isolated("duty", duty.id, duty.title, savepoint=False):
            missing = [(key, formed) for key, formed in services.due_periods(duty, today)
                       if (duty.id, key) not in existing]
        for key, formed in missing:
            with isolated("duty", duty.id, duty.title):
                opened += services.open_periodic_task(duty, key, formed) is not None
    return opened


def open_tasks_on_working_days(today: date) -> int:
    """The scheduled job: ``open_periodic_tasks`` on working days only. Information formed on a
    holiday opens on the next working day with its formation day (and so its deadline) unchanged,
    and nobody is told of new work on a day off. (The ``open-tasks`` command opens on any day.)"""
    from ..workcal.services import get_calendar

    if not get_calendar().is_workday(today):
        return 0
    return open_periodic_tasks(today)
