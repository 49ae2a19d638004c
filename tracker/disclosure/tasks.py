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
