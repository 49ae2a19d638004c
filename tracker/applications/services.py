"""Applications (依申请公开): what the pages, the sweeps and other features call.

The rules live in the modules beside this one and are re-exported here, so that callers keep one
name for each: ``handling`` (who may act, the events on the record and the clock they drive: the
one writer of the deadline), ``registration`` (R2, R3, Art. 31), ``clock_events`` (the pauses,
restarts and the extension: Art. 30, 32, 33, 34, 42) and ``replies`` (the reply, the end of an
application, reconsideration and lawsuits). This module itself reads: the lists, the record
page's events, the applicant's status lookup and the dashboards' counts.
"""
from datetime import date, datetime, time

from flask import current_app
from sqlalchemy import and_, case, func, or_, select

from ..audit.services import record
from ..errors import ServiceError
from ..extensions import db
from ..throttle import Limits, lifted_at, refusal
from ..timeutil import CHINA, china_today, format_datetime
from ..workcal.services import (  # noqa: F401
    add_workdays,
    check_in_range,
    deadline_history,
    get_calendar,
    register_deadline_source,
    set_deadline,
)
from . import clock
from .clock_events import (  # noqa: F401  (re-exported: callers use services.<name>)
    CONSULT_PARTIES,
    MAX_HORIZON_DAYS,
    end_consultation,
    extend,
    items_this_month,
    postal_allowance_days,
    receive_correction,
    record_delivery,
    record_payment,
    request_correction,
    send_fee_notice,
    start_consultation,
)
from .handling import (  # noqa: F401  (re-exported: callers use services.<name>)
    HANDLERS,
    Forbidden,
    _actor,
    _events,
    can_act,
    clock_result,
    recompute_clock,
    recompute_open_applications,
)
from .models import PAUSED_STATES, STATES, Application, ApplicationEvent, StatusLookupAttempt
from .recovery import REQUEST_ANSWER, request_new_password, reset_query_password  # noqa: F401  (re-exported)
from .registration import (  # noqa: F401  (re-exported: callers use services.<name>)
    CODE_ALPHABET,
    CREDIT_CODE_RE,
    ID_CARD_RE,
    check_query_password,
    confirm_online,
    hash_query_password,
    new_query_password,
    new_tracking_code,
    register_application,
    return_to_office,
    route,
    submit_online,
)
from .replies import (  # noqa: F401  (re-exported: callers use services.<name>)
    add_case,
    close_lapsed_applications,
    reply,
    set_case_result,
    withdraw,
)
from .screening import ChallengeRequired, ask, challenge_needed, discard_online  # noqa: F401  (re-exported)

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


# --- reading ----------------------------------------------------------------------------------

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


def late_entries_of_year(user, year: int, limit: int = 50) -> tuple[int, list]:
    """补录 entered in ``year`` (China time) on applications ``user`` may see, newest first: how many,
    and the latest ``limit`` as (event, application) — for the office's supervision page."""
    start = datetime.combine(date(year, 1, 1), time(0), CHINA)
    end = datetime.combine(date(year + 1, 1, 1), time(0), CHINA)
    where = [ApplicationEvent.late_entry.is_(True), ApplicationEvent.at >= start, ApplicationEvent.at < end]
    if not user.sees_all_units:
        where.append(Application.unit_id == user.unit_id)
    count = db.session.scalar(select(func.count()).select_from(ApplicationEvent).join(Application).where(*where))
    rows = db.session.execute(select(ApplicationEvent, Application).join(Application).where(*where)
                              .order_by(ApplicationEvent.at.desc(), ApplicationEvent.id.desc()).limit(limit)).all()
    return count, [tuple(r) for r in rows]


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
               "approved_by": "批准人", "pay_by": "缴费期限", "correct_by": "补正期限", "late_reason": "逾期缴费理由"}


def event_notes(details: dict, kind: str = "") -> list[str]:
    """What the record page says about an event, including whether a delivery day is presumed."""
    labels = dict(NOTE_LABELS, late_reason="逾期补正理由") if kind == clock.CORRECTION_RECEIVED else NOTE_LABELS
    notes = [f"{label}：{details[k]}" for k, label in labels.items() if details.get(k) not in (None, "")]
    if details.get("delivered_on"):
        presumed = (f"（未登记实际送达日期，按发出后邮程{details.get('postal_days') or postal_allowance_days()}日推定）"
                    if details.get("delivery_estimated") else "")
        notes.append(f"送达日期：{details['delivered_on']}{presumed}")
    if details.get("confirmed_by"):
        notes.append(f"公开办（{details['confirmed_by']}）确认变更已届满的期限")
    if details.get("held_due"):
        notes.append(f"已届满的期限（{details['held_due']}）不因补录而重新计算")
    return notes


def late_entry_note(event) -> str | None:
    """补录: when the event was entered, and why (late_entries.py)."""
    if not event.late_entry:
        return None
    reason = (event.details or {}).get("entry_reason")
    return f"补录：{event.entered_on:%Y-%m-%d} 录入" + (f"，理由：{reason}" if reason else "")


def _shown_day(event) -> tuple[date, list[str]]:
    """The day the timeline shows an event on, and what it adds. A reply is shown on its reply date
    (the letter's date, ``Application.reply_date``); the event itself is dated the day it counts as
    given (R8/R9: signed for or posted, the closing day), which the page says beside it."""
    reply_date = (event.details or {}).get("reply_date") if event.kind == "replied" else None
    if not reply_date or reply_date == event.day.isoformat():
        return event.day, []
    return date.fromisoformat(reply_date), [f"送达（签收或交邮）日期：{event.day:%Y-%m-%d}，以该日计算是否按期答复"]


def events_for_display(app: Application) -> list[dict]:
    shown = []
    for e in _events(app):
        day, extra = _shown_day(e)
        notes = [n for n in event_notes(e.details or {}, e.kind) if not (extra and n.startswith("答复日期"))]
        shown.append({"event": e, "day": day, "label": EVENT_LABELS.get(e.kind, e.kind), "late": late_entry_note(e),
                      "notes": notes + extra})
    return shown


class LookupLocked(ServiceError):
    """The status lookup is refused for a while (too many failures); ``until`` is when it lifts (UTC).

    Someone else's wrong guesses can lock a code for the real applicant at a new address; the page
    says when the lock lifts and how to reach the office meanwhile."""

    def __init__(self, message: str, until: datetime):
        super().__init__(message)
        self.until = until


def lookup_status(code: str, password: str, ip: str) -> Application:
    """The applicant's status lookup: code + query password → the application (state and deadline
    only are shown). Failures are throttled per address and per code; the answer never says which
    of the two was wrong."""
    cfg = current_app.config
    window = cfg["LOOKUP_WINDOW_SECONDS"]
    code = (code or "").strip().upper()[:40]
    limits = Limits(
        window, cfg["LOOKUP_MAX_FAILURES_PER_CODE_AND_ADDRESS"], cfg["LOOKUP_MAX_FAILURES_PER_ADDRESS"],
        cfg["LOOKUP_CODE_WINDOW_SECONDS"], cfg["LOOKUP_MAX_FAILURES_PER_CODE"], cfg["LOOKUP_KNOWN_ADDRESS_DAYS"])
    why = refusal(StatusLookupAttempt, "code", code or "-", ip, limits)
    if why is not None:
        until = lifted_at(StatusLookupAttempt, "code", code or "-", ip, limits, why)
        if why == "address":
            raise LookupLocked(f"查询失败次数过多，请于{format_datetime(until)}（北京时间）后再试。", until)
        raise LookupLocked(f"该查询码失败次数过多，已暂时锁定，将于{format_datetime(until)}（北京时间）解除。", until)
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
