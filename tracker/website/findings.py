"""Findings of the website inspection, and how they become the work the tracker already tracks.

A finding is kept once (kind + fingerprint) however often the sweeps see it: ``seen`` opens it or
moves its ``last_seen``; ``gone`` closes the ones a complete reading no longer shows. The office
turns findings — one or many at once — into inspection findings with rectification items (the
督查整改 flow, deadline in working days): one inspection record (专项检查, 网站巡查) per
conversion, each finding a rectification item of its unit. When the unit answers the item, the
sweep re-reads what the finding was about (``recheck_due``) and says on the item whether the
problem is still there; the office then accepts or returns the answer as with any item.
"""
from __future__ import annotations

import hashlib
from datetime import date, datetime

from sqlalchemy import func, select, update

from ..audit.services import record
from ..errors import ServiceError
from ..extensions import db
from ..inspections import services as inspections
from ..inspections.models import Inspection, Rectification, RectificationResponse
from ..timeutil import utcnow
from ..units.models import Unit
from .models import FINDING_KINDS, WebFinding

MAX_CONVERT = 500


def fingerprint(*parts) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()


def seen(kind: str, unit_id: int, key: str, *, url: str, summary: str, now: datetime, found_on: str | None = None,
         excerpt: str | None = None, column_id: int | None = None, page_id: int | None = None,
         digest: str | None = None) -> WebFinding:
    """Record that ``kind`` was seen at ``key``: a new finding, the same one again, or one that
    had been put right coming back (opened again)."""
    fp = fingerprint(unit_id, key)
    finding = db.session.scalar(select(WebFinding).where(WebFinding.kind == kind, WebFinding.fingerprint == fp))
    if finding is None:
        finding = WebFinding(unit_id=unit_id, kind=kind, fingerprint=fp, first_seen=now, state="open")
        db.session.add(finding)
    elif finding.state == "resolved":
        finding.state, finding.resolved_at, finding.resolved_how = "open", None, None
        finding.first_seen = now
        if finding.rectification_id is not None and finding.recheck_passed:
            finding.recheck_passed = False
            finding.recheck_note = "整改后再次巡查又发现该问题"
    finding.last_seen = now
    finding.url, finding.summary = url[:500], summary[:500]
    finding.found_on = (found_on or "")[:500] or None
    finding.excerpt = excerpt[:200] if excerpt else None
    finding.match_digest = digest or finding.match_digest
    finding.column_id, finding.page_id = column_id or finding.column_id, page_id or finding.page_id
    db.session.flush()   # its id is what a reading keeps open (``gone``)
    return finding


def gone(stmt_filter, kinds: tuple[str, ...], keep: set[int], now: datetime, how: str) -> int:
    """Close the open findings of ``kinds`` matching ``stmt_filter`` that this reading did not see."""
    stmt = (update(WebFinding).where(stmt_filter, WebFinding.kind.in_(kinds), WebFinding.state == "open")
            .values(state="resolved", resolved_at=now, resolved_how=how[:100]))
    keep = {i for i in keep if i is not None}
    if keep:
        stmt = stmt.where(WebFinding.id.not_in(sorted(keep)))
    return db.session.execute(stmt.execution_options(synchronize_session=False)).rowcount or 0


def dismiss(finding: WebFinding, actor, reason: str) -> None:
    """忽略: the office decides a finding is not a problem (e.g. a public official's published
    office mobile); it stays dismissed unless the problem changes."""
    if actor is None or actor.role != "office":
        raise ServiceError("只有公开办可以忽略巡查发现。")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("请填写忽略的理由。", "reason")
    if finding.state != "open" or finding.rectification_id is not None:
        raise ServiceError("只有待处理且未转为整改事项的发现可以忽略。")
    finding.state, finding.resolved_at, finding.resolved_how = "dismissed", utcnow(), f"忽略：{reason}"[:100]
    record("website.finding_dismiss", finding, before={"state": "open"}, after={"state": "dismissed"},
           note=reason[:1000], actor=actor)


# --- findings become work -------------------------------------------------------------------------

def requirement_for(finding: WebFinding) -> str:
    """What the unit is asked to do, in the words of the finding."""
    where = f"（地址：{finding.url}）"
    text = {
        "stale_column": "按《政府网站发展指引》要求及时更新该栏目，保障信息时效",
        "blank_column": "补充栏目内容或按规定整合、关闭空白栏目",
        "dead_link": "修复或删除无法打开的链接",
        "privacy_leak": "立即对公民个人信息作脱敏处理（或撤下相关内容），并排查同类信息",
        "page_gone": "恢复已发布信息的访问（或在原地址说明去向），并重新登记发布网址",
        "page_changed": "说明已发布信息内容变更的原因，如属更正须按规定重新审核发布",
    }.get(finding.kind, "整改")
    return f"网站巡查发现{finding.kind_label}：{finding.summary}{where}。请{text}。"


def _next_title(today: date) -> str:
    base = f"网站巡查（{today:%Y-%m-%d}）"
    n = db.session.scalar(select(func.count()).select_from(Inspection).where(
        Inspection.inspected_on == today, Inspection.title.like(base + "%")))
    return base if not n else f"{base}第{n + 1}批"


def to_rectifications(finding_ids, actor, today: date, period_days=None) -> list[Rectification]:
    """Turn open findings into rectification items (one inspection record for them all). Refused
    whole when any chosen finding cannot be turned (already turned, closed, unknown)."""
    if actor is None or actor.role != "office":
        raise ServiceError("只有公开办可以把巡查发现转为整改事项。")
    ids = sorted({int(i) for i in finding_ids or [] if str(i).isascii() and str(i).isdigit() and int(i) < 2**31})
    if not ids:
        raise ServiceError("请选择要转为整改事项的巡查发现。", "finding_ids")
    if len(ids) > MAX_CONVERT:
        raise ServiceError(f"一次最多转{MAX_CONVERT}条。", "finding_ids")
    findings = db.session.scalars(select(WebFinding).where(WebFinding.id.in_(ids)).order_by(WebFinding.id)).all()
    if len(findings) != len(ids):
        raise ServiceError("所选巡查发现不存在或已被删除，请刷新页面后重试。", "finding_ids")
    for f in findings:
        if f.rectification_id is not None:
            raise ServiceError(f"“{f.summary[:40]}”已转为整改事项，请勿重复提交。", "finding_ids")
        if f.state != "open":
            raise ServiceError(f"“{f.summary[:40]}”已{f.state_label}，不能再转为整改事项。", "finding_ids")
    days = inspections.check_period_days(period_days)
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_({f.unit_id for f in findings})))}
    kinds = "、".join(dict.fromkeys(f.kind_label for f in findings))
    inspection = inspections.create_inspection(inspections.InspectionData(
        kind="special", title=_next_title(today), inspected_on=today,
        scope="政府网站信息公开栏目、已发布信息及其附件", method="系统网站巡查（自动读取网页、附件，人工确认）",
        summary=f"网站巡查发现问题{len(findings)}个（{kinds}），转各单位整改。", unit_ids=sorted(units)), actor, today)
    items = []
    for f in findings:
        finding = inspections.add_finding(inspection, f.unit_id, f"【{f.kind_label}】{f.summary}（#{f.id}）", actor,
                                          today, rectify=True, requirement=requirement_for(f), period_days=days)
        db.session.flush()
        item = db.session.scalar(select(Rectification).where(Rectification.finding_id == finding.id))
        f.rectification_id = item.id
        record("website.finding_rectify", f, after={"rectification_id": item.id}, actor=actor)
        items.append(item)
    return items


def findings_awaiting_recheck(limit: int, exclude=()) -> list[WebFinding]:
    """Findings to read again: those whose rectification item the unit has answered since the
    last re-check (待验收), and those the office asked to re-check."""
    answered = (select(RectificationResponse.rectification_id, func.max(RectificationResponse.submitted_at)
                       .label("at")).group_by(RectificationResponse.rectification_id).subquery())
    after_answer = (select(WebFinding.id).join(Rectification, Rectification.id == WebFinding.rectification_id)
                    .join(answered, answered.c.rectification_id == Rectification.id)
                    .where(Rectification.state == "submitted",
                           WebFinding.rechecked_at.is_(None) | (WebFinding.rechecked_at < answered.c.at)))
    asked = select(WebFinding.id).where(WebFinding.recheck_due.is_(True))
    stmt = select(WebFinding).where(WebFinding.id.in_(after_answer.union(asked)))
    if exclude:
        stmt = stmt.where(WebFinding.id.not_in(sorted(exclude)))
    return db.session.scalars(stmt.order_by(WebFinding.id).limit(limit)).all()


def recheck_result(finding: WebFinding, passed: bool, note: str, now: datetime) -> None:
    """Store a re-check of a finding; a pass closes it (the office still accepts the item)."""
    finding.rechecked_at, finding.recheck_passed, finding.recheck_note = now, passed, note[:500]
    finding.recheck_due = False
    if passed and finding.state == "open":
        finding.state, finding.resolved_at, finding.resolved_how = "resolved", now, "整改后复查通过"


def for_rectification(rectification_id: int) -> WebFinding | None:
    return db.session.scalar(select(WebFinding).where(WebFinding.rectification_id == rectification_id))


def ask_recheck(finding: WebFinding, actor) -> None:
    """复查: the office asks the sweep to read the finding's address again (not fetched here)."""
    if actor is None or actor.role != "office":
        raise ServiceError("只有公开办可以要求复查。")
    finding.recheck_due = True
    record("website.finding_recheck", finding, after={"recheck_due": True}, actor=actor)


KIND_CHOICES = list(FINDING_KINDS.items())
