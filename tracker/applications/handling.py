"""Handling an application: who may act on it, the events on its record and the clock they drive.

Every transition (``registration``, ``clock_events``, ``replies``) checks who asks (role and unit)
and the current state (``_require``), writes an ``ApplicationEvent`` (the legal date of what
happened) and an audit event (``_transition``), and leaves the deadline to ``recompute_clock``:
the one place that stores it, through ``workcal.set_deadline`` so that every change of the
deadline stays in the record's history (the rules of the clock are in ``clock.py``). Nothing else
writes ``state``.
"""
from datetime import date

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import select

from ..accounts.models import UNIT_ROLES
from ..audit.services import record
from ..errors import ServiceError
from ..extensions import db
from ..timeutil import china_today
from ..workcal.engine import WorkdayAnswer
from ..workcal.services import get_calendar, register_deadline_source, set_deadline
from . import clock
from .models import CLOSED_STATES, Application, ApplicationEvent

HANDLERS = ("office", "contact", "reviewer")  # who may act on an application (leader: read-only)


class Forbidden(ServiceError):
    """The person asking may not do this to this application (views answer 403)."""


# --- who is asking ----------------------------------------------------------------------------

def _actor(actor=None):
    if actor is not None:
        return actor
    if has_request_context() and current_user.is_authenticated:
        return current_user
    return None


def can_act(app: Application, actor, roles=HANDLERS) -> bool:
    if actor is None or actor.role not in roles:
        return False
    return actor.role not in UNIT_ROLES or (app.unit_id is not None and app.unit_id == actor.unit_id)


def _require(app: Application, actor, roles=HANDLERS, states=None) -> None:
    if actor is not None and not can_act(app, actor, roles):
        raise Forbidden("您无权对该申请执行此操作。")
    if actor is not None and actor.role in UNIT_ROLES and app.state == "returned":
        # sent back as mis-routed: the office routes it again; the unit keeps read access only
        raise Forbidden("该申请已退回公开办，等待重新分办，本单位不能继续办理。")
    if states is not None and app.state not in states:
        raise ServiceError(f"申请当前状态为“{app.state_label}”，不能执行此操作。")


# --- events and the clock ---------------------------------------------------------------------

def _event(app: Application, kind: str, day: date, actor=None, late_entry: bool = False, **details) -> ApplicationEvent:
    """Record what happened on ``day``; ``late_entry``: entered late (补录, ``late_entries.py``)."""
    actor = _actor(actor)
    clean = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in details.items() if v not in (None, "")}
    ev = ApplicationEvent(application=app, kind=kind, day=day, details=clean, late_entry=bool(late_entry),
                          actor_id=actor.id if actor is not None else None)
    db.session.add(ev)
    db.session.flush()
    return ev


def _events(app: Application) -> list[ApplicationEvent]:
    return db.session.scalars(select(ApplicationEvent).where(ApplicationEvent.application_id == app.id)
                              .order_by(ApplicationEvent.day, ApplicationEvent.id)).all()


def clock_result(app: Application) -> clock.ClockResult | None:
    if app.receipt_date is None:
        return None
    events = [clock.ClockEvent(e.kind, e.day, e.details or {}) for e in _events(app) if e.kind in clock.CLOCK_KINDS]
    return clock.compute_deadline(app.receipt_date, events, get_calendar())


def clock_with(app: Application, kind: str, day: date, **details) -> clock.ClockResult:
    """The clock as it would be with one more event (not recorded): what an act would change."""
    clean = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in details.items() if v not in (None, "")}
    events = [clock.ClockEvent(e.kind, e.day, e.details or {}) for e in _events(app) if e.kind in clock.CLOCK_KINDS]
    return clock.compute_deadline(app.receipt_date, events + [clock.ClockEvent(kind, day, clean)], get_calendar())


def last_act_day(app: Application) -> date:
    """The day of the latest act on record (the receipt, when there is none): no act precedes it."""
    return max((e.day for e in _events(app)), default=app.receipt_date)


def recompute_clock(app: Application, reason: str) -> bool:
    """Store the deadline computed from the application's events (the only writer of due_date).

    Returns True when the deadline moved (the change is kept in the deadline history).
    """
    result = clock_result(app)
    if result is None:
        return False
    app.pause_kind = result.open_pause.kind if result.open_pause else None
    app.pause_due = result.open_pause.due if result.open_pause else None
    app.correction_late = result.correction_late
    return set_deadline(app, WorkdayAnswer(result.due_date, None, result.provisional), reason)


@register_deadline_source
def recompute_open_applications(reason: str) -> int:
    """Deadline source for the calendar: recompute every open application after a calendar change."""
    apps = db.session.scalars(select(Application).where(
        Application.state.not_in(CLOSED_STATES + ("pending",)))).all()
    return sum(1 for app in apps if recompute_clock(app, reason))


def _transition(app: Application, new_state: str, action: str, note: str | None = None, **after) -> None:
    old = app.state
    app.state = new_state
    db.session.flush()
    record(f"application.{action}", app, before={"state": old}, after={"state": new_state, **after}, note=note)


# --- dates typed by staff ---------------------------------------------------------------------

def _legal_date(value, label: str, field: str, not_before: date | None = None,
                not_before_label: str = "") -> date:
    if not isinstance(value, date):
        raise ServiceError(f"请填写{label}。", field)
    if value > china_today():
        raise ServiceError(f"{label}不能晚于今天。", field)
    if not_before is not None and value < not_before:
        raise ServiceError(f"{label}不能早于{not_before_label}（{not_before:%Y-%m-%d}）。", field)
    return value
