"""Notifications for proactive-disclosure tasks: the new-task mail with an acknowledge link, each
hand-off of the review order (draft to the reviewer, the decision back to the contact, a failed
verification back to the unit), deadline reminders with escalation, unacknowledged tasks and
approvals waiting too long."""
from datetime import date

from sqlalchemy import func, select

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
from ..notify.tokens import issue_token
from ..sweeps import isolated_rows
from ..timeutil import CHINA, to_china
from ..workcal.services import workdays_between
from .models import OPEN_STATES, Task, TaskEvent


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
            "请及时签收：打开任务即可签收；邮件中的签收链接仅限本人使用一次，14天内有效。"), f"/a/{token}",
            shared_link=f"/disclosure/tasks/{task.id}"),
            key=f"task:{task.id}:new:{user.id}", kind="new_task")


def _tell(task: Task, event: TaskEvent, users, title: str, lines: tuple[str, ...], immediate: bool = False) -> None:
    """One bell notification (and mail) per recipient for one transition: keyed by the event, so
    the same hand-off is never told twice."""
    message = Message(title, lines, f"/disclosure/tasks/{task.id}")
    for user in users:
        notify(user, message, key=f"task:{task.id}:event{event.id}:{user.id}", immediate=immediate)


def draft_submitted(task: Task, event: TaskEvent) -> None:
    """The draft went to review: the unit's reviewers are told (先审查、后公开)."""
    people = recipients_by_unit([task.unit_id])[task.unit_id]
    _tell(task, event, people.reviewers, f"【送审】{task.title}", (
        f"联络员{event.actor_label}提交了公开任务“{task.title}”的送审稿，请审核（含保密审查）。",
        f"公开期限 {task.due_date:%Y-%m-%d}。"))


def draft_decided(task: Task, event: TaskEvent) -> None:
    """The reviewer approved or returned the draft: the unit's contacts are told, with the comment."""
    people = recipients_by_unit([task.unit_id])[task.unit_id]
    if event.to_state == "approved":
        title, first = f"【审核通过】{task.title}", "审核人已审核通过送审稿，请发布并登记发布日期、渠道和网址。"
    else:
        title, first = f"【退回修改】{task.title}", "审核人退回了送审稿，请修改后重新提交审核。"
    _tell(task, event, people.contacts, title, (first, f"审核意见：{event.reason}",
                                                f"公开期限 {task.due_date:%Y-%m-%d}。"))


def verification_failed(task: Task, event: TaskEvent) -> None:
    """The office failed the verification: the unit's contacts and reviewers are told at once
    (a correction order, not held for the weekly digest)."""
    people = recipients_by_unit([task.unit_id])[task.unit_id]
    _tell(task, event, people.contacts + people.reviewers, f"【核验未通过】{task.title}", (
        f"公开办核验公开任务“{task.title}”未通过（第{task.verify_failures}次）：{event.reason}",
        "请整改后重新登记发布信息，公开办将再次核验。"), immediate=True)


@register_reminder_source
def task_reminders(today: date, settings: dict):
    tasks = db.session.scalars(select(Task).where(Task.state.in_(OPEN_STATES), Task.due_date.is_not(None))).all()
    people = recipients_by_unit({t.unit_id for t in tasks})
    review_since = _review_since([t.id for t in tasks if t.state == "in_review"])

    def one(t):  # each task in isolation: one with an impossible date is reported, the others go on
        link = f"/disclosure/tasks/{t.id}"
        if t.state != "in_review":  # in review: the contact has done their part; the reviewer is reminded
            # (approved: the contact must still publish; 核验未通过: the contact must correct)
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
                                   item=f"{people[t.unit_id].unit_name} · {t.title} 已下达{waited}个工作日未签收",
                                   kind="new_task")
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
    """For the office's daily summary: tasks overdue, not acknowledged, published and waiting for
    the office's verification, and sent back after a failed verification, city-wide."""
    counts = db.session.execute(select(
        func.count().filter(Task.state.in_(OPEN_STATES), Task.due_date < today),
        func.count().filter(Task.state == "pending_ack"),
        func.count().filter(Task.state == "published"),
        func.count().filter(Task.state == "rework"),
    )).one()
    labels = ("主动公开任务逾期未公开", "主动公开任务未签收", "已发布待核验", "核验未通过待整改")
    return [f"{label}：{n} 项" for label, n in zip(labels, counts) if n]


@register_unit_summary_source
def unit_task_summary(today: date) -> dict[int, list[str]]:
    """Each unit's open tasks for its contacts' weekly digest: overdue, due within 5 working days,
    not acknowledged, awaiting review, returned, approved but not yet published, failed verification."""
    from ..workcal.services import add_workdays

    soon = add_workdays(today, 5).day
    rows = db.session.execute(select(
        Task.unit_id,
        func.count().filter(Task.due_date < today),
        func.count().filter(Task.due_date >= today, Task.due_date <= soon),
        func.count().filter(Task.state == "pending_ack"),
        func.count().filter(Task.state == "in_review"),
        func.count().filter(Task.state == "returned"),
        func.count().filter(Task.state == "approved"),
        func.count().filter(Task.state == "rework"),
    ).where(Task.state.in_(OPEN_STATES)).group_by(Task.unit_id)).all()
    labels = ("主动公开任务已逾期", "5个工作日内到期", "未签收", "待审核", "被退回待修改", "审核通过待发布",
              "核验未通过待整改")
    return {unit_id: [f"{label}：{n} 项" for label, n in zip(labels, counts) if n] for unit_id, *counts in rows}
