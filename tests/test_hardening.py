"""Hardening: exports carry no formula, logging out ends the session on the server, strangers
cannot lock a user out, and bad input (control characters, odd numbers and dates, missing fields,
hostile query names) is refused or cleaned in one place."""
import io
from datetime import date
from urllib.parse import unquote

import pytest
import time_machine
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from tracker.extensions import db

from .conftest import PASSWORD, Browser

HYPERLINK = '=HYPERLINK("http://evil.example/steal","点击查看")'
ONLINE = {"applicant_kind": "natural", "applicant_name": "张三", "id_number": "230102199001011234",
          "phone": "13800000000", "title": HYPERLINK, "description": "+cmd|' /C calc'!A0",
          "form_wanted": "electronic", "delivery_wanted": "email", "email": "zhang@example.com"}


def _sheet(response):
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    return load_workbook(io.BytesIO(response.data)).active


def _office(make, login):
    return login(make.user("office", unit=make.unit(kind="office")))


# --- exports ---------------------------------------------------------------------------------------

def test_a_formula_typed_on_the_public_form_is_exported_as_text_not_a_formula(app, make, login, browser):
    make.unit()
    browser.get("/apply")
    assert browser.post("/apply", ONLINE).status_code == 200
    ws = _sheet(_office(make, login).get("/applications/export"))
    header = [c.value for c in ws[1]]
    title = ws.cell(row=2, column=header.index("所需信息") + 1)
    assert title.value == HYPERLINK  # kept exactly as typed...
    assert title.data_type == "s"  # ...as text: Excel will not run it
    assert title.quotePrefix  # and editing the cell keeps it text


def test_every_export_is_a_formatted_xlsx_with_a_chinese_file_name(app, make, login):
    unit = make.unit(name="民政局")
    make.task(make.duty(unit, title="=1+1 低保名单"), formed=date(2026, 3, 2))
    make.application(unit, date(2026, 3, 2))
    client = _office(make, login)
    for url, name in (("/disclosure/tasks/export", "公开任务"), ("/disclosure/catalogue/export", "公开目录"),
                      ("/disclosure/register/export", "信息登记簿"), ("/applications/export", "依申请公开"),
                      ("/admin/import/units/template.xlsx", "单位导入模板")):
        response = client.get(url)
        disposition = response.headers["Content-Disposition"]
        assert unquote(disposition.split("filename*=UTF-8''")[1]).startswith(name), url
        assert response.headers["Cache-Control"] == "no-store", url
        ws = _sheet(response)
        assert ws.freeze_panes == "A2", url
        assert ws.auto_filter.ref == f"A1:{ws.cell(row=1, column=ws.max_column).column_letter}{ws.max_row}", url
        assert ws.cell(row=1, column=1).font.b, url
        assert all(ws.column_dimensions[c.column_letter].width >= 8 for c in ws[1]), url
        for row in ws.iter_rows():
            assert all(c.data_type != "f" for c in row), url


@time_machine.travel(date(2026, 4, 1), tick=False)
def test_task_export_names_periods_and_counts_working_days_left_or_overdue(app, make, login):
    from tracker.disclosure.tasks import open_periodic_tasks
    unit = make.unit()
    make.duty(unit, title="季度预算执行", cadence="periodic", frequency="quarterly", start_date=date(2026, 1, 1))
    with app.app_context():
        open_periodic_tasks(date(2026, 4, 1))
        db.session.commit()
    make.task(make.duty(unit, title="临时公告"), formed=date(2026, 3, 31))
    ws = _sheet(_office(make, login).get("/disclosure/tasks/export"))
    rows = [dict(zip([c.value for c in ws[1]], [c.value for c in r])) for r in ws.iter_rows(min_row=2)]
    periodic = next(r for r in rows if r["周期"] != "临时")
    assert periodic["周期"] == "2026年第一季度"  # the quarter that formed on 2026-01-01 …
    assert periodic["超期工作日"] > 0 and periodic["剩余工作日"] is None  # … 20 working days passed long ago
    adhoc = next(r for r in rows if r["周期"] == "临时")
    assert (adhoc["剩余工作日"], adhoc["超期工作日"]) == (19, None)  # due 2026-04-29, counted from 2026-04-01


def test_task_export_takes_a_fixed_number_of_queries_whatever_the_number_of_tasks(app, make, login):
    from sqlalchemy import event
    unit = make.unit()
    duty = make.duty(unit)
    client = _office(make, login)

    def statements():
        seen = []
        listener = lambda *a: seen.append(1)  # noqa: E731
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get("/disclosure/tasks/export").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    make.task(duty, formed=date(2026, 3, 2))
    few = statements()
    for day in range(3, 13):
        make.task(duty, formed=date(2026, 3, day), title=f"第{day}条")
    assert statements() == few


# --- sessions and throttling -----------------------------------------------------------------------

def test_a_copied_session_cookie_is_dead_after_logout(app, make, login):
    user = make.user("contact")
    client = login(user)
    stolen = client.client.get_cookie("session").value
    assert client.get("/dashboard").status_code == 200
    assert client.post("/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def _attempt(app, username, password, address):
    client = Browser(app)
    client.client.environ_base["REMOTE_ADDR"] = address
    return client.post("/login", {"username": username, "password": password})


def test_strangers_rotating_addresses_cannot_lock_the_user_out_of_their_own_address(app, make):
    user = make.user("contact")
    assert _attempt(app, user.username, PASSWORD, "10.0.0.7").status_code == 302  # the user's own office PC
    per_account = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for n in range(per_account + 5):
        _attempt(app, user.username, "guessed-wrong1", f"203.0.113.{n % 250}")
    assert _attempt(app, user.username, PASSWORD, "10.0.0.7").status_code == 302
    # A new address is held back while the account is under attack, in Chinese.
    refused = _attempt(app, user.username, PASSWORD, "198.51.100.1")
    assert refused.status_code == 429 and "已暂时锁定" in refused.get_data(as_text=True)


def test_one_address_guessing_is_locked_for_that_account_only(app, make):
    user = make.user("contact")
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS"]):
        _attempt(app, user.username, "guessed-wrong1", "203.0.113.9")
    assert _attempt(app, user.username, PASSWORD, "203.0.113.9").status_code == 429
    assert _attempt(app, user.username, PASSWORD, "10.0.0.8").status_code == 302


def test_status_lookup_of_a_code_survives_strangers_guessing_it_from_many_addresses(app, make):
    from tracker.applications.services import submit_online
    make.unit()
    with app.app_context():
        application, password = submit_online(dict(ONLINE, title="低保名单"), "10.1.1.1")
        db.session.commit()
        code = application.tracking_code

    def lookup(secret, address):
        client = Browser(app)
        client.client.environ_base["REMOTE_ADDR"] = address
        return client.post("/apply/status", {"code": code, "password": secret}).get_data(as_text=True)

    assert 'id="status-result"' in lookup(password, "10.1.1.1")
    for n in range(app.config["LOOKUP_MAX_FAILURES_PER_CODE"] + 5):
        lookup("WRONG", f"203.0.113.{n}")
    assert 'id="status-result"' in lookup(password, "10.1.1.1")


def test_the_page_with_the_query_password_is_not_stored_and_the_status_password_is_hidden(app, make, browser):
    make.unit()
    browser.get("/apply")
    done = browser.post("/apply", dict(ONLINE, title="低保名单"))
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    status = browser.get("/apply/status").get_data(as_text=True)
    assert 'type="password"' in status and 'name="password"' in status


# --- bad input -------------------------------------------------------------------------------------

def test_control_characters_are_removed_from_form_values_and_file_names(app, make, login):
    from tracker.disclosure.models import KeyArea
    client = _office(make, login)
    assert client.post("/disclosure/key-areas", {"name": "乡村\x00振兴\x1b"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(KeyArea.name).where(KeyArea.name.like("乡村%"))) == "乡村振兴"
    with app.test_request_context("/x?q=a%00b%1Fc", method="POST",
                                  data={"note": "第一行\r\n第二行\t\x0b完", "file": (io.BytesIO(b"%PDF"), "截图\x07\t.pdf")}):
        from flask import request
        assert request.args["q"] == "abc"
        assert request.form["note"] == "第一行\r\n第二行\t完"  # tab and line breaks stay
        assert request.files["file"].filename == "截图.pdf"  # it will travel in a download header
    assert client.get("/disclosure/tasks?q=%00%01abc").status_code == 200


@pytest.mark.parametrize("value", ["99999999999", "²", "١٢", "-3", "abc"])
def test_an_impossible_id_in_a_filter_is_an_empty_list_on_every_database(app, make, login, value):
    unit = make.unit()
    make.task(make.duty(unit, title="低保名单"))
    make.application(unit, date(2026, 3, 2), title="预算明细")
    client = _office(make, login)
    tasks = client.get(f"/disclosure/tasks?unit={value}")
    assert tasks.status_code == 200 and "低保名单" not in tasks.get_data(as_text=True)
    apps = client.get(f"/applications/?unit_id={value}")
    assert apps.status_code == 200 and "预算明细" not in apps.get_data(as_text=True)
    assert client.get(f"/disclosure/tasks/{value}").status_code == 404


def test_unicode_digits_are_not_numbers(app):
    from tracker.inputs import parse_int
    assert parse_int("12") == 12 and parse_int(" 7 ") == 7
    for text in ("²", "١٢", "１２", "1_000", "+1", "-1", "1.0", "", None, "9" * 30):
        assert parse_int(text) is None, text


def test_a_date_far_in_the_future_is_refused_in_chinese(app, make, login):
    from tracker.applications.models import Application
    unit = make.unit()
    application = make.application(unit, date(2026, 3, 2))
    client = _office(make, login)
    response = client.post(f"/applications/{application.id}/act/correction",
                           {"correction-sent_on": "2026-03-03", "correction-due_on": "9999-12-31",
                            "correction-items": "请补充"})
    assert response.status_code == 422 and "超出工作日历的范围" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Application, application.id).state == "open"


def test_a_missing_field_is_a_form_error_and_changes_nothing(app, make, login):
    from tracker.disclosure.models import Duty
    unit = make.unit()
    duty = make.duty(unit, title="低保名单")
    client = _office(make, login)
    response = client.post(f"/disclosure/catalogue/{duty.id}", {"title": "改名", "cadence": "adhoc",
                                                                 "key_area_id": duty.key_area_id,
                                                                 "channels": ["website"], "period_days": "20"})
    assert response.status_code == 422 and "此项必填" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Duty, duty.id).title == "低保名单"


def test_query_names_that_url_for_reads_do_not_pass_into_links(app, make, login):
    client = _office(make, login)
    for name in ("endpoint", "_method", "_external", "_anchor", "_scheme", "values"):
        response = client.get(f"/disclosure/tasks?{name}=POST&state=pending_ack&q=x")
        page = response.get_data(as_text=True)
        assert response.status_code == 200, name
        assert "/disclosure/tasks/export?state=pending_ack&amp;q=x" in page or \
            "/disclosure/tasks/export?q=x&amp;state=pending_ack" in page, name


def test_imports_stop_reading_at_the_row_cap(app, monkeypatch):
    from tracker import spreadsheets
    from tracker.errors import ServiceError
    monkeypatch.setattr(spreadsheets, "MAX_ROWS", 10)
    read = []
    original = spreadsheets.cell_text
    monkeypatch.setattr(spreadsheets, "cell_text", lambda v: read.append(v) or original(v))
    wb = Workbook()
    wb.active.append(["编码", "名称", "类型"])
    for n in range(1000):
        wb.active.append([f"u{n}", f"单位{n}", "市直部门"])
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(ServiceError, match="一次最多导入10行"):
        spreadsheets.read_rows("units.xlsx", out.getvalue(), {"编码": "code", "名称": "name", "类型": "kind"},
                               ("编码",))
    assert len(read) <= spreadsheets.MAX_COLUMNS + 11 * 3  # the header and eleven rows, not the thousand


@pytest.mark.browser
def test_an_export_link_says_it_is_working_until_the_file_arrives(app, make, page):
    from .conftest import sign_in
    office = make.user("office", unit=make.unit(kind="office"))
    make.task(make.duty(make.unit(name="民政局"), title="低保名单"))
    sign_in(page, office.username)
    page.goto("/disclosure/tasks")
    link = page.locator("a[data-export]")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.startswith("公开任务-")
    assert "download_token=" in link.get_attribute("href")  # the script marked this click
    # cleared by the cookie that came with the file (otherwise only after two minutes)
    page.wait_for_function("() => !document.querySelector('a[data-export]').hasAttribute('aria-busy')")
    assert link.inner_text() == "导出Excel"
