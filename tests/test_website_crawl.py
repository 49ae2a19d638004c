"""网站巡查 against a real HTTP server on loopback serving a unit's 政府信息公开 columns
(tests/website_site.py): the sweeps read it as they would a government site."""
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from tests.website_site import FULL_WIDTH_TITLE, HALF_WIDTH_TITLE, HOST, VALID_ID, build
from tracker.extensions import db
from tracker.website.fixture_server import serve

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=timezone.utc)       # 10:00 in China
TODAY = date(2026, 12, 7)
CONFIG = {"WEBSITE_ALLOW_PRIVATE": True, "WEBSITE_RESOLVE": f"{HOST}=127.0.0.1", "WEBSITE_DELAY_SECONDS": 0,
          "WEBSITE_TOTAL_TIMEOUT": 1.5, "WEBSITE_READ_TIMEOUT": 1.0, "WEBSITE_CONNECT_TIMEOUT": 1.0,
          "WEBSITE_MAX_BYTES": 200_000, "WEBSITE_PER_HOST": 4}


@pytest.fixture(scope="module")
def fixture_site():
    site = build(TODAY)
    server = serve(site)
    yield site, server
    server.shutdown()


@pytest.fixture
def web(app, fixture_site, make):
    """The fixture site's unit, its contact and the office, on 2026-12-07 (the site's pages are
    dated for that day: the suite's own day may be any other)."""
    import time_machine
    traveller = time_machine.travel(NOW, tick=True)
    traveller.start()
    site, server = fixture_site
    saved = {k: app.config.get(k) for k in CONFIG}
    app.config.update(CONFIG)
    factory = make
    office = factory.user("office")
    unit = factory.unit(name="住房和城乡建设局")
    contact = factory.user("contact", unit=unit)
    with app.app_context():
        from tracker.accounts.models import User
        from tracker.website.settings import save_settings
        save_settings({"allowed_domains": "test.gov.cn"}, db.session.get(User, office.id))
        db.session.commit()
    yield SimpleNamespace(base=f"http://{HOST}:{server.server_address[1]}", site=site, office=office, unit=unit,
                          contact=contact, factory=factory, app=app)
    app.config.update(saved)
    traveller.stop()


def add_column(web, path, kind="notice", name="通知公告", max_age_days=None):
    from tracker.accounts.models import User
    from tracker.website.columns import ColumnData, create_column
    with web.app.app_context():
        column = create_column(ColumnData(web.unit.id, name, web.base + path, kind, max_age_days),
                               db.session.get(User, web.office.id), NOW)
        db.session.commit()
        return column.id


def publish(web, title, url, published_on=date(2026, 11, 18)):
    """A task of the unit published at ``url`` (duty without review: acknowledge, then publish)."""
    from tracker.accounts.models import User
    from tracker.disclosure import workflow
    from tracker.disclosure.models import Task
    duty = web.factory.duty(web.unit, review_required=False)
    task = web.factory.task(duty, title=title)
    with web.app.app_context():
        t, contact = db.session.get(Task, task.id), db.session.get(User, web.contact.id)
        workflow.acknowledge(t, contact)
        workflow.publish(t, contact, workflow.PublicationRecord(published_on, ["website"], url), TODAY)
        db.session.commit()
    return task.id


def run(sweep, now=NOW):
    from tracker.website import tasks
    return getattr(tasks, sweep)(now, seconds=None)


def column(web, column_id):
    from tracker.website.models import WebColumn
    with web.app.app_context():
        return db.session.get(WebColumn, column_id)


def findings(web, kind=None):
    from tracker.website.models import WebFinding
    with web.app.app_context():
        stmt = select(WebFinding).order_by(WebFinding.id)
        if kind:
            stmt = stmt.where(WebFinding.kind == kind)
        return db.session.scalars(stmt).all()


def latest_check(web, task_id):
    from tracker.website.services import task_check
    with web.app.app_context():
        return task_check(task_id)


# --- columns -----------------------------------------------------------------------------------------

def test_gbk_column_is_read_across_its_pages_with_each_date_form(web):
    column_id = add_column(web, "/xxgk/tzgg/index.html")
    with web.app.app_context():
        run("sweep_columns")
    col = column(web, column_id)
    assert col.status == "ok" and col.pages_read == 3          # the fourth page is past the limit (3)
    assert col.items == 4                                        # 2026-11-20, [11-25], 2026/10/15, 2026年9月1日
    assert col.latest_date == date(2026, 11, 25)                 # [11-25]: this year, not in the future
    assert col.latest_title == "关于开展安全生产大检查的通知"      # GBK read as GBK
    assert "/xxgk/tzgg/index_3.html" not in web.site.hits


def test_undeclared_gbk_page_is_read_and_a_news_column_older_than_two_weeks_is_stale(web):
    column_id = add_column(web, "/xxgk/dtyw/index.html", kind="news", name="工作动态")
    with web.app.app_context():
        run("sweep_columns")
    col = column(web, column_id)
    assert col.latest_title == "副市长调研秋季农业生产和森林防火工作"
    assert col.latest_date == date(2026, 11, 2) and col.status == "stale"
    stale = findings(web, "stale_column")
    assert len(stale) == 1 and "2026-11-02" in stale[0].summary and stale[0].column_id == column_id


def test_meta_declared_gb2312_policy_column_within_six_months_is_up_to_date(web):
    column_id = add_column(web, "/xxgk/zcwj/index.html", kind="policy", name="政策文件")
    with web.app.app_context():
        run("sweep_columns")
    col = column(web, column_id)
    assert col.latest_title == "东宁市城乡居民最低生活保障实施细则" and col.status == "ok"
    # the same column read on a day more than six months later is stale
    with web.app.app_context():
        from tracker.website.models import WebColumn
        db.session.get(WebColumn, column_id).next_check_at = NOW
        db.session.commit()
        run("sweep_columns", NOW + timedelta(days=190))
    assert column(web, column_id).status == "stale"


def test_blank_column_is_a_finding(web):
    column_id = add_column(web, "/xxgk/kong/index.html", kind="plan", name="规划计划")
    with web.app.app_context():
        run("sweep_columns")
    assert column(web, column_id).status == "blank"
    assert [f.kind for f in findings(web)] == ["blank_column"]


def test_dead_same_host_links_give_the_link_error_rate_and_off_host_links_are_not_fetched(web):
    column_id = add_column(web, "/xxgk/tzgg/index.html")
    with web.app.app_context():
        run("sweep_columns")
        from tracker.website.columns import link_error_rates
        rates = link_error_rates()
    col = column(web, column_id)
    # same-host links of the first page: 首页, two notices, the missing one (the pager is not a link to check)
    assert col.links_checked == 4 and col.links_broken == 1
    assert rates[web.unit.id] == (4, 1)
    dead = findings(web, "dead_link")
    assert len(dead) == 1 and dead[0].url.endswith("/xxgk/tzgg/missing.html") and "404" in dead[0].summary
    assert not any("example.com" in f.url for f in findings(web))


def test_a_column_put_right_closes_its_finding_on_the_next_reading(web):
    column_id = add_column(web, "/xxgk/kong/index.html", kind="plan", name="规划计划")
    with web.app.app_context():
        run("sweep_columns")
    from tracker.website.fixture_server import html
    web.site["/xxgk/kong/index.html"] = html("<html><body><ul><li><a href='/p/1.html'>2027年工作计划</a>"
                                             "<span>2026-12-01</span></li></ul></body></html>", "gbk")
    try:
        with web.app.app_context():
            from tracker.website.models import WebColumn
            db.session.get(WebColumn, column_id).next_check_at = NOW
            db.session.commit()
            run("sweep_columns", NOW + timedelta(hours=1))
        finding = findings(web, "blank_column")[0]
        assert finding.state == "resolved" and column(web, column_id).status == "ok"
    finally:
        web.site.pages["/xxgk/kong/index.html"] = build(TODAY).pages["/xxgk/kong/index.html"]


# --- publication check ----------------------------------------------------------------------------

def test_publication_check_keeps_the_redirect_chain_title_date_and_attachments(web):
    task_id = publish(web, HALF_WIDTH_TITLE, web.base + "/old/notice")
    with web.app.app_context():
        run("sweep_pages")
    page, check = latest_check(web, task_id)
    assert [hop[1] for hop in check.chain] == [301, 302, 200]
    assert check.final_url == web.base + "/xxgk/2026/notice.html" and check.status_code == 200
    assert check.title == FULL_WIDTH_TITLE and check.title_found is True    # only full-width punctuation differs
    assert check.page_date == date(2026, 11, 18)
    assert len(check.content_hash) == 64
    assert {a["name"]: a["ok"] for a in check.attachments} == {
        "补助对象名单.pdf": True, "核对表.pdf": True, "答复.docx": True, "申请表.docx": True}
    assert check.passed is False and "身份证号码" in check.reason_text and page.state == "failed"


def test_id_numbers_with_a_valid_check_digit_are_findings_and_invalid_ones_are_not(web):
    publish(web, HALF_WIDTH_TITLE, web.base + "/old/notice")
    with web.app.app_context():
        run("sweep_pages")
    leaks = findings(web, "privacy_leak")
    where = sorted(f.url.rsplit("/", 1)[1] for f in leaks)
    assert where == ["list.pdf", "reply.docx"]       # check.pdf and form.docx carry invalid check digits
    masked = {f.url.rsplit("/", 1)[1]: f.summary for f in leaks}
    assert VALID_ID not in masked["list.pdf"] and VALID_ID[:4] + "*" * 10 + VALID_ID[-4:] in masked["list.pdf"]
    assert all(VALID_ID not in (f.excerpt or "") for f in leaks)
    assert not any("0453" in f.summary for f in leaks)  # the office telephone on the page is no finding


def test_failing_check_prefills_the_reason_and_a_passing_one_verifies_in_bulk(web):
    from tracker.accounts.models import User
    from tracker.disclosure.models import Task
    from tracker.website.services import fail_reason, verify_passed
    leaky = publish(web, HALF_WIDTH_TITLE, web.base + "/old/notice")
    clean = publish(web, "东宁市2026年第三季度财政收支情况", web.base + "/xxgk/2026/clean.html")
    with web.app.app_context():
        run("sweep_pages")
        assert fail_reason(leaky).startswith("网站巡查：") and "未脱敏" in fail_reason(leaky)
        assert fail_reason(clean) == ""
        assert verify_passed([leaky, clean], db.session.get(User, web.office.id)) == 1
        db.session.commit()
        assert db.session.get(Task, clean).state == "verified"
        assert db.session.get(Task, leaky).state == "published"


def test_the_office_may_let_a_passing_check_verify_by_itself(web):
    from tracker.accounts.models import User
    from tracker.disclosure.models import Task, TaskEvent
    from tracker.website.settings import save_settings
    with web.app.app_context():
        save_settings({"allowed_domains": "test.gov.cn", "auto_verify": "y"}, db.session.get(User, web.office.id))
        db.session.commit()
    task_id = publish(web, "东宁市2026年第三季度财政收支情况", web.base + "/xxgk/2026/clean.html")
    with web.app.app_context():
        run("sweep_pages")
        assert db.session.get(Task, task_id).state == "verified"
        event = db.session.scalar(select(TaskEvent).where(TaskEvent.task_id == task_id, TaskEvent.action == "verify"))
        assert event.actor_label == "网站巡查（自动核验）" and "证据" in event.reason


def test_a_dead_attachment_and_a_404_address_fail_the_check(web):
    broken = publish(web, "东宁市招聘公告", web.base + "/xxgk/2026/broken.html")
    missing = publish(web, "不存在的页面", web.base + "/nowhere.html")
    with web.app.app_context():
        run("sweep_pages")
    assert "附件“报名表.pdf”无法打开：网址无法打开（HTTP 404）" in latest_check(web, broken)[1].reason_text
    assert latest_check(web, missing)[1].reason_text == "网址无法打开（HTTP 404）"


def test_slow_page_within_the_timeout_passes_and_one_slower_than_the_timeout_fails(web):
    slow = publish(web, "较慢的页面", web.base + "/slow.html")
    slower = publish(web, "很慢的页面", web.base + "/slower.html")
    with web.app.app_context():
        run("sweep_pages")
    assert latest_check(web, slow)[1].passed is True
    page, check = latest_check(web, slower)
    assert check is not None and "超时" in (check.error or "") and page.state == "unreachable"


def test_a_file_over_the_size_cap_is_not_read(web):
    from tests.website_site import run_async
    from tracker.website.net import Crawler
    from tracker.website.settings import crawl_settings
    with web.app.app_context():
        settings = crawl_settings()

    async def fetch():
        async with Crawler(settings) as crawler:
            return await crawler.fetch(web.base + "/files/huge.pdf")
    result = run_async(fetch)
    assert result.error == "too_large" and "大小上限" in result.message and result.body == b""


# --- re-checks ----------------------------------------------------------------------------------

def _recheck_now(web, task_id, now):
    from tracker.website.models import WebPage
    with web.app.app_context():
        db.session.scalar(select(WebPage).where(WebPage.task_id == task_id)).next_check_at = now
        db.session.commit()
        run("sweep_pages", now)


def test_a_published_page_that_disappears_is_reported_to_the_unit_and_the_office(web):
    from tracker.notify.models import Notification
    from tracker.website.fixture_server import html
    task_id = publish(web, "东宁市2026年第三季度财政收支情况", web.base + "/xxgk/2026/clean.html")
    with web.app.app_context():
        run("sweep_pages")
    saved = web.site.pages["/xxgk/2026/clean.html"]
    web.site.pages["/xxgk/2026/clean.html"] = html("<html><body>页面不存在</body></html>")
    web.site.pages["/xxgk/2026/clean.html"].status = 404
    try:
        _recheck_now(web, task_id, NOW + timedelta(days=20))
    finally:
        web.site.pages["/xxgk/2026/clean.html"] = saved
    page, _ = latest_check(web, task_id)
    assert page.state == "gone"
    gone = findings(web, "page_gone")
    assert len(gone) == 1 and "HTTP 404" in gone[0].summary
    with web.app.app_context():
        told = {n.user_id for n in db.session.scalars(select(Notification).where(Notification.link ==
                                                                                  f"/website/findings/{gone[0].id}"))}
    assert told == {web.contact.id, web.office.id}


def test_a_redirect_to_the_home_page_counts_as_gone_and_changed_content_is_reported(web):
    moved = publish(web, "东宁市2026年第三季度财政收支情况", web.base + "/xxgk/2026/clean.html")
    with web.app.app_context():
        run("sweep_pages")
    from tracker.website.fixture_server import html, redirect
    saved = web.site.pages["/xxgk/2026/clean.html"]
    try:
        web.site.pages["/xxgk/2026/clean.html"] = html(saved.body.decode().replace("收支情况说明", "更正后的说明"))
        _recheck_now(web, moved, NOW + timedelta(days=10))
        assert latest_check(web, moved)[0].state == "changed" and len(findings(web, "page_changed")) == 1
        web.site.pages["/xxgk/2026/clean.html"] = redirect("/")
        _recheck_now(web, moved, NOW + timedelta(days=40))
        assert latest_check(web, moved)[0].state == "gone"
        assert "首页" in findings(web, "page_gone")[0].summary
    finally:
        web.site.pages["/xxgk/2026/clean.html"] = saved


def test_rechecks_are_spread_over_the_cycle(web):
    ids = [publish(web, "东宁市2026年第三季度财政收支情况", web.base + "/xxgk/2026/clean.html") for _ in range(6)]
    with web.app.app_context():
        run("sweep_pages")
        from tracker.website.models import WebPage
        due = sorted(db.session.scalar(select(WebPage.next_check_at).where(WebPage.task_id == i)) for i in ids)
    from tracker.timeutil import to_china
    offsets = [(to_china(d) - to_china(NOW)).days for d in due]
    assert min(offsets) >= 15 and max(offsets) <= 45 and len(set(offsets)) >= 4   # not all on one day


def test_old_recheck_readings_are_forgotten_but_the_publication_evidence_is_kept(web):
    from tracker.website.models import WebCheck, WebPage
    task_id = publish(web, "东宁市2026年第三季度财政收支情况", web.base + "/xxgk/2026/clean.html")
    with web.app.app_context():
        run("sweep_pages")
    for days in (40, 80):
        _recheck_now(web, task_id, NOW + timedelta(days=days))
    with web.app.app_context():
        first, at40, at80 = db.session.scalars(select(WebCheck.id).order_by(WebCheck.id)).all()
        run("sweep_pages", NOW + timedelta(days=470))   # re-reads the page, forgets what is over 400 days old
        page = db.session.scalar(select(WebPage).where(WebPage.task_id == task_id))
        kept = db.session.scalars(select(WebCheck.id).order_by(WebCheck.id)).all()
    assert page.publication_check_id == first and kept == [first, at80, page.last_check_id]


def test_an_address_a_unit_typed_as_127_0_0_1_is_refused_when_private_addresses_are_not_allowed(web):
    from tracker.accounts.models import User
    from tracker.website.settings import save_settings
    port = web.base.rsplit(":", 1)[1]
    with web.app.app_context():
        save_settings({"allowed_domains": "test.gov.cn\n127.0.0.1"}, db.session.get(User, web.office.id))
        db.session.commit()
    task_id = publish(web, "东宁市2026年第三季度财政收支情况", f"http://127.0.0.1:{port}/xxgk/2026/clean.html")
    hits = web.site.hits.get("/xxgk/2026/clean.html", 0)
    web.app.config["WEBSITE_ALLOW_PRIVATE"] = False
    with web.app.app_context():
        run("sweep_pages")
    page, check = latest_check(web, task_id)
    assert page.state == "refused" and "内网或本机地址（127.0.0.1）" in check.reason_text
    assert web.site.hits.get("/xxgk/2026/clean.html", 0) == hits       # nothing reached the site
    assert findings(web) == []
