"""网站巡查 in a real browser: the office sees an ID number leaked on a unit's published page,
turns it into a rectification item; the unit answers; the re-check (the scheduler's sweep, run
here) finds the number masked; the office accepts the item."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests import test_website_crawl as crawl
from tests.test_website_crawl import NOW, add_column, publish
from tests.website_site import HALF_WIDTH_TITLE, VALID_ID, pdf
from tracker.website.fixture_server import Reply

from .conftest import sign_in

pytestmark = pytest.mark.browser
fixture_site, web = crawl.fixture_site, crawl.web


def run(web, sweep, now=NOW):
    """Run a sweep as the scheduler does: in a thread of its own (Playwright's event loop holds
    this one)."""
    import threading
    out = []

    def go():
        with web.app.app_context():
            out.append(crawl.run(sweep, now))
    thread = threading.Thread(target=go)
    thread.start()
    thread.join(120)
    return out[0]
PNG = b"\x89PNG\r\n\x1a\n masked list screenshot"


def test_leaked_id_number_to_rectification_recheck_and_acceptance(web, page):
    publish(web, HALF_WIDTH_TITLE, web.base + "/old/notice")
    add_column(web, "/xxgk/dtyw/index.html", kind="news", name="工作动态")
    run(web, "sweep_pages")
    run(web, "sweep_columns")
    masked = VALID_ID[:4] + "*" * 10 + VALID_ID[-4:]

    # the office sees the leak on the overview and opens it
    sign_in(page, web.office.username)
    page.wait_for_url("**/dashboard")
    page.goto("/website/")
    expect(page.locator("[data-total=privacy]")).to_have_text("2")
    expect(page.locator("[data-total=stale]")).to_have_text("1")
    page.locator("[data-total=privacy]").click()
    row = page.locator("#finding-list tr", has_text="补助对象名单.pdf")
    expect(row).to_contain_text(masked)
    assert VALID_ID not in page.content()
    row.get_by_role("link").first.click()
    expect(page.locator("#finding-summary")).to_contain_text(masked)
    page.fill("#period-days", "5")
    page.click("#btn-rectify")
    expect(page.get_by_text("已转为整改事项 1 项")).to_be_visible()
    expect(page.locator("#web-recheck")).to_contain_text("单位报送整改情况后，系统自动复查")
    item_url = page.url
    page.context.clear_cookies()

    # the unit's contact answers with evidence
    sign_in(page, web.contact.username)
    page.wait_for_url("**/dashboard")
    page.goto(item_url)
    expect(page.locator("#rect-facts")).to_contain_text("立即对公民个人信息作脱敏处理")
    page.fill("textarea[name=text]", "已将名单中的身份证号码作脱敏处理并重新上传。")
    page.set_input_files("input[name=files]", files=[{"name": "脱敏后.png", "mimeType": "image/png", "buffer": PNG}])
    page.click("#btn-respond")
    expect(page.get_by_text("已报送整改情况，等待公开办验收。")).to_be_visible()
    page.context.clear_cookies()

    # the site now carries the masked list; the scheduler's re-check reads it
    web.site.pages["/files/list.pdf"] = Reply(body=pdf(["Name list", f"Zhang San ID {masked}"]),
                                              headers={"Content-Type": "application/pdf"})
    try:
        assert "通过 1" in run(web, "sweep_rechecks", NOW + timedelta(hours=1))
    finally:
        from tests.website_site import build
        web.site.pages["/files/list.pdf"] = build().pages["/files/list.pdf"]

    # the office sees the re-check passed and accepts the item
    sign_in(page, web.office.username)
    page.wait_for_url("**/dashboard")
    page.goto(item_url)
    expect(page.locator("#recheck-result")).to_contain_text("复查通过")
    expect(page.locator("#recheck-result")).to_contain_text("已不再出现")
    page.click("#btn-accept")
    expect(page.get_by_text("已验收，整改事项销号。")).to_be_visible()
    page.goto("/website/findings?state=resolved")
    expect(page.locator("#finding-list")).to_contain_text("补助对象名单.pdf")
