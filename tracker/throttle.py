"""Throttling by counting recent attempts in a table of attempt rows (sign-in, status lookups).

Any model with ``at`` (UTCDateTime) and ``success`` (bool) columns works; ``where`` narrows the
count to one address, one account, one tracking code...  Rows are the only state, so several
web workers agree and a restart forgets nothing.
"""
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from .extensions import db
from .timeutil import utcnow


def recent_failures(model, window_seconds: int, *, reset_by_success: bool = False, **where) -> int:
    """Failed attempts in the last ``window_seconds`` matching ``where`` (column=value).

    With ``reset_by_success`` only failures after the last success matching ``where`` count.
    """
    since = utcnow() - timedelta(seconds=window_seconds)
    stmt = select(func.count()).select_from(model).where(model.success.is_(False), model.at >= since)
    for column, value in where.items():
        stmt = stmt.where(getattr(model, column) == value)
    if reset_by_success:
        last = select(func.max(model.id)).where(model.success.is_(True))
        for column, value in where.items():
            last = last.where(getattr(model, column) == value)
        last_success = db.session.scalar(last)  # by id: rows are appended in order
        if last_success is not None:
            stmt = stmt.where(model.id > last_success)
    return db.session.scalar(stmt)


def recent_rows(model, window_seconds: int, time_column: str = "at", **where) -> int:
    """All rows (successful or not) created in the last ``window_seconds`` matching ``where``."""
    since = utcnow() - timedelta(seconds=window_seconds)
    stmt = select(func.count()).select_from(model).where(getattr(model, time_column) >= since)
    for column, value in where.items():
        stmt = stmt.where(getattr(model, column) == value)
    return db.session.scalar(stmt)


@dataclass(frozen=True)
class Limits:
    """How many failures are tolerated before attempts are refused.

    - ``per_pair`` failures of one key (an account, a tracking code) from one address within
      ``window`` seconds: the address is refused for that key (reset by a success there);
    - ``per_address`` failures from one address within ``window``, whatever the key;
    - ``per_key`` failures of one key from all addresses within ``key_window`` (higher and
      slower): the key is refused from addresses that have not succeeded with it within
      ``known_days``. An address the real owner has used keeps working, so strangers rotating
      addresses cannot lock the owner out; they are still held by the per-pair limit.
    """

    window: int
    per_pair: int
    per_address: int
    key_window: int
    per_key: int
    known_days: int


def refusal(model, key_column: str, key: str, ip: str, limits: Limits) -> str | None:
    """Why the next attempt of ``key`` from ``ip`` is refused ("address", "pair", "key") or None."""
    if recent_failures(model, limits.window, ip=ip) >= limits.per_address:
        return "address"
    if recent_failures(model, limits.window, reset_by_success=True, ip=ip, **{key_column: key}) >= limits.per_pair:
        return "pair"
    if recent_failures(model, limits.key_window, **{key_column: key}) >= limits.per_key \
            and not known_address(model, key_column, key, ip, limits.known_days):
        return "key"
    return None


def known_address(model, key_column: str, key: str, ip: str, days: int) -> bool:
    """Whether ``key`` succeeded from ``ip`` within ``days``."""
    since = utcnow() - timedelta(days=days)
    return db.session.scalar(select(model.id).where(
        getattr(model, key_column) == key, model.ip == ip, model.success.is_(True), model.at >= since).limit(1)) \
        is not None


def lifted_at(model, key_column: str, key: str, ip: str, limits: Limits, why: str):
    """When the refusal ``why`` (as ``refusal`` answered it) lifts, if nothing else fails: the
    newest failure that still keeps the count at its limit leaves the window (UTC)."""
    if why == "address":
        window, limit, where = limits.window, limits.per_address, {"ip": ip}
    elif why == "pair":
        window, limit, where = limits.window, limits.per_pair, {"ip": ip, key_column: key}
    else:
        window, limit, where = limits.key_window, limits.per_key, {key_column: key}
    stmt = select(model.at).where(model.success.is_(False), model.at >= utcnow() - timedelta(seconds=window))
    for column, value in where.items():
        stmt = stmt.where(getattr(model, column) == value)
    oldest_that_counts = db.session.scalar(stmt.order_by(model.at.desc(), model.id.desc()).offset(limit - 1).limit(1))
    return (oldest_that_counts or utcnow()) + timedelta(seconds=window)
