"""Demo proactive disclosure: a catalogue for every demo unit and a realistic 2026 up to today, in
the review order (先审查、后公开) — mostly drafted, approved, published on time and verified; some
late, some overdue and still open, some not acknowledged, drafts in review or returned, approved
drafts not yet published, verifications failed and corrected (or still waiting for the
correction), cancelled items — with timelines that read like real work.

Records are created with the models directly (states set coherently, TaskEvents written); the
function does nothing when a catalogue already exists, so ``flask demo`` can run again.
"""
import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from ..accounts.models import User
from ..disclosure import services
from ..disclosure.models import Duty, KeyArea, Task, TaskChannel, TaskEvent
from ..extensions import db
from ..timeutil import CHINA, china_today, utcnow
from ..units.models import Unit
from .season import record_year

# (title, key area, cadence, frequency, formation offset days, channels, review required)
COMMON_DEPARTMENT = [
    ("部门预算公开", "财政预决算", "periodic", "yearly", 40, ["website"], True),
    ("部门决算公开", "财政预决算", "periodic", "yearly", 200, ["website"], True),
    ("“三公”经费预决算情况", "三公经费", "periodic", "yearly", 40, ["website", "gazette"], True),
    ("政府采购项目信息", "政府采购", "adhoc", None, 0, ["website"], False),
    ("随机抽查事项清单", "市场监管", "standing", "halfyearly", 0, ["website"], True),
]
COMMON_TOWN = [
    ("镇级预算公开", "财政预决算", "periodic", "yearly", 45, ["website", "other"], True),
    ("农村低保和特困供养对象名单", "社会救助", "periodic", "monthly", 4, ["website", "other"], True),
    ("农村危房改造对象公示", "棚户区改造/农村危房改造/保障性住房", "periodic", "quarterly", 10, ["other", "wechat"], True),
    ("重大建设项目进展", "重大建设项目", "adhoc", None, 0, ["website"], False),
]
SPECIFIC = {
    "mzj": [("城乡低保资金发放情况", "社会救助", "periodic", "monthly", 5, ["website", "wechat"], True),
            ("临时救助情况", "社会救助", "adhoc", None, 0, ["website"], True)],
    "czj": [("全市财政预算执行情况", "财政预决算", "periodic", "quarterly", 15, ["website", "gazette"], True),
            ("减税降费政策落实情况", "减税降费", "periodic", "halfyearly", 10, ["website", "weibo"], False)],
    "hbj": [("重点排污单位名录", "环境保护", "standing", "yearly", 0, ["website"], True),
            ("建设项目环评审批结果", "环境保护", "adhoc", None, 0, ["website"], False)],
    "rsj": [("就业创业补贴发放情况", "就业创业", "periodic", "quarterly", 10, ["website", "wechat"], True)],
    "jyj": [("义务教育招生入学政策", "教育", "periodic", "yearly", 120, ["website", "wechat", "weibo"], True)],
    "wsjsj": [("医疗机构执业登记信息", "医疗卫生", "adhoc", None, 0, ["website"], False)],
    "scjgj": [("“双随机”抽查结果", "市场监管", "periodic", "quarterly", 20, ["website"], True)],
    "zjj": [("保障性住房分配结果", "棚户区改造/农村危房改造/保障性住房", "adhoc", None, 0, ["website", "other"], True),
            ("工程招标投标信息", "工程招标", "adhoc", None, 0, ["website"], False)],
    "gtj": [("土地征收启动公告", "土地征收和出让", "adhoc", None, 0, ["website", "other"], True)],
    "fpb": [("扶贫资金项目公告公示", "扶贫", "periodic", "quarterly", 7, ["website", "other"], True)],
    "wjj": [("行政事业性收费目录清单", "价格收费", "standing", "yearly", 0, ["website"], True)],
    "ajj": [("安全生产行政处罚信息", "安全生产", "adhoc", None, 0, ["website", "wechat"], False)],
    "fzj": [("国有土地上房屋征收决定", "房屋征收", "adhoc", None, 0, ["website", "gazette"], True)],
}
RETURN_REASONS = ["文号填写有误，请核对后重新提交。", "附件中含有个人身份证号码，请做隐私处理后再提交。",
                  "标题与正文不一致，请修改。", "拟公开渠道应增加政务微信，请补充。"]
APPROVAL_COMMENTS = ["同意公开。已进行保密审查，不涉及国家秘密。", "同意，按拟定渠道发布。",
                     "同意公开，注意同步更新政务微信。"]
FAIL_REASONS = ["网址无法打开（404），请核实发布位置。", "页面缺少附件（明细表），内容不完整。",
                "网址指向栏目首页，而非该条信息的页面。"]
FAIL_REASONS_OFFLINE = ["公示栏中未见该信息，请补充张贴并拍照留存。", "政务微信中未找到该条信息。"]
CANCEL_REASONS = ["经核实，该信息属于过程性信息，不纳入主动公开。", "该事项已由上级部门统一公开，本单位不再重复公开。"]
PRIVATE_AREAS = ("社会救助", "扶贫", "棚户区改造/农村危房改造/保障性住房")


def _at(day: date, hour: int, now: datetime) -> datetime:
    """A China-time moment on ``day`` as aware UTC, never later than now."""
    moment = datetime.combine(day, time(hour, 0), tzinfo=CHINA)
    return min(moment, now)


def _weekday_on_or_before(day: date, floor: date) -> date:
    while day.weekday() >= 5 and day > floor:
        day -= timedelta(days=1)
    return day


def _workday_after(day: date, today: date) -> date:
    """``day``, or the Monday after when it falls at a weekend; never after ``today``."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return min(day, today)


def load_disclosure_demo(today: date | None = None) -> int:
    """Create the demo catalogue and the year's tasks unless a catalogue exists; returns tasks made."""
    if db.session.scalar(select(func.count(Duty.id))):
        return 0
    services.ensure_key_areas()
    today = today or china_today()
    now = utcnow()
    areas = {a.name: a.id for a in db.session.scalars(select(KeyArea))}
    units = db.session.scalars(select(Unit).where(Unit.kind != "office", Unit.active.is_(True))
                               .order_by(Unit.id)).all()
    users = {u.username: u for u in db.session.scalars(select(User))}
    office = users.get("office")
    made = 0
    for unit in units:
        rng = random.Random(f"disclosure-{unit.code}")
        items = (COMMON_TOWN if unit.kind == "town" else COMMON_DEPARTMENT) + SPECIFIC.get(unit.code, [])
        duties = []
        for title, area, cadence, frequency, offset, channels, review in items:
            duty = Duty(unit_id=unit.id, title=title, key_area_id=areas[area], cadence=cadence, frequency=frequency,
                        formation_offset_days=offset, period_days=20, channels=channels, review_required=review,
                        start_date=date(record_year(today), 1, 1), active=True,
                        note="依据《政府信息公开条例》第二十条、第二十一条" if cadence != "adhoc" else None)
            db.session.add(duty)
            duties.append(duty)
        db.session.flush()
        contact, reviewer = users.get(f"{unit.code}-lly"), users.get(f"{unit.code}-shr")
        showcase = list(SHOWCASE.get(unit.code, []))
        for duty in duties:
            for key, formed, title in _occasions(duty, today, rng):
                _make_task(duty, key, formed, title, today, now, rng, contact, reviewer, office, showcase)
                made += 1
    db.session.flush()
    return made


def _occasions(duty: Duty, today: date, rng: random.Random):
    """(period key, formation date, title) of each task the duty had this year."""
    if duty.cadence != "adhoc":
        for key, formed in services.due_periods(duty, today):
            yield key, formed, services.periodic_title(duty, key)
        return
    start = date(record_year(today), 1, 5)
    span = (today - start).days
    for n in range(1, rng.randint(3, 6) + 1):
        formed = _weekday_on_or_before(start + timedelta(days=rng.randint(0, span)), start)
        yield None, formed, f"{duty.title}（{formed.month}月第{n}项）"


class _Timeline:
    """The events of one demo task, each at least a minute after the one before."""

    def __init__(self, task, now):
        self.task, self.now, self.events, self.last = task, now, [], None

    def add(self, action, from_state, to_state, actor, day, hour, reason=None):
        at = _at(day, hour, self.now)
        if self.last is not None and at <= self.last:
            at = min(self.last + timedelta(minutes=7), self.now)
        self.last = at
        self.events.append((action, from_state, to_state, actor, at, reason))
        return at


# Work still open past its deadline is recent: a unit that let a task slip is pressed (督办) and
# publishes within weeks, so nothing in the demo sits overdue for months.
OPEN_OVERDUE_DAYS = 45
# Work in hand that the demo accounts named in the README show whatever the random draw: the first
# tasks not yet due (of duties reviewed before publishing) of these units are at these stages.
SHOWCASE = {"mzj": ["in_review", "approved"], "czj": ["in_review", "returned"], "dongning": ["in_review"],
            "suiyang": ["returned", "approved"]}


def _plan(duty, due, today, rng, showcase: list[str]) -> str:
    r = rng.random()
    if due >= today and duty.review_required and showcase:
        return showcase.pop(0)
    if due < today:
        if r < 0.02:
            return "cancel"
        if r < 0.72:
            return "on_time"
        if r < 0.85:
            return "late"
        if due < today - timedelta(days=OPEN_OVERDUE_DAYS):  # slipped long ago: published since, mostly late
            return "late" if r < 0.93 else "on_time"
        return rng.choice(["pending_ack", "acknowledged", "returned" if duty.review_required else "acknowledged",
                           "approved" if duty.review_required else "acknowledged", "rework"])
    return rng.choice(["pending_ack", "pending_ack", "acknowledged", "in_review" if duty.review_required
                       else "acknowledged", "approved" if duty.review_required else "early", "early",
                       "returned" if duty.review_required else "early", "rework"])


def _make_task(duty, key, formed, title, today, now, rng, contact, reviewer, office, showcase):
    answer = services.deadline_for(formed, duty.period_days)
    task = Task(duty_id=duty.id, unit_id=duty.unit_id, key_area_id=duty.key_area_id, title=title, period_key=key,
                formed_date=formed, period_days=duty.period_days, review_required=duty.review_required,
                due_date=answer.day, due_provisional=answer.provisional, state="pending_ack",
                created_at=_at(formed, 8, now))
    db.session.add(task)
    db.session.flush()
    line = _Timeline(task, now)
    line.add("open", None, "pending_ack", None, formed, 8)
    due = task.due_date
    plan = _plan(duty, due, today, rng, showcase)
    if plan == "pending_ack":
        return _finish(task, line)
    ack_day = min(formed + timedelta(days=rng.randint(0, 3)), today)
    task.acknowledged_at = line.add("acknowledge", "pending_ack", "acknowledged", contact, ack_day, 10)
    if plan == "acknowledged":
        return _finish(task, line)
    if plan == "on_time":
        published = _weekday_on_or_before(formed + timedelta(days=rng.randint(1, max(1, (due - formed).days))),
                                          ack_day)
    elif plan in ("late", "rework"):
        published = _workday_after(due + timedelta(days=rng.randint(1, 20)), today) if plan == "late" else \
            _weekday_on_or_before(min(due - timedelta(days=2), today), ack_day)
    else:  # in review, returned, approved, cancelled, published early: worked on in the last days
        published = _weekday_on_or_before(min(today, ack_day + timedelta(days=rng.randint(1, 10))), ack_day)
    published = max(published, ack_day)
    if duty.review_required:
        done = _review(task, duty, line, plan, ack_day, published, today, rng, contact, reviewer, office)
        if done:
            return _finish(task, line)
    elif plan == "cancel":
        task.cancel_reason = rng.choice(CANCEL_REASONS)
        line.add("cancel", "acknowledged", "cancelled", office, ack_day + timedelta(days=2), 15, task.cancel_reason)
        return _finish(task, line)
    _fill_record(task, duty, published, rng)
    line.add("publish", line.events[-1][2], "published", contact, published, 16)
    _office_check(task, line, plan, published, today, rng, contact, office)
    return _finish(task, line)


def _review(task, duty, line, plan, ack_day, published, today, rng, contact, reviewer, office) -> bool:
    """Draft, review (perhaps a return first), approval; True when the task stops before publishing."""
    approve_day = max(ack_day, _weekday_on_or_before(published - timedelta(days=rng.randint(0, 2)), ack_day))
    draft_day = max(ack_day, _weekday_on_or_before(approve_day - timedelta(days=rng.randint(0, 2)), ack_day))
    _fill_draft(task, duty, rng, plan)
    line.add("submit", "acknowledged", "in_review", contact, draft_day, 11)
    if plan == "in_review":
        return True
    if plan == "returned" or rng.random() < 0.12:
        task.return_reason = rng.choice(RETURN_REASONS)
        line.add("return", "in_review", "returned", reviewer, draft_day, 14, task.return_reason)
        if plan == "returned":
            return True
        task.return_reason = None
        line.add("submit", "returned", "in_review", contact, approve_day, 9)
    task.review_comment = rng.choice(APPROVAL_COMMENTS) if plan != "cancel" else "同意不予公开的意见，请报公开办。"
    task.approved_on = approve_day
    line.add("approve", "in_review", "approved", reviewer, approve_day, 15, task.review_comment)
    if plan == "approved":
        return True
    if plan == "cancel":
        task.cancel_reason = f"经单位审核，该信息{task.attribute_label}：{task.attribute_reason}"
        line.add("cancel", "approved", "cancelled", office, approve_day + timedelta(days=2), 15, task.cancel_reason)
        return True
    return False


def _office_check(task, line, plan, published, today, rng, contact, office):
    """The office's verification within two weeks of publication (the last days' still waiting);
    some failed (and corrected, or not yet)."""
    if plan == "rework" or (published < today - timedelta(days=20) and rng.random() < 0.1):
        fail_day = min(published + timedelta(days=rng.randint(2, 5)), today)
        task.verify_failures = 1
        task.verify_failure_reason = rng.choice(FAIL_REASONS if task.url else FAIL_REASONS_OFFLINE)
        line.add("fail_verification", "published", "rework", office, fail_day, 16, task.verify_failure_reason)
        if plan == "rework":
            return
        fixed = min(fail_day + timedelta(days=rng.randint(1, 4)), today)
        if task.url:
            task.url = task.url.replace(".html", "_1.html")
        line.add("republish", "rework", "published", contact, fixed, 10)
        line.add("verify", "published", "verified", office, min(fixed + timedelta(days=3), today), 16,
                 "整改后已核对，网址有效、内容完整。")
        return
    checked = published + timedelta(days=rng.randint(3, 14))  # the office checks within two weeks
    if checked <= today:
        line.add("verify", "published", "verified", office, checked, 16, "已登录政府网站核对，信息完整。")


def _fill_draft(task, duty, rng, plan):
    area = task.key_area.name if task.key_area else ""
    task.draft_text = (f"{task.title}\n\n根据《中华人民共和国政府信息公开条例》第二十条的规定，现将{task.title}"
                       "予以公开。具体内容见附件。\n\n附件：明细表")
    task.draft_channels = list(duty.channels)
    if plan == "cancel":
        task.disclosure_attribute = "not_public"
        task.attribute_reason = "涉及个人隐私，依据条例第十五条不予公开。"
        return
    task.disclosure_attribute = "proactive"
    task.no_state_secret = True
    if area in PRIVATE_AREAS:
        task.privacy, task.redaction_note = "redacted", "公示名单隐去身份证号码中间8位，不公开家庭住址和联系电话。"
    else:
        task.privacy = "absent"
    if duty.cadence == "adhoc" and rng.random() < 0.5:
        task.doc_number = f"东政办发〔{task.formed_date.year}〕{rng.randint(1, 120)}号"
        task.normative = rng.random() < 0.3


def _fill_record(task, duty, published, rng):
    task.published_on = published
    channels = list(duty.channels) if rng.random() < 0.8 else list(duty.channels)[:1]
    for channel in channels:
        db.session.add(TaskChannel(task_id=task.id, channel=channel))
    if "website" in channels:
        task.url = f"https://www.dongning.gov.cn/zwgk/{published:%Y%m}/t{published:%Y%m%d}_{task.id}.html"
    if not duty.review_required and duty.cadence == "adhoc" and rng.random() < 0.5:
        task.doc_number = f"东政办发〔{published.year}〕{rng.randint(1, 120)}号"
        task.normative = rng.random() < 0.3


def _finish(task, line):
    """Write the timeline; the task ends in the last event's state."""
    for action, from_state, to_state, actor, at, reason in line.events:
        db.session.add(TaskEvent(task_id=task.id, action=action, from_state=from_state, to_state=to_state,
                                 actor_id=actor.id if actor else None,
                                 actor_label=actor.display_name if actor else "系统", at=at, reason=reason))
    task.state = line.events[-1][2]
    return task
