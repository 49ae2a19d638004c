"""Hardening found by a probe against the demo: one-time secrets never travel in the session
cookie, a log or the audit log; online applications have a city-wide rate beyond which a signed
offline challenge is asked; zipped uploads are checked before they are inflated; a locked status
lookup tells the applicant how to get help."""
import logging
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

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
        app, make, login, caplog, today):
    caplog.set_level(logging.DEBUG)
    unit = make.unit()
    contact = login(make.user("contact", unit=unit))
    response = contact.post("/applications/new", dict(
        ONLINE, channel="in_person", receipt_date=today.isoformat(), unit_id=str(unit.id), form_wanted="paper",
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


# --- zipped uploads are checked before they are inflated ----------------------------------------------

def _zip_bomb_xlsx(inflated_mb: int) -> bytes:
    """A valid units workbook whose sheet carries one cell of ``inflated_mb`` MB of one letter: a
    few hundred KB uploaded, ``inflated_mb`` MB once inflated."""
    import io
    import zipfile

    from openpyxl import Workbook
    wb = Workbook()
    wb.active.append(["编码", "名称", "类型"])
    wb.active.append(["mzj", "民政局", "市直部门"])
    small = io.BytesIO()
    wb.save(small)
    out = io.BytesIO()
    with zipfile.ZipFile(small) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(item, src.read(item.filename))
                continue
            sheet = src.read(item.filename).decode()
            head, tail = sheet.split("</sheetData>")
            with dst.open(item.filename, "w", force_zip64=True) as member:
                member.write((head + '<row r="3"><c r="A3" t="inlineStr"><is><t>').encode())
                chunk = b"A" * (1024 * 1024)
                for _ in range(inflated_mb):
                    member.write(chunk)
                member.write(("</t></is></c></row></sheetData>" + tail).encode())
    return out.getvalue()


def _units(app) -> int:
    from sqlalchemy import func

    from tracker.units.models import Unit
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Unit))


def _upload(client, kind, data):
    import io
    return client.post(f"/admin/import/{kind}", {"file": (io.BytesIO(data), "单位.xlsx")},
                       content_type="multipart/form-data")


def test_a_zip_bomb_workbook_is_refused_before_it_is_inflated(app, office):
    bomb = _zip_bomb_xlsx(60)
    assert len(bomb) < 1024 * 1024  # small on the wire...
    before = _units(app)
    for kind in ("units", "users"):
        response = _upload(office, kind, bomb)
        text = response.get_data(as_text=True)
        assert response.status_code == 422, kind
        assert "解压后超过 50 MB" in text, kind  # ...refused by its declared size, in Chinese
    assert _units(app) == before  # nothing imported


def test_a_workbook_inflating_over_a_hundred_times_is_refused_even_under_the_size_cap(app, office):
    bomb = _zip_bomb_xlsx(5)
    before = _units(app)
    response = _upload(office, "units", bomb)
    assert response.status_code == 422 and "压缩比异常（超过 100 倍）" in response.get_data(as_text=True)
    assert _units(app) == before


def test_an_ordinary_workbook_still_imports(app, office):
    import io

    from openpyxl import Workbook
    wb = Workbook()
    wb.active.append(["编码", "名称", "类型"])
    wb.active.append(["mzj", "民政局", "市直部门"])
    out = io.BytesIO()
    wb.save(out)
    before = _units(app)
    assert "共1个单位" in _upload(office, "units", out.getvalue()).get_data(as_text=True)
    assert _units(app) == before + 1


def test_the_website_check_does_not_inflate_a_zip_bomb_it_fetched():
    from tracker.website.extract import read
    document = read(_zip_bomb_xlsx(60), "application/octet-stream", None, "http://example.gov.cn/a.xlsx")
    assert document.kind == "xlsx" and "解压后超过 50 MB" in document.problem


# --- the city-wide rate of online applications and the office's junk marking ---------------------------

def _apply_from(app, ip: str, n: int, **extra):
    b = Browser(app)
    b.client.environ_base["REMOTE_ADDR"] = ip
    b.get("/apply")
    return b, b.post("/apply", dict(ONLINE, id_number=f"23010219900101{n:04d}", description=f"请公开第{n}号文件",
                                    **extra))


def _question(html: str) -> tuple[str, int]:
    """The token and the right answer of the question on the page (the test reads it as a person would)."""
    token = html.split('name="challenge_token" type="hidden" value="')[1].split('"')[0]
    question = html.split('id="challenge-question">')[1].split("等于几")[0]
    digits = {c: i for i, c in enumerate("零一二三四五六七八九十")}

    def number(text):
        return digits[text] if len(text) == 1 else 10 + digits[text[1]]
    op = "加" if "加" in question else "减"
    a, b = (number(t) for t in question.split(op))
    return token, a + b if op == "加" else a - b


def _count(app, **where) -> int:
    from sqlalchemy import func
    with app.app_context():
        stmt = select(func.count()).select_from(Application)
        for k, v in where.items():
            stmt = stmt.where(getattr(Application, k) == v)
        return db.session.scalar(stmt)


@pytest.fixture
def busy(app, make):
    """Three online applications in the last hour, from three addresses, against a city-wide rate of three."""
    make.unit()
    app.config["APPLY_GLOBAL_PER_HOUR"] = 3
    for n in range(3):
        assert _apply_from(app, f"198.51.100.{n}", n)[1].status_code == 200
    yield
    app.config["APPLY_GLOBAL_PER_HOUR"] = 60


def test_below_the_city_wide_rate_no_question_is_asked(app, make):
    make.unit()
    browser, response = _apply_from(app, "198.51.100.1", 1)
    assert response.status_code == 200 and 'id="query-password"' in response.get_data(as_text=True)
    assert 'id="apply-challenge"' not in browser.get("/apply").get_data(as_text=True)


def test_beyond_the_city_wide_rate_a_new_address_must_answer_a_question_and_keeps_what_it_typed(app, busy):
    browser, refused = _apply_from(app, "203.0.113.50", 50, address="东宁镇明星街1号")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "请先回答下方的验证问题" in html
    assert 'id="apply-challenge"' in html and 'value="东宁镇明星街1号"' in html and "请公开第50号文件" in html
    assert _count(app) == 3
    token, answer = _question(html)
    done = browser.post("/apply", dict(ONLINE, id_number="230102199001010050", description="请公开第50号文件",
                                       challenge_token=token, challenge_answer=str(answer)))
    assert done.status_code == 200 and 'id="query-password"' in done.get_data(as_text=True)
    assert _count(app) == 4
    # the form asks at once while the rate is exceeded
    assert 'id="challenge-question"' in Browser(app).get("/apply").get_data(as_text=True)


def test_a_wrong_expired_or_replayed_answer_is_refused_in_chinese_and_nothing_typed_is_lost(app, busy):
    browser, first = _apply_from(app, "203.0.113.60", 60)
    token, answer = _question(first.get_data(as_text=True))
    data = dict(ONLINE, id_number="230102199001010060", description="请公开第60号文件", challenge_token=token)
    wrong = browser.post("/apply", dict(data, challenge_answer=str(answer + 1)))
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and "答案不正确" in html and "请公开第60号文件" in html
    assert _question(html)[0] != token  # a new question
    assert browser.post("/apply", dict(data, challenge_answer=str(answer))).status_code == 200  # solved once...
    other, _ = _apply_from(app, "203.0.113.61", 61)
    replay = other.post("/apply", dict(ONLINE, id_number="230102199001010061", description="请公开第61号文件",
                                       challenge_token=token, challenge_answer=str(answer)))
    assert replay.status_code == 422 and "已经使用过" in replay.get_data(as_text=True)  # ...not twice
    tampered = other.post("/apply", dict(ONLINE, id_number="230102199001010061", description="请公开第61号文件",
                                         challenge_token=token[:-2] + "xx", challenge_answer=str(answer)))
    assert tampered.status_code == 422 and "验证问题无效" in tampered.get_data(as_text=True)
    late = Browser(app)
    late.client.environ_base["REMOTE_ADDR"] = "203.0.113.62"
    token, answer = _question(late.get("/apply").get_data(as_text=True))  # asked at once: the rate is exceeded
    with time_machine.travel(clock.now() + timedelta(seconds=app.config["APPLY_CHALLENGE_SECONDS"] + 5)):
        expired = late.post("/apply", dict(ONLINE, id_number="230102199001010062", description="请公开第62号文件",
                                           challenge_token=token, challenge_answer=str(answer)))
    assert expired.status_code == 422 and "验证问题已过期" in expired.get_data(as_text=True)
    assert "请公开第62号文件" in expired.get_data(as_text=True)
    assert _count(app) == 4
    with app.app_context():
        notes = db.session.scalars(select(AuditEvent.note).where(AuditEvent.action == "application.submit_online")).all()
    assert sum(1 for n in notes if n and n.startswith("人机验证通过")) == 1


def test_the_office_marks_several_online_submissions_as_junk_and_it_is_audited(app, make, login, busy):
    office = login(make.user("office", unit=make.unit(kind="office")))
    contact = login(make.user("contact", unit=make.unit()))
    listing = office.get("/applications/?state=pending").get_data(as_text=True)
    assert 'id="discard-form"' in listing and "标记为无效申请（垃圾提交）" in listing
    with app.app_context():
        ids = [str(i) for i in db.session.scalars(select(Application.id).where(Application.online.is_(True))
                                                 .order_by(Application.id))]
    assert contact.post("/applications/discard", {"app_id": ids, "reason": "批量垃圾"}).status_code == 403
    no_reason = office.post("/applications/discard", {"app_id": ids[:2], "reason": ""}, follow_redirects=True)
    assert "请说明标记为无效申请的理由" in no_reason.get_data(as_text=True)
    assert _count(app, state="discarded") == 0
    done = office.post("/applications/discard", {"app_id": ids[:2], "reason": "自动批量提交的无意义内容"},
                       follow_redirects=True)
    assert "已将2件网上申请标记为无效申请（垃圾提交）" in done.get_data(as_text=True)
    assert _count(app, state="discarded") == 2 and _count(app, state="pending") == 1
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "application.discard")).all()
    assert len(events) == 2 and all(e.note == "自动批量提交的无意义内容" and e.after == {"state": "discarded"}
                                    and e.before == {"state": "pending"} for e in events)
    again = office.post("/applications/discard", {"app_id": ids[:1], "reason": "再次"}, follow_redirects=True)
    assert "不能执行此操作" in again.get_data(as_text=True)  # only 待确认 ones
    assert 'value="' + ids[0] + '"' not in office.get("/applications/").get_data(as_text=True).split(
        'id="application-list"')[1]  # no longer offered
