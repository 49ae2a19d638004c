"""Who is told, at once, when something happens to an application (written in the same transaction,
sent by the outbox):

* routing: when the office routes an application to a unit, the unit's contacts and reviewers get a
  bell notification and a mail (not held for the weekly digest: the reply clock is running);
* sending back: when a unit returns a mis-routed application, the office is told, and so are the
  unit's other staff;
* the applicant, when they gave an email address: the receipt with the tracking code, the correction
  notice (Art. 30), the extension notice (Art. 33), the fee notice (Art. 42, 109号) and the reply,
  each with the letter attached as generated (``letters.py``), each once (keyed by the event).
"""
from ..notify.reminders import Message, recipients_by_unit
from ..notify.services import Attachment, notify, queue_mail
from . import letters
from .models import Application, ApplicationEvent

STATUS_LINK = "/apply/status"


def _deadline(app: Application) -> str:
    if app.due_date is None:
        return "暂停计时中"
    return f"{app.due_date:%Y-%m-%d}{'（暂定）' if app.due_provisional else ''}"


def _tell_staff(users, app: Application, event: ApplicationEvent, title: str, lines: tuple[str, ...],
                kind: str = "other") -> None:
    message = Message(title, lines, f"/applications/{app.id}")
    for user in users:
        notify(user, message, key=f"application:{app.id}:{event.kind}:{event.id}:{user.id}", immediate=True,
               kind=kind)


def routed(app: Application, event: ApplicationEvent, note: str = "") -> None:
    """The application was routed (分办) to ``app.unit``: its contacts and reviewers are told now."""
    people = recipients_by_unit([app.unit_id])[app.unit_id]
    lines = (f"公开办将依申请公开申请 {app.tracking_code}（{app.title}）分办至本单位办理。",
             f"收到申请日期 {app.receipt_date:%Y-%m-%d}，答复期限 {_deadline(app)}。",
             *((f"说明：{note}",) if note else ()), "请及时办理，逾期将影响考核。")
    _tell_staff(people.contacts + people.reviewers, app, event, f"【新分办申请】{app.tracking_code} {app.title}",
                lines, kind="application_routed")


def sent_back(app: Application, event: ApplicationEvent, reason: str, actor) -> None:
    """A unit sent the application back to the office: the office re-routes it; the unit's other
    staff know it has left them."""
    people = recipients_by_unit([app.unit_id])[app.unit_id]
    unit = app.unit.name if app.unit else "承办单位"
    users = [u for u in people.office + people.contacts + people.reviewers if actor is None or u.id != actor.id]
    _tell_staff(users, app, event, f"【申请退回】{app.tracking_code} {app.title}", (
        f"{unit}将依申请公开申请 {app.tracking_code}（{app.title}）退回公开办：{reason}",
        f"答复期限仍在计算（{_deadline(app)}），请公开办尽快重新分办。"))


# --- the applicant ----------------------------------------------------------------------------------

APPLICANT_MAILS = {
    # letter kind: (subject, what the mail says)
    "receipt": ("政府信息公开申请回执", "本机关已收到并登记您的政府信息公开申请，回执见附件。"),
    "correction": ("补正告知", "您的政府信息公开申请需要补正，补正告知书见附件。请在告知书所列期限内提交补正材料。"),
    "extension": ("延期答复告知", "本机关需要延长答复期限，延期答复告知书见附件。"),
    "fee": ("信息处理费收费通知", "您的申请需要缴纳信息处理费，收费通知书见附件。"),
    "answer": ("政府信息公开申请答复", "本机关已对您的政府信息公开申请作出答复，答复书见附件。"),
}


def to_applicant(app: Application, kind: str, event: ApplicationEvent | None = None) -> bool:
    """Mail letter ``kind`` to the applicant, generated now and attached (DOCX). Nothing when the
    applicant gave no email address. Once per event (the receipt: once per application)."""
    if not app.email:
        return False
    subject, first = APPLICANT_MAILS[kind]
    key = f"applicant:{app.id}:{kind}" + (f":{event.id}" if event is not None else "")
    lines = (f"{app.applicant_name}：", first,
             f"申请事项：{app.title}", f"查询码：{app.tracking_code}（凭查询码和查询密码可在网上查询办理进度）")
    data = letters.build_letter(app, kind)
    attachment = Attachment(letters.file_name(app, kind), letters.DOCX_MIME, data)
    return queue_mail(app.email, Message(f"【{subject}】{app.tracking_code}", lines, STATUS_LINK), key=key,
                      attachments=(attachment,))


def password_mail(app: Application, password: str, first: str) -> Message:
    """A mail carrying the tracking code and a query password (recovery.py)."""
    return Message(f"【政府信息公开申请查询密码】{app.tracking_code}", (
        f"{app.applicant_name}：", first, f"申请事项：{app.title}", f"查询码：{app.tracking_code}",
        f"查询密码：{password}", "请妥善保管查询密码，不要告诉他人。凭查询码和查询密码可在网上查询办理进度、下载答复书。"),
        STATUS_LINK)


def receipt_password(app: Application, password: str) -> bool:
    """Mail the online receipt's tracking code and query password when an email address was given
    (a refresh of the receipt page loses them for good)."""
    if not app.email:
        return False
    return queue_mail(app.email, password_mail(app, password, "您已在网上提交政府信息公开申请，请保存以下查询码和查询密码。"),
                      key=f"applicant:{app.id}:receipt_password")
