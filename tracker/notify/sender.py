"""The sender job: claims due rows of the outbox and sends each through its channel (email, group
robots, SMS: notify/channels/), marking it sent.

Claims are compare-and-set updates held by a sender *instance* under a lease it renews
(``claims.py``): two senders never claim the same row, and a sender's claims are taken over only
once its lease has lapsed — never because a process id looks dead from another PID namespace. A
row is marked sent right after the channel accepts it, and only while the claim is still this
sender's own.

What a failure costs, on every channel alike (each channel classifies its own errors):
- the service cannot be reached, or answers that it is closing (SMTP 421 anywhere, HTTP 502/503/
  504): an outage of that channel as a whole (``delivery.py``). No row is charged an attempt;
  claimed rows go back to the queue and the channel backs off as a whole, so a weekend outage
  fails nothing. The outage ends when the service accepts a message again, not when it merely
  accepts a connection. The other channels go on;
- the connection is lost *while one row is being sent*: the sender reconnects at once and goes on
  with the next row. If the service accepts other rows in the same run (before or after), the
  lost row is charged one attempt as a temporary failure of its own and moved behind the others,
  so a message that breaks the connection each time never holds up the queue (and fails after
  ``MAIL_MAX_ATTEMPTS``, named on the system health page). If the next row is lost too, or the
  service cannot be reached again, it is an outage (nothing charged; the first row still goes
  behind the others). A row lost with no other row of its channel in the run to compare is
  charged nothing, named on the health page and retried later each time (``interruptions``);
- a refusal (SMTP 5xx, a robot's wrong key, the SMS gateway's "no"), a message without an address,
  or one that cannot be built: ``failed`` at once;
- a refusal for now (SMTP 4xx other than 421, a robot's "too fast"): retried with back-off and
  ``failed`` after ``MAIL_MAX_ATTEMPTS``.

The sender keeps each destination's rate limit itself (a robot: 20 a minute; the SMS gateway: its
configured rate): a row over the limit waits (a moment) or goes back to the queue until the
window allows it, without an attempt. An SMS that must not go in quiet hours goes back until
they end. Claims are given back, not left to their lease: on an error, on SIGTERM (the scheduler
asks the loop to stop between rows), and at the end of every run. Delivery is at least once: a
process killed after a channel accepted a row but before it was marked sent sends it again, with
the same idempotency key (email: the Message-ID), so receivers fold the duplicate.
"""
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from .. import sweeps
from ..extensions import db
from ..timeutil import utcnow
from . import channels, claims, delivery
from .channels import CONNECTION, PERMANENT, Channel
from .models import OutboxMail

BACKOFF_SECONDS = (60, 300, 1800, 7200, 21600)
# A destination over its rate limit: wait this long at most in the run, else give the row back.
RATE_WAIT_SECONDS = 2.0


def worker_name() -> str:
    """Who ran a job, for the job runs on the health page (a label; claims use instance ids)."""
    return claims.process_label()


def lease_expired(mail: OutboxMail, now=None) -> bool:
    """A ``sending`` row whose sender is gone (its lease lapsed) may be taken over or resent."""
    return not claims.claim_is_live(mail, now or utcnow())


def release_orphaned_claims(now=None) -> int:
    return claims.release_orphaned(now or utcnow())


def claim(now=None, limit: int | None = None, worker: str | None = None) -> list[int]:
    """Claim up to ``limit`` due rows for sender instance ``worker`` and commit the claim. An
    instance that was never started (or has stopped) holds its claims only until another sender
    looks: start one with ``claims.start``."""
    return claims.claim(now or utcnow(), limit or current_app.config["MAIL_BATCH_SIZE"],
                        worker or claims.new_instance_id())


def _backoff(n: int) -> timedelta:
    return timedelta(seconds=BACKOFF_SECONDS[min(max(n, 1), len(BACKOFF_SECONDS)) - 1])


@dataclass
class _Lost:
    """A row during which the connection was lost, waiting to see whether the service accepts another."""

    row_id: int
    label: str
    error: str
    detail: str


@dataclass
class _Line:
    """One channel within a run: its session, what it accepted, a lost row, its outage."""

    channel: Channel
    session: object = None
    opened: bool = False
    accepted: int = 0
    lost: _Lost | None = None
    connection_failed: bool = False
    outage_open: bool = False
    down: bool = False          # an outage in this run: its rows are not claimed again


@dataclass
class _Run:
    """One run of the sender: its instance, its channels, its clock and what it did."""

    instance: str
    now: datetime               # the run's start on the (testable) clock
    started: datetime           # the real time at the start: the clock moves with it
    counts: dict
    lines: dict[str, _Line]
    heartbeat_at: datetime = None
    pending: list[int] = field(default_factory=list)
    # rows the services accepted, not yet recorded: (line, row id), written in one statement and
    # one commit every ``MAIL_COMMIT_EVERY`` rows or second (a crash before it sends them again)
    accepted: list = field(default_factory=list)
    accepted_since: float = 0.0
    windows: dict = field(default_factory=dict)   # destination -> recent send times (rate limits)

    def clock(self) -> datetime:
        return self.now + (utcnow() - self.started)

    def open_channels(self) -> list[str]:
        return [name for name, line in self.lines.items() if not line.down]

    # --- the lease ---------------------------------------------------------------------------

    def keep_alive(self) -> None:
        """Renew the lease every quarter of it; if it had lapsed, keep only the claims still ours."""
        now = self.clock()
        if self.heartbeat_at is not None and now - self.heartbeat_at < claims.heartbeat_every():
            return
        self.heartbeat_at = now
        if not claims.renew(self.instance, now):
            self.pending = claims.still_mine(self.instance, self.pending)

    # --- outcomes (compare-and-set: only while the claim is still ours) -----------------------

    def _finish(self, row_id: int, **values) -> bool:
        result = db.session.execute(update(OutboxMail).where(
            OutboxMail.id == row_id, OutboxMail.status == "sending", OutboxMail.claimed_by == self.instance)
            .values(claimed_by=None, claimed_at=None, **values))
        return result.rowcount == 1

    def sent(self, line: _Line, row: OutboxMail) -> None:
        """The service accepted ``row``: recorded with the next flush (see ``accepted``)."""
        if not self.accepted:
            self.accepted_since = time.monotonic()
        self.accepted.append((line, row.id))
        line.accepted += 1
        cfg = current_app.config
        if len(self.accepted) >= cfg.get("MAIL_COMMIT_EVERY", 50) or line.lost is not None or line.outage_open \
                or time.monotonic() - self.accepted_since >= cfg.get("MAIL_COMMIT_SECONDS", 1.0):
            self.flush()

    def flush(self) -> None:
        """Mark the accepted rows sent — each only while its claim is still ours — in one statement
        and one commit; then charge a lost row and end an outage that these rows disproved."""
        if not self.accepted:
            return
        accepted, self.accepted = self.accepted, []
        done = self._mark_sent([row_id for _, row_id in accepted])
        db.session.commit()
        self.counts["sent"] += len(done)
        for row_id in done:
            sweeps.row_done("outbox_mail", row_id)
        for line in {line.channel.name: line for line, _ in accepted}.values():
            if line.lost is not None:
                self._charge_lost(line)
            if line.outage_open and delivery.clear_outage(line.channel.name):  # the service accepts again
                db.session.commit()
            line.outage_open = False

    def _mark_sent(self, ids: list[int]) -> set[int]:
        return set(db.session.scalars(update(OutboxMail).where(
            OutboxMail.id.in_(ids), OutboxMail.status == "sending", OutboxMail.claimed_by == self.instance)
            .values(status="sent", sent_at=self.clock(), last_error=None, last_error_detail=None, claimed_by=None,
                    claimed_at=None).returning(OutboxMail.id)))

    def failed(self, row_id: int, label: str, attempts: int, error: str, detail: str, permanent: bool,
               **extra) -> None:
        self.flush()
        attempts += 1
        values = dict(attempts=attempts, last_error=error[:500], last_error_detail=detail, **extra)
        if permanent or attempts >= current_app.config.get("MAIL_MAX_ATTEMPTS", 6):
            values["status"] = "failed"
        else:
            values.update(status="queued", next_attempt_at=self.clock() + _backoff(attempts))
        if self._finish(row_id, **values):
            self.counts["failed" if values["status"] == "failed" else "retry"] += 1
            sweeps.row_failed("outbox_mail", row_id, label, error, detail)
        db.session.commit()

    def wait(self, row_id: int, until: datetime) -> None:
        """Give a row back without an attempt, due again at ``until`` (rate limit, quiet hours)."""
        self.flush()
        if claims.release(self.instance, [row_id], next_attempt_at=until):
            self.counts["deferred"] = self.counts.get("deferred", 0) + 1

    def _charge_lost(self, line: _Line) -> None:
        """The service accepted another row after the connection was lost on this one: the loss
        was this row's, a temporary failure of its own (one attempt, behind the others)."""
        lost, line.lost = line.lost, None
        attempts, interruptions = db.session.execute(select(OutboxMail.attempts, OutboxMail.interruptions)
                                                     .where(OutboxMail.id == lost.row_id)).one()
        self.failed(lost.row_id, lost.label, attempts, f"发送时与{line.channel.label}服务的连接中断（{lost.error}），"
                    "服务随后正常接受了其他消息：按该消息的临时失败计一次", lost.detail, False,
                    interruptions=interruptions + 1)

    def _unproved_lost(self, line: _Line) -> None:
        """The run ends with no other row to tell whether the lost connection was this row's:
        nothing charged; it goes behind the others and waits a little longer each time."""
        lost, line.lost = line.lost, None
        interruptions = (db.session.scalar(select(OutboxMail.interruptions)
                                           .where(OutboxMail.id == lost.row_id)) or 0) + 1
        if claims.release(self.instance, [lost.row_id], interruptions=interruptions,
                          next_attempt_at=self.clock() + _backoff(interruptions)):
            sweeps.row_failed("outbox_mail", lost.row_id, lost.label,
                              f"发送时与{line.channel.label}服务的连接中断（{lost.error}），未计入失败次数，稍后重试",
                              lost.detail)

    # --- a lost connection, an outage -----------------------------------------------------------

    def connection_lost(self, line: _Line, row: OutboxMail, error: str, detail: str) -> None:
        """The connection was lost while ``row`` was being sent: reconnect and go on, or (a second
        loss in a row, or no new connection) declare the channel's outage."""
        label = line.channel.label_of(row)
        db.session.rollback()
        self.flush()
        line.connection_failed = True  # an outage open before this run is not over
        if line.lost is not None:  # two rows in a row: the service's condition, not a row's
            first, line.lost = line.lost, None
            claims.release(self.instance, [first.row_id], next_attempt_at=self.clock())  # behind the others
            claims.release(self.instance, [row.id])
            self.outage(line, error, detail, [(first.row_id, first.label), (row.id, label)])
            return
        try:
            line.channel.close(line.session)
            line.session = line.channel.open()
        except Exception as again:  # noqa: BLE001 - the service is gone: an outage
            claims.release(self.instance, [row.id], next_attempt_at=self.clock())
            self.outage(line, *line.channel.describe(again), [(row.id, label)])
            return
        line.lost = _Lost(row.id, label, error, detail)
        if line.accepted:  # the service accepted other rows in this run, and a new connection now
            self._charge_lost(line)

    def outage(self, line: _Line, error: str, detail: str, rows=()) -> None:
        self.flush()
        line.connection_failed = line.down = True
        delivery.record_outage(error, detail, self.clock(), mails=rows, channel=line.channel.name)
        db.session.commit()
        sweeps.job_failed(error, detail)
        self.counts["outage"] = error
        # the rest of this channel's claims in the batch go back as they were
        mine = db.session.scalars(select(OutboxMail.id).where(
            OutboxMail.id.in_(self.pending), OutboxMail.channel == line.channel.name)).all()
        if released := claims.release(self.instance, list(mine)):
            self.counts["released"] = self.counts.get("released", 0) + released
        self.pending = [i for i in self.pending if i not in set(mine)]

    def session_of(self, line: _Line):
        if not line.opened:
            line.opened = True
            try:
                line.session = line.channel.open()
            except Exception as exc:  # noqa: BLE001 - any failure to connect is an outage of the channel
                db.session.rollback()
                self.outage(line, *line.channel.describe(exc))
        return None if line.down else line.session

    # --- rate limits ------------------------------------------------------------------------------

    def over_limit(self, line: _Line, row: OutboxMail) -> datetime | None:
        """When ``row``'s destination may be sent to again, if it is at its limit now. The sends of
        the last window are read from the outbox when the run first meets the destination, then
        counted as this run sends (``note_sent``)."""
        limited = line.channel.rate_limit(row)
        if limited is None:
            return None
        destination, limit = limited
        now, span = self.clock(), timedelta(seconds=limit.seconds)
        window = self.windows.get(destination)
        if window is None:
            where = [OutboxMail.channel == row.channel, OutboxMail.status == "sent", OutboxMail.sent_at > now - span]
            if ":unit:" in destination:
                where.append(OutboxMail.unit_id == row.unit_id)
            window = self.windows[destination] = deque(sorted(db.session.scalars(select(OutboxMail.sent_at)
                                                                                 .where(*where))))
        while window and window[0] <= now - span:
            window.popleft()
        if len(window) < limit.messages:
            return None
        return window[len(window) - limit.messages] + span

    def note_sent(self, line: _Line, row: OutboxMail) -> None:
        limited = line.channel.rate_limit(row)
        if limited is not None:
            self.windows.setdefault(limited[0], deque()).append(self.clock())

    # --- the loop -----------------------------------------------------------------------------------

    def send_one(self, row: OutboxMail) -> None:
        line = self.lines.get(row.channel)
        if line is None or line.down:  # a channel not available in this run: back as it was
            claims.release(self.instance, [row.id])
            return
        if (later := line.channel.not_before(row, self.clock())) is not None:
            self.wait(row.id, later)
            return
        if (free_at := self.over_limit(line, row)) is not None:
            pause = (free_at - self.clock()).total_seconds()
            if pause > RATE_WAIT_SECONDS:
                self.wait(row.id, free_at)
                return
            time.sleep(max(pause, 0) + 0.01)
        session = self.session_of(line)
        if session is None:
            claims.release(self.instance, [row.id])
            return
        try:
            line.channel.send(session, row)
        except Exception as exc:  # noqa: BLE001 - classified: one bad row never holds up the queue
            kind = line.channel.classify(exc)
            error, detail = line.channel.describe(exc)
            if kind == CONNECTION and getattr(exc, "unreached", False):  # never reached: the service's outage
                db.session.rollback()
                claims.release(self.instance, [row.id])
                self.outage(line, error, detail)
                return
            if kind == CONNECTION:
                self.connection_lost(line, row, error, detail)
                return
            label, attempts = line.channel.label_of(row), row.attempts
            db.session.rollback()
            self.failed(row.id, label, attempts, error, detail, kind == PERMANENT)
        else:
            self.note_sent(line, row)
            self.sent(line, row)

    def send_batch(self, ids: list[int]) -> None:
        """Send the claimed rows one by one; unattempted rows are given back either way."""
        self.pending = list(ids)
        rows = {row.id: row for row in db.session.scalars(select(OutboxMail).where(OutboxMail.id.in_(ids)))}
        by_channel: dict[str, list[OutboxMail]] = {}
        for row in rows.values():
            by_channel.setdefault(row.channel, []).append(row)
        for name, some in by_channel.items():
            if name in self.lines:
                self.lines[name].channel.prepare(some)
        try:
            while self.pending and not sweeps.shutdown_requested():
                self.keep_alive()
                if not self.pending:
                    break
                self.send_one(rows[self.pending.pop(0)])
        finally:
            self.give_back()

    def give_back(self) -> None:
        self.flush()
        if not self.pending:
            return
        try:
            db.session.rollback()
            self.counts["released"] = self.counts.get("released", 0) + claims.release(self.instance, self.pending)
            self.pending = []
        except Exception:  # noqa: BLE001 - the database is gone: the lease frees them
            current_app.logger.exception("could not give back %d claimed rows", len(self.pending))

    def drain(self, limit: int | None) -> None:
        limit = limit or current_app.config["MAIL_BATCH_SIZE"]
        budget, clock = current_app.config.get("MAIL_RUN_SECONDS", 50), time.monotonic()
        while not sweeps.shutdown_requested() and time.monotonic() - clock < budget and self.open_channels():
            self.keep_alive()
            ids = claims.claim(self.clock(), limit, self.instance, self.open_channels())
            if not ids:
                break
            self.send_batch(ids)

    def close(self) -> None:
        try:
            self.flush()
            for line in self.lines.values():
                if line.lost is not None:
                    self._unproved_lost(line)
                if line.outage_open and line.opened and not line.connection_failed \
                        and delivery.clear_outage(line.channel.name):
                    db.session.commit()  # reached again and nothing failed (e.g. nothing was left to send)
        finally:
            for line in self.lines.values():
                if line.opened and line.session is not None:
                    line.channel.close(line.session)
            claims.stop(self.instance)


def _due_channels(now, names: list[str]) -> set[str]:
    if not names:
        return set()
    return set(db.session.scalars(select(OutboxMail.channel).where(claims.due(now), OutboxMail.channel.in_(names))
                                  .group_by(OutboxMail.channel)))


def send_due(now=None, limit: int | None = None, worker: str | None = None, *, force: bool = False) -> dict:
    """Send what is due now on every channel, batch after batch, for up to ``MAIL_RUN_SECONDS``.

    Returns counts ``{"sent", "retry", "failed"}``, plus ``"outage"`` (the Chinese error) when a
    channel's service cannot be reached, ``"held"`` when no mail server is configured,
    ``"released"`` when claims were given back and ``"deferred"`` when rows wait for a rate limit
    or quiet hours. While a channel's outage lasts the sender only tries it when its back-off
    allows, unless ``force`` (the ``sweep`` command: "now"). ``worker``: the sender instance's id
    (a random one by default)."""
    from .routing import compose_robot_messages

    now = now or utcnow()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    compose_robot_messages(now)
    if released := claims.release_orphaned(now):
        counts["released"] = released
    ready, probe = {}, set()
    for channel in channels.all_channels():
        if (held := channel.held()) is not None:
            if channel.name == "email":
                counts["held"] = held
            continue
        outage = delivery.current_outage(channel.name)
        if outage is not None and now < outage.retry_at and not force:
            if _due_channels(now, [channel.name]):
                sweeps.job_failed(outage.error, outage.detail, quiet=True)
                counts["outage"] = outage.error
            continue
        ready[channel.name] = _Line(channel, outage_open=outage is not None)
        if outage is not None:
            probe.add(channel.name)  # its back-off allows a try: reach it even with nothing due
    due = _due_channels(now, list(ready))
    lines = {name: line for name, line in ready.items() if name in due or name in probe}
    if not lines:
        return counts
    run = _Run(claims.start(now, worker), now, utcnow(), counts, lines, heartbeat_at=now)
    try:
        for name in probe - due:
            run.session_of(lines[name])
        run.drain(limit)
    finally:
        run.give_back()
        run.close()
    return counts


send_due_mails = send_due   # the scheduler's job "send-mail" sends every channel's messages


def resend(mail: OutboxMail) -> None:
    """Office: put a failed (or stuck) row back in the queue with a fresh count of attempts."""
    mail.status, mail.attempts, mail.interruptions, mail.next_attempt_at = "queued", 0, 0, utcnow()
    mail.claimed_by = mail.claimed_at = None


def resend_failed(matching) -> int:
    """Office: every failed row that ``matching`` (a filter on OutboxMail) selects, back in the
    queue with a fresh count of attempts. Returns how many."""
    return db.session.execute(update(OutboxMail).where(OutboxMail.status == "failed", matching).values(
        status="queued", attempts=0, interruptions=0, next_attempt_at=utcnow(), claimed_by=None,
        claimed_at=None)).rowcount
