"""Staff and public pages for applications: unit isolation, masking, audit, the forms, letters."""
from datetime import date, datetime, timezone
from io import BytesIO

import pytest
import time_machine
from docx import Document
from sqlalchemy import func, select

from tracker.applications.models import Application
from tracker.audit.models import AuditEvent
from tracker.extensions import db

# Acts dated months before the day they are recorded here: the 补录 rules are tested on their own.
pytestmark = pytest.mark.usefixtures("recorded_history")

D = date


def xlsx_text(response) -> str:
    """Every cell of a downloaded workbook, as one text."""
    import io

    from openpyxl import load_workbook
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(response.data)).active
    return "\n".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc), tick=True):
        yield


@pytest.fixture
def two_units(make):
    office_unit = make.unit(kind="office")
    mine, theirs = make.unit(name="民政局"), make.unit(name="财政局")
    a = make.application(mine, D(2026, 4, 1), applicant_name="王小明", id_number="230102199001011234",
                         title="低保名单")
    b = make.application(theirs, D(2026, 4, 2), applicant_name="李大山", title="预算明细")
    return {"mine": mine, "theirs": theirs, "a": a, "b": b,
            "office": make.user("office", unit=office_unit), "leader": make.user("leader"),
            "contact": make.user("contact", unit=mine), "reviewer": make.user("reviewer", unit=mine)}


def count_audit(app, action):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_unit_staff_see_only_their_units_applications(app, login, two_units):
    w = two_units
    contact = login(w["contact"])
    page = contact.get("/applications/").get_data(as_text=True)
    assert "低保名单" in page and "预算明细" not in page
    assert contact.get(f"/applications/{w['b'].id}").status_code == 404
    assert contact.get(f"/applications/{w['b'].id}/letter/answer.docx").status_code == 404
    assert contact.post(f"/applications/{w['b'].id}/act/reply", {}).status_code == 404
    exported = xlsx_text(contact.get("/applications/export"))
    assert w["a"].tracking_code in exported and w["b"].tracking_code not in exported
    stats = contact.get(f"/applications/statistics?year=2026&unit_id={w['theirs'].id}").get_data(as_text=True)
    assert "民政局</a> 2026 年" in stats  # the unit_id of another unit is ignored for unit staff (name links to its page)
    office = login(w["office"]).get("/applications/").get_data(as_text=True)
    assert "低保名单" in office and "预算明细" in office


def test_identity_numbers_masked_everywhere_and_only_the_reveal_is_audited(app, login, make, two_units):
    w = two_units
    leader = login(w["leader"])
    page = leader.get("/applications/").get_data(as_text=True)
    assert "2301**********1234" in page and "230102199001011234" not in page
    exported = xlsx_text(leader.get("/applications/export"))
    assert "2301**********1234" in exported and "230102199001011234" not in exported
    assert count_audit(app, "application.export") == 1
    for client in (leader, login(w["contact"]), login(w["office"])):  # viewing the record page is not a reveal
        detail = client.get(f"/applications/{w['a'].id}").get_data(as_text=True)
        assert "2301**********1234" in detail and "230102199001011234" not in detail
    assert count_audit(app, "application.view_personal") == 0
    # leaders read the masked number only; the handling unit's staff and the office may reveal it
    assert "btn-reveal-id" not in leader.get(f"/applications/{w['a'].id}").get_data(as_text=True)
    assert leader.post(f"/applications/{w['a'].id}/id-number", headers={"Accept": "application/json"}).status_code == 403
    contact = login(w["contact"])
    assert "btn-reveal-id" in contact.get(f"/applications/{w['a'].id}").get_data(as_text=True)
    r = contact.post(f"/applications/{w['a'].id}/id-number", headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.get_json() == {"id_number": "230102199001011234"}
    assert count_audit(app, "application.view_personal") == 1
    # without scripts the form posts and the record page comes back with the number shown
    r = login(w["office"]).post(f"/applications/{w['a'].id}/id-number")
    assert r.status_code == 200 and "230102199001011234" in r.get_data(as_text=True)
    assert count_audit(app, "application.view_personal") == 2
    # another unit's contact cannot reach it at all
    other = login(make.user("contact", unit=w["theirs"]))
    assert other.post(f"/applications/{w['a'].id}/id-number").status_code == 404
    assert count_audit(app, "application.view_personal") == 2


def test_leader_is_read_only(app, login, two_units):
    w = two_units
    leader = login(w["leader"])
    detail = leader.get(f"/applications/{w['a'].id}").get_data(as_text=True)
    assert "记录答复" not in detail
    assert leader.post(f"/applications/{w['a'].id}/act/reply", {}).status_code == 403


def test_register_form_rejects_bad_input_with_chinese_error_and_saves_nothing(app, login, two_units):
    w = two_units
    contact = login(w["contact"])
    data = {"channel": "in_person", "receipt_date": "2026-11-19", "unit_id": str(w["mine"].id),
            "applicant_kind": "natural", "applicant_name": "赵六", "id_number": "123", "phone": "139",
            "title": "某文件", "description": "某文件全文", "form_wanted": "paper", "delivery_wanted": "post"}
    r = contact.post("/applications/new", data)
    assert r.status_code == 422 and "身份证号码应为18位" in r.get_data(as_text=True)
    r = contact.post("/applications/new", dict(data, id_number="230102199001015678", receipt_date="2026-13-01"))
    assert r.status_code == 422 and "日期格式应为" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Application)) == 2
    r = contact.post("/applications/new", dict(data, id_number="230102199001015678"))
    assert r.status_code == 200 and 'id="one-time-secret"' in r.get_data(as_text=True)
    with app.app_context():
        new = db.session.scalar(select(Application).where(Application.applicant_name == "赵六"))
        assert new.receipt_date == D(2026, 11, 19) and new.due_date == D(2026, 12, 17)


def test_contact_replies_through_the_record_page(app, login, two_units):
    w = two_units
    contact = login(w["contact"])
    url = f"/applications/{w['a'].id}/act/reply"
    r = contact.post(url, {"reply-outcome": "grant", "reply-reply_date": "2026-04-20", "reply-delivery": "post",
                           "reply-delivered_on": "2026-04-21"})
    assert r.status_code == 302
    with app.app_context():
        a = db.session.get(Application, w["a"].id)
        assert a.state == "replied" and a.closed_on == D(2026, 4, 21) and not a.reply_late
    r = contact.post(url, {"reply-outcome": "grant", "reply-reply_date": "2026-04-20", "reply-delivery": "post",
                           "reply-delivered_on": "2026-04-21"})
    assert r.status_code == 422 and "已答复" in r.get_data(as_text=True)


def test_letters_are_docx_with_the_recorded_dates(app, login, two_units):
    from tracker.accounts.models import User
    from tracker.applications import services
    w = two_units
    with app.app_context():
        a = db.session.get(Application, w["a"].id)
        services.request_correction(a, D(2026, 4, 3), D(2026, 4, 17), "请写明低保名单的年份",
                                    actor=db.session.get(User, w["contact"].id))
        services.receive_correction(a, D(2026, 4, 10))
        services.extend(a, 15, D(2026, 4, 20), D(2026, 4, 21), "需要调取档案",
                        actor=db.session.get(User, w["reviewer"].id))
        due = a.due_date
        db.session.commit()
    client = login(w["contact"])

    def text(kind):
        r = client.get(f"/applications/{w['a'].id}/letter/{kind}.docx")
        assert r.status_code == 200 and r.mimetype.endswith("wordprocessingml.document")
        return "\n".join(p.text for p in Document(BytesIO(r.data)).paragraphs)

    correction = text("correction")
    assert "2026年4月1日收到" in correction and "请于2026年4月17日前" in correction
    assert "请写明低保名单的年份" in correction and "民政局" in correction and "2026年4月3日" in correction
    extension = text("extension")
    assert f"{due.year}年{due.month}月{due.day}日前作出答复" in extension and "延长15个工作日" in extension
    assert "2026年4月21日" in extension  # dated the day the notice went out
    assert "政府信息公开申请答复书" in text("answer")


def test_statistics_page_shows_both_tables(app, login, two_units):
    page = login(two_units["office"]).get("/applications/statistics?year=2026").get_data(as_text=True)
    assert "全市 2026 年" in page and "一、本年新收政府信息公开申请数量" in page
    assert "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请" in page
    assert "复议后起诉" in page and "alert-danger" not in page


def test_dashboard_panel_counts_own_unit(app, login, two_units):
    page = login(two_units["contact"]).get("/dashboard").get_data(as_text=True)
    assert 'id="applications-panel"' in page


ONLINE = {"applicant_kind": "natural", "applicant_name": "张三", "id_number": "230102199001019999",
          "phone": "13900000000", "title": "低保资金发放明细", "description": "请公开2025年低保资金发放明细表",
          "form_wanted": "electronic", "delivery_wanted": "email"}


def test_public_apply_then_status_shows_the_application_but_nothing_personal(app, browser, two_units):
    assert browser.get("/apply").status_code == 200
    r = browser.post("/apply", ONLINE)
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    import re
    code = re.search(r'id="tracking-code">([^<]+)<', body).group(1)
    password = re.search(r'id="query-password">([^<]+)<', body).group(1)
    again = browser.post("/apply", ONLINE)
    assert again.status_code == 422 and "请勿重复提交" in again.get_data(as_text=True)
    status = browser.post("/apply/status", {"code": code, "password": password}).get_data(as_text=True)
    assert "待确认" in status and "低保资金发放明细" in status and "网上提交申请" in status
    assert "张三" not in status and "230102199001019999" not in status and "13900000000" not in status
    wrong = browser.post("/apply/status", {"code": code, "password": "nope"}).get_data(as_text=True)
    assert "查询码或查询密码不正确" in wrong and 'id="status-result"' not in wrong
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Application).where(Application.online.is_(True))) == 1


def test_public_form_needs_csrf(app, browser):
    assert browser.post("/apply", ONLINE, csrf=False).status_code == 400


def test_out_of_range_filters_are_ignored_not_a_server_error(app, login, two_units):
    w = two_units
    for user in (w["office"], w["contact"]):
        client = login(user)
        for url in ("/applications/?year=99999", "/applications/?year=-3", "/applications/export?year=99999",
                    "/applications/statistics?year=99999", "/applications/?unit_id=99999999999999999999999",
                    "/applications/export?unit_id=99999999999999999999999",
                    "/applications/statistics?unit_id=99999999999999999999999"):
            r = client.get(url)
            assert r.status_code in (200, 404), (url, r.status_code)
    page = login(w["office"]).get("/applications/?year=99999").get_data(as_text=True)
    assert "低保名单" in page and "预算明细" in page  # the bad year is ignored, not applied


def test_unknown_choices_are_refused_in_chinese(app, login, browser, two_units):
    w = two_units
    contact, office = login(w["contact"]), login(w["office"])
    data = {"channel": "in_person", "receipt_date": "2026-11-19", "unit_id": str(w["mine"].id),
            "applicant_kind": "natural", "applicant_name": "赵六", "id_number": "230102199001015678", "phone": "139",
            "title": "某文件", "description": "某文件全文", "form_wanted": "paper", "delivery_wanted": "post"}
    for change, message in ((dict(unit_id="abc"), "请选择在用的承办单位"),
                            (dict(unit_id="99999999999999999999999"), "请选择在用的承办单位"),
                            (dict(applicant_kind="robot"), "请选择申请人类型"),
                            (dict(channel="pigeon"), "请选择收到申请的渠道")):
        r = contact.post("/applications/new", dict(data, **change))
        text = r.get_data(as_text=True)
        assert r.status_code == 422 and message in text and "Invalid" not in text and "Not a valid" not in text
    r = office.post(f"/applications/{w['a'].id}/act/route", {"route-unit_id": "abc"})
    assert r.status_code == 422 and "请选择在用的承办单位" in r.get_data(as_text=True)
    r = contact.post(f"/applications/{w['a'].id}/act/reply", {"reply-outcome": "bogus", "reply-reply_date": "2026-04-20",
                                                             "reply-delivery": "post", "reply-delivered_on": "2026-04-21"})
    assert r.status_code == 422 and "请选择办理结果" in r.get_data(as_text=True)
    browser.get("/apply")
    r = browser.post("/apply", {k: v for k, v in data.items() if k not in ("channel", "receipt_date", "unit_id")}
                     | {"applicant_kind": "robot"})
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and "请选择申请人类型" in text and "Not a valid" not in text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Application)) == 2
        assert db.session.get(Application, w["a"].id).unit_id == w["mine"].id


def test_documents_are_filed_and_served_only_to_those_who_may_see_the_application(app, make, login):


    from tracker.applications.models import ApplicationDocument

    unit, other = make.unit(name="民政局"), make.unit(name="财政局")
    contact = make.user("contact", unit=unit)
    a = make.application(unit, D(2026, 11, 2))
    client = login(contact)
    refused = client.post(f"/applications/{a.id}/documents", {"kind": "reply", "file": (BytesIO(b"MZ..."), "x.exe")},
                          content_type="multipart/form-data")
    assert refused.status_code == 422 and "只能上传" in refused.get_data(as_text=True)
    spoofed = client.post(f"/applications/{a.id}/documents",
                          {"kind": "reply", "file": (BytesIO(b"not a pdf"), "答复书.pdf")},
                          content_type="multipart/form-data")
    assert spoofed.status_code == 422 and "不符" in spoofed.get_data(as_text=True)
    ok = client.post(f"/applications/{a.id}/documents",
                     {"kind": "delivery", "file": (BytesIO(b"%PDF-1.4 receipt"), "签收回执.pdf")},
                     content_type="multipart/form-data")
    assert ok.status_code == 302
    with app.app_context():
        doc = db.session.scalar(select(ApplicationDocument))
        assert doc.kind == "delivery" and doc.original_name == "签收回执.pdf"
    assert "签收回执.pdf" in client.get(f"/applications/{a.id}").get_data(as_text=True)
    download = client.get(f"/applications/documents/{doc.id}")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 receipt"
    assert login(make.user("contact", unit=other)).get(f"/applications/documents/{doc.id}").status_code == 404
    leader = login(make.user("leader"))
    assert leader.get(f"/applications/documents/{doc.id}").status_code == 200
    assert leader.post(f"/applications/{a.id}/documents", {"kind": "other"}).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "application.document_view")) is not None


def _export_link(page: str) -> str:
    import html
    import re
    return html.unescape(re.search(r'data-export href="([^"]+)"', page).group(1))


def _exported_codes(response) -> list[str]:
    import io

    from openpyxl import load_workbook
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    return [r[rows[0].index("查询码")] for r in rows[1:]]


def test_the_export_follows_the_lists_sort_order_and_carries_no_unknown_parameter(app, login, make):
    unit = make.unit(name="民政局")
    a = make.application(unit, D(2026, 11, 2))   # created first, due first
    b = make.application(unit, D(2026, 11, 10))  # due last
    c = make.application(unit, D(2026, 11, 5))   # created last
    client = login(make.user("office", unit=make.unit(kind="office")))
    for query, expected in (("", [c, b, a]),  # newest registered first
                            ("?sort=due", [a, c, b]), ("?sort=due&dir=desc", [b, c, a])):
        page = client.get("/applications/" + query + ("&" if query else "?") + "endpoint=x&evil=1&_external=1")
        body = page.get_data(as_text=True)
        codes = [x.tracking_code for x in expected]
        assert [body.index(code) for code in codes] == sorted(body.index(code) for code in codes), query
        link = _export_link(body)
        assert "endpoint" not in link and "evil" not in link and "_external" not in link, link
        assert ("sort=due" in link) == ("sort" in query) and ("dir=desc" in link) == ("desc" in query), link
        assert _exported_codes(client.get(link)) == codes, query


def test_the_export_marks_a_provisional_deadline_as_the_list_does(app, login, make):
    unit = make.unit(name="民政局")
    firm, provisional = make.application(unit, D(2026, 11, 2)), make.application(unit, D(2026, 11, 3))
    with app.app_context():
        db.session.get(Application, provisional.id).due_provisional = True
        db.session.commit()
    client = login(make.user("office", unit=make.unit(kind="office")))
    page = client.get("/applications/").get_data(as_text=True)
    assert "个工作日（暂定）" in page
    import io

    from openpyxl import load_workbook
    rows = list(load_workbook(io.BytesIO(client.get("/applications/export").data)).active.iter_rows(values_only=True))
    header = rows[0]
    clock = {r[0]: (r[header.index("剩余工作日")], r[header.index("超期工作日")], r[header.index("期限暂定")])
             for r in rows[1:]}
    left, over, tentative = clock[provisional.tracking_code]
    assert isinstance(left, int) and over is None and tentative == "是"
    left, over, tentative = clock[firm.tracking_code]
    assert isinstance(left, int) and over is None and tentative is None


def test_the_timeline_shows_the_reply_on_its_reply_date_and_the_delivery_beside_it(app, login, two_units):
    from tracker.accounts.models import User
    from tracker.applications import services as s
    with app.test_request_context():
        a = db.session.get(Application, two_units["a"].id)
        s.reply(a, "grant", D(2026, 4, 9), "post", D(2026, 4, 13),
                actor=db.session.get(User, two_units["contact"].id))  # posted on Monday: closed that day
        db.session.commit()
    page = login(two_units["contact"]).get(f"/applications/{two_units['a'].id}").get_data(as_text=True)
    timeline = page[page.index("办理过程"):]
    assert "<strong>2026-04-09（周四）</strong> 作出答复" in timeline
    assert "<strong>2026-04-13（周一）</strong> 作出答复" not in timeline
    assert "送达（签收或交邮）日期：2026-04-13" in timeline
