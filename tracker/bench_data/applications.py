"""Generated applications (依申请公开) over the whole history, with their clock events.

Each application gets a course (pauses, an extension, the reply or another end) and its deadline
is computed by the real clock (``applications.clock.compute_deadline``) from those events, so the
stored ``due_date`` / ``pause_due`` are what the services would have stored. Old applications are
closed; recent ones are running, paused (correction, consultation, fee — each pause still within
its own deadline, so the close-lapsed sweep has nothing to catch up), sent back to the office,
awaiting confirmation (online) or already answered. Every outcome row of table 三 appears.
"""
from __future__ import annotations

from datetime import timedelta

from ..applications import clock
from ..applications.models import Application, ApplicationCase, ApplicationEvent
from ..applications.outcomes import OUTCOMES, SWEEP_ONLY
from ..applications.services import CODE_ALPHABET, hash_query_password
from ..audit.models import AuditEvent
from ..workcal.models import DeadlineChange
from ..workcal.services import get_calendar
from .base import Context

TOPICS = ["城乡低保资金发放明细", "老旧小区改造项目招标文件", "房屋征收补偿方案", "部门预算及“三公”经费",
          "环境影响评价批复", "中小学布局调整规划", "行政处罚决定书", "集体土地征收批准文件", "医保定点机构考核结果",
          "道路建设资金使用情况", "拆迁安置人员名单", "企业排污许可信息", "养老机构补贴发放", "规划许可证及附图",
          "信访事项处理意见", "食品抽检结果"]
PEOPLE = ["王建华", "李秀梅", "张国强", "刘晓东", "陈丽", "杨帆", "赵志刚", "黄海", "周敏", "吴磊", "徐静", "孙浩"]
ORGS = {"commercial": "恒达建材有限公司", "research": "农业科学院分院", "public_welfare": "绿色家园环保协会",
        "legal_service": "正平律师事务所", "other": "个体劳动者协会"}
KIND_WEIGHTS = {"natural": 80, "commercial": 8, "research": 1, "public_welfare": 2, "legal_service": 7, "other": 2}
CHANNEL_WEIGHTS = {"in_person": 20, "signed_post": 30, "letter": 5, "online": 30, "fax": 2, "email": 13}
# Outcome weights by group, spread evenly over each group's leaves (lapse closures come from the course).
GROUP_WEIGHTS = {"grant": 40, "partial": 14, "deny": 9, "unable": 24, "reject": 8, "other": 5}
RECENT_DAYS = 45


def _outcome_weights():
    keys = [k for k in OUTCOMES if k not in SWEEP_ONLY and k != "other.other"]
    groups = {}
    for k in keys:
        groups.setdefault(OUTCOMES[k].group, []).append(k)
    weights = [GROUP_WEIGHTS.get(OUTCOMES[k].group, 1) / len(groups[OUTCOMES[k].group]) for k in keys]
    return keys, weights


def _code(n: int, year: int) -> str:
    """A unique tracking code per n: n scrambled by a bijection of 0..31**6-1."""
    base = len(CODE_ALPHABET)
    m = base ** 6
    x = (n * 387_420_489 + 12_345) % m   # multiplier coprime to 31**6
    chars = []
    for _ in range(6):
        x, r = divmod(x, base)
        chars.append(CODE_ALPHABET[r])
    return f"YSQ-{year}-{''.join(chars)}"


def load_applications(ctx: Context) -> None:
    rng = ctx.rng("applications")
    calendar = get_calendar()
    first, today = ctx.days()
    span = (today - first).days
    password_hash = hash_query_password("BENCH00000")
    outcomes, outcome_weights = _outcome_weights()
    kinds, kind_weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
    channels, channel_weights = list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values())
    units = ctx.units
    unit_weights = [u.weight for u in units]
    repeaters = [f"2301021975{m:02d}0{k}123{k % 10}" for m in range(1, 13) for k in range(1, 4)]

    for n in range(ctx.scale.applications):
        app_id = ctx.next_id("application")
        # Rising volume over the years; the most recent weeks get their normal share of new work.
        received = first + timedelta(days=int(span * (rng.random() ** 0.85)))
        force_pause = None
        if n < max(3, ctx.scale.applications // 40):  # the last weeks' intake, so that work is open now
            received = today - timedelta(days=rng.randint(0, RECENT_DAYS))
            if n % 8 < 3:  # and some of it paused now, of each kind
                force_pause = ("correction", "consultation", "fee")[n % 8]
                received = today - timedelta(days=rng.randint(0, 10))
        unit = rng.choices(units, weights=unit_weights)[0]
        kind = rng.choices(kinds, weights=kind_weights)[0]
        channel = rng.choices(channels, weights=channel_weights)[0]
        person = PEOPLE[n % len(PEOPLE)]
        id_number = (rng.choice(repeaters) if rng.random() < 0.03 else
                     f"23{rng.randint(1000, 9999)}19{rng.randint(50, 99)}{rng.randint(1, 12):02d}"
                     f"{rng.randint(1, 28):02d}{rng.randint(100, 999)}{rng.choice('0123456789X')}")
        if kind != "natural":
            id_number = f"91230100MA{n:08d}"
        row = {"id": app_id, "tracking_code": _code(n, received.year), "query_password_hash": password_hash,
               "channel": channel, "receipt_date": received, "state": "open", "unit_id": unit.id,
               "applicant_kind": kind, "applicant_name": f"{unit.name[:2]}{ORGS[kind]}" if kind in ORGS else person,
               "id_number": id_number, "contact_person": person if kind != "natural" else None,
               "phone": f"139{n:08d}", "email": f"applicant{n}@example.com" if rng.random() < 0.4 else None,
               "address": f"{unit.name}辖区某路{rng.randint(1, 300)}号",
               "title": TOPICS[n % len(TOPICS)], "description": f"请公开{TOPICS[n % len(TOPICS)]}（第{n + 1}件申请）。",
               "form_wanted": rng.choice(["paper", "email", "electronic"]),
               "delivery_wanted": rng.choice(["pickup", "post", "email", "online"]),
               "due_date": None, "due_provisional": False, "pause_kind": None, "pause_due": None,
               "correction_late": False, "fee_amount": None, "outcome": None, "reply_date": None,
               "reply_delivery": None, "closed_on": None, "reply_late": False, "reply_note": None,
               "online": channel == "online", "submit_ip": f"10.{n % 250}.{n // 250 % 250}.7" if channel == "online"
               else None, "created_by_id": None if channel == "online" else (unit.contacts or [None])[0],
               "created_at": ctx.at(received, 9)}
        events = [("submitted" if channel == "online" else "registered", received, None)]
        if channel == "online":
            events.append(("confirmed", received, ctx.office_users[0]))
        recent = (today - received).days <= RECENT_DAYS
        draw = rng.random() if recent and channel == "online" else 1.0
        if draw < 0.06:
            # submitted online, not yet confirmed by the office: no receipt date, no unit, no clock;
            # a quarter of them the office marked as junk (无效申请（垃圾提交）)
            row.update(state="discarded" if draw < 0.015 else "pending", receipt_date=None, unit_id=None,
                       created_by_id=None)
            _write(ctx, row, events[:1], title=row["title"])
            continue
        _course(ctx, rng, calendar, row, events, unit, recent, outcomes, outcome_weights, force_pause)
        _write(ctx, row, events, title=row["title"])
        if row["closed_on"] and row["state"] == "replied" and rng.random() < 0.015:
            _case(ctx, rng, row)
    ctx.flush()


def _course(ctx, rng, calendar, row, events, unit, recent, outcomes, outcome_weights, force_pause=None) -> None:
    """What happened to the application: pauses, extension, reply or another end."""
    today, received = ctx.today, row["receipt_date"]
    contact = (unit.contacts or [None])[0]
    clock_events: list[clock.ClockEvent] = []

    def step(kind, day, actor=contact, **details):
        events.append((kind, day, actor, details))
        if kind in clock.CLOCK_KINDS:
            clock_events.append(clock.ClockEvent(kind, day, details))

    def workday(start, n):
        return calendar.add(start, n).day

    def first(day):  # a forced pause starts by today
        return min(day, today) if force_pause else day

    # Pauses are commoner among the open work of the last weeks than over the whole history, as
    # paused applications stay open longer; each kind appears in both.
    r = rng.random() * (0.55 if recent else 1.0)
    pause = ("correction" if r < 0.08 else "consultation" if r < 0.14 else "fee" if r < 0.17 else None)
    pause = force_pause or pause
    ending = None  # set when the pause decides the end (lapse)
    day = received
    if pause == "correction":
        sent = first(workday(received, rng.randint(1, 9)))
        due = workday(sent, 15)
        if sent > today:
            pause = None
        else:
            step(clock.CORRECTION_SENT, sent, due=due.isoformat(), items="请写明所需信息的具体名称或文号。")
            back = workday(sent, rng.randint(2, 20))
            if due >= today and (back > today or force_pause or rng.random() < 0.8):
                return _paused(ctx, row, calendar, received, clock_events, "correction")
            if back > due or rng.random() < 0.15:
                ending = ("terminated", "other.no_correction", due + timedelta(days=1))
            else:
                step(clock.CORRECTION_RECEIVED, back)
                day = back
    elif pause == "consultation":
        sent = first(workday(received, rng.randint(2, 8)))
        if sent <= today:
            step(clock.CONSULTATION_SENT, sent, party_kind=rng.choice(["third_party", "agency"]), party="第三方企业")
            answer = workday(sent, rng.randint(3, 15))
            if clock.consultation_due(sent, calendar).day >= today and (answer > today or force_pause or rng.random() < 0.8):
                return _paused(ctx, row, calendar, received, clock_events, "consultation")
            answer = min(answer, today)
            step(clock.CONSULTATION_ANSWERED, answer, summary="第三方同意公开。")
            day = answer
    elif pause == "fee":
        sent = first(workday(received, rng.randint(3, 10)))
        if sent <= today:
            quantity = rng.randint(120, 400)
            step(clock.FEE_NOTICE_SENT, sent, delivered_on=sent.isoformat(), method="volume", quantity=quantity,
                 already=0, amount=quantity // 10 * 10)
            row["fee_amount"] = quantity // 10 * 10
            paid = workday(sent, rng.randint(2, 25))
            if clock.payment_due(sent, calendar).day >= today and (paid > today or force_pause or rng.random() < 0.8):
                return _paused(ctx, row, calendar, received, clock_events, "fee")
            if paid > clock.payment_due(sent, calendar).day or rng.random() < 0.1:
                ending = ("terminated", "other.no_payment", clock.payment_due(sent, calendar).day + timedelta(days=1))
            else:
                step(clock.FEE_PAID, paid)
                day = paid
    if ending is None and rng.random() < 0.10:
        approved = workday(day, rng.randint(10, 18))
        if approved <= today:
            step(clock.EXTENSION, approved, ctx.office_users[0], days=rng.choice([10, 15, 20]), reason="需要调取历年档案。")
            day = approved
    result = clock.compute_deadline(received, clock_events, calendar)
    row["due_date"], row["due_provisional"] = result.due_date, result.provisional
    row["correction_late"] = result.correction_late
    if ending is not None:
        state, outcome, closed = ending
        if closed > today:  # the lapse lies ahead: still paused (never the case by construction)
            closed = today
        row.update(state=state, outcome=outcome, closed_on=closed)
        step("terminated", closed, None, outcome=outcome, reason="申请人逾期未补正" if "correction" in outcome
             else "申请人逾期未缴费")
        return
    # The end: replied (on time or late), withdrawn, or still being handled when recent.
    if rng.random() < 0.03:
        withdrawn = min(workday(day, rng.randint(1, 10)), today)
        row.update(state="withdrawn", outcome="other.other", closed_on=withdrawn, reply_note="申请人书面撤回申请。")
        step("withdrawn", withdrawn, note="申请人书面撤回申请。")
        return
    due = result.due_date
    late = rng.random() < 0.06
    delivered = (due + timedelta(days=rng.randint(1, 15)) if late else
                 workday(day, rng.randint(2, max(2, calendar.between(day, due).count))))
    if recent and (delivered > today or rng.random() < 0.45):
        if rng.random() < 0.06:
            row["state"] = "returned"
            step("returned", min(workday(received, 1), today), reason="不属于本单位职责，请重新分办。")
        return  # still open (running clock); overdue if the deadline has passed
    delivered = min(delivered, today)
    reply_date = max(day, delivered - timedelta(days=rng.randint(0, 2)))
    outcome = rng.choices(outcomes, weights=outcome_weights)[0]
    delivery = rng.choice(["signed", "post", "email", "on_spot"])
    row.update(state="replied", outcome=outcome, reply_date=reply_date, reply_delivery=delivery, closed_on=delivered,
               reply_late=delivered > due)
    step("replied", delivered, outcome=outcome, reply_date=reply_date.isoformat(), delivery=delivery)


def _paused(ctx, row, calendar, received, clock_events, kind) -> None:
    result = clock.compute_deadline(received, clock_events, calendar)
    pause = result.open_pause
    row.update(state=kind, due_date=None, due_provisional=result.provisional, pause_kind=pause.kind,
               pause_due=pause.due, correction_late=result.correction_late)


def _write(ctx: Context, row: dict, events: list, title: str) -> None:
    ctx.add(Application, row)
    app_id = row["id"]
    for event in events:
        kind, day, actor = event[:3]
        details = {k: v for k, v in (event[3] if len(event) > 3 else {}).items() if v not in (None, "")}
        label = ctx.user_names.get(actor, "系统") if actor else "系统"
        ctx.add(ApplicationEvent, {"id": ctx.next_id("application_event"), "application_id": app_id, "kind": kind,
                                   "day": day, "details": details, "actor_id": actor, "at": ctx.at(day, 11)})
        ctx.add(AuditEvent, {"id": ctx.next_id("audit_event"), "at": ctx.at(day, 11), "actor_id": actor,
                             "actor_label": label, "action": f"application.{_AUDIT.get(kind, kind)}",
                             "object_type": Application.__tablename__, "object_id": str(app_id),
                             "object_label": f"{row['tracking_code']} {title}"[:200], "before": None,
                             "after": {"state": row["state"]} if kind in ("replied", "terminated", "withdrawn") else
                             None, "note": None, "ip": None})
    if row["receipt_date"] is not None:
        ctx.add(DeadlineChange, {"id": ctx.next_id("deadline_change"), "object_type": Application.__tablename__,
                                 "object_id": app_id, "old_due": None,
                                 "new_due": row["due_date"], "old_provisional": False,
                                 "new_provisional": row["due_provisional"], "reason": "登记申请：收到之日起20个工作日",
                                 "actor_id": None, "at": ctx.at(row["receipt_date"], 11)})


_AUDIT = {"registered": "register", "submitted": "submit_online", "confirmed": "confirm", "returned": "return",
          clock.CORRECTION_SENT: "request_correction", clock.CORRECTION_RECEIVED: "receive_correction",
          clock.CONSULTATION_SENT: "start_consultation", clock.CONSULTATION_ANSWERED: "end_consultation",
          clock.FEE_NOTICE_SENT: "fee_notice", clock.FEE_PAID: "fee_paid", clock.EXTENSION: "extend",
          "replied": "reply", "withdrawn": "withdraw", "terminated": "terminate"}


def _case(ctx: Context, rng, row: dict) -> None:
    """A reconsideration or lawsuit against a reply (table 四), decided or still pending."""
    filed = row["closed_on"] + timedelta(days=rng.randint(10, 60))
    if filed > ctx.today:
        return
    decided = filed + timedelta(days=rng.randint(40, 120))
    done = decided <= ctx.today
    ctx.add(ApplicationCase, {"id": ctx.next_id("application_case"), "application_id": row["id"],
                              "unit_id": row["unit_id"], "kind": rng.choice(["reconsideration", "reconsideration",
                                                                            "lawsuit_direct", "lawsuit_after"]),
                              "filed_on": filed, "result": rng.choice(["upheld", "upheld", "corrected", "other"])
                              if done else "pending", "decided_on": decided if done else None, "note": None,
                              "created_by_id": None, "created_at": ctx.at(filed, 14)})

