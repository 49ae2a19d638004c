"""What the assessment's 督查整改 rule reads about rectification items (scoring.md: each item not
done by its deadline −2).

``rectification_rows`` gives the items due in a period for every unit at once (one query);
``missed`` is the rule over one row (``services.not_done_by_deadline``, the same answer as the
bulletin's ``missed_clause``), so the scores' rule registry only hands rows in and turns a true
answer into a finding.
"""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from ..extensions import db
from .models import RECTIFICATION_DONE_STATES, RECTIFICATION_OPEN_STATES, Rectification
from .services import not_done_by_deadline


@dataclass(frozen=True, slots=True)
class RectificationRow:
    id: int
    unit_id: int
    title: str
    issued_on: date
    due_date: date
    state: str
    answered_on: date | None
    completed_on: date | None


def rectification_rows(start: date, end: date, unit_ids: list[int]) -> list[RectificationRow]:
    """Items of ``unit_ids`` due in [start, end] (cancelled ones never count). One query."""
    stmt = select(Rectification.id, Rectification.unit_id, Rectification.title, Rectification.issued_on,
                  Rectification.due_date, Rectification.state, Rectification.answered_on,
                  Rectification.completed_on).where(
        Rectification.unit_id.in_(unit_ids), Rectification.due_date.between(start, end),
        Rectification.state.in_(RECTIFICATION_OPEN_STATES + RECTIFICATION_DONE_STATES))
    return [RectificationRow(*row) for row in db.session.execute(stmt)]


def missed(row: RectificationRow, as_of: date) -> bool:
    return not_done_by_deadline(row.due_date, row.state, row.answered_on, row.completed_on, as_of)


def describe(row: RectificationRow, as_of: date) -> str:
    """The facts that made it count, for the unit's score page."""
    done_on = row.completed_on if row.state in RECTIFICATION_DONE_STATES else (
        row.answered_on if row.state == "submitted" else None)
    if done_on is not None and done_on <= as_of:
        return f"{row.issued_on:%Y-%m-%d} 下达，整改期限 {row.due_date:%Y-%m-%d}，{done_on:%Y-%m-%d} 才报送整改情况"
    return f"{row.issued_on:%Y-%m-%d} 下达，整改期限 {row.due_date:%Y-%m-%d}，截至 {as_of:%Y-%m-%d} 未完成整改"
