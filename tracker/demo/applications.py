"""Demo applications (依申请公开): about a year of them, through the real services, ending today.

Dates are counted back from today so that the demo always loads (services refuse future legal
dates): the oldest are received about a year ago and carried over into this year. Every state and
every outcome row of table 三 appears, some replies are late, one correction request is late, and
a few reconsiderations / lawsuits are recorded.
"""
import random
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from ..accounts.models import User
from ..applications import services
from ..applications.outcomes import OUTCOMES, SWEEP_ONLY
from ..extensions import db
from ..timeutil import china_today
from ..units.models import Unit
from ..workcal.services import add_workdays

TOPICS = [
    ("2025年城乡低保资金发放明细", "请公开2025年度本镇城乡低保对象名单及资金发放明细。"),
    ("老旧小区改造项目招标文件", "请公开东宁市2026年老旧小区改造项目的招标公告及中标结果。"),
    ("房屋征收补偿方案", "请公开绥阳镇棚户区改造项目房屋征收补偿安置方案及评估报告。"),
    ("2026年部门预算", "请公开本部门2026年部门预算及“三公”经费预算说明。"),
    ("环境影响评价批复", "请公开某化工项目的环境影响评价报告书及批复文件。"),
    ("学校布局调整方案", "请公开2026年城区中小学布局调整规划。"),
    ("行政处罚决定书", "请公开对某公司作出的行政处罚决定书（文号不详，2026年3月）。"),
    ("土地征收批复", "请公开三岔口镇某村集体土地征收的批准文件及一书四方案。"),
    ("医保定点机构名单", "请公开本市医保定点医疗机构名单及考核结果。"),
    ("道路建设资金使用情况", "请公开东宁镇某道路建设项目的资金来源、预算及决算情况。"),
]
NAMES = ["王建华", "李秀梅", "张国强", "刘晓东", "陈丽", "杨帆", "赵志刚", "黄海", "周敏", "吴磊", "徐静", "孙浩"]
ORGS = [("commercial", "东宁市恒达建材有限公司"), ("research", "黑龙江省农业科学院牡丹江分院"),
        ("public_welfare", "东宁市绿色家园环保协会"), ("legal_service", "黑龙江正平律师事务所"),
        ("other", "东宁市个体劳动者协会")]

# (unit code, days ago received, applicant kind or None for a person, script)
# script: list of (action, working days after the previous step, arguments)
GRANTS = [k for k in OUTCOMES if k not in SWEEP_ONLY and k != "other.other"]


def _script(rng: random.Random) -> list[tuple]:
    """Every outcome once, in applications spread over the past year, plus every open state."""
    plans = []
    units = ["mzj", "czj", "dongning", "suiyang", "zjj", "hbj", "jyj", "sanchakou"]
    for i, outcome in enumerate(GRANTS + ["grant", "grant", "partial", "grant"]):
        steps = []
        if i % 5 == 1:
            steps.append(("consultation", 3, {}))
            steps.append(("consultation_answer", 8, {}))
        if i % 7 == 2:
            steps.append(("extension", 15, {}))
        late = i % 6 == 0
        steps.append(("reply", 25 if late else rng.randint(3, 14), {"outcome": outcome}))
        plans.append((units[i % len(units)], 330 - i * 13, None if i % 3 else ORGS[i % 5][0], steps))
    plans += [
        ("mzj", 360, None, [("reply", 12, {"outcome": "grant"})]),            # carried over, closed this year
        ("czj", 352, "commercial", [("reply", 18, {"outcome": "partial"})]),
        ("dongning", 345, None, [("reply", 24, {"outcome": "grant"})]),       # carried over, replied late
        ("suiyang", 200, None, [("correction", 9, {}), ("lapse", 0, {})]),      # 逾期不补正 (request late)
        ("zjj", 150, "commercial", [("fee", 5, {}), ("lapse", 0, {})]),         # 逾期未缴费
        ("hbj", 120, None, [("correction", 3, {}), ("correction_received", 5, {}),
                            ("reply", 10, {"outcome": "unable.still_unclear"})]),
        ("mzj", 90, None, [("withdraw", 4, {})]),
        ("czj", 40, None, [("fee", 4, {}), ("payment", 6, {}), ("reply", 5, {"outcome": "grant"})]),
        ("mzj", 45, None, []),                                                  # overdue, still open
        ("dongning", 18, None, [("consultation", 2, {})]),                     # 征求意见中
        ("suiyang", 12, None, [("correction", 2, {})]),                        # 补正中
        ("czj", 10, "legal_service", [("fee", 3, {})]),                        # 待缴费
        ("jyj", 8, None, [("return", 1, {})]),                                  # 退回公开办
        ("mzj", 3, None, []),
        ("czj", 1, "research", []),
    ]
    return plans


def _people(code):
    contact = db.session.scalar(select(User).where(User.username == f"{code}-lly"))
    reviewer = db.session.scalar(select(User).where(User.username == f"{code}-shr"))
    return contact, reviewer


def _step(app, action, day, args, contact, reviewer, office, rng) -> bool:
    """Carry out one step on ``day``; False when the step cannot happen yet (a future date)."""
    today = china_today()
    if day > today:
        return False
    if action == "reply" and args.get("entry_reason"):  # entered late from the paper file: a 补录
        delivered = min(add_workdays(day, 2).day, today)
        current_app.config["APPLICATION_LATE_ENTRY_DAYS"] = 3
        try:
            services.reply(app, args["outcome"], day, "post", delivered, "已按申请人要求的形式提供。", actor=contact,
                           entry_reason=args["entry_reason"])
        finally:
            current_app.config["APPLICATION_LATE_ENTRY_DAYS"] = None
    elif action == "reply":
        delivered = min(add_workdays(day, 2).day, today)
        services.reply(app, args["outcome"], day, "post", delivered, "已按申请人要求的形式提供。", actor=contact)
    elif action == "consultation":
        services.start_consultation(app, day, "third_party", "东宁市恒达建材有限公司", actor=contact)
    elif action == "consultation_answer":
        services.end_consultation(app, day, "第三方同意公开。", actor=contact)
    elif action == "extension":
        services.extend(app, 15, min(day, app.due_date), min(day, app.due_date), "需要调取历年档案，工作量较大。",
                        actor=reviewer)
    elif action == "correction":
        services.request_correction(app, day, add_workdays(day, 10).day, "请写明所需信息的具体名称或文号。",
                                    actor=contact)
    elif action == "correction_received":
        services.receive_correction(app, day, actor=contact)
    elif action == "fee":
        services.send_fee_notice(app, day, day, "volume", rng.choice([120, 250, 80]), actor=contact)
    elif action == "payment":
        services.record_payment(app, day, actor=contact)
    elif action == "withdraw":
        services.withdraw(app, day, "申请人书面撤回申请。", actor=contact)
    elif action == "return":
        services.return_to_office(app, "所申请信息由市自然资源局制作保存，不属于本单位职责。", actor=contact)
    elif action == "lapse":
        services.close_lapsed_applications(today)
    return True


# Replies entered late (补录) from the paper file, by application number, with the reason given.
LATE_REPLIES = {2: "答复书已按时邮寄，经办人漏录，据邮寄回执补登", 13: "经办人病休，答复书底稿今日交回后补登"}


def load_demo_applications() -> int:
    """Create the demo applications unless some exist; returns how many were created.

    The year's acts are entered as on their own days (the 补录 rules are off while they load),
    except two replies entered late from the paper file (补录, with their reasons), which the
    supervision page lists."""
    from ..applications.models import Application
    if db.session.scalar(select(Application.id).limit(1)):
        return 0
    rules = current_app.config.get("APPLICATION_LATE_ENTRY_DAYS", 3)
    current_app.config["APPLICATION_LATE_ENTRY_DAYS"] = None
    try:
        created = _load_year()
    finally:
        current_app.config["APPLICATION_LATE_ENTRY_DAYS"] = rules
    return created


def _load_year() -> int:
    rng = random.Random(2026)
    today = china_today()
    office = db.session.scalar(select(User).where(User.username == "office"))
    created = 0
    for n, (code, days_ago, kind, steps) in enumerate(_script(rng)):
        unit = db.session.scalar(select(Unit).where(Unit.code == code))
        contact, reviewer = _people(code)
        received = today - timedelta(days=days_ago)
        while received.weekday() >= 5:  # handed in or signed for on a working day, not at a weekend
            received -= timedelta(days=1)
        title, description = TOPICS[n % len(TOPICS)]
        org = dict(ORGS).get(kind) if kind else None
        person = NAMES[n % len(NAMES)]
        data = {"channel": ["in_person", "signed_post", "letter", "email", "fax"][n % 5], "receipt_date": received,
                "unit_id": unit.id, "applicant_kind": kind or "natural", "applicant_name": org or person,
                "id_number": (f"91231024MA{n:08d}" if kind else f"2310241980{(n % 12) + 1:02d}15{n:03d}{n % 10}"),
                "contact_person": person if kind else None, "phone": f"1390453{n:04d}",
                "address": "黑龙江省东宁市东宁镇", "title": title, "description": f"{description}（第{n + 1}件）",
                # some applicants give an email address: their letters go out through the outbox
                "email": f"applicant{n + 1}@example.com" if n % 4 == 0 else None,
                "form_wanted": ["paper", "electronic", "email"][n % 3], "delivery_wanted": ["post", "email"][n % 2]}
        app, _ = services.register_application(data, actor=contact)
        created += 1
        day = received
        for action, gap, args in steps:
            day = add_workdays(day, gap).day if gap else day
            if action == "reply" and n in LATE_REPLIES:
                args = {**args, "entry_reason": LATE_REPLIES[n]}
            if not _step(app, action, day, args, contact, reviewer, office, rng):
                break
        if n % 11 == 3 and app.is_closed:
            filed = app.closed_on + timedelta(days=20)
            if filed <= today:
                result = "corrected" if n % 2 else "upheld"
                decided = filed + timedelta(days=60)
                services.add_case(app, "reconsideration" if n % 3 else "lawsuit_direct", filed,
                                  result if decided <= today else "pending", decided if decided <= today else None,
                                  actor=contact)
    # two online applications waiting for the office
    for i, (title, description) in enumerate(TOPICS[:2]):
        services.submit_online({"applicant_kind": "natural", "applicant_name": NAMES[i], "phone": "13904530000",
                                "id_number": f"23102419900101{i:03d}X", "title": title,
                                "description": description + "（网上申请）", "form_wanted": "electronic",
                                "delivery_wanted": "email", "email": f"applicant{i}@example.com"}, "127.0.0.1")
        created += 1
    # and one the office marked as junk (无效申请（垃圾提交）)
    junk, _ = services.submit_online({"applicant_kind": "natural", "applicant_name": "asdf", "phone": "13900000000",
                                      "id_number": "231024199001019999", "title": "aaaaaaaa",
                                      "description": "aaaaaaaaaaaaaaaa", "form_wanted": "electronic",
                                      "delivery_wanted": "email", "email": "spam@example.com"}, "127.0.0.2")
    services.discard_online([junk], "自动批量提交的无意义内容", actor=office)
    created += 1
    db.session.flush()
    return created
