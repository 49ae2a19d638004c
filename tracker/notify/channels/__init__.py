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
from . import base
from .base import (  # noqa: F401  (the interface, for the sender and the channel modules)
    CONNECTION,
    PERMANENT,
    TEMPORARY,
    Channel,
    DeliveryError,
    RateLimit,
    idempotency_key,
    register,
)

_loaded = False


def get(name: str) -> Channel:
    load()
    return base._channels[name]


def all_channels() -> list[Channel]:
    load()
    return list(base._channels.values())


def load() -> None:
    global _loaded
    if not _loaded:
        from . import email, robots, sms  # noqa: F401  (each registers itself)
        _loaded = True
