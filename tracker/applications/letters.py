"""Letters to the applicant as DOCX (python-docx): 受理回执, 补正告知书, 延期答复告知书, 收费通知书, 答复书.

Each letter kind is one function building the document from the application and its events;
the dates in the letter are the legal dates recorded on the application.
"""
from datetime import date
from io import BytesIO

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from ..docx_text import Document  # cleans control characters out of every run
from . import clock
from .models import APPLICANT_KINDS, FORMS_WANTED
from .outcomes import OUTCOMES

LETTERS = {"receipt": "政府信息公开申请受理回执", "correction": "补正告知书", "extension": "延期答复告知书",
           "fee": "信息处理费收费通知书", "answer": "政府信息公开申请答复书"}
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def cn_date(d: date | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else "____年__月__日"


def _last(app, kind):
    found = [e for e in app.events if e.kind == kind]
    return found[-1] if found else None


def _document(app, title: str) -> Document:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.size = Pt(14)
    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(title)
    run.bold = True
    run.font.size = Pt(20)
    doc.add_paragraph(f"编号：{app.tracking_code}").alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_paragraph(f"{app.applicant_name}：")
    return doc


def _sign(doc, app, day: date | None) -> None:
    unit = app.unit.name if app.unit else "（承办单位）"
    for text in (unit, cn_date(day)):
        doc.add_paragraph(text).alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _received(app) -> str:
    return f"本机关于{cn_date(app.receipt_date)}收到您（单位）提出的政府信息公开申请，申请获取“{app.title}”。"


def receipt_letter(app, doc) -> date | None:
    """Art. 31 / 33: the application was received on its receipt date; the reply is due within 20
    working days of it; the tracking code lets the applicant follow it."""
    doc.add_paragraph(_received(app))
    doc.add_paragraph(f"本机关已登记您的申请，查询码为 {app.tracking_code}。根据《中华人民共和国政府信息公开条例》"
                      f"第三十三条的规定，本机关将自收到申请之日起20个工作日内予以答复（答复期限：{cn_date(app.due_date)}；"
                      "依法征求第三方或其他机关意见、补正或缴纳信息处理费所需时间不计算在内）。")
    doc.add_paragraph("您可以凭查询码和查询密码在政府信息公开申请查询页面了解办理进度。")
    return app.receipt_date


def correction_letter(app, doc) -> date | None:
    """Art. 30: what to add, by when; the reply period runs afresh from the corrected application."""
    ev = _last(app, clock.CORRECTION_SENT)
    details = ev.details if ev else {}
    due = date.fromisoformat(details["due"]) if details.get("due") else None
    doc.add_paragraph(_received(app))
    doc.add_paragraph("经审查，您的申请内容不明确。根据《中华人民共和国政府信息公开条例》第三十条的规定，"
                      "请您对申请作出如下补正：")
    doc.add_paragraph(details.get("items") or "（需要补正的事项）")
    doc.add_paragraph(f"请于{cn_date(due)}前提交补正后的申请。答复期限自本机关收到补正的申请之日起计算。"
                      "无正当理由逾期不补正的，视为放弃申请，本机关不再处理该政府信息公开申请。")
    return ev.day if ev else None


def extension_letter(app, doc) -> date | None:
    """Art. 33: one extension of at most 20 working days, approved, notified to the applicant."""
    ev = _last(app, clock.EXTENSION)
    details = ev.details if ev else {}
    doc.add_paragraph(_received(app))
    doc.add_paragraph(f"因{details.get('reason') or '（延期理由）'}，不能在规定期限内答复。根据《中华人民共和国政府信息"
                      f"公开条例》第三十三条第二款的规定，经本机关政府信息公开工作机构负责人同意，答复期限延长"
                      f"{details.get('days', '__')}个工作日，本机关将于{cn_date(app.due_date)}前作出答复。")
    doc.add_paragraph("特此告知。")
    sent = details.get("notice_sent_on")
    return date.fromisoformat(sent) if sent else (ev.day if ev else None)


def fee_letter(app, doc) -> date | None:
    """Art. 42 and 国办函〔2020〕109号: the information-processing fee, its basis, and the 20
    working days from the day after the notice is received; not paying ends the application."""
    from .fees import METHODS

    ev = _last(app, clock.FEE_NOTICE_SENT)
    details = ev.details if ev else {}
    pay_by = app.pause_due if app.state == "fee" else None
    doc.add_paragraph(_received(app))
    doc.add_paragraph(f"您申请公开的政府信息数量（{METHODS.get(details.get('method'), '')}，"
                      f"共{details.get('quantity', '__')}{'件' if details.get('method') == 'item' else '页'}）超出合理范围。根据《中华人民共和国政府信息公开条例》第四十二条和"
                      f"《政府信息公开信息处理费管理办法》（国办函〔2020〕109号）的规定，应缴纳信息处理费"
                      f"{details.get('amount', app.fee_amount or '__')}元。")
    doc.add_paragraph(f"请自收到本通知之次日起20个工作日内（即{cn_date(pay_by)}前）缴纳。逾期未缴纳的，视为放弃本项"
                      "政府信息公开申请，本机关不再处理。答复期限自您缴纳之日起恢复计算。")
    return ev.day if ev else None


def answer_letter(app, doc) -> date | None:
    """Art. 36: the answer, worded by the outcome row of table 三."""
    doc.add_paragraph(_received(app))
    outcome = OUTCOMES.get(app.outcome)
    if outcome is None:
        doc.add_paragraph("经审查，现答复如下：（答复内容）")
    elif outcome.group == "grant":
        doc.add_paragraph(f"经审查，您申请获取的政府信息属于公开范围，根据《中华人民共和国政府信息公开条例》第三十六条"
                          f"第（二）项的规定，本机关予以公开，并按您要求的形式（{FORMS_WANTED.get(app.form_wanted, '')}）提供。")
    elif outcome.group == "partial":
        doc.add_paragraph("经审查，您申请获取的政府信息中含有不应当公开的内容，根据《中华人民共和国政府信息公开条例》"
                          "第三十七条的规定，本机关对能够作区分处理的部分予以公开。")
    else:
        doc.add_paragraph(f"经审查，您的申请属于“{outcome.short}”情形，根据《中华人民共和国政府信息公开条例》的"
                          "有关规定，现予答复。")
    if app.reply_note:
        doc.add_paragraph(app.reply_note)
    doc.add_paragraph("如对本答复不服，可以自收到本答复之日起六十日内依法申请行政复议，或者六个月内依法提起行政诉讼。")
    return app.reply_date


BUILDERS = {"receipt": receipt_letter, "correction": correction_letter, "extension": extension_letter,
            "fee": fee_letter, "answer": answer_letter}


def build_letter(app, kind: str) -> bytes:
    """The DOCX bytes of letter ``kind`` for ``app`` (KeyError for an unknown kind)."""
    builder = BUILDERS[kind]
    doc = _document(app, LETTERS[kind])
    day = builder(app, doc)
    doc.add_paragraph(f"申请人类型：{APPLICANT_KINDS.get(app.applicant_kind, '')}").runs[0].font.size = Pt(10)
    _sign(doc, app, day)
    out = BytesIO()
    doc.save(out)
    return out.getvalue()
