"""Demo supervision: the office's bulletin settings, two inspection rounds with rectification items
in every state (待整改 not yet due and overdue, 待验收, 退回重改, 销号 on time and late, 撤销), a few
督办 on overdue work (``load_supervision_demo``, before the scores read them), and the bulletin of
every quarter of this year that has ended — published about a week into the next quarter, after
that quarter's scores, numbered in the office's sequence (``load_bulletins_demo``) — through the
real services.

Everything is dated in the past as it would have happened; the function does nothing when an
inspection exists, so ``flask demo`` can run again. Historical publications are not mailed
(``announce=False``): the demo's outbox is not flooded with mails about past quarters.
"""
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from ..accounts.models import User
from ..applications.models import Application
from ..bulletins import services as bulletins
from ..bulletins.quarters import Quarter, first_workday
from ..disclosure.models import OPEN_STATES, Task
from ..extensions import db
from ..inspections import services as ins
from ..inspections import urging
from ..inspections.models import Inspection, Rectification, RectificationEvent, RectificationResponse, Urging
from ..timeutil import CHINA, china_today, utcnow
from ..units.models import Unit
from ..workcal.services import add_workdays
from .season import record_year

SETTINGS = {"issuer": "东宁市人民政府办公室", "number_prefix": "东政公开办", "area": "全市",
            "addressees": "各镇人民政府，市政府各部门：", "item_days": 10}
PNG = b"\x89PNG\r\n\x1a\n demo screenshot"

# (unit code, finding, requirement, plan): plan is how the item went.
WEBSITE_ROUND = [
    ("dongning", "“财政预决算”栏目缺少2026年部门预算说明", "补充公开2026年部门预算及“三公”经费预算说明", "closed_on_time"),
    ("suiyang", "“社会救助”栏目2026年以来未更新低保对象名单", "按月公开农村低保对象名单，补齐2026年以来各月", "returned"),
    ("mzj", "临时救助情况未按季度公开", "补充公开2026年第二、三季度临时救助情况", "submitted"),
    ("zjj", "工程招标投标信息链接失效", "修复招标投标信息栏目链接，逐条核对", "closed_late"),
    ("hbj", "建设项目环评审批结果公开不及时", "建立环评审批结果5个工作日内公开机制并补充公开", "overdue"),
    ("scjgj", "“双随机”抽查结果只公开了汇总数", "按次公开“双随机”抽查结果明细", "open"),
    ("jyj", "招生入学政策解读材料缺失", "配套发布政策解读", "cancelled"),
]
REGULAR_ROUND = [
    ("czj", "预算执行情况公开的表格为扫描图片，无法检索", "以可检索的文本或表格形式重新公开", "closed_on_time"),
    ("sanchakou", "重大建设项目进展信息只在公示栏公开", "同步在政府网站公开重大建设项目进展", "closed_on_time"),
]
NARRATIVE = {
    "good_practice": "民政局、财政局按月、按季公开低保资金和预算执行情况，内容完整、更新及时。\n"
                     "东宁镇在村务公开栏和政务微信同步公开惠民政策，群众查阅便利。",
    "problems": "个别单位对公开任务签收不及时，临近期限才办理；部分栏目内容与公开目录不一致。",
    "requirements": "各单位要对照公开目录逐项自查，做到应公开尽公开；对本通报点名的问题，限期整改到位，"
                    "并在政务公开监督平台报送整改情况和佐证材料。公开办将适时组织复查，复查情况纳入年度考核。",
}
# Requirements attached to named units in each quarter's bulletin, and how each went afterwards.
ITEMS = {1: [("sanchakou", "补充公开第一季度农村危房改造对象公示", "closed_on_time")],
         2: [("suiyang", "建立低保对象名单按月公开台账，明确专人负责", "closed_late")],
         3: [("hbj", "对第三季度逾期未公开的环评审批结果逐项补充公开", "overdue"),
             ("daohe", "落实公开任务签收制度，任务下达后3个工作日内签收", "submitted")]}
# The office's own document numbers are shared with its other documents and restart each year (the
# fourth quarter's bulletin goes out in January).
DOC_SEQ = {1: 2, 2: 7, 3: 12, 4: 1}


def _weekday_before(day: date) -> date:
    """``day``, or the Friday before when it falls at a weekend."""
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _moment(day: date, hour: int) -> datetime:
    return min(datetime.combine(day, time(hour), tzinfo=CHINA), utcnow())


def _backdate(item: Rectification, day: date, hour: int) -> None:
    """Date the item's latest step on the day it happened (the services stamp 'now')."""
    event = db.session.scalar(select(RectificationEvent).where(RectificationEvent.rectification_id == item.id)
                              .order_by(RectificationEvent.id.desc()))
    event.at = _moment(day, hour)
    response = db.session.scalar(select(RectificationResponse).where(
        RectificationResponse.rectification_id == item.id).order_by(RectificationResponse.id.desc()))
    if response is not None:
        if event.action == "respond":
            response.submitted_at = _moment(day, hour)
        elif event.action in ("accept", "return"):
            response.decided_at = _moment(day, hour)


def _run_round(kind, title, day, scope, method, plan, units, users, office, today):
    inspection = ins.create_inspection(ins.InspectionData(
        kind, title, day, scope, method, "抽查各单位政府网站及公开栏，总体情况较好，部分单位存在更新不及时、内容不全的问题。",
        [units[code].id for code, *_ in plan if code in units]), office, today)
    inspection.created_at = _moment(day, 17)
    for code, finding_text, requirement, how in plan:
        if code not in units:
            continue
        issued = day + timedelta(days=1)
        finding = ins.Finding(inspection_id=inspection.id, unit_id=units[code].id, description=finding_text,
                              created_by_id=office.id, created_at=_moment(day, 17))
        db.session.add(finding)
        db.session.flush()
        days = 40 if how == "open" else 10  # a structural fix is given longer
        item = ins.issue_rectification(units[code], requirement, days, office, today, source="inspection",
                                       title=f"{title}：{finding_text}", inspection=inspection, finding=finding,
                                       issued_on=issued, announce=False)
        _backdate(item, issued, 9)
        _play(item, how, users.get(f"{code}-lly"), office, today)
    return inspection


def _play(item, how, contact, office, today):
    """Walk one item to the state its plan says, each step on a plausible past day."""
    due = item.due_date
    if how in ("open", "overdue") or contact is None:
        return
    if how == "cancelled":
        ins.cancel(item, office, "经复核，该栏目由上级部门统一维护，不属于本单位整改范围。")
        _backdate(item, item.issued_on + timedelta(days=2), 15)
        return
    first = due - timedelta(days=3) if how != "closed_late" else due + timedelta(days=6)
    if how == "submitted":  # answered in the last days: the office has not yet got round to it
        first = today - timedelta(days=2)
    first = _weekday_before(min(max(first, item.issued_on), today))
    ins.respond(item, contact, "已按要求整改，整改后页面截图见附件。", [("整改后页面截图.png", PNG)], first)
    _backdate(item, first, 16)
    if how == "submitted":
        return
    decided = min(first + timedelta(days=2), today)
    if how == "returned":
        ins.return_item(item, office, "截图未显示发布日期和栏目位置，请补充完整截图后重新报送。")
        _backdate(item, decided, 10)
        return
    ins.accept(item, office, "经复查，已整改到位。")
    _backdate(item, decided, 10)


def _urged_before(task: Task, office, on: date, message: str) -> None:
    """督办 of a task that has been published since (late): written as it was on ``on``, while the
    task was still open and overdue (the service urges only what is open today)."""
    db.session.add(Urging(record_type="task", record_id=task.id, unit_id=task.unit_id, record_label=task.title[:300],
                          due_date=task.due_date, overdue=True, message=message, urged_on=on,
                          created_by_id=office.id, created_at=_moment(on, 10)))


def _urge_some(office, today) -> int:
    """督办 on some records that are overdue now, dated a few working days after their deadline, and
    in each past quarter on a task that went out late only after it was urged."""
    made = 0
    message = "请于3个工作日内完成公开并在平台登记，逾期原因报公开办。"
    late = [t for t in db.session.scalars(select(Task).where(Task.published_on > Task.due_date)
                                          .order_by(Task.due_date, Task.id))
            if t.published_on > t.due_date + timedelta(days=7)]
    quarters = {Quarter.containing(today)}
    for task in late:  # one in each past quarter, so that each bulletin lists some
        on = add_workdays(task.due_date, 2).day
        if Quarter.containing(task.due_date) not in quarters and on < task.published_on:
            quarters.add(Quarter.containing(task.due_date))
            _urged_before(task, office, on, message)
            made += 1
    overdue = db.session.scalars(select(Task).where(Task.state.in_(OPEN_STATES), Task.due_date < today - timedelta(days=10))
                                 .order_by(Task.due_date, Task.id)).all()
    tasks = overdue[:2]
    apps = db.session.scalars(select(Application).where(Application.state == "open",
                                                        Application.due_date < today - timedelta(days=3))
                              .order_by(Application.due_date).limit(1)).all()
    items = db.session.scalars(select(Rectification).where(Rectification.state.in_(("open", "returned")),
                                                           Rectification.due_date < today).limit(1)).all()
    targets = [("task", t) for t in tasks] + [("application", a) for a in apps] + [("rectification", r) for r in items]
    messages = {"task": "请于3个工作日内完成公开并在平台登记，逾期原因报公开办。",
                "application": "请今日内答复申请人，并报告逾期原因。",
                "rectification": "整改已逾期，请分管领导督促，3个工作日内报送整改情况。"}
    for n, (kind, record) in enumerate(targets):
        on = min(add_workdays(record.due_date, 2 + n % 3).day, today)
        urged = urging.urge(kind, record.id, office, messages[kind], on)
        urged.created_at = _moment(on, 10)
        made += 1
    # the first task's unit is urged again later in the same quarter: repeated 督办
    if tasks:
        on = min(add_workdays(tasks[0].due_date, 7).day, today)
        if on != min(add_workdays(tasks[0].due_date, 2).day, today):
            urging.urge("task", tasks[0].id, office, "再次督办：仍未公开，请说明原因。", on).created_at = _moment(on, 15)
            made += 1
    return made


def _bulletins(office, today) -> int:
    """The bulletin of every quarter of this year that has ended, published a week into the next."""
    made = 0
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    for q in range(1, 5):
        quarter = Quarter(record_year(today), q)
        if not quarter.has_ended(today):
            break
        drafted = first_workday(quarter.next())
        if drafted > today:
            break
        bulletin, _ = bulletins.draft(quarter, drafted, refresh=False)
        bulletin.created_at = _moment(drafted, 8)
        bulletins.edit_narrative(bulletin, office, NARRATIVE)
        plans = [(code, requirement, how) for code, requirement, how in ITEMS.get(q, []) if code in units]
        for code, requirement, _ in plans:
            bulletins.add_item(bulletin, office, units[code].id, requirement, 10)
        published = add_workdays(drafted, 4).day
        if published <= today:
            bulletins.publish(bulletin, office, DOC_SEQ[q], published, today, announce=False)
            bulletin.published_at = _moment(published, 16)
            for item, (code, _, how) in zip(bulletin.items, plans):
                rectification = db.session.get(Rectification, item.rectification_id)
                _backdate(rectification, published, 16)
                _play(rectification, how, db.session.scalar(select(User).where(User.username == f"{code}-lly")),
                      office, today)
        made += 1
    return made


def load_supervision_demo(today: date | None = None) -> int:
    """Load the demo supervision records unless an inspection exists; returns inspections made."""
    if db.session.scalar(select(Inspection.id).limit(1)):
        return 0
    today = today or china_today()
    users = {u.username: u for u in db.session.scalars(select(User))}
    office = users.get("office")
    if office is None:
        return 0
    bulletins.save_settings(SETTINGS, office)
    units = {u.code: u for u in db.session.scalars(select(Unit).where(Unit.active.is_(True)))}
    q2 = Quarter(record_year(today), 2)
    if q2.has_ended(today):
        _run_round("regular", f"{q2.year}年上半年政务公开工作定期检查", q2.start + timedelta(days=40),
                   "公开目录落实情况、财政预决算和重大建设项目信息公开", "调阅台账，抽查政府网站和公开栏", REGULAR_ROUND, units,
                   users, office, today)
    website_day = today - timedelta(days=45)
    _run_round("special", f"{website_day.year}年政府网站信息公开专项检查", website_day,
               "财政预决算、社会救助、重点领域信息公开栏目", "网站抽查所列栏目，逐条核对公开目录", WEBSITE_ROUND, units, users, office,
               today)
    _urge_some(office, today)
    db.session.flush()
    return db.session.scalar(select(db.func.count(Inspection.id)))


def load_bulletins_demo(today: date | None = None) -> int:
    """Load the demo bulletins unless one exists (after the scores, so that a quarter whose scores
    were published carries them); returns the bulletins made."""
    from ..bulletins.models import Bulletin

    if db.session.scalar(select(Bulletin.id).limit(1)):
        return 0
    office = db.session.scalar(select(User).where(User.username == "office"))
    if office is None:
        return 0
    made = _bulletins(office, today or china_today())
    db.session.flush()
    return made


__all__ = ["load_bulletins_demo", "load_supervision_demo", "Urging"]
