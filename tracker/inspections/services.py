"""Rules of inspection and rectification (督查整改, domain.md §5).

The office records a check of one or many units and what it found; a finding may order a
rectification item with a deadline in working days (due on the N-th working day after issue,
the start day not counted, domain.md §4). The unit answers with what it did and evidence; the
office accepts (整改销号) or returns it with a reason. Only the transitions below write
``Rectification.state``; each writes a RectificationEvent and an audit event.

An item is *not done by its deadline* (scoring.md 督查整改: −2 each) when the answer the office
accepted was submitted after the deadline, or when it is still open after the deadline:
``missed_clause`` / ``missed_by_unit`` are the one definition, for the bulletin and the scores.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from .. import files
from ..access import scope
from ..audit.services import record, snapshot
from ..errors import ServiceError
from ..extensions import db
from ..timeutil import utcnow
from ..units.models import Unit
from ..workcal.services import add_workdays, register_deadline_source, set_deadline
from .models import (
    AWAITING_UNIT_STATES,
    INSPECTION_KINDS,
    RECTIFICATION_DONE_STATES,
    RECTIFICATION_OPEN_STATES,
    RECTIFICATION_STATES,
    Finding,
    Inspection,
    InspectionUnit,
    Rectification,
    RectificationEvent,
    RectificationEvidence,
    RectificationResponse,
)

DEFAULT_RECTIFICATION_DAYS = 10   # practice: "限期10个工作日内整改到位"
MAX_RECTIFICATION_DAYS = 120
MAX_TEXT = 4000
MAX_EVIDENCE_FILES = 10
EARLIEST = date(2000, 1, 1)


def _text(value, label: str, field: str, max_len: int = MAX_TEXT, required: bool = True) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise ServiceError(f"请填写{label}。", field)
        return None
    if len(value) > max_len:
        raise ServiceError(f"{label}不能超过{max_len}个字符。", field)
    return value


def _office(actor, verb: str) -> None:
    if actor is None or actor.role != "office":
        raise ServiceError(f"只有公开办可以{verb}。")


def _legal_day(day: date | None, label: str, field: str, today: date) -> date:
    if day is None:
        raise ServiceError(f"请填写{label}。", field)
    if day > today:
        raise ServiceError(f"{label}不能晚于今天。", field)
    if day < EARLIEST or day < today - timedelta(days=3 * 366):
        raise ServiceError(f"{label}不能早于三年前。", field)
    return day


def supervised_units(unit_ids) -> list[Unit]:
    """The active units (not the office itself) among ``unit_ids``."""
    ids = [int(i) for i in unit_ids or [] if str(i).isdigit() and int(i) < 2**31]
    if not ids:
        return []
    return db.session.scalars(select(Unit).where(Unit.id.in_(ids), Unit.active.is_(True), Unit.kind != "office")
                              .order_by(Unit.kind.desc(), Unit.code)).all()


# --- inspections (督查检查) -------------------------------------------------------------------------


@dataclass
class InspectionData:
    kind: str
    title: str
    inspected_on: date | None
    scope: str
    method: str
    summary: str = ""
    unit_ids: list | None = None

    def validate(self, today: date) -> list[Unit]:
        if self.kind not in INSPECTION_KINDS:
            raise ServiceError("请选择检查类型（定期检查、不定期抽查或专项检查）。", "kind")
        self.title = _text(self.title, "检查名称", "title", 200)
        self.inspected_on = _legal_day(self.inspected_on, "检查日期", "inspected_on", today)
        self.scope = _text(self.scope, "检查范围", "scope")
        self.method = _text(self.method, "检查方式", "method")
        self.summary = _text(self.summary, "总体情况", "summary", required=False)
        units = supervised_units(self.unit_ids)
        if not units:
            raise ServiceError("请至少选择一个被检查单位。", "unit_ids")
        return units


def create_inspection(data: InspectionData, actor, today: date) -> Inspection:
    """The office records a check (定期检查、不定期抽查、专项检查) of one or many units."""
    _office(actor, "登记督查检查")
    units = data.validate(today)
    if db.session.scalar(select(Inspection.id).where(Inspection.title == data.title,
                                                     Inspection.inspected_on == data.inspected_on)):
        raise ServiceError(f"{data.inspected_on:%Y-%m-%d}的“{data.title}”已经登记过，请勿重复提交。", "title")
    inspection = Inspection(kind=data.kind, title=data.title, inspected_on=data.inspected_on, scope=data.scope,
                            method=data.method, summary=data.summary, created_by_id=actor.id)
    inspection.units = [InspectionUnit(unit_id=u.id) for u in units]
    db.session.add(inspection)
    db.session.flush()
    record("inspection.create", inspection, after={**snapshot(inspection, Inspection.AUDIT_FIELDS),
                                                   "units": [u.name for u in units]}, actor=actor)
    return inspection


def inspection_unit_ids(inspection: Inspection) -> set[int]:
    return {iu.unit_id for iu in inspection.units}


def add_finding(inspection: Inspection, unit_id, description: str, actor, today: date, *,
                rectify: bool = False, requirement: str = "", period_days: int | None = None) -> Finding:
    """A problem found at one of the inspected units; with ``rectify`` it orders a rectification
    item due ``period_days`` working days from today."""
    _office(actor, "登记检查发现的问题")
    try:
        unit_id = int(unit_id)
    except (TypeError, ValueError):
        raise ServiceError("请选择发现问题的单位。", "unit_id") from None
    if unit_id not in inspection_unit_ids(inspection):
        raise ServiceError("该单位不在本次检查的范围内。", "unit_id")
    description = _text(description, "发现的问题", "description")
    if any(f.unit_id == unit_id and f.description == description for f in inspection.findings):
        raise ServiceError("该单位的这个问题已经登记过，请勿重复提交。", "description")
    finding = Finding(inspection_id=inspection.id, unit_id=unit_id, description=description, created_by_id=actor.id)
    db.session.add(finding)
    db.session.flush()
    record("inspection.finding_add", inspection, after={"unit_id": unit_id, "finding": description}, actor=actor)
    if rectify:
        issue_rectification(db.session.get(Unit, unit_id), requirement or description, period_days, actor, today,
                            source="inspection", inspection=inspection, finding=finding,
                            title=f"{inspection.title}：{description}")
    return finding


def inspection_query(user):
    """Inspections ``user`` may see: every one for the office and leaders, those of their own
    unit for unit staff; newest first."""
    stmt = select(Inspection).options(selectinload(Inspection.units), selectinload(Inspection.findings)) \
        .order_by(Inspection.inspected_on.desc(), Inspection.id.desc())  # the list shows both
    if not user.sees_all_units:
        stmt = stmt.where(Inspection.id.in_(select(InspectionUnit.inspection_id)
                                            .where(InspectionUnit.unit_id == user.unit_id)))
    return stmt


# --- rectification items (整改事项) -----------------------------------------------------------------


def deadline_for(issued_on: date, period_days: int):
    """The item is due on the ``period_days``-th working day after it was issued (domain.md §4)."""
    return add_workdays(issued_on, period_days)


def check_period_days(period_days) -> int:
    try:
        days = int(period_days if period_days not in (None, "") else DEFAULT_RECTIFICATION_DAYS)
    except (TypeError, ValueError):
        raise ServiceError("整改期限须为工作日数（整数）。", "period_days") from None
    if not 1 <= days <= MAX_RECTIFICATION_DAYS:
        raise ServiceError(f"整改期限须为1至{MAX_RECTIFICATION_DAYS}个工作日。", "period_days")
    return days


def _event(item: Rectification, action: str, from_state: str | None, to_state: str, actor, reason=None):
    db.session.add(RectificationEvent.step(actor, rectification_id=item.id, action=action, from_state=from_state,
                                           to_state=to_state, reason=reason))


def _move(item: Rectification, action: str, to_state: str, actor, reason: str | None = None, **after) -> None:
    """The one place that writes ``Rectification.state``: timeline event plus audit record."""
    from_state = item.state
    item.state = to_state
    _event(item, action, from_state, to_state, actor, reason)
    record(f"rectification.{action}", item, before={"state": from_state}, after={"state": to_state, **after},
           note=reason, actor=actor)


def issue_rectification(unit: Unit | None, requirement: str, period_days, actor, today: date, *,
                        source: str = "manual", title: str = "", inspection: Inspection | None = None,
                        finding: Finding | None = None, bulletin=None, issued_on: date | None = None,
                        announce: bool = True) -> Rectification:
    """Order a rectification item (下达整改): due ``period_days`` working days after issue.

    The unit's contacts and reviewers are told at once (bell and mail through the outbox).
    """
    from .reminders import rectification_issued

    _office(actor, "下达整改要求")
    if unit is None or not unit.active or unit.kind == "office":
        raise ServiceError("请选择一个在用的被监督单位。", "unit_id")
    requirement = _text(requirement, "整改要求", "requirement")
    days = check_period_days(period_days)
    issued_on = issued_on or today
    title = (title or requirement).strip().replace("\n", " ")
    if len(title) > 300:
        title = title[:299] + "…"
    item = Rectification(unit_id=unit.id, source=source, inspection_id=inspection.id if inspection else None,
                         finding_id=finding.id if finding else None, bulletin_id=bulletin.id if bulletin else None,
                         title=title, requirement=requirement, issued_on=issued_on, period_days=days, state="open",
                         created_by_id=actor.id)
    db.session.add(item)
    db.session.flush()
    set_deadline(item, deadline_for(issued_on, days), "下达整改要求")
    _event(item, "issue", None, "open", actor)
    record("rectification.issue", item, after=snapshot(item, Rectification.AUDIT_FIELDS), actor=actor)
    if announce:
        rectification_issued(item)
    return item


def recompute_open_rectifications(reason: str) -> int:
    """Deadline source for the calendar: open items' deadlines follow a new holiday notice
    (history kept by set_deadline); closed and cancelled items keep theirs."""
    moved = 0
    for item in db.session.scalars(select(Rectification).where(Rectification.state.in_(RECTIFICATION_OPEN_STATES))
                                   .order_by(Rectification.id)):
        moved += set_deadline(item, deadline_for(item.issued_on, item.period_days), reason)
    return moved


register_deadline_source(recompute_open_rectifications)


def _own_unit(item: Rectification, actor) -> bool:
    return actor is not None and (actor.sees_all_units or actor.unit_id == item.unit_id)


def respond(item: Rectification, actor, text: str, uploads: list[tuple[str, bytes]], today: date
            ) -> RectificationResponse:
    """报送整改情况: the unit's contact says what it did, with evidence (at least one file), and
    the item waits for the office's acceptance. Files go through the upload module (type and size
    checked); nothing is stored when any of them is refused."""
    if actor is None or actor.role != "contact" or not _own_unit(item, actor):
        raise ServiceError("只有本单位联络员可以报送整改情况。")
    if item.state not in AWAITING_UNIT_STATES:
        raise ServiceError(f"整改事项当前状态为“{item.state_label}”，不能报送整改情况。")
    text = _text(text, "整改情况", "text")
    uploads = [(name, data) for name, data in uploads or [] if name or data]
    if not uploads:
        raise ServiceError("请上传整改佐证材料（如整改后的网页截图、文件）。", "files")
    if len(uploads) > MAX_EVIDENCE_FILES:
        raise ServiceError(f"一次最多上传{MAX_EVIDENCE_FILES}个文件。", "files")
    stored = []
    try:
        for name, data in uploads:
            stored.append(files.store(name, data))
    except ServiceError:
        for f in stored:  # the refusal changes nothing: files already written are removed again
            _remove_quietly(f.stored_name)
        raise
    response = RectificationResponse(rectification_id=item.id, text=text, submitted_on=today,
                                     submitted_by_id=actor.id, submitted_at=utcnow())
    db.session.add(response)
    db.session.flush()
    for f in stored:
        db.session.add(RectificationEvidence(rectification_id=item.id, response_id=response.id, unit_id=item.unit_id,
                                             uploaded_by_id=actor.id, **f.columns()))
    item.return_reason, item.answered_on = None, today
    _move(item, "respond", "submitted", actor, reason=text[:1000], files=[f.original_name for f in stored])
    return response


def _remove_quietly(stored_name: str) -> None:
    import os
    try:
        os.remove(files.path_of(stored_name))
    except OSError:
        pass


def _pending_response(item: Rectification) -> RectificationResponse:
    response = db.session.scalar(select(RectificationResponse).where(
        RectificationResponse.rectification_id == item.id, RectificationResponse.decision.is_(None))
        .order_by(RectificationResponse.id.desc()))
    if response is None:
        raise ServiceError("没有待验收的整改情况。")
    return response


def accept(item: Rectification, actor, note: str = "") -> None:
    """验收销号: the office accepts the unit's answer; the item is done on the day that answer
    was submitted (``completed_on``), which decides whether it was done by its deadline."""
    _office(actor, "验收整改")
    if item.state != "submitted":
        raise ServiceError(f"整改事项当前状态为“{item.state_label}”，不能验收。")
    note = _text(note, "验收意见", "reason", 1000, required=False)
    response = _pending_response(item)
    response.decision, response.decision_reason = "accepted", note
    response.decided_by_id, response.decided_at = actor.id, utcnow()
    item.completed_on = response.submitted_on
    _move(item, "accept", "closed", actor, reason=note, completed_on=item.completed_on,
          on_time=not item.done_late)


def return_item(item: Rectification, actor, reason: str) -> None:
    """退回重改: the office returns the answer with the reason; the deadline stays as it was."""
    _office(actor, "退回整改情况")
    if item.state != "submitted":
        raise ServiceError(f"整改事项当前状态为“{item.state_label}”，不能退回。")
    reason = _text(reason, "退回原因", "reason", 1000)
    response = _pending_response(item)
    response.decision, response.decision_reason = "returned", reason
    response.decided_by_id, response.decided_at = actor.id, utcnow()
    item.return_reason = reason
    _move(item, "return", "returned", actor, reason=reason)
    from .reminders import rectification_returned
    rectification_returned(item, reason)


def cancel(item: Rectification, actor, reason: str) -> None:
    """撤销: the office withdraws an item ordered in error, with the reason."""
    _office(actor, "撤销整改事项")
    if item.state not in RECTIFICATION_OPEN_STATES:
        raise ServiceError(f"整改事项当前状态为“{item.state_label}”，不能撤销。")
    reason = _text(reason, "撤销原因", "reason", 1000)
    item.cancel_reason = reason
    _move(item, "cancel", "cancelled", actor, reason=reason)


def allowed_actions(item: Rectification, user) -> set[str]:
    """Which transitions ``user`` may attempt on ``item`` now (for showing buttons only)."""
    acts = set()
    if user.role == "contact" and user.unit_id == item.unit_id and item.state in AWAITING_UNIT_STATES:
        acts.add("respond")
    if user.role == "office":
        if item.state == "submitted":
            acts |= {"accept", "return"}
        if item.state in RECTIFICATION_OPEN_STATES:
            acts.add("cancel")
    return acts


def timeline(item: Rectification) -> list[RectificationEvent]:
    return db.session.scalars(select(RectificationEvent).where(RectificationEvent.rectification_id == item.id)
                              .order_by(RectificationEvent.id)).all()


def responses(item: Rectification) -> list[RectificationResponse]:
    # Evidence joined in the same statement: one read whether or not there are answers.
    return db.session.scalars(select(RectificationResponse).where(RectificationResponse.rectification_id == item.id)
                              .options(joinedload(RectificationResponse.evidence))
                              .order_by(RectificationResponse.id)).unique().all()


# --- lists and figures ---------------------------------------------------------------------------

FLAGS = {"overdue": "已逾期", "due_soon": "5个工作日内到期", "submitted": "待验收", "open": "未销号",
         "missed": "未按期整改"}


def overdue_clause(today: date):
    """The unit still owes its answer after the deadline (待整改 or 退回重改, due before ``today``)."""
    return and_(Rectification.state.in_(AWAITING_UNIT_STATES), Rectification.due_date < today)


def missed_clause(as_of: date):
    """督查整改 (scoring.md: each item not done by its deadline −2), judged at the end of ``as_of``.

    An item is done on the day of the answer the office accepted (``completed_on``) or, while it
    waits for acceptance, of the answer given (``answered_on``): an answer in time is not held
    against the unit because the office has not checked it yet; a returned answer does not count.
    Missed: done by ``as_of`` but after the deadline, or not done by ``as_of`` and the deadline
    before ``as_of``. Cancelled items never count. ``not_done_by_deadline`` is the same rule
    over one item's values."""
    done_on = case((Rectification.state.in_(RECTIFICATION_DONE_STATES), Rectification.completed_on),
                   (Rectification.state == "submitted", Rectification.answered_on), else_=None)
    due = Rectification.due_date
    return and_(Rectification.state.in_(RECTIFICATION_OPEN_STATES + RECTIFICATION_DONE_STATES), due.is_not(None),
                or_(and_(done_on <= as_of, done_on > due),
                    and_(or_(done_on.is_(None), done_on > as_of), due < as_of)))


def not_done_by_deadline(due: date | None, state: str, answered_on: date | None, completed_on: date | None,
                         as_of: date) -> bool:
    """``missed_clause`` over one item's values, as a pure function (for rules computed over rows
    handed in, e.g. the scores' 督查整改 rule): the same answer as the SQL clause."""
    if due is None or state not in RECTIFICATION_OPEN_STATES + RECTIFICATION_DONE_STATES:
        return False
    done_on = completed_on if state in RECTIFICATION_DONE_STATES else answered_on if state == "submitted" else None
    if done_on is not None and done_on <= as_of:
        return done_on > due
    return due < as_of


def missed_by_unit(start: date, end: date, as_of: date, unit_ids=None) -> dict[int, list[Rectification]]:
    """Rectifications of each unit due in [start, end] and not done by their deadline, as judged
    on ``as_of`` (use the period's end, or today for a period still running): the records behind
    the 督查整改 deduction (−2 each). One query."""
    stmt = (select(Rectification).where(Rectification.due_date >= start, Rectification.due_date <= end,
                                        missed_clause(as_of)).order_by(Rectification.unit_id, Rectification.due_date))
    if unit_ids is not None:
        stmt = stmt.where(Rectification.unit_id.in_(list(unit_ids) or [-1]))
    found: dict[int, list[Rectification]] = {}
    for item in db.session.scalars(stmt):
        found.setdefault(item.unit_id, []).append(item)
    return found


def open_on_clause(as_of: date):
    """Not yet done on ``as_of`` (未销号): issued by then, and still open or done only after it."""
    return and_(Rectification.issued_on <= as_of,
                or_(Rectification.state.in_(RECTIFICATION_OPEN_STATES),
                    and_(Rectification.state.in_(RECTIFICATION_DONE_STATES), Rectification.completed_on > as_of)))


def counts_by_unit(start: date, end: date, as_of: date) -> dict[int, dict]:
    """Per unit: items not done on ``as_of``, items due in [start, end], and of those the ones
    not done by their deadline. One GROUP BY query."""
    def n(cond):
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)
    due_in = and_(Rectification.due_date >= start, Rectification.due_date <= end)
    rows = db.session.execute(select(
        Rectification.unit_id, n(open_on_clause(as_of)), n(due_in),
        n(and_(due_in, missed_clause(as_of)))).where(Rectification.state != "cancelled")
        .group_by(Rectification.unit_id)).all()
    return {unit_id: {"open": o, "due": d, "missed": m} for unit_id, o, d, m in rows}


def rectification_query(user, today: date, cutoff: date, unit_id: int | None = None, state: str | None = None,
                        flag: str | None = None, q: str = ""):
    """Items ``user`` may see, filtered, most urgent first."""
    stmt = scope(select(Rectification), Rectification, user)
    if unit_id:
        stmt = stmt.where(Rectification.unit_id == unit_id)
    if state in RECTIFICATION_STATES:
        stmt = stmt.where(Rectification.state == state)
    cond = {"overdue": overdue_clause(today),
            "due_soon": and_(Rectification.state.in_(AWAITING_UNIT_STATES), Rectification.due_date >= today,
                             Rectification.due_date <= cutoff),
            "submitted": Rectification.state == "submitted",
            "open": Rectification.state.in_(RECTIFICATION_OPEN_STATES),
            "missed": missed_clause(today)}.get(flag or "")
    if cond is not None:
        stmt = stmt.where(cond)
    if q:
        stmt = stmt.where(or_(Rectification.title.ilike(f"%{q}%"), Rectification.requirement.ilike(f"%{q}%")))
    urgency = case((overdue_clause(today), 0), (Rectification.state.in_(AWAITING_UNIT_STATES), 1),
                   (Rectification.state == "submitted", 2), else_=3)
    return stmt.order_by(urgency, Rectification.due_date, Rectification.id)
