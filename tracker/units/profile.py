"""The unit page (单位档案): everything the office looks at before calling a unit — its people and
their phones, its open work across features ordered by urgency, its rectification items, the
督办 it received, its quarters in the published bulletins and its scores over time.

It reads every feature's records of one unit (imported here, at the edge, so that no feature
depends on another through it); each part is one bounded query for the unit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import defer, lazyload

from ..accounts.models import User
from ..extensions import db
from .models import Unit

ROLE_ORDER = {"contact": 0, "reviewer": 1}


@dataclass
class WorkItem:
    """One open record of the unit, as the urgency list shows it."""

    kind: str           # task | application | rectification
    kind_label: str
    title: str
    link: str
    state_label: str
    due_date: date | None
    provisional: bool
    days: int | None     # working days left (positive) or overdue (negative); None without a deadline
    note: str = ""
    record: object = None
    urgeable: bool = False   # the office may press 督办 on it now (overdue or due within 5 working days)

    @property
    def overdue(self) -> bool:
        return self.days is not None and self.days < 0

    def urgency(self, soon: int) -> tuple:
        if self.days is None:
            return (3, 0, self.title)
        if self.days < 0:
            return (0, self.days, self.title)          # most overdue first
        return (1 if self.days <= soon else 2, self.days, self.title)


def people(unit: Unit) -> list[User]:
    """Active staff of the unit, contacts first, then reviewers."""
    staff = db.session.scalars(select(User).where(User.unit_id == unit.id, User.active.is_(True))).all()
    return sorted(staff, key=lambda u: (ROLE_ORDER.get(u.role, 9), u.display_name))


def _days(calendar, today: date, due: date | None) -> int | None:
    if due is None:
        return None
    if due >= today:
        return calendar.between(today, due).count
    return -calendar.between(due, today).count or -1  # past the date only by a weekend: still overdue


def open_work(unit: Unit, today: date) -> list[WorkItem]:
    """Open tasks, applications (running or paused) and rectification items of the unit, the most
    urgent first: overdue (the longest overdue first), due within 5 working days, the rest by
    deadline, then what has no running deadline (a paused application)."""
    from ..applications.models import CLOSED_STATES, Application
    from ..disclosure.models import OPEN_STATES, Task
    from ..disclosure.services import DUE_SOON_WORKDAYS, due_soon_cutoff
    from ..inspections.models import RECTIFICATION_OPEN_STATES, Rectification
    from ..inspections.urging import target
    from ..workcal.services import get_calendar

    calendar = get_calendar()
    items = []
    for t in db.session.scalars(select(Task).where(Task.unit_id == unit.id, Task.state.in_(OPEN_STATES))):
        items.append(WorkItem("task", "公开任务", t.title, f"/disclosure/tasks/{t.id}", t.state_label, t.due_date,
                              t.due_provisional, _days(calendar, today, t.due_date), record=t))
    for a in db.session.scalars(select(Application).where(Application.unit_id == unit.id,
                                                          Application.state.not_in(CLOSED_STATES + ("pending",)))):
        note = f"{a.state_label}，期限 {a.pause_due:%Y-%m-%d}" if a.is_paused and a.pause_due else ""
        items.append(WorkItem("application", "依申请公开", f"{a.tracking_code} {a.title}", f"/applications/{a.id}",
                              a.state_label, None if a.is_paused else a.due_date, a.due_provisional,
                              None if a.is_paused else _days(calendar, today, a.due_date), note, record=a))
    for r in db.session.scalars(select(Rectification).where(Rectification.unit_id == unit.id,
                                                            Rectification.state.in_(RECTIFICATION_OPEN_STATES))):
        days = _days(calendar, today, r.due_date) if r.awaits_unit else None
        note = "单位已报送，待公开办验收" if not r.awaits_unit else ""
        items.append(WorkItem("rectification", "整改事项", r.title, f"/rectifications/{r.id}", r.state_label,
                              r.due_date, r.due_provisional, days, note, record=r))
    cutoff = due_soon_cutoff(today)
    for item in items:
        found = target(item.kind, item.record, today, cutoff)
        item.urgeable = found is not None and found.refusal is None
    return sorted(items, key=lambda i: i.urgency(DUE_SOON_WORKDAYS))


def rectifications(unit: Unit, limit: int = 30):
    from ..inspections.models import Rectification

    return db.session.scalars(select(Rectification).where(Rectification.unit_id == unit.id)
                              .order_by(Rectification.issued_on.desc(), Rectification.id.desc()).limit(limit)).all()


def urgings(unit: Unit, limit: int = 50):
    from ..inspections.models import Urging

    return db.session.scalars(select(Urging).where(Urging.unit_id == unit.id)
                              .order_by(Urging.created_at.desc(), Urging.id.desc()).limit(limit)).all()


def inspections(unit: Unit, limit: int = 20):
    from ..inspections.models import Inspection, InspectionUnit

    return db.session.scalars(select(Inspection).join(InspectionUnit).where(InspectionUnit.unit_id == unit.id)
                              .order_by(Inspection.inspected_on.desc()).limit(limit)).all()


QUARTERS_SHOWN = 8  # two years of bulletins; the bulletins page holds the rest


def quarters(unit: Unit, limit: int = QUARTERS_SHOWN) -> list[dict]:
    """The unit's line in the latest published bulletins, newest first (its record over time). Only
    the frozen snapshots are read: the working figures and the items stay unloaded."""
    from ..bulletins.models import Bulletin

    found = []
    for b in db.session.scalars(select(Bulletin).where(Bulletin.state == "published")
                                .options(defer(Bulletin.figures), lazyload(Bulletin.items))
                                .order_by(Bulletin.year.desc(), Bulletin.quarter.desc()).limit(limit)):
        row = next((r for r in (b.snapshot or {}).get("figures", {}).get("rows", []) if r["unit_id"] == unit.id), None)
        if row is not None:
            found.append({"bulletin": b, "row": row})
    return found


def scores(unit: Unit) -> list[dict]:
    """The unit's published assessment scores, newest first: period, total, rank among all units
    and among the units of its kind (``scores.ranking.rank_by_unit``), with the page of the score.
    Two queries."""
    from ..scores.models import Score, ScorePeriod
    from ..scores.ranking import rank_by_unit

    periods = {p.id: p for p in db.session.scalars(select(ScorePeriod).where(ScorePeriod.state == "published"))}
    if not periods:
        return []
    by_period: dict[int, list] = {}
    for row in db.session.execute(select(Score.period_id, Score.unit_id, Score.unit_kind, Score.total)
                                  .where(Score.period_id.in_(list(periods)))):
        by_period.setdefault(row.period_id, []).append(row)
    found = []
    for period_id, rows in by_period.items():
        mine = next((r for r in rows if r.unit_id == unit.id), None)
        if mine is not None:
            p = periods[period_id]
            rank, rank_in_kind = rank_by_unit(rows)[unit.id]
            found.append({"key": p.key, "label": p.label, "total": mine.total, "rank": rank, "of": len(rows),
                          "rank_in_kind": rank_in_kind, "of_kind": sum(r.unit_kind == mine.unit_kind for r in rows),
                          "quarterly": p.quarter is not None, "order": (p.year, p.quarter or 5)})
    return sorted(found, key=lambda s: s["order"], reverse=True)


def ratings(unit: Unit, today: date) -> dict:
    """社会评议 of the unit's replies this year: counts by level, the satisfaction rate and the
    reasons given — counts only, never who rated. Two queries."""
    from ..applications import ratings as application_ratings

    start = date(today.year, 1, 1)
    counts = application_ratings.counts_by_unit(start, today, unit.id).get(unit.id) or application_ratings.RatingCounts()
    return {"year": today.year, "counts": counts,
            "reasons": application_ratings.reasons_of_unit(unit.id, start, today) if counts.rated else []}
