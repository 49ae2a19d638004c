"""Reminders for applications: the reply deadline (Art. 33) and paused periods running out."""
from datetime import date

from sqlalchemy import select

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
from ..sweeps import isolated_rows
from ..workcal.services import workdays_between
from .models import PAUSED_STATES, RUNNING_STATES, Application

PAUSE_LABELS = {"correction": "申请人补正期限", "consultation": "征求意见答复期限", "fee": "缴费期限"}


@register_reminder_source
def application_reminders(today: date, settings: dict):
    """Running clocks: before / on / after the reply deadline. Paused clocks: the pause's own
    deadline (correction, consultation answer, payment) within ``period_warning_days``."""
    apps = db.session.scalars(select(Application).where(
        ((Application.state.in_(RUNNING_STATES)) & Application.due_date.is_not(None))
        | ((Application.state.in_(PAUSED_STATES)) & Application.pause_due.is_not(None)))).all()
    people = recipients_by_unit({a.unit_id if a.state != "returned" else None for a in apps})

    def one(a):  # each application in isolation: one with an impossible date is reported, the others go on
        unit = a.unit_id if a.state != "returned" else None
        link = f"/applications/{a.id}"
        if a.state in RUNNING_STATES:
            yield from deadline_reminders(f"application:{a.id}", a.due_date, today, settings, people[unit],
                                          f"依申请公开申请 {a.tracking_code}（{a.title}）的答复", link,
                                          name=f"{a.tracking_code}（{a.title}）答复")
            return
        left = workdays_between(today, a.pause_due).count if a.pause_due > today else 0
        if left <= settings["period_warning_days"]:
            label = PAUSE_LABELS.get(a.state, "暂停期限")
            message = Message(f"【期限将满】{a.tracking_code} {label}", (
                f"依申请公开申请 {a.tracking_code}（{a.title}）的{label}为 {a.pause_due:%Y-%m-%d}，"
                f"还剩 {left} 个工作日。", "期满后请及时恢复计时或按规定处理。"), link)
            for u in people[unit].contacts or people[unit].office:
                yield Reminder(f"application:{a.id}:pause-{a.state}:{a.pause_due}:{u.id}", u, message,
                               record=("application", a.id), item=f"{people[unit].unit_name} · {a.tracking_code}"
                               f"（{a.title}）{label}{a.pause_due:%Y-%m-%d}届满，还剩{left}个工作日")

    yield from isolated_rows(apps, "application", lambda a: f"{a.tracking_code} {a.title}", one)


@register_summary_source
def application_summary(today: date) -> list[str]:
    """For the office's daily summary: online applications to confirm, sent back, overdue."""
    from sqlalchemy import func

    counts = db.session.execute(select(
        func.count().filter(Application.state == "pending"),
        func.count().filter(Application.state == "returned"),
        func.count().filter(Application.state.in_(RUNNING_STATES), Application.due_date < today),
    )).one()
    labels = ("网上申请待确认", "单位退回待重新分办", "依申请公开超期未答复")
    return [f"{label}：{n} 件" for label, n in zip(labels, counts) if n]


@register_unit_summary_source
def unit_application_summary(today: date) -> dict[int, list[str]]:
    """Each unit's open applications for its contacts' weekly digest."""
    from sqlalchemy import func

    from ..workcal.services import add_workdays

    soon = add_workdays(today, 5).day
    running = Application.state.in_(RUNNING_STATES)
    rows = db.session.execute(select(
        Application.unit_id,
        func.count().filter(running, Application.due_date < today),
        func.count().filter(running, Application.due_date >= today, Application.due_date <= soon),
        func.count().filter(running),
        func.count().filter(Application.state.in_(PAUSED_STATES)),
    ).where(Application.unit_id.is_not(None), Application.state.in_(RUNNING_STATES + PAUSED_STATES))
        .group_by(Application.unit_id)).all()
    labels = ("依申请公开超期未答复", "5个工作日内到期", "办理中", "暂停计时（补正、征求意见或缴费）")
    return {unit_id: [f"{label}：{n} 件" for label, n in zip(labels, counts) if n] for unit_id, *counts in rows}
