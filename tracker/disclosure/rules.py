"""Rules of proactive disclosure that need no session and change nothing (domain.md §2 and §4).

The periods of periodic and standing duties (their keys, Chinese names and which are due by a
day), the form of a publication's address, and the clauses that are the one definition of
overdue, due soon, published late, published on time and failed verification: the lists, the
supervision figures, the bulletins and the scores all count with these.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import and_

from .models import DONE_STATES, OPEN_STATES, Duty, Task

PERIOD_MONTHS = {"monthly": 1, "quarterly": 3, "halfyearly": 6, "yearly": 12}
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


# --- periods of periodic and standing duties --------------------------------------------------------


def period_of(frequency: str, day: date) -> tuple[str, date]:
    """The period containing ``day``: its key ("2026-03", "2026-Q2", "2026-H1", "2026") and first day."""
    y, m = day.year, day.month
    if frequency == "monthly":
        return f"{y}-{m:02d}", date(y, m, 1)
    if frequency == "quarterly":
        q = (m - 1) // 3 + 1
        return f"{y}-Q{q}", date(y, 3 * q - 2, 1)
    if frequency == "halfyearly":
        h = 1 if m <= 6 else 2
        return f"{y}-H{h}", date(y, 6 * h - 5, 1)
    if frequency == "yearly":
        return f"{y}", date(y, 1, 1)
    raise ValueError(f"unknown frequency {frequency!r}")


def period_label(key: str) -> str:
    """Chinese name of a period key: 2026年3月, 2026年第二季度, 2026年上半年, 2026年度."""
    if "-Q" in key:
        y, q = key.split("-Q")
        return f"{y}年第{dict(zip('1234', '一二三四')).get(q, q)}季度"
    if "-H" in key:
        y, h = key.split("-H")
        return f"{y}年{'上' if h == '1' else '下'}半年"
    if "-" in key:
        y, m = key.split("-")
        return f"{y}年{int(m)}月"
    return f"{key}年度"


def _next_period_start(frequency: str, start: date) -> date:
    months = start.year * 12 + start.month - 1 + PERIOD_MONTHS[frequency]
    return date(months // 12, months % 12 + 1, 1)


def due_periods(duty: Duty, today: date) -> list[tuple[str, date]]:
    """(period key, formation date) of every period of ``duty`` whose information has formed by
    ``today`` and not before the duty's start date (the due rule of a periodic duty)."""
    offset = timedelta(days=duty.formation_offset_days or 0)
    _, start = period_of(duty.frequency, duty.start_date - offset)
    found = []
    while start + offset <= today:
        formed = start + offset
        if formed >= duty.start_date:
            found.append((period_of(duty.frequency, start)[0], formed))
        start = _next_period_start(duty.frequency, start)
    return found


def periodic_title(duty: Duty, key: str) -> str:
    prefix = "复核更新：" if duty.cadence == "standing" else ""
    return f"{prefix}{duty.title}（{period_label(key)}）"[:300]


# --- the clauses: open, overdue, late, on time ------------------------------------------------------


def overdue_clause(today: date):
    """Past the deadline and not (properly) published: OPEN_STATES include 核验未通过."""
    return and_(Task.state.in_(OPEN_STATES), Task.due_date < today)


def due_soon_clause(today: date, cutoff: date):
    return and_(Task.state.in_(OPEN_STATES), Task.due_date >= today, Task.due_date <= cutoff)


def late_clause():
    """Published (the record stands) after the deadline (R1, Art. 26)."""
    return and_(Task.state.in_(DONE_STATES), Task.published_on > Task.due_date)


def on_time_clause():
    return and_(Task.state.in_(DONE_STATES), Task.published_on <= Task.due_date)


def verification_failed_clause():
    """Tasks whose verification the office failed at least once (核验未通过); how many times is
    ``Task.verify_failures`` (sum it for a count of failures, e.g. for scores and bulletins)."""
    return Task.verify_failures > 0


# The groups of the task list in urgency order (services.urgency_order ranks the rows in SQL the
# same way; ``urgency_rank`` names a shown row's group so the list can say why it comes where it does).
URGENCY_GROUPS = {
    0: "已逾期",
    1: "即将到期（5个工作日内）",
    2: "退回修改、核验未通过或待发布",
    3: "待签收",
    4: "办理中（已签收、待审核）",
    5: "已办结（已发布、已核验、已撤销）",
}


def urgency_rank(task: Task, today: date, cutoff: date) -> int:
    """The task's group in urgency order: overdue, due soon, sent back or approved and waiting to
    go out, not acknowledged, other open work, finished (the order of services.urgency_order)."""
    if task.is_overdue(today):
        return 0
    if task.is_due_soon(today, cutoff):
        return 1
    if task.state in ("returned", "rework", "approved"):
        return 2
    if task.state == "pending_ack":
        return 3
    return 4 if task.is_open else 5
