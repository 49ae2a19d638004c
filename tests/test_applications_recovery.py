"""The query password after the receipt: mailed with the online receipt, a new one by email for an
applicant who lost it (throttled, audited, the same answer whatever the code), or a new one at the
counter, shown once to the office."""
import re

from sqlalchemy import func, select

from tracker.audit.models import AuditEvent
from tracker.extensions import db
from tracker.notify.models import OutboxMail

ONLINE = {"applicant_kind": "natural", "applicant_name": "张三", "id_number": "230102199001019999",
          "phone": "13900000000", "email": "zhangsan@example.com", "title": "低保资金发放明细",
          "description": "请公开2025年低保资金发放明细表", "form_wanted": "electronic", "delivery_wanted": "email"}


def _submit(browser, **fields):
    body = browser.post("/apply", {**ONLINE, **fields}).get_data(as_text=True)
    return (body, re.search(r'id="tracking-code">([^<]+)<', body).group(1),
            re.search(r'id="query-password">([^<]+)<', body).group(1))


def _mails(app, to="zhangsan@example.com"):
    with app.app_context():
        return db.session.scalars(select(OutboxMail).where(OutboxMail.to_addr == to).order_by(OutboxMail.id)).all()


def test_the_receipt_warns_before_leaving_and_is_mailed_with_the_password(app, make, browser):
    make.unit(kind="office")
    body, code, password = _submit(browser)
    assert 'id="receipt-warning"' in body and "zhangsan@example.com" in body and "/apply/status/password" in body
    [mail] = _mails(app)
    assert code in mail.subject and code in mail.body_text and password in mail.body_text
    _, _, _ = _submit(browser, email="", id_number="230102199001011111", description="另一件")
    assert len(_mails(app)) == 1  # no address, no mail


def test_a_new_password_goes_to_the_email_given_and_the_answer_never_says_whether_the_code_exists(app, make, browser):
    make.unit(kind="office")
    _, code, old = _submit(browser)
    answers = []
    for data in ({"code": code, "email": "ZhangSan@Example.com "}, {"code": "YSQ-2026-NOSUCH", "email": "a@b.cn"},
                 {"code": code, "email": "someone@else.cn"}):
        r = browser.post("/apply/status/password", data)
        assert r.status_code == 200
        page = r.get_data(as_text=True)
        answers.append(page[page.index('id="password-request-answer"'):][:300])
    assert answers[0] == answers[1] == answers[2]
    mails = _mails(app)
    assert len(mails) == 2 and "原查询密码已失效" in mails[1].body_text
    new = re.search(r"查询密码：([A-Z0-9]+)", mails[1].body_text).group(1)
    assert new != old
    assert "查询码或查询密码不正确" in browser.post("/apply/status", {"code": code, "password": old}).get_data(as_text=True)
    assert 'id="status-result"' in browser.post("/apply/status", {"code": code, "password": new}).get_data(as_text=True)
    with app.app_context():
        notes = db.session.scalars(select(AuditEvent.note).where(AuditEvent.action == "application.password_request")).all()
        assert len(notes) == 3 and sum("已发送" in n for n in notes) == 1


def test_requests_for_a_new_password_are_throttled_per_code(app, make, browser):
    make.unit(kind="office")
    _, code, _ = _submit(browser)
    for _ in range(3):
        browser.post("/apply/status/password", {"code": code, "email": "x@y.cn"})
    page = browser.post("/apply/status/password", {"code": code, "email": "zhangsan@example.com"}).get_data(as_text=True)
    assert "请求过于频繁" in page and len(_mails(app)) == 1


def test_the_office_resets_the_password_at_the_counter_and_sees_it_once(app, make, browser, login):
    office_user = make.user("office", unit=make.unit(kind="office"))
    unit = make.unit()
    contact = make.user("contact", unit=unit)
    application = make.application(unit, make_today())
    office = login(office_user)
    assert "重置查询密码" in office.get(f"/applications/{application.id}").get_data(as_text=True)
    r = office.post(f"/applications/{application.id}/query-password")
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    password = re.search(r'id="one-time-secret">([^<]+)<', page).group(1)
    assert password not in str(r.headers.get("Set-Cookie"))
    assert 'id="status-result"' in browser.post("/apply/status", {"code": application.tracking_code,
                                                                  "password": password}).get_data(as_text=True)
    assert login(contact).post(f"/applications/{application.id}/query-password").status_code == 403
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "application.reset_password"))
        assert event is not None and password not in (event.note or "") + str(event.after)
        assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 0


def make_today():
    from tracker.timeutil import china_today
    return china_today()
