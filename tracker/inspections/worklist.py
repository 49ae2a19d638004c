"""Rectification items as work owed, for the dashboards and 待办 (see worklist.services)."""
from flask import url_for
from sqlalchemy import and_, func, or_, select

from ..access import scope
from ..extensions import db
from ..worklist.services import WorkItem, WorkQuery, WorkSlice, register_work_source
from .models import AWAITING_UNIT_STATES, Rectification

BADGES = {"open": "text-bg-primary", "returned": "text-bg-warning", "submitted": "text-bg-info"}


@register_work_source
def open_rectifications(user, query: WorkQuery) -> WorkSlice:
    """Items whose answer a unit owes (待整改, 退回重改), by deadline; for the office also every
    answer waiting for its acceptance (待验收: the office's own turn, listed undated, last)."""
    owed = Rectification.state.in_(AWAITING_UNIT_STATES)
    if query.due_by is not None:
        owed = and_(owed, Rectification.due_date <= query.due_by)
    stmt = scope(select(Rectification), Rectification, user).where(
        or_(owed, Rectification.state == "submitted") if user.role == "office" else owed)
    waiting = Rectification.state == "submitted"
    order = Rectification.due_date.desc() if query.descending else Rectification.due_date
    # the total comes with the slice (a window count, taken before the limit): one statement whatever
    # the number of items
    rows = db.session.execute(stmt.add_columns(func.count().over())
                              .order_by(waiting, order, Rectification.id).limit(query.limit)).all()
    found = [r for r, _ in rows]
    total = rows[0][1] if rows else 0
    items = []
    for r in found:
        awaiting = r.state in AWAITING_UNIT_STATES
        items.append(WorkItem("督查整改", r.title, url_for("inspections.rectification", rectification_id=r.id),
                              r.due_date if awaiting else None, r.state_label, BADGES.get(r.state, "text-bg-secondary"),
                              unit=r.unit, provisional=r.due_provisional,
                              note=None if awaiting else f"单位已报送整改情况，待公开办验收（期限 {r.due_date:%Y-%m-%d}）"))
    return WorkSlice("整改事项", items, total, url_for("inspections.rectifications", flag="open"))
