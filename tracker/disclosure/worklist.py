"""Open disclosure tasks as work owed, for the dashboards and 待办 (see worklist.services)."""
from flask import url_for
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, lazyload

from ..access import scope
from ..extensions import db
from ..worklist.services import WorkItem, WorkQuery, WorkSlice, register_work_source
from ..worklist.turns import Turn, columns, register_office_turn
from .models import OPEN_STATES, Task


@register_work_source
def open_tasks(user, query: WorkQuery) -> WorkSlice:
    """Tasks not yet published (Art. 26 deadline), those ``user`` may see, by deadline."""
    stmt = scope(select(Task), Task, user).where(Task.state.in_(OPEN_STATES), Task.due_date.is_not(None))
    if query.due_by is not None:
        stmt = stmt.where(Task.due_date <= query.due_by)
    total = db.session.scalar(stmt.with_only_columns(func.count()).order_by(None))
    order = Task.due_date.desc() if query.descending else Task.due_date
    tasks = db.session.scalars(stmt.options(joinedload(Task.unit), lazyload(Task.channel_rows)).order_by(order, Task.id).limit(query.limit)).all()
    items = [WorkItem("主动公开", t.title, url_for("disclosure.task", task_id=t.id), t.due_date, t.state_label,
                      f"state-{t.state}", unit=t.unit, provisional=t.due_provisional) for t in tasks]
    more = url_for("disclosure.tasks", flag="open", sort="due")
    return WorkSlice("公开任务", items, total, more)


def _to_verify(row) -> WorkItem:
    return WorkItem("核验", row.text, url_for("disclosure.task", task_id=row.id), None, "已发布待核验",
                    "state-published", unit=row.unit, note="单位已发布，待公开办核验发布地址和内容")


register_office_turn(Turn(
    "verify", "待核验的公开任务",
    lambda: select(*columns(Task.id, Task.title, unit_id=Task.unit_id)).where(Task.state == "published"),
    _to_verify, lambda: url_for("disclosure.tasks", state="published")))
