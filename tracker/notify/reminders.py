"""Reminder sweeps: each feature registers a source that, for a day, yields the reminders due.

A reminder's key names the record, the rule, the deadline and the recipient, so it is queued at
most once; a sweep can run any number of times, in any number of processes. Sources look at the
state of the records on the day of the sweep, so a sweep after downtime catches up by itself: what
is due now is sent now (for the "N working days before" rule, only the most urgent threshold that
has been reached, not every threshold missed).
"""
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from ..accounts.models import User
from ..extensions import db
from .services import Message, notify, queue_mail, reminder_settings


@dataclass(frozen=True)
class Reminder:
    key: str
    user: User
    message: Message
    escalation: bool = False


_sources: list[Callable[[date, dict], Iterable[Reminder]]] = []
_summaries: list[Callable[[date], list[str]]] = []
_unit_summaries: list[Callable[[date], dict[int, list[str]]]] = []


def register_reminder_source(fn):
    if fn not in _sources:
        _sources.append(fn)
    return fn


def register_summary_source(fn):
    """``fn(today) -> lines`` for the office's daily summary."""
    if fn not in _summaries:
        _summaries.append(fn)
    return fn


def register_unit_summary_source(fn):
    """``fn(today) -> {unit_id: lines}`` for the weekly digest of each unit's contacts."""
    if fn not in _unit_summaries:
        _unit_summaries.append(fn)
    return fn


def sweep_reminders(today: date) -> int:
    """Queue every reminder due on ``today``; returns how many were new."""
    settings = reminder_settings()
    queued = 0
    for source in _sources:
        for r in source(today, settings):
            queued += notify(r.user, r.message, key=r.key, escalation=r.escalation)
    return queued


def before_threshold(working_days_left: int, thresholds: list[int]) -> int | None:
    """The most urgent 'N working days before' threshold reached: 3 days left with (5, 2) → 5."""
    reached = [t for t in thresholds if working_days_left <= t]
    return min(reached) if reached and working_days_left > 0 else None


def overdue_step(working_days_over: int, every: int) -> int | None:
    """Overdue reminders repeat every ``every`` working days: 1, 1+every, 1+2*every, ...

    Returns the step number reached (0 on the first working day overdue), None if not overdue.
    """
    if working_days_over <= 0:
        return None
    return (working_days_over - 1) // max(every, 1)


def send_digests(today: date) -> int:
    """The weekly digest (每周工作提示): once a week, from the digest weekday on (so a scheduler that
    was down on that day still sends it later in the week, once).

    Every active contact gets their unit's open work as the registered unit-summary sources report
    it; users who chose the digest also get the reminders held back for it. Nobody gets an empty mail.
    """
    from .models import Notification

    settings = reminder_settings()
    if today.weekday() < settings["digest_weekday"]:
        return 0
    week = today.isocalendar()
    pending = db.session.scalars(select(Notification).where(Notification.digest_pending.is_(True))
                                 .order_by(Notification.user_id, Notification.created_at)).all()
    held: dict[int, list[Notification]] = {}
    for n in pending:
        held.setdefault(n.user_id, []).append(n)
    by_unit: dict[int, list[str]] = {}
    for source in _unit_summaries:
        for unit_id, lines in source(today).items():
            by_unit.setdefault(unit_id, []).extend(lines)
    recipients = db.session.scalars(select(User).where(User.active.is_(True), (User.role == "contact") | (
        User.id.in_(list(held))))).all()
    sent = 0
    for user in recipients:
        items = held.get(user.id, [])
        lines = [f"· {line}" for line in by_unit.get(user.unit_id, [])] if user.role == "contact" else []
        if items:
            lines += [f"本周暂存的 {len(items)} 条提醒："] + [f"· {n.title}" for n in items]
        if lines and user.email:
            message = Message(f"政务公开每周工作提示（{week.year}年第{week.week}周）",
                              (f"截至 {today:%Y-%m-%d}：", *lines), "/dashboard")
            if not queue_mail(user.email, message, user=user, key=f"digest:{user.id}:{week.year}-{week.week}"):
                continue  # this week's digest went out already: what was held since waits for next week's
            sent += 1
        for n in items:
            n.digest_pending = False
    return sent


def send_office_summary(today: date) -> int:
    """Daily summary for office staff on working days: what the registered sources report."""
    from ..workcal.services import get_calendar

    if not get_calendar().is_workday(today):
        return 0
    lines = [line for source in _summaries for line in source(today)]
    if not lines:
        return 0
    message = Message(f"政务公开每日监督摘要（{today:%Y-%m-%d}）", tuple(lines), "/dashboard")
    office = db.session.scalars(select(User).where(User.role == "office", User.active.is_(True))).all()
    return sum(notify(u, message, key=f"summary:{u.id}:{today.isoformat()}") for u in office)


# --- building blocks the features' reminder sources share --------------------------------------

@dataclass
class Recipients:
    contacts: list[User]
    reviewers: list[User]
    office: list[User]


def recipients_by_unit(unit_ids) -> dict[int | None, Recipients]:
    """Active contacts and reviewers of each unit, and the office staff, in two queries.

    ``None`` maps to the office alone (e.g. an application sent back to the office)."""
    staff = db.session.scalars(select(User).where(User.active.is_(True), (
        User.unit_id.in_(set(unit_ids) - {None}) & User.role.in_(("contact", "reviewer"))) | (User.role == "office"))
        .order_by(User.id)).all()
    office = [u for u in staff if u.role == "office"]
    result = {None: Recipients([], [], office)}
    for unit_id in set(unit_ids) - {None}:
        result[unit_id] = Recipients([u for u in staff if u.unit_id == unit_id and u.role == "contact"],
                                     [u for u in staff if u.unit_id == unit_id and u.role == "reviewer"], office)
    return result


def deadline_reminders(key: str, due: date, today: date, settings: dict, people: Recipients,
                       what: str, link: str) -> Iterable[Reminder]:
    """Reminders for one open record with a deadline: before it, on the day, after it, escalated.

    Before and on the day: the unit's contacts (the office when the unit has none). Overdue: the
    contacts every ``overdue_every`` working days; the unit's reviewers once it is
    ``escalate_reviewer_after`` working days late; the office once ``escalate_office_after`` days late.
    ``key`` names the record (e.g. ``task:12``); the rule, deadline and recipient are appended.
    """
    from ..workcal.services import workdays_between

    handlers = people.contacts or people.office
    due_text = f"{due:%Y-%m-%d}"
    if due > today:
        left = workdays_between(today, due).count
        threshold = before_threshold(left, settings["before_days"])
        if threshold is not None:
            message = Message(f"【即将到期】{what}", (f"{what}将于 {due_text} 到期，还剩 {left} 个工作日。", "请及时办理。"), link)
            for u in handlers:
                yield Reminder(f"{key}:before{threshold}:{due}:{u.id}", u, message)
        return
    if due == today:
        if settings["on_day"]:
            message = Message(f"【今日到期】{what}", (f"{what}今天（{due_text}）到期。", "请在今天内办结。"), link)
            for u in handlers:
                yield Reminder(f"{key}:due:{due}:{u.id}", u, message)
        return
    over = workdays_between(due, today).count
    step = overdue_step(over, settings["overdue_every"])
    if step is None:
        return  # past the date only by non-working days
    late = Message(f"【已逾期】{what}", (f"{what}已于 {due_text} 到期，已逾期 {over} 个工作日。", "请立即办理。"), link)
    for u in handlers:
        yield Reminder(f"{key}:overdue{step}:{due}:{u.id}", u, late, escalation=True)
    if over >= settings["escalate_reviewer_after"]:
        for u in people.reviewers:
            yield Reminder(f"{key}:esc-reviewer:{due}:{u.id}", u, Message(
                f"【逾期督办】{what}", (f"本单位的{what}已逾期 {over} 个工作日（期限 {due_text}），请督促办理。",), link),
                escalation=True)
    if over >= settings["escalate_office_after"]:
        for u in people.office:
            yield Reminder(f"{key}:esc-office:{due}:{u.id}", u, Message(
                f"【逾期报告】{what}", (f"{what}已逾期 {over} 个工作日（期限 {due_text}），单位尚未办结。",), link),
                escalation=True)
