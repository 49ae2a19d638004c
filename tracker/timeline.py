"""One step on a record's timeline (办理过程): from which state to which, who, when, why.

Features mix ``TransitionColumns`` into their own event table (a task's, a rectification item's)
and set ``STATE_LABELS`` to their Chinese state names; ``step`` fills in who and when.
"""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .timeutil import UTCDateTime, utcnow


class TransitionColumns:
    """Columns of one transition; the table adds its own id and the foreign key of its record."""

    STATE_LABELS: dict[str, str] = {}

    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_label: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str | None] = mapped_column(Text)

    @classmethod
    def step(cls, actor, **values):
        """A new step by ``actor`` (None: the system), now."""
        return cls(actor_id=actor.id if actor is not None else None,
                   actor_label=actor.display_name if actor is not None else "系统", at=utcnow(), **values)

    @property
    def from_label(self) -> str:
        return self.STATE_LABELS.get(self.from_state or "", "")

    @property
    def to_label(self) -> str:
        return self.STATE_LABELS.get(self.to_state, self.to_state)
