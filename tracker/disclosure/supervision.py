"""Supervision figures (公开督查): per unit and in total, for the supervision page and the dashboards.

Two kinds of figure, and each is counted only over the tasks that can change it:

* **now** — overdue, due within 5 working days, not acknowledged, open: summed over the open
  tasks, whatever their year (a finished task can never be any of these); awaiting verification:
  the published tasks not yet verified, counted per unit from the (state, unit) index.
* **the year** — published on time, late, failed verifications, and the overdue part of the
  on-time rate: over the tasks due in the selected year.

So a city with years of history sums a few thousand open tasks and one year's tasks, never the
whole table; the indexes in ``tracker/indexes.py`` answer both from the index alone. The clauses
(``overdue_clause`` and the others in ``rules``) are the one definition of each figure.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, func, select

from ..access import scope
from ..extensions import db
from ..units.models import Unit
from .models import OPEN_STATES, Task
from .rules import due_soon_clause, late_clause, on_time_clause, overdue_clause

SUPERVISION_COLUMNS = {
    "overdue": "已逾期", "due_soon": "5个工作日内到期", "unacknowledged": "未签收", "late": "逾期发布",
    "on_time": "按时发布", "failed": "核验未通过", "open": "未完成", "rate": "按时发布率",
}
OPEN_FIGURES = ("overdue", "due_soon", "unacknowledged", "open", "overdue_in_year")
NOW_FIGURES = OPEN_FIGURES + ("to_verify",)
YEAR_FIGURES = ("late", "on_time", "failed")
FIGURES = NOW_FIGURES + YEAR_FIGURES


def in_year(year: int):
    return and_(Task.due_date >= date(year, 1, 1), Task.due_date <= date(year, 12, 31))


def _n(cond):
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def figures_by_unit(user, today: date, cutoff: date, year: int) -> dict[int, dict]:
    """Every figure of every unit ``user`` may see, by unit id, with the ``Unit`` under "unit":
    two queries, however many years of tasks. The open work is summed per unit; the publications
    awaiting verification (which pile up over the years) are only counted, from the index."""
    year_clause = in_year(year)
    open_work = scope(select(
        Task.unit_id.label("unit_id"), _n(overdue_clause(today)).label("overdue"),
        _n(due_soon_clause(today, cutoff)).label("due_soon"), _n(Task.state == "pending_ack").label("unacknowledged"),
        func.count().label("open"), _n(and_(year_clause, overdue_clause(today))).label("overdue_in_year")),
        Task, user).where(Task.state.in_(OPEN_STATES)).group_by(Task.unit_id).subquery()
    awaiting = scope(select(Task.unit_id.label("unit_id"), func.count().label("to_verify")), Task, user).where(
        Task.state == "published").group_by(Task.unit_id).subquery()
    now = (select(Unit, *(func.coalesce(open_work.c[k], 0) for k in OPEN_FIGURES),
                  func.coalesce(awaiting.c.to_verify, 0))
           .outerjoin(open_work, open_work.c.unit_id == Unit.id).outerjoin(awaiting, awaiting.c.unit_id == Unit.id))
    if not user.sees_all_units:
        now = now.where(Unit.id == user.unit_id)
    # failed: each failed verification of the tasks due in ``year`` counts
    of_year = scope(select(Task.unit_id, _n(late_clause()), _n(on_time_clause()),
                           func.coalesce(func.sum(Task.verify_failures), 0)),
                    Task, user).where(year_clause, Task.state != "cancelled").group_by(Task.unit_id)
    found: dict[int, dict] = {}
    for unit, *values in db.session.execute(now):
        found[unit.id] = dict.fromkeys(FIGURES, 0) | dict(zip(NOW_FIGURES, (int(v) for v in values)), unit=unit)
    for unit_id, *values in db.session.execute(of_year):
        found.setdefault(unit_id, dict.fromkeys(FIGURES, 0)).update(zip(YEAR_FIGURES, (int(v) for v in values)))
    return found


def on_time_rate(on_time: int, late: int, overdue: int) -> float | None:
    """Share of information due that went out on time: on time / (on time + late + still overdue)."""
    due = on_time + late + overdue
    return round(100.0 * on_time / due, 1) if due else None


def _with_rate(data: dict) -> dict:
    data["rate"] = on_time_rate(data["on_time"], data["late"], data["overdue_in_year"])
    return data


def totals(user, today: date, cutoff: date, year: int, by_unit: dict[int, dict] | None = None) -> dict:
    """The figures of every task ``user`` may see (the sum over units); ``by_unit`` when the caller
    already has ``figures_by_unit`` for the same arguments."""
    if by_unit is None:
        by_unit = figures_by_unit(user, today, cutoff, year)
    return _with_rate({k: sum(f[k] for f in by_unit.values()) for k in FIGURES})


def unit_supervision(user, today: date, cutoff: date, year: int, sort: str = "overdue", desc: bool = True,
                     kind: str | None = None, by_unit: dict[int, dict] | None = None) -> list[dict]:
    """Per active unit: overdue, due within 5 working days, unacknowledged, open (now); published
    late, on time, failed verifications and the on-time rate (tasks due in ``year``)."""
    if by_unit is None:
        by_unit = figures_by_unit(user, today, cutoff, year)
    rows = [_with_rate(dict(by_unit[i])) for i in sorted(by_unit) if _listed(by_unit[i].get("unit"), kind)]
    key = sort if sort in SUPERVISION_COLUMNS else "overdue"
    present = sorted((r for r in rows if r[key] is not None), key=lambda r: r[key], reverse=desc)
    return present + [r for r in rows if r[key] is None]  # units with nothing due last


def _listed(unit: Unit | None, kind: str | None = None) -> bool:
    """Units supervised on the page: active, not the office, of ``kind`` when given."""
    return unit is not None and unit.active and unit.kind != "office" and (kind is None or unit.kind == kind)


def worst_units(by_unit: dict[int, dict], limit: int = 8) -> list[dict]:
    """The active units with the most overdue tasks that have any overdue or unacknowledged task
    (the dashboard's list; the supervision table sorted by 已逾期, without its rows of zeros)."""
    rows = [by_unit[i] for i in sorted(by_unit)
            if _listed(by_unit[i].get("unit")) and (by_unit[i]["overdue"] or by_unit[i]["unacknowledged"])]
    return sorted(rows, key=lambda r: r["overdue"], reverse=True)[:limit]


def monthly_on_time(user, today: date, year: int, unit_id: int | None = None) -> list[dict]:
    """On-time rate per month of the deadline in ``year`` (one GROUP BY query). Months that are not
    over yet have no rate: their tasks may still go out on time or late."""
    month = func.extract("month", Task.due_date)
    stmt = (scope(select(month.label("m"), _n(on_time_clause()), _n(late_clause()), _n(overdue_clause(today))),
                  Task, user).where(in_year(year), Task.state != "cancelled").group_by(month))
    if unit_id:
        stmt = stmt.where(Task.unit_id == unit_id)
    got = {int(m): (a, b, c) for m, a, b, c in db.session.execute(stmt)}
    out = []
    for m in range(1, 13):
        on_time, late, overdue = got.get(m, (0, 0, 0))
        # A month not over yet has tasks still due in it: its rate is not known (not 100 %).
        finished = (date(year + 1, 1, 1) if m == 12 else date(year, m + 1, 1)) <= today
        out.append({"month": m, "on_time": on_time, "late": late, "overdue": overdue, "finished": finished,
                    "rate": on_time_rate(on_time, late, overdue) if finished else None})
    return out
