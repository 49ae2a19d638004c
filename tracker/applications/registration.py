"""Registering an application (R2, R3; Art. 31: the receipt date follows the channel).

Staff register what arrived on paper, by post, fax or email; the public submits the online form,
kept as 待确认 until the office confirms it (the confirmation day is its receipt date); the office
routes an application to a handling unit, which may send a mis-routed one back (the legal clock
keeps running). The applicant gets a tracking code and a query password, stored as a hash, to
look up the state of the application.
"""
import hashlib
import hmac
import re
import secrets
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, select

from ..accounts.models import UNIT_ROLES
from ..audit.services import record
from ..errors import ServiceError
from ..extensions import db
from ..throttle import recent_rows
from ..timeutil import china_today, to_china, utcnow
from ..units.models import Unit
from ..workcal.services import check_in_range
from . import notices
from .handling import HANDLERS, Forbidden, _actor, _event, _legal_date, _require, _transition, recompute_clock
from .models import APPLICANT_KINDS, CHANNELS, DELIVERY_WANTED, FORMS_WANTED, PAUSED_STATES, Application
from .screening import CHALLENGE_NOTE, passed_challenge

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L


# --- secrets for the applicant ----------------------------------------------------------------

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


# --- what the application says ----------------------------------------------------------------

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


# --- registration -----------------------------------------------------------------------------

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
    same identity number sent the same description in the last 24 hours; and, while the city-wide
    rate is exceeded, unless ``data`` answers the question asked (screening.py).
    """
    cfg = current_app.config
    limit = cfg.get("APPLY_MAX_PER_HOUR_PER_ADDRESS", 5)
    if recent_rows(Application, 3600, time_column="created_at", submit_ip=ip) >= limit:
        raise ServiceError("此网络地址提交申请过于频繁，请一小时后再试。")
    challenge_id = passed_challenge(data.get("challenge_token"), data.get("challenge_answer"))
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
    record("application.submit_online", app, after={"state": "pending"}, actor=None,
           note=CHALLENGE_NOTE + challenge_id if challenge_id else None)
    notices.receipt_password(app, password)
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
