"""Reminder sweeps: each feature registers a source that, for a day, yields the reminders due.

A reminder's key names the record, the rule, the deadline and the recipient, so it is queued at
most once; a sweep can run any number of times, in any number of processes. Sources look at the
state of the records on the day of the sweep, so a sweep after downtime catches up by itself: what
is due now is sent now (for the "N working days before" rule, only the most urgent threshold that
has been reached, not every threshold missed).

The sweep works in sets, so that the steady daily sweep stays within 3 s on a city of 200 units:
the sources' reminders are computed row by row in isolation (``sweeps.isolated_rows``: one record
with an impossible date is skipped and reported, the rest go on), the keys already used are read in
a few large ``IN`` queries, and only what is new is rendered and inserted, several hundred rows per
``INSERT … ON CONFLICT DO NOTHING``; a set that fails is retried one reminder at a time so that
only the bad one is skipped. A steady run with nothing new costs a handful of statements, not one
per reminder.

Reminders to office staff are not sent one by one: each office user gets one grouped message per
sweep listing the units and records ("民政局 · 城乡低保金发放情况（2026年8月） 已逾期3个工作日"),
and each listed item is remembered by its own key (``GroupedReminder``) so it is reported once.
"""
import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from .. import sweeps
from ..accounts.models import User
from ..extensions import db
from ..timeutil import utcnow
from .routing import add
from .services import (
    Message,
    channel_rows,
    insert_new,
    notification_values,
    notify,
    queue_mail,
    reminder_settings,
)


@dataclass(frozen=True)
class Reminder:
    key: str
    user: User
    message: Message
    escalation: bool = False
    # One line naming the unit and the record ("民政局 · 标题 已逾期3个工作日"), for the office's
    # grouped message; the message title is used when a source gives none.
    item: str | None = None
    # The record it is about, e.g. ("task", 12): a reminder that cannot be queued is reported
    # against it on the system health page.
    record: tuple[str, int] | None = None
    # The kind of message (routing.KINDS): which channel the user chose for it.
    kind: str = "other"


_sources: list[Callable[[date, dict], Iterable[Reminder]]] = []
_summaries: list[Callable[[date], list[str]]] = []
_unit_summaries: list[Callable[[date], dict[int, list[str]]]] = []

SET_SIZE = 500          # rows per INSERT
LOOKUP_SIZE = 5000      # keys per "which of these exist" query
GROUP_LINES = 100       # items listed per heading in a grouped message; the rest are counted


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
    """Queue every reminder due on ``today``; returns how many were new (a grouped office
    message counts each item it lists)."""
    settings = reminder_settings()
    found: list[Reminder] = []
    for source in _sources:
        name = f"{source.__module__}.{source.__name__}"
        with sweeps.isolated("reminder_source", name, name, savepoint=False):
            for reminder in source(today, settings):
                found.append(reminder)
    found = [r for r in found if r.user.active]
    singles = [r for r in found if r.user.role != "office"]
    grouped = [r for r in found if r.user.role == "office"]
    return _queue_singles(singles) + _queue_grouped(grouped, today)


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _new_only(model, reminders: list[Reminder]) -> list[Reminder]:
    """The reminders whose key ``model`` does not hold yet (first of each key), in a few queries,
    ordered by key: two sweeps at once insert in the same order, so neither waits on the other
    in a cycle (PostgreSQL would report a deadlock)."""
    by_key: dict[str, Reminder] = {}
    for r in reminders:
        by_key.setdefault(r.key, r)
    known = _existing_keys(model, list(by_key))
    return [by_key[k] for k in sorted(by_key) if k not in known]


def _record_of(r: Reminder) -> tuple[str, object, str]:
    kind, record_id = r.record or ("reminder", r.key)
    return kind, record_id, f"{r.message.title} → {r.user.display_name}"


def _queue_singles(reminders: list[Reminder]) -> int:
    from .models import Notification

    rows = []
    for r in _new_only(Notification, reminders):
        with sweeps.isolated(*_record_of(r), savepoint=False):  # rendering the mail may fail for one
            extra = channel_rows(r.user, r.message, key=r.key, kind=r.kind, escalation=r.escalation)
            rows.append((r, notification_values(r.user, r.message, key=r.key, escalation=r.escalation, kind=r.kind),
                         extra))
    queued = 0
    for chunk in _chunks(rows, SET_SIZE):
        try:
            with sweeps.savepoint():
                queued += _insert_singles(chunk)
        except Exception:  # noqa: BLE001 - one bad row in the set: insert one by one, skip only it
            for row in chunk:
                with sweeps.isolated(*_record_of(row[0])):
                    queued += _insert_singles([row])
    return queued


def _insert_singles(rows) -> int:
    """The bell rows in one statement, then the mails of those that were new (another sweep
    running at once may have inserted some: their mails are its)."""
    from .models import Notification

    new = set(insert_new(Notification, [note for _, note, _ in rows]).scalars())
    add([row for _, note, extra in rows if note["key"] in new for row in extra])
    return len(new)


def _heading(r: Reminder) -> str:
    match = re.match(r"【(.+?)】", r.message.title)
    return match.group(1) if match else "提醒"


def _item(r: Reminder) -> str:
    return r.item or re.sub(r"^【.+?】", "", r.message.title)


def grouped_message(reminders: list[Reminder], today: date) -> Message:
    """One message listing several reminders under their headings (逾期报告, 即将到期 ...)."""
    if len(reminders) == 1:
        r = reminders[0]
        return Message(f"【{_heading(r)}】{_item(r)}", r.message.lines, r.message.link)
    sections: dict[str, list[str]] = defaultdict(list)
    for r in reminders:
        sections[_heading(r)].append(_item(r))
    summary = "、".join(f"{h} {len(items)} 项" for h, items in sections.items())
    lines = [f"截至 {today:%Y-%m-%d}，以下 {len(reminders)} 项需要关注："]
    for heading, items in sections.items():
        lines.append(f"{heading}（{len(items)} 项）：")
        lines += [f"· {item}" for item in sorted(items)[:GROUP_LINES]]
        if len(items) > GROUP_LINES:
            lines.append(f"……另有 {len(items) - GROUP_LINES} 项，请在“公开督查”和“依申请公开”页面查看。")
    links = {r.message.link for r in reminders}
    return Message(f"【政务公开提醒】{summary}", tuple(lines), links.pop() if len(links) == 1 else "/dashboard")


def _queue_grouped(reminders: list[Reminder], today: date) -> int:
    """One message per office user for everything new this sweep. The items are claimed by key
    (``INSERT … ON CONFLICT DO NOTHING RETURNING``), so two sweeps at once report each item once."""
    from .models import GroupedReminder

    by_user: dict[int, list[Reminder]] = defaultdict(list)
    for r in _new_only(GroupedReminder, reminders):
        by_user[r.user.id].append(r)
    reported, now = 0, utcnow()
    for items in by_user.values():
        user = items[0].user
        with sweeps.isolated("user", user.id, f"{user.display_name}（汇总提醒）"):
            won: set[str] = set()
            for chunk in _chunks(items, SET_SIZE):
                rows = [dict(key=r.key, user_id=user.id, created_at=now) for r in chunk]
                won.update(insert_new(GroupedReminder, rows).scalars())
            mine = [r for r in items if r.key in won]
            if mine:
                digest = hashlib.sha1("\n".join(sorted(won)).encode()).hexdigest()[:12]
                notify(user, grouped_message(mine, today), key=f"group:{user.id}:{today}:{digest}",
                       escalation=any(r.escalation for r in mine))
                reported += len(mine)
    return reported


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
    """The weekly digest (每周工作提示): once a week, on working days from the digest weekday on (so
    a scheduler that was down on that day still sends it later in the week, once; a week spent on
    holiday has none — nobody is reminded on a day off).

    Every active contact gets their unit's open work as the registered unit-summary sources report
    it; users who chose the digest also get the reminders held back for it. Nobody gets an empty mail.
    """
    from ..workcal.services import get_calendar
    from .models import Notification, OutboxMail

    settings = reminder_settings()
    if today.weekday() < settings["digest_weekday"] or not get_calendar().is_workday(today):
        return 0
    week = today.isocalendar()
    pending = db.session.scalars(select(Notification).where(Notification.digest_pending.is_(True))
                                 .order_by(Notification.user_id, Notification.created_at)).all()
    held: dict[int, list[Notification]] = {}
    for n in pending:
        held.setdefault(n.user_id, []).append(n)
    by_unit: dict[int, list[str]] = {}
    for source in _unit_summaries:
        for unit_id, lines in _from_source(source, today, {}).items():
            by_unit.setdefault(unit_id, []).extend(lines)
    recipients = db.session.scalars(select(User).where(User.active.is_(True), User.email.is_not(None), (
        User.role == "contact") | (User.id.in_(list(held))))).all()
    keys = {user.id: f"digest:{user.id}:{week.year}-{week.week}" for user in recipients}
    done = _existing_keys(OutboxMail, list(keys.values()))
    sent = 0
    for user in recipients:
        if keys[user.id] in done:
            continue  # this week's digest went out already: what was held since waits for next week's
        if not held.get(user.id) and not (user.role == "contact" and by_unit.get(user.unit_id)):
            continue  # nobody gets an empty mail
        with sweeps.isolated("user", user.id, f"{user.display_name}（每周工作提示）"):
            sent += _send_digest(user, held.get(user.id, []), by_unit, today, week)
    return sent


def _from_source(source, today: date, empty):
    """What one summary source reports; a source that fails is recorded and reports nothing."""
    name = f"{source.__module__}.{source.__name__}"
    found = empty
    with sweeps.isolated("reminder_source", name, name, savepoint=False):
        found = source(today)
    return found


def _existing_keys(model, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(sorted(keys), LOOKUP_SIZE):
        found.update(db.session.scalars(select(model.key).where(model.key.in_(chunk))))
    return found


def _send_digest(user: User, items: list, by_unit: dict[int, list[str]], today: date, week) -> int:
    lines = [f"· {line}" for line in by_unit.get(user.unit_id, [])] if user.role == "contact" else []
    if items:
        lines += [f"本周暂存的 {len(items)} 条提醒："] + [f"· {n.title}" for n in items]
    sent = 0
    if lines and user.email:
        message = Message(f"政务公开每周工作提示（{week.year}年第{week.week}周）",
                          (f"截至 {today:%Y-%m-%d}：", *lines), "/dashboard")
        if not queue_mail(user.email, message, user=user, key=f"digest:{user.id}:{week.year}-{week.week}"):
            return 0  # this week's digest went out already: what was held since waits for next week's
        sent = 1
    for n in items:
        n.digest_pending = False
    return sent


def send_office_summary(today: date) -> int:
    """Daily summary for office staff on working days: what the registered sources report."""
    from ..workcal.services import get_calendar

    if not get_calendar().is_workday(today):
        return 0
    from .models import Notification

    lines = [line for source in _summaries for line in _from_source(source, today, [])]
    if not lines:
        return 0
    message = Message(f"政务公开每日监督摘要（{today:%Y-%m-%d}）", tuple(lines), "/dashboard")
    office = db.session.scalars(select(User).where(User.role == "office", User.active.is_(True))).all()
    done = _existing_keys(Notification, [f"summary:{u.id}:{today.isoformat()}" for u in office])
    sent = 0
    for u in office:
        if f"summary:{u.id}:{today.isoformat()}" in done:
            continue  # today's went out already
        with sweeps.isolated("user", u.id, f"{u.display_name}（每日监督摘要）"):
            sent += notify(u, message, key=f"summary:{u.id}:{today.isoformat()}")
    return sent


# --- building blocks the features' reminder sources share --------------------------------------

@dataclass
class Recipients:
    contacts: list[User]
    reviewers: list[User]
    office: list[User]
    unit_name: str = "公开办"   # names the unit in the office's grouped messages


def recipients_by_unit(unit_ids) -> dict[int | None, Recipients]:
    """Active contacts and reviewers of each unit, and the office staff, in two queries (and
    the units' names in a third).

    ``None`` maps to the office alone (e.g. an application sent back to the office)."""
    from ..units.models import Unit

    ids = set(unit_ids) - {None}
    staff = db.session.scalars(select(User).where(User.active.is_(True), (
        User.unit_id.in_(ids) & User.role.in_(("contact", "reviewer"))) | (User.role == "office"))
        .order_by(User.id)).all()
    names = dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all()) if ids else {}
    office = [u for u in staff if u.role == "office"]
    result = {None: Recipients([], [], office, "待分办")}
    for unit_id in ids:
        result[unit_id] = Recipients([u for u in staff if u.unit_id == unit_id and u.role == "contact"],
                                     [u for u in staff if u.unit_id == unit_id and u.role == "reviewer"], office,
                                     names.get(unit_id, "未知单位"))
    return result


def deadline_reminders(key: str, due: date, today: date, settings: dict, people: Recipients,
                       what: str, link: str, name: str | None = None) -> Iterable[Reminder]:
    """Reminders for one open record with a deadline: before it, on the day, after it, escalated.

    Before and on the day: the unit's contacts (the office when the unit has none). Overdue: the
    contacts every ``overdue_every`` working days; the unit's reviewers once it is
    ``escalate_reviewer_after`` working days late; the office once ``escalate_office_after`` days late.
    ``key`` names the record (e.g. ``task:12``); the rule, deadline and recipient are appended.
    ``name`` is the record's short name for the office's grouped lines ("民政局 · {name} 已逾期3个工作日").
    """
    from ..workcal.services import get_calendar, workdays_between

    handlers = people.contacts or people.office
    due_text = f"{due:%Y-%m-%d}"
    kind, _, record_id = key.partition(":")
    record = (kind, int(record_id)) if record_id.isdigit() else None
    soon_kind, late_kind = ("rectification_due",) * 2 if kind == "rectification" else ("due_soon", "overdue")
    named = f"{people.unit_name} · {name or what}"
    if due > today:
        left = workdays_between(today, due).count
        if left == 0:
            # A fixed legal date on a non-working day (January 31 a Sunday): the last working day
            # before it is the day to finish; the day itself stays quiet.
            if settings["on_day"] and get_calendar().is_workday(today):
                message = Message(f"【今日到期】{what}", (
                    f"{what}的期限 {due_text} 是非工作日，今天是期限前最后一个工作日。", "请在今天内办结。"), link)
                for u in handlers:
                    yield Reminder(f"{key}:due:{due}:{u.id}", u, message, item=f"{named} 今日到期（期限 {due_text} 为非工作日）",
                                   record=record, kind=soon_kind)
            return
        threshold = before_threshold(left, settings["before_days"])
        if threshold is not None:
            message = Message(f"【即将到期】{what}", (f"{what}将于 {due_text} 到期，还剩 {left} 个工作日。", "请及时办理。"), link)
            for u in handlers:
                yield Reminder(f"{key}:before{threshold}:{due}:{u.id}", u, message,
                               item=f"{named} 还剩{left}个工作日到期（{due_text}）", record=record, kind=soon_kind)
        return
    if due == today:
        if settings["on_day"] and get_calendar().is_workday(today):  # else told on the working day before
            message = Message(f"【今日到期】{what}", (f"{what}今天（{due_text}）到期。", "请在今天内办结。"), link)
            for u in handlers:
                yield Reminder(f"{key}:due:{due}:{u.id}", u, message, item=f"{named} 今日到期", record=record,
                               kind=soon_kind)
        return
    over = workdays_between(due, today).count
    step = overdue_step(over, settings["overdue_every"])
    if step is None:
        return  # past the date only by non-working days
    late_item = f"{named} 已逾期{over}个工作日（期限 {due_text}）"
    late = Message(f"【已逾期】{what}", (f"{what}已于 {due_text} 到期，已逾期 {over} 个工作日。", "请立即办理。"), link)
    for u in handlers:
        yield Reminder(f"{key}:overdue{step}:{due}:{u.id}", u, late, escalation=True, item=late_item, record=record,
                       kind=late_kind)
    if over >= settings["escalate_reviewer_after"]:
        for u in people.reviewers:
            yield Reminder(f"{key}:esc-reviewer:{due}:{u.id}", u, Message(
                f"【逾期督办】{what}", (f"本单位的{what}已逾期 {over} 个工作日（期限 {due_text}），请督促办理。",), link),
                escalation=True, record=record, kind=late_kind)
    if over >= settings["escalate_office_after"] and people.contacts:  # (without contacts the office was told above)
        for u in people.office:
            yield Reminder(f"{key}:esc-office:{due}:{u.id}", u, Message(
                f"【逾期报告】{what}", (f"{what}已逾期 {over} 个工作日（期限 {due_text}），单位尚未办结。",), link),
                escalation=True, item=late_item, record=record, kind=late_kind)
