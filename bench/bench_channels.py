"""5,000 queued messages across the outbox's channels drained by one sender, within each channel's
own rate limit (bench/RESULTS.md, "Channels").

    python bench/bench_channels.py                     # SQLite in a temporary folder
    python bench/bench_channels.py --database-url postgresql://postgres@127.0.0.1:5432/bench

The database is emptied and migrated. Queued: 3,000 mails (to an aiosmtpd sink), 1,500 SMS (to an
HTTP gateway on loopback, limited to 50 a second), 500 group robot messages to 20 robots (10
企业微信, 10 钉钉, 25 each: five more than a robot takes in a minute). The sinks run in this process
(their CPU is counted) and check the limits from their side: no robot gets more than 20 messages
in any 60 seconds, the gateway no more than 50 in any second. One sender (``send_due``, run after
run as the scheduler runs it) drains the lot; the time is the wall time until nothing is queued.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

MAILS, SMS, ROBOTS, PER_ROBOT = 3000, 1500, 20, 25
SMS_PER_SECOND = 50


class HttpSink:
    """The demo's loopback server (tracker/demo/sink.py) counting arrivals per robot and the gateway."""

    def __init__(self):
        from tracker.demo.sink import LoopbackHTTP

        self.received: dict[str, list[float]] = defaultdict(list)
        self.keys: set[str] = set()
        self.server = LoopbackHTTP(self._answer).start()
        self.url = self.server.url

    def _answer(self, request):
        query = "&".join(f"{k}={v[0]}" for k, v in request["query"].items() if k in ("key", "access_token"))
        self.received[request["path"] + "?" + query].append(time.monotonic())
        self.keys.add(request["headers"].get("X-Tracker-Idempotency-Key"))
        return 200, {"errcode": 0, "errmsg": "ok", "code": 0}

    def max_in_window(self, who: str, seconds: float) -> int:
        times, best, start = sorted(self.received[who]), 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= seconds:
                start += 1
            best = max(best, end - start + 1)
        return best


def main() -> int:
    from cryptography.fernet import Fernet

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="tracker-channels-")
    url = args.database_url or f"sqlite:///{folder}/bench.db"
    os.environ.setdefault("TRACKER_SECRETS_KEY", Fernet.generate_key().decode())
    os.environ["TRACKER_INSTANCE_PATH"] = folder

    import logging

    from aiosmtpd.controller import Controller
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from tracker import create_app
    from tracker.extensions import db, drop_public_schema
    from tracker.notify.channel_settings import save_gateway, save_unit_robot
    from tracker.notify.models import OutboxMail
    from tracker.notify.sender import send_due
    from tracker.timeutil import utcnow
    from tracker.units.services import create_unit

    logging.disable(logging.WARNING)

    class MailSink:
        count = 0

        async def handle_DATA(self, server, session, envelope):
            MailSink.count += 1
            return "250 OK"

    port = _free_port()
    smtp = Controller(MailSink(), hostname="127.0.0.1", port=port)
    smtp.start()
    http = HttpSink()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench" * 8, "MAIL_SERVER": "127.0.0.1",
                      "MAIL_PORT": port, "MAIL_BATCH_SIZE": 100})
    with app.app_context():
        drop_public_schema()
        upgrade()
        save_gateway({"url": f"{http.url}/sms/send", "method": "POST", "format": "json",
                      "template": json.dumps({"mobile": "{mobile}", "content": "{content}", "msgid": "{msgid}"}),
                      "success_field": "code", "success_value": "0", "sign": "政务公开", "per_second": str(SMS_PER_SECOND),
                      "account": "bench", "password": "bench"}, None)
        units = []
        for i in range(ROBOTS):
            unit = create_unit(f"b{i}", f"测试单位{i}", "department")
            db.session.flush()
            kind = "wecom" if i % 2 == 0 else "dingtalk"
            hook = f"{http.url}/cgi-bin/webhook/send?key=k{i}" if kind == "wecom" else f"{http.url}/robot/send?access_token=t{i}"
            save_unit_robot(unit, kind, hook, f"SEC{i:060d}" if kind == "dingtalk" else "", None)
            units.append((unit.id, kind))
        now = utcnow()
        rows = [dict(channel="email", to_addr=f"u{i}@example.gov.cn", subject=f"【提醒】第{i}封", body_text="正文",
                     body_html="<p>正文</p>") for i in range(MAILS)]
        rows += [dict(channel="sms", to_addr=f"1390000{i:04d}", subject=f"【已逾期】第{i}条", body_text="【政务公开】已逾期：测试",
                      body_html="", urgent=True) for i in range(SMS)]
        rows += [dict(channel=kind, unit_id=unit_id, to_addr=f"单位{unit_id}", subject=f"【政务公开提醒】第{n}条",
                      body_text=f"**提醒** 第{n}条", body_html="") for unit_id, kind in units for n in range(PER_ROBOT)]
        for row in rows:  # (one set of columns for every row: an executemany takes the first row's)
            row.setdefault("unit_id", None)
            row.setdefault("urgent", False)
            row.update(status="queued", attempts=0, next_attempt_at=now, created_at=now)
        db.session.execute(OutboxMail.__table__.insert(), rows)
        db.session.commit()
        total = len(rows)
        print(f"queued {total}: {MAILS} mails, {SMS} SMS, {ROBOTS * PER_ROBOT} robot messages to {ROBOTS} robots",
              flush=True)
        started, runs, finished = time.monotonic(), 0, {}
        while True:
            counts = send_due()
            runs += 1
            for channel, n in db.session.execute(select(OutboxMail.channel, func.count()).where(
                    OutboxMail.status == "sent").group_by(OutboxMail.channel)):
                if channel not in finished and n == {"email": MAILS, "sms": SMS}.get(channel, ROBOTS * PER_ROBOT // 2):
                    finished[channel] = time.monotonic() - started
            left = db.session.scalar(select(func.count()).where(OutboxMail.status.in_(("queued", "sending"))))
            if not left:
                break
            if not counts["sent"]:
                time.sleep(1)  # the robots' next minute: the scheduler would run again within one
        elapsed = time.monotonic() - started
        failed = db.session.scalar(select(func.count()).where(OutboxMail.status == "failed"))
    robot_max = max(http.max_in_window(who, 60.0) for who in http.received if not who.startswith("/sms"))
    sms_max = http.max_in_window("/sms/send?", 1.0)
    smtp.stop()
    print(f"drained {total} in {elapsed:.1f} s over {runs} sender runs; failed {failed}")
    print("  finished: " + ", ".join(f"{k} at {v:.1f} s" for k, v in sorted(finished.items(), key=lambda kv: kv[1])))
    print(f"  mails received {MailSink.count}; SMS {len(http.received['/sms/send?'])} (at most {sms_max} in any "
          f"second, limit {SMS_PER_SECOND}); robot messages {sum(len(v) for k, v in http.received.items() if not k.startswith('/sms'))} "
          f"(at most {robot_max} to one robot in any 60 s, limit 20)")
    ok = not failed and robot_max <= 20 and sms_max <= SMS_PER_SECOND and len(http.keys - {None}) == SMS + ROBOTS * PER_ROBOT
    return 0 if ok else 1


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
