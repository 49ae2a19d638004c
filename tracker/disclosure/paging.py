"""Pages of the task list in urgency order, without sorting the whole history (the same
statements and time at any size of history).

Urgency (``services.urgency_order``) ranks the open tasks 0–4 and every finished one 5, each rank
by deadline. An index cannot serve that ``CASE``, so ``ORDER BY`` it over a city's 150,000 tasks
sorts them all for every page. But only open work — a few thousand tasks, found by the state
index — has ranks 0–4; the finished tasks come after it in deadline order, which the deadline
index gives already sorted. So a page is read as the first ``offset + per_page`` of each part
(``UNION ALL``), merged in the same order; the result is exactly the urgency order.
"""
from __future__ import annotations

from datetime import date

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, literal, select, union_all

from ..extensions import db
from .models import OPEN_STATES, Task
from .services import TaskFilters, task_query, urgency_order

FINISHED_RANK = 5  # urgency_order's rank of every task that is not open


def urgent_page_ids(f: TaskFilters, user, today: date, cutoff: date, offset: int, limit: int) -> list[int]:
    """Ids of the tasks at ``offset``..``offset + limit`` of the list in urgency order."""
    reach = offset + limit
    open_part = (task_query(f, user, today, cutoff, columns=(
        Task.id.label("id"), urgency_order(today, cutoff).label("rank"), Task.due_date.label("due")))
        .where(Task.state.in_(OPEN_STATES)).limit(reach))
    finished_part = (task_query(f, user, today, cutoff, columns=(
        Task.id.label("id"), literal(FINISHED_RANK).label("rank"), Task.due_date.label("due")))
        .where(Task.state.not_in(OPEN_STATES)).order_by(None).order_by(Task.due_date, Task.id).limit(reach))
    both = union_all(select(open_part.subquery()), select(finished_part.subquery())).subquery()
    stmt = select(both.c.id).order_by(both.c.rank, both.c.due, both.c.id).offset(offset).limit(limit)
    return list(db.session.scalars(stmt))


class UrgencyPagination(Pagination):
    """``db.paginate`` for the task list in urgency order: the page's ids from ``urgent_page_ids``,
    then those tasks with their unit and key area; the total as ``db.paginate`` counts it."""

    def _query_items(self) -> list:
        a = self._query_args
        ids = urgent_page_ids(a["filters"], a["user"], a["today"], a["cutoff"], self._query_offset, self.per_page)
        if not ids:
            return []
        tasks = {t.id: t for t in db.session.scalars(
            task_query(TaskFilters(), a["user"], a["today"], a["cutoff"]).where(Task.id.in_(ids))).unique()}
        return [tasks[i] for i in ids if i in tasks]

    def _query_count(self) -> int:
        a = self._query_args
        stmt = task_query(a["filters"], a["user"], a["today"], a["cutoff"], columns=(Task.id,)).order_by(None)
        return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


def task_page(f: TaskFilters, user, today: date, cutoff: date, per_page: int = 30) -> Pagination:
    """The page of the task list the request asks for (``?page=``), in the order of ``f``."""
    if f.sort == "due":  # by deadline: the deadline index serves it directly
        return db.paginate(task_query(f, user, today, cutoff), per_page=per_page, error_out=False)
    return UrgencyPagination(per_page=per_page, error_out=False, filters=f, user=user, today=today, cutoff=cutoff)
