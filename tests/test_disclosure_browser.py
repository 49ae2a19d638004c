"""A disclosure task end to end in a real browser, in the order of 先审查、后公开: the contact submits
the draft, the reviewer approves it with a comment, the contact publishes, the office fails the
verification once, the unit corrects it, the office verifies; the register and the supervision
page show it published on time with one failed verification."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tracker.timeutil import china_today

from .conftest import sign_in

pytestmark = pytest.mark.browser


def _sign_out(page):
    page.context.clear_cookies()


def test_draft_review_publish_failed_verification_correction_verified(make, page):
    unit = make.unit(name="民政局")
    contact = make.user("contact", unit=unit)
    reviewer = make.user("reviewer", unit=unit)
    office = make.user("office", unit=make.unit(kind="office"))
    today = china_today()
    duty = make.duty(unit, title="城乡低保资金发放情况", review_required=True, channels=("website", "wechat"))
    task = make.task(duty, formed=today - timedelta(days=3), title="城乡低保资金发放情况（本月）")

    # the contact acknowledges the task and submits the draft for review — no date, no address yet
    sign_in(page, contact.username)
    page.wait_for_url("**/dashboard")
    page.get_by_role("link", name="城乡低保资金发放情况（本月）").click()
    page.click("#btn-acknowledge")
    expect(page.get_by_text("已签收。")).to_be_visible()
    expect(page.locator("#publication-form")).to_have_count(0)  # publishing comes after the review
    page.fill("textarea[name=draft_text]", "本月城乡低保金发放128.6万元，涉及2312户，名单见附件。")
    page.check("input[name=no_state_secret]")
    page.get_by_label("涉及商业秘密或个人隐私，已作处理").check()
    page.fill("textarea[name=redaction_note]", "名单隐去身份证号码中间8位")
    page.fill("input[name=doc_number]", "东民发〔2026〕12号")
    page.click("#btn-submit-draft")
    expect(page.get_by_text("送审稿已提交审核人审核。")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("已签收 → 待审核")
    _sign_out(page)

    # the reviewer reads the draft on the dashboard's list and approves it with a comment
    sign_in(page, reviewer.username)
    page.wait_for_url("**/dashboard")
    page.locator(".card", has_text="待审核事项").get_by_text("城乡低保资金发放情况（本月）").click()
    expect(page.locator("#draft-text")).to_contain_text("涉及2312户")
    expect(page.locator("#draft")).to_contain_text("名单隐去身份证号码中间8位")
    page.click("#btn-approve")  # without a comment: refused, the message beside the comment box
    expect(page.locator("#approve-comment ~ .invalid-feedback")).to_contain_text("请填写审核意见")
    page.fill("#approve-comment", "同意公开。已审查，不涉及国家秘密。")
    page.click("#btn-approve")
    expect(page.get_by_text("审核通过，联络员可以发布。")).to_be_visible()
    _sign_out(page)

    # the contact publishes and records date, channels and address
    sign_in(page, contact.username)
    page.goto(f"/disclosure/tasks/{task.id}")
    expect(page.locator("#review-comment")).to_have_text("同意公开。已审查，不涉及国家秘密。")
    page.fill("input[name=published_on]", today.isoformat())
    page.fill("input[name=url]", "https://www.dongning.gov.cn/zwgk/dibao.html")
    page.click("#btn-publish")
    expect(page.get_by_text("已登记发布。")).to_be_visible()
    _sign_out(page)

    # the office finds it waiting for verification and fails it: the address is dead
    sign_in(page, office.username)
    page.goto("/disclosure/tasks?flag=to_verify")
    page.get_by_role("link", name="城乡低保资金发放情况（本月）").click()
    page.fill("#fail-reason", "网址无法打开（404）")
    page.click("#btn-fail")
    expect(page.get_by_text("已判定核验未通过，任务退回单位整改。")).to_be_visible()
    expect(page.locator("#verify-failures")).to_contain_text("1 次")
    _sign_out(page)

    # the unit corrects the address
    sign_in(page, contact.username)
    page.goto(f"/disclosure/tasks/{task.id}")
    expect(page.locator("#rework-note")).to_contain_text("网址无法打开（404）")
    page.fill("input[name=url]", "https://www.dongning.gov.cn/zwgk/dibao-2.html")
    page.click("#btn-publish")
    expect(page.get_by_text("已登记整改后的发布信息，等待公开办再次核验。")).to_be_visible()
    _sign_out(page)

    # the office verifies; register and supervision show it on time, with the failure counted
    sign_in(page, office.username)
    page.goto(f"/disclosure/tasks/{task.id}")
    page.fill("#verify-note", "整改后已核对")
    page.click("#btn-verify")
    expect(page.get_by_text("已核验。")).to_be_visible()
    timeline = page.locator("#timeline").inner_text()
    for step in ("已签收 → 待审核", "待审核 → 审核通过待发布", "审核通过待发布 → 已发布待核验",
                 "已发布待核验 → 核验未通过", "核验未通过 → 已发布待核验", "已发布待核验 → 已核验"):
        assert step in timeline
    page.locator("nav").get_by_text("主动公开").click()  # the menu
    page.locator("nav").get_by_text("信息登记簿").click()
    page.wait_for_url("**/disclosure/register")
    row = page.locator("#register tbody tr", has_text="城乡低保资金发放情况（本月）")
    assert "按时" in row.inner_text() and "政府网站、政务微信" in row.inner_text()
    page.goto(f"/disclosure/supervision?year={task.due_date.year}")  # the year the task fell due
    unit_row = page.locator("#supervision tbody tr", has_text="民政局")
    assert unit_row.locator("td[data-col=on_time]").inner_text().strip() == "1"
    assert unit_row.locator("td[data-col=failed]").inner_text().strip() == "1"
    assert unit_row.locator("td[data-col=rate]").inner_text().strip() == "100.0%"
