"""Mail delivery as a whole: configured or not, the server reachable or not, and what the office
is told about it (the dashboard banner, the outbox page, the system health page).

A mail server that cannot be reached is an *outage* of the sender, not a fault of each mail: it
is recorded once (since when, how many tries, the error in Chinese and raw) and the sender backs
off as a whole (1, 2, 5, 10, then every 15 minutes), while every mail stays queued with its
attempts untouched. The outage ends when the server accepts a mail again (or a run reaches it and
nothing goes wrong): a connection that succeeds and is then lost again keeps the outage, its
``since`` and its growing back-off. When the connection was lost while particular mails were being
sent, the outage names them, so the office sees which mail coincided with it.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from .models import OutboxMail, Setting

OUTAGE_KEY = "mail_outage"
OUTAGE_BACKOFF_SECONDS = (60, 120, 300, 600, 900)


def configured() -> bool:
    """Mail goes out only once a server is set (``TRACKER_MAIL_SERVER``); until then it is held."""
    return bool(current_app.config.get("MAIL_SERVER"))


@dataclass(frozen=True)
class Outage:
    since: datetime
    error: str
    detail: str
    tries: int
    retry_at: datetime
    mails: tuple[tuple[int, str], ...] = ()   # (id, label) of the mails being sent when it was lost


def current_outage() -> Outage | None:
    row = db.session.get(Setting, OUTAGE_KEY)
    if row is None or not row.value:
        return None
    v = row.value
    return Outage(datetime.fromisoformat(v["since"]), v["error"], v.get("detail", ""), v["tries"],
                  datetime.fromisoformat(v["retry_at"]), tuple((m["id"], m["label"]) for m in v.get("mails", ())))


def record_outage(error: str, detail: str, now: datetime, mails=()) -> Outage:
    """Another failed connection: keep ``since``, count the try, set when to try again. ``mails``:
    (id, label) of the mails being sent when the connection was lost, if any."""
    before = current_outage()
    tries = (before.tries if before else 0) + 1
    wait = OUTAGE_BACKOFF_SECONDS[min(tries, len(OUTAGE_BACKOFF_SECONDS)) - 1]
    outage = Outage(before.since if before else now, error, detail, tries, now + timedelta(seconds=wait),
                    tuple(mails))
    row = db.session.get(Setting, OUTAGE_KEY) or Setting(key=OUTAGE_KEY)
    row.value = {"since": outage.since.isoformat(), "error": error, "detail": detail[:2000], "tries": tries,
                 "retry_at": outage.retry_at.isoformat(),
                 "mails": [{"id": i, "label": label[:300]} for i, label in outage.mails]}
    row.updated_at = now
    db.session.add(row)
    return outage


def clear_outage() -> Outage | None:
    """A connection succeeded: the outage (if any) is over. Returns the outage that ended."""
    before = current_outage()
    if before is not None:
        db.session.delete(db.session.get(Setting, OUTAGE_KEY))
        current_app.logger.info("mail server reachable again after %s tries since %s", before.tries, before.since)
    return before


@dataclass(frozen=True)
class DeliveryStatus:
    configured: bool
    outage: Outage | None
    waiting: int                      # queued or being sent
    oldest_waiting: datetime | None
    failed: int

    @property
    def blocked(self) -> bool:
        """Mail cannot be delivered now (no server configured, or the server cannot be reached)."""
        return not self.configured or self.outage is not None


def delivery_status() -> DeliveryStatus:
    waiting, oldest, failed = db.session.execute(select(
        func.count().filter(OutboxMail.status.in_(("queued", "sending"))),
        func.min(OutboxMail.created_at).filter(OutboxMail.status.in_(("queued", "sending"))),
        func.count().filter(OutboxMail.status == "failed"),
    )).one()
    return DeliveryStatus(configured(), current_outage(), waiting, oldest, failed)
