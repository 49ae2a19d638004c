"""In a real browser: the dashboards put urgent work first, the lists show and sort by working days
left, every main list fits a 390 px phone, and the applicant's pages work without an account."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tracker.applications.models import Application
from tracker.disclosure.models import Task
from tracker.extensions import db
from tracker.timeutil import china_today

from .conftest import apply_online, sign_in
from .test_access_matrix import EXPECTED, PUBLIC, _url, world  # noqa: F401 (world: the fixture with an id of every kind)

pytestmark = pytest.mark.browser


def _set(app, model, record_id, **values):
    with app.app_context():
        row = db.session.get(model, record_id)
        for name, value in values.items():
            setattr(row, name, value)
        db.session.commit()


@pytest.fixture
def city(app, make):
    """Work due at every distance from today, in two units, with names as long as real ones."""
    today = china_today()
    office = make.user("office", unit=make.unit(name="东宁市人民政府办公室（政务公开办）", kind="office"))
    leader = make.user("leader")
    mine = make.unit(name="人力资源和社会保障局", kind="department")
    other = make.unit(name="文化广电新闻出版局", kind="department")
    make.unit(name="大肚川镇", kind="town")
    contact = make.user("contact", unit=mine)
    reviewer = make.user("reviewer", unit=mine)
    duty = make.duty(mine, title="就业创业补贴发放情况")
    for title, days in (("就业补贴（逾期很久的一项，名称也特别长，需要在手机上换行显示）", -20), ("社保待遇调整（即将到期）", 2),
                        ("职业培训补贴（下季度）", 80), ("失业保险金（逾期）", -6)):
        task = make.task(duty, formed=today - timedelta(days=40), title=title)
        _set(app, Task, task.id, due_date=today + timedelta(days=days))
    theirs = make.task(make.duty(other, title="广电"), formed=today - timedelta(days=40), title="广播电视公共服务（逾期）")
    _set(app, Task, theirs.id, due_date=today - timedelta(days=3))
    late = make.application(mine, today - timedelta(days=40), title="社保缴费基数调整文件")
    _set(app, Application, late.id, due_date=today - timedelta(days=10))
    soon = make.application(mine, today - timedelta(days=2), title="职业技能鉴定名单")
    _set(app, Application, soon.id, due_date=today + timedelta(days=1))
    return {"office": office, "leader": leader, "contact": contact, "reviewer": reviewer, "late": late}


def _workdays(page, selector):
    return [int(v) for v in page.locator(selector).evaluate_all(
        "els => els.map(e => e.dataset.workdays).filter(v => v !== '')")]


@pytest.mark.parametrize("role", ["office", "leader", "contact", "reviewer"])
def test_every_dashboard_starts_with_urgent_work_most_overdue_first(city, page, role):
    sign_in(page, city[role].username)
    page.wait_for_url("**/dashboard")
    cards = page.locator("main .card").evaluate_all("els => els.map(e => e.id)")
    assert cards[0] == "urgent", cards  # before any figures
    days = _workdays(page, "#urgent .work-item")
    assert days and days == sorted(days) and days[0] < 0  # the most overdue first
    first = page.locator("#urgent .work-item").first
    expect(first).to_contain_text("超期")
    expect(first.locator(".workdays")).to_have_text(re.compile(r"超期 \d+ 个工作日"))
    if role == "contact":  # the contact's list is all the unit owes, tasks and applications together
        expect(page.locator("#urgent")).to_contain_text("职业培训补贴（下季度）")
        expect(page.locator("#urgent")).to_contain_text("社保缴费基数调整文件")
        expect(page.locator("#urgent")).not_to_contain_text("广播电视公共服务")
    elif role in ("office", "leader"):
        expect(page.locator("#urgent")).to_contain_text("广播电视公共服务（逾期）")
        expect(page.locator("#urgent")).not_to_contain_text("职业培训补贴（下季度）")


def test_the_task_list_sorts_by_working_days_left_when_the_column_is_clicked(city, page):
    sign_in(page, city["contact"].username)
    page.wait_for_url("**/dashboard")
    page.goto("/disclosure/tasks")
    expect(page.locator("#task-list")).to_contain_text("超期")
    page.locator("#col-workdays a").click()
    page.wait_for_url(re.compile(r"sort=due&dir=asc"))
    ascending = _workdays(page, "#task-list tbody .workdays")
    assert ascending == sorted(ascending) and len(ascending) == 4
    page.locator("#col-workdays a").click()
    page.wait_for_url(re.compile(r"dir=desc"))
    descending = _workdays(page, "#task-list tbody .workdays")
    assert descending == sorted(ascending, reverse=True)
    expect(page.locator("#task-list tbody tr").first).to_contain_text("职业培训补贴（下季度）")


def test_the_task_list_in_urgency_order_names_its_groups(city, page):
    sign_in(page, city["contact"].username)
    page.wait_for_url("**/dashboard")
    page.goto("/disclosure/tasks")
    headings = page.locator("#task-list tbody tr.task-group").all_inner_texts()
    assert [h.strip() for h in headings] == ["已逾期", "即将到期（5个工作日内）", "待签收"]
    rows = page.locator("#task-list tbody tr").evaluate_all(
        "els => els.map(e => e.classList.contains('task-group') ? 'G:' + e.innerText.trim() : e.dataset.due)")
    assert rows[0] == "G:已逾期" and rows.index("G:即将到期（5个工作日内）") == 3  # two overdue rows under the first
    assert rows[-2] == "G:待签收"  # the task due next quarter, not yet acknowledged
    page.locator("#col-workdays a").click()  # by working days left only: no groups
    page.wait_for_url(re.compile(r"sort=due"))
    expect(page.locator("#task-list tbody tr.task-group")).to_have_count(0)


def test_the_application_list_and_todo_show_working_days(city, page):
    sign_in(page, city["contact"].username)
    page.wait_for_url("**/dashboard")
    page.goto("/applications/")
    page.locator("#col-workdays a").click()
    expect(page.locator("#application-list tbody tr").first).to_contain_text("社保缴费基数调整文件")
    expect(page.locator("#application-list tbody tr").first.locator(".workdays")).to_contain_text("超期")
    page.goto("/todo")
    days = _workdays(page, "#todo .work-item")
    assert len(days) == 6 and days == sorted(days)
    page.click("#sort-latest-first")
    assert _workdays(page, "#todo .work-item") == sorted(days, reverse=True)


def test_an_online_application_waiting_to_be_confirmed_is_first_and_its_action_in_view_on_a_phone(app, city, page):
    from tracker.applications.services import submit_online
    with app.test_request_context():
        submit_online({"applicant_kind": "natural", "applicant_name": "张三", "id_number": "230102199001011234",
                       "phone": "13900000000", "title": "网上申请：养老金发放标准", "description": "请公开养老金发放标准",
                       "form_wanted": "electronic", "delivery_wanted": "email", "email": "zs@example.com"}, "10.0.0.9")
        db.session.commit()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, city["office"].username)
    page.wait_for_url("**/dashboard")
    first = page.locator("#urgent .work-item").first
    expect(first).to_contain_text("网上申请：养老金发放标准")
    expect(first.locator(".waited")).to_have_text(re.compile(r"已等待(不到 1| \d+) 小时"))
    first.locator("a").first.click()
    button = page.locator("#act-confirm button[type=submit]")
    expect(button).to_be_visible()
    assert button.bounding_box()["y"] + button.bounding_box()["height"] <= 844  # no scrolling needed


PHONE_PAGES = {
    "office": ["/dashboard", "/todo", "/disclosure/tasks", "/disclosure/catalogue", "/disclosure/register",
               "/disclosure/supervision", "/applications/", "/applications/statistics", "/calendar/", "/audit/",
               "/admin/users", "/admin/units/", "/admin/outbox", "/admin/health", "/notifications", "/admin/public-page",
               "/reports/"],
    "contact": ["/dashboard", "/todo", "/disclosure/tasks", "/applications/", "/calendar/tool"],
    None: ["/", "/apply", "/apply/status", "/login"],
}


@pytest.mark.parametrize("role", list(PHONE_PAGES))
def test_the_main_lists_fit_a_390_px_phone(city, page, role):
    page.set_viewport_size({"width": 390, "height": 844})
    if role:
        sign_in(page, city[role].username)
        page.wait_for_url("**/dashboard")
    pages = PHONE_PAGES[role] + ([f"/applications/{city['late'].id}"] if role == "office" else [])
    for path in pages:
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width}px wide on a 390px screen"
    if role == "contact":  # the task list stacks into cards, still labelled
        page.goto("/disclosure/tasks")
        expect(page.locator("#task-list thead")).to_be_hidden()
        card = page.locator("#task-list tbody tr.task-row").first
        assert card.bounding_box()["width"] <= 390


@pytest.mark.parametrize("role", ["office", "leader", "contact", "reviewer", None])
def test_every_page_a_role_may_open_fits_a_390_px_phone(app, world, page, role):  # noqa: F811
    """Every GET page the role may open, with the ids of the access matrix's world (a task, an
    application, an annual report, a published score ...): none is wider than the screen."""
    users, args = world
    page.set_viewport_size({"width": 390, "height": 844})
    if role:
        sign_in(page, users[role].username)
        page.wait_for_url("**/dashboard")
    seen, wide = 0, []
    for rule in app.url_map.iter_rules():
        allowed = EXPECTED[rule.endpoint]
        if "GET" not in rule.methods or rule.endpoint in ("static", "accounts.logout"):
            continue
        if not (allowed == PUBLIC or (role and role in allowed)):
            continue
        url = _url(app, rule, args)
        answer = page.request.get(url, max_redirects=0)
        if answer.status != 200 or "text/html" not in answer.headers.get("content-type", ""):
            continue  # downloads, redirects
        page.goto(url)
        seen += 1
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            wide.append(f"{url}: {width}px")
    assert seen > (40 if role == "office" else 3)
    assert not wide, f"wider than a 390px screen as {role or 'anonymous'}: {wide}"


def test_a_visitor_applies_from_the_front_page_and_follows_it_to_the_reply(app, make, city, page, chromium,
                                                                           live_server):
    page.goto("/")
    expect(page.locator("#office-name")).to_have_text("东宁市人民政府办公室（政务公开办）")
    expect(page.locator("#guide")).to_contain_text("政府信息公开指南")
    page.click("#link-apply")
    apply_online(page, "2025年失业保险金发放情况", "请公开2025年本市失业保险金发放人数和金额")
    expect(page.locator("#receipt")).to_contain_text("政府信息公开申请回执")
    expect(page.locator("#receipt")).to_contain_text("2025年失业保险金发放情况")
    expect(page.locator("#btn-print")).to_be_visible()
    code = page.locator("#tracking-code").inner_text()
    password = page.locator("#query-password").inner_text()

    # the office confirms it and routes it; the unit replies and files the signed reply
    today = china_today()
    with app.app_context():
        from sqlalchemy import select

        from tracker.accounts.models import User
        from tracker.applications import services
        from tracker.applications.documents import add_document
        application = db.session.scalar(select(Application).where(Application.tracking_code == code))
        office = db.session.get(User, city["office"].id)
        services.confirm_online(application, today, city["contact"].unit_id, actor=office)
        services.reply(application, "grant", today, "email", today, actor=db.session.get(User, city["contact"].id))
        add_document(application, "reply", "答复书.pdf", b"%PDF-1.4 signed reply", actor=office)
        db.session.commit()

    page.goto("/")
    page.click("#link-status")
    page.fill("input[name=code]", code)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page.locator("#status-title")).to_have_text("2025年失业保险金发放情况")
    expect(page.locator("#status-unit")).to_have_text("人力资源和社会保障局")
    expect(page.locator("#status-state")).to_have_text("已答复")
    steps = page.locator("#status-steps li")
    expect(steps.first).to_contain_text("网上提交申请")
    expect(steps.last).to_contain_text("作出答复")
    with page.expect_download() as download:
        page.get_by_role("link", name="答复书.pdf").click()
    assert download.value.suggested_filename == "答复书.pdf"


def test_the_handler_reveals_the_id_number_and_only_that_is_audited(app, city, page):
    from sqlalchemy import func, select

    from tracker.audit.models import AuditEvent
    sign_in(page, city["contact"].username)
    page.wait_for_url("**/dashboard")
    page.goto(f"/applications/{city['late'].id}")
    masked = page.locator("#id-number").inner_text()
    assert "*" in masked
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "application.view_personal")) == 0
    page.click("#btn-reveal-id")
    expect(page.locator("#id-number")).not_to_contain_text("*")
    expect(page.locator("#btn-reveal-id")).to_have_count(0)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "application.view_personal")) == 1
