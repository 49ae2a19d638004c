"""Applications (依申请公开): registration, the named state transitions, and the clock on the record.

Every transition checks who asks (role and unit) and the current state, writes an
``ApplicationEvent`` (the legal date of what happened) and an audit event, and leaves the deadline
to ``recompute_clock`` — the one place that stores it, through ``workcal.set_deadline`` so that
every change of the deadline stays in the record's history. Nothing else writes ``state``.
"""
import hashlib
import hmac
import re
import secrets
from datetime import date, timedelta

from flask import current_app, has_request_context
from flask_login import current_user
from sqlalchemy import and_, case, func, or_, select

from ..accounts.models import UNIT_ROLES
from ..audit.services import record
from ..errors import ServiceError
from ..extensions import db
from ..sweeps import isolated
from ..throttle import Limits, recent_rows, refusal
from ..timeutil import china_today, to_china, utcnow
from ..units.models import Unit
from ..workcal.engine import WorkdayAnswer
from ..workcal.services import (  # noqa: F401
    add_workdays,
    check_in_range,
    deadline_history,
    get_calendar,
    register_deadline_source,
    set_deadline,
)
from . import clock, fees, notices
from .models import (
    APPLICANT_KINDS,
    CASE_KINDS,
    CASE_RESULTS,
    CHANNELS,
    CLOSED_STATES,
    DELIVERY_WANTED,
    FORMS_WANTED,
    PAUSED_STATES,
    REPLY_DELIVERY,
    STATES,
    Application,
    ApplicationCase,
    ApplicationEvent,
    StatusLookupAttempt,
)
from .outcomes import OUTCOMES, SWEEP_ONLY

HANDLERS = ("office", "contact", "reviewer")  # who may act on an application (leader: read-only)

EVENT_LABELS = {
    "submitted": "网上提交申请",
    "registered": "登记申请",
    "confirmed": "公开办确认收到网上申请",
    "routed": "分办至承办单位",
    "returned": "承办单位退回公开办",
    clock.CORRECTION_SENT: "发出补正告知",
    clock.CORRECTION_RECEIVED: "收到补正后的申请（重新计时）",
    clock.CONSULTATION_SENT: "发出征求意见函（暂停计时）",
    clock.CONSULTATION_ANSWERED: "收到征求意见答复（恢复计时）",
    clock.CONSULTATION_LAPSED: "征求意见期限届满（恢复计时）",
    clock.FEE_NOTICE_SENT: "发出收费通知（暂停计时）",
    clock.FEE_PAID: "申请人缴费（恢复计时）",
    clock.EXTENSION: "延期答复（已审批并告知申请人）",
    clock.LETTER_DELIVERED: "登记实际送达日期（重新计算期限）",
    "replied": "作出答复",
    "withdrawn": "申请人撤回申请",
    "terminated": "终止办理",
}
CONSULT_PARTIES = {"third_party": "第三方（第三十二条）", "agency": "其他机关（第三十四条）"}

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L


class Forbidden(ServiceError):
    """The person asking may not do this to this application (views answer 403)."""


# --- who is asking -------------------------------------------------------------------------------

def _actor(actor=None):
    if actor is not None:
        return actor
    if has_request_context() and current_user.is_authenticated:
        return current_user
    return None


def can_act(app: Application, actor, roles=HANDLERS) -> bool:
    if actor is None or actor.role not in roles:
        return False
    return actor.role not in UNIT_ROLES or (app.unit_id is not None and app.unit_id == actor.unit_id)


def _require(app: Application, actor, roles=HANDLERS, states=None) -> None:
    if actor is not None and not can_act(app, actor, roles):
        raise Forbidden("您无权对该申请执行此操作。")
    if actor is not None and actor.role in UNIT_ROLES and app.state == "returned":
        # sent back as mis-routed: the office routes it again; the unit keeps read access only
        raise Forbidden("该申请已退回公开办，等待重新分办，本单位不能继续办理。")
    if states is not None and app.state not in states:
        raise ServiceError(f"申请当前状态为“{app.state_label}”，不能执行此操作。")


# --- secrets for the applicant ------------------------------------------------------------------

def new_tracking_code(year: int) -> str:
    while True:
        code = f"YSQ-{year}-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        if not db.session.scalar(select(Application.id).where(Application.tracking_code == code)):
            return code


def new_query_password() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


def _scrypt(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=2 ** 14, r=8, p=1, dklen=32)


def hash_query_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    return f"scrypt${salt.hex()}${_scrypt(password, salt).hex()}"


_DUMMY_HASH = None


def check_query_password(stored: str | None, password: str) -> bool:
    """Constant work whether or not the code exists (a dummy hash is checked when it does not)."""
    global _DUMMY_HASH
    if stored is None:
        _DUMMY_HASH = _DUMMY_HASH or hash_query_password(secrets.token_hex(8))
        stored = _DUMMY_HASH
    try:
        _, salt, digest = stored.split("$")
    except ValueError:
        return False
    return hmac.compare_digest(_scrypt(password, bytes.fromhex(salt)).hex(), digest) and stored is not _DUMMY_HASH


# --- events and the clock -----------------------------------------------------------------------

def _event(app: Application, kind: str, day: date, actor=None, **details) -> ApplicationEvent:
    actor = _actor(actor)
    clean = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in details.items() if v not in (None, "")}
    ev = ApplicationEvent(application=app, kind=kind, day=day, details=clean,
                          actor_id=actor.id if actor is not None else None)
    db.session.add(ev)
    db.session.flush()
    return ev


def _events(app: Application) -> list[ApplicationEvent]:
    return db.session.scalars(select(ApplicationEvent).where(ApplicationEvent.application_id == app.id)
                              .order_by(ApplicationEvent.day, ApplicationEvent.id)).all()


def clock_result(app: Application) -> clock.ClockResult | None:
    if app.receipt_date is None:
        return None
    events = [clock.ClockEvent(e.kind, e.day, e.details or {}) for e in _events(app) if e.kind in clock.CLOCK_KINDS]
    return clock.compute_deadline(app.receipt_date, events, get_calendar())


def recompute_clock(app: Application, reason: str) -> bool:
    """Store the deadline computed from the application's events (the only writer of due_date).

    Returns True when the deadline moved (the change is kept in the deadline history).
    """
    result = clock_result(app)
    if result is None:
        return False
    app.pause_kind = result.open_pause.kind if result.open_pause else None
    app.pause_due = result.open_pause.due if result.open_pause else None
    app.correction_late = result.correction_late
    return set_deadline(app, WorkdayAnswer(result.due_date, None, result.provisional), reason)


@register_deadline_source
def recompute_open_applications(reason: str) -> int:
    """Deadline source for the calendar: recompute every open application after a calendar change."""
    apps = db.session.scalars(select(Application).where(
        Application.state.not_in(CLOSED_STATES + ("pending",)))).all()
    return sum(1 for app in apps if recompute_clock(app, reason))


def _transition(app: Application, new_state: str, action: str, note: str | None = None, **after) -> None:
    old = app.state
    app.state = new_state
    db.session.flush()
    record(f"application.{action}", app, before={"state": old}, after={"state": new_state, **after}, note=note)


# --- validation ----------------------------------------------------------------------------------

ID_CARD_RE = re.compile(r"^\d{17}[\dXx]$")
CREDIT_CODE_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def _text(data: dict, key: str, label: str, max_len: int, required: bool = True) -> str | None:
    value = (data.get(key) or "").strip()
    if required and not value:
        raise ServiceError(f"请填写{label}。", key)
    if len(value) > max_len:
        raise ServiceError(f"{label}不能超过{max_len}个字符。", key)
    return value or None


def _choice(data: dict, key: str, options: dict, label: str) -> str:
    value = data.get(key) or ""
    if value not in options:
        raise ServiceError(f"请选择{label}。", key)
    return value


def _legal_date(value, label: str, field: str, not_before: date | None = None,
                not_before_label: str = "") -> date:
    if not isinstance(value, date):
        raise ServiceError(f"请填写{label}。", field)
    if value > china_today():
        raise ServiceError(f"{label}不能晚于今天。", field)
    if not_before is not None and value < not_before:
        raise ServiceError(f"{label}不能早于{not_before_label}（{not_before:%Y-%m-%d}）。", field)
    return value


MAX_HORIZON_DAYS = 366  # a due date the office sets lies within a year (never 9999-12-31)


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


def _handling_unit(unit_id, actor=None) -> Unit:
    unit = db.session.get(Unit, int(unit_id)) if unit_id else None
    if unit is None or not unit.active or unit.kind == "office":
        raise ServiceError("请选择在用的承办单位。", "unit_id")
    if actor is not None and actor.role in UNIT_ROLES and unit.id != actor.unit_id:
        raise Forbidden("只能登记本单位收到的申请。")
    return unit


def _applicant(data: dict) -> dict:
    kind = _choice(data, "applicant_kind", APPLICANT_KINDS, "申请人类型")
    name = _text(data, "applicant_name", "申请人姓名或名称", 120)
    id_number = (_text(data, "id_number", "证件号码", 40, required=True) or "").upper().replace(" ", "")
    if kind == "natural" and not ID_CARD_RE.match(id_number):
        raise ServiceError("身份证号码应为18位（最后一位可为X）。", "id_number")
    if kind != "natural" and not (CREDIT_CODE_RE.match(id_number) or ID_CARD_RE.match(id_number)):
        raise ServiceError("请填写18位统一社会信用代码。", "id_number")
    phone = _text(data, "phone", "联系电话", 40, required=False)
    email = _text(data, "email", "电子邮箱", 200, required=False)
    address = _text(data, "address", "通信地址", 300, required=False)
    if not (phone or email or address):
        raise ServiceError("请至少填写一种联系方式（电话、邮箱或地址）。", "phone")
    return {
        "applicant_kind": kind, "applicant_name": name, "id_number": id_number,
        "contact_person": _text(data, "contact_person", "联系人", 60, required=False),
        "phone": phone, "email": email, "address": address,
    }


def _request_fields(data: dict) -> dict:
    return {
        "title": _text(data, "title", "所需信息的名称", 300),
        "description": _text(data, "description", "所需信息的描述", 5000),
        "form_wanted": _choice(data, "form_wanted", FORMS_WANTED, "信息的载体形式"),
        "delivery_wanted": _choice(data, "delivery_wanted", DELIVERY_WANTED, "获取信息的方式"),
    }


# --- registration --------------------------------------------------------------------------------

def register_application(data: dict, actor=None) -> tuple[Application, str]:
    """Staff register an application received on paper, by post, fax, email... (R2, R3).

    ``receipt_date`` follows the channel's rule (Art. 31) and is distinct from when the record is
    created. Returns the application and its query password (to hand to the applicant).
    """
    actor = _actor(actor)
    if actor is not None and actor.role not in HANDLERS:
        raise Forbidden("您无权登记申请。")
    channel = _choice(data, "channel", CHANNELS, "收到申请的渠道")
    receipt = _legal_date(data.get("receipt_date"), "收到申请日期", "receipt_date")
    check_in_range(receipt, "收到申请日期")
    unit = _handling_unit(data.get("unit_id"), actor)
    fields = _applicant(data) | _request_fields(data)
    password = new_query_password()
    app = Application(tracking_code=new_tracking_code(receipt.year), query_password_hash=hash_query_password(password),
                      channel=channel, receipt_date=receipt, state="open", unit_id=unit.id, online=False,
                      created_by_id=actor.id if actor else None, **fields)
    db.session.add(app)
    db.session.flush()
    event = _event(app, "registered", receipt, actor, channel=channel, unit=unit.name)
    record("application.register", app, after={"state": "open", "channel": channel, "receipt_date": receipt,
                                              "unit_id": unit.id})
    recompute_clock(app, "登记申请：收到之日起20个工作日")
    if actor is not None and actor.role == "office":  # registered by the office for a unit: routed to it
        notices.routed(app, event)
    notices.to_applicant(app, "receipt")
    return app, password


def submit_online(data: dict, ip: str) -> tuple[Application, str]:
    """The public submits the online form: stored as 待确认 until the office confirms it.

    Refused (nothing stored) when the address sent too many applications in the last hour, or the
    same identity number sent the same description in the last 24 hours.
    """
    cfg = current_app.config
    limit = cfg.get("APPLY_MAX_PER_HOUR_PER_ADDRESS", 5)
    if recent_rows(Application, 3600, time_column="created_at", submit_ip=ip) >= limit:
        raise ServiceError("此网络地址提交申请过于频繁，请一小时后再试。")
    fields = _applicant(data) | _request_fields(data)
    since = utcnow() - timedelta(hours=24)
    duplicate = db.session.scalar(select(Application.tracking_code).where(
        Application.id_number == fields["id_number"], Application.created_at >= since,
        func.lower(Application.description) == fields["description"].lower()))
    if duplicate:
        raise ServiceError("您在24小时内已提交过内容相同的申请，请勿重复提交。如需查询，请使用已获得的查询码。")
    password = new_query_password()
    today = china_today()
    app = Application(tracking_code=new_tracking_code(today.year), query_password_hash=hash_query_password(password),
                      channel="online", receipt_date=None, state="pending", online=True, submit_ip=ip, **fields)
    db.session.add(app)
    db.session.flush()
    _event(app, "submitted", today, actor=None)
    record("application.submit_online", app, after={"state": "pending"}, actor=None)
    return app, password


def confirm_online(app: Application, receipt_date: date, unit_id, actor=None) -> None:
    """The office confirms an online application: the confirmation date is its receipt date (Art. 31)."""
    actor = _actor(actor)
    _require(app, actor, roles=("office",), states=("pending",))
    submitted = to_china(app.created_at).date()
    receipt = _legal_date(receipt_date, "确认日期", "receipt_date", submitted, "提交日期")
    unit = _handling_unit(unit_id)
    app.receipt_date, app.unit = receipt, unit
    event = _event(app, "confirmed", receipt, actor, unit=unit.name)
    _transition(app, "open", "confirm", receipt_date=receipt, unit_id=unit.id)
    recompute_clock(app, "确认网上申请：确认之日起20个工作日")
    notices.routed(app, event)
    notices.to_applicant(app, "receipt")


def route(app: Application, unit_id, note: str = "", actor=None) -> None:
    """The office sends an application (e.g. one a unit sent back) to a handling unit."""
    actor = _actor(actor)
    _require(app, actor, roles=("office",), states=("open", "returned") + PAUSED_STATES)
    unit = _handling_unit(unit_id)
    before = app.unit_id
    app.unit = unit
    event = _event(app, "routed", china_today(), actor, unit=unit.name, note=note.strip() or None)
    _transition(app, "open" if app.state == "returned" else app.state, "route", note=note or None,
                unit_id=unit.id, from_unit_id=before)
    notices.routed(app, event, note.strip())


def return_to_office(app: Application, reason: str, actor=None) -> None:
    """A unit sends a mis-routed application back to the office (the legal clock keeps running)."""
    actor = _actor(actor)
    _require(app, actor, roles=("contact", "reviewer"), states=("open",))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("请说明退回理由。", "reason")
    event = _event(app, "returned", china_today(), actor, reason=reason[:500])
    _transition(app, "returned", "return", note=reason[:500])
    notices.sent_back(app, event, reason[:500], actor)


# --- the clock transitions ----------------------------------------------------------------------

def request_correction(app: Application, sent_on: date, due_on: date | None, items: str, actor=None) -> None:
    """Art. 30: tell the applicant once what to add, with a reasonable deadline (within a year);
    the reply clock is suspended.

    A request sent later than 7 working days after receipt is flagged (scoring: −1); one sent
    after the reply deadline is refused — it would revive an expired period.
    """
    actor = _actor(actor)
    _require(app, actor, states=("open",))
    if any(e.kind == clock.CORRECTION_SENT for e in _events(app)):
        raise ServiceError("补正告知只能发出一次（条例第三十条）。")
    last = max((e.day for e in _events(app)), default=app.receipt_date)
    sent_on = _legal_date(sent_on, "补正告知发出日期", "sent_on", last, "上一办理事项日期")
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
    event = _event(app, clock.CORRECTION_SENT, sent_on, actor, due=due_on, items=items[:2000])
    _transition(app, "correction", "request_correction", sent_on=sent_on, due=due_on)
    recompute_clock(app, "发出补正告知，答复期限待补正后重新计算")
    notices.to_applicant(app, "correction", event)


def receive_correction(app: Application, received_on: date, actor=None) -> None:
    """Art. 30: the corrected application arrived; the reply period runs afresh from that day."""
    actor = _actor(actor)
    _require(app, actor, states=("correction",))
    sent = max((e.day for e in _events(app) if e.kind == clock.CORRECTION_SENT), default=app.receipt_date)
    received_on = _legal_date(received_on, "收到补正申请日期", "received_on", sent, "补正告知发出日期")
    _event(app, clock.CORRECTION_RECEIVED, received_on, actor)
    _transition(app, "open", "receive_correction", received_on=received_on)
    recompute_clock(app, f"收到补正申请（{received_on:%Y-%m-%d}），重新计算20个工作日")


def start_consultation(app: Application, sent_on: date, party_kind: str, party: str,
                       delivered_on: date | None = None, actor=None) -> None:
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
    last = max((e.day for e in _events(app)), default=app.receipt_date)
    sent_on = _legal_date(sent_on, "征求意见函发出日期", "sent_on", last, "上一办理事项日期")
    _within_period(app, sent_on, "征求意见", "sent_on")
    delivered_on, estimated = _delivery(sent_on, delivered_on, "对方收到征求意见函日期", "delivered_on")
    _event(app, clock.CONSULTATION_SENT, sent_on, actor, party_kind=party_kind, party=party[:200],
           delivered_on=delivered_on, delivery_estimated=estimated,
           postal_days=postal_allowance_days() if estimated else None)
    _transition(app, "consultation", "start_consultation", sent_on=sent_on, party=party[:200])
    recompute_clock(app, f"征求{party[:60]}意见，暂停计时")


def end_consultation(app: Application, answered_on: date, summary: str = "", actor=None, lapsed: bool = False) -> None:
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
    _event(app, kind, answered_on, actor, summary=(summary or "").strip()[:2000] or None)
    _transition(app, "open", "end_consultation", answered_on=answered_on, lapsed=lapsed)
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
                    actor=None) -> int:
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
    last = max((e.day for e in _events(app)), default=app.receipt_date)
    sent_on = _legal_date(sent_on, "收费通知发出日期", "sent_on", last, "上一办理事项日期")
    _within_period(app, sent_on, "发出收费通知", "sent_on")
    delivered_on, estimated = _delivery(sent_on, delivered_on, "申请人收到收费通知日期", "delivered_on")
    already = items_this_month(app, sent_on) if method == "item" else 0
    amount = fees.compute_fee(method, quantity, already)
    if amount > fees.MAX_AMOUNT:
        raise ServiceError("计算出的信息处理费超出合理范围，请核对件数或页数。", "quantity")
    if amount == 0:
        raise ServiceError("按此数量不收取信息处理费，无需发送收费通知。", "quantity")
    app.fee_amount = amount
    event = _event(app, clock.FEE_NOTICE_SENT, sent_on, actor, delivered_on=delivered_on, delivery_estimated=estimated,
           postal_days=postal_allowance_days() if estimated else None, method=method,
           quantity=quantity, already=already, amount=amount)
    _transition(app, "fee", "fee_notice", sent_on=sent_on, amount=amount)
    recompute_clock(app, f"发出收费通知（{amount}元），暂停计时")
    notices.to_applicant(app, "fee", event)
    return amount


def record_payment(app: Application, paid_on: date, late_reason: str = "", actor=None) -> None:
    """109号: the applicant paid; the clock runs again. Not paying within 20 working days of
    receiving the notice ends the application (其他处理 › 逾期未缴费), so a payment dated after
    the pay-by day is refused — unless the office accepts it with an explicit reason, which is
    kept on the record and shown on the page."""
    actor = _actor(actor)
    _require(app, actor, states=("fee",))
    sent = _open_pause_event(app, clock.FEE_NOTICE_SENT).day
    paid_on = _legal_date(paid_on, "缴费日期", "paid_on", sent, "收费通知发出日期")
    late_reason = (late_reason or "").strip()
    if app.pause_due is not None and paid_on > app.pause_due:
        if actor is not None and actor.role != "office":
            raise ServiceError(f"缴费期限（{app.pause_due:%Y-%m-%d}）已过：申请人逾期未缴费的，按规定终止办理"
                               "（国办函〔2020〕109号）。确有正当理由需接受逾期缴费的，由公开办填写理由后登记。", "paid_on")
        if not late_reason:
            raise ServiceError(f"缴费日期晚于缴费期限（{app.pause_due:%Y-%m-%d}）：接受逾期缴费须写明理由"
                               "（国办函〔2020〕109号：逾期未缴费视为放弃申请）。", "late_reason")
        if len(late_reason) > 500:
            raise ServiceError("逾期缴费理由不能超过500个字符。", "late_reason")
    else:
        late_reason = ""
    _event(app, clock.FEE_PAID, paid_on, actor, amount=app.fee_amount, late_reason=late_reason or None,
           pay_by=app.pause_due if late_reason else None)
    _transition(app, "open", "fee_paid", note=late_reason or None, paid_on=paid_on, late=bool(late_reason))
    recompute_clock(app, "申请人逾期缴费（公开办已说明理由），恢复计时" if late_reason else "申请人已缴费，恢复计时")


def record_delivery(app: Application, delivered_on: date, actor=None) -> None:
    """The real day the consultation letter or the fee notice was received (the receipt card came
    back): it replaces the presumed day, and the 15 or 20 working days count from it."""
    actor = _actor(actor)
    _require(app, actor, states=("consultation", "fee"))
    pause = clock_result(app).open_pause
    if pause is not None and pause.delivered_on and not pause.delivery_estimated:
        raise ServiceError(f"已登记实际送达日期（{pause.delivered_on:%Y-%m-%d}），不能重复登记。", "delivered_on")
    opened = _open_pause_event(app, clock.CONSULTATION_SENT if app.state == "consultation" else clock.FEE_NOTICE_SENT)
    what = "征求意见函" if app.state == "consultation" else "收费通知"
    delivered_on = _legal_date(delivered_on, f"{what}送达日期", "delivered_on", opened.day, f"{what}发出日期")
    _event(app, clock.LETTER_DELIVERED, delivered_on, actor, of=app.state)
    record("application.delivery", app, after={"of": app.state, "delivered_on": delivered_on})
    recompute_clock(app, f"登记{what}实际送达日期（{delivered_on:%Y-%m-%d}），重新计算期限")


def extend(app: Application, days: int, approved_on: date, notice_sent_on: date, reason: str, actor=None) -> None:
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
    # Not before the day the period (re)started: a restart (Art. 30) would discard the extension.
    start = clock_result(app).start
    approved_on = _legal_date(approved_on, "批准日期", "approved_on", start,
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
    event = _event(app, clock.EXTENSION, approved_on, actor, days=days, notice_sent_on=notice_sent_on,
                   approved_by=actor.display_name if actor else None, reason=reason[:1000])
    record("application.extend", app, after={"days": days, "approved_on": approved_on,
                                            "notice_sent_on": notice_sent_on}, note=reason[:500])
    recompute_clock(app, f"经审批延期{days}个工作日")
    notices.to_applicant(app, "extension", event)


# --- the end -------------------------------------------------------------------------------------

def reply(app: Application, outcome: str, reply_date: date, delivery: str, delivered_on: date | None,
          note: str = "", actor=None) -> None:
    """R8/R9: the reply, with its outcome row of table 三; it counts as given on the day the
    applicant signs for it, or the day it is posted by China Post (交邮之日)."""
    actor = _actor(actor)
    _require(app, actor, states=("open", "returned"))
    if outcome not in OUTCOMES or outcome in SWEEP_ONLY:
        raise ServiceError("请选择办理结果。", "outcome")
    if delivery not in REPLY_DELIVERY:
        raise ServiceError("请选择送达方式。", "delivery")
    last = max((e.day for e in _events(app)), default=app.receipt_date)
    reply_date = _legal_date(reply_date, "答复日期", "reply_date", last, "上一办理事项日期")
    delivered_on = _legal_date(delivered_on or (reply_date if delivery in ("on_spot", "email") else None),
                               "送达（签收或交邮）日期", "delivered_on", reply_date, "答复日期")
    app.outcome, app.reply_date, app.reply_delivery, app.closed_on = outcome, reply_date, delivery, delivered_on
    app.reply_late = app.due_date is not None and delivered_on > app.due_date
    app.reply_note = (note or "").strip() or None
    event = _event(app, "replied", delivered_on, actor, outcome=outcome, reply_date=reply_date, delivery=delivery)
    _transition(app, "replied", "reply", outcome=outcome, reply_date=reply_date, delivered_on=delivered_on,
                late=app.reply_late)
    notices.to_applicant(app, "answer", event)


def withdraw(app: Application, withdrawn_on: date, note: str = "", actor=None) -> None:
    """The applicant withdrew: closed as 其他处理 › 其他."""
    actor = _actor(actor)
    _require(app, actor, states=("open", "returned") + PAUSED_STATES)
    withdrawn_on = _legal_date(withdrawn_on, "撤回日期", "withdrawn_on", app.receipt_date, "收到申请日期")
    app.outcome, app.closed_on, app.reply_note = "other.other", withdrawn_on, (note or "").strip() or None
    _event(app, "withdrawn", withdrawn_on, actor, note=note)
    _transition(app, "withdrawn", "withdraw", closed_on=withdrawn_on)


def _terminate(app: Application, outcome: str, closed_on: date, why: str) -> None:
    app.outcome, app.closed_on = outcome, closed_on
    _event(app, "terminated", closed_on, None, outcome=outcome, reason=why)
    _transition(app, "terminated", "terminate", note=why, outcome=outcome, closed_on=closed_on)


def close_lapsed_applications(today: date | None = None) -> dict:
    """The sweep (run daily; safe to run twice): close applications whose correction deadline or
    payment deadline has passed, and resume consultations whose 15 working days are over.

    Art. 30: no correction by the deadline → 其他处理 › 逾期不补正; 109号: no payment within
    20 working days → 其他处理 › 逾期未缴费. Closed on the day after the missed deadline.
    """
    today = today or china_today()
    done = {"no_correction": 0, "no_payment": 0, "consultation_lapsed": 0}
    due = db.session.scalars(select(Application).where(
        Application.state.in_(PAUSED_STATES), Application.pause_due.is_not(None), Application.pause_due < today)
        .with_for_update(skip_locked=True, of=Application)).all()
    for app in due:
        with isolated("application", app.id, str(app)):  # one bad record never stops the others
            done[_close_lapsed(app)] += 1
    return done


def _close_lapsed(app: Application) -> str:
    if app.state == "correction":
        _terminate(app, "other.no_correction", app.pause_due + timedelta(days=1), "申请人逾期未补正")
        return "no_correction"
    if app.state == "fee":
        _terminate(app, "other.no_payment", app.pause_due + timedelta(days=1), "申请人逾期未缴费")
        return "no_payment"
    if app.state == "consultation":
        end_consultation(app, app.pause_due, "征求意见期满未答复", actor=None, lapsed=True)
        return "consultation_lapsed"
    raise ServiceError(f"暂停状态无法自动处理：{app.state}")


# --- reconsideration and lawsuits ---------------------------------------------------------------

def _case_fields(kind, filed_on, result, decided_on, app: Application) -> tuple:
    if kind not in CASE_KINDS:
        raise ServiceError("请选择案件类型。", "kind")
    if result not in CASE_RESULTS:
        raise ServiceError("请选择结果。", "result")
    filed_on = _legal_date(filed_on, "立案（申请）日期", "filed_on", app.receipt_date, "收到申请日期")
    if result == "pending":
        decided_on = None
    else:
        decided_on = _legal_date(decided_on, "审结日期", "decided_on", filed_on, "立案日期")
    return kind, filed_on, result, decided_on


def add_case(app: Application, kind: str, filed_on: date, result: str = "pending",
             decided_on: date | None = None, note: str = "", actor=None) -> ApplicationCase:
    """R11: record a reconsideration or lawsuit against the application."""
    actor = _actor(actor)
    _require(app, actor)
    if app.state == "pending":
        raise ServiceError("申请尚未确认，不能登记复议或诉讼。")
    kind, filed_on, result, decided_on = _case_fields(kind, filed_on, result, decided_on, app)
    case = ApplicationCase(application=app, unit_id=app.unit_id, kind=kind, filed_on=filed_on, result=result,
                           decided_on=decided_on, note=(note or "").strip() or None,
                           created_by_id=actor.id if actor else None)
    db.session.add(case)
    db.session.flush()
    record("application.case_add", case, after={"application": app.tracking_code, "kind": kind,
                                               "filed_on": filed_on, "result": result})
    return case


def set_case_result(case: ApplicationCase, result: str, decided_on: date | None, note: str = "",
                    actor=None) -> None:
    actor = _actor(actor)
    _require(case.application, actor)
    before = {"result": case.result, "decided_on": case.decided_on}
    _, _, result, decided_on = _case_fields(case.kind, case.filed_on, result, decided_on, case.application)
    case.result, case.decided_on = result, decided_on
    if note and note.strip():
        case.note = note.strip()
    record("application.case_result", case, before=before, after={"result": result, "decided_on": decided_on})


# --- reading -------------------------------------------------------------------------------------

def visible_stmt(user, state: str = "", unit_id=None, year=None, q: str = "", sort: str = "", desc: bool = False,
                 columns: tuple = ()):
    """Applications ``user`` may see (unit staff: their unit only), filtered; newest first, or with
    ``sort="due"`` by reply deadline (= by working days left; undated ones last). With ``columns``,
    those columns instead of Application objects (the export)."""
    if sort == "due":
        order = (Application.due_date.is_(None), Application.due_date.desc() if desc else Application.due_date,
                 Application.id)
    else:
        order = (Application.created_at.desc(), Application.id.desc())
    stmt = (select(*columns).select_from(Application) if columns else select(Application)).order_by(*order)
    if not user.sees_all_units:
        stmt = stmt.where(Application.unit_id == user.unit_id)
    elif unit_id:
        stmt = stmt.where(Application.unit_id == int(unit_id))
    if state == "overdue":
        stmt = stmt.where(Application.state.in_(("open", "returned")), Application.due_date < china_today())
    elif state in STATES:
        stmt = stmt.where(Application.state == state)
    if year:
        stmt = stmt.where(Application.receipt_date >= date(int(year), 1, 1),
                          Application.receipt_date <= date(int(year), 12, 31))
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(Application.tracking_code.ilike(like), Application.title.ilike(like),
                              Application.applicant_name.ilike(like)))
    return stmt


def reveal_id_number(app: Application, actor=None) -> str:
    """The applicant's whole identity number, for staff who handle the application (the office, the
    handling unit's contact or reviewer; leaders read the masked number only). Pages show it masked;
    each reveal is audited (personal information: 个人信息保护法 Art. 51)."""
    actor = _actor(actor)
    if not can_act(app, actor):
        raise Forbidden("您无权查看该申请人的完整证件号码。")
    record("application.view_personal", app, note="查看申请人完整身份信息")
    return app.id_number or ""


NOTE_LABELS = {"due": "期限", "party": "对象", "reason": "理由", "days": "工作日", "amount": "金额（元）",
               "items": "补正事项", "summary": "意见", "unit": "单位", "notice_sent_on": "告知日期",
               "approved_by": "批准人", "pay_by": "缴费期限", "late_reason": "逾期缴费理由"}


def event_notes(details: dict) -> list[str]:
    """What the record page says about an event, including whether a delivery day is presumed."""
    notes = [f"{label}：{details[k]}" for k, label in NOTE_LABELS.items() if details.get(k) not in (None, "")]
    if details.get("delivered_on"):
        presumed = (f"（未登记实际送达日期，按发出后邮程{details.get('postal_days') or postal_allowance_days()}日推定）"
                    if details.get("delivery_estimated") else "")
        notes.append(f"送达日期：{details['delivered_on']}{presumed}")
    return notes


def events_for_display(app: Application) -> list[dict]:
    return [{"event": e, "label": EVENT_LABELS.get(e.kind, e.kind), "notes": event_notes(e.details or {})}
            for e in _events(app)]


def lookup_status(code: str, password: str, ip: str) -> Application:
    """The applicant's status lookup: code + query password → the application (state and deadline
    only are shown). Failures are throttled per address and per code; the answer never says which
    of the two was wrong."""
    cfg = current_app.config
    window = cfg["LOOKUP_WINDOW_SECONDS"]
    code = (code or "").strip().upper()[:40]
    why = refusal(StatusLookupAttempt, "code", code or "-", ip, Limits(
        window, cfg["LOOKUP_MAX_FAILURES_PER_CODE_AND_ADDRESS"], cfg["LOOKUP_MAX_FAILURES_PER_ADDRESS"],
        cfg["LOOKUP_CODE_WINDOW_SECONDS"], cfg["LOOKUP_MAX_FAILURES_PER_CODE"], cfg["LOOKUP_KNOWN_ADDRESS_DAYS"]))
    if why == "address":
        raise ServiceError(f"查询失败次数过多，请{window // 60}分钟后再试。")
    if why in ("pair", "key"):
        raise ServiceError(f"该查询码失败次数过多，已暂时锁定，请{window // 60}分钟后再试。")
    app = db.session.scalar(select(Application).where(Application.tracking_code == code)) if code else None
    ok = check_query_password(app.query_password_hash if app else None, (password or "").strip().upper())
    db.session.add(StatusLookupAttempt(code=code or "-", ip=ip, success=ok))
    if not ok:
        raise ServiceError("查询码或查询密码不正确。")
    return app


def dashboard_summary(user) -> dict:
    """Counts for the dashboards: open, paused, due within 5 working days, overdue, to confirm,
    replied late this year. One query over the applications still running and this year's late
    replies (indexed by state and deadline), never the whole history."""
    today = china_today()
    soon = add_workdays(today, 5).day
    running = Application.state.in_(("open", "returned"))
    late_this_year = and_(Application.reply_late.is_(True), Application.closed_on >= date(today.year, 1, 1))

    def n(cond):
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    stmt = select(n(running), n(Application.state.in_(PAUSED_STATES)),
                  n(and_(running, Application.due_date >= today, Application.due_date <= soon)),
                  n(and_(running, Application.due_date < today)), n(Application.state == "pending"),
                  n(Application.state == "returned"), n(late_this_year)).where(
        or_(Application.state.in_(("open", "returned", "pending") + PAUSED_STATES), late_this_year))
    if not user.sees_all_units:
        stmt = stmt.where(Application.unit_id == user.unit_id)
    opened, paused, due_soon, overdue, pending, returned, late = (int(v) for v in db.session.execute(stmt).one())
    office = user.role == "office"
    return {"open": opened, "paused": paused, "due_soon": due_soon, "overdue": overdue,
            "pending": pending if office else None, "returned": returned if office else None,
            "late_this_year": late}
