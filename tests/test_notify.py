"""The outbox and the sender, against a real SMTP server on loopback."""
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tracker.accounts.models import User
from tracker.extensions import db
from tracker.notify import services
from tracker.notify.models import Notification, OutboxMail
from tracker.notify.reminders import before_threshold, overdue_step, send_digests
from tracker.notify.sender import claim, send_due_mails
from tracker.timeutil import utcnow

MSG = services.Message("【提醒】测试事项即将到期", ("测试事项将于 2026-10-30 到期。", "请及时办理。"), "/dashboard")


def queue(app, user, key=None, escalation=False, n=1):
    with app.app_context():
        u = db.session.get(User, user.id)
        for i in range(n):
            services.notify(u, MSG, key=f"{key}:{i}" if key and n > 1 else key, escalation=escalation)
        db.session.commit()


def mails(app, *where):
    with app.app_context():
        return db.session.scalars(select(OutboxMail).where(*where).order_by(OutboxMail.id)).all()


def test_a_notification_and_its_mail_are_written_together_and_sent_over_smtp(app, make, smtp):
    user = make.user("contact", email="lly@example.gov.cn")
    queue(app, user)
    with app.app_context():
        assert send_due_mails() == {"sent": 1, "retry": 0, "failed": 0}
    [msg] = smtp.messages
    assert msg["To"] == "lly@example.gov.cn" and msg["Subject"] == MSG.title
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "2026-10-30" in text and "http://localhost:5000/dashboard" in text
    assert 'href="http://localhost:5000/dashboard"' in html
    assert mails(app)[0].status == "sent"


def test_nothing_is_queued_when_the_transaction_rolls_back(app, make):
    user = make.user("contact")
    with app.app_context():
        services.notify(db.session.get(User, user.id), MSG, key="k1")
        db.session.rollback()
    assert mails(app) == []


def test_the_same_key_is_queued_once(app, make, smtp):
    user = make.user("contact")
    queue(app, user, key="task:1:before5:2026-10-30:u")
    queue(app, user, key="task:1:before5:2026-10-30:u")
    assert len(mails(app)) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Notification)) == 1
        send_due_mails()
        send_due_mails()
    assert len(smtp.messages) == 1


def test_mail_waits_while_smtp_is_down_and_goes_out_once_it_is_back(app, make, smtp):
    user = make.user("contact")
    smtp.stop()
    queue(app, user)
    with app.app_context():
        assert send_due_mails()["outage"].startswith("邮件服务器无法连接")
    [mail] = mails(app)
    assert mail.status == "queued" and mail.attempts == 0  # the server's outage is not the mail's fault
    smtp.start()
    with app.app_context():
        assert send_due_mails()["sent"] == 0  # the sender as a whole backs off before trying again
        assert send_due_mails(now=utcnow() + timedelta(minutes=2))["sent"] == 1
    assert len(smtp.messages) == 1


def test_a_mail_refused_for_now_is_retried_and_failed_after_the_retry_limit(app, make, login, smtp):
    async def greylist(server, session, envelope, address, rcpt_options):
        return "451 Try again later"

    smtp.sink.handle_RCPT = greylist
    user = make.user("contact")
    queue(app, user)
    now = utcnow()
    with app.app_context():
        for _ in range(app.config["MAIL_MAX_ATTEMPTS"]):
            now += timedelta(days=1)
            send_due_mails(now=now)
    [mail] = mails(app)
    assert mail.status == "failed" and mail.attempts == app.config["MAIL_MAX_ATTEMPTS"]
    office = login(make.user("office", unit=make.unit(kind="office")))
    page = office.get("/admin/outbox?status=failed").get_data(as_text=True)
    assert "发送失败" in page and MSG.title in page
    assert "邮件服务器处理出错，稍后重试（451）" in page  # in Chinese; the server's own words under 技术信息
    assert "Try again later" in page
    del smtp.sink.handle_RCPT
    assert office.post(f"/admin/outbox/{mail.id}/resend").status_code == 302
    with app.app_context():
        assert send_due_mails()["sent"] == 1
    assert len(smtp.messages) == 1


def test_a_process_killed_between_claim_and_send_loses_no_mail(app, make, smtp):
    user = make.user("contact")
    queue(app, user)
    with app.app_context():
        assert len(claim(worker="dead-process")) == 1  # claimed, then the process "dies"
        assert send_due_mails(worker="other")["sent"] == 0  # the claim is respected...
        later = utcnow() + timedelta(seconds=app.config["MAIL_LEASE_SECONDS"] + 1)
        assert send_due_mails(now=later, worker="other")["sent"] == 1  # ...until its lease ends
    assert len(smtp.messages) == 1


def test_two_senders_at_once_send_each_mail_once(app, make, smtp):
    users = [make.user("contact") for _ in range(4)]
    for u in users:
        queue(app, u, key=f"bulk:{u.id}", n=10)
    assert len(mails(app)) == 40
    results, errors = [], []

    def sender(name):
        try:
            with app.app_context():
                while True:
                    counts = send_due_mails(limit=7, worker=name)
                    results.append(counts["sent"])
                    if counts == {"sent": 0, "retry": 0, "failed": 0}:
                        break
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sender, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sum(results) == 40
    ids = [m["X-Tracker-Outbox-Id"] for m in smtp.messages]
    assert len(ids) == 40 and len(set(ids)) == 40


def test_digest_users_get_the_bell_now_and_one_mail_on_the_digest_day(app, make, smtp, login):
    user = make.user("contact", email="digest@example.gov.cn")
    with app.app_context():
        db.session.get(User, user.id).mail_mode = "digest"
        services.save_reminder_settings({**services.reminder_settings(), "digest_weekday": 3}, None)  # Thursday
        db.session.commit()
    queue(app, user, key="a")
    queue(app, user, key="b")
    assert mails(app) == []
    page = login(user).get("/dashboard").get_data(as_text=True)
    assert 'id="bell-count">2<' in page
    with app.app_context():
        assert send_digests(date(2026, 11, 24)) == 0  # Tuesday: before the digest day
        assert send_digests(date(2026, 11, 26)) == 1  # Thursday
        assert send_digests(date(2026, 11, 27)) == 0  # Friday: this week's went out already
        db.session.commit()
        send_due_mails()
    [msg] = smtp.messages
    assert "每周" in msg["Subject"] and msg.get_body(("plain",)).get_content().count(MSG.title) == 2


def test_a_digest_missed_on_its_day_goes_out_later_that_week_once(app, make, smtp):
    user = make.user("contact")
    with app.app_context():
        db.session.get(User, user.id).mail_mode = "digest"
        db.session.commit()
    queue(app, user, key="a")
    with app.app_context():
        assert send_digests(date(2026, 11, 25)) == 1  # Wednesday: the scheduler was down on Monday
        assert send_digests(date(2026, 11, 26)) == 0
        db.session.commit()
    queue(app, user, key="b")  # held after this week's digest: waits for next week's
    with app.app_context():
        assert send_digests(date(2026, 11, 27)) == 0
        assert send_digests(date(2026, 11, 30)) == 1
        db.session.commit()
        bodies = [m.body_text for m in db.session.scalars(select(OutboxMail).order_by(OutboxMail.id))]
    assert len(bodies) == 2 and MSG.title in bodies[1]


def test_no_digest_on_a_day_off_it_waits_for_the_first_working_day_of_the_week(app, make, smtp):
    """National Day 2026: Monday 5 October to Wednesday 7 October are holidays; Thursday works."""
    user = make.user("contact")
    with app.app_context():
        db.session.get(User, user.id).mail_mode = "digest"
        db.session.commit()
    queue(app, user, key="a")
    with app.app_context():
        assert [send_digests(date(2026, 10, d)) for d in (5, 6, 7)] == [0, 0, 0]
        assert send_digests(date(2026, 10, 8)) == 1
        assert send_digests(date(2026, 10, 10)) == 0  # the make-up Saturday: this week's went out already


def test_every_contact_gets_a_weekly_digest_of_their_units_open_work(app, make, smtp):
    unit = make.unit(name="民政局")
    contact = make.user("contact", unit=unit, email="lly@example.gov.cn")
    idle = make.user("contact", email="idle@example.gov.cn")  # a unit with nothing open: no mail
    make.task(make.duty(unit), formed=date(2026, 9, 10))  # due 2026-10-14, overdue on 11-30
    with app.app_context():
        assert send_digests(date(2026, 11, 30)) == 1
        db.session.commit()
        [mail] = db.session.scalars(select(OutboxMail).where(OutboxMail.key.like("digest:%"))).all()
    assert mail.to_addr == contact.email and mail.to_addr != idle.email
    assert "主动公开任务已逾期：1 项" in mail.body_text and "未签收：1 项" in mail.body_text


def test_escalations_ignore_the_digest_choice(app, make, smtp):
    user = make.user("reviewer")
    with app.app_context():
        db.session.get(User, user.id).mail_mode = "digest"
        db.session.commit()
    queue(app, user, key="esc", escalation=True)
    assert len(mails(app)) == 1


def test_marking_notifications_read_clears_the_bell(app, make, login):
    user = make.user("contact")
    queue(app, user, key="x")
    client = login(user)
    assert client.post("/notifications/read").status_code == 302
    assert 'id="bell-count"' not in client.get("/dashboard").get_data(as_text=True)


def test_preferences_are_per_user(app, make, login):
    user = make.user("contact")
    client = login(user)
    assert client.post("/account/preferences", {"mail_mode": "digest"}).status_code == 302
    assert client.post("/account/preferences", {"mail_mode": "never"}).status_code == 422
    with app.app_context():
        assert db.session.get(User, user.id).mail_mode == "digest"


def test_office_changes_reminder_rules_and_bad_values_change_nothing(app, make, login):
    office = login(make.user("office", unit=make.unit(kind="office")))
    form = {"before_days": "7, 3", "on_day": "y", "overdue_every": "1", "escalate_reviewer_after": "1",
            "escalate_office_after": "3", "unack_after": "2", "approval_after": "2", "period_warning_days": "3",
            "digest_weekday": "4"}
    assert office.post("/admin/reminders", form).status_code == 302
    assert office.post("/admin/reminders", {**form, "before_days": "七"}).status_code == 422
    assert office.post("/admin/reminders", {**form, "overdue_every": "0"}).status_code == 422
    with app.app_context():
        settings = services.reminder_settings()
    assert settings["before_days"] == [7, 3] and settings["digest_weekday"] == 4 and settings["overdue_every"] == 1


@pytest.mark.parametrize("left, thresholds, expected", [
    (6, [5, 2], None), (5, [5, 2], 5), (3, [5, 2], 5), (2, [5, 2], 2), (1, [5, 2], 2), (0, [5, 2], None),
])
def test_before_threshold_picks_the_most_urgent_reached(left, thresholds, expected):
    assert before_threshold(left, thresholds) == expected


def test_overdue_reminders_repeat_every_n_working_days():
    assert [overdue_step(d, 2) for d in range(0, 7)] == [None, 0, 0, 1, 1, 2, 2]


def test_sweep_command_runs_every_job(app, make, smtp):
    queue(app, make.user("contact"))
    result = app.test_cli_runner().invoke(args=["sweep"])
    assert result.exit_code == 0, result.output
    from tracker.scheduler import jobs
    assert [line.split(":")[0] for line in result.output.splitlines()] == [job.name for job in jobs()]
    queued = mails(app)  # the mail queued here, and the day's reminders the sweep queued (if any)
    assert f"send-mail: {{'sent': {len(queued)}," in result.output
    assert sorted(m["Subject"] for m in smtp.messages) == sorted(m.subject for m in queued)
    assert MSG.title in {m["Subject"] for m in smtp.messages}



def test_a_refused_recipient_does_not_cost_the_other_mails_an_attempt(app, make, smtp):
    async def refuse_bad(server, session, envelope, address, rcpt_options):
        if address.startswith("bad"):
            return "550 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    smtp.sink.handle_RCPT = refuse_bad
    bad = make.user("contact", email="bad@example.gov.cn")
    good = [make.user("contact") for _ in range(2)]
    queue(app, bad)
    for u in good:
        queue(app, u)
    with app.app_context():
        assert send_due_mails() == {"sent": 2, "retry": 0, "failed": 1}  # a 550 fails at once
    assert sorted(m["To"] for m in smtp.messages) == sorted(u.email for u in good)
    assert [m.attempts for m in mails(app, OutboxMail.status == "sent")] == [0, 0]
    [refused] = mails(app, OutboxMail.status == "failed")
    assert refused.to_addr == bad.email and refused.attempts == 1
    assert refused.last_error == "收件人被邮件服务器拒绝：收件人邮箱不存在或拒绝接收（550）"
    assert "No such user" in refused.last_error_detail


def test_a_line_break_in_a_title_does_not_break_the_mail(app, make, smtp):
    user = make.user("contact")
    with app.app_context():
        services.notify(db.session.get(User, user.id), services.Message("【即将到期】第一行\r\n第二行", ("正文",), "/dashboard"))
        db.session.commit()
        assert send_due_mails()["sent"] == 1
    assert smtp.messages[0]["Subject"] == "【即将到期】第一行 第二行"


def test_a_mail_that_cannot_be_built_does_not_block_the_queue(app, make, smtp):
    user = make.user("contact")
    with app.app_context():
        db.session.add(OutboxMail(to_addr="x@example.gov.cn\nBcc: y@example.gov.cn", subject="坏邮件", body_text="a",
                                  body_html="<p>a</p>", status="queued", attempts=0, next_attempt_at=utcnow()))
        db.session.commit()
    queue(app, user)
    with app.app_context():
        assert send_due_mails() == {"sent": 1, "retry": 0, "failed": 1}  # it never could be sent: failed at once
    [broken] = mails(app, OutboxMail.subject == "坏邮件")
    assert broken.status == "failed" and broken.claimed_by is None and broken.last_error.startswith("邮件无法生成")
    assert [m["To"] for m in smtp.messages] == [user.email]


def test_a_sender_whose_claim_lease_ran_out_meanwhile_does_not_send_with_another(app, make, smtp, monkeypatch):
    import time_machine

    from tracker.notify import sender

    users = [make.user("contact") for _ in range(2)]
    for u in users:
        queue(app, u)
    first, second = (m.id for m in mails(app))
    lease = app.config["MAIL_LEASE_SECONDS"]
    build = sender._message
    other_claims = []

    with time_machine.travel(utcnow(), tick=False) as traveller:
        def slow_smtp_then_a_second_sender(mail):
            if mail.id == first:
                traveller.shift(timedelta(seconds=lease + 1))  # the first send took longer than the lease
            else:  # a second scheduler claims while this one is about to send the second mail
                def other():
                    with app.app_context():
                        other_claims.extend(claim(worker="second-scheduler"))
                t = threading.Thread(target=other)
                t.start()
                t.join(30)
            return build(mail)

        monkeypatch.setattr(sender, "_message", slow_smtp_then_a_second_sender)
        with app.app_context():
            assert send_due_mails(worker="first-scheduler")["sent"] == 2
    assert second not in other_claims
    assert len(smtp.messages) == 2


def test_a_mail_being_sent_is_not_put_back_in_the_queue(app, make, login, smtp):
    queue(app, make.user("contact"))
    with app.app_context():
        [mail_id] = claim(worker="busy")
    office = login(make.user("office", unit=make.unit(kind="office")))
    office.post(f"/admin/outbox/{mail_id}/resend")
    [mail] = mails(app)
    assert mail.status == "sending" and mail.claimed_by == "busy"


def test_a_bad_notification_id_marks_nothing_read(app, make, login):
    user = make.user("contact")
    queue(app, user, key="x")
    client = login(user)
    assert client.post("/notifications/read", {"id": "abc"}).status_code == 400
    assert client.post("/notifications/read", {"id": str(10**20)}).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.read_at.is_(None))) == 1


@pytest.mark.parametrize("go", ["/\t/evil.example", "/\\evil.example", "/\n/evil.example", "//evil.example",
                                "https://evil.example"])
def test_the_go_link_of_a_notification_stays_on_the_site(make, login, go):
    client = login(make.user("contact"))
    response = client.post("/notifications/read", {"go": go})
    assert response.status_code == 302
    assert response.headers["Location"] == "/notifications"


def test_a_page_number_beyond_any_list_is_not_found_rather_than_an_error(make, login):
    office = login(make.user("office", unit=make.unit(kind="office")))
    assert office.get(f"/admin/outbox?page={10**20}").status_code == 404
    assert office.get(f"/notifications?page={10**20}").status_code == 404
    assert office.get("/admin/outbox?page=2").status_code == 200
