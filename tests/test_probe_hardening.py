"""Hardening found by a probe against the demo: one-time secrets never travel in the session
cookie, a log or the audit log; online applications have a city-wide rate beyond which a signed
offline challenge is asked; zipped uploads are checked before they are inflated; a locked status
lookup tells the applicant how to get help."""
import logging
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from tracker.accounts.models import User
from tracker.applications.models import Application
from tracker.audit.models import AuditEvent
from tracker.extensions import db
from tracker.timeutil import format_datetime

from . import clock
from .conftest import Browser

ONLINE = {"applicant_kind": "natural", "applicant_name": "张三", "id_number": "230102199001011234",
          "phone": "13800000000", "title": "2026年预算", "description": "请公开2026年部门预算",
          "form_wanted": "electronic", "delivery_wanted": "email", "email": "zhang@example.com"}


@pytest.fixture
def office(make, login):
    return login(make.user("office", unit=make.unit(kind="office")))


# --- one-time secrets --------------------------------------------------------------------------------

def _session_cookies(app, browser: Browser, response) -> list[str]:
    """Every session the server sent (Set-Cookie) or the client holds, decoded: signed, not encrypted."""
    serializer = app.session_interface.get_signing_serializer(app)
    name = app.config["SESSION_COOKIE_NAME"]
    values = [h.split(";")[0].split("=", 1)[1] for h in response.headers.getlist("Set-Cookie")
              if h.startswith(name + "=")]
    held = browser.client.get_cookie(name)
    if held is not None:
        values.append(held.value)
    assert values, "expected a session cookie to inspect"
    return [repr(serializer.loads(v)) for v in values if v]


def _audit_text(app) -> str:
    with app.app_context():
        return repr([(e.action, e.before, e.after, e.note, e.object_label)
                     for e in db.session.scalars(select(AuditEvent))])


def _secret_on(html: str) -> str:
    start = html.index('id="one-time-secret">') + len('id="one-time-secret">')
    return html[start:html.index("<", start)]


def _assert_shown_once_and_nowhere_else(app, browser, response, caplog):
    assert response.status_code == 200
    secret = _secret_on(response.get_data(as_text=True))
    assert len(secret) >= 8
    assert all(secret not in s for s in _session_cookies(app, browser, response))
    assert secret not in _audit_text(app)
    assert secret not in caplog.text
    # and the next page (where a flash would have surfaced) does not show it again
    assert secret not in browser.get("/dashboard").get_data(as_text=True)
    return secret


def test_a_new_users_temporary_password_is_on_the_page_not_in_the_cookie_or_the_logs(app, make, office, caplog):
    caplog.set_level(logging.DEBUG)
    unit = make.unit()
    response = office.post("/admin/users/new", {"username": "mzj-lly", "display_name": "张三", "role": "contact",
                                                "unit_id": str(unit.id), "email": "zs@example.gov.cn",
                                                "phone": "", "password": ""})
    secret = _assert_shown_once_and_nowhere_else(app, office, response, caplog)
    Browser(app).login("mzj-lly", secret)  # it is the real password


def test_a_reset_password_is_on_the_page_not_in_the_cookie_or_the_logs(app, make, office, caplog):
    caplog.set_level(logging.DEBUG)
    user = make.user("contact", unit=make.unit())
    response = office.post(f"/admin/users/{user.id}/reset-password", {"reason": ""})
    secret = _assert_shown_once_and_nowhere_else(app, office, response, caplog)
    Browser(app).login(user.username, secret)


def test_a_registered_applications_query_password_is_on_the_page_not_in_the_cookie_or_the_logs(
        app, make, login, caplog):
    caplog.set_level(logging.DEBUG)
    unit = make.unit()
    contact = login(make.user("contact", unit=unit))
    response = contact.post("/applications/new", dict(
        ONLINE, channel="in_person", receipt_date="2026-11-19", unit_id=str(unit.id), form_wanted="paper",
        delivery_wanted="post"))
    secret = _assert_shown_once_and_nowhere_else(app, contact, response, caplog)
    with app.app_context():
        code = db.session.scalar(select(Application.tracking_code).where(Application.applicant_name == "张三"))
    lookup = Browser(app)
    lookup.get("/apply/status")
    assert 'id="status-title"' in lookup.post("/apply/status", {"code": code, "password": secret}).get_data(as_text=True)


def test_an_online_applications_query_password_is_on_the_receipt_not_in_the_cookie_or_the_logs(
        app, make, browser, caplog):
    caplog.set_level(logging.DEBUG)
    make.unit()
    browser.get("/apply")
    response = browser.post("/apply", ONLINE)
    html = response.get_data(as_text=True)
    start = html.index('id="query-password">') + len('id="query-password">')
    secret = html[start:html.index("<", start)]
    assert response.status_code == 200 and len(secret) >= 6
    assert all(secret not in s for s in _session_cookies(app, browser, response))
    assert secret not in _audit_text(app) and secret not in caplog.text


# --- a locked status lookup tells the applicant how to get help --------------------------------------

def _lookup(browser: Browser, address: str, code: str, password: str):
    browser.client.environ_base["REMOTE_ADDR"] = address
    return browser.post("/apply/status", {"code": code, "password": password})


def test_a_code_locked_by_strangers_tells_the_applicant_when_it_lifts_and_whom_to_call(app, make, browser):
    from tracker.portal.services import save_public_page
    make.unit()
    with app.app_context():
        save_public_page({"office_name": "东宁市政务公开办", "guide": "指南",
                          "contact": "地址：市政务服务中心三楼\n电话：0453-3621234"}, None)
        db.session.commit()
    browser.get("/apply")
    html = browser.post("/apply", ONLINE).get_data(as_text=True)
    code = html.split('id="tracking-code">')[1].split("<")[0]
    password = html.split('id="query-password">')[1].split("<")[0]
    start = clock.now().replace(second=0, microsecond=0) + timedelta(minutes=2)
    with time_machine.travel(start, tick=False):
        for n in range(app.config["LOOKUP_MAX_FAILURES_PER_CODE"]):
            assert "查询码或查询密码不正确" in _lookup(browser, f"203.0.113.{n}", code, "WRONG1").get_data(as_text=True)
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        page = _lookup(browser, "198.51.100.1", code, password)  # the applicant, at a new address
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="status-title"' not in text  # still locked: kept
    assert 'id="lookup-locked"' in text and "已暂时锁定" in text
    lifts = start + timedelta(seconds=app.config["LOOKUP_CODE_WINDOW_SECONDS"])
    assert f"将于{format_datetime(lifts)}（北京时间）解除" in text  # when it lifts, in Beijing time
    assert '<strong id="office-phone">0453-3621234</strong>' in text  # whom to call
    with time_machine.travel(lifts + timedelta(minutes=1), tick=False):
        assert 'id="status-title"' in _lookup(browser, "198.51.100.1", code, password).get_data(as_text=True)


def test_the_configured_office_phone_is_the_one_shown_on_a_locked_lookup(app, make, browser):
    make.unit()
    app.config["OFFICE_PHONE"] = "0453-1234000"
    try:
        browser.get("/apply/status")
        for n in range(app.config["LOOKUP_MAX_FAILURES_PER_ADDRESS"]):
            _lookup(browser, "203.0.113.9", f"YSQ-2026-NOSUCH{n}", "WRONG1")
        text = _lookup(browser, "203.0.113.9", "YSQ-2026-NOSUCH", "WRONG1").get_data(as_text=True)
    finally:
        app.config["OFFICE_PHONE"] = ""
    assert 'id="lookup-locked"' in text and "查询失败次数过多" in text
    assert '<strong id="office-phone">0453-1234000</strong>' in text
