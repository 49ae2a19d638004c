"""网站巡查 findings become work: rectification items, the re-check after the unit's answer, the
scores' rules, the bulletin's figures, the supervision page; columns by XLSX; who sees what."""
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from tests import test_website_crawl as crawl
from tests.test_website_crawl import NOW, TODAY, add_column, findings, publish, run
from tests.website_site import HALF_WIDTH_TITLE
from tracker.extensions import db

fixture_site, web = crawl.fixture_site, crawl.web   # the loopback site and the unit it belongs to


def _users(web):
    from tracker.accounts.models import User
    return db.session.get(User, web.office.id), db.session.get(User, web.contact.id)


def test_a_leak_becomes_a_rectification_item_and_its_recheck_passes_once_masked(web):
    from tests.website_site import pdf
    from tracker.inspections import services as inspections
    from tracker.inspections.models import Rectification
    from tracker.website import findings as wf
    from tracker.website.fixture_server import Reply
    publish(web, HALF_WIDTH_TITLE, web.base + "/old/notice")
    with web.app.app_context():
        run("sweep_pages")
    leak = next(f for f in findings(web, "privacy_leak") if f.url.endswith("list.pdf"))
    with web.app.app_context():
        office, contact = _users(web)
        [item] = wf.to_rectifications([leak.id], office, TODAY, 5)
        db.session.commit()
        item_id = item.id
        assert item.unit_id == web.unit.id and item.period_days == 5 and "隐私信息泄露" in item.title
        assert item.inspection.kind == "special" and item.inspection.title.startswith("网站巡查（2026-12-07）")
        # converting again is refused and changes nothing
        try:
            wf.to_rectifications([leak.id], office, TODAY, 5)
        except Exception as exc:  # ServiceError
            assert "请勿重复" in exc.message
        else:
            raise AssertionError("a finding was turned into work twice")
    saved = web.site.pages["/files/list.pdf"]
    web.site.pages["/files/list.pdf"] = Reply(body=pdf(["Name list", "Zhang San ID 2310**********1234"]),
                                              headers={"Content-Type": "application/pdf"})
    try:
        with web.app.app_context():
            office, contact = _users(web)
            item = db.session.get(Rectification, item_id)
            inspections.respond(item, contact, "已对名单中的身份证号码作脱敏处理。", [("截图.png", b"\x89PNG\r\n\x1a\nxx")],
                                TODAY)
            db.session.commit()
            assert run("sweep_rechecks", NOW + timedelta(hours=2)).startswith("复查 1 个（通过 1")
            finding = wf.for_rectification(item_id)
            assert finding.recheck_passed is True and finding.state == "resolved"
            inspections.accept(db.session.get(Rectification, item_id), office, "复查通过")
            db.session.commit()
            assert db.session.get(Rectification, item_id).state == "closed"
            # nothing more to re-check
            assert run("sweep_rechecks", NOW + timedelta(hours=3)).startswith("复查 0 个")
    finally:
        web.site.pages["/files/list.pdf"] = saved


def test_a_recheck_that_still_finds_the_number_fails(web):
    from tracker.inspections import services as inspections
    from tracker.inspections.models import Rectification
    from tracker.website import findings as wf
    publish(web, HALF_WIDTH_TITLE, web.base + "/old/notice")
    with web.app.app_context():
        run("sweep_pages")
    leak = next(f for f in findings(web, "privacy_leak") if f.url.endswith("reply.docx"))
    with web.app.app_context():
        office, contact = _users(web)
        [item] = wf.to_rectifications([leak.id], office, TODAY, None)
        inspections.respond(db.session.get(Rectification, item.id), contact, "已处理。", [("a.pdf", b"%PDF-1.4 x")],
                            TODAY)
        db.session.commit()
        run("sweep_rechecks", NOW + timedelta(hours=2))
        finding = wf.for_rectification(item.id)
        assert finding.recheck_passed is False and "仍能读到" in finding.recheck_note and finding.state == "open"


def test_many_findings_become_items_of_their_units_in_one_inspection(web):
    from tracker.website import findings as wf
    add_column(web, "/xxgk/dtyw/index.html", kind="news", name="工作动态")
    add_column(web, "/xxgk/kong/index.html", kind="plan", name="规划计划")
    with web.app.app_context():
        run("sweep_columns")
        office, _ = _users(web)
        ids = [f.id for f in findings(web)]
        items = wf.to_rectifications(ids, office, TODAY, None)
        db.session.commit()
        assert len(items) == 2 and len({i.inspection_id for i in items}) == 1
        assert all(i.period_days == 10 for i in items)


def test_turning_findings_into_work_refuses_what_cannot_be_turned(web):
    import pytest

    from tracker.errors import ServiceError
    from tracker.website import findings as wf
    add_column(web, "/xxgk/kong/index.html", kind="plan", name="规划计划")
    with web.app.app_context():
        run("sweep_columns")
        office, contact = _users(web)
        fid = findings(web)[0].id
        for ids, who, message in (([], office, "请选择"), ([fid, 999999], office, "不存在"), ([fid], contact, "只有公开办")):
            with pytest.raises(ServiceError, match=message):
                wf.to_rectifications(ids, who, TODAY, None)
        with pytest.raises(ServiceError, match="整改期限"):
            wf.to_rectifications([fid], office, TODAY, "三天")
        db.session.rollback()
        from tracker.inspections.models import Rectification
        assert db.session.scalar(select(Rectification.id)) is None


def test_scores_count_stale_columns_dead_links_and_leaks_by_the_rubric(web):
    from tracker.scores.periods import parse_period
    from tracker.scores.rubrics import default_spec
    from tracker.scores.rules import RULES, evaluate
    from tracker.scores.sources import SOURCES
    add_column(web, "/xxgk/tzgg/index.html")
    add_column(web, "/xxgk/dtyw/index.html", kind="news", name="工作动态")
    publish(web, HALF_WIDTH_TITLE, web.base + "/old/notice")
    with web.app.app_context():
        run("sweep_columns")
        run("sweep_pages")
        quarter = parse_period("2026-Q4")
        rows = SOURCES["website_findings"](quarter, TODAY, [web.unit.id])
        counts = {kind: len(evaluate(kind, rows, quarter, TODAY, {}, None))
                  for kind in ("website_columns", "website_links", "website_privacy")}
        assert counts == {"website_columns": 1, "website_links": 1, "website_privacy": 2}
        assert evaluate("website_columns", rows, parse_period("2026-Q3"), TODAY, {}, None) == []
        spec = default_spec()
        assert {r.kind: r.points for _, r in spec.rule_settings() if r.kind.startswith("website")} == {
            "website_columns": Decimal(1), "website_links": Decimal("0.5"), "website_privacy": Decimal(2)}
        assert "国办发〔2017〕47号" in RULES["website_columns"].source


def test_the_bulletin_counts_stale_columns_and_link_error_rates(web):
    from tracker.bulletins import figures
    from tracker.bulletins.quarters import Quarter
    add_column(web, "/xxgk/tzgg/index.html")
    add_column(web, "/xxgk/dtyw/index.html", kind="news", name="工作动态")
    with web.app.app_context():
        run("sweep_columns")
        figs = figures.compute(Quarter.parse("2026-Q4"), date(2027, 1, 4))
    row = next(r for r in figs["rows"] if r["unit_id"] == web.unit.id)
    assert figs["website"] is True and row["web_stale"] == 1 and row["web_link_rate"] == "14.3%"  # 1 of 4 + 3 links
    assert figs["units_with_stale_columns"] == [web.unit.name]
    assert [g for g, _ in figures.column_groups(False, True)][-1] == "网站巡查"


def test_a_city_without_columns_gets_no_website_figures(app, make):
    from tracker.bulletins import figures
    from tracker.bulletins.quarters import Quarter
    make.unit()
    with app.app_context():
        figs = figures.compute(Quarter.parse("2026-Q3"), date(2026, 10, 8))
    assert figs["website"] is False and "web_stale" not in figs["rows"][0]


def test_columns_import_from_xlsx_refuses_the_whole_file_on_any_bad_row(web):
    import io

    import pytest
    from openpyxl import Workbook

    from tracker.errors import ValidationErrors
    from tracker.website.columns import import_columns
    from tracker.website.models import WebColumn

    def book(rows):
        wb = Workbook()
        ws = wb.active
        ws.append(["单位编码", "栏目名称", "栏目地址", "栏目类型"])
        for r in rows:
            ws.append(r)
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()
    code = web.unit.code
    with web.app.app_context():
        office, _ = _users(web)
        with pytest.raises(ValidationErrors) as refused:
            import_columns("栏目.xlsx", book([[code, "通知公告", web.base + "/a", "通知公告"],
                                            ["nope", "x", web.base + "/b", "通知公告"],
                                            [code, "外站", "http://www.example.com/", "动态要闻"],
                                            [code, "自定", web.base + "/c", "天数"]]), office, NOW)
        assert len(refused.value.errors) == 3 and "第3行" in refused.value.errors[0]
        assert db.session.scalar(select(WebColumn.id)) is None
        added, updated = import_columns("栏目.xlsx", book([[code, "通知公告", web.base + "/a", "通知公告"],
                                                          [code, "工作动态", web.base + "/b", "动态要闻"],
                                                          [code, "专题", web.base + "/c", "45"]]), office, NOW)
        db.session.commit()
        assert (added, updated) == (3, 0)
        custom = db.session.scalar(select(WebColumn).where(WebColumn.name == "专题"))
        assert custom.kind == "custom" and custom.max_age_days == 45
        assert import_columns("栏目.xlsx", book([[code, "通知公告（改名）", web.base + "/a", "通知公告"]]),
                              office, NOW) == (0, 1)


def test_pages_show_the_evidence_and_units_see_only_their_own(web, login):
    other_unit = web.factory.unit(name="民政局")
    other = web.factory.user("contact", unit=other_unit)
    task_id = publish(web, HALF_WIDTH_TITLE, web.base + "/old/notice")
    add_column(web, "/xxgk/dtyw/index.html", kind="news", name="工作动态")
    with web.app.app_context():
        run("sweep_pages")
        run("sweep_columns")
    office = login(web.office)
    task_page = office.get(f"/disclosure/tasks/{task_id}").get_data(as_text=True)
    assert "网站巡查 · 发布核验" in task_page and "301 " in task_page and "页面中可找到" in task_page
    assert "网站巡查：发现未脱敏的个人信息" in task_page          # the failure reason, pre-filled
    for url in ("/website/", "/website/columns", "/website/findings", "/website/checks?flag=failed",
                "/website/settings", "/disclosure/supervision"):
        assert office.get(url).status_code == 200, url
    leak = next(f for f in findings(web, "privacy_leak"))
    listing = office.get("/website/findings?kind=privacy_leak").get_data(as_text=True)
    assert leak.summary in listing
    mine = login(web.contact)
    assert mine.get(f"/website/findings/{leak.id}").status_code == 200
    assert mine.get("/website/settings").status_code == 403
    assert login(other).get(f"/website/findings/{leak.id}").status_code == 404
    assert web.unit.name not in login(other).get("/website/findings").get_data(as_text=True)


def test_settings_refuse_bad_values_and_keep_the_old_ones(web, login):
    office = login(web.office)
    response = office.post("/website/settings", data={"allowed_domains": "", "recheck_days": "30",
                                                      "column_hours": "24", "max_list_pages": "3", "max_links": "20",
                                                      "max_attachments": "10", "rectification_days": "10"})
    assert response.status_code == 422
    response = office.post("/website/settings", data={"allowed_domains": "test.gov.cn", "recheck_days": "900",
                                                      "column_hours": "24", "max_list_pages": "3", "max_links": "20",
                                                      "max_attachments": "10", "rectification_days": "10"})
    assert response.status_code == 422 and "复查周期" in response.get_data(as_text=True)
    with web.app.app_context():
        from tracker.website.settings import settings
        assert settings()["recheck_days"] == 30 and settings()["allowed_domains"] == ["test.gov.cn"]


def test_a_column_off_the_allow_list_is_refused_with_a_chinese_message(web, login):
    office = login(web.office)
    response = office.post("/website/columns", data={"unit_id": str(web.unit.id), "name": "外站",
                                                     "url": "http://www.example.com/news", "kind": "news"})
    assert response.status_code == 422 and "不在允许巡查的政府网站域名范围内" in response.get_data(as_text=True)
    response = office.post("/website/columns", data={"unit_id": str(web.unit.id), "name": "通知公告",
                                                     "url": web.base + "/xxgk/tzgg/", "kind": "notice"})
    assert response.status_code == 302
