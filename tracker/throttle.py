"""Throttling by counting recent attempts in a table of attempt rows (sign-in, status lookups).

Any model with ``at`` (UTCDateTime) and ``success`` (bool) columns works; ``where`` narrows the
count to one address, one account, one tracking code...  Rows are the only state, so several
web workers agree and a restart forgets nothing.
"""
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
