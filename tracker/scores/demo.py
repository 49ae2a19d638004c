"""Demo scores: two years of quarterly scores of the demo city, computed by the real engine from
the demo records, reviewed by the office (manual findings, bonuses, a few voids), published a few
working days after each quarter, with objections in every state; the year 2025 published; the
current quarter and year provisional. The 2026 rubric gets a second version after its first
quarter was published. Does nothing when scores exist, so ``flask demo`` can run again.

Only the latest objection still waiting for an answer tells the office (the bell and a mail); the
history is loaded quietly.
"""
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from ..accounts.models import User
from ..extensions import db
from ..timeutil import CHINA, china_today
from ..units.models import Unit
from ..workcal.services import add_workdays
from . import items, rubrics, services
from .models import ManualEntry, Score, ScoreItem, ScorePeriod
from .periods import Period, quarter_of

# (category, type key, points, reason): what an office finds when it checks the units' websites.
FINDINGS = [
    ("organisation", "training", "3", "本季度未组织政务公开业务培训，也未参加市级培训。"),
    ("organisation", "training", "2", "政务公开工作制度（保密审查、发布协调）未按新条例修订。"),
    ("proactive", "content", "1", "政府信息公开专栏“重点领域信息”子栏目空白。"),
    ("proactive", "content", "1", "“政策文件”栏目超过3个月未更新。"),
    ("proactive", "content", "1", "机构职能信息未随机构改革调整。"),
    ("applications", "reply_document", "1", "答复书未告知申请人复议、诉讼的救济途径和期限。"),
    ("applications", "reply_document", "1", "答复书未加盖行政机关印章。"),
    ("interpretation", "finding", "1", "重要政策文件印发后未同步发布解读材料。"),
    ("interpretation", "finding", "1", "政务微信留言超过10个工作日未回复。"),
]
LEAK = ("confidentiality", "leak", "10", "公开的城乡低保对象名单含完整身份证号码和家庭住址，已责令撤下整改。")
BONUSES = [("2", "“政府开放日”活动被市政府办公室通报表扬。"), ("1", "低保资金公示做法被省政府网站转载推广。"),
           ("1", "政策解读采用图解、短视频等形式，阅读量居全市前列。"), ("0.5", "主动公开重大建设项目批准和实施信息，做法规范。")]
OBJECTIONS = [
    ("该栏目内容已于检查前一周更新，附网页截图及发布日志。", True, "经核实网站发布日志，检查时栏目已更新，撤销该项扣分。"),
    ("该任务期间系统账号被锁定，无法登记，已电话报告公开办。", False, "账号锁定当天已解锁，仍有时间按期公开，维持扣分。"),
    ("答复书已告知救济途径，见第二页。", False, "第二页为送达回证，答复书正文未告知救济途径，维持扣分。"),
    ("本单位8月已组织培训，附签到表。", True, "签到表属实，撤销该项扣分。"),
]


def _moment(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=CHINA)


def load_scores_demo(today: date | None = None) -> int:
    """Load the demo scores unless any exist; returns the number of periods made."""
    if db.session.scalar(select(func.count(ScorePeriod.id))):
        return 0
    today = today or china_today()
    office = db.session.scalar(select(User).where(User.username == "office"))
    units = db.session.scalars(select(Unit).where(Unit.kind != "office", Unit.active.is_(True))
                               .order_by(Unit.code)).all()
    if office is None or not units:
        return 0
    rng = random.Random("scores-demo")
    current = quarter_of(today)
    quarters = [Period(y, q) for y in (current.year - 1, current.year) for q in range(1, 5)]
    # only quarters the demo records reach: a quarter with nothing due gives every unit full marks
    # and is not published (services.publish)
    ended = [q for q in quarters if q < current and services.records_due(q)]
    to_publish = [q for q in ended if _publish_day(q) < today]
    made = 0
    for quarter in ended:
        final_day = add_workdays(quarter.end, 1).day
        row = services.compute(quarter, final_day, announce=False).period
        made += 1
        if quarter not in to_publish:  # computed, awaiting the office's review
            continue
        _review(quarter, units, office, final_day, rng)
        services.compute(quarter, final_day, announce=False)
        publish_day = _publish_day(quarter)
        services.publish(row, office, publish_day, now=_moment(publish_day, 16), announce=False)
        _objections(row, rng, office, publish_day, pending=quarter == to_publish[-1])
        if quarter == Period(current.year, 1):
            _second_rubric_version(current.year, office)
        if quarter.quarter == 4:  # the year, published with its last quarter
            year = services.compute(quarter.year_period(), final_day, announce=False).period
            services.publish(year, office, publish_day, now=_moment(publish_day, 17), announce=False)
            made += 1
    services.compute(current, today, announce=False)
    services.compute(current.year_period(), today, announce=False)
    db.session.flush()
    return made + 2


def _publish_day(quarter: Period) -> date:
    """Final figures on the first working day after the quarter; published three working days later."""
    return add_workdays(add_workdays(quarter.end, 1).day, 3).day


def _review(quarter: Period, units, office, day: date, rng: random.Random) -> None:
    """The office's findings and highlights of the quarter, entered on the day of the final figures."""
    for unit in units:
        findings = [f for f in FINDINGS if rng.random() < 0.07]
        if rng.random() < 0.01:
            findings.append(LEAK)
        for category, type_key, points, reason in findings:
            _entry(items.add_manual(unit, quarter, category, type_key, points, reason, office, day), day)
        if rng.random() < 0.12:
            points, reason = rng.choice(BONUSES)
            _entry(items.add_manual(unit, quarter, "bonus", "highlight", points, reason, office, day), day)


def _entry(entry: ManualEntry, day: date) -> None:
    entry.created_at = _moment(day, 11)


def _objections(row: ScorePeriod, rng: random.Random, office, published: date, pending: bool) -> None:
    """A few units object; older objections are answered (accepted or rejected), the latest quarter
    keeps one waiting for the office."""
    candidates = db.session.scalars(select(ScoreItem).join(Score, ScoreItem.score_id == Score.id).where(
        Score.period_id == row.id, ScoreItem.category != "bonus", ScoreItem.void_id.is_(None))
        .order_by(ScoreItem.id)).all()
    rng.shuffle(candidates)
    contacts = {u.unit_id: u for u in db.session.scalars(select(User).where(User.role == "contact"))}
    filed = published + timedelta(days=1)
    for n, item in enumerate(candidates[:2 if pending else rng.randint(1, 2)]):
        who = contacts.get(item.score.unit_id)
        if who is None:
            continue
        reason, accept, reply = OBJECTIONS[(row.id + n) % len(OBJECTIONS)]
        waiting = pending and n == 0
        objection = items.file_objection(item, who, reason, filed, announce=waiting)
        objection.filed_at = _moment(filed, 9 + n)
        if waiting:
            continue
        items.decide_objection(objection, accept, reply, office, announce=False)
        objection.decided_at = _moment(add_workdays(filed, 2).day, 15)


def _second_rubric_version(year: int, office) -> None:
    """After the first quarter was published, the office weighs unacknowledged tasks more: the
    rubric in use becomes version 2 (the published quarter keeps version 1)."""
    rubric = rubrics.rubric_for_year(year, office)
    spec = rubrics.spec_of(rubric)
    for _, setting in spec.rule_settings():
        if setting.kind == "not_acknowledged":
            setting.points = Decimal(1)
    rubrics.save(rubric, spec, office, "二季度起，未按时签收每项扣1分（市政务公开领导小组会议决定）")

