"""What the website pages read and the office's actions on checks: the lists (scoped to what the
user may see), one task's evidence, and verifying in bulk the tasks whose publication check
passed (核验, one click for many)."""
from __future__ import annotations

from sqlalchemy import and_, func, select

from ..access import scope
from ..disclosure import workflow
from ..disclosure.models import Task
from ..errors import ServiceError
from ..extensions import db
from ..units.models import Unit
from .models import FINDING_KINDS, FINDING_STATES, WebCheck, WebColumn, WebFinding, WebPage

MAX_BULK = 500


def column_query(user, unit_id=None, status=None):
    stmt = scope(select(WebColumn), WebColumn, user)
    if unit_id:
        stmt = stmt.where(WebColumn.unit_id == unit_id)
    if status == "inactive":
        stmt = stmt.where(WebColumn.active.is_(False))
    elif status:
        stmt = stmt.where(WebColumn.status == status, WebColumn.active.is_(True))
    return stmt.join(Unit, Unit.id == WebColumn.unit_id).order_by(Unit.kind.desc(), Unit.code, WebColumn.id)


def finding_query(user, unit_id=None, kind=None, state="open", q=""):
    stmt = scope(select(WebFinding), WebFinding, user)
    if unit_id:
        stmt = stmt.where(WebFinding.unit_id == unit_id)
    if kind in FINDING_KINDS:
        stmt = stmt.where(WebFinding.kind == kind)
    if state == "work":
        stmt = stmt.where(WebFinding.rectification_id.is_not(None))
    elif state in FINDING_STATES:
        stmt = stmt.where(WebFinding.state == state)
    if q:
        stmt = stmt.where(WebFinding.summary.ilike(f"%{q}%") | WebFinding.url.ilike(f"%{q}%"))
    return stmt.order_by(WebFinding.last_seen.desc(), WebFinding.id.desc())


CHECK_FILTERS = {"awaiting": "待核验", "passed": "核验通过待确认", "failed": "核验未通过", "gone": "复查无法访问",
                 "changed": "复查内容变更", "refused": "地址不允许巡查"}


def page_query(user, flag="awaiting", unit_id=None):
    """Watched addresses with their task; ``awaiting``: tasks still waiting for the office's 核验."""
    stmt = scope(select(WebPage).join(Task, Task.id == WebPage.task_id), WebPage, user)
    if unit_id:
        stmt = stmt.where(WebPage.unit_id == unit_id)
    if flag == "awaiting":
        stmt = stmt.where(Task.state == "published")
    elif flag == "passed":
        stmt = stmt.where(Task.state == "published", WebPage.state == "passed")
    elif flag == "failed":
        stmt = stmt.where(Task.state == "published", WebPage.state == "failed")
    elif flag in ("gone", "changed", "refused"):
        stmt = stmt.where(WebPage.state == flag)
    return stmt.order_by(WebPage.id.desc())


def tasks_by_id(ids) -> dict[int, Task]:
    ids = [i for i in ids if i]
    return {t.id: t for t in db.session.scalars(select(Task).where(Task.id.in_(ids or [-1])))}


def checks_by_id(ids) -> dict[int, WebCheck]:
    ids = [i for i in ids if i]
    if not ids:
        return {}
    return {c.id: c for c in db.session.scalars(select(WebCheck).where(WebCheck.id.in_(ids)))}


def task_check(task_id: int) -> tuple[WebPage | None, WebCheck | None]:
    """The watched address of a task and its latest reading (the evidence on the task's page)."""
    page = db.session.scalar(select(WebPage).where(WebPage.task_id == task_id))
    if page is None or page.last_check_id is None:
        return page, None
    return page, db.session.get(WebCheck, page.last_check_id)


def fail_reason(task_id: int) -> str:
    """Why the latest publication check failed, to pre-fill 核验未通过 (empty when it passed)."""
    page, check = task_check(task_id)
    if check is None or check.passed or check.purpose != "publication":
        return ""
    return "网站巡查：" + check.reason_text


def page_history(page: WebPage, limit: int = 20) -> list[WebCheck]:
    return db.session.scalars(select(WebCheck).where(WebCheck.page_id == page.id)
                              .order_by(WebCheck.fetched_at.desc(), WebCheck.id.desc()).limit(limit)).all()


def verify_passed(task_ids, actor) -> int:
    """核验 in one click: every chosen task still waiting for the office whose latest publication
    check passed is verified (the evidence is named on its timeline). Refused whole when none
    qualifies; tasks that do not (failed check, already verified) are left as they are."""
    if actor is None or actor.role != "office":
        raise ServiceError("只有公开办可以核验。")
    ids = sorted({int(i) for i in task_ids or [] if str(i).isascii() and str(i).isdigit() and int(i) < 2**31})[:MAX_BULK]
    if not ids:
        raise ServiceError("请选择要核验的公开任务。", "ids")
    rows = db.session.execute(
        select(Task, WebCheck.id).join(WebPage, WebPage.task_id == Task.id)
        .join(WebCheck, and_(WebCheck.id == WebPage.publication_check_id, WebCheck.passed.is_(True)))
        .where(Task.id.in_(ids), Task.state == "published", WebPage.last_check_id == WebPage.publication_check_id)
        .order_by(Task.id)).all()
    if not rows:
        raise ServiceError("所选任务中没有发布核验通过、仍待核验的任务。", "ids")
    for task, check_id in rows:
        workflow.verify(task, actor, f"依据网站巡查发布核验（证据 #{check_id}）核验通过")
    return len(rows)


def unit_overview(user) -> list[dict]:
    """Per unit: columns, stale/blank, link error rate, open findings by kind. Three queries."""
    from .columns import link_error_rates, rate_text

    if user.sees_all_units:
        units = db.session.scalars(select(Unit).where(Unit.active.is_(True), Unit.kind != "office")
                                   .order_by(Unit.kind.desc(), Unit.code)).all()
    else:
        units = [db.session.get(Unit, user.unit_id)]
    ids = [u.id for u in units if u is not None]
    cols: dict[int, dict] = {}
    for unit_id, status, n in db.session.execute(
            select(WebColumn.unit_id, WebColumn.status, func.count()).where(WebColumn.active.is_(True),
                                                                          WebColumn.unit_id.in_(ids or [-1]))
            .group_by(WebColumn.unit_id, WebColumn.status)):
        cols.setdefault(unit_id, {})[status] = n
    open_findings: dict[int, dict] = {}
    for unit_id, kind, n in db.session.execute(
            select(WebFinding.unit_id, WebFinding.kind, func.count()).where(WebFinding.state == "open",
                                                                          WebFinding.unit_id.in_(ids or [-1]))
            .group_by(WebFinding.unit_id, WebFinding.kind)):
        open_findings.setdefault(unit_id, {})[kind] = n
    rates = link_error_rates(ids)
    out = []
    for u in units:
        if u is None:
            continue
        c = cols.get(u.id, {})
        checked, broken = rates.get(u.id, (0, 0))
        out.append({"unit": u, "columns": sum(c.values()), "stale": c.get("stale", 0), "blank": c.get("blank", 0),
                    "unreachable": c.get("unreachable", 0), "rate": rate_text(checked, broken),
                    "broken": broken, "findings": open_findings.get(u.id, {}),
                    "open": sum(open_findings.get(u.id, {}).values())})
    return out
