"""Urgent work first: the working days left of a deadline, the work sources merged into the
dashboards' urgent lists and the contact's 待办, and the lists sorted by working days left."""
from datetime import date, datetime

import pytest
import time_machine

from tracker.applications.models import Application
from tracker.disclosure.models import Task
from tracker.extensions import db
from tracker.timeutil import CHINA
from tracker.workcal.services import days_left
from tracker.worklist import services as worklist

D = date
TODAY = D(2026, 11, 18)  # a Wednesday; the 5th working day after it is 2026-11-25


def at(day: date):
    return time_machine.travel(datetime(day.year, day.month, day.day, 10, 0, tzinfo=CHINA), tick=False)


# --- 剩余 / 超期 N 个工作日 (calendar.md facts) ----------------------------------------------------------

@pytest.mark.parametrize("today, due, label, signed", [
    (D(2026, 9, 28), D(2026, 10, 30), "剩余 20 个工作日", 20),   # across National Day, counting 10月10日
    (D(2026, 9, 30), D(2026, 10, 9), "剩余 2 个工作日", 2),      # 10月1日–7日 off: only 8th and 9th count
    (D(2026, 10, 9), D(2026, 10, 9), "今日到期", 0),
    (D(2026, 10, 9), D(2026, 9, 30), "超期 2 个工作日", -2),     # 8th and 9th
    (D(2026, 10, 10), D(2026, 10, 9), "超期 1 个工作日", -1),    # the make-up Saturday is worked
    (D(2026, 11, 21), D(2026, 11, 20), "已超期", 0),             # past only by a weekend day
])
def test_working_days_left_or_over_follow_the_official_calendar(app, today, due, label, signed):
    with app.app_context():
        left = days_left(due, today)
    assert (left.label, left.signed, left.overdue) == (label, signed, due < today)


def test_no_deadline_means_no_working_days(app):
    with app.app_context():
        assert days_left(None, TODAY) is None


# --- the work owed, merged from every source --------------------------------------------------------

def _due(app, task, day):
    """Give ``task`` the deadline ``day`` (as if its information formed 20 working days before)."""
    with app.app_context():
        db.session.get(Task, task.id).due_date = day
        db.session.commit()


def _app_due(app, application, day, state=None):
    with app.app_context():
        a = db.session.get(Application, application.id)
        a.due_date = day
        if state:
            a.state = state
        db.session.commit()


@pytest.fixture
def city(app, make):
    """Two units; in the first, work due at every distance from today (2026-11-18), recorded on that day."""
    with at(TODAY):
        return _city(app, make)


def _city(app, make):
    office = make.user("office", unit=make.unit(kind="office"))
    mine, other = make.unit(name="民政局"), make.unit(name="财政局")
    contact = make.user("contact", unit=mine)
    duty = make.duty(mine, title="低保")
    tasks = {}
    for name, due in (("逾期八天", D(2026, 11, 6)), ("今天到期", TODAY), ("五个工作日后", D(2026, 11, 25)),
                      ("六个工作日后", D(2026, 11, 26)), ("下月到期", D(2026, 12, 30))):
        tasks[name] = make.task(duty, formed=D(2026, 10, 9), title=name)
        _due(app, tasks[name], due)
    published = make.task(duty, formed=D(2026, 10, 9), title="已发布的任务")
    with app.app_context():
        db.session.get(Task, published.id).state = "published"
        db.session.commit()
    apps = {"超期申请": make.application(mine, D(2026, 10, 9), title="超期申请"),
            "三天后答复": make.application(mine, D(2026, 10, 9), title="三天后答复"),
            "暂停的申请": make.application(mine, D(2026, 10, 9), title="暂停的申请"),
            "已答复申请": make.application(mine, D(2026, 10, 9), title="已答复申请")}
    _app_due(app, apps["超期申请"], D(2026, 11, 10))
    _app_due(app, apps["三天后答复"], D(2026, 11, 23))
    _app_due(app, apps["暂停的申请"], None, state="correction")
    _app_due(app, apps["已答复申请"], D(2026, 11, 19), state="replied")
    theirs = make.task(make.duty(other, title="预算"), formed=D(2026, 10, 9), title="财政局逾期任务")
    _due(app, theirs, D(2026, 11, 2))
    return {"office": office, "contact": contact, "mine": mine}


def _titles(work):
    return [i.title for i in work.items]


def test_urgent_work_is_overdue_or_due_within_five_working_days_most_overdue_first(app, city):
    from tracker.accounts.models import User
    with at(TODAY), app.test_request_context():
        contact = db.session.get(User, city["contact"].id)
        work = worklist.urgent(contact, TODAY)
        assert _titles(work) == ["逾期八天", "超期申请", "今天到期", "三天后答复", "五个工作日后"]
        assert [i.left.label for i in work.items] == [
            "超期 8 个工作日", "超期 6 个工作日", "今日到期", "剩余 3 个工作日", "剩余 5 个工作日"]
        assert work.total == 5
        office = db.session.get(User, city["office"].id)
        assert _titles(worklist.urgent(office, TODAY))[0] == "财政局逾期任务"  # the office sees every unit


def test_the_contacts_todo_is_everything_the_unit_owes_tasks_and_applications_together(app, city):
    from tracker.accounts.models import User
    with at(TODAY), app.test_request_context():
        contact = db.session.get(User, city["contact"].id)
        work = worklist.owed(contact, TODAY)
        assert _titles(work) == ["逾期八天", "超期申请", "今天到期", "三天后答复", "五个工作日后", "六个工作日后",
                                 "下月到期", "暂停的申请"]  # published, replied and other units' work left out
        paused = work.items[-1]
        assert paused.due is None and paused.state == "补正中" and "暂停计时" in paused.note
        assert [i.title for i in worklist.owed(contact, TODAY, descending=True).items][:2] == ["下月到期", "六个工作日后"]


def test_the_todo_page_lists_the_work_with_one_badge_per_state(app, city, login):
    with at(TODAY):
        page = login(city["contact"]).get("/todo").get_data(as_text=True)
    assert page.index("逾期八天") < page.index("超期申请") < page.index("今天到期") < page.index("下月到期")
    assert "超期 8 个工作日" in page and "剩余 5 个工作日" in page
    assert page.count("待签收") == 5 and "未签收" not in page  # the state once, not a second 未签收 badge


def test_a_new_kind_of_work_appears_on_the_dashboards_by_registering_one_source(app, city, login):
    """Rectifications (or any later feature) plug into the urgent lists with a source of their own."""
    def rectifications(user, query):
        item = worklist.WorkItem("整改", "网站栏目整改", "/todo", D(2026, 11, 9), "整改中")
        return worklist.WorkSlice("整改事项", [item] if query.due_by is None or item.due <= query.due_by else [], 1)

    worklist.register_work_source(rectifications)
    try:
        with at(TODAY):
            page = login(city["contact"]).get("/dashboard").get_data(as_text=True)
    finally:
        worklist._sources.remove(rectifications)
    assert page.index("逾期八天") < page.index("网站栏目整改") < page.index("超期申请")
    assert "整改事项 <strong>1</strong>" in page


def test_the_dashboards_put_urgent_work_before_the_figures(app, city, login):
    with at(TODAY):
        office = login(city["office"]).get("/dashboard").get_data(as_text=True)
        contact = login(city["contact"]).get("/dashboard").get_data(as_text=True)
    assert office.index('id="urgent"') < office.index('id="disclosure-panel"') < office.index('id="applications-panel"')
    assert "财政局逾期任务" in office and "下月到期" not in office
    assert contact.index('id="urgent"') < contact.index('id="applications-panel"')
    assert "下月到期" in contact  # the contact's dashboard starts their 待办
    assert "联络员账号" not in office  # head-counts live on the admin pages


def test_lists_sort_by_working_days_left_on_the_server(app, city, login):
    with at(TODAY):
        client = login(city["contact"])
        asc = client.get("/disclosure/tasks?sort=due").get_data(as_text=True)
        desc = client.get("/disclosure/tasks?sort=due&dir=desc").get_data(as_text=True)
        apps = client.get("/applications/?sort=due").get_data(as_text=True)
    order = ["逾期八天", "今天到期", "五个工作日后", "六个工作日后", "下月到期"]
    assert [asc.index(t) for t in order] == sorted(asc.index(t) for t in order)
    assert [desc.index(t) for t in order] == sorted((desc.index(t) for t in order), reverse=True)
    assert "超期 6 个工作日" in apps and "剩余 3 个工作日" in apps
    assert apps.index("超期申请") < apps.index("三天后答复") < apps.index("暂停的申请")


def test_the_sorted_lists_cost_the_same_queries_however_many_rows(app, make, login, city):
    from .test_disclosure_lists import _statements
    with at(TODAY):
        client = login(city["contact"])
        for url in ("/todo", "/disclosure/tasks?sort=due", "/applications/?sort=due", "/dashboard"):
            client.get(url)
            few = _statements(app, client, url)
            duty = make.duty(city["mine"], title=f"更多{url}")
            for i in range(6):
                make.task(duty, formed=D(2026, 11, 2), title=f"更多任务{i}")
                make.application(city["mine"], D(2026, 11, 2))
            assert _statements(app, client, url) == few, url


def test_the_monthly_chart_does_not_rate_a_month_that_is_not_over(app, make):
    from tracker.accounts.models import User
    from tracker.disclosure.services import monthly_on_time
    unit = make.unit()
    office = make.user("office", unit=make.unit(kind="office"))
    duty = make.duty(unit, review_required=False)
    for formed, published in ((D(2026, 9, 1), D(2026, 9, 10)), (D(2026, 10, 12), D(2026, 10, 20))):
        task = make.task(duty, formed=formed)
        with app.app_context():
            t = db.session.get(Task, task.id)
            t.state, t.published_on = "published", published
            db.session.commit()
    with at(D(2026, 11, 18)), app.app_context():
        months = {m["month"]: m for m in monthly_on_time(db.session.get(User, office.id), D(2026, 11, 18), 2026)}
    assert months[9]["rate"] == 100.0 and months[9]["finished"]  # September is over: all on time
    # November is not over: its one task went out on time, but others due this month still may not
    assert months[11]["on_time"] == 1 and months[11]["rate"] is None and not months[11]["finished"]
    assert months[12]["rate"] is None


def test_the_register_says_how_many_working_days_late_an_item_went_out(app, make, login):
    unit = make.unit()
    task = make.task(make.duty(unit), formed=D(2026, 9, 1), title="国庆前到期的信息")
    with app.app_context():
        t = db.session.get(Task, task.id)
        t.state, t.due_date, t.published_on = "published", D(2026, 9, 30), D(2026, 10, 9)
        db.session.commit()
    page = login(make.user("leader")).get("/disclosure/register").get_data(as_text=True)
    assert "逾期 2 个工作日" in page  # 10月8日 and 9日; the National Day holiday does not count


# --- the office's turn: work with no deadline clock ------------------------------------------------

@pytest.fixture
def waiting_for_office(app, make, city):
    """One of each thing that waits for the office: a published task to verify (the fixture's), an
    objection to answer, scores computed and not published, a drafted bulletin, an annual report
    handed in, a rectification answer to accept."""
    from tracker.reports.models import AnnualReport
    with at(D(2026, 7, 1)):  # a record due in the third quarter (a quarter with none is not published), answered
        _app_due(app, make.application(city["mine"], D(2026, 7, 1), title="三季度已答复的申请"), D(2026, 7, 29),
                 state="replied")
    with at(D(2026, 10, 9)):
        make.manual_item(city["mine"], "2026-Q3", "interpretation", "finding", "1", "政策文件未同步发布解读",
                         by=city["office"], today=D(2026, 10, 9))
        make.scores("2026-Q3", D(2026, 10, 9), publish_by=city["office"])
        make.objection(city["mine"], "2026-Q3", by=city["contact"], reason="该信息已按时发布")
        make.scores("2026-Q2", D(2026, 10, 9))  # the quarter is over: computed, waiting to be published
        make.bulletin("2026-Q3", D(2026, 10, 9))
    report = make.annual_report(city["mine"], year=2025, actor=city["contact"])
    with app.app_context():  # handed in (the report workflow's own tests walk it there)
        db.session.get(AnnualReport, report.id).state = "submitted"
        db.session.commit()
    item = make.rectification(city["mine"], requirement="补充公开救助标准", issued_on=D(2026, 11, 2))
    make.rectification_answer(item, city["contact"], D(2026, 11, 10))
    return city


OFFICE_TURNS = {"核验": "已发布的任务", "考核申辩": "申辩：", "考核得分": "2026年第2季度考核得分",
                "季度通报": "2026年第三季度通报", "年度报告": "民政局2025年政府信息公开工作年度报告",
                "督查整改": "补充公开救助标准"}


def test_the_office_lists_what_waits_for_it_without_a_deadline_after_the_deadlines(app, waiting_for_office):
    from tracker.accounts.models import User
    city = waiting_for_office
    with at(TODAY), app.test_request_context():
        office = db.session.get(User, city["office"].id)
        work = worklist.urgent(office, TODAY, limit=50)
        undated = [i for i in work.items if i.due is None]
        assert {i.kind for i in undated} == set(OFFICE_TURNS)
        for kind, title in OFFICE_TURNS.items():
            assert any(i.kind == kind and title in i.title for i in undated), kind
        assert all(i.due is not None for i in work.items[:len(work.items) - len(undated)])  # deadlines first
        totals = {s.label: s.total for s in work.slices}
        assert totals["待核验的公开任务"] == 1 and totals["待答复的申辩"] == 1 and totals["待发布的考核得分"] == 1
        assert totals["待印发的通报"] == 1 and totals["待接收的年度报告"] == 1
        for user in (db.session.get(User, city["contact"].id),
                     db.session.scalar(db.select(User).where(User.role == "leader"))):
            if user is None:
                continue
            kinds = {i.kind for i in worklist.owed(user, TODAY).items}
            assert not kinds & {"核验", "考核申辩", "考核得分", "季度通报", "年度报告"}, user.role


def test_the_office_todo_and_dashboard_show_its_turns_and_they_leave_once_done(app, make, login, waiting_for_office):
    from tracker.accounts.models import User
    from tracker.disclosure import services as ds
    from tracker.disclosure.models import Task
    city = waiting_for_office
    leader = make.user("leader")
    with at(TODAY):
        office = login(city["office"])
        todo = office.get("/todo").get_data(as_text=True)
        dashboard = office.get("/dashboard").get_data(as_text=True)
        for title in OFFICE_TURNS.values():
            assert title in todo, title
        assert todo.index("财政局逾期任务") < todo.index("2026年第三季度通报")
        assert "待答复的申辩 <strong>1</strong>" in dashboard and "待印发的通报 <strong>1</strong>" in dashboard
        assert "待公开办核验" in todo
        assert "2026年第三季度通报" not in login(leader).get("/todo").get_data(as_text=True)
        assert "已发布的任务" not in login(city["contact"]).get("/todo").get_data(as_text=True)
        with app.app_context():
            task = db.session.scalar(db.select(Task).where(Task.title == "已发布的任务"))
            ds.verify(task, db.session.get(User, city["office"].id))
            db.session.commit()
        assert "已发布的任务" not in login(city["office"]).get("/todo").get_data(as_text=True)


def test_the_office_turns_cost_the_same_statements_however_many_wait(app, make, login, waiting_for_office):
    from .test_disclosure_lists import _statements
    city = waiting_for_office
    with at(TODAY):
        client = login(city["office"])
        client.get("/todo")
        few = _statements(app, client, "/todo")
        for unit in (make.unit(name="交通局"), make.unit(name="水利局")):
            make.user("contact", unit=unit)
            task = make.task(make.duty(unit, title="公示"), formed=D(2026, 10, 9), title="又一条待核验")
            with app.app_context():
                db.session.get(Task, task.id).state = "published"
                db.session.commit()
        assert _statements(app, client, "/todo") == few


# --- online applications waiting for the office to confirm them -----------------------------------

ONLINE = {"applicant_kind": "natural", "applicant_name": "张三", "id_number": "230102199001011234",
          "phone": "13900000000", "title": "网上申请的低保名单", "description": "请公开低保名单",
          "form_wanted": "electronic", "delivery_wanted": "email", "email": "zs@example.com"}


def _submit_online(app, when: datetime, **fields):
    from tracker.applications.services import submit_online
    with time_machine.travel(when, tick=False), app.test_request_context():
        a, _ = submit_online(dict(ONLINE, **fields), "10.0.0.9")
        db.session.commit()
        return a.id


def test_an_online_application_to_confirm_comes_first_in_the_offices_urgent_work_with_the_time_waited(app, city):
    from tracker.accounts.models import User
    _submit_online(app, datetime(2026, 11, 13, 16, 0, tzinfo=CHINA), title="上周五提交的申请")
    _submit_online(app, datetime(2026, 11, 18, 7, 0, tzinfo=CHINA), title="今早提交的申请", id_number="230102199001015678")
    with at(TODAY), app.test_request_context():
        office = db.session.get(User, city["office"].id)
        work = worklist.urgent(office, TODAY)
        assert _titles(work)[:3] == ["上周五提交的申请", "今早提交的申请", "财政局逾期任务"]
        assert [i.waited for i in work.items[:2]] == ["已等待 3 个工作日", "已等待 3 小时"]  # Mon, Tue, Wed
        contact = db.session.get(User, city["contact"].id)
        assert "今早提交的申请" not in _titles(worklist.owed(contact, TODAY))  # not routed to anyone yet


def test_the_register_shows_when_an_online_application_was_submitted_and_its_page_starts_with_confirming(
        app, city, login):
    app_id = _submit_online(app, datetime(2026, 11, 18, 7, 5, tzinfo=CHINA))
    with at(TODAY):
        client = login(city["office"])
        register = client.get("/applications/").get_data(as_text=True)
        detail = client.get(f"/applications/{app_id}").get_data(as_text=True)
    assert "提交于 2026-11-18 07:05" in register
    assert detail.index('id="confirm-first"') < detail.index("答复期限")
    assert "已等待 2 小时" in detail  # 07:05 to 10:00
