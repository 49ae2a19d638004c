"""The mail sender's reliability runs: the demo city's outbox through real sender processes and a
real SMTP sink on loopback, under the failures a county office meets, counting what was queued,
delivered, lost and delivered twice (README › Reminders and email › reliability).

    python bench/reliability.py --database-url sqlite:////tmp/rel.db
    python bench/reliability.py --database-url postgresql://postgres@127.0.0.1:5432/rel --only kill9,pg-terminate

The database is emptied and loaded with the demo city once (``--keep`` reuses it); before each
scenario the demo city's outbox (323 mails) is put back in the queue as new. Scenarios:

* kill9          a sender process killed with SIGKILL ten times at random moments mid-batch, then a
                 clean sender (lease shortened to 3 s so the dead senders' claims come back soon);
* sigterm        the scheduler stopped with SIGTERM mid-batch, then started again;
* outage-3-days  the SMTP server down for three days (the send-mail job every 10 minutes on a
                 moved clock), then up;
* refusals-550   the server refuses one address in ten with 550: those fail at once, the rest go;
* poisoned       one mail breaks the connection at DATA every time, one has no recipient address:
                 both fail (the first after its attempts, on a moved clock), nothing else is held up;
* 421-60-hours   the server answers 421 at RCPT for 60 hours (moved clock), then recovers;
* two-schedulers two scheduler processes and a feeder process queuing 200 more mails meanwhile;
* pid-namespaces two sender processes on one host, one in a PID namespace of its own (``unshare``)
                 and reporting a process id that does not exist outside it;
* pg-terminate   (PostgreSQL) the scheduler's database connections terminated mid-batch, three times.

A mail is *lost* if the database says it was sent (or left it neither sent nor failed) but the sink
never received it; *unexpected failures* are failed mails the scenario did not make fail on purpose;
*duplicates* are deliveries after the first, each checked to carry the first one's Message-ID.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

SCENARIOS = ("kill9", "sigterm", "outage-3-days", "refusals-550", "poisoned", "421-60-hours", "two-schedulers",
             "pid-namespaces", "pg-terminate")

SENDER_LOOP = """
import os, sys, time
fake = int(os.environ.get("FAKE_PID", "0"))
if fake:
    os.getpid = lambda: fake
from tracker import create_app
from tracker.notify.sender import send_due_mails
app = create_app()
with app.app_context():
    idle = 0
    while idle < 12:
        c = send_due_mails()
        busy = c["sent"] or c["retry"] or c["failed"] or c.get("released")
        idle = 0 if busy else idle + 1
        if not busy:
            time.sleep(0.5)
"""

FEEDER = """
import sys, time
from tracker import create_app
from tracker.accounts.models import User
from tracker.extensions import db
from tracker.notify.services import Message, notify
from sqlalchemy import select
app = create_app()
with app.app_context():
    users = db.session.scalars(select(User).where(User.email.is_not(None), User.active.is_(True))
                               .order_by(User.id)).all()
    for i in range(200):
        u = users[i % len(users)]
        notify(u, Message(f"【可靠性测试】追加邮件 {i}", ("测试",), "/dashboard"), key=f"feeder:{i}")
        db.session.commit()
        time.sleep(0.02)
"""


class Sink:
    """A loopback SMTP server that records each delivery (outbox id, Message-ID) and can refuse,
    answer 421, drop the connection, be slow, or be stopped."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.port = _free_port()
        self.deliveries: list[tuple[int, str]] = []
        self.delay = 0.0
        self.refuse = lambda address: None      # -> an SMTP reply to refuse RCPT, or None
        self.drop_ids: set[int] = set()          # DATA of these outbox ids: connection dropped
        self.lock = threading.Lock()
        self.controller_class = Controller
        self.controller = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = self.refuse(address)
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.original_content)
        outbox_id = int(msg["X-Tracker-Outbox-Id"])
        if outbox_id in self.drop_ids:
            server.transport.close()
            return "421 closing"
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.deliveries.append((outbox_id, msg["Message-ID"]))
        return "250 Message accepted for delivery"

    def start(self):
        if self.controller is None:
            self.controller = self.controller_class(self, hostname="127.0.0.1", port=self.port)
            self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def reset(self):
        self.deliveries, self.delay, self.drop_ids = [], 0.0, set()
        self.refuse = lambda address: None


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Bench:
    def __init__(self, url: str, keep: bool):
        from tracker import create_app

        self.url = url
        self.instance = tempfile.mkdtemp(prefix="tracker-reliability-")
        self.sink = Sink()
        self.sink.start()
        os.environ["TRACKER_INSTANCE_PATH"] = self.instance
        self.app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "reliability" * 4,
                               "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": self.sink.port, "MAIL_TIMEOUT_SECONDS": 5})
        self.postgres = url.startswith("postgres")
        with self.app.app_context():
            self._prepare(keep)

    def _prepare(self, keep: bool) -> None:
        from flask_migrate import upgrade
        from sqlalchemy import func, select

        from tracker.demo import load_demo
        from tracker.extensions import db, drop_public_schema
        from tracker.notify.models import OutboxMail
        if not keep:
            if self.postgres:
                drop_public_schema()
            else:
                db.engine.dispose()
                path = self.url.split("sqlite:///", 1)[1]
                if os.path.exists(path):
                    os.remove(path)
        upgrade()
        if not db.session.scalar(select(func.count()).select_from(OutboxMail)):
            started = time.monotonic()
            load_demo()
            db.session.commit()
            print(f"demo city loaded in {time.monotonic() - started:.0f} s", flush=True)

    # --- the state between scenarios -------------------------------------------------------------

    def reset_outbox(self) -> int:
        """Every mail of the demo city queued again as new; the feeder's mails removed; no outage,
        no senders, no failures."""
        from sqlalchemy import delete, func, select, update

        from tracker.extensions import db
        from tracker.notify.models import OutboxMail, SenderInstance, Setting
        from tracker.sweeps.models import JobFailure, JobRun
        from tracker.timeutil import utcnow
        self.sink.reset()
        self.sink.start()
        with self.app.app_context():
            db.session.execute(delete(OutboxMail).where(OutboxMail.key.like("mail:feeder:%")))
            db.session.execute(update(OutboxMail).values(
                status="queued", attempts=0, interruptions=0, next_attempt_at=utcnow(), claimed_by=None,
                claimed_at=None, last_error=None, last_error_detail=None, sent_at=None))
            if self.empty_id is not None:
                db.session.execute(update(OutboxMail).where(OutboxMail.id == self.empty_id)
                                   .values(to_addr=self.empty_addr))
            for model in (SenderInstance, JobFailure, JobRun):
                db.session.execute(delete(model))
            db.session.execute(delete(Setting).where(Setting.key == "mail_outage"))
            db.session.commit()
            return db.session.scalar(select(func.count()).select_from(OutboxMail))

    empty_id: int | None = None
    empty_addr: str = ""

    def rows(self):
        from sqlalchemy import select

        from tracker.extensions import db
        from tracker.notify.models import OutboxMail
        with self.app.app_context():
            return db.session.execute(select(OutboxMail.id, OutboxMail.status, OutboxMail.to_addr)).all()

    def ids(self) -> list[int]:
        return sorted(r.id for r in self.rows())

    def tally(self, name: str, queued: int, seconds: float, expected_failed: set[int] = frozenset(), note=""):
        rows = self.rows()
        received = Counter(i for i, _ in self.sink.deliveries)
        message_ids: dict[int, set[str]] = {}
        for i, mid in self.sink.deliveries:
            message_ids.setdefault(i, set()).add(mid)
        failed = {r.id for r in rows if r.status == "failed"}
        stuck = [r.id for r in rows if r.status in ("queued", "sending")]
        lost = [r.id for r in rows if r.id not in received and r.id not in failed]
        return {
            "scenario": name, "queued": queued, "rows": len(rows), "delivered": len(received),
            "failed_expected": len(failed & set(expected_failed)), "failed_unexpected": len(failed - set(expected_failed)),
            "lost": len(lost), "duplicates": sum(n - 1 for n in received.values()),
            "duplicates_same_message_id": all(len(v) == 1 for v in message_ids.values()),
            "stuck": len(stuck), "seconds": round(seconds, 1), "note": note,
        }

    # --- processes ------------------------------------------------------------------------------

    def env(self, **extra) -> dict:
        return {**os.environ, "TRACKER_DATABASE_URL": self.url, "TRACKER_SECRET_KEY": "reliability" * 4,
                "TRACKER_MAIL_SERVER": "127.0.0.1", "TRACKER_MAIL_PORT": str(self.sink.port),
                "TRACKER_INSTANCE_PATH": self.instance, "TRACKER_MAIL_TIMEOUT_SECONDS": "5", **extra}

    def spawn(self, code_or_args, prefix=(), **env):
        args = [sys.executable, "-c", code_or_args] if isinstance(code_or_args, str) else code_or_args
        return subprocess.Popen([*prefix, *args], cwd=ROOT, env=self.env(**env), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    def scheduler(self, **env):
        return self.spawn([sys.executable, "-m", "flask", "--app", "wsgi", "scheduler"], **env)

    def wait_until(self, condition, timeout=300, step=0.2) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(step)
        return False

    def settled(self) -> bool:
        return not [r for r in self.rows() if r.status in ("queued", "sending")]

    def drain_in_process(self, start, step=timedelta(minutes=10), limit=2000):
        """The send-mail job run on a moved clock until nothing is queued or sending."""
        from tracker import sweeps
        from tracker.notify.sender import send_due_mails
        now = start
        for _ in range(limit):
            with self.app.app_context():
                with sweeps.run("send-mail", full_sweep=False) as run:
                    run.result = send_due_mails(now=now)
            if self.settled():
                return now
            now += step
        return now

    # --- scenarios --------------------------------------------------------------------------------

    def kill9(self):
        queued, started = self.reset_outbox(), time.monotonic()
        self.sink.delay = 0.02
        rnd = random.Random(29)
        at_kill = []
        for _ in range(10):
            before = len(self.sink.deliveries)
            proc = self.spawn(SENDER_LOOP, TRACKER_MAIL_LEASE_SECONDS="3", TRACKER_MAIL_BATCH_SIZE="20")
            self.wait_until(lambda: len(self.sink.deliveries) > before, timeout=30, step=0.02)  # sending now
            time.sleep(rnd.uniform(0.0, 0.4))  # somewhere in a batch
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            at_kill.append(len(self.sink.deliveries))
        stranded = sum(1 for r in self.rows() if r.status == "sending")
        last = self.spawn(SENDER_LOOP, TRACKER_MAIL_LEASE_SECONDS="3")
        last.wait(timeout=600)
        return self.tally("kill9", queued, time.monotonic() - started,
                          note=f"10 × SIGKILL while sending (delivered so far at each: {at_kill}); "
                               f"{stranded} left claimed by dead senders, taken over after their lease")

    def sigterm(self):
        self.reset_outbox()
        started = time.monotonic()
        self.sink.delay = 0.02
        first = self.scheduler(TRACKER_MAIL_BATCH_SIZE="20")
        self.wait_until(lambda: len(self.sink.deliveries) >= 40)
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=120)
        sending = sum(1 for r in self.rows() if r.status == "sending")
        again = self.scheduler()
        self.wait_until(self.settled)
        again.send_signal(signal.SIGTERM)
        again.wait(timeout=120)
        return self.tally("sigterm", len(self.rows()), time.monotonic() - started,
                          note=f"{sending} mails left 'sending' after SIGTERM")

    def outage_3_days(self):
        from tracker.timeutil import utcnow
        queued, started = self.reset_outbox(), time.monotonic()
        self.sink.stop()
        now = self.drain_in_process(utcnow(), limit=3 * 24 * 6)  # every 10 minutes, three days
        self.sink.start()
        self.drain_in_process(now)
        return self.tally("outage-3-days", queued, time.monotonic() - started, note="432 runs while down")

    def refusals_550(self):
        from tracker.timeutil import utcnow
        queued, started = self.reset_outbox(), time.monotonic()
        addresses = set(sorted({r.to_addr for r in self.rows()})[::10])  # one address in ten
        self.sink.refuse = lambda address: "550 No such user" if address in addresses else None
        refused = {r.id for r in self.rows() if r.to_addr in addresses}
        self.drain_in_process(utcnow())
        return self.tally("refusals-550", queued, time.monotonic() - started, refused,
                          note=f"{len(refused)} mails to {len(addresses)} refused addresses")

    def poisoned(self):
        """The two oldest mails are poisoned; the office goes on working (one new mail an hour)."""
        from sqlalchemy import select, update

        from tracker import sweeps
        from tracker.accounts.models import User
        from tracker.extensions import db
        from tracker.notify.models import OutboxMail
        from tracker.notify.sender import send_due_mails
        from tracker.notify.services import Message, notify
        from tracker.timeutil import utcnow
        queued, started = self.reset_outbox(), time.monotonic()
        ids = self.ids()
        dropper, empty = ids[0], ids[1]  # the oldest two: without the rules they lead every batch
        self.sink.drop_ids = {dropper}
        with self.app.app_context():
            self.empty_id, self.empty_addr = empty, db.session.get(OutboxMail, empty).to_addr
            db.session.execute(update(OutboxMail).where(OutboxMail.id == empty).values(to_addr=""))
            db.session.commit()
            user = db.session.scalar(select(User).where(User.role == "contact").order_by(User.id))
            now, hours = utcnow(), 0
            first_run = None
            while not self.settled() and hours < 48:
                notify(user, Message(f"【可靠性测试】第 {hours} 小时的新邮件", ("测试",), "/dashboard"),
                       key=f"feeder:poisoned:{hours}")
                db.session.commit()
                with sweeps.run("send-mail", full_sweep=False) as run:
                    run.result = send_due_mails(now=now)
                first_run = first_run or dict(run.result)
                now, hours = now + timedelta(hours=1), hours + 1
        return self.tally("poisoned", queued + hours, time.monotonic() - started, {dropper, empty},
                          note=f"first run {first_run}; settled after {hours} hourly runs (a new mail each)")

    def rcpt_421_for_60_hours(self):
        from tracker.timeutil import utcnow
        queued, started = self.reset_outbox(), time.monotonic()
        self.sink.refuse = lambda address: "421 4.3.2 Service not available, closing transmission channel"
        now = self.drain_in_process(utcnow(), limit=60 * 6)
        failed_during = sum(1 for r in self.rows() if r.status == "failed")
        self.sink.refuse = lambda address: None
        self.drain_in_process(now)
        return self.tally("421-60-hours", queued, time.monotonic() - started,
                          note=f"{failed_during} failed during the 60 hours")

    def two_schedulers(self):
        queued, started = self.reset_outbox(), time.monotonic()
        self.sink.delay = 0.01
        a, b = self.scheduler(TRACKER_MAIL_BATCH_SIZE="10"), self.scheduler(TRACKER_MAIL_BATCH_SIZE="10")
        feeder = self.spawn(FEEDER)
        feeder.wait(timeout=300)
        self.wait_until(lambda: self.settled() and len(self.rows()) >= queued + 200)
        for proc in (a, b):
            proc.send_signal(signal.SIGTERM)
        for proc in (a, b):
            proc.wait(timeout=120)
        return self.tally("two-schedulers", len(self.rows()), time.monotonic() - started,
                          note="200 fed while both ran (and what their other jobs queued)")

    def pid_namespaces(self):
        queued, started = self.reset_outbox(), time.monotonic()
        self.sink.delay = 0.02
        unshare = shutil.which("unshare")
        prefix = [unshare, "--pid", "--fork"] if unshare and subprocess.run(
            [unshare, "--pid", "--fork", "true"], capture_output=True).returncode == 0 else []
        gone = subprocess.Popen(["true"])
        gone.wait()
        procs = [self.spawn(SENDER_LOOP, prefix, FAKE_PID=str(gone.pid), TRACKER_MAIL_BATCH_SIZE="10"),
                 self.spawn(SENDER_LOOP, TRACKER_MAIL_BATCH_SIZE="10")]
        for proc in procs:
            proc.wait(timeout=600)
        return self.tally("pid-namespaces", queued, time.monotonic() - started,
                          note="unshare --pid" if prefix else "faked PID (no unshare here)")

    def pg_terminate(self):
        if not self.postgres:
            return None
        from sqlalchemy import text

        from tracker.extensions import db
        self.reset_outbox()
        started = time.monotonic()
        self.sink.delay = 0.03
        proc = self.scheduler(TRACKER_MAIL_BATCH_SIZE="20")
        terminated = 0
        for _ in range(3):
            target = len(self.sink.deliveries) + 30
            self.wait_until(lambda: len(self.sink.deliveries) >= target)
            with self.app.app_context():
                terminated += len(db.session.execute(text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")).all())
                db.session.commit()
        self.wait_until(self.settled)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
        return self.tally("pg-terminate", len(self.rows()), time.monotonic() - started,
                          note=f"{terminated} backends terminated in 3 rounds")


RUNNERS = {"kill9": Bench.kill9, "sigterm": Bench.sigterm, "outage-3-days": Bench.outage_3_days,
           "refusals-550": Bench.refusals_550, "poisoned": Bench.poisoned, "421-60-hours": Bench.rcpt_421_for_60_hours,
           "two-schedulers": Bench.two_schedulers, "pid-namespaces": Bench.pid_namespaces,
           "pg-terminate": Bench.pg_terminate}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("TRACKER_DATABASE_URL"), required=False)
    parser.add_argument("--only", default=",".join(SCENARIOS))
    parser.add_argument("--keep", action="store_true", help="reuse the database and its demo city")
    parser.add_argument("--json")
    args = parser.parse_args()
    if not args.database_url:
        parser.error("--database-url (or TRACKER_DATABASE_URL) is required")
    import logging
    logging.disable(logging.WARNING)  # the scenarios fail on purpose; the table says what happened
    bench = Bench(args.database_url, args.keep)
    results = []
    try:
        for name in args.only.split(","):
            print(f"== {name}", flush=True)
            result = RUNNERS[name](bench)
            if result is None:
                print("   skipped (PostgreSQL only)", flush=True)
                continue
            results.append(result)
            print("  ", result, flush=True)
    finally:
        with contextlib.suppress(Exception):
            bench.sink.stop()
        shutil.rmtree(bench.instance, ignore_errors=True)
    print()
    print("| scenario | queued | delivered | lost | duplicates (same Message-ID) | failed as meant | other failures "
          "| stuck | s | |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        same = "yes" if r["duplicates_same_message_id"] else "**no**"
        print(f"| {r['scenario']} | {r['queued']} | {r['delivered']} | {r['lost']} | {r['duplicates']} ({same}) "
              f"| {r['failed_expected']} | {r['failed_unexpected']} | {r['stuck']} | {r['seconds']} | {r['note']} |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, ensure_ascii=False, indent=1)
    bad = [r for r in results if r["lost"] or r["failed_unexpected"] or r["stuck"] or not r["duplicates_same_message_id"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
