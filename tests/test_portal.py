"""The applicant's side: the public front page, the receipt, and the status page opened with the
tracking code and query password."""
import re
from datetime import date, datetime, timezone
from types import SimpleNamespace

import pytest
import time_machine
from sqlalchemy import func, select

from tracker.applications.models import Application
from tracker.audit.models import AuditEvent
from tracker.extensions import db

D = date


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc), tick=True):
        yield


def test_visitors_get_the_public_front_page_and_staff_their_dashboard(app, make, browser, login):
    make.unit(name="东宁市人民政府办公室（政务公开办）", kind="office")
    page = browser.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "东宁市人民政府办公室（政务公开办）" in html
    assert 'href="/apply"' in html and 'href="/apply/status"' in html and 'href="/login"' in html
    assert "政府信息公开指南" in html and "20个工作日内答复" in html
    office = login(make.user("office"))
    assert office.get("/").status_code == 302 and office.get("/").headers["Location"].endswith("/dashboard")
    assert office.get("/?preview=1").status_code == 200  # the office can look at what visitors see


def test_the_office_edits_the_guide_and_the_change_is_audited(app, make, browser, login):
    office = login(make.user("office", unit=make.unit(kind="office")))
    data = {"office_name": "东宁市政务公开办", "guide": "一、本机关政府信息公开指南\n二、受理地点：市政务服务中心", "contact": "电话 0453-3621234"}
    assert office.post("/admin/public-page", data).status_code == 302
    html = browser.get("/").get_data(as_text=True)
    assert "东宁市政务公开办" in html and "受理地点：市政务服务中心" in html and "0453-3621234" in html
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "settings.public_page"))
        assert event.after["office_name"] == "东宁市政务公开办"
    log = office.get("/audit/").get_data(as_text=True)
    assert "修改公开门户首页" in log and "机关名称" in log


def test_an_empty_office_name_is_refused_beside_its_field_and_nothing_changes(app, make, browser, login):
    office = login(make.user("office", unit=make.unit(name="公开办", kind="office")))
    r = office.post("/admin/public-page", {"office_name": "", "guide": "指南"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    field = html[html.index('data-field="office_name"'):html.index('data-field="guide"')]
    assert "is-invalid" in field and "此项必填" in field
    assert "公开办" in browser.get("/").get_data(as_text=True)
    assert login(make.user("leader")).post("/admin/public-page", {"office_name": "x", "guide": "y"}).status_code == 403


ONLINE = {"applicant_kind": "natural", "applicant_name": "张三", "id_number": "230102199001019999",
          "phone": "13900000000", "title": "低保资金发放明细", "description": "请公开2025年低保资金发放明细表",
          "form_wanted": "electronic", "delivery_wanted": "email"}


def _submit(browser):
    body = browser.post("/apply", ONLINE).get_data(as_text=True)
    code = re.search(r'id="tracking-code">([^<]+)<', body).group(1)
    password = re.search(r'id="query-password">([^<]+)<', body).group(1)
    return body, code, password


def test_the_receipt_summarises_the_application_and_prints(app, make, browser):
    make.unit(name="东宁市政务公开办", kind="office")
    body, code, password = _submit(browser)
    assert "政府信息公开申请回执" in body and "东宁市政务公开办" in body
    assert "低保资金发放明细" in body and "请公开2025年低保资金发放明细表" in body and "电子文档" in body
    assert "2301**********9999" in body and "230102199001019999" not in body
    assert "data-print" in body and code.startswith("YSQ-2026-") and len(password) == 10


def test_the_status_page_follows_the_application_to_its_reply_letter(app, make, browser, login):
    office_user = make.user("office", unit=make.unit(kind="office"))
    unit = make.unit(name="民政局")
    _, code, password = _submit(browser)
    status = browser.post("/apply/status", {"code": code, "password": password}).get_data(as_text=True)
    assert "待确认" in status and "确认收到申请后计算" in status and "政务公开办（待分办）" in status
    with app.app_context():
        app_id = db.session.scalar(select(Application.id).where(Application.tracking_code == code))
    office = login(office_user)
    office.post(f"/applications/{app_id}/act/confirm", {"confirm-receipt_date": "2026-11-20",
                                                         "confirm-unit_id": str(unit.id)})
    status = browser.post("/apply/status", {"code": code, "password": password}).get_data(as_text=True)
    steps = status[status.index('id="status-steps"'):]
    assert "民政局" in status and "2026-12-18" in status and "剩余 20 个工作日" in status
    assert steps.index("网上提交申请") < steps.index("确认收到网上申请")
    assert office_user.display_name not in status  # no staff names
    office.post(f"/applications/{app_id}/act/reply", {"reply-outcome": "grant", "reply-reply_date": "2026-11-20",
                                                       "reply-delivery": "email", "reply-delivered_on": "2026-11-20"})
    make.application_document(SimpleNamespace(id=app_id), name="答复书.pdf", data=b"%PDF-1.4 the reply")
    status = browser.post("/apply/status", {"code": code, "password": password}).get_data(as_text=True)
    assert "已答复" in status and "予以公开" in status and "作出答复" in status
    link = re.search(r'href="(/apply/status/reply/\d+)"', status).group(1)
    download = browser.get(link)
    assert download.status_code == 200 and download.data == b"%PDF-1.4 the reply"
    # another browser, without looking the application up, gets nothing
    from .conftest import Browser
    assert Browser(app).get(link).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "application.reply_download")) == 1


def test_the_reply_letter_is_not_offered_before_the_reply(app, make, browser, login):
    unit = make.unit()
    application = make.application(unit, D(2026, 11, 2))
    make.user("office", unit=make.unit(kind="office"))
    draft = make.application_document(application, name="草稿.pdf", kind="reply")
    from tracker.applications.services import hash_query_password
    with app.app_context():
        db.session.get(Application, application.id).query_password_hash = hash_query_password("ABCDEFGHJK")
        db.session.commit()
    status = browser.post("/apply/status", {"code": application.tracking_code, "password": "ABCDEFGHJK"})
    html = status.get_data(as_text=True)
    assert "办理中" in html and "/apply/status/reply/" not in html
    # looked up, but not replied: the filed document is not the applicant's yet
    assert browser.get(f"/apply/status/reply/{draft.id}").status_code == 404


def test_public_pages_carry_the_governments_name_and_office_pages_the_internal_one(app, make, browser, login):
    make.unit(name="东宁市人民政府办公室（政务公开办）", kind="office")
    for url in ("/", "/apply", "/apply/status"):
        html = browser.get(url).get_data(as_text=True)
        assert "政府信息公开" in html and "政务公开监督平台" not in html, url
    office = login(make.user("office"))
    assert "政务公开监督平台" in office.get("/dashboard").get_data(as_text=True)
    data = {"office_name": "东宁市政务公开办", "guide": "指南", "contact": "", "site_name": "东宁市人民政府 政府信息公开"}
    assert office.post("/admin/public-page", data).status_code == 302
    assert "东宁市人民政府 政府信息公开" in browser.get("/apply").get_data(as_text=True)
    assert "政务公开监督平台" in office.get("/admin/public-page").get_data(as_text=True)
