"""The outbox's channels: each a sender of its own behind one interface, with the same guarantees
(claims, leases, back-off, a connection failure costs no attempt, a refusal fails at once,
resend, the health page, a stable idempotency key per message) kept by the one sender loop
(notify/sender.py).

A channel says how to open a session (an SMTP connection, an HTTP client), send one outbox row,
classify what went wrong, how fast one destination may be sent to, and when a row must wait
(quiet hours). Adding a channel — e.g. signed outgoing webhooks — is one module with a ``Channel``
subclass registered here, a label in ``models.CHANNEL_LABELS``, and the routing that queues its
rows (notify/routing.py).
"""
from dataclasses import dataclass
from datetime import datetime

from ..models import OutboxMail

CONNECTION, PERMANENT, TEMPORARY = "connection", "permanent", "temporary"


class DeliveryError(Exception):
    """A channel's own verdict on one send: ``kind`` (connection / permanent / temporary), the
    Chinese sentence for the office and the raw detail (secrets already redacted)."""

    def __init__(self, kind: str, message: str, detail: str = "", *, unreached: bool = False):
        super().__init__(message)
        self.kind, self.message, self.detail = kind, message, detail
        self.unreached = unreached  # the service was never reached (not a connection lost mid-message)


@dataclass(frozen=True)
class RateLimit:
    """At most ``messages`` per ``seconds`` to one destination (a robot; the SMS gateway)."""

    messages: int
    seconds: float


class Channel:
    name = ""
    label = ""

    def held(self) -> str | None:
        """Why this channel cannot send at all now (not configured), in Chinese; None if it can."""
        return None

    def open(self):
        """A session for a run (raise on failure: an outage of the channel)."""
        return None

    def close(self, session) -> None:
        pass

    def prepare(self, rows: list[OutboxMail]) -> None:
        """Read what a batch of this channel's rows needs in one go (e.g. the mails' attachments)."""

    def send(self, session, row: OutboxMail) -> None:
        """Deliver one row; raise ``DeliveryError`` (or the library's own error, see classify)."""
        raise NotImplementedError

    def classify(self, exc: BaseException) -> str:
        return exc.kind if isinstance(exc, DeliveryError) else PERMANENT

    def describe(self, exc: BaseException) -> tuple[str, str]:
        from ...sweeps.errors import describe_error
        if isinstance(exc, DeliveryError):
            return exc.message, exc.detail
        return describe_error(exc)

    def rate_limit(self, row: OutboxMail) -> tuple[str, RateLimit] | None:
        """(destination, limit) when sends to the row's destination are limited."""
        return None

    def not_before(self, row: OutboxMail, now: datetime) -> datetime | None:
        """A later time the row must wait for (quiet hours), or None."""
        return None

    def label_of(self, row: OutboxMail) -> str:
        return f"{row.to_addr} · {row.subject}"


def idempotency_key(row: OutboxMail) -> str:
    """The same for every delivery of one outbox row (a resend too): receivers drop a repeat."""
    return f"outbox-{row.id}.{row.created_at:%Y%m%d%H%M%S}"


_channels: dict[str, Channel] = {}
_loaded = False


def register(channel: Channel) -> Channel:
    _channels[channel.name] = channel
    return channel


def get(name: str) -> Channel:
    load()
    return _channels[name]


def all_channels() -> list[Channel]:
    load()
    return list(_channels.values())


def load() -> None:
    global _loaded
    if not _loaded:
        from . import email, robots, sms  # noqa: F401  (each registers itself)
        _loaded = True
