"""Group robots and SMS beside email, through the same outbox: real HTTP servers on loopback stand
in for 企业微信, 钉钉 and the office's SMS gateway and check what they are sent."""
import base64
import hashlib
import hmac
import json
import os
import subprocess
import time
from datetime import date, datetime, timedelta

import pytest
import time_machine
from cryptography.fernet import Fernet
from sqlalchemy import select

from tests import clock
from tracker.accounts.models import User
from tracker.audit.models import AuditEvent
from tracker.demo.sink import LoopbackHTTP
from tracker.extensions import db
from tracker.notify import services
from tracker.notify.models import OutboxMail, RobotItem, UnitRobot, UserChannels
from tracker.notify.reminders import sweep_reminders
from tracker.notify.routing import SMS_LIMIT, sms_text
from tracker.notify.sender import send_due
from tracker.timeutil import CHINA, utcnow

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
DING_TOKEN, DING_SECRET = "ding-token-5f2c", "SEC8a7c1f0d3b2e4a6c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7"


class Sink:
    """The demo's loopback server (tracker/demo/sink.py), recording every request and answering like
    the real services: errcode 0 (robots) or the gateway's success field; ``answer(request)`` may
    say otherwise."""

    def __init__(self):
        self.requests: list[dict] = []
        self.delay = 0.0
        self.answer = None
        self.server = LoopbackHTTP(self._answer).start()
        self.url = self.server.url

    def _answer(self, request):
        if self.delay:
            time.sleep(self.delay)
        self.requests.append(request)
        return (self.answer(request) if self.answer else None) or (200, {"errcode": 0, "errmsg": "ok", "code": 0})

    def to(self, path):
        return [r for r in self.requests if r["path"] == path]

    def close(self):
        self.server.close()


@pytest.fixture
def sink():
    server = Sink()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def secrets_key(monkeypatch):
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("TRACKER_SECRETS_KEY", key)
    return key


def set_robot(app, unit, kind, webhook, secret=None):
    from tracker.notify.channel_settings import save_unit_robot
    from tracker.units.models import Unit
    with app.app_context():
        save_unit_robot(db.session.get(Unit, unit.id), kind, webhook, secret or "", None)
        db.session.commit()


def choose(app, user, mobile=None, **choices):
    with app.app_context():
        row = db.session.get(UserChannels, user.id) or UserChannels(user_id=user.id)
        row.choices, row.mobile = choices, mobile
        db.session.add(row)
        db.session.commit()


def set_gateway(app, sink, **overrides):
    from tracker.notify.channel_settings import save_gateway
    values = {"url": f"{sink.url}/sms/send", "method": "POST", "format": "json",
              "template": json.dumps({"account": "{account}", "password": "{password}", "mobile": "{mobile}",
                                      "content": "{content}", "msgid": "{msgid}"}),
              "success_field": "code", "success_value": "0", "sign": "东宁市政务公开办", "per_second": "50",
              "account": "dnszwgk", "password": "gateway-pass-7731", **overrides}
    with app.app_context():
        save_gateway(values, None)
        db.session.commit()


def outbox(app, *where):
    with app.app_context():
        return db.session.scalars(select(OutboxMail).where(*where).order_by(OutboxMail.id)).all()


@pytest.fixture
def robot_unit(app, make):
    """民政局 with a contact and a reviewer who chose the unit's robot for deadlines, three tasks
    overdue on 2026-10-21, and the office."""
    make.user("office", unit=make.unit(kind="office"))
    unit = make.unit(name="民政局")
    contact = make.user("contact", unit=unit)
    reviewer = make.user("reviewer", unit=unit)
    for u in (contact, reviewer):
        choose(app, u, due_soon="robot", overdue="robot")
    duty = make.duty(unit)
    tasks = [make.task(duty, formed=date(2026, 9, 10), title=f"城乡低保金发放情况（2026年{m}月）") for m in (6, 7, 8)]
    return {"unit": unit, "contact": contact, "reviewer": reviewer, "tasks": tasks}


# --- robots ------------------------------------------------------------------------------------------

@pytest.mark.on_day("2026-11-27")  # its story: autumn 2026
def test_a_wecom_robot_gets_one_markdown_message_per_unit_per_sweep_listing_its_items(app, robot_unit, sink, smtp):
    set_robot(app, robot_unit["unit"], "wecom", f"{sink.url}/cgi-bin/webhook/send?key={WECOM_KEY}")
    with app.app_context():
        sweep_reminders(date(2026, 10, 21))
        db.session.commit()
        counts = send_due()
    [request] = sink.to("/cgi-bin/webhook/send")
    assert request["query"]["key"] == [WECOM_KEY]
    body = request["json"]
    assert body["msgtype"] == "markdown" and set(body) == {"msgtype", "markdown"}
    content = body["markdown"]["content"]
    assert len(content.encode()) <= 4096 and content.startswith("**【政务公开提醒】民政局")
    for task in robot_unit["tasks"]:  # each listed once, though both the contact and the reviewer chose the robot
        assert content.count(task.title) == 1 and f"/disclosure/tasks/{task.id}" in content
    [row] = outbox(app, OutboxMail.channel == "wecom")
    assert row.status == "sent" and row.unit_id == robot_unit["unit"].id
    assert request["headers"]["X-Tracker-Idempotency-Key"] == f"outbox-{row.id}.{row.created_at:%Y%m%d%H%M%S}"
    # the contact and reviewer got no mail about these deadlines (their new-task mails went by email, as
    # they chose); the office still gets its own grouped message
    staff = (robot_unit["contact"].email, robot_unit["reviewer"].email)
    assert {m["Subject"][:6] for m in smtp.messages if m["To"] in staff} == {"【新公开任务"}
    assert any(m["Subject"].startswith("【政务公开提醒】") for m in smtp.messages if m["To"] not in staff)
    assert counts["sent"] == len(smtp.messages) + 1
    # the next sweep finds nothing new: no second robot message
    with app.app_context():
        sweep_reminders(date(2026, 10, 21))
        db.session.commit()
        send_due()
    assert len(sink.to("/cgi-bin/webhook/send")) == 1


def test_a_dingtalk_robot_request_is_signed_with_its_secret(app, robot_unit, sink, smtp):
    set_robot(app, robot_unit["unit"], "dingtalk", f"{sink.url}/robot/send?access_token={DING_TOKEN}", DING_SECRET)
    with app.app_context():
        sweep_reminders(date(2026, 10, 21))
        db.session.commit()
        send_due()
    [request] = sink.to("/robot/send")
    query = {k: v[0] for k, v in request["query"].items()}
    assert query["access_token"] == DING_TOKEN
    timestamp = int(query["timestamp"])
    assert abs(timestamp / 1000 - request["at"]) < 60  # milliseconds, now
    expected = base64.b64encode(hmac.new(DING_SECRET.encode(), f"{timestamp}\n{DING_SECRET}".encode(),
                                         hashlib.sha256).digest()).decode()
    assert query["sign"] == expected
    body = request["json"]
    assert body["msgtype"] == "markdown" and set(body["markdown"]) == {"title", "text"}
    assert body["markdown"]["title"].startswith("【政务公开提醒】民政局") and "城乡低保金" in body["markdown"]["text"]
    [row] = outbox(app, OutboxMail.channel == "dingtalk")
    assert row.status == "sent"


def test_a_robot_is_sent_at_most_twenty_messages_a_minute_by_the_sender_itself(app, make, sink):
    unit = make.unit(name="财政局")
    set_robot(app, unit, "wecom", f"{sink.url}/cgi-bin/webhook/send?key={WECOM_KEY}")
    sent_times = []

    def twenty_a_minute(request):  # the real robot refuses the 21st message within a minute
        now = request["at"]
        recent = [t for t in sent_times if now - t < 60]
        if len(recent) >= 20:
            return 200, {"errcode": 45009, "errmsg": "api freq out of limit"}
        sent_times.append(now)
        return None

    sink.answer = twenty_a_minute
    start = utcnow()
    with app.app_context():
        for i in range(25):
            db.session.add(OutboxMail(channel="wecom", unit_id=unit.id, to_addr="财政局 · 企业微信群机器人",
                                      subject=f"【政务公开提醒】第{i}条", body_text=f"第{i}条", body_html="",
                                      status="queued", attempts=0, next_attempt_at=start, created_at=start))
        db.session.commit()
        with time_machine.travel(start, tick=True):
            first = send_due(now=start)
    assert first["sent"] == 20 and first["failed"] == first["retry"] == 0 and first["deferred"] == 5
    waiting = outbox(app, OutboxMail.status == "queued")
    assert len(waiting) == 5 and all(m.attempts == 0 for m in waiting)
    assert all(m.next_attempt_at >= start + timedelta(seconds=60) for m in waiting)  # a minute after the first
    with app.app_context():
        assert send_due(now=start + timedelta(seconds=30))["sent"] == 0  # not before the minute is over
        later = max(m.next_attempt_at for m in waiting)
        sent_times.clear()  # (the sink's clock is real time; the sender's was moved a minute on)
        assert send_due(now=later)["sent"] == 5
    assert all(r["json"] for r in sink.requests) and len(sink.requests) == 25  # never refused: never over


def test_a_robot_that_refuses_its_key_fails_at_once_and_the_key_is_not_shown(app, make, sink, login, caplog):
    unit = make.unit(name="教育局")
    set_robot(app, unit, "wecom", f"{sink.url}/cgi-bin/webhook/send?key={WECOM_KEY}")
    sink.answer = lambda request: (200, {"errcode": 93000, "errmsg": f"invalid webhook url, key={WECOM_KEY}"})
    with app.app_context():
        db.session.add(OutboxMail(channel="wecom", unit_id=unit.id, to_addr="教育局 · 企业微信群机器人", subject="【提醒】1项",
                                  body_text="x", body_html="", status="queued", attempts=0, next_attempt_at=utcnow()))
        db.session.commit()
        counts = send_due()
        assert counts["sent"] == counts["retry"] == 0 and counts["failed"] == 1
    [row] = outbox(app)
    assert row.status == "failed" and row.attempts == 1 and "93000" in row.last_error
    assert WECOM_KEY not in (row.last_error_detail or "") and WECOM_KEY not in caplog.text
    office = login(make.user("office", unit=make.unit(kind="office")))
    page = office.get("/admin/outbox?channel=wecom").get_data(as_text=True)
    assert "企业微信群机器人" in page and "93000" in page and WECOM_KEY not in page


def test_robot_service_down_is_an_outage_of_that_channel_and_mail_still_goes(app, make, smtp):
    unit = make.unit(name="卫健局")
    set_robot(app, unit, "wecom", "http://127.0.0.1:9/cgi-bin/webhook/send?key=" + WECOM_KEY)  # nothing listens
    user = make.user("contact")
    with app.app_context():
        db.session.add(OutboxMail(channel="wecom", unit_id=unit.id, to_addr="卫健局 · 企业微信群机器人", subject="【提醒】1项",
                                  body_text="x", body_html="", status="queued", attempts=0, next_attempt_at=utcnow()))
        services.notify(db.session.get(User, user.id), services.Message("【提醒】测试", ("正文",), "/dashboard"))
        db.session.commit()
        counts = send_due()
        from tracker.notify.delivery import current_outage
        outage = current_outage("wecom")
    assert counts["sent"] == 1 and counts["outage"].startswith("企业微信群机器人无法连接")
    assert outage is not None and current_outage_email_is_none(app)
    [robot] = outbox(app, OutboxMail.channel == "wecom")
    assert robot.status == "queued" and robot.attempts == 0  # the service's outage costs the message nothing


def current_outage_email_is_none(app):
    from tracker.notify.delivery import current_outage
    with app.app_context():
        return current_outage() is None


# --- SMS ---------------------------------------------------------------------------------------------

def test_an_sms_is_at_most_seventy_characters_with_the_record_and_the_link(app):
    with app.test_request_context():
        for title in ("【已逾期】公开任务“城乡低保金发放情况（2026年8月）”", "【新分办申请】YSQ-2026-ABC123 " + "关于某某路段拆迁补偿标准的政府信息" * 3):
            text = sms_text(title, "/disclosure/tasks/12", "东宁市政务公开办")
            assert len(text) <= SMS_LIMIT and text.startswith("【东宁市政务公开办】")
            assert text.endswith("http://localhost:5000/disclosure/tasks/12")
        assert "已逾期：公开任务“城乡低保金" in sms_text("【已逾期】公开任务“城乡低保金发放情况（2026年8月）”", "/t/1", "政务公开")


def test_an_sms_goes_through_the_gateway_template_and_the_success_field_is_read(app, robot_unit, sink, secrets_key):
    set_gateway(app, sink)
    contact = robot_unit["contact"]
    choose(app, contact, mobile="13912345678", overdue="sms")
    with app.app_context():
        sweep_reminders(date(2026, 10, 21))  # overdue: not held by quiet hours whatever the hour
        db.session.commit()
        send_due()
    requests = sink.to("/sms/send")
    assert len(requests) == 3  # one per overdue task
    for request in requests:
        body = request["json"]
        assert set(body) == {"account", "password", "mobile", "content", "msgid"}
        assert body["account"] == "dnszwgk" and body["password"] == "gateway-pass-7731" and body["mobile"] == "13912345678"
        assert len(body["content"]) <= 70 and body["content"].startswith("【东宁市政务公开办】已逾期：")
        assert "/disclosure/tasks/" in body["content"]
        assert body["msgid"] == request["headers"]["X-Tracker-Idempotency-Key"]
    rows = outbox(app, OutboxMail.channel == "sms")
    assert len(rows) == 3 and all(r.status == "sent" and r.to_addr == "13912345678" and r.urgent for r in rows)
    # the gateway's account and password are stored encrypted, not in clear
    with app.app_context():
        from tracker.notify.models import Setting
        stored = json.dumps(db.session.get(Setting, "sms_gateway").value)
    assert "gateway-pass-7731" not in stored and "dnszwgk" not in stored


def test_an_sms_the_gateway_refuses_fails_at_once(app, make, sink):
    set_gateway(app, sink, success_field="result.status", success_value="OK")
    sink.answer = lambda request: (200, {"result": {"status": "REJECTED", "reason": "号码在黑名单中"}})
    user = make.user("contact")
    choose(app, user, mobile="13800001111", overdue="sms")
    with app.app_context():
        services.notify(db.session.get(User, user.id), services.Message("【已逾期】测试事项", ("正文",), "/dashboard"),
                        key="t1", kind="overdue", escalation=True)
        db.session.commit()
        counts = send_due()
        assert counts["sent"] == counts["retry"] == 0 and counts["failed"] == 1
    [row] = outbox(app, OutboxMail.channel == "sms")
    assert row.attempts == 1 and "短信平台拒绝发送（result.status = REJECTED）" == row.last_error
    assert "黑名单" in row.last_error_detail


@pytest.mark.parametrize("local, until", [
    (datetime(2026, 12, 8, 23, 0), datetime(2026, 12, 9, 7, 30)),    # Tuesday night: 07:30 next morning
    (datetime(2026, 12, 9, 6, 59), datetime(2026, 12, 9, 7, 30)),    # before 07:30 on a working day
    (datetime(2026, 12, 12, 10, 0), datetime(2026, 12, 14, 7, 30)),  # Saturday: Monday 07:30
])
def test_no_sms_in_quiet_hours_unless_it_is_overdue_work(app, make, sink, local, until):
    set_gateway(app, sink)
    user = make.user("contact")
    choose(app, user, mobile="13800002222", due_soon="sms", overdue="sms")
    moment = local.replace(tzinfo=CHINA)
    with time_machine.travel(moment, tick=False), app.app_context():
        u = db.session.get(User, user.id)
        services.notify(u, services.Message("【即将到期】测试事项", ("正文",), "/dashboard"), key="soon", kind="due_soon")
        services.notify(u, services.Message("【已逾期】测试事项", ("正文",), "/dashboard"), key="late", kind="overdue",
                        escalation=True)
        db.session.commit()
        counts = send_due(now=moment)
    assert counts["sent"] == 1
    [late] = sink.to("/sms/send")
    assert "已逾期" in late["json"]["content"]
    [soon] = outbox(app, OutboxMail.key == "sms:soon")
    assert soon.status == "queued" and soon.attempts == 0 and soon.next_attempt_at == until.replace(tzinfo=CHINA)
    with app.app_context():
        assert send_due(now=until.replace(tzinfo=CHINA) + timedelta(minutes=1))["sent"] == 1


SMS_SENDER = """
from tracker import create_app
from tracker.notify.sender import send_due
app = create_app()
with app.app_context():
    print(send_due(), flush=True)
"""


def test_each_message_arrives_once_by_its_key_when_the_sender_is_killed_mid_batch(app, make, sink, secrets_key):
    set_gateway(app, sink)
    users = [make.user("contact") for _ in range(8)]
    with app.app_context():
        for i, u in enumerate(users):
            choose(app, u, mobile=f"1390000{i:04d}", overdue="sms")
        for u in users:
            services.notify(db.session.get(User, u.id), services.Message("【已逾期】测试事项", ("正文",), "/dashboard"),
                            key=f"k{u.id}", kind="overdue", escalation=True)
        db.session.commit()
    sink.delay = 0.3
    env = {**os.environ, "TRACKER_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "TRACKER_SECRET_KEY": "x" * 32, "TRACKER_INSTANCE_PATH": str(app.instance_path),
           "TRACKER_SECRETS_KEY": secrets_key}
    proc = subprocess.Popen(clock.python_argv("-c", SMS_SENDER), cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while len(sink.requests) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        proc.kill()  # mid-batch: maybe between the gateway's answer and the row marked sent
        proc.wait()
    sink.delay = 0
    with app.app_context():
        send_due(now=utcnow() + timedelta(seconds=app.config["MAIL_LEASE_SECONDS"] + 1))
    rows = outbox(app, OutboxMail.channel == "sms")
    assert all(r.status == "sent" for r in rows)
    keys = [r["json"]["msgid"] for r in sink.requests]
    accepted = {}  # what a gateway that drops a repeated msgid delivers
    for r in sink.requests:
        accepted.setdefault(r["json"]["msgid"], r["json"])
    assert sorted(accepted) == sorted(f"outbox-{r.id}.{r.created_at:%Y%m%d%H%M%S}" for r in rows)  # each once
    for key in set(keys):  # a repeat is the same message with the same key
        assert len({json.dumps(r["json"], sort_keys=True) for r in sink.requests if r["json"]["msgid"] == key}) == 1


# --- where messages go -------------------------------------------------------------------------------

def test_with_nothing_configured_every_kind_goes_by_email(app, make, smtp):
    user = make.user("contact")
    with app.app_context():
        for kind in ("new_task", "overdue", "bulletin_published"):
            services.notify(db.session.get(User, user.id), services.Message(f"【{kind}】测试", ("正文",), "/dashboard"),
                            kind=kind)
        db.session.commit()
    assert [m.channel for m in outbox(app)] == ["email"] * 3


def test_a_choice_that_cannot_be_delivered_falls_back_to_email(app, make):
    user = make.user("contact")
    choose(app, user, overdue="robot", due_soon="sms")  # no robot for the unit, no gateway, no mobile
    with app.app_context():
        u = db.session.get(User, user.id)
        services.notify(u, services.Message("【已逾期】测试", ("正文",), "/dashboard"), kind="overdue")
        services.notify(u, services.Message("【即将到期】测试", ("正文",), "/dashboard"), kind="due_soon")
        db.session.commit()
        assert db.session.scalars(select(RobotItem)).all() == []
    assert [m.channel for m in outbox(app)] == ["email", "email"]


def test_bell_only_sends_nothing_but_the_bell(app, make):
    user = make.user("contact")
    choose(app, user, other="bell")
    with app.app_context():
        assert services.notify(db.session.get(User, user.id), services.Message("【提醒】测试", ("正文",), "/dashboard"))
        db.session.commit()
    assert outbox(app) == []


def test_a_user_chooses_per_kind_and_bad_choices_change_nothing(app, make, login, sink):
    unit = make.unit(name="司法局")
    user = make.user("contact", unit=unit)
    client = login(user)
    form = {f"channel_{k}": "email" for k in ("new_task", "due_soon", "overdue", "application_routed",
                                              "rectification_due", "bulletin_published", "other")}
    assert client.post("/account/channels", {**form, "channel_overdue": "robot"}).status_code == 422  # no robot yet
    assert client.post("/account/channels", {**form, "channel_overdue": "sms"}).status_code == 422    # no gateway
    set_gateway(app, sink)
    response = client.post("/account/channels", {**form, "channel_overdue": "sms", "mobile": ""})
    assert response.status_code == 422 and "请填写手机号码" in response.get_data(as_text=True)
    assert client.post("/account/channels", {**form, "channel_overdue": "sms", "mobile": "12345"}).status_code == 422
    with app.app_context():
        assert db.session.get(UserChannels, user.id) is None
    assert client.post("/account/channels", {**form, "channel_overdue": "sms", "mobile": "139 1234 5678"}).status_code == 302
    with app.app_context():
        row = db.session.get(UserChannels, user.id)
        assert row.mobile == "13912345678" and row.choices["overdue"] == "sms" and row.choices["new_task"] == "email"
    assert 'value="sms" aria-label="已逾期、逾期督办：短信" checked' in client.get("/account/channels").get_data(as_text=True)


def test_a_unit_sets_its_robot_and_mobiles_encrypted_masked_and_audited_without_the_secret(app, make, login):
    unit = make.unit(name="住建局")
    contact = make.user("contact", unit=unit)
    reviewer = make.user("reviewer", unit=unit)
    outsider = make.user("contact")
    client = login(contact)
    assert login(outsider).get(f"/units/{unit.id}/robot").status_code == 403
    webhook = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}"
    bad = client.post(f"/units/{unit.id}/robot", {"robot_kind": "wecom", "webhook": "qyapi weixin",
                                                  f"mobile_{contact.id}": "", f"mobile_{reviewer.id}": ""})
    assert bad.status_code == 422 and "请填写完整的网址" in bad.get_data(as_text=True)
    assert client.post(f"/units/{unit.id}/robot", {"robot_kind": "wecom", "webhook": webhook,
                                                   f"mobile_{contact.id}": "13900001234",
                                                   f"mobile_{reviewer.id}": "13900005678"}).status_code == 302
    page = client.get(f"/units/{unit.id}/robot").get_data(as_text=True)
    assert WECOM_KEY not in page and WECOM_KEY[-6:] in page and "13900005678" in page
    with app.app_context():
        robot = db.session.get(UnitRobot, unit.id)
        assert robot.kind == "wecom" and WECOM_KEY not in robot.webhook_encrypted
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "unit")).all()
        audit_text = json.dumps([(e.action, e.before, e.after) for e in events], ensure_ascii=False)
    assert "unit.robot" in audit_text and WECOM_KEY not in audit_text and "Webhook 地址" in audit_text
    office = login(make.user("office", unit=make.unit(kind="office")))
    assert WECOM_KEY not in office.get("/audit/").get_data(as_text=True)
    # saving again without a webhook keeps the stored one
    assert client.post(f"/units/{unit.id}/robot", {"robot_kind": "wecom", "webhook": "",
                                                   f"mobile_{contact.id}": "13900001234",
                                                   f"mobile_{reviewer.id}": "13900005678"}).status_code == 302
    with app.app_context():
        from tracker.secretbox import decrypt
        assert decrypt(db.session.get(UnitRobot, unit.id).webhook_encrypted) == webhook


def test_without_the_secrets_key_no_secret_is_saved(app, make, login, monkeypatch):
    monkeypatch.delenv("TRACKER_SECRETS_KEY")
    unit = make.unit(name="统计局")
    client = login(make.user("contact", unit=unit))
    response = client.post(f"/units/{unit.id}/robot", {"robot_kind": "wecom",
                                                       "webhook": f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}"})
    assert response.status_code == 422 and "TRACKER_SECRETS_KEY" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(UnitRobot, unit.id) is None


def test_the_outbox_shows_robot_and_sms_messages_beside_the_mails(app, robot_unit, sink, login, smtp):
    set_robot(app, robot_unit["unit"], "wecom", f"{sink.url}/cgi-bin/webhook/send?key={WECOM_KEY}")
    set_gateway(app, sink)
    choose(app, robot_unit["reviewer"], mobile="13912345678", overdue="sms")
    with app.app_context():
        sweep_reminders(date(2026, 10, 21))
        db.session.commit()
        send_due()
    office = login(make_office(app, robot_unit))
    page = office.get("/admin/outbox").get_data(as_text=True)
    assert 'data-channel="wecom"' in page and 'data-channel="sms"' in page and 'data-channel="email"' in page
    health = office.get("/admin/health").get_data(as_text=True)
    assert 'data-channel="wecom"' in health and 'data-channel="sms"' in health


def make_office(app, robot_unit):
    with app.app_context():
        return db.session.scalar(select(User).where(User.role == "office"))
