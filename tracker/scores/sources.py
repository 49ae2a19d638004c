"""The rows the automatic rules read: one query per source for every unit being scored, however
many units and records (never a query per unit or per record). Each source returns plain rows
with ``unit_id``; the engine hands each unit its own rows and the rules never touch the database.

State tests use the features' own constants and clauses (``OPEN_STATES``, ``DONE_STATES``,
``late_clause``; ``CLOSED_STATES``, ``RUNNING_STATES``; the clock's event kinds), so a change of
those workflows reaches the scores without a literal state name here.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import exists, or_, select

from ..accounts.models import User
from ..applications import clock
from ..applications.models import (
    CASE_KINDS,
    CLOSED_STATES,
    RUNNING_STATES,
    Application,
    ApplicationCase,
    ApplicationEvent,
    ApplicationRating,
)
from ..disclosure.models import DONE_STATES, OPEN_STATES, Task, TaskEvent
from ..disclosure.services import late_clause
from ..extensions import db
from ..timeutil import CHINA, to_china
from ..units.models import Unit
from .periods import Period

SOURCES: dict[str, Callable[[Period, date, list[int]], list]] = {}
# Working days after issue allowed for acknowledging can never span more calendar days than this.
ACK_LOOKBACK_DAYS = 60
# The TaskEvent action of disclosure.workflow.fail_verification (核验未通过).
VERIFICATION_FAILED = "fail_verification"


def source(name: str):
    """Register ``fn(period, as_of, unit_ids) -> rows`` under ``name`` (a rule's ``rows``)."""
    def decorate(fn):
        SOURCES[name] = fn
        return fn
    return decorate


def _china_day(value: datetime | None) -> date | None:
    return to_china(value).date() if value is not None else None


def _utc_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=CHINA)


@dataclass(frozen=True, slots=True)
class UnitRow:
    unit_id: int
    name: str
    has_contact: bool


@source("units")
def unit_rows(period: Period, as_of: date, unit_ids: list[int]) -> list[UnitRow]:
    """Each unit and whether it has an active contact now."""
    contact = exists().where(User.unit_id == Unit.id, User.role == "contact", User.active.is_(True))
    rows = db.session.execute(select(Unit.id, Unit.name, contact).where(Unit.id.in_(unit_ids)))
    return [UnitRow(uid, name, bool(has)) for uid, name, has in rows]


@dataclass(frozen=True, slots=True)
class TaskRow:
    id: int
    unit_id: int
    title: str
    due_date: date | None
    published_on: date | None
    issued_on: date
    acknowledged_on: date | None
    is_open: bool
    is_done: bool
    published_late: bool


@source("tasks")
def task_rows(period: Period, as_of: date, unit_ids: list[int]) -> list[TaskRow]:
    """Disclosure tasks that are open or done (cancelled ones never count), due in the period or
    issued close enough to it that their acknowledgement limit may fall in it."""
    issued_from = _utc_start(period.start - timedelta(days=ACK_LOOKBACK_DAYS))
    issued_to = _utc_start(period.end + timedelta(days=1))
    stmt = (select(Task.id, Task.unit_id, Task.title, Task.due_date, Task.published_on, Task.created_at,
                   Task.acknowledged_at, Task.state.in_(OPEN_STATES), Task.state.in_(DONE_STATES), late_clause())
            .where(Task.unit_id.in_(unit_ids), or_(Task.state.in_(OPEN_STATES), Task.state.in_(DONE_STATES)),
                   or_(Task.due_date.between(period.start, period.end),
                       Task.created_at.between(issued_from, issued_to))))
    return [TaskRow(id_, unit_id, title, due, published, _china_day(created), _china_day(acked), bool(is_open),
                    bool(is_done), bool(late))
            for id_, unit_id, title, due, published, created, acked, is_open, is_done, late
            in db.session.execute(stmt)]


@dataclass(frozen=True, slots=True)
class ReplyRow:
    id: int
    unit_id: int
    tracking_code: str
    title: str
    due_date: date
    closed_on: date | None
    reply_late: bool
    is_closed: bool
    is_running: bool


@source("replies")
def reply_rows(period: Period, as_of: date, unit_ids: list[int]) -> list[ReplyRow]:
    """Applications whose reply deadline (as the clock stored it) falls in the period."""
    stmt = select(Application.id, Application.unit_id, Application.tracking_code, Application.title,
                  Application.due_date, Application.closed_on, Application.reply_late,
                  Application.state.in_(CLOSED_STATES), Application.state.in_(RUNNING_STATES)).where(
        Application.unit_id.in_(unit_ids), Application.due_date.between(period.start, period.end))
    return [ReplyRow(*row[:6], bool(row[6]), bool(row[7]), bool(row[8])) for row in db.session.execute(stmt)]


@dataclass(frozen=True, slots=True)
class CaseRow:
    id: int
    unit_id: int
    kind: str
    filed_on: date
    decided_on: date | None
    result: str
    tracking_code: str

    @property
    def kind_label(self) -> str:
        return CASE_KINDS.get(self.kind, self.kind)


@source("cases")
def case_rows(period: Period, as_of: date, unit_ids: list[int]) -> list[CaseRow]:
    """Reconsiderations and lawsuits (R11) decided in the period."""
    stmt = (select(ApplicationCase.id, ApplicationCase.unit_id, ApplicationCase.kind, ApplicationCase.filed_on,
                   ApplicationCase.decided_on, ApplicationCase.result, Application.tracking_code)
            .join(Application, ApplicationCase.application_id == Application.id)
            .where(ApplicationCase.unit_id.in_(unit_ids),
                   ApplicationCase.decided_on.between(period.start, period.end)))
    return [CaseRow(*row) for row in db.session.execute(stmt)]


@dataclass(frozen=True, slots=True)
class CorrectionRow:
    application_id: int
    unit_id: int
    tracking_code: str
    title: str
    receipt_date: date
    sent_on: date


@source("corrections")
def correction_rows(period: Period, as_of: date, unit_ids: list[int]) -> list[CorrectionRow]:
    """Correction requests (补正告知, Art. 30) sent in the period, with the application's receipt date."""
    stmt = (select(Application.id, Application.unit_id, Application.tracking_code, Application.title,
                   Application.receipt_date, ApplicationEvent.day)
            .join(ApplicationEvent, ApplicationEvent.application_id == Application.id)
            .where(ApplicationEvent.kind == clock.CORRECTION_SENT, Application.unit_id.in_(unit_ids),
                   Application.receipt_date.is_not(None), ApplicationEvent.day.between(period.start, period.end)))
    return [CorrectionRow(*row) for row in db.session.execute(stmt)]


@dataclass(frozen=True, slots=True)
class VerificationFailureRow:
    id: int          # the TaskEvent
    unit_id: int
    task_id: int
    title: str
    day: date
    reason: str | None


@source("verification_failures")
def verification_failure_rows(period: Period, as_of: date, unit_ids: list[int]) -> list[VerificationFailureRow]:
    """The office's failed verifications (核验未通过) of the units' published tasks in the period."""
    stmt = (select(TaskEvent.id, Task.unit_id, Task.id, Task.title, TaskEvent.at, TaskEvent.reason)
            .join(Task, TaskEvent.task_id == Task.id)
            .where(TaskEvent.action == VERIFICATION_FAILED, Task.unit_id.in_(unit_ids),
                   TaskEvent.at >= _utc_start(period.start), TaskEvent.at < _utc_start(period.end + timedelta(days=1))))
    return [VerificationFailureRow(id_, unit_id, task_id, title, _china_day(at), reason)
            for id_, unit_id, task_id, title, at, reason in db.session.execute(stmt)]


@dataclass(frozen=True, slots=True)
class RatingRow:
    id: int          # the ApplicationRating
    unit_id: int
    level: str
    reason: str | None
    rated_on: date


@source("ratings")
def rating_rows(period: Period, as_of: date, unit_ids: list[int]) -> list[RatingRow]:
    """The applicants' ratings (社会评议) of the units' replies given in the period."""
    stmt = select(ApplicationRating.id, ApplicationRating.unit_id, ApplicationRating.level, ApplicationRating.reason,
                  ApplicationRating.rated_on).where(ApplicationRating.unit_id.in_(unit_ids),
                                                    ApplicationRating.rated_on >= period.start,
                                                    ApplicationRating.rated_on <= period.end)
    return [RatingRow(*row) for row in db.session.execute(stmt)]


@source("annual_reports")
def annual_report_rows(period: Period, as_of: date, unit_ids: list[int]) -> list:
    """Each unit's annual-report facts (``reports.scoring.report_facts``) for the report years whose
    internal due date may fall in the period: the year before (due in January) and the period's own
    year — only years the tracker runs reports for (a report started or a due date set), so the
    first year of use does not count the previous year's reports, made before the tracker, as
    missing. A fixed number of queries per year, for every unit at once."""
    from ..reports.models import AnnualReport, ReportYear
    from ..reports.scoring import report_facts

    rows = []
    for year in (period.year - 1, period.year):
        in_use = select(exists().where(AnnualReport.year == year) | exists().where(ReportYear.year == year))
        if db.session.scalar(in_use):
            rows += report_facts(year, unit_ids)
    return rows


@source("rectifications")
def rectification_rows(period: Period, as_of: date, unit_ids: list[int]) -> list:
    """Rectification items due in the period (``inspections.scoring.rectification_rows``)."""
    from ..inspections.scoring import rectification_rows as rows

    return rows(period.start, period.end, unit_ids)
