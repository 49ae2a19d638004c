"""Text stored before the input filter existed, or brought in by an import, may hold control
characters that XML forbids; every DOCX the tracker writes (letters, bulletins, annual reports)
still downloads, with a vertical tab as a line break and the other characters dropped."""
import io
from datetime import date

from docx import Document

from tracker.docx_text import docx_text
from tracker.extensions import db

from .reports_helpers import write_own_words

LEGACY = "第一行\x0b第二行\x1f（完）"  # a vertical tab pasted from Word, a unit separator from an import


def test_docx_text_keeps_line_breaks_and_tabs_and_drops_what_xml_forbids():
    assert docx_text(LEGACY) == "第一行\n第二行（完）"
    assert docx_text("甲\t乙\r\n丙\x0c丁\x00\x07\x1b") == "甲\t乙\r\n丙\n丁"


def test_a_letter_to_an_applicant_whose_stored_name_and_request_hold_control_characters(app, make, login):
    from tracker.applications.models import Application
    unit = make.unit(name="民政局")
    contact = make.user("contact", unit=unit)
    application = make.application(unit, date(2026, 4, 1), title="低保名单")
    with app.app_context():
        a = db.session.get(Application, application.id)
        a.applicant_name, a.title = "张\x1f三", LEGACY
        db.session.commit()
    r = login(contact).get(f"/applications/{application.id}/letter/receipt.docx")
    assert r.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(r.data)).paragraphs)
    assert "张三：" in text and "申请获取“第一行\n第二行（完）”" in text


def test_a_bulletin_whose_narrative_holds_control_characters(app, make, login):
    from tracker.bulletins.models import Bulletin
    office = make.user("office", unit=make.unit(kind="office"))
    make.unit(name="民政局")
    bulletin = make.bulletin("2026-Q3", date(2026, 10, 9))
    with app.app_context():
        b = db.session.get(Bulletin, bulletin.id)
        b.good_practice, b.problems = LEGACY, "问题\x1f一"
        db.session.commit()
    r = login(office).get(f"/bulletins/{bulletin.id}/export/docx")
    assert r.status_code == 200
    paragraphs = [p.text for p in Document(io.BytesIO(r.data)).paragraphs]
    # the narrative is written a paragraph a line, and a vertical tab ends a line too
    assert paragraphs.index("第二行（完）") == paragraphs.index("第一行") + 1 and "问题一" in paragraphs


def test_an_annual_report_whose_overview_holds_control_characters(app, make, login):
    from tracker.reports.models import AnnualReport
    unit = make.unit(name="民政局")
    contact = make.user("contact", unit=unit)
    report = make.annual_report(unit, year=2025, actor=contact)
    with app.app_context():
        stored = db.session.get(AnnualReport, report.id)
        stored.overview = LEGACY
        write_own_words(stored)  # the final export refuses a draft's placeholders
        db.session.commit()
    r = login(contact).get(f"/reports/2025/units/{unit.id}/export/docx")
    assert r.status_code == 200
    texts = [p.text for p in Document(io.BytesIO(r.data)).paragraphs]
    assert texts.index("第二行（完）") == texts.index("第一行") + 1  # a paragraph a line, as typed
