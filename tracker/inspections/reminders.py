"""Notifications for rectification items: the order itself, a returned answer, and the same
deadline reminders and escalation as tasks (the office's reminder rules, in working days)."""
from datetime import date

from sqlalchemy import func, select

from ..extensions import db
from ..notify.reminders import (
    Message,
    deadline_reminders,
    recipients_by_unit,
    register_reminder_source,
    register_summary_source,
    register_unit_summary_source,
)
from ..notify.services import notify
from ..sweeps import isolated_rows, register_record_type
from .models import AWAITING_UNIT_STATES, Rectification

# An item whose reminders cannot be worked out is named on the 系统运行状况 page with its page.
register_record_type("rectification", "整改事项", "inspections.rectification", "rectification_id")


def _link(item: Rectification) -> str:
    return f"/rectifications/{item.id}"


def _unit_staff(unit_id: int):
    people = recipients_by_unit([unit_id])[unit_id]
    return people.contacts + people.reviewers


def rectification_issued(item: Rectification) -> None:
    """Tell the unit's contacts and reviewers of a new item, in the transaction that ordered it."""
    due = f"{item.due_date:%Y-%m-%d}{'（暂定）' if item.due_provisional else ''}"
    message = Message(f"【整改通知】{item.title}", (
        f"公开办向本单位下达整改要求（来源：{item.source_label}）：", item.requirement,
        f"请于 {due} 前（{item.period_days}个工作日内）整改到位，并在平台报送整改情况和佐证材料。"), _link(item))
    for user in _unit_staff(item.unit_id):
        notify(user, message, key=f"rectification:{item.id}:issued:{user.id}", kind="rectification_due")


def rectification_returned(item: Rectification, reason: str) -> None:
    """Tell the unit's contacts that the office returned their answer, and why."""
    people = recipients_by_unit([item.unit_id])[item.unit_id]
    message = Message(f"【整改退回】{item.title}", (
        "公开办未通过本单位报送的整改情况，请按意见重新整改并报送：", reason,
        f"整改期限：{item.due_date:%Y-%m-%d}。"), _link(item))
    for user in people.contacts:
        notify(user, message, kind="rectification_due")


@register_reminder_source
def rectification_reminders(today: date, settings: dict):
    """Before, on and after an item's deadline, escalated to the reviewer and the office after the
    configured working days — exactly the task rules (deadline_reminders). Only items the unit
    still owes an answer on are reminded; an answer awaiting acceptance is the office's turn."""
    items = db.session.scalars(select(Rectification).where(Rectification.state.in_(AWAITING_UNIT_STATES),
                                                           Rectification.due_date.is_not(None))).all()
    if not items:
        return  # a steady sweep with nothing to remind costs one statement here
    people = recipients_by_unit({i.unit_id for i in items})

    def one(item):  # each item in isolation: one that cannot be reminded is reported, the others go on
        return deadline_reminders(f"rectification:{item.id}", item.due_date, today, settings, people[item.unit_id],
                                  f"整改事项“{item.title}”", _link(item), name=f"整改：{item.title}")

    yield from isolated_rows(items, "rectification", lambda i: i.title, one)


@register_summary_source
def rectification_summary(today: date) -> list[str]:
    """For the office's daily summary: items overdue, and answers waiting for acceptance."""
    overdue, waiting = db.session.execute(select(
        func.count().filter(Rectification.state.in_(AWAITING_UNIT_STATES), Rectification.due_date < today),
        func.count().filter(Rectification.state == "submitted"))).one()
    return [f"{label}：{n} 项" for label, n in (("整改事项逾期未报送", overdue), ("整改情况待验收", waiting)) if n]


@register_unit_summary_source
def unit_rectification_summary(today: date) -> dict[int, list[str]]:
    """Each unit's open items for its contacts' weekly digest."""
    rows = db.session.execute(select(
        Rectification.unit_id, func.count().filter(Rectification.due_date < today), func.count())
        .where(Rectification.state.in_(AWAITING_UNIT_STATES)).group_by(Rectification.unit_id)).all()
    out = {}
    for unit_id, overdue, open_ in rows:
        out[unit_id] = [line for line, n in ((f"整改事项已逾期：{overdue} 项", overdue),
                                             (f"整改事项待报送：{open_} 项", open_)) if n]
    return out
