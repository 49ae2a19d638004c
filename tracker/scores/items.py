"""What people do to the items of a score: the office enters manual deductions and bonuses and
voids items; a unit objects (申辩) to a deduction and the office answers (scoring.md: "a unit can
check and dispute it; the office can void a deduction with a recorded reason"). Everything is
audited; both sides are told through the outbox (bell and email)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from .. import files
from ..audit.services import record
from ..errors import ServiceError
from ..extensions import db
from ..notify.reminders import recipients_by_unit
from ..notify.services import Message, notify
from ..timeutil import utcnow
from ..units.models import Unit
from .engine import manual_drafts
from .models import BONUS, ManualEntry, Objection, Score, ScoreFile, ScoreItem, ScorePeriod, ScoreVoid
from .numbers import points_text, to_points
from .periods import Period
from .rubrics import rubric_for_year, spec_of
from .services import ITEM_FIELDS, find_period, retally

MAX_REASON = 2000


def _office(actor) -> None:
    if actor is None or actor.role != "office":
        raise ServiceError("只有公开办可以进行此操作。")


def _reason(text: str | None, label: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ServiceError(f"请填写{label}。", "reason")
    if len(text) > MAX_REASON:
        raise ServiceError(f"{label}不能超过{MAX_REASON}个字符。", "reason")
    return text


def store_evidence(unit_id: int, upload: tuple[str, bytes] | None, actor) -> ScoreFile | None:
    """An optional evidence file (type and size checked by ``files.store``)."""
    if not upload or not upload[1]:
        return None
    stored = files.store(*upload)
    evidence = ScoreFile(unit_id=unit_id, uploaded_by_id=actor.id if actor else None, **stored.columns())
    db.session.add(evidence)
    db.session.flush()
    return evidence


# --- manual deductions and bonuses -----------------------------------------------------------------

def add_manual(unit: Unit, period: Period, category: str, type_key: str, points, reason: str, actor, today: date,
               evidence: tuple[str, bytes] | None = None) -> ManualEntry:
    """The office enters a deduction (or, with ``category == "bonus"``, a bonus) for a unit and a
    period, of a type the year's rubric lists, within its range, with the reason and optional
    evidence. A quarter's entry counts in its year too. Refused once the period is published."""
    _office(actor)
    if unit is None or unit.kind == "office":
        raise ServiceError("请选择被考核单位。", "unit_id")
    if period.start > today:
        raise ServiceError(f"{period.label}尚未开始。", "period")
    for p in {period, period.year_period()}:
        row = find_period(p)
        if row is not None and row.is_published:
            raise ServiceError(f"{row.label}得分已发布，不能再录入。如确需调整，请撤销相关扣分或重新计算。")
    spec = spec_of(rubric_for_year(period.year, actor))
    item_type = spec.item_type(category, type_key)
    if item_type is None:
        raise ServiceError("请选择评分细则中的扣分或加分项目。", "type_key")
    try:
        value = to_points(points)
    except ValueError:
        raise ServiceError(f"分值须为数字，而不是“{points}”。", "points") from None
    if not item_type.low <= value <= item_type.high:
        raise ServiceError(f"“{item_type.name}”的分值须在{item_type.range_text}范围内。", "points")
    reason = _reason(reason, "理由")
    evidence_row = store_evidence(unit.id, evidence, actor)
    entry = ManualEntry(unit_id=unit.id, period_key=period.key, category=category, type_key=type_key,
                        type_name=item_type.name, points=value, reason=reason,
                        evidence_id=evidence_row.id if evidence_row else None, created_by_id=actor.id)
    db.session.add(entry)
    db.session.flush()
    what = "加分" if category == BONUS else "人工扣分"
    record(f"scores.manual_{'bonus' if category == BONUS else 'deduction'}", object_type="score_manual",
           object_id=entry.id, object_label=f"{unit.name} {period.label} {what}",
           after={"category": category, "type": item_type.name, "points": value,
                  "evidence": evidence_row.original_name if evidence_row else None}, note=reason, actor=actor)
    _add_to_scores(entry, [period, period.year_period()])
    return entry


def _add_to_scores(entry: ManualEntry, periods: list[Period]) -> None:
    """Put a new entry into the unit's stored (unpublished) scores it counts in, so the pages show
    it at once rather than after the next night's computation."""
    keys = {p.key for p in periods}
    scores = db.session.scalars(select(Score).join(ScorePeriod, Score.period_id == ScorePeriod.id).where(
        Score.unit_id == entry.unit_id, ScorePeriod.key.in_(keys), ScorePeriod.state != "published")).all()
    draft = manual_drafts([entry])[0]
    for score in scores:
        db.session.add(ScoreItem(score_id=score.id, key=draft.key, **{f: getattr(draft, f) for f in ITEM_FIELDS}))
        db.session.flush()
        retally(score)


# --- voids ----------------------------------------------------------------------------------------------

def void_item(item: ScoreItem, reason: str, actor, objection: Objection | None = None) -> ScoreVoid:
    """撤销: the office voids a deduction or bonus of a unit, with the reason. The void is kept by
    the item's key, so it holds in every score the item is in (a quarter and its year), published
    or not, and in later computations; each such score is added up again from its own items."""
    _office(actor)
    if item.void_id is not None:
        raise ServiceError("该项已撤销。")
    reason = _reason(reason, "撤销理由")
    score = item.score
    void = ScoreVoid(unit_id=score.unit_id, key=item.key, reason=reason, objection_id=objection.id if objection else None,
                     voided_by_id=actor.id)
    db.session.add(void)
    db.session.flush()
    affected = db.session.scalars(select(ScoreItem).join(Score, ScoreItem.score_id == Score.id).where(
        Score.unit_id == score.unit_id, ScoreItem.key == item.key)).all()
    for other in affected:
        other.void_id = void.id
    db.session.flush()
    for other_score in {i.score for i in affected}:
        before = other_score.total
        retally(other_score)
        record("scores.void", other_score, object_label=f"{other_score.unit_name} {other_score.period.label}",
               before={"total": before, "item": item.label, "points": item.points},
               after={"total": other_score.total, "voided": item.rule_label}, note=reason, actor=actor)
    return void


# --- objections (申辩) -------------------------------------------------------------------------------------

def objection_open(score: Score, today: date) -> bool:
    """A unit may object while its period is published and the 5 working days have not passed."""
    row = score.period
    return row.is_published and row.objection_deadline is not None and today <= row.objection_deadline


def file_objection(item: ScoreItem, actor, reason: str, today: date,
                   evidence: tuple[str, bytes] | None = None, announce: bool = True) -> Objection:
    """申辩: a contact or reviewer of the unit objects to a deduction of a published score within 5
    working days of publication, with the reason and optional evidence; the office is told."""
    score = item.score
    if actor is None or actor.role not in ("contact", "reviewer") or actor.unit_id != score.unit_id:
        raise ServiceError("只有本单位联络员或审核人可以提出申辩。")
    if not score.period.is_published:
        raise ServiceError("得分发布后才能提出申辩。")
    if not objection_open(score, today):
        raise ServiceError(f"申辩期限已过（{score.period.objection_deadline:%Y-%m-%d}），不能再提出申辩。")
    if item.is_bonus:
        raise ServiceError("加分项不需要申辩。")
    if item.void_id is not None:
        raise ServiceError("该项扣分已撤销。")
    if db.session.scalar(select(Objection.id).where(Objection.score_id == score.id, Objection.key == item.key)):
        raise ServiceError("已对该项扣分提出过申辩，请勿重复提交。")
    reason = _reason(reason, "申辩理由")
    evidence_row = store_evidence(score.unit_id, evidence, actor)
    objection = Objection(score_id=score.id, unit_id=score.unit_id, key=item.key, item_label=item.label,
                          item_rule=item.rule_label, item_points=item.points, reason=reason,
                          evidence_id=evidence_row.id if evidence_row else None, state="pending",
                          filed_by_id=actor.id, filed_at=utcnow())
    db.session.add(objection)
    db.session.flush()
    record("scores.objection", objection, after={"item": item.label, "points": item.points,
                                                "evidence": evidence_row.original_name if evidence_row else None},
           note=reason, actor=actor)
    link = f"/scores/objections/{objection.id}"
    for user in recipients_by_unit([])[None].office if announce else []:
        notify(user, Message(f"【考核申辩】{score.unit_name}：{item.rule_label}", (
            f"{score.unit_name}对{score.period.label}的一项扣分提出申辩：{item.label}（{points_text(item.points)}分）。",
            f"申辩理由：{reason[:200]}", "请审核后答复（申辩成立则撤销该项扣分）。"), link),
            key=f"scores:objection:{objection.id}:{user.id}")
    return objection


def decide_objection(objection: Objection, accept: bool, reply: str, actor, announce: bool = True) -> None:
    """The office answers an objection: accepted voids the deduction (in every score it is in),
    rejected keeps it; the reply is required either way, and the unit is told."""
    _office(actor)
    if objection.state != "pending":
        raise ServiceError(f"该申辩已答复（{objection.state_label}）。")
    reply = _reason(reply, "答复意见")
    objection.state = "accepted" if accept else "rejected"
    objection.reply, objection.decided_by_id, objection.decided_at = reply, actor.id, utcnow()
    record(f"scores.objection_{objection.state}", objection, before={"state": "pending"},
           after={"state": objection.state}, note=reply, actor=actor)
    if accept:
        item = db.session.scalar(select(ScoreItem).where(ScoreItem.score_id == objection.score_id,
                                                         ScoreItem.key == objection.key))
        if item is not None and item.void_id is None:
            void_item(item, f"申辩成立：{reply}", actor, objection)
    score = objection.score
    if not announce:
        return
    people = recipients_by_unit([score.unit_id])[score.unit_id]
    recipients = {u.id: u for u in people.contacts + people.reviewers}
    if objection.filed_by is not None:
        recipients.setdefault(objection.filed_by.id, objection.filed_by)
    verdict = "申辩成立，已撤销该项扣分" if accept else "申辩不成立，维持扣分"
    for user in recipients.values():
        notify(user, Message(f"【申辩答复】{objection.item_label}：{verdict}", (
            f"对{score.period.label}扣分“{objection.item_label}”的申辩，公开办答复：{verdict}。",
            f"答复意见：{reply[:300]}"), f"/scores/objections/{objection.id}"),
            key=f"scores:objection:{objection.id}:decided:{user.id}")


def objections_query(user, state: str | None = None):
    stmt = select(Objection).order_by(Objection.state != "pending", Objection.filed_at.desc())
    if not user.sees_all_units:
        stmt = stmt.where(Objection.unit_id == user.unit_id)
    if state:
        stmt = stmt.where(Objection.state == state)
    return stmt
