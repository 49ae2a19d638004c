"""Who may send a queued row: claims held by sender instances under a lease they renew.

A sender run registers an *instance*: a random id written with a heartbeat (``SenderInstance``,
``expires_at`` = last heartbeat + ``MAIL_LEASE_SECONDS``). It claims rows compare-and-set
(``queued`` → ``sending``, ``claimed_by`` = its id) and renews its lease while it works, at least
every quarter of the lease, so no single send outlasts it. A row is another sender's to take over
only when its claimer's lease has lapsed (or its claimer has no instance at all), which holds
whatever host or PID namespace each sender runs in: a sender never asks whether a process id is
alive. A run that ends gives its unstarted claims back and removes its instance at once; a killed
one is noticed when its lease lapses.

Outcomes are written compare-and-set as well (``claimed_by`` = this instance and still
``sending``): a sender whose claim was taken over never marks the row.
"""
import os
import secrets
import socket
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, or_, select, update

from ..extensions import db
from .models import OutboxMail, SenderInstance

_HOST = socket.gethostname()
# Instances this process started whose run is over but whose row could not be removed (e.g. the
# database connection was lost): the process knows they are gone without waiting for the lease.
_ended: set[str] = set()


def new_instance_id() -> str:
    return secrets.token_hex(12)


def process_label() -> str:
    """``host:pid``, for people reading the job runs (never used to decide anything)."""
    return f"{_HOST}:{os.getpid()}"


def lease() -> timedelta:
    return timedelta(seconds=current_app.config["MAIL_LEASE_SECONDS"])


def heartbeat_every() -> timedelta:
    return lease() / 4


def live_instances(now: datetime):
    """The ids of senders whose lease runs at ``now`` (a subquery)."""
    stmt = select(SenderInstance.id).where(SenderInstance.expires_at >= now)
    if _ended:
        stmt = stmt.where(SenderInstance.id.not_in(sorted(_ended)))
    return stmt


def orphaned(now: datetime):
    """A ``sending`` row whose claimer is gone (no instance, or its lease lapsed)."""
    return (OutboxMail.status == "sending") & or_(OutboxMail.claimed_by.is_(None),
                                                   OutboxMail.claimed_by.not_in(live_instances(now)))


def due(now: datetime):
    """Rows a sender may claim at ``now``: queued and due, or orphaned."""
    return ((OutboxMail.status == "queued") & (OutboxMail.next_attempt_at <= now)) | orphaned(now)


def start(now: datetime, instance: str | None = None) -> str:
    """Register a sender instance (its lease starts now) and commit; returns its id."""
    instance = instance or new_instance_id()
    row = db.session.get(SenderInstance, instance) or SenderInstance(id=instance, started_at=now)
    row.host, row.pid, row.heartbeat_at, row.expires_at = _HOST[:200], os.getpid(), now, now + lease()
    db.session.add(row)
    db.session.commit()
    _ended.discard(instance)
    return instance


def renew(instance: str, now: datetime) -> bool:
    """Renew the lease and commit. Returns False when it had lapsed before this renewal (another
    sender may have taken some claims over meanwhile: the caller checks which are still its own)."""
    result = db.session.execute(update(SenderInstance).where(
        SenderInstance.id == instance, SenderInstance.expires_at >= now).values(
        heartbeat_at=now, expires_at=now + lease()))
    if result.rowcount == 1:
        db.session.commit()
        return True
    db.session.rollback()
    start(now, instance)
    return False


def still_mine(instance: str, ids: list[int]) -> list[int]:
    """Which of ``ids`` this instance still holds (in the given order)."""
    if not ids:
        return []
    held = set(db.session.scalars(select(OutboxMail.id).where(
        OutboxMail.id.in_(ids), OutboxMail.status == "sending", OutboxMail.claimed_by == instance)))
    return [i for i in ids if i in held]


def stop(instance: str) -> None:
    """The run is over: remove the instance (its claims were given back first)."""
    _ended.add(instance)
    try:
        db.session.execute(delete(SenderInstance).where(SenderInstance.id == instance))
        db.session.commit()
    except Exception:  # noqa: BLE001 - the database is gone: this process (or the lease) ends it later
        db.session.rollback()
        current_app.logger.exception("could not remove sender instance %s", instance)
    else:
        _ended.discard(instance)


def claim(now: datetime, limit: int, instance: str, channels: list[str] | None = None) -> list[int]:
    """Claim up to ``limit`` due rows (of ``channels``, if given) for ``instance`` and commit: the
    longest waiting first (``next_attempt_at``), so a row put back behind the others does not lead
    the next batch."""
    stmt = select(OutboxMail.id).where(due(now)).order_by(OutboxMail.next_attempt_at, OutboxMail.id).limit(limit)
    if channels is not None:
        stmt = stmt.where(OutboxMail.channel.in_(channels))
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    candidates = db.session.scalars(stmt).all()
    claimed: list[int] = []
    if candidates:
        won = set(db.session.scalars(
            update(OutboxMail).where(OutboxMail.id.in_(candidates), due(now))
            .values(status="sending", claimed_by=instance, claimed_at=now).returning(OutboxMail.id)))
        claimed = [i for i in candidates if i in won]
    db.session.commit()
    return claimed


def release(instance: str, ids: list[int], **values) -> int:
    """Give claimed rows back to the queue as they were (no attempt counted) and commit;
    ``values`` may set more columns (e.g. ``next_attempt_at`` to put them behind the others)."""
    if not ids:
        return 0
    result = db.session.execute(update(OutboxMail).where(
        OutboxMail.id.in_(ids), OutboxMail.status == "sending", OutboxMail.claimed_by == instance).values(
        status="queued", claimed_by=None, claimed_at=None, **values))
    db.session.commit()
    return result.rowcount


def release_orphaned(now: datetime) -> int:
    """Claims of senders that are gone go back to the queue now (and the gone senders' instances
    are removed). Returns how many rows."""
    result = db.session.execute(update(OutboxMail).where(orphaned(now)).values(
        status="queued", claimed_by=None, claimed_at=None))
    gone = SenderInstance.expires_at < now
    if _ended:
        gone = gone | SenderInstance.id.in_(sorted(_ended))
    db.session.execute(delete(SenderInstance).where(gone))
    db.session.commit()
    return result.rowcount


def claim_is_live(mail: OutboxMail, now: datetime) -> bool:
    """A ``sending`` row whose sender still holds it (the office may not put it back)."""
    if mail.status != "sending" or not mail.claimed_by:
        return False
    return db.session.scalar(live_instances(now).where(SenderInstance.id == mail.claimed_by)) is not None
