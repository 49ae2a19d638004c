"""Generated supervision: inspections with rectification items in every state and 督办 (bulk rows,
``load_inspections``, before the scores read them), and every finished quarter's bulletin drafted
and published through the bulletin services (``load_bulletins``, after the scores, so that each
carries its quarter's published scores).

Each half year has a check of about one unit in eight (定期检查 in the first half, 专项检查 in the
second, a 不定期抽查 in the third quarter); most checked units get a finding and a rectification
item due 10 working days later, which went as such items go: answered and accepted on time, late,
returned and answered again, still waiting for acceptance, cancelled, or still owed (overdue).
督办 falls on a share of the tasks and applications that are overdue today and of the overdue items.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from ..accounts.models import User
from ..applications.models import Application
from ..disclosure.models import OPEN_STATES, Task
from ..extensions import db
from ..inspections.models import (
    Finding,
    Inspection,
    InspectionUnit,
    Rectification,
    RectificationEvent,
    RectificationResponse,
    Urging,
)
from ..workcal.services import get_calendar
from .base import Context

PERIOD_DAYS = 10
FINDINGS = [("“财政预决算”栏目缺少部门预算说明", "补充公开部门预算及“三公”经费预算说明"),
            ("“社会救助”栏目未按月更新低保对象名单", "按月公开低保对象名单，补齐缺漏月份"),
            ("政策文件未配套发布解读材料", "对本年度印发的政策文件逐件配套发布解读"),
            ("招标投标信息链接失效", "修复招标投标信息栏目链接，逐条核对"),
            ("“双随机”抽查结果只公开了汇总数", "按次公开“双随机”抽查结果明细"),
            ("公开目录与栏目设置不一致", "对照公开目录调整栏目设置，逐项补充公开")]
# How a past item went: (plan, weight). "overdue" is still owed after its deadline.
PLANS = [("closed_on_time", 0.55), ("closed_late", 0.13), ("returned", 0.05), ("submitted", 0.05),
         ("overdue", 0.12), ("cancelled", 0.10)]
ROUNDS = [  # (kind, month, day, title)
    ("regular", 6, 12, "{year}年上半年政务公开工作定期检查"),
    ("spot", 9, 8, "{year}年第三季度政府网站不定期抽查"),
    ("special", 11, 18, "{year}年重点领域信息公开专项检查"),
]
URGE_SHARE = 0.25   # of the records overdue today that the office pressed


def _event(later, ctx, item_id, action, from_state, to_state, actor, day, hour, reason=None):
    later.append((RectificationEvent, {"id": ctx.next_id("rectification_event"), "rectification_id": item_id,
                                 "action": action, "from_state": from_state, "to_state": to_state, "actor_id": actor,
                                 "actor_label": ctx.user_names.get(actor, "系统"), "at": ctx.at(day, hour),
                                 "reason": reason}))


def _response(later, ctx, item_id, contact, day, decision=None, decided_by=None, decided_on=None, reason=None):
    later.append((RectificationResponse, {
        "id": ctx.next_id("rectification_response"), "rectification_id": item_id,
        "text": "已按要求整改，整改后页面截图已存档。", "submitted_on": day, "submitted_by_id": contact,
        "submitted_at": ctx.at(day, 16), "decision": decision, "decision_reason": reason,
        "decided_by_id": decided_by if decision else None,
        "decided_at": ctx.at(decided_on, 10) if decision else None}))


def _item(ctx: Context, rng, calendar, inspection_id, finding_id, unit, inspected: date, title: str,
          requirement: str) -> None:
    today, office = ctx.today, ctx.office_users[0]
    issued = inspected + timedelta(days=1)
    answer = calendar.add(issued, PERIOD_DAYS)
    due = answer.day
    contact = unit.contacts[0] if unit.contacts else None
    if due >= today:
        plan = rng.choice(["open", "open", "submitted"])
    else:
        plan = rng.choices([p for p, _ in PLANS], weights=[w for _, w in PLANS])[0]
    if contact is None and plan not in ("open", "overdue", "cancelled"):
        plan = "overdue"
    item_id = ctx.next_id("rectification")
    row = {"id": item_id, "unit_id": unit.id, "source": "inspection", "inspection_id": inspection_id,
           "finding_id": finding_id, "bulletin_id": None, "title": f"{title}：{requirement}"[:300],
           "requirement": requirement, "issued_on": issued, "period_days": PERIOD_DAYS, "due_date": due,
           "due_provisional": answer.provisional, "state": "open", "answered_on": None, "completed_on": None,
           "return_reason": None, "cancel_reason": None, "created_by_id": office, "created_at": ctx.at(issued, 9)}
    later = []  # its events and answers, written after the item itself (foreign keys)
    _event(later, ctx, item_id, "issue", None, "open", office, issued, 9)
    answered = min(due - timedelta(days=rng.randint(0, 4)) if plan != "closed_late"
                   else due + timedelta(days=rng.randint(2, 15)), today)
    answered = max(answered, issued)
    decided = min(answered + timedelta(days=rng.randint(1, 3)), today)
    if plan == "cancelled":
        reason = "经复核，该栏目由上级部门统一维护，不属于本单位整改范围。"
        row.update(state="cancelled", cancel_reason=reason)
        _event(later, ctx, item_id, "cancel", "open", "cancelled", office, min(issued + timedelta(days=2), today), 15, reason)
    elif plan in ("submitted", "closed_on_time", "closed_late", "returned"):
        row.update(state="submitted", answered_on=answered)
        _event(later, ctx, item_id, "respond", "open", "submitted", contact, answered, 16)
        if plan == "submitted":
            _response(later, ctx, item_id, contact, answered)
        elif plan == "returned":
            reason = "截图未显示发布日期和栏目位置，请补充完整截图后重新报送。"
            row.update(state="returned", return_reason=reason)
            _response(later, ctx, item_id, contact, answered, "returned", office, decided, reason)
            _event(later, ctx, item_id, "return", "submitted", "returned", office, decided, 10, reason)
        else:
            row.update(state="closed", completed_on=decided)
            _response(later, ctx, item_id, contact, answered, "accepted", office, decided, "经复查，已整改到位。")
            _event(later, ctx, item_id, "accept", "submitted", "closed", office, decided, 10)
    ctx.add(Rectification, row)
    for model, values in later:
        ctx.add(model, values)


def load_inspections(ctx: Context) -> None:
    rng = ctx.rng("inspections")
    calendar = get_calendar()
    office = ctx.office_users[0]
    checked = max(3, len(ctx.units) // 8)
    for year in range(ctx.scale.first_year, ctx.today.year + 1):
        for kind, month, day, title in ROUNDS:
            inspected = ctx.weekday_on_or_before(date(year, month, day), date(year, 1, 1))
            if inspected >= ctx.today - timedelta(days=3):
                continue
            inspection_id = ctx.next_id("inspection")
            title = title.format(year=year)
            ctx.add(Inspection, {"id": inspection_id, "kind": kind, "title": title, "inspected_on": inspected,
                                 "scope": "公开目录落实情况、财政预决算、社会救助和重点领域信息公开栏目",
                                 "method": "调阅台账，抽查政府网站和公开栏，逐条核对公开目录",
                                 "summary": "总体情况较好，部分单位存在更新不及时、内容不全的问题。",
                                 "created_by_id": office, "created_at": ctx.at(inspected, 17)})
            for unit in sorted(rng.sample(ctx.units, min(checked, len(ctx.units))), key=lambda u: u.id):
                ctx.add(InspectionUnit, {"id": ctx.next_id("inspection_unit"), "inspection_id": inspection_id,
                                         "unit_id": unit.id})
                if rng.random() < 0.35:
                    continue  # checked, nothing found
                finding, requirement = rng.choice(FINDINGS)
                finding_id = ctx.next_id("inspection_finding")
                ctx.add(Finding, {"id": finding_id, "inspection_id": inspection_id, "unit_id": unit.id,
                                  "description": finding, "created_by_id": office, "created_at": ctx.at(inspected, 17)})
                _item(ctx, rng, calendar, inspection_id, finding_id, unit, inspected, title, requirement)
    ctx.flush()
    _urgings(ctx, rng)


def _urgings(ctx: Context, rng) -> None:
    """督办 on a share of what is overdue today (tasks, applications, rectification items), dated a
    few days after each deadline; a few units are pressed twice in a quarter."""
    today, office = ctx.today, ctx.office_users[0]
    recipients = {u.id: len(u.contacts) + len(u.reviewers) for u in ctx.units}
    targets = [("task", i, u, label, due) for i, u, label, due in db.session.execute(
        select(Task.id, Task.unit_id, Task.title, Task.due_date)
        .where(Task.state.in_(OPEN_STATES), Task.due_date < today).order_by(Task.id))]
    targets += [("application", i, u, f"{code} {title}", due) for i, u, code, title, due in db.session.execute(
        select(Application.id, Application.unit_id, Application.tracking_code, Application.title,
               Application.due_date).where(Application.state == "open", Application.due_date < today,
                                           Application.unit_id.is_not(None)).order_by(Application.id))]
    targets += [("rectification", i, u, label, due) for i, u, label, due in db.session.execute(
        select(Rectification.id, Rectification.unit_id, Rectification.title, Rectification.due_date)
        .where(Rectification.state.in_(("open", "returned")), Rectification.due_date < today)
        .order_by(Rectification.id))]
    every, seen = round(1 / URGE_SHARE), {}
    for kind, record_id, unit_id, label, due in targets:
        seen[kind] = seen.get(kind, -1) + 1
        if seen[kind] % every or unit_id not in recipients:  # every fourth of each kind, the first included
            continue
        days = [min(due + timedelta(days=rng.randint(2, 8)), today)]
        if rng.random() < 0.2 and days[0] + timedelta(days=7) <= today:
            days.append(days[0] + timedelta(days=7))  # pressed again
        for on in days:
            ctx.add(Urging, {"id": ctx.next_id("urging"), "record_type": kind, "record_id": record_id,
                             "unit_id": unit_id, "record_label": (label or "")[:300], "due_date": due,
                             "overdue": True, "message": "请于3个工作日内办结，并报告逾期原因。", "urged_on": on,
                             "recipients": recipients[unit_id], "created_by_id": office,
                             "created_at": ctx.at(on, 10)})


# --- bulletins -----------------------------------------------------------------------------------------

SETTINGS = {"issuer": "市人民政府办公室", "number_prefix": "市政公开办", "area": "全市",
            "addressees": "各区县人民政府，市政府各部门：", "item_days": 10}
NARRATIVE = {
    "good_practice": "多数单位按照公开目录按时公开，财政预决算、社会救助等重点领域信息更新及时。",
    "problems": "个别单位对公开任务签收不及时，临近期限才办理；部分栏目内容与公开目录不一致。",
    "requirements": "各单位要对照公开目录逐项自查，做到应公开尽公开；对本通报点名的问题，限期整改到位，"
                    "并在政务公开监督平台报送整改情况和佐证材料。",
}


def load_bulletins(ctx: Context) -> None:
    """Every finished quarter's bulletin: drafted on the first working day after it (figures as of
    that day), narrative written, a requirement for the unit with most overdue work, published with
    its number a week later (not announced: these are history)."""
    from ..bulletins import services as bulletins
    from ..bulletins.quarters import Quarter, first_workday

    office = db.session.get(User, ctx.office_users[0])
    bulletins.save_settings(SETTINGS, office)
    made = 0
    sequence: dict[int, int] = {}
    for year in range(ctx.scale.first_year, ctx.today.year + 1):
        for q in range(1, 5):
            quarter = Quarter(year, q)
            drafted = first_workday(quarter.next()) if quarter.has_ended(ctx.today) else None
            if drafted is None or drafted > ctx.today:
                continue
            bulletin, _ = bulletins.draft(quarter, drafted, office, refresh=False)
            bulletin.created_at = ctx.at(drafted, 8)
            bulletins.edit_narrative(bulletin, office, NARRATIVE)
            rows = sorted(bulletin.figures.get("rows", []), key=lambda r: -(r.get("tasks_overdue") or 0))
            if rows and rows[0].get("unit_id"):
                bulletins.add_item(bulletin, office, rows[0]["unit_id"], "对本季度逾期未公开的信息逐项补充公开，"
                                   "并落实公开任务签收制度。", 10)
            published = drafted + timedelta(days=7)
            if published <= ctx.today:
                sequence[published.year] = sequence.get(published.year, 0) + 3
                bulletins.publish(bulletin, office, sequence[published.year], published, ctx.today, announce=False)
                bulletin.published_at = ctx.at(published, 16)
            made += 1
            db.session.commit()
            office = db.session.get(User, ctx.office_users[0])
    ctx.counts["bulletin (quarters)"] = made
