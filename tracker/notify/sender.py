"""The sender job: claims due rows of the outbox, sends them over SMTP, marks them sent.

Claims are compare-and-set updates (``status`` queued → sending, or a ``sending`` row whose claim
lease expired because its process died; the lease is renewed, compare-and-set, just before each
mail is sent), so two senders never claim the same row; on PostgreSQL the candidates are read with
``FOR UPDATE SKIP LOCKED`` so senders do not wait on each other. A row is marked sent right after
the SMTP server accepts it.

What a failure costs (a weekend mail outage loses nothing; one bad mail stops no other):
- the server cannot be reached, drops the connection, or refuses our sender address: an outage of
  the sender as a whole (``delivery.py``). No mail is charged an attempt; claimed mails go back to
  the queue at once and the sender backs off as a whole, so a weekend outage fails nothing;
- the server refuses one message permanently (5xx, e.g. 550 no such user) or the message cannot
  be built: that mail is ``failed`` at once, without six retries;
- the server refuses one message for now (4xx): that mail is retried with back-off and is
  ``failed`` after ``MAIL_MAX_ATTEMPTS``.

Claims are given back, not left to their lease: on an error, on SIGTERM (the scheduler asks the
loop to stop between mails) and when a sender on this host died (its process id is gone) or lost
its database connection mid-batch. Delivery is at least once: a process killed after the SMTP
server accepted a mail but before it was marked sent will send it again, with the same
Message-ID (a function of the outbox row), so mail clients fold the duplicate.
"""
import os
import secrets
import smtplib
import socket
import threading
import time
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr, parseaddr

from flask import current_app
from sqlalchemy import or_, select, update

from .. import sweeps
from ..extensions import db
from ..sweeps.errors import describe_error
from ..timeutil import utcnow
from . import delivery
from .models import OutboxMail
from .services import attach_files

BACKOFF_SECONDS = (60, 300, 1800, 7200, 21600)

_HOST = socket.gethostname()
_active_workers: set[str] = set()   # this process's senders now running (the rest of its claims are orphans)
_active_lock = threading.Lock()


def worker_name() -> str:
    """``host:pid:random`` - a sender on the same host can tell whether the claimer still lives."""
    return f"{_HOST}:{os.getpid()}:{secrets.token_hex(4)}"


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config["MAIL_LEASE_SECONDS"])


def _due(now):
    return or_(
        (OutboxMail.status == "queued") & (OutboxMail.next_attempt_at <= now),
        (OutboxMail.status == "sending") & (OutboxMail.claimed_at < now - _lease()),
    )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _orphaned(worker: str | None) -> bool:
    """A claim whose sender is known to be gone: on this host, its process has ended, or it is
    this process's own claim from a batch that is no longer running."""
    host, _, rest = (worker or "").partition(":")
    pid, _, _token = rest.partition(":")
    if host != _HOST or not pid.isdigit():
        return False  # another machine (or a name we did not give): only its lease can tell
    if int(pid) == os.getpid():
        with _active_lock:
            return worker not in _active_workers
    return not _pid_alive(int(pid))


def lease_expired(mail: OutboxMail, now=None) -> bool:
    """A ``sending`` mail whose sender died (or is stuck) may be taken over."""
    return (mail.claimed_at is None or mail.claimed_at < (now or utcnow()) - _lease()
            or _orphaned(mail.claimed_by))


def _release(where) -> int:
    """Give claimed mails back to the queue as they were: no attempt counted, due at once."""
    result = db.session.execute(update(OutboxMail).where(OutboxMail.status == "sending", where)
                                .values(status="queued", claimed_by=None, claimed_at=None))
    db.session.commit()
    return result.rowcount


def release_orphaned_claims() -> int:
    """Claims of senders that are gone (see ``_orphaned``) go back to the queue now, without
    waiting for their lease."""
    holders = db.session.scalars(select(OutboxMail.claimed_by).distinct().where(
        OutboxMail.status == "sending", OutboxMail.claimed_by.is_not(None))).all()
    orphans = [h for h in holders if _orphaned(h)]
    return _release(OutboxMail.claimed_by.in_(orphans)) if orphans else 0


def _renew_claim(mail_id: int, worker: str, now) -> bool:
    """Compare-and-set just before sending: the mail is still ours, and its lease starts again, so no
    other sender takes it over while this one sends it (a long batch can outlast the first lease)."""
    result = db.session.execute(
        update(OutboxMail).where(OutboxMail.id == mail_id, OutboxMail.status == "sending",
                                 OutboxMail.claimed_by == worker).values(claimed_at=now))
    db.session.commit()
    return result.rowcount == 1


def claim(now=None, limit: int | None = None, worker: str | None = None) -> list[int]:
    """Claim up to ``limit`` due mails for this worker and commit the claim."""
    now = now or utcnow()
    worker = worker or worker_name()
    limit = limit or current_app.config["MAIL_BATCH_SIZE"]
    stmt = select(OutboxMail.id).where(_due(now)).order_by(OutboxMail.id).limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    candidates = db.session.scalars(stmt).all()
    claimed = []
    if candidates:
        claimed = sorted(db.session.scalars(
            update(OutboxMail).where(OutboxMail.id.in_(candidates), _due(now))
            .values(status="sending", claimed_by=worker, claimed_at=now).returning(OutboxMail.id)).all())
    db.session.commit()
    return claimed


def message_id(mail: OutboxMail, domain: str) -> str:
    """The same for every delivery of one outbox row (its id and creation time), so a mail client
    recognises a resend as the same message."""
    return f"<outbox-{mail.id}.{mail.created_at:%Y%m%d%H%M%S}@{domain}>"


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
    """``"connection"`` (the sender's problem: back off, charge no mail), ``"permanent"`` (this
    mail will never go: fail it now) or ``"temporary"`` (this mail, later)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return "permanent" if codes and all(500 <= c < 600 for c in codes) else "temporary"
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
    return "permanent"  # the message itself cannot be built or encoded


def _label(mail: OutboxMail) -> str:
    return f"{mail.to_addr} · {mail.subject}"


def _mail_failed(mail: OutboxMail, exc: BaseException, permanent: bool, now) -> None:
    error, detail = describe_error(exc)
    mail.attempts += 1
    mail.last_error, mail.last_error_detail = error[:500], detail
    mail.claimed_by = mail.claimed_at = None
    if permanent or mail.attempts >= current_app.config.get("MAIL_MAX_ATTEMPTS", 6):
        mail.status = "failed"
    else:
        mail.status = "queued"
        mail.next_attempt_at = now + timedelta(seconds=BACKOFF_SECONDS[min(mail.attempts, len(BACKOFF_SECONDS)) - 1])
    sweeps.row_failed("outbox_mail", mail.id, _label(mail), error, detail)


def _count(counts: dict, mail: OutboxMail) -> None:
    counts["sent" if mail.status == "sent" else "failed" if mail.status == "failed" else "retry"] += 1


def _send_batch(smtp, ids: list[int], worker: str, now, started, counts: dict) -> bool:
    """Send the claimed mails one by one, each committed on its own. Returns False when the
    connection is lost (an outage is recorded); unattempted mails are given back either way."""
    pending = list(ids)
    try:
        while pending and not sweeps.shutdown_requested():
            mail_id = pending[0]
            if not _renew_claim(mail_id, worker, now + (utcnow() - started)):
                pending.pop(0)
                continue  # taken over by another sender
            mail = db.session.get(OutboxMail, mail_id)
            try:
                smtp.send_message(_message(mail))
            except Exception as exc:  # noqa: BLE001 - classified: one bad mail never holds up the queue
                kind = failure_kind(exc)
                if kind == "connection":
                    db.session.rollback()
                    error, detail = describe_error(exc)
                    delivery.record_outage(error, detail, now)
                    db.session.commit()
                    sweeps.job_failed(error, detail)
                    return False  # this mail and the rest go back to the queue, uncharged
                _mail_failed(mail, exc, kind == "permanent", now)
            else:
                mail.status, mail.sent_at, mail.last_error, mail.last_error_detail = "sent", utcnow(), None, None
                mail.claimed_by = mail.claimed_at = None
                sweeps.row_done("outbox_mail", mail.id)
            _count(counts, mail)
            db.session.commit()  # one mail at a time: a crash later does not resend the ones before
            pending.pop(0)
        return True
    finally:
        if pending:
            try:
                db.session.rollback()
                counts["released"] = counts.get("released", 0) + _release(
                    OutboxMail.id.in_(pending) & (OutboxMail.claimed_by == worker))
            except Exception:  # noqa: BLE001 - the database is gone: the next run (or the lease) frees them
                current_app.logger.exception("could not give back %d claimed mails", len(pending))


def _any_due(now) -> bool:
    return db.session.scalar(select(OutboxMail.id).where(_due(now)).limit(1)) is not None


def send_due_mails(now=None, limit: int | None = None, worker: str | None = None, *, force: bool = False) -> dict:
    """Send what is due now, batch after batch, for up to ``MAIL_RUN_SECONDS``.

    Returns counts ``{"sent", "retry", "failed"}``, plus ``"outage"`` (the Chinese error) when
    the server cannot be reached, ``"held"`` when no server is configured, and ``"released"``
    when claims were given back. While an outage lasts the sender only tries to connect when its
    back-off allows, unless ``force`` (the ``sweep`` command: "now")."""
    now = now or utcnow()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    if not delivery.configured():
        counts["held"] = "未配置邮件服务器（TRACKER_MAIL_SERVER），邮件保留在发件箱中"
        return counts
    worker = worker or worker_name()
    if released := release_orphaned_claims():
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
    if delivery.clear_outage():
        db.session.commit()
    with _active_lock:
        _active_workers.add(worker)
    started, clock = utcnow(), time.monotonic()   # the lease follows the (testable) clock; the budget real time
    budget = current_app.config.get("MAIL_RUN_SECONDS", 50)
    try:
        while not sweeps.shutdown_requested() and time.monotonic() - clock < budget:
            ids = claim(now + (utcnow() - started), limit, worker)
            if not ids:
                break
            if not _send_batch(smtp, ids, worker, now, started, counts):
                counts["outage"] = delivery.current_outage().error
                break
    finally:
        with _active_lock:
            _active_workers.discard(worker)
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return counts


def resend(mail: OutboxMail) -> None:
    """Office: put a failed (or stuck) mail back in the queue with a fresh count of attempts."""
    mail.status, mail.attempts, mail.next_attempt_at = "queued", 0, utcnow()
    mail.claimed_by = mail.claimed_at = None


def resend_failed(matching) -> int:
    """Office: every failed mail that ``matching`` (a filter on OutboxMail) selects, back in the
    queue with a fresh count of attempts. Returns how many."""
    return db.session.execute(update(OutboxMail).where(OutboxMail.status == "failed", matching).values(
        status="queued", attempts=0, next_attempt_at=utcnow(), claimed_by=None, claimed_at=None)).rowcount
