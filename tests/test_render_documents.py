"""The generated official documents as an office sees them: each letter to an applicant, the unit and
city annual reports and the quarterly bulletin, converted to PDF by LibreOffice and read back — A4
pages, the margins of official-documents.md, page numbers, the applicant addressed as 您 or 贵单位,
the remedy paragraph, table numbers whole on one line.

With ``TRACKER_WRITE_PREVIEWS=1`` the first page of each is written to ``docs/documents/<kind>.png``
(the pictures in the README).
"""
import os
import re
from datetime import date as D
from pathlib import Path

import pytest

from tests.render import first_page_png, page_texts, pages_mm, text_margins_mm, to_pdf, words
from tests.test_reports_figures import city, frozen  # noqa: F401  (fixtures)
from tracker.accounts.models import User
from tracker.applications import services as apps
from tracker.applications.letters import build_letter
from tracker.applications.models import Application
from tracker.extensions import db
from tracker.reports import exports, services, workflow
from tracker.units.models import Unit

# Acts dated months before the day they are recorded here: the 补录 rules are tested on their own.
pytestmark = [pytest.mark.render, pytest.mark.usefixtures("recorded_history")]

ROOT = Path(__file__).resolve().parent.parent
PREVIEWS = ROOT / "docs" / "documents"
LEFT_MM, TOP_MM, RIGHT_MM = 28, 37, 26  # the text block 156 × 225 mm
REMEDY = "如对本答复不服，可以在收到本答复之日起60日内向本级人民政府申请行政复议，或者在6个月内向有管辖权的人民法院提起行政诉讼。"


def flat(pdf) -> str:
    """All the pages' text without line breaks or spaces (a sentence may wrap anywhere)."""
    return re.sub(r"\s+", "", "".join(page_texts(pdf)))


def check_page(pdf, final: bool = True) -> None:
    """A4 within 1 mm; printed text no nearer the left and top edges than the margins (less 1 mm);
    page numbers on a document of more than one page; no placeholder left in a final document."""
    sizes = pages_mm(pdf)
    assert all(abs(w - 210) <= 1 and abs(h - 297) <= 1 for w, h in sizes), sizes
    margins = text_margins_mm(pdf)
    for n, m in enumerate(margins, start=1):
        assert m["left"] >= LEFT_MM - 1 and m["right"] >= RIGHT_MM - 1, (n, m)
        if final:
            assert m["top"] >= TOP_MM - 1, (n, m)
    # the first page's text block starts on the margins themselves (its first line is the title, its
    # 主送 or heading lines start at the left edge of the block)
    assert abs(margins[0]["left"] - LEFT_MM) <= 1, margins[0]
    if final:
        assert abs(margins[0]["top"] - TOP_MM) <= 1, margins[0]
    texts = page_texts(pdf)
    if len(texts) > 1:
        assert re.search(r"—\s*1\s*—", texts[0]), texts[0][-80:]
        assert re.search(r"—\s*2\s*—", texts[1])
    if final:
        assert "【请补充" not in "".join(texts)


def preview(pdf, kind: str, tmp_path: Path) -> None:
    out = PREVIEWS if os.environ.get("TRACKER_WRITE_PREVIEWS") == "1" else tmp_path / "previews"
    assert first_page_png(pdf, out / f"{kind}.png").stat().st_size > 1000


def _applications(app, make, city):  # noqa: F811
    """A person's application answered in full; an organisation's asked to correct, extended,
    charged a fee and answered in part."""
    person = make.application(city["a"], D(2026, 6, 1), applicant_name="张三", title="2025年低保资金发放明细",
                              description="请公开本市2025年城乡低保资金的发放明细（按乡镇汇总）")
    company = make.application(city["a"], D(2026, 6, 2), kind="commercial", applicant_name="东宁市某某建材有限公司",
                               title="建材市场监督抽查结果", description="请公开2025年全市建材市场监督抽查的结果")
    with app.app_context():
        contact, reviewer = (db.session.get(User, u.id) for u in city["people"]["a"])
        contact.phone = "0453-3621234"  # the letters' contact line below the 落款
        p = db.session.get(Application, person.id)
        apps.reply(p, "grant", D(2026, 6, 20), "post", D(2026, 6, 21), "随本答复书附发放明细表一份。", actor=contact)
        c = db.session.get(Application, company.id)
        apps.request_correction(c, D(2026, 6, 3), D(2026, 6, 17), "请写明所需抽查结果的年份和品类", actor=contact)
        apps.receive_correction(c, D(2026, 6, 8), actor=contact)
        apps.extend(c, 10, D(2026, 6, 30), D(2026, 6, 30), "需要调取历年抽查档案", actor=reviewer)
        apps.send_fee_notice(c, D(2026, 7, 1), D(2026, 7, 3), "volume", 250, actor=contact)
        db.session.commit()
        fee = build_letter(c, "fee")
        apps.record_payment(c, D(2026, 7, 6), actor=contact)
        apps.reply(c, "partial", D(2026, 7, 24), "post", D(2026, 7, 25), actor=contact)
        db.session.commit()
        return ({"receipt": build_letter(p, "receipt"), "answer": build_letter(p, "answer")},
                {"correction": build_letter(c, "correction"), "extension": build_letter(c, "extension"),
                 "fee": fee, "answer": build_letter(c, "answer")})


def test_letters_are_official_letters_addressing_the_applicant_as_a_person_or_an_organisation(
        app, make, city, tmp_path):  # noqa: F811
    to_person, to_company = _applications(app, make, city)
    for who, letters in (("person", to_person), ("company", to_company)):
        for kind, data in letters.items():
            pdf = to_pdf(data, f"{who}-{kind}.docx", tmp_path)
            check_page(pdf)
            text = flat(pdf)
            assert "民政局" in text and "申请人类型" not in text and "您（单位）" not in text
            assert "联系电话：0453-3621234" in text, kind
            if who == "person":
                assert text.count("张三：") == 1 and "您" in text and "贵单位" not in text, kind
            else:
                assert "东宁市某某建材有限公司：" in text and "贵单位" in text and "您" not in text, kind
            assert re.search(r"《中华人民共和国政府信息公开条例》第[一二三四五六七八九十]+条", text), kind
            if kind == "answer":
                assert REMEDY in text
            preview(pdf, f"letter-{kind}" + ("-organisation" if (who, kind) == ("company", "answer") else ""), tmp_path)
    assert "第三十六条第（二）项" in flat(to_pdf(to_person["answer"], "again.docx", tmp_path / "again"))


def _numbers(content) -> set[str]:
    """The figures of tables 二 三 四 as printed, those of more than one character."""
    from tracker.reports import formats
    found = set()
    for grid in formats.grids(content.fmt):
        for c in grid.cells:
            if c.key:
                text = exports.cell_text(content, c)
                if len(text) > 1:
                    found.add(text)
    return found


NARRATIVE = {
    "overview": "2026年，本单位认真贯彻落实《中华人民共和国政府信息公开条例》，围绕群众关切，持续推进政务公开工作。\n"
                "（一）主动公开。全年通过政府网站公开各类政府信息，及时公开低保、特困供养、临时救助等社会救助政策和"
                "资金使用情况。\n（二）依申请公开。严格按照法定时限办理政府信息公开申请，规范答复文书格式。\n"
                "（三）政府信息管理。开展规范性文件清理，对清理结果及时向社会公开。\n"
                "（四）平台建设。以政府网站为政府信息公开的第一平台，发挥政务新媒体的作用。\n"
                "（五）监督保障。将政务公开工作纳入年度考核，加强培训和督查。",
    "problems": "一是公开内容的深度和解读质量有待提高；二是依申请公开答复的规范性有待加强。"
                "2027年，本单位将加强政策解读，完善答复文书模板，提高办理质量。",
    "other_matters": "本单位2026年未收取信息处理费。",
}


def _hand_in(app, city, code):  # noqa: F811
    """The unit's report written, approved, handed in and accepted by the office."""
    contact, reviewer = (db.session.get(User, u.id) for u in city["people"][code])
    report = workflow.start_report(2026, db.session.get(Unit, city[code].id), contact)
    workflow.save_narrative(report, NARRATIVE, contact)
    workflow.submit_for_review(report, contact)
    workflow.approve(report, reviewer)
    workflow.submit(report, contact)
    workflow.accept(report, db.session.get(User, city["people"]["office"].id))
    db.session.commit()
    return report


def check_report(pdf, content) -> None:
    check_page(pdf)
    printed = {w["text"] for page in words(pdf) for w in page}
    split = sorted(n for n in _numbers(content) if n not in printed)
    assert split == [], "numbers broken across lines or missing"
    assert len(pages_mm(pdf)) > 1


def test_the_unit_report_is_dated_the_day_it_was_accepted(app, city, tmp_path):  # noqa: F811
    with app.app_context():
        report = _hand_in(app, city, "a")
        accepted = exports.signed_on(services.unit_content(2026, report.unit, report))
        content = services.unit_content(2026, db.session.get(Unit, city["a"].id), report)
        pdf = to_pdf(exports.to_docx(content), "unit.docx", tmp_path)
    check_report(pdf, content)
    text = flat(pdf)
    assert accepted == D(2027, 1, 20) and f"民政局{accepted.year}年{accepted.month}月{accepted.day}日" in text
    assert "草稿" not in text
    preview(pdf, "report-unit", tmp_path)


def test_the_city_report_renders_and_a_draft_says_so_on_every_page(app, city, tmp_path):  # noqa: F811
    with app.app_context():
        _hand_in(app, city, "a")
        _hand_in(app, city, "b")
        content = services.city_content(2026)
        final = to_pdf(exports.to_docx(content), "city.docx", tmp_path)
        draft = to_pdf(exports.to_docx(content, draft=True), "city-draft.docx", tmp_path / "draft")
    check_report(final, content)
    preview(final, "report-city", tmp_path)
    check_page(draft, final=False)
    assert all("草稿" in t for t in page_texts(draft))
    assert "草稿2027年1月20日" in flat(draft)


def test_the_bulletin_renders_on_official_pages(app, make, tmp_path):
    """Portrait body and landscape attachment on A4, page numbers, 草稿 on every page of a draft,
    three-digit figures and scores whole in their narrow columns, words where nothing was due, the
    说明 note on the table's page and the 版记 (抄送, 印发机关, 印发日期) at the end."""
    from tracker.bulletins import exports as bulletin_exports
    from tracker.bulletins import services as bulletin_services
    from tracker.bulletins.models import Bulletin
    office_unit = make.unit("office", "东宁市人民政府办公室", kind="office")
    make.unit("mzj", "民政局")
    make.unit("suiyang", "绥阳镇", kind="town")
    office = make.user("office", unit=office_unit)
    bulletin = make.bulletin("2026-Q3")
    with app.app_context():
        bulletin_services.save_settings({**bulletin_services.settings(), "cc": "市委办公室，市人大常委会办公室"},
                                        db.session.get(User, office.id))
        b = db.session.get(Bulletin, bulletin.id)
        figs = dict(b.figures)
        figs["rows"] = [dict(r, published=100 + n, urgings=123, score=96.5 + n, rank=n + 1, rank_in_kind=1)
                        for n, r in enumerate(figs["rows"])]
        figs["scores"] = True
        b.figures = figs
        db.session.commit()
        pdf = to_pdf(bulletin_exports.docx_bytes(db.session.get(Bulletin, bulletin.id)), "bulletin.docx", tmp_path)
    sizes = pages_mm(pdf)
    portrait = [n for n, (w, h) in enumerate(sizes) if h > w]
    assert portrait and all(abs(w - 210) <= 1 and abs(h - 297) <= 1 for w, h in (sizes[n] for n in portrait))
    assert any(w > h for w, h in sizes), "the unit table is on landscape pages"
    margins = text_margins_mm(pdf)
    assert all(margins[n]["left"] >= LEFT_MM - 1 for n in portrait if margins[n])
    texts = page_texts(pdf)
    assert re.search(r"—\s*1\s*—", texts[0])
    assert all("草稿" in t for t in texts), "a draft says so on every page"
    text = flat(pdf)
    assert "本季度无到期应公开事项" in text and "本季度无到期应答复的申请" in text and "率—" not in text
    on_pages = [{w["text"] for w in page} for page in words(pdf)]
    table_pages = [n for n, found in enumerate(on_pages) if "合计" in found]
    assert table_pages, "the unit table is printed"
    for figure in ("100", "101", "123", "96.5", "97.5"):
        assert any(figure in found for found in on_pages), f"{figure} is split across lines"
    assert "说明" in re.sub(r"\s+", "", texts[table_pages[-1]]), "the note stays with its table"
    last = re.sub(r"\s+", "", texts[-1])
    assert "抄送：市委办公室，市人大常委会办公室。" in last and "印发" in last and "市人民政府办公室" in last
    preview(pdf, "bulletin", tmp_path)
