"""The sender's throughput: mails per second from the outbox to an SMTP sink on loopback.

    python bench/bench_sender.py                          # SQLite in a temporary folder
    python bench/bench_sender.py --database-url postgresql://postgres@127.0.0.1:5432/bench --mails 5000

The database is emptied and migrated, ``--mails`` mails (default 3,000, each a text and an HTML
part, as the reminders are) are queued, and one sender (``send_due``, run after run as the
scheduler runs it) sends them to aiosmtpd's discarding sink, which runs in a process of its own.
Reported: mails per second from the first claim to the last row marked sent, and the SQL
statements and commits per mail.
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url")
    parser.add_argument("--mails", type=int, default=3000)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="tracker-sender-")
    url = args.database_url or f"sqlite:///{folder}/bench.db"
    os.environ["TRACKER_INSTANCE_PATH"] = folder

    import logging

    from flask_migrate import upgrade
    from sqlalchemy import event, func, select

    from tracker import create_app
    from tracker.extensions import db, drop_public_schema
    from tracker.notify.models import OutboxMail
    from tracker.notify.sender import send_due
    from tracker.timeutil import utcnow

    logging.disable(logging.WARNING)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                             "-c", "aiosmtpd.handlers.Sink"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench" * 8, "MAIL_SERVER": "127.0.0.1",
                          "MAIL_PORT": port})
        with app.app_context():
            drop_public_schema()
            upgrade()
            now = utcnow()
            body = "您好：\n\n测试事项将于 2026-12-31 到期，还剩 5 个工作日。请及时办理。\n\n" * 3
            db.session.execute(OutboxMail.__table__.insert(), [dict(
                key=f"bench:{i}", channel="email", to_addr=f"user{i}@example.gov.cn", subject=f"【即将到期】测试事项 {i}",
                body_text=body, body_html=f"<p>{body}</p>", status="queued", attempts=0, next_attempt_at=now,
                created_at=now) for i in range(args.mails)])
            db.session.commit()
            statements, commits = [0], [0]
            event.listen(db.engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1))
            event.listen(db.engine, "commit", lambda *a: commits.__setitem__(0, commits[0] + 1))
            started, runs = time.monotonic(), 0
            while db.session.scalar(select(func.count()).where(OutboxMail.status != "sent")):
                send_due()
                runs += 1
            elapsed = time.monotonic() - started
            dialect = db.engine.dialect.name
        print(f"{dialect}: {args.mails} mails in {elapsed:.1f} s = {args.mails / elapsed:.0f} mails/s "
              f"({runs} sender runs; {statements[0] / args.mails:.2f} statements and {commits[0] / args.mails:.3f} "
              f"commits per mail)")
    finally:
        sink.terminate()
        sink.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
