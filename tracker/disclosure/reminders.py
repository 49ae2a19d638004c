"""Notifications for proactive-disclosure tasks: the new-task mail with an acknowledge link,
deadline reminders with escalation, unacknowledged tasks and approvals waiting too long."""
from datetime import date

from sqlalchemy import func, select

from ..accounts.models import User
from ..extensions import db
from ..notify.reminders import (
    Message,
    Reminder,
    deadline_reminders,
    recipients_by_unit,
    register_reminder_source,
    register_summary_source,
    register_unit_summary_source,
)
from ..notify.services import notify
from ..notify.tokens import TokenAction, issue_token, register_token_action
from ..sweeps import isolated_rows
from ..timeutil import CHINA, to_china
from ..workcal.services import workdays_between
from .models import OPEN_STATES, Task, TaskEvent


def _describe(task_id: int) -> str:
    task = db.session.get(Task, task_id)
    return f"签收公开任务：{task.title}（期限 {task.due_date:%Y-%m-%d}）" if task else "任务不存在。"


def _acknowledge(task_id: int, user: User) -> str:
    from .services import acknowledge

    task = db.session.get(Task, task_id)
    if task is None:
        from ..errors import ServiceError
        raise ServiceError("任务不存在。")
    acknowledge(task, user)
    return f"/disclosure/tasks/{task.id}"


register_token_action("task.acknowledge", TokenAction("签收公开任务", _describe, _acknowledge))


def task_opened(task: Task) -> None:
    """Tell the unit's contacts about a new task, in the transaction that opened it; the mail's
    link acknowledges the task (single use, expiring, valid only for that contact)."""
    people = recipients_by_unit([task.unit_id])[task.unit_id]
    due = f"{task.due_date:%Y-%m-%d}{'（暂定）' if task.due_provisional else ''}"
    for user in people.contacts:
        token = issue_token("task.acknowledge", task.id, user)
        notify(user, Message(f"【新公开任务】{task.title}", (
            f"本单位有一项新的主动公开任务：{task.title}。",
            f"信息形成日期 {task.formed_date:%Y-%m-%d}，应于 {due} 前公开（{task.period_days}个工作日）。",
            "请点击下面的链接签收（链接仅限本人使用一次，14天内有效）。"), f"/a/{token}"),
            key=f"task:{task.id}:new:{user.id}")


@register_reminder_source
def task_reminders(today: date, settings: dict):
    tasks = db.session.scalars(select(Task).where(Task.state.in_(OPEN_STATES), Task.due_date.is_not(None))).all()
    people = recipients_by_unit({t.unit_id for t in tasks})
    review_since = _review_since([t.id for t in tasks if t.state == "in_review"])

    def one(t):  # each task in isolation: one with an impossible date is reported, the others go on
        link = f"/disclosure/tasks/{t.id}"
        if t.state != "in_review":  # in review: the contact has done their part; the reviewer is reminded
            yield from deadline_reminders(f"task:{t.id}", t.due_date, today, settings, people[t.unit_id],
                                          f"公开任务“{t.title}”", link, name=t.title)
        if t.state == "pending_ack":
            opened = t.created_at.astimezone(CHINA).date()
            waited = workdays_between(opened, today).count
            if waited >= settings["unack_after"]:
                message = Message(f"【未签收】{t.title}", (
                    f"公开任务“{t.title}”已下达 {waited} 个工作日，尚未签收。", "请尽快签收并按期公开。"), link)
                for u in people[t.unit_id].contacts or people[t.unit_id].office:
                    yield Reminder(f"task:{t.id}:unack:{u.id}", u, message, record=("task", t.id),
                                   item=f"{people[t.unit_id].unit_name} · {t.title} 已下达{waited}个工作日未签收")
        if t.state == "in_review" and t.id in review_since:
            since = review_since[t.id]
            waited = workdays_between(since, today).count
            if waited >= settings["approval_after"]:
                message = Message(f"【待审核】{t.title}", (
                    f"公开任务“{t.title}”已提交审核 {waited} 个工作日（期限 {t.due_date:%Y-%m-%d}）。",
                    "请及时审核（先审查、后公开）。"), link)
                for u in people[t.unit_id].reviewers:
                    yield Reminder(f"task:{t.id}:approval:{since}:{u.id}", u, message)

    yield from isolated_rows(tasks, "task", lambda t: t.title, one)


def _review_since(task_ids: list[int]) -> dict[int, date]:
    """The day each task last went into review (China date)."""
    if not task_ids:
        return {}
    rows = db.session.execute(select(TaskEvent.task_id, func.max(TaskEvent.at)).where(
        TaskEvent.task_id.in_(task_ids), TaskEvent.to_state == "in_review").group_by(TaskEvent.task_id)).all()
    return {task_id: to_china(at).date() for task_id, at in rows}


@register_summary_source
def task_summary(today: date) -> list[str]:
    """For the office's daily summary: tasks overdue and not acknowledged, city-wide."""
    counts = db.session.execute(select(
        func.count().filter(Task.state.in_(OPEN_STATES), Task.due_date < today),
        func.count().filter(Task.state == "pending_ack"),
    )).one()
    labels = ("主动公开任务逾期未公开", "主动公开任务未签收")
    return [f"{label}：{n} 项" for label, n in zip(labels, counts) if n]


@register_unit_summary_source
def unit_task_summary(today: date) -> dict[int, list[str]]:
    """Each unit's open tasks for its contacts' weekly digest: overdue, due within 5 working days,
    not acknowledged, awaiting review, sent back."""
    from ..workcal.services import add_workdays

    soon = add_workdays(today, 5).day
    rows = db.session.execute(select(
        Task.unit_id,
        func.count().filter(Task.due_date < today),
        func.count().filter(Task.due_date >= today, Task.due_date <= soon),
        func.count().filter(Task.state == "pending_ack"),
        func.count().filter(Task.state == "in_review"),
        func.count().filter(Task.state == "returned"),
    ).where(Task.state.in_(OPEN_STATES)).group_by(Task.unit_id)).all()
    labels = ("主动公开任务已逾期", "5个工作日内到期", "未签收", "待审核", "被退回待修改")
    return {unit_id: [f"{label}：{n} 项" for label, n in zip(labels, counts) if n] for unit_id, *counts in rows}
