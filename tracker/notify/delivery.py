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

OUTAGE_KEY = "mail_outage"   # email's; another channel's is "outage:<channel>"
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


def _key(channel: str) -> str:
    return OUTAGE_KEY if channel == "email" else f"outage:{channel}"


def current_outage(channel: str = "email") -> Outage | None:
    row = db.session.get(Setting, _key(channel))
    if row is None or not row.value:
        return None
    v = row.value
    return Outage(datetime.fromisoformat(v["since"]), v["error"], v.get("detail", ""), v["tries"],
                  datetime.fromisoformat(v["retry_at"]), tuple((m["id"], m["label"]) for m in v.get("mails", ())))


def record_outage(error: str, detail: str, now: datetime, mails=(), channel: str = "email") -> Outage:
    """Another failed connection: keep ``since``, count the try, set when to try again. ``mails``:
    (id, label) of the mails being sent when the connection was lost, if any."""
    before = current_outage(channel)
    tries = (before.tries if before else 0) + 1
    wait = OUTAGE_BACKOFF_SECONDS[min(tries, len(OUTAGE_BACKOFF_SECONDS)) - 1]
    outage = Outage(before.since if before else now, error, detail, tries, now + timedelta(seconds=wait),
                    tuple(mails))
    row = db.session.get(Setting, _key(channel)) or Setting(key=_key(channel))
    row.value = {"since": outage.since.isoformat(), "error": error, "detail": detail[:2000], "tries": tries,
                 "retry_at": outage.retry_at.isoformat(),
                 "mails": [{"id": i, "label": label[:300]} for i, label in outage.mails]}
    row.updated_at = now
    db.session.add(row)
    return outage


def clear_outage(channel: str = "email") -> Outage | None:
    """The server accepts messages again: the outage (if any) is over. Returns the outage that ended."""
    before = current_outage(channel)
    if before is not None:
        db.session.delete(db.session.get(Setting, _key(channel)))
        current_app.logger.info("%s reachable again after %s tries since %s", channel, before.tries, before.since)
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
    """The email channel's state (the dashboard banner, the outbox, the health page)."""
    waiting, oldest, failed = db.session.execute(select(
        func.count().filter(OutboxMail.status.in_(("queued", "sending"))),
        func.min(OutboxMail.created_at).filter(OutboxMail.status.in_(("queued", "sending"))),
        func.count().filter(OutboxMail.status == "failed"),
    ).where(OutboxMail.channel == "email")).one()
    return DeliveryStatus(configured(), current_outage(), waiting, oldest, failed)


@dataclass(frozen=True)
class ChannelStatus:
    name: str
    label: str
    held: str | None                  # why it cannot send (not configured)
    outage: Outage | None
    waiting: int
    failed: int
    sent: int


def channel_statuses() -> list[ChannelStatus]:
    """Every channel other than email, for the health page: configured or not, outage, counts."""
    from . import channels

    counts = {row.channel: row for row in db.session.execute(select(
        OutboxMail.channel, func.count().filter(OutboxMail.status.in_(("queued", "sending"))).label("waiting"),
        func.count().filter(OutboxMail.status == "failed").label("failed"),
        func.count().filter(OutboxMail.status == "sent").label("sent")).group_by(OutboxMail.channel))}
    result = []
    for ch in channels.all_channels():
        if ch.name == "email":
            continue
        row = counts.get(ch.name)
        result.append(ChannelStatus(ch.name, ch.label, ch.held(), current_outage(ch.name),
                                    row.waiting if row else 0, row.failed if row else 0, row.sent if row else 0))
    return result
