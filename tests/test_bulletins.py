"""The quarterly bulletin: drafted once per quarter by the job, edited, published (numbered,
frozen, announced by one mail per recipient over real SMTP), and exported as the official DOCX and
the XLSX table, both read back."""
import io
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook
from sqlalchemy import func, select

from tracker.extensions import db

CHINA = ZoneInfo("Asia/Shanghai")


def at(day: date, hour: int = 10):
    return time_machine.travel(datetime.combine(day, time(hour), tzinfo=CHINA), tick=False)


@pytest.fixture
def city(make):
    """Two units with a contact and a reviewer each, a leader, the office; a task of 民政局 due and
    published late in the third quarter, one of 绥阳镇 never published."""
    office_unit = make.unit(code="gkb", name="东宁市人民政府办公室", kind="office")
    mzj = make.unit(code="mzj", name="民政局")
    town = make.unit(code="suiyang", name="绥阳镇", kind="town")
    people = {
        "office": make.user("office", unit=office_unit, username="office"),
        "leader": make.user("leader", username="leader"),
        "mzj-lly": make.user("contact", unit=mzj, username="mzj-lly"),
        "mzj-shr": make.user("reviewer", unit=mzj, username="mzj-shr"),
        "sy-lly": make.user("contact", unit=town, username="sy-lly"),
        "sy-shr": make.user("reviewer", unit=town, username="sy-shr"),
    }
    with make.app.app_context():  # the reviewer chose the weekly digest for reminders
        from tracker.accounts.models import User
        db.session.get(User, people["mzj-shr"].id).mail_mode = "digest"
        db.session.commit()
    with at(date(2026, 8, 3)):  # handed to the units on the day the information formed; due 08-31
        make.task(make.duty(mzj, title="临时救助情况"), formed=date(2026, 8, 3))
        make.task(make.duty(town, title="农村低保对象名单"), formed=date(2026, 8, 3))
    return {"mzj": mzj, "town": town, **people}


def _set_prefix(app, office):
    from tracker.accounts.models import User
    from tracker.bulletins import services as bs
    with app.app_context():
        bs.save_settings({"issuer": "东宁市人民政府办公室", "number_prefix": "东政公开办", "area": "全市",
                          "addressees": "各镇人民政府，市政府各部门", "item_days": 10},
                         db.session.get(User, office.id))
        db.session.commit()


def _job(app, day, hour=9):
    from tracker.scheduler import jobs, run_job
    job = next(j for j in jobs() if j.name == "bulletin-draft")
    with at(day, hour):
        run = run_job(app, job)
    assert run.ok
    return run.result


# --- drafting -------------------------------------------------------------------------------------

def test_the_job_drafts_the_previous_quarter_once_from_its_first_working_day(app, city, login):
    from tracker.bulletins.models import Bulletin

    assert _job(app, date(2026, 10, 7)) == 0           # National Day holiday: not yet
    assert _job(app, date(2026, 10, 8)) == 1           # the first working day of the fourth quarter
    assert _job(app, date(2026, 10, 8), 15) == 0       # run twice: one bulletin
    assert _job(app, date(2026, 10, 20)) == 0          # and not again later in the quarter
    with app.app_context():
        [bulletin] = db.session.scalars(select(Bulletin)).all()
        assert (bulletin.key, bulletin.state, bulletin.figures_as_of) == ("2026-Q3", "draft", date(2026, 10, 8))
        assert {r["name"] for r in bulletin.figures["rows"]} == {"民政局", "绥阳镇"}
    # the office finds the draft waiting on its dashboard
    panel = login(city["office"]).get("/dashboard").get_data(as_text=True).split('id="bulletin-panel"')[1]
    assert "草稿" in panel and "2026年第三季度通报</a> 待审阅印发" in panel


def test_a_scheduler_down_on_the_first_working_day_catches_up_later_in_the_quarter(app, city):
    from tracker.bulletins.models import Bulletin

    assert _job(app, date(2026, 10, 14)) == 1
    with app.app_context():
        assert db.session.scalar(select(Bulletin.figures_as_of)) == date(2026, 10, 14)


def test_two_drafts_of_the_same_quarter_at_once_make_one_bulletin(app, city):
    """The unique quarter and INSERT .. ON CONFLICT DO NOTHING, not a read-then-write."""
    from tracker.bulletins import services as bs
    from tracker.bulletins.models import Bulletin
    from tracker.bulletins.quarters import Quarter

    with app.app_context(), at(date(2026, 10, 9)):
        first, created_first = bs.draft(Quarter(2026, 3), date(2026, 10, 9), refresh=False)
        second, created_second = bs.draft(Quarter(2026, 3), date(2026, 10, 9), refresh=False)
        db.session.commit()
        assert (created_first, created_second, first.id == second.id) == (True, False, True)
        assert db.session.scalar(select(func.count()).select_from(Bulletin)) == 1


def test_a_unit_whose_figures_cannot_be_taken_does_not_stop_the_others(app, city):
    """A task handed over on a day outside the calendar (a legacy record) is skipped and named;
    every other unit's figures are complete."""
    from tracker.bulletins import figures
    from tracker.bulletins.quarters import Quarter
    from tracker.disclosure.models import Task

    with app.app_context():
        task = db.session.scalar(select(Task).where(Task.unit_id == city["town"].id))
        task.created_at = datetime(2001, 3, 1, tzinfo=CHINA)
        db.session.commit()
        with at(date(2026, 10, 8)):
            result = figures.compute(Quarter(2026, 3), date(2026, 10, 8))
    rows = {r["name"]: r for r in result["rows"]}
    assert rows["民政局"]["ack_delays"] == 1 and rows["民政局"]["tasks_overdue"] == 1
    assert rows["绥阳镇"]["tasks_overdue"] == 1           # its other figures are there
    assert len(result["problems"]) == 1 and result["problems"][0].startswith("绥阳镇")


def test_a_quarter_that_has_not_ended_cannot_be_drafted(app, city):
    from tracker.bulletins import services as bs
    from tracker.bulletins.quarters import Quarter
    from tracker.errors import ServiceError

    with app.app_context(), pytest.raises(ServiceError, match="尚未结束"):
        bs.draft(Quarter(2026, 4), date(2026, 11, 27))


# --- publishing -----------------------------------------------------------------------------------

def _draft_with_item(app, city):
    from tracker.accounts.models import User
    from tracker.bulletins import services as bs
    from tracker.bulletins.quarters import Quarter

    _set_prefix(app, city["office"])
    with app.app_context(), at(date(2026, 10, 8)):
        bulletin, _ = bs.draft(Quarter(2026, 3), date(2026, 10, 8))
        office = db.session.get(User, city["office"].id)
        bs.edit_narrative(bulletin, office, {"good_practice": "民政局按月公开低保资金发放情况，群众反映好。",
                                             "problems": "个别单位栏目更新不及时。",
                                             "requirements": "各单位要对照公开目录逐项自查。"})
        bs.add_item(bulletin, office, city["town"].id, "补充公开2026年农村低保对象名单", 10)
        db.session.commit()
        return bulletin.id


def _publish(app, city, bulletin_id, seq=3, day=date(2026, 10, 9)):
    from tracker.accounts.models import User
    from tracker.bulletins import services as bs
    from tracker.bulletins.models import Bulletin
    with app.app_context(), at(day, 11):
        bs.publish(db.session.get(Bulletin, bulletin_id), db.session.get(User, city["office"].id), seq, day, day)
        db.session.commit()


@pytest.mark.on_day("2026-11-27")  # its story: autumn 2026
def test_publishing_mails_every_contact_reviewer_and_leader_once_over_smtp(app, city, smtp):
    from tracker.notify.models import Notification
    from tracker.notify.sender import send_due_mails

    bulletin_id = _draft_with_item(app, city)
    _publish(app, city, bulletin_id)
    with app.app_context():
        from tracker.bulletins import services as bs
        from tracker.bulletins.models import Bulletin
        assert bs.announce_publication(db.session.get(Bulletin, bulletin_id)) == 0  # announced once, ever
        db.session.commit()
        send_due_mails()
        db.session.commit()
        bells = dict(db.session.execute(select(Notification.user_id, func.count()).where(
            Notification.link == f"/bulletins/{bulletin_id}", Notification.title.startswith("【季度通报】"))
            .group_by(Notification.user_id)).all())
    recipients = ["leader", "mzj-lly", "mzj-shr", "sy-lly", "sy-shr"]
    # one mail each, the digest-mode reviewer included (an official document is not held for the digest)
    published = [m for m in smtp.messages if m["Subject"].startswith("【季度通报】")]
    assert sorted(m["To"] for m in published) == sorted(city[k].email for k in recipients)
    assert bells == {city[k].id: 1 for k in recipients}
    [town_mail] = [m for m in smtp.sink.to(city["sy-lly"].email) if m in published]
    assert "东政公开办〔2026〕3号" in town_mail["Subject"]
    body = town_mail.get_body(("plain",)).get_content()
    assert "补充公开2026年农村低保对象名单" in body and "2026年10月22日" in body  # 10 working days after 10-09 (10-10 is a make-up Saturday)
    [other] = [m for m in smtp.sink.to(city["mzj-lly"].email) if m in published]
    assert "补充公开" not in other.get_body(("plain",)).get_content()


def test_a_published_bulletin_is_numbered_frozen_and_its_requirements_become_rectification_items(app, city):
    from tracker.accounts.models import User
    from tracker.bulletins import services as bs
    from tracker.bulletins.models import Bulletin
    from tracker.disclosure import services as ds
    from tracker.disclosure.models import Task
    from tracker.errors import ServiceError
    from tracker.inspections.models import Rectification

    bulletin_id = _draft_with_item(app, city)
    _publish(app, city, bulletin_id, seq=3)
    with app.app_context():
        bulletin = db.session.get(Bulletin, bulletin_id)
        assert bulletin.doc_number == "东政公开办〔2026〕3号" and bulletin.state == "published"
        frozen = bs.content(bulletin)
        [item] = db.session.scalars(select(Rectification)).all()
        assert (item.unit_id, item.source, item.issued_on, item.due_date, item.bulletin_id) == (
            city["town"].id, "bulletin", date(2026, 10, 9), date(2026, 10, 22), bulletin_id)
        # the records change afterwards: the published figures do not
        task = db.session.scalar(select(Task).where(Task.unit_id == city["mzj"].id))
        office, contact = db.session.get(User, city["office"].id), db.session.get(User, city["mzj-lly"].id)
        with at(date(2026, 10, 12)):
            ds.acknowledge(task, contact)
            ds.cancel(task, office, "重复任务")
        db.session.commit()
        assert bs.content(db.session.get(Bulletin, bulletin_id)) == frozen
        assert frozen["figures"]["totals"]["tasks_overdue"] == 2
        with pytest.raises(ServiceError, match="冻结"):
            bs.refresh_figures(bulletin, date(2026, 10, 12), office)
        with pytest.raises(ServiceError, match="已印发"):
            bs.edit_narrative(bulletin, office, {"problems": "改一改"})


def test_a_document_number_is_used_once_and_publication_dates_are_checked(app, city):
    from tracker.accounts.models import User
    from tracker.bulletins import services as bs
    from tracker.bulletins.models import Bulletin
    from tracker.bulletins.quarters import Quarter
    from tracker.errors import ServiceError

    bulletin_id = _draft_with_item(app, city)
    _publish(app, city, bulletin_id, seq=3)
    with app.app_context(), at(date(2026, 11, 27)):
        office = db.session.get(User, city["office"].id)
        q2, _ = bs.draft(Quarter(2026, 2), date(2026, 11, 27))
        db.session.commit()
        for seq, day, message in ((3, date(2026, 11, 2), "已用于"), ("三", date(2026, 11, 2), "正整数"),
                                  (0, date(2026, 11, 2), "1至9999"), (4, date(2026, 11, 28), "不能晚于今天"),
                                  (4, date(2026, 6, 30), "结束之后"), (4, None, "印发日期")):
            with pytest.raises(ServiceError, match=message):
                bs.publish(q2, office, seq, day, date(2026, 11, 27))
        db.session.rollback()
        assert db.session.get(Bulletin, q2.id).state == "draft"
        assert bs.next_number("东政公开办", 2026) == 4


def test_units_read_published_bulletins_only_and_see_their_own_line(app, city, login):
    bulletin_id = _draft_with_item(app, city)
    contact = login(city["sy-lly"])
    assert contact.get(f"/bulletins/{bulletin_id}").status_code == 404           # a draft is the office's
    assert contact.get(f"/bulletins/{bulletin_id}/export/docx").status_code == 404
    assert f"/bulletins/{bulletin_id}" not in contact.get("/bulletins").get_data(as_text=True)
    _publish(app, city, bulletin_id)
    page = contact.get(f"/bulletins/{bulletin_id}").get_data(as_text=True)
    assert "东政公开办〔2026〕3号" in page and 'class="own-unit"' in page and "本单位：" in page
    dashboard = contact.get("/dashboard").get_data(as_text=True)
    assert "关于2026年第三季度全市政务公开工作情况的通报" in dashboard
    assert "补充公开2026年农村低保对象名单" in dashboard                     # their own rectification item


def test_the_office_drafts_edits_and_publishes_through_the_pages(app, city, login):
    _set_prefix(app, city["office"])
    with at(date(2026, 10, 9)):
        office = login(city["office"])
        response = office.post("/bulletins/draft", {"quarter": "2026-Q3"})
        assert response.status_code == 302
        bulletin_url = response.headers["Location"]
        assert office.post(bulletin_url + "/narrative", {"good_practice": "好" * 4001}).status_code == 422
        assert office.post(bulletin_url + "/items", {"unit_id": city["town"].id, "requirement": "补充公开",
                                                     "period_days": "500"}).status_code == 422
        assert office.post(bulletin_url + "/items", {"unit_id": city["town"].id, "requirement": "补充公开",
                                                     "period_days": "10"}).status_code == 302
        bad = office.post(bulletin_url + "/publish", {"doc_seq": "x", "published_on": "2026-10-09"})
        assert bad.status_code == 422 and "发文序号须为正整数" in bad.get_data(as_text=True)
        bad = office.post(bulletin_url + "/publish", {"doc_seq": "5", "published_on": "2026-13-40"})
        assert bad.status_code == 422 and "印发日期格式不正确" in bad.get_data(as_text=True)
        assert office.post(bulletin_url + "/publish", {"doc_seq": "5", "published_on": "2026-10-09"}).status_code == 302
        page = office.get(bulletin_url).get_data(as_text=True)
        assert "东政公开办〔2026〕5号" in page and "2026年10月9日" in page
        bad = office.post("/bulletins/draft", {"quarter": "2026-Q9"}, follow_redirects=True)
        assert "季度格式不正确" in bad.get_data(as_text=True)


# --- the files ------------------------------------------------------------------------------------

def _published_docx(app, city):
    from tracker.bulletins import exports
    from tracker.bulletins.models import Bulletin
    bulletin_id = _draft_with_item(app, city)
    _publish(app, city, bulletin_id)
    with app.app_context():
        return Document(io.BytesIO(exports.docx_bytes(db.session.get(Bulletin, bulletin_id))))


def _east_asian_font(run):
    return run._element.rPr.rFonts.get(qn("w:eastAsia"))


def test_the_docx_is_an_official_notice_with_title_number_table_and_chinese_date(app, city):
    doc = _published_docx(app, city)
    texts = [p.text for p in doc.paragraphs]
    # 版头: the red issuer mark and the document number with hexagonal brackets
    issuer = next(p for p in doc.paragraphs if p.text == "东宁市人民政府办公室")
    assert issuer.runs[0].font.color.rgb == (0xFF, 0x00, 0x00)
    assert "东政公开办〔2026〕3号" in texts
    title = next(p for p in doc.paragraphs if p.text == "关于2026年第三季度全市政务公开工作情况的通报")
    assert _east_asian_font(title.runs[0]) == "方正小标宋简体" and title.runs[0].font.size.pt == 22
    assert texts.index("东政公开办〔2026〕3号") < texts.index(title.text) < texts.index("各镇人民政府，市政府各部门：")
    # headings in order, the level-one ones in 黑体; body in 3号仿宋_GB2312
    headings = [t for t in texts if t[:2] in ("一、", "二、", "三、", "四、")]
    assert headings == ["一、总体情况", "二、工作亮点", "三、存在的问题", "四、整改要求"]
    heading = next(p for p in doc.paragraphs if p.text == "一、总体情况")
    assert _east_asian_font(heading.runs[0]) == "黑体"
    assert "（一）本季度未公开信息的单位" in texts and "绥阳镇、民政局，本季度未在任何渠道公开政府信息。" in texts
    assert any(t.startswith("1. 绥阳镇：补充公开2026年农村低保对象名单") for t in texts)
    assert "请于2026年10月22日前整改到位，并在政务公开监督平台报送整改情况和佐证材料。" in texts
    body = next(p for p in doc.paragraphs if p.text.startswith("为全面掌握"))
    assert _east_asian_font(body.runs[0]) == "仿宋_GB2312" and body.runs[0].font.size.pt == 16
    # 落款 and the date in Chinese, right-aligned
    assert texts.index("东宁市人民政府办公室", texts.index("附件：2026年第三季度各单位政务公开工作情况统计表")) \
        == texts.index("2026年10月9日") - 1
    # A4, 37 mm top and 28 mm left margins; the table's pages in landscape
    first, annex, imprint = doc.sections  # body, the unit table, the 版记 on the last page
    assert (round(first.page_width.mm), round(first.page_height.mm)) == (210, 297)
    assert (round(imprint.page_width.mm), round(imprint.page_height.mm)) == (210, 297)
    assert doc.paragraphs[-1].text == "东宁市人民政府办公室\t2026年10月9日印发"  # 印发机关 and 印发日期
    assert (round(first.top_margin.mm), round(first.left_margin.mm)) == (37, 28)
    assert round(annex.page_width.mm) == 297
    # page numbers "— 1 —" on the outside edge of odd and even pages
    footer = first.footer.paragraphs[0]
    assert footer.text.startswith("— ") and footer.text.endswith(" —")
    assert "PAGE" in footer._p.xml and first.even_page_footer.paragraphs[0].text.startswith("— ")
    assert doc.settings.odd_and_even_pages_header_footer


def test_the_docx_table_has_merged_header_cells_repeated_on_every_page(app, city):
    doc = _published_docx(app, city)
    [table] = doc.tables
    head, sub = table.rows[0], table.rows[1]
    for row in (head, sub):
        assert row._tr.trPr.find(qn("w:tblHeader")) is not None
    # 序号 and 单位 span both header rows; 主动公开 spans its seven columns
    assert head.cells[0]._tc.vMerge == "restart" and sub.cells[0].text == "序号"
    groups = [(tc.xpath("string(.)"), tc.grid_span) for tc in head._tr.tc_lst]
    assert groups[:4] == [("序号", 1), ("单位", 1), ("主动公开", 7), ("依申请公开", 4)]
    assert [c.text for c in sub.cells[2:9]] == ["应公开", "按时公开", "逾期公开", "逾期未公开", "签收延迟", "核验未通过",
                                               "本季度公开信息"]
    rows = {r.cells[1].text: [c.text for c in r.cells[2:9]] for r in table.rows[2:]}
    assert rows["民政局"] == ["1", "0", "0", "1", "1", "0", "0"] and rows["绥阳镇"] == ["1", "0", "0", "1", "1", "0", "0"]
    assert [r.cells[1].text for r in table.rows[2:4]] == ["绥阳镇", "民政局"]  # towns, then departments
    assert table.rows[-1].cells[0].text == "合计" and table.rows[-1].cells[2].text == "2"
    number_cell = table.rows[2].cells[2].paragraphs[0]
    assert number_cell.alignment == 2  # right-aligned numbers


def test_the_docx_names_a_fallback_for_each_official_font(app, city):
    from tracker.bulletins import exports
    from tracker.bulletins.models import Bulletin
    bulletin_id = _draft_with_item(app, city)
    with app.app_context():
        data = exports.docx_bytes(db.session.get(Bulletin, bulletin_id))
    import zipfile
    fonts = zipfile.ZipFile(io.BytesIO(data)).read("word/fontTable.xml").decode()
    assert '<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>' in fonts
    assert '<w:font w:name="方正小标宋简体"><w:altName w:val="宋体"/>' in fonts
    doc = Document(io.BytesIO(data))
    assert "（草稿，未印发）" in [p.text for p in doc.paragraphs]  # a draft says so


def test_the_xlsx_has_the_unit_table_under_merged_group_headers(app, city):
    from tracker.bulletins import exports
    from tracker.bulletins.models import Bulletin
    bulletin_id = _draft_with_item(app, city)
    _publish(app, city, bulletin_id)
    with app.app_context():
        wb = load_workbook(io.BytesIO(exports.xlsx_bytes(db.session.get(Bulletin, bulletin_id))))
    ws = wb.active
    assert ws["A1"].value == "2026年第三季度各单位政务公开工作情况统计表"
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A3:A4", "B3:B4", "C3:I3", "J3:M3", "N3:O3"} <= merged
    assert [ws.cell(row=3, column=c).value for c in (1, 2, 3, 10, 14, 16)] == [
        "序号", "单位", "主动公开", "依申请公开", "督查整改", "督办"]
    assert ws["C4"].value == "应公开" and ws["F4"].value == "逾期未公开"
    table = {row[1]: row for row in ws.iter_rows(min_row=5, values_only=True) if row[1]}
    assert table["民政局"][2:6] == (1, 0, 0, 1) and table["绥阳镇"][13] == 0
    assert [row[1] for row in ws.iter_rows(min_row=5, max_row=6, values_only=True)] == ["绥阳镇", "民政局"]
    total = next(row for row in ws.iter_rows(min_row=5, values_only=True) if row[0] == "合计")
    assert total[2] == 2 and total[5] == 2
    assert ws.freeze_panes == "C5"
    assert any("东政公开办〔2026〕3号" in str(row[0]) for row in ws.iter_rows(values_only=True) if row[0])


# --- the command line -----------------------------------------------------------------------------

def test_bulletin_draft_and_export_commands(app, city, tmp_path):
    runner = app.test_cli_runner()
    with at(date(2026, 10, 9)):
        result = runner.invoke(args=["bulletin", "draft", "--quarter", "2026-Q3"])
        assert result.exit_code == 0 and "已起草2026年第三季度通报" in result.output
        again = runner.invoke(args=["bulletin", "draft", "--quarter", "2026-Q3"])
        assert again.exit_code == 0 and "已存在" in again.output
        for fmt in ("docx", "xlsx"):
            out = tmp_path / f"bulletin.{fmt}"
            result = runner.invoke(args=["bulletin", "export", "--quarter", "2026-Q3", "--format", fmt,
                                         "--output", str(out)])
            assert result.exit_code == 0, result.output
            assert out.read_bytes()[:2] == b"PK"
    assert "关于2026年第三季度全市政务公开工作情况的通报" in [
        p.text for p in Document(str(tmp_path / "bulletin.docx")).paragraphs]
    assert load_workbook(str(tmp_path / "bulletin.xlsx")).active["B3"].value == "单位"
    with app.app_context():
        from tracker.bulletins.models import Bulletin
        assert db.session.scalar(select(func.count()).select_from(Bulletin)) == 1


@pytest.mark.parametrize("args, message", [
    (["draft", "--quarter", "2026-Q5"], "季度格式不正确"),
    (["draft", "--quarter", "2026Q3"], "季度格式不正确"),
    (["draft"], "请用 --quarter 指定季度"),
    (["draft", "--quarter", "2026-Q4"], "尚未结束"),
    (["export", "--quarter", "2026-Q3", "--format", "pdf", "--output", "x.pdf"], "只能是 docx 或 xlsx"),
    (["export", "--quarter", "2026-Q3", "--format", "docx"], "请用 --output 指定输出文件"),
    (["export", "--quarter", "2026-Q2", "--format", "docx", "--output", "x.docx"], "尚未起草"),
])
def test_bad_bulletin_arguments_get_a_chinese_message_and_status_2(app, city, args, message):
    with at(date(2026, 11, 27)):
        result = app.test_cli_runner().invoke(args=["bulletin", *args])
    assert result.exit_code == 2 and message in result.output


def test_an_unwritable_output_file_is_a_clear_error(app, city, tmp_path):
    runner = app.test_cli_runner()
    with at(date(2026, 10, 9)):
        runner.invoke(args=["bulletin", "draft", "--quarter", "2026-Q3"])
        result = runner.invoke(args=["bulletin", "export", "--quarter", "2026-Q3", "--format", "docx",
                                     "--output", str(tmp_path / "missing" / "x.docx")])
    assert result.exit_code == 2 and "无法写入文件" in result.output


def test_settings_refuse_a_prefix_with_brackets_and_keep_the_old_one(app, city, login):
    _set_prefix(app, city["office"])
    office = login(city["office"])
    response = office.post("/bulletins/settings", {"issuer": "东宁市人民政府办公室", "number_prefix": "东政公开办〔2026〕",
                                                   "area": "全市", "addressees": "各单位：", "item_days": "10"})
    assert response.status_code == 422 and "机关代字只填代字本身" in response.get_data(as_text=True)
    with app.app_context():
        from tracker.bulletins import services as bs
        assert bs.settings()["number_prefix"] == "东政公开办"


# --- with the quarter's published scores -------------------------------------------------------------

def test_published_scores_give_the_bulletin_score_and_rank_columns_and_the_unit_page_its_scores(app, city, make,
                                                                                              login):
    from tracker.bulletins import exports
    from tracker.bulletins.models import Bulletin

    with at(date(2026, 10, 8)):
        make.scores("2026-Q3", date(2026, 10, 8))               # computed, not published: no columns yet
    unpublished = _draft_with_item(app, city)
    with app.app_context():
        assert db.session.get(Bulletin, unpublished).figures["scores"] is False
    with at(date(2026, 10, 8)):
        make.scores("2026-Q3", date(2026, 10, 8), publish_by=city["office"])
    with at(date(2026, 10, 9)):
        office = login(city["office"])
        assert office.post(f"/bulletins/{unpublished}/refresh").status_code == 302
        with app.app_context():
            bulletin = db.session.get(Bulletin, unpublished)
            rows = {r["name"]: r for r in bulletin.figures["rows"]}
            doc = Document(io.BytesIO(exports.docx_bytes(bulletin)))
        # both units: one task overdue at the quarter's end (−2), one not acknowledged in time (−0.5)
        assert (rows["民政局"]["score"], rows["民政局"]["rank"]) == (97.5, 1)
        assert (rows["绥阳镇"]["score"], rows["绥阳镇"]["rank"]) == (97.5, 1)
        head = [tc.xpath("string(.)") for tc in doc.tables[0].rows[0]._tr.tc_lst]
        assert head[-1] == "考核" and [c.text for c in doc.tables[0].rows[1].cells[-3:]] == ["得分", "类内排名", "总排名"]
        assert doc.tables[0].rows[2].cells[-3].text == "97.5"
        # one town and one department: neither has a unit to be compared with
        assert not any(p.text.startswith("季度考核方面") for p in doc.paragraphs)
        page = office.get(f"/units/{city['town'].id}").get_data(as_text=True)
        scores = page.split('id="unit-scores"')[1].split("</table>")[0]
        assert "2026年第3季度" in scores and "97.5" in scores and "1/2" in scores


def test_the_bulletin_ranks_towns_and_departments_separately_and_overall(app, city, make, login):
    """A county ranks towns among towns and departments among departments (as the scores pages
    do), and every unit overall: the page, the unit's line, the DOCX and the XLSX all say both."""
    from tracker.bulletins import exports
    from tracker.bulletins.models import Bulletin

    czj = make.unit(code="czj", name="财政局")  # nothing owed in the quarter: a full score
    make.user("contact", unit=czj, username="cz-lly")
    with at(date(2026, 10, 8)):
        make.scores("2026-Q3", date(2026, 10, 8), publish_by=city["office"])
    bulletin_id = _draft_with_item(app, city)
    _publish(app, city, bulletin_id)
    with app.app_context():
        bulletin = db.session.get(Bulletin, bulletin_id)
        rows = {r["name"]: r for r in bulletin.snapshot["figures"]["rows"]}
        docx = Document(io.BytesIO(exports.docx_bytes(bulletin)))
        sheet = load_workbook(io.BytesIO(exports.xlsx_bytes(bulletin))).active
    ranks = {name: (r["score"], r["rank_in_kind"], r["rank"]) for name, r in rows.items()}
    assert ranks == {"财政局": (100, 1, 1), "民政局": (97.5, 2, 2), "绥阳镇": (97.5, 1, 2)}

    table = {r.cells[1].text: [c.text for c in r.cells[-3:]] for r in docx.tables[0].rows[2:-1]}
    assert table == {"绥阳镇": ["97.5", "1", "2"], "民政局": ["97.5", "2", "2"], "财政局": ["100", "1", "1"]}
    assert any("类内排名为镇（街道）、市直部门分别排名" in p.text for p in docx.paragraphs)
    overview = next(p.text for p in docx.paragraphs if p.text.startswith("季度考核方面"))
    assert "市直部门得分居前的：财政局（100分）；得分靠后的：民政局（97.5分）" in overview
    assert "镇（街道）得分居前" not in overview  # one town: nothing to compare it with

    header = [c.value for c in sheet[4]]
    assert header[-3:] == ["得分", "类内排名", "总排名"]
    xlsx = {row[1]: row[-3:] for row in sheet.iter_rows(min_row=5, values_only=True) if row[1] in rows}
    assert xlsx == {"绥阳镇": (97.5, 1, 2), "民政局": (97.5, 2, 2), "财政局": (100, 1, 1)}

    with at(date(2026, 10, 9)):
        contact = login(city["sy-lly"])
        page = contact.get(f"/bulletins/{bulletin_id}").get_data(as_text=True)
        assert "在镇（街道）中排名第1，总排名第2" in page.split('id="own-line"')[1].split("</p>")[0]
        assert "类内排名为镇（街道）、市直部门分别排名" in page
        profile = contact.get(f"/units/{city['town'].id}").get_data(as_text=True)
        scores = profile.split('id="unit-scores"')[1].split("</table>")[0]
        assert "1/1" in scores and "2/3" in scores
