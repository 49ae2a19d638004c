"""The sender job: claims due rows of the outbox, sends them over SMTP, marks them sent.

Claims are compare-and-set updates (``status`` queued → sending, or a ``sending`` row whose claim
lease expired because its process died; the lease is renewed, compare-and-set, just before each
mail is sent), so two senders never claim the same row; on PostgreSQL
the candidates are read with ``FOR UPDATE SKIP LOCKED`` so senders do not wait on each other. A
row is marked sent right after the SMTP server accepts it. Failures are retried with back-off and
end as ``failed`` after MAIL_MAX_ATTEMPTS. Delivery is at least once: a process killed after the
SMTP server accepted a mail but before it was marked sent will send it again; the Message-ID is
derived from the row, so such a duplicate is recognisable.
"""
import os
import smtplib
import socket
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr

from flask import current_app
from sqlalchemy import or_, select, update

from ..extensions import db
from ..timeutil import utcnow
from .models import OutboxMail
from .services import attach_files

BACKOFF_SECONDS = (60, 300, 1800, 7200, 21600)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config.get("MAIL_CLAIM_LEASE_SECONDS", 600))


def _due(now):
    return or_(
        (OutboxMail.status == "queued") & (OutboxMail.next_attempt_at <= now),
        (OutboxMail.status == "sending") & (OutboxMail.claimed_at < now - _lease()),
    )


def lease_expired(mail: OutboxMail, now=None) -> bool:
    """A ``sending`` mail whose sender died (or is stuck) may be taken over."""
    return mail.claimed_at is None or mail.claimed_at < (now or utcnow()) - _lease()


def _renew_claim(mail_id: int, worker: str, now) -> bool:
    """Compare-and-set just before sending: the mail is still ours, and its lease starts again, so no
    other sender takes it over while this one sends it (a long batch can outlast the first lease)."""
    result = db.session.execute(
        update(OutboxMail).where(OutboxMail.id == mail_id, OutboxMail.status == "sending",
                                 OutboxMail.claimed_by == worker).values(claimed_at=now))
    db.session.commit()
    return result.rowcount == 1


def claim(now=None, limit: int = 50, worker: str | None = None) -> list[int]:
    """Claim up to ``limit`` due mails for this worker and commit the claim."""
    now = now or utcnow()
    worker = worker or worker_name()
    stmt = select(OutboxMail.id).where(_due(now)).order_by(OutboxMail.id).limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    candidates = db.session.scalars(stmt).all()
    claimed = []
    for mail_id in candidates:
        result = db.session.execute(
            update(OutboxMail).where(OutboxMail.id == mail_id, _due(now))
            .values(status="sending", claimed_by=worker, claimed_at=now))
        if result.rowcount == 1:
            claimed.append(mail_id)
    db.session.commit()
    return claimed


def _message(mail: OutboxMail) -> EmailMessage:
    cfg = current_app.config
    msg = EmailMessage()
    name, addr = parseaddr(cfg["MAIL_SENDER"])
    msg["From"] = formataddr((name, addr)) if name else addr
    msg["To"] = mail.to_addr
    msg["Subject"] = mail.subject
    domain = addr.rpartition("@")[2] or "localhost"
    msg["Message-ID"] = make_msgid(idstring=f"outbox-{mail.id}", domain=domain)
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


def _failed(mail: OutboxMail, error: str, now) -> None:
    mail.attempts += 1
    mail.last_error = error[:500]
    mail.claimed_by = mail.claimed_at = None
    if mail.attempts >= current_app.config.get("MAIL_MAX_ATTEMPTS", 6):
        mail.status = "failed"
    else:
        mail.status = "queued"
        mail.next_attempt_at = now + timedelta(seconds=BACKOFF_SECONDS[min(mail.attempts, len(BACKOFF_SECONDS)) - 1])


def send_due_mails(now=None, limit: int = 50, worker: str | None = None) -> dict:
    """Send what is due now. Returns counts: {"sent": n, "retry": n, "failed": n}."""
    now = now or utcnow()
    worker = worker or worker_name()
    ids = claim(now, limit, worker)
    counts = {"sent": 0, "retry": 0, "failed": 0}
    if not ids:
        return counts
    smtp = None
    try:
        smtp = _connect()
    except (OSError, smtplib.SMTPException) as exc:
        error = f"无法连接邮件服务器：{exc}"
    started = utcnow()
    for mail_id in ids:
        if not _renew_claim(mail_id, worker, now + (utcnow() - started)):
            continue  # taken over by another sender
        mail = db.session.get(OutboxMail, mail_id)
        if smtp is None:
            _failed(mail, error, now)
        else:
            try:
                smtp.send_message(_message(mail))
            except Exception as exc:  # noqa: BLE001 - one bad mail must not hold up the queue
                _failed(mail, f"发送失败：{exc}", now)
                # SMTPException is an OSError too: only a lost connection ends the batch's attempts.
                if isinstance(exc, smtplib.SMTPServerDisconnected) or (
                        isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)):
                    smtp, error = None, f"连接中断：{exc}"
            else:
                mail.status, mail.sent_at, mail.last_error = "sent", utcnow(), None
        counts["sent" if mail.status == "sent" else "failed" if mail.status == "failed" else "retry"] += 1
        db.session.commit()  # one mail at a time: a crash later does not resend the ones before
    if smtp is not None:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return counts


def resend(mail: OutboxMail) -> None:
    """Office: put a failed (or stuck) mail back in the queue with a fresh count of attempts."""
    mail.status, mail.attempts, mail.next_attempt_at = "queued", 0, utcnow()
    mail.claimed_by = mail.claimed_at = None
