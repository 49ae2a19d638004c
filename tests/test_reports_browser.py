"""The annual report in a real browser: the contact prepares and submits it for review, the reviewer
approves, the contact hands it in; the office returns it once with a reason, the unit corrects and
hands it in again, the office accepts; the city report lists the unit as handed in."""
from datetime import date

import pytest

from tracker.reports.narrative import PLACEHOLDER

from . import clock
from .conftest import sign_in

pytestmark = pytest.mark.browser


def _as(chromium, live_server, username):
    page = clock.new_context(chromium, live_server, viewport={"width": 1366, "height": 900}).new_page()
    sign_in(page, username)
    return page


def _act(page, action):
    page.click(f"#report-actions button[data-action={action}]")
    page.wait_for_load_state()


def test_contact_prepares_reviewer_approves_office_returns_then_accepts(make, page, chromium, live_server, today):
    office = make.user("office", unit=make.unit("office", "示范市人民政府办公室（政务公开办）", kind="office"))
    unit = make.unit("mzj", "民政局")
    make.unit("czj", "财政局")
    contact, reviewer = make.user("contact", unit=unit), make.user("reviewer", unit=unit)
    year = today.year if today.month > 4 else today.year - 1  # the report season of the suite's day
    make.application(unit, date(year, 3, 2))
    sign_in(page, contact.username)

    # the contact prepares: the draft is written from the figures, then edited
    page.goto(f"/reports/?year={year}")
    page.click("#start-report")
    assert page.locator("#report-state").inner_text() == "编制中"
    assert "全年新收政府信息公开申请1件" in page.locator("#text-overview").input_value()
    page.fill("#text-other_matters", f"{year}年度，本机关未收取信息处理费。本年度无其他需要报告的事项。")
    page.locator("#section-other button", has_text="保存本节").click()
    assert "正文已保存" in page.content()
    # the draft's 【请补充…】 placeholders keep it from going on, naming the sections
    _act(page, "submit_review")
    assert "以下部分仍有待补充内容：一、总体情况；五、存在的主要问题及改进情况" in page.content()
    assert page.locator("#report-state").inner_text() == "编制中"
    for field, section in (("overview", "overview"), ("problems", "problems")):
        written = PLACEHOLDER.sub("本单位已按要求落实", page.locator(f"#text-{field}").input_value())
        page.fill(f"#text-{field}", written)
        page.locator(f"#section-{section} button", has_text="保存本节").click()
        assert "正文已保存" in page.content()
    _act(page, "submit_review")
    assert page.locator("#report-state").inner_text() == "待审核"

    reviewer_page = _as(chromium, live_server, reviewer.username)
    reviewer_page.goto(f"/reports/?year={year}")
    _act(reviewer_page, "approve")
    assert reviewer_page.locator("#report-state").inner_text() == "已审核待报送"

    page.reload()
    _act(page, "submit")
    assert page.locator("#report-state").inner_text() == "已报送"

    # the office returns it once, with the reason
    office_page = _as(chromium, live_server, office.username)
    office_page.goto(f"/reports/{year}/units/{unit.id}")
    office_page.fill("#report-actions input[name=reason]", "第五部分请对照上年度问题写明改进情况。")
    _act(office_page, "return")
    assert office_page.locator("#report-state").inner_text() == "已退回"
    office_page.goto(f"/reports/{year}/city")
    assert "民政局" in office_page.locator("#units-missing").inner_text()

    page.reload()
    assert "第五部分请对照上年度问题写明改进情况" in page.locator("#return-reason").inner_text()
    page.fill("#text-problems", "存在的主要问题：栏目更新不够及时。改进情况：对照上年度问题，已建立栏目责任人制度。")
    page.locator("#section-problems button", has_text="保存本节").click()
    _act(page, "submit_review")
    reviewer_page.reload()
    _act(reviewer_page, "approve")
    page.reload()
    _act(page, "submit")
    assert page.locator("#report-state").inner_text() == "已报送"

    office_page.goto(f"/reports/{year}/units/{unit.id}")
    _act(office_page, "accept")
    assert office_page.locator("#report-state").inner_text() == "已接收"
    rows = office_page.locator("#submissions tbody tr")
    assert rows.count() == 2 and "已退回" in rows.nth(0).inner_text() and "已接收" in rows.nth(1).inner_text()
    office_page.set_viewport_size({"width": 390, "height": 844})  # the 报送记录 fits a phone too
    office_page.reload()
    assert office_page.evaluate("document.documentElement.scrollWidth") <= 390
    office_page.set_viewport_size({"width": 1280, "height": 800})

    # the city report lists the unit as handed in, the other unit as missing
    office_page.goto(f"/reports/{year}/city")
    from tracker.reports import services as report_services
    with make.app.app_context():
        late = today > report_services.due_date(year)  # handed in after the office's due date
    assert ("民政局（已接收，逾期报送）" if late else "民政局（已接收）") in office_page.locator("#units-submitted").inner_text()
    assert "财政局" in office_page.locator("#units-missing").inner_text()
    assert office_page.locator("#grid-表三 td[data-cell='three/new/total']").inner_text() == "1"
    for p in (reviewer_page, office_page):
        p.context.close()
