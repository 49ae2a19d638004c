"""Task list, register, supervision and exports: unit isolation everywhere, the filters, the
per-channel counts, export contents, and a constant number of SQL statements per page."""
import io
import re
from datetime import date

import pytest
import time_machine
from openpyxl import load_workbook
from sqlalchemy import event

from tracker.accounts.models import User
from tracker.disclosure import services
from tracker.disclosure.models import Task
from tracker.extensions import db

TODAY = "2026-11-27 10:00 +0800"


def _publish(app, task_id, contact_id, on, channels, normative=False, doc=""):
    with app.app_context():
        t = db.session.get(Task, task_id)
        contact = db.session.get(User, contact_id)
        services.acknowledge(t, contact)
        services.publish(t, contact, services.PublicationRecord(on, channels, "https://gov.cn/x" if "website" in channels
                                                                else "", doc, normative), date(2026, 11, 27))
        db.session.commit()


@pytest.fixture
def city(app, make):
    """Two units with published, late and overdue work, and their staff."""
    a, b = make.unit(name="民政局"), make.unit(name="交通运输局")
    people = {"a_contact": make.user("contact", unit=a), "a_reviewer": make.user("reviewer", unit=a),
              "b_contact": make.user("contact", unit=b), "office": make.user("office", unit=make.unit(kind="office")),
              "leader": make.user("leader")}
    duty_a = make.duty(a, title="社会救助", review_required=False, area="社会救助")
    duty_b = make.duty(b, title="财政预算", review_required=False, area="财政预决算")
    tasks = {
        "a_on_time": make.task(duty_a, formed=date(2026, 3, 2), title="低保名单三月"),       # due 03-30
        "a_late": make.task(duty_a, formed=date(2026, 3, 2), title="低保名单补报"),
        "a_overdue": make.task(duty_a, formed=date(2026, 9, 28), title="临时救助十月"),       # due 10-30
        "b_on_time": make.task(duty_b, formed=date(2026, 3, 2), title="部门预算公开"),
        "b_open": make.task(duty_b, formed=date(2026, 11, 20), title="追加预算说明"),
    }
    _publish(app, tasks["a_on_time"].id, people["a_contact"].id, date(2026, 3, 20), ["website", "wechat", "weibo"])
    _publish(app, tasks["a_late"].id, people["a_contact"].id, date(2026, 4, 10), ["gazette"], True, "东民规〔2026〕1号")
    _publish(app, tasks["b_on_time"].id, people["b_contact"].id, date(2026, 3, 27), ["website"])
    return people, tasks


def _text(response):
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _xlsx_rows(response):
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(response.data)).active
    return [list(r) for r in ws.iter_rows(values_only=True)]


@time_machine.travel(TODAY, tick=False)
def test_unit_staff_see_only_their_own_unit_everywhere(app, login, city):
    people, tasks = city
    client = login(people["a_contact"])
    for url in ("/disclosure/tasks", "/disclosure/register", "/disclosure/catalogue", "/dashboard",
                "/disclosure/tasks?unit=%d" % tasks["b_on_time"].unit_id,
                "/disclosure/register?unit=%d" % tasks["b_on_time"].unit_id):
        page = _text(client.get(url))
        assert "交通运输局" not in page and "部门预算公开" not in page, url
    assert "低保名单三月" in _text(client.get("/disclosure/register"))
    assert client.get(f"/disclosure/tasks/{tasks['b_on_time'].id}").status_code == 404
    for url in ("/disclosure/tasks/export", "/disclosure/register/export", "/disclosure/catalogue/export",
                "/disclosure/tasks/export?unit=%d" % tasks["b_on_time"].unit_id):
        cells = {str(c) for row in _xlsx_rows(client.get(url)) for c in row}
        assert not any("交通运输局" in c or "部门预算" in c for c in cells), url
    assert client.get("/disclosure/supervision").status_code == 403
    # the office and leaders see both units
    for who in ("office", "leader"):
        page = _text(login(people[who]).get("/disclosure/tasks"))
        assert "部门预算公开" in page and "低保名单三月" in page


@time_machine.travel(TODAY, tick=False)
def test_register_counts_each_item_once_and_once_per_channel(app, login, city):
    people, _ = city
    client = login(people["office"])
    page = _text(client.get("/disclosure/register"))
    assert 'data-count="total">3<' in page
    assert 'data-count="website">2<' in page and 'data-count="wechat">1<' in page
    assert 'data-count="gazette">1<' in page and 'data-count="other">0<' in page
    with app.app_context():
        office = db.session.get(User, people["office"].id)
        counts = services.register_counts(services.register_query(services.RegisterFilters(channel="website"), office))
        assert counts["total"] == 2
        assert dict((k, n) for k, _, n in counts["by_channel"])["wechat"] == 1


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("query, expected", [
    ("", {"低保名单三月", "低保名单补报", "部门预算公开"}),
    ("timeliness=late", {"低保名单补报"}),
    ("timeliness=on_time", {"低保名单三月", "部门预算公开"}),
    ("normative=yes", {"低保名单补报"}),
    ("channel=wechat", {"低保名单三月"}),
    ("from=2026-03-21&to=2026-03-31", {"部门预算公开"}),
    ("q=东民规", {"低保名单补报"}),
])
def test_register_filters_and_export_agree(app, login, city, query, expected):
    people, _ = city
    client = login(people["office"])
    page = _text(client.get("/disclosure/register?" + query))
    everything = {"低保名单三月", "低保名单补报", "部门预算公开"}
    assert {t for t in everything if t in page} == expected
    rows = _xlsx_rows(client.get("/disclosure/register/export?" + query))
    assert {r[1] for r in rows[1:]} == expected


@time_machine.travel(TODAY, tick=False)
def test_register_filter_by_area_and_unit(app, login, city):
    people, tasks = city
    client = login(people["office"])
    page = _text(client.get(f"/disclosure/register?unit={tasks['b_on_time'].unit_id}"))
    assert "部门预算公开" in page and "低保名单" not in page
    page = _text(client.get(f"/disclosure/register?area={tasks['a_on_time'].key_area_id}"))
    assert "部门预算公开" not in page and "低保名单三月" in page
    warned = _text(client.get("/disclosure/register?from=2026-13-01"))
    assert "格式不正确" in warned


@time_machine.travel(TODAY, tick=False)
def test_task_export_has_chinese_headers_and_the_filtered_rows(app, login, city):
    people, _ = city
    rows = _xlsx_rows(login(people["office"]).get("/disclosure/tasks/export?flag=overdue"))
    assert rows[0][:8] == ["单位", "任务名称", "重点领域", "周期", "信息形成日期", "公开期限", "剩余工作日", "超期工作日"]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1]))
    assert row["单位"] == "民政局" and row["任务名称"] == "临时救助十月" and row["状态"] == "待签收"
    assert row["公开期限"].date() == date(2026, 10, 30) and row["是否已逾期"] == "是"
    assert isinstance(row["超期工作日"], int) and row["超期工作日"] > 0 and row["剩余工作日"] is None
    late = _xlsx_rows(login(people["office"]).get("/disclosure/tasks/export?flag=late"))
    data = dict(zip(late[0], late[1]))
    assert data["是否逾期发布"] == "是" and data["规范性文件"] == "是" and data["文号"] == "东民规〔2026〕1号"
    assert data["公开渠道"] == "政府公报"


@time_machine.travel(TODAY, tick=False)
def test_supervision_page_per_unit_with_drill_down(app, login, city):
    people, tasks = city
    client = login(people["office"])
    page = _text(client.get("/disclosure/supervision?sort=late"))
    assert "民政局" in page and "交通运输局" in page
    assert f"/disclosure/tasks?unit={tasks['a_overdue'].unit_id}&amp;flag=overdue" in page
    assert "chart.umd.min.js" in page and 'data-chart="' in page
    assert page.index("民政局") < page.index("交通运输局")  # sorted by published late, most first
    asc = _text(client.get("/disclosure/supervision?sort=late&dir=asc"))
    assert asc.index("交通运输局") < asc.index("民政局")
    drill = _text(client.get(f"/disclosure/tasks?unit={tasks['a_overdue'].unit_id}&flag=overdue"))
    assert "临时救助十月" in drill and "追加预算说明" not in drill
    assert _text(login(people["leader"]).get("/disclosure/supervision"))


def _statements(app, client, url):
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def _add_tasks(app, make, unit, contact, n):
    duty = make.duty(unit, review_required=False)
    with app.app_context():
        d = db.session.get(type(duty), duty.id)
        who = db.session.get(User, contact.id)
        for i in range(n):
            t = services.create_task(d, date(2026, 1, 5) + (date(2026, 2, 1) - date(2026, 1, 1)) * (i % 10),
                                     f"任务{i}", None, None)
            if i % 3 == 0:
                services.acknowledge(t, who)
                services.publish(t, who, services.PublicationRecord(t.formed_date, ["website", "weibo"], "https://a.cn/"),
                                 date(2026, 11, 27))
        db.session.commit()


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("url", ["/disclosure/supervision", "/disclosure/tasks", "/disclosure/register", "/dashboard"])
def test_statement_count_does_not_grow_with_rows(app, make, login, url):
    office = make.user("office", unit=make.unit(kind="office"))
    units = [make.unit() for _ in range(3)]
    contacts = [make.user("contact", unit=u) for u in units]
    for u, c in zip(units, contacts):
        _add_tasks(app, make, u, c, 1)
    client = login(office)
    client.get(url)  # warm caches (calendar, key areas)
    few = _statements(app, client, url)
    for u, c in zip(units, contacts):
        _add_tasks(app, make, u, c, 9)
    many = _statements(app, client, url)
    assert few == many, (few, many)
    contact_client = login(contacts[0])
    if url != "/disclosure/supervision":
        contact_client.get(url)
        before = _statements(app, contact_client, url)
        _add_tasks(app, make, units[0], contacts[0], 10)
        assert _statements(app, contact_client, url) == before


def _by_title(rows, title_column=1):
    return {r[title_column]: dict(zip(rows[0], r)) for r in rows[1:]}


@time_machine.travel(TODAY, tick=False)
def test_task_export_counts_how_often_the_office_failed_verification(app, login, city):
    people, tasks = city
    office = login(people["office"])
    failed = office.post(f"/disclosure/tasks/{tasks['b_on_time'].id}/fail", {"reason": "网址无法打开"})
    assert failed.status_code == 302
    rows = _by_title(_xlsx_rows(office.get("/disclosure/tasks/export")))
    assert rows["部门预算公开"]["核验未通过次数"] == 1 and rows["部门预算公开"]["状态"] == "核验未通过"
    assert rows["低保名单三月"]["核验未通过次数"] == 0


@time_machine.travel(TODAY, tick=False)
def test_register_export_counts_working_days_late_as_the_register_page_does(app, login, city):
    import re
    people, _ = city
    client = login(people["office"])
    shown = re.findall(r"逾期 \d+ 个工作日", _text(client.get("/disclosure/register")))
    assert len(shown) == 1  # 低保名单补报: due 03-30, published 04-10
    rows = _by_title(_xlsx_rows(client.get("/disclosure/register/export")))
    late = rows["低保名单补报"]
    assert (late["按时/逾期"], f"逾期 {late['逾期工作日']} 个工作日") == ("逾期", shown[0])  # a number, as the page counts
    assert rows["低保名单三月"]["按时/逾期"] == rows["部门预算公开"]["按时/逾期"] == "按时"
    assert rows["低保名单三月"]["逾期工作日"] is None


@time_machine.travel(TODAY, tick=False)
def test_a_reviewers_export_holds_what_the_list_shows_awaiting_approval_first(app, make, login, city):
    people, tasks = city
    from tracker.units.models import Unit
    with app.app_context():
        unit_a = db.session.get(Unit, tasks["a_on_time"].unit_id)
    duty = make.duty(unit_a, title="审核事项", review_required=True)
    waiting = make.task(duty, formed=date(2026, 11, 20), title="待审核的公告")
    contact = login(people["a_contact"])
    assert contact.post(f"/disclosure/tasks/{waiting.id}/acknowledge").status_code == 302
    assert contact.post(f"/disclosure/tasks/{waiting.id}/draft", {
        "draft_text": "2026年11月公告正文", "channels": ["website"], "attribute": "proactive", "no_state_secret": "y",
        "privacy": "redacted", "redaction_note": "隐去个人信息"}).status_code == 302
    reviewer = login(people["a_reviewer"])
    page = _text(reviewer.get("/disclosure/tasks"))
    assert "待审核的公告" in page and "低保名单三月" not in page  # opens on what awaits approval
    assert [r[1] for r in _xlsx_rows(reviewer.get("/disclosure/tasks/export"))[1:]] == ["待审核的公告"]
    everything = {r[1] for r in _xlsx_rows(reviewer.get("/disclosure/tasks/export?state="))[1:]}
    assert {"待审核的公告", "低保名单三月", "低保名单补报", "临时救助十月"} <= everything


@time_machine.travel(TODAY, tick=False)
def test_the_task_list_in_urgency_order_heads_each_group_once_in_the_order_it_sorts(app, login, city):
    people, tasks = city
    page = _text(login(people["office"]).get("/disclosure/tasks"))
    page = page[page.index('<tbody>'):]
    groups = [int(g) for g in re.findall(r'class="task-group[^"]*" data-group="(\d)"', page)]
    assert groups == sorted(set(groups))  # each heading once, in the SQL's order
    assert page.index("已逾期") < page.index("临时救助十月") < page.index("待签收") < page.index("追加预算说明")
    assert page.index("已办结（") < page.index("部门预算公开")
    by_due = _text(login(people["office"]).get("/disclosure/tasks?sort=due"))
    assert 'class="task-group' not in by_due
