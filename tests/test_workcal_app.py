"""The calendar inside the app: recorded notices and local days, the pages and the command line."""
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from tracker.audit.models import AuditEvent
from tracker.extensions import db
from tracker.workcal import services
from tracker.workcal.models import CalendarDay, CalendarNotice

NOTICE_2027 = """国务院办公厅关于2027年部分节假日安排的通知
一、元旦：1月1日（周五）至3日（周日）放假，共3天。
二、春节：2月6日（周六）至12日（周五）放假调休，共7天。2月20日（周六）上班。
三、清明节：4月5日（周一）放假，共1天。
四、劳动节：5月1日（周六）至5日（周三）放假调休，共5天。4月25日（周日）上班。
五、端午节：6月9日（周三）放假，共1天。
六、中秋节：9月15日（周三）放假，共1天。
七、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。9月26日（周日）、10月9日（周六）上班。
"""


@pytest.fixture
def office(make, login):
    return login(make.user("office", unit=make.unit(kind="office")))


def test_a_2027_date_works_today_and_is_provisional(app):
    with app.app_context():
        answer = services.add_workdays(date(2026, 12, 20), 20)
        assert answer.provisional is True
        assert answer.day.year == 2027
        assert services.add_workdays(date(2026, 9, 28), 20).day == date(2026, 10, 30)
        assert services.add_workdays(date(2026, 9, 28), 20).provisional is False


def test_recording_the_2027_notice_removes_the_mark_and_applies_its_days(app, office):
    preview = office.post("/calendar/notice", {"year": "2027", "title": "", "text": NOTICE_2027})
    assert preview.status_code == 200 and "确认录入" in preview.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CalendarNotice)) == 0  # preview saves nothing
    done = office.post("/calendar/notice", {"year": "2027", "title": "", "text": NOTICE_2027, "confirm": "1"})
    assert done.status_code == 302
    with app.app_context():
        cal = services.get_calendar()
        assert not cal.is_provisional_year(2027)
        assert cal.is_workday(date(2027, 2, 20))  # make-up Saturday
        assert not cal.is_workday(date(2027, 2, 8))  # Spring Festival Monday
        assert not services.add_workdays(date(2026, 12, 20), 20).provisional
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "calendar.notice")) is not None
    page = office.get("/calendar/?year=2027").get_data(as_text=True)
    assert "正式" in page and "暂定：" not in page


def test_a_bad_notice_is_refused_with_the_line_and_saves_nothing(app, office):
    bad = "二、春节：2月6日（周六）至12日（周五）放假调休，共7天。2月22日（周一）上班。"
    response = office.post("/calendar/notice", {"year": "2027", "text": bad, "confirm": "1"})
    assert response.status_code == 422
    assert "不是周末" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CalendarDay)) == 0


def test_a_local_closure_wins_and_is_audited(app, office):
    response = office.post("/calendar/local-day", {"day": "2026-07-15", "name": "防汛停工", "note": "市政府通知"})
    assert response.status_code == 302
    with app.app_context():
        assert not services.get_calendar().is_workday(date(2026, 7, 15))
        assert services.add_workdays(date(2026, 7, 14), 1).day == date(2026, 7, 16)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "calendar.local_day"))
        assert event.after["name"] == "防汛停工"


def test_a_malformed_local_day_changes_nothing_and_keeps_the_input(app, office):
    response = office.post("/calendar/local-day", {"day": "2026-02-30", "name": "防汛停工"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "格式不正确" in body and "防汛停工" in body
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CalendarDay)) == 0


def test_the_tool_page_answers_both_questions(make, login):
    client = login(make.user("contact"))
    body = client.get("/calendar/tool?start=2026-02-10&n=20").get_data(as_text=True)
    assert "2026-03-16" in body
    body = client.get("/calendar/tool?d1=2026-04-08&d2=2026-04-20").get_data(as_text=True)
    assert "<strong>8</strong>" in body
    bad = client.get("/calendar/tool?start=2026-0210&n=20")
    assert bad.status_code == 422 and "格式不正确" in bad.get_data(as_text=True)


def test_year_page_marks_makeup_days_and_holidays(make, login):
    body = login(make.user("leader")).get("/calendar/?year=2026").get_data(as_text=True)
    assert 'data-day="2026-02-14" data-kind="makeup"' in body
    assert 'data-day="2026-10-01" data-kind="holiday"' in body
    assert "暂定" not in body.split("<h1")[1].split("</h1>")[0]


def test_calendar_pages_offer_recording_only_to_the_office(make, login, office):
    contact = login(make.user("contact"))
    assert "录入2026年节假日安排" not in contact.get("/calendar/?year=2026").get_data(as_text=True)
    assert "录入2026年节假日安排" in office.get("/calendar/?year=2026").get_data(as_text=True)


@pytest.mark.parametrize("args, output", [
    (["add", "2026-09-28", "20"], "2026-10-30\n"),
    (["add", "2026-02-10", "20"], "2026-03-16\n"),
    (["between", "2026-04-08", "2026-04-20"], "8\n"),
    (["add", "2026-12-20", "20"], "2027-01-18 provisional\n"),
])
def test_workdays_command(app, args, output):
    result = app.test_cli_runner().invoke(args=["workdays", *args])
    assert result.exit_code == 0, result.output
    assert result.output == output


@pytest.mark.parametrize("args", [
    ["add", "2026-13-01", "20"], ["add", "2026/09/28", "20"], ["add", "2026-09-28", "x"],
    ["add", "2026-09-28", "-1"], ["between", "2026-04-08", "tomorrow"],
])
def test_workdays_command_rejects_malformed_input_with_status_2(app, args):
    result = app.test_cli_runner().invoke(args=["workdays", *args])
    assert result.exit_code == 2
    assert "格式不正确" in result.output or "非负整数" in result.output


@pytest.mark.parametrize("query", ["start=9999-12-31&n=2000", "start=0001-01-01&n=20", "start=2003-12-31&n=1",
                                   "d1=0001-01-01&d2=9999-12-31", "d1=2026-01-01&d2=3000-01-01"])
def test_the_tool_refuses_dates_outside_the_calendar_in_chinese(make, login, query):
    response = login(make.user("contact")).get(f"/calendar/tool?{query}")
    assert response.status_code == 422 and "超出工作日历的范围" in response.get_data(as_text=True)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1990-05-01"])
def test_a_local_day_outside_the_calendar_is_refused_and_saves_nothing(app, office, day):
    response = office.post("/calendar/local-day", {"day": day, "name": "防汛停工"})
    assert response.status_code == 422 and "超出工作日历的范围" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CalendarDay)) == 0


def test_the_notice_form_ignores_an_impossible_year(office):
    response = office.get(f"/calendar/notice?year={10**20}")
    assert response.status_code == 200


@pytest.mark.parametrize("args", [["add", "9999-12-31", "20"], ["add", "1990-01-01", "5"],
                                  ["add", "2026-09-28", "99999999999"], ["between", "2003-01-01", "2026-01-01"]])
def test_workdays_command_rejects_dates_outside_the_calendar_with_status_2(app, args):
    result = app.test_cli_runner().invoke(args=["workdays", *args])
    assert result.exit_code == 2 and "超出工作日历的范围" in result.output


def test_a_recorded_notice_reads_as_official_days_and_only_local_decisions_as_local(app, office):
    """The State Council's holidays and make-up days look the same whether packaged or recorded by
    hand; the dashed local style is kept for the office's own decisions."""
    office.post("/calendar/notice", {"year": "2027", "title": "", "text": NOTICE_2027, "confirm": "1"})
    office.post("/calendar/local-day", {"day": "2027-07-15", "name": "防汛停工"})
    page = office.get("/calendar/?year=2027").get_data(as_text=True)
    assert 'data-day="2027-02-08" data-kind="holiday"' in page  # Spring Festival, from the notice
    assert 'data-day="2027-02-20" data-kind="makeup"' in page  # the make-up Saturday
    assert 'data-day="2027-07-15" data-kind="override_holiday"' in page  # the local closure
    assert page.count('data-kind="override_') == 1


def test_the_staff_calendar_pages_use_date_pickers_and_no_command_line(make, login, office):
    tool = login(make.user("contact")).get("/calendar/tool").get_data(as_text=True)
    assert 'type="date" id="start"' in tool and 'type="date" id="d1"' in tool
    assert "flask --app" not in tool and "YYYY-MM-DD" not in tool
    year = office.get("/calendar/").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="day"[^>]*type="date"', year)
    assert "YYYY-MM-DD" not in year


def test_a_bad_date_on_the_tool_is_shown_beside_its_field(make, login):
    page = login(make.user("contact")).get("/calendar/tool?d1=2026-04-08&d2=2003-01-01").get_data(as_text=True)
    field = page[page.index('id="d2"'):]
    assert "is-invalid" in page[page.index('id="d2"') - 200:page.index('id="d2"')]
    assert field.index("超出工作日历的范围") < field.index("</form>")
