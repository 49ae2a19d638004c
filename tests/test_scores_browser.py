"""The score journey in a real browser: the office publishes last quarter's scores; a contact opens
the unit's score page, follows a deduction to the task behind it and objects with evidence; the
office answers (accepts), and the contact sees the deduction voided and the reply."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tracker.scores.periods import quarter_of
from tracker.timeutil import china_today

from .conftest import sign_in
from .scores_helpers import task_with_history

pytestmark = pytest.mark.browser


def test_office_publishes_contact_follows_a_deduction_and_objects_office_answers(app, make, page, tmp_path):
    today = china_today()
    quarter = quarter_of(today).previous()
    unit = make.unit(code="mzj", name="民政局")
    contact = make.user("contact", unit=unit)
    office = make.user("office", unit=make.unit(code="office", name="政务公开办", kind="office"))
    duty = make.duty(unit, title="城乡低保资金发放情况", review_required=False, start_date=quarter.start)
    task = task_with_history(app, make, duty, contact, quarter.start + timedelta(days=5),
                             title="低保对象名单（季度公示）")  # never published: overdue at the quarter's end
    make.scores(quarter.key, today)
    page.on("dialog", lambda dialog: dialog.accept())  # the "publish?" confirmation

    # the office reviews the final figures and publishes them
    sign_in(page, office.username)
    page.wait_for_url("**/dashboard")
    page.locator("nav").get_by_text("考核评分").click()
    page.locator("nav").get_by_text("考核期管理").click()
    page.get_by_role("link", name=quarter.label).click()
    expect(page.locator("#period-scores")).to_contain_text("98")
    page.click("#btn-publish")
    expect(page.get_by_text(f"已发布{quarter.label}考核得分（1个单位）")).to_be_visible()
    page.context.clear_cookies()

    # the contact opens the unit's score page and follows the deduction to its task
    sign_in(page, contact.username)
    page.wait_for_url("**/dashboard")
    page.locator("nav").get_by_text("考核评分").click()
    page.locator("nav").get_by_text("本单位得分").click()
    expect(page.locator("#score-total")).to_have_text("98")
    item = page.locator("#items .list-group-item", has_text="期末仍逾期未公开")
    expect(item).to_contain_text("低保对象名单（季度公示）")
    score_url = page.url
    item.locator("a.record-link").click()
    page.wait_for_url(f"**/disclosure/tasks/{task.id}")
    expect(page.locator("h1")).to_have_text("低保对象名单（季度公示）")

    # back on the score page, the contact objects with a reason and a file of evidence
    page.goto(score_url)
    item = page.locator("#items .list-group-item", has_text="期末仍逾期未公开")
    item.locator("summary", has_text="提出申辩").click()
    item.locator("textarea[name=reason]").fill("该信息已于期限内在镇村公示栏张贴，附照片。")
    evidence = tmp_path / "公示栏照片.png"
    evidence.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    item.locator("input[name=evidence]").set_input_files(str(evidence))
    item.get_by_role("button", name="提交申辩").click()
    expect(page.get_by_text("申辩已提交，公开办答复后将通知您。")).to_be_visible()
    expect(page.locator("#objection-state")).to_have_text("待答复")
    page.context.clear_cookies()

    # the office is told (the bell), reads the objection and accepts it with a reply
    sign_in(page, office.username)
    page.wait_for_url("**/dashboard")
    expect(page.locator("#bell-count")).to_be_visible()
    page.locator("nav").get_by_text("考核评分").click()
    page.locator("nav").get_by_text("考核申辩").click()
    page.get_by_role("link", name="期末仍逾期未公开：每项扣2分：低保对象名单（季度公示）").click()
    expect(page.locator("#objection-reason")).to_contain_text("镇村公示栏")
    expect(page.get_by_role("link", name="公示栏照片.png")).to_be_visible()
    page.select_option("select[name=decision]", "accept")
    page.fill("textarea[name=reply]", "经核实照片属实，撤销该项扣分。")
    page.click("#btn-decide")
    expect(page.get_by_text("已答复申辩，并已通知该单位。")).to_be_visible()
    expect(page.locator("#objection-state")).to_have_text("申辩成立（已撤销扣分）")
    page.context.clear_cookies()

    # the contact hears of it and sees the deduction voided on the score page
    sign_in(page, contact.username)
    page.wait_for_url("**/dashboard")
    page.locator("#bell").click()
    expect(page.get_by_text("【申辩答复】低保对象名单（季度公示）：申辩成立，已撤销该项扣分")).to_be_visible()
    page.goto(score_url)
    expect(page.locator("#score-total")).to_have_text("100")
    expect(page.locator("#items")).to_contain_text("撤销理由：申辩成立：经核实照片属实，撤销该项扣分。")


def test_the_office_chooses_a_period_from_a_list_and_is_warned_of_one_before_any_records(app, make, page):
    today = china_today()
    quarter = quarter_of(today).previous()
    unit = make.unit(code="mzj", name="民政局")
    contact = make.user("contact", unit=unit)
    office = make.user("office", unit=make.unit(code="office", name="政务公开办", kind="office"))
    duty = make.duty(unit, title="城乡低保资金发放情况", review_required=False, start_date=quarter.start)
    task_with_history(app, make, duty, contact, quarter.start + timedelta(days=5), title="低保对象名单（季度公示）")

    sign_in(page, office.username)
    page.wait_for_url("**/dashboard")
    page.goto("/scores/periods")
    options = page.locator("#compute-form select[name=period] option").all_inner_texts()
    assert quarter.label in options and quarter.previous().label not in options  # nothing was held before
    page.select_option("#compute-form select[name=period]", label=quarter.label)
    page.locator("#compute-form button[type=submit]").click()
    expect(page.get_by_text(f"已计算{quarter.label}得分")).to_be_visible()
    expect(page.locator("#no-records")).to_have_count(0)
    expect(page.locator("#btn-publish")).to_be_visible()


@pytest.mark.parametrize("width, height", [(1366, 768), (390, 844)])
def test_the_ranking_shows_rank_and_total_first_and_fits_the_desktop(app, make, page, width, height):
    today = china_today()
    quarter = quarter_of(today).previous()
    office = make.user("office", unit=make.unit(code="office", name="政务公开办", kind="office"))
    for code, name in (("mzj", "民政局"), ("rsj", "人力资源和社会保障局"), ("dongning", "东宁镇")):
        make.user("contact", unit=make.unit(code=code, name=name, kind="town" if code == "dongning" else "department"))
    make.scores(quarter.key, today)
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, office.username)
    page.wait_for_url("**/dashboard")
    page.goto(f"/scores/?period={quarter.key}")
    heads = [h.strip() for h in page.locator("#ranking thead th").all_inner_texts()]
    assert heads[0].startswith("排名") and heads[1].startswith("总分"), heads
    total = page.locator("#ranking tbody tr").first.locator("[data-col=total]")
    box = total.bounding_box()
    assert box["x"] + box["width"] <= width  # the total is seen without scrolling sideways
    if width == 1366:
        overflow = page.locator("#ranking").evaluate("t => t.parentElement.scrollWidth - t.parentElement.clientWidth")
        assert overflow <= 0, f"the ranking scrolls sideways by {overflow}px at 1366px"
