"""The applicant's journey in a real browser: submit online, check the status; the office confirms
and routes; the unit replies; the applicant sees the result."""
import pytest
from playwright.sync_api import expect

from . import clock
from .conftest import apply_online, sign_in

pytestmark = pytest.mark.browser


def _status(page, code, password):
    page.goto("/apply/status")
    page.fill("input[name=code]", code)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    return page.locator("#status-state").inner_text()


def _reply_due(app, received):
    """What the reply clock gives for an application received on ``received`` (Art. 33)."""
    from tracker.applications.clock import compute_deadline
    from tracker.workcal.services import get_calendar
    with app.app_context():
        return compute_deadline(received, [], get_calendar()).due_date


def test_online_application_from_submission_to_reply(app, make, page, chromium, live_server, today):
    office = make.user("office", unit=make.unit(kind="office"))
    unit = make.unit(name="民政局")
    contact = make.user("contact", unit=unit)

    page.goto("/apply")
    apply_online(page, "2025年低保资金发放明细", "请公开2025年本市低保资金发放明细表")
    code = page.locator("#tracking-code").inner_text()
    password = page.locator("#query-password").inner_text()
    assert code.startswith("YSQ-")
    assert _status(page, code, password) == "待确认"

    office_page = clock.new_context(chromium, live_server).new_page()
    sign_in(office_page, office.username)
    office_page.goto("/applications/?state=pending")
    office_page.click(f"text={code}")
    expect(office_page.locator("#act-confirm button[type=submit]")).to_be_visible()  # open at the top, no click needed
    office_page.select_option("#confirm-unit_id", str(unit.id))
    office_page.click("#act-confirm button[type=submit]")
    assert office_page.locator("#app-state").inner_text() == "办理中"
    due = _reply_due(app, today)  # confirmed today: the day of receipt (Art. 31)
    assert office_page.locator("#due-date").inner_text().startswith(f"{due:%Y-%m-%d}（周")
    office_page.context.close()

    assert _status(page, code, password) == "办理中"
    assert page.locator("#status-due").inner_text().strip().startswith(f"{due:%Y-%m-%d}")

    unit_page = clock.new_context(chromium, live_server).new_page()
    sign_in(unit_page, contact.username)
    unit_page.goto("/applications/")
    unit_page.click(f"text={code}")
    unit_page.click("#act-reply summary")
    unit_page.select_option("#reply-outcome", "grant")
    unit_page.fill("#reply-reply_date", today.isoformat())
    unit_page.select_option("#reply-delivery", "email")
    unit_page.click("#act-reply button[type=submit]")
    assert unit_page.locator("#app-state").inner_text() == "已答复"
    unit_page.context.close()

    assert _status(page, code, password) == "已答复"
