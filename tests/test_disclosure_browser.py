"""A disclosure task end to end in a real browser: the contact acknowledges and submits, the
reviewer approves, the office sees it published on time."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tracker.timeutil import china_today

from .conftest import sign_in

pytestmark = pytest.mark.browser


def _sign_out(page):
    page.context.clear_cookies()


def test_contact_reviewer_and_office_walk_a_task_to_published_on_time(make, page):
    unit = make.unit(name="民政局")
    contact = make.user("contact", unit=unit)
    reviewer = make.user("reviewer", unit=unit)
    office = make.user("office", unit=make.unit(kind="office"))
    today = china_today()
    duty = make.duty(unit, title="城乡低保资金发放情况", review_required=True, channels=("website", "wechat"))
    task = make.task(duty, formed=today - timedelta(days=3), title="城乡低保资金发放情况（本月）")

    # the contact finds the task on the dashboard, acknowledges it and submits the publication record
    sign_in(page, contact.username)
    page.wait_for_url("**/dashboard")
    page.get_by_role("link", name="城乡低保资金发放情况（本月）").click()
    page.click("#btn-acknowledge")
    expect(page.get_by_text("已签收。")).to_be_visible()
    page.fill("input[name=published_on]", today.isoformat())
    page.fill("input[name=url]", "https://www.dongning.gov.cn/zwgk/dibao.html")
    page.fill("input[name=doc_number]", "东民发〔2026〕12号")
    page.click("#btn-submit")
    expect(page.get_by_text("已提交审核人审核。")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("已签收 → 待审核")
    _sign_out(page)

    # the reviewer sees it awaiting approval and approves
    sign_in(page, reviewer.username)
    page.wait_for_url("**/dashboard")
    expect(page.locator(".card", has_text="待审核事项").get_by_text("城乡低保资金发放情况（本月）")).to_be_visible()
    page.goto("/disclosure/tasks")
    page.get_by_role("link", name="城乡低保资金发放情况（本月）").click()
    page.click("#btn-approve")
    expect(page.get_by_text("审核通过，信息已登记为已发布。")).to_be_visible()
    _sign_out(page)

    # the office sees it in the register as published on time, and on the supervision page
    sign_in(page, office.username)
    page.wait_for_url("**/dashboard")
    page.locator("nav").get_by_text("主动公开").click()  # the menu
    page.locator("nav").get_by_text("信息登记簿").click()
    page.wait_for_url("**/disclosure/register")
    row = page.locator("#register tbody tr", has_text="城乡低保资金发放情况（本月）")
    assert "按时" in row.inner_text() and "政府网站、政务微信" in row.inner_text()
    page.locator("nav").get_by_text("主动公开").click()
    page.locator("nav").get_by_text("公开督查").click()
    page.wait_for_url("**/disclosure/supervision")
    page.goto(f"/disclosure/supervision?year={task.due_date.year}")  # the year the task fell due
    unit_row = page.locator("#supervision tbody tr", has_text="民政局")
    assert unit_row.locator("td[data-col=on_time]").inner_text().strip() == "1"
    assert unit_row.locator("td[data-col=rate]").inner_text().strip() == "100.0%"
    page.goto(f"/disclosure/tasks/{task.id}")
    assert "按时发布" in page.locator("#publication").inner_text()
    assert "待审核 → 已发布" in page.locator("#timeline").inner_text()
