"""Email over SMTP (``TRACKER_MAIL_*``).

What a failure costs (the sender applies it): the server cannot be reached, refuses our sender
address or answers 421 anywhere (RFC 5321 §3.8: the service is closing the channel) is the
server's condition, an outage; a 5xx, a mail without a recipient address or one that cannot be
built fails at once; another 4xx is this mail's, for now. Every delivery of one row carries the
same Message-ID, so mail clients fold a duplicate.
"""
import smtplib
from email import encoders
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, parseaddr

from flask import current_app

from ...errors import ServiceError
from ...inputs import strip_control_characters
from ..messages import attachments_of
from ..models import OutboxMail
from .base import CONNECTION, PERMANENT, TEMPORARY, Channel, register


class EmptyRecipient(ServiceError):
    """The mail has no address to go to: it fails at once, naming the record."""


def message_id(mail: OutboxMail, domain: str) -> str:
    """The same for every delivery of one outbox row (its id and creation time), so a mail client
    recognises a resend as the same message."""
    return f"<outbox-{mail.id}.{mail.created_at:%Y%m%d%H%M%S}@{domain}>"


def check_recipient(mail: OutboxMail) -> None:
    if (mail.to_addr or "").strip():
        return
    who = f"，收件人“{mail.user.display_name}”未填写邮箱" if mail.user is not None else ""
    raise EmptyRecipient(f"收件人地址为空：邮件 #{mail.id}“{mail.subject}”无法发送{who}。请补充邮箱后重发。")


def build_message(mail: OutboxMail) -> Message:
    """The mail as sent: text and HTML alternatives (and its stored attachments), headers encoded
    as RFC 2047 words. Built with the classic MIME classes: a third of the CPU of ``EmailMessage``
    with the modern policy, which is most of the sender's time per mail."""
    cfg = current_app.config
    for value in (mail.to_addr, mail.subject):
        if "\n" in value or "\r" in value:  # a header may not carry a line break (header injection)
            raise ValueError("Header values may not contain linefeed or carriage return characters")
    msg = body = MIMEMultipart("alternative")
    # rows queued before the input filter may hold what it drops (a lone surrogate cannot be encoded)
    body.attach(MIMEText(strip_control_characters(mail.body_text), "plain", "utf-8"))
    body.attach(MIMEText(strip_control_characters(mail.body_html), "html", "utf-8"))
    files = getattr(mail, "attachments_read", None)
    if files is None:
        files = attachments_of([mail.id]).get(mail.id, [])  # e.g. the letter to an applicant (queue_mail)
    if files:
        msg = MIMEMultipart("mixed")
        msg.attach(body)
        for item in files:
            maintype, _, subtype = item.mime_type.partition("/")
            part = MIMEBase(maintype, subtype or "octet-stream")
            part.set_payload(item.data)
            encoders.encode_base64(part)
            part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", item.filename))
            msg.attach(part)
    name, addr = parseaddr(cfg["MAIL_SENDER"])
    msg["From"] = formataddr((name, addr), charset="utf-8") if name else addr
    msg["To"] = mail.to_addr
    msg["Subject"] = Header(strip_control_characters(mail.subject), "utf-8")
    domain = addr.rpartition("@")[2] or "localhost"
    msg["Message-ID"] = message_id(mail, domain)
    msg["X-Tracker-Outbox-Id"] = str(mail.id)
    return msg


def connect() -> smtplib.SMTP:
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
            return CONNECTION  # the service is closing the channel, whichever command it answered
        return PERMANENT if all(500 <= c < 600 for c in codes) else TEMPORARY  # none: no recipient
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return PERMANENT if exc.smtp_code == 552 else CONNECTION  # 552: this message is too big
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return CONNECTION
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return PERMANENT
    if isinstance(exc, smtplib.SMTPResponseException):
        if exc.smtp_code == 421:
            return CONNECTION
        return PERMANENT if 500 <= exc.smtp_code < 600 else TEMPORARY
    if isinstance(exc, smtplib.SMTPException):
        return TEMPORARY
    if isinstance(exc, OSError):
        return CONNECTION
    return PERMANENT  # the message itself cannot be built or encoded, or has no recipient


class Email(Channel):
    name, label = "email", "邮件"

    def held(self) -> str | None:
        if not current_app.config.get("MAIL_SERVER"):
            return "未配置邮件服务器（TRACKER_MAIL_SERVER），邮件保留在发件箱中"
        return None

    def open(self):
        return connect()

    def close(self, session) -> None:
        try:
            session.quit()
        except (OSError, smtplib.SMTPException):
            pass

    def prepare(self, rows: list[OutboxMail]) -> None:
        files = attachments_of([row.id for row in rows])
        for row in rows:
            row.attachments_read = files.get(row.id, [])

    def send(self, session, row: OutboxMail) -> None:
        check_recipient(row)
        session.send_message(build_message(row))

    def classify(self, exc: BaseException) -> str:
        return failure_kind(exc)


register(Email())
