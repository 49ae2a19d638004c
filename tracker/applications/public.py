"""What the applicant sees without an account: the receipt (回执) after submitting online, and the
status page opened with the tracking code and query password — the title, the handling unit, the
steps so far with their legal dates, the current deadline and, once replied, the reply letter.

Only facts about the applicant's own application: no staff names, no internal notes, no mis-routing
between units (a unit sending an application back to the office is internal).
"""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..workcal.services import days_left
from . import clock, ratings
from .models import CHANNELS, DELIVERY_WANTED, FORMS_WANTED, Application, ApplicationDocument, ApplicationEvent
from .outcomes import OUTCOMES

# Steps the applicant is told about, in the words of a reply to the public.
STEP_LABELS = {
    "submitted": "网上提交申请",
    "registered": "本机关收到申请",
    "confirmed": "本机关确认收到网上申请，开始计算答复期限",
    "routed": "转交承办单位办理",
    clock.CORRECTION_SENT: "向您发出补正告知（补正期间暂停计时）",
    clock.CORRECTION_RECEIVED: "收到补正后的申请，重新计算答复期限",
    clock.CONSULTATION_SENT: "征求第三方或其他机关意见（征求意见期间暂停计时）",
    clock.CONSULTATION_ANSWERED: "征求意见结束，恢复计时",
    clock.CONSULTATION_LAPSED: "征求意见期限届满，恢复计时",
    clock.FEE_NOTICE_SENT: "向您发出收费通知（缴费期间暂停计时）",
    clock.FEE_PAID: "收到信息处理费，恢复计时",
    clock.EXTENSION: "延长答复期限",
    "replied": "作出答复",
    "withdrawn": "申请已撤回",
    "terminated": "终止办理",
}
PAUSE_NOTES = {"correction": "请在补正期限内提交补正材料", "consultation": "等待第三方或其他机关答复",
               "fee": "请在缴费期限内缴纳信息处理费"}


@dataclass
class Step:
    day: date
    label: str
    detail: str | None = None


def _detail(event: ApplicationEvent) -> str | None:
    d = event.details or {}
    if event.kind == "routed" and d.get("unit"):
        return f"承办单位：{d['unit']}"
    if event.kind == clock.CORRECTION_SENT and d.get("due"):
        return f"补正期限：{d['due']}"
    if event.kind == clock.FEE_NOTICE_SENT and d.get("amount"):
        return f"金额：{d['amount']}元"
    if event.kind == clock.EXTENSION and d.get("days"):
        return f"延长{d['days']}个工作日"
    if event.kind in ("replied", "terminated") and d.get("outcome") in OUTCOMES:
        return f"办理结果：{OUTCOMES[d['outcome']].short}"
    return None


def steps(app: Application) -> list[Step]:
    """The application's steps so far, on their legal dates, in the order they happened."""
    events = db.session.scalars(select(ApplicationEvent).where(ApplicationEvent.application_id == app.id)
                                .order_by(ApplicationEvent.day, ApplicationEvent.id)).all()
    return [Step(e.day, STEP_LABELS[e.kind], _detail(e)) for e in events if e.kind in STEP_LABELS]


def reply_documents(app: Application) -> list[ApplicationDocument]:
    """The signed reply the office filed (答复书), offered for download once the application is replied."""
    if app.state != "replied":
        return []
    return db.session.scalars(select(ApplicationDocument).where(
        ApplicationDocument.application_id == app.id, ApplicationDocument.kind == "reply")
        .order_by(ApplicationDocument.uploaded_at, ApplicationDocument.id)).all()


def status(app: Application, today: date) -> dict:
    """Everything the status page shows, for the applicant who gave the code and password."""
    running = not app.is_closed and not app.is_paused and app.due_date is not None
    return {
        "code": app.tracking_code, "title": app.title, "state": app.state_label,
        "unit": app.unit.name if app.unit else None, "receipt_date": app.receipt_date,
        "steps": steps(app), "due": app.due_date if running else None, "provisional": app.due_provisional,
        "left": days_left(app.due_date, today, app.due_provisional) if running else None,
        "paused": app.is_paused, "pause_due": app.pause_due, "pause_note": PAUSE_NOTES.get(app.state),
        "closed": app.is_closed, "closed_on": app.closed_on, "pending": app.state == "pending",
        "outcome": OUTCOMES[app.outcome].short if app.outcome in OUTCOMES else None,
        "documents": reply_documents(app), **rating_status(app, today),
    }


def rating_status(app: Application, today: date) -> dict:
    """社会评议 on the status page: the rating given, or whether and until when it may be given."""
    given = ratings.rating_of(app)
    return {"rating": given.level_label if given else None, "rate_until": ratings.rate_until(app),
            "can_rate": ratings.can_rate(app, today, given)}


def receipt(app: Application) -> dict:
    """The summary printed on the receipt (回执) of an online application."""
    return {"code": app.tracking_code, "submitted": app.created_at, "applicant": app.applicant_name,
            "kind": app.applicant_kind_label, "id_number": app.masked_id, "phone": app.phone, "email": app.email,
            "address": app.address, "title": app.title, "description": app.description,
            "form_wanted": FORMS_WANTED.get(app.form_wanted, app.form_wanted),
            "delivery_wanted": DELIVERY_WANTED.get(app.delivery_wanted, app.delivery_wanted),
            "channel": CHANNELS.get(app.channel, app.channel)}
