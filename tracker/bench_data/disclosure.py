"""Generated proactive disclosure: each unit's catalogue and every task it had since the first year.

Periodic and standing duties get exactly the tasks ``services.due_periods`` says are due by today
(so the open-tasks sweep finds nothing to catch up); ad hoc duties fill the rest of the total.
States come from the constants of ``disclosure.models`` (``STATES``, ``OPEN_STATES``,
``DONE_STATES``), not from a list of names here: open states are taken to be listed in workflow
order (the first is the state a task opens in), done states likewise (published before verified);
any other state is a terminal "not published" state (cancelled).
"""
from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

from ..audit.models import AuditEvent
from ..disclosure import models as dm
from ..disclosure import services
from ..disclosure.models import Duty, KeyArea, Task, TaskChannel, TaskEvent
from ..extensions import db
from ..workcal.models import DeadlineChange
from ..workcal.services import get_calendar
from .base import Context

# (title, key area, cadence, frequency, formation offset days, channels, review required)
PERIODIC = [
    ("城乡低保资金发放情况", "社会救助", "periodic", "monthly", 5, ["website", "wechat"], True),
    ("财政收支情况", "财政预决算", "periodic", "monthly", 12, ["website"], True),
    ("行政处罚信息汇总", "市场监管", "periodic", "monthly", 8, ["website"], False),
    ("重大建设项目进展", "重大建设项目", "periodic", "monthly", 10, ["website", "other"], True),
    ("价格监测信息", "价格收费", "periodic", "monthly", 3, ["website", "weibo"], False),
    ("就业创业补贴发放情况", "就业创业", "periodic", "monthly", 6, ["website", "wechat"], True),
    ("安全生产检查情况", "安全生产", "periodic", "monthly", 7, ["website"], False),
    ("环境质量状况", "环境保护", "periodic", "monthly", 9, ["website", "weibo", "wechat"], True),
    ("预算执行情况", "财政预决算", "periodic", "quarterly", 15, ["website", "gazette"], True),
    ("“双随机”抽查结果", "市场监管", "periodic", "quarterly", 20, ["website"], True),
    ("扶贫资金项目公告公示", "扶贫", "periodic", "quarterly", 7, ["website", "other"], True),
    ("农村危房改造对象公示", "棚户区改造/农村危房改造/保障性住房", "periodic", "quarterly", 10, ["other", "wechat"], True),
    ("重点项目投资进度", "重大建设项目", "periodic", "quarterly", 12, ["website"], False),
    ("减税降费政策落实情况", "减税降费", "periodic", "halfyearly", 10, ["website", "weibo"], False),
    ("随机抽查事项清单", "市场监管", "standing", "halfyearly", 0, ["website"], True),
    ("权责清单复核", "其他", "standing", "yearly", 0, ["website"], True),
    ("部门预算公开", "财政预决算", "periodic", "yearly", 40, ["website"], True),
    ("部门决算公开", "财政预决算", "periodic", "yearly", 200, ["website"], True),
    ("“三公”经费预决算情况", "三公经费", "periodic", "yearly", 40, ["website", "gazette"], True),
    ("年度工作要点", "其他", "periodic", "yearly", 60, ["website"], False),
    ("医疗机构执业登记信息汇总", "医疗卫生", "periodic", "monthly", 4, ["website"], False),
    ("义务教育招生入学政策", "教育", "periodic", "yearly", 120, ["website", "wechat", "weibo"], True),
]
ADHOC = [
    ("政府采购项目信息", "政府采购", ["website"], False),
    ("临时救助情况", "社会救助", ["website"], True),
    ("建设项目环评审批结果", "环境保护", ["website"], False),
    ("工程招标投标信息", "工程招标", ["website"], False),
    ("土地征收启动公告", "土地征收和出让", ["website", "other"], True),
    ("行政处罚决定", "市场监管", ["website"], False),
    ("重大行政决策预公开", "其他", ["website", "wechat"], True),
    ("国有土地上房屋征收决定", "房屋征收", ["website", "gazette"], True),
]
PERIODIC_SHARE = 0.72  # of all tasks; ad hoc tasks make up the rest
RETURN_REASONS = ["文号填写有误，请核对后重新提交。", "附件中含有个人身份证号码，请做隐私处理后再提交。",
                  "网址无法打开，请确认已在政府网站正式发布。"]
CANCEL_REASONS = ["经核实，该信息属于过程性信息，不纳入主动公开。", "该事项已由上级部门统一公开，本单位不再重复公开。"]
# Action names of the transitions into a state, for the timeline; unknown states use the state name.
ACTIONS = {"acknowledged": "acknowledge", "in_review": "submit", "returned": "return", "published": "approve",
           "verified": "verify", "cancelled": "cancel"}


def workflow():
    """(initial state, open states in order, done states in order, terminal states) from the constants."""
    open_states = list(dm.OPEN_STATES)
    done_states = list(dm.DONE_STATES)
    terminal = [s for s in dm.STATES if s not in open_states and s not in done_states]
    return open_states[0], open_states, done_states, terminal


def load_disclosure(ctx: Context) -> None:
    services.ensure_key_areas()
    areas = {a.name: a.id for a in db.session.scalars(db.select(KeyArea))}
    first, today = ctx.days()
    rng = ctx.rng("catalogue")
    duties: list[SimpleNamespace] = []

    def new_duty(unit, title, area, cadence, frequency, offset, channels, review, start, active=True, end=None):
        d = SimpleNamespace(id=ctx.next_id("disclosure_duty"), unit=unit, title=title, key_area_id=areas[area], cadence=cadence,
                            frequency=frequency, formation_offset_days=offset, period_days=20, channels=channels,
                            review_required=review, start_date=start, active=active, end=end, periods=[])
        duties.append(d)
        return d

    # Periodic duties, one per unit per round, until they carry their share of the tasks.
    pools = {u.id: rng.sample(PERIODIC, len(PERIODIC)) for u in ctx.units}
    target = round(ctx.scale.tasks * PERIODIC_SHARE)
    periodic = 0
    for round_ in range(len(PERIODIC)):
        for unit in ctx.units:
            if periodic >= target:
                break
            title, area, cadence, frequency, offset, channels, review = pools[unit.id][round_]
            late_start = rng.random() < 0.2
            start = first + timedelta(days=rng.randint(30, 1200)) if late_start else first
            retired = rng.random() < 0.04
            end = start + timedelta(days=rng.randint(200, 900)) if retired else None
            d = new_duty(unit, title, area, cadence, frequency, offset, channels, review, start, not retired, end)
            d.periods = [(k, f) for k, f in services.due_periods(d, today) if end is None or f < end]
            periodic += len(d.periods)
        if periodic >= target:
            break
    # Ad hoc duties: every unit has some; the remaining tasks fall on them, busier units more.
    adhoc_by_unit = {}
    for unit in ctx.units:
        adhoc_by_unit[unit.id] = [new_duty(unit, t, a, "adhoc", None, 0, ch, rv, first)
                                  for t, a, ch, rv in rng.sample(ADHOC, rng.randint(2, 4))]
    ctx.insert(Duty, [{
        "id": d.id, "unit_id": d.unit.id, "title": d.title, "key_area_id": d.key_area_id, "cadence": d.cadence,
        "frequency": d.frequency, "formation_offset_days": d.formation_offset_days, "period_days": d.period_days,
        "channels": d.channels, "review_required": d.review_required, "start_date": d.start_date,
        "note": None if d.cadence == "adhoc" else "依据《政府信息公开条例》第二十条、第二十一条", "active": d.active,
        "created_at": ctx.at(d.start_date, 9)} for d in duties])

    occasions = [(d, key, formed, services.periodic_title(d, key)) for d in duties for key, formed in d.periods]
    remaining = max(0, ctx.scale.tasks - len(occasions))
    span = (today - first).days
    weights = [u.weight for u in ctx.units]
    counter: dict[int, int] = {}
    for unit in rng.choices(ctx.units, weights=weights, k=remaining):
        d = rng.choice(adhoc_by_unit[unit.id])
        # Later years are busier: the day is drawn with a density rising over the span.
        formed = first + timedelta(days=int(span * (rng.random() ** 0.8)))
        formed = ctx.weekday_on_or_before(formed, first)
        counter[d.id] = counter.get(d.id, 0) + 1
        occasions.append((d, None, formed, f"{d.title}（{formed:%Y年%m月%d日}，第{counter[d.id]}项）"))
    occasions.sort(key=lambda o: (o[2], o[0].id))

    fate_rng = ctx.rng("tasks")
    calendar = get_calendar()
    for duty, key, formed, title in occasions:
        _task(ctx, fate_rng, calendar, duty, key, formed, title)
    ctx.flush()


def _fate(rng, due: date, today: date, review: bool, wf) -> str:
    """The state a task is in today: old work is done, recent work partly open, some overdue."""
    initial, open_states, done_states, terminal = wf
    if terminal and rng.random() < 0.015:
        return terminal[0]
    age = (today - due).days
    if age > 60:
        still_open = rng.random() < 0.004      # forgotten, long overdue
    elif age >= 0:
        still_open = rng.random() < 0.15       # recently due: some are late
    else:
        still_open = rng.random() < 0.75       # not yet due: most still in progress
    if not still_open:
        if len(done_states) > 1 and age > 40 and rng.random() < 0.55:
            return done_states[-1]
        return done_states[0]
    choices = open_states if review else [s for s in open_states if open_states.index(s) < 2] or open_states
    weights = [0.4, 0.35, 0.18, 0.07, 0.05, 0.05][:len(choices)]
    return rng.choices(choices, weights=weights)[0]


def _task(ctx: Context, rng, calendar, duty, key, formed: date, title: str) -> None:
    wf = workflow()
    initial, open_states, done_states, terminal = wf
    today = ctx.today
    answer = calendar.add(formed, duty.period_days)
    due = answer.day
    state = _fate(rng, due, today, duty.review_required, wf)
    unit = duty.unit
    contact = unit.contacts[0] if unit.contacts else None
    reviewer = unit.reviewers[0] if unit.reviewers else None
    office = ctx.office_users[0]
    task_id = ctx.next_id("disclosure_task")
    opened = ctx.at(formed, 8)
    row = {"id": task_id, "duty_id": duty.id, "unit_id": unit.id, "key_area_id": duty.key_area_id, "title": title[:300],
           "period_key": key, "formed_date": formed, "period_days": duty.period_days,
           "review_required": duty.review_required, "due_date": due, "due_provisional": answer.provisional,
           "state": state, "note": None, "acknowledged_at": None, "published_on": None, "url": None,
           "doc_number": None, "normative": False, "return_reason": None, "cancel_reason": None,
           "created_at": opened, "created_by_id": None}
    # The path through the workflow up to ``state``: (to_state, actor, day).
    ack_day = min(formed + timedelta(days=rng.randint(0, 3)), today)
    path = []
    published = None
    if state in done_states:
        late = rng.random() < 0.13
        if late:
            published = min(due + timedelta(days=rng.randint(1, 25)), today)
        else:
            published = formed + timedelta(days=rng.randint(1, max(1, (due - formed).days)))
            published = min(max(ctx.weekday_on_or_before(published, ack_day), ack_day), today)
        path.append((open_states[1], contact, ack_day))
        if duty.review_required and len(open_states) > 2:
            path.append((open_states[2], contact, max(ack_day, published - timedelta(days=1))))
        path.append((done_states[0], reviewer if duty.review_required else contact, published))
        if state != done_states[0]:
            path.append((state, office, min(published + timedelta(days=rng.randint(3, 30)), today)))
    elif state in open_states:
        k = open_states.index(state)
        for i, s in enumerate(open_states[1:k + 1], start=1):
            day = min(ack_day + timedelta(days=2 * (i - 1)), today)
            path.append((s, reviewer if i >= 3 else contact, day))
        if k >= 2:  # the record was submitted: it carries the publication details
            published = min(ack_day + timedelta(days=rng.randint(0, 5)), today)
    else:  # a terminal state other than done (cancelled)
        if rng.random() < 0.6:
            path.append((open_states[1], contact, ack_day))
        path.append((state, office, min(ack_day + timedelta(days=2), today)))
        row["cancel_reason"] = rng.choice(CANCEL_REASONS)
    if path and path[0][0] == open_states[1] and len(open_states) > 1:
        row["acknowledged_at"] = ctx.at(path[0][2], 10)
    if "return" in state:
        row["return_reason"] = rng.choice(RETURN_REASONS)
    if published is not None:
        row["published_on"] = published
        channels = duty.channels if rng.random() < 0.8 else duty.channels[:1]
        if "website" in channels:
            row["url"] = f"https://www.bench.gov.cn/zwgk/{published:%Y%m}/t{published:%Y%m%d}_{task_id}.html"
        if duty.cadence == "adhoc" and rng.random() < 0.5:
            row["doc_number"] = f"{unit.name[:2]}发〔{published.year}〕{rng.randint(1, 200)}号"
            row["normative"] = rng.random() < 0.3
    _review_record(row, state, path, published, open_states, rng)
    ctx.add(Task, row)
    if published is not None:
        for channel in channels:
            ctx.add(TaskChannel, {"task_id": task_id, "channel": channel})
    ctx.add(DeadlineChange, {"id": ctx.next_id("deadline_change"), "object_type": Task.__tablename__,
                             "object_id": task_id, "old_due": None, "new_due": due, "old_provisional": False,
                             "new_provisional": answer.provisional,
                             "reason": "周期性事项，生成任务" if key else "信息形成，生成任务", "actor_id": None,
                             "at": opened})
    _events(ctx, task_id, title, [("open", None, initial, None, opened)] + [
        (ACTIONS.get(to, to), None, to, actor, ctx.at(day, 10 + i)) for i, (to, actor, day) in enumerate(path)],
        row)


def _events(ctx: Context, task_id: int, title: str, steps: list, row: dict) -> None:
    previous = None
    for action, _, to_state, actor, at in steps:
        label = ctx.user_names.get(actor, "系统") if actor else "系统"
        reason = row["return_reason"] if "return" in to_state else row["cancel_reason"] if action == "cancel" else None
        ctx.add(TaskEvent, {"id": ctx.next_id("disclosure_task_event"), "task_id": task_id, "action": action,
                            "from_state": previous, "to_state": to_state, "actor_id": actor, "actor_label": label,
                            "at": at, "reason": reason})
        ctx.add(AuditEvent, {"id": ctx.next_id("audit_event"), "at": at, "actor_id": actor, "actor_label": label,
                             "action": "disclosure.task_open" if action == "open" else f"disclosure.{action}",
                             "object_type": Task.__tablename__, "object_id": str(task_id),
                             "object_label": title[:200], "before": {"state": previous} if previous else None,
                             "after": {"state": to_state}, "note": reason, "ip": None})
        previous = to_state


# Columns of the review order (先审查、后公开) and of verification, filled where the model has them:
# a task that went through review carries its review record; one whose check failed, the failure.
REVIEW_COLUMNS = {c.name for c in Task.__table__.columns}


def _review_record(row: dict, state: str, path: list, published, open_states: list, rng) -> None:
    # executemany needs the same keys in every row
    row.update({c: None for c in ("disclosure_attribute", "no_state_secret", "privacy", "approved_on",
                                  "verify_failure_reason") if c in REVIEW_COLUMNS})
    reviewed = published is not None and len(open_states) > 2 and any(s == open_states[2] for s, _, _ in path)
    if reviewed or (published is not None and state not in open_states[:3]):
        if "disclosure_attribute" in REVIEW_COLUMNS:
            row["disclosure_attribute"] = next(iter(getattr(dm, "ATTRIBUTES", {"proactive": ""})))
        if "no_state_secret" in REVIEW_COLUMNS:
            row["no_state_secret"] = True
        if "privacy" in REVIEW_COLUMNS:
            row["privacy"] = next(iter(getattr(dm, "PRIVACY", {"absent": ""})))
        if "approved_on" in REVIEW_COLUMNS and (state in dm.DONE_STATES or state in ("approved", "rework")):
            row["approved_on"] = published  # passed review (the states after it, where the model has them)
    if "verify_failures" in REVIEW_COLUMNS:
        failed = state == "rework"  # published, then the office's check failed (核验未通过)
        row["verify_failures"] = 1 if failed else 0
        if failed and "verify_failure_reason" in REVIEW_COLUMNS:
            row["verify_failure_reason"] = rng.choice(["网址无法打开。", "网页内容与公开事项不符。"])
