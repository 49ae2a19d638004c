"""The mail sender's guarantees against a real SMTP server on loopback: a mail that breaks the
connection never holds up the queue, a 421 is the server's outage and costs no mail an attempt,
claims belong to sender instances under a lease (not to host names and process ids), an empty
recipient fails at once, and real sender processes that are killed lose and double nothing."""
import asyncio
import os
import shutil
import subprocess
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import clock
from tests.test_reliability import process_env, refuse, wait_for
from tracker import sweeps
from tracker.accounts.models import User
from tracker.extensions import db
from tracker.notify import claims, delivery, services
from tracker.notify.models import OutboxMail, SenderInstance
from tracker.notify.sender import claim, send_due_mails
from tracker.sweeps.models import JobFailure
from tracker.timeutil import utcnow

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MSG = services.Message("【即将到期】测试事项", ("测试事项将于 2026-10-30 到期。",), "/dashboard")


def queue(app, users, prefix="m"):
    with app.app_context():
        for u in users:
            services.notify(db.session.get(User, u.id), MSG, key=f"{prefix}:{u.id}")
        db.session.commit()
        return db.session.scalars(select(OutboxMail.id).where(OutboxMail.key.like(f"mail:{prefix}:%"))
                                  .order_by(OutboxMail.id)).all()


def mails(app, *where):
    with app.app_context():
        return db.session.scalars(select(OutboxMail).where(*where).order_by(OutboxMail.id)).all()


def delivered_ids(smtp) -> list[int]:
    return sorted(int(m["X-Tracker-Outbox-Id"]) for m in smtp.messages)


def sender_run(app, now):
    """One run of the scheduler's send-mail job at ``now``, recorded as the scheduler records it."""
    with app.app_context():
        with sweeps.run("send-mail", full_sweep=False) as run:
            run.result = send_due_mails(now=now)
    return run


def on_data(smtp, handler):
    """Let ``handler(mail_id, server)`` decide each DATA: return None to accept the mail."""
    async def handle_DATA(server, session, envelope):
        from email import message_from_bytes
        mail_id = int(message_from_bytes(envelope.original_content)["X-Tracker-Outbox-Id"])
        answer = handler(mail_id, server)
        if answer is not None:
            return answer
        return await type(smtp.sink).handle_DATA(smtp.sink, server, session, envelope)
    smtp.sink.handle_DATA = handle_DATA


def drop(server):
    """The server drops the connection in the middle of the mail's DATA."""
    server.transport.close()
    return "421 closing"


# --- (a) one mail that breaks the connection never holds up the queue ------------------------

def test_a_mail_that_drops_the_connection_every_time_is_charged_moved_behind_and_named(app, make, smtp, login):
    ids = queue(app, [make.user("contact") for _ in range(6)])
    chosen = ids[0]  # the oldest: without the rule it leads every batch
    tried = []

    def handler(mail_id, server):
        tried.append(mail_id)
        return drop(server) if mail_id == chosen else None

    on_data(smtp, handler)
    office = login(make.user("office", unit=make.unit(kind="office")))
    run = sender_run(app, utcnow())
    assert run.result["sent"] == 5 and run.result["retry"] == 1 and "outage" not in run.result
    assert delivered_ids(smtp) == ids[1:]
    [lost] = mails(app, OutboxMail.id == chosen)
    assert lost.status == "queued" and lost.attempts == 1 and lost.interruptions == 1
    assert "连接中断" in lost.last_error
    with app.app_context():
        assert delivery.current_outage() is None  # the server works: nothing to back off from

    # the health page names the mail by its id, with a link to it in the outbox
    page = office.get("/admin/health").get_data(as_text=True)
    assert f"邮件 #{chosen}" in page and f"/admin/outbox?mail_id={chosen}" in page
    assert "处理失败的记录（1）" in page and "服务随后正常接受了其他消息" in page

    # it keeps breaking the connection: retried behind the new mails, then failed, never blocking
    now = utcnow()
    for round_ in range(1, 6):
        newer = queue(app, [make.user("contact")], prefix=f"r{round_}")
        now += timedelta(hours=7)
        tried.clear()
        run = sender_run(app, now)
        assert tried[0] == newer[0] and tried[-1] == chosen  # the new mail first, the lost one last
        assert newer[0] in delivered_ids(smtp)
    [lost] = mails(app, OutboxMail.id == chosen)
    assert lost.status == "failed" and lost.attempts == app.config["MAIL_MAX_ATTEMPTS"]
    ids_seen = delivered_ids(smtp)
    assert chosen not in ids_seen and len(ids_seen) == len(set(ids_seen)) == len(mails(app)) - 1
    page = office.get("/admin/health").get_data(as_text=True)
    assert f"邮件 #{chosen}" in page


def test_a_server_that_drops_every_mail_is_an_outage_that_charges_nothing_and_keeps_its_start(app, make, smtp,
                                                                                              login):
    ids = queue(app, [make.user("contact") for _ in range(4)])
    on_data(smtp, lambda mail_id, server: drop(server))
    start = now = utcnow()
    tries, since = [], None
    for _ in range(12):  # an hour of runs every five minutes: each connection succeeds, then is lost
        sender_run(app, now)
        with app.app_context():
            outage = delivery.current_outage()
        tries.append(outage.tries)
        since = since or outage.since
        assert start <= outage.since == since  # a connection that then fails again does not restart it
        now += timedelta(minutes=5)
    assert tries[-1] < 12  # backed off as a whole: not every run tried
    assert all(m.status == "queued" and m.attempts == 0 for m in mails(app))
    assert smtp.messages == []
    office = login(make.user("office", unit=make.unit(kind="office")))
    page = office.get("/admin/health").get_data(as_text=True)
    assert "邮件暂时无法发出" in page and 'id="outage-mails"' in page  # which mails were being sent
    with app.app_context():
        named = {i for i, _ in delivery.current_outage().mails}
    assert named <= set(ids) and len(named) == 2

    del smtp.sink.handle_DATA
    run = sender_run(app, now + timedelta(minutes=15))
    assert run.result["sent"] == 4 and delivered_ids(smtp) == ids
    with app.app_context():
        assert delivery.current_outage() is None


def test_the_server_gone_mid_batch_charges_no_mail_and_gives_the_rest_back(app, make, smtp):
    ids = queue(app, [make.user("contact") for _ in range(6)])

    def handler(mail_id, server):
        if mail_id == ids[2]:
            smtp.controller.server.close()  # no new connections from now on
            return drop(server)
        return None

    on_data(smtp, handler)
    with app.app_context():
        counts = send_due_mails(limit=10)
        outage = delivery.current_outage()
    assert counts["sent"] == 2 and counts["released"] == 3 and counts["outage"].startswith("邮件服务器无法连接")
    assert [i for i, _ in outage.mails] == [ids[2]]
    waiting = mails(app, OutboxMail.status != "sent")
    assert len(waiting) == 4 and all(m.status == "queued" and m.claimed_by is None and m.attempts == 0
                                     for m in waiting)
    # the mail being sent goes behind the others
    assert max(waiting, key=lambda m: m.next_attempt_at).id == ids[2]


# --- (b) a 421 anywhere is the server's condition -------------------------------------------------

@pytest.mark.slow
def test_a_421_at_rcpt_for_sixty_hours_fails_no_mail_and_each_goes_out_once_afterwards(app, make, smtp, login):
    ids = queue(app, [make.user("contact") for _ in range(5)])

    async def closing(server, session, envelope, address, rcpt_options):
        return "421 4.3.2 Service not available, closing transmission channel"

    smtp.sink.handle_RCPT = closing
    now = start = utcnow()
    end = start + timedelta(hours=60)  # far beyond every mail's retries (8.6 h) and the outage back-off
    runs = 0
    while now < end:  # the scheduler's send-mail job (every minute; here every twenty)
        run = sender_run(app, now)
        runs += 1
        assert not run.ok
        now += timedelta(minutes=20)
    rows = mails(app)
    assert all(m.status == "queued" and m.attempts == 0 for m in rows), [(m.status, m.attempts) for m in rows]
    with app.app_context():
        outage = delivery.current_outage()
        failures = db.session.scalars(select(JobFailure).where(JobFailure.cleared_at.is_(None))).all()
    assert start <= outage.since < start + timedelta(minutes=1) and outage.tries == runs
    assert "421" in outage.error
    assert failures == []  # no mail is named as failed: it is the server's outage
    page = login(make.user("office", unit=make.unit(kind="office"))).get("/dashboard").get_data(as_text=True)
    assert "邮件暂时无法发出" in page and "邮件服务器暂时不可用" in page

    del smtp.sink.handle_RCPT
    run = sender_run(app, now + timedelta(minutes=15))
    assert run.ok and run.result["sent"] == 5
    assert delivered_ids(smtp) == ids  # each once
    assert all(m.attempts == 0 for m in mails(app))


def test_a_421_at_rcpt_for_one_mail_only_is_charged_to_that_mail(app, make, smtp):
    users = [make.user("contact") for _ in range(3)] + [make.user("contact", email="busy@example.gov.cn")]
    queue(app, users)

    refuse(smtp, "busy@", "421 4.7.0 Try again later")
    with app.app_context():
        assert send_due_mails() == {"sent": 3, "retry": 1, "failed": 0}
    [busy] = mails(app, OutboxMail.to_addr == "busy@example.gov.cn")
    assert busy.status == "queued" and busy.attempts == 1


# --- (c) claims belong to sender instances, not to host names and process ids ------------------------

SENDER_PROCESS = """
import os, sys
fake = int(sys.argv[1])
if fake:
    os.getpid = lambda: fake  # a process id that does not exist in the test's PID namespace
from tracker import create_app
from tracker.notify.sender import send_due_mails
app = create_app()
with app.app_context():
    print(send_due_mails(), flush=True)
"""


def dead_pid() -> int:
    """A process id that was used and is now free: no process has it."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def in_own_pid_namespace() -> list[str]:
    """``unshare`` into a PID namespace of its own when this machine allows it (the real case:
    a container sharing the host name); otherwise the process fakes its id (a faked PID table)."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "--pid", "--fork", "true"], capture_output=True).returncode == 0:
        return [unshare, "--pid", "--fork"]
    return []


def test_two_senders_on_one_host_in_different_pid_namespaces_never_deliver_a_mail_twice(app, make, smtp):
    ids = queue(app, [make.user("contact") for _ in range(16)])

    async def slow(server, session, envelope):
        await asyncio.sleep(0.15)
        return await type(smtp.sink).handle_DATA(smtp.sink, server, session, envelope)

    smtp.sink.handle_DATA = slow
    fake = dead_pid()
    other = subprocess.Popen([*in_own_pid_namespace(), *clock.python_argv("-c", SENDER_PROCESS, str(fake))], cwd=ROOT,
                             env=process_env(app, smtp, TRACKER_MAIL_BATCH_SIZE="8"),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: len(smtp.messages) >= 1)
        with app.app_context():
            [instance] = db.session.scalars(select(SenderInstance)).all()
        assert instance.host and instance.pid == fake  # the same host name; its process id is not ours to see
        with app.app_context():
            while other.poll() is None:  # this sender runs beside it until it is done
                send_due_mails(limit=3)
                time.sleep(0.05)
            send_due_mails()
        output = other.communicate(timeout=60)[0]
    finally:
        if other.poll() is None:
            other.kill()
    assert other.returncode == 0, output
    assert delivered_ids(smtp) == ids  # every mail once: neither released the other's live claims
    assert all(m.status == "sent" for m in mails(app))


def test_a_killed_sender_s_claims_go_out_once_its_lease_lapses(app, make, smtp):
    ids = queue(app, [make.user("contact") for _ in range(10)])
    entered, release = threading.Event(), threading.Event()

    async def hold_the_first(server, session, envelope, address, rcpt_options):
        if not entered.is_set():
            entered.set()
            while not release.is_set():
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    smtp.sink.handle_RCPT = hold_the_first
    proc = subprocess.Popen(clock.python_argv("-c", SENDER_PROCESS, "0"), cwd=ROOT,
                            env=process_env(app, smtp, TRACKER_MAIL_BATCH_SIZE="5"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert entered.wait(60), "the sender never reached the mail server"
    finally:
        proc.kill()  # kill -9 in the middle of a mail
        proc.wait()
        release.set()
    del smtp.sink.handle_RCPT
    stranded = mails(app, OutboxMail.status == "sending")
    assert len(stranded) == 5 and len({m.claimed_by for m in stranded}) == 1
    with app.app_context():
        assert db.session.get(SenderInstance, stranded[0].claimed_by).pid == proc.pid
        now = utcnow()
        assert send_due_mails(now=now)["sent"] == 5  # the others go; its claims wait: it might be alive
        later = now + timedelta(seconds=app.config["MAIL_LEASE_SECONDS"] + 1)
        counts = send_due_mails(now=later)
        assert counts["sent"] == 5 and counts["released"] == 5
        assert db.session.scalars(select(SenderInstance)).all() == []  # the dead instance is gone too
    assert delivered_ids(smtp) == ids  # each once


def test_a_live_sender_s_claims_are_respected_until_its_lease_lapses(app, make, smtp):
    queue(app, [make.user("contact")])
    with app.app_context():
        now = utcnow()
        claims.start(now, "a-sender-in-another-container")
        assert len(claim(now, worker="a-sender-in-another-container")) == 1
        assert send_due_mails()["sent"] == 0
        assert claims.renew("a-sender-in-another-container", now + timedelta(seconds=100))  # its heartbeat
        assert send_due_mails(now=now + timedelta(seconds=app.config["MAIL_LEASE_SECONDS"] + 1))["sent"] == 0
        later = now + timedelta(seconds=100 + app.config["MAIL_LEASE_SECONDS"] + 1)
        assert send_due_mails(now=later)["sent"] == 1
    assert len(smtp.messages) == 1


def test_claims_a_run_of_this_process_could_not_give_back_go_out_with_its_next_run(app, make, smtp):
    """E.g. the database connection was lost at the end of a run, so it could neither give back its
    claims nor remove its instance: the same process knows that run is over."""
    queue(app, [make.user("contact") for _ in range(3)])
    with app.app_context():
        now = utcnow()
        claims.start(now, "an-earlier-run")
        assert len(claim(now, worker="an-earlier-run")) == 3
        claims._ended.add("an-earlier-run")  # what ``claims.stop`` leaves when the database is gone
        try:
            assert send_due_mails() == {"sent": 3, "retry": 0, "failed": 0, "released": 3}
        finally:
            claims._ended.discard("an-earlier-run")


def test_a_sender_whose_lease_lapsed_marks_nothing_another_sender_took_over(app, make, smtp, monkeypatch):
    import time_machine

    from tracker.notify.channels import email as email_channel

    ids = queue(app, [make.user("contact") for _ in range(2)])
    lease = app.config["MAIL_LEASE_SECONDS"]
    build = email_channel.build_message
    with time_machine.travel(utcnow(), tick=False) as traveller:
        def stalled_then_taken_over(mail):
            if mail.id == ids[0]:
                traveller.shift(timedelta(seconds=lease + 1))  # this send outlasted the lease...
                def other():
                    with app.app_context():  # ...and another sender took the mail over meanwhile
                        claims.start(utcnow(), "second")
                        claims.release_orphaned(utcnow())
                        claim(utcnow(), worker="second")
                t = threading.Thread(target=other)
                t.start()
                t.join(30)
            return build(mail)

        monkeypatch.setattr(email_channel, "build_message", stalled_then_taken_over)
        with app.app_context():
            counts = send_due_mails(worker="first")
    assert counts["sent"] == 0  # its mail was accepted, but the claim is no longer its own: not marked
    rows = mails(app)
    assert [(m.status, m.claimed_by) for m in rows] == [("sending", "second"), ("sending", "second")]


# --- an empty recipient ------------------------------------------------------------------------------

def test_an_empty_recipient_is_refused_at_once_naming_the_record(app, make, smtp, login):
    user = make.user("contact")
    queue(app, [user])
    with app.app_context():
        db.session.add(OutboxMail(to_addr="", subject="【答复】申请 GK-2026-0001", body_text="a", body_html="<p>a</p>",
                                  user_id=user.id, status="queued", attempts=0, next_attempt_at=utcnow()))
        db.session.add(OutboxMail(to_addr="  ", subject="【回执】申请 GK-2026-0002", body_text="a",
                                  body_html="<p>a</p>", status="queued", attempts=0, next_attempt_at=utcnow()))
        db.session.commit()
        counts = send_due_mails()
    assert counts == {"sent": 1, "retry": 0, "failed": 2}
    empty, blank = mails(app, OutboxMail.status == "failed")
    assert empty.attempts == 1 and empty.last_error == (
        f"收件人地址为空：邮件 #{empty.id}“【答复】申请 GK-2026-0001”无法发送，收件人“{user.display_name}”未填写邮箱。请补充邮箱后重发。")
    assert blank.last_error.startswith(f"收件人地址为空：邮件 #{blank.id}“【回执】申请 GK-2026-0002”")
    page = login(make.user("office", unit=make.unit(kind="office"))).get("/admin/outbox?status=failed")
    assert "收件人地址为空" in page.get_data(as_text=True)
