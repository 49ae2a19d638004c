"""Supervision end to end in a real browser: the office inspects a unit and orders a rectification;
the contact answers with evidence; the office returns it once, then accepts it; a 督办 on an
overdue task reaches the contact's bell."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tracker.timeutil import china_today

from .conftest import sign_in

pytestmark = pytest.mark.browser
PNG = b"\x89PNG\r\n\x1a\n evidence screenshot"


def _sign_out(page):
    page.context.clear_cookies()


def _answer(page, text, name):
    page.fill("textarea[name=text]", text)
    page.set_input_files("input[name=files]", files=[{"name": name, "mimeType": "image/png", "buffer": PNG}])
    page.click("#btn-respond")
    expect(page.get_by_text("已报送整改情况，等待公开办验收。")).to_be_visible()


def test_inspect_rectify_return_accept_and_urge(make, page):
    office = make.user("office", unit=make.unit(kind="office", name="政务公开办"))
    town = make.unit(code="suiyang", name="绥阳镇", kind="town")
    make.unit(code="mzj", name="民政局")
    contact = make.user("contact", unit=town, phone="0453-3600101")
    make.user("reviewer", unit=town)
    today = china_today()
    task = make.task(make.duty(town, title="农村低保对象名单"), formed=today - timedelta(days=45),
                     title="农村低保对象名单（逾期）")

    # the office records a website spot check of the town and orders a rectification
    sign_in(page, office.username)
    page.wait_for_url("**/dashboard")
    page.goto("/inspections")
    page.click("#btn-new-inspection")
    page.select_option("select[name=kind]", "spot")
    page.fill("input[name=title]", "政府网站信息公开不定期抽查")
    page.fill("textarea[name=scope]", "财政预决算、社会救助栏目")
    page.fill("textarea[name=method]", "网站抽查所列栏目")
    page.get_by_label("绥阳镇").check()
    page.click("#btn-save-inspection")
    expect(page.get_by_text("已登记检查：政府网站信息公开不定期抽查")).to_be_visible()
    page.fill("#finding-form textarea[name=description]", "社会救助栏目2026年未更新")
    page.fill("#finding-form textarea[name=requirement]", "补充公开2026年农村低保对象名单")
    page.fill("#finding-form input[name=period_days]", "10")
    page.click("#btn-add-finding")
    expect(page.get_by_text("已登记问题并下达整改要求")).to_be_visible()
    expect(page.locator("#findings")).to_contain_text("待整改")
    _sign_out(page)

    # the contact finds it on the dashboard and answers with evidence
    sign_in(page, contact.username)
    page.wait_for_url("**/dashboard")
    page.locator("#dashboard-rectifications").get_by_role("link").first.click()
    expect(page.locator("#rect-facts")).to_contain_text("补充公开2026年农村低保对象名单")
    _answer(page, "已在社会救助栏目补充公开", "栏目截图.png")
    _sign_out(page)

    # the office returns it once, with the reason
    sign_in(page, office.username)
    page.wait_for_url("**/dashboard")
    page.goto("/rectifications?flag=submitted")
    page.get_by_role("link", name="政府网站信息公开不定期抽查：社会救助栏目2026年未更新").click()
    expect(page.locator("#answers")).to_contain_text("栏目截图.png")
    page.fill("#return-reason", "截图中看不到发布日期，请补充")
    page.click("#btn-return")
    expect(page.get_by_text("已退回单位重新整改。")).to_be_visible()
    item_url = page.url
    _sign_out(page)

    # the contact reads why, and answers again
    sign_in(page, contact.username)
    page.wait_for_url("**/dashboard")
    page.goto(item_url)
    expect(page.locator("#rect-facts")).to_contain_text("截图中看不到发布日期，请补充")
    _answer(page, "补充了带发布日期的截图", "带日期截图.png")
    _sign_out(page)

    # the office accepts it: closed, done on the day of the accepted answer
    sign_in(page, office.username)
    page.wait_for_url("**/dashboard")
    page.goto(item_url)
    page.click("#btn-accept")
    expect(page.get_by_text("已验收，整改事项销号。")).to_be_visible()
    expect(page.locator("#rect-state")).to_contain_text("已整改销号")
    timeline = page.locator("#timeline").inner_text()
    assert timeline.count("待验收 → 退回重改") == 1 and "待验收 → 已整改销号" in timeline

    # before calling the unit the office opens its page and presses 督办 on the overdue task
    page.goto(f"/units/{town.id}")
    expect(page.locator("#unit-people")).to_contain_text("0453-3600101")
    page.click(f"[data-urge='task-{task.id}']")
    expect(page.get_by_text("已督办，2人已收到站内消息和邮件。")).to_be_visible()
    expect(page.locator("#unit-urgings")).to_contain_text("农村低保对象名单（逾期）")
    _sign_out(page)

    # the 督办 reaches the contact's bell
    sign_in(page, contact.username)
    page.wait_for_url("**/dashboard")
    expect(page.locator("#bell-count")).to_be_visible()
    page.click("#bell")
    expect(page.get_by_text("【督办】农村低保对象名单（逾期）")).to_be_visible()
