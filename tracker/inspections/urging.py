"""Formal urging (督办): the office presses an overdue or at-risk task, application or
rectification item of a unit. The unit's contacts and reviewers hear of it at once (bell and a
mail of its own, whatever their digest choice); it stays on the record's timeline, is counted per
unit and quarter, and is listed in the quarter's bulletin (domain.md §5: 督促整改)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..applications.models import RUNNING_STATES, Application
from ..audit.services import record
from ..disclosure.models import Task
from ..errors import ServiceError
from ..extensions import db
from ..notify.reminders import recipients_by_unit
from ..notify.services import Message, notify
from ..timeutil import to_china, utcnow
from .models import URGE_KINDS, Rectification, Urging

MAX_MESSAGE = 500
# A unit urged this often in one quarter is flagged on the supervision page.
REPEATED = 2


@dataclass(frozen=True)
class Target:
    """What 督办 needs to know of a record: whose it is, what it is called, when it is due, and
    whether it may be urged now (``refusal`` says why not, in Chinese)."""

    kind: str
    record_id: int
    unit_id: int | None
    label: str
    due_date: date | None
    overdue: bool
    refusal: str | None
    link: str


def _status(open_: bool, due: date | None, today: date, cutoff: date, closed_text: str):
    if not open_:
        return False, closed_text
    if due is None:
        return False, "没有期限，无需督办。"
    if due < today:
        return True, None
    if due <= cutoff:
        return False, None
    return False, f"期限为{due:%Y-%m-%d}，尚未临近（5个工作日内到期或已逾期的才能督办）。"


def _task(task: Task, today: date, cutoff: date) -> Target:
    overdue, refusal = _status(task.is_open, task.due_date, today, cutoff, "该任务已完成或已撤销，无需督办。")
    return Target("task", task.id, task.unit_id, task.title, task.due_date, overdue, refusal,
                  f"/disclosure/tasks/{task.id}")


def _application(app: Application, today: date, cutoff: date) -> Target:
    label = f"{app.tracking_code} {app.title}"
    if app.unit_id is None or app.state == "returned":  # with the office, not with a unit
        return Target("application", app.id, app.unit_id, label, app.due_date, False,
                      "该申请尚未分办到承办单位（或已退回公开办），不能督办单位。", f"/applications/{app.id}")
    if app.is_paused:
        return Target("application", app.id, app.unit_id, label, None, False,
                      f"该申请{app.state_label}（暂停计时），无需督办。", f"/applications/{app.id}")
    overdue, refusal = _status(app.state in RUNNING_STATES, app.due_date, today, cutoff, "该申请已办结，无需督办。")
    return Target("application", app.id, app.unit_id, label, app.due_date, overdue, refusal,
                  f"/applications/{app.id}")


def _rectification(item: Rectification, today: date, cutoff: date) -> Target:
    if item.state == "submitted":
        return Target("rectification", item.id, item.unit_id, item.title, item.due_date, False,
                      "单位已报送整改情况，待公开办验收，无需督办。", f"/rectifications/{item.id}")
    overdue, refusal = _status(item.awaits_unit, item.due_date, today, cutoff, "该整改事项已销号或已撤销，无需督办。")
    return Target("rectification", item.id, item.unit_id, item.title, item.due_date, overdue, refusal,
                  f"/rectifications/{item.id}")


_MODELS = {"task": (Task, _task), "application": (Application, _application),
           "rectification": (Rectification, _rectification)}


def target(kind: str, record_or_id, today: date, cutoff: date) -> Target | None:
    """The 督办 view of a record (a model instance or its id); None when there is no such record."""
    if kind not in _MODELS:
        return None
    model, build = _MODELS[kind]
    obj = record_or_id if isinstance(record_or_id, model) else db.session.get(model, record_or_id)
    return None if obj is None else build(obj, today, cutoff)


def urge(kind: str, record_id: int, actor, message: str, today: date) -> Urging:
    """督办: record the urging and tell the unit's contacts and reviewers at once.

    Only the office; only on an open record that is overdue or due within 5 working days; at most
    once per record and day (a repeated click changes nothing)."""
    from ..disclosure.services import due_soon_cutoff

    if actor is None or actor.role != "office":
        raise ServiceError("只有公开办可以督办。")
    found = target(kind, record_id, today, due_soon_cutoff(today))
    if found is None:
        raise ServiceError("要督办的记录不存在。")
    if found.refusal:
        raise ServiceError(found.refusal)
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE:
        raise ServiceError(f"督办意见不能超过{MAX_MESSAGE}个字符。", "message")
    earlier = db.session.scalar(select(Urging).where(Urging.record_type == kind, Urging.record_id == found.record_id,
                                                     Urging.urged_on == today))
    if earlier is not None:
        raise ServiceError(f"今天（{to_china(earlier.created_at):%H:%M}）已督办过该事项，请勿重复督办。")
    urging = Urging(record_type=kind, record_id=found.record_id, unit_id=found.unit_id, record_label=found.label[:300],
                    due_date=found.due_date, overdue=found.overdue, message=message or None, urged_on=today,
                    created_by_id=actor.id, created_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(urging)
            db.session.flush()
    except IntegrityError:  # the same record urged at the same moment in another request
        raise ServiceError("今天已督办过该事项，请勿重复督办。") from None
    record("urging.create", urging, after={"record": f"{URGE_KINDS[kind]}：{found.label}", "message": message},
           actor=actor)
    urging.recipients = _announce(urging, found)
    return urging


def _announce(urging: Urging, found: Target) -> int:
    people = recipients_by_unit([found.unit_id])[found.unit_id]
    when = f"已逾期（期限 {found.due_date:%Y-%m-%d}）" if found.overdue else f"即将到期（期限 {found.due_date:%Y-%m-%d}）"
    lines = [f"公开办对本单位的{URGE_KINDS[found.kind]}“{found.label}”进行督办：{when}。"]
    if urging.message:
        lines.append(f"督办意见：{urging.message}")
    lines.append("请立即办理，并将办理情况在平台上登记。督办情况将列入季度通报。")
    message = Message(f"【督办】{found.label}", tuple(lines), found.link)
    sent = 0
    for user in people.contacts + people.reviewers:
        sent += notify(user, message, key=f"urging:{urging.id}:{user.id}", escalation=True)
    return sent


def urgings_for(kind: str, record_id: int) -> list[Urging]:
    return db.session.scalars(select(Urging).where(Urging.record_type == kind, Urging.record_id == record_id)
                              .order_by(Urging.created_at.desc(), Urging.id.desc())).all()


def urgings_between(start: date, end: date, unit_id: int | None = None) -> list[Urging]:
    """督办 of the period, oldest first (for the bulletin and the supervision page)."""
    stmt = select(Urging).where(Urging.urged_on >= start, Urging.urged_on <= end)
    if unit_id is not None:
        stmt = stmt.where(Urging.unit_id == unit_id)
    return db.session.scalars(stmt.order_by(Urging.urged_on, Urging.id)).all()


def counts_by_unit(start: date, end: date) -> dict[int, int]:
    """Number of 督办 per unit in [start, end]. One GROUP BY query."""
    return dict(db.session.execute(select(Urging.unit_id, func.count()).where(
        Urging.urged_on >= start, Urging.urged_on <= end).group_by(Urging.unit_id)).all())
