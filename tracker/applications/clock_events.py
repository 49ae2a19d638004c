"""The events that pause, restart or extend the reply clock (the rules themselves: ``clock.py``).

* Art. 30: one correction request (补正告知); the period runs afresh from the day the corrected
  application arrives.
* Art. 32 / 34: consulting a third party or another agency, 15 working days from the day the
  letter was received; the clock is paused meanwhile.
* Art. 42 and 国办函〔2020〕109号: a fee notice pauses the clock until payment, due within 20
  working days of the notice's receipt.
* Art. 33: one extension of at most 20 working days, decided and notified within the period.

A letter's delivery day is recorded, or presumed from its sending day plus the postal allowance
and marked as presumed. No act that pauses or moves the clock is accepted after the reply
deadline: an expired period is never revived. No act is dated before the one before it. An act
entered late (补录) carries a reason, and one that would change a deadline that had already passed
when it was entered needs the office's confirmation (``late_entries.py``).
"""
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from ..audit.services import record
from ..errors import ServiceError
from ..extensions import db
from ..timeutil import china_today
from ..workcal.services import add_workdays
from . import clock, fees, late_entries, notices
from .handling import (
    _actor,
    _event,
    _events,
    _legal_date,
    _require,
    _transition,
    clock_result,
    clock_with,
    last_act_day,
    recompute_clock,
)
from .late_entries import Entry
from .models import Application, ApplicationEvent

CONSULT_PARTIES = {"third_party": "第三方（第三十二条）", "agency": "其他机关（第三十四条）"}


MAX_HORIZON_DAYS = 366  # a due date the office sets lies within a year (never 9999-12-31)


# --- letters and their delivery ---------------------------------------------------------------

def postal_allowance_days() -> int:
    """Calendar days a letter is presumed to take by post when only its sending day is known
    (practice; ``POSTAL_ALLOWANCE_DAYS``)."""
    return int(current_app.config.get("POSTAL_ALLOWANCE_DAYS", 3))


def _delivery(sent_on: date, delivered_on, label: str, field: str) -> tuple[date, bool]:
    """The day a letter or notice reached the other side (Art. 32: the 15 days; 109号: the 20
    days run from it): as recorded, or — only the sending day being known — presumed after the
    postal allowance, and marked as presumed so that the page says so."""
    if delivered_on is None:
        return sent_on + timedelta(days=postal_allowance_days()), True
    return _legal_date(delivered_on, label, field, sent_on, "发出日期"), False


def _within_period(app: Application, day: date, what: str, field: str) -> None:
    """An act that pauses or moves the clock must happen within the reply period: a period
    that has expired is never revived (Art. 30, 32, 33, 42)."""
    if app.due_date is not None and day > app.due_date:
        raise ServiceError(f"答复期限（{app.due_date:%Y-%m-%d}）已过，不能再{what}：已届满的答复期限不能因此重新计算或延长。",
                           field)


def _open_pause_event(app: Application, kind: str) -> ApplicationEvent:
    """The event that opened the pause now running (the last of its kind)."""
    return [e for e in _events(app) if e.kind == kind][-1]


# --- the clock transitions --------------------------------------------------------------------

def request_correction(app: Application, sent_on: date, due_on: date | None, items: str, actor=None,
                       entry_reason: str = "", confirm_move: bool = False) -> None:
    """Art. 30: tell the applicant once what to add, with a reasonable deadline (within a year);
    the reply clock is suspended.

    A request sent later than 7 working days after receipt is flagged (scoring: −1); one sent
    after the reply deadline is refused — it would revive an expired period.
    """
    actor = _actor(actor)
    _require(app, actor, states=("open",))
    if any(e.kind == clock.CORRECTION_SENT for e in _events(app)):
        raise ServiceError("补正告知只能发出一次（条例第三十条）。")
    sent_on = _legal_date(sent_on, "补正告知发出日期", "sent_on", last_act_day(app), "上一办理事项日期")
    _within_period(app, sent_on, "发出补正告知", "sent_on")
    if due_on is None:
        due_on = add_workdays(sent_on, current_app.config.get("APPLICATION_CORRECTION_DAYS", 15)).day
    if due_on <= sent_on:
        raise ServiceError("补正期限应晚于补正告知发出日期。", "due_on")
    if due_on > sent_on + timedelta(days=MAX_HORIZON_DAYS):
        raise ServiceError("补正期限应在补正告知发出后一年以内（合理期限）。", "due_on")
    items = (items or "").strip()
    if not items:
        raise ServiceError("请写明需要补正的事项。", "items")
    entry = late_entries.check(app, sent_on, "补正告知", Entry(entry_reason, confirm_move), actor,
                               clock_with(app, clock.CORRECTION_SENT, sent_on, due=due_on))
    event = _event(app, clock.CORRECTION_SENT, sent_on, actor, due=due_on, items=items[:2000], **entry)
    _transition(app, "correction", "request_correction", note=late_entries.audit_note(entry, sent_on),
                sent_on=sent_on, due=due_on)
    recompute_clock(app, "发出补正告知，答复期限待补正后重新计算")
    notices.to_applicant(app, "correction", event)


def receive_correction(app: Application, received_on: date, actor=None, late_reason: str = "",
                       entry_reason: str = "", confirm_move: bool = False) -> None:
    """Art. 30: the corrected application arrived; the reply period runs afresh from that day.

    One that arrived after the applicant's correction deadline is refused: the application ends as
    逾期不补正 (the hourly sweep closes it) — unless the office accepts it with an explicit reason,
    kept on the record and shown on the page."""
    actor = _actor(actor)
    _require(app, actor, states=("correction",))
    sent = max((e.day for e in _events(app) if e.kind == clock.CORRECTION_SENT), default=app.receipt_date)
    received_on = _legal_date(received_on, "收到补正申请日期", "received_on", sent, "补正告知发出日期")
    late_reason = _late_acceptance(app, received_on, late_reason, actor, "补正", "条例第三十条：申请人无正当理由逾期不补正的，"
                                   "视为放弃申请", "received_on")
    entry = late_entries.check(app, received_on, "收到补正申请", Entry(entry_reason, confirm_move), actor)
    _event(app, clock.CORRECTION_RECEIVED, received_on, actor, late_reason=late_reason or None,
           correct_by=app.pause_due if late_reason else None, **entry)
    _transition(app, "open", "receive_correction", note="；".join(filter(None, (
        late_reason and f"接受逾期补正：{late_reason}", late_entries.audit_note(entry, received_on)))) or None,
        received_on=received_on, late=bool(late_reason))
    recompute_clock(app, f"收到补正申请（{received_on:%Y-%m-%d}），重新计算20个工作日")


def start_consultation(app: Application, sent_on: date, party_kind: str, party: str,
                       delivered_on: date | None = None, actor=None, entry_reason: str = "",
                       confirm_move: bool = False) -> None:
    """Art. 32 / 34: consult a third party or another agency within the reply period; the clock
    pauses, and the other side has 15 working days from the day it received the letter (the
    recorded day, or the sending day plus the postal allowance, marked as presumed)."""
    actor = _actor(actor)
    _require(app, actor, states=("open",))
    if party_kind not in CONSULT_PARTIES:
        raise ServiceError("请选择征求意见的对象类型。", "party_kind")
    party = (party or "").strip()
    if not party:
        raise ServiceError("请填写征求意见对象的名称。", "party")
    sent_on = _legal_date(sent_on, "征求意见函发出日期", "sent_on", last_act_day(app), "上一办理事项日期")
    _within_period(app, sent_on, "征求意见", "sent_on")
    delivered_on, estimated = _delivery(sent_on, delivered_on, "对方收到征求意见函日期", "delivered_on")
    letter = dict(delivered_on=delivered_on, delivery_estimated=estimated)
    entry = late_entries.check(app, sent_on, "征求意见", Entry(entry_reason, confirm_move), actor,
                               clock_with(app, clock.CONSULTATION_SENT, sent_on, **letter))
    _event(app, clock.CONSULTATION_SENT, sent_on, actor, party_kind=party_kind, party=party[:200], **letter,
           postal_days=postal_allowance_days() if estimated else None, **entry)
    _transition(app, "consultation", "start_consultation", note=late_entries.audit_note(entry, sent_on),
                sent_on=sent_on, party=party[:200])
    recompute_clock(app, f"征求{party[:60]}意见，暂停计时")


def end_consultation(app: Application, answered_on: date, summary: str = "", actor=None, lapsed: bool = False,
                     entry_reason: str = "") -> None:
    """The answer came back (or the 15 working days lapsed): the clock runs again."""
    actor = _actor(actor)
    _require(app, actor, states=("consultation",))
    sent = _open_pause_event(app, clock.CONSULTATION_SENT).day
    pause = clock_result(app).open_pause
    if pause is not None and pause.delivered_on and not pause.delivery_estimated:
        sent = pause.delivered_on  # an answer cannot come before the letter arrived
    if lapsed:
        kind, reason = clock.CONSULTATION_LAPSED, "征求意见15个工作日期满，恢复计时"
    else:
        answered_on = _legal_date(answered_on, "收到答复日期", "answered_on", sent, "征求意见函发出或送达日期")
        kind, reason = clock.CONSULTATION_ANSWERED, "收到征求意见答复，恢复计时"
    entry = {} if lapsed else late_entries.check(app, answered_on, "收到征求意见答复", Entry(entry_reason), actor)
    _event(app, kind, answered_on, actor, summary=(summary or "").strip()[:2000] or None, **entry)
    _transition(app, "open", "end_consultation", note=late_entries.audit_note(entry, answered_on),
                answered_on=answered_on, lapsed=lapsed)
    recompute_clock(app, reason)


def items_this_month(app: Application, month_of: date) -> int:
    """By-item fees count per applicant per calendar month (109号): items in earlier notices."""
    start = month_of.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    rows = db.session.execute(
        select(ApplicationEvent.details).join(Application)
        .where(ApplicationEvent.kind == clock.FEE_NOTICE_SENT, ApplicationEvent.day >= start,
               ApplicationEvent.day < end, Application.id_number == app.id_number, Application.id != app.id)).scalars()
    return sum(int(d.get("quantity", 0)) for d in rows if d.get("method") == "item")


def send_fee_notice(app: Application, sent_on: date, delivered_on: date | None, method: str, quantity: int,
                    actor=None, entry_reason: str = "", confirm_move: bool = False) -> int:
    """Art. 42 / 109号: send a fee notice within the reply period; the clock pauses until payment,
    due 20 working days after the applicant received the notice (the recorded day, or the sending
    day plus the postal allowance, marked as presumed)."""
    actor = _actor(actor)
    _require(app, actor, states=("open",))
    if method not in fees.METHODS:
        raise ServiceError("请选择计费方式。", "method")
    if not isinstance(quantity, int) or quantity <= 0:
        raise ServiceError("请填写件数或页数（正整数）。", "quantity")
    if quantity > fees.MAX_QUANTITY:
        raise ServiceError(f"件数或页数不能超过{fees.MAX_QUANTITY}。", "quantity")
    if any(e.kind == clock.FEE_NOTICE_SENT for e in _events(app)):
        raise ServiceError("同一申请只能发出一次收费通知（一件申请只适用一种计费方式）。")
    sent_on = _legal_date(sent_on, "收费通知发出日期", "sent_on", last_act_day(app), "上一办理事项日期")
    _within_period(app, sent_on, "发出收费通知", "sent_on")
    delivered_on, estimated = _delivery(sent_on, delivered_on, "申请人收到收费通知日期", "delivered_on")
    already = items_this_month(app, sent_on) if method == "item" else 0
    amount = fees.compute_fee(method, quantity, already)
    if amount > fees.MAX_AMOUNT:
        raise ServiceError("计算出的信息处理费超出合理范围，请核对件数或页数。", "quantity")
    if amount == 0:
        raise ServiceError("按此数量不收取信息处理费，无需发送收费通知。", "quantity")
    notice = dict(delivered_on=delivered_on, delivery_estimated=estimated)
    entry = late_entries.check(app, sent_on, "收费通知", Entry(entry_reason, confirm_move), actor,
                               clock_with(app, clock.FEE_NOTICE_SENT, sent_on, **notice))
    app.fee_amount = amount
    event = _event(app, clock.FEE_NOTICE_SENT, sent_on, actor, **notice,
                   postal_days=postal_allowance_days() if estimated else None, method=method,
                   quantity=quantity, already=already, amount=amount, **entry)
    _transition(app, "fee", "fee_notice", note=late_entries.audit_note(entry, sent_on), sent_on=sent_on, amount=amount)
    recompute_clock(app, f"发出收费通知（{amount}元），暂停计时")
    notices.to_applicant(app, "fee", event)
    return amount


def _late_acceptance(app: Application, day: date, reason: str, actor, what: str, rule: str, field: str) -> str:
    """An act after the running pause's own deadline (the pay-by day, the applicant's correction
    deadline) ends the application; the office alone may accept it, with its reason."""
    reason = (reason or "").strip()
    if app.pause_due is None or day <= app.pause_due:
        return ""
    if actor is not None and actor.role != "office":
        raise ServiceError(f"{what}期限（{app.pause_due:%Y-%m-%d}）已过：申请人逾期未{what}的，按规定终止办理"
                           f"（{rule}）。确有正当理由需接受逾期{what}的，由公开办填写理由后登记。", field)
    if not reason:
        raise ServiceError(f"{what}日期晚于{what}期限（{app.pause_due:%Y-%m-%d}）：接受逾期{what}须写明理由（{rule}）。",
                           "late_reason")
    if len(reason) > 500:
        raise ServiceError(f"逾期{what}理由不能超过500个字符。", "late_reason")
    return reason


def record_payment(app: Application, paid_on: date, late_reason: str = "", actor=None, entry_reason: str = "") -> None:
    """109号: the applicant paid; the clock runs again. Not paying within 20 working days of
    receiving the notice ends the application (其他处理 › 逾期未缴费), so a payment dated after
    the pay-by day is refused — unless the office accepts it with an explicit reason, which is
    kept on the record and shown on the page. A payment cannot precede the notice's recorded
    delivery."""
    actor = _actor(actor)
    _require(app, actor, states=("fee",))
    sent = _open_pause_event(app, clock.FEE_NOTICE_SENT).day
    paid_on = _legal_date(paid_on, "缴费日期", "paid_on", sent, "收费通知发出日期")
    pause = clock_result(app).open_pause
    if pause is not None and pause.delivered_on and not pause.delivery_estimated and paid_on < pause.delivered_on:
        raise ServiceError(f"缴费日期不能早于申请人收到收费通知的日期（{pause.delivered_on:%Y-%m-%d}）。", "paid_on")
    late_reason = _late_acceptance(app, paid_on, late_reason, actor, "缴费", "国办函〔2020〕109号：逾期未缴费视为放弃申请",
                                   "paid_on")
    entry = late_entries.check(app, paid_on, "缴费", Entry(entry_reason), actor)
    _event(app, clock.FEE_PAID, paid_on, actor, amount=app.fee_amount, late_reason=late_reason or None,
           pay_by=app.pause_due if late_reason else None, **entry)
    _transition(app, "open", "fee_paid", note="；".join(filter(None, (
        late_reason, late_entries.audit_note(entry, paid_on)))) or None, paid_on=paid_on, late=bool(late_reason))
    recompute_clock(app, "申请人逾期缴费（公开办已说明理由），恢复计时" if late_reason else "申请人已缴费，恢复计时")


def record_delivery(app: Application, delivered_on: date, actor=None, entry_reason: str = "",
                    confirm_move: bool = False) -> None:
    """The real day the consultation letter or the fee notice was received (the receipt card came
    back): it replaces the presumed day, and the 15 or 20 working days count from it.

    Entered after the presumed period had lapsed, it carries a reason and is shown as such; the
    lapsed period stands (``held_due``) unless the office confirms the change."""
    actor = _actor(actor)
    _require(app, actor, states=("consultation", "fee"))
    pause = clock_result(app).open_pause
    if pause is not None and pause.delivered_on and not pause.delivery_estimated:
        raise ServiceError(f"已登记实际送达日期（{pause.delivered_on:%Y-%m-%d}），不能重复登记。", "delivered_on")
    opened = _open_pause_event(app, clock.CONSULTATION_SENT if app.state == "consultation" else clock.FEE_NOTICE_SENT)
    what = "征求意见函" if app.state == "consultation" else "收费通知"
    delivered_on = _legal_date(delivered_on, f"{what}送达日期", "delivered_on", opened.day, f"{what}发出日期")
    entry = Entry(entry_reason, confirm_move)
    lapsed = app.pause_due is not None and app.pause_due < china_today()
    if lapsed and not (entry_reason or "").strip():
        raise ServiceError(f"{clock.PAUSE_DUE_LABELS[app.pause_kind]}（{app.pause_due:%Y-%m-%d}）已于录入前届满：补录实际"
                           "送达日期须写明理由。", "entry_reason")
    after = clock_with(app, clock.LETTER_DELIVERED, delivered_on)
    moved = late_entries.passed_deadlines_moved(app, after)
    details = {"late_entry": late_entries.is_late(delivered_on) or lapsed,
               "entry_reason": (entry_reason or "").strip()[:late_entries.MAX_REASON] or None}
    if moved and actor is not None and actor.role == "office" and entry.confirm_move:
        details["confirmed_by"] = late_entries.confirm(moved, f"{what}送达日期", entry, actor, details["entry_reason"])
    elif moved:
        details["held_due"] = app.pause_due  # not revived: the lapse stands
    _event(app, clock.LETTER_DELIVERED, delivered_on, actor, of=app.state, **details)
    record("application.delivery", app, after={"of": app.state, "delivered_on": delivered_on},
           note=late_entries.audit_note(details, delivered_on))
    recompute_clock(app, f"登记{what}实际送达日期（{delivered_on:%Y-%m-%d}），重新计算期限")


def extend(app: Application, days: int, approved_on: date, notice_sent_on: date, reason: str, actor=None,
           entry_reason: str = "", confirm_move: bool = False) -> None:
    """Art. 33: one extension of at most 20 working days, approved by a reviewer or the office,
    decided within the reply period and notified to the applicant within it. Once per period,
    counted like the clock counts (an extension before a correction restart was discarded)."""
    actor = _actor(actor)
    _require(app, actor, roles=("office", "reviewer"), states=("open", "returned"))
    if clock_result(app).extension_days:
        # counted like the clock counts: an extension discarded by a restart (Art. 30) does not count
        raise ServiceError("答复期限只能延长一次（条例第三十三条）。")
    if not isinstance(days, int) or not 1 <= days <= clock.MAX_EXTENSION_DAYS:
        raise ServiceError("延长期限应为1至20个工作日。", "days")
    # Not before the previous act, nor before the day the period (re)started: a restart (Art. 30)
    # would discard the extension.
    start = clock_result(app).start
    approved_on = _legal_date(approved_on, "批准日期", "approved_on", max(start, last_act_day(app)),
                              "上一办理事项日期" if last_act_day(app) > start else
                              "收到申请日期" if start == app.receipt_date else "收到补正申请日期")
    if app.due_date and approved_on > app.due_date:
        raise ServiceError(f"答复期限（{app.due_date:%Y-%m-%d}）已过，不能再延期。", "approved_on")
    notice_sent_on = _legal_date(notice_sent_on, "延期告知发出日期", "notice_sent_on", approved_on, "批准日期")
    if app.due_date and notice_sent_on > app.due_date:
        raise ServiceError(f"延期告知应在答复期限（{app.due_date:%Y-%m-%d}）届满前发出（条例第三十三条：延长答复期限"
                           "应当告知申请人）。", "notice_sent_on")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("请填写延期理由。", "reason")
    entry = late_entries.check(app, approved_on, "延期", Entry(entry_reason, confirm_move), actor,
                               clock_with(app, clock.EXTENSION, approved_on, days=days))
    event = _event(app, clock.EXTENSION, approved_on, actor, days=days, notice_sent_on=notice_sent_on,
                   approved_by=actor.display_name if actor else None, reason=reason[:1000], **entry)
    record("application.extend", app, after={"days": days, "approved_on": approved_on,
                                            "notice_sent_on": notice_sent_on},
           note="；".join(filter(None, (reason[:500], late_entries.audit_note(entry, approved_on)))))
    recompute_clock(app, f"经审批延期{days}个工作日")
    notices.to_applicant(app, "extension", event)
