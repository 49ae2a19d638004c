"""The sender job: claims due rows of the outbox, sends them over SMTP, marks them sent.

Claims are compare-and-set updates held by a sender *instance* under a lease it renews
(``claims.py``): two senders never claim the same row, and a sender's claims are taken over only
once its lease has lapsed — never because a process id looks dead from another PID namespace. A
row is marked sent right after the SMTP server accepts it, and only while the claim is still this
sender's own.

What a failure costs:
- the server cannot be reached, or refuses our sender address, or answers 421 anywhere (RFC 5321
  §3.8: the service is closing the transmission channel): an outage of the sender as a whole
  (``delivery.py``). No mail is charged an attempt; claimed mails go back to the queue and the
  sender backs off as a whole, so a weekend outage fails nothing. The outage ends when the server
  accepts a mail again, not when it merely accepts a connection;
- the connection is lost (dropped, or 421) *while one mail is being sent*: the sender reconnects
  at once and goes on with the next mail. If the server accepts other mail in the same run (before
  or after), the lost mail is charged one attempt as a temporary failure of its own and moved
  behind the others, so a mail that breaks the connection each time never holds up the queue (and
  fails after ``MAIL_MAX_ATTEMPTS``, named on the system health page). If the next mail is lost
  too, or the server cannot be reached again, it is an outage (nothing charged; the first mail
  still goes behind the others). A mail lost with no other mail in the run to compare is charged
  nothing, named on the health page and retried later each time (``interruptions``);
- the server refuses one message permanently (5xx, e.g. 550 no such user), the mail has no
  recipient address, or the message cannot be built: that mail is ``failed`` at once;
- the server refuses one message for now (4xx other than 421): that mail is retried with back-off
  and is ``failed`` after ``MAIL_MAX_ATTEMPTS``.

Claims are given back, not left to their lease: on an error, on SIGTERM (the scheduler asks the
loop to stop between mails), and at the end of every run. Delivery is at least once: a process
killed after the SMTP server accepted a mail but before it was marked sent will send it again, with
the same Message-ID (a function of the outbox row), so mail clients fold the duplicate.
"""
import smtplib
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, parseaddr

from flask import current_app
from sqlalchemy import select, update

from .. import sweeps
from ..errors import ServiceError
from ..extensions import db
from ..sweeps.errors import describe_error
from ..timeutil import utcnow
from . import claims, delivery
from .models import OutboxMail
from .services import attach_files

BACKOFF_SECONDS = (60, 300, 1800, 7200, 21600)


def worker_name() -> str:
    """Who ran a job, for the job runs on the health page (a label; claims use instance ids)."""
    return claims.process_label()


def lease_expired(mail: OutboxMail, now=None) -> bool:
    """A ``sending`` mail whose sender is gone (its lease lapsed) may be taken over or resent."""
    return not claims.claim_is_live(mail, now or utcnow())


def release_orphaned_claims(now=None) -> int:
    return claims.release_orphaned(now or utcnow())


def claim(now=None, limit: int | None = None, worker: str | None = None) -> list[int]:
    """Claim up to ``limit`` due mails for sender instance ``worker`` and commit the claim. An
    instance that was never started (or has stopped) holds its claims only until another sender
    looks: start one with ``claims.start``."""
    return claims.claim(now or utcnow(), limit or current_app.config["MAIL_BATCH_SIZE"],
                        worker or claims.new_instance_id())


class EmptyRecipient(ServiceError):
    """The mail has no address to go to: it fails at once, naming the record."""


def message_id(mail: OutboxMail, domain: str) -> str:
    """The same for every delivery of one outbox row (its id and creation time), so a mail client
    recognises a resend as the same message."""
    return f"<outbox-{mail.id}.{mail.created_at:%Y%m%d%H%M%S}@{domain}>"


def _check_recipient(mail: OutboxMail) -> None:
    if (mail.to_addr or "").strip():
        return
    who = f"，收件人“{mail.user.display_name}”未填写邮箱" if mail.user is not None else ""
    raise EmptyRecipient(f"收件人地址为空：邮件 #{mail.id}“{mail.subject}”无法发送{who}。请补充邮箱后重发。")


def _message(mail: OutboxMail) -> EmailMessage:
    cfg = current_app.config
    msg = EmailMessage()
    name, addr = parseaddr(cfg["MAIL_SENDER"])
    msg["From"] = formataddr((name, addr)) if name else addr
    msg["To"] = mail.to_addr
    msg["Subject"] = mail.subject
    domain = addr.rpartition("@")[2] or "localhost"
    msg["Message-ID"] = message_id(mail, domain)
    msg["X-Tracker-Outbox-Id"] = str(mail.id)
    msg.set_content(mail.body_text)
    msg.add_alternative(mail.body_html, subtype="html")
    attach_files(msg, mail.id)  # e.g. the letter to an applicant (notify.services.queue_mail)
    return msg


def _connect() -> smtplib.SMTP:
    cfg = current_app.config
    timeout = cfg.get("MAIL_TIMEOUT_SECONDS", 20)
    if cfg["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=timeout)
    else:
        smtp = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=timeout)
        if cfg["MAIL_USE_TLS"]:
            smtp.starttls()
    if cfg["MAIL_USERNAME"]:
        smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
    return smtp


def failure_kind(exc: BaseException) -> str:
    """``"connection"`` (the server's condition: back off, charge no mail), ``"permanent"`` (this
    mail will never go: fail it now) or ``"temporary"`` (this mail, later)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        if 421 in codes:
            return "connection"  # the service is closing the channel, whichever command it answered
        return "permanent" if all(500 <= c < 600 for c in codes) else "temporary"  # none: no recipient
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return "permanent" if exc.smtp_code == 552 else "connection"  # 552: this message is too big
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "connection"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return "permanent"
    if isinstance(exc, smtplib.SMTPResponseException):
        if exc.smtp_code == 421:
            return "connection"
        return "permanent" if 500 <= exc.smtp_code < 600 else "temporary"
    if isinstance(exc, smtplib.SMTPException):
        return "temporary"
    if isinstance(exc, OSError):
        return "connection"
    return "permanent"  # the message itself cannot be built or encoded, or has no recipient


def _label(mail: OutboxMail) -> str:
    return f"{mail.to_addr} · {mail.subject}"


def _backoff(n: int) -> timedelta:
    return timedelta(seconds=BACKOFF_SECONDS[min(max(n, 1), len(BACKOFF_SECONDS)) - 1])


@dataclass
class _Lost:
    """A mail during which the connection was lost, waiting to see whether the server accepts the next."""

    mail_id: int
    label: str
    error: str
    detail: str


@dataclass
class _Run:
    """One run of the sender: its instance, its connection, its clock and what it did."""

    instance: str
    now: datetime               # the run's start on the (testable) clock
    started: datetime           # the real time at the start: the clock moves with it
    smtp: smtplib.SMTP
    counts: dict
    heartbeat_at: datetime = None
    lost: _Lost | None = None
    connection_failed: bool = False
    accepted: int = 0           # mails the server accepted in this run
    outage_open: bool = False
    pending: list[int] = field(default_factory=list)

    def clock(self) -> datetime:
        return self.now + (utcnow() - self.started)

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

    def _finish(self, mail_id: int, **values) -> bool:
        result = db.session.execute(update(OutboxMail).where(
            OutboxMail.id == mail_id, OutboxMail.status == "sending", OutboxMail.claimed_by == self.instance)
            .values(claimed_by=None, claimed_at=None, **values))
        return result.rowcount == 1

    def sent(self, mail: OutboxMail) -> None:
        if self._finish(mail.id, status="sent", sent_at=utcnow(), last_error=None, last_error_detail=None):
            self.counts["sent"] += 1
            sweeps.row_done("outbox_mail", mail.id)
        self.accepted += 1
        db.session.commit()  # one mail at a time: a crash later does not resend the ones before
        if self.lost is not None:
            self._charge_lost()
        if self.outage_open and delivery.clear_outage():  # the server accepts mail again
            db.session.commit()
        self.outage_open = False

    def failed(self, mail_id: int, label: str, attempts: int, error: str, detail: str, permanent: bool,
               **extra) -> None:
        attempts += 1
        values = dict(attempts=attempts, last_error=error[:500], last_error_detail=detail, **extra)
        if permanent or attempts >= current_app.config.get("MAIL_MAX_ATTEMPTS", 6):
            values["status"] = "failed"
        else:
            values.update(status="queued", next_attempt_at=self.clock() + _backoff(attempts))
        if self._finish(mail_id, **values):
            self.counts["failed" if values["status"] == "failed" else "retry"] += 1
            sweeps.row_failed("outbox_mail", mail_id, label, error, detail)
        db.session.commit()

    def _charge_lost(self) -> None:
        """The server accepted another mail after the connection was lost on this one: the loss
        was this mail's, a temporary failure of its own (one attempt, behind the others)."""
        lost, self.lost = self.lost, None
        attempts, interruptions = db.session.execute(select(OutboxMail.attempts, OutboxMail.interruptions)
                                                     .where(OutboxMail.id == lost.mail_id)).one()
        self.failed(lost.mail_id, lost.label, attempts, f"发送该邮件时与邮件服务器的连接中断（{lost.error}），"
                    "服务器随后正常接受了其他邮件：按该邮件的临时失败计一次", lost.detail, False,
                    interruptions=interruptions + 1)

    def _unproved_lost(self) -> None:
        """The run ends with no other mail to tell whether the lost connection was this mail's:
        nothing charged; it goes behind the others and waits a little longer each time."""
        lost, self.lost = self.lost, None
        interruptions = (db.session.scalar(select(OutboxMail.interruptions)
                                           .where(OutboxMail.id == lost.mail_id)) or 0) + 1
        if claims.release(self.instance, [lost.mail_id], interruptions=interruptions,
                          next_attempt_at=self.clock() + _backoff(interruptions)):
            sweeps.row_failed("outbox_mail", lost.mail_id, lost.label,
                              f"发送该邮件时与邮件服务器的连接中断（{lost.error}），未计入失败次数，稍后重试", lost.detail)

    # --- a lost connection ----------------------------------------------------------------------

    def connection_lost(self, mail: OutboxMail, exc: BaseException) -> bool:
        """The connection was lost while ``mail`` was being sent. Returns True to go on with the
        next mail (reconnected), False when it is an outage (the run stops)."""
        error, detail = describe_error(exc)
        label = _label(mail)
        db.session.rollback()
        self.connection_failed = True  # an outage open before this run is not over
        if self.lost is not None:  # two mails in a row: the server's condition, not a mail's
            first, self.lost = self.lost, None
            claims.release(self.instance, [first.mail_id], next_attempt_at=self.clock())  # behind the others
            claims.release(self.instance, [mail.id])
            self.outage(error, detail, [(first.mail_id, first.label), (mail.id, label)])
            return False
        try:
            self.smtp.close()
            self.smtp = _connect()
        except Exception as again:  # noqa: BLE001 - the server is gone: an outage
            claims.release(self.instance, [mail.id], next_attempt_at=self.clock())
            self.outage(*describe_error(again), [(mail.id, label)])
            return False
        self.lost = _Lost(mail.id, label, error, detail)
        if self.accepted:  # the server accepted other mail in this run, and a new connection now
            self._charge_lost()
        return True

    def outage(self, error: str, detail: str, mails=()) -> None:
        self.connection_failed = True
        delivery.record_outage(error, detail, self.clock(), mails=mails)
        db.session.commit()
        sweeps.job_failed(error, detail)
        self.counts["outage"] = error

    # --- the loop -----------------------------------------------------------------------------------

    def send_batch(self, ids: list[int]) -> bool:
        """Send the claimed mails one by one. Returns False on an outage; unattempted mails are
        given back either way."""
        self.pending = list(ids)
        try:
            while self.pending and not sweeps.shutdown_requested():
                self.keep_alive()
                if not self.pending:
                    break
                mail = db.session.get(OutboxMail, self.pending.pop(0))
                try:
                    _check_recipient(mail)
                    self.smtp.send_message(_message(mail))
                except Exception as exc:  # noqa: BLE001 - classified: one bad mail never holds up the queue
                    kind = failure_kind(exc)
                    if kind == "connection":
                        if not self.connection_lost(mail, exc):
                            return False
                        continue
                    db.session.rollback()
                    self.failed(mail.id, _label(mail), mail.attempts, *describe_error(exc), kind == "permanent")
                else:
                    self.sent(mail)
            return True
        finally:
            self.give_back()

    def give_back(self) -> None:
        if not self.pending:
            return
        try:
            db.session.rollback()
            self.counts["released"] = self.counts.get("released", 0) + claims.release(self.instance, self.pending)
            self.pending = []
        except Exception:  # noqa: BLE001 - the database is gone: the lease frees them
            current_app.logger.exception("could not give back %d claimed mails", len(self.pending))

    def drain(self, limit: int | None) -> None:
        limit = limit or current_app.config["MAIL_BATCH_SIZE"]
        budget, clock = current_app.config.get("MAIL_RUN_SECONDS", 50), time.monotonic()
        while not sweeps.shutdown_requested() and time.monotonic() - clock < budget:
            self.keep_alive()
            ids = claims.claim(self.clock(), limit, self.instance)
            if not ids or not self.send_batch(ids):
                break

    def close(self) -> None:
        try:
            if self.lost is not None:
                self._unproved_lost()
            if self.outage_open and not self.connection_failed and delivery.clear_outage():
                db.session.commit()  # reconnected and nothing failed (e.g. nothing was left to send)
        finally:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            claims.stop(self.instance)


def _any_due(now) -> bool:
    return db.session.scalar(select(OutboxMail.id).where(claims.due(now)).limit(1)) is not None


def send_due_mails(now=None, limit: int | None = None, worker: str | None = None, *, force: bool = False) -> dict:
    """Send what is due now, batch after batch, for up to ``MAIL_RUN_SECONDS``.

    Returns counts ``{"sent", "retry", "failed"}``, plus ``"outage"`` (the Chinese error) when
    the server cannot be reached, ``"held"`` when no server is configured, and ``"released"``
    when claims were given back. While an outage lasts the sender only tries to connect when its
    back-off allows, unless ``force`` (the ``sweep`` command: "now"). ``worker``: the sender
    instance's id (a random one by default)."""
    now = now or utcnow()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    if not delivery.configured():
        counts["held"] = "未配置邮件服务器（TRACKER_MAIL_SERVER），邮件保留在发件箱中"
        return counts
    if released := claims.release_orphaned(now):
        counts["released"] = released
    outage = delivery.current_outage()
    if not _any_due(now) and (outage is None or now < outage.retry_at):
        return counts
    if outage is not None and now < outage.retry_at and not force:
        sweeps.job_failed(outage.error, outage.detail, quiet=True)
        return {**counts, "outage": outage.error}
    try:
        smtp = _connect()
    except Exception as exc:  # noqa: BLE001 - any failure to connect is an outage of the sender
        db.session.rollback()
        error, detail = describe_error(exc)
        delivery.record_outage(error, detail, now)
        db.session.commit()
        sweeps.job_failed(error, detail)
        return {**counts, "outage": error}
    run = _Run(claims.start(now, worker), now, utcnow(), smtp, counts, heartbeat_at=now,
               outage_open=outage is not None)
    try:
        run.drain(limit)
    finally:
        run.give_back()
        run.close()
    return counts


def resend(mail: OutboxMail) -> None:
    """Office: put a failed (or stuck) mail back in the queue with a fresh count of attempts."""
    mail.status, mail.attempts, mail.interruptions, mail.next_attempt_at = "queued", 0, 0, utcnow()
    mail.claimed_by = mail.claimed_at = None


def resend_failed(matching) -> int:
    """Office: every failed mail that ``matching`` (a filter on OutboxMail) selects, back in the
    queue with a fresh count of attempts. Returns how many."""
    return db.session.execute(update(OutboxMail).where(OutboxMail.status == "failed", matching).values(
        status="queued", attempts=0, interruptions=0, next_attempt_at=utcnow(), claimed_by=None,
        claimed_at=None)).rowcount
