"""What every channel is: the ``Channel`` interface, the kinds of failure, rate limits and the
registry the channel modules add themselves to (``register``)."""
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



def register(channel: Channel) -> Channel:
    _channels[channel.name] = channel
    return channel
