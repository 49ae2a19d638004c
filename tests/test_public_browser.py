"""In a real browser, the applicant's side after the reply: a rating given on the status page
reaches the quarterly bulletin's figures, and a lost query password comes back by email (a real
SMTP server on loopback)."""
import re
from datetime import date, datetime, time

import pytest
import time_machine
from playwright.sync_api import expect

from tracker.applications.models import Application
from tracker.applications.services import hash_query_password, reply
from tracker.extensions import db
from tracker.timeutil import CHINA

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("recorded_history")]
PASSWORD = "BROWSERQP2"


def test_a_rating_given_on_the_status_page_reaches_the_bulletins_figures(app, make, page):
    office = make.user("office", unit=make.unit(name="东宁市人民政府办公室（政务公开办）", kind="office"))
    unit = make.unit(name="人力资源和社会保障局")
    with time_machine.travel(datetime.combine(date(2026, 9, 15), time(10), CHINA), tick=True):
        application = make.application(unit, date(2026, 8, 20), title="2025年失业保险金发放情况")
        with app.app_context():
            a = db.session.get(Application, application.id)
            reply(a, "partial", date(2026, 9, 10), "signed", date(2026, 9, 10))
            a.query_password_hash = hash_query_password(PASSWORD)
            db.session.commit()
        page.goto("/apply/status")
        expect(page.locator(".navbar-brand")).to_have_text("政府信息公开")  # not the internal name
        page.fill("input[name=code]", application.tracking_code)
        page.fill("input[name=password]", PASSWORD)
        page.click("form button[type=submit]")
        expect(page.locator("#status-rating")).to_contain_text("评价本次答复")
        page.check("input[name=level][value=dissatisfied]")
        page.select_option("select[name=reason]", "incomplete")
        page.fill("textarea[name=comment]", "只公开了部分月份")
        page.click("#btn-rate")
        expect(page.locator("#status-rating-level")).to_have_text("不满意")

    # back on the suite's day: the office drafts the third quarter's bulletin
    sign_in(page, office.username)
    page.wait_for_url("**/dashboard")
    expect(page.locator("body")).to_contain_text("社会评议不满意待处理")
    page.goto("/bulletins")
    page.select_option("#draft-form select[name=quarter]", "2026-Q3")
    page.click("#btn-draft")
    page.wait_for_url(re.compile(r".*/bulletins/\d+$"))
    expect(page.locator("thead")).to_contain_text("社会评议")
    row = page.locator("tbody tr", has_text="人力资源和社会保障局")
    headers = page.locator("thead tr").nth(1).locator("th").all_inner_texts()
    cells = row.locator("td").all_inner_texts()
    offset = len(cells) - len(headers)  # the unit's name (and its number) come first
    values = dict(zip(headers, cells[offset:]))
    assert (values["评议数"], values["不满意"], values["满意"]) == ("1", "1", "0"), values


def test_a_lost_query_password_comes_back_by_email(app, make, page, smtp):
    from tracker.notify.sender import send_due_mails
    make.unit(name="东宁市人民政府办公室（政务公开办）", kind="office")
    page.goto("/apply")
    page.select_option("select[name=applicant_kind]", "natural")
    page.fill("input[name=applicant_name]", "李四")
    page.fill("input[name=id_number]", "230102199001012345")
    page.fill("input[name=email]", "lisi@example.com")
    page.fill("input[name=title]", "2025年城市低保资金发放明细")
    page.fill("textarea[name=description]", "请公开2025年城市低保资金发放明细表")
    page.click("button[type=submit]")
    expect(page.locator("#receipt-warning")).to_contain_text("lisi@example.com")
    expect(page.locator("#btn-print")).to_be_visible()
    code = page.locator("#tracking-code").inner_text()
    first = page.locator("#query-password").inner_text()
    with app.app_context():
        send_due_mails()
    [receipt] = smtp.sink.to("lisi@example.com")
    assert first in receipt.get_body(("plain",)).get_content()

    # the receipt is lost: a new password by email from the status page
    page.goto("/apply/status")
    page.click("#link-lost-password")
    page.fill("input[name=code]", code)
    page.fill("input[name=email]", "lisi@example.com")
    page.click("#btn-password-request")
    expect(page.locator("#password-request-answer")).to_contain_text("如果查询码存在")
    with app.app_context():
        send_due_mails()
    text = smtp.sink.to("lisi@example.com")[-1].get_body(("plain",)).get_content()
    new = re.search(r"查询密码：([A-Z0-9]+)", text).group(1)
    assert new != first
    page.goto("/apply/status")
    page.fill("input[name=code]", code)
    page.fill("input[name=password]", new)
    page.click("form button[type=submit]")
    expect(page.locator("#status-title")).to_have_text("2025年城市低保资金发放明细")
