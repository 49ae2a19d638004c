"""Reliability, end to end: one bad row never stops the others, a weekend mail outage loses nothing,
claims are given back, duplicates are recognisable, and a failed sweep says so.

Real parts throughout: the database, an aiosmtpd server on loopback that is stopped and
restarted, and real processes that are killed or sent SIGTERM."""
import asyncio
import os
import signal
import subprocess
import time
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from tests import clock
from tracker import sweeps
from tracker.accounts.models import User
from tracker.applications.models import Application
from tracker.extensions import db
from tracker.notify import delivery, messages, services
from tracker.notify.models import Notification, OutboxMail
from tracker.notify.reminders import Reminder, _sources, register_reminder_source, sweep_reminders
from tracker.notify.sender import BACKOFF_SECONDS, resend, send_due_mails
from tracker.sweeps.models import JobFailure, JobRun
from tracker.timeutil import china_today, utcnow

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MSG = services.Message("【即将到期】测试事项", ("测试事项将于 2026-10-30 到期。",), "/dashboard")


def mails(app, *where):
    with app.app_context():
        return db.session.scalars(select(OutboxMail).where(*where).order_by(OutboxMail.id)).all()


def queue(app, users, prefix="m"):
    with app.app_context():
        for u in users:
            services.notify(db.session.get(User, u.id), MSG, key=f"{prefix}:{u.id}")
        db.session.commit()


def open_failures(app):
    with app.app_context():
        return db.session.scalars(select(JobFailure).where(JobFailure.cleared_at.is_(None))
                                  .order_by(JobFailure.id)).all()


def refuse(smtp, prefix, reply="550 No such user"):
    async def handle_RCPT(server, session, envelope, address, rcpt_options):
        if address.startswith(prefix):
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"
    smtp.sink.handle_RCPT = handle_RCPT


def process_env(app, smtp, **extra):
    return {**os.environ, "TRACKER_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "TRACKER_SECRET_KEY": "x" * 32, "TRACKER_MAIL_SERVER": "127.0.0.1", "TRACKER_MAIL_PORT": str(smtp.port),
            "TRACKER_INSTANCE_PATH": str(app.instance_path), **extra}


def wait_for(condition, timeout=60):
    """Real processes: poll until ``condition()`` (there is no clock to freeze in another process)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


# --- 1 and 2: one poisoned row of each kind; the sweep says it failed --------------------------

@pytest.fixture
def a_working_monday():
    """The weekly digest goes out on Mondays that are working days: 2026-11-30 is one."""
    import time_machine

    from tracker.timeutil import CHINA
    with time_machine.travel(datetime(2026, 11, 30, 10, 0, tzinfo=CHINA), tick=True):
        yield


@pytest.fixture
def poisoned_city(app, make, a_working_monday, recorded_history):
    """On a working Monday (the digests run), three units with overdue tasks, a healthy overdue application and three poisoned rows: an
    application whose correction deadline is 9999-12-31 (as legacy data or the old form allowed),
    a contact whose mail fails to render, and a contact whose address the mail server refuses."""
    from tracker.applications.services import request_correction

    office_unit = make.unit(kind="office")
    office = make.user("office", unit=office_unit, email="office@example.gov.cn")
    units = {name: make.unit(name=name) for name in ("民政局", "财政局", "教育局")}
    emails = {"民政局": "mzj@example.gov.cn", "财政局": "render-breaks@example.gov.cn", "教育局": "nobody@example.gov.cn"}
    people = {name: (make.user("contact", unit=unit, email=emails[name]),
                     make.user("reviewer", unit=unit, email=f"shr-{unit.id}@example.gov.cn"))
              for name, unit in units.items()}
    formed = china_today() - timedelta(days=60)  # due about 20 working days later: well overdue today
    tasks = {name: make.task(make.duty(unit), formed=formed, title=f"{name}财政预决算（{formed:%Y年%m月}）")
             for name, unit in units.items()}
    healthy = make.application(units["民政局"], china_today() - timedelta(days=45))
    poisoned = make.application(units["民政局"], china_today() - timedelta(days=12))
    with app.app_context():
        p = db.session.get(Application, poisoned.id)
        request_correction(p, poisoned.receipt_date + timedelta(days=1), None, "请补充身份证明", actor=None)
        db.session.commit()
        db.session.execute(update(Application).where(Application.id == poisoned.id)
                           .values(pause_due=date(9999, 12, 31)))
        db.session.commit()
    return {"office": office, "people": people, "tasks": tasks, "healthy": healthy, "poisoned": poisoned}


def test_one_poisoned_row_of_each_kind_stops_nothing_else_and_the_sweep_says_so(
        app, make, smtp, login, poisoned_city, monkeypatch):
    import jinja2

    city = poisoned_city
    render = messages.render_mail

    def render_breaks_for_one_recipient(message, recipient):
        if recipient is not None and recipient.email == "render-breaks@example.gov.cn":
            raise jinja2.TemplateRuntimeError("'None' has no attribute 'display_name'")
        return render(message, recipient)

    monkeypatch.setattr(messages, "render_mail", render_breaks_for_one_recipient)
    refuse(smtp, "nobody@")

    result = app.test_cli_runner().invoke(args=["sweep"])

    # the recipient whose mails cannot be rendered also fails the weekly digest: every job that met
    # a bad row says so
    assert result.exit_code == 1, result.output
    assert "有 3 个任务失败：reminders, digests, send-mail" in result.output
    poisoned, healthy = city["poisoned"], city["healthy"]
    assert f"application #{poisoned.id}（{poisoned.tracking_code}" in result.output
    assert "日期超出可计算的范围" in result.output
    assert f"task #{city['tasks']['财政局'].id}" in result.output and "邮件或页面内容生成失败" in result.output
    assert "nobody@example.gov.cn" in result.output and "收件人被邮件服务器拒绝" in result.output

    # every other reminder was queued and sent
    received: dict[str, list[str]] = {}
    for m in smtp.messages:
        received.setdefault(m["To"], []).append(m["Subject"])
    assert any(healthy.tracking_code in s for s in received["mzj@example.gov.cn"])
    assert any("民政局财政预决算" in s for s in received["mzj@example.gov.cn"])
    assert not any(poisoned.tracking_code in s for subjects in received.values() for s in subjects)
    for _, reviewer in city["people"].values():  # reviewers of all three units, the two poisoned ones too
        assert any(s.startswith("【逾期督办】") for s in received[reviewer.email])
    [grouped] = [s for s in received["office@example.gov.cn"] if s.startswith("【政务公开提醒】")]
    assert "逾期报告 4 项" in grouped  # the three units' tasks and the late application in one message
    assert not [s for s in received.get("render-breaks@example.gov.cn", []) if "逾期" in s]
    assert "nobody@example.gov.cn" not in received
    failed = mails(app, OutboxMail.status == "failed")
    assert len(mails(app, OutboxMail.status == "sent")) == len(smtp.messages)
    assert failed and {m.to_addr for m in failed} == {"nobody@example.gov.cn"}
    assert not mails(app, OutboxMail.status.in_(("queued", "sending")))

    # the failures are on the health page, in Chinese, with since when
    page = login(city["office"]).get("/admin/health").get_data(as_text=True)
    assert f"依申请公开申请 #{poisoned.id}" in page and "日期超出可计算的范围" in page
    assert f"公开任务 #{city['tasks']['财政局'].id}" in page and "邮件或页面内容生成失败" in page
    assert "邮件 #" in page and "收件人被邮件服务器拒绝：收件人邮箱不存在或拒绝接收（550）" in page
    assert page.count('text-bg-danger">失败') == 3
    assert {(f.job, f.record_type) for f in open_failures(app)} == {
        ("reminders", "application"), ("reminders", "task"), ("digests", "user"), ("send-mail", "outbox_mail")}

    # once the data is repaired and the template works, the next sweep clears them and exits 0
    monkeypatch.setattr(messages, "render_mail", render)
    with app.app_context():
        db.session.execute(update(Application).where(Application.id == poisoned.id)
                           .values(pause_due=china_today() + timedelta(days=2)))
        db.session.commit()
    again = app.test_cli_runner().invoke(args=["sweep"])
    assert again.exit_code == 0, again.output
    assert any("财政预决算" in m["Subject"] for m in smtp.sink.to("render-breaks@example.gov.cn"))
    assert {(f.job, f.record_type) for f in open_failures(app)} == {("send-mail", "outbox_mail")}  # still failed
    # the address is fixed at the mail server; the office resends every failed mail in one action
    del smtp.sink.handle_RCPT
    office = login(city["office"])
    assert office.post("/admin/outbox/resend-failed", {"q": ""}).status_code == 302
    assert app.test_cli_runner().invoke(args=["sweep"]).exit_code == 0
    assert len(smtp.sink.to("nobody@example.gov.cn")) == len(failed) and open_failures(app) == []


# --- 3: a weekend SMTP outage ------------------------------------------------------------------

@pytest.mark.slow
def test_a_smtp_outage_longer_than_every_retry_interval_fails_no_mail_and_each_goes_out_once(
        app, make, smtp, login):
    users = [make.user("contact") for _ in range(5)] + [make.user("contact", email="nobody@example.gov.cn")]
    queue(app, users)
    office = login(make.user("office", unit=make.unit(kind="office")))
    smtp.stop()
    now, end = utcnow(), utcnow() + timedelta(seconds=sum(BACKOFF_SECONDS)) + timedelta(days=2)  # 8.6 h + weekend
    runs = 0
    while now < end:  # the scheduler's send-mail job, every ten minutes, all weekend
        now += timedelta(minutes=10)
        runs += 1
        with app.app_context():
            with sweeps.run("send-mail", full_sweep=False) as run:
                run.result = send_due_mails(now=now)
        assert not run.ok and run.error.startswith("邮件服务器无法连接")
    assert all(m.status == "queued" and m.attempts == 0 for m in mails(app))
    with app.app_context():
        outage = delivery.current_outage()
    # backed off as a whole: after its first tries it waits 15 minutes, so only every other run tries
    wait = round((outage.retry_at - now).total_seconds() / 60)  # (the outage is timed by the run's clock)
    assert outage.tries < runs * 0.6 and wait == 15 or wait == 5
    page = office.get("/dashboard").get_data(as_text=True)
    assert "邮件暂时无法发出" in page and "6 封邮件在发件箱中等待" in page and "连接被拒绝" in page
    during = app.test_cli_runner().invoke(args=["sweep"])
    assert during.exit_code == 1 and "send-mail" in during.output.splitlines()[-1]
    others = len(mails(app)) - len(users)  # queued meanwhile by the sweep's other jobs (scores tell the office)

    smtp.start()
    refuse(smtp, "nobody@")  # and one address the server does not know
    # (the sweep's reminders of the day, e.g. an annual report overdue after 31 January, may be
    # addressed to the unknown address as well: those are refused like the first)
    refused_too = len(mails(app, OutboxMail.to_addr == "nobody@example.gov.cn")) - 1
    with app.app_context():
        assert send_due_mails(now=now + timedelta(minutes=15)) == {
            "sent": 5 + others - refused_too, "retry": 0, "failed": 1 + refused_too}
    assert all(m.attempts == 0 for m in mails(app, OutboxMail.status == "sent"))
    refused = mails(app, OutboxMail.status == "failed")
    assert all(m.attempts == 1 and m.to_addr == "nobody@example.gov.cn" for m in refused)  # a 550 fails at once
    ids = [m["X-Tracker-Outbox-Id"] for m in smtp.messages]
    assert len(ids) == len(set(ids)) == 5 + others - refused_too
    page = office.get("/dashboard").get_data(as_text=True)
    assert 'id="mail-banner"' not in page


# --- 4: claims are given back (a killed sender, a lost connection: tests/test_mail_sender.py) ----

@pytest.mark.slow
def test_sigterm_stops_the_scheduler_between_mails_and_gives_back_its_claims(app, make, smtp):
    queue(app, [make.user("contact") for _ in range(30)])

    async def slow(server, session, envelope):
        await asyncio.sleep(0.2)
        return await type(smtp.sink).handle_DATA(smtp.sink, server, session, envelope)

    smtp.sink.handle_DATA = slow
    proc = subprocess.Popen(clock.python_argv("-m", "flask", "--app", "wsgi", "scheduler"), cwd=ROOT,
                            env=process_env(app, smtp, TRACKER_MAIL_BATCH_SIZE="10"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: len(smtp.messages) >= 2)
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=60)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    assert "stopping after the current row" in output
    rows = mails(app)
    sent = [m for m in rows if m.status == "sent"]
    assert not [m for m in rows if m.status == "sending"]  # nothing left waiting for a lease
    # (30 queued here, and whatever the scheduler's other jobs queued on its start: reminders of the day)
    assert len(rows) >= 30 and 2 <= len(sent) < len(rows) and len(sent) == len(smtp.messages)
    assert all(m.attempts == 0 and m.claimed_by is None for m in rows if m.status == "queued")
    with app.app_context():
        assert send_due_mails()["sent"] == len(rows) - len(sent)
    ids = sorted(int(m["X-Tracker-Outbox-Id"]) for m in smtp.messages)
    assert ids == [m.id for m in rows]


# --- 5: duplicates are recognisable -----------------------------------------------------------

def test_two_deliveries_of_the_same_outbox_row_carry_the_same_message_id(app, make, smtp):
    queue(app, [make.user("contact")])
    with app.app_context():
        send_due_mails()
        resend(db.session.scalar(select(OutboxMail)))  # e.g. the office sends it again
        db.session.commit()
        send_due_mails()
    first, second = smtp.messages
    [mail] = mails(app)
    assert first["Message-ID"] == second["Message-ID"]
    assert first["Message-ID"].startswith(f"<outbox-{mail.id}.") and first["Message-ID"].endswith("@localhost>")


# --- settings and the demo ---------------------------------------------------------------------

def test_batch_size_and_lease_are_tracker_mail_settings(monkeypatch, tmp_path):
    from flask import Flask

    from tracker import config

    monkeypatch.setenv("TRACKER_MAIL_BATCH_SIZE", "7")
    monkeypatch.setenv("TRACKER_MAIL_LEASE_SECONDS", "90")
    app = Flask(__name__, instance_path=str(tmp_path))
    config.load(app)
    assert app.config["MAIL_BATCH_SIZE"] == 7 and app.config["MAIL_LEASE_SECONDS"] == 90


def test_without_a_mail_server_mail_is_held_not_failed_and_the_office_is_told(app, make, login):
    assert not app.config["MAIL_SERVER"]  # as in the demo: nothing configured
    queue(app, [make.user("contact")])
    with app.app_context():
        for _ in range(3):
            assert "held" in send_due_mails()
    [mail] = mails(app)
    assert mail.status == "queued" and mail.attempts == 0 and mail.last_error is None
    office = login(make.user("office", unit=make.unit(kind="office")))
    dashboard = office.get("/dashboard").get_data(as_text=True)
    assert "邮件发送尚未配置" in dashboard and "TRACKER_MAIL_SERVER" not in dashboard  # said in words to the office
    health = office.get("/admin/health").get_data(as_text=True)
    assert "邮件发送尚未配置" in health and 'id="mail-setting"' in health  # the setting's name for whoever runs it
    contact = login(make.user("contact"))
    assert 'id="mail-banner"' not in contact.get("/dashboard").get_data(as_text=True)


def test_the_office_resends_every_failed_mail_of_a_search_at_once(app, make, login, smtp):
    refuse(smtp, "")  # the server refuses everyone
    people = [make.user("contact", email=f"mzj{i}@example.gov.cn") for i in range(2)] + [
        make.user("contact", email="czj@example.gov.cn")]
    queue(app, people)
    with app.app_context():
        assert send_due_mails()["failed"] == 3
    office = login(make.user("office", unit=make.unit(kind="office")))
    page = office.get("/admin/outbox?status=failed&q=mzj").get_data(as_text=True)
    assert "全部重发（2 封发送失败" in page
    assert "收件人被邮件服务器拒绝：收件人邮箱不存在或拒绝接收（550）" in page and "No such user" in page
    assert office.post("/admin/outbox/resend-failed", {"q": "mzj"}).status_code == 302
    assert sorted((m.to_addr, m.status, m.attempts) for m in mails(app)) == [
        ("czj@example.gov.cn", "failed", 1), ("mzj0@example.gov.cn", "queued", 0), ("mzj1@example.gov.cn", "queued", 0)]
    assert office.post("/admin/outbox/resend-failed", {"q": "mzj"}, csrf=False).status_code == 400


# --- set-based reminders ------------------------------------------------------------------------

def count_statements(app, fn):
    from sqlalchemy import event

    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement.split(None, 1)[0].upper())

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            fn()
            db.session.commit()
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    return seen


@pytest.fixture
def overdue_city(make):
    """``build(n)``: a unit with ``n`` tasks overdue on 2026-10-21 (contact, reviewer and office told)."""
    made = {}

    def build(n_tasks):
        if not made:
            office_unit = make.unit(kind="office")
            make.user("office", unit=office_unit)
            made["unit"] = unit = make.unit(name="民政局")
            make.user("contact", unit=unit)
            make.user("reviewer", unit=unit)
            made["duty"] = make.duty(unit)
        for i in range(n_tasks):
            make.task(made["duty"], formed=date(2026, 9, 10), title=f"事项{next(SEQ)}")
    return build


SEQ = iter(range(10**6))


def test_a_steady_reminder_sweep_costs_the_same_few_statements_however_many_reminders(app, overdue_city):
    day = date(2026, 10, 21)
    overdue_city(3)
    first = count_statements(app, lambda: sweep_reminders(day))
    small = count_statements(app, lambda: sweep_reminders(day))
    overdue_city(27)
    count_statements(app, lambda: sweep_reminders(day))
    large = count_statements(app, lambda: sweep_reminders(day))
    assert 0 < first.count("INSERT") <= 5  # bell rows, mails, grouped items, the office's message and its mail
    assert "INSERT" not in large and len(large) == len(small) <= 12  # 30 tasks cost what 3 cost


@pytest.mark.on_day("2026-11-27")  # its story: autumn 2026
def test_a_set_that_fails_is_retried_row_by_row_and_only_the_bad_row_is_skipped(app, make, overdue_city):
    overdue_city(4)
    ghost = User(id=None, username="ghost", display_name="离职人员", role="contact", active=True,
                 email="ghost@example.gov.cn", mail_mode="individual")

    @register_reminder_source
    def ghost_source(today, settings):  # a recipient that is not in the database
        yield Reminder("ghost:1", ghost, MSG, record=("task", 999))

    notifications = select(func.count()).select_from(Notification)
    try:
        with app.app_context():
            before = db.session.scalar(notifications)
            with sweeps.run("reminders") as run:
                run.result = sweep_reminders(date(2026, 10, 21))
            added = db.session.scalar(notifications) - before
    finally:
        _sources.remove(ghost_source)
    # four tasks: the contact's and the reviewer's reminders (8), and four items in the office's one message
    assert run.result == 12 and added == 8 + 1
    assert list(run.failures) == [("task", "999")]
    assert run.failures[("task", "999")].error.startswith("数据库拒绝保存")
    with app.app_context():
        assert db.session.scalar(select(JobRun.failed_rows)) == 1


# --- grouped office escalations -----------------------------------------------------------------

def test_the_office_gets_one_message_per_sweep_naming_each_unit_and_record(app, make):
    office_unit = make.unit(kind="office")
    offices = [make.user("office", unit=office_unit) for _ in range(2)]
    for name in ("民政局", "财政局"):
        unit = make.unit(name=name)
        make.user("contact", unit=unit)
        duty = make.duty(unit)
        make.task(duty, formed=date(2026, 9, 10), title=f"{name}城乡低保金发放情况（2026年8月）")
    education = make.unit(name="教育局")
    make.user("contact", unit=education)
    late = make.task(make.duty(education), formed=date(2026, 9, 11), title="教育局学校收费（2026年秋季）")

    def office_messages(since=0):
        with app.app_context():
            return db.session.execute(select(Notification.id, Notification.user_id, Notification.title,
                                             Notification.body).where(
                Notification.user_id.in_([o.id for o in offices]), Notification.id > since)).all()

    with app.app_context():
        sweep_reminders(date(2026, 10, 21))  # the first two are 5 working days late; 教育局's only 4
        db.session.commit()
    first = office_messages()
    assert sorted(m.user_id for m in first) == sorted(o.id for o in offices)  # one message each
    body = first[0].body
    assert "民政局 · 民政局城乡低保金发放情况（2026年8月） 已逾期5个工作日（期限 2026-10-14）" in body
    assert "财政局 · 财政局城乡低保金发放情况（2026年8月） 已逾期5个工作日" in body
    assert first[0].title.startswith("【政务公开提醒】")
    with app.app_context():
        sweep_reminders(date(2026, 10, 21))
        db.session.commit()
    assert office_messages(max(m.id for m in first)) == []  # nothing new, nothing sent
    with app.app_context():
        sweep_reminders(date(2026, 10, 22))  # now 教育局's is 5 days late: only it is reported
        db.session.commit()
    second = office_messages(max(m.id for m in first))
    assert len(second) == 2 and all(m.title == f"【逾期报告】教育局 · {late.title} 已逾期5个工作日（期限 2026-10-15）"
                                    for m in second)
