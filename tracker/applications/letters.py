"""Letters to the applicant as DOCX (python-docx): 受理回执, 补正告知书, 延期答复告知书, 收费通知书, 答复书.

Each letter kind is one function building the document from the application and its events;
the dates in the letter are the legal dates recorded on the application.
"""
from datetime import date
from io import BytesIO

from docx.enum.text import WD_ALIGN_PARAGRAPH
from flask import current_app, has_app_context
from sqlalchemy import select

from .. import official_docx as od
from ..accounts.models import User
from ..extensions import db
from ..official_docx import cn_date
from . import clock
from .models import FORMS_WANTED
from .outcomes import OUTCOMES

LETTERS = {"receipt": "政府信息公开申请受理回执", "correction": "补正告知书", "extension": "延期答复告知书",
           "fee": "信息处理费收费通知书", "answer": "政府信息公开申请答复书"}
# The short names a download or a mail attachment carries (``YSQ-2026-F7Q5VZ 答复书.docx``).
SHORT_NAMES = {"receipt": "受理回执", "correction": "补正告知书", "extension": "延期答复告知书",
               "fee": "收费通知书", "answer": "答复书"}
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LAW = "《中华人民共和国政府信息公开条例》"
# The article a reply relies on, by table 三 outcome (a leaf, else its group).
ARTICLES = {
    "grant": "第三十六条第（二）项", "partial": "第三十七条",
    "deny.state_secret": "第十四条", "deny.law_prohibits": "第十四条", "deny.three_safety": "第十四条",
    "deny.third_party": "第十五条", "deny.internal": "第十六条第一款", "deny.process": "第十六条第二款",
    "deny.enforcement_file": "第十六条第二款", "deny.inquiry": "第三十六条第（七）项", "deny": "第三十六条第（三）项",
    "unable.not_held": "第三十六条第（四）项", "unable.needs_creation": "第三十八条",
    "unable.still_unclear": "第三十条", "reject.petition": "第三十九条第一款", "reject.repeat": "第三十六条第（六）项",
    "reject.publication": "第三十九条第二款", "reject.excessive": "第三十五条", "reject.confirm": "第三十九条第二款",
    "other.no_correction": "第三十条", "other.no_payment": "第四十二条",
}
# Where the applicant may seek review and sue when no setting names them (config.py has the same).
DEFAULT_REVIEW_BODY = "本级人民政府"
DEFAULT_COURT = "有管辖权的人民法院"


def you(app) -> str:
    """您 to a person (自然人), 贵单位 to an organisation (the other applicant kinds of table 三)."""
    return "您" if app.applicant_kind == "natural" else "贵单位"


def article(outcome_key: str | None) -> str | None:
    if not outcome_key:
        return None
    return ARTICLES.get(outcome_key) or ARTICLES.get(outcome_key.split(".")[0])


def remedy() -> str:
    """The remedy paragraph every reply carries, naming the review body and the court (settings)."""
    config = current_app.config if has_app_context() else {}
    body = config.get("APPLICATION_REVIEW_BODY") or DEFAULT_REVIEW_BODY
    court = config.get("APPLICATION_COURT") or DEFAULT_COURT
    return (f"如对本答复不服，可以在收到本答复之日起60日内向{body}申请行政复议，或者在6个月内向{court}"
            "提起行政诉讼。")


def _last(app, kind):
    found = [e for e in app.events if e.kind == kind]
    return found[-1] if found else None


def _para(doc, text: str):
    return od.paragraph(doc, text)


def _document(app, title: str):
    """The page, the title, the line under it (the tracking code: units have no document numbers) and
    the applicant as 主送."""
    doc = od.new_document()
    od.title(doc, title)
    od.paragraph(doc, f"查询码：{app.tracking_code}", align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    od.paragraph(doc, indent=False)
    od.paragraph(doc, f"{app.applicant_name}：", align=WD_ALIGN_PARAGRAPH.LEFT, indent=False)
    return doc


def _sign(doc, app, day: date | None) -> None:
    unit = app.unit.name if app.unit else "（承办单位）"
    od.signature(doc, (unit, cn_date(day)))
    contact = _contact(app)
    if contact:  # official-documents.md: 联系人 and telephone below the 落款, in smaller text
        od.paragraph(doc)
        od.paragraph(doc, contact, size=od.SMALL, indent=False, exact=False)


def _contact(app) -> str | None:
    """（联系人：张三，联系电话：0453-3621234）: the unit's first active contact with a telephone."""
    if app.unit_id is None:
        return None
    person = db.session.scalar(select(User).where(User.unit_id == app.unit_id, User.role == "contact",
                                                  User.active.is_(True), User.phone.is_not(None), User.phone != "")
                               .order_by(User.id).limit(1))
    if person is None:
        return None
    return f"（联系人：{person.display_name or person.username}，联系电话：{person.phone}）"


def _received(app) -> str:
    return (f"本机关于{cn_date(app.receipt_date)}收到{you(app)}提出的政府信息公开申请（查询码：{app.tracking_code}），"
            f"申请获取“{app.title}”。")


def receipt_letter(app, doc) -> date | None:
    """Art. 31 / 33: the application was received on its receipt date; the reply is due within 20
    working days of it; the tracking code lets the applicant follow it."""
    _para(doc, _received(app))
    _para(doc, f"本机关已登记{you(app)}的申请，查询码为 {app.tracking_code}。根据{LAW}第三十三条第一款的规定，"
               f"本机关将自收到申请之日起20个工作日内予以答复（答复期限：{cn_date(app.due_date)}；依法征求第三方或"
               "其他机关意见、补正或缴纳信息处理费所需时间不计算在内）。")
    _para(doc, f"{you(app)}可以凭查询码和查询密码在政府信息公开申请查询页面了解办理进度。")
    _para(doc, "特此回执。")
    return app.receipt_date


def correction_letter(app, doc) -> date | None:
    """Art. 30: what to add, by when; the reply period runs afresh from the corrected application."""
    ev = _last(app, clock.CORRECTION_SENT)
    details = ev.details if ev else {}
    due = date.fromisoformat(details["due"]) if details.get("due") else None
    _para(doc, _received(app))
    _para(doc, f"经审查，{you(app)}的申请内容不明确。根据{LAW}第三十条的规定，请{you(app)}对申请作出如下补正：")
    _para(doc, details.get("items") or "（需要补正的事项）")
    _para(doc, f"请于{cn_date(due)}前提交补正后的申请。答复期限自本机关收到补正的申请之日起计算。"
               "无正当理由逾期不补正的，视为放弃申请，本机关不再处理该政府信息公开申请。")
    _para(doc, "特此告知。")
    return ev.day if ev else None


def extension_letter(app, doc) -> date | None:
    """Art. 33: one extension of at most 20 working days, approved, notified to the applicant."""
    ev = _last(app, clock.EXTENSION)
    details = ev.details if ev else {}
    _para(doc, _received(app))
    _para(doc, f"因{details.get('reason') or '（延期理由）'}，本机关不能在规定期限内答复。根据{LAW}第三十三条第二款的"
               f"规定，经本机关政府信息公开工作机构负责人同意，答复期限延长{details.get('days', '__')}个工作日，"
               f"本机关将于{cn_date(app.due_date)}前作出答复。")
    _para(doc, "特此告知。")
    sent = details.get("notice_sent_on")
    return date.fromisoformat(sent) if sent else (ev.day if ev else None)


def fee_letter(app, doc) -> date | None:
    """Art. 42 and 国办函〔2020〕109号: the information-processing fee, its basis, and the 20
    working days from the day after the notice is received; not paying ends the application."""
    from .fees import METHODS

    ev = _last(app, clock.FEE_NOTICE_SENT)
    details = ev.details if ev else {}
    pay_by = app.pause_due if app.state == "fee" else None
    unit = "件" if details.get("method") == "item" else "页"
    _para(doc, _received(app))
    _para(doc, f"{you(app)}申请公开的政府信息数量（{METHODS.get(details.get('method'), '')}，"
               f"共{details.get('quantity', '__')}{unit}）超出合理范围。根据{LAW}第四十二条第一款和"
               "《政府信息公开信息处理费管理办法》（国办函〔2020〕109号）的规定，应缴纳信息处理费"
               f"{details.get('amount', app.fee_amount or '__')}元。")
    _para(doc, f"请自收到本通知之次日起20个工作日内（即{cn_date(pay_by)}前）缴纳。逾期未缴纳的，视为放弃本项"
               f"政府信息公开申请，本机关不再处理。答复期限自{you(app)}缴纳之日起恢复计算。")
    _para(doc, "特此通知。")
    return ev.day if ev else None


def _decision(app) -> str:
    """The decision sentence, worded by the outcome row of table 三, with the article relied on."""
    outcome = OUTCOMES.get(app.outcome)
    if outcome is None:
        return "经审查，现答复如下：（答复内容）"
    basis = f"根据{LAW}{article(app.outcome)}的规定"
    if outcome.group == "grant":
        return (f"经审查，{you(app)}申请获取的政府信息属于公开范围，{basis}，本机关予以公开，并按{you(app)}要求的"
                f"形式（{FORMS_WANTED.get(app.form_wanted, '')}）提供。")
    if outcome.group == "partial":
        return (f"经审查，{you(app)}申请获取的政府信息中含有不应当公开的内容，{basis}，本机关对能够作区分处理的部分"
                "予以公开。")
    return f"经审查，{you(app)}的申请属于“{outcome.short}”情形，{basis}，现予答复。"


def answer_letter(app, doc) -> date | None:
    """Art. 36: the answer, worded by the outcome row of table 三, and the remedies (行政复议法,
    行政诉讼法: 60 days, 6 months)."""
    _para(doc, _received(app))
    if app.description:
        _para(doc, f"{you(app)}的申请内容为：“{app.description}”。")
    _para(doc, _decision(app))
    if app.reply_note:
        _para(doc, app.reply_note)
    _para(doc, remedy())
    return app.reply_date


BUILDERS = {"receipt": receipt_letter, "correction": correction_letter, "extension": extension_letter,
            "fee": fee_letter, "answer": answer_letter}


def file_name(app, kind: str) -> str:
    """The letter's file name: ``YSQ-2026-F7Q5VZ 答复书.docx``."""
    return f"{app.tracking_code} {SHORT_NAMES[kind]}.docx"


def build_letter(app, kind: str) -> bytes:
    """The DOCX bytes of letter ``kind`` for ``app`` (KeyError for an unknown kind)."""
    builder = BUILDERS[kind]
    doc = _document(app, LETTERS[kind])
    day = builder(app, doc)
    _sign(doc, app, day)
    out = BytesIO()
    doc.save(out)
    return out.getvalue()
