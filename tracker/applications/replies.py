"""The end of an application and what may follow it.

The reply with its outcome (R8/R9: a row of table 三 of the annual report), given on the day the
applicant signs for it or it is posted (交邮之日); withdrawal; the daily sweep that closes
applications whose correction (Art. 30) or payment (国办函〔2020〕109号) deadline passed and
resumes consultations whose 15 working days are over; reconsiderations and lawsuits (R11).
"""
from datetime import date, timedelta

from sqlalchemy import select

from ..audit.services import record
from ..errors import ServiceError
from ..extensions import db
from ..sweeps import isolated
from ..timeutil import china_today
from . import late_entries, notices
from .clock_events import end_consultation
from .handling import _actor, _event, _legal_date, _require, _transition, last_act_day
from .late_entries import Entry
from .models import CASE_KINDS, CASE_RESULTS, PAUSED_STATES, REPLY_DELIVERY, Application, ApplicationCase
from .outcomes import OUTCOMES, SWEEP_ONLY

# --- the end ----------------------------------------------------------------------------------

def reply(app: Application, outcome: str, reply_date: date, delivery: str, delivered_on: date | None,
          note: str = "", actor=None, entry_reason: str = "") -> None:
    """R8/R9: the reply, with its outcome row of table 三; it counts as given on the day the
    applicant signs for it, or the day it is posted by China Post (交邮之日)."""
    actor = _actor(actor)
    _require(app, actor, states=("open", "returned"))
    if outcome not in OUTCOMES or outcome in SWEEP_ONLY:
        raise ServiceError("请选择办理结果。", "outcome")
    if delivery not in REPLY_DELIVERY:
        raise ServiceError("请选择送达方式。", "delivery")
    reply_date = _legal_date(reply_date, "答复日期", "reply_date", last_act_day(app), "上一办理事项日期")
    delivered_on = _legal_date(delivered_on or (reply_date if delivery in ("on_spot", "email") else None),
                               "送达（签收或交邮）日期", "delivered_on", reply_date, "答复日期")
    entry = late_entries.check(app, reply_date, "答复", Entry(entry_reason), actor)
    app.outcome, app.reply_date, app.reply_delivery, app.closed_on = outcome, reply_date, delivery, delivered_on
    app.reply_late = app.due_date is not None and delivered_on > app.due_date
    app.reply_note = (note or "").strip() or None
    event = _event(app, "replied", delivered_on, actor, outcome=outcome, reply_date=reply_date, delivery=delivery,
                   **entry)
    _transition(app, "replied", "reply", note=late_entries.audit_note(entry, reply_date), outcome=outcome,
                reply_date=reply_date, delivered_on=delivered_on, late=app.reply_late)
    notices.to_applicant(app, "answer", event)


def withdraw(app: Application, withdrawn_on: date, note: str = "", actor=None, entry_reason: str = "") -> None:
    """The applicant withdrew: closed as 其他处理 › 其他. Not before the previous act."""
    actor = _actor(actor)
    _require(app, actor, states=("open", "returned") + PAUSED_STATES)
    last = last_act_day(app)
    withdrawn_on = _legal_date(withdrawn_on, "撤回日期", "withdrawn_on", last,
                               "收到申请日期" if last == app.receipt_date else "上一办理事项日期")
    entry = late_entries.check(app, withdrawn_on, "撤回", Entry(entry_reason), actor)
    app.outcome, app.closed_on, app.reply_note = "other.other", withdrawn_on, (note or "").strip() or None
    _event(app, "withdrawn", withdrawn_on, actor, note=note, **entry)
    _transition(app, "withdrawn", "withdraw", note=late_entries.audit_note(entry, withdrawn_on), closed_on=withdrawn_on)


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


# --- reconsideration and lawsuits -------------------------------------------------------------

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
