"""The annual report's workflow: named transitions, each checking who asks and the state, writing an
audit event and telling the next person (bell and mail, through the outbox).

Unit report: 编制中 (draft) —contact 提交审核→ 待审核 —reviewer 审核通过→ 已审核待报送 —报送→ 已报送
(frozen: a snapshot of the figures and text) —office 接收→ 已接收, or —office 退回 (with a reason)→
已退回, which the unit edits and hands in again. A reviewer may send a draft back; an approved report
may be reopened for editing before it is handed in. A report that breaks a consistency rule is not
handed in: the attempt is recorded (the scores' 年度报告 rule counts it) and the unit told which cell.

City report: 编制中 —office 定稿→ 已定稿 (its figures frozen), reopened by the office if needed.
"""
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import select

from ..accounts.models import User
from ..audit.services import record
from ..errors import ServiceError
from ..extensions import db
from ..notify.services import Message, notify
from ..timeutil import china_today, utcnow
from ..units.models import Unit
from . import formats, narrative, services
from .models import AnnualReport, ReportSubmission

UNIT_EDITORS = ("contact", "reviewer")
ACTIONS = {
    # action: (label, roles, from states, to state)
    "submit_review": ("提交审核", ("contact",), ("draft", "returned"), "in_review"),
    "approve": ("审核通过", ("reviewer",), ("in_review",), "approved"),
    "send_back": ("退回修改", ("reviewer",), ("in_review",), "draft"),
    "reopen": ("撤回修改", UNIT_EDITORS, ("approved",), "draft"),
    "submit": ("报送公开办", UNIT_EDITORS, ("approved",), "submitted"),
    "accept": ("接收", ("office",), ("submitted",), "accepted"),
    "return": ("退回", ("office",), ("submitted",), "returned"),
    "finalize": ("定稿", ("office",), ("draft",), "final"),
    "reopen_city": ("重新编辑", ("office",), ("final",), "draft"),
}
CITY_ACTIONS = ("finalize", "reopen_city")
ACTION_AUDIT = {"submit_review": "report.submit_review", "approve": "report.approve", "send_back": "report.send_back",
                "reopen": "report.reopen", "submit": "report.submit", "accept": "report.accept",
                "return": "report.return", "finalize": "report.finalize", "reopen_city": "report.reopen_city"}


def _may_edit_unit(actor, unit_id) -> bool:
    return actor.role in UNIT_EDITORS and actor.unit_id == unit_id


def allowed_actions(report: AnnualReport | None, actor) -> set[str]:
    """What ``actor`` may do to ``report`` now (the page shows these buttons)."""
    if report is None:
        return set()
    names = CITY_ACTIONS if report.is_city else [a for a in ACTIONS if a not in CITY_ACTIONS]
    out = set()
    for name in names:
        _, roles, states, _ = ACTIONS[name]
        if actor.role in roles and report.state in states and (report.is_city or actor.role == "office"
                                                                or actor.unit_id == report.unit_id):
            out.add(name)
    if can_edit(report, actor):
        out.add("edit")
    return out


def can_edit(report: AnnualReport, actor) -> bool:
    if report.is_city:
        return actor.role == "office" and report.state == "draft"
    return report.editable and _may_edit_unit(actor, report.unit_id)


_ANNOUNCE = ContextVar("annual_report_announce", default=True)


@contextmanager
def unannounced():
    """Transitions made inside tell nobody (no bell, no mail): for reports loaded as history
    (bench-data), as ``bulletins.publish(announce=False)`` does for past bulletins."""
    token = _ANNOUNCE.set(False)
    try:
        yield
    finally:
        _ANNOUNCE.reset(token)


def _people(unit_id: int | None, roles) -> list[User]:
    """Who a transition tells: the active users of ``roles`` (of the unit, unless None)."""
    if not _ANNOUNCE.get():
        return []
    stmt = select(User).where(User.active.is_(True), User.role.in_(roles))
    if unit_id is not None:
        stmt = stmt.where(User.unit_id == unit_id)
    return db.session.scalars(stmt.order_by(User.id)).all()


def _tell(users, title: str, lines: tuple, link: str) -> None:
    for u in users:
        notify(u, Message(title, lines, link))


def link_for(report: AnnualReport) -> str:
    return f"/reports/{report.year}/city" if report.is_city else f"/reports/{report.year}/units/{report.unit_id}"


# --- starting and editing ----------------------------------------------------------------------------

def start_report(year: int, unit: Unit | None, actor, live=None) -> AnnualReport:
    """开始编制: create the report with drafts of sections 一、五、六 written from the figures
    (``live``: the unit's figures when the caller computed them already, e.g. for every unit at once)."""
    services.check_year(year)
    if unit is None:
        if actor.role != "office":
            raise ServiceError("只有公开办可以编制全市年度报告。")
    elif not (_may_edit_unit(actor, unit.id)):
        raise ServiceError("只有本单位的联络员或审核人可以编制本单位的年度报告。")
    existing = services.find_report(year, unit.id if unit else None)
    if existing is not None:
        return existing
    report = AnnualReport(year=year, scope="unit" if unit else "city", slot=f"unit:{unit.id}" if unit else "city",
                          unit_id=unit.id if unit else None, state="draft", overrides={}, updated_by_id=actor.id)
    db.session.add(report)
    db.session.flush()
    content = services.unit_content(year, unit, report, live) if unit else services.city_content(year, report)
    fill_drafts(report, content, actor)
    record("report.start", report, after={"state": "draft"}, actor=actor)
    return report


def drafts(content: services.Content) -> dict:
    """Drafts of the narrative sections written from ``content``'s figures."""
    last = services.find_report(content.year - 1, content.report.unit_id if content.report else None)
    last_problems = (last.last_submission.snapshot.get("narrative", {}).get("problems", "")
                     if last and last.last_submission and last.last_submission.snapshot else
                     (last.problems if last else ""))
    return {"overview": narrative.draft_overview(content.fmt, content.organ, content.year, content.cells, content.facts),
            "problems": narrative.draft_problems(content.fmt, content.cells, content.facts, last_problems or ""),
            "other_matters": narrative.draft_other(content.year, content.facts)}


def fill_drafts(report: AnnualReport, content: services.Content, actor, sections=narrative.NARRATIVE) -> None:
    written = drafts(content)
    for section in sections:
        setattr(report, section, written[section])


def save_narrative(report: AnnualReport, texts: dict, actor) -> None:
    """Save sections 一、五、六 (only while the report may be edited); audited with the changes."""
    if not can_edit(report, actor):
        raise ServiceError(f"年度报告当前状态为“{report.state_label}”，您不能修改。")
    before = {k: getattr(report, k) for k in narrative.NARRATIVE}
    for k in narrative.NARRATIVE:
        if k in texts:
            text = (texts[k] or "").replace("\r\n", "\n").strip()
            if len(text) > services.MAX_TEXT:
                raise ServiceError(f"每节正文不能超过{services.MAX_TEXT}字。", k)
            setattr(report, k, text)
    after = {k: getattr(report, k) for k in narrative.NARRATIVE}
    changed = {k: after[k] for k in after if after[k] != before[k]}
    if changed:
        _touch(report, actor)
        record("report.narrative", report, before={k: before[k] for k in changed}, after=changed, actor=actor)


def regenerate(report: AnnualReport, section: str, actor) -> None:
    """Replace one section with a fresh draft from the current figures (the old text stays in the log)."""
    if section not in narrative.NARRATIVE:
        raise ServiceError("未知的章节。")
    if not can_edit(report, actor):
        raise ServiceError(f"年度报告当前状态为“{report.state_label}”，您不能修改。")
    content = content_of(report)
    save_narrative(report, {section: drafts(content)[section]}, actor)


def set_override(report: AnnualReport, cell_key: str, value_text: str, reason: str, actor) -> None:
    """Correct one figure by hand (人工调整), with the reason; a value equal to the computed one
    removes the correction. The consistency rules then apply to the corrected table."""
    if report.is_city or not can_edit(report, actor):
        raise ServiceError(f"年度报告当前状态为“{report.state_label}”，您不能修改。")
    fmt = formats.format_for(report.year)
    if cell_key not in formats.cell_keys(fmt):
        raise ServiceError("没有这个单元格。", "cell")
    value = services.parse_value(cell_key, value_text)
    computed = services.unit_content(report.year, report.unit, report).computed[cell_key]
    overrides = dict(report.overrides or {})
    before = overrides.get(cell_key)
    if value == computed:
        overrides.pop(cell_key, None)
    else:
        reason = (reason or "").strip()
        if not reason:
            raise ServiceError("请填写调整原因（例如系统外办理的申请）。", "reason")
        overrides[cell_key] = {"value": formats.format_value(cell_key, value), "reason": reason[:500]}
    report.overrides = overrides
    _touch(report, actor)
    record("report.override", report, before={cell_key: before}, after={cell_key: overrides.get(cell_key)},
           note=formats.cell_label(fmt, cell_key), actor=actor)


def _touch(report: AnnualReport, actor) -> None:
    report.updated_at, report.updated_by_id = utcnow(), actor.id


def content_of(report: AnnualReport) -> services.Content:
    if report.is_city:
        return services.city_content(report.year, report)
    return services.unit_content(report.year, report.unit, report)


# --- transitions ------------------------------------------------------------------------------------------

def _check(report: AnnualReport, action: str, actor) -> str:
    label, roles, states, to_state = ACTIONS[action]
    if action not in allowed_actions(report, actor):
        if actor.role not in roles or (not report.is_city and actor.role != "office" and actor.unit_id != report.unit_id):
            raise ServiceError(f"您不能对该年度报告执行“{label}”。")
        raise ServiceError(f"年度报告当前状态为“{report.state_label}”，不能{label}。")
    return to_state


def _move(report: AnnualReport, action: str, actor, note: str | None = None, **after) -> None:
    to_state = _check(report, action, actor)
    before = report.state
    report.state = to_state
    _touch(report, actor)
    record(ACTION_AUDIT[action], report, before={"state": before}, after={"state": to_state, **after},
           note=note, actor=actor)


def _require_text(report: AnnualReport) -> None:
    fmt = formats.format_for(report.year)
    for k in narrative.NARRATIVE:
        if not (getattr(report, k) or "").strip():
            raise ServiceError(f"请先填写“{fmt.section_label(narrative.NARRATIVE_LABEL_KEYS[k])}”。", k)


def _require_written(report: AnnualReport, action: str) -> None:
    """No step hands on a report whose text still holds a drafting placeholder (【请补充…】): the text
    being edited, or once handed in the text that was (the frozen snapshot the office accepts)."""
    handed = report.last_submission if report.frozen else None
    texts = (handed.snapshot.get("narrative", {}) if handed is not None and handed.snapshot else
             {k: getattr(report, k) for k in narrative.NARRATIVE})
    narrative.require_written(formats.format_for(report.year), texts, ACTIONS[action][0])


def submit_for_review(report: AnnualReport, actor) -> None:
    _check(report, "submit_review", actor)
    _require_text(report)
    _require_written(report, "submit_review")
    _move(report, "submit_review", actor)
    report.review_note = None
    _tell(_people(report.unit_id, ("reviewer",)), f"【待审核】{report}", (
        f"{report.unit.name}联络员已提交{report.year}年度政府信息公开工作年度报告，请审核。",), link_for(report))


def approve(report: AnnualReport, actor) -> None:
    _check(report, "approve", actor)
    _require_written(report, "approve")
    _move(report, "approve", actor)
    _tell(_people(report.unit_id, ("contact",)), f"【审核通过】{report}", (
        "年度报告已审核通过，请报送公开办。",), link_for(report))


def send_back(report: AnnualReport, note: str, actor) -> None:
    note = (note or "").strip()
    if not note:
        raise ServiceError("请填写退回修改的意见。", "reason")
    _move(report, "send_back", actor, note=note[:1000])
    report.review_note = note[:1000]
    _tell(_people(report.unit_id, ("contact",)), f"【退回修改】{report}", (f"审核意见：{note[:1000]}",), link_for(report))


def reopen(report: AnnualReport, actor) -> None:
    _move(report, "reopen", actor)


def submit(report: AnnualReport, actor, live=None) -> ReportSubmission:
    """报送: hand the report in to the office, frozen. Refused (and the attempt recorded, with the
    broken rules) when a consistency rule is broken; late when after the internal due date.
    (``live`` as for ``start_report``.)"""
    _check(report, "submit", actor)
    _require_text(report)
    _require_written(report, "submit")
    content = services.unit_content(report.year, report.unit, report, live)
    today = china_today()
    due = services.due_date(report.year)
    submission = ReportSubmission(
        report=report, unit_id=report.unit_id, year=report.year, number=len(report.submissions) + 1,
        submitted_at=utcnow(), submitted_on=today, submitted_by_id=actor.id, due_date=due, late=today > due,
        consistent=content.consistent, violations=[p.as_dict() for p in content.problems])
    db.session.add(submission)
    if not content.consistent:
        submission.decision, submission.decided_at = "refused", utcnow()
        record("report.submit_refused", report, after={"violations": [p.message for p in content.problems]},
               actor=actor)
        db.session.flush()
        return submission
    submission.snapshot = services.snapshot_of(content)
    report.return_reason = None
    _move(report, "submit", actor, submission=submission.number, late=submission.late)
    _tell(_people(None, ("office",)), f"【年度报告已报送】{report}", (
        f"{report.unit.name}已报送{report.year}年度政府信息公开工作年度报告" + ("（超过报送期限）" if submission.late else "")
        + "，请审查。",), link_for(report))
    db.session.flush()
    return submission


def accept(report: AnnualReport, actor) -> None:
    _check(report, "accept", actor)
    _require_written(report, "accept")
    _move(report, "accept", actor)
    submission = report.last_submission
    submission.decision, submission.decided_at, submission.decided_by_id = "accepted", utcnow(), actor.id
    services.count_accepted(submission)
    _tell(_people(report.unit_id, UNIT_EDITORS), f"【已接收】{report}", (
        "公开办已接收本单位的年度报告。请在1月31日前向社会公开。",), link_for(report))


def return_report(report: AnnualReport, reason: str, actor) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("请填写退回原因。", "reason")
    _move(report, "return", actor, note=reason[:1000])
    report.return_reason = reason[:1000]
    submission = report.last_submission
    submission.decision, submission.decided_at, submission.decided_by_id = "returned", utcnow(), actor.id
    submission.reason = reason[:1000]
    _tell(_people(report.unit_id, UNIT_EDITORS), f"【年度报告被退回】{report}", (
        f"退回原因：{reason[:1000]}", "请修改后重新提交审核并报送。"), link_for(report))


def finalize_city(report: AnnualReport, actor) -> None:
    """定稿: freeze the city report (the sum of the accepted unit reports and the office's own)."""
    _check(report, "finalize", actor)
    _require_text(report)
    _require_written(report, "finalize")
    content = services.city_content(report.year, report)
    if not content.consistent:
        raise ServiceError("全市年度报告未通过勾稽校验，不能定稿：" + content.problems[0].message)
    snap = services.snapshot_of(content)
    snap["included"] = content.included
    report.snapshot, report.finalized_at = snap, utcnow()
    _move(report, "finalize", actor, units=len(content.included))


def reopen_city(report: AnnualReport, actor) -> None:
    _move(report, "reopen_city", actor)
    report.snapshot, report.finalized_at = None, None


def act(report: AnnualReport, action: str, actor, reason: str = "") -> ReportSubmission | None:
    """Dispatch a named action from the page."""
    handlers = {"submit_review": lambda: submit_for_review(report, actor), "approve": lambda: approve(report, actor),
                "send_back": lambda: send_back(report, reason, actor), "reopen": lambda: reopen(report, actor),
                "submit": lambda: submit(report, actor), "accept": lambda: accept(report, actor),
                "return": lambda: return_report(report, reason, actor),
                "finalize": lambda: finalize_city(report, actor), "reopen_city": lambda: reopen_city(report, actor)}
    if action not in handlers:
        raise ServiceError("未知的操作。")
    return handlers[action]()
