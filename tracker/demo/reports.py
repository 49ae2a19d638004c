"""Demo annual reports: last year's reports of every unit handed in and accepted (two late, one
returned once before it was accepted) and the city report finalised; this year's in progress (some
units drafting, some in review, one approved, the rest not started). Also the table 二 figures from
other systems and the normative documents issued before the tracker.

Created through the real workflow, then dated back to the January they happened in. Does nothing
when reports exist already, so ``flask demo`` can run again.
"""
import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from ..accounts.models import User
from ..extensions import db
from ..reports import normative, services, workflow
from ..reports.models import AnnualReport
from ..timeutil import CHINA, china_today
from ..units.models import Unit
from .season import record_year

MANAGEMENT = [
    "拟公开信息由科室初审、办公室复审、分管领导终审，三级审核后方可发布",
    "保密审查与公开审查同步进行，全年未发生泄密事件",
    "按季度动态调整政府信息公开目录，清理过时栏目内容",
    "公文拟制时即标注主动公开、依申请公开或不予公开属性",
    "开展规范性文件集中清理，对不再适用的文件宣布废止并公开废止目录",
    "建立信息发布台账，逐条登记发布时间、渠道和网址",
    "对涉及个人隐私的名单类信息统一做去标识化处理",
    "明确各股室信息员，负责本股室信息的收集和报送",
]
PLATFORMS = [
    "门户网站信息公开专栏按照标准目录重新梳理栏目",
    "政务微信公众号开设政策解读专栏，推送图解和短视频",
    "便民服务大厅设置政府信息查阅点，配备自助查询终端",
    "村务公开栏统一制作，惠民资金发放情况按月张贴",
    "利用广播电视台《政务时间》栏目解读重大政策",
    "在政务服务网同步公开办事指南和办理结果",
    "网站无障碍改造完成，方便老年人和残疾人浏览",
    "依托政务热线收集群众关注的问题并在网站集中答复",
]
OVERSIGHT = [
    "政府信息公开工作纳入股室年度绩效考核，分值占比百分之五",
    "邀请人大代表、政协委员和群众代表开展社会评议，满意度较高",
    "对公开办季度通报指出的问题建立整改清单，逐项销号",
    "全年组织业务培训两次，覆盖全体信息员",
    "对逾期发布信息的股室进行约谈提醒，全年未发生责任追究情形",
    "主要负责同志专题听取政务公开工作汇报，研究解决具体问题",
]
PROBLEMS = [
    "个别栏目更新不够及时，部分信息公开时限把握不准",
    "政策解读形式较为单一，图解、视频等形式运用不足",
    "依申请公开答复文书的规范性有待加强",
    "基层公开事项标准目录落实不够细",
    "信息员队伍变动较大，业务熟练程度参差不齐",
    "重点领域信息公开的深度不够，群众关注的资金使用情况公开不够细",
    "网站部分历史信息链接失效，检索功能不够便捷",
    "政策发布与解读不同步，个别文件解读滞后",
]
IMPROVEMENTS = [
    "建立栏目责任人制度，按周检查更新情况",
    "制作政策图解和短视频，丰富解读形式",
    "统一答复文书模板，由法律顾问审核把关",
    "对照标准目录逐项梳理公开事项",
    "组织新任信息员跟班学习",
    "对失效链接集中排查修复",
]


def _moment(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=CHINA)


def _person(unit: Unit, role: str) -> User | None:
    return db.session.scalar(select(User).where(User.unit_id == unit.id, User.role == role, User.active.is_(True))
                             .order_by(User.id))


def _narrative(rng: random.Random, report: AnnualReport, year: int) -> None:
    """The drafts, with the qualitative parts written differently from unit to unit."""
    lines = report.overview.splitlines()
    picks = [rng.sample(MANAGEMENT, 3), rng.sample(PLATFORMS, 3), rng.sample(OVERSIGHT, 2)]
    for i, prefix in enumerate(("（三）", "（四）", "（五）")):
        for n, line in enumerate(lines):
            if line.startswith(prefix):  # keep the heading (and for （五） the figures), rewrite the rest
                kept = line.split("。")[:2 if prefix == "（五）" else 1]
                lines[n] = "。".join(kept) + "。" + "；".join(picks[i]) + "。"
    report.overview = "\n".join(lines)
    problems, improved = rng.sample(PROBLEMS, 3), rng.sample(IMPROVEMENTS, 2)
    report.problems = (f"存在的主要问题：一是{problems[0]}；二是{problems[1]}；三是{problems[2]}。\n"
                       f"改进情况：针对上年度报告提出的问题，{report.unit.name}{improved[0]}，{improved[1]}。\n"
                       f"下一步，将围绕{year + 1}年政务公开工作要点，进一步提升公开质量和实效。")


def _entered(rng: random.Random, units, office, year: int) -> None:
    for unit in units + [office]:
        towns = unit.kind == "town"
        values = {"two/licence/decisions": rng.randint(0, 40 if towns else 260),
                  "two/penalty/decisions": rng.randint(0, 8 if towns else 90),
                  "two/enforcement/decisions": rng.randint(0, 3 if towns else 12),
                  "two/fee/amount": f"{rng.randint(0, 3000) / 100:.2f}" if not towns else "0"}
        services.save_figures(unit, year, {k: str(v) for k, v in values.items()}, None, source="import")


def _legacy_documents(rng: random.Random, units, office_user: User) -> None:
    for unit in units[::3]:
        for n in range(rng.randint(1, 3)):
            issued = date(rng.randint(2017, 2024), rng.randint(1, 12), rng.randint(1, 28))
            doc = normative.add_document(unit, f"{unit.name}关于规范相关管理工作的若干规定（{n + 1}）",
                                         f"东{unit.code}规〔{issued.year}〕{n + 1}号", issued, "normative", office_user)
            if n == 0 and rng.random() < 0.4:
                normative.repeal(doc, date(2025, rng.randint(3, 11), 15), "经清理，已不适应当前工作需要", office_user)


def load_reports_demo(today: date | None = None) -> int:
    """Last year's reports handed in and accepted, the city's finalised; this year's in progress."""
    if db.session.scalar(select(AnnualReport.id).limit(1)):
        return 0
    today = today or china_today()
    rng = random.Random(2025)
    last, this = record_year(today) - 1, record_year(today)
    office = db.session.scalar(select(Unit).where(Unit.kind == "office"))
    office_user = db.session.scalar(select(User).where(User.role == "office").order_by(User.id))
    units = services.reporting_units()
    if office is None or office_user is None or not units:
        return 0
    _legacy_documents(rng, units, office_user)
    for year in (last, this):
        _entered(rng, units, office, year)
    services.set_due_date(last, date(this, 1, 20), office_user)
    if today >= date(this, 11, 1):
        services.set_due_date(this, date(this + 1, 1, 20), office_user)
    count = 0
    for i, unit in enumerate(units):
        contact, reviewer = _person(unit, "contact"), _person(unit, "reviewer")
        if contact is None or reviewer is None:
            continue
        count += _hand_in_last_year(rng, i, unit, last, contact, reviewer, office_user)
    city = workflow.start_report(last, None, office_user)
    _city_narrative(city, last)
    workflow.finalize_city(city, office_user)
    city.finalized_at = _moment(date(this, 3, 20), 16)
    for i, unit in enumerate(units[:12]):
        _this_year(rng, i, unit, this)
    db.session.flush()
    return count


PAPER = "系统上线前（1月至10月）以纸质方式收到并办理的申请"


def _paper_applications(rng, report, contact) -> None:
    """The tracker went live late in the year: the months before are added by hand, consistently."""
    n = rng.randint(1, 6)
    content = workflow.content_of(report)
    for row in ("new", "grant", "total"):
        for col in ("natural", "total"):
            cell = f"three/{row}/{col}"
            workflow.set_override(report, cell, str(content.computed[cell] + n), PAPER, contact)
    workflow.fill_drafts(report, workflow.content_of(report), contact)


def _city_narrative(report: AnnualReport, year: int) -> None:
    lines = report.overview.splitlines()
    for n, line in enumerate(lines):
        if "【" in line:
            head = line.split("。")[0]
            lines[n] = head + "。" + {
                "（三）": "全市统一使用政务公开监督平台登记公开事项和发布记录，公开办每季度核验并通报。",
                "（四）": "市政府门户网站改版上线，按照标准目录设置“政府信息公开”专栏，各单位子栏目统一规范。",
                "（五）": "政务公开纳入全市目标考核，公开办开展季度通报和专项检查，组织社会评议一次，全年未发生责任追究情形。",
            }.get(head[:3], "")
    report.overview = "\n".join(lines)
    report.problems = (f"存在的主要问题：一是部分单位信息公开时效性不强；二是各单位年度报告质量参差不齐；"
                       f"三是基层政务公开标准化规范化工作有待深化。\n"
                       f"改进情况：{year}年起使用政务公开监督平台，公开期限按工作日自动计算并逐级提醒，逾期发布明显减少。\n"
                       f"下一步，将加强对各单位的业务指导和督查考核，推动政务公开工作提质增效。")


def _hand_in_last_year(rng, i, unit, year, contact, reviewer, office_user) -> int:
    report = workflow.start_report(year, unit, contact)
    _paper_applications(rng, report, contact)
    _narrative(rng, report, year)
    workflow.submit_for_review(report, contact)
    workflow.approve(report, reviewer)
    day = date(year + 1, 1, 8) + timedelta(days=i % 10)
    if i in (5, 17):   # two units hand in after the internal due date
        day = date(year + 1, 1, 23 + i % 3)
    first = workflow.submit(report, contact)
    _date(first, day, 10)
    if i == 3:         # returned once, then handed in again
        workflow.return_report(report, "第五部分未对照上年度报告提出的问题说明整改情况，请补充。", office_user)
        first.decided_at = _moment(day + timedelta(days=1), 9)
        report.problems += "\n对照上年度报告提出的“栏目更新不及时”问题，已建立栏目责任人制度，按周检查更新。"
        workflow.submit_for_review(report, contact)
        workflow.approve(report, reviewer)
        again = workflow.submit(report, contact)
        _date(again, day + timedelta(days=3), 15)
        day += timedelta(days=3)
    workflow.accept(report, office_user)
    report.last_submission.decided_at = _moment(day + timedelta(days=1), 11)
    return 1


def _date(submission, day: date, hour: int) -> None:
    submission.submitted_at, submission.submitted_on = _moment(day, hour), day
    submission.late = submission.due_date is not None and day > submission.due_date


def _this_year(rng, i, unit, year) -> None:
    contact, reviewer = _person(unit, "contact"), _person(unit, "reviewer")
    if contact is None or reviewer is None:
        return
    report = workflow.start_report(year, unit, contact)
    _narrative(rng, report, year)
    if i % 4 in (1, 2):
        workflow.submit_for_review(report, contact)
    if i % 4 == 2:
        workflow.approve(report, reviewer)
